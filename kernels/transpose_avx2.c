/*
 * AVX2 bit transpose: the SSE2 scheme (see transpose_sse2.c, including the
 * staging of power-of-two strides) on two 128-bit lanes. Lane 0 holds rows
 * 32g..32g+15 and lane 1 rows 32g+16..32g+31 of the same 16 bytes, so after
 * the in-lane byte transpose one vpmovmskb yields 32 bits of an output row.
 *
 * "avx2-gfni" (AVX2 + GFNI, VEX-encoded): the 256-bit form of the AVX-512
 * GFNI path (transpose_avx512.c). Per 32 rows, one vgf2p8affineqb per
 * register turns each 8x8 bit block into output bytes, a byte shuffle pairs
 * them; the four 32-row tiles of 128 rows then meet in 4x4 dword transposes,
 * and whole 16-byte pieces of output rows are stored.
 */
#include "kernels/transpose_impl.h"

#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

enum {
    GROUP_ROWS = 32,
    LINE = 64,
    CONFLICT_STRIDE = 1024
};

static inline void transpose16x16_bytes_x2(__m256i x[16])
{
    for (int round = 0; round < 4; round++) {
        __m256i y[16];
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) {
            y[2 * i] = _mm256_unpacklo_epi8(x[i], x[i + 8]);
            y[2 * i + 1] = _mm256_unpackhi_epi8(x[i], x[i + 8]);
        }
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            x[i] = y[i];
    }
}

static inline __m128i load128(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* 32 rows x 16 bytes at src to 128 output rows, writing 4 bytes of each at
 * dst. */
__attribute__((noinline)) static void tile32(uint8_t *dst, size_t out_row, const uint8_t *src, size_t src_stride)
{
    __m256i x[16];
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++)
        x[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(src + i * src_stride)),
                                       load128(src + (i + 16) * src_stride), 1);
    transpose16x16_bytes_x2(x);
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) {
        uint8_t *col = dst + (size_t)(8 * k) * out_row;
#pragma GCC unroll 8
        for (int b = 0; b < 8; b++) {
            uint32_t bits = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi64(x[k], 7 - b));
            memcpy(col + (size_t)b * out_row, &bits, sizeof(bits));
        }
    }
}

static void transpose_rows(uint8_t *out, const uint8_t *in, size_t in_stride, size_t ncols,
                           unsigned nrows)
{
    _Alignas(64) uint8_t stage[GROUP_ROWS * LINE];
    const bool staged = in_stride % CONFLICT_STRIDE == 0;
    const size_t out_row = nrows / 8;
    const size_t row_bytes = ncols / 8;
    for (size_t cb0 = 0; cb0 < row_bytes; cb0 += LINE) {
        const size_t width = row_bytes - cb0 < LINE ? row_bytes - cb0 : LINE;
        for (unsigned g = 0; g < nrows / GROUP_ROWS; g++) {
            const uint8_t *src = in + (size_t)g * GROUP_ROWS * in_stride + cb0;
            size_t src_stride = in_stride;
            if (staged) {
                for (size_t i = 0; i < GROUP_ROWS; i++) {
                    size_t s = 0;
                    for (; s + 32 <= width; s += 32)
                        _mm256_store_si256((__m256i *)(void *)(stage + i * LINE + s),
                                           _mm256_loadu_si256((const __m256i *)(const void *)(src + i * in_stride + s)));
                    if (s < width)
                        _mm_store_si128((__m128i *)(void *)(stage + i * LINE + s),
                                        load128(src + i * in_stride + s));
                }
                src = stage;
                src_stride = LINE;
            }
            for (size_t s = 0; s < width; s += 16)
                tile32(out + 8 * (cb0 + s) * out_row + 4 * g, out_row, src + s, src_stride);
        }
    }
}

void sirnn_transpose128_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 128);
}

void sirnn_transpose256_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 256);
}

/* ---- GFNI path ---- */

#define SIRNN_GFNI __attribute__((target("gfni")))

enum { GFNI_ROWS = 128, GFNI_MAX_ROWS = 256 };

/* One 32-row tile of 16 bytes: d[k][h] dword i (i < 4) holds output bytes
 * 0..3 of this tile for output row 8k + 4h + i. */
SIRNN_GFNI static inline void tile32_words(__m128i d[16][2], const uint8_t *src, size_t stride)
{
    __m256i x[16];
    /* Rows reversed within each 16-row lane, so that the affine op below
     * needs no bit reversal: lane L byte t of x[k] is row 16L + 15 - t. */
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++)
        x[i] = _mm256_inserti128_si256(
            _mm256_castsi128_si256(load128(src + (15 - i) * stride)),
            load128(src + (31 - i) * stride), 1);
    transpose16x16_bytes_x2(x);
    /* The qwords of x[k] are the matrices and byte i = 1 << i the data:
     * byte i of qword h of lane L becomes column bit i of 8 rows, output
     * byte 2L + 1 - h of output row 8k + i; the shuffle pairs them as word
     * i = (byte 2L, byte 2L + 1). */
    const __m256i unit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i pair = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(8, 0, 9, 1, 10, 2, 11, 3, 12, 4, 13, 5, 14, 6, 15, 7));
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) {
        const __m256i z = _mm256_shuffle_epi8(_mm256_gf2p8affine_epi64_epi8(unit, x[k], 0), pair);
        const __m128i lo = _mm256_castsi256_si128(z), hi = _mm256_extracti128_si256(z, 1);
        d[k][0] = _mm_unpacklo_epi16(lo, hi);
        d[k][1] = _mm_unpackhi_epi16(lo, hi);
    }
}

/* 128 rows x 16 bytes at src to 16 bytes of each of 128 output rows of
 * out_row bytes at dst. */
SIRNN_GFNI __attribute__((noinline)) static void chunk128_gfni(uint8_t *dst, size_t out_row,
                                                               const uint8_t *src, size_t stride)
{
    __m128i d[4][16][2];
    for (int t = 0; t < 4; t++)
        tile32_words(d[t], src + (size_t)(32 * t) * stride, stride);
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) {
        for (int h = 0; h < 2; h++) {
            /* Row i of the 4x4 dword matrix (tile, row) is output row 8k + 4h + i. */
            const __m128i t0 = _mm_unpacklo_epi32(d[0][k][h], d[1][k][h]);
            const __m128i t1 = _mm_unpackhi_epi32(d[0][k][h], d[1][k][h]);
            const __m128i t2 = _mm_unpacklo_epi32(d[2][k][h], d[3][k][h]);
            const __m128i t3 = _mm_unpackhi_epi32(d[2][k][h], d[3][k][h]);
            uint8_t *row = dst + (size_t)(8 * k + 4 * h) * out_row;
            _mm_storeu_si128((__m128i *)(void *)row, _mm_unpacklo_epi64(t0, t2));
            _mm_storeu_si128((__m128i *)(void *)(row + out_row), _mm_unpackhi_epi64(t0, t2));
            _mm_storeu_si128((__m128i *)(void *)(row + 2 * out_row), _mm_unpacklo_epi64(t1, t3));
            _mm_storeu_si128((__m128i *)(void *)(row + 3 * out_row), _mm_unpackhi_epi64(t1, t3));
        }
    }
}

static void transpose_rows_gfni(uint8_t *out, const uint8_t *in, size_t in_stride, size_t ncols,
                                unsigned nrows)
{
    _Alignas(64) uint8_t stage[GFNI_MAX_ROWS * LINE];
    const bool staged = in_stride % CONFLICT_STRIDE == 0;
    const size_t out_row = nrows / 8;
    const size_t row_bytes = ncols / 8;
    for (size_t cb0 = 0; cb0 < row_bytes; cb0 += LINE) {
        const size_t width = row_bytes - cb0 < LINE ? row_bytes - cb0 : LINE;
        const uint8_t *src = in + cb0;
        size_t src_stride = in_stride;
        if (staged) {
            for (size_t i = 0; i < nrows; i++)
                for (size_t s = 0; s < width; s += 16)
                    _mm_store_si128((__m128i *)(void *)(stage + i * LINE + s),
                                    load128(src + i * in_stride + s));
            src = stage;
            src_stride = LINE;
        }
        for (size_t s = 0; s < width; s += 16)
            for (unsigned g = 0; g < nrows / GFNI_ROWS; g++)
                chunk128_gfni(out + 8 * (cb0 + s) * out_row + 16 * g, out_row,
                              src + s + (size_t)g * GFNI_ROWS * src_stride, src_stride);
    }
}

void sirnn_transpose128_gfni_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                  size_t ncols)
{
    transpose_rows_gfni((uint8_t *)(void *)out, in, in_stride, ncols, 128);
}

void sirnn_transpose256_gfni_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                  size_t ncols)
{
    transpose_rows_gfni((uint8_t *)(void *)out, in, in_stride, ncols, 256);
}
