/* SPDX-License-Identifier: Apache-2.0 */
/* xensim-guest: output, time and number helpers. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "guest_prog.h"

static void vsay(FILE *out, const struct guest_node *node, const char *fmt,
                 va_list ap)
{
    if (node)
        fprintf(out, "virtio@%#" PRIx64 ": ", node->base);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    /* Scripts read the output while the guest still runs (and `die`
     * leaves abruptly): every fact goes out at once. */
    fflush(out);
}

void guest_info(const struct guest_ctx *ctx, const struct guest_node *node,
                const char *fmt, ...)
{
    va_list ap;

    if (ctx->quiet)
        return;
    va_start(ap, fmt);
    vsay(stdout, node, fmt, ap);
    va_end(ap);
}

void guest_fail(const struct guest_ctx *ctx, const struct guest_node *node,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(stdout, node, fmt, ap);
    va_end(ap);
}

void guest_debug(const struct guest_ctx *ctx, const struct guest_node *node,
                 const char *fmt, ...)
{
    va_list ap;

    if (!ctx->verbose)
        return;
    va_start(ap, fmt);
    vsay(stdout, node, fmt, ap);
    va_end(ap);
}

void guest_error(const char *fmt, ...)
{
    va_list ap;

    fputs("xensim-guest: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int64_t guest_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void guest_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "GiB", "MiB", "KiB" };

    for (unsigned i = 0; i < 3; i++) {
        uint64_t unit = 1ull << (10 * (3 - i));

        if (bytes >= unit && bytes % unit == 0) {
            snprintf(buf, len, "%" PRIu64 " %s", bytes / unit, units[i]);
            return;
        }
    }
    snprintf(buf, len, "%" PRIu64 " bytes", bytes);
}

bool guest_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}
