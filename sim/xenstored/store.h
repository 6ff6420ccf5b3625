/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The xenstore tree of xensim-xenstored: nodes, values, permissions and
 * generation counts. Pure data structure; no sockets, no watches.
 */
#ifndef XENSIM_XENSTORED_STORE_H
#define XENSIM_XENSTORED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Permission bits, the values of xenstore_lib.h's XS_PERM_*. */
#define NODE_PERM_NONE  0u
#define NODE_PERM_READ  1u
#define NODE_PERM_WRITE 2u
#define NODE_PERM_OWNER 8u
#define NODE_PERM_ALL   (NODE_PERM_READ | NODE_PERM_WRITE | NODE_PERM_OWNER)

/* One entry of an access list: "r5" is {5, READ}. */
struct node_perm {
    unsigned int domid;
    unsigned int mode;
};

/* entries[0] is the owner and the default mode for everybody else. */
struct node_perms {
    struct node_perm *entries;
    unsigned int count;
};

/* Who is asking: a connection's domain, its target (SET_TARGET) and privilege. */
struct xs_identity {
    unsigned int domid;
    bool has_target;
    unsigned int target;
    bool privileged;
};

struct xs_node {
    char *name;                 /* last path component; "" for the root */
    struct xs_node *parent;
    struct xs_node **children;  /* in creation order, as real xenstored lists them */
    unsigned int nr_children;
    unsigned int children_cap;
    char *value;                /* may hold binary data, value_len bytes */
    unsigned int value_len;
    struct node_perms perms;
    /*
     * Bumped (from one global counter) whenever the value, the permissions
     * or the list of children changes. Transactions compare it to detect
     * conflicts; XS_DIRECTORY_PART reports it.
     */
    uint64_t generation;
};

uint64_t store_next_generation(void);

/* A new detached node with a copy of perms (NULL: "n0"). NULL on ENOMEM. */
struct xs_node *node_new(const char *name, size_t name_len, const struct node_perms *perms);
/* Frees node and its whole subtree; does not unlink it from its parent. */
void node_free(struct xs_node *node);
/* Deep copy of a subtree (generations included). NULL on ENOMEM. */
struct xs_node *node_clone(const struct xs_node *node, struct xs_node *parent);

struct xs_node *node_child(const struct xs_node *node, const char *name, size_t name_len);
/* Looks up a canonical absolute path ("/a/b"). */
struct xs_node *node_lookup(struct xs_node *root, const char *path);
/* Appends child to parent and bumps the parent's generation. */
int node_add_child(struct xs_node *parent, struct xs_node *child);
/* Unlinks child from its parent (bumping the parent's generation); child is not freed. */
void node_unlink(struct xs_node *child);
int node_set_value(struct xs_node *node, const void *data, size_t len);
/* The full path of node, malloc()ed. NULL on ENOMEM. */
char *node_path(const struct xs_node *node);

int perms_copy(struct node_perms *dst, const struct node_perms *src);
void perms_release(struct node_perms *perms);
/*
 * Parses count NUL-terminated strings such as "n0\0r5\0" into out.
 * -EINVAL if any entry is malformed or there is none.
 */
int perms_parse(const char *strings, size_t len, struct node_perms *out);
/* Formats perms as NUL-separated strings into buf; returns the length used. */
size_t perms_format(const struct node_perms *perms, char *buf, size_t cap);
/* The NODE_PERM_* bits who has on a node with perms (real xenstored's perm_for_conn). */
unsigned int perms_for(const struct node_perms *perms, const struct xs_identity *who);

/* Real xenstored's is_valid_nodename: absolute, no "//", no trailing '/', safe chars. */
bool path_is_valid(const char *path);
/* True if path is ancestor or equal to descendant ("/" is everybody's ancestor). */
bool path_is_ancestor_or_self(const char *ancestor, const char *descendant);

#endif
