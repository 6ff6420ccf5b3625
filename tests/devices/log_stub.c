/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for the daemon's logging (src/daemon/log.c), used only while
 * that library is not built, so device glue can be tested on its own.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

bool xvd_log_enabled(int level)
{
    (void)level;
    return false;
}

void xvd_log(int level, const char *ctx, const char *fmt, ...)
{
    (void)level;
    (void)ctx;
    (void)fmt;
}

bool xvd_ratelimit_ok(struct xvd_ratelimit *rl, const char *ctx)
{
    (void)rl;
    (void)ctx;
    return false;
}
