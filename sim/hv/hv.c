/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-hv: the simulated hypervisor (see sim/README.md).
 *
 * One single-threaded epoll loop serves every client. Nothing here blocks
 * on a client: a guest vCPU's MMIO access is parked in its struct vcpu
 * until the backend answers through the shared ioreq page and an event
 * channel notification, exactly as Xen's wait_for_io parks the vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hv.h"

#define DEFER_REPLY (-1)

static struct domain *domains[HV_MAX_DOMID];
static uint32_t next_domid = 1;
static struct conn *conns;
static bool verbose;

struct mapping {
    uint64_t token;
    struct conn *owner;
    enum { MAP_RESOURCE, MAP_FOREIGN, MAP_GRANT } kind;
    uint32_t dom;               /* MAP_RESOURCE, MAP_FOREIGN */
    uint64_t pages;             /* MAP_FOREIGN: pages still mapped */
    uint32_t count;             /* MAP_GRANT */
    uint32_t *gnt_dom;
    uint32_t *gnt_ref;
    bool writable;
    struct mapping *next;
};
static struct mapping *mappings;
static uint64_t next_token = 1;

/* What a handler answers. */
struct reply {
    struct xsp_msg msg;
    void *data;                 /* malloc'd or NULL */
    size_t len;
    int fds[XSP_MAX_FDS];
    bool close_fd[XSP_MAX_FDS]; /* descriptors given away: close after sending */
    unsigned nfds;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    fputs("xensim-hv: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#define debugf(...) do { if (verbose) { logf_(__VA_ARGS__); } } while (0)

static void reply_fd(struct reply *rep, int fd, bool give_away)
{
    rep->fds[rep->nfds] = fd;
    rep->close_fd[rep->nfds] = give_away;
    rep->nfds++;
}

static void conn_send(struct conn *c, struct xsp_msg *msg, const void *data, size_t len,
                      const int *fds, unsigned nfds)
{
    if (c->dead) {
        return;
    }
    if (xsp_send(c->fd, msg, data, len, fds, nfds) < 0) {
        debugf("dropping client fd %d: %s", c->fd, strerror(errno));
        c->dead = true;
    }
}

/* ------------------------------------------------------------------ */
/* Domains                                                            */

static struct domain *domain_get(uint32_t domid)
{
    return domid < HV_MAX_DOMID ? domains[domid] : NULL;
}

/* A live (not dying) domain, or NULL. */
static struct domain *domain_live(uint32_t domid)
{
    struct domain *d = domain_get(domid);
    return d && !d->dying ? d : NULL;
}

static bool may_control(const struct conn *c, const struct domain *d)
{
    return c->domid == 0 || (d && d->target == c->domid);
}

static void domain_free(struct domain *d)
{
    debugf("d%u freed", d->domid);
    if (d->gnt) {
        munmap(d->gnt, XSP_GNT_FRAMES * XSP_PAGE_SIZE);
    }
    if (d->gnt_fd >= 0) {
        close(d->gnt_fd);
    }
    if (d->ram_fd >= 0) {
        close(d->ram_fd);
    }
    free(d->gnt_readers);
    free(d->gnt_writers);
    free(d->vcpus);
    free(d->ports);
    domains[d->domid] = NULL;
    free(d);
}

/* A dying domain lingers as a zombie while anything maps its memory. */
static void domain_maybe_free(struct domain *d)
{
    if (d && d->dying && d->foreign_pages == 0 && d->grant_maps == 0 &&
        d->resource_maps == 0) {
        domain_free(d);
    }
}

static int make_memfd(const char *name, uint64_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static struct domain *domain_new(uint32_t domid, const char *name, uint32_t nvcpus,
                                 uint64_t ram_bytes, uint32_t nr_spis)
{
    struct domain *d = calloc(1, sizeof(*d));
    if (!d) {
        return NULL;
    }
    d->domid = domid;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->nvcpus = nvcpus;
    d->nr_spis = nr_spis;
    d->ram_bytes = ram_bytes;
    d->target = XSP_NO_DOMID;
    d->ram_fd = -1;
    d->gnt_fd = -1;
    d->vcpus = calloc(nvcpus ? nvcpus : 1, sizeof(*d->vcpus));
    d->gnt_readers = calloc(XSP_GNT_ENTRIES, sizeof(uint32_t));
    d->gnt_writers = calloc(XSP_GNT_ENTRIES, sizeof(uint32_t));
    if (!d->vcpus || !d->gnt_readers || !d->gnt_writers) {
        goto fail;
    }
    for (unsigned i = 0; i < HV_MAX_SERVERS; i++) {
        d->servers[i].memfd = -1;
    }
    char memname[48];
    snprintf(memname, sizeof(memname), "xensim-d%u-ram", domid);
    d->ram_fd = make_memfd(memname, ram_bytes);
    snprintf(memname, sizeof(memname), "xensim-d%u-gnttab", domid);
    d->gnt_fd = make_memfd(memname, XSP_GNT_FRAMES * XSP_PAGE_SIZE);
    if (d->ram_fd < 0 || d->gnt_fd < 0) {
        goto fail;
    }
    d->gnt = mmap(NULL, XSP_GNT_FRAMES * XSP_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  d->gnt_fd, 0);
    if (d->gnt == MAP_FAILED) {
        d->gnt = NULL;
        goto fail;
    }
    domains[domid] = d;
    return d;

fail:
    domains[domid] = d;
    domain_free(d);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Event channels                                                     */

static void vcpu_event(struct domain *d, unsigned srv, unsigned v);

static int port_alloc(struct domain *d, uint32_t *port)
{
    /* Port 0 is never valid, as in Xen. */
    for (uint32_t p = 1; p < d->nports; p++) {
        if (d->ports[p].state == EVT_FREE) {
            memset(&d->ports[p], 0, sizeof(d->ports[p]));
            *port = p;
            return 0;
        }
    }
    if (d->nports >= HV_MAX_PORTS) {
        return ENOSPC;
    }
    uint32_t grown = d->nports ? d->nports * 2 : 64;
    struct evtchn *ports = realloc(d->ports, grown * sizeof(*ports));
    if (!ports) {
        return ENOMEM;
    }
    memset(ports + d->nports, 0, (grown - d->nports) * sizeof(*ports));
    *port = d->nports ? d->nports : 1;
    d->ports = ports;
    d->nports = grown;
    return 0;
}

static struct evtchn *port_get(struct domain *d, uint32_t port)
{
    if (!d || port == 0 || port >= d->nports || d->ports[port].state == EVT_FREE) {
        return NULL;
    }
    return &d->ports[port];
}

/* Make a port pending in its domain: /dev/xen/evtchn semantics. */
static void evt_raise(struct domain *d, uint32_t port)
{
    struct evtchn *ch = port_get(d, port);
    if (!ch) {
        return;
    }
    if (ch->xen_vcpu) {
        vcpu_event(d, ch->srv, ch->vcpu);
        return;
    }
    if (!ch->owner || ch->owner->evt_fd < 0) {
        return;
    }
    if (ch->masked) {
        ch->pending = true;
        return;
    }
    ch->masked = true;
    uint32_t wire = port;
    if (send(ch->owner->evt_fd, &wire, sizeof(wire), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        debugf("event for d%u port %u lost: %s", d->domid, port, strerror(errno));
    }
}

/* Domain d signals its end of a channel (EVTCHNOP_send). */
static void evt_send(struct domain *d, uint32_t port)
{
    struct evtchn *ch = port_get(d, port);
    if (ch && ch->state == EVT_INTERDOMAIN) {
        evt_raise(domain_get(ch->remote_dom), ch->remote_port);
    }
    /* Unbound: silently dropped, as Xen does. */
}

/* Close one end; the other end falls back to unbound, ready to be rebound. */
static void evt_close(struct domain *d, uint32_t port)
{
    struct evtchn *ch = port_get(d, port);
    if (!ch) {
        return;
    }
    if (ch->state == EVT_INTERDOMAIN) {
        struct evtchn *peer = port_get(domain_get(ch->remote_dom), ch->remote_port);
        if (peer && peer->state == EVT_INTERDOMAIN && peer->remote_dom == d->domid &&
            peer->remote_port == port) {
            peer->state = EVT_UNBOUND;
            peer->remote_dom = d->domid;
            peer->remote_port = 0;
        }
    }
    memset(ch, 0, sizeof(*ch));
}

/* ------------------------------------------------------------------ */
/* IOREQ                                                              */

static void vcpu_complete(struct domain *d, unsigned v, int err, uint64_t data)
{
    struct vcpu *vc = &d->vcpus[v];
    vc->phase = VCPU_IDLE;
    vc->invalidating = false;
    if (vc->waiter) {
        struct xsp_msg r = { .hdr.op = XSP_MMIO, .hdr.err = err };
        r.arg[0] = data;
        conn_send(vc->waiter, &r, NULL, 0, NULL, 0);
        vc->waiter = NULL;
    }
}

static void domain_crash(struct domain *d, const char *why, unsigned a, unsigned b)
{
    logf_("d%u crashed: %s %u -> %u", d->domid, why, a, b);
    d->crashed = true;
    for (unsigned v = 0; v < d->nvcpus; v++) {
        if (d->vcpus[v].phase != VCPU_IDLE) {
            vcpu_complete(d, v, ESHUTDOWN, 0);
        }
    }
}

static void ioreq_send(struct domain *d, unsigned v, unsigned srv, uint8_t type,
                       uint64_t addr, uint64_t data, uint32_t size, uint8_t dir)
{
    struct ioreq_server *s = &d->servers[srv];
    struct vcpu *vc = &d->vcpus[v];
    ioreq_t *p = &s->page[v];

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (p->state != STATE_IOREQ_NONE) {
        domain_crash(d, "device model set bad IO state", p->state, STATE_IOREQ_READY);
        return;
    }
    p->addr = addr;
    p->data = data;
    p->count = 1;
    p->size = size;
    p->dir = dir;
    p->df = 0;
    p->data_is_ptr = 0;
    p->type = type;
    /* The backend must see the fields before it sees READY. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    p->state = STATE_IOREQ_READY;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    vc->phase = VCPU_WAITING;
    vc->srv = srv;
    vc->last_state = STATE_IOREQ_READY;
    debugf("d%u v%u -> srv %u type %u addr %#llx size %u dir %u data %#llx", d->domid, v,
           srv, type, (unsigned long long)addr, size, dir, (unsigned long long)data);
    evt_send(d, s->port[v]);
}

static int server_select(struct domain *d, uint64_t addr, uint32_t size)
{
    uint64_t last = addr + size - 1;
    for (unsigned i = 0; i < HV_MAX_SERVERS; i++) {
        struct ioreq_server *s = &d->servers[i];
        if (!s->exists || !s->enabled) {
            continue;
        }
        for (unsigned r = 0; r < s->nranges; r++) {
            const struct io_range *rg = &s->ranges[r];
            if (rg->type == XEN_DMOP_IO_RANGE_MEMORY && addr >= rg->start && last <= rg->end &&
                last >= addr) {
                return (int)i;
            }
        }
    }
    return -1;
}

/* Move a queued access forward, as far as it can go right now. */
static void vcpu_run(struct domain *d, unsigned v)
{
    struct vcpu *vc = &d->vcpus[v];
    if (vc->phase != VCPU_QUEUED || d->pause_count > 0 || d->dying || d->crashed) {
        return;
    }
    /* A newly enabled server first gets a mapcache invalidation. */
    for (unsigned i = 0; i < HV_MAX_SERVERS; i++) {
        struct ioreq_server *s = &d->servers[i];
        if (s->exists && s->enabled && s->invalidate_pending) {
            s->invalidate_pending = false;
            vc->invalidating = true;
            ioreq_send(d, v, i, IOREQ_TYPE_INVALIDATE, ~0ull, ~0ull, 4, IOREQ_WRITE);
            return;
        }
    }
    int srv = server_select(d, vc->addr, vc->size);
    if (srv < 0) {
        debugf("d%u v%u unhandled %#llx: data abort", d->domid, v,
               (unsigned long long)vc->addr);
        vcpu_complete(d, v, EFAULT, 0);
        return;
    }
    ioreq_send(d, v, (unsigned)srv, IOREQ_TYPE_COPY, vc->addr, vc->data, vc->size, vc->dir);
}

/* The vCPU's event channel fired (or the vCPU resumed): look at the slot. */
static void vcpu_check(struct domain *d, unsigned v)
{
    struct vcpu *vc = &d->vcpus[v];
    if (vc->phase != VCPU_WAITING || d->pause_count > 0 || d->crashed || d->dying) {
        return;
    }
    ioreq_t *p = &d->servers[vc->srv].page[v];
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    unsigned state = p->state;
    uint64_t data = ~0ull;
    if (state == STATE_IOREQ_NONE) {
        /* Xen's wait_for_io stops waiting without a crash (an emulator
         * dying mid-request) and completes with all ones. */
        goto complete;
    }
    if (state > STATE_IORESP_READY || state < vc->last_state) {
        domain_crash(d, "Weird HVM ioreq state transition", vc->last_state, state);
        return;
    }
    vc->last_state = (uint8_t)state;
    if (state != STATE_IORESP_READY) {
        return;     /* READY/INPROCESS: keep waiting, like wait_for_io */
    }
    data = p->data;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    p->state = STATE_IOREQ_NONE;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
complete:
    debugf("d%u v%u <- data %#llx", d->domid, v, (unsigned long long)data);
    if (vc->invalidating) {
        vc->invalidating = false;
        vc->phase = VCPU_QUEUED;
        vcpu_run(d, v);
        return;
    }
    /* Xen 4.17 hands the unmasked value back; the guest API extends it. */
    vcpu_complete(d, v, 0, vc->dir == IOREQ_READ ? data : 0);
}

static void vcpu_event(struct domain *d, unsigned srv, unsigned v)
{
    if (v < d->nvcpus && d->vcpus[v].phase == VCPU_WAITING && d->vcpus[v].srv == srv) {
        vcpu_check(d, v);
    }
}

static void server_destroy(struct domain *d, unsigned id)
{
    struct ioreq_server *s = &d->servers[id];
    if (!s->exists) {
        return;
    }
    for (unsigned v = 0; v < d->nvcpus; v++) {
        struct vcpu *vc = &d->vcpus[v];
        if (vc->phase == VCPU_WAITING && vc->srv == id) {
            /* Nothing will answer: finish with the request's own data
             * (behaviour of real Xen here is unverified). */
            if (vc->invalidating) {
                vc->invalidating = false;
                vc->phase = VCPU_QUEUED;
            } else {
                vcpu_complete(d, v, 0, vc->data);
            }
        }
        evt_close(d, s->port[v]);
    }
    if (s->page) {
        munmap(s->page, XSP_PAGE_SIZE);
    }
    if (s->memfd >= 0) {
        close(s->memfd);
    }
    free(s->ranges);
    memset(s, 0, sizeof(*s));
    s->memfd = -1;
    for (unsigned v = 0; v < d->nvcpus; v++) {
        vcpu_run(d, v);
    }
}

static void deliver_irq(struct domain *d, uint32_t irq)
{
    bool delivered = false;
    for (struct conn *c = conns; c; c = c->next) {
        if (!c->dead && c->kind == XSP_KIND_GUEST && c->domid == d->domid && c->irq_fd >= 0) {
            if (send(c->irq_fd, &irq, sizeof(irq), MSG_NOSIGNAL | MSG_DONTWAIT) == 0 ||
                errno != EPIPE) {
                delivered = true;
            }
        }
    }
    /* No guest attached yet: the edge stays pending in the "vGIC". */
    if (!delivered && d->npending_irqs < HV_MAX_PENDING_IRQS) {
        d->pending_irqs[d->npending_irqs++] = irq;
    }
}

static void domain_destroy(struct domain *d)
{
    logf_("d%u destroyed", d->domid);
    d->dying = true;
    for (unsigned v = 0; v < d->nvcpus; v++) {
        if (d->vcpus[v].phase != VCPU_IDLE) {
            vcpu_complete(d, v, ESRCH, 0);
        }
    }
    for (unsigned i = 0; i < HV_MAX_SERVERS; i++) {
        server_destroy(d, i);
    }
    for (uint32_t p = 1; p < d->nports; p++) {
        evt_close(d, p);
    }
    /* Guests see their interrupt line go away. */
    for (struct conn *c = conns; c; c = c->next) {
        if (c->kind == XSP_KIND_GUEST && c->domid == d->domid && c->irq_fd >= 0) {
            close(c->irq_fd);
            c->irq_fd = -1;
        }
    }
    domain_maybe_free(d);
}

/* ------------------------------------------------------------------ */
/* Mappings                                                           */

static struct mapping *mapping_new(struct conn *owner, int kind, uint32_t dom)
{
    struct mapping *m = calloc(1, sizeof(*m));
    if (!m) {
        return NULL;
    }
    m->token = next_token++;
    m->owner = owner;
    m->kind = kind;
    m->dom = dom;
    m->next = mappings;
    mappings = m;
    return m;
}

static struct mapping *mapping_find(const struct conn *owner, uint64_t token)
{
    for (struct mapping *m = mappings; m; m = m->next) {
        if (m->token == token && m->owner == owner) {
            return m;
        }
    }
    return NULL;
}

static void grant_release(uint32_t domid, uint32_t ref, bool writable)
{
    struct domain *d = domain_get(domid);
    if (!d || ref >= XSP_GNT_ENTRIES) {
        return;
    }
    if (writable && d->gnt_writers[ref] > 0 && --d->gnt_writers[ref] == 0) {
        __atomic_fetch_and(&d->gnt[ref].flags, (uint16_t)~GTF_writing, __ATOMIC_SEQ_CST);
    }
    if (d->gnt_readers[ref] > 0 && --d->gnt_readers[ref] == 0) {
        __atomic_fetch_and(&d->gnt[ref].flags, (uint16_t)~GTF_reading, __ATOMIC_SEQ_CST);
    }
    if (d->grant_maps > 0) {
        d->grant_maps--;
    }
    domain_maybe_free(d);
}

static void mapping_release(struct mapping *m)
{
    struct domain *d = domain_get(m->dom);
    switch (m->kind) {
    case MAP_RESOURCE:
        if (d && d->resource_maps > 0) {
            d->resource_maps--;
        }
        domain_maybe_free(d);
        break;
    case MAP_FOREIGN:
        if (d) {
            d->foreign_pages -= m->pages < d->foreign_pages ? m->pages : d->foreign_pages;
        }
        domain_maybe_free(d);
        break;
    case MAP_GRANT:
        for (uint32_t i = 0; i < m->count; i++) {
            grant_release(m->gnt_dom[i], m->gnt_ref[i], m->writable);
        }
        break;
    }
    for (struct mapping **pp = &mappings; *pp; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    }
    free(m->gnt_dom);
    free(m->gnt_ref);
    free(m);
}

/* ------------------------------------------------------------------ */
/* Handlers: return 0, a positive errno, or DEFER_REPLY.              */

static int op_hello(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    uint32_t domid = (uint32_t)m->arg[0];
    uint32_t kind = (uint32_t)m->arg[1];
    if (c->kind != 0 || kind < XSP_KIND_CTL || kind > XSP_KIND_VCPU) {
        return EINVAL;
    }
    struct domain *d = domain_live(domid);
    if (!d) {
        return ESRCH;
    }
    if (kind == XSP_KIND_VCPU && m->arg[2] >= d->nvcpus) {
        return EINVAL;
    }
    if (kind == XSP_KIND_EVTCHN || kind == XSP_KIND_GUEST) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
            return errno;
        }
        /* Our end never blocks: a full queue loses the event, not the hv. */
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        if (kind == XSP_KIND_GUEST) {
            c->irq_fd = sv[0];
            reply_fd(rep, d->ram_fd, false);
            reply_fd(rep, d->gnt_fd, false);
            rep->msg.arg[0] = d->ram_bytes;
            rep->msg.arg[1] = d->nvcpus;
            rep->msg.arg[2] = XSP_GNT_ENTRIES;
            rep->msg.arg[3] = d->nr_spis;
        } else {
            c->evt_fd = sv[0];
        }
        reply_fd(rep, sv[1], true);
    }
    c->domid = domid;
    c->kind = kind;
    c->vcpu = (uint32_t)m->arg[2];
    debugf("client fd %d: d%u kind %u", c->fd, domid, kind);
    return 0;
}

static void flush_pending_irqs(struct conn *c)
{
    struct domain *d = domain_live(c->domid);
    if (!d || c->kind != XSP_KIND_GUEST) {
        return;
    }
    unsigned n = d->npending_irqs;
    d->npending_irqs = 0;
    for (unsigned i = 0; i < n; i++) {
        deliver_irq(d, d->pending_irqs[i]);
    }
}

static int op_dom_create(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    if (c->domid != 0) {
        return EPERM;
    }
    uint32_t vcpus = (uint32_t)m->arg[0];
    uint64_t ram = m->arg[1];
    /* As Xen's domain_vgic_init(): the toolstack's count rounded up to a
     * whole 32-line group, at most 988. A domain xl made with no virtio
     * device and no vuart has none, and injecting any SPI fails. */
    uint64_t spis = (m->arg[2] + 31) / 32 * 32;
    if (vcpus == 0 || vcpus > XSP_MAX_VCPUS || ram == 0 || ram % XSP_PAGE_SIZE != 0 ||
        ram > (64ull << 30) || m->arg[2] > 988 || spis > 988) {
        return EINVAL;
    }
    if (next_domid >= HV_MAX_DOMID) {
        return ENOSPC;
    }
    char name[sizeof(m->name) + 1];
    memcpy(name, m->name, sizeof(m->name));
    name[sizeof(m->name)] = '\0';
    struct domain *d = domain_new(next_domid, name, vcpus, ram, (uint32_t)spis);
    if (!d) {
        return errno ? errno : ENOMEM;
    }
    next_domid++;
    if (m->arg[3] & XSP_CREATE_PAUSED) {
        d->pause_count = 1;
    }
    if (m->arg[4] != XSP_NO_DOMID) {
        d->target = (uint32_t)m->arg[4];
    }
    logf_("d%u created: %s, %u vCPUs, %llu MiB", d->domid, d->name, vcpus,
          (unsigned long long)(ram >> 20));
    rep->msg.arg[0] = d->domid;
    return 0;
}

static int op_dom_simple(struct conn *c, const struct xsp_msg *m)
{
    if (c->domid != 0) {
        return EPERM;
    }
    struct domain *d = domain_live((uint32_t)m->arg[0]);
    if (!d) {
        return ESRCH;
    }
    switch (m->hdr.op) {
    case XSP_DOM_DESTROY:
        if (d->domid == 0) {
            return EINVAL;
        }
        domain_destroy(d);
        return 0;
    case XSP_DOM_PAUSE:
        if (d->domid == 0) {
            return EINVAL;
        }
        if (d->pause_count == 255) {
            return EOVERFLOW;
        }
        d->pause_count++;
        return 0;
    case XSP_DOM_UNPAUSE:
        if (d->pause_count == 0) {
            return EINVAL;
        }
        if (--d->pause_count == 0) {
            for (unsigned v = 0; v < d->nvcpus; v++) {
                vcpu_check(d, v);
                vcpu_run(d, v);
            }
        }
        return 0;
    case XSP_DOM_SET_TARGET:
        if (d->target != XSP_NO_DOMID) {
            return EBUSY;
        }
        if (!domain_live((uint32_t)m->arg[1])) {
            return ESRCH;
        }
        d->target = (uint32_t)m->arg[1];
        return 0;
    default:
        return EINVAL;
    }
}

static void fill_dominfo(const struct domain *d, struct xsp_dominfo *out)
{
    memset(out, 0, sizeof(*out));
    out->domid = d->domid;
    out->flags = (d->dying ? XSP_DOMF_DYING : 0) | (d->pause_count ? XSP_DOMF_PAUSED : 0) |
                 (d->crashed ? XSP_DOMF_CRASHED : 0);
    out->vcpus = d->nvcpus;
    out->nr_spis = d->nr_spis;
    out->ram_bytes = d->ram_bytes;
    out->target = d->target;
    for (unsigned i = 0; i < HV_MAX_SERVERS; i++) {
        out->nr_servers += d->servers[i].exists;
    }
    out->foreign_pages = d->foreign_pages;
    out->grant_maps = d->grant_maps;
    out->resource_maps = d->resource_maps;
    snprintf(out->name, sizeof(out->name), "%s", d->name);
}

static int op_dom_list(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    if (c->domid != 0) {
        return EPERM;
    }
    uint64_t first = m->arg[0];
    uint64_t max = m->arg[1] < HV_MAX_DOMID ? m->arg[1] : HV_MAX_DOMID;
    struct xsp_dominfo *out = calloc(max ? max : 1, sizeof(*out));
    if (!out) {
        return ENOMEM;
    }
    uint64_t n = 0;
    for (uint64_t id = first; id < HV_MAX_DOMID && n < max; id++) {
        if (domains[id]) {
            fill_dominfo(domains[id], &out[n++]);
        }
    }
    rep->data = out;
    rep->len = n * sizeof(*out);
    rep->msg.arg[0] = n;
    return 0;
}

static int op_status(struct reply *rep)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        return ENOMEM;
    }
    fprintf(f, "%-5s %-16s %-8s %5s %8s %7s %8s %8s %8s\n", "domid", "name", "state", "vcpus",
            "ram_mib", "servers", "foreign", "grants", "resource");
    for (uint32_t id = 0; id < HV_MAX_DOMID; id++) {
        struct domain *d = domains[id];
        if (!d) {
            continue;
        }
        struct xsp_dominfo info;
        fill_dominfo(d, &info);
        const char *state = d->dying ? "zombie" : d->crashed ? "crashed" :
                            d->pause_count ? "paused" : "running";
        fprintf(f, "%-5u %-16s %-8s %5u %8llu %7u %8llu %8llu %8llu\n", d->domid, d->name,
                state, d->nvcpus, (unsigned long long)(d->ram_bytes >> 20), info.nr_servers,
                (unsigned long long)d->foreign_pages, (unsigned long long)d->grant_maps,
                (unsigned long long)d->resource_maps);
    }
    fclose(f);
    rep->data = text;
    rep->len = len;
    return 0;
}

/* Domain targeted by a device-model op, with the dm_op privilege check. */
static int dm_domain(struct conn *c, uint64_t domid, struct domain **out)
{
    struct domain *d = domain_get((uint32_t)domid);
    if (!d || domid >= HV_MAX_DOMID) {
        return ESRCH;
    }
    if (!may_control(c, d)) {
        return EPERM;
    }
    if (d->dying) {
        return ESRCH;
    }
    *out = d;
    return 0;
}

/* The server, checking that the caller is its emulator (as Xen does). */
static int dm_server(struct conn *c, const struct xsp_msg *m, struct domain **dout,
                     struct ioreq_server **sout)
{
    int err = dm_domain(c, m->arg[0], dout);
    if (err) {
        return err;
    }
    if (m->arg[1] >= HV_MAX_SERVERS || !(*dout)->servers[m->arg[1]].exists) {
        return ENOENT;
    }
    *sout = &(*dout)->servers[m->arg[1]];
    if ((*sout)->emulator != c->domid) {
        return EPERM;
    }
    return 0;
}

static int op_ioreq_create(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    struct domain *d;
    int err = dm_domain(c, m->arg[0], &d);
    if (err) {
        return err;
    }
    if (m->arg[1] != 0) {
        return EINVAL;      /* no buffered ioreqs on Arm */
    }
    unsigned id;
    for (id = 0; id < HV_MAX_SERVERS && d->servers[id].exists; id++) {
    }
    if (id == HV_MAX_SERVERS) {
        return ENOSPC;
    }
    struct ioreq_server *s = &d->servers[id];
    char name[48];
    snprintf(name, sizeof(name), "xensim-d%u-ioreq%u", d->domid, id);
    s->memfd = make_memfd(name, XSP_PAGE_SIZE);
    if (s->memfd < 0) {
        return errno;
    }
    s->page = mmap(NULL, XSP_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->memfd, 0);
    if (s->page == MAP_FAILED) {
        err = errno;
        close(s->memfd);
        s->page = NULL;
        s->memfd = -1;
        return err;
    }
    for (unsigned v = 0; v < d->nvcpus; v++) {
        uint32_t port;
        err = port_alloc(d, &port);
        if (err) {
            for (unsigned u = 0; u < v; u++) {
                evt_close(d, s->port[u]);
            }
            munmap(s->page, XSP_PAGE_SIZE);
            close(s->memfd);
            s->page = NULL;
            s->memfd = -1;
            return err;
        }
        struct evtchn *ch = &d->ports[port];
        ch->state = EVT_UNBOUND;
        ch->xen_vcpu = true;
        ch->srv = (uint16_t)id;
        ch->vcpu = (uint16_t)v;
        ch->remote_dom = c->domid;
        s->port[v] = port;
    }
    s->exists = true;
    s->emulator = c->domid;
    debugf("d%u: ioreq server %u created by d%u", d->domid, id, c->domid);
    rep->msg.arg[0] = id;
    return 0;
}

static int op_ioreq_info(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    struct domain *d;
    struct ioreq_server *s;
    int err = dm_server(c, m, &d, &s);
    if (err) {
        return err;
    }
    if (m->arg[2]) {
        return EOPNOTSUPP;  /* Arm: arch_ioreq_server_map_pages */
    }
    rep->msg.arg[0] = 0;    /* no bufioreq, so no bufioreq port */
    return 0;
}

static int op_ioreq_range(struct conn *c, const struct xsp_msg *m)
{
    struct domain *d;
    struct ioreq_server *s;
    int err = dm_server(c, m, &d, &s);
    if (err) {
        return err;
    }
    uint32_t type = (uint32_t)m->arg[2];
    uint64_t start = m->arg[3];
    uint64_t end = m->arg[4];
    if (type > XEN_DMOP_IO_RANGE_PCI || start > end) {
        return EINVAL;
    }
    if (m->hdr.op == XSP_IOREQ_MAP_RANGE) {
        unsigned same_type = 0;
        for (unsigned r = 0; r < s->nranges; r++) {
            const struct io_range *rg = &s->ranges[r];
            if (rg->type != type) {
                continue;
            }
            same_type++;
            if (start <= rg->end && rg->start <= end) {
                return EEXIST;
            }
        }
        if (same_type >= HV_MAX_RANGES) {
            return ENOSPC;
        }
        struct io_range *grown = realloc(s->ranges, (s->nranges + 1) * sizeof(*grown));
        if (!grown) {
            return ENOMEM;
        }
        s->ranges = grown;
        s->ranges[s->nranges++] = (struct io_range){ type, start, end };
        return 0;
    }
    /* Unmap: the range must lie inside one mapped range, which may split. */
    for (unsigned r = 0; r < s->nranges; r++) {
        struct io_range *rg = &s->ranges[r];
        if (rg->type != type || start < rg->start || end > rg->end) {
            continue;
        }
        struct io_range before = { type, rg->start, start - 1 };
        struct io_range after = { type, end + 1, rg->end };
        bool keep_before = start > rg->start;
        bool keep_after = end < rg->end;
        s->ranges[r] = s->ranges[--s->nranges];
        if (keep_before || keep_after) {
            struct io_range *grown = realloc(s->ranges, (s->nranges + 2) * sizeof(*grown));
            if (!grown) {
                return ENOMEM;
            }
            s->ranges = grown;
            if (keep_before) {
                s->ranges[s->nranges++] = before;
            }
            if (keep_after) {
                s->ranges[s->nranges++] = after;
            }
        }
        return 0;
    }
    return ENOENT;
}

static int op_ioreq_state(struct conn *c, const struct xsp_msg *m)
{
    struct domain *d;
    struct ioreq_server *s;
    int err = dm_server(c, m, &d, &s);
    if (err) {
        return err;
    }
    bool enable = m->arg[2] != 0;
    if (enable && !s->enabled) {
        /* vp_eport only becomes visible once enabled, as in Xen. */
        for (unsigned v = 0; v < d->nvcpus; v++) {
            s->page[v].vp_eport = s->port[v];
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        s->invalidate_pending = true;
    }
    s->enabled = enable;
    return 0;
}

static int op_ioreq_destroy(struct conn *c, const struct xsp_msg *m)
{
    struct domain *d;
    struct ioreq_server *s;
    int err = dm_server(c, m, &d, &s);
    if (err) {
        return err;
    }
    server_destroy(d, (unsigned)m->arg[1]);
    return 0;
}

static int op_nr_vcpus(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    struct domain *d;
    int err = dm_domain(c, m->arg[0], &d);
    if (!err) {
        rep->msg.arg[0] = d->nvcpus;
    }
    return err;
}

static int op_set_irq_level(struct conn *c, const struct xsp_msg *m)
{
    struct domain *d;
    int err = dm_domain(c, m->arg[0], &d);
    if (err) {
        return err;
    }
    uint64_t irq = m->arg[1];
    uint64_t level = m->arg[2];
    if (irq < 32 || irq >= 32ull + d->nr_spis || level > 1) {
        return EINVAL;
    }
    /* The old vGIC ignores a falling edge. */
    if (level == 1) {
        deliver_irq(d, (uint32_t)irq);
    }
    return 0;
}

static int resource_server(struct conn *c, const struct xsp_msg *m, struct domain **d,
                           struct ioreq_server **s)
{
    int err = dm_domain(c, m->arg[0], d);
    if (err) {
        return err;
    }
    if (m->arg[1] != XENMEM_resource_ioreq_server) {
        return EOPNOTSUPP;
    }
    if (m->arg[2] >= HV_MAX_SERVERS || !(*d)->servers[m->arg[2]].exists) {
        return ENOENT;
    }
    *s = &(*d)->servers[m->arg[2]];
    return (*s)->emulator == c->domid ? 0 : EPERM;
}

static int op_res_size(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    struct domain *d;
    struct ioreq_server *s;
    int err = resource_server(c, m, &d, &s);
    if (!err) {
        /* bufioreq frame + one ioreq frame */
        rep->msg.arg[0] = 2 * XSP_PAGE_SIZE;
    }
    return err;
}

static int op_res_map(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    struct domain *d;
    struct ioreq_server *s;
    int err = resource_server(c, m, &d, &s);
    if (err) {
        return err;
    }
    /* Only frame 1 (ioreq page 0) exists: no bufioreq page on Arm. */
    if (m->arg[3] != XENMEM_resource_ioreq_server_frame_ioreq(0) || m->arg[4] != 1) {
        return EINVAL;
    }
    struct mapping *map = mapping_new(c, MAP_RESOURCE, d->domid);
    if (!map) {
        return ENOMEM;
    }
    d->resource_maps++;
    reply_fd(rep, s->memfd, false);
    rep->msg.arg[0] = 0;
    rep->msg.arg[1] = map->token;
    return 0;
}

static int op_unmap(struct conn *c, const struct xsp_msg *m)
{
    struct mapping *map = mapping_find(c, m->arg[0]);
    if (!map) {
        return EINVAL;
    }
    if (m->hdr.op == XSP_FOREIGN_UNMAP && map->kind == MAP_FOREIGN) {
        uint64_t pages = m->arg[1] < map->pages ? m->arg[1] : map->pages;
        struct domain *d = domain_get(map->dom);
        map->pages -= pages;
        if (d) {
            d->foreign_pages -= pages < d->foreign_pages ? pages : d->foreign_pages;
        }
        if (map->pages == 0) {
            mapping_release(map);
        }
        domain_maybe_free(d);
        return 0;
    }
    mapping_release(map);
    return 0;
}

static int op_foreign_map(struct conn *c, const struct xsp_msg *m, const void *data,
                          size_t len, struct reply *rep)
{
    uint64_t pages = m->arg[1];
    struct domain *d = domain_get((uint32_t)m->arg[0]);
    if (m->arg[0] >= HV_MAX_DOMID || !d) {
        return ESRCH;
    }
    if (!may_control(c, d)) {
        return EPERM;
    }
    if (d->dying) {
        return ESRCH;
    }
    if (pages == 0 || len != pages * sizeof(uint64_t)) {
        return EINVAL;
    }
    const uint64_t *gfns = data;
    struct xsp_page *out = calloc(pages, sizeof(*out));
    struct mapping *map = out ? mapping_new(c, MAP_FOREIGN, d->domid) : NULL;
    if (!map) {
        free(out);
        return ENOMEM;
    }
    uint64_t ram_pages = d->ram_bytes / XSP_PAGE_SIZE;
    for (uint64_t i = 0; i < pages; i++) {
        if (gfns[i] < XSP_RAM_BASE_PFN || gfns[i] - XSP_RAM_BASE_PFN >= ram_pages) {
            out[i].err = -EINVAL;
            continue;
        }
        out[i].offset = (gfns[i] - XSP_RAM_BASE_PFN) * XSP_PAGE_SIZE;
        map->pages++;
    }
    d->foreign_pages += map->pages;
    reply_fd(rep, d->ram_fd, false);
    rep->data = out;
    rep->len = pages * sizeof(*out);
    rep->msg.arg[0] = map->token;
    if (map->pages == 0) {
        mapping_release(map);
        rep->msg.arg[0] = 0;
    }
    return 0;
}

/* Take one grant for mapping; false if Xen would refuse it. */
static bool grant_take(struct domain *d, uint32_t mapper, uint32_t ref, bool writable,
                       uint64_t *offset)
{
    if (!d || d->dying || ref >= XSP_GNT_ENTRIES) {
        return false;
    }
    grant_entry_v1_t *e = &d->gnt[ref];
    uint16_t want = GTF_reading | (writable ? GTF_writing : 0);
    uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
    for (;;) {
        if ((flags & GTF_type_mask) != GTF_permit_access) {
            return false;
        }
        if (writable && (flags & GTF_readonly)) {
            return false;
        }
        uint16_t grantee = __atomic_load_n(&e->domid, __ATOMIC_ACQUIRE);
        uint32_t frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
        if (grantee != mapper || frame < XSP_RAM_BASE_PFN ||
            frame - XSP_RAM_BASE_PFN >= d->ram_bytes / XSP_PAGE_SIZE) {
            return false;
        }
        /* The guest may end access concurrently: only win against it. */
        if (__atomic_compare_exchange_n(&e->flags, &flags, (uint16_t)(flags | want), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            *offset = (uint64_t)(frame - XSP_RAM_BASE_PFN) * XSP_PAGE_SIZE;
            break;
        }
    }
    d->gnt_readers[ref]++;
    if (writable) {
        d->gnt_writers[ref]++;
    }
    d->grant_maps++;
    return true;
}

static int op_gnt_map(struct conn *c, const struct xsp_msg *m, const void *data, size_t len,
                      struct reply *rep)
{
    uint64_t count = m->arg[0];
    bool writable = m->arg[1] != 0;
    if (count == 0 || count > 65536 || len != count * 2 * sizeof(uint32_t)) {
        return EINVAL;
    }
    const uint32_t *doms = data;
    const uint32_t *refs = doms + count;
    struct xsp_page *out = calloc(count, sizeof(*out));
    struct mapping *map = out ? mapping_new(c, MAP_GRANT, 0) : NULL;
    if (map) {
        map->gnt_dom = calloc(count, sizeof(uint32_t));
        map->gnt_ref = calloc(count, sizeof(uint32_t));
    }
    if (!map || !map->gnt_dom || !map->gnt_ref) {
        if (map) {
            mapping_release(map);
        }
        free(out);
        return ENOMEM;
    }
    map->writable = writable;
    for (uint64_t i = 0; i < count; i++) {
        struct domain *d = domain_get(doms[i]);
        if (doms[i] >= HV_MAX_DOMID ||
            !grant_take(d, c->domid, refs[i], writable, &out[i].offset)) {
            /* gntdev fails the whole mmap with EINVAL. */
            mapping_release(map);
            free(out);
            return EINVAL;
        }
        map->gnt_dom[i] = doms[i];
        map->gnt_ref[i] = refs[i];
        map->count++;
        unsigned idx;
        for (idx = 0; idx < rep->nfds && rep->fds[idx] != d->ram_fd; idx++) {
        }
        if (idx == rep->nfds) {
            if (rep->nfds == XSP_MAX_FDS) {
                mapping_release(map);
                free(out);
                return EINVAL;
            }
            reply_fd(rep, d->ram_fd, false);
        }
        out[i].fd_index = idx;
    }
    rep->data = out;
    rep->len = count * sizeof(*out);
    rep->msg.arg[0] = map->token;
    return 0;
}

static int op_evt_bind(struct conn *c, const struct xsp_msg *m, struct reply *rep)
{
    struct domain *ld = domain_live(c->domid);
    struct domain *rd = domain_live((uint32_t)m->arg[0]);
    if (c->kind != XSP_KIND_EVTCHN || !ld) {
        return EINVAL;
    }
    if (m->arg[0] >= HV_MAX_DOMID || !rd) {
        return ESRCH;
    }
    struct evtchn *rch = NULL;
    if (m->hdr.op == XSP_EVT_BIND_INTERDOMAIN) {
        rch = port_get(rd, (uint32_t)m->arg[1]);
        if (!rch || rch->state != EVT_UNBOUND || rch->remote_dom != c->domid) {
            return EINVAL;
        }
    }
    uint32_t port;
    int err = port_alloc(ld, &port);
    if (err) {
        return err;
    }
    /* port_alloc may have moved the table. */
    if (ld == rd && rch) {
        rch = port_get(rd, (uint32_t)m->arg[1]);
    }
    struct evtchn *ch = &ld->ports[port];
    ch->owner = c;
    ch->remote_dom = rd->domid;
    if (rch) {
        ch->state = EVT_INTERDOMAIN;
        ch->remote_port = (uint32_t)m->arg[1];
        rch->state = EVT_INTERDOMAIN;
        rch->remote_dom = ld->domid;
        rch->remote_port = port;
        /* Notifications sent while unbound were lost: Xen raises the new
         * local port once so the binder looks. */
        evt_raise(ld, port);
    } else {
        ch->state = EVT_UNBOUND;
    }
    rep->msg.arg[0] = port;
    return 0;
}

static int op_evt_port(struct conn *c, const struct xsp_msg *m)
{
    struct domain *ld = domain_get(c->domid);
    if (c->kind != XSP_KIND_EVTCHN || !ld) {
        return EINVAL;
    }
    uint64_t port = m->arg[0];
    if (port == 0 || port >= HV_MAX_PORTS) {
        return EINVAL;
    }
    struct evtchn *ch = port_get(ld, (uint32_t)port);
    bool ours = ch && ch->owner == c;
    switch (m->hdr.op) {
    case XSP_EVT_NOTIFY:
        if (!ours) {
            return ENOTCONN;
        }
        evt_send(ld, (uint32_t)port);
        return 0;
    case XSP_EVT_UNMASK:
        /* A write(2) to /dev/xen/evtchn ignores ports it does not own. */
        if (ours && ch->masked) {
            ch->masked = false;
            if (ch->pending) {
                ch->pending = false;
                evt_raise(ld, (uint32_t)port);
            }
        }
        return 0;
    case XSP_EVT_UNBIND:
        if (!ours) {
            return ENOTCONN;
        }
        evt_close(ld, (uint32_t)port);
        return 0;
    default:
        return EINVAL;
    }
}

static int op_mmio(struct conn *c, const struct xsp_msg *m)
{
    if (c->kind != XSP_KIND_VCPU) {
        return EINVAL;
    }
    struct domain *d = domain_live(c->domid);
    if (!d) {
        return ESRCH;
    }
    if (d->crashed) {
        return ESHUTDOWN;
    }
    uint64_t size = m->arg[1];
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        return EINVAL;
    }
    struct vcpu *vc = &d->vcpus[c->vcpu];
    if (vc->phase != VCPU_IDLE) {
        return EBUSY;
    }
    vc->addr = m->arg[0];
    vc->size = (uint32_t)size;
    vc->dir = m->arg[2] == IOREQ_READ ? IOREQ_READ : IOREQ_WRITE;
    vc->data = m->arg[3];
    vc->phase = VCPU_QUEUED;
    vc->waiter = c;
    vcpu_run(d, c->vcpu);
    return DEFER_REPLY;
}

static void dispatch(struct conn *c, const struct xsp_msg *m, const void *data, size_t len)
{
    struct reply rep;
    memset(&rep, 0, sizeof(rep));
    rep.msg.hdr.op = m->hdr.op;
    int err;

    if (c->kind == 0 && m->hdr.op != XSP_HELLO) {
        err = EPROTO;
    } else {
        switch (m->hdr.op) {
        case XSP_HELLO: err = op_hello(c, m, &rep); break;
        case XSP_DOM_CREATE: err = op_dom_create(c, m, &rep); break;
        case XSP_DOM_DESTROY:
        case XSP_DOM_PAUSE:
        case XSP_DOM_UNPAUSE:
        case XSP_DOM_SET_TARGET: err = op_dom_simple(c, m); break;
        case XSP_DOM_LIST: err = op_dom_list(c, m, &rep); break;
        case XSP_IOREQ_CREATE: err = op_ioreq_create(c, m, &rep); break;
        case XSP_IOREQ_INFO: err = op_ioreq_info(c, m, &rep); break;
        case XSP_IOREQ_MAP_RANGE:
        case XSP_IOREQ_UNMAP_RANGE: err = op_ioreq_range(c, m); break;
        case XSP_IOREQ_SET_STATE: err = op_ioreq_state(c, m); break;
        case XSP_IOREQ_DESTROY: err = op_ioreq_destroy(c, m); break;
        case XSP_NR_VCPUS: err = op_nr_vcpus(c, m, &rep); break;
        case XSP_SET_IRQ_LEVEL: err = op_set_irq_level(c, m); break;
        case XSP_RES_SIZE: err = op_res_size(c, m, &rep); break;
        case XSP_RES_MAP: err = op_res_map(c, m, &rep); break;
        case XSP_RES_UNMAP:
        case XSP_FOREIGN_UNMAP:
        case XSP_GNT_UNMAP: err = op_unmap(c, m); break;
        case XSP_FOREIGN_MAP: err = op_foreign_map(c, m, data, len, &rep); break;
        case XSP_GNT_MAP: err = op_gnt_map(c, m, data, len, &rep); break;
        case XSP_EVT_BIND_INTERDOMAIN:
        case XSP_EVT_BIND_UNBOUND: err = op_evt_bind(c, m, &rep); break;
        case XSP_EVT_NOTIFY:
        case XSP_EVT_UNMASK:
        case XSP_EVT_UNBIND: err = op_evt_port(c, m); break;
        case XSP_MMIO: err = op_mmio(c, m); break;
        case XSP_STATUS: err = op_status(&rep); break;
        default: err = ENOSYS; break;
        }
    }
    /* Unmask is one-way, like the write(2) it stands for. */
    if (err == DEFER_REPLY || m->hdr.op == XSP_EVT_UNMASK) {
        return;
    }
    rep.msg.hdr.err = err;
    if (err) {
        for (unsigned i = 0; i < rep.nfds; i++) {
            if (rep.close_fd[i]) {
                close(rep.fds[i]);
            }
        }
        rep.nfds = 0;
        free(rep.data);
        rep.data = NULL;
        rep.len = 0;
    }
    conn_send(c, &rep.msg, rep.data, rep.len, rep.fds, rep.nfds);
    for (unsigned i = 0; i < rep.nfds; i++) {
        if (rep.close_fd[i]) {
            close(rep.fds[i]);
        }
    }
    free(rep.data);
    if (!err && m->hdr.op == XSP_HELLO) {
        flush_pending_irqs(c);
    }
}

/* ------------------------------------------------------------------ */
/* Connections and the loop                                           */

static void conn_free(struct conn *c)
{
    /* What the process held goes away with it, as on process exit. */
    for (struct mapping *m = mappings, *next; m; m = next) {
        next = m->next;
        if (m->owner == c) {
            mapping_release(m);
        }
    }
    for (uint32_t id = 0; id < HV_MAX_DOMID; id++) {
        struct domain *d = domains[id];
        if (!d) {
            continue;
        }
        for (uint32_t p = 1; p < d->nports; p++) {
            if (d->ports[p].state != EVT_FREE && d->ports[p].owner == c) {
                evt_close(d, p);
            }
        }
        for (unsigned v = 0; v < d->nvcpus; v++) {
            if (d->vcpus[v].waiter == c) {
                /* The vCPU's request stays in flight; nobody hears the end. */
                d->vcpus[v].waiter = NULL;
            }
        }
    }
    for (struct conn **pp = &conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    if (c->evt_fd >= 0) {
        close(c->evt_fd);
    }
    if (c->irq_fd >= 0) {
        close(c->irq_fd);
    }
    close(c->fd);
    free(c->inbuf);
    free(c);
}

static void conn_readable(struct conn *c)
{
    for (;;) {
        if (c->incap - c->inlen < 4096) {
            size_t cap = c->incap ? c->incap * 2 : 8192;
            char *grown = realloc(c->inbuf, cap);
            if (!grown) {
                c->dead = true;
                return;
            }
            c->inbuf = grown;
            c->incap = cap;
        }
        ssize_t n = read(c->fd, c->inbuf + c->inlen, c->incap - c->inlen);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                c->dead = true;
            }
            break;
        }
        if (n == 0) {
            c->dead = true;
            break;
        }
        c->inlen += (size_t)n;
    }
    size_t off = 0;
    while (!c->dead && c->inlen - off >= sizeof(struct xsp_msg)) {
        struct xsp_msg m;
        memcpy(&m, c->inbuf + off, sizeof(m));
        if (m.hdr.len < sizeof(m) || m.hdr.len > XSP_MAX_MSG) {
            c->dead = true;
            break;
        }
        if (c->inlen - off < m.hdr.len) {
            break;
        }
        dispatch(c, &m, c->inbuf + off + sizeof(m), m.hdr.len - sizeof(m));
        off += m.hdr.len;
    }
    memmove(c->inbuf, c->inbuf + off, c->inlen - off);
    c->inlen -= off;
}

static int listen_on(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Bind under a temporary name and rename once listening: a client that
     * waits for the path to appear must never find a socket that refuses. */
    if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.new", path) >=
        sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    unlink(sun.sun_path);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0 ||
        rename(sun.sun_path, path) < 0) {
        int saved = errno;
        unlink(sun.sun_path);
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int serve(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, XSP_SOCKET_NAME);

    if (!domain_new(0, "Domain-0", 1, XSP_PAGE_SIZE, 0)) {
        logf_("cannot create dom0: %s", strerror(errno));
        return 1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    /* Bind under a temporary name, then rename: clients never see a socket
     * that is not listening yet. */
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s/.hv.sock.%d", dir, (int)getpid());
    int lfd = listen_on(tmp);
    if (lfd < 0 || sfd < 0 || rename(tmp, path) < 0) {
        logf_("cannot listen on %s: %s", path, strerror(errno));
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    static int signal_tag;
    ev.data.ptr = &signal_tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    logf_("listening on %s", path);

    bool running = true;
    while (running) {
        struct epoll_event events[64];
        int n = epoll_wait(ep, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            logf_("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &signal_tag) {
                running = false;
            } else if (tag == NULL) {
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                    continue;
                }
                struct conn *c = calloc(1, sizeof(*c));
                if (!c) {
                    close(fd);
                    continue;
                }
                c->fd = fd;
                c->evt_fd = -1;
                c->irq_fd = -1;
                c->next = conns;
                conns = c;
                struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
            } else {
                struct conn *c = tag;
                if (!c->dead) {
                    conn_readable(c);
                }
            }
        }
        for (struct conn *c = conns, *next; c; c = next) {
            next = c->next;
            if (c->dead) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                conn_free(c);
            }
        }
    }
    unlink(path);
    logf_("exiting");
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: xensim-hv --dir DIR [-v]             run the hypervisor\n"
            "       xensim-hv --dir DIR status           domains, zombies, mappings\n"
            "       xensim-hv --dir DIR create NAME [--vcpus N] [--ram-mib N] [--spis N]\n"
            "                                  [--target DOMID] [--paused]\n"
            "       xensim-hv --dir DIR destroy|pause|unpause DOMID\n");
}

int main(int argc, char **argv)
{
    const char *dir = getenv("XENSIM_DIR");
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else {
            break;
        }
    }
    if (!dir) {
        usage();
        return 2;
    }
    if (getenv("XENSIM_HV_VERBOSE")) {
        verbose = true;
    }
    if (i < argc) {
        return hv_ctl_main(dir, argc - i, argv + i);
    }
    return serve(dir);
}
