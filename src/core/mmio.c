/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio register file (virtio 1.2 §4.2.2, Version 2 only).
 * Every value comes from the guest: nothing here trusts it.
 */
#include "core_private.h"

static int refuse(struct xv_device *dev, enum xv_fault why)
{
    xv_report(dev, -1, why);
    return -EINVAL;
}

static struct xv_vq *selected_vq(struct xv_device *dev)
{
    if (dev->queue_sel >= dev->num_queues)
        return NULL;
    return &dev->vqs[dev->queue_sel];
}

static int config_read(struct xv_device *dev, uint32_t off, unsigned size,
                       uint32_t *value)
{
    uint8_t bytes[4] = { 0 };

    if (size != 1 && size != 2 && size != 4)
        return refuse(dev, XV_FAULT_MMIO_WIDTH);
    if (off + size > dev->ops->config_size)
        return refuse(dev, XV_FAULT_MMIO_OFFSET);
    if (dev->ops->config_read)
        dev->ops->config_read(dev, off, bytes, size);
    *value = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 |
             (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    return 0;
}

static int config_write(struct xv_device *dev, uint32_t off, unsigned size,
                        uint32_t value)
{
    uint8_t bytes[4] = { (uint8_t)value, (uint8_t)(value >> 8),
                         (uint8_t)(value >> 16), (uint8_t)(value >> 24) };

    if (size != 1 && size != 2 && size != 4)
        return refuse(dev, XV_FAULT_MMIO_WIDTH);
    if (off + size > dev->ops->config_size)
        return refuse(dev, XV_FAULT_MMIO_OFFSET);
    if (dev->ops->config_write)
        dev->ops->config_write(dev, off, bytes, size);
    return 0;
}

static uint32_t queue_register(struct xv_device *dev, uint32_t offset)
{
    struct xv_vq *vq = selected_vq(dev);

    if (!vq)
        return 0;
    switch (offset) {
    case XV_MMIO_QUEUE_NUM_MAX:
        return dev->queue_max_size;
    case XV_MMIO_QUEUE_READY:
        return vq->ready;
    default: /* XV_MMIO_QUEUE_RESET */
        return vq->reset;
    }
}

int xv_mmio_read(struct xv_device *dev, uint32_t offset, unsigned size,
                 uint32_t *value)
{
    uint64_t features;

    *value = 0;
    if (offset >= XV_MMIO_WINDOW_SIZE)
        return refuse(dev, XV_FAULT_MMIO_OFFSET);
    if (offset >= XV_MMIO_CONFIG)
        return config_read(dev, offset - XV_MMIO_CONFIG, size, value);
    if (size != 4)
        return refuse(dev, XV_FAULT_MMIO_WIDTH);

    switch (offset) {
    case XV_MMIO_MAGIC_VALUE:
        *value = XV_MMIO_MAGIC;
        break;
    case XV_MMIO_VERSION:
        *value = XV_MMIO_VERSION_MODERN;
        break;
    case XV_MMIO_DEVICE_ID:
        *value = dev->ops->device_id;
        break;
    case XV_MMIO_VENDOR_ID:
        *value = dev->vendor_id;
        break;
    case XV_MMIO_DEVICE_FEATURES:
        features = xv_device_features(dev);
        if (dev->device_features_sel == 0)
            *value = (uint32_t)features;
        else if (dev->device_features_sel == 1)
            *value = (uint32_t)(features >> 32);
        break;
    case XV_MMIO_QUEUE_NUM_MAX:
    case XV_MMIO_QUEUE_READY:
    case XV_MMIO_QUEUE_RESET:
        *value = queue_register(dev, offset);
        break;
    case XV_MMIO_INTERRUPT_STATUS:
        *value = dev->interrupt_status;
        break;
    case XV_MMIO_STATUS:
        *value = dev->status;
        break;
    case XV_MMIO_SHM_LEN_LOW:
    case XV_MMIO_SHM_LEN_HIGH:
    case XV_MMIO_SHM_BASE_LOW:
    case XV_MMIO_SHM_BASE_HIGH:
        *value = 0xffffffffu; /* no shared memory regions: length -1 */
        break;
    case XV_MMIO_CONFIG_GENERATION:
        *value = dev->config_generation;
        break;
    default:
        return refuse(dev, XV_FAULT_MMIO_OFFSET);
    }
    return 0;
}

static bool features_acceptable(struct xv_device *dev)
{
    uint64_t wanted = dev->driver_features;

    if (wanted & ~xv_device_features(dev))
        return false;
    if (!(wanted & XV_FEATURE(XV_F_VERSION_1)))
        return false;
    if (dev->access_platform && !(wanted & XV_FEATURE(XV_F_ACCESS_PLATFORM)))
        return false;
    if (dev->ops->features_ok && !dev->ops->features_ok(dev, wanted))
        return false;
    return true;
}

static void write_status(struct xv_device *dev, uint32_t value)
{
    uint32_t added;

    if (value == 0) {
        xv_device_reset(dev);
        return;
    }
    /* Only the device sets NEEDS_RESET; the driver can only add bits. */
    added = value & ~dev->status & ~XV_STATUS_DEVICE_NEEDS_RESET & 0xffu;
    if ((added & XV_STATUS_FEATURES_OK) && !features_acceptable(dev))
        added &= ~XV_STATUS_FEATURES_OK;
    if ((added & XV_STATUS_DRIVER_OK) &&
        !((dev->status | added) & XV_STATUS_FEATURES_OK)) {
        added &= ~XV_STATUS_DRIVER_OK;
        dev->status |= added;
        xv_device_needs_reset(dev, -1, XV_FAULT_DRIVER_OK_EARLY);
        return;
    }
    dev->status |= added;
    if ((added & XV_STATUS_DRIVER_OK) && dev->ops->driver_ok)
        dev->ops->driver_ok(dev);
}

static void write_driver_features(struct xv_device *dev, uint32_t value)
{
    if (dev->status & XV_STATUS_FEATURES_OK)
        return;
    if (dev->driver_features_sel == 0)
        dev->driver_features = (dev->driver_features & ~0xffffffffull) | value;
    else if (dev->driver_features_sel == 1)
        dev->driver_features = (dev->driver_features & 0xffffffffull) |
                               (uint64_t)value << 32;
}

/* Queue registers may only change while the queue is off, and after
 * DRIVER_OK only for a queue the driver has reset (VIRTIO_F_RING_RESET). */
static struct xv_vq *configurable_vq(struct xv_device *dev)
{
    struct xv_vq *vq = selected_vq(dev);

    if (!vq || vq->ready)
        return NULL;
    if ((dev->status & XV_STATUS_DRIVER_OK) && !vq->reset)
        return NULL;
    return vq;
}

static void set_low(uint64_t *reg, uint32_t value)
{
    *reg = (*reg & ~0xffffffffull) | value;
}

static void set_high(uint64_t *reg, uint32_t value)
{
    *reg = (*reg & 0xffffffffull) | (uint64_t)value << 32;
}

static void write_queue_config(struct xv_device *dev, uint32_t offset,
                               uint32_t value)
{
    struct xv_vq *vq = configurable_vq(dev);

    if (!vq)
        return;
    switch (offset) {
    case XV_MMIO_QUEUE_NUM:
        vq->num = value > 0xffffu ? 0 : (uint16_t)value;
        break;
    case XV_MMIO_QUEUE_DESC_LOW:   set_low(&vq->desc_addr, value); break;
    case XV_MMIO_QUEUE_DESC_HIGH:  set_high(&vq->desc_addr, value); break;
    case XV_MMIO_QUEUE_DRIVER_LOW: set_low(&vq->avail_addr, value); break;
    case XV_MMIO_QUEUE_DRIVER_HIGH: set_high(&vq->avail_addr, value); break;
    case XV_MMIO_QUEUE_DEVICE_LOW: set_low(&vq->used_addr, value); break;
    default:                       set_high(&vq->used_addr, value); break;
    }
}

static void write_queue_ready(struct xv_device *dev, uint32_t value)
{
    struct xv_vq *vq = selected_vq(dev);

    if (!vq)
        return;
    if (value == 0) {
        if (vq->ready) {
            xv_vq_release(vq);
            if (dev->ops->queue_reset)
                dev->ops->queue_reset(dev, vq->index);
        }
        return;
    }
    if (configurable_vq(dev))
        xv_vq_enable(vq);
}

static void write_queue_reset(struct xv_device *dev, uint32_t value)
{
    struct xv_vq *vq = selected_vq(dev);

    if (!vq || value != 1 || !xv_device_has_feature(dev, XV_F_RING_RESET))
        return;
    xv_vq_release(vq);
    vq->reset = true;
    if (dev->ops->queue_reset)
        dev->ops->queue_reset(dev, vq->index);
}

static void write_queue_notify(struct xv_device *dev, uint32_t value)
{
    struct xv_vq *vq;

    if (value >= dev->num_queues)
        return;
    vq = &dev->vqs[value];
    if (!vq->ready || !(dev->status & XV_STATUS_DRIVER_OK))
        return;
    vq->notify_pending = true;
    dev->platform->queue_notify(dev->platform->opaque, dev, vq->index);
}

int xv_mmio_write(struct xv_device *dev, uint32_t offset, unsigned size,
                  uint32_t value)
{
    if (offset >= XV_MMIO_WINDOW_SIZE)
        return refuse(dev, XV_FAULT_MMIO_OFFSET);
    if (offset >= XV_MMIO_CONFIG)
        return config_write(dev, offset - XV_MMIO_CONFIG, size, value);
    if (size != 4)
        return refuse(dev, XV_FAULT_MMIO_WIDTH);

    switch (offset) {
    case XV_MMIO_DEVICE_FEATURES_SEL:
        dev->device_features_sel = value;
        break;
    case XV_MMIO_DRIVER_FEATURES:
        write_driver_features(dev, value);
        break;
    case XV_MMIO_DRIVER_FEATURES_SEL:
        dev->driver_features_sel = value;
        break;
    case XV_MMIO_QUEUE_SEL:
        dev->queue_sel = value;
        break;
    case XV_MMIO_QUEUE_NUM:
    case XV_MMIO_QUEUE_DESC_LOW:
    case XV_MMIO_QUEUE_DESC_HIGH:
    case XV_MMIO_QUEUE_DRIVER_LOW:
    case XV_MMIO_QUEUE_DRIVER_HIGH:
    case XV_MMIO_QUEUE_DEVICE_LOW:
    case XV_MMIO_QUEUE_DEVICE_HIGH:
        write_queue_config(dev, offset, value);
        break;
    case XV_MMIO_QUEUE_READY:
        write_queue_ready(dev, value);
        break;
    case XV_MMIO_QUEUE_NOTIFY:
        write_queue_notify(dev, value);
        break;
    case XV_MMIO_INTERRUPT_ACK:
        dev->interrupt_status &= ~value;
        break;
    case XV_MMIO_STATUS:
        write_status(dev, value);
        break;
    case XV_MMIO_SHM_SEL:
        dev->shm_sel = value;
        break;
    case XV_MMIO_QUEUE_RESET:
        write_queue_reset(dev, value);
        break;
    default:
        return refuse(dev, XV_FAULT_MMIO_OFFSET);
    }
    return 0;
}
