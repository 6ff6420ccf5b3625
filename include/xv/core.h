/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The portable virtio core: the virtio-mmio register model, split
 * virtqueues and the device interface.
 *
 * The core owns no event loop, no allocator and no I/O. The embedder
 * supplies every object's storage (static or otherwise), a struct
 * xv_platform of callbacks, and serialises all calls into one device
 * (one thread, or a lock per device). Errors are negative errno values.
 *
 * Request flow:
 *   1. The guest writes QueueNotify. xv_mmio_write() records the queue as
 *      pending and calls platform->queue_notify(); it returns at once so
 *      the trapped vCPU can resume.
 *   2. Later, in its own context, the embedder calls
 *      xv_device_process_queue(), which calls the device's queue_work().
 *   3. The device pops chains with xv_vq_pop() (guest buffers translated
 *      through platform->map), completes them with xv_vq_push() (buffers
 *      released through platform->unmap first), and calls
 *      xv_vq_notify_guest(), which raises platform->interrupt() unless the
 *      driver suppressed it.
 *
 * Guest memory: another vCPU may rewrite a request's buffers while the
 * device works on it. So every value a device checks and then acts on (a
 * header, a length, an index, a register number, a command) is fetched
 * once, with xv_chain_read(), into the device's own memory and used from
 * there; only payloads the device merely moves may be used in place. The
 * core does the same with descriptors and ring indices.
 */
#ifndef XV_CORE_H
#define XV_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xv/virtio_spec.h"

struct xv_device;
struct xv_vq;

/* A guest buffer as the descriptor described it. */
struct xv_gbuf {
    uint64_t addr;
    uint32_t len;
    bool writable;          /* device-writable (VRING_DESC_F_WRITE) */
};

/* The same buffer as the platform made it visible to the host. */
struct xv_iovec {
    void *base;
    size_t len;
};

/* Why the core gave up on a request or a device; reported through
 * platform->fault so the embedder can log it (rate-limited) with context. */
enum xv_fault {
    XV_FAULT_NONE = 0,
    /* Device put in DEVICE_NEEDS_RESET: the driver broke a MUST. */
    XV_FAULT_AVAIL_IDX,        /* avail idx ran more than queue size ahead */
    XV_FAULT_HEAD_INDEX,       /* chain head >= queue size */
    XV_FAULT_NEXT_INDEX,       /* next >= queue or indirect table size */
    XV_FAULT_CHAIN_LOOP,       /* chain longer than its table: a loop */
    XV_FAULT_INDIRECT_NESTED,  /* INDIRECT inside an indirect table */
    XV_FAULT_INDIRECT_LEN,     /* indirect table length 0 or not n*16 */
    XV_FAULT_INDIRECT_NEXT,    /* INDIRECT together with NEXT */
    XV_FAULT_INDIRECT_UNNEGOTIATED,
    XV_FAULT_READ_AFTER_WRITE, /* readable descriptor after a writable one */
    XV_FAULT_RING_MAP,         /* ring memory could not be translated */
    XV_FAULT_QUEUE_CONFIG,     /* QueueReady with an invalid queue setup */
    XV_FAULT_DRIVER_OK_EARLY,  /* DRIVER_OK without FEATURES_OK */
    XV_FAULT_USED_ID,          /* device completed a head it never popped */
    XV_FAULT_DEVICE,           /* the device itself asked for a reset */
    /* Request failed (returned with used length 0), device keeps going. */
    XV_FAULT_ADDR_OVERFLOW,    /* addr + len wraps */
    XV_FAULT_BUF_MAP,          /* platform refused to translate a buffer */
    XV_FAULT_TOO_MANY_SEGS,    /* chain has more segments than iov slots */
    XV_FAULT_TOTAL_LEN,        /* total chain length overflows 32 bits */
    /* Access refused, nothing changed. */
    XV_FAULT_MMIO_WIDTH,       /* non-32-bit access to a register */
    XV_FAULT_MMIO_OFFSET,      /* outside the window or a reserved offset */
    XV_FAULT_COUNT
};

const char *xv_fault_name(enum xv_fault fault);
bool xv_fault_needs_reset(enum xv_fault fault);

/*
 * What the embedder provides. 'opaque' is passed back unchanged.
 */
struct xv_platform {
    /*
     * Make n guest buffers visible to the host, all or nothing: fill
     * iov[i] with a host pointer valid for bufs[i].len bytes, writable iff
     * bufs[i].writable. Called once per request for its data buffers (so a
     * grant platform can batch), and once per ring area when a queue is
     * enabled. Returns 0 or a negative errno.
     */
    int (*map)(void *opaque, const struct xv_gbuf *bufs, unsigned n,
               struct xv_iovec *iov);
    /* Release what one map() call returned, with the same arguments. */
    void (*unmap)(void *opaque, const struct xv_gbuf *bufs, unsigned n,
                  struct xv_iovec *iov);
    /* A queue needs processing: arrange for xv_device_process_queue().
     * Called from inside xv_mmio_write(); must not process inline. */
    void (*queue_notify)(void *opaque, struct xv_device *dev, unsigned queue);
    /* Raise the device's interrupt (InterruptStatus is already set). */
    void (*interrupt)(void *opaque, struct xv_device *dev);
    /* Optional: something went wrong; queue is -1 when not queue-specific. */
    void (*fault)(void *opaque, struct xv_device *dev, int queue,
                  enum xv_fault fault);
    void *opaque;
};

/*
 * A device type: one static const table per device type (kvmtool style),
 * shared by all its instances. What differs between instances of a type
 * (one disk offers DISCARD, another is read-only) is in struct
 * xv_device_config, given to xv_device_init().
 */
struct xv_device_ops {
    const char *name;
    uint32_t device_id;
    uint32_t config_size;       /* <= XV_MMIO_CONFIG_MAX */
    /* Config space accessors; off + len <= config_size. Optional. */
    void (*config_read)(struct xv_device *dev, uint32_t off, void *buf,
                        uint32_t len);
    void (*config_write)(struct xv_device *dev, uint32_t off,
                         const void *buf, uint32_t len);
    /* Optional veto of a feature set at FEATURES_OK; return false to refuse. */
    bool (*features_ok)(struct xv_device *dev, uint64_t features);
    /* Optional: DRIVER_OK was set. */
    void (*driver_ok)(struct xv_device *dev);
    /* Device reset (status 0): drop in-flight state. Must not touch rings,
     * the core has already released them. */
    void (*reset)(struct xv_device *dev);
    /* Optional: one queue is being reset (QueueReset / QueueReady=0). */
    void (*queue_reset)(struct xv_device *dev, unsigned queue);
    /* A queue has work: pop, process, push. */
    void (*queue_work)(struct xv_device *dev, unsigned queue);
};

/* One instance's values, copied into struct xv_device at init. */
struct xv_device_config {
    uint64_t features;          /* device-type bits this instance offers */
    uint16_t num_queues;        /* entries in the vqs given to init */
    uint16_t queue_max_size;    /* QueueNumMax for every queue */
    /* The device type's own state, for its ops to find through
     * dev->priv: the embedder, not the device, owns struct xv_device. */
    void *priv;
};

/* Split virtqueue state. Fields are the core's; read them, don't write. */
struct xv_vq {
    struct xv_device *dev;
    uint16_t index;
    /* Driver-programmed configuration. */
    uint16_t num;
    bool ready;
    bool broken;
    uint64_t desc_addr, avail_addr, used_addr;
    /* Host views of the three areas, valid while ready. */
    struct xv_gbuf ring_gbuf[3];
    struct xv_iovec ring_iov[3];
    volatile struct xv_vring_desc *desc;
    volatile uint16_t *avail;   /* flags, idx, ring[num], used_event */
    volatile uint16_t *used;    /* flags, idx, then used elems, avail_event */
    /* Device-side indices. */
    uint16_t last_avail_idx;
    uint16_t used_idx;          /* next used idx to publish */
    uint16_t signalled_used;    /* used idx at the last interrupt decision */
    bool signalled_used_valid;
    uint16_t in_flight;         /* chains popped and not yet pushed */
    bool notify_pending;        /* QueueNotify seen, not yet processed */
    bool notify_disabled;       /* device is draining: suppress kicks */
    /* Chains failed (completed with length 0) since the device's last
     * xv_device_process_queue(); at a queue's worth the queue is throttled
     * until the next one, so a guest republishing bad chains as fast as
     * they fail cannot hold the embedder's loop. */
    uint16_t failed;
    bool throttled;
    bool reset;                 /* QueueReset done, not re-enabled yet */
    uint32_t generation;        /* bumped on every enable and release */
};

/* A request's descriptor chain, walked into caller-provided arrays. */
struct xv_chain {
    /* Caller fills these before xv_vq_pop(). */
    struct xv_iovec *iov;       /* readable segments first, then writable */
    struct xv_gbuf *gbuf;       /* same indices: the guest's view */
    uint16_t max_segs;          /* capacity of iov and gbuf */
    /* Filled by xv_vq_pop(). */
    uint16_t head;
    uint16_t nr_readable;
    uint16_t nr_writable;
    uint32_t readable_len;
    uint32_t writable_len;
    uint16_t ring_descs;        /* descriptors it occupies in the ring
                                   (an indirect table counts as one) */
    uint32_t generation;        /* vq generation it was popped from */
    bool mapped;
};

/* Per-device transport state, in the embedder's storage: embed it in the
 * device's own state (and find that with xv_container_of), or, where the
 * embedder owns it apart from the device (the protocol engines under
 * devices/), let the device find its state through priv. */
struct xv_device {
    const struct xv_device_ops *ops;
    const struct xv_platform *platform;
    struct xv_vq *vqs;          /* num_queues entries, embedder storage */
    /* From struct xv_device_config: fixed until the next init. */
    uint64_t features;          /* device-type bits offered */
    uint16_t num_queues;
    uint16_t queue_max_size;
    void *priv;
    uint32_t vendor_id;
    bool access_platform;       /* offer and require VIRTIO_F_ACCESS_PLATFORM */
    /* Register file. */
    uint32_t status;
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint64_t driver_features;
    uint32_t queue_sel;
    uint32_t shm_sel;
    uint32_t interrupt_status;
    uint32_t config_generation;
};

/* Transport features the core implements for every device. */
#define XV_CORE_FEATURES \
    (XV_FEATURE(XV_F_VERSION_1) | XV_FEATURE(XV_F_INDIRECT_DESC) | \
     XV_FEATURE(XV_F_EVENT_IDX) | XV_FEATURE(XV_F_RING_RESET))

#define XV_VENDOR_ID_DEFAULT 0x5658454eu /* "NEXV" little-endian: "XEN" + "V" */

/*
 * Device lifecycle.
 */
/* Bind a device's storage to its type's ops and this instance's config
 * (copied: it need not outlive the call). vqs has config->num_queues
 * entries. Returns 0 or -EINVAL if ops and config are inconsistent (queue
 * size not a power of two, config space too large for the window). */
int xv_device_init(struct xv_device *dev, const struct xv_device_ops *ops,
                   const struct xv_device_config *config,
                   const struct xv_platform *platform, struct xv_vq *vqs);
/* Reset as if the driver wrote status 0: releases all ring mappings. */
void xv_device_reset(struct xv_device *dev);
/* Offered features: device bits + core bits (+ ACCESS_PLATFORM). */
uint64_t xv_device_features(const struct xv_device *dev);
/* Was feature 'bit' negotiated (accepted by the driver)? */
bool xv_device_has_feature(const struct xv_device *dev, unsigned bit);
/* Run the device's queue_work for a pending queue. */
void xv_device_process_queue(struct xv_device *dev, unsigned queue);
/* The device's config changed: bump ConfigGeneration, config interrupt. */
void xv_device_config_changed(struct xv_device *dev);
/* Enter DEVICE_NEEDS_RESET (config interrupt), reporting why. */
void xv_device_needs_reset(struct xv_device *dev, int queue,
                           enum xv_fault why);
/* Container-of helper for devices embedding struct xv_device. */
#define xv_container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/*
 * virtio-mmio register file. 'offset' is relative to the device's window;
 * 'size' is the access width in bytes. Refused accesses return -EINVAL and
 * leave the device unchanged (reads yield 0).
 */
int xv_mmio_read(struct xv_device *dev, uint32_t offset, unsigned size,
                 uint32_t *value);
int xv_mmio_write(struct xv_device *dev, uint32_t offset, unsigned size,
                  uint32_t value);

/*
 * Split virtqueue, device side.
 */
/*
 * Take the next available chain. Returns 1 with *chain filled and its data
 * buffers mapped, 0 if the queue is empty (or not ready, or broken), or a
 * negative errno when the queue is broken (device now in NEEDS_RESET).
 * Chains whose buffers can't be mapped are completed with length 0 and
 * skipped; the caller never sees them. After a queue's worth of those in
 * one xv_device_process_queue() it returns 0 and asks queue_notify() for
 * another round (xv_vq_enable_notify() and xv_vq_avail_count() agree).
 */
int xv_vq_pop(struct xv_vq *vq, struct xv_chain *chain);
/* Release the chain's buffers (if still mapped) and add it to the used
 * ring with 'written' bytes; publishes the used idx. */
void xv_vq_push(struct xv_vq *vq, struct xv_chain *chain, uint32_t written);
/* Release a chain's buffers early (e.g. before slow completion work). */
void xv_vq_unmap_chain(struct xv_vq *vq, struct xv_chain *chain);
/* Interrupt the guest if it wants to hear about used buffers published
 * since the last call (EVENT_IDX used_event, or NO_INTERRUPT). */
void xv_vq_notify_guest(struct xv_vq *vq);
/* Notification suppression for a processing loop (vhost style):
 * disable before draining, enable after; enable returns true if more
 * buffers arrived meanwhile and the caller should drain again. */
void xv_vq_disable_notify(struct xv_vq *vq);
bool xv_vq_enable_notify(struct xv_vq *vq);
/* Available chains not yet popped (0 when empty or broken). */
uint16_t xv_vq_avail_count(struct xv_vq *vq);

/* Copy helpers over a chain's segments (bounded by what was mapped).
 * xv_chain_read() is the single fetch of guest data (see the top). */
size_t xv_chain_read(const struct xv_chain *chain, size_t off, void *dst,
                     size_t len);
size_t xv_chain_write(const struct xv_chain *chain, size_t off,
                      const void *src, size_t len);

#endif
