/*
 * Internal to the KK13 kernels (kernels/kkpack_*.c): the bit-stream writer
 * and pext patterns the native combine paths share.
 */
#ifndef SIRNN_KERNELS_KKPACK_IMPL_H
#define SIRNN_KERNELS_KKPACK_IMPL_H

#include <stdint.h>
#include <string.h>

#include "kernels/block.h"

/* Appends nb (1..64) bits to a little-endian bit stream. acc holds `have`
 * < 64 pending bits, zero above them. */
typedef struct sirnn_bit_writer {
    uint8_t *p;
    uint64_t acc;
    unsigned have;
} sirnn_bit_writer;

static inline void sirnn_put_bits(sirnn_bit_writer *w, uint64_t bits, unsigned nb)
{
    w->acc |= bits << w->have;
    if (w->have + nb >= 64) {
        memcpy(w->p, &w->acc, 8);
        w->p += 8;
        w->acc = w->have > 0 ? bits >> (64 - w->have) : 0;
        w->have = w->have + nb - 64;
    } else {
        w->have += nb;
    }
}

static inline void sirnn_flush_bits(sirnn_bit_writer *w)
{
    for (unsigned b = 0; 8 * b < w->have; b++)
        w->p[b] = (uint8_t)(w->acc >> (8 * b));
}

/* The pext pattern: the low l bits of every lane of lane_bits bits. */
static inline uint64_t sirnn_lane_pattern(unsigned l, unsigned lane_bits)
{
    uint64_t m = 0;
    for (unsigned b = 0; b < 64; b += lane_bits)
        m |= sirnn_mask(l) << b;
    return m;
}

#endif /* SIRNN_KERNELS_KKPACK_IMPL_H */
