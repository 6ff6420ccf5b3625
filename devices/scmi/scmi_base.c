/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI Base protocol 2.0: discovery, agents, and the management commands
 * a trusted agent (the daemon's raw socket) uses on the others.
 */
#include <string.h>

#include "scmi_private.h"

#define BASE_VERSION 0x20000u

static int32_t base_attributes(struct xv_scmi_msg *m)
{
    unsigned agents = 0;

    for (unsigned i = 0; i < XV_SCMI_MAX_AGENTS; i++)
        agents += m->server->agents[i] != NULL;
    xv_scmi_put_u32(m, xv_scmi_agent_protocols(m->agent, NULL, 0) |
                           (uint32_t)agents << 8);
    return SCMI_SUCCESS;
}

static int32_t base_vendor(struct xv_scmi_msg *m)
{
    xv_scmi_put_short_name(m, m->server->platform->vendor);
    return SCMI_SUCCESS;
}

static int32_t base_sub_vendor(struct xv_scmi_msg *m)
{
    xv_scmi_put_short_name(m, m->server->platform->sub_vendor);
    return SCMI_SUCCESS;
}

static int32_t base_impl_version(struct xv_scmi_msg *m)
{
    xv_scmi_put_u32(m, m->server->platform->impl_version);
    return SCMI_SUCCESS;
}

/* Protocol ids as bytes, four per word, the reply exactly 4 + ceil(n/4)*4
 * bytes (Linux checks that length). */
static int32_t base_list_protocols(struct xv_scmi_msg *m)
{
    uint8_t ids[8], packed[8] = { 0 };
    unsigned total = xv_scmi_agent_protocols(m->agent, ids, sizeof(ids));
    uint32_t skip = xv_scmi_param(m, 0);
    unsigned n, words;

    if (skip > total)
        return SCMI_INVALID_PARAMETERS;
    n = total - skip;
    /* Entries are words of four ids; cut to whole words. */
    if (!xv_scmi_fit(m, 4, (n + 3u) / 4u, &words))
        return SCMI_COMMS_ERROR;
    if (n > words * 4u)
        n = words * 4u;
    memcpy(packed, ids + skip, n);
    xv_scmi_put_u32(m, n);
    xv_scmi_put_bytes(m, packed, (n + 3u) & ~3u);
    return SCMI_SUCCESS;
}

static struct xv_scmi_agent *agent_by_id(struct xv_scmi_server *s, uint32_t id)
{
    if (id == 0 || id > XV_SCMI_MAX_AGENTS)
        return NULL;
    return s->agents[id - 1];
}

static int32_t base_discover_agent(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0);
    const struct xv_scmi_agent *a;

    if (id == 0) {
        xv_scmi_put_u32(m, 0);
        xv_scmi_put_short_name(m, "platform");
        return SCMI_SUCCESS;
    }
    a = id == 0xffffffffu ? m->agent : agent_by_id(m->server, id);
    if (!a)
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, a->id);
    xv_scmi_put_short_name(m, a->name);
    return SCMI_SUCCESS;
}

static int32_t base_notify_errors(struct xv_scmi_msg *m)
{
    uint32_t enable = xv_scmi_param(m, 0);

    if (enable & ~1u)
        return SCMI_INVALID_PARAMETERS;
    m->agent->base_error_notify = enable & 1u;
    return SCMI_SUCCESS;
}

/* The management commands act on another agent: only a trusted agent may,
 * and agent 0 (the platform) is a no-op. Returns the target through *out
 * (NULL for the platform) or a failure status. */
static int32_t managed_agent(struct xv_scmi_msg *m, uint32_t id, uint32_t flags,
                             struct xv_scmi_agent **out)
{
    *out = NULL;
    if (!m->agent->trusted)
        return SCMI_DENIED;
    if (flags & ~1u)
        return SCMI_INVALID_PARAMETERS;
    if (id == 0)
        return SCMI_SUCCESS;
    *out = agent_by_id(m->server, id);
    return *out ? SCMI_SUCCESS : SCMI_NOT_FOUND;
}

/*
 * The one "device" an agent has is its whole view (device 0): denying it
 * hides every protocol but Base from the agent, allowing restores them.
 */
static int32_t base_set_device_permissions(struct xv_scmi_msg *m)
{
    struct xv_scmi_agent *a;
    int32_t status = managed_agent(m, xv_scmi_param(m, 0),
                                   xv_scmi_param(m, 2), &a);

    if (status != SCMI_SUCCESS || !a)
        return status;
    if (xv_scmi_param(m, 1) != 0)
        return SCMI_NOT_FOUND;
    a->protocols_denied = (xv_scmi_param(m, 2) & 1u) ? 0 : ~1u;
    return SCMI_SUCCESS;
}

static int32_t base_set_protocol_permissions(struct xv_scmi_msg *m)
{
    struct xv_scmi_agent *a;
    uint32_t protocol = xv_scmi_param(m, 2);
    uint32_t bit;
    int32_t status = managed_agent(m, xv_scmi_param(m, 0),
                                   xv_scmi_param(m, 3), &a);

    if (status != SCMI_SUCCESS)
        return status;
    if (protocol == SCMI_PROTOCOL_BASE)
        return SCMI_DENIED;
    if (xv_scmi_param(m, 1) != 0 || protocol < SCMI_PROTOCOL_POWER ||
        protocol > SCMI_PROTOCOL_VOLTAGE)
        return SCMI_NOT_FOUND;
    if (!a)
        return SCMI_SUCCESS;
    bit = 1u << (protocol - SCMI_PROTOCOL_BASE);
    if (xv_scmi_param(m, 3) & 1u)
        a->protocols_denied &= ~bit;
    else
        a->protocols_denied |= bit;
    return SCMI_SUCCESS;
}

/* An agent may reset itself (a guest's firmware or kernel restarting);
 * resetting another, or restoring permissions (flags bit0, which would
 * undo what a trusted agent denied this one), takes a trusted agent. */
static int32_t base_reset_agent_configuration(struct xv_scmi_msg *m)
{
    uint32_t id = xv_scmi_param(m, 0), flags = xv_scmi_param(m, 1);
    struct xv_scmi_agent *a = m->agent;

    if (id != m->agent->id || (flags & 1u)) {
        int32_t status = managed_agent(m, id, flags, &a);

        if (status != SCMI_SUCCESS || !a)
            return status;
    } else if (flags & ~1u) {
        return SCMI_INVALID_PARAMETERS;
    }
    xv_scmi_agent_drop_votes(m->server, a);
    if (flags & 1u)
        a->protocols_denied = 0;
    return SCMI_SUCCESS;
}

static const struct xv_scmi_cmd base_cmds[] = {
    [0x1] = { base_attributes, 0, false, 0 },
    [0x3] = { base_vendor, 0, false, 0 },
    [0x4] = { base_sub_vendor, 0, false, 0 },
    [0x5] = { base_impl_version, 0, false, 0 },
    [0x6] = { base_list_protocols, 4, false, 0 },
    [0x7] = { base_discover_agent, 4, false, 0 },
    [0x8] = { base_notify_errors, 4, true, 0 },
    [0x9] = { base_set_device_permissions, 12, false, 0 },
    [0xA] = { base_set_protocol_permissions, 16, false, 0 },
    [0xB] = { base_reset_agent_configuration, 8, false, 0 },
};

const struct xv_scmi_protocol xv_scmi_base_protocol = {
    .id = SCMI_PROTOCOL_BASE,
    .version = BASE_VERSION,
    .kind = XV_SCMI_KIND_COUNT,
    .cmds = base_cmds,
    .nr_cmds = sizeof(base_cmds) / sizeof(base_cmds[0]),
};
