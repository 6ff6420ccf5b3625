/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Daemon configuration: /etc/xen/xenvirtiod.conf (INI, parsed by libinih)
 * and the command line's --device specs, which use the same keys.
 */
#ifndef XVD_CONFIG_H
#define XVD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XVD_NAME_MAX 64
#define XVD_VALUE_MAX 256
#define XVD_DEVICE_OPTS_MAX 24
#define XVD_DEVICES_MAX 64
#define XVD_MMIO_WINDOW 0x200  /* one virtio-mmio device (libxl) */

enum xvd_mem_mode {
    XVD_MEM_AUTO = 0,   /* grants unless the backend is dom0 (libxl default) */
    XVD_MEM_GRANTS,
    XVD_MEM_FOREIGN,
};

struct xvd_opt {
    char key[XVD_NAME_MAX];
    char value[XVD_VALUE_MAX];
};

/* One [device NAME] section or one --device spec. */
struct xvd_device_conf {
    char name[XVD_NAME_MAX];
    char type[XVD_NAME_MAX];     /* "block", "i2c", "scmi" */
    /* Static placement (dom0less, or --domain on the command line). */
    bool is_static;
    int domid;                   /* -1: unset */
    char domain_name[XVD_NAME_MAX];
    uint64_t base;               /* virtio-mmio window, 0x200 bytes */
    unsigned irq;                /* GIC INTID (SPI), 32.. */
    enum xvd_mem_mode memory;
    /* On Xen 4.17, an xl disk whose target equals this path becomes
     * this device (xl only knows disks there). */
    char xl_target[XVD_VALUE_MAX];
    /* The daemon's max-requests-per-wakeup, for the device (0: its own). */
    unsigned max_requests_per_wakeup;
    /* Every other key, for the device type to interpret. */
    struct xvd_opt opts[XVD_DEVICE_OPTS_MAX];
    unsigned nr_opts;
};

/*
 * A section a device type interprets itself: [scmi], [scmi-clock NAME], ...
 * (each type lists its kinds, struct xvd_section_kind). Keys are kept in
 * order with their lines; the device type checks them and reports with
 * xvd_section_error().
 */
#define XVD_SECTIONS_MAX 192
#define XVD_SECTION_OPTS_MAX 12

struct xvd_key;

struct xvd_section_kind {
    const char *kind;            /* "scmi-clock" */
    bool named;                  /* [scmi-clock NAME], not [scmi] */
    /* The keys it takes (their values are the type's to check). */
    const struct xvd_key *keys;
    unsigned nr_keys;
};

struct xvd_section_conf {
    char kind[XVD_NAME_MAX];     /* "scmi", "scmi-clock", ... */
    char name[XVD_NAME_MAX];     /* "" for a section without a name */
    unsigned line;
    struct xvd_opt opts[XVD_SECTION_OPTS_MAX];
    unsigned opt_lines[XVD_SECTION_OPTS_MAX];
    unsigned nr_opts;
};

enum xvd_log_target { XVD_LOG_TARGET_AUTO, XVD_LOG_TARGET_JOURNAL, XVD_LOG_TARGET_STDERR };

struct xvd_device_types;

struct xvd_config {
    /* The device types whose names, keys and sections it may hold. */
    const struct xvd_device_types *types;
    int log_level;               /* syslog levels: LOG_ERR .. LOG_DEBUG */
    enum xvd_log_target log_target;
    bool xenstore;               /* discover devices from xenstore */
    unsigned max_requests_per_wakeup;
    /* The control socket: "" for the daemon's default, "none" for none. */
    char control[XVD_VALUE_MAX];
    struct xvd_device_conf devices[XVD_DEVICES_MAX];
    unsigned nr_devices;
    struct xvd_section_conf sections[XVD_SECTIONS_MAX];
    unsigned nr_sections;
    char path[XVD_VALUE_MAX];    /* the file it came from, for messages */
};

void xvd_config_defaults(struct xvd_config *cfg, const struct xvd_device_types *types);
/* Load a config file. Errors (returned as -errno) are described in err,
 * naming the file, line, section, key and value. Bad devices are reported
 * through 'warn' (may be NULL) and skipped; the rest load. */
int xvd_config_load(struct xvd_config *cfg, const char *path,
                    void (*warn)(const char *msg), char *err, size_t errlen);
/* Parse "type=block,path=/x.img,base=0x2000000,irq=33" into dev. */
int xvd_config_parse_device(struct xvd_device_conf *dev, const char *spec,
                            const struct xvd_device_types *types,
                            char *err, size_t errlen);
/* The value parsers every part of the daemon uses. Numbers are decimal
 * or 0x-hex, no sign, no octal, within [min, max]; NULL is invalid. */
bool xvd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* yes|no, true|false, on|off, 1|0 (any case); false if none of them. */
bool xvd_parse_bool(const char *s, bool *out);
/* error|warning|notice|info|debug -> LOG_*, or -1. */
int xvd_parse_log_level(const char *name);
/* auto|journal|stderr -> enum xvd_log_target, or -1. */
int xvd_parse_log_target(const char *name);
/* A device option's value, or NULL. */
const char *xvd_device_opt(const struct xvd_device_conf *dev, const char *key);
/* Set key (replacing its value, or adding it): 0, -ENOSPC, -ENAMETOOLONG. */
int xvd_device_set_opt(struct xvd_device_conf *dev, const char *key, const char *value);
/* One key's value, as xvd_keys_parse() reads it; they write "device NAME:
 * key 'K': bad value 'V' (why)" into err. */
int xvd_opt_u64(const struct xvd_device_conf *dev, const char *key,
                uint64_t def, uint64_t min, uint64_t max, uint64_t *out,
                char *err, size_t errlen);
int xvd_opt_bool(const struct xvd_device_conf *dev, const char *key, bool def,
                 bool *out, char *err, size_t errlen);

/*
 * A device type's keys, as data: each type lists them in one table
 * (devices/<name>/<name>_dev.c) that xvd_keys_parse() checks a device
 * against, xenvirtiod --list-keys prints, and tests/daemon/test_man_pages.sh
 * compares with xenvirtiod.conf(5).
 */
enum xvd_key_kind {
    XVD_KEY_TEXT,       /* any non-empty value */
    XVD_KEY_BOOL,       /* yes|no (true|false, on|off, 1|0) */
    XVD_KEY_U64,        /* decimal or 0x-hex in [min, max] */
    XVD_KEY_POW2,       /* XVD_KEY_U64, and a power of two */
    XVD_KEY_CHOICE,     /* one of 'choices' ("a|b|c"): its index */
};

struct xvd_key {
    const char *name;
    enum xvd_key_kind kind;
    bool required;
    uint64_t def;       /* when absent: a number, a bool, a choice index */
    uint64_t min, max;  /* XVD_KEY_U64, XVD_KEY_POW2 */
    const char *choices;
    const char *doc;    /* one line */
};

union xvd_key_value {
    const char *text;   /* XVD_KEY_TEXT: NULL when absent */
    bool on;            /* XVD_KEY_BOOL */
    uint64_t n;         /* numbers, and a choice's index */
};

/* Check dev's keys against keys[0..nr) (none unknown, none missing, each
 * value of its kind) and fill values[i] for keys[i]. On error returns
 * -EINVAL with "device NAME: key 'K': ..." in err. */
int xvd_keys_parse(const struct xvd_key *keys, unsigned nr, const char *type,
                   const struct xvd_device_conf *dev, union xvd_key_value *values,
                   char *err, size_t errlen);
/* A choice key's i-th choice: the rest of 'choices' from it ("b|c"). */
const char *xvd_key_choice(const struct xvd_key *key, unsigned i);
/* "device NAME: key 'K': bad value 'V' (why)" into err; returns -EINVAL. */
int xvd_key_error(const struct xvd_device_conf *dev, const char *key,
                  char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* No key of sec outside its kind's table, or -EINVAL with a message. */
int xvd_section_check_keys(const struct xvd_config *cfg, const struct xvd_section_conf *sec,
                           const struct xvd_section_kind *kind, char *err, size_t errlen);
/* A section's key (NULL if absent) and the line it is on. */
const char *xvd_section_opt(const struct xvd_section_conf *sec, const char *key,
                            unsigned *line);
/* "FILE:LINE: [kind name] key 'K': bad value 'V' (why)" into err; key and
 * value may be NULL. Returns -EINVAL. */
int xvd_section_error(const struct xvd_config *cfg,
                      const struct xvd_section_conf *sec, const char *key,
                      char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
