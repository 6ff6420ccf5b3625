/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio register model (virtio 1.2 §4.2.2) and the device status
 * state machine (§2.1, §3.1), driven only through xv_mmio_read/write and the
 * public device API, checked against the contract in xv/core.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ring_helper.h"
#include "test_platform.h"

#define F_V1       XV_FEATURE(XV_F_VERSION_1)
#define F_INDIRECT XV_FEATURE(XV_F_INDIRECT_DESC)
#define F_EVENT    XV_FEATURE(XV_F_EVENT_IDX)
#define F_RESET    XV_FEATURE(XV_F_RING_RESET)
#define F_PLATFORM XV_FEATURE(XV_F_ACCESS_PLATFORM)

#define STATUS_NEGOTIATED \
    (XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER | XV_STATUS_FEATURES_OK)
#define STATUS_LIVE (STATUS_NEGOTIATED | XV_STATUS_DRIVER_OK)

struct fixture {
    struct test_platform tp;
    struct test_dev td;
    struct drv_vq q[2];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(tp_init(&f->tp, 0), 0);
    td_defaults(&f->td);
    assert_int_equal(td_init(&f->td, &f->tp), 0);
    drv_vq_layout(&f->q[0], &f->tp, TP_RAM_GPA, 256);
    drv_vq_layout(&f->q[1], &f->tp, TP_RAM_GPA + 0x10000, 256);
    *state = f;
    return 0;
}

/* Every test ends by proving the platform saw no misuse: no stray unmap,
 * no callback for another device, RAM guards intact. */
static int teardown(void **state)
{
    struct fixture *f = *state;
    const char *problem = NULL;
    xv_device_reset(&f->td.dev);
    if (tp_outstanding(&f->tp) != 0)
        problem = "mappings left after reset";
    else if (f->tp.unmap_mismatch)
        problem = "unmap() without matching map()";
    else if (f->tp.bad_map_args)
        problem = "map() with no buffers";
    else if (f->tp.wrong_dev_calls)
        problem = "callback for another device";
    else if (f->tp.bad_fault_code)
        problem = "fault code out of range";
    else if (f->td.queue_work_in_mmio)
        problem = "queue_work ran inside xv_mmio_write";
    else if (f->td.config_out_of_range)
        problem = "config accessor called beyond config_size";
    else if (!tp_guards_intact(&f->tp))
        problem = "guard bytes around guest RAM overwritten";
    tp_fini(&f->tp);
    free(f);
    if (problem)
        fail_msg("%s", problem);
    return 0;
}

static uint64_t offered(struct fixture *f)
{
    uint64_t features = f->td.instance.features | XV_CORE_FEATURES;
    if (f->td.dev.access_platform)
        features |= F_PLATFORM;
    return features;
}

static void setup_queue(struct fixture *f, unsigned q)
{
    assert_int_equal(td_setup_queue(&f->td, q, f->q[q].num, f->q[q].desc_gpa,
                                    f->q[q].avail_gpa, f->q[q].used_gpa), 1);
}

/* Negotiate, enable both queues, DRIVER_OK. */
static void bring_up(struct fixture *f, uint64_t features)
{
    assert_int_equal(td_negotiate(&f->td, features), STATUS_NEGOTIATED);
    setup_queue(f, 0);
    setup_queue(f, 1);
    assert_int_equal(td_driver_ok(&f->td), STATUS_LIVE);
}

/* NEEDS_RESET latches a config interrupt. §2.1.2 only requires the
 * notification to be sent once DRIVER_OK is set; before that the driver is
 * still polling Status, so the platform interrupt is only checked then. */
static void assert_needs_reset(struct fixture *f, enum xv_fault why,
                               unsigned interrupts_before)
{
    uint32_t status = td_r32(&f->td, XV_MMIO_STATUS);
    assert_true(status & XV_STATUS_DEVICE_NEEDS_RESET);
    assert_true(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS) & XV_MMIO_INT_CONFIG);
    if (status & XV_STATUS_DRIVER_OK)
        assert_true(f->tp.interrupt_calls > interrupts_before);
    assert_true(f->tp.fault_counts[why] >= 1);
}

/*
 * Identification registers.
 */
static void test_identity_registers(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_r32(&f->td, XV_MMIO_MAGIC_VALUE), 0x74726976u);
    assert_int_equal(td_r32(&f->td, XV_MMIO_VERSION), 2);
    assert_int_equal(td_r32(&f->td, XV_MMIO_DEVICE_ID), 42);
    assert_int_equal(td_r32(&f->td, XV_MMIO_VENDOR_ID), XV_VENDOR_ID_DEFAULT);
    f->td.dev.vendor_id = 0x1af4;
    assert_int_equal(td_r32(&f->td, XV_MMIO_VENDOR_ID), 0x1af4);
}

static void test_device_features_select(void **state)
{
    struct fixture *f = *state;
    uint64_t features = offered(f);

    assert_int_equal(xv_device_features(&f->td.dev), features);
    assert_true(features & F_V1);
    td_w32(&f->td, XV_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_DEVICE_FEATURES), (uint32_t)features);
    td_w32(&f->td, XV_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(td_r32(&f->td, XV_MMIO_DEVICE_FEATURES),
                     (uint32_t)(features >> 32));
    /* Feature words beyond 64 bits: nothing offered. */
    td_w32(&f->td, XV_MMIO_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(td_r32(&f->td, XV_MMIO_DEVICE_FEATURES), 0);
    td_w32(&f->td, XV_MMIO_DEVICE_FEATURES_SEL, 0xffffffffu);
    assert_int_equal(td_r32(&f->td, XV_MMIO_DEVICE_FEATURES), 0);
}

static void test_device_features_access_platform(void **state)
{
    struct fixture *f = *state;
    assert_false(xv_device_features(&f->td.dev) & F_PLATFORM);
    f->td.dev.access_platform = true;
    assert_true(xv_device_features(&f->td.dev) & F_PLATFORM);
    td_w32(&f->td, XV_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_true(td_r32(&f->td, XV_MMIO_DEVICE_FEATURES) &
                (1u << (XV_F_ACCESS_PLATFORM - 32)));
}

static void test_driver_features_select(void **state)
{
    struct fixture *f = *state;
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES, 0x21);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES, 0x1);
    assert_int_equal(f->td.dev.driver_features, 0x100000021ull);
    /* A word that does not exist cannot change the 64 stored bits. */
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 2);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES, 0xffffffffu);
    assert_int_equal(f->td.dev.driver_features, 0x100000021ull);
    /* Rewriting a word replaces it. */
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES, 0x1);
    assert_int_equal(f->td.dev.driver_features, 0x100000001ull);
}

/*
 * Queue registers.
 */
static void test_queue_num_max(void **state)
{
    struct fixture *f = *state;
    const uint32_t sel[] = { 0, 1, 2, 3, 0xffff, 0xffffffffu };
    const uint32_t expect[] = { 256, 256, 0, 0, 0, 0 };
    for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
        td_w32(&f->td, XV_MMIO_QUEUE_SEL, sel[i]);
        assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_NUM_MAX), expect[i]);
    }
}

static void test_queue_registers_programmed(void **state)
{
    struct fixture *f = *state;
    struct xv_vq *vq = &f->td.vqs[1];
    assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);

    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 1);
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_READY), 0);
    td_w32(&f->td, XV_MMIO_QUEUE_NUM, 64);
    td_w32(&f->td, XV_MMIO_QUEUE_DESC_LOW, 0x89abc000u);
    td_w32(&f->td, XV_MMIO_QUEUE_DESC_HIGH, 0x1);
    td_w32(&f->td, XV_MMIO_QUEUE_DRIVER_LOW, 0x12345000u);
    td_w32(&f->td, XV_MMIO_QUEUE_DRIVER_HIGH, 0x2);
    td_w32(&f->td, XV_MMIO_QUEUE_DEVICE_LOW, 0x55aa0000u);
    td_w32(&f->td, XV_MMIO_QUEUE_DEVICE_HIGH, 0x3);
    assert_int_equal(vq->num, 64);
    assert_int_equal(vq->desc_addr, 0x189abc000ull);
    assert_int_equal(vq->avail_addr, 0x212345000ull);
    assert_int_equal(vq->used_addr, 0x355aa0000ull);
    /* The other queue was not touched. */
    assert_int_equal(f->td.vqs[0].desc_addr, 0);
    assert_false(vq->ready);
    assert_int_equal(tp_outstanding(&f->tp), 0);
}

static const struct tp_map_log_entry *find_map(struct fixture *f, uint64_t addr)
{
    for (unsigned i = 0; i < TP_MAP_LOG; i++) {
        const struct tp_map_log_entry *e = tp_map_log(&f->tp, i);
        if (e && e->first.addr == addr)
            return e;
    }
    return NULL;
}

static void check_ring_maps(struct fixture *f, unsigned q, bool event_idx)
{
    struct drv_vq *d = &f->q[q];
    const struct tp_map_log_entry *desc = find_map(f, d->desc_gpa);
    const struct tp_map_log_entry *avail = find_map(f, d->avail_gpa);
    const struct tp_map_log_entry *used = find_map(f, d->used_gpa);
    assert_non_null(desc);
    assert_non_null(avail);
    assert_non_null(used);
    assert_int_equal(desc->first.len, XV_VRING_DESC_BYTES(d->num));
    assert_false(desc->first.writable);
    /* Without EVENT_IDX the trailing u16 need not be mapped. */
    uint32_t trailer = event_idx ? 0 : 2;
    assert_in_range(avail->first.len, XV_VRING_AVAIL_BYTES(d->num) - trailer,
                    XV_VRING_AVAIL_BYTES(d->num));
    assert_in_range(used->first.len, XV_VRING_USED_BYTES(d->num) - trailer,
                    XV_VRING_USED_BYTES(d->num));
    assert_true(used->first.writable);
}

static void test_queue_ready_maps_rings(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_negotiate(&f->td, F_V1 | F_EVENT), STATUS_NEGOTIATED);
    tp_clear_counters(&f->tp);
    setup_queue(f, 0);
    assert_int_equal(f->tp.map_calls, 3);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    check_ring_maps(f, 0, true);
    assert_true(f->td.vqs[0].ready);
    assert_non_null(f->td.vqs[0].desc);
    assert_non_null(f->td.vqs[0].avail);
    assert_non_null(f->td.vqs[0].used);
    /* The host views are the guest's rings (the platform maps in place). */
    assert_ptr_equal((void *)f->td.vqs[0].desc,
                     tp_ram_ptr(&f->tp, f->q[0].desc_gpa, 16));
    assert_ptr_equal((void *)f->td.vqs[0].used,
                     tp_ram_ptr(&f->tp, f->q[0].used_gpa, 4));
    assert_int_equal(f->tp.fault_calls, 0);
}

static void test_queue_ready_zero_releases(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
    setup_queue(f, 0);
    setup_queue(f, 1);
    assert_int_equal(tp_outstanding(&f->tp), 6);
    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 0);
    td_w32(&f->td, XV_MMIO_QUEUE_READY, 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_READY), 0);
    assert_false(f->td.vqs[0].ready);
    assert_true(f->td.vqs[1].ready);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    assert_int_equal(f->td.queue_reset_calls, 1);
    assert_int_equal(f->td.last_queue_reset, 0);
    /* And it can be enabled again. */
    setup_queue(f, 0);
    assert_int_equal(tp_outstanding(&f->tp), 6);
}

static void test_queue_notify_defers_work(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    tp_clear_counters(&f->tp);

    assert_int_equal(td_write(&f->td, XV_MMIO_QUEUE_NOTIFY, 4, 1), 0);
    assert_int_equal(f->tp.queue_notify_calls, 1);
    assert_int_equal(f->tp.last_notify_queue, 1);
    assert_true(f->td.vqs[1].notify_pending);
    assert_false(f->td.vqs[0].notify_pending);
    /* The trapped vCPU must not wait for the device's work. */
    assert_int_equal(f->td.queue_work_calls, 0);

    xv_device_process_queue(&f->td.dev, 1);
    assert_int_equal(f->td.queue_work_calls, 1);
    assert_int_equal(f->td.last_queue_work, 1);
    assert_false(f->td.vqs[1].notify_pending);
}

static void test_queue_notify_out_of_range(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    tp_clear_counters(&f->tp);
    (void)td_write(&f->td, XV_MMIO_QUEUE_NOTIFY, 4, 2);
    (void)td_write(&f->td, XV_MMIO_QUEUE_NOTIFY, 4, 0xffffffffu);
    /* The embedder must never be asked to process a queue that does not
     * exist. */
    assert_int_equal(f->tp.queue_notify_calls, 0);
    xv_device_process_queue(&f->td.dev, 2);
    xv_device_process_queue(&f->td.dev, 1000);
    assert_int_equal(f->td.queue_work_calls, 0);
}

/*
 * Interrupts, status, shared memory, config space.
 */
static void test_interrupt_status_ack(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    tp_clear_counters(&f->tp);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), 0);

    xv_device_config_changed(&f->td.dev);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), XV_MMIO_INT_CONFIG);
    assert_int_equal(f->tp.interrupt_calls, 1);
    /* Acknowledging another bit leaves this one pending. */
    td_w32(&f->td, XV_MMIO_INTERRUPT_ACK, XV_MMIO_INT_VRING);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), XV_MMIO_INT_CONFIG);
    td_w32(&f->td, XV_MMIO_INTERRUPT_ACK, XV_MMIO_INT_CONFIG);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), 0);
}

static void test_status_readback(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), 0);
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), XV_STATUS_ACKNOWLEDGE);
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS),
                     XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    assert_int_equal(f->td.dev.status, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
}

static void test_shm_absent(void **state)
{
    struct fixture *f = *state;
    const uint32_t sel[] = { 0, 1, 7, 0xffffffffu };
    for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
        td_w32(&f->td, XV_MMIO_SHM_SEL, sel[i]);
        /* §4.2.2: a non-existent region has length and base -1. */
        assert_int_equal(td_r32(&f->td, XV_MMIO_SHM_LEN_LOW), 0xffffffffu);
        assert_int_equal(td_r32(&f->td, XV_MMIO_SHM_LEN_HIGH), 0xffffffffu);
        assert_int_equal(td_r32(&f->td, XV_MMIO_SHM_BASE_LOW), 0xffffffffu);
        assert_int_equal(td_r32(&f->td, XV_MMIO_SHM_BASE_HIGH), 0xffffffffu);
    }
}

static void test_config_generation(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    tp_clear_counters(&f->tp);
    uint32_t before = td_r32(&f->td, XV_MMIO_CONFIG_GENERATION);
    assert_int_equal(td_r32(&f->td, XV_MMIO_CONFIG_GENERATION), before);

    xv_device_config_changed(&f->td.dev);
    uint32_t after = td_r32(&f->td, XV_MMIO_CONFIG_GENERATION);
    assert_int_not_equal(after, before);
    assert_true(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS) & XV_MMIO_INT_CONFIG);
    assert_int_equal(f->tp.interrupt_calls, 1);

    xv_device_config_changed(&f->td.dev);
    assert_int_not_equal(td_r32(&f->td, XV_MMIO_CONFIG_GENERATION), after);
}

static void test_config_space_reads(void **state)
{
    struct fixture *f = *state;
    uint32_t val;
    for (unsigned i = 0; i < TD_CONFIG_BYTES; i++)
        f->td.config[i] = (uint8_t)(0x10 + i);

    assert_int_equal(td_read(&f->td, XV_MMIO_CONFIG + 3, 1, &val), 0);
    assert_int_equal(val, 0x13);
    assert_int_equal(f->td.last_config_off, 3);
    assert_int_equal(f->td.last_config_len, 1);

    assert_int_equal(td_read(&f->td, XV_MMIO_CONFIG + 6, 2, &val), 0);
    assert_int_equal(val, 0x1716);   /* little-endian */
    assert_int_equal(f->td.last_config_off, 6);
    assert_int_equal(f->td.last_config_len, 2);

    assert_int_equal(td_read(&f->td, XV_MMIO_CONFIG + 12, 4, &val), 0);
    assert_int_equal(val, 0x1f1e1d1cu);
    assert_int_equal(f->td.last_config_off, 12);
    assert_int_equal(f->td.last_config_len, 4);
    assert_int_equal(f->td.config_read_calls, 3);
}

static void test_config_space_writes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_write(&f->td, XV_MMIO_CONFIG + 1, 1, 0xab), 0);
    assert_int_equal(f->td.config[1], 0xab);
    assert_int_equal(f->td.last_config_len, 1);

    assert_int_equal(td_write(&f->td, XV_MMIO_CONFIG + 4, 2, 0xbeef), 0);
    assert_int_equal(f->td.config[4], 0xef);
    assert_int_equal(f->td.config[5], 0xbe);
    assert_int_equal(f->td.last_config_off, 4);
    assert_int_equal(f->td.last_config_len, 2);

    assert_int_equal(td_write(&f->td, XV_MMIO_CONFIG + 8, 4, 0x04030201u), 0);
    assert_memory_equal(&f->td.config[8], "\x01\x02\x03\x04", 4);
    assert_int_equal(f->td.last_config_off, 8);
    assert_int_equal(f->td.last_config_len, 4);
    assert_int_equal(f->td.config_write_calls, 3);
    /* Neighbours untouched. */
    assert_int_equal(f->td.config[0], 0);
    assert_int_equal(f->td.config[12], 0);
}

static void test_config_space_out_of_range(void **state)
{
    struct fixture *f = *state;
    uint32_t val;
    const uint32_t size = f->td.ops.config_size;
    const struct { uint32_t off; unsigned width; } bad[] = {
        { size, 1 }, { size, 4 }, { size - 2, 4 }, { size - 1, 2 },
        { XV_MMIO_CONFIG_MAX - 1, 1 }, { XV_MMIO_CONFIG_MAX, 4 },
        { 0, 3 }, { 0, 8 }, { 0, 0 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        val = 0xdeadbeef;
        assert_int_equal(td_read(&f->td, XV_MMIO_CONFIG + bad[i].off,
                                 bad[i].width, &val), -EINVAL);
        assert_int_equal(val, 0);
        assert_int_equal(td_write(&f->td, XV_MMIO_CONFIG + bad[i].off,
                                  bad[i].width, 0x55555555u), -EINVAL);
    }
    assert_int_equal(f->td.config_read_calls, 0);
    assert_int_equal(f->td.config_write_calls, 0);
}

/*
 * Refused accesses change nothing.
 */
struct snapshot {
    struct xv_device dev;
    struct xv_vq vqs[TD_MAX_QUEUES];
    uint8_t config[TD_CONFIG_BYTES];
    unsigned map_calls, unmap_calls, notify_calls, interrupt_calls;
    unsigned config_calls, callback_calls;
};

static void take(struct fixture *f, struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    memcpy(&s->dev, &f->td.dev, sizeof(s->dev));
    memcpy(s->vqs, f->td.vqs, sizeof(s->vqs));
    memcpy(s->config, f->td.config, sizeof(s->config));
    s->map_calls = f->tp.map_calls;
    s->unmap_calls = f->tp.unmap_calls;
    s->notify_calls = f->tp.queue_notify_calls;
    s->interrupt_calls = f->tp.interrupt_calls;
    s->config_calls = f->td.config_read_calls + f->td.config_write_calls;
    s->callback_calls = f->td.features_ok_calls + f->td.driver_ok_calls +
                        f->td.reset_calls + f->td.queue_reset_calls +
                        f->td.queue_work_calls;
}

static void assert_unchanged(struct fixture *f, const struct snapshot *before,
                             uint32_t off, unsigned width)
{
    struct snapshot now;
    take(f, &now);
    if (memcmp(&now, before, sizeof(now)) != 0)
        fail_msg("refused access off 0x%x width %u changed the device", off, width);
}

/* Every register of §4.2.2, with a value that would change state if the
 * access were accepted. */
static const struct { uint32_t off; uint32_t value; } registers[] = {
    { XV_MMIO_MAGIC_VALUE, 1 }, { XV_MMIO_VERSION, 1 },
    { XV_MMIO_DEVICE_ID, 1 }, { XV_MMIO_VENDOR_ID, 1 },
    { XV_MMIO_DEVICE_FEATURES, 1 }, { XV_MMIO_DEVICE_FEATURES_SEL, 1 },
    { XV_MMIO_DRIVER_FEATURES, 0xffffffffu }, { XV_MMIO_DRIVER_FEATURES_SEL, 1 },
    { XV_MMIO_QUEUE_SEL, 1 }, { XV_MMIO_QUEUE_NUM_MAX, 1 },
    { XV_MMIO_QUEUE_NUM, 16 }, { XV_MMIO_QUEUE_READY, 1 },
    { XV_MMIO_QUEUE_NOTIFY, 0 }, { XV_MMIO_INTERRUPT_STATUS, 1 },
    { XV_MMIO_INTERRUPT_ACK, 3 }, { XV_MMIO_STATUS, 0 },
    { XV_MMIO_QUEUE_DESC_LOW, 0x1000 }, { XV_MMIO_QUEUE_DESC_HIGH, 1 },
    { XV_MMIO_QUEUE_DRIVER_LOW, 0x1000 }, { XV_MMIO_QUEUE_DRIVER_HIGH, 1 },
    { XV_MMIO_QUEUE_DEVICE_LOW, 0x1000 }, { XV_MMIO_QUEUE_DEVICE_HIGH, 1 },
    { XV_MMIO_SHM_SEL, 1 }, { XV_MMIO_SHM_LEN_LOW, 1 },
    { XV_MMIO_SHM_LEN_HIGH, 1 }, { XV_MMIO_SHM_BASE_LOW, 1 },
    { XV_MMIO_SHM_BASE_HIGH, 1 }, { XV_MMIO_QUEUE_RESET, 1 },
    { XV_MMIO_CONFIG_GENERATION, 1 },
};
#define NUM_REGISTERS (sizeof(registers) / sizeof(registers[0]))

/* A device in mid-setup, where most writes would have an effect. */
static void half_configured(struct fixture *f)
{
    assert_int_equal(td_negotiate(&f->td, F_V1 | F_RESET), STATUS_NEGOTIATED);
    setup_queue(f, 1);
    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 0);
    td_w32(&f->td, XV_MMIO_QUEUE_NUM, 256);
    td_w32(&f->td, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)f->q[0].desc_gpa);
    td_w32(&f->td, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)f->q[0].avail_gpa);
    td_w32(&f->td, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)f->q[0].used_gpa);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    xv_device_config_changed(&f->td.dev);
}

static void test_wrong_width_refused(void **state)
{
    struct fixture *f = *state;
    const unsigned widths[] = { 0, 1, 2, 3, 8 };
    half_configured(f);

    for (size_t r = 0; r < NUM_REGISTERS; r++) {
        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
            /* Also every byte lane of the register. */
            for (uint32_t lane = 0; lane < 4; lane++) {
                uint32_t off = registers[r].off + lane;
                struct snapshot before;
                uint32_t val = 0xdeadbeef;
                take(f, &before);
                unsigned faults = f->tp.fault_calls;

                assert_int_equal(td_read(&f->td, off, widths[w], &val), -EINVAL);
                assert_int_equal(val, 0);
                assert_int_equal(td_write(&f->td, off, widths[w],
                                          registers[r].value), -EINVAL);
                assert_unchanged(f, &before, off, widths[w]);
                assert_true(f->tp.fault_calls >= faults + 2);
                if (lane == 0)
                    assert_int_equal(f->tp.last_fault, XV_FAULT_MMIO_WIDTH);
            }
        }
    }
}

static void test_unaligned_32bit_refused(void **state)
{
    struct fixture *f = *state;
    half_configured(f);
    for (size_t r = 0; r < NUM_REGISTERS; r++) {
        for (uint32_t lane = 1; lane < 4; lane++) {
            struct snapshot before;
            uint32_t val = 0xdeadbeef;
            uint32_t off = registers[r].off + lane;
            take(f, &before);
            assert_int_equal(td_read(&f->td, off, 4, &val), -EINVAL);
            assert_int_equal(val, 0);
            assert_int_equal(td_write(&f->td, off, 4, registers[r].value), -EINVAL);
            assert_unchanged(f, &before, off, 4);
        }
    }
}

static void test_bad_offsets_refused(void **state)
{
    struct fixture *f = *state;
    /* Reserved in the modern layout (0x028, 0x03c, 0x040 were legacy). */
    const uint32_t reserved[] = {
        0x018, 0x01c, 0x028, 0x02c, 0x03c, 0x040, 0x048, 0x04c, 0x054,
        0x05c, 0x068, 0x06c, 0x074, 0x07c, 0x088, 0x08c, 0x098, 0x0a8,
        0x0c4, 0x0c8, 0x0f0, 0x0f8, XV_MMIO_WINDOW_SIZE,
        XV_MMIO_WINDOW_SIZE + 4, 0x1000, 0x7ffffffcu, 0xfffffffcu,
    };
    half_configured(f);
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        struct snapshot before;
        uint32_t val = 0xdeadbeef;
        tp_clear_counters(&f->tp);
        take(f, &before);
        assert_int_equal(td_read(&f->td, reserved[i], 4, &val), -EINVAL);
        assert_int_equal(val, 0);
        assert_int_equal(f->tp.last_fault, XV_FAULT_MMIO_OFFSET);
        assert_int_equal(td_write(&f->td, reserved[i], 4, 0xffffffffu), -EINVAL);
        assert_int_equal(f->tp.last_fault, XV_FAULT_MMIO_OFFSET);
        assert_unchanged(f, &before, reserved[i], 4);
    }
}

static void test_read_only_registers_ignore_writes(void **state)
{
    struct fixture *f = *state;
    const uint32_t read_only[] = {
        XV_MMIO_MAGIC_VALUE, XV_MMIO_VERSION, XV_MMIO_DEVICE_ID,
        XV_MMIO_VENDOR_ID, XV_MMIO_DEVICE_FEATURES, XV_MMIO_QUEUE_NUM_MAX,
        XV_MMIO_INTERRUPT_STATUS, XV_MMIO_SHM_LEN_LOW, XV_MMIO_SHM_LEN_HIGH,
        XV_MMIO_SHM_BASE_LOW, XV_MMIO_SHM_BASE_HIGH, XV_MMIO_CONFIG_GENERATION,
    };
    half_configured(f);
    for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
        struct snapshot before;
        take(f, &before);
        (void)td_write(&f->td, read_only[i], 4, 0);
        (void)td_write(&f->td, read_only[i], 4, 0xffffffffu);
        assert_unchanged(f, &before, read_only[i], 4);
    }
    assert_int_equal(td_r32(&f->td, XV_MMIO_MAGIC_VALUE), XV_MMIO_MAGIC);
}

/*
 * Status transitions.
 */
static void test_status_zero_resets_everything(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1 | F_EVENT);
    xv_device_config_changed(&f->td.dev);
    td_w32(&f->td, XV_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(tp_outstanding(&f->tp), 6);
    assert_int_not_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), 0);

    td_w32(&f->td, XV_MMIO_STATUS, 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), 0);
    assert_int_equal(f->td.dev.driver_features, 0);
    assert_false(xv_device_has_feature(&f->td.dev, XV_F_VERSION_1));
    assert_int_equal(tp_outstanding(&f->tp), 0);
    assert_int_equal(f->tp.unmap_calls, 6);
    assert_int_equal(f->td.reset_calls, 1);
    for (unsigned q = 0; q < 2; q++) {
        assert_false(f->td.vqs[q].ready);
        assert_false(f->td.vqs[q].notify_pending);
        td_w32(&f->td, XV_MMIO_QUEUE_SEL, q);
        assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_READY), 0);
    }
    /* A second life works like the first. */
    bring_up(f, F_V1);
    assert_int_equal(tp_outstanding(&f->tp), 6);
    assert_int_equal(f->td.driver_ok_calls, 2);
}

static void test_device_reset_api(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    xv_device_reset(&f->td.dev);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    assert_int_equal(f->td.dev.driver_features, 0);
    assert_false(f->td.vqs[0].ready);
    assert_false(f->td.vqs[1].ready);
}

static void test_features_ok_accepted(void **state)
{
    struct fixture *f = *state;
    uint64_t features = F_V1 | F_INDIRECT | XV_FEATURE(0);
    assert_int_equal(td_negotiate(&f->td, features), STATUS_NEGOTIATED);
    assert_int_equal(f->td.features_ok_calls, 1);
    assert_int_equal(f->td.features_ok_arg, features);
    assert_true(xv_device_has_feature(&f->td.dev, XV_F_VERSION_1));
    assert_true(xv_device_has_feature(&f->td.dev, XV_F_INDIRECT_DESC));
    assert_true(xv_device_has_feature(&f->td.dev, 0));
    assert_false(xv_device_has_feature(&f->td.dev, 5));
    assert_false(xv_device_has_feature(&f->td.dev, XV_F_EVENT_IDX));
}

static void refuse_features(struct fixture *f, uint64_t features)
{
    uint32_t status = td_negotiate(&f->td, features);
    assert_int_equal(status & XV_STATUS_FEATURES_OK, 0);
    assert_int_equal(status & (XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER),
                     XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    assert_false(f->td.dev.status & XV_STATUS_FEATURES_OK);
}

static void test_features_ok_refused_not_offered(void **state)
{
    struct fixture *f = *state;
    refuse_features(f, F_V1 | XV_FEATURE(1));       /* device bit not offered */
    xv_device_reset(&f->td.dev);
    refuse_features(f, F_V1 | XV_FEATURE(50));      /* transport bit unknown */
    xv_device_reset(&f->td.dev);
    refuse_features(f, F_V1 | XV_FEATURE(XV_F_RING_PACKED));
    xv_device_reset(&f->td.dev);
    refuse_features(f, F_V1 | XV_FEATURE(63));
}

static void test_features_ok_refused_without_version_1(void **state)
{
    struct fixture *f = *state;
    refuse_features(f, F_INDIRECT | F_EVENT);
    xv_device_reset(&f->td.dev);
    refuse_features(f, 0);
}

static void test_features_ok_access_platform(void **state)
{
    struct fixture *f = *state;
    /* Not offered: may not be accepted. */
    refuse_features(f, F_V1 | F_PLATFORM);
    xv_device_reset(&f->td.dev);

    f->td.dev.access_platform = true;
    /* Offered and required. */
    refuse_features(f, F_V1);
    xv_device_reset(&f->td.dev);
    f->td.dev.access_platform = true;
    assert_int_equal(td_negotiate(&f->td, F_V1 | F_PLATFORM), STATUS_NEGOTIATED);
    assert_true(xv_device_has_feature(&f->td.dev, XV_F_ACCESS_PLATFORM));
}

static void test_features_ok_device_veto(void **state)
{
    struct fixture *f = *state;
    f->td.veto_features = true;
    refuse_features(f, F_V1 | XV_FEATURE(5));
    assert_int_equal(f->td.features_ok_calls, 1);
    assert_int_equal(f->td.features_ok_arg, F_V1 | XV_FEATURE(5));
    /* The device's change of mind is honoured on the next attempt. */
    xv_device_reset(&f->td.dev);
    f->td.veto_features = false;
    assert_int_equal(td_negotiate(&f->td, F_V1 | XV_FEATURE(5)), STATUS_NEGOTIATED);
}

static void test_driver_features_frozen_after_features_ok(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_negotiate(&f->td, F_V1 | XV_FEATURE(0)), STATUS_NEGOTIATED);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES, 0xffffffffu);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    td_w32(&f->td, XV_MMIO_DRIVER_FEATURES, 0);
    assert_int_equal(f->td.dev.driver_features, F_V1 | XV_FEATURE(0));
    assert_false(xv_device_has_feature(&f->td.dev, 5));
    assert_true(xv_device_has_feature(&f->td.dev, XV_F_VERSION_1));
}

static void test_driver_ok(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    assert_int_equal(f->td.driver_ok_calls, 1);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), STATUS_LIVE);
    assert_int_equal(f->tp.fault_calls, 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), 0);
}

static void test_driver_ok_without_features_ok(void **state)
{
    struct fixture *f = *state;
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE);
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
                                   XV_STATUS_DRIVER_OK);
    assert_needs_reset(f, XV_FAULT_DRIVER_OK_EARLY, 0);
    assert_int_equal(f->tp.last_fault_queue, -1);
    assert_int_equal(f->td.driver_ok_calls, 0);
}

static void test_driver_ok_after_refused_features(void **state)
{
    struct fixture *f = *state;
    refuse_features(f, F_V1 | XV_FEATURE(50));
    td_w32(&f->td, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
                                   XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);
    assert_needs_reset(f, XV_FAULT_DRIVER_OK_EARLY, 0);
    assert_int_equal(f->td.driver_ok_calls, 0);
}

static void test_queue_setup_ignored_after_driver_ok(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
    setup_queue(f, 0);
    assert_int_equal(td_driver_ok(&f->td), STATUS_LIVE);
    struct xv_vq vq0 = f->td.vqs[0], vq1 = f->td.vqs[1];
    unsigned maps = f->tp.map_calls;

    /* An unused queue cannot be brought up late ... */
    assert_int_equal(td_setup_queue(&f->td, 1, 64, f->q[1].desc_gpa,
                                    f->q[1].avail_gpa, f->q[1].used_gpa), 0);
    /* ... nor a live one reprogrammed under the device's feet. */
    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 0);
    td_w32(&f->td, XV_MMIO_QUEUE_NUM, 16);
    td_w32(&f->td, XV_MMIO_QUEUE_DESC_LOW, 0x1000);
    td_w32(&f->td, XV_MMIO_QUEUE_DESC_HIGH, 0x1);
    td_w32(&f->td, XV_MMIO_QUEUE_DRIVER_LOW, 0x2000);
    td_w32(&f->td, XV_MMIO_QUEUE_DEVICE_LOW, 0x3000);
    td_w32(&f->td, XV_MMIO_QUEUE_READY, 1);
    assert_memory_equal(&vq0, &f->td.vqs[0], sizeof(vq0));
    assert_memory_equal(&vq1, &f->td.vqs[1], sizeof(vq1));
    assert_int_equal(f->tp.map_calls, maps);
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_READY), 1);
}

static void bad_queue_num(struct fixture *f, uint32_t num)
{
    tp_clear_counters(&f->tp);
    assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
    assert_int_equal(td_setup_queue(&f->td, 0, num, f->q[0].desc_gpa,
                                    f->q[0].avail_gpa, f->q[0].used_gpa), 0);
    assert_false(f->td.vqs[0].ready);
    assert_needs_reset(f, XV_FAULT_QUEUE_CONFIG, 0);
    assert_int_equal(f->tp.last_fault_queue, 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
    xv_device_reset(&f->td.dev);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), 0);
}

static void test_queue_ready_invalid_num(void **state)
{
    struct fixture *f = *state;
    const uint32_t bad[] = { 0, 3, 100, 255, 257, 512, 65536, 0xffffffffu };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        bad_queue_num(f, bad[i]);
}

/* §2.7: descriptor table 16-byte, avail ring 2-byte, used ring 4-byte
 * aligned. */
static void test_queue_ready_misaligned_rings(void **state)
{
    struct fixture *f = *state;
    struct drv_vq *d = &f->q[0];
    const uint64_t addrs[3][3] = {
        { d->desc_gpa + 8, d->avail_gpa, d->used_gpa },
        { d->desc_gpa, d->avail_gpa + 1, d->used_gpa },
        { d->desc_gpa, d->avail_gpa, d->used_gpa + 2 },
    };
    for (unsigned i = 0; i < 3; i++) {
        tp_clear_counters(&f->tp);
        assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
        assert_int_equal(td_setup_queue(&f->td, 0, 256, addrs[i][0], addrs[i][1],
                                        addrs[i][2]), 0);
        assert_needs_reset(f, XV_FAULT_QUEUE_CONFIG, 0);
        assert_int_equal(tp_outstanding(&f->tp), 0);
        xv_device_reset(&f->td.dev);
    }
}

static void test_queue_ready_valid_sizes(void **state)
{
    struct fixture *f = *state;
    for (uint32_t num = 1; num <= 256; num *= 2) {
        assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
        assert_int_equal(td_setup_queue(&f->td, 0, num, f->q[0].desc_gpa,
                                        f->q[0].avail_gpa, f->q[0].used_gpa), 1);
        assert_int_equal(f->td.vqs[0].num, num);
        assert_false(td_r32(&f->td, XV_MMIO_STATUS) & XV_STATUS_DEVICE_NEEDS_RESET);
        xv_device_reset(&f->td.dev);
        assert_int_equal(tp_outstanding(&f->tp), 0);
    }
}

static void ring_refused(struct fixture *f, uint64_t desc, uint64_t avail,
                         uint64_t used)
{
    tp_clear_counters(&f->tp);
    assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
    assert_int_equal(td_setup_queue(&f->td, 1, 256, desc, avail, used), 0);
    assert_false(f->td.vqs[1].ready);
    assert_needs_reset(f, XV_FAULT_RING_MAP, 0);
    assert_int_equal(f->tp.last_fault_queue, 1);
    /* Areas mapped before the refusal were given back. */
    assert_int_equal(tp_outstanding(&f->tp), 0);
    xv_device_reset(&f->td.dev);
    tp_refuse_clear(&f->tp);
}

static void test_queue_ready_ring_map_refused(void **state)
{
    struct fixture *f = *state;
    struct drv_vq *d = &f->q[1];
    const uint64_t outside = 0x1000;
    ring_refused(f, outside, d->avail_gpa, d->used_gpa);
    ring_refused(f, d->desc_gpa, outside, d->used_gpa);
    ring_refused(f, d->desc_gpa, d->avail_gpa, outside);
    /* Straddling the end of RAM. */
    ring_refused(f, d->desc_gpa, d->avail_gpa, TP_RAM_GPA + f->tp.ram_size - 8);
    tp_refuse(&f->tp, d->used_gpa + 100);
    ring_refused(f, d->desc_gpa, d->avail_gpa, d->used_gpa);
    /* A ring whose end wraps the 64-bit space: refused either by the core
     * (QUEUE_CONFIG) or by the platform (RING_MAP), never mapped. */
    tp_clear_counters(&f->tp);
    assert_int_equal(td_negotiate(&f->td, F_V1), STATUS_NEGOTIATED);
    assert_int_equal(td_setup_queue(&f->td, 1, 256, 0xfffffffffffff800ull,
                                    d->avail_gpa, d->used_gpa), 0);
    assert_true(td_r32(&f->td, XV_MMIO_STATUS) & XV_STATUS_DEVICE_NEEDS_RESET);
    assert_true(f->tp.fault_counts[XV_FAULT_RING_MAP] +
                f->tp.fault_counts[XV_FAULT_QUEUE_CONFIG] == 1);
    assert_int_equal(tp_outstanding(&f->tp), 0);
}

static void test_queue_reset(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1 | F_RESET);
    tp_clear_counters(&f->tp);
    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_RESET), 0);

    td_w32(&f->td, XV_MMIO_QUEUE_RESET, 1);
    assert_int_equal(f->td.queue_reset_calls, 1);
    assert_int_equal(f->td.last_queue_reset, 0);
    assert_false(f->td.vqs[0].ready);
    assert_true(f->td.vqs[1].ready);
    assert_int_equal(tp_outstanding(&f->tp), 3);
    /* §2.6.1: QueueReset reads 1 and QueueReady 0 until re-enabled. */
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_RESET), 1);
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_READY), 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), STATUS_LIVE);

    /* A reset queue may be reprogrammed while DRIVER_OK. */
    drv_vq_layout(&f->q[0], &f->tp, TP_RAM_GPA + 0x40000, 64);
    setup_queue(f, 0);
    assert_int_equal(f->td.vqs[0].num, 64);
    assert_int_equal(f->td.vqs[0].desc_addr, f->q[0].desc_gpa);
    assert_int_equal(tp_outstanding(&f->tp), 6);
    assert_int_equal(td_r32(&f->td, XV_MMIO_QUEUE_RESET), 0);
    assert_false(td_r32(&f->td, XV_MMIO_STATUS) & XV_STATUS_DEVICE_NEEDS_RESET);
}

static void test_queue_reset_without_feature(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    td_w32(&f->td, XV_MMIO_QUEUE_SEL, 0);
    (void)td_write(&f->td, XV_MMIO_QUEUE_RESET, 4, 1);
    assert_true(f->td.vqs[0].ready);
    assert_int_equal(f->td.queue_reset_calls, 0);
    assert_int_equal(tp_outstanding(&f->tp), 6);
}

static void test_needs_reset_api(void **state)
{
    struct fixture *f = *state;
    bring_up(f, F_V1);
    tp_clear_counters(&f->tp);
    xv_device_needs_reset(&f->td.dev, 1, XV_FAULT_DEVICE);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS),
                     STATUS_LIVE | XV_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(td_r32(&f->td, XV_MMIO_INTERRUPT_STATUS), XV_MMIO_INT_CONFIG);
    assert_int_equal(f->tp.interrupt_calls, 1);
    assert_int_equal(f->tp.fault_counts[XV_FAULT_DEVICE], 1);
    assert_int_equal(f->tp.last_fault_queue, 1);
    /* Reset recovers. */
    td_w32(&f->td, XV_MMIO_STATUS, 0);
    assert_int_equal(td_r32(&f->td, XV_MMIO_STATUS), 0);
    assert_int_equal(tp_outstanding(&f->tp), 0);
}

static void test_fault_names(void **state)
{
    (void)state;
    for (int a = 0; a < XV_FAULT_COUNT; a++) {
        const char *name = xv_fault_name((enum xv_fault)a);
        assert_non_null(name);
        assert_true(name[0] != '\0');
        for (int b = 0; b < a; b++)
            assert_string_not_equal(name, xv_fault_name((enum xv_fault)b));
        bool expect = a >= XV_FAULT_AVAIL_IDX && a <= XV_FAULT_DEVICE;
        assert_int_equal(xv_fault_needs_reset((enum xv_fault)a), expect);
    }
}

static void test_device_init_validates_ops(void **state)
{
    struct fixture *f = *state;
    struct test_dev *td = calloc(1, sizeof(*td));
    assert_non_null(td);

    const uint16_t bad_sizes[] = { 0, 3, 100, 65535 };
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        td_defaults(td);
        td->instance.queue_max_size = bad_sizes[i];
        assert_int_equal(td_init(td, &f->tp), -EINVAL);
    }
    td_defaults(td);
    td->ops.config_size = XV_MMIO_CONFIG_MAX + 1;
    assert_int_equal(td_init(td, &f->tp), -EINVAL);
    td_defaults(td);
    td->ops.config_size = XV_MMIO_CONFIG_MAX;
    td->instance.queue_max_size = XV_VQ_MAX_SIZE;
    assert_int_equal(td_init(td, &f->tp), 0);
    free(td);
    f->tp.expected_dev = &f->td.dev;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_identity_registers),
        T(test_device_features_select),
        T(test_device_features_access_platform),
        T(test_driver_features_select),
        T(test_queue_num_max),
        T(test_queue_registers_programmed),
        T(test_queue_ready_maps_rings),
        T(test_queue_ready_zero_releases),
        T(test_queue_notify_defers_work),
        T(test_queue_notify_out_of_range),
        T(test_interrupt_status_ack),
        T(test_status_readback),
        T(test_shm_absent),
        T(test_config_generation),
        T(test_config_space_reads),
        T(test_config_space_writes),
        T(test_config_space_out_of_range),
        T(test_wrong_width_refused),
        T(test_unaligned_32bit_refused),
        T(test_bad_offsets_refused),
        T(test_read_only_registers_ignore_writes),
        T(test_status_zero_resets_everything),
        T(test_device_reset_api),
        T(test_features_ok_accepted),
        T(test_features_ok_refused_not_offered),
        T(test_features_ok_refused_without_version_1),
        T(test_features_ok_access_platform),
        T(test_features_ok_device_veto),
        T(test_driver_features_frozen_after_features_ok),
        T(test_driver_ok),
        T(test_driver_ok_without_features_ok),
        T(test_driver_ok_after_refused_features),
        T(test_queue_setup_ignored_after_driver_ok),
        T(test_queue_ready_invalid_num),
        T(test_queue_ready_misaligned_rings),
        T(test_queue_ready_valid_sizes),
        T(test_queue_ready_ring_map_refused),
        T(test_queue_reset),
        T(test_queue_reset_without_feature),
        T(test_needs_reset_api),
        T(test_fault_names),
        T(test_device_init_validates_ops),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
