/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drop-in libxendevicemodel.so.1 talking to xensim-hv. The dm_ops Xen on
 * Arm implements are forwarded; the x86-only ones fail with EOPNOTSUPP,
 * which is what Arm's dm_op returns for them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <xendevicemodel.h>

#include "simlib.h"

struct xendevicemodel_handle {
    struct simlib_conn conn;
    bool restricted;
    domid_t restrict_domid;
};

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
    xendevicemodel_handle *dmod = calloc(1, sizeof(*dmod));
    if (!dmod) {
        return NULL;
    }
    if (simlib_open(&dmod->conn, XSP_KIND_DM, NULL, 0) < 0) {
        int saved = errno;
        free(dmod);
        errno = saved;
        return NULL;
    }
    return dmod;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
    if (!dmod) {
        return 0;
    }
    simlib_close(&dmod->conn);
    free(dmod);
    return 0;
}

int xendevicemodel_restrict(xendevicemodel_handle *dmod, domid_t domid)
{
    if (dmod->restricted && dmod->restrict_domid != domid) {
        errno = EPERM;
        return -1;
    }
    dmod->restricted = true;
    dmod->restrict_domid = domid;
    return 0;
}

/* One dm_op: the privcmd restriction is checked here, the rest in the hv. */
static int dm_op(xendevicemodel_handle *dmod, uint32_t op, domid_t domid, struct xsp_msg *rep,
                 uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    if (dmod->restricted && domid != dmod->restrict_domid) {
        errno = EPERM;
        return -1;
    }
    return simlib_call_args(&dmod->conn, op, rep, domid, a1, a2, a3, a4);
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                       int handle_bufioreq, ioservid_t *id)
{
    struct xsp_msg rep;
    if (dm_op(dmod, XSP_IOREQ_CREATE, domid, &rep, (uint64_t)handle_bufioreq, 0, 0, 0) < 0) {
        return -1;
    }
    *id = (ioservid_t)rep.arg[0];
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *dmod, domid_t domid,
                                         ioservid_t id, xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *bufioreq_gfn, evtchn_port_t *bufioreq_port)
{
    struct xsp_msg rep;
    bool want_gfns = ioreq_gfn || bufioreq_gfn;
    if (dm_op(dmod, XSP_IOREQ_INFO, domid, &rep, id, want_gfns, 0, 0) < 0) {
        return -1;
    }
    if (bufioreq_port) {
        *bufioreq_port = (evtchn_port_t)rep.arg[0];
    }
    return 0;
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                ioservid_t id, int is_mmio, uint64_t start,
                                                uint64_t end)
{
    uint32_t type = is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT;
    return dm_op(dmod, XSP_IOREQ_MAP_RANGE, domid, NULL, id, type, start, end);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *dmod,
                                                    domid_t domid, ioservid_t id, int is_mmio,
                                                    uint64_t start, uint64_t end)
{
    uint32_t type = is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT;
    return dm_op(dmod, XSP_IOREQ_UNMAP_RANGE, domid, NULL, id, type, start, end);
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod, domid_t domid,
                                          ioservid_t id, int enabled)
{
    return dm_op(dmod, XSP_IOREQ_SET_STATE, domid, NULL, id, enabled != 0, 0, 0);
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                        ioservid_t id)
{
    return dm_op(dmod, XSP_IOREQ_DESTROY, domid, NULL, id, 0, 0, 0);
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid, unsigned int irq,
                                 unsigned int level)
{
    return dm_op(dmod, XSP_SET_IRQ_LEVEL, domid, NULL, irq, level, 0, 0);
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid, unsigned int *vcpus)
{
    struct xsp_msg rep;
    if (dm_op(dmod, XSP_NR_VCPUS, domid, &rep, 0, 0, 0, 0) < 0) {
        return -1;
    }
    *vcpus = (unsigned int)rep.arg[0];
    return 0;
}

/* x86-only dm_ops: Xen on Arm answers -EOPNOTSUPP. */
static int not_on_arm(void)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xendevicemodel_map_mem_type_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                ioservid_t id, uint16_t type, uint32_t flags)
{
    return not_on_arm();
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                              ioservid_t id, uint16_t segment, uint8_t bus,
                                              uint8_t device, uint8_t function)
{
    return not_on_arm();
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                  ioservid_t id, uint16_t segment, uint8_t bus,
                                                  uint8_t device, uint8_t function)
{
    return not_on_arm();
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *dmod, domid_t domid,
                                      uint16_t segment, uint8_t bus, uint8_t device,
                                      uint8_t intx, unsigned int level)
{
    return not_on_arm();
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *dmod, domid_t domid, uint8_t irq,
                                     unsigned int level)
{
    return not_on_arm();
}

int xendevicemodel_set_pci_link_route(xendevicemodel_handle *dmod, domid_t domid,
                                      uint8_t link, uint8_t irq)
{
    return not_on_arm();
}

int xendevicemodel_inject_msi(xendevicemodel_handle *dmod, domid_t domid, uint64_t msi_addr,
                              uint32_t msi_data)
{
    return not_on_arm();
}

int xendevicemodel_track_dirty_vram(xendevicemodel_handle *dmod, domid_t domid,
                                    uint64_t first_pfn, uint32_t nr,
                                    unsigned long *dirty_bitmap)
{
    return not_on_arm();
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint64_t first_pfn, uint32_t nr)
{
    return not_on_arm();
}

int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *dmod, domid_t domid,
                                        struct xen_dm_op_modified_memory_extent extents[],
                                        uint32_t nr)
{
    return not_on_arm();
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *dmod, domid_t domid,
                                hvmmem_type_t mem_type, uint64_t first_pfn, uint32_t nr)
{
    return not_on_arm();
}

int xendevicemodel_inject_event(xendevicemodel_handle *dmod, domid_t domid, int vcpu,
                                uint8_t vector, uint8_t type, uint32_t error_code,
                                uint8_t insn_len, uint64_t extra)
{
    return not_on_arm();
}

int xendevicemodel_shutdown(xendevicemodel_handle *dmod, domid_t domid, unsigned int reason)
{
    return not_on_arm();
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *dmod, domid_t domid, uint32_t size,
                                   uint64_t src_gfn, uint64_t dst_gfn)
{
    return not_on_arm();
}

int xendevicemodel_pin_memory_cacheattr(xendevicemodel_handle *dmod, domid_t domid,
                                        uint64_t start, uint64_t end, uint32_t type)
{
    return not_on_arm();
}
