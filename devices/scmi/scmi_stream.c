/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing of the raw SCMI socket: le32 length + message, both ways. The
 * client is trusted to manage resources but not to frame well: a length
 * outside what a message can be ends the connection rather than being
 * waited for, and a client that does not read its replies is let go
 * rather than buffered without bound.
 */
#include <errno.h>
#include <string.h>

#include "scmi_stream.h"
#include "xv/wire.h"

void xvd_scmi_stream_init(struct xvd_scmi_stream *s, struct xv_scmi_server *server,
                          struct xv_scmi_agent *agent)
{
    memset(s, 0, sizeof(*s));
    s->server = server;
    s->agent = agent;
}

uint8_t *xvd_scmi_stream_room(struct xvd_scmi_stream *s, size_t *room)
{
    *room = s->dead ? 0 : sizeof(s->in) - s->in_len;
    return s->in + s->in_len;
}

bool xvd_scmi_stream_queue(struct xvd_scmi_stream *s, const void *msg, size_t len)
{
    if (s->dead || len > XV_SCMI_MAX_MSG || s->out_len + 4 + len > sizeof(s->out)) {
        s->dead = true;
        return false;
    }
    xv_store_le32(s->out + s->out_len, (uint32_t)len);
    memcpy(s->out + s->out_len + 4, msg, len);
    s->out_len += 4 + len;
    return true;
}

void xvd_scmi_stream_sent(struct xvd_scmi_stream *s, size_t n)
{
    if (n > s->out_len)
        n = s->out_len;
    memmove(s->out, s->out + n, s->out_len - n);
    s->out_len -= n;
}

/* One complete message at the front of in: answer it, then let what it
 * caused (delayed responses, notifications) follow its response. */
static void handle_front(struct xvd_scmi_stream *s, uint32_t len)
{
    uint8_t reply[XV_SCMI_MAX_MSG];
    size_t out;

    s->busy = true;
    out = xv_scmi_handle(s->server, s->agent, s->in + 4, len, reply, sizeof(reply));
    s->busy = false;
    xvd_scmi_stream_queue(s, reply, out);
    xv_scmi_agent_p2a_ready(s->server, s->agent);
    memmove(s->in, s->in + 4 + len, s->in_len - 4 - len);
    s->in_len -= 4 + len;
}

int xvd_scmi_stream_received(struct xvd_scmi_stream *s, size_t n)
{
    if (s->dead)
        return 0;
    if (n > sizeof(s->in) - s->in_len)
        n = sizeof(s->in) - s->in_len;
    s->in_len += n;
    while (s->in_len >= 4 && !s->dead) {
        uint32_t len = xv_load_le32(s->in);

        if (len < 4 || len > XV_SCMI_MAX_MSG) {
            s->bad_len = len;
            s->dead = true;
            return -EPROTO;
        }
        if (s->in_len < 4 + len)
            break;
        handle_front(s, len);
    }
    return 0;
}
