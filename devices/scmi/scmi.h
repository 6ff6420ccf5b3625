/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCMI server (platform side), portable and freestanding like src/core:
 * no allocator, no OS calls. One struct xv_scmi_server owns the platform's
 * resources and their votes; every SCMI agent (a guest's virtio-scmi
 * device, a raw-socket connection) is a struct xv_scmi_agent registered
 * with it, seeing only the resources it was given, renumbered 0..N-1.
 *
 * Transport-independent entry point: xv_scmi_handle() takes one message
 * (header + parameters) and writes one reply (header + status + values).
 * The virtio-scmi device (struct xv_scmi_dev, virtio 1.2 §5.17) and the
 * daemon's raw socket are both built on it.
 *
 * Embedding:
 *   static struct xv_scmi_server server;      (platform description and
 *   xv_scmi_server_init(&server, &platform);   ops supplied by embedder)
 *   struct xv_scmi_agent agent;
 *   xv_scmi_agent_init(&agent, "guest1", NULL, NULL);
 *   xv_scmi_agent_show(&agent, XV_SCMI_CLOCK, 3);   (platform clock 3 is
 *                                                     the agent's clock 0)
 *   xv_scmi_agent_add(&server, &agent);
 *   len = xv_scmi_handle(&server, &agent, req, req_len, resp, resp_cap);
 *
 * Shared resources are vote-counted: a clock, power domain or voltage
 * domain changes physically only on the first vote on and the last vote
 * off, and each agent reads back its own view. Dropping an agent's votes
 * (BASE_RESET_AGENT_CONFIGURATION, virtio reset, guest death) turns off
 * what only it held on.
 *
 * Facts and sources: ../shared/reference/scmi.md; names of commands and
 * statuses follow Linux's drivers/firmware/arm_scmi.
 */
#ifndef XV_SCMI_H
#define XV_SCMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xv/core.h"

/* Protocols. */
#define SCMI_PROTOCOL_BASE      0x10u
#define SCMI_PROTOCOL_POWER     0x11u
#define SCMI_PROTOCOL_SYSTEM    0x12u
#define SCMI_PROTOCOL_PERF      0x13u
#define SCMI_PROTOCOL_CLOCK     0x14u
#define SCMI_PROTOCOL_SENSOR    0x15u
#define SCMI_PROTOCOL_RESET     0x16u
#define SCMI_PROTOCOL_VOLTAGE   0x17u

/* Status codes (int32 on the wire). */
#define SCMI_SUCCESS                0
#define SCMI_NOT_SUPPORTED          (-1)
#define SCMI_INVALID_PARAMETERS     (-2)
#define SCMI_DENIED                 (-3)
#define SCMI_NOT_FOUND              (-4)
#define SCMI_OUT_OF_RANGE           (-5)
#define SCMI_BUSY                   (-6)
#define SCMI_COMMS_ERROR            (-7)
#define SCMI_GENERIC_ERROR          (-8)
#define SCMI_HARDWARE_ERROR         (-9)
#define SCMI_PROTOCOL_ERROR         (-10)

/* Message header: [7:0] id, [9:8] type, [17:10] protocol, [27:18] token. */
#define SCMI_MSG_TYPE_COMMAND           0u
#define SCMI_MSG_TYPE_DELAYED_RESP      2u
#define SCMI_MSG_TYPE_NOTIFICATION      3u
#define SCMI_HDR(id, type, proto, token) \
    ((uint32_t)(id) | ((uint32_t)(type) << 8) | ((uint32_t)(proto) << 10) | \
     ((uint32_t)(token) << 18))
#define SCMI_HDR_ID(h)          ((h) & 0xffu)
#define SCMI_HDR_TYPE(h)        (((h) >> 8) & 0x3u)
#define SCMI_HDR_PROTOCOL(h)    (((h) >> 10) & 0xffu)
#define SCMI_HDR_TOKEN(h)       (((h) >> 18) & 0x3ffu)
#define SCMI_HDR_RESERVED(h)    ((h) & 0xf0000000u)

/* The largest payload (after the header) Linux's virtio transport sends
 * or accepts, status word included in replies' 128 + 4 bytes. */
#define XV_SCMI_MAX_PAYLOAD     128u
/* A whole message as it travels: header + status + 128-byte payload. */
#define XV_SCMI_MAX_MSG         (XV_SCMI_MAX_PAYLOAD + 8u)

/* Static limits: the storage the engine needs is sized by these. */
#define XV_SCMI_MAX_AGENTS      32u     /* registered at once */
#define XV_SCMI_MAX_RESOURCES   64u     /* per kind, on the platform */
#define XV_SCMI_MAX_RATES       16u     /* discrete clock rates (Linux 6.1 cap) */
#define XV_SCMI_MAX_LEVELS      16u     /* perf levels, voltage levels */
#define XV_SCMI_NAME_MAX        64u     /* extended name, NUL included */
#define XV_SCMI_SHORT_NAME_MAX  16u     /* short name, NUL included */
#define XV_SCMI_P2A_PENDING     16u     /* delayed responses queued per agent */
#define XV_SCMI_P2A_NOTIFY      8u      /* notifications queued per agent */
#define XV_SCMI_RATE_ORPHAN     0xffffu

/* Resource kinds an agent can be given. */
enum xv_scmi_kind {
    XV_SCMI_CLOCK,
    XV_SCMI_RESET,
    XV_SCMI_POWER,
    XV_SCMI_PERF,
    XV_SCMI_VOLTAGE,
    XV_SCMI_SENSOR,
    XV_SCMI_KIND_COUNT
};

/*
 * Platform description: what exists, supplied by the embedder (config
 * file, board table). Names longer than 15 characters are served through
 * the protocol's *_NAME_GET (extended names) where the version has it.
 */
struct xv_scmi_clock_desc {
    char name[XV_SCMI_NAME_MAX];
    bool range;                 /* rates[0..2] = min, max, step */
    uint8_t nr_rates;           /* discrete: 1..XV_SCMI_MAX_RATES; range: 3 */
    uint64_t rates[XV_SCMI_MAX_RATES];      /* Hz, ascending */
    uint64_t default_rate;      /* Hz, at boot and after the last vote off */
    bool on_at_boot;            /* the platform holds a vote of its own */
    uint32_t enable_latency_us;
};

struct xv_scmi_reset_desc {
    char name[XV_SCMI_NAME_MAX];
    uint32_t latency_us;        /* 0xffffffff: unknown */
};

struct xv_scmi_power_desc {
    char name[XV_SCMI_NAME_MAX];
    bool on_at_boot;            /* the platform holds a vote of its own */
};

struct xv_scmi_perf_level {
    uint32_t level;             /* performance level (e.g. kHz) */
    uint32_t power_cost;        /* mW */
    uint16_t latency_us;        /* transition latency */
};

struct xv_scmi_perf_desc {
    char name[XV_SCMI_NAME_MAX];
    uint8_t nr_levels;          /* 1..XV_SCMI_MAX_LEVELS, ascending */
    struct xv_scmi_perf_level levels[XV_SCMI_MAX_LEVELS];
    uint32_t default_level;     /* one of levels[].level */
    uint32_t sustained_freq_khz;
    uint32_t sustained_level;
    uint32_t rate_limit_us;
};

struct xv_scmi_voltage_desc {
    char name[XV_SCMI_NAME_MAX];
    bool range;                 /* levels_uv[0..2] = min, max, step */
    uint8_t nr_levels;          /* discrete: 1..XV_SCMI_MAX_LEVELS; range: 3 */
    int32_t levels_uv[XV_SCMI_MAX_LEVELS];  /* microvolts, ascending */
    int32_t default_uv;
    bool on_at_boot;            /* the platform holds a vote of its own */
};

/* Sensor unit types Linux knows (include/linux/scmi_protocol.h). */
#define SCMI_SENSOR_UNIT_NONE           0u
#define SCMI_SENSOR_UNIT_TEMPERATURE_C  2u
#define SCMI_SENSOR_UNIT_VOLTAGE        5u
#define SCMI_SENSOR_UNIT_CURRENT        6u
#define SCMI_SENSOR_UNIT_POWER          7u
#define SCMI_SENSOR_UNIT_ENERGY         8u

struct xv_scmi_sensor_desc {
    char name[XV_SCMI_NAME_MAX];
    uint8_t unit_type;          /* SCMI_SENSOR_UNIT_* */
    int8_t unit_exp;            /* value * 10^unit_exp units, -16..15 */
    uint32_t update_interval_s; /* 0: unknown */
};

/* Reset operations, as RESET's flags ask for them. */
enum xv_scmi_reset_op {
    XV_SCMI_RESET_AUTONOMOUS,   /* assert then deassert (a pulse) */
    XV_SCMI_RESET_ASSERT,
    XV_SCMI_RESET_DEASSERT,
};

/*
 * Physical operations, by platform index. Each returns 0 or a negative
 * errno (answered as HARDWARE_ERROR; the vote is not recorded). A NULL
 * hook means the operation always succeeds (a simulated platform needs
 * none but sensor_read). Called only on real changes: first vote on, last
 * vote off, a new rate or level.
 */
struct xv_scmi_platform_ops {
    int (*clock_enable)(void *opaque, unsigned clock, bool enable);
    int (*clock_set_rate)(void *opaque, unsigned clock, uint64_t rate_hz);
    int (*reset)(void *opaque, unsigned domain, enum xv_scmi_reset_op op);
    int (*power_set)(void *opaque, unsigned domain, bool on);
    int (*perf_set_level)(void *opaque, unsigned domain, uint32_t level);
    int (*voltage_enable)(void *opaque, unsigned domain, bool on);
    int (*voltage_set_level)(void *opaque, unsigned domain, int32_t uv);
    /* A reading in the sensor's unit; *timestamp_ns may be left 0. */
    int (*sensor_read)(void *opaque, unsigned sensor, int64_t *value,
                       uint64_t *timestamp_ns);
};

struct xv_scmi_platform {
    char vendor[XV_SCMI_SHORT_NAME_MAX];
    char sub_vendor[XV_SCMI_SHORT_NAME_MAX];
    uint32_t impl_version;
    const struct xv_scmi_clock_desc *clocks;
    unsigned nr_clocks;
    const struct xv_scmi_reset_desc *resets;
    unsigned nr_resets;
    const struct xv_scmi_power_desc *power;
    unsigned nr_power;
    const struct xv_scmi_perf_desc *perf;
    unsigned nr_perf;
    const struct xv_scmi_voltage_desc *voltage;
    unsigned nr_voltage;
    const struct xv_scmi_sensor_desc *sensors;
    unsigned nr_sensors;
    const struct xv_scmi_platform_ops *ops;
    void *opaque;
};

/*
 * Platform-to-agent messages (delayed responses, notifications): the
 * transport's way to deliver one. Returns 0, or -EAGAIN when it cannot
 * now: no buffer, or the agent's own command is being handled (what that
 * command causes must follow its response). The engine then queues the
 * message and retries on xv_scmi_agent_p2a_ready(), which the transport
 * calls after each reply it sends and when buffers come back. Delayed
 * responses are never dropped; of notifications the newest
 * XV_SCMI_P2A_NOTIFY are kept (they are lossy by the virtio spec).
 */
typedef int xv_scmi_p2a_fn(void *opaque, const void *msg, size_t len);

/* One agent's view of one resource kind: agent id i is platform index
 * map[i]. */
struct xv_scmi_view {
    uint16_t map[XV_SCMI_MAX_RESOURCES];
    uint16_t nr;
};

/* Per-agent state. Fields are the engine's; read them, don't write. */
struct xv_scmi_agent {
    char name[XV_SCMI_SHORT_NAME_MAX];
    uint32_t id;                /* 1.. while added; 0 = the platform */
    bool trusted;               /* may manage other agents (Base 0x9-0xB) */
    struct xv_scmi_view view[XV_SCMI_KIND_COUNT];
    /* Votes and wishes, by agent-local id. */
    uint64_t clock_on, power_on, voltage_on, reset_asserted;
    uint32_t perf_level[XV_SCMI_MAX_RESOURCES];     /* 0: no request */
    uint32_t perf_min[XV_SCMI_MAX_RESOURCES];
    uint32_t perf_max[XV_SCMI_MAX_RESOURCES];
    /* Notification subscriptions, bit per agent-local id, per kind of
     * notification (engine-defined indices). */
    uint64_t notify[8];
    uint32_t sensor_config[XV_SCMI_MAX_RESOURCES];
    bool base_error_notify;
    /* Protocols hidden from this agent (bit p - 0x10), e.g. by config or
     * BASE_SET_PROTOCOL_PERMISSIONS. */
    uint32_t protocols_denied;
    /* P2A transport: NULL when the agent has none (no eventq). */
    xv_scmi_p2a_fn *p2a;
    void *p2a_opaque;
    /* Delayed responses waiting for a P2A buffer. */
    uint8_t pending[XV_SCMI_P2A_PENDING][XV_SCMI_MAX_MSG];
    uint16_t pending_len[XV_SCMI_P2A_PENDING];
    uint32_t pending_seq[XV_SCMI_P2A_PENDING];
    uint8_t pending_head, pending_count;
    /* Notifications waiting likewise; the oldest goes when full. */
    uint8_t notif[XV_SCMI_P2A_NOTIFY][XV_SCMI_MAX_MSG];
    uint16_t notif_len[XV_SCMI_P2A_NOTIFY];
    uint32_t notif_seq[XV_SCMI_P2A_NOTIFY];
    uint8_t notif_head, notif_count;
    /* Both queues go out in the order the messages were raised. */
    uint32_t p2a_seq;
    uint64_t notif_dropped;
    /* Messages handled, and counts per status, for the embedder's stats. */
    uint64_t messages;
    uint64_t errors;
};

struct xv_scmi_server {
    const struct xv_scmi_platform *platform;
    struct xv_scmi_agent *agents[XV_SCMI_MAX_AGENTS];   /* by id - 1 */
    /* Physical state, by platform index. */
    uint16_t clock_votes[XV_SCMI_MAX_RESOURCES];
    uint64_t clock_rate[XV_SCMI_MAX_RESOURCES];
    /* Who set the current rate: 0 the platform (default), an agent id, or
     * XV_SCMI_RATE_ORPHAN once that agent dropped its votes: the default
     * comes back when the clock next stops. */
    uint16_t clock_rate_by[XV_SCMI_MAX_RESOURCES];
    uint16_t power_votes[XV_SCMI_MAX_RESOURCES];
    uint16_t voltage_votes[XV_SCMI_MAX_RESOURCES];
    int32_t voltage_uv[XV_SCMI_MAX_RESOURCES];
    uint16_t reset_asserts[XV_SCMI_MAX_RESOURCES];
    uint32_t perf_level[XV_SCMI_MAX_RESOURCES];
    uint32_t perf_min[XV_SCMI_MAX_RESOURCES];
    uint32_t perf_max[XV_SCMI_MAX_RESOURCES];
    /* The agent whose message or vote drop is being handled (NULL
     * otherwise): platform ops may read it, e.g. to log who asked. */
    const struct xv_scmi_agent *caller;
    /* Optional: a guest-triggered oddity, for the embedder's rate-limited
     * log (status is the SCMI status answered). */
    void (*event)(void *opaque, const struct xv_scmi_agent *agent,
                  uint32_t hdr, int32_t status);
    void *event_opaque;
};

/*
 * Server. init checks the description against the static limits (names
 * NUL-terminated, counts, ascending rates/levels, defaults among them) and
 * applies boot state. Returns 0 or -EINVAL.
 */
int xv_scmi_server_init(struct xv_scmi_server *server,
                        const struct xv_scmi_platform *platform);

/*
 * Agents. init gives the agent an empty view; show() appends platform
 * resource 'index' of 'kind' as the agent's next id (-EINVAL if out of
 * range or already shown, -ENOSPC if full); show_all() gives everything.
 * add() assigns an id (1..) and makes the agent known to Base
 * DISCOVER_AGENT; -ENOSPC when XV_SCMI_MAX_AGENTS are registered.
 * remove() drops the agent's votes first. p2a may be NULL.
 */
void xv_scmi_agent_init(struct xv_scmi_agent *agent, const char *name,
                        xv_scmi_p2a_fn *p2a, void *p2a_opaque);
int xv_scmi_agent_show(struct xv_scmi_agent *agent, enum xv_scmi_kind kind,
                       unsigned index);
void xv_scmi_agent_show_all(struct xv_scmi_agent *agent,
                            const struct xv_scmi_server *server);
int xv_scmi_agent_add(struct xv_scmi_server *server,
                      struct xv_scmi_agent *agent);
void xv_scmi_agent_remove(struct xv_scmi_server *server,
                          struct xv_scmi_agent *agent);
/* Drop every vote, wish and subscription of the agent and every queued
 * delayed response and notification: what only it held on turns off, rates and levels only
 * it set return to their defaults. The agent stays registered. */
void xv_scmi_agent_drop_votes(struct xv_scmi_server *server,
                              struct xv_scmi_agent *agent);
/* The transport can take P2A messages again (a reply was sent, buffers
 * came back): deliver the queued ones, in the order they were raised. */
void xv_scmi_agent_p2a_ready(struct xv_scmi_server *server,
                             struct xv_scmi_agent *agent);
/* Enable or disable the agent's P2A channel (eventq negotiated or not). */
void xv_scmi_agent_set_p2a(struct xv_scmi_agent *agent, xv_scmi_p2a_fn *p2a,
                           void *p2a_opaque);

/*
 * Handle one message from 'agent': req is the header and parameters
 * (req_len bytes, the parameters' length is req_len - 4); the reply
 * (echoed header, int32 status, return values) is written to resp, at
 * most resp_cap bytes; multi-part replies are cut to fit. Returns the
 * reply's length, or 0 when resp_cap < 8 (nothing can be said) or the
 * message must get no reply (req_len < 4). Never reads or writes outside
 * the two buffers. The caller copies req out of guest memory first.
 */
size_t xv_scmi_handle(struct xv_scmi_server *server,
                      struct xv_scmi_agent *agent, const void *req,
                      size_t req_len, void *resp, size_t resp_cap);

/* A sensor's value changed (embedder polling hwmon, say): notify agents
 * that subscribed (SENSOR_UPDATE / trip points). */
void xv_scmi_sensor_changed(struct xv_scmi_server *server, unsigned sensor);

/*
 * The virtio-scmi device (device ID 32): cmdq, and eventq when
 * VIRTIO_SCMI_F_P2A_CHANNELS is offered and negotiated. One agent per
 * device; a device reset drops that agent's votes (the next kernel always
 * resets the device first: an agent restart).
 */
#define XV_VIRTIO_ID_SCMI               32u
#define VIRTIO_SCMI_F_P2A_CHANNELS      0
#define VIRTIO_SCMI_F_SHARED_MEMORY     1
#define XV_SCMI_VQ_CMD                  0u
#define XV_SCMI_VQ_EVENT                1u
#define XV_SCMI_DEV_SEGS                4u  /* request + reply, or split */

#define XV_SCMI_DEV_DEFAULT_QUEUE_SIZE 64u

struct xv_scmi_dev_params {
    uint16_t queue_size;        /* QueueNumMax: power of two <= 32768 */
    bool p2a;                   /* offer the eventq */
    /* Commands handled per queue_work call before yielding (0: queue
     * size), so a flooding guest cannot starve others. */
    unsigned max_requests_per_call;
};

struct xv_scmi_dev {
    struct xv_device *dev;
    struct xv_vq vqs[2];
    struct xv_scmi_server *server;
    struct xv_scmi_agent *agent;
    struct xv_scmi_dev_params params;
    /* Scratch for one command and its reply, and for one eventq chain. */
    uint8_t req[XV_SCMI_MAX_MSG];
    uint8_t resp[XV_SCMI_MAX_MSG];
    struct xv_iovec iov[XV_SCMI_DEV_SEGS];
    struct xv_gbuf gbuf[XV_SCMI_DEV_SEGS];
    bool in_command;            /* P2A waits (the engine queues it): what
                                   a command causes follows its response */
    uint64_t commands, malformed, p2a_sent, p2a_dropped;
};

void xv_scmi_dev_default_params(struct xv_scmi_dev_params *params);
/* Bind to dev (calls xv_device_init()); agent must already be added to
 * server. Returns 0 or -EINVAL. */
int xv_scmi_dev_init(struct xv_scmi_dev *sd, struct xv_device *dev,
                     const struct xv_platform *platform,
                     struct xv_scmi_server *server,
                     struct xv_scmi_agent *agent,
                     const struct xv_scmi_dev_params *params);
struct xv_scmi_dev *xv_scmi_dev_from_device(struct xv_device *dev);

#endif
