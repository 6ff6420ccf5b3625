/* SPDX-License-Identifier: Apache-2.0 */
/* The vdrv transport on the simulated Xen's guest API. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vdrv_xensim.h"

static int x_mmio_read(void *opaque, uint64_t gpa, unsigned size,
                       uint64_t *value)
{
    struct vdrv_xensim *x = opaque;
    int err = xensim_mmio_read(x->bus->guest, x->vcpu, gpa, size, value);

    /* Xen hands back the whole register; readb/w/l are unsigned loads of
     * the access width, so truncate like the C type would. */
    if (!err && size < 8)
        *value &= (1ull << (8 * size)) - 1;
    return err;
}

static int x_mmio_write(void *opaque, uint64_t gpa, unsigned size,
                        uint64_t value)
{
    struct vdrv_xensim *x = opaque;

    return xensim_mmio_write(x->bus->guest, x->vcpu, gpa, size, value);
}

static size_t pages_for(size_t size)
{
    return (size + XENSIM_PAGE_SIZE - 1) / XENSIM_PAGE_SIZE;
}

static void *x_ram_alloc(void *opaque, size_t size, uint64_t *gpa)
{
    struct vdrv_xensim *x = opaque;
    size_t pages = pages_for(size ? size : 1);

    *gpa = xensim_alloc_pages(x->bus->guest, pages);
    if (*gpa == 0)
        return NULL;
    return xensim_gpa_to_ptr(x->bus->guest, *gpa, pages * XENSIM_PAGE_SIZE);
}

static void x_ram_free(void *opaque, void *host, uint64_t gpa, size_t size)
{
    struct vdrv_xensim *x = opaque;

    xensim_free_pages(x->bus->guest, gpa, pages_for(size ? size : 1));
}

static int x_grant_access_seq(void *opaque, uint16_t domid, uint64_t gfn,
                              unsigned pages, bool readonly,
                              uint32_t *first_ref)
{
    struct vdrv_xensim *x = opaque;
    int ref = xensim_grant_access_seq(x->bus->guest, domid, gfn, pages,
                                      readonly);

    if (ref < 0)
        return ref;
    *first_ref = (uint32_t)ref;
    return 0;
}

static int x_grant_end_access(void *opaque, uint32_t ref)
{
    struct vdrv_xensim *x = opaque;

    return xensim_end_access(x->bus->guest, ref);
}

static bool take_pending(struct vdrv_xensim_bus *bus, unsigned irq)
{
    bool was;

    if (irq >= VDRV_XENSIM_MAX_IRQ)
        return false;
    pthread_mutex_lock(&bus->lock);
    was = bus->pending[irq / 64] & (1ull << (irq % 64));
    bus->pending[irq / 64] &= ~(1ull << (irq % 64));
    pthread_mutex_unlock(&bus->lock);
    return was;
}

static void set_pending(struct vdrv_xensim_bus *bus, unsigned irq)
{
    if (irq >= VDRV_XENSIM_MAX_IRQ)
        return;
    pthread_mutex_lock(&bus->lock);
    bus->pending[irq / 64] |= 1ull << (irq % 64);
    pthread_mutex_unlock(&bus->lock);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int x_wait_irq(void *opaque, int timeout_ms)
{
    struct vdrv_xensim *x = opaque;
    int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);

    for (;;) {
        int64_t left = timeout_ms < 0 ? -1 : deadline - now_ms();
        unsigned irq;
        int err;

        if (take_pending(x->bus, x->irq))
            return 1;
        if (timeout_ms >= 0 && left < 0)
            left = 0;
        err = xensim_wait_irq(x->bus->guest, (int)left, &irq);
        if (err == -ETIMEDOUT)
            return 0;
        if (err)
            return err;
        if (irq == x->irq)
            return 1;
        set_pending(x->bus, irq);
    }
}

static const struct vdrv_transport_ops xensim_transport_ops = {
    .mmio_read = x_mmio_read,
    .mmio_write = x_mmio_write,
    .ram_alloc = x_ram_alloc,
    .ram_free = x_ram_free,
    .grant_access_seq = x_grant_access_seq,
    .grant_end_access = x_grant_end_access,
    .wait_irq = x_wait_irq,
};

int vdrv_xensim_bus_init(struct vdrv_xensim_bus *bus, struct xensim_guest *g)
{
    memset(bus, 0, sizeof(*bus));
    bus->guest = g;
    return -pthread_mutex_init(&bus->lock, NULL);
}

void vdrv_xensim_bus_destroy(struct vdrv_xensim_bus *bus)
{
    pthread_mutex_destroy(&bus->lock);
}

void vdrv_xensim_init(struct vdrv_xensim *x, struct vdrv_xensim_bus *bus,
                      unsigned vcpu, unsigned irq)
{
    x->bus = bus;
    x->vcpu = vcpu;
    x->irq = irq;
    x->transport.ops = &xensim_transport_ops;
    x->transport.opaque = x;
}
