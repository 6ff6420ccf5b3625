/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An emulated I2C bus for boards without the hardware, demos and tests:
 * a 24C02-style EEPROM (256 bytes, 8-byte pages, the address pointer
 * wraps; optional backing file) and an LM75-style temperature sensor.
 * A message to an address with no device is not acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "i2c_dev.h"

void xvd_i2c_emul_init(struct xvd_i2c_emul *e)
{
    memset(e, 0, sizeof(*e));
    e->eeprom.fd = -1;
}

int xvd_i2c_emul_add_eeprom(struct xvd_i2c_emul *e, uint16_t addr,
                            const char *backing, char *err, size_t errlen)
{
    struct xvd_i2c_eeprom *ee = &e->eeprom;
    ssize_t r;

    e->has_eeprom = true;
    ee->addr = addr;
    ee->ptr = 0;
    memset(ee->mem, 0xff, sizeof(ee->mem));    /* an erased part */
    if (!backing)
        return 0;
    ee->fd = open(backing, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ee->fd < 0) {
        int e2 = errno;

        snprintf(err, errlen, "%s: %s", backing, strerror(e2));
        return -e2;
    }
    r = pread(ee->fd, ee->mem, sizeof(ee->mem), 0);
    if (r < 0) {
        int e2 = errno;

        snprintf(err, errlen, "%s: %s", backing, strerror(e2));
        return -e2;
    }
    /* A new or short file: the rest reads as erased. */
    if ((size_t)r < sizeof(ee->mem))
        memset(ee->mem + r, 0xff, sizeof(ee->mem) - (size_t)r);
    return 0;
}

static int16_t lm75_reg(int32_t millidegrees)
{
    int32_t half = millidegrees / 500;    /* 0.5 degree steps: 9 bits */

    if (half > 255)
        half = 255;
    if (half < -256)
        half = -256;
    return (int16_t)(half * 128);         /* bits 15..7, two's complement */
}

void xvd_i2c_emul_add_lm75(struct xvd_i2c_emul *e, uint16_t addr,
                           int32_t millidegrees)
{
    struct xvd_i2c_lm75 *s = &e->lm75;

    e->has_lm75 = true;
    s->addr = addr;
    s->ptr = 0;
    s->config = 0;
    s->temp = lm75_reg(millidegrees);
    s->thyst = lm75_reg(75000);     /* the power-on defaults */
    s->tos = lm75_reg(80000);
}

void xvd_i2c_emul_fini(struct xvd_i2c_emul *e)
{
    if (e->eeprom.fd >= 0)
        close(e->eeprom.fd);
    e->eeprom.fd = -1;
}

static int eeprom_msg(struct xvd_i2c_eeprom *ee, struct xv_i2c_msg *m)
{
    if (m->flags & XV_I2C_MSG_RD) {
        for (unsigned i = 0; i < m->len; i++)
            m->buf[i] = ee->mem[ee->ptr++];     /* wraps at 256 */
        return 0;
    }
    if (m->len == 0)
        return 0;                               /* a probe: acknowledged */
    ee->ptr = m->buf[0];
    if (m->len == 1)
        return 0;                               /* set the pointer only */
    /* A page write: the low 3 bits roll over inside the page, as on a
     * 24C02, so bytes beyond the page overwrite its start. */
    for (unsigned i = 1; i < m->len; i++) {
        uint8_t page = ee->ptr & (uint8_t)~(XVD_EEPROM_PAGE - 1);

        ee->mem[ee->ptr] = m->buf[i];
        ee->ptr = (uint8_t)(page | ((ee->ptr + 1) & (XVD_EEPROM_PAGE - 1)));
    }
    if (ee->fd >= 0 &&
        pwrite(ee->fd, ee->mem, sizeof(ee->mem), 0) != (ssize_t)sizeof(ee->mem))
        return -EIO;
    return 0;
}

static int16_t *lm75_word(struct xvd_i2c_lm75 *s)
{
    switch (s->ptr) {
    case 0: return &s->temp;
    case 2: return &s->thyst;
    case 3: return &s->tos;
    default: return NULL;
    }
}

static int lm75_msg(struct xvd_i2c_lm75 *s, struct xv_i2c_msg *m)
{
    int16_t *w;
    uint8_t reg;

    if (m->flags & XV_I2C_MSG_RD) {
        w = lm75_word(s);
        /* 16-bit registers MSB first; longer reads repeat them. */
        for (unsigned i = 0; i < m->len; i++) {
            if (!w)
                m->buf[i] = s->config;
            else
                m->buf[i] = (uint8_t)((uint16_t)*w >> (i % 2 ? 0 : 8));
        }
        return 0;
    }
    if (m->len == 0)
        return 0;
    reg = m->buf[0];                            /* read once: checked, then used */
    if (reg > 3)
        return -ENXIO;                          /* no such register: NACK */
    s->ptr = reg;
    if (m->len == 1)
        return 0;
    w = lm75_word(s);
    if (s->ptr == 0)
        return -ENXIO;                          /* temperature is read-only */
    if (!w) {
        s->config = m->buf[1];
    } else if (m->len >= 3) {
        /* Only the 9 significant bits are kept, as on the part. */
        *w = (int16_t)((uint16_t)(m->buf[1] << 8 | m->buf[2]) & 0xff80u);
    }
    return 0;
}

static int emul_transfer(void *opaque, struct xv_i2c_msg *msgs, unsigned n)
{
    struct xvd_i2c_emul *e = opaque;

    for (unsigned i = 0; i < n; i++) {
        struct xv_i2c_msg *m = &msgs[i];
        int r = -ENXIO;

        if (!(m->flags & XV_I2C_MSG_TEN)) {
            if (e->has_eeprom && m->addr == e->eeprom.addr)
                r = eeprom_msg(&e->eeprom, m);
            else if (e->has_lm75 && m->addr == e->lm75.addr)
                r = lm75_msg(&e->lm75, m);
        }
        if (r < 0)
            return i ? (int)i : r;              /* NACK: the rest not sent */
    }
    return (int)n;
}

static unsigned emul_funcs(void *opaque)
{
    (void)opaque;
    return XV_I2C_FUNC_I2C | XV_I2C_FUNC_10BIT_ADDR | XV_I2C_FUNC_ZERO_LEN;
}

const struct xv_i2c_bus_ops xvd_i2c_emul_ops = {
    .transfer = emul_transfer,
    .funcs = emul_funcs,
};
