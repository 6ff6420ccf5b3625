/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's "rng" device type: a virtio-rng engine fed by getrandom(2)
 * (GRND_NONBLOCK: the loop never blocks, not even before the host's pool
 * is initialised at boot), through a token bucket per device, i.e. per
 * guest. A guest out of tokens gets no spinning: its chain waits in the
 * engine, its queue's notifications stay off, and a loop timer set for
 * when the bucket holds enough again kicks the engine. Other guests'
 * devices run meanwhile as ever.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "config.h"
#include "device_type.h"
#include "log.h"
#include "loop.h"
#include "rng_dev.h"

/* Before the host's pool is ready, ask again this often. */
#define POOL_RETRY_NS  (100ull * 1000000ull)
/* After an unexpected getrandom error, this often. */
#define ERROR_RETRY_NS (1000ull * 1000000ull)

struct rng_dev {
    struct xvd_dev base;        /* first: the daemon's handle */
    struct xv_rng rng;
    struct xv_bucket bucket;
    struct xvd_loop *loop;
    struct xvd_timer refill;    /* kicks the engine when it may go on */
    struct xvd_ratelimit rl;
    bool pool_wait_logged;
};

enum rng_key { KEY_RATE, KEY_BURST, KEY_MAX_REQUEST, KEY_QUEUE_SIZE, NR_KEYS };

static const struct xvd_key rng_keys[NR_KEYS] = {
    [KEY_RATE] = { "rate", XVD_KEY_U64, .def = XVD_RNG_DEFAULT_RATE,
        .min = 0, .max = XV_BUCKET_RATE_MAX,
        .doc = "entropy bytes a second the guest may read; 0: no limit" },
    [KEY_BURST] = { "burst", XVD_KEY_U64, .def = XVD_RNG_DEFAULT_BURST,
        .min = 1, .max = XV_BUCKET_BURST_MAX,
        .doc = "bytes the guest may read at once after a quiet spell" },
    [KEY_MAX_REQUEST] = { "max-request", XVD_KEY_U64, .def = XV_RNG_DEFAULT_MAX_REQUEST,
        .min = 1, .max = 1u << 20, .doc = "bytes given to one request at most" },
    [KEY_QUEUE_SIZE] = { "queue-size", XVD_KEY_POW2, .def = XV_RNG_DEFAULT_QUEUE_SIZE,
        .min = 2, .max = XV_VQ_MAX_SIZE, .doc = "QueueNumMax of the request queue" },
};

static struct rng_dev *rng_dev_of(struct xvd_dev *dev)
{
    return xv_container_of(dev, struct rng_dev, base);
}

static void on_refill(struct xvd_timer *t)
{
    struct rng_dev *d = xv_container_of(t, struct rng_dev, refill);

    xv_rng_kick(&d->rng);
}

/* Kick the engine again at due_ns, unless an earlier kick is set. */
static void retry_at(struct rng_dev *d, uint64_t due_ns)
{
    if (d->refill.armed && d->refill.due_ns <= due_ns)
        return;
    xvd_loop_timer_arm(d->loop, &d->refill, due_ns);
}

static size_t fill(void *opaque, void *buf, size_t len)
{
    struct rng_dev *d = opaque;
    uint64_t now = xvd_loop_now_ns();
    uint64_t avail = xv_bucket_available(&d->bucket, now);
    ssize_t got;

    if (avail == 0) {
        /* Wait for as much as this request wants (or the burst), not for
         * one byte: a starved guest costs one wakeup per refill. */
        retry_at(d, now + xv_bucket_wait_ns(&d->bucket, now, len));
        return 0;
    }
    if (len > avail)
        len = (size_t)avail;
    do
        got = getrandom(buf, len, GRND_NONBLOCK);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        if (errno == EAGAIN) {
            if (!d->pool_wait_logged)
                xvd_log(LOG_INFO, d->base.log_ctx,
                        "rng: host entropy pool not initialised yet; the guest waits");
            d->pool_wait_logged = true;
            retry_at(d, now + POOL_RETRY_NS);
        } else {
            xvd_log_ratelimited(&d->rl, LOG_WARNING, d->base.log_ctx,
                                "rng: getrandom: %s", strerror(errno));
            retry_at(d, now + ERROR_RETRY_NS);
        }
        return 0;
    }
    xv_bucket_consume(&d->bucket, (uint64_t)got);
    return (size_t)got;
}

static const struct xv_rng_source_ops getrandom_source = { .fill = fill };

static const char *event_text(enum xv_rng_event ev)
{
    switch (ev) {
    case XV_RNG_EV_READABLE: return "request with driver-readable buffers";
    case XV_RNG_EV_NO_BUFFER: return "request without a device-writable buffer";
    default: return "?";
    }
}

static void on_event(void *opaque, enum xv_rng_event ev)
{
    struct rng_dev *d = opaque;

    xvd_log_ratelimited(&d->rl, LOG_WARNING, d->base.log_ctx,
                        "rng: %s: completed empty", event_text(ev));
}

static struct xvd_dev *rng_create(const struct xvd_device_conf *conf,
                                  const struct xv_platform *platform,
                                  struct xvd_loop *loop, char *err, size_t errlen)
{
    union xvd_key_value v[NR_KEYS];
    struct xv_rng_params params;
    struct xv_rng_source source;
    struct rng_dev *d;
    int ret;

    if (xvd_keys_parse(rng_keys, NR_KEYS, "rng", conf, v, err, errlen) < 0)
        return NULL;
    if (!loop) {
        snprintf(err, errlen, "device %s: no event loop for its timer", conf->name);
        return NULL;
    }
    xv_rng_default_params(&params);
    if (conf->max_requests_per_wakeup)
        params.max_requests_per_call = conf->max_requests_per_wakeup;
    params.max_request = (uint32_t)v[KEY_MAX_REQUEST].n;
    params.queue_size = (uint16_t)v[KEY_QUEUE_SIZE].n;
    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "device %s: out of memory", conf->name);
        return NULL;
    }
    d->loop = loop;
    d->refill.fn = on_refill;
    if (xv_bucket_init(&d->bucket, v[KEY_RATE].n, v[KEY_BURST].n, xvd_loop_now_ns()) < 0) {
        xvd_key_error(conf, "burst", err, errlen, "out of range");
        free(d);
        return NULL;
    }
    params.event = on_event;
    params.event_opaque = d;
    source = (struct xv_rng_source){ .ops = &getrandom_source, .opaque = d };
    d->base.type = &xvd_rng_type;
    ret = xv_rng_init(&d->rng, &d->base.xv, platform, &source, &params);
    if (ret < 0) {
        snprintf(err, errlen, "device %s: cannot initialise: %s", conf->name,
                 strerror(-ret));
        free(d);
        return NULL;
    }
    return &d->base;
}

static unsigned rng_in_flight(struct xvd_dev *dev)
{
    return xv_rng_in_flight(&rng_dev_of(dev)->rng);
}

static void rng_destroy(struct xvd_dev *dev)
{
    struct rng_dev *d = rng_dev_of(dev);

    xvd_loop_timer_cancel(d->loop, &d->refill);
    xvd_ratelimit_flush(&d->rl, d->base.log_ctx);
    free(d);
}

const struct xvd_device_type xvd_rng_type = {
    .name = "rng",
    .keys = rng_keys,
    .nr_keys = NR_KEYS,
    .virtio_id = XV_ID_RNG,
    .create = rng_create,
    .in_flight = rng_in_flight,
    .destroy = rng_destroy,
};
