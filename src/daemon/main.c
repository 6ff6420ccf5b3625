/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xenvirtiod: serves virtio-mmio devices to Xen guests.
 *
 * main.c owns the process: command line, configuration, the guests we
 * serve (one IOREQ server each), signals and systemd notification. The
 * Xen specifics are in src/xen/, the devices in devices/.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "device_type.h"
#include "discovery.h"
#include "log.h"
#include "loop.h"
#include "sd.h"
#include "xen.h"

#define DEFAULT_CONFIG XENVIRTIOD_CONFIG
#define CLI_DEVICES_MAX 16

struct daemon {
    struct xvd_config cfg;
    const char *config_path;
    bool config_required;
    const char *cli_domain;
    struct xvd_device_conf cli_devices[CLI_DEVICES_MAX];
    unsigned nr_cli_devices;
    int cli_log_level;
    int cli_log_target;         /* -1: not given */
    bool no_xenstore;
    const char *cli_control;

    struct xvd_loop *loop;
    struct xvd_control *control;
    struct xvx_ctx xen;
    struct xvx_guest *guests;
    struct xvx_discovery *discovery;
    /* Devices placed by the config file or the command line. With xenstore
     * each follows its domain: attached while a domain of that name or id
     * lives, detached when it dies, attached again when it is re-created. */
    struct static_device {
        struct xvd_device_conf conf;
        unsigned index;         /* --device order: libxl's slots */
        struct xvx_device *xd;  /* NULL: detached */
        domid_t domid;          /* of xd, or of the last failed attach */
        bool failed;            /* attach to domid failed: not again */
    } statics[XVD_DEVICES_MAX + CLI_DEVICES_MAX];
    unsigned nr_statics;
    int signal_fd;
    int watchdog_fd;
    int exit_code;
};

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: xenvirtiod [OPTIONS]\n"
        "Serve virtio-mmio devices (block, i2c, SCMI) to Xen guests.\n\n"
        "  -c, --config FILE      configuration file (default " DEFAULT_CONFIG ")\n"
        "  -f, --foreground       stay in the foreground (always true; for systemd)\n"
        "      --log-level LEVEL  error|warning|notice|info|debug\n"
        "      --log-target T     auto|journal|stderr\n"
        "  -d, --domain NAME|ID   serve only this guest (one-guest launch)\n"
        "  -D, --device SPEC      a device for --domain, repeatable, e.g.\n"
        "                         type=block,path=disk.img,base=0x2000000,irq=33\n"
        "      --no-xenstore      static devices only (dom0less systems)\n"
        "      --control PATH     admin socket for xenvirtiodctl (default\n"
        "                         " XVD_CONTROL_PATH "; none: no socket)\n"
        "      --list-keys        every device type's config keys, and exit\n"
        "  -h, --help             this help\n"
        "  -V, --version          version\n\n"
        "Without --domain, devices come from xenstore (xl domain configs) and\n"
        "from [device] sections with static placement in the config file.\n"
        "See xenvirtiod(8) and xenvirtiod.conf(5).\n");
}

static void print_key(FILE *out, const char *owner, const struct xvd_key *k)
{
    const char *def;
    char values[128];

    switch (k->kind) {
    case XVD_KEY_TEXT:
        snprintf(values, sizeof(values), "%s", k->required ? "required" : "text");
        break;
    case XVD_KEY_BOOL:
        snprintf(values, sizeof(values), "yes|no, default %s", k->def ? "yes" : "no");
        break;
    case XVD_KEY_U64:
    case XVD_KEY_POW2:
        snprintf(values, sizeof(values), "%" PRIu64 "..%" PRIu64 "%s, default %" PRIu64,
                 k->min, k->max, k->kind == XVD_KEY_POW2 ? " power of two" : "", k->def);
        break;
    case XVD_KEY_CHOICE:
        def = xvd_key_choice(k, (unsigned)k->def);
        snprintf(values, sizeof(values), "%s, default %.*s", k->choices,
                 (int)strcspn(def, "|"), def);
        break;
    }
    fprintf(out, "%s %s (%s) %s\n", owner, k->name, values, k->doc);
}

/* "TYPE KEY (VALUES) DOC", one key a line, then "[SECTION] KEY ..." for
 * the sections a type reads: the key tables, as xenvirtiod.conf(5) must
 * document them. */
static void list_keys(FILE *out)
{
    for (unsigned t = 0; t < xvd_device_types.nr; t++) {
        const struct xvd_device_type *type = xvd_device_types.types[t];

        for (unsigned i = 0; i < type->nr_keys; i++)
            print_key(out, type->name, &type->keys[i]);
        for (unsigned s = 0; s < type->nr_sections; s++) {
            char owner[XVD_NAME_MAX + 2];

            snprintf(owner, sizeof(owner), "[%s]", type->sections[s].kind);
            for (unsigned i = 0; i < type->sections[s].nr_keys; i++)
                print_key(out, owner, &type->sections[s].keys[i]);
        }
    }
}

static int parse_args(struct daemon *d, int argc, char **argv)
{
    enum { OPT_LOG_LEVEL = 256, OPT_LOG_TARGET, OPT_NO_XENSTORE, OPT_LIST_KEYS,
           OPT_CONTROL };
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'f' },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "log-target", required_argument, NULL, OPT_LOG_TARGET },
        { "domain", required_argument, NULL, 'd' },
        { "device", required_argument, NULL, 'D' },
        { "no-xenstore", no_argument, NULL, OPT_NO_XENSTORE },
        { "list-keys", no_argument, NULL, OPT_LIST_KEYS },
        { "control", required_argument, NULL, OPT_CONTROL },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    char err[512];
    int c;

    d->config_path = DEFAULT_CONFIG;
    d->cli_log_level = -1;
    d->cli_log_target = -1;
    while ((c = getopt_long(argc, argv, "c:fd:D:hV", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            d->config_path = optarg;
            d->config_required = true;
            break;
        case 'f':
            break;
        case OPT_LOG_LEVEL:
            d->cli_log_level = xvd_parse_log_level(optarg);
            if (d->cli_log_level < 0) {
                fprintf(stderr, "xenvirtiod: --log-level: bad value '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_LOG_TARGET:
            d->cli_log_target = xvd_parse_log_target(optarg);
            if (d->cli_log_target < 0) {
                fprintf(stderr, "xenvirtiod: --log-target: bad value '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
            d->cli_domain = optarg;
            break;
        case 'D':
            if (d->nr_cli_devices == CLI_DEVICES_MAX) {
                fprintf(stderr, "xenvirtiod: at most %d --device\n", CLI_DEVICES_MAX);
                return 2;
            }
            if (xvd_config_parse_device(&d->cli_devices[d->nr_cli_devices], optarg,
                                        &xvd_device_types, err, sizeof(err)) < 0) {
                fprintf(stderr, "xenvirtiod: --device %s: %s\n", optarg, err);
                return 2;
            }
            d->nr_cli_devices++;
            break;
        case OPT_NO_XENSTORE:
            d->no_xenstore = true;
            break;
        case OPT_CONTROL:
            d->cli_control = optarg;
            break;
        case OPT_LIST_KEYS:
            list_keys(stdout);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("xenvirtiod %s\n", XENVIRTIOD_VERSION);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "xenvirtiod: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (d->nr_cli_devices && !d->cli_domain) {
        fprintf(stderr, "xenvirtiod: --device needs --domain\n");
        return 2;
    }
    return 0;
}

static void warn_config(const char *msg)
{
    xvd_log(LOG_ERR, NULL, "%s", msg);
}

static int load_config(struct daemon *d, struct xvd_config *cfg)
{
    char err[512];
    int rc;

    xvd_config_defaults(cfg, &xvd_device_types);
    if (!d->config_required && access(d->config_path, F_OK) != 0)
        return 0;
    rc = xvd_config_load(cfg, d->config_path, warn_config, err, sizeof(err));
    if (rc < 0)
        xvd_log(LOG_ERR, NULL, "%s", err);
    return rc;
}

/* State device types share (the SCMI platform), from the type sections. */
static int configure_types(struct daemon *d, const struct xvd_config *cfg)
{
    char err[512];

    if (xvd_device_types_configure(cfg, d->loop, err, sizeof(err)) < 0) {
        xvd_log(LOG_ERR, NULL, "%s", err);
        return -1;
    }
    return 0;
}

/* ---- guests ---- */

static struct xvx_guest *guest_find(struct daemon *d, domid_t domid)
{
    for (struct xvx_guest *g = d->guests; g; g = g->next)
        if (g->domid == domid)
            return g;
    return NULL;
}

static struct xvx_guest *guest_get(struct daemon *d, domid_t domid)
{
    struct xvx_guest *g = guest_find(d, domid);

    if (g)
        return g;
    g = xvx_guest_create(&d->xen, d->loop, domid);
    if (!g)
        return NULL;
    g->next = d->guests;
    d->guests = g;
    return g;
}

static void guest_put(struct daemon *d, struct xvx_guest *g)
{
    if (g->devices)
        return;
    for (struct xvx_guest **p = &d->guests; *p; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            break;
        }
    }
    xvd_log(LOG_INFO, g->log_ctx, "released (%lu requests served)",
            g->requests_served);
    xvx_guest_destroy(g);
}

static void update_status(struct daemon *d)
{
    unsigned guests = 0, devices = 0;

    for (struct xvx_guest *g = d->guests; g; g = g->next) {
        guests++;
        for (struct xvx_device *xd = g->devices; xd; xd = xd->next)
            devices++;
    }
    xvd_sd_status("serving %u device(s) for %u guest(s)", devices, guests);
}

static struct xvx_device *add_device(struct daemon *d, domid_t domid,
                                     const struct xvd_device_conf *conf,
                                     uint64_t base, unsigned irq, bool grants,
                                     char *err, size_t errlen)
{
    const struct xvd_device_type *type = xvd_device_type_find(conf->type);
    struct xvd_device_conf tuned = *conf;
    struct xvx_guest *g;
    struct xvx_device *xd;

    if (!type) {
        snprintf(err, errlen, "device %s: key 'type': unknown value '%s'",
                 conf->name, conf->type);
        return NULL;
    }
    g = guest_get(d, domid);

    /* Bounded work per wakeup, so one guest cannot starve the others. */
    tuned.max_requests_per_wakeup = d->cfg.max_requests_per_wakeup;
    tuned.domid = domid;
    conf = &tuned;
    if (!g) {
        snprintf(err, errlen, "device %s: cannot serve domain %u: %s",
                 conf->name, domid, strerror(errno));
        return NULL;
    }
    xd = xvx_device_create(g, type, conf, base, irq, grants, err, errlen);
    if (!xd)
        guest_put(d, g);
    update_status(d);
    return xd;
}

static void remove_device(struct daemon *d, struct xvx_device *xd)
{
    struct xvx_guest *g = xd->guest;

    xvd_log(LOG_INFO, xd->log_ctx, "removed");
    xvx_device_destroy(xd);
    guest_put(d, g);
    update_status(d);
}

static void sync_statics(struct daemon *d);

/* ---- discovery callbacks ---- */

static bool domain_matches(const struct xvd_device_conf *conf, domid_t fe)
{
    domid_t named;

    if (conf->domid >= 0)
        return conf->domid == fe;
    if (conf->domain_name[0])
        return xvx_domain_by_name(conf->domain_name, &named) == 0 && named == fe;
    return true;
}

/* A guest with two generic entries of one type gets its sections in order:
 * the first entry the first section, and so on. */
static bool section_in_use(struct daemon *d, domid_t fe, const struct xvd_device_conf *conf)
{
    const struct xvx_guest *g = guest_find(d, fe);

    for (const struct xvx_device *xd = g ? g->devices : NULL; xd; xd = xd->next)
        if (strcmp(xd->name, conf->name) == 0)
            return true;
    return false;
}

static const struct xvd_device_conf *find_declared(void *opaque, domid_t fe,
                                                   uint32_t virtio_id,
                                                   const char *xl_target)
{
    struct daemon *d = opaque;

    for (unsigned i = 0; i < d->cfg.nr_devices; i++) {
        const struct xvd_device_conf *conf = &d->cfg.devices[i];
        const struct xvd_device_type *type = xvd_device_type_find(conf->type);

        if (conf->is_static || !type || section_in_use(d, fe, conf))
            continue;
        if (xl_target) {
            /* A section that names its guest is that guest's alone. */
            if (conf->xl_target[0] && strcmp(conf->xl_target, xl_target) == 0 &&
                domain_matches(conf, fe))
                return conf;
        } else if (type->virtio_id == virtio_id && domain_matches(conf, fe)) {
            return conf;
        }
    }
    return NULL;
}

static struct xvx_device *discovered_add(void *opaque, domid_t fe,
                                         const struct xvd_device_conf *conf,
                                         uint64_t base, unsigned irq, bool grants,
                                         char *err, size_t errlen)
{
    return add_device(opaque, fe, conf, base, irq, grants, err, errlen);
}

static void discovered_remove(void *opaque, struct xvx_device *xd)
{
    remove_device(opaque, xd);
}

static bool domain_alive(void *opaque, domid_t fe)
{
    struct daemon *d = opaque;
    xc_domaininfo_t info;
    int n;

    if (!d->xen.xc)
        return true;
    n = xc_domain_getinfolist(d->xen.xc, fe, 1, &info);
    /* A driver domain may not ask (EPERM): not knowing is not dead. */
    if (n < 0)
        return true;
    if (n != 1 || info.domain != fe)
        return false;
    return !(info.flags & XEN_DOMINF_dying);
}

static void domains_changed(void *opaque)
{
    sync_statics(opaque);
}

static const struct xvx_discovery_ops discovery_ops = {
    .find_declared = find_declared,
    .domains_changed = domains_changed,
    .add = discovered_add,
    .remove = discovered_remove,
    .domain_alive = domain_alive,
};

/* ---- static devices (config file placement, or --domain) ---- */

static int resolve_domain(const struct xvd_device_conf *conf, const char *cli_domain,
                          domid_t *domid)
{
    const char *name = cli_domain ? cli_domain : conf->domain_name;
    char *end;
    unsigned long v;

    if (!cli_domain && conf->domid >= 0) {
        *domid = (domid_t)conf->domid;
        return 0;
    }
    v = strtoul(name, &end, 10);
    if (*name && !*end && v < DOMID_FIRST_RESERVED) {
        *domid = (domid_t)v;
        return 0;
    }
    return xvx_domain_by_name(name, domid);
}

static void static_attach(struct daemon *d, struct static_device *s, domid_t domid)
{
    const struct xvd_device_conf *conf = &s->conf;
    uint64_t base = conf->base;
    unsigned irq = conf->irq;
    char err[512];
    bool grants;

    if (!conf->is_static) {
        /* --device without placement: libxl's slots, in order. */
        base = 0x2000000ull + 0x200ull * s->index;
        irq = 33 + s->index;
    }
    grants = conf->memory == XVD_MEM_GRANTS ||
             (conf->memory == XVD_MEM_AUTO && d->discovery &&
              xvx_discovery_self(d->discovery) != 0);
    s->domid = domid;
    s->xd = add_device(d, domid, conf, base, irq, grants, err, sizeof(err));
    s->failed = !s->xd;
    if (!s->xd)
        xvd_log(LOG_ERR, NULL, "skipping: %s", err);
}

/* Attach what has a live domain, detach what lost it. Called at start,
 * after a reload and whenever xenstore says domains came or went: a domain
 * is introduced before xl adds its devices and unpauses it, so a static
 * device is in place before the guest runs. */
static void sync_statics(struct daemon *d)
{
    for (unsigned i = 0; i < d->nr_statics; i++) {
        struct static_device *s = &d->statics[i];
        const char *name = d->cli_domain ? d->cli_domain : s->conf.domain_name;
        domid_t domid;
        bool found = resolve_domain(&s->conf, d->cli_domain, &domid) == 0 &&
                     domain_alive(d, domid);

        if (s->xd && (!found || domid != s->domid)) {
            xvd_log(LOG_INFO, NULL, "device %s: domain %u is gone; waiting for '%s'",
                    s->conf.name, s->domid, name);
            remove_device(d, s->xd);
            s->xd = NULL;
        }
        if (s->xd || !found || (s->failed && domid == s->domid))
            continue;
        static_attach(d, s, domid);
    }
}

static void log_waiting_statics(const struct daemon *d)
{
    for (unsigned i = 0; i < d->nr_statics; i++) {
        const struct static_device *s = &d->statics[i];

        if (!s->xd && !s->failed)
            xvd_log(d->discovery ? LOG_NOTICE : LOG_ERR, NULL,
                    "device %s: key 'domain': no domain '%s'%s", s->conf.name,
                    d->cli_domain ? d->cli_domain : s->conf.domain_name,
                    d->discovery ? "; attached when it is created" : "");
    }
}

static void add_statics(struct daemon *d)
{
    if (d->cli_domain) {
        for (unsigned i = 0; i < d->nr_cli_devices; i++) {
            if (!d->cli_devices[i].name[0])
                snprintf(d->cli_devices[i].name, sizeof(d->cli_devices[i].name),
                         "dev%u", i);
            d->statics[d->nr_statics++] = (struct static_device){
                .conf = d->cli_devices[i], .index = i };
        }
    } else {
        for (unsigned i = 0; i < d->cfg.nr_devices; i++)
            if (d->cfg.devices[i].is_static)
                d->statics[d->nr_statics++] = (struct static_device){
                    .conf = d->cfg.devices[i], .index = i };
    }
    sync_statics(d);
    log_waiting_statics(d);
}

static void remove_statics(struct daemon *d)
{
    while (d->nr_statics) {
        struct static_device *s = &d->statics[--d->nr_statics];

        if (s->xd)
            remove_device(d, s->xd);
    }
}

static bool device_conf_equal(const struct xvd_device_conf *a,
                              const struct xvd_device_conf *b)
{
    if (strcmp(a->name, b->name) || strcmp(a->type, b->type) ||
        a->is_static != b->is_static || a->domid != b->domid ||
        strcmp(a->domain_name, b->domain_name) || a->base != b->base ||
        a->irq != b->irq || a->memory != b->memory ||
        strcmp(a->xl_target, b->xl_target) ||
        a->max_requests_per_wakeup != b->max_requests_per_wakeup ||
        a->nr_opts != b->nr_opts)
        return false;
    for (unsigned i = 0; i < a->nr_opts; i++)
        if (strcmp(a->opts[i].key, b->opts[i].key) ||
            strcmp(a->opts[i].value, b->opts[i].value))
            return false;
    return true;
}

/* After a reload: a device whose section did not change stays attached
 * (its guest's driver never sees it go); the others are removed, and the
 * new ones attached. */
static int replace_statics(struct daemon *d)
{
    unsigned nr_old = d->nr_statics;
    struct static_device *old = malloc(nr_old * sizeof(*old) + 1);
    bool *kept = calloc(nr_old + 1, sizeof(*kept));

    if (!old || !kept) {
        free(old);
        free(kept);
        return -ENOMEM;
    }
    memcpy(old, d->statics, nr_old * sizeof(*old));
    d->nr_statics = 0;
    for (unsigned i = 0; i < d->cfg.nr_devices; i++) {
        const struct xvd_device_conf *conf = &d->cfg.devices[i];
        struct static_device s = { .conf = *conf, .index = i };

        if (!conf->is_static)
            continue;
        for (unsigned j = 0; j < nr_old; j++) {
            /* One that failed to attach is tried again: the admin may
             * have fixed what it lacked. */
            if (!kept[j] && old[j].xd && device_conf_equal(&old[j].conf, conf)) {
                kept[j] = true;
                s.xd = old[j].xd;
                s.domid = old[j].domid;
                break;
            }
        }
        d->statics[d->nr_statics++] = s;
    }
    for (unsigned j = 0; j < nr_old; j++)
        if (!kept[j] && old[j].xd)
            remove_device(d, old[j].xd);
    free(old);
    free(kept);
    sync_statics(d);
    log_waiting_statics(d);
    return 0;
}

static unsigned attached_statics(const struct daemon *d)
{
    unsigned n = 0;

    for (unsigned i = 0; i < d->nr_statics; i++)
        n += d->statics[i].xd != NULL;
    return n;
}

/* ---- signals, watchdog, reload ---- */

static int reload(struct daemon *d)
{
    struct xvd_config *fresh = malloc(sizeof(*fresh));

    xvd_sd_reloading();
    if (!fresh || load_config(d, fresh) < 0 || configure_types(d, fresh) < 0) {
        xvd_log(LOG_ERR, NULL, "reload failed; keeping the old configuration");
        free(fresh);
        xvd_sd_ready();
        return fresh ? -EINVAL : -ENOMEM;
    }
    d->cfg = *fresh;
    free(fresh);
    /* Static devices follow the file; discovered ones are the toolstack's
     * and stay as they are. */
    if (!d->cli_domain && replace_statics(d) < 0) {
        remove_statics(d);
        add_statics(d);
    }
    xvd_log(LOG_NOTICE, NULL, "configuration reloaded from %s", d->config_path);
    xvd_sd_ready();
    update_status(d);
    return 0;
}

static void on_signal(void *opaque, uint32_t events)
{
    struct daemon *d = opaque;
    struct signalfd_siginfo si;

    (void)events;
    while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            reload(d);
        } else {
            xvd_log(LOG_NOTICE, NULL, "signal %u: shutting down", si.ssi_signo);
            xvd_loop_stop(d->loop);
        }
    }
}

static void on_watchdog(void *opaque, uint32_t events)
{
    struct daemon *d = opaque;
    uint64_t expirations;

    (void)events;
    if (read(d->watchdog_fd, &expirations, sizeof(expirations)) > 0)
        xvd_sd_watchdog_ping();
}

static int setup_signals(struct daemon *d)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN);
    d->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (d->signal_fd < 0)
        return -errno;
    return xvd_loop_add_fd(d->loop, d->signal_fd, EPOLLIN, on_signal, d);
}

/* systemd's watchdog is the one timer we keep while idle: it is asked for. */
static int setup_watchdog(struct daemon *d)
{
    uint64_t usec = 0;
    struct itimerspec its = { 0 };

    d->watchdog_fd = -1;
    if (xvd_sd_watchdog_usec(&usec) <= 0 || usec == 0)
        return 0;
    usec /= 2;
    its.it_interval.tv_sec = (time_t)(usec / 1000000);
    its.it_interval.tv_nsec = (long)(usec % 1000000) * 1000;
    its.it_value = its.it_interval;
    d->watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (d->watchdog_fd < 0 || timerfd_settime(d->watchdog_fd, 0, &its, NULL) < 0)
        return -errno;
    return xvd_loop_add_fd(d->loop, d->watchdog_fd, EPOLLIN, on_watchdog, d);
}

/* ---- the control socket ---- */

static struct xvx_guest *control_guests(void *opaque)
{
    struct daemon *d = opaque;

    return d->guests;
}

static int control_reload(void *opaque)
{
    return reload(opaque);
}

static const struct xvd_control_ops control_ops = {
    .guests = control_guests,
    .reload = control_reload,
};

/* The command line's path, else the config's, else the default; read at
 * start only (a reload does not move it). Without it the guests are still
 * served: the socket is for the admin, not for them. */
static void setup_control(struct daemon *d)
{
    const char *path = d->cli_control ? d->cli_control :
                       d->cfg.control[0] ? d->cfg.control : XVD_CONTROL_PATH;

    if (strcmp(path, "none") == 0)
        return;
    d->control = xvd_control_open(d->loop, path, &control_ops, d);
    if (!d->control)
        xvd_log(LOG_ERR, NULL, "control socket %s: %s; running without it", path,
                errno == EADDRINUSE ? "another daemon answers there" : strerror(errno));
}

static void shutdown_all(struct daemon *d)
{
    xvd_sd_stopping();
    xvd_control_close(d->control);
    d->control = NULL;
    remove_statics(d);
    xvx_discovery_close(d->discovery);
    d->discovery = NULL;
    while (d->guests) {
        struct xvx_guest *g = d->guests;

        d->guests = g->next;
        xvx_guest_destroy(g);
    }
}

int main(int argc, char **argv)
{
    static struct daemon daemon;
    struct daemon *d = &daemon;
    int rc;

    d->signal_fd = d->watchdog_fd = -1;
    rc = parse_args(d, argc, argv);
    if (rc)
        return rc;
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_AUTO);
    if (load_config(d, &d->cfg) < 0)
        return 1;
    if (d->cli_log_level >= 0)
        d->cfg.log_level = d->cli_log_level;
    if (d->cli_log_target >= 0)
        d->cfg.log_target = (enum xvd_log_target)d->cli_log_target;
    xvd_log_init(d->cfg.log_level, d->cfg.log_target);

    d->loop = xvd_loop_new();
    if (!d->loop || setup_signals(d) < 0 || setup_watchdog(d) < 0) {
        xvd_log(LOG_ERR, NULL, "cannot set up the event loop: %s", strerror(errno));
        return 1;
    }
    rc = xvx_ctx_open(&d->xen);
    if (rc < 0) {
        xvd_log(LOG_ERR, NULL, "cannot open the Xen interfaces (/dev/xen/*): %s",
                strerror(-rc));
        return 1;
    }
    if (!d->cli_domain && !d->no_xenstore && d->cfg.xenstore) {
        d->discovery = xvx_discovery_open(d->loop, &discovery_ops, d);
        if (!d->discovery) {
            xvd_log(LOG_ERR, NULL, "cannot watch xenstore: %s", strerror(errno));
            return 1;
        }
    }
    if (configure_types(d, &d->cfg) < 0)
        return 1;
    add_statics(d);
    if (d->cli_domain && attached_statics(d) == 0) {
        xvd_log(LOG_ERR, NULL, "no device could be set up for domain %s",
                d->cli_domain);
        return 1;
    }
    setup_control(d);
    xvd_sd_ready();
    update_status(d);
    xvd_log(LOG_NOTICE, NULL, "xenvirtiod %s ready", XENVIRTIOD_VERSION);

    rc = xvd_loop_run(d->loop);
    shutdown_all(d);
    xvd_device_types_unconfigure();
    xvx_ctx_close(&d->xen);
    xvd_loop_free(d->loop);
    close(d->signal_fd);
    if (d->watchdog_fd >= 0)
        close(d->watchdog_fd);
    xvd_log(LOG_NOTICE, NULL, "stopped");
    return rc < 0 ? 1 : d->exit_code;
}
