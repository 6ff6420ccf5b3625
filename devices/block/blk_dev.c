/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's "block" device type: its config keys, and an instance built
 * from them over file storage (blk_file.c) and io_uring (blk_uring.c).
 */
#include <errno.h>
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

enum block_key {
    KEY_PATH, KEY_SERIAL, KEY_READONLY, KEY_DISCARD, KEY_DIRECT, KEY_QUEUE_SIZE,
    KEY_SEG_MAX, KEY_SIZE_MAX, KEY_QUEUE_DEPTH, KEY_QUEUES, KEY_CACHE, NR_KEYS
};

enum { CACHE_WRITEBACK, CACHE_WRITETHROUGH };

static const struct xvd_key block_keys[NR_KEYS] = {
    [KEY_PATH] = { "path", XVD_KEY_TEXT, .required = true,
        .doc = "the medium: a regular file or a block device (not mounted)" },
    [KEY_SERIAL] = { "serial", XVD_KEY_TEXT,
        .doc = "the disk's serial (VIRTIO_BLK_T_GET_ID); default from the file's identity" },
    [KEY_READONLY] = { "readonly", XVD_KEY_BOOL, .def = false,
        .doc = "offer VIRTIO_BLK_F_RO and refuse writes" },
    [KEY_DISCARD] = { "discard", XVD_KEY_BOOL, .def = true,
        .doc = "offer DISCARD (and WRITE_ZEROES with unmap)" },
    [KEY_DIRECT] = { "direct", XVD_KEY_BOOL, .def = false,
        .doc = "aligned I/O bypasses the host page cache (O_DIRECT)" },
    [KEY_QUEUE_SIZE] = { "queue-size", XVD_KEY_POW2, .def = XV_BLK_DEFAULT_QUEUE_SIZE,
        .min = 2, .max = XV_VQ_MAX_SIZE, .doc = "QueueNumMax of every queue" },
    [KEY_SEG_MAX] = { "seg-max", XVD_KEY_U64, .def = XV_BLK_DEFAULT_SEG_MAX,
        .min = 1, .max = XVD_BLK_FILE_IOV_MAX - 2,
        .doc = "data segments per request (VIRTIO_BLK_F_SEG_MAX)" },
    [KEY_SIZE_MAX] = { "size-max", XVD_KEY_U64, .def = XV_BLK_DEFAULT_SIZE_MAX,
        .min = 0, .max = UINT32_MAX,
        .doc = "bytes per segment (VIRTIO_BLK_F_SIZE_MAX); 0, or 4096 and more" },
    [KEY_QUEUE_DEPTH] = { "queue-depth", XVD_KEY_U64, .def = DEFAULT_QUEUE_DEPTH,
        .min = 1, .max = MAX_QUEUE_DEPTH, .doc = "requests in flight per queue" },
    [KEY_QUEUES] = { "queues", XVD_KEY_U64, .def = 1, .min = 1, .max = XV_BLK_MAX_QUEUES,
        .doc = "request queues (VIRTIO_BLK_F_MQ above 1)" },
    [KEY_CACHE] = { "cache", XVD_KEY_CHOICE, .def = CACHE_WRITEBACK,
        .choices = "writeback|writethrough",
        .doc = "a volatile write cache the guest flushes, or every write synced" },
};

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

/* The device's keys as the storage's options and the engine's parameters;
 * *depth: request slots per queue. */
static int block_options(const struct xvd_device_conf *conf, struct xvd_blk_file_opts *fo,
                         struct xv_blk_params *params, unsigned *depth, char *err,
                         size_t errlen)
{
    union xvd_key_value v[NR_KEYS];

    if (xvd_keys_parse(block_keys, NR_KEYS, "block", conf, v, err, errlen) < 0)
        return -EINVAL;
    /* Linux takes no segment limit below a page. */
    if (v[KEY_SIZE_MAX].n && v[KEY_SIZE_MAX].n < 4096)
        return xvd_key_error(conf, "size-max", err, errlen, "0, or 4096 and more");
    *fo = (struct xvd_blk_file_opts){
        .path = v[KEY_PATH].text,
        .serial = v[KEY_SERIAL].text,
        .read_only = v[KEY_READONLY].on,
        .discard = v[KEY_DISCARD].on,
        .direct = v[KEY_DIRECT].on,
    };
    xv_blk_default_params(params);
    if (conf->max_requests_per_wakeup)
        params->max_requests_per_call = conf->max_requests_per_wakeup;
    params->queue_size = (uint16_t)v[KEY_QUEUE_SIZE].n;
    params->seg_max = (uint16_t)v[KEY_SEG_MAX].n;
    params->size_max = (uint32_t)v[KEY_SIZE_MAX].n;
    params->num_queues = (uint16_t)v[KEY_QUEUES].n;
    params->writeback = v[KEY_CACHE].n == CACHE_WRITEBACK;
    /* More requests in flight than the queue can hold is never used. */
    *depth = (unsigned)v[KEY_QUEUE_DEPTH].n;
    if (*depth > params->queue_size)
        *depth = params->queue_size;
    return 0;
}

/* io_uring when the kernel allows it; synchronous I/O otherwise. */
static void start_uring(struct blk_file_dev *d, struct xvd_loop *loop, const char *name)
{
    static bool sync_logged;
    int ret = xvd_blk_uring_start(&d->file, &d->blk, d->nr_reqs, loop, name);

    if (ret < 0 && !sync_logged) {
        /* Once per process: every disk would say the same. */
        sync_logged = true;
        xvd_log(LOG_WARNING, name, "io_uring unavailable (%s): "
                "synchronous I/O for block devices", strerror(-ret));
    }
}

static struct xvd_dev *block_create(const struct xvd_device_conf *conf,
                                    const struct xv_platform *platform,
                                    struct xvd_loop *loop, char *err,
                                    size_t errlen)
{
    struct xvd_blk_file_opts fo;
    struct xv_blk_params params;
    struct blk_file_dev *d;
    unsigned depth = 0;
    int ret;

    if (block_options(conf, &fo, &params, &depth, err, errlen) < 0)
        return NULL;
    d = calloc(1, sizeof(*d));
    if (d) {
        d->file.fd = -1;
        d->file.direct_fd = -1;
    }
    if (!d || !alloc_slots(d, params.num_queues * depth, XV_BLK_REQ_SEGS(params.seg_max))) {
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
    start_uring(d, loop, conf->name);
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
    .keys = block_keys,
    .nr_keys = NR_KEYS,
    .create = block_create,
    .in_flight = block_in_flight,
    .destroy = block_destroy,
};
