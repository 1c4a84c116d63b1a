/*
 * Benchmarks of the SIRNN multiplication family: both parties in this
 * process over loopback TCP, the server on one thread, the client on
 * another, measured with bench_two_party() (bench/bench_2pc.c).
 *
 *   mult    m, k, l (m x k -> l bits, default 16 x 16 -> 32), signed=0/1,
 *           msb=1 (both MSBs known: sirnn_mult_msb), lean=1 (x's MSB known,
 *           l <= k, party 1 choosing: sirnn_mult_lean)
 *   matmul  d2, d3, bits; n = d1 (server weights in the clear; per row),
 *           msb=1 (A's MSB shares known: sirnn_matmul_clear_msb)
 */
#include "bench/bench.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/party.h"

typedef struct mult_bench {
    size_t n;
    unsigned m, k, l, sgn, msb, lean;
    int mm;              /* matmul: n is d1 (rows of A) */
    size_t d2, d3;
    uint64_t *x[2], *y[2], *out[2];
    uint8_t *mx[2], *my[2];
} mult_bench;

static sirnn_status mult_call(mult_bench *b, sirnn_party *p, int r, size_t n)
{
    if (b->mm && b->msb)
        return sirnn_matmul_clear_msb(p, n, b->d2, b->d3, b->out[r], b->x[r], b->mx[r],
                                      r == 0 ? b->y[r] : NULL, b->m, b->k, 0, b->l, (int)b->sgn);
    if (b->mm)
        return sirnn_matmul_clear(p, n, b->d2, b->d3, b->out[r], b->x[r], r == 0 ? b->y[r] : NULL,
                                  b->m, b->k, 0, b->l, (int)b->sgn);
    if (b->lean)
        return sirnn_mult_lean(p, n, b->out[r], b->x[r], b->y[r], b->mx[r], b->m, b->k, b->l,
                               (int)b->sgn, SIRNN_CLIENT);
    if (b->msb)
        return sirnn_mult_msb(p, n, b->out[r], b->x[r], b->y[r], b->mx[r], b->my[r], b->m, b->k,
                              b->l, (int)b->sgn);
    return sirnn_mult(p, n, b->out[r], b->x[r], b->y[r], b->m, b->k, b->l, (int)b->sgn);
}

static void free_buffers(mult_bench *b)
{
    for (int r = 0; r < 2; r++) {
        free(b->x[r]);
        free(b->y[r]);
        free(b->out[r]);
        free(b->mx[r]);
        free(b->my[r]);
    }
}

static int alloc_buffers(mult_bench *b)
{
    const size_t n = b->mm ? b->n * (b->d2 + b->d3) + b->d2 * b->d3 : b->n;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int r = 0; r < 2; r++) {
        b->x[r] = malloc(n * sizeof(uint64_t));
        b->y[r] = malloc(n * sizeof(uint64_t));
        b->out[r] = malloc(n * sizeof(uint64_t));
        b->mx[r] = malloc(n);
        b->my[r] = malloc(n);
        if (!b->x[r] || !b->y[r] || !b->out[r] || !b->mx[r] || !b->my[r])
            return -1;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            b->x[r][i] = s ^ (s >> 31);
            b->y[r][i] = s ^ (s >> 17);
            b->mx[r][i] = (uint8_t)((s >> 40) & 1);
            b->my[r][i] = (uint8_t)((s >> 41) & 1);
        }
    }
    return 0;
}

static int mult_bench_call(void *ctx, sirnn_party *party, int role, size_t n)
{
    return mult_call(ctx, party, role, n);
}

static int run_mult_bench(mult_bench *b, const bench_params *p, bench_result *r)
{
    b->n = p->n;
    int rc = b->n == 0 || alloc_buffers(b) != 0 ? 1 : bench_two_party(p, mult_bench_call, b, r);
    free_buffers(b);
    return rc;
}

static int bench_mult(const bench_params *p, bench_result *r)
{
    const long long m = bench_param_int(p, "m", 16);
    const long long k = bench_param_int(p, "k", 16);
    const long long l = bench_param_int(p, "l", 32);
    const long long sgn = bench_param_int(p, "signed", 0);
    const long long msb = bench_param_int(p, "msb", 0);
    const long long lean = bench_param_int(p, "lean", 0);
    if (m < 1 || m > 64 || k < 1 || k > 64 || l < 1 || l > 64 || l > m + k || (lean && l > k))
        return 1;
    mult_bench b = {.m = (unsigned)m, .k = (unsigned)k, .l = (unsigned)l,
                    .sgn = sgn != 0, .msb = msb != 0, .lean = lean != 0};
    int rc = run_mult_bench(&b, p, r);
    bench_extra_int(r, "m", m);
    bench_extra_int(r, "k", k);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "signed", sgn != 0);
    if (msb)
        bench_extra_int(r, "msb", 1);
    if (lean)
        bench_extra_int(r, "lean", 1);
    return rc;
}

/* Row-batched product with the server's weights in the clear: n is d1; the
 * figures are per row of A (d2 x d3 weights, bits-bit A and W, signed,
 * accumulated in 2 bits + ceil(log2 d2), no truncation). */
static int bench_matmul(const bench_params *p, bench_result *r)
{
    const long long d2 = bench_param_int(p, "d2", 32);
    const long long d3 = bench_param_int(p, "d3", 32);
    const long long bits = bench_param_int(p, "bits", 16);
    const long long msb = bench_param_int(p, "msb", 0);
    unsigned lg = 0;
    while (d2 > 0 && ((long long)1 << lg) < d2)
        lg++;
    if (d2 < 1 || d3 < 1 || d2 > 4096 || d3 > 4096 || bits < 1 || 2 * bits + lg > 64)
        return 1;
    mult_bench b = {.m = (unsigned)bits, .k = (unsigned)bits, .l = (unsigned)(2 * bits + lg),
                    .sgn = 1, .msb = msb != 0, .mm = 1, .d2 = (size_t)d2, .d3 = (size_t)d3};
    int rc = run_mult_bench(&b, p, r);
    bench_extra_int(r, "d1", (long long)p->n);
    bench_extra_int(r, "d2", d2);
    bench_extra_int(r, "d3", d3);
    bench_extra_int(r, "bits", bits);
    if (msb)
        bench_extra_int(r, "msb", 1);
    return rc;
}

const bench_kernel bench_group_mult[] = {
    {"mult", "m=16 k=16 l=32 signed=0 msb=0 lean=0", (size_t)1 << 20, bench_mult},
    {"matmul", "d2=32 d3=32 bits=16 msb=0 (n = d1; server weights in the clear; per row)", 1024,
     bench_matmul},
    {NULL, NULL, 0, NULL},
};
