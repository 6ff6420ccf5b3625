/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config file (INI, parsed by libinih) and --device specs. Every error
 * names where it is (file:line), the device, the key, the value and why.
 *
 * libinih calls us once per "key = value"; it does not tell us where a
 * section starts (INI_CALL_HANDLER_ON_NEW_SECTION is off in Debian's
 * build), nor that a line was longer than its 200-byte buffer (it would
 * parse the rest as a line of its own). Our line reader therefore watches
 * for section headers and overlong lines; the parsing stays libinih's.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/un.h>

#include "config.h"
#include "device_type.h"

#define DEVICE_SECTION "device"
#define DOMID_MAX 0x7fef        /* DOMID_FIRST_RESERVED - 1 */
#define IRQ_MIN 32              /* first GIC SPI */
#define IRQ_MAX 1019            /* last GIC SPI */
#define SPEC_MAX 1024
#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* Keys with their own fields; each may be given once per device. */
enum device_key_bit {
    KEY_NAME = 1u << 0,
    KEY_TYPE = 1u << 1,
    KEY_DOMAIN = 1u << 2,
    KEY_BASE = 1u << 3,
    KEY_IRQ = 1u << 4,
    KEY_MEMORY = 1u << 5,
    KEY_XL_TARGET = 1u << 6,
};

enum daemon_key_bit {
    KEY_LOG_LEVEL = 1u << 0,
    KEY_LOG_TARGET = 1u << 1,
    KEY_XENSTORE = 1u << 2,
    KEY_MAX_REQUESTS = 1u << 3,
    KEY_CONTROL = 1u << 4,
};

struct parse_state {
    struct xvd_config *cfg;     /* NULL when parsing a --device spec */
    const struct xvd_device_types *types;
    const char *path;
    FILE *file;
    unsigned line;
    void (*warn)(const char *msg);
    char *err;
    size_t errlen;
    int fatal;                  /* -errno of the first file-level error */
    unsigned daemon_keys;       /* enum daemon_key_bit seen */
    /* Section boundaries, as the line reader saw them. */
    unsigned section_seq;       /* section headers read so far */
    unsigned section_line;
    bool section_has_keys;
    char section_header[XVD_NAME_MAX + 16];
    unsigned handled_seq;       /* section_seq the handler last saw */
    unsigned overlong_line;     /* first line longer than libinih's buffer */
    unsigned max_line;          /* that buffer's length, less the NUL */
    /* The device-type section being read, if any. */
    struct xvd_section_conf *sec;
    /* The device being read. */
    struct xvd_device_conf dev;
    bool in_device;
    bool dev_bad;
    unsigned dev_line;
    unsigned dev_keys;          /* enum device_key_bit seen */
};

/* A parser handed no types knows none (and never dereferences NULL). */
static const struct xvd_device_types no_types;

void xvd_config_defaults(struct xvd_config *cfg, const struct xvd_device_types *types)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->types = types;
    cfg->log_level = LOG_INFO;
    cfg->log_target = XVD_LOG_TARGET_AUTO;
    cfg->xenstore = true;
    cfg->max_requests_per_wakeup = 64;
}

bool xvd_parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
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

int xvd_parse_log_level(const char *v)
{
    static const struct { const char *name; int level; } levels[] = {
        { "error", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
        { "info", LOG_INFO }, { "debug", LOG_DEBUG },
    };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(v, levels[i].name) == 0)
            return levels[i].level;
    }
    return -1;
}

int xvd_parse_log_target(const char *v)
{
    if (strcmp(v, "auto") == 0)
        return XVD_LOG_TARGET_AUTO;
    if (strcmp(v, "journal") == 0)
        return XVD_LOG_TARGET_JOURNAL;
    if (strcmp(v, "stderr") == 0)
        return XVD_LOG_TARGET_STDERR;
    return -1;
}

/* Device names end up in log contexts ("dom5/disk0") and messages. */
static bool valid_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len >= XVD_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return false;
    }
    return true;
}

/* Keys are words; "read only = yes" is a typo, not a key. */
static bool valid_key(const char *key)
{
    size_t len = strlen(key);

    if (len == 0 || len >= XVD_NAME_MAX)
        return false;
    for (const char *c = key; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
            return false;
    }
    return true;
}

/* Xen accepts nearly any domain name; refuse only what cannot be one. */
static bool valid_domain_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len >= XVD_NAME_MAX || isdigit((unsigned char)name[0]))
        return false;
    for (const char *c = name; *c; c++) {
        if (!isgraph((unsigned char)*c) || *c == '/')
            return false;
    }
    return true;
}

static void where(const struct parse_state *st, unsigned line, char *buf, size_t len)
{
    if (st->path)
        snprintf(buf, len, "%s:%u: ", st->path, line);
    else
        buf[0] = '\0';
}

static void file_error(struct parse_state *st, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A problem outside any device: the whole file is refused. First one wins. */
static void file_error(struct parse_state *st, unsigned line, const char *fmt, ...)
{
    char at[300], msg[400];
    va_list ap;

    if (st->fatal)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    where(st, line, at, sizeof(at));
    snprintf(st->err, st->errlen, "%s%s", at, msg);
    st->fatal = -EINVAL;
}

static void report_device_problem(struct parse_state *st, const char *msg)
{
    if (st->warn)
        st->warn(msg);
    else if (!st->err[0])
        snprintf(st->err, st->errlen, "%s", msg);
}

static void device_error(struct parse_state *st, unsigned line, const char *key,
                         const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A problem in one device: report it once, the device will be skipped. */
static void device_error(struct parse_state *st, unsigned line, const char *key,
                         const char *value, const char *fmt, ...)
{
    char at[300], device[XVD_NAME_MAX + 16], why[300], msg[1200];
    va_list ap;

    if (st->dev_bad)
        return;
    st->dev_bad = true;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    where(st, line, at, sizeof(at));
    /* An unnamed --device spec: the caller names the option already. */
    if (st->dev.name[0])
        snprintf(device, sizeof(device), "device %s: ", st->dev.name);
    else
        device[0] = '\0';
    if (key && value)
        snprintf(msg, sizeof(msg), "%s%skey '%s': bad value '%s' (%s)", at, device, key,
                 value, why);
    else if (key)
        snprintf(msg, sizeof(msg), "%s%skey '%s': %s", at, device, key, why);
    else
        snprintf(msg, sizeof(msg), "%s%s%s", at, device, why);
    report_device_problem(st, msg);
}

/* ---- [daemon] ---- */

static bool daemon_key_once(struct parse_state *st, unsigned bit, const char *key)
{
    if (st->daemon_keys & bit) {
        file_error(st, st->line, "[daemon] key '%s': given twice", key);
        return false;
    }
    st->daemon_keys |= bit;
    return true;
}

/* A Unix socket's path, or none. */
static bool control_path_ok(const char *value)
{
    return strcmp(value, "none") == 0 || (value[0] == '/' && strlen(value) < SUN_PATH_MAX);
}

static void daemon_key(struct parse_state *st, const char *key, const char *value)
{
    struct xvd_config *cfg = st->cfg;
    uint64_t n;
    int level;

    if (strcmp(key, "log-level") == 0) {
        if (!daemon_key_once(st, KEY_LOG_LEVEL, key))
            return;
        level = xvd_parse_log_level(value);
        if (level < 0)
            file_error(st, st->line, "[daemon] key 'log-level': bad value '%s' "
                       "(must be error|warning|notice|info|debug)", value);
        else
            cfg->log_level = level;
    } else if (strcmp(key, "log-target") == 0) {
        if (!daemon_key_once(st, KEY_LOG_TARGET, key))
            return;
        level = xvd_parse_log_target(value);
        if (level >= 0)
            cfg->log_target = (enum xvd_log_target)level;
        else
            file_error(st, st->line, "[daemon] key 'log-target': bad value '%s' "
                       "(must be auto|journal|stderr)", value);
    } else if (strcmp(key, "xenstore") == 0) {
        if (daemon_key_once(st, KEY_XENSTORE, key) && !xvd_parse_bool(value, &cfg->xenstore))
            file_error(st, st->line, "[daemon] key 'xenstore': bad value '%s' "
                       "(must be yes|no)", value);
    } else if (strcmp(key, "max-requests-per-wakeup") == 0) {
        if (!daemon_key_once(st, KEY_MAX_REQUESTS, key))
            return;
        if (!xvd_parse_u64(value, 1, 65535, &n))
            file_error(st, st->line, "[daemon] key 'max-requests-per-wakeup': "
                       "bad value '%s' (must be 1..65535)", value);
        else
            cfg->max_requests_per_wakeup = (unsigned)n;
    } else if (strcmp(key, "control") == 0) {
        if (!daemon_key_once(st, KEY_CONTROL, key))
            return;
        if (!control_path_ok(value))
            file_error(st, st->line, "[daemon] key 'control': bad value '%s' (must be "
                       "none or an absolute path under %zu bytes)", value, SUN_PATH_MAX);
        else
            snprintf(cfg->control, sizeof(cfg->control), "%s", value);
    } else {
        file_error(st, st->line, "[daemon] unknown key '%s' (known: log-level, log-target, "
                   "xenstore, max-requests-per-wakeup, control)", key);
    }
}

/* ---- devices ---- */

static bool device_key_once(struct parse_state *st, unsigned bit, const char *key,
                            const char *value)
{
    if (st->dev_keys & bit) {
        device_error(st, st->line, key, value, "key given twice");
        return false;
    }
    st->dev_keys |= bit;
    return true;
}

static void device_generic_key(struct parse_state *st, const char *key, const char *value)
{
    struct xvd_device_conf *dev = &st->dev;

    if (xvd_device_opt(dev, key)) {
        device_error(st, st->line, key, value, "key given twice");
    } else if (!*value) {
        device_error(st, st->line, key, value, "empty");
    } else if (strlen(value) >= XVD_VALUE_MAX) {
        device_error(st, st->line, key, value, "longer than %d characters",
                     XVD_VALUE_MAX - 1);
    } else if (dev->nr_opts == XVD_DEVICE_OPTS_MAX) {
        device_error(st, st->line, key, value, "more than %d device-type keys",
                     XVD_DEVICE_OPTS_MAX);
    } else {
        snprintf(dev->opts[dev->nr_opts].key, XVD_NAME_MAX, "%s", key);
        snprintf(dev->opts[dev->nr_opts].value, XVD_VALUE_MAX, "%s", value);
        dev->nr_opts++;
    }
}

/* "block, i2c or scmi", for messages. */
static const char *type_names(const struct xvd_device_types *types, const char *last_sep,
                              char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned t = 0; t < types->nr && used < len; t++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                 t == 0 ? "" : t + 1 == types->nr ? last_sep : ", ",
                                 types->types[t]->name);
    return buf;
}

static void device_key(struct parse_state *st, const char *key, const char *value)
{
    struct xvd_device_conf *dev = &st->dev;
    char buf[XVD_VALUE_MAX];
    uint64_t n;

    if (!valid_key(key)) {
        device_error(st, st->line, key, NULL, "not a key name (letters, digits, '-', '_')");
    } else if (strcmp(key, "name") == 0) {
        if (st->cfg)
            device_error(st, st->line, key, NULL,
                         "not allowed here: the name is in the section header");
        else if (!device_key_once(st, KEY_NAME, key, value))
            return;
        else if (!valid_name(value))
            device_error(st, st->line, key, value,
                         "1..63 characters: letters, digits, '-', '_', '.'");
        else
            snprintf(dev->name, sizeof(dev->name), "%s", value);
    } else if (strcmp(key, "type") == 0) {
        if (!device_key_once(st, KEY_TYPE, key, value))
            return;
        if (!valid_key(value))
            device_error(st, st->line, key, value, "a device type: %s",
                         type_names(st->types, ", ", buf, sizeof(buf)));
        else
            snprintf(dev->type, sizeof(dev->type), "%s", value);
    } else if (strcmp(key, "domain") == 0) {
        if (!device_key_once(st, KEY_DOMAIN, key, value))
            return;
        if (isdigit((unsigned char)value[0])) {
            if (xvd_parse_u64(value, 0, DOMID_MAX, &n))
                dev->domid = (int)n;
            else
                device_error(st, st->line, key, value, "a domain id must be 0..%d",
                             DOMID_MAX);
        } else if (valid_domain_name(value)) {
            snprintf(dev->domain_name, sizeof(dev->domain_name), "%s", value);
        } else {
            device_error(st, st->line, key, value, "a domain id or a domain name");
        }
    } else if (strcmp(key, "base") == 0) {
        if (!device_key_once(st, KEY_BASE, key, value))
            return;
        if (!xvd_parse_u64(value, 0, UINT64_MAX - XVD_MMIO_WINDOW + 1, &n))
            device_error(st, st->line, key, value, "must be an address, decimal or 0x-hex");
        else if (n % XVD_MMIO_WINDOW)
            device_error(st, st->line, key, value, "must be 0x%x-aligned", XVD_MMIO_WINDOW);
        else
            dev->base = n;
    } else if (strcmp(key, "irq") == 0) {
        if (!device_key_once(st, KEY_IRQ, key, value))
            return;
        if (!xvd_parse_u64(value, IRQ_MIN, IRQ_MAX, &n))
            device_error(st, st->line, key, value, "must be %d..%d", IRQ_MIN, IRQ_MAX);
        else
            dev->irq = (unsigned)n;
    } else if (strcmp(key, "memory") == 0) {
        if (!device_key_once(st, KEY_MEMORY, key, value))
            return;
        if (strcmp(value, "grants") == 0)
            dev->memory = XVD_MEM_GRANTS;
        else if (strcmp(value, "foreign") == 0)
            dev->memory = XVD_MEM_FOREIGN;
        else if (strcmp(value, "auto") == 0)
            dev->memory = XVD_MEM_AUTO;
        else
            device_error(st, st->line, key, value, "must be grants|foreign|auto");
    } else if (strcmp(key, "xl-target") == 0) {
        if (!device_key_once(st, KEY_XL_TARGET, key, value))
            return;
        if (value[0] != '/' || strlen(value) >= sizeof(dev->xl_target))
            device_error(st, st->line, key, value,
                         "must be an absolute path, < %zu characters", sizeof(dev->xl_target));
        else
            snprintf(dev->xl_target, sizeof(dev->xl_target), "%s", value);
    } else {
        device_generic_key(st, key, value);
    }
}

static void device_begin(struct parse_state *st, const char *name, unsigned line)
{
    memset(&st->dev, 0, sizeof(st->dev));
    st->dev.domid = -1;
    st->in_device = true;
    st->dev_bad = false;
    st->dev_keys = 0;
    st->dev_line = line;
    if (!st->cfg)
        return;         /* a spec: the name, if any, comes as a key */
    if (valid_name(name)) {
        snprintf(st->dev.name, sizeof(st->dev.name), "%s", name);
    } else {
        snprintf(st->dev.name, sizeof(st->dev.name), "%.*s", XVD_NAME_MAX - 1,
                 *name ? name : "(unnamed)");
        device_error(st, line, NULL, NULL, "bad section name: use [device NAME], NAME "
                     "1..63 characters: letters, digits, '-', '_', '.'");
    }
}

/* Whole-device checks, then keep the device or report and drop it.
 * Returns whether the device is good. */
static bool device_finish(struct parse_state *st)
{
    struct xvd_device_conf *dev = &st->dev;
    unsigned placement = st->dev_keys & (KEY_BASE | KEY_IRQ | KEY_DOMAIN);
    /* A --device spec gets its domain from --domain. */
    unsigned needed = st->cfg ? KEY_BASE | KEY_IRQ | KEY_DOMAIN : KEY_BASE | KEY_IRQ;
    char names[XVD_VALUE_MAX];

    st->in_device = false;
    if (!dev->type[0])
        device_error(st, st->dev_line, "type", NULL, "missing (%s)",
                     type_names(st->types, " or ", names, sizeof(names)));
    /* Domain alone is fine: it restricts which guest an xl entry is for. */
    if ((placement & (KEY_BASE | KEY_IRQ)) && (placement & needed) != needed)
        device_error(st, st->dev_line, NULL, NULL,
                     "static placement needs %s together (missing:%s%s%s)",
                     st->cfg ? "'domain', 'base' and 'irq'" : "'base' and 'irq'",
                     (needed & ~placement & KEY_DOMAIN) ? " domain" : "",
                     (needed & ~placement & KEY_BASE) ? " base" : "",
                     (needed & ~placement & KEY_IRQ) ? " irq" : "");
    dev->is_static = (placement & (KEY_BASE | KEY_IRQ)) == (KEY_BASE | KEY_IRQ);
    if (st->dev_bad || !st->cfg)
        return !st->dev_bad;
    for (unsigned i = 0; i < st->cfg->nr_devices; i++) {
        if (strcmp(st->cfg->devices[i].name, dev->name) == 0) {
            device_error(st, st->dev_line, NULL, NULL, "a device of this name already exists");
            return false;
        }
    }
    if (st->cfg->nr_devices == XVD_DEVICES_MAX) {
        device_error(st, st->dev_line, NULL, NULL, "more than %d devices", XVD_DEVICES_MAX);
        return false;
    }
    st->cfg->devices[st->cfg->nr_devices++] = *dev;
    return true;
}

/* ---- sections device types interpret: [scmi], [scmi-clock NAME] ---- */

/* Split "kind NAME"; returns the device type's section kind, or NULL. */
static const struct xvd_section_kind *type_section(const struct xvd_device_types *types,
                                                   const char *section, char *name,
                                                   size_t namelen)
{
    size_t klen = strcspn(section, " \t");
    const char *rest = section + klen;

    while (*rest == ' ' || *rest == '\t')
        rest++;
    for (unsigned t = 0; t < types->nr; t++) {
        const struct xvd_device_type *type = types->types[t];

        for (unsigned i = 0; i < type->nr_sections; i++) {
            if (strlen(type->sections[i].kind) == klen &&
                strncmp(section, type->sections[i].kind, klen) == 0) {
                snprintf(name, namelen, "%s", rest);
                return &type->sections[i];
            }
        }
    }
    return NULL;
}

/* "[daemon], [device NAME], [scmi], [scmi-clock NAME]...", for messages. */
static const char *section_names(const struct xvd_device_types *types, char *buf,
                                 size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[daemon], [device NAME]");

    for (unsigned t = 0; t < types->nr; t++) {
        const struct xvd_device_type *type = types->types[t];

        for (unsigned i = 0; i < type->nr_sections && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, ", [%s%s]",
                                     type->sections[i].kind,
                                     type->sections[i].named ? " NAME" : "");
    }
    return buf;
}

static void section_begin(struct parse_state *st, const char *section)
{
    char name[XVD_VALUE_MAX];
    const struct xvd_section_kind *t = type_section(st->types, section, name, sizeof(name));
    struct xvd_config *cfg = st->cfg;
    struct xvd_section_conf *sec;

    st->sec = NULL;
    if (t->named ? !valid_name(name) : name[0] != '\0') {
        file_error(st, st->section_line, "[%s]: %s", section,
                   t->named ? "needs a NAME: 1..63 characters: letters, "
                   "digits, '-', '_', '.'" : "takes no name");
        return;
    }
    for (unsigned i = 0; i < cfg->nr_sections; i++) {
        if (strcmp(cfg->sections[i].kind, t->kind) == 0 &&
            strcmp(cfg->sections[i].name, name) == 0) {
            file_error(st, st->section_line, "[%s]: given twice (first at line %u)",
                       section, cfg->sections[i].line);
            return;
        }
    }
    if (cfg->nr_sections == XVD_SECTIONS_MAX) {
        file_error(st, st->section_line, "more than %d device-type sections",
                   XVD_SECTIONS_MAX);
        return;
    }
    sec = &cfg->sections[cfg->nr_sections++];
    memset(sec, 0, sizeof(*sec));
    snprintf(sec->kind, sizeof(sec->kind), "%s", t->kind);
    snprintf(sec->name, sizeof(sec->name), "%.63s", name);
    sec->line = st->section_line;
    st->sec = sec;
}

static void section_key(struct parse_state *st, const char *section,
                        const char *key, const char *value)
{
    struct xvd_section_conf *sec = st->sec;
    unsigned line;

    if (!sec)
        return;     /* the header was refused */
    if (!valid_key(key))
        file_error(st, st->line, "[%s] key '%s': not a key name", section, key);
    else if (xvd_section_opt(sec, key, &line))
        file_error(st, st->line, "[%s] key '%s': given twice (first at line %u)",
                   section, key, line);
    else if (!*value || strlen(value) >= XVD_VALUE_MAX)
        file_error(st, st->line, "[%s] key '%s': bad value '%s' (empty or longer "
                   "than %d characters)", section, key, value, XVD_VALUE_MAX - 1);
    else if (sec->nr_opts == XVD_SECTION_OPTS_MAX)
        file_error(st, st->line, "[%s]: more than %d keys", section,
                   XVD_SECTION_OPTS_MAX);
    else {
        snprintf(sec->opts[sec->nr_opts].key, XVD_NAME_MAX, "%s", key);
        snprintf(sec->opts[sec->nr_opts].value, XVD_VALUE_MAX, "%s", value);
        sec->opt_lines[sec->nr_opts++] = st->line;
    }
}

const char *xvd_section_opt(const struct xvd_section_conf *sec, const char *key,
                            unsigned *line)
{
    for (unsigned i = 0; i < sec->nr_opts; i++) {
        if (strcmp(sec->opts[i].key, key) == 0) {
            if (line)
                *line = sec->opt_lines[i];
            return sec->opts[i].value;
        }
    }
    return NULL;
}

int xvd_section_error(const struct xvd_config *cfg,
                      const struct xvd_section_conf *sec, const char *key,
                      char *err, size_t errlen, const char *fmt, ...)
{
    char why[300], header[2 * XVD_NAME_MAX + 4];
    const char *value = key ? xvd_section_opt(sec, key, NULL) : NULL;
    unsigned line = sec->line;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (key)
        xvd_section_opt(sec, key, &line);
    snprintf(header, sizeof(header), "%s%s%s", sec->kind, sec->name[0] ? " " : "",
             sec->name);
    if (key && value)
        snprintf(err, errlen, "%s:%u: [%s] key '%s': bad value '%s' (%s)", cfg->path,
                 line, header, key, value, why);
    else if (key)
        snprintf(err, errlen, "%s:%u: [%s] key '%s': %s", cfg->path, line, header,
                 key, why);
    else
        snprintf(err, errlen, "%s:%u: [%s]: %s", cfg->path, line, header, why);
    return -EINVAL;
}

/* "device NAME" → NAME; NULL if the section is not a device's. */
static const char *device_section_name(const char *section)
{
    size_t len = strlen(DEVICE_SECTION);

    if (strncmp(section, DEVICE_SECTION, len) != 0)
        return NULL;
    if (section[len] == '\0')
        return "";
    if (section[len] != ' ' && section[len] != '\t')
        return NULL;
    section += len;
    while (*section == ' ' || *section == '\t')
        section++;
    return section;
}

static int on_ini_entry(void *user, const char *section, const char *key,
                        const char *value)
{
    struct parse_state *st = user;
    const char *device_name = device_section_name(section);

    st->section_has_keys = true;
    if (st->handled_seq != st->section_seq || (device_name && !st->in_device)) {
        /* First key of a new section (even one named like the last). */
        if (st->in_device)
            device_finish(st);
        st->handled_seq = st->section_seq;
        char name[XVD_VALUE_MAX];

        st->sec = NULL;
        if (device_name)
            device_begin(st, device_name, st->section_line);
        else if (type_section(st->types, section, name, sizeof(name)))
            section_begin(st, section);
        else if (strcmp(section, "daemon") != 0 && section[0])
            file_error(st, st->section_line, "unknown section [%s] (use %s)", section,
                       section_names(st->types, name, sizeof(name)));
    }
    if (device_name)
        device_key(st, key, value);
    else if (st->sec && st->handled_seq == st->section_seq &&
             strcmp(section, "daemon") != 0 && section[0])
        section_key(st, section, key, value);
    else if (strcmp(section, "daemon") == 0)
        daemon_key(st, key, value);
    else if (!section[0])
        file_error(st, st->line, "key '%s' before any section", key);
    return 1; /* keep going: report every device problem, not just the first */
}

/* A section without keys never reaches on_ini_entry: say so for devices. */
static void check_empty_section(struct parse_state *st)
{
    char msg[400], at[300];

    if (st->section_seq == 0 || st->section_has_keys)
        return;
    if (st->cfg && strncmp(st->section_header, "[" DEVICE_SECTION,
                           strlen(DEVICE_SECTION) + 1) != 0) {
        /* [scmi-power gpu] may need no keys: it still declares something. */
        char section[sizeof(st->section_header)], name[XVD_VALUE_MAX];

        snprintf(section, sizeof(section), "%.*s", (int)strcspn(st->section_header + 1, "]"),
                 st->section_header + 1);
        if (type_section(st->types, section, name, sizeof(name)))
            section_begin(st, section);
        st->sec = NULL;
        return;
    }
    if (strncmp(st->section_header, "[" DEVICE_SECTION, strlen(DEVICE_SECTION) + 1) != 0)
        return;
    where(st, st->section_line, at, sizeof(at));
    snprintf(msg, sizeof(msg), "%s%s: no keys (needs at least 'type'); skipped", at,
             st->section_header);
    report_device_problem(st, msg);
}

/*
 * libinih's line source. Besides counting lines it notes section headers
 * the way libinih recognises them ('[' first on the line, unless the line
 * is indented and so continues the previous value) and overlong lines.
 */
static char *read_line(char *buf, int len, void *stream)
{
    struct parse_state *st = stream;
    char *line = fgets(buf, len, st->file);
    size_t n;
    char *start;
    int c;

    if (!line) {
        check_empty_section(st);
        return NULL;
    }
    st->line++;
    n = strlen(line);
    if (n == (size_t)len - 1 && line[n - 1] != '\n') {
        c = fgetc(st->file);
        if (c != EOF && c != '\n') {
            /* libinih would parse the rest as a line of its own: drop it all. */
            if (!st->overlong_line) {
                st->overlong_line = st->line;
                st->max_line = (unsigned)len - 1;
            }
            while ((c = fgetc(st->file)) != EOF && c != '\n')
                ;
            line[0] = '\0';
            return line;
        }
    }
    start = line;
    if (st->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
        start += 3;     /* libinih skips a UTF-8 BOM */
    while (*start == ' ' || *start == '\t')
        start++;
    if (*start == '[' && (start == line || st->line == 1 || !st->section_has_keys)) {
        check_empty_section(st);
        st->section_seq++;
        st->section_line = st->line;
        st->section_has_keys = false;
        snprintf(st->section_header, sizeof(st->section_header), "%.*s",
                 (int)strcspn(start, "]\r\n") + (strchr(start, ']') ? 1 : 0), start);
    }
    return line;
}

int xvd_config_load(struct xvd_config *cfg, const char *path,
                    void (*warn)(const char *msg), char *err, size_t errlen)
{
    struct parse_state st = { .cfg = cfg, .types = cfg->types ? cfg->types : &no_types,
                              .path = path,
                              .warn = warn, .err = err, .errlen = errlen };
    bool read_failed;
    int rc;

    err[0] = '\0';
    snprintf(cfg->path, sizeof(cfg->path), "%s", path);
    st.file = fopen(path, "re");
    if (!st.file) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    rc = ini_parse_stream(read_line, &st, on_ini_entry, &st);
    if (st.in_device)
        device_finish(&st);
    read_failed = ferror(st.file);
    fclose(st.file);
    if (read_failed) {
        snprintf(err, errlen, "%s: cannot read (is it a directory?)", path);
        return -EIO;
    }
    if (st.overlong_line)
        file_error(&st, st.overlong_line, "line longer than %u characters", st.max_line);
    if (rc > 0)
        file_error(&st, (unsigned)rc, "syntax error (expected [section], key = value, "
                   "or a ; comment)");
    else if (rc < 0)
        file_error(&st, 0, "out of memory");
    return st.fatal;
}

int xvd_config_parse_device(struct xvd_device_conf *dev, const char *spec,
                            const struct xvd_device_types *types,
                            char *err, size_t errlen)
{
    struct parse_state st = { .types = types ? types : &no_types, .err = err,
                              .errlen = errlen };
    char buf[SPEC_MAX];
    char *item, *next;

    err[0] = '\0';
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "longer than %zu characters", sizeof(buf) - 1);
        return -EINVAL;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    device_begin(&st, "", 0);
    for (item = buf; item && !st.dev_bad; item = next) {
        char *eq;

        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        eq = strchr(item, '=');
        if (!eq || eq == item) {
            device_error(&st, 0, NULL, NULL, "'%s': expected key=value", item);
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
    for (unsigned i = 0; i < dev->nr_opts; i++) {
        if (strcmp(dev->opts[i].key, key) == 0)
            return dev->opts[i].value;
    }
    return NULL;
}

int xvd_device_set_opt(struct xvd_device_conf *dev, const char *key, const char *value)
{
    unsigned i = 0;

    while (i < dev->nr_opts && strcmp(dev->opts[i].key, key) != 0)
        i++;
    if (i == XVD_DEVICE_OPTS_MAX)
        return -ENOSPC;
    if (strlen(key) >= sizeof(dev->opts[i].key) ||
        strlen(value) >= sizeof(dev->opts[i].value))
        return -ENAMETOOLONG;
    snprintf(dev->opts[i].key, sizeof(dev->opts[i].key), "%s", key);
    snprintf(dev->opts[i].value, sizeof(dev->opts[i].value), "%s", value);
    if (i == dev->nr_opts)
        dev->nr_opts++;
    return 0;
}

int xvd_opt_u64(const struct xvd_device_conf *dev, const char *key, uint64_t def,
                uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    const char *v = xvd_device_opt(dev, key);

    if (!v) {
        *out = def;
        return 0;
    }
    if (!xvd_parse_u64(v, min, max, out)) {
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
    if (!xvd_parse_bool(v, out)) {
        snprintf(err, errlen, "device %s: key '%s': bad value '%s' (must be yes|no)",
                 dev->name, key, v);
        return -EINVAL;
    }
    return 0;
}

int xvd_key_error(const struct xvd_device_conf *dev, const char *key,
                  char *err, size_t errlen, const char *fmt, ...)
{
    const char *value = xvd_device_opt(dev, key);
    char why[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (value)
        snprintf(err, errlen, "device %s: key '%s': bad value '%s' (%s)", dev->name,
                 key, value, why);
    else
        snprintf(err, errlen, "device %s: key '%s': %s", dev->name, key, why);
    return -EINVAL;
}

/* "a|b|c" -> the index of v, or -1. */
static int choice_index(const char *choices, const char *v)
{
    size_t len = strlen(v);
    int index = 0;

    for (const char *c = choices; *c; index++) {
        size_t clen = strcspn(c, "|");

        if (clen == len && strncmp(c, v, len) == 0)
            return index;
        c += clen;
        if (*c == '|')
            c++;
    }
    return -1;
}

const char *xvd_key_choice(const struct xvd_key *key, unsigned i)
{
    const char *c = key->choices;

    while (i-- && *c) {
        c += strcspn(c, "|");
        c += *c == '|';
    }
    return c;
}

/* "a|b|c" -> "a, b or c", for messages. */
static const char *choice_list(const char *choices, char *buf, size_t len)
{
    const char *last = strrchr(choices, '|');
    size_t used = 0;

    buf[0] = '\0';
    for (const char *c = choices; *c && used < len; ) {
        size_t clen = strcspn(c, "|");
        const char *sep = c == choices ? "" : c == last + 1 ? " or " : ", ";

        used += (size_t)snprintf(buf + used, len - used, "%s%.*s", sep, (int)clen, c);
        c += clen + (c[clen] == '|');
    }
    return buf;
}

static const struct xvd_key *find_key(const struct xvd_key *keys, unsigned nr,
                                      const char *name)
{
    for (unsigned i = 0; i < nr; i++) {
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    }
    return NULL;
}

static int parse_key(const struct xvd_key *key, const struct xvd_device_conf *dev,
                     union xvd_key_value *value, char *err, size_t errlen)
{
    const char *v = xvd_device_opt(dev, key->name);
    char list[XVD_VALUE_MAX];
    int index;

    if ((!v || !*v) && key->required)
        return xvd_key_error(dev, key->name, err, errlen, "missing");
    switch (key->kind) {
    case XVD_KEY_TEXT:
        value->text = v;
        return 0;
    case XVD_KEY_BOOL:
        return xvd_opt_bool(dev, key->name, key->def != 0, &value->on, err, errlen);
    case XVD_KEY_U64:
    case XVD_KEY_POW2:
        if (xvd_opt_u64(dev, key->name, key->def, key->min, key->max, &value->n,
                        err, errlen) < 0)
            return -EINVAL;
        if (key->kind == XVD_KEY_POW2 && (value->n & (value->n - 1)))
            return xvd_key_error(dev, key->name, err, errlen, "not a power of two");
        return 0;
    case XVD_KEY_CHOICE:
        index = v ? choice_index(key->choices, v) : (int)key->def;
        if (index < 0)
            return xvd_key_error(dev, key->name, err, errlen, "%s",
                                 choice_list(key->choices, list, sizeof(list)));
        value->n = (uint64_t)index;
        return 0;
    }
    return -EINVAL;
}

int xvd_keys_parse(const struct xvd_key *keys, unsigned nr, const char *type,
                   const struct xvd_device_conf *dev, union xvd_key_value *values,
                   char *err, size_t errlen)
{
    /* A typo ("read-only") must not silently give a writable disk. */
    for (unsigned i = 0; i < dev->nr_opts; i++) {
        if (!find_key(keys, nr, dev->opts[i].key)) {
            snprintf(err, errlen, "device %s: key '%s': unknown for type %s",
                     dev->name, dev->opts[i].key, type);
            return -EINVAL;
        }
    }
    for (unsigned i = 0; i < nr; i++) {
        if (parse_key(&keys[i], dev, &values[i], err, errlen) < 0)
            return -EINVAL;
    }
    return 0;
}

int xvd_section_check_keys(const struct xvd_config *cfg, const struct xvd_section_conf *sec,
                           const struct xvd_section_kind *kind, char *err, size_t errlen)
{
    char known[256];
    size_t used = 0;

    for (unsigned i = 0; i < sec->nr_opts; i++) {
        if (find_key(kind->keys, kind->nr_keys, sec->opts[i].key))
            continue;
        known[0] = '\0';
        for (unsigned k = 0; k < kind->nr_keys && used < sizeof(known); k++)
            used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s",
                                     k ? ", " : "", kind->keys[k].name);
        return xvd_section_error(cfg, sec, NULL, err, errlen, "unknown key '%s' (known: %s)",
                                 sec->opts[i].key, known);
    }
    return 0;
}
