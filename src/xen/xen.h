/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Xen platform: one IOREQ server per frontend guest, its event
 * channels, and guest memory access for the core (grants or foreign).
 */
#ifndef XVX_XEN_H
#define XVX_XEN_H

#include <xenctrl.h> /* first: defines __XEN_TOOLS__ for the public headers */
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/hvm/ioreq.h>

#include "config.h"
#include "device_type.h"
#include "log.h"
#include "loop.h"

/* Process-wide Xen handles. */
struct xvx_ctx {
    xendevicemodel_handle *dm;
    xenforeignmemory_handle *fmem;
    xengnttab_handle *gnttab;
    xc_interface *xc;
    domid_t self;
};

struct xvx_guest;

struct xvx_queue_work {
    struct xvd_deferred deferred;
    struct xvx_device *device;
    unsigned queue;
};

/* One virtio-mmio device of a guest. */
struct xvx_device {
    struct xvx_guest *guest;
    struct xvd_dev *dev;
    uint64_t base;
    unsigned irq;
    bool grants;
    bool range_mapped;
    bool connected;             /* driver reached DRIVER_OK */
    bool irq_refused;           /* Xen said the SPI is not the guest's */
    struct xv_platform platform;
    struct xvx_queue_work *work; /* one per queue */
    unsigned nr_queues;
    char name[XVD_NAME_MAX];
    char log_ctx[2 * XVD_NAME_MAX];
    void (*on_driver_ok)(struct xvx_device *xd, void *opaque);
    void *on_driver_ok_opaque;
    struct xvd_ratelimit ratelimit;
    /* For the control socket's stats. */
    unsigned long ioreqs;       /* register accesses served */
    unsigned long faults[XV_FAULT_COUNT]; /* guest faults, by kind */
    struct xvx_device *next;
};

struct xvx_guest {
    struct xvx_ctx *ctx;
    struct xvd_loop *loop;
    domid_t domid;
    char log_ctx[32];
    ioservid_t server;
    bool have_server;
    xenforeignmemory_resource_handle *iopage_res;
    shared_iopage_t *iopage;
    xenevtchn_handle *xce;
    int xce_fd;
    unsigned nr_vcpus;
    evtchn_port_t *ports;       /* local port of each vCPU's channel */
    struct xvx_device *devices;
    /* Foreign mode: guest RAM banks, mapped on first use. */
    void *ram[2];
    uint64_t ram_bytes[2];
    uint64_t total_ram_bytes;
    /* Grant mode: scratch for batching refs, sized once. */
    uint32_t *refs;
    unsigned refs_max;
    struct xvd_ratelimit ratelimit;
    unsigned long requests_served;
    struct xvx_guest *next;
};

int xvx_ctx_open(struct xvx_ctx *ctx);
void xvx_ctx_close(struct xvx_ctx *ctx);

/* Create the guest's IOREQ server, map its ioreq page, enable it and bind
 * every vCPU's event channel. Returns NULL with errno set. */
struct xvx_guest *xvx_guest_create(struct xvx_ctx *ctx, struct xvd_loop *loop,
                                   domid_t domid);
/* Tear down: devices first (drains them), then ports, server, page. */
void xvx_guest_destroy(struct xvx_guest *guest);

/* Create a device of the given type from its config and map its window
 * into the server. On failure returns NULL and describes why in err. */
struct xvx_device *xvx_device_create(struct xvx_guest *guest,
                                     const struct xvd_device_type *type,
                                     const struct xvd_device_conf *conf,
                                     uint64_t base, unsigned irq, bool grants,
                                     char *err, size_t errlen);
void xvx_device_destroy(struct xvx_device *xd);

/* Guest memory, as the core's platform map/unmap (src/xen/gmem.c). */
int xvx_gmem_map(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                 struct xv_iovec *iov);
void xvx_gmem_unmap(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                    struct xv_iovec *iov);
/* Drop cached foreign mappings (IOREQ_TYPE_INVALIDATE). */
void xvx_gmem_invalidate(struct xvx_guest *guest);
void xvx_gmem_release(struct xvx_guest *guest);

/* Serve the guest's pending ioreqs (event channel fd callback). */
void xvx_ioreq_events(void *opaque, uint32_t events);

#endif
