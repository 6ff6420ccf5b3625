/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtio 1.2 constants and split-ring layouts used by the portable core.
 *
 * Defined here rather than taken from <linux/virtio_*.h> because the core
 * must build freestanding (RTOS, unikernel, arm-none-eabi) where the Linux
 * uapi headers do not exist. Names follow the specification.
 */
#ifndef XV_VIRTIO_SPEC_H
#define XV_VIRTIO_SPEC_H

#include <stdint.h>

/* Device status (virtio 1.2 §2.1). */
#define XV_STATUS_ACKNOWLEDGE        1u
#define XV_STATUS_DRIVER             2u
#define XV_STATUS_DRIVER_OK          4u
#define XV_STATUS_FEATURES_OK        8u
#define XV_STATUS_DEVICE_NEEDS_RESET 64u
#define XV_STATUS_FAILED             128u

/* Reserved feature bits (virtio 1.2 §6). */
#define XV_F_INDIRECT_DESC   28
#define XV_F_EVENT_IDX       29
#define XV_F_VERSION_1       32
#define XV_F_ACCESS_PLATFORM 33
#define XV_F_RING_PACKED     34
#define XV_F_RING_RESET      40
#define XV_FEATURE(bit)      (1ull << (bit))

/* virtio-mmio register offsets (virtio 1.2 §4.2.2). */
#define XV_MMIO_MAGIC_VALUE          0x000
#define XV_MMIO_VERSION              0x004
#define XV_MMIO_DEVICE_ID            0x008
#define XV_MMIO_VENDOR_ID            0x00c
#define XV_MMIO_DEVICE_FEATURES      0x010
#define XV_MMIO_DEVICE_FEATURES_SEL  0x014
#define XV_MMIO_DRIVER_FEATURES      0x020
#define XV_MMIO_DRIVER_FEATURES_SEL  0x024
#define XV_MMIO_QUEUE_SEL            0x030
#define XV_MMIO_QUEUE_NUM_MAX        0x034
#define XV_MMIO_QUEUE_NUM            0x038
#define XV_MMIO_QUEUE_READY          0x044
#define XV_MMIO_QUEUE_NOTIFY         0x050
#define XV_MMIO_INTERRUPT_STATUS     0x060
#define XV_MMIO_INTERRUPT_ACK        0x064
#define XV_MMIO_STATUS               0x070
#define XV_MMIO_QUEUE_DESC_LOW       0x080
#define XV_MMIO_QUEUE_DESC_HIGH      0x084
#define XV_MMIO_QUEUE_DRIVER_LOW     0x090
#define XV_MMIO_QUEUE_DRIVER_HIGH    0x094
#define XV_MMIO_QUEUE_DEVICE_LOW     0x0a0
#define XV_MMIO_QUEUE_DEVICE_HIGH    0x0a4
#define XV_MMIO_SHM_SEL              0x0ac
#define XV_MMIO_SHM_LEN_LOW          0x0b0
#define XV_MMIO_SHM_LEN_HIGH         0x0b4
#define XV_MMIO_SHM_BASE_LOW         0x0b8
#define XV_MMIO_SHM_BASE_HIGH        0x0bc
#define XV_MMIO_QUEUE_RESET          0x0c0
#define XV_MMIO_CONFIG_GENERATION    0x0fc
#define XV_MMIO_CONFIG               0x100
/* One device's window as libxl lays it out (VIRTIO_MMIO_DEV_SIZE). */
#define XV_MMIO_WINDOW_SIZE          0x200
#define XV_MMIO_CONFIG_MAX           (XV_MMIO_WINDOW_SIZE - XV_MMIO_CONFIG)

#define XV_MMIO_MAGIC                0x74726976u /* "virt" */
#define XV_MMIO_VERSION_MODERN       2u

#define XV_MMIO_INT_VRING            1u
#define XV_MMIO_INT_CONFIG           2u

/* Split virtqueue (virtio 1.2 §2.7). All fields little-endian in guest memory. */
#define XV_VRING_DESC_F_NEXT         1u
#define XV_VRING_DESC_F_WRITE        2u
#define XV_VRING_DESC_F_INDIRECT     4u
#define XV_VRING_USED_F_NO_NOTIFY    1u
#define XV_VRING_AVAIL_F_NO_INTERRUPT 1u

#define XV_VQ_MAX_SIZE               32768u

struct xv_vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct xv_vring_used_elem {
    uint32_t id;
    uint32_t len;
};

/* Byte sizes of the three split-ring areas for a queue of 'num' entries,
 * including the event-idx trailer words. */
#define XV_VRING_DESC_BYTES(num)  (16ull * (num))
#define XV_VRING_AVAIL_BYTES(num) (6ull + 2ull * (num))
#define XV_VRING_USED_BYTES(num)  (6ull + 8ull * (num))

/* Device IDs (virtio 1.2 §5). */
#define XV_ID_BLOCK 2u
#define XV_ID_RNG   4u
#define XV_ID_I2C   34u
#define XV_ID_SCMI  32u

#endif
