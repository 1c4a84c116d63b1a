/*
 * SoftSpoken leaf-sum step with AVX-512 (see kernels/otchain.h; portable
 * twin in kernels/otchain.c): 64 bytes per register, a masked register for
 * the tail; the running sum stays in a register across the levels, so each
 * level costs one load of out, one of acc and one store of out.
 */
#include "kernels/otchain.h"

#include <immintrin.h>

void sirnn_otx_chain_avx512(uint64_t *const *out, const uint64_t *g,
                            const uint64_t *const *acc, unsigned t, unsigned first,
                            const uint64_t *add, const uint64_t *masks, uint64_t *dst,
                            uint64_t dst_mask, size_t words)
{
    for (size_t w = 0; w < words; w += 8) {
        /* All lanes but in the last step of a length that is not a multiple of 8. */
        const unsigned lanes = words - w >= 8 ? 8u : (unsigned)(words - w);
        const __mmask8 k = (__mmask8)((1u << lanes) - 1u);
        __m512i c = _mm512_maskz_loadu_epi64(k, g + w);
        for (unsigned l = 0; l < t; l++) {
            __m512i o;
            if ((first >> l) & 1)
                o = _mm512_xor_si512(c, _mm512_and_si512(_mm512_maskz_loadu_epi64(k, add + w),
                                                         _mm512_set1_epi64((long long)masks[l])));
            else
                o = _mm512_xor_si512(c, _mm512_maskz_loadu_epi64(k, out[l] + w));
            _mm512_mask_storeu_epi64(out[l] + w, k, o);
            c = _mm512_xor_si512(c, _mm512_maskz_loadu_epi64(k, acc[l] + w));
        }
        if (dst != NULL)
            _mm512_mask_storeu_epi64(
                dst + w, k,
                _mm512_xor_si512(c, _mm512_and_si512(_mm512_maskz_loadu_epi64(k, add + w),
                                                     _mm512_set1_epi64((long long)dst_mask))));
    }
}
