/*
 * AVX2 bit transpose: the SSE2 scheme (see transpose_sse2.c, including the
 * staging of power-of-two strides) on two 128-bit lanes. Lane 0 holds rows
 * 32g..32g+15 and lane 1 rows 32g+16..32g+31 of the same 16 bytes, so after
 * the in-lane byte transpose one vpmovmskb yields 32 bits of an output row.
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
