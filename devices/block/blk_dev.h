/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's "block" device type (src/host/device_type.h). */
#ifndef XVD_BLK_DEV_H
#define XVD_BLK_DEV_H

#include "blk_file.h"

struct xvd_device_type;
struct xvd_dev;

extern const struct xvd_device_type xvd_block_type;
/* The storage behind a "block" device (tests, statistics). */
struct xvd_blk_file *xvd_block_file(struct xvd_dev *dev);

#endif
