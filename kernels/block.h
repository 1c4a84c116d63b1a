/*
 * The 128-bit block: the unit of AES, of OT messages and of IKNP rows.
 * Memory layout: byte i of the block is byte i of w[0] || w[1] on a
 * little-endian machine (x86-64 is the only target of the SIMD paths).
 */
#ifndef SIRNN_KERNELS_BLOCK_H
#define SIRNN_KERNELS_BLOCK_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

typedef struct sirnn_block {
    _Alignas(16) uint64_t w[2];
} sirnn_block;

/* A hash tweak (kernels/crhash.h): element k of a call uses the block (domain || index + k). */
typedef struct sirnn_tweak {
    uint64_t domain;
    uint64_t index;
} sirnn_tweak;

static inline sirnn_tweak sirnn_tweak_make(uint64_t domain, uint64_t index)
{
    sirnn_tweak t = {domain, index};
    return t;
}

static inline sirnn_block sirnn_block_make(uint64_t hi, uint64_t lo)
{
    sirnn_block b;
    b.w[0] = lo;
    b.w[1] = hi;
    return b;
}

static inline sirnn_block sirnn_block_xor(sirnn_block a, sirnn_block b)
{
    a.w[0] ^= b.w[0];
    a.w[1] ^= b.w[1];
    return a;
}

static inline sirnn_block sirnn_block_and(sirnn_block a, sirnn_block b)
{
    a.w[0] &= b.w[0];
    a.w[1] &= b.w[1];
    return a;
}

static inline int sirnn_block_eq(sirnn_block a, sirnn_block b)
{
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1])) == 0;
}

/* Mask with the low l bits set, 0 <= l <= 64, without undefined shifts. */
static inline uint64_t sirnn_mask(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

#endif /* SIRNN_KERNELS_BLOCK_H */
