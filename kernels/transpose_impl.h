/*
 * The ISA-specific transpose paths behind kernels/transpose.h. Each has the
 * contract of sirnn_transpose128 / sirnn_transpose256 and may only be called
 * when the machine has the features named in its comment; the dispatcher
 * (kernels/transpose.c) makes that choice.
 */
#ifndef SIRNN_KERNELS_TRANSPOSE_IMPL_H
#define SIRNN_KERNELS_TRANSPOSE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

/* One implementation of both transposes, with its name as reported in
 * sirnn_kernel_table.transpose_impl. */
typedef struct sirnn_transpose_path {
    const char *name;
    void (*transpose128)(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
    void (*transpose256)(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
} sirnn_transpose_path;

/* Number of implemented paths, whether or not this machine can run them. */
#define SIRNN_TRANSPOSE_PATH_COUNT 6

/* Path i (0 = portable; higher is faster where available). Returns false,
 * leaving *out unset, if i is out of range or this machine lacks the path's
 * CPU features. Lets tests and benchmarks reach paths that the dispatch
 * table shadows with a faster one. */
bool sirnn_transpose_path_get(size_t i, sirnn_transpose_path *out);

/* SSE2 (baseline x86-64): 16x16 byte transposes + pmovmskb. */
void sirnn_transpose128_sse2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
void sirnn_transpose256_sse2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);

/* AVX2: 8x8 byte transposes around an 8x8 bit transpose of shifts and
 * masks (see transpose_avx2.c). */
void sirnn_transpose128_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
void sirnn_transpose256_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);

/* AVX2 + GFNI: the same with one vgf2p8affineqb as the 8x8 bit
 * transpose. */
void sirnn_transpose128_gfni_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                  size_t ncols);
void sirnn_transpose256_gfni_avx2(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                  size_t ncols);

/* AVX-512 F/BW: the same on four lanes, 64-bit masks. */
void sirnn_transpose128_avx512(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);
void sirnn_transpose256_avx512(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);

/* AVX-512 F/BW + GFNI: byte transposes, vgf2p8affineqb 8x8 bit transposes,
 * word shuffles and full-width stores. */
void sirnn_transpose128_gfni_avx512(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                    size_t ncols);
void sirnn_transpose256_gfni_avx512(sirnn_block *out, const uint8_t *in, size_t in_stride,
                                    size_t ncols);

#endif /* SIRNN_KERNELS_TRANSPOSE_IMPL_H */
