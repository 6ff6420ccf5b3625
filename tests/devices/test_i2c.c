/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-i2c engine driven through the real core: registers through
 * xv_mmio_*, chains written into the test platform's guest RAM (bounce
 * mode), and a recording fake bus behind it that keeps every transfer()
 * call. Then the emulated bus (EEPROM, LM75) through the same path, and
 * the host adapter's SMBus mapping with a fake ioctl.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "i2c.h"
#include "i2c_dev.h"
#include "ring_helper.h"
#include "test_platform.h"

#define QSIZE   64u
#define GROUP   4u
#define MAXLEN  64u
#define BUF_GPA (TP_RAM_GPA + 0x10000)

#define NEXT  XV_VRING_DESC_F_NEXT
#define WRITE XV_VRING_DESC_F_WRITE
#define F(bit) XV_FEATURE(bit)
#define F_DRIVER (F(XV_F_VERSION_1) | F(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST))

#define MAX_CALLS 16u

/* A bus that records every transfer and answers reads with a pattern. */
struct fake_bus {
    unsigned funcs;
    unsigned calls;
    unsigned nmsgs[MAX_CALLS];
    struct xv_i2c_msg msgs[MAX_CALLS][GROUP];
    uint8_t data[MAX_CALLS][GROUP][MAXLEN];
    int ret;                    /* 0: n; else returned as is */
    uint8_t *flip;              /* a second vCPU rewrites this guest byte
                                   while the bus works */
};

static int fake_transfer(void *opaque, struct xv_i2c_msg *msgs, unsigned n)
{
    struct fake_bus *b = opaque;

    assert_true(b->calls < MAX_CALLS && n <= GROUP);
    if (b->flip)
        *b->flip = 0xff;
    b->nmsgs[b->calls] = n;
    for (unsigned i = 0; i < n; i++) {
        b->msgs[b->calls][i] = msgs[i];
        assert_true(msgs[i].len <= MAXLEN);
        if (msgs[i].flags & XV_I2C_MSG_RD) {
            for (unsigned j = 0; j < msgs[i].len; j++)
                msgs[i].buf[j] = (uint8_t)(0xa0 + j);
        } else if (msgs[i].len) {
            memcpy(b->data[b->calls][i], msgs[i].buf, msgs[i].len);
        }
    }
    b->calls++;
    return b->ret ? b->ret : (int)n;
}

static unsigned fake_funcs(void *opaque)
{
    return ((struct fake_bus *)opaque)->funcs;
}

static const struct xv_i2c_bus_ops fake_ops = {
    .transfer = fake_transfer,
    .funcs = fake_funcs,
};

struct fixture {
    struct test_platform tp;
    struct xv_device dev;
    struct xv_i2c i2c;
    struct xv_i2c_req reqs[GROUP];
    uint8_t bounce[GROUP][MAXLEN];
    struct fake_bus fake;
    struct xvd_i2c_emul emul;
    struct drv_vq q;
    uint64_t next_gpa;
    uint16_t next_desc;
    uint16_t qsize;
};

static void w32(struct fixture *f, uint32_t off, uint32_t val)
{
    assert_int_equal(xv_mmio_write(&f->dev, off, 4, val), 0);
}

static uint32_t r32(struct fixture *f, uint32_t off)
{
    uint32_t val = 0;

    assert_int_equal(xv_mmio_read(&f->dev, off, 4, &val), 0);
    return val;
}

/* Negotiate 'features'; false if the device refused FEATURES_OK. */
static bool start(struct fixture *f, uint64_t features)
{
    w32(f, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    w32(f, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(f, XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(f, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(f, XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(f, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
        XV_STATUS_FEATURES_OK);
    if (!(r32(f, XV_MMIO_STATUS) & XV_STATUS_FEATURES_OK))
        return false;
    drv_vq_layout(&f->q, &f->tp, TP_RAM_GPA, f->qsize);
    w32(f, XV_MMIO_QUEUE_SEL, 0);
    w32(f, XV_MMIO_QUEUE_NUM, f->qsize);
    w32(f, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)f->q.desc_gpa);
    w32(f, XV_MMIO_QUEUE_DESC_HIGH, (uint32_t)(f->q.desc_gpa >> 32));
    w32(f, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)f->q.avail_gpa);
    w32(f, XV_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(f->q.avail_gpa >> 32));
    w32(f, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)f->q.used_gpa);
    w32(f, XV_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(f->q.used_gpa >> 32));
    w32(f, XV_MMIO_QUEUE_READY, 1);
    w32(f, XV_MMIO_STATUS, r32(f, XV_MMIO_STATUS) | XV_STATUS_DRIVER_OK);
    assert_true(r32(f, XV_MMIO_STATUS) & XV_STATUS_DRIVER_OK);
    tp_clear_counters(&f->tp);
    return true;
}

static int setup_bus_ring(void **state, bool emulated, unsigned funcs, uint16_t qsize)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct xv_i2c_params params;
    struct xv_i2c_bus bus;

    assert_non_null(f);
    assert_int_equal(tp_init(&f->tp, 0), 0);
    f->tp.bounce = true;
    f->tp.expected_dev = &f->dev;
    f->next_gpa = BUF_GPA;
    f->fake.funcs = funcs;
    xv_i2c_default_params(&params);
    params.queue_size = qsize;
    f->qsize = qsize;
    params.max_transfer = MAXLEN;
    if (emulated) {
        char err[128];

        xv_i2c_allow_all(&params);
        xvd_i2c_emul_init(&f->emul);
        assert_int_equal(xvd_i2c_emul_add_eeprom(&f->emul, 0x50, NULL, err,
                                                 sizeof(err)), 0);
        xvd_i2c_emul_add_lm75(&f->emul, 0x48, 21500);
        bus = (struct xv_i2c_bus){ &xvd_i2c_emul_ops, &f->emul };
    } else {
        xv_i2c_allow(&params, 0x50, false);
        xv_i2c_allow(&params, 0x51, false);
        xv_i2c_allow(&params, 0x123, true);
        bus = (struct xv_i2c_bus){ &fake_ops, &f->fake };
    }
    for (unsigned i = 0; i < GROUP; i++)
        f->reqs[i].bounce = f->bounce[i];
    assert_int_equal(xv_i2c_init(&f->i2c, &f->dev, &f->tp.platform, &bus,
                                 &params, f->reqs, GROUP), 0);
    *state = f;
    return 0;
}

static int setup_bus(void **state, bool emulated, unsigned funcs)
{
    return setup_bus_ring(state, emulated, funcs, QSIZE);
}

static int setup(void **state)
{
    return setup_bus(state, false,
                     XV_I2C_FUNC_I2C | XV_I2C_FUNC_ZERO_LEN | XV_I2C_FUNC_10BIT_ADDR);
}

static int setup_emul(void **state)
{
    return setup_bus(state, true, 0);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    w32(f, XV_MMIO_STATUS, 0);
    assert_int_equal(xv_i2c_in_flight(&f->i2c), 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    assert_int_equal(f->tp.unmap_mismatch, 0);
    assert_int_equal(f->tp.wrong_dev_calls, 0);
    assert_true(tp_guards_intact(&f->tp));
    xvd_i2c_emul_fini(&f->emul);
    tp_fini(&f->tp);
    free(f);
    return 0;
}

static uint64_t gbuf_alloc(struct fixture *f, uint32_t len)
{
    uint64_t gpa = f->next_gpa;

    f->next_gpa = (f->next_gpa + len + 15) & ~15ull;
    memset(tp_ram_ptr(&f->tp, gpa, len ? len : 1), 0xee, len ? len : 1);
    return gpa;
}

static uint8_t *ram(struct fixture *f, uint64_t gpa, size_t len)
{
    uint8_t *p = tp_ram_ptr(&f->tp, gpa, len);

    assert_non_null(p);
    return p;
}

struct seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

static uint16_t submit(struct fixture *f, const struct seg *s, unsigned n)
{
    uint16_t head = f->next_desc;

    for (unsigned i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % f->qsize);

        drv_desc(&f->q, idx, s[i].gpa, s[i].len,
                 (uint16_t)((s[i].write ? WRITE : 0) | (i + 1 < n ? NEXT : 0)),
                 (uint16_t)((idx + 1) % f->qsize));
    }
    f->next_desc = (uint16_t)((head + n) % f->qsize);
    drv_avail_add(&f->q, head);
    return head;
}

static void kick(struct fixture *f)
{
    w32(f, XV_MMIO_QUEUE_NOTIFY, 0);
    xv_device_process_queue(&f->dev, 0);
}

/* A well-formed request as Linux builds it. */
struct req {
    uint64_t hdr, buf, status;
    uint32_t len;
    bool read;
};

static void put_hdr(struct fixture *f, uint64_t gpa, uint16_t addr_field,
                    uint32_t flags)
{
    uint8_t *p = ram(f, gpa, 8);

    p[0] = (uint8_t)addr_field;
    p[1] = (uint8_t)(addr_field >> 8);
    p[2] = p[3] = 0;
    for (unsigned i = 0; i < 4; i++)
        p[4 + i] = (uint8_t)(flags >> (8 * i));
}

static struct req queue_req(struct fixture *f, uint16_t addr_field, uint32_t flags,
                            const uint8_t *data, uint32_t len)
{
    struct req r = { .len = len, .read = flags & VIRTIO_I2C_FLAGS_M_RD };
    struct seg s[3];
    unsigned n = 0;

    r.hdr = gbuf_alloc(f, 8);
    put_hdr(f, r.hdr, addr_field, flags);
    s[n++] = (struct seg){ r.hdr, 8, false };
    if (len) {
        r.buf = gbuf_alloc(f, len);
        if (!r.read)
            memcpy(ram(f, r.buf, len), data, len);
        s[n++] = (struct seg){ r.buf, len, r.read };
    }
    r.status = gbuf_alloc(f, 1);
    s[n++] = (struct seg){ r.status, 1, true };
    submit(f, s, n);
    return r;
}

static uint8_t status_of(struct fixture *f, const struct req *r)
{
    return *ram(f, r->status, 1);
}

#define A7(a) ((uint16_t)((a) << 1))
#define A10(a) ((uint16_t)(((a) & 0xff) << 8 | 0xf0 | (((a) >> 8) & 3) << 1))
#define FN VIRTIO_I2C_FLAGS_FAIL_NEXT
#define RD VIRTIO_I2C_FLAGS_M_RD

static void test_single_write(void **state)
{
    struct fixture *f = *state;
    const uint8_t data[3] = { 0x10, 0x11, 0x12 };
    struct req r;

    assert_true(start(f, F_DRIVER));
    r = queue_req(f, A7(0x50), 0, data, 3);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 1);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.nmsgs[0], 1);
    assert_int_equal(f->fake.msgs[0][0].addr, 0x50);
    assert_int_equal(f->fake.msgs[0][0].flags, 0);
    assert_int_equal(f->fake.msgs[0][0].len, 3);
    assert_memory_equal(f->fake.data[0][0], data, 3);
    assert_true(f->tp.interrupt_calls >= 1);
}

/* The bus acts on a copy: a guest rewriting its buffer mid-transfer (with
 * the buffers mapped in place, as Xen does) changes nothing it sees. */
static void test_write_is_fetched_once(void **state)
{
    struct fixture *f = *state;
    const uint8_t data[2] = { 0x01, 0x22 };
    struct req r;

    f->tp.bounce = false;
    assert_true(start(f, F_DRIVER));
    r = queue_req(f, A7(0x50), 0, data, 2);
    f->fake.flip = ram(f, r.buf, 1);
    kick(f);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(f->fake.calls, 1);
    assert_memory_equal(f->fake.data[0][0], data, 2);
    assert_int_equal(*ram(f, r.buf, 1), 0xff);
}

static void test_write_then_read_is_one_transfer(void **state)
{
    struct fixture *f = *state;
    const uint8_t reg = 0x07;
    struct req w, r;

    assert_true(start(f, F_DRIVER));
    w = queue_req(f, A7(0x51), FN, &reg, 1);
    r = queue_req(f, A7(0x51), RD, NULL, 4);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 2);
    assert_int_equal(status_of(f, &w), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(drv_used_elem(&f->q, 1).len, 5);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.nmsgs[0], 2);
    assert_int_equal(f->fake.msgs[0][0].flags, 0);
    assert_int_equal(f->fake.msgs[0][1].flags, XV_I2C_MSG_RD);
    assert_int_equal(f->fake.data[0][0][0], 0x07);
    assert_int_equal(ram(f, r.buf, 4)[0], 0xa0);
    assert_int_equal(ram(f, r.buf, 4)[3], 0xa3);
}

static void test_fail_next_in_the_middle(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 1;
    struct req r[3];

    assert_true(start(f, F_DRIVER));
    r[0] = queue_req(f, A7(0x50), FN, &b, 1);
    r[1] = queue_req(f, A7(0x33), FN, &b, 1);      /* not allowed */
    r[2] = queue_req(f, A7(0x50), RD, NULL, 2);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 3);
    assert_int_equal(status_of(f, &r[0]), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r[1]), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(status_of(f, &r[2]), VIRTIO_I2C_MSG_ERR);
    /* The bus saw only the first message; the read was never sent and
     * its buffer holds no stale bytes. */
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.nmsgs[0], 1);
    assert_int_equal(ram(f, r[2].buf, 2)[0], 0);
    assert_int_equal(f->i2c.stats.events[XV_I2C_EV_REFUSED], 1);
}

static void test_bus_failure_fails_the_group(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 1;
    struct req r[3];

    assert_true(start(f, F_DRIVER));
    f->fake.ret = 1;            /* NACK on the second message */
    r[0] = queue_req(f, A7(0x50), FN, &b, 1);
    r[1] = queue_req(f, A7(0x50), FN, &b, 1);
    r[2] = queue_req(f, A7(0x50), 0, &b, 1);
    kick(f);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.nmsgs[0], 3);
    assert_int_equal(status_of(f, &r[0]), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r[1]), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(status_of(f, &r[2]), VIRTIO_I2C_MSG_ERR);
}

static void test_group_held_until_complete(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 1;
    struct req w, r;

    assert_true(start(f, F_DRIVER));
    w = queue_req(f, A7(0x50), FN, &b, 1);
    kick(f);
    /* Half a group: nothing on the bus, nothing used yet. */
    assert_int_equal(f->fake.calls, 0);
    assert_int_equal(drv_used_idx(&f->q), 0);
    assert_int_equal(xv_i2c_in_flight(&f->i2c), 1);
    r = queue_req(f, A7(0x50), RD, NULL, 1);
    kick(f);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.nmsgs[0], 2);
    assert_int_equal(status_of(f, &w), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
}

/* A ring of 4 without indirect descriptors: one held write (3
 * descriptors) leaves no room for the request that would close its group.
 * The driver can't add it, so the device fails the group instead of
 * waiting forever, and nothing reaches the bus. */
static int setup_small_ring(void **state)
{
    return setup_bus_ring(state, false,
                          XV_I2C_FUNC_I2C | XV_I2C_FUNC_ZERO_LEN | XV_I2C_FUNC_10BIT_ADDR, 4);
}

static void test_open_group_filling_ring_fails(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 1;
    struct req w, next;

    assert_true(start(f, F_DRIVER));
    w = queue_req(f, A7(0x50), FN, &b, 1);
    kick(f);
    assert_int_equal(f->fake.calls, 0);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_int_equal(status_of(f, &w), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(xv_i2c_in_flight(&f->i2c), 0);
    /* The queue keeps serving: the next request goes to the bus. */
    next = queue_req(f, A7(0x50), 0, &b, 1);
    kick(f);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(status_of(f, &next), VIRTIO_I2C_MSG_OK);
}

static void test_group_too_long(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 1;
    struct req r[GROUP + 2];

    assert_true(start(f, F_DRIVER));
    for (unsigned i = 0; i < GROUP + 2; i++)
        r[i] = queue_req(f, A7(0x50), i + 1 < GROUP + 2 ? FN : 0, &b, 1);
    kick(f);
    assert_int_equal(f->fake.calls, 0);
    assert_int_equal(drv_used_idx(&f->q), GROUP + 2);
    for (unsigned i = 0; i < GROUP + 2; i++)
        assert_int_equal(status_of(f, &r[i]), VIRTIO_I2C_MSG_ERR);
    /* The next group is served normally. */
    r[0] = queue_req(f, A7(0x50), 0, &b, 1);
    kick(f);
    assert_int_equal(status_of(f, &r[0]), VIRTIO_I2C_MSG_OK);
}

static void test_zero_length(void **state)
{
    struct fixture *f = *state;
    struct req r;

    assert_true(start(f, F_DRIVER));
    r = queue_req(f, A7(0x50), 0, NULL, 0);
    kick(f);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.msgs[0][0].len, 0);
}

static void test_zero_length_not_negotiated(void **state)
{
    struct fixture *f = *state;

    /* The feature is mandatory (virtio 1.2 §5.20.4): FEATURES_OK refused. */
    assert_false(start(f, F(XV_F_VERSION_1)));
}

static void test_zero_length_bus_cannot(void **state)
{
    struct fixture *f = *state;
    struct req r;

    assert_true(start(f, F_DRIVER));
    r = queue_req(f, A7(0x50), 0, NULL, 0);
    kick(f);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(f->fake.calls, 0);
}

static int setup_no_zero_len(void **state)
{
    return setup_bus(state, false, XV_I2C_FUNC_I2C);
}

static void test_ten_bit(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 0x5a;
    struct req r, bad;

    assert_true(start(f, F_DRIVER));
    r = queue_req(f, A10(0x123), 0, &b, 1);
    bad = queue_req(f, A10(0x124), 0, &b, 1);     /* not allowed */
    kick(f);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &bad), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->fake.msgs[0][0].addr, 0x123);
    assert_int_equal(f->fake.msgs[0][0].flags, XV_I2C_MSG_TEN);
}

static void test_decode_addr(void **state)
{
    uint16_t a;
    bool ten;

    (void)state;
    assert_int_equal(xv_i2c_decode_addr(0x00a0, &a, &ten), 0);
    assert_int_equal(a, 0x50);
    assert_false(ten);
    assert_int_equal(xv_i2c_decode_addr(A10(0x3ff), &a, &ten), 0);
    assert_int_equal(a, 0x3ff);
    assert_true(ten);
    assert_int_equal(xv_i2c_decode_addr(0x00a1, &a, &ten), -EINVAL);
    assert_int_equal(xv_i2c_decode_addr(0x01a0, &a, &ten), -EINVAL);
}

static void test_allowlist_refusal(void **state)
{
    struct fixture *f = *state;
    const uint8_t b = 1;
    struct req r1, r2;

    assert_true(start(f, F_DRIVER));
    r1 = queue_req(f, A7(0x52), 0, &b, 1);
    r2 = queue_req(f, A7(0x52), RD, NULL, 1);
    kick(f);
    assert_int_equal(status_of(f, &r1), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(status_of(f, &r2), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(f->fake.calls, 0);
    assert_int_equal(f->i2c.stats.events[XV_I2C_EV_REFUSED], 2);
}

static void test_malformed(void **state)
{
    struct fixture *f = *state;
    uint64_t hdr, buf, st[6];
    struct req ok;
    const uint8_t b = 1;

    assert_true(start(f, F_DRIVER));
    /* Short header. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), 0);
    st[0] = gbuf_alloc(f, 1);
    submit(f, (struct seg[]){ { hdr, 4, false }, { st[0], 1, true } }, 2);
    /* Header in a device-writable buffer. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), 0);
    st[1] = gbuf_alloc(f, 1);
    submit(f, (struct seg[]){ { hdr, 8, true }, { st[1], 1, true } }, 2);
    /* A read whose buffer is device-readable. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), RD);
    buf = gbuf_alloc(f, 4);
    st[2] = gbuf_alloc(f, 1);
    submit(f, (struct seg[]){ { hdr, 8, false }, { buf, 4, false },
                              { st[2], 1, true } }, 3);
    /* A write whose buffer is device-writable. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), 0);
    buf = gbuf_alloc(f, 4);
    st[3] = gbuf_alloc(f, 1);
    submit(f, (struct seg[]){ { hdr, 8, false }, { buf, 4, true },
                              { st[3], 1, true } }, 3);
    /* Oversize. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), RD);
    buf = gbuf_alloc(f, MAXLEN + 1);
    st[4] = gbuf_alloc(f, 1);
    submit(f, (struct seg[]){ { hdr, 8, false }, { buf, MAXLEN + 1, true },
                              { st[4], 1, true } }, 3);
    /* Reserved flag bits. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), 0x100);
    st[5] = gbuf_alloc(f, 1);
    submit(f, (struct seg[]){ { hdr, 8, false }, { st[5], 1, true } }, 2);
    /* No status byte at all: used length 0. */
    hdr = gbuf_alloc(f, 8);
    put_hdr(f, hdr, A7(0x50), 0);
    submit(f, (struct seg[]){ { hdr, 8, false } }, 1);
    /* And the queue keeps going. */
    ok = queue_req(f, A7(0x50), 0, &b, 1);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 8);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(*ram(f, st[i], 1), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(drv_used_elem(&f->q, 6).len, 0);
    assert_int_equal(status_of(f, &ok), VIRTIO_I2C_MSG_OK);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(f->i2c.stats.events[XV_I2C_EV_MALFORMED], 5);
    assert_int_equal(f->i2c.stats.events[XV_I2C_EV_OVERSIZE], 1);
    assert_int_equal(f->i2c.stats.events[XV_I2C_EV_NO_STATUS], 1);
}

static void test_scattered_buffer_bounced(void **state)
{
    struct fixture *f = *state;
    uint64_t hdr = gbuf_alloc(f, 8), b1 = gbuf_alloc(f, 2), b2 = gbuf_alloc(f, 3);
    uint64_t st = gbuf_alloc(f, 1);

    assert_true(start(f, F_DRIVER));
    put_hdr(f, hdr, A7(0x50), RD);
    submit(f, (struct seg[]){ { hdr, 8, false }, { b1, 2, true }, { b2, 3, true },
                              { st, 1, true } }, 4);
    kick(f);
    assert_int_equal(*ram(f, st, 1), VIRTIO_I2C_MSG_OK);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 6);
    assert_int_equal(ram(f, b1, 2)[1], 0xa1);
    assert_int_equal(ram(f, b2, 3)[0], 0xa2);
    assert_int_equal(ram(f, b2, 3)[2], 0xa4);
}

/* Emulated bus: 24C02 at 0x50, LM75 at 0x48 (21.5 degrees). */
static void test_emul_eeprom(void **state)
{
    struct fixture *f = *state;
    uint8_t page[1 + 10], rd[16];
    struct req w, a, r;

    assert_true(start(f, F_DRIVER));
    /* 10 bytes from 0x10: the last two roll over to the page start. */
    page[0] = 0x10;
    for (unsigned i = 0; i < 10; i++)
        page[1 + i] = (uint8_t)(0x30 + i);
    w = queue_req(f, A7(0x50), 0, page, sizeof(page));
    kick(f);
    assert_int_equal(status_of(f, &w), VIRTIO_I2C_MSG_OK);
    a = queue_req(f, A7(0x50), FN, (const uint8_t[]){ 0x10 }, 1);
    r = queue_req(f, A7(0x50), RD, NULL, 8);
    kick(f);
    assert_int_equal(status_of(f, &a), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    memcpy(rd, ram(f, r.buf, 8), 8);
    assert_int_equal(rd[0], 0x38);      /* overwritten by the rollover */
    assert_int_equal(rd[1], 0x39);
    assert_int_equal(rd[2], 0x32);
    assert_int_equal(rd[7], 0x37);
    /* Reads wrap at the end of the array. */
    a = queue_req(f, A7(0x50), FN, (const uint8_t[]){ 0xff }, 1);
    r = queue_req(f, A7(0x50), RD, NULL, 2);
    kick(f);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(ram(f, r.buf, 2)[0], 0xff);
    assert_int_equal(f->emul.eeprom.ptr, 1);
    /* Nobody at 0x51: NACK, the status says so. */
    r = queue_req(f, A7(0x51), 0, NULL, 0);
    kick(f);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_ERR);
}

static void test_emul_lm75(void **state)
{
    struct fixture *f = *state;
    struct req a, r;

    assert_true(start(f, F_DRIVER));
    a = queue_req(f, A7(0x48), FN, (const uint8_t[]){ 0x00 }, 1);
    r = queue_req(f, A7(0x48), RD, NULL, 2);
    kick(f);
    assert_int_equal(status_of(f, &a), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_OK);
    assert_int_equal(ram(f, r.buf, 2)[0], 0x15);    /* 21.5 = 43 halves << 7 */
    assert_int_equal(ram(f, r.buf, 2)[1], 0x80);
    /* Tos is writable, the temperature is not. */
    a = queue_req(f, A7(0x48), 0, (const uint8_t[]){ 0x03, 0x3c, 0x80 }, 3);
    r = queue_req(f, A7(0x48), 0, (const uint8_t[]){ 0x00, 0x00, 0x00 }, 3);
    kick(f);
    assert_int_equal(status_of(f, &a), VIRTIO_I2C_MSG_OK);
    assert_int_equal(status_of(f, &r), VIRTIO_I2C_MSG_ERR);
    assert_int_equal(f->emul.lm75.tos, 0x3c80);
}

/* SMBus fallback: the mapping and the ioctls an SMBus-only adapter gets. */
struct fake_ioctl {
    unsigned calls;
    unsigned long req[4];
    unsigned long slave;
    struct i2c_smbus_ioctl_data smbus;
    union i2c_smbus_data data;
};

static struct fake_ioctl fio;

static int fake_ioctl_fn(int fd, unsigned long request, void *arg)
{
    (void)fd;
    fio.req[fio.calls++ % 4] = request;
    if (request == I2C_SLAVE) {
        fio.slave = (unsigned long)(uintptr_t)arg;
    } else if (request == I2C_SMBUS) {
        struct i2c_smbus_ioctl_data *a = arg;

        fio.smbus = *a;
        if (a->data) {
            fio.data = *a->data;
            if (a->read_write == I2C_SMBUS_READ) {
                a->data->block[0] = 3;
                a->data->block[1] = 0x11;
                a->data->block[2] = 0x22;
                a->data->block[3] = 0x33;
            }
        }
    } else {
        errno = ENOTTY;
        return -1;
    }
    return 0;
}

static void test_smbus_mapping(void **state)
{
    const unsigned long all = I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE |
        I2C_FUNC_SMBUS_BYTE_DATA | I2C_FUNC_SMBUS_WORD_DATA | I2C_FUNC_SMBUS_BLOCK_DATA;
    uint8_t w[8] = { 0x05, 0xaa, 0xbb }, r[8];
    struct xv_i2c_msg m[2] = {
        { 0x50, 0, 0, w }, { 0x50, XV_I2C_MSG_RD, 1, r },
    };
    struct xvd_i2c_smbus_op op;

    (void)state;
    assert_int_equal(xvd_i2c_smbus_map(m, 1, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_QUICK);
    assert_int_equal(op.read_write, I2C_SMBUS_WRITE);
    m[0].len = 1;
    assert_int_equal(xvd_i2c_smbus_map(m, 1, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_BYTE);
    assert_int_equal(op.command, 0x05);
    m[0].len = 2;
    assert_int_equal(xvd_i2c_smbus_map(m, 1, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_BYTE_DATA);
    assert_int_equal(op.data[0], 0xaa);
    m[0].len = 3;
    assert_int_equal(xvd_i2c_smbus_map(m, 1, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_WORD_DATA);
    assert_int_equal(op.data[1], 0xbb);
    /* Block write: command, count, data. */
    w[1] = 3;
    m[0].len = 5;
    assert_int_equal(xvd_i2c_smbus_map(m, 1, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_BLOCK_DATA);
    assert_int_equal(op.data[0], 3);
    m[0].len = 6;                       /* count disagrees with length */
    assert_int_equal(xvd_i2c_smbus_map(m, 1, all, &op), -EOPNOTSUPP);
    /* Register reads. */
    m[0].len = 1;
    assert_int_equal(xvd_i2c_smbus_map(m, 2, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_BYTE_DATA);
    assert_int_equal(op.read_write, I2C_SMBUS_READ);
    m[1].len = 2;
    assert_int_equal(xvd_i2c_smbus_map(m, 2, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_WORD_DATA);
    m[1].len = 5;
    assert_int_equal(xvd_i2c_smbus_map(m, 2, all, &op), 0);
    assert_int_equal(op.size, I2C_SMBUS_BLOCK_DATA);
    /* Without the function, or beyond what SMBus can say: refused. */
    m[1].len = 2;
    assert_int_equal(xvd_i2c_smbus_map(m, 2, I2C_FUNC_SMBUS_BYTE_DATA, &op),
                     -EOPNOTSUPP);
    m[1].addr = 0x51;
    assert_int_equal(xvd_i2c_smbus_map(m, 2, all, &op), -EOPNOTSUPP);
    m[1].addr = 0x50;
    m[0].flags = XV_I2C_MSG_TEN;
    assert_int_equal(xvd_i2c_smbus_map(m, 2, all, &op), -EOPNOTSUPP);
}

static void test_smbus_host_transfer(void **state)
{
    struct xvd_i2c_host h = {
        .fd = -1, .ioctl_fn = fake_ioctl_fn,
        .funcs = I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE_DATA |
                 I2C_FUNC_SMBUS_WORD_DATA,
    };
    uint8_t cmd = 0x02, r[2] = { 0, 0 };
    struct xv_i2c_msg m[3] = {
        { 0x48, 0, 1, &cmd }, { 0x48, XV_I2C_MSG_RD, 2, r }, { 0x48, 0, 1, &cmd },
    };

    (void)state;
    memset(&fio, 0, sizeof(fio));
    assert_int_equal(xvd_i2c_host_ops.funcs(&h), XV_I2C_FUNC_ZERO_LEN);
    /* Write-then-read of a word: I2C_SLAVE then one I2C_SMBUS. */
    assert_int_equal(xvd_i2c_host_ops.transfer(&h, m, 2), 2);
    assert_int_equal(fio.calls, 2);
    assert_int_equal(fio.req[0], I2C_SLAVE);
    assert_int_equal(fio.slave, 0x48);
    assert_int_equal(fio.req[1], I2C_SMBUS);
    assert_int_equal(fio.smbus.size, I2C_SMBUS_WORD_DATA);
    assert_int_equal(fio.smbus.read_write, I2C_SMBUS_READ);
    assert_int_equal(fio.smbus.command, 0x02);
    assert_int_equal(r[0], 3);      /* the word, low byte first */
    assert_int_equal(r[1], 0x11);
    /* Three messages map onto no SMBus transfer: no ioctl at all. */
    fio.calls = 0;
    assert_int_equal(xvd_i2c_host_ops.transfer(&h, m, 3), -EOPNOTSUPP);
    assert_int_equal(fio.calls, 0);
    /* Quick write. */
    m[0].len = 0;
    assert_int_equal(xvd_i2c_host_ops.transfer(&h, m, 1), 1);
    assert_int_equal(fio.smbus.size, I2C_SMBUS_QUICK);
    assert_null(fio.smbus.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_is_fetched_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_then_read_is_one_transfer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_next_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bus_failure_fails_the_group, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_group_filling_ring_fails,
                                        setup_small_ring, teardown),
        cmocka_unit_test_setup_teardown(test_group_held_until_complete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_group_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_length_not_negotiated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zero_length_bus_cannot, setup_no_zero_len,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ten_bit, setup, teardown),
        cmocka_unit_test(test_decode_addr),
        cmocka_unit_test_setup_teardown(test_allowlist_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scattered_buffer_bounced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emul_eeprom, setup_emul, teardown),
        cmocka_unit_test_setup_teardown(test_emul_lm75, setup_emul, teardown),
        cmocka_unit_test(test_smbus_mapping),
        cmocka_unit_test(test_smbus_host_transfer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
