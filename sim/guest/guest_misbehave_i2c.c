/* SPDX-License-Identifier: Apache-2.0 */
/*
 * misbehave cases on the first virtio-i2c device (virtio 1.2 §5.20): each
 * request is shaped by hand, { out_hdr, buffer, in_hdr } broken one way,
 * and must get the engine's answer (devices/i2c/i2c.c): VIRTIO_I2C_MSG_ERR
 * with the whole writable part written, used length 0 when there is no
 * byte for the status, DEVICE_NEEDS_RESET when the chain itself is wrong.
 * The good request is an EEPROM read at 0x50 (the emulated bus's default).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_i2c.h>

#include "guest_prog.h"

#define EEPROM 0xa0u            /* 0x50 in the 7-bit address field */
#define IN_HDR_OFF 8u           /* out_hdr at 0, in_hdr after it */
#define BUF_OFF 16u             /* the message buffer on its own */
#define NO_STATUS 0xffu         /* what in_hdr holds until the device writes */
#define GROUP_MAX 16u           /* the daemon's XV_I2C_GROUP_MAX request slots */

enum { I2C_ONE, I2C_GROUP };

/* One request as sent. */
struct i2c_shape {
    uint16_t addr;              /* the out_hdr address field, verbatim */
    uint32_t flags;             /* the out_hdr flags, verbatim */
    uint8_t hdr_len;            /* out_hdr bytes given: 8, or fewer */
    uint16_t len;               /* message bytes */
    bool buf_writable;          /* the buffer device-writable */
    bool no_status;             /* no in_hdr */
    bool ungranted;             /* the buffer at an address never given */
    unsigned mb;                /* VDRV_MB_* for the chain */
};

/* A request to addr with an out_hdr of hdr bytes and len message bytes. */
#define REQ(addr_, hdr_, len_, ...) { .addr = (addr_), .hdr_len = (hdr_), .len = (len_), \
                                      __VA_ARGS__ }

static const struct i2c_shape one = REQ(EEPROM, 8, 1);
static const struct i2c_shape hdr_short = REQ(EEPROM, 4, 1);
static const struct i2c_shape no_hdr = REQ(EEPROM, 0, 0);
static const struct i2c_shape no_status = REQ(EEPROM, 8, 1, .no_status = true);
static const struct i2c_shape reserved = REQ(EEPROM, 8, 1, .flags = 1u << 2);
static const struct i2c_shape bad_addr = REQ(0x01a1, 8, 1);
/* 11110 A9 A8 0 in the low byte, A7..A0 in the high one: 10-bit 0x050. */
static const struct i2c_shape ten_bit = REQ(0x50f0, 8, 1);
static const struct i2c_shape refused = REQ(0x33u << 1, 8, 1);
static const struct i2c_shape oversize = REQ(EEPROM, 8, 4097);
static const struct i2c_shape write_in = REQ(EEPROM, 8, 4, .buf_writable = true);
static const struct i2c_shape read_out = REQ(EEPROM, 8, 4, .flags = VIRTIO_I2C_FLAGS_M_RD);
static const struct i2c_shape after_status = REQ(EEPROM, 8, 1, .mb = VDRV_MB_READ_AFTER_WRITE);
static const struct i2c_shape loop = REQ(EEPROM, 8, 1, .mb = VDRV_MB_CHAIN_LOOP);
static const struct i2c_shape ungranted = REQ(EEPROM, 8, 1, .ungranted = true);

static const struct guest_mb_case i2c_cases[] = {
    { "i2c-out-hdr-short", MB_STATUS, I2C_ONE, 0, "out_hdr of 4 bytes, not 8", &hdr_short },
    { "i2c-no-out-hdr", MB_STATUS, I2C_ONE, 0, "no device-readable part at all", &no_hdr },
    { "i2c-no-status", MB_BUFFER, I2C_ONE, 0, "no in_hdr: no byte for the status",
      &no_status },
    { "i2c-reserved-flags", MB_STATUS, I2C_ONE, 0, "reserved out_hdr flag bit 2 set",
      &reserved },
    { "i2c-bad-addr", MB_STATUS, I2C_ONE, 0, "address field 0x01a1: no valid encoding",
      &bad_addr },
    { "i2c-ten-bit-refused", MB_STATUS, I2C_ONE, 0, "10-bit address 0x050, not allowed",
      &ten_bit },
    { "i2c-not-allowed", MB_STATUS, I2C_ONE, 0, "7-bit address 0x33, not in the allowlist",
      &refused },
    { "i2c-oversize", MB_STATUS, I2C_ONE, 0, "write of 4097 bytes, over max-transfer",
      &oversize },
    { "i2c-write-buf-writable", MB_STATUS, I2C_ONE, 0,
      "write message whose buffer is device-writable", &write_in },
    { "i2c-read-buf-readable", MB_STATUS, I2C_ONE, 0,
      "read message whose buffer is device-readable", &read_out },
    { "i2c-readable-after-status", MB_RING, I2C_ONE, 0,
      "device-readable out_hdr after the writable in_hdr", &after_status },
    { "i2c-chain-loop", MB_RING, I2C_ONE, 0, "in_hdr descriptor's next points to itself",
      &loop },
    { "i2c-never-granted", MB_BUFFER, I2C_ONE, 0,
      "write buffer on a grant reference never granted", &ungranted },
    { "i2c-group-too-long", MB_STATUS, I2C_GROUP, GROUP_MAX + 1,
      "FAIL_NEXT group of 17, one more than the engine holds", &one },
    { "i2c-group-unfinished", MB_HELD, I2C_GROUP, 3,
      "FAIL_NEXT group of 3 whose last still says FAIL_NEXT, then reset", &one },
    { "i2c-no-zero-length", MB_PROBE, I2C_ONE, 0,
      "driver without ZERO_LENGTH_REQUEST (the device MUST refuse it)", NULL },
};

/* Queue one request shaped by s (not kicked); NULL if it cannot be. */
static struct vdrv_inflight *add_request(struct guest_ctx *ctx, struct guest_dev *dev,
                                         const struct i2c_shape *s, uint32_t flags)
{
    struct vdrv_i2c *i2c = &dev->u.i2c;
    struct vdrv_inflight *f = vdrv_inflight_new(&i2c->dev, BUF_OFF + (size_t)s->len);
    struct vdrv_sg out[2], in[2], sg[4];
    unsigned nr_out = 0, nr_in = 0;
    uint16_t addr = htole16(s->addr);
    uint32_t le_flags = htole32(flags);

    if (!f)
        return NULL;
    memcpy(f->mem, &addr, 2);
    memcpy(f->mem + 4, &le_flags, 4);
    f->mem[IN_HDR_OFF] = NO_STATUS;
    if (s->hdr_len)
        out[nr_out++] = (struct vdrv_sg){ f->gpa, s->hdr_len, 0 };
    if (s->len) {
        struct vdrv_sg buf = { f->gpa + BUF_OFF, s->len, 0 };

        if (s->ungranted)
            buf = (struct vdrv_sg){ guest_mb_ungranted_addr(ctx, dev), s->len, VDRV_SG_RAW };
        if (s->buf_writable)
            in[nr_in++] = buf;
        else
            out[nr_out++] = buf;
    }
    if (!s->no_status)
        in[nr_in++] = (struct vdrv_sg){ f->gpa + IN_HDR_OFF, 1, 0 };
    memcpy(sg, out, nr_out * sizeof(sg[0]));
    memcpy(sg + nr_out, in, nr_in * sizeof(sg[0]));
    vdrv_vq_misbehave(&i2c->dev.vqs[0], s->mb);
    if (vdrv_inflight_add(f, &i2c->dev.vqs[0], sg, nr_out, nr_in)) {
        vdrv_inflight_release(f);
        return NULL;
    }
    return f;
}

/* What the device made of one request, against the case's class. */
static int judge(struct guest_ctx *ctx, struct guest_dev *dev,
                 const struct guest_mb_case *c, const struct i2c_shape *s,
                 const struct vdrv_inflight *f)
{
    uint32_t writable = (s->buf_writable ? s->len : 0) + (s->no_status ? 0 : 1);
    uint8_t status = f->mem[IN_HDR_OFF];

    if (guest_mb_needs_reset(ctx, dev))
        return c->cls == MB_RING ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    if (!f->req.done) {
        guest_info(ctx, dev->node, "observed: no completion");
        return c->cls == MB_HELD ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    }
    guest_info(ctx, dev->node, "observed: used len %u, status %s", f->req.used_len,
               status == VIRTIO_I2C_MSG_OK ? "OK" : status == VIRTIO_I2C_MSG_ERR ? "ERR"
               : "not written");
    if (c->cls == MB_BUFFER)
        return f->req.used_len == 0 ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    /* ERR, and every writable byte accounted for. */
    return c->cls == MB_STATUS && status == VIRTIO_I2C_MSG_ERR &&
           f->req.used_len == writable ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}

static int run_one(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_mb_case *c)
{
    const struct i2c_shape *s = c->data;
    struct vdrv_vq *vq = &dev->u.i2c.dev.vqs[0];
    struct vdrv_inflight *f = add_request(ctx, dev, s, s->flags);
    int rc;

    if (!f) {
        guest_fail(ctx, dev->node, "request not queued");
        return GUEST_EXIT_FAIL;
    }
    vdrv_vq_kick(vq);
    vdrv_wait_for(dev->vdev, vq, &f->req.done, 0);
    rc = judge(ctx, dev, c, s, f);
    vdrv_inflight_release(f);
    return rc;
}

/* A group of one-byte writes to the EEPROM, FAIL_NEXT on each but the
 * last (on every one when the group must stay open). */
static int run_group(struct guest_ctx *ctx, struct guest_dev *dev,
                     const struct guest_mb_case *c)
{
    struct vdrv_vq *vq = &dev->u.i2c.dev.vqs[0];
    struct vdrv_inflight *f[GROUP_MAX + 1];
    unsigned n = c->arg, queued = 0;
    int rc = GUEST_EXIT_OK;

    while (queued < n) {
        bool last = queued == n - 1 && c->cls != MB_HELD;

        f[queued] = add_request(ctx, dev, c->data, last ? 0 : VIRTIO_I2C_FLAGS_FAIL_NEXT);
        if (!f[queued])
            break;
        queued++;
    }
    vdrv_vq_kick(vq);
    if (queued < n) {
        guest_fail(ctx, dev->node, "only %u of %u requests queued", queued, n);
        rc = GUEST_EXIT_FAIL;
    }
    for (unsigned i = 0; i < queued; i++) {
        /* An open group: a short wait shows nothing comes. */
        vdrv_wait_for(dev->vdev, vq, &f[i]->req.done, c->cls == MB_HELD ? 500 : 0);
        if (rc == GUEST_EXIT_OK && (judge(ctx, dev, c, c->data, f[i]) != GUEST_EXIT_OK)) {
            guest_fail(ctx, dev->node, "request %u of %u: not the expected outcome", i + 1,
                       queued);
            rc = GUEST_EXIT_FAIL;
        }
        vdrv_inflight_release(f[i]);
    }
    return rc;
}

static int run_i2c(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_mb_case *c)
{
    return c->how == I2C_GROUP ? run_group(ctx, dev, c) : run_one(ctx, dev, c);
}

static void i2c_options(const struct guest_mb_case *c, struct vdrv_options *opts)
{
    if (c->cls == MB_PROBE)
        opts->features_clear = VDRV_BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST);
}

/* Set the EEPROM's pointer, read a byte: both messages must succeed. */
static int good_i2c(struct guest_ctx *ctx, struct guest_dev *dev, const char *when)
{
    uint8_t ptr = 0, b;
    struct vdrv_i2c_msg m[2] = {
        { EEPROM >> 1, 0, 1, &ptr },
        { EEPROM >> 1, VDRV_I2C_M_RD, 1, &b },
    };
    int n = vdrv_i2c_transfer(&dev->u.i2c, m, 2);

    if (n == 2) {
        guest_info(ctx, dev->node, "%s: eeprom read OK", when);
        return GUEST_EXIT_OK;
    }
    guest_fail(ctx, dev->node, "%s: eeprom read failed (%d)", when, n);
    return GUEST_EXIT_FAIL;
}

const struct guest_mb_table guest_mb_i2c = {
    .type = GUEST_DEV_I2C,
    .device_id = GUEST_VIRTIO_ID_I2C,
    .cases = i2c_cases,
    .nr_cases = sizeof(i2c_cases) / sizeof(i2c_cases[0]),
    .options = i2c_options,
    .run = run_i2c,
    .good = good_i2c,
};
