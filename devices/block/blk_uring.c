/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io_uring for the virtio-blk file storage (see blk_uring.h).
 *
 * Reads, writes and flushes take the asynchronous path; GET_ID, DISCARD
 * and WRITE_ZEROES stay synchronous (rare, and fallocate is quick). Every
 * request slot of the device can be in the ring at once, so the ring has
 * as many entries as slots and its completion queue (twice that) cannot
 * overflow.
 *
 * Flush ordering: a FLUSH is an IORING_OP_FSYNC (DATASYNC) without
 * IOSQE_IO_DRAIN. virtio (like the Linux block layer) only asks a flush to
 * cover writes completed before it was submitted; those are in the page
 * cache or on the device already, so an fdatasync started afterwards
 * covers them. Draining would also hold back every later request of every
 * queue behind the fsync.
 *
 * Write-through (req->sync): the write carries RWF_DSYNC, so it is durable
 * when it completes, in one system call and one SQE.
 *
 * O_DIRECT (direct = yes): a request whose buffers, offset or length are
 * not 512-byte aligned (O_DIRECT would refuse it) goes through the ring on
 * the buffered descriptor instead: no bounce buffer, no copy. The page
 * cache stays coherent because the kernel writes back and invalidates the
 * range around direct I/O.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>

#include "blk_uring.h"
#include "log.h"
#include "loop.h"

/* The kernel reads our segment arrays as struct iovec. */
_Static_assert(sizeof(struct xv_iovec) == sizeof(struct iovec) &&
               offsetof(struct xv_iovec, base) == offsetof(struct iovec, iov_base) &&
               offsetof(struct xv_iovec, len) == offsetof(struct iovec, iov_len),
               "struct xv_iovec must match struct iovec");

#define DIRECT_ALIGN    512u
#define TAG_DIRECT      1u      /* user_data bit: went to direct_fd */
#define DRAIN_WARN_SECS 5

int xvd_blk_uring_fail_init;
unsigned xvd_blk_uring_fail_submits;

struct xvd_blk_uring {
    struct io_uring ring;
    struct xvd_blk_file *file;
    struct xv_blk *blk;
    struct xvd_loop *loop;
    const char *log_ctx;
    int efd;
    unsigned queued;            /* SQEs prepared, not yet submitted */
    unsigned in_flight;         /* SQEs prepared or submitted, no CQE yet */
    uint64_t submit_calls;
    struct xv_blk_storage_ops ops;  /* the file's ops plus ours */
    struct xvd_ratelimit ratelimit;
};

static struct xvd_blk_file *file_of(void *opaque)
{
    return opaque;
}

static bool direct_ok(const struct xvd_blk_file *f, const struct xv_blk_req *req)
{
    uint32_t align = f->storage.blk_size > DIRECT_ALIGN ? f->storage.blk_size :
                     DIRECT_ALIGN;

    if (f->direct_fd < 0 || (req->sector << VIRTIO_BLK_SECTOR_SHIFT) % align)
        return false;
    for (unsigned i = 0; i < req->nr_data; i++) {
        if ((uintptr_t)req->data[i].base % DIRECT_ALIGN ||
            req->data[i].len % align)
            return false;
    }
    return true;
}

static void kick(void *opaque)
{
    struct xvd_blk_uring *u = file_of(opaque)->uring;
    int r;

    if (!u->queued)
        return;
    do {
        if (xvd_blk_uring_fail_submits) {
            xvd_blk_uring_fail_submits--;
            r = -EBUSY;
        } else {
            r = io_uring_submit(&u->ring);
        }
    } while (r == -EINTR);
    u->submit_calls++;
    if (r < 0) {
        /* The SQEs stay in the ring. If every slot is busy, no guest kick
         * will submit again and no completion may come: wake our own
         * eventfd so the loop's next turn polls, which retries. */
        xvd_log_ratelimited(&u->ratelimit, LOG_WARNING, u->log_ctx,
                            "io_uring_submit: %s", strerror(-r));
        if (u->efd >= 0)
            eventfd_write(u->efd, 1);
        return;
    }
    u->queued = (unsigned)r >= u->queued ? 0 : u->queued - (unsigned)r;
}

static int submit(void *opaque, struct xv_blk_req *req)
{
    struct xvd_blk_file *f = file_of(opaque);
    struct xvd_blk_uring *u = f->uring;
    struct io_uring_sqe *sqe;
    uint64_t offset = req->sector << VIRTIO_BLK_SECTOR_SHIFT;
    uintptr_t tag = (uintptr_t)req;
    int fd = f->fd;

    if (req->type != VIRTIO_BLK_T_IN && req->type != VIRTIO_BLK_T_OUT &&
        req->type != VIRTIO_BLK_T_FLUSH)
        return -EAGAIN;
    sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        /* Cannot happen (one entry per slot); be safe anyway. */
        kick(opaque);
        sqe = io_uring_get_sqe(&u->ring);
        if (!sqe)
            return -EAGAIN;
    }
    if (req->type != VIRTIO_BLK_T_FLUSH && direct_ok(f, req)) {
        fd = f->direct_fd;
        tag |= TAG_DIRECT;
    }
    switch (req->type) {
    case VIRTIO_BLK_T_IN:
        io_uring_prep_readv(sqe, fd, (const struct iovec *)req->data,
                            req->nr_data, offset);
        break;
    case VIRTIO_BLK_T_OUT:
        io_uring_prep_writev2(sqe, fd, (const struct iovec *)req->data,
                              req->nr_data, offset, req->sync ? RWF_DSYNC : 0);
        if (req->sync)
            f->syncs++;
        break;
    default:
        io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
        f->syncs++;
        break;
    }
    io_uring_sqe_set_data64(sqe, tag);
    u->queued++;
    u->in_flight++;
    return 0;
}

/* One completion: the kernel's result, and the rare cases we finish by
 * hand (a short transfer, O_DIRECT refused after all). */
static void finish(struct xvd_blk_file *f, uint64_t tag, int res)
{
    struct xv_blk_req *req = (struct xv_blk_req *)(uintptr_t)(tag & ~(uint64_t)TAG_DIRECT);
    bool write = req->type == VIRTIO_BLK_T_OUT;
    size_t done;
    int err;

    if (req->type == VIRTIO_BLK_T_FLUSH) {
        xv_blk_complete_io(req, res < 0 ? res : 0);
        return;
    }
    if ((res == -EINVAL || res == -EFAULT) && (tag & TAG_DIRECT)) {
        /* The filesystem wants more alignment, or the buffer is a foreign
         * (privcmd, VM_PFNMAP) mapping O_DIRECT cannot pin: redo the rest
         * through the page cache. */
        done = 0;
    } else if (res < 0) {
        xv_blk_complete_io(req, res);
        return;
    } else if ((uint32_t)res >= req->data_len) {
        xv_blk_complete_io(req, 0);
        return;
    } else {
        done = (size_t)res;     /* short: end of file, or a signal */
    }
    err = xvd_blk_file_rw(f->fd, write, req->sector << VIRTIO_BLK_SECTOR_SHIFT,
                          req->data, req->nr_data, done);
    if (!err && write && req->sync && fdatasync(f->fd) < 0)
        err = -errno;
    xv_blk_complete_io(req, err);
}

static unsigned reap(struct xvd_blk_uring *u)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0, seen = 0;


    io_uring_for_each_cqe(&u->ring, head, cqe) {
        uint64_t tag = io_uring_cqe_get_data64(cqe);

        seen++;
        /* Before Linux 5.11 liburing waits with a timeout SQE of its own. */
        if (tag == LIBURING_UDATA_TIMEOUT)
            continue;
        finish(u->file, tag, cqe->res);
        n++;
    }
    io_uring_cq_advance(&u->ring, seen);
    u->in_flight -= n < u->in_flight ? n : u->in_flight;
    return n;
}

/*
 * Reset or teardown: the requests' guest buffers are unmapped when they
 * complete, so we wait for the kernel to be done with every one. Unbounded
 * on purpose: giving up would let the kernel write into unmapped (or
 * reused) memory. A stuck medium is reported every few seconds.
 */
static void drain(void *opaque)
{
    struct xvd_blk_uring *u = file_of(opaque)->uring;
    unsigned waited = 0;

    kick(opaque);
    while (u->in_flight) {
        struct __kernel_timespec ts = { .tv_sec = 1 };
        struct io_uring_cqe *cqe;
        int r = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);

        if (r == -ETIME) {
            if (++waited % DRAIN_WARN_SECS == 0)
                xvd_log(LOG_WARNING, u->log_ctx, "reset: waiting %us for %u "
                        "request(s) in flight", waited, u->in_flight);
            if (u->queued)
                kick(opaque);
            continue;
        }
        if (r < 0 && r != -EINTR && r != -EAGAIN) {
            xvd_log_ratelimited(&u->ratelimit, LOG_ERR, u->log_ctx,
                                "io_uring_wait_cqe: %s", strerror(-r));
            usleep(1000);
        }
        reap(u);
    }
}

unsigned xvd_blk_uring_poll(struct xvd_blk_file *f, bool wait)
{
    struct xvd_blk_uring *u = f->uring;
    unsigned n;

    if (!u)
        return 0;
    if (u->queued)
        kick(f);
    if (wait && u->in_flight && !io_uring_cq_ready(&u->ring)) {
        struct io_uring_cqe *cqe;
        int r;

        do {
            r = io_uring_wait_cqe(&u->ring, &cqe);
        } while (r == -EINTR);
    }
    n = reap(u);
    if (n && u->blk)
        xv_blk_notify(u->blk);
    return n;
}

static void on_eventfd(void *opaque, uint32_t events)
{
    struct xvd_blk_uring *u = opaque;
    uint64_t count;

    (void)events;
    /* Non-blocking; the CQ ring, not the count, says what completed. */
    if (read(u->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        xvd_log_ratelimited(&u->ratelimit, LOG_WARNING, u->log_ctx,
                            "eventfd: %s", strerror(errno));
    xvd_blk_uring_poll(u->file, false);
}

int xvd_blk_uring_start(struct xvd_blk_file *f, struct xv_blk *blk,
                        unsigned depth, struct xvd_loop *loop,
                        const char *log_ctx)
{
    struct xvd_blk_uring *u = calloc(1, sizeof(*u));
    int r;

    if (!u)
        return -ENOMEM;
    u->file = f;
    u->blk = blk;
    u->loop = loop;
    u->log_ctx = log_ctx;
    u->efd = -1;
    r = xvd_blk_uring_fail_init ? -xvd_blk_uring_fail_init :
        io_uring_queue_init(depth, &u->ring, 0);
    if (r < 0) {
        free(u);
        return r;
    }
    u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (u->efd < 0) {
        r = -errno;
        goto fail;
    }
    r = io_uring_register_eventfd(&u->ring, u->efd);
    if (r < 0)
        goto fail;
    if (loop) {
        r = xvd_loop_add_fd(loop, u->efd, EPOLLIN, on_eventfd, u);
        if (r < 0)
            goto fail;
    }
    u->ops = *f->storage.ops;
    u->ops.submit = submit;
    u->ops.kick = kick;
    u->ops.drain = drain;
    f->storage.ops = &u->ops;
    f->uring = u;
    return 0;
fail:
    if (u->efd >= 0)
        close(u->efd);
    io_uring_queue_exit(&u->ring);
    free(u);
    return r;
}

void xvd_blk_uring_stop(struct xvd_blk_file *f)
{
    struct xvd_blk_uring *u = f->uring;

    if (!u)
        return;
    drain(f);
    if (u->loop)
        xvd_loop_del_fd(u->loop, u->efd);
    io_uring_queue_exit(&u->ring);
    close(u->efd);
    f->storage.ops = NULL;      /* the table lived in u */
    f->uring = NULL;
    free(u);
}

unsigned xvd_blk_uring_in_flight(const struct xvd_blk_file *f)
{
    return f->uring ? f->uring->in_flight : 0;
}

uint64_t xvd_blk_uring_submit_calls(const struct xvd_blk_file *f)
{
    return f->uring ? f->uring->submit_calls : 0;
}
