/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest `race [--seconds S]`: a guest whose second vCPU keeps
 * flipping bits in the buffers of its in-flight requests, on every device
 * it has (block, i2c, scmi), while the first keeps sending requests. The
 * backend may fail a request, or put the device in DEVICE_NEEDS_RESET
 * (then we reset and probe again); it must not crash or hang, and once the
 * racing stops every device must serve a clean request correctly.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_blk.h>

#include "guest_prog.h"

#define RACE_RECENT 64          /* buffers of the last chains added */
#define EEPROM_ADDR 0x50
#define EEPROM_PAGE 8
#define SCMI_BASE 0x10
#define SCMI_PROTOCOL_VERSION 0x0

struct racer {
    struct guest_ctx *ctx;
    pthread_mutex_t lock;
    struct vdrv_sg recent[RACE_RECENT];
    unsigned nr_recent, next;
    atomic_bool stop;
    atomic_ulong flips;
};

static void on_add(void *opaque, const struct vdrv_sg *sg, unsigned n)
{
    struct racer *r = opaque;

    pthread_mutex_lock(&r->lock);
    for (unsigned i = 0; i < n; i++) {
        if (sg[i].len == 0 || (sg[i].flags & VDRV_SG_RAW))
            continue;
        r->recent[r->next] = sg[i];
        r->next = (r->next + 1) % RACE_RECENT;
        if (r->nr_recent < RACE_RECENT)
            r->nr_recent++;
    }
    pthread_mutex_unlock(&r->lock);
}

/* Forget every buffer: the pages may become rings after a re-probe. */
static void forget(struct racer *r)
{
    pthread_mutex_lock(&r->lock);
    r->nr_recent = r->next = 0;
    pthread_mutex_unlock(&r->lock);
}

/* The second vCPU: one bit of a recent buffer at a time, as fast as it can. */
static void *flip_thread(void *arg)
{
    struct racer *r = arg;
    const struct timespec pause = { 0, 20000 };
    unsigned seed = (unsigned)guest_now_ns();

    while (!atomic_load(&r->stop)) {
        struct vdrv_sg sg = { 0, 0, 0 };
        uint8_t *p;

        pthread_mutex_lock(&r->lock);
        if (r->nr_recent)
            sg = r->recent[(unsigned)rand_r(&seed) % r->nr_recent];
        pthread_mutex_unlock(&r->lock);
        p = sg.len ? xensim_gpa_to_ptr(r->ctx->guest, sg.addr, sg.len) : NULL;
        if (p) {
            p[(unsigned)rand_r(&seed) % sg.len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
            atomic_fetch_add(&r->flips, 1);
        }
        /* Now and then, so that some requests get through whole. */
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* One request of the device's kind; true if it completed correctly. */
static bool request(struct guest_dev *dev, unsigned n)
{
    uint8_t out[512], in[512];

    memset(out, (int)(n & 0xff), sizeof(out));
    switch (dev->type) {
    case GUEST_DEV_BLK: {
        uint64_t sector = dev->u.blk.capacity ? n % dev->u.blk.capacity : 0;

        return vdrv_blk_write(&dev->u.blk, sector, out, sizeof(out)) == VIRTIO_BLK_S_OK &&
               vdrv_blk_read(&dev->u.blk, sector, in, sizeof(in)) == VIRTIO_BLK_S_OK &&
               memcmp(in, out, sizeof(in)) == 0;
    }
    case GUEST_DEV_I2C: {
        /* A page write, then the pointer and a read of the page. */
        struct vdrv_i2c_msg w = { EEPROM_ADDR, 0, 1 + EEPROM_PAGE, out };
        struct vdrv_i2c_msg rr[2] = {
            { EEPROM_ADDR, 0, 1, out },
            { EEPROM_ADDR, VDRV_I2C_M_RD, EEPROM_PAGE, in },
        };

        out[0] = (uint8_t)(n % 32 * EEPROM_PAGE);
        return vdrv_i2c_transfer(&dev->u.i2c, &w, 1) == 1 &&
               vdrv_i2c_transfer(&dev->u.i2c, rr, 2) == 2 &&
               memcmp(in, out + 1, EEPROM_PAGE) == 0;
    }
    case GUEST_DEV_SCMI: {
        struct vdrv_scmi_reply reply;

        return vdrv_scmi_xfer(&dev->u.scmi, SCMI_BASE, SCMI_PROTOCOL_VERSION, NULL, 0, 4,
                              &reply) == 0 && reply.status == 0;
    }
    default:
        return true;
    }
}

static bool reopen(struct racer *r, struct guest_dev *dev)
{
    const struct guest_node *node = dev->node;

    forget(r);
    guest_dev_close(dev);
    memset(dev, 0, sizeof(*dev));
    if (guest_dev_open(r->ctx, dev, node, NULL) != 0)
        return false;
    dev->vdev->on_add = on_add;
    dev->vdev->on_add_opaque = r;
    return true;
}

int guest_cmd_race(struct guest_ctx *ctx, int argc, char **argv)
{
    struct racer r = { .ctx = ctx };
    struct guest_dev *devs;
    uint64_t seconds = 3, requests = 0, failed = 0, resets = 0;
    unsigned nr = 0;
    pthread_t flipper;
    int64_t deadline;
    int rc = GUEST_EXIT_OK;

    if (argc == 3 && strcmp(argv[1], "--seconds") == 0) {
        if (!guest_parse_u64(argv[2], &seconds) || seconds == 0 || seconds > 3600) {
            guest_error("race: bad --seconds '%s'", argv[2]);
            return GUEST_EXIT_USAGE;
        }
    } else if (argc != 1) {
        guest_error("usage: race [--seconds S]");
        return GUEST_EXIT_USAGE;
    }
    devs = calloc(ctx->nr_nodes ? ctx->nr_nodes : 1, sizeof(*devs));
    if (!devs)
        return GUEST_EXIT_ENV;
    pthread_mutex_init(&r.lock, NULL);
    for (unsigned i = 0; i < ctx->nr_nodes; i++) {
        devs[nr].node = &ctx->nodes[i];
        if (reopen(&r, &devs[nr]) && devs[nr].type != GUEST_DEV_OTHER)
            nr++;
        else
            guest_dev_close(&devs[nr]);
    }
    if (nr == 0) {
        guest_error("race: no block, i2c or scmi device");
        free(devs);
        return GUEST_EXIT_ENV;
    }
    if (pthread_create(&flipper, NULL, flip_thread, &r) != 0) {
        free(devs);
        return GUEST_EXIT_ENV;
    }
    deadline = guest_now_ns() + (int64_t)seconds * 1000000000;
    while (guest_now_ns() < deadline) {
        for (unsigned d = 0; d < nr; d++) {
            requests++;
            if (request(&devs[d], (unsigned)requests))
                continue;
            failed++;
            /* A failed, hung or broken device: reset it, as Linux would. */
            if (reopen(&r, &devs[d]))
                resets++;
        }
    }
    atomic_store(&r.stop, true);
    pthread_join(flipper, NULL);
    for (unsigned d = 0; d < nr; d++) {
        const struct guest_node *node = devs[d].node;

        devs[d].vdev->on_add = NULL;
        if (!reopen(&r, &devs[d]) || !request(&devs[d], 7)) {
            guest_fail(ctx, node, "race: no clean request after the race");
            rc = GUEST_EXIT_FAIL;
        } else {
            guest_info(ctx, node, "race: clean request served after the race");
        }
        devs[d].vdev->on_add = NULL;
        guest_dev_close(&devs[d]);
    }
    guest_info(ctx, devs[0].node, "race: %llu requests, %llu failed, %llu resets, %lu flips",
               (unsigned long long)requests, (unsigned long long)failed,
               (unsigned long long)resets, atomic_load(&r.flips));
    pthread_mutex_destroy(&r.lock);
    free(devs);
    return rc;
}
