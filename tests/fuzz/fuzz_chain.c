/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the split virtqueue as a hostile driver would: the input writes
 * descriptor tables, indirect tables and the avail ring of a queue in a
 * small guest RAM, and interleaves pops, pushes, resets and notification
 * calls. The platform only ever hands out pointers into that RAM (or, in
 * bounce mode, into exactly sized copies of it), so any stray access is
 * caught by AddressSanitizer or by the guard bytes.
 *
 * Invariants checked after every step (abort() on violation):
 *  - unmap() only with the arguments of an earlier map(); no map(n = 0);
 *  - at rest, mappings outstanding = 3 per ready queue + mapped chains;
 *  - a popped chain is consistent: head < num, segments <= max_segs,
 *    mapped iff it has segments,
 *    readable before writable, lengths add up, iov mirrors gbuf;
 *  - a ring-structure fault implies DEVICE_NEEDS_RESET; a broken queue
 *    pops nothing; pop < 0 implies DEVICE_NEEDS_RESET;
 *  - after the final reset nothing is mapped and the guards are intact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"
#include "ring_helper.h"
#include "test_platform.h"

#define MAX_SEGS 64u

struct slot {
    struct xv_chain chain;
    struct xv_iovec iov[MAX_SEGS];
    struct xv_gbuf gbuf[MAX_SEGS];
};

struct state {
    struct test_platform tp;
    struct test_dev td;
    struct drv_vq q;
    uint16_t num;
    uint64_t features;
    uint16_t max_segs;
    struct slot slots[FZ_MAX_INFLIGHT];
    unsigned inflight;
    struct slot work_slot;
    uint8_t scratch[FZ_RAM_SIZE];
};

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz_chain: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

static bool needs_reset(struct state *s)
{
    return s->td.dev.status & XV_STATUS_DEVICE_NEEDS_RESET;
}

static unsigned reset_faults(const struct test_platform *tp)
{
    unsigned n = 0;
    for (int f = 0; f < XV_FAULT_COUNT; f++)
        if (xv_fault_needs_reset((enum xv_fault)f))
            n += tp->fault_counts[f];
    return n;
}

/* Bring the device up the way a driver does. */
static bool bring_up(struct state *s)
{
    uint32_t status = td_negotiate(&s->td, s->features);
    if (!(status & XV_STATUS_FEATURES_OK))
        return false;
    if (td_setup_queue(&s->td, 0, s->num, s->q.desc_gpa, s->q.avail_gpa,
                       s->q.used_gpa) != 1)
        return false;
    return td_driver_ok(&s->td) & XV_STATUS_DRIVER_OK;
}

static void check_chain(struct state *s, const struct xv_chain *c)
{
    uint64_t readable = 0, writable = 0;
    unsigned segs = (unsigned)c->nr_readable + c->nr_writable;

    CHECK(c->head < s->num);
    CHECK(segs <= c->max_segs);
    /* Zero-length descriptors carry nothing to map; a chain of only those
     * has no segments and nothing mapped. */
    CHECK(c->mapped == (segs > 0));
    for (unsigned i = 0; i < segs; i++) {
        bool want_writable = i >= c->nr_readable;
        CHECK(c->gbuf[i].writable == want_writable);
        CHECK(c->iov[i].len == c->gbuf[i].len);
        CHECK(c->iov[i].base || c->iov[i].len == 0);
        /* Every segment lies inside guest RAM: the platform refuses the
         * rest, so the core must not report it as mapped. */
        CHECK(c->gbuf[i].addr >= FZ_RAM_GPA &&
              c->gbuf[i].addr - FZ_RAM_GPA + c->gbuf[i].len <= FZ_RAM_SIZE);
        if (want_writable)
            writable += c->gbuf[i].len;
        else
            readable += c->gbuf[i].len;
    }
    CHECK(readable == c->readable_len);
    CHECK(writable == c->writable_len);
}

/* Touch every byte the chain offers, as a device would. */
static void use_chain(struct state *s, const struct xv_chain *c)
{
    size_t n = xv_chain_read(c, 0, s->scratch, sizeof(s->scratch));
    CHECK(n == (c->readable_len < sizeof(s->scratch) ? c->readable_len
                                                      : sizeof(s->scratch)));
    size_t want = c->writable_len < sizeof(s->scratch) ? c->writable_len
                                                       : sizeof(s->scratch);
    memset(s->scratch, 0x5a, want);
    n = xv_chain_write(c, 0, s->scratch, sizeof(s->scratch));
    CHECK(n == want);
}

static int do_pop(struct state *s, struct slot *slot)
{
    bool was_broken = needs_reset(s) || s->td.vqs[0].broken;
    memset(&slot->chain, 0, sizeof(slot->chain));
    slot->chain.iov = slot->iov;
    slot->chain.gbuf = slot->gbuf;
    slot->chain.max_segs = s->max_segs;
    int rc = xv_vq_pop(&s->td.vqs[0], &slot->chain);
    CHECK(rc <= 1);
    if (rc < 0)
        CHECK(needs_reset(s));
    if (was_broken)
        CHECK(rc <= 0);
    if (rc == 1) {
        if (s->tp.log_faults)
            fprintf(stderr, "popped chain %u: %u+%u segments\n",
                    slot->chain.head, slot->chain.nr_readable,
                    slot->chain.nr_writable);
        check_chain(s, &slot->chain);
        use_chain(s, &slot->chain);
    }
    return rc;
}

static void remove_slot(struct state *s, unsigned i)
{
    s->slots[i] = s->slots[--s->inflight];
    /* The chain points into its slot's arrays: re-aim after the move. */
    s->slots[i].chain.iov = s->slots[i].iov;
    s->slots[i].chain.gbuf = s->slots[i].gbuf;
}

static void fuzz_work(struct test_dev *td, unsigned queue)
{
    struct state *s = td->work_ctx;
    for (int i = 0; i < 64 && do_pop(s, &s->work_slot) == 1; i++)
        xv_vq_push(&td->vqs[queue], &s->work_slot.chain,
                   s->work_slot.chain.writable_len);
    xv_vq_notify_guest(&td->vqs[queue]);
}

static void check_at_rest(struct state *s)
{
    size_t expect = s->td.vqs[0].ready ? 3 : 0;
    for (unsigned i = 0; i < s->inflight; i++)
        expect += s->slots[i].chain.mapped;
    CHECK(tp_outstanding(&s->tp) == expect);
    CHECK(s->tp.unmap_mismatch == 0);
    CHECK(s->tp.bad_map_args == 0);
    CHECK(s->tp.bad_fault_code == 0);
    CHECK(s->tp.wrong_dev_calls == 0);
    CHECK(s->td.queue_work_in_mmio == 0);
    if (reset_faults(&s->tp))
        CHECK(needs_reset(s));
    if (needs_reset(s))
        CHECK(xv_vq_avail_count(&s->td.vqs[0]) == 0);
}

static uint64_t read_addr(struct fz_reader *r)
{
    uint8_t mode = (uint8_t)fz_get(r, 1);
    if (mode & 1)
        return fz_get(r, 8);
    return FZ_RAM_GPA + fz_get(r, 2);
}

static void write_desc(struct state *s, uint64_t table_gpa, uint16_t idx,
                       struct fz_reader *r)
{
    uint64_t addr = read_addr(r);
    uint32_t len = (uint32_t)fz_get(r, 4);
    uint16_t flags = (uint16_t)fz_get(r, 2);
    uint16_t next = (uint16_t)fz_get(r, 2);
    drv_desc_at(&s->tp, table_gpa, idx, addr, len, flags, next);
}

static void run(struct state *s, struct fz_reader *r)
{
    for (unsigned ops = 0; fz_more(r) && ops < FZ_MAX_OPS; ops++) {
        uint8_t op = (uint8_t)(fz_get(r, 1) % FZC_OP_COUNT);
        struct xv_vq *vq = &s->td.vqs[0];
        switch (op) {
        case FZC_POP:
            if (s->inflight < FZ_MAX_INFLIGHT &&
                do_pop(s, &s->slots[s->inflight]) == 1)
                s->inflight++;
            break;
        case FZC_PUSH: {
            unsigned i = (unsigned)fz_get(r, 1);
            uint32_t written = (uint32_t)fz_get(r, 4);
            if (!s->inflight)
                break;
            i %= s->inflight;
            xv_vq_push(vq, &s->slots[i].chain, written);
            remove_slot(s, i);
            break;
        }
        case FZC_DESC: {
            uint16_t idx = (uint16_t)(fz_get(r, 2) % s->num);
            write_desc(s, s->q.desc_gpa, idx, r);
            break;
        }
        case FZC_DESC_AT: {
            uint64_t gpa = FZ_RAM_GPA + (fz_get(r, 2) & 0xfff0u);
            write_desc(s, gpa, 0, r);
            break;
        }
        case FZC_PUBLISH:
            drv_avail_add(&s->q, (uint16_t)fz_get(r, 2));
            break;
        case FZC_SET_AVAIL_IDX:
            drv_set_avail_idx(&s->q, (uint16_t)fz_get(r, 2));
            break;
        case FZC_SET_USED_EVENT:
            drv_set_used_event(&s->q, (uint16_t)fz_get(r, 2));
            break;
        case FZC_SET_AVAIL_FLAGS:
            drv_set_avail_flags(&s->q, (uint16_t)fz_get(r, 2));
            break;
        case FZC_NOTIFY_GUEST:
            xv_vq_notify_guest(vq);
            break;
        case FZC_DISABLE_NOTIFY:
            xv_vq_disable_notify(vq);
            break;
        case FZC_ENABLE_NOTIFY:
            (void)xv_vq_enable_notify(vq);
            break;
        case FZC_UNMAP: {
            unsigned i = (unsigned)fz_get(r, 1);
            if (s->inflight)
                xv_vq_unmap_chain(vq, &s->slots[i % s->inflight].chain);
            break;
        }
        case FZC_AVAIL_COUNT:
            (void)xv_vq_avail_count(vq);
            break;
        case FZC_REFUSE:
            if (s->tp.refuse_count == TP_MAX_REFUSE)
                tp_refuse_clear(&s->tp);
            tp_refuse(&s->tp, FZ_RAM_GPA + fz_get(r, 2));
            break;
        case FZC_DEVICE_RESET:
            td_w32(&s->td, XV_MMIO_STATUS, 0);
            CHECK(s->td.dev.status == 0);
            CHECK(!vq->ready);
            tp_clear_counters(&s->tp);
            (void)bring_up(s);
            break;
        case FZC_QUEUE_RESET:
            td_w32(&s->td, XV_MMIO_QUEUE_SEL, 0);
            td_w32(&s->td, XV_MMIO_QUEUE_RESET, 1);
            (void)td_setup_queue(&s->td, 0, s->num, s->q.desc_gpa,
                                 s->q.avail_gpa, s->q.used_gpa);
            break;
        case FZC_WRITE_RAM: {
            uint16_t off = (uint16_t)fz_get(r, 2);
            uint8_t len = (uint8_t)fz_get(r, 1);
            for (unsigned i = 0; i < len && off + i < FZ_RAM_SIZE; i++)
                s->tp.ram[off + i] = (uint8_t)fz_get(r, 1);
            break;
        }
        case FZC_PROCESS:
            td_w32(&s->td, XV_MMIO_QUEUE_NOTIFY, 0);
            xv_device_process_queue(&s->td.dev, 0);
            break;
        }
        check_at_rest(s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct state *s;
    struct fz_reader r = { .data = data, .size = size };

    if (!s) {
        s = calloc(1, sizeof(*s));
        CHECK(s);
    }
    memset(&s->td, 0, sizeof(s->td));
    s->inflight = 0;

    uint8_t setup = (uint8_t)fz_get(&r, 1);
    unsigned log2_num = setup & 0xf;
    s->num = (uint16_t)(1u << (log2_num > 8 ? 8 : log2_num));
    s->features = XV_FEATURE(XV_F_VERSION_1) | XV_FEATURE(XV_F_RING_RESET);
    if (setup & FZ_SETUP_INDIRECT)
        s->features |= XV_FEATURE(XV_F_INDIRECT_DESC);
    if (setup & FZ_SETUP_EVENT)
        s->features |= XV_FEATURE(XV_F_EVENT_IDX);
    s->max_segs = (uint16_t)(fz_get(&r, 1) % (MAX_SEGS + 1));

    CHECK(tp_init(&s->tp, FZ_RAM_SIZE) == 0);
    s->tp.bounce = setup & FZ_SETUP_BOUNCE;
    s->tp.log_faults = getenv("XV_FUZZ_VERBOSE") != NULL;
    td_defaults(&s->td);
    s->td.instance.features = 0;
    s->td.instance.num_queues = 1;
    s->td.instance.queue_max_size = 256;
    s->td.ops.config_size = 0;
    s->td.work = fuzz_work;
    s->td.work_ctx = s;
    CHECK(td_init(&s->td, &s->tp) == 0);
    drv_vq_layout(&s->q, &s->tp, FZ_RAM_GPA, s->num);
    CHECK(bring_up(s));
    tp_clear_counters(&s->tp);
    check_at_rest(s);

    run(s, &r);

    /* Complete whatever is still in flight, then reset: all released. */
    while (s->inflight) {
        xv_vq_push(&s->td.vqs[0], &s->slots[0].chain, 0);
        remove_slot(s, 0);
    }
    check_at_rest(s);
    td_w32(&s->td, XV_MMIO_STATUS, 0);
    CHECK(tp_outstanding(&s->tp) == 0);
    CHECK(s->tp.unmap_mismatch == 0);
    CHECK(tp_guards_intact(&s->tp));
    tp_fini(&s->tp);
    return 0;
}
