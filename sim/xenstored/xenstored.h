/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-xenstored internals shared by the event loop (xensim-xenstored.c),
 * the connection and protocol code (conn.c) and the tree operations (ops.c).
 */
#ifndef XENSIM_XENSTORED_H
#define XENSIM_XENSTORED_H

/* errno.h first: xs_wire.h only defines xsd_errors[] when EINVAL is known. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "store.h"

/* Real xenstored's default quotas, so clients hit the same limits. */
#define MAX_TRANSACTIONS_PER_CONN 10
#define MAX_WATCHES_PER_CONN 128

/* What an epoll_event's data.ptr points to; always the first member. */
enum pollable_kind {
    POLLABLE_MAIN_LISTENER,
    POLLABLE_DOMAIN_LISTENER,
    POLLABLE_CONN,
    POLLABLE_SIGNAL,
};

struct pollable {
    enum pollable_kind kind;
};

struct xs_watch {
    struct xs_watch *next;
    char *path;         /* canonical absolute path, or "@introduceDomain"/"@releaseDomain" */
    char *token;
    bool relative;      /* registered relative to the domain's home: events are too */
};

/* A node as a transaction first saw it; commit fails if the live node differs. */
struct tx_access {
    char *path;
    bool existed;
    uint64_t generation;
};

/* A successful change made in a transaction, replayed on the live tree at commit. */
struct tx_op {
    uint32_t type;      /* XS_WRITE, XS_MKDIR, XS_RM or XS_SET_PERMS */
    char *path;
    char *data;         /* value (XS_WRITE) or permission strings (XS_SET_PERMS) */
    unsigned int len;
};

struct xs_transaction {
    struct xs_transaction *next;
    uint32_t id;
    struct xs_node *snapshot;   /* private copy of the whole tree taken at start */
    struct tx_access *accesses;
    unsigned int nr_accesses;
    unsigned int accesses_cap;
    struct tx_op *ops;
    unsigned int nr_ops;
    unsigned int ops_cap;
};

struct xs_daemon;

struct xs_conn {
    struct pollable poll;
    struct xs_conn *next;
    struct xs_daemon *daemon;
    int fd;
    struct xs_identity who;
    bool dead;              /* closed; freed by daemon_reap() after this loop turn */
    bool polling_out;       /* EPOLLOUT armed because output is queued */

    struct xsd_sockmsg in_hdr;
    size_t in_hdr_got;
    char *in_payload;       /* in_hdr.len bytes plus a NUL we add */
    size_t in_payload_got;

    char *out;
    size_t out_len;
    size_t out_cap;
    size_t out_sent;

    struct xs_watch *watches;
    unsigned int nr_watches;
    struct xs_transaction *transactions;
    unsigned int nr_transactions;
    uint32_t next_tx_id;
};

struct xs_domain {
    struct pollable poll;
    struct xs_domain *next;
    unsigned int domid;
    bool has_target;
    unsigned int target;
    int listen_fd;
    char *socket_path;      /* <main socket>.d<domid> */
};

struct xs_daemon {
    int epoll_fd;
    struct pollable main_listener;
    int listen_fd;
    char *socket_path;
    struct xs_node *root;
    struct xs_conn *conns;
    struct xs_domain *domains;
    struct xs_domain *released_domains;   /* freed by daemon_reap() */
    /* Who may watch @introduceDomain / @releaseDomain (real default: "n0"). */
    struct node_perms introduce_perms;
    struct node_perms release_perms;
};

/* xensim-xenstored.c: sockets and epoll. */
int daemon_listen(const char *path);
int daemon_poll_add(struct xs_daemon *daemon, int fd, struct pollable *what, uint32_t events);
int daemon_poll_mod(struct xs_daemon *daemon, int fd, struct pollable *what, uint32_t events);

/* conn.c: connections, protocol, watches, transactions, domains. */
void conn_accept(struct xs_daemon *daemon, int listen_fd, const struct xs_identity *who);
void conn_handle_events(struct xs_conn *conn, uint32_t events);
void daemon_reap(struct xs_daemon *daemon);
void daemon_free_all(struct xs_daemon *daemon);
void watch_fire(struct xs_daemon *daemon, const char *path, const struct xs_node *node,
                bool exact, const struct node_perms *old_perms);

/* ops.c: tree operations with permission checks, watch firing and transaction records. */
struct op_ctx {
    struct xs_daemon *daemon;
    struct xs_node *root;           /* live tree, or the transaction's snapshot */
    const struct xs_identity *who;
    struct xs_transaction *tx;      /* NULL: changes are live and fire watches */
};

int ops_init_tree(struct xs_daemon *daemon);
int op_lookup(struct op_ctx *ctx, const char *path, unsigned int perm, struct xs_node **out);
int op_write(struct op_ctx *ctx, const char *path, const void *data, size_t len);
int op_mkdir(struct op_ctx *ctx, const char *path);
int op_rm(struct op_ctx *ctx, const char *path);
int op_set_perms(struct op_ctx *ctx, const char *path, const struct node_perms *perms);
/* Removes every node owned by domid, as real xenstored does when a domain goes. */
void op_remove_domain_nodes(struct xs_daemon *daemon, unsigned int domid);

void tx_free(struct xs_transaction *tx);
int tx_log_op(struct xs_transaction *tx, uint32_t type, const char *path,
              const void *data, size_t len);
/* Checks for conflicts (-EAGAIN) and replays the transaction on the live tree. */
int tx_commit(struct xs_daemon *daemon, const struct xs_identity *who,
              struct xs_transaction *tx);

#endif
