/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated toolstack (xl/libxl stand-in): see sim/README.md. */
#ifndef TS_TOOLSTACK_H
#define TS_TOOLSTACK_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

#define TS_DEVICES_MAX 11   /* the SPIs libxl has for virtio: 33..43 */

enum ts_kind { TS_VIRTIO_DISK, TS_VIRTIO };

struct ts_device {
    enum ts_kind kind;
    unsigned backend_domid;
    unsigned devid;
    bool grant_usage;
    /* disks */
    char vdev[16];
    char target[256];
    bool readonly;
    int discard;                /* xl's discard / no-discard; -1: unsaid */
    /* generic: "virtio,device22" */
    char type[32];
    /* allocated like libxl_arm.c */
    uint64_t base;
    unsigned irq;
};

struct ts_guest {
    char name[32];      /* as Xen's domain name limit here */
    unsigned domid;
    unsigned vcpus;
    uint64_t memory_kb;
    int layout;                 /* 417, 418 or 419: which libxl we imitate */
    bool vuart;                 /* xl's vuart = "sbsa_uart": SPI 32 */
    struct ts_device devices[TS_DEVICES_MAX];
    unsigned nr_devices;
};

void ts_allocate_slots(struct ts_guest *g);
unsigned ts_nr_spis(struct ts_guest *g);
int ts_write_domain(struct xs_handle *xs, const struct ts_guest *g);
int ts_add_devices(struct xs_handle *xs, struct ts_guest *g, int timeout_ms);
int ts_remove_devices(struct xs_handle *xs, const struct ts_guest *g,
                      int timeout_ms, bool *clean);
int ts_remove_domain(struct xs_handle *xs, const struct ts_guest *g);
int ts_wait_node(struct xs_handle *xs, const char *path, int want, int timeout_ms);

#endif
