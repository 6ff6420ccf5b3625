/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the parsing of what discovery reads from xenstore
 * (src/xen/xs_values.c): a backend dir's transport, base, irq,
 * grant_usage, type, params, mode and discard-enable, its state and
 * online nodes, and the domid/devid directory entries. libxl writes these,
 * but a libxl of another version, a hand-edited store or a driver domain's
 * toolstack may write anything; the daemon must neither crash nor accept
 * a value outside what it can serve.
 *
 * Each field is copied into a buffer of exactly its size, so a read past
 * its NUL is a sanitizer report.
 *
 * Invariants: no crash or sanitizer report; an accepted device has an irq
 * in 32..1019, a whole window below 2^64, transport absent or "mmio", a
 * type whose hex strtoul agrees with the parsed id (generic) or params
 * (disk), grants as grant_usage says or else as the backend's domain
 * implies, readonly unless mode has 'w'; a refused one has a non-empty,
 * terminated message; an accepted id is canonical decimal within its
 * bound; a state is -1..8; wants_close is Closing or online "0".
 * Input: see fuzz_format.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"
#include "xs_values.h"
#include "xv/virtio_spec.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_xenstore: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define DOMID_MAX 0x7fefu       /* DOMID_FIRST_RESERVED - 1 */

static void check_type(const char *type, uint32_t id)
{
    static const char prefix[] = "virtio,device";
    const char *hex = type + sizeof(prefix) - 1;
    char *end;

    CHECK(strncmp(type, prefix, sizeof(prefix) - 1) == 0);
    CHECK(*hex && strspn(hex, "0123456789abcdefABCDEF") == strlen(hex));
    CHECK(strtoull(hex, &end, 16) == id && *end == '\0');
}

static void check_device(unsigned flags, const struct xvx_xs_nodes *n)
{
    bool disk = flags & FZX_DISK, dom0 = flags & FZX_SELF_DOM0;
    size_t errlen = fzx_errlens[(flags >> 2) & 3];
    struct xvx_xs_device dev;
    char err[256 + 1];
    uint32_t id;
    bool ok;

    memset(err, 0x55, sizeof(err));
    ok = xvx_xs_parse_device(disk, dom0, n, &dev, err, errlen);
    CHECK(err[errlen] == 0x55);     /* nothing past the buffer */
    if (!ok) {
        CHECK(memchr(err, '\0', errlen) != NULL);
        CHECK(errlen == 1 || err[0] != '\0');
        return;
    }
    CHECK(dev.irq >= 32 && dev.irq <= 1019);
    CHECK(dev.base <= UINT64_MAX - XV_MMIO_WINDOW_SIZE);
    CHECK(!n->transport || strcmp(n->transport, "mmio") == 0);
    CHECK(n->base && n->irq);
    if (n->grant_usage)
        CHECK(dev.grants == (strtoull(n->grant_usage, NULL, 0) == 1));
    else
        CHECK(dev.grants == !dom0);
    if (disk) {
        CHECK(n->params != NULL && dev.virtio_id == 0);
        CHECK(dev.readonly == !(n->mode && strchr(n->mode, 'w')));
        CHECK(dev.no_discard == (n->discard && strcmp(n->discard, "0") == 0));
    } else {
        CHECK(n->type != NULL);
        check_type(n->type, dev.virtio_id);
        CHECK(!dev.readonly && !dev.no_discard);
    }
    if (n->type && xvx_xs_parse_virtio_type(n->type, &id))
        check_type(n->type, id);
}

static void check_id(const char *s, unsigned max)
{
    char canonical[16];
    unsigned id;

    if (!xvx_xs_parse_id(s, max, &id))
        return;
    CHECK(id <= max);
    snprintf(canonical, sizeof(canonical), "%u", id);
    CHECK(strcmp(canonical, s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *field[FZX_FIELD_COUNT] = { 0 };
    unsigned flags, present;
    size_t pos = 3;
    struct xvx_xs_nodes n;
    int state;

    if (size < 3)
        return 0;
    flags = data[0];
    present = data[1] | (unsigned)data[2] << 8;
    for (unsigned i = 0; i < FZX_FIELD_COUNT; i++) {
        const uint8_t *nul = pos < size ? memchr(data + pos, '\0', size - pos) : NULL;
        size_t len = nul ? (size_t)(nul - data) - pos : size - (pos < size ? pos : size);

        if (present & (1u << i)) {
            field[i] = malloc(len + 1);
            if (!field[i])
                abort();
            memcpy(field[i], data + pos, len);
            field[i][len] = '\0';
        }
        pos += len + 1;
    }
    n = (struct xvx_xs_nodes){
        .transport = field[FZX_TRANSPORT], .base = field[FZX_BASE],
        .irq = field[FZX_IRQ], .grant_usage = field[FZX_GRANT_USAGE],
        .type = field[FZX_TYPE], .params = field[FZX_PARAMS],
        .mode = field[FZX_MODE], .discard = field[FZX_DISCARD],
    };
    check_device(flags, &n);
    state = xvx_xs_parse_state(field[FZX_STATE]);
    CHECK(state >= -1 && state <= 8);
    CHECK(xvx_xs_wants_close(field[FZX_STATE], field[FZX_ONLINE]) ==
          (state == 5 || (field[FZX_ONLINE] && strcmp(field[FZX_ONLINE], "0") == 0)));
    for (unsigned i = FZX_DOMID; i <= FZX_DEVID; i++) {
        if (!field[i])
            continue;
        check_id(field[i], DOMID_MAX);
        check_id(field[i], INT32_MAX);
    }
    for (unsigned i = 0; i < FZX_FIELD_COUNT; i++)
        free(field[i]);
    return 0;
}
