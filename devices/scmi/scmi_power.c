/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Power domain protocol 2.0: on/off, vote-counted per physical domain;
 * STATE_GET answers the agent's own view, so a freshly booted guest never
 * believes a domain is on that only another agent keeps on.
 */
#include "scmi_private.h"

#define POWER_VERSION           0x20000u
#define POWER_STATE_CHANGED     0x0u
#define POWER_STATE_ON          0x00000000u
#define POWER_STATE_OFF         0x40000000u
#define POWER_STATE_VALID_MASK  0x4fffffffu

static int32_t power_attributes_proto(struct xv_scmi_msg *m)
{
    xv_scmi_put_u32(m, m->agent->view[XV_SCMI_POWER].nr);
    xv_scmi_put_u32(m, 0);      /* no statistics shared memory */
    xv_scmi_put_u32(m, 0);
    xv_scmi_put_u32(m, 0);
    return SCMI_SUCCESS;
}

static int32_t power_domain_attributes(struct xv_scmi_msg *m)
{
    unsigned i;
    uint32_t attr = 1u << 29;   /* synchronous set: what Linux uses */

    if (!xv_scmi_lookup(m->agent, XV_SCMI_POWER, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    if (xv_scmi_has_p2a(m->agent))
        attr |= 1u << 31;
    xv_scmi_put_u32(m, attr);
    xv_scmi_put_short_name(m, m->server->platform->power[i].name);
    return SCMI_SUCCESS;
}

static int vote(struct xv_scmi_server *s, struct xv_scmi_agent *a, uint32_t id,
                unsigned index, bool on)
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    uint16_t *votes = &s->power_votes[index];
    uint32_t payload[3];
    bool change;
    int err;

    if ((bool)((a->power_on >> id) & 1u) == on)
        return 0;
    change = (on && *votes == 0) || (!on && *votes == 1);
    if (change) {
        err = ops->power_set ? ops->power_set(s->platform->opaque, index, on) : 0;
        if (err)
            return err;
    }
    *votes = (uint16_t)(on ? *votes + 1 : *votes - 1);
    a->power_on ^= 1ull << id;
    if (change) {
        payload[0] = a->id;
        payload[1] = 0;
        payload[2] = on ? POWER_STATE_ON : POWER_STATE_OFF;
        xv_scmi_notify(s, XV_SCMI_POWER, index, XV_SCMI_NOTIFY_POWER_STATE,
                       SCMI_PROTOCOL_POWER, POWER_STATE_CHANGED, payload,
                       sizeof(payload));
    }
    return 0;
}

static int32_t power_state_set(struct xv_scmi_msg *m)
{
    uint32_t flags = xv_scmi_param(m, 0), id = xv_scmi_param(m, 1);
    uint32_t state = xv_scmi_param(m, 2);
    unsigned i;

    if (flags & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (!xv_scmi_lookup(m->agent, XV_SCMI_POWER, id, &i))
        return SCMI_NOT_FOUND;
    if (flags & 1u)
        return SCMI_NOT_SUPPORTED;      /* async set is not advertised */
    if ((state & ~POWER_STATE_VALID_MASK) ||
        (state != POWER_STATE_ON && state != POWER_STATE_OFF))
        return SCMI_INVALID_PARAMETERS;
    return xv_scmi_hw_status(vote(m->server, m->agent, id, i,
                                  state == POWER_STATE_ON));
}

static int32_t power_state_get(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_POWER, id, &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, ((m->agent->power_on >> id) & 1u) ? POWER_STATE_ON
                                                        : POWER_STATE_OFF);
    return SCMI_SUCCESS;
}

static int32_t power_state_notify(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), enable = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_POWER, id, &i))
        return SCMI_NOT_FOUND;
    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (enable)
        m->agent->notify[XV_SCMI_NOTIFY_POWER_STATE] |= 1ull << id;
    else
        m->agent->notify[XV_SCMI_NOTIFY_POWER_STATE] &= ~(1ull << id);
    return SCMI_SUCCESS;
}

static void power_drop(struct xv_scmi_server *s, struct xv_scmi_agent *a)
{
    const struct xv_scmi_view *v = &a->view[XV_SCMI_POWER];

    for (unsigned id = 0; id < v->nr && id < 64; id++)
        (void)vote(s, a, id, v->map[id], false);
    a->power_on = 0;
}

static const struct xv_scmi_cmd power_cmds[] = {
    [0x1] = { power_attributes_proto, 0, false, 0 },
    [0x3] = { power_domain_attributes, 4, false, 0 },
    [0x4] = { power_state_set, 12, false, 0 },
    [0x5] = { power_state_get, 4, false, 0 },
    [0x6] = { power_state_notify, 8, true, 0 },
};

const struct xv_scmi_protocol xv_scmi_power_protocol = {
    .id = SCMI_PROTOCOL_POWER,
    .version = POWER_VERSION,
    .kind = XV_SCMI_POWER,
    .cmds = power_cmds,
    .nr_cmds = sizeof(power_cmds) / sizeof(power_cmds[0]),
    .drop = power_drop,
    .drop_stage = XV_SCMI_DROP_DOMAIN,
};
