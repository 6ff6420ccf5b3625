/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: virtio-i2c commands against an adapter such as the
 * daemon's emulated bus (24C02 EEPROM at 0x50, LM75 at 0x48 by default):
 * i2c-eeprom, i2c-sensor, i2c-probe-addr, i2c-failnext.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_prog.h"

#define EEPROM_ADDR 0x50u
#define LM75_ADDR   0x48u
#define EEPROM_PAGE 8u

/* The N-th virtio-i2c device (by probing, so xl 4.17 disk slots routed
 * to an i2c section count too), or the one at base 0x.... */
static int open_i2c(struct guest_ctx *ctx, const char *selector, struct guest_dev **out)
{
    uint64_t want = 0;
    unsigned seen = 0;

    if (selector && !guest_parse_u64(selector, &want)) {
        guest_error("bad --dev '%s'", selector);
        return GUEST_EXIT_USAGE;
    }
    for (unsigned i = 0; i < ctx->nr_nodes; i++) {
        const struct guest_node *node = &ctx->nodes[i];
        struct guest_dev *dev;

        if (selector && strncmp(selector, "0x", 2) == 0 && node->base != want)
            continue;
        dev = calloc(1, sizeof(*dev));
        if (!dev)
            return GUEST_EXIT_ENV;
        if (guest_dev_open(ctx, dev, node, NULL) == 0 && dev->type == GUEST_DEV_I2C &&
            (!selector || strncmp(selector, "0x", 2) == 0 || seen++ == want)) {
            *out = dev;
            return GUEST_EXIT_OK;
        }
        guest_dev_close(dev);
        free(dev);
    }
    guest_error("no i2c device %s%s in the device tree", selector ? "--dev " : "",
                selector ? selector : "");
    return GUEST_EXIT_ENV;
}

static int close_i2c(struct guest_ctx *ctx, struct guest_dev *dev, int rc)
{
    if (!guest_dev_close(dev)) {
        guest_fail(ctx, dev->node, "remove: %s", dev->vdev->last_error);
        rc = GUEST_EXIT_FAIL;
    }
    free(dev);
    return rc;
}

/* "[--dev N]" and, when addr is not NULL, "[--addr A]". */
static int parse_opts(const char *cmd, int argc, char **argv, const char **selector,
                      uint64_t *addr)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            guest_error("%s: '%s' needs a value", cmd, argv[i]);
            return GUEST_EXIT_USAGE;
        }
        if (strcmp(argv[i], "--dev") == 0) {
            *selector = argv[++i];
        } else if (addr && strcmp(argv[i], "--addr") == 0) {
            if (!guest_parse_u64(argv[++i], addr) || *addr > 0x7f) {
                guest_error("%s: bad --addr '%s' (0x00..0x7f)", cmd, argv[i]);
                return GUEST_EXIT_USAGE;
            }
        } else {
            guest_error("%s: bad option '%s'", cmd, argv[i]);
            return GUEST_EXIT_USAGE;
        }
    }
    return GUEST_EXIT_OK;
}

int guest_cmd_i2c_eeprom(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    uint64_t addr = EEPROM_ADDR;
    struct guest_dev *dev;
    uint8_t wr[1 + EEPROM_PAGE], ptr = 0x20, rd[EEPROM_PAGE];
    uint8_t seed = (uint8_t)guest_now_ns();
    int rc = parse_opts(argv[0], argc, argv, &selector, &addr);

    if (rc != GUEST_EXIT_OK || (rc = open_i2c(ctx, selector, &dev)) != GUEST_EXIT_OK)
        return rc;
    wr[0] = ptr;
    for (unsigned i = 0; i < EEPROM_PAGE; i++)
        wr[1 + i] = (uint8_t)(seed + i * 37);
    {
        struct vdrv_i2c_msg w = { (uint16_t)addr, 0, sizeof(wr), wr };
        struct vdrv_i2c_msg rr[2] = {
            { (uint16_t)addr, 0, 1, &ptr },
            { (uint16_t)addr, VDRV_I2C_M_RD, sizeof(rd), rd },
        };
        int n = vdrv_i2c_transfer(&dev->u.i2c, &w, 1);

        if (n != 1) {
            guest_fail(ctx, dev->node, "eeprom 0x%02x: page write failed (%d)",
                       (unsigned)addr, n);
            return close_i2c(ctx, dev, GUEST_EXIT_FAIL);
        }
        n = vdrv_i2c_transfer(&dev->u.i2c, rr, 2);
        if (n != 2) {
            guest_fail(ctx, dev->node, "eeprom 0x%02x: read back failed (%d)",
                       (unsigned)addr, n);
            return close_i2c(ctx, dev, GUEST_EXIT_FAIL);
        }
    }
    if (memcmp(rd, wr + 1, sizeof(rd)) != 0) {
        guest_fail(ctx, dev->node, "eeprom 0x%02x: mismatch: read 0x%02x.., wrote 0x%02x..",
                   (unsigned)addr, rd[0], wr[1]);
        return close_i2c(ctx, dev, GUEST_EXIT_FAIL);
    }
    guest_info(ctx, dev->node, "eeprom 0x%02x: wrote a page of %u bytes at 0x%02x, "
               "read back, verified", (unsigned)addr, EEPROM_PAGE, ptr);
    return close_i2c(ctx, dev, GUEST_EXIT_OK);
}

int guest_cmd_i2c_sensor(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    uint64_t addr = LM75_ADDR;
    struct guest_dev *dev;
    uint8_t reg = 0, t[2];
    struct vdrv_i2c_msg m[2];
    int rc = parse_opts(argv[0], argc, argv, &selector, &addr), n;
    int32_t milli;

    if (rc != GUEST_EXIT_OK || (rc = open_i2c(ctx, selector, &dev)) != GUEST_EXIT_OK)
        return rc;
    m[0] = (struct vdrv_i2c_msg){ (uint16_t)addr, 0, 1, &reg };
    m[1] = (struct vdrv_i2c_msg){ (uint16_t)addr, VDRV_I2C_M_RD, 2, t };
    n = vdrv_i2c_transfer(&dev->u.i2c, m, 2);
    if (n != 2) {
        guest_fail(ctx, dev->node, "lm75 0x%02x: temperature read failed (%d)",
                   (unsigned)addr, n);
        return close_i2c(ctx, dev, GUEST_EXIT_FAIL);
    }
    /* 9-bit two's complement in bits 15..7: half degrees. */
    milli = (int32_t)(int16_t)(uint16_t)(t[0] << 8 | t[1]) / 128 * 500;
    guest_info(ctx, dev->node, "lm75 0x%02x: temperature %d millidegrees C",
               (unsigned)addr, (int)milli);
    return close_i2c(ctx, dev, GUEST_EXIT_OK);
}

int guest_cmd_i2c_probe_addr(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    uint64_t addr;
    struct guest_dev *dev;
    struct vdrv_i2c_msg m;
    int rc, n;

    if (argc < 2 || !guest_parse_u64(argv[1], &addr) || addr > 0x7f) {
        guest_error("i2c-probe-addr: ADDR (0x00..0x7f) required");
        return GUEST_EXIT_USAGE;
    }
    rc = parse_opts(argv[0], argc - 1, argv + 1, &selector, NULL);
    if (rc != GUEST_EXIT_OK || (rc = open_i2c(ctx, selector, &dev)) != GUEST_EXIT_OK)
        return rc;
    m = (struct vdrv_i2c_msg){ (uint16_t)addr, 0, 0, NULL };
    n = vdrv_i2c_transfer(&dev->u.i2c, &m, 1);
    if (n == 1) {
        guest_info(ctx, dev->node, "0x%02x: ACK (zero-length write)", (unsigned)addr);
        return close_i2c(ctx, dev, GUEST_EXIT_OK);
    }
    guest_fail(ctx, dev->node, "0x%02x: %s", (unsigned)addr,
               n == 0 ? "NACK (zero-length write)" : strerror(-n));
    return close_i2c(ctx, dev, GUEST_EXIT_FAIL);
}

int guest_cmd_i2c_failnext(struct guest_ctx *ctx, int argc, char **argv)
{
    const char *selector = NULL;
    uint64_t addr = 0x33;       /* nobody there, or not allowed */
    struct guest_dev *dev;
    uint8_t ptr = 0, b = 0, rd[2];
    struct vdrv_i2c_msg m[3];
    int rc = parse_opts(argv[0], argc, argv, &selector, &addr), n;

    if (rc != GUEST_EXIT_OK || (rc = open_i2c(ctx, selector, &dev)) != GUEST_EXIT_OK)
        return rc;
    m[0] = (struct vdrv_i2c_msg){ EEPROM_ADDR, 0, 1, &ptr };
    m[1] = (struct vdrv_i2c_msg){ (uint16_t)addr, 0, 1, &b };
    m[2] = (struct vdrv_i2c_msg){ EEPROM_ADDR, VDRV_I2C_M_RD, sizeof(rd), rd };
    n = vdrv_i2c_transfer(&dev->u.i2c, m, 3);
    /* The driver counts the messages before the first non-OK status. */
    if (n != 1) {
        guest_fail(ctx, dev->node, "failnext: %d messages succeeded, want 1 "
                   "(OK, ERR, ERR)", n);
        return close_i2c(ctx, dev, GUEST_EXIT_FAIL);
    }
    guest_info(ctx, dev->node, "failnext: group of 3, middle to 0x%02x: OK, ERR, ERR",
               (unsigned)addr);
    return close_i2c(ctx, dev, GUEST_EXIT_OK);
}
