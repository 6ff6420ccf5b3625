/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging: syslog levels, a context per guest/device ("dom5/xvda"), to the
 * systemd journal or stderr; rate limiting for guest-triggered messages.
 */
#ifndef XVD_LOG_H
#define XVD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "config.h"

void xvd_log_init(int level, enum xvd_log_target target);
bool xvd_log_enabled(int level);
/* ctx may be NULL for daemon-wide messages. */
void xvd_log(int level, const char *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* At most 'burst' messages per 'interval_ms'; then one line saying how
 * many were suppressed once the window reopens. Zero-initialised = the
 * defaults (5 per 10 s). */
struct xvd_ratelimit {
    uint64_t window_start_ms;
    unsigned interval_ms;
    unsigned burst;
    unsigned printed;
    unsigned suppressed;
};

/* Is this message allowed now? Reports earlier suppression itself. */
bool xvd_ratelimit_ok(struct xvd_ratelimit *rl, const char *ctx);
/* For tests: the clock the limiter reads (default CLOCK_MONOTONIC). */
void xvd_log_set_clock(uint64_t (*now_ms)(void));

#define xvd_log_ratelimited(rl, level, ctx, ...)                 \
    do {                                                         \
        if (xvd_log_enabled(level) && xvd_ratelimit_ok(rl, ctx)) \
            xvd_log(level, ctx, __VA_ARGS__);                    \
    } while (0)

#endif
