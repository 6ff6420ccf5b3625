/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the virtio-mmio register file: the input is a sequence of register
 * accesses of any offset and width, queue processing, config changes and
 * writes into guest RAM, against a device with 2 queues and a 32-byte
 * config space whose queue_work drains its queue.
 *
 * Invariants checked after every step (abort() on violation):
 *  - an access returns 0 or -EINVAL; a refused one reads 0 and changes
 *    nothing (device, queues, config, platform calls);
 *  - MagicValue, Version, DeviceID never change;
 *  - FEATURES_OK is never set with features outside the offered set, or
 *    without VERSION_1 (or ACCESS_PLATFORM when required), or against the
 *    device's veto; DRIVER_OK is never set without FEATURES_OK;
 *  - a ready queue has a power-of-two size <= QueueNumMax and mapped rings;
 *    mappings outstanding = 3 per ready queue; a status-0 write releases
 *    everything and clears InterruptStatus;
 *  - queue_notify only names existing queues; queue_work never runs inside
 *    xv_mmio_write; config accessors stay within config_size;
 *  - a ring-structure fault implies DEVICE_NEEDS_RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"
#include "test_platform.h"

#define QUEUE_MAX 16u
#define CONFIG_SIZE 32u

struct state {
    struct test_platform tp;
    struct test_dev td;
};

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "fuzz_mmio: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                     \
            abort();                                                      \
        }                                                                 \
    } while (0)

/* What a refused access must not change. */
struct snapshot {
    struct xv_device dev;
    struct xv_vq vqs[TD_MAX_QUEUES];
    uint8_t config[TD_CONFIG_BYTES];
    unsigned map_calls, unmap_calls, notify_calls, interrupt_calls;
    unsigned callbacks;
};

static void take(struct state *s, struct snapshot *snap)
{
    memset(snap, 0, sizeof(*snap));
    memcpy(&snap->dev, &s->td.dev, sizeof(snap->dev));
    memcpy(snap->vqs, s->td.vqs, sizeof(snap->vqs));
    memcpy(snap->config, s->td.config, sizeof(snap->config));
    snap->map_calls = s->tp.map_calls;
    snap->unmap_calls = s->tp.unmap_calls;
    snap->notify_calls = s->tp.queue_notify_calls;
    snap->interrupt_calls = s->tp.interrupt_calls;
    snap->callbacks = s->td.config_read_calls + s->td.config_write_calls +
                      s->td.features_ok_calls + s->td.driver_ok_calls +
                      s->td.reset_calls + s->td.queue_reset_calls +
                      s->td.queue_work_calls;
}

static unsigned reset_faults(const struct test_platform *tp)
{
    unsigned n = 0;
    for (int f = 0; f < XV_FAULT_COUNT; f++)
        if (xv_fault_needs_reset((enum xv_fault)f))
            n += tp->fault_counts[f];
    return n;
}

static bool is_power_of_two(uint32_t x)
{
    return x && !(x & (x - 1));
}

static void check_invariants(struct state *s)
{
    struct xv_device *dev = &s->td.dev;
    uint64_t offered = xv_device_features(dev);
    size_t rings = 0;

    if (dev->status & XV_STATUS_FEATURES_OK) {
        CHECK((dev->driver_features & ~offered) == 0);
        CHECK(dev->driver_features & XV_FEATURE(XV_F_VERSION_1));
        if (dev->access_platform)
            CHECK(dev->driver_features & XV_FEATURE(XV_F_ACCESS_PLATFORM));
        CHECK(!s->td.veto_features);
    }
    if (dev->status & XV_STATUS_DRIVER_OK)
        CHECK(dev->status & XV_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < s->td.instance.num_queues; q++) {
        const struct xv_vq *vq = &s->td.vqs[q];
        if (!vq->ready)
            continue;
        CHECK(is_power_of_two(vq->num) && vq->num <= QUEUE_MAX);
        CHECK(vq->desc && vq->avail && vq->used);
        rings += 3;
    }
    CHECK(tp_outstanding(&s->tp) == rings);
    CHECK((dev->interrupt_status & ~(XV_MMIO_INT_VRING | XV_MMIO_INT_CONFIG)) == 0);
    if (s->tp.queue_notify_calls)
        CHECK(s->tp.last_notify_queue < s->td.instance.num_queues);
    CHECK(s->td.queue_work_in_mmio == 0);
    CHECK(s->td.config_out_of_range == 0);
    CHECK(s->tp.unmap_mismatch == 0);
    CHECK(s->tp.bad_map_args == 0);
    CHECK(s->tp.bad_fault_code == 0);
    CHECK(s->tp.wrong_dev_calls == 0);
    if (reset_faults(&s->tp))
        CHECK(dev->status & XV_STATUS_DEVICE_NEEDS_RESET);
}

/* Drain the queue the way a simple device does: everything completes at
 * once, so no chain mapping outlives queue_work. */
static void drain(struct test_dev *td, unsigned queue)
{
    struct xv_vq *vq = &td->vqs[queue];
    struct xv_iovec iov[8];
    struct xv_gbuf gbuf[8];
    uint8_t buf[256];
    for (int i = 0; i < 64; i++) {
        struct xv_chain chain = { .iov = iov, .gbuf = gbuf, .max_segs = 8 };
        if (xv_vq_pop(vq, &chain) != 1)
            break;
        size_t n = xv_chain_read(&chain, 0, buf, sizeof(buf));
        n = xv_chain_write(&chain, 0, buf, n);
        if (td->tp->log_faults)
            fprintf(stderr, "queue %u: chain %u echoed %zu bytes\n", queue,
                    chain.head, n);
        xv_vq_push(vq, &chain, (uint32_t)n);
    }
    xv_vq_notify_guest(vq);
}

static void mmio_access(struct state *s, bool is_write, struct fz_reader *r)
{
    uint32_t offset = (uint32_t)(fz_get(r, 2) % (XV_MMIO_WINDOW_SIZE + 0x20));
    unsigned width = fzm_widths[fz_get(r, 1) % 8];
    uint32_t value = (uint32_t)fz_get(r, 4);
    struct snapshot before, after;
    int rc;

    take(s, &before);
    if (is_write) {
        rc = td_write(&s->td, offset, width, value);
    } else {
        uint32_t out = 0xdeadbeef;
        rc = td_read(&s->td, offset, width, &out);
        if (rc == 0 && width == 4 && offset == XV_MMIO_MAGIC_VALUE)
            CHECK(out == XV_MMIO_MAGIC);
        if (rc == 0 && width == 4 && offset == XV_MMIO_VERSION)
            CHECK(out == XV_MMIO_VERSION_MODERN);
        if (rc == 0 && width == 4 && offset == XV_MMIO_DEVICE_ID)
            CHECK(out == s->td.ops.device_id);
        if (rc < 0)
            CHECK(out == 0);
    }
    CHECK(rc == 0 || rc == -EINVAL);
    /* Registers other than config space are 32-bit only. */
    if (offset < XV_MMIO_CONFIG && width != 4)
        CHECK(rc == -EINVAL);
    if (rc < 0) {
        take(s, &after);
        CHECK(memcmp(&before, &after, sizeof(before)) == 0);
    }
    if (rc == 0 && is_write && offset == XV_MMIO_STATUS && value == 0) {
        CHECK(s->td.dev.status == 0);
        CHECK(s->td.dev.interrupt_status == 0);
        CHECK(tp_outstanding(&s->tp) == 0);
        tp_clear_counters(&s->tp);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct state *s;
    struct fz_reader r = { .data = data, .size = size };

    if (!s) {
        s = calloc(1, sizeof(*s));
        CHECK(s);
    }
    memset(&s->td, 0, sizeof(s->td));
    CHECK(tp_init(&s->tp, FZ_RAM_SIZE) == 0);
    s->tp.log_faults = getenv("XV_FUZZ_VERBOSE") != NULL;
    td_defaults(&s->td);
    s->td.instance.num_queues = 2;
    s->td.instance.queue_max_size = QUEUE_MAX;
    s->td.ops.config_size = CONFIG_SIZE;
    s->td.work = drain;
    CHECK(td_init(&s->td, &s->tp) == 0);

    uint8_t setup = (uint8_t)fz_get(&r, 1);
    s->td.dev.access_platform = setup & 1;
    s->td.veto_features = setup & 2;

    for (unsigned ops = 0; fz_more(&r) && ops < FZ_MAX_OPS; ops++) {
        switch (fz_get(&r, 1) % FZM_OP_COUNT) {
        case FZM_READ:
            mmio_access(s, false, &r);
            break;
        case FZM_WRITE:
            mmio_access(s, true, &r);
            break;
        case FZM_PROCESS:
            xv_device_process_queue(&s->td.dev, (unsigned)(fz_get(&r, 1) % 3));
            break;
        case FZM_CONFIG_CHANGED: {
            uint32_t generation = s->td.dev.config_generation;
            xv_device_config_changed(&s->td.dev);
            CHECK(s->td.dev.config_generation != generation);
            CHECK(s->td.dev.interrupt_status & XV_MMIO_INT_CONFIG);
            break;
        }
        case FZM_NEEDS_RESET:
            xv_device_needs_reset(&s->td.dev, -1, XV_FAULT_DEVICE);
            CHECK(s->td.dev.status & XV_STATUS_DEVICE_NEEDS_RESET);
            break;
        case FZM_DEVICE_RESET:
            xv_device_reset(&s->td.dev);
            CHECK(s->td.dev.status == 0);
            CHECK(tp_outstanding(&s->tp) == 0);
            tp_clear_counters(&s->tp);
            break;
        case FZM_WRITE_RAM: {
            uint16_t off = (uint16_t)fz_get(&r, 2);
            uint8_t len = (uint8_t)fz_get(&r, 1);
            for (unsigned i = 0; i < len && off + i < FZ_RAM_SIZE; i++)
                s->tp.ram[off + i] = (uint8_t)fz_get(&r, 1);
            break;
        }
        }
        check_invariants(s);
    }

    xv_device_reset(&s->td.dev);
    CHECK(tp_outstanding(&s->tp) == 0);
    CHECK(tp_guards_intact(&s->tp));
    tp_fini(&s->tp);
    return 0;
}
