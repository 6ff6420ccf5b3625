/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asynchronous I/O for the virtio-blk file storage with io_uring: requests
 * popped by one queue_work call go to the kernel in one io_uring_submit(),
 * and completions come back through an eventfd on the daemon's loop. One
 * ring per disk, no thread.
 */
#ifndef XVD_BLK_URING_H
#define XVD_BLK_URING_H

#include <stdbool.h>
#include <stdint.h>

#include "blk_file.h"

struct xvd_loop;

/*
 * Switch f to io_uring with room for 'depth' requests in flight (every
 * request slot of the device). blk is the engine bound to f's storage
 * (xv_blk_init() may come later: only completions use it). With a loop the
 * completions arrive through it; without (tests), xvd_blk_uring_poll()
 * collects them. Returns 0, or -errno with f left synchronous and
 * untouched. Call before xv_blk_init(), which copies f->storage.
 */
int xvd_blk_uring_start(struct xvd_blk_file *f, struct xv_blk *blk,
                        unsigned depth, struct xvd_loop *loop,
                        const char *log_ctx);
/* Wait for every request in flight, then release the ring. */
void xvd_blk_uring_stop(struct xvd_blk_file *f);
/* Collect completions (waiting for one first if 'wait' and any is in
 * flight), interrupt the guest, re-arm starved queues. Returns how many. */
unsigned xvd_blk_uring_poll(struct xvd_blk_file *f, bool wait);
/* Requests handed to the kernel (or queued for it), not yet completed. */
unsigned xvd_blk_uring_in_flight(const struct xvd_blk_file *f);
/* io_uring_submit() calls so far: one per batch (tests, statistics). */
uint64_t xvd_blk_uring_submit_calls(const struct xvd_blk_file *f);

/* Test hook: when non-zero, ring setup fails with this errno, as on a
 * kernel without io_uring or under a seccomp filter that denies it. */
extern int xvd_blk_uring_fail_init;
/* Test hook: the next this-many io_uring_submit() calls fail with -EBUSY
 * (a full completion ring) before reaching the kernel. */
extern unsigned xvd_blk_uring_fail_submits;

#endif
