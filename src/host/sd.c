/* SPDX-License-Identifier: Apache-2.0 */
/* A thin layer over libsystemd's sd_notify(), which already does nothing
 * when $NOTIFY_SOCKET is unset. Failures are not reported: systemd notices
 * a missing READY=1 or watchdog ping itself. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "sd.h"

void xvd_sd_ready(void)
{
    sd_notify(0, "READY=1");
}

void xvd_sd_reloading(void)
{
    struct timespec now;

    /* systemd >= 253 (Type=notify-reload) wants the reload's start time
     * to tell this reload from an earlier one; older ones ignore it. */
    clock_gettime(CLOCK_MONOTONIC, &now);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               (unsigned long long)now.tv_sec * 1000000ull +
               (unsigned long long)now.tv_nsec / 1000ull);
}

void xvd_sd_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

void xvd_sd_status(const char *fmt, ...)
{
    char status[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(status, sizeof(status), fmt, ap);
    va_end(ap);
    /* A newline would start another notification field. */
    for (char *c = status; *c; c++) {
        if (*c == '\n')
            *c = ' ';
    }
    sd_notifyf(0, "STATUS=%s", status);
}

int xvd_sd_watchdog_usec(uint64_t *usec)
{
    /* Also checks $WATCHDOG_PID against our pid: 0 for a child. */
    return sd_watchdog_enabled(0, usec);
}

void xvd_sd_watchdog_ping(void)
{
    sd_notify(0, "WATCHDOG=1");
}
