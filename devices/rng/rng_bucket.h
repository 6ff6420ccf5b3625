/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A token bucket in bytes: 'rate' bytes a second flow in, at most 'burst'
 * are kept. Pure arithmetic on a time the caller passes (nanoseconds of
 * any monotonic clock), so tests drive it without sleeping. Host-side
 * (glue) code: its 64-bit divisions need a libgcc helper on 32-bit Arm,
 * which the freestanding engines must not.
 */
#ifndef XV_RNG_BUCKET_H
#define XV_RNG_BUCKET_H

#include <stdint.h>

#define XV_BUCKET_RATE_MAX  (1ull << 32)   /* bytes a second */
#define XV_BUCKET_BURST_MAX (1ull << 32)   /* bytes */

struct xv_bucket {
    uint64_t rate;              /* bytes a second; 0: no limit */
    uint64_t burst;             /* bytes, >= 1 */
    uint64_t tokens;            /* bytes that may go now, <= burst */
    uint64_t frac;              /* byte-nanoseconds not yet a whole byte */
    uint64_t last_ns;           /* time of the last refill */
};

/* Starts full (a guest's first read at boot is served at once). Returns 0,
 * or -EINVAL for a burst of 0 or values above the maxima. */
int xv_bucket_init(struct xv_bucket *b, uint64_t rate, uint64_t burst,
                   uint64_t now_ns);
/* Bytes that may go at now_ns (refills first). A clock that went back is
 * taken as no time passing. */
uint64_t xv_bucket_available(struct xv_bucket *b, uint64_t now_ns);
/* Spend n bytes (n <= what available() said). */
void xv_bucket_consume(struct xv_bucket *b, uint64_t n);
/* Nanoseconds from now_ns until 'want' bytes (capped at burst) are
 * available: 0 if they already are. */
uint64_t xv_bucket_wait_ns(struct xv_bucket *b, uint64_t now_ns, uint64_t want);

#endif
