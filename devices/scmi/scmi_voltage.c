/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Voltage domain protocol 2.0. On/off is vote-counted like a power
 * domain; a level change is refused while another agent holds the domain
 * on, since its consumers run at the current level.
 */
#include "scmi_private.h"

#define VOLTAGE_VERSION     0x20000u
#define CONFIG_IMPL_DEFINED (1u << 3)
#define CONFIG_MODE_MASK    0x7u
#define CONFIG_ARCH_OFF     0x0u
#define CONFIG_ARCH_ON      0x7u
#define LEVEL_SET_ASYNC     (1u << 0)

static const struct xv_scmi_voltage_desc *desc(const struct xv_scmi_msg *m,
                                               unsigned index)
{
    return &m->server->platform->voltage[index];
}

static int32_t voltage_attributes_proto(struct xv_scmi_msg *m)
{
    xv_scmi_put_u32(m, m->agent->view[XV_SCMI_VOLTAGE].nr);
    return SCMI_SUCCESS;
}

static int32_t voltage_domain_attributes(struct xv_scmi_msg *m)
{
    unsigned i;
    uint32_t attr = 0;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    if (xv_scmi_name_is_long(desc(m, i)->name))
        attr |= 1u << 30;
    xv_scmi_put_u32(m, attr);
    xv_scmi_put_short_name(m, desc(m, i)->name);
    return SCMI_SUCCESS;
}

static int32_t voltage_describe_levels(struct xv_scmi_msg *m)
{
    uint32_t index = xv_scmi_param(m, 1);
    const struct xv_scmi_voltage_desc *d;
    unsigned i, n;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    d = desc(m, i);
    if (index >= d->nr_levels || (d->range && index != 0))
        return SCMI_OUT_OF_RANGE;
    /* A range's triplet comes whole: one 12-byte entry of three levels. */
    if (!xv_scmi_fit(m, d->range ? 12u : 4u, d->range ? 1u : d->nr_levels - index, &n))
        return SCMI_COMMS_ERROR;
    if (d->range)
        n = 3;
    xv_scmi_put_u32(m, n | (d->range ? 1u << 12 : 0) |
                           (uint32_t)(d->nr_levels - index - n) << 16);
    for (unsigned k = 0; k < n; k++)
        xv_scmi_put_u32(m, (uint32_t)d->levels_uv[index + k]);
    return SCMI_SUCCESS;
}

static int vote(struct xv_scmi_server *s, struct xv_scmi_agent *a, uint32_t id,
                unsigned index, bool on)
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    uint16_t *votes = &s->voltage_votes[index];
    int err;

    if ((bool)((a->voltage_on >> id) & 1u) == on)
        return 0;
    if ((on && *votes == 0) || (!on && *votes == 1)) {
        err = ops->voltage_enable ?
              ops->voltage_enable(s->platform->opaque, index, on) : 0;
        if (err)
            return err;
    }
    *votes = (uint16_t)(on ? *votes + 1 : *votes - 1);
    a->voltage_on ^= 1ull << id;
    return 0;
}

static int32_t voltage_config_set(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), config = xv_scmi_param(m, 1);
    uint32_t mode = config & CONFIG_MODE_MASK;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, id, &i))
        return SCMI_NOT_FOUND;
    if ((config & ~(CONFIG_IMPL_DEFINED | CONFIG_MODE_MASK)) ||
        (config & CONFIG_IMPL_DEFINED) ||
        (mode != CONFIG_ARCH_OFF && mode != CONFIG_ARCH_ON))
        return SCMI_INVALID_PARAMETERS;
    return xv_scmi_hw_status(vote(m->server, m->agent, id, i,
                                  mode == CONFIG_ARCH_ON));
}

static int32_t voltage_config_get(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, id, &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, ((m->agent->voltage_on >> id) & 1u) ? CONFIG_ARCH_ON
                                                          : CONFIG_ARCH_OFF);
    return SCMI_SUCCESS;
}

static bool valid_level(const struct xv_scmi_voltage_desc *d, int32_t uv)
{
    if (d->range) {
        return uv >= d->levels_uv[0] && uv <= d->levels_uv[1] &&
               ((uint32_t)uv - (uint32_t)d->levels_uv[0]) %
                   (uint32_t)d->levels_uv[2] == 0;
    }
    for (unsigned k = 0; k < d->nr_levels; k++) {
        if (d->levels_uv[k] == uv)
            return true;
    }
    return false;
}

static bool others_hold(const struct xv_scmi_server *s,
                        const struct xv_scmi_agent *self, unsigned index)
{
    for (unsigned a = 0; a < XV_SCMI_MAX_AGENTS; a++) {
        const struct xv_scmi_agent *o = s->agents[a];
        const struct xv_scmi_view *v;

        if (!o || o == self)
            continue;
        v = &o->view[XV_SCMI_VOLTAGE];
        for (unsigned id = 0; id < v->nr; id++) {
            if (v->map[id] == index && (o->voltage_on >> id) & 1u)
                return true;
        }
    }
    return false;
}

static int set_level(struct xv_scmi_server *s, unsigned index, int32_t uv)
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    int err;

    if (s->voltage_uv[index] == uv)
        return 0;
    err = ops->voltage_set_level ?
          ops->voltage_set_level(s->platform->opaque, index, uv) : 0;
    if (!err)
        s->voltage_uv[index] = uv;
    return err;
}

static int32_t voltage_level_set(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), flags = xv_scmi_param(m, 1);
    int32_t uv = (int32_t)xv_scmi_param(m, 2);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, id, &i))
        return SCMI_NOT_FOUND;
    if (flags & ~LEVEL_SET_ASYNC)
        return SCMI_INVALID_PARAMETERS;
    if (flags & LEVEL_SET_ASYNC)
        return SCMI_NOT_SUPPORTED;      /* never advertised (attr bit 31) */
    if (!valid_level(desc(m, i), uv))
        return SCMI_OUT_OF_RANGE;
    /* Another agent's consumers run at the current level: it may not move,
     * but asking for the level it is at changes nothing and is granted. */
    if (others_hold(m->server, m->agent, i) && m->server->voltage_uv[i] != uv)
        return SCMI_DENIED;
    return xv_scmi_hw_status(set_level(m->server, i, uv));
}

static int32_t voltage_level_get(struct xv_scmi_msg *m)
{
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, (uint32_t)m->server->voltage_uv[i]);
    return SCMI_SUCCESS;
}

static int32_t voltage_name_get(struct xv_scmi_msg *m)
{
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_VOLTAGE, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, 0);
    xv_scmi_put_ext_name(m, desc(m, i)->name);
    return SCMI_SUCCESS;
}

/* Levels an agent set return to the default once nobody holds the domain
 * on (the platform's own boot vote counts). */
static void voltage_drop(struct xv_scmi_server *s, struct xv_scmi_agent *a)
{
    const struct xv_scmi_view *v = &a->view[XV_SCMI_VOLTAGE];

    for (unsigned id = 0; id < v->nr && id < 64; id++) {
        unsigned i = v->map[id];

        (void)vote(s, a, id, i, false);
        if (s->voltage_votes[i] == 0)
            (void)set_level(s, i, s->platform->voltage[i].default_uv);
    }
    a->voltage_on = 0;
}

static const struct xv_scmi_cmd voltage_cmds[] = {
    [0x1] = { voltage_attributes_proto, 0, false, 0 },
    [0x3] = { voltage_domain_attributes, 4, false, 0 },
    [0x4] = { voltage_describe_levels, 8, false, 0 },
    [0x5] = { voltage_config_set, 8, false, 0 },
    [0x6] = { voltage_config_get, 4, false, 0 },
    [0x7] = { voltage_level_set, 12, false, 0 },
    [0x8] = { voltage_level_get, 4, false, 0 },
    [0x9] = { voltage_name_get, 4, false, 0 },
};

const struct xv_scmi_protocol xv_scmi_voltage_protocol = {
    .id = SCMI_PROTOCOL_VOLTAGE,
    .version = VOLTAGE_VERSION,
    .kind = XV_SCMI_VOLTAGE,
    .cmds = voltage_cmds,
    .nr_cmds = sizeof(voltage_cmds) / sizeof(voltage_cmds[0]),
    .drop = voltage_drop,
    .drop_stage = XV_SCMI_DROP_SUPPLY,
};
