/*
 * Benchmarks of exp, sigmoid and tanh (math/exp.c, math/sigmoid.c),
 * measured with bench_two_party() (bench/bench_2pc.c):
 *
 *   exp       bits_in, scale_in, bits_out, scale_out (default 16/12 -> 16/12);
 *             inputs spread over x <= 0
 *   sigmoid   the same parameters, signed output; inputs of either sign
 *   tanh      the same
 *
 * max_ulp and mean_ulp compare the model's output (equal to the protocol's,
 * tests/test_math_exp.c) against the true function in long double, over
 * the benchmark's inputs.
 */
#include "bench/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/math.h"
#include "sirnn/party.h"

typedef sirnn_status (*mfn)(sirnn_party *, size_t, uint64_t *, const uint64_t *, sirnn_fixfmt,
                            sirnn_fixfmt);
typedef sirnn_status (*rfn)(size_t, uint64_t *, const uint64_t *, sirnn_fixfmt, sirnn_fixfmt);

typedef struct mkind {
    mfn mpc;
    rfn ref;
    long double (*truth)(long double);
    int nonpos; /* inputs x <= 0 only */
    int out_signed;
} mkind;

typedef struct math_bench {
    const mkind *k;
    sirnn_fixfmt fi, fo;
    uint64_t *x[2], *out[2];
} math_bench;

static int math_call(void *ctx, struct sirnn_party *party, int role, size_t n)
{
    math_bench *b = ctx;
    return b->k->mpc(party, n, b->out[role], b->x[role], b->fi, b->fo);
}

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << l) - 1;
}

static int64_t sval(uint64_t v, unsigned l)
{
    return (int64_t)(v << (64 - l)) >> (64 - l);
}

static int bench_math_kind(const bench_params *p, bench_result *r, const mkind *k)
{
    const long long bi = bench_param_int(p, "bits_in", 16), si = bench_param_int(p, "scale_in", 12);
    const long long bo = bench_param_int(p, "bits_out", 16), so = bench_param_int(p, "scale_out", 12);
    if (bi < 2 || bi > 32 || bo < 2 || bo > 32 || si < 0 || si > 31 || so < 0 || so > 31 ||
        p->n == 0)
        return 1;
    math_bench b = {.k = k,
                    .fi = {(uint8_t)bi, (int8_t)si, true},
                    .fo = {(uint8_t)bo, (int8_t)so, k->out_signed != 0}};
    const size_t n = p->n;
    uint64_t *xc = malloc(n * sizeof(uint64_t)), *y = malloc(n * sizeof(uint64_t));
    int rc = xc == NULL || y == NULL;
    for (int j = 0; j < 2 && !rc; j++) {
        b.x[j] = malloc(n * sizeof(uint64_t));
        b.out[j] = malloc(n * sizeof(uint64_t));
        rc = !b.x[j] || !b.out[j];
    }
    double maxu = 0, sum = 0;
    if (!rc) {
        const uint64_t m = mask_of((unsigned)bi), half = (uint64_t)1 << (bi - 1);
        uint64_t s = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const uint64_t v = (s >> 11) % (half + 1); /* |x| <= 2^(bi-1) */
            xc[i] = k->nonpos || (s & 1) ? (0 - v) & m : v & (half - 1);
            b.x[0][i] = (s >> 7) & m;
            b.x[1][i] = (xc[i] - b.x[0][i]) & m;
        }
        rc = k->ref(n, y, xc, b.fi, b.fo) != SIRNN_OK;
        for (size_t i = 0; i < n && !rc; i++) {
            const long double t = ldexpl(
                k->truth(ldexpl((long double)sval(xc[i], (unsigned)bi), -(int)si)), (int)so);
            const int64_t yv = k->out_signed ? sval(y[i], (unsigned)bo) : (int64_t)y[i];
            const double e = (double)fabsl((long double)yv - t);
            maxu = e > maxu ? e : maxu;
            sum += e;
        }
        if (!rc)
            rc = bench_two_party(p, math_call, &b, r);
    }
    bench_extra_math(r, bi, si, bo, so, maxu, n ? sum / (double)n : 0);
    for (int j = 0; j < 2; j++) {
        free(b.x[j]);
        free(b.out[j]);
    }
    free(xc);
    free(y);
    return rc;
}

static long double true_exp(long double x)
{
    return expl(x);
}

static const mkind K_EXP = {sirnn_exp, sirnn_ref_exp, true_exp, 1, 0};

static int bench_exp(const bench_params *p, bench_result *r)
{
    return bench_math_kind(p, r, &K_EXP);
}

static long double true_sigmoid(long double x)
{
    return 1.0L / (1.0L + expl(-x));
}

static long double true_tanh(long double x)
{
    return tanhl(x);
}

static const mkind K_SIG = {sirnn_sigmoid, sirnn_ref_sigmoid, true_sigmoid, 0, 1};
static const mkind K_TANH = {sirnn_tanh, sirnn_ref_tanh, true_tanh, 0, 1};

static int bench_sigmoid(const bench_params *p, bench_result *r)
{
    return bench_math_kind(p, r, &K_SIG);
}

static int bench_tanh(const bench_params *p, bench_result *r)
{
    return bench_math_kind(p, r, &K_TANH);
}

const bench_kernel bench_group_math_exp[] = {
    {"exp", "bits_in=16 scale_in=12 bits_out=16 scale_out=12", 16384, bench_exp},
    {"sigmoid", "bits_in=16 scale_in=12 bits_out=16 scale_out=12", 16384, bench_sigmoid},
    {"tanh", "bits_in=16 scale_in=12 bits_out=16 scale_out=12", 16384, bench_tanh},
    {NULL, NULL, 0, NULL},
};
