/*
 * Benchmarks of the reciprocal and division (math/div.c), measured with
 * bench_two_party() (bench/bench_2pc.c):
 *
 *   recip   bits_in, scale_in, bits_out, scale_out (default 16/12 -> 16/12)
 *   div     the same; the numerator has the input format; norm=1 runs
 *           sirnn_div_norm with denominators log-uniform over the whole
 *           format (ULPs over the quotients that fit the output)
 *   rsqrt   the same (default 16/12 -> 16/14), x log-uniform over x > 0
 *
 * Denominators are spread over the domain [1, 2^(bits_in - 1 - scale_in));
 * max_ulp and mean_ulp compare the model's output (equal to the protocol's,
 * tests/test_math_div.c) against the true function in long double.
 */
#include "bench/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/math.h"
#include "sirnn/party.h"

typedef struct div_bench {
    int is_div, norm;
    sirnn_fixfmt fi, fo;
    uint64_t *x[2], *d[2], *out[2];
} div_bench;

static int div_bench_call(void *ctx, struct sirnn_party *party, int role, size_t n)
{
    div_bench *b = ctx;
    if (b->norm)
        return sirnn_div_norm(party, n, b->out[role], b->x[role], b->d[role], b->fi, b->fi, b->fo);
    if (b->is_div)
        return sirnn_div(party, n, b->out[role], b->x[role], b->d[role], b->fi, b->fi, b->fo);
    return sirnn_reciprocal(party, n, b->out[role], b->d[role], b->fi, b->fo);
}

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << l) - 1;
}

static int64_t sval(uint64_t v, unsigned l)
{
    return (int64_t)(v << (64 - l)) >> (64 - l);
}

static int bench_div_kind(const bench_params *p, bench_result *r, int is_div)
{
    const long long bi = bench_param_int(p, "bits_in", 16), si = bench_param_int(p, "scale_in", 12);
    const long long bo = bench_param_int(p, "bits_out", 16), so = bench_param_int(p, "scale_out", 12);
    const long long norm = is_div ? bench_param_int(p, "norm", 0) : 0;
    if (bi < 2 || bi > 32 || bo < 2 || bo > 32 || si < 0 || si >= bi - 1 || so < 0 || so > 62 ||
        p->n == 0 || norm < 0 || norm > 1)
        return 1;
    div_bench b = {.is_div = is_div,
                   .norm = (int)norm,
                   .fi = {(uint8_t)bi, (int8_t)si, true},
                   .fo = {(uint8_t)bo, (int8_t)so, true}};
    const size_t n = p->n;
    uint64_t *xc = malloc(n * sizeof(uint64_t)), *dc = malloc(n * sizeof(uint64_t)),
             *q = malloc(n * sizeof(uint64_t));
    int rc = xc == NULL || dc == NULL || q == NULL;
    for (int k = 0; k < 2 && !rc; k++) {
        b.x[k] = malloc(n * sizeof(uint64_t));
        b.d[k] = malloc(n * sizeof(uint64_t));
        b.out[k] = malloc(n * sizeof(uint64_t));
        rc = !b.x[k] || !b.d[k] || !b.out[k];
    }
    double maxu = 0, sum = 0;
    if (!rc) {
        const uint64_t lo = (uint64_t)1 << si, hi = (uint64_t)1 << (bi - 1), m = mask_of((unsigned)bi);
        uint64_t s = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            if (norm) { /* log-uniform over [2^-si, 2^(bi-1-si)) */
                const unsigned k = (unsigned)((s >> 40) % (uint64_t)(bi - 1));
                dc[i] = ((uint64_t)1 << k) | ((s >> 3) & mask_of(k));
            } else {
                dc[i] = lo + (s >> 11) % (hi - lo);
            }
            xc[i] = (s ^ (s >> 29)) & m;
            b.x[0][i] = (s >> 7) & m;
            b.x[1][i] = (xc[i] - b.x[0][i]) & m;
            b.d[0][i] = (s >> 13) & m;
            b.d[1][i] = (dc[i] - b.d[0][i]) & m;
        }
        const sirnn_status st = norm     ? sirnn_ref_div_norm(n, q, xc, dc, b.fi, b.fi, b.fo)
                                : is_div ? sirnn_ref_div(n, q, xc, dc, b.fi, b.fi, b.fo)
                                       : sirnn_ref_reciprocal(n, q, dc, b.fi, b.fo);
        rc = st != SIRNN_OK;
        for (size_t i = 0; i < n && !rc; i++) {
            long double t = ldexpl(1.0L, (int)si) / (long double)dc[i];
            if (is_div)
                t *= ldexpl((long double)sval(xc[i], (unsigned)bi), -(int)si);
            const long double tv = t * ldexpl(1.0L, (int)so);
            if (norm && fabsl(tv) > ldexpl(1.0L, (int)bo - 1) - 1)
                continue; /* the quotient does not fit: the wrapped value */
            const double e = (double)fabsl(ldexpl((long double)sval(q[i], (unsigned)bo), 0) - tv);
            maxu = e > maxu ? e : maxu;
            sum += e;
        }
        if (!rc)
            rc = bench_two_party(p, div_bench_call, &b, r);
    }
    bench_extra_math(r, bi, si, bo, so, maxu, n ? sum / (double)n : 0);
    if (norm)
        bench_extra_int(r, "norm", norm);
    for (int k = 0; k < 2; k++) {
        free(b.x[k]);
        free(b.d[k]);
        free(b.out[k]);
    }
    free(xc);
    free(dc);
    free(q);
    return rc;
}

typedef struct rsq_bench {
    sirnn_fixfmt fi, fo;
    uint64_t *x[2], *out[2];
} rsq_bench;

static int rsq_bench_call(void *ctx, struct sirnn_party *party, int role, size_t n)
{
    rsq_bench *b = ctx;
    return sirnn_rsqrt(party, n, b->out[role], b->x[role], b->fi, b->fo);
}

/* rsqrt: x log-uniform over (0, 2^(bits_in - 1 - scale_in)); the ULP error
 * is against min(1/sqrt(x), the largest output). */
static int bench_rsqrt(const bench_params *p, bench_result *r)
{
    const long long bi = bench_param_int(p, "bits_in", 16), si = bench_param_int(p, "scale_in", 12);
    const long long bo = bench_param_int(p, "bits_out", 16), so = bench_param_int(p, "scale_out", 14);
    if (bi < 4 || bi > 32 || bo < 2 || bo > 32 || si < 0 || si > 62 || so < 0 || so > 62 ||
        p->n == 0)
        return 1;
    rsq_bench b = {.fi = {(uint8_t)bi, (int8_t)si, true}, .fo = {(uint8_t)bo, (int8_t)so, true}};
    const size_t n = p->n;
    uint64_t *xc = malloc(n * sizeof(uint64_t)), *q = malloc(n * sizeof(uint64_t));
    int rc = xc == NULL || q == NULL;
    for (int k = 0; k < 2 && !rc; k++) {
        b.x[k] = malloc(n * sizeof(uint64_t));
        b.out[k] = malloc(n * sizeof(uint64_t));
        rc = !b.x[k] || !b.out[k];
    }
    double maxu = 0, sum = 0;
    if (!rc) {
        const uint64_t m = mask_of((unsigned)bi);
        uint64_t s = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const unsigned k = (unsigned)((s >> 40) % (uint64_t)(bi - 1));
            xc[i] = ((uint64_t)1 << k) | ((s >> 3) & mask_of(k));
            b.x[0][i] = (s >> 7) & m;
            b.x[1][i] = (xc[i] - b.x[0][i]) & m;
        }
        rc = sirnn_ref_rsqrt(n, q, xc, b.fi, b.fo) != SIRNN_OK;
        const long double imax = (long double)mask_of((unsigned)bo - 1);
        for (size_t i = 0; i < n && !rc; i++) {
            long double t = ldexpl(1.0L, (int)so) / sqrtl(ldexpl((long double)xc[i], -(int)si));
            t = t > imax ? imax : t;
            const double e = (double)fabsl((long double)sval(q[i], (unsigned)bo) - t);
            maxu = e > maxu ? e : maxu;
            sum += e;
        }
        if (!rc)
            rc = bench_two_party(p, rsq_bench_call, &b, r);
    }
    bench_extra_math(r, bi, si, bo, so, maxu, n ? sum / (double)n : 0);
    for (int k = 0; k < 2; k++) {
        free(b.x[k]);
        free(b.out[k]);
    }
    free(xc);
    free(q);
    return rc;
}

static int bench_recip(const bench_params *p, bench_result *r)
{
    return bench_div_kind(p, r, 0);
}

static int bench_div(const bench_params *p, bench_result *r)
{
    return bench_div_kind(p, r, 1);
}

const bench_kernel bench_group_math_div[] = {
    {"recip", "bits_in=16 scale_in=12 bits_out=16 scale_out=12", 16384, bench_recip},
    {"div", "bits_in=16 scale_in=12 bits_out=16 scale_out=12 norm=0|1", 16384, bench_div},
    {"rsqrt", "bits_in=16 scale_in=12 bits_out=16 scale_out=14", 16384, bench_rsqrt},
    {NULL, NULL, 0, NULL},
};
