/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drop-in libxenctrl.so.4.17: the domain queries and controls a backend or
 * toolstack uses, forwarded to xensim-hv. Everything else resolves to an
 * ENOSYS stub (xenctrl_stubs.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>
#include <xen/sched.h>

#include "simlib.h"

struct xc_interface_core {
    struct simlib_conn conn;
    xc_error last_error;
};

/* Exported by the real library (used by the DECLARE_HYPERCALL macros). */
extern xc_hypercall_buffer_t XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL);
xc_hypercall_buffer_t XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL);

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    xc_interface *xch = calloc(1, sizeof(*xch));
    if (!xch) {
        return NULL;
    }
    if (simlib_open(&xch->conn, XSP_KIND_CTL, NULL, 0) < 0) {
        int saved = errno;
        free(xch);
        errno = saved;
        return NULL;
    }
    return xch;
}

int xc_interface_close(xc_interface *xch)
{
    if (!xch) {
        return 0;
    }
    simlib_close(&xch->conn);
    free(xch);
    return 0;
}

static int fail(xc_interface *xch, int err)
{
    xch->last_error.code = XC_INTERNAL_ERROR;
    snprintf(xch->last_error.message, sizeof(xch->last_error.message), "%s", strerror(err));
    errno = err;
    return -1;
}

static int list_domains(xc_interface *xch, uint32_t first, unsigned max,
                        struct xsp_dominfo **out)
{
    struct xsp_msg req = { .hdr.op = XSP_DOM_LIST };
    struct xsp_msg rep;
    void *data = NULL;
    size_t len = 0;
    req.arg[0] = first;
    req.arg[1] = max;
    if (simlib_call(&xch->conn, &req, NULL, 0, &rep, &data, &len, NULL, 0) < 0) {
        return fail(xch, errno);
    }
    if (len != rep.arg[0] * sizeof(struct xsp_dominfo)) {
        free(data);
        return fail(xch, EPROTO);
    }
    *out = data;
    return (int)rep.arg[0];
}

static uint32_t dominf_flags(const struct xsp_dominfo *in)
{
    /* Arm guests are HVM with HAP. */
    uint32_t flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    if (in->flags & XSP_DOMF_DYING) {
        flags |= XEN_DOMINF_dying;
    }
    if (in->flags & XSP_DOMF_PAUSED) {
        flags |= XEN_DOMINF_paused;
    }
    if (in->flags & XSP_DOMF_CRASHED) {
        flags |= XEN_DOMINF_shutdown | (SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
    }
    if (!(in->flags & (XSP_DOMF_DYING | XSP_DOMF_PAUSED | XSP_DOMF_CRASHED))) {
        flags |= XEN_DOMINF_blocked;
    }
    return flags;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
                          xc_domaininfo_t *info)
{
    struct xsp_dominfo *doms = NULL;
    int n = list_domains(xch, first_domain, max_domains, &doms);
    for (int i = 0; i < n; i++) {
        memset(&info[i], 0, sizeof(info[i]));
        info[i].domain = (domid_t)doms[i].domid;
        info[i].flags = dominf_flags(&doms[i]);
        info[i].tot_pages = doms[i].ram_bytes / XSP_PAGE_SIZE;
        info[i].max_pages = info[i].tot_pages;
        info[i].nr_online_vcpus = doms[i].vcpus;
        info[i].max_vcpu_id = doms[i].vcpus - 1;
        info[i].cpupool = 0;
    }
    free(doms);
    return n;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms,
                      xc_dominfo_t *info)
{
    struct xsp_dominfo *doms = NULL;
    int n = list_domains(xch, first_domid, max_doms, &doms);
    for (int i = 0; i < n; i++) {
        uint32_t flags = dominf_flags(&doms[i]);
        memset(&info[i], 0, sizeof(info[i]));
        info[i].domid = doms[i].domid;
        info[i].dying = !!(flags & XEN_DOMINF_dying);
        info[i].crashed = !!(doms[i].flags & XSP_DOMF_CRASHED);
        info[i].shutdown = !!(flags & XEN_DOMINF_shutdown);
        info[i].paused = !!(flags & XEN_DOMINF_paused);
        info[i].blocked = !!(flags & XEN_DOMINF_blocked);
        info[i].hvm = 1;
        info[i].hap = 1;
        info[i].shutdown_reason = info[i].crashed ? SHUTDOWN_crash : 0;
        info[i].nr_pages = doms[i].ram_bytes / XSP_PAGE_SIZE;
        info[i].max_memkb = doms[i].ram_bytes / 1024;
        info[i].nr_online_vcpus = doms[i].vcpus;
        info[i].max_vcpu_id = doms[i].vcpus - 1;
        info[i].gpaddr_bits = 40;
    }
    free(doms);
    return n;
}

static int simple(xc_interface *xch, uint32_t op, uint32_t domid, uint64_t a1)
{
    if (simlib_call_args(&xch->conn, op, NULL, domid, a1, 0, 0, 0) < 0) {
        return fail(xch, errno);
    }
    return 0;
}

int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
    return simple(xch, XSP_DOM_PAUSE, domid, 0);
}

int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
    return simple(xch, XSP_DOM_UNPAUSE, domid, 0);
}

int xc_domain_destroy(xc_interface *xch, uint32_t domid)
{
    return simple(xch, XSP_DOM_DESTROY, domid, 0);
}

int xc_domain_set_target(xc_interface *xch, uint32_t domid, uint32_t target)
{
    return simple(xch, XSP_DOM_SET_TARGET, domid, target);
}

const char *xc_error_code_to_desc(int code)
{
    switch (code) {
    case XC_ERROR_NONE: return "No error details";
    case XC_INTERNAL_ERROR: return "Internal error";
    case XC_INVALID_KERNEL: return "Invalid kernel";
    case XC_INVALID_PARAM: return "Invalid configuration";
    case XC_OUT_OF_MEMORY: return "Out of memory";
    default: return "Unknown error code";
    }
}

const char *xc_strerror(xc_interface *xch, int errcode)
{
    return strerror(errcode);
}

const xc_error *xc_get_last_error(xc_interface *xch)
{
    return &xch->last_error;
}

void xc_clear_last_error(xc_interface *xch)
{
    xch->last_error.code = XC_ERROR_NONE;
    xch->last_error.message[0] = '\0';
}
