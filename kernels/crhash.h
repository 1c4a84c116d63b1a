/*
 * Fixed-key correlation-robust hashes (Guo, Katz, Wang, Yu, S&P 2020).
 *
 * pi is AES-128 under a fixed public key (no key schedule per call). The
 * constructions, their security arguments and the exact fixed keys are
 * documented below by the implementation. Outputs are 128 bits; callers that
 * need l-bit values take the low l bits.
 */
#ifndef SIRNN_KERNELS_CRHASH_H
#define SIRNN_KERNELS_CRHASH_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

/* Circular correlation-robust hash, out[i] = pi(sigma(in[i])) ^ sigma(in[i]). */
void sirnn_crhash(sirnn_block *out, const sirnn_block *in, size_t n);
/* Tweakable CCR hash with tweak (tweak + i) for element i. */
void sirnn_tccrhash(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);
/* Tweakable hash of 256-bit inputs (in[2i], in[2i+1]) with tweak (tweak + i),
 * for KK13's 256-bit code words. out has n blocks, in has 2n. */
void sirnn_tccrhash256(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);

/* Portable twins. */
void sirnn_crhash_portable(sirnn_block *out, const sirnn_block *in, size_t n);
void sirnn_tccrhash_portable(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);
void sirnn_tccrhash256_portable(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);

#endif /* SIRNN_KERNELS_CRHASH_H */
