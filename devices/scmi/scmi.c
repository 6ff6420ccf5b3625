/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI dispatcher, agents and votes' bookkeeping. Freestanding.
 */
#include <errno.h>
#include <string.h>

#include "scmi_private.h"
#include "xv/wire.h"

static const struct xv_scmi_protocol *const protocols[] = {
    &xv_scmi_base_protocol,
    &xv_scmi_power_protocol,
    &xv_scmi_perf_protocol,
    &xv_scmi_clock_protocol,
    &xv_scmi_sensor_protocol,
    &xv_scmi_reset_protocol,
    &xv_scmi_voltage_protocol,
};

#define NR_PROTOCOLS (sizeof(protocols) / sizeof(protocols[0]))

static size_t name_len(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

/*
 * Helpers for protocol files.
 */
uint32_t xv_scmi_param(const struct xv_scmi_msg *m, unsigned i)
{
    if ((size_t)i * 4 + 4 > m->params_len)
        return 0;
    return xv_load_le32(m->params + (size_t)i * 4);
}

size_t xv_scmi_out_room(const struct xv_scmi_msg *m)
{
    return m->out_cap - m->out_len;
}

bool xv_scmi_fit(const struct xv_scmi_msg *m, size_t size, unsigned left,
                 unsigned *n)
{
    size_t room = xv_scmi_out_room(m), fit;

    if (room < 4 || (left && room < 4 + size))
        return false;
    fit = (room - 4) / size;
    *n = fit < left ? (unsigned)fit : left;
    return true;
}

bool xv_scmi_put_bytes(struct xv_scmi_msg *m, const void *p, size_t n)
{
    if (n > xv_scmi_out_room(m)) {
        m->overflow = true;
        return false;
    }
    memcpy(m->out + m->out_len, p, n);
    m->out_len += n;
    return true;
}

bool xv_scmi_put_u32(struct xv_scmi_msg *m, uint32_t v)
{
    uint8_t b[4];

    xv_store_le32(b, v);
    return xv_scmi_put_bytes(m, b, sizeof(b));
}

static bool put_name(struct xv_scmi_msg *m, const char *name, size_t size)
{
    uint8_t buf[XV_SCMI_NAME_MAX];
    size_t n = name_len(name, size - 1);

    memset(buf, 0, size);
    memcpy(buf, name, n);
    return xv_scmi_put_bytes(m, buf, size);
}

bool xv_scmi_put_short_name(struct xv_scmi_msg *m, const char *name)
{
    return put_name(m, name, XV_SCMI_SHORT_NAME_MAX);
}

bool xv_scmi_put_ext_name(struct xv_scmi_msg *m, const char *name)
{
    return put_name(m, name, XV_SCMI_NAME_MAX);
}

bool xv_scmi_name_is_long(const char *name)
{
    return name_len(name, XV_SCMI_NAME_MAX) >= XV_SCMI_SHORT_NAME_MAX;
}

bool xv_scmi_lookup(const struct xv_scmi_agent *agent, enum xv_scmi_kind kind,
                    uint32_t id, unsigned *index)
{
    const struct xv_scmi_view *v = &agent->view[kind];

    if (id >= v->nr)
        return false;
    *index = v->map[id];
    return true;
}

bool xv_scmi_has_p2a(const struct xv_scmi_agent *agent)
{
    return agent->p2a != NULL;
}

bool xv_scmi_delayed_full(const struct xv_scmi_agent *agent)
{
    return agent->pending_count == XV_SCMI_P2A_PENDING;
}

int32_t xv_scmi_hw_status(int err)
{
    return err ? SCMI_HARDWARE_ERROR : SCMI_SUCCESS;
}

static bool protocol_visible(const struct xv_scmi_agent *agent,
                             const struct xv_scmi_protocol *p)
{
    if (p->id == SCMI_PROTOCOL_BASE)
        return true;
    if (agent->protocols_denied & (1u << (p->id - SCMI_PROTOCOL_BASE)))
        return false;
    return agent->view[p->kind].nr > 0;
}

unsigned xv_scmi_agent_protocols(const struct xv_scmi_agent *agent,
                                 uint8_t *ids, unsigned max)
{
    unsigned n = 0;

    for (size_t i = 0; i < NR_PROTOCOLS; i++) {
        const struct xv_scmi_protocol *p = protocols[i];

        if (p->id == SCMI_PROTOCOL_BASE || !protocol_visible(agent, p))
            continue;
        if (ids && n < max)
            ids[n] = p->id;
        n++;
    }
    return n;
}

const struct xv_scmi_protocol *xv_scmi_protocol_for(
    const struct xv_scmi_agent *agent, uint8_t id)
{
    for (size_t i = 0; i < NR_PROTOCOLS; i++) {
        if (protocols[i]->id == id)
            return protocol_visible(agent, protocols[i]) ? protocols[i] : NULL;
    }
    return NULL;
}

/*
 * Platform-to-agent messages.
 */
/* P2A payloads are host-order 32-bit words: every field is one. */
static void put_words(uint8_t *dst, const void *payload, size_t len)
{
    const uint32_t *w = payload;

    for (size_t i = 0; i < len / 4; i++)
        xv_store_le32(dst + i * 4, w[i]);
}

static int p2a_send(struct xv_scmi_agent *agent, uint32_t hdr,
                    const void *payload, size_t len)
{
    uint8_t msg[XV_SCMI_MAX_MSG];

    if (!agent->p2a || len > XV_SCMI_MAX_PAYLOAD)
        return -EINVAL;
    xv_store_le32(msg, hdr);
    put_words(msg + 4, payload, len);
    return agent->p2a(agent->p2a_opaque, msg, len + 4);
}

static bool p2a_queued(const struct xv_scmi_agent *agent)
{
    return agent->pending_count || agent->notif_count;
}

static void p2a_clear(struct xv_scmi_agent *agent)
{
    agent->pending_head = agent->pending_count = 0;
    agent->notif_head = agent->notif_count = 0;
}

/* One message into a queue slot, stamped with the order it was raised. */
static void p2a_store(struct xv_scmi_agent *agent, uint8_t *dst, uint16_t *len,
                      uint32_t *seq, uint32_t hdr, const void *payload,
                      size_t n)
{
    xv_store_le32(dst, hdr);
    put_words(dst + 4, payload, n);
    *len = (uint16_t)(n + 4);
    *seq = agent->p2a_seq++;
}

void xv_scmi_send_delayed(struct xv_scmi_server *server,
                          struct xv_scmi_agent *agent, uint32_t hdr,
                          const void *payload, size_t len)
{
    unsigned slot;

    (void)server;
    if (!agent->p2a || len > XV_SCMI_MAX_PAYLOAD)
        return;
    hdr = (hdr & ~SCMI_HDR(0, 3, 0, 0)) | SCMI_HDR(0, SCMI_MSG_TYPE_DELAYED_RESP, 0, 0);
    /* Keep order: nothing overtakes what is already queued. */
    if (!p2a_queued(agent) && p2a_send(agent, hdr, payload, len) == 0)
        return;
    /* Async commands answer BUSY rather than queue a 17th; only a protocol
     * that does not check gets here, and what is lost is the agent's own. */
    if (xv_scmi_delayed_full(agent))
        return;
    slot = (agent->pending_head + agent->pending_count) % XV_SCMI_P2A_PENDING;
    p2a_store(agent, agent->pending[slot], &agent->pending_len[slot],
              &agent->pending_seq[slot], hdr, payload, len);
    agent->pending_count++;
}

/* Notifications are lossy (virtio-scmi lets the device drop them): a full
 * queue gives up its oldest, which newer data supersedes anyway. */
static void queue_notification(struct xv_scmi_agent *agent, uint32_t hdr,
                               const void *payload, size_t len)
{
    unsigned slot;

    if (agent->notif_count == XV_SCMI_P2A_NOTIFY) {
        agent->notif_head = (uint8_t)((agent->notif_head + 1) % XV_SCMI_P2A_NOTIFY);
        agent->notif_count--;
        agent->notif_dropped++;
    }
    slot = (agent->notif_head + agent->notif_count) % XV_SCMI_P2A_NOTIFY;
    p2a_store(agent, agent->notif[slot], &agent->notif_len[slot],
              &agent->notif_seq[slot], hdr, payload, len);
    agent->notif_count++;
}

/* Send a queue's head and pop it; false if the transport cannot now. */
static bool p2a_deliver_head(struct xv_scmi_agent *a, const uint8_t *msg, uint16_t len,
                             uint8_t *head, uint8_t *count, unsigned size)
{
    if (a->p2a(a->p2a_opaque, msg, len) != 0)
        return false;
    *head = (uint8_t)((*head + 1) % size);
    (*count)--;
    return true;
}

/* Deliver the older head of the two queues (sequence numbers wrap);
 * false if the transport cannot take it now, or nothing is queued. */
static bool p2a_deliver_next(struct xv_scmi_agent *a)
{
    bool delayed = a->pending_count &&
                   (!a->notif_count ||
                    (int32_t)(a->pending_seq[a->pending_head] -
                              a->notif_seq[a->notif_head]) < 0);

    if (delayed)
        return p2a_deliver_head(a, a->pending[a->pending_head],
                                a->pending_len[a->pending_head], &a->pending_head,
                                &a->pending_count, XV_SCMI_P2A_PENDING);
    return a->notif_count &&
           p2a_deliver_head(a, a->notif[a->notif_head], a->notif_len[a->notif_head],
                            &a->notif_head, &a->notif_count, XV_SCMI_P2A_NOTIFY);
}

void xv_scmi_agent_p2a_ready(struct xv_scmi_server *server,
                             struct xv_scmi_agent *agent)
{
    (void)server;
    while (agent->p2a && p2a_deliver_next(agent))
        ;
}

static void notify_one(struct xv_scmi_agent *agent, uint32_t hdr,
                       const void *payload, size_t len)
{
    /* Behind what is queued, and queued when the transport cannot take it
     * now (the agent's own command is being answered: it follows). */
    if (p2a_queued(agent) || p2a_send(agent, hdr, payload, len) != 0)
        queue_notification(agent, hdr, payload, len);
}

/* Notifications name the resource by each recipient's own id: payload
 * word 1 is rewritten per agent (word 0 is the agent that caused it). */
void xv_scmi_notify(struct xv_scmi_server *server, enum xv_scmi_kind kind,
                    unsigned index, unsigned slot, uint8_t protocol,
                    uint8_t msg_id, const void *payload, size_t len)
{
    uint32_t buf[XV_SCMI_MAX_PAYLOAD / 4];

    if (len < 8 || len > sizeof(buf) || len % 4 || slot >= XV_SCMI_NOTIFY_SLOTS)
        return;
    memcpy(buf, payload, len);
    for (unsigned i = 0; i < XV_SCMI_MAX_AGENTS; i++) {
        struct xv_scmi_agent *a = server->agents[i];
        const struct xv_scmi_view *v;

        if (!a || !a->p2a)
            continue;
        v = &a->view[kind];
        for (unsigned id = 0; id < v->nr && id < 64; id++) {
            if (v->map[id] != index || !(a->notify[slot] & (1ull << id)))
                continue;
            buf[1] = id;
            notify_one(a, SCMI_HDR(msg_id, SCMI_MSG_TYPE_NOTIFICATION,
                                   protocol, 0), buf, len);
        }
    }
}

/*
 * Server and agents.
 */
static bool name_ok(const char *name)
{
    return name_len(name, XV_SCMI_NAME_MAX) < XV_SCMI_NAME_MAX && name[0];
}

static bool ascending64(const uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        if (v[i] <= v[i - 1])
            return false;
    }
    return true;
}

static bool clock_ok(const struct xv_scmi_clock_desc *c)
{
    if (!name_ok(c->name))
        return false;
    if (c->range) {
        return c->nr_rates == 3 && c->rates[0] <= c->rates[1] &&
               c->rates[2] != 0 && c->default_rate >= c->rates[0] &&
               c->default_rate <= c->rates[1];
    }
    if (c->nr_rates == 0 || c->nr_rates > XV_SCMI_MAX_RATES ||
        !ascending64(c->rates, c->nr_rates))
        return false;
    for (unsigned i = 0; i < c->nr_rates; i++) {
        if (c->rates[i] == c->default_rate)
            return true;
    }
    return false;
}

static bool perf_ok(const struct xv_scmi_perf_desc *p)
{
    bool found = false;

    if (!name_ok(p->name) || p->nr_levels == 0 ||
        p->nr_levels > XV_SCMI_MAX_LEVELS)
        return false;
    for (unsigned i = 0; i < p->nr_levels; i++) {
        if (i && p->levels[i].level <= p->levels[i - 1].level)
            return false;
        found |= p->levels[i].level == p->default_level;
    }
    return found;
}

static bool voltage_ok(const struct xv_scmi_voltage_desc *v)
{
    if (!name_ok(v->name))
        return false;
    if (v->range) {
        return v->nr_levels == 3 && v->levels_uv[0] <= v->levels_uv[1] &&
               v->levels_uv[2] > 0 && v->default_uv >= v->levels_uv[0] &&
               v->default_uv <= v->levels_uv[1];
    }
    if (v->nr_levels == 0 || v->nr_levels > XV_SCMI_MAX_LEVELS)
        return false;
    for (unsigned i = 1; i < v->nr_levels; i++) {
        if (v->levels_uv[i] <= v->levels_uv[i - 1])
            return false;
    }
    for (unsigned i = 0; i < v->nr_levels; i++) {
        if (v->levels_uv[i] == v->default_uv)
            return true;
    }
    return false;
}

static bool platform_ok(const struct xv_scmi_platform *p)
{
    const unsigned max = XV_SCMI_MAX_RESOURCES;

    if (!p || p->nr_clocks > max || p->nr_resets > max || p->nr_power > max ||
        p->nr_perf > max || p->nr_voltage > max || p->nr_sensors > max)
        return false;
    if (name_len(p->vendor, XV_SCMI_SHORT_NAME_MAX) == XV_SCMI_SHORT_NAME_MAX ||
        name_len(p->sub_vendor, XV_SCMI_SHORT_NAME_MAX) == XV_SCMI_SHORT_NAME_MAX)
        return false;
    for (unsigned i = 0; i < p->nr_clocks; i++) {
        if (!clock_ok(&p->clocks[i]))
            return false;
    }
    for (unsigned i = 0; i < p->nr_resets; i++) {
        if (!name_ok(p->resets[i].name))
            return false;
    }
    for (unsigned i = 0; i < p->nr_power; i++) {
        if (!name_ok(p->power[i].name))
            return false;
    }
    for (unsigned i = 0; i < p->nr_perf; i++) {
        if (!perf_ok(&p->perf[i]))
            return false;
    }
    for (unsigned i = 0; i < p->nr_voltage; i++) {
        if (!voltage_ok(&p->voltage[i]))
            return false;
    }
    for (unsigned i = 0; i < p->nr_sensors; i++) {
        if (!name_ok(p->sensors[i].name) || p->sensors[i].unit_exp < -16 ||
            p->sensors[i].unit_exp > 15)
            return false;
    }
    return true;
}

int xv_scmi_server_init(struct xv_scmi_server *server,
                        const struct xv_scmi_platform *platform)
{
    if (!server || !platform_ok(platform))
        return -EINVAL;
    memset(server, 0, sizeof(*server));
    server->platform = platform;
    for (unsigned i = 0; i < platform->nr_clocks; i++) {
        server->clock_rate[i] = platform->clocks[i].default_rate;
        server->clock_votes[i] = platform->clocks[i].on_at_boot;
    }
    for (unsigned i = 0; i < platform->nr_power; i++)
        server->power_votes[i] = platform->power[i].on_at_boot;
    for (unsigned i = 0; i < platform->nr_voltage; i++) {
        server->voltage_votes[i] = platform->voltage[i].on_at_boot;
        server->voltage_uv[i] = platform->voltage[i].default_uv;
    }
    for (unsigned i = 0; i < platform->nr_perf; i++) {
        const struct xv_scmi_perf_desc *d = &platform->perf[i];

        server->perf_level[i] = d->default_level;
        server->perf_min[i] = d->levels[0].level;
        server->perf_max[i] = d->levels[d->nr_levels - 1].level;
    }
    return 0;
}

void xv_scmi_agent_init(struct xv_scmi_agent *agent, const char *name,
                        xv_scmi_p2a_fn *p2a, void *p2a_opaque)
{
    size_t n = name_len(name ? name : "", XV_SCMI_SHORT_NAME_MAX - 1);

    memset(agent, 0, sizeof(*agent));
    if (name)
        memcpy(agent->name, name, n);
    agent->p2a = p2a;
    agent->p2a_opaque = p2a_opaque;
}

static unsigned platform_count(const struct xv_scmi_platform *p,
                               enum xv_scmi_kind kind)
{
    switch (kind) {
    case XV_SCMI_CLOCK: return p->nr_clocks;
    case XV_SCMI_RESET: return p->nr_resets;
    case XV_SCMI_POWER: return p->nr_power;
    case XV_SCMI_PERF: return p->nr_perf;
    case XV_SCMI_VOLTAGE: return p->nr_voltage;
    case XV_SCMI_SENSOR: return p->nr_sensors;
    default: return 0;
    }
}

int xv_scmi_agent_show(struct xv_scmi_agent *agent, enum xv_scmi_kind kind,
                       unsigned index)
{
    struct xv_scmi_view *v;

    if ((unsigned)kind >= XV_SCMI_KIND_COUNT || index >= XV_SCMI_MAX_RESOURCES)
        return -EINVAL;
    v = &agent->view[kind];
    for (unsigned i = 0; i < v->nr; i++) {
        if (v->map[i] == index)
            return -EINVAL;
    }
    if (v->nr == XV_SCMI_MAX_RESOURCES)
        return -ENOSPC;
    v->map[v->nr++] = (uint16_t)index;
    return 0;
}

void xv_scmi_agent_show_all(struct xv_scmi_agent *agent,
                            const struct xv_scmi_server *server)
{
    for (unsigned k = 0; k < XV_SCMI_KIND_COUNT; k++) {
        unsigned n = platform_count(server->platform, (enum xv_scmi_kind)k);

        agent->view[k].nr = 0;
        for (unsigned i = 0; i < n; i++)
            agent->view[k].map[agent->view[k].nr++] = (uint16_t)i;
    }
}

static bool view_ok(const struct xv_scmi_server *server,
                    const struct xv_scmi_agent *agent)
{
    for (unsigned k = 0; k < XV_SCMI_KIND_COUNT; k++) {
        unsigned n = platform_count(server->platform, (enum xv_scmi_kind)k);

        for (unsigned i = 0; i < agent->view[k].nr; i++) {
            if (agent->view[k].map[i] >= n)
                return false;
        }
    }
    return true;
}

int xv_scmi_agent_add(struct xv_scmi_server *server,
                      struct xv_scmi_agent *agent)
{
    if (!view_ok(server, agent))
        return -EINVAL;
    for (unsigned i = 0; i < XV_SCMI_MAX_AGENTS; i++) {
        if (!server->agents[i]) {
            server->agents[i] = agent;
            agent->id = i + 1;
            return 0;
        }
    }
    return -ENOSPC;
}

void xv_scmi_agent_remove(struct xv_scmi_server *server,
                          struct xv_scmi_agent *agent)
{
    if (!agent->id || agent->id > XV_SCMI_MAX_AGENTS ||
        server->agents[agent->id - 1] != agent)
        return;
    xv_scmi_agent_drop_votes(server, agent);
    server->agents[agent->id - 1] = NULL;
    agent->id = 0;
}

void xv_scmi_agent_drop_votes(struct xv_scmi_server *server,
                              struct xv_scmi_agent *agent)
{
    const struct xv_scmi_agent *caller = server->caller;

    server->caller = agent;
    for (unsigned stage = 0; stage < XV_SCMI_DROP_STAGES; stage++) {
        for (unsigned i = 0; i < NR_PROTOCOLS; i++) {
            if (protocols[i]->drop && protocols[i]->drop_stage == stage)
                protocols[i]->drop(server, agent);
        }
    }
    memset(agent->notify, 0, sizeof(agent->notify));
    agent->base_error_notify = false;
    p2a_clear(agent);
    server->caller = caller;
}

void xv_scmi_agent_set_p2a(struct xv_scmi_agent *agent, xv_scmi_p2a_fn *p2a,
                           void *p2a_opaque)
{
    agent->p2a = p2a;
    agent->p2a_opaque = p2a_opaque;
    if (!p2a)
        p2a_clear(agent);
}

/*
 * Dispatch.
 */
static int32_t common_command(const struct xv_scmi_protocol *p,
                              struct xv_scmi_msg *m, uint8_t id)
{
    if (id == 0x0) {    /* PROTOCOL_VERSION */
        if (m->params_len != 0)
            return SCMI_PROTOCOL_ERROR;
        xv_scmi_put_u32(m, p->version);
        return SCMI_SUCCESS;
    }
    /* PROTOCOL_MESSAGE_ATTRIBUTES */
    uint32_t msg_id;
    const struct xv_scmi_cmd *cmd;

    if (m->params_len != 4)
        return SCMI_PROTOCOL_ERROR;
    msg_id = xv_scmi_param(m, 0);
    if (msg_id <= 0x2) {
        xv_scmi_put_u32(m, 0);
        return SCMI_SUCCESS;
    }
    if (msg_id >= p->nr_cmds)
        return SCMI_NOT_FOUND;
    cmd = &p->cmds[msg_id];
    if (!cmd->fn || (cmd->needs_p2a && !xv_scmi_has_p2a(m->agent)))
        return SCMI_NOT_FOUND;
    xv_scmi_put_u32(m, cmd->attributes);
    return SCMI_SUCCESS;
}

static int32_t dispatch(struct xv_scmi_msg *m)
{
    const struct xv_scmi_protocol *p;
    const struct xv_scmi_cmd *cmd;
    uint8_t id = (uint8_t)SCMI_HDR_ID(m->hdr);

    if (SCMI_HDR_RESERVED(m->hdr) || SCMI_HDR_TYPE(m->hdr) != SCMI_MSG_TYPE_COMMAND)
        return SCMI_PROTOCOL_ERROR;
    p = xv_scmi_protocol_for(m->agent, (uint8_t)SCMI_HDR_PROTOCOL(m->hdr));
    if (!p)
        return SCMI_NOT_SUPPORTED;
    if (id == 0x0 || id == 0x2)
        return common_command(p, m, id);
    if (id >= p->nr_cmds || !p->cmds[id].fn)
        return SCMI_NOT_FOUND;
    cmd = &p->cmds[id];
    if (cmd->params_len != XV_SCMI_PARAMS_ANY && m->params_len != cmd->params_len)
        return SCMI_PROTOCOL_ERROR;
    if (cmd->needs_p2a && !xv_scmi_has_p2a(m->agent))
        return SCMI_NOT_SUPPORTED;
    return cmd->fn(m);
}

size_t xv_scmi_handle(struct xv_scmi_server *server,
                      struct xv_scmi_agent *agent, const void *req,
                      size_t req_len, void *resp, size_t resp_cap)
{
    const uint8_t *in = req;
    uint8_t *out = resp;
    struct xv_scmi_msg m;
    int32_t status;

    if (req_len < 4 || resp_cap < 8)
        return 0;
    if (resp_cap > XV_SCMI_MAX_MSG)
        resp_cap = XV_SCMI_MAX_MSG;
    memset(&m, 0, sizeof(m));
    m.server = server;
    m.agent = agent;
    m.hdr = xv_load_le32(in);
    m.params = in + 4;
    m.params_len = req_len - 4;
    m.out = out + 8;
    m.out_cap = resp_cap - 8;
    if (m.params_len > XV_SCMI_MAX_PAYLOAD)
        status = SCMI_PROTOCOL_ERROR;
    else {
        server->caller = agent;
        status = dispatch(&m);
        server->caller = NULL;
        /* The driver gave less room than the reply needs (vhost-device-scmi
         * answers the same); multi-part replies are cut, never this. */
        if (status == SCMI_SUCCESS && m.overflow)
            status = SCMI_COMMS_ERROR;
    }
    agent->messages++;
    xv_store_le32(out, m.hdr);
    xv_store_le32(out + 4, (uint32_t)status);
    if (status != SCMI_SUCCESS) {
        agent->errors++;
        if (server->event)
            server->event(server->event_opaque, agent, m.hdr, status);
        return 8;
    }
    return 8 + m.out_len;
}

const struct xv_scmi_platform_ops *xv_scmi_ops(const struct xv_scmi_server *s)
{
    static const struct xv_scmi_platform_ops none;

    return s->platform->ops ? s->platform->ops : &none;
}
