/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linux storage for the virtio-blk engine: a regular file or a block
 * device, with synchronous preadv/pwritev, or io_uring (blk_uring.h) when
 * the kernel allows it. Daemon-side, not freestanding.
 */
#ifndef XVD_BLK_FILE_H
#define XVD_BLK_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "blk.h"

struct xvd_blk_uring;

struct xvd_blk_file {
    int fd;
    int direct_fd;              /* O_DIRECT view of the medium, or -1 */
    bool is_blockdev;
    bool punch_hole_ok;         /* cleared when the filesystem refuses */
    bool zero_range_ok;
    bool blkzeroout_ok;
    bool slow_zeroes;           /* zeroing writes zeroes on the loop thread */
    struct xv_blk_storage storage;  /* ops, capacity, geometry, id */
    uint64_t syncs;             /* data syncs asked of the host: flushes and
                                 * write-through writes (statistics, tests) */
    struct xvd_blk_uring *uring;    /* NULL: synchronous I/O */
};

struct xvd_blk_file_opts {
    const char *path;
    bool read_only;
    bool discard;               /* offer VIRTIO_BLK_F_DISCARD */
    const char *serial;         /* NULL: derived from the file's identity */
    bool direct;                /* also open it O_DIRECT (direct_fd) */
};

/* Open and describe the medium; on error returns -errno and explains in
 * err (path and reason). A mounted block device is refused. */
int xvd_blk_file_open(struct xvd_blk_file *f, const struct xvd_blk_file_opts *opts,
                      char *err, size_t errlen);
void xvd_blk_file_close(struct xvd_blk_file *f);

/* iovecs per preadv/pwritev: the kernel refuses more than IOV_MAX. */
#define XVD_BLK_FILE_IOV_MAX 1024u

/* Transfer iov[0..n) at offset, skipping its first 'done' bytes (already
 * transferred), resuming after short transfers. 0 or -errno. */
int xvd_blk_file_rw(int fd, bool write, uint64_t offset,
                    const struct xv_iovec *iov, unsigned n, size_t done);

/* The storage ops table (opaque: struct xvd_blk_file *). */
extern const struct xv_blk_storage_ops xvd_blk_file_ops;
/* The same without discard, for discard=no. */
extern const struct xv_blk_storage_ops xvd_blk_file_ops_nodiscard;
/* Read-only media: no flush, discard or write zeroes to offer. */
extern const struct xv_blk_storage_ops xvd_blk_file_ops_ro;

/* Zeroing falls back to writing zeroes (no ZERO_RANGE / no device
 * support): the device then offers WRITE_ZEROES in pieces of at most
 * SLOW_ZEROES_SECTORS, one range per request. */
#define SLOW_ZEROES_SECTORS 2048u   /* 1 MiB */
bool xvd_blk_file_slow_zeroes(const struct xvd_blk_file *f);

#endif
