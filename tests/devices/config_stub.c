/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for the daemon's config helpers (src/daemon/config.c), used
 * only while that library is not built, so the block glue can be tested
 * on its own. Same contract as config.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

const char *xvd_device_opt(const struct xvd_device_conf *dev, const char *key)
{
    for (unsigned i = 0; i < dev->nr_opts; i++) {
        if (strcmp(dev->opts[i].key, key) == 0)
            return dev->opts[i].value;
    }
    return NULL;
}

int xvd_opt_u64(const struct xvd_device_conf *dev, const char *key,
                uint64_t def, uint64_t min, uint64_t max, uint64_t *out,
                char *err, size_t errlen)
{
    const char *v = xvd_device_opt(dev, key);
    unsigned long long n;
    char *end;

    if (!v) {
        *out = def;
        return 0;
    }
    errno = 0;
    n = strtoull(v, &end, 0);
    if (errno || end == v || *end || v[0] == '-' || n < min || n > max) {
        snprintf(err, errlen, "device %s: key '%s': bad value '%s' (%" PRIu64
                 "..%" PRIu64 ")", dev->name, key, v, min, max);
        return -EINVAL;
    }
    *out = n;
    return 0;
}

int xvd_opt_bool(const struct xvd_device_conf *dev, const char *key, bool def,
                 bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    const char *v = xvd_device_opt(dev, key);

    if (!v) {
        *out = def;
        return 0;
    }
    for (unsigned i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(err, errlen, "device %s: key '%s': bad value '%s' (yes or no)",
             dev->name, key, v);
    return -EINVAL;
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
    (void)cfg;
    (void)fmt;
    snprintf(err, errlen, "[%s %s] key '%s'", sec->kind, sec->name, key ? key : "");
    return -EINVAL;
}

bool xvd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long n;

    if (!s || !*s)
        return false;
    errno = 0;
    n = strtoull(s, &end, 0);
    if (errno || *end || n < min || n > max)
        return false;
    *out = n;
    return true;
}
