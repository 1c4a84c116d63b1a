/*
 * Element-wise ring operations mod 2^l over arrays of uint64_t (1 <= l <= 64).
 * Results have their bits above l cleared; input bits above l are allowed
 * and do not change the result (they vanish mod 2^l). out may be the same
 * array as any input (out == a), but must not partially overlap one.
 * Constant time: no branch or index depends on the values (they may be
 * shares).
 */
#ifndef SIRNN_KERNELS_RING_H
#define SIRNN_KERNELS_RING_H

#include <stddef.h>
#include <stdint.h>

/* out[i] = a[i] + b[i] mod 2^l */
void sirnn_ring_add(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l);
/* out[i] = a[i] - b[i] mod 2^l */
void sirnn_ring_sub(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l);
/* out[i] = -a[i] mod 2^l */
void sirnn_ring_neg(uint64_t *out, const uint64_t *a, size_t n, unsigned l);
/* out[i] = a[i] * b[i] mod 2^l */
void sirnn_ring_mul(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l);
/* out[i] = a[i] + c mod 2^l */
void sirnn_ring_add_const(uint64_t *out, const uint64_t *a, uint64_t c, size_t n, unsigned l);
/* out[i] = a[i] * c mod 2^l */
void sirnn_ring_mul_const(uint64_t *out, const uint64_t *a, uint64_t c, size_t n, unsigned l);
/* out[i] = a[i] mod 2^l */
void sirnn_ring_reduce(uint64_t *out, const uint64_t *a, size_t n, unsigned l);

#endif /* SIRNN_KERNELS_RING_H */
