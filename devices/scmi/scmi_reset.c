/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Reset domain protocol 1.0. The physical line is held asserted while
 * any agent holds it asserted; an autonomous reset (a pulse) is refused
 * while another agent holds the line, since it would end their hold.
 */
#include "scmi_private.h"

#define RESET_VERSION   0x10000u
#define RESET_ISSUED    0x0u

#define RESET_AUTONOMOUS        (1u << 0)
#define RESET_EXPLICIT_ASSERT   (1u << 1)
#define RESET_ASYNC             (1u << 2)

static int32_t reset_attributes_proto(struct xv_scmi_msg *m)
{
    xv_scmi_put_u32(m, m->agent->view[XV_SCMI_RESET].nr);
    return SCMI_SUCCESS;
}

static int32_t reset_domain_attributes(struct xv_scmi_msg *m)
{
    unsigned i;
    uint32_t attr = 0;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_RESET, xv_scmi_param(m, 0), &i))
        return SCMI_NOT_FOUND;
    if (xv_scmi_has_p2a(m->agent))
        attr |= 1u << 30;   /* notifications; async served, not advertised */
    xv_scmi_put_u32(m, attr);
    xv_scmi_put_u32(m, m->server->platform->resets[i].latency_us);
    xv_scmi_put_short_name(m, m->server->platform->resets[i].name);
    return SCMI_SUCCESS;
}

static int physical(struct xv_scmi_server *s, unsigned index,
                    enum xv_scmi_reset_op op)
{
    const struct xv_scmi_platform_ops *ops = xv_scmi_ops(s);

    return ops->reset ? ops->reset(s->platform->opaque, index, op) : 0;
}

static void notify_issued(struct xv_scmi_server *s, const struct xv_scmi_agent *a,
                          unsigned index)
{
    uint32_t payload[3] = { a->id, 0, 0 };

    xv_scmi_notify(s, XV_SCMI_RESET, index, XV_SCMI_NOTIFY_RESET,
                   SCMI_PROTOCOL_RESET, RESET_ISSUED, payload, sizeof(payload));
}

static int hold(struct xv_scmi_server *s, struct xv_scmi_agent *a, uint32_t id,
                unsigned index, bool assert)
{
    uint16_t *holds = &s->reset_asserts[index];
    int err;

    if ((bool)((a->reset_asserted >> id) & 1u) == assert)
        return 0;
    if ((assert && *holds == 0) || (!assert && *holds == 1)) {
        err = physical(s, index, assert ? XV_SCMI_RESET_ASSERT
                                        : XV_SCMI_RESET_DEASSERT);
        if (err)
            return err;
    }
    *holds = (uint16_t)(assert ? *holds + 1 : *holds - 1);
    a->reset_asserted ^= 1ull << id;
    return 0;
}

static int32_t do_reset(struct xv_scmi_msg *m, uint32_t id, unsigned i,
                        uint32_t flags)
{
    int err;

    if (flags & RESET_AUTONOMOUS) {
        if (m->server->reset_asserts[i] > ((m->agent->reset_asserted >> id) & 1u))
            return SCMI_DENIED;
        /* Our own hold ends with the pulse. */
        err = hold(m->server, m->agent, id, i, false);
        if (!err)
            err = physical(m->server, i, XV_SCMI_RESET_AUTONOMOUS);
    } else {
        err = hold(m->server, m->agent, id, i, flags & RESET_EXPLICIT_ASSERT);
    }
    if (!err)
        notify_issued(m->server, m->agent, i);
    return xv_scmi_hw_status(err);
}

static int32_t reset_reset(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), flags = xv_scmi_param(m, 1);
    uint32_t state = xv_scmi_param(m, 2);
    int32_t status;
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_RESET, id, &i))
        return SCMI_NOT_FOUND;
    if (flags & ~(RESET_AUTONOMOUS | RESET_EXPLICIT_ASSERT | RESET_ASYNC))
        return SCMI_INVALID_PARAMETERS;
    if (state != 0)     /* only the architectural cold reset exists */
        return SCMI_INVALID_PARAMETERS;
    if ((flags & RESET_ASYNC) && !(flags & RESET_AUTONOMOUS))
        return SCMI_INVALID_PARAMETERS;
    if ((flags & RESET_ASYNC) && !xv_scmi_has_p2a(m->agent))
        return SCMI_NOT_SUPPORTED;
    /* A delayed response owed must never be lost: no room, no reset. */
    if ((flags & RESET_ASYNC) && xv_scmi_delayed_full(m->agent))
        return SCMI_BUSY;
    status = do_reset(m, id, i, flags);
    if (flags & RESET_ASYNC && status != SCMI_DENIED) {
        uint32_t payload[2] = { (uint32_t)status, id };

        xv_scmi_send_delayed(m->server, m->agent, m->hdr, payload,
                             status == SCMI_SUCCESS ? sizeof(payload) : 4);
        return SCMI_SUCCESS;
    }
    return status;
}

static int32_t reset_notify(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), enable = xv_scmi_param(m, 1);
    unsigned i;

    if (!xv_scmi_lookup(m->agent, XV_SCMI_RESET, id, &i))
        return SCMI_NOT_FOUND;
    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (enable)
        m->agent->notify[XV_SCMI_NOTIFY_RESET] |= 1ull << id;
    else
        m->agent->notify[XV_SCMI_NOTIFY_RESET] &= ~(1ull << id);
    return SCMI_SUCCESS;
}

static void reset_drop(struct xv_scmi_server *s, struct xv_scmi_agent *a)
{
    const struct xv_scmi_view *v = &a->view[XV_SCMI_RESET];

    for (unsigned id = 0; id < v->nr && id < 64; id++)
        (void)hold(s, a, id, v->map[id], false);
    a->reset_asserted = 0;
}

static const struct xv_scmi_cmd reset_cmds[] = {
    [0x1] = { reset_attributes_proto, 0, false, 0 },
    [0x3] = { reset_domain_attributes, 4, false, 0 },
    [0x4] = { reset_reset, 12, false, 0 },
    [0x5] = { reset_notify, 8, true, 0 },
};

const struct xv_scmi_protocol xv_scmi_reset_protocol = {
    .id = SCMI_PROTOCOL_RESET,
    .version = RESET_VERSION,
    .kind = XV_SCMI_RESET,
    .cmds = reset_cmds,
    .nr_cmds = sizeof(reset_cmds) / sizeof(reset_cmds[0]),
    .drop = reset_drop,
    .drop_stage = XV_SCMI_DROP_CONSUMER,
};
