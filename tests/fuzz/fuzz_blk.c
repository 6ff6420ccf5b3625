/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the virtio-blk request parser (devices/block/blk.c) through
 * the real core, with a RAM-disk storage that is synchronous or
 * asynchronous (requests held until the input completes them, so slots run
 * out, resets find I/O in flight, and completions come out of order).
 *
 * Invariants: no crash or sanitizer report; the storage only ever sees
 * ranges inside the medium, in whole sectors, with the right number of
 * bytes; used ids are heads of the queue; after the final reset nothing is
 * in flight, nothing is mapped, and the RAM guards are intact.
 *
 * Input: u8 setup (bit 0 asynchronous storage, bit 1 bounce buffers,
 * bit 2 two queues with MQ, bit 3 start in write-through mode), then
 * records until the input ends:
 *   u8 op % 6:  0 REQUEST: u8 queue, u8 nsegs (1 + n % 4), per segment
 *                 u8 size (bit 7: (size & 0x7f) * 8 bytes, else size % 40),
 *                 u8 flags (bit 0 device-writable), then min(len, 32)
 *                 content bytes (the first segment is normally the 16-byte
 *                 header: le32 type, le32 ioprio, le64 sector)
 *               1 KICK: u8 queue
 *               2 RESET (status 0, bring up again)
 *               3 COMPLETE: u8 count, u8 result (0 ok, 1 EIO, 2 UNSUPP),
 *                 oldest pending first, then xv_blk_notify
 *               4 WCE: u8 value written to the config 'writeback' byte
 *               5 ERROR: u8 result of the next synchronous calls (as 3)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk.h"
#include "fuzz_format.h"
#include "ring_helper.h"
#include "test_platform.h"

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "fuzz_blk: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                     \
            abort();                                                      \
        }                                                                 \
    } while (0)

#define QSIZE 16u
#define NQ_MAX 2u
#define NREQS 4u
#define SEG_MAX 4u
#define SEGS XV_BLK_REQ_SEGS(SEG_MAX)
#define MEDIUM_BYTES (64u * 512u)
#define BUF_GPA (TP_RAM_GPA + 0x2000u)
#define BUF_SPACE 0xe000u

struct state {
    struct test_platform tp;
    struct xv_device dev;
    struct xv_blk blk;
    struct xv_blk_req reqs[NREQS];
    struct xv_iovec iov[NREQS][SEGS], data[NREQS][SEGS];
    struct xv_gbuf gbuf[NREQS][SEGS];
    struct drv_vq q[NQ_MAX];
    unsigned nq;
    uint16_t next_desc[NQ_MAX];
    uint32_t next_buf;
    uint8_t medium[MEDIUM_BYTES];
    struct xv_blk_req *pending[NREQS];
    unsigned nr_pending;
    int sync_err;
};

static int result_err(unsigned sel)
{
    switch (sel % 3) {
    case 0:
        return 0;
    case 1:
        return -EIO;
    default:
        return -EOPNOTSUPP;
    }
}

static void check_range(uint64_t offset, uint64_t len)
{
    CHECK(offset % 512 == 0 && len % 512 == 0);
    CHECK(offset <= MEDIUM_BYTES && len <= MEDIUM_BYTES - offset);
}

static size_t iov_bytes(const struct xv_iovec *iov, unsigned n)
{
    size_t total = 0;

    for (unsigned i = 0; i < n; i++) {
        CHECK(iov[i].base || iov[i].len == 0);
        total += iov[i].len;
    }
    return total;
}

static int st_read(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                   unsigned n)
{
    struct state *s = opaque;

    check_range(offset, iov_bytes(iov, n));
    for (unsigned i = 0; i < n; i++) {
        memcpy(iov[i].base, s->medium + offset, iov[i].len);
        offset += iov[i].len;
    }
    return s->sync_err;
}

static int st_write(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                    unsigned n)
{
    struct state *s = opaque;

    check_range(offset, iov_bytes(iov, n));
    for (unsigned i = 0; i < n; i++) {
        memcpy(s->medium + offset, iov[i].base, iov[i].len);
        offset += iov[i].len;
    }
    return s->sync_err;
}

static int st_flush(void *opaque)
{
    return ((struct state *)opaque)->sync_err;
}

static int st_discard(void *opaque, uint64_t offset, uint64_t len)
{
    check_range(offset, len);
    return ((struct state *)opaque)->sync_err;
}

static int st_write_zeroes(void *opaque, uint64_t offset, uint64_t len,
                           bool may_unmap)
{
    struct state *s = opaque;

    (void)may_unmap;
    check_range(offset, len);
    memset(s->medium + offset, 0, len);
    return s->sync_err;
}

/* Asynchronous: keep the request; the input decides when it completes. */
static int st_submit(void *opaque, struct xv_blk_req *req)
{
    struct state *s = opaque;

    CHECK(req->busy && s->nr_pending < NREQS);
    CHECK(req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT ||
          req->type == VIRTIO_BLK_T_FLUSH);
    if (req->type != VIRTIO_BLK_T_FLUSH) {
        CHECK(iov_bytes(req->data, req->nr_data) == req->data_len);
        check_range(req->sector * 512, req->data_len);
    }
    s->pending[s->nr_pending++] = req;
    return 0;
}

static void complete_some(struct state *s, unsigned count, int err)
{
    while (count-- && s->nr_pending) {
        struct xv_blk_req *req = s->pending[0];

        memmove(s->pending, s->pending + 1,
                (s->nr_pending - 1) * sizeof(s->pending[0]));
        s->nr_pending--;
        if (!err && req->type == VIRTIO_BLK_T_IN)
            st_read(s, req->sector * 512, req->data, req->nr_data);
        else if (!err && req->type == VIRTIO_BLK_T_OUT)
            st_write(s, req->sector * 512, req->data, req->nr_data);
        xv_blk_complete_io(req, err);
    }
}

static void st_drain(void *opaque)
{
    struct state *s = opaque;

    complete_some(s, NREQS, -EIO);
}

static const struct xv_blk_storage_ops sync_ops = {
    .read = st_read,
    .write = st_write,
    .flush = st_flush,
    .discard = st_discard,
    .write_zeroes = st_write_zeroes,
};

static const struct xv_blk_storage_ops async_ops = {
    .read = st_read,
    .write = st_write,
    .flush = st_flush,
    .discard = st_discard,
    .write_zeroes = st_write_zeroes,
    .submit = st_submit,
    .drain = st_drain,
};

static void w32(struct state *s, uint32_t off, uint32_t val)
{
    CHECK(xv_mmio_write(&s->dev, off, 4, val) == 0);
}

static void bring_up(struct state *s)
{
    uint64_t features = XV_FEATURE(XV_F_VERSION_1) | XV_FEATURE(XV_F_INDIRECT_DESC) |
                        XV_FEATURE(VIRTIO_BLK_F_FLUSH) |
                        XV_FEATURE(VIRTIO_BLK_F_CONFIG_WCE) |
                        XV_FEATURE(VIRTIO_BLK_F_DISCARD) |
                        XV_FEATURE(VIRTIO_BLK_F_WRITE_ZEROES) |
                        XV_FEATURE(VIRTIO_BLK_F_MQ);
    uint32_t status = XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER;

    w32(s, XV_MMIO_STATUS, 0);
    CHECK(xv_blk_in_flight(&s->blk) == 0 && s->nr_pending == 0);
    w32(s, XV_MMIO_STATUS, status);
    w32(s, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(s, XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(s, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(s, XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(s, XV_MMIO_STATUS, status | XV_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < s->nq; i++) {
        struct drv_vq *q = &s->q[i];

        drv_vq_layout(q, &s->tp, TP_RAM_GPA + i * 0x1000u, QSIZE);
        w32(s, XV_MMIO_QUEUE_SEL, i);
        w32(s, XV_MMIO_QUEUE_NUM, QSIZE);
        w32(s, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc_gpa);
        w32(s, XV_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc_gpa >> 32));
        w32(s, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail_gpa);
        w32(s, XV_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail_gpa >> 32));
        w32(s, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used_gpa);
        w32(s, XV_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used_gpa >> 32));
        w32(s, XV_MMIO_QUEUE_READY, 1);
        s->next_desc[i] = 0;
    }
    w32(s, XV_MMIO_STATUS, status | XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);
    s->next_buf = 0;
}

/* Place one request chain of up to 4 segments and publish it. */
static void add_request(struct state *s, struct fz_reader *r)
{
    unsigned q = (unsigned)fz_get(r, 1) % s->nq;
    unsigned nsegs = 1 + (unsigned)fz_get(r, 1) % 4;
    uint16_t head = s->next_desc[q];

    for (unsigned i = 0; i < nsegs; i++) {
        uint8_t size = (uint8_t)fz_get(r, 1);
        uint32_t len = size & 0x80 ? (uint32_t)(size & 0x7f) * 8 : size % 40u;
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
        memset(p, 0, len);
        for (uint32_t b = 0; b < len && b < 32; b++)
            p[b] = (uint8_t)fz_get(r, 1);
        drv_desc(&s->q[q], idx, gpa, len,
                 (uint16_t)((writable ? XV_VRING_DESC_F_WRITE : 0) |
                            (i + 1 < nsegs ? XV_VRING_DESC_F_NEXT : 0)),
                 (uint16_t)((idx + 1) % QSIZE));
    }
    s->next_desc[q] = (uint16_t)((head + nsegs) % QSIZE);
    drv_avail_add(&s->q[q], head);
}

static void check_used(struct state *s)
{
    for (unsigned q = 0; q < s->nq; q++) {
        for (uint16_t i = 0; i < QSIZE; i++)
            CHECK(drv_used_elem(&s->q[q], i).id < QSIZE);
    }
    CHECK(tp_guards_intact(&s->tp));
    CHECK(s->tp.unmap_mismatch == 0);
}

static void kick(struct state *s, unsigned q)
{
    w32(s, XV_MMIO_QUEUE_NOTIFY, q);
    xv_device_process_queue(&s->dev, q);
    check_used(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct state *s;
    struct fz_reader r = { .data = data, .size = size };
    struct xv_blk_storage storage;
    struct xv_blk_params params;
    uint8_t setup;

    if (!s) {
        s = calloc(1, sizeof(*s));
        CHECK(s);
    }
    memset(s, 0, sizeof(*s));
    setup = (uint8_t)fz_get(&r, 1);
    CHECK(tp_init(&s->tp, 0x10000) == 0);
    s->tp.bounce = setup & 2;
    s->tp.expected_dev = &s->dev;
    s->nq = setup & 4 ? 2 : 1;
    for (unsigned i = 0; i < NREQS; i++) {
        s->reqs[i].iov = s->iov[i];
        s->reqs[i].data = s->data[i];
        s->reqs[i].gbuf = s->gbuf[i];
    }
    memset(&storage, 0, sizeof(storage));
    storage.ops = setup & 1 ? &async_ops : &sync_ops;
    storage.opaque = s;
    storage.capacity = MEDIUM_BYTES;
    storage.blk_size = 512;
    memcpy(storage.id, "fuzz", 4);
    xv_blk_default_params(&params);
    params.queue_size = QSIZE;
    params.seg_max = SEG_MAX;
    params.max_discard_sectors = 16;
    params.max_discard_seg = 2;
    params.max_write_zeroes_sectors = 16;
    params.max_write_zeroes_seg = 2;
    params.num_queues = (uint16_t)s->nq;
    params.writeback = !(setup & 8);
    CHECK(xv_blk_init(&s->blk, &s->dev, &s->tp.platform, &storage, &params,
                      s->reqs, NREQS) == 0);
    bring_up(s);

    for (unsigned ops = 0; fz_more(&r) && ops < FZ_MAX_OPS; ops++) {
        switch (fz_get(&r, 1) % 6) {
        case 0:
            add_request(s, &r);
            break;
        case 1:
            kick(s, (unsigned)fz_get(&r, 1) % s->nq);
            break;
        case 2:
            bring_up(s);
            break;
        case 3: {
            unsigned count = (unsigned)fz_get(&r, 1);

            complete_some(s, count, result_err((unsigned)fz_get(&r, 1)));
            xv_blk_notify(&s->blk);
            check_used(s);
            break;
        }
        case 4:
            CHECK(xv_mmio_write(&s->dev, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK,
                                1, (uint32_t)fz_get(&r, 1)) == 0);
            break;
        default:
            s->sync_err = result_err((unsigned)fz_get(&r, 1));
            break;
        }
    }
    for (unsigned q = 0; q < s->nq; q++)
        kick(s, q);
    w32(s, XV_MMIO_STATUS, 0);
    CHECK(xv_blk_in_flight(&s->blk) == 0 && s->nr_pending == 0);
    CHECK(tp_outstanding(&s->tp) == 0);
    CHECK(tp_guards_intact(&s->tp));
    tp_fini(&s->tp);
    return 0;
}
