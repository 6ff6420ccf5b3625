/* SPDX-License-Identifier: Apache-2.0 */
/* Device lifecycle: init, reset, feature set, NEEDS_RESET, queue dispatch. */
#include "core_private.h"

int xv_device_init(struct xv_device *dev, const struct xv_device_ops *ops,
                   const struct xv_device_config *config,
                   const struct xv_platform *platform, struct xv_vq *vqs)
{
    if (!dev || !ops || !config || !platform || !platform->map ||
        !platform->unmap || !platform->queue_notify || !platform->interrupt)
        return -EINVAL;
    if (ops->config_size > XV_MMIO_CONFIG_MAX)
        return -EINVAL;
    if (config->num_queues &&
        (!vqs || !ops->queue_work || !is_power_of_two(config->queue_max_size) ||
         config->queue_max_size > XV_VQ_MAX_SIZE))
        return -EINVAL;

    memset(dev, 0, sizeof(*dev));
    dev->ops = ops;
    dev->platform = platform;
    dev->vqs = vqs;
    dev->features = config->features;
    dev->num_queues = config->num_queues;
    dev->queue_max_size = config->queue_max_size;
    dev->priv = config->priv;
    dev->vendor_id = XV_VENDOR_ID_DEFAULT;
    for (unsigned i = 0; i < dev->num_queues; i++) {
        memset(&vqs[i], 0, sizeof(vqs[i]));
        vqs[i].dev = dev;
        vqs[i].index = (uint16_t)i;
        vqs[i].num = dev->queue_max_size;
    }
    return 0;
}

void xv_device_reset(struct xv_device *dev)
{
    for (unsigned i = 0; i < dev->num_queues; i++) {
        xv_vq_release(&dev->vqs[i]);
        dev->vqs[i].num = dev->queue_max_size;
        dev->vqs[i].desc_addr = 0;
        dev->vqs[i].avail_addr = 0;
        dev->vqs[i].used_addr = 0;
        dev->vqs[i].reset = false;
    }
    dev->status = 0;
    dev->device_features_sel = 0;
    dev->driver_features_sel = 0;
    dev->driver_features = 0;
    dev->queue_sel = 0;
    dev->shm_sel = 0;
    dev->interrupt_status = 0;
    if (dev->ops->reset)
        dev->ops->reset(dev);
}

uint64_t xv_device_features(const struct xv_device *dev)
{
    uint64_t features = dev->features | XV_CORE_FEATURES;

    if (dev->access_platform)
        features |= XV_FEATURE(XV_F_ACCESS_PLATFORM);
    return features;
}

bool xv_device_has_feature(const struct xv_device *dev, unsigned bit)
{
    return bit < 64 && (dev->driver_features & XV_FEATURE(bit)) != 0;
}

static void raise_config_interrupt(struct xv_device *dev)
{
    dev->interrupt_status |= XV_MMIO_INT_CONFIG;
    if (dev->status & XV_STATUS_DRIVER_OK)
        dev->platform->interrupt(dev->platform->opaque, dev);
}

void xv_device_config_changed(struct xv_device *dev)
{
    dev->config_generation++;
    raise_config_interrupt(dev);
}

void xv_device_needs_reset(struct xv_device *dev, int queue,
                           enum xv_fault why)
{
    if (queue >= 0 && (unsigned)queue < dev->num_queues)
        dev->vqs[queue].broken = true;
    xv_report(dev, queue, why);
    if (dev->status & XV_STATUS_DEVICE_NEEDS_RESET)
        return;
    dev->status |= XV_STATUS_DEVICE_NEEDS_RESET;
    raise_config_interrupt(dev);
}

void xv_device_process_queue(struct xv_device *dev, unsigned queue)
{
    struct xv_vq *vq;

    if (queue >= dev->num_queues)
        return;
    vq = &dev->vqs[queue];
    vq->notify_pending = false;
    vq->failed = 0;
    vq->throttled = false;
    if (!vq->ready || vq->broken || !(dev->status & XV_STATUS_DRIVER_OK) ||
        (dev->status & XV_STATUS_DEVICE_NEEDS_RESET))
        return;
    dev->ops->queue_work(dev, queue);
}
