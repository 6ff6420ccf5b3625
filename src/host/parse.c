/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The number parser every value the daemon reads goes through (config
 * file, --device specs, xenstore nodes). Its own file, with no library but
 * libc, so the fuzzers of the parsers built on it link it alone.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "config.h"

/*
 * Decimal or 0x-hex within [min, max]. Stricter than strtoull: no sign,
 * no leading blanks, no octal (an "033" irq is 33, not 27), and "0x"
 * alone is not zero.
 */
bool xvd_parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *digits = v;
    unsigned long long n;
    int base = 10;
    char *end;

    if (!v)
        return false; /* a missing value (e.g. an absent xenstore key) */
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        digits = v + 2;
    }
    if (base == 16 ? !isxdigit((unsigned char)digits[0]) : !isdigit((unsigned char)digits[0]))
        return false;
    errno = 0;
    n = strtoull(digits, &end, base);
    if (errno || *end || n < min || n > max)
        return false;
    *out = n;
    return true;
}
