/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: virtio-blk commands (blk-rw, blk-read-file, die,
 * bench-notify) and single requests whose chain the caller shapes.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "guest_prog.h"

#define BLK_SECTOR 512u
#define BLK_HDR_BYTES sizeof(struct virtio_blk_outhdr)
#define BLK_IO_MAX (1u << 20)           /* one data descriptor */
#define BLK_DIE_BYTES (64u * 1024)
#define BLK_RW_MAX_REQUEST (1u << 20)   /* per request in blk-rw */

const char *guest_blk_status_name(int status)
{
    switch (status) {
    case VIRTIO_BLK_S_OK: return "OK";
    case VIRTIO_BLK_S_IOERR: return "IOERR";
    case VIRTIO_BLK_S_UNSUPP: return "UNSUPP";
    case 0xff: return "not written";
    default: return "invalid";
    }
}

struct guest_blk_io *guest_blk_io_new(uint32_t len)
{
    struct guest_blk_io *io;

    if (len > BLK_IO_MAX)
        return NULL;
    io = calloc(1, sizeof(*io) + len);
    if (io)
        io->len = len;
    return io;
}

static bool device_writes(uint32_t type)
{
    return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

/* Like vdrv_blk_request, with one data segment: header and status on
 * the first page, data page-aligned after it. */
int guest_blk_io_submit(struct vdrv_blk *blk, struct guest_blk_io *io)
{
    struct vdrv_device *dev = &blk->dev;
    struct vdrv_vq *vq = &dev->vqs[io->queue % blk->num_queues];
    struct vdrv_inflight *f;
    struct virtio_blk_outhdr *hdr;
    struct vdrv_sg sg[3];
    unsigned out = 1, in = 0, n = 1;
    bool to_guest = device_writes(io->type);
    int err;

    io->submitted_ns = guest_now_ns();
    if (!dev->driver_ok)
        return -ENODEV;
    f = vdrv_inflight_new(dev, VDRV_PAGE_SIZE + (size_t)io->len);
    if (!f)
        return -ENOMEM;
    hdr = (struct virtio_blk_outhdr *)f->mem;
    hdr->type = htole32(io->type);
    hdr->sector = htole64(io->sector);
    f->mem[BLK_HDR_BYTES] = 0xff;   /* unwritten status reads as failure */
    if (io->len && !to_guest)
        memcpy(f->mem + VDRV_PAGE_SIZE, io->data, io->len);

    sg[0] = (struct vdrv_sg){ f->gpa, BLK_HDR_BYTES, 0 };
    if (io->len) {
        sg[n] = (struct vdrv_sg){ f->gpa + VDRV_PAGE_SIZE, io->len, 0 };
        if (io->raw_data) {
            sg[n].addr = io->raw_addr;
            sg[n].flags = VDRV_SG_RAW;
        }
        n++;
        if (to_guest)
            in++;
        else
            out++;
    }
    if (!io->no_status) {
        sg[n++] = (struct vdrv_sg){ f->gpa + BLK_HDR_BYTES, 1, 0 };
        in++;
    }
    /* Every descriptor device-writable, the header too (a driver bug). */
    if (io->header_writable) {
        in += out;
        out = 0;
    }

    if (io->misbehave)
        vdrv_vq_misbehave(vq, io->misbehave);
    err = vdrv_inflight_add(f, vq, sg, out, in);
    if (err) {
        vdrv_vq_misbehave(vq, 0);
        vdrv_inflight_release(f);
        return err;
    }
    io->inflight = f;
    io->done = false;
    io->status = 0xff;
    vdrv_vq_kick(vq);
    return 0;
}

int guest_blk_io_wait(struct vdrv_blk *blk, struct guest_blk_io *io,
                      int timeout_ms)
{
    struct vdrv_inflight *f = io->inflight;
    int err;

    if (!f)
        return -EINVAL;
    err = vdrv_wait_for(&blk->dev, &blk->dev.vqs[io->queue % blk->num_queues],
                        &f->req.done, timeout_ms);
    if (f->req.done) {
        io->done = true;
        io->used_len = f->req.used_len;
        io->status = f->mem[BLK_HDR_BYTES];
        if (io->status == VIRTIO_BLK_S_OK && io->len && device_writes(io->type))
            memcpy(io->data, f->mem + VDRV_PAGE_SIZE, io->len);
        err = 0;
    }
    /* Not used yet: the device owns the memory until reset (orphaned). */
    vdrv_inflight_release(f);
    io->inflight = NULL;
    return err;
}

/* The documented pattern: byte at absolute disk offset o. */
static uint8_t pattern_byte(uint64_t offset, uint32_t seed)
{
    return (uint8_t)(offset + offset / BLK_SECTOR * 7 + seed);
}

int guest_blk_open(struct guest_ctx *ctx, const char *selector, struct guest_dev **out)
{
    const struct guest_node *node = guest_find_blk(ctx, selector);
    struct guest_dev *dev;

    if (!node) {
        guest_error("no block device %s%s in the device tree", selector ? "--dev " : "",
                    selector ? selector : "");
        return GUEST_EXIT_ENV;
    }
    dev = calloc(1, sizeof(*dev));
    if (!dev)
        return GUEST_EXIT_ENV;
    if (guest_dev_open(ctx, dev, node, NULL) != 0 || dev->type != GUEST_DEV_BLK) {
        guest_fail(ctx, node, "probe failed: %s",
                   dev->error[0] ? dev->error : "not a virtio-blk device");
        guest_dev_close(dev);
        free(dev);
        return GUEST_EXIT_FAIL;
    }
    *out = dev;
    return GUEST_EXIT_OK;
}

int guest_blk_close(struct guest_ctx *ctx, struct guest_dev *dev, int rc)
{
    if (!guest_dev_close(dev)) {
        guest_fail(ctx, dev->node, "remove: %s", dev->vdev->last_error);
        rc = GUEST_EXIT_FAIL;
    }
    free(dev);
    return rc;
}

static void report_status(struct guest_ctx *ctx, struct guest_dev *dev,
                          const char *what, uint64_t sector, int status)
{
    if (status < 0)
        guest_fail(ctx, dev->node, "%s at sector %" PRIu64 " failed: %s%s", what, sector,
                   strerror(-status),
                   dev->vdev->needs_reset ? " (device needs reset)" : "");
    else
        guest_fail(ctx, dev->node, "%s at sector %" PRIu64 " failed: status %s", what,
                   sector, guest_blk_status_name(status));
}

static int blk_rw_run(struct guest_ctx *ctx, struct guest_dev *dev, uint64_t sector,
                      uint64_t bytes, uint64_t requests, uint32_t seed)
{
    struct vdrv_blk *blk = &dev->u.blk;
    uint32_t per_request = (uint32_t)(bytes / requests);
    uint8_t *buf = malloc(per_request);
    char size[32];
    bool flushed = false;
    int status;

    if (!buf)
        return GUEST_EXIT_ENV;
    if (sector + bytes / BLK_SECTOR > blk->capacity) {
        guest_fail(ctx, dev->node, "%" PRIu64 " bytes at sector %" PRIu64
                   " do not fit in %" PRIu64 " sectors", bytes, sector, blk->capacity);
        free(buf);
        return GUEST_EXIT_FAIL;
    }
    for (uint64_t r = 0; r < requests; r++) {
        uint64_t at = sector + r * (per_request / BLK_SECTOR);

        for (uint32_t i = 0; i < per_request; i++)
            buf[i] = pattern_byte(at * BLK_SECTOR + i, seed);
        status = vdrv_blk_write(blk, at, buf, per_request);
        if (status != VIRTIO_BLK_S_OK) {
            report_status(ctx, dev, "write", at, status);
            free(buf);
            return GUEST_EXIT_FAIL;
        }
    }
    if (blk->flush) {
        status = vdrv_blk_flush(blk);
        if (status != VIRTIO_BLK_S_OK) {
            report_status(ctx, dev, "flush", 0, status);
            free(buf);
            return GUEST_EXIT_FAIL;
        }
        flushed = true;
    }
    for (uint64_t r = 0; r < requests; r++) {
        uint64_t at = sector + r * (per_request / BLK_SECTOR);

        memset(buf, 0, per_request);
        status = vdrv_blk_read(blk, at, buf, per_request);
        if (status != VIRTIO_BLK_S_OK) {
            report_status(ctx, dev, "read", at, status);
            free(buf);
            return GUEST_EXIT_FAIL;
        }
        for (uint32_t i = 0; i < per_request; i++) {
            uint64_t offset = at * BLK_SECTOR + i;

            if (buf[i] != pattern_byte(offset, seed)) {
                guest_fail(ctx, dev->node, "mismatch at byte offset %" PRIu64
                           ": read 0x%02x, wrote 0x%02x", offset, buf[i],
                           pattern_byte(offset, seed));
                free(buf);
                return GUEST_EXIT_FAIL;
            }
        }
    }
    free(buf);
    guest_format_size(bytes, size, sizeof(size));
    guest_info(ctx, dev->node, "wrote %s in %" PRIu64 " requests, read back, verified "
               "(sector %" PRIu64 ", seed 0x%02x%s)", size, requests, sector, seed,
               flushed ? ", flushed" : "");
    return GUEST_EXIT_OK;
}

int guest_cmd_blk_rw(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    uint64_t bytes = 64 * 1024, requests = 16, sector = 0;
    uint64_t seed = (uint64_t)(guest_now_ns() ^ getpid()) & 0xff;
    struct guest_dev *dev = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        uint64_t *target = NULL;

        if (i + 1 >= argc) {
            guest_error("blk-rw: '%s' needs a value", opt);
            return GUEST_EXIT_USAGE;
        }
        if (strcmp(opt, "--dev") == 0) {
            selector = argv[++i];
            continue;
        }
        if (strcmp(opt, "--bytes") == 0)
            target = &bytes;
        else if (strcmp(opt, "--requests") == 0)
            target = &requests;
        else if (strcmp(opt, "--sector") == 0)
            target = &sector;
        else if (strcmp(opt, "--seed") == 0)
            target = &seed;
        if (!target || !guest_parse_u64(argv[++i], target)) {
            guest_error("blk-rw: bad option '%s'", opt);
            return GUEST_EXIT_USAGE;
        }
    }
    if (requests == 0 || bytes == 0 || bytes % requests ||
        (bytes / requests) % BLK_SECTOR || bytes / requests > BLK_RW_MAX_REQUEST ||
        seed > 0xff) {
        guest_error("blk-rw: --bytes must split into --requests requests of whole "
                    "512-byte sectors, at most 1 MiB each; --seed is 0..255");
        return GUEST_EXIT_USAGE;
    }
    rc = guest_blk_open(ctx, selector, &dev);
    if (rc)
        return rc;
    rc = blk_rw_run(ctx, dev, sector, bytes, requests, (uint32_t)seed);
    return guest_blk_close(ctx, dev, rc);
}

int guest_cmd_blk_read_file(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    uint64_t offset, len, first, end;
    struct guest_dev *dev = NULL;
    uint8_t *buf;
    int rc, status = 0;

    if (argc == 5 && strcmp(argv[1], "--dev") == 0) {
        selector = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc != 3 || !guest_parse_u64(argv[1], &offset) ||
        !guest_parse_u64(argv[2], &len) || len == 0 || len > (64u << 20) ||
        offset > UINT64_MAX - len) {
        guest_error("usage: blk-read-file [--dev N] OFFSET LEN (LEN 1..64 MiB)");
        return GUEST_EXIT_USAGE;
    }
    rc = guest_blk_open(ctx, selector, &dev);
    if (rc)
        return rc;
    /* Whole sectors covering [offset, offset + len). */
    first = offset / BLK_SECTOR;
    end = (offset + len + BLK_SECTOR - 1) / BLK_SECTOR;
    if (end > dev->u.blk.capacity) {
        guest_fail(ctx, dev->node, "bytes %" PRIu64 "..%" PRIu64 " are beyond the "
                   "capacity (%" PRIu64 " sectors)", offset, offset + len - 1,
                   dev->u.blk.capacity);
        return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
    }
    buf = malloc((end - first) * BLK_SECTOR);
    if (!buf)
        return guest_blk_close(ctx, dev, GUEST_EXIT_ENV);
    for (uint64_t s = first; s < end; s += BLK_RW_MAX_REQUEST / BLK_SECTOR) {
        uint64_t n = end - s < BLK_RW_MAX_REQUEST / BLK_SECTOR
                     ? end - s : BLK_RW_MAX_REQUEST / BLK_SECTOR;

        status = vdrv_blk_read(&dev->u.blk, s, buf + (s - first) * BLK_SECTOR,
                               (uint32_t)(n * BLK_SECTOR));
        if (status != VIRTIO_BLK_S_OK) {
            report_status(ctx, dev, "read", s, status);
            free(buf);
            return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
        }
    }
    /* The data is the result: printed even with --quiet. */
    for (uint64_t at = 0; at < len; at += 32) {
        char hex[65];
        uint64_t n = len - at < 32 ? len - at : 32;

        for (uint64_t i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", buf[offset - first * BLK_SECTOR + at + i]);
        printf("virtio@%#" PRIx64 ": %08" PRIx64 " %s\n", dev->node->base, offset + at, hex);
    }
    fflush(stdout);
    free(buf);
    return guest_blk_close(ctx, dev, GUEST_EXIT_OK);
}

int guest_cmd_die(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    struct guest_dev *dev = NULL;
    struct guest_blk_io *io;
    int rc, err;

    if (argc == 3 && strcmp(argv[1], "--dev") == 0) {
        selector = argv[2];
    } else if (argc != 1) {
        guest_error("usage: die [--dev N]");
        return GUEST_EXIT_USAGE;
    }
    rc = guest_blk_open(ctx, selector, &dev);
    if (rc)
        return rc;
    /* A 64 KiB read: a device-writable buffer over 16 grants, the case a
     * backend must unwind when the guest vanishes. */
    io = guest_blk_io_new(BLK_DIE_BYTES);
    if (!io)
        return guest_blk_close(ctx, dev, GUEST_EXIT_ENV);
    io->type = VIRTIO_BLK_T_IN;
    err = guest_blk_io_submit(&dev->u.blk, io);
    if (err) {
        guest_fail(ctx, dev->node, "request not queued: %s", strerror(-err));
        free(io);
        return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
    }
    guest_info(ctx, dev->node, "read of %u bytes at sector 0 submitted (kick), "
               "exiting without waiting; grants stay in place", BLK_DIE_BYTES);
    /* The guest is gone: no reset, no grant revoked, memory untouched. */
    vdrv_die(dev->vdev);
    return GUEST_EXIT_OK;
}

int guest_cmd_bench_notify(struct guest_ctx *ctx, int argc, char **argv)
{
    uint64_t iterations;
    struct guest_dev *dev = NULL;
    uint8_t sector[BLK_SECTOR];
    int64_t start, elapsed;
    int rc, status;

    if (argc != 2 || !guest_parse_u64(argv[1], &iterations) || iterations == 0) {
        guest_error("usage: bench-notify N (N > 0)");
        return GUEST_EXIT_USAGE;
    }
    rc = guest_blk_open(ctx, NULL, &dev);
    if (rc)
        return rc;
    /* One untimed request: first-touch costs (mappings) are not notify. */
    status = vdrv_blk_read(&dev->u.blk, 0, sector, sizeof(sector));
    start = guest_now_ns();
    for (uint64_t i = 0; i < iterations && status == VIRTIO_BLK_S_OK; i++)
        status = vdrv_blk_read(&dev->u.blk, 0, sector, sizeof(sector));
    elapsed = guest_now_ns() - start;
    if (status != VIRTIO_BLK_S_OK) {
        report_status(ctx, dev, "read", 0, status);
        return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
    }
    guest_info(ctx, dev->node, "%" PRIu64 " requests (512-byte read), event idx %s, "
               "%" PRIu64 " kicks, %" PRIu64 " interrupts", iterations,
               dev->u.blk.dev.vqs[0].event_idx ? "on" : "off",
               dev->u.blk.dev.vqs[0].kicks, dev->u.blk.dev.interrupts);
    printf("notify_irq_ns %" PRId64 "\n", elapsed / (int64_t)iterations);
    fflush(stdout);
    return guest_blk_close(ctx, dev, GUEST_EXIT_OK);
}

/*
 * blk-bench: keep --qd requests in flight (as blk-mq does with a deep
 * queue), reaping completions on interrupt and refilling each slot at
 * once; kicks are suppressed by EVENT_IDX while the device is busy.
 * Prints one machine-readable line:
 *   blk_bench pattern=P bs=B qd=Q requests=N seconds=S iops=I mbps=M
 */
struct bench_opts {
    const char *pattern;
    uint64_t bs, qd, requests, millis;
};

static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
    *o = (struct bench_opts){ "randread", 4096, 1, 0, 5000 };
    for (int i = 1; i + 1 < argc; i += 2) {
        uint64_t *num = strcmp(argv[i], "--bs") == 0 ? &o->bs :
                        strcmp(argv[i], "--qd") == 0 ? &o->qd :
                        strcmp(argv[i], "--requests") == 0 ? &o->requests :
                        strcmp(argv[i], "--millis") == 0 ? &o->millis : NULL;

        if (strcmp(argv[i], "--pattern") == 0)
            o->pattern = argv[i + 1];
        else if (!num || !guest_parse_u64(argv[i + 1], num))
            return -1;
    }
    if (argc % 2 == 0 || o->bs == 0 || o->bs % BLK_SECTOR || o->bs > BLK_IO_MAX ||
        o->qd == 0 || o->qd > 256)
        return -1;
    if (strcmp(o->pattern, "randread") && strcmp(o->pattern, "randwrite") &&
        strcmp(o->pattern, "seqwrite") && strcmp(o->pattern, "seqread"))
        return -1;
    return 0;
}

static uint64_t bench_next_sector(const struct bench_opts *o, uint64_t capacity,
                                  uint64_t *seq, uint64_t *rng)
{
    uint64_t blocks = capacity / (o->bs / BLK_SECTOR);

    if (strncmp(o->pattern, "seq", 3) == 0)
        return (*seq)++ % blocks * (o->bs / BLK_SECTOR);
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return *rng % blocks * (o->bs / BLK_SECTOR);
}

/* Completion latencies of a benchmark run, for its median and p99. */
struct latencies {
    int64_t *ns;
    size_t n, cap;
};

static void latency_add(struct latencies *l, int64_t ns)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        int64_t *p = realloc(l->ns, cap * sizeof(*p));

        if (!p)
            return;     /* the quantiles come from fewer samples */
        l->ns = p;
        l->cap = cap;
    }
    l->ns[l->n++] = ns;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static double latency_quantile(struct latencies *l, double q)
{
    if (l->n == 0)
        return 0;
    qsort(l->ns, l->n, sizeof(*l->ns), cmp_i64);
    return (double)l->ns[(size_t)(q * (double)(l->n - 1))];
}

int guest_cmd_blk_bench(struct guest_ctx *ctx, int argc, char **argv)
{
    struct bench_opts o;
    struct guest_blk_io **ios;
    struct guest_dev *dev = NULL;
    uint64_t done = 0, seq = 0, rng = 0x9e3779b97f4a7c15ull, capacity;
    bool writes;
    int64_t start, elapsed = 0;
    struct latencies lat = { 0 };
    int rc;

    if (bench_parse(argc, argv, &o) < 0) {
        guest_error("usage: blk-bench [--pattern randread|randwrite|seqread|seqwrite] "
                    "[--bs BYTES] [--qd N<=256] [--requests N | --millis MS]");
        return GUEST_EXIT_USAGE;
    }
    rc = guest_blk_open(ctx, NULL, &dev);
    if (rc)
        return rc;
    capacity = dev->u.blk.capacity;
    writes = strstr(o.pattern, "write") != NULL;
    if (capacity < o.bs / BLK_SECTOR || (writes && dev->u.blk.read_only)) {
        guest_fail(ctx, dev->node, "disk too small or read-only for the benchmark");
        return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
    }
    ios = calloc(o.qd, sizeof(*ios));
    for (uint64_t i = 0; ios && i < o.qd; i++) {
        ios[i] = guest_blk_io_new((uint32_t)o.bs);
        if (!ios[i])
            break;
        memset(ios[i]->data, (int)i, o.bs);
        ios[i]->type = writes ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    }
    if (!ios || !ios[o.qd - 1]) {
        guest_fail(ctx, dev->node, "out of memory");
        return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
    }
    start = guest_now_ns();
    for (uint64_t i = 0; i < o.qd && rc == 0; i++) {
        ios[i]->sector = bench_next_sector(&o, capacity, &seq, &rng);
        rc = guest_blk_io_submit(&dev->u.blk, ios[i]);
    }
    for (uint64_t i = 0; rc == 0; i = (i + 1) % o.qd) {
        rc = guest_blk_io_wait(&dev->u.blk, ios[i], ctx->timeout_ms);
        if (rc == 0 && ios[i]->status != VIRTIO_BLK_S_OK)
            rc = -EIO;
        if (rc)
            break;
        done++;
        elapsed = guest_now_ns() - start;
        latency_add(&lat, elapsed + start - ios[i]->submitted_ns);
        if ((o.requests && done + o.qd > o.requests) ||
            (!o.requests && elapsed >= (int64_t)o.millis * 1000000))
            break;
        ios[i]->sector = bench_next_sector(&o, capacity, &seq, &rng);
        rc = guest_blk_io_submit(&dev->u.blk, ios[i]);
    }
    /* Drain what is still in flight (they count: they were done). */
    for (uint64_t k = 0; rc == 0 && k < o.qd; k++) {
        if (ios[k]->inflight && guest_blk_io_wait(&dev->u.blk, ios[k], ctx->timeout_ms) == 0)
            done++;
    }
    elapsed = guest_now_ns() - start;
    for (uint64_t k = 0; k < o.qd; k++)
        free(ios[k]);
    free(ios);
    if (rc) {
        guest_fail(ctx, dev->node, "benchmark request failed: %s", strerror(-rc));
        return guest_blk_close(ctx, dev, GUEST_EXIT_FAIL);
    }
    printf("blk_bench pattern=%s bs=%" PRIu64 " qd=%" PRIu64 " requests=%" PRIu64
           " seconds=%.3f iops=%.0f mbps=%.1f kicks=%" PRIu64 " interrupts=%" PRIu64
           " lat_median_us=%.1f lat_p99_us=%.1f\n",
           o.pattern, o.bs, o.qd, done, (double)elapsed / 1e9,
           (double)done * 1e9 / (double)elapsed,
           (double)done * (double)o.bs * 1e3 / (double)elapsed,
           dev->u.blk.dev.vqs[0].kicks, dev->u.blk.dev.interrupts,
           latency_quantile(&lat, 0.5) / 1e3, latency_quantile(&lat, 0.99) / 1e3);
    free(lat.ns);
    fflush(stdout);
    return guest_blk_close(ctx, dev, GUEST_EXIT_OK);
}
