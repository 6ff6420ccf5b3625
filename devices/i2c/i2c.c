/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-i2c protocol engine (virtio 1.2 §5.20). Freestanding: see i2c.h.
 *
 * A request is { out_hdr, [buf], in_hdr }: the readable bytes are the
 * 8-byte out_hdr, then the message bytes for a write; the writable bytes
 * are the message bytes for a read (VIRTIO_I2C_FLAGS_M_RD), then the
 * 1-byte in_hdr. With VERSION_1 any descriptor split is legal, so the
 * engine works on byte counts, never on descriptor counts. Whatever breaks
 * that layout, or asks for an address the admin did not allow, completes
 * with VIRTIO_I2C_MSG_ERR and never reaches the bus.
 */
#include <errno.h>
#include <string.h>

#include "i2c.h"
#include "xv/wire.h"

#define NO_ADDR         0xffffu
#define DEFAULT_BATCH   64u

static const struct xv_device_ops i2c_ops;

struct xv_i2c *xv_i2c_from_device(struct xv_device *dev)
{
    /* Every xv_i2c's device shares i2c_ops: it proves dev->priv is one. */
    if (!dev || dev->ops != &i2c_ops)
        return NULL;
    return dev->priv;
}

/*
 * Addresses and the allowlist.
 */
int xv_i2c_decode_addr(uint16_t field, uint16_t *addr, bool *ten_bit)
{
    uint8_t lo = (uint8_t)field, hi = (uint8_t)(field >> 8);

    /* 11110xx0 in the low byte is the 10-bit prefix; the 7-bit addresses
     * it would alias (0x78..0x7b) are reserved for it by the I2C spec. */
    if ((lo & 0xf9u) == 0xf0u) {
        *addr = (uint16_t)(((lo >> 1) & 3u) << 8 | hi);
        *ten_bit = true;
        return 0;
    }
    if (hi != 0 || (lo & 1u))
        return -EINVAL;
    *addr = lo >> 1;
    *ten_bit = false;
    return 0;
}

void xv_i2c_allow_all(struct xv_i2c_params *params)
{
    memset(params->allow7, 0xff, sizeof(params->allow7));
    memset(params->allow10, 0xff, sizeof(params->allow10));
}

int xv_i2c_allow(struct xv_i2c_params *params, uint16_t addr, bool ten_bit)
{
    if (addr > (ten_bit ? 0x3ffu : 0x7fu))
        return -EINVAL;
    if (ten_bit)
        params->allow10[addr / 32] |= 1u << (addr % 32);
    else
        params->allow7[addr / 32] |= 1u << (addr % 32);
    return 0;
}

bool xv_i2c_allowed(const struct xv_i2c_params *params, uint16_t addr,
                    bool ten_bit)
{
    if (addr > (ten_bit ? 0x3ffu : 0x7fu))
        return false;
    if (ten_bit)
        return params->allow10[addr / 32] & (1u << (addr % 32));
    return params->allow7[addr / 32] & (1u << (addr % 32));
}

/*
 * Requests.
 */
static void report(struct xv_i2c *i2c, enum xv_i2c_event ev, uint16_t addr)
{
    i2c->stats.events[ev]++;
    if (i2c->params.event)
        i2c->params.event(i2c->params.event_opaque, ev, addr);
}

/* Point *p at chain bytes [off, off + len) when one segment holds them. */
static bool contiguous(const struct xv_chain *c, unsigned first, unsigned n,
                       size_t off, size_t len, uint8_t **p)
{
    for (unsigned i = first; i < first + n; i++) {
        if (off < c->iov[i].len) {
            if (len > c->iov[i].len - off)
                return false;
            *p = (uint8_t *)c->iov[i].base + off;
            return true;
        }
        off -= c->iov[i].len;
    }
    return false;
}

/* Zero-based offset inside the writable segments: bytes [off, off + len). */
static void write_zero(const struct xv_chain *c, size_t off, size_t len)
{
    for (unsigned i = c->nr_readable; i < (unsigned)c->nr_readable + c->nr_writable &&
         len; i++) {
        size_t take;

        if (off >= c->iov[i].len) {
            off -= c->iov[i].len;
            continue;
        }
        take = c->iov[i].len - off;
        if (take > len)
            take = len;
        memset((uint8_t *)c->iov[i].base + off, 0, take);
        len -= take;
        off = 0;
    }
}

/* Copy src to the writable bytes [0, len). */
static void write_payload(const struct xv_chain *c, const uint8_t *src, size_t len)
{
    size_t off = 0;

    for (unsigned i = c->nr_readable; i < (unsigned)c->nr_readable + c->nr_writable &&
         off < len; i++) {
        size_t take = c->iov[i].len < len - off ? c->iov[i].len : len - off;

        memcpy(c->iov[i].base, src + off, take);
        off += take;
    }
}

/*
 * Parse and check one popped request into reqs[idx] / msgs[idx]. Returns
 * the out_hdr flags (0 when unreadable: an unreadable header cannot ask
 * to fail the next request, so it ends its group).
 */
static uint32_t parse(struct xv_i2c *i2c, unsigned idx)
{
    struct xv_i2c_req *req = &i2c->reqs[idx];
    struct xv_i2c_msg *msg = &i2c->msgs[idx];
    const struct xv_chain *c = &req->chain;
    uint8_t raw[VIRTIO_I2C_OUT_HDR_BYTES];
    uint32_t flags, len;
    uint16_t addr;
    bool ten_bit, read;

    req->valid = false;
    req->bounced = false;
    memset(msg, 0, sizeof(*msg));
    if (c->writable_len < VIRTIO_I2C_IN_HDR_BYTES) {
        report(i2c, XV_I2C_EV_NO_STATUS, NO_ADDR);
        return 0;
    }
    if (c->readable_len < VIRTIO_I2C_OUT_HDR_BYTES ||
        xv_chain_read(c, 0, raw, sizeof(raw)) != sizeof(raw)) {
        report(i2c, XV_I2C_EV_MALFORMED, NO_ADDR);
        return 0;
    }
    flags = xv_load_le32(raw + 4);
    read = flags & VIRTIO_I2C_FLAGS_M_RD;
    /* Reserved flag bits must be zero: a driver setting them expects a
     * meaning we don't implement. The grouping still holds. */
    if (flags & ~(VIRTIO_I2C_FLAGS_FAIL_NEXT | VIRTIO_I2C_FLAGS_M_RD)) {
        report(i2c, XV_I2C_EV_MALFORMED, NO_ADDR);
        return flags;
    }
    if (xv_i2c_decode_addr(xv_load_le16(raw), &addr, &ten_bit) < 0) {
        report(i2c, XV_I2C_EV_BAD_ADDR, NO_ADDR);
        return flags;
    }
    /* The buffer's direction is the message's: bytes on the other side
     * mean the driver and we disagree on what it asked for. */
    if (read ? c->readable_len != VIRTIO_I2C_OUT_HDR_BYTES :
               c->writable_len != VIRTIO_I2C_IN_HDR_BYTES) {
        report(i2c, XV_I2C_EV_MALFORMED, addr);
        return flags;
    }
    len = read ? c->writable_len - VIRTIO_I2C_IN_HDR_BYTES :
                 c->readable_len - VIRTIO_I2C_OUT_HDR_BYTES;
    if (len > i2c->params.max_transfer) {
        report(i2c, XV_I2C_EV_OVERSIZE, addr);
        return flags;
    }
    if (len == 0 &&
        !xv_device_has_feature(i2c->dev, VIRTIO_I2C_F_ZERO_LENGTH_REQUEST)) {
        report(i2c, XV_I2C_EV_MALFORMED, addr);
        return flags;
    }
    if (!xv_i2c_allowed(&i2c->params, addr, ten_bit)) {
        report(i2c, XV_I2C_EV_REFUSED, addr);
        return flags;
    }
    if ((ten_bit && !(i2c->funcs & XV_I2C_FUNC_10BIT_ADDR)) ||
        (len == 0 && !(i2c->funcs & XV_I2C_FUNC_ZERO_LEN))) {
        report(i2c, XV_I2C_EV_UNSUPPORTED, addr);
        return flags;
    }
    msg->addr = addr;
    msg->flags = (uint16_t)((read ? XV_I2C_MSG_RD : 0) | (ten_bit ? XV_I2C_MSG_TEN : 0));
    msg->len = (uint16_t)len;
    if (len) {
        /* The bus interprets what it is sent (a register number, an SMBus
         * command): a write is copied once, out of the guest's reach, when
         * there is a bounce buffer. Reads land in the guest's buffer. */
        bool direct = read ?
            contiguous(c, c->nr_readable, c->nr_writable, 0, len, &msg->buf) :
            !req->bounce &&
            contiguous(c, 0, c->nr_readable, VIRTIO_I2C_OUT_HDR_BYTES, len, &msg->buf);

        if (!direct) {
            if (!req->bounce) {
                report(i2c, XV_I2C_EV_NO_BOUNCE, addr);
                return flags;
            }
            msg->buf = req->bounce;
            req->bounced = true;
            if (!read)
                xv_chain_read(c, VIRTIO_I2C_OUT_HDR_BYTES, req->bounce, len);
        }
    }
    req->valid = true;
    return flags;
}

static void complete(struct xv_i2c *i2c, unsigned idx, bool ok)
{
    struct xv_i2c_req *req = &i2c->reqs[idx];
    struct xv_i2c_msg *msg = &i2c->msgs[idx];
    struct xv_chain *c = &req->chain;
    uint8_t status = ok ? VIRTIO_I2C_MSG_OK : VIRTIO_I2C_MSG_ERR;

    if (c->writable_len == 0) {
        xv_vq_push(&i2c->vq, c, 0);
    } else {
        size_t payload = c->writable_len - VIRTIO_I2C_IN_HDR_BYTES;

        /* The whole writable area is written, so the used length is true:
         * data for a good read, zeroes otherwise (no stale bytes). */
        if (ok && req->valid && (msg->flags & XV_I2C_MSG_RD) && req->bounced)
            write_payload(c, req->bounce, payload);
        else if (!ok || !req->valid || !(msg->flags & XV_I2C_MSG_RD))
            write_zero(c, 0, payload);
        xv_chain_write(c, payload, &status, 1);
        xv_vq_push(&i2c->vq, c, c->writable_len);
    }
    i2c->stats.requests++;
    if (ok)
        i2c->stats.ok++;
    else
        i2c->stats.err++;
}

/*
 * Run the open group reqs[0..n): the valid prefix as one transaction,
 * then everything from the first failure on fails (FAIL_NEXT chains the
 * whole group), the bus untouched for it.
 */
static void run_group(struct xv_i2c *i2c, unsigned n, bool fail_all)
{
    unsigned prefix = 0, done = 0;

    while (!fail_all && prefix < n && i2c->reqs[prefix].valid)
        prefix++;
    if (prefix) {
        int ret = i2c->bus.ops->transfer(i2c->bus.opaque, i2c->msgs, prefix);

        i2c->stats.transfers++;
        if (ret < 0 || (unsigned)ret < prefix) {
            i2c->stats.last_errno = ret < 0 ? ret : -EIO;
            report(i2c, XV_I2C_EV_BUS_ERROR,
                   i2c->msgs[ret > 0 ? ret : 0].addr);
        }
        done = ret < 0 ? 0 : (unsigned)ret > prefix ? prefix : (unsigned)ret;
    }
    for (unsigned i = 0; i < n; i++)
        complete(i2c, i, i < done);
    i2c->nr_pending = 0;
}

/*
 * An open group whose chains leave no room in the ring for one more
 * request can never be closed by the driver (Linux kicks what it could add
 * and waits): fail it rather than hold it forever or run half a
 * transaction on the bus.
 */
static bool open_group_fills_ring(struct xv_i2c *i2c)
{
    unsigned used = 0;
    unsigned smallest = xv_device_has_feature(i2c->vq.dev, XV_F_INDIRECT_DESC)
                        ? 1 : 2; /* out_hdr and in_hdr at least */

    for (unsigned i = 0; i < i2c->nr_pending; i++)
        used += i2c->reqs[i].chain.ring_descs;
    return i2c->nr_pending && used + smallest > i2c->vq.num;
}

static void i2c_queue_work(struct xv_device *dev, unsigned queue)
{
    struct xv_i2c *i2c = xv_i2c_from_device(dev);
    struct xv_vq *vq;
    unsigned budget, done = 0;
    int ret = 1;
    bool more;

    if (!i2c || queue != 0)
        return;
    vq = &i2c->vq;
    budget = i2c->params.max_requests_per_call;
    do {
        ret = 1;
        xv_vq_disable_notify(vq);
        while (done < budget) {
            unsigned idx = i2c->nr_pending;
            struct xv_i2c_req *req = &i2c->reqs[idx];
            uint32_t flags;

            req->chain.iov = req->iov;
            req->chain.gbuf = req->gbuf;
            req->chain.max_segs = XV_I2C_REQ_SEGS;
            ret = xv_vq_pop(vq, &req->chain);
            if (ret <= 0)
                break;
            done++;
            i2c->nr_pending++;
            flags = parse(i2c, idx);
            if (i2c->overflow) {
                /* The rest of a group we could not hold: it fails. */
                run_group(i2c, i2c->nr_pending, true);
                i2c->overflow = flags & VIRTIO_I2C_FLAGS_FAIL_NEXT;
            } else if (!(flags & VIRTIO_I2C_FLAGS_FAIL_NEXT)) {
                run_group(i2c, i2c->nr_pending, false);
            } else if (i2c->nr_pending == i2c->nr_reqs) {
                report(i2c, XV_I2C_EV_GROUP_TOO_LONG, NO_ADDR);
                run_group(i2c, i2c->nr_pending, true);
                i2c->overflow = true;
            }
        }
        if (ret < 0)
            break;  /* broken: the core set NEEDS_RESET and reported it */
        more = xv_vq_enable_notify(vq);
        if (done >= budget) {
            if (more || xv_vq_avail_count(vq))
                dev->platform->queue_notify(dev->platform->opaque, dev, queue);
            break;
        }
    } while (more);
    if (ret == 0 && !i2c->overflow && open_group_fills_ring(i2c)) {
        report(i2c, XV_I2C_EV_GROUP_TOO_LONG, NO_ADDR);
        run_group(i2c, i2c->nr_pending, true);
    }
    xv_vq_notify_guest(vq);
}

/* Drop the open group: the core already released the rings, so the
 * pushes only unmap the buffers (the generation no longer matches). */
static void drop_pending(struct xv_i2c *i2c)
{
    for (unsigned i = 0; i < i2c->nr_pending; i++)
        xv_vq_push(&i2c->vq, &i2c->reqs[i].chain, 0);
    i2c->nr_pending = 0;
    i2c->overflow = false;
}

static void i2c_reset(struct xv_device *dev)
{
    struct xv_i2c *i2c = xv_i2c_from_device(dev);

    if (i2c)
        drop_pending(i2c);
}

static void i2c_queue_reset(struct xv_device *dev, unsigned queue)
{
    struct xv_i2c *i2c = xv_i2c_from_device(dev);

    if (i2c && queue == 0)
        drop_pending(i2c);
}

/* virtio 1.2 §5.20.4: the device MUST reject a driver that does not
 * accept VIRTIO_I2C_F_ZERO_LENGTH_REQUEST. */
static bool i2c_features_ok(struct xv_device *dev, uint64_t features)
{
    (void)dev;
    return features & XV_FEATURE(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST);
}

static const struct xv_device_ops i2c_ops = {
    .name = "virtio-i2c",
    .device_id = XV_ID_I2C,
    .config_size = 0,
    .features_ok = i2c_features_ok,
    .reset = i2c_reset,
    .queue_reset = i2c_queue_reset,
    .queue_work = i2c_queue_work,
};

void xv_i2c_default_params(struct xv_i2c_params *params)
{
    memset(params, 0, sizeof(*params));
    params->queue_size = XV_I2C_DEFAULT_QUEUE_SIZE;
    params->max_transfer = XV_I2C_DEFAULT_MAX_TRANSFER;
    params->max_requests_per_call = DEFAULT_BATCH;
}

int xv_i2c_init(struct xv_i2c *i2c, struct xv_device *dev,
                const struct xv_platform *platform,
                const struct xv_i2c_bus *bus,
                const struct xv_i2c_params *params,
                struct xv_i2c_req *reqs, unsigned nr_reqs)
{
    struct xv_device_config config;
    int ret;

    if (!i2c || !dev || !bus || !bus->ops || !bus->ops->transfer || !params ||
        !reqs || nr_reqs == 0 || nr_reqs > XV_I2C_GROUP_MAX)
        return -EINVAL;
    if (params->queue_size == 0 || params->queue_size > XV_VQ_MAX_SIZE ||
        (params->queue_size & (params->queue_size - 1)) ||
        params->max_transfer == 0)
        return -EINVAL;
    memset(i2c, 0, sizeof(*i2c));
    i2c->bus = *bus;
    i2c->params = *params;
    if (i2c->params.max_requests_per_call == 0)
        i2c->params.max_requests_per_call = params->queue_size;
    i2c->funcs = bus->ops->funcs ? bus->ops->funcs(bus->opaque) : XV_I2C_FUNC_I2C;
    i2c->dev = dev;
    i2c->reqs = reqs;
    i2c->nr_reqs = nr_reqs;
    config = (struct xv_device_config){
        .features = XV_FEATURE(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST),
        .num_queues = 1,
        .queue_max_size = params->queue_size,
        .priv = i2c,
    };
    ret = xv_device_init(dev, &i2c_ops, &config, platform, &i2c->vq);
    if (ret < 0)
        i2c->dev = NULL;
    return ret;
}

unsigned xv_i2c_in_flight(const struct xv_i2c *i2c)
{
    return i2c->nr_pending;
}
