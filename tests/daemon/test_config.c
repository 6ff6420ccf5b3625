/* SPDX-License-Identifier: Apache-2.0 */
/* The config file and --device specs: good input loads, every kind of bad
 * value is reported with file:line, device, key and value, bad devices are
 * skipped while the others load. */
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

static char warnings[4096];
static struct xvd_config cfg;

static void collect_warning(const char *msg)
{
    strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static int load(const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/xv-config-test-XXXXXX";
    int fd = mkstemp(path);
    int rc;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    warnings[0] = '\0';
    xvd_config_defaults(&cfg);
    rc = xvd_config_load(&cfg, path, collect_warning, err, errlen);
    unlink(path);
    return rc;
}

static void test_good_file(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(load("[daemon]\nlog-level = debug\nxenstore = no\n"
                          "max-requests-per-wakeup = 0x10\n"
                          "[device disk0]\ntype = block\npath = /x.img\nreadonly = yes\n"
                          "domain = 5\nbase = 0x2000200\nirq = 34\nmemory = grants\n"
                          "[device i2c0]\ntype = i2c\ndomain = guest1\n"
                          "xl-target = /etc/xen/xenvirtiod/i2c0\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_false(cfg.xenstore);
    assert_int_equal(cfg.max_requests_per_wakeup, 16);
    assert_int_equal(cfg.nr_devices, 2);
    assert_string_equal(cfg.devices[0].name, "disk0");
    assert_true(cfg.devices[0].is_static);
    assert_int_equal(cfg.devices[0].domid, 5);
    assert_int_equal(cfg.devices[0].base, 0x2000200);
    assert_int_equal(cfg.devices[0].irq, 34);
    assert_int_equal(cfg.devices[0].memory, XVD_MEM_GRANTS);
    assert_string_equal(xvd_device_opt(&cfg.devices[0], "path"), "/x.img");
    assert_false(cfg.devices[1].is_static);
    assert_string_equal(cfg.devices[1].domain_name, "guest1");
    assert_string_equal(cfg.devices[1].xl_target, "/etc/xen/xenvirtiod/i2c0");
    assert_string_equal(warnings, "");
}

static void test_bad_device_skipped(void **state)
{
    static const struct { const char *section; const char *expect; } cases[] = {
        { "type = block\nirq = 7\nbase = 0x2000000\ndomain = 1\n", ":3: device bad: key 'irq': bad value '7'" },
        { "type = block\nbase = 0x2000100\nirq = 33\ndomain = 1\n", "key 'base': bad value '0x2000100'" },
        { "type = block\nbase = 0x\nirq = 33\ndomain = 1\n", "key 'base': bad value '0x'" },
        { "type = block\nirq = 18446744073709551616\n", "key 'irq'" },
        { "type = block\nirq = -33\n", "key 'irq': bad value '-33'" },
        { "type = block\nmemory = shared\n", "key 'memory': bad value 'shared'" },
        { "path = /x\n", "key 'type' is missing" },
        { "type = block\nbase = 0x2000000\n", "needs both 'base' and 'irq'" },
        { "type = block\nbase = 0x2000000\nirq = 33\n", "needs 'domain'" },
        { "type = block\ndomain = 99999\n", "key 'domain': bad value '99999'" },
        { "type = block\nxl-target = relative\n", "key 'xl-target'" },
        { "type = block\npath = /a\npath = /b\n", "key given twice" },
    };
    char text[512], err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "[device bad]\n%s[device good]\ntype = block\n",
                 cases[i].section);
        assert_int_equal(load(text, err, sizeof(err)), 0);
        if (!strstr(warnings, cases[i].expect))
            fail_msg("case %zu: '%s' not in '%s'", i, cases[i].expect, warnings);
        assert_int_equal(cfg.nr_devices, 1);
        assert_string_equal(cfg.devices[0].name, "good");
    }
}

static void test_duplicate_device(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(load("[device a]\ntype = block\n[device b]\ntype = i2c\n"
                          "[device a]\ntype = scmi\n", err, sizeof(err)), 0);
    assert_non_null(strstr(warnings, "already exists"));
    assert_int_equal(cfg.nr_devices, 2);
}

static void test_daemon_errors_are_fatal(void **state)
{
    static const struct { const char *text; const char *expect; } cases[] = {
        { "[daemon]\nlog-level = loud\n", ":2: [daemon] key 'log-level': bad value 'loud'" },
        { "[daemon]\nfrobnicate = 1\n", "unknown key 'frobnicate'" },
        { "[daemon]\nmax-requests-per-wakeup = 0\n", "bad value '0'" },
        { "[network]\nx = 1\n", "unknown section [network]" },
        { "[daemon\n", "syntax error" },
    };
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_true(load(cases[i].text, err, sizeof(err)) < 0);
        if (!strstr(err, cases[i].expect))
            fail_msg("case %zu: '%s' not in '%s'", i, cases[i].expect, err);
    }
}

static void test_missing_file(void **state)
{
    char err[512];

    (void)state;
    assert_true(xvd_config_load(&cfg, "/nonexistent/xv.conf", NULL, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/nonexistent/xv.conf"));
}

static void test_device_spec(void **state)
{
    struct xvd_device_conf dev;
    char err[512];
    uint64_t n;
    bool b;

    (void)state;
    assert_int_equal(xvd_config_parse_device(&dev, "name=d0,type=block,path=/x.img,"
                                             "base=0x2000000,irq=33,domain=3", err,
                                             sizeof(err)), 0);
    assert_string_equal(dev.name, "d0");
    assert_true(dev.is_static);
    assert_int_equal(dev.domid, 3);
    assert_int_equal(xvd_config_parse_device(&dev, "type=block,path=/x.img", err,
                                             sizeof(err)), 0);
    assert_false(dev.is_static);
    assert_true(xvd_config_parse_device(&dev, "type=block,irq=zz", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "key 'irq': bad value 'zz'"));
    assert_true(xvd_config_parse_device(&dev, "type=block,path", err, sizeof(err)) < 0);
    assert_true(xvd_config_parse_device(&dev, "path=/x", err, sizeof(err)) < 0);
    /* Device-type keys through the helpers. */
    assert_int_equal(xvd_config_parse_device(&dev, "type=block,queue-size=512,ro=maybe",
                                             err, sizeof(err)), 0);
    assert_int_equal(xvd_opt_u64(&dev, "queue-size", 256, 2, 32768, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 512);
    assert_int_equal(xvd_opt_u64(&dev, "absent", 7, 0, 9, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 7);
    assert_true(xvd_opt_u64(&dev, "queue-size", 256, 2, 256, &n, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "must be 2..256"));
    assert_true(xvd_opt_bool(&dev, "ro", false, &b, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "key 'ro': bad value 'maybe'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_bad_device_skipped),
        cmocka_unit_test(test_duplicate_device),
        cmocka_unit_test(test_daemon_errors_are_fatal),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_device_spec),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
