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
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scmi.h"

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
    /* A small buffer cuts the list. */
    assert_int_equal(send_cap(&F->a, SCMI_PROTOCOL_CLOCK, 0x4, 8 + 4 + 8 * 3, 2, 1, 0), 0);
    assert_int_equal(VAL(0), 3u | 13u << 16);
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
        cmocka_unit_test_setup_teardown(test_p2a, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_init_checks, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
