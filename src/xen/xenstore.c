/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device discovery from xenstore and libxl's backend handshakes
 * (xen-virtio.md §1.2, §1.3, §2.5, §5).
 *
 * We watch our own backend/virtio_disk (Xen 4.17+ disks) and backend/virtio
 * (4.18+ generic devices) trees, @introduceDomain and @releaseDomain. Every
 * event triggers a rescan: libxl writes each device in one transaction, so
 * what we read is always complete, and a rescan is idempotent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <xenstore.h>

#include "discovery.h"
#include "xs_values.h"

enum backend_kind { KIND_VIRTIO_DISK, KIND_VIRTIO, KIND_COUNT };
static const char *const kind_names[KIND_COUNT] = { "virtio_disk", "virtio" };

enum xenbus_state {
    XB_INITIALISING = 1,
    XB_INIT_WAIT = 2,
    XB_CONNECTED = 4,
    XB_CLOSING = 5,
    XB_CLOSED = 6,
};

struct xs_device {
    enum backend_kind kind;
    domid_t frontend;
    unsigned devid;
    char path[128];             /* backend dir */
    struct xvx_device *xd;      /* NULL: claim failed, don't retry */
    bool seen;                  /* still present in this rescan */
    bool closed;                /* we wrote Closed: once is enough */
    struct xvx_discovery *disc;
    struct xs_device *next;
};

struct xvx_discovery {
    struct xs_handle *xs;
    struct xvd_loop *loop;
    const struct xvx_discovery_ops *ops;
    void *opaque;
    domid_t self;
    char base_path[64];         /* /local/domain/<self>/backend */
    struct xs_device *devices;
};

static char *read_key(struct xvx_discovery *d, const char *dir, const char *key)
{
    char path[256];
    unsigned int len;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_read(d->xs, XBT_NULL, path, &len);
}

static int read_state(struct xvx_discovery *d, const char *dir)
{
    char *s = read_key(d, dir, "state");
    int state = xvx_xs_parse_state(s);

    free(s);
    return state;
}

/* As Linux's xenbus_switch_state: in a transaction that first reads the
 * node, so a backend dir the toolstack removed meanwhile is not written
 * back into existence (a write creates every missing parent). */
static void set_state(struct xvx_discovery *d, const char *dir, int state)
{
    char path[256], value[4];

    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(value, sizeof(value), "%d", state);
    for (int attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(d->xs);
        unsigned int len;
        char *old;
        bool wrote;

        if (t == XBT_NULL)
            break;
        old = xs_read(d->xs, t, path, &len);
        if (!old) {
            xs_transaction_end(d->xs, t, true);
            return;                 /* gone: nobody to tell */
        }
        free(old);
        wrote = xs_write(d->xs, t, path, value, strlen(value));
        if (!wrote) {
            xs_transaction_end(d->xs, t, true);
            break;
        }
        if (xs_transaction_end(d->xs, t, false))
            return;
        if (errno != EAGAIN)
            break;
    }
    xvd_log(LOG_WARNING, dir, "cannot write state %d: %s", state, strerror(errno));
}

static void on_driver_ok(struct xvx_device *xd, void *opaque)
{
    struct xs_device *dev = opaque;

    set_state(dev->disc, dev->path, XB_CONNECTED);
    (void)xd;
}

/* What the xl disk entry says of a block device: its target, and that
 * xl's 'r' mode and 'no-discard' win over the [device] section, since the
 * guest's config is where the admin restricted this guest. */
static bool apply_xl_disk(struct xvd_device_conf *conf, const char *params,
                          const struct xvx_xs_device *xl, char *err, size_t errlen)
{
    int rc = 0;

    if (params)
        rc = xvd_device_set_opt(conf, "path", params);
    if (!rc && (params || xl->readonly))
        rc = xvd_device_set_opt(conf, "readonly", xl->readonly ? "yes" : "no");
    if (!rc && xl->no_discard)
        rc = xvd_device_set_opt(conf, "discard", "no");
    if (rc)
        snprintf(err, errlen, "key 'params': '%s' does not fit the device's options "
                 "(%s)", params ? params : "", strerror(-rc));
    return rc == 0;
}

/* Fill conf for a device found in xenstore. Errors name guest, device,
 * key and value. Every node read is in the backend dir libxl wrote, which
 * the guest can read but not write (tests/HOSTILE.md, "Xenstore nodes"). */
static bool describe_device(struct xvx_discovery *d, const struct xs_device *dev,
                            struct xvd_device_conf *conf, uint64_t *base,
                            unsigned *irq, bool *grants, char *err, size_t errlen)
{
    static const char *const keys[] = { "transport", "base", "irq", "grant_usage",
                                        "type", "params", "mode", "discard-enable" };
    char *v[sizeof(keys) / sizeof(keys[0])];
    struct xvx_xs_nodes nodes;
    bool disk = dev->kind == KIND_VIRTIO_DISK;
    const struct xvd_device_conf *declared = NULL;
    struct xvx_xs_device xl;
    bool ok;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        v[i] = read_key(d, dev->path, keys[i]);
    nodes = (struct xvx_xs_nodes){
        .transport = v[0], .base = v[1], .irq = v[2], .grant_usage = v[3],
        .type = v[4], .params = v[5], .mode = v[6], .discard = v[7],
    };
    ok = xvx_xs_parse_device(disk, d->self == 0, &nodes, &xl, err, errlen);
    if (ok) {
        *base = xl.base;
        *irq = xl.irq;
        *grants = xl.grants;
        if (disk)
            declared = d->ops->find_declared(d->opaque, dev->frontend, 0, nodes.params);
        else
            declared = d->ops->find_declared(d->opaque, dev->frontend, xl.virtio_id, NULL);
        if (declared) {
            *conf = *declared;
            if (disk && strcmp(conf->type, "block") == 0)
                ok = apply_xl_disk(conf, NULL, &xl, err, errlen);
        } else if (disk) {
            memset(conf, 0, sizeof(*conf));
            snprintf(conf->type, sizeof(conf->type), "block");
            ok = apply_xl_disk(conf, nodes.params, &xl, err, errlen);
        } else {
            snprintf(err, errlen, "type '%s': no [device] section in the config "
                     "file declares this device for the guest", nodes.type);
            ok = false;
        }
    }
    if (ok) {
        conf->domid = dev->frontend;
        snprintf(conf->name, sizeof(conf->name), "%s-%u",
                 disk ? "disk" : "virtio", dev->devid);
        if (declared)
            snprintf(conf->name, sizeof(conf->name), "%s", declared->name);
    }
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        free(v[i]);
    return ok;
}

static void claim(struct xvx_discovery *d, struct xs_device *dev)
{
    struct xvd_device_conf conf;
    char err[256] = "";
    uint64_t base;
    unsigned irq;
    bool grants;
    char ctx[64];

    snprintf(ctx, sizeof(ctx), "dom%u/%s/%u", dev->frontend, kind_names[dev->kind],
             dev->devid);
    if (!describe_device(d, dev, &conf, &base, &irq, &grants, err, sizeof(err))) {
        xvd_log(LOG_ERR, ctx, "skipping device: %s", err);
        return;
    }
    dev->xd = d->ops->add(d->opaque, dev->frontend, &conf, base, irq, grants,
                          err, sizeof(err));
    if (!dev->xd) {
        xvd_log(LOG_ERR, ctx, "skipping device: %s", err);
        return;
    }
    dev->xd->on_driver_ok = on_driver_ok;
    dev->xd->on_driver_ok_opaque = dev;
    /* The server and window exist: the guest may now be unpaused. */
    set_state(d, dev->path, XB_INIT_WAIT);
}

static void release(struct xvx_discovery *d, struct xs_device *dev, bool present)
{
    if (dev->xd)
        d->ops->remove(d->opaque, dev->xd);
    dev->xd = NULL;
    if (!present || dev->closed)
        return;
    dev->closed = true;
    set_state(d, dev->path, XB_CLOSED);
    /* In a driver domain libxl waits for the backend to remove its dir. */
    if (d->self != 0)
        xs_rm(d->xs, XBT_NULL, dev->path);
}

static struct xs_device *find_device(struct xvx_discovery *d,
                                     enum backend_kind kind, domid_t fe,
                                     unsigned devid)
{
    for (struct xs_device *dev = d->devices; dev; dev = dev->next)
        if (dev->kind == kind && dev->frontend == fe && dev->devid == devid)
            return dev;
    return NULL;
}

static bool wants_close(struct xvx_discovery *d, const char *dir)
{
    char *online = read_key(d, dir, "online");
    char *state = read_key(d, dir, "state");
    bool close = xvx_xs_wants_close(state, online);

    free(online);
    free(state);
    return close;
}

static void scan_device(struct xvx_discovery *d, enum backend_kind kind,
                        domid_t fe, unsigned devid)
{
    struct xs_device *dev = find_device(d, kind, fe, devid);

    if (!dev) {
        char path[128];

        snprintf(path, sizeof(path), "%s/%s/%u/%u", d->base_path,
                 kind_names[kind], fe, devid);
        /* Only claim what libxl just created and nobody else took. */
        if (read_state(d, path) != XB_INITIALISING)
            return;
        dev = calloc(1, sizeof(*dev));
        if (!dev)
            return;
        dev->kind = kind;
        dev->frontend = fe;
        dev->devid = devid;
        dev->disc = d;
        snprintf(dev->path, sizeof(dev->path), "%s", path);
        dev->next = d->devices;
        d->devices = dev;
        dev->seen = true;
        claim(d, dev);
        return;
    }
    dev->seen = true;
    if (dev->xd && wants_close(d, dev->path))
        release(d, dev, true);
    else if (!dev->xd && read_state(d, dev->path) == XB_CLOSING)
        set_state(d, dev->path, XB_CLOSED); /* nothing to close: say so */
}

static void scan_kind(struct xvx_discovery *d, enum backend_kind kind)
{
    char path[128];
    unsigned nr_fe = 0;
    char **fes;

    snprintf(path, sizeof(path), "%s/%s", d->base_path, kind_names[kind]);
    fes = xs_directory(d->xs, XBT_NULL, path, &nr_fe);
    for (unsigned i = 0; fes && i < nr_fe; i++) {
        char fe_path[160];
        unsigned fe, nr_dev = 0;
        char **devs;

        if (!xvx_xs_parse_id(fes[i], DOMID_FIRST_RESERVED - 1, &fe))
            continue;
        snprintf(fe_path, sizeof(fe_path), "%s/%s", path, fes[i]);
        devs = xs_directory(d->xs, XBT_NULL, fe_path, &nr_dev);
        for (unsigned j = 0; devs && j < nr_dev; j++) {
            unsigned devid;

            if (xvx_xs_parse_id(devs[j], INT32_MAX, &devid))
                scan_device(d, kind, (domid_t)fe, devid);
        }
        free(devs);
    }
    free(fes);
}

static void rescan(struct xvx_discovery *d)
{
    for (struct xs_device *dev = d->devices; dev; dev = dev->next)
        dev->seen = false;
    d->ops->domains_changed(d->opaque);
    for (int kind = 0; kind < KIND_COUNT; kind++)
        scan_kind(d, (enum backend_kind)kind);
    /* Devices whose backend dir is gone (toolstack removed it, or the
     * domain died): tear down, nothing left to write to. */
    for (struct xs_device **p = &d->devices; *p;) {
        struct xs_device *dev = *p;

        bool alive = d->ops->domain_alive(d->opaque, dev->frontend);

        if (dev->seen && alive) {
            p = &dev->next;
            continue;
        }
        release(d, dev, dev->seen);
        *p = dev->next;
        free(dev);
    }
}

static void on_xenstore(void *opaque, uint32_t events)
{
    struct xvx_discovery *d = opaque;
    bool changed = false;
    char **event;

    (void)events;
    /* The fd may stop being readable before the queue is empty: drain. */
    while ((event = xs_check_watch(d->xs)) != NULL) {
        changed = true;
        free(event);
    }
    if (changed)
        rescan(d);
}

struct xvx_discovery *xvx_discovery_open(struct xvd_loop *loop,
                                         const struct xvx_discovery_ops *ops,
                                         void *opaque)
{
    struct xvx_discovery *d = calloc(1, sizeof(*d));
    unsigned int len;
    unsigned self_id = 0;
    char *self;
    char path[128];

    if (!d)
        return NULL;
    d->loop = loop;
    d->ops = ops;
    d->opaque = opaque;
    d->xs = xs_open(0);
    if (!d->xs)
        goto fail;
    /* Relative "domid" exists in driver domains; dom0 has none. */
    self = xs_read(d->xs, XBT_NULL, "domid", &len);
    if (self && !xvx_xs_parse_id(self, DOMID_FIRST_RESERVED - 1, &self_id)) {
        xvd_log(LOG_ERR, NULL, "xenstore: our own 'domid' is '%s', not a domid", self);
        free(self);
        goto fail;
    }
    d->self = (domid_t)self_id;
    free(self);
    snprintf(d->base_path, sizeof(d->base_path), "/local/domain/%u/backend",
             d->self);
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        snprintf(path, sizeof(path), "%s/%s", d->base_path, kind_names[kind]);
        if (!xs_watch(d->xs, path, kind_names[kind]))
            goto fail;
    }
    /* Only privileged callers may watch these; discovery works without,
     * static devices then follow their domains only at backend events. */
    xs_watch(d->xs, "@introduceDomain", "introduce");
    xs_watch(d->xs, "@releaseDomain", "release");
    if (xvd_loop_add_fd(loop, xs_fileno(d->xs), EPOLLIN, on_xenstore, d) < 0)
        goto fail;
    xvd_log(LOG_INFO, NULL, "watching %s/{virtio_disk,virtio} (domain %u)",
            d->base_path, d->self);
    return d;
fail:
    if (d->xs)
        xs_close(d->xs);
    free(d);
    return NULL;
}

void xvx_discovery_close(struct xvx_discovery *d)
{
    if (!d)
        return;
    xvd_loop_del_fd(d->loop, xs_fileno(d->xs));
    while (d->devices) {
        struct xs_device *dev = d->devices;

        d->devices = dev->next;
        /* Leave xenstore state alone: a restarted daemon takes over. */
        if (dev->xd)
            d->ops->remove(d->opaque, dev->xd);
        free(dev);
    }
    xs_close(d->xs);
    free(d);
}

domid_t xvx_discovery_self(const struct xvx_discovery *d)
{
    return d->self;
}

int xvx_domain_by_name(const char *name, domid_t *domid)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    unsigned int n = 0;
    char **doms;
    int rc = -ENOENT;

    if (!xs)
        return -errno;
    doms = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    for (unsigned i = 0; doms && i < n && rc < 0; i++) {
        char path[64];
        unsigned int len;
        unsigned id;
        char *v;

        if (!xvx_xs_parse_id(doms[i], DOMID_FIRST_RESERVED - 1, &id))
            continue;
        snprintf(path, sizeof(path), "/local/domain/%s/name", doms[i]);
        v = xs_read(xs, XBT_NULL, path, &len);
        if (v && strcmp(v, name) == 0) {
            *domid = (domid_t)id;
            rc = 0;
        }
        free(v);
    }
    free(doms);
    xs_close(xs);
    return rc;
}
