/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"

#define RATELIMIT_INTERVAL_MS 10000
#define RATELIMIT_BURST 5

static int log_level = LOG_INFO;
static bool use_journal;
static bool stderr_is_journal;

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t (*clock_ms)(void) = monotonic_ms;

void xvd_log_set_clock(uint64_t (*now_ms)(void))
{
    clock_ms = now_ms ? now_ms : monotonic_ms;
}

void xvd_log_init(int level, enum xvd_log_target target)
{
    /* systemd sets JOURNAL_STREAM when stderr is connected to the journal:
     * then "<N>" prefixes carry the level. */
    stderr_is_journal = getenv("JOURNAL_STREAM") != NULL;
    log_level = level;
    use_journal = target == XVD_LOG_TARGET_JOURNAL ||
                  (target == XVD_LOG_TARGET_AUTO && stderr_is_journal);
}

bool xvd_log_enabled(int level)
{
    return level <= log_level;
}

static const char *level_name(int level)
{
    static const char *const names[] = { "emerg", "alert", "crit", "error",
                                         "warning", "notice", "info", "debug" };

    return level >= 0 && level <= LOG_DEBUG ? names[level] : "?";
}

void xvd_log(int level, const char *ctx, const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    if (!xvd_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (use_journal) {
        sd_journal_send("MESSAGE=%s%s%s", ctx ? ctx : "", ctx ? ": " : "", message,
                        "PRIORITY=%d", level, "XENVIRTIOD_CONTEXT=%s", ctx ? ctx : "",
                        "SYSLOG_IDENTIFIER=xenvirtiod", NULL);
        return;
    }
    if (stderr_is_journal)
        fprintf(stderr, "<%d>%s%s%s\n", level, ctx ? ctx : "", ctx ? ": " : "", message);
    else
        fprintf(stderr, "xenvirtiod[%d]: %s: %s%s%s\n", (int)getpid(), level_name(level),
                ctx ? ctx : "", ctx ? ": " : "", message);
}

bool xvd_ratelimit_ok(struct xvd_ratelimit *rl, const char *ctx)
{
    uint64_t now = clock_ms();
    unsigned interval = rl->interval_ms ? rl->interval_ms : RATELIMIT_INTERVAL_MS;
    unsigned burst = rl->burst ? rl->burst : RATELIMIT_BURST;

    if (rl->window_start_ms == 0 || now - rl->window_start_ms >= interval) {
        if (rl->suppressed)
            xvd_log(LOG_WARNING, ctx, "%u similar messages suppressed", rl->suppressed);
        rl->window_start_ms = now ? now : 1;
        rl->printed = 0;
        rl->suppressed = 0;
    }
    if (rl->printed < burst) {
        rl->printed++;
        return true;
    }
    rl->suppressed++;
    return false;
}
