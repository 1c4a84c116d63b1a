/*
 * SSE2 bit transpose. A tile of 16 rows x 16 bytes is byte-transposed in
 * registers so that each register holds one byte column of 16 rows; then
 * pmovmskb takes one bit column (16 output bits) at a time, after a 64-bit
 * shift has moved that bit of every byte into the byte's sign position.
 *
 * Input is consumed a cache line (64 bytes of each row) at a time. When the
 * row stride is a multiple of 1024 the rows of a group fall into a few L1
 * sets and evict each other before their lines are used up, so those lines
 * are first copied into a small staging buffer.
 */
#include "kernels/transpose_impl.h"

#include <emmintrin.h>
#include <stdbool.h>
#include <string.h>

enum {
    GROUP_ROWS = 16,      /* rows per register tile */
    LINE = 64,            /* bytes of each row consumed per pass */
    CONFLICT_STRIDE = 1024 /* strides that are multiples of this are staged */
};

/*
 * 16x16 byte transpose: x[r] byte b becomes x[b] byte r. Each round
 * interleaves register i with register i + 8, which rotates the 8-bit index
 * (register, byte) left by one; four rounds swap its halves.
 */
static inline void transpose16x16_bytes(__m128i x[16])
{
    for (int round = 0; round < 4; round++) {
        __m128i y[16];
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) {
            y[2 * i] = _mm_unpacklo_epi8(x[i], x[i + 8]);
            y[2 * i + 1] = _mm_unpackhi_epi8(x[i], x[i + 8]);
        }
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            x[i] = y[i];
    }
}

/* 16 rows x 16 bytes at src to 128 output rows of out_row bytes, writing 2
 * bytes of each at dst. */
__attribute__((noinline)) static void tile16(uint8_t *dst, size_t out_row, const uint8_t *src, size_t src_stride)
{
    __m128i x[16];
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++)
        x[i] = _mm_loadu_si128((const __m128i *)(const void *)(src + i * src_stride));
    transpose16x16_bytes(x);
    /* x[k] holds byte k of the 16 rows: output rows 8k..8k+7. */
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) {
        uint8_t *col = dst + (size_t)(8 * k) * out_row;
#pragma GCC unroll 8
        for (int b = 0; b < 8; b++) {
            uint16_t bits = (uint16_t)_mm_movemask_epi8(_mm_slli_epi64(x[k], 7 - b));
            memcpy(col + (size_t)b * out_row, &bits, sizeof(bits));
        }
    }
}

/* nrows input rows; output row c is out + c * nrows / 8. */
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
                for (size_t i = 0; i < GROUP_ROWS; i++)
                    for (size_t s = 0; s < width; s += 16)
                        _mm_store_si128((__m128i *)(void *)(stage + i * LINE + s),
                                        _mm_loadu_si128((const __m128i *)(const void *)(src + i * in_stride + s)));
                src = stage;
                src_stride = LINE;
            }
            for (size_t s = 0; s < width; s += 16)
                tile16(out + 8 * (cb0 + s) * out_row + 2 * g, out_row, src + s, src_stride);
        }
    }
}

void sirnn_transpose128_sse2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 128);
}

void sirnn_transpose256_sse2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 256);
}
