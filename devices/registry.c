/* SPDX-License-Identifier: Apache-2.0 */
/* The device types the daemon knows, by config name and virtio device ID. */
#include <string.h>

#include "device_type.h"
#include "device_types.h"

#define NR_DEVICE_TYPES (sizeof(registered) / sizeof(registered[0]))

const struct xvd_device_types xvd_device_types = {
    .types = registered,
    .nr = NR_DEVICE_TYPES,
};

const struct xvd_device_type *xvd_device_type_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NR_DEVICE_TYPES; i++) {
        if (strcmp(registered[i]->name, name) == 0)
            return registered[i];
    }
    return NULL;
}

const struct xvd_device_type *xvd_device_type_by_id(uint32_t virtio_id)
{
    for (size_t i = 0; i < NR_DEVICE_TYPES; i++) {
        if (registered[i]->virtio_id == virtio_id)
            return registered[i];
    }
    return NULL;
}

int xvd_device_types_configure(const struct xvd_config *cfg, struct xvd_loop *loop,
                               char *err, size_t errlen)
{
    for (size_t i = 0; i < NR_DEVICE_TYPES; i++) {
        if (registered[i]->configure &&
            registered[i]->configure(cfg, loop, err, errlen) < 0)
            return -1;
    }
    return 0;
}

void xvd_device_types_unconfigure(void)
{
    for (size_t i = 0; i < NR_DEVICE_TYPES; i++) {
        if (registered[i]->unconfigure)
            registered[i]->unconfigure();
    }
}
