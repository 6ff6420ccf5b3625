/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ioreq_echo: a minimal IOREQ server, built against the real Debian Xen
 * libraries and run on the simulator's drop-ins via LD_LIBRARY_PATH.
 *
 *   ioreq_echo DOMID BASE SIZE [--stall OFF] [--backwards OFF]
 *
 * Serves [BASE, BASE+SIZE) as a byte register file: writes store `size`
 * bytes (the 4.17 data is masked here, as a backend must), reads return
 * them zero-extended. Special offsets, for the tests:
 *   SIZE-8   read: the raw 64-bit data of the last write, unmasked
 *   SIZE-16  read: 0xdeadbeef00000000 | 0x1234 (high garbage on purpose)
 *   --stall OFF      never answer an access to OFF (it stays INPROCESS)
 *   --backwards OFF  answer OFF with INPROCESS, notify, then READY (backwards)
 * Prints "lib NAME PATH" for the loaded Xen libraries, "ready", then one
 * "req ..." line per request. On SIGTERM it tears down like virtio-disk and
 * prints "cleanup unbind=R disable=R unmap=R destroy=R" (R = 0 or errno).
 */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <unistd.h>

#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#define MAX_VCPUS 128

static int print_lib(struct dl_phdr_info *info, size_t size, void *unused)
{
    if (strstr(info->dlpi_name, "libxen")) {
        printf("lib %s\n", info->dlpi_name);
    }
    return 0;
}

static int result(int r)
{
    return r < 0 ? errno : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ioreq_echo DOMID BASE SIZE [--stall OFF] [--backwards OFF]\n");
        return 2;
    }
    domid_t dom = (domid_t)strtoul(argv[1], NULL, 0);
    uint64_t base = strtoull(argv[2], NULL, 0);
    uint64_t size = strtoull(argv[3], NULL, 0);
    uint64_t stall_off = UINT64_MAX, backwards_off = UINT64_MAX;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--stall") == 0) {
            stall_off = strtoull(argv[i + 1], NULL, 0);
        } else if (strcmp(argv[i], "--backwards") == 0) {
            backwards_off = strtoull(argv[i + 1], NULL, 0);
        }
    }
    uint8_t *regs = calloc(size, 1);
    uint64_t last_raw_write = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    dl_iterate_phdr(print_lib, NULL);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, 0);

    xendevicemodel_handle *xdm = xendevicemodel_open(NULL, 0);
    xenforeignmemory_handle *xfm = xenforeignmemory_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    if (!xdm || !xfm || !xce) {
        perror("ioreq_echo: open");
        return 1;
    }
    unsigned nvcpus;
    ioservid_t id;
    if (xendevicemodel_nr_vcpus(xdm, dom, &nvcpus) < 0 ||
        xendevicemodel_create_ioreq_server(xdm, dom, HVM_IOREQSRV_BUFIOREQ_OFF, &id) < 0) {
        perror("ioreq_echo: create");
        return 1;
    }
    void *addr = NULL;
    xenforeignmemory_resource_handle *res = xenforeignmemory_map_resource(
        xfm, dom, XENMEM_resource_ioreq_server, id, XENMEM_resource_ioreq_server_frame_ioreq(0),
        1, &addr, PROT_READ | PROT_WRITE, 0);
    if (!res || xendevicemodel_set_ioreq_server_state(xdm, dom, id, 1) < 0) {
        perror("ioreq_echo: map/enable");
        return 1;
    }
    shared_iopage_t *page = addr;
    evtchn_port_t local[MAX_VCPUS];
    for (unsigned v = 0; v < nvcpus && v < MAX_VCPUS; v++) {
        int port = xenevtchn_bind_interdomain(xce, dom, page->vcpu_ioreq[v].vp_eport);
        if (port < 0) {
            perror("ioreq_echo: bind");
            return 1;
        }
        local[v] = (evtchn_port_t)port;
    }
    if (xendevicemodel_map_io_range_to_ioreq_server(xdm, dom, id, 1, base, base + size - 1) < 0) {
        perror("ioreq_echo: map range");
        return 1;
    }
    printf("ready\n");

    struct pollfd pfds[2] = {
        { .fd = xenevtchn_fd(xce), .events = POLLIN },
        { .fd = sfd, .events = POLLIN },
    };
    for (;;) {
        if (poll(pfds, 2, -1) < 0) {
            continue;
        }
        if (pfds[1].revents) {
            break;
        }
        int port = xenevtchn_pending(xce);
        if (port < 0) {
            break;
        }
        xenevtchn_unmask(xce, (evtchn_port_t)port);
        unsigned v;
        for (v = 0; v < nvcpus && local[v] != (evtchn_port_t)port; v++) {
        }
        if (v == nvcpus) {
            continue;
        }
        ioreq_t *req = &page->vcpu_ioreq[v];
        if (req->state != STATE_IOREQ_READY) {
            continue;
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        req->state = STATE_IOREQ_INPROCESS;
        printf("req vcpu=%u type=%u addr=%#llx size=%u dir=%u data=%#llx\n", v, req->type,
               (unsigned long long)req->addr, req->size, req->dir,
               (unsigned long long)req->data);
        if (req->type == IOREQ_TYPE_COPY) {
            uint64_t off = req->addr - base;
            if (off == stall_off) {
                continue;
            }
            if (off == backwards_off) {
                /* Let Xen see INPROCESS first, then go back to READY. */
                xenevtchn_notify(xce, local[v]);
                usleep(200000);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                req->state = STATE_IOREQ_READY;
                xenevtchn_notify(xce, local[v]);
                continue;
            }
            if (req->dir == IOREQ_WRITE) {
                last_raw_write = req->data;
                /* Xen 4.17 hands over the whole register: keep `size` bytes. */
                memcpy(regs + off, &req->data, req->size);
            } else if (off == size - 8) {
                req->data = last_raw_write;
            } else if (off == size - 16) {
                req->data = 0xdeadbeef00000000ull | 0x1234;
            } else {
                uint64_t value = 0;
                memcpy(&value, regs + off, req->size);
                req->data = value;
            }
        }
        /* INVALIDATE and anything else must be answered too. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        req->state = STATE_IORESP_READY;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        xenevtchn_notify(xce, local[v]);
    }

    int unbind = 0;
    for (unsigned v = 0; v < nvcpus; v++) {
        if (xenevtchn_unbind(xce, local[v]) < 0 && !unbind) {
            unbind = errno;
        }
    }
    int disable = result(xendevicemodel_set_ioreq_server_state(xdm, dom, id, 0));
    int unmap = result(xenforeignmemory_unmap_resource(xfm, res));
    int destroy = result(xendevicemodel_destroy_ioreq_server(xdm, dom, id));
    printf("cleanup unbind=%d disable=%d unmap=%d destroy=%d\n", unbind, disable, unmap,
           destroy);
    xenevtchn_close(xce);
    xenforeignmemory_close(xfm);
    xendevicemodel_close(xdm);
    free(regs);
    return 0;
}
