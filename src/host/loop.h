/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's single epoll event loop. Everything runs on its thread:
 * event channels, xenstore, signals, timers and device completions.
 */
#ifndef XVD_LOOP_H
#define XVD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct xvd_loop;

typedef void xvd_fd_cb(void *opaque, uint32_t events);

/* Work to run once the current wakeup's events are handled (e.g. queue
 * processing after a QueueNotify was answered). Embedded by the user. */
struct xvd_deferred {
    void (*fn)(struct xvd_deferred *d);
    struct xvd_deferred *next;
    bool queued;
};

struct xvd_loop *xvd_loop_new(void);
void xvd_loop_free(struct xvd_loop *loop);
/* events: EPOLLIN/EPOLLOUT; level-triggered. Returns 0 or -errno. */
int xvd_loop_add_fd(struct xvd_loop *loop, int fd, uint32_t events,
                    xvd_fd_cb *cb, void *opaque);
int xvd_loop_del_fd(struct xvd_loop *loop, int fd);
void xvd_loop_defer(struct xvd_loop *loop, struct xvd_deferred *d);
void xvd_loop_cancel(struct xvd_loop *loop, struct xvd_deferred *d);
/* Run until xvd_loop_stop(). Returns 0 or -errno. */
int xvd_loop_run(struct xvd_loop *loop);
void xvd_loop_stop(struct xvd_loop *loop);

#endif
