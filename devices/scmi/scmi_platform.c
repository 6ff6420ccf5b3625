/* SPDX-License-Identifier: Apache-2.0 */
/*
 * [scmi...] config sections -> struct xv_scmi_platform, and the simulated
 * backend: state lives in the engine; the backend logs each physical
 * change (tests and admins read them) and reads sensors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "scmi_platform.h"

/* Section keys: their values are checked by the loaders below. */
#define KEY(name_, doc_) { name_, XVD_KEY_TEXT, .doc = doc_ }

static const struct xvd_key clock_keys[] = {
    KEY("rates", "up to 16 ascending rates in Hz (or range)"),
    KEY("range", "MIN-MAX:STEP in Hz (or rates)"),
    KEY("rate", "the default rate, one of the rates or within the range"),
    KEY("on", "on at boot: the platform keeps its own vote"),
    KEY("enable-latency", "microseconds, reported in CLOCK_ATTRIBUTES"),
};
static const struct xvd_key reset_keys[] = {
    KEY("latency", "microseconds a reset takes (default unknown)"),
};
static const struct xvd_key power_keys[] = {
    KEY("on", "on at boot"),
};
static const struct xvd_key perf_keys[] = {
    KEY("levels", "LEVEL:MW:LATENCY-US, up to 16, ascending"),
    KEY("level", "the default level (default the lowest)"),
    KEY("sustained-level", "the sustained level"),
    KEY("sustained-freq", "the sustained frequency in kHz"),
    KEY("rate-limit", "microseconds between level changes"),
};
static const struct xvd_key voltage_keys[] = {
    KEY("levels", "microvolts, ascending (or range)"),
    KEY("range", "MIN-MAX:STEP in microvolts (or levels)"),
    KEY("voltage", "the default level"),
    KEY("on", "on at boot"),
};
static const struct xvd_key sensor_keys[] = {
    KEY("unit", "none, temperature, voltage, current, power or energy"),
    KEY("exponent", "the value is in units of 10^n, -16..15"),
    KEY("value", "a fixed, simulated reading (or hwmon)"),
    KEY("hwmon", "a Linux hwmon file to read (or value)"),
    KEY("update-interval", "seconds a reading stands, reported to the guest"),
};
static const struct xvd_key platform_keys[] = {
    KEY("vendor", "what BASE_DISCOVER_VENDOR answers, at most 15 characters"),
    KEY("sub-vendor", "what BASE_DISCOVER_SUB_VENDOR answers, at most 15 characters"),
    KEY("socket", "the raw SCMI socket's path"),
};

#define SECTION(kind_, named_, keys_) \
    { kind_, named_, keys_, sizeof(keys_) / sizeof(keys_[0]) }

const struct xvd_section_kind xvd_scmi_sections[XVD_SCMI_NR_SECTIONS] = {
    [XV_SCMI_CLOCK] = SECTION("scmi-clock", true, clock_keys),
    [XV_SCMI_RESET] = SECTION("scmi-reset", true, reset_keys),
    [XV_SCMI_POWER] = SECTION("scmi-power", true, power_keys),
    [XV_SCMI_PERF] = SECTION("scmi-perf", true, perf_keys),
    [XV_SCMI_VOLTAGE] = SECTION("scmi-voltage", true, voltage_keys),
    [XV_SCMI_SENSOR] = SECTION("scmi-sensor", true, sensor_keys),
    [XVD_SCMI_SECTION] = SECTION("scmi", false, platform_keys),
};

/* ---- the simulated backend ---- */

static struct xvd_scmi_platform *of(void *opaque)
{
    return opaque;
}

static void physical(struct xvd_scmi_platform *p, const char *what,
                     const char *name, const char *change)
{
    if (p->server && p->server->caller)
        xvd_log(LOG_INFO, NULL, "scmi: %s %s %s (agent %s)", what, name, change,
                p->server->caller->name);
    else
        xvd_log(LOG_INFO, NULL, "scmi: %s %s %s", what, name, change);
}

static int sim_clock_enable(void *opaque, unsigned clock, bool enable)
{
    physical(of(opaque), "clock", of(opaque)->clocks[clock].name, enable ? "on" : "off");
    return 0;
}

static int sim_clock_set_rate(void *opaque, unsigned clock, uint64_t rate_hz)
{
    char change[40];

    snprintf(change, sizeof(change), "rate %" PRIu64, rate_hz);
    physical(of(opaque), "clock", of(opaque)->clocks[clock].name, change);
    return 0;
}

static int sim_reset(void *opaque, unsigned domain, enum xv_scmi_reset_op op)
{
    static const char *const ops[] = { "pulse", "assert", "deassert" };

    physical(of(opaque), "reset", of(opaque)->resets[domain].name, ops[op]);
    return 0;
}

static int sim_power_set(void *opaque, unsigned domain, bool on)
{
    physical(of(opaque), "power", of(opaque)->power[domain].name, on ? "on" : "off");
    return 0;
}

static int sim_perf_set_level(void *opaque, unsigned domain, uint32_t level)
{
    char change[32];

    snprintf(change, sizeof(change), "level %" PRIu32, level);
    physical(of(opaque), "perf", of(opaque)->perf[domain].name, change);
    return 0;
}

static int sim_voltage_enable(void *opaque, unsigned domain, bool on)
{
    physical(of(opaque), "voltage", of(opaque)->voltage[domain].name, on ? "on" : "off");
    return 0;
}

static int sim_voltage_set_level(void *opaque, unsigned domain, int32_t uv)
{
    char change[32];

    snprintf(change, sizeof(change), "level %" PRId32 " uV", uv);
    physical(of(opaque), "voltage", of(opaque)->voltage[domain].name, change);
    return 0;
}

/* Many hwmon drivers refresh no faster than this themselves. */
#define HWMON_MIN_INTERVAL_NS 100000000ull

/* hwmon files hold one integer (milli-units for most attributes). */
static int read_hwmon(const char *path, int64_t *value)
{
    char buf[64];
    FILE *f = fopen(path, "re");
    char *end;
    long long v;

    if (!f)
        return -errno;
    if (!fgets(buf, sizeof(buf), f)) {
        fclose(f);
        return -EIO;
    }
    fclose(f);
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n'))
        return -EIO;
    *value = v;
    return 0;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int read_hwmon_cached(struct xvd_scmi_platform *p, unsigned sensor,
                             int64_t *value)
{
    struct xvd_hwmon_reading *last = &p->hwmon_last[sensor];
    uint64_t interval = p->sensors[sensor].update_interval_s ?
                        p->sensors[sensor].update_interval_s * 1000000000ull :
                        p->hwmon_min_ns;
    uint64_t now = monotonic_ns();

    if (!last->at_ns || now - last->at_ns >= interval) {
        last->err = read_hwmon(p->sensor_hwmon[sensor], &last->value);
        last->at_ns = now ? now : 1;
    }
    *value = last->value;
    return last->err;
}

static int sim_sensor_read(void *opaque, unsigned sensor, int64_t *value,
                           uint64_t *timestamp_ns)
{
    struct xvd_scmi_platform *p = of(opaque);

    *timestamp_ns = 0;
    if (p->sensor_hwmon[sensor][0])
        return read_hwmon_cached(p, sensor, value);
    *value = p->sensor_value[sensor];
    return 0;
}

static const struct xv_scmi_platform_ops sim_ops = {
    .clock_enable = sim_clock_enable,
    .clock_set_rate = sim_clock_set_rate,
    .reset = sim_reset,
    .power_set = sim_power_set,
    .perf_set_level = sim_perf_set_level,
    .voltage_enable = sim_voltage_enable,
    .voltage_set_level = sim_voltage_set_level,
    .sensor_read = sim_sensor_read,
};

/* ---- config ---- */

struct loader {
    struct xvd_scmi_platform *p;
    const struct xvd_config *cfg;
    const struct xvd_section_conf *sec;
    char *err;
    size_t errlen;
};

static int bad(struct loader *l, const char *key, const char *why)
{
    return xvd_section_error(l->cfg, l->sec, key, l->err, l->errlen, "%s", why);
}

static int opt_u64(struct loader *l, const char *key, uint64_t def, uint64_t max,
                   uint64_t *out)
{
    const char *v = xvd_section_opt(l->sec, key, NULL);
    char why[64];

    if (!v) {
        *out = def;
        return 0;
    }
    if (xvd_parse_u64(v, 0, max, out))
        return 0;
    snprintf(why, sizeof(why), "must be 0..%" PRIu64, max);
    return bad(l, key, why);
}

static int opt_bool(struct loader *l, const char *key, bool *out)
{
    const char *v = xvd_section_opt(l->sec, key, NULL);

    *out = false;
    if (v && !xvd_parse_bool(v, out))
        return bad(l, key, "must be yes|no");
    return 0;
}

/* "a,b,c" ascending numbers <= max; at most 'max_n'. */
static int parse_list(const char *v, uint64_t max, uint64_t *out, unsigned max_n,
                      unsigned *n)
{
    char buf[XVD_VALUE_MAX], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", v);
    *n = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == max_n || !xvd_parse_u64(t, 1, max, &out[*n]) ||
            (*n && out[*n] <= out[*n - 1]))
            return -EINVAL;
        (*n)++;
    }
    return *n ? 0 : -EINVAL;
}

/* "MIN-MAX:STEP" */
static int parse_range(const char *v, uint64_t max, uint64_t out[3])
{
    char buf[XVD_VALUE_MAX], *dash, *colon;

    snprintf(buf, sizeof(buf), "%s", v);
    dash = strchr(buf, '-');
    colon = strchr(buf, ':');
    if (!dash || !colon || colon < dash)
        return -EINVAL;
    *dash = *colon = '\0';
    if (!xvd_parse_u64(buf, 1, max, &out[0]) || !xvd_parse_u64(dash + 1, 1, max, &out[1]) ||
        !xvd_parse_u64(colon + 1, 1, max, &out[2]) || out[1] < out[0])
        return -EINVAL;
    return 0;
}

static void set_name(char *dst, const char *name)
{
    snprintf(dst, XV_SCMI_NAME_MAX, "%s", name);
}

/* Discrete 'list_key' or 'range_key' (exactly one), then a default that
 * must be one of them. Shared by clocks (Hz) and voltages (uV). */
static int load_levels(struct loader *l, const char *list_key, const char *def_key,
                       uint64_t max, uint64_t *vals, unsigned max_n, bool *range,
                       unsigned *n, uint64_t *def)
{
    const char *list = xvd_section_opt(l->sec, list_key, NULL);
    const char *rng = xvd_section_opt(l->sec, "range", NULL);
    bool found = false;

    if (!list == !rng)
        return bad(l, NULL, list ? "give either the list or 'range', not both"
                                 : "needs a list of values or 'range = MIN-MAX:STEP'");
    *range = rng != NULL;
    if (rng && parse_range(rng, max, vals))
        return bad(l, "range", "expected MIN-MAX:STEP, MIN <= MAX, STEP > 0");
    if (list && parse_list(list, max, vals, max_n, n)) {
        char why[96];

        snprintf(why, sizeof(why), "expected 1..%u ascending numbers 1..%" PRIu64 ", "
                 "comma-separated", max_n, max);
        return bad(l, list_key, why);
    }
    if (rng)
        *n = 3;
    if (opt_u64(l, def_key, rng ? vals[0] : vals[0], max, def))
        return -EINVAL;
    if (rng)
        found = *def >= vals[0] && *def <= vals[1];
    for (unsigned i = 0; !rng && i < *n; i++)
        found |= vals[i] == *def;
    if (!found)
        return bad(l, def_key, rng ? "outside the range" : "not one of the listed values");
    return 0;
}

static int load_clock(struct loader *l, struct xv_scmi_clock_desc *c)
{
    uint64_t latency;
    bool range;
    unsigned n = 0;

    if (load_levels(l, "rates", "rate", UINT64_MAX / 2, c->rates, XV_SCMI_MAX_RATES,
                    &range, &n, &c->default_rate) ||
        opt_bool(l, "on", &c->on_at_boot) ||
        opt_u64(l, "enable-latency", 0, UINT32_MAX, &latency))
        return -EINVAL;
    c->range = range;
    c->nr_rates = (uint8_t)n;
    c->enable_latency_us = (uint32_t)latency;
    return 0;
}

static int load_reset(struct loader *l, struct xv_scmi_reset_desc *r)
{
    uint64_t latency;

    if (opt_u64(l, "latency", UINT32_MAX, UINT32_MAX, &latency))
        return -EINVAL;
    r->latency_us = (uint32_t)latency;
    return 0;
}

static int load_power(struct loader *l, struct xv_scmi_power_desc *pw)
{
    return opt_bool(l, "on", &pw->on_at_boot) ? -EINVAL : 0;
}

/* "level:power-mW:latency-us,..." ascending levels. */
static int load_perf(struct loader *l, struct xv_scmi_perf_desc *d)
{
    const char *v = xvd_section_opt(l->sec, "levels", NULL);
    char buf[XVD_VALUE_MAX], *save = NULL;
    uint64_t def, sl, sf, rl;
    bool found = false;

    if (!v)
        return bad(l, NULL, "needs 'levels = LEVEL:POWER-MW:LATENCY-US,...'");
    snprintf(buf, sizeof(buf), "%s", v);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        struct xv_scmi_perf_level *lv = &d->levels[d->nr_levels];
        char *c1 = strchr(t, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        uint64_t a, b, c;

        if (d->nr_levels == XV_SCMI_MAX_LEVELS || !c1 || !c2)
            return bad(l, "levels", "expected up to 16 LEVEL:POWER-MW:LATENCY-US");
        *c1 = *c2 = '\0';
        if (!xvd_parse_u64(t, 1, UINT32_MAX, &a) || !xvd_parse_u64(c1 + 1, 0, UINT32_MAX, &b) ||
            !xvd_parse_u64(c2 + 1, 0, UINT16_MAX, &c) ||
            (d->nr_levels && a <= d->levels[d->nr_levels - 1].level))
            return bad(l, "levels", "levels must ascend; numbers out of range");
        lv->level = (uint32_t)a;
        lv->power_cost = (uint32_t)b;
        lv->latency_us = (uint16_t)c;
        d->nr_levels++;
    }
    if (d->nr_levels == 0)
        return bad(l, "levels", "empty");
    if (opt_u64(l, "level", d->levels[0].level, UINT32_MAX, &def) ||
        opt_u64(l, "sustained-level", d->levels[d->nr_levels - 1].level, UINT32_MAX, &sl) ||
        opt_u64(l, "sustained-freq", 0, UINT32_MAX, &sf) ||
        opt_u64(l, "rate-limit", 0, 0xfffff, &rl))
        return -EINVAL;
    for (unsigned i = 0; i < d->nr_levels; i++)
        found |= d->levels[i].level == def;
    if (!found)
        return bad(l, "level", "not one of the levels");
    d->default_level = (uint32_t)def;
    d->sustained_level = (uint32_t)sl;
    d->sustained_freq_khz = (uint32_t)sf;
    d->rate_limit_us = (uint32_t)rl;
    return 0;
}

static int load_voltage(struct loader *l, struct xv_scmi_voltage_desc *d)
{
    uint64_t vals[XV_SCMI_MAX_LEVELS], def;
    unsigned n = 0;
    bool range;

    if (load_levels(l, "levels", "voltage", INT32_MAX, vals, XV_SCMI_MAX_LEVELS,
                    &range, &n, &def) ||
        opt_bool(l, "on", &d->on_at_boot))
        return -EINVAL;
    d->range = range;
    d->nr_levels = (uint8_t)n;
    for (unsigned i = 0; i < n; i++)
        d->levels_uv[i] = (int32_t)vals[i];
    d->default_uv = (int32_t)def;
    return 0;
}

/* The unit hwmon files report (Documentation/hwmon/sysfs-interface.rst):
 * power (uW) and energy (uJ) in micro-units, the rest in milli-units. */
static int8_t hwmon_exponent(uint8_t unit_type)
{
    if (unit_type == SCMI_SENSOR_UNIT_POWER || unit_type == SCMI_SENSOR_UNIT_ENERGY)
        return -6;
    return -3;
}

static int load_sensor(struct loader *l, struct xv_scmi_sensor_desc *d, unsigned i)
{
    static const struct { const char *name; uint8_t type; } units[] = {
        { "none", SCMI_SENSOR_UNIT_NONE }, { "temperature", SCMI_SENSOR_UNIT_TEMPERATURE_C },
        { "voltage", SCMI_SENSOR_UNIT_VOLTAGE }, { "current", SCMI_SENSOR_UNIT_CURRENT },
        { "power", SCMI_SENSOR_UNIT_POWER }, { "energy", SCMI_SENSOR_UNIT_ENERGY },
    };
    const char *unit = xvd_section_opt(l->sec, "unit", NULL);
    const char *exp = xvd_section_opt(l->sec, "exponent", NULL);
    const char *value = xvd_section_opt(l->sec, "value", NULL);
    const char *hwmon = xvd_section_opt(l->sec, "hwmon", NULL);
    uint64_t interval;
    bool known = false;
    char *end;
    long e;

    for (size_t u = 0; unit && u < sizeof(units) / sizeof(units[0]); u++) {
        if (strcmp(unit, units[u].name) == 0) {
            d->unit_type = units[u].type;
            known = true;
        }
    }
    if (!unit || !known)
        return bad(l, "unit", "needs none|temperature|voltage|current|power|energy");
    if (exp) {
        errno = 0;
        e = strtol(exp, &end, 10);
        if (errno || *end || end == exp || e < -16 || e > 15)
            return bad(l, "exponent", "must be -16..15");
        d->unit_exp = (int8_t)e;
    } else {
        d->unit_exp = hwmon ? hwmon_exponent(d->unit_type) : 0;
    }
    if (!value == !hwmon)
        return bad(l, NULL, "needs exactly one of 'value' (simulated) or 'hwmon = PATH'");
    if (value) {
        errno = 0;
        l->p->sensor_value[i] = strtoll(value, &end, 10);
        if (errno || *end || end == value)
            return bad(l, "value", "must be a signed integer");
    } else if (hwmon[0] != '/') {
        return bad(l, "hwmon", "must be an absolute path");
    } else {
        snprintf(l->p->sensor_hwmon[i], XVD_VALUE_MAX, "%s", hwmon);
    }
    if (opt_u64(l, "update-interval", 0, 0xffff, &interval))
        return -EINVAL;
    d->update_interval_s = (uint32_t)interval;
    return 0;
}

static int load_scmi(struct loader *l)
{
    const char *vendor = xvd_section_opt(l->sec, "vendor", NULL);
    const char *sub = xvd_section_opt(l->sec, "sub-vendor", NULL);
    const char *socket = xvd_section_opt(l->sec, "socket", NULL);

    if (vendor && strlen(vendor) >= XV_SCMI_SHORT_NAME_MAX)
        return bad(l, "vendor", "at most 15 characters");
    if (sub && strlen(sub) >= XV_SCMI_SHORT_NAME_MAX)
        return bad(l, "sub-vendor", "at most 15 characters");
    if (socket && socket[0] != '/')
        return bad(l, "socket", "must be an absolute path");
    if (vendor)
        snprintf(l->p->plat.vendor, sizeof(l->p->plat.vendor), "%s", vendor);
    if (sub)
        snprintf(l->p->plat.sub_vendor, sizeof(l->p->plat.sub_vendor), "%s", sub);
    if (socket)
        snprintf(l->p->socket_path, sizeof(l->p->socket_path), "%s", socket);
    return 0;
}

static int load_section(struct loader *l, int kind)
{
    struct xvd_scmi_platform *p = l->p;
    struct xv_scmi_platform *plat = &p->plat;
    unsigned *counts[XV_SCMI_KIND_COUNT] = {
        &plat->nr_clocks, &plat->nr_resets, &plat->nr_power, &plat->nr_perf,
        &plat->nr_voltage, &plat->nr_sensors,
    };
    unsigned i = *counts[kind];
    int ret;

    if (i == XV_SCMI_MAX_RESOURCES)
        return bad(l, NULL, "too many resources of this kind (at most 64)");
    switch (kind) {
    case XV_SCMI_CLOCK:
        set_name(p->clocks[i].name, l->sec->name);
        ret = load_clock(l, &p->clocks[i]);
        break;
    case XV_SCMI_RESET:
        set_name(p->resets[i].name, l->sec->name);
        ret = load_reset(l, &p->resets[i]);
        break;
    case XV_SCMI_POWER:
        set_name(p->power[i].name, l->sec->name);
        ret = load_power(l, &p->power[i]);
        break;
    case XV_SCMI_PERF:
        set_name(p->perf[i].name, l->sec->name);
        ret = load_perf(l, &p->perf[i]);
        break;
    case XV_SCMI_VOLTAGE:
        set_name(p->voltage[i].name, l->sec->name);
        ret = load_voltage(l, &p->voltage[i]);
        break;
    default:
        set_name(p->sensors[i].name, l->sec->name);
        ret = load_sensor(l, &p->sensors[i], i);
        break;
    }
    if (ret == 0)
        (*counts[kind])++;
    return ret;
}

int xvd_scmi_platform_load(struct xvd_scmi_platform *p,
                           const struct xvd_config *cfg, char *err, size_t errlen)
{
    struct loader l = { .p = p, .cfg = cfg, .err = err, .errlen = errlen };

    memset(p, 0, sizeof(*p));
    snprintf(p->plat.vendor, sizeof(p->plat.vendor), "xenvirtiod");
    snprintf(p->plat.sub_vendor, sizeof(p->plat.sub_vendor), "sim");
    p->plat.impl_version = 0x00010000;
    p->plat.clocks = p->clocks;
    p->plat.resets = p->resets;
    p->plat.power = p->power;
    p->plat.perf = p->perf;
    p->plat.voltage = p->voltage;
    p->plat.sensors = p->sensors;
    p->plat.ops = &sim_ops;
    p->plat.opaque = p;
    p->hwmon_min_ns = HWMON_MIN_INTERVAL_NS;
    for (unsigned s = 0; s < cfg->nr_sections; s++) {
        int kind = -1;

        l.sec = &cfg->sections[s];
        for (int k = 0; k < XVD_SCMI_NR_SECTIONS; k++) {
            if (strcmp(l.sec->kind, xvd_scmi_sections[k].kind) == 0)
                kind = k;
        }
        if (kind < 0)
            continue;   /* another device type's section */
        if (xvd_section_check_keys(cfg, l.sec, &xvd_scmi_sections[kind], err, errlen) < 0)
            return -EINVAL;
        if (kind == XVD_SCMI_SECTION ? load_scmi(&l) : load_section(&l, kind))
            return -EINVAL;
    }
    return 0;
}

int xvd_scmi_platform_find(const struct xvd_scmi_platform *p,
                           enum xv_scmi_kind kind, const char *name)
{
    const struct xv_scmi_platform *plat = &p->plat;
    const unsigned counts[XV_SCMI_KIND_COUNT] = {
        plat->nr_clocks, plat->nr_resets, plat->nr_power, plat->nr_perf,
        plat->nr_voltage, plat->nr_sensors,
    };

    for (unsigned i = 0; i < counts[kind]; i++) {
        const char *n = kind == XV_SCMI_CLOCK ? p->clocks[i].name :
                        kind == XV_SCMI_RESET ? p->resets[i].name :
                        kind == XV_SCMI_POWER ? p->power[i].name :
                        kind == XV_SCMI_PERF ? p->perf[i].name :
                        kind == XV_SCMI_VOLTAGE ? p->voltage[i].name :
                        p->sensors[i].name;

        if (strcmp(n, name) == 0)
            return (int)i;
    }
    return -1;
}
