/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: register traffic without a driver: `hammer` (one thread
 * per vCPU, IOREQ ordering under load) and `bench-mmio`.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_mmio.h>

#include "guest_prog.h"

#define HAMMER_MAX_REPORTS 5    /* wrong values printed per vCPU */

struct hammer_expect {
    const struct guest_node *node;
    uint32_t ids[4];            /* Magic, Version, DeviceID, VendorID */
};

struct hammer_vcpu {
    struct guest_ctx *ctx;
    unsigned vcpu;
    const struct hammer_expect *expect;
    unsigned nr_devices;
    int64_t deadline_ns;
    atomic_bool *stop;
    uint64_t reads;
    uint64_t wrong;
    uint64_t generation_changes;
};

static const struct {
    uint32_t offset;
    const char *name;
} hammer_regs[] = {
    { VIRTIO_MMIO_MAGIC_VALUE, "MagicValue" },
    { VIRTIO_MMIO_VERSION, "Version" },
    { VIRTIO_MMIO_DEVICE_ID, "DeviceID" },
    { VIRTIO_MMIO_VENDOR_ID, "VendorID" },
    { VIRTIO_MMIO_CONFIG_GENERATION, "ConfigGeneration" },
};
#define HAMMER_NR_REGS (sizeof(hammer_regs) / sizeof(hammer_regs[0]))

static void *hammer_thread(void *arg)
{
    struct hammer_vcpu *h = arg;
    struct vdrv_xensim *xt = calloc(h->nr_devices, sizeof(*xt));
    uint32_t *generation = calloc(h->nr_devices, sizeof(*generation));
    uint64_t rounds = 0;

    if (!xt || !generation) {
        h->wrong++;
        free(xt);
        free(generation);
        return NULL;
    }
    for (unsigned d = 0; d < h->nr_devices; d++)
        vdrv_xensim_init(&xt[d], &h->ctx->bus, h->vcpu, h->expect[d].node->irq);
    while (!atomic_load(h->stop)) {
        /* The clock only every round: reads are the point. */
        if (guest_now_ns() >= h->deadline_ns)
            break;
        for (unsigned d = 0; d < h->nr_devices; d++) {
            const struct hammer_expect *e = &h->expect[d];

            for (unsigned r = 0; r < HAMMER_NR_REGS; r++) {
                uint64_t value = 0;
                int err = xt[d].transport.ops->mmio_read(xt[d].transport.opaque,
                                                         e->node->base +
                                                         hammer_regs[r].offset,
                                                         4, &value);
                bool bad;

                h->reads++;
                if (hammer_regs[r].offset == VIRTIO_MMIO_CONFIG_GENERATION) {
                    /* May move if the config changes; only note it. */
                    if (!err && rounds && value != generation[d])
                        h->generation_changes++;
                    generation[d] = (uint32_t)value;
                    bad = err != 0;
                } else {
                    bad = err != 0 || value != e->ids[r];
                }
                if (!bad)
                    continue;
                if (h->wrong++ < HAMMER_MAX_REPORTS) {
                    if (err)
                        guest_fail(h->ctx, e->node, "vcpu%u: %s read: %s",
                                   h->vcpu, hammer_regs[r].name, guest_errno_text(err));
                    else
                        guest_fail(h->ctx, e->node, "vcpu%u: %s read 0x%08" PRIx64
                                   ", expected 0x%08x", h->vcpu, hammer_regs[r].name,
                                   value, e->ids[r]);
                }
                /* A gone domain won't come back: stop everyone. */
                if (err == -ESRCH || err == -ESHUTDOWN)
                    atomic_store(h->stop, true);
            }
        }
        rounds++;
    }
    free(xt);
    free(generation);
    return NULL;
}

int guest_cmd_hammer(struct guest_ctx *ctx, int argc, char **argv)
{
    uint64_t seconds = 2, total_reads = 0, total_wrong = 0;
    unsigned vcpus = xensim_guest_vcpus(ctx->guest);
    struct hammer_expect *expect;
    struct hammer_vcpu *h;
    pthread_t *threads;
    atomic_bool stop = false;
    int64_t start;
    unsigned started = 0;
    int rc = GUEST_EXIT_OK;

    if (argc == 3 && strcmp(argv[1], "--seconds") == 0) {
        if (!guest_parse_u64(argv[2], &seconds) || seconds == 0 || seconds > 3600) {
            guest_error("hammer: bad --seconds '%s'", argv[2]);
            return GUEST_EXIT_USAGE;
        }
    } else if (argc != 1) {
        guest_error("usage: hammer [--seconds S]");
        return GUEST_EXIT_USAGE;
    }
    if (ctx->nr_nodes == 0) {
        guest_error("hammer: no devices in the device tree");
        return GUEST_EXIT_ENV;
    }
    expect = calloc(ctx->nr_nodes, sizeof(*expect));
    h = calloc(vcpus, sizeof(*h));
    threads = calloc(vcpus, sizeof(*threads));
    if (!expect || !h || !threads) {
        free(expect);
        free(h);
        free(threads);
        return GUEST_EXIT_ENV;
    }
    /* What each device says, once, from vCPU 0: every later read of the
     * same register must say it again. */
    for (unsigned d = 0; d < ctx->nr_nodes; d++) {
        const char *reg = "";
        int err = guest_peek_ids(ctx, &ctx->nodes[d], 0, expect[d].ids, &reg);

        expect[d].node = &ctx->nodes[d];
        if (err || expect[d].ids[0] != GUEST_MMIO_MAGIC) {
            guest_fail(ctx, &ctx->nodes[d], "not a virtio-mmio device (%s read: %s)", reg,
                       err ? guest_errno_text(err) : "wrong magic value");
            rc = GUEST_EXIT_FAIL;
        }
    }
    if (rc != GUEST_EXIT_OK)
        goto out;

    start = guest_now_ns();
    for (unsigned v = 0; v < vcpus; v++) {
        h[v] = (struct hammer_vcpu){
            .ctx = ctx, .vcpu = v, .expect = expect, .nr_devices = ctx->nr_nodes,
            .deadline_ns = start + (int64_t)seconds * 1000000000, .stop = &stop,
        };
        if (pthread_create(&threads[v], NULL, hammer_thread, &h[v]) != 0) {
            guest_error("hammer: cannot start vCPU thread %u", v);
            atomic_store(&stop, true);
            rc = GUEST_EXIT_ENV;
            break;
        }
        started++;
    }
    for (unsigned v = 0; v < started; v++)
        pthread_join(threads[v], NULL);
    for (unsigned v = 0; v < started; v++) {
        guest_info(ctx, NULL, "vcpu%u: %" PRIu64 " reads, %" PRIu64 " wrong", v,
                   h[v].reads, h[v].wrong);
        if (h[v].generation_changes)
            guest_debug(ctx, NULL, "vcpu%u: ConfigGeneration changed %" PRIu64 " times",
                        v, h[v].generation_changes);
        total_reads += h[v].reads;
        total_wrong += h[v].wrong;
    }
    guest_info(ctx, NULL, "hammer: %u vCPUs, %u devices, %" PRIu64 " reads in %" PRIu64
               " s, %" PRIu64 " wrong", started, ctx->nr_nodes, total_reads, seconds,
               total_wrong);
    if (total_wrong && rc == GUEST_EXIT_OK)
        rc = GUEST_EXIT_FAIL;
out:
    free(expect);
    free(h);
    free(threads);
    return rc;
}

int guest_cmd_bench_mmio(struct guest_ctx *ctx, int argc, char **argv)
{
    const struct guest_node *node;
    struct vdrv_xensim xt;
    uint64_t iterations;
    int64_t start, elapsed;

    if (argc != 2 || !guest_parse_u64(argv[1], &iterations) || iterations == 0) {
        guest_error("usage: bench-mmio N (N > 0)");
        return GUEST_EXIT_USAGE;
    }
    if (ctx->nr_nodes == 0) {
        guest_error("bench-mmio: no devices in the device tree");
        return GUEST_EXIT_ENV;
    }
    node = &ctx->nodes[0];
    vdrv_xensim_init(&xt, &ctx->bus, 0, node->irq);
    start = guest_now_ns();
    for (uint64_t i = 0; i < iterations; i++) {
        uint64_t value = 0;
        int err = xt.transport.ops->mmio_read(xt.transport.opaque,
                                              node->base + VIRTIO_MMIO_MAGIC_VALUE, 4,
                                              &value);

        if (err) {
            guest_fail(ctx, node, "MagicValue read %" PRIu64 ": %s", i,
                       guest_errno_text(err));
            return GUEST_EXIT_FAIL;
        }
        if (value != GUEST_MMIO_MAGIC) {
            guest_fail(ctx, node, "MagicValue read %" PRIu64 ": 0x%08" PRIx64
                       ", expected 0x%08x", i, value, GUEST_MMIO_MAGIC);
            return GUEST_EXIT_FAIL;
        }
    }
    elapsed = guest_now_ns() - start;
    guest_info(ctx, node, "%" PRIu64 " reads of MagicValue from vcpu0", iterations);
    printf("mmio_read_ns %" PRId64 "\n", elapsed / (int64_t)iterations);
    fflush(stdout);
    return GUEST_EXIT_OK;
}
