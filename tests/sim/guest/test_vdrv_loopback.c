/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest driver (sim/guest/vdrv) against the device-side core
 * (src/core) in one process: MMIO goes straight to xv_mmio_read/write,
 * guest RAM is a malloc'd buffer, the grant table is a small emulation,
 * and the "backend" runs whenever the guest waits for its interrupt.
 *
 * Proves that negotiation, indirect descriptors, grants and event idx
 * work end to end, and that every misbehaviour the driver can produce is
 * caught by the core (DEVICE_NEEDS_RESET or a failed request) without a
 * crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_i2c.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_scmi.h>

#include "vdrv.h"
#include "xv/core.h"

#define RAM_GPA   0x40000000ull
#define RAM_BYTES (8u << 20)
#define MMIO_BASE 0x02000000ull
#define ECHO_DEVICE_ID 0x3f     /* not a real device type: a test device */
#define QUEUE_MAX 256
#define NR_GRANTS 8192
#define FIRST_GRANT 8           /* Linux keeps the first refs reserved */
#define MAX_SEGS 64

struct grant {
    bool reserved;
    bool access;
    bool readonly;
    uint16_t domid;
    uint64_t gfn;
    unsigned mapped;            /* backend mappings: GTF_reading/writing */
};

/* Everything a loopback guest + device pair needs. */
struct loop {
    /* Guest side. */
    uint8_t *ram;
    struct vdrv_pool pool;
    struct vdrv_transport transport;
    struct grant grants[NR_GRANTS];
    bool irq_pending;
    /* Device side. */
    struct xv_device dev;
    struct xv_vq vqs[2];
    struct xv_platform platform;
    uint32_t pending_queues;
    unsigned faults[XV_FAULT_COUNT];
    unsigned notifies;
    unsigned irqs;
    bool use_grant_addresses;   /* platform map expects grant DMA addrs */
    /* Echo device behaviour. */
    bool hold_chain;            /* pop one chain and keep it mapped */
    struct xv_chain held;
    struct xv_iovec held_iov[MAX_SEGS];
    struct xv_gbuf held_gbuf[MAX_SEGS];
    bool has_held;
    bool config_race;           /* bump the generation mid config read */
    uint64_t config_value;
    unsigned config_reads;
    /* Device models. */
    uint8_t disk[128 * 512];
    uint8_t eeprom[256];
    uint8_t eeprom_ptr;
};

static struct loop *loop_of(struct xv_device *dev)
{
    return xv_container_of(dev, struct loop, dev);
}

/*
 * Guest transport.
 */
static int t_mmio_read(void *opaque, uint64_t gpa, unsigned size,
                       uint64_t *value)
{
    struct loop *l = opaque;
    uint32_t v = 0;
    int err;

    if (gpa < MMIO_BASE || gpa >= MMIO_BASE + XV_MMIO_WINDOW_SIZE)
        return -EFAULT;
    err = xv_mmio_read(&l->dev, (uint32_t)(gpa - MMIO_BASE), size, &v);
    *value = v;
    return err;
}

static int t_mmio_write(void *opaque, uint64_t gpa, unsigned size,
                        uint64_t value)
{
    struct loop *l = opaque;

    if (gpa < MMIO_BASE || gpa >= MMIO_BASE + XV_MMIO_WINDOW_SIZE)
        return -EFAULT;
    return xv_mmio_write(&l->dev, (uint32_t)(gpa - MMIO_BASE), size,
                         (uint32_t)value);
}

static void *t_ram_alloc(void *opaque, size_t size, uint64_t *gpa)
{
    struct loop *l = opaque;

    return vdrv_pool_alloc(&l->pool, size, gpa);
}

static void t_ram_free(void *opaque, void *host, uint64_t gpa, size_t size)
{
    struct loop *l = opaque;

    vdrv_pool_free(&l->pool, host, size);
}

static int t_grant_access_seq(void *opaque, uint16_t domid, uint64_t gfn,
                              unsigned pages, bool readonly, uint32_t *first)
{
    struct loop *l = opaque;
    unsigned run = 0;

    for (uint32_t ref = FIRST_GRANT; ref < NR_GRANTS; ref++) {
        run = l->grants[ref].reserved ? 0 : run + 1;
        if (run == pages) {
            *first = ref + 1 - pages;
            for (unsigned i = 0; i < pages; i++) {
                struct grant *g = &l->grants[*first + i];

                g->reserved = true;
                g->access = true;
                g->readonly = readonly;
                g->domid = domid;
                g->gfn = gfn + i;
            }
            return 0;
        }
    }
    return -ENOSPC;
}

static int t_grant_end_access(void *opaque, uint32_t ref)
{
    struct loop *l = opaque;

    if (ref >= NR_GRANTS || !l->grants[ref].reserved)
        return -EINVAL;
    if (l->grants[ref].mapped)
        return -EBUSY;
    l->grants[ref].access = false;
    l->grants[ref].reserved = false;
    return 0;
}

/* The backend runs while the guest waits: process every notified queue,
 * then report whether the device raised its interrupt. No real waiting:
 * nothing else could make progress in this process. */
static int t_wait_irq(void *opaque, int timeout_ms)
{
    struct loop *l = opaque;

    while (l->pending_queues) {
        for (unsigned q = 0; q < 2; q++) {
            if (l->pending_queues & (1u << q)) {
                l->pending_queues &= ~(1u << q);
                xv_device_process_queue(&l->dev, q);
            }
        }
    }
    if (!l->irq_pending)
        return 0;
    l->irq_pending = false;
    return 1;
}

static const struct vdrv_transport_ops loop_transport_ops = {
    .mmio_read = t_mmio_read,
    .mmio_write = t_mmio_write,
    .ram_alloc = t_ram_alloc,
    .ram_free = t_ram_free,
    .grant_access_seq = t_grant_access_seq,
    .grant_end_access = t_grant_end_access,
    .wait_irq = t_wait_irq,
};

/*
 * Device platform.
 */
/* Translate one buffer; grant addresses must be consecutive refs over
 * consecutive frames granted to dom0 (the backend). */
static void *translate(struct loop *l, const struct xv_gbuf *b, bool map)
{
    uint64_t offset, first_ref, pages;

    if (!l->use_grant_addresses) {
        if (b->addr > UINT64_MAX - b->len)
            return NULL;
        return vdrv_pool_ptr(&l->pool, b->addr, b->len);
    }
    if (!(b->addr & VDRV_GRANT_DMA_ADDR_OFF))
        return NULL;
    offset = b->addr & (VDRV_PAGE_SIZE - 1);
    first_ref = (b->addr & ~VDRV_GRANT_DMA_ADDR_OFF) >> VDRV_PAGE_SHIFT;
    pages = (offset + b->len + VDRV_PAGE_SIZE - 1) / VDRV_PAGE_SIZE;
    if (pages == 0)
        pages = 1;
    if (first_ref + pages > NR_GRANTS)
        return NULL;
    for (uint64_t i = 0; i < pages; i++) {
        struct grant *g = &l->grants[first_ref + i];

        if (!g->access || g->domid != 0 || (b->writable && g->readonly) ||
            g->gfn != l->grants[first_ref].gfn + i)
            return NULL;
    }
    for (uint64_t i = 0; i < pages; i++) {
        if (map)
            l->grants[first_ref + i].mapped++;
        else
            l->grants[first_ref + i].mapped--;
    }
    return vdrv_pool_ptr(&l->pool,
                         (l->grants[first_ref].gfn << VDRV_PAGE_SHIFT) +
                         offset, b->len);
}

static void p_unmap(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                    struct xv_iovec *iov)
{
    for (unsigned i = 0; i < n; i++)
        translate(opaque, &bufs[i], false);
}

static int p_map(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                 struct xv_iovec *iov)
{
    for (unsigned i = 0; i < n; i++) {
        iov[i].base = translate(opaque, &bufs[i], true);
        iov[i].len = bufs[i].len;
        if (!iov[i].base) {
            p_unmap(opaque, bufs, i, iov);
            return -EFAULT;
        }
    }
    return 0;
}

static void p_queue_notify(void *opaque, struct xv_device *dev, unsigned q)
{
    struct loop *l = opaque;

    l->pending_queues |= 1u << q;
    l->notifies++;
}

static void p_interrupt(void *opaque, struct xv_device *dev)
{
    struct loop *l = opaque;

    l->irq_pending = true;
    l->irqs++;
}

static void p_fault(void *opaque, struct xv_device *dev, int queue,
                    enum xv_fault fault)
{
    struct loop *l = opaque;

    l->faults[fault]++;
}

/*
 * The echo device: copies each chain's readable bytes to its writable
 * part. Config space is one 64-bit counter.
 */
static void echo_work(struct xv_device *dev, unsigned queue)
{
    struct loop *l = loop_of(dev);
    struct xv_vq *vq = &dev->vqs[queue];
    struct xv_iovec iov[MAX_SEGS];
    struct xv_gbuf gbuf[MAX_SEGS];
    struct xv_chain chain = { .iov = iov, .gbuf = gbuf, .max_segs = MAX_SEGS };
    static uint8_t bounce[1 << 16];
    int popped;

    if (l->hold_chain) {
        if (!l->has_held) {
            l->held = (struct xv_chain){ .iov = l->held_iov,
                                         .gbuf = l->held_gbuf,
                                         .max_segs = MAX_SEGS };
            l->has_held = xv_vq_pop(vq, &l->held) > 0;
        }
        return;
    }
    do {
        xv_vq_disable_notify(vq);
        while ((popped = xv_vq_pop(vq, &chain)) > 0) {
            size_t n = chain.readable_len < chain.writable_len
                       ? chain.readable_len : chain.writable_len;

            if (n > sizeof(bounce))
                n = sizeof(bounce);
            n = xv_chain_read(&chain, 0, bounce, n);
            n = xv_chain_write(&chain, 0, bounce, n);
            xv_vq_push(vq, &chain, (uint32_t)n);
        }
    } while (popped == 0 && xv_vq_enable_notify(vq));
    xv_vq_notify_guest(vq);
}

static void echo_config_read(struct xv_device *dev, uint32_t off, void *buf,
                             uint32_t len)
{
    struct loop *l = loop_of(dev);
    uint64_t value = l->config_value;

    /* A "concurrent" update between the two halves of a 64-bit field. */
    if (l->config_race && off == 4 && l->config_reads++ == 0) {
        l->config_value += 0x100000001ull;
        xv_device_config_changed(dev);
    }
    memcpy(buf, (uint8_t *)&value + off, len);
}

static void echo_reset(struct xv_device *dev)
{
    /* Deliberately forgets a held chain without unmapping it, like a
     * buggy backend, so the guest sees its grants still in use. */
}

static const struct xv_device_ops echo_ops = {
    .name = "echo",
    .device_id = ECHO_DEVICE_ID,
    .config_size = 8,
    .config_read = echo_config_read,
    .reset = echo_reset,
    .queue_work = echo_work,
};

static const struct xv_device_config echo_config = {
    .num_queues = 1, .queue_max_size = QUEUE_MAX,
};

static struct loop *loop_new(const struct xv_device_ops *ops,
                             const struct xv_device_config *config, bool grants)
{
    struct loop *l = calloc(1, sizeof(*l));

    assert_non_null(l);
    l->ram = aligned_alloc(VDRV_PAGE_SIZE, RAM_BYTES);
    assert_non_null(l->ram);
    assert_int_equal(vdrv_pool_init(&l->pool, l->ram, RAM_GPA, RAM_BYTES), 0);
    l->transport.ops = &loop_transport_ops;
    l->transport.opaque = l;
    l->platform = (struct xv_platform){
        .map = p_map, .unmap = p_unmap, .queue_notify = p_queue_notify,
        .interrupt = p_interrupt, .fault = p_fault, .opaque = l,
    };
    assert_int_equal(xv_device_init(&l->dev, ops, config, &l->platform, l->vqs),
                     0);
    l->dev.access_platform = grants;
    l->use_grant_addresses = grants;
    return l;
}

static unsigned grants_active(const struct loop *l)
{
    unsigned n = 0;

    for (unsigned i = 0; i < NR_GRANTS; i++)
        n += l->grants[i].access;
    return n;
}

static void loop_free(struct loop *l)
{
    if (l->has_held)
        xv_vq_unmap_chain(&l->dev.vqs[0], &l->held);
    vdrv_pool_destroy(&l->pool);
    free(l->ram);
    free(l);
}

static struct vdrv_options options(bool grants)
{
    return (struct vdrv_options){
        .use_grants = grants,
        .backend_domid = 0,
        .timeout_ms = 100,
    };
}

static vdrv_vq_callback_fn *const echo_callbacks[] = {
    vdrv_vq_complete_requests,
};

static int echo_init(struct loop *l, struct vdrv_device *d,
                     const struct vdrv_options *opts)
{
    return vdrv_init(d, &l->transport, MMIO_BASE, opts, 0, 1, echo_callbacks);
}

/* Queue one echo request of 'len' bytes split into 'segs' readable
 * segments, with 'pattern' as payload. */
static struct vdrv_inflight *echo_add(struct vdrv_device *d, uint32_t len,
                                      unsigned segs, uint8_t pattern,
                                      unsigned misbehave)
{
    /* Readable data at offset 100 (not page aligned), reply after it. */
    struct vdrv_inflight *f = vdrv_inflight_new(d, 2u * len + 256);
    struct vdrv_sg sg[MAX_SEGS];
    uint32_t per = len / segs, off = 0;
    int err;

    assert_non_null(f);
    memset(f->mem + 100, pattern, len);
    for (unsigned i = 0; i < segs; i++) {
        uint32_t chunk = i + 1 == segs ? len - off : per;

        sg[i] = (struct vdrv_sg){ f->gpa + 100 + off, chunk, 0 };
        off += chunk;
    }
    sg[segs] = (struct vdrv_sg){ f->gpa + 128 + len, len, 0 };
    vdrv_vq_misbehave(&d->vqs[0], misbehave);
    err = vdrv_inflight_add(f, &d->vqs[0], sg, segs, 1);
    assert_int_equal(err, 0);
    return f;
}

static void echo_check(struct vdrv_inflight *f, uint32_t len, uint8_t pattern)
{
    assert_true(f->req.done);
    assert_int_equal(f->req.used_len, len);
    for (uint32_t i = 0; i < len; i++)
        assert_int_equal(f->mem[128 + len + i], pattern);
}

static void echo_roundtrip(struct vdrv_device *d, uint32_t len, unsigned segs,
                           uint8_t pattern)
{
    struct vdrv_inflight *f = echo_add(d, len, segs, pattern, 0);

    vdrv_vq_kick(&d->vqs[0]);
    assert_int_equal(vdrv_wait_for(d, &d->vqs[0], &f->req.done, 0), 0);
    echo_check(f, len, pattern);
    vdrv_inflight_release(f);
}

/*
 * Tests.
 */
static void test_negotiation(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;

    opts.queue_size = 64;
    assert_int_equal(echo_init(l, &d, &opts), 0);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.device_id, ECHO_DEVICE_ID);
    assert_int_equal(d.vendor_id, XV_VENDOR_ID_DEFAULT);
    assert_true(vdrv_has_feature(&d, VDRV_F_VERSION_1));
    assert_true(vdrv_has_feature(&d, VDRV_F_INDIRECT_DESC));
    assert_true(vdrv_has_feature(&d, VDRV_F_EVENT_IDX));
    /* Offered but not understood: the driver must leave them. */
    assert_false(vdrv_has_feature(&d, VDRV_F_RING_RESET));
    assert_false(vdrv_has_feature(&d, VDRV_F_ACCESS_PLATFORM));
    assert_int_equal(l->dev.driver_features, d.features);
    assert_int_equal(l->dev.status,
                     VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    assert_true(l->vqs[0].ready);
    assert_int_equal(l->vqs[0].num, 64);
    assert_int_equal(d.vqs[0].num, 64);
    echo_roundtrip(&d, 100, 1, 0x5a);
    assert_int_equal(l->faults[XV_FAULT_MMIO_WIDTH], 0);
    assert_int_equal(l->faults[XV_FAULT_MMIO_OFFSET], 0);

    vdrv_remove(&d, vdrv_inflight_detach);
    assert_int_equal(l->dev.status, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    assert_false(l->vqs[0].ready);
    assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
    loop_free(l);
}

static void test_probe_bad_magic(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;

    assert_int_equal(vdrv_probe(&d, &l->transport, MMIO_BASE + 0x1000, &opts),
                     -ENODEV);
    assert_non_null(strstr(d.last_error, "Wrong magic value"));
    loop_free(l);
}

static void test_access_platform_required(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(true);
    struct vdrv_device d;

    assert_int_equal(echo_init(l, &d, &opts), -ENODEV);
    assert_string_equal(d.last_error,
                        "device must provide VIRTIO_F_ACCESS_PLATFORM");
    assert_true(l->dev.status & VIRTIO_CONFIG_S_FAILED);
    assert_false(l->dev.status & VIRTIO_CONFIG_S_FEATURES_OK);
    loop_free(l);
}

static void test_grants(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, true);
    struct vdrv_options opts = options(true);
    struct vdrv_device d;
    unsigned ring_grants;

    assert_int_equal(echo_init(l, &d, &opts), 0);
    assert_true(vdrv_has_feature(&d, VDRV_F_ACCESS_PLATFORM));
    assert_true(d.vqs[0].desc_dma & VDRV_GRANT_DMA_ADDR_OFF);
    ring_grants = grants_active(l);
    assert_int_equal(ring_grants, d.vqs[0].ring_map.nr_refs);
    /* Multi-page, unaligned buffers: consecutive refs; direct and
     * indirect. */
    echo_roundtrip(&d, 10000, 1, 0x11);
    echo_roundtrip(&d, 20000, 5, 0x22);
    assert_int_equal(grants_active(l), ring_grants);
    for (unsigned i = 0; i < NR_GRANTS; i++)
        assert_int_equal(l->grants[i].mapped, i < FIRST_GRANT ? 0 :
                         l->grants[i].access ? 1 : 0);
    vdrv_remove(&d, vdrv_inflight_detach);
    assert_int_equal(grants_active(l), 0);
    assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
    assert_false(d.grants_broken);
    loop_free(l);
}

static void test_indirect(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;
    struct vdrv_inflight *f;
    struct vdrv_sg one;
    uint16_t head;

    assert_int_equal(echo_init(l, &d, &opts), 0);
    /* 4 segments, INDIRECT negotiated: one ring descriptor. */
    head = d.vqs[0].free_head;
    f = echo_add(&d, 4000, 3, 0x33, 0);
    assert_int_equal(d.vqs[0].num_free, QUEUE_MAX - 1);
    assert_true(d.vqs[0].desc[head].flags & VRING_DESC_F_INDIRECT);
    assert_int_equal(d.vqs[0].desc[head].len, 4 * 16);
    vdrv_vq_kick(&d.vqs[0]);
    assert_int_equal(vdrv_wait_for(&d, &d.vqs[0], &f->req.done, 0), 0);
    echo_check(f, 4000, 0x33);
    vdrv_inflight_release(f);
    assert_int_equal(d.vqs[0].num_free, QUEUE_MAX);
    /* A single sg never goes indirect. */
    f = vdrv_inflight_new(&d, 16);
    head = d.vqs[0].free_head;
    one = (struct vdrv_sg){ f->gpa, 16, 0 };
    assert_int_equal(vdrv_inflight_run(f, &d.vqs[0], &one, 0, 1), 0);
    assert_false(d.vqs[0].desc[head].flags & VRING_DESC_F_INDIRECT);
    assert_int_equal(d.vqs[0].desc[head].len, 16);
    assert_int_equal(f->req.used_len, 0);
    vdrv_inflight_release(f);
    vdrv_remove(&d, vdrv_inflight_detach);

    /* Without INDIRECT_DESC: one descriptor per segment. */
    opts.features_clear = VDRV_BIT(VDRV_F_INDIRECT_DESC);
    assert_int_equal(echo_init(l, &d, &opts), 0);
    assert_false(vdrv_has_feature(&d, VDRV_F_INDIRECT_DESC));
    head = d.vqs[0].free_head;
    f = echo_add(&d, 4000, 3, 0x35, 0);
    assert_int_equal(d.vqs[0].num_free, QUEUE_MAX - 4);
    assert_int_equal(d.vqs[0].desc[head].flags, VRING_DESC_F_NEXT);
    vdrv_vq_kick(&d.vqs[0]);
    assert_int_equal(vdrv_wait_for(&d, &d.vqs[0], &f->req.done, 0), 0);
    echo_check(f, 4000, 0x35);
    vdrv_inflight_release(f);
    vdrv_remove(&d, vdrv_inflight_detach);
    assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
    loop_free(l);
}

/* Many requests in small batches, so both 16-bit indices wrap and event
 * idx suppression decides every kick and interrupt. */
static void run_batches(struct loop *l, struct vdrv_device *d,
                        unsigned total)
{
    struct vdrv_inflight *batch[8];
    unsigned done = 0, batches = 0;

    while (done < total) {
        unsigned n = 1 + batches % 7;

        for (unsigned i = 0; i < n; i++)
            batch[i] = echo_add(d, 16, 1 + i % 3, (uint8_t)(done + i), 0);
        vdrv_vq_kick(&d->vqs[0]);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(vdrv_wait_for(d, &d->vqs[0], &batch[i]->req.done,
                                           0), 0);
            echo_check(batch[i], 16, (uint8_t)(done + i));
            vdrv_inflight_release(batch[i]);
        }
        done += n;
        batches++;
    }
    assert_int_equal(d->vqs[0].completions, done);
    assert_int_equal(d->vqs[0].avail_idx_shadow, (uint16_t)done);
    assert_int_equal(d->vqs[0].last_used_idx, (uint16_t)done);
    assert_int_equal(l->vqs[0].used_idx, (uint16_t)done);
    /* One kick and one interrupt per batch, not per request. */
    assert_int_equal(d->vqs[0].kicks, batches);
    assert_int_equal(l->irqs, batches);
}

static void test_event_idx_wraparound(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;
    struct vdrv_inflight *a, *b;

    opts.queue_size = 16;
    assert_int_equal(echo_init(l, &d, &opts), 0);
    assert_true(d.vqs[0].event_idx);
    run_batches(l, &d, 70000);
    assert_int_equal(l->faults[XV_FAULT_AVAIL_IDX], 0);

    /* The device has not caught up with the first kick: avail_event is
     * stale and the second kick must be suppressed. */
    a = echo_add(&d, 8, 1, 1, 0);
    assert_true(vdrv_vq_kick(&d.vqs[0]));
    b = echo_add(&d, 8, 1, 2, 0);
    assert_false(vdrv_vq_kick(&d.vqs[0]));
    assert_int_equal(vdrv_wait_for(&d, &d.vqs[0], &b->req.done, 0), 0);
    assert_true(a->req.done);
    vdrv_inflight_release(a);
    vdrv_inflight_release(b);
    vdrv_remove(&d, vdrv_inflight_detach);

    /* Same traffic without event idx: NO_NOTIFY / NO_INTERRUPT flags. */
    opts.features_clear = VDRV_BIT(VDRV_F_EVENT_IDX);
    l->irqs = 0;
    assert_int_equal(echo_init(l, &d, &opts), 0);
    assert_false(d.vqs[0].event_idx);
    run_batches(l, &d, 1000);
    vdrv_remove(&d, vdrv_inflight_detach);
    assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
    loop_free(l);
}

static void test_config_generation(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;
    uint64_t value = 0;

    assert_int_equal(echo_init(l, &d, &opts), 0);
    l->config_value = 0x0000000100000001ull;
    l->config_race = true;
    assert_int_equal(vdrv_config_read(&d, 0, &value, 8), 0);
    /* Without the retry the halves would come from different values. */
    assert_int_equal(value, 0x0000000200000002ull);
    assert_int_equal(vdrv_wait_interrupt(&d, 10), 0);
    assert_int_equal(d.config_interrupts, 1);
    assert_false(d.needs_reset);
    vdrv_remove(&d, vdrv_inflight_detach);
    loop_free(l);
}

struct ring_case {
    const char *name;
    unsigned misbehave;
    bool no_indirect;
    unsigned segs;
    enum xv_fault fault;
};

static const struct ring_case ring_cases[] = {
    { "head >= queue size", VDRV_MB_HEAD_OUT_OF_RANGE, false, 1,
      XV_FAULT_HEAD_INDEX },
    { "next out of range", VDRV_MB_NEXT_OUT_OF_RANGE, true, 2,
      XV_FAULT_NEXT_INDEX },
    { "next out of indirect table", VDRV_MB_NEXT_OUT_OF_RANGE, false, 3,
      XV_FAULT_NEXT_INDEX },
    { "chain loop", VDRV_MB_CHAIN_LOOP, true, 2, XV_FAULT_CHAIN_LOOP },
    { "loop in indirect table", VDRV_MB_CHAIN_LOOP, false, 2,
      XV_FAULT_CHAIN_LOOP },
    { "nested indirect", VDRV_MB_INDIRECT_NESTED, false, 2,
      XV_FAULT_INDIRECT_NESTED },
    { "indirect len 0", VDRV_MB_INDIRECT_LEN_ZERO, false, 2,
      XV_FAULT_INDIRECT_LEN },
    { "indirect len odd", VDRV_MB_INDIRECT_LEN_ODD, false, 2,
      XV_FAULT_INDIRECT_LEN },
    { "indirect with next", VDRV_MB_INDIRECT_NEXT, false, 2,
      XV_FAULT_INDIRECT_NEXT },
    { "indirect unnegotiated", VDRV_MB_FORCE_INDIRECT, true, 2,
      XV_FAULT_INDIRECT_UNNEGOTIATED },
    { "readable after writable", VDRV_MB_READ_AFTER_WRITE, true, 1,
      XV_FAULT_READ_AFTER_WRITE },
    { "readable after writable (indirect)", VDRV_MB_READ_AFTER_WRITE, false,
      2, XV_FAULT_READ_AFTER_WRITE },
    { "avail idx jump", VDRV_MB_AVAIL_IDX_JUMP, false, 1,
      XV_FAULT_AVAIL_IDX },
};

/* Each broken ring ends in DEVICE_NEEDS_RESET; after a reset the device
 * works again. */
static void test_ring_misbehaviour(void **state)
{
    for (size_t i = 0; i < sizeof(ring_cases) / sizeof(ring_cases[0]); i++) {
        const struct ring_case *c = &ring_cases[i];
        struct loop *l = loop_new(&echo_ops, &echo_config, i % 2 == 1);
        struct vdrv_options opts = options(i % 2 == 1);
        struct vdrv_device d;
        struct vdrv_inflight *f;

        print_message("  %s%s\n", c->name, i % 2 ? " (grants)" : "");
        if (c->no_indirect)
            opts.features_clear = VDRV_BIT(VDRV_F_INDIRECT_DESC);
        assert_int_equal(echo_init(l, &d, &opts), 0);
        echo_roundtrip(&d, 32, c->segs, 0x44);
        f = echo_add(&d, 32, c->segs, 0x45, c->misbehave);
        vdrv_vq_kick(&d.vqs[0]);
        assert_int_equal(vdrv_wait_for(&d, &d.vqs[0], &f->req.done, 0), -EIO);
        assert_false(f->req.done);
        assert_true(d.needs_reset);
        assert_true(vdrv_get_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET);
        assert_int_equal(l->faults[c->fault], 1);
        vdrv_remove(&d, vdrv_inflight_detach);
        vdrv_inflight_release(f);
        assert_int_equal(grants_active(l), 0);
        assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);

        /* A fresh driver gets a working device. */
        assert_int_equal(echo_init(l, &d, &opts), 0);
        echo_roundtrip(&d, 32, c->segs, 0x46);
        vdrv_remove(&d, vdrv_inflight_detach);
        loop_free(l);
    }
}

/* Requests that only fail: used length 0, the device keeps going. */
static void test_bad_buffers(void **state)
{
    static const struct {
        const char *name;
        uint64_t addr;
        uint32_t len;
        bool grants;
        enum xv_fault fault;
    } cases[] = {
        { "addr + len overflows", UINT64_MAX - 15, 64, false,
          XV_FAULT_ADDR_OVERFLOW },
        { "unmapped address", 0x1000, 64, false, XV_FAULT_BUF_MAP },
        { "address past RAM", RAM_GPA + RAM_BYTES - 8, 64, false,
          XV_FAULT_BUF_MAP },
        { "never-granted ref", VDRV_GRANT_DMA_ADDR(5000, 0), 64, true,
          XV_FAULT_BUF_MAP },
        { "plain address to a grant device", RAM_GPA, 64, true,
          XV_FAULT_BUF_MAP },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct loop *l = loop_new(&echo_ops, &echo_config, cases[i].grants);
        struct vdrv_options opts = options(cases[i].grants);
        struct vdrv_device d;
        struct vdrv_inflight *f;
        struct vdrv_sg sg[2];

        print_message("  %s\n", cases[i].name);
        assert_int_equal(echo_init(l, &d, &opts), 0);
        f = vdrv_inflight_new(&d, 256);
        assert_non_null(f);
        sg[0] = (struct vdrv_sg){ cases[i].addr, cases[i].len, VDRV_SG_RAW };
        sg[1] = (struct vdrv_sg){ f->gpa, 64, 0 };
        assert_int_equal(vdrv_inflight_run(f, &d.vqs[0], sg, 1, 1), 0);
        assert_int_equal(f->req.used_len, 0);
        assert_int_equal(l->faults[cases[i].fault], 1);
        assert_false(d.needs_reset);
        vdrv_inflight_release(f);
        echo_roundtrip(&d, 64, 2, 0x47);
        vdrv_remove(&d, vdrv_inflight_detach);
        assert_int_equal(grants_active(l), 0);
        loop_free(l);
    }
}

static void test_register_abuse(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;
    uint64_t desc_addr, magic;

    assert_int_equal(echo_init(l, &d, &opts), 0);
    desc_addr = l->vqs[0].desc_addr;

    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_READ_8BYTE, 0),
                     -EINVAL);
    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_WRITE_8BYTE, 0),
                     -EINVAL);
    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_READ_1BYTE, 0),
                     -EINVAL);
    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_WRITE_1BYTE, 0),
                     -EINVAL);
    assert_int_equal(l->faults[XV_FAULT_MMIO_WIDTH], 4);
    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_WRITE_READONLY, 0),
                     -EINVAL);
    assert_int_equal(l->faults[XV_FAULT_MMIO_OFFSET], 8);
    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_OUTSIDE_WINDOW, 0),
                     -EINVAL);
    assert_int_equal(l->faults[XV_FAULT_MMIO_OFFSET], 10);
    assert_int_equal(vdrv_abuse_registers(&d, VDRV_REG_QUEUE_CONFIG_LIVE, 0),
                     0);
    /* Nothing changed: identity, status, the live queue. */
    assert_int_equal(vdrv_mmio_read(&d, 0, 4, &magic), 0);
    assert_int_equal(magic, 0x74726976u);
    assert_int_equal(l->dev.status, 0xf);
    assert_int_equal(l->vqs[0].desc_addr, desc_addr);
    assert_int_equal(l->vqs[0].num, QUEUE_MAX);
    echo_roundtrip(&d, 64, 2, 0x48);
    assert_false(d.needs_reset);
    vdrv_remove(&d, vdrv_inflight_detach);
    loop_free(l);
}

static void test_queue_num_not_power_of_two(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_device d;
    struct vdrv_inflight *f;

    opts.queue_num_override = 100;
    assert_int_equal(echo_init(l, &d, &opts), 0);
    assert_false(l->vqs[0].ready);
    assert_int_equal(l->faults[XV_FAULT_QUEUE_CONFIG], 1);
    assert_true(vdrv_get_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    f = echo_add(&d, 8, 1, 0, 0);
    vdrv_vq_kick(&d.vqs[0]);
    assert_int_not_equal(vdrv_wait_for(&d, &d.vqs[0], &f->req.done, 0), 0);
    vdrv_remove(&d, vdrv_inflight_detach);
    vdrv_inflight_release(f);
    loop_free(l);
}

/* The device lies in the used ring: the driver breaks the queue. */
static void test_used_validation(void **state)
{
    static const struct {
        uint32_t id_delta;      /* added to the real id */
        uint32_t len;           /* 0: keep */
        const char *error;
    } cases[] = {
        { QUEUE_MAX, 0, "out of range" },
        { 1, 0, "is not a head" },
        { 0, 1000, "is larger than in buflen" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct loop *l = loop_new(&echo_ops, &echo_config, false);
        struct vdrv_options opts = options(false);
        struct vdrv_device d;
        struct vdrv_inflight *f;
        volatile uint32_t *elem;

        assert_int_equal(echo_init(l, &d, &opts), 0);
        f = echo_add(&d, 16, 1, 0, 0);
        vdrv_vq_kick(&d.vqs[0]);
        /* Run the device, then corrupt its used element. */
        t_wait_irq(l, 0);
        elem = (volatile uint32_t *)(d.vqs[0].used + 2);
        elem[0] += cases[i].id_delta;
        if (cases[i].len)
            elem[1] = cases[i].len;
        vdrv_interrupt(&d);
        assert_false(f->req.done);
        assert_true(d.vqs[0].broken);
        assert_non_null(strstr(d.last_error, cases[i].error));
        vdrv_remove(&d, vdrv_inflight_detach);
        vdrv_inflight_release(f);
        assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
        loop_free(l);
    }
}

/* The backend keeps a request's grants mapped past the reset: the guest
 * must refuse to reuse them, as Linux does. */
static void test_grant_still_in_use(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, true);
    struct vdrv_options opts = options(true);
    struct vdrv_device d;
    struct vdrv_inflight *f;

    assert_int_equal(echo_init(l, &d, &opts), 0);
    l->hold_chain = true;
    f = echo_add(&d, 64, 1, 0x49, 0);
    vdrv_vq_kick(&d.vqs[0]);
    assert_int_equal(vdrv_wait_for(&d, &d.vqs[0], &f->req.done, 0),
                     -ETIMEDOUT);
    assert_true(l->has_held);
    vdrv_remove(&d, vdrv_inflight_detach);
    assert_true(d.grants_broken);
    assert_non_null(strstr(d.last_error, "Grant still in use by backend "
                           "domain, disabled for further use"));
    /* Further mappings are refused. */
    {
        struct vdrv_dma map;

        assert_int_equal(vdrv_dma_map(&d, RAM_GPA, 16, false, &map), -EIO);
    }
    vdrv_inflight_release(f);
    loop_free(l);
}

/* The guest stops mid request. The device finishes on its own and the
 * core stays consistent; a reset (the toolstack's destroy) cleans up. */
static void test_die_mid_request(void **state)
{
    struct loop *l = loop_new(&echo_ops, &echo_config, true);
    struct vdrv_options opts = options(true);
    struct vdrv_device d;
    struct vdrv_inflight *f, *g;

    assert_int_equal(echo_init(l, &d, &opts), 0);
    f = echo_add(&d, 64, 2, 0x4a, 0);
    vdrv_vq_kick(&d.vqs[0]);
    /* Published but never notified. */
    g = echo_add(&d, 64, 1, 0x4b, VDRV_MB_NO_KICK);
    assert_false(vdrv_vq_kick(&d.vqs[0]));
    vdrv_die(&d);
    assert_int_equal(vdrv_wait_for(&d, &d.vqs[0], &f->req.done, 0), -ENODEV);
    /* The backend runs anyway: both chains get processed (the second
     * because the device drains the queue), nobody listens. */
    t_wait_irq(l, 0);
    assert_int_equal(l->vqs[0].in_flight, 0);
    assert_int_equal(l->faults[XV_FAULT_USED_ID], 0);
    assert_false(f->req.done);
    xv_device_reset(&l->dev);
    vdrv_remove(&d, vdrv_inflight_detach);
    vdrv_inflight_release(f);
    vdrv_inflight_release(g);
    loop_free(l);
}

/*
 * Device drivers against minimal devices of each type.
 */
static void blk_work(struct xv_device *dev, unsigned queue)
{
    struct loop *l = loop_of(dev);
    struct xv_vq *vq = &dev->vqs[queue];
    struct xv_iovec iov[MAX_SEGS];
    struct xv_gbuf gbuf[MAX_SEGS];
    struct xv_chain c = { .iov = iov, .gbuf = gbuf, .max_segs = MAX_SEGS };

    while (xv_vq_pop(vq, &c) > 0) {
        struct virtio_blk_outhdr hdr;
        uint32_t data_in = c.writable_len - 1;   /* last byte: status */
        uint32_t data_out = c.readable_len - sizeof(hdr);
        uint64_t off;
        uint8_t status = VIRTIO_BLK_S_OK;
        uint32_t written = 1;

        xv_chain_read(&c, 0, &hdr, sizeof(hdr));
        off = hdr.sector * 512;
        switch (hdr.type) {
        case VIRTIO_BLK_T_IN:
            if (off + data_in > sizeof(l->disk)) {
                status = VIRTIO_BLK_S_IOERR;
                break;
            }
            written += (uint32_t)xv_chain_write(&c, 0, l->disk + off, data_in);
            break;
        case VIRTIO_BLK_T_OUT:
            if (off + data_out > sizeof(l->disk)) {
                status = VIRTIO_BLK_S_IOERR;
                break;
            }
            xv_chain_read(&c, sizeof(hdr), l->disk + off, data_out);
            break;
        case VIRTIO_BLK_T_FLUSH:
            break;
        case VIRTIO_BLK_T_GET_ID:
            written += (uint32_t)xv_chain_write(&c, 0, "loopdisk", 8);
            break;
        case VIRTIO_BLK_T_WRITE_ZEROES: {
            struct virtio_blk_discard_write_zeroes r;

            xv_chain_read(&c, sizeof(hdr), &r, sizeof(r));
            memset(l->disk + r.sector * 512, 0, r.num_sectors * 512u);
            break;
        }
        default:
            status = VIRTIO_BLK_S_UNSUPP;
        }
        /* The status is the last writable byte. */
        xv_chain_write(&c, c.writable_len - 1, &status, 1);
        xv_vq_push(vq, &c, status == VIRTIO_BLK_S_OK ? written : 1);
    }
    xv_vq_notify_guest(vq);
}

static void blk_config_read(struct xv_device *dev, uint32_t off, void *buf,
                            uint32_t len)
{
    struct virtio_blk_config cfg = {
        .capacity = 128, .seg_max = 8, .blk_size = 512,
        .max_write_zeroes_sectors = 64, .max_write_zeroes_seg = 1,
    };

    memcpy(buf, (uint8_t *)&cfg + off, len);
}

static const struct xv_device_ops blk_ops = {
    .name = "blk", .device_id = XV_ID_BLOCK,
    .config_size = sizeof(struct virtio_blk_config),
    .config_read = blk_config_read, .queue_work = blk_work,
};

static const struct xv_device_config blk_config = {
    .features = VDRV_BIT(VIRTIO_BLK_F_SEG_MAX) |
                VDRV_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                VDRV_BIT(VIRTIO_BLK_F_FLUSH) |
                VDRV_BIT(VIRTIO_BLK_F_WRITE_ZEROES),
    .num_queues = 1, .queue_max_size = 128,
};

static void test_blk(void **state)
{
    struct loop *l = loop_new(&blk_ops, &blk_config, true);
    struct vdrv_options opts = options(true);
    struct vdrv_blk blk;
    static uint8_t out[8192], in[8192];
    char id[VIRTIO_BLK_ID_BYTES];

    assert_int_equal(vdrv_blk_init(&blk, &l->transport, MMIO_BASE, &opts), 0);
    assert_int_equal(blk.capacity, 128);
    assert_int_equal(blk.seg_max, 8);
    assert_true(blk.flush);
    assert_int_equal(blk.max_write_zeroes_sectors, 64);
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 7);
    blk.data_seg_bytes = 4096; /* 2 data segments: hdr + 2 + status */
    assert_int_equal(vdrv_blk_write(&blk, 8, out, sizeof(out)), 0);
    assert_memory_equal(l->disk + 8 * 512, out, sizeof(out));
    assert_int_equal(vdrv_blk_read(&blk, 8, in, sizeof(in)), 0);
    assert_memory_equal(in, out, sizeof(out));
    assert_int_equal(vdrv_blk_flush(&blk), 0);
    assert_int_equal(vdrv_blk_get_id(&blk, id), 0);
    assert_memory_equal(id, "loopdisk", 8);
    assert_int_equal(vdrv_blk_write_zeroes(&blk, 8, 2, false), 0);
    assert_int_equal(l->disk[8 * 512 + 1], 0);
    assert_int_equal(vdrv_blk_discard(&blk, 0, 1), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(vdrv_blk_read(&blk, 127, in, 1024), VIRTIO_BLK_S_IOERR);
    vdrv_blk_remove(&blk);
    assert_int_equal(grants_active(l), 0);
    assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
    loop_free(l);
}

/* An EEPROM at 0x50: a write sets the pointer (then data), a read
 * returns from it. Anything else NAKs, and FAIL_NEXT fails the rest. */
static void i2c_work(struct xv_device *dev, unsigned queue)
{
    struct loop *l = loop_of(dev);
    struct xv_vq *vq = &dev->vqs[queue];
    struct xv_iovec iov[4];
    struct xv_gbuf gbuf[4];
    struct xv_chain c = { .iov = iov, .gbuf = gbuf, .max_segs = 4 };
    static bool fail_next;

    while (xv_vq_pop(vq, &c) > 0) {
        struct virtio_i2c_out_hdr hdr;
        uint8_t status = VIRTIO_I2C_MSG_OK;
        uint32_t written = 0;

        xv_chain_read(&c, 0, &hdr, sizeof(hdr));
        if (fail_next || hdr.addr != 0x50 << 1) {
            status = VIRTIO_I2C_MSG_ERR;
        } else if (hdr.flags & VIRTIO_I2C_FLAGS_M_RD) {
            uint32_t n = c.writable_len - 1;

            for (uint32_t i = 0; i < n; i++)
                written += (uint32_t)xv_chain_write(
                    &c, i, &l->eeprom[(uint8_t)(l->eeprom_ptr + i)], 1);
            l->eeprom_ptr = (uint8_t)(l->eeprom_ptr + n);
        } else if (c.readable_len > sizeof(hdr)) {
            uint8_t data[64];
            size_t n = xv_chain_read(&c, sizeof(hdr), data, sizeof(data));

            l->eeprom_ptr = data[0];
            for (size_t i = 1; i < n; i++)
                l->eeprom[l->eeprom_ptr++] = data[i];
        }
        fail_next = status != VIRTIO_I2C_MSG_OK &&
                    (hdr.flags & VIRTIO_I2C_FLAGS_FAIL_NEXT);
        if (!(hdr.flags & VIRTIO_I2C_FLAGS_FAIL_NEXT))
            fail_next = false;
        xv_chain_write(&c, c.writable_len - 1, &status, 1);
        xv_vq_push(vq, &c, written + 1);
    }
    xv_vq_notify_guest(vq);
}

static const struct xv_device_ops i2c_ops = {
    .name = "i2c", .device_id = XV_ID_I2C, .queue_work = i2c_work,
};

static const struct xv_device_config i2c_config = {
    .features = VDRV_BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST),
    .num_queues = 1, .queue_max_size = 16,
};

static const struct xv_device_config i2c_config_no_zero_len = {
    .num_queues = 1, .queue_max_size = 16,
};

static void test_i2c(void **state)
{
    struct loop *l = loop_new(&i2c_ops, &i2c_config, false);
    struct vdrv_options opts = options(false);
    struct vdrv_i2c i2c;
    uint8_t wr[] = { 0x10, 0xaa, 0xbb }, ptr[] = { 0x10 }, rd[2] = { 0 };
    struct vdrv_i2c_msg write_msg[] = { { 0x50, 0, sizeof(wr), wr } };
    struct vdrv_i2c_msg read_msgs[] = {
        { 0x50, 0, 1, ptr },
        { 0x50, VDRV_I2C_M_RD, 2, rd },
    };
    struct vdrv_i2c_msg probe[] = { { 0x50, 0, 0, NULL } };
    struct vdrv_i2c_msg nak[] = {
        { 0x51, 0, 1, ptr },
        { 0x50, VDRV_I2C_M_RD, 2, rd },
    };

    assert_int_equal(vdrv_i2c_init(&i2c, &l->transport, MMIO_BASE, &opts), 0);
    assert_int_equal(vdrv_i2c_transfer(&i2c, write_msg, 1), 1);
    assert_int_equal(vdrv_i2c_transfer(&i2c, read_msgs, 2), 2);
    assert_int_equal(rd[0], 0xaa);
    assert_int_equal(rd[1], 0xbb);
    assert_int_equal(vdrv_i2c_transfer(&i2c, probe, 1), 1);
    /* The first message fails; FAIL_NEXT makes the device fail the
     * second, and the driver counts neither. */
    assert_int_equal(vdrv_i2c_transfer(&i2c, nak, 2), 0);
    vdrv_i2c_remove(&i2c);
    loop_free(l);

    l = loop_new(&i2c_ops, &i2c_config_no_zero_len, false);
    assert_int_equal(vdrv_i2c_init(&i2c, &l->transport, MMIO_BASE, &opts), 0);
    assert_int_equal(vdrv_i2c_transfer(&i2c, probe, 1), -EOPNOTSUPP);
    vdrv_i2c_remove(&i2c);
    loop_free(l);
}

/* BASE protocol only, echoing the header as platforms must. */
static void scmi_work(struct xv_device *dev, unsigned queue)
{
    struct xv_vq *vq = &dev->vqs[queue];
    struct xv_iovec iov[4];
    struct xv_gbuf gbuf[4];
    struct xv_chain c = { .iov = iov, .gbuf = gbuf, .max_segs = 4 };

    if (queue != VIRTIO_SCMI_VQ_TX)
        return; /* eventq buffers stay posted */
    while (xv_vq_pop(vq, &c) > 0) {
        uint32_t hdr, reply[1 + 1 + 4] = { 0 };
        uint32_t words = 2;

        xv_chain_read(&c, 0, &hdr, 4);
        reply[0] = hdr;
        if (VDRV_SCMI_HDR_PROTOCOL(hdr) != VDRV_SCMI_PROTOCOL_BASE) {
            reply[1] = (uint32_t)VDRV_SCMI_NOT_SUPPORTED;
        } else if (VDRV_SCMI_HDR_MSG_ID(hdr) == VDRV_SCMI_PROTOCOL_VERSION) {
            reply[2] = 0x20000;
            words = 3;
        } else if (VDRV_SCMI_HDR_MSG_ID(hdr) ==
                   VDRV_SCMI_PROTOCOL_ATTRIBUTES) {
            reply[2] = 3 | 2 << 8;
            words = 3;
        } else if (VDRV_SCMI_HDR_MSG_ID(hdr) ==
                   VDRV_SCMI_BASE_DISCOVER_VENDOR) {
            memcpy(&reply[2], "xenvirtiod", 11);
            words = 6;
        } else {
            reply[1] = (uint32_t)-4; /* NOT_FOUND */
        }
        xv_vq_push(vq, &c, (uint32_t)xv_chain_write(&c, 0, reply, 4 * words));
    }
    xv_vq_notify_guest(vq);
}

static const struct xv_device_ops scmi_ops = {
    .name = "scmi", .device_id = XV_ID_SCMI, .queue_work = scmi_work,
};

static const struct xv_device_config scmi_config = {
    .features = VDRV_BIT(VIRTIO_SCMI_F_P2A_CHANNELS),
    .num_queues = 2, .queue_max_size = 64,
};

static void test_scmi(void **state)
{
    struct loop *l = loop_new(&scmi_ops, &scmi_config, true);
    struct vdrv_options opts = options(true);
    struct vdrv_scmi scmi;
    struct vdrv_scmi_reply reply;
    uint32_t version = 0;
    uint8_t protocols = 0, agents = 0;
    char vendor[16];

    assert_int_equal(vdrv_scmi_init(&scmi, &l->transport, MMIO_BASE, &opts),
                     0);
    assert_true(scmi.p2a);
    assert_int_equal(scmi.max_msg, 32);
    assert_int_equal(scmi.event_count, 64);
    assert_int_equal(xv_vq_avail_count(&l->vqs[1]), 64);
    assert_int_equal(vdrv_scmi_base_version(&scmi, &version), 0);
    assert_int_equal(version, 0x20000);
    assert_int_equal(vdrv_scmi_base_attributes(&scmi, &protocols, &agents), 0);
    assert_int_equal(protocols, 3);
    assert_int_equal(agents, 2);
    assert_int_equal(vdrv_scmi_base_vendor(&scmi, vendor), 0);
    assert_string_equal(vendor, "xenvirtiod");
    assert_int_equal(vdrv_scmi_xfer(&scmi, 0x14, 0, NULL, 0, 4, &reply), 0);
    assert_int_equal(reply.status, VDRV_SCMI_NOT_SUPPORTED);
    assert_int_equal(reply.len, 0);
    assert_int_equal(VDRV_SCMI_HDR_PROTOCOL(reply.hdr), 0x14);
    vdrv_scmi_remove(&scmi);
    assert_int_equal(grants_active(l), 0);
    assert_int_equal(vdrv_pool_pages_in_use(&l->pool), 0);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_probe_bad_magic),
        cmocka_unit_test(test_access_platform_required),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_event_idx_wraparound),
        cmocka_unit_test(test_config_generation),
        cmocka_unit_test(test_ring_misbehaviour),
        cmocka_unit_test(test_bad_buffers),
        cmocka_unit_test(test_register_abuse),
        cmocka_unit_test(test_queue_num_not_power_of_two),
        cmocka_unit_test(test_used_validation),
        cmocka_unit_test(test_grant_still_in_use),
        cmocka_unit_test(test_die_mid_request),
        cmocka_unit_test(test_blk),
        cmocka_unit_test(test_i2c),
        cmocka_unit_test(test_scmi),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
