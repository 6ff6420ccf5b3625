/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input formats of the fuzz targets, shared with the seed generator so the
 * committed corpus stays meaningful when a format evolves.
 *
 * All multi-byte fields are little-endian; a truncated input reads as zeros.
 */
#ifndef XV_FUZZ_FORMAT_H
#define XV_FUZZ_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * fuzz_chain: one queue in a 64 KiB guest RAM at FZ_RAM_GPA; its rings sit
 * at the start of RAM, everything else is free for buffers and indirect
 * tables.
 *   u8  setup:    bits 0-3 log2(queue size) (clamped to 8),
 *                 bit 4 INDIRECT_DESC, bit 5 EVENT_IDX, bit 6 bounce buffers
 *   u8  max_segs: capacity of the chain arrays (taken modulo 65)
 *   then ops until the input ends.
 */
#define FZ_RAM_GPA   0x40000000ull
#define FZ_RAM_SIZE  0x10000u
#define FZ_MAX_OPS   4096u
#define FZ_MAX_INFLIGHT 16u

#define FZ_SETUP_INDIRECT 0x10u
#define FZ_SETUP_EVENT    0x20u
#define FZ_SETUP_BOUNCE   0x40u

enum fz_chain_op {
    FZC_POP,            /* -                                              */
    FZC_PUSH,           /* u8 slot, u32 written                           */
    FZC_DESC,           /* u16 index (mod num), u8 addr mode, addr, u32 len,
                         * u16 flags, u16 next. addr mode bit 0: u64 raw
                         * address, else u16 offset into RAM              */
    FZC_DESC_AT,        /* u16 RAM offset (16-aligned), then as FZC_DESC
                         * after the index: any table, e.g. indirect      */
    FZC_PUBLISH,        /* u16 head: ring[avail_idx % num] = head; idx++  */
    FZC_SET_AVAIL_IDX,  /* u16                                            */
    FZC_SET_USED_EVENT, /* u16                                            */
    FZC_SET_AVAIL_FLAGS,/* u16                                            */
    FZC_NOTIFY_GUEST,   /* -                                              */
    FZC_DISABLE_NOTIFY, /* -                                              */
    FZC_ENABLE_NOTIFY,  /* -                                              */
    FZC_UNMAP,          /* u8 slot                                        */
    FZC_AVAIL_COUNT,    /* -                                              */
    FZC_REFUSE,         /* u16 RAM offset the platform will not map       */
    FZC_DEVICE_RESET,   /* - (status 0, then the driver sets up again)    */
    FZC_QUEUE_RESET,    /* - (QueueReset, then QueueReady again)          */
    FZC_WRITE_RAM,      /* u16 offset, u8 len, bytes                      */
    FZC_PROCESS,        /* - (QueueNotify + process_queue: pop/push all)  */
    FZC_OP_COUNT
};

/*
 * fuzz_mmio: a device with 2 queues of at most 16 entries, device feature
 * bits 0 and 5, a 32-byte config space, and a 64 KiB guest RAM at
 * FZ_RAM_GPA.
 *   u8 setup: bit 0 access_platform, bit 1 the device vetoes FEATURES_OK
 *   then records until the input ends:
 *   u8 op
 *     FZM_READ / FZM_WRITE: u16 offset, u8 width selector, u32 value
 *       (width = fzm_widths[selector % 8])
 *     FZM_PROCESS: u8 queue
 *     FZM_CONFIG_CHANGED, FZM_NEEDS_RESET, FZM_DEVICE_RESET: -
 *     FZM_WRITE_RAM: u16 offset, u8 len, bytes
 */
enum fz_mmio_op {
    FZM_READ,
    FZM_WRITE,
    FZM_PROCESS,
    FZM_CONFIG_CHANGED,
    FZM_NEEDS_RESET,
    FZM_DEVICE_RESET,
    FZM_WRITE_RAM,
    FZM_OP_COUNT
};

static const unsigned fzm_widths[8] = { 4, 4, 4, 1, 2, 3, 8, 0 };
#define FZM_WIDTH_4 0u
#define FZM_WIDTH_1 3u
#define FZM_WIDTH_2 4u
#define FZM_WIDTH_3 5u

/*
 * fuzz_xenstore: the values discovery reads from one backend dir.
 *   u8  flags: FZX_DISK (virtio_disk, else virtio), FZX_SELF_DOM0,
 *              bits 2-3 error buffer size (fzx_errlens)
 *   u16 present: bit i set: field i exists (else it reads as absent)
 *   then the fields' bytes in enum fzx_field order, each ended by a NUL
 *   (or by the end of the input).
 */
#define FZX_DISK      0x01u
#define FZX_SELF_DOM0 0x02u
static const unsigned fzx_errlens[4] = { 256, 1, 16, 64 };

enum fzx_field {
    FZX_TRANSPORT, FZX_BASE, FZX_IRQ, FZX_GRANT_USAGE, FZX_TYPE, FZX_PARAMS,
    FZX_MODE, FZX_DISCARD, FZX_STATE, FZX_ONLINE,
    FZX_DOMID,          /* a backend/<kind>/ directory entry (domid) */
    FZX_DEVID,          /* a backend/<kind>/<fe>/ directory entry (devid) */
    FZX_FIELD_COUNT
};

/*
 * fuzz_scmi_socket: one raw-socket client's byte stream, through the
 * framing of scmi_stream.c into the real SCMI server, and back.
 *   ops until the input ends, u8 op % FZS_OP_COUNT:
 */
enum fzs_op {
    FZS_RECV,           /* u16 n: the next n input bytes arrive (in as many
                         * recvs as the 140-byte input buffer needs)      */
    FZS_FRAME,          /* u8 n: le32 n, then the next n input bytes arrive,
                         * in two recvs split at u8 (% (4 + n + 1))       */
    FZS_READ,           /* u16 n: the client reads n bytes of its replies */
    FZS_SENSOR,         /* u8 sensor: its value changed (a notification)  */
    FZS_OP_COUNT
};

/* A byte reader that yields zeros past the end. */
struct fz_reader {
    const uint8_t *data;
    size_t size, pos;
};

static inline uint64_t fz_get(struct fz_reader *r, unsigned bytes)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < bytes; i++) {
        if (r->pos < r->size)
            value |= (uint64_t)r->data[r->pos] << (8 * i);
        r->pos++;
    }
    return value;
}

static inline int fz_more(const struct fz_reader *r)
{
    return r->pos < r->size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
