/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client subcommands of xensim-hv: status, create, destroy, pause, unpause.
 * They talk to a running xensim-hv as dom0 (what xl does through libxc).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"

static int call(const char *dir, struct xsp_msg *req, struct xsp_msg *rep, char **text)
{
    setenv("XENSIM_DIR", dir, 1);
    int sock = xsp_connect(0, XSP_KIND_CTL, 0, NULL, NULL, 0);
    if (sock < 0) {
        fprintf(stderr, "xensim-hv: cannot reach %s/%s: %s\n", dir, XSP_SOCKET_NAME,
                strerror(errno));
        return 1;
    }
    void *data = NULL;
    size_t len = 0;
    int r = xsp_call(sock, req, NULL, 0, rep, &data, &len, NULL, 0);
    int saved = errno;
    close(sock);
    if (r < 0) {
        fprintf(stderr, "xensim-hv: %s\n", strerror(saved));
        return 1;
    }
    if (text) {
        *text = calloc(1, len + 1);
        if (*text && data) {
            memcpy(*text, data, len);
        }
    }
    free(data);
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) {
        fprintf(stderr, "xensim-hv: bad number '%s'\n", s);
        return -1;
    }
    *out = v;
    return 0;
}

static int cmd_create(const char *dir, int argc, char **argv)
{
    struct xsp_msg req = { .hdr.op = XSP_DOM_CREATE };
    struct xsp_msg rep;
    uint64_t vcpus = 1, ram_mib = 64, spis = XSP_DEFAULT_NR_SPIS, target = XSP_NO_DOMID;
    if (argc < 2) {
        fprintf(stderr, "xensim-hv: create NAME [options]\n");
        return 2;
    }
    snprintf(req.name, sizeof(req.name), "%s", argv[1]);
    for (int i = 2; i < argc; i++) {
        uint64_t *dst = NULL;
        if (strcmp(argv[i], "--paused") == 0) {
            req.arg[3] |= XSP_CREATE_PAUSED;
            continue;
        } else if (strcmp(argv[i], "--vcpus") == 0) {
            dst = &vcpus;
        } else if (strcmp(argv[i], "--ram-mib") == 0) {
            dst = &ram_mib;
        } else if (strcmp(argv[i], "--spis") == 0) {
            dst = &spis;
        } else if (strcmp(argv[i], "--target") == 0) {
            dst = &target;
        }
        if (!dst || i + 1 >= argc || parse_u64(argv[++i], dst) < 0) {
            fprintf(stderr, "xensim-hv: bad create option '%s'\n", argv[i]);
            return 2;
        }
    }
    req.arg[0] = vcpus;
    req.arg[1] = ram_mib << 20;
    req.arg[2] = spis;
    req.arg[4] = target;
    if (call(dir, &req, &rep, NULL)) {
        return 1;
    }
    printf("%llu\n", (unsigned long long)rep.arg[0]);
    return 0;
}

int hv_ctl_main(const char *dir, int argc, char **argv)
{
    struct xsp_msg req = { 0 };
    struct xsp_msg rep;
    const char *cmd = argv[0];

    if (strcmp(cmd, "status") == 0) {
        char *text = NULL;
        req.hdr.op = XSP_STATUS;
        if (call(dir, &req, &rep, &text)) {
            return 1;
        }
        fputs(text ? text : "", stdout);
        free(text);
        return 0;
    }
    if (strcmp(cmd, "create") == 0) {
        return cmd_create(dir, argc, argv);
    }
    if (strcmp(cmd, "destroy") == 0) {
        req.hdr.op = XSP_DOM_DESTROY;
    } else if (strcmp(cmd, "pause") == 0) {
        req.hdr.op = XSP_DOM_PAUSE;
    } else if (strcmp(cmd, "unpause") == 0) {
        req.hdr.op = XSP_DOM_UNPAUSE;
    } else {
        fprintf(stderr, "xensim-hv: unknown command '%s'\n", cmd);
        return 2;
    }
    if (argc != 2 || parse_u64(argv[1], &req.arg[0]) < 0) {
        fprintf(stderr, "xensim-hv: %s DOMID\n", cmd);
        return 2;
    }
    return call(dir, &req, &rep, NULL);
}
