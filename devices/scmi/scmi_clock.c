/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Clock protocol 2.0 (never 3.0: Linux 6.1 would send a 2-word
 * CLOCK_CONFIG_SET to a 3.0 platform). Enables are vote-counted per
 * physical clock; each agent reads back its own enable state.
 */
#include <string.h>

#include "scmi_private.h"

#define CLOCK_VERSION 0x20000u
#define CLOCK_RATE_CHANGED 0x0u

#define RATE_SET_ASYNC          (1u << 0)
#define RATE_SET_IGNORE_DELAYED (1u << 1)
#define RATE_SET_ROUND_UP       (1u << 2)
#define RATE_SET_ROUND_AUTO     (1u << 3)

static const struct xv_scmi_clock_desc *desc(const struct xv_scmi_msg *m,
                                             unsigned index)
{
    return &m->server->platform->clocks[index];
}

static int32_t clock_attributes_proto(struct xv_scmi_msg *m)
{
    /* Asynchronous rate changes are served (with P2A) but not advertised:
     * a delayed response can reach Linux before its response (the eventq
     * is first in virtio-mmio's interrupt loop), which it logs as an
     * error. Every change here completes at once anyway. */
    xv_scmi_put_u32(m, m->agent->view[XV_SCMI_CLOCK].nr);
    return SCMI_SUCCESS;
}

static int32_t clock_attributes(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), attr;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, id, &i))
        return SCMI_NOT_FOUND;
    attr = (m->agent->clock_on >> id) & 1u;
    if (xv_scmi_has_p2a(m->agent))
        attr |= 1u << 31;       /* rate changed notifications */
    if (xv_scmi_name_is_long(desc(m, i)->name))
        attr |= 1u << 29;
    /* Always the 24-byte form: Linux 6.1 reads the latency word without
     * checking the length it got. */
    xv_scmi_put_u32(m, attr);
    xv_scmi_put_short_name(m, desc(m, i)->name);
    xv_scmi_put_u32(m, desc(m, i)->enable_latency_us);
    return SCMI_SUCCESS;
}

static void put_rate(struct xv_scmi_msg *m, uint64_t rate)
{
    xv_scmi_put_u32(m, (uint32_t)rate);
    xv_scmi_put_u32(m, (uint32_t)(rate >> 32));
}

static int32_t clock_describe_rates(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), index = xv_scmi_param(m, 1);
    const struct xv_scmi_clock_desc *c;
    unsigned i, n;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, id, &i))
        return SCMI_NOT_FOUND;
    c = desc(m, i);
    if (c->range) {
        /* The range triplet comes whole, whatever the index asked. */
        if (!xv_scmi_fit(m, 3 * 8, 1, &n))
            return SCMI_COMMS_ERROR;
        xv_scmi_put_u32(m, 3u | 1u << 12);
        for (unsigned k = 0; k < 3; k++)
            put_rate(m, c->rates[k]);
        return SCMI_SUCCESS;
    }
    if (index >= c->nr_rates)
        return SCMI_OUT_OF_RANGE;
    if (!xv_scmi_fit(m, 8, c->nr_rates - index, &n))
        return SCMI_COMMS_ERROR;
    xv_scmi_put_u32(m, n | (uint32_t)(c->nr_rates - index - n) << 16);
    for (unsigned k = 0; k < n; k++)
        put_rate(m, c->rates[index + k]);
    return SCMI_SUCCESS;
}

/* 64-bit division without the compiler's runtime helper (freestanding
 * targets link no libgcc); only range clocks need it. */
static uint64_t udiv64(uint64_t n, uint64_t d)
{
    uint64_t q = 0, r = 0;

    for (int i = 63; i >= 0; i--) {
        r = r << 1 | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    return q;
}

/* The supported rate a request means: exact, else rounded as the flags
 * say (down unless ROUND_UP; ROUND_AUTO: the nearest). Rounding stays
 * between the clock's lowest and highest rates: outside them a rate is
 * not supported (INVALID_PARAMETERS, as SCP answers and the ACS checks),
 * for discrete and range clocks alike. 0 if none. */
static uint64_t pick_rate(const struct xv_scmi_clock_desc *c, uint64_t want,
                          uint32_t flags)
{
    uint64_t lo = c->rates[0], hi = c->rates[c->range ? 1 : c->nr_rates - 1];
    uint64_t below = 0, above = 0;

    if (want < lo || want > hi)
        return 0;
    if (c->range) {
        uint64_t step = c->rates[2], k = udiv64(want - lo, step);

        below = lo + k * step;
        above = below == want || below + step > hi ? below : below + step;
    } else {
        for (unsigned i = 0; i < c->nr_rates; i++) {
            if (c->rates[i] <= want)
                below = c->rates[i];
            if (c->rates[i] >= want && !above)
                above = c->rates[i];
        }
    }
    if (below == want)
        return want;
    if (flags & RATE_SET_ROUND_AUTO)
        return want - below <= above - want ? below : above;
    return (flags & RATE_SET_ROUND_UP) ? above : below;
}

static bool others_hold(const struct xv_scmi_server *s,
                        const struct xv_scmi_agent *self, unsigned index)
{
    for (unsigned a = 0; a < XV_SCMI_MAX_AGENTS; a++) {
        const struct xv_scmi_agent *o = s->agents[a];
        const struct xv_scmi_view *v;

        if (!o || o == self)
            continue;
        v = &o->view[XV_SCMI_CLOCK];
        for (unsigned id = 0; id < v->nr; id++) {
            if (v->map[id] == index && (o->clock_on >> id) & 1u)
                return true;
        }
    }
    return false;
}

static int set_rate(struct xv_scmi_server *s, const struct xv_scmi_agent *by,
                    unsigned index, uint64_t rate)
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    uint32_t payload[4];
    int err;

    if (s->clock_rate[index] == rate)
        return 0;
    err = ops->clock_set_rate ?
          ops->clock_set_rate(s->platform->opaque, index, rate) : 0;
    if (err)
        return err;
    s->clock_rate[index] = rate;
    payload[0] = by ? by->id : 0;
    payload[1] = 0;
    payload[2] = (uint32_t)rate;
    payload[3] = (uint32_t)(rate >> 32);
    xv_scmi_notify(s, XV_SCMI_CLOCK, index, XV_SCMI_NOTIFY_CLOCK_RATE,
                   SCMI_PROTOCOL_CLOCK, CLOCK_RATE_CHANGED, payload,
                   sizeof(payload));
    return 0;
}

/* A rate an agent asked for: it owns it until it drops its votes. */
static int32_t set_rate_by(struct xv_scmi_server *s, const struct xv_scmi_agent *by,
                           unsigned index, uint64_t rate)
{
    int32_t status = xv_scmi_hw_status(set_rate(s, by, index, rate));

    if (status == SCMI_SUCCESS)
        s->clock_rate_by[index] = (uint16_t)by->id;
    return status;
}

static int32_t clock_rate_set(struct xv_scmi_msg *m)
{
    uint32_t flags = xv_scmi_param(m, 0), id = xv_scmi_param(m, 1);
    uint64_t want = xv_scmi_param(m, 2) | (uint64_t)xv_scmi_param(m, 3) << 32;
    uint64_t rate;
    unsigned i;
    int32_t status;

    if (flags & ~0xfu)
        return SCMI_INVALID_PARAMETERS;
    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, id, &i))
        return SCMI_NOT_FOUND;
    if ((flags & RATE_SET_ASYNC) && !xv_scmi_has_p2a(m->agent))
        return SCMI_NOT_SUPPORTED;
    /* A delayed response owed must never be lost: no room, no command. */
    if ((flags & RATE_SET_ASYNC) && !(flags & RATE_SET_IGNORE_DELAYED) &&
        xv_scmi_delayed_full(m->agent))
        return SCMI_BUSY;
    rate = pick_rate(desc(m, i), want, flags);
    if (!rate)
        return SCMI_INVALID_PARAMETERS;
    /* A rate change under another agent's running clock would break it;
     * asking for the rate it already runs at changes nothing, so it is
     * granted (and whoever set the rate still owns it). */
    if (!others_hold(m->server, m->agent, i))
        status = set_rate_by(m->server, m->agent, i, rate);
    else if (m->server->clock_rate[i] != rate)
        return SCMI_DENIED;
    else
        status = SCMI_SUCCESS;
    if ((flags & RATE_SET_ASYNC) && !(flags & RATE_SET_IGNORE_DELAYED)) {
        uint32_t payload[4] = { (uint32_t)status, id, (uint32_t)rate,
                                (uint32_t)(rate >> 32) };

        /* The command itself was accepted; the outcome travels later. */
        xv_scmi_send_delayed(m->server, m->agent, m->hdr, payload,
                             status == SCMI_SUCCESS ? sizeof(payload) : 4);
        return SCMI_SUCCESS;
    }
    return status;
}

static int32_t clock_rate_get(struct xv_scmi_msg *m)
{
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    put_rate(m, m->server->clock_rate[i]);
    return SCMI_SUCCESS;
}

/* A rate whose agent is gone returns to the default once nobody runs
 * the clock (changing it earlier would break the agents running it). */
static void restore_orphan_rate(struct xv_scmi_server *s, unsigned index)
{
    if (s->clock_votes[index] == 0 && s->clock_rate_by[index] == XV_SCMI_RATE_ORPHAN &&
        set_rate(s, NULL, index, s->platform->clocks[index].default_rate) == 0)
        s->clock_rate_by[index] = 0;
}

/* One agent's vote: the physical clock moves on 0->1 and 1->0 only. */
static int vote(struct xv_scmi_server *s, struct xv_scmi_agent *a, uint32_t id,
                unsigned index, bool on)
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);
    bool was = (a->clock_on >> id) & 1u;
    uint16_t *votes = &s->clock_votes[index];
    int err = 0;

    if (was == on)
        return 0;
    if ((on && *votes == 0) || (!on && *votes == 1)) {
        err = ops->clock_enable ?
              ops->clock_enable(s->platform->opaque, index, on) : 0;
        if (err)
            return err;
    }
    *votes = (uint16_t)(on ? *votes + 1 : *votes - 1);
    a->clock_on ^= 1ull << id;
    restore_orphan_rate(s, index);
    return 0;
}

static int32_t clock_config_set(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), attr = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, id, &i))
        return SCMI_NOT_FOUND;
    if (attr & ~1u)
        return SCMI_INVALID_PARAMETERS;
    return xv_scmi_hw_status(vote(m->server, m->agent, id, i, attr & 1u));
}

static int32_t clock_name_get(struct xv_scmi_msg *m)
{
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, 0);
    xv_scmi_put_ext_name(m, desc(m, i)->name);
    return SCMI_SUCCESS;
}

static int32_t subscribe(struct xv_scmi_msg *m, unsigned slot)
{
    uint32_t id = xv_scmi_param(m, 0), enable = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, id, &i))
        return SCMI_NOT_FOUND;
    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (enable)
        m->agent->notify[slot] |= 1ull << id;
    else
        m->agent->notify[slot] &= ~(1ull << id);
    return SCMI_SUCCESS;
}

static int32_t clock_rate_notify(struct xv_scmi_msg *m)
{
    return subscribe(m, XV_SCMI_NOTIFY_CLOCK_RATE);
}

/* Nobody else asks us to change a clock, so there is never a "change
 * requested" to report; subscribing is accepted. */
static int32_t clock_rate_change_requested_notify(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_CLOCK, id, &i))
        return SCMI_NOT_FOUND;
    return (xv_scmi_param(m, 1) & ~1u) ? SCMI_INVALID_PARAMETERS : SCMI_SUCCESS;
}

static void clock_drop(struct xv_scmi_server *s, struct xv_scmi_agent *a)
{
    const struct xv_scmi_view *v = &a->view[XV_SCMI_CLOCK];

    for (unsigned id = 0; id < v->nr && id < 64; id++) {
        unsigned i = v->map[id];

        if (s->clock_rate_by[i] == a->id)
            s->clock_rate_by[i] = XV_SCMI_RATE_ORPHAN;
        (void)vote(s, a, id, i, false);
        restore_orphan_rate(s, i);
    }
    a->clock_on = 0;
}

static const struct xv_scmi_cmd clock_cmds[] = {
    [0x1] = { clock_attributes_proto, 0, false, 0 },
    [0x3] = { clock_attributes, 4, false, 0 },
    [0x4] = { clock_describe_rates, 8, false, 0 },
    [0x5] = { clock_rate_set, 16, false, 0 },
    [0x6] = { clock_rate_get, 4, false, 0 },
    [0x7] = { clock_config_set, 8, false, 0 },
    [0x8] = { clock_name_get, 4, false, 0 },
    [0x9] = { clock_rate_notify, 8, true, 0 },
    [0xA] = { clock_rate_change_requested_notify, 8, true, 0 },
};

const struct xv_scmi_protocol xv_scmi_clock_protocol = {
    .id = SCMI_PROTOCOL_CLOCK,
    .version = CLOCK_VERSION,
    .kind = XV_SCMI_CLOCK,
    .cmds = clock_cmds,
    .nr_cmds = sizeof(clock_cmds) / sizeof(clock_cmds[0]),
    .drop = clock_drop,
    .drop_stage = XV_SCMI_DROP_CONSUMER,
};
