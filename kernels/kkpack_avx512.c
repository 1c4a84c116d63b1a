/*
 * KK13 combine / select with AVX-512 (see kernels/kkpack.h; portable twins
 * in kernels/kkpack.c). combine truncates eight 64-bit values per register
 * (vpmov*) and packs widths that are not whole bytes with pext; select
 * compares lane indices with the choice in vector registers, so every value
 * of an OT is read and the choice only forms masks.
 */
#include "kernels/kkpack.h"
#include "kernels/kkpack_impl.h"

#include <immintrin.h>
#include <string.h>

/* l = 8, 16, 32, 64: truncating stores (vpmov*), the tail masked. */
static void combine_bytes(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                          size_t count, unsigned l)
{
    const size_t full = count / 8, rest = count % 8;
    for (size_t t = 0; t < full; t++) {
        const __m512i y = _mm512_xor_si512(_mm512_loadu_si512(msgs + 8 * t),
                                           _mm512_loadu_si512(pads + 8 * t));
        if (l == 8)
            _mm_storel_epi64((__m128i *)(void *)(out + 8 * t), _mm512_cvtepi64_epi8(y));
        else if (l == 16)
            _mm_storeu_si128((__m128i *)(void *)(out + 16 * t), _mm512_cvtepi64_epi16(y));
        else if (l == 32)
            _mm256_storeu_si256((__m256i *)(void *)(out + 32 * t), _mm512_cvtepi64_epi32(y));
        else
            _mm512_storeu_si512(out + 64 * t, y);
    }
    if (rest > 0) {
        const __mmask8 tail = (__mmask8)((1u << rest) - 1u);
        const __m512i y = _mm512_xor_si512(_mm512_maskz_loadu_epi64(tail, msgs + 8 * full),
                                           _mm512_maskz_loadu_epi64(tail, pads + 8 * full));
        uint8_t *o = out + full * l;
        if (l == 8)
            _mm512_mask_cvtepi64_storeu_epi8(o, tail, y);
        else if (l == 16)
            _mm512_mask_cvtepi64_storeu_epi16(o, tail, y);
        else if (l == 32)
            _mm512_mask_cvtepi64_storeu_epi32(o, tail, y);
        else
            _mm512_mask_storeu_epi64(o, tail, y);
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
        const __m512i y = _mm512_xor_si512(_mm512_loadu_si512(msgs + 8 * t),
                                           _mm512_loadu_si512(pads + 8 * t));
        const uint64_t bits =
            _pext_u64((uint64_t)_mm_cvtsi128_si64(_mm512_cvtepi64_epi8(y)), pat);
        if (l * t + 8 <= l * groups) {
            memcpy(out + l * t, &bits, 8);
        } else {
            for (unsigned b = 0; b < l; b++)
                out[l * t + b] = (uint8_t)(bits >> (8 * b));
        }
    }
}

/* Any l < 64: eight values per register, truncated to the narrowest lane
 * that holds l bits, then each 64-bit word of lanes squeezed with pext and
 * appended to a bit stream. */
static void combine_bits(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                         size_t count, unsigned l)
{
    const size_t full = count / 8, rest = count % 8;
    sirnn_bit_writer w = {out, 0, 0};
    const uint64_t mask = sirnn_mask(l);
    const unsigned lane = l < 8 ? 8 : l < 16 ? 16 : l < 32 ? 32 : 64;
    const uint64_t pat = sirnn_lane_pattern(l, lane);
    const unsigned per_word = 64 / lane, word_bits = per_word * l;
    for (size_t t = 0; t <= full; t++) {
        const size_t have = t < full ? 8 : rest;
        if (have == 0)
            break;
        const __mmask8 m = (__mmask8)((1u << have) - 1u);
        const __m512i y = _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, msgs + 8 * t),
                                           _mm512_maskz_loadu_epi64(m, pads + 8 * t));
        uint64_t words[8];
        if (lane == 8) {
            _mm_storel_epi64((__m128i *)(void *)words, _mm512_cvtepi64_epi8(y));
        } else if (lane == 16) {
            _mm_storeu_si128((__m128i *)(void *)words, _mm512_cvtepi64_epi16(y));
        } else if (lane == 32) {
            _mm256_storeu_si256((__m256i *)(void *)words, _mm512_cvtepi64_epi32(y));
        } else {
            _mm512_storeu_si512(words, y);
        }
        /* The last register may hold fewer values: only its whole words
         * and then the values of a partial word are appended. */
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

void sirnn_kkot_combine_avx512(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
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

/* Select for byte-aligned widths: y_i is N lanes of `lane_bytes` bytes at
 * y + i * N * lane_bytes. Lane v (an index vector) matches x in exactly one
 * lane; that lane is kept by a mask move and the rest stay zero, so an OR
 * over the register gives the value. */
static uint64_t select_lanes(const uint8_t *yi, unsigned N, unsigned lane_bytes, uint64_t x)
{
    const unsigned per_reg = 64 / lane_bytes;
    __m512i acc = _mm512_setzero_si512();
    for (unsigned v0 = 0; v0 < N; v0 += per_reg) {
        const unsigned have = N - v0 < per_reg ? N - v0 : per_reg;
        switch (lane_bytes) {
        case 1: {
            const __mmask64 m = have == 64 ? ~(__mmask64)0 : (((__mmask64)1 << have) - 1);
            const __m512i idx = _mm512_add_epi8(
                _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48,
                                47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
                                31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                _mm512_set1_epi8((char)v0));
            const __mmask64 hit =
                _mm512_cmpeq_epi8_mask(idx, _mm512_set1_epi8((char)x)) & m;
            acc = _mm512_mask_mov_epi8(acc, hit, _mm512_maskz_loadu_epi8(m, yi + v0));
            break;
        }
        case 2: {
            const __mmask32 m = have == 32 ? ~(__mmask32)0 : (((__mmask32)1 << have) - 1);
            const __m512i idx = _mm512_add_epi16(
                _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                _mm512_set1_epi16((short)v0));
            const __mmask32 hit =
                _mm512_cmpeq_epi16_mask(idx, _mm512_set1_epi16((short)x)) & m;
            acc = _mm512_mask_mov_epi16(acc, hit, _mm512_maskz_loadu_epi16(m, yi + 2 * v0));
            break;
        }
        case 4: {
            const __mmask16 m = (__mmask16)(have == 16 ? 0xffffu : ((1u << have) - 1));
            const __m512i idx = _mm512_add_epi32(
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                _mm512_set1_epi32((int)v0));
            const __mmask16 hit =
                _mm512_cmpeq_epi32_mask(idx, _mm512_set1_epi32((int)x)) & m;
            acc = _mm512_mask_mov_epi32(acc, hit, _mm512_maskz_loadu_epi32(m, yi + 4 * v0));
            break;
        }
        default: {
            const __mmask8 m = (__mmask8)((1u << have) - 1);
            const __m512i idx = _mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
                                                 _mm512_set1_epi64((long long)v0));
            const __mmask8 hit =
                _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64((long long)x)) & m;
            acc = _mm512_mask_mov_epi64(acc, hit, _mm512_maskz_loadu_epi64(m, yi + 8 * v0));
            break;
        }
        }
    }
    uint64_t r = (uint64_t)_mm512_reduce_or_epi64(acc);
    if (lane_bytes <= 4)
        r |= r >> 32;
    if (lane_bytes <= 2)
        r |= r >> 16;
    if (lane_bytes <= 1)
        r |= r >> 8;
    return r;
}

void sirnn_kkot_select_avx512(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
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
