/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a device type plugs into the daemon. Each devices/<name>/ provides
 * one 'const struct xvd_device_type'; devices/registry.c lists them.
 */
#ifndef XVD_DEVICE_TYPE_H
#define XVD_DEVICE_TYPE_H

#include <stddef.h>

#include "xv/core.h"

struct xvd_loop;
struct xvd_config;
struct xvd_device_conf;

/* One device instance. Device types embed it first in their own state. */
struct xvd_dev {
    const struct xvd_device_type *type;
    struct xv_device xv;        /* the transport state the core drives */
    const char *log_ctx;        /* "dom5/xvda": for log lines */
};

struct xvd_device_type {
    const char *name;           /* config 'type =' value, e.g. "block" */
    uint32_t virtio_id;
    /* Its keys in a [device NAME] section, and the sections of its own
     * it reads in configure() (config.h). */
    const struct xvd_key *keys;
    unsigned nr_keys;
    const struct xvd_section_kind *sections;
    unsigned nr_sections;
    /* Build an instance from its config; xv_device_init() it with the
     * given platform. On error return NULL and write a message naming the
     * key and value into err. */
    struct xvd_dev *(*create)(const struct xvd_device_conf *conf,
                              const struct xv_platform *platform,
                              struct xvd_loop *loop, char *err, size_t errlen);
    /* Requests still in flight (the daemon drains before destroy). */
    unsigned (*in_flight)(struct xvd_dev *dev);
    void (*destroy)(struct xvd_dev *dev);
    /* Optional: state the type shares between its devices (the SCMI
     * platform), from the config's type sections. Called at start and on
     * each reload, before devices are created; on error the config is
     * refused with a message in err. unconfigure() runs at exit. */
    int (*configure)(const struct xvd_config *cfg, struct xvd_loop *loop,
                     char *err, size_t errlen);
    void (*unconfigure)(void);
};

/* Every type the daemon knows: devices/registry.c. */
struct xvd_device_types {
    const struct xvd_device_type *const *types;
    unsigned nr;
};

extern const struct xvd_device_types xvd_device_types;

const struct xvd_device_type *xvd_device_type_find(const char *name);
const struct xvd_device_type *xvd_device_type_by_id(uint32_t virtio_id);
/* Every type's configure() / unconfigure(). */
int xvd_device_types_configure(const struct xvd_config *cfg, struct xvd_loop *loop,
                               char *err, size_t errlen);
void xvd_device_types_unconfigure(void);

#endif
