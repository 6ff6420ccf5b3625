/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw SCMI socket: tools and SCMI test suites talk to the server with
 * no guest. Each connection is one trusted agent that sees every
 * resource; frames are le32 length + message, both ways (scmi_stream.c).
 * Everything is non-blocking and bounded: a client that does not read its
 * replies is disconnected rather than allowed to stall the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "peer.h"
#include "scmi_dev.h"
#include "scmi_stream.h"

struct conn {
    struct xvd_scmi_socket *owner;
    struct conn *next;
    int fd;
    bool writing;           /* registered for EPOLLOUT too */
    struct xv_scmi_agent agent;
    struct xvd_scmi_stream stream;  /* framing, both ways (scmi_stream.c) */
};

struct xvd_scmi_socket {
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct xvd_loop *loop;
    struct xv_scmi_server *server;
    struct conn *conns;
    unsigned nr_conns;
    unsigned next_id;
};

static void on_conn(void *opaque, uint32_t events);

static void conn_close(struct conn *c)
{
    struct xvd_scmi_socket *s = c->owner;

    xvd_loop_del_fd(s->loop, c->fd);
    close(c->fd);
    xv_scmi_agent_remove(s->server, &c->agent);
    for (struct conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    s->nr_conns--;
    xvd_log(LOG_INFO, NULL, "scmi socket: %s disconnected", c->agent.name);
    free(c);
}

static void conn_flush(struct conn *c)
{
    struct xvd_scmi_stream *st = &c->stream;

    while (st->out_len && !st->dead) {
        ssize_t n = send(c->fd, st->out, st->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                st->dead = true;
            break;
        }
        xvd_scmi_stream_sent(st, (size_t)n);
    }
    if (!st->dead && (st->out_len != 0) != c->writing) {
        c->writing = st->out_len != 0;
        xvd_loop_del_fd(c->owner->loop, c->fd);
        if (xvd_loop_add_fd(c->owner->loop, c->fd,
                            EPOLLIN | (c->writing ? EPOLLOUT : 0),
                            on_conn, c) < 0)
            st->dead = true;
    }
}

/* Delayed responses and notifications travel on the same connection.
 * What the message being handled causes (its delayed response, the
 * notifications of its changes) waits, queued by the engine, so that it
 * follows its response. */
static int conn_p2a(void *opaque, const void *msg, size_t len)
{
    struct conn *c = opaque;

    if (c->stream.busy)
        return -EAGAIN;
    xvd_scmi_stream_queue(&c->stream, msg, len);
    conn_flush(c);
    return 0;
}

static void conn_events(struct conn *c, uint32_t events)
{
    struct xvd_scmi_stream *st = &c->stream;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        size_t room;
        uint8_t *at = xvd_scmi_stream_room(st, &room);
        ssize_t n = room ? recv(c->fd, at, room, MSG_DONTWAIT) : 0;

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            st->dead = true;
        else if (n > 0 && xvd_scmi_stream_received(st, (size_t)n) < 0)
            xvd_log(LOG_WARNING, NULL, "scmi socket: %s: bad frame length %u",
                    c->agent.name, st->bad_len);
    }
    if (!st->dead)
        conn_flush(c);
    if (st->dead)
        conn_close(c);
}

static void on_conn(void *opaque, uint32_t events)
{
    conn_events(opaque, events);
}

static void on_accept(void *opaque, uint32_t events)
{
    struct xvd_scmi_socket *s = opaque;
    struct conn *c;
    char name[XV_SCMI_SHORT_NAME_MAX];
    uid_t uid;
    int fd;

    (void)events;
    fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* A trusted agent of every resource: the socket's mode is not the only
     * guard (a directory handed out wider, a fd passed on). */
    if (!xvd_peer_is_admin(fd, &uid)) {
        xvd_log(LOG_NOTICE, NULL, "scmi socket: refused a client of uid %d", (int)uid);
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->owner = s;
    c->fd = fd;
    snprintf(name, sizeof(name), "socket%u", s->next_id++);
    xv_scmi_agent_init(&c->agent, name, conn_p2a, c);
    xvd_scmi_stream_init(&c->stream, s->server, &c->agent);
    c->agent.trusted = true;
    xv_scmi_agent_show_all(&c->agent, s->server);
    if (xv_scmi_agent_add(s->server, &c->agent) < 0 ||
        xvd_loop_add_fd(s->loop, fd, EPOLLIN, on_conn, c) < 0) {
        xvd_log(LOG_WARNING, NULL, "scmi socket: connection refused: too many agents");
        xv_scmi_agent_remove(s->server, &c->agent);
        close(fd);
        free(c);
        return;
    }
    c->next = s->conns;
    s->conns = c;
    s->nr_conns++;
    xvd_log(LOG_INFO, NULL, "scmi socket: %s connected (agent %u)", name, c->agent.id);
}

struct xvd_scmi_socket *xvd_scmi_socket_open(const char *path,
                                             struct xvd_loop *loop,
                                             struct xv_scmi_server *server,
                                             char *err, size_t errlen)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct xvd_scmi_socket *s;
    mode_t old_mask;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "scmi socket %s: path too long", path);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "scmi socket: out of memory");
        return NULL;
    }
    snprintf(s->path, sizeof(s->path), "%s", path);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    s->loop = loop;
    s->server = server;
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    unlink(path);   /* a stale socket from an earlier run */
    old_mask = umask(0077);     /* the socket manages every guest's votes */
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(s->fd, 8) < 0 || xvd_loop_add_fd(loop, s->fd, EPOLLIN, on_accept, s) < 0) {
        snprintf(err, errlen, "scmi socket %s: %s", path, strerror(errno));
        umask(old_mask);
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    umask(old_mask);
    xvd_log(LOG_INFO, NULL, "scmi socket: listening on %s", path);
    return s;
}

void xvd_scmi_socket_close(struct xvd_scmi_socket *s)
{
    while (s->conns)
        conn_close(s->conns);
    xvd_loop_del_fd(s->loop, s->fd);
    close(s->fd);
    unlink(s->path);
    free(s);
}

unsigned xvd_scmi_socket_agents(const struct xvd_scmi_socket *s)
{
    return s->nr_conns;
}
