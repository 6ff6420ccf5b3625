/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-i2c protocol engine (virtio 1.2 §5.20), portable and freestanding
 * like src/core: no allocator, no OS calls. The embedder supplies the bus
 * (struct xv_i2c_bus_ops), the request slots and the struct xv_device the
 * core drives.
 *
 * Embedding:
 *   struct xv_i2c i2c;
 *   struct xv_i2c_req reqs[GROUP_MAX];     (bounce buffers optional)
 *   xv_i2c_default_params(&params);
 *   xv_i2c_allow_all(&params) or xv_i2c_allow(&params, addr, ten_bit);
 *   xv_i2c_init(&i2c, &dev, &platform, &bus, &params, reqs, GROUP_MAX);
 *
 * Requests chained with VIRTIO_I2C_FLAGS_FAIL_NEXT form a group that runs
 * as one bus transaction (one transfer() call, repeated starts between the
 * messages). The engine holds a group's chains until its last request (no
 * FAIL_NEXT) is available, because a driver publishes its chains one by
 * one and we may look in between. Each request gets its own status; once
 * one fails, the rest of its group fail without touching the bus.
 */
#ifndef XV_I2C_H
#define XV_I2C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xv/core.h"

/* Protocol constants, spelled as in the specification (and Linux's uapi
 * <linux/virtio_i2c.h>, which does not exist freestanding). */
#define VIRTIO_I2C_F_ZERO_LENGTH_REQUEST    0
#define VIRTIO_I2C_FLAGS_FAIL_NEXT          0x00000001u
#define VIRTIO_I2C_FLAGS_M_RD               0x00000002u
#define VIRTIO_I2C_MSG_OK                   0u
#define VIRTIO_I2C_MSG_ERR                  1u
#define VIRTIO_I2C_OUT_HDR_BYTES            8u  /* le16 addr, le16 pad, le32 flags */
#define VIRTIO_I2C_IN_HDR_BYTES             1u  /* u8 status */

/* One message on the bus, as the engine hands it to the bus ops. */
#define XV_I2C_MSG_RD       0x0001u     /* read from the target */
#define XV_I2C_MSG_TEN      0x0010u     /* addr is a 10-bit address */

struct xv_i2c_msg {
    uint16_t addr;              /* 7-bit (0..0x7f) or 10-bit (0..0x3ff) */
    uint16_t flags;             /* XV_I2C_MSG_* */
    uint16_t len;               /* 0: a zero-length (SMBus quick) message */
    uint8_t *buf;
};

/* What a bus can do (funcs()). */
#define XV_I2C_FUNC_I2C         0x0001u /* arbitrary message sequences */
#define XV_I2C_FUNC_10BIT_ADDR  0x0002u
#define XV_I2C_FUNC_ZERO_LEN    0x0004u /* zero-length messages (quick) */

struct xv_i2c_bus_ops {
    /*
     * Run msgs[0..n) as one transaction: a START, a repeated START between
     * messages, a STOP at the end. Returns n when every message was done,
     * the number of messages done before one failed (NACK, bus error), or
     * a negative errno when nothing is known to have been done.
     */
    int (*transfer)(void *opaque, struct xv_i2c_msg *msgs, unsigned n);
    /* XV_I2C_FUNC_* the bus supports; a message needing a function the
     * bus lacks fails without reaching it. NULL: XV_I2C_FUNC_I2C only. */
    unsigned (*funcs)(void *opaque);
};

struct xv_i2c_bus {
    const struct xv_i2c_bus_ops *ops;
    void *opaque;
};

/* Guest-triggered failures, counted and reported through params.event. */
enum xv_i2c_event {
    XV_I2C_EV_MALFORMED,        /* header short or in the wrong direction,
                                   reserved flags, buffer direction vs M_RD */
    XV_I2C_EV_NO_STATUS,        /* no writable byte for in_hdr */
    XV_I2C_EV_OVERSIZE,         /* buffer longer than max_transfer */
    XV_I2C_EV_BAD_ADDR,         /* address encoding invalid */
    XV_I2C_EV_REFUSED,          /* address not in the allowlist */
    XV_I2C_EV_UNSUPPORTED,      /* zero length/10-bit the bus can't do */
    XV_I2C_EV_GROUP_TOO_LONG,   /* more FAIL_NEXT requests than slots */
    XV_I2C_EV_NO_BOUNCE,        /* scattered buffer and no bounce buffer */
    XV_I2C_EV_BUS_ERROR,        /* transfer() failed (not the guest's fault) */
    XV_I2C_EV_COUNT
};

#define XV_I2C_DEFAULT_QUEUE_SIZE   64u
#define XV_I2C_DEFAULT_MAX_TRANSFER 4096u

struct xv_i2c_params {
    uint16_t queue_size;        /* QueueNumMax: power of two <= 32768 */
    uint16_t max_transfer;      /* bytes per message, 1..65535 */
    /* Allowed addresses: bit a of allow7 for 7-bit address a, of allow10
     * for 10-bit address a. */
    uint32_t allow7[128 / 32];
    uint32_t allow10[1024 / 32];
    /* Requests handled per queue_work call before yielding (0: queue_size). */
    unsigned max_requests_per_call;
    /* Optional: a guest-triggered failure (addr is the decoded address, or
     * 0xffff when there is none). For the embedder's rate-limited log. */
    void (*event)(void *opaque, enum xv_i2c_event ev, uint16_t addr);
    void *event_opaque;
};

/* Segments one request slot holds: out_hdr, buffer pieces, in_hdr. Longer
 * chains are completed by the core with length 0 (XV_FAULT_TOO_MANY_SEGS). */
#define XV_I2C_REQ_SEGS 8u
/* The most requests one group (one transaction) may have. */
#define XV_I2C_GROUP_MAX 16u

struct xv_i2c;

/* One request slot: a group of G requests needs G slots. bounce (optional,
 * max_transfer bytes) holds every write message, so the bus sees a copy
 * the guest cannot change (core.h, "Guest memory"), and read messages split
 * over descriptors. Without one, a write's msg->buf is the guest's memory
 * and the bus must read each byte once. */
struct xv_i2c_req {
    uint8_t *bounce;
    /* Engine state. */
    struct xv_iovec iov[XV_I2C_REQ_SEGS];
    struct xv_gbuf gbuf[XV_I2C_REQ_SEGS];
    struct xv_chain chain;
    bool valid;                 /* parsed and allowed: may reach the bus */
    bool bounced;               /* msg.buf is bounce */
};

struct xv_i2c_stats {
    uint64_t requests;          /* completed, whatever the status */
    uint64_t transfers;         /* transfer() calls */
    uint64_t ok, err;           /* completed with that status */
    uint64_t events[XV_I2C_EV_COUNT];
    int last_errno;             /* last bus error (negative), or 0 */
};

struct xv_i2c {
    struct xv_device *dev;
    struct xv_vq vq;            /* requestq */
    struct xv_i2c_bus bus;
    struct xv_i2c_params params;
    unsigned funcs;
    struct xv_i2c_req *reqs;
    unsigned nr_reqs;           /* the longest group we can run */
    unsigned nr_pending;        /* popped requests of the open group */
    bool overflow;              /* failing the rest of a too long group */
    struct xv_i2c_msg msgs[XV_I2C_GROUP_MAX];   /* msgs[i]: reqs[i]'s */
    struct xv_i2c_stats stats;
};

void xv_i2c_default_params(struct xv_i2c_params *params);
/* Allowlist helpers (10-bit: ten_bit true, addr <= 0x3ff). */
void xv_i2c_allow_all(struct xv_i2c_params *params);
int xv_i2c_allow(struct xv_i2c_params *params, uint16_t addr, bool ten_bit);
bool xv_i2c_allowed(const struct xv_i2c_params *params, uint16_t addr,
                    bool ten_bit);

/*
 * Bind i2c to dev (calls xv_device_init()). reqs must outlive i2c; params
 * and bus are copied. 1 <= nr_reqs <= XV_I2C_GROUP_MAX is the longest FAIL_NEXT group served
 * as one transaction. Returns 0 or -EINVAL.
 */
int xv_i2c_init(struct xv_i2c *i2c, struct xv_device *dev,
                const struct xv_platform *platform,
                const struct xv_i2c_bus *bus,
                const struct xv_i2c_params *params,
                struct xv_i2c_req *reqs, unsigned nr_reqs);

struct xv_i2c *xv_i2c_from_device(struct xv_device *dev);

/* Requests popped and held (an open FAIL_NEXT group). */
unsigned xv_i2c_in_flight(const struct xv_i2c *i2c);

/*
 * Decode a virtio-i2c address field: 7-bit (A6..A0 in bits 7..1, bit 0
 * and the high byte zero) or 10-bit (A7..A0 in bits 15..8, 11110 A9 A8 0
 * in bits 7..0). Returns 0 with *addr and *ten_bit, or -EINVAL.
 */
int xv_i2c_decode_addr(uint16_t field, uint16_t *addr, bool *ten_bit);

#endif
