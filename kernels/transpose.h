/*
 * Bit-matrix transposes for OT extension.
 *
 * Input: R rows (R = 128 or 256) of ncols bits each; row r starts at
 * in + r * in_stride and its column c is bit (c % 8) of byte c / 8 (LSB
 * first). ncols is a multiple of 128 (0 is allowed and does nothing);
 * in_stride >= ncols / 8, any alignment.
 * Output: ncols rows of R bits: row c is out[c] (R = 128) or out[2c], out[2c+1]
 * (R = 256), and row r of the input is bit (r % 64) of word r / 64 of it.
 * So as bytes, output row c is R / 8 bytes and byte j of it holds input rows
 * 8j..8j+7 (LSB first).
 * out must not overlap in. The data may be secret: every path is free of
 * data-dependent branches and memory indices.
 *
 * sirnn_transpose128/256 run the active dispatch table's path (see
 * kernels/cpu.h); the _portable twins are plain C and always available.
 */
#ifndef SIRNN_KERNELS_TRANSPOSE_H
#define SIRNN_KERNELS_TRANSPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

void sirnn_transpose128(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
void sirnn_transpose256(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);

void sirnn_transpose128_portable(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
void sirnn_transpose256_portable(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);

#endif /* SIRNN_KERNELS_TRANSPOSE_H */
