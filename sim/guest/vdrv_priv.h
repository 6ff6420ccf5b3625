/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the vdrv files; not part of the guest API. */
#ifndef VDRV_PRIV_H
#define VDRV_PRIV_H

#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "vdrv.h"

#define VDRV_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VDRV_DEFAULT_TIMEOUT_MS 5000
/* Linux aligns the used ring of a virtio-mmio queue to a page. */
#define VDRV_VRING_ALIGN VDRV_PAGE_SIZE

/* Guest memory is shared with a device running elsewhere: order accesses
 * like Linux's virt_rmb/virt_wmb/virt_mb. */
#define vdrv_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define vdrv_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define vdrv_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Record (and with VDRV_DEBUG=1 print) an error worded like Linux's. */
void vdrv_log(struct vdrv_device *dev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

uint32_t vdrv_read32(struct vdrv_device *dev, uint32_t offset);
void vdrv_write32(struct vdrv_device *dev, uint32_t offset, uint32_t value);

/* Ring lifetime (vdrv_ring.c). */
int vdrv_vq_create(struct vdrv_device *dev, struct vdrv_vq *vq,
                   uint16_t index, uint16_t num,
                   vdrv_vq_callback_fn *callback);
/* Give back every chain still owned by the device; returns its tokens
 * through detach (may be NULL). */
void vdrv_vq_detach_all(struct vdrv_vq *vq,
                        void (*detach)(struct vdrv_device *dev, void *token));
void vdrv_vq_destroy(struct vdrv_vq *vq);
/* vring_interrupt: run the callback if the device used buffers. */
bool vdrv_vq_interrupt(struct vdrv_vq *vq);

#endif
