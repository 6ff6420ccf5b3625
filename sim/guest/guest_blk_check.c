/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest blk-check: every virtio-blk feature the device offers, used
 * as Linux's driver would, and every kind of bad request, checked for the
 * status virtio 1.2 §5.2.6 asks. One line per check; exit 1 if any failed.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "guest_prog.h"

#define SECTOR 512u
#define REGION_SECTORS 128u     /* one write request's own region */
#define MAX_REQUEST_SECTORS 64u
#define MQ_REQUESTS 32u         /* in flight at once, across the queues */

struct check {
    struct guest_ctx *ctx;
    struct guest_dev *dev;
    struct vdrv_blk *blk;
    uint64_t rng;
    unsigned failed;
    uint32_t unit;              /* sectors per logical block (BLK_SIZE) */
};

static uint64_t next_random(struct check *c)
{
    /* xorshift64: reproducible from --seed. */
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

static bool expect(struct check *c, bool cond, const char *what, const char *detail)
{
    if (cond)
        guest_info(c->ctx, c->dev->node, "ok: %s", what);
    else {
        guest_fail(c->ctx, c->dev->node, "%s: %s", what, detail);
        c->failed++;
    }
    return cond;
}

static bool expect_status(struct check *c, int got, int want, const char *what)
{
    char detail[96];

    snprintf(detail, sizeof(detail), "status %s, want %s",
             got < 0 ? strerror(-got) : guest_blk_status_name(got),
             guest_blk_status_name(want));
    return expect(c, got == want, what, detail);
}

static bool offered(const struct check *c, unsigned bit)
{
    return vdrv_has_feature(&c->blk->dev, bit);
}

static void report_features(struct check *c)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { VIRTIO_BLK_F_SIZE_MAX, "SIZE_MAX" }, { VIRTIO_BLK_F_SEG_MAX, "SEG_MAX" },
        { VIRTIO_BLK_F_RO, "RO" }, { VIRTIO_BLK_F_BLK_SIZE, "BLK_SIZE" },
        { VIRTIO_BLK_F_FLUSH, "FLUSH" }, { VIRTIO_BLK_F_TOPOLOGY, "TOPOLOGY" },
        { VIRTIO_BLK_F_CONFIG_WCE, "CONFIG_WCE" }, { VIRTIO_BLK_F_MQ, "MQ" },
        { VIRTIO_BLK_F_DISCARD, "DISCARD" }, { VIRTIO_BLK_F_WRITE_ZEROES, "WRITE_ZEROES" },
        { VIRTIO_RING_F_INDIRECT_DESC, "INDIRECT_DESC" },
        { VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX" },
    };
    char list[256] = "";
    size_t used = 0;
    uint8_t exp = 0;
    uint16_t min_io = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (offered(c, names[i].bit))
            used += (size_t)snprintf(list + used, sizeof(list) - used, " %s", names[i].name);
    if (offered(c, VIRTIO_BLK_F_TOPOLOGY)) {
        vdrv_config_read(&c->blk->dev, offsetof(struct virtio_blk_config,
                                                physical_block_exp), &exp, 1);
        vdrv_config_read(&c->blk->dev, offsetof(struct virtio_blk_config, min_io_size),
                         &min_io, 2);
        min_io = le16toh(min_io);
    }
    guest_info(c->ctx, c->dev->node, "negotiated:%s", list);
    guest_info(c->ctx, c->dev->node, "%" PRIu64 " sectors, %u queues, seg_max %u, "
               "size_max %u, blk_size %u, physical block %u, min_io %u blocks",
               c->blk->capacity, c->blk->num_queues, c->blk->seg_max,
               c->blk->size_max, c->blk->blk_size, c->blk->blk_size << exp, min_io);
}

static void check_serial(struct check *c, const char *want)
{
    char id[VIRTIO_BLK_ID_BYTES + 1] = "";
    int st = vdrv_blk_get_id(c->blk, id);

    if (!expect_status(c, st, VIRTIO_BLK_S_OK, "GET_ID"))
        return;
    /* Printed for the caller to compare across daemon restarts. */
    guest_info(c->ctx, c->dev->node, "serial '%s'", id);
    if (want)
        expect(c, strcmp(id, want) == 0, "serial is the configured one", id);
}

static void fill_random(struct check *c, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t r = next_random(c);

        memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
    }
}

/* Random data in its own region per request, written with all requests
 * in flight at once across every queue, flushed, then read back on
 * another queue than the one that wrote it. */
static void check_mq_patterns(struct check *c)
{
    struct guest_blk_io *ios[MQ_REQUESTS] = { 0 };
    uint8_t *want[MQ_REQUESTS] = { 0 };
    unsigned n = MQ_REQUESTS, queues = c->blk->num_queues;
    bool good = true;
    char detail[128] = "";

    if (c->blk->capacity < (uint64_t)n * REGION_SECTORS)
        n = (unsigned)(c->blk->capacity / REGION_SECTORS);
    for (unsigned i = 0; i < n; i++) {
        uint32_t sectors = c->unit * (1 + (uint32_t)(next_random(c) %
                                                     (MAX_REQUEST_SECTORS / c->unit)));

        ios[i] = guest_blk_io_new(sectors * SECTOR);
        want[i] = malloc(sectors * SECTOR);
        if (!ios[i] || !want[i]) {
            good = false;
            snprintf(detail, sizeof(detail), "out of memory");
            goto out;
        }
        ios[i]->type = VIRTIO_BLK_T_OUT;
        ios[i]->sector = (uint64_t)i * REGION_SECTORS + c->unit * (next_random(c) % 8);
        ios[i]->queue = (uint16_t)(i % queues);
        fill_random(c, ios[i]->data, ios[i]->len);
        memcpy(want[i], ios[i]->data, ios[i]->len);
    }
    for (unsigned i = 0; i < n && good; i++)
        if (guest_blk_io_submit(c->blk, ios[i]) != 0) {
            snprintf(detail, sizeof(detail), "write %u not queued", i);
            good = false;
        }
    for (unsigned i = 0; i < n; i++) {
        if (ios[i]->inflight &&
            (guest_blk_io_wait(c->blk, ios[i], c->ctx->timeout_ms) != 0 ||
             ios[i]->status != VIRTIO_BLK_S_OK) && good) {
            snprintf(detail, sizeof(detail), "write %u (queue %u): status %s", i,
                     ios[i]->queue, guest_blk_status_name(ios[i]->status));
            good = false;
        }
    }
    if (good && c->blk->flush && vdrv_blk_flush(c->blk) != VIRTIO_BLK_S_OK) {
        snprintf(detail, sizeof(detail), "flush failed");
        good = false;
    }
    for (unsigned i = 0; i < n && good; i++) {
        int st;

        c->blk->queue = (uint16_t)((i + 1) % queues);
        memset(ios[i]->data, 0, ios[i]->len);
        st = vdrv_blk_read(c->blk, ios[i]->sector, ios[i]->data, ios[i]->len);
        if (st != VIRTIO_BLK_S_OK || memcmp(ios[i]->data, want[i], ios[i]->len) != 0) {
            snprintf(detail, sizeof(detail), "request %u: read back %s", i,
                     st == VIRTIO_BLK_S_OK ? "other data" : guest_blk_status_name(st));
            good = false;
        }
    }
    c->blk->queue = 0;
out:
    if (expect(c, good, "random patterns across the queues, all in flight, read back",
               detail))
        guest_info(c->ctx, c->dev->node, "%u requests over %u queues verified", n, queues);
    for (unsigned i = 0; i < n; i++) {
        free(ios[i]);
        free(want[i]);
    }
}

static bool region_is(struct check *c, uint64_t sector, uint32_t sectors, uint8_t byte)
{
    uint8_t *buf = malloc(sectors * SECTOR);
    bool same = buf && vdrv_blk_read(c->blk, sector, buf, sectors * SECTOR) == 0;

    for (uint32_t i = 0; same && i < sectors * SECTOR; i++)
        same = buf[i] == byte;
    free(buf);
    return same;
}

static bool write_ones(struct check *c, uint64_t sector, uint32_t sectors)
{
    uint8_t *buf = malloc(sectors * SECTOR);
    bool done;

    if (!buf)
        return false;
    memset(buf, 0xa5, sectors * SECTOR);
    done = vdrv_blk_write(c->blk, sector, buf, sectors * SECTOR) == VIRTIO_BLK_S_OK;
    free(buf);
    return done;
}

static void check_zeroing(struct check *c, bool want_discard)
{
    uint64_t at = 8;

    if (want_discard != offered(c, VIRTIO_BLK_F_DISCARD)) {
        expect(c, false, "DISCARD as configured",
               want_discard ? "not offered" : "offered though disabled");
    } else if (want_discard) {
        expect(c, write_ones(c, at, 16) && region_is(c, at, 16, 0xa5) &&
                  vdrv_blk_discard(c->blk, at, 16) == VIRTIO_BLK_S_OK &&
                  region_is(c, at, 16, 0), "discard, then the range reads zeroes",
               "data left after discard");
    } else {
        guest_info(c->ctx, c->dev->node, "ok: DISCARD not offered, as configured");
    }
    if (!expect(c, offered(c, VIRTIO_BLK_F_WRITE_ZEROES), "WRITE_ZEROES offered", "no"))
        return;
    expect(c, write_ones(c, at, 16) &&
              vdrv_blk_write_zeroes(c->blk, at, 16, false) == VIRTIO_BLK_S_OK &&
              region_is(c, at, 16, 0), "write-zeroes", "range not zero");
    expect(c, !c->blk->write_zeroes_may_unmap ||
              (write_ones(c, at, 16) &&
               vdrv_blk_write_zeroes(c->blk, at, 16, true) == VIRTIO_BLK_S_OK &&
               region_is(c, at, 16, 0)), "write-zeroes with UNMAP", "range not zero");
}

static void check_cache_mode(struct check *c)
{
    uint32_t off = offsetof(struct virtio_blk_config, wce);
    uint8_t v = 0, back = 0xff;

    if (!offered(c, VIRTIO_BLK_F_CONFIG_WCE)) {
        expect(c, !c->blk->flush, "CONFIG_WCE offered with FLUSH", "FLUSH without it");
        return;
    }
    /* Linux's cache_type "write through", a write, then back. */
    vdrv_config_write(&c->blk->dev, off, &v, 1);
    vdrv_config_read(&c->blk->dev, off, &back, 1);
    expect(c, back == 0 && write_ones(c, 0, c->unit) && region_is(c, 0, c->unit, 0xa5),
           "CONFIG_WCE: write-through mode, then a write", "mode not taken");
    v = 1;
    vdrv_config_write(&c->blk->dev, off, &v, 1);
    vdrv_config_read(&c->blk->dev, off, &back, 1);
    expect(c, back == 1, "CONFIG_WCE: back to writeback", "mode not taken");
}

static int one(struct check *c, uint32_t type, uint64_t sector, uint32_t len,
               bool header_writable, bool no_status)
{
    struct guest_blk_io *io = guest_blk_io_new(len);
    int st;

    if (!io)
        return -ENOMEM;
    io->type = type;
    io->sector = sector;
    io->header_writable = header_writable;
    io->no_status = no_status;
    st = guest_blk_io_submit(c->blk, io);
    if (st == 0)
        st = guest_blk_io_wait(c->blk, io, c->ctx->timeout_ms);
    if (st == 0)
        st = io->status;
    free(io);
    return st;
}

/* Each bad request gets its status (or, with no status byte to write,
 * is used and nothing else); the queue keeps going after every one. */
static void check_bad_requests(struct check *c)
{
    uint64_t cap = c->blk->capacity;
    uint8_t sector[SECTOR];

    expect_status(c, one(c, VIRTIO_BLK_T_IN, cap, SECTOR, false, false),
                  VIRTIO_BLK_S_IOERR, "read at the capacity: IOERR");
    expect_status(c, one(c, VIRTIO_BLK_T_IN, cap - 1, 2 * SECTOR, false, false),
                  VIRTIO_BLK_S_IOERR, "read across the end: IOERR");
    expect_status(c, one(c, VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 4 * SECTOR, false, false),
                  VIRTIO_BLK_S_IOERR, "write whose end overflows: IOERR");
    expect_status(c, one(c, VIRTIO_BLK_T_IN, 0, 100, false, false),
                  VIRTIO_BLK_S_IOERR, "read of 100 bytes: IOERR");
    expect_status(c, one(c, 0x42, 0, SECTOR, false, false),
                  VIRTIO_BLK_S_UNSUPP, "unknown request type: UNSUPP");
    if (offered(c, VIRTIO_BLK_F_DISCARD))
        expect_status(c, vdrv_blk_discard(c->blk, cap - 4, 8), VIRTIO_BLK_S_IOERR,
                      "discard across the end: IOERR");
    expect_status(c, one(c, VIRTIO_BLK_T_IN, 0, SECTOR, true, false),
                  VIRTIO_BLK_S_IOERR, "header in a device-writable buffer: IOERR");
    expect(c, one(c, VIRTIO_BLK_T_OUT, 0, SECTOR, false, true) == 0xff,
           "write without a status buffer: used, nothing written", "status written");
    for (unsigned q = 0; q < c->blk->num_queues; q++) {
        c->blk->queue = (uint16_t)q;
        expect_status(c, vdrv_blk_read(c->blk, 0, sector, SECTOR), VIRTIO_BLK_S_OK,
                      "the queue serves the next good request");
    }
    c->blk->queue = 0;
    expect(c, !c->blk->dev.needs_reset, "no DEVICE_NEEDS_RESET", "device needs reset");
}

static void check_read_only(struct check *c)
{
    uint8_t sector[SECTOR] = { 0 };

    expect(c, c->blk->read_only, "RO offered", "writable");
    expect(c, !offered(c, VIRTIO_BLK_F_DISCARD) && !offered(c, VIRTIO_BLK_F_WRITE_ZEROES),
           "no DISCARD or WRITE_ZEROES on a read-only disk", "offered");
    expect_status(c, vdrv_blk_write(c->blk, 0, sector, SECTOR), VIRTIO_BLK_S_IOERR,
                  "write to a read-only disk: IOERR");
    expect_status(c, vdrv_blk_read(c->blk, 0, sector, SECTOR), VIRTIO_BLK_S_OK,
                  "read from a read-only disk");
}

static int usage(void)
{
    guest_error("usage: blk-check [--dev N] [--seed X] [--serial S] [--ro] [--no-discard]");
    return GUEST_EXIT_USAGE;
}

int guest_cmd_blk_check(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL, *serial = NULL;
    uint64_t seed = 1;
    bool read_only = false, discard = true;
    struct check c = { .ctx = ctx };
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ro") == 0)
            read_only = true;
        else if (strcmp(argv[i], "--no-discard") == 0)
            discard = false;
        else if (i + 1 >= argc)
            return usage();
        else if (strcmp(argv[i], "--dev") == 0)
            selector = argv[++i];
        else if (strcmp(argv[i], "--serial") == 0)
            serial = argv[++i];
        else if (strcmp(argv[i], "--seed") != 0 || !guest_parse_u64(argv[++i], &seed))
            return usage();
    }
    c.rng = seed ? seed : 1;
    rc = guest_blk_open(ctx, selector, &c.dev);
    if (rc)
        return rc;
    c.blk = &c.dev->u.blk;
    /* Linux's logical block is blk_size: no request smaller or unaligned. */
    c.unit = c.blk->blk_size >= SECTOR && c.blk->blk_size <= 4096 * 8
             ? c.blk->blk_size / SECTOR : 1;
    report_features(&c);
    check_serial(&c, serial);
    if (read_only) {
        check_read_only(&c);
    } else {
        check_mq_patterns(&c);
        check_zeroing(&c, discard);
        check_cache_mode(&c);
    }
    check_bad_requests(&c);
    return guest_blk_close(ctx, c.dev, c.failed ? GUEST_EXIT_FAIL : GUEST_EXIT_OK);
}
