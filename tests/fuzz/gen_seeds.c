/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpora of the fuzz targets: well-formed chains and
 * device bring-ups, plus one input per malformed case of enum xv_fault, so
 * fuzzing starts from every interesting state and the replay test covers
 * each rule. Usage: gen-seeds <corpus dir> (writes chain/, mmio/, xenstore/
 * and scmi_socket/ in it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_format.h"
#include "xv/virtio_spec.h"

#define NEXT  XV_VRING_DESC_F_NEXT
#define WRITE XV_VRING_DESC_F_WRITE
#define INDIR XV_VRING_DESC_F_INDIRECT
#define DATA  0x4000u   /* RAM offset of the buffers, past the rings */
#define TABLE 0x8000u   /* RAM offset of indirect tables */

struct seed {
    uint8_t bytes[65536];
    size_t len;
};

static void put(struct seed *s, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes && s->len < sizeof(s->bytes); i++)
        s->bytes[s->len++] = (uint8_t)(value >> (8 * i));
}

static const char *out_dir;

static void save(const char *kind, const char *name, const struct seed *s)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, kind, name);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(s->bytes, 1, s->len, file) != s->len) {
        perror(path);
        exit(1);
    }
    fclose(file);
}

/*
 * fuzz_chain seeds.
 */
static void chain_begin(struct seed *s, unsigned log2_num, uint8_t flags,
                        uint8_t max_segs)
{
    s->len = 0;
    put(s, log2_num | flags, 1);
    put(s, max_segs, 1);
}

/* A descriptor with an address inside RAM (offset) or a raw one. */
static void desc(struct seed *s, uint16_t idx, uint16_t ram_off, uint32_t len,
                 uint16_t flags, uint16_t next)
{
    put(s, FZC_DESC, 1);
    put(s, idx, 2);
    put(s, 0, 1);
    put(s, ram_off, 2);
    put(s, len, 4);
    put(s, flags, 2);
    put(s, next, 2);
}

static void desc_raw(struct seed *s, uint16_t idx, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    put(s, FZC_DESC, 1);
    put(s, idx, 2);
    put(s, 1, 1);
    put(s, addr, 8);
    put(s, len, 4);
    put(s, flags, 2);
    put(s, next, 2);
}

static void table_desc(struct seed *s, uint16_t table_off, uint16_t idx,
                       uint16_t ram_off, uint32_t len, uint16_t flags,
                       uint16_t next)
{
    put(s, FZC_DESC_AT, 1);
    put(s, table_off + 16u * idx, 2);
    put(s, 0, 1);
    put(s, ram_off, 2);
    put(s, len, 4);
    put(s, flags, 2);
    put(s, next, 2);
}

static void op(struct seed *s, enum fz_chain_op code) { put(s, code, 1); }

static void op16(struct seed *s, enum fz_chain_op code, uint16_t arg)
{
    put(s, code, 1);
    put(s, arg, 2);
}

static void push(struct seed *s, uint8_t slot, uint32_t written)
{
    put(s, FZC_PUSH, 1);
    put(s, slot, 1);
    put(s, written, 4);
}

/* Publish head, pop, push back: a full round trip. */
static void round_trip(struct seed *s, uint16_t head, uint32_t written)
{
    op16(s, FZC_PUBLISH, head);
    op(s, FZC_POP);
    push(s, 0, written);
    op(s, FZC_NOTIFY_GUEST);
}

static void chain_seeds(void)
{
    static struct seed s;

    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 64, 0, 0);
    round_trip(&s, 0, 0);
    save("chain", "simple", &s);

    chain_begin(&s, 3, FZ_SETUP_BOUNCE, 16);
    desc(&s, 5, DATA, 10, NEXT, 2);
    desc(&s, 2, DATA + 0x100, 20, NEXT, 7);
    desc(&s, 7, DATA + 0x200, 30, WRITE, 0);
    round_trip(&s, 5, 30);
    save("chain", "readable-writable-bounce", &s);

    chain_begin(&s, 4, FZ_SETUP_INDIRECT | FZ_SETUP_BOUNCE, 16);
    table_desc(&s, TABLE, 0, DATA, 8, NEXT, 2);
    table_desc(&s, TABLE, 2, DATA + 8, 8, NEXT, 1);
    table_desc(&s, TABLE, 1, DATA + 0x100, 16, NEXT | WRITE, 3);
    table_desc(&s, TABLE, 3, DATA + 0x200, 32, WRITE, 0);
    desc(&s, 3, TABLE, 64, INDIR, 0);
    round_trip(&s, 3, 48);
    save("chain", "indirect", &s);

    /* Several chains in flight, completed out of order, event idx. */
    chain_begin(&s, 3, FZ_SETUP_EVENT, 8);
    for (uint16_t i = 0; i < 4; i++) {
        desc(&s, (uint16_t)(2 * i), DATA + 0x100u * i, 8, NEXT, (uint16_t)(2 * i + 1));
        desc(&s, (uint16_t)(2 * i + 1), DATA + 0x100u * i + 0x80, 8, WRITE, 0);
        op16(&s, FZC_PUBLISH, (uint16_t)(2 * i));
    }
    op16(&s, FZC_SET_USED_EVENT, 2);
    op(&s, FZC_DISABLE_NOTIFY);
    for (int i = 0; i < 4; i++)
        op(&s, FZC_POP);
    push(&s, 2, 8);
    push(&s, 0, 4);
    op(&s, FZC_NOTIFY_GUEST);
    push(&s, 1, 0);
    push(&s, 0, 1);
    op(&s, FZC_NOTIFY_GUEST);
    op(&s, FZC_ENABLE_NOTIFY);
    op16(&s, FZC_PUBLISH, 0);
    op(&s, FZC_ENABLE_NOTIFY);
    op(&s, FZC_PROCESS);
    save("chain", "event-idx-multi", &s);

    /* No event idx, NO_INTERRUPT, kick suppression flags. */
    chain_begin(&s, 2, 0, 4);
    desc(&s, 0, DATA, 16, WRITE, 0);
    op16(&s, FZC_SET_AVAIL_FLAGS, XV_VRING_AVAIL_F_NO_INTERRUPT);
    round_trip(&s, 0, 16);
    op16(&s, FZC_SET_AVAIL_FLAGS, 0);
    op(&s, FZC_DISABLE_NOTIFY);
    round_trip(&s, 0, 16);
    op(&s, FZC_ENABLE_NOTIFY);
    save("chain", "flags-suppression", &s);

    /* Many round trips on a small queue, then the device drains. */
    chain_begin(&s, 1, FZ_SETUP_EVENT, 4);
    desc(&s, 0, DATA, 16, WRITE, 0);
    desc(&s, 1, DATA + 0x40, 16, WRITE, 0);
    for (int i = 0; i < 600; i++)
        round_trip(&s, (uint16_t)(i & 1), 16);
    op16(&s, FZC_PUBLISH, 0);
    op16(&s, FZC_PUBLISH, 1);
    op(&s, FZC_PROCESS);
    save("chain", "many-round-trips", &s);

    /* Queue of one and of 256. */
    chain_begin(&s, 0, 0, 1);
    desc(&s, 0, DATA, 1, WRITE, 0);
    for (int i = 0; i < 8; i++)
        round_trip(&s, 0, 1);
    save("chain", "queue-size-1", &s);
    chain_begin(&s, 8, FZ_SETUP_EVENT, 2);
    desc(&s, 255, DATA, 4, 0, 0);
    round_trip(&s, 255, 0);
    save("chain", "queue-size-256", &s);

    /* Resets with chains in flight: stale completions. */
    chain_begin(&s, 3, FZ_SETUP_BOUNCE, 4);
    desc(&s, 0, DATA, 16, WRITE, 0);
    op16(&s, FZC_PUBLISH, 0);
    op(&s, FZC_POP);
    op(&s, FZC_DEVICE_RESET);
    push(&s, 0, 16);
    op16(&s, FZC_PUBLISH, 0);
    op(&s, FZC_POP);
    op(&s, FZC_QUEUE_RESET);
    put(&s, FZC_UNMAP, 1);
    put(&s, 0, 1);
    push(&s, 0, 16);
    save("chain", "reset-in-flight", &s);

    /* Ring-structure violations: NEEDS_RESET. */
    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 8, 0, 0);
    round_trip(&s, 8, 0);
    save("chain", "bad-head", &s);

    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 8, NEXT, 8);
    round_trip(&s, 0, 0);
    save("chain", "bad-next", &s);

    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 8, NEXT, 1);
    desc(&s, 1, DATA, 8, NEXT, 0);
    round_trip(&s, 0, 0);
    save("chain", "loop", &s);

    chain_begin(&s, 3, FZ_SETUP_INDIRECT, 16);
    table_desc(&s, TABLE + 0x100, 0, DATA, 8, 0, 0);
    table_desc(&s, TABLE, 0, DATA, 8, NEXT, 1);
    table_desc(&s, TABLE, 1, TABLE + 0x100, 16, INDIR, 0);
    desc(&s, 0, TABLE, 32, INDIR, 0);
    round_trip(&s, 0, 0);
    save("chain", "indirect-nested", &s);

    static const uint32_t bad_lens[] = { 0, 8, 17 };
    for (unsigned i = 0; i < 3; i++) {
        char name[64];
        chain_begin(&s, 3, FZ_SETUP_INDIRECT, 16);
        table_desc(&s, TABLE, 0, DATA, 8, 0, 0);
        desc(&s, 0, TABLE, bad_lens[i], INDIR, 0);
        round_trip(&s, 0, 0);
        snprintf(name, sizeof(name), "indirect-len-%u", bad_lens[i]);
        save("chain", name, &s);
    }

    chain_begin(&s, 3, FZ_SETUP_INDIRECT, 16);
    table_desc(&s, TABLE, 0, DATA, 8, 0, 0);
    desc(&s, 0, TABLE, 16, INDIR | NEXT, 1);
    desc(&s, 1, DATA, 8, WRITE, 0);
    round_trip(&s, 0, 0);
    save("chain", "indirect-next", &s);

    chain_begin(&s, 3, 0, 16);
    table_desc(&s, TABLE, 0, DATA, 8, 0, 0);
    desc(&s, 0, TABLE, 16, INDIR, 0);
    round_trip(&s, 0, 0);
    save("chain", "indirect-unnegotiated", &s);

    chain_begin(&s, 3, FZ_SETUP_INDIRECT, 16);
    table_desc(&s, TABLE, 0, DATA, 8, NEXT, 1);
    table_desc(&s, TABLE, 1, DATA, 8, NEXT, 0);
    desc(&s, 0, TABLE, 32, INDIR, 0);
    round_trip(&s, 0, 0);
    save("chain", "indirect-loop", &s);

    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 8, WRITE | NEXT, 1);
    desc(&s, 1, DATA + 0x100, 8, 0, 0);
    round_trip(&s, 0, 0);
    save("chain", "read-after-write", &s);

    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 8, 0, 0);
    op16(&s, FZC_SET_AVAIL_IDX, 9);
    op(&s, FZC_POP);
    op(&s, FZC_AVAIL_COUNT);
    op(&s, FZC_DEVICE_RESET);
    round_trip(&s, 0, 0);
    save("chain", "avail-idx-ahead", &s);

    /* Buffer-level failures: used length 0, the queue keeps going. */
    chain_begin(&s, 3, 0, 16);
    desc_raw(&s, 0, 0xfffffffffffffff0ull, 0x20, WRITE, 0);
    desc(&s, 1, DATA, 8, WRITE, 0);
    op16(&s, FZC_PUBLISH, 0);
    round_trip(&s, 1, 8);
    save("chain", "addr-overflow", &s);

    chain_begin(&s, 3, FZ_SETUP_BOUNCE, 16);
    desc_raw(&s, 0, 0x1000, 8, 0, 0);
    desc(&s, 1, DATA, 8, NEXT, 2);
    desc(&s, 2, DATA + 0x100, 8, WRITE, 0);
    op16(&s, FZC_REFUSE, DATA + 0x104);
    op16(&s, FZC_PUBLISH, 0);
    op16(&s, FZC_PUBLISH, 1);
    op(&s, FZC_PROCESS);
    save("chain", "map-refused", &s);

    chain_begin(&s, 3, FZ_SETUP_INDIRECT, 4);
    for (uint16_t i = 0; i < 5; i++)
        desc(&s, i, (uint16_t)(DATA + 0x10u * i), 8, i < 4 ? NEXT : WRITE,
             (uint16_t)(i + 1));
    for (uint16_t i = 0; i < 6; i++)
        table_desc(&s, TABLE, i, DATA, 8, i < 5 ? NEXT : 0, (uint16_t)(i + 1));
    desc(&s, 6, TABLE, 96, INDIR, 0);
    op16(&s, FZC_PUBLISH, 0);
    op16(&s, FZC_PUBLISH, 6);
    op(&s, FZC_POP);
    op(&s, FZC_NOTIFY_GUEST);
    save("chain", "too-many-segs", &s);

    chain_begin(&s, 3, 0, 16);
    desc(&s, 0, DATA, 0x80000000u, NEXT, 1);
    desc(&s, 1, DATA, 0x80000000u, 0, 0);
    round_trip(&s, 0, 0);
    save("chain", "total-len-overflow", &s);
}

/*
 * fuzz_mmio seeds.
 */
static void mmio_rw(struct seed *s, enum fz_mmio_op code, uint32_t off,
                    unsigned width_sel, uint32_t value)
{
    put(s, code, 1);
    put(s, off, 2);
    put(s, width_sel, 1);
    put(s, value, 4);
}

static void w32(struct seed *s, uint32_t off, uint32_t value)
{
    mmio_rw(s, FZM_WRITE, off, FZM_WIDTH_4, value);
}

static void r32(struct seed *s, uint32_t off)
{
    mmio_rw(s, FZM_READ, off, FZM_WIDTH_4, 0);
}

static void ram_bytes(struct seed *s, uint16_t off, const void *bytes, uint8_t len)
{
    put(s, FZM_WRITE_RAM, 1);
    put(s, off, 2);
    put(s, len, 1);
    for (unsigned i = 0; i < len; i++)
        put(s, ((const uint8_t *)bytes)[i], 1);
}

static void negotiate(struct seed *s, uint64_t features)
{
    w32(s, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE);
    w32(s, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    w32(s, XV_MMIO_DEVICE_FEATURES_SEL, 0);
    r32(s, XV_MMIO_DEVICE_FEATURES);
    w32(s, XV_MMIO_DEVICE_FEATURES_SEL, 1);
    r32(s, XV_MMIO_DEVICE_FEATURES);
    w32(s, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(s, XV_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(s, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(s, XV_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(s, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
                           XV_STATUS_FEATURES_OK);
    r32(s, XV_MMIO_STATUS);
}

/* Queue q of 'num' entries with its rings at RAM offset base. */
static void queue(struct seed *s, unsigned q, uint32_t num, uint32_t base)
{
    uint32_t desc = (uint32_t)FZ_RAM_GPA + base;
    uint32_t avail = desc + 16 * num;
    uint32_t used = (avail + 6 + 2 * num + 3) & ~3u;
    w32(s, XV_MMIO_QUEUE_SEL, q);
    r32(s, XV_MMIO_QUEUE_NUM_MAX);
    w32(s, XV_MMIO_QUEUE_NUM, num);
    w32(s, XV_MMIO_QUEUE_DESC_LOW, desc);
    w32(s, XV_MMIO_QUEUE_DESC_HIGH, 0);
    w32(s, XV_MMIO_QUEUE_DRIVER_LOW, avail);
    w32(s, XV_MMIO_QUEUE_DRIVER_HIGH, 0);
    w32(s, XV_MMIO_QUEUE_DEVICE_LOW, used);
    w32(s, XV_MMIO_QUEUE_DEVICE_HIGH, 0);
    w32(s, XV_MMIO_QUEUE_READY, 1);
    r32(s, XV_MMIO_QUEUE_READY);
}

static void driver_ok(struct seed *s)
{
    w32(s, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
                           XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);
}

/* One request on queue 0 (8 entries at RAM 0): descriptor 0 readable,
 * descriptor 1 writable, published, notified, processed. */
static void request(struct seed *s)
{
    const uint8_t descs[32] = {
        0x00, 0x40, 0x00, 0x40, 0, 0, 0, 0, 16, 0, 0, 0, NEXT, 0, 1, 0,
        0x00, 0x41, 0x00, 0x40, 0, 0, 0, 0, 16, 0, 0, 0, WRITE, 0, 0, 0,
    };
    const uint8_t avail[6] = { 0, 0, 1, 0, 0, 0 };
    ram_bytes(s, 0, descs, sizeof(descs));
    ram_bytes(s, 16 * 8, avail, sizeof(avail));
    w32(s, XV_MMIO_QUEUE_NOTIFY, 0);
    put(s, FZM_PROCESS, 1);
    put(s, 0, 1);
    r32(s, XV_MMIO_INTERRUPT_STATUS);
    w32(s, XV_MMIO_INTERRUPT_ACK, 1);
}

static const uint64_t V1 = XV_FEATURE(XV_F_VERSION_1);

static void mmio_seeds(void)
{
    static struct seed s;

    s.len = 0;
    put(&s, 0, 1);
    static const uint32_t ids[] = {
        XV_MMIO_MAGIC_VALUE, XV_MMIO_VERSION, XV_MMIO_DEVICE_ID,
        XV_MMIO_VENDOR_ID, XV_MMIO_SHM_LEN_LOW, XV_MMIO_SHM_BASE_HIGH,
        XV_MMIO_CONFIG_GENERATION, XV_MMIO_QUEUE_RESET,
    };
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        r32(&s, ids[i]);
    save("mmio", "identify", &s);

    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1 | XV_FEATURE(XV_F_EVENT_IDX) | XV_FEATURE(0));
    queue(&s, 0, 8, 0);
    queue(&s, 1, 16, 0x1000);
    driver_ok(&s);
    request(&s);
    put(&s, FZM_CONFIG_CHANGED, 1);
    r32(&s, XV_MMIO_CONFIG_GENERATION);
    w32(&s, XV_MMIO_STATUS, 0);
    save("mmio", "bring-up-request-reset", &s);

    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1 | XV_FEATURE(XV_F_RING_RESET));
    queue(&s, 0, 8, 0);
    driver_ok(&s);
    w32(&s, XV_MMIO_QUEUE_SEL, 0);
    w32(&s, XV_MMIO_QUEUE_RESET, 1);
    r32(&s, XV_MMIO_QUEUE_RESET);
    queue(&s, 0, 4, 0x2000);
    r32(&s, XV_MMIO_QUEUE_RESET);
    save("mmio", "queue-reset", &s);

    /* Refused negotiations. */
    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1 | XV_FEATURE(50));
    driver_ok(&s);
    save("mmio", "features-not-offered", &s);
    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, XV_FEATURE(XV_F_INDIRECT_DESC));
    save("mmio", "features-no-version-1", &s);
    s.len = 0;
    put(&s, 1, 1);
    negotiate(&s, V1);
    negotiate(&s, V1 | XV_FEATURE(XV_F_ACCESS_PLATFORM));
    save("mmio", "access-platform", &s);
    s.len = 0;
    put(&s, 2, 1);
    negotiate(&s, V1);
    save("mmio", "device-veto", &s);

    s.len = 0;
    put(&s, 0, 1);
    w32(&s, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE);
    w32(&s, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
                            XV_STATUS_DRIVER_OK);
    r32(&s, XV_MMIO_STATUS);
    save("mmio", "driver-ok-early", &s);

    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1);
    queue(&s, 0, 3, 0);
    r32(&s, XV_MMIO_STATUS);
    w32(&s, XV_MMIO_STATUS, 0);
    queue(&s, 1, 32, 0);
    save("mmio", "bad-queue-num", &s);

    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1);
    w32(&s, XV_MMIO_QUEUE_SEL, 0);
    w32(&s, XV_MMIO_QUEUE_NUM, 8);
    w32(&s, XV_MMIO_QUEUE_DESC_LOW, 0x1000);
    w32(&s, XV_MMIO_QUEUE_READY, 1);
    save("mmio", "ring-outside-ram", &s);

    /* Wrong widths, offsets and config space. */
    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1);
    mmio_rw(&s, FZM_WRITE, XV_MMIO_STATUS, FZM_WIDTH_1, 0);
    mmio_rw(&s, FZM_WRITE, XV_MMIO_QUEUE_READY, FZM_WIDTH_2, 1);
    mmio_rw(&s, FZM_READ, XV_MMIO_MAGIC_VALUE, FZM_WIDTH_1, 0);
    mmio_rw(&s, FZM_WRITE, XV_MMIO_STATUS + 2, FZM_WIDTH_4, 0);
    mmio_rw(&s, FZM_READ, 0x03c, FZM_WIDTH_4, 0);
    mmio_rw(&s, FZM_WRITE, 0x200, FZM_WIDTH_4, 0);
    mmio_rw(&s, FZM_READ, XV_MMIO_CONFIG + 3, FZM_WIDTH_1, 0);
    mmio_rw(&s, FZM_READ, XV_MMIO_CONFIG + 6, FZM_WIDTH_2, 0);
    mmio_rw(&s, FZM_WRITE, XV_MMIO_CONFIG + 28, FZM_WIDTH_4, 0x11223344);
    mmio_rw(&s, FZM_WRITE, XV_MMIO_CONFIG + 30, FZM_WIDTH_4, 0x11223344);
    mmio_rw(&s, FZM_READ, XV_MMIO_CONFIG + 32, FZM_WIDTH_1, 0);
    mmio_rw(&s, FZM_READ, XV_MMIO_CONFIG, FZM_WIDTH_3, 0);
    save("mmio", "widths-offsets-config", &s);

    s.len = 0;
    put(&s, 0, 1);
    negotiate(&s, V1);
    queue(&s, 0, 8, 0);
    driver_ok(&s);
    w32(&s, XV_MMIO_QUEUE_NOTIFY, 5);
    put(&s, FZM_NEEDS_RESET, 1);
    request(&s);
    put(&s, FZM_DEVICE_RESET, 1);
    save("mmio", "needs-reset", &s);
}


/*
 * fuzz_xenstore seeds: what libxl 4.17-4.19 write, then one bad value per
 * rule of xs_values.c.
 */
struct xs_seed_field {
    enum fzx_field field;
    const char *value;
};

static void xs_seed(const char *name, unsigned flags, const struct xs_seed_field *f,
                    size_t n)
{
    const char *values[FZX_FIELD_COUNT] = { 0 };
    unsigned present = 0;
    struct seed s = { .len = 0 };

    for (size_t i = 0; i < n; i++) {
        values[f[i].field] = f[i].value;
        present |= 1u << f[i].field;
    }
    put(&s, flags, 1);
    put(&s, present, 2);
    for (unsigned i = 0; i < FZX_FIELD_COUNT; i++) {
        const char *v = values[i] ? values[i] : "";

        for (; *v; v++)
            put(&s, (uint8_t)*v, 1);
        put(&s, 0, 1);
    }
    save("xenstore", name, &s);
}

#define XS_SEED(name, flags, ...)                                          \
    do {                                                                   \
        const struct xs_seed_field f_[] = { __VA_ARGS__ };                 \
        xs_seed(name, flags, f_, sizeof(f_) / sizeof(f_[0]));              \
    } while (0)

#define GENERIC(base, irq, type)                                           \
    { FZX_TRANSPORT, "mmio" }, { FZX_BASE, base }, { FZX_IRQ, irq },       \
    { FZX_GRANT_USAGE, "0" }, { FZX_TYPE, type }, { FZX_STATE, "1" },      \
    { FZX_ONLINE, "1" }, { FZX_DOMID, "5" }, { FZX_DEVID, "0" }
#define DISK(base, irq, mode)                                              \
    { FZX_BASE, base }, { FZX_IRQ, irq }, { FZX_PARAMS, "/srv/guest.img" }, \
    { FZX_MODE, mode }, { FZX_DISCARD, "1" }, { FZX_STATE, "1" },          \
    { FZX_ONLINE, "1" }, { FZX_DOMID, "5" }, { FZX_DEVID, "51712" }

static void xenstore_seeds(void)
{
    const unsigned dom0 = FZX_SELF_DOM0, disk = FZX_DISK | FZX_SELF_DOM0;

    XS_SEED("generic-4.18", dom0, GENERIC("0x2000000", "33", "virtio,device22"));
    XS_SEED("generic-scmi-domd", 0,
            GENERIC("0x2000200", "34", "virtio,device20"), { FZX_GRANT_USAGE, "1" });
    XS_SEED("disk-4.17", disk, DISK("33554432", "33", "w"));
    XS_SEED("disk-4.19-grants", disk, DISK("33554432", "35", "w"),
            { FZX_GRANT_USAGE, "1" }, { FZX_TRANSPORT, "mmio" });
    XS_SEED("disk-readonly-nodiscard", disk, DISK("33554944", "36", "r"),
            { FZX_DISCARD, "0" });
    XS_SEED("disk-no-mode", disk, { FZX_BASE, "33554432" }, { FZX_IRQ, "33" },
            { FZX_PARAMS, "/dev/vg/guest" });
    XS_SEED("closing", dom0, GENERIC("0x2000000", "33", "virtio,device22"),
            { FZX_STATE, "5" }, { FZX_ONLINE, "0" });
    XS_SEED("bad-transport", dom0, GENERIC("0x2000000", "33", "virtio,device22"),
            { FZX_TRANSPORT, "unknown" });
    XS_SEED("bad-base-sign", dom0, GENERIC("-1", "33", "virtio,device22"));
    XS_SEED("bad-base-top", dom0, GENERIC("0xfffffffffffffe01", "33", "virtio,device22"));
    XS_SEED("base-top", dom0, GENERIC("0xfffffffffffffe00", "33", "virtio,device22"));
    XS_SEED("bad-base-0x", dom0, GENERIC("0x", "33", "virtio,device22"));
    XS_SEED("bad-irq-sgi", dom0, GENERIC("0x2000000", "31", "virtio,device22"));
    XS_SEED("bad-irq-top", dom0, GENERIC("0x2000000", "1020", "virtio,device22"));
    XS_SEED("irq-octal-looking", dom0, GENERIC("0x2000000", "033", "virtio,device22"));
    XS_SEED("bad-irq-missing", dom0, { FZX_BASE, "0x2000000" }, { FZX_TYPE, "virtio,device22" });
    XS_SEED("bad-grant-usage", 0, GENERIC("0x2000000", "33", "virtio,device22"),
            { FZX_GRANT_USAGE, "2" });
    XS_SEED("bad-type-0x", dom0, GENERIC("0x2000000", "33", "virtio,device0x22"));
    XS_SEED("bad-type-empty", dom0, GENERIC("0x2000000", "33", "virtio,device"));
    XS_SEED("bad-type-blank", dom0, GENERIC("0x2000000", "33", "virtio,device 22"));
    XS_SEED("bad-type-sign", dom0, GENERIC("0x2000000", "33", "virtio,device-1"));
    XS_SEED("type-max", dom0, GENERIC("0x2000000", "33", "virtio,deviceFFFFFFFF"));
    XS_SEED("bad-type-wide", dom0, GENERIC("0x2000000", "33", "virtio,device100000000"));
    XS_SEED("bad-type-other", dom0, GENERIC("0x2000000", "33", "vhost-user,device22"));
    XS_SEED("bad-disk-no-params", disk, { FZX_BASE, "33554432" }, { FZX_IRQ, "33" });
    XS_SEED("bad-ids", dom0, GENERIC("0x2000000", "33", "virtio,device22"),
            { FZX_DOMID, "05" }, { FZX_DEVID, "2147483648" });
    XS_SEED("ids-hex", dom0, GENERIC("0x2000000", "33", "virtio,device22"),
            { FZX_DOMID, "0x5" }, { FZX_DEVID, "+1" });
    XS_SEED("small-errlen", disk | (1u << 2), { FZX_BASE, "nope" });
}

/*
 * fuzz_scmi_socket seeds: SCMI messages framed as a socket client sends
 * them, split and batched, and the framing errors.
 */
#define SCMI_HDR(proto, msg, token) ((msg) | (uint32_t)(proto) << 10 | (uint32_t)(token) << 18)

static void scmi_frame(struct seed *s, const uint32_t *words, unsigned n, uint8_t split)
{
    put(s, FZS_FRAME, 1);
    put(s, 4 * n, 1);
    put(s, split, 1);
    for (unsigned i = 0; i < n; i++)
        put(s, words[i], 4);
}

static void scmi_read_all(struct seed *s)
{
    put(s, FZS_READ, 1);
    put(s, 0xffff, 2);
}

/* le32 length + message, raw, as one FZS_RECV. */
static void scmi_recv_raw(struct seed *s, const uint8_t *bytes, uint16_t n)
{
    put(s, FZS_RECV, 1);
    put(s, n, 2);
    for (unsigned i = 0; i < n; i++)
        put(s, bytes[i], 1);
}

static void scmi_socket_seeds(void)
{
    struct seed *s = calloc(1, sizeof(*s));
    const uint32_t version = SCMI_HDR(0x10, 0, 1);
    const uint32_t attrs = SCMI_HDR(0x10, 1, 2);
    const uint32_t vendor = SCMI_HDR(0x10, 3, 3);

    if (!s)
        exit(1);
    /* Base protocol discovery, one frame per recv, then split mid-header
     * and mid-body. */
    s->len = 0;
    scmi_frame(s, &version, 1, 8);
    scmi_frame(s, &attrs, 1, 2);
    scmi_frame(s, &vendor, 1, 6);
    scmi_read_all(s);
    save("scmi_socket", "base-split", s);

    /* Three frames in one recv, and the client reading in small steps. */
    {
        uint8_t raw[24];
        const uint32_t hdrs[3] = { version, attrs, vendor };

        for (unsigned i = 0; i < 3; i++) {
            raw[8 * i] = 4;
            raw[8 * i + 1] = raw[8 * i + 2] = raw[8 * i + 3] = 0;
            for (unsigned b = 0; b < 4; b++)
                raw[8 * i + 4 + b] = (uint8_t)(hdrs[i] >> (8 * b));
        }
        s->len = 0;
        scmi_recv_raw(s, raw, sizeof(raw));
        for (unsigned i = 0; i < 10; i++) {
            put(s, FZS_READ, 1);
            put(s, 5, 2);
        }
        scmi_read_all(s);
        save("scmi_socket", "batched", s);
    }

    /* A clock: attributes, enable, an asynchronous rate set (a delayed
     * response follows its response), the rate back. */
    {
        const uint32_t clk_attr[2] = { SCMI_HDR(0x14, 3, 4), 0 };
        const uint32_t clk_on[3] = { SCMI_HDR(0x14, 7, 5), 0, 1 };
        const uint32_t clk_rate[5] = { SCMI_HDR(0x14, 5, 6), 1, 0, 2000, 0 };
        const uint32_t clk_get[2] = { SCMI_HDR(0x14, 6, 7), 0 };

        s->len = 0;
        scmi_frame(s, clk_attr, 2, 0);
        scmi_frame(s, clk_on, 3, 0);
        scmi_frame(s, clk_rate, 5, 11);
        scmi_frame(s, clk_get, 2, 0);
        scmi_read_all(s);
        save("scmi_socket", "clock-delayed", s);
    }

    /* Notifications: power state and sensor updates, interleaved with
     * replies the client does not read at once. */
    {
        const uint32_t pw_notify[3] = { SCMI_HDR(0x11, 6, 8), 0, 1 };
        const uint32_t pw_set[4] = { SCMI_HDR(0x11, 4, 9), 0, 0, 0 };
        const uint32_t pw_off[4] = { SCMI_HDR(0x11, 4, 10), 0, 0, 0x40000000 };
        const uint32_t sn_notify[3] = { SCMI_HDR(0x15, 0xb, 11), 1, 1 };
        const uint32_t sn_read[3] = { SCMI_HDR(0x15, 6, 12), 1, 0 };

        s->len = 0;
        scmi_frame(s, pw_notify, 3, 0);
        scmi_frame(s, pw_set, 4, 3);
        scmi_frame(s, pw_off, 4, 0);
        scmi_frame(s, sn_notify, 3, 0);
        put(s, FZS_SENSOR, 1);
        put(s, 1, 1);
        scmi_frame(s, sn_read, 3, 0);
        put(s, FZS_READ, 1);
        put(s, 7, 2);
        put(s, FZS_SENSOR, 1);
        put(s, 1, 1);
        scmi_read_all(s);
        save("scmi_socket", "notifications", s);
    }

    /* Framing errors: a length past a message, one below a header, zero. */
    {
        static const uint8_t oversized[8] = { 0x89, 0, 0, 0, 0, 0, 0x10, 0 };
        static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
        static const uint8_t short3[8] = { 3, 0, 0, 0, 0, 0, 0, 0 };
        static const uint8_t zero[4] = { 0, 0, 0, 0 };
        static const uint8_t max_len[4] = { 0x88, 0, 0, 0 };

        s->len = 0;
        scmi_frame(s, &version, 1, 0);
        scmi_recv_raw(s, oversized, sizeof(oversized));
        scmi_read_all(s);
        save("scmi_socket", "bad-oversized", s);
        s->len = 0;
        scmi_recv_raw(s, huge, sizeof(huge));
        save("scmi_socket", "bad-huge", s);
        s->len = 0;
        scmi_recv_raw(s, short3, sizeof(short3));
        save("scmi_socket", "bad-short", s);
        s->len = 0;
        scmi_recv_raw(s, zero, sizeof(zero));
        save("scmi_socket", "bad-zero", s);
        /* The longest message, arriving a byte at a time. */
        s->len = 0;
        for (unsigned i = 0; i < 4; i++)
            scmi_recv_raw(s, max_len + i, 1);
        for (unsigned i = 0; i < 0x88; i++) {
            uint8_t b = i < 4 ? (uint8_t)(version >> (8 * i)) : (uint8_t)i;

            scmi_recv_raw(s, &b, 1);
        }
        scmi_read_all(s);
        save("scmi_socket", "max-bytewise", s);
    }

    /* A client that never reads: its replies fill the output buffer and
     * it is let go. */
    {
        static uint8_t raw[1100 * 8];

        for (unsigned i = 0; i < 1100; i++) {
            raw[8 * i] = 4;
            for (unsigned b = 0; b < 4; b++)
                raw[8 * i + 4 + b] = (uint8_t)(version >> (8 * b));
        }
        s->len = 0;
        scmi_recv_raw(s, raw, sizeof(raw));
        save("scmi_socket", "unread-replies", s);
    }
    free(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    char path[4096];
    const char *kinds[] = { "chain", "mmio", "xenstore", "scmi_socket" };
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", out_dir, kinds[i]);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            perror(path);
            return 1;
        }
    }
    chain_seeds();
    mmio_seeds();
    xenstore_seeds();
    scmi_socket_seeds();
    return 0;
}
