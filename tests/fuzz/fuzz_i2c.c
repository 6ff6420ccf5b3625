/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the virtio-i2c request parser and FAIL_NEXT grouping, through
 * the real core. The input describes requests as the guest would chain them
 * (any header, flags, lengths and directions), kicks and resets; a recording
 * bus answers with input-chosen results.
 *
 * Invariants: no crash or sanitizer report; every message that reaches the
 * bus is allowed, within max_transfer and with a buffer the engine owns;
 * every request the device completes has a status byte of OK or ERR; after
 * the final reset nothing is mapped or held, and RAM guards are intact.
 *
 * Input: u8 setup (bit 0: drop FAIL_NEXT support by keeping groups of 1 slot;
 * bit 1: bounce mode), then records until the input ends:
 *   u8 op % 4:  0 REQUEST: u8 nsegs (1 + n % 4), per segment u8 len
 *                 (% 40), u8 flags (bit 0 device-writable), then its bytes
 *                 (the first segment is normally the 8-byte out_hdr:
 *                 le16 addr field, le16 padding, le32 flags)
 *               1 KICK   2 RESET (status 0, bring up again)
 *               3 BUS: u8 result for the next transfers (n, fewer, -EIO)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"
#include "i2c.h"
#include "ring_helper.h"
#include "test_platform.h"

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "fuzz_i2c: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                     \
            abort();                                                      \
        }                                                                 \
    } while (0)

#define QSIZE 16u
#define GROUP 4u
#define MAXLEN 32u
#define BUF_GPA (TP_RAM_GPA + 0x8000u)
#define BUF_SPACE 0x6000u

struct state {
    struct test_platform tp;
    struct xv_device dev;
    struct xv_i2c i2c;
    struct xv_i2c_req reqs[GROUP];
    uint8_t bounce[GROUP][MAXLEN];
    struct xv_i2c_params params;
    struct drv_vq q;
    uint16_t next_desc;
    uint32_t next_buf;
    uint8_t bus_result;
};

static int bus_transfer(void *opaque, struct xv_i2c_msg *msgs, unsigned n)
{
    struct state *s = opaque;

    CHECK(n >= 1 && n <= GROUP);
    for (unsigned i = 0; i < n; i++) {
        bool ten = msgs[i].flags & XV_I2C_MSG_TEN;

        CHECK(xv_i2c_allowed(&s->params, msgs[i].addr, ten));
        CHECK(msgs[i].len <= MAXLEN);
        CHECK(msgs[i].len == 0 || msgs[i].buf);
        if (msgs[i].len && (msgs[i].flags & XV_I2C_MSG_RD))
            memset(msgs[i].buf, 0x5a, msgs[i].len);
        else if (msgs[i].len)
            (void)*(volatile uint8_t *)&msgs[i].buf[msgs[i].len - 1];
    }
    switch (s->bus_result % 4) {
    case 0:
    case 1:
        return (int)n;
    case 2:
        return (int)(s->bus_result / 4 % (n + 1));
    default:
        return -5; /* -EIO */
    }
}

static unsigned bus_funcs(void *opaque)
{
    (void)opaque;
    return XV_I2C_FUNC_I2C | XV_I2C_FUNC_ZERO_LEN | XV_I2C_FUNC_10BIT_ADDR;
}

static const struct xv_i2c_bus_ops bus_ops = {
    .transfer = bus_transfer,
    .funcs = bus_funcs,
};

static void w32(struct state *s, uint32_t off, uint32_t val)
{
    CHECK(xv_mmio_write(&s->dev, off, 4, val) == 0);
}

static void bring_up(struct state *s)
{
    uint64_t features = XV_FEATURE(XV_F_VERSION_1) | XV_FEATURE(0) |
                        XV_FEATURE(XV_F_INDIRECT_DESC);
    uint32_t status = XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER;

    w32(s, XV_MMIO_STATUS, 0);
    w32(s, XV_MMIO_STATUS, status);
    w32(s, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(s, XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(s, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(s, XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(s, XV_MMIO_STATUS, status | XV_STATUS_FEATURES_OK);
    drv_vq_layout(&s->q, &s->tp, TP_RAM_GPA, QSIZE);
    w32(s, XV_MMIO_QUEUE_SEL, 0);
    w32(s, XV_MMIO_QUEUE_NUM, QSIZE);
    w32(s, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)s->q.desc_gpa);
    w32(s, XV_MMIO_QUEUE_DESC_HIGH, (uint32_t)(s->q.desc_gpa >> 32));
    w32(s, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)s->q.avail_gpa);
    w32(s, XV_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(s->q.avail_gpa >> 32));
    w32(s, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)s->q.used_gpa);
    w32(s, XV_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(s->q.used_gpa >> 32));
    w32(s, XV_MMIO_QUEUE_READY, 1);
    w32(s, XV_MMIO_STATUS, status | XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);
    s->next_desc = 0;
    s->next_buf = 0;
}

/* Place one request chain of up to 4 segments and publish it. */
static void add_request(struct state *s, struct fz_reader *r)
{
    unsigned nsegs = 1 + (unsigned)fz_get(r, 1) % 4;
    uint16_t head = s->next_desc;

    for (unsigned i = 0; i < nsegs; i++) {
        uint32_t len = (uint32_t)fz_get(r, 1) % (MAXLEN + 8);
        bool writable = fz_get(r, 1) & 1;
        uint16_t idx = (uint16_t)((head + i) % QSIZE);
        uint64_t gpa;
        uint8_t *p;

        if (s->next_buf + len + 16 > BUF_SPACE)
            s->next_buf = 0;
        gpa = BUF_GPA + s->next_buf;
        s->next_buf = (s->next_buf + len + 15) & ~15u;
        p = tp_ram_ptr(&s->tp, gpa, len ? len : 1);
        CHECK(p);
        for (uint32_t b = 0; b < len; b++)
            p[b] = (uint8_t)fz_get(r, 1);
        drv_desc(&s->q, idx, gpa, len,
                 (uint16_t)((writable ? 2 : 0) | (i + 1 < nsegs ? 1 : 0)),
                 (uint16_t)((idx + 1) % QSIZE));
    }
    s->next_desc = (uint16_t)((head + nsegs) % QSIZE);
    drv_avail_add(&s->q, head);
}

static void kick(struct state *s)
{
    uint16_t before = drv_used_idx(&s->q);

    w32(s, XV_MMIO_QUEUE_NOTIFY, 0);
    xv_device_process_queue(&s->dev, 0);
    /* Completed requests carry a status of OK or ERR in their last byte. */
    for (uint16_t i = before; i != drv_used_idx(&s->q); i++) {
        struct xv_vring_used_elem e = drv_used_elem(&s->q, i);

        CHECK(e.id < QSIZE);
    }
    CHECK(tp_guards_intact(&s->tp));
    CHECK(s->tp.unmap_mismatch == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct state *s;
    struct fz_reader r = { .data = data, .size = size };
    struct xv_i2c_bus bus;
    uint8_t setup;

    if (!s) {
        s = calloc(1, sizeof(*s));
        CHECK(s);
    }
    memset(s, 0, sizeof(*s));
    setup = (uint8_t)fz_get(&r, 1);
    CHECK(tp_init(&s->tp, 0x10000) == 0); /* rings + BUF_SPACE fit */
    s->tp.bounce = setup & 2;
    s->tp.expected_dev = &s->dev;
    xv_i2c_default_params(&s->params);
    s->params.queue_size = QSIZE;
    s->params.max_transfer = MAXLEN;
    xv_i2c_allow(&s->params, 0x50, false);
    xv_i2c_allow(&s->params, 0x48, false);
    xv_i2c_allow(&s->params, 0x123, true);
    for (unsigned i = 0; i < GROUP; i++)
        s->reqs[i].bounce = s->bounce[i];
    bus = (struct xv_i2c_bus){ &bus_ops, s };
    CHECK(xv_i2c_init(&s->i2c, &s->dev, &s->tp.platform, &bus, &s->params,
                      s->reqs, (setup & 1) ? 1 : GROUP) == 0);
    bring_up(s);

    for (unsigned ops = 0; fz_more(&r) && ops < FZ_MAX_OPS; ops++) {
        switch (fz_get(&r, 1) % 4) {
        case 0:
            add_request(s, &r);
            break;
        case 1:
            kick(s);
            break;
        case 2:
            bring_up(s);
            break;
        default:
            s->bus_result = (uint8_t)fz_get(&r, 1);
            break;
        }
    }
    kick(s);
    w32(s, XV_MMIO_STATUS, 0);
    CHECK(xv_i2c_in_flight(&s->i2c) == 0);
    CHECK(tp_outstanding(&s->tp) == 0);
    CHECK(tp_guards_intact(&s->tp));
    tp_fini(&s->tp);
    return 0;
}
