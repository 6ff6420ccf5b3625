/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin control socket (see control.h and xenvirtiod(8)).
 *
 * Everything runs on the daemon's loop and nothing here may stall it: the
 * sockets are non-blocking, a request is at most one line of
 * XVD_CONTROL_LINE_MAX bytes, the answer is built whole into a bounded
 * buffer and sent as the peer takes it, and at most CLIENTS_MAX clients
 * are held: a new one evicts the oldest, so clients that never send or
 * never read cannot pile up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "peer.h"
#include "xen.h"

#define CLIENTS_MAX 8
#define REPLY_MAX (1u << 20)
#define JSON_DEPTH_MAX 8

/* An answer being built: text ("key=value" records, one a line, indented
 * by nesting) or one JSON object, from the same calls. */
struct reply {
    char *buf;
    size_t len, cap;
    bool json;
    bool overflow;              /* REPLY_MAX reached: answered as an error */
    unsigned depth;             /* open lists and items */
    bool need_comma[JSON_DEPTH_MAX];
    bool line_open;             /* text: a record not yet ended */
};

struct client {
    struct xvd_control *ctl;
    int fd;                     /* -1: free slot */
    unsigned long seq;          /* accept order: the oldest is evicted */
    char line[XVD_CONTROL_LINE_MAX + 2]; /* the line, its newline, NUL */
    size_t line_len;
    struct reply out;
    size_t sent;
    bool replying;
};

struct xvd_control {
    struct xvd_loop *loop;
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const struct xvd_control_ops *ops;
    void *opaque;
    struct client clients[CLIENTS_MAX];
    unsigned long next_seq;
    struct xvd_ratelimit ratelimit;
};

/* Short names for the fault counters (the core's names are sentences). */
static const char *const fault_keys[XV_FAULT_COUNT] = {
    [XV_FAULT_NONE] = "none",
    [XV_FAULT_AVAIL_IDX] = "avail_idx",
    [XV_FAULT_HEAD_INDEX] = "head_index",
    [XV_FAULT_NEXT_INDEX] = "next_index",
    [XV_FAULT_CHAIN_LOOP] = "chain_loop",
    [XV_FAULT_INDIRECT_NESTED] = "indirect_nested",
    [XV_FAULT_INDIRECT_LEN] = "indirect_len",
    [XV_FAULT_INDIRECT_NEXT] = "indirect_next",
    [XV_FAULT_INDIRECT_UNNEGOTIATED] = "indirect_unnegotiated",
    [XV_FAULT_READ_AFTER_WRITE] = "read_after_write",
    [XV_FAULT_RING_MAP] = "ring_map",
    [XV_FAULT_QUEUE_CONFIG] = "queue_config",
    [XV_FAULT_DRIVER_OK_EARLY] = "driver_ok_early",
    [XV_FAULT_USED_ID] = "used_id",
    [XV_FAULT_DEVICE] = "device",
    [XV_FAULT_ADDR_OVERFLOW] = "addr_overflow",
    [XV_FAULT_BUF_MAP] = "buf_map",
    [XV_FAULT_TOO_MANY_SEGS] = "too_many_segs",
    [XV_FAULT_TOTAL_LEN] = "total_len",
    [XV_FAULT_MMIO_WIDTH] = "mmio_width",
    [XV_FAULT_MMIO_OFFSET] = "mmio_offset",
};

/* ---- building an answer ---- */

static void reply_vput(struct reply *r, const char *fmt, va_list ap)
{
    va_list again;
    int n;

    if (r->overflow)
        return;
    va_copy(again, ap);
    n = vsnprintf(r->buf ? r->buf + r->len : NULL, r->cap - r->len, fmt, ap);
    if (n >= 0 && r->len + (size_t)n >= r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        char *buf;

        while (cap <= r->len + (size_t)n)
            cap *= 2;
        buf = cap <= REPLY_MAX ? realloc(r->buf, cap) : NULL;
        if (!buf) {
            r->overflow = true;
            va_end(again);
            return;
        }
        r->buf = buf;
        r->cap = cap;
        n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, again);
    }
    va_end(again);
    if (n < 0)
        r->overflow = true;
    else
        r->len += (size_t)n;
}

static void __attribute__((format(printf, 2, 3))) reply_put(struct reply *r,
                                                            const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    reply_vput(r, fmt, ap);
    va_end(ap);
}

static void reply_reset(struct reply *r, bool json)
{
    free(r->buf);
    *r = (struct reply){ .json = json };
}

/* Names come from the admin's config, but may still hold quotes. */
static void put_json_string(struct reply *r, const char *s)
{
    reply_put(r, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            reply_put(r, "\\%c", c);
        else if (c < 0x20)
            reply_put(r, "\\u%04x", c);
        else
            reply_put(r, "%c", c);
    }
    reply_put(r, "\"");
}

/* JSON: the comma before a value at this depth; text: nothing. */
static void json_separate(struct reply *r)
{
    unsigned d = r->depth < JSON_DEPTH_MAX ? r->depth : JSON_DEPTH_MAX - 1;

    if (r->need_comma[d])
        reply_put(r, ", ");
    r->need_comma[d] = true;
}

static void json_open(struct reply *r, const char *bracket)
{
    reply_put(r, "%s", bracket);
    r->depth++;
    if (r->depth < JSON_DEPTH_MAX)
        r->need_comma[r->depth] = false;
}

static void json_close(struct reply *r, const char *bracket)
{
    r->depth--;
    reply_put(r, "%s", bracket);
}

static void text_end_line(struct reply *r)
{
    if (r->line_open)
        reply_put(r, "\n");
    r->line_open = false;
}

/* A field's key: '"key": ' or ' key=' (no space first on a line). */
static void put_key(struct reply *r, const char *key)
{
    if (r->json) {
        json_separate(r);
        reply_put(r, "\"%s\": ", key);
        return;
    }
    if (!r->line_open)
        reply_put(r, "%*s%s=", r->depth ? (int)(2 * (r->depth - 1)) : 0, "", key);
    else
        reply_put(r, " %s=", key);
    r->line_open = true;
}

static void put_str(struct reply *r, const char *key, const char *value)
{
    put_key(r, key);
    if (r->json)
        put_json_string(r, value);
    else
        reply_put(r, "%s", value);
}

static void put_num(struct reply *r, const char *key, unsigned long long value)
{
    put_key(r, key);
    reply_put(r, "%llu", value);
}

/* Hex reads better for addresses and bit sets; JSON has no hex numbers. */
static void put_hex(struct reply *r, const char *key, unsigned long long value)
{
    char hex[24];

    snprintf(hex, sizeof(hex), "%#llx", value);
    put_str(r, key, hex);
}

static void put_bool(struct reply *r, const char *key, bool value)
{
    put_key(r, key);
    reply_put(r, "%s", r->json ? (value ? "true" : "false") : (value ? "yes" : "no"));
}

/* A list of records ("guests": [...]); in text each record is a line. */
static void list_begin(struct reply *r, const char *key)
{
    text_end_line(r);
    if (!r->json) {
        r->depth++;
        return;
    }
    json_separate(r);
    reply_put(r, "\"%s\": ", key);
    json_open(r, "[");
}

static void list_end(struct reply *r)
{
    text_end_line(r);
    if (r->json)
        json_close(r, "]");
    else
        r->depth--;
}

static void record_begin(struct reply *r)
{
    text_end_line(r);
    if (r->json) {
        json_separate(r);
        json_open(r, "{");
    }
}

static void record_end(struct reply *r)
{
    text_end_line(r);
    if (r->json)
        json_close(r, "}");
}

/* The whole answer: one JSON object, or text records. */
static void answer_begin(struct reply *r)
{
    if (r->json)
        json_open(r, "{");
}

static void answer_end(struct reply *r)
{
    text_end_line(r);
    if (r->json)
        json_close(r, "}\n");
}

static void __attribute__((format(printf, 2, 3))) answer_error(struct reply *r,
                                                               const char *fmt, ...)
{
    va_list ap;

    reply_reset(r, r->json);
    reply_put(r, XVD_CONTROL_ERROR);
    va_start(ap, fmt);
    reply_vput(r, fmt, ap);
    va_end(ap);
    reply_put(r, "\n");
}

static void answer_ok(struct reply *r)
{
    answer_begin(r);
    put_bool(r, "ok", true);
    answer_end(r);
}

/* ---- commands ---- */

static void put_queue(struct reply *r, const struct xv_vq *vq)
{
    record_begin(r);
    put_num(r, "queue", vq->index);
    put_bool(r, "ready", vq->ready);
    put_bool(r, "broken", vq->broken);
    put_num(r, "size", vq->num);
    put_num(r, "last_avail_idx", vq->last_avail_idx);
    put_num(r, "used_idx", vq->used_idx);
    put_num(r, "in_flight", vq->in_flight);
    record_end(r);
}

static void put_device_status(struct reply *r, const struct xvx_device *xd)
{
    const struct xv_device *xv = &xd->dev->xv;

    record_begin(r);
    put_str(r, "device", xd->name);
    put_str(r, "type", xd->dev->type->name);
    put_hex(r, "base", xd->base);
    put_num(r, "irq", xd->irq);
    put_str(r, "memory", xd->grants ? "grants" : "foreign");
    put_bool(r, "connected", xv->status & XV_STATUS_DRIVER_OK);
    put_bool(r, "needs_reset", xv->status & XV_STATUS_DEVICE_NEEDS_RESET);
    put_hex(r, "status", xv->status);
    put_hex(r, "features", xv->driver_features);
    list_begin(r, "queues");
    for (unsigned i = 0; i < xv->num_queues; i++)
        put_queue(r, &xv->vqs[i]);
    list_end(r);
    record_end(r);
}

static void cmd_status(struct xvd_control *ctl, struct reply *r, const char *arg)
{
    answer_begin(r);
    list_begin(r, "guests");
    for (struct xvx_guest *g = ctl->ops->guests(ctl->opaque); g; g = g->next) {
        record_begin(r);
        put_num(r, "domid", g->domid);
        put_num(r, "ioreqs", g->requests_served);
        list_begin(r, "devices");
        for (const struct xvx_device *xd = g->devices; xd; xd = xd->next)
            put_device_status(r, xd);
        list_end(r);
        record_end(r);
    }
    list_end(r);
    answer_end(r);
}

static void put_device_stats(struct reply *r, struct xvx_device *xd)
{
    unsigned long total = 0;
    char key[48];

    for (unsigned f = 0; f < XV_FAULT_COUNT; f++)
        total += xd->faults[f];
    record_begin(r);
    put_str(r, "device", xd->log_ctx);
    put_num(r, "ioreqs", xd->ioreqs);
    put_num(r, "in_flight", xd->dev->type->in_flight(xd->dev));
    put_num(r, "faults", total);
    /* Only the kinds seen: a list of 20 zeros hides the one that counts. */
    for (unsigned f = 1; f < XV_FAULT_COUNT; f++) {
        if (!xd->faults[f])
            continue;
        snprintf(key, sizeof(key), "fault_%s", fault_keys[f]);
        put_num(r, key, xd->faults[f]);
    }
    record_end(r);
}

static void cmd_stats(struct xvd_control *ctl, struct reply *r, const char *arg)
{
    answer_begin(r);
    list_begin(r, "devices");
    for (struct xvx_guest *g = ctl->ops->guests(ctl->opaque); g; g = g->next)
        for (struct xvx_device *xd = g->devices; xd; xd = xd->next)
            put_device_stats(r, xd);
    list_end(r);
    answer_end(r);
}

/* "domN/name", as in the daemon's log lines. */
static struct xvx_device *find_device(struct xvd_control *ctl, const char *spec)
{
    for (struct xvx_guest *g = ctl->ops->guests(ctl->opaque); g; g = g->next)
        for (struct xvx_device *xd = g->devices; xd; xd = xd->next)
            if (strcmp(xd->log_ctx, spec) == 0)
                return xd;
    return NULL;
}

/*
 * DEVICE_NEEDS_RESET, not a reset behind the driver's back: requests in
 * flight complete as usual, no new ones are taken, and the guest's driver
 * resets the device when it sees the config interrupt. (The core reports
 * it as a "device" fault, so stats count it there.)
 */
static void cmd_reset(struct xvd_control *ctl, struct reply *r, const char *spec)
{
    struct xvx_device *xd = find_device(ctl, spec);

    if (!xd) {
        answer_error(r, "no device '%s' (status lists them)", spec);
        return;
    }
    xvd_log(LOG_NOTICE, xd->log_ctx, "reset asked for on the control socket");
    xv_device_needs_reset(&xd->dev->xv, -1, XV_FAULT_DEVICE);
    answer_ok(r);
}

static void cmd_reload(struct xvd_control *ctl, struct reply *r, const char *arg)
{
    int rc = ctl->ops->reload(ctl->opaque);

    if (rc < 0)
        answer_error(r, "reload failed: %s (the old configuration stays; see the log)",
                     strerror(-rc));
    else
        answer_ok(r);
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static const struct command {
    const char *name;
    const char *arg;            /* NULL: takes none */
    void (*run)(struct xvd_control *ctl, struct reply *r, const char *arg);
} commands[] = {
    { "status", NULL, cmd_status },
    { "stats", NULL, cmd_stats },
    { "reset", "domN/NAME", cmd_reset },
    { "reload", NULL, cmd_reload },
};

static void run_command(struct xvd_control *ctl, struct reply *r, char **words,
                        unsigned n)
{
    for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const struct command *cmd = &commands[i];

        if (strcmp(words[0], cmd->name) != 0)
            continue;
        if (n != (cmd->arg ? 2u : 1u))
            answer_error(r, "usage: %s%s%s [json]", cmd->name, cmd->arg ? " " : "",
                         cmd->arg ? cmd->arg : "");
        else
            cmd->run(ctl, r, n == 2 ? words[1] : NULL);
        return;
    }
    answer_error(r, "unknown request '%s' (known: status, stats, reset domN/NAME, "
                 "reload; each optionally followed by json)", words[0]);
}

/* "COMMAND [ARG] [json]": at most three words. */
static void handle_request(struct xvd_control *ctl, struct reply *r, char *line)
{
    char *words[4];
    unsigned n = 0;
    char *save, *w;

    line[strcspn(line, "\r")] = '\0';
    reply_reset(r, false);
    if (!printable(line)) {
        answer_error(r, "malformed request (not printable text)");
        return;
    }
    for (w = strtok_r(line, " \t", &save); w && n < 4; w = strtok_r(NULL, " \t", &save))
        words[n++] = w;
    if (n > 1 && strcmp(words[n - 1], "json") == 0) {
        r->json = true;
        n--;
    }
    if (n == 0 || n > 2)
        answer_error(r, "malformed request (COMMAND [ARG] [json], one line)");
    else
        run_command(ctl, r, words, n);
    if (r->overflow)
        answer_error(r, "answer larger than %u bytes", REPLY_MAX);
}

/* ---- clients ---- */

/* Closing a Unix socket with unread input resets the peer's end, which may
 * then lose our answer: take what it sent beyond its line (a bounded
 * amount; a peer still sending after that loses its answer). */
static void discard_input(int fd)
{
    char scratch[4096];

    for (unsigned i = 0; i < 16; i++)
        if (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) <= 0)
            return;
}

static void client_drop(struct client *c)
{
    xvd_loop_del_fd(c->ctl->loop, c->fd);
    close(c->fd);
    reply_reset(&c->out, false);
    c->fd = -1;
}

static void on_client(void *opaque, uint32_t events);

/* Send what the peer takes now; the rest when it is writable again. */
static void client_flush(struct client *c)
{
    while (c->sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.buf + c->sent, c->out.len - c->sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            client_drop(c);
            return;
        }
        c->sent += (size_t)n;
    }
    /* One request per connection: closing is the end of the answer. */
    discard_input(c->fd);
    client_drop(c);
}

static void client_answer(struct client *c)
{
    c->replying = true;
    c->sent = 0;
    client_flush(c);
    if (c->fd < 0)
        return;
    /* The peer is not reading yet: wait until it can take more. */
    xvd_loop_del_fd(c->ctl->loop, c->fd);
    if (xvd_loop_add_fd(c->ctl->loop, c->fd, EPOLLOUT, on_client, c) < 0)
        client_drop(c);
}

static void client_read(struct client *c)
{
    size_t room = sizeof(c->line) - 1 - c->line_len;
    ssize_t n = recv(c->fd, c->line + c->line_len, room, MSG_DONTWAIT);
    char *newline;

    if (n < 0 && errno == EAGAIN)
        return;
    if (n < 0 || (n == 0 && c->line_len == 0)) {
        client_drop(c);
        return;
    }
    c->line_len += (size_t)n;
    c->line[c->line_len] = '\0';
    newline = memchr(c->line, '\n', c->line_len);
    if (newline) {
        *newline = '\0';
    } else if (c->line_len > XVD_CONTROL_LINE_MAX) {
        answer_error(&c->out, "request longer than %d bytes", XVD_CONTROL_LINE_MAX);
        client_answer(c);
        return;
    } else if (n > 0) {
        return; /* the rest of the line is still coming */
    }
    /* A line, or what came before the peer's end of file. */
    handle_request(c->ctl, &c->out, c->line);
    client_answer(c);
}

static void on_client(void *opaque, uint32_t events)
{
    struct client *c = opaque;

    (void)events;
    if (c->replying)
        client_flush(c);
    else
        client_read(c);
}

static struct client *client_slot(struct xvd_control *ctl)
{
    struct client *oldest = &ctl->clients[0];

    for (unsigned i = 0; i < CLIENTS_MAX; i++) {
        struct client *c = &ctl->clients[i];

        if (c->fd < 0)
            return c;
        if (c->seq < oldest->seq)
            oldest = c;
    }
    xvd_log(LOG_INFO, NULL, "control: %d clients; dropping the oldest", CLIENTS_MAX);
    client_drop(oldest);
    return oldest;
}

/* Only root and the daemon's own user may ask: reset and reload act on
 * every guest. Refused peers hear why, if their socket takes it. */
static bool peer_allowed(struct xvd_control *ctl, int fd)
{
    char msg[80];
    uid_t uid;
    int n;

    if (xvd_peer_is_admin(fd, &uid))
        return true;
    n = snprintf(msg, sizeof(msg), XVD_CONTROL_ERROR "permission denied (uid %d)\n",
                 (int)uid);
    (void)send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    xvd_log_ratelimited(&ctl->ratelimit, LOG_NOTICE, NULL,
                        "control: refused a client of uid %d", (int)uid);
    return false;
}

static void on_listen(void *opaque, uint32_t events)
{
    struct xvd_control *ctl = opaque;
    struct client *c;
    int fd;

    (void)events;
    fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (!peer_allowed(ctl, fd)) {
        discard_input(fd);
        close(fd);
        return;
    }
    c = client_slot(ctl);
    *c = (struct client){ .ctl = ctl, .fd = fd, .seq = ctl->next_seq++ };
    if (xvd_loop_add_fd(ctl->loop, fd, EPOLLIN, on_client, c) < 0) {
        close(fd);
        c->fd = -1;
    }
}

/* ---- the listening socket ---- */

static int make_parent_dir(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* A socket left by a daemon that died refuses connections; a live one
 * (or one whose backlog is full) does not, and is not ours to take. */
static bool stale_socket(const struct sockaddr_un *addr)
{
    struct stat st;
    int fd, rc;

    if (lstat(addr->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    close(fd);
    return rc < 0 && errno == ECONNREFUSED;
}

static int bind_private(int fd, const struct sockaddr_un *addr)
{
    /* 0600 from the start: no moment where others could connect. */
    mode_t old = umask(0177);
    int rc = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));

    umask(old);
    return rc < 0 ? -errno : 0;
}

static int listen_at(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd, rc;

    if (strlen(path) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    rc = make_parent_dir(path);
    if (rc < 0)
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = bind_private(fd, &addr);
    if (rc == -EADDRINUSE && stale_socket(&addr) && unlink(path) == 0)
        rc = bind_private(fd, &addr);
    if (rc == 0 && listen(fd, CLIENTS_MAX) < 0) {
        rc = -errno;
        unlink(path);
    }
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

struct xvd_control *xvd_control_open(struct xvd_loop *loop, const char *path,
                                     const struct xvd_control_ops *ops,
                                     void *opaque)
{
    struct xvd_control *ctl = calloc(1, sizeof(*ctl));
    int fd, rc;

    if (!ctl)
        return NULL;
    fd = listen_at(path);
    if (fd < 0) {
        free(ctl);
        errno = -fd;
        return NULL;
    }
    ctl->loop = loop;
    ctl->fd = fd;
    ctl->ops = ops;
    ctl->opaque = opaque;
    snprintf(ctl->path, sizeof(ctl->path), "%s", path);
    for (unsigned i = 0; i < CLIENTS_MAX; i++)
        ctl->clients[i].fd = -1;
    rc = xvd_loop_add_fd(loop, fd, EPOLLIN, on_listen, ctl);
    if (rc < 0) {
        xvd_control_close(ctl);
        errno = -rc;
        return NULL;
    }
    xvd_log(LOG_INFO, NULL, "control socket %s", path);
    return ctl;
}

void xvd_control_close(struct xvd_control *ctl)
{
    if (!ctl)
        return;
    for (unsigned i = 0; i < CLIENTS_MAX; i++)
        if (ctl->clients[i].fd >= 0)
            client_drop(&ctl->clients[i]);
    xvd_loop_del_fd(ctl->loop, ctl->fd);
    close(ctl->fd);
    unlink(ctl->path);
    free(ctl);
}
