/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One IOREQ server per frontend guest (xen-virtio.md §2): creation,
 * the per-vCPU ioreq state machine, and teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include "xen.h"

/* Grant refs one request may batch into a single map call. */
#define GRANT_BATCH_MAX 1024

int xvx_ctx_open(struct xvx_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->dm = xendevicemodel_open(NULL, 0);
    ctx->fmem = xenforeignmemory_open(NULL, 0);
    ctx->gnttab = xengnttab_open(NULL, 0);
    ctx->xc = xc_interface_open(NULL, NULL, 0);
    if (!ctx->dm || !ctx->fmem || !ctx->gnttab) {
        int err = errno ? errno : ENODEV;

        xvx_ctx_close(ctx);
        return -err;
    }
    return 0;
}

void xvx_ctx_close(struct xvx_ctx *ctx)
{
    if (ctx->xc)
        xc_interface_close(ctx->xc);
    if (ctx->gnttab)
        xengnttab_close(ctx->gnttab);
    if (ctx->fmem)
        xenforeignmemory_close(ctx->fmem);
    if (ctx->dm)
        xendevicemodel_close(ctx->dm);
    memset(ctx, 0, sizeof(*ctx));
}

static int guest_map_iopage(struct xvx_guest *g)
{
    void *addr = NULL;

    g->iopage_res = xenforeignmemory_map_resource(
        g->ctx->fmem, g->domid, XENMEM_resource_ioreq_server, g->server,
        XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
        PROT_READ | PROT_WRITE, 0);
    if (!g->iopage_res)
        return -errno;
    g->iopage = addr;
    return 0;
}

/* vp_eport is only filled in once the server is enabled, so bind after. */
static int guest_bind_ports(struct xvx_guest *g)
{
    g->xce = xenevtchn_open(NULL, 0);
    if (!g->xce)
        return -errno;
    g->xce_fd = xenevtchn_fd(g->xce);
    fcntl(g->xce_fd, F_SETFL, fcntl(g->xce_fd, F_GETFL) | O_NONBLOCK);
    g->ports = calloc(g->nr_vcpus, sizeof(*g->ports));
    if (!g->ports)
        return -ENOMEM;
    for (unsigned i = 0; i < g->nr_vcpus; i++) {
        xenevtchn_port_or_error_t port = xenevtchn_bind_interdomain(
            g->xce, g->domid, g->iopage->vcpu_ioreq[i].vp_eport);

        if (port < 0)
            return -errno;
        g->ports[i] = (evtchn_port_t)port;
    }
    return xvd_loop_add_fd(g->loop, g->xce_fd, EPOLLIN, xvx_ioreq_events, g);
}

static int guest_setup(struct xvx_guest *g)
{
    xendevicemodel_handle *dm = g->ctx->dm;
    int rc;

    if (xendevicemodel_nr_vcpus(dm, g->domid, &g->nr_vcpus) < 0)
        return -errno;
    /* Arm has no buffered ioreqs: asking for them fails with EINVAL. */
    if (xendevicemodel_create_ioreq_server(dm, g->domid,
                                           HVM_IOREQSRV_BUFIOREQ_OFF,
                                           &g->server) < 0)
        return -errno;
    g->have_server = true;
    rc = guest_map_iopage(g);
    if (rc < 0)
        return rc;
    if (xendevicemodel_set_ioreq_server_state(dm, g->domid, g->server, 1) < 0)
        return -errno;
    return guest_bind_ports(g);
}

struct xvx_guest *xvx_guest_create(struct xvx_ctx *ctx, struct xvd_loop *loop,
                                   domid_t domid)
{
    struct xvx_guest *g = calloc(1, sizeof(*g));
    int rc;

    if (!g) {
        errno = ENOMEM;
        return NULL;
    }
    g->ctx = ctx;
    g->loop = loop;
    g->domid = domid;
    g->xce_fd = -1;
    snprintf(g->log_ctx, sizeof(g->log_ctx), "dom%u", domid);
    g->refs_max = GRANT_BATCH_MAX;
    g->refs = calloc(g->refs_max, sizeof(*g->refs));
    rc = g->refs ? guest_setup(g) : -ENOMEM;
    if (rc < 0) {
        xvd_log(LOG_ERR, g->log_ctx, "cannot set up IOREQ server: %s",
                strerror(-rc));
        xvx_guest_destroy(g);
        errno = -rc;
        return NULL;
    }
    xvd_log(LOG_INFO, g->log_ctx, "IOREQ server %u, %u vCPU(s)", g->server,
            g->nr_vcpus);
    return g;
}

void xvx_guest_destroy(struct xvx_guest *g)
{
    xendevicemodel_handle *dm = g->ctx->dm;

    while (g->devices)
        xvx_device_destroy(g->devices);
    xvd_ratelimit_flush(&g->ratelimit, g->log_ctx);
    xvx_gmem_release(g);
    if (g->xce) {
        if (g->xce_fd >= 0)
            xvd_loop_del_fd(g->loop, g->xce_fd);
        for (unsigned i = 0; g->ports && i < g->nr_vcpus; i++)
            if (g->ports[i])
                xenevtchn_unbind(g->xce, g->ports[i]);
        xenevtchn_close(g->xce);
    }
    if (g->have_server)
        xendevicemodel_set_ioreq_server_state(dm, g->domid, g->server, 0);
    if (g->iopage_res)
        xenforeignmemory_unmap_resource(g->ctx->fmem, g->iopage_res);
    /* Fails harmlessly (ESRCH) when Xen already removed it with the guest. */
    if (g->have_server)
        xendevicemodel_destroy_ioreq_server(dm, g->domid, g->server);
    free(g->ports);
    free(g->refs);
    free(g);
}

static struct xvx_device *device_at(struct xvx_guest *g, uint64_t addr,
                                    uint32_t size)
{
    for (struct xvx_device *xd = g->devices; xd; xd = xd->next)
        if (addr >= xd->base && size <= XV_MMIO_WINDOW_SIZE &&
            addr - xd->base <= XV_MMIO_WINDOW_SIZE - size)
            return xd;
    return NULL;
}

static uint64_t size_mask(uint32_t size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void serve_copy(struct xvx_guest *g, ioreq_t *req)
{
    struct xvx_device *xd;
    uint32_t value = 0;
    uint32_t offset;

    if (req->data_is_ptr || req->count != 1 || req->size == 0 ||
        req->size > 8 || !(xd = device_at(g, req->addr, req->size))) {
        xvd_log_ratelimited(&g->ratelimit, LOG_WARNING, g->log_ctx,
                            "unserviceable ioreq addr %#llx size %u count %u "
                            "ptr %u", (unsigned long long)req->addr, req->size,
                            req->count, req->data_is_ptr);
        if (req->dir == IOREQ_READ)
            req->data = size_mask(req->size);
        return;
    }
    offset = (uint32_t)(req->addr - xd->base);
    xd->ioreqs++;
    if (req->dir == IOREQ_READ) {
        xv_mmio_read(&xd->dev->xv, offset, req->size, &value);
        /* Xen 4.17 sign-extends what we return: no high garbage. */
        req->data = value & size_mask(req->size);
        return;
    }
    /* Xen 4.17 passes the whole register: keep only the access. */
    xv_mmio_write(&xd->dev->xv, offset, req->size,
                  (uint32_t)(req->data & size_mask(req->size)));
    if (!xd->connected && (xd->dev->xv.status & XV_STATUS_DRIVER_OK)) {
        xd->connected = true;
        if (xd->on_driver_ok)
            xd->on_driver_ok(xd, xd->on_driver_ok_opaque);
    }
}

static void serve_vcpu(struct xvx_guest *g, unsigned vcpu)
{
    ioreq_t *req = &g->iopage->vcpu_ioreq[vcpu];

    if (req->state != STATE_IOREQ_READY)
        return; /* spurious, or already answered */
    xen_mb();
    req->state = STATE_IOREQ_INPROCESS;
    switch (req->type) {
    case IOREQ_TYPE_COPY:
        serve_copy(g, req);
        break;
    case IOREQ_TYPE_INVALIDATE:
        xvx_gmem_invalidate(g);
        break;
    default:
        xvd_log_ratelimited(&g->ratelimit, LOG_WARNING, g->log_ctx,
                            "ignoring ioreq type %u", req->type);
        break;
    }
    g->requests_served++;
    xen_mb();
    req->state = STATE_IORESP_READY;
    xen_mb();
    xenevtchn_notify(g->xce, g->ports[vcpu]);
}

static int vcpu_of_port(const struct xvx_guest *g, evtchn_port_t port)
{
    for (unsigned i = 0; i < g->nr_vcpus; i++)
        if (g->ports[i] == port)
            return (int)i;
    return -1;
}

void xvx_ioreq_events(void *opaque, uint32_t events)
{
    struct xvx_guest *g = opaque;
    /* Bounded: at most one pass over the vCPUs' worth of ports per wakeup;
     * the fd stays readable (level-triggered) if more are pending. */
    unsigned budget = g->nr_vcpus * 2 + 1;

    (void)events;
    while (budget--) {
        xenevtchn_port_or_error_t port = xenevtchn_pending(g->xce);
        int vcpu;

        if (port < 0)
            break; /* EAGAIN: drained */
        /* Unmask first so an event raised while we serve is not lost. */
        xenevtchn_unmask(g->xce, (evtchn_port_t)port);
        vcpu = vcpu_of_port(g, (evtchn_port_t)port);
        if (vcpu >= 0)
            serve_vcpu(g, (unsigned)vcpu);
    }
}
