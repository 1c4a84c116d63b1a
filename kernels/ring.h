/*
 * Element-wise ring operations mod 2^l over arrays of uint64_t (1 <= l <= 64).
 * Results have their bits above l cleared. out may alias any input.
 */
#ifndef SIRNN_KERNELS_RING_H
#define SIRNN_KERNELS_RING_H

#include <stddef.h>
#include <stdint.h>

void sirnn_ring_add(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l);
void sirnn_ring_sub(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l);
void sirnn_ring_neg(uint64_t *out, const uint64_t *a, size_t n, unsigned l);
void sirnn_ring_mul(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l);
void sirnn_ring_add_const(uint64_t *out, const uint64_t *a, uint64_t c, size_t n, unsigned l);
void sirnn_ring_mul_const(uint64_t *out, const uint64_t *a, uint64_t c, size_t n, unsigned l);
void sirnn_ring_reduce(uint64_t *out, const uint64_t *a, size_t n, unsigned l);

#endif /* SIRNN_KERNELS_RING_H */
