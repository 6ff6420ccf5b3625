/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests that own guest memory. A Linux driver that gives up waiting
 * still may not free a buffer the device owns; these helpers keep that
 * rule for the simulated guest's synchronous calls.
 */
#include <errno.h>
#include <stdlib.h>

#include "vdrv_priv.h"

struct vdrv_inflight *vdrv_inflight_new(struct vdrv_device *dev, size_t bytes)
{
    struct vdrv_inflight *f = calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->dev = dev;
    f->bytes = bytes ? bytes : 1;
    f->mem = vdrv_ram_alloc(dev, f->bytes, &f->gpa);
    if (!f->mem) {
        free(f);
        return NULL;
    }
    return f;
}

static void inflight_free(struct vdrv_inflight *f)
{
    /* A dead guest's memory stays where it was. */
    if (!f->dev->dead)
        vdrv_ram_free(f->dev, f->mem, f->gpa, f->bytes);
    free(f);
}

static void orphan_complete(struct vdrv_request *req)
{
    inflight_free((struct vdrv_inflight *)req);
}

int vdrv_inflight_add(struct vdrv_inflight *f, struct vdrv_vq *vq,
                      const struct vdrv_sg *sg, unsigned out, unsigned in)
{
    int err = vdrv_vq_add(vq, sg, out, in, &f->req);

    if (!err)
        f->queued = true;
    return err;
}

int vdrv_inflight_run(struct vdrv_inflight *f, struct vdrv_vq *vq,
                      const struct vdrv_sg *sg, unsigned out, unsigned in)
{
    int err = vdrv_inflight_add(f, vq, sg, out, in);

    if (err)
        return err;
    vdrv_vq_kick(vq);
    return vdrv_wait_for(vq->dev, vq, &f->req.done, 0);
}

void vdrv_inflight_release(struct vdrv_inflight *f)
{
    if (!f)
        return;
    /* A dead guest never sees the completion: nothing left to wait for. */
    if (f->queued && !f->req.done && !f->dev->dead) {
        f->orphan = true;
        f->req.complete = orphan_complete;
        return;
    }
    inflight_free(f);
}

void vdrv_inflight_detach(struct vdrv_device *dev, void *token)
{
    struct vdrv_inflight *f = token;

    f->queued = false;
    /* Only orphans are ours to free: a waiter still holds the others. */
    if (f->orphan)
        inflight_free(f);
}
