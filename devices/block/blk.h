/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk protocol engine (virtio 1.2 §5.2), portable and freestanding
 * like src/core: no allocator, no OS calls. The embedder supplies the
 * storage (struct xv_blk_storage), the request slots and their segment
 * arrays, and the struct xv_device the core drives.
 *
 * Embedding:
 *   struct xv_blk blk;
 *   struct xv_blk_req req;   with req.iov/gbuf/data of XV_BLK_REQ_SEGS(seg_max)
 *   xv_blk_default_params(&params);
 *   xv_blk_init(&blk, &dev, &platform, &storage, &params, &req, 1);
 * then drive 'dev' through the core as for any device.
 *
 * Every xv_blk shares one const struct xv_device_ops; what depends on the
 * storage and the configuration (offered features, queues, QueueNumMax) is
 * the struct xv_device's own. The engine finds itself through dev->priv,
 * so the xv_device can live wherever the embedder wants it (inside struct
 * xvd_dev for the daemon).
 */
#ifndef XV_BLK_H
#define XV_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xv/core.h"

/*
 * Protocol constants (virtio 1.2 §5.2), spelled as in the specification.
 * Defined here because <linux/virtio_blk.h> does not exist freestanding.
 */
#define VIRTIO_BLK_F_SIZE_MAX       1
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_GEOMETRY       4
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_TOPOLOGY       10
#define VIRTIO_BLK_F_CONFIG_WCE     11
#define VIRTIO_BLK_F_MQ             12
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14

#define VIRTIO_BLK_T_IN             0u
#define VIRTIO_BLK_T_OUT            1u
#define VIRTIO_BLK_T_FLUSH          4u
#define VIRTIO_BLK_T_GET_ID         8u
#define VIRTIO_BLK_T_DISCARD        11u
#define VIRTIO_BLK_T_WRITE_ZEROES   13u

#define VIRTIO_BLK_S_OK             0u
#define VIRTIO_BLK_S_IOERR          1u
#define VIRTIO_BLK_S_UNSUPP         2u

#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u

#define VIRTIO_BLK_ID_BYTES         20u
/* Capacity and sector numbers are in 512-byte units whatever blk_size is. */
#define VIRTIO_BLK_SECTOR_SHIFT     9
#define VIRTIO_BLK_SECTOR_SIZE      512u

/* Request header, first 16 readable bytes of every chain (little-endian). */
struct virtio_blk_outhdr {
    uint32_t type;
    uint32_t ioprio;
    uint64_t sector;
};

/* One range of a DISCARD or WRITE_ZEROES request (little-endian). */
struct virtio_blk_discard_write_zeroes {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

/* Byte offsets in struct virtio_blk_config (virtio 1.2 §5.2.4). The engine
 * serialises config space byte by byte, so it is right on any host. */
#define VIRTIO_BLK_CFG_CAPACITY                 0   /* le64 */
#define VIRTIO_BLK_CFG_SIZE_MAX                 8   /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX                  12  /* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY                 16  /* le16 + u8 + u8 */
#define VIRTIO_BLK_CFG_BLK_SIZE                 20  /* le32 */
#define VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP       24  /* u8 */
#define VIRTIO_BLK_CFG_ALIGNMENT_OFFSET         25  /* u8 */
#define VIRTIO_BLK_CFG_MIN_IO_SIZE              26  /* le16 */
#define VIRTIO_BLK_CFG_OPT_IO_SIZE              28  /* le32 */
#define VIRTIO_BLK_CFG_WRITEBACK                32  /* u8 */
#define VIRTIO_BLK_CFG_NUM_QUEUES               34  /* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS      36  /* le32 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG          40  /* le32 */
#define VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT 44  /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48  /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG     52  /* le32 */
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP   56  /* u8 */
#define VIRTIO_BLK_CFG_MAX_SECURE_ERASE_SECTORS 60  /* le32, not offered */
/* Through the secure-erase fields: what a 6.x driver may read; zoned (not
 * offered) is left out. */
#define XV_BLK_CONFIG_SIZE                      72u

struct xv_blk_req;

/*
 * The storage backend. Offsets and lengths are in bytes and always within
 * capacity and multiples of 512 (the engine checked). read to
 * write_zeroes are synchronous: each call returns 0 or a negative errno
 * when the operation is done. A storage that also has submit/drain gets
 * IN, OUT and FLUSH asynchronously and keeps the others synchronous.
 */
struct xv_blk_storage_ops {
    /* Fill / store the n segments in order, starting at offset. */
    int (*read)(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                unsigned n);
    int (*write)(void *opaque, uint64_t offset, const struct xv_iovec *iov,
                 unsigned n);
    /* Optional: make completed writes durable. NULL: the storage has no
     * volatile cache, VIRTIO_BLK_F_FLUSH is not offered. */
    int (*flush)(void *opaque);
    /* Optional: deallocate (a hint, contents afterwards unspecified).
     * NULL: VIRTIO_BLK_F_DISCARD is not offered. -EOPNOTSUPP answers
     * VIRTIO_BLK_S_UNSUPP. */
    int (*discard)(void *opaque, uint64_t offset, uint64_t len);
    /* Optional: the range must read back as zeroes; may_unmap allows
     * deallocating it. NULL: VIRTIO_BLK_F_WRITE_ZEROES is not offered. */
    int (*write_zeroes)(void *opaque, uint64_t offset, uint64_t len,
                        bool may_unmap);
    /*
     * Optional asynchronous path for IN, OUT and FLUSH (the other types
     * stay synchronous). The engine has validated the request: type,
     * sector, data[0..nr_data) and data_len are set, and 'sync' asks for a
     * write that is durable when it completes (write-through cache).
     * Returns 0 when accepted: the storage later calls xv_blk_complete_io()
     * exactly once, never from inside submit(). -EAGAIN: the engine does
     * this request synchronously (read/write/flush) instead. Any other
     * negative errno fails the request at once.
     */
    int (*submit)(void *opaque, struct xv_blk_req *req);
    /* Optional: end of a queue_work call that submitted something. Lets
     * the storage start the whole batch at once (one system call). */
    void (*kick)(void *opaque);
    /* Required with submit: complete every submitted request (waiting for
     * them) before returning. Called on device and queue reset, because
     * the requests' buffers are released when they complete. */
    void (*drain)(void *opaque);
};

struct xv_blk_storage {
    const struct xv_blk_storage_ops *ops;
    void *opaque;
    uint64_t capacity;          /* bytes; rounded down to 512 */
    uint32_t blk_size;          /* logical block size: power of two >= 512 */
    /* Optional topology (VIRTIO_BLK_F_TOPOLOGY offered when any is set). */
    uint8_t physical_block_exp; /* log2(physical block / logical block) */
    uint16_t min_io_size;       /* in logical blocks */
    uint32_t opt_io_size;       /* in logical blocks */
    bool read_only;
    /* GET_ID answer: up to 20 bytes, NUL-padded if shorter. */
    char id[VIRTIO_BLK_ID_BYTES];
};

/* Device tunables; xv_blk_default_params() fills sensible values. */
#define XV_BLK_DEFAULT_QUEUE_SIZE   256u
#define XV_BLK_DEFAULT_SEG_MAX      126u
#define XV_BLK_DEFAULT_SIZE_MAX     (1u << 20)

struct xv_blk_params {
    uint16_t queue_size;            /* QueueNumMax: power of two <= 32768 */
    uint16_t seg_max;               /* data segments per request, >= 1 */
    uint32_t size_max;              /* bytes per segment; 0: not offered */
    uint32_t max_discard_sectors;   /* per range */
    uint32_t max_discard_seg;       /* ranges per request */
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    bool write_zeroes_may_unmap;
    /* Requests handled per queue_work call before yielding (0: queue_size). */
    unsigned max_requests_per_call;
    /* Request queues, 1..XV_BLK_MAX_QUEUES (VIRTIO_BLK_F_MQ when > 1).
     * The request slots are shared out evenly between them. */
    uint16_t num_queues;
    /* Initial cache mode with a flushable storage: writeback (only FLUSH
     * makes writes durable) or write-through (every write is durable when
     * it completes). The driver may change it with CONFIG_WCE. */
    bool writeback;
};

#define XV_BLK_MAX_QUEUES 8u

/* Segments one request slot needs: header and status may be separate
 * descriptors around seg_max data descriptors. */
#define XV_BLK_REQ_SEGS(seg_max) ((unsigned)(seg_max) + 2u)

struct xv_blk;

/*
 * One request slot. The embedder points iov, gbuf and data at arrays of
 * XV_BLK_REQ_SEGS(params->seg_max) entries before xv_blk_init(); the rest
 * is the engine's. A slot is busy from pop until xv_blk_complete().
 */
struct xv_blk_req {
    struct xv_iovec *iov;       /* the chain as mapped */
    struct xv_gbuf *gbuf;
    struct xv_iovec *data;      /* the payload, header and status cut off */
    void *opaque;               /* the embedder's, never touched */
    /* Engine state. */
    struct xv_blk *blk;
    struct xv_vq *vq;
    uint16_t queue;             /* the queue this slot serves */
    bool sync;                  /* OUT: durable before completion */
    struct xv_chain chain;
    bool busy;
    uint32_t type;
    uint64_t sector;
    unsigned nr_data;           /* entries used in data[] */
    uint32_t data_len;          /* payload bytes */
    bool payload_written;       /* the writable payload holds our data */
};

/* What happened, for the embedder's logs and statistics. */
struct xv_blk_stats {
    uint64_t requests;          /* completed, whatever the status */
    uint64_t read_bytes, write_bytes;
    uint64_t flushes, discards, write_zeroes;
    uint64_t ioerr, unsupp;     /* completed with that status */
    uint64_t malformed;         /* layout/range violations by the driver */
    uint64_t no_status;         /* chains with no room for a status byte */
    int last_errno;             /* last storage error (negative), or 0 */
};

/* Per-queue share of the request slots. */
struct xv_blk_queue {
    unsigned first, count;      /* slots reqs[first .. first + count) */
    unsigned busy;
    bool starved;               /* stopped popping: every slot was busy */
};

struct xv_blk {
    struct xv_device *dev;
    struct xv_vq vqs[XV_BLK_MAX_QUEUES];    /* params.num_queues used */
    struct xv_blk_queue queues[XV_BLK_MAX_QUEUES];
    bool writeback;             /* current cache mode (config 'writeback') */
    struct xv_blk_storage storage;
    struct xv_blk_params params;
    uint64_t capacity_sectors;
    uint8_t config[XV_BLK_CONFIG_SIZE];
    struct xv_blk_req *reqs;
    unsigned nr_reqs;
    unsigned busy_reqs;
    bool submitted;             /* this queue_work call submitted: kick */
    struct xv_blk_stats stats;
};

void xv_blk_default_params(struct xv_blk_params *params);

/*
 * Bind blk to dev (calls xv_device_init()). storage, params and the
 * request slots are copied or referenced: reqs must outlive blk, the
 * others need not. nr_reqs must be a multiple of params->num_queues (each
 * queue gets its own nr_reqs / num_queues slots, its maximum number of
 * requests in flight). Returns 0 or -EINVAL (inconsistent parameters,
 * missing read/write, submit without drain, a slot without segment
 * arrays).
 */
int xv_blk_init(struct xv_blk *blk, struct xv_device *dev,
                const struct xv_platform *platform,
                const struct xv_blk_storage *storage,
                const struct xv_blk_params *params,
                struct xv_blk_req *reqs, unsigned nr_reqs);

/* The engine behind a device bound by xv_blk_init(), or NULL for any
 * other device. */
struct xv_blk *xv_blk_from_device(struct xv_device *dev);

/* The offered device-type feature bits (core bits excluded). */
uint64_t xv_blk_features(const struct xv_blk *blk);

/* Requests popped and not yet completed. */
unsigned xv_blk_in_flight(const struct xv_blk *blk);

/*
 * Finish a request: write the status byte, push the chain (used length =
 * the whole writable area, which the engine has written) and free the
 * slot. The engine calls it itself for synchronous storage; it is public
 * so that an asynchronous storage API can complete requests later.
 * Does not interrupt the guest: call xv_blk_notify() after a batch. When
 * every slot was busy, queue_work stopped popping: the embedder then
 * calls xv_device_process_queue() again once slots are free.
 */
void xv_blk_complete(struct xv_blk_req *req, uint8_t status);
/* The same for a request the storage accepted through submit(): err is 0
 * or a negative errno; accounts the bytes and picks the status. */
void xv_blk_complete_io(struct xv_blk_req *req, int err);
/* Interrupt the guest for what completed, on every queue, and ask (through
 * the platform's queue_notify) for the queues that ran out of slots to be
 * processed again now that some are free. */
void xv_blk_notify(struct xv_blk *blk);

/* The medium changed size (bytes): update config space and tell the
 * driver (configuration change interrupt). */
void xv_blk_set_capacity(struct xv_blk *blk, uint64_t capacity);

#endif
