/* SPDX-License-Identifier: Apache-2.0 */
/*
 * systemd service notification (Type=notify, sd_notify(3)) and the
 * service watchdog. Every call is a no-op when not started by systemd
 * ($NOTIFY_SOCKET unset), so the daemon can run by hand or under another
 * supervisor unchanged.
 */
#ifndef XVD_SD_H
#define XVD_SD_H

#include <stdint.h>

/* Start-up (or a reload) is complete: READY=1. */
void xvd_sd_ready(void);
/* A reload (SIGHUP) has begun; follow with xvd_sd_ready() when done. */
void xvd_sd_reloading(void);
/* Shutting down: systemd then shows "deactivating" while we drain. */
void xvd_sd_stopping(void);
/* One-line status for "systemctl status", e.g. "serving 3 devices". */
void xvd_sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* > 0 with *usec set to WatchdogSec if systemd wants pings from this
 * process (ping at about half that), 0 if not, -errno on a bad
 * $WATCHDOG_USEC. */
int xvd_sd_watchdog_usec(uint64_t *usec);
void xvd_sd_watchdog_ping(void);

#endif
