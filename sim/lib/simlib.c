/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <unistd.h>

#include "simlib.h"

int simlib_open(struct simlib_conn *conn, uint32_t kind, int *fds, unsigned max_fds)
{
    conn->domid = xsp_self_domid();
    conn->sock = xsp_connect(conn->domid, kind, 0, NULL, fds, max_fds);
    if (conn->sock < 0) {
        return -1;
    }
    pthread_mutex_init(&conn->lock, NULL);
    return 0;
}

void simlib_close(struct simlib_conn *conn)
{
    if (conn->sock >= 0) {
        close(conn->sock);
        conn->sock = -1;
        pthread_mutex_destroy(&conn->lock);
    }
}

int simlib_call(struct simlib_conn *conn, struct xsp_msg *req, const void *data, size_t len,
                struct xsp_msg *reply, void **reply_data, size_t *reply_len,
                int *fds, unsigned max_fds)
{
    pthread_mutex_lock(&conn->lock);
    int r = xsp_call(conn->sock, req, data, len, reply, reply_data, reply_len, fds, max_fds);
    int saved = errno;
    pthread_mutex_unlock(&conn->lock);
    if (r < 0 && (saved == ECONNRESET || saved == EPIPE)) {
        /* The hypervisor is gone: what a dead hypercall path would say. */
        saved = EIO;
    }
    errno = saved;
    return r;
}

int simlib_call_args(struct simlib_conn *conn, uint32_t op, struct xsp_msg *reply,
                     uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    struct xsp_msg req = { .hdr.op = op };
    req.arg[0] = a0;
    req.arg[1] = a1;
    req.arg[2] = a2;
    req.arg[3] = a3;
    req.arg[4] = a4;
    return simlib_call(conn, &req, NULL, 0, reply, NULL, NULL, NULL, 0);
}

int simlib_send_args(struct simlib_conn *conn, uint32_t op, uint64_t a0)
{
    struct xsp_msg req = { .hdr.op = op };
    int r;

    req.arg[0] = a0;
    pthread_mutex_lock(&conn->lock);
    r = xsp_send(conn->sock, &req, NULL, 0, NULL, 0);
    pthread_mutex_unlock(&conn->lock);
    if (r < 0 && (errno == ECONNRESET || errno == EPIPE))
        errno = EIO;
    return r;
}
