/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, driver side: the register sequence of Linux's
 * virtio_mmio.c probe and virtio.c's virtio_dev_probe, so the backend sees
 * what a Linux guest would do, in the same order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_config.h>

#include "vdrv_priv.h"

void vdrv_log(struct vdrv_device *dev, const char *fmt, ...)
{
    va_list ap;
    const char *debug = getenv("VDRV_DEBUG");

    va_start(ap, fmt);
    vsnprintf(dev->last_error, sizeof(dev->last_error), fmt, ap);
    va_end(ap);
    if (debug && *debug == '1')
        fprintf(stderr, "vdrv %#llx: %s\n", (unsigned long long)dev->base,
                dev->last_error);
}

int vdrv_mmio_read(struct vdrv_device *dev, uint32_t offset, unsigned size,
                   uint64_t *value)
{
    *value = 0;
    if (dev->dead)
        return -ENODEV;
    return dev->transport.ops->mmio_read(dev->transport.opaque,
                                         dev->base + offset, size, value);
}

int vdrv_mmio_write(struct vdrv_device *dev, uint32_t offset, unsigned size,
                    uint64_t value)
{
    if (dev->dead)
        return -ENODEV;
    return dev->transport.ops->mmio_write(dev->transport.opaque,
                                          dev->base + offset, size, value);
}

/* readl: a faulting access reads as all ones, like a bus error would
 * after Xen injected the abort and the guest carried on. */
uint32_t vdrv_read32(struct vdrv_device *dev, uint32_t offset)
{
    uint64_t value;

    if (vdrv_mmio_read(dev, offset, 4, &value) < 0)
        return 0xffffffffu;
    return (uint32_t)value;
}

void vdrv_write32(struct vdrv_device *dev, uint32_t offset, uint32_t value)
{
    (void)vdrv_mmio_write(dev, offset, 4, value);
}

uint32_t vdrv_get_status(struct vdrv_device *dev)
{
    return vdrv_read32(dev, VIRTIO_MMIO_STATUS) & 0xff;
}

/* virtio_add_status: read, OR, write back. */
static void add_status(struct vdrv_device *dev, uint32_t bits)
{
    vdrv_write32(dev, VIRTIO_MMIO_STATUS, vdrv_get_status(dev) | bits);
}

bool vdrv_has_feature(const struct vdrv_device *dev, unsigned bit)
{
    return bit < 64 && (dev->features & VDRV_BIT(bit));
}

void *vdrv_ram_alloc(struct vdrv_device *dev, size_t size, uint64_t *gpa)
{
    return dev->transport.ops->ram_alloc(dev->transport.opaque, size, gpa);
}

void vdrv_ram_free(struct vdrv_device *dev, void *host, uint64_t gpa,
                   size_t size)
{
    if (host)
        dev->transport.ops->ram_free(dev->transport.opaque, host, gpa, size);
}

int vdrv_probe(struct vdrv_device *dev, const struct vdrv_transport *t,
               uint64_t base, const struct vdrv_options *opts)
{
    uint32_t magic;

    memset(dev, 0, sizeof(*dev));
    dev->transport = *t;
    dev->base = base;
    if (opts)
        dev->opts = *opts;
    if (dev->opts.timeout_ms == 0)
        dev->opts.timeout_ms = VDRV_DEFAULT_TIMEOUT_MS;
    if (dev->opts.use_grants &&
        (!t->ops->grant_access_seq || !t->ops->grant_end_access)) {
        vdrv_log(dev, "transport has no grant table");
        return -EINVAL;
    }

    magic = vdrv_read32(dev, VIRTIO_MMIO_MAGIC_VALUE);
    if (magic != VDRV_MMIO_MAGIC) {
        vdrv_log(dev, "Wrong magic value 0x%08x!", magic);
        return -ENODEV;
    }
    dev->version = vdrv_read32(dev, VIRTIO_MMIO_VERSION);
    if (dev->version != 2) {
        /* Linux also speaks legacy Version 1; Xen's backends are modern
         * only, so the simulated guest insists on 2. */
        vdrv_log(dev, "Version %u not supported!", dev->version);
        return -ENXIO;
    }
    dev->device_id = vdrv_read32(dev, VIRTIO_MMIO_DEVICE_ID);
    if (dev->device_id == 0) {
        vdrv_log(dev, "placeholder device (DeviceID 0)");
        return -ENODEV;
    }
    dev->vendor_id = vdrv_read32(dev, VIRTIO_MMIO_VENDOR_ID);

    /* register_virtio_device: reset, then acknowledge the device. */
    vdrv_write32(dev, VIRTIO_MMIO_STATUS, 0);
    add_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    return 0;
}

static uint64_t read_device_features(struct vdrv_device *dev)
{
    uint64_t features;

    vdrv_write32(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    features = (uint64_t)vdrv_read32(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    vdrv_write32(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    features |= vdrv_read32(dev, VIRTIO_MMIO_DEVICE_FEATURES);
    return features;
}

/* The transport bits vring_transport_features keeps, minus RING_PACKED:
 * this ring is split only, so a packed-capable device gets split. */
static uint64_t transport_features(void)
{
    return VDRV_BIT(VDRV_F_INDIRECT_DESC) | VDRV_BIT(VDRV_F_EVENT_IDX) |
           VDRV_BIT(VDRV_F_VERSION_1) | VDRV_BIT(VDRV_F_ACCESS_PLATFORM) |
           VDRV_BIT(VIRTIO_F_ORDER_PLATFORM);
}

static int fail(struct vdrv_device *dev, int err)
{
    add_status(dev, VIRTIO_CONFIG_S_FAILED);
    return err;
}

int vdrv_negotiate(struct vdrv_device *dev, uint64_t driver_features)
{
    uint64_t wanted;

    add_status(dev, VIRTIO_CONFIG_S_DRIVER);
    dev->device_features = read_device_features(dev);

    wanted = (driver_features | transport_features()) &
             ~dev->opts.features_clear;
    dev->features = (dev->device_features & wanted) | dev->opts.features_force;

    /* vm_finalize_features */
    if (!vdrv_has_feature(dev, VDRV_F_VERSION_1)) {
        vdrv_log(dev, "New virtio-mmio devices (version 2) must provide "
                 "VIRTIO_F_VERSION_1 feature!");
        return fail(dev, -EINVAL);
    }
    vdrv_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    vdrv_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES,
                 (uint32_t)(dev->features >> 32));
    vdrv_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    vdrv_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)dev->features);

    /* virtio_features_ok: grant-based DMA is restricted memory access,
     * which only works if the device translates through the platform. */
    if (dev->opts.use_grants &&
        !vdrv_has_feature(dev, VDRV_F_ACCESS_PLATFORM)) {
        vdrv_log(dev, "device must provide VIRTIO_F_ACCESS_PLATFORM");
        return fail(dev, -ENODEV);
    }
    add_status(dev, VIRTIO_CONFIG_S_FEATURES_OK);
    if (!(vdrv_get_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
        vdrv_log(dev, "virtio: device refuses features: %llx",
                 (unsigned long long)dev->features);
        return fail(dev, -ENODEV);
    }
    return 0;
}

static uint16_t round_down_pow2(uint32_t x)
{
    uint32_t p = 1;

    while (p * 2 <= x && p * 2 <= 32768)
        p *= 2;
    return (uint16_t)p;
}

/* vm_setup_vq */
static int setup_vq(struct vdrv_device *dev, unsigned index,
                    vdrv_vq_callback_fn *callback)
{
    struct vdrv_vq *vq = &dev->vqs[index];
    uint32_t num_max, num;
    int err;

    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_SEL, index);
    if (vdrv_read32(dev, VIRTIO_MMIO_QUEUE_READY)) {
        vdrv_log(dev, "queue %u already set up", index);
        return -ENOENT;
    }
    num_max = vdrv_read32(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (num_max == 0 || num_max == 0xffffffffu) {
        vdrv_log(dev, "queue %u: QueueNumMax %u", index, num_max);
        return -ENOENT;
    }
    num = num_max;
    if (dev->opts.queue_size && dev->opts.queue_size < num)
        num = dev->opts.queue_size;
    num = round_down_pow2(num);

    err = vdrv_vq_create(dev, vq, (uint16_t)index, (uint16_t)num, callback);
    if (err)
        return err;

    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_NUM,
                 dev->opts.queue_num_override ? dev->opts.queue_num_override
                                              : num);
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc_dma);
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH,
                 (uint32_t)(vq->desc_dma >> 32));
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)vq->avail_dma);
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
                 (uint32_t)(vq->avail_dma >> 32));
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)vq->used_dma);
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_USED_HIGH,
                 (uint32_t)(vq->used_dma >> 32));
    vdrv_write32(dev, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}

static void del_vq(struct vdrv_device *dev, struct vdrv_vq *vq,
                   void (*detach)(struct vdrv_device *dev, void *token))
{
    if (!vq->dev)
        return;
    if (!dev->dead) {
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_SEL, vq->index);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_READY, 0);
        if (vdrv_read32(dev, VIRTIO_MMIO_QUEUE_READY))
            vdrv_log(dev, "queue %u still ready after QueueReady=0",
                     vq->index);
        vdrv_vq_detach_all(vq, detach);
    }
    vdrv_vq_destroy(vq);
}

int vdrv_setup_vqs(struct vdrv_device *dev, unsigned n,
                   vdrv_vq_callback_fn *const callbacks[])
{
    int err;

    dev->vqs = calloc(n ? n : 1, sizeof(*dev->vqs));
    if (!dev->vqs)
        return fail(dev, -ENOMEM);
    dev->num_vqs = n;
    for (unsigned i = 0; i < n; i++) {
        err = setup_vq(dev, i, callbacks ? callbacks[i] : NULL);
        if (err) {
            for (unsigned j = 0; j < i; j++)
                del_vq(dev, &dev->vqs[j], NULL);
            free(dev->vqs);
            dev->vqs = NULL;
            dev->num_vqs = 0;
            return fail(dev, err);
        }
    }
    return 0;
}

int vdrv_driver_ok(struct vdrv_device *dev)
{
    add_status(dev, VIRTIO_CONFIG_S_DRIVER_OK);
    dev->driver_ok = true;
    return 0;
}

int vdrv_init(struct vdrv_device *dev, const struct vdrv_transport *t,
              uint64_t base, const struct vdrv_options *opts,
              uint64_t driver_features, unsigned nvqs,
              vdrv_vq_callback_fn *const callbacks[])
{
    int err = vdrv_probe(dev, t, base, opts);

    if (!err)
        err = vdrv_negotiate(dev, driver_features);
    if (!err)
        err = vdrv_setup_vqs(dev, nvqs, callbacks);
    if (!err)
        err = vdrv_driver_ok(dev);
    return err;
}

void vdrv_remove(struct vdrv_device *dev,
                 void (*detach_token)(struct vdrv_device *dev, void *token))
{
    /* The driver's remove resets the device first, so it stops touching
     * the buffers, then del_vqs tears the queues down. */
    if (!dev->dead)
        vdrv_write32(dev, VIRTIO_MMIO_STATUS, 0);
    for (unsigned i = 0; i < dev->num_vqs; i++)
        del_vq(dev, &dev->vqs[i], detach_token);
    free(dev->vqs);
    dev->vqs = NULL;
    dev->num_vqs = 0;
    dev->driver_ok = false;
    /* virtio_dev_remove: acknowledge the device's existence again. */
    if (!dev->dead)
        add_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
}

/*
 * Config space. vm_get reads with accesses of the field's width; a field
 * of 8 bytes is two 32-bit reads, so the generation loop is what makes it
 * consistent.
 */
static int config_access(struct vdrv_device *dev, uint32_t offset, void *buf,
                         uint32_t len, bool write)
{
    uint8_t *bytes = buf;
    uint32_t step = (len == 1 || len == 2 || len == 4) ? len : (len == 8 ? 4 : 1);

    for (uint32_t done = 0; done < len; done += step) {
        uint32_t off = VIRTIO_MMIO_CONFIG + offset + done;
        uint64_t value = 0;
        int err;

        if (write) {
            for (uint32_t i = 0; i < step; i++)
                value |= (uint64_t)bytes[done + i] << (8 * i);
            err = vdrv_mmio_write(dev, off, step, value);
        } else {
            err = vdrv_mmio_read(dev, off, step, &value);
            for (uint32_t i = 0; i < step; i++)
                bytes[done + i] = (uint8_t)(value >> (8 * i));
        }
        if (err)
            return err;
    }
    return 0;
}

int vdrv_config_read(struct vdrv_device *dev, uint32_t offset, void *buf,
                     uint32_t len)
{
    uint32_t before, after;
    int err;

    do {
        before = vdrv_read32(dev, VIRTIO_MMIO_CONFIG_GENERATION);
        err = config_access(dev, offset, buf, len, false);
        if (err)
            return err;
        after = vdrv_read32(dev, VIRTIO_MMIO_CONFIG_GENERATION);
    } while (before != after);
    return 0;
}

int vdrv_config_write(struct vdrv_device *dev, uint32_t offset,
                      const void *buf, uint32_t len)
{
    return config_access(dev, offset, (void *)buf, len, true);
}

/*
 * Interrupts.
 */
static void config_changed(struct vdrv_device *dev)
{
    dev->config_interrupts++;
    /* Linux only tells the driver; the simulated guest also notes a
     * DEVICE_NEEDS_RESET, which is how robustness tests see the device
     * gave up on a misbehaving driver. */
    if (vdrv_get_status(dev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
        if (!dev->needs_reset)
            vdrv_log(dev, "device needs reset");
        dev->needs_reset = true;
    }
    if (dev->config_changed)
        dev->config_changed(dev);
}

bool vdrv_interrupt(struct vdrv_device *dev)
{
    uint32_t status;
    bool handled = false;

    if (dev->dead)
        return false;
    dev->interrupts++;
    status = vdrv_read32(dev, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (status == 0xffffffffu)
        status = 0;
    vdrv_write32(dev, VIRTIO_MMIO_INTERRUPT_ACK, status);
    if (status & VIRTIO_MMIO_INT_CONFIG) {
        config_changed(dev);
        handled = true;
    }
    if (status & VIRTIO_MMIO_INT_VRING) {
        for (unsigned i = 0; i < dev->num_vqs; i++)
            handled |= vdrv_vq_interrupt(&dev->vqs[i]);
    }
    if (!handled)
        dev->spurious_interrupts++;
    return handled;
}

int vdrv_wait_interrupt(struct vdrv_device *dev, int timeout_ms)
{
    int fired;

    if (dev->dead)
        return -ENODEV;
    fired = dev->transport.ops->wait_irq(dev->transport.opaque, timeout_ms);
    if (fired < 0)
        return fired;
    if (fired == 0)
        return -ETIMEDOUT;
    vdrv_interrupt(dev);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vdrv_wait_for(struct vdrv_device *dev, struct vdrv_vq *vq,
                  const volatile bool *flag, int timeout_ms)
{
    int64_t deadline;

    if (timeout_ms == 0)
        timeout_ms = dev->opts.timeout_ms;
    deadline = now_ms() + timeout_ms;
    while (!*flag) {
        int64_t left = deadline - now_ms();
        int err;

        if (dev->dead)
            return -ENODEV;
        if (dev->needs_reset || (vq && vq->broken) || dev->grants_broken)
            return -EIO;
        if (left <= 0)
            return -ETIMEDOUT;
        err = vdrv_wait_interrupt(dev, (int)left);
        if (err && err != -ETIMEDOUT)
            return err;
    }
    return 0;
}

/*
 * Misbehaviour at the register level.
 */
int vdrv_abuse_registers(struct vdrv_device *dev, enum vdrv_reg_abuse abuse,
                         unsigned queue)
{
    static const uint32_t read_only[] = {
        VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_VERSION, VIRTIO_MMIO_DEVICE_ID,
        VIRTIO_MMIO_VENDOR_ID, VIRTIO_MMIO_DEVICE_FEATURES,
        VIRTIO_MMIO_QUEUE_NUM_MAX, VIRTIO_MMIO_INTERRUPT_STATUS,
        VIRTIO_MMIO_CONFIG_GENERATION,
    };
    uint64_t value = 0;
    int err = 0;

    switch (abuse) {
    case VDRV_REG_READ_8BYTE:
        return vdrv_mmio_read(dev, VIRTIO_MMIO_STATUS, 8, &value);
    case VDRV_REG_WRITE_8BYTE:
        return vdrv_mmio_write(dev, VIRTIO_MMIO_QUEUE_SEL, 8,
                               0xffffffff00000000ull | queue);
    case VDRV_REG_READ_1BYTE:
        return vdrv_mmio_read(dev, VIRTIO_MMIO_DEVICE_ID, 1, &value);
    case VDRV_REG_WRITE_1BYTE:
        /* The current value, so a device that wrongly accepted the
         * access would at least not change state. */
        return vdrv_mmio_write(dev, VIRTIO_MMIO_STATUS, 1,
                               vdrv_get_status(dev));
    case VDRV_REG_WRITE_READONLY:
        for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
            err = vdrv_mmio_write(dev, read_only[i], 4, 0xdeadbeef);
        return err;
    case VDRV_REG_QUEUE_CONFIG_LIVE:
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_SEL, queue);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_NUM, 3);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, 0xdead0000u);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0xdeadu);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0xdead1000u);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_USED_LOW, 0xdead2000u);
        vdrv_write32(dev, VIRTIO_MMIO_QUEUE_READY, 1);
        return 0;
    case VDRV_REG_OUTSIDE_WINDOW:
        /* Reserved offsets inside the register block. */
        err = vdrv_mmio_read(dev, 0x0c8, 4, &value);
        value = (uint64_t)vdrv_mmio_write(dev, 0x0e0, 4, 1);
        return err ? err : (int)value;
    }
    return -EINVAL;
}

void vdrv_die(struct vdrv_device *dev)
{
    dev->dead = true;
}
