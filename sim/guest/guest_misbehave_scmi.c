/* SPDX-License-Identifier: Apache-2.0 */
/*
 * misbehave cases on the first virtio-scmi device (virtio 1.2 §5.17, SCMI
 * 3.x): messages sent byte for byte, and the eventq misused. What the
 * engine must answer (devices/scmi/scmi_virtio.c, scmi.c): used length 0
 * for a chain with no room for a header and status, else an 8-byte reply
 * with the error status the SCMI spec gives; BUSY rather than a lost
 * delayed response. The agent needs clock 0 (with rate 24 MHz) and sensor
 * 0 in its view, no reset domain, and the eventq offered.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_scmi.h>

#include "guest_prog.h"

#define P_CLOCK 0x14u
#define P_SENSOR 0x15u
/* SCMI statuses (SCMI spec §4.1.4) */
enum {
    NOT_SUPPORTED = -1, NOT_FOUND = -4, BUSY = -6, COMMS_ERROR = -7, PROTOCOL_ERROR = -10,
};
#define P2A_PENDING 16u         /* the daemon's XV_SCMI_P2A_PENDING */
#define DESC_F_WRITE 2u         /* VRING_DESC_F_WRITE */
#define CLOCK_HZ 24000000u

enum { SCMI_ONE, SCMI_NO_P2A, SCMI_EVENTQ_READABLE, SCMI_FLOOD_SENSOR, SCMI_FLOOD_CLOCK };

/* A message as sent, and the reply it must get. */
struct scmi_shape {
    const uint8_t *msg;
    uint32_t len;               /* device-readable bytes (0: none) */
    uint32_t wlen;              /* device-writable bytes */
    unsigned mb;                /* VDRV_MB_* for the chain */
    int32_t status;             /* for MB_STATUS: in an 8-byte reply */
};

/* header: msg id | type << 8 | protocol << 10 | token << 18, little-endian */
static const uint8_t base_version[] = { 0x00, 0x40, 0x00, 0x00 };
static const uint8_t oversize[200] = { 0x00, 0x40, 0x00, 0x00 };
static const uint8_t unknown_protocol[] = { 0x00, 0x64, 0x02, 0x00 };     /* 0x99 */
static const uint8_t reset_protocol[] = { 0x00, 0x58, 0x00, 0x00 };       /* 0x16 */
static const uint8_t unknown_msg[] = { 0x3f, 0x40, 0x00, 0x00 };
static const uint8_t reserved_bits[] = { 0x00, 0x40, 0x00, 0x10 };        /* bit 28 */
static const uint8_t delayed_type[] = { 0x00, 0x41, 0x00, 0x00 };         /* type 1 */
static const uint8_t overlong[] = { 0x00, 0x40, 0x00, 0x00, 1, 0, 0, 0 };
static const uint8_t clock_5[] = { 0x03, 0x50, 0x00, 0x00, 5, 0, 0, 0 };  /* ATTRIBUTES */
/* SENSOR_CONTINUOUS_UPDATE_NOTIFY sensor 7, on */
static const uint8_t notify_7[] = { 0x0b, 0x54, 0x00, 0x00, 7, 0, 0, 0, 1, 0, 0, 0 };
/* SENSOR_READING_GET sensor 0, async */
static const uint8_t async_read[] = { 0x06, 0x54, 0x00, 0x00, 0, 0, 0, 0, 1, 0, 0, 0 };

#define MSG(m) .msg = m, .len = sizeof(m)
#define REPLY(st) .wlen = 8 + 128, .status = (st)

static const struct scmi_shape short_hdr = { .msg = base_version, .len = 2, .wlen = 136 };
static const struct scmi_shape no_request = { .msg = base_version, .len = 0, .wlen = 136 };
static const struct scmi_shape short_resp = { MSG(base_version), .wlen = 4 };
static const struct scmi_shape no_room = { MSG(base_version), .wlen = 8, .status = COMMS_ERROR };
static const struct scmi_shape too_long = { MSG(oversize), REPLY(PROTOCOL_ERROR) };
static const struct scmi_shape no_protocol = { MSG(unknown_protocol), REPLY(NOT_SUPPORTED) };
static const struct scmi_shape not_in_view = { MSG(reset_protocol), REPLY(NOT_SUPPORTED) };
static const struct scmi_shape no_msg = { MSG(unknown_msg), REPLY(NOT_FOUND) };
static const struct scmi_shape reserved = { MSG(reserved_bits), REPLY(PROTOCOL_ERROR) };
static const struct scmi_shape not_command = { MSG(delayed_type), REPLY(PROTOCOL_ERROR) };
static const struct scmi_shape bad_len = { MSG(overlong), REPLY(PROTOCOL_ERROR) };
static const struct scmi_shape clock_out = { MSG(clock_5), REPLY(NOT_FOUND) };
static const struct scmi_shape notify_out = { MSG(notify_7), REPLY(NOT_FOUND) };
static const struct scmi_shape async_no_p2a = { MSG(async_read), REPLY(NOT_SUPPORTED) };
static const struct scmi_shape after_write = { MSG(base_version), .wlen = 136,
                                               .mb = VDRV_MB_READ_AFTER_WRITE };
static const struct scmi_shape loop = { MSG(base_version), .wlen = 136,
                                        .mb = VDRV_MB_CHAIN_LOOP };

static const struct guest_mb_case scmi_cases[] = {
    { "scmi-short-header", MB_BUFFER, SCMI_ONE, 0, "message of 2 bytes, under its header",
      &short_hdr },
    { "scmi-no-request", MB_BUFFER, SCMI_ONE, 0, "no device-readable part at all",
      &no_request },
    { "scmi-short-response", MB_BUFFER, SCMI_ONE, 0,
      "response buffer of 4 bytes: no room for header and status", &short_resp },
    { "scmi-reply-too-small", MB_STATUS, SCMI_ONE, 0,
      "PROTOCOL_VERSION with room for no return value: COMMS_ERROR", &no_room },
    { "scmi-oversize", MB_STATUS, SCMI_ONE, 0,
      "message of 200 bytes, over the 128-byte payload: PROTOCOL_ERROR", &too_long },
    { "scmi-unknown-protocol", MB_STATUS, SCMI_ONE, 0, "protocol 0x99: NOT_SUPPORTED",
      &no_protocol },
    { "scmi-protocol-not-in-view", MB_STATUS, SCMI_ONE, 0,
      "reset protocol, no reset domain in the agent's view: NOT_SUPPORTED", &not_in_view },
    { "scmi-unknown-message", MB_STATUS, SCMI_ONE, 0, "base message 0x3f: NOT_FOUND",
      &no_msg },
    { "scmi-reserved-header", MB_STATUS, SCMI_ONE, 0,
      "reserved header bit 28 set: PROTOCOL_ERROR", &reserved },
    { "scmi-not-a-command", MB_STATUS, SCMI_ONE, 0,
      "message type 1 (delayed response) on the cmdq: PROTOCOL_ERROR", &not_command },
    { "scmi-bad-length", MB_STATUS, SCMI_ONE, 0,
      "PROTOCOL_VERSION with a parameter: PROTOCOL_ERROR", &bad_len },
    { "scmi-resource-out-of-view", MB_STATUS, SCMI_ONE, 0,
      "CLOCK_ATTRIBUTES of clock 5, outside the agent's view: NOT_FOUND", &clock_out },
    { "scmi-notify-out-of-view", MB_STATUS, SCMI_ONE, 0,
      "continuous updates of sensor 7, outside the view: NOT_FOUND", &notify_out },
    { "scmi-async-no-eventq", MB_STATUS, SCMI_NO_P2A, 0,
      "async SENSOR_READING_GET, P2A_CHANNELS withheld: NOT_SUPPORTED", &async_no_p2a },
    { "scmi-read-after-write", MB_RING, SCMI_ONE, 0,
      "the request's readable descriptor after the writable one", &after_write },
    { "scmi-chain-loop", MB_RING, SCMI_ONE, 0, "response descriptor's next points to itself",
      &loop },
    { "scmi-eventq-readable", MB_BUFFER, SCMI_EVENTQ_READABLE, 0,
      "eventq buffers made device-readable, then a delayed response owed", NULL },
    { "scmi-async-flood-sensor", MB_STATUS, SCMI_FLOOD_SENSOR, 0,
      "async sensor readings while no eventq buffer is given back: BUSY after 16 owed", NULL },
    { "scmi-async-flood-clock", MB_STATUS, SCMI_FLOOD_CLOCK, 0,
      "async clock rate sets while no eventq buffer is given back: BUSY after 16 owed", NULL },
};

static int run_one(struct guest_ctx *ctx, struct guest_dev *dev,
                   const struct guest_mb_case *c)
{
    const struct scmi_shape *s = c->data;
    struct vdrv_scmi_reply r;
    int err;

    vdrv_vq_misbehave(&dev->u.scmi.dev.vqs[VIRTIO_SCMI_VQ_TX], s->mb);
    err = vdrv_scmi_xfer_shaped(&dev->u.scmi, s->msg, s->len, s->wlen, &r);
    if (guest_mb_needs_reset(ctx, dev))
        return c->cls == MB_RING ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    if (err) {
        guest_fail(ctx, dev->node, "observed: transport error: %s", strerror(-err));
        return GUEST_EXIT_FAIL;
    }
    guest_info(ctx, dev->node, "observed: used len %u, status %d", r.used,
               r.used >= 8 ? (int)r.status : 0);
    if (c->cls == MB_BUFFER)
        return r.used == 0 ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
    return c->cls == MB_STATUS && r.used == 8 && r.status == s->status
           ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}

/* The eventq's traffic, seen by the driver. */
static struct {
    volatile bool arrived;
    uint32_t len;
} event;

static void on_event(struct vdrv_scmi *scmi, uint32_t hdr, const void *payload, uint32_t len)
{
    (void)scmi;
    (void)hdr;
    (void)payload;
    event.len = len;
    event.arrived = true;
}

/* One async command: the reply's status, or a transport error (< -10). */
static int async_command(struct vdrv_scmi *scmi, unsigned how)
{
    uint32_t sensor[2] = { 0, htole32(1) };
    uint32_t clock[4] = { htole32(1), 0, htole32(CLOCK_HZ), 0 };
    struct vdrv_scmi_reply r;
    int err = how == SCMI_FLOOD_CLOCK
              ? vdrv_scmi_xfer(scmi, P_CLOCK, 0x5, clock, sizeof(clock), 0, &r)
              : vdrv_scmi_xfer(scmi, P_SENSOR, 0x6, sensor, sizeof(sensor), 0, &r);

    return err ? -1000 : r.status;
}

/* The driver MUST post device-writable eventq buffers: these are not, so
 * the delayed response they were for goes back unwritten (used len 0). */
static int run_eventq_readable(struct guest_ctx *ctx, struct guest_dev *dev)
{
    struct vdrv_scmi *scmi = &dev->u.scmi;
    struct vdrv_vq *eventq = &scmi->dev.vqs[VIRTIO_SCMI_VQ_RX];
    int status;

    if (!scmi->p2a) {
        guest_fail(ctx, dev->node, "no eventq negotiated");
        return GUEST_EXIT_FAIL;
    }
    for (unsigned i = 0; i < eventq->num; i++)
        eventq->desc[i].flags &= (uint16_t)~DESC_F_WRITE;
    event.arrived = false;
    scmi->on_event = on_event;
    status = async_command(scmi, SCMI_FLOOD_SENSOR);
    vdrv_wait_for(&scmi->dev, eventq, &event.arrived, 2000);
    scmi->on_event = NULL;
    guest_info(ctx, dev->node, "observed: command status %d; eventq %s", status,
               !event.arrived ? "untouched" : event.len ? "buffer written" :
               "buffer given back with used len 0");
    return status == 0 && event.arrived && event.len == 0 ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}

/*
 * Async commands while the driver takes nothing back from the eventq: each
 * delayed response fills a posted buffer, then 16 wait in the engine, and
 * from then on the commands must be refused (BUSY), never accepted with a
 * delayed response that cannot be kept.
 */
static int run_flood(struct guest_ctx *ctx, struct guest_dev *dev, unsigned how)
{
    struct vdrv_scmi *scmi = &dev->u.scmi;
    unsigned room = scmi->p2a ? scmi->dev.vqs[VIRTIO_SCMI_VQ_RX].num + P2A_PENDING : 0;
    unsigned accepted = 0, busy = 0, other = 0;

    if (!scmi->p2a) {
        guest_fail(ctx, dev->node, "no eventq negotiated");
        return GUEST_EXIT_FAIL;
    }
    scmi->dev.vqs[VIRTIO_SCMI_VQ_RX].callback = NULL;
    for (unsigned i = 0; i < room + 4; i++) {
        int status = async_command(scmi, how);

        if (status == 0 && !busy)
            accepted++;
        else if (status == BUSY)
            busy++;
        else
            other++;
    }
    guest_info(ctx, dev->node, "observed: %u accepted, then %u BUSY, %u other "
               "(room for %u: eventq and %u owed)", accepted, busy, other, room,
               P2A_PENDING);
    return accepted == room && busy == 4 && other == 0 ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}

static int run_scmi(struct guest_ctx *ctx, struct guest_dev *dev,
                    const struct guest_mb_case *c)
{
    switch (c->how) {
    case SCMI_EVENTQ_READABLE:
        return run_eventq_readable(ctx, dev);
    case SCMI_FLOOD_SENSOR:
    case SCMI_FLOOD_CLOCK:
        return run_flood(ctx, dev, c->how);
    default:
        return run_one(ctx, dev, c);
    }
}

static void scmi_options(const struct guest_mb_case *c, struct vdrv_options *opts)
{
    if (c->how == SCMI_NO_P2A)
        opts->features_clear = VDRV_BIT(VIRTIO_SCMI_F_P2A_CHANNELS);
}

static int good_scmi(struct guest_ctx *ctx, struct guest_dev *dev, const char *when)
{
    uint32_t version = 0;
    int err = vdrv_scmi_base_version(&dev->u.scmi, &version);

    if (!err) {
        guest_info(ctx, dev->node, "%s: base protocol version %#x", when, version);
        return GUEST_EXIT_OK;
    }
    guest_fail(ctx, dev->node, "%s: base PROTOCOL_VERSION failed: %s", when, strerror(-err));
    return GUEST_EXIT_FAIL;
}

const struct guest_mb_table guest_mb_scmi = {
    .type = GUEST_DEV_SCMI,
    .device_id = GUEST_VIRTIO_ID_SCMI,
    .cases = scmi_cases,
    .nr_cases = sizeof(scmi_cases) / sizeof(scmi_cases[0]),
    .options = scmi_options,
    .run = run_scmi,
    .good = good_scmi,
};
