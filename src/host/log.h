/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging: syslog levels, a context per guest/device ("dom5/xvda"), to the
 * systemd journal or stderr; rate limiting for guest-triggered messages.
 *
 * Targets:
 *   journal  sd_journal_send() with PRIORITY, SYSLOG_IDENTIFIER=xenvirtiod,
 *            XENVIRTIOD_CONTEXT=dom5/xvda, XENVIRTIOD_DOMID=5 and
 *            XENVIRTIOD_DEVICE=xvda (the last two when the context is
 *            "dom<N>[/<device>]"). stderr when journald is not running.
 *   stderr   "xenvirtiod[1234]: warning: dom5/xvda: message", or
 *            "<4>dom5/xvda: message" when stderr is a journal stream.
 *   auto     journal when stderr is connected to the journal
 *            ($JOURNAL_STREAM names stderr's device:inode), else stderr.
 *
 * Everything here is meant for the daemon's single thread; a line is
 * written with one call, so lines from other threads do not interleave,
 * but a struct xvd_ratelimit must not be shared between threads.
 */
#ifndef XVD_LOG_H
#define XVD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "config.h"

void xvd_log_init(int level, enum xvd_log_target target);
bool xvd_log_enabled(int level);
/* ctx may be NULL for daemon-wide messages. */
void xvd_log(int level, const char *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xvd_logv(int level, const char *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * At most 'burst' messages per 'interval_ms' (fixed windows); messages
 * beyond are dropped and counted, and the first message allowed in a
 * later window is preceded by one "N similar messages suppressed" line.
 * Zero-initialised = the defaults (5 per 10 s); or XVD_RATELIMIT_INIT.
 */
struct xvd_ratelimit {
    unsigned interval_ms;       /* 0: 10000 */
    unsigned burst;             /* 0: 5 */
    /* State: */
    bool started;
    uint64_t window_start_ms;
    unsigned printed;
    unsigned suppressed;
};

#define XVD_RATELIMIT_INIT(interval, max_burst) \
    { .interval_ms = (interval), .burst = (max_burst) }

/* Is a message allowed now? Logs earlier suppression itself (with ctx). */
bool xvd_ratelimit_ok(struct xvd_ratelimit *rl, const char *ctx);
/* Report messages still counted as suppressed (e.g. when a device goes
 * away) and start afresh. */
void xvd_ratelimit_flush(struct xvd_ratelimit *rl, const char *ctx);
/* For tests: the millisecond clock the limiter reads (NULL: the default,
 * CLOCK_MONOTONIC). */
void xvd_log_set_clock(uint64_t (*now_ms)(void));

/* Messages a guest can trigger at will go through here. Levels that are
 * filtered out do not use up the burst. */
#define xvd_log_ratelimited(rl, level, ctx, ...)                 \
    do {                                                         \
        if (xvd_log_enabled(level) && xvd_ratelimit_ok(rl, ctx)) \
            xvd_log(level, ctx, __VA_ARGS__);                    \
    } while (0)

#endif
