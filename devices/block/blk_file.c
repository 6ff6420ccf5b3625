/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk storage for the daemon: a regular file or a block device,
 * with synchronous preadv/pwritev (blk_uring.c adds io_uring on top).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blk_file.h"

/* Bytes per call: keeps the return value within ssize_t on 32-bit hosts. */
#define RW_BYTES_MAX    (1u << 30)

static struct xvd_blk_file *file_of(void *opaque)
{
    return opaque;
}

/*
 * Transfer all of iov[0..n) at offset, resuming after short transfers and
 * signals. A zero-length transfer means the medium shrank under us.
 */
static int rw_full(int fd, bool write, uint64_t offset,
                   const struct xv_iovec *iov, unsigned n)
{
    return xvd_blk_file_rw(fd, write, offset, iov, n, 0);
}

int xvd_blk_file_rw(int fd, bool write, uint64_t offset,
                    const struct xv_iovec *iov, unsigned n, size_t done)
{
    struct iovec v[XVD_BLK_FILE_IOV_MAX];
    unsigned i = 0;
    size_t skip = 0;    /* bytes of iov[i] already done */

    offset += done;
    while (i < n && done) {
        size_t take = iov[i].len < done ? iov[i].len : done;

        done -= take;
        if (take == iov[i].len) {
            i++;
        } else {
            skip = take;
            done = 0;
        }
    }

    for (;;) {
        unsigned cnt = 0;
        size_t want = 0;
        ssize_t r;

        while (i < n && iov[i].len == skip) {
            i++;
            skip = 0;
        }
        if (i == n)
            return 0;
        for (unsigned j = i; j < n && cnt < XVD_BLK_FILE_IOV_MAX && want < RW_BYTES_MAX; j++) {
            size_t off = j == i ? skip : 0;
            size_t len = iov[j].len - off;

            if (len == 0)
                continue;
            if (len > RW_BYTES_MAX - want)
                len = RW_BYTES_MAX - want;
            v[cnt].iov_base = (char *)iov[j].base + off;
            v[cnt].iov_len = len;
            want += len;
            cnt++;
        }
        if (offset > (uint64_t)INT64_MAX - want)
            return -EINVAL;
        if (write)
            r = pwritev(fd, v, (int)cnt, (off_t)offset);
        else
            r = preadv(fd, v, (int)cnt, (off_t)offset);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0 || (size_t)r > want)
            return -EIO;
        offset += (uint64_t)r;
        for (size_t left = (size_t)r; left && i < n;) {
            size_t rest = iov[i].len - skip;

            if (left < rest) {
                skip += left;
                left = 0;
            } else {
                left -= rest;
                i++;
                skip = 0;
            }
        }
    }
}

static int file_read(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                     unsigned n)
{
    return rw_full(file_of(opaque)->fd, false, offset, iov, n);
}

static int file_write(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                      unsigned n)
{
    return rw_full(file_of(opaque)->fd, true, offset, iov, n);
}

static int file_flush(void *opaque)
{
    struct xvd_blk_file *f = file_of(opaque);

    f->syncs++;
    return fdatasync(f->fd) < 0 ? -errno : 0;
}

static bool unsupported(int err)
{
    return err == EOPNOTSUPP || err == ENOSYS || err == ENOTTY || err == EINVAL;
}

static int do_fallocate(int fd, int mode, uint64_t offset, uint64_t len)
{
    int r;

    do {
        r = fallocate(fd, mode, (off_t)offset, (off_t)len);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

static int do_ioctl_range(int fd, unsigned long req, uint64_t offset,
                          uint64_t len)
{
    uint64_t range[2] = { offset, len };
    int r;

    do {
        r = ioctl(fd, req, range);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

/* Discard is a hint: when the medium can't deallocate, doing nothing is a
 * correct answer, and an error would only make the guest log noise. */
static int file_discard(void *opaque, uint64_t offset, uint64_t len)
{
    struct xvd_blk_file *f = file_of(opaque);
    int r;

    if (!f->punch_hole_ok)
        return 0;
    if (f->is_blockdev)
        r = do_ioctl_range(f->fd, BLKDISCARD, offset, len);
    else
        r = do_fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                         offset, len);
    if (r < 0 && unsupported(-r)) {
        f->punch_hole_ok = false;
        return 0;
    }
    return r;
}

/*
 * Can the medium zero a range without us writing the zeroes? A file is
 * asked for FALLOC_FL_ZERO_RANGE past its end (KEEP_SIZE: the size and
 * data stay; the block it allocated is punched back); a block device whose
 * queue cannot write zeroes makes BLKZEROOUT write them in the kernel,
 * synchronously. Slow media get small WRITE_ZEROES limits, so one request
 * cannot hold the event loop for long.
 */
static void probe_zeroing(struct xvd_blk_file *f, const struct stat *st)
{
    char path[96], buf[32] = "";
    FILE *q;

    if (S_ISBLK(st->st_mode)) {
        snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/write_zeroes_max_bytes",
                 major(st->st_rdev), minor(st->st_rdev));
        q = fopen(path, "re");
        if (q) {
            f->slow_zeroes = !fgets(buf, sizeof(buf), q) || strtoull(buf, NULL, 10) == 0;
            fclose(q);
        }
        return;
    }
    uint64_t end = ((uint64_t)st->st_size + 4095) & ~(uint64_t)4095;

    if (do_fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, end, 4096) < 0) {
        f->zero_range_ok = false;
        f->slow_zeroes = true;
        return;
    }
    (void)do_fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, end, 4096);
}

bool xvd_blk_file_slow_zeroes(const struct xvd_blk_file *f)
{
    return f->slow_zeroes;
}

static int write_zeroes_slow(int fd, uint64_t offset, uint64_t len)
{
    static const uint8_t zeroes[64 * 1024];
    struct xv_iovec v = { (void *)(uintptr_t)zeroes, 0 };

    while (len) {
        int r;

        v.len = len < sizeof(zeroes) ? (size_t)len : sizeof(zeroes);
        r = rw_full(fd, true, offset, &v, 1);
        if (r < 0)
            return r;
        offset += v.len;
        len -= v.len;
    }
    return 0;
}

static int file_write_zeroes(void *opaque, uint64_t offset, uint64_t len,
                             bool may_unmap)
{
    struct xvd_blk_file *f = file_of(opaque);
    int r;

    if (f->is_blockdev) {
        if (f->blkzeroout_ok) {
            r = do_ioctl_range(f->fd, BLKZEROOUT, offset, len);
            if (r == 0 || !unsupported(-r))
                return r;
            f->blkzeroout_ok = false;
        }
        return write_zeroes_slow(f->fd, offset, len);
    }
    /* On a file a punched hole reads back as zeroes. */
    if (may_unmap && f->punch_hole_ok) {
        r = do_fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                         offset, len);
        if (r == 0 || !unsupported(-r))
            return r;
        f->punch_hole_ok = false;
    }
    if (f->zero_range_ok) {
        r = do_fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                         offset, len);
        if (r == 0 || !unsupported(-r))
            return r;
        f->zero_range_ok = false;
    }
    return write_zeroes_slow(f->fd, offset, len);
}

const struct xv_blk_storage_ops xvd_blk_file_ops = {
    .read = file_read,
    .write = file_write,
    .flush = file_flush,
    .discard = file_discard,
    .write_zeroes = file_write_zeroes,
};

const struct xv_blk_storage_ops xvd_blk_file_ops_nodiscard = {
    .read = file_read,
    .write = file_write,
    .flush = file_flush,
    .write_zeroes = file_write_zeroes,
};

const struct xv_blk_storage_ops xvd_blk_file_ops_ro = {
    .read = file_read,
    .write = file_write,    /* never called: the engine refuses writes */
};

/* Is the block device rdev mounted? Answers the mount point in 'where'. */
static bool is_mounted(dev_t rdev, char *where, size_t wherelen)
{
    FILE *mounts = setmntent("/proc/self/mounts", "re");
    struct mntent *m;
    bool found = false;

    if (!mounts)
        return false;
    while (!found && (m = getmntent(mounts))) {
        struct stat st;

        if (m->mnt_fsname[0] != '/' || stat(m->mnt_fsname, &st) < 0)
            continue;
        if (S_ISBLK(st.st_mode) && st.st_rdev == rdev) {
            snprintf(where, wherelen, "%s", m->mnt_dir);
            found = true;
        }
    }
    endmntent(mounts);
    return found;
}

static int describe_blockdev(struct xvd_blk_file *f, const char *path,
                             char *err, size_t errlen)
{
    struct xv_blk_storage *s = &f->storage;
    uint64_t bytes;
    int lbs = 0;
    unsigned int pbs = 0, io_min = 0, io_opt = 0;

    if (ioctl(f->fd, BLKGETSIZE64, &bytes) < 0 || ioctl(f->fd, BLKSSZGET, &lbs) < 0) {
        int e = errno;

        snprintf(err, errlen, "%s: cannot get the device's size: %s", path,
                 strerror(e));
        return -e;
    }
    s->capacity = bytes;
    s->blk_size = lbs >= 512 && (lbs & (lbs - 1)) == 0 ? (uint32_t)lbs : 512;
    /* Topology is advice: ignore what the kernel can't tell. */
    if (ioctl(f->fd, BLKPBSZGET, &pbs) == 0 && pbs > s->blk_size &&
        (pbs & (pbs - 1)) == 0) {
        while ((s->blk_size << s->physical_block_exp) < pbs)
            s->physical_block_exp++;
    }
    if (ioctl(f->fd, BLKIOMIN, &io_min) == 0 && io_min / s->blk_size <= UINT16_MAX)
        s->min_io_size = (uint16_t)(io_min / s->blk_size);
    if (ioctl(f->fd, BLKIOOPT, &io_opt) == 0)
        s->opt_io_size = io_opt / s->blk_size;
    return 0;
}

/* An image file's filesystem block is its physical block: writing part of
 * one costs the host a read-modify-write, so the guest should align. */
static void describe_file_blocks(struct xv_blk_storage *s, const struct stat *st)
{
    uint32_t fs_block = (uint32_t)st->st_blksize;

    if (st->st_blksize <= s->blk_size || st->st_blksize > 65536 ||
        (fs_block & (fs_block - 1)) != 0)
        return;
    while ((s->blk_size << s->physical_block_exp) < fs_block)
        s->physical_block_exp++;
    s->min_io_size = (uint16_t)(fs_block / s->blk_size);
}

int xvd_blk_file_open(struct xvd_blk_file *f, const struct xvd_blk_file_opts *opts,
                      char *err, size_t errlen)
{
    struct xv_blk_storage *s = &f->storage;
    const char *path = opts->path;
    struct stat st, st2;
    char where[256];
    int flags = (opts->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    int e;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->direct_fd = -1;
    if (stat(path, &st) < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    if (S_ISBLK(st.st_mode)) {
        /* Serving a mounted filesystem to a guest corrupts it. */
        if (is_mounted(st.st_rdev, where, sizeof(where))) {
            snprintf(err, errlen, "%s: block device is mounted on %s", path,
                     where);
            return -EBUSY;
        }
        /* Exclusive open: fails while anything (a mount, swap, another
         * daemon, a partition of it in use) holds the device. */
        flags |= O_EXCL;
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file or block device", path);
        return -EINVAL;
    }
    f->fd = open(path, flags);
    if (f->fd < 0) {
        e = errno;
        snprintf(err, errlen, "%s: cannot open%s: %s", path,
                 opts->read_only ? " read-only" : "", strerror(e));
        return -e;
    }
    if (fstat(f->fd, &st2) < 0 || st2.st_dev != st.st_dev ||
        st2.st_ino != st.st_ino) {
        snprintf(err, errlen, "%s: changed while being opened", path);
        e = EAGAIN;
        goto fail;
    }
    f->is_blockdev = S_ISBLK(st.st_mode);
    if (!f->is_blockdev &&
        flock(f->fd, (opts->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        e = errno;
        snprintf(err, errlen, "%s: in use by another process (%s)", path,
                 strerror(e));
        goto fail;
    }
    if (opts->direct) {
        /* Without O_EXCL: our first open already holds the device. */
        f->direct_fd = open(path, (flags & ~O_EXCL) | O_DIRECT);
        if (f->direct_fd < 0) {
            e = errno;
            snprintf(err, errlen, "%s: cannot open with O_DIRECT (direct = yes): %s",
                     path, strerror(e));
            goto fail;
        }
    }
    s->opaque = f;
    s->read_only = opts->read_only;
    if (opts->read_only)
        s->ops = &xvd_blk_file_ops_ro;
    else if (opts->discard)
        s->ops = &xvd_blk_file_ops;
    else
        s->ops = &xvd_blk_file_ops_nodiscard;
    f->punch_hole_ok = f->zero_range_ok = f->blkzeroout_ok = true;
    if (!opts->read_only)
        probe_zeroing(f, &st2);
    if (f->is_blockdev) {
        e = -describe_blockdev(f, path, err, errlen);
        if (e)
            goto fail;
    } else {
        s->capacity = (uint64_t)st2.st_size;
        s->blk_size = 512;
        describe_file_blocks(s, &st2);
    }
    if (opts->serial) {
        size_t len = strlen(opts->serial);

        if (len > VIRTIO_BLK_ID_BYTES) {
            snprintf(err, errlen, "serial '%s': longer than %u bytes",
                     opts->serial, VIRTIO_BLK_ID_BYTES);
            e = EINVAL;
            goto fail;
        }
        memcpy(s->id, opts->serial, len);
    } else {
        /* Stable across restarts, distinct per medium (like virtio-disk). */
        char id[64];
        uint64_t a = f->is_blockdev ? (uint64_t)st.st_rdev : (uint64_t)st.st_dev;
        uint64_t b = f->is_blockdev ? 0 : (uint64_t)st.st_ino;
        int len = snprintf(id, sizeof(id), "%" PRIx64 "-%" PRIx64, a, b);

        memcpy(s->id, id, len < (int)VIRTIO_BLK_ID_BYTES ? (size_t)len :
               VIRTIO_BLK_ID_BYTES);
    }
    return 0;
fail:
    close(f->fd);
    f->fd = -1;
    if (f->direct_fd >= 0)
        close(f->direct_fd);
    f->direct_fd = -1;
    return -e;
}

void xvd_blk_file_close(struct xvd_blk_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->direct_fd >= 0)
        close(f->direct_fd);
    f->direct_fd = -1;
}
