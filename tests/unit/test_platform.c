/* SPDX-License-Identifier: Apache-2.0 */
#include "test_platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct test_platform *platform_of(void *opaque)
{
    return opaque;
}

static void note_device(struct test_platform *tp, struct xv_device *dev)
{
    if (tp->expected_dev && dev != tp->expected_dev)
        tp->wrong_dev_calls++;
}

/* Order-sensitive hash of one map()'s arguments and results: unmap() must
 * be called "with the same arguments", which we check by signature. */
static uint64_t mix(uint64_t hash, uint64_t value)
{
    hash ^= value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
    return hash * 0x100000001b3ull;
}

static uint64_t map_signature(const struct xv_gbuf *bufs, unsigned n,
                              const struct xv_iovec *iov)
{
    uint64_t hash = mix(0xcbf29ce484222325ull, n);
    for (unsigned i = 0; i < n; i++) {
        hash = mix(hash, bufs[i].addr);
        hash = mix(hash, bufs[i].len);
        hash = mix(hash, bufs[i].writable);
        hash = mix(hash, (uint64_t)(uintptr_t)iov[i].base);
        hash = mix(hash, iov[i].len);
    }
    return hash;
}

static bool in_ram(const struct test_platform *tp, uint64_t gpa, uint64_t len)
{
    if (gpa < tp->ram_gpa)
        return false;
    uint64_t off = gpa - tp->ram_gpa;
    return off <= tp->ram_size && len <= tp->ram_size - off;
}

static bool refused(const struct test_platform *tp, const struct xv_gbuf *buf)
{
    if (tp->refuse_all)
        return true;
    for (unsigned i = 0; i < tp->refuse_count; i++) {
        uint64_t bad = tp->refuse_gpa[i];
        if (bad >= buf->addr && bad - buf->addr < (buf->len ? buf->len : 1))
            return true;
    }
    return false;
}

static bool is_direct(const struct test_platform *tp, const struct xv_gbuf *buf)
{
    return !tp->bounce ||
           (buf->addr >= tp->direct_lo && buf->addr < tp->direct_hi);
}

static int record_mapping(struct test_platform *tp, uint64_t signature,
                          unsigned n, bool bounced)
{
    if (tp->mappings_used == tp->mappings_cap) {
        size_t cap = tp->mappings_cap ? tp->mappings_cap * 2 : 64;
        struct tp_mapping *grown = realloc(tp->mappings, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        tp->mappings = grown;
        tp->mappings_cap = cap;
    }
    tp->mappings[tp->mappings_used++] =
        (struct tp_mapping){ .signature = signature, .n = n, .bounced = bounced };
    return 0;
}

static int tp_map(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                  struct xv_iovec *iov)
{
    struct test_platform *tp = platform_of(opaque);

    if (n == 0 || !bufs || !iov) {
        tp->bad_map_args++;
        return -EINVAL;
    }
    struct tp_map_log_entry *log = &tp->map_log[tp->map_log_count % TP_MAP_LOG];
    log->n = n;
    log->first = bufs[0];
    tp->map_log_count++;

    bool bounced = false;
    for (unsigned i = 0; i < n; i++) {
        if (!in_ram(tp, bufs[i].addr, bufs[i].len) || refused(tp, &bufs[i])) {
            tp->map_refused++;
            return -EFAULT;
        }
        if (!is_direct(tp, &bufs[i]))
            bounced = true;
    }
    /* All or nothing: only now hand out pointers. */
    for (unsigned i = 0; i < n; i++) {
        uint8_t *host = tp->ram + (bufs[i].addr - tp->ram_gpa);
        iov[i].len = bufs[i].len;
        if (!bounced) {
            iov[i].base = host;
            continue;
        }
        /* Exactly sized, so any overrun is a heap-buffer-overflow. */
        iov[i].base = malloc(bufs[i].len);
        if (!iov[i].base && bufs[i].len)
            abort();
        if (bufs[i].len)
            memcpy(iov[i].base, host, bufs[i].len);
    }
    if (record_mapping(tp, map_signature(bufs, n, iov), n, bounced) < 0)
        abort();
    tp->map_calls++;
    return 0;
}

static void tp_unmap(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                     struct xv_iovec *iov)
{
    struct test_platform *tp = platform_of(opaque);
    uint64_t signature = map_signature(bufs, n, iov);

    tp->unmap_calls++;
    for (size_t i = 0; i < tp->mappings_used; i++) {
        if (tp->mappings[i].signature != signature || tp->mappings[i].n != n)
            continue;
        if (tp->mappings[i].bounced) {
            for (unsigned s = 0; s < n; s++) {
                if (bufs[s].writable && bufs[s].len)
                    memcpy(tp->ram + (bufs[s].addr - tp->ram_gpa),
                           iov[s].base, bufs[s].len);
                free(iov[s].base);
            }
        }
        tp->mappings[i] = tp->mappings[--tp->mappings_used];
        return;
    }
    tp->unmap_mismatch++;
}

static void tp_queue_notify(void *opaque, struct xv_device *dev, unsigned queue)
{
    struct test_platform *tp = platform_of(opaque);
    note_device(tp, dev);
    tp->queue_notify_calls++;
    tp->last_notify_queue = queue;
}

static void tp_interrupt(void *opaque, struct xv_device *dev)
{
    struct test_platform *tp = platform_of(opaque);
    note_device(tp, dev);
    tp->interrupt_calls++;
}

static void tp_fault(void *opaque, struct xv_device *dev, int queue,
                     enum xv_fault fault)
{
    struct test_platform *tp = platform_of(opaque);
    note_device(tp, dev);
    tp->fault_calls++;
    if (tp->log_faults)
        fprintf(stderr, "fault: queue %d: %s\n", queue, xv_fault_name(fault));
    if ((unsigned)fault >= XV_FAULT_COUNT) {
        tp->bad_fault_code++;
        return;
    }
    tp->fault_counts[fault]++;
    tp->last_fault = fault;
    tp->last_fault_queue = queue;
}

int tp_init(struct test_platform *tp, size_t ram_size)
{
    memset(tp, 0, sizeof(*tp));
    tp->ram_size = ram_size ? ram_size : TP_RAM_SIZE_DEFAULT;
    tp->ram_gpa = TP_RAM_GPA;
    tp->block = malloc(tp->ram_size + 2 * TP_GUARD_SIZE);
    if (!tp->block)
        return -ENOMEM;
    memset(tp->block, TP_GUARD_BYTE, tp->ram_size + 2 * TP_GUARD_SIZE);
    tp->ram = tp->block + TP_GUARD_SIZE;
    memset(tp->ram, 0, tp->ram_size);
    tp->platform = (struct xv_platform){
        .map = tp_map,
        .unmap = tp_unmap,
        .queue_notify = tp_queue_notify,
        .interrupt = tp_interrupt,
        .fault = tp_fault,
        .opaque = tp,
    };
    tp->last_fault_queue = -2;
    return 0;
}

void tp_fini(struct test_platform *tp)
{
    free(tp->block);
    free(tp->mappings);
    memset(tp, 0, sizeof(*tp));
}

void *tp_ram_ptr(struct test_platform *tp, uint64_t gpa, size_t len)
{
    if (!in_ram(tp, gpa, len))
        return NULL;
    return tp->ram + (gpa - tp->ram_gpa);
}

bool tp_guards_intact(const struct test_platform *tp)
{
    const uint8_t *after = tp->ram + tp->ram_size;
    for (size_t i = 0; i < TP_GUARD_SIZE; i++) {
        if (tp->block[i] != TP_GUARD_BYTE || after[i] != TP_GUARD_BYTE)
            return false;
    }
    return true;
}

void tp_refuse(struct test_platform *tp, uint64_t gpa)
{
    if (tp->refuse_count < TP_MAX_REFUSE)
        tp->refuse_gpa[tp->refuse_count++] = gpa;
}

void tp_refuse_clear(struct test_platform *tp)
{
    tp->refuse_count = 0;
    tp->refuse_all = false;
}

size_t tp_outstanding(const struct test_platform *tp)
{
    return tp->mappings_used;
}

void tp_clear_counters(struct test_platform *tp)
{
    tp->map_calls = tp->map_refused = tp->unmap_calls = 0;
    tp->queue_notify_calls = tp->interrupt_calls = tp->fault_calls = 0;
    memset(tp->fault_counts, 0, sizeof(tp->fault_counts));
    tp->last_fault = XV_FAULT_NONE;
    tp->last_fault_queue = -2;
    tp->map_log_count = 0;
}

const struct tp_map_log_entry *tp_map_log(const struct test_platform *tp,
                                          unsigned i)
{
    if (i >= tp->map_log_count || i >= TP_MAP_LOG)
        return NULL;
    return &tp->map_log[(tp->map_log_count - 1 - i) % TP_MAP_LOG];
}

/*
 * The test device.
 */
static struct test_dev *td_of(struct xv_device *dev)
{
    return xv_container_of(dev, struct test_dev, dev);
}

static void td_config_read(struct xv_device *dev, uint32_t off, void *buf,
                           uint32_t len)
{
    struct test_dev *td = td_of(dev);
    td->config_read_calls++;
    td->last_config_off = off;
    td->last_config_len = len;
    if ((uint64_t)off + len > td->ops.config_size || off + (uint64_t)len > TD_CONFIG_BYTES) {
        td->config_out_of_range++;
        memset(buf, 0, len);
        return;
    }
    memcpy(buf, td->config + off, len);
}

static void td_config_write(struct xv_device *dev, uint32_t off,
                            const void *buf, uint32_t len)
{
    struct test_dev *td = td_of(dev);
    td->config_write_calls++;
    td->last_config_off = off;
    td->last_config_len = len;
    if ((uint64_t)off + len > td->ops.config_size || off + (uint64_t)len > TD_CONFIG_BYTES) {
        td->config_out_of_range++;
        return;
    }
    memcpy(td->config + off, buf, len);
}

static bool td_features_ok(struct xv_device *dev, uint64_t features)
{
    struct test_dev *td = td_of(dev);
    td->features_ok_calls++;
    td->features_ok_arg = features;
    return !td->veto_features;
}

static void td_driver_ok_cb(struct xv_device *dev)
{
    td_of(dev)->driver_ok_calls++;
}

static void td_reset(struct xv_device *dev)
{
    td_of(dev)->reset_calls++;
}

static void td_queue_reset(struct xv_device *dev, unsigned queue)
{
    struct test_dev *td = td_of(dev);
    td->queue_reset_calls++;
    td->last_queue_reset = queue;
}

static void td_queue_work(struct xv_device *dev, unsigned queue)
{
    struct test_dev *td = td_of(dev);
    td->queue_work_calls++;
    td->last_queue_work = queue;
    if (td->in_mmio)
        td->queue_work_in_mmio++;
    if (td->work)
        td->work(td, queue);
}

void td_defaults(struct test_dev *td)
{
    td->instance = (struct xv_device_config){
        .features = XV_FEATURE(0) | XV_FEATURE(5),
        .num_queues = 2,
        .queue_max_size = 256,
    };
    td->ops = (struct xv_device_ops){
        .name = "test",
        .device_id = 42,
        .config_size = 16,
        .config_read = td_config_read,
        .config_write = td_config_write,
        .features_ok = td_features_ok,
        .driver_ok = td_driver_ok_cb,
        .reset = td_reset,
        .queue_reset = td_queue_reset,
        .queue_work = td_queue_work,
    };
}

int td_init(struct test_dev *td, struct test_platform *tp)
{
    td->tp = tp;
    tp->expected_dev = &td->dev;
    /* Storage past instance.num_queues is not the core's: make it look like a
     * live queue so that an out-of-range index shows (a queue_notify or
     * queue_work for it, or a crash on its NULL rings). */
    for (unsigned i = td->instance.num_queues; i < TD_MAX_QUEUES; i++) {
        memset(&td->vqs[i], 0, sizeof(td->vqs[i]));
        td->vqs[i].dev = &td->dev;
        td->vqs[i].index = (uint16_t)i;
        td->vqs[i].num = 1;
        td->vqs[i].ready = true;
    }
    return xv_device_init(&td->dev, &td->ops, &td->instance, &tp->platform,
                          td->vqs);
}

int td_read(struct test_dev *td, uint32_t off, unsigned size, uint32_t *val)
{
    return xv_mmio_read(&td->dev, off, size, val);
}

int td_write(struct test_dev *td, uint32_t off, unsigned size, uint32_t val)
{
    td->in_mmio = true;
    int rc = xv_mmio_write(&td->dev, off, size, val);
    td->in_mmio = false;
    return rc;
}

uint32_t td_r32(struct test_dev *td, uint32_t off)
{
    uint32_t val = 0;
    if (td_read(td, off, 4, &val) < 0)
        return 0;
    return val;
}

void td_w32(struct test_dev *td, uint32_t off, uint32_t val)
{
    (void)td_write(td, off, 4, val);
}

uint32_t td_negotiate(struct test_dev *td, uint64_t features)
{
    td_w32(td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE);
    td_w32(td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    td_w32(td, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    td_w32(td, XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    td_w32(td, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    td_w32(td, XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    td_w32(td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
                               XV_STATUS_FEATURES_OK);
    return td_r32(td, XV_MMIO_STATUS);
}

uint32_t td_setup_queue(struct test_dev *td, unsigned q, uint32_t num,
                        uint64_t desc, uint64_t avail, uint64_t used)
{
    td_w32(td, XV_MMIO_QUEUE_SEL, q);
    td_w32(td, XV_MMIO_QUEUE_NUM, num);
    td_w32(td, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    td_w32(td, XV_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    td_w32(td, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    td_w32(td, XV_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    td_w32(td, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    td_w32(td, XV_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    td_w32(td, XV_MMIO_QUEUE_READY, 1);
    return td_r32(td, XV_MMIO_QUEUE_READY);
}

uint32_t td_driver_ok(struct test_dev *td)
{
    uint32_t status = td_r32(td, XV_MMIO_STATUS);
    td_w32(td, XV_MMIO_STATUS, status | XV_STATUS_DRIVER_OK);
    return td_r32(td, XV_MMIO_STATUS);
}
