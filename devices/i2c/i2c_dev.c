/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's "i2c" device type: a virtio-i2c engine over a host adapter
 * or the emulated bus, built from its config section.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "device_type.h"
#include "i2c_dev.h"
#include "log.h"

struct i2c_dev {
    struct xvd_dev base;        /* first: the daemon's handle */
    struct xv_i2c i2c;
    struct xv_i2c_req reqs[XV_I2C_GROUP_MAX];
    bool emulated;
    struct xvd_i2c_emul emul;
    struct xvd_i2c_host host;
    struct xvd_ratelimit rl;
};

enum i2c_key { KEY_BUS, KEY_ALLOW, KEY_EEPROM, KEY_LM75, KEY_MAX_TRANSFER,
               KEY_QUEUE_SIZE, NR_KEYS };

static const struct xvd_key i2c_keys[NR_KEYS] = {
    [KEY_BUS] = { "bus", XVD_KEY_TEXT, .required = true,
        .doc = "emulated, or a host adapter: /dev/i2c-N, i2c-N, name:ADAPTER" },
    [KEY_ALLOW] = { "allow", XVD_KEY_TEXT,
        .doc = "target addresses the guest may reach: ADDR or LO-HI, comma-separated" },
    [KEY_EEPROM] = { "eeprom", XVD_KEY_TEXT,
        .doc = "emulated bus: a 24C02 EEPROM at ADDR[:backing-file]" },
    [KEY_LM75] = { "lm75", XVD_KEY_TEXT,
        .doc = "emulated bus: an LM75 sensor at ADDR[:millidegrees]" },
    [KEY_MAX_TRANSFER] = { "max-transfer", XVD_KEY_U64, .def = XV_I2C_DEFAULT_MAX_TRANSFER,
        .min = 1, .max = UINT16_MAX, .doc = "bytes per message" },
    [KEY_QUEUE_SIZE] = { "queue-size", XVD_KEY_POW2, .def = XV_I2C_DEFAULT_QUEUE_SIZE,
        .min = 2, .max = XV_VQ_MAX_SIZE, .doc = "QueueNumMax of the request queue" },
};

static bool parse_addr(const char *s, char **end, unsigned long max,
                       unsigned long *out)
{
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    *out = strtoul(s, end, 0);
    return errno == 0 && *end != s && *out <= max;
}

/* "0x50,0x48-0x4f": 7-bit addresses; above 0x7f, 10-bit ones. */
static int parse_allow(const char *v, struct xv_i2c_params *p)
{
    const char *s = v;

    if (!*s)
        return -EINVAL;
    while (*s) {
        unsigned long lo, hi;
        char *end;

        if (!parse_addr(s, &end, 0x3ff, &lo))
            return -EINVAL;
        hi = lo;
        if (*end == '-' && !parse_addr(end + 1, &end, 0x3ff, &hi))
            return -EINVAL;
        if (hi < lo || (lo <= 0x7f && hi > 0x7f))
            return -EINVAL;
        for (unsigned long a = lo; a <= hi; a++)
            xv_i2c_allow(p, (uint16_t)a, a > 0x7f);
        if (*end == ',')
            end++;
        else if (*end)
            return -EINVAL;
        s = end;
    }
    return 0;
}

/* "ADDR[:REST]": a 7-bit address and what follows the colon (or NULL). */
static int parse_emul_dev(const char *v, uint16_t *addr, const char **rest)
{
    unsigned long a;
    char *end;

    if (!parse_addr(v, &end, 0x7f, &a))
        return -EINVAL;
    if (*end == ':' && end[1])
        *rest = end + 1;
    else if (*end)
        return -EINVAL;
    else
        *rest = NULL;
    *addr = (uint16_t)a;
    return 0;
}

static const char *event_text(enum xv_i2c_event ev)
{
    switch (ev) {
    case XV_I2C_EV_MALFORMED: return "malformed request";
    case XV_I2C_EV_NO_STATUS: return "request without room for a status";
    case XV_I2C_EV_OVERSIZE: return "buffer longer than max-transfer";
    case XV_I2C_EV_BAD_ADDR: return "invalid address field";
    case XV_I2C_EV_REFUSED: return "address not allowed";
    case XV_I2C_EV_UNSUPPORTED: return "transfer the bus cannot do";
    case XV_I2C_EV_GROUP_TOO_LONG: return "FAIL_NEXT group too long";
    case XV_I2C_EV_NO_BOUNCE: return "scattered buffer";
    case XV_I2C_EV_BUS_ERROR: return "bus error";
    default: return "?";
    }
}

static void on_event(void *opaque, enum xv_i2c_event ev, uint16_t addr)
{
    struct i2c_dev *d = opaque;

    /* A guest scanning the bus hits refused addresses by the dozen: keep
     * them at debug, the rest rate-limited at warning. */
    if (ev == XV_I2C_EV_REFUSED || ev == XV_I2C_EV_BUS_ERROR) {
        xvd_log(LOG_DEBUG, d->base.log_ctx, "i2c: %s (address 0x%x)",
                event_text(ev), addr);
        return;
    }
    if (addr == 0xffff)
        xvd_log_ratelimited(&d->rl, LOG_WARNING, d->base.log_ctx,
                            "i2c: %s: request failed", event_text(ev));
    else
        xvd_log_ratelimited(&d->rl, LOG_WARNING, d->base.log_ctx,
                            "i2c: %s (address 0x%x): request failed",
                            event_text(ev), addr);
}

static void i2c_dev_free(struct i2c_dev *d)
{
    xvd_i2c_emul_fini(&d->emul);
    xvd_i2c_host_close(&d->host);
    for (unsigned i = 0; i < XV_I2C_GROUP_MAX; i++)
        free(d->reqs[i].bounce);
    free(d);
}

static int setup_emulated(struct i2c_dev *d, const struct xvd_device_conf *conf,
                          char *err, size_t errlen)
{
    const char *eeprom = xvd_device_opt(conf, "eeprom");
    const char *lm75 = xvd_device_opt(conf, "lm75");
    const char *rest;
    uint16_t addr;

    xvd_i2c_emul_init(&d->emul);
    if (eeprom) {
        char why[300];

        if (parse_emul_dev(eeprom, &addr, &rest) < 0) {
            snprintf(err, errlen, "device %s: key 'eeprom': bad value '%s' "
                     "(ADDR[:backing-file], ADDR 0x00..0x7f)", conf->name, eeprom);
            return -EINVAL;
        }
        if (xvd_i2c_emul_add_eeprom(&d->emul, addr, rest, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "device %s: key 'eeprom': %s", conf->name, why);
            return -EINVAL;
        }
    }
    if (lm75) {
        long md = 25000;

        if (parse_emul_dev(lm75, &addr, &rest) < 0) {
            rest = "x";
        }
        if (rest) {
            char *end;

            errno = 0;
            md = strtol(rest, &end, 10);
            if (errno || end == rest || *end || md < -55000 || md > 125000) {
                snprintf(err, errlen, "device %s: key 'lm75': bad value '%s' "
                         "(ADDR[:millidegrees], -55000..125000)", conf->name, lm75);
                return -EINVAL;
            }
        }
        if (eeprom && addr == d->emul.eeprom.addr) {
            snprintf(err, errlen, "device %s: key 'lm75': bad value '%s' "
                     "(address taken by the eeprom)", conf->name, lm75);
            return -EINVAL;
        }
        xvd_i2c_emul_add_lm75(&d->emul, addr, (int32_t)md);
    }
    return 0;
}

/* The addresses the guest may reach: 'allow', or every one on the emulated
 * bus; a host bus carries the host's devices too, so nothing by default. */
static int set_allowed(const struct xvd_device_conf *conf, const char *allow, bool emulated,
                       struct xv_i2c_params *params, char *err, size_t errlen)
{
    if (!allow && emulated) {
        xv_i2c_allow_all(params);
        return 0;
    }
    if (!allow)
        return xvd_key_error(conf, "allow", err, errlen, "missing (required for bus %s)",
                             xvd_device_opt(conf, "bus"));
    if (parse_allow(allow, params) < 0)
        return xvd_key_error(conf, "allow", err, errlen, "ADDR or LO-HI, comma-separated; "
                             "7-bit 0x00..0x7f, 10-bit 0x80..0x3ff");
    return 0;
}

/* The emulated bus with its devices, or a host adapter. */
static int open_bus(struct i2c_dev *d, const struct xvd_device_conf *conf,
                    const union xvd_key_value *v, struct xv_i2c_bus *bus,
                    char *err, size_t errlen)
{
    const char *emulated_only = v[KEY_EEPROM].text ? "eeprom" :
                                v[KEY_LM75].text ? "lm75" : NULL;
    char why[300];

    if (d->emulated) {
        if (setup_emulated(d, conf, err, errlen) < 0)
            return -EINVAL;
        *bus = (struct xv_i2c_bus){ .ops = &xvd_i2c_emul_ops, .opaque = &d->emul };
        return 0;
    }
    if (emulated_only) {
        snprintf(err, errlen, "device %s: key '%s': only with bus = emulated", conf->name,
                 emulated_only);
        return -EINVAL;
    }
    if (xvd_i2c_host_open(&d->host, v[KEY_BUS].text, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "device %s: key 'bus': %s", conf->name, why);
        return -EINVAL;
    }
    *bus = (struct xv_i2c_bus){ .ops = &xvd_i2c_host_ops, .opaque = &d->host };
    return 0;
}

static struct xvd_dev *i2c_create(const struct xvd_device_conf *conf,
                                  const struct xv_platform *platform,
                                  struct xvd_loop *loop, char *err, size_t errlen)
{
    union xvd_key_value v[NR_KEYS];
    struct xv_i2c_params params;
    struct xv_i2c_bus bus;
    struct i2c_dev *d;
    int ret;

    (void)loop;
    if (xvd_keys_parse(i2c_keys, NR_KEYS, "i2c", conf, v, err, errlen) < 0)
        return NULL;
    xv_i2c_default_params(&params);
    if (conf->max_requests_per_wakeup)
        params.max_requests_per_call = conf->max_requests_per_wakeup;
    params.max_transfer = (uint16_t)v[KEY_MAX_TRANSFER].n;
    params.queue_size = (uint16_t)v[KEY_QUEUE_SIZE].n;
    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "device %s: out of memory", conf->name);
        return NULL;
    }
    d->host.fd = -1;
    d->emul.eeprom.fd = -1;
    d->emulated = strcmp(v[KEY_BUS].text, "emulated") == 0;
    if (set_allowed(conf, v[KEY_ALLOW].text, d->emulated, &params, err, errlen) < 0 ||
        open_bus(d, conf, v, &bus, err, errlen) < 0)
        goto fail;
    for (unsigned i = 0; i < XV_I2C_GROUP_MAX; i++) {
        d->reqs[i].bounce = malloc(params.max_transfer);
        if (!d->reqs[i].bounce) {
            snprintf(err, errlen, "device %s: out of memory", conf->name);
            goto fail;
        }
    }
    params.event = on_event;
    params.event_opaque = d;
    d->base.type = &xvd_i2c_type;
    ret = xv_i2c_init(&d->i2c, &d->base.xv, platform, &bus, &params, d->reqs,
                      XV_I2C_GROUP_MAX);
    if (ret < 0) {
        snprintf(err, errlen, "device %s: cannot initialise: %s", conf->name,
                 strerror(-ret));
        goto fail;
    }
    return &d->base;
fail:
    i2c_dev_free(d);
    return NULL;
}

static struct i2c_dev *i2c_dev_of(struct xvd_dev *dev)
{
    return xv_container_of(dev, struct i2c_dev, base);
}

static unsigned i2c_in_flight(struct xvd_dev *dev)
{
    return xv_i2c_in_flight(&i2c_dev_of(dev)->i2c);
}

static void i2c_destroy(struct xvd_dev *dev)
{
    i2c_dev_free(i2c_dev_of(dev));
}

const struct xvd_device_type xvd_i2c_type = {
    .name = "i2c",
    .keys = i2c_keys,
    .nr_keys = NR_KEYS,
    .virtio_id = XV_ID_I2C,
    .create = i2c_create,
    .in_flight = i2c_in_flight,
    .destroy = i2c_destroy,
};
