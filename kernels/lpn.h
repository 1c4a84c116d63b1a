/*
 * The encoding step of a primal-LPN silent OT (ot/silent.h): a local linear
 * code applied to a vector of 128-bit blocks.
 *
 * Row r of the public code has SIRNN_LPN_D = 10 nonzeros (over GF(2)), at
 *   idx_j(r) = (w_j(r) * k) >> 32,  j < 10,
 * where w_j(r) is 32-bit word j (little-endian) of the three blocks
 * 3r, 3r+1, 3r+2 of the code's public AES-CTR stream (the caller computes
 * those blocks: 12 words per row, the last two unused). Indices are public,
 * so reading u at them leaks nothing; u and out are secret and enter only by
 * XOR. A repeated index cancels, as GF(2) demands.
 *
 *   lpn_xor:  out[i] ^= XOR_{j < 10} u[idx_j(row_i)],  i < n,
 *             words = 12 * n words (row i's at words + 12 i); 1 <= k <= 2^32 - 1.
 *
 * out must not overlap u. Portable twin here (sirnn_lpn_xor_portable), AVX2
 * path in kernels/lpn_avx2.c (index reduction 8 lanes at a time, the next
 * rows' blocks prefetched), chosen through the kernel table (kernels/cpu.h:
 * lpn_xor).
 */
#ifndef SIRNN_KERNELS_LPN_H
#define SIRNN_KERNELS_LPN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

#define SIRNN_LPN_D 10
#define SIRNN_LPN_WORDS 12 /* words of AES output per row (3 blocks) */

typedef void (*sirnn_lpn_xor_fn)(sirnn_block *out, const sirnn_block *u, uint32_t k,
                                 const uint32_t *words, size_t n);
void sirnn_lpn_xor_portable(sirnn_block *out, const sirnn_block *u, uint32_t k,
                            const uint32_t *words, size_t n);
void sirnn_lpn_xor_avx2(sirnn_block *out, const sirnn_block *u, uint32_t k,
                        const uint32_t *words, size_t n);

#endif /* SIRNN_KERNELS_LPN_H */
