/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk protocol engine (virtio 1.2 §5.2). Freestanding: see blk.h.
 *
 * Every request is checked before the storage sees it. The layout rules
 * (virtio 1.2 §5.2.6, with VERSION_1 any descriptor split is legal):
 *   - the first 16 readable bytes are the header;
 *   - the last writable byte is the status;
 *   - the payload is the rest of the readable bytes (OUT, DISCARD,
 *     WRITE_ZEROES) or of the writable bytes (IN, GET_ID), and the other
 *     direction must then carry nothing else.
 * A request that breaks them, or addresses sectors beyond the capacity,
 * completes with VIRTIO_BLK_S_IOERR; an unknown or unnegotiated type with
 * VIRTIO_BLK_S_UNSUPP. Every completion writes the whole writable area
 * (payload zero-filled when we have no data for it), so the used length
 * is exactly what was written.
 */
#include <errno.h>
#include <string.h>

#include "blk.h"
#include "xv/wire.h"

#define HDR_BYTES       16u     /* struct virtio_blk_outhdr on the wire */
#define RANGE_BYTES     16u     /* struct virtio_blk_discard_write_zeroes */
#define DEFAULT_BATCH   64u
/* execute(): the storage accepted the request, it completes it later. */
#define STATUS_PENDING  0x100

static bool is_power_of_two(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static const struct xv_device_ops blk_ops;

struct xv_blk *xv_blk_from_device(struct xv_device *dev)
{
    /* Every xv_blk's device shares blk_ops: it proves dev->priv is one. */
    if (!dev || dev->ops != &blk_ops)
        return NULL;
    return dev->priv;
}

/*
 * Config space.
 */
static void build_config(struct xv_blk *blk)
{
    const struct xv_blk_storage *s = &blk->storage;
    const struct xv_blk_params *p = &blk->params;
    uint8_t *c = blk->config;

    memset(c, 0, sizeof(blk->config));
    xv_store_le64(c + VIRTIO_BLK_CFG_CAPACITY, blk->capacity_sectors);
    xv_store_le32(c + VIRTIO_BLK_CFG_SIZE_MAX, p->size_max);
    xv_store_le32(c + VIRTIO_BLK_CFG_SEG_MAX, p->seg_max);
    xv_store_le32(c + VIRTIO_BLK_CFG_BLK_SIZE, s->blk_size);
    c[VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP] = s->physical_block_exp;
    xv_store_le16(c + VIRTIO_BLK_CFG_MIN_IO_SIZE, s->min_io_size);
    xv_store_le32(c + VIRTIO_BLK_CFG_OPT_IO_SIZE, s->opt_io_size);
    /* Without CONFIG_WCE a driver that negotiated FLUSH assumes a
     * writeback cache; with it, the field is the mode the driver chose. */
    c[VIRTIO_BLK_CFG_WRITEBACK] = blk->writeback;
    xv_store_le16(c + VIRTIO_BLK_CFG_NUM_QUEUES, p->num_queues);
    if (blk->dev->features & XV_FEATURE(VIRTIO_BLK_F_DISCARD)) {
        xv_store_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
                      p->max_discard_sectors);
        xv_store_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, p->max_discard_seg);
        xv_store_le32(c + VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
                      s->blk_size >> VIRTIO_BLK_SECTOR_SHIFT);
    }
    if (blk->dev->features & XV_FEATURE(VIRTIO_BLK_F_WRITE_ZEROES)) {
        xv_store_le32(c + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
                      p->max_write_zeroes_sectors);
        xv_store_le32(c + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG,
                      p->max_write_zeroes_seg);
        c[VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP] = p->write_zeroes_may_unmap;
    }
}

static void blk_config_read(struct xv_device *dev, uint32_t off, void *buf,
                            uint32_t len)
{
    struct xv_blk *blk = xv_blk_from_device(dev);

    /* The core bounds off + len by config_size; check anyway, it's cheap. */
    if (off > sizeof(blk->config) || len > sizeof(blk->config) - off) {
        memset(buf, 0, len);
        return;
    }
    memcpy(buf, blk->config + off, len);
}

static bool negotiated(const struct xv_blk *blk, unsigned bit)
{
    return (blk->dev->features & XV_FEATURE(bit)) &&
           xv_device_has_feature(blk->dev, bit);
}

/* Only 'writeback' is writable, and only with CONFIG_WCE (virtio 1.2
 * §5.2.5): other writes are ignored. */
static void blk_config_write(struct xv_device *dev, uint32_t off,
                             const void *buf, uint32_t len)
{
    struct xv_blk *blk = xv_blk_from_device(dev);

    if (!blk || off != VIRTIO_BLK_CFG_WRITEBACK || len != 1 ||
        !negotiated(blk, VIRTIO_BLK_F_CONFIG_WCE))
        return;
    blk->writeback = *(const uint8_t *)buf != 0;
    blk->config[VIRTIO_BLK_CFG_WRITEBACK] = blk->writeback;
}

/* Must every write be durable before it completes? Yes in write-through
 * mode, and when the driver can't flush (FLUSH not negotiated). */
static bool write_through(const struct xv_blk *blk)
{
    if (!blk->storage.ops->flush)
        return false;   /* no volatile cache to write through */
    return !blk->writeback || !negotiated(blk, VIRTIO_BLK_F_FLUSH);
}

/*
 * Requests.
 */
static struct xv_blk_req *get_free_req(struct xv_blk *blk, unsigned queue)
{
    const struct xv_blk_queue *q = &blk->queues[queue];

    if (q->busy >= q->count)
        return NULL;
    for (unsigned i = q->first; i < q->first + q->count; i++) {
        if (!blk->reqs[i].busy)
            return &blk->reqs[i];
    }
    return NULL;
}

/* Point out[] at bytes [skip, skip + len) of the segments in[0..n). */
static unsigned slice_iov(const struct xv_iovec *in, unsigned n, size_t skip,
                          size_t len, struct xv_iovec *out)
{
    unsigned nr = 0;

    for (unsigned i = 0; i < n && len; i++) {
        size_t take;

        if (skip >= in[i].len) {
            skip -= in[i].len;
            continue;
        }
        take = in[i].len - skip;
        if (take > len)
            take = len;
        out[nr].base = (char *)in[i].base + skip;
        out[nr].len = take;
        nr++;
        len -= take;
        skip = 0;
    }
    return nr;
}

/* The writable payload: all writable bytes but the status byte. */
static void use_writable_payload(struct xv_blk_req *req)
{
    const struct xv_chain *c = &req->chain;

    req->data_len = c->writable_len - 1;
    req->nr_data = slice_iov(c->iov + c->nr_readable, c->nr_writable, 0,
                             req->data_len, req->data);
}

/* The readable payload: all readable bytes after the header. */
static void use_readable_payload(struct xv_blk_req *req)
{
    const struct xv_chain *c = &req->chain;

    req->data_len = c->readable_len - HDR_BYTES;
    req->nr_data = slice_iov(c->iov, c->nr_readable, HDR_BYTES, req->data_len,
                             req->data);
}

/* sector + nr_sectors within the capacity, without overflowing. */
static bool range_ok(const struct xv_blk *blk, uint64_t sector,
                     uint64_t nr_sectors)
{
    return sector <= blk->capacity_sectors &&
           nr_sectors <= blk->capacity_sectors - sector;
}

static uint8_t status_of(struct xv_blk *blk, int err)
{
    if (err == 0)
        return VIRTIO_BLK_S_OK;
    blk->stats.last_errno = err;
    return err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

/* Hand the request to an asynchronous storage: STATUS_PENDING when it
 * took it, -EAGAIN to do it synchronously, or the status to answer. */
static int try_submit(struct xv_blk *blk, struct xv_blk_req *req)
{
    const struct xv_blk_storage *s = &blk->storage;
    int err;

    if (!s->ops->submit)
        return -EAGAIN;
    err = s->ops->submit(s->opaque, req);
    if (err == 0) {
        blk->submitted = true;
        return STATUS_PENDING;
    }
    if (err == -EAGAIN)
        return err;
    return status_of(blk, err);
}

/* A driver that negotiated SIZE_MAX keeps every segment within it. */
static bool segments_fit(const struct xv_blk *blk, const struct xv_blk_req *req)
{
    if (!negotiated(blk, VIRTIO_BLK_F_SIZE_MAX))
        return true;
    for (unsigned i = 0; i < req->nr_data; i++)
        if (req->data[i].len > blk->params.size_max)
            return false;
    return true;
}

/* The most one request may cover, negotiated SIZE_MAX or not: what the
 * device advertises, seg_max segments of size_max bytes. A driver that
 * ignores it could otherwise hold the storage (and the embedder's loop,
 * when I/O is synchronous) with one 4 GiB request. */
static bool request_fits(const struct xv_blk *blk, const struct xv_blk_req *req)
{
    uint64_t seg = blk->params.size_max ? blk->params.size_max : XV_BLK_DEFAULT_SIZE_MAX;

    return req->data_len <= (uint64_t)blk->params.seg_max * seg;
}

static int do_rw(struct xv_blk *blk, struct xv_blk_req *req, bool write)
{
    const struct xv_blk_storage *s = &blk->storage;
    uint64_t offset = req->sector << VIRTIO_BLK_SECTOR_SHIFT;
    int err;

    if (write && s->read_only)
        return VIRTIO_BLK_S_IOERR;
    if (req->data_len % VIRTIO_BLK_SECTOR_SIZE ||
        !range_ok(blk, req->sector, req->data_len >> VIRTIO_BLK_SECTOR_SHIFT)) {
        blk->stats.malformed++;
        return VIRTIO_BLK_S_IOERR;
    }
    if (!segments_fit(blk, req) || !request_fits(blk, req)) {
        blk->stats.malformed++;
        return VIRTIO_BLK_S_IOERR;
    }
    if (req->data_len == 0)
        return VIRTIO_BLK_S_OK;
    req->sync = write && write_through(blk);
    err = try_submit(blk, req);
    if (err != -EAGAIN)
        return err;
    if (write) {
        err = s->ops->write(s->opaque, offset, req->data, req->nr_data);
        if (!err && req->sync)
            err = s->ops->flush(s->opaque);
        if (!err)
            blk->stats.write_bytes += req->data_len;
    } else {
        err = s->ops->read(s->opaque, offset, req->data, req->nr_data);
        if (!err) {
            blk->stats.read_bytes += req->data_len;
            req->payload_written = true;
        }
    }
    return status_of(blk, err);
}

static uint8_t do_get_id(struct xv_blk *blk, struct xv_blk_req *req)
{
    size_t n = req->data_len < VIRTIO_BLK_ID_BYTES ? req->data_len :
               VIRTIO_BLK_ID_BYTES;

    /* Zero first: a short ID is then NUL-terminated, as Linux expects. */
    for (unsigned i = 0; i < req->nr_data; i++)
        memset(req->data[i].base, 0, req->data[i].len);
    xv_chain_write(&req->chain, 0, blk->storage.id, n);
    req->payload_written = true;
    return VIRTIO_BLK_S_OK;
}

/*
 * DISCARD and WRITE_ZEROES: validate every range first, so a bad one
 * leaves the medium untouched, then run them in order.
 */
static uint8_t do_ranges(struct xv_blk *blk, struct xv_blk_req *req)
{
    const struct xv_blk_storage *s = &blk->storage;
    const struct xv_blk_params *p = &blk->params;
    bool discard = req->type == VIRTIO_BLK_T_DISCARD;
    uint32_t max_sectors = discard ? p->max_discard_sectors :
                           p->max_write_zeroes_sectors;
    uint32_t max_seg = discard ? p->max_discard_seg : p->max_write_zeroes_seg;
    uint32_t nr = req->data_len / RANGE_BYTES;
    uint8_t raw[RANGE_BYTES];

    if (s->read_only)
        return VIRTIO_BLK_S_IOERR;
    if (req->data_len == 0 || req->data_len % RANGE_BYTES || nr > max_seg) {
        blk->stats.malformed++;
        return VIRTIO_BLK_S_IOERR;
    }
    /* The driver can change guest memory under us: ranges are copied
     * once per pass, and the second pass re-checks what it copies. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < nr; i++) {
            uint64_t sector;
            uint32_t num, flags;
            int err;

            if (xv_chain_read(&req->chain, HDR_BYTES + i * RANGE_BYTES, raw,
                              RANGE_BYTES) != RANGE_BYTES)
                return VIRTIO_BLK_S_IOERR;
            sector = xv_load_le64(raw);
            num = xv_load_le32(raw + 8);
            flags = xv_load_le32(raw + 12);
            /* virtio 1.2 §5.2.6.2: unknown flags, or unmap on a discard,
             * are UNSUPP; sizes beyond the advertised limits are IOERR. */
            if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
                (discard && flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
                return VIRTIO_BLK_S_UNSUPP;
            if (num > max_sectors || !range_ok(blk, sector, num)) {
                blk->stats.malformed++;
                return VIRTIO_BLK_S_IOERR;
            }
            if (pass == 0 || num == 0)
                continue;
            if (discard)
                err = s->ops->discard(s->opaque,
                                      sector << VIRTIO_BLK_SECTOR_SHIFT,
                                      (uint64_t)num << VIRTIO_BLK_SECTOR_SHIFT);
            else
                err = s->ops->write_zeroes(
                    s->opaque, sector << VIRTIO_BLK_SECTOR_SHIFT,
                    (uint64_t)num << VIRTIO_BLK_SECTOR_SHIFT,
                    p->write_zeroes_may_unmap &&
                    (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP));
            if (err)
                return status_of(blk, err);
        }
    }
    if (discard) {
        blk->stats.discards++;
    } else {
        blk->stats.write_zeroes++;
        /* Zeroes are data: write-through makes them durable too. */
        if (write_through(blk))
            return status_of(blk, s->ops->flush(s->opaque));
    }
    return VIRTIO_BLK_S_OK;
}

/* Where each request type's payload travels. */
enum payload { PAYLOAD_NONE, PAYLOAD_IN, PAYLOAD_OUT };

static int do_flush(struct xv_blk *blk, struct xv_blk_req *req)
{
    int err;

    blk->stats.flushes++;
    /* Nothing can be dirty on a read-only medium. */
    if (blk->storage.read_only)
        return VIRTIO_BLK_S_OK;
    /* Every write completed so far is in the host's cache (or already
     * durable): a flush started now covers them, which is all virtio asks
     * (writes still in flight are not ordered against it). */
    err = try_submit(blk, req);
    if (err != -EAGAIN)
        return err;
    return status_of(blk, blk->storage.ops->flush(blk->storage.opaque));
}

/* A status (uint8_t) or STATUS_PENDING. */
static int execute(struct xv_blk *blk, struct xv_blk_req *req)
{
    const struct xv_chain *c = &req->chain;
    enum payload dir;
    uint8_t raw[HDR_BYTES];

    /* A header we can't read whole is no request at all. */
    if (c->readable_len < HDR_BYTES ||
        xv_chain_read(c, 0, raw, HDR_BYTES) != HDR_BYTES) {
        blk->stats.malformed++;
        return VIRTIO_BLK_S_IOERR;
    }
    req->type = xv_load_le32(raw);
    req->sector = xv_load_le64(raw + 8);    /* ioprio (raw + 4) is a hint */

    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_GET_ID:
        dir = PAYLOAD_IN;
        break;
    case VIRTIO_BLK_T_OUT:
        dir = PAYLOAD_OUT;
        break;
    case VIRTIO_BLK_T_FLUSH:
        if (!negotiated(blk, VIRTIO_BLK_F_FLUSH))
            return VIRTIO_BLK_S_UNSUPP;
        dir = PAYLOAD_NONE;
        break;
    case VIRTIO_BLK_T_DISCARD:
        if (!negotiated(blk, VIRTIO_BLK_F_DISCARD))
            return VIRTIO_BLK_S_UNSUPP;
        dir = PAYLOAD_OUT;
        break;
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!negotiated(blk, VIRTIO_BLK_F_WRITE_ZEROES))
            return VIRTIO_BLK_S_UNSUPP;
        dir = PAYLOAD_OUT;
        break;
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
    /* Bytes in the direction the type doesn't use mean a driver bug (or
     * worse): refuse rather than guess which bytes it meant. */
    if ((dir != PAYLOAD_OUT && c->readable_len != HDR_BYTES) ||
        (dir != PAYLOAD_IN && c->writable_len != 1)) {
        blk->stats.malformed++;
        return VIRTIO_BLK_S_IOERR;
    }
    if (dir == PAYLOAD_IN)
        use_writable_payload(req);
    else if (dir == PAYLOAD_OUT)
        use_readable_payload(req);

    switch (req->type) {
    case VIRTIO_BLK_T_IN:
        return do_rw(blk, req, false);
    case VIRTIO_BLK_T_OUT:
        return do_rw(blk, req, true);
    case VIRTIO_BLK_T_GET_ID:
        return do_get_id(blk, req);
    case VIRTIO_BLK_T_FLUSH:
        return do_flush(blk, req);
    default:
        return do_ranges(blk, req);
    }
}

void xv_blk_complete(struct xv_blk_req *req, uint8_t status)
{
    struct xv_blk *blk = req->blk;
    struct xv_chain *c = &req->chain;

    if (!req->busy)
        return;
    if (c->writable_len == 0) {
        /* Nowhere to say how it went: the driver gets a zero length. */
        blk->stats.no_status++;
        xv_vq_push(req->vq, c, 0);
    } else {
        if (!req->payload_written) {
            /* Zero what we have no data for, so the used length (the
             * whole writable area) is true and no stale data looks
             * like a successful read. */
            for (unsigned i = c->nr_readable;
                 i < (unsigned)c->nr_readable + c->nr_writable; i++)
                memset(c->iov[i].base, 0, c->iov[i].len);
        }
        xv_chain_write(c, c->writable_len - 1, &status, 1);
        xv_vq_push(req->vq, c, c->writable_len);
        if (status == VIRTIO_BLK_S_IOERR)
            blk->stats.ioerr++;
        else if (status == VIRTIO_BLK_S_UNSUPP)
            blk->stats.unsupp++;
    }
    blk->stats.requests++;
    req->busy = false;
    blk->busy_reqs--;
    blk->queues[req->queue].busy--;
}

void xv_blk_complete_io(struct xv_blk_req *req, int err)
{
    struct xv_blk *blk = req->blk;

    if (!req->busy)
        return;
    if (!err && req->type == VIRTIO_BLK_T_IN) {
        blk->stats.read_bytes += req->data_len;
        req->payload_written = true;
    } else if (!err && req->type == VIRTIO_BLK_T_OUT) {
        blk->stats.write_bytes += req->data_len;
    }
    xv_blk_complete(req, status_of(blk, err));
}

void xv_blk_notify(struct xv_blk *blk)
{
    struct xv_device *dev = blk->dev;

    for (unsigned i = 0; i < blk->params.num_queues; i++) {
        struct xv_blk_queue *q = &blk->queues[i];

        xv_vq_notify_guest(&blk->vqs[i]);
        if (q->starved && q->busy < q->count) {
            q->starved = false;
            dev->platform->queue_notify(dev->platform->opaque, dev, i);
        }
    }
}

static void start_request(struct xv_blk *blk, struct xv_blk_req *req)
{
    int status;

    req->nr_data = 0;
    req->data_len = 0;
    req->payload_written = false;
    req->type = 0;
    req->sector = 0;
    req->sync = false;
    if (req->chain.writable_len == 0) {
        /* No status byte: nothing may touch the medium either. */
        blk->stats.malformed++;
        xv_blk_complete(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    status = execute(blk, req);
    if (status != STATUS_PENDING)
        xv_blk_complete(req, (uint8_t)status);
}

/* Pop the next chain into a free slot: 1, 0 when the queue is empty or
 * every slot is busy, or a negative errno when the queue is broken. */
static int pop_request(struct xv_blk *blk, unsigned queue,
                       struct xv_blk_req **out)
{
    struct xv_blk_req *req = get_free_req(blk, queue);
    int ret;

    *out = req;
    if (!req)
        return 0;
    req->chain.iov = req->iov;
    req->chain.gbuf = req->gbuf;
    req->chain.max_segs = (uint16_t)XV_BLK_REQ_SEGS(blk->params.seg_max);
    ret = xv_vq_pop(&blk->vqs[queue], &req->chain);
    if (ret > 0) {
        req->busy = true;
        blk->busy_reqs++;
        blk->queues[queue].busy++;
    }
    return ret;
}

/*
 * Drain the queue, vhost style: notifications off while we pop, on again
 * when it looks empty, and look once more in case the driver added
 * buffers in between. At most max_requests_per_call requests per call,
 * so one guest cannot monopolise the embedder's thread; then we ask to be
 * called again through the platform's queue_notify hook.
 */
static void blk_queue_work(struct xv_device *dev, unsigned queue)
{
    struct xv_blk *blk = xv_blk_from_device(dev);
    struct xv_vq *vq;
    unsigned budget;
    unsigned done = 0;
    bool more = false;

    if (!blk || queue >= blk->params.num_queues)
        return;
    vq = &blk->vqs[queue];
    budget = blk->params.max_requests_per_call;
    blk->submitted = false;
    do {
        struct xv_blk_req *req = NULL;
        int ret = 1;

        xv_vq_disable_notify(vq);
        while (done < budget && (ret = pop_request(blk, queue, &req)) > 0) {
            done++;
            start_request(blk, req);
        }
        if (ret < 0)
            break;  /* broken: the core set NEEDS_RESET and reported it */
        /* Listen again before deciding, so no kick can be lost. */
        more = xv_vq_enable_notify(vq);
        if (done >= budget) {
            if (more || xv_vq_avail_count(vq))
                dev->platform->queue_notify(dev->platform->opaque, dev, queue);
            break;
        }
        /* Every slot busy (asynchronous storage): the completion path
         * brings us back (xv_blk_notify), spinning here would not help. */
        if (!req) {
            blk->queues[queue].starved = true;
            break;
        }
    } while (more);
    /* One batch per call: the storage starts everything we submitted. */
    if (blk->submitted && blk->storage.ops->kick)
        blk->storage.ops->kick(blk->storage.opaque);
    blk->submitted = false;
    xv_vq_notify_guest(vq);
}

/* The core released the rings and drops pushes from before the reset, but
 * requests still in the storage's hands keep their buffers mapped and the
 * host kernel may still write into them: wait for them, so that their
 * completion unmaps the buffers before the embedder can free anything. */
static void drain(struct xv_blk *blk)
{
    const struct xv_blk_storage *s = &blk->storage;

    if (blk->busy_reqs && s->ops->drain)
        s->ops->drain(s->opaque);
}

static void blk_reset(struct xv_device *dev)
{
    struct xv_blk *blk = xv_blk_from_device(dev);

    if (!blk)
        return;
    drain(blk);
    for (unsigned i = 0; i < XV_BLK_MAX_QUEUES; i++)
        blk->queues[i].starved = false;
    blk->writeback = blk->params.writeback;
    blk->config[VIRTIO_BLK_CFG_WRITEBACK] = blk->writeback;
}

/* One queue's reset: its requests' buffers are released like a device
 * reset's. Draining everything is simpler and queue resets are rare. */
static void blk_queue_reset(struct xv_device *dev, unsigned queue)
{
    struct xv_blk *blk = xv_blk_from_device(dev);

    if (!blk || queue >= XV_BLK_MAX_QUEUES)
        return;
    drain(blk);
    blk->queues[queue].starved = false;
    /* The other queues' requests completed too: tell the driver, and run
     * those that waited for slots. */
    xv_blk_notify(blk);
}

/* A driver that can't flush gets a write-through cache, and must read so
 * (virtio 1.2 §5.2.5.1: CONFIG_WCE without FLUSH starts at 0). */
static bool blk_features_ok(struct xv_device *dev, uint64_t features)
{
    struct xv_blk *blk = xv_blk_from_device(dev);

    if (blk && !(features & XV_FEATURE(VIRTIO_BLK_F_FLUSH))) {
        blk->writeback = false;
        blk->config[VIRTIO_BLK_CFG_WRITEBACK] = 0;
    }
    return true;
}

static const struct xv_device_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = XV_ID_BLOCK,
    .config_size = XV_BLK_CONFIG_SIZE,
    .config_read = blk_config_read,
    .config_write = blk_config_write,
    .features_ok = blk_features_ok,
    .reset = blk_reset,
    .queue_reset = blk_queue_reset,
    .queue_work = blk_queue_work,
};

void xv_blk_default_params(struct xv_blk_params *params)
{
    memset(params, 0, sizeof(*params));
    params->queue_size = XV_BLK_DEFAULT_QUEUE_SIZE;
    params->seg_max = XV_BLK_DEFAULT_SEG_MAX;
    /* Bounds what one descriptor asks the platform to map at once. */
    params->size_max = XV_BLK_DEFAULT_SIZE_MAX;
    /* 2 GiB per range keeps each storage call reasonably short. */
    params->max_discard_sectors = 1u << 22;
    params->max_discard_seg = 32;
    params->max_write_zeroes_sectors = 1u << 22;
    params->max_write_zeroes_seg = 32;
    params->write_zeroes_may_unmap = true;
    params->max_requests_per_call = DEFAULT_BATCH;
    params->num_queues = 1;
    params->writeback = true;
}

static uint64_t features_for(const struct xv_blk_storage *s,
                             const struct xv_blk_params *p)
{
    uint64_t f = XV_FEATURE(VIRTIO_BLK_F_SEG_MAX) |
                 XV_FEATURE(VIRTIO_BLK_F_BLK_SIZE);

    if (p->size_max)
        f |= XV_FEATURE(VIRTIO_BLK_F_SIZE_MAX);
    if (s->ops->flush)
        f |= XV_FEATURE(VIRTIO_BLK_F_FLUSH) | XV_FEATURE(VIRTIO_BLK_F_CONFIG_WCE);
    if (p->num_queues > 1)
        f |= XV_FEATURE(VIRTIO_BLK_F_MQ);
    if (s->physical_block_exp || s->min_io_size || s->opt_io_size)
        f |= XV_FEATURE(VIRTIO_BLK_F_TOPOLOGY);
    if (s->read_only) {
        f |= XV_FEATURE(VIRTIO_BLK_F_RO);
    } else {
        if (s->ops->discard && p->max_discard_sectors && p->max_discard_seg)
            f |= XV_FEATURE(VIRTIO_BLK_F_DISCARD);
        if (s->ops->write_zeroes && p->max_write_zeroes_sectors &&
            p->max_write_zeroes_seg)
            f |= XV_FEATURE(VIRTIO_BLK_F_WRITE_ZEROES);
    }
    return f;
}

int xv_blk_init(struct xv_blk *blk, struct xv_device *dev,
                const struct xv_platform *platform,
                const struct xv_blk_storage *storage,
                const struct xv_blk_params *params,
                struct xv_blk_req *reqs, unsigned nr_reqs)
{
    const struct xv_blk_storage_ops *ops = storage ? storage->ops : NULL;
    unsigned nq = params && params->num_queues ? params->num_queues : 1;
    struct xv_device_config config;
    int ret;

    if (!blk || !dev || !params || !ops || !ops->read || !ops->write ||
        !reqs || nr_reqs == 0 || (ops->submit && !ops->drain))
        return -EINVAL;
    if (nq > XV_BLK_MAX_QUEUES || nr_reqs % nq)
        return -EINVAL;
    if (!is_power_of_two(storage->blk_size) ||
        storage->blk_size < VIRTIO_BLK_SECTOR_SIZE ||
        !is_power_of_two(params->queue_size) ||
        params->queue_size > XV_VQ_MAX_SIZE ||
        params->seg_max == 0 || XV_BLK_REQ_SEGS(params->seg_max) > UINT16_MAX)
        return -EINVAL;
    for (unsigned i = 0; i < nr_reqs; i++) {
        if (!reqs[i].iov || !reqs[i].gbuf || !reqs[i].data)
            return -EINVAL;
    }

    memset(blk, 0, sizeof(*blk));
    blk->storage = *storage;
    blk->params = *params;
    if (blk->params.max_requests_per_call == 0)
        blk->params.max_requests_per_call = params->queue_size;
    blk->params.num_queues = (uint16_t)nq;
    config = (struct xv_device_config){
        .features = features_for(storage, &blk->params),
        .num_queues = (uint16_t)nq,
        .queue_max_size = params->queue_size,
        .priv = blk,
    };
    /* No cache to write back without a flush: the field then says 0. */
    blk->params.writeback = params->writeback && ops->flush;
    blk->writeback = blk->params.writeback;
    for (unsigned q = 0; q < nq; q++) {
        blk->queues[q].first = q * (nr_reqs / nq);
        blk->queues[q].count = nr_reqs / nq;
    }
    blk->capacity_sectors = storage->capacity >> VIRTIO_BLK_SECTOR_SHIFT;
    blk->dev = dev;
    blk->reqs = reqs;
    blk->nr_reqs = nr_reqs;
    for (unsigned i = 0; i < nr_reqs; i++) {
        reqs[i].blk = blk;
        reqs[i].queue = (uint16_t)(i / (nr_reqs / nq));
        reqs[i].vq = &blk->vqs[reqs[i].queue];
        reqs[i].busy = false;
    }
    ret = xv_device_init(dev, &blk_ops, &config, platform, blk->vqs);
    if (ret < 0) {
        blk->dev = NULL;
        return ret;
    }
    /* After init: the config space shows the features dev now offers. */
    build_config(blk);
    return 0;
}

uint64_t xv_blk_features(const struct xv_blk *blk)
{
    return blk->dev->features;
}

unsigned xv_blk_in_flight(const struct xv_blk *blk)
{
    return blk->busy_reqs;
}

void xv_blk_set_capacity(struct xv_blk *blk, uint64_t capacity)
{
    blk->storage.capacity = capacity;
    blk->capacity_sectors = capacity >> VIRTIO_BLK_SECTOR_SHIFT;
    xv_store_le64(blk->config + VIRTIO_BLK_CFG_CAPACITY, blk->capacity_sectors);
    xv_device_config_changed(blk->dev);
}
