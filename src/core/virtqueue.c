/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue, device side (virtio 1.2 §2.7).
 *
 * The rings live in guest memory that the driver may change at any time,
 * so every index read from them is bounded before use, every descriptor is
 * copied once and then only the copy is used, and the walk of a chain is
 * bounded by the size of the table it is in.
 */
#include "core_private.h"

enum { AREA_DESC, AREA_AVAIL, AREA_USED };

static bool negotiated(const struct xv_vq *vq, unsigned bit)
{
    return xv_device_has_feature(vq->dev, bit);
}

static uint16_t mask(const struct xv_vq *vq, uint16_t idx)
{
    return idx & (uint16_t)(vq->num - 1);
}

/* avail: flags, idx, ring[num], used_event */
static uint16_t avail_idx(const struct xv_vq *vq)
{
    return xv_le16_to_cpu(vq->avail[1]);
}

static uint16_t avail_flags(const struct xv_vq *vq)
{
    return xv_le16_to_cpu(vq->avail[0]);
}

static uint16_t avail_ring(const struct xv_vq *vq, uint16_t idx)
{
    return xv_le16_to_cpu(vq->avail[2 + mask(vq, idx)]);
}

static uint16_t used_event(const struct xv_vq *vq)
{
    return xv_le16_to_cpu(vq->avail[2 + vq->num]);
}

/* used: flags, idx, ring[num] of {id, len}, avail_event */
static void set_used_flags(struct xv_vq *vq, uint16_t flags)
{
    vq->used[0] = xv_cpu_to_le16(flags);
}

static void set_used_idx(struct xv_vq *vq, uint16_t idx)
{
    vq->used[1] = xv_cpu_to_le16(idx);
}

static void set_avail_event(struct xv_vq *vq, uint16_t idx)
{
    vq->used[2 + 4 * (uint32_t)vq->num] = xv_cpu_to_le16(idx);
}

static void set_used_elem(struct xv_vq *vq, uint16_t slot, uint32_t id,
                          uint32_t len)
{
    volatile uint32_t *elem = (volatile uint32_t *)(vq->used + 2) + 2 * (size_t)slot;

    elem[0] = xv_cpu_to_le32(id);
    elem[1] = xv_cpu_to_le32(len);
}

static bool ring_config_valid(const struct xv_vq *vq)
{
    return is_power_of_two(vq->num) &&
           vq->num <= vq->dev->queue_max_size &&
           (vq->desc_addr & 15) == 0 && (vq->avail_addr & 1) == 0 &&
           (vq->used_addr & 3) == 0;
}

static void reset_indices(struct xv_vq *vq)
{
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    vq->signalled_used = 0;
    vq->signalled_used_valid = false;
    vq->in_flight = 0;
    vq->notify_pending = false;
    vq->notify_disabled = false;
    vq->broken = false;
    vq->failed = 0;
    vq->throttled = false;
}

static void unmap_areas(struct xv_vq *vq, unsigned count)
{
    const struct xv_platform *p = vq->dev->platform;

    while (count--)
        p->unmap(p->opaque, &vq->ring_gbuf[count], 1, &vq->ring_iov[count]);
}

void xv_vq_enable(struct xv_vq *vq)
{
    const struct xv_platform *p = vq->dev->platform;
    const uint64_t addr[3] = { vq->desc_addr, vq->avail_addr, vq->used_addr };
    const uint64_t bytes[3] = { XV_VRING_DESC_BYTES(vq->num),
                                XV_VRING_AVAIL_BYTES(vq->num),
                                XV_VRING_USED_BYTES(vq->num) };

    if (!ring_config_valid(vq)) {
        xv_device_needs_reset(vq->dev, vq->index, XV_FAULT_QUEUE_CONFIG);
        return;
    }
    for (unsigned i = 0; i < 3; i++) {
        struct xv_gbuf *g = &vq->ring_gbuf[i];

        g->addr = addr[i];
        g->len = (uint32_t)bytes[i];
        g->writable = i == AREA_USED;
        if (addr[i] > UINT64_MAX - bytes[i] ||
            p->map(p->opaque, g, 1, &vq->ring_iov[i]) < 0) {
            unmap_areas(vq, i);
            xv_device_needs_reset(vq->dev, vq->index, XV_FAULT_RING_MAP);
            return;
        }
    }
    vq->desc = vq->ring_iov[AREA_DESC].base;
    vq->avail = vq->ring_iov[AREA_AVAIL].base;
    vq->used = vq->ring_iov[AREA_USED].base;
    reset_indices(vq);
    vq->reset = false;
    vq->ready = true;
    vq->generation++;
}

void xv_vq_release(struct xv_vq *vq)
{
    if (vq->ready)
        unmap_areas(vq, 3);
    vq->ready = false;
    vq->desc = NULL;
    vq->avail = NULL;
    vq->used = NULL;
    reset_indices(vq);
    vq->generation++;
}

static int ring_fault(struct xv_vq *vq, enum xv_fault why)
{
    xv_device_needs_reset(vq->dev, vq->index, why);
    return -EIO;
}

static void publish_used(struct xv_vq *vq, uint16_t head, uint32_t len)
{
    set_used_elem(vq, mask(vq, vq->used_idx), head, len);
    vq->used_idx++;
    xv_wmb(); /* the element before the index that exposes it */
    set_used_idx(vq, vq->used_idx);
}

/* Outcome of walking one chain. */
struct walk {
    enum xv_fault ring_fault;   /* the ring is corrupt: NEEDS_RESET */
    enum xv_fault request_fault; /* only this request fails */
    bool seen_writable;         /* even empty ones: order is by flags */
};

static void read_desc(const volatile struct xv_vring_desc *table,
                      uint16_t idx, struct xv_vring_desc *d)
{
    d->addr = xv_le64_to_cpu(table[idx].addr);
    d->len = xv_le32_to_cpu(table[idx].len);
    d->flags = xv_le16_to_cpu(table[idx].flags);
    d->next = xv_le16_to_cpu(table[idx].next);
}

static void add_segment(struct xv_chain *c, const struct xv_vring_desc *d,
                        struct walk *w)
{
    bool writable = d->flags & XV_VRING_DESC_F_WRITE;
    uint32_t *total = writable ? &c->writable_len : &c->readable_len;
    uint16_t n = c->nr_readable + c->nr_writable;

    if (!writable && w->seen_writable) {
        w->ring_fault = XV_FAULT_READ_AFTER_WRITE;
        return;
    }
    w->seen_writable |= writable;
    if (w->request_fault || d->len == 0)
        return;
    if (d->addr > UINT64_MAX - (d->len - 1)) {
        w->request_fault = XV_FAULT_ADDR_OVERFLOW;
    } else if (*total > UINT32_MAX - d->len) {
        w->request_fault = XV_FAULT_TOTAL_LEN;
    } else if (n >= c->max_segs) {
        w->request_fault = XV_FAULT_TOO_MANY_SEGS;
    } else {
        c->gbuf[n].addr = d->addr;
        c->gbuf[n].len = d->len;
        c->gbuf[n].writable = writable;
        *total += d->len;
        if (writable)
            c->nr_writable++;
        else
            c->nr_readable++;
    }
}

/* Check an INDIRECT descriptor and map its table. Returns false when the
 * walk must stop (w says why). */
static bool enter_indirect(struct xv_vq *vq, const struct xv_vring_desc *d,
                           bool already_indirect, struct xv_gbuf *table_gbuf,
                           struct xv_iovec *table_iov, struct walk *w)
{
    const struct xv_platform *p = vq->dev->platform;

    if (already_indirect)
        w->ring_fault = XV_FAULT_INDIRECT_NESTED;
    else if (!negotiated(vq, XV_F_INDIRECT_DESC))
        w->ring_fault = XV_FAULT_INDIRECT_UNNEGOTIATED;
    else if (d->flags & XV_VRING_DESC_F_NEXT)
        w->ring_fault = XV_FAULT_INDIRECT_NEXT;
    else if (d->len == 0 || d->len % sizeof(struct xv_vring_desc) ||
             d->len / sizeof(struct xv_vring_desc) > XV_VQ_MAX_SIZE)
        w->ring_fault = XV_FAULT_INDIRECT_LEN;
    else if (d->addr > UINT64_MAX - (d->len - 1))
        w->request_fault = XV_FAULT_ADDR_OVERFLOW;
    if (w->ring_fault || w->request_fault)
        return false;

    table_gbuf->addr = d->addr;
    table_gbuf->len = d->len;
    table_gbuf->writable = false;
    if (p->map(p->opaque, table_gbuf, 1, table_iov) < 0) {
        w->request_fault = XV_FAULT_BUF_MAP;
        return false;
    }
    /* Descriptors are 16-byte fields: refuse a host view we can't index. */
    if ((uintptr_t)table_iov->base % 8 || table_iov->len < d->len) {
        p->unmap(p->opaque, table_gbuf, 1, table_iov);
        w->request_fault = XV_FAULT_BUF_MAP;
        return false;
    }
    return true;
}

static void walk_chain(struct xv_vq *vq, struct xv_chain *c, struct walk *w)
{
    const struct xv_platform *p = vq->dev->platform;
    const volatile struct xv_vring_desc *table = vq->desc;
    uint32_t table_size = vq->num;
    uint32_t visited = 0;
    uint16_t idx = c->head;
    struct xv_gbuf table_gbuf;
    struct xv_iovec table_iov;
    bool indirect = false;
    struct xv_vring_desc d;

    for (;;) {
        if (idx >= table_size) {
            w->ring_fault = XV_FAULT_NEXT_INDEX;
            break;
        }
        if (++visited > table_size) {
            w->ring_fault = XV_FAULT_CHAIN_LOOP;
            break;
        }
        read_desc(table, idx, &d);
        if (!indirect)
            c->ring_descs++;
        if (d.flags & XV_VRING_DESC_F_INDIRECT) {
            if (!enter_indirect(vq, &d, indirect, &table_gbuf, &table_iov, w))
                break;
            indirect = true;
            table = table_iov.base;
            table_size = d.len / sizeof(struct xv_vring_desc);
            visited = 0;
            idx = 0;
            continue;
        }
        add_segment(c, &d, w);
        if (w->ring_fault || !(d.flags & XV_VRING_DESC_F_NEXT))
            break;
        idx = d.next;
    }
    if (indirect)
        p->unmap(p->opaque, &table_gbuf, 1, &table_iov);
}

static void fail_request(struct xv_vq *vq, uint16_t head, enum xv_fault why)
{
    xv_report(vq->dev, vq->index, why);
    publish_used(vq, head, 0);
    xv_vq_notify_guest(vq);
}

static bool queue_usable(const struct xv_vq *vq)
{
    const struct xv_device *dev = vq->dev;

    return vq->ready && (dev->status & XV_STATUS_DRIVER_OK);
}

static bool queue_broken(const struct xv_vq *vq)
{
    return vq->broken ||
           (vq->dev->status & XV_STATUS_DEVICE_NEEDS_RESET);
}

int xv_vq_pop(struct xv_vq *vq, struct xv_chain *chain)
{
    const struct xv_platform *p = vq->dev->platform;

    if (!queue_usable(vq))
        return 0;
    if (queue_broken(vq))
        return -EIO;
    if (vq->throttled)
        return 0;

    for (;;) {
        uint16_t pending = (uint16_t)(avail_idx(vq) - vq->last_avail_idx);
        struct walk w = { XV_FAULT_NONE, XV_FAULT_NONE, false };

        if (pending > vq->num)
            return ring_fault(vq, XV_FAULT_AVAIL_IDX);
        if (pending == 0)
            return 0;
        xv_rmb(); /* read the ring entry only after the idx that exposed it */

        chain->head = avail_ring(vq, vq->last_avail_idx);
        if (chain->head >= vq->num)
            return ring_fault(vq, XV_FAULT_HEAD_INDEX);
        vq->last_avail_idx++;
        if (negotiated(vq, XV_F_EVENT_IDX) && !vq->notify_disabled)
            set_avail_event(vq, vq->last_avail_idx);

        chain->nr_readable = chain->nr_writable = 0;
        chain->readable_len = chain->writable_len = 0;
        chain->ring_descs = 0;
        chain->mapped = false;
        chain->generation = vq->generation;
        walk_chain(vq, chain, &w);
        if (w.ring_fault)
            return ring_fault(vq, w.ring_fault);
        if (!w.request_fault && chain->nr_readable + chain->nr_writable &&
            p->map(p->opaque, chain->gbuf,
                   chain->nr_readable + chain->nr_writable, chain->iov) < 0)
            w.request_fault = XV_FAULT_BUF_MAP;
        if (w.request_fault) {
            fail_request(vq, chain->head, w.request_fault);
            if (++vq->failed < vq->num)
                continue;
            vq->throttled = true;
            p->queue_notify(p->opaque, vq->dev, vq->index);
            return 0;
        }
        chain->mapped = chain->nr_readable + chain->nr_writable > 0;
        vq->in_flight++;
        return 1;
    }
}

void xv_vq_unmap_chain(struct xv_vq *vq, struct xv_chain *chain)
{
    const struct xv_platform *p = vq->dev->platform;

    if (!chain->mapped)
        return;
    p->unmap(p->opaque, chain->gbuf, chain->nr_readable + chain->nr_writable,
             chain->iov);
    chain->mapped = false;
}

void xv_vq_push(struct xv_vq *vq, struct xv_chain *chain, uint32_t written)
{
    /* Grants must be released before the guest can see the completion. */
    xv_vq_unmap_chain(vq, chain);
    if (!vq->ready || chain->generation != vq->generation)
        return; /* the queue was reset meanwhile: nobody waits for this */
    if (vq->in_flight == 0) {
        xv_device_needs_reset(vq->dev, vq->index, XV_FAULT_USED_ID);
        return;
    }
    vq->in_flight--;
    if (written > chain->writable_len)
        written = chain->writable_len;
    publish_used(vq, chain->head, written);
}

/* virtio 1.2 §2.7.10: interrupt iff used idx moved past used_event. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

void xv_vq_notify_guest(struct xv_vq *vq)
{
    struct xv_device *dev = vq->dev;
    uint16_t old = vq->signalled_used;
    bool was_valid = vq->signalled_used_valid;
    bool need;

    if (!queue_usable(vq))
        return;
    xv_mb(); /* publish used idx before reading the driver's suppression */
    if (was_valid && old == vq->used_idx)
        return;
    if (negotiated(vq, XV_F_EVENT_IDX))
        need = !was_valid || need_event(used_event(vq), vq->used_idx, old);
    else
        need = !(avail_flags(vq) & XV_VRING_AVAIL_F_NO_INTERRUPT);
    vq->signalled_used = vq->used_idx;
    vq->signalled_used_valid = true;
    if (!need)
        return;
    dev->interrupt_status |= XV_MMIO_INT_VRING;
    dev->platform->interrupt(dev->platform->opaque, dev);
}

void xv_vq_disable_notify(struct xv_vq *vq)
{
    if (!queue_usable(vq))
        return;
    vq->notify_disabled = true;
    if (!negotiated(vq, XV_F_EVENT_IDX))
        set_used_flags(vq, XV_VRING_USED_F_NO_NOTIFY);
}

bool xv_vq_enable_notify(struct xv_vq *vq)
{
    if (!queue_usable(vq))
        return false;
    vq->notify_disabled = false;
    if (negotiated(vq, XV_F_EVENT_IDX))
        set_avail_event(vq, vq->last_avail_idx);
    else
        set_used_flags(vq, 0);
    xv_mb(); /* the driver must see us listening before we look again */
    return !vq->throttled && avail_idx(vq) != vq->last_avail_idx;
}

uint16_t xv_vq_avail_count(struct xv_vq *vq)
{
    uint16_t pending;

    if (!queue_usable(vq) || queue_broken(vq) || vq->throttled)
        return 0;
    pending = (uint16_t)(avail_idx(vq) - vq->last_avail_idx);
    return pending > vq->num ? 0 : pending;
}

/* Copy between a buffer and segments [first, end) of a mapped chain,
 * 'off' bytes into them. */
static size_t chain_copy(const struct xv_chain *chain, unsigned first,
                         unsigned end, size_t off, void *buf, size_t len,
                         bool to_chain)
{
    size_t done = 0;

    if (!chain->mapped)
        return 0;
    for (unsigned i = first; i < end && done < len; i++) {
        const struct xv_iovec *v = &chain->iov[i];
        char *seg = (char *)v->base;
        size_t n;

        if (off >= v->len) {
            off -= v->len;
            continue;
        }
        n = v->len - off;
        if (n > len - done)
            n = len - done;
        if (to_chain)
            memcpy(seg + off, (const char *)buf + done, n);
        else
            memcpy((char *)buf + done, seg + off, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t xv_chain_read(const struct xv_chain *chain, size_t off, void *dst,
                     size_t len)
{
    return chain_copy(chain, 0, chain->nr_readable, off, dst, len, false);
}

size_t xv_chain_write(const struct xv_chain *chain, size_t off,
                      const void *src, size_t len)
{
    return chain_copy(chain, chain->nr_readable,
                      (unsigned)chain->nr_readable + chain->nr_writable, off,
                      (void *)(uintptr_t)src, len, true);
}
