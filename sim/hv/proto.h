/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire protocol between xensim-hv and its clients (the drop-in Xen
 * libraries, the guest API and xensim-ctl).
 *
 * Transport: a SOCK_STREAM Unix socket, $XENSIM_DIR/hv.sock. Every message,
 * in both directions, is a struct xsp_msg followed by hdr.len -
 * sizeof(struct xsp_msg) bytes of op-specific data. Replies may carry file
 * descriptors (SCM_RIGHTS, attached to the first byte of the reply); their
 * number is hdr.nfds. Clients are synchronous: one request, then its reply.
 *
 * The first message on a connection must be XSP_HELLO; it fixes the caller's
 * identity (domid) and kind for the connection's lifetime. Privilege is
 * checked against that domid (0 = dom0 = control domain).
 *
 * Resources a connection acquires (event channel ports, mappings) belong to
 * it and are released when it closes, as the kernel releases them when a
 * process exits.
 */
#ifndef XENSIM_PROTO_H
#define XENSIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define XSP_SOCKET_NAME "hv.sock"
#define XSP_MAX_MSG (16u << 20)
#define XSP_MAX_FDS 16
#define XSP_PAGE_SIZE 4096u
#define XSP_PAGE_SHIFT 12
/* Guest RAM starts here (GUEST_RAM0_BASE on Arm): frame N of the RAM memfd. */
#define XSP_RAM_BASE 0x40000000ull
#define XSP_RAM_BASE_PFN (XSP_RAM_BASE >> XSP_PAGE_SHIFT)
#define XSP_MAX_VCPUS 128      /* one shared ioreq page */
#define XSP_DEFAULT_NR_SPIS 64 /* xensim-hv create without --spis */
#define XSP_GNT_FRAMES 4       /* grant table size: 4 pages of v1 entries */
#define XSP_GNT_ENTRIES (XSP_GNT_FRAMES * XSP_PAGE_SIZE / 8)
#define XSP_NO_DOMID 0xffffu

enum xsp_kind {
    XSP_KIND_CTL = 1,      /* xensim-ctl, libxenctrl */
    XSP_KIND_DM,           /* libxendevicemodel */
    XSP_KIND_FMEM,         /* libxenforeignmemory */
    XSP_KIND_EVTCHN,       /* libxenevtchn: gets an event socket */
    XSP_KIND_GNTTAB,       /* libxengnttab */
    XSP_KIND_GUEST,        /* guest API attach: RAM, grant table, irq socket */
    XSP_KIND_VCPU,         /* guest API: one connection per vCPU for MMIO */
};

/*
 * Ops. "a" means request arg[], "r" reply arg[]; "data"/"fds" as named.
 * Errors come back as hdr.err (a positive errno), never partial results.
 */
enum xsp_op {
    /* a0 domid, a1 kind, a2 vcpu (VCPU kind).
     * EVTCHN: fds[0] = event socket (SOCK_SEQPACKET, 4-byte ports).
     * GUEST: fds = {RAM memfd, grant table memfd, irq socket};
     *        r0 ram bytes, r1 vcpus, r2 grant entries, r3 nr_spis. */
    XSP_HELLO = 1,

    /* dom0 only. name; a0 vcpus, a1 ram bytes, a2 nr_spis (0: default),
     * a3 XSP_CREATE_* flags, a4 target (device-model) domid or
     * XSP_NO_DOMID. r0 domid. */
    XSP_DOM_CREATE,
    XSP_DOM_DESTROY,       /* a0 domid */
    XSP_DOM_PAUSE,         /* a0 domid */
    XSP_DOM_UNPAUSE,       /* a0 domid */
    /* a0 first domid, a1 max entries. data: struct xsp_dominfo[r0].
     * Zombies are included (XSP_DOMF_DYING). */
    XSP_DOM_LIST,
    XSP_DOM_SET_TARGET,    /* a0 domid, a1 target domid */

    XSP_IOREQ_CREATE,      /* a0 dom, a1 handle_bufioreq. r0 id */
    XSP_IOREQ_INFO,        /* a0 dom, a1 id, a2 want gfns. r0 bufioreq port */
    XSP_IOREQ_MAP_RANGE,   /* a0 dom, a1 id, a2 type, a3 start, a4 end */
    XSP_IOREQ_UNMAP_RANGE, /* same */
    XSP_IOREQ_SET_STATE,   /* a0 dom, a1 id, a2 enabled */
    XSP_IOREQ_DESTROY,     /* a0 dom, a1 id */
    XSP_NR_VCPUS,          /* a0 dom. r0 vcpus */
    XSP_SET_IRQ_LEVEL,     /* a0 dom, a1 irq, a2 level */

    XSP_RES_SIZE,          /* a0 dom, a1 type, a2 id. r0 bytes */
    /* a0 dom, a1 type, a2 id, a3 frame, a4 nr frames, a5 writable.
     * fds[0] memfd to mmap at offset r0; r1 mapping token. */
    XSP_RES_MAP,
    XSP_RES_UNMAP,         /* a0 token */
    /* a0 dom, a1 pages, a2 writable; data: uint64_t gfns[pages].
     * fds[0] RAM memfd; data: struct xsp_page[pages]; r0 token. */
    XSP_FOREIGN_MAP,
    XSP_FOREIGN_UNMAP,     /* a0 token, a1 pages released */

    XSP_EVT_BIND_INTERDOMAIN, /* a0 remote dom, a1 remote port. r0 port */
    XSP_EVT_BIND_UNBOUND,  /* a0 remote dom. r0 port */
    XSP_EVT_NOTIFY,        /* a0 port */
    XSP_EVT_UNMASK,        /* a0 port; one-way: no reply */
    XSP_EVT_UNBIND,        /* a0 port */

    /* a0 count, a1 writable; data: uint32_t domids[count], refs[count].
     * fds: RAM memfds; data: struct xsp_page[count]; r0 token. */
    XSP_GNT_MAP,
    XSP_GNT_UNMAP,         /* a0 token */

    /* VCPU connections only. a0 addr, a1 size, a2 dir (IOREQ_READ/WRITE),
     * a3 data (the full register). r0 data (unmasked, as Xen 4.17). */
    XSP_MMIO,

    XSP_STATUS,            /* data: human readable status text */
};

#define XSP_CREATE_PAUSED 1u

#define XSP_DOMF_DYING    1u
#define XSP_DOMF_PAUSED   2u
#define XSP_DOMF_CRASHED  4u

struct xsp_hdr {
    uint32_t len;   /* whole message, this header included */
    uint32_t op;
    int32_t err;    /* replies: 0 or a positive errno */
    uint32_t nfds;  /* replies: descriptors passed with SCM_RIGHTS */
};

struct xsp_msg {
    struct xsp_hdr hdr;
    uint64_t arg[6];
    char name[32];
};

/* Where one mapped page lives: descriptor index in the reply and offset. */
struct xsp_page {
    int32_t err;        /* 0 or -errno */
    uint32_t fd_index;
    uint64_t offset;
};

struct xsp_dominfo {
    uint32_t domid;
    uint32_t flags;          /* XSP_DOMF_* */
    uint32_t vcpus;
    uint32_t nr_spis;
    uint64_t ram_bytes;
    uint32_t target;         /* device-model domain or XSP_NO_DOMID */
    uint32_t nr_servers;
    uint64_t foreign_pages;  /* pages mapped by xenforeignmemory_map */
    uint64_t grant_maps;     /* grant refs mapped by gnttab */
    uint64_t resource_maps;  /* acquired resources (ioreq pages) */
    char name[32];
};

/* Client helper (proto_client.c), compiled into each library. */

/* Connect to $XENSIM_DIR/hv.sock and say hello. Returns the socket, or -1
 * with errno set. reply/fds may be NULL. */
int xsp_connect(uint32_t domid, uint32_t kind, uint32_t vcpu,
                struct xsp_msg *reply, int *fds, unsigned max_fds);
/* Identity of this process: $XENSIM_DOMID, default 0. */
uint32_t xsp_self_domid(void);
/* One request and its reply. reply_data (malloc'd, may be NULL) gets the
 * reply's trailing data; fds up to max_fds received descriptors (others are
 * closed). Returns 0, or -1 with errno set (hdr.err or a transport error). */
int xsp_call(int sock, struct xsp_msg *req, const void *data, size_t data_len,
             struct xsp_msg *reply, void **reply_data, size_t *reply_len,
             int *fds, unsigned max_fds);
/* Low level, shared with the server. */
int xsp_send(int sock, struct xsp_msg *msg, const void *data, size_t data_len,
             const int *fds, unsigned nfds);
int xsp_recv(int sock, struct xsp_msg *msg, void **data, size_t *data_len,
             int *fds, unsigned max_fds);

#endif
