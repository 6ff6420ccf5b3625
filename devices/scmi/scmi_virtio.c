/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-scmi device (virtio 1.2 §5.17): one agent per device, its
 * commands on the cmdq, delayed responses and notifications on the eventq
 * when VIRTIO_SCMI_F_P2A_CHANNELS was negotiated.
 */
#include <errno.h>
#include <string.h>

#include "scmi_private.h"

#define DEFAULT_BATCH       64u

static const struct xv_device_ops scmi_ops;

struct xv_scmi_dev *xv_scmi_dev_from_device(struct xv_device *dev)
{
    /* Every xv_scmi_dev's device shares scmi_ops: it proves dev->priv is
     * one. */
    if (!dev || dev->ops != &scmi_ops)
        return NULL;
    return dev->priv;
}

static void init_chain(struct xv_scmi_dev *sd, struct xv_chain *chain)
{
    memset(chain, 0, sizeof(*chain));
    chain->iov = sd->iov;
    chain->gbuf = sd->gbuf;
    chain->max_segs = XV_SCMI_DEV_SEGS;
}

/* Deliver one P2A message into the next eventq buffer. */
static int p2a_deliver(void *opaque, const void *msg, size_t len)
{
    struct xv_scmi_dev *sd = opaque;
    struct xv_vq *vq = &sd->vqs[XV_SCMI_VQ_EVENT];
    struct xv_chain chain;
    int ret;

    if (sd->in_command)
        return -EAGAIN;     /* the engine keeps it; sent after the reply */
    init_chain(sd, &chain);
    ret = xv_vq_pop(vq, &chain);
    if (ret <= 0)
        return -EAGAIN;
    if (chain.nr_readable || chain.writable_len < len) {
        /* The driver broke its MUST (device-writable, big enough). */
        sd->p2a_dropped++;
        xv_vq_push(vq, &chain, 0);
    } else {
        xv_chain_write(&chain, 0, msg, len);
        xv_vq_push(vq, &chain, (uint32_t)len);
        sd->p2a_sent++;
    }
    xv_vq_notify_guest(vq);
    return 0;
}

static void handle_command(struct xv_scmi_dev *sd, struct xv_chain *chain)
{
    struct xv_vq *vq = &sd->vqs[XV_SCMI_VQ_CMD];
    size_t req_len, cap, out;

    sd->commands++;
    if (chain->readable_len < 4 || chain->writable_len < 8) {
        sd->malformed++;
        xv_vq_push(vq, chain, 0);
        return;
    }
    /* A copy: another vCPU may rewrite guest memory while we parse it.
     * Anything longer than a message is cut and then refused as such. */
    req_len = chain->readable_len < sizeof(sd->req) ? chain->readable_len
                                                    : sizeof(sd->req);
    xv_chain_read(chain, 0, sd->req, req_len);
    cap = chain->writable_len < sizeof(sd->resp) ? chain->writable_len
                                                 : sizeof(sd->resp);
    sd->in_command = true;
    out = xv_scmi_handle(sd->server, sd->agent, sd->req, req_len, sd->resp, cap);
    sd->in_command = false;
    xv_chain_write(chain, 0, sd->resp, out);
    xv_vq_push(vq, chain, (uint32_t)out);
    /* Now what the command caused (queued by the engine meanwhile): Linux
     * takes a delayed response that overtakes its response as the response
     * ("OoO Delayed Response") and then rejects the real one. */
    xv_scmi_agent_p2a_ready(sd->server, sd->agent);
}

static void process_cmdq(struct xv_scmi_dev *sd)
{
    struct xv_device *dev = sd->dev;
    struct xv_vq *vq = &sd->vqs[XV_SCMI_VQ_CMD];
    unsigned done = 0, budget = sd->params.max_requests_per_call;
    struct xv_chain chain;
    bool more;
    int ret;

    do {
        xv_vq_disable_notify(vq);
        for (ret = 1; done < budget; done++) {
            init_chain(sd, &chain);
            ret = xv_vq_pop(vq, &chain);
            if (ret <= 0)
                break;
            handle_command(sd, &chain);
        }
        if (ret < 0)
            break;  /* broken: the core set NEEDS_RESET and reported it */
        more = xv_vq_enable_notify(vq);
        if (done >= budget) {
            /* Yield so other devices run; come back for the rest. */
            if (more || xv_vq_avail_count(vq))
                dev->platform->queue_notify(dev->platform->opaque, dev,
                                            XV_SCMI_VQ_CMD);
            break;
        }
    } while (more);
    xv_vq_notify_guest(vq);
}

static void scmi_queue_work(struct xv_device *dev, unsigned queue)
{
    struct xv_scmi_dev *sd = xv_scmi_dev_from_device(dev);

    if (!sd)
        return;
    if (queue == XV_SCMI_VQ_CMD)
        process_cmdq(sd);
    else if (queue == XV_SCMI_VQ_EVENT)
        xv_scmi_agent_p2a_ready(sd->server, sd->agent);
}

static void scmi_driver_ok(struct xv_device *dev)
{
    struct xv_scmi_dev *sd = xv_scmi_dev_from_device(dev);

    if (!sd)
        return;
    if (xv_device_has_feature(dev, VIRTIO_SCMI_F_P2A_CHANNELS))
        xv_scmi_agent_set_p2a(sd->agent, p2a_deliver, sd);
    else
        xv_scmi_agent_set_p2a(sd->agent, NULL, NULL);
}

/* The next kernel always resets the device first: the agent restarted,
 * and what it held must not stay held. */
static void scmi_reset(struct xv_device *dev)
{
    struct xv_scmi_dev *sd = xv_scmi_dev_from_device(dev);

    if (!sd)
        return;
    xv_scmi_agent_set_p2a(sd->agent, NULL, NULL);
    xv_scmi_agent_drop_votes(sd->server, sd->agent);
}

static void scmi_queue_reset(struct xv_device *dev, unsigned queue)
{
    struct xv_scmi_dev *sd = xv_scmi_dev_from_device(dev);

    if (sd && queue == XV_SCMI_VQ_EVENT)
        xv_scmi_agent_set_p2a(sd->agent, NULL, NULL);
}

static const struct xv_device_ops scmi_ops = {
    .name = "virtio-scmi",
    .device_id = XV_VIRTIO_ID_SCMI,
    .config_size = 0,
    .driver_ok = scmi_driver_ok,
    .reset = scmi_reset,
    .queue_reset = scmi_queue_reset,
    .queue_work = scmi_queue_work,
};

void xv_scmi_dev_default_params(struct xv_scmi_dev_params *params)
{
    memset(params, 0, sizeof(*params));
    params->queue_size = XV_SCMI_DEV_DEFAULT_QUEUE_SIZE;
    params->p2a = true;
    params->max_requests_per_call = DEFAULT_BATCH;
}

int xv_scmi_dev_init(struct xv_scmi_dev *sd, struct xv_device *dev,
                     const struct xv_platform *platform,
                     struct xv_scmi_server *server,
                     struct xv_scmi_agent *agent,
                     const struct xv_scmi_dev_params *params)
{
    struct xv_device_config config = {
        .num_queues = 1,            /* the cmdq; the eventq with p2a */
        .priv = sd,
    };
    int ret;

    if (!sd || !dev || !server || !agent || !params || !agent->id ||
        params->queue_size == 0 || params->queue_size > XV_VQ_MAX_SIZE ||
        (params->queue_size & (params->queue_size - 1)))
        return -EINVAL;
    memset(sd, 0, sizeof(*sd));
    config.queue_max_size = params->queue_size;
    if (params->p2a) {
        config.features = XV_FEATURE(VIRTIO_SCMI_F_P2A_CHANNELS);
        config.num_queues = 2;
    }
    sd->params = *params;
    if (sd->params.max_requests_per_call == 0)
        sd->params.max_requests_per_call = params->queue_size;
    sd->server = server;
    sd->agent = agent;
    sd->dev = dev;
    xv_scmi_agent_set_p2a(agent, NULL, NULL);
    ret = xv_device_init(dev, &scmi_ops, &config, platform, sd->vqs);
    if (ret < 0)
        sd->dev = NULL;
    return ret;
}
