/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim: the simulated toolstack, standing in for xl/libxl.
 *
 *   xensim create NAME [options]   build a guest as xl create does
 *   xensim destroy NAME|DOMID      tear it down as xl destroy does
 *   xensim list                    domains, zombies and mapping counts
 *
 * The guest's devices are written to $XENSIM_DIR/dom<ID>.devices (one line
 * per device: "base irq virtio-id-hint grants backend kind name"), the
 * simulated guest's device tree.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "proto.h"
#include "toolstack.h"

#define DEFAULT_TIMEOUT_MS 10000 /* LIBXL_INIT_TIMEOUT, LIBXL_DESTROY_TIMEOUT */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: xensim create NAME [--vcpus N] [--memory MiB] [--libxl 417|418|419]\n"
        "                   [--backend DOMID] [--disk TARGET[,vdev=xvdX][,ro][,no-discard][,grant_usage=0|1]]...\n"
        "                   [--virtio TYPE[,grant_usage=0|1]]... [--vuart] [--paused]\n"
        "                   [--timeout MS]\n"
        "       xensim destroy NAME|DOMID [--timeout MS]\n"
        "       xensim list\n"
        "Environment: XENSIM_DIR (hv.sock), XENSTORED_PATH (xenstored socket).\n");
}

static int hv_ctl(void)
{
    int sock = xsp_connect(0, XSP_KIND_CTL, 0, NULL, NULL, 0);

    if (sock < 0)
        fprintf(stderr, "xensim: cannot reach xensim-hv: %s\n", strerror(errno));
    return sock;
}

static int hv_call(int sock, uint32_t op, uint64_t a0, uint64_t a1,
                   struct xsp_msg *reply)
{
    struct xsp_msg req = { .hdr.op = op, .arg = { a0, a1 } };

    return xsp_call(sock, &req, NULL, 0, reply, NULL, NULL, NULL, 0);
}

static char *devices_file(unsigned domid)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/dom%u.devices", getenv("XENSIM_DIR"), domid);
    return path;
}

static bool parse_bool_opt(const char *s, bool *out)
{
    if (strcmp(s, "0") == 0 || strcmp(s, "no") == 0)
        *out = false;
    else if (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0)
        *out = true;
    else
        return false;
    return true;
}

/* --disk /path,vdev=xvdb,ro,no-discard,grant_usage=1 */
static int parse_disk(struct ts_guest *g, char *spec, unsigned backend)
{
    struct ts_device *dev = &g->devices[g->nr_devices];
    char *save = NULL;
    char *tok = strtok_r(spec, ",", &save);

    memset(dev, 0, sizeof(*dev));
    dev->kind = TS_VIRTIO_DISK;
    dev->backend_domid = backend;
    dev->grant_usage = backend != 0;
    dev->discard = -1;
    snprintf(dev->vdev, sizeof(dev->vdev), "xvd%c", 'a' + g->nr_devices);
    snprintf(dev->target, sizeof(dev->target), "%s", tok ? tok : "");
    while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
        if (strncmp(tok, "vdev=", 5) == 0)
            snprintf(dev->vdev, sizeof(dev->vdev), "%s", tok + 5);
        else if (strcmp(tok, "ro") == 0)
            dev->readonly = true;
        else if (strcmp(tok, "discard") == 0 || strcmp(tok, "no-discard") == 0)
            dev->discard = tok[0] != 'n';
        else if (strncmp(tok, "grant_usage=", 12) == 0 &&
                 parse_bool_opt(tok + 12, &dev->grant_usage))
            ;
        else
            return -EINVAL;
    }
    return dev->target[0] ? 0 : -EINVAL;
}

/* --virtio virtio,device22,grant_usage=1 (the type itself has a comma,
 * which xl re-joins too) */
static int parse_virtio(struct ts_guest *g, char *spec, unsigned backend)
{
    struct ts_device *dev = &g->devices[g->nr_devices];
    char *grant = strstr(spec, ",grant_usage=");

    memset(dev, 0, sizeof(*dev));
    dev->kind = TS_VIRTIO;
    dev->backend_domid = backend;
    dev->grant_usage = backend != 0;
    dev->devid = g->nr_devices;
    if (grant) {
        *grant = '\0';
        if (!parse_bool_opt(grant + 13, &dev->grant_usage))
            return -EINVAL;
    }
    if (strncmp(spec, "virtio,device", 13) != 0)
        return -EINVAL;
    snprintf(dev->type, sizeof(dev->type), "%s", spec);
    return 0;
}

static int write_devices_file(const struct ts_guest *g)
{
    FILE *f = fopen(devices_file(g->domid), "w");

    if (!f)
        return -errno;
    for (unsigned i = 0; i < g->nr_devices; i++) {
        const struct ts_device *d = &g->devices[i];

        fprintf(f, "%#" PRIx64 " %u %d %u %s %u %s %s\n", d->base, d->irq,
                d->grant_usage, d->backend_domid,
                d->kind == TS_VIRTIO_DISK ? "virtio_disk" : "virtio", d->devid,
                d->kind == TS_VIRTIO_DISK ? d->vdev : d->type,
                d->kind == TS_VIRTIO_DISK ? d->target : "-");
    }
    return fclose(f) == 0 ? 0 : -errno;
}

static int read_devices_file(struct ts_guest *g)
{
    FILE *f = fopen(devices_file(g->domid), "r");
    char kind[16], name[32], target[256];

    if (!f)
        return -errno;
    while (g->nr_devices < TS_DEVICES_MAX) {
        struct ts_device *d = &g->devices[g->nr_devices];
        int grants;

        memset(d, 0, sizeof(*d));
        if (fscanf(f, "%" SCNx64 " %u %d %u %15s %u %31s %255s", &d->base, &d->irq,
                   &grants, &d->backend_domid, kind, &d->devid, name, target) != 8)
            break;
        d->grant_usage = grants;
        d->kind = strcmp(kind, "virtio_disk") == 0 ? TS_VIRTIO_DISK : TS_VIRTIO;
        if (d->kind == TS_VIRTIO_DISK)
            snprintf(d->vdev, sizeof(d->vdev), "%.15s", name);
        else
            snprintf(d->type, sizeof(d->type), "%s", name);
        snprintf(d->target, sizeof(d->target), "%s", target);
        g->nr_devices++;
    }
    fclose(f);
    return 0;
}

static int cmd_create(int argc, char **argv)
{
    static const struct option options[] = {
        { "vcpus", required_argument, NULL, 'c' },
        { "memory", required_argument, NULL, 'm' },
        { "libxl", required_argument, NULL, 'l' },
        { "backend", required_argument, NULL, 'b' },
        { "disk", required_argument, NULL, 'd' },
        { "virtio", required_argument, NULL, 'v' },
        { "paused", no_argument, NULL, 'p' },
        { "vuart", no_argument, NULL, 'u' },
        { "timeout", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    struct ts_guest g = { .vcpus = 1, .memory_kb = 64 * 1024, .layout = 419 };
    unsigned backend = 0;
    int timeout = DEFAULT_TIMEOUT_MS;
    bool paused = false;
    struct xs_handle *xs;
    struct xsp_msg reply;
    int c, sock, rc;

    if (argc < 2 || argv[1][0] == '-') {
        usage(stderr);
        return 2;
    }
    snprintf(g.name, sizeof(g.name), "%s", argv[1]);
    optind = 2;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'c': g.vcpus = (unsigned)atoi(optarg); break;
        case 'm': g.memory_kb = strtoull(optarg, NULL, 10) * 1024; break;
        case 'l': g.layout = atoi(optarg); break;
        case 'b': backend = (unsigned)atoi(optarg); break;
        case 'p': paused = true; break;
        case 'u': g.vuart = true; break;
        case 't': timeout = atoi(optarg); break;
        case 'd':
        case 'v':
            if (g.nr_devices == TS_DEVICES_MAX) {
                fprintf(stderr, "xensim: at most %d virtio devices (SPIs 33..43)\n",
                        TS_DEVICES_MAX);
                return 2;
            }
            if (c == 'v' && g.layout < 418) {
                fprintf(stderr, "xensim: libxl %d has no virtio=[] (only disks)\n",
                        g.layout);
                return 2;
            }
            rc = c == 'd' ? parse_disk(&g, optarg, backend)
                          : parse_virtio(&g, optarg, backend);
            if (rc < 0) {
                fprintf(stderr, "xensim: bad --%s '%s'\n", c == 'd' ? "disk" : "virtio",
                        optarg);
                return 2;
            }
            g.nr_devices++;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (g.vcpus == 0 || g.vcpus > XSP_MAX_VCPUS || g.memory_kb < 4096) {
        fprintf(stderr, "xensim: bad --vcpus or --memory\n");
        return 2;
    }
    sock = hv_ctl();
    if (sock < 0)
        return 1;
    {
        struct xsp_msg req = { .hdr.op = XSP_DOM_CREATE,
                               .arg = { g.vcpus, g.memory_kb * 1024, ts_nr_spis(&g),
                                        XSP_CREATE_PAUSED, XSP_NO_DOMID } };

        snprintf(req.name, sizeof(req.name), "%.31s", g.name);
        if (xsp_call(sock, &req, NULL, 0, &reply, NULL, NULL, NULL, 0) < 0) {
            fprintf(stderr, "xensim: cannot create domain: %s\n", strerror(errno));
            return 1;
        }
    }
    g.domid = (unsigned)reply.arg[0];
    xs = xs_open(0);
    if (!xs) {
        fprintf(stderr, "xensim: cannot reach xenstored: %s\n", strerror(errno));
        hv_call(sock, XSP_DOM_DESTROY, g.domid, 0, NULL);
        return 1;
    }
    rc = ts_write_domain(xs, &g);
    if (rc == 0)
        rc = ts_add_devices(xs, &g, timeout);
    if (rc == 0)
        rc = write_devices_file(&g);
    if (rc < 0) {
        bool clean;

        fprintf(stderr, "xensim: %s: creation failed: %s\n", g.name, strerror(-rc));
        ts_remove_devices(xs, &g, 1000, &clean);
        hv_call(sock, XSP_DOM_DESTROY, g.domid, 0, NULL);
        ts_remove_domain(xs, &g);
        xs_close(xs);
        return 1;
    }
    if (!paused && hv_call(sock, XSP_DOM_UNPAUSE, g.domid, 0, NULL) < 0)
        fprintf(stderr, "xensim: unpause: %s\n", strerror(errno));
    printf("%u\n", g.domid);
    for (unsigned i = 0; i < g.nr_devices; i++) {
        const struct ts_device *d = &g.devices[i];

        fprintf(stderr, "xensim: dom%u virtio@%" PRIx64 " irq %u %s %s%s\n", g.domid,
                d->base, d->irq, d->kind == TS_VIRTIO_DISK ? d->vdev : d->type,
                d->kind == TS_VIRTIO_DISK ? d->target : "",
                d->grant_usage ? " (grants)" : "");
    }
    xs_close(xs);
    close(sock);
    return 0;
}

static int find_domid(int sock, const char *name, unsigned *domid)
{
    struct xsp_dominfo *infos = NULL;
    size_t len = 0;
    struct xsp_msg req = { .hdr.op = XSP_DOM_LIST, .arg = { 0, 1024 } };
    struct xsp_msg reply;
    char *end;
    unsigned long v = strtoul(name, &end, 10);

    if (*name && !*end) {
        *domid = (unsigned)v;
        return 0;
    }
    if (xsp_call(sock, &req, NULL, 0, &reply, (void **)&infos, &len, NULL, 0) < 0)
        return -errno;
    for (size_t i = 0; i < reply.arg[0] && (i + 1) * sizeof(*infos) <= len; i++) {
        if (strcmp(infos[i].name, name) == 0 && !(infos[i].flags & XSP_DOMF_DYING)) {
            *domid = infos[i].domid;
            free(infos);
            return 0;
        }
    }
    free(infos);
    return -ENOENT;
}

static int cmd_destroy(int argc, char **argv)
{
    struct ts_guest g = { 0 };
    int timeout = DEFAULT_TIMEOUT_MS;
    struct xs_handle *xs;
    bool clean = true;
    int sock;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (argc >= 4 && strcmp(argv[2], "--timeout") == 0)
        timeout = atoi(argv[3]);
    sock = hv_ctl();
    if (sock < 0)
        return 1;
    if (find_domid(sock, argv[1], &g.domid) < 0) {
        fprintf(stderr, "xensim: no domain '%s'\n", argv[1]);
        return 1;
    }
    read_devices_file(&g);
    xs = xs_open(0);
    if (!xs) {
        fprintf(stderr, "xensim: cannot reach xenstored: %s\n", strerror(errno));
        return 1;
    }
    hv_call(sock, XSP_DOM_PAUSE, g.domid, 0, NULL);
    ts_remove_devices(xs, &g, timeout, &clean);
    if (!clean)
        fprintf(stderr, "xensim: dom%u: backend did not close its devices in time\n",
                g.domid);
    if (hv_call(sock, XSP_DOM_DESTROY, g.domid, 0, NULL) < 0)
        fprintf(stderr, "xensim: destroy: %s\n", strerror(errno));
    ts_remove_domain(xs, &g);
    unlink(devices_file(g.domid));
    xs_close(xs);
    close(sock);
    return clean ? 0 : 3;
}

static int cmd_list(void)
{
    struct xsp_msg req = { .hdr.op = XSP_DOM_LIST, .arg = { 0, 1024 } };
    struct xsp_dominfo *infos = NULL;
    struct xsp_msg reply;
    size_t len = 0;
    int sock = hv_ctl();

    if (sock < 0)
        return 1;
    if (xsp_call(sock, &req, NULL, 0, &reply, (void **)&infos, &len, NULL, 0) < 0) {
        fprintf(stderr, "xensim: list: %s\n", strerror(errno));
        return 1;
    }
    printf("%-16s %5s %5s %8s %-14s %8s %8s %8s\n", "Name", "ID", "VCPUs", "Mem(MiB)",
           "State", "foreign", "grants", "res");
    for (size_t i = 0; i < reply.arg[0] && (i + 1) * sizeof(*infos) <= len; i++) {
        const struct xsp_dominfo *d = &infos[i];

        printf("%-16s %5u %5u %8" PRIu64 " %-14s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
               d->name, d->domid, d->vcpus, d->ram_bytes >> 20,
               d->flags & XSP_DOMF_DYING ? "zombie" :
               d->flags & XSP_DOMF_CRASHED ? "crashed" :
               d->flags & XSP_DOMF_PAUSED ? "paused" : "running",
               d->foreign_pages, d->grant_maps, d->resource_maps);
    }
    free(infos);
    close(sock);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "create") == 0)
        return cmd_create(argc - 1, argv + 1);
    if (strcmp(argv[1], "destroy") == 0)
        return cmd_destroy(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return cmd_list();
    usage(stderr);
    return 2;
}
