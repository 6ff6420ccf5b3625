/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-rng (entropy device, virtio 1.2 §5.4, device ID 4) engine,
 * portable and freestanding like src/core: no allocator, no OS calls. The
 * embedder supplies the entropy source (struct xv_rng_source_ops) and the
 * struct xv_device the core drives.
 *
 * Embedding:
 *   struct xv_rng rng;
 *   xv_rng_default_params(&params);
 *   xv_rng_init(&rng, &dev, &platform, &source, &params);
 *
 * One queue, requestq. Each chain's device-writable bytes are filled from
 * source->fill(), at most max_request bytes per chain. A source may give
 * fewer bytes than asked, or none right now (a rate limit, an entropy pool
 * not ready yet): the chain then waits, popped and held by the engine, and
 * the rest of the queue waits behind it untouched, until the source calls
 * xv_rng_kick(). A chain is never completed empty because the source ran
 * dry: §5.4.7.1 says the device places one or more bytes, and Linux's
 * driver answers a used length of 0 by asking again at once.
 *
 * §5.4.6.1: the driver MUST NOT place driver-readable buffers. A chain
 * with readable bytes, or with no writable byte, cannot be served as the
 * driver meant: it completes with used length 0, is counted and reported
 * through params.event, and the device keeps going (only this request is
 * bad; the rings are intact, so DEVICE_NEEDS_RESET would punish more than
 * the fault). Such chains cost no entropy.
 */
#ifndef XV_RNG_H
#define XV_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xv/core.h"

#define XV_RNG_DEFAULT_QUEUE_SIZE   64u
#define XV_RNG_DEFAULT_MAX_REQUEST  4096u
/* Segments one request may have; longer chains are completed by the core
 * with length 0 (XV_FAULT_TOO_MANY_SEGS). Linux uses one. */
#define XV_RNG_REQ_SEGS 16u

struct xv_rng;

/* Where the bytes come from. */
struct xv_rng_source_ops {
    /* Put up to len (>= 1) bytes of entropy at buf; return how many. 0
     * means none right now: the engine holds the chain and the source
     * calls xv_rng_kick() once it can give more. */
    size_t (*fill)(void *opaque, void *buf, size_t len);
};

struct xv_rng_source {
    const struct xv_rng_source_ops *ops;
    void *opaque;
};

/* Guest-triggered failures, for the embedder's rate-limited log. */
enum xv_rng_event {
    XV_RNG_EV_READABLE,         /* chain has driver-readable bytes */
    XV_RNG_EV_NO_BUFFER,        /* chain has no device-writable byte */
    XV_RNG_EV_COUNT
};

struct xv_rng_params {
    uint16_t queue_size;        /* QueueNumMax, a power of two */
    uint32_t max_request;       /* bytes given to one chain at most */
    /* Requests handled per queue_work call before yielding (0: queue_size). */
    unsigned max_requests_per_call;
    void (*event)(void *opaque, enum xv_rng_event ev);
    void *event_opaque;
};

struct xv_rng_stats {
    uint64_t requests;          /* chains completed */
    uint64_t bytes;             /* entropy bytes given */
    uint64_t short_fills;       /* chains completed with less than asked */
    uint64_t waits;             /* times a chain had to wait for the source */
    uint64_t events[XV_RNG_EV_COUNT];
};

struct xv_rng {
    struct xv_device *dev;
    struct xv_vq vq;            /* requestq */
    struct xv_rng_source source;
    struct xv_rng_params params;
    /* The request being served: popped, waiting for the source when held. */
    struct xv_iovec iov[XV_RNG_REQ_SEGS];
    struct xv_gbuf gbuf[XV_RNG_REQ_SEGS];
    struct xv_chain chain;
    bool held;
    struct xv_rng_stats stats;
};

void xv_rng_default_params(struct xv_rng_params *params);

/* Bind rng to dev (calls xv_device_init()). params and source are copied.
 * Returns 0 or -EINVAL. */
int xv_rng_init(struct xv_rng *rng, struct xv_device *dev,
                const struct xv_platform *platform,
                const struct xv_rng_source *source,
                const struct xv_rng_params *params);

struct xv_rng *xv_rng_from_device(struct xv_device *dev);

/* The source has entropy again: have the queue processed (through the
 * platform's queue_notify) if a chain waits. */
void xv_rng_kick(struct xv_rng *rng);

/* Requests popped and not completed: 1 while a chain waits, else 0. */
unsigned xv_rng_in_flight(const struct xv_rng *rng);

#endif
