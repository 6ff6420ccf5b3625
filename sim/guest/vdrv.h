/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vdrv: the simulated guest's virtio-mmio driver.
 *
 * It behaves like Linux's drivers/virtio (virtio_mmio.c, virtio.c,
 * virtio_ring.c and xen grant-dma-ops.c) so that the backend sees the same
 * register and ring traffic as from a real guest, and it can misbehave on
 * purpose for robustness tests.
 *
 * Everything the driver needs from its environment (MMIO, guest RAM,
 * grant table, interrupt) goes through struct vdrv_transport, so the same
 * driver runs against the simulated hypervisor (vdrv_xensim.c) and against
 * the device-side core in-process (tests/sim/guest).
 *
 * Not thread-safe: one thread drives one device (like a vCPU with the
 * device's interrupt routed to it). Errors are negative errno values; the
 * text of the last one is kept in dev->last_error, worded like Linux's log.
 */
#ifndef VDRV_H
#define VDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VDRV_PAGE_SHIFT 12
#define VDRV_PAGE_SIZE  (1u << VDRV_PAGE_SHIFT)

/* Linux grant-dma-ops: a DMA address with bit 63 set is a grant reference
 * shifted by the page size, plus the offset in the page. */
#define VDRV_GRANT_DMA_ADDR_OFF (1ull << 63)
#define VDRV_GRANT_DMA_ADDR(ref, offset) \
    (VDRV_GRANT_DMA_ADDR_OFF | ((uint64_t)(ref) << VDRV_PAGE_SHIFT) | (offset))

/*
 * The environment. Every hook gets 'opaque' back. Grant hooks may be NULL
 * when the transport has no grant table (then use_grants must be false).
 */
struct vdrv_transport_ops {
    /* One MMIO access of 'size' bytes (1, 2, 4 or 8) at guest physical
     * address 'gpa'. Returns 0, or a negative errno if the access faulted. */
    int (*mmio_read)(void *opaque, uint64_t gpa, unsigned size,
                     uint64_t *value);
    int (*mmio_write)(void *opaque, uint64_t gpa, unsigned size,
                      uint64_t value);
    /* Zeroed, page-aligned guest RAM of at least 'size' bytes. Returns the
     * host pointer and stores the guest physical address, or NULL. */
    void *(*ram_alloc)(void *opaque, size_t size, uint64_t *gpa);
    void (*ram_free)(void *opaque, void *host, uint64_t gpa, size_t size);
    /* Grant 'domid' access to 'pages' frames from 'gfn' on consecutive
     * references (grant-dma-ops for a multi-page buffer); stores the first
     * reference. Returns 0 or a negative errno. */
    int (*grant_access_seq)(void *opaque, uint16_t domid, uint64_t gfn,
                            unsigned pages, bool readonly, uint32_t *first_ref);
    /* Revoke one reference and free it. Returns 0, or -EBUSY if the backend
     * still has it mapped (then the entry stays valid and allocated). */
    int (*grant_end_access)(void *opaque, uint32_t ref);
    /* Block until the device's interrupt fires or timeout_ms passes
     * (negative: forever). Returns >0 if it fired, 0 on timeout, or a
     * negative errno. Edge-triggered: one fire may stand for many. */
    int (*wait_irq)(void *opaque, int timeout_ms);
};

struct vdrv_transport {
    const struct vdrv_transport_ops *ops;
    void *opaque;
};

/*
 * Guest RAM page allocator, for transports whose environment hands out
 * one flat RAM region (the simulated guest, the loopback test).
 */
struct vdrv_pool {
    uint8_t *host;          /* host view of the region */
    uint64_t gpa;           /* its guest physical address, page aligned */
    size_t pages;
    uint8_t *used;          /* one byte per page: 1 = allocated */
};

int vdrv_pool_init(struct vdrv_pool *pool, void *host, uint64_t gpa,
                   size_t size);
void vdrv_pool_destroy(struct vdrv_pool *pool);
void *vdrv_pool_alloc(struct vdrv_pool *pool, size_t size, uint64_t *gpa);
void vdrv_pool_free(struct vdrv_pool *pool, void *host, size_t size);
/* Host pointer for [gpa, gpa + len) if it lies in the pool, else NULL. */
void *vdrv_pool_ptr(const struct vdrv_pool *pool, uint64_t gpa, size_t len);
size_t vdrv_pool_pages_in_use(const struct vdrv_pool *pool);

/*
 * Misbehaviour, applied by the ring to the next chain added to a queue
 * (then cleared). Each breaks one MUST of virtio 1.2 §2.7.
 */
enum vdrv_misbehave {
    VDRV_MB_NONE              = 0,
    VDRV_MB_HEAD_OUT_OF_RANGE = 1u << 0,  /* avail ring entry >= queue size */
    VDRV_MB_NEXT_OUT_OF_RANGE = 1u << 1,  /* last desc: NEXT to >= table size */
    VDRV_MB_CHAIN_LOOP        = 1u << 2,  /* last desc: NEXT to itself (a loop
                                           * of writable descs, so only the
                                           * loop is wrong) */
    VDRV_MB_INDIRECT_NESTED   = 1u << 3,  /* INDIRECT inside an indirect table */
    VDRV_MB_INDIRECT_LEN_ZERO = 1u << 4,  /* indirect table length 0 */
    VDRV_MB_INDIRECT_LEN_ODD  = 1u << 5,  /* length not a multiple of 16 */
    VDRV_MB_INDIRECT_NEXT     = 1u << 6,  /* INDIRECT together with NEXT */
    VDRV_MB_READ_AFTER_WRITE  = 1u << 7,  /* writable sgs placed first */
    VDRV_MB_AVAIL_IDX_JUMP    = 1u << 8,  /* avail idx moves num + 1 ahead */
    VDRV_MB_FORCE_INDIRECT    = 1u << 9,  /* indirect even if unnegotiated */
    VDRV_MB_NO_KICK           = 1u << 10, /* publish but never notify */
};

/* A scatter-gather element: guest RAM the request uses. */
struct vdrv_sg {
    uint64_t addr;          /* guest physical address */
    uint32_t len;
    /* VDRV_SG_RAW: put addr in the descriptor verbatim, without granting
     * it (never-granted refs, unmapped or overflowing addresses). */
    uint32_t flags;
};
#define VDRV_SG_RAW 1u

/* How a buffer was made visible to the device (Linux dma_map_*). */
struct vdrv_dma {
    uint64_t dma;           /* address the device is given */
    uint32_t len;
    uint32_t first_ref;     /* consecutive grant refs, when granted */
    uint16_t nr_refs;       /* 0: plain guest physical address */
};

/* Split ring descriptor as the driver writes it (little-endian host). */
struct vdrv_vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vdrv_device;
struct vdrv_vq;
struct vdrv_desc_extra;

/* Called from the interrupt handler when the device used buffers. */
typedef void vdrv_vq_callback_fn(struct vdrv_vq *vq);

/* Per-head bookkeeping of chains the device owns. */
struct vdrv_head_state {
    void *token;            /* NULL: slot free or not a head */
    uint16_t ndescs;        /* ring descriptors the chain uses */
    uint16_t nr_indirect;   /* entries in 'indirect', 0 if direct */
    uint32_t writable_len;  /* what the device may write: used len bound */
    struct vdrv_desc_extra *indirect_extra;
    void *indirect_table;   /* host view of the indirect table */
    uint64_t indirect_gpa;
    size_t indirect_bytes;
    struct vdrv_dma indirect_map;
};

/* What the driver remembers of each descriptor it wrote (the device may
 * have changed the ring copy). */
struct vdrv_desc_extra {
    struct vdrv_dma map;
    uint16_t flags;
    uint16_t next;
};

struct vdrv_vq {
    struct vdrv_device *dev;
    uint16_t index;
    uint16_t num;
    vdrv_vq_callback_fn *callback;
    void *priv;
    /* Ring memory: one region desc | avail | pad | used, like vring_init. */
    void *ring;
    uint64_t ring_gpa;
    size_t ring_bytes;
    struct vdrv_dma ring_map;
    uint64_t desc_dma, avail_dma, used_dma;
    volatile struct vdrv_vring_desc *desc;
    volatile uint16_t *avail;   /* flags, idx, ring[num], used_event */
    volatile uint16_t *used;    /* flags, idx, {id,len}[num], avail_event */
    /* Driver-side state. */
    struct vdrv_desc_extra *extra;
    struct vdrv_head_state *heads;
    uint16_t free_head;
    uint16_t num_free;
    uint16_t avail_idx_shadow;
    uint16_t avail_flags_shadow;
    uint16_t num_added;         /* since the last kick decision */
    uint16_t last_used_idx;
    bool event_idx;
    bool indirect;
    bool broken;
    bool setup_failed;          /* device refused the queue configuration */
    unsigned misbehave;         /* enum vdrv_misbehave, next add only */
    /* Counters for tests. */
    uint64_t kicks;
    uint64_t kicks_suppressed;
    uint64_t interrupts;
    uint64_t completions;
};

struct vdrv_options {
    /* Restricted memory access through grants (Xen grant-dma-ops): the
     * device must offer ACCESS_PLATFORM, every buffer is granted to
     * backend_domid and DMA addresses are grant addresses. */
    bool use_grants;
    uint16_t backend_domid;
    /* Driver-supported feature bits to withhold (e.g. INDIRECT_DESC). */
    uint64_t features_clear;
    /* Extra bits to accept even if unsupported (misbehaviour). */
    uint64_t features_force;
    /* Queue size wanted; 0 = QueueNumMax (Linux asks for the maximum). */
    uint16_t queue_size;
    /* Misbehaviour: write this to QueueNum verbatim (e.g. 3). */
    uint16_t queue_num_override;
    /* Interrupt wait bound for synchronous requests; 0 = 5000 ms. */
    int timeout_ms;
};

struct vdrv_device {
    struct vdrv_transport transport;
    struct vdrv_options opts;
    uint64_t base;              /* MMIO window guest physical address */
    uint32_t version;
    uint32_t device_id;
    uint32_t vendor_id;
    uint64_t device_features;
    uint64_t features;          /* negotiated */
    struct vdrv_vq *vqs;
    unsigned num_vqs;
    /* Config change handler of the device driver, optional. */
    void (*config_changed)(struct vdrv_device *dev);
    void *priv;
    bool driver_ok;
    bool needs_reset;           /* device set DEVICE_NEEDS_RESET */
    bool grants_broken;         /* a grant was still in use at unmap */
    bool dead;                  /* vdrv_die(): the guest stopped */
    /* A racing vCPU's view of every chain added (guest_race.c): called
     * with its buffers before the chain is published. Optional. */
    void (*on_add)(void *opaque, const struct vdrv_sg *sg, unsigned n);
    void *on_add_opaque;
    uint32_t config_interrupts;
    uint64_t interrupts;
    uint64_t spurious_interrupts;
    char last_error[160];
};

/* Feature bits the ring and transport layers understand (virtio 1.2 §6). */
#define VDRV_F_INDIRECT_DESC   28
#define VDRV_F_EVENT_IDX       29
#define VDRV_F_VERSION_1       32
#define VDRV_F_ACCESS_PLATFORM 33
#define VDRV_F_RING_RESET      40
#define VDRV_BIT(b)            (1ull << (b))

/*
 * Device bring-up, as virtio_mmio's probe and virtio_dev_probe do it.
 */
/* Read Magic/Version/DeviceID/VendorID, reset, ACKNOWLEDGE. Returns
 * -ENODEV for a bad magic, unsupported version or DeviceID 0. */
int vdrv_probe(struct vdrv_device *dev, const struct vdrv_transport *t,
               uint64_t base, const struct vdrv_options *opts);
/* DRIVER, read features, accept device ∩ (driver_features + transport
 * features), FEATURES_OK and check it stuck. */
int vdrv_negotiate(struct vdrv_device *dev, uint64_t driver_features);
/* Set up 'n' queues (callbacks[i] may be NULL: no interrupts wanted). */
int vdrv_setup_vqs(struct vdrv_device *dev, unsigned n,
                   vdrv_vq_callback_fn *const callbacks[]);
/* DRIVER_OK. */
int vdrv_driver_ok(struct vdrv_device *dev);
/* Probe + negotiate + queues + DRIVER_OK in one. */
int vdrv_init(struct vdrv_device *dev, const struct vdrv_transport *t,
              uint64_t base, const struct vdrv_options *opts,
              uint64_t driver_features, unsigned nvqs,
              vdrv_vq_callback_fn *const callbacks[]);
/* Linux remove: reset, disable queues, give back every buffer (ending its
 * grants), free rings. Tokens of chains still in flight are returned via
 * detach_token (may be NULL). A dead device only frees memory. */
void vdrv_remove(struct vdrv_device *dev,
                 void (*detach_token)(struct vdrv_device *dev, void *token));

bool vdrv_has_feature(const struct vdrv_device *dev, unsigned bit);
/* Read Status. */
uint32_t vdrv_get_status(struct vdrv_device *dev);
/* Config space, with the ConfigGeneration retry loop; 'len' of 1, 2, 4 or
 * 8 uses one access of that width (8: two 32-bit), others byte-wise. */
int vdrv_config_read(struct vdrv_device *dev, uint32_t offset, void *buf,
                     uint32_t len);
int vdrv_config_write(struct vdrv_device *dev, uint32_t offset,
                      const void *buf, uint32_t len);

/* Interrupt handler (vm_interrupt): returns true if the device had
 * anything to say. */
bool vdrv_interrupt(struct vdrv_device *dev);
/* Wait for one interrupt and handle it. 0, -ETIMEDOUT or -errno. */
int vdrv_wait_interrupt(struct vdrv_device *dev, int timeout_ms);
/* Handle interrupts until *flag is true; -ETIMEDOUT after timeout_ms
 * (0: the device's default) without progress, -EIO if the device or the
 * queue broke. */
int vdrv_wait_for(struct vdrv_device *dev, struct vdrv_vq *vq,
                  const volatile bool *flag, int timeout_ms);

/* Guest RAM through the transport. */
void *vdrv_ram_alloc(struct vdrv_device *dev, size_t size, uint64_t *gpa);
void vdrv_ram_free(struct vdrv_device *dev, void *host, uint64_t gpa,
                   size_t size);

/* Make [gpa, gpa + len) visible to the device (grant-dma-ops map_page).
 * device_writes selects a writable grant. */
int vdrv_dma_map(struct vdrv_device *dev, uint64_t gpa, uint32_t len,
                 bool device_writes, struct vdrv_dma *map);
/* End access to every grant; returns -EBUSY (device marked grants_broken,
 * "Grant still in use by backend domain, disabled for further use") if
 * the backend still had one. */
int vdrv_dma_unmap(struct vdrv_device *dev, struct vdrv_dma *map);

/*
 * Split ring, driver side (virtqueue_add_sgs & co).
 */
/* Add a chain: sg[0..out) device-readable, sg[out..out+in) writable. */
int vdrv_vq_add(struct vdrv_vq *vq, const struct vdrv_sg *sg, unsigned out,
                unsigned in, void *token);
/* Decide whether the device wants a notification (event idx or
 * NO_NOTIFY), then notify it. Returns true if it was notified. */
bool vdrv_vq_kick(struct vdrv_vq *vq);
bool vdrv_vq_kick_prepare(struct vdrv_vq *vq);
void vdrv_vq_notify(struct vdrv_vq *vq);
/* Next used buffer's token and length, or NULL. Validates the id and the
 * length; a bad one breaks the queue ("id %u out of range"). */
void *vdrv_vq_get_used(struct vdrv_vq *vq, uint32_t *len);
bool vdrv_vq_more_used(const struct vdrv_vq *vq);
/* Interrupt suppression (virtqueue_disable_cb / virtqueue_enable_cb):
 * enable returns false if buffers were used meanwhile. */
void vdrv_vq_disable_cb(struct vdrv_vq *vq);
bool vdrv_vq_enable_cb(struct vdrv_vq *vq);
/* Arm misbehaviours (enum vdrv_misbehave) for the next vdrv_vq_add. */
void vdrv_vq_misbehave(struct vdrv_vq *vq, unsigned flags);

/*
 * A generic request token for drivers that wait synchronously: the
 * default queue callback (vdrv_vq_complete_requests) fills it.
 */
struct vdrv_request {
    volatile bool done;
    uint32_t used_len;
    void (*complete)(struct vdrv_request *req);  /* optional */
    void *priv;
};
void vdrv_vq_complete_requests(struct vdrv_vq *vq);

/*
 * A request with its own guest memory (headers, bounce buffer) that lives
 * until the device gives it back, even if the waiter gave up: a request
 * that timed out is orphaned and freed on completion or at vdrv_remove.
 */
struct vdrv_inflight {
    struct vdrv_request req;    /* the token: first member */
    struct vdrv_device *dev;
    uint8_t *mem;               /* host view, zeroed */
    uint64_t gpa;
    size_t bytes;
    bool queued;
    bool orphan;
};
struct vdrv_inflight *vdrv_inflight_new(struct vdrv_device *dev,
                                        size_t bytes);
/* Add the chain and remember it is the device's now. */
int vdrv_inflight_add(struct vdrv_inflight *f, struct vdrv_vq *vq,
                      const struct vdrv_sg *sg, unsigned out, unsigned in);
/* Add, kick, wait for completion. */
int vdrv_inflight_run(struct vdrv_inflight *f, struct vdrv_vq *vq,
                      const struct vdrv_sg *sg, unsigned out, unsigned in);
/* Free now if the device is done with it, else orphan it. */
void vdrv_inflight_release(struct vdrv_inflight *f);
/* detach_token for vdrv_remove when every token is a vdrv_inflight. */
void vdrv_inflight_detach(struct vdrv_device *dev, void *token);

/*
 * Register abuse (virtio 1.2 §4.2.2.2 driver MUSTs broken on purpose).
 * Returns the transport's result of the last access.
 */
enum vdrv_reg_abuse {
    VDRV_REG_READ_8BYTE,        /* 64-bit read of Status */
    VDRV_REG_WRITE_8BYTE,       /* 64-bit write of QueueSel */
    VDRV_REG_READ_1BYTE,        /* byte read of DeviceID */
    VDRV_REG_WRITE_1BYTE,       /* byte write of Status (ACKNOWLEDGE) */
    VDRV_REG_WRITE_READONLY,    /* Magic, Version, DeviceID, VendorID,
                                 * DeviceFeatures, QueueNumMax,
                                 * InterruptStatus, ConfigGeneration */
    VDRV_REG_QUEUE_CONFIG_LIVE, /* QueueNum/Desc/Driver/Device of a ready
                                 * queue after DRIVER_OK */
    VDRV_REG_OUTSIDE_WINDOW,    /* reserved offsets 0x0c8, 0x1fc+4 */
};
int vdrv_abuse_registers(struct vdrv_device *dev, enum vdrv_reg_abuse abuse,
                         unsigned queue);
/* Raw register access relative to the window, no checks. */
int vdrv_mmio_read(struct vdrv_device *dev, uint32_t offset, unsigned size,
                   uint64_t *value);
int vdrv_mmio_write(struct vdrv_device *dev, uint32_t offset, unsigned size,
                    uint64_t value);
/* The guest stops responding mid request: no more MMIO, no interrupt
 * handling, grants left in place (vdrv_remove only frees host memory). */
void vdrv_die(struct vdrv_device *dev);

/*
 * virtio-blk (Linux drivers/block/virtio_blk.c).
 */
struct vdrv_blk {
    struct vdrv_device dev;
    uint64_t capacity;          /* 512-byte sectors */
    uint32_t size_max;          /* 0: not offered */
    uint32_t seg_max;
    uint32_t blk_size;
    bool read_only;
    bool flush;                 /* VIRTIO_BLK_F_FLUSH */
    uint8_t writeback;          /* config 'writeback' (CONFIG_WCE) */
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    bool write_zeroes_may_unmap;
    /* Split data into segments of at most this many bytes (0: 64 KiB,
     * Linux's default max_segment_size, or size_max if smaller). */
    uint32_t data_seg_bytes;
    /* With MQ, min(num_queues, VDRV_BLK_MAX_QUEUES) request queues; the
     * next request goes to 'queue' (Linux: the submitting CPU's). */
    uint16_t num_queues;
    uint16_t queue;
};
#define VDRV_BLK_MAX_QUEUES 8

int vdrv_blk_init(struct vdrv_blk *blk, const struct vdrv_transport *t,
                  uint64_t base, const struct vdrv_options *opts);
void vdrv_blk_remove(struct vdrv_blk *blk);
/* Re-read the config (after a config interrupt). */
int vdrv_blk_read_config(struct vdrv_blk *blk);
/* A request of VIRTIO_BLK_T_* type. Data is bounced through guest RAM.
 * Returns the VIRTIO_BLK_S_* status (>= 0) or a negative errno. */
int vdrv_blk_request(struct vdrv_blk *blk, uint32_t type, uint64_t sector,
                     void *data, uint32_t len);
int vdrv_blk_read(struct vdrv_blk *blk, uint64_t sector, void *buf,
                  uint32_t len);
int vdrv_blk_write(struct vdrv_blk *blk, uint64_t sector, const void *buf,
                   uint32_t len);
int vdrv_blk_flush(struct vdrv_blk *blk);
/* id: VIRTIO_BLK_ID_BYTES (20) bytes, not NUL-terminated if full. */
int vdrv_blk_get_id(struct vdrv_blk *blk, char *id);
/* One {sector, num_sectors, flags} segment. */
int vdrv_blk_discard(struct vdrv_blk *blk, uint64_t sector, uint32_t count);
int vdrv_blk_write_zeroes(struct vdrv_blk *blk, uint64_t sector,
                          uint32_t count, bool unmap);

/*
 * virtio-i2c (Linux drivers/i2c/busses/i2c-virtio.c).
 */
#define VDRV_I2C_M_RD 0x0001    /* as Linux I2C_M_RD */

struct vdrv_i2c_msg {
    uint16_t addr;              /* 7-bit address */
    uint16_t flags;             /* VDRV_I2C_M_RD */
    uint16_t len;
    uint8_t *buf;
};

struct vdrv_i2c {
    struct vdrv_device dev;
};

int vdrv_i2c_init(struct vdrv_i2c *i2c, const struct vdrv_transport *t,
                  uint64_t base, const struct vdrv_options *opts);
void vdrv_i2c_remove(struct vdrv_i2c *i2c);
/* One transfer: a chain per message, FAIL_NEXT on all but the last, one
 * kick. Returns the number of messages that succeeded (stops counting at
 * the first failure, as master_xfer does), or a negative errno. */
int vdrv_i2c_transfer(struct vdrv_i2c *i2c, struct vdrv_i2c_msg *msgs,
                      unsigned num);

/*
 * virtio-scmi (Linux drivers/firmware/arm_scmi/virtio.c).
 */
#define VDRV_SCMI_MAX_MSG_SIZE 128  /* payload bytes, VIRTIO_SCMI_MAX_MSG_SIZE */

#define VDRV_SCMI_HDR(msg_id, type, proto, token) \
    ((uint32_t)((msg_id) & 0xff) | ((uint32_t)((type) & 0x3) << 8) | \
     ((uint32_t)((proto) & 0xff) << 10) | ((uint32_t)((token) & 0x3ff) << 18))
#define VDRV_SCMI_HDR_MSG_ID(h)   ((h) & 0xff)
#define VDRV_SCMI_HDR_TYPE(h)     (((h) >> 8) & 0x3)
#define VDRV_SCMI_HDR_PROTOCOL(h) (((h) >> 10) & 0xff)
#define VDRV_SCMI_HDR_TOKEN(h)    (((h) >> 18) & 0x3ff)

#define VDRV_SCMI_PROTOCOL_BASE 0x10
#define VDRV_SCMI_PROTOCOL_VERSION    0x0
#define VDRV_SCMI_PROTOCOL_ATTRIBUTES 0x1
#define VDRV_SCMI_PROTOCOL_MESSAGE_ATTRIBUTES 0x2
#define VDRV_SCMI_BASE_DISCOVER_VENDOR 0x3
#define VDRV_SCMI_BASE_DISCOVER_SUB_VENDOR 0x4
#define VDRV_SCMI_BASE_DISCOVER_IMPLEMENTATION_VERSION 0x5
#define VDRV_SCMI_BASE_DISCOVER_LIST_PROTOCOLS 0x6

#define VDRV_SCMI_SUCCESS 0
#define VDRV_SCMI_NOT_SUPPORTED (-1)

struct vdrv_scmi {
    struct vdrv_device dev;
    bool p2a;                   /* eventq present */
    uint16_t next_token;
    uint32_t max_msg;           /* in flight: min(cmdq size / 2, 1024) */
    /* eventq: pre-posted device-writable buffers of 4 + 4 + 128 bytes. */
    void *event_bufs;
    uint64_t event_gpa;
    size_t event_bytes;
    uint16_t event_count;
    struct vdrv_request *event_reqs;
    /* Received notifications/delayed responses, for tests. */
    void (*on_event)(struct vdrv_scmi *scmi, uint32_t hdr,
                     const void *payload, uint32_t len);
    uint64_t events_received;
};

/* The result of one command. */
struct vdrv_scmi_reply {
    uint32_t hdr;               /* as echoed by the platform */
    int32_t status;
    uint8_t payload[VDRV_SCMI_MAX_MSG_SIZE]; /* return values after status */
    uint32_t len;               /* bytes in payload */
    uint32_t used;              /* used length the device reported (raw) */
};

int vdrv_scmi_init(struct vdrv_scmi *scmi, const struct vdrv_transport *t,
                   uint64_t base, const struct vdrv_options *opts);
void vdrv_scmi_remove(struct vdrv_scmi *scmi);
/* Send a command and wait for its response. rx_len: the return values
 * expected after the status (0: the maximum, 128, as Linux does). */
int vdrv_scmi_xfer(struct vdrv_scmi *scmi, uint8_t protocol, uint8_t msg_id,
                   const void *tx, uint32_t tx_len, uint32_t rx_len,
                   struct vdrv_scmi_reply *reply);
/* Send msg (header included) unchanged; reply->used is the used length. */
int vdrv_scmi_xfer_raw(struct vdrv_scmi *scmi, const void *msg, uint32_t len,
                       uint32_t rx_len, struct vdrv_scmi_reply *reply);
/* The same with the device-writable part wlen bytes long (< 8: too short
 * for a reply), len 0: no device-readable part. */
int vdrv_scmi_xfer_shaped(struct vdrv_scmi *scmi, const void *msg, uint32_t len,
                          uint32_t wlen, struct vdrv_scmi_reply *reply);
/* BASE helpers: 0, or a negative errno; an SCMI error status is mapped
 * as scmi_to_linux_errno does (NOT_SUPPORTED -> -EOPNOTSUPP, ...). */
int vdrv_scmi_status_to_errno(int32_t status);
int vdrv_scmi_base_version(struct vdrv_scmi *scmi, uint32_t *version);
int vdrv_scmi_base_attributes(struct vdrv_scmi *scmi, uint8_t *num_protocols,
                              uint8_t *num_agents);
int vdrv_scmi_base_vendor(struct vdrv_scmi *scmi, char vendor[16]);

#endif
