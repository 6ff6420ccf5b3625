/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linux storage for the virtio-blk engine: a regular file or a block
 * device, with synchronous preadv/pwritev. Daemon-side, not freestanding.
 */
#ifndef XVD_BLK_FILE_H
#define XVD_BLK_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "blk.h"

struct xvd_blk_file {
    int fd;
    bool is_blockdev;
    bool punch_hole_ok;         /* cleared when the filesystem refuses */
    bool zero_range_ok;
    bool blkzeroout_ok;
    struct xv_blk_storage storage;  /* ops, capacity, geometry, id */
};

struct xvd_blk_file_opts {
    const char *path;
    bool read_only;
    bool discard;               /* offer VIRTIO_BLK_F_DISCARD */
    const char *serial;         /* NULL: derived from the file's identity */
};

/* Open and describe the medium; on error returns -errno and explains in
 * err (path and reason). A mounted block device is refused. */
int xvd_blk_file_open(struct xvd_blk_file *f, const struct xvd_blk_file_opts *opts,
                      char *err, size_t errlen);
void xvd_blk_file_close(struct xvd_blk_file *f);

/* The daemon's "block" device type (src/daemon/device_type.h). */
struct xvd_device_type;
extern const struct xvd_device_type xvd_block_type;

/* The storage ops table (opaque: struct xvd_blk_file *). */
extern const struct xv_blk_storage_ops xvd_blk_file_ops;
/* The same without discard, for discard=no. */
extern const struct xv_blk_storage_ops xvd_blk_file_ops_nodiscard;
/* Read-only media: no flush, discard or write zeroes to offer. */
extern const struct xv_blk_storage_ops xvd_blk_file_ops_ro;

#endif
