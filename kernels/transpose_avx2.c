/*
 * AVX2 bit transposes: two paths that differ only in how they transpose an
 * 8x8 bit block.
 *
 * A chunk is all R rows (R = 128 or 256) x 16 bytes (128 columns); it
 * becomes 128 output rows of R / 8 bytes. The rows fall into row groups of
 * 8 (group g = rows 8g..8g+7, which make output byte g). Every register
 * holds in lane 0 a piece of row group j and in lane 1 the same piece of row
 * group j + R / 16, so one store can write R / 8 bytes of an output row
 * (R = 256) or two whole output rows (R = 128).
 *
 * 1. Byte transpose: the 8 rows of a group pair, 16 bytes each per lane, go
 *    through three rounds of unpacks (bytes, words, dwords), after which
 *    each 64-bit word holds one byte column of the 8 rows: an 8x8 bit block.
 * 2. Each such block is transposed: one vgf2p8affineqb ("avx2-gfni"), or
 *    three delta swaps of shifts and masks ("avx2"). Byte b of the result
 *    is then output byte j of output row 8c + b, for byte column c.
 * 3. Byte transpose again, across the groups: the same three rounds over 8
 *    group pairs gather 8 output bytes of each output row into a 64-bit
 *    word, and one more 64-bit shuffle makes whole output rows.
 *
 * Between 1-2 and 3 the registers of all groups are parked in an L1 buffer:
 * step 3 needs one register of every group at once. That is about eight
 * shuffles per 32 bytes and no pmovmskb, against twelve or more with 16x16
 * byte transposes and mask extraction (the scheme of transpose_sse2.c).
 *
 * When the row stride is a multiple of 1024 the rows share a few L1 sets;
 * then one pass takes a whole cache line of every row (up to 4 chunks)
 * through steps 1-2 before step 3, so no line has to be loaded twice.
 */
#include "kernels/transpose_impl.h"

#include <immintrin.h>
#include <stdbool.h>

#define SIRNN_GFNI __attribute__((target("gfni")))
#define SIRNN_INLINE static inline __attribute__((always_inline))

enum {
    LINE = 64,              /* bytes of each row in a whole-line pass */
    CONFLICT_STRIDE = 1024, /* strides that are multiples of this get whole-line passes */
    MAX_ROWS = 256,
    MAX_PAIRS = MAX_ROWS / 16 /* row group pairs of a chunk */
};

/* A transpose of every 8x8 bit block (64-bit word, byte u bit b) of a
 * register, with the row order the path wants its input bytes in. */
typedef __m256i (*bits8x8_fn)(__m256i x);

static inline __m128i load128(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline void store256(uint8_t *p, __m256i v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v);
}

/*
 * 8 registers to 8 registers: byte c of lane L of x[u] becomes byte u of
 * 64-bit word c % 2 of lane L of y[c / 2]. Three rounds interleave bytes,
 * then words, then dwords.
 */
SIRNN_INLINE void bytes8x16(__m256i y[8], const __m256i x[8])
{
    __m256i s[8], t[8];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
        s[p] = _mm256_unpacklo_epi8(x[2 * p], x[2 * p + 1]);     /* bytes 0..7 */
        s[p + 4] = _mm256_unpackhi_epi8(x[2 * p], x[2 * p + 1]); /* bytes 8..15 */
    }
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++)
#pragma GCC unroll 2
        for (int q = 0; q < 2; q++) {
            t[4 * h + 2 * q] = _mm256_unpacklo_epi16(s[4 * h + 2 * q], s[4 * h + 2 * q + 1]);
            t[4 * h + 2 * q + 1] = _mm256_unpackhi_epi16(s[4 * h + 2 * q], s[4 * h + 2 * q + 1]);
        }
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++)
#pragma GCC unroll 2
        for (int e = 0; e < 2; e++) {
            y[4 * h + 2 * e] = _mm256_unpacklo_epi32(t[4 * h + e], t[4 * h + 2 + e]);
            y[4 * h + 2 * e + 1] = _mm256_unpackhi_epi32(t[4 * h + e], t[4 * h + 2 + e]);
        }
}

/*
 * One pass: nrows rows x 16 * nchunks bytes at src (row stride `stride`,
 * nchunks <= LINE / 16) to 128 * nchunks output rows of nrows / 8 bytes at
 * dst. Steps 1-2 take each row group pair across the whole width before the
 * next, so every input line is used up at once, whatever the stride (no L1
 * set conflicts, no staging copy). reversed: the 8x8 step wants row
 * 8g + 7 - u in byte u of a block (else row 8g + u).
 */
SIRNN_INLINE void pass_body(uint8_t *dst, const uint8_t *src, size_t stride, size_t nchunks,
                            unsigned nrows, bits8x8_fn bits8x8, bool reversed)
{
    /* park[c][m][j]: register m of row group pair j of chunk c after
     * steps 1-2. */
    _Alignas(32) __m256i park[LINE / 16][8][MAX_PAIRS];
    const unsigned pairs = nrows / 16;
    const size_t half = (size_t)nrows / 2 * stride;
    for (unsigned j = 0; j < pairs; j++) {
        for (size_t c = 0; c < nchunks; c++) {
            __m256i x[8], y[8];
#pragma GCC unroll 8
            for (unsigned u = 0; u < 8; u++) {
                const uint8_t *row =
                    src + (size_t)(8 * j + (reversed ? 7 - u : u)) * stride + 16 * c;
                x[u] = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(row)),
                                               load128(row + half), 1);
            }
            bytes8x16(y, x);
#pragma GCC unroll 8
            for (int m = 0; m < 8; m++)
                park[c][m][j] = bits8x8(y[m]);
        }
    }
    /* Block w of lane L of register m of pair j now has, in byte b, output
     * byte j (+ nrows / 16 in lane 1) of output row 16m + 8w + b of its
     * chunk. The same byte transpose over 8 pairs gives, in word w of lane L
     * of y[k], 8 bytes of output row 16m + 2k + w. */
    const size_t out_row = nrows / 8;
    for (size_t c = 0; c < nchunks; c++) {
#pragma GCC unroll 8
        for (int m = 0; m < 8; m++) {
            __m256i y[8];
            bytes8x16(y, park[c][m]);
            uint8_t *rows = dst + (128 * c + 16 * (size_t)m) * out_row;
            if (nrows == 128) {
                /* Lanes hold bytes 0..7 and 8..15 of rows 16m + 2k, + 1. */
#pragma GCC unroll 8
                for (int k = 0; k < 8; k++)
                    store256(rows + 32 * k, _mm256_permute4x64_epi64(y[k], 0xD8));
            } else {
                /* Pairs 8..15 give bytes 8..15 (lane 0) and 24..31 (lane 1). */
                __m256i z[8];
                bytes8x16(z, park[c][m] + 8);
#pragma GCC unroll 8
                for (int k = 0; k < 8; k++) {
                    store256(rows + 64 * k, _mm256_unpacklo_epi64(y[k], z[k]));
                    store256(rows + 64 * k + 32, _mm256_unpackhi_epi64(y[k], z[k]));
                }
            }
        }
    }
}

/* pass_body with the common cases as constants, so that each gets its own
 * fully unrolled code: a single chunk (strides that need no whole-line
 * passes), and 128 or 256 rows. */
SIRNN_INLINE void pass_any(uint8_t *dst, const uint8_t *src, size_t stride, size_t nchunks,
                           unsigned nrows, bits8x8_fn bits8x8, bool reversed)
{
    if (nchunks == 1) {
        if (nrows == 128)
            pass_body(dst, src, stride, 1, 128, bits8x8, reversed);
        else
            pass_body(dst, src, stride, 1, 256, bits8x8, reversed);
    } else {
        if (nrows == 128)
            pass_body(dst, src, stride, nchunks, 128, bits8x8, reversed);
        else
            pass_body(dst, src, stride, nchunks, 256, bits8x8, reversed);
    }
}

/* Runs the pass kernel over the columns: a cache line of each row per pass
 * when the stride is a multiple of 1024 (the rows then share a few L1 sets
 * and would evict each other before a later pass came back to the line),
 * else 16 bytes per pass (fewer parked registers, measured faster). */
SIRNN_INLINE void transpose_rows(uint8_t *out, const uint8_t *in, size_t in_stride, size_t ncols,
                                 unsigned nrows,
                                 void (*pass)(uint8_t *, const uint8_t *, size_t, size_t, unsigned))
{
    const size_t out_row = nrows / 8;
    const size_t row_bytes = ncols / 8;
    const size_t step = in_stride % CONFLICT_STRIDE == 0 ? LINE : 16;
    for (size_t cb0 = 0; cb0 < row_bytes; cb0 += step) {
        const size_t width = row_bytes - cb0 < step ? row_bytes - cb0 : step;
        pass(out + 8 * cb0 * out_row, in + cb0, in_stride, width / 16, nrows);
    }
}

/* ---- avx2: delta swaps ---- */

/* Transposes each 8x8 bit block in place (byte u bit b <-> byte b bit u):
 * swap the off-diagonal halves of 2x2, then 4x4, then 8x8 sub-blocks. */
static inline __m256i bits8x8_swap(__m256i x)
{
    __m256i t;
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 7)),
                         _mm256_set1_epi64x(0x00AA00AA00AA00AAll));
    x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, 7)));
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 14)),
                         _mm256_set1_epi64x(0x0000CCCC0000CCCCll));
    x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, 14)));
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 28)),
                         _mm256_set1_epi64x(0x00000000F0F0F0F0ll));
    return _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, 28)));
}

__attribute__((noinline)) static void pass_swap(uint8_t *dst, const uint8_t *src, size_t stride,
                                                size_t nchunks, unsigned nrows)
{
    pass_any(dst, src, stride, nchunks, nrows, bits8x8_swap, false);
}

void sirnn_transpose128_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 128, pass_swap);
}

void sirnn_transpose256_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 256, pass_swap);
}

/* ---- avx2-gfni: one affine op per block ---- */

/* With the block as the matrix and byte i of the data = 1 << i, result byte
 * i bit b is bit i of block byte 7 - b: a transpose if the block's bytes
 * come in reversed row order. */
SIRNN_GFNI static inline __m256i bits8x8_gfni(__m256i x)
{
    return _mm256_gf2p8affine_epi64_epi8(_mm256_set1_epi64x((long long)0x8040201008040201ull), x,
                                         0);
}

SIRNN_GFNI __attribute__((noinline)) static void pass_gfni(uint8_t *dst, const uint8_t *src,
                                                           size_t stride, size_t nchunks,
                                                           unsigned nrows)
{
    pass_any(dst, src, stride, nchunks, nrows, bits8x8_gfni, true);
}

void sirnn_transpose128_gfni_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                  size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 128, pass_gfni);
}

void sirnn_transpose256_gfni_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                  size_t ncols)
{
    transpose_rows((uint8_t *)(void *)out, in, in_stride, ncols, 256, pass_gfni);
}
