/*
 * Internal to the hash family: the per-ISA paths of sirnn_tccrhash256_many
 * (kernels/crhash.h), chosen by sirnn_crhash_fill_table (kernels/crhash.c).
 * Same contract as sirnn_tccrhash256_many_pf.
 */
#ifndef SIRNN_KERNELS_CRHASH_IMPL_H
#define SIRNN_KERNELS_CRHASH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

/* Through the AES-NI and VAES-256 ECB kernels (kernels/crhash.c). */
void sirnn_tccrhash256_many_aesni(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                  size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                  size_t nv, const void *prefetch, size_t prefetch_bytes);
void sirnn_tccrhash256_many_vaes256(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                    size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                    size_t nv, const void *prefetch, size_t prefetch_bytes);
/* VAES on 512-bit registers (kernels/crhash_avx512.c), sharing pi1 calls. */
void sirnn_tccrhash256_many_vaes512(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                    size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                    size_t nv, const void *prefetch, size_t prefetch_bytes);

#endif /* SIRNN_KERNELS_CRHASH_IMPL_H */
