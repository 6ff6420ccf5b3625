/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw SCMI socket's byte streams without the socket (scmi_stream.c):
 * bytes a client sent are cut into le32-length-prefixed messages for the
 * server, and what the server says goes out framed the same way. No OS
 * calls, so tests/fuzz/fuzz_scmi_socket.c drives exactly the code the
 * daemon runs, with any bytes split in any way.
 */
#ifndef XVD_SCMI_STREAM_H
#define XVD_SCMI_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmi.h"

#define XVD_SCMI_STREAM_OUT_MAX 16384u  /* unread bytes a client may leave */

struct xvd_scmi_stream {
    struct xv_scmi_server *server;
    struct xv_scmi_agent *agent;
    bool busy;          /* handling one of its messages: P2A must wait */
    bool dead;          /* bad frame, or replies left unread: close it */
    uint32_t bad_len;   /* the frame length that killed it, if one did */
    uint8_t in[4 + XV_SCMI_MAX_MSG];
    size_t in_len;
    uint8_t out[XVD_SCMI_STREAM_OUT_MAX];
    size_t out_len;
};

void xvd_scmi_stream_init(struct xvd_scmi_stream *s, struct xv_scmi_server *server,
                          struct xv_scmi_agent *agent);
/* Where the next received bytes go; *room > 0 while the stream lives. */
uint8_t *xvd_scmi_stream_room(struct xvd_scmi_stream *s, size_t *room);
/* n bytes (<= room) arrived: handle every complete message. 0, or -EPROTO
 * for a frame length outside 4..XV_SCMI_MAX_MSG (s->bad_len; s->dead). */
int xvd_scmi_stream_received(struct xvd_scmi_stream *s, size_t n);
/* Frame one message to the client; false (and dead) when the client has
 * left more than XVD_SCMI_STREAM_OUT_MAX bytes unread. */
bool xvd_scmi_stream_queue(struct xvd_scmi_stream *s, const void *msg, size_t len);
/* The first n bytes of out were sent. */
void xvd_scmi_stream_sent(struct xvd_scmi_stream *s, size_t n);

#endif
