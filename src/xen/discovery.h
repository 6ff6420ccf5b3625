/* SPDX-License-Identifier: Apache-2.0 */
/* Device discovery from xenstore (src/xen/xenstore.c). */
#ifndef XVX_DISCOVERY_H
#define XVX_DISCOVERY_H

#include "xen.h"

struct xvx_discovery;

/* What the daemon does with what discovery finds. */
struct xvx_discovery_ops {
    /* A config-file device for this guest: by virtio id (4.18+ generic
     * entries), or by xl-target path (4.17 disks, id 0). NULL if none. */
    const struct xvd_device_conf *(*find_declared)(void *opaque, domid_t fe,
                                                   uint32_t virtio_id,
                                                   const char *xl_target);
    struct xvx_device *(*add)(void *opaque, domid_t fe,
                              const struct xvd_device_conf *conf, uint64_t base,
                              unsigned irq, bool grants, char *err, size_t errlen);
    void (*remove)(void *opaque, struct xvx_device *xd);
    /* Domains may have come or gone (and before xl's devices of a new
     * domain are claimed): the daemon's static devices follow them. */
    void (*domains_changed)(void *opaque);
    /* Is the frontend still alive (not dying, not gone)? */
    bool (*domain_alive)(void *opaque, domid_t fe);
};

struct xvx_discovery *xvx_discovery_open(struct xvd_loop *loop,
                                         const struct xvx_discovery_ops *ops,
                                         void *opaque);
void xvx_discovery_close(struct xvx_discovery *d);
domid_t xvx_discovery_self(const struct xvx_discovery *d);
/* Look a domain up by name in /local/domain/<id>/name. */
int xvx_domain_by_name(const char *name, domid_t *domid);

#endif
