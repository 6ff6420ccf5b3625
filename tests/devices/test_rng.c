/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-rng engine driven through the real core: registers through
 * xv_mmio_*, chains written into the test platform's guest RAM (bounce
 * mode, so a stray write past a segment trips AddressSanitizer), and a
 * fake entropy source that counts what it is asked for and can run short
 * or dry. Then the token bucket, on injected time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rng.h"
#include "rng_bucket.h"
#include "ring_helper.h"
#include "test_platform.h"

#define QSIZE   16u
#define BUF_GPA (TP_RAM_GPA + 0x10000)
#define UNTOUCHED 0xeeu

#define NEXT  XV_VRING_DESC_F_NEXT
#define WRITE XV_VRING_DESC_F_WRITE
#define F_DRIVER (XV_FEATURE(XV_F_VERSION_1) | XV_FEATURE(XV_F_RING_RESET))

/* Gives bytes 1, 2, 3, ... (never 0 or UNTOUCHED before wrapping far). */
struct fake_source {
    unsigned calls;
    size_t asked, given;
    size_t budget;              /* bytes it may still give; SIZE_MAX: any */
    size_t extra;               /* claims this many bytes more than asked */
    uint8_t next;
};

static size_t fake_fill(void *opaque, void *buf, size_t len)
{
    struct fake_source *s = opaque;
    size_t n = len < s->budget ? len : s->budget;

    s->calls++;
    s->asked += len;
    for (size_t i = 0; i < n; i++) {
        s->next = (uint8_t)(s->next == 0xed ? 1 : s->next + 1);
        ((uint8_t *)buf)[i] = s->next;
    }
    s->given += n;
    if (s->budget != SIZE_MAX)
        s->budget -= n;
    return n ? n + s->extra : 0;
}

static const struct xv_rng_source_ops fake_ops = { .fill = fake_fill };

struct fixture {
    struct test_platform tp;
    struct xv_device dev;
    struct xv_rng rng;
    struct fake_source src;
    struct drv_vq q;
    uint64_t next_gpa;
    uint16_t next_desc;
    unsigned events[XV_RNG_EV_COUNT];
};

static void on_event(void *opaque, enum xv_rng_event ev)
{
    struct fixture *f = opaque;

    assert_true(ev < XV_RNG_EV_COUNT);
    f->events[ev]++;
}

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

static void start(struct fixture *f)
{
    w32(f, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    w32(f, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(f, XV_MMIO_DRIVER_FEATURES, (uint32_t)(F_DRIVER >> 32));
    w32(f, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
        XV_STATUS_FEATURES_OK);
    assert_true(r32(f, XV_MMIO_STATUS) & XV_STATUS_FEATURES_OK);
    drv_vq_layout(&f->q, &f->tp, TP_RAM_GPA, QSIZE);
    w32(f, XV_MMIO_QUEUE_SEL, 0);
    w32(f, XV_MMIO_QUEUE_NUM, QSIZE);
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
}

static int setup_params(void **state, uint32_t max_request, unsigned batch)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct xv_rng_params params;
    struct xv_rng_source source;

    assert_non_null(f);
    assert_int_equal(tp_init(&f->tp, 0), 0);
    f->tp.bounce = true;
    f->tp.expected_dev = &f->dev;
    f->next_gpa = BUF_GPA;
    f->src.budget = SIZE_MAX;
    xv_rng_default_params(&params);
    params.queue_size = QSIZE;
    params.max_request = max_request;
    params.max_requests_per_call = batch;
    params.event = on_event;
    params.event_opaque = f;
    source = (struct xv_rng_source){ &fake_ops, &f->src };
    assert_int_equal(xv_rng_init(&f->rng, &f->dev, &f->tp.platform, &source,
                                 &params), 0);
    start(f);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_params(state, 4096, 0);
}

static int setup_cap(void **state)
{
    return setup_params(state, 32, 0);
}

static int setup_batch(void **state)
{
    return setup_params(state, 4096, 4);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    w32(f, XV_MMIO_STATUS, 0);
    assert_int_equal(xv_rng_in_flight(&f->rng), 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    assert_int_equal(f->tp.unmap_mismatch, 0);
    assert_int_equal(f->tp.wrong_dev_calls, 0);
    assert_true(tp_guards_intact(&f->tp));
    tp_fini(&f->tp);
    free(f);
    return 0;
}

static uint64_t gbuf_alloc(struct fixture *f, uint32_t len)
{
    uint64_t gpa = f->next_gpa;

    f->next_gpa = (f->next_gpa + len + 16 + 15) & ~15ull;
    memset(tp_ram_ptr(&f->tp, gpa, len + 16), UNTOUCHED, len + 16);
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
        uint16_t idx = (uint16_t)((head + i) % QSIZE);

        drv_desc(&f->q, idx, s[i].gpa, s[i].len,
                 (uint16_t)((s[i].write ? WRITE : 0) | (i + 1 < n ? NEXT : 0)),
                 (uint16_t)((idx + 1) % QSIZE));
    }
    f->next_desc = (uint16_t)((head + n) % QSIZE);
    drv_avail_add(&f->q, head);
    return head;
}

/* One writable buffer, as Linux queues it. */
static uint64_t submit_one(struct fixture *f, uint32_t len)
{
    struct seg s = { gbuf_alloc(f, len), len, true };

    submit(f, &s, 1);
    return s.gpa;
}

static void kick(struct fixture *f)
{
    w32(f, XV_MMIO_QUEUE_NOTIFY, 0);
    xv_device_process_queue(&f->dev, 0);
}

/* Bytes [0, filled) of the buffer hold entropy (never UNTOUCHED), the
 * rest up to len + the allocation's slack are untouched. */
static void assert_filled(struct fixture *f, uint64_t gpa, uint32_t len,
                          uint32_t filled)
{
    const uint8_t *p = ram(f, gpa, len + 16);

    for (uint32_t i = 0; i < filled; i++)
        assert_int_not_equal(p[i], UNTOUCHED);
    for (uint32_t i = filled; i < len + 16; i++)
        assert_int_equal(p[i], UNTOUCHED);
}

static void test_single_buffer(void **state)
{
    struct fixture *f = *state;
    uint64_t buf = submit_one(f, 64);
    uint16_t id;

    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 1);
    id = (uint16_t)drv_used_elem(&f->q, 0).id;
    assert_int_equal(id, 0);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 64);
    assert_filled(f, buf, 64, 64);
    assert_int_equal(f->src.asked, 64);
    assert_true(f->tp.interrupt_calls >= 1);
    assert_int_equal(f->rng.stats.bytes, 64);
    assert_false(r32(f, XV_MMIO_STATUS) & XV_STATUS_DEVICE_NEEDS_RESET);
}

/* Every writable segment is filled in order; the used length is the sum. */
static void test_multi_buffer_chain(void **state)
{
    struct fixture *f = *state;
    struct seg s[3] = {
        { gbuf_alloc(f, 16), 16, true },
        { gbuf_alloc(f, 1), 1, true },
        { gbuf_alloc(f, 40), 40, true },
    };

    submit(f, s, 3);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 57);
    assert_filled(f, s[0].gpa, 16, 16);
    assert_filled(f, s[1].gpa, 1, 1);
    assert_filled(f, s[2].gpa, 40, 40);
    /* The bytes run on across segments: the source's stream, in order. */
    assert_int_equal(*ram(f, s[1].gpa, 1), 17);
    assert_int_equal(*ram(f, s[2].gpa, 1), 18);
    assert_int_equal(f->src.calls, 3);
}

/* A source giving less than asked: the chain completes with what it got,
 * and nothing is written past it. */
static void test_short_source(void **state)
{
    struct fixture *f = *state;
    struct seg s[2] = {
        { gbuf_alloc(f, 16), 16, true },
        { gbuf_alloc(f, 16), 16, true },
    };

    f->src.budget = 20;
    submit(f, s, 2);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 20);
    assert_filled(f, s[0].gpa, 16, 16);
    assert_filled(f, s[1].gpa, 16, 4);
    assert_int_equal(f->rng.stats.short_fills, 1);
    assert_int_equal(xv_rng_in_flight(&f->rng), 0);
}

/* A source that overstates what it gave cannot inflate the used length. */
static void test_source_overstates(void **state)
{
    struct fixture *f = *state;
    uint64_t buf = submit_one(f, 8);

    f->src.extra = 100;
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 8);
    assert_filled(f, buf, 8, 8);
}

/* A dry source: the chain waits (never completed empty), the chains behind
 * it are not touched, the driver's kicks do not make the engine spin, and
 * xv_rng_kick() once the source has more serves them all in order. */
static void test_dry_source_waits(void **state)
{
    struct fixture *f = *state;
    uint64_t a = submit_one(f, 32), b = submit_one(f, 32);

    f->src.budget = 0;
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 0);
    assert_int_equal(xv_rng_in_flight(&f->rng), 1);
    assert_int_equal(f->src.calls, 1);
    assert_int_equal(f->rng.stats.waits, 1);
    /* Only the first chain was popped. */
    assert_int_equal(xv_vq_avail_count(&f->rng.vq), 1);
    /* The driver kicks again: one more try of the same chain, nothing else. */
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 0);
    assert_int_equal(f->src.calls, 2);
    assert_int_equal(xv_vq_avail_count(&f->rng.vq), 1);
    assert_int_equal(f->tp.queue_notify_calls, 2);  /* the two MMIO kicks */
    /* Entropy again: the source kicks, the platform is asked to process. */
    f->src.budget = SIZE_MAX;
    xv_rng_kick(&f->rng);
    assert_int_equal(f->tp.queue_notify_calls, 3);
    xv_device_process_queue(&f->dev, 0);
    assert_int_equal(drv_used_idx(&f->q), 2);
    assert_int_equal(drv_used_elem(&f->q, 0).id, 0);
    assert_int_equal(drv_used_elem(&f->q, 1).id, 1);
    assert_filled(f, a, 32, 32);
    assert_filled(f, b, 32, 32);
    assert_int_equal(xv_rng_in_flight(&f->rng), 0);
    /* Nothing waits: a kick from the source asks for nothing. */
    xv_rng_kick(&f->rng);
    assert_int_equal(f->tp.queue_notify_calls, 3);
}

/* A reset while a chain waits releases it. */
static void test_reset_while_waiting(void **state)
{
    struct fixture *f = *state;

    f->src.budget = 0;
    submit_one(f, 32);
    kick(f);
    assert_int_equal(xv_rng_in_flight(&f->rng), 1);
    assert_int_equal(tp_outstanding(&f->tp), 4);  /* 3 rings + the chain */
    w32(f, XV_MMIO_STATUS, 0);
    assert_int_equal(xv_rng_in_flight(&f->rng), 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
}

/* QueueReset drops the waiting chain too. */
static void test_queue_reset_while_waiting(void **state)
{
    struct fixture *f = *state;

    f->src.budget = 0;
    submit_one(f, 32);
    kick(f);
    assert_int_equal(xv_rng_in_flight(&f->rng), 1);
    w32(f, XV_MMIO_QUEUE_SEL, 0);
    w32(f, XV_MMIO_QUEUE_RESET, 1);
    assert_int_equal(xv_rng_in_flight(&f->rng), 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
}

/* Readable-only, mixed and empty chains: used length 0, no entropy spent,
 * nothing written, the device goes on serving good chains. */
static void test_bad_chains(void **state)
{
    struct fixture *f = *state;
    struct seg ro = { gbuf_alloc(f, 16), 16, false };
    struct seg mixed[2] = {
        { gbuf_alloc(f, 8), 8, false },
        { gbuf_alloc(f, 16), 16, true },
    };
    struct seg empty = { gbuf_alloc(f, 0), 0, true };
    uint64_t good;

    submit(f, &ro, 1);
    submit(f, mixed, 2);
    submit(f, &empty, 1);
    good = submit_one(f, 16);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 4);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 0);
    assert_int_equal(drv_used_elem(&f->q, 1).len, 0);
    assert_int_equal(drv_used_elem(&f->q, 2).len, 0);
    assert_int_equal(drv_used_elem(&f->q, 3).len, 16);
    assert_filled(f, ro.gpa, 16, 0);
    assert_filled(f, mixed[0].gpa, 8, 0);
    assert_filled(f, mixed[1].gpa, 16, 0);
    assert_filled(f, good, 16, 16);
    assert_int_equal(f->src.asked, 16);
    assert_int_equal(f->events[XV_RNG_EV_READABLE], 2);
    assert_int_equal(f->events[XV_RNG_EV_NO_BUFFER], 1);
    assert_false(r32(f, XV_MMIO_STATUS) & XV_STATUS_DEVICE_NEEDS_RESET);
}

/* A chain with no descriptor the device may write, while the source is
 * dry: it completes (empty) rather than waiting for entropy it cannot use. */
static void test_readable_while_dry(void **state)
{
    struct fixture *f = *state;
    struct seg ro = { gbuf_alloc(f, 16), 16, false };

    f->src.budget = 0;
    submit(f, &ro, 1);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_int_equal(xv_rng_in_flight(&f->rng), 0);
    assert_int_equal(f->src.calls, 0);
}

/* max_request caps one chain, however long; the next chain gets its own. */
static void test_cap(void **state)
{
    struct fixture *f = *state;
    struct seg s[2] = {
        { gbuf_alloc(f, 20), 20, true },
        { gbuf_alloc(f, 100), 100, true },
    };
    uint64_t next;

    submit(f, s, 2);
    next = submit_one(f, 64);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 2);
    assert_int_equal(drv_used_elem(&f->q, 0).len, 32);
    assert_filled(f, s[0].gpa, 20, 20);
    assert_filled(f, s[1].gpa, 100, 12);
    assert_int_equal(drv_used_elem(&f->q, 1).len, 32);
    assert_filled(f, next, 64, 32);
    assert_int_equal(f->src.asked, 64);
    assert_int_equal(f->rng.stats.short_fills, 0);
}

/* max_requests_per_call bounds one call; the rest is asked for again. */
static void test_batch_yields(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 0; i < 6; i++)
        submit_one(f, 8);
    kick(f);
    assert_int_equal(drv_used_idx(&f->q), 4);
    assert_int_equal(f->tp.queue_notify_calls, 2);  /* the kick, the yield */
    xv_device_process_queue(&f->dev, 0);
    assert_int_equal(drv_used_idx(&f->q), 6);
}

static void test_init_rejects(void **state)
{
    struct test_platform tp;
    struct xv_device dev;
    struct xv_rng rng;
    struct fake_source src = { .budget = SIZE_MAX };
    struct xv_rng_source source = { &fake_ops, &src };
    struct xv_rng_source no_ops = { NULL, &src };
    struct xv_rng_params p;

    (void)state;
    assert_int_equal(tp_init(&tp, 0), 0);
    xv_rng_default_params(&p);
    assert_int_equal(xv_rng_init(&rng, &dev, &tp.platform, &no_ops, &p), -EINVAL);
    p.queue_size = 48;
    assert_int_equal(xv_rng_init(&rng, &dev, &tp.platform, &source, &p), -EINVAL);
    xv_rng_default_params(&p);
    p.max_request = 0;
    assert_int_equal(xv_rng_init(&rng, &dev, &tp.platform, &source, &p), -EINVAL);
    xv_rng_default_params(&p);
    assert_int_equal(xv_rng_init(&rng, &dev, &tp.platform, &source, &p), 0);
    assert_ptr_equal(xv_rng_from_device(&dev), &rng);
    {
        uint32_t id = 0;

        assert_int_equal(xv_mmio_read(&dev, XV_MMIO_DEVICE_ID, 4, &id), 0);
        assert_int_equal(id, 4);
    }
    tp_fini(&tp);
}

/*
 * The token bucket, on injected time (nanoseconds).
 */
#define S  1000000000ull
#define MS 1000000ull

static void test_bucket_starts_full_and_refills(void **state)
{
    struct xv_bucket b;

    (void)state;
    assert_int_equal(xv_bucket_init(&b, 1000, 500, 0), 0);
    assert_int_equal(xv_bucket_available(&b, 0), 500);
    xv_bucket_consume(&b, 500);
    assert_int_equal(xv_bucket_available(&b, 0), 0);
    assert_int_equal(xv_bucket_available(&b, 100 * MS), 100);
    assert_int_equal(xv_bucket_available(&b, 250 * MS), 250);
    /* Never above burst, however long the pause. */
    assert_int_equal(xv_bucket_available(&b, 1000 * S), 500);
    assert_int_equal(xv_bucket_available(&b, UINT64_MAX), 500);
}

/* Fractions of a byte add up instead of being lost at each look. */
static void test_bucket_fractions(void **state)
{
    struct xv_bucket b;
    uint64_t t = 0;

    (void)state;
    assert_int_equal(xv_bucket_init(&b, 3, 10, 0), 0);
    xv_bucket_consume(&b, 10);
    for (unsigned i = 0; i < 9; i++) {
        t += S / 9;     /* 1/3 byte at each step */
        xv_bucket_available(&b, t);
    }
    /* 9 * (S/9) is a few ns short of 1 s: 2 whole bytes, the third almost. */
    assert_int_equal(xv_bucket_available(&b, t), 2);
    assert_int_equal(xv_bucket_available(&b, S), 3);
}

/* wait_ns is exact: one ns earlier the bytes are not there, at it they are. */
static void test_bucket_wait(void **state)
{
    struct xv_bucket b, copy;
    uint64_t w;

    (void)state;
    assert_int_equal(xv_bucket_init(&b, 7, 100, 5 * S), 0);
    assert_int_equal(xv_bucket_wait_ns(&b, 5 * S, 100), 0);
    xv_bucket_consume(&b, 100);
    w = xv_bucket_wait_ns(&b, 5 * S, 10);
    assert_true(w > 0);
    copy = b;
    assert_true(xv_bucket_available(&copy, 5 * S + w - 1) < 10);
    assert_true(xv_bucket_available(&b, 5 * S + w) >= 10);
    /* Asking for more than the burst waits for the burst, not forever. */
    xv_bucket_consume(&b, xv_bucket_available(&b, 5 * S + w));
    w = xv_bucket_wait_ns(&b, 5 * S + w, 1000);
    assert_true(w <= 100 * S / 7 + 1);
}

/* A clock that steps back gives nothing and breaks nothing. */
static void test_bucket_clock_back(void **state)
{
    struct xv_bucket b;

    (void)state;
    assert_int_equal(xv_bucket_init(&b, 1000, 1000, 10 * S), 0);
    xv_bucket_consume(&b, 1000);
    assert_int_equal(xv_bucket_available(&b, 5 * S), 0);
    assert_int_equal(xv_bucket_available(&b, 5 * S + 100 * MS), 100);
}

static void test_bucket_unlimited_and_limits(void **state)
{
    struct xv_bucket b;

    (void)state;
    assert_int_equal(xv_bucket_init(&b, 0, 1, 0), 0);
    assert_int_equal(xv_bucket_available(&b, 0), UINT64_MAX);
    xv_bucket_consume(&b, 1u << 30);
    assert_int_equal(xv_bucket_available(&b, 0), UINT64_MAX);
    assert_int_equal(xv_bucket_wait_ns(&b, 0, 1u << 30), 0);
    assert_int_equal(xv_bucket_init(&b, 1, 0, 0), -EINVAL);
    assert_int_equal(xv_bucket_init(&b, XV_BUCKET_RATE_MAX + 1, 1, 0), -EINVAL);
    assert_int_equal(xv_bucket_init(&b, 1, XV_BUCKET_BURST_MAX + 1, 0), -EINVAL);
    /* The largest values do not overflow. */
    assert_int_equal(xv_bucket_init(&b, XV_BUCKET_RATE_MAX, XV_BUCKET_BURST_MAX, 0), 0);
    xv_bucket_consume(&b, XV_BUCKET_BURST_MAX);
    assert_int_equal(xv_bucket_available(&b, S / 2), XV_BUCKET_BURST_MAX / 2);
    assert_int_equal(xv_bucket_available(&b, 3 * S), XV_BUCKET_BURST_MAX);
}

/* Whatever the pattern of reads, bytes taken over [0, T] <= burst + rate*T. */
static void test_bucket_bound(void **state)
{
    struct xv_bucket b;
    uint64_t t = 0, taken = 0, seed = 12345;
    const uint64_t rate = 4096, burst = 1000;

    (void)state;
    assert_int_equal(xv_bucket_init(&b, rate, burst, 0), 0);
    for (unsigned i = 0; i < 100000; i++) {
        uint64_t avail, want;

        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        t += (seed >> 33) % (3 * MS);
        want = (seed >> 20) % 200 + 1;
        avail = xv_bucket_available(&b, t);
        if (want > avail)
            want = avail;
        xv_bucket_consume(&b, want);
        taken += want;
        assert_true(taken <= burst + rate * t / S);
    }
    /* And the limit is not needlessly strict: a greedy reader gets close. */
    assert_true(taken + 200 + rate / 100 >= rate * t / S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_buffer_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_overstates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_source_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_reset_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readable_while_dry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap, setup_cap, teardown),
        cmocka_unit_test_setup_teardown(test_batch_yields, setup_batch, teardown),
        cmocka_unit_test(test_init_rejects),
        cmocka_unit_test(test_bucket_starts_full_and_refills),
        cmocka_unit_test(test_bucket_fractions),
        cmocka_unit_test(test_bucket_wait),
        cmocka_unit_test(test_bucket_clock_back),
        cmocka_unit_test(test_bucket_unlimited_and_limits),
        cmocka_unit_test(test_bucket_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
