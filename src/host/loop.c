/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
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


int xvd_loop_run(struct xvd_loop *loop)
{
    struct epoll_event events[LOOP_MAX_EVENTS];

    loop->stopping = false;
    while (!loop->stopping) {
        int timeout = loop->deferred_head ? 0 : -1;
        int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, timeout);

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
        run_deferred(loop);
        free_removed(loop);
    }
    return 0;
}

void xvd_loop_stop(struct xvd_loop *loop)
{
    loop->stopping = true;
}
