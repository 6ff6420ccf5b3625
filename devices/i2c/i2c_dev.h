/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-i2c for the daemon (Linux, not freestanding): host adapters
 * (/dev/i2c-N, I2C_RDWR or the SMBus ioctls), an emulated bus with an
 * EEPROM and a temperature sensor, and the "i2c" device type.
 */
#ifndef XVD_I2C_DEV_H
#define XVD_I2C_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i2c.h"

/*
 * Host adapter (i2c_host.c).
 */
struct xvd_i2c_host {
    int fd;
    unsigned long funcs;        /* I2C_FUNCS of the adapter */
    /* The ioctl used for every adapter call: ioctl(2), or a test's fake. */
    int (*ioctl_fn)(int fd, unsigned long request, void *arg);
};

/* One SMBus ioctl a message group maps onto (i2c_smbus_ioctl_data). */
struct xvd_i2c_smbus_op {
    uint16_t addr;
    uint8_t read_write;         /* I2C_SMBUS_READ / I2C_SMBUS_WRITE */
    uint8_t command;
    uint32_t size;              /* I2C_SMBUS_QUICK ... I2C_SMBUS_BLOCK_DATA */
    uint8_t data[34];           /* union i2c_smbus_data: byte, word, block */
};

/* Open "/dev/i2c-N", "i2c-N" or "name:ADAPTER" (sysfs name). On error
 * returns -errno with the reason in err. */
int xvd_i2c_host_open(struct xvd_i2c_host *h, const char *spec, char *err,
                      size_t errlen);
void xvd_i2c_host_close(struct xvd_i2c_host *h);
extern const struct xv_i2c_bus_ops xvd_i2c_host_ops;    /* opaque: host */

/* The SMBus transfer msgs[0..n) is, given the adapter's funcs: 0 with
 * *op filled, or -EOPNOTSUPP. After the ioctl, xvd_i2c_smbus_result()
 * copies what was read back into the messages (0, or -EPROTO). */
int xvd_i2c_smbus_map(const struct xv_i2c_msg *msgs, unsigned n,
                      unsigned long funcs, struct xvd_i2c_smbus_op *op);
int xvd_i2c_smbus_result(const struct xvd_i2c_smbus_op *op,
                         struct xv_i2c_msg *msgs, unsigned n);

/*
 * Emulated bus (i2c_emul.c): a 24C02-style EEPROM and an LM75-style
 * sensor at configurable 7-bit addresses.
 */
#define XVD_EEPROM_BYTES 256u
#define XVD_EEPROM_PAGE  8u

struct xvd_i2c_eeprom {
    uint16_t addr;
    uint8_t mem[XVD_EEPROM_BYTES];
    uint8_t ptr;                /* address pointer: wraps at 256 */
    int fd;                     /* backing file, or -1 */
};

struct xvd_i2c_lm75 {
    uint16_t addr;
    uint8_t ptr;                /* 0 temp, 1 config, 2 Thyst, 3 Tos */
    uint8_t config;
    int16_t temp, thyst, tos;   /* register values: 9-bit << 7 */
};

struct xvd_i2c_emul {
    bool has_eeprom, has_lm75;
    struct xvd_i2c_eeprom eeprom;
    struct xvd_i2c_lm75 lm75;
};

void xvd_i2c_emul_init(struct xvd_i2c_emul *e);
/* backing may be NULL; the file is created (256 bytes of 0xff) if absent. */
int xvd_i2c_emul_add_eeprom(struct xvd_i2c_emul *e, uint16_t addr,
                            const char *backing, char *err, size_t errlen);
void xvd_i2c_emul_add_lm75(struct xvd_i2c_emul *e, uint16_t addr,
                           int32_t millidegrees);
void xvd_i2c_emul_fini(struct xvd_i2c_emul *e);
extern const struct xv_i2c_bus_ops xvd_i2c_emul_ops;    /* opaque: emul */

/* The daemon's "i2c" device type (src/host/device_type.h). */
struct xvd_device_type;
extern const struct xvd_device_type xvd_i2c_type;

#endif
