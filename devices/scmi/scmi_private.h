/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the SCMI engine: how a protocol plugs into the dispatcher
 * (scmi.c) and the helpers every protocol file uses. One file per
 * protocol: scmi_base.c, scmi_clock.c, scmi_reset.c, scmi_power.c,
 * scmi_perf.c, scmi_voltage.c, scmi_sensor.c; each defines one
 * 'const struct xv_scmi_protocol'.
 */
#ifndef XV_SCMI_PRIVATE_H
#define XV_SCMI_PRIVATE_H

#include "scmi.h"

/* One message being handled. */
struct xv_scmi_msg {
    struct xv_scmi_server *server;
    struct xv_scmi_agent *agent;
    uint32_t hdr;
    const uint8_t *params;      /* after the header */
    size_t params_len;
    uint8_t *out;               /* return values, after the status word */
    size_t out_cap;             /* <= XV_SCMI_MAX_PAYLOAD */
    size_t out_len;             /* written so far */
    bool overflow;              /* a value did not fit: COMMS_ERROR */
};

/* A command handler: returns the SCMI status; on SUCCESS the return
 * values are in out[0..out_len). On any other status out_len is ignored
 * (the reply is the status word alone). */
typedef int32_t xv_scmi_cmd_fn(struct xv_scmi_msg *m);

#define XV_SCMI_PARAMS_ANY  0xffffffffu  /* handler checks the length */

struct xv_scmi_cmd {
    xv_scmi_cmd_fn *fn;         /* NULL: not implemented (NOT_FOUND) */
    uint32_t params_len;        /* exact length, else PROTOCOL_ERROR */
    bool needs_p2a;             /* notify/async command: without a P2A
                                   channel, NOT_SUPPORTED and hidden from
                                   PROTOCOL_MESSAGE_ATTRIBUTES */
    /* PROTOCOL_MESSAGE_ATTRIBUTES value (may depend on nothing). */
    uint32_t attributes;
};

/*
 * When xv_scmi_agent_drop_votes() releases a protocol's holds, relative to
 * the others: what a device consumes (its clocks and resets) before the
 * domains that run it (power, performance), before the supplies that feed
 * those (voltages), as a device is torn down. In protocols[] order within
 * a stage.
 */
enum xv_scmi_drop_stage {
    XV_SCMI_DROP_CONSUMER = 0,
    XV_SCMI_DROP_DOMAIN,
    XV_SCMI_DROP_SUPPLY,
    XV_SCMI_DROP_STAGES
};

struct xv_scmi_protocol {
    uint8_t id;                 /* SCMI_PROTOCOL_* */
    uint32_t version;           /* reported by PROTOCOL_VERSION */
    enum xv_scmi_kind kind;     /* whose view decides presence, or
                                   XV_SCMI_KIND_COUNT (Base: always) */
    const struct xv_scmi_cmd *cmds;     /* indexed by message id */
    unsigned nr_cmds;
    /* Optional: release what the agent holds (votes, rates, settings)
     * in this protocol; its part of xv_scmi_agent_drop_votes(). */
    void (*drop)(struct xv_scmi_server *s, struct xv_scmi_agent *a);
    enum xv_scmi_drop_stage drop_stage;
};

/* Protocols, in BASE_DISCOVER_LIST_PROTOCOLS order. */
extern const struct xv_scmi_protocol xv_scmi_base_protocol;
extern const struct xv_scmi_protocol xv_scmi_power_protocol;
extern const struct xv_scmi_protocol xv_scmi_perf_protocol;
extern const struct xv_scmi_protocol xv_scmi_clock_protocol;
extern const struct xv_scmi_protocol xv_scmi_sensor_protocol;
extern const struct xv_scmi_protocol xv_scmi_reset_protocol;
extern const struct xv_scmi_protocol xv_scmi_voltage_protocol;

/* The protocols this agent may use (present in its view and not denied),
 * Base excluded; and one by id (NULL: not available to the agent). */
unsigned xv_scmi_agent_protocols(const struct xv_scmi_agent *agent,
                                 uint8_t *ids, unsigned max);
const struct xv_scmi_protocol *xv_scmi_protocol_for(
    const struct xv_scmi_agent *agent, uint8_t id);

/* Parameters: word i (little-endian) of the message's parameters. The
 * dispatcher has checked the length for fixed-size commands. */
uint32_t xv_scmi_param(const struct xv_scmi_msg *m, unsigned i);

/* Return values: append; false (and nothing written) if it does not fit
 * in out_cap. Multi-part replies check xv_scmi_out_room() first. */
bool xv_scmi_put_u32(struct xv_scmi_msg *m, uint32_t v);
bool xv_scmi_put_bytes(struct xv_scmi_msg *m, const void *p, size_t n);
/* A 16-byte short name (truncated, NUL-padded, always terminated). */
bool xv_scmi_put_short_name(struct xv_scmi_msg *m, const char *name);
/* A 64-byte extended name (NUL-padded). */
bool xv_scmi_put_ext_name(struct xv_scmi_msg *m, const char *name);
size_t xv_scmi_out_room(const struct xv_scmi_msg *m);
/* Multi-part replies (rates, levels, descriptors, protocol ids): *n = how
 * many of the 'left' entries of 'size' bytes fit after the 4-byte
 * returned/remaining word, at most 'left', at least one when any is left.
 * false when that cannot be (no room for the word, or for a single entry
 * while some are left): the handler answers COMMS_ERROR, as for any reply
 * that does not fit, never SUCCESS with nothing returned. */
bool xv_scmi_fit(const struct xv_scmi_msg *m, size_t size, unsigned left,
                 unsigned *n);
/* Does name need *_NAME_GET (longer than a short name)? */
bool xv_scmi_name_is_long(const char *name);

/* Agent-local id -> platform index; false if the agent has no such id
 * (the handler answers NOT_FOUND). */
bool xv_scmi_lookup(const struct xv_scmi_agent *agent, enum xv_scmi_kind kind,
                    uint32_t id, unsigned *index);

/* The platform's ops table, never NULL (empty when the embedder gave none:
 * every NULL hook succeeds). */
const struct xv_scmi_platform_ops *xv_scmi_ops(const struct xv_scmi_server *s);

/* P2A: the agent has a channel. send_delayed() queues a delayed response
 * (kept until the transport takes it); notify() sends a notification to
 * every agent subscribed to (kind, index) through bit 'slot' of
 * agent->notify[] (queued while the transport cannot take it, the oldest
 * dropped when XV_SCMI_P2A_NOTIFY wait). payload excludes the header and
 * is host-order 32-bit words (len a multiple of 4); for notify() word 0 is
 * the agent that caused the change and word 1 the resource id, rewritten
 * to each recipient's own id. */
bool xv_scmi_has_p2a(const struct xv_scmi_agent *agent);
/* Every delayed-response slot taken: an async command must answer BUSY,
 * or its delayed response would be lost. */
bool xv_scmi_delayed_full(const struct xv_scmi_agent *agent);
void xv_scmi_send_delayed(struct xv_scmi_server *server,
                          struct xv_scmi_agent *agent, uint32_t hdr,
                          const void *payload, size_t len);
void xv_scmi_notify(struct xv_scmi_server *server, enum xv_scmi_kind kind,
                    unsigned index, unsigned slot, uint8_t protocol,
                    uint8_t msg_id, const void *payload, size_t len);
/* Notification slots in agent->notify[] (bit = agent-local id). */
enum xv_scmi_notify_slot {
    XV_SCMI_NOTIFY_POWER_STATE,
    XV_SCMI_NOTIFY_CLOCK_RATE,
    XV_SCMI_NOTIFY_PERF_LEVEL,
    XV_SCMI_NOTIFY_PERF_LIMITS,
    XV_SCMI_NOTIFY_SENSOR_UPDATE,
    XV_SCMI_NOTIFY_SENSOR_TRIP,
    XV_SCMI_NOTIFY_RESET,
    XV_SCMI_NOTIFY_SLOTS
};

/* A platform op result as a status: 0 -> SUCCESS, else HARDWARE_ERROR. */
int32_t xv_scmi_hw_status(int err);

#endif
