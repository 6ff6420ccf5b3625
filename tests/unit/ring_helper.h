/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The driver's side of a split virtqueue, written straight into the test
 * platform's guest RAM: enough of virtio_ring.c to place chains the way a
 * (possibly hostile) guest would, with every field under the test's control.
 */
#ifndef XV_TEST_RING_HELPER_H
#define XV_TEST_RING_HELPER_H

#include <stdint.h>

#include "test_platform.h"

struct drv_vq {
    struct test_platform *tp;
    uint16_t num;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    uint64_t end_gpa;           /* first byte after the used ring */
    uint16_t avail_idx;         /* driver's shadow of avail->idx */
};

/* Lay out a queue of 'num' entries at base_gpa (16-byte aligned) and zero
 * its rings. Also tells the platform to map this range in place. */
void drv_vq_layout(struct drv_vq *vq, struct test_platform *tp,
                   uint64_t base_gpa, uint16_t num);

/* Write descriptor idx of the queue's table. */
void drv_desc(struct drv_vq *vq, uint16_t idx, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next);
/* Write entry idx of a descriptor table at table_gpa (indirect tables). */
void drv_desc_at(struct test_platform *tp, uint64_t table_gpa, uint16_t idx,
                 uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);

/* Put head in the next avail slot and publish it (avail->idx++). */
void drv_avail_add(struct drv_vq *vq, uint16_t head);
/* Put head in the next avail slot without publishing. */
void drv_avail_put(struct drv_vq *vq, uint16_t head);
/* Force avail->idx (and the shadow). */
void drv_set_avail_idx(struct drv_vq *vq, uint16_t idx);
void drv_set_avail_flags(struct drv_vq *vq, uint16_t flags);
void drv_set_used_event(struct drv_vq *vq, uint16_t event);

uint16_t drv_used_idx(struct drv_vq *vq);
uint16_t drv_used_flags(struct drv_vq *vq);
uint16_t drv_avail_event(struct drv_vq *vq);
/* Used element at ring position pos (taken modulo num). */
struct xv_vring_used_elem drv_used_elem(struct drv_vq *vq, uint16_t pos);

/* vring_need_event() of the virtio spec: should the other side be told? */
static inline int drv_need_event(uint16_t event, uint16_t new_idx,
                                 uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
