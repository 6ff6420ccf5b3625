/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the core's files; freestanding. */
#ifndef XV_CORE_PRIVATE_H
#define XV_CORE_PRIVATE_H

#include <errno.h>
#include <string.h>

#include "xv/core.h"
#include "xv/wire.h"

/* Guest memory is shared with a concurrently running driver: order our
 * accesses to it like virtio_ring.c's virt_rmb/virt_wmb/virt_mb. */
#define xv_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xv_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define xv_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

static inline bool is_power_of_two(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

void xv_vq_enable(struct xv_vq *vq);
void xv_vq_release(struct xv_vq *vq);
void xv_report(struct xv_device *dev, int queue, enum xv_fault fault);

#endif
