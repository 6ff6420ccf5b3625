/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xenvirtiod-scmi: talk SCMI to xenvirtiod's raw socket, or print the
 * partial device tree a guest needs for its virtio-scmi device.
 *
 *   xenvirtiod-scmi [-s SOCKET] COMMAND [ARGS] [: COMMAND [ARGS]]...
 *   xenvirtiod-scmi [-c CONFIG] dts DEVICE
 *
 * Commands chained with ':' share one connection, so one agent: its
 * votes last until the last command ran (each connection is an agent and
 * its votes drop when it disconnects).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "device_type.h"
#include "scmi.h"
#include "scmi_platform.h"
#include "xv/wire.h"

#define DEFAULT_SOCKET "/run/xenvirtiod/scmi.sock"
#define DEFAULT_CONFIG XENVIRTIOD_CONFIG

static int fd = -1;
static unsigned token;

static const char *status_name(int32_t s)
{
    static const char *const names[] = {
        "SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "NOT_FOUND",
        "OUT_OF_RANGE", "BUSY", "COMMS_ERROR", "GENERIC_ERROR", "HARDWARE_ERROR",
        "PROTOCOL_ERROR",
    };

    return s <= 0 && s >= -10 ? names[-s] : "UNKNOWN";
}

static int io_all(bool out, uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = out ? write(fd, buf, len) : read(fd, buf, len);

        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One frame out, frames in until the response to it (delayed responses
 * and notifications in between are printed). Returns the reply length. */
static int exchange(const uint8_t *msg, size_t len, uint8_t *reply, size_t cap)
{
    uint8_t frame[4 + XV_SCMI_MAX_MSG];
    uint32_t want = xv_load_le32(msg);

    xv_store_le32(frame, (uint32_t)len);
    memcpy(frame + 4, msg, len);
    if (io_all(true, frame, 4 + len) < 0)
        return -1;
    for (;;) {
        uint8_t hdr[4];
        uint32_t n;

        if (io_all(false, hdr, 4) < 0)
            return -1;
        n = xv_load_le32(hdr);
        if (n < 4 || n > cap || io_all(false, reply, n) < 0)
            return -1;
        if (SCMI_HDR_TYPE(xv_load_le32(reply)) == SCMI_MSG_TYPE_COMMAND &&
            SCMI_HDR_TOKEN(xv_load_le32(reply)) == SCMI_HDR_TOKEN(want))
            return (int)n;
        printf("p2a: header %#x, %u bytes\n", xv_load_le32(reply), n);
    }
}

/* A command of u32 parameters; prints errors. Returns values after status
 * (count in *nvals) or NULL. */
static const uint8_t *command(uint8_t proto, uint8_t id, const uint32_t *params,
                              unsigned n, unsigned *nbytes)
{
    static uint8_t reply[XV_SCMI_MAX_MSG];
    uint8_t msg[4 + 4 * 8];
    int32_t status;
    int len;

    xv_store_le32(msg, SCMI_HDR(id, 0, proto, token++ & 0x3ff));
    for (unsigned i = 0; i < n; i++)
        xv_store_le32(msg + 4 + 4 * i, params[i]);
    len = exchange(msg, 4 + 4 * n, reply, sizeof(reply));
    if (len < 8) {
        fprintf(stderr, "xenvirtiod-scmi: no reply (connection lost)\n");
        exit(1);
    }
    status = (int32_t)xv_load_le32(reply + 4);
    if (status != SCMI_SUCCESS) {
        printf("protocol %#x message %#x: %s\n", proto, id, status_name(status));
        return NULL;
    }
    *nbytes = (unsigned)len - 8;
    return reply + 8;
}

static void name16(const uint8_t *p, char out[17])
{
    memcpy(out, p, 16);
    out[16] = '\0';
}

static int cmd_base_info(void)
{
    const uint8_t *v;
    unsigned n, nproto = 0, nagents = 0;
    char name[17];

    if ((v = command(SCMI_PROTOCOL_BASE, 0x0, NULL, 0, &n)))
        printf("version %u.%u\n", xv_load_le32(v) >> 16, xv_load_le32(v) & 0xffff);
    if ((v = command(SCMI_PROTOCOL_BASE, 0x1, NULL, 0, &n))) {
        nproto = xv_load_le32(v) & 0xff;
        nagents = (xv_load_le32(v) >> 8) & 0xff;
    }
    if ((v = command(SCMI_PROTOCOL_BASE, 0x3, NULL, 0, &n))) {
        name16(v, name);
        printf("vendor %s\n", name);
    }
    if ((v = command(SCMI_PROTOCOL_BASE, 0x4, NULL, 0, &n))) {
        name16(v, name);
        printf("sub-vendor %s\n", name);
    }
    if ((v = command(SCMI_PROTOCOL_BASE, 0x5, NULL, 0, &n)))
        printf("implementation %#x\n", xv_load_le32(v));
    printf("protocols %u, agents %u\n", nproto, nagents);
    for (uint32_t skip = 0; skip < nproto;) {
        uint32_t count;

        if (!(v = command(SCMI_PROTOCOL_BASE, 0x6, &skip, 1, &n)) || !(count = xv_load_le32(v)))
            break;
        for (unsigned i = 0; i < count; i++)
            printf("protocol %#x\n", v[4 + i]);
        skip += count;
    }
    for (uint32_t a = 0; a <= nagents + 1; a++) {
        if ((v = command(SCMI_PROTOCOL_BASE, 0x7, &a, 1, &n))) {
            name16(v + 4, name);
            printf("agent %u %s\n", xv_load_le32(v), name);
        }
    }
    return 0;
}

static unsigned count_of(uint8_t proto)
{
    unsigned n;
    const uint8_t *v = command(proto, 0x1, NULL, 0, &n);

    return v ? xv_load_le32(v) & 0xffff : 0;
}

static int cmd_clock_list(void)
{
    unsigned n = count_of(SCMI_PROTOCOL_CLOCK), len;

    for (uint32_t id = 0; id < n; id++) {
        const uint8_t *v = command(SCMI_PROTOCOL_CLOCK, 0x3, &id, 1, &len);
        char name[65];
        uint64_t rate = 0;

        if (!v)
            continue;
        name16(v + 4, name);
        if (xv_load_le32(v) & (1u << 29)) {
            const uint8_t *ext = command(SCMI_PROTOCOL_CLOCK, 0x8, &id, 1, &len);

            if (ext) {
                memcpy(name, ext + 4, 64);
                name[64] = '\0';
            }
        }
        v = command(SCMI_PROTOCOL_CLOCK, 0x6, &id, 1, &len);
        if (v)
            rate = xv_load_le32(v) | (uint64_t)xv_load_le32(v + 4) << 32;
        printf("clock %u %s rate %" PRIu64 "\n", id, name, rate);
    }
    return 0;
}

static int cmd_sensor_list(void)
{
    unsigned n = count_of(SCMI_PROTOCOL_SENSOR), len;

    for (uint32_t index = 0; index < n;) {
        const uint8_t *v = command(SCMI_PROTOCOL_SENSOR, 0x3, &index, 1, &len);
        unsigned got;

        if (!v || !(got = xv_load_le32(v) & 0xfff))
            break;
        for (unsigned k = 0; k < got; k++) {
            char name[17];

            name16(v + 4 + k * 28 + 12, name);
            printf("sensor %u %s unit %u\n", xv_load_le32(v + 4 + k * 28), name,
                   xv_load_le32(v + 4 + k * 28 + 8) & 0xff);
        }
        index += got;
    }
    return 0;
}

/* Simple commands: name, protocol, message, argument count, how to print. */
struct simple {
    const char *name;
    uint8_t proto, id;
    unsigned nargs;
    unsigned fixed;             /* a constant parameter appended (or not) */
    int fixed_at;               /* index to insert it, -1: none */
};

static const struct simple simples[] = {
    { "clock-enable", SCMI_PROTOCOL_CLOCK, 0x7, 1, 1, 1 },
    { "clock-disable", SCMI_PROTOCOL_CLOCK, 0x7, 1, 0, 1 },
    { "clock-rate-get", SCMI_PROTOCOL_CLOCK, 0x6, 1, 0, -1 },
    { "clock-rate-set", SCMI_PROTOCOL_CLOCK, 0x5, 2, 0, 0 },    /* flags 0 first */
    { "power-get", SCMI_PROTOCOL_POWER, 0x5, 1, 0, -1 },
    { "reset", SCMI_PROTOCOL_RESET, 0x4, 1, 1, 1 },             /* autonomous */
    { "sensor-read", SCMI_PROTOCOL_SENSOR, 0x6, 1, 0, 1 },
    { "perf-get", SCMI_PROTOCOL_PERF, 0x8, 1, 0, -1 },
    { "perf-set", SCMI_PROTOCOL_PERF, 0x7, 2, 0, -1 },
    { "voltage-get", SCMI_PROTOCOL_VOLTAGE, 0x8, 1, 0, -1 },
    { "reset-agent", SCMI_PROTOCOL_BASE, 0xB, 2, 0, -1 },
};

static int run_simple(const struct simple *s, char **args, unsigned nargs)
{
    uint32_t p[6];
    unsigned n = 0, len;
    const uint8_t *v;

    if (nargs != s->nargs) {
        fprintf(stderr, "xenvirtiod-scmi: %s takes %u argument(s)\n", s->name, s->nargs);
        return 2;
    }
    for (unsigned i = 0; i <= nargs; i++) {
        if ((int)i == s->fixed_at)
            p[n++] = s->fixed;
        if (i < nargs)
            p[n++] = (uint32_t)strtoul(args[i], NULL, 0);
    }
    if (strcmp(s->name, "clock-rate-set") == 0)
        p[n++] = 0;     /* rate_high */
    if (strcmp(s->name, "reset") == 0)
        p[n++] = 0;     /* reset_state: cold */
    v = command(s->proto, s->id, p, n, &len);
    if (!v)
        return 1;
    printf("%s: SUCCESS", s->name);
    for (unsigned i = 0; i + 4 <= len && i < 32; i += 4)
        printf(" %u", xv_load_le32(v + i));
    printf("\n");
    return 0;
}

static int run_power_set(char **args, unsigned nargs)
{
    uint32_t p[3];
    unsigned len;

    if (nargs != 2 || (strcmp(args[1], "on") && strcmp(args[1], "off"))) {
        fprintf(stderr, "xenvirtiod-scmi: power-set ID on|off\n");
        return 2;
    }
    p[0] = 0;
    p[1] = (uint32_t)strtoul(args[0], NULL, 0);
    p[2] = strcmp(args[1], "on") == 0 ? 0 : 0x40000000u;
    if (!command(SCMI_PROTOCOL_POWER, 0x4, p, 3, &len))
        return 1;
    printf("power-set: SUCCESS\n");
    return 0;
}

static int run_raw(char **args, unsigned nargs)
{
    uint8_t msg[XV_SCMI_MAX_MSG], reply[XV_SCMI_MAX_MSG];
    int len;

    if (nargs < 4 || nargs > sizeof(msg)) {
        fprintf(stderr, "xenvirtiod-scmi: raw takes 4..136 hex bytes\n");
        return 2;
    }
    for (unsigned i = 0; i < nargs; i++)
        msg[i] = (uint8_t)strtoul(args[i], NULL, 16);
    len = exchange(msg, nargs, reply, sizeof(reply));
    if (len < 0)
        return 1;
    printf("reply:");
    for (int i = 0; i < len; i++)
        printf(" %02x", reply[i]);
    printf("\n");
    if (len >= 8)
        printf("status %s\n", status_name((int32_t)xv_load_le32(reply + 4)));
    return 0;
}

static int run(char *name, char **args, unsigned nargs)
{
    if (strcmp(name, "base-info") == 0)
        return cmd_base_info();
    if (strcmp(name, "clock-list") == 0)
        return cmd_clock_list();
    if (strcmp(name, "sensor-list") == 0)
        return cmd_sensor_list();
    if (strcmp(name, "power-set") == 0)
        return run_power_set(args, nargs);
    if (strcmp(name, "raw") == 0)
        return run_raw(args, nargs);
    for (size_t i = 0; i < sizeof(simples) / sizeof(simples[0]); i++) {
        if (strcmp(simples[i].name, name) == 0)
            return run_simple(&simples[i], args, nargs);
    }
    fprintf(stderr, "xenvirtiod-scmi: unknown command '%s' (see xenvirtiod-scmi(1))\n",
            name);
    return 2;
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "xenvirtiod-scmi: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- dts ---- */

static void dts_protocol(const char *key, const struct xvd_device_conf *dev,
                         unsigned reg, const char *cells)
{
    const char *v = xvd_device_opt(dev, key);

    if (!v)
        return;
    printf("\t\t\t/* %s: %s (ids 0, 1, ... in this order) */\n", key, v);
    printf("\t\t\tscmi_%x: protocol@%x {\n\t\t\t\treg = <0x%x>;\n", reg, reg, reg);
    if (cells)
        printf("\t\t\t\t%s = <1>;\n", cells);
    if (reg == SCMI_PROTOCOL_VOLTAGE) {
        char buf[XVD_VALUE_MAX], *save = NULL;
        unsigned id = 0;

        snprintf(buf, sizeof(buf), "%s", v);
        printf("\t\t\t\tregulators {\n\t\t\t\t\t#address-cells = <1>;\n"
               "\t\t\t\t\t#size-cells = <0>;\n");
        /* Unit addresses are hex in DT (dtc warns otherwise); reg is a
         * number either way. */
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), id++)
            printf("\t\t\t\t\tregulator@%x {\n\t\t\t\t\t\treg = <%u>;\n"
                   "\t\t\t\t\t\tregulator-name = \"%s\";\n\t\t\t\t\t};\n", id, id, t);
        printf("\t\t\t\t};\n");
    }
    printf("\t\t\t};\n");
}

static int cmd_dts(const char *config, const char *device)
{
    static struct xvd_config cfg;
    static struct xvd_scmi_platform platform;
    const struct xvd_device_conf *dev = NULL;
    char err[512];

    xvd_config_defaults(&cfg, &xvd_device_types);
    if (xvd_config_load(&cfg, config, NULL, err, sizeof(err)) < 0 ||
        xvd_scmi_platform_load(&platform, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "xenvirtiod-scmi: %s\n", err);
        return 1;
    }
    for (unsigned i = 0; i < cfg.nr_devices; i++) {
        if (strcmp(cfg.devices[i].name, device) == 0)
            dev = &cfg.devices[i];
    }
    if (!dev || strcmp(dev->type, "scmi") != 0) {
        fprintf(stderr, "xenvirtiod-scmi: %s: no [device %s] of type scmi\n", config,
                device);
        return 1;
    }
    printf("/*\n * Partial device tree for the guest of [device %s] (%s).\n"
           " * dtc -I dts -O dtb -o scmi.dtb this.dts; xl cfg: device_tree = \"scmi.dtb\"\n"
           " */\n/dts-v1/;\n\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\n"
           "\tpassthrough {\n\t\tcompatible = \"simple-bus\";\n\t\tranges;\n"
           "\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\n"
           "\t\tscmi {\n\t\t\tcompatible = \"arm,scmi-virtio\";\n"
           "\t\t\t#address-cells = <1>;\n\t\t\t#size-cells = <0>;\n\n", device, config);
    dts_protocol("power-domains", dev, SCMI_PROTOCOL_POWER, "#power-domain-cells");
    dts_protocol("perf-domains", dev, SCMI_PROTOCOL_PERF, "#clock-cells");
    dts_protocol("clocks", dev, SCMI_PROTOCOL_CLOCK, "#clock-cells");
    dts_protocol("sensors", dev, SCMI_PROTOCOL_SENSOR, "#thermal-sensor-cells");
    dts_protocol("resets", dev, SCMI_PROTOCOL_RESET, "#reset-cells");
    dts_protocol("voltages", dev, SCMI_PROTOCOL_VOLTAGE, NULL);
    printf("\t\t};\n\t};\n};\n");
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: xenvirtiod-scmi [-s SOCKET] COMMAND [ARGS] [: COMMAND [ARGS]]...\n"
        "       xenvirtiod-scmi [-c CONFIG] dts DEVICE\n"
        "Commands: base-info, clock-list, sensor-list, clock-enable ID, clock-disable ID,\n"
        "  clock-rate-get ID, clock-rate-set ID HZ, power-get ID, power-set ID on|off,\n"
        "  reset ID, sensor-read ID, perf-get ID, perf-set ID LEVEL, voltage-get ID,\n"
        "  reset-agent AGENT FLAGS, raw HEX-BYTES...\n"
        "  -s SOCKET  xenvirtiod's raw SCMI socket (default " DEFAULT_SOCKET ")\n"
        "  -c CONFIG  for dts (default " DEFAULT_CONFIG ")\n"
        "See xenvirtiod-scmi(1).\n");
}

int main(int argc, char **argv)
{
    const char *sock = DEFAULT_SOCKET, *config = DEFAULT_CONFIG;
    int c, rc = 0;

    while ((c = getopt(argc, argv, "+s:c:h")) != -1) {
        switch (c) {
        case 's': sock = optarg; break;
        case 'c': config = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[optind], "dts") == 0) {
        if (optind + 2 != argc) {
            usage(stderr);
            return 2;
        }
        return cmd_dts(config, argv[optind + 1]);
    }
    if (connect_to(sock) < 0)
        return 1;
    while (optind < argc && rc == 0) {
        int start = optind + 1, end = start;

        while (end < argc && strcmp(argv[end], ":") != 0)
            end++;
        rc = run(argv[optind], argv + start, (unsigned)(end - start));
        optind = end + 1;
    }
    close(fd);
    return rc;
}
