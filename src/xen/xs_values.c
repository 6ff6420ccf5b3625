/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing of the xenstore values discovery reads (xen-virtio.md §1.2,
 * §1.3). Every number goes through xvd_parse_u64 (no sign, no octal, a
 * bound), every string is compared whole, and nothing is trusted to be
 * present: libxl writes these nodes, but versions differ in which and how.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "xv/virtio_spec.h"
#include "xs_values.h"

#define XENBUS_STATE_MAX 8      /* XenbusStateReconfigured */
#define IRQ_FIRST_SPI 32
#define IRQ_LAST_SPI 1019

bool xvx_xs_parse_virtio_type(const char *type, uint32_t *id)
{
    static const char prefix[] = "virtio,device";
    uint64_t v = 0;

    if (!type || strncmp(type, prefix, sizeof(prefix) - 1) != 0)
        return false;
    type += sizeof(prefix) - 1;
    /* Hex digits only, as libxl writes them ("device22" is 0x22): no
     * sign, blanks or 0x, which strtoul would have let through. */
    if (!*type)
        return false;
    for (; *type; type++) {
        if (!isxdigit((unsigned char)*type))
            return false;
        v = v * 16 + (uint64_t)(isdigit((unsigned char)*type) ? *type - '0' :
                                (tolower((unsigned char)*type) - 'a' + 10));
        if (v > UINT32_MAX)
            return false;
    }
    *id = (uint32_t)v;
    return true;
}

bool xvx_xs_parse_id(const char *s, unsigned max, unsigned *out)
{
    uint64_t v;

    if (!s || !xvd_parse_u64(s, 0, max, &v) || (s[0] == '0' && s[1]))
        return false;
    *out = (unsigned)v;
    return true;
}

int xvx_xs_parse_state(const char *s)
{
    uint64_t v;

    return xvd_parse_u64(s, 0, XENBUS_STATE_MAX, &v) ? (int)v : -1;
}

bool xvx_xs_wants_close(const char *state, const char *online)
{
    return xvx_xs_parse_state(state) == 5 /* XenbusStateClosing */ ||
           (online && strcmp(online, "0") == 0);
}

bool xvx_xs_parse_device(bool disk, bool self_dom0, const struct xvx_xs_nodes *n,
                         struct xvx_xs_device *out, char *err, size_t errlen)
{
    /* The whole window must be addressable. */
    const uint64_t base_max = UINT64_MAX - XV_MMIO_WINDOW_SIZE;
    uint64_t irq = 0, grants = 0;

    memset(out, 0, sizeof(*out));
    if (n->transport && strcmp(n->transport, "mmio") != 0) {
        snprintf(err, errlen, "key 'transport': unsupported value '%s' "
                 "(only mmio)", n->transport);
    } else if (!xvd_parse_u64(n->base, 0, base_max, &out->base)) {
        snprintf(err, errlen, "key 'base': bad value '%s'",
                 n->base ? n->base : "(missing)");
    } else if (!xvd_parse_u64(n->irq, IRQ_FIRST_SPI, IRQ_LAST_SPI, &irq)) {
        snprintf(err, errlen, "key 'irq': bad value '%s' (must be %u..%u)",
                 n->irq ? n->irq : "(missing)", IRQ_FIRST_SPI, IRQ_LAST_SPI);
    } else if (n->grant_usage && !xvd_parse_u64(n->grant_usage, 0, 1, &grants)) {
        snprintf(err, errlen, "key 'grant_usage': bad value '%s' (0 or 1)",
                 n->grant_usage);
    } else if (!disk && !xvx_xs_parse_virtio_type(n->type, &out->virtio_id)) {
        snprintf(err, errlen, "key 'type': bad value '%s' (virtio,device<hex id>)",
                 n->type ? n->type : "(missing)");
    } else if (disk && !n->params) {
        snprintf(err, errlen, "key 'params': missing");
    } else {
        out->irq = (unsigned)irq;
        /* Before grant_usage existed, libxl used grants iff backend != dom0. */
        out->grants = n->grant_usage ? grants == 1 : !self_dom0;
        out->readonly = disk && !(n->mode && strchr(n->mode, 'w'));
        out->no_discard = disk && n->discard && strcmp(n->discard, "0") == 0;
        return true;
    }
    return false;
}
