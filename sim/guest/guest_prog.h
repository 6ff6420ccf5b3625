/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest, the simulated guest OS program: what its commands share.
 * See README.md ("xensim-guest") for the commands, their output and their
 * exit codes.
 */
#ifndef GUEST_PROG_H
#define GUEST_PROG_H

#include <stdbool.h>
#include <stdint.h>

#include "vdrv.h"
#include "vdrv_xensim.h"

/* Exit codes, documented in README.md: tests depend on them. */
#define GUEST_EXIT_OK      0   /* the command did what it checks */
#define GUEST_EXIT_FAIL    1   /* a check failed: probe, verify, outcome */
#define GUEST_EXIT_USAGE   2   /* bad command line */
#define GUEST_EXIT_ENV     3   /* no hypervisor/domain/device tree/device */

#define GUEST_MAX_NODES 64
#define GUEST_DEFAULT_TIMEOUT_MS 5000

#define GUEST_MMIO_MAGIC 0x74726976u    /* "virt" */
#define GUEST_VIRTIO_ID_BLOCK 2u
#define GUEST_VIRTIO_ID_SCMI  32u
#define GUEST_VIRTIO_ID_I2C   34u

/* One line of the device tree written by `xensim create`:
 * "base irq grants backend kind devid name target". */
struct guest_node {
    uint64_t base;
    unsigned irq;
    bool grants;
    unsigned backend_domid;
    char kind[16];              /* "virtio_disk" or "virtio" */
    unsigned devid;
    char name[64];              /* vdev ("xvda") or type ("virtio,device22") */
    char target[256];           /* disk image, "-" for generic devices */
};

struct guest_ctx {
    struct xensim_guest *guest;
    struct vdrv_xensim_bus bus;
    struct guest_node nodes[GUEST_MAX_NODES];
    unsigned nr_nodes;
    bool quiet;
    bool verbose;
    int timeout_ms;             /* wait bound for one request */
};

/* A device brought up by its Linux-like driver. */
enum guest_dev_type {
    GUEST_DEV_NONE,             /* not probed, or the probe failed */
    GUEST_DEV_BLK,
    GUEST_DEV_I2C,
    GUEST_DEV_SCMI,
    GUEST_DEV_OTHER,            /* a virtio device without a driver here */
};

struct guest_dev {
    const struct guest_node *node;
    struct vdrv_xensim xt;
    enum guest_dev_type type;
    union {
        struct vdrv_blk blk;
        struct vdrv_i2c i2c;
        struct vdrv_scmi scmi;
        struct vdrv_device other;
    } u;
    struct vdrv_device *vdev;   /* the vdrv_device inside u */
    char error[200];            /* why the probe failed, worded like Linux */
};

/* Output: one fact per line, prefixed with the device. */
void guest_info(const struct guest_ctx *ctx, const struct guest_node *node,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void guest_fail(const struct guest_ctx *ctx, const struct guest_node *node,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void guest_debug(const struct guest_ctx *ctx, const struct guest_node *node,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Program errors (not what the guest saw), to stderr. */
void guest_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t guest_now_ns(void);
/* "8 MiB", "512 KiB", "1000 bytes" */
void guest_format_size(uint64_t bytes, char *buf, size_t len);
/* Parse an unsigned number (decimal or 0x hex); false if malformed. */
bool guest_parse_u64(const char *s, uint64_t *out);
/* An MMIO error as the guest sees it (-EFAULT: data abort). */
const char *guest_errno_text(int err);

/* Device tree (guest_devtree.c). */
int guest_devtree_load(struct guest_ctx *ctx, const char *path);

/* Devices (guest_dev.c). */
/* Read MagicValue, Version, DeviceID, VendorID without touching state.
 * Returns 0, or the failing access's negative errno (-EFAULT: data abort)
 * with *what naming the register. */
int guest_peek_ids(struct guest_ctx *ctx, const struct guest_node *node,
                   unsigned vcpu, uint32_t ids[4], const char **what);
/* Probe like Linux; opts may be NULL (grants as in the tree). Returns 0 or
 * a negative errno; dev->error says why. */
int guest_dev_open(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_node *node,
                   const struct vdrv_options *opts);
/* Driver remove; false if a grant was still mapped by the backend. */
bool guest_dev_close(struct guest_dev *dev);
void guest_features_string(const struct vdrv_device *vdev, uint64_t features,
                           char *buf, size_t len);
void guest_default_options(const struct guest_ctx *ctx,
                           const struct guest_node *node,
                           struct vdrv_options *opts);
/* The idx-th (0-based) device tree entry of kind virtio_disk, or one
 * selected by "--dev": a decimal index among disks or a base address. */
const struct guest_node *guest_find_blk(const struct guest_ctx *ctx,
                                        const char *selector);

/* A single blk request whose chain the caller shapes (guest_blk.c). */
struct guest_blk_io {
    uint32_t type;              /* VIRTIO_BLK_T_* */
    uint64_t sector;
    uint32_t len;               /* data bytes, <= 1 MiB, one segment */
    bool raw_data;              /* put raw_addr in the data descriptor */
    uint64_t raw_addr;
    unsigned misbehave;         /* VDRV_MB_* for this chain */
    uint16_t queue;             /* request queue (MQ) */
    bool header_writable;       /* header in a device-writable descriptor */
    bool no_status;             /* no status byte descriptor */
    /* results */
    bool done;                  /* the device used the chain */
    uint32_t used_len;
    uint8_t status;             /* 0xff: the device never wrote it */
    struct vdrv_inflight *inflight;  /* its guest memory while queued */
    int64_t submitted_ns;       /* guest_now_ns() at the last submit */
    uint8_t data[];             /* len bytes: in or out */
};
struct guest_blk_io *guest_blk_io_new(uint32_t len);
/* Queue it and kick. On success the request is in flight: wait with
 * guest_blk_io_wait, or leave it (die). */
int guest_blk_io_submit(struct vdrv_blk *blk, struct guest_blk_io *io);
/* Wait up to timeout_ms; 0 when used, else -ETIMEDOUT, -EIO (device
 * needs reset, queue broken) or -errno. Frees the guest memory unless the
 * device still owns it (then it is orphaned, freed at remove). */
int guest_blk_io_wait(struct vdrv_blk *blk, struct guest_blk_io *io,
                      int timeout_ms);
const char *guest_blk_status_name(int status);
/* Probe the disk --dev selects (NULL: the first); GUEST_EXIT_* */
int guest_blk_open(struct guest_ctx *ctx, const char *selector, struct guest_dev **out);
/* Remove it, free it; returns rc, or GUEST_EXIT_FAIL if remove failed. */
int guest_blk_close(struct guest_ctx *ctx, struct guest_dev *dev, int rc);

/*
 * misbehave: one table of hostile cases per device type, each case with
 * the outcome it must get (guest_misbehave.c: virtio-blk, and the driver
 * that runs every table; guest_misbehave_i2c.c, guest_misbehave_scmi.c).
 */
enum guest_mb_class {
    MB_RING,        /* the ring is corrupt: DEVICE_NEEDS_RESET */
    MB_BUFFER,      /* only this request is bad: it completes, used len 0 */
    MB_REGISTER,    /* the access is refused: the device's state unchanged */
    MB_STATUS,      /* the request is answered with the protocol's error */
    MB_HELD,        /* the device waits for more: held until the reset */
    MB_PROBE,       /* the driver's features are refused at FEATURES_OK */
};

struct guest_mb_case {
    const char *name;
    enum guest_mb_class cls;
    unsigned how;               /* the table's own kind of misbehaviour */
    unsigned arg;
    const char *what;
    const void *data;           /* the table's own, optional */
};

struct guest_mb_table {
    enum guest_dev_type type;
    uint32_t device_id;         /* the devices its cases run on */
    const struct guest_mb_case *cases;
    unsigned nr_cases;
    /* The device --dev selects (NULL: selector among those of device_id). */
    const struct guest_node *(*find)(struct guest_ctx *ctx, const char *selector);
    /* Probe options the case needs (optional). */
    void (*options)(const struct guest_mb_case *c, struct vdrv_options *opts);
    /* Break the rule; GUEST_EXIT_OK if the outcome is the case's. */
    int (*run)(struct guest_ctx *ctx, struct guest_dev *dev, const struct guest_mb_case *c);
    /* A request that must work; when says after what. */
    int (*good)(struct guest_ctx *ctx, struct guest_dev *dev, const char *when);
};

extern const struct guest_mb_table guest_mb_i2c, guest_mb_scmi;
/* The device at the selector (a 0x base, or the N-th of its type) whose
 * DeviceID is id, found without touching any device's state. */
const struct guest_node *guest_find_by_id(struct guest_ctx *ctx, uint32_t id,
                                          const char *selector);
/* A DMA address the device was never given: a ref nobody granted, or a
 * GPA beyond RAM when the device does not use grants. */
uint64_t guest_mb_ungranted_addr(struct guest_ctx *ctx, struct guest_dev *dev);
/* The device said DEVICE_NEEDS_RESET (config interrupt or Status): printed. */
bool guest_mb_needs_reset(struct guest_ctx *ctx, struct guest_dev *dev);

/* Commands. argc/argv start at the command name. */
int guest_cmd_probe(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_wait_ready(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_blk_rw(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_blk_read_file(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_blk_check(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_die(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_bench_notify(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_bench_mmio(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_hammer(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_race(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_misbehave(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_i2c_eeprom(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_i2c_sensor(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_i2c_probe_addr(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_i2c_failnext(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_blk_bench(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_scmi_boot(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_scmi_shell(struct guest_ctx *ctx, int argc, char **argv);
int guest_cmd_scmi_flood(struct guest_ctx *ctx, int argc, char **argv);
/* `misbehave list`: needs no domain. */
void guest_misbehave_list(void);

#endif
