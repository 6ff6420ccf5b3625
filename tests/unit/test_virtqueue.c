/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The split virtqueue (virtio 1.2 §2.7) against a driver that is written
 * into a flat guest RAM by ring_helper: chain walking, used ring
 * publication, both notification suppression schemes, 16-bit index
 * wraparound, and every malformed chain a hostile guest can build.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ring_helper.h"
#include "test_platform.h"

#define F_V1       XV_FEATURE(XV_F_VERSION_1)
#define F_INDIRECT XV_FEATURE(XV_F_INDIRECT_DESC)
#define F_EVENT    XV_FEATURE(XV_F_EVENT_IDX)
#define F_RESET    XV_FEATURE(XV_F_RING_RESET)

#define NEXT  XV_VRING_DESC_F_NEXT
#define WRITE XV_VRING_DESC_F_WRITE
#define INDIR XV_VRING_DESC_F_INDIRECT

#define MAX_SEGS 64u

struct fixture {
    struct test_platform tp;
    struct test_dev td;
    struct drv_vq q;
    struct xv_vq *vq;
    uint64_t data_gpa;          /* start of the free RAM after the rings */
    struct xv_iovec iov[MAX_SEGS];
    struct xv_gbuf gbuf[MAX_SEGS];
    struct xv_chain chain;
    uint8_t *snapshot;          /* RAM copy for "what changed" checks */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(tp_init(&f->tp, 0), 0);
    td_defaults(&f->td);
    f->td.instance.num_queues = 1;
    f->td.instance.queue_max_size = XV_VQ_MAX_SIZE;
    f->td.instance.features = 0;
    assert_int_equal(td_init(&f->td, &f->tp), 0);
    f->vq = &f->td.vqs[0];
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    /* A test that failed half-way may still hold its chain. */
    if (f->chain.mapped)
        xv_vq_unmap_chain(f->vq, &f->chain);
    /* Whatever the test did, a device reset gives every mapping back. */
    td_w32(&f->td, XV_MMIO_STATUS, 0);
    const char *problem = NULL;
    if (tp_outstanding(&f->tp) != 0)
        problem = "mappings left after reset";
    else if (f->tp.unmap_mismatch)
        problem = "unmap() without matching map()";
    else if (f->tp.bad_map_args)
        problem = "map() with no buffers";
    else if (f->tp.wrong_dev_calls)
        problem = "callback for another device";
    else if (f->tp.bad_fault_code)
        problem = "fault code out of range";
    else if (f->td.queue_work_in_mmio)
        problem = "queue_work ran inside xv_mmio_write";
    else if (!tp_guards_intact(&f->tp))
        problem = "guard bytes around guest RAM overwritten";
    free(f->snapshot);
    tp_fini(&f->tp);
    free(f);
    if (problem)
        fail_msg("%s", problem);
    return 0;
}

static void reset_chain(struct fixture *f, uint16_t max_segs)
{
    memset(&f->chain, 0, sizeof(f->chain));
    f->chain.iov = f->iov;
    f->chain.gbuf = f->gbuf;
    f->chain.max_segs = max_segs;
}

/* Negotiate V1 + features, lay out and enable queue 0 with num entries,
 * DRIVER_OK. */
static void start(struct fixture *f, uint16_t num, uint64_t features)
{
    drv_vq_layout(&f->q, &f->tp, TP_RAM_GPA, num);
    f->data_gpa = (f->q.end_gpa + 0xfff) & ~0xfffull;
    assert_int_equal(td_negotiate(&f->td, F_V1 | features),
                     XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER | XV_STATUS_FEATURES_OK);
    assert_int_equal(td_setup_queue(&f->td, 0, num, f->q.desc_gpa,
                                    f->q.avail_gpa, f->q.used_gpa), 1);
    assert_true(td_driver_ok(&f->td) & XV_STATUS_DRIVER_OK);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    reset_chain(f, MAX_SEGS);
    tp_clear_counters(&f->tp);
}

static int pop(struct fixture *f)
{
    uint16_t max_segs = f->chain.max_segs;
    reset_chain(f, max_segs);
    return xv_vq_pop(f->vq, &f->chain);
}

static uint8_t *ram(struct fixture *f, uint64_t gpa, size_t len)
{
    uint8_t *p = tp_ram_ptr(&f->tp, gpa, len);
    assert_non_null(p);
    return p;
}

static void fill(struct fixture *f, uint64_t gpa, size_t len, uint8_t seed)
{
    uint8_t *p = ram(f, gpa, len);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i);
}

static void take_snapshot(struct fixture *f)
{
    free(f->snapshot);
    f->snapshot = malloc(f->tp.ram_size);
    assert_non_null(f->snapshot);
    memcpy(f->snapshot, f->tp.ram, f->tp.ram_size);
}

/* Fail if guest RAM changed outside [lo0,hi0) and [lo1,hi1). */
static void assert_changed_only(struct fixture *f, uint64_t lo0, uint64_t hi0,
                                uint64_t lo1, uint64_t hi1)
{
    for (size_t i = 0; i < f->tp.ram_size; i++) {
        uint64_t gpa = f->tp.ram_gpa + i;
        if ((gpa >= lo0 && gpa < hi0) || (gpa >= lo1 && gpa < hi1))
            continue;
        if (f->tp.ram[i] != f->snapshot[i])
            fail_msg("guest RAM at 0x%llx changed unexpectedly",
                     (unsigned long long)gpa);
    }
}

static void assert_used(struct fixture *f, uint16_t pos, uint32_t id,
                        uint32_t len)
{
    struct xv_vring_used_elem e = drv_used_elem(&f->q, pos);
    assert_int_equal(e.id, id);
    assert_int_equal(e.len, len);
}

static bool needs_reset(struct fixture *f)
{
    return td_r32(&f->td, XV_MMIO_STATUS) & XV_STATUS_DEVICE_NEEDS_RESET;
}

/*
 * Well-formed chains.
 */
static void test_pop_push_simple(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    fill(f, f->data_gpa, 16, 0x40);
    drv_desc(&f->q, 0, f->data_gpa, 16, 0, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(xv_vq_avail_count(f->vq), 1);

    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.head, 0);
    assert_int_equal(f->chain.nr_readable, 1);
    assert_int_equal(f->chain.nr_writable, 0);
    assert_int_equal(f->chain.readable_len, 16);
    assert_int_equal(f->chain.writable_len, 0);
    assert_true(f->chain.mapped);
    assert_int_equal(f->gbuf[0].addr, f->data_gpa);
    assert_int_equal(f->gbuf[0].len, 16);
    assert_false(f->gbuf[0].writable);
    assert_ptr_equal(f->iov[0].base, ram(f, f->data_gpa, 16));
    assert_int_equal(f->iov[0].len, 16);
    assert_int_equal(tp_outstanding(&f->tp), 4);
    assert_int_equal(f->vq->in_flight, 1);

    uint8_t buf[16];
    assert_int_equal(xv_chain_read(&f->chain, 0, buf, sizeof(buf)), 16);
    assert_memory_equal(buf, ram(f, f->data_gpa, 16), 16);

    assert_int_equal(xv_vq_avail_count(f->vq), 0);
    struct xv_chain first = f->chain;
    assert_int_equal(pop(f), 0);

    take_snapshot(f);
    xv_vq_push(f->vq, &first, 0);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_used(f, 0, 0, 0);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    assert_int_equal(f->vq->in_flight, 0);
    assert_changed_only(f, f->q.used_gpa, f->q.end_gpa, 0, 0);
    assert_int_equal(f->tp.fault_calls, 0);
}

static void test_readable_then_writable(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    uint64_t r0 = f->data_gpa, r1 = f->data_gpa + 0x100, w0 = f->data_gpa + 0x200;
    fill(f, r0, 10, 1);
    fill(f, r1, 20, 100);
    drv_desc(&f->q, 5, r0, 10, NEXT, 2);
    drv_desc(&f->q, 2, r1, 20, NEXT, 7);
    drv_desc(&f->q, 7, w0, 30, WRITE, 0);
    drv_avail_add(&f->q, 5);

    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.head, 5);
    assert_int_equal(f->chain.nr_readable, 2);
    assert_int_equal(f->chain.nr_writable, 1);
    assert_int_equal(f->chain.readable_len, 30);
    assert_int_equal(f->chain.writable_len, 30);
    assert_int_equal(f->gbuf[0].addr, r0);
    assert_int_equal(f->gbuf[1].addr, r1);
    assert_int_equal(f->gbuf[2].addr, w0);
    assert_false(f->gbuf[1].writable);
    assert_true(f->gbuf[2].writable);
    assert_int_equal(f->iov[2].len, 30);

    /* The readable bytes come out in chain order. */
    uint8_t in[30];
    assert_int_equal(xv_chain_read(&f->chain, 0, in, sizeof(in)), 30);
    assert_memory_equal(in, ram(f, r0, 10), 10);
    assert_memory_equal(in + 10, ram(f, r1, 20), 20);

    take_snapshot(f);
    const char reply[] = "twenty-five bytes reply!";
    assert_int_equal(xv_chain_write(&f->chain, 0, reply, 25), 25);
    xv_vq_push(f->vq, &f->chain, 25);
    assert_memory_equal(ram(f, w0, 25), reply, 25);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_used(f, 0, 5, 25);
    /* Only the writable buffer and the used ring were written. */
    assert_changed_only(f, w0, w0 + 30, f->q.used_gpa, f->q.end_gpa);
}

/* Segment-spanning copies stay within what was mapped. Run with bounced
 * data buffers so an overrun is a heap overflow, not a silent RAM write. */
static void test_chain_copy_bounds(void **state)
{
    struct fixture *f = *state;
    f->tp.bounce = true;
    start(f, 8, 0);
    uint64_t d = f->data_gpa;
    fill(f, d, 0x400, 0);
    drv_desc(&f->q, 0, d, 3, NEXT, 1);
    drv_desc(&f->q, 1, d + 0x40, 5, NEXT, 2);
    drv_desc(&f->q, 2, d + 0x100, 4, NEXT | WRITE, 3);
    drv_desc(&f->q, 3, d + 0x140, 4, NEXT | WRITE, 4);
    drv_desc(&f->q, 4, d + 0x180, 8, WRITE, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.readable_len, 8);
    assert_int_equal(f->chain.writable_len, 16);

    uint8_t in[32];
    memset(in, 0xee, sizeof(in));
    assert_int_equal(xv_chain_read(&f->chain, 1, in, 6), 6);
    const uint8_t expect_in[] = { 1, 2, 0x40, 0x41, 0x42, 0x43 };
    assert_memory_equal(in, expect_in, 6);
    /* Reads stop at the end of the readable part. */
    assert_int_equal(xv_chain_read(&f->chain, 5, in, sizeof(in)), 3);
    assert_int_equal(xv_chain_read(&f->chain, 8, in, sizeof(in)), 0);
    assert_int_equal(xv_chain_read(&f->chain, 1000, in, sizeof(in)), 0);

    uint8_t out[32];
    for (unsigned i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(0xc0 + i);
    /* Offsets count from the first writable byte; writes stop at the end. */
    assert_int_equal(xv_chain_write(&f->chain, 2, out, 12), 12);
    assert_int_equal(xv_chain_write(&f->chain, 14, out, sizeof(out)), 2);
    assert_int_equal(xv_chain_write(&f->chain, 16, out, 1), 0);
    assert_int_equal(xv_chain_write(&f->chain, 1u << 30, out, 1), 0);
    xv_vq_push(f->vq, &f->chain, 16);

    const uint8_t expect_w0[] = { 0x00, 0x01, 0xc0, 0xc1 };
    const uint8_t expect_w1[] = { 0xc2, 0xc3, 0xc4, 0xc5 };
    const uint8_t expect_w2[] = { 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xc0, 0xc1 };
    assert_memory_equal(ram(f, d + 0x100, 4), expect_w0, 4);
    assert_memory_equal(ram(f, d + 0x140, 4), expect_w1, 4);
    assert_memory_equal(ram(f, d + 0x180, 8), expect_w2, 8);
    /* The readable buffers were not written through. */
    assert_int_equal(*ram(f, d, 1), 0);
    assert_int_equal(*ram(f, d + 0x40, 1), 0x40);
    assert_int_equal(*ram(f, d + 0x188, 1), (uint8_t)0x88);
    assert_used(f, 0, 0, 16);
}

static void test_chain_write_never_touches_readable(void **state)
{
    struct fixture *f = *state;
    start(f, 4, 0);
    fill(f, f->data_gpa, 64, 7);
    drv_desc(&f->q, 1, f->data_gpa, 64, 0, 0);
    drv_avail_add(&f->q, 1);
    assert_int_equal(pop(f), 1);
    take_snapshot(f);
    uint8_t junk[64] = { 0 };
    assert_int_equal(xv_chain_write(&f->chain, 0, junk, sizeof(junk)), 0);
    xv_vq_push(f->vq, &f->chain, 0);
    assert_changed_only(f, f->q.used_gpa, f->q.end_gpa, 0, 0);
}

static void test_indirect(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    uint64_t table = f->data_gpa, d = f->data_gpa + 0x1000;
    fill(f, d, 16, 9);
    /* Table order differs from chain order: 0 -> 2 -> 1 -> 3. */
    drv_desc_at(&f->tp, table, 0, d, 8, NEXT, 2);
    drv_desc_at(&f->tp, table, 2, d + 8, 8, NEXT, 1);
    drv_desc_at(&f->tp, table, 1, d + 0x100, 16, NEXT | WRITE, 3);
    drv_desc_at(&f->tp, table, 3, d + 0x200, 32, WRITE, 0);
    drv_desc(&f->q, 3, table, 4 * 16, INDIR, 0);
    drv_avail_add(&f->q, 3);

    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.head, 3);
    assert_int_equal(f->chain.nr_readable, 2);
    assert_int_equal(f->chain.nr_writable, 2);
    assert_int_equal(f->chain.readable_len, 16);
    assert_int_equal(f->chain.writable_len, 48);
    assert_int_equal(f->gbuf[0].addr, d);
    assert_int_equal(f->gbuf[1].addr, d + 8);
    assert_int_equal(f->gbuf[2].addr, d + 0x100);
    assert_int_equal(f->gbuf[3].addr, d + 0x200);
    assert_true(f->gbuf[3].writable);
    uint8_t in[16];
    assert_int_equal(xv_chain_read(&f->chain, 0, in, 16), 16);
    assert_memory_equal(in, ram(f, d, 16), 16);
    assert_int_equal(xv_chain_write(&f->chain, 0, in, 16), 16);
    xv_vq_push(f->vq, &f->chain, 16);
    assert_memory_equal(ram(f, d + 0x100, 16), ram(f, d, 16), 16);
    assert_used(f, 0, 3, 16);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    assert_int_equal(f->tp.fault_calls, 0);
}

static void test_multiple_chains_out_of_order(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    for (uint16_t i = 0; i < 3; i++) {
        drv_desc(&f->q, (uint16_t)(2 * i), f->data_gpa + 0x100u * i, 8, NEXT,
                 (uint16_t)(2 * i + 1));
        drv_desc(&f->q, (uint16_t)(2 * i + 1), f->data_gpa + 0x100u * i + 0x80,
                 8, WRITE, 0);
        drv_avail_add(&f->q, (uint16_t)(2 * i));
    }
    assert_int_equal(xv_vq_avail_count(f->vq), 3);

    struct xv_iovec iov[3][2];
    struct xv_gbuf gbuf[3][2];
    struct xv_chain chains[3];
    for (int i = 0; i < 3; i++) {
        chains[i] = (struct xv_chain){ .iov = iov[i], .gbuf = gbuf[i], .max_segs = 2 };
        assert_int_equal(xv_vq_pop(f->vq, &chains[i]), 1);
        assert_int_equal(chains[i].head, 2 * i);
        assert_int_equal(xv_vq_avail_count(f->vq), 2 - i);
    }
    assert_int_equal(f->vq->in_flight, 3);
    assert_int_equal(tp_outstanding(&f->tp), 6);

    xv_vq_push(f->vq, &chains[1], 1);
    assert_int_equal(drv_used_idx(&f->q), 1);
    xv_vq_push(f->vq, &chains[2], 2);
    assert_int_equal(drv_used_idx(&f->q), 2);
    xv_vq_push(f->vq, &chains[0], 3);
    assert_int_equal(drv_used_idx(&f->q), 3);
    assert_used(f, 0, 2, 1);
    assert_used(f, 1, 4, 2);
    assert_used(f, 2, 0, 3);
    assert_int_equal(f->vq->in_flight, 0);
    assert_int_equal(tp_outstanding(&f->tp), 3);
}

static void test_unmap_chain_early(void **state)
{
    struct fixture *f = *state;
    start(f, 4, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, WRITE, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    assert_int_equal(tp_outstanding(&f->tp), 4);
    xv_vq_unmap_chain(f->vq, &f->chain);
    assert_false(f->chain.mapped);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    unsigned unmaps = f->tp.unmap_calls;
    /* Nothing left to copy into. */
    assert_int_equal(xv_chain_write(&f->chain, 0, "x", 1), 0);
    xv_vq_push(f->vq, &f->chain, 0);
    assert_int_equal(f->tp.unmap_calls, unmaps);
    assert_used(f, 0, 0, 0);
}

static void test_pop_when_not_ready(void **state)
{
    struct fixture *f = *state;
    drv_vq_layout(&f->q, &f->tp, TP_RAM_GPA, 8);
    reset_chain(f, MAX_SEGS);
    drv_desc(&f->q, 0, TP_RAM_GPA + 0x10000, 8, 0, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 0);
    assert_int_equal(xv_vq_avail_count(f->vq), 0);
    assert_int_equal(f->tp.map_calls, 0);
}

/* A device that echoes readable bytes back: exercises the documented
 * QueueNotify -> process_queue -> queue_work -> pop/push/notify flow. */
static void echo_work(struct test_dev *td, unsigned queue)
{
    struct xv_vq *vq = &td->vqs[queue];
    struct xv_iovec iov[8];
    struct xv_gbuf gbuf[8];
    struct xv_chain chain = { .iov = iov, .gbuf = gbuf, .max_segs = 8 };
    uint8_t buf[64];
    while (xv_vq_pop(vq, &chain) == 1) {
        size_t n = xv_chain_read(&chain, 0, buf, sizeof(buf));
        size_t written = xv_chain_write(&chain, 0, buf, n);
        xv_vq_push(vq, &chain, (uint32_t)written);
    }
    xv_vq_notify_guest(vq);
}

static void test_notify_flow(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    f->td.work = echo_work;
    fill(f, f->data_gpa, 12, 0x30);
    drv_desc(&f->q, 4, f->data_gpa, 12, NEXT, 6);
    drv_desc(&f->q, 6, f->data_gpa + 0x100, 12, WRITE, 0);
    drv_avail_add(&f->q, 4);
    td_w32(&f->td, XV_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(drv_used_idx(&f->q), 0);   /* nothing done inline */
    assert_int_equal(f->tp.queue_notify_calls, 1);
    xv_device_process_queue(&f->td.dev, 0);
    assert_int_equal(drv_used_idx(&f->q), 1);
    assert_used(f, 0, 4, 12);
    assert_memory_equal(ram(f, f->data_gpa + 0x100, 12), ram(f, f->data_gpa, 12), 12);
    assert_int_equal(f->tp.interrupt_calls, 1);
    assert_true(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS) & XV_MMIO_INT_VRING);
}

/*
 * Notification suppression.
 */
/* Publish, pop and push one single-descriptor request on head 0. */
static void one_request(struct fixture *f, uint32_t written)
{
    drv_desc(&f->q, 0, f->data_gpa, 16, WRITE, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.head, 0);
    xv_vq_push(f->vq, &f->chain, written);
}

static void test_interrupt_without_event_idx(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    one_request(f, 1);
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);
    assert_true(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS) & XV_MMIO_INT_VRING);
    td_w32(&f->td, XV_MMIO_INTERRUPT_ACK, XV_MMIO_INT_VRING);

    /* Nothing published since the last call: nothing to tell. */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);

    drv_set_avail_flags(&f->q, XV_VRING_AVAIL_F_NO_INTERRUPT);
    one_request(f, 2);
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), 0);

    drv_set_avail_flags(&f->q, 0);
    one_request(f, 3);
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 2);
    assert_int_equal(drv_used_idx(&f->q), 3);
}

static void test_interrupt_used_event(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_EVENT);
    /* NO_INTERRUPT must be ignored once EVENT_IDX is negotiated. */
    drv_set_avail_flags(&f->q, XV_VRING_AVAIL_F_NO_INTERRUPT);
    drv_set_used_event(&f->q, 0);
    one_request(f, 0);                      /* used 0 -> 1, event 0 */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);

    one_request(f, 0);                      /* 1 -> 2, event 0: passed */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);

    drv_set_used_event(&f->q, 3);
    one_request(f, 0);                      /* 2 -> 3: not yet */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);
    one_request(f, 0);                      /* 3 -> 4: crosses event 3 */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 2);

    drv_set_used_event(&f->q, 4);
    one_request(f, 0);
    one_request(f, 0);                      /* 4 -> 6 in one batch */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 3);
}

/* A long pseudo-random walk: every decision must be vring_need_event(). */
static void used_event_walk(struct fixture *f, unsigned steps)
{
    uint32_t rng = 12345;
    uint16_t old = drv_used_idx(&f->q);
    for (unsigned step = 0; step < steps; step++) {
        rng = rng * 1103515245u + 12345u;
        unsigned pushes = (rng >> 16) % 4;
        uint16_t event = (uint16_t)(old + ((rng >> 8) % 8) - 2);
        drv_set_used_event(&f->q, event);
        for (unsigned i = 0; i < pushes; i++)
            one_request(f, 0);
        uint16_t now = drv_used_idx(&f->q);
        unsigned before = f->tp.interrupt_calls;
        xv_vq_notify_guest(f->vq);
        int expect = drv_need_event(event, now, old);
        if ((int)(f->tp.interrupt_calls - before) != expect)
            fail_msg("step %u: used_event %u old %u new %u: interrupt %u, want %d",
                     step, event, old, now, f->tp.interrupt_calls - before, expect);
        old = now;
    }
}

static void test_interrupt_used_event_walk(void **state)
{
    struct fixture *f = *state;
    start(f, 4, F_EVENT);
    /* A first decision so the device has a baseline. */
    drv_set_used_event(&f->q, 0);
    one_request(f, 0);
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, 1);
    used_event_walk(f, 50000);  /* crosses the 16-bit wrap */
}

static void test_kick_suppression_event_idx(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_EVENT);
    drv_desc(&f->q, 0, f->data_gpa, 8, 0, 0);
    drv_desc(&f->q, 1, f->data_gpa, 8, 0, 0);
    drv_avail_add(&f->q, 0);

    xv_vq_disable_notify(f->vq);
    assert_int_equal(pop(f), 1);
    xv_vq_push(f->vq, &f->chain, 0);
    assert_false(xv_vq_enable_notify(f->vq));
    /* The driver is asked to kick for the very next buffer. */
    uint16_t avail_event = drv_avail_event(&f->q);
    assert_int_equal(avail_event, 1);
    assert_true(drv_need_event(avail_event, 2, 1));

    /* Race: a buffer arrives while the device drains with kicks off. */
    xv_vq_disable_notify(f->vq);
    drv_avail_add(&f->q, 1);
    assert_true(xv_vq_enable_notify(f->vq));
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.head, 1);
    xv_vq_push(f->vq, &f->chain, 0);
    assert_false(xv_vq_enable_notify(f->vq));
    assert_int_equal(drv_avail_event(&f->q), 2);
}

/* A device that never disables kicks still has to move avail_event along
 * as it consumes, or the driver stops kicking (vring_need_event() against
 * a stale event) and the queue stalls. */
static void test_avail_event_follows_pops(void **state)
{
    struct fixture *f = *state;
    start(f, 4, F_EVENT);
    drv_desc(&f->q, 0, f->data_gpa, 8, 0, 0);
    for (uint16_t i = 1; i <= 10; i++) {
        drv_avail_add(&f->q, 0);
        assert_int_equal(pop(f), 1);
        xv_vq_push(f->vq, &f->chain, 0);
        /* The driver's next buffer (i -> i + 1) must trigger a kick. */
        assert_true(drv_need_event(drv_avail_event(&f->q), (uint16_t)(i + 1), i));
    }
}

static void test_used_len_bounded_by_writable(void **state)
{
    struct fixture *f = *state;
    start(f, 4, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa + 0x100, 16, WRITE, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    /* §2.7.8: the device writes at least len bytes, so len can never
     * exceed what the driver offered for writing. */
    xv_vq_push(f->vq, &f->chain, 1000);
    struct xv_vring_used_elem e = drv_used_elem(&f->q, 0);
    assert_int_equal(e.id, 0);
    assert_true(e.len <= 16);
}

static void test_kick_suppression_flags(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, 0, 0);
    assert_int_equal(drv_used_flags(&f->q) & XV_VRING_USED_F_NO_NOTIFY, 0);
    xv_vq_disable_notify(f->vq);
    assert_true(drv_used_flags(&f->q) & XV_VRING_USED_F_NO_NOTIFY);
    assert_false(xv_vq_enable_notify(f->vq));
    assert_int_equal(drv_used_flags(&f->q) & XV_VRING_USED_F_NO_NOTIFY, 0);

    xv_vq_disable_notify(f->vq);
    drv_avail_add(&f->q, 0);
    assert_true(xv_vq_enable_notify(f->vq));
    assert_int_equal(drv_used_flags(&f->q) & XV_VRING_USED_F_NO_NOTIFY, 0);
}

/*
 * Index wraparound and queue sizes.
 */
/* Run 'total' requests with 1..num chains in flight at a time, each on its
 * own head, verifying every used element. */
static void run_requests(struct fixture *f, uint32_t total, uint32_t batch_max)
{
    uint16_t num = f->q.num;
    uint32_t done = 0, rng = 99;
    static struct xv_iovec iovs[64];
    static struct xv_gbuf gbufs[64];
    static struct xv_chain chains[64];
    if (batch_max > 64)
        batch_max = 64;
    if (batch_max > num)
        batch_max = num;

    for (uint16_t i = 0; i < num; i++)
        drv_desc(&f->q, i, f->data_gpa + 8u * (i % 64), 8, WRITE, 0);
    while (done < total) {
        rng = rng * 1103515245u + 12345u;
        uint32_t batch = 1 + (rng >> 16) % batch_max;
        if (batch > total - done)
            batch = total - done;
        uint16_t first_used = drv_used_idx(&f->q);
        for (uint32_t i = 0; i < batch; i++)
            drv_avail_add(&f->q, (uint16_t)((f->q.avail_idx) % num));
        assert_int_equal(xv_vq_avail_count(f->vq), batch);
        for (uint32_t i = 0; i < batch; i++) {
            chains[i] = (struct xv_chain){ .iov = &iovs[i], .gbuf = &gbufs[i],
                                           .max_segs = 1 };
            assert_int_equal(xv_vq_pop(f->vq, &chains[i]), 1);
        }
        /* Complete in reverse order, lengths tagged with the request (and
         * within the 8 writable bytes each chain has). */
        for (uint32_t i = batch; i-- > 0;)
            xv_vq_push(f->vq, &chains[i], (done + i) % 9);
        assert_int_equal(drv_used_idx(&f->q), (uint16_t)(first_used + batch));
        for (uint32_t i = 0; i < batch; i++) {
            struct xv_vring_used_elem e =
                drv_used_elem(&f->q, (uint16_t)(first_used + i));
            uint32_t req = batch - 1 - i;
            assert_int_equal(e.id, chains[req].head);
            assert_int_equal(e.len, (done + req) % 9);
        }
        done += batch;
    }
    assert_false(needs_reset(f));
    assert_int_equal(tp_outstanding(&f->tp), 3);
}

static void test_wraparound_long_run(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    run_requests(f, 70000, 8);
    assert_int_equal(drv_used_idx(&f->q), (uint16_t)70000);
    assert_int_equal(f->vq->last_avail_idx, (uint16_t)70000);
}

static void test_wraparound_from_near_0xfff0(void **state)
{
    struct fixture *f = *state;
    start(f, 16, F_EVENT);
    run_requests(f, 0xfff0, 16);
    assert_int_equal(drv_used_idx(&f->q), 0xfff0);
    /* A full ring straddling the wrap. */
    run_requests(f, 16, 16);
    assert_int_equal(drv_used_idx(&f->q), 0x0000);
    /* Interrupt decisions straddling the wrap. */
    drv_set_used_event(&f->q, 0xffff);
    xv_vq_notify_guest(f->vq);
    unsigned before = f->tp.interrupt_calls;
    run_requests(f, 0xfffe, 4);
    drv_set_used_event(&f->q, 0xffff);
    one_request(f, 0);                      /* 0xfffe -> 0xffff: not yet */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, before);
    one_request(f, 0);                      /* 0xffff -> 0x0000 */
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, before + 1);
    /* And avail_event across the wrap. */
    assert_false(xv_vq_enable_notify(f->vq));
    assert_int_equal(drv_avail_event(&f->q), 0);
    used_event_walk(f, 100);
}

static void queue_size_case(struct fixture *f, uint16_t num)
{
    start(f, num, 0);
    uint32_t total = 3u * num + 7;
    run_requests(f, total, num);
    /* A completely full ring, then one more. */
    for (uint32_t i = 0; i < num; i++)
        drv_avail_add(&f->q, (uint16_t)i);
    assert_int_equal(xv_vq_avail_count(f->vq), num);
    uint16_t used = drv_used_idx(&f->q);
    for (uint32_t i = 0; i < num; i++) {
        assert_int_equal(pop(f), 1);
        assert_int_equal(f->chain.head, i);
        xv_vq_push(f->vq, &f->chain, i % 9);
    }
    assert_int_equal(drv_used_idx(&f->q), (uint16_t)(used + num));
    assert_int_equal(pop(f), 0);
    assert_false(needs_reset(f));
    td_w32(&f->td, XV_MMIO_STATUS, 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
}

static void test_queue_size_1(void **state) { queue_size_case(*state, 1); }
static void test_queue_size_2(void **state) { queue_size_case(*state, 2); }
static void test_queue_size_256(void **state) { queue_size_case(*state, 256); }
static void test_queue_size_32768(void **state) { queue_size_case(*state, 32768); }

/*
 * Malformed rings: the device must enter NEEDS_RESET, report why, and
 * touch nothing but (possibly) its own used ring.
 */
static void expect_broken(struct fixture *f, enum xv_fault why)
{
    take_snapshot(f);
    unsigned interrupts = f->tp.interrupt_calls;
    int rc = pop(f);
    assert_true(rc < 0);
    assert_true(needs_reset(f));
    assert_true(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS) & XV_MMIO_INT_CONFIG);
    assert_true(f->tp.interrupt_calls > interrupts);
    if (f->tp.fault_counts[why] != 1)
        fail_msg("expected fault %s, last fault was %s", xv_fault_name(why),
                 xv_fault_name(f->tp.last_fault));
    assert_int_equal(f->tp.last_fault_queue, 0);
    /* No data or indirect mapping leaked: only the rings. */
    assert_int_equal(tp_outstanding(&f->tp), 3);
    assert_changed_only(f, f->q.used_gpa, f->q.end_gpa, 0, 0);
    /* The queue stays dead until reset. */
    unsigned maps = f->tp.map_calls;
    assert_true(pop(f) <= 0);
    assert_int_equal(xv_vq_avail_count(f->vq), 0);
    assert_int_equal(f->tp.map_calls, maps);

    /* Recovery: reset, set up again, serve a good request. */
    td_w32(&f->td, XV_MMIO_STATUS, 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    start(f, f->q.num, F_INDIRECT);
    one_request(f, 5);
    assert_used(f, 0, 0, 5);
    assert_false(needs_reset(f));
}

static void test_bad_head_index(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, 0, 0);
    drv_avail_add(&f->q, 8);
    expect_broken(f, XV_FAULT_HEAD_INDEX);
    drv_avail_add(&f->q, 0xffff);
    expect_broken(f, XV_FAULT_HEAD_INDEX);
}

static void test_bad_next_index(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, NEXT, 8);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_NEXT_INDEX);
    drv_desc(&f->q, 0, f->data_gpa, 8, NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa, 8, NEXT, 0xffff);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_NEXT_INDEX);
}

static void test_chain_loop(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa, 8, NEXT, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_CHAIN_LOOP);
    /* Self loop. */
    drv_desc(&f->q, 3, f->data_gpa, 8, NEXT, 3);
    drv_avail_add(&f->q, 3);
    expect_broken(f, XV_FAULT_CHAIN_LOOP);
}

static void test_chain_loop_queue_size_1(void **state)
{
    struct fixture *f = *state;
    start(f, 1, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, NEXT, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_CHAIN_LOOP);
}

static void test_indirect_nested(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    uint64_t table = f->data_gpa, inner = f->data_gpa + 0x100;
    drv_desc_at(&f->tp, inner, 0, f->data_gpa + 0x1000, 8, 0, 0);
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x1000, 8, NEXT, 1);
    drv_desc_at(&f->tp, table, 1, inner, 16, INDIR, 0);
    drv_desc(&f->q, 2, table, 32, INDIR, 0);
    drv_avail_add(&f->q, 2);
    expect_broken(f, XV_FAULT_INDIRECT_NESTED);
}

static void indirect_len_case(struct fixture *f, uint32_t len)
{
    uint64_t table = f->data_gpa;
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x1000, 8, 0, 0);
    drv_desc(&f->q, 1, table, len, INDIR, 0);
    drv_avail_add(&f->q, 1);
    expect_broken(f, XV_FAULT_INDIRECT_LEN);
}

static void test_indirect_bad_len(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    indirect_len_case(f, 0);
    indirect_len_case(f, 8);
    indirect_len_case(f, 17);
    indirect_len_case(f, 33);
}

static void test_indirect_with_next(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    uint64_t table = f->data_gpa;
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x1000, 8, 0, 0);
    drv_desc(&f->q, 0, table, 16, INDIR | NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa + 0x1000, 8, WRITE, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_INDIRECT_NEXT);
}

static void test_indirect_not_negotiated(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    uint64_t table = f->data_gpa;
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x1000, 8, 0, 0);
    drv_desc(&f->q, 0, table, 16, INDIR, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_INDIRECT_UNNEGOTIATED);
}

static void test_indirect_bad_next(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    uint64_t table = f->data_gpa;
    /* Valid for the queue (2 < 8) but not for a 2-entry table. */
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x1000, 8, NEXT, 2);
    drv_desc_at(&f->tp, table, 1, f->data_gpa + 0x1000, 8, 0, 0);
    drv_desc(&f->q, 0, table, 32, INDIR, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_NEXT_INDEX);
}

static void test_indirect_loop(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    uint64_t table = f->data_gpa;
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x1000, 8, NEXT, 1);
    drv_desc_at(&f->tp, table, 1, f->data_gpa + 0x1000, 8, NEXT, 0);
    drv_desc(&f->q, 0, table, 32, INDIR, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_CHAIN_LOOP);
}

static void test_readable_after_writable(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    drv_desc(&f->q, 0, f->data_gpa, 8, NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa + 0x100, 8, WRITE | NEXT, 2);
    drv_desc(&f->q, 2, f->data_gpa + 0x200, 8, 0, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_READ_AFTER_WRITE);
    /* The same inside an indirect table. */
    uint64_t table = f->data_gpa + 0x800;
    drv_desc_at(&f->tp, table, 0, f->data_gpa + 0x100, 8, WRITE | NEXT, 1);
    drv_desc_at(&f->tp, table, 1, f->data_gpa + 0x200, 8, 0, 0);
    drv_desc(&f->q, 4, table, 32, INDIR, 0);
    drv_avail_add(&f->q, 4);
    expect_broken(f, XV_FAULT_READ_AFTER_WRITE);
}

/* A zero-length writable descriptor is still a writable descriptor
 * (§2.7.4: device-writable elements come after all device-readable ones). */
static void test_readable_after_empty_writable(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 0, WRITE | NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa + 0x100, 8, 0, 0);
    drv_avail_add(&f->q, 0);
    expect_broken(f, XV_FAULT_READ_AFTER_WRITE);
}

static void test_avail_idx_too_far_ahead(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    for (uint16_t i = 0; i < 8; i++)
        drv_desc(&f->q, i, f->data_gpa, 8, 0, 0);
    for (uint16_t i = 0; i < 9; i++)
        drv_avail_add(&f->q, (uint16_t)(i % 8));
    expect_broken(f, XV_FAULT_AVAIL_IDX);
    for (uint16_t i = 0; i < 8; i++)
        drv_desc(&f->q, i, f->data_gpa, 8, 0, 0);
    drv_set_avail_idx(&f->q, 0x8000);
    expect_broken(f, XV_FAULT_AVAIL_IDX);
}

/* Ahead by more than num after some progress: the check is relative to
 * the device's position, modulo 2^16. */
static void test_avail_idx_too_far_ahead_after_wrap(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    run_requests(f, 0xfffc, 8);
    for (uint16_t i = 0; i < 8; i++)
        drv_desc(&f->q, i, f->data_gpa, 8, 0, 0);
    drv_set_avail_idx(&f->q, (uint16_t)(0xfffc + 9));
    expect_broken(f, XV_FAULT_AVAIL_IDX);
}

static void test_push_not_in_flight(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    one_request(f, 0);
    assert_false(needs_reset(f));
    /* The same completion again: nothing is in flight any more. */
    unsigned interrupts = f->tp.interrupt_calls;
    xv_vq_push(f->vq, &f->chain, 0);
    assert_true(needs_reset(f));
    assert_int_equal(f->tp.fault_counts[XV_FAULT_USED_ID], 1);
    assert_true(f->tp.interrupt_calls > interrupts);
}

/* A chain popped before a reset is stale: completing it must release its
 * buffers and must not write a ring the core no longer owns. */
static void test_push_after_device_reset(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 8, WRITE, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    td_w32(&f->td, XV_MMIO_STATUS, 0);
    assert_int_equal(tp_outstanding(&f->tp), 1);    /* the chain's buffer */
    take_snapshot(f);
    xv_vq_push(f->vq, &f->chain, 8);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    assert_changed_only(f, 0, 0, 0, 0);
    assert_false(needs_reset(f));
}

static void test_push_after_queue_reset(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_RESET);
    drv_desc(&f->q, 0, f->data_gpa, 8, WRITE, 0);
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 0);
    td_w32(&f->td, XV_MMIO_QUEUE_RESET, 1);
    assert_false(f->vq->ready);
    assert_int_equal(tp_outstanding(&f->tp), 1);
    /* The driver re-initialises and re-enables the queue before the stale
     * completion arrives. */
    drv_vq_layout(&f->q, &f->tp, TP_RAM_GPA, 8);
    assert_int_equal(td_setup_queue(&f->td, 0, 8, f->q.desc_gpa, f->q.avail_gpa,
                                    f->q.used_gpa), 1);
    take_snapshot(f);
    xv_vq_push(f->vq, &f->chain, 8);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    assert_changed_only(f, 0, 0, 0, 0);
    assert_false(needs_reset(f));
    assert_int_equal(pop(f), 0);
}

/*
 * Buffer-level failures: the request completes with length 0, the queue
 * keeps going, the caller never sees the bad chain.
 */
static void expect_skipped(struct fixture *f, uint16_t bad_head,
                           enum xv_fault why)
{
    /* A good chain behind the bad one. */
    drv_desc(&f->q, 7, f->data_gpa + 0x3000, 8, WRITE, 0);
    drv_avail_add(&f->q, 7);
    uint16_t used = drv_used_idx(&f->q);
    take_snapshot(f);

    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.head, 7);
    assert_false(needs_reset(f));
    if (f->tp.fault_counts[why] != 1)
        fail_msg("expected fault %s, last fault was %s", xv_fault_name(why),
                 xv_fault_name(f->tp.last_fault));
    assert_int_equal(f->tp.last_fault_queue, 0);
    assert_int_equal(drv_used_idx(&f->q), (uint16_t)(used + 1));
    assert_used(f, used, bad_head, 0);
    assert_int_equal(tp_outstanding(&f->tp), 4);

    xv_vq_push(f->vq, &f->chain, 8);
    assert_int_equal(drv_used_idx(&f->q), (uint16_t)(used + 2));
    assert_used(f, (uint16_t)(used + 1), 7, 8);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    /* The bad chain's buffers were not written. */
    assert_changed_only(f, f->q.used_gpa, f->q.end_gpa,
                        f->data_gpa + 0x3000, f->data_gpa + 0x3008);
    assert_int_equal(f->vq->in_flight, 0);
    /* The driver hears about the failed request too. */
    unsigned interrupts = f->tp.interrupt_calls;
    xv_vq_notify_guest(f->vq);
    assert_int_equal(f->tp.interrupt_calls, interrupts + 1);
    tp_clear_counters(&f->tp);
}

static void test_addr_overflow(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    drv_desc(&f->q, 0, 0xfffffffffffffff0ull, 0x20, WRITE, 0);
    drv_avail_add(&f->q, 0);
    expect_skipped(f, 0, XV_FAULT_ADDR_OVERFLOW);
    /* In the middle of a chain, and inside an indirect table. */
    drv_desc(&f->q, 1, f->data_gpa, 8, NEXT, 2);
    drv_desc(&f->q, 2, 0xffffffffffffff00ull, 0x1000, WRITE, 0);
    drv_avail_add(&f->q, 1);
    expect_skipped(f, 1, XV_FAULT_ADDR_OVERFLOW);
    uint64_t table = f->data_gpa + 0x800;
    drv_desc_at(&f->tp, table, 0, f->data_gpa, 8, NEXT, 1);
    drv_desc_at(&f->tp, table, 1, 0xffffffffffffffffull, 2, WRITE, 0);
    drv_desc(&f->q, 3, table, 32, INDIR, 0);
    drv_avail_add(&f->q, 3);
    expect_skipped(f, 3, XV_FAULT_ADDR_OVERFLOW);
}

static void test_translation_refused(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    /* Outside guest RAM. */
    drv_desc(&f->q, 0, 0x1000, 8, 0, 0);
    drv_avail_add(&f->q, 0);
    expect_skipped(f, 0, XV_FAULT_BUF_MAP);
    /* Straddling the end of RAM. */
    drv_desc(&f->q, 1, TP_RAM_GPA + f->tp.ram_size - 4, 8, WRITE, 0);
    drv_avail_add(&f->q, 1);
    expect_skipped(f, 1, XV_FAULT_BUF_MAP);
    /* In RAM, but the platform says no (e.g. a revoked grant): the third
     * segment of a chain whose first two would map. */
    tp_refuse(&f->tp, f->data_gpa + 0x2004);
    drv_desc(&f->q, 2, f->data_gpa, 8, NEXT, 3);
    drv_desc(&f->q, 3, f->data_gpa + 0x1000, 8, NEXT | WRITE, 4);
    drv_desc(&f->q, 4, f->data_gpa + 0x2000, 8, WRITE, 0);
    drv_avail_add(&f->q, 2);
    expect_skipped(f, 2, XV_FAULT_BUF_MAP);
    tp_refuse_clear(&f->tp);
}

/* A second vCPU that republishes every chain as soon as it fails. */
static unsigned republish_budget;
static struct drv_vq *republish_q;
static int (*plain_map)(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                        struct xv_iovec *iov);

static int racing_map(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                      struct xv_iovec *iov)
{
    int rc = plain_map(opaque, bufs, n, iov);

    if (rc < 0 && republish_budget) {
        republish_budget--;
        drv_avail_add(republish_q, 0);
    }
    return rc;
}

static void test_republished_failures_are_bounded(void **state)
{
    struct fixture *f = *state;

    start(f, 8, 0);
    plain_map = f->tp.platform.map;
    f->tp.platform.map = racing_map;
    republish_q = &f->q;
    republish_budget = 100;
    drv_desc(&f->q, 0, 0x1000, 8, 0, 0);       /* outside RAM: never maps */
    drv_avail_add(&f->q, 0);
    /* A queue's worth of failures, then the rest waits for another round. */
    assert_int_equal(pop(f), 0);
    assert_int_equal(f->tp.fault_counts[XV_FAULT_BUF_MAP], 8);
    assert_int_equal(f->tp.queue_notify_calls, 1);
    assert_int_equal(xv_vq_avail_count(f->vq), 0);
    assert_false(xv_vq_enable_notify(f->vq));
    assert_int_equal(pop(f), 0);
    assert_int_equal(f->tp.fault_counts[XV_FAULT_BUF_MAP], 8);
    /* The next round gets its own queue's worth. */
    xv_device_process_queue(&f->td.dev, 0);
    assert_int_equal(pop(f), 0);
    assert_int_equal(f->tp.fault_counts[XV_FAULT_BUF_MAP], 16);
    assert_false(needs_reset(f));
    f->tp.platform.map = plain_map;
}

static void test_indirect_table_unmappable(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    drv_desc(&f->q, 0, 0x2000, 32, INDIR, 0);
    drv_avail_add(&f->q, 0);
    drv_desc(&f->q, 7, f->data_gpa + 0x3000, 8, WRITE, 0);
    drv_avail_add(&f->q, 7);
    /* Either reading is defensible (a table is ring memory, or the
     * request's own buffer); what matters is that it is reported, nothing
     * leaks and nothing outside RAM is touched. */
    int rc = pop(f);
    if (needs_reset(f)) {
        assert_true(rc < 0);
        assert_int_equal(f->tp.fault_counts[XV_FAULT_RING_MAP], 1);
    } else {
        assert_int_equal(rc, 1);
        assert_int_equal(f->chain.head, 7);
        assert_int_equal(f->tp.fault_counts[XV_FAULT_BUF_MAP], 1);
        assert_used(f, 0, 0, 0);
        xv_vq_push(f->vq, &f->chain, 0);
    }
    assert_int_equal(tp_outstanding(&f->tp), 3);
}

static void test_too_many_segments(void **state)
{
    struct fixture *f = *state;
    start(f, 8, F_INDIRECT);
    f->chain.max_segs = 4;
    for (uint16_t i = 0; i < 5; i++)
        drv_desc(&f->q, i, f->data_gpa + 0x10u * i, 8, i < 4 ? NEXT : WRITE,
                 (uint16_t)(i + 1));
    drv_avail_add(&f->q, 0);
    expect_skipped(f, 0, XV_FAULT_TOO_MANY_SEGS);
    /* Exactly max_segs is fine. */
    f->chain.max_segs = 5;
    drv_avail_add(&f->q, 0);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->chain.nr_readable + f->chain.nr_writable, 5);
    xv_vq_push(f->vq, &f->chain, 0);
    /* Through an indirect table. */
    f->chain.max_segs = 2;
    uint64_t table = f->data_gpa + 0x800;
    for (uint16_t i = 0; i < 3; i++)
        drv_desc_at(&f->tp, table, i, f->data_gpa, 8, i < 2 ? NEXT : 0,
                    (uint16_t)(i + 1));
    drv_desc(&f->q, 5, table, 48, INDIR, 0);
    drv_avail_add(&f->q, 5);
    expect_skipped(f, 5, XV_FAULT_TOO_MANY_SEGS);
}

static void test_total_length_overflow(void **state)
{
    struct fixture *f = *state;
    start(f, 8, 0);
    drv_desc(&f->q, 0, f->data_gpa, 0x80000000u, NEXT, 1);
    drv_desc(&f->q, 1, f->data_gpa, 0x80000000u, 0, 0);
    drv_avail_add(&f->q, 0);
    expect_skipped(f, 0, XV_FAULT_TOTAL_LEN);
    drv_desc(&f->q, 2, f->data_gpa, 0xffffffffu, WRITE | NEXT, 3);
    drv_desc(&f->q, 3, f->data_gpa, 1, WRITE, 0);
    drv_avail_add(&f->q, 2);
    expect_skipped(f, 2, XV_FAULT_TOTAL_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_pop_push_simple),
        T(test_readable_then_writable),
        T(test_chain_copy_bounds),
        T(test_chain_write_never_touches_readable),
        T(test_indirect),
        T(test_multiple_chains_out_of_order),
        T(test_unmap_chain_early),
        T(test_pop_when_not_ready),
        T(test_notify_flow),
        T(test_interrupt_without_event_idx),
        T(test_interrupt_used_event),
        T(test_interrupt_used_event_walk),
        T(test_kick_suppression_event_idx),
        T(test_kick_suppression_flags),
        T(test_avail_event_follows_pops),
        T(test_used_len_bounded_by_writable),
        T(test_wraparound_long_run),
        T(test_wraparound_from_near_0xfff0),
        T(test_queue_size_1),
        T(test_queue_size_2),
        T(test_queue_size_256),
        T(test_queue_size_32768),
        T(test_bad_head_index),
        T(test_bad_next_index),
        T(test_chain_loop),
        T(test_chain_loop_queue_size_1),
        T(test_indirect_nested),
        T(test_indirect_bad_len),
        T(test_indirect_with_next),
        T(test_indirect_not_negotiated),
        T(test_indirect_bad_next),
        T(test_indirect_loop),
        T(test_readable_after_writable),
        T(test_readable_after_empty_writable),
        T(test_avail_idx_too_far_ahead),
        T(test_avail_idx_too_far_ahead_after_wrap),
        T(test_push_not_in_flight),
        T(test_push_after_device_reset),
        T(test_push_after_queue_reset),
        T(test_addr_overflow),
        T(test_translation_refused),
        T(test_republished_failures_are_bounded),
        T(test_indirect_table_unmappable),
        T(test_too_many_segments),
        T(test_total_length_overflow),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
