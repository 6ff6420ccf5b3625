/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest `misbehave CASE`: break one driver MUST on the first
 * virtio-blk device, report what the guest observed, then reset, re-probe
 * and prove with a good request that the device (and its backend) still
 * works. Expected outcomes, by class:
 *   ring      the ring is corrupt: the device sets DEVICE_NEEDS_RESET
 *   buffer    only this request is bad: it completes failed (used len 0)
 *   register  the access is refused: the device's state is unchanged
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

enum mb_class { MB_RING, MB_BUFFER, MB_REGISTER };

enum mb_how {
    MB_HOW_CHAIN,       /* vdrv_vq_misbehave flags on one request */
    MB_HOW_QUEUE_NUM,   /* QueueNum not a power of 2 at setup */
    MB_HOW_ADDR_OVERFLOW,
    MB_HOW_NEVER_GRANTED,
    MB_HOW_REGISTER,    /* vdrv_abuse_registers */
};

struct mb_case {
    const char *name;
    enum mb_class cls;
    enum mb_how how;
    unsigned arg;       /* VDRV_MB_* or enum vdrv_reg_abuse */
    const char *what;
};

static const struct mb_case mb_cases[] = {
    { "head-out-of-range", MB_RING, MB_HOW_CHAIN, VDRV_MB_HEAD_OUT_OF_RANGE,
      "avail ring entry >= queue size" },
    { "next-out-of-range", MB_RING, MB_HOW_CHAIN, VDRV_MB_NEXT_OUT_OF_RANGE,
      "last descriptor's next >= table size" },
    { "chain-loop", MB_RING, MB_HOW_CHAIN, VDRV_MB_CHAIN_LOOP,
      "last descriptor's next points to itself" },
    { "indirect-nested", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_NESTED,
      "INDIRECT inside an indirect table" },
    { "indirect-len-zero", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_LEN_ZERO,
      "indirect table of length 0" },
    { "indirect-len-odd", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_LEN_ODD,
      "indirect table length not a multiple of 16" },
    { "indirect-next", MB_RING, MB_HOW_CHAIN, VDRV_MB_INDIRECT_NEXT,
      "INDIRECT together with NEXT" },
    { "read-after-write", MB_RING, MB_HOW_CHAIN, VDRV_MB_READ_AFTER_WRITE,
      "device-readable descriptor after a writable one" },
    { "avail-idx-jump", MB_RING, MB_HOW_CHAIN, VDRV_MB_AVAIL_IDX_JUMP,
      "avail idx moved more than the queue size ahead" },
    { "force-indirect", MB_RING, MB_HOW_CHAIN, VDRV_MB_FORCE_INDIRECT,
      "indirect descriptor without INDIRECT_DESC negotiated" },
    { "queue-num-not-pow2", MB_RING, MB_HOW_QUEUE_NUM, 3,
      "QueueNum 3 (not a power of 2)" },
    { "addr-overflow", MB_BUFFER, MB_HOW_ADDR_OVERFLOW, 0,
      "data descriptor whose address + length wraps 2^64" },
    { "never-granted", MB_BUFFER, MB_HOW_NEVER_GRANTED, 0,
      "data descriptor on a grant reference never granted" },
    { "read-8byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_READ_8BYTE,
      "64-bit read of Status" },
    { "write-8byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_WRITE_8BYTE,
      "64-bit write of QueueSel" },
    { "read-1byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_READ_1BYTE,
      "byte read of DeviceID" },
    { "write-1byte", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_WRITE_1BYTE,
      "byte write of Status" },
    { "write-readonly", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_WRITE_READONLY,
      "writes to read-only registers" },
    { "queue-config-live", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_QUEUE_CONFIG_LIVE,
      "queue 0 reconfigured while live after DRIVER_OK" },
    { "outside-window", MB_REGISTER, MB_HOW_REGISTER, VDRV_REG_OUTSIDE_WINDOW,
      "accesses to reserved register offsets" },
};
#define MB_NR_CASES (sizeof(mb_cases) / sizeof(mb_cases[0]))

static const char *const class_names[] = {
    [MB_RING] = "ring", [MB_BUFFER] = "buffer", [MB_REGISTER] = "register",
};

static const char *const expected_text[] = {
    [MB_RING] = "DEVICE_NEEDS_RESET",
    [MB_BUFFER] = "request failed",
    [MB_REGISTER] = "refused, device unchanged",
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

static bool status_needs_reset(struct vdrv_device *vdev)
{
    return vdrv_get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET;
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
                       const struct mb_case *c)
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
    } else if (dev->node->grants) {
        /* A reference nobody granted: the last of the first 4096. */
        uint32_t ref = 4095;

        while (ref > XENSIM_FIRST_GRANT_REF && xensim_grant_flags(dev->xt.bus->guest, ref))
            ref--;
        io->raw_data = true;
        io->raw_addr = VDRV_GRANT_DMA_ADDR(ref, 0);
        guest_debug(ctx, dev->node, "data descriptor on grant ref %u", ref);
    } else {
        /* No grants on this device: the same violation is an address
         * that is not guest RAM. */
        io->raw_data = true;
        io->raw_addr = XENSIM_GUEST_RAM_BASE + xensim_guest_ram_size(dev->xt.bus->guest);
        guest_info(ctx, dev->node, "note: the device does not use grants; using "
                   "GPA %#" PRIx64 " (beyond guest RAM) instead", io->raw_addr);
    }
    err = guest_blk_io_submit(&dev->u.blk, io);
    if (err) {
        guest_fail(ctx, dev->node, "request not queued: %s", strerror(-err));
        free(io);
        return GUEST_EXIT_FAIL;
    }
    err = guest_blk_io_wait(&dev->u.blk, io, ctx->timeout_ms);
    if (vdev->needs_reset) {
        guest_info(ctx, dev->node, "observed: DEVICE_NEEDS_RESET via config interrupt "
                   "(Status 0x%02x)", vdrv_get_status(vdev));
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
    if (status_needs_reset(vdev)) {
        guest_info(ctx, dev->node, "observed: DEVICE_NEEDS_RESET in Status 0x%02x "
                   "(no config interrupt)", vdrv_get_status(vdev));
        free(io);
        return c->cls == MB_RING ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    }
    guest_fail(ctx, dev->node, "observed: no reaction (%s%s)", strerror(-err),
               dev->u.blk.dev.vqs[0].broken ? ", queue broken: bad used entry" : "");
    free(io);
    return GUEST_EXIT_FAIL;
}

static int run_register(struct guest_ctx *ctx, struct guest_dev *dev,
                        const struct mb_case *c)
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

static int recover(struct guest_ctx *ctx, struct guest_dev *dev)
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
    rc = good_request(ctx, dev, "reset, re-probed");
    if (!guest_dev_close(dev)) {
        guest_fail(ctx, dev->node, "remove: %s", dev->vdev->last_error);
        rc = GUEST_EXIT_FAIL;
    }
    return rc;
}

void guest_misbehave_list(void)
{
    for (size_t i = 0; i < MB_NR_CASES; i++)
        printf("%-20s %-8s %s\n", mb_cases[i].name, class_names[mb_cases[i].cls],
               mb_cases[i].what);
}

int guest_cmd_misbehave(struct guest_ctx *ctx, int argc, char **argv)
{
    const struct mb_case *c = NULL;
    const struct guest_node *node;
    const char *selector = NULL;
    struct vdrv_options opts;
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
    for (size_t i = 0; i < MB_NR_CASES; i++) {
        if (strcmp(argv[1], mb_cases[i].name) == 0)
            c = &mb_cases[i];
    }
    if (!c) {
        guest_error("misbehave: unknown case '%s' (misbehave list: the cases)", argv[1]);
        return GUEST_EXIT_USAGE;
    }
    node = guest_find_blk(ctx, selector);
    if (!node) {
        guest_error("misbehave: no block device in the device tree");
        return GUEST_EXIT_ENV;
    }
    dev = calloc(1, sizeof(*dev));
    if (!dev)
        return GUEST_EXIT_ENV;
    guest_default_options(ctx, node, &opts);
    if (c->how == MB_HOW_CHAIN && (c->arg & VDRV_MB_FORCE_INDIRECT))
        opts.features_clear = VDRV_BIT(VDRV_F_INDIRECT_DESC);
    if (c->how == MB_HOW_QUEUE_NUM)
        opts.queue_num_override = (uint16_t)c->arg;
    if (guest_dev_open(ctx, dev, node, &opts) != 0 || dev->type != GUEST_DEV_BLK) {
        guest_fail(ctx, node, "probe failed: %s",
                   dev->error[0] ? dev->error : "not a virtio-blk device");
        guest_dev_close(dev);
        free(dev);
        return GUEST_EXIT_FAIL;
    }
    guest_info(ctx, node, "misbehaving: %s (%s violation, expect %s)", c->what,
               class_names[c->cls], expected_text[c->cls]);
    switch (c->how) {
    case MB_HOW_QUEUE_NUM:
        rc = run_queue_num(ctx, dev);
        break;
    case MB_HOW_REGISTER:
        rc = run_register(ctx, dev, c);
        break;
    default:
        rc = run_request(ctx, dev, c);
        break;
    }
    recovered = recover(ctx, dev);
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
