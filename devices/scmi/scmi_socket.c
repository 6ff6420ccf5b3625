/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw SCMI socket: tools and SCMI test suites talk to the server with
 * no guest. Each connection is one trusted agent that sees every
 * resource; frames are le32 length + message, both ways. Everything is
 * non-blocking and bounded: a client that does not read its replies is
 * disconnected rather than allowed to stall the daemon.
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
#include "xv/wire.h"

#define OUT_MAX 16384u      /* unread replies a client may leave queued */

struct conn {
    struct xvd_scmi_socket *owner;
    struct conn *next;
    int fd;
    bool writing;           /* registered for EPOLLOUT too */
    bool busy;              /* handling one of its messages */
    struct xv_scmi_agent agent;
    uint8_t in[4 + XV_SCMI_MAX_MSG];
    size_t in_len;
    uint8_t out[OUT_MAX];
    size_t out_len;
    bool dead;
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
    while (c->out_len) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                c->dead = true;
            break;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    if (!c->dead && (c->out_len != 0) != c->writing) {
        c->writing = c->out_len != 0;
        xvd_loop_del_fd(c->owner->loop, c->fd);
        if (xvd_loop_add_fd(c->owner->loop, c->fd,
                            EPOLLIN | (c->writing ? EPOLLOUT : 0),
                            on_conn, c) < 0)
            c->dead = true;
    }
}

static int conn_send(struct conn *c, const void *msg, size_t len)
{
    if (c->out_len + 4 + len > sizeof(c->out)) {
        c->dead = true;     /* a client that does not read: let it go */
        return 0;
    }
    xv_store_le32(c->out + c->out_len, (uint32_t)len);
    memcpy(c->out + c->out_len + 4, msg, len);
    c->out_len += 4 + len;
    return 0;
}

/* Delayed responses and notifications travel on the same connection.
 * What the message being handled causes (its delayed response, the
 * notifications of its changes) waits, queued by the engine, so that it
 * follows its response. */
static int conn_p2a(void *opaque, const void *msg, size_t len)
{
    struct conn *c = opaque;

    if (c->busy)
        return -EAGAIN;
    conn_send(c, msg, len);
    conn_flush(c);
    return 0;
}

static void conn_input(struct conn *c)
{
    uint8_t reply[XV_SCMI_MAX_MSG];

    while (c->in_len >= 4 && !c->dead) {
        uint32_t len = xv_load_le32(c->in);
        size_t out;

        if (len < 4 || len > XV_SCMI_MAX_MSG) {
            xvd_log(LOG_WARNING, NULL, "scmi socket: %s: bad frame length %u",
                    c->agent.name, len);
            c->dead = true;
            return;
        }
        if (c->in_len < 4 + len)
            return;
        c->busy = true;
        out = xv_scmi_handle(c->owner->server, &c->agent, c->in + 4, len, reply,
                             sizeof(reply));
        c->busy = false;
        conn_send(c, reply, out);
        xv_scmi_agent_p2a_ready(c->owner->server, &c->agent);
        memmove(c->in, c->in + 4 + len, c->in_len - 4 - len);
        c->in_len -= 4 + len;
    }
}

static void conn_events(struct conn *c, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
                         MSG_DONTWAIT);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            c->dead = true;
        else if (n > 0) {
            c->in_len += (size_t)n;
            conn_input(c);
        }
    }
    if (!c->dead)
        conn_flush(c);
    if (c->dead)
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
