/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-side API of the simulated Xen (see xensim_guest.h).
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/hvm/ioreq.h>

#include "proto.h"
#include "xensim_guest.h"

struct vcpu_link {
    pthread_mutex_t lock;       /* one access in flight per vCPU */
    int sock;                   /* -1 until first use */
};

struct xensim_guest {
    uint32_t domid;
    unsigned nvcpus;
    unsigned nr_spis;
    uint64_t ram_size;
    uint8_t *ram;
    grant_entry_v1_t *gnt;
    uint32_t gnt_entries;
    int attach_sock;            /* keeps the irq line registered */
    int irq_fd;
    struct vcpu_link *vcpus;

    pthread_mutex_t alloc_lock; /* page bitmap and grant ref bitmap */
    uint8_t *page_used;         /* one byte per RAM page */
    uint8_t *ref_used;          /* one byte per grant ref */
};

struct xensim_guest *xensim_guest_attach(uint32_t domid)
{
    struct xsp_msg rep;
    int fds[3] = { -1, -1, -1 };
    int sock = xsp_connect(domid, XSP_KIND_GUEST, 0, &rep, fds, 3);
    if (sock < 0) {
        return NULL;
    }
    struct xensim_guest *g = calloc(1, sizeof(*g));
    int err = ENOMEM;
    if (!g || fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
        err = g ? EPROTO : ENOMEM;
        goto fail;
    }
    g->domid = domid;
    g->ram_size = rep.arg[0];
    g->nvcpus = (unsigned)rep.arg[1];
    g->gnt_entries = (uint32_t)rep.arg[2];
    g->nr_spis = (unsigned)rep.arg[3];
    g->attach_sock = sock;
    g->irq_fd = fds[2];
    pthread_mutex_init(&g->alloc_lock, NULL);
    g->ram = mmap(NULL, g->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
    g->gnt = mmap(NULL, (size_t)g->gnt_entries * sizeof(grant_entry_v1_t),
                  PROT_READ | PROT_WRITE, MAP_SHARED, fds[1], 0);
    close(fds[0]);
    close(fds[1]);
    fds[0] = fds[1] = -1;
    g->vcpus = calloc(g->nvcpus, sizeof(*g->vcpus));
    g->page_used = calloc(g->ram_size / XENSIM_PAGE_SIZE, 1);
    g->ref_used = calloc(g->gnt_entries, 1);
    if (g->ram == MAP_FAILED || g->gnt == MAP_FAILED || !g->vcpus || !g->page_used ||
        !g->ref_used) {
        err = ENOMEM;
        if (g->ram == MAP_FAILED) {
            g->ram = NULL;
        }
        if (g->gnt == MAP_FAILED) {
            g->gnt = NULL;
        }
        goto fail_mapped;
    }
    for (unsigned v = 0; v < g->nvcpus; v++) {
        pthread_mutex_init(&g->vcpus[v].lock, NULL);
        g->vcpus[v].sock = -1;
    }
    return g;

fail_mapped:
    xensim_guest_detach(g);
    errno = err;
    return NULL;
fail:
    for (unsigned i = 0; i < 3; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    close(sock);
    free(g);
    errno = err;
    return NULL;
}

void xensim_guest_detach(struct xensim_guest *g)
{
    if (!g) {
        return;
    }
    for (unsigned v = 0; g->vcpus && v < g->nvcpus; v++) {
        if (g->vcpus[v].sock >= 0) {
            close(g->vcpus[v].sock);
        }
        pthread_mutex_destroy(&g->vcpus[v].lock);
    }
    if (g->ram) {
        munmap(g->ram, g->ram_size);
    }
    if (g->gnt) {
        munmap(g->gnt, (size_t)g->gnt_entries * sizeof(grant_entry_v1_t));
    }
    if (g->irq_fd >= 0) {
        close(g->irq_fd);
    }
    if (g->attach_sock >= 0) {
        close(g->attach_sock);
    }
    pthread_mutex_destroy(&g->alloc_lock);
    free(g->vcpus);
    free(g->page_used);
    free(g->ref_used);
    free(g);
}

uint32_t xensim_guest_domid(const struct xensim_guest *g)
{
    return g->domid;
}

unsigned xensim_guest_vcpus(const struct xensim_guest *g)
{
    return g->nvcpus;
}

uint64_t xensim_guest_ram_size(const struct xensim_guest *g)
{
    return g->ram_size;
}

unsigned xensim_guest_nr_spis(const struct xensim_guest *g)
{
    return g->nr_spis;
}

static int mmio(struct xensim_guest *g, unsigned vcpu, uint64_t addr, unsigned size,
                unsigned dir, uint64_t *val)
{
    if (vcpu >= g->nvcpus || (size != 1 && size != 2 && size != 4 && size != 8)) {
        return -EINVAL;
    }
    struct vcpu_link *link = &g->vcpus[vcpu];
    pthread_mutex_lock(&link->lock);
    if (link->sock < 0) {
        link->sock = xsp_connect(g->domid, XSP_KIND_VCPU, vcpu, NULL, NULL, 0);
        if (link->sock < 0) {
            int err = errno;
            pthread_mutex_unlock(&link->lock);
            return -err;
        }
    }
    struct xsp_msg req = { .hdr.op = XSP_MMIO };
    struct xsp_msg rep;
    req.arg[0] = addr;
    req.arg[1] = size;
    req.arg[2] = dir;
    req.arg[3] = *val;
    int r = xsp_call(link->sock, &req, NULL, 0, &rep, NULL, NULL, NULL, 0);
    int err = errno;
    if (r < 0 && (err == ECONNRESET || err == EPIPE || err == EPROTO)) {
        /* The hypervisor went away: as good as destroyed. */
        close(link->sock);
        link->sock = -1;
        err = ESRCH;
    }
    pthread_mutex_unlock(&link->lock);
    if (r < 0) {
        return -err;
    }
    *val = rep.arg[0];
    return 0;
}

int xensim_mmio_read(struct xensim_guest *g, unsigned vcpu, uint64_t addr, unsigned size,
                     uint64_t *val)
{
    uint64_t reg = 0;
    int r = mmio(g, vcpu, addr, size, IOREQ_READ, &reg);
    if (r == 0) {
        *val = reg;
    }
    return r;
}

int xensim_mmio_write(struct xensim_guest *g, unsigned vcpu, uint64_t addr, unsigned size,
                      uint64_t val)
{
    return mmio(g, vcpu, addr, size, IOREQ_WRITE, &val);
}

int xensim_irq_fd(const struct xensim_guest *g)
{
    return g->irq_fd;
}

int xensim_wait_irq(struct xensim_guest *g, int timeout_ms, unsigned *irq)
{
    struct pollfd pfd = { .fd = g->irq_fd, .events = POLLIN };
    for (;;) {
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -errno;
        }
        if (r == 0) {
            return -ETIMEDOUT;
        }
        uint32_t wire;
        ssize_t n = recv(g->irq_fd, &wire, sizeof(wire), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n != (ssize_t)sizeof(wire)) {
            return -ESRCH;
        }
        *irq = wire;
        return 0;
    }
}

void *xensim_gpa_to_ptr(struct xensim_guest *g, uint64_t gpa, size_t len)
{
    if (gpa < XENSIM_GUEST_RAM_BASE || gpa - XENSIM_GUEST_RAM_BASE > g->ram_size ||
        len > g->ram_size - (gpa - XENSIM_GUEST_RAM_BASE)) {
        return NULL;
    }
    return g->ram + (gpa - XENSIM_GUEST_RAM_BASE);
}

uint64_t xensim_ptr_to_gpa(struct xensim_guest *g, const void *ptr)
{
    const uint8_t *p = ptr;
    if (p < g->ram || p >= g->ram + g->ram_size) {
        return XENSIM_BAD_GPA;
    }
    return XENSIM_GUEST_RAM_BASE + (uint64_t)(p - g->ram);
}

/* First fit for `count` consecutive free slots in a byte map. */
static int64_t take_run(uint8_t *used, uint64_t first, uint64_t total, uint64_t count)
{
    uint64_t run = 0;
    for (uint64_t i = first; i < total; i++) {
        run = used[i] ? 0 : run + 1;
        if (run == count) {
            uint64_t start = i + 1 - count;
            memset(used + start, 1, count);
            return (int64_t)start;
        }
    }
    return -1;
}

uint64_t xensim_alloc_pages(struct xensim_guest *g, size_t pages)
{
    if (pages == 0) {
        return 0;
    }
    pthread_mutex_lock(&g->alloc_lock);
    int64_t first = take_run(g->page_used, 0, g->ram_size / XENSIM_PAGE_SIZE, pages);
    pthread_mutex_unlock(&g->alloc_lock);
    if (first < 0) {
        return 0;
    }
    uint64_t gpa = XENSIM_GUEST_RAM_BASE + (uint64_t)first * XENSIM_PAGE_SIZE;
    memset(g->ram + (uint64_t)first * XENSIM_PAGE_SIZE, 0, pages * XENSIM_PAGE_SIZE);
    return gpa;
}

void xensim_free_pages(struct xensim_guest *g, uint64_t gpa, size_t pages)
{
    if (gpa < XENSIM_GUEST_RAM_BASE || gpa % XENSIM_PAGE_SIZE) {
        return;
    }
    uint64_t first = (gpa - XENSIM_GUEST_RAM_BASE) / XENSIM_PAGE_SIZE;
    uint64_t total = g->ram_size / XENSIM_PAGE_SIZE;
    pthread_mutex_lock(&g->alloc_lock);
    for (uint64_t i = first; i < first + pages && i < total; i++) {
        g->page_used[i] = 0;
    }
    pthread_mutex_unlock(&g->alloc_lock);
}

int xensim_grant_access_seq(struct xensim_guest *g, uint16_t backend_domid, uint64_t gfn,
                            unsigned pages, bool readonly)
{
    if (pages == 0 || gfn > UINT32_MAX - pages) {
        return -EINVAL;
    }
    pthread_mutex_lock(&g->alloc_lock);
    int64_t first = take_run(g->ref_used, XENSIM_FIRST_GRANT_REF, g->gnt_entries, pages);
    pthread_mutex_unlock(&g->alloc_lock);
    if (first < 0) {
        return -ENOSPC;
    }
    for (unsigned i = 0; i < pages; i++) {
        grant_entry_v1_t *e = &g->gnt[first + i];
        e->frame = (uint32_t)(gfn + i);
        e->domid = backend_domid;
        /* Xen must see frame and domid before the entry becomes valid. */
        uint16_t flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
        __atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
    }
    return (int)first;
}

int xensim_grant_access(struct xensim_guest *g, uint16_t backend_domid, uint64_t gfn,
                        bool readonly)
{
    return xensim_grant_access_seq(g, backend_domid, gfn, 1, readonly);
}

int xensim_end_access(struct xensim_guest *g, uint32_t ref)
{
    if (ref < XENSIM_FIRST_GRANT_REF || ref >= g->gnt_entries) {
        return -EINVAL;
    }
    pthread_mutex_lock(&g->alloc_lock);
    bool allocated = g->ref_used[ref] != 0;
    pthread_mutex_unlock(&g->alloc_lock);
    if (!allocated) {
        return -EINVAL;
    }
    grant_entry_v1_t *e = &g->gnt[ref];
    uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
    /* Clear the entry only if the hypervisor is not mapping it meanwhile. */
    do {
        if (flags & (GTF_reading | GTF_writing)) {
            return -EBUSY;
        }
    } while (!__atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    pthread_mutex_lock(&g->alloc_lock);
    g->ref_used[ref] = 0;
    pthread_mutex_unlock(&g->alloc_lock);
    return 0;
}

uint16_t xensim_grant_flags(struct xensim_guest *g, uint32_t ref)
{
    if (ref >= g->gnt_entries) {
        return 0;
    }
    return __atomic_load_n(&g->gnt[ref].flags, __ATOMIC_ACQUIRE);
}
