/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's "scmi" device type: one SCMI server for the whole daemon,
 * built from the config's [scmi...] sections, and one agent per device,
 * named after its guest and seeing the resources its section lists.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "device_type.h"
#include "log.h"
#include "scmi_dev.h"
#include "scmi_platform.h"

struct scmi_dev {
    struct xvd_dev base;        /* first: the daemon's handle */
    struct xv_scmi_dev sd;
    struct xv_scmi_agent agent;
};

/* The platform and its server, shared by every agent. */
static struct {
    struct xvd_scmi_platform *platform;
    struct xv_scmi_server server;
    struct xvd_section_conf *sections;  /* what it was built from */
    unsigned nr_sections;
    struct xvd_scmi_socket *socket;
    unsigned nr_devices;
    struct xvd_ratelimit rl;
    /* hwmon values change under us: a timer reads them at their update
     * interval, and a change becomes SENSOR_UPDATE for the agents that
     * asked for continuous updates. */
    struct xvd_loop *loop;
    int sensor_timer;           /* timerfd, or -1 */
    int64_t sensor_seen[XV_SCMI_MAX_RESOURCES];
    bool sensor_seen_ok[XV_SCMI_MAX_RESOURCES];
} scmi = { .sensor_timer = -1 };

/* The keys that list the resources a guest sees come first, one per kind. */
enum scmi_key { KEY_NOTIFICATIONS = XV_SCMI_KIND_COUNT, KEY_QUEUE_SIZE, NR_KEYS };

#define VIEW_KEY(kind_, name_, what) \
    [kind_] = { name_, XVD_KEY_TEXT, .doc = "the " what " the guest sees, by " \
                "section name, comma-separated: its ids 0, 1, ... in that order" }

static const struct xvd_key scmi_keys[NR_KEYS] = {
    VIEW_KEY(XV_SCMI_CLOCK, "clocks", "clocks"),
    VIEW_KEY(XV_SCMI_RESET, "resets", "reset domains"),
    VIEW_KEY(XV_SCMI_POWER, "power-domains", "power domains"),
    VIEW_KEY(XV_SCMI_PERF, "perf-domains", "performance domains"),
    VIEW_KEY(XV_SCMI_VOLTAGE, "voltages", "voltage domains"),
    VIEW_KEY(XV_SCMI_SENSOR, "sensors", "sensors"),
    [KEY_NOTIFICATIONS] = { "notifications", XVD_KEY_BOOL, .def = true,
        .doc = "offer VIRTIO_SCMI_F_P2A_CHANNELS: notifications and delayed responses" },
    [KEY_QUEUE_SIZE] = { "queue-size", XVD_KEY_POW2, .def = XV_SCMI_DEV_DEFAULT_QUEUE_SIZE,
        .min = 2, .max = XV_VQ_MAX_SIZE, .doc = "QueueNumMax of every queue" },
};

/* Guest mistakes worth an admin's eye; the rest (NOT_FOUND for a probed
 * command, say) is normal discovery and logged at debug. */
static void on_event(void *opaque, const struct xv_scmi_agent *agent,
                     uint32_t hdr, int32_t status)
{
    int level = status == SCMI_PROTOCOL_ERROR || status == SCMI_INVALID_PARAMETERS ||
                status == SCMI_DENIED ? LOG_WARNING : LOG_DEBUG;

    (void)opaque;
    xvd_log_ratelimited(&scmi.rl, level, agent->name,
                        "scmi: protocol %#x message %#x: status %d",
                        (unsigned)SCMI_HDR_PROTOCOL(hdr), (unsigned)SCMI_HDR_ID(hdr),
                        status);
}

static bool same_sections(const struct xvd_config *cfg)
{
    return scmi.sections && scmi.nr_sections == cfg->nr_sections &&
           memcmp(scmi.sections, cfg->sections,
                  cfg->nr_sections * sizeof(cfg->sections[0])) == 0;
}

static int adopt(struct xvd_scmi_platform *p, const struct xvd_config *cfg,
                 char *err, size_t errlen)
{
    struct xvd_section_conf *copy = NULL;
    int ret;

    if (cfg->nr_sections) {
        copy = malloc(cfg->nr_sections * sizeof(*copy));
        if (!copy)
            return -ENOMEM;
        memcpy(copy, cfg->sections, cfg->nr_sections * sizeof(*copy));
    }
    ret = xv_scmi_server_init(&scmi.server, &p->plat);
    if (ret < 0) {
        snprintf(err, errlen, "%s: [scmi...]: the platform is inconsistent", cfg->path);
        free(copy);
        return ret;
    }
    p->server = &scmi.server;
    scmi.server.event = on_event;
    free(scmi.platform);
    free(scmi.sections);
    scmi.platform = p;
    scmi.sections = copy;
    scmi.nr_sections = cfg->nr_sections;
    return 0;
}

static void on_sensor_timer(void *opaque, uint32_t events)
{
    struct xvd_scmi_platform *p = scmi.platform;
    uint64_t ticks;

    (void)opaque;
    (void)events;
    if (read(scmi.sensor_timer, &ticks, sizeof(ticks)) < 0 || !p)
        return;
    for (unsigned i = 0; i < p->plat.nr_sensors; i++) {
        int64_t value;
        uint64_t timestamp;

        if (!p->sensor_hwmon[i][0] ||
            p->plat.ops->sensor_read(p->plat.opaque, i, &value, &timestamp) != 0)
            continue;
        /* The first reading is where changes are counted from. */
        if (scmi.sensor_seen_ok[i] && value != scmi.sensor_seen[i])
            xv_scmi_sensor_changed(&scmi.server, i);
        scmi.sensor_seen[i] = value;
        scmi.sensor_seen_ok[i] = true;
    }
}

static void stop_sensor_timer(void)
{
    if (scmi.sensor_timer < 0)
        return;
    if (scmi.loop)
        xvd_loop_del_fd(scmi.loop, scmi.sensor_timer);
    close(scmi.sensor_timer);
    scmi.sensor_timer = -1;
}

/* Ticks at the shortest update interval of the hwmon sensors (1 s for
 * those without one); none without hwmon sensors or without a loop. */
static int start_sensor_timer(struct xvd_loop *loop, char *err, size_t errlen)
{
    const struct xvd_scmi_platform *p = scmi.platform;
    uint32_t period = 0;
    struct itimerspec its = { 0 };

    memset(scmi.sensor_seen_ok, 0, sizeof(scmi.sensor_seen_ok));
    for (unsigned i = 0; i < p->plat.nr_sensors; i++) {
        uint32_t s = p->sensors[i].update_interval_s ? p->sensors[i].update_interval_s : 1;

        if (p->sensor_hwmon[i][0] && (!period || s < period))
            period = s;
    }
    if (!period || !loop)
        return 0;
    scmi.sensor_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    its.it_value.tv_sec = its.it_interval.tv_sec = period;
    if (scmi.sensor_timer < 0 || timerfd_settime(scmi.sensor_timer, 0, &its, NULL) < 0 ||
        xvd_loop_add_fd(loop, scmi.sensor_timer, EPOLLIN, on_sensor_timer, NULL) < 0) {
        snprintf(err, errlen, "scmi: sensor timer: %s", strerror(errno));
        if (scmi.sensor_timer >= 0)
            close(scmi.sensor_timer);
        scmi.sensor_timer = -1;
        return -1;
    }
    scmi.loop = loop;
    return 0;
}

static int open_socket(struct xvd_loop *loop, char *err, size_t errlen)
{
    if (!scmi.platform->socket_path[0])
        return 0;
    scmi.socket = xvd_scmi_socket_open(scmi.platform->socket_path, loop, &scmi.server,
                                       err, errlen);
    return scmi.socket ? 0 : -1;
}

static int scmi_configure(const struct xvd_config *cfg, struct xvd_loop *loop,
                          char *err, size_t errlen)
{
    struct xvd_scmi_platform *p;

    if (same_sections(cfg))
        return 0;
    p = malloc(sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "scmi: out of memory");
        return -1;
    }
    if (xvd_scmi_platform_load(p, cfg, err, errlen) < 0) {
        free(p);
        return -1;
    }
    if (scmi.nr_devices || (scmi.socket && xvd_scmi_socket_agents(scmi.socket))) {
        /* Agents hold votes on the old resources: renumbering under them
         * would hand their votes to other resources. */
        xvd_log(LOG_WARNING, NULL, "scmi: platform changes take effect once no "
                "guest or socket client uses SCMI");
        free(p);
        return 0;
    }
    if (scmi.socket) {
        xvd_scmi_socket_close(scmi.socket);
        scmi.socket = NULL;
    }
    stop_sensor_timer();
    if (adopt(p, cfg, err, errlen) < 0) {
        free(p);
        return -1;
    }
    if (start_sensor_timer(loop, err, errlen) < 0)
        return -1;
    return open_socket(loop, err, errlen);
}

static void scmi_unconfigure(void)
{
    stop_sensor_timer();
    if (scmi.socket)
        xvd_scmi_socket_close(scmi.socket);
    scmi.socket = NULL;
    free(scmi.platform);
    free(scmi.sections);
    scmi.platform = NULL;
    scmi.sections = NULL;
    scmi.nr_sections = 0;
}

/* "a,b": the agent's ids 0, 1 in that order. */
static int build_view(struct xv_scmi_agent *agent, const struct xvd_device_conf *conf,
                      const union xvd_key_value *values, char *err, size_t errlen)
{
    for (int kind = 0; kind < XV_SCMI_KIND_COUNT; kind++) {
        const char *key = scmi_keys[kind].name;
        const char *v = values[kind].text;
        char buf[XVD_VALUE_MAX], *save = NULL;

        if (!v)
            continue;
        snprintf(buf, sizeof(buf), "%s", v);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int index = xvd_scmi_platform_find(scmi.platform, kind, t);

            if (index < 0) {
                snprintf(err, errlen, "device %s: key '%s': bad value '%s' (no "
                         "[%s %s] section)", conf->name, key, v,
                         xvd_scmi_sections[kind].kind, t);
                return -EINVAL;
            }
            if (xv_scmi_agent_show(agent, kind, (unsigned)index) < 0) {
                snprintf(err, errlen, "device %s: key '%s': bad value '%s' ('%s' "
                         "listed twice)", conf->name, key, v, t);
                return -EINVAL;
            }
        }
    }
    return 0;
}

static struct xvd_dev *scmi_create(const struct xvd_device_conf *conf,
                                   const struct xv_platform *platform,
                                   struct xvd_loop *loop, char *err, size_t errlen)
{
    union xvd_key_value v[NR_KEYS];
    struct xv_scmi_dev_params params;
    char name[XVD_NAME_MAX];
    struct scmi_dev *d;
    int ret;

    (void)loop;
    if (!scmi.platform) {
        snprintf(err, errlen, "device %s: no SCMI platform configured", conf->name);
        return NULL;
    }
    if (xvd_keys_parse(scmi_keys, NR_KEYS, "scmi", conf, v, err, errlen) < 0)
        return NULL;
    xv_scmi_dev_default_params(&params);
    params.queue_size = (uint16_t)v[KEY_QUEUE_SIZE].n;
    params.p2a = v[KEY_NOTIFICATIONS].on;
    if (conf->max_requests_per_wakeup)
        params.max_requests_per_call = conf->max_requests_per_wakeup;
    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "device %s: out of memory", conf->name);
        return NULL;
    }
    /* The agent is the guest: BASE_DISCOVER_AGENT names it so. */
    if (conf->domain_name[0])
        snprintf(name, sizeof(name), "%s", conf->domain_name);
    else
        snprintf(name, sizeof(name), "dom%d", conf->domid);
    xv_scmi_agent_init(&d->agent, name, NULL, NULL);
    if (build_view(&d->agent, conf, v, err, errlen) < 0)
        goto fail;
    ret = xv_scmi_agent_add(&scmi.server, &d->agent);
    if (ret < 0) {
        snprintf(err, errlen, "device %s: %s", conf->name, ret == -ENOSPC ?
                 "too many SCMI agents (at most 32)" : "view outside the platform");
        goto fail;
    }
    d->base.type = &xvd_scmi_type;
    ret = xv_scmi_dev_init(&d->sd, &d->base.xv, platform, &scmi.server, &d->agent,
                           &params);
    if (ret < 0) {
        xv_scmi_agent_remove(&scmi.server, &d->agent);
        snprintf(err, errlen, "device %s: cannot initialise: %s", conf->name,
                 strerror(-ret));
        goto fail;
    }
    scmi.nr_devices++;
    return &d->base;
fail:
    free(d);
    return NULL;
}

static struct scmi_dev *scmi_dev_of(struct xvd_dev *dev)
{
    return xv_container_of(dev, struct scmi_dev, base);
}

static unsigned scmi_in_flight(struct xvd_dev *dev)
{
    (void)dev;
    return 0;   /* every command completes before queue_work returns */
}

/* The guest is gone (or its device removed): what it held is released. */
static void scmi_destroy(struct xvd_dev *dev)
{
    struct scmi_dev *d = scmi_dev_of(dev);

    xv_scmi_agent_remove(&scmi.server, &d->agent);
    scmi.nr_devices--;
    free(d);
}

const struct xvd_device_type xvd_scmi_type = {
    .name = "scmi",
    .keys = scmi_keys,
    .nr_keys = NR_KEYS,
    .sections = xvd_scmi_sections,
    .nr_sections = XVD_SCMI_NR_SECTIONS,
    .virtio_id = XV_VIRTIO_ID_SCMI,
    .create = scmi_create,
    .in_flight = scmi_in_flight,
    .destroy = scmi_destroy,
    .configure = scmi_configure,
    .unconfigure = scmi_unconfigure,
};
