/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for the daemon's event loop (src/daemon/loop.c, linked only
 * into the daemon itself): device tests pass no loop and collect io_uring
 * completions with xvd_blk_uring_poll(), so these are never reached.
 */
#include <errno.h>

#include "loop.h"

int xvd_loop_add_fd(struct xvd_loop *loop, int fd, uint32_t events,
                    xvd_fd_cb *cb, void *opaque)
{
    (void)loop;
    (void)fd;
    (void)events;
    (void)cb;
    (void)opaque;
    return -ENOSYS;
}

int xvd_loop_del_fd(struct xvd_loop *loop, int fd)
{
    (void)loop;
    (void)fd;
    return -ENOSYS;
}
