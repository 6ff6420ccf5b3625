/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to the journal or stderr, and the rate limiter for messages a
 * guest can trigger (it must not be able to flood the host's logs).
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
/* CODE_FILE= etc. would always name this file, not the caller. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

#define RATELIMIT_INTERVAL_MS 10000
#define RATELIMIT_BURST 5
#define MESSAGE_MAX 1024
#define FIELD_MAX (MESSAGE_MAX + 64)
#define JOURNAL_SOCKET "/run/systemd/journal/socket"   /* libsystemd's, fixed */

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

/*
 * systemd sets JOURNAL_STREAM=<dev>:<inode> for the stream it connects to
 * stdout/stderr. A child whose stderr was redirected still inherits the
 * variable, so compare it with what fd 2 really is (sd-daemon(3)).
 */
static bool stderr_is_journal_stream(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    int consumed = 0;

    if (!env || sscanf(env, "%llu:%llu%n", &dev, &ino, &consumed) != 2 ||
        env[consumed] != '\0')
        return false;
    if (fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void xvd_log_init(int level, enum xvd_log_target target)
{
    stderr_is_journal = stderr_is_journal_stream();
    log_level = level < LOG_EMERG ? LOG_EMERG : level > LOG_DEBUG ? LOG_DEBUG : level;
    use_journal = target == XVD_LOG_TARGET_JOURNAL ||
                  (target == XVD_LOG_TARGET_AUTO && stderr_is_journal);
    /* sd_journal_send() silently drops messages when journald is not
     * running (it ignores ENOENT): then stderr is the better place. */
    if (use_journal && access(JOURNAL_SOCKET, F_OK) != 0)
        use_journal = false;
}

bool xvd_log_enabled(int level)
{
    return level <= log_level;
}

static const char *level_name(int level)
{
    static const char *const names[] = { "emerg", "alert", "crit", "error",
                                         "warning", "notice", "info", "debug" };

    return names[level];
}

/* One message, one line: a stray newline (e.g. in a name taken from a
 * guest or a file) must not forge a second log line. */
static void sanitise(char *message)
{
    for (unsigned char *c = (unsigned char *)message; *c; c++) {
        if (iscntrl(*c) && *c != '\t')
            *c = '?';
    }
}

/* "dom5/xvda" → domid "5", device "xvda"; "dom5" → domid only. */
static void split_context(const char *ctx, char *domid, size_t domid_len,
                          const char **device)
{
    size_t digits;

    domid[0] = '\0';
    *device = NULL;
    if (!ctx || strncmp(ctx, "dom", 3) != 0)
        return;
    digits = strspn(ctx + 3, "0123456789");
    if (digits == 0 || digits >= domid_len ||
        (ctx[3 + digits] != '\0' && ctx[3 + digits] != '/'))
        return;
    memcpy(domid, ctx + 3, digits);
    domid[digits] = '\0';
    if (ctx[3 + digits] == '/' && ctx[4 + digits] != '\0')
        *device = ctx + 4 + digits;
}

static int send_to_journal(int level, const char *ctx, const char *message)
{
    char text[FIELD_MAX], priority[16], context[FIELD_MAX], domid_field[32];
    char device_field[FIELD_MAX], domid[8];
    static char identifier[] = "SYSLOG_IDENTIFIER=xenvirtiod";
    struct iovec iov[6];
    const char *device;
    int n = 0;

    snprintf(text, sizeof(text), "MESSAGE=%s%s%s", ctx ? ctx : "", ctx ? ": " : "", message);
    snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
    iov[n++] = (struct iovec){ text, strlen(text) };
    iov[n++] = (struct iovec){ priority, strlen(priority) };
    iov[n++] = (struct iovec){ identifier, strlen(identifier) };
    if (ctx) {
        snprintf(context, sizeof(context), "XENVIRTIOD_CONTEXT=%s", ctx);
        iov[n++] = (struct iovec){ context, strlen(context) };
        split_context(ctx, domid, sizeof(domid), &device);
        if (domid[0]) {
            snprintf(domid_field, sizeof(domid_field), "XENVIRTIOD_DOMID=%s", domid);
            iov[n++] = (struct iovec){ domid_field, strlen(domid_field) };
        }
        if (device) {
            snprintf(device_field, sizeof(device_field), "XENVIRTIOD_DEVICE=%s", device);
            iov[n++] = (struct iovec){ device_field, strlen(device_field) };
        }
    }
    return sd_journal_sendv(iov, n);
}

void xvd_logv(int level, const char *ctx, const char *fmt, va_list ap)
{
    char message[MESSAGE_MAX];

    if (level < LOG_EMERG)
        level = LOG_EMERG;
    if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    if (!xvd_log_enabled(level))
        return;
    vsnprintf(message, sizeof(message), fmt, ap);
    sanitise(message);
    if (use_journal && send_to_journal(level, ctx, message) >= 0)
        return;
    /* The journal refused the message: stderr still works. */
    if (stderr_is_journal)
        fprintf(stderr, "<%d>%s%s%s\n", level, ctx ? ctx : "", ctx ? ": " : "", message);
    else
        fprintf(stderr, "xenvirtiod[%d]: %s: %s%s%s\n", (int)getpid(), level_name(level),
                ctx ? ctx : "", ctx ? ": " : "", message);
}

void xvd_log(int level, const char *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xvd_logv(level, ctx, fmt, ap);
    va_end(ap);
}

void xvd_ratelimit_flush(struct xvd_ratelimit *rl, const char *ctx)
{
    if (rl->suppressed)
        xvd_log(LOG_WARNING, ctx, "%u similar messages suppressed", rl->suppressed);
    rl->started = false;
    rl->printed = 0;
    rl->suppressed = 0;
}

bool xvd_ratelimit_ok(struct xvd_ratelimit *rl, const char *ctx)
{
    uint64_t now = clock_ms();
    unsigned interval = rl->interval_ms ? rl->interval_ms : RATELIMIT_INTERVAL_MS;
    unsigned burst = rl->burst ? rl->burst : RATELIMIT_BURST;

    if (!rl->started || now - rl->window_start_ms >= interval) {
        xvd_ratelimit_flush(rl, ctx);
        rl->started = true;
        rl->window_start_ms = now;
    }
    if (rl->printed < burst) {
        rl->printed++;
        return true;
    }
    if (rl->suppressed < UINT_MAX)
        rl->suppressed++;
    return false;
}
