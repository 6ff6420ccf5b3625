/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-i2c driver, as Linux's i2c-virtio.c drives the adapter: one queue
 * ("msg"), one chain per i2c message { out_hdr, buffer, in_hdr }, the whole
 * transfer queued before a single kick, FAIL_NEXT on every message but the
 * last, then the completions collected in order.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_i2c.h>
#include <linux/virtio_ids.h>

#include "vdrv_priv.h"

#define I2C_DRIVER_FEATURES VDRV_BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST)
/* out_hdr at 0, in_hdr after it, the message buffer on its own from 16. */
#define I2C_IN_HDR_OFF 8u
#define I2C_BUF_OFF    16u

int vdrv_i2c_init(struct vdrv_i2c *i2c, const struct vdrv_transport *t,
                  uint64_t base, const struct vdrv_options *opts)
{
    static vdrv_vq_callback_fn *const callbacks[] = {
        vdrv_vq_complete_requests,
    };
    struct vdrv_device *dev = &i2c->dev;
    int err;

    memset(i2c, 0, sizeof(*i2c));
    err = vdrv_probe(dev, t, base, opts);
    if (err)
        return err;
    if (dev->device_id != VIRTIO_ID_I2C_ADAPTER) {
        vdrv_log(dev, "DeviceID %u is not an i2c adapter", dev->device_id);
        return -ENODEV;
    }
    err = vdrv_negotiate(dev, I2C_DRIVER_FEATURES);
    if (!err)
        err = vdrv_setup_vqs(dev, 1, callbacks);
    if (err)
        return err;
    dev->priv = i2c;
    return vdrv_driver_ok(dev);
}

void vdrv_i2c_remove(struct vdrv_i2c *i2c)
{
    vdrv_remove(&i2c->dev, vdrv_inflight_detach);
}

static int prepare_msg(struct vdrv_i2c *i2c, struct vdrv_inflight *f,
                       const struct vdrv_i2c_msg *msg, bool last)
{
    struct virtio_i2c_out_hdr *out_hdr = (void *)f->mem;
    bool read = msg->flags & VDRV_I2C_M_RD;
    struct vdrv_sg sg[3];
    unsigned out = 0, in = 0;
    uint32_t flags = 0;

    /* 7-bit addressing only; the spec's address field is addr << 1. */
    out_hdr->addr = htole16((uint16_t)(msg->addr << 1));
    if (read)
        flags |= VIRTIO_I2C_FLAGS_M_RD;
    if (!last)
        flags |= VIRTIO_I2C_FLAGS_FAIL_NEXT;
    out_hdr->flags = htole32(flags);
    sg[out++] = (struct vdrv_sg){ f->gpa, sizeof(*out_hdr), 0 };
    if (msg->len) {
        if (!read)
            memcpy(f->mem + I2C_BUF_OFF, msg->buf, msg->len);
        sg[out + in] = (struct vdrv_sg){ f->gpa + I2C_BUF_OFF, msg->len, 0 };
        if (read)
            in++;
        else
            out++;
    }
    /* Status starts as VIRTIO_I2C_MSG_OK (0), as in Linux's zeroed
     * request array. */
    sg[out + in] = (struct vdrv_sg){ f->gpa + I2C_IN_HDR_OFF,
                                     sizeof(struct virtio_i2c_in_hdr), 0 };
    in++;
    return vdrv_inflight_add(f, &i2c->dev.vqs[0], sg, out, in);
}

int vdrv_i2c_transfer(struct vdrv_i2c *i2c, struct vdrv_i2c_msg *msgs,
                      unsigned num)
{
    struct vdrv_device *dev = &i2c->dev;
    struct vdrv_inflight *reqs[64];
    unsigned queued = 0, succeeded = 0;
    bool failed = false;
    int err = 0;

    if (!dev->driver_ok)
        return -ENODEV;
    if (num == 0 || num > sizeof(reqs) / sizeof(reqs[0]))
        return -EINVAL;
    for (unsigned i = 0; i < num; i++) {
        if (msgs[i].addr > 0x7f)
            return -EINVAL;
        /* The i2c core refuses zero-length messages for an adapter with
         * the I2C_AQ_NO_ZERO_LEN quirk, i.e. without the feature. */
        if (msgs[i].len == 0 &&
            !vdrv_has_feature(dev, VIRTIO_I2C_F_ZERO_LENGTH_REQUEST)) {
            vdrv_log(dev, "adapter quirk: no zero length (addr 0x%04x)",
                     msgs[i].addr);
            return -EOPNOTSUPP;
        }
    }

    for (; queued < num; queued++) {
        struct vdrv_inflight *f =
            vdrv_inflight_new(dev, I2C_BUF_OFF + (size_t)msgs[queued].len);

        if (!f || prepare_msg(i2c, f, &msgs[queued], queued == num - 1)) {
            /* Send what was queued; the rest is not attempted. */
            vdrv_log(dev, "Fail to send request!");
            vdrv_inflight_release(f);
            break;
        }
        reqs[queued] = f;
    }
    if (queued == 0)
        return -ENOMEM;
    vdrv_vq_kick(&dev->vqs[0]);

    for (unsigned i = 0; i < queued; i++) {
        struct vdrv_inflight *f = reqs[i];

        if (!err)
            err = vdrv_wait_for(dev, &dev->vqs[0], &f->req.done, 0);
        if (!err && !failed &&
            f->mem[I2C_IN_HDR_OFF] != VIRTIO_I2C_MSG_OK)
            failed = true;
        if (!err && !failed) {
            if ((msgs[i].flags & VDRV_I2C_M_RD) && msgs[i].len)
                memcpy(msgs[i].buf, f->mem + I2C_BUF_OFF, msgs[i].len);
            succeeded++;
        }
        vdrv_inflight_release(f);
    }
    return err ? err : (int)succeeded;
}
