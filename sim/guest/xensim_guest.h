/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-side API of the simulated Xen: what a guest kernel has on real Xen.
 *
 * A guest process attaches to an existing domain (created with
 * `xensim-hv --dir DIR create ...` or the toolstack) and gets:
 *   - its RAM (a memfd shared with xensim-hv; GPA 0x40000000 is offset 0),
 *   - vCPUs whose MMIO accesses trap to xensim-hv and block until an IOREQ
 *     server answers, or fail as a data abort when nobody handles them,
 *   - an interrupt line (one message per edge raised by
 *     xendevicemodel_set_irq_level),
 *   - a v1 grant table it fills itself, as Linux does.
 *
 * $XENSIM_DIR names the directory holding hv.sock. Functions returning int
 * return 0 (or a value >= 0) on success and a negative errno on failure.
 * Every function is thread-safe; use one thread per vCPU for MMIO.
 */
#ifndef XENSIM_GUEST_H
#define XENSIM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XENSIM_GUEST_RAM_BASE 0x40000000ull
#define XENSIM_PAGE_SIZE 4096u
#define XENSIM_PAGE_SHIFT 12
/* First grant ref the allocator hands out (refs 0-7 are reserved by Xen). */
#define XENSIM_FIRST_GRANT_REF 8u

struct xensim_guest;

/* Attach to domain `domid`. NULL with errno set on failure (ESRCH: no such
 * live domain, ENOENT: no hypervisor at $XENSIM_DIR). */
struct xensim_guest *xensim_guest_attach(uint32_t domid);
/* Detach: closes the vCPU connections and unmaps RAM. Grants stay as they
 * are in the shared table (the domain, not the process, owns them). */
void xensim_guest_detach(struct xensim_guest *g);

uint32_t xensim_guest_domid(const struct xensim_guest *g);
unsigned xensim_guest_vcpus(const struct xensim_guest *g);
uint64_t xensim_guest_ram_size(const struct xensim_guest *g);
unsigned xensim_guest_nr_spis(const struct xensim_guest *g);

/*
 * MMIO, like a vCPU load/store that traps to Xen. Blocks until the IOREQ
 * server answers. size is 1, 2, 4 or 8.
 *
 * Emulates Xen 4.17 on Arm faithfully, bugs included:
 *  - write: `val` is the whole 64-bit source register. It is forwarded
 *    unmasked, so pass garbage above `size` bytes to act like a real guest
 *    whose register holds more than the stored bytes (strb/strh).
 *  - read: `*val` is the whole register as Xen writes it back: the
 *    backend's `data` without masking (readb/readw/readl are unsigned loads,
 *    so there is no sign extension). A backend that leaves high garbage
 *    shows here; truncate to the access size as the C type would.
 *
 * Returns 0; -EFAULT if no enabled IOREQ server covers the whole access
 * (Xen injects a data abort); -ESRCH if the domain was destroyed, also while
 * blocked; -ESHUTDOWN if it crashed (e.g. the backend moved the ioreq state
 * backwards); -EBUSY if this vCPU already has an access in flight;
 * -EINVAL for a bad vcpu or size.
 */
int xensim_mmio_read(struct xensim_guest *g, unsigned vcpu, uint64_t addr, unsigned size,
                     uint64_t *val);
int xensim_mmio_write(struct xensim_guest *g, unsigned vcpu, uint64_t addr, unsigned size,
                      uint64_t val);

/*
 * Interrupts. Each level-1 set_irq_level is one edge: one 4-byte message
 * (the GIC INTID, 32 + SPI) on the fd, a SOCK_SEQPACKET socket. EOF means
 * the domain was destroyed. Edges raised before any guest attached are
 * delivered at attach.
 */
int xensim_irq_fd(const struct xensim_guest *g);
/* Wait for one edge. timeout_ms < 0 waits forever. Returns 0 and *irq,
 * -ETIMEDOUT, or -ESRCH when the domain is gone. */
int xensim_wait_irq(struct xensim_guest *g, int timeout_ms, unsigned *irq);

/* Guest RAM. NULL / XENSIM_BAD_GPA outside RAM. */
#define XENSIM_BAD_GPA (~0ull)
void *xensim_gpa_to_ptr(struct xensim_guest *g, uint64_t gpa, size_t len);
uint64_t xensim_ptr_to_gpa(struct xensim_guest *g, const void *ptr);

/*
 * Page allocator over guest RAM (process-local: one guest process per
 * domain owns the RAM layout). Returns the GPA of `pages` contiguous,
 * zeroed pages, or 0 when RAM is exhausted.
 */
uint64_t xensim_alloc_pages(struct xensim_guest *g, size_t pages);
void xensim_free_pages(struct xensim_guest *g, uint64_t gpa, size_t pages);

/*
 * Grants (v1), as Linux gnttab_grant_foreign_access / end_foreign_access.
 * xensim_grant_access returns the ref (>= 8) or a negative errno
 * (-ENOSPC: table full). xensim_grant_access_seq grants `pages` frames
 * starting at `gfn` with consecutive refs (as grant-dma-ops does for
 * multi-page buffers) and returns the first ref.
 * xensim_end_access returns -EBUSY while the backend still maps the page
 * (Linux: "still in use by backend domain"); the ref stays allocated and
 * the caller may retry. On success the ref is freed.
 */
int xensim_grant_access(struct xensim_guest *g, uint16_t backend_domid, uint64_t gfn,
                        bool readonly);
int xensim_grant_access_seq(struct xensim_guest *g, uint16_t backend_domid, uint64_t gfn,
                            unsigned pages, bool readonly);
int xensim_end_access(struct xensim_guest *g, uint32_t ref);
/* Raw flags of a grant entry (GTF_*), for tests. */
uint16_t xensim_grant_flags(struct xensim_guest *g, uint32_t ref);

#endif
