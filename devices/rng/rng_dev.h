/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-rng for the daemon (Linux, not freestanding): the "rng" device
 * type, entropy from getrandom(2) behind a per-device token bucket.
 */
#ifndef XVD_RNG_DEV_H
#define XVD_RNG_DEV_H

#include "rng.h"
#include "rng_bucket.h"

#define XVD_RNG_DEFAULT_RATE  (1ull << 20)  /* bytes a second */
#define XVD_RNG_DEFAULT_BURST (64ull << 10) /* bytes */

struct xvd_device_type;
extern const struct xvd_device_type xvd_rng_type;

#endif
