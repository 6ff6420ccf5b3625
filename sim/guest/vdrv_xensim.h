/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vdrv on the simulated Xen: a struct vdrv_transport over the guest API
 * (xensim_guest.h). One bus per attached guest, one vdrv_xensim per
 * virtio-mmio device.
 */
#ifndef VDRV_XENSIM_H
#define VDRV_XENSIM_H

#include <pthread.h>

#include "vdrv.h"
#include "xensim_guest.h"

/* libxl's virtio-mmio layout on Arm: windows of 0x200 bytes from
 * GUEST_VIRTIO_MMIO_BASE, interrupts from GUEST_VIRTIO_MMIO_SPI_FIRST
 * (an INTID, as passed to xendevicemodel_set_irq_level). */
#define VDRV_XENSIM_MMIO_BASE 0x02000000ull
#define VDRV_XENSIM_MMIO_SIZE 0x200ull
#define VDRV_XENSIM_IRQ_FIRST 33u
#define VDRV_XENSIM_MAX_IRQ   1024u

/* Devices of one guest share its interrupt socket: an edge read while
 * waiting for another device is kept for its owner. */
struct vdrv_xensim_bus {
    struct xensim_guest *guest;
    pthread_mutex_t lock;
    uint64_t pending[VDRV_XENSIM_MAX_IRQ / 64];
};

struct vdrv_xensim {
    struct vdrv_xensim_bus *bus;
    unsigned vcpu;              /* the vCPU whose MMIO accesses we make */
    unsigned irq;               /* the device's INTID */
    struct vdrv_transport transport;
};

int vdrv_xensim_bus_init(struct vdrv_xensim_bus *bus, struct xensim_guest *g);
void vdrv_xensim_bus_destroy(struct vdrv_xensim_bus *bus);
/* Fill x->transport for the device using 'irq', accessed from 'vcpu'. */
void vdrv_xensim_init(struct vdrv_xensim *x, struct vdrv_xensim_bus *bus,
                      unsigned vcpu, unsigned irq);

#endif
