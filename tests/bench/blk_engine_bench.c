/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blk-engine-bench: xenvirtiod's own block path without any Xen hop.
 * The daemon's "block" device (core register file and split ring, the
 * virtio-blk engine, the file backend on io_uring) is driven in-process by
 * a driver that keeps QD requests in flight: each round it adds what
 * completed back to the avail ring and kicks once (QueueNotify), as a
 * guest with EVENT_IDX does. What it leaves out is what real Xen adds
 * (traps, event channels, grant or foreign mapping); what it keeps is
 * everything the daemon itself does per request. Compared with fio on the
 * same file by run-blk-bench.sh.
 *   usage: blk-engine-bench FILE randread|seqwrite BS QD SECONDS
 *   prints: engine_bench pattern=... bs=... qd=... requests=N seconds=S iops=I
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>


#include "blk_dev.h"
#include "blk_uring.h"
#include "config.h"
#include "device_type.h"
#include "ring_helper.h"
#include "test_platform.h"
#include "xv/core.h"

#define QSIZE 256u
#define MAX_QD 64u
#define HDR_OFF 0u
#define STATUS_OFF 64u
#define DATA_OFF 4096u

struct bench {
    struct test_platform tp;
    struct xvd_dev *dev;
    struct drv_vq q;
    uint64_t area;
    uint32_t bs;
    uint32_t stride;
    uint64_t sectors;       /* of the file */
    bool write;
    uint64_t next_seq;
    uint64_t rng;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "blk-engine-bench: %s\n", what);
    exit(1);
}

static void w32(struct xv_device *dev, uint32_t off, uint32_t v)
{
    if (xv_mmio_write(dev, off, 4, v) != 0)
        die("register write refused");
}

static uint32_t r32(struct xv_device *dev, uint32_t off)
{
    uint32_t v = 0;

    if (xv_mmio_read(dev, off, 4, &v) != 0)
        die("register read refused");
    return v;
}

static uint64_t next_sector(struct bench *b)
{
    uint64_t blocks = b->sectors / (b->bs / 512);

    if (b->write) {
        uint64_t s = b->next_seq;

        b->next_seq = (b->next_seq + b->bs / 512) % (blocks * (b->bs / 512));
        return s;
    }
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return (b->rng % blocks) * (b->bs / 512);
}

/* Slot k: descriptors 3k..3k+2 (header, data, status). */
static void queue_request(struct bench *b, unsigned k)
{
    uint64_t base = b->area + (uint64_t)k * b->stride;
    uint8_t *h = tp_ram_ptr(&b->tp, base + HDR_OFF, 16);
    uint64_t sector = next_sector(b);
    uint16_t d = (uint16_t)(3 * k);

    memset(h, 0, 16);
    h[0] = (uint8_t)(b->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN);
    for (unsigned i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(sector >> (8 * i));
    drv_desc(&b->q, d, base + HDR_OFF, 16, XV_VRING_DESC_F_NEXT, (uint16_t)(d + 1));
    drv_desc(&b->q, (uint16_t)(d + 1), base + DATA_OFF, b->bs,
             XV_VRING_DESC_F_NEXT | (b->write ? 0 : XV_VRING_DESC_F_WRITE),
             (uint16_t)(d + 2));
    drv_desc(&b->q, (uint16_t)(d + 2), base + STATUS_OFF, 1, XV_VRING_DESC_F_WRITE, 0);
    drv_avail_add(&b->q, d);
}

static void bring_up(struct bench *b, const char *path, unsigned qd)
{
    static char depth[16];
    const char *kv[] = { "path", path, "queue-size", "256", "queue-depth", depth, NULL };
    struct xvd_device_conf conf;
    struct xv_device *dev;
    char err[256] = "";
    uint32_t s = XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER;

    snprintf(depth, sizeof(depth), "%u", qd);
    memset(&conf, 0, sizeof(conf));
    snprintf(conf.name, sizeof(conf.name), "bench");
    snprintf(conf.type, sizeof(conf.type), "block");
    for (unsigned i = 0; kv[i]; i += 2) {
        snprintf(conf.opts[conf.nr_opts].key, sizeof(conf.opts[0].key), "%s", kv[i]);
        snprintf(conf.opts[conf.nr_opts].value, sizeof(conf.opts[0].value), "%s", kv[i + 1]);
        conf.nr_opts++;
    }
    b->dev = xvd_block_type.create(&conf, &b->tp.platform, NULL, err, sizeof(err));
    if (!b->dev)
        die(err);
    dev = &b->dev->xv;
    w32(dev, XV_MMIO_STATUS, s);
    /* As Linux: FLUSH, so the cache is writeback (without it every write
     * would be synchronous), and the device's limits. */
    w32(dev, XV_MMIO_DEVICE_FEATURES_SEL, 0);
    w32(dev, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(dev, XV_MMIO_DRIVER_FEATURES, r32(dev, XV_MMIO_DEVICE_FEATURES) &
        (uint32_t)(XV_FEATURE(VIRTIO_BLK_F_FLUSH) | XV_FEATURE(VIRTIO_BLK_F_SEG_MAX) |
                   XV_FEATURE(VIRTIO_BLK_F_BLK_SIZE) | XV_FEATURE(VIRTIO_BLK_F_SIZE_MAX)));
    w32(dev, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(dev, XV_MMIO_DRIVER_FEATURES, 1);          /* VERSION_1 */
    w32(dev, XV_MMIO_STATUS, s | XV_STATUS_FEATURES_OK);
    if (!(r32(dev, XV_MMIO_STATUS) & XV_STATUS_FEATURES_OK))
        die("FEATURES_OK refused");
    drv_vq_layout(&b->q, &b->tp, TP_RAM_GPA, QSIZE);
    w32(dev, XV_MMIO_QUEUE_SEL, 0);
    w32(dev, XV_MMIO_QUEUE_NUM, QSIZE);
    w32(dev, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)b->q.desc_gpa);
    w32(dev, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)b->q.avail_gpa);
    w32(dev, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)b->q.used_gpa);
    w32(dev, XV_MMIO_QUEUE_READY, 1);
    w32(dev, XV_MMIO_STATUS, s | XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);
    b->area = (b->q.end_gpa + 0xfff) & ~0xfffull;
}

int main(int argc, char **argv)
{
    struct bench b = { .rng = 0x9e3779b97f4a7c15ull };
    struct xvd_blk_file *bf;
    unsigned qd, seconds;
    uint64_t start, deadline, done = 0;
    uint16_t used_seen = 0;
    struct stat st;

    if (argc != 6 || stat(argv[1], &st) < 0 ||
        (strcmp(argv[2], "randread") != 0 && strcmp(argv[2], "seqwrite") != 0)) {
        fprintf(stderr, "usage: blk-engine-bench FILE randread|seqwrite BS QD SECONDS\n");
        return 2;
    }
    b.write = argv[2][0] == 's';
    b.bs = (uint32_t)strtoul(argv[3], NULL, 0);
    qd = (unsigned)strtoul(argv[4], NULL, 0);
    seconds = (unsigned)strtoul(argv[5], NULL, 0);
    if (b.bs < 512 || b.bs % 512 || b.bs > (1u << 20) || qd == 0 || qd > MAX_QD)
        die("BS: 512..1 MiB in sectors; QD: 1..64");
    b.stride = DATA_OFF + b.bs;
    b.sectors = (uint64_t)st.st_size / 512;
    if (tp_init(&b.tp, (size_t)(1u << 20) + (size_t)qd * b.stride) != 0)
        die("no memory for the guest");
    bring_up(&b, argv[1], qd);
    bf = xvd_block_file(b.dev);
    for (unsigned k = 0; k < qd; k++)
        queue_request(&b, k);
    start = now_ns();
    deadline = start + (uint64_t)seconds * 1000000000ull;
    xv_mmio_write(&b.dev->xv, XV_MMIO_QUEUE_NOTIFY, 4, 0);
    xv_device_process_queue(&b.dev->xv, 0);
    while (now_ns() < deadline) {
        uint16_t used;

        xvd_blk_uring_poll(bf, true);
        used = drv_used_idx(&b.q);
        for (; used_seen != used; used_seen++) {
            struct xv_vring_used_elem e = drv_used_elem(&b.q, used_seen);
            unsigned k = e.id / 3;

            if (*(uint8_t *)tp_ram_ptr(&b.tp, b.area + (uint64_t)k * b.stride + STATUS_OFF, 1))
                die("request failed");
            done++;
            queue_request(&b, k);
        }
        /* One kick for everything re-queued this round. */
        xv_mmio_write(&b.dev->xv, XV_MMIO_QUEUE_NOTIFY, 4, 0);
        xv_device_process_queue(&b.dev->xv, 0);
    }
    printf("engine_bench pattern=%s bs=%u qd=%u requests=%" PRIu64 " seconds=%.3f iops=%.0f\n",
           argv[2], b.bs, qd, done, (double)(now_ns() - start) / 1e9,
           (double)done * 1e9 / (double)(now_ns() - start));
    xv_device_reset(&b.dev->xv);
    xvd_block_type.destroy(b.dev);
    tp_fini(&b.tp);
    return 0;
}
