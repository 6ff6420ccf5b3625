/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue, driver side (virtio 1.2 §2.7), with the choices Linux's
 * virtio_ring.c makes: indirect tables for multi-segment chains when
 * negotiated, event-idx kick and interrupt suppression, and validation of
 * what the device puts in the used ring. DMA addresses come from
 * vdrv_dma_map: guest physical, or grant references as Linux's Xen
 * grant-dma-ops hands them out.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdrv_priv.h"

/*
 * DMA mapping (grant-dma-ops semantics).
 */
int vdrv_dma_map(struct vdrv_device *dev, uint64_t gpa, uint32_t len,
                 bool device_writes, struct vdrv_dma *map)
{
    const struct vdrv_transport_ops *ops = dev->transport.ops;
    uint64_t offset = gpa & (VDRV_PAGE_SIZE - 1);
    uint64_t pages = (offset + len + VDRV_PAGE_SIZE - 1) >> VDRV_PAGE_SHIFT;
    uint32_t ref;
    int err;

    memset(map, 0, sizeof(*map));
    map->len = len;
    if (!dev->opts.use_grants) {
        map->dma = gpa;
        return 0;
    }
    /* A grant still in use at unmap poisons the device for good, as
     * grant-dma-ops' data->broken does. */
    if (dev->grants_broken)
        return -EIO;
    if (pages == 0)
        pages = 1;
    if (pages > 0xffff)
        return -E2BIG;
    err = ops->grant_access_seq(dev->transport.opaque, dev->opts.backend_domid,
                                gpa >> VDRV_PAGE_SHIFT, (unsigned)pages,
                                !device_writes, &ref);
    if (err)
        return err;
    map->first_ref = ref;
    map->nr_refs = (uint16_t)pages;
    map->dma = VDRV_GRANT_DMA_ADDR(ref, offset);
    return 0;
}

int vdrv_dma_unmap(struct vdrv_device *dev, struct vdrv_dma *map)
{
    const struct vdrv_transport_ops *ops = dev->transport.ops;

    if (map->nr_refs == 0)
        return 0;
    for (unsigned i = 0; i < map->nr_refs; i++) {
        if (ops->grant_end_access(dev->transport.opaque,
                                  map->first_ref + i) < 0) {
            /* The backend still maps it: the page can't be reused, and
             * this and the following references stay granted forever
             * (leaked on purpose, as Linux does). */
            vdrv_log(dev, "Grant still in use by backend domain, disabled "
                     "for further use (ref %u)", map->first_ref + i);
            dev->grants_broken = true;
            map->nr_refs = 0;
            return -EBUSY;
        }
    }
    map->nr_refs = 0;
    return 0;
}

/*
 * Ring field accessors. Everything in the ring is little-endian.
 */
static uint16_t used_idx(const struct vdrv_vq *vq)
{
    return le16toh(vq->used[1]);
}

static uint16_t used_flags(const struct vdrv_vq *vq)
{
    return le16toh(vq->used[0]);
}

static uint16_t avail_event(const struct vdrv_vq *vq)
{
    return le16toh(vq->used[2 + 4 * (uint32_t)vq->num]);
}

static void set_used_event(struct vdrv_vq *vq, uint16_t idx)
{
    vq->avail[2 + vq->num] = htole16(idx);
}

static void set_avail_flags(struct vdrv_vq *vq, uint16_t flags)
{
    vq->avail[0] = htole16(flags);
}

static void write_desc(volatile struct vdrv_vring_desc *d, uint64_t addr,
                       uint32_t len, uint16_t flags, uint16_t next)
{
    d->addr = htole64(addr);
    d->len = htole32(len);
    d->flags = htole16(flags);
    d->next = htole16(next);
}

static size_t align_up(size_t x, size_t a)
{
    return (x + a - 1) & ~(a - 1);
}

int vdrv_vq_create(struct vdrv_device *dev, struct vdrv_vq *vq,
                   uint16_t index, uint16_t num,
                   vdrv_vq_callback_fn *callback)
{
    size_t desc_bytes = 16u * num;
    size_t avail_bytes = 6u + 2u * num;
    size_t used_off = align_up(desc_bytes + avail_bytes, VDRV_VRING_ALIGN);
    int err;

    memset(vq, 0, sizeof(*vq));
    vq->dev = dev;
    vq->index = index;
    vq->num = num;
    vq->callback = callback;
    vq->ring_bytes = used_off + 6u + 8u * num;
    vq->ring = vdrv_ram_alloc(dev, vq->ring_bytes, &vq->ring_gpa);
    vq->extra = calloc(num, sizeof(*vq->extra));
    vq->heads = calloc(num, sizeof(*vq->heads));
    if (!vq->ring || !vq->extra || !vq->heads) {
        err = -ENOMEM;
        goto fail;
    }
    /* dma_alloc_coherent: the whole ring is granted writable. */
    err = vdrv_dma_map(dev, vq->ring_gpa, (uint32_t)vq->ring_bytes, true,
                       &vq->ring_map);
    if (err)
        goto fail;
    vq->desc = vq->ring;
    vq->avail = (volatile uint16_t *)((uint8_t *)vq->ring + desc_bytes);
    vq->used = (volatile uint16_t *)((uint8_t *)vq->ring + used_off);
    vq->desc_dma = vq->ring_map.dma;
    vq->avail_dma = vq->ring_map.dma + desc_bytes;
    vq->used_dma = vq->ring_map.dma + used_off;

    for (uint16_t i = 0; i + 1 < num; i++)
        vq->extra[i].next = i + 1;
    vq->free_head = 0;
    vq->num_free = num;
    vq->event_idx = vdrv_has_feature(dev, VDRV_F_EVENT_IDX);
    vq->indirect = vdrv_has_feature(dev, VDRV_F_INDIRECT_DESC);
    if (!callback) {
        vq->avail_flags_shadow = VRING_AVAIL_F_NO_INTERRUPT;
        if (!vq->event_idx)
            set_avail_flags(vq, vq->avail_flags_shadow);
    }
    return 0;

fail:
    vdrv_log(dev, "queue %u: cannot allocate a ring of %u entries (%d)",
             index, num, err);
    vdrv_ram_free(dev, vq->ring, vq->ring_gpa, vq->ring_bytes);
    free(vq->extra);
    free(vq->heads);
    memset(vq, 0, sizeof(*vq));
    return err;
}

/* Give a chain's descriptors back to the free list, ending its grants. */
static void detach_chain(struct vdrv_vq *vq, uint16_t head)
{
    struct vdrv_device *dev = vq->dev;
    struct vdrv_head_state *hs = &vq->heads[head];
    uint16_t idx = head, last = head;

    for (unsigned i = 0; i < hs->nr_indirect; i++)
        vdrv_dma_unmap(dev, &hs->indirect_extra[i].map);
    if (hs->nr_indirect)
        vdrv_dma_unmap(dev, &hs->indirect_map);
    for (unsigned i = 0; i < hs->ndescs; i++) {
        vdrv_dma_unmap(dev, &vq->extra[idx].map);
        last = idx;
        idx = vq->extra[idx].next;
    }
    vq->extra[last].next = vq->free_head;
    vq->free_head = head;
    vq->num_free += hs->ndescs;
    hs->token = NULL;
    hs->ndescs = 0;
    hs->nr_indirect = 0;
}

/* Reuse the head's indirect table memory when it is big enough: the pool
 * is page-granular and a busy queue would churn it. */
static int indirect_table_for(struct vdrv_vq *vq, struct vdrv_head_state *hs,
                              unsigned total)
{
    size_t bytes = 16u * total;

    if (hs->indirect_bytes < bytes) {
        vdrv_ram_free(vq->dev, hs->indirect_table, hs->indirect_gpa,
                      hs->indirect_bytes);
        free(hs->indirect_extra);
        hs->indirect_bytes = align_up(bytes, VDRV_PAGE_SIZE);
        hs->indirect_table = vdrv_ram_alloc(vq->dev, hs->indirect_bytes,
                                            &hs->indirect_gpa);
        hs->indirect_extra = calloc(hs->indirect_bytes / 16,
                                    sizeof(*hs->indirect_extra));
        if (!hs->indirect_table || !hs->indirect_extra) {
            vdrv_ram_free(vq->dev, hs->indirect_table, hs->indirect_gpa,
                          hs->indirect_bytes);
            free(hs->indirect_extra);
            hs->indirect_table = NULL;
            hs->indirect_extra = NULL;
            hs->indirect_bytes = 0;
            return -ENOMEM;
        }
    }
    return 0;
}

/* Order in which the sgs go into the chain: readable first, unless the
 * driver is told to break that rule. */
static unsigned sg_at(unsigned pos, unsigned out, unsigned in, bool swapped)
{
    if (!swapped)
        return pos;
    return pos < in ? out + pos : pos - in;
}

static int map_sgs(struct vdrv_vq *vq, const struct vdrv_sg *sg, unsigned out,
                   unsigned total, struct vdrv_dma *maps)
{
    for (unsigned i = 0; i < total; i++) {
        int err = 0;

        if (sg[i].flags & VDRV_SG_RAW) {
            memset(&maps[i], 0, sizeof(maps[i]));
            maps[i].dma = sg[i].addr;
            maps[i].len = sg[i].len;
        } else {
            err = vdrv_dma_map(vq->dev, sg[i].addr, sg[i].len, i >= out,
                               &maps[i]);
        }
        if (err) {
            while (i--)
                vdrv_dma_unmap(vq->dev, &maps[i]);
            return err;
        }
    }
    return 0;
}

#define INDIRECT_MISBEHAVIOUR \
    (VDRV_MB_INDIRECT_NESTED | VDRV_MB_INDIRECT_LEN_ZERO | \
     VDRV_MB_INDIRECT_LEN_ODD | VDRV_MB_INDIRECT_NEXT | VDRV_MB_FORCE_INDIRECT)

/* Write the chain into an indirect table; returns the head. */
static uint16_t add_indirect(struct vdrv_vq *vq, const struct vdrv_sg *sg,
                             const struct vdrv_dma *maps, unsigned out,
                             unsigned in, unsigned misbehave)
{
    unsigned total = out + in;
    uint16_t head = vq->free_head;
    struct vdrv_head_state *hs = &vq->heads[head];
    volatile struct vdrv_vring_desc *table = hs->indirect_table;
    bool swapped = misbehave & VDRV_MB_READ_AFTER_WRITE;
    uint32_t table_len = 16u * total;
    uint16_t head_flags = VRING_DESC_F_INDIRECT;

    for (unsigned pos = 0; pos < total; pos++) {
        unsigned i = sg_at(pos, out, in, swapped);
        uint16_t flags = (i >= out ? VRING_DESC_F_WRITE : 0) |
                         (pos + 1 < total ? VRING_DESC_F_NEXT : 0);

        write_desc(&table[pos], maps[i].dma, sg[i].len, flags,
                   (uint16_t)(pos + 1));
        hs->indirect_extra[pos].map = maps[i];
        hs->indirect_extra[pos].flags = flags;
        hs->indirect_extra[pos].next = (uint16_t)(pos + 1);
    }
    if (misbehave & VDRV_MB_NEXT_OUT_OF_RANGE) {
        table[total - 1].flags |= htole16(VRING_DESC_F_NEXT);
        table[total - 1].next = htole16((uint16_t)total);
    }
    if (misbehave & VDRV_MB_CHAIN_LOOP) {
        table[total - 1].flags |= htole16(VRING_DESC_F_NEXT);
        table[total - 1].next = htole16((uint16_t)(total - 1));
    }
    if (misbehave & VDRV_MB_INDIRECT_NESTED)
        table[0].flags |= htole16(VRING_DESC_F_INDIRECT);
    if (misbehave & VDRV_MB_INDIRECT_LEN_ZERO)
        table_len = 0;
    if (misbehave & VDRV_MB_INDIRECT_LEN_ODD)
        table_len -= 8;
    if (misbehave & VDRV_MB_INDIRECT_NEXT)
        head_flags |= VRING_DESC_F_NEXT;

    write_desc(&vq->desc[head], hs->indirect_map.dma, table_len, head_flags,
               vq->extra[head].next);
    memset(&vq->extra[head].map, 0, sizeof(vq->extra[head].map));
    vq->extra[head].flags = VRING_DESC_F_INDIRECT;
    hs->nr_indirect = (uint16_t)total;
    hs->ndescs = 1;
    vq->free_head = vq->extra[head].next;
    return head;
}

static uint16_t add_direct(struct vdrv_vq *vq, const struct vdrv_sg *sg,
                           const struct vdrv_dma *maps, unsigned out,
                           unsigned in, unsigned misbehave)
{
    unsigned total = out + in;
    uint16_t head = vq->free_head;
    uint16_t idx = head, last = head;
    bool swapped = misbehave & VDRV_MB_READ_AFTER_WRITE;

    for (unsigned pos = 0; pos < total; pos++) {
        unsigned i = sg_at(pos, out, in, swapped);
        uint16_t flags = (i >= out ? VRING_DESC_F_WRITE : 0) |
                         (pos + 1 < total ? VRING_DESC_F_NEXT : 0);

        write_desc(&vq->desc[idx], maps[i].dma, sg[i].len, flags,
                   vq->extra[idx].next);
        vq->extra[idx].map = maps[i];
        vq->extra[idx].flags = flags;
        last = idx;
        idx = vq->extra[idx].next;
    }
    if (misbehave & VDRV_MB_NEXT_OUT_OF_RANGE) {
        vq->desc[last].flags |= htole16(VRING_DESC_F_NEXT);
        vq->desc[last].next = htole16(vq->num);
    }
    if (misbehave & VDRV_MB_CHAIN_LOOP) {
        vq->desc[last].flags |= htole16(VRING_DESC_F_NEXT);
        vq->desc[last].next = htole16(last);
    }
    vq->heads[head].ndescs = (uint16_t)total;
    vq->heads[head].nr_indirect = 0;
    vq->free_head = idx;
    return head;
}

int vdrv_vq_add(struct vdrv_vq *vq, const struct vdrv_sg *sg, unsigned out,
                unsigned in, void *token)
{
    unsigned total = out + in;
    unsigned misbehave = vq->misbehave;
    struct vdrv_dma *maps;
    bool indirect;
    uint16_t head, avail_entry;
    uint32_t writable_len = 0;
    int err;

    if (vq->dev->dead)
        return -ENODEV;
    if (vq->broken)
        return -EIO;
    if (total == 0 || !token || total > 0xffff)
        return -EINVAL;
    vq->misbehave = 0;

    indirect = ((vq->indirect && total > 1) ||
                (misbehave & INDIRECT_MISBEHAVIOUR)) && vq->num_free;
    if (vq->num_free < (indirect ? 1 : total))
        return -ENOSPC;
    if (indirect) {
        err = indirect_table_for(vq, &vq->heads[vq->free_head], total);
        if (err)
            return err;
    }
    maps = calloc(total, sizeof(*maps));
    if (!maps)
        return -ENOMEM;
    err = map_sgs(vq, sg, out, total, maps);
    if (err)
        goto out;
    if (vq->dev->on_add)
        vq->dev->on_add(vq->dev->on_add_opaque, sg, total);
    if (indirect) {
        struct vdrv_head_state *hs = &vq->heads[vq->free_head];

        /* The table is only read by the device: DMA_TO_DEVICE. */
        err = vdrv_dma_map(vq->dev, hs->indirect_gpa, 16u * total, false,
                           &hs->indirect_map);
        if (err) {
            for (unsigned i = 0; i < total; i++)
                vdrv_dma_unmap(vq->dev, &maps[i]);
            goto out;
        }
        head = add_indirect(vq, sg, maps, out, in, misbehave);
    } else {
        head = add_direct(vq, sg, maps, out, in, misbehave);
    }
    vq->num_free -= vq->heads[head].ndescs;
    for (unsigned i = out; i < total; i++)
        writable_len += sg[i].len;
    vq->heads[head].token = token;
    vq->heads[head].writable_len = writable_len;

    avail_entry = head;
    if (misbehave & VDRV_MB_HEAD_OUT_OF_RANGE)
        avail_entry = (uint16_t)(vq->num + head);
    vq->avail[2 + (vq->avail_idx_shadow & (vq->num - 1))] = htole16(avail_entry);
    /* The device must see the entry before the index that exposes it. */
    vdrv_wmb();
    vq->avail_idx_shadow++;
    vq->avail[1] = htole16(misbehave & VDRV_MB_AVAIL_IDX_JUMP
                           ? (uint16_t)(vq->avail_idx_shadow + vq->num + 1)
                           : vq->avail_idx_shadow);
    vq->num_added++;
    if (misbehave & VDRV_MB_NO_KICK) {
        vq->num_added = 0;
        vq->misbehave = VDRV_MB_NO_KICK; /* swallow the kick that follows */
    } else if (vq->num_added == 0xffff) {
        /* Beyond this the old/new window of the kick decision wraps. */
        vdrv_vq_kick(vq);
    }
out:
    free(maps);
    return err;
}

/* virtio 1.2 §2.7.10: has 'new_idx' moved past 'event' since 'old'? */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vdrv_vq_kick_prepare(struct vdrv_vq *vq)
{
    uint16_t new_idx = vq->avail_idx_shadow;
    uint16_t old = (uint16_t)(new_idx - vq->num_added);
    bool needed;

    /* Publish avail idx before reading the device's suppression state. */
    vdrv_mb();
    vq->num_added = 0;
    if (vq->misbehave & VDRV_MB_NO_KICK) {
        vq->misbehave &= ~(unsigned)VDRV_MB_NO_KICK;
        return false;
    }
    if (vq->event_idx)
        needed = need_event(avail_event(vq), new_idx, old);
    else
        needed = !(used_flags(vq) & VRING_USED_F_NO_NOTIFY);
    return needed;
}

void vdrv_vq_notify(struct vdrv_vq *vq)
{
    if (vq->broken || vq->dev->dead)
        return;
    vq->kicks++;
    vdrv_write32(vq->dev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
}

bool vdrv_vq_kick(struct vdrv_vq *vq)
{
    if (!vdrv_vq_kick_prepare(vq)) {
        vq->kicks_suppressed++;
        return false;
    }
    vdrv_vq_notify(vq);
    return true;
}

bool vdrv_vq_more_used(const struct vdrv_vq *vq)
{
    return vq->last_used_idx != used_idx(vq);
}

void *vdrv_vq_get_used(struct vdrv_vq *vq, uint32_t *len)
{
    volatile uint32_t *elem;
    uint32_t id, used_len;
    void *token;

    if (vq->broken || vq->dev->dead || !vdrv_vq_more_used(vq))
        return NULL;
    /* Read the element only after the index that published it. */
    vdrv_rmb();
    elem = (volatile uint32_t *)(vq->used + 2) +
           2 * (vq->last_used_idx & (vq->num - 1));
    id = le32toh(elem[0]);
    used_len = le32toh(elem[1]);
    /* Linux's BAD_RING: a device that lies about used buffers breaks the
     * queue; nothing it returns afterwards is trusted. */
    if (id >= vq->num) {
        vdrv_log(vq->dev, "id %u out of range", id);
        vq->broken = true;
        return NULL;
    }
    if (!vq->heads[id].token) {
        vdrv_log(vq->dev, "id %u is not a head!", id);
        vq->broken = true;
        return NULL;
    }
    if (used_len > vq->heads[id].writable_len) {
        vdrv_log(vq->dev, "used len %u is larger than in buflen %u",
                 used_len, vq->heads[id].writable_len);
        vq->broken = true;
        return NULL;
    }
    token = vq->heads[id].token;
    detach_chain(vq, (uint16_t)id);
    vq->last_used_idx++;
    vq->completions++;
    /* Ask for the next interrupt right after this one, unless the driver
     * turned interrupts off. */
    if (vq->event_idx && !(vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT)) {
        set_used_event(vq, vq->last_used_idx);
        vdrv_mb();
    }
    *len = used_len;
    return token;
}

void vdrv_vq_disable_cb(struct vdrv_vq *vq)
{
    if (vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT)
        return;
    vq->avail_flags_shadow |= VRING_AVAIL_F_NO_INTERRUPT;
    /* With event idx the flag is not used: park used_event half the index
     * space away, so no completion we will see soon crosses it. */
    if (vq->event_idx)
        set_used_event(vq, (uint16_t)(vq->last_used_idx + 0x7fff));
    else
        set_avail_flags(vq, vq->avail_flags_shadow);
}

bool vdrv_vq_enable_cb(struct vdrv_vq *vq)
{
    if (vq->avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) {
        vq->avail_flags_shadow &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
        if (!vq->event_idx)
            set_avail_flags(vq, vq->avail_flags_shadow);
    }
    if (vq->event_idx)
        set_used_event(vq, vq->last_used_idx);
    /* Make the request visible before checking for a race with the
     * device having used more meanwhile. */
    vdrv_mb();
    return !vdrv_vq_more_used(vq);
}

void vdrv_vq_misbehave(struct vdrv_vq *vq, unsigned flags)
{
    vq->misbehave = flags;
}

bool vdrv_vq_interrupt(struct vdrv_vq *vq)
{
    if (!vq->dev || !vdrv_vq_more_used(vq))
        return false;
    if (vq->broken)
        return true;
    vq->interrupts++;
    if (vq->callback)
        vq->callback(vq);
    return true;
}

void vdrv_vq_complete_requests(struct vdrv_vq *vq)
{
    struct vdrv_request *req;
    uint32_t len;

    do {
        vdrv_vq_disable_cb(vq);
        while ((req = vdrv_vq_get_used(vq, &len))) {
            req->used_len = len;
            req->done = true;
            if (req->complete)
                req->complete(req);
        }
        if (vq->broken)
            return;
    } while (!vdrv_vq_enable_cb(vq));
}

void vdrv_vq_detach_all(struct vdrv_vq *vq,
                        void (*detach)(struct vdrv_device *dev, void *token))
{
    for (uint16_t head = 0; head < vq->num; head++) {
        void *token = vq->heads[head].token;

        if (!token)
            continue;
        detach_chain(vq, head);
        if (detach)
            detach(vq->dev, token);
    }
}

void vdrv_vq_destroy(struct vdrv_vq *vq)
{
    struct vdrv_device *dev = vq->dev;

    if (!dev)
        return;
    /* A dead guest leaves its memory and grants as they were: the backend
     * may still be using them, and that is what the test looks at. */
    if (!dev->dead) {
        for (uint16_t i = 0; i < vq->num; i++)
            vdrv_ram_free(dev, vq->heads[i].indirect_table,
                          vq->heads[i].indirect_gpa,
                          vq->heads[i].indirect_bytes);
        if (vdrv_dma_unmap(dev, &vq->ring_map) == 0)
            vdrv_ram_free(dev, vq->ring, vq->ring_gpa, vq->ring_bytes);
    }
    for (uint16_t i = 0; i < vq->num; i++)
        free(vq->heads[i].indirect_extra);
    free(vq->heads);
    free(vq->extra);
    memset(vq, 0, sizeof(*vq));
}
