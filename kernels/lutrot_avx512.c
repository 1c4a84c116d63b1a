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

/* ---- 16-bit entries held in registers (l <= 16) ---- */

/* The entries in 16-bit lanes: v[j] holds [32j, 32j + 32) (m >= 5), or v[0]
 * holds [0, 2^m) (m < 5). */
static inline __attribute__((always_inline)) void load16(__m512i *v, const uint16_t *src,
                                                         unsigned m)
{
    if (m < 5) {
        v[0] = _mm512_maskz_loadu_epi16((__mmask32)((1u << (1u << m)) - 1), src);
        return;
    }
    for (size_t j = 0; j < ((size_t)1 << (m - 5)); j++)
        v[j] = _mm512_loadu_si512((const void *)(src + 32 * j));
}

/* The same from 64-bit entries: lane t of a pair (a, b) of 8-entry vectors
 * is the low 16 bits of entry t, t < 16 (lane index 4t mod 64; the upper 16
 * lanes repeat the lower ones). */
static inline __attribute__((always_inline)) void load16w(__m512i *v, const uint64_t *src,
                                                          unsigned m)
{
    const __m512i lo16 = _mm512_and_si512(
        _mm512_slli_epi16(_mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                           17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                           1, 0),
                          2),
        _mm512_set1_epi16(63));
    if (m < 5) {
        const unsigned N = 1u << m, na = N < 8 ? N : 8, nb = N - na;
        const __m512i a = _mm512_maskz_loadu_epi64((__mmask8)((1u << na) - 1), src);
        const __m512i b = _mm512_maskz_loadu_epi64((__mmask8)((1u << nb) - 1), src + 8);
        v[0] = _mm512_permutex2var_epi16(a, lo16, b);
        return;
    }
    for (size_t j = 0; j < ((size_t)1 << (m - 5)); j++) {
        const uint64_t *p = src + 32 * j;
        const __m512i x = _mm512_permutex2var_epi16(_mm512_loadu_si512((const void *)p), lo16,
                                                    _mm512_loadu_si512((const void *)(p + 8)));
        const __m512i y = _mm512_permutex2var_epi16(
            _mm512_loadu_si512((const void *)(p + 16)), lo16,
            _mm512_loadu_si512((const void *)(p + 24)));
        v[j] = _mm512_mask_blend_epi16((__mmask32)0xffff0000u, x, y);
    }
}

/* Widen lanes [8q, 8q + 8) of w to 64-bit values. */
static inline __m512i widen16(__m512i w, unsigned q)
{
    const __m512i idx = _mm512_set_epi16(0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 3,
                                         0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0);
    return _mm512_maskz_permutexvar_epi16((__mmask32)0x11111111u,
                                          _mm512_add_epi16(idx, _mm512_set1_epi16((short)(8 * q))),
                                          w);
}

/* Rotate the lanes of v by s, subtract r, mask, widen into dst. */
static inline __attribute__((always_inline)) void rot16_store(uint64_t *dst, __m512i *v,
                                                              uint64_t s, unsigned m, uint64_t r,
                                                              uint64_t lm)
{
    const __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                          17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
                                          0);
    const __m512i vr = _mm512_set1_epi16((short)(uint16_t)r);
    const __m512i vl = _mm512_set1_epi16((short)(uint16_t)lm);
    if (m < 5) {
        const unsigned N = 1u << m;
        const __m512i idx = _mm512_and_si512(
            _mm512_add_epi16(iota, _mm512_set1_epi16((short)(uint16_t)s)),
            _mm512_set1_epi16((short)(N - 1)));
        const __m512i w =
            _mm512_and_si512(_mm512_sub_epi16(_mm512_permutexvar_epi16(idx, v[0]), vr), vl);
        if (N < 8) {
            _mm512_mask_storeu_epi64(dst, (__mmask8)((1u << N) - 1), widen16(w, 0));
            return;
        }
        for (unsigned q = 0; q < N / 8; q++)
            _mm512_storeu_si512((void *)(dst + 8 * q), widen16(w, q));
        return;
    }
    const size_t NV = (size_t)1 << (m - 5);
    __m512i w[8];
    /* The low five bits of s: one two-source permutation per vector. */
    const __m512i idx = _mm512_add_epi16(iota, _mm512_set1_epi16((short)(s & 31)));
    for (size_t j = 0; j < NV; j++)
        w[j] = _mm512_permutex2var_epi16(v[j], idx, v[(j + 1) & (NV - 1)]);
    /* The other bits: whole-register shifts, selected by mask. */
#pragma GCC unroll 3
    for (unsigned b = 5; b < m; b++) {
        const size_t sh = (size_t)1 << (b - 5);
        const __m512i mk = _mm512_set1_epi16((short)(uint16_t)(0 - ((s >> b) & 1)));
        for (size_t j = 0; j < NV; j++)
            v[j] = _mm512_ternarylogic_epi64(mk, w[(j + sh) & (NV - 1)], w[j], 0xCA);
        for (size_t j = 0; j < NV; j++)
            w[j] = v[j];
    }
    for (size_t j = 0; j < NV; j++) {
        const __m512i x = _mm512_and_si512(_mm512_sub_epi16(w[j], vr), vl);
#pragma GCC unroll 4
        for (unsigned q = 0; q < 4; q++)
            _mm512_storeu_si512((void *)(dst + 32 * j + 8 * q), widen16(x, q));
    }
}

void sirnn_lut_rotate16_avx512(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                               uint64_t r, uint64_t lm)
{
    __m512i v[8];
    switch (m) { /* m is public: one register-resident body per table size */
    case 8:
        load16(v, src, 8);
        rot16_store(dst, v, s, 8, r, lm);
        break;
    case 7:
        load16(v, src, 7);
        rot16_store(dst, v, s, 7, r, lm);
        break;
    case 6:
        load16(v, src, 6);
        rot16_store(dst, v, s, 6, r, lm);
        break;
    default:
        load16(v, src, m);
        rot16_store(dst, v, s, m, r, lm);
        break;
    }
}

void sirnn_lut_rotate16w_avx512(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                                uint64_t r, uint64_t lm)
{
    __m512i v[8];
    switch (m) {
    case 8:
        load16w(v, src, 8);
        rot16_store(dst, v, s, 8, r, lm);
        break;
    case 7:
        load16w(v, src, 7);
        rot16_store(dst, v, s, 7, r, lm);
        break;
    case 6:
        load16w(v, src, 6);
        rot16_store(dst, v, s, 6, r, lm);
        break;
    default:
        load16w(v, src, m);
        rot16_store(dst, v, s, m, r, lm);
        break;
    }
}
