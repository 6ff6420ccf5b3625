/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: bringing devices up as Linux does, and the commands that
 * only probe: `probe` and `wait-ready`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "guest_prog.h"

struct feature_name {
    unsigned bit;
    const char *name;
};

/* Transport bits first, in the order a reader looks for them. */
static const struct feature_name transport_names[] = {
    { 32, "VERSION_1" }, { 33, "ACCESS_PLATFORM" }, { 28, "INDIRECT_DESC" },
    { 29, "EVENT_IDX" }, { 24, "NOTIFY_ON_EMPTY" }, { 27, "ANY_LAYOUT" },
    { 34, "RING_PACKED" }, { 35, "IN_ORDER" }, { 36, "ORDER_PLATFORM" },
    { 37, "SR_IOV" }, { 38, "NOTIFICATION_DATA" }, { 39, "NOTIF_CONFIG_DATA" },
    { 40, "RING_RESET" },
};

static const struct feature_name blk_names[] = {
    { 0, "BARRIER" }, { 1, "SIZE_MAX" }, { 2, "SEG_MAX" }, { 4, "GEOMETRY" },
    { 5, "RO" }, { 6, "BLK_SIZE" }, { 7, "SCSI" }, { 9, "FLUSH" },
    { 10, "TOPOLOGY" }, { 11, "CONFIG_WCE" }, { 12, "MQ" }, { 13, "DISCARD" },
    { 14, "WRITE_ZEROES" }, { 15, "LIFETIME" }, { 16, "SECURE_ERASE" },
    { 17, "ZONED" },
};

static const struct feature_name i2c_names[] = {
    { 0, "ZERO_LENGTH_REQUEST" },
};

static const struct feature_name scmi_names[] = {
    { 0, "P2A_CHANNELS" }, { 1, "SHARED_MEMORY" },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void append(char *buf, size_t len, const char *word)
{
    size_t used = strlen(buf);

    snprintf(buf + used, len - used, "%s%s", used ? " " : "", word);
}

void guest_features_string(const struct vdrv_device *vdev, uint64_t features,
                           char *buf, size_t len)
{
    const struct feature_name *dev_names = NULL;
    size_t nr_dev_names = 0;
    uint64_t left = features;
    char word[16];

    buf[0] = '\0';
    switch (vdev->device_id) {
    case GUEST_VIRTIO_ID_BLOCK:
        dev_names = blk_names;
        nr_dev_names = ARRAY_LEN(blk_names);
        break;
    case GUEST_VIRTIO_ID_I2C:
        dev_names = i2c_names;
        nr_dev_names = ARRAY_LEN(i2c_names);
        break;
    case GUEST_VIRTIO_ID_SCMI:
        dev_names = scmi_names;
        nr_dev_names = ARRAY_LEN(scmi_names);
        break;
    default:
        break;
    }
    for (size_t i = 0; i < ARRAY_LEN(transport_names); i++) {
        if (left & VDRV_BIT(transport_names[i].bit)) {
            append(buf, len, transport_names[i].name);
            left &= ~VDRV_BIT(transport_names[i].bit);
        }
    }
    for (size_t i = 0; i < nr_dev_names; i++) {
        if (left & VDRV_BIT(dev_names[i].bit)) {
            append(buf, len, dev_names[i].name);
            left &= ~VDRV_BIT(dev_names[i].bit);
        }
    }
    for (unsigned bit = 0; bit < 64; bit++) {
        if (left & VDRV_BIT(bit)) {
            snprintf(word, sizeof(word), "bit%u", bit);
            append(buf, len, word);
        }
    }
    if (!buf[0])
        snprintf(buf, len, "none");
}

void guest_default_options(const struct guest_ctx *ctx,
                           const struct guest_node *node,
                           struct vdrv_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->use_grants = node->grants;
    opts->backend_domid = (uint16_t)node->backend_domid;
    opts->timeout_ms = ctx->timeout_ms;
}

const char *guest_errno_text(int err)
{
    switch (err) {
    case -EFAULT: return "data abort (no IOREQ server for this address)";
    case -ESRCH: return "the domain is gone";
    case -ESHUTDOWN: return "the domain crashed";
    default: return strerror(-err);
    }
}

int guest_peek_ids(struct guest_ctx *ctx, const struct guest_node *node,
                   unsigned vcpu, uint32_t ids[4], const char **what)
{
    static const struct {
        uint32_t offset;
        const char *name;
    } regs[4] = {
        { VIRTIO_MMIO_MAGIC_VALUE, "MagicValue" },
        { VIRTIO_MMIO_VERSION, "Version" },
        { VIRTIO_MMIO_DEVICE_ID, "DeviceID" },
        { VIRTIO_MMIO_VENDOR_ID, "VendorID" },
    };
    struct vdrv_xensim xt;

    vdrv_xensim_init(&xt, &ctx->bus, vcpu, node->irq);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t value = 0;
        int err = xt.transport.ops->mmio_read(xt.transport.opaque,
                                              node->base + regs[i].offset, 4,
                                              &value);

        *what = regs[i].name;
        if (err)
            return err;
        ids[i] = (uint32_t)value;
        /* Linux stops at a bad magic before reading anything else. */
        if (i == 0 && ids[0] != GUEST_MMIO_MAGIC)
            return 0;
    }
    return 0;
}

int guest_dev_open(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_node *node,
                   const struct vdrv_options *opts)
{
    struct vdrv_options defaults;
    uint32_t ids[4] = { 0 };
    const char *reg = "";
    int err;

    memset(dev, 0, sizeof(*dev));
    dev->node = node;
    vdrv_xensim_init(&dev->xt, &ctx->bus, 0, node->irq);
    if (!opts) {
        guest_default_options(ctx, node, &defaults);
        opts = &defaults;
    }
    /* Peek first to pick the driver, as the virtio bus matches DeviceID;
     * the driver's probe then reads the registers again. */
    err = guest_peek_ids(ctx, node, 0, ids, &reg);
    if (err) {
        snprintf(dev->error, sizeof(dev->error),
                 "%s read: %s; virtio-mmio: Wrong magic value 0xffffffff!",
                 reg, guest_errno_text(err));
        return err;
    }
    switch (ids[2]) {
    case GUEST_VIRTIO_ID_BLOCK:
        dev->type = GUEST_DEV_BLK;
        dev->vdev = &dev->u.blk.dev;
        err = vdrv_blk_init(&dev->u.blk, &dev->xt.transport, node->base, opts);
        break;
    case GUEST_VIRTIO_ID_I2C:
        dev->type = GUEST_DEV_I2C;
        dev->vdev = &dev->u.i2c.dev;
        err = vdrv_i2c_init(&dev->u.i2c, &dev->xt.transport, node->base, opts);
        break;
    case GUEST_VIRTIO_ID_SCMI:
        dev->type = GUEST_DEV_SCMI;
        dev->vdev = &dev->u.scmi.dev;
        err = vdrv_scmi_init(&dev->u.scmi, &dev->xt.transport, node->base, opts);
        break;
    default:
        /* virtio_mmio registers the device (reset, ACKNOWLEDGE) even when
         * no driver matches it; a bad magic or DeviceID 0 fails here. */
        dev->type = GUEST_DEV_OTHER;
        dev->vdev = &dev->u.other;
        err = vdrv_probe(&dev->u.other, &dev->xt.transport, node->base, opts);
        break;
    }
    if (err) {
        snprintf(dev->error, sizeof(dev->error), "virtio-mmio: %s",
                 dev->vdev->last_error[0] ? dev->vdev->last_error : strerror(-err));
        /* Whatever the driver set up goes, as a failed Linux probe
         * tears down (Status FAILED stays for the device to see). */
        if (dev->type != GUEST_DEV_OTHER && dev->vdev->num_vqs)
            vdrv_remove(dev->vdev, vdrv_inflight_detach);
        dev->type = GUEST_DEV_NONE;
    }
    return err;
}

bool guest_dev_close(struct guest_dev *dev)
{
    bool clean;

    switch (dev->type) {
    case GUEST_DEV_BLK:
        vdrv_blk_remove(&dev->u.blk);
        break;
    case GUEST_DEV_I2C:
        vdrv_i2c_remove(&dev->u.i2c);
        break;
    case GUEST_DEV_SCMI:
        vdrv_scmi_remove(&dev->u.scmi);
        break;
    case GUEST_DEV_OTHER:
        vdrv_remove(dev->vdev, NULL);
        break;
    case GUEST_DEV_NONE:
        return true;
    }
    clean = !dev->vdev->grants_broken;
    dev->type = GUEST_DEV_NONE;
    return clean;
}

/* The node the selector names among those match() takes: "0x..." by base
 * address, a small number by position. */
static const struct guest_node *find_node(struct guest_ctx *ctx, const char *selector,
                                          bool (*match)(struct guest_ctx *ctx,
                                                        const struct guest_node *node,
                                                        uint32_t arg),
                                          uint32_t arg)
{
    uint64_t want = 0;
    unsigned seen = 0;

    if (selector && !guest_parse_u64(selector, &want))
        return NULL;
    for (unsigned i = 0; i < ctx->nr_nodes; i++) {
        const struct guest_node *node = &ctx->nodes[i];

        if (!match(ctx, node, arg))
            continue;
        if (selector && strncmp(selector, "0x", 2) == 0) {
            if (node->base == want)
                return node;
        } else if (seen++ == want) {
            return node;
        }
    }
    return NULL;
}

static bool is_disk_slot(struct guest_ctx *ctx, const struct guest_node *node, uint32_t arg)
{
    (void)ctx;
    (void)arg;
    /* Like a guest, judge by what the tree says the slot is: xl disks,
     * and generic entries of type virtio,device2; static entries don't
     * name a type, so they count too. */
    return strncmp(node->name, "virtio,device", 13) != 0 ||
           strcmp(node->name, "virtio,device2") == 0;
}

const struct guest_node *guest_find_blk(const struct guest_ctx *ctx,
                                        const char *selector)
{
    /* is_disk_slot reads the tree only. */
    return find_node((struct guest_ctx *)ctx, selector, is_disk_slot, 0);
}

static bool has_device_id(struct guest_ctx *ctx, const struct guest_node *node, uint32_t id)
{
    uint32_t ids[4];
    const char *what;

    /* By what the device says it is, as the virtio bus matches: an xl
     * 4.17 disk slot may be routed to an i2c or SCMI section. */
    return guest_peek_ids(ctx, node, 0, ids, &what) == 0 && ids[0] == GUEST_MMIO_MAGIC &&
           ids[2] == id;
}

const struct guest_node *guest_find_by_id(struct guest_ctx *ctx, uint32_t id,
                                          const char *selector)
{
    return find_node(ctx, selector, has_device_id, id);
}

static const char *type_name(const struct guest_dev *dev)
{
    switch (dev->type) {
    case GUEST_DEV_BLK: return "virtio-blk";
    case GUEST_DEV_I2C: return "virtio-i2c";
    case GUEST_DEV_SCMI: return "virtio-scmi";
    default: return "virtio";
    }
}

static void describe_blk(struct guest_ctx *ctx, struct guest_dev *dev,
                         char *buf, size_t len)
{
    const struct vdrv_blk *blk = &dev->u.blk;
    char size[32];
    size_t used;

    guest_format_size(blk->capacity * 512, size, sizeof(size));
    used = (size_t)snprintf(buf, len, "capacity %" PRIu64 " sectors (%s), seg_max %u",
                            blk->capacity, size, blk->seg_max);
    if (blk->size_max && used < len)
        used += (size_t)snprintf(buf + used, len - used, ", size_max %u", blk->size_max);
    if (blk->blk_size != 512 && used < len)
        used += (size_t)snprintf(buf + used, len - used, ", blk_size %u", blk->blk_size);
    if (blk->read_only && used < len)
        used += (size_t)snprintf(buf + used, len - used, ", read-only");
    if (used < len)
        snprintf(buf + used, len - used, ", cache %s, queue %u",
                 blk->writeback ? "write back" : "write through",
                 dev->vdev->vqs[0].num);
}

/* SCMI: what Linux's scmi_base_protocol_init logs. */
static int describe_scmi(struct guest_ctx *ctx, struct guest_dev *dev,
                         char *buf, size_t len)
{
    struct vdrv_scmi *scmi = &dev->u.scmi;
    uint32_t version = 0;
    uint8_t protocols = 0, agents = 0;
    char vendor[17] = { 0 };
    int err;

    err = vdrv_scmi_base_version(scmi, &version);
    if (!err)
        err = vdrv_scmi_base_attributes(scmi, &protocols, &agents);
    if (!err)
        err = vdrv_scmi_base_vendor(scmi, vendor);
    if (err) {
        snprintf(buf, len, "SCMI BASE query failed: %s", strerror(-err));
        return err;
    }
    for (char *c = vendor; *c; c++) {
        if (*c < 0x20 || *c > 0x7e)
            *c = '?';
    }
    snprintf(buf, len, "SCMI Protocol v%u.%u '%s', %u protocols, %u agents, "
             "cmdq %u%s", version >> 16, version & 0xffff, vendor, protocols,
             agents, dev->vdev->vqs[0].num, scmi->p2a ? ", eventq" : "");
    return 0;
}

static int probe_one(struct guest_ctx *ctx, const struct guest_node *node)
{
    struct guest_dev *dev = calloc(1, sizeof(*dev));
    char features[400], detail[240] = "";
    struct vdrv_device *vdev;
    int err, rc = GUEST_EXIT_OK;

    if (!dev)
        return GUEST_EXIT_ENV;
    guest_debug(ctx, node, "tree: irq %u grants %d backend dom%u %s %u %s %s", node->irq,
                node->grants, node->backend_domid, node->kind, node->devid, node->name,
                node->target);
    err = guest_dev_open(ctx, dev, node, NULL);
    if (err) {
        guest_fail(ctx, node, "irq %u: probe failed: %s", node->irq, dev->error);
        free(dev);
        return GUEST_EXIT_FAIL;
    }
    vdev = dev->vdev;
    guest_features_string(vdev, vdev->features, features, sizeof(features));
    switch (dev->type) {
    case GUEST_DEV_BLK:
        describe_blk(ctx, dev, detail, sizeof(detail));
        break;
    case GUEST_DEV_I2C:
        snprintf(detail, sizeof(detail), "adapter i2c-virtio, queue %u",
                 vdev->vqs[0].num);
        break;
    case GUEST_DEV_SCMI:
        if (describe_scmi(ctx, dev, detail, sizeof(detail)))
            rc = GUEST_EXIT_FAIL;
        break;
    default:
        break;
    }
    if (dev->type == GUEST_DEV_OTHER) {
        guest_info(ctx, node, "irq %u: virtio device (DeviceID %u, vendor 0x%08x): "
                   "no driver for it", node->irq, vdev->device_id, vdev->vendor_id);
    } else if (rc == GUEST_EXIT_OK) {
        guest_info(ctx, node, "irq %u: %s (DeviceID %u, vendor 0x%08x) features %s; %s%s",
                   node->irq, type_name(dev), vdev->device_id, vdev->vendor_id, features,
                   detail, node->grants ? "; grant DMA" : "");
    } else {
        guest_fail(ctx, node, "irq %u: %s (DeviceID %u, vendor 0x%08x): %s", node->irq,
                   type_name(dev), vdev->device_id, vdev->vendor_id, detail);
    }
    if (ctx->verbose && dev->type != GUEST_DEV_OTHER) {
        guest_features_string(vdev, vdev->device_features, features, sizeof(features));
        guest_debug(ctx, node, "offered features %s (0x%" PRIx64 "), negotiated 0x%" PRIx64,
                    features, vdev->device_features, vdev->features);
    }
    if (!guest_dev_close(dev)) {
        guest_fail(ctx, node, "remove: %s", vdev->last_error);
        rc = GUEST_EXIT_FAIL;
    }
    free(dev);
    return rc;
}

int guest_cmd_probe(struct guest_ctx *ctx, int argc, char **argv)
{
    int rc = GUEST_EXIT_OK;

    if (argc != 1) {
        guest_error("probe takes no arguments");
        return GUEST_EXIT_USAGE;
    }
    if (ctx->nr_nodes == 0)
        guest_info(ctx, NULL, "no virtio devices in the device tree");
    for (unsigned i = 0; i < ctx->nr_nodes; i++) {
        int one = probe_one(ctx, &ctx->nodes[i]);

        if (one > rc)
            rc = one;
    }
    return rc;
}

/* A device is ready once it answers like a virtio-mmio device would. */
static bool node_ready(struct guest_ctx *ctx, const struct guest_node *node,
                       char *why, size_t len)
{
    uint32_t ids[4] = { 0 };
    const char *reg = "";
    int err = guest_peek_ids(ctx, node, 0, ids, &reg);

    if (err) {
        snprintf(why, len, "%s read: %s", reg, guest_errno_text(err));
        return false;
    }
    if (ids[0] != GUEST_MMIO_MAGIC) {
        snprintf(why, len, "Wrong magic value 0x%08x", ids[0]);
        return false;
    }
    if (ids[1] != 2 || ids[2] == 0) {
        snprintf(why, len, "Version %u, DeviceID %u", ids[1], ids[2]);
        return false;
    }
    return true;
}

int guest_cmd_wait_ready(struct guest_ctx *ctx, int argc, char **argv)
{
    uint64_t timeout_ms = 10000;
    int64_t start = guest_now_ns(), deadline;
    int rc = GUEST_EXIT_OK;

    if (argc == 3 && strcmp(argv[1], "--timeout") == 0) {
        if (!guest_parse_u64(argv[2], &timeout_ms) || timeout_ms > 3600000) {
            guest_error("wait-ready: bad --timeout '%s'", argv[2]);
            return GUEST_EXIT_USAGE;
        }
    } else if (argc != 1) {
        guest_error("usage: wait-ready [--timeout MS]");
        return GUEST_EXIT_USAGE;
    }
    deadline = start + (int64_t)timeout_ms * 1000000;
    for (unsigned i = 0; i < ctx->nr_nodes; i++) {
        const struct guest_node *node = &ctx->nodes[i];
        char why[160] = "";

        for (;;) {
            if (node_ready(ctx, node, why, sizeof(why))) {
                guest_info(ctx, node, "ready after %" PRId64 " ms",
                           (guest_now_ns() - start) / 1000000);
                break;
            }
            if (guest_now_ns() >= deadline) {
                guest_fail(ctx, node, "not ready after %" PRIu64 " ms (%s)", timeout_ms,
                           why);
                rc = GUEST_EXIT_FAIL;
                break;
            }
            usleep(20000);
        }
    }
    return rc;
}
