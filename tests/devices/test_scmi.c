/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SCMI engine through xv_scmi_handle(): every protocol's commands and
 * error statuses with exact bytes, per-agent views, vote counting against
 * a platform that records its physical calls, recovery, and P2A.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ring_helper.h"
#include "scmi.h"
#include "test_platform.h"

/* ---- a platform that records what physically happens ---- */

struct fake {
    int clock_on[4], clock_off[4], power_on[4], power_off[4];
    uint64_t rate[4];
    unsigned rate_calls, perf_calls, reset_calls[3];
    uint32_t perf_level;
    int volt_on, volt_off;
    int32_t volt_level;
    int fail;                   /* next op fails */
    int64_t sensor_value;
};

static int f_clock_enable(void *o, unsigned c, bool on)
{
    struct fake *f = o;

    if (f->fail)
        return -EIO;
    (on ? f->clock_on : f->clock_off)[c]++;
    return 0;
}

static int f_clock_set_rate(void *o, unsigned c, uint64_t r)
{
    struct fake *f = o;

    f->rate[c] = r;
    f->rate_calls++;
    return 0;
}

static int f_reset(void *o, unsigned d, enum xv_scmi_reset_op op)
{
    ((struct fake *)o)->reset_calls[op]++;
    (void)d;
    return 0;
}

static int f_power(void *o, unsigned d, bool on)
{
    struct fake *f = o;

    (on ? f->power_on : f->power_off)[d]++;
    return 0;
}

static int f_perf(void *o, unsigned d, uint32_t level)
{
    struct fake *f = o;

    (void)d;
    f->perf_level = level;
    f->perf_calls++;
    return 0;
}

static int f_volt_enable(void *o, unsigned d, bool on)
{
    struct fake *f = o;

    (void)d;
    if (on)
        f->volt_on++;
    else
        f->volt_off++;
    return 0;
}

static int f_volt_level(void *o, unsigned d, int32_t uv)
{
    (void)d;
    ((struct fake *)o)->volt_level = uv;
    return 0;
}

static int f_sensor(void *o, unsigned s, int64_t *v, uint64_t *ts)
{
    struct fake *f = o;

    if (f->fail)
        return -EIO;
    *v = f->sensor_value + s;
    *ts = 0x1122334455667788ull;
    return 0;
}

static const struct xv_scmi_platform_ops fake_ops = {
    f_clock_enable, f_clock_set_rate, f_reset, f_power, f_perf,
    f_volt_enable, f_volt_level, f_sensor,
};

/* ---- fixture: 3 clocks, 1 reset, 2 power, 1 perf, 1 voltage, 5 sensors ---- */

struct fx {
    struct fake fake;
    struct xv_scmi_clock_desc clocks[3];
    struct xv_scmi_reset_desc resets[1];
    struct xv_scmi_power_desc power[2];
    struct xv_scmi_perf_desc perf[1];
    struct xv_scmi_voltage_desc volt[1];
    struct xv_scmi_sensor_desc sensors[5];
    struct xv_scmi_platform plat;
    struct xv_scmi_server server;
    struct xv_scmi_agent a, b;      /* a: everything; b: clock 1, power 0 */
    uint8_t p2a_msgs[8][XV_SCMI_MAX_MSG];
    size_t p2a_len[8];
    unsigned p2a_count;
    bool p2a_full;
    uint8_t resp[XV_SCMI_MAX_MSG];
    size_t resp_len;
    unsigned token;
};

static struct fx *F;

static int p2a(void *opaque, const void *msg, size_t len)
{
    struct fx *f = opaque;

    if (f->p2a_full || f->p2a_count == 8)
        return -EAGAIN;
    memcpy(f->p2a_msgs[f->p2a_count], msg, len);
    f->p2a_len[f->p2a_count++] = len;
    return 0;
}

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    strcpy(f->clocks[0].name, "uart0");
    f->clocks[0].nr_rates = 2;
    f->clocks[0].rates[0] = 24000000;
    f->clocks[0].rates[1] = 48000000;
    f->clocks[0].default_rate = 24000000;
    f->clocks[0].enable_latency_us = 7;
    strcpy(f->clocks[1].name, "shared");
    f->clocks[1].nr_rates = 17 > XV_SCMI_MAX_RATES ? XV_SCMI_MAX_RATES : 17;
    for (unsigned i = 0; i < f->clocks[1].nr_rates; i++)
        f->clocks[1].rates[i] = 1000000ull * (i + 1);
    f->clocks[1].default_rate = 1000000;
    strcpy(f->clocks[2].name, "a-very-long-clock-name");
    f->clocks[2].range = true;
    f->clocks[2].nr_rates = 3;
    f->clocks[2].rates[0] = 1000;
    f->clocks[2].rates[1] = 0x200000000ull;   /* above 32 bits */
    f->clocks[2].rates[2] = 1000;
    f->clocks[2].default_rate = 5000;
    f->clocks[2].on_at_boot = true;
    strcpy(f->resets[0].name, "eth0");
    f->resets[0].latency_us = 100;
    strcpy(f->power[0].name, "gpu");
    strcpy(f->power[1].name, "always");
    f->power[1].on_at_boot = true;
    strcpy(f->perf[0].name, "cpu");
    f->perf[0].nr_levels = 3;
    f->perf[0].levels[0] = (struct xv_scmi_perf_level){ 100, 10, 5 };
    f->perf[0].levels[1] = (struct xv_scmi_perf_level){ 200, 20, 5 };
    f->perf[0].levels[2] = (struct xv_scmi_perf_level){ 300, 30, 5 };
    f->perf[0].default_level = 100;
    strcpy(f->volt[0].name, "vdd");
    f->volt[0].nr_levels = 2;
    f->volt[0].levels_uv[0] = 1800000;
    f->volt[0].levels_uv[1] = 3300000;
    f->volt[0].default_uv = 1800000;
    for (unsigned i = 0; i < 5; i++) {
        snprintf(f->sensors[i].name, sizeof(f->sensors[i].name), "temp%u", i);
        f->sensors[i].unit_type = SCMI_SENSOR_UNIT_TEMPERATURE_C;
        f->sensors[i].unit_exp = -3;
    }
    f->sensors[0].update_interval_s = 2;
    strcpy(f->plat.vendor, "vend");
    strcpy(f->plat.sub_vendor, "sub");
    f->plat.impl_version = 0x1234;
    f->plat.clocks = f->clocks;
    f->plat.nr_clocks = 3;
    f->plat.resets = f->resets;
    f->plat.nr_resets = 1;
    f->plat.power = f->power;
    f->plat.nr_power = 2;
    f->plat.perf = f->perf;
    f->plat.nr_perf = 1;
    f->plat.voltage = f->volt;
    f->plat.nr_voltage = 1;
    f->plat.sensors = f->sensors;
    f->plat.nr_sensors = 5;
    f->plat.ops = &fake_ops;
    f->plat.opaque = &f->fake;
    f->fake.sensor_value = 45000;
    assert_int_equal(xv_scmi_server_init(&f->server, &f->plat), 0);
    xv_scmi_agent_init(&f->a, "guest-a", NULL, NULL);
    xv_scmi_agent_show_all(&f->a, &f->server);
    xv_scmi_agent_init(&f->b, "guest-b", NULL, NULL);
    assert_int_equal(xv_scmi_agent_show(&f->b, XV_SCMI_CLOCK, 1), 0);
    assert_int_equal(xv_scmi_agent_show(&f->b, XV_SCMI_POWER, 0), 0);
    assert_int_equal(xv_scmi_agent_show(&f->b, XV_SCMI_PERF, 0), 0);
    assert_int_equal(xv_scmi_agent_show(&f->b, XV_SCMI_VOLTAGE, 0), 0);
    assert_int_equal(xv_scmi_agent_add(&f->server, &f->a), 0);
    assert_int_equal(xv_scmi_agent_add(&f->server, &f->b), 0);
    F = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static uint32_t le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Send a command of n u32 parameters with a reply buffer of cap bytes;
 * returns the status. F->resp / F->resp_len hold the reply. */
static int32_t send_cap(struct xv_scmi_agent *ag, uint8_t proto, uint8_t id,
                        size_t cap, unsigned n, ...)
{
    uint8_t req[4 + 4 * 8];
    uint32_t hdr = SCMI_HDR(id, 0, proto, ++F->token & 0x3ff);
    va_list ap;

    va_start(ap, n);
    for (unsigned i = 0; i < 4; i++)
        req[i] = (uint8_t)(hdr >> (8 * i));
    for (unsigned k = 0; k < n; k++) {
        uint32_t v = va_arg(ap, uint32_t);

        for (unsigned i = 0; i < 4; i++)
            req[4 + 4 * k + i] = (uint8_t)(v >> (8 * i));
    }
    va_end(ap);
    memset(F->resp, 0xee, sizeof(F->resp));
    F->resp_len = xv_scmi_handle(&F->server, ag, req, 4 + 4 * n, F->resp, cap);
    assert_true(F->resp_len >= 8);
    assert_int_equal(le(F->resp), hdr);        /* echoed exactly */
    if ((int32_t)le(F->resp + 4) != SCMI_SUCCESS)
        assert_int_equal(F->resp_len, 8);      /* errors: the status alone */
    return (int32_t)le(F->resp + 4);
}

#define SEND(ag, proto, id, ...) send_cap(ag, proto, id, XV_SCMI_MAX_MSG, __VA_ARGS__)
#define VAL(i) le(F->resp + 8 + 4 * (i))

/* ---- dispatch ---- */

static void test_dispatch_errors(void **state)
{
    uint8_t req[8] = { 0 }, resp[16];
    uint32_t hdr;

    (void)state;
    assert_int_equal(SEND(&F->a, 0x99, 0x0, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_RESET, 0x0, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x3f, 0), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x3, 0), SCMI_PROTOCOL_ERROR);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x3, 2, 0, 0), SCMI_PROTOCOL_ERROR);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x0, 1, 0), SCMI_PROTOCOL_ERROR);
    /* Reserved header bits and message types other than command. */
    hdr = SCMI_HDR(0, 0, SCMI_PROTOCOL_BASE, 1) | 0x10000000u;
    memcpy(req, &hdr, 4);
    assert_int_equal(xv_scmi_handle(&F->server, &F->a, req, 4, resp, sizeof(resp)), 8);
    assert_int_equal((int32_t)le(resp + 4), SCMI_PROTOCOL_ERROR);
    hdr = SCMI_HDR(0, SCMI_MSG_TYPE_NOTIFICATION, SCMI_PROTOCOL_BASE, 1);
    memcpy(req, &hdr, 4);
    assert_int_equal(xv_scmi_handle(&F->server, &F->a, req, 4, resp, sizeof(resp)), 8);
    assert_int_equal((int32_t)le(resp + 4), SCMI_PROTOCOL_ERROR);
    /* Nothing to say: too short a request, or no room for a status. */
    assert_int_equal(xv_scmi_handle(&F->server, &F->a, req, 3, resp, sizeof(resp)), 0);
    assert_int_equal(xv_scmi_handle(&F->server, &F->a, req, 4, resp, 7), 0);
    /* Room for the status but not the value: COMMS_ERROR, not a lie. */
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_BASE, 0x0, 8, 0), SCMI_COMMS_ERROR);
    assert_int_equal(F->a.errors, 8);     /* b's refusal is b's */
}

static void test_common_commands(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x0, 0), 0);
    assert_int_equal(VAL(0), 0x20000);
    assert_int_equal(F->resp_len, 12);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x0, 0), 0);
    assert_int_equal(VAL(0), 0x10000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x2, 1, 0x7), 0);
    assert_int_equal(VAL(0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x2, 1, 0x2), 0);
    /* Not implemented, and notify commands without a P2A channel. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x2, 1, 0xB), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x2, 1, 0x9), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x9, 2, 0, 1), SCMI_NOT_SUPPORTED);
    xv_scmi_agent_set_p2a(&F->a, p2a, F);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x2, 1, 0x9), 0);
}

/* ---- base ---- */

static void test_base(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x1, 0), 0);
    assert_int_equal(VAL(0), 6u | 2u << 8);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0x1, 0), 0);
    assert_int_equal(VAL(0), 4u | 2u << 8);     /* clock, power, perf, voltage */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x3, 0), 0);
    assert_int_equal(F->resp_len, 8 + 16);
    assert_string_equal((char *)F->resp + 8, "vend");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x4, 0), 0);
    assert_string_equal((char *)F->resp + 8, "sub");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x5, 0), 0);
    assert_int_equal(VAL(0), 0x1234);
    /* 6 protocols in two packed words, ascending, Base excluded. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x6, 1, 0), 0);
    assert_int_equal(F->resp_len, 8 + 4 + 8);
    assert_int_equal(VAL(0), 6);
    assert_int_equal(VAL(1), 0x15141311u);
    assert_int_equal(VAL(2), 0x00001716u);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x6, 1, 5), 0);
    assert_int_equal(VAL(0), 1);
    assert_int_equal(VAL(1), 0x17);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x6, 1, 6), 0);
    assert_int_equal(VAL(0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x6, 1, 7), SCMI_INVALID_PARAMETERS);
    /* A reply buffer too small for all: cut to whole words. */
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_BASE, 0x6, 8 + 8, 1, 0), 0);
    assert_int_equal(VAL(0), 4);
    assert_int_equal(VAL(1), 0x15141311u);
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_BASE, 0x6, 8 + 7, 1, 0), SCMI_COMMS_ERROR);
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_BASE, 0x6, 8 + 4, 1, 6), 0);
    assert_int_equal(F->resp_len, 8 + 4);
}

static void test_base_agents(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x7, 1, 0), 0);
    assert_int_equal(VAL(0), 0);
    assert_string_equal((char *)F->resp + 12, "platform");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x7, 1, 2), 0);
    assert_int_equal(VAL(0), 2);
    assert_string_equal((char *)F->resp + 12, "guest-b");
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0x7, 1, 0xffffffffu), 0);
    assert_int_equal(VAL(0), F->b.id);
    assert_int_equal(F->resp_len, 8 + 20);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x7, 1, 3), SCMI_NOT_FOUND);
    /* Managing others takes a trusted agent. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, 2, 0), SCMI_DENIED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xA, 4, 2, 0, 0x14, 0), SCMI_DENIED);
    F->a.trusted = true;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, 9, 0), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, 2, 2), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xA, 4, 2, 0, 0x10, 0), SCMI_DENIED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xA, 4, 2, 0, 0x14, 0), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x0, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0x1, 0), 0);
    assert_int_equal(VAL(0) & 0xff, 3);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xA, 4, 2, 0, 0x14, 1), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x0, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x9, 3, 2, 0, 0), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x0, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x9, 3, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x0, 0), 0);
}

/* ---- clock ---- */

static void test_clock_attributes(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x1, 0), 0);
    assert_int_equal(VAL(0), 3);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x1, 0), 0);
    assert_int_equal(VAL(0), 1);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x3, 1, 0), 0);
    assert_int_equal(F->resp_len, 8 + 24);
    assert_int_equal(VAL(0), 0);
    assert_string_equal((char *)F->resp + 12, "uart0");
    assert_int_equal(VAL(5), 7);
    /* The agent's own view: clock 2 is on at boot, but not for it. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x3, 1, 2), 0);
    assert_int_equal(VAL(0), 1u << 29);
    assert_int_equal(memcmp(F->resp + 12, "a-very-long-clo", 16), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x8, 1, 2), 0);
    assert_int_equal(F->resp_len, 8 + 68);
    assert_string_equal((char *)F->resp + 12, "a-very-long-clock-name");
    /* b's clock 0 is platform clock 1. */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x3, 1, 0), 0);
    assert_string_equal((char *)F->resp + 12, "shared");
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x3, 1, 1), SCMI_NOT_FOUND);
}

static void test_clock_describe_rates(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 2, 0, 0), 0);
    assert_int_equal(VAL(0), 2);
    assert_int_equal(VAL(1), 24000000);
    assert_int_equal(VAL(3), 48000000);
    assert_int_equal(F->resp_len, 8 + 4 + 16);
    /* 16 rates: 15 fit in 128 bytes, 1 remains. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 2, 1, 0), 0);
    assert_int_equal(VAL(0), 15u | 1u << 16);
    assert_int_equal(F->resp_len, 8 + 4 + 15 * 8);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 2, 1, 15), 0);
    assert_int_equal(VAL(0), 1);
    assert_int_equal(VAL(1), 16000000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 2, 1, 16), SCMI_OUT_OF_RANGE);
    /* A small buffer cuts the list; one without room for a rate fails. */
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 8 + 4 + 8 * 3, 2, 1, 0), 0);
    assert_int_equal(VAL(0), 3u | 13u << 16);
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 8 + 4 + 7, 2, 1, 0),
                     SCMI_COMMS_ERROR);
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 8 + 4 + 8 * 3 - 1, 2, 2, 0),
                     SCMI_COMMS_ERROR);
    /* Range: the triplet, remaining 0, 64-bit max. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 2, 2, 0), 0);
    assert_int_equal(VAL(0), 3u | 1u << 12);
    assert_int_equal(VAL(1), 1000);
    assert_int_equal(VAL(3), 0);
    assert_int_equal(VAL(4), 2);
    assert_int_equal(VAL(5), 1000);
}

static void test_clock_rates(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x6, 1, 0), 0);
    assert_int_equal(VAL(0), 24000000);
    assert_int_equal(VAL(1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 48000000, 0), 0);
    assert_int_equal(F->fake.rate[0], 48000000);
    /* Not a rate: rounded down by default, up or nearest when asked. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 30000000, 0), 0);
    assert_int_equal(F->fake.rate[0], 24000000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 4, 0, 30000000, 0), 0);
    assert_int_equal(F->fake.rate[0], 48000000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 8, 0, 30000000, 0), 0);
    assert_int_equal(F->fake.rate[0], 24000000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 1000, 0),
                     SCMI_INVALID_PARAMETERS);
    /* Outside lowest..highest no flag rounds into it, for discrete and
     * range clocks alike: not a supported rate. */
    for (uint32_t flags = 0; flags <= 8; flags += 4) {
        assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, flags, 0, 48000001, 0),
                         SCMI_INVALID_PARAMETERS);
        assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, flags, 0, 1000, 0),
                         SCMI_INVALID_PARAMETERS);
        assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, flags, 2, 999, 0),
                         SCMI_INVALID_PARAMETERS);
        assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, flags, 2, 1, 2),
                         SCMI_INVALID_PARAMETERS);
    }
    assert_int_equal(F->fake.rate[0], 24000000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0x10, 0, 24000000, 0),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 1, 0, 24000000, 0),
                     SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 3, 24000000, 0),
                     SCMI_NOT_FOUND);
    /* Range clock, above 32 bits, snapped to the step. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 2, 704, 1), 0);
    assert_int_equal(F->fake.rate[2], 4294968000ull);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 2, 1500, 1), 0);
    assert_int_equal(F->fake.rate[2], 4294968000ull);   /* rounded down */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 2, 0, 3),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 2, 2500, 0), 0);
    assert_int_equal(F->fake.rate[2], 2000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x6, 1, 2), 0);
    assert_int_equal(VAL(0), 2000);
}

static void test_clock_votes(void **state)
{
    (void)state;
    /* a's clock 1 and b's clock 0 are the same platform clock. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 1, 1), 0);
    assert_int_equal(F->fake.clock_on[1], 1);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 1, 1), 0);  /* again */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), 0);
    assert_int_equal(F->fake.clock_on[1], 1);
    assert_int_equal(F->server.clock_votes[1], 2);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 2000000, 0), SCMI_DENIED);
    /* The rate it already runs at (exact, or rounded to it): no change. */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 1000000, 0), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 1500000, 0), 0);
    assert_int_equal(F->fake.rate_calls, 0);
    assert_int_equal(F->server.clock_rate_by[1], 0);    /* still the default */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 1, 0), 0);
    assert_int_equal(F->fake.clock_off[1], 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x3, 1, 1), 0);
    assert_int_equal(VAL(0) & 1, 0);    /* a's view: off */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x3, 1, 0), 0);
    assert_int_equal(VAL(0) & 1, 1);    /* b's view: on */
    /* A stray disable from an agent that never enabled: nothing. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 1, 0), 0);
    assert_int_equal(F->server.clock_votes[1], 1);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 0), 0);
    assert_int_equal(F->fake.clock_off[1], 1);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 2), SCMI_INVALID_PARAMETERS);
    /* The platform's own boot vote never drops. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 2, 1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 2, 0), 0);
    assert_int_equal(F->fake.clock_on[2] + F->fake.clock_off[2], 0);
    /* A failing platform: HARDWARE_ERROR, no vote recorded. */
    F->fake.fail = 1;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), SCMI_HARDWARE_ERROR);
    assert_int_equal(F->server.clock_votes[0], 0);
    assert_int_equal(F->a.clock_on & 1, 0);
}

static void test_drop_votes(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x7, 2, 1, 1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 0, 48000000, 0), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 2, 0), 0);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_ASSERT], 1);
    /* a resets itself (its firmware restarted). */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, F->a.id, 0), 0);
    assert_int_equal(F->fake.clock_off[0], 1);
    assert_int_equal(F->fake.rate[0], 24000000);      /* back to default */
    assert_int_equal(F->fake.clock_off[1], 0);        /* b still runs it */
    assert_int_equal(F->fake.power_off[0], 1);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_DEASSERT], 1);
    assert_int_equal(F->a.clock_on | F->a.power_on | F->a.reset_asserted, 0);
    /* b dies. */
    xv_scmi_agent_remove(&F->server, &F->b);
    assert_int_equal(F->fake.clock_off[1], 1);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x1, 0), 0);
    assert_int_equal(VAL(0) >> 8, 1);
}

/* ---- power, reset ---- */

static void test_power(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x1, 0), 0);
    assert_int_equal(F->resp_len, 8 + 16);
    assert_int_equal(VAL(0), 2);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x3, 1, 0), 0);
    assert_int_equal(VAL(0), 1u << 29);
    assert_string_equal((char *)F->resp + 12, "gpu");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x5, 1, 1), 0);
    assert_int_equal(VAL(0), 0x40000000u);    /* own view, though on at boot */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(F->fake.power_on[0], 1);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0x40000000u), 0);
    assert_int_equal(F->fake.power_off[0], 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x5, 1, 0), 0);
    assert_int_equal(VAL(0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 2, 0, 0), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 1, 0, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0x80000000u),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0x00000003u),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 2, 0), SCMI_NOT_FOUND);
}

static void test_reset(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x3, 1, 0), 0);
    assert_int_equal(F->resp_len, 8 + 24);
    assert_int_equal(VAL(0), 0);
    assert_int_equal(VAL(1), 100);
    assert_string_equal((char *)F->resp + 16, "eth0");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 1, 0), 0);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_AUTONOMOUS], 1);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 8, 0), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 1, 1), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 5, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 1, 1, 0), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 2, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_ASSERT], 1);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_DEASSERT], 1);
}

/* ---- perf, voltage, sensor ---- */

static void test_perf(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_PERF, 0x3, 1, 0), 0);
    assert_int_equal(F->resp_len, 8 + 32);
    assert_int_equal(VAL(0), 3u << 30);
    assert_string_equal((char *)F->resp + 24, "cpu");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_PERF, 0x4, 2, 0, 1), 0);
    assert_int_equal(VAL(0), 2);
    assert_int_equal(VAL(1), 200);
    assert_int_equal(VAL(2), 20);
    assert_int_equal(VAL(3), 5);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_PERF, 0x4, 2, 0, 3), SCMI_OUT_OF_RANGE);
    /* The physical level is the highest wish. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_PERF, 0x7, 2, 0, 300), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x7, 2, 0, 200), 0);
    assert_int_equal(F->fake.perf_level, 300);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x8, 1, 0), 0);
    assert_int_equal(VAL(0), 300);
    /* b caps it. */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x5, 3, 0, 200, 100), 0);
    assert_int_equal(F->fake.perf_level, 200);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x6, 1, 0), 0);
    assert_int_equal(VAL(0), 200);
    assert_int_equal(VAL(1), 100);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_PERF, 0x6, 1, 0), 0);
    assert_int_equal(VAL(0), 300);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_PERF, 0x7, 2, 0, 250), SCMI_OUT_OF_RANGE);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x5, 3, 0, 100, 200),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x5, 3, 0, 400, 100), SCMI_OUT_OF_RANGE);
    xv_scmi_agent_drop_votes(&F->server, &F->b);
    assert_int_equal(F->fake.perf_level, 300);
    xv_scmi_agent_drop_votes(&F->server, &F->a);
    assert_int_equal(F->fake.perf_level, 100);
}

static void test_voltage(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x3, 1, 0), 0);
    assert_int_equal(F->resp_len, 8 + 20);
    assert_string_equal((char *)F->resp + 12, "vdd");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x4, 2, 0, 0), 0);
    assert_int_equal(VAL(0), 2);
    assert_int_equal(VAL(2), 3300000);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x5, 2, 0, 7), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_VOLTAGE, 0x5, 2, 0, 7), 0);
    assert_int_equal(F->fake.volt_on, 1);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_VOLTAGE, 0x7, 3, 0, 0, 3300000), SCMI_DENIED);
    /* The level it is already at: granted, nothing moves. */
    F->fake.volt_level = -1;
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_VOLTAGE, 0x7, 3, 0, 0, 1800000), 0);
    assert_int_equal(F->fake.volt_level, -1);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x5, 2, 0, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x6, 1, 0), 0);
    assert_int_equal(VAL(0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x5, 2, 0, 3), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x5, 2, 0, 0x10), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_VOLTAGE, 0x7, 3, 0, 0, 3300000), 0);
    assert_int_equal(F->fake.volt_level, 3300000);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_VOLTAGE, 0x7, 3, 0, 0, 2500000),
                     SCMI_OUT_OF_RANGE);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_VOLTAGE, 0x7, 3, 0, 1, 3300000),
                     SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_VOLTAGE, 0x8, 1, 0), 0);
    assert_int_equal(VAL(0), 3300000);
    xv_scmi_agent_remove(&F->server, &F->b);
    assert_int_equal(F->fake.volt_off, 1);
    assert_int_equal(F->fake.volt_level, 1800000);
}

static void test_sensor(void **state)
{
    (void)state;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x1, 0), 0);
    assert_int_equal(VAL(0), 5);
    /* Four 28-byte descriptors fit in 128 bytes; one remains. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x3, 1, 0), 0);
    assert_int_equal(VAL(0), 4u | 1u << 16);
    assert_int_equal(F->resp_len, 8 + 4 + 4 * 28);
    assert_int_equal(VAL(1), 0);
    assert_int_equal(VAL(3), 0x1du << 11 | 2u);   /* exponent -3, degrees C */
    assert_string_equal((char *)F->resp + 8 + 4 + 12, "temp0");
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x3, 1, 4), 0);
    assert_int_equal(VAL(0), 1);
    assert_int_equal(VAL(1), 4);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x3, 1, 5), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 2, 0), 0);
    assert_int_equal(F->resp_len, 8 + 16);
    assert_int_equal(VAL(0), 45002);
    assert_int_equal(VAL(1), 0);
    assert_int_equal(VAL(2), 0x55667788u);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 2, 2), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 2, 1), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 9, 0), SCMI_NOT_FOUND);
    F->fake.fail = 1;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 2, 0), SCMI_HARDWARE_ERROR);
    F->fake.fail = 0;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x8, 2, 0, 0), 0);
    assert_int_equal(VAL(0), 1);
    assert_int_equal(VAL(1), 2u << 5);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x8, 2, 1, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x9, 1, 0), 0);
    assert_int_equal(VAL(0), 1);                  /* enabled by default */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0xA, 2, 0, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x9, 1, 0), 0);
    assert_int_equal(VAL(0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0xA, 2, 0, 4), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_SENSOR, 0x0, 0), SCMI_NOT_SUPPORTED);
}

/* ---- error statuses, one line per case (a sees every resource) ---- */

static void test_error_statuses(void **state)
{
    static const struct {
        uint8_t proto, id;
        unsigned n;
        uint32_t p[3];
        int32_t status;
    } t[] = {
        /* Ids past the agent's resources. */
        { SCMI_PROTOCOL_POWER, 0x3, 1, { 2 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_POWER, 0x5, 1, { 2 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_CLOCK, 0x4, 2, { 3, 0 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_CLOCK, 0x6, 1, { 3 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_CLOCK, 0x7, 2, { 3, 1 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_CLOCK, 0x8, 1, { 3 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_RESET, 0x3, 1, { 1 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_RESET, 0x5, 2, { 1, 1 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_PERF, 0x3, 1, { 1 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_PERF, 0x4, 2, { 1, 0 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_PERF, 0x6, 1, { 1 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_PERF, 0x8, 1, { 1 }, SCMI_NOT_FOUND },
        { SCMI_PROTOCOL_VOLTAGE, 0x3, 1, { 1 }, SCMI_NOT_FOUND },
        /* Indices and flags. */
        { SCMI_PROTOCOL_VOLTAGE, 0x4, 2, { 0, 2 }, SCMI_OUT_OF_RANGE },
        { SCMI_PROTOCOL_VOLTAGE, 0x7, 3, { 0, 2, 1800000 }, SCMI_INVALID_PARAMETERS },
        { SCMI_PROTOCOL_SENSOR, 0x8, 2, { 0, 1 }, SCMI_OUT_OF_RANGE },
        /* Managing agents: not a guest's to do. */
        { SCMI_PROTOCOL_BASE, 0x9, 3, { 2, 0, 1 }, SCMI_DENIED },
    };

    (void)state;
    xv_scmi_agent_set_p2a(&F->a, p2a, F);     /* notify commands exist */
    for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
        int32_t status = send_cap(&F->a, t[k].proto, t[k].id, XV_SCMI_MAX_MSG,
                                  t[k].n, t[k].p[0], t[k].p[1], t[k].p[2]);

        if (status != t[k].status)
            fail_msg("entry %zu: protocol %#x msg %#x: status %d, expected %d",
                     k, t[k].proto, t[k].id, status, t[k].status);
    }
    assert_int_equal(F->a.errors, sizeof(t) / sizeof(t[0]));
}

/* ---- multi-part replies in small buffers, every protocol alike ---- */

static void test_multipart_cut(void **state)
{
    /* cap: the reply buffer (header + status + values); flags: the
     * returned/remaining word on SUCCESS. */
    static const struct {
        uint8_t proto, id;
        uint32_t p0, p1, cap;
        int32_t status;
        uint32_t flags;
    } t[] = {
        { SCMI_PROTOCOL_CLOCK, 0x4, 1, 0, 8 + 4 + 8, 0, 1u | 15u << 16 },
        { SCMI_PROTOCOL_CLOCK, 0x4, 1, 0, 8 + 4 + 7, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_CLOCK, 0x4, 1, 0, 8 + 3, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_PERF, 0x4, 0, 0, 8 + 4 + 12, 0, 1u | 2u << 16 },
        { SCMI_PROTOCOL_PERF, 0x4, 0, 0, 8 + 4 + 11, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_PERF, 0x4, 0, 0, 8 + 3, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_SENSOR, 0x3, 0, 0, 8 + 4 + 28, 0, 1u | 4u << 16 },
        { SCMI_PROTOCOL_SENSOR, 0x3, 0, 0, 8 + 4 + 27, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_SENSOR, 0x3, 0, 0, 8 + 3, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_VOLTAGE, 0x4, 0, 0, 8 + 4 + 4, 0, 1u | 1u << 16 },
        { SCMI_PROTOCOL_VOLTAGE, 0x4, 0, 0, 8 + 4 + 3, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_VOLTAGE, 0x4, 0, 0, 8 + 3, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_BASE, 0x6, 0, 0, 8 + 4 + 4, 0, 4 },
        { SCMI_PROTOCOL_BASE, 0x6, 0, 0, 8 + 4 + 3, SCMI_COMMS_ERROR, 0 },
        { SCMI_PROTOCOL_BASE, 0x6, 0, 0, 8 + 3, SCMI_COMMS_ERROR, 0 },
    };

    (void)state;
    for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
        unsigned n = t[k].proto == SCMI_PROTOCOL_SENSOR ||
                     t[k].proto == SCMI_PROTOCOL_BASE ? 1 : 2;
        int32_t status = send_cap(&F->a, t[k].proto, t[k].id, t[k].cap, n,
                                  t[k].p0, t[k].p1);

        if (status != t[k].status || (status == 0 && VAL(0) != t[k].flags))
            fail_msg("entry %zu: protocol %#x msg %#x cap %u: status %d flags %#x",
                     k, t[k].proto, t[k].id, t[k].cap, status, VAL(0));
    }
}

/* ---- P2A: delayed responses and notifications ---- */

static void test_p2a(void **state)
{
    uint32_t hdr;

    (void)state;
    xv_scmi_agent_set_p2a(&F->a, p2a, F);
    xv_scmi_agent_set_p2a(&F->b, p2a, F);
    /* b subscribes to rate changes of its clock 0 (platform clock 1). */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x9, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 0, 1, 3000000, 0), 0);
    assert_int_equal(F->p2a_count, 1);
    hdr = le(F->p2a_msgs[0]);
    assert_int_equal(SCMI_HDR_TYPE(hdr), SCMI_MSG_TYPE_NOTIFICATION);
    assert_int_equal(SCMI_HDR_PROTOCOL(hdr), SCMI_PROTOCOL_CLOCK);
    assert_int_equal(F->p2a_len[0], 4 + 16);
    assert_int_equal(le(F->p2a_msgs[0] + 4), F->a.id);     /* who caused it */
    assert_int_equal(le(F->p2a_msgs[0] + 8), 0);           /* b's own id */
    assert_int_equal(le(F->p2a_msgs[0] + 12), 3000000);
    /* An async rate set: SUCCESS now, the delayed response after it. */
    F->p2a_full = true;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 1, 0, 48000000, 0), 0);
    hdr = le(F->resp);
    assert_int_equal(F->p2a_count, 1);          /* no buffer: kept */
    assert_int_equal(F->a.pending_count, 1);
    F->p2a_full = false;
    xv_scmi_agent_p2a_ready(&F->server, &F->a);
    assert_int_equal(F->p2a_count, 2);
    assert_int_equal(le(F->p2a_msgs[1]), (hdr & ~0x300u) | 0x200u);
    assert_int_equal(F->p2a_len[1], 4 + 16);
    assert_int_equal(le(F->p2a_msgs[1] + 4), 0);           /* status */
    assert_int_equal(le(F->p2a_msgs[1] + 8), 0);           /* clock id */
    assert_int_equal(le(F->p2a_msgs[1] + 12), 48000000);
    /* Dropping votes drops what is still owed to the old instance. */
    F->p2a_full = true;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 0, 1), 0);
    assert_int_equal(F->a.pending_count, 1);
    xv_scmi_agent_drop_votes(&F->server, &F->a);
    assert_int_equal(F->a.pending_count, 0);
    /* Power notifications go out on physical changes only. */
    F->p2a_full = false;
    F->p2a_count = 0;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x6, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(F->p2a_count, 1);
    assert_int_equal(le(F->p2a_msgs[0] + 12), 0);          /* on */
    /* A full queue of owed delayed responses: BUSY, none ever lost. */
    F->p2a_full = true;
    F->p2a_count = 0;
    for (unsigned i = 0; i < XV_SCMI_P2A_PENDING; i++) {
        assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 1, 0, 48000000, 0), 0);
        if (i == 0)
            hdr = le(F->resp);
    }
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 1, 0, 48000000, 0), SCMI_BUSY);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 5, 0), SCMI_BUSY);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_AUTONOMOUS], 0);
    /* An async sensor reading too (it used to answer SUCCESS and lose
     * its delayed response). */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_SENSOR, 0x6, 2, 0, 1), SCMI_BUSY);
    assert_int_equal(F->a.pending_count, XV_SCMI_P2A_PENDING);
    /* Ignoring the delayed response needs no room. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_CLOCK, 0x5, 4, 3, 0, 24000000, 0), 0);
    F->p2a_full = false;
    xv_scmi_agent_p2a_ready(&F->server, &F->a);
    assert_int_equal(F->p2a_count, 8);          /* the fake's capacity */
    assert_int_equal(F->a.pending_count, XV_SCMI_P2A_PENDING - 8);
    assert_int_equal(le(F->p2a_msgs[0]), (hdr & ~0x300u) | 0x200u);  /* in order */
}

/* Notifications wait while the transport cannot take them; a full queue
 * gives up its oldest (counted), never a delayed response, and what is
 * queued goes out in the order it was raised. */
static void test_p2a_notify_queue(void **state)
{
    (void)state;
    xv_scmi_agent_set_p2a(&F->a, p2a, F);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_POWER, 0x6, 2, 0, 1), 0);
    F->p2a_full = true;
    for (unsigned i = 0; i < 5; i++) {      /* on, off: 10 notifications */
        assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
        assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0x40000000u), 0);
    }
    assert_int_equal(F->a.notif_count, XV_SCMI_P2A_NOTIFY);
    assert_int_equal(F->a.notif_dropped, 10 - XV_SCMI_P2A_NOTIFY);
    /* A delayed response raised now comes after them all. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 5, 0), 0);
    assert_int_equal(F->a.pending_count, 1);
    F->p2a_full = false;
    xv_scmi_agent_p2a_ready(&F->server, &F->a);
    assert_int_equal(F->p2a_count, 8);      /* the fake's capacity */
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(SCMI_HDR_TYPE(le(F->p2a_msgs[i])), SCMI_MSG_TYPE_NOTIFICATION);
        /* The 3rd raised (on) is the oldest kept; they alternate. */
        assert_int_equal(le(F->p2a_msgs[i] + 12), i % 2 ? 0x40000000u : 0);
    }
    F->p2a_count = 0;
    xv_scmi_agent_p2a_ready(&F->server, &F->a);
    assert_int_equal(F->p2a_count, 1);
    assert_int_equal(SCMI_HDR_TYPE(le(F->p2a_msgs[0])), SCMI_MSG_TYPE_DELAYED_RESP);
    assert_int_equal(F->a.pending_count + F->a.notif_count, 0);
    /* A reset agent is owed nothing it was queued before. */
    F->p2a_full = true;
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(F->a.notif_count, 1);
    xv_scmi_agent_drop_votes(&F->server, &F->a);
    assert_int_equal(F->a.notif_count, 0);
}

static void test_server_init_checks(void **state)
{
    struct xv_scmi_server s;

    (void)state;
    F->clocks[0].default_rate = 1;
    assert_int_equal(xv_scmi_server_init(&s, &F->plat), -EINVAL);
    F->clocks[0].default_rate = 24000000;
    F->clocks[0].rates[1] = 24000000;   /* not ascending */
    assert_int_equal(xv_scmi_server_init(&s, &F->plat), -EINVAL);
    F->clocks[0].rates[1] = 48000000;
    F->perf[0].default_level = 150;
    assert_int_equal(xv_scmi_server_init(&s, &F->plat), -EINVAL);
    F->perf[0].default_level = 100;
    F->sensors[0].name[0] = '\0';
    assert_int_equal(xv_scmi_server_init(&s, &F->plat), -EINVAL);
    F->sensors[0].name[0] = 't';
    assert_int_equal(xv_scmi_server_init(&s, &F->plat), 0);
    /* Views: no duplicates, nothing outside the platform. */
    assert_int_equal(xv_scmi_agent_show(&F->b, XV_SCMI_CLOCK, 1), -EINVAL);
    {
        struct xv_scmi_agent c;

        xv_scmi_agent_init(&c, "c", NULL, NULL);
        assert_int_equal(xv_scmi_agent_show(&c, XV_SCMI_CLOCK, 7), 0);
        assert_int_equal(xv_scmi_agent_add(&F->server, &c), -EINVAL);
    }
}

/* ---- recovery and management through Base ---- */

static void test_base_reset_agent(void **state)
{
    (void)state;
    xv_scmi_agent_set_p2a(&F->a, p2a, F);
    /* Flags: bit0 only; restoring permissions is a trusted agent's call
     * (else a denied agent could undo its denial). */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0xB, 2, F->b.id, 2),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0xB, 2, F->b.id, 1), SCMI_DENIED);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0xB, 2, 0, 0), SCMI_DENIED);
    /* b runs the shared clock; the trusted a resets b. */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    F->a.trusted = true;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xA, 4, F->b.id, 0, 0x13, 0), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x0, 0), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, 0, 0), 0);  /* platform: no-op */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, F->b.id, 0), 0);
    assert_int_equal(F->fake.clock_off[1], 1);
    assert_int_equal(F->fake.power_off[0], 1);
    assert_int_equal(F->b.clock_on | F->b.power_on, 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x0, 0), SCMI_NOT_SUPPORTED);
    /* With bit0 the permissions come back too. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xB, 2, F->b.id, 1), 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_PERF, 0x0, 0), 0);
    /* A clock runs again after recovery: votes were not leaked. */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), 0);
    assert_int_equal(F->fake.clock_on[1], 2);
    assert_int_equal(F->server.clock_votes[1], 1);
    /* Unknown device / protocol ids. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x9, 3, F->b.id, 1, 1), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x9, 3, F->b.id, 0, 2),
                     SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0xA, 4, F->b.id, 0, 0x18, 1),
                     SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x9, 3, 7, 0, 1), SCMI_NOT_FOUND);
    /* NOTIFY_ERRORS: P2A only, bit0 only. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x8, 1, 1), 0);
    assert_true(F->a.base_error_notify);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x8, 1, 3), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0x8, 1, 1), SCMI_NOT_SUPPORTED);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_BASE, 0x2, 1, 0x8), SCMI_NOT_FOUND);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x2, 1, 0x8), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x2, 1, 0xC), SCMI_NOT_FOUND);
}

/* ---- reset lines shared by two agents, notifications ---- */

static void test_reset_shared(void **state)
{
    struct xv_scmi_agent c;

    (void)state;
    xv_scmi_agent_init(&c, "guest-c", NULL, NULL);
    assert_int_equal(xv_scmi_agent_show(&c, XV_SCMI_RESET, 0), 0);
    assert_int_equal(xv_scmi_agent_add(&F->server, &c), 0);
    xv_scmi_agent_set_p2a(&F->a, p2a, F);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x5, 2, 0, 1), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x5, 2, 0, 2), SCMI_INVALID_PARAMETERS);
    assert_int_equal(SEND(&c, SCMI_PROTOCOL_RESET, 0x5, 2, 0, 1), SCMI_NOT_SUPPORTED);
    /* c holds the line: a's pulse would end c's hold. */
    assert_int_equal(SEND(&c, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 2, 0), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 1, 0), SCMI_DENIED);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 2, 0), 0);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_ASSERT], 1);
    assert_int_equal(SEND(&c, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_DEASSERT], 0);
    assert_int_equal(F->server.reset_asserts[0], 1);
    /* a's own hold ends with its pulse. */
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 1, 0), 0);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_DEASSERT], 1);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_AUTONOMOUS], 1);
    assert_int_equal(F->server.reset_asserts[0], 0);
    /* Only the subscriber (a) heard: 4 resets issued, who did it first. */
    assert_int_equal(F->p2a_count, 4);
    assert_int_equal(le(F->p2a_msgs[0]),
                     SCMI_HDR(0, SCMI_MSG_TYPE_NOTIFICATION, SCMI_PROTOCOL_RESET, 0));
    assert_int_equal(F->p2a_len[0], 4 + 12);
    assert_int_equal(le(F->p2a_msgs[0] + 4), c.id);
    assert_int_equal(le(F->p2a_msgs[0] + 8), 0);
    assert_int_equal(le(F->p2a_msgs[3] + 4), F->a.id);
    /* c dies holding the line: released. */
    assert_int_equal(SEND(&c, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 2, 0), 0);
    xv_scmi_agent_remove(&F->server, &c);
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_DEASSERT], 2);
    assert_int_equal(F->server.reset_asserts[0], 0);
    /* Async reset: SUCCESS, then the delayed RESET_COMPLETE. */
    F->p2a_count = 0;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 5, 0), 0);
    assert_int_equal(F->p2a_count, 2);      /* notification, delayed response */
    assert_int_equal(SCMI_HDR_TYPE(le(F->p2a_msgs[1])), SCMI_MSG_TYPE_DELAYED_RESP);
    assert_int_equal(F->p2a_len[1], 4 + 8);
    assert_int_equal(le(F->p2a_msgs[1] + 4), 0);
    assert_int_equal(le(F->p2a_msgs[1] + 8), 0);
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_RESET, 0x4, 3, 0, 4, 0), SCMI_INVALID_PARAMETERS);
}

/* ---- the embedder's view: counters and the event hook ---- */

struct events {
    unsigned n;
    const struct xv_scmi_agent *agent;
    uint32_t hdr;
    int32_t status;
};

static void on_event(void *opaque, const struct xv_scmi_agent *agent,
                     uint32_t hdr, int32_t status)
{
    struct events *e = opaque;

    e->n++;
    e->agent = agent;
    e->hdr = hdr;
    e->status = status;
}

static void test_events(void **state)
{
    struct events e = { 0 };

    (void)state;
    F->server.event = on_event;
    F->server.event_opaque = &e;
    assert_int_equal(SEND(&F->a, SCMI_PROTOCOL_BASE, 0x0, 0), 0);
    assert_int_equal(e.n, 0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x3, 1, 5), SCMI_NOT_FOUND);
    assert_int_equal(e.n, 1);
    assert_ptr_equal(e.agent, &F->b);
    assert_int_equal(e.hdr, le(F->resp));
    assert_int_equal(e.status, SCMI_NOT_FOUND);
    assert_int_equal(F->a.messages, 1);
    assert_int_equal(F->a.errors, 0);
    assert_int_equal(F->b.messages, 1);
    assert_int_equal(F->b.errors, 1);
    assert_null(F->server.caller);
}

/* ---- the virtio-scmi device, through the core ---- */

#define VQSIZE      32u
#define VBUF_GPA    (TP_RAM_GPA + 0x20000)
#define F_V1        XV_FEATURE(XV_F_VERSION_1)
#define F_P2A       XV_FEATURE(VIRTIO_SCMI_F_P2A_CHANNELS)

struct vfx {
    struct test_platform tp;
    struct xv_device dev;
    struct xv_scmi_dev sd;
    struct drv_vq q[2];
    uint16_t next_desc[2];
    uint64_t next_gpa;
};

static struct vfx *V;

struct vseg {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

static void vw32(uint32_t off, uint32_t val)
{
    assert_int_equal(xv_mmio_write(&V->dev, off, 4, val), 0);
}

static uint32_t vr32(uint32_t off)
{
    uint32_t val = 0;

    assert_int_equal(xv_mmio_read(&V->dev, off, 4, &val), 0);
    return val;
}

static int vsetup_with(void **state, bool p2a_offered, unsigned batch)
{
    struct xv_scmi_dev_params params;

    setup(state);
    V = calloc(1, sizeof(*V));
    assert_non_null(V);
    assert_int_equal(tp_init(&V->tp, 0), 0);
    V->tp.bounce = true;
    V->tp.expected_dev = &V->dev;
    xv_scmi_dev_default_params(&params);
    params.queue_size = VQSIZE;
    params.p2a = p2a_offered;
    params.max_requests_per_call = batch;
    assert_int_equal(xv_scmi_dev_init(&V->sd, &V->dev, &V->tp.platform,
                                      &F->server, &F->a, &params), 0);
    assert_ptr_equal(xv_scmi_dev_from_device(&V->dev), &V->sd);
    return 0;
}

static int vsetup(void **state)
{
    return vsetup_with(state, true, 0);
}

static int vsetup_batch4(void **state)
{
    return vsetup_with(state, true, 4);
}

static int vteardown(void **state)
{
    vw32(XV_MMIO_STATUS, 0);
    assert_int_equal(tp_outstanding(&V->tp), 0);
    assert_int_equal(V->tp.unmap_mismatch, 0);
    assert_int_equal(V->tp.wrong_dev_calls, 0);
    assert_true(tp_guards_intact(&V->tp));
    tp_fini(&V->tp);
    free(V);
    return teardown(state);
}

static void vqueue(unsigned q, uint64_t base)
{
    drv_vq_layout(&V->q[q], &V->tp, base, VQSIZE);
    V->next_desc[q] = 0;
    vw32(XV_MMIO_QUEUE_SEL, q);
    vw32(XV_MMIO_QUEUE_NUM, VQSIZE);
    vw32(XV_MMIO_QUEUE_DESC_LOW, (uint32_t)V->q[q].desc_gpa);
    vw32(XV_MMIO_QUEUE_DESC_HIGH, (uint32_t)(V->q[q].desc_gpa >> 32));
    vw32(XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)V->q[q].avail_gpa);
    vw32(XV_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(V->q[q].avail_gpa >> 32));
    vw32(XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)V->q[q].used_gpa);
    vw32(XV_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(V->q[q].used_gpa >> 32));
    vw32(XV_MMIO_QUEUE_READY, 1);
}

/* Negotiate 'features', set up the cmdq (and the eventq with P2A). */
static void vstart(uint64_t features)
{
    const uint32_t drv = XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER;

    vw32(XV_MMIO_STATUS, drv);
    vw32(XV_MMIO_DRIVER_FEATURES_SEL, 0);
    vw32(XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    vw32(XV_MMIO_DRIVER_FEATURES_SEL, 1);
    vw32(XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    vw32(XV_MMIO_STATUS, drv | XV_STATUS_FEATURES_OK);
    assert_true(vr32(XV_MMIO_STATUS) & XV_STATUS_FEATURES_OK);
    vqueue(0, TP_RAM_GPA);
    if (features & F_P2A)
        vqueue(1, V->q[0].end_gpa);
    /* Both queues' rings are live: mapped in place, never bounced. */
    V->tp.direct_lo = V->q[0].desc_gpa;
    V->tp.direct_hi = V->q[(features & F_P2A) ? 1 : 0].end_gpa;
    vw32(XV_MMIO_STATUS, drv | XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);
    assert_true(vr32(XV_MMIO_STATUS) & XV_STATUS_DRIVER_OK);
    V->next_gpa = VBUF_GPA;
    tp_clear_counters(&V->tp);
}

static uint64_t vbuf(uint32_t len)
{
    uint64_t gpa = V->next_gpa;

    V->next_gpa = (V->next_gpa + len + 15) & ~15ull;
    memset(tp_ram_ptr(&V->tp, gpa, len), 0xee, len);
    return gpa;
}

static uint8_t *vram(uint64_t gpa, size_t len)
{
    uint8_t *p = tp_ram_ptr(&V->tp, gpa, len);

    assert_non_null(p);
    return p;
}

static void vsubmit(unsigned q, const struct vseg *s, unsigned n)
{
    uint16_t head = V->next_desc[q];

    for (unsigned i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % VQSIZE);

        drv_desc(&V->q[q], idx, s[i].gpa, s[i].len,
                 (uint16_t)((s[i].write ? XV_VRING_DESC_F_WRITE : 0) |
                            (i + 1 < n ? XV_VRING_DESC_F_NEXT : 0)),
                 (uint16_t)((idx + 1) % VQSIZE));
    }
    V->next_desc[q] = (uint16_t)((head + n) % VQSIZE);
    drv_avail_add(&V->q[q], head);
}

static void vkick(unsigned q)
{
    vw32(XV_MMIO_QUEUE_NOTIFY, q);
    xv_device_process_queue(&V->dev, q);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Queue one command as Linux does (one readable, one writable buffer of
 * 'rx' bytes); returns the reply's guest address. *hdr gets the header. */
static uint64_t vcmd(uint32_t *hdr, uint8_t proto, uint8_t id, uint32_t rx,
                     unsigned n, ...)
{
    uint64_t req = vbuf(4 + 4 * n), resp = vbuf(rx);
    uint32_t h = SCMI_HDR(id, 0, proto, ++F->token & 0x3ff);
    va_list ap;

    put32(vram(req, 4), h);
    va_start(ap, n);
    for (unsigned k = 0; k < n; k++)
        put32(vram(req + 4 + 4 * k, 4), va_arg(ap, uint32_t));
    va_end(ap);
    vsubmit(0, (struct vseg[]){ { req, 4 + 4 * n, false }, { resp, rx, true } }, 2);
    if (hdr)
        *hdr = h;
    return resp;
}

/* An eventq buffer of len device-writable bytes. */
static uint64_t vevent_buf(uint32_t len)
{
    uint64_t gpa = vbuf(len);

    vsubmit(1, (struct vseg[]){ { gpa, len, true } }, 1);
    return gpa;
}

static void test_virtio_command(void **state)
{
    uint64_t r[4];
    uint32_t hdr[4];

    (void)state;
    assert_int_equal(vr32(XV_MMIO_DEVICE_ID), XV_VIRTIO_ID_SCMI);
    vw32(XV_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(vr32(XV_MMIO_DEVICE_FEATURES) & 3u, 1u << VIRTIO_SCMI_F_P2A_CHANNELS);
    vw32(XV_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(vr32(XV_MMIO_DEVICE_FEATURES) & 1u, 1u);   /* VERSION_1 */
    vstart(F_V1 | F_P2A);
    /* BASE PROTOCOL_VERSION with Linux's exact rx: 4 + 4 + 4. */
    r[0] = vcmd(&hdr[0], SCMI_PROTOCOL_BASE, 0x0, 12, 0);
    /* CLOCK_ATTRIBUTES into a 136-byte buffer: 32 bytes used. */
    r[1] = vcmd(&hdr[1], SCMI_PROTOCOL_CLOCK, 0x3, XV_SCMI_MAX_MSG, 1, 0);
    /* No room for the values: COMMS_ERROR, nothing past the status. */
    r[2] = vcmd(&hdr[2], SCMI_PROTOCOL_CLOCK, 0x3, 12, 1, 0);
    /* DESCRIBE_RATES cut to a 20-byte buffer: one rate, 15 remaining. */
    r[3] = vcmd(&hdr[3], SCMI_PROTOCOL_CLOCK, 0x4, 20, 2, 1, 0);
    vkick(0);
    assert_int_equal(drv_used_idx(&V->q[0]), 4);
    assert_int_equal(drv_used_elem(&V->q[0], 0).len, 12);
    assert_int_equal(le(vram(r[0], 4)), hdr[0]);
    assert_int_equal(le(vram(r[0] + 4, 4)), 0);
    assert_int_equal(le(vram(r[0] + 8, 4)), 0x20000);
    assert_int_equal(drv_used_elem(&V->q[0], 1).len, 32);
    assert_int_equal(le(vram(r[1], 4)), hdr[1]);
    assert_string_equal((char *)vram(r[1] + 12, 16), "uart0");
    assert_int_equal(le(vram(r[1] + 28, 4)), 7);
    assert_int_equal(*vram(r[1] + 32, 1), 0xee);
    assert_int_equal(drv_used_elem(&V->q[0], 2).len, 8);
    assert_int_equal(le(vram(r[2], 4)), hdr[2]);
    assert_int_equal((int32_t)le(vram(r[2] + 4, 4)), SCMI_COMMS_ERROR);
    assert_int_equal(le(vram(r[2] + 8, 4)), 0xeeeeeeeeu);
    assert_int_equal(drv_used_elem(&V->q[0], 3).len, 20);
    assert_int_equal(le(vram(r[3] + 8, 4)), 1u | 15u << 16);
    assert_int_equal(le(vram(r[3] + 12, 4)), 1000000);
    assert_true(V->tp.interrupt_calls >= 1);
    assert_int_equal(V->sd.commands, 4);
    assert_int_equal(V->sd.malformed, 0);
    assert_int_equal(F->a.messages, 4);
    assert_int_equal(F->a.errors, 1);
}

static void test_virtio_malformed(void **state)
{
    uint64_t w[4], req, big, resp, split[2];
    uint32_t hdr;

    (void)state;
    vstart(F_V1);
    /* A header cut short. */
    req = vbuf(4);
    put32(vram(req, 4), SCMI_HDR(0, 0, SCMI_PROTOCOL_BASE, 1));
    w[0] = vbuf(XV_SCMI_MAX_MSG);
    vsubmit(0, (struct vseg[]){ { req, 3, false }, { w[0], XV_SCMI_MAX_MSG, true } }, 2);
    /* No room for header + status. */
    w[1] = vbuf(7);
    vsubmit(0, (struct vseg[]){ { req, 4, false }, { w[1], 7, true } }, 2);
    /* Nothing readable; nothing writable. */
    w[2] = vbuf(XV_SCMI_MAX_MSG);
    vsubmit(0, (struct vseg[]){ { w[2], XV_SCMI_MAX_MSG, true } }, 1);
    vsubmit(0, (struct vseg[]){ { req, 4, false } }, 1);
    /* A request longer than any message: PROTOCOL_ERROR. */
    big = vbuf(200);
    put32(vram(big, 4), SCMI_HDR(0, 0, SCMI_PROTOCOL_BASE, 2));
    w[3] = vbuf(XV_SCMI_MAX_MSG);
    vsubmit(0, (struct vseg[]){ { big, 200, false }, { w[3], XV_SCMI_MAX_MSG, true } }, 2);
    /* Split buffers are fine: DISCOVER_AGENT(self), reply over 8 + 128. */
    req = vbuf(8);
    hdr = SCMI_HDR(0x7, 0, SCMI_PROTOCOL_BASE, 3);
    put32(vram(req, 4), hdr);
    put32(vram(req + 4, 4), 0xffffffffu);
    split[0] = vbuf(8);
    split[1] = vbuf(128);
    vsubmit(0, (struct vseg[]){ { req, 4, false }, { req + 4, 4, false },
                                { split[0], 8, true }, { split[1], 128, true } }, 4);
    /* And a notify command without the eventq negotiated. */
    resp = vcmd(NULL, SCMI_PROTOCOL_CLOCK, 0x9, 8, 2, 0, 1);
    vkick(0);
    assert_int_equal(drv_used_idx(&V->q[0]), 7);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(drv_used_elem(&V->q[0], i).len, 0);
    assert_int_equal(le(vram(w[0], 4)), 0xeeeeeeeeu);
    assert_int_equal(le(vram(w[1], 4)), 0xeeeeeeeeu);
    assert_int_equal(le(vram(w[2], 4)), 0xeeeeeeeeu);
    assert_int_equal(drv_used_elem(&V->q[0], 4).len, 8);
    assert_int_equal((int32_t)le(vram(w[3] + 4, 4)), SCMI_PROTOCOL_ERROR);
    assert_int_equal(drv_used_elem(&V->q[0], 5).len, 8 + 20);
    assert_int_equal(le(vram(split[0], 4)), hdr);
    assert_int_equal(le(vram(split[0] + 4, 4)), 0);
    assert_int_equal(le(vram(split[1], 4)), F->a.id);
    assert_string_equal((char *)vram(split[1] + 4, 16), "guest-a");
    assert_int_equal(drv_used_elem(&V->q[0], 6).len, 8);
    assert_int_equal((int32_t)le(vram(resp + 4, 4)), SCMI_NOT_SUPPORTED);
    assert_int_equal(V->sd.malformed, 4);
    assert_int_equal(V->sd.commands, 7);
}

static void test_virtio_reset_drops_votes(void **state)
{
    uint64_t r;

    (void)state;
    vstart(F_V1 | F_P2A);
    /* a (this device) runs clocks 0 and 1; b runs clock 1 too. */
    vcmd(NULL, SCMI_PROTOCOL_CLOCK, 0x7, 8, 2, 0, 1);
    vcmd(NULL, SCMI_PROTOCOL_CLOCK, 0x7, 8, 2, 1, 1);
    vkick(0);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_CLOCK, 0x7, 2, 0, 1), 0);
    assert_int_equal(F->fake.clock_on[0], 1);
    assert_int_equal(F->fake.clock_on[1], 1);
    /* An async rate set owed to the old instance, no eventq buffer. */
    vcmd(NULL, SCMI_PROTOCOL_CLOCK, 0x5, 8, 4, 1, 2, 6000, 0);
    vkick(0);
    assert_int_equal(F->a.pending_count, 1);
    /* The guest reboots: the next kernel resets the device first. */
    vw32(XV_MMIO_STATUS, 0);
    assert_int_equal(F->fake.clock_off[0], 1);
    assert_int_equal(F->fake.clock_off[1], 0);      /* b still runs it */
    assert_int_equal(F->a.clock_on, 0);
    assert_int_equal(F->a.pending_count, 0);
    assert_null(F->a.p2a);
    /* The new instance sees its own (empty) votes. */
    vstart(F_V1 | F_P2A);
    vevent_buf(XV_SCMI_MAX_MSG);
    vkick(1);
    assert_int_equal(drv_used_idx(&V->q[1]), 0);    /* nothing owed */
    r = vcmd(NULL, SCMI_PROTOCOL_CLOCK, 0x3, XV_SCMI_MAX_MSG, 1, 1);
    vkick(0);
    assert_int_equal(le(vram(r + 8, 4)) & 1u, 0);
    assert_int_equal(F->server.clock_votes[1], 1);
}

static void test_virtio_flood(void **state)
{
    uint64_t r[10];

    (void)state;
    vstart(F_V1);
    for (unsigned i = 0; i < 10; i++)
        r[i] = vcmd(NULL, SCMI_PROTOCOL_BASE, 0x0, 12, 0);
    vw32(XV_MMIO_QUEUE_NOTIFY, 0);
    tp_clear_counters(&V->tp);
    /* Four per call, then yield with the queue re-queued. */
    xv_device_process_queue(&V->dev, 0);
    assert_int_equal(drv_used_idx(&V->q[0]), 4);
    assert_int_equal(V->tp.queue_notify_calls, 1);
    assert_int_equal(V->tp.last_notify_queue, 0);
    xv_device_process_queue(&V->dev, 0);
    assert_int_equal(drv_used_idx(&V->q[0]), 8);
    assert_int_equal(V->tp.queue_notify_calls, 2);
    xv_device_process_queue(&V->dev, 0);
    assert_int_equal(drv_used_idx(&V->q[0]), 10);
    assert_int_equal(V->tp.queue_notify_calls, 2);  /* drained: no more */
    for (unsigned i = 0; i < 10; i++) {
        assert_int_equal(drv_used_elem(&V->q[0], (uint16_t)i).len, 12);
        assert_int_equal(le(vram(r[i] + 8, 4)), 0x20000);
    }
    assert_int_equal(V->sd.commands, 10);
}

/* The cmdq's used index when the device let go of an eventq buffer: a
 * delayed response must not overtake its command's response. */
static void (*tp_unmap)(void *, const struct xv_gbuf *, unsigned, struct xv_iovec *);
static uint64_t watch_gpa;
static int cmdq_used_at_watch;

static void watching_unmap(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                           struct xv_iovec *iov)
{
    if (n && bufs[0].addr == watch_gpa)
        cmdq_used_at_watch = drv_used_idx(&V->q[0]);
    tp_unmap(opaque, bufs, n, iov);
}

static void test_virtio_p2a(void **state)
{
    uint64_t r, ev[4], bad;
    uint32_t hdr;

    (void)state;
    vstart(F_V1 | F_P2A);
    assert_non_null(F->a.p2a);
    /* a subscribes to power domain 0 (b's domain 0 as well). */
    r = vcmd(NULL, SCMI_PROTOCOL_POWER, 0x6, 8, 2, 0, 1);
    vkick(0);
    assert_int_equal((int32_t)le(vram(r + 4, 4)), 0);
    /* No eventq buffer: the notification waits, b's command fine. */
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(V->sd.p2a_sent, 0);
    assert_int_equal(F->a.notif_count, 1);
    /* An async rate set: SUCCESS now, the delayed response kept... */
    r = vcmd(&hdr, SCMI_PROTOCOL_CLOCK, 0x5, 8, 4, 1, 0, 48000000, 0);
    vkick(0);
    assert_int_equal(drv_used_elem(&V->q[0], 1).len, 8);
    assert_int_equal((int32_t)le(vram(r + 4, 4)), 0);
    assert_int_equal(F->a.pending_count, 1);
    /* ...until the driver posts eventq buffers: both, in raised order. */
    ev[0] = vevent_buf(XV_SCMI_MAX_MSG);
    ev[1] = vevent_buf(XV_SCMI_MAX_MSG);
    vkick(1);
    assert_int_equal(drv_used_idx(&V->q[1]), 2);
    assert_int_equal(drv_used_elem(&V->q[1], 0).len, 4 + 12);
    assert_int_equal(le(vram(ev[0], 4)),
                     SCMI_HDR(0, SCMI_MSG_TYPE_NOTIFICATION, SCMI_PROTOCOL_POWER, 0));
    assert_int_equal(le(vram(ev[0] + 12, 4)), 0);           /* on */
    assert_int_equal(drv_used_elem(&V->q[1], 1).len, 4 + 16);
    assert_int_equal(le(vram(ev[1], 4)), (hdr & ~0x300u) | 0x200u);
    assert_int_equal(le(vram(ev[1] + 4, 4)), 0);            /* status */
    assert_int_equal(le(vram(ev[1] + 8, 4)), 0);            /* clock 0 */
    assert_int_equal(le(vram(ev[1] + 12, 4)), 48000000);
    assert_int_equal(F->a.pending_count + F->a.notif_count, 0);
    /* b's last vote off turns the domain off: a hears of it at once. */
    ev[2] = vevent_buf(XV_SCMI_MAX_MSG);
    vkick(1);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0x40000000u), 0);
    assert_int_equal(drv_used_idx(&V->q[1]), 3);
    assert_int_equal(drv_used_elem(&V->q[1], 2).len, 4 + 12);
    assert_int_equal(le(vram(ev[2], 4)),
                     SCMI_HDR(0, SCMI_MSG_TYPE_NOTIFICATION, SCMI_PROTOCOL_POWER, 0));
    assert_int_equal(le(vram(ev[2] + 4, 4)), F->b.id);
    assert_int_equal(le(vram(ev[2] + 8, 4)), 0);
    assert_int_equal(le(vram(ev[2] + 12, 4)), 0x40000000u);
    /* With a buffer ready, the delayed response still follows its
     * command's response (both in the same kick). */
    ev[3] = vevent_buf(XV_SCMI_MAX_MSG);
    r = vcmd(&hdr, SCMI_PROTOCOL_RESET, 0x4, 8, 3, 0, 5, 0);
    tp_unmap = V->tp.platform.unmap;
    V->tp.platform.unmap = watching_unmap;
    watch_gpa = ev[3];
    cmdq_used_at_watch = -1;
    vkick(0);
    V->tp.platform.unmap = tp_unmap;
    assert_int_equal(cmdq_used_at_watch, 3);
    assert_int_equal(drv_used_idx(&V->q[0]), 3);
    assert_int_equal((int32_t)le(vram(r + 4, 4)), 0);
    assert_int_equal(drv_used_idx(&V->q[1]), 4);
    assert_int_equal(drv_used_elem(&V->q[1], 3).len, 4 + 8);
    assert_int_equal(le(vram(ev[3], 4)), (hdr & ~0x300u) | 0x200u);
    assert_int_equal(le(vram(ev[3] + 8, 4)), 0);            /* domain 0 */
    assert_int_equal(F->fake.reset_calls[XV_SCMI_RESET_AUTONOMOUS], 1);
    /* An eventq buffer the device may not write: returned unused. */
    bad = vbuf(XV_SCMI_MAX_MSG);
    vsubmit(1, (struct vseg[]){ { bad, 4, false }, { bad + 16, 64, true } }, 2);
    vkick(1);
    assert_int_equal(SEND(&F->b, SCMI_PROTOCOL_POWER, 0x4, 3, 0, 0, 0), 0);
    assert_int_equal(drv_used_idx(&V->q[1]), 5);
    assert_int_equal(drv_used_elem(&V->q[1], 4).len, 0);
    assert_int_equal(V->sd.p2a_sent, 4);
    assert_int_equal(V->sd.p2a_dropped, 1);
}

/* What a guest's own command causes reaches it too, after the command's
 * response: the device cannot deliver while it answers, so the engine
 * queues the notification and the device sends it once the reply is out. */
static void test_virtio_own_notification(void **state)
{
    uint64_t r, ev;

    (void)state;
    vstart(F_V1 | F_P2A);
    r = vcmd(NULL, SCMI_PROTOCOL_POWER, 0x6, 8, 2, 0, 1);
    vkick(0);
    assert_int_equal((int32_t)le(vram(r + 4, 4)), 0);
    ev = vevent_buf(XV_SCMI_MAX_MSG);
    vkick(1);
    r = vcmd(NULL, SCMI_PROTOCOL_POWER, 0x4, 8, 3, 0, 0, 0);
    tp_unmap = V->tp.platform.unmap;
    V->tp.platform.unmap = watching_unmap;
    watch_gpa = ev;
    cmdq_used_at_watch = -1;
    vkick(0);
    V->tp.platform.unmap = tp_unmap;
    assert_int_equal((int32_t)le(vram(r + 4, 4)), 0);
    assert_int_equal(drv_used_idx(&V->q[1]), 1);
    assert_int_equal(cmdq_used_at_watch, 2);        /* after the response */
    assert_int_equal(drv_used_elem(&V->q[1], 0).len, 4 + 12);
    assert_int_equal(le(vram(ev, 4)),
                     SCMI_HDR(0, SCMI_MSG_TYPE_NOTIFICATION, SCMI_PROTOCOL_POWER, 0));
    assert_int_equal(le(vram(ev + 4, 4)), F->a.id);         /* it did it */
    assert_int_equal(le(vram(ev + 8, 4)), 0);
    assert_int_equal(le(vram(ev + 12, 4)), 0);              /* on */
    assert_int_equal(F->a.notif_count, 0);
    assert_int_equal(V->sd.p2a_sent, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dispatch_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_common_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_describe_rates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_rates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_votes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_votes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_perf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_voltage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sensor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p2a, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p2a_notify_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_init_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_reset_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtio_command, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_virtio_malformed, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_virtio_reset_drops_votes, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_virtio_flood, vsetup_batch4, vteardown),
        cmocka_unit_test_setup_teardown(test_virtio_p2a, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_virtio_own_notification, vsetup, vteardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
