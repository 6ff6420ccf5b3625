/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-scmi driver, as Linux's arm_scmi virtio transport uses it: a
 * cmdq where each command is { device-readable hdr + params,
 * device-writable hdr + status + values }, and, with P2A_CHANNELS, an
 * eventq kept full of pre-posted 136-byte device-writable buffers.
 * Responses are matched by the 10-bit token in the header, not by the
 * virtio buffer, so a platform that mangles the header is caught.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_scmi.h>

#include "vdrv_priv.h"

#define SCMI_DRIVER_FEATURES VDRV_BIT(VIRTIO_SCMI_F_P2A_CHANNELS)
#define SCMI_PDU_SIZE (VDRV_SCMI_MAX_MSG_SIZE + 8u)  /* hdr + status */
#define SCMI_TOKEN_MAX 1024u
#define SCMI_RX_OFF 256u  /* response buffer inside a command's memory */

int vdrv_scmi_status_to_errno(int32_t status)
{
    static const int map[] = {
        0, -EOPNOTSUPP, -EINVAL, -EACCES, -ENOENT, -ERANGE, -EBUSY, -ECOMM,
        -EIO, -EREMOTEIO, -EPROTO,
    };

    if (status > 0 || status < -10)
        return -EIO;
    return map[-status];
}

static void post_event_buffer(struct vdrv_scmi *scmi, uint16_t i)
{
    struct vdrv_vq *eventq = &scmi->dev.vqs[VIRTIO_SCMI_VQ_RX];
    struct vdrv_sg sg = { scmi->event_gpa + (uint64_t)i * SCMI_PDU_SIZE,
                          SCMI_PDU_SIZE, 0 };

    scmi->event_reqs[i].done = false;
    if (vdrv_vq_add(eventq, &sg, 0, 1, &scmi->event_reqs[i]))
        vdrv_log(&scmi->dev, "failed to add to RX virtqueue");
}

/* scmi_vio_complete_cb for the eventq: hand the message up, re-post. */
static void eventq_done(struct vdrv_vq *vq)
{
    struct vdrv_scmi *scmi = vq->dev->priv;
    struct vdrv_request *req;
    uint32_t len;

    do {
        vdrv_vq_disable_cb(vq);
        while ((req = vdrv_vq_get_used(vq, &len))) {
            uint16_t i = (uint16_t)(req - scmi->event_reqs);
            const uint8_t *pdu = (const uint8_t *)scmi->event_bufs +
                                 (size_t)i * SCMI_PDU_SIZE;
            uint32_t hdr;

            memcpy(&hdr, pdu, sizeof(hdr));
            hdr = le32toh(hdr);
            len = len > 4 ? len - 4 : 0;
            if (len > VDRV_SCMI_MAX_MSG_SIZE)
                len = VDRV_SCMI_MAX_MSG_SIZE;
            scmi->events_received++;
            if (scmi->on_event)
                scmi->on_event(scmi, hdr, pdu + 4, len);
            post_event_buffer(scmi, i);
        }
        if (vq->broken)
            return;
    } while (!vdrv_vq_enable_cb(vq));
    vdrv_vq_kick(vq);
}

static int setup_eventq(struct vdrv_scmi *scmi)
{
    struct vdrv_vq *eventq = &scmi->dev.vqs[VIRTIO_SCMI_VQ_RX];

    scmi->event_count = eventq->num < SCMI_TOKEN_MAX ? eventq->num
                                                     : SCMI_TOKEN_MAX;
    scmi->event_bytes = (size_t)scmi->event_count * SCMI_PDU_SIZE;
    scmi->event_bufs = vdrv_ram_alloc(&scmi->dev, scmi->event_bytes,
                                      &scmi->event_gpa);
    scmi->event_reqs = calloc(scmi->event_count, sizeof(*scmi->event_reqs));
    if (!scmi->event_bufs || !scmi->event_reqs)
        return -ENOMEM;
    for (uint16_t i = 0; i < scmi->event_count; i++)
        post_event_buffer(scmi, i);
    vdrv_vq_kick(eventq);
    return 0;
}

int vdrv_scmi_init(struct vdrv_scmi *scmi, const struct vdrv_transport *t,
                   uint64_t base, const struct vdrv_options *opts)
{
    static vdrv_vq_callback_fn *const callbacks[] = {
        vdrv_vq_complete_requests, eventq_done,
    };
    struct vdrv_device *dev = &scmi->dev;
    int err;

    memset(scmi, 0, sizeof(*scmi));
    err = vdrv_probe(dev, t, base, opts);
    if (err)
        return err;
    if (dev->device_id != VIRTIO_ID_SCMI) {
        vdrv_log(dev, "DeviceID %u is not an SCMI device", dev->device_id);
        return -ENODEV;
    }
    err = vdrv_negotiate(dev, SCMI_DRIVER_FEATURES);
    if (err)
        return err;
    scmi->p2a = vdrv_has_feature(dev, VIRTIO_SCMI_F_P2A_CHANNELS);
    dev->priv = scmi;
    err = vdrv_setup_vqs(dev, scmi->p2a ? 2 : 1, callbacks);
    if (err)
        return err;
    /* Two descriptors per message unless they go indirect; Linux sizes
     * the in-flight limit the same way either way. */
    scmi->max_msg = dev->vqs[VIRTIO_SCMI_VQ_TX].num / 2;
    if (scmi->max_msg > SCMI_TOKEN_MAX)
        scmi->max_msg = SCMI_TOKEN_MAX;
    err = vdrv_driver_ok(dev);
    if (!err && scmi->p2a)
        err = setup_eventq(scmi);
    return err;
}

/* Commands are vdrv_inflight; eventq buffers belong to the device state. */
static void scmi_detach(struct vdrv_device *dev, void *token)
{
    struct vdrv_scmi *scmi = dev->priv;
    struct vdrv_request *req = token;

    if (scmi->event_reqs && req >= scmi->event_reqs &&
        req < scmi->event_reqs + scmi->event_count)
        return;
    vdrv_inflight_detach(dev, token);
}

void vdrv_scmi_remove(struct vdrv_scmi *scmi)
{
    struct vdrv_device *dev = &scmi->dev;

    vdrv_remove(dev, scmi_detach);
    if (!dev->dead)
        vdrv_ram_free(dev, scmi->event_bufs, scmi->event_gpa,
                      scmi->event_bytes);
    free(scmi->event_reqs);
    scmi->event_reqs = NULL;
    scmi->event_bufs = NULL;
}

int vdrv_scmi_xfer(struct vdrv_scmi *scmi, uint8_t protocol, uint8_t msg_id,
                   const void *tx, uint32_t tx_len, uint32_t rx_len,
                   struct vdrv_scmi_reply *reply)
{
    struct vdrv_device *dev = &scmi->dev;
    struct vdrv_inflight *f;
    struct vdrv_sg sg[2];
    uint16_t token;
    uint32_t hdr, rx_hdr, used;
    int32_t status;
    int err;

    if (!dev->driver_ok)
        return -ENODEV;
    if (tx_len > VDRV_SCMI_MAX_MSG_SIZE || rx_len > VDRV_SCMI_MAX_MSG_SIZE)
        return -EINVAL;
    if (rx_len == 0)
        rx_len = VDRV_SCMI_MAX_MSG_SIZE;
    f = vdrv_inflight_new(dev, SCMI_RX_OFF + SCMI_PDU_SIZE);
    if (!f)
        return -ENOMEM;
    token = scmi->next_token;
    scmi->next_token = (uint16_t)((scmi->next_token + 1) % SCMI_TOKEN_MAX);
    hdr = htole32(VDRV_SCMI_HDR(msg_id, 0, protocol, token));
    memcpy(f->mem, &hdr, 4);
    if (tx_len)
        memcpy(f->mem + 4, tx, tx_len);
    /* msg_command_size / msg_response_size: exact lengths. */
    sg[0] = (struct vdrv_sg){ f->gpa, 4 + tx_len, 0 };
    sg[1] = (struct vdrv_sg){ f->gpa + SCMI_RX_OFF, 8 + rx_len, 0 };
    err = vdrv_inflight_run(f, &dev->vqs[VIRTIO_SCMI_VQ_TX], sg, 1, 1);
    if (err) {
        vdrv_inflight_release(f);
        return err;
    }
    used = f->req.used_len;
    memcpy(&rx_hdr, f->mem + SCMI_RX_OFF, 4);
    memcpy(&status, f->mem + SCMI_RX_OFF + 4, 4);
    rx_hdr = le32toh(rx_hdr);
    status = (int32_t)le32toh((uint32_t)status);
    if (used < 4 || VDRV_SCMI_HDR_TOKEN(rx_hdr) != token ||
        VDRV_SCMI_HDR_TYPE(rx_hdr) != 0) {
        vdrv_log(dev, "Message for %u type %u is not expected!",
                 VDRV_SCMI_HDR_TOKEN(rx_hdr), VDRV_SCMI_HDR_TYPE(rx_hdr));
        vdrv_inflight_release(f);
        return -EPROTO;
    }
    if (reply) {
        reply->hdr = rx_hdr;
        reply->status = status;
        /* msg_fetch_response: what was expected, cut to what was written. */
        reply->len = used >= 8 ? used - 8 : 0;
        if (reply->len > rx_len)
            reply->len = rx_len;
        memcpy(reply->payload, f->mem + SCMI_RX_OFF + 8, reply->len);
    }
    vdrv_inflight_release(f);
    return 0;
}

static int base_query(struct vdrv_scmi *scmi, uint8_t msg_id, uint32_t rx_len,
                      void *out)
{
    struct vdrv_scmi_reply reply;
    int err = vdrv_scmi_xfer(scmi, VDRV_SCMI_PROTOCOL_BASE, msg_id, NULL, 0,
                             rx_len, &reply);

    if (err)
        return err;
    if (reply.status != VDRV_SCMI_SUCCESS)
        return vdrv_scmi_status_to_errno(reply.status);
    memset(out, 0, rx_len);
    memcpy(out, reply.payload, reply.len);
    return 0;
}

int vdrv_scmi_base_version(struct vdrv_scmi *scmi, uint32_t *version)
{
    uint32_t raw;
    int err = base_query(scmi, VDRV_SCMI_PROTOCOL_VERSION, 4, &raw);

    if (!err)
        *version = le32toh(raw);
    return err;
}

int vdrv_scmi_base_attributes(struct vdrv_scmi *scmi, uint8_t *num_protocols,
                              uint8_t *num_agents)
{
    uint32_t raw;
    int err = base_query(scmi, VDRV_SCMI_PROTOCOL_ATTRIBUTES, 4, &raw);

    if (!err) {
        raw = le32toh(raw);
        *num_protocols = (uint8_t)raw;
        *num_agents = (uint8_t)(raw >> 8);
    }
    return err;
}

int vdrv_scmi_base_vendor(struct vdrv_scmi *scmi, char vendor[16])
{
    return base_query(scmi, VDRV_SCMI_BASE_DISCOVER_VENDOR, 16, vendor);
}

/* Send bytes as they are (hostile tests): msg is the whole message, the
 * header included, in a device-readable part of len bytes (none when 0)
 * and a device-writable part of wlen bytes; no token check on the reply. */
int vdrv_scmi_xfer_shaped(struct vdrv_scmi *scmi, const void *msg, uint32_t len,
                          uint32_t wlen, struct vdrv_scmi_reply *reply)
{
    struct vdrv_device *dev = &scmi->dev;
    struct vdrv_inflight *f;
    struct vdrv_sg sg[2];
    uint32_t rx_hdr, used;
    int32_t status;
    int err;

    if (!dev->driver_ok)
        return -ENODEV;
    if (len > SCMI_RX_OFF || wlen == 0 || wlen > SCMI_PDU_SIZE)
        return -EINVAL;
    f = vdrv_inflight_new(dev, SCMI_RX_OFF + SCMI_PDU_SIZE);
    if (!f)
        return -ENOMEM;
    memcpy(f->mem, msg, len);
    sg[0] = (struct vdrv_sg){ f->gpa, len, 0 };
    sg[1] = (struct vdrv_sg){ f->gpa + SCMI_RX_OFF, wlen, 0 };
    err = vdrv_inflight_run(f, &dev->vqs[VIRTIO_SCMI_VQ_TX], len ? sg : sg + 1,
                            len ? 1 : 0, 1);
    if (err) {
        vdrv_inflight_release(f);
        return err;
    }
    used = f->req.used_len;
    memcpy(&rx_hdr, f->mem + SCMI_RX_OFF, 4);
    memcpy(&status, f->mem + SCMI_RX_OFF + 4, 4);
    reply->hdr = le32toh(rx_hdr);
    reply->status = (int32_t)le32toh((uint32_t)status);
    /* The ring checked used <= wlen <= 8 + the payload's room. */
    reply->len = used >= 8 ? used - 8 : 0;
    memcpy(reply->payload, f->mem + SCMI_RX_OFF + 8, reply->len);
    reply->used = used;
    vdrv_inflight_release(f);
    return 0;
}

int vdrv_scmi_xfer_raw(struct vdrv_scmi *scmi, const void *msg, uint32_t len,
                       uint32_t rx_len, struct vdrv_scmi_reply *reply)
{
    if (rx_len > VDRV_SCMI_MAX_MSG_SIZE)
        return -EINVAL;
    return vdrv_scmi_xfer_shaped(scmi, msg, len, 8 + rx_len, reply);
}
