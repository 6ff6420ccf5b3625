/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drop-in libxengnttab.so.1 talking to xensim-hv. The hv checks the
 * guest's grant entries (permit_access, grantee, readonly) and sets
 * GTF_reading/GTF_writing while a mapping exists; the pages are mmap(2)s
 * of the guest's RAM memfd. xengntshr (gntalloc) is not simulated.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xengnttab.h>

#include "simlib.h"

#define PAGE XSP_PAGE_SIZE

struct gmap {
    uint8_t *base;
    uint32_t count;
    uint64_t token;
    uint32_t notify_offset;     /* byte to clear on unmap, or UINT32_MAX */
    struct gmap *next;
};

struct xengntdev_handle {
    struct simlib_conn conn;
    pthread_mutex_t lock;
    struct gmap *maps;
};

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned int open_flags)
{
    xengnttab_handle *xgt = calloc(1, sizeof(*xgt));
    if (!xgt) {
        return NULL;
    }
    if (simlib_open(&xgt->conn, XSP_KIND_GNTTAB, NULL, 0) < 0) {
        int saved = errno;
        free(xgt);
        errno = saved;
        return NULL;
    }
    pthread_mutex_init(&xgt->lock, NULL);
    return xgt;
}

int xengnttab_close(xengnttab_handle *xgt)
{
    if (!xgt) {
        return 0;
    }
    pthread_mutex_lock(&xgt->lock);
    bool mapped = xgt->maps != NULL;
    pthread_mutex_unlock(&xgt->lock);
    /* Live mappings keep gntdev open (and the grants in use) until exit. */
    if (!mapped) {
        simlib_close(&xgt->conn);
        pthread_mutex_destroy(&xgt->lock);
        free(xgt);
    }
    return 0;
}

int xengnttab_fd(xengnttab_handle *xgt)
{
    return xgt->conn.sock;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    return 0;   /* a no-op on pv-ops kernels too */
}

static void *map_refs(xengnttab_handle *xgt, uint32_t count, const uint32_t *domids,
                      const uint32_t *refs, int prot, uint32_t notify_offset)
{
    if (count == 0 || count > 65536) {
        errno = EINVAL;
        return NULL;
    }
    uint32_t *args = malloc(2 * (size_t)count * sizeof(uint32_t));
    struct gmap *m = calloc(1, sizeof(*m));
    if (!args || !m) {
        free(args);
        free(m);
        errno = ENOMEM;
        return NULL;
    }
    memcpy(args, domids, count * sizeof(uint32_t));
    memcpy(args + count, refs, count * sizeof(uint32_t));
    struct xsp_msg req = { .hdr.op = XSP_GNT_MAP };
    struct xsp_msg rep;
    req.arg[0] = count;
    req.arg[1] = (prot & PROT_WRITE) != 0;
    void *data = NULL;
    size_t len = 0;
    int fds[XSP_MAX_FDS];
    int r = simlib_call(&xgt->conn, &req, args, 2 * (size_t)count * sizeof(uint32_t), &rep,
                        &data, &len, fds, XSP_MAX_FDS);
    free(args);
    if (r < 0) {
        free(m);
        return NULL;
    }
    unsigned nfds = rep.hdr.nfds < XSP_MAX_FDS ? rep.hdr.nfds : XSP_MAX_FDS;
    const struct xsp_page *where = data;
    int saved = EPROTO;
    uint8_t *base = MAP_FAILED;
    if (len == count * sizeof(struct xsp_page)) {
        base = mmap(NULL, (size_t)count * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        saved = errno;
    }
    for (uint32_t i = 0; base != MAP_FAILED && i < count; i++) {
        if (where[i].fd_index >= nfds ||
            mmap(base + (size_t)i * PAGE, PAGE, prot, MAP_SHARED | MAP_FIXED,
                 fds[where[i].fd_index], (off_t)where[i].offset) == MAP_FAILED) {
            saved = where[i].fd_index >= nfds ? EPROTO : errno;
            munmap(base, (size_t)count * PAGE);
            base = MAP_FAILED;
        }
    }
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    free(data);
    if (base == MAP_FAILED) {
        simlib_call_args(&xgt->conn, XSP_GNT_UNMAP, NULL, rep.arg[0], 0, 0, 0, 0);
        free(m);
        errno = saved;
        return NULL;
    }
    m->base = base;
    m->count = count;
    m->token = rep.arg[0];
    m->notify_offset = notify_offset;
    pthread_mutex_lock(&xgt->lock);
    m->next = xgt->maps;
    xgt->maps = m;
    pthread_mutex_unlock(&xgt->lock);
    return base;
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    return map_refs(xgt, count, domids, refs, prot, UINT32_MAX);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    uint32_t *domids = malloc((count ? count : 1) * sizeof(uint32_t));
    if (!domids) {
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        domids[i] = domid;
    }
    void *addr = map_refs(xgt, count, domids, refs, prot, UINT32_MAX);
    int saved = errno;
    free(domids);
    errno = saved;
    return addr;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    return map_refs(xgt, 1, &domid, &ref, prot, UINT32_MAX);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
                                     int prot, uint32_t notify_offset,
                                     evtchn_port_t notify_port)
{
    /* Only the clear-byte notification is simulated, not the event. */
    if (notify_offset != UINT32_MAX && notify_offset >= PAGE) {
        errno = EINVAL;
        return NULL;
    }
    return map_refs(xgt, 1, &domid, &ref, prot, notify_offset);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    pthread_mutex_lock(&xgt->lock);
    struct gmap **pp = &xgt->maps;
    while (*pp && (*pp)->base != start_address) {
        pp = &(*pp)->next;
    }
    struct gmap *m = *pp;
    /* libxengnttab: the count must be exactly what was mapped. */
    if (!m || m->count != count) {
        pthread_mutex_unlock(&xgt->lock);
        errno = EINVAL;
        return -1;
    }
    *pp = m->next;
    pthread_mutex_unlock(&xgt->lock);
    if (m->notify_offset != UINT32_MAX) {
        m->base[m->notify_offset] = 0;
    }
    int r = munmap(m->base, (size_t)m->count * PAGE);
    int saved = errno;
    simlib_call_args(&xgt->conn, XSP_GNT_UNMAP, NULL, m->token, 0, 0, 0, 0);
    free(m);
    errno = saved;
    return r;
}

/* One side of a copy: a local pointer, or a grant mapped for the copy. */
static uint8_t *copy_side(xengnttab_handle *xgt, const union xengnttab_copy_ptr *p,
                          bool is_gref, bool writable, void **mapped)
{
    *mapped = NULL;
    if (!is_gref) {
        return p->virt;
    }
    uint32_t domid = p->foreign.domid;
    uint32_t ref = p->foreign.ref;
    *mapped = map_refs(xgt, 1, &domid, &ref, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                       UINT32_MAX);
    return *mapped ? (uint8_t *)*mapped + p->foreign.offset : NULL;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    for (uint32_t i = 0; i < count; i++) {
        xengnttab_grant_copy_segment_t *seg = &segs[i];
        bool src_gref = seg->flags & GNTCOPY_source_gref;
        bool dst_gref = seg->flags & GNTCOPY_dest_gref;
        if ((src_gref && seg->source.foreign.offset + seg->len > PAGE) ||
            (dst_gref && seg->dest.foreign.offset + seg->len > PAGE)) {
            seg->status = GNTST_bad_copy_arg;
            continue;
        }
        void *src_map = NULL;
        void *dst_map = NULL;
        uint8_t *src = copy_side(xgt, &seg->source, src_gref, false, &src_map);
        uint8_t *dst = src ? copy_side(xgt, &seg->dest, dst_gref, true, &dst_map) : NULL;
        if (src && dst) {
            memmove(dst, src, seg->len);
            seg->status = GNTST_okay;
        } else {
            seg->status = GNTST_permission_denied;
        }
        if (src && dst_map) {
            xengnttab_unmap(xgt, dst_map, 1);
        }
        if (src_map) {
            xengnttab_unmap(xgt, src_map, 1);
        }
    }
    return 0;
}

int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t flags,
                                   uint32_t count, const uint32_t *refs, uint32_t *fd)
{
    errno = ENOSYS;
    return -1;
}

int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt, uint32_t fd,
                                       uint32_t wait_to_ms)
{
    errno = ENOSYS;
    return -1;
}

int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t fd,
                                 uint32_t count, uint32_t *refs)
{
    errno = ENOSYS;
    return -1;
}

int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
    errno = ENOSYS;
    return -1;
}

/* gntalloc: as if /dev/xen/gntalloc did not exist. */
xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    errno = ENOENT;
    return NULL;
}

int xengntshr_close(xengntshr_handle *xgs)
{
    return 0;
}

int xengntshr_fd(xengntshr_handle *xgs)
{
    errno = EBADF;
    return -1;
}

void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid, int count, uint32_t *refs,
                            int writable)
{
    errno = ENOSYS;
    return NULL;
}

void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid, uint32_t *ref,
                                  int writable, uint32_t notify_offset,
                                  evtchn_port_t notify_port)
{
    errno = ENOSYS;
    return NULL;
}

int xengntshr_unshare(xengntshr_handle *xgs, void *start_address, uint32_t count)
{
    errno = ENOSYS;
    return -1;
}
