/* SPDX-License-Identifier: Apache-2.0 */
/* The config file and --device specs: good input loads, every kind of bad
 * value is reported with file:line, device, key and value, bad devices are
 * skipped while the others load, file-level problems refuse the file. */
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

static char warnings[8192];
static char last_path[64];
static struct xvd_config cfg;

static void collect_warning(const char *msg)
{
    strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static int load_with(const char *text, void (*warn)(const char *), char *err, size_t errlen)
{
    char path[] = "/tmp/xv-config-test-XXXXXX";
    int fd = mkstemp(path);
    int rc;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    snprintf(last_path, sizeof(last_path), "%s", path);
    warnings[0] = '\0';
    xvd_config_defaults(&cfg, &xvd_device_types);
    rc = xvd_config_load(&cfg, path, warn, err, errlen);
    unlink(path);
    return rc;
}

static int load(const char *text, char *err, size_t errlen)
{
    return load_with(text, collect_warning, err, errlen);
}

static void expect_in(const char *haystack, const char *needle, size_t case_index)
{
    if (!strstr(haystack, needle))
        fail_msg("case %zu: '%s' not in '%s'", case_index, needle, haystack);
}

static void test_defaults(void **state)
{
    (void)state;
    xvd_config_defaults(&cfg, &xvd_device_types);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.log_target, XVD_LOG_TARGET_AUTO);
    assert_true(cfg.xenstore);
    assert_int_equal(cfg.max_requests_per_wakeup, 64);
    assert_string_equal(cfg.control, "");
    assert_int_equal(cfg.nr_devices, 0);
}

static void test_good_file(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(load("; xenvirtiod.conf\n# another comment style\n\n"
                          "[daemon]\nlog-level = debug\nlog-target = stderr\nxenstore = no\n"
                          "max-requests-per-wakeup = 0x10\ncontrol = /run/x/ctl\n"
                          "[device disk0]   ; trailing comment\n"
                          "type = block\npath = /x.img ; inline comment\nreadonly = yes\n"
                          "domain = 5\nbase = 0X2000200\nirq = 034\nmemory = grants\n"
                          "\n[device i2c0]\r\ntype = i2c\r\ndomain = guest-1\r\n"
                          "xl-target = /etc/xen/xenvirtiod/i2c0\r\n"
                          "[device scmi.0]\ntype = scmi\nmemory = auto\n", err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_string_equal(warnings, "");
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(cfg.log_target, XVD_LOG_TARGET_STDERR);
    assert_false(cfg.xenstore);
    assert_int_equal(cfg.max_requests_per_wakeup, 16);
    assert_string_equal(cfg.control, "/run/x/ctl");
    assert_int_equal(cfg.nr_devices, 3);

    assert_string_equal(cfg.devices[0].name, "disk0");
    assert_string_equal(cfg.devices[0].type, "block");
    assert_true(cfg.devices[0].is_static);
    assert_int_equal(cfg.devices[0].domid, 5);
    assert_int_equal(cfg.devices[0].base, 0x2000200);
    assert_int_equal(cfg.devices[0].irq, 34);           /* decimal, not octal */
    assert_int_equal(cfg.devices[0].memory, XVD_MEM_GRANTS);
    assert_int_equal(cfg.devices[0].nr_opts, 2);
    assert_string_equal(xvd_device_opt(&cfg.devices[0], "path"), "/x.img");
    assert_string_equal(xvd_device_opt(&cfg.devices[0], "readonly"), "yes");
    assert_null(xvd_device_opt(&cfg.devices[0], "type"));

    assert_false(cfg.devices[1].is_static);
    assert_int_equal(cfg.devices[1].domid, -1);
    assert_string_equal(cfg.devices[1].domain_name, "guest-1");
    assert_string_equal(cfg.devices[1].xl_target, "/etc/xen/xenvirtiod/i2c0");

    assert_string_equal(cfg.devices[2].name, "scmi.0");
    assert_int_equal(cfg.devices[2].memory, XVD_MEM_AUTO);
    assert_int_equal(cfg.devices[2].domid, -1);
}

static void test_numeric_edges(void **state)
{
    static const struct { const char *irq; bool ok; unsigned value; } cases[] = {
        { "32", true, 32 }, { "1019", true, 1019 }, { "0x3fb", true, 1019 },
        { "0x20", true, 32 }, { "0033", true, 33 },
        { "31", false, 0 }, { "1020", false, 0 }, { "0", false, 0 }, { "0x", false, 0 },
        { "0x-21", false, 0 }, { "-33", false, 0 }, { "+33", false, 0 }, { "33x", false, 0 },
        { "3 3", false, 0 }, { "18446744073709551649", false, 0 },
        { "0x10000000000000021", false, 0 }, { "thirty-three", false, 0 }, { "33.0", false, 0 },
    };
    char text[256], err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "[device d]\ntype = block\ndomain = 1\n"
                 "base = 0x2000000\nirq = %s\n", cases[i].irq);
        assert_int_equal(load(text, err, sizeof(err)), 0);
        if (cases[i].ok) {
            if (cfg.nr_devices != 1)
                fail_msg("case %zu: irq '%s' refused: %s", i, cases[i].irq, warnings);
            assert_int_equal(cfg.devices[0].irq, cases[i].value);
        } else {
            char expect[128];

            assert_int_equal(cfg.nr_devices, 0);
            snprintf(expect, sizeof(expect), ":5: device d: key 'irq': bad value '%s' "
                     "(must be 32..1019)", cases[i].irq);
            expect_in(warnings, expect, i);
        }
    }
    /* The top of the address space: the last window that fits. */
    assert_int_equal(load("[device d]\ntype = block\ndomain = 1\nbase = 0xfffffffffffffe00\n"
                          "irq = 40\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.nr_devices, 1);
    assert_int_equal(cfg.devices[0].base, 0xfffffffffffffe00ull);
    assert_int_equal(load("[device d]\ntype = block\ndomain = 0x7fef\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.devices[0].domid, 0x7fef);
}

static void test_bad_device_skipped(void **state)
{
    static const struct { const char *section; const char *expect; } cases[] = {
        { "type = block\nirq = 7\nbase = 0x2000000\ndomain = 1\n",
          ":3: device bad: key 'irq': bad value '7' (must be 32..1019)" },
        { "type = block\nbase = 0x2000100\nirq = 33\ndomain = 1\n",
          ":3: device bad: key 'base': bad value '0x2000100' (must be 0x200-aligned)" },
        { "type = block\nbase = 0x\nirq = 33\ndomain = 1\n", "key 'base': bad value '0x'" },
        { "type = block\nbase = 18446744073709551616\n", "key 'base': bad value" },
        { "type = block\nbase = -512\n", "key 'base': bad value '-512'" },
        { "type = block\nmemory = shared\n",
          "key 'memory': bad value 'shared' (must be grants|foreign|auto)" },
        { "path = /x\n", ":1: device bad: key 'type': missing" },
        { "type = disk drive\n", "key 'type': bad value 'disk drive'" },
        { "type = block\nbase = 0x2000000\ndomain = 1\n",
          "static placement needs 'domain', 'base' and 'irq' together (missing: irq)" },
        { "type = block\nirq = 33\n", "(missing: domain base)" },
        { "type = block\nbase = 0x2000000\nirq = 33\n", "(missing: domain)" },
        { "type = block\ndomain = 99999\n", "key 'domain': bad value '99999'" },
        { "type = block\ndomain = 32752\n", "key 'domain': bad value '32752'" },
        { "type = block\ndomain = a/b\n", "key 'domain': bad value 'a/b'" },
        { "type = block\ndomain = 5x\n", "key 'domain': bad value '5x'" },
        { "type = block\nxl-target = relative\n",
          "key 'xl-target': bad value 'relative' (must be an absolute path" },
        { "type = block\npath = /a\npath = /b\n", ":4: device bad: key 'path': bad value '/b' "
          "(key given twice)" },
        { "type = block\nirq = 33\nirq = 34\n", "key 'irq': bad value '34' (key given twice)" },
        { "type = block\ntype = i2c\n", "key 'type': bad value 'i2c' (key given twice)" },
        { "type = block\nname = other\n", "key 'name': not allowed here" },
        { "type = block\nread only = yes\n", "key 'read only': not a key name" },
        { "type = block\npath =\n", "key 'path': bad value '' (empty)" },
    };
    char text[512], err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "[device bad]\n%s[device good]\ntype = block\n",
                 cases[i].section);
        assert_int_equal(load(text, err, sizeof(err)), 0);
        expect_in(warnings, cases[i].expect, i);
        expect_in(warnings, last_path, i);
        /* One problem, one line: the first one found. */
        assert_int_equal(strchr(warnings, '\n') - warnings + 1, strlen(warnings));
        assert_int_equal(cfg.nr_devices, 1);
        assert_string_equal(cfg.devices[0].name, "good");
    }
}

static void test_bad_sections(void **state)
{
    static const struct { const char *text; const char *expect; } cases[] = {
        { "[device]\ntype = block\n", ":1: device (unnamed): bad section name" },
        { "[device a/b]\ntype = block\n", ":1: device a/b: bad section name" },
        { "[device empty]\n; nothing\n\n", ":1: [device empty]: no keys" },
        { "[device empty]\n[device x]\ntype = block\n[device last]\n",
          ":1: [device empty]: no keys" },
    };
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(load(cases[i].text, err, sizeof(err)), 0);
        expect_in(warnings, cases[i].expect, i);
    }
    assert_int_equal(cfg.nr_devices, 1);
    assert_string_equal(cfg.devices[0].name, "x");
    expect_in(warnings, ":4: [device last]: no keys", 99);
}

/* [scmi] and [scmi-KIND NAME]: kept in order with their keys' lines for
 * the SCMI platform to check; the header's own mistakes are file errors. */
static void test_scmi_sections(void **state)
{
    static const struct { const char *text; const char *expect; } bad[] = {
        { "[scmi-clock]\nrates = 1\n", ":1: [scmi-clock]: needs a NAME" },
        { "[scmi x]\nvendor = v\n", ":1: [scmi x]: takes no name" },
        { "[scmi-clock a/b]\nrates = 1\n", ":1: [scmi-clock a/b]: needs a NAME" },
        { "[scmi-gizmo g]\nx = 1\n", ":1: unknown section [scmi-gizmo g]" },
        { "[scmi-power p]\n[scmi-power p]\n", ":2: [scmi-power p]: given twice (first at line 1)" },
        { "[scmi-clock c]\nrates = 1\nrates = 2\n",
          ":3: [scmi-clock c] key 'rates': given twice (first at line 2)" },
        { "[scmi-clock c]\nbad key = 1\n", ":2: [scmi-clock c] key 'bad key': not a key name" },
    };
    const struct xvd_section_conf *sec;
    unsigned line;
    char err[512];

    (void)state;
    assert_int_equal(load("[scmi]\nvendor = acme\n\n[scmi-power gpu]\n"
                          "[scmi-clock uart0]\nrates = 1,2\nrate = 2\n"
                          "[device g]\ntype = scmi\nclocks = uart0\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.nr_sections, 3);
    assert_string_equal(cfg.sections[0].kind, "scmi");
    assert_string_equal(cfg.sections[0].name, "");
    assert_string_equal(cfg.sections[1].kind, "scmi-power");
    assert_string_equal(cfg.sections[1].name, "gpu");
    assert_int_equal(cfg.sections[1].nr_opts, 0);
    sec = &cfg.sections[2];
    assert_string_equal(sec->name, "uart0");
    assert_int_equal(sec->line, 5);
    assert_string_equal(xvd_section_opt(sec, "rate", &line), "2");
    assert_int_equal(line, 7);
    assert_null(xvd_section_opt(sec, "on", NULL));
    assert_int_equal(cfg.nr_devices, 1);
    assert_string_equal(xvd_device_opt(&cfg.devices[0], "clocks"), "uart0");
    assert_int_equal(xvd_section_error(&cfg, sec, "rate", err, sizeof(err), "why"), -EINVAL);
    expect_in(err, ":7: [scmi-clock uart0] key 'rate': bad value '2' (why)", 100);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(load(bad[i].text, err, sizeof(err)), -EINVAL);
        expect_in(err, bad[i].expect, i);
    }
}

static void test_duplicate_device(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(load("[device a]\ntype = block\n[device b]\ntype = i2c\n"
                          "[device a]\ntype = scmi\n", err, sizeof(err)), 0);
    assert_non_null(strstr(warnings, ":5: device a: a device of this name already exists"));
    assert_int_equal(cfg.nr_devices, 2);
    assert_string_equal(cfg.devices[0].type, "block");
    /* The same name twice in a row is still two sections, not one. */
    assert_int_equal(load("[device a]\ntype = block\n[device a]\ntype = i2c\n", err,
                          sizeof(err)), 0);
    assert_non_null(strstr(warnings, ":3: device a: a device of this name already exists"));
    assert_int_equal(cfg.nr_devices, 1);
}

static void test_too_many_devices(void **state)
{
    static char text[XVD_DEVICES_MAX * 40 + 64];
    char err[512];
    size_t used = 0;

    (void)state;
    for (unsigned i = 0; i <= XVD_DEVICES_MAX; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used,
                                 "[device d%u]\ntype = block\n", i);
    assert_int_equal(load(text, err, sizeof(err)), 0);
    assert_int_equal(cfg.nr_devices, XVD_DEVICES_MAX);
    assert_non_null(strstr(warnings, "more than 64 devices"));
}

static void test_file_errors_are_fatal(void **state)
{
    static const struct { const char *text; const char *expect; } cases[] = {
        { "[daemon]\nlog-level = loud\n", ":2: [daemon] key 'log-level': bad value 'loud'" },
        { "[daemon]\nlog-target = syslog\n", ":2: [daemon] key 'log-target': bad value" },
        { "[daemon]\nxenstore = maybe\n", ":2: [daemon] key 'xenstore': bad value 'maybe'" },
        { "[daemon]\nfrobnicate = 1\n", ":2: [daemon] unknown key 'frobnicate'" },
        { "[daemon]\nmax-requests-per-wakeup = 0\n", "bad value '0' (must be 1..65535)" },
        { "[daemon]\nmax-requests-per-wakeup = 65536\n", "bad value '65536'" },
        { "[daemon]\ncontrol = run/ctl\n", ":2: [daemon] key 'control': bad value 'run/ctl'" },
        { "[daemon]\ncontrol = /run/" "0123456789012345678901234567890123456789"
          "0123456789012345678901234567890123456789" "0123456789012345678901234567\n",
          "(must be none or an absolute path under 108 bytes)" },
        { "[daemon]\ncontrol = none\ncontrol = /x\n", ":3: [daemon] key 'control': given twice" },
        { "[daemon]\nlog-level = info\nlog-level = debug\n",
          ":3: [daemon] key 'log-level': given twice" },
        { "\n[network]\nx = 1\n", ":2: unknown section [network]" },
        { "x = 1\n", ":1: key 'x' before any section" },
        { "[daemon\n", ":1: syntax error" },
        { "[daemon]\njust words\n", ":2: syntax error" },
    };
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_true(load(cases[i].text, err, sizeof(err)) < 0);
        expect_in(err, cases[i].expect, i);
        expect_in(err, last_path, i);
    }
}

static void test_overlong_line(void **state)
{
    char text[1024], err[512];
    char path[400];

    (void)state;
    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    /* libinih reads 200-byte lines: the rest must not become a line of its own. */
    snprintf(text, sizeof(text), "[device d]\ntype = block\npath = %s\n", path);
    assert_true(load(text, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, ":3: line longer than 199 characters"));
}

static void test_unreadable(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(xvd_config_load(&cfg, "/nonexistent/xv.conf", NULL, err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/xv.conf"));
    assert_true(xvd_config_load(&cfg, "/tmp", NULL, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/tmp: cannot read"));
}

static void test_no_warn_callback(void **state)
{
    char err[512];

    (void)state;
    /* Without 'warn', the first device problem lands in err; the file loads. */
    assert_int_equal(load_with("[device a]\ntype = block\nirq = 1\n[device b]\ntype = i2c\n",
                               NULL, err, sizeof(err)), 0);
    assert_non_null(strstr(err, ":3: device a: key 'irq': bad value '1'"));
    assert_int_equal(cfg.nr_devices, 1);
}

static void test_device_spec(void **state)
{
    struct xvd_device_conf dev;
    char err[512];

    (void)state;
    assert_int_equal(xvd_config_parse_device(&dev, "name=disk0,type=block,path=/x.img,"
                                             "base=0x2000000,irq=33,domain=5,memory=foreign",
                                             &xvd_device_types, err, sizeof(err)), 0);
    assert_string_equal(dev.name, "disk0");
    assert_string_equal(dev.type, "block");
    assert_true(dev.is_static);
    assert_int_equal(dev.domid, 5);
    assert_int_equal(dev.base, 0x2000000);
    assert_int_equal(dev.irq, 33);
    assert_int_equal(dev.memory, XVD_MEM_FOREIGN);
    assert_string_equal(xvd_device_opt(&dev, "path"), "/x.img");

    /* No name: the caller assigns one. No domain: --domain gives it. */
    assert_int_equal(xvd_config_parse_device(&dev, "type=block,path=/x.img,base=0x2000200,"
                                             "irq=34", &xvd_device_types, err, sizeof(err)), 0);
    assert_string_equal(dev.name, "");
    assert_true(dev.is_static);
    assert_int_equal(dev.domid, -1);
    assert_int_equal(xvd_config_parse_device(&dev, "type=i2c,domain=guest1",
                                             &xvd_device_types, err, sizeof(err)), 0);
    assert_false(dev.is_static);
    assert_string_equal(dev.domain_name, "guest1");
}

static void test_bad_device_spec(void **state)
{
    static const struct { const char *spec; const char *expect; } cases[] = {
        { "type=block,irq=zz", "key 'irq': bad value 'zz' (must be 32..1019)" },
        { "name=d1,type=block,irq=1020", "device d1: key 'irq': bad value '1020'" },
        { "type=block,base=0x2000000", "static placement needs 'base' and 'irq' together "
          "(missing: irq)" },
        { "type=block,path", "'path': expected key=value" },
        { "type=block,,path=/x", "'': expected key=value" },
        { "type=block,=x", "'=x': expected key=value" },
        { "path=/x", "key 'type': missing" },
        { "", "'': expected key=value" },
        { "type=block,path=/a,path=/b", "key 'path': bad value '/b' (key given twice)" },
        { "name=a/b,type=block", "key 'name': bad value 'a/b'" },
        { "name=a,name=b,type=block", "key 'name': bad value 'b' (key given twice)" },
        { "type=block,memory=", "key 'memory': bad value ''" },
        { "type=block,base=0x2000001,irq=33", "key 'base': bad value '0x2000001'" },
    };
    struct xvd_device_conf dev;
    char err[512], spec[2048];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(xvd_config_parse_device(&dev, cases[i].spec, &xvd_device_types,
                                                 err, sizeof(err)), -EINVAL);
        expect_in(err, cases[i].expect, i);
    }
    memset(spec, 'x', sizeof(spec) - 1);
    spec[sizeof(spec) - 1] = '\0';
    assert_int_equal(xvd_config_parse_device(&dev, spec, &xvd_device_types, err,
                                             sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "longer than"));
}

static void test_option_helpers(void **state)
{
    struct xvd_device_conf dev;
    char err[512];
    uint64_t n;
    bool b;

    (void)state;
    assert_int_equal(xvd_config_parse_device(&dev, "name=q,type=block,queue-size=512,"
                                             "ro=maybe,hex=0x,neg=-1,big=18446744073709551616,"
                                             "max=18446744073709551615,on=On",
                                             &xvd_device_types, err, sizeof(err)), 0);
    assert_int_equal(xvd_opt_u64(&dev, "queue-size", 256, 2, 32768, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 512);
    assert_int_equal(xvd_opt_u64(&dev, "absent", 7, 0, 9, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 7);
    assert_int_equal(xvd_opt_u64(&dev, "queue-size", 256, 2, 256, &n, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "device q: key 'queue-size': bad value '512' (must be 2..256)");
    assert_int_equal(xvd_opt_u64(&dev, "hex", 0, 0, UINT64_MAX, &n, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(xvd_opt_u64(&dev, "neg", 0, 0, UINT64_MAX, &n, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(xvd_opt_u64(&dev, "big", 0, 0, UINT64_MAX, &n, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(xvd_opt_u64(&dev, "max", 0, 0, UINT64_MAX, &n, err, sizeof(err)), 0);
    assert_true(n == UINT64_MAX);
    assert_int_equal(xvd_opt_bool(&dev, "ro", false, &b, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "device q: key 'ro': bad value 'maybe' (must be yes|no)");
    assert_int_equal(xvd_opt_bool(&dev, "on", false, &b, err, sizeof(err)), 0);
    assert_true(b);
    assert_int_equal(xvd_opt_bool(&dev, "absent", true, &b, err, sizeof(err)), 0);
    assert_true(b);
}

/* One table of every key kind, read by the one checker. */
static void test_key_table(void **state)
{
    enum { K_PATH, K_RO, K_SIZE, K_DEPTH, K_CACHE, NR_K };
    static const struct xvd_key keys[NR_K] = {
        [K_PATH] = { "path", XVD_KEY_TEXT, .required = true, .doc = "a file" },
        [K_RO] = { "readonly", XVD_KEY_BOOL, .def = true, .doc = "no writes" },
        [K_SIZE] = { "queue-size", XVD_KEY_POW2, .def = 64, .min = 2, .max = 1024,
                     .doc = "ring size" },
        [K_DEPTH] = { "depth", XVD_KEY_U64, .def = 3, .min = 1, .max = 9, .doc = "depth" },
        [K_CACHE] = { "cache", XVD_KEY_CHOICE, .def = 1, .choices = "none|back|through",
                      .doc = "cache" },
    };
    static const struct { const char *spec, *err; } bad[] = {
        { "type=t", "device : key 'path': missing" },
        { "type=t,path=/x,read-only=yes", "device : key 'read-only': unknown for type t" },
        { "type=t,path=/x,readonly=2", "device : key 'readonly': bad value '2' (must be yes|no)" },
        { "type=t,path=/x,queue-size=96",
          "device : key 'queue-size': bad value '96' (not a power of two)" },
        { "type=t,path=/x,queue-size=2048",
          "device : key 'queue-size': bad value '2048' (must be 2..1024)" },
        { "type=t,path=/x,depth=0", "device : key 'depth': bad value '0' (must be 1..9)" },
        { "type=t,path=/x,cache=front",
          "device : key 'cache': bad value 'front' (none, back or through)" },
    };
    union xvd_key_value v[NR_K];
    struct xvd_device_conf dev;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(xvd_config_parse_device(&dev, bad[i].spec, &xvd_device_types,
                                                 err, sizeof(err)), 0);
        assert_int_equal(xvd_keys_parse(keys, NR_K, "t", &dev, v, err, sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, bad[i].err);
    }
    assert_int_equal(xvd_config_parse_device(&dev, "type=t,path=/x", &xvd_device_types,
                                             err, sizeof(err)), 0);
    assert_int_equal(xvd_keys_parse(keys, NR_K, "t", &dev, v, err, sizeof(err)), 0);
    assert_string_equal(v[K_PATH].text, "/x");
    assert_true(v[K_RO].on);
    assert_int_equal(v[K_SIZE].n, 64);
    assert_int_equal(v[K_DEPTH].n, 3);
    assert_int_equal(v[K_CACHE].n, 1);
    assert_string_equal(xvd_key_choice(&keys[K_CACHE], 2), "through");
    assert_int_equal(xvd_config_parse_device(&dev, "type=t,path=/y,readonly=no,queue-size=0x400,"
                                             "depth=9,cache=through", &xvd_device_types,
                                             err, sizeof(err)), 0);
    assert_int_equal(xvd_keys_parse(keys, NR_K, "t", &dev, v, err, sizeof(err)), 0);
    assert_false(v[K_RO].on);
    assert_int_equal(v[K_SIZE].n, 1024);
    assert_int_equal(v[K_DEPTH].n, 9);
    assert_int_equal(v[K_CACHE].n, 2);
}

/* The shipped example loads as it is, and with every commented-out
 * section and key enabled. */
static void test_example_file(void **state)
{
    const char *path = getenv("XVD_EXAMPLE_CONF");
    static char text[16384];
    char line[512], err[512];
    size_t used = 0;
    FILE *f;

    (void)state;
    if (!path)
        skip();
    assert_int_equal(xvd_config_load(&cfg, path, collect_warning, err, sizeof(err)), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        const char *out = line;
        size_t key = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz-");

        /* ";[device x]" and ";key = value" are settings; other ; lines prose. */
        if (line[0] == ';' && (line[1] == '[' || (key && strncmp(line + 1 + key, " = ", 3) == 0)))
            out = line + 1;
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s", out);
        assert_true(used < sizeof(text));
    }
    fclose(f);
    assert_int_equal(load(text, err, sizeof(err)), 0);
    assert_string_equal(warnings, "");
    assert_int_equal(cfg.nr_devices, 7);
    assert_string_equal(cfg.devices[3].type, "rng");
    assert_string_equal(cfg.devices[4].type, "scmi");
    assert_true(cfg.devices[5].is_static);
    assert_true(cfg.devices[6].is_static);
    assert_string_equal(cfg.devices[6].domain_name, "guest3");
    assert_int_equal(cfg.nr_sections, 8);   /* [scmi] and 7 resources */
    assert_string_equal(cfg.devices[1].xl_target, "/etc/xen/xenvirtiod/i2c0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_numeric_edges),
        cmocka_unit_test(test_bad_device_skipped),
        cmocka_unit_test(test_bad_sections),
        cmocka_unit_test(test_scmi_sections),
        cmocka_unit_test(test_duplicate_device),
        cmocka_unit_test(test_too_many_devices),
        cmocka_unit_test(test_file_errors_are_fatal),
        cmocka_unit_test(test_overlong_line),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_no_warn_callback),
        cmocka_unit_test(test_device_spec),
        cmocka_unit_test(test_bad_device_spec),
        cmocka_unit_test(test_option_helpers),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_example_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
