/*
 * Ring operations mod 2^l. Each loop reads its inputs before it writes the
 * output element, so out == a (or b) is safe; the bodies are plain uint64_t
 * arithmetic that wraps mod 2^64, masked to l bits.
 */
#include "kernels/ring.h"

#include "kernels/block.h"

void sirnn_ring_add(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (a[i] + b[i]) & mask;
}

void sirnn_ring_sub(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (a[i] - b[i]) & mask;
}

void sirnn_ring_neg(uint64_t *out, const uint64_t *a, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (0 - a[i]) & mask;
}

void sirnn_ring_mul(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (a[i] * b[i]) & mask;
}

void sirnn_ring_add_const(uint64_t *out, const uint64_t *a, uint64_t c, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (a[i] + c) & mask;
}

void sirnn_ring_mul_const(uint64_t *out, const uint64_t *a, uint64_t c, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (a[i] * c) & mask;
}

void sirnn_ring_reduce(uint64_t *out, const uint64_t *a, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] & mask;
}
