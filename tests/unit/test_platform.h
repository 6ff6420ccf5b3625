/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test embedding of the portable core: a flat "guest RAM" with guard
 * bytes around it, a platform whose map hook bounds-checks every buffer and
 * can be told to refuse addresses, counters for every callback, and a small
 * test device. Shared by the unit tests and the fuzzers, so it uses no
 * cmocka: helpers return values and the callers assert.
 */
#ifndef XV_TEST_PLATFORM_H
#define XV_TEST_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xv/core.h"

#define TP_RAM_GPA        0x40000000ull
#define TP_RAM_SIZE_DEFAULT (1u << 20)
#define TP_GUARD_SIZE     4096u
#define TP_GUARD_BYTE     0xa5u
#define TP_MAX_REFUSE     8u
#define TP_MAP_LOG        16u

/* One map() call that has not been unmapped yet. */
struct tp_mapping {
    uint64_t signature;     /* hash of n, bufs[] and the iov[] handed out */
    unsigned n;
    bool bounced;
};

/* The arguments of a recent map() call (first buffer only). */
struct tp_map_log_entry {
    unsigned n;
    struct xv_gbuf first;
};

struct test_platform {
    struct xv_platform platform;    /* .opaque points back here */

    uint8_t *block;                 /* guard | ram | guard */
    uint8_t *ram;
    size_t ram_size;
    uint64_t ram_gpa;

    /*
     * Bounce mode: data buffers are copied into exactly sized heap blocks
     * at map() and written back at unmap(), so a core that strays past a
     * segment trips AddressSanitizer. Ranges in [direct_lo, direct_hi)
     * (the rings, which the driver updates live) are always mapped in place.
     */
    bool bounce;
    uint64_t direct_lo, direct_hi;

    /* map() refuses any buffer touching one of these guest addresses. */
    uint64_t refuse_gpa[TP_MAX_REFUSE];
    unsigned refuse_count;
    bool refuse_all;

    /* Bookkeeping of outstanding mappings, to prove map/unmap balance. */
    struct tp_mapping *mappings;
    size_t mappings_used, mappings_cap;

    /* Counters. */
    unsigned map_calls;             /* successful map() calls */
    unsigned map_refused;           /* refused map() calls */
    unsigned unmap_calls;
    unsigned unmap_mismatch;        /* unmap() not matching any map() */
    unsigned bad_map_args;          /* map() with n == 0 or NULL arrays */
    struct tp_map_log_entry map_log[TP_MAP_LOG];
    unsigned map_log_count;         /* total entries ever logged */

    unsigned queue_notify_calls;
    unsigned last_notify_queue;
    unsigned interrupt_calls;
    unsigned fault_calls;
    unsigned fault_counts[XV_FAULT_COUNT];
    enum xv_fault last_fault;
    int last_fault_queue;
    unsigned bad_fault_code;

    /* Print every fault to stderr (to see what a fuzz input reaches). */
    bool log_faults;

    /* The device whose callbacks we expect (wrong-device calls counted). */
    struct xv_device *expected_dev;
    unsigned wrong_dev_calls;
};

/* Allocate the RAM (ram_size 0 means the default) and wire the callbacks. */
int tp_init(struct test_platform *tp, size_t ram_size);
void tp_fini(struct test_platform *tp);
/* Host pointer for guest range [gpa, gpa+len), or NULL if outside RAM. */
void *tp_ram_ptr(struct test_platform *tp, uint64_t gpa, size_t len);
/* True if every guard byte around the RAM still holds TP_GUARD_BYTE. */
bool tp_guards_intact(const struct test_platform *tp);
void tp_refuse(struct test_platform *tp, uint64_t gpa);
void tp_refuse_clear(struct test_platform *tp);
/* Mappings handed out and not yet released. */
size_t tp_outstanding(const struct test_platform *tp);
/* Reset the event counters (not the mappings). */
void tp_clear_counters(struct test_platform *tp);
/* The i-th most recent map() call (0 = last), or NULL. */
const struct tp_map_log_entry *tp_map_log(const struct test_platform *tp,
                                          unsigned i);

/*
 * A small configurable device on top of the test platform.
 */
#define TD_MAX_QUEUES   4u
#define TD_CONFIG_BYTES 64u

struct test_dev {
    struct xv_device dev;
    struct xv_vq vqs[TD_MAX_QUEUES];
    /* Not const, unlike a real device type's: tests vary them. */
    struct xv_device_ops ops;
    struct xv_device_config instance;   /* this instance's values */
    struct test_platform *tp;

    uint8_t config[TD_CONFIG_BYTES];
    unsigned config_read_calls, config_write_calls;
    uint32_t last_config_off, last_config_len;
    unsigned config_out_of_range;   /* accessor called beyond config_size */

    bool veto_features;             /* features_ok() answers false */
    unsigned features_ok_calls;
    uint64_t features_ok_arg;
    unsigned driver_ok_calls;
    unsigned reset_calls;
    unsigned queue_reset_calls;
    unsigned last_queue_reset;

    unsigned queue_work_calls;
    unsigned last_queue_work;
    unsigned queue_work_in_mmio;    /* queue_work ran inside xv_mmio_write */
    bool in_mmio;
    /* What queue_work does; NULL: nothing. */
    void (*work)(struct test_dev *td, unsigned queue);
    void *work_ctx;
};

/* Default ops and config: id 42, two device feature bits, 2 queues of
 * 256, 16-byte config space. Tests adjust td->ops and td->instance before
 * td_init(). */
void td_defaults(struct test_dev *td);
/* Bind the test device (td->ops and td->instance must be filled) to tp;
 * xv_device_init's return value. */
int td_init(struct test_dev *td, struct test_platform *tp);

/* Register accessors that also track "inside xv_mmio_write". */
int td_read(struct test_dev *td, uint32_t off, unsigned size, uint32_t *val);
int td_write(struct test_dev *td, uint32_t off, unsigned size, uint32_t val);
/* 32-bit read returning the value (0 on refusal). */
uint32_t td_r32(struct test_dev *td, uint32_t off);
void td_w32(struct test_dev *td, uint32_t off, uint32_t val);

/* ACKNOWLEDGE, DRIVER, DriverFeatures = features, FEATURES_OK. Returns the
 * Status register read back afterwards. */
uint32_t td_negotiate(struct test_dev *td, uint64_t features);
/* Program queue q and write QueueReady=1. Returns QueueReady read back. */
uint32_t td_setup_queue(struct test_dev *td, unsigned q, uint32_t num,
                        uint64_t desc, uint64_t avail, uint64_t used);
/* Status |= DRIVER_OK. Returns Status read back. */
uint32_t td_driver_ok(struct test_dev *td);

#endif
