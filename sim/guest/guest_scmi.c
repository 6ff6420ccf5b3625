/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: virtio-scmi commands. scmi-boot performs the SCMI
 * conversation Linux 6.1 has at boot (drivers/firmware/arm_scmi: base.c
 * scmi_base_protocol_init, then each protocol's init for the protocols
 * in its device tree) and fails where Linux would; scmi-shell keeps the
 * device (and so the agent's votes) across commands read from stdin.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_prog.h"

#define P_BASE 0x10u
#define P_POWER 0x11u
#define P_PERF 0x13u
#define P_CLOCK 0x14u
#define P_SENSOR 0x15u
#define P_RESET 0x16u
#define P_VOLTAGE 0x17u

struct session {
    struct guest_ctx *ctx;
    struct guest_dev *dev;
    struct vdrv_scmi *scmi;
    uint8_t protocols[16];      /* in the list and in our "device tree" */
    unsigned nr_protocols;
    const char *dt;             /* --protocols: the device tree's children */
};

static const char *status_name(int32_t status)
{
    static const char *const names[] = {
        "SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "NOT_FOUND",
        "OUT_OF_RANGE", "BUSY", "COMMS_ERROR", "GENERIC_ERROR", "HARDWARE_ERROR",
        "PROTOCOL_ERROR",
    };

    return status <= 0 && status >= -10 ? names[-status] : "UNKNOWN";
}

static uint32_t word(const struct vdrv_scmi_reply *r, unsigned i)
{
    uint32_t v = 0;

    if (i * 4 + 4 <= r->len)
        memcpy(&v, r->payload + i * 4, 4);
    return le32toh(v);
}

/* One command with u32 parameters; returns the SCMI status, or a
 * transport error (negative errno below -10, reported as such). */
static int call(struct session *s, uint8_t proto, uint8_t msg, const uint32_t *params,
                unsigned n, uint32_t rx_len, struct vdrv_scmi_reply *r)
{
    uint32_t tx[8] = { 0 };
    int err;

    for (unsigned i = 0; i < n; i++)
        tx[i] = htole32(params[i]);
    err = vdrv_scmi_xfer(s->scmi, proto, msg, tx, n * 4, rx_len, r);
    if (err) {
        guest_fail(s->ctx, s->dev->node, "transport: protocol %#x msg %#x: %s",
                   proto, msg, strerror(-err));
        return -1000;
    }
    return r->status;
}

static void name_of(const struct vdrv_scmi_reply *r, unsigned off, char out[17])
{
    memset(out, 0, 17);
    if (off < r->len)
        memcpy(out, r->payload + off, r->len - off < 16 ? r->len - off : 16);
}

static bool in_dt(const struct session *s, unsigned proto)
{
    char want[8];

    if (!s->dt)
        return true;
    snprintf(want, sizeof(want), "%#x", proto);
    return strstr(s->dt, want) != NULL;
}

/* BASE: scmi_base_protocol_init. */
static int boot_base(struct session *s)
{
    struct vdrv_scmi_reply r;
    char vendor[17], sub[17];
    unsigned nproto, nagents, got = 0;
    uint32_t version, impl;

    if (call(s, P_BASE, 0x0, NULL, 0, 4, &r) != 0)
        return guest_fail(s->ctx, s->dev->node, "unable to communicate with SCMI"), -1;
    version = word(&r, 0);
    if (call(s, P_BASE, 0x1, NULL, 0, 4, &r) != 0)
        return guest_fail(s->ctx, s->dev->node, "base attributes failed"), -1;
    nproto = word(&r, 0) & 0xff;
    nagents = (word(&r, 0) >> 8) & 0xff;
    vendor[0] = sub[0] = '\0';
    if (call(s, P_BASE, 0x3, NULL, 0, 16, &r) == 0)
        name_of(&r, 0, vendor);
    if (call(s, P_BASE, 0x4, NULL, 0, 16, &r) == 0)
        name_of(&r, 0, sub);
    impl = call(s, P_BASE, 0x5, NULL, 0, 4, &r) == 0 ? word(&r, 0) : 0;
    while (got < nproto) {
        uint32_t skip = got, n;

        if (call(s, P_BASE, 0x6, &skip, 1, 0, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "list protocols failed"), -1;
        n = word(&r, 0);
        if (n == 0)
            break;
        if (got + n > nproto)
            return guest_fail(s->ctx, s->dev->node, "No. Returned protocols > Total "
                              "protocols"), -1;
        if (r.len != 4 + ((n + 3) & ~3u))
            return guest_fail(s->ctx, s->dev->node, "Malformed reply: %u bytes for %u "
                              "protocols", r.len, n), -1;
        for (unsigned i = 0; i < n; i++) {
            uint8_t id = r.payload[4 + i];

            if (in_dt(s, id) && s->nr_protocols < sizeof(s->protocols))
                s->protocols[s->nr_protocols++] = id;
        }
        got += n;
    }
    printf("scmi: base %u.%u vendor '%s' sub-vendor '%s' implementation %#x, "
           "%u protocols, %u agents\n", version >> 16, version & 0xffff, vendor, sub,
           impl, nproto, nagents);
    for (uint32_t a = 0; a < nagents; a++) {
        char name[17];

        if (call(s, P_BASE, 0x7, &a, 1, 20, &r) == 0) {
            name_of(&r, 4, name);
            printf("scmi: agent %u: %s\n", word(&r, 0), name);
        }
    }
    {
        uint32_t self = 0xffffffffu;
        char name[17];

        if (call(s, P_BASE, 0x7, &self, 1, 20, &r) == 0) {
            name_of(&r, 4, name);
            printf("scmi: this agent: %u %s\n", word(&r, 0), name);
        }
    }
    return 0;
}

/* Version and number of resources, as every protocol's init reads them. */
static int proto_head(struct session *s, uint8_t proto, uint32_t attr_rx,
                      uint32_t *version, unsigned *count)
{
    struct vdrv_scmi_reply r;

    if (call(s, proto, 0x0, NULL, 0, 4, &r) != 0)
        return -1;
    *version = word(&r, 0);
    if (call(s, proto, 0x1, NULL, 0, attr_rx, &r) != 0)
        return -1;
    *count = word(&r, 0) & 0xffff;
    return 0;
}

static int boot_clock(struct session *s)
{
    struct vdrv_scmi_reply r;
    uint32_t version;
    unsigned n;

    if (proto_head(s, P_CLOCK, 4, &version, &n))
        return guest_fail(s->ctx, s->dev->node, "clock protocol init failed"), -1;
    printf("scmi: clock protocol %u.%u, %u clocks\n", version >> 16, version & 0xffff, n);
    for (uint32_t id = 0; id < n; id++) {
        char name[65] = "", rates[400] = "";
        uint32_t attr, index = 0, total = 0;
        bool range = false;

        if (call(s, P_CLOCK, 0x3, &id, 1, version >= 0x20000 ? 24 : 20, &r) != 0) {
            printf("scmi: clock %u: skipped (attributes failed)\n", id);
            continue;
        }
        attr = word(&r, 0);
        name_of(&r, 4, name);
        if (attr & (1u << 29) && call(s, P_CLOCK, 0x8, &id, 1, 68, &r) == 0)
            memcpy(name, r.payload + 4, r.len > 4 ? (r.len - 4 < 64 ? r.len - 4 : 64) : 0);
        for (;;) {
            uint32_t p[2] = { id, index }, flags, got, rem;

            if (call(s, P_CLOCK, 0x4, p, 2, 0, &r) != 0)
                return guest_fail(s->ctx, s->dev->node, "clock %u: describe rates "
                                  "failed", id), -1;
            flags = word(&r, 0);
            got = flags & 0xfff;
            rem = flags >> 16;
            range = flags & (1u << 12);
            if (range && (got != 3 || rem != 0))
                return guest_fail(s->ctx, s->dev->node, "Out-of-spec "
                                  "CLOCK_DESCRIBE_RATES reply for %s", name), -1;
            if (!range && total + got > 16)
                return guest_fail(s->ctx, s->dev->node, "No. of resources can't "
                                  "exceed 16"), -1;
            if (r.len < 4 + got * 8)
                return guest_fail(s->ctx, s->dev->node, "clock %u: short rates", id), -1;
            for (unsigned k = 0; k < got; k++) {
                size_t used = strlen(rates);

                snprintf(rates + used, sizeof(rates) - used, "%s%u", used ? "," : "",
                         word(&r, 1 + k * 2));
            }
            total += got;
            index += got;
            if (got == 0 || rem == 0 || range)
                break;
        }
        printf("scmi: clock %u: '%s' %s %s [%s]\n", id, name,
               attr & 1u ? "enabled" : "disabled", range ? "range" : "rates", rates);
    }
    return 0;
}

static int boot_power(struct session *s)
{
    struct vdrv_scmi_reply r;
    uint32_t version;
    unsigned n;

    if (proto_head(s, P_POWER, 16, &version, &n))
        return guest_fail(s->ctx, s->dev->node, "power protocol init failed"), -1;
    printf("scmi: power protocol %u.%u, %u domains\n", version >> 16, version & 0xffff, n);
    for (uint32_t id = 0; id < n; id++) {
        char name[17];

        if (call(s, P_POWER, 0x3, &id, 1, 20, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "power %u: attributes", id), -1;
        name_of(&r, 4, name);
        if (call(s, P_POWER, 0x5, &id, 1, 4, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "power %u: state get", id), -1;
        printf("scmi: power %u: '%s' %s\n", id, name, word(&r, 0) ? "off" : "on");
    }
    return 0;
}

static int boot_perf(struct session *s)
{
    struct vdrv_scmi_reply r;
    uint32_t version;
    unsigned n;

    if (proto_head(s, P_PERF, 16, &version, &n))
        return guest_fail(s->ctx, s->dev->node, "perf protocol init failed"), -1;
    printf("scmi: perf protocol %u.%u, %u domains\n", version >> 16, version & 0xffff, n);
    for (uint32_t id = 0; id < n; id++) {
        char name[17], levels[300] = "";
        uint32_t index = 0, total = 0;

        if (call(s, P_PERF, 0x3, &id, 1, 32, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "perf %u: attributes", id), -1;
        name_of(&r, 16, name);
        for (;;) {
            uint32_t p[2] = { id, index }, got, rem;

            if (call(s, P_PERF, 0x4, p, 2, 0, &r) != 0)
                return guest_fail(s->ctx, s->dev->node, "perf %u: levels", id), -1;
            got = word(&r, 0) & 0xfff;
            rem = word(&r, 0) >> 16;
            if (total + got > 16)
                return guest_fail(s->ctx, s->dev->node, "No. of resources can't "
                                  "exceed 16"), -1;
            for (unsigned k = 0; k < got; k++) {
                size_t used = strlen(levels);

                snprintf(levels + used, sizeof(levels) - used, "%s%u", used ? "," : "",
                         word(&r, 1 + k * 3));
            }
            total += got;
            index += got;
            if (got == 0 || rem == 0)
                break;
        }
        printf("scmi: perf %u: '%s' levels [%s]\n", id, name, levels);
    }
    return 0;
}

static int boot_sensor(struct session *s)
{
    struct vdrv_scmi_reply r;
    uint32_t version, index = 0;
    unsigned n;

    if (proto_head(s, P_SENSOR, 16, &version, &n))
        return guest_fail(s->ctx, s->dev->node, "sensor protocol init failed"), -1;
    printf("scmi: sensor protocol %u.%u, %u sensors\n", version >> 16, version & 0xffff, n);
    while (index < n) {
        uint32_t got, rem;

        if (call(s, P_SENSOR, 0x3, &index, 1, 0, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "sensor descriptions"), -1;
        got = word(&r, 0) & 0xffff;
        rem = word(&r, 0) >> 16;
        if (got == 0 || index + got > n || r.len < 4 + got * 28)
            return guest_fail(s->ctx, s->dev->node, "No. of resources can't exceed "
                              "%u", n), -1;
        for (unsigned k = 0; k < got; k++) {
            const uint8_t *d = r.payload + 4 + k * 28;
            uint32_t id, high, rd[2];
            struct vdrv_scmi_reply v;
            char name[17] = "";
            long long value = 0;

            memcpy(&id, d, 4);
            memcpy(&high, d + 8, 4);
            id = le32toh(id);
            high = le32toh(high);
            memcpy(name, d + 12, 16);
            if (id != index + k)
                return guest_fail(s->ctx, s->dev->node, "sensor id %u out of order", id), -1;
            rd[0] = id;
            rd[1] = 0;
            if (call(s, P_SENSOR, 0x6, rd, 2, 0, &v) == 0 && v.len >= 8)
                value = (long long)((uint64_t)word(&v, 0) | (uint64_t)word(&v, 1) << 32);
            printf("scmi: sensor %u: '%s' unit %u exponent %d value %lld\n", id, name,
                   high & 0xff, ((int)((high >> 11) & 0x1f) ^ 0x10) - 0x10, value);
        }
        index += got;
        if (rem == 0)
            break;
    }
    return 0;
}

static int boot_reset(struct session *s)
{
    struct vdrv_scmi_reply r;
    uint32_t version;
    unsigned n;

    if (proto_head(s, P_RESET, 4, &version, &n))
        return guest_fail(s->ctx, s->dev->node, "reset protocol init failed"), -1;
    printf("scmi: reset protocol %u.%u, %u domains\n", version >> 16, version & 0xffff, n);
    for (uint32_t id = 0; id < n; id++) {
        char name[17];

        if (call(s, P_RESET, 0x3, &id, 1, 24, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "reset %u: attributes", id), -1;
        name_of(&r, 8, name);
        printf("scmi: reset %u: '%s' latency %u\n", id, name, word(&r, 1));
    }
    return 0;
}

static int boot_voltage(struct session *s)
{
    struct vdrv_scmi_reply r;
    uint32_t version;
    unsigned n;

    if (proto_head(s, P_VOLTAGE, 4, &version, &n))
        return guest_fail(s->ctx, s->dev->node, "voltage protocol init failed"), -1;
    printf("scmi: voltage protocol %u.%u, %u domains\n", version >> 16, version & 0xffff, n);
    for (uint32_t id = 0; id < n; id++) {
        char name[17], levels[200] = "";
        uint32_t p[2] = { id, 0 }, flags;

        if (call(s, P_VOLTAGE, 0x3, &id, 1, 20, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "voltage %u: attributes", id), -1;
        name_of(&r, 4, name);
        if (call(s, P_VOLTAGE, 0x4, p, 2, 0, &r) != 0)
            return guest_fail(s->ctx, s->dev->node, "voltage %u: levels", id), -1;
        flags = word(&r, 0);
        for (unsigned k = 0; k < (flags & 0xfff); k++) {
            size_t used = strlen(levels);

            snprintf(levels + used, sizeof(levels) - used, "%s%d", used ? "," : "",
                     (int)word(&r, 1 + k));
        }
        printf("scmi: voltage %u: '%s' %s [%s]\n", id, name,
               flags & (1u << 12) ? "range" : "levels", levels);
    }
    return 0;
}

static int boot(struct session *s)
{
    static const struct { uint8_t id; int (*init)(struct session *); } inits[] = {
        { P_POWER, boot_power }, { P_PERF, boot_perf }, { P_CLOCK, boot_clock },
        { P_SENSOR, boot_sensor }, { P_RESET, boot_reset }, { P_VOLTAGE, boot_voltage },
    };

    s->nr_protocols = 0;
    if (boot_base(s))
        return -1;
    for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
        bool listed = false;

        for (unsigned k = 0; k < s->nr_protocols; k++)
            listed |= s->protocols[k] == inits[i].id;
        if (listed && inits[i].init(s))
            return -1;
    }
    printf("scmi: boot ok\n");
    fflush(stdout);
    return 0;
}

static int open_scmi(struct guest_ctx *ctx, struct session *s)
{
    for (unsigned i = 0; i < ctx->nr_nodes; i++) {
        struct guest_dev *dev = calloc(1, sizeof(*dev));

        if (!dev)
            return GUEST_EXIT_ENV;
        if (guest_dev_open(ctx, dev, &ctx->nodes[i], NULL) == 0 &&
            dev->type == GUEST_DEV_SCMI) {
            s->ctx = ctx;
            s->dev = dev;
            s->scmi = &dev->u.scmi;
            return GUEST_EXIT_OK;
        }
        guest_dev_close(dev);
        free(dev);
    }
    guest_error("no virtio-scmi device in the device tree");
    return GUEST_EXIT_ENV;
}

static int close_scmi(struct session *s, int rc)
{
    if (!guest_dev_close(s->dev)) {
        guest_fail(s->ctx, s->dev->node, "remove: %s", s->dev->vdev->last_error);
        rc = GUEST_EXIT_FAIL;
    }
    free(s->dev);
    return rc;
}

static const char *parse_dt(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--protocols") == 0)
            return argv[i + 1];
    }
    return NULL;
}

int guest_cmd_scmi_boot(struct guest_ctx *ctx, int argc, char **argv)
{
    struct session s = { 0 };
    int rc = open_scmi(ctx, &s);

    if (rc != GUEST_EXIT_OK)
        return rc;
    s.dt = parse_dt(argc, argv);
    return close_scmi(&s, boot(&s) ? GUEST_EXIT_FAIL : GUEST_EXIT_OK);
}

/* ---- scmi-shell: one command per line, one answer line each ---- */

struct op {
    const char *name;
    uint8_t proto, msg;
    unsigned nargs;             /* numbers after the name */
    uint32_t rx;
    /* Parameters from the numbers: default = as given. */
    void (*params)(const uint32_t *in, uint32_t *out, unsigned *n);
};

static void p_enable(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = in[0];
    out[1] = 1;
    *n = 2;
}

static void p_disable(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = in[0];
    out[1] = 0;
    *n = 2;
}

static void p_rate_set(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = 0;
    out[1] = in[0];
    out[2] = in[1];
    out[3] = 0;
    *n = 4;
}

static void p_power(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = 0;
    out[1] = in[0];
    out[2] = in[1] ? 0 : 0x40000000u;
    *n = 3;
}

static void p_reset(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = in[0];
    out[1] = in[1];     /* flags: 1 autonomous, 2 assert, 0 deassert */
    out[2] = 0;
    *n = 3;
}

static void p_sensor(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = in[0];
    out[1] = 0;
    *n = 2;
}

static void p_voltage(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = in[0];
    out[1] = in[1] ? 7u : 0u;
    *n = 2;
}

static void p_voltage_level(const uint32_t *in, uint32_t *out, unsigned *n)
{
    out[0] = in[0];
    out[1] = 0;
    out[2] = in[1];
    *n = 3;
}

static const struct op ops[] = {
    { "clock-enable", P_CLOCK, 0x7, 1, 0, p_enable },
    { "clock-disable", P_CLOCK, 0x7, 1, 0, p_disable },
    { "clock-rate-set", P_CLOCK, 0x5, 2, 0, p_rate_set },
    { "clock-rate-get", P_CLOCK, 0x6, 1, 8, NULL },
    { "clock-attributes", P_CLOCK, 0x3, 1, 24, NULL },
    { "power-set", P_POWER, 0x4, 2, 0, p_power },          /* ID 1|0 */
    { "power-get", P_POWER, 0x5, 1, 4, NULL },
    { "reset", P_RESET, 0x4, 2, 0, p_reset },              /* ID FLAGS */
    { "sensor-read", P_SENSOR, 0x6, 1, 0, p_sensor },
    { "sensor-notify", P_SENSOR, 0xB, 2, 0, NULL },        /* ID 1|0 */
    { "perf-set", P_PERF, 0x7, 2, 0, NULL },               /* ID LEVEL */
    { "perf-get", P_PERF, 0x8, 1, 4, NULL },
    { "perf-limits", P_PERF, 0x5, 3, 0, NULL },            /* ID MAX MIN */
    { "voltage-set", P_VOLTAGE, 0x5, 2, 0, p_voltage },    /* ID 1|0 */
    { "voltage-get", P_VOLTAGE, 0x6, 1, 4, NULL },
    { "voltage-level-set", P_VOLTAGE, 0x7, 2, 0, p_voltage_level },
    { "voltage-level-get", P_VOLTAGE, 0x8, 1, 4, NULL },
    { "reset-agent", P_BASE, 0xB, 2, 0, NULL },            /* AGENT FLAGS */
};

static void print_reply(const char *what, int status, const struct vdrv_scmi_reply *r)
{
    if (status == -1000) {
        printf("%s: TRANSPORT_ERROR\n", what);
        return;
    }
    printf("%s: %s", what, status_name(status));
    for (unsigned i = 0; status == 0 && i < r->len / 4 && i < 8; i++)
        printf(" %u", word(r, i));
    printf("\n");
}

static int hexbytes(const char *text, uint8_t *out, unsigned max)
{
    unsigned n = 0;

    while (*text) {
        unsigned v;
        int used;

        if (*text == ' ' || *text == '\t' || *text == '\n') {
            text++;
            continue;
        }
        if (n == max || sscanf(text, "%2x%n", &v, &used) != 1 || used != 2)
            return -1;
        out[n++] = (uint8_t)v;
        text += used;
    }
    return (int)n;
}

/* raw HEX [RX]: the bytes as they are; prints status, used length. */
static void shell_raw(struct session *s, char *args)
{
    uint8_t msg[256];
    struct vdrv_scmi_reply r;
    char *bar = strchr(args, '/');
    uint32_t rx = VDRV_SCMI_MAX_MSG_SIZE;
    int n, err;

    if (bar) {
        *bar = '\0';
        rx = (uint32_t)strtoul(bar + 1, NULL, 0);
    }
    n = hexbytes(args, msg, sizeof(msg));
    if (n < 0 || rx > VDRV_SCMI_MAX_MSG_SIZE) {
        printf("raw: USAGE\n");
        return;
    }
    err = vdrv_scmi_xfer_raw(s->scmi, msg, (uint32_t)n, rx, &r);
    if (err)
        printf("raw: TRANSPORT_ERROR %s\n", strerror(-err));
    else
        printf("raw: %s used %u hdr %#x\n", r.used >= 8 ? status_name(r.status) : "NONE",
               r.used, r.hdr);
}

/* The shell's notifications: the last one, and how many came. */
static struct {
    volatile bool arrived;
    uint64_t count, printed;
    uint32_t hdr;
    uint32_t words[8];
    unsigned nr_words;
} events;

static void on_shell_event(struct vdrv_scmi *scmi, uint32_t hdr, const void *payload,
                           uint32_t len)
{
    (void)scmi;
    events.hdr = hdr;
    events.nr_words = len / 4 < 8 ? len / 4 : 8;
    memcpy(events.words, payload, events.nr_words * 4);
    events.count++;
    events.arrived = true;
}

/* wait-event MS: the next notification (or delayed response) not printed
 * yet, as "event: protocol P message M type T w0 w1 ...", or TIMEOUT. */
static void shell_wait_event(struct session *s, char *args)
{
    int ms = args ? atoi(args) : 0;

    if (events.count == events.printed) {
        events.arrived = false;
        if (s->scmi->p2a)
            vdrv_wait_for(&s->scmi->dev, &s->scmi->dev.vqs[1], &events.arrived,
                          ms > 0 ? ms : 1000);
    }
    if (events.count == events.printed) {
        printf("event: TIMEOUT\n");
        return;
    }
    events.printed = events.count;
    printf("event: protocol %#x message %#x type %u", (events.hdr >> 10) & 0xffu,
           events.hdr & 0xffu, (events.hdr >> 8) & 3u);
    for (unsigned i = 0; i < events.nr_words; i++)
        printf(" %u", le32toh(events.words[i]));
    printf("\n");
}

static void shell_line(struct session *s, char *line)
{
    char *save = NULL, *name = strtok_r(line, " \t\n", &save);
    uint32_t in[4], params[8];
    struct vdrv_scmi_reply r;
    unsigned n = 0;

    if (!name)
        return;
    if (strcmp(name, "boot") == 0) {
        if (boot(s))
            printf("boot: FAILED\n");
        return;
    }
    if (strcmp(name, "raw") == 0) {
        shell_raw(s, save ? save : (char *)"");
        return;
    }
    if (strcmp(name, "wait-event") == 0) {
        shell_wait_event(s, strtok_r(NULL, " \t\n", &save));
        return;
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        const struct op *o = &ops[i];
        unsigned k;

        if (strcmp(name, o->name) != 0)
            continue;
        for (k = 0; k < o->nargs; k++) {
            char *t = strtok_r(NULL, " \t\n", &save);

            if (!t || !guest_parse_u64(t, &(uint64_t){ 0 })) {
                printf("%s: USAGE\n", name);
                return;
            }
            in[k] = (uint32_t)strtoul(t, NULL, 0);
        }
        if (o->params) {
            o->params(in, params, &n);
        } else {
            memcpy(params, in, o->nargs * 4);
            n = o->nargs;
        }
        print_reply(name, call(s, o->proto, o->msg, params, n, o->rx, &r), &r);
        return;
    }
    printf("%s: UNKNOWN\n", name);
}

int guest_cmd_scmi_shell(struct guest_ctx *ctx, int argc, char **argv)
{
    struct session s = { 0 };
    char line[512];
    int rc = open_scmi(ctx, &s);

    if (rc != GUEST_EXIT_OK)
        return rc;
    s.dt = parse_dt(argc, argv);
    s.scmi->on_event = on_shell_event;
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        if (strncmp(line, "quit", 4) == 0)
            break;
        shell_line(&s, line);
        fflush(stdout);
    }
    return close_scmi(&s, GUEST_EXIT_OK);
}

/* scmi-flood N: N commands posted at once, one kick (a noisy guest). */
int guest_cmd_scmi_flood(struct guest_ctx *ctx, int argc, char **argv)
{
    struct session s = { 0 };
    uint64_t n = 0;
    unsigned ok = 0;
    int rc;

    if (argc < 2 || !guest_parse_u64(argv[1], &n) || n == 0 || n > 100000) {
        guest_error("scmi-flood: N (1..100000) required");
        return GUEST_EXIT_USAGE;
    }
    rc = open_scmi(ctx, &s);
    if (rc != GUEST_EXIT_OK)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        struct vdrv_scmi_reply r;

        ok += call(&s, P_BASE, 0x0, NULL, 0, 4, &r) == 0;
    }
    printf("scmi-flood: %u of %llu commands answered SUCCESS\n", ok,
           (unsigned long long)n);
    return close_scmi(&s, ok == n ? GUEST_EXIT_OK : GUEST_EXIT_FAIL);
}
