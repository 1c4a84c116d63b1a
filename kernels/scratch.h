/*
 * Scratch buffers for protocol engines: 64-byte aligned (whole cache lines,
 * so SIMD loads of blocks never split), zero-filled, and wiped on release
 * because they hold OT rows, pads and shares.
 */
#ifndef SIRNN_KERNELS_SCRATCH_H
#define SIRNN_KERNELS_SCRATCH_H

#include <stddef.h>

/* bytes rounded up to 64 (at least 64), zeroed; NULL if out of memory. */
void *sirnn_scratch_alloc(size_t bytes);
/* Wipe the first `bytes` bytes and free; NULL is a no-op. */
void sirnn_scratch_free(void *p, size_t bytes);

#endif /* SIRNN_KERNELS_SCRATCH_H */
