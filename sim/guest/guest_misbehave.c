/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest `misbehave CASE`: break one driver MUST on the first device
 * of the case's type (virtio-blk here, i2c and SCMI in their own files),
 * report what the guest observed, then reset, re-probe and prove with a
 * good request that the device (and its backend) still works. Expected
 * outcomes, by class (enum guest_mb_class):
 *   ring      the ring is corrupt: the device sets DEVICE_NEEDS_RESET
 *   buffer    only this request is bad: it completes failed (used len 0)
 *   register  the access is refused: the device's state is unchanged
 *   status    the request is answered with the protocol's error status
 *   held      the device waits for the rest (FAIL_NEXT): held until reset
 *   probe     the features the driver accepted are refused at FEATURES_OK
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "guest_prog.h"

enum mb_how {
    MB_HOW_CHAIN,       /* vdrv_vq_misbehave flags on one request */
    MB_HOW_QUEUE_NUM,   /* QueueNum not a power of 2 at setup */
    MB_HOW_ADDR_OVERFLOW,
    MB_HOW_NEVER_GRANTED,
    MB_HOW_REGISTER,    /* vdrv_abuse_registers */
};

/* how: enum mb_how; arg: VDRV_MB_* or enum vdrv_reg_abuse. */
static const struct guest_mb_case blk_cases[] = {
    { "head-out-of-range", MB_RING, MB_HOW_CHAIN, VDRV_MB_HEAD_OUT_OF_RANGE,
      "avail ring entry >= queue size", NULL },
    { "next-out-of-range", MB_RING, MB_HOW_CHAIN, VDRV_MB_NEXT_OUT_OF_RANGE,
      "last descriptor's next >= table size", NULL },
    { "chain-loop", MB_RING, MB_HOW_CHAIN, VDRV_MB_CHAIN_LOOP,
      "last descriptor's next points to itself", NULL },
    { "indirect-nested", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_NESTED,
      "INDIRECT inside an indirect table", NULL },
    { "indirect-len-zero", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_LEN_ZERO,
      "indirect table of length 0", NULL },
    { "indirect-len-odd", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_LEN_ODD,
      "indirect table length not a multiple of 16", NULL },
    { "indirect-next", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_NEXT,
      "INDIRECT together with NEXT", NULL },
    { "read-after-write", MB_RING, MB_HOW_CHAIN, VDRV_MB_READ_AFTER_WRITE,
      "device-readable descriptor after a writable one", NULL },
    { "avail-idx-jump", MB_RING, MB_HOW_CHAIN, VDRV_MB_AVAIL_IDX_JUMP,
      "avail idx moved more than the queue size ahead", NULL },
    { "force-indirect", MB_RING, MB_HOW_CHAIN, VDRV_MB_FORCE_INDIRECT,
      "indirect descriptor without INDIRECT_DESC negotiated", NULL },
    { "queue-num-not-pow2", MB_RING, MB_HOW_QUEUE_NUM, 3,
      "QueueNum 3 (not a power of 2)", NULL },
    { "addr-overflow", MB_BUFFER, MB_HOW_ADDR_OVERFLOW, 0,
      "data descriptor whose address + length wraps 2^64", NULL },
    { "never-granted", MB_BUFFER, MB_HOW_NEVER_GRANTED, 0,
      "data descriptor on a grant reference never granted", NULL },
    { "read-8byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_READ_8BYTE,
      "64-bit read of Status", NULL },
    { "write-8byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_WRITE_8BYTE,
      "64-bit write of QueueSel", NULL },
    { "read-1byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_READ_1BYTE,
      "byte read of DeviceID", NULL },
    { "write-1byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_WRITE_1BYTE,
      "byte write of Status", NULL },
    { "write-readonly", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_WRITE_READONLY,
      "writes to read-only registers", NULL },
    { "queue-config-live", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_QUEUE_CONFIG_LIVE,
      "queue 0 reconfigured while live after DRIVER_OK", NULL },
    { "outside-window", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_OUTSIDE_WINDOW,
      "accesses to reserved register offsets", NULL },
};

static const char *const class_names[] = {
    [MB_RING] = "ring", [MB_BUFFER] = "buffer", [MB_REGISTER] = "register",
    [MB_STATUS] = "status", [MB_HELD] = "held", [MB_PROBE] = "probe",
};

static const char *const expected_text[] = {
    [MB_RING] = "DEVICE_NEEDS_RESET",
    [MB_BUFFER] = "request failed",
    [MB_REGISTER] = "refused, device unchanged",
    [MB_STATUS] = "error status, device goes on",
    [MB_HELD] = "held until reset",
    [MB_PROBE] = "FEATURES_OK refused",
};

/* Registers that must read the same before and after a refused access. */
static const struct {
    uint32_t offset;
    const char *name;
} snapshot_regs[] = {
    { VIRTIO_MMIO_MAGIC_VALUE, "MagicValue" },
    { VIRTIO_MMIO_VERSION, "Version" },
    { VIRTIO_MMIO_DEVICE_ID, "DeviceID" },
    { VIRTIO_MMIO_VENDOR_ID, "VendorID" },
    { VIRTIO_MMIO_STATUS, "Status" },
    { VIRTIO_MMIO_CONFIG_GENERATION, "ConfigGeneration" },
    { VIRTIO_MMIO_QUEUE_READY, "QueueReady" },
    { VIRTIO_MMIO_QUEUE_NUM_MAX, "QueueNumMax" },
};
#define NR_SNAPSHOT_REGS (sizeof(snapshot_regs) / sizeof(snapshot_regs[0]))

static void snapshot(struct vdrv_device *vdev, uint64_t values[NR_SNAPSHOT_REGS])
{
    /* Queue registers show the selected queue: the one we use. */
    vdrv_mmio_write(vdev, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
    for (unsigned i = 0; i < NR_SNAPSHOT_REGS; i++) {
        if (vdrv_mmio_read(vdev, snapshot_regs[i].offset, 4, &values[i]) < 0)
            values[i] = UINT64_MAX;
    }
}

uint64_t guest_mb_ungranted_addr(struct guest_ctx *ctx, struct guest_dev *dev)
{
    uint64_t addr;
    uint32_t ref = 4095;

    if (!dev->node->grants) {
        /* No grants on this device: the same violation is an address
         * that is not guest RAM. */
        addr = XENSIM_GUEST_RAM_BASE + xensim_guest_ram_size(dev->xt.bus->guest);
        guest_info(ctx, dev->node, "note: the device does not use grants; using "
                   "GPA %#" PRIx64 " (beyond guest RAM) instead", addr);
        return addr;
    }
    /* A reference nobody granted: the last free one of the first 4096. */
    while (ref > XENSIM_FIRST_GRANT_REF && xensim_grant_flags(dev->xt.bus->guest, ref))
        ref--;
    guest_debug(ctx, dev->node, "data descriptor on grant ref %u", ref);
    return VDRV_GRANT_DMA_ADDR(ref, 0);
}

bool guest_mb_needs_reset(struct guest_ctx *ctx, struct guest_dev *dev)
{
    uint32_t status = vdrv_get_status(dev->vdev);

    if (dev->vdev->needs_reset)
        guest_info(ctx, dev->node, "observed: DEVICE_NEEDS_RESET via config interrupt "
                   "(Status 0x%02x)", status);
    else if (status & VIRTIO_CONFIG_S_NEEDS_RESET)
        guest_info(ctx, dev->node, "observed: DEVICE_NEEDS_RESET in Status 0x%02x "
                   "(no config interrupt)", status);
    return dev->vdev->needs_reset || (status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static int good_request(struct guest_ctx *ctx, struct guest_dev *dev, const char *when)
{
    uint8_t sector[512];
    int status = vdrv_blk_read(&dev->u.blk, 0, sector, sizeof(sector));

    if (status == VIRTIO_BLK_S_OK) {
        guest_info(ctx, dev->node, "%s: read of sector 0 OK", when);
        return GUEST_EXIT_OK;
    }
    guest_fail(ctx, dev->node, "%s: read of sector 0 failed: %s", when,
               status < 0 ? strerror(-status) : guest_blk_status_name(status));
    return GUEST_EXIT_FAIL;
}

/* Ring and buffer cases: one request shaped by the case. */
static int run_request(struct guest_ctx *ctx, struct guest_dev *dev,
                       const struct guest_mb_case *c)
{
    struct vdrv_device *vdev = dev->vdev;
    struct guest_blk_io *io = guest_blk_io_new(4096);
    int err;

    if (!io)
        return GUEST_EXIT_ENV;
    io->type = VIRTIO_BLK_T_IN;
    if (c->how == MB_HOW_CHAIN) {
        io->misbehave = c->arg;
        if ((c->arg & (VDRV_MB_INDIRECT_NESTED | VDRV_MB_INDIRECT_LEN_ZERO |
                       VDRV_MB_INDIRECT_LEN_ODD | VDRV_MB_INDIRECT_NEXT)) &&
            !vdrv_has_feature(vdev, VDRV_F_INDIRECT_DESC))
            guest_info(ctx, dev->node, "note: INDIRECT_DESC not negotiated, so the "
                       "indirect descriptor is wrong in itself too");
    } else if (c->how == MB_HOW_ADDR_OVERFLOW) {
        io->raw_data = true;
        io->raw_addr = UINT64_MAX - 511;    /* + 4096 wraps */
    } else {
        io->raw_data = true;
        io->raw_addr = guest_mb_ungranted_addr(ctx, dev);
    }
    err = guest_blk_io_submit(&dev->u.blk, io);
    if (err) {
        guest_fail(ctx, dev->node, "request not queued: %s", strerror(-err));
        free(io);
        return GUEST_EXIT_FAIL;
    }
    err = guest_blk_io_wait(&dev->u.blk, io, ctx->timeout_ms);
    if (vdev->needs_reset && guest_mb_needs_reset(ctx, dev)) {
        free(io);
        return c->cls == MB_RING ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    }
    if (io->done) {
        bool failed = io->used_len == 0 || io->status != VIRTIO_BLK_S_OK;

        guest_info(ctx, dev->node, "observed: request %s, used len %u, status %s",
                   failed ? "failed" : "completed", io->used_len,
                   guest_blk_status_name(io->status));
        free(io);
        return c->cls == MB_BUFFER && failed ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    }
    if (guest_mb_needs_reset(ctx, dev)) {
        free(io);
        return c->cls == MB_RING ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    }
    guest_fail(ctx, dev->node, "observed: no reaction (%s%s)", strerror(-err),
               dev->u.blk.dev.vqs[0].broken ? ", queue broken: bad used entry" : "");
    free(io);
    return GUEST_EXIT_FAIL;
}

static int run_register(struct guest_ctx *ctx, struct guest_dev *dev,
                        const struct guest_mb_case *c)
{
    struct vdrv_device *vdev = dev->vdev;
    uint64_t before[NR_SNAPSHOT_REGS], after[NR_SNAPSHOT_REGS], value = 0;
    int rc = GUEST_EXIT_OK, err;

    snapshot(vdev, before);
    /* The two reads are done here so the value the guest got is seen. */
    if (c->arg == VDRV_REG_READ_8BYTE)
        err = vdrv_mmio_read(vdev, VIRTIO_MMIO_STATUS, 8, &value);
    else if (c->arg == VDRV_REG_READ_1BYTE)
        err = vdrv_mmio_read(vdev, VIRTIO_MMIO_DEVICE_ID, 1, &value);
    else
        err = vdrv_abuse_registers(vdev, (enum vdrv_reg_abuse)c->arg, 0);
    if (c->arg == VDRV_REG_READ_8BYTE || c->arg == VDRV_REG_READ_1BYTE)
        guest_info(ctx, dev->node, "observed: the read returned 0x%" PRIx64 "%s%s", value,
                   err ? ", access failed: " : "", err ? strerror(-err) : "");
    else if (err)
        guest_info(ctx, dev->node, "observed: access failed: %s", strerror(-err));
    snapshot(vdev, after);
    for (unsigned i = 0; i < NR_SNAPSHOT_REGS; i++) {
        if (before[i] != after[i]) {
            guest_fail(ctx, dev->node, "observed: %s changed from 0x%" PRIx64 " to 0x%"
                       PRIx64, snapshot_regs[i].name, before[i], after[i]);
            rc = GUEST_EXIT_FAIL;
        }
    }
    if (after[4] & VIRTIO_CONFIG_S_NEEDS_RESET) {
        guest_fail(ctx, dev->node, "observed: DEVICE_NEEDS_RESET (Status 0x%02" PRIx64 ")",
                   after[4]);
        rc = GUEST_EXIT_FAIL;
    }
    if (rc == GUEST_EXIT_OK)
        guest_info(ctx, dev->node, "observed: registers unchanged (Status 0x%02" PRIx64 ")",
                   after[4]);
    /* Unchanged for real only if the live queue still works as set up. */
    if (good_request(ctx, dev, "without reset") != GUEST_EXIT_OK)
        rc = GUEST_EXIT_FAIL;
    return rc;
}

static int run_queue_num(struct guest_ctx *ctx, struct guest_dev *dev)
{
    uint64_t ready = 0;
    uint32_t status = vdrv_get_status(dev->vdev);

    vdrv_mmio_write(dev->vdev, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
    vdrv_mmio_read(dev->vdev, VIRTIO_MMIO_QUEUE_READY, 4, &ready);
    if (status & VIRTIO_CONFIG_S_NEEDS_RESET) {
        guest_info(ctx, dev->node, "observed: DEVICE_NEEDS_RESET in Status 0x%02x%s, "
                   "QueueReady %" PRIu64, status,
                   dev->vdev->needs_reset ? " and config interrupt" : "", ready);
        return GUEST_EXIT_OK;
    }
    guest_fail(ctx, dev->node, "observed: no DEVICE_NEEDS_RESET (Status 0x%02x, "
               "QueueReady %" PRIu64 ")", status, ready);
    return GUEST_EXIT_FAIL;
}

static int run_blk(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_mb_case *c)
{
    switch (c->how) {
    case MB_HOW_QUEUE_NUM:
        return run_queue_num(ctx, dev);
    case MB_HOW_REGISTER:
        return run_register(ctx, dev, c);
    default:
        return run_request(ctx, dev, c);
    }
}

static void blk_options(const struct guest_mb_case *c, struct vdrv_options *opts)
{
    if (c->how == MB_HOW_CHAIN && (c->arg & VDRV_MB_FORCE_INDIRECT))
        opts->features_clear = VDRV_BIT(VDRV_F_INDIRECT_DESC);
    if (c->how == MB_HOW_QUEUE_NUM)
        opts->queue_num_override = (uint16_t)c->arg;
}

static const struct guest_node *find_blk(struct guest_ctx *ctx, const char *selector)
{
    return guest_find_blk(ctx, selector);
}

static const struct guest_mb_table blk_table = {
    .type = GUEST_DEV_BLK,
    .device_id = GUEST_VIRTIO_ID_BLOCK,
    .cases = blk_cases,
    .nr_cases = sizeof(blk_cases) / sizeof(blk_cases[0]),
    .find = find_blk,
    .options = blk_options,
    .run = run_blk,
    .good = good_request,
};

static const struct guest_mb_table *const tables[] = {
    &blk_table, &guest_mb_i2c, &guest_mb_scmi,
};
#define NR_TABLES (sizeof(tables) / sizeof(tables[0]))

static int recover(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_mb_table *t)
{
    int rc;

    /* Linux's answer to NEEDS_RESET: remove (reset, free) and probe. */
    if (!guest_dev_close(dev)) {
        guest_fail(ctx, dev->node, "after reset: %s", dev->vdev->last_error);
        return GUEST_EXIT_FAIL;
    }
    if (guest_dev_open(ctx, dev, dev->node, NULL) != 0) {
        guest_fail(ctx, dev->node, "re-probe after reset failed: %s", dev->error);
        return GUEST_EXIT_FAIL;
    }
    rc = t->good(ctx, dev, "reset, re-probed");
    if (!guest_dev_close(dev)) {
        guest_fail(ctx, dev->node, "remove: %s", dev->vdev->last_error);
        rc = GUEST_EXIT_FAIL;
    }
    return rc;
}

void guest_misbehave_list(void)
{
    for (size_t t = 0; t < NR_TABLES; t++) {
        for (unsigned i = 0; i < tables[t]->nr_cases; i++) {
            const struct guest_mb_case *c = &tables[t]->cases[i];

            printf("%-26s %-8s %s\n", c->name, class_names[c->cls], c->what);
        }
    }
}

static const struct guest_mb_case *find_case(const char *name,
                                             const struct guest_mb_table **table)
{
    for (size_t t = 0; t < NR_TABLES; t++) {
        for (unsigned i = 0; i < tables[t]->nr_cases; i++) {
            if (strcmp(name, tables[t]->cases[i].name) == 0) {
                *table = tables[t];
                return &tables[t]->cases[i];
            }
        }
    }
    return NULL;
}

/* The case's probe: refused for a probe case, else a working device. */
static int open_for_case(struct guest_ctx *ctx, struct guest_dev *dev,
                         const struct guest_node *node, const struct guest_mb_table *t,
                         const struct guest_mb_case *c)
{
    struct vdrv_options opts;
    int err;

    guest_default_options(ctx, node, &opts);
    if (t->options)
        t->options(c, &opts);
    err = guest_dev_open(ctx, dev, node, &opts);
    if (c->cls == MB_PROBE) {
        if (err && strstr(dev->error, "refuses features")) {  /* FEATURES_OK did not stick */
            guest_info(ctx, node, "observed: probe refused: %s", dev->error);
            return GUEST_EXIT_OK;
        }
        guest_fail(ctx, node, "observed: probe %s", err ? dev->error : "succeeded");
        guest_dev_close(dev);
        return GUEST_EXIT_FAIL;
    }
    if (err || dev->type != t->type) {
        guest_fail(ctx, node, "probe failed: %s",
                   dev->error[0] ? dev->error : "not the case's device type");
        guest_dev_close(dev);
        return GUEST_EXIT_ENV;
    }
    return GUEST_EXIT_OK;
}

int guest_cmd_misbehave(struct guest_ctx *ctx, int argc, char **argv)
{
    const struct guest_mb_table *t = NULL;
    const struct guest_mb_case *c;
    const struct guest_node *node;
    const char *selector = NULL;
    struct guest_dev *dev;
    int rc, recovered;

    if (argc == 4 && strcmp(argv[2], "--dev") == 0)
        selector = argv[3];
    else if (argc != 2) {
        guest_error("usage: misbehave CASE [--dev N]   (misbehave list: the cases)");
        return GUEST_EXIT_USAGE;
    }
    if (strcmp(argv[1], "list") == 0) {
        guest_misbehave_list();
        return GUEST_EXIT_OK;
    }
    c = find_case(argv[1], &t);
    if (!c) {
        guest_error("misbehave: unknown case '%s' (misbehave list: the cases)", argv[1]);
        return GUEST_EXIT_USAGE;
    }
    node = t->find ? t->find(ctx, selector) : guest_find_by_id(ctx, t->device_id, selector);
    if (!node) {
        guest_error("misbehave: no %s device in the device tree",
                    t->type == GUEST_DEV_BLK ? "block" : t->type == GUEST_DEV_I2C
                    ? "i2c" : "scmi");
        return GUEST_EXIT_ENV;
    }
    dev = calloc(1, sizeof(*dev));
    if (!dev)
        return GUEST_EXIT_ENV;
    guest_info(ctx, node, "misbehaving: %s (%s violation, expect %s)", c->what,
               class_names[c->cls], expected_text[c->cls]);
    rc = open_for_case(ctx, dev, node, t, c);
    if (rc == GUEST_EXIT_ENV) {
        free(dev);
        return GUEST_EXIT_FAIL;
    }
    if (rc == GUEST_EXIT_OK && c->cls != MB_PROBE)
        rc = t->run(ctx, dev, c);
    recovered = recover(ctx, dev, t);
    if (rc == GUEST_EXIT_OK && recovered == GUEST_EXIT_OK)
        guest_info(ctx, node, "%s: outcome as expected (%s), device recovered", c->name,
                   expected_text[c->cls]);
    else
        guest_fail(ctx, node, "%s: %s", c->name, rc != GUEST_EXIT_OK
                   ? "outcome does not match the expected class"
                   : "device did not recover");
    free(dev);
    return rc != GUEST_EXIT_OK ? rc : recovered;
}
