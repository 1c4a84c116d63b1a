/*
 * The vector kernels of KK13 1-of-N OT (ot/kkot.c, arith/otphase.c): the
 * sender's messages XOR pads, bit-packed, and the receiver's masked pick of
 * its value. Portable twins in kernels/kkpack.c, AVX2 (+BMI2) and AVX-512
 * F/BW/VL (+BMI2) paths in kernels/kkpack_avx2.c and kernels/kkpack_avx512.c,
 * chosen through the kernel table (kernels/cpu.h: kk_combine, kk_select).
 * Messages, pads, y, choices and h are secret: no branch or memory index
 * depends on them (only on count, k, N and l).
 *
 * combine: out = sirnn_pack of the l-bit values msgs[j] ^ pads[j], j < count:
 * exactly sirnn_pack_size(count, l) bytes, padding bits zero (1 <= l <= 64).
 *
 * select: for i < k, mc[i] = (y_i[choices[i]] ^ h[i].w[0]) & mask(l), where
 * y_i are values [i*N, (i+1)*N) of the l-bit stream y (sirnn_pack layout, at
 * least 8 readable bytes beyond sirnn_pack_size(k * N, l)); all N values of
 * an OT are read, the choice only steers masks and shifts. 2 <= N <= 256,
 * choices[i] < N.
 */
#ifndef SIRNN_KERNELS_KKPACK_H
#define SIRNN_KERNELS_KKPACK_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

void sirnn_kkot_combine_portable(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                                 size_t count, unsigned l);
void sirnn_kkot_select_portable(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                                const sirnn_block *h, size_t k, unsigned N, unsigned l);
void sirnn_kkot_combine_avx2(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                             size_t count, unsigned l);
void sirnn_kkot_select_avx2(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                            const sirnn_block *h, size_t k, unsigned N, unsigned l);
void sirnn_kkot_combine_avx512(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                               size_t count, unsigned l);
void sirnn_kkot_select_avx512(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                              const sirnn_block *h, size_t k, unsigned N, unsigned l);

#endif /* SIRNN_KERNELS_KKPACK_H */
