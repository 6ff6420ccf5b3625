/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin control socket: a Unix stream socket on the daemon's loop that
 * answers one request line per connection (status, stats, reset, reload)
 * in text or JSON, then closes. xenvirtiodctl(8) is its client; the
 * protocol is in xenvirtiod(8), CONTROL SOCKET.
 *
 * This header is shared with the client: it declares only what both sides
 * agree on, and the daemon's entry points over opaque types.
 */
#ifndef XVD_CONTROL_H
#define XVD_CONTROL_H

#define XVD_CONTROL_PATH "/run/xenvirtiod/control"
/* A request line without its newline; longer lines are refused. */
#define XVD_CONTROL_LINE_MAX 256
/* Every error answer is one line starting with this, in either format. */
#define XVD_CONTROL_ERROR "error: "

struct xvd_loop;
struct xvx_guest;
struct xvd_control;

struct xvd_control_ops {
    /* The guests served now, for status, stats and reset. */
    struct xvx_guest *(*guests)(void *opaque);
    /* As SIGHUP: returns 0 or a negative errno. */
    int (*reload)(void *opaque);
};

/* Listen on path (its directory is created 0700 if missing). Returns NULL
 * with errno set: EADDRINUSE when a live daemon already answers there. */
struct xvd_control *xvd_control_open(struct xvd_loop *loop, const char *path,
                                     const struct xvd_control_ops *ops,
                                     void *opaque);
/* Drop every client, close the socket and remove it. NULL is fine. */
void xvd_control_close(struct xvd_control *ctl);

#endif
