/* SPDX-License-Identifier: Apache-2.0 */
#include "ring_helper.h"

#include <stdlib.h>
#include <string.h>

/* Guest memory is little-endian; store byte by byte so the helper is right
 * on any host. */
static void put_le(uint8_t *p, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < bytes; i++)
        value |= (uint64_t)p[i] << (8 * i);
    return value;
}

/* A helper bug (address outside RAM) must not look like a core bug. */
static uint8_t *ram(struct test_platform *tp, uint64_t gpa, size_t len)
{
    uint8_t *p = tp_ram_ptr(tp, gpa, len);
    if (!p)
        abort();
    return p;
}

void drv_vq_layout(struct drv_vq *vq, struct test_platform *tp,
                   uint64_t base_gpa, uint16_t num)
{
    memset(vq, 0, sizeof(*vq));
    vq->tp = tp;
    vq->num = num;
    vq->desc_gpa = (base_gpa + 15) & ~15ull;
    vq->avail_gpa = vq->desc_gpa + XV_VRING_DESC_BYTES(num);
    vq->used_gpa = (vq->avail_gpa + XV_VRING_AVAIL_BYTES(num) + 3) & ~3ull;
    vq->end_gpa = vq->used_gpa + XV_VRING_USED_BYTES(num);
    memset(ram(tp, vq->desc_gpa, vq->end_gpa - vq->desc_gpa), 0,
           vq->end_gpa - vq->desc_gpa);
    tp->direct_lo = vq->desc_gpa;
    tp->direct_hi = vq->end_gpa;
}

void drv_desc_at(struct test_platform *tp, uint64_t table_gpa, uint16_t idx,
                 uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *d = ram(tp, table_gpa + 16ull * idx, 16);
    put_le(d, addr, 8);
    put_le(d + 8, len, 4);
    put_le(d + 12, flags, 2);
    put_le(d + 14, next, 2);
}

void drv_desc(struct drv_vq *vq, uint16_t idx, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next)
{
    drv_desc_at(vq->tp, vq->desc_gpa, idx, addr, len, flags, next);
}

void drv_avail_put(struct drv_vq *vq, uint16_t head)
{
    uint16_t slot = (uint16_t)(vq->avail_idx % vq->num);
    put_le(ram(vq->tp, vq->avail_gpa + 4 + 2ull * slot, 2), head, 2);
}

void drv_set_avail_idx(struct drv_vq *vq, uint16_t idx)
{
    /* The ring entries must be visible before the index (virtio_wmb). */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    put_le(ram(vq->tp, vq->avail_gpa + 2, 2), idx, 2);
    vq->avail_idx = idx;
}

void drv_avail_add(struct drv_vq *vq, uint16_t head)
{
    drv_avail_put(vq, head);
    drv_set_avail_idx(vq, (uint16_t)(vq->avail_idx + 1));
}

void drv_set_avail_flags(struct drv_vq *vq, uint16_t flags)
{
    put_le(ram(vq->tp, vq->avail_gpa, 2), flags, 2);
}

void drv_set_used_event(struct drv_vq *vq, uint16_t event)
{
    put_le(ram(vq->tp, vq->avail_gpa + 4 + 2ull * vq->num, 2), event, 2);
}

uint16_t drv_used_idx(struct drv_vq *vq)
{
    return (uint16_t)get_le(ram(vq->tp, vq->used_gpa + 2, 2), 2);
}

uint16_t drv_used_flags(struct drv_vq *vq)
{
    return (uint16_t)get_le(ram(vq->tp, vq->used_gpa, 2), 2);
}

uint16_t drv_avail_event(struct drv_vq *vq)
{
    return (uint16_t)get_le(ram(vq->tp, vq->used_gpa + 4 + 8ull * vq->num, 2), 2);
}

struct xv_vring_used_elem drv_used_elem(struct drv_vq *vq, uint16_t pos)
{
    const uint8_t *e = ram(vq->tp, vq->used_gpa + 4 + 8ull * (pos % vq->num), 8);
    return (struct xv_vring_used_elem){
        .id = (uint32_t)get_le(e, 4),
        .len = (uint32_t)get_le(e + 4, 4),
    };
}
