/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What libxl writes to xenstore for a guest's virtio devices, and its
 * handshakes with the backend (xen-virtio.md §1.2, §1.3, §5).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#include "toolstack.h"

static bool xs_printf(struct xs_handle *xs, xs_transaction_t t, const char *path,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool xs_printf(struct xs_handle *xs, xs_transaction_t t, const char *path,
                      const char *fmt, ...)
{
    char value[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    return xs_write(xs, t, path, value, strlen(value));
}

static bool set_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
                      unsigned owner, unsigned reader)
{
    struct xs_permissions perms[2] = {
        { .id = owner, .perms = XS_PERM_NONE },
        { .id = reader, .perms = XS_PERM_READ },
    };

    return xs_set_permissions(xs, t, path, perms, 2);
}

static void kv(struct xs_handle *xs, xs_transaction_t t, const char *dir,
               const char *key, const char *value, bool *ok)
{
    char path[384];

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (!xs_write(xs, t, path, value, strlen(value)))
        *ok = false;
}

static unsigned disk_devid(const char *vdev)
{
    /* xvda -> 202 << 8 | 0 ("xvd" disks, partition 0), as libxl computes. */
    if (strncmp(vdev, "xvd", 3) == 0 && vdev[3] >= 'a' && vdev[3] <= 'z' && !vdev[4])
        return 202u << 8 | (unsigned)(vdev[3] - 'a') << 4;
    return 51712u;
}

/* libxl_arm.c: slots at 0x2000000 + 0x200 * i, SPI 33 + i; disks first. */
void ts_allocate_slots(struct ts_guest *g)
{
    unsigned slot = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < g->nr_devices; i++) {
            struct ts_device *dev = &g->devices[i];

            if ((pass == 0) != (dev->kind == TS_VIRTIO_DISK))
                continue;
            dev->base = 0x2000000ull + 0x200ull * slot;
            dev->irq = 33 + slot;
            slot++;
        }
    }
}

/* libxl__arch_domain_prepare_config(): SPIs up to the highest virtio
 * device's, or the vuart's; nothing else. Xen rounds up to 32 lines. */
unsigned ts_nr_spis(struct ts_guest *g)
{
    unsigned nr_spis = g->vuart ? 1 : 0;

    ts_allocate_slots(g);
    for (unsigned i = 0; i < g->nr_devices; i++)
        if (g->devices[i].irq - 32 + 1 > nr_spis)
            nr_spis = g->devices[i].irq - 32 + 1;
    return nr_spis;
}

static void device_paths(const struct ts_guest *g, const struct ts_device *dev,
                         char *be, char *fe, char *lx, size_t len)
{
    const char *kind = dev->kind == TS_VIRTIO_DISK ? "virtio_disk" : "virtio";

    snprintf(be, len, "/local/domain/%u/backend/%s/%u/%u", dev->backend_domid,
             kind, g->domid, dev->devid);
    snprintf(fe, len, "/local/domain/%u/device/%s/%u", g->domid, kind, dev->devid);
    snprintf(lx, len, "/libxl/%u/device/%s/%u", g->domid, kind, dev->devid);
}

/* The frontend's half, and libxl's pointer back to the backend. */
static void write_frontend(struct xs_handle *xs, xs_transaction_t t,
                           const struct ts_device *dev, const char *be,
                           const char *fe, const char *lx, bool *ok)
{
    char num[16];

    kv(xs, t, lx, "backend", be, ok);
    kv(xs, t, fe, "backend", be, ok);
    snprintf(num, sizeof(num), "%u", dev->backend_domid);
    kv(xs, t, fe, "backend-id", num, ok);
    kv(xs, t, fe, "state", "1", ok);
}

static bool write_disk(struct xs_handle *xs, xs_transaction_t t,
                       const struct ts_guest *g, const struct ts_device *dev,
                       const char *be, const char *fe, const char *lx)
{
    char num[64];
    bool ok = true;

    for (int copy = 0; copy < 2; copy++) {
        const char *dir = copy ? lx : be;

        kv(xs, t, dir, "frontend", fe, &ok);
        kv(xs, t, dir, "params", dev->target, &ok);
        snprintf(num, sizeof(num), "%u", g->domid);
        kv(xs, t, dir, "frontend-id", num, &ok);
        kv(xs, t, dir, "online", "1", &ok);
        kv(xs, t, dir, "removable", "0", &ok);
        kv(xs, t, dir, "bootable", "1", &ok);
        kv(xs, t, dir, "state", "1", &ok);
        kv(xs, t, dir, "dev", dev->vdev, &ok);
        kv(xs, t, dir, "type", "standalone", &ok);
        kv(xs, t, dir, "mode", dev->readonly ? "r" : "w", &ok);
        kv(xs, t, dir, "device-type", "disk", &ok);
        /* libxl_device_disk_setdefault: discard defaults to writable. */
        kv(xs, t, dir, "discard-enable",
           (dev->discard < 0 ? !dev->readonly : dev->discard) ? "1" : "0", &ok);
        kv(xs, t, dir, "specification", "virtio", &ok);
        kv(xs, t, dir, "transport", "mmio", &ok);
        snprintf(num, sizeof(num), "%" PRIu64, dev->base); /* decimal for disks */
        kv(xs, t, dir, "base", num, &ok);
        snprintf(num, sizeof(num), "%u", dev->irq);
        kv(xs, t, dir, "irq", num, &ok);
        if (g->layout >= 419) {
            kv(xs, t, dir, "grant_usage", dev->grant_usage ? "1" : "0", &ok);
        }
    }
    write_frontend(xs, t, dev, be, fe, lx, &ok);
    snprintf(num, sizeof(num), "%u", dev->devid);
    kv(xs, t, fe, "virtual-device", num, &ok);
    kv(xs, t, fe, "device-type", "disk", &ok);
    kv(xs, t, fe, "trusted", "1", &ok);
    return ok;
}

static bool write_virtio(struct xs_handle *xs, xs_transaction_t t,
                         const struct ts_guest *g, const struct ts_device *dev,
                         const char *be, const char *fe, const char *lx)
{
    char num[64];
    bool ok = true;

    for (int copy = 0; copy < 2; copy++) {
        const char *dir = copy ? lx : be;

        kv(xs, t, dir, "frontend", fe, &ok);
        snprintf(num, sizeof(num), "%u", g->domid);
        kv(xs, t, dir, "frontend-id", num, &ok);
        kv(xs, t, dir, "online", "1", &ok);
        kv(xs, t, dir, "state", "1", &ok);
        snprintf(num, sizeof(num), "%u", dev->irq);
        kv(xs, t, dir, "irq", num, &ok);
        snprintf(num, sizeof(num), "%#" PRIx64, dev->base); /* hex for generic */
        kv(xs, t, dir, "base", num, &ok);
        kv(xs, t, dir, "type", dev->type, &ok);
        kv(xs, t, dir, "transport", "mmio", &ok);
        kv(xs, t, dir, "grant_usage", dev->grant_usage ? "1" : "0", &ok);
    }
    write_frontend(xs, t, dev, be, fe, lx, &ok);
    return ok;
}

/* One transaction per device, as libxl__device_generic_add. */
static int add_device(struct xs_handle *xs, const struct ts_guest *g,
                      const struct ts_device *dev)
{
    char be[192], fe[192], lx[192];

    device_paths(g, dev, be, fe, lx, sizeof(be));
    for (int attempt = 0; attempt < 10; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        bool ok;

        if (t == XBT_NULL)
            return -errno;
        ok = dev->kind == TS_VIRTIO_DISK ? write_disk(xs, t, g, dev, be, fe, lx)
                                         : write_virtio(xs, t, g, dev, be, fe, lx);
        ok = ok && set_perms(xs, t, be, dev->backend_domid, g->domid) &&
             set_perms(xs, t, fe, g->domid, dev->backend_domid);
        if (!ok) {
            int err = errno;

            xs_transaction_end(xs, t, true);
            return -err;
        }
        if (xs_transaction_end(xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_int(struct xs_handle *xs, const char *path)
{
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    int n = v ? atoi(v) : -1;

    free(v);
    return n;
}

/* Wait, with a watch, until 'path' reads 'want' (or, with want < 0, until
 * it no longer exists). */
int ts_wait_node(struct xs_handle *xs, const char *path, int want, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    int rc = -ETIMEDOUT;

    if (!xs_watch(xs, path, "ts-wait"))
        return -errno;
    for (;;) {
        int v = read_int(xs, path);
        struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
        long left = deadline - now_ms();

        if ((want >= 0 && v == want) || (want < 0 && v < 0)) {
            rc = 0;
            break;
        }
        if (left <= 0)
            break;
        if (poll(&pfd, 1, (int)left) > 0) {
            char **ev;

            while ((ev = xs_check_watch(xs)) != NULL)
                free(ev);
        }
    }
    xs_unwatch(xs, path, "ts-wait");
    return rc;
}

int ts_write_domain(struct xs_handle *xs, const struct ts_guest *g)
{
    char path[128];
    bool ok;

    snprintf(path, sizeof(path), "/local/domain/%u/name", g->domid);
    ok = xs_write(xs, XBT_NULL, path, g->name, strlen(g->name));
    snprintf(path, sizeof(path), "/local/domain/%u/domid", g->domid);
    ok = ok && xs_printf(xs, XBT_NULL, path, "%u", g->domid);
    snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max", g->domid);
    ok = ok && xs_printf(xs, XBT_NULL, path, "%" PRIu64, g->memory_kb);
    snprintf(path, sizeof(path), "/local/domain/%u/device", g->domid);
    ok = ok && xs_mkdir(xs, XBT_NULL, path);
    snprintf(path, sizeof(path), "/local/domain/%u", g->domid);
    ok = ok && set_perms(xs, XBT_NULL, path, g->domid, 0);
    /* Fires @introduceDomain for watchers, as xl's domain build does. The
     * store page frame and event channel are the guest's xenstore ring,
     * which simulated guests don't use; xenstored insists on nonzero. */
    ok = ok && xs_introduce_domain(xs, g->domid, 0xfeffe, 1);
    return ok ? 0 : -errno;
}

int ts_add_devices(struct xs_handle *xs, struct ts_guest *g, int timeout_ms)
{
    ts_allocate_slots(g);
    for (unsigned i = 0; i < g->nr_devices; i++) {
        struct ts_device *dev = &g->devices[i];
        int rc;

        if (dev->kind == TS_VIRTIO_DISK && !dev->devid)
            dev->devid = disk_devid(dev->vdev);
        rc = add_device(xs, g, dev);
        if (rc < 0)
            return rc;
    }
    /* Disks: libxl waits for InitWait before unpausing; generic virtio
     * devices are not waited for at all. */
    for (unsigned i = 0; i < g->nr_devices; i++) {
        struct ts_device *dev = &g->devices[i];
        char be[192], fe[192], lx[192], state[224];

        if (dev->kind != TS_VIRTIO_DISK)
            continue;
        device_paths(g, dev, be, fe, lx, sizeof(be));
        snprintf(state, sizeof(state), "%s/state", be);
        if (ts_wait_node(xs, state, 2, timeout_ms) < 0) {
            fprintf(stderr, "xensim: %s: unable to initialize device %s "
                    "(backend never reached InitWait)\n", g->name, dev->vdev);
            return -ETIMEDOUT;
        }
    }
    return 0;
}

/* libxl__xs_path_cleanup: remove the path, then each parent that is left
 * with no value and no children (a guest's last device takes
 * backend/<kind>/<domid>, and the last guest's backend/<kind> with it). */
static void path_cleanup(struct xs_handle *xs, const char *user_path)
{
    char path[192];
    char *last;

    snprintf(path, sizeof(path), "%s", user_path);
    if (!xs_rm(xs, XBT_NULL, path))
        return;
    while ((last = strrchr(path, '/')) != NULL && last != path) {
        unsigned int len = 0, nb = 0;
        char *val, **dir;
        bool empty;

        *last = '\0';
        val = xs_read(xs, XBT_NULL, path, &len);
        dir = val && len == 0 ? xs_directory(xs, XBT_NULL, path, &nb) : NULL;
        empty = dir && nb == 0;
        free(val);
        free(dir);
        if (!empty || !xs_rm(xs, XBT_NULL, path))
            return;
    }
}

/* libxl's destroy: Closing, wait for Closed, then remove everything. */
int ts_remove_devices(struct xs_handle *xs, const struct ts_guest *g,
                      int timeout_ms, bool *clean)
{
    *clean = true;
    for (unsigned i = 0; i < g->nr_devices; i++) {
        const struct ts_device *dev = &g->devices[i];
        char be[192], fe[192], lx[192], path[224];

        device_paths(g, dev, be, fe, lx, sizeof(be));
        path_cleanup(xs, fe);
        /* One transaction, as libxl__initiate_device_generic_remove: a
         * backend must never see online=0 without state=5. */
        for (int attempt = 0; attempt < 10; attempt++) {
            xs_transaction_t t = xs_transaction_start(xs);

            snprintf(path, sizeof(path), "%s/online", be);
            xs_write(xs, t, path, "0", 1);
            snprintf(path, sizeof(path), "%s/state", be);
            xs_write(xs, t, path, "5", 1);
            if (xs_transaction_end(xs, t, false) || errno != EAGAIN)
                break;
        }
        snprintf(path, sizeof(path), "%s/state", be);
        if (ts_wait_node(xs, path, 6, timeout_ms) < 0)
            *clean = false;
        if (dev->backend_domid != 0 && ts_wait_node(xs, path, -1, timeout_ms) < 0)
            *clean = false;
        path_cleanup(xs, be);
        path_cleanup(xs, lx);
    }
    return 0;
}

int ts_remove_domain(struct xs_handle *xs, const struct ts_guest *g)
{
    char path[64];

    snprintf(path, sizeof(path), "/local/domain/%u", g->domid);
    xs_rm(xs, XBT_NULL, path);
    snprintf(path, sizeof(path), "/libxl/%u", g->domid);
    xs_rm(xs, XBT_NULL, path);
    /* Fires @releaseDomain. */
    return xs_release_domain(xs, g->domid) ? 0 : -errno;
}
