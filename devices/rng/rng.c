/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-rng engine: see rng.h for what it serves and why a chain waits
 * rather than completing empty.
 */
#include <errno.h>
#include <string.h>

#include "rng.h"

static const struct xv_device_ops rng_ops;

struct xv_rng *xv_rng_from_device(struct xv_device *dev)
{
    /* Every xv_rng's device shares rng_ops: it proves dev->priv is one. */
    if (!dev || dev->ops != &rng_ops)
        return NULL;
    return dev->priv;
}

static void report(struct xv_rng *rng, enum xv_rng_event ev)
{
    rng->stats.events[ev]++;
    if (rng->params.event)
        rng->params.event(rng->params.event_opaque, ev);
}

/* A chain the driver could not mean (§5.4.6.1): completed with used
 * length 0, no entropy spent on it. Returns false for those. */
static bool check_chain(struct xv_rng *rng)
{
    const struct xv_chain *c = &rng->chain;
    enum xv_rng_event ev;

    if (c->readable_len)
        ev = XV_RNG_EV_READABLE;
    else if (c->writable_len == 0)
        ev = XV_RNG_EV_NO_BUFFER;
    else
        return true;
    report(rng, ev);
    xv_vq_push(&rng->vq, &rng->chain, 0);
    rng->stats.requests++;
    return false;
}

/*
 * Fill the held chain's writable bytes, up to max_request, from the
 * source; stop at the first short answer (the source has no more now).
 * Complete the chain with what it got, or keep holding it if that is
 * nothing. Returns true when the chain completed.
 */
static bool serve_chain(struct xv_rng *rng)
{
    const struct xv_chain *c = &rng->chain;
    size_t want = c->writable_len, given = 0;
    unsigned first = c->nr_readable;

    if (want > rng->params.max_request)
        want = rng->params.max_request;
    for (unsigned i = first; i < first + c->nr_writable && given < want; i++) {
        size_t ask = c->iov[i].len, got;

        if (ask > want - given)
            ask = want - given;
        if (ask == 0)
            continue;
        got = rng->source.ops->fill(rng->source.opaque, c->iov[i].base, ask);
        if (got > ask)
            got = ask;      /* a source bug must not inflate the used length */
        given += got;
        if (got < ask)
            break;
    }
    if (given == 0) {
        rng->stats.waits++;
        return false;
    }
    if (given < want)
        rng->stats.short_fills++;
    rng->held = false;
    xv_vq_push(&rng->vq, &rng->chain, (uint32_t)given);
    rng->stats.requests++;
    rng->stats.bytes += given;
    return true;
}

static int pop_chain(struct xv_rng *rng)
{
    rng->chain.iov = rng->iov;
    rng->chain.gbuf = rng->gbuf;
    rng->chain.max_segs = XV_RNG_REQ_SEGS;
    return xv_vq_pop(&rng->vq, &rng->chain);
}

static void rng_queue_work(struct xv_device *dev, unsigned queue)
{
    struct xv_rng *rng = xv_rng_from_device(dev);
    struct xv_vq *vq;
    unsigned budget, done = 0;
    bool more, starved = false;
    int ret = 1;

    if (!rng || queue != 0)
        return;
    vq = &rng->vq;
    budget = rng->params.max_requests_per_call;
    do {
        ret = 1;
        xv_vq_disable_notify(vq);
        while (done < budget) {
            if (!rng->held) {
                ret = pop_chain(rng);
                if (ret <= 0)
                    break;
                done++;
                if (!check_chain(rng))
                    continue;
                rng->held = true;
            }
            if (!serve_chain(rng)) {
                starved = true;
                break;
            }
        }
        /* Starved: the source kicks us when it has more. Notifications
         * stay off meanwhile, so the driver's kicks do not spin on a queue
         * we could not serve anyway. */
        if (ret < 0 || starved)
            break;
        more = xv_vq_enable_notify(vq);
        if (done >= budget) {
            if (more || xv_vq_avail_count(vq))
                dev->platform->queue_notify(dev->platform->opaque, dev, queue);
            break;
        }
    } while (more);
    xv_vq_notify_guest(vq);
}

void xv_rng_kick(struct xv_rng *rng)
{
    struct xv_device *dev = rng->dev;

    if (dev && rng->held)
        dev->platform->queue_notify(dev->platform->opaque, dev, 0);
}

/* Drop the held chain: the core already released the rings, so the push
 * only unmaps the buffers (the generation no longer matches). */
static void drop_held(struct xv_rng *rng)
{
    if (rng->held)
        xv_vq_push(&rng->vq, &rng->chain, 0);
    rng->held = false;
}

static void rng_reset(struct xv_device *dev)
{
    struct xv_rng *rng = xv_rng_from_device(dev);

    if (rng)
        drop_held(rng);
}

static void rng_queue_reset(struct xv_device *dev, unsigned queue)
{
    struct xv_rng *rng = xv_rng_from_device(dev);

    if (rng && queue == 0)
        drop_held(rng);
}

static const struct xv_device_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = XV_ID_RNG,
    .config_size = 0,           /* §5.4.4: no configuration space */
    .reset = rng_reset,
    .queue_reset = rng_queue_reset,
    .queue_work = rng_queue_work,
};

void xv_rng_default_params(struct xv_rng_params *params)
{
    memset(params, 0, sizeof(*params));
    params->queue_size = XV_RNG_DEFAULT_QUEUE_SIZE;
    params->max_request = XV_RNG_DEFAULT_MAX_REQUEST;
}

int xv_rng_init(struct xv_rng *rng, struct xv_device *dev,
                const struct xv_platform *platform,
                const struct xv_rng_source *source,
                const struct xv_rng_params *params)
{
    struct xv_device_config config;
    int ret;

    if (!rng || !dev || !source || !source->ops || !source->ops->fill || !params)
        return -EINVAL;
    if (params->queue_size == 0 || params->queue_size > XV_VQ_MAX_SIZE ||
        (params->queue_size & (params->queue_size - 1)) ||
        params->max_request == 0)
        return -EINVAL;
    memset(rng, 0, sizeof(*rng));
    rng->source = *source;
    rng->params = *params;
    if (rng->params.max_requests_per_call == 0)
        rng->params.max_requests_per_call = params->queue_size;
    rng->dev = dev;
    config = (struct xv_device_config){
        .features = 0,          /* §5.4.3: none */
        .num_queues = 1,
        .queue_max_size = params->queue_size,
        .priv = rng,
    };
    ret = xv_device_init(dev, &rng_ops, &config, platform, &rng->vq);
    if (ret < 0)
        rng->dev = NULL;
    return ret;
}

unsigned xv_rng_in_flight(const struct xv_rng *rng)
{
    return rng->held ? 1u : 0u;
}
