/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "rng_bucket.h"

#define NS_PER_S 1000000000ull

int xv_bucket_init(struct xv_bucket *b, uint64_t rate, uint64_t burst,
                   uint64_t now_ns)
{
    if (burst == 0 || burst > XV_BUCKET_BURST_MAX || rate > XV_BUCKET_RATE_MAX)
        return -EINVAL;
    b->rate = rate;
    b->burst = burst;
    b->tokens = burst;
    b->frac = 0;
    b->last_ns = now_ns;
    return 0;
}

static void refill(struct xv_bucket *b, uint64_t now_ns)
{
    uint64_t elapsed, room, acc;

    if (b->rate == 0 || now_ns <= b->last_ns) {
        /* Only forward time counts; a clock that steps back changes the
         * reference point so later steps are measured from here. */
        if (now_ns < b->last_ns)
            b->last_ns = now_ns;
        return;
    }
    elapsed = now_ns - b->last_ns;
    b->last_ns = now_ns;
    room = b->burst - b->tokens;
    /* Past the time that fills the bucket the product could overflow and
     * means nothing more: full is full. room <= 2^32 and 1e9 < 2^30, so
     * room * 1e9 fits, and elapsed < that / rate + 1 keeps
     * elapsed * rate + frac below 2^63. */
    if (room == 0 || elapsed >= (room * NS_PER_S - b->frac) / b->rate + 1) {
        b->tokens = b->burst;
        b->frac = 0;
        return;
    }
    acc = elapsed * b->rate + b->frac;
    b->tokens += acc / NS_PER_S;
    b->frac = acc % NS_PER_S;
    if (b->tokens >= b->burst) {
        b->tokens = b->burst;
        b->frac = 0;
    }
}

uint64_t xv_bucket_available(struct xv_bucket *b, uint64_t now_ns)
{
    if (b->rate == 0)
        return UINT64_MAX;
    refill(b, now_ns);
    return b->tokens;
}

void xv_bucket_consume(struct xv_bucket *b, uint64_t n)
{
    if (b->rate == 0)
        return;
    b->tokens = n > b->tokens ? 0 : b->tokens - n;
}

uint64_t xv_bucket_wait_ns(struct xv_bucket *b, uint64_t now_ns, uint64_t want)
{
    uint64_t missing;

    if (b->rate == 0)
        return 0;
    refill(b, now_ns);
    if (want > b->burst)
        want = b->burst;
    if (b->tokens >= want)
        return 0;
    missing = (want - b->tokens) * NS_PER_S - b->frac;
    return (missing + b->rate - 1) / b->rate;   /* round up: never early */
}
