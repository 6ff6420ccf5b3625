/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connections of xensim-xenstored: the xenstore wire protocol (xs_wire.h),
 * request dispatch, watches, transactions and domains.
 *
 * Identity: a connection accepted on the main socket is dom0 (privileged,
 * bypasses permissions). When dom0 INTRODUCEs domain N, the daemon starts
 * listening on "<main socket>.d<N>"; connections there act as domain N,
 * unprivileged, with real xenstored's permission checks. RELEASE closes
 * those connections (dropping their watches and transactions) and removes
 * the socket, as real xenstored drops the domain's ring.
 */
#include "xenstored.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Xen's DOMID_SELF: real xenstored says it is always introduced. */
#define DOMID_SELF_VALUE 0x7FF0u

static const char introduce_event[] = "@introduceDomain";
static const char release_event[] = "@releaseDomain";

/* ---- output ---------------------------------------------------------------- */

static void conn_kill(struct xs_conn *conn);

static void conn_flush(struct xs_conn *conn)
{
    while (conn->out_sent < conn->out_len) {
        ssize_t n = send(conn->fd, conn->out + conn->out_sent, conn->out_len - conn->out_sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            conn_kill(conn);
            return;
        }
        conn->out_sent += (size_t)n;
    }
    if (conn->out_sent == conn->out_len) {
        conn->out_sent = conn->out_len = 0;
    }
    bool want_out = conn->out_len != 0;

    if (want_out != conn->polling_out) {
        conn->polling_out = want_out;
        daemon_poll_mod(conn->daemon, conn->fd, &conn->poll,
                        EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0));
    }
}

static void conn_send(struct xs_conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
                      const void *data, size_t len)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id,
                               .len = (uint32_t)len };
    size_t need = conn->out_len + sizeof(hdr) + len;

    if (conn->dead) {
        return;
    }
    if (need > conn->out_cap) {
        size_t cap = conn->out_cap ? conn->out_cap : 8192;
        char *grown;

        while (cap < need) {
            cap *= 2;
        }
        grown = realloc(conn->out, cap);
        if (!grown) {
            conn_kill(conn);    /* a lost reply would hang the client: drop it instead */
            return;
        }
        conn->out = grown;
        conn->out_cap = cap;
    }
    memcpy(conn->out + conn->out_len, &hdr, sizeof(hdr));
    if (len) {
        memcpy(conn->out + conn->out_len + sizeof(hdr), data, len);
    }
    conn->out_len = need;
    conn_flush(conn);
}

static void reply(struct xs_conn *conn, const struct xsd_sockmsg *req, const void *data,
                  size_t len)
{
    /* Real xenstored answers E2BIG rather than break the payload limit. */
    if (len > XENSTORE_PAYLOAD_MAX) {
        static const char e2big[] = "E2BIG";

        conn_send(conn, XS_ERROR, req->req_id, req->tx_id, e2big, sizeof(e2big));
        return;
    }
    conn_send(conn, req->type, req->req_id, req->tx_id, data, len);
}

static void reply_ok(struct xs_conn *conn, const struct xsd_sockmsg *req)
{
    reply(conn, req, "OK", 3);
}

static void reply_string(struct xs_conn *conn, const struct xsd_sockmsg *req, const char *text)
{
    reply(conn, req, text, strlen(text) + 1);
}

static void reply_error(struct xs_conn *conn, const struct xsd_sockmsg *req, int err)
{
    const char *name = xsd_errors[0].errstring;     /* EINVAL, as real xenstored */

    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
        if (xsd_errors[i].errnum == err) {
            name = xsd_errors[i].errstring;
            break;
        }
    }
    conn_send(conn, XS_ERROR, req->req_id, req->tx_id, name, strlen(name) + 1);
}

/* ---- watches --------------------------------------------------------------- */

static struct node_perms *special_perms(struct xs_daemon *daemon, const char *path)
{
    if (strcmp(path, introduce_event) == 0) {
        return &daemon->introduce_perms;
    }
    if (strcmp(path, release_event) == 0) {
        return &daemon->release_perms;
    }
    return NULL;
}

/* Real xenstored: a watcher must be able to read the node or its parent. */
static bool watch_permitted(const struct xs_conn *conn, const struct xs_node *node,
                            const struct node_perms *old_perms)
{
    if (old_perms && (perms_for(old_perms, &conn->who) & NODE_PERM_READ)) {
        return true;
    }
    if (!node) {
        return false;
    }
    if (perms_for(&node->perms, &conn->who) & NODE_PERM_READ) {
        return true;
    }
    return node->parent && (perms_for(&node->parent->perms, &conn->who) & NODE_PERM_READ);
}

static void send_event(struct xs_conn *conn, const struct xs_watch *watch, const char *path)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t path_len;
    size_t token_len = strlen(watch->token) + 1;

    /* A relative watch reports paths relative to the domain's home, like it was set. */
    if (watch->relative) {
        char home[32];
        size_t home_len = (size_t)snprintf(home, sizeof(home), "/local/domain/%u",
                                           conn->who.domid);

        if (strncmp(path, home, home_len) == 0) {
            path += home_len;
            if (*path == '/') {
                path++;
            }
        }
    }
    path_len = strlen(path) + 1;
    if (path_len + token_len > sizeof(buf)) {
        return;     /* real xenstored drops such events too */
    }
    memcpy(buf, path, path_len);
    memcpy(buf + path_len, watch->token, token_len);
    conn_send(conn, XS_WATCH_EVENT, 0, 0, buf, path_len + token_len);
}

void watch_fire(struct xs_daemon *daemon, const char *path, const struct xs_node *node,
                bool exact, const struct node_perms *old_perms)
{
    const struct node_perms *special = special_perms(daemon, path);

    for (struct xs_conn *conn = daemon->conns; conn; conn = conn->next) {
        if (conn->dead || !conn->watches) {
            continue;
        }
        if (special) {
            if (!(perms_for(special, &conn->who) & NODE_PERM_READ)) {
                continue;
            }
        } else if (!watch_permitted(conn, node, old_perms)) {
            continue;
        }
        for (struct xs_watch *watch = conn->watches; watch && !conn->dead; watch = watch->next) {
            bool match = exact ? strcmp(watch->path, path) == 0
                               : path_is_ancestor_or_self(watch->path, path);

            if (match) {
                send_event(conn, watch, path);
            }
        }
    }
}

static void watch_free(struct xs_watch *watch)
{
    free(watch->path);
    free(watch->token);
    free(watch);
}

static void conn_drop_watches_and_transactions(struct xs_conn *conn)
{
    while (conn->watches) {
        struct xs_watch *watch = conn->watches;

        conn->watches = watch->next;
        watch_free(watch);
    }
    conn->nr_watches = 0;
    while (conn->transactions) {
        struct xs_transaction *tx = conn->transactions;

        conn->transactions = tx->next;
        tx_free(tx);
    }
    conn->nr_transactions = 0;
}

/* ---- connections ----------------------------------------------------------- */

static void conn_kill(struct xs_conn *conn)
{
    if (conn->dead) {
        return;
    }
    /*
     * Watches and transactions stay until daemon_reap(): this may run in
     * the middle of watch_fire() walking them. A dead connection gets no
     * events and no requests.
     */
    conn->dead = true;
    epoll_ctl(conn->daemon->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
    close(conn->fd);
    conn->fd = -1;
}

static void conn_free(struct xs_conn *conn)
{
    conn_kill(conn);
    conn_drop_watches_and_transactions(conn);
    free(conn->in_payload);
    free(conn->out);
    free(conn);
}

void conn_accept(struct xs_daemon *daemon, int listen_fd, const struct xs_identity *who)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct xs_conn *conn;

    if (fd < 0) {
        return;
    }
    conn = calloc(1, sizeof(*conn));
    if (!conn) {
        close(fd);
        return;
    }
    conn->poll.kind = POLLABLE_CONN;
    conn->daemon = daemon;
    conn->fd = fd;
    conn->who = *who;
    conn->next_tx_id = 1;
    if (daemon_poll_add(daemon, fd, &conn->poll, EPOLLIN | EPOLLRDHUP) < 0) {
        close(fd);
        free(conn);
        return;
    }
    conn->next = daemon->conns;
    daemon->conns = conn;
}

void daemon_reap(struct xs_daemon *daemon)
{
    struct xs_conn **link = &daemon->conns;

    while (*link) {
        struct xs_conn *conn = *link;

        if (conn->dead) {
            *link = conn->next;
            conn_free(conn);
        } else {
            link = &conn->next;
        }
    }
    while (daemon->released_domains) {
        struct xs_domain *domain = daemon->released_domains;

        daemon->released_domains = domain->next;
        free(domain->socket_path);
        free(domain);
    }
}

static void domain_close(struct xs_daemon *daemon, struct xs_domain *domain)
{
    if (domain->listen_fd >= 0) {
        epoll_ctl(daemon->epoll_fd, EPOLL_CTL_DEL, domain->listen_fd, NULL);
        close(domain->listen_fd);
        domain->listen_fd = -1;
        unlink(domain->socket_path);
    }
}

void daemon_free_all(struct xs_daemon *daemon)
{
    for (struct xs_conn *conn = daemon->conns; conn; conn = conn->next) {
        conn_kill(conn);
    }
    while (daemon->domains) {
        struct xs_domain *domain = daemon->domains;

        daemon->domains = domain->next;
        domain_close(daemon, domain);
        domain->next = daemon->released_domains;
        daemon->released_domains = domain;
    }
    daemon_reap(daemon);
    node_free(daemon->root);
    daemon->root = NULL;
    perms_release(&daemon->introduce_perms);
    perms_release(&daemon->release_perms);
}

/* ---- request helpers ------------------------------------------------------- */

/* The payload is exactly one NUL-terminated string (real xenstored's onearg). */
static const char *one_arg(const char *payload, size_t len)
{
    if (len == 0 || payload[len - 1] != '\0' || strlen(payload) != len - 1) {
        return NULL;
    }
    return payload;
}

/* Splits the payload into up to max NUL-terminated strings; returns how many. */
static unsigned int get_strings(const char *payload, size_t len, const char **vec,
                                unsigned int max)
{
    unsigned int count = 0;
    size_t offset = 0;

    while (offset < len && count < max) {
        const char *end = memchr(payload + offset, '\0', len - offset);

        if (!end) {
            break;
        }
        vec[count++] = payload + offset;
        offset = (size_t)(end - payload) + 1;
    }
    return count;
}

/* Makes a relative path absolute under the connection's home. malloc()ed. */
static char *canonical_path(const struct xs_conn *conn, const char *path)
{
    char *result;

    if (path[0] == '/' || path[0] == '@') {
        return strdup(path);
    }
    if (asprintf(&result, "/local/domain/%u/%s", conn->who.domid, path) < 0) {
        return NULL;
    }
    return result;
}

static struct xs_domain *find_domain(struct xs_daemon *daemon, unsigned int domid)
{
    for (struct xs_domain *domain = daemon->domains; domain; domain = domain->next) {
        if (domain->domid == domid) {
            return domain;
        }
    }
    return NULL;
}

static struct xs_transaction *find_transaction(struct xs_conn *conn, uint32_t id)
{
    for (struct xs_transaction *tx = conn->transactions; tx; tx = tx->next) {
        if (tx->id == id) {
            return tx;
        }
    }
    return NULL;
}

static void unlink_transaction(struct xs_conn *conn, struct xs_transaction *tx)
{
    for (struct xs_transaction **link = &conn->transactions; *link; link = &(*link)->next) {
        if (*link == tx) {
            *link = tx->next;
            conn->nr_transactions--;
            return;
        }
    }
}

/* ---- node requests ----------------------------------------------------------- */

static int do_read(struct xs_conn *conn, struct op_ctx *ctx, const struct xsd_sockmsg *req,
                   const char *path)
{
    struct xs_node *node;
    int rc = op_lookup(ctx, path, NODE_PERM_READ, &node);

    if (rc == 0) {
        reply(conn, req, node->value, node->value_len);
    }
    return rc;
}

static int do_directory(struct xs_conn *conn, struct op_ctx *ctx,
                        const struct xsd_sockmsg *req, const char *path)
{
    char buf[XENSTORE_PAYLOAD_MAX + 1];
    size_t used = 0;
    struct xs_node *node;
    int rc = op_lookup(ctx, path, NODE_PERM_READ, &node);

    if (rc < 0) {
        return rc;
    }
    for (unsigned int i = 0; i < node->nr_children; i++) {
        size_t name_len = strlen(node->children[i]->name) + 1;

        if (used + name_len > XENSTORE_PAYLOAD_MAX) {
            return -E2BIG;  /* libxenstore then falls back to XS_DIRECTORY_PART */
        }
        memcpy(buf + used, node->children[i]->name, name_len);
        used += name_len;
    }
    reply(conn, req, buf, used);
    return 0;
}

/* Reply: "<generation>\0" then children from the offset; a final "\0" ends the list. */
static int do_directory_part(struct xs_conn *conn, struct op_ctx *ctx,
                             const struct xsd_sockmsg *req, const char *path,
                             const char *offset_text)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    struct xs_node *node;
    size_t used;
    size_t skipped = 0;
    size_t offset = strtoul(offset_text, NULL, 10);
    unsigned int i;
    int rc = op_lookup(ctx, path, NODE_PERM_READ, &node);

    if (rc < 0) {
        return rc;
    }
    used = (size_t)snprintf(buf, sizeof(buf), "%" PRIu64, node->generation) + 1;
    /* The offset counts bytes of the NUL-separated child list, as in real xenstored. */
    for (i = 0; i < node->nr_children && skipped < offset; i++) {
        skipped += strlen(node->children[i]->name) + 1;
    }
    for (; i < node->nr_children; i++) {
        size_t name_len = strlen(node->children[i]->name) + 1;

        if (used + name_len + 1 > sizeof(buf)) {
            reply(conn, req, buf, used);
            return 0;
        }
        memcpy(buf + used, node->children[i]->name, name_len);
        used += name_len;
    }
    buf[used++] = '\0';
    reply(conn, req, buf, used);
    return 0;
}

static int do_get_perms(struct xs_conn *conn, struct op_ctx *ctx,
                        const struct xsd_sockmsg *req, const char *path)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    const struct node_perms *perms = special_perms(conn->daemon, path);
    struct xs_node *node;

    if (!perms) {
        int rc = op_lookup(ctx, path, NODE_PERM_READ, &node);

        if (rc < 0) {
            return rc;
        }
        perms = &node->perms;
    }
    reply(conn, req, buf, perms_format(perms, buf, sizeof(buf)));
    return 0;
}

static int do_set_perms(struct xs_conn *conn, struct op_ctx *ctx,
                        const struct xsd_sockmsg *req, const char *payload, size_t len)
{
    const char *path = payload;
    size_t path_len = strnlen(payload, len);
    struct node_perms perms;
    struct node_perms *special;
    char *canonical;
    int rc;

    if (path_len == len) {
        return -EINVAL;
    }
    rc = perms_parse(payload + path_len + 1, len - path_len - 1, &perms);
    if (rc < 0) {
        return rc;
    }
    canonical = canonical_path(conn, path);
    if (!canonical) {
        perms_release(&perms);
        return -ENOMEM;
    }
    special = special_perms(conn->daemon, canonical);
    if (special) {
        /* Only who may change the special node's perms (dom0 by default) may. */
        unsigned int have = perms_for(special, &conn->who);

        if ((have & (NODE_PERM_WRITE | NODE_PERM_OWNER)) !=
            (NODE_PERM_WRITE | NODE_PERM_OWNER)) {
            rc = -EACCES;
        } else {
            perms_release(special);
            *special = perms;
            perms.entries = NULL;
        }
    } else {
        rc = op_set_perms(ctx, canonical, &perms);
        if (rc == 0 && ctx->tx) {
            rc = tx_log_op(ctx->tx, XS_SET_PERMS, canonical, payload + path_len + 1,
                           len - path_len - 1);
        }
    }
    free(canonical);
    perms_release(&perms);
    if (rc == 0) {
        reply_ok(conn, req);
    }
    return rc;
}

static int do_write(struct xs_conn *conn, struct op_ctx *ctx, const struct xsd_sockmsg *req,
                    const char *payload, size_t len)
{
    size_t path_len = strnlen(payload, len);
    char *path;
    int rc;

    if (path_len == len) {
        return -EINVAL;
    }
    path = canonical_path(conn, payload);
    if (!path) {
        return -ENOMEM;
    }
    rc = op_write(ctx, path, payload + path_len + 1, len - path_len - 1);
    if (rc == 0 && ctx->tx) {
        rc = tx_log_op(ctx->tx, XS_WRITE, path, payload + path_len + 1, len - path_len - 1);
    }
    free(path);
    if (rc == 0) {
        reply_ok(conn, req);
    }
    return rc;
}

/* XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM: one path argument. */
static int do_path_request(struct xs_conn *conn, struct op_ctx *ctx,
                           const struct xsd_sockmsg *req, const char *payload, size_t len)
{
    const char *arg = one_arg(payload, len);
    char *path;
    int rc;

    if (!arg) {
        return -EINVAL;
    }
    path = canonical_path(conn, arg);
    if (!path) {
        return -ENOMEM;
    }
    switch (req->type) {
    case XS_READ:
        rc = do_read(conn, ctx, req, path);
        break;
    case XS_DIRECTORY:
        rc = do_directory(conn, ctx, req, path);
        break;
    case XS_GET_PERMS:
        rc = do_get_perms(conn, ctx, req, path);
        break;
    case XS_MKDIR:
    case XS_RM:
        rc = req->type == XS_MKDIR ? op_mkdir(ctx, path) : op_rm(ctx, path);
        if (rc == 0 && ctx->tx) {
            rc = tx_log_op(ctx->tx, req->type, path, NULL, 0);
        }
        if (rc == 0) {
            reply_ok(conn, req);
        }
        break;
    default:
        rc = -ENOSYS;
        break;
    }
    free(path);
    return rc;
}

/* ---- watches and transactions ------------------------------------------------ */

static int do_watch(struct xs_conn *conn, const struct xsd_sockmsg *req, const char *payload,
                    size_t len)
{
    const char *vec[2];
    struct xs_watch *watch;
    char *path;

    if (get_strings(payload, len, vec, 2) != 2) {
        return -EINVAL;
    }
    path = canonical_path(conn, vec[0]);
    if (!path) {
        return -ENOMEM;
    }
    if (path[0] == '@' ? strlen(path) > XENSTORE_REL_PATH_MAX : !path_is_valid(path)) {
        free(path);
        return -EINVAL;
    }
    for (watch = conn->watches; watch; watch = watch->next) {
        if (strcmp(watch->path, path) == 0 && strcmp(watch->token, vec[1]) == 0) {
            free(path);
            return -EEXIST;
        }
    }
    if (conn->nr_watches >= MAX_WATCHES_PER_CONN) {
        free(path);
        return -E2BIG;
    }
    watch = calloc(1, sizeof(*watch));
    if (!watch || !(watch->token = strdup(vec[1]))) {
        free(watch);
        free(path);
        return -ENOMEM;
    }
    watch->path = path;
    watch->relative = vec[0][0] != '/' && vec[0][0] != '@';
    /* Appended: events of one change reach a connection's watches in creation order. */
    struct xs_watch **tail = &conn->watches;

    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = watch;
    conn->nr_watches++;
    reply_ok(conn, req);
    /* Real xenstored fires every new watch once, whatever the node's state. */
    send_event(conn, watch, watch->path);
    return 0;
}

static int do_unwatch(struct xs_conn *conn, const struct xsd_sockmsg *req,
                      const char *payload, size_t len)
{
    const char *vec[2];
    char *path;

    if (get_strings(payload, len, vec, 2) != 2) {
        return -EINVAL;
    }
    path = canonical_path(conn, vec[0]);
    if (!path) {
        return -ENOMEM;
    }
    for (struct xs_watch **link = &conn->watches; *link; link = &(*link)->next) {
        struct xs_watch *watch = *link;

        if (strcmp(watch->path, path) == 0 && strcmp(watch->token, vec[1]) == 0) {
            *link = watch->next;
            watch_free(watch);
            conn->nr_watches--;
            free(path);
            reply_ok(conn, req);
            return 0;
        }
    }
    free(path);
    return -ENOENT;
}

static int do_transaction_start(struct xs_conn *conn, const struct xsd_sockmsg *req,
                                struct xs_transaction *current)
{
    struct xs_transaction *tx;
    char id_text[16];

    if (current) {
        return -EBUSY;      /* no nesting */
    }
    if (conn->nr_transactions >= MAX_TRANSACTIONS_PER_CONN) {
        return -ENOSPC;
    }
    tx = calloc(1, sizeof(*tx));
    if (!tx) {
        return -ENOMEM;
    }
    tx->snapshot = node_clone(conn->daemon->root, NULL);
    if (!tx->snapshot) {
        free(tx);
        return -ENOMEM;
    }
    /* Ids are per connection, never 0 (XBT_NULL), and not reused while open. */
    do {
        tx->id = conn->next_tx_id++;
    } while (tx->id == 0 || find_transaction(conn, tx->id));
    tx->next = conn->transactions;
    conn->transactions = tx;
    conn->nr_transactions++;
    snprintf(id_text, sizeof(id_text), "%" PRIu32, tx->id);
    reply_string(conn, req, id_text);
    return 0;
}

static int do_transaction_end(struct xs_conn *conn, const struct xsd_sockmsg *req,
                              struct xs_transaction *tx, const char *payload, size_t len)
{
    const char *arg = one_arg(payload, len);
    int rc = 0;

    if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0)) {
        return -EINVAL;
    }
    if (!tx) {
        return -ENOENT;
    }
    /* Either way the transaction is over, as in real xenstored. */
    unlink_transaction(conn, tx);
    if (strcmp(arg, "T") == 0) {
        rc = tx_commit(conn->daemon, &conn->who, tx);
    }
    tx_free(tx);
    if (rc == 0) {
        reply_ok(conn, req);
    }
    return rc;
}

/* ---- domains ------------------------------------------------------------------- */

static void update_target(struct xs_daemon *daemon, const struct xs_domain *domain)
{
    for (struct xs_conn *conn = daemon->conns; conn; conn = conn->next) {
        if (!conn->who.privileged && conn->who.domid == domain->domid) {
            conn->who.has_target = domain->has_target;
            conn->who.target = domain->target;
        }
    }
}

static int do_introduce(struct xs_conn *conn, const struct xsd_sockmsg *req,
                        const char *payload, size_t len)
{
    struct xs_daemon *daemon = conn->daemon;
    const char *vec[3];
    struct xs_domain *domain;
    unsigned int domid;

    if (get_strings(payload, len, vec, 3) < 3) {
        return -EINVAL;
    }
    domid = (unsigned int)atoi(vec[0]);
    if (atoi(vec[2]) <= 0) {
        return -EINVAL;     /* real xenstored insists on an event channel port */
    }
    /* dom0 is always there (the main socket); re-introducing is only an ack. */
    if (domid == 0 || find_domain(daemon, domid)) {
        reply_ok(conn, req);
        return 0;
    }
    domain = calloc(1, sizeof(*domain));
    if (!domain || asprintf(&domain->socket_path, "%s.d%u", daemon->socket_path, domid) < 0) {
        free(domain);
        return -ENOMEM;
    }
    domain->poll.kind = POLLABLE_DOMAIN_LISTENER;
    domain->domid = domid;
    domain->listen_fd = daemon_listen(domain->socket_path);
    if (domain->listen_fd < 0 ||
        daemon_poll_add(daemon, domain->listen_fd, &domain->poll, EPOLLIN) < 0) {
        int rc = domain->listen_fd < 0 ? domain->listen_fd : -EIO;

        domain_close(daemon, domain);
        free(domain->socket_path);
        free(domain);
        return rc;
    }
    domain->next = daemon->domains;
    daemon->domains = domain;
    reply_ok(conn, req);
    watch_fire(daemon, introduce_event, NULL, true, NULL);
    return 0;
}

static void remove_domid_from_perms(struct node_perms *perms, unsigned int domid)
{
    unsigned int kept = 1;

    for (unsigned int i = 1; i < perms->count; i++) {
        if (perms->entries[i].domid != domid) {
            perms->entries[kept++] = perms->entries[i];
        }
    }
    perms->count = kept;
}

static int do_release(struct xs_conn *conn, const struct xsd_sockmsg *req,
                      const char *payload, size_t len)
{
    struct xs_daemon *daemon = conn->daemon;
    const char *arg = one_arg(payload, len);
    struct xs_domain *domain;
    unsigned int domid;

    if (!arg || (domid = (unsigned int)atoi(arg)) == 0) {
        return -EINVAL;
    }
    domain = find_domain(daemon, domid);
    if (!domain) {
        return -ENOENT;
    }
    for (struct xs_domain **link = &daemon->domains; *link; link = &(*link)->next) {
        if (*link == domain) {
            *link = domain->next;
            break;
        }
    }
    domain_close(daemon, domain);
    domain->next = daemon->released_domains;
    daemon->released_domains = domain;
    for (struct xs_conn *other = daemon->conns; other; other = other->next) {
        if (!other->who.privileged && other->who.domid == domid) {
            conn_kill(other);
        }
        /* A domain targeting the released one loses that right with it. */
        if (other->who.has_target && other->who.target == domid) {
            other->who.has_target = false;
        }
    }
    for (struct xs_domain *other = daemon->domains; other; other = other->next) {
        if (other->has_target && other->target == domid) {
            other->has_target = false;
        }
    }
    /* Real xenstored (without -K) deletes the nodes the domain owned. */
    op_remove_domain_nodes(daemon, domid);
    remove_domid_from_perms(&daemon->introduce_perms, domid);
    remove_domid_from_perms(&daemon->release_perms, domid);
    reply_ok(conn, req);
    watch_fire(daemon, release_event, NULL, true, NULL);
    return 0;
}

static int do_set_target(struct xs_conn *conn, const struct xsd_sockmsg *req,
                         const char *payload, size_t len)
{
    const char *vec[2];
    struct xs_domain *domain;
    unsigned int target;

    if (get_strings(payload, len, vec, 2) < 2) {
        return -EINVAL;
    }
    domain = find_domain(conn->daemon, (unsigned int)atoi(vec[0]));
    target = (unsigned int)atoi(vec[1]);
    if (!domain || (target != 0 && !find_domain(conn->daemon, target))) {
        return -ENOENT;
    }
    domain->has_target = true;
    domain->target = target;
    update_target(conn->daemon, domain);
    reply_ok(conn, req);
    return 0;
}

static int do_domain_query(struct xs_conn *conn, const struct xsd_sockmsg *req,
                           const char *payload, size_t len)
{
    const char *arg = one_arg(payload, len);
    unsigned int domid;
    char text[32];

    if (!arg) {
        return -EINVAL;
    }
    domid = (unsigned int)atoi(arg);
    switch (req->type) {
    case XS_GET_DOMAIN_PATH:
        snprintf(text, sizeof(text), "/local/domain/%u", domid);
        reply_string(conn, req, text);
        return 0;
    case XS_IS_DOMAIN_INTRODUCED: {
        bool known = domid == 0 || domid == DOMID_SELF_VALUE || find_domain(conn->daemon, domid);

        reply_string(conn, req, known ? "T" : "F");
        return 0;
    }
    case XS_RESUME:
        if (domid == 0) {
            return -EINVAL;
        }
        if (!find_domain(conn->daemon, domid)) {
            return -ENOENT;
        }
        reply_ok(conn, req);
        return 0;
    default:
        return -ENOSYS;
    }
}

static int do_control(struct xs_conn *conn, const struct xsd_sockmsg *req,
                      const char *payload, size_t len)
{
    static const char help[] =
        "Available commands:\n"
        "check\n"
        "log [on|off|+<switch>|-<switch>]\n"
        "print <string>\n"
        "help\n";
    const char *vec[1];

    if (get_strings(payload, len, vec, 1) < 1) {
        return -EINVAL;
    }
    if (strcmp(vec[0], "help") == 0) {
        reply_string(conn, req, help);
        return 0;
    }
    /* Debug aids of real xenstored that have nothing to do here. */
    if (strcmp(vec[0], "check") == 0 || strcmp(vec[0], "log") == 0 ||
        strcmp(vec[0], "print") == 0) {
        reply_ok(conn, req);
        return 0;
    }
    return -EINVAL;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static bool request_is_privileged(uint32_t type)
{
    switch (type) {
    case XS_CONTROL:
    case XS_INTRODUCE:
    case XS_RELEASE:
    case XS_IS_DOMAIN_INTRODUCED:
    case XS_RESUME:
    case XS_SET_TARGET:
        return true;
    default:
        return false;
    }
}

static void conn_process(struct xs_conn *conn, const struct xsd_sockmsg *req, char *payload)
{
    size_t len = req->len;
    struct xs_transaction *tx = NULL;
    struct op_ctx ctx = { .daemon = conn->daemon, .root = conn->daemon->root,
                          .who = &conn->who };
    int rc;

    if (req->type >= XS_TYPE_COUNT || req->type == XS_WATCH_EVENT || req->type == XS_ERROR ||
        req->type == XS_SET_TARGET + 1) {
        reply_error(conn, req, ENOSYS);
        return;
    }
    if (request_is_privileged(req->type) && !conn->who.privileged) {
        reply_error(conn, req, EACCES);
        return;
    }
    /* As in real xenstored, only (UN)WATCH ignore the transaction id. */
    if (req->tx_id != 0 && req->type != XS_WATCH && req->type != XS_UNWATCH) {
        tx = find_transaction(conn, req->tx_id);
        if (!tx) {
            reply_error(conn, req, ENOENT);
            return;
        }
        ctx.root = tx->snapshot;
        ctx.tx = tx;
    }

    switch (req->type) {
    case XS_READ:
    case XS_DIRECTORY:
    case XS_GET_PERMS:
    case XS_MKDIR:
    case XS_RM:
        rc = do_path_request(conn, &ctx, req, payload, len);
        break;
    case XS_DIRECTORY_PART: {
        const char *vec[2];
        char *path;

        if (get_strings(payload, len, vec, 2) != 2) {
            rc = -EINVAL;
            break;
        }
        path = canonical_path(conn, vec[0]);
        rc = path ? do_directory_part(conn, &ctx, req, path, vec[1]) : -ENOMEM;
        free(path);
        break;
    }
    case XS_WRITE:
        rc = do_write(conn, &ctx, req, payload, len);
        break;
    case XS_SET_PERMS:
        rc = do_set_perms(conn, &ctx, req, payload, len);
        break;
    case XS_WATCH:
        rc = do_watch(conn, req, payload, len);
        break;
    case XS_UNWATCH:
        rc = do_unwatch(conn, req, payload, len);
        break;
    case XS_TRANSACTION_START:
        rc = do_transaction_start(conn, req, tx);
        break;
    case XS_TRANSACTION_END:
        rc = do_transaction_end(conn, req, tx, payload, len);
        break;
    case XS_INTRODUCE:
        rc = do_introduce(conn, req, payload, len);
        break;
    case XS_RELEASE:
        rc = do_release(conn, req, payload, len);
        break;
    case XS_SET_TARGET:
        rc = do_set_target(conn, req, payload, len);
        break;
    case XS_GET_DOMAIN_PATH:
    case XS_IS_DOMAIN_INTRODUCED:
    case XS_RESUME:
        rc = do_domain_query(conn, req, payload, len);
        break;
    case XS_RESET_WATCHES:
        conn_drop_watches_and_transactions(conn);
        reply_ok(conn, req);
        rc = 0;
        break;
    case XS_CONTROL:
        rc = do_control(conn, req, payload, len);
        break;
    default:
        rc = -ENOSYS;
        break;
    }
    if (rc < 0) {
        reply_error(conn, req, -rc);
    }
}

/* ---- input ----------------------------------------------------------------------- */

/* Reads what is available; returns false once the connection is gone. */
static bool conn_read(struct xs_conn *conn)
{
    for (;;) {
        char *dst;
        size_t want;
        ssize_t n;

        if (conn->in_hdr_got < sizeof(conn->in_hdr)) {
            dst = (char *)&conn->in_hdr + conn->in_hdr_got;
            want = sizeof(conn->in_hdr) - conn->in_hdr_got;
        } else {
            dst = conn->in_payload + conn->in_payload_got;
            want = conn->in_hdr.len - conn->in_payload_got;
        }
        if (want) {
            n = recv(conn->fd, dst, want, MSG_DONTWAIT);
            if (n == 0) {
                conn_kill(conn);
                return false;
            }
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    return true;
                }
                conn_kill(conn);
                return false;
            }
        } else {
            n = 0;
        }
        if (conn->in_hdr_got < sizeof(conn->in_hdr)) {
            conn->in_hdr_got += (size_t)n;
            if (conn->in_hdr_got < sizeof(conn->in_hdr)) {
                continue;
            }
            /* Real xenstored drops a client that breaks the payload limit. */
            if (conn->in_hdr.len > XENSTORE_PAYLOAD_MAX) {
                conn_kill(conn);
                return false;
            }
            conn->in_payload = malloc(conn->in_hdr.len + 1);
            if (!conn->in_payload) {
                conn_kill(conn);
                return false;
            }
            conn->in_payload_got = 0;
            continue;
        }
        conn->in_payload_got += (size_t)n;
        if (conn->in_payload_got == conn->in_hdr.len) {
            struct xsd_sockmsg req = conn->in_hdr;
            char *payload = conn->in_payload;

            payload[req.len] = '\0';    /* guard for string helpers, not part of the message */
            conn->in_payload = NULL;
            conn->in_hdr_got = 0;
            conn_process(conn, &req, payload);
            free(payload);
            if (conn->dead) {
                return false;
            }
        }
    }
}

void conn_handle_events(struct xs_conn *conn, uint32_t events)
{
    if (conn->dead) {
        return;
    }
    if (events & EPOLLOUT) {
        conn_flush(conn);
    }
    if (!conn->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))) {
        conn_read(conn);
    }
}
