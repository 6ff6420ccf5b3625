/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The values discovery reads from xenstore, parsed (xs_values.c): pure
 * functions of the strings read, with no Xen library, so that
 * tests/fuzz/fuzz_xenstore.c drives exactly what the daemon runs.
 * A NULL string is an absent node.
 */
#ifndef XVX_XS_VALUES_H
#define XVX_XS_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The nodes of one backend dir describe_device() uses. All are written by
 * libxl in the backend dir, which the frontend can only read (HOSTILE.md,
 * "Xenstore nodes"). */
struct xvx_xs_nodes {
    const char *transport;      /* "mmio", or absent (4.17 disks) */
    const char *base;           /* decimal (disks) or 0x-hex (generic) */
    const char *irq;            /* GIC INTID, decimal */
    const char *grant_usage;    /* "0" | "1", absent before 4.19 disks */
    const char *type;           /* generic: "virtio,device<hex id>" */
    const char *params;         /* disks: the xl target */
    const char *mode;           /* disks: "w" | "r" */
    const char *discard;        /* disks: discard-enable "1" | "0" */
};

struct xvx_xs_device {
    uint64_t base;
    unsigned irq;
    bool grants;
    uint32_t virtio_id;         /* generic devices; 0 for disks */
    bool readonly;              /* disks: xl's mode has no 'w' */
    bool no_discard;            /* disks: xl's no-discard */
};

/* Parse and check one device's nodes: true, or false with err naming the
 * key and value. self_dom0: the daemon runs in dom0 (the grant_usage
 * default of libxl before the node existed). */
bool xvx_xs_parse_device(bool disk, bool self_dom0, const struct xvx_xs_nodes *n,
                         struct xvx_xs_device *out, char *err, size_t errlen);
/* "virtio,device22" -> 34: lower- or upper-case hex, nothing after. */
bool xvx_xs_parse_virtio_type(const char *type, uint32_t *id);
/* A directory entry that is a domid or devid: canonical decimal ("0", no
 * leading zeros, no sign, no 0x) up to max. */
bool xvx_xs_parse_id(const char *s, unsigned max, unsigned *out);
/* A XenbusState node: 0..8, or -1 (absent or not a state). */
int xvx_xs_parse_state(const char *s);
/* The toolstack asks the backend to close: state Closing or online "0". */
bool xvx_xs_wants_close(const char *state, const char *online);

#endif
