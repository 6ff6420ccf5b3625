/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drop-in libxenforeignmemory.so.1 talking to xensim-hv. Guest RAM and
 * ioreq pages are memfds the hv passes over; mapping them is mmap(2) of
 * that memfd, so a "foreign" page is the same memory the guest sees.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenforeignmemory.h>

#include "simlib.h"

#define PAGE XSP_PAGE_SIZE

/* One xenforeignmemory_map: which of its pages the hv still counts. */
struct fmap {
    uint8_t *base;
    size_t pages;
    uint64_t token;
    uint8_t *live;              /* per page: mapped and counted by the hv */
    struct fmap *next;
};

struct xenforeignmemory_handle {
    struct simlib_conn conn;
    pthread_mutex_t lock;
    struct fmap *maps;
    unsigned open_resources;
    bool restricted;
    domid_t restrict_domid;
};

struct xenforeignmemory_resource_handle {
    uint64_t token;
    void *addr;
    size_t bytes;
};

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned int open_flags)
{
    xenforeignmemory_handle *fmem = calloc(1, sizeof(*fmem));
    if (!fmem) {
        return NULL;
    }
    if (simlib_open(&fmem->conn, XSP_KIND_FMEM, NULL, 0) < 0) {
        int saved = errno;
        free(fmem);
        errno = saved;
        return NULL;
    }
    pthread_mutex_init(&fmem->lock, NULL);
    return fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
    if (!fmem) {
        return 0;
    }
    pthread_mutex_lock(&fmem->lock);
    bool mapped = fmem->maps || fmem->open_resources;
    pthread_mutex_unlock(&fmem->lock);
    /* Mappings outlive the handle, as privcmd VMAs keep the file open: the
     * connection stays so the hv keeps counting them until exit. */
    if (!mapped) {
        simlib_close(&fmem->conn);
        pthread_mutex_destroy(&fmem->lock);
        free(fmem);
    }
    return 0;
}

int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
    if (fmem->restricted && fmem->restrict_domid != domid) {
        errno = EPERM;
        return -1;
    }
    fmem->restricted = true;
    fmem->restrict_domid = domid;
    return 0;
}

static bool restricted_out(xenforeignmemory_handle *fmem, uint32_t dom)
{
    if (fmem->restricted && dom != fmem->restrict_domid) {
        errno = EPERM;
        return true;
    }
    return false;
}

static void release_pages(xenforeignmemory_handle *fmem, struct fmap *m, size_t first,
                          size_t count)
{
    uint64_t released = 0;
    for (size_t i = first; i < first + count && i < m->pages; i++) {
        released += m->live[i];
        m->live[i] = 0;
    }
    if (released) {
        struct xsp_msg rep;
        simlib_call_args(&fmem->conn, XSP_FOREIGN_UNMAP, &rep, m->token, released, 0, 0, 0);
    }
}

void *xenforeignmemory_map2(xenforeignmemory_handle *fmem, uint32_t dom, void *addr, int prot,
                            int flags, size_t pages, const xen_pfn_t arr[], int err[])
{
    if (pages == 0 || pages > (XSP_MAX_MSG - 4096) / sizeof(uint64_t)) {
        errno = EINVAL;
        return NULL;
    }
    if (restricted_out(fmem, dom)) {
        return NULL;
    }
    uint64_t *gfns = malloc(pages * sizeof(*gfns));
    struct fmap *m = calloc(1, sizeof(*m));
    uint8_t *live = calloc(pages, 1);
    if (!gfns || !m || !live) {
        free(gfns);
        free(m);
        free(live);
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < pages; i++) {
        gfns[i] = arr[i];
    }
    struct xsp_msg req = { .hdr.op = XSP_FOREIGN_MAP };
    struct xsp_msg rep;
    req.arg[0] = dom;
    req.arg[1] = pages;
    req.arg[2] = (prot & PROT_WRITE) != 0;
    void *data = NULL;
    size_t len = 0;
    int fd = -1;
    int r = simlib_call(&fmem->conn, &req, gfns, pages * sizeof(*gfns), &rep, &data, &len,
                        &fd, 1);
    free(gfns);
    if (r < 0 || fd < 0 || len != pages * sizeof(struct xsp_page)) {
        int saved = r < 0 ? errno : EPROTO;
        if (fd >= 0) {
            close(fd);
        }
        free(data);
        free(m);
        free(live);
        errno = saved;
        return NULL;
    }
    const struct xsp_page *where = data;
    m->token = rep.arg[0];
    m->pages = pages;
    m->live = live;
    /* The hv counts every page it accepted, mapped here or not. */
    for (size_t i = 0; i < pages; i++) {
        live[i] = where[i].err == 0;
    }
    /* Reserve the whole range; failed pages stay inaccessible, as with
     * privcmd where touching them faults. */
    int map_flags = MAP_PRIVATE | MAP_ANONYMOUS | (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE));
    uint8_t *base = mmap(addr, pages * PAGE, PROT_NONE, map_flags, -1, 0);
    int first_err = 0;
    if (base == MAP_FAILED) {
        first_err = errno;
        base = NULL;
    }
    for (size_t i = 0; base && i < pages; i++) {
        if (where[i].err) {
            if (err) {
                err[i] = where[i].err;
            }
            if (!first_err) {
                first_err = -where[i].err;
            }
            continue;
        }
        /* Coalesce runs of pages that are contiguous in the memfd. */
        size_t run = 1;
        while (i + run < pages && !where[i + run].err &&
               where[i + run].offset == where[i].offset + run * PAGE) {
            run++;
        }
        if (mmap(base + i * PAGE, run * PAGE, prot, MAP_SHARED | MAP_FIXED, fd,
                 (off_t)where[i].offset) == MAP_FAILED) {
            first_err = errno;
            break;
        }
        for (size_t k = i; k < i + run; k++) {
            if (err) {
                err[k] = 0;
            }
        }
        i += run - 1;
    }
    close(fd);
    free(data);
    m->base = base;
    /* Without err[], any failure fails the whole call. */
    if (!base || (!err && first_err)) {
        if (base) {
            munmap(base, pages * PAGE);
        }
        release_pages(fmem, m, 0, pages);
        free(live);
        free(m);
        errno = first_err ? first_err : ENOMEM;
        return NULL;
    }
    pthread_mutex_lock(&fmem->lock);
    m->next = fmem->maps;
    fmem->maps = m;
    pthread_mutex_unlock(&fmem->lock);
    return base;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot, size_t pages,
                           const xen_pfn_t arr[], int err[])
{
    return xenforeignmemory_map2(fmem, dom, NULL, prot, 0, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)
{
    uint8_t *start = addr;
    uint8_t *end = start + pages * PAGE;
    pthread_mutex_lock(&fmem->lock);
    for (struct fmap **pp = &fmem->maps; *pp;) {
        struct fmap *m = *pp;
        uint8_t *m_end = m->base + m->pages * PAGE;
        if (m_end <= start || m->base >= end) {
            pp = &m->next;
            continue;
        }
        uint8_t *lo = start > m->base ? start : m->base;
        uint8_t *hi = end < m_end ? end : m_end;
        release_pages(fmem, m, (size_t)(lo - m->base) / PAGE, (size_t)(hi - lo) / PAGE);
        bool any_live = false;
        for (size_t i = 0; i < m->pages && !any_live; i++) {
            any_live = m->live[i];
        }
        if (!any_live) {
            *pp = m->next;
            free(m->live);
            free(m);
        } else {
            pp = &m->next;
        }
    }
    pthread_mutex_unlock(&fmem->lock);
    return munmap(addr, pages * PAGE);
}

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *fmem, domid_t domid, unsigned int type, unsigned int id,
    unsigned long frame, unsigned long nr_frames, void **paddr, int prot, int flags)
{
    if (restricted_out(fmem, domid)) {
        return NULL;
    }
    xenforeignmemory_resource_handle *fres = calloc(1, sizeof(*fres));
    if (!fres) {
        return NULL;
    }
    struct xsp_msg req = { .hdr.op = XSP_RES_MAP };
    struct xsp_msg rep;
    req.arg[0] = domid;
    req.arg[1] = type;
    req.arg[2] = id;
    req.arg[3] = frame;
    req.arg[4] = nr_frames;
    req.arg[5] = (prot & PROT_WRITE) != 0;
    int fd = -1;
    if (simlib_call(&fmem->conn, &req, NULL, 0, &rep, NULL, NULL, &fd, 1) < 0 || fd < 0) {
        int saved = fd < 0 && errno == 0 ? EPROTO : errno;
        free(fres);
        errno = saved;
        return NULL;
    }
    fres->token = rep.arg[1];
    fres->bytes = nr_frames * PAGE;
    void *hint = paddr ? *paddr : NULL;
    void *addr = mmap(hint, fres->bytes, prot, MAP_SHARED | flags, fd, (off_t)rep.arg[0]);
    int saved = errno;
    close(fd);
    if (addr == MAP_FAILED) {
        simlib_call_args(&fmem->conn, XSP_RES_UNMAP, NULL, fres->token, 0, 0, 0, 0);
        free(fres);
        errno = saved;
        return NULL;
    }
    fres->addr = addr;
    if (paddr) {
        *paddr = addr;
    }
    pthread_mutex_lock(&fmem->lock);
    fmem->open_resources++;
    pthread_mutex_unlock(&fmem->lock);
    return fres;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    if (!fres) {
        return 0;
    }
    int r = munmap(fres->addr, fres->bytes);
    simlib_call_args(&fmem->conn, XSP_RES_UNMAP, NULL, fres->token, 0, 0, 0, 0);
    pthread_mutex_lock(&fmem->lock);
    fmem->open_resources--;
    pthread_mutex_unlock(&fmem->lock);
    free(fres);
    return r;
}

int xenforeignmemory_resource_size(xenforeignmemory_handle *fmem, domid_t domid,
                                   unsigned int type, unsigned int id, size_t *size)
{
    struct xsp_msg rep;
    if (simlib_call_args(&fmem->conn, XSP_RES_SIZE, &rep, domid, type, id, 0, 0) < 0) {
        return -1;
    }
    *size = (size_t)rep.arg[0];
    return 0;
}
