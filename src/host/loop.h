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

/* A one-shot timer on the loop's clock (CLOCK_MONOTONIC), embedded by
 * the user. fn runs on the loop's thread, once per arming, after the
 * wakeup's fd events and before its deferred work (so work a timer defers
 * runs in the same wakeup). */
struct xvd_timer {
    void (*fn)(struct xvd_timer *t);
    uint64_t due_ns;
    /* The loop's. */
    struct xvd_timer *next;
    uint64_t seq;
    bool armed;
};

struct xvd_loop *xvd_loop_new(void);
void xvd_loop_free(struct xvd_loop *loop);
/* events: EPOLLIN/EPOLLOUT; level-triggered. Returns 0 or -errno. */
int xvd_loop_add_fd(struct xvd_loop *loop, int fd, uint32_t events,
                    xvd_fd_cb *cb, void *opaque);
int xvd_loop_del_fd(struct xvd_loop *loop, int fd);
void xvd_loop_defer(struct xvd_loop *loop, struct xvd_deferred *d);
void xvd_loop_cancel(struct xvd_loop *loop, struct xvd_deferred *d);
/* Now on the loop's clock, in nanoseconds. */
uint64_t xvd_loop_now_ns(void);
/* Arm t to fire at due_ns (loop clock; past times fire on the next
 * wakeup). An armed timer is moved. Timers due at the same time fire in
 * the order they were armed. */
void xvd_loop_timer_arm(struct xvd_loop *loop, struct xvd_timer *t, uint64_t due_ns);
/* Disarm t if armed (safe on a timer never armed, and from any callback). */
void xvd_loop_timer_cancel(struct xvd_loop *loop, struct xvd_timer *t);
/* Run until xvd_loop_stop(). Returns 0 or -errno. */
int xvd_loop_run(struct xvd_loop *loop);
void xvd_loop_stop(struct xvd_loop *loop);

#endif
