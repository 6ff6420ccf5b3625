/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-hv internals shared by its source files.
 */
#ifndef XENSIM_HV_H
#define XENSIM_HV_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/dm_op.h>
#include <xen/memory.h>

#include "proto.h"

#define HV_MAX_SERVERS 8        /* MAX_NR_IOREQ_SERVERS */
#define HV_MAX_RANGES 256       /* per range type, as Xen's rangeset limit */
#define HV_MAX_PORTS 4096
#define HV_MAX_DOMID 0x7ff0     /* DOMID_FIRST_RESERVED */
#define HV_MAX_PENDING_IRQS 1024

struct conn {
    int fd;
    uint32_t domid;             /* identity given in HELLO */
    uint32_t kind;              /* enum xsp_kind, 0 before HELLO */
    uint32_t vcpu;              /* XSP_KIND_VCPU */
    int evt_fd;                 /* our end of the event socket, or -1 */
    int irq_fd;                 /* our end of the guest interrupt socket, or -1 */
    bool dead;                  /* closed at the end of the loop iteration */
    char *inbuf;
    size_t inlen;
    size_t incap;
    struct conn *next;
};

enum evtchn_state { EVT_FREE = 0, EVT_UNBOUND, EVT_INTERDOMAIN };

struct evtchn {
    uint8_t state;
    bool xen_vcpu;              /* a guest's ioreq port: consumed by the hv */
    bool masked;                /* delivered, not yet unmasked */
    bool pending;               /* raised while masked */
    uint16_t srv;               /* xen_vcpu: server id */
    uint16_t vcpu;              /* xen_vcpu: vCPU */
    uint32_t remote_dom;
    uint32_t remote_port;
    struct conn *owner;         /* user port: the evtchn handle */
};

struct io_range {
    uint32_t type;
    uint64_t start;
    uint64_t end;               /* inclusive */
};

struct ioreq_server {
    bool exists;
    bool enabled;
    bool invalidate_pending;    /* send IOREQ_TYPE_INVALIDATE before next access */
    uint32_t emulator;          /* creating domain */
    int memfd;
    ioreq_t *page;              /* shared_iopage_t */
    uint32_t port[XSP_MAX_VCPUS];
    struct io_range *ranges;
    unsigned nranges;
};

enum vcpu_phase {
    VCPU_IDLE = 0,
    VCPU_QUEUED,                /* access accepted, not yet sent (paused, ...) */
    VCPU_WAITING,               /* ioreq READY in a server's page */
};

struct vcpu {
    enum vcpu_phase phase;
    struct conn *waiter;        /* the vCPU connection blocked on the reply */
    unsigned srv;               /* VCPU_WAITING: server holding the request */
    bool invalidating;          /* VCPU_WAITING on an INVALIDATE, not the access */
    uint8_t last_state;         /* last ioreq state seen, to catch going back */
    uint64_t addr;
    uint64_t data;
    uint32_t size;
    uint8_t dir;
};

struct domain {
    uint32_t domid;
    char name[32];
    uint32_t nvcpus;
    uint32_t nr_spis;
    uint64_t ram_bytes;
    uint32_t target;            /* device-model domain, XSP_NO_DOMID if none */
    int ram_fd;
    int gnt_fd;
    grant_entry_v1_t *gnt;
    uint32_t *gnt_readers;      /* per ref: live mappings */
    uint32_t *gnt_writers;      /* per ref: live writable mappings */
    unsigned pause_count;
    bool dying;
    bool crashed;
    struct ioreq_server servers[HV_MAX_SERVERS];
    struct vcpu *vcpus;
    struct evtchn *ports;
    uint32_t nports;
    uint64_t foreign_pages;
    uint64_t grant_maps;
    uint64_t resource_maps;
    uint32_t pending_irqs[HV_MAX_PENDING_IRQS];
    unsigned npending_irqs;
};

/* ctl.c: the client-side subcommands of xensim-hv. */
int hv_ctl_main(const char *dir, int argc, char **argv);

#endif
