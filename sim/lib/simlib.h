/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared plumbing of the drop-in Xen libraries: one connection to
 * xensim-hv per library handle, serialised because real handles may be
 * used from several threads at once.
 */
#ifndef XENSIM_SIMLIB_H
#define XENSIM_SIMLIB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct simlib_conn {
    int sock;
    uint32_t domid;             /* who we are: $XENSIM_DOMID */
    pthread_mutex_t lock;
};

/* Connect as this process's domain. Returns 0 or -1 with errno set. */
int simlib_open(struct simlib_conn *conn, uint32_t kind, int *fds, unsigned max_fds);
void simlib_close(struct simlib_conn *conn);
/* A message the hypervisor answers with nothing (XSP_EVT_UNMASK): a
 * write(2) to /dev/xen/evtchn, which returns without a round trip. */
int simlib_send_args(struct simlib_conn *conn, uint32_t op, uint64_t a0);
/* One RPC (see xsp_call); returns 0 or -1 with errno set. */
int simlib_call(struct simlib_conn *conn, struct xsp_msg *req, const void *data, size_t len,
                struct xsp_msg *reply, void **reply_data, size_t *reply_len,
                int *fds, unsigned max_fds);
/* Shorthand for requests with only arguments and a reply without data. */
int simlib_call_args(struct simlib_conn *conn, uint32_t op, struct xsp_msg *reply,
                     uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

#endif
