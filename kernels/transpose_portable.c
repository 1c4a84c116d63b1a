/*
 * Portable bit transpose: 64x64 blocks on 64-bit words, transposed in place
 * by Eklundh's recursive block swaps (six stages of shift-and-mask).
 */
#include "kernels/transpose.h"

#include <string.h>

/* Little-endian 64-bit load, so column c of a row is bit c of the word. */
static inline uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
#else
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
#endif
}

/*
 * Transpose a 64x64 bit matrix: row i is m[i], column j is bit j. Stage d
 * swaps, for every row pair (k, k + d) with bit d of k clear, the bits whose
 * column has bit d clear in row k + d with the matching columns + d of row k;
 * after the stages for d = 32..1 bit (i, j) has moved to (j, i).
 */
static void transpose64(uint64_t m[64])
{
    static const uint64_t masks[6] = {
        0x00000000FFFFFFFFull, 0x0000FFFF0000FFFFull, 0x00FF00FF00FF00FFull,
        0x0F0F0F0F0F0F0F0Full, 0x3333333333333333ull, 0x5555555555555555ull,
    };
    unsigned d = 32;
    for (unsigned s = 0; s < 6; s++, d >>= 1) {
        const uint64_t mask = masks[s];
        for (unsigned base = 0; base < 64; base += 2 * d) {
            for (unsigned k = base; k < base + d; k++) {
                uint64_t t = ((m[k] >> d) ^ m[k + d]) & mask;
                m[k] ^= t << d;
                m[k + d] ^= t;
            }
        }
    }
}

/*
 * nrows = 64 * words_per_row input rows; output row c is the words
 * out_words[c * words_per_row + h], h = row / 64.
 */
static void transpose_rows(uint64_t *out_words, unsigned words_per_row, const uint8_t *in,
                           size_t in_stride, size_t ncols)
{
    uint64_t m[64];
    for (size_t c0 = 0; c0 < ncols; c0 += 64) {
        for (unsigned h = 0; h < words_per_row; h++) {
            const uint8_t *src = in + (size_t)h * 64 * in_stride + c0 / 8;
            for (unsigned i = 0; i < 64; i++)
                m[i] = load_le64(src + i * in_stride);
            transpose64(m);
            uint64_t *dst = out_words + c0 * words_per_row + h;
            for (unsigned i = 0; i < 64; i++)
                dst[(size_t)i * words_per_row] = m[i];
        }
    }
}

void sirnn_transpose128_portable(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint64_t *)(void *)out, 2, in, in_stride, ncols);
}

void sirnn_transpose256_portable(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    transpose_rows((uint64_t *)(void *)out, 4, in, in_stride, ncols);
}
