/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's "block" device type: its config keys, and an instance built
 * from them over file storage (blk_file.c) and io_uring (blk_uring.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "blk_dev.h"
#include "blk_uring.h"
#include "config.h"
#include "device_type.h"
#include "log.h"

/*
 * The "block" device type.
 */
#define DEFAULT_QUEUE_DEPTH 64u
#define MAX_QUEUE_DEPTH     1024u   /* per queue; the ring holds them all */

struct blk_file_dev {
    struct xvd_dev base;        /* first: the daemon's handle */
    struct xv_blk blk;
    struct xvd_blk_file file;
    struct xv_blk_req *reqs;    /* queues x queue-depth slots */
    unsigned nr_reqs;
    /* One anonymous mapping holds the slots and their segment arrays
     * (XV_BLK_REQ_SEGS(seg_max) each): untouched slots cost no memory, and
     * all of it goes back to the system on destroy, instead of leaving the
     * heap fragmented by guest create/destroy cycles. */
    void *slot_mem;
    size_t slot_bytes;
};

static const char *const block_keys[] = {
    "path", "readonly", "serial", "discard", "queue-size", "seg-max",
    "size-max", "queue-depth", "queues", "direct", "cache",
};

static bool known_key(const char *key)
{
    for (size_t i = 0; i < sizeof(block_keys) / sizeof(block_keys[0]); i++) {
        if (strcmp(key, block_keys[i]) == 0)
            return true;
    }
    return false;
}

static void blk_dev_free(struct blk_file_dev *d)
{
    /* Waits for the kernel to finish with every buffer before the slots
     * and their segment arrays go. */
    xvd_blk_uring_stop(&d->file);
    xvd_blk_file_close(&d->file);
    if (d->slot_mem)
        munmap(d->slot_mem, d->slot_bytes);
    free(d);
}

/* cache = writeback | writethrough */
static int opt_cache(const struct xvd_device_conf *conf, bool *writeback,
                     char *err, size_t errlen)
{
    const char *v = xvd_device_opt(conf, "cache");

    *writeback = true;
    if (!v || strcmp(v, "writeback") == 0)
        return 0;
    if (strcmp(v, "writethrough") == 0) {
        *writeback = false;
        return 0;
    }
    snprintf(err, errlen, "device %s: key 'cache': bad value '%s' "
             "(writeback or writethrough)", conf->name, v);
    return -EINVAL;
}

static bool alloc_slots(struct blk_file_dev *d, unsigned nr, unsigned segs)
{
    /* Every element below is 8-byte aligned, so are the arrays. */
    size_t seg_bytes = 2 * sizeof(struct xv_iovec) + sizeof(struct xv_gbuf);
    size_t bytes = nr * (sizeof(struct xv_blk_req) + (size_t)segs * seg_bytes);
    char *p;

    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED)
        return false;
    d->slot_mem = p;
    d->slot_bytes = bytes;
    d->nr_reqs = nr;
    d->reqs = (struct xv_blk_req *)(void *)p;
    p += nr * sizeof(struct xv_blk_req);
    for (unsigned i = 0; i < nr; i++) {
        d->reqs[i].iov = (struct xv_iovec *)(void *)p;
        p += segs * sizeof(struct xv_iovec);
        d->reqs[i].data = (struct xv_iovec *)(void *)p;
        p += segs * sizeof(struct xv_iovec);
        d->reqs[i].gbuf = (struct xv_gbuf *)(void *)p;
        p += segs * sizeof(struct xv_gbuf);
    }
    return true;
}

static struct xvd_dev *block_create(const struct xvd_device_conf *conf,
                                    const struct xv_platform *platform,
                                    struct xvd_loop *loop, char *err,
                                    size_t errlen)
{
    static bool sync_logged;
    struct xvd_blk_file_opts fo = { 0 };
    struct xv_blk_params params;
    struct blk_file_dev *d;
    uint64_t queue_size, seg_max, size_max, depth, queues;
    unsigned segs;
    int ret;

    /* A typo ("read-only") must not silently give a writable disk. */
    for (unsigned i = 0; i < conf->nr_opts; i++) {
        if (!known_key(conf->opts[i].key)) {
            snprintf(err, errlen, "device %s: key '%s': unknown for type block",
                     conf->name, conf->opts[i].key);
            return NULL;
        }
    }
    fo.path = xvd_device_opt(conf, "path");
    if (!fo.path || !fo.path[0]) {
        snprintf(err, errlen, "device %s: key 'path': missing", conf->name);
        return NULL;
    }
    fo.serial = xvd_device_opt(conf, "serial");
    xv_blk_default_params(&params);
    if (conf->max_requests_per_wakeup)
        params.max_requests_per_call = conf->max_requests_per_wakeup;
    if (xvd_opt_bool(conf, "readonly", false, &fo.read_only, err, errlen) < 0 ||
        xvd_opt_bool(conf, "discard", true, &fo.discard, err, errlen) < 0 ||
        xvd_opt_bool(conf, "direct", false, &fo.direct, err, errlen) < 0 ||
        xvd_opt_u64(conf, "queue-size", params.queue_size, 2, XV_VQ_MAX_SIZE,
                    &queue_size, err, errlen) < 0 ||
        xvd_opt_u64(conf, "seg-max", params.seg_max, 1, XVD_BLK_FILE_IOV_MAX - 2,
                    &seg_max, err, errlen) < 0 ||
        xvd_opt_u64(conf, "size-max", params.size_max, 0, UINT32_MAX, &size_max,
                    err, errlen) < 0 ||
        xvd_opt_u64(conf, "queue-depth", DEFAULT_QUEUE_DEPTH, 1, MAX_QUEUE_DEPTH,
                    &depth, err, errlen) < 0 ||
        xvd_opt_u64(conf, "queues", 1, 1, XV_BLK_MAX_QUEUES, &queues, err,
                    errlen) < 0 ||
        opt_cache(conf, &params.writeback, err, errlen) < 0)
        return NULL;
    if (queue_size & (queue_size - 1)) {
        snprintf(err, errlen, "device %s: key 'queue-size': bad value '%" PRIu64
                 "' (not a power of two)", conf->name, queue_size);
        return NULL;
    }
    /* Linux takes no segment limit below a page. */
    if (size_max && size_max < 4096) {
        snprintf(err, errlen, "device %s: key 'size-max': bad value '%" PRIu64
                 "' (0, or 4096 and more)", conf->name, size_max);
        return NULL;
    }
    params.queue_size = (uint16_t)queue_size;
    params.seg_max = (uint16_t)seg_max;
    params.size_max = (uint32_t)size_max;
    params.num_queues = (uint16_t)queues;
    /* More requests in flight than the queue can hold is never used. */
    if (depth > queue_size)
        depth = queue_size;

    d = calloc(1, sizeof(*d));
    segs = XV_BLK_REQ_SEGS(params.seg_max);
    if (d) {
        d->file.fd = -1;
        d->file.direct_fd = -1;
    }
    if (!d || !alloc_slots(d, (unsigned)(queues * depth), segs)) {
        snprintf(err, errlen, "device %s: out of memory", conf->name);
        goto fail;
    }
    ret = xvd_blk_file_open(&d->file, &fo, err, errlen);
    if (ret < 0) {
        char why[256];

        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "device %s: key 'path': %s", conf->name, why);
        goto fail;
    }
    if (xvd_blk_file_slow_zeroes(&d->file)) {
        params.max_write_zeroes_sectors = SLOW_ZEROES_SECTORS;
        params.max_write_zeroes_seg = 1;
    }
    ret = xvd_blk_uring_start(&d->file, &d->blk, d->nr_reqs, loop, conf->name);
    if (ret < 0 && !sync_logged) {
        /* Once per process: every disk would say the same. */
        sync_logged = true;
        xvd_log(LOG_WARNING, conf->name, "io_uring unavailable (%s): "
                "synchronous I/O for block devices", strerror(-ret));
    }
    d->base.type = &xvd_block_type;
    ret = xv_blk_init(&d->blk, &d->base.xv, platform, &d->file.storage,
                      &params, d->reqs, d->nr_reqs);
    if (ret < 0) {
        snprintf(err, errlen, "device %s: cannot initialise: %s", conf->name,
                 strerror(-ret));
        goto fail;
    }
    return &d->base;
fail:
    if (d)
        blk_dev_free(d);
    return NULL;
}

static struct blk_file_dev *blk_dev_of(struct xvd_dev *dev)
{
    return xv_container_of(dev, struct blk_file_dev, base);
}

static unsigned block_in_flight(struct xvd_dev *dev)
{
    return xv_blk_in_flight(&blk_dev_of(dev)->blk);
}

static void block_destroy(struct xvd_dev *dev)
{
    blk_dev_free(blk_dev_of(dev));
}

struct xvd_blk_file *xvd_block_file(struct xvd_dev *dev)
{
    return &blk_dev_of(dev)->file;
}

const struct xvd_device_type xvd_block_type = {
    .name = "block",
    .virtio_id = XV_ID_BLOCK,
    .create = block_create,
    .in_flight = block_in_flight,
    .destroy = block_destroy,
};
