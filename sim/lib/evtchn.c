/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drop-in libxenevtchn.so.1 talking to xensim-hv. xenevtchn_fd() is a
 * SOCK_SEQPACKET socket on which the hv writes one 4-byte port number per
 * event; like /dev/xen/evtchn, a delivered port stays masked until
 * xenevtchn_unmask(), and an event raised meanwhile is delivered then.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "simlib.h"

struct xenevtchn_handle {
    struct simlib_conn conn;
    int event_fd;
};

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int open_flags)
{
    xenevtchn_handle *xce = calloc(1, sizeof(*xce));
    if (!xce) {
        return NULL;
    }
    xce->event_fd = -1;
    if (simlib_open(&xce->conn, XSP_KIND_EVTCHN, &xce->event_fd, 1) < 0 ||
        xce->event_fd < 0) {
        int saved = xce->conn.sock >= 0 && xce->event_fd < 0 ? EPROTO : errno;
        simlib_close(&xce->conn);
        free(xce);
        errno = saved;
        return NULL;
    }
    if (open_flags & XENEVTCHN_NO_CLOEXEC) {
        fcntl(xce->event_fd, F_SETFD, 0);
        fcntl(xce->conn.sock, F_SETFD, 0);
    }
    return xce;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
                                   unsigned open_flags)
{
    /* The event socket alone cannot carry the control connection. */
    errno = ENOSYS;
    return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce) {
        return 0;
    }
    /* Closing the connection unbinds every port, as closing the device. */
    simlib_close(&xce->conn);
    close(xce->event_fd);
    free(xce);
    return 0;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    /* /dev/xen/evtchn restriction only limits binding; accepted, unchecked. */
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->event_fd;
}

static xenevtchn_port_or_error_t port_op(xenevtchn_handle *xce, uint32_t op, uint64_t a0,
                                         uint64_t a1)
{
    struct xsp_msg rep;
    if (simlib_call_args(&xce->conn, op, &rep, a0, a1, 0, 0, 0) < 0) {
        return -1;
    }
    return (xenevtchn_port_or_error_t)rep.arg[0];
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    return port_op(xce, XSP_EVT_NOTIFY, port, 0) < 0 ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    return port_op(xce, XSP_EVT_BIND_UNBOUND, domid, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return port_op(xce, XSP_EVT_BIND_INTERDOMAIN, domid, remote_port);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    errno = ENOSYS;
    return -1;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    return port_op(xce, XSP_EVT_UNBIND, port, 0) < 0 ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    uint32_t port;
    ssize_t n;
    do {
        n = recv(xce->event_fd, &port, sizeof(port), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -1;
    }
    if (n != (ssize_t)sizeof(port)) {
        errno = EIO;    /* hypervisor gone */
        return -1;
    }
    return (xenevtchn_port_or_error_t)port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    return simlib_send_args(&xce->conn, XSP_EVT_UNMASK, port);
}
