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

/* AES-NI, eight blocks in flight (kernels/crhash_aesni.c), and VAES on
 * 256-bit registers (kernels/crhash_avx2.c), both fused like the 512-bit
 * path: the three AES calls of a hash never leave registers, and with
 * nv > 128 an element's 128 pi1 outputs are computed once. */
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

/* The caller's prefetch hint of a many call, spread evenly over its steps. */
typedef struct sirnn_many_prefetcher {
    const char *p;
    size_t left;     /* lines not yet touched */
    size_t per_step; /* lines per step */
} sirnn_many_prefetcher;

static inline sirnn_many_prefetcher sirnn_many_prefetch_plan(const void *p, size_t bytes,
                                                             size_t steps)
{
    sirnn_many_prefetcher pf = {p, (bytes + 63) / 64, 0};
    pf.per_step = steps > 0 ? (pf.left + steps - 1) / steps : 0;
    return pf;
}

static inline void sirnn_many_prefetch_step(sirnn_many_prefetcher *pf)
{
    for (size_t t = 0; t < pf->per_step && pf->left > 0; t++, pf->left--, pf->p += 64)
        __builtin_prefetch(pf->p, 0, 3);
}

#endif /* SIRNN_KERNELS_CRHASH_IMPL_H */
