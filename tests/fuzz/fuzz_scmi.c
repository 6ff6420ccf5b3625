/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the SCMI server's message parser and every protocol, through
 * xv_scmi_handle(), for two agents with different views (one with a P2A
 * channel that is sometimes full), against a platform of every kind.
 *
 * Invariants: no crash or sanitizer report; a reply is 0 bytes (nothing
 * could be said) or 8..cap bytes, echoes the request header, and is exactly
 * 8 bytes when the status is not SUCCESS; P2A messages fit a virtio eventq
 * buffer; vote counts never exceed the agents plus the platform and equal
 * the platform's boot vote plus the agents' own views, and once
 * both agents' votes are dropped every resource is back to its boot state;
 * P2A queues stay bounded and drain whenever the channel has room.
 *
 * Input, records until the input ends:
 *   u8 ctl: bit 7 set: drop the votes of agent (bit 0);
 *           else bit 0 agent, bit 1 P2A channel full for this message
 *   u8 len (% 141: request bytes), u8 cap (% 141: reply buffer), then the
 *   request's bytes (header, parameters).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"
#include "scmi.h"

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz_scmi: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

static struct xv_scmi_clock_desc clocks[2];
static struct xv_scmi_reset_desc resets[1];
static struct xv_scmi_power_desc power[2];
static struct xv_scmi_perf_desc perf[1];
static struct xv_scmi_voltage_desc volt[1];
static struct xv_scmi_sensor_desc sensors[5];
static struct xv_scmi_platform plat;
static bool p2a_full;

static int sensor_read(void *o, unsigned s, int64_t *v, uint64_t *ts)
{
    (void)o;
    *v = -(int64_t)s;
    *ts = 1;
    return 0;
}

static const struct xv_scmi_platform_ops ops = { .sensor_read = sensor_read };

static int p2a(void *opaque, const void *msg, size_t len)
{
    (void)opaque;
    (void)msg;
    CHECK(len >= 4 && len <= XV_SCMI_MAX_MSG);
    return p2a_full ? -EAGAIN : 0;
}

static void build_platform(void)
{
    memset(&plat, 0, sizeof(plat));
    strcpy(clocks[0].name, "c0");
    clocks[0].nr_rates = 16;
    for (unsigned i = 0; i < 16; i++)
        clocks[0].rates[i] = 1000ull * (i + 1);
    clocks[0].default_rate = 1000;
    strcpy(clocks[1].name, "a-long-range-clock-name");
    clocks[1].range = true;
    clocks[1].nr_rates = 3;
    clocks[1].rates[0] = 1;
    clocks[1].rates[1] = 1ull << 40;
    clocks[1].rates[2] = 7;
    clocks[1].default_rate = 8;
    clocks[1].on_at_boot = true;
    strcpy(resets[0].name, "r0");
    strcpy(power[0].name, "p0");
    strcpy(power[1].name, "p1");
    power[1].on_at_boot = true;
    strcpy(perf[0].name, "cpu");
    perf[0].nr_levels = 3;
    for (unsigned i = 0; i < 3; i++)
        perf[0].levels[i] = (struct xv_scmi_perf_level){ 100 * (i + 1), i, 1 };
    perf[0].default_level = 200;
    strcpy(volt[0].name, "v0");
    volt[0].range = true;
    volt[0].nr_levels = 3;
    volt[0].levels_uv[0] = 800000;
    volt[0].levels_uv[1] = 1200000;
    volt[0].levels_uv[2] = 50000;
    volt[0].default_uv = 900000;
    for (unsigned i = 0; i < 5; i++) {
        snprintf(sensors[i].name, sizeof(sensors[i].name), "s%u", i);
        sensors[i].unit_type = 2;
        sensors[i].update_interval_s = i;
    }
    plat.clocks = clocks;
    plat.nr_clocks = 2;
    plat.resets = resets;
    plat.nr_resets = 1;
    plat.power = power;
    plat.nr_power = 2;
    plat.perf = perf;
    plat.nr_perf = 1;
    plat.voltage = volt;
    plat.nr_voltage = 1;
    plat.sensors = sensors;
    plat.nr_sensors = 5;
    plat.ops = &ops;
}

static void check_reply(const uint8_t *req, size_t len, const uint8_t *resp,
                        size_t out, size_t cap)
{
    int32_t status;

    if (out == 0) {
        CHECK(len < 4 || cap < 8);
        return;
    }
    CHECK(out >= 8 && out <= cap && out <= XV_SCMI_MAX_MSG);
    CHECK(memcmp(resp, req, 4) == 0);
    memcpy(&status, resp + 4, 4);
    if (status != SCMI_SUCCESS)
        CHECK(out == 8);
    CHECK(status <= 0 && status >= SCMI_PROTOCOL_ERROR);
}

static void check_votes(const struct xv_scmi_server *s, unsigned max)
{
    for (unsigned i = 0; i < 2; i++) {
        CHECK(s->clock_votes[i] <= max);
        CHECK(s->power_votes[i] <= max);
    }
    CHECK(s->voltage_votes[0] <= max);
    CHECK(s->reset_asserts[0] <= max);
}

/* Agents' own views holding platform resource 'index' of 'kind'. */
static unsigned held(const struct xv_scmi_agent *agents, unsigned n,
                     enum xv_scmi_kind kind, unsigned index)
{
    unsigned count = 0;

    for (unsigned a = 0; a < n; a++) {
        const struct xv_scmi_view *v = &agents[a].view[kind];
        uint64_t bits = kind == XV_SCMI_CLOCK ? agents[a].clock_on :
                        kind == XV_SCMI_POWER ? agents[a].power_on :
                        kind == XV_SCMI_VOLTAGE ? agents[a].voltage_on :
                        agents[a].reset_asserted;

        for (unsigned id = 0; id < v->nr; id++)
            count += v->map[id] == index && ((bits >> id) & 1u);
    }
    return count;
}

/* Every physical count is the platform's boot vote plus one per agent
 * whose own view says on: no vote lost, none counted twice. */
static void check_counts(const struct xv_scmi_server *s,
                         const struct xv_scmi_agent *agents, unsigned n)
{
    for (unsigned i = 0; i < 2; i++) {
        CHECK(s->clock_votes[i] == clocks[i].on_at_boot +
                                   held(agents, n, XV_SCMI_CLOCK, i));
        CHECK(s->power_votes[i] == power[i].on_at_boot +
                                   held(agents, n, XV_SCMI_POWER, i));
    }
    CHECK(s->voltage_votes[0] == volt[0].on_at_boot +
                                 held(agents, n, XV_SCMI_VOLTAGE, 0));
    CHECK(s->reset_asserts[0] == held(agents, n, XV_SCMI_RESET, 0));
    for (unsigned a = 0; a < n; a++) {
        CHECK(agents[a].pending_count <= XV_SCMI_P2A_PENDING);
        CHECK(agents[a].notif_count <= XV_SCMI_P2A_NOTIFY);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct xv_scmi_server server;
    static struct xv_scmi_agent agents[2];
    uint8_t req[XV_SCMI_MAX_MSG + 4], resp[XV_SCMI_MAX_MSG + 16];
    size_t pos = 0;

    build_platform();
    CHECK(xv_scmi_server_init(&server, &plat) == 0);
    xv_scmi_agent_init(&agents[0], "full", p2a, NULL);
    xv_scmi_agent_show_all(&agents[0], &server);
    agents[0].trusted = true;
    xv_scmi_agent_init(&agents[1], "part", NULL, NULL);
    xv_scmi_agent_show(&agents[1], XV_SCMI_CLOCK, 1);
    xv_scmi_agent_show(&agents[1], XV_SCMI_CLOCK, 0);
    xv_scmi_agent_show(&agents[1], XV_SCMI_POWER, 0);
    xv_scmi_agent_show(&agents[1], XV_SCMI_VOLTAGE, 0);
    xv_scmi_agent_show(&agents[1], XV_SCMI_PERF, 0);
    CHECK(xv_scmi_agent_add(&server, &agents[0]) == 0);
    CHECK(xv_scmi_agent_add(&server, &agents[1]) == 0);
    while (pos + 3 <= size) {
        uint8_t ctl = data[pos];
        size_t len = data[pos + 1] % (XV_SCMI_MAX_MSG + 5);
        size_t cap = data[pos + 2] % (XV_SCMI_MAX_MSG + 5), out;
        struct xv_scmi_agent *a = &agents[ctl & 1];

        pos += 3;
        if (ctl & 0x80) {
            xv_scmi_agent_drop_votes(&server, a);
            continue;
        }
        if (len > size - pos)
            len = size - pos;
        memcpy(req, data + pos, len);
        pos += len;
        p2a_full = ctl & 2;
        memset(resp, 0xcc, sizeof(resp));
        out = xv_scmi_handle(&server, a, req, len, resp, cap);
        check_reply(req, len, resp, out, cap);
        if (!p2a_full) {    /* as a transport does after its reply */
            xv_scmi_agent_p2a_ready(&server, a);
            CHECK(a->pending_count == 0 && a->notif_count == 0);
        }
        for (size_t i = cap; i < sizeof(resp); i++)
            CHECK(resp[i] == 0xcc);     /* nothing past the buffer */
        check_votes(&server, 3);
        check_counts(&server, agents, 2);
    }
    xv_scmi_agent_remove(&server, &agents[0]);
    xv_scmi_agent_remove(&server, &agents[1]);
    CHECK(server.clock_votes[0] == 0 && server.clock_votes[1] == 1);
    CHECK(server.power_votes[0] == 0 && server.power_votes[1] == 1);
    CHECK(server.voltage_votes[0] == 0 && server.reset_asserts[0] == 0);
    CHECK(server.clock_rate[0] == 1000);
    CHECK(server.perf_level[0] == 200);
    CHECK(server.voltage_uv[0] == 900000);
    return 0;
}
