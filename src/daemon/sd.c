/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "sd.h"

void xvd_sd_ready(void)
{
    sd_notify(0, "READY=1");
}

void xvd_sd_reloading(void)
{
    sd_notify(0, "RELOADING=1");
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
    sd_notifyf(0, "STATUS=%s", status);
}

int xvd_sd_watchdog_usec(uint64_t *usec)
{
    return sd_watchdog_enabled(0, usec);
}

void xvd_sd_watchdog_ping(void)
{
    sd_notify(0, "WATCHDOG=1");
}
