/*
 * SoftSpoken leaf-sum step with AVX2 (see kernels/otchain.h; portable twin
 * in kernels/otchain.c): 32 bytes per register, 16 for the tail (lengths
 * are even); the running sum stays in a register across the levels, so each
 * level costs one load of out, one of acc and one store of out.
 */
#include "kernels/otchain.h"

#include <immintrin.h>

void sirnn_otx_chain_avx2(uint64_t *const *out, const uint64_t *g, const uint64_t *const *acc,
                          unsigned t, unsigned first, const uint64_t *add,
                          const uint64_t *masks, uint64_t *dst, uint64_t dst_mask,
                          size_t words)
{
    size_t w = 0;
    for (; w + 4 <= words; w += 4) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(g + w));
        for (unsigned l = 0; l < t; l++) {
            __m256i *o = (__m256i *)(void *)(out[l] + w);
            __m256i v;
            if ((first >> l) & 1)
                v = _mm256_xor_si256(
                    c, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(add + w)),
                                        _mm256_set1_epi64x((long long)masks[l])));
            else
                v = _mm256_xor_si256(c, _mm256_loadu_si256(o));
            _mm256_storeu_si256(o, v);
            c = _mm256_xor_si256(c, _mm256_loadu_si256((const __m256i *)(const void *)(acc[l] + w)));
        }
        if (dst != NULL)
            _mm256_storeu_si256(
                (__m256i *)(void *)(dst + w),
                _mm256_xor_si256(
                    c, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(add + w)),
                                        _mm256_set1_epi64x((long long)dst_mask))));
    }
    for (; w < words; w += 2) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(g + w));
        for (unsigned l = 0; l < t; l++) {
            __m128i *o = (__m128i *)(void *)(out[l] + w);
            __m128i v;
            if ((first >> l) & 1)
                v = _mm_xor_si128(
                    c, _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(add + w)),
                                     _mm_set1_epi64x((long long)masks[l])));
            else
                v = _mm_xor_si128(c, _mm_loadu_si128(o));
            _mm_storeu_si128(o, v);
            c = _mm_xor_si128(c, _mm_loadu_si128((const __m128i *)(const void *)(acc[l] + w)));
        }
        if (dst != NULL)
            _mm_storeu_si128(
                (__m128i *)(void *)(dst + w),
                _mm_xor_si128(c, _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(add + w)),
                                               _mm_set1_epi64x((long long)dst_mask))));
    }
}
