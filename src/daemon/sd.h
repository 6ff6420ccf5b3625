/* SPDX-License-Identifier: Apache-2.0 */
/* systemd notification (Type=notify): no-ops when not run by systemd. */
#ifndef XVD_SD_H
#define XVD_SD_H

#include <stdint.h>

void xvd_sd_ready(void);
void xvd_sd_reloading(void);
void xvd_sd_stopping(void);
void xvd_sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* > 0 with *usec set if systemd wants watchdog pings, 0 if not, -errno. */
int xvd_sd_watchdog_usec(uint64_t *usec);
void xvd_sd_watchdog_ping(void);

#endif
