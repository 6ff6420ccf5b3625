/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tree operations of xensim-xenstored with real xenstored's permission
 * rules, watch firing and transaction bookkeeping.
 *
 * A transaction works on a private snapshot of the whole tree. Before it
 * looks at or changes a node it records the node's generation (or absence)
 * as of the transaction start; at commit every recorded node must be
 * unchanged in the live tree, else the commit fails with EAGAIN, like real
 * xenstored. The successful changes are then replayed on the live tree,
 * which fires the watches exactly as the same requests outside a
 * transaction would have.
 */
#include "xenstored.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ops_init_tree(struct xs_daemon *daemon)
{
    struct xs_node *tool;
    struct xs_node *xenstored;

    /* Real xenstored starts with "/", "/tool" and "/tool/xenstored", all "n0". */
    daemon->root = node_new("", 0, NULL);
    if (!daemon->root) {
        return -ENOMEM;
    }
    tool = node_new("tool", 4, NULL);
    if (!tool || node_add_child(daemon->root, tool) < 0) {
        node_free(tool);
        return -ENOMEM;
    }
    xenstored = node_new("xenstored", 9, NULL);
    if (!xenstored || node_add_child(tool, xenstored) < 0) {
        node_free(xenstored);
        return -ENOMEM;
    }
    return 0;
}

/* Records how the transaction first saw path (no-op outside transactions). */
static int tx_touch(struct op_ctx *ctx, const char *path)
{
    struct xs_transaction *tx = ctx->tx;
    struct xs_node *node;
    struct tx_access *access;

    if (!tx) {
        return 0;
    }
    for (unsigned int i = 0; i < tx->nr_accesses; i++) {
        if (strcmp(tx->accesses[i].path, path) == 0) {
            return 0;
        }
    }
    if (tx->nr_accesses == tx->accesses_cap) {
        unsigned int cap = tx->accesses_cap ? tx->accesses_cap * 2 : 16;
        struct tx_access *grown = realloc(tx->accesses, cap * sizeof(*grown));

        if (!grown) {
            return -ENOMEM;
        }
        tx->accesses = grown;
        tx->accesses_cap = cap;
    }
    access = &tx->accesses[tx->nr_accesses];
    access->path = strdup(path);
    if (!access->path) {
        return -ENOMEM;
    }
    node = node_lookup(ctx->root, path);
    access->existed = node != NULL;
    access->generation = node ? node->generation : 0;
    tx->nr_accesses++;
    return 0;
}

static int tx_touch_node(struct op_ctx *ctx, const struct xs_node *node)
{
    char *path;
    int rc;

    if (!ctx->tx) {
        return 0;
    }
    path = node_path(node);
    if (!path) {
        return -ENOMEM;
    }
    rc = tx_touch(ctx, path);
    free(path);
    return rc;
}

/* The deepest existing strict ancestor of path ("/" at worst). */
static struct xs_node *deepest_ancestor(struct xs_node *root, const char *path)
{
    struct xs_node *node = root;
    const char *component = path + 1;

    for (;;) {
        size_t len = strcspn(component, "/");
        struct xs_node *child;

        if (component[len] != '/') {
            return node;    /* component is the last one: path itself */
        }
        child = node_child(node, component, len);
        if (!child) {
            return node;
        }
        node = child;
        component += len + 1;
    }
}

int op_lookup(struct op_ctx *ctx, const char *path, unsigned int perm, struct xs_node **out)
{
    struct xs_node *node;
    struct xs_node *ancestor;
    int err;

    if (!path_is_valid(path)) {
        return -EINVAL;
    }
    err = tx_touch(ctx, path);
    if (err < 0) {
        return err;
    }
    node = node_lookup(ctx->root, path);
    if (node && (perms_for(&node->perms, ctx->who) & perm) == perm) {
        *out = node;
        return 0;
    }
    if (node && !node->parent) {
        return -EACCES;     /* the root has no ancestor to ask */
    }
    /*
     * Like real xenstored, report EACCES rather than ENOENT unless the
     * nearest existing ancestor grants the access, so a domain cannot probe
     * for nodes hidden from it. For a missing node this is also the check
     * that allows creating it.
     */
    err = node ? -EACCES : -ENOENT;
    ancestor = deepest_ancestor(ctx->root, path);
    if (tx_touch_node(ctx, ancestor) < 0) {
        return -ENOMEM;
    }
    if (!(perms_for(&ancestor->perms, ctx->who) & perm)) {
        err = -EACCES;
    }
    return err;
}

/*
 * Creates path and its missing parents. Each new node inherits its parent's
 * permissions, and a node an unprivileged domain creates is owned by it.
 * The new chain is built detached and linked last, so failure leaves no trace.
 */
static int create_path(struct op_ctx *ctx, const char *path, struct xs_node **out)
{
    struct xs_node *ancestor = deepest_ancestor(ctx->root, path);
    struct xs_node *top = NULL;
    struct xs_node *bottom = NULL;
    const struct node_perms *inherited = &ancestor->perms;
    const char *component;
    char *ancestor_path = node_path(ancestor);
    int rc = -ENOMEM;

    if (!ancestor_path) {
        return -ENOMEM;
    }
    /* component points at the '/' before the first missing name. */
    component = path + (ancestor->parent ? strlen(ancestor_path) : 0);
    free(ancestor_path);
    while (*component) {
        size_t len;
        struct xs_node *node;

        component++;    /* the '/' before the name */
        len = strcspn(component, "/");
        node = node_new(component, len, inherited);
        if (!node) {
            goto fail;
        }
        if (!ctx->who->privileged) {
            node->perms.entries[0].domid = ctx->who->domid;
        }
        if (bottom) {
            if (node_add_child(bottom, node) < 0) {
                node_free(node);
                goto fail;
            }
        } else {
            top = node;
        }
        /* The transaction saw this missing node as absent. */
        if (ctx->tx) {
            char *partial = strndup(path, (size_t)(component + len - path));

            rc = partial ? tx_touch(ctx, partial) : -ENOMEM;
            free(partial);
            if (rc < 0) {
                goto fail;
            }
            rc = -ENOMEM;
        }
        bottom = node;
        inherited = &node->perms;
        component += len;
    }
    if (!top) {
        return -EEXIST;
    }
    rc = node_add_child(ancestor, top);
    if (rc < 0) {
        goto fail;
    }
    *out = bottom;
    return 0;

fail:
    node_free(top);
    return rc;
}

int op_write(struct op_ctx *ctx, const char *path, const void *data, size_t len)
{
    struct xs_node *node;
    int rc = op_lookup(ctx, path, NODE_PERM_WRITE, &node);

    if (rc == -ENOENT) {
        rc = create_path(ctx, path, &node);
    }
    if (rc < 0) {
        return rc;
    }
    rc = node_set_value(node, data, len);
    if (rc < 0) {
        return rc;
    }
    node->generation = store_next_generation();
    if (!ctx->tx) {
        watch_fire(ctx->daemon, path, node, false, NULL);
    }
    return 0;
}

int op_mkdir(struct op_ctx *ctx, const char *path)
{
    struct xs_node *node;
    int rc = op_lookup(ctx, path, NODE_PERM_WRITE, &node);

    if (rc != -ENOENT) {
        return rc;     /* existing is fine (no event), else no permission */
    }
    rc = create_path(ctx, path, &node);
    if (rc < 0) {
        return rc;
    }
    if (!ctx->tx) {
        watch_fire(ctx->daemon, path, node, false, NULL);
    }
    return 0;
}

/* Records the subtree in the transaction and fires its watches, leaves first. */
static int prepare_removal(struct op_ctx *ctx, const struct xs_node *node, char *path,
                           size_t path_len, bool is_top)
{
    int rc = tx_touch(ctx, path);

    if (rc < 0) {
        return rc;
    }
    for (unsigned int i = 0; i < node->nr_children; i++) {
        const struct xs_node *child = node->children[i];
        size_t name_len = strlen(child->name);
        size_t child_len = path_len + (path_len > 1) + name_len;
        char *child_path = malloc(child_len + 1);

        if (!child_path) {
            return -ENOMEM;
        }
        memcpy(child_path, path, path_len);
        if (path_len > 1) {
            child_path[path_len] = '/';
        }
        memcpy(child_path + child_len - name_len, child->name, name_len + 1);
        rc = prepare_removal(ctx, child, child_path, child_len, false);
        free(child_path);
        if (rc < 0) {
            return rc;
        }
    }
    /*
     * Real xenstored: the removed node fires its own and its ancestors'
     * watches; nodes below it fire only watches set exactly on them.
     */
    if (!ctx->tx) {
        watch_fire(ctx->daemon, path, node, !is_top, NULL);
    }
    return 0;
}

static int remove_node(struct op_ctx *ctx, struct xs_node *node)
{
    char *path = node_path(node);
    int rc;

    if (!path) {
        return -ENOMEM;
    }
    rc = tx_touch_node(ctx, node->parent);
    if (rc == 0) {
        rc = prepare_removal(ctx, node, path, strlen(path), true);
    }
    free(path);
    if (rc < 0) {
        return rc;
    }
    node_unlink(node);
    node_free(node);
    return 0;
}

int op_rm(struct op_ctx *ctx, const char *path)
{
    struct xs_node *node;
    int rc = op_lookup(ctx, path, NODE_PERM_WRITE, &node);

    if (rc == -ENOENT) {
        /* Real xenstored: removing a missing node is fine if its parent exists. */
        const char *slash = strrchr(path, '/');
        char *parent_path = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        bool parent_exists;

        if (!parent_path) {
            return -ENOMEM;
        }
        parent_exists = node_lookup(ctx->root, parent_path) != NULL;
        rc = tx_touch(ctx, parent_path);
        free(parent_path);
        if (rc < 0) {
            return rc;
        }
        return parent_exists ? 0 : -ENOENT;
    }
    if (rc < 0) {
        return rc;
    }
    if (!node->parent) {
        return -EINVAL;
    }
    return remove_node(ctx, node);
}

int op_set_perms(struct op_ctx *ctx, const char *path, const struct node_perms *perms)
{
    struct xs_node *node;
    struct node_perms old_perms;
    struct node_perms new_perms;
    int rc = op_lookup(ctx, path, NODE_PERM_WRITE | NODE_PERM_OWNER, &node);

    if (rc < 0) {
        return rc;
    }
    /* Unprivileged owners may share their node but not give it away. */
    if (!ctx->who->privileged && perms->entries[0].domid != node->perms.entries[0].domid) {
        return -EPERM;
    }
    rc = perms_copy(&new_perms, perms);
    if (rc < 0) {
        return rc;
    }
    old_perms = node->perms;
    node->perms = new_perms;
    node->generation = store_next_generation();
    /* A watcher that just lost access still hears about it, as in real xenstored. */
    if (!ctx->tx) {
        watch_fire(ctx->daemon, path, node, false, &old_perms);
    }
    perms_release(&old_perms);
    return 0;
}

/* Pre-order walk: an owned node goes with its whole subtree. */
static void remove_owned(struct xs_daemon *daemon, struct xs_node *node, unsigned int domid)
{
    static const struct xs_identity dom0 = { .domid = 0, .privileged = true };
    struct op_ctx ctx = { .daemon = daemon, .root = daemon->root, .who = &dom0 };
    unsigned int i = 0;

    while (i < node->nr_children) {
        struct xs_node *child = node->children[i];

        if (child->perms.entries[0].domid == domid) {
            if (remove_node(&ctx, child) < 0) {
                i++;    /* out of memory: keep the node rather than loop */
            }
        } else {
            remove_owned(daemon, child, domid);
            i++;
        }
    }
}

void op_remove_domain_nodes(struct xs_daemon *daemon, unsigned int domid)
{
    remove_owned(daemon, daemon->root, domid);
}

void tx_free(struct xs_transaction *tx)
{
    if (!tx) {
        return;
    }
    node_free(tx->snapshot);
    for (unsigned int i = 0; i < tx->nr_accesses; i++) {
        free(tx->accesses[i].path);
    }
    free(tx->accesses);
    for (unsigned int i = 0; i < tx->nr_ops; i++) {
        free(tx->ops[i].path);
        free(tx->ops[i].data);
    }
    free(tx->ops);
    free(tx);
}

int tx_log_op(struct xs_transaction *tx, uint32_t type, const char *path,
              const void *data, size_t len)
{
    struct tx_op *op;

    if (tx->nr_ops == tx->ops_cap) {
        unsigned int cap = tx->ops_cap ? tx->ops_cap * 2 : 16;
        struct tx_op *grown = realloc(tx->ops, cap * sizeof(*grown));

        if (!grown) {
            return -ENOMEM;
        }
        tx->ops = grown;
        tx->ops_cap = cap;
    }
    op = &tx->ops[tx->nr_ops];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->path = strdup(path);
    if (len) {
        op->data = malloc(len);
        if (op->data) {
            memcpy(op->data, data, len);
        }
    }
    if (!op->path || (len && !op->data)) {
        free(op->path);
        free(op->data);
        return -ENOMEM;
    }
    op->len = (unsigned int)len;
    tx->nr_ops++;
    return 0;
}

int tx_commit(struct xs_daemon *daemon, const struct xs_identity *who,
              struct xs_transaction *tx)
{
    struct op_ctx ctx = { .daemon = daemon, .root = daemon->root, .who = who };

    for (unsigned int i = 0; i < tx->nr_accesses; i++) {
        const struct tx_access *access = &tx->accesses[i];
        const struct xs_node *live = node_lookup(daemon->root, access->path);

        if ((live != NULL) != access->existed ||
            (live && live->generation != access->generation)) {
            return -EAGAIN;
        }
    }
    /*
     * Everything the operations depended on is as the transaction saw it,
     * so replaying them gives the snapshot's result; failures cannot happen
     * short of running out of memory.
     */
    for (unsigned int i = 0; i < tx->nr_ops; i++) {
        const struct tx_op *op = &tx->ops[i];
        struct node_perms perms;

        switch (op->type) {
        case XS_WRITE:
            op_write(&ctx, op->path, op->data, op->len);
            break;
        case XS_MKDIR:
            op_mkdir(&ctx, op->path);
            break;
        case XS_RM:
            op_rm(&ctx, op->path);
            break;
        case XS_SET_PERMS:
            if (perms_parse(op->data, op->len, &perms) == 0) {
                op_set_perms(&ctx, op->path, &perms);
                perms_release(&perms);
            }
            break;
        default:
            break;
        }
    }
    return 0;
}
