/* SPDX-License-Identifier: Apache-2.0 */
#include "core_private.h"

static const char *const fault_names[XV_FAULT_COUNT] = {
    [XV_FAULT_NONE] = "none",
    [XV_FAULT_AVAIL_IDX] = "avail idx more than queue size ahead",
    [XV_FAULT_HEAD_INDEX] = "chain head out of range",
    [XV_FAULT_NEXT_INDEX] = "descriptor next out of range",
    [XV_FAULT_CHAIN_LOOP] = "descriptor chain loops",
    [XV_FAULT_INDIRECT_NESTED] = "indirect descriptor inside indirect table",
    [XV_FAULT_INDIRECT_LEN] = "indirect table length invalid",
    [XV_FAULT_INDIRECT_NEXT] = "indirect descriptor with NEXT",
    [XV_FAULT_INDIRECT_UNNEGOTIATED] = "indirect descriptor not negotiated",
    [XV_FAULT_READ_AFTER_WRITE] = "readable descriptor after writable",
    [XV_FAULT_RING_MAP] = "ring memory not accessible",
    [XV_FAULT_QUEUE_CONFIG] = "invalid queue configuration",
    [XV_FAULT_DRIVER_OK_EARLY] = "DRIVER_OK without FEATURES_OK",
    [XV_FAULT_USED_ID] = "completion of a chain not in flight",
    [XV_FAULT_DEVICE] = "device error",
    [XV_FAULT_ADDR_OVERFLOW] = "buffer address + length overflows",
    [XV_FAULT_BUF_MAP] = "buffer memory not accessible",
    [XV_FAULT_TOO_MANY_SEGS] = "too many segments in chain",
    [XV_FAULT_TOTAL_LEN] = "chain length overflows",
    [XV_FAULT_MMIO_WIDTH] = "register access of wrong width",
    [XV_FAULT_MMIO_OFFSET] = "register access to invalid offset",
};

const char *xv_fault_name(enum xv_fault fault)
{
    if ((unsigned)fault >= XV_FAULT_COUNT)
        return "unknown";
    return fault_names[fault];
}

bool xv_fault_needs_reset(enum xv_fault fault)
{
    return fault > XV_FAULT_NONE && fault < XV_FAULT_ADDR_OVERFLOW;
}

void xv_report(struct xv_device *dev, int queue, enum xv_fault fault)
{
    const struct xv_platform *p = dev->platform;

    if (p->fault)
        p->fault(p->opaque, dev, queue, fault);
}
