/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-blk engine driven through the real core: registers through
 * xv_mmio_*, chains written into the test platform's guest RAM (bounce
 * mode, so any stray access past a segment trips AddressSanitizer), a RAM
 * disk as storage that records every call. Each test checks what the
 * driver sees (status byte, used length) and what the storage saw.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blk.h"
#include "ring_helper.h"
#include "test_platform.h"

#define QSIZE       64u
#define SEG_MAX     8u
#define DISK_SECTORS 512u
#define DISK_BYTES  (DISK_SECTORS * 512u)
#define SERIAL      "xv-test-serial"
#define BUF_GPA     (TP_RAM_GPA + 0x10000)   /* buffers; rings below */

#define NEXT  XV_VRING_DESC_F_NEXT
#define WRITE XV_VRING_DESC_F_WRITE
#define INDIR XV_VRING_DESC_F_INDIRECT

#define F(bit) XV_FEATURE(bit)
#define F_ALL_BLK (F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) | \
                   F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_BLK_F_DISCARD) | \
                   F(VIRTIO_BLK_F_WRITE_ZEROES) | F(VIRTIO_BLK_F_RO) | \
                   F(VIRTIO_BLK_F_SIZE_MAX))
#define F_DRIVER (F(XV_F_VERSION_1) | F(XV_F_INDIRECT_DESC) | F_ALL_BLK)

/* A RAM disk that counts and records. */
struct ram_disk {
    uint8_t data[DISK_BYTES];
    unsigned reads, writes, flushes, discards, write_zeroes;
    uint64_t last_offset, last_len;
    unsigned last_n;
    bool last_may_unmap;
    int fail;                   /* next call returns this (negative) */
};

struct fixture {
    struct test_platform tp;
    struct xv_device dev;
    struct xv_blk blk;
    struct xv_blk_req req;
    struct xv_iovec iov[SEG_MAX + 2];
    struct xv_gbuf gbuf[SEG_MAX + 2];
    struct xv_iovec data[SEG_MAX + 2];
    struct ram_disk disk;
    struct xv_blk_storage storage;
    struct xv_blk_params params;
    struct drv_vq q;
    uint64_t next_gpa;          /* bump allocator for buffers */
    uint16_t next_desc;
};

static struct ram_disk *disk_of(void *opaque)
{
    return opaque;
}

static int take_fail(struct ram_disk *d)
{
    int err = d->fail;

    d->fail = 0;
    return err;
}

static int disk_rw(struct ram_disk *d, bool write, uint64_t offset,
                   const struct xv_iovec *iov, unsigned n)
{
    uint64_t pos = offset;

    d->last_offset = offset;
    d->last_n = n;
    for (unsigned i = 0; i < n; i++) {
        /* The engine promised: always within capacity. */
        assert_true(pos <= DISK_BYTES && iov[i].len <= DISK_BYTES - pos);
        if (write)
            memcpy(d->data + pos, iov[i].base, iov[i].len);
        else
            memcpy(iov[i].base, d->data + pos, iov[i].len);
        pos += iov[i].len;
    }
    d->last_len = pos - offset;
    return take_fail(d);
}

static int disk_read(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                     unsigned n)
{
    disk_of(opaque)->reads++;
    return disk_rw(disk_of(opaque), false, offset, iov, n);
}

static int disk_write(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                      unsigned n)
{
    disk_of(opaque)->writes++;
    return disk_rw(disk_of(opaque), true, offset, iov, n);
}

static int disk_flush(void *opaque)
{
    disk_of(opaque)->flushes++;
    return take_fail(disk_of(opaque));
}

static int disk_zero(struct ram_disk *d, uint64_t offset, uint64_t len)
{
    assert_true(offset <= DISK_BYTES && len <= DISK_BYTES - offset);
    memset(d->data + offset, 0, len);
    d->last_offset = offset;
    d->last_len = len;
    return take_fail(d);
}

static int disk_discard(void *opaque, uint64_t offset, uint64_t len)
{
    disk_of(opaque)->discards++;
    return disk_zero(disk_of(opaque), offset, len);
}

static int disk_write_zeroes(void *opaque, uint64_t offset, uint64_t len,
                             bool may_unmap)
{
    disk_of(opaque)->write_zeroes++;
    disk_of(opaque)->last_may_unmap = may_unmap;
    return disk_zero(disk_of(opaque), offset, len);
}

static const struct xv_blk_storage_ops disk_ops = {
    .read = disk_read,
    .write = disk_write,
    .flush = disk_flush,
    .discard = disk_discard,
    .write_zeroes = disk_write_zeroes,
};

static const struct xv_blk_storage_ops disk_ops_minimal = {
    .read = disk_read,
    .write = disk_write,
};

static unsigned storage_calls(const struct fixture *f)
{
    const struct ram_disk *d = &f->disk;

    return d->reads + d->writes + d->flushes + d->discards + d->write_zeroes;
}

/*
 * Driver side.
 */
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

static uint32_t cfg(struct fixture *f, uint32_t off, unsigned size)
{
    uint32_t val = 0;

    assert_int_equal(xv_mmio_read(&f->dev, XV_MMIO_CONFIG + off, size, &val), 0);
    return val;
}

static uint64_t offered(struct fixture *f)
{
    uint64_t lo, hi;

    w32(f, XV_MMIO_DEVICE_FEATURES_SEL, 0);
    lo = r32(f, XV_MMIO_DEVICE_FEATURES);
    w32(f, XV_MMIO_DEVICE_FEATURES_SEL, 1);
    hi = r32(f, XV_MMIO_DEVICE_FEATURES);
    return lo | hi << 32;
}

/* Accept what the driver wants of what's offered; queue 0 live. */
static void start(struct fixture *f, uint64_t want)
{
    uint64_t features = offered(f) & want;

    w32(f, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    w32(f, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(f, XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(f, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(f, XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(f, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
        XV_STATUS_FEATURES_OK);
    assert_true(r32(f, XV_MMIO_STATUS) & XV_STATUS_FEATURES_OK);

    drv_vq_layout(&f->q, &f->tp, TP_RAM_GPA, QSIZE);
    w32(f, XV_MMIO_QUEUE_SEL, 0);
    assert_int_equal(r32(f, XV_MMIO_QUEUE_NUM_MAX), QSIZE);
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
    assert_true(f->q.end_gpa <= BUF_GPA);
    tp_clear_counters(&f->tp);
}

static int setup_with(void **state, const struct xv_blk_storage_ops *ops,
                      bool read_only, unsigned batch, uint32_t size_max)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(tp_init(&f->tp, 0), 0);
    f->tp.bounce = true;
    f->tp.expected_dev = &f->dev;
    f->next_gpa = BUF_GPA;
    for (unsigned i = 0; i < DISK_BYTES; i++)
        f->disk.data[i] = (uint8_t)(i * 7 + i / 512);
    f->storage = (struct xv_blk_storage){
        .ops = ops,
        .opaque = &f->disk,
        .capacity = DISK_BYTES,
        .blk_size = 512,
        .read_only = read_only,
        .id = SERIAL,
    };
    xv_blk_default_params(&f->params);
    f->params.queue_size = QSIZE;
    f->params.seg_max = SEG_MAX;
    f->params.max_discard_seg = 4;
    f->params.max_discard_sectors = 64;
    f->params.max_write_zeroes_seg = 4;
    f->params.max_write_zeroes_sectors = 64;
    f->params.max_requests_per_call = batch;
    if (size_max)
        f->params.size_max = size_max;
    f->req.iov = f->iov;
    f->req.gbuf = f->gbuf;
    f->req.data = f->data;
    assert_int_equal(xv_blk_init(&f->blk, &f->dev, &f->tp.platform,
                                 &f->storage, &f->params, &f->req, 1), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, &disk_ops, false, 0, 0);
}

static int setup_ro(void **state)
{
    return setup_with(state, &disk_ops, true, 0, 0);
}

static int setup_minimal(void **state)
{
    return setup_with(state, &disk_ops_minimal, false, 0, 0);
}

static int setup_size_max(void **state)
{
    return setup_with(state, &disk_ops, false, 0, 1024);
}

static int setup_batch4(void **state)
{
    return setup_with(state, &disk_ops, false, 4, 0);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(xv_blk_in_flight(&f->blk), 0);
    w32(f, XV_MMIO_STATUS, 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    assert_int_equal(f->tp.unmap_mismatch, 0);
    assert_int_equal(f->tp.bad_map_args, 0);
    assert_int_equal(f->tp.wrong_dev_calls, 0);
    assert_true(tp_guards_intact(&f->tp));
    tp_fini(&f->tp);
    free(f);
    return 0;
}

/* Guest buffers. */
static uint64_t gbuf_alloc(struct fixture *f, uint32_t len)
{
    uint64_t gpa = f->next_gpa;

    f->next_gpa = (f->next_gpa + len + 15) & ~15ull;
    assert_true(f->next_gpa - f->tp.ram_gpa <= f->tp.ram_size);
    memset(tp_ram_ptr(&f->tp, gpa, len), 0xee, len);
    return gpa;
}

static uint8_t *ram(struct fixture *f, uint64_t gpa, size_t len)
{
    uint8_t *p = tp_ram_ptr(&f->tp, gpa, len);

    assert_non_null(p);
    return p;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t hdr_at(struct fixture *f, uint64_t gpa, uint32_t type,
                       uint64_t sector)
{
    uint8_t *p = ram(f, gpa, 16);

    put_le(p, type, 4);
    put_le(p + 4, 0, 4);
    put_le(p + 8, sector, 8);
    return gpa;
}

static uint64_t hdr(struct fixture *f, uint32_t type, uint64_t sector)
{
    return hdr_at(f, gbuf_alloc(f, 16), type, sector);
}

static uint64_t range_buf(struct fixture *f, unsigned n, const uint64_t *sector,
                          const uint32_t *num, const uint32_t *flags)
{
    uint64_t gpa = gbuf_alloc(f, 16 * n);
    uint8_t *p = ram(f, gpa, 16 * n);

    for (unsigned i = 0; i < n; i++) {
        put_le(p + 16 * i, sector[i], 8);
        put_le(p + 16 * i + 8, num[i], 4);
        put_le(p + 16 * i + 12, flags[i], 4);
    }
    return gpa;
}

struct seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

/* Publish a chain, directly or through an indirect table. Returns head. */
static uint16_t submit(struct fixture *f, const struct seg *s, unsigned n,
                       bool indirect)
{
    uint16_t head = f->next_desc;

    if (indirect) {
        uint64_t table = gbuf_alloc(f, 16 * n);

        for (unsigned i = 0; i < n; i++)
            drv_desc_at(&f->tp, table, (uint16_t)i, s[i].gpa, s[i].len,
                        (uint16_t)((s[i].write ? WRITE : 0) |
                                   (i + 1 < n ? NEXT : 0)),
                        (uint16_t)(i + 1));
        drv_desc(&f->q, head, table, 16 * n, INDIR, 0);
        f->next_desc = (uint16_t)((head + 1) % QSIZE);
    } else {
        for (unsigned i = 0; i < n; i++) {
            uint16_t idx = (uint16_t)((head + i) % QSIZE);

            drv_desc(&f->q, idx, s[i].gpa, s[i].len,
                     (uint16_t)((s[i].write ? WRITE : 0) |
                                (i + 1 < n ? NEXT : 0)),
                     (uint16_t)((idx + 1) % QSIZE));
        }
        f->next_desc = (uint16_t)((head + n) % QSIZE);
    }
    drv_avail_add(&f->q, head);
    return head;
}

static void kick(struct fixture *f)
{
    w32(f, XV_MMIO_QUEUE_NOTIFY, 0);
    xv_device_process_queue(&f->dev, 0);
}

/* Submit one chain, kick, and check it came back. Returns the used len. */
static uint32_t run(struct fixture *f, const struct seg *s, unsigned n,
                    bool indirect)
{
    uint16_t before = drv_used_idx(&f->q);
    uint16_t head = submit(f, s, n, indirect);
    struct xv_vring_used_elem e;

    kick(f);
    assert_int_equal(drv_used_idx(&f->q), (uint16_t)(before + 1));
    e = drv_used_elem(&f->q, before);
    assert_int_equal(e.id, head);
    return e.len;
}

static uint8_t status_at(struct fixture *f, uint64_t gpa)
{
    return *ram(f, gpa, 1);
}

/*
 * Tests.
 */
static void test_features_and_config(void **state)
{
    struct fixture *f = *state;
    uint64_t feat = offered(f);

    assert_int_equal(r32(f, XV_MMIO_DEVICE_ID), 2);
    assert_true(feat & F(VIRTIO_BLK_F_SEG_MAX));
    assert_true(feat & F(VIRTIO_BLK_F_BLK_SIZE));
    assert_true(feat & F(VIRTIO_BLK_F_FLUSH));
    assert_true(feat & F(VIRTIO_BLK_F_DISCARD));
    assert_true(feat & F(VIRTIO_BLK_F_WRITE_ZEROES));
    assert_false(feat & F(VIRTIO_BLK_F_RO));
    assert_true(feat & F(VIRTIO_BLK_F_SIZE_MAX));
    assert_false(feat & F(VIRTIO_BLK_F_MQ));
    assert_false(feat & F(VIRTIO_BLK_F_TOPOLOGY));
    assert_true(feat & F(XV_F_VERSION_1));
    assert_true(feat & F(XV_F_INDIRECT_DESC));
    assert_int_equal(xv_blk_features(&f->blk), feat & 0xffffffull);

    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY, 4), DISK_SECTORS);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY + 4, 4), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_SEG_MAX, 4), SEG_MAX);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_SIZE_MAX, 4), 1u << 20);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_NUM_QUEUES, 2), 1);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITEBACK, 1), 1);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4), 64);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 4), 4);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 4), 1);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 4), 64);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 4), 4);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1), 1);
    assert_int_equal(cfg(f, XV_BLK_CONFIG_SIZE - 4, 4), 0);
    /* Config space is read-only without CONFIG_WCE. */
    assert_int_equal(xv_mmio_write(&f->dev, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY,
                                   4, 1), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY, 4), DISK_SECTORS);
    /* Past the end: the core refuses. */
    assert_int_not_equal(xv_mmio_read(&f->dev, XV_MMIO_CONFIG + XV_BLK_CONFIG_SIZE,
                                      1, &(uint32_t){ 0 }), 0);
    w32(f, XV_MMIO_QUEUE_SEL, 0);
    assert_int_equal(r32(f, XV_MMIO_QUEUE_NUM_MAX), QSIZE);
    assert_ptr_equal(xv_blk_from_device(&f->dev), &f->blk);

    start(f, F_DRIVER);
    assert_true(xv_device_has_feature(&f->dev, VIRTIO_BLK_F_DISCARD));
}

static void test_minimal_storage_features(void **state)
{
    struct fixture *f = *state;
    uint64_t feat = offered(f);

    assert_false(feat & F(VIRTIO_BLK_F_FLUSH));
    assert_false(feat & F(VIRTIO_BLK_F_DISCARD));
    assert_false(feat & F(VIRTIO_BLK_F_WRITE_ZEROES));
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITEBACK, 1), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4), 0);

    /* Types of features not offered: UNSUPP, storage untouched. */
    start(f, F_DRIVER);
    for (unsigned t = 0; t < 3; t++) {
        static const uint32_t types[] = { VIRTIO_BLK_T_FLUSH,
                                          VIRTIO_BLK_T_DISCARD,
                                          VIRTIO_BLK_T_WRITE_ZEROES };
        uint64_t r = range_buf(f, 1, (uint64_t[]){ 0 }, (uint32_t[]){ 1 },
                               (uint32_t[]){ 0 });
        uint64_t st = gbuf_alloc(f, 1);
        struct seg flush[] = { { hdr(f, types[t], 0), 16, false }, { st, 1, true } };
        struct seg ranged[] = { { hdr(f, types[t], 0), 16, false },
                                { r, 16, false }, { st, 1, true } };

        if (t == 0)
            assert_int_equal(run(f, flush, 2, false), 1);
        else
            assert_int_equal(run(f, ranged, 3, false), 1);
        assert_int_equal(status_at(f, st), VIRTIO_BLK_S_UNSUPP);
    }
    assert_int_equal(storage_calls(f), 0);
}

static void test_write_read_round_trip(void **state)
{
    struct fixture *f = *state;
    uint64_t d0 = gbuf_alloc(f, 512), d1 = gbuf_alloc(f, 1024);
    uint64_t d2 = gbuf_alloc(f, 512), st = gbuf_alloc(f, 1);
    uint8_t expect[2048];

    start(f, F_DRIVER);
    for (unsigned i = 0; i < sizeof(expect); i++)
        expect[i] = (uint8_t)(i * 13 + 5);
    memcpy(ram(f, d0, 512), expect, 512);
    memcpy(ram(f, d1, 1024), expect + 512, 1024);
    memcpy(ram(f, d2, 512), expect + 1536, 512);

    struct seg w[] = { { hdr(f, VIRTIO_BLK_T_OUT, 10), 16, false },
                       { d0, 512, false }, { d1, 1024, false }, { d2, 512, false },
                       { st, 1, true } };
    assert_int_equal(run(f, w, 5, false), 1);     /* only the status */
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.writes, 1);
    assert_int_equal(f->disk.last_offset, 10 * 512);
    assert_int_equal(f->disk.last_len, 2048);
    assert_int_equal(f->disk.last_n, 3);
    assert_memory_equal(f->disk.data + 10 * 512, expect, 2048);

    /* Read it back: header and status sharing descriptors with data
     * (any layout is legal with VERSION_1). */
    uint64_t h = gbuf_alloc(f, 16 + 0);
    uint64_t r0 = gbuf_alloc(f, 1536), r1 = gbuf_alloc(f, 512 + 1);
    hdr_at(f, h, VIRTIO_BLK_T_IN, 10);
    struct seg r[] = { { h, 16, false }, { r0, 1536, true }, { r1, 513, true } };
    assert_int_equal(run(f, r, 3, false), 2049);  /* data + status */
    assert_int_equal(status_at(f, r1 + 512), VIRTIO_BLK_S_OK);
    assert_memory_equal(ram(f, r0, 1536), expect, 1536);
    assert_memory_equal(ram(f, r1, 512), expect + 1536, 512);
    assert_int_equal(f->disk.reads, 1);
    assert_int_equal(f->disk.last_n, 2);
    assert_true(f->tp.interrupt_calls >= 1);
}

static void test_indirect_and_split_header(void **state)
{
    struct fixture *f = *state;
    uint64_t h = gbuf_alloc(f, 16 + 512);   /* header and first data sector */
    uint64_t d = gbuf_alloc(f, 512), st = gbuf_alloc(f, 1);
    uint64_t r = gbuf_alloc(f, 1024 + 1);

    start(f, F_DRIVER);
    hdr_at(f, h, VIRTIO_BLK_T_OUT, 100);
    memset(ram(f, h + 16, 512), 0x11, 512);
    memset(ram(f, d, 512), 0x22, 512);
    /* Header split over two descriptors too. */
    struct seg w[] = { { h, 8, false }, { h + 8, 8 + 512, false },
                       { d, 512, false }, { st, 1, true } };
    assert_int_equal(run(f, w, 4, true), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.data[100 * 512], 0x11);
    assert_int_equal(f->disk.data[101 * 512 + 511], 0x22);

    struct seg rd[] = { { hdr(f, VIRTIO_BLK_T_IN, 100), 16, false },
                        { r, 1025, true } };
    assert_int_equal(run(f, rd, 2, true), 1025);
    assert_int_equal(status_at(f, r + 1024), VIRTIO_BLK_S_OK);
    assert_int_equal(ram(f, r, 1)[0], 0x11);
    assert_int_equal(ram(f, r + 1023, 1)[0], 0x22);
}

static void test_flush(void **state)
{
    struct fixture *f = *state;
    uint64_t st = gbuf_alloc(f, 1);

    start(f, F_DRIVER);
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false }, { st, 1, true } };
    assert_int_equal(run(f, s, 2, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.flushes, 1);

    f->disk.fail = -EIO;
    assert_int_equal(run(f, s, 2, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->blk.stats.last_errno, -EIO);
}

static void test_flush_unnegotiated(void **state)
{
    struct fixture *f = *state;
    uint64_t st = gbuf_alloc(f, 1);

    start(f, F_DRIVER & ~F(VIRTIO_BLK_F_FLUSH));
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false }, { st, 1, true } };
    assert_int_equal(run(f, s, 2, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(f->disk.flushes, 0);
}

static void test_get_id(void **state)
{
    struct fixture *f = *state;
    uint64_t id = gbuf_alloc(f, 21), small = gbuf_alloc(f, 5);
    uint64_t big = gbuf_alloc(f, 64);
    char expect[20] = SERIAL;

    start(f, F_DRIVER);
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_GET_ID, 0), 16, false }, { id, 21, true } };
    assert_int_equal(run(f, s, 2, false), 21);
    assert_memory_equal(ram(f, id, 20), expect, 20);  /* NUL-padded */
    assert_int_equal(status_at(f, id + 20), VIRTIO_BLK_S_OK);

    /* A short buffer gets the first bytes. */
    struct seg s2[] = { { hdr(f, VIRTIO_BLK_T_GET_ID, 0), 16, false },
                        { small, 5, true } };
    assert_int_equal(run(f, s2, 2, false), 5);
    assert_memory_equal(ram(f, small, 4), SERIAL, 4);
    assert_int_equal(status_at(f, small + 4), VIRTIO_BLK_S_OK);

    /* A long one: 20 bytes of ID, zeroes after, status last. */
    struct seg s3[] = { { hdr(f, VIRTIO_BLK_T_GET_ID, 0), 16, false },
                        { big, 40, true }, { big + 40, 24, true } };
    assert_int_equal(run(f, s3, 3, false), 64);
    assert_memory_equal(ram(f, big, 20), expect, 20);
    for (unsigned i = 20; i < 63; i++)
        assert_int_equal(ram(f, big + i, 1)[0], 0);
    assert_int_equal(status_at(f, big + 63), VIRTIO_BLK_S_OK);
    assert_int_equal(storage_calls(f), 0);
}

static void test_discard_and_write_zeroes(void **state)
{
    struct fixture *f = *state;
    uint64_t st = gbuf_alloc(f, 1);
    uint8_t zero[1024] = { 0 };

    start(f, F_DRIVER);
    /* Two discard ranges. */
    uint64_t r = range_buf(f, 2, (uint64_t[]){ 4, 20 }, (uint32_t[]){ 2, 1 },
                           (uint32_t[]){ 0, 0 });
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_DISCARD, 0), 16, false },
                       { r, 32, false }, { st, 1, true } };
    assert_int_equal(run(f, s, 3, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.discards, 2);
    assert_memory_equal(f->disk.data + 4 * 512, zero, 1024);
    assert_memory_equal(f->disk.data + 20 * 512, zero, 512);
    assert_int_not_equal(f->disk.data[6 * 512 + 1], 0);
    assert_int_equal(f->disk.last_offset, 20 * 512);

    /* Write zeroes with UNMAP: allowed to unmap. */
    uint64_t wz = range_buf(f, 1, (uint64_t[]){ 30 }, (uint32_t[]){ 2 },
                            (uint32_t[]){ VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP });
    struct seg s2[] = { { hdr(f, VIRTIO_BLK_T_WRITE_ZEROES, 0), 16, false },
                        { wz, 16, false }, { st, 1, true } };
    assert_int_equal(run(f, s2, 3, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.write_zeroes, 1);
    assert_true(f->disk.last_may_unmap);
    assert_memory_equal(f->disk.data + 30 * 512, zero, 1024);
}

/* One bad DISCARD/WRITE_ZEROES request; expect status, no storage call. */
static void bad_ranges(struct fixture *f, uint32_t type, unsigned n,
                       uint32_t len, const uint64_t *sector, const uint32_t *num,
                       const uint32_t *flags, uint8_t expect)
{
    uint64_t st = gbuf_alloc(f, 1);
    uint64_t r = range_buf(f, n, sector, num, flags);
    unsigned calls = storage_calls(f);
    struct seg s[] = { { hdr(f, type, 0), 16, false }, { r, len, false },
                       { st, 1, true } };

    assert_int_equal(run(f, s, 3, false), 1);
    assert_int_equal(status_at(f, st), expect);
    assert_int_equal(storage_calls(f), calls);
}

static void test_discard_validation(void **state)
{
    struct fixture *f = *state;
    const uint32_t none[5] = { 0 };
    const uint32_t one[5] = { 1, 1, 1, 1, 1 };
    const uint64_t s0[5] = { 0, 1, 2, 3, 4 };

    start(f, F_DRIVER);
    /* Discard with UNMAP: UNSUPP (virtio 1.2 §5.2.6.2). */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 1, 16, s0, one,
               (uint32_t[]){ VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP },
               VIRTIO_BLK_S_UNSUPP);
    /* Unknown flags: UNSUPP, for both. */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 1, 16, s0, one, (uint32_t[]){ 2 },
               VIRTIO_BLK_S_UNSUPP);
    bad_ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, 16, s0, one,
               (uint32_t[]){ 0x80000000u }, VIRTIO_BLK_S_UNSUPP);
    /* More sectors than max_discard_sectors. */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 1, 16, s0, (uint32_t[]){ 65 }, none,
               VIRTIO_BLK_S_IOERR);
    bad_ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, 16, s0, (uint32_t[]){ 65 }, none,
               VIRTIO_BLK_S_IOERR);
    /* Beyond the capacity, and a sector that overflows when scaled. */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 1, 16, (uint64_t[]){ DISK_SECTORS - 1 },
               (uint32_t[]){ 2 }, none, VIRTIO_BLK_S_IOERR);
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 1, 16, (uint64_t[]){ UINT64_MAX >> 8 },
               one, none, VIRTIO_BLK_S_IOERR);
    /* A bad second range stops the first from running too. */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 2, 32, (uint64_t[]){ 0, DISK_SECTORS },
               one, none, VIRTIO_BLK_S_IOERR);
    /* More ranges than max_discard_seg (4). */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 5, 80, s0, one, none, VIRTIO_BLK_S_IOERR);
    /* Payload not a whole number of ranges, or empty. */
    bad_ranges(f, VIRTIO_BLK_T_DISCARD, 1, 12, s0, one, none, VIRTIO_BLK_S_IOERR);
    {
        uint64_t st = gbuf_alloc(f, 1);
        struct seg s[] = { { hdr(f, VIRTIO_BLK_T_DISCARD, 0), 16, false },
                           { st, 1, true } };

        assert_int_equal(run(f, s, 2, false), 1);
        assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    }
    assert_int_equal(storage_calls(f), 0);
}

static void test_read_only(void **state)
{
    struct fixture *f = *state;
    uint64_t feat = offered(f);
    uint64_t d = gbuf_alloc(f, 512), st = gbuf_alloc(f, 1);
    uint8_t before[512];

    assert_true(feat & F(VIRTIO_BLK_F_RO));
    assert_false(feat & F(VIRTIO_BLK_F_DISCARD));
    assert_false(feat & F(VIRTIO_BLK_F_WRITE_ZEROES));
    start(f, F_DRIVER);
    memcpy(before, f->disk.data, 512);
    memset(ram(f, d, 512), 0x5a, 512);
    struct seg w[] = { { hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false },
                       { d, 512, false }, { st, 1, true } };
    assert_int_equal(run(f, w, 3, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->disk.writes, 0);
    assert_memory_equal(f->disk.data, before, 512);

    /* Discard was not offered, so not negotiated: UNSUPP. */
    uint64_t r = range_buf(f, 1, (uint64_t[]){ 0 }, (uint32_t[]){ 1 },
                           (uint32_t[]){ 0 });
    struct seg dc[] = { { hdr(f, VIRTIO_BLK_T_DISCARD, 0), 16, false },
                        { r, 16, false }, { st, 1, true } };
    assert_int_equal(run(f, dc, 3, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_UNSUPP);

    /* Reads work; flush is a successful no-op. */
    struct seg rd[] = { { hdr(f, VIRTIO_BLK_T_IN, 0), 16, false },
                        { d, 512, true }, { st, 1, true } };
    assert_int_equal(run(f, rd, 3, false), 513);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_memory_equal(ram(f, d, 512), before, 512);
    struct seg fl[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false }, { st, 1, true } };
    assert_int_equal(run(f, fl, 2, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.flushes, 0);
}

/* An IN or OUT that must fail with IOERR without touching the storage. */
static void bad_rw(struct fixture *f, uint32_t type, uint64_t sector,
                   uint32_t len)
{
    uint64_t d = gbuf_alloc(f, len + 1);
    unsigned calls = storage_calls(f);
    uint32_t used;

    if (type == VIRTIO_BLK_T_IN) {
        struct seg s[] = { { hdr(f, type, sector), 16, false },
                           { d, len + 1, true } };
        used = run(f, s, 2, false);
        assert_int_equal(used, len + 1);
        /* Nothing stale left in the data area. */
        for (uint32_t i = 0; i < len; i++)
            assert_int_equal(ram(f, d + i, 1)[0], 0);
        assert_int_equal(status_at(f, d + len), VIRTIO_BLK_S_IOERR);
    } else {
        struct seg s[] = { { hdr(f, type, sector), 16, false },
                           { d, len, false }, { d + len, 1, true } };
        used = run(f, s, 3, false);
        assert_int_equal(used, 1);
        assert_int_equal(status_at(f, d + len), VIRTIO_BLK_S_IOERR);
    }
    assert_int_equal(storage_calls(f), calls);
}

static void test_out_of_range(void **state)
{
    struct fixture *f = *state;

    start(f, F_DRIVER);
    bad_rw(f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024);
    bad_rw(f, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 1024);
    bad_rw(f, VIRTIO_BLK_T_IN, DISK_SECTORS, 512);
    bad_rw(f, VIRTIO_BLK_T_OUT, UINT64_MAX, 512);
    /* sector * 512 wraps to 0: must not alias the start of the disk. */
    bad_rw(f, VIRTIO_BLK_T_OUT, 1ull << 55, 512);
    bad_rw(f, VIRTIO_BLK_T_IN, (1ull << 55) + 1, 512);
    /* The last sector itself is fine. */
    uint64_t d = gbuf_alloc(f, 513);
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1), 16, false },
                       { d, 513, true } };
    assert_int_equal(run(f, s, 2, false), 513);
    assert_int_equal(status_at(f, d + 512), VIRTIO_BLK_S_OK);
    assert_memory_equal(ram(f, d, 512), f->disk.data + DISK_BYTES - 512, 512);
}

static void test_unaligned_length(void **state)
{
    struct fixture *f = *state;

    start(f, F_DRIVER);
    bad_rw(f, VIRTIO_BLK_T_IN, 0, 100);
    bad_rw(f, VIRTIO_BLK_T_OUT, 0, 513);
    bad_rw(f, VIRTIO_BLK_T_IN, 0, 1023);
}

/* SIZE_MAX 1024: a 2 KiB read in one segment breaks the promise and reads
 * nothing; the same bytes in two segments are fine. */
static void test_size_max(void **state)
{
    struct fixture *f = *state;
    uint64_t h = gbuf_alloc(f, 16), st = gbuf_alloc(f, 1);
    uint64_t d = gbuf_alloc(f, 2048);

    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_SIZE_MAX, 4), 1024);
    start(f, F_DRIVER);
    hdr_at(f, h, VIRTIO_BLK_T_IN, 0);
    struct seg one[] = { { h, 16, false }, { d, 2048, true }, { st, 1, true } };
    run(f, one, 3, false);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(ram(f, d, 1)[0], 0);
    assert_int_equal(f->disk.reads, 0);

    hdr_at(f, h, VIRTIO_BLK_T_IN, 0);
    struct seg two[] = { { h, 16, false }, { d, 1024, true }, { d + 1024, 1024, true },
                         { st, 1, true } };
    assert_int_equal(run(f, two, 4, false), 2049);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_memory_equal(ram(f, d, 2048), f->disk.data, 2048);
}

/* Without SIZE_MAX negotiated a segment may be as long as the driver
 * likes, but a request still covers at most seg_max * size_max bytes. */
static void test_request_bound_without_size_max(void **state)
{
    struct fixture *f = *state;
    uint32_t bound = SEG_MAX * 1024;
    uint64_t h = gbuf_alloc(f, 16), st = gbuf_alloc(f, 1);
    uint64_t d = gbuf_alloc(f, bound + 512);

    start(f, F_DRIVER & ~F(VIRTIO_BLK_F_SIZE_MAX));
    hdr_at(f, h, VIRTIO_BLK_T_IN, 0);
    struct seg fits[] = { { h, 16, false }, { d, bound, true }, { st, 1, true } };
    assert_int_equal(run(f, fits, 3, false), bound + 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_memory_equal(ram(f, d, bound), f->disk.data, bound);

    hdr_at(f, h, VIRTIO_BLK_T_IN, 0);
    struct seg over[] = { { h, 16, false }, { d, bound + 512, true }, { st, 1, true } };
    run(f, over, 3, false);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->disk.reads, 1);
}

static void test_bad_header(void **state)
{
    struct fixture *f = *state;
    uint64_t h = gbuf_alloc(f, 16), st = gbuf_alloc(f, 1);
    uint64_t d = gbuf_alloc(f, 512);

    start(f, F_DRIVER);
    /* 15 readable header bytes. */
    hdr_at(f, h, VIRTIO_BLK_T_IN, 0);
    struct seg s1[] = { { h, 15, false }, { d, 512, true }, { st, 1, true } };
    assert_int_equal(run(f, s1, 3, false), 513);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);

    /* Header in a device-writable buffer: not a header at all. */
    hdr_at(f, h, VIRTIO_BLK_T_IN, 0);
    struct seg s2[] = { { h, 16, true }, { d, 512, true }, { st, 1, true } };
    assert_int_equal(run(f, s2, 3, false), 529);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(ram(f, d, 1)[0], 0);

    /* No header at all, just a status byte. */
    struct seg s3[] = { { st, 1, true } };
    assert_int_equal(run(f, s3, 1, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(storage_calls(f), 0);
    assert_true(f->blk.stats.malformed >= 3);
}

static void test_missing_status(void **state)
{
    struct fixture *f = *state;
    uint64_t d = gbuf_alloc(f, 512);

    start(f, F_DRIVER);
    memset(ram(f, d, 512), 0x77, 512);
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false }, { d, 512, false } };
    assert_int_equal(run(f, s, 2, false), 0);
    struct seg s2[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false } };
    assert_int_equal(run(f, s2, 1, false), 0);
    assert_int_equal(storage_calls(f), 0);
    assert_int_equal(f->blk.stats.no_status, 2);
}

static void test_unsupported_type(void **state)
{
    struct fixture *f = *state;
    static const uint32_t types[] = { 2, 3, 10, 14, 15, 99, 0x80000001u };
    uint64_t st = gbuf_alloc(f, 1);

    start(f, F_DRIVER);
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct seg s[] = { { hdr(f, types[i], 0), 16, false }, { st, 1, true } };

        *ram(f, st, 1) = 0xff;
        assert_int_equal(run(f, s, 2, false), 1);
        assert_int_equal(status_at(f, st), VIRTIO_BLK_S_UNSUPP);
    }
    assert_int_equal(storage_calls(f), 0);
    assert_int_equal(f->blk.stats.unsupp, sizeof(types) / sizeof(types[0]));
}

static void test_wrong_direction(void **state)
{
    struct fixture *f = *state;
    uint64_t d = gbuf_alloc(f, 512), st = gbuf_alloc(f, 1);

    start(f, F_DRIVER);
    /* A read with readable data after the header. */
    struct seg s1[] = { { hdr(f, VIRTIO_BLK_T_IN, 0), 16, false },
                        { d, 512, false }, { st, 1, true } };
    assert_int_equal(run(f, s1, 3, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    /* A write with writable data before the status. */
    struct seg s2[] = { { hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false },
                        { d, 512, true }, { st, 1, true } };
    assert_int_equal(run(f, s2, 3, false), 513);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    /* A flush carrying data. */
    struct seg s3[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false },
                        { d, 512, false }, { st, 1, true } };
    assert_int_equal(run(f, s3, 3, false), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(storage_calls(f), 0);
}

static void test_storage_error(void **state)
{
    struct fixture *f = *state;
    uint64_t d = gbuf_alloc(f, 1025);

    start(f, F_DRIVER);
    f->disk.fail = -EIO;
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_IN, 0), 16, false }, { d, 1025, true } };
    assert_int_equal(run(f, s, 2, false), 1025);
    assert_int_equal(status_at(f, d + 1024), VIRTIO_BLK_S_IOERR);
    /* The storage filled the buffer before failing: zeroed again. */
    for (unsigned i = 0; i < 1024; i++)
        assert_int_equal(ram(f, d + i, 1)[0], 0);
    assert_int_equal(f->blk.stats.ioerr, 1);
    assert_int_equal(f->blk.stats.last_errno, -EIO);
}

static void test_too_many_segments(void **state)
{
    struct fixture *f = *state;
    struct seg s[SEG_MAX + 3];
    unsigned n = 0;
    uint64_t st = gbuf_alloc(f, 1);

    start(f, F_DRIVER);
    s[n++] = (struct seg){ hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false };
    for (unsigned i = 0; i < SEG_MAX + 1; i++)
        s[n++] = (struct seg){ gbuf_alloc(f, 512), 512, false };
    s[n++] = (struct seg){ st, 1, true };
    /* The core fails the chain (no status: used length 0). */
    assert_int_equal(run(f, s, n, true), 0);
    assert_int_equal(storage_calls(f), 0);
    /* seg_max exactly is fine. */
    s[n - 2] = s[n - 1];
    assert_int_equal(run(f, s, n - 1, true), 1);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.last_n, SEG_MAX);
}

static void test_batch_bound(void **state)
{
    struct fixture *f = *state;
    uint64_t st[10];

    start(f, F_DRIVER);
    for (unsigned i = 0; i < 10; i++) {
        st[i] = gbuf_alloc(f, 1);
        struct seg s[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false },
                           { st[i], 1, true } };
        submit(f, s, 2, false);
    }
    tp_clear_counters(&f->tp);
    w32(f, XV_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(f->tp.queue_notify_calls, 1);
    xv_device_process_queue(&f->dev, 0);
    /* Four done, and the device asked to be called again. */
    assert_int_equal(drv_used_idx(&f->q), 4);
    assert_int_equal(f->tp.queue_notify_calls, 2);
    xv_device_process_queue(&f->dev, 0);
    assert_int_equal(drv_used_idx(&f->q), 8);
    assert_int_equal(f->tp.queue_notify_calls, 3);
    xv_device_process_queue(&f->dev, 0);
    assert_int_equal(drv_used_idx(&f->q), 10);
    /* Drained: no further request to run. */
    assert_int_equal(f->tp.queue_notify_calls, 3);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(status_at(f, st[i]), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.flushes, 10);
    assert_int_equal(f->blk.stats.requests, 10);
}

static void test_event_idx(void **state)
{
    struct fixture *f = *state;
    uint64_t st = gbuf_alloc(f, 1);

    start(f, F_DRIVER | F(XV_F_EVENT_IDX));
    struct seg s[] = { { hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false }, { st, 1, true } };
    /* The driver wants an interrupt for the first completion. */
    drv_set_used_event(&f->q, 0);
    assert_int_equal(run(f, s, 2, false), 1);
    assert_int_equal(f->tp.interrupt_calls, 1);
    /* After draining, the device listens for the next avail index. */
    assert_int_equal(drv_avail_event(&f->q), f->q.avail_idx);
    /* used_event far ahead: no interrupt. */
    drv_set_used_event(&f->q, 100);
    assert_int_equal(run(f, s, 2, false), 1);
    assert_int_equal(f->tp.interrupt_calls, 1);
}

static void test_capacity_change(void **state)
{
    struct fixture *f = *state;
    uint32_t gen;

    start(f, F_DRIVER);
    gen = r32(f, XV_MMIO_CONFIG_GENERATION);
    xv_blk_set_capacity(&f->blk, 256 * 512 + 100);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY, 4), 256);
    assert_int_not_equal(r32(f, XV_MMIO_CONFIG_GENERATION), gen);
    assert_true(r32(f, XV_MMIO_INTERRUPT_STATUS) & XV_MMIO_INT_CONFIG);
    bad_rw(f, VIRTIO_BLK_T_IN, 256, 512);
}

static int async_submit_stub(void *opaque, struct xv_blk_req *req)
{
    (void)opaque;
    (void)req;
    return -EAGAIN;
}

/* CONFIG_WCE: write-through (set by the driver) syncs every write and
 * write-zeroes; writeback leaves that to FLUSH; a reset restores it. */
static void test_write_cache_enable(void **state)
{
    struct fixture *f = *state;
    uint64_t st = gbuf_alloc(f, 1);
    uint64_t data = gbuf_alloc(f, 512);
    uint64_t zr;
    uint64_t sector = 3;
    uint32_t num = 1, flags = 0;

    assert_true(offered(f) & F(VIRTIO_BLK_F_CONFIG_WCE));
    start(f, F_DRIVER | F(VIRTIO_BLK_F_CONFIG_WCE));
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITEBACK, 1), 1);
    struct seg w[] = { { hdr(f, VIRTIO_BLK_T_OUT, 1), 16, false },
                       { data, 512, false }, { st, 1, true } };
    run(f, w, 3, false);
    assert_int_equal(f->disk.flushes, 0);
    assert_int_equal(xv_mmio_write(&f->dev, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK,
                                   1, 0), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITEBACK, 1), 0);
    run(f, w, 3, false);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.writes, 2);
    assert_int_equal(f->disk.flushes, 1);
    zr = range_buf(f, 1, &sector, &num, &flags);
    struct seg z[] = { { hdr(f, VIRTIO_BLK_T_WRITE_ZEROES, 0), 16, false },
                       { zr, 16, false }, { st, 1, true } };
    run(f, z, 3, false);
    assert_int_equal(status_at(f, st), VIRTIO_BLK_S_OK);
    assert_int_equal(f->disk.flushes, 2);
    w32(f, XV_MMIO_STATUS, 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITEBACK, 1), 1);
    /* Without FLUSH the driver can't flush: write-through, and it reads so. */
    f->next_desc = 0;
    start(f, F_DRIVER & ~F(VIRTIO_BLK_F_FLUSH));
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITEBACK, 1), 0);
    run(f, w, 3, false);
    assert_int_equal(f->disk.flushes, 3);
}

static void test_init_rejects(void **state)
{
    struct fixture *f = *state;
    struct xv_blk blk;
    struct xv_device dev;
    struct xv_blk_storage s = f->storage;
    struct xv_blk_params p = f->params;
    struct xv_blk_req bare = { 0 };

    s.blk_size = 256;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &f->req, 1),
                     -EINVAL);
    s = f->storage;
    p.queue_size = 48;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &f->req, 1),
                     -EINVAL);
    p = f->params;
    p.seg_max = 0;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &f->req, 1),
                     -EINVAL);
    p = f->params;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &bare, 1),
                     -EINVAL);
    /* More queues than slots, or than the engine has room for. */
    p.num_queues = 2;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &f->req, 1),
                     -EINVAL);
    p.num_queues = XV_BLK_MAX_QUEUES + 1;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &f->req, 1),
                     -EINVAL);
    /* Asynchronous storage must be able to drain (resets). */
    p = f->params;
    struct xv_blk_storage_ops no_drain = disk_ops;
    no_drain.submit = async_submit_stub;
    s.ops = &no_drain;
    assert_int_equal(xv_blk_init(&blk, &dev, &f->tp.platform, &s, &p, &f->req, 1),
                     -EINVAL);
    s = f->storage;
    /* A device that is not an xv_blk is not mistaken for one. */
    struct xv_device_ops other = { .queue_work = NULL };
    struct xv_device od = { .ops = &other };
    assert_null(xv_blk_from_device(&od));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_features_and_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minimal_storage_features,
                                        setup_minimal, teardown),
        cmocka_unit_test_setup_teardown(test_write_read_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indirect_and_split_header, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_cache_enable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_unnegotiated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_and_write_zeroes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_discard_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unaligned_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_max, setup_size_max, teardown),
        cmocka_unit_test_setup_teardown(test_request_bound_without_size_max, setup_size_max,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_bound, setup_batch4, teardown),
        cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_rejects, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
