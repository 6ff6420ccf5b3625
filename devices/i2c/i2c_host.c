/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A host I2C adapter behind virtio-i2c: /dev/i2c-N chosen by number or by
 * its sysfs name. Plain I2C adapters get each group as one I2C_RDWR (one
 * transaction, repeated starts); SMBus-only adapters get the one SMBus
 * ioctl a group maps onto (quick, byte, byte data, word data, block data),
 * and anything else fails cleanly with -EOPNOTSUPP.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "i2c_dev.h"

#define SYSFS_ADAPTERS "/sys/class/i2c-adapter"

static int sys_ioctl(int fd, unsigned long request, void *arg)
{
    int r;

    do {
        r = ioctl(fd, request, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* "name:ADAPTER": the i2c-N whose sysfs name is ADAPTER, exactly. */
static int find_by_name(const char *name, char *path, size_t pathlen)
{
    DIR *d = opendir(SYSFS_ADAPTERS);
    struct dirent *de;
    int found = -ENODEV;

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        char file[512], line[256];
        FILE *f;

        if (strncmp(de->d_name, "i2c-", 4) != 0)
            continue;
        snprintf(file, sizeof(file), SYSFS_ADAPTERS "/%s/name", de->d_name);
        f = fopen(file, "re");
        if (!f)
            continue;
        if (fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strcmp(line, name) == 0 && found == -ENODEV) {
                snprintf(path, pathlen, "/dev/%s", de->d_name);
                found = 0;
            } else if (strcmp(line, name) == 0) {
                found = -EEXIST;    /* ambiguous: the admin must pick */
            }
        }
        fclose(f);
    }
    closedir(d);
    return found;
}

int xvd_i2c_host_open(struct xvd_i2c_host *h, const char *spec, char *err,
                      size_t errlen)
{
    char path[300];
    int e;

    memset(h, 0, sizeof(*h));
    h->fd = -1;
    h->ioctl_fn = sys_ioctl;
    if (strncmp(spec, "name:", 5) == 0) {
        e = -find_by_name(spec + 5, path, sizeof(path));
        if (e) {
            snprintf(err, errlen, "no%s adapter named '%s' in " SYSFS_ADAPTERS,
                     e == EEXIST ? " unique" : "", spec + 5);
            return -e;
        }
    } else if (strncmp(spec, "i2c-", 4) == 0) {
        snprintf(path, sizeof(path), "/dev/%s", spec);
    } else if (strncmp(spec, "/dev/i2c-", 9) == 0) {
        snprintf(path, sizeof(path), "%s", spec);
    } else {
        snprintf(err, errlen, "'%s': not emulated, /dev/i2c-N, i2c-N or name:ADAPTER",
                 spec);
        return -EINVAL;
    }
    h->fd = open(path, O_RDWR | O_CLOEXEC);
    if (h->fd < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    if (h->ioctl_fn(h->fd, I2C_FUNCS, &h->funcs) < 0) {
        e = errno;
        snprintf(err, errlen, "%s: I2C_FUNCS: %s", path, strerror(e));
        xvd_i2c_host_close(h);
        return -e;
    }
    if (!(h->funcs & (I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE |
                      I2C_FUNC_SMBUS_BYTE_DATA | I2C_FUNC_SMBUS_WORD_DATA |
                      I2C_FUNC_SMBUS_BLOCK_DATA))) {
        snprintf(err, errlen, "%s: adapter offers neither I2C nor SMBus transfers",
                 path);
        xvd_i2c_host_close(h);
        return -EOPNOTSUPP;
    }
    return 0;
}

void xvd_i2c_host_close(struct xvd_i2c_host *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
}

/*
 * The SMBus mapping, the reverse of Linux's i2c_smbus_xfer_emulated().
 */
static bool is_read(const struct xv_i2c_msg *m)
{
    return m->flags & XV_I2C_MSG_RD;
}

int xvd_i2c_smbus_map(const struct xv_i2c_msg *msgs, unsigned n,
                      unsigned long funcs, struct xvd_i2c_smbus_op *op)
{
    const struct xv_i2c_msg *m = &msgs[0];
    unsigned long need;

    memset(op, 0, sizeof(*op));
    if (n == 0 || n > 2 || (m->flags & XV_I2C_MSG_TEN) ||
        (n == 2 && (msgs[1].addr != m->addr || (msgs[1].flags & XV_I2C_MSG_TEN))))
        return -EOPNOTSUPP;
    op->addr = m->addr;
    if (n == 1 && m->len == 0) {
        op->read_write = is_read(m) ? I2C_SMBUS_READ : I2C_SMBUS_WRITE;
        op->size = I2C_SMBUS_QUICK;
        need = I2C_FUNC_SMBUS_QUICK;
    } else if (n == 1 && is_read(m) && m->len == 1) {
        op->read_write = I2C_SMBUS_READ;
        op->size = I2C_SMBUS_BYTE;
        need = I2C_FUNC_SMBUS_READ_BYTE;
    } else if (n == 1 && is_read(m)) {
        return -EOPNOTSUPP;
    } else if (n == 1 && m->len == 1) {
        op->read_write = I2C_SMBUS_WRITE;
        op->size = I2C_SMBUS_BYTE;
        op->command = m->buf[0];
        need = I2C_FUNC_SMBUS_WRITE_BYTE;
    } else if (n == 1 && m->len == 2) {
        op->read_write = I2C_SMBUS_WRITE;
        op->size = I2C_SMBUS_BYTE_DATA;
        op->command = m->buf[0];
        op->data[0] = m->buf[1];
        need = I2C_FUNC_SMBUS_WRITE_BYTE_DATA;
    } else if (n == 1 && m->len == 3) {
        op->read_write = I2C_SMBUS_WRITE;
        op->size = I2C_SMBUS_WORD_DATA;
        op->command = m->buf[0];
        op->data[0] = m->buf[1];    /* the word is little-endian on the wire */
        op->data[1] = m->buf[2];
        need = I2C_FUNC_SMBUS_WRITE_WORD_DATA;
    } else if (n == 1) {
        /* Block write: command, count, count bytes. The buffer may be
         * guest memory another vCPU can change: check the copy, not it. */
        if (m->len < 2 || m->len - 2u > I2C_SMBUS_BLOCK_MAX)
            return -EOPNOTSUPP;
        memcpy(op->data, m->buf + 1, m->len - 1u);
        if (op->data[0] != m->len - 2)
            return -EOPNOTSUPP;
        op->read_write = I2C_SMBUS_WRITE;
        op->size = I2C_SMBUS_BLOCK_DATA;
        op->command = m->buf[0];
        need = I2C_FUNC_SMBUS_WRITE_BLOCK_DATA;
    } else {
        /* Write the command, then read with a repeated start. */
        const struct xv_i2c_msg *r = &msgs[1];

        if (is_read(m) || m->len != 1 || !is_read(r) || r->len == 0)
            return -EOPNOTSUPP;
        op->read_write = I2C_SMBUS_READ;
        op->command = m->buf[0];
        if (r->len == 1) {
            op->size = I2C_SMBUS_BYTE_DATA;
            need = I2C_FUNC_SMBUS_READ_BYTE_DATA;
        } else if (r->len == 2) {
            op->size = I2C_SMBUS_WORD_DATA;
            need = I2C_FUNC_SMBUS_READ_WORD_DATA;
        } else if (r->len <= I2C_SMBUS_BLOCK_MAX + 1) {
            /* The reply is the count byte then the data, as the driver
             * would see it from a plain I2C read of that length. */
            op->size = I2C_SMBUS_BLOCK_DATA;
            need = I2C_FUNC_SMBUS_READ_BLOCK_DATA;
        } else {
            return -EOPNOTSUPP;
        }
    }
    return (funcs & need) == need ? 0 : -EOPNOTSUPP;
}

int xvd_i2c_smbus_result(const struct xvd_i2c_smbus_op *op,
                         struct xv_i2c_msg *msgs, unsigned n)
{
    struct xv_i2c_msg *r = &msgs[n - 1];

    if (op->read_write != I2C_SMBUS_READ || op->size == I2C_SMBUS_QUICK)
        return 0;
    switch (op->size) {
    case I2C_SMBUS_BYTE:
    case I2C_SMBUS_BYTE_DATA:
        r->buf[0] = op->data[0];
        return 0;
    case I2C_SMBUS_WORD_DATA:
        r->buf[0] = op->data[0];
        r->buf[1] = op->data[1];
        return 0;
    default:
        if (op->data[0] > I2C_SMBUS_BLOCK_MAX || op->data[0] + 1u > r->len)
            return -EPROTO;     /* more than the guest has room for */
        memset(r->buf, 0, r->len);
        memcpy(r->buf, op->data, op->data[0] + 1u);
        return 0;
    }
}

static int smbus_transfer(struct xvd_i2c_host *h, struct xv_i2c_msg *msgs,
                          unsigned n)
{
    struct xvd_i2c_smbus_op op;
    union i2c_smbus_data data;
    struct i2c_smbus_ioctl_data args;
    int r = xvd_i2c_smbus_map(msgs, n, h->funcs, &op);

    if (r < 0)
        return r;
    /* I2C_SLAVE, not _FORCE: a host driver bound to the address wins. */
    if (h->ioctl_fn(h->fd, I2C_SLAVE, (void *)(uintptr_t)op.addr) < 0)
        return -errno;
    memset(&data, 0, sizeof(data));
    memcpy(&data, op.data, sizeof(data) < sizeof(op.data) ? sizeof(data) :
           sizeof(op.data));
    args.read_write = op.read_write;
    args.command = op.command;
    args.size = op.size;
    args.data = op.size == I2C_SMBUS_QUICK ? NULL : &data;
    if (h->ioctl_fn(h->fd, I2C_SMBUS, &args) < 0)
        return -errno;
    memcpy(op.data, &data, sizeof(data) < sizeof(op.data) ? sizeof(data) :
           sizeof(op.data));
    r = xvd_i2c_smbus_result(&op, msgs, n);
    return r < 0 ? r : (int)n;
}

static int host_transfer(void *opaque, struct xv_i2c_msg *msgs, unsigned n)
{
    struct xvd_i2c_host *h = opaque;
    struct i2c_msg m[XV_I2C_GROUP_MAX];
    struct i2c_rdwr_ioctl_data rdwr = { m, n };
    int r;

    if (!(h->funcs & I2C_FUNC_I2C))
        return smbus_transfer(h, msgs, n);
    if (n > XV_I2C_GROUP_MAX || n > I2C_RDWR_IOCTL_MAX_MSGS)
        return -EOPNOTSUPP;
    for (unsigned i = 0; i < n; i++) {
        m[i].addr = msgs[i].addr;
        m[i].flags = (uint16_t)(((msgs[i].flags & XV_I2C_MSG_RD) ? I2C_M_RD : 0) |
                                ((msgs[i].flags & XV_I2C_MSG_TEN) ? I2C_M_TEN : 0));
        m[i].len = msgs[i].len;
        m[i].buf = msgs[i].buf;
    }
    r = h->ioctl_fn(h->fd, I2C_RDWR, &rdwr);
    if (r < 0)
        return -errno;
    return r;
}

static unsigned host_funcs(void *opaque)
{
    struct xvd_i2c_host *h = opaque;
    unsigned f = 0;

    if (h->funcs & I2C_FUNC_I2C)
        f |= XV_I2C_FUNC_I2C | XV_I2C_FUNC_ZERO_LEN;
    if (h->funcs & I2C_FUNC_10BIT_ADDR)
        f |= XV_I2C_FUNC_10BIT_ADDR;
    if (h->funcs & I2C_FUNC_SMBUS_QUICK)
        f |= XV_I2C_FUNC_ZERO_LEN;
    return f;
}

const struct xv_i2c_bus_ops xvd_i2c_host_ops = {
    .transfer = host_transfer,
    .funcs = host_funcs,
};
