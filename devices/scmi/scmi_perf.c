/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Performance domain protocol 2.0. Agents vote: the physical level
 * is the highest level any agent asked for, clamped to the intersection
 * of their limits (so nobody gets less than it asked, unless another
 * agent's limit forbids it). LEVEL_GET answers the physical level, which
 * is what runs; LIMITS_GET the agent's own limits.
 */
#include "scmi_private.h"

#define PERF_VERSION        0x20000u
#define PERF_LIMITS_CHANGED 0x0u
#define PERF_LEVEL_CHANGED  0x1u
#define LEVEL_BYTES         12u

static const struct xv_scmi_perf_desc *desc(const struct xv_scmi_msg *m,
                                            unsigned index)
{
    return &m->server->platform->perf[index];
}

static uint32_t lowest(const struct xv_scmi_perf_desc *d)
{
    return d->levels[0].level;
}

static uint32_t highest(const struct xv_scmi_perf_desc *d)
{
    return d->levels[d->nr_levels - 1].level;
}

static bool is_level(const struct xv_scmi_perf_desc *d, uint32_t level)
{
    for (unsigned i = 0; i < d->nr_levels; i++) {
        if (d->levels[i].level == level)
            return true;
    }
    return false;
}

static int32_t perf_attributes_proto(struct xv_scmi_msg *m)
{
    xv_scmi_put_u32(m, m->agent->view[XV_SCMI_PERF].nr | 1u << 16); /* mW */
    xv_scmi_put_u32(m, 0);      /* no statistics shared memory */
    xv_scmi_put_u32(m, 0);
    xv_scmi_put_u32(m, 0);
    return SCMI_SUCCESS;
}

static int32_t perf_domain_attributes(struct xv_scmi_msg *m)
{
    const struct xv_scmi_perf_desc *d;
    uint32_t attr = 1u << 31 | 1u << 30;    /* can set limits and level */
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    d = desc(m, i);
    if (xv_scmi_has_p2a(m->agent))
        attr |= 1u << 29 | 1u << 28;
    xv_scmi_put_u32(m, attr);
    xv_scmi_put_u32(m, d->rate_limit_us & 0xfffffu);
    xv_scmi_put_u32(m, d->sustained_freq_khz);
    xv_scmi_put_u32(m, d->sustained_level);
    xv_scmi_put_short_name(m, d->name);
    return SCMI_SUCCESS;
}

static int32_t perf_describe_levels(struct xv_scmi_msg *m)
{
    uint32_t index = xv_scmi_param(m, 1);
    const struct xv_scmi_perf_desc *d;
    unsigned i, n;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    d = desc(m, i);
    if (index >= d->nr_levels)
        return SCMI_OUT_OF_RANGE;
    if (!xv_scmi_fit(m, LEVEL_BYTES, d->nr_levels - index, &n))
        return SCMI_COMMS_ERROR;
    xv_scmi_put_u32(m, n | (uint32_t)(d->nr_levels - index - n) << 16);
    for (unsigned k = 0; k < n; k++) {
        const struct xv_scmi_perf_level *l = &d->levels[index + k];

        xv_scmi_put_u32(m, l->level);
        xv_scmi_put_u32(m, l->power_cost);
        xv_scmi_put_u32(m, l->latency_us);
    }
    return SCMI_SUCCESS;
}

static void notify(struct xv_scmi_server *s, const struct xv_scmi_agent *by,
                   unsigned index, unsigned slot, uint8_t msg,
                   uint32_t a, uint32_t b, size_t words)
{
    uint32_t payload[4] = { by ? by->id : 0, 0, a, b };

    xv_scmi_notify(s, XV_SCMI_PERF, index, slot, SCMI_PROTOCOL_PERF, msg,
                   payload, words * 4);
}

/* Recompute the physical limits and level from every agent's votes. */
static int apply(struct xv_scmi_server *s, const struct xv_scmi_agent *by,
                 unsigned index)
{
    const struct xv_scmi_perf_desc *d = &s->platform->perf[index];
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    uint32_t min = lowest(d), max = highest(d), want = 0, level;

    for (unsigned a = 0; a < XV_SCMI_MAX_AGENTS; a++) {
        const struct xv_scmi_agent *o = s->agents[a];
        const struct xv_scmi_view *v;

        if (!o)
            continue;
        v = &o->view[XV_SCMI_PERF];
        for (unsigned id = 0; id < v->nr; id++) {
            if (v->map[id] != index)
                continue;
            if (o->perf_min[id] > min)
                min = o->perf_min[id];
            if (o->perf_max[id] && o->perf_max[id] < max)
                max = o->perf_max[id];
            if (o->perf_level[id] > want)
                want = o->perf_level[id];
        }
    }
    if (min > max)      /* disjoint limits: the lower agent's max wins */
        min = max;
    level = want ? want : d->default_level;
    level = level < min ? min : level > max ? max : level;
    /* Snap to a real level: the lowest one at or above, within max. */
    for (unsigned k = 0; k < d->nr_levels; k++) {
        if (d->levels[k].level >= level && d->levels[k].level <= max) {
            level = d->levels[k].level;
            break;
        }
    }
    if (min != s->perf_min[index] || max != s->perf_max[index]) {
        s->perf_min[index] = min;
        s->perf_max[index] = max;
        notify(s, by, index, XV_SCMI_NOTIFY_PERF_LIMITS, PERF_LIMITS_CHANGED,
               max, min, 4);
    }
    if (level != s->perf_level[index]) {
        int err = ops->perf_set_level ?
                  ops->perf_set_level(s->platform->opaque, index, level) : 0;

        if (err)
            return err;
        s->perf_level[index] = level;
        notify(s, by, index, XV_SCMI_NOTIFY_PERF_LEVEL, PERF_LEVEL_CHANGED,
               level, 0, 3);
    }
    return 0;
}

static int32_t perf_limits_set(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), max = xv_scmi_param(m, 1);
    uint32_t min = xv_scmi_param(m, 2);
    const struct xv_scmi_perf_desc *d;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, id, &i))
        return SCMI_NOT_FOUND;
    d = desc(m, i);
    if (min > max)
        return SCMI_INVALID_PARAMETERS;
    if (min < lowest(d) || max > highest(d))
        return SCMI_OUT_OF_RANGE;
    m->agent->perf_min[id] = min;
    m->agent->perf_max[id] = max;
    return xv_scmi_hw_status(apply(m->server, m->agent, i));
}

static int32_t perf_limits_get(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0);
    const struct xv_scmi_perf_desc *d;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, id, &i))
        return SCMI_NOT_FOUND;
    d = desc(m, i);
    xv_scmi_put_u32(m, m->agent->perf_max[id] ? m->agent->perf_max[id]
                                              : highest(d));
    xv_scmi_put_u32(m, m->agent->perf_min[id] ? m->agent->perf_min[id]
                                              : lowest(d));
    return SCMI_SUCCESS;
}

static int32_t perf_level_set(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), level = xv_scmi_param(m, 1);
    uint32_t min, max;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, id, &i))
        return SCMI_NOT_FOUND;
    if (!is_level(desc(m, i), level))
        return SCMI_OUT_OF_RANGE;
    min = m->agent->perf_min[id];
    max = m->agent->perf_max[id];
    if (level < min || (max && level > max))
        return SCMI_OUT_OF_RANGE;
    m->agent->perf_level[id] = level;
    return xv_scmi_hw_status(apply(m->server, m->agent, i));
}

static int32_t perf_level_get(struct xv_scmi_msg *m)
{
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, m->server->perf_level[i]);
    return SCMI_SUCCESS;
}

static int32_t subscribe(struct xv_scmi_msg *m, unsigned slot)
{
    uint32_t id = xv_scmi_param(m, 0), enable = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_PERF, id, &i))
        return SCMI_NOT_FOUND;
    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (enable)
        m->agent->notify[slot] |= 1ull << id;
    else
        m->agent->notify[slot] &= ~(1ull << id);
    return SCMI_SUCCESS;
}

static int32_t perf_notify_limits(struct xv_scmi_msg *m)
{
    return subscribe(m, XV_SCMI_NOTIFY_PERF_LIMITS);
}

static int32_t perf_notify_level(struct xv_scmi_msg *m)
{
    return subscribe(m, XV_SCMI_NOTIFY_PERF_LEVEL);
}

static void perf_drop(struct xv_scmi_server *s, struct xv_scmi_agent *a)
{
    const struct xv_scmi_view *v = &a->view[XV_SCMI_PERF];
    bool had[XV_SCMI_MAX_RESOURCES] = { false };

    for (unsigned id = 0; id < v->nr; id++) {
        had[id] = a->perf_level[id] || a->perf_min[id] || a->perf_max[id];
        a->perf_level[id] = a->perf_min[id] = a->perf_max[id] = 0;
    }
    for (unsigned id = 0; id < v->nr; id++) {
        if (had[id])
            (void)apply(s, NULL, v->map[id]);
    }
}

/* DESCRIBE_FASTCHANNEL (0xB) is absent: fast channels do not exist over
 * virtio, and DOMAIN_ATTRIBUTES never advertises one. */
static const struct xv_scmi_cmd perf_cmds[] = {
    [0x1] = { perf_attributes_proto, 0, false, 0 },
    [0x3] = { perf_domain_attributes, 4, false, 0 },
    [0x4] = { perf_describe_levels, 8, false, 0 },
    [0x5] = { perf_limits_set, 12, false, 0 },
    [0x6] = { perf_limits_get, 4, false, 0 },
    [0x7] = { perf_level_set, 8, false, 0 },
    [0x8] = { perf_level_get, 4, false, 0 },
    [0x9] = { perf_notify_limits, 8, true, 0 },
    [0xA] = { perf_notify_level, 8, true, 0 },
};

const struct xv_scmi_protocol xv_scmi_perf_protocol = {
    .id = SCMI_PROTOCOL_PERF,
    .version = PERF_VERSION,
    .kind = XV_SCMI_PERF,
    .cmds = perf_cmds,
    .nr_cmds = sizeof(perf_cmds) / sizeof(perf_cmds[0]),
    .drop = perf_drop,
    .drop_stage = XV_SCMI_DROP_DOMAIN,
};
