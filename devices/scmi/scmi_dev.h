/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-scmi for the daemon: one SCMI server shared by every guest, one
 * agent per guest's device, and the raw SCMI socket.
 */
#ifndef XVD_SCMI_DEV_H
#define XVD_SCMI_DEV_H

#include "scmi.h"

struct xvd_loop;

/* The daemon's "scmi" device type (src/host/device_type.h). */
struct xvd_device_type;
extern const struct xvd_device_type xvd_scmi_type;

/*
 * Raw SCMI socket (scmi_socket.c): a Unix stream socket; each connection
 * is one trusted agent seeing every resource; frames are le32 length +
 * message, both ways (replies, delayed responses, notifications).
 */
struct xvd_scmi_socket;
struct xvd_scmi_socket *xvd_scmi_socket_open(const char *path,
                                             struct xvd_loop *loop,
                                             struct xv_scmi_server *server,
                                             char *err, size_t errlen);
void xvd_scmi_socket_close(struct xvd_scmi_socket *s);
unsigned xvd_scmi_socket_agents(const struct xvd_scmi_socket *s);

#endif
