/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Little-endian wire formats: virtio rings and config spaces, device
 * request headers, SCMI messages. Freestanding, header only.
 *
 * xv_load_le*() and xv_store_le*() access a field at any byte address:
 * request headers and messages are copied out of guest buffers at whatever
 * alignment the driver chose. Built from bytes they need no byte-order
 * test; compilers merge them into one load or store where that is legal.
 *
 * xv_le*_to_cpu() and xv_cpu_to_le*() convert a value the caller reads or
 * writes itself, for naturally aligned fields that must be accessed in one
 * go: the rings, through volatile pointers, shared with a running driver.
 */
#ifndef XV_WIRE_H
#define XV_WIRE_H

#include <stdint.h>

static inline uint16_t xv_load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t xv_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t xv_load_le64(const uint8_t *p)
{
    return (uint64_t)xv_load_le32(p) | (uint64_t)xv_load_le32(p + 4) << 32;
}

static inline void xv_store_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void xv_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void xv_store_le64(uint8_t *p, uint64_t v)
{
    xv_store_le32(p, (uint32_t)v);
    xv_store_le32(p + 4, (uint32_t)(v >> 32));
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static inline uint16_t xv_le16_to_cpu(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t xv_le32_to_cpu(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t xv_le64_to_cpu(uint64_t v) { return __builtin_bswap64(v); }
#else
static inline uint16_t xv_le16_to_cpu(uint16_t v) { return v; }
static inline uint32_t xv_le32_to_cpu(uint32_t v) { return v; }
static inline uint64_t xv_le64_to_cpu(uint64_t v) { return v; }
#endif

/* The same swap (or none) in the other direction. */
static inline uint16_t xv_cpu_to_le16(uint16_t v) { return xv_le16_to_cpu(v); }
static inline uint32_t xv_cpu_to_le32(uint32_t v) { return xv_le32_to_cpu(v); }
static inline uint64_t xv_cpu_to_le64(uint64_t v) { return xv_le64_to_cpu(v); }

#endif
