/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing helpers for the xensim-hv protocol (see proto.h). Used by the
 * server for sending and by every client for the whole round trip.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"

/* A peer that stops reading for this long is treated as gone. */
#define XSP_SEND_TIMEOUT_MS 5000

uint32_t xsp_self_domid(void)
{
    const char *env = getenv("XENSIM_DOMID");
    if (!env || !*env) {
        return 0;
    }
    return (uint32_t)strtoul(env, NULL, 0);
}

static int send_all(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
    const char *p = buf;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * XSP_MAX_FDS)];
    } control;

    if (nfds > XSP_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    while (len > 0) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (nfds > 0) {
            memset(&control, 0, sizeof(control));
            mh.msg_control = control.buf;
            mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
        }
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = { .fd = sock, .events = POLLOUT };
                int r = poll(&pfd, 1, XSP_SEND_TIMEOUT_MS);
                if (r <= 0) {
                    errno = r == 0 ? ETIMEDOUT : errno;
                    return -1;
                }
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
        nfds = 0;   /* descriptors travel with the first chunk only */
    }
    return 0;
}

int xsp_send(int sock, struct xsp_msg *msg, const void *data, size_t data_len,
             const int *fds, unsigned nfds)
{
    size_t total = sizeof(*msg) + data_len;
    if (total > XSP_MAX_MSG) {
        errno = E2BIG;
        return -1;
    }
    msg->hdr.len = (uint32_t)total;
    msg->hdr.nfds = nfds;
    if (data_len == 0) {
        return send_all(sock, msg, sizeof(*msg), fds, nfds);
    }
    char *buf = malloc(total);
    if (!buf) {
        return -1;
    }
    memcpy(buf, msg, sizeof(*msg));
    memcpy(buf + sizeof(*msg), data, data_len);
    int r = send_all(sock, buf, total, fds, nfds);
    free(buf);
    return r;
}

/* Blocking read of exactly len bytes; collects passed descriptors. */
static int recv_all(int sock, void *buf, size_t len, int *fds, unsigned max_fds,
                    unsigned *nfds_got)
{
    char *p = buf;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * XSP_MAX_FDS)];
    } control;

    while (len > 0) {
        struct iovec iov = { .iov_base = p, .iov_len = len };
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
        };
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
                continue;
            }
            unsigned count = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int got[XSP_MAX_FDS];
            memcpy(got, CMSG_DATA(cm), sizeof(int) * count);
            for (unsigned i = 0; i < count; i++) {
                if (fds && *nfds_got < max_fds) {
                    fds[(*nfds_got)++] = got[i];
                } else {
                    close(got[i]);
                }
            }
        }
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int xsp_recv(int sock, struct xsp_msg *msg, void **data, size_t *data_len,
             int *fds, unsigned max_fds)
{
    unsigned nfds_got = 0;
    if (data) {
        *data = NULL;
    }
    if (data_len) {
        *data_len = 0;
    }
    if (recv_all(sock, msg, sizeof(*msg), fds, max_fds, &nfds_got) < 0) {
        goto fail;
    }
    if (msg->hdr.len < sizeof(*msg) || msg->hdr.len > XSP_MAX_MSG) {
        errno = EPROTO;
        goto fail;
    }
    size_t extra = msg->hdr.len - sizeof(*msg);
    if (extra > 0) {
        char *buf = malloc(extra);
        if (!buf) {
            goto fail;
        }
        if (recv_all(sock, buf, extra, fds, max_fds, &nfds_got) < 0) {
            free(buf);
            goto fail;
        }
        if (data) {
            *data = buf;
            if (data_len) {
                *data_len = extra;
            }
        } else {
            free(buf);
        }
    }
    /* Descriptors the caller did not ask for are already closed. */
    for (unsigned i = nfds_got; i < max_fds && fds; i++) {
        fds[i] = -1;
    }
    return 0;

fail:
    for (unsigned i = 0; i < nfds_got; i++) {
        close(fds[i]);
        fds[i] = -1;
    }
    return -1;
}

int xsp_call(int sock, struct xsp_msg *req, const void *data, size_t data_len,
             struct xsp_msg *reply, void **reply_data, size_t *reply_len,
             int *fds, unsigned max_fds)
{
    struct xsp_msg local;
    if (!reply) {
        reply = &local;
    }
    req->hdr.err = 0;
    if (xsp_send(sock, req, data, data_len, NULL, 0) < 0) {
        return -1;
    }
    if (xsp_recv(sock, reply, reply_data, reply_len, fds, max_fds) < 0) {
        return -1;
    }
    if (reply->hdr.err != 0) {
        for (unsigned i = 0; fds && i < max_fds; i++) {
            if (fds[i] >= 0) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        if (reply_data) {
            free(*reply_data);
            *reply_data = NULL;
        }
        errno = reply->hdr.err;
        return -1;
    }
    return 0;
}

int xsp_connect(uint32_t domid, uint32_t kind, uint32_t vcpu,
                struct xsp_msg *reply, int *fds, unsigned max_fds)
{
    const char *dir = getenv("XENSIM_DIR");
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    if (!dir || !*dir) {
        /* As if /dev/xen/... did not exist. */
        errno = ENOENT;
        return -1;
    }
    int n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, XSP_SOCKET_NAME);
    if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        return -1;
    }
    if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        int saved = errno;
        close(sock);
        errno = saved == ECONNREFUSED ? ENOENT : saved;
        return -1;
    }
    struct xsp_msg req = { .hdr.op = XSP_HELLO };
    req.arg[0] = domid;
    req.arg[1] = kind;
    req.arg[2] = vcpu;
    if (xsp_call(sock, &req, NULL, 0, reply, NULL, NULL, fds, max_fds) < 0) {
        int saved = errno;
        close(sock);
        errno = saved;
        return -1;
    }
    return sock;
}
