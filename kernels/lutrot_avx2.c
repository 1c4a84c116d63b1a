/*
 * Constant-time table rotation with AVX2 (kernels/lutrot.h; portable twins
 * in kernels/lutrot.c). AVX2 has no permutation across 16-bit lanes of two
 * registers, so every bit of s is a barrel-shifter pass of masked selects:
 * the bits below one register shift by a byte alignment of a register and
 * its neighbour (vpalignr with a public immediate), the others by whole
 * registers (the 64-bit form takes the low two bits at once, masking the
 * four alignments). No branch, memory index or shuffle index depends on s
 * or r.
 */
#include "kernels/lutrot.h"

#include <immintrin.h>

/* (a || b) shifted down by `bytes` (a public constant, 0 < bytes <= 16):
 * the register that starts `bytes` bytes into a. */
#define SHIFT_PAIR(a, b, bytes)                                                         \
    ((bytes) == 16 ? _mm256_permute2x128_si256((a), (b), 0x21)                          \
                   : _mm256_alignr_epi8(_mm256_permute2x128_si256((a), (b), 0x21), (a), \
                                        (bytes) & 15))

/* x where mk is all ones, else y. */
static inline __m256i select_mask(__m256i mk, __m256i x, __m256i y)
{
    return _mm256_xor_si256(y, _mm256_and_si256(mk, _mm256_xor_si256(x, y)));
}

static inline __m256i bit_mask(uint64_t s, unsigned b)
{
    return _mm256_set1_epi64x((long long)(0 - ((s >> b) & 1)));
}

/* One pass over the NV registers of v: v[j] = bit ? (v[j] || v[j+1]) >> bytes : v[j]. */
#define SUB_PASS(v, NV, bytes, mk)                                                        \
    do {                                                                                  \
        const __m256i first_ = (v)[0];                                                    \
        for (size_t j_ = 0; j_ < (NV); j_++) {                                            \
            const __m256i next_ = j_ + 1 < (NV) ? (v)[j_ + 1] : first_;                   \
            (v)[j_] = select_mask((mk), SHIFT_PAIR((v)[j_], next_, (bytes)), (v)[j_]);    \
        }                                                                                 \
    } while (0)

/* ---- 64-bit entries ---- */

/* All ones iff x == k (public k, secret x), without a branch. */
static inline __m256i eq_mask(uint64_t x, uint64_t k)
{
    return _mm256_set1_epi64x((long long)(0 - (((x ^ k) - 1) >> 63)));
}

static inline __m256i load4(const uint64_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static inline void store4(uint64_t *p, __m256i x)
{
    _mm256_storeu_si256((__m256i *)(void *)p, x);
}

void sirnn_lut_rotate_avx2(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                           unsigned m, uint64_t r, uint64_t lm)
{
    if (m < 2) {
        sirnn_lut_rotate_portable(dst, src, tmp, s, m, r, lm);
        return;
    }
    const size_t N = (size_t)1 << m, NV = N / 4;
    const unsigned passes = m - 1;
    const uint64_t *in = src;
    uint64_t *out = passes % 2 == 1 ? dst : tmp;
    /* The low two bits of s: each output register is one of the four
     * alignments of an input register and the next, all computed and
     * combined under equality masks. */
    const __m256i e0 = eq_mask(s & 3, 0), e1 = eq_mask(s & 3, 1), e2 = eq_mask(s & 3, 2),
                  e3 = eq_mask(s & 3, 3);
    for (size_t j = 0; j < NV; j++) {
        const __m256i a = load4(in + 4 * j), b = load4(in + 4 * ((j + 1) & (NV - 1)));
        const __m256i mid = _mm256_permute2x128_si256(a, b, 0x21);
        const __m256i x = _mm256_or_si256(
            _mm256_or_si256(_mm256_and_si256(e0, a),
                            _mm256_and_si256(e1, _mm256_alignr_epi8(mid, a, 8))),
            _mm256_or_si256(_mm256_and_si256(e2, mid),
                            _mm256_and_si256(e3, _mm256_alignr_epi8(b, mid, 8))));
        store4(out + 4 * j, x);
    }
    in = out;
    /* The other bits: whole-register shifts, selected by mask. */
    for (unsigned b = 2; b < m; b++) {
        out = (m - b) % 2 == 1 ? dst : tmp;
        const size_t shv = (size_t)1 << (b - 2);
        const __m256i mk = bit_mask(s, b);
        for (size_t j = 0; j < NV; j++)
            store4(out + 4 * j,
                   select_mask(mk, load4(in + 4 * ((j + shv) & (NV - 1))), load4(in + 4 * j)));
        in = out;
    }
    const __m256i vr = _mm256_set1_epi64x((long long)r), vl = _mm256_set1_epi64x((long long)lm);
    for (size_t v = 0; v < N; v += 4)
        store4(dst + v, _mm256_and_si256(_mm256_sub_epi64(load4(dst + v), vr), vl));
}

/* ---- 16-bit entries held in registers (l <= 16) ---- */

/* The low 16 bits of 16 consecutive 64-bit entries, in order. */
static inline __m256i narrow16(const uint64_t *p)
{
    const __m256i lo = _mm256_set1_epi64x(0xffff);
    const __m256i a = _mm256_packus_epi32(_mm256_and_si256(load4(p), lo),
                                          _mm256_and_si256(load4(p + 4), lo));
    const __m256i b = _mm256_packus_epi32(_mm256_and_si256(load4(p + 8), lo),
                                          _mm256_and_si256(load4(p + 12), lo));
    /* Per 128-bit half, packus interleaves its sources: the 32-bit pairs
     * come out as entries (0,1) (4,5) (8,9) (12,13) | (2,3) (6,7) ... */
    return _mm256_permutevar8x32_epi32(_mm256_packus_epi32(a, b),
                                       _mm256_set_epi32(7, 3, 6, 2, 5, 1, 4, 0));
}

/* Rotate the NV = 2^(m-4) registers of v (16 entries each) by s, subtract
 * r, mask, widen into dst. */
static inline __attribute__((always_inline)) void rot16_store(uint64_t *dst, __m256i *v,
                                                              size_t NV, uint64_t s, unsigned m,
                                                              uint64_t r, uint64_t lm)
{
    SUB_PASS(v, NV, 2, bit_mask(s, 0));
    SUB_PASS(v, NV, 4, bit_mask(s, 1));
    SUB_PASS(v, NV, 8, bit_mask(s, 2));
    SUB_PASS(v, NV, 16, bit_mask(s, 3));
    __m256i w[16];
    for (unsigned b = 4; b < m; b++) {
        const size_t sh = (size_t)1 << (b - 4);
        const __m256i mk = bit_mask(s, b);
        for (size_t j = 0; j < NV; j++)
            w[j] = select_mask(mk, v[(j + sh) & (NV - 1)], v[j]);
        for (size_t j = 0; j < NV; j++)
            v[j] = w[j];
    }
    const __m256i vr = _mm256_set1_epi16((short)(uint16_t)r);
    const __m256i vl = _mm256_set1_epi16((short)(uint16_t)lm);
    for (size_t j = 0; j < NV; j++) {
        const __m256i x = _mm256_and_si256(_mm256_sub_epi16(v[j], vr), vl);
        const __m128i lo = _mm256_castsi256_si128(x), hi = _mm256_extracti128_si256(x, 1);
        store4(dst + 16 * j, _mm256_cvtepu16_epi64(lo));
        store4(dst + 16 * j + 4, _mm256_cvtepu16_epi64(_mm_srli_si128(lo, 8)));
        store4(dst + 16 * j + 8, _mm256_cvtepu16_epi64(hi));
        store4(dst + 16 * j + 12, _mm256_cvtepu16_epi64(_mm_srli_si128(hi, 8)));
    }
}

void sirnn_lut_rotate16_avx2(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                             uint64_t r, uint64_t lm)
{
    if (m < 4) {
        sirnn_lut_rotate16_portable(dst, src, s, m, r, lm);
        return;
    }
    __m256i v[16];
    const size_t NV = (size_t)1 << (m - 4);
    for (size_t j = 0; j < NV; j++)
        v[j] = _mm256_loadu_si256((const __m256i *)(const void *)(src + 16 * j));
    switch (m) { /* m is public: one body per table size, unrolled */
    case 8:
        rot16_store(dst, v, 16, s, 8, r, lm);
        break;
    case 7:
        rot16_store(dst, v, 8, s, 7, r, lm);
        break;
    default:
        rot16_store(dst, v, NV, s, m, r, lm);
        break;
    }
}

void sirnn_lut_rotate16w_avx2(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                              uint64_t r, uint64_t lm)
{
    if (m < 4) {
        sirnn_lut_rotate16w_portable(dst, src, s, m, r, lm);
        return;
    }
    __m256i v[16];
    const size_t NV = (size_t)1 << (m - 4);
    for (size_t j = 0; j < NV; j++)
        v[j] = narrow16(src + 16 * j);
    switch (m) {
    case 8:
        rot16_store(dst, v, 16, s, 8, r, lm);
        break;
    case 7:
        rot16_store(dst, v, 8, s, 7, r, lm);
        break;
    default:
        rot16_store(dst, v, NV, s, m, r, lm);
        break;
    }
}
