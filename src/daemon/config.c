/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config file (INI, parsed by libinih) and --device specs. Every error
 * names where it is (file:line), the device, the key, the value and why.
 */
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"

#define DEVICE_SECTION "device "

struct parse_state {
    struct xvd_config *cfg;
    const char *path;
    FILE *file;
    unsigned line;
    void (*warn)(const char *msg);
    char *err;
    size_t errlen;
    int fatal;                  /* -errno of the first daemon-level error */
    /* The device section being read. */
    struct xvd_device_conf dev;
    bool in_device;
    bool dev_bad;
    unsigned dev_line;
    bool have_base, have_irq;
};

void xvd_config_defaults(struct xvd_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = LOG_INFO;
    cfg->log_target = XVD_LOG_TARGET_AUTO;
    cfg->xenstore = true;
    cfg->max_requests_per_wakeup = 64;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    for (unsigned i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Decimal or 0x-hex, no sign, no trailing junk, within [min, max]. */
static bool parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    unsigned long long n;
    char *end;

    if (!*v || *v == '-' || *v == '+' || *v == ' ')
        return false;
    errno = 0;
    n = strtoull(v, &end, 0);
    if (errno || *end || end == v || n < min || n > max)
        return false;
    *out = n;
    return true;
}

static int parse_log_level(const char *v)
{
    static const struct { const char *name; int level; } levels[] = {
        { "error", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
        { "info", LOG_INFO }, { "debug", LOG_DEBUG },
    };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcmp(v, levels[i].name) == 0)
            return levels[i].level;
    return -1;
}

static void where(const struct parse_state *st, char *buf, size_t len)
{
    if (st->path)
        snprintf(buf, len, "%s:%u: ", st->path, st->line);
    else
        buf[0] = '\0';
}

static void daemon_error(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void daemon_error(struct parse_state *st, const char *fmt, ...)
{
    char at[300], msg[400];
    va_list ap;

    if (st->fatal)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    where(st, at, sizeof(at));
    snprintf(st->err, st->errlen, "%s%s", at, msg);
    st->fatal = -EINVAL;
}

static void device_error(struct parse_state *st, const char *key, const char *value,
                         const char *why)
{
    char at[300], msg[700];

    if (st->dev_bad)
        return;
    st->dev_bad = true;
    where(st, at, sizeof(at));
    if (key)
        snprintf(msg, sizeof(msg), "%sdevice %s: key '%s': bad value '%s' (%s)", at,
                 st->dev.name[0] ? st->dev.name : "(unnamed)", key, value, why);
    else
        snprintf(msg, sizeof(msg), "%sdevice %s: %s", at,
                 st->dev.name[0] ? st->dev.name : "(unnamed)", why);
    if (st->warn)
        st->warn(msg);
    else
        snprintf(st->err, st->errlen, "%s", msg);
}

static void daemon_key(struct parse_state *st, const char *key, const char *value)
{
    struct xvd_config *cfg = st->cfg;
    uint64_t n;
    int level;

    if (strcmp(key, "log-level") == 0) {
        level = parse_log_level(value);
        if (level < 0)
            daemon_error(st, "[daemon] key 'log-level': bad value '%s' "
                         "(error|warning|notice|info|debug)", value);
        else
            cfg->log_level = level;
    } else if (strcmp(key, "log-target") == 0) {
        if (strcmp(value, "auto") == 0)
            cfg->log_target = XVD_LOG_TARGET_AUTO;
        else if (strcmp(value, "journal") == 0)
            cfg->log_target = XVD_LOG_TARGET_JOURNAL;
        else if (strcmp(value, "stderr") == 0)
            cfg->log_target = XVD_LOG_TARGET_STDERR;
        else
            daemon_error(st, "[daemon] key 'log-target': bad value '%s' "
                         "(auto|journal|stderr)", value);
    } else if (strcmp(key, "xenstore") == 0) {
        if (!parse_bool(value, &cfg->xenstore))
            daemon_error(st, "[daemon] key 'xenstore': bad value '%s' (yes|no)", value);
    } else if (strcmp(key, "max-requests-per-wakeup") == 0) {
        if (!parse_u64(value, 1, 65535, &n))
            daemon_error(st, "[daemon] key 'max-requests-per-wakeup': bad value '%s' "
                         "(1..65535)", value);
        else
            cfg->max_requests_per_wakeup = (unsigned)n;
    } else {
        daemon_error(st, "[daemon]: unknown key '%s'", key);
    }
}

static void device_key(struct parse_state *st, const char *key, const char *value)
{
    struct xvd_device_conf *dev = &st->dev;
    uint64_t n;

    if (strcmp(key, "name") == 0) {
        if (!*value || strlen(value) >= sizeof(dev->name) || strchr(value, '/'))
            device_error(st, key, value, "1..63 characters, no '/'");
        else
            snprintf(dev->name, sizeof(dev->name), "%s", value);
    } else if (strcmp(key, "type") == 0) {
        if (!*value || strlen(value) >= sizeof(dev->type))
            device_error(st, key, value, "a device type: block, i2c, scmi");
        else
            snprintf(dev->type, sizeof(dev->type), "%s", value);
    } else if (strcmp(key, "domain") == 0) {
        if (parse_u64(value, 0, 0x7fef, &n)) {
            dev->domid = (int)n;
        } else if (!*value || strlen(value) >= sizeof(dev->domain_name) ||
                   (value[0] >= '0' && value[0] <= '9')) {
            device_error(st, key, value, "a domain id 0..32751 or a domain name");
        } else {
            snprintf(dev->domain_name, sizeof(dev->domain_name), "%s", value);
        }
    } else if (strcmp(key, "base") == 0) {
        if (!parse_u64(value, 0, UINT64_MAX - XVD_MMIO_WINDOW, &n) || n % XVD_MMIO_WINDOW)
            device_error(st, key, value, "an address aligned to 0x200");
        else {
            dev->base = n;
            st->have_base = true;
        }
    } else if (strcmp(key, "irq") == 0) {
        if (!parse_u64(value, 32, 1019, &n))
            device_error(st, key, value, "must be 32..1019");
        else {
            dev->irq = (unsigned)n;
            st->have_irq = true;
        }
    } else if (strcmp(key, "memory") == 0) {
        if (strcmp(value, "grants") == 0)
            dev->memory = XVD_MEM_GRANTS;
        else if (strcmp(value, "foreign") == 0)
            dev->memory = XVD_MEM_FOREIGN;
        else if (strcmp(value, "auto") == 0)
            dev->memory = XVD_MEM_AUTO;
        else
            device_error(st, key, value, "grants|foreign|auto");
    } else if (strcmp(key, "xl-target") == 0) {
        if (value[0] != '/' || strlen(value) >= sizeof(dev->xl_target))
            device_error(st, key, value, "an absolute path");
        else
            snprintf(dev->xl_target, sizeof(dev->xl_target), "%s", value);
    } else if (xvd_device_opt(dev, key)) {
        device_error(st, key, value, "key given twice");
    } else if (dev->nr_opts == XVD_DEVICE_OPTS_MAX) {
        device_error(st, key, value, "too many keys");
    } else if (strlen(key) >= XVD_NAME_MAX || strlen(value) >= XVD_VALUE_MAX) {
        device_error(st, key, value, "too long");
    } else {
        snprintf(dev->opts[dev->nr_opts].key, XVD_NAME_MAX, "%s", key);
        snprintf(dev->opts[dev->nr_opts].value, XVD_VALUE_MAX, "%s", value);
        dev->nr_opts++;
    }
}

static void device_begin(struct parse_state *st, const char *name)
{
    memset(&st->dev, 0, sizeof(st->dev));
    st->dev.domid = -1;
    st->in_device = true;
    st->dev_bad = false;
    st->have_base = st->have_irq = false;
    st->dev_line = st->line;
    snprintf(st->dev.name, sizeof(st->dev.name), "%s", name);
    if (!*name || strlen(name) >= sizeof(st->dev.name) || strchr(name, '/'))
        device_error(st, NULL, NULL, "section needs a name: [device NAME]");
}

/* Whole-device checks, then keep it (or report and drop it). */
static bool device_finish(struct parse_state *st)
{
    struct xvd_device_conf *dev = &st->dev;
    unsigned saved_line = st->line;
    bool kept = false;

    st->line = st->dev_line;
    if (!st->dev_bad && !dev->type[0])
        device_error(st, NULL, NULL, "key 'type' is missing");
    if (!st->dev_bad && st->have_base != st->have_irq)
        device_error(st, NULL, NULL, "static placement needs both 'base' and 'irq'");
    if (!st->dev_bad && st->have_base && dev->domid < 0 && !dev->domain_name[0])
        device_error(st, NULL, NULL, "static placement needs 'domain'");
    dev->is_static = st->have_base && st->have_irq;
    for (unsigned i = 0; !st->dev_bad && st->cfg && i < st->cfg->nr_devices; i++)
        if (strcmp(st->cfg->devices[i].name, dev->name) == 0)
            device_error(st, NULL, NULL, "a device of this name already exists");
    if (!st->dev_bad && st->cfg) {
        if (st->cfg->nr_devices == XVD_DEVICES_MAX) {
            device_error(st, NULL, NULL, "too many devices");
        } else {
            st->cfg->devices[st->cfg->nr_devices++] = *dev;
            kept = true;
        }
    }
    st->line = saved_line;
    st->in_device = false;
    return kept || (!st->cfg && !st->dev_bad);
}

static int on_ini_entry(void *user, const char *section, const char *key,
                        const char *value)
{
    struct parse_state *st = user;
    bool is_device = strncmp(section, DEVICE_SECTION, strlen(DEVICE_SECTION)) == 0;
    const char *name = section + strlen(DEVICE_SECTION);

    if (st->in_device && (!is_device || strcmp(name, st->dev.name) != 0))
        device_finish(st);
    if (is_device && !st->in_device)
        device_begin(st, name);
    if (is_device)
        device_key(st, key, value);
    else if (strcmp(section, "daemon") == 0)
        daemon_key(st, key, value);
    else
        daemon_error(st, "unknown section [%s] (use [daemon] or [device NAME])", section);
    return 1; /* keep going: report every device problem, not just the first */
}

static char *read_line(char *buf, int len, void *stream)
{
    struct parse_state *st = stream;
    char *line = fgets(buf, len, st->file);

    if (line)
        st->line++;
    return line;
}

int xvd_config_load(struct xvd_config *cfg, const char *path,
                    void (*warn)(const char *msg), char *err, size_t errlen)
{
    struct parse_state st = { .cfg = cfg, .path = path, .warn = warn,
                              .err = err, .errlen = errlen };
    int rc;

    err[0] = '\0';
    st.file = fopen(path, "r");
    if (!st.file) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    rc = ini_parse_stream(read_line, &st, on_ini_entry, &st);
    if (st.in_device)
        device_finish(&st);
    fclose(st.file);
    if (rc > 0 && !st.fatal) {
        st.line = (unsigned)rc;
        daemon_error(&st, "syntax error");
    }
    return st.fatal;
}

int xvd_config_parse_device(struct xvd_device_conf *dev, const char *spec,
                            char *err, size_t errlen)
{
    struct parse_state st = { .err = err, .errlen = errlen };
    char buf[1024];
    char *save = NULL;

    err[0] = '\0';
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "too long");
        return -EINVAL;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    device_begin(&st, "");
    st.dev_bad = false; /* a spec may leave the name to the caller */
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');

        if (!eq || eq == item) {
            device_error(&st, item, "", "expected key=value");
            break;
        }
        *eq = '\0';
        device_key(&st, item, eq + 1);
    }
    if (!device_finish(&st))
        return -EINVAL;
    *dev = st.dev;
    return 0;
}

const char *xvd_device_opt(const struct xvd_device_conf *dev, const char *key)
{
    for (unsigned i = 0; i < dev->nr_opts; i++)
        if (strcmp(dev->opts[i].key, key) == 0)
            return dev->opts[i].value;
    return NULL;
}

int xvd_opt_u64(const struct xvd_device_conf *dev, const char *key, uint64_t def,
                uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    const char *v = xvd_device_opt(dev, key);

    if (!v) {
        *out = def;
        return 0;
    }
    if (!parse_u64(v, min, max, out)) {
        snprintf(err, errlen, "device %s: key '%s': bad value '%s' (must be %" PRIu64
                 "..%" PRIu64 ")", dev->name, key, v, min, max);
        return -EINVAL;
    }
    return 0;
}

int xvd_opt_bool(const struct xvd_device_conf *dev, const char *key, bool def,
                 bool *out, char *err, size_t errlen)
{
    const char *v = xvd_device_opt(dev, key);

    if (!v) {
        *out = def;
        return 0;
    }
    if (!parse_bool(v, out)) {
        snprintf(err, errlen, "device %s: key '%s': bad value '%s' (yes|no)",
                 dev->name, key, v);
        return -EINVAL;
    }
    return 0;
}
