/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: the device tree, as `xensim create` writes it to
 * $XENSIM_DIR/dom<ID>.devices, one device a line:
 *   base irq grants backend kind devid name target
 * e.g. "0x2000000 33 0 0 virtio_disk 51712 xvda /tmp/disk.img".
 * Blank lines and lines starting with '#' are skipped (hand-written trees
 * in tests).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "guest_prog.h"

static bool parse_line(const char *line, struct guest_node *node)
{
    int grants;
    char extra[2];

    memset(node, 0, sizeof(*node));
    if (sscanf(line, "%" SCNx64 " %u %d %u %15s %u %63s %255s %1s", &node->base,
               &node->irq, &grants, &node->backend_domid, node->kind,
               &node->devid, node->name, node->target, extra) != 8)
        return false;
    if (grants != 0 && grants != 1)
        return false;
    if (strcmp(node->kind, "virtio_disk") != 0 && strcmp(node->kind, "virtio") != 0)
        return false;
    node->grants = grants;
    return true;
}

int guest_devtree_load(struct guest_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    unsigned lineno = 0;

    if (!f) {
        guest_error("cannot read device tree %s: %s", path, strerror(errno));
        return -errno;
    }
    ctx->nr_nodes = 0;
    while (fgets(line, sizeof(line), f)) {
        const char *p = line + strspn(line, " \t");

        lineno++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        if (ctx->nr_nodes == GUEST_MAX_NODES) {
            guest_error("%s: more than %d devices", path, GUEST_MAX_NODES);
            fclose(f);
            return -E2BIG;
        }
        if (!parse_line(p, &ctx->nodes[ctx->nr_nodes])) {
            guest_error("%s:%u: malformed device line (want \"base irq grants "
                        "backend kind devid name target\")", path, lineno);
            fclose(f);
            return -EINVAL;
        }
        ctx->nr_nodes++;
    }
    fclose(f);
    return 0;
}
