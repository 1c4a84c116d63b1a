/* Constant-time table rotation, AVX-512 F (kernels/lutrot.h). */
#include "kernels/lutrot.h"

#include <immintrin.h>

void sirnn_lut_rotate_avx512(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                             unsigned m, uint64_t r, uint64_t lm)
{
    if (m < 3) {
        sirnn_lut_rotate_portable(dst, src, tmp, s, m, r, lm);
        return;
    }
    const size_t N = (size_t)1 << m, NV = N / 8;
    const unsigned passes = m - 2;
    const uint64_t *in = src;
    uint64_t *out = passes % 2 == 1 ? dst : tmp;
    /* The low three bits of s: one in-register permutation per vector (the
     * index vector holds the secret, but vpermt2q's timing does not depend
     * on it). */
    const __m512i idx = _mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
                                         _mm512_set1_epi64((long long)(s & 7)));
    for (size_t j = 0; j < NV; j++) {
        const __m512i a = _mm512_loadu_si512((const void *)(in + 8 * j));
        const __m512i b = _mm512_loadu_si512((const void *)(in + 8 * ((j + 1) & (NV - 1))));
        _mm512_storeu_si512((void *)(out + 8 * j), _mm512_permutex2var_epi64(a, idx, b));
    }
    in = out;
    /* The other bits: whole-vector shifts, selected by mask. */
    for (unsigned b = 3; b < m; b++) {
        out = (m - b) % 2 == 1 ? dst : tmp;
        const size_t shv = (size_t)1 << (b - 3);
        const __m512i vm = _mm512_set1_epi64((long long)(0 - ((s >> b) & 1)));
        for (size_t j = 0; j < NV; j++) {
            const __m512i a = _mm512_loadu_si512((const void *)(in + 8 * j));
            const __m512i c = _mm512_loadu_si512((const void *)(in + 8 * ((j + shv) & (NV - 1))));
            _mm512_storeu_si512((void *)(out + 8 * j), _mm512_ternarylogic_epi64(vm, c, a, 0xCA));
        }
        in = out;
    }
    const __m512i vr = _mm512_set1_epi64((long long)r), vl = _mm512_set1_epi64((long long)lm);
    for (size_t v = 0; v < N; v += 8) {
        const __m512i x = _mm512_loadu_si512((const void *)(dst + v));
        _mm512_storeu_si512((void *)(dst + v), _mm512_and_si512(_mm512_sub_epi64(x, vr), vl));
    }
}
