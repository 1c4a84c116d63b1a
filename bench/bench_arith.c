/*
 * Benchmarks of arith/: both parties in this process over loopback TCP,
 * the server (party 0) on one thread and the client on another.
 *
 *   millionaire  l (default 32), m (leaf size, default 4), eq=1 also
 *                computes equality; party 0 holds x, party 1 holds y
 *   eq           l (default 32), m (default 4)
 *   wrap, msb    l (default 32), on a shared l-bit value
 *   b2a, mux     l (default 32)
 *   and          (bits)
 *   relu         l (default 32)
 *
 * Measured with bench_two_party() (bench/bench_2pc.c).
 */
#include "bench/bench.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/party.h"

typedef enum arith_kernel { K_MILL, K_EQ, K_WRAP, K_MSB, K_B2A, K_MUX, K_AND, K_RELU } arith_kernel;

typedef struct arith_bench {
    arith_kernel kern;
    size_t n;
    unsigned l, m, eq;
    uint64_t *x[2], *out[2];
    uint8_t *a[2], *b[2], *o[2], *e[2];
} arith_bench;

static sirnn_status arith_call(arith_bench *b, sirnn_party *p, int r, size_t n)
{
    switch (b->kern) {
    case K_MILL:
        return sirnn_millionaire(p, n, b->o[r], b->eq ? b->e[r] : NULL, b->x[r], b->l, b->m,
                                 SIRNN_CMP_LT);
    case K_EQ:
        return sirnn_eq(p, n, b->e[r], b->x[r], b->l, b->m);
    case K_WRAP:
        return sirnn_wrap(p, n, b->o[r], b->x[r], b->l);
    case K_MSB:
        return sirnn_msb(p, n, b->o[r], b->x[r], b->l);
    case K_B2A:
        return sirnn_b2a(p, n, b->out[r], b->a[r], b->l);
    case K_MUX:
        return sirnn_mux(p, n, b->out[r], b->a[r], b->x[r], b->l);
    case K_AND:
        return sirnn_and(p, n, b->o[r], b->a[r], b->b[r]);
    case K_RELU:
        return sirnn_relu(p, n, b->out[r], NULL, b->x[r], b->l);
    }
    return SIRNN_ERR_ARG;
}

static void free_buffers(arith_bench *b)
{
    for (int r = 0; r < 2; r++) {
        free(b->x[r]);
        free(b->out[r]);
        free(b->a[r]);
        free(b->b[r]);
        free(b->o[r]);
        free(b->e[r]);
    }
}

static int alloc_buffers(arith_bench *b)
{
    const size_t n = b->n;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int r = 0; r < 2; r++) {
        b->x[r] = malloc(n * sizeof(uint64_t));
        b->out[r] = malloc(n * sizeof(uint64_t));
        b->a[r] = malloc(n);
        b->b[r] = malloc(n);
        b->o[r] = malloc(n);
        b->e[r] = malloc(n);
        if (!b->x[r] || !b->out[r] || !b->a[r] || !b->b[r] || !b->o[r] || !b->e[r])
            return -1;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            b->x[r][i] = (s ^ (s >> 31)) & (b->l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << b->l) - 1);
            b->a[r][i] = (uint8_t)((s >> 40) & 1);
            b->b[r][i] = (uint8_t)((s >> 41) & 1);
        }
    }
    return 0;
}

static int arith_bench_call(void *ctx, sirnn_party *party, int role, size_t n)
{
    return arith_call(ctx, party, role, n);
}

static int run_arith_bench(arith_bench *b, const bench_params *p, bench_result *r)
{
    b->n = p->n;
    int rc = b->n == 0 || alloc_buffers(b) != 0 ? 1 : bench_two_party(p, arith_bench_call, b, r);
    free_buffers(b);
    return rc;
}

static int bench_kernel_l(const bench_params *p, bench_result *r, arith_kernel kern,
                          int with_m)
{
    const long long l = bench_param_int(p, "l", 32);
    const long long m = bench_param_int(p, "m", 4);
    const long long eq = bench_param_int(p, "eq", 0);
    if (l < 1 || l > 64 || m < 1 || m > 8)
        return 1;
    arith_bench b = {.kern = kern, .l = (unsigned)l, .m = (unsigned)m, .eq = eq != 0};
    int rc = run_arith_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    if (with_m)
        bench_extra_int(r, "m", m);
    if (kern == K_MILL)
        bench_extra_int(r, "eq", eq != 0);
    return rc;
}

static int bench_millionaire(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_MILL, 1);
}

static int bench_eq(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_EQ, 1);
}

static int bench_wrap(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_WRAP, 0);
}

static int bench_msb(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_MSB, 0);
}

static int bench_b2a(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_B2A, 0);
}

static int bench_mux(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_MUX, 0);
}

static int bench_relu(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_RELU, 0);
}

static int bench_and(const bench_params *p, bench_result *r)
{
    arith_bench b = {.kern = K_AND, .l = 1};
    return run_arith_bench(&b, p, r);
}

const bench_kernel bench_group_arith[] = {
    {"millionaire", "l=32 m=4 eq=0 (party 0 x, party 1 y)", (size_t)1 << 20, bench_millionaire},
    {"eq", "l=32 m=4", (size_t)1 << 20, bench_eq},
    {"wrap", "l=32", (size_t)1 << 20, bench_wrap},
    {"msb", "l=32", (size_t)1 << 20, bench_msb},
    {"b2a", "l=32", (size_t)1 << 20, bench_b2a},
    {"mux", "l=32", (size_t)1 << 20, bench_mux},
    {"and", "", (size_t)1 << 20, bench_and},
    {"relu", "l=32", (size_t)1 << 20, bench_relu},
    {NULL, NULL, 0, NULL},
};
