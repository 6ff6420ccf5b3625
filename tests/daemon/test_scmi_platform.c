/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's SCMI platform (devices/scmi/scmi_platform.c): [scmi-*]
 * config sections -> struct xv_scmi_platform with exact descriptions, bad
 * sections refused naming file:line, section, key and value; the simulated
 * backend's physical-change log lines through the engine (vote counting,
 * the caller's agent name); hwmon sensors read from a file on each
 * SENSOR_READING_GET; and the client's partial device tree (golden text).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "device_type.h"
#include "log.h"
#include "scmi_platform.h"

static struct xvd_config cfg;
static struct xvd_scmi_platform plat;
static char conf_path[64];

static const char base_conf[] =
    "[scmi]\n"
    "vendor = acme\n"
    "sub-vendor = board7\n"
    "\n"
    "[scmi-clock uart0]\n"
    "rates = 24000000,48000000\n"
    "rate = 24000000\n"
    "enable-latency = 10\n"
    "\n"
    "[scmi-clock mmc]\n"
    "range = 1000000-200000000:1000000\n"
    "rate = 50000000\n"
    "on = yes\n"
    "\n"
    "[scmi-reset eth0]\n"
    "latency = 100\n"
    "\n"
    "[scmi-power gpu]\n"
    "on = no\n"
    "\n"
    "[scmi-perf cpu]\n"
    "levels = 400000:100:50,800000:200:60\n"
    "level = 400000\n"
    "\n"
    "[scmi-voltage vdd-io]\n"
    "levels = 1800000,3300000\n"
    "voltage = 3300000\n"
    "on = yes\n"
    "\n"
    "[scmi-sensor soc-temp]\n"
    "unit = temperature\n"
    "exponent = -3\n"
    "value = 45000\n"
    "\n"
    "[device scmi-g1]\n"
    "type = scmi\n"
    "domain = guest1\n"
    "clocks = uart0,mmc\n"
    "resets = eth0\n"
    "power-domains = gpu\n"
    "perf-domains = cpu\n"
    "voltages = vdd-io\n"
    "sensors = soc-temp\n"
    "notifications = yes\n"
    "\n"
    "[device scmi-g2]\n"
    "type = scmi\n"
    "domain = guest2\n"
    "clocks = mmc\n";

/* Write text to a temp file and load it as config + platform. */
static int load(const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/xv-scmi-plat-XXXXXX";
    int fd = mkstemp(path);
    int rc;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    snprintf(conf_path, sizeof(conf_path), "%s", path);
    xvd_config_defaults(&cfg, &xvd_device_types);
    err[0] = '\0';
    rc = xvd_config_load(&cfg, path, NULL, err, errlen);
    if (rc == 0)
        rc = xvd_scmi_platform_load(&plat, &cfg, err, errlen);
    unlink(path);
    return rc;
}

static void test_conversion(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(load(base_conf, err, sizeof(err)), 0);
    assert_string_equal(plat.plat.vendor, "acme");
    assert_string_equal(plat.plat.sub_vendor, "board7");
    assert_int_equal(plat.plat.nr_clocks, 2);
    assert_int_equal(plat.plat.nr_resets, 1);
    assert_int_equal(plat.plat.nr_power, 1);
    assert_int_equal(plat.plat.nr_perf, 1);
    assert_int_equal(plat.plat.nr_voltage, 1);
    assert_int_equal(plat.plat.nr_sensors, 1);
    assert_ptr_equal(plat.plat.opaque, &plat);
    assert_non_null(plat.plat.ops);
    assert_string_equal(plat.socket_path, "");

    assert_string_equal(plat.clocks[0].name, "uart0");
    assert_false(plat.clocks[0].range);
    assert_int_equal(plat.clocks[0].nr_rates, 2);
    assert_int_equal(plat.clocks[0].rates[0], 24000000);
    assert_int_equal(plat.clocks[0].rates[1], 48000000);
    assert_int_equal(plat.clocks[0].default_rate, 24000000);
    assert_int_equal(plat.clocks[0].enable_latency_us, 10);
    assert_false(plat.clocks[0].on_at_boot);

    assert_string_equal(plat.clocks[1].name, "mmc");
    assert_true(plat.clocks[1].range);
    assert_int_equal(plat.clocks[1].nr_rates, 3);
    assert_int_equal(plat.clocks[1].rates[0], 1000000);
    assert_int_equal(plat.clocks[1].rates[1], 200000000);
    assert_int_equal(plat.clocks[1].rates[2], 1000000);
    assert_int_equal(plat.clocks[1].default_rate, 50000000);
    assert_true(plat.clocks[1].on_at_boot);

    assert_string_equal(plat.resets[0].name, "eth0");
    assert_int_equal(plat.resets[0].latency_us, 100);
    assert_string_equal(plat.power[0].name, "gpu");
    assert_false(plat.power[0].on_at_boot);

    assert_string_equal(plat.perf[0].name, "cpu");
    assert_int_equal(plat.perf[0].nr_levels, 2);
    assert_int_equal(plat.perf[0].levels[0].level, 400000);
    assert_int_equal(plat.perf[0].levels[0].power_cost, 100);
    assert_int_equal(plat.perf[0].levels[0].latency_us, 50);
    assert_int_equal(plat.perf[0].levels[1].level, 800000);
    assert_int_equal(plat.perf[0].levels[1].power_cost, 200);
    assert_int_equal(plat.perf[0].levels[1].latency_us, 60);
    assert_int_equal(plat.perf[0].default_level, 400000);
    assert_int_equal(plat.perf[0].sustained_level, 800000);

    assert_string_equal(plat.voltage[0].name, "vdd-io");
    assert_false(plat.voltage[0].range);
    assert_int_equal(plat.voltage[0].nr_levels, 2);
    assert_int_equal(plat.voltage[0].levels_uv[0], 1800000);
    assert_int_equal(plat.voltage[0].levels_uv[1], 3300000);
    assert_int_equal(plat.voltage[0].default_uv, 3300000);
    assert_true(plat.voltage[0].on_at_boot);

    assert_string_equal(plat.sensors[0].name, "soc-temp");
    assert_int_equal(plat.sensors[0].unit_type, SCMI_SENSOR_UNIT_TEMPERATURE_C);
    assert_int_equal(plat.sensors[0].unit_exp, -3);
    assert_int_equal(plat.sensor_value[0], 45000);
    assert_string_equal(plat.sensor_hwmon[0], "");

    assert_int_equal(xvd_scmi_platform_find(&plat, XV_SCMI_CLOCK, "mmc"), 1);
    assert_int_equal(xvd_scmi_platform_find(&plat, XV_SCMI_CLOCK, "uart0"), 0);
    assert_int_equal(xvd_scmi_platform_find(&plat, XV_SCMI_CLOCK, "gpu"), -1);
    assert_int_equal(xvd_scmi_platform_find(&plat, XV_SCMI_POWER, "gpu"), 0);
    assert_int_equal(xvd_scmi_platform_find(&plat, XV_SCMI_SENSOR, "soc-temp"), 0);

    /* The engine accepts what the loader built. */
    {
        static struct xv_scmi_server server;

        assert_int_equal(xv_scmi_server_init(&server, &plat.plat), 0);
    }
}

static void test_defaults_without_scmi_section(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(load("[scmi-power gpu]\n", err, sizeof(err)), 0);
    assert_string_equal(plat.plat.vendor, "xenvirtiod");
    assert_string_equal(plat.plat.sub_vendor, "sim");
    assert_int_equal(plat.plat.nr_power, 1);
    assert_int_equal(plat.plat.nr_clocks, 0);
    assert_false(plat.power[0].on_at_boot);
}

static void test_bad_sections(void **state)
{
    static const struct {
        const char *text;
        const char *expect[3];
    } cases[] = {
        { "[scmi]\nvendor = abcdefghijklmnop\n",
          { ":2:", "vendor", "abcdefghijklmnop" } },
        { "[scmi]\nsocket = relative.sock\n", { ":2:", "socket", "relative.sock" } },
        { "[scmi]\ncolour = red\n", { "[scmi", "colour", "known:" } },
        { "[scmi-clock c]\nrates = 2,1\n", { "scmi-clock c", "rates", "2,1" } },
        { "[scmi-clock c]\nrates = 1,2\nrate = 3\n", { "scmi-clock c", "rate", "3" } },
        { "[scmi-clock c]\nrates = 1,2\nrange = 1-2:1\n", { "scmi-clock c", "not both", "" } },
        { "[scmi-clock c]\n", { "scmi-clock c", "range", "" } },
        { "[scmi-clock c]\nrange = 5-1:1\n", { "scmi-clock c", "range", "5-1:1" } },
        { "[scmi-clock c]\nrates = 1\non = maybe\n", { "scmi-clock c", "on", "maybe" } },
        { "[scmi-reset r]\nlatency = -1\n", { "scmi-reset r", "latency", "-1" } },
        { "[scmi-power p]\nflavour = x\n", { "scmi-power p", "flavour", "" } },
        { "[scmi-perf f]\nlevels = 2:1:1,1:1:1\n", { "scmi-perf f", "levels", "2:1:1,1:1:1" } },
        { "[scmi-perf f]\nlevels = 1:1\n", { "scmi-perf f", "levels", "1:1" } },
        { "[scmi-perf f]\nlevels = 1:1:1\nlevel = 2\n", { "scmi-perf f", "level", "2" } },
        { "[scmi-voltage v]\nlevels = 1800000\nvoltage = 1\n", { "scmi-voltage v", "voltage", "1" } },
        { "[scmi-sensor s]\nunit = furlongs\nvalue = 1\n", { "scmi-sensor s", "unit", "furlongs" } },
        { "[scmi-sensor s]\nunit = none\n", { "scmi-sensor s", "hwmon", "" } },
        { "[scmi-sensor s]\nunit = none\nvalue = 1\nhwmon = /x\n", { "scmi-sensor s", "exactly one", "" } },
        { "[scmi-sensor s]\nunit = none\nvalue = 1x\n", { "scmi-sensor s", "value", "1x" } },
        { "[scmi-sensor s]\nunit = none\nhwmon = temp1_input\n", { "scmi-sensor s", "hwmon", "temp1_input" } },
        { "[scmi-sensor s]\nunit = none\nvalue = 1\nexponent = 20\n", { "scmi-sensor s", "exponent", "20" } },
    };
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(load(cases[i].text, err, sizeof(err)), -EINVAL);
        if (!strstr(err, conf_path))
            fail_msg("case %zu: file name not in '%s'", i, err);
        for (unsigned k = 0; k < 3; k++) {
            if (!strstr(err, cases[i].expect[k]))
                fail_msg("case %zu: '%s' not in '%s'", i, cases[i].expect[k], err);
        }
    }
}

/* ---- the simulated backend through the engine, log captured ---- */

static FILE *log_file;
static int saved_stderr = -1;

static void capture_start(void)
{
    log_file = tmpfile();
    assert_non_null(log_file);
    fflush(stderr);
    saved_stderr = dup(2);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(fileno(log_file), 2) == 2);
}

/* Stop capturing; the captured lines with "xenvirtiod[PID]: info: " cut. */
static void capture_end(char *out, size_t cap)
{
    char line[256];
    size_t used = 0;

    fflush(stderr);
    assert_true(dup2(saved_stderr, 2) == 2);
    close(saved_stderr);
    rewind(log_file);
    out[0] = '\0';
    while (fgets(line, sizeof(line), log_file)) {
        const char *msg = strstr(line, ": info: ");

        msg = msg ? msg + strlen(": info: ") : line;
        used += (size_t)snprintf(out + used, cap - used, "%s", msg);
        assert_true(used < cap);
    }
    fclose(log_file);
}

static uint32_t hdr(unsigned proto, unsigned msg, unsigned token)
{
    return msg | (proto << 10) | (token << 18);
}

/* Send header + params; return the status; the reply in resp. */
static int32_t send_msg(struct xv_scmi_server *s, struct xv_scmi_agent *a, uint32_t h,
                        const uint32_t *params, unsigned n, uint32_t *resp, size_t *len)
{
    uint32_t req[8];

    req[0] = h;
    memcpy(&req[1], params, n * 4);
    *len = xv_scmi_handle(s, a, req, 4 + n * 4, resp, 64);
    assert_true(*len >= 8);
    assert_int_equal(resp[0], h);
    return (int32_t)resp[1];
}

static void test_simulated_ops_log(void **state)
{
    static struct xv_scmi_server server;
    static struct xv_scmi_agent g1, g2;
    uint32_t resp[16];
    size_t len;
    char log[4096];

    (void)state;
    unsetenv("JOURNAL_STREAM");
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_STDERR);
    {
        char err[512];

        assert_int_equal(load(base_conf, err, sizeof(err)), 0);
    }
    assert_int_equal(xv_scmi_server_init(&server, &plat.plat), 0);
    plat.server = &server;
    xv_scmi_agent_init(&g1, "guest1", NULL, NULL);
    xv_scmi_agent_show_all(&g1, &server);
    assert_int_equal(xv_scmi_agent_add(&server, &g1), 0);
    xv_scmi_agent_init(&g2, "guest2", NULL, NULL);
    xv_scmi_agent_show_all(&g2, &server);
    assert_int_equal(xv_scmi_agent_add(&server, &g2), 0);

    capture_start();
    /* CLOCK_CONFIG_SET uart0 on by guest1, then guest2: one physical on. */
    assert_int_equal(send_msg(&server, &g1, hdr(0x14, 0x7, 1), (uint32_t[]){ 0, 1 }, 2,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(send_msg(&server, &g2, hdr(0x14, 0x7, 2), (uint32_t[]){ 0, 1 }, 2,
                              resp, &len), SCMI_SUCCESS);
    /* Rate change while another agent holds it on: DENIED, no log. */
    assert_int_equal(send_msg(&server, &g1, hdr(0x14, 0x5, 3),
                              (uint32_t[]){ 0, 0, 48000000, 0 }, 4, resp, &len),
                     SCMI_DENIED);
    /* guest1 off: still held by guest2; guest2 off: physical off. */
    assert_int_equal(send_msg(&server, &g1, hdr(0x14, 0x7, 4), (uint32_t[]){ 0, 0 }, 2,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(send_msg(&server, &g2, hdr(0x14, 0x7, 5), (uint32_t[]){ 0, 0 }, 2,
                              resp, &len), SCMI_SUCCESS);
    /* Now guest1 may set the rate. */
    assert_int_equal(send_msg(&server, &g1, hdr(0x14, 0x5, 6),
                              (uint32_t[]){ 0, 0, 48000000, 0 }, 4, resp, &len),
                     SCMI_SUCCESS);
    /* POWER_STATE_SET gpu on (0), then off (0x40000000). */
    assert_int_equal(send_msg(&server, &g1, hdr(0x11, 0x4, 7), (uint32_t[]){ 0, 0, 0 }, 3,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(send_msg(&server, &g1, hdr(0x11, 0x4, 8),
                              (uint32_t[]){ 0, 0, 0x40000000 }, 3, resp, &len),
                     SCMI_SUCCESS);
    /* RESET_DOMAIN_RESET eth0: explicit assert (flags bit 1), then deassert. */
    assert_int_equal(send_msg(&server, &g2, hdr(0x16, 0x4, 9), (uint32_t[]){ 0, 2, 0 }, 3,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(send_msg(&server, &g2, hdr(0x16, 0x4, 10), (uint32_t[]){ 0, 0, 0 }, 3,
                              resp, &len), SCMI_SUCCESS);
    /* PERF_LEVEL_SET cpu 800000. */
    assert_int_equal(send_msg(&server, &g1, hdr(0x13, 0x7, 11), (uint32_t[]){ 0, 800000 }, 2,
                              resp, &len), SCMI_SUCCESS);
    /* guest1 leaves: the rate it set on the stopped clock and its perf wish
     * return to their defaults. */
    xv_scmi_agent_remove(&server, &g1);
    capture_end(log, sizeof(log));

    assert_string_equal(log,
        "scmi: clock uart0 on (agent guest1)\n"
        "scmi: clock uart0 off (agent guest2)\n"
        "scmi: clock uart0 rate 48000000 (agent guest1)\n"
        "scmi: power gpu on (agent guest1)\n"
        "scmi: power gpu off (agent guest1)\n"
        "scmi: reset eth0 assert (agent guest2)\n"
        "scmi: reset eth0 deassert (agent guest2)\n"
        "scmi: perf cpu level 800000 (agent guest1)\n"
        "scmi: clock uart0 rate 24000000 (agent guest1)\n"
        "scmi: perf cpu level 400000 (agent guest1)\n");

    /* No caller (platform context): no parenthesis. */
    capture_start();
    plat.plat.ops->voltage_enable(plat.plat.opaque, 0, false);
    plat.plat.ops->voltage_set_level(plat.plat.opaque, 0, 1800000);
    capture_end(log, sizeof(log));
    assert_string_equal(log, "scmi: voltage vdd-io off\n"
                             "scmi: voltage vdd-io level 1800000 uV\n");
    plat.server = NULL;
}

/* ---- sensors: simulated value, hwmon file read on every reading ---- */

static void test_hwmon_sensor(void **state)
{
    static struct xv_scmi_server server;
    static struct xv_scmi_agent a;
    char hw[] = "/tmp/xv-scmi-hwmon-XXXXXX";
    char text[1024], err[512];
    uint32_t resp[16];
    size_t len;
    int fd = mkstemp(hw);
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    f = fopen(hw, "w");
    fputs("51234\n", f);
    fclose(f);
    snprintf(text, sizeof(text),
             "[scmi-sensor sim]\nunit = voltage\nvalue = -7\n"
             "[scmi-sensor board]\nunit = temperature\nhwmon = %s\n"
             "[scmi-sensor watts]\nunit = power\nhwmon = %s\n"
             "[scmi-sensor joules]\nunit = energy\nhwmon = %s\n"
             "[scmi-sensor volts]\nunit = voltage\nhwmon = %s\n", hw, hw, hw, hw);
    assert_int_equal(load(text, err, sizeof(err)), 0);
    assert_int_equal(plat.plat.nr_sensors, 5);
    assert_int_equal(plat.sensors[0].unit_exp, 0);
    assert_int_equal(plat.sensors[1].unit_exp, -3);   /* hwmon default: milli */
    assert_int_equal(plat.sensors[2].unit_exp, -6);   /* power: microwatts */
    assert_int_equal(plat.sensors[3].unit_exp, -6);   /* energy: microjoules */
    assert_int_equal(plat.sensors[4].unit_exp, -3);   /* millivolts */
    assert_string_equal(plat.sensor_hwmon[1], hw);
    assert_int_equal(plat.hwmon_min_ns, 100000000ull);
    plat.hwmon_min_ns = 0;      /* every reading reads the file */
    assert_int_equal(xv_scmi_server_init(&server, &plat.plat), 0);
    xv_scmi_agent_init(&a, "socket1", NULL, NULL);
    xv_scmi_agent_show_all(&a, &server);
    assert_int_equal(xv_scmi_agent_add(&server, &a), 0);

    /* SENSOR_READING_GET (0x6), synchronous: sensor_id, flags = 0. */
    assert_int_equal(send_msg(&server, &a, hdr(0x15, 0x6, 1), (uint32_t[]){ 0, 0 }, 2,
                              resp, &len), SCMI_SUCCESS);
    assert_true(len >= 16);
    assert_int_equal(resp[2], (uint32_t)-7);
    assert_int_equal(resp[3], 0xffffffffu);
    assert_int_equal(send_msg(&server, &a, hdr(0x15, 0x6, 2), (uint32_t[]){ 1, 0 }, 2,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(resp[2], 51234);
    assert_int_equal(resp[3], 0);
    /* The file changes: the next reading sees it. */
    f = fopen(hw, "w");
    fputs("-1500\n", f);
    fclose(f);
    assert_int_equal(send_msg(&server, &a, hdr(0x15, 0x6, 3), (uint32_t[]){ 1, 0 }, 2,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(resp[2], (uint32_t)-1500);
    assert_int_equal(resp[3], 0xffffffffu);
    /* Within the interval the file is not read again: a guest asking in a
     * loop costs one read per interval, not one per command. */
    plat.hwmon_min_ns = 60000000000ull;
    f = fopen(hw, "w");
    fputs("99999\n", f);
    fclose(f);
    assert_int_equal(send_msg(&server, &a, hdr(0x15, 0x6, 3), (uint32_t[]){ 1, 0 }, 2,
                              resp, &len), SCMI_SUCCESS);
    assert_int_equal(resp[2], (uint32_t)-1500);
    plat.hwmon_min_ns = 0;
    /* Garbage, then a vanished file: an error status, not a value. */
    f = fopen(hw, "w");
    fputs("hot\n", f);
    fclose(f);
    assert_int_not_equal(send_msg(&server, &a, hdr(0x15, 0x6, 4), (uint32_t[]){ 1, 0 }, 2,
                                  resp, &len), SCMI_SUCCESS);
    assert_int_equal(len, 8);
    unlink(hw);
    assert_int_not_equal(send_msg(&server, &a, hdr(0x15, 0x6, 5), (uint32_t[]){ 1, 0 }, 2,
                                  resp, &len), SCMI_SUCCESS);
    assert_int_equal(len, 8);
}

/* ---- xenvirtiod-scmi dts: golden text ---- */

static const char golden_dts_head[] =
    " */\n/dts-v1/;\n\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\n"
    "\tpassthrough {\n\t\tcompatible = \"simple-bus\";\n\t\tranges;\n"
    "\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\n"
    "\t\tscmi {\n\t\t\tcompatible = \"arm,scmi-virtio\";\n"
    "\t\t\t#address-cells = <1>;\n\t\t\t#size-cells = <0>;\n\n";

static const char golden_dts_g1[] =
    "\t\t\t/* power-domains: gpu (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_11: protocol@11 {\n\t\t\t\treg = <0x11>;\n"
    "\t\t\t\t#power-domain-cells = <1>;\n\t\t\t};\n"
    "\t\t\t/* perf-domains: cpu (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_13: protocol@13 {\n\t\t\t\treg = <0x13>;\n"
    "\t\t\t\t#clock-cells = <1>;\n\t\t\t};\n"
    "\t\t\t/* clocks: uart0,mmc (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_14: protocol@14 {\n\t\t\t\treg = <0x14>;\n"
    "\t\t\t\t#clock-cells = <1>;\n\t\t\t};\n"
    "\t\t\t/* sensors: soc-temp (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_15: protocol@15 {\n\t\t\t\treg = <0x15>;\n"
    "\t\t\t\t#thermal-sensor-cells = <1>;\n\t\t\t};\n"
    "\t\t\t/* resets: eth0 (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_16: protocol@16 {\n\t\t\t\treg = <0x16>;\n"
    "\t\t\t\t#reset-cells = <1>;\n\t\t\t};\n"
    "\t\t\t/* voltages: vdd-io (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_17: protocol@17 {\n\t\t\t\treg = <0x17>;\n"
    "\t\t\t\tregulators {\n\t\t\t\t\t#address-cells = <1>;\n"
    "\t\t\t\t\t#size-cells = <0>;\n"
    "\t\t\t\t\tregulator@0 {\n\t\t\t\t\t\treg = <0>;\n"
    "\t\t\t\t\t\tregulator-name = \"vdd-io\";\n\t\t\t\t\t};\n"
    "\t\t\t\t};\n\t\t\t};\n"
    "\t\t};\n\t};\n};\n";

static const char golden_dts_g2[] =
    "\t\t\t/* clocks: mmc (ids 0, 1, ... in this order) */\n"
    "\t\t\tscmi_14: protocol@14 {\n\t\t\t\treg = <0x14>;\n"
    "\t\t\t\t#clock-cells = <1>;\n\t\t\t};\n"
    "\t\t};\n\t};\n};\n";

static void run_dts(const char *conf, const char *device, char *out, size_t cap, int *status)
{
    const char *client = getenv("XVD_SCMI_CLIENT");
    char cmd[512];
    size_t n;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s' -c '%s' dts '%s' 2>&1", client, conf, device);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    *status = pclose(p);
}

static void test_dts_golden(void **state)
{
    char path[] = "/tmp/xv-scmi-dts-XXXXXX";
    char out[8192], expect[8192];
    const char *body;
    int fd, status;

    (void)state;
    if (!getenv("XVD_SCMI_CLIENT"))
        skip();
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, base_conf, strlen(base_conf)), (ssize_t)strlen(base_conf));
    close(fd);

    run_dts(path, "scmi-g1", out, sizeof(out), &status);
    assert_int_equal(status, 0);
    snprintf(expect, sizeof(expect),
             "/*\n * Partial device tree for the guest of [device scmi-g1] (%s).\n", path);
    assert_memory_equal(out, expect, strlen(expect));
    body = strstr(out, " */\n/dts-v1/;");
    assert_non_null(body);
    snprintf(expect, sizeof(expect), "%s%s", golden_dts_head, golden_dts_g1);
    assert_string_equal(body, expect);

    run_dts(path, "scmi-g2", out, sizeof(out), &status);
    assert_int_equal(status, 0);
    body = strstr(out, " */\n/dts-v1/;");
    assert_non_null(body);
    snprintf(expect, sizeof(expect), "%s%s", golden_dts_head, golden_dts_g2);
    assert_string_equal(body, expect);

    /* Not an scmi device: refused, nothing on stdout but the message. */
    run_dts(path, "nosuch", out, sizeof(out), &status);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(out, "no [device nosuch] of type scmi"));
    unlink(path);
}

/* DT unit addresses are hex: the 11th regulator is regulator@a, reg 10. */
static void test_dts_regulator_unit_address(void **state)
{
    char path[] = "/tmp/xv-scmi-dts-XXXXXX";
    char conf[4096], out[16384], names[256] = "";
    size_t n = 0;
    int fd, status;

    (void)state;
    if (!getenv("XVD_SCMI_CLIENT"))
        skip();
    for (unsigned i = 0; i < 11; i++) {
        n += (size_t)snprintf(conf + n, sizeof(conf) - n,
                              "[scmi-voltage v%u]\nlevels = 1800000\n", i);
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%sv%u",
                 i ? "," : "", i);
    }
    snprintf(conf + n, sizeof(conf) - n,
             "[device scmi-v]\ntype = scmi\ndomain = guest1\nvoltages = %s\n", names);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
    close(fd);
    run_dts(path, "scmi-v", out, sizeof(out), &status);
    unlink(path);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "regulator@9 {\n\t\t\t\t\t\treg = <9>;"));
    assert_non_null(strstr(out, "regulator@a {\n\t\t\t\t\t\treg = <10>;"));
    assert_null(strstr(out, "regulator@10"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_defaults_without_scmi_section),
        cmocka_unit_test(test_bad_sections),
        cmocka_unit_test(test_simulated_ops_log),
        cmocka_unit_test(test_hwmon_sensor),
        cmocka_unit_test(test_dts_regulator_unit_address),
        cmocka_unit_test(test_dts_golden),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
