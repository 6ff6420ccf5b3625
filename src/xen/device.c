/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A virtio-mmio device of a guest: its window in the IOREQ server and the
 * core's platform hooks (queue work on the loop, interrupts via dm_op).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen.h"

static void run_queue_work(struct xvd_deferred *d)
{
    struct xvx_queue_work *w = (struct xvx_queue_work *)d;

    xv_device_process_queue(&w->device->dev->xv, w->queue);
}

static struct xvx_device *device_of(void *opaque)
{
    return opaque;
}

static void platform_queue_notify(void *opaque, struct xv_device *dev,
                                  unsigned queue)
{
    struct xvx_device *xd = device_of(opaque);

    (void)dev;
    if (queue < xd->nr_queues)
        xvd_loop_defer(xd->guest->loop, &xd->work[queue].deferred);
}

static void platform_interrupt(void *opaque, struct xv_device *dev)
{
    struct xvx_device *xd = device_of(opaque);
    struct xvx_guest *g = xd->guest;

    (void)dev;
    /* Edge-triggered SPI: level 1 is one edge; Arm's vGIC ignores 0. */
    if (xendevicemodel_set_irq_level(g->ctx->dm, g->domid, xd->irq, 1) == 0)
        return;
    /* Xen gives a domain only the SPIs libxl counted for it: those of xl's
     * virtio devices and the vuart, rounded up to 32. */
    if (errno == EINVAL) {
        if (!xd->irq_refused)
            xvd_log(LOG_ERR, xd->log_ctx,
                    "irq %u is not one of the guest's SPIs; the guest gets no "
                    "interrupts (see xenvirtiod(8), INTERRUPTS)", xd->irq);
        xd->irq_refused = true;
    } else
        xvd_log_ratelimited(&xd->ratelimit, LOG_WARNING, xd->log_ctx,
                            "set_irq_level(%u): %s", xd->irq, strerror(errno));
}

static void platform_fault(void *opaque, struct xv_device *dev, int queue,
                           enum xv_fault fault)
{
    struct xvx_device *xd = device_of(opaque);
    char where[24] = "";

    (void)dev;
    if ((unsigned)fault < XV_FAULT_COUNT)
        xd->faults[fault]++;
    if (queue >= 0)
        snprintf(where, sizeof(where), " on queue %d", queue);
    xvd_log_ratelimited(&xd->ratelimit, LOG_WARNING, xd->log_ctx,
                        "guest error%s: %s%s", where, xv_fault_name(fault),
                        xv_fault_needs_reset(fault) ? " (device needs reset)" : "");
}

struct xvx_device *xvx_device_create(struct xvx_guest *g,
                                     const struct xvd_device_type *type,
                                     const struct xvd_device_conf *conf,
                                     uint64_t base, unsigned irq, bool grants,
                                     char *err, size_t errlen)
{
    struct xvx_device *xd;

    if (base % XV_MMIO_WINDOW_SIZE) {
        snprintf(err, errlen, "device %s: key 'base': bad value '%#llx' "
                 "(not 0x200-aligned)", conf->name, (unsigned long long)base);
        return NULL;
    }
    xd = calloc(1, sizeof(*xd));
    if (!xd) {
        snprintf(err, errlen, "device %s: out of memory", conf->name);
        return NULL;
    }
    xd->guest = g;
    xd->base = base;
    xd->irq = irq;
    xd->grants = grants;
    snprintf(xd->name, sizeof(xd->name), "%s", conf->name);
    snprintf(xd->log_ctx, sizeof(xd->log_ctx), "dom%u/%s", g->domid,
             conf->name);
    xd->platform = (struct xv_platform){
        .map = xvx_gmem_map,
        .unmap = xvx_gmem_unmap,
        .queue_notify = platform_queue_notify,
        .interrupt = platform_interrupt,
        .fault = platform_fault,
        .opaque = xd,
    };
    xd->dev = type->create(conf, &xd->platform, g->loop, err, errlen);
    if (!xd->dev)
        goto fail;
    xd->dev->log_ctx = xd->log_ctx;
    xd->dev->xv.access_platform = grants;
    xd->nr_queues = xd->dev->xv.num_queues;
    xd->work = calloc(xd->nr_queues ? xd->nr_queues : 1, sizeof(*xd->work));
    if (!xd->work) {
        snprintf(err, errlen, "device %s: out of memory", conf->name);
        goto fail;
    }
    for (unsigned i = 0; i < xd->nr_queues; i++) {
        xd->work[i].deferred.fn = run_queue_work;
        xd->work[i].device = xd;
        xd->work[i].queue = i;
    }
    if (xendevicemodel_map_io_range_to_ioreq_server(
            g->ctx->dm, g->domid, g->server, 1, base,
            base + XV_MMIO_WINDOW_SIZE - 1) < 0) {
        snprintf(err, errlen, "device %s: cannot map window %#llx: %s",
                 conf->name, (unsigned long long)base, strerror(errno));
        goto fail;
    }
    xd->range_mapped = true;
    xd->next = g->devices;
    g->devices = xd;
    xvd_log(LOG_INFO, xd->log_ctx, "%s at %#llx irq %u, %s", type->name,
            (unsigned long long)base, irq, grants ? "grants" : "foreign memory");
    return xd;
fail:
    if (xd->dev)
        type->destroy(xd->dev);
    free(xd->work);
    free(xd);
    return NULL;
}

void xvx_device_destroy(struct xvx_device *xd)
{
    struct xvx_guest *g = xd->guest;

    for (struct xvx_device **p = &g->devices; *p; p = &(*p)->next) {
        if (*p == xd) {
            *p = xd->next;
            break;
        }
    }
    if (xd->range_mapped)
        xendevicemodel_unmap_io_range_from_ioreq_server(
            g->ctx->dm, g->domid, g->server, 1, xd->base,
            xd->base + XV_MMIO_WINDOW_SIZE - 1);
    for (unsigned i = 0; i < xd->nr_queues; i++)
        xvd_loop_cancel(g->loop, &xd->work[i].deferred);
    /* Releases every ring mapping; the device drops in-flight state. */
    xv_device_reset(&xd->dev->xv);
    xvd_ratelimit_flush(&xd->ratelimit, xd->log_ctx);
    xd->dev->type->destroy(xd->dev);
    free(xd->work);
    free(xd);
}
