/* SPDX-License-Identifier: Apache-2.0 */
/* The xenstore tree: nodes, permissions, paths. See store.h. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

static uint64_t generation_counter;

uint64_t store_next_generation(void)
{
    return ++generation_counter;
}

static const struct node_perm default_perm = { .domid = 0, .mode = NODE_PERM_NONE };

struct xs_node *node_new(const char *name, size_t name_len, const struct node_perms *perms)
{
    struct xs_node *node = calloc(1, sizeof(*node));
    struct node_perms fallback = { .entries = (struct node_perm *)&default_perm, .count = 1 };

    if (!node) {
        return NULL;
    }
    node->name = strndup(name, name_len);
    if (!node->name || perms_copy(&node->perms, perms ? perms : &fallback) < 0) {
        free(node->name);
        free(node);
        return NULL;
    }
    node->generation = store_next_generation();
    return node;
}

void node_free(struct xs_node *node)
{
    if (!node) {
        return;
    }
    for (unsigned int i = 0; i < node->nr_children; i++) {
        node_free(node->children[i]);
    }
    free(node->children);
    free(node->name);
    free(node->value);
    perms_release(&node->perms);
    free(node);
}

struct xs_node *node_clone(const struct xs_node *node, struct xs_node *parent)
{
    struct xs_node *copy = node_new(node->name, strlen(node->name), &node->perms);

    if (!copy) {
        return NULL;
    }
    copy->parent = parent;
    copy->generation = node->generation;
    if (node_set_value(copy, node->value, node->value_len) < 0) {
        goto fail;
    }
    if (node->nr_children) {
        copy->children = calloc(node->nr_children, sizeof(*copy->children));
        if (!copy->children) {
            goto fail;
        }
        copy->children_cap = node->nr_children;
        for (unsigned int i = 0; i < node->nr_children; i++) {
            copy->children[i] = node_clone(node->children[i], copy);
            if (!copy->children[i]) {
                goto fail;
            }
            copy->nr_children++;
        }
    }
    return copy;

fail:
    node_free(copy);
    return NULL;
}

struct xs_node *node_child(const struct xs_node *node, const char *name, size_t name_len)
{
    for (unsigned int i = 0; i < node->nr_children; i++) {
        const char *child_name = node->children[i]->name;

        if (strncmp(child_name, name, name_len) == 0 && child_name[name_len] == '\0') {
            return node->children[i];
        }
    }
    return NULL;
}

struct xs_node *node_lookup(struct xs_node *root, const char *path)
{
    struct xs_node *node = root;
    const char *component = path;

    while (node && *component) {
        size_t len;

        while (*component == '/') {
            component++;
        }
        if (!*component) {
            break;
        }
        len = strcspn(component, "/");
        node = node_child(node, component, len);
        component += len;
    }
    return node;
}

int node_add_child(struct xs_node *parent, struct xs_node *child)
{
    if (parent->nr_children == parent->children_cap) {
        unsigned int cap = parent->children_cap ? parent->children_cap * 2 : 4;
        struct xs_node **grown = realloc(parent->children, cap * sizeof(*grown));

        if (!grown) {
            return -ENOMEM;
        }
        parent->children = grown;
        parent->children_cap = cap;
    }
    parent->children[parent->nr_children++] = child;
    child->parent = parent;
    parent->generation = store_next_generation();
    return 0;
}

void node_unlink(struct xs_node *child)
{
    struct xs_node *parent = child->parent;

    if (!parent) {
        return;
    }
    for (unsigned int i = 0; i < parent->nr_children; i++) {
        if (parent->children[i] == child) {
            memmove(&parent->children[i], &parent->children[i + 1],
                    (parent->nr_children - i - 1) * sizeof(*parent->children));
            parent->nr_children--;
            break;
        }
    }
    parent->generation = store_next_generation();
    child->parent = NULL;
}

int node_set_value(struct xs_node *node, const void *data, size_t len)
{
    char *copy = NULL;

    if (len) {
        copy = malloc(len);
        if (!copy) {
            return -ENOMEM;
        }
        memcpy(copy, data, len);
    }
    free(node->value);
    node->value = copy;
    node->value_len = (unsigned int)len;
    return 0;
}

char *node_path(const struct xs_node *node)
{
    size_t len = 0;
    char *path;
    char *end;

    if (!node->parent) {
        return strdup("/");
    }
    for (const struct xs_node *n = node; n->parent; n = n->parent) {
        len += strlen(n->name) + 1;
    }
    path = malloc(len + 1);
    if (!path) {
        return NULL;
    }
    end = path + len;
    *end = '\0';
    for (const struct xs_node *n = node; n->parent; n = n->parent) {
        size_t name_len = strlen(n->name);

        end -= name_len;
        memcpy(end, n->name, name_len);
        *--end = '/';
    }
    return path;
}

int perms_copy(struct node_perms *dst, const struct node_perms *src)
{
    struct node_perm *entries = calloc(src->count, sizeof(*entries));

    if (!entries) {
        return -ENOMEM;
    }
    memcpy(entries, src->entries, src->count * sizeof(*entries));
    dst->entries = entries;
    dst->count = src->count;
    return 0;
}

void perms_release(struct node_perms *perms)
{
    free(perms->entries);
    perms->entries = NULL;
    perms->count = 0;
}

static int perm_parse_one(const char *text, struct node_perm *out)
{
    char *end;
    unsigned long domid;

    switch (text[0]) {
    case 'n':
        out->mode = NODE_PERM_NONE;
        break;
    case 'r':
        out->mode = NODE_PERM_READ;
        break;
    case 'w':
        out->mode = NODE_PERM_WRITE;
        break;
    case 'b':
        out->mode = NODE_PERM_READ | NODE_PERM_WRITE;
        break;
    default:
        return -EINVAL;
    }
    if (text[1] < '0' || text[1] > '9') {
        return -EINVAL;
    }
    errno = 0;
    domid = strtoul(text + 1, &end, 10);
    if (errno || *end || domid > UINT16_MAX) {
        return -EINVAL;
    }
    out->domid = (unsigned int)domid;
    return 0;
}

int perms_parse(const char *strings, size_t len, struct node_perms *out)
{
    unsigned int count = 0;
    struct node_perm *entries;
    size_t offset;

    if (len == 0 || strings[len - 1] != '\0') {
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        count += strings[i] == '\0';
    }
    entries = calloc(count, sizeof(*entries));
    if (!entries) {
        return -ENOMEM;
    }
    offset = 0;
    for (unsigned int i = 0; i < count; i++) {
        if (perm_parse_one(strings + offset, &entries[i]) < 0) {
            free(entries);
            return -EINVAL;
        }
        offset += strlen(strings + offset) + 1;
    }
    out->entries = entries;
    out->count = count;
    return 0;
}

size_t perms_format(const struct node_perms *perms, char *buf, size_t cap)
{
    size_t used = 0;

    for (unsigned int i = 0; i < perms->count; i++) {
        static const char letters[] = { 'n', 'r', 'w', 'b' };
        unsigned int rw = perms->entries[i].mode & (NODE_PERM_READ | NODE_PERM_WRITE);
        int n = snprintf(buf + used, cap - used, "%c%u", letters[rw], perms->entries[i].domid);

        if (n < 0 || (size_t)n + 1 > cap - used) {
            break;
        }
        used += (size_t)n + 1;
    }
    return used;
}

static bool identity_matches(const struct xs_identity *who, unsigned int domid)
{
    return domid == who->domid || (who->has_target && domid == who->target);
}

unsigned int perms_for(const struct node_perms *perms, const struct xs_identity *who)
{
    if (who->privileged || identity_matches(who, perms->entries[0].domid)) {
        return NODE_PERM_ALL;
    }
    for (unsigned int i = 1; i < perms->count; i++) {
        if (identity_matches(who, perms->entries[i].domid)) {
            return perms->entries[i].mode;
        }
    }
    return perms->entries[0].mode;
}

bool path_is_valid(const char *path)
{
    static const char allowed[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@";
    size_t len = strlen(path);
    unsigned int domid;
    int local_off = 0;

    if (path[0] != '/') {
        return false;
    }
    if (len > 1 && path[len - 1] == '/') {
        return false;
    }
    if (strstr(path, "//")) {
        return false;
    }
    /* Like real xenstored, the length limit applies below a domain's home. */
    if (sscanf(path, "/local/domain/%5u/%n", &domid, &local_off) != 1) {
        local_off = 0;
    }
    if (len > (size_t)local_off + XENSTORE_REL_PATH_MAX) {
        return false;
    }
    return strspn(path, allowed) == len;
}

bool path_is_ancestor_or_self(const char *ancestor, const char *descendant)
{
    size_t len = strlen(ancestor);

    if (strcmp(ancestor, "/") == 0) {
        return descendant[0] == '/';
    }
    if (strncmp(ancestor, descendant, len) != 0) {
        return false;
    }
    return descendant[len] == '/' || descendant[len] == '\0';
}
