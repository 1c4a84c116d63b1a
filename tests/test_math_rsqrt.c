/*
 * Reciprocal square root (math/rsqrt.c): the secure output equals the
 * cleartext model sirnn_ref_rsqrt on every 16-bit x > 0 at 16/12 -> 16/12
 * and 16/12 -> 16/14, and the model is within the header's ULP bound of
 * min(1/sqrt(x), largest output) (long double); dense random grids at 8,
 * 24 and 32 bits; edge inputs (0, the smallest step, the extremes, powers of
 * two around the saturation point, negative values); format errors; n = 0,
 * 1, odd; two lanes; aliasing; bits and flights pinned.
 */
#include "tests/mixed_common.h"

#include <math.h>
#include <stdio.h>

#include "sirnn/math.h"

/* Pinned costs (bits per element over one chunk of 4096 on one lane;
 * flights for n = 4096 and n = 1), as stated in sirnn/math.h. */
#define RSQ_16_12_BITS 32243
#define RSQ_16_14_BITS 31473
#define RSQ_FLIGHTS_4096 RSQ_FLIGHTS_1
#define RSQ_FLIGHTS_1 23

typedef struct rcase {
    size_t n;
    sirnn_fixfmt fi, fo;
    uint64_t *x[2], *out[2];
} rcase;

static sirnn_status rsq_call(void *vctx, sirnn_party *p, int r)
{
    rcase *c = vctx;
    return sirnn_rsqrt(p, c->n, c->out[r], c->x[r], c->fi, c->fo);
}

static int64_t sval(uint64_t v, unsigned l)
{
    return (int64_t)(v << (64 - l)) >> (64 - l);
}

/* Error of the model's q against min(1/sqrt(x), largest output) in output
 * ULPs; -1 outside the domain (x <= 0). */
static long double ulp_err(sirnn_fixfmt fi, sirnn_fixfmt fo, uint64_t x, uint64_t q)
{
    const unsigned b = fi.bits - (fi.is_signed ? 1u : 0u);
    x &= test_mask(fi.bits);
    if (x == 0 || x >= ((uint64_t)1 << b))
        return -1;
    const long double imax = (long double)test_mask(fo.bits - (fo.is_signed ? 1u : 0u));
    long double t = ldexpl(1.0L, fo.scale) / sqrtl(ldexpl((long double)x, -fi.scale));
    if (t > imax)
        t = imax;
    const long double got = (long double)(fo.is_signed ? sval(q, fo.bits) : (int64_t)q);
    return fabsl(got - t);
}

/* Runs the protocol, compares with the model, checks the bound; returns
 * bytes and *flights. */
static uint64_t run_case(rcase *c, test_rng *rng, const uint64_t *x, double bound,
                         uint64_t *flights, long double *maxerr)
{
    const size_t n = c->n;
    uint64_t *want = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(want);
    for (int r = 0; r < 2; r++) {
        c->x[r] = calloc(n + 1, sizeof(uint64_t));
        c->out[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(c->x[r] && c->out[r]);
    }
    assert_int_equal(sirnn_ref_rsqrt(n, want, x, c->fi, c->fo), SIRNN_OK);
    mc_split(rng, x, c->x[0], c->x[1], n, c->fi.bits);
    const uint64_t bytes = mc_run(rsq_call, c, flights);
    long double mx = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t got = (c->out[0][i] + c->out[1][i]) & test_mask(c->fo.bits);
        assert_true(c->out[0][i] <= test_mask(c->fo.bits) &&
                    c->out[1][i] <= test_mask(c->fo.bits));
        if (got != want[i])
            fail_msg("rsqrt i %zu x %llx: got %llx model %llx", i, (unsigned long long)x[i],
                     (unsigned long long)got, (unsigned long long)want[i]);
        const long double e = ulp_err(c->fi, c->fo, x[i], want[i]);
        mx = e > mx ? e : mx;
        if (e > bound)
            fail_msg("rsqrt x %llx: model %llx is %.3Lf ULP off (bound %.2f)",
                     (unsigned long long)x[i], (unsigned long long)want[i], e, bound);
    }
    if (maxerr != NULL)
        *maxerr = mx;
    for (int r = 0; r < 2; r++) {
        free(c->x[r]);
        free(c->out[r]);
    }
    free(want);
    return bytes;
}

static const sirnn_fixfmt F16_12 = {16, 12, true}, F16_14 = {16, 14, true};

/* Every 16-bit x (strided under valgrind, negatives and 0 included), then
 * bits and flights pinned. */
static void exhaustive(sirnn_fixfmt fo, uint64_t want_bits)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ (uint64_t)(0x75 + fo.scale));
    const size_t stride = test_quick() ? 89 : 1;
    const size_t n = 65536 / stride + (65536 % stride != 0);
    uint64_t *x = calloc(65536, sizeof(uint64_t));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (uint64_t)(i * stride) & 0xffff;
    rcase c = {.n = n, .fi = F16_12, .fo = fo};
    long double mx;
    run_case(&c, &rng, x, 1.0, NULL, &mx);
    printf("# rsqrt 16/12 -> %d/%d: max %.3Lf ULP\n", fo.bits, fo.scale, mx);
    uint64_t fl;
    /* The 4096-element pin is the native run's: it does not depend on the
     * ISA, and under valgrind it was half of the binary's time. */
    if (!test_quick()) {
        for (size_t i = 0; i < 4096; i++)
            x[i] = 1 + (i * 13) % 0x7fff;
        c.n = 4096;
        const uint64_t bytes = run_case(&c, &rng, x, 1.0, &fl, NULL);
        if (bytes * 8 != want_bits * 4096 || fl != RSQ_FLIGHTS_4096)
            fail_msg("bits/elem %.2f (pinned %llu), flights %llu (pinned %llu)",
                     (double)bytes * 8 / 4096, (unsigned long long)want_bits,
                     (unsigned long long)fl, (unsigned long long)RSQ_FLIGHTS_4096);
    }
    c.n = 1;
    run_case(&c, &rng, x, 1.0, &fl, NULL);
    if (fl != RSQ_FLIGHTS_1)
        fail_msg("flights at n = 1: %llu (pinned %llu)", (unsigned long long)fl,
                 (unsigned long long)RSQ_FLIGHTS_1);
    free(x);
}

static void test_rsqrt_16_12(void **state)
{
    (void)state;
    exhaustive(F16_12, RSQ_16_12_BITS);
}

static void test_rsqrt_16_14(void **state)
{
    (void)state;
    exhaustive(F16_14, RSQ_16_14_BITS);
}

/* Random grids with edge inputs mixed in. */
static void grid(sirnn_fixfmt fi, sirnn_fixfmt fo, double bound)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ ((uint64_t)fi.bits << 8) ^ ((uint64_t)fo.bits << 16) ^
                            (uint64_t)fo.scale);
    const size_t n = test_quick() ? 301 : 20001;
    uint64_t *x = calloc(n, sizeof(uint64_t));
    assert_non_null(x);
    const unsigned b = fi.bits - (fi.is_signed ? 1u : 0u);
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rng_next(&rng);
        const unsigned k = (unsigned)((r >> 8) % b);
        switch (r % 8) {
        case 0: /* powers of two and their neighbours */
            x[i] = (((uint64_t)1 << k) + ((r >> 16) % 3) - 1) & test_mask(b);
            break;
        case 1: /* 0, 1, the largest, negative */
            x[i] = ((r >> 16) % 4 == 0)   ? 0
                   : ((r >> 16) % 4 == 1) ? 1
                   : ((r >> 16) % 4 == 2) ? test_mask(b)
                                          : test_rng_next(&rng) & test_mask(fi.bits);
            break;
        default: /* log-uniform over the domain */
            x[i] = ((uint64_t)1 << k) | (test_rng_next(&rng) & test_mask(k));
        }
    }
    rcase c = {.n = n, .fi = fi, .fo = fo};
    long double mx;
    run_case(&c, &rng, x, bound, NULL, &mx);
    printf("# rsqrt %d/%d -> %d/%d: max %.3Lf ULP on the grid\n", fi.bits, fi.scale, fo.bits,
           fo.scale, mx);
    free(x);
}

static void test_grids(void **state)
{
    (void)state;
    const sirnn_fixfmt f8_5 = {8, 5, true}, f8_6 = {8, 6, true}, f8u = {8, 4, false},
                       f24_20 = {24, 20, true}, f24_12 = {24, 12, true},
                       f32_28 = {32, 28, true}, f32_16 = {32, 16, true},
                       f32_24u = {32, 24, false}, f12_6 = {12, 6, true},
                       f24_6 = {24, 6, true};
    grid(f8_5, f8_6, 1.5);
    grid(f8u, f8u, 1.5);
    grid(f24_20, F16_14, 1.5);
    grid(f24_12, F16_12, 1.5);
    grid(f32_28, F16_12, 1.5);
    grid(f32_16, F16_14, 1.5);
    grid(f32_24u, f12_6, 1.5);
    grid(F16_12, f12_6, 1.5);
    grid(f24_6, f24_12, 1.5); /* 16 significant output bits */
    /* issue 14: unsigned outputs that saturate at the top, narrow signed
     * outputs, inputs of fewer than 8 bits */
    const sirnn_fixfmt f16_14u = {16, 14, false}, f16_8 = {16, 8, true}, f8_7 = {8, 7, true},
                       f4_1 = {4, 1, true}, f16_15u = {16, 15, false}, f6_2u = {6, 2, false},
                       f3_1 = {3, 1, true};
    grid(F16_12, f16_14u, 1.5);
    grid(f16_8, f8_7, 1.5);
    grid(f4_1, f16_15u, 1.5);
    grid(f6_2u, f3_1, 1.5);
}

/* issue 14: the largest output, not a wrapped value, where the result
 * rounds to the top of the format */
static void test_saturation_top(void **state)
{
    (void)state;
    const sirnn_fixfmt f16_14u = {16, 14, false}, f16_8 = {16, 8, true}, f8_7 = {8, 7, true};
    uint64_t q[4];
    /* 1/sqrt(0.0625) = 4 = 2^16 output ULPs: 65535; 1/sqrt(0.0625 + 2^-12)
     * = 65408.4 ULPs, 1/sqrt(0.0625 + 2^-11) 65281.5 */
    const uint64_t xa[4] = {0x100, 0xff, 0x101, 0x102};
    assert_int_equal(sirnn_ref_rsqrt(4, q, xa, F16_12, f16_14u), SIRNN_OK);
    assert_int_equal(q[0], 0xffff);
    assert_int_equal(q[1], 0xffff);
    assert_true(llabs((long long)q[2] - 65408) <= 1);
    assert_true(llabs((long long)q[3] - 65281) <= 1);
    /* 16/8 -> 8/7 at x = 1 and 1.0078: 127, never -128 */
    const uint64_t xb[4] = {0x100, 0x102, 0x101, 0x104};
    assert_int_equal(sirnn_ref_rsqrt(4, q, xb, f16_8, f8_7), SIRNN_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(q[i], 0x7f);
}

/* Inputs at the edges: 0 reads as the smallest step, saturation. */
static void test_edges(void **state)
{
    (void)state;
    uint64_t q[6];
    const uint64_t xs[6] = {0, 1, 0x400, 0x401, 0x3ff, 0x7fff};
    assert_int_equal(sirnn_ref_rsqrt(6, q, xs, F16_12, F16_14), SIRNN_OK);
    /* 1/sqrt(2^-12) = 64 and 1/sqrt(1/4) = 2 do not fit 16/14: saturated. */
    assert_int_equal(q[0], 0x7fff);
    assert_int_equal(q[1], 0x7fff);
    assert_int_equal(q[2], 0x7fff);
    assert_int_equal(q[4], 0x7fff);
    assert_true(q[3] < 0x7fff && q[3] > 0x7fe0);
    /* 1/sqrt(8 - 2^-12) = 0.35356 */
    assert_true(llabs((long long)q[5] - 5793) <= 1);
    /* 16/12 -> 16/6 holds 64: x = 0 gives the same as x = 2^-12. */
    const sirnn_fixfmt f16_6 = {16, 6, true};
    assert_int_equal(sirnn_ref_rsqrt(2, q, xs, F16_12, f16_6), SIRNN_OK);
    assert_int_equal(q[0], 64 << 6);
    assert_int_equal(q[1], 64 << 6);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7e);
    uint64_t x[16] = {0, 1, 2, 3, 0x3ff, 0x400, 0x401, 0x1000, 0x7fff, 0x8000, 0xffff, 0x4000,
                      0x2000, 0x800, 0x801, 0x7ffe};
    rcase c = {.n = 16, .fi = F16_12, .fo = F16_14};
    run_case(&c, &rng, x, 1.0, NULL, NULL);
    c.fo = f16_6;
    run_case(&c, &rng, x, 1.0, NULL, NULL);
}

static void test_sizes_and_lanes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7f);
    uint64_t x[1001];
    for (size_t i = 0; i < 1001; i++)
        x[i] = test_rng_next(&rng) & 0xffff;
    const size_t sizes[] = {0, 1, 3, 1001};
    for (int lanes = 1; lanes <= 2; lanes++) {
        if (lanes == 2) {
            test_pair_lanes(2);
        }
        for (size_t s = 0; s < 4; s++) {
            rcase c = {.n = sizes[s], .fi = F16_12, .fo = F16_14};
            uint64_t fl;
            const uint64_t bytes = run_case(&c, &rng, x, 1.0, &fl, NULL);
            if (sizes[s] == 0)
                assert_true(bytes == 0 && fl == 0);
        }
    }
    test_pair_lanes(1);
}

/* y aliasing x. */
static void test_alias(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x80);
    enum { N = 77 };
    uint64_t x[N], want[N], buf[2][N];
    for (size_t i = 0; i < N; i++)
        x[i] = test_rng_next(&rng) & 0xffff;
    assert_int_equal(sirnn_ref_rsqrt(N, want, x, F16_12, F16_14), SIRNN_OK);
    mc_split(&rng, x, buf[0], buf[1], N, 16);
    rcase c = {.n = N, .fi = F16_12, .fo = F16_14};
    for (int r = 0; r < 2; r++)
        c.x[r] = c.out[r] = buf[r];
    mc_run(rsq_call, &c, NULL);
    for (size_t i = 0; i < N; i++)
        assert_int_equal((buf[0][i] + buf[1][i]) & 0xffff, want[i]);
}

static void test_format_errors(void **state)
{
    (void)state;
    uint64_t v = 0x1000, o = 0;
    const sirnn_fixfmt bad[][2] = {
        {{40, 12, true}, {16, 14, true}}, /* 40 bits */
        {{3, 1, true}, {16, 14, true}},   /* too narrow */
        {{16, 12, true}, {40, 14, true}}, /* 40 bits out */
        {{16, -1, true}, {16, 14, true}}, /* negative scale */
        {{16, 12, true}, {24, 20, true}}, /* 21 significant bits: beyond one step */
        {{16, 12, true}, {4, 30, true}},  /* every input saturates */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sirnn_rsqrt(test_srv, 1, &o, &v, bad[i][0], bad[i][1]), SIRNN_ERR_ARG);
        assert_true(strlen(sirnn_party_last_error(test_srv)) > 10);
        assert_int_equal(sirnn_ref_rsqrt(1, &o, &v, bad[i][0], bad[i][1]), SIRNN_ERR_ARG);
    }
    assert_int_equal(sirnn_rsqrt(test_srv, 1, NULL, &v, F16_12, F16_14), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_rsqrt(NULL, 1, &o, &v, F16_12, F16_14), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ref_rsqrt(1, NULL, &v, F16_12, F16_14), SIRNN_ERR_ARG);
    /* The session is still usable after argument errors. */
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x81);
    uint64_t x = 0x1800;
    rcase c = {.n = 1, .fi = F16_12, .fo = F16_14};
    run_case(&c, &rng, &x, 1.0, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_errors), cmocka_unit_test(test_edges),
        cmocka_unit_test(test_rsqrt_16_12),   cmocka_unit_test(test_rsqrt_16_14),
        cmocka_unit_test(test_grids),         cmocka_unit_test(test_sizes_and_lanes),
        cmocka_unit_test(test_alias),         cmocka_unit_test(test_saturation_top),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
