/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk driver, as Linux's virtio_blk.c talks to the device: request
 * queues (with MQ, as many as the device has, up to 8: this guest's vCPUs
 * are not what picks them, the caller is), a 16-byte out header, the data,
 * and a 1-byte status the device writes.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "vdrv_priv.h"

/* Linux's feature_table for virtio_blk (modern devices). */
#define BLK_DRIVER_FEATURES \
    (VDRV_BIT(VIRTIO_BLK_F_SEG_MAX) | VDRV_BIT(VIRTIO_BLK_F_GEOMETRY) | \
     VDRV_BIT(VIRTIO_BLK_F_RO) | VDRV_BIT(VIRTIO_BLK_F_BLK_SIZE) | \
     VDRV_BIT(VIRTIO_BLK_F_FLUSH) | VDRV_BIT(VIRTIO_BLK_F_TOPOLOGY) | \
     VDRV_BIT(VIRTIO_BLK_F_CONFIG_WCE) | VDRV_BIT(VIRTIO_BLK_F_MQ) | \
     VDRV_BIT(VIRTIO_BLK_F_DISCARD) | VDRV_BIT(VIRTIO_BLK_F_WRITE_ZEROES) | \
     VDRV_BIT(VIRTIO_BLK_F_SIZE_MAX))

#define BLK_HDR_BYTES sizeof(struct virtio_blk_outhdr)
#define BLK_DEFAULT_SEG_BYTES 65536u   /* Linux BLK_MAX_SEGMENT_SIZE */
#define BLK_MAX_SG 1024u

#define CFG(field) offsetof(struct virtio_blk_config, field), \
                   sizeof(((struct virtio_blk_config *)0)->field)

/* Config fields are little-endian; read one into a host integer. */
static int read_field(struct vdrv_blk *blk, uint32_t off, uint32_t len,
                      void *out)
{
    uint8_t bytes[8] = { 0 };
    uint64_t value = 0;
    int err = vdrv_config_read(&blk->dev, off, bytes, len);

    for (uint32_t i = len; i-- > 0;)
        value = value << 8 | bytes[i];
    switch (len) {
    case 1: *(uint8_t *)out = (uint8_t)value; break;
    case 2: *(uint16_t *)out = (uint16_t)value; break;
    case 4: *(uint32_t *)out = (uint32_t)value; break;
    default: *(uint64_t *)out = value; break;
    }
    return err;
}

int vdrv_blk_read_config(struct vdrv_blk *blk)
{
    struct vdrv_device *dev = &blk->dev;
    uint64_t capacity = 0;
    int err;

    err = read_field(blk, CFG(capacity), &capacity);
    if (err)
        return err;
    blk->capacity = capacity;
    blk->seg_max = 1;
    if (vdrv_has_feature(dev, VIRTIO_BLK_F_SEG_MAX))
        read_field(blk, CFG(seg_max), &blk->seg_max);
    if (blk->seg_max == 0)
        blk->seg_max = 1;
    blk->size_max = 0;
    if (vdrv_has_feature(dev, VIRTIO_BLK_F_SIZE_MAX))
        read_field(blk, CFG(size_max), &blk->size_max);
    blk->blk_size = 512;
    if (vdrv_has_feature(dev, VIRTIO_BLK_F_BLK_SIZE))
        read_field(blk, CFG(blk_size), &blk->blk_size);
    blk->read_only = vdrv_has_feature(dev, VIRTIO_BLK_F_RO);
    blk->flush = vdrv_has_feature(dev, VIRTIO_BLK_F_FLUSH);
    /* virtblk_get_cache_mode: the config byte if the device lets the
     * driver see it, else writeback iff FLUSH. */
    blk->writeback = blk->flush;
    if (vdrv_has_feature(dev, VIRTIO_BLK_F_CONFIG_WCE))
        read_field(blk, CFG(wce), &blk->writeback);
    if (vdrv_has_feature(dev, VIRTIO_BLK_F_DISCARD)) {
        read_field(blk, CFG(max_discard_sectors), &blk->max_discard_sectors);
        read_field(blk, CFG(max_discard_seg), &blk->max_discard_seg);
    }
    if (vdrv_has_feature(dev, VIRTIO_BLK_F_WRITE_ZEROES)) {
        uint8_t may_unmap = 0;

        read_field(blk, CFG(max_write_zeroes_sectors),
                   &blk->max_write_zeroes_sectors);
        read_field(blk, CFG(max_write_zeroes_seg), &blk->max_write_zeroes_seg);
        read_field(blk, CFG(write_zeroes_may_unmap), &may_unmap);
        blk->write_zeroes_may_unmap = may_unmap != 0;
    }
    return 0;
}

static void blk_config_changed(struct vdrv_device *dev)
{
    struct vdrv_blk *blk = dev->priv;

    /* virtblk_config_changed: the capacity may have been resized. */
    if (!dev->needs_reset)
        vdrv_blk_read_config(blk);
}

int vdrv_blk_init(struct vdrv_blk *blk, const struct vdrv_transport *t,
                  uint64_t base, const struct vdrv_options *opts)
{
    static vdrv_vq_callback_fn *const callbacks[VDRV_BLK_MAX_QUEUES] = {
        vdrv_vq_complete_requests, vdrv_vq_complete_requests,
        vdrv_vq_complete_requests, vdrv_vq_complete_requests,
        vdrv_vq_complete_requests, vdrv_vq_complete_requests,
        vdrv_vq_complete_requests, vdrv_vq_complete_requests,
    };
    struct vdrv_device *dev = &blk->dev;
    uint16_t num_queues = 1;
    int err;

    memset(blk, 0, sizeof(*blk));
    err = vdrv_probe(dev, t, base, opts);
    if (err)
        return err;
    if (dev->device_id != VIRTIO_ID_BLOCK) {
        vdrv_log(dev, "DeviceID %u is not a block device", dev->device_id);
        return -ENODEV;
    }
    err = vdrv_negotiate(dev, BLK_DRIVER_FEATURES);
    /* init_vq: num_queues only with MQ; 0 would be a device bug. */
    if (!err && vdrv_has_feature(dev, VIRTIO_BLK_F_MQ))
        err = read_field(blk, CFG(num_queues), &num_queues);
    if (num_queues == 0 || num_queues > VDRV_BLK_MAX_QUEUES)
        num_queues = num_queues ? VDRV_BLK_MAX_QUEUES : 1;
    if (!err)
        err = vdrv_setup_vqs(dev, num_queues, callbacks);
    if (err)
        return err;
    blk->num_queues = num_queues;
    dev->priv = blk;
    dev->config_changed = blk_config_changed;
    /* virtblk_probe reads the config before the disk goes live. */
    err = vdrv_blk_read_config(blk);
    if (err)
        return err;
    return vdrv_driver_ok(dev);
}

void vdrv_blk_remove(struct vdrv_blk *blk)
{
    vdrv_remove(&blk->dev, vdrv_inflight_detach);
}

static uint32_t segment_bytes(const struct vdrv_blk *blk, uint32_t len)
{
    uint32_t seg = blk->data_seg_bytes ? blk->data_seg_bytes
                                       : BLK_DEFAULT_SEG_BYTES;
    uint32_t seg_limit = blk->seg_max < BLK_MAX_SG ? blk->seg_max : BLK_MAX_SG;

    if (blk->size_max && blk->size_max < seg)
        seg = blk->size_max;
    /* Never more segments than the device said it takes. */
    if (len / seg >= seg_limit)
        seg = (len + seg_limit - 1) / seg_limit;
    return seg ? seg : 1;
}

static bool data_from_device(uint32_t type)
{
    return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

int vdrv_blk_request(struct vdrv_blk *blk, uint32_t type, uint64_t sector,
                     void *data, uint32_t len)
{
    struct vdrv_device *dev = &blk->dev;
    struct virtio_blk_outhdr *hdr;
    struct vdrv_inflight *f;
    struct vdrv_sg *sg;
    uint32_t seg = segment_bytes(blk, len);
    unsigned nsegs = len ? (len + seg - 1) / seg : 0;
    unsigned out = 1, in = 0, n = 1;
    bool device_writes = data_from_device(type);
    uint8_t *status;
    int err;

    if (!dev->driver_ok)
        return -ENODEV;
    /* Header and status share the first page; data starts page-aligned
     * so that a large buffer spans several consecutive grants. */
    f = vdrv_inflight_new(dev, VDRV_PAGE_SIZE + (size_t)len);
    sg = calloc(nsegs + 2, sizeof(*sg));
    if (!f || !sg) {
        vdrv_inflight_release(f);
        free(sg);
        return -ENOMEM;
    }
    hdr = (struct virtio_blk_outhdr *)f->mem;
    hdr->type = htole32(type);
    hdr->ioprio = 0;
    hdr->sector = htole64(sector);
    status = f->mem + BLK_HDR_BYTES;
    *status = 0xff; /* a device that never writes it can't fake success */
    if (len && !device_writes)
        memcpy(f->mem + VDRV_PAGE_SIZE, data, len);

    sg[0] = (struct vdrv_sg){ f->gpa, BLK_HDR_BYTES, 0 };
    for (unsigned i = 0; i < nsegs; i++) {
        uint32_t off = i * seg;
        uint32_t chunk = len - off < seg ? len - off : seg;

        sg[n++] = (struct vdrv_sg){ f->gpa + VDRV_PAGE_SIZE + off, chunk, 0 };
    }
    if (device_writes)
        in += nsegs;
    else
        out += nsegs;
    sg[n++] = (struct vdrv_sg){ f->gpa + BLK_HDR_BYTES, 1, 0 };
    in++;

    err = vdrv_inflight_run(f, &dev->vqs[blk->queue % blk->num_queues], sg, out, in);
    free(sg);
    if (err) {
        vdrv_inflight_release(f);
        return err;
    }
    err = *status;
    if (err == VIRTIO_BLK_S_OK && len && device_writes)
        memcpy(data, f->mem + VDRV_PAGE_SIZE, len);
    vdrv_inflight_release(f);
    return err == 0xff ? -EIO : err;
}

int vdrv_blk_read(struct vdrv_blk *blk, uint64_t sector, void *buf,
                  uint32_t len)
{
    return vdrv_blk_request(blk, VIRTIO_BLK_T_IN, sector, buf, len);
}

int vdrv_blk_write(struct vdrv_blk *blk, uint64_t sector, const void *buf,
                   uint32_t len)
{
    return vdrv_blk_request(blk, VIRTIO_BLK_T_OUT, sector, (void *)buf, len);
}

int vdrv_blk_flush(struct vdrv_blk *blk)
{
    return vdrv_blk_request(blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
}

int vdrv_blk_get_id(struct vdrv_blk *blk, char *id)
{
    return vdrv_blk_request(blk, VIRTIO_BLK_T_GET_ID, 0, id,
                            VIRTIO_BLK_ID_BYTES);
}

static int discard_like(struct vdrv_blk *blk, uint32_t type, uint64_t sector,
                        uint32_t count, uint32_t flags)
{
    struct virtio_blk_discard_write_zeroes range = {
        .sector = htole64(sector),
        .num_sectors = htole32(count),
        .flags = htole32(flags),
    };

    return vdrv_blk_request(blk, type, 0, &range, sizeof(range));
}

int vdrv_blk_discard(struct vdrv_blk *blk, uint64_t sector, uint32_t count)
{
    return discard_like(blk, VIRTIO_BLK_T_DISCARD, sector, count, 0);
}

int vdrv_blk_write_zeroes(struct vdrv_blk *blk, uint64_t sector,
                          uint32_t count, bool unmap)
{
    return discard_like(blk, VIRTIO_BLK_T_WRITE_ZEROES, sector, count,
                        unmap ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0);
}
