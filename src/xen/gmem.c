/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest memory for the core (xen-virtio.md §3).
 *
 * Grant mode: a DMA address is bit 63 | ref << 12 | offset, and a buffer
 * spans consecutive refs. One map call of the core (all data buffers of a
 * request) becomes at most two gnttab maps: the device-readable buffers
 * read-only, the device-writable ones read-write.
 *
 * Foreign mode (backend in dom0, guest without grants): guest RAM banks are
 * mapped once, on first use, and every buffer is bounds-checked against
 * them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "xen.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define GRANT_ADDR_FLAG (1ull << 63)

/* Arm guest layout (xen/include/public/arch-arm.h). */
static const uint64_t ram_bank_base[2] = { 0x40000000ull, 0x0200000000ull };
static const uint64_t ram_bank_max[2] = { 0xc0000000ull, 0xfe00000000ull };

/* ---- grants ---- */

struct grant_span {
    uint32_t ref;
    uint32_t offset;
    uint32_t pages;
};

static bool grant_span(const struct xv_gbuf *b, struct grant_span *s)
{
    uint64_t frame;

    if (!(b->addr & GRANT_ADDR_FLAG))
        return false;
    frame = (b->addr & ~GRANT_ADDR_FLAG) >> PAGE_SHIFT;
    s->offset = (uint32_t)(b->addr & (PAGE_SIZE - 1));
    s->pages = (uint32_t)(((uint64_t)s->offset + b->len + PAGE_SIZE - 1) >>
                          PAGE_SHIFT);
    if (frame > UINT32_MAX || s->pages > UINT32_MAX - frame)
        return false;
    s->ref = (uint32_t)frame;
    return true;
}

/* Pages of one direction's group, or 0 if a buffer isn't a valid grant. */
static uint64_t group_pages(const struct xv_gbuf *bufs, unsigned n,
                            bool writable)
{
    uint64_t total = 0;
    struct grant_span s = { 0, 0, 0 };

    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].writable != writable)
            continue;
        if (!grant_span(&bufs[i], &s))
            return UINT64_MAX;
        total += s.pages;
    }
    return total;
}

static void *map_refs(struct xvx_guest *g, uint32_t *refs, uint32_t count,
                      bool writable)
{
    return xengnttab_map_domain_grant_refs(
        g->ctx->gnttab, count, g->domid, refs,
        writable ? PROT_READ | PROT_WRITE : PROT_READ);
}

static void unmap_group(struct xvx_guest *g, const struct xv_gbuf *bufs,
                        unsigned n, struct xv_iovec *iov, bool writable,
                        uint64_t pages)
{
    bool batched = pages <= g->refs_max;
    bool first = true;
    struct grant_span s = { 0, 0, 0 };

    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].writable != writable || !iov[i].base)
            continue;
        grant_span(&bufs[i], &s);
        if (!batched)
            xengnttab_unmap(g->ctx->gnttab, (char *)iov[i].base - s.offset,
                            s.pages);
        else if (first)
            xengnttab_unmap(g->ctx->gnttab, (char *)iov[i].base - s.offset,
                            (uint32_t)pages);
        first = false;
    }
}

static int map_group(struct xvx_guest *g, const struct xv_gbuf *bufs,
                     unsigned n, struct xv_iovec *iov, bool writable,
                     uint64_t pages)
{
    struct grant_span s = { 0, 0, 0 };
    uint32_t filled = 0;
    char *base;

    if (pages == 0)
        return 0;
    if (pages > g->refs_max) {
        /* Too big to batch: one map per buffer. */
        for (unsigned i = 0; i < n; i++) {
            if (bufs[i].writable != writable)
                continue;
            grant_span(&bufs[i], &s);
            for (uint32_t p = 0; p < s.pages && p < g->refs_max; p++)
                g->refs[p] = s.ref + p;
            base = s.pages <= g->refs_max ?
                   map_refs(g, g->refs, s.pages, writable) : NULL;
            if (!base) {
                int err = errno ? -errno : -EFAULT;

                unmap_group(g, bufs, i, iov, writable, pages);
                return err;
            }
            iov[i].base = base + s.offset;
            iov[i].len = bufs[i].len;
        }
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].writable != writable)
            continue;
        grant_span(&bufs[i], &s);
        for (uint32_t p = 0; p < s.pages; p++)
            g->refs[filled + p] = s.ref + p;
        filled += s.pages;
    }
    base = map_refs(g, g->refs, (uint32_t)pages, writable);
    if (!base)
        return errno ? -errno : -EFAULT;
    filled = 0;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].writable != writable)
            continue;
        grant_span(&bufs[i], &s);
        iov[i].base = base + (size_t)filled * PAGE_SIZE + s.offset;
        iov[i].len = bufs[i].len;
        filled += s.pages;
    }
    return 0;
}

static int grant_map(struct xvx_guest *g, const struct xv_gbuf *bufs,
                     unsigned n, struct xv_iovec *iov)
{
    uint64_t ro_pages = group_pages(bufs, n, false);
    uint64_t rw_pages = group_pages(bufs, n, true);
    int rc;

    if (ro_pages == UINT64_MAX || rw_pages == UINT64_MAX)
        return -EFAULT;
    for (unsigned i = 0; i < n; i++)
        iov[i].base = NULL;
    rc = map_group(g, bufs, n, iov, false, ro_pages);
    if (rc < 0)
        return rc;
    rc = map_group(g, bufs, n, iov, true, rw_pages);
    if (rc < 0)
        unmap_group(g, bufs, n, iov, false, ro_pages);
    return rc;
}

static void grant_unmap(struct xvx_guest *g, const struct xv_gbuf *bufs,
                        unsigned n, struct xv_iovec *iov)
{
    unmap_group(g, bufs, n, iov, false, group_pages(bufs, n, false));
    unmap_group(g, bufs, n, iov, true, group_pages(bufs, n, true));
}

/* ---- foreign ---- */

static uint64_t guest_ram_bytes(struct xvx_guest *g)
{
    xc_domaininfo_t info;

    if (!g->ctx->xc ||
        xc_domain_getinfolist(g->ctx->xc, g->domid, 1, &info) != 1 ||
        info.domain != g->domid)
        return 0;
    return (uint64_t)info.max_pages << PAGE_SHIFT;
}

/* Map a bank's pages that exist; the bank ends at the first one missing
 * (libxl's max_pages includes slack beyond guest RAM). */
static int map_bank(struct xvx_guest *g, unsigned bank, uint64_t bytes)
{
    size_t pages = bytes >> PAGE_SHIFT;
    xen_pfn_t *gfns = calloc(pages, sizeof(*gfns));
    int *errs = calloc(pages, sizeof(*errs));
    size_t usable = 0;
    void *addr = NULL;

    if (!gfns || !errs)
        goto out;
    for (size_t i = 0; i < pages; i++)
        gfns[i] = (ram_bank_base[bank] >> PAGE_SHIFT) + i;
    addr = xenforeignmemory_map(g->ctx->fmem, g->domid, PROT_READ | PROT_WRITE,
                                pages, gfns, errs);
    if (!addr)
        goto out;
    while (usable < pages && errs[usable] == 0)
        usable++;
    g->ram[bank] = addr;
    g->ram_bytes[bank] = (uint64_t)usable << PAGE_SHIFT;
out:
    free(gfns);
    free(errs);
    return addr ? 0 : -ENOMEM;
}

static int foreign_map_ram(struct xvx_guest *g)
{
    uint64_t bytes = guest_ram_bytes(g);
    uint64_t bank0 = bytes < ram_bank_max[0] ? bytes : ram_bank_max[0];
    int rc;

    if (bytes == 0)
        return -ENODEV;
    /* Unmapping needs the page counts we asked for, whatever mapped. */
    g->total_ram_bytes = bytes;
    rc = map_bank(g, 0, bank0);
    if (rc == 0 && bytes > bank0)
        rc = map_bank(g, 1, bytes - bank0);
    return rc;
}

static void *foreign_ptr(struct xvx_guest *g, const struct xv_gbuf *b)
{
    for (unsigned bank = 0; bank < 2; bank++) {
        uint64_t off = b->addr - ram_bank_base[bank];

        if (g->ram[bank] && b->addr >= ram_bank_base[bank] &&
            off < g->ram_bytes[bank] && b->len <= g->ram_bytes[bank] - off)
            return (char *)g->ram[bank] + off;
    }
    return NULL;
}

static int foreign_map(struct xvx_guest *g, const struct xv_gbuf *bufs,
                       unsigned n, struct xv_iovec *iov)
{
    if (!g->ram[0]) {
        int rc = foreign_map_ram(g);

        if (rc < 0)
            return rc;
    }
    for (unsigned i = 0; i < n; i++) {
        iov[i].base = foreign_ptr(g, &bufs[i]);
        iov[i].len = bufs[i].len;
        if (!iov[i].base)
            return -EFAULT;
    }
    return 0;
}

void xvx_gmem_release(struct xvx_guest *g)
{
    for (unsigned bank = 0; bank < 2; bank++) {
        uint64_t bytes = bank == 0 ?
            (g->total_ram_bytes < ram_bank_max[0] ? g->total_ram_bytes : ram_bank_max[0]) :
            (g->total_ram_bytes > ram_bank_max[0] ? g->total_ram_bytes - ram_bank_max[0] : 0);

        if (g->ram[bank])
            xenforeignmemory_unmap(g->ctx->fmem, g->ram[bank],
                                   bytes >> PAGE_SHIFT);
        g->ram[bank] = NULL;
        g->ram_bytes[bank] = 0;
    }
    g->total_ram_bytes = 0;
}

void xvx_gmem_invalidate(struct xvx_guest *g)
{
    /* Rings may point into the banks while queues run: only a guest with
     * no queue enabled can drop them now (the first INVALIDATE, before the
     * guest runs, is that case). Otherwise the stale mapping stays until
     * the device is reset, as a mapcache entry in use would. */
    for (struct xvx_device *xd = g->devices; xd; xd = xd->next)
        for (unsigned q = 0; q < xd->nr_queues; q++)
            if (xd->dev->xv.vqs[q].ready)
                return;
    xvx_gmem_release(g);
}

/* ---- the core's hooks ---- */

int xvx_gmem_map(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                 struct xv_iovec *iov)
{
    struct xvx_device *xd = opaque;

    if (xd->grants)
        return grant_map(xd->guest, bufs, n, iov);
    return foreign_map(xd->guest, bufs, n, iov);
}

void xvx_gmem_unmap(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                    struct xv_iovec *iov)
{
    struct xvx_device *xd = opaque;

    if (xd->grants)
        grant_unmap(xd->guest, bufs, n, iov);
}
