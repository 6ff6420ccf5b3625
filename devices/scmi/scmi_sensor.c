/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Sensor management protocol 2.0: scalar sensors, readings from the
 * platform with an optional timestamp, continuous-update notifications.
 */
#include "scmi_private.h"

#define SENSOR_VERSION      0x20000u
#define SENSOR_UPDATE       0x1u
#define DESCRIPTOR_BYTES    28u
#define READING_ASYNC       (1u << 0)
#define CONFIG_ENABLED      (1u << 0)
#define CONFIG_RESERVED     0x000001fcu     /* bits 8:2 */

static const struct xv_scmi_sensor_desc *desc(const struct xv_scmi_msg *m,
                                              unsigned index)
{
    return &m->server->platform->sensors[index];
}

static int32_t sensor_attributes_proto(struct xv_scmi_msg *m)
{
    /* Asynchronous reads are served but not advertised (see the clock's
     * PROTOCOL_ATTRIBUTES): a reading is immediate. */
    xv_scmi_put_u32(m, m->agent->view[XV_SCMI_SENSOR].nr);
    xv_scmi_put_u32(m, 0);      /* no sensor registers shared memory */
    xv_scmi_put_u32(m, 0);
    xv_scmi_put_u32(m, 0);
    return SCMI_SUCCESS;
}

static void put_descriptor(struct xv_scmi_msg *m, uint32_t id, unsigned index)
{
    const struct xv_scmi_sensor_desc *d = desc(m, index);
    uint32_t low = 0, high;

    if (xv_scmi_has_p2a(m->agent))
        low |= 1u << 30;                /* continuous update notifications */
    high = ((uint32_t)d->unit_exp & 0x1fu) << 11 | d->unit_type;
    xv_scmi_put_u32(m, id);
    xv_scmi_put_u32(m, low);
    xv_scmi_put_u32(m, high);
    xv_scmi_put_short_name(m, d->name);
}

static int32_t sensor_description_get(struct xv_scmi_msg *m)
{
    const struct xv_scmi_view *v = &m->agent->view[XV_SCMI_SENSOR];
    uint32_t index = xv_scmi_param(m, 0);
    unsigned n;

    if (index >= v->nr)
        return SCMI_INVALID_PARAMETERS;
    if (!xv_scmi_fit(m, DESCRIPTOR_BYTES, v->nr - index, &n))
        return SCMI_COMMS_ERROR;
    xv_scmi_put_u32(m, n | (uint32_t)(v->nr - index - n) << 16);
    for (unsigned k = 0; k < n; k++)
        put_descriptor(m, index + k, v->map[index + k]);
    return SCMI_SUCCESS;
}

static int read_sensor(struct xv_scmi_server *s, unsigned index,
                       uint32_t reading[4])
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    uint64_t ts = 0;
    int64_t value = 0;
    int err;

    if (!ops->sensor_read)
        return -1;
    err = ops->sensor_read(s->platform->opaque, index, &value, &ts);
    if (err)
        return err;
    reading[0] = (uint32_t)(uint64_t)value;
    reading[1] = (uint32_t)((uint64_t)value >> 32);
    reading[2] = (uint32_t)ts;
    reading[3] = (uint32_t)(ts >> 32);
    return 0;
}

static int32_t sensor_reading_get(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), flags = xv_scmi_param(m, 1);
    uint32_t reading[4];
    int32_t status;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, id, &i))
        return SCMI_NOT_FOUND;
    if (flags & ~READING_ASYNC)
        return SCMI_INVALID_PARAMETERS;
    if ((flags & READING_ASYNC) && !xv_scmi_has_p2a(m->agent))
        return SCMI_NOT_SUPPORTED;
    /* A delayed response owed must never be lost: no room, no reading. */
    if ((flags & READING_ASYNC) && xv_scmi_delayed_full(m->agent))
        return SCMI_BUSY;
    status = xv_scmi_hw_status(read_sensor(m->server, i, reading));
    if (flags & READING_ASYNC) {
        uint32_t payload[6] = { (uint32_t)status, id, reading[0], reading[1],
                                reading[2], reading[3] };

        xv_scmi_send_delayed(m->server, m->agent, m->hdr, payload,
                             status == SCMI_SUCCESS ? sizeof(payload) : 4);
        return SCMI_SUCCESS;
    }
    for (unsigned k = 0; status == SCMI_SUCCESS && k < 4; k++)
        xv_scmi_put_u32(m, reading[k]);
    return status;
}

static int32_t sensor_trip_point_notify(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), enable = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, id, &i))
        return SCMI_NOT_FOUND;
    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (enable)
        m->agent->notify[XV_SCMI_NOTIFY_SENSOR_TRIP] |= 1ull << id;
    else
        m->agent->notify[XV_SCMI_NOTIFY_SENSOR_TRIP] &= ~(1ull << id);
    return SCMI_SUCCESS;
}

/* Descriptors report 0 trip points, so every trip point id is invalid. */
static int32_t sensor_trip_point_config(struct xv_scmi_msg *m)
{
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    return SCMI_INVALID_PARAMETERS;
}

/* One discrete interval, seconds in bits 20:5 and a zero exponent. */
static int32_t sensor_list_update_intervals(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), index = xv_scmi_param(m, 1);
    uint32_t secs;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, id, &i))
        return SCMI_NOT_FOUND;
    secs = desc(m, i)->update_interval_s;
    if (secs == 0)
        return SCMI_NOT_SUPPORTED;
    if (index != 0)
        return SCMI_OUT_OF_RANGE;
    if (secs > 0xffffu)
        secs = 0xffffu;
    xv_scmi_put_u32(m, 1u);
    xv_scmi_put_u32(m, secs << 5);
    return SCMI_SUCCESS;
}

/* Stored with bit 0 inverted, so an agent's zeroed state means enabled. */
static int32_t sensor_config_get(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, id, &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, m->agent->sensor_config[id] ^ CONFIG_ENABLED);
    return SCMI_SUCCESS;
}

static int32_t sensor_config_set(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), config = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, id, &i))
        return SCMI_NOT_FOUND;
    if (config & CONFIG_RESERVED)
        return SCMI_INVALID_PARAMETERS;
    m->agent->sensor_config[id] = config ^ CONFIG_ENABLED;
    return SCMI_SUCCESS;
}

static int32_t sensor_continuous_update_notify(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), enable = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_SENSOR, id, &i))
        return SCMI_NOT_FOUND;
    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (enable)
        m->agent->notify[XV_SCMI_NOTIFY_SENSOR_UPDATE] |= 1ull << id;
    else
        m->agent->notify[XV_SCMI_NOTIFY_SENSOR_UPDATE] &= ~(1ull << id);
    return SCMI_SUCCESS;
}

void xv_scmi_sensor_changed(struct xv_scmi_server *server, unsigned sensor)
{
    uint32_t payload[6] = { 0, 0 };

    if (sensor >= server->platform->nr_sensors ||
        read_sensor(server, sensor, payload + 2))
        return;
    xv_scmi_notify(server, XV_SCMI_SENSOR, sensor, XV_SCMI_NOTIFY_SENSOR_UPDATE,
                   SCMI_PROTOCOL_SENSOR, SENSOR_UPDATE, payload, sizeof(payload));
}

static void sensor_drop(struct xv_scmi_server *s, struct xv_scmi_agent *a)
{
    (void)s;
    for (unsigned id = 0; id < XV_SCMI_MAX_RESOURCES; id++)
        a->sensor_config[id] = 0;
}

/* AXIS_DESCRIPTION_GET (0x7) is absent: every sensor is scalar. */
static const struct xv_scmi_cmd sensor_cmds[] = {
    [0x1] = { sensor_attributes_proto, 0, false, 0 },
    [0x3] = { sensor_description_get, 4, false, 0 },
    [0x4] = { sensor_trip_point_notify, 8, true, 0 },
    [0x5] = { sensor_trip_point_config, 16, false, 0 },
    [0x6] = { sensor_reading_get, 8, false, 0 },
    [0x8] = { sensor_list_update_intervals, 8, false, 0 },
    [0x9] = { sensor_config_get, 4, false, 0 },
    [0xA] = { sensor_config_set, 8, false, 0 },
    [0xB] = { sensor_continuous_update_notify, 8, true, 0 },
};

const struct xv_scmi_protocol xv_scmi_sensor_protocol = {
    .id = SCMI_PROTOCOL_SENSOR,
    .version = SENSOR_VERSION,
    .kind = XV_SCMI_SENSOR,
    .cmds = sensor_cmds,
    .nr_cmds = sizeof(sensor_cmds) / sizeof(sensor_cmds[0]),
    .drop = sensor_drop,
    .drop_stage = XV_SCMI_DROP_CONSUMER,
};
