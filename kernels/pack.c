/*
 * Dense l-bit packing. Widths 8, 16, 32, 64 are plain little-endian copies;
 * other widths stream through a 64-bit bit buffer, one 8-byte word at a time.
 * Branches depend only on n and l, never on the values.
 */
#include "kernels/pack.h"

#include <string.h>

#include "kernels/block.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PACK_LITTLE_ENDIAN 1
#else
#define PACK_LITTLE_ENDIAN 0
#endif

static inline uint64_t load_le(const uint8_t *p, size_t nbytes)
{
#if PACK_LITTLE_ENDIAN
    if (nbytes == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
#endif
    uint64_t v = 0;
    for (size_t i = 0; i < nbytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void store_le(uint8_t *p, uint64_t v, size_t nbytes)
{
#if PACK_LITTLE_ENDIAN
    if (nbytes == 8) {
        memcpy(p, &v, 8);
        return;
    }
#endif
    for (size_t i = 0; i < nbytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t sirnn_pack_size(size_t n, unsigned l)
{
    /* ceil(n * l / 8) without overflowing n * l. */
    return (n / 8) * l + ((n % 8) * l + 7) / 8;
}

/* l = 8, 16, 32, 64: value i is bytes [i * l/8, (i+1) * l/8), little-endian.
 * On little-endian machines these are truncating copies that gcc
 * vectorises; the byte loops are the portable fallback. */
static void pack_bytes(uint8_t *out, const uint64_t *in, size_t n, size_t width)
{
#if PACK_LITTLE_ENDIAN
    switch (width) {
    case 1:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)in[i];
        return;
    case 2:
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            const uint16_t v = (uint16_t)in[i];
            memcpy(out + 2 * i, &v, 2);
        }
        return;
    case 4:
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            const uint32_t v = (uint32_t)in[i];
            memcpy(out + 4 * i, &v, 4);
        }
        return;
    default:
        if (n > 0)
            memcpy(out, in, 8 * n);
        return;
    }
#else
    for (size_t i = 0; i < n; i++)
        store_le(out + width * i, in[i], width);
#endif
}

static void unpack_bytes(uint64_t *out, const uint8_t *in, size_t n, size_t width)
{
#if PACK_LITTLE_ENDIAN
    switch (width) {
    case 1:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            out[i] = in[i];
        return;
    case 2:
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            out[i] = v;
        }
        return;
    case 4:
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, in + 4 * i, 4);
            out[i] = v;
        }
        return;
    default:
        if (n > 0)
            memcpy(out, in, 8 * n);
        return;
    }
#else
    for (size_t i = 0; i < n; i++)
        out[i] = load_le(in + width * i, width);
#endif
}

/* Other widths go through a 64-bit bit buffer one value at a time. */
void sirnn_pack(uint8_t *out, const uint64_t *in, size_t n, unsigned l)
{
    if (l % 8 == 0 && (l & (l - 1)) == 0) {
        pack_bytes(out, in, n, l / 8);
        return;
    }
    /* 1 <= l <= 63 here. acc holds `have` < 64 pending bits, zero above. */
    const uint64_t mask = sirnn_mask(l);
    uint64_t acc = 0;
    unsigned have = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t v = in[i] & mask;
        acc |= v << have;
        if (have + l >= 64) {
            store_le(out, acc, 8);
            out += 8;
            /* have >= 1 here because l < 64, so the shift is below 64. */
            acc = v >> (64 - have);
            have = have + l - 64;
        } else {
            have += l;
        }
    }
    if (have > 0)
        store_le(out, acc, (have + 7) / 8);
}

void sirnn_unpack(uint64_t *out, const uint8_t *in, size_t n, unsigned l)
{
    if (l % 8 == 0 && (l & (l - 1)) == 0) {
        unpack_bytes(out, in, n, l / 8);
        return;
    }
    /* acc holds `have` unread bits of the stream. */
    const uint64_t mask = sirnn_mask(l);
    const size_t size = sirnn_pack_size(n, l);
    size_t pos = 0;
    uint64_t acc = 0;
    unsigned have = 0;
    for (size_t i = 0; i < n; i++) {
        if (have >= l) {
            out[i] = acc & mask;
            acc >>= l;
            have -= l;
        } else {
            /* Refill with the next word (a short one at the end). */
            const size_t left = size - pos;
            const uint64_t word = load_le(in + pos, left < 8 ? left : 8);
            pos += 8;
            out[i] = (acc | (word << have)) & mask;
            /* l - have is in 1..63: the bits of word this value used. */
            acc = word >> (l - have);
            have = 64 - (l - have);
        }
    }
}

/* Eight 0/1 bytes (bit 0 of each) to one byte and back, with 64-bit
 * arithmetic: no branch or table lookup on the (possibly secret) bits. The
 * multiplier's partial products of the bytes' low bits fall on distinct bit
 * positions, so no carries disturb the top byte. */
static inline uint8_t gather8(uint64_t bytes)
{
    return (uint8_t)(((bytes & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56);
}

static inline uint64_t spread8(uint8_t byte)
{
    const uint64_t lanes = ((uint64_t)byte * 0x0101010101010101ull) & 0x8040201008040201ull;
    /* A byte of lanes is 0 or a single bit; adding 0x7f sets its top bit
     * exactly when it is non-zero, without carrying out of the byte. */
    return ((lanes + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
}

void sirnn_pack_bits(uint8_t *out, const uint8_t *bits, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        out[i / 8] = gather8(load_le(bits + i, 8));
    if (i < n)
        out[i / 8] = gather8(load_le(bits + i, n - i));
}

void sirnn_unpack_bits(uint8_t *bits, const uint8_t *in, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        store_le(bits + i, spread8(in[i / 8]), 8);
    if (i < n)
        store_le(bits + i, spread8(in[i / 8]), n - i);
}
