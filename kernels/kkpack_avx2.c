/*
 * KK13 combine / select with AVX2 and BMI2 (see kernels/kkpack.h; portable
 * twins in kernels/kkpack.c). combine narrows eight or sixteen 64-bit
 * values per step with packs and one cross-lane permutation, and packs
 * widths that are not whole bytes with pext; select compares lane indices
 * with the choice in vector registers, so every value of an OT is read and
 * the choice only forms masks.
 */
#include "kernels/kkpack.h"
#include "kernels/kkpack_impl.h"

#include <immintrin.h>
#include <string.h>

/* Lanes [0, have) of a 64-bit lane mask (have <= 4). */
static inline __m256i lanes64(size_t have)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)have), _mm256_set_epi64x(3, 2, 1, 0));
}

/* msgs[j] ^ pads[j] for j < have (<= 4), zero beyond; nothing beyond is read. */
static inline __m256i xor4(const uint64_t *msgs, const uint64_t *pads, size_t have)
{
    if (have >= 4)
        return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)msgs),
                                _mm256_loadu_si256((const __m256i *)(const void *)pads));
    if (have == 0)
        return _mm256_setzero_si256();
    const __m256i m = lanes64(have);
    return _mm256_xor_si256(_mm256_maskload_epi64((const long long *)(const void *)msgs, m),
                            _mm256_maskload_epi64((const long long *)(const void *)pads, m));
}

/* Sixteen values (four registers) truncated to 16 bits, in order. */
static inline __m256i narrow16x16(__m256i x0, __m256i x1, __m256i x2, __m256i x3, __m256i keep)
{
    const __m256i a = _mm256_packus_epi32(_mm256_and_si256(x0, keep), _mm256_and_si256(x1, keep));
    const __m256i b = _mm256_packus_epi32(_mm256_and_si256(x2, keep), _mm256_and_si256(x3, keep));
    /* packus works per 128-bit half: the 32-bit pairs come out as values
     * (0,1) (4,5) (8,9) (12,13) | (2,3) (6,7) (10,11) (14,15). */
    return _mm256_permutevar8x32_epi32(_mm256_packus_epi32(a, b),
                                       _mm256_set_epi32(7, 3, 6, 2, 5, 1, 4, 0));
}

/* Values j < have (<= 8) of msgs ^ pads, truncated to lanes of lane bits
 * (8, 16, 32 or 64) and stored little-endian into words (8 words). */
static inline void narrow8(uint64_t words[8], const uint64_t *msgs, const uint64_t *pads,
                           size_t have, unsigned lane)
{
    const __m256i x0 = xor4(msgs, pads, have < 4 ? have : 4);
    const __m256i x1 = xor4(msgs + 4, pads + 4, have > 4 ? have - 4 : 0);
    if (lane == 64) {
        _mm256_storeu_si256((__m256i *)(void *)words, x0);
        _mm256_storeu_si256((__m256i *)(void *)(words + 4), x1);
        return;
    }
    if (lane == 32) {
        const __m256i even = _mm256_set_epi32(6, 4, 2, 0, 6, 4, 2, 0);
        _mm256_storeu_si256((__m256i *)(void *)words,
                            _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(x0, even),
                                                      _mm256_permutevar8x32_epi32(x1, even), 0x20));
        return;
    }
    const __m256i keep = _mm256_set1_epi64x(lane == 8 ? 0xff : 0xffff);
    const __m256i z = _mm256_setzero_si256();
    const __m256i w = narrow16x16(x0, x1, z, z, keep);
    const __m128i lo = _mm256_castsi256_si128(w);
    if (lane == 16)
        _mm_storeu_si128((__m128i *)(void *)words, lo);
    else
        _mm_storel_epi64((__m128i *)(void *)words, _mm_packus_epi16(lo, lo));
}

/* l = 8, 16, 32, 64. */
static void combine_bytes(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                          size_t count, unsigned l)
{
    size_t j = 0;
    if (l == 8 || l == 16) {
        const __m256i keep = _mm256_set1_epi64x(l == 8 ? 0xff : 0xffff);
        for (; j + 16 <= count; j += 16) {
            const __m256i w =
                narrow16x16(xor4(msgs + j, pads + j, 4), xor4(msgs + j + 4, pads + j + 4, 4),
                            xor4(msgs + j + 8, pads + j + 8, 4),
                            xor4(msgs + j + 12, pads + j + 12, 4), keep);
            if (l == 16)
                _mm256_storeu_si256((__m256i *)(void *)(out + 2 * j), w);
            else
                _mm_storeu_si128((__m128i *)(void *)(out + j),
                                 _mm_packus_epi16(_mm256_castsi256_si128(w),
                                                  _mm256_extracti128_si256(w, 1)));
        }
    }
    for (; j < count; j += 8) {
        const size_t have = count - j < 8 ? count - j : 8;
        uint64_t words[8];
        narrow8(words, msgs + j, pads + j, have, l);
        memcpy(out + j * l / 8, words, have * l / 8);
    }
}

/* l < 8, whole groups of eight values (count a multiple of 8): eight values
 * are exactly l bytes, one pext of their low bytes. Each is stored as a
 * whole word whose zero top bytes the next stores overwrite; the groups
 * whose word would reach past the output are written byte by byte. */
static void combine_small(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                          size_t groups, unsigned l)
{
    const uint64_t pat = sirnn_lane_pattern(l, 8);
    for (size_t t = 0; t < groups; t++) {
        uint64_t words[8];
        narrow8(words, msgs + 8 * t, pads + 8 * t, 8, 8);
        const uint64_t bits = _pext_u64(words[0], pat);
        if (l * t + 8 <= l * groups) {
            memcpy(out + l * t, &bits, 8);
        } else {
            for (unsigned b = 0; b < l; b++)
                out[l * t + b] = (uint8_t)(bits >> (8 * b));
        }
    }
}

/* Any l < 64: eight values per step, truncated to the narrowest lane that
 * holds l bits, then each 64-bit word of lanes squeezed with pext and
 * appended to a bit stream. */
static void combine_bits(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                         size_t count, unsigned l)
{
    sirnn_bit_writer w = {out, 0, 0};
    const uint64_t mask = sirnn_mask(l);
    const unsigned lane = l < 8 ? 8 : l < 16 ? 16 : l < 32 ? 32 : 64;
    const uint64_t pat = sirnn_lane_pattern(l, lane);
    const unsigned per_word = 64 / lane, word_bits = per_word * l;
    for (size_t j0 = 0; j0 < count; j0 += 8) {
        const size_t have = count - j0 < 8 ? count - j0 : 8;
        uint64_t words[8];
        narrow8(words, msgs + j0, pads + j0, have, lane);
        /* The last step may hold fewer values: only its whole words and
         * then the values of a partial word are appended. */
        const size_t nwords = (have + per_word - 1) / per_word;
        for (size_t j = 0; j < nwords; j++) {
            const size_t vals = have - j * per_word < per_word ? have - j * per_word : per_word;
            const uint64_t bits = lane == 64 ? words[j] & mask : _pext_u64(words[j], pat);
            sirnn_put_bits(&w, vals == per_word ? bits : bits & sirnn_mask((unsigned)vals * l),
                           vals == per_word ? word_bits : (unsigned)vals * l);
        }
    }
    sirnn_flush_bits(&w);
}

void sirnn_kkot_combine_avx2(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                             size_t count, unsigned l)
{
    if (l == 8 || l == 16 || l == 32 || l == 64) {
        combine_bytes(out, msgs, pads, count, l);
        return;
    }
    if (l < 8) {
        /* The whole groups end on a byte; the rest (< 8 values) follows. */
        const size_t groups = count / 8;
        combine_small(out, msgs, pads, groups, l);
        out += l * groups;
        msgs += 8 * groups;
        pads += 8 * groups;
        count -= 8 * groups;
    }
    combine_bits(out, msgs, pads, count, l);
}

/* Value x of the N values of lane_bytes bytes at yi: a register of lane
 * indices compared with x keeps the one matching lane, the others become
 * zero, and an OR over the registers and lanes gives the value. Values past
 * the last whole register are picked one by one, with masks. */
static uint64_t select_lanes(const uint8_t *yi, unsigned N, unsigned lane_bytes, uint64_t x)
{
    const unsigned per_reg = 32 / lane_bytes;
    __m256i acc = _mm256_setzero_si256();
    unsigned v0 = 0;
    for (; v0 + per_reg <= N; v0 += per_reg) {
        const __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(yi + v0 * lane_bytes));
        __m256i hit;
        switch (lane_bytes) {
        case 1:
            hit = _mm256_cmpeq_epi8(
                _mm256_add_epi8(_mm256_set_epi8(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
                                                19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
                                                6, 5, 4, 3, 2, 1, 0),
                                _mm256_set1_epi8((char)v0)),
                _mm256_set1_epi8((char)x));
            break;
        case 2:
            hit = _mm256_cmpeq_epi16(
                _mm256_add_epi16(_mm256_set_epi16(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                                  1, 0),
                                 _mm256_set1_epi16((short)v0)),
                _mm256_set1_epi16((short)x));
            break;
        case 4:
            hit = _mm256_cmpeq_epi32(
                _mm256_add_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0),
                                 _mm256_set1_epi32((int)v0)),
                _mm256_set1_epi32((int)x));
            break;
        default:
            hit = _mm256_cmpeq_epi64(
                _mm256_add_epi64(_mm256_set_epi64x(3, 2, 1, 0), _mm256_set1_epi64x((long long)v0)),
                _mm256_set1_epi64x((long long)x));
            break;
        }
        acc = _mm256_or_si256(acc, _mm256_and_si256(y, hit));
    }
    const __m128i h = _mm_or_si128(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    uint64_t r = (uint64_t)_mm_cvtsi128_si64(h) | (uint64_t)_mm_extract_epi64(h, 1);
    if (lane_bytes <= 4)
        r |= r >> 32;
    if (lane_bytes <= 2)
        r |= r >> 16;
    if (lane_bytes <= 1)
        r |= r >> 8;
    const uint64_t lane_mask = sirnn_mask(8 * lane_bytes);
    r &= lane_mask;
    for (; v0 < N; v0++) {
        uint64_t val;
        memcpy(&val, yi + v0 * lane_bytes, 8); /* the stream has 8 bytes of slack */
        const uint64_t hit = ((uint64_t)(v0 ^ x) - 1) >> 63;
        r |= val & lane_mask & (0 - hit);
    }
    return r;
}

void sirnn_kkot_select_avx2(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                            const sirnn_block *h, size_t k, unsigned N, unsigned l)
{
    if (!(l == 8 || l == 16 || l == 32 || l == 64) || (size_t)N * l <= 64) {
        /* Narrow y (one word per OT) or widths off the byte grid. */
        sirnn_kkot_select_portable(mc, y, choices, h, k, N, l);
        return;
    }
    const uint64_t mask = sirnn_mask(l);
    const unsigned lane_bytes = l / 8;
    for (size_t i = 0; i < k; i++) {
        const uint64_t v = select_lanes(y + i * N * lane_bytes, N, lane_bytes, choices[i]);
        mc[i] = (v ^ h[i].w[0]) & mask;
    }
}
