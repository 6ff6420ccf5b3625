/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_EVENTS 32

struct fd_watch {
    int fd;
    xvd_fd_cb *cb;
    void *opaque;
    struct fd_watch *next;
};

struct xvd_loop {
    int epfd;
    bool stopping;
    struct fd_watch *watches;
    struct fd_watch *removed;   /* freed after the current batch */
    struct xvd_deferred *deferred_head, **deferred_tail;
    struct xvd_timer *timers;   /* armed, soonest first */
    uint64_t timer_seq;         /* arming count: xvd_timer.seq */
};

static void free_removed(struct xvd_loop *loop)
{
    while (loop->removed) {
        struct fd_watch *w = loop->removed;

        loop->removed = w->next;
        free(w);
    }
}

struct xvd_loop *xvd_loop_new(void)
{
    struct xvd_loop *loop = calloc(1, sizeof(*loop));

    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        free(loop);
        return NULL;
    }
    loop->deferred_tail = &loop->deferred_head;
    return loop;
}

void xvd_loop_free(struct xvd_loop *loop)
{
    if (!loop)
        return;
    while (loop->watches) {
        struct fd_watch *w = loop->watches;

        loop->watches = w->next;
        free(w);
    }
    free_removed(loop);
    close(loop->epfd);
    free(loop);
}

int xvd_loop_add_fd(struct xvd_loop *loop, int fd, uint32_t events,
                    xvd_fd_cb *cb, void *opaque)
{
    struct fd_watch *w = calloc(1, sizeof(*w));
    struct epoll_event ev = { .events = events };

    if (!w)
        return -ENOMEM;
    w->fd = fd;
    w->cb = cb;
    w->opaque = opaque;
    ev.data.ptr = w;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int err = -errno;

        free(w);
        return err;
    }
    w->next = loop->watches;
    loop->watches = w;
    return 0;
}

int xvd_loop_del_fd(struct xvd_loop *loop, int fd)
{
    for (struct fd_watch **p = &loop->watches; *p; p = &(*p)->next) {
        struct fd_watch *w = *p;

        if (w->fd != fd)
            continue;
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        *p = w->next;
        /* The current batch may still hold events for it. */
        w->cb = NULL;
        w->next = loop->removed;
        loop->removed = w;
        return 0;
    }
    return -ENOENT;
}

void xvd_loop_defer(struct xvd_loop *loop, struct xvd_deferred *d)
{
    if (d->queued)
        return;
    d->queued = true;
    d->next = NULL;
    *loop->deferred_tail = d;
    loop->deferred_tail = &d->next;
}

void xvd_loop_cancel(struct xvd_loop *loop, struct xvd_deferred *d)
{
    if (!d->queued)
        return;
    for (struct xvd_deferred **p = &loop->deferred_head; *p; p = &(*p)->next) {
        if (*p != d)
            continue;
        *p = d->next;
        if (loop->deferred_tail == &d->next)
            loop->deferred_tail = p;
        break;
    }
    d->queued = false;
    d->next = NULL;
}

/* Run the work queued so far; work queued meanwhile waits for the next
 * round, so one busy queue cannot keep the loop from polling. */
static void run_deferred(struct xvd_loop *loop)
{
    struct xvd_deferred *batch = loop->deferred_head;

    loop->deferred_head = NULL;
    loop->deferred_tail = &loop->deferred_head;
    while (batch) {
        struct xvd_deferred *d = batch;

        batch = d->next;
        d->next = NULL;
        d->queued = false;
        d->fn(d);
    }
}

uint64_t xvd_loop_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void xvd_loop_timer_cancel(struct xvd_loop *loop, struct xvd_timer *t)
{
    if (!t->armed)
        return;
    for (struct xvd_timer **p = &loop->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
}

void xvd_loop_timer_arm(struct xvd_loop *loop, struct xvd_timer *t, uint64_t due_ns)
{
    struct xvd_timer **p = &loop->timers;

    xvd_loop_timer_cancel(loop, t);
    /* A sorted list: a daemon has a timer or two per device, not heaps. */
    while (*p && (*p)->due_ns <= due_ns)
        p = &(*p)->next;
    t->due_ns = due_ns;
    t->seq = ++loop->timer_seq;
    t->next = *p;
    t->armed = true;
    *p = t;
}

/* epoll_wait's timeout: 0 with work queued, else until the next timer
 * (rounded up to whole milliseconds so it never wakes early), else none. */
static int wait_timeout(const struct xvd_loop *loop)
{
    uint64_t now, ms;

    if (loop->deferred_head)
        return 0;
    if (!loop->timers)
        return -1;
    now = xvd_loop_now_ns();
    if (loop->timers->due_ns <= now)
        return 0;
    ms = (loop->timers->due_ns - now + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Fire the timers due now. One armed by a callback here (even for a time
 * already past) waits for the next wakeup, so it cannot hold the loop. */
static void run_timers(struct xvd_loop *loop)
{
    uint64_t now = xvd_loop_now_ns(), last_seq = loop->timer_seq;

    while (loop->timers && loop->timers->due_ns <= now &&
           loop->timers->seq <= last_seq) {
        struct xvd_timer *t = loop->timers;

        loop->timers = t->next;
        t->next = NULL;
        t->armed = false;
        t->fn(t);
    }
}

int xvd_loop_run(struct xvd_loop *loop)
{
    struct epoll_event events[LOOP_MAX_EVENTS];

    loop->stopping = false;
    while (!loop->stopping) {
        int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, wait_timeout(loop));

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (int i = 0; i < n && !loop->stopping; i++) {
            struct fd_watch *w = events[i].data.ptr;

            /* An earlier callback in this batch may have removed it. */
            if (w->cb)
                w->cb(w->opaque, events[i].events);
        }
        run_timers(loop);
        run_deferred(loop);
        free_removed(loop);
    }
    return 0;
}

void xvd_loop_stop(struct xvd_loop *loop)
{
    loop->stopping = true;
}
