/*
 * Reciprocal and division (math/div.c): the secure output equals the
 * cleartext model (sirnn_ref_reciprocal / sirnn_ref_div) on every 16-bit
 * denominator at 16/12 -> 16/12 and 16/12 -> 16/14, and the model is within
 * the header's ULP bound of the true function (long double) over the
 * domain; random grids at 8, 24 and 32 bits; edge inputs; format errors;
 * n = 0, 1, odd; two lanes; bits and flights pinned.
 */
#include "tests/mixed_common.h"

#include <math.h>
#include <stdio.h>

#include "sirnn/math.h"

/* Pinned costs (bits per element over one full chunk, flights), as stated
 * in sirnn/math.h. */
#define RECIP_16_12_BITS 15737
#define RECIP_16_12_FLIGHTS 17
#define RECIP_16_14_BITS 16192
#define RECIP_16_14_FLIGHTS 17
#define DIV_16_12_BITS 26906
#define DIV_16_12_FLIGHTS 21
#define NORM_16_12_BITS 39380
#define NORM_16_12_FLIGHTS 37

typedef struct dcase {
    int is_div;
    size_t n;
    sirnn_fixfmt fx, fd, fo;
    uint64_t *x[2], *d[2], *out[2];
} dcase;

static sirnn_status div_call(void *vctx, sirnn_party *p, int r)
{
    dcase *c = vctx;
    if (c->is_div == 2)
        return sirnn_div_norm(p, c->n, c->out[r], c->x[r], c->d[r], c->fx, c->fd, c->fo);
    if (c->is_div)
        return sirnn_div(p, c->n, c->out[r], c->x[r], c->d[r], c->fx, c->fd, c->fo);
    return sirnn_reciprocal(p, c->n, c->out[r], c->d[r], c->fd, c->fo);
}

static int64_t sval(uint64_t v, unsigned l)
{
    return (int64_t)(v << (64 - l)) >> (64 - l);
}

/* Error of the model output q (fo) against num / den in ULPs, or -1 when
 * den is outside the domain (d < 1). */
static long double ulp_err(const dcase *c, uint64_t num, uint64_t den, uint64_t q)
{
    const unsigned b = c->fd.bits - (c->fd.is_signed ? 1u : 0u);
    den &= test_mask(c->fd.bits);
    if (den >= ((uint64_t)1 << b) || den < ((uint64_t)1 << c->fd.scale))
        return -1;
    long double t = ldexpl(1.0L, c->fd.scale) / (long double)den;
    if (c->is_div)
        t *= ldexpl((long double)sval(num, c->fx.bits), -c->fx.scale);
    const long double got = ldexpl(
        (long double)(c->fo.is_signed ? sval(q, c->fo.bits) : (int64_t)q), -c->fo.scale);
    return fabsl(got - t) * ldexpl(1.0L, c->fo.scale);
}

/* sirnn_div_norm's contract for the model output q: D = 0 gives 0;
 * otherwise, with t = num / d 2^scale_out (long double), q read as signed is
 * congruent mod 2^bits_out to an R with |R - t| <= 0.5 + 2^-bits_out |t|.
 * Returns |q - t| in ULPs when t fits (-2^(bo-1) + 1 <= t <= 2^(bo-1) - 1),
 * else -1 (after checking the wrapped bound). */
static long double norm_err(const dcase *c, uint64_t num, uint64_t den, uint64_t q)
{
    const unsigned b = c->fd.bits - (c->fd.is_signed ? 1u : 0u), bo = c->fo.bits;
    const uint64_t D = den & test_mask(b);
    if (D == 0) {
        if (q != 0)
            fail_msg("div_norm d = 0 gave %llx", (unsigned long long)q);
        return -1;
    }
    const long double t = ldexpl((long double)sval(num, c->fx.bits) / (long double)D,
                                 c->fd.scale - c->fx.scale + c->fo.scale);
    const long double half = ldexpl(1.0L, (int)bo - 1), full = 2 * half;
    long double diff = (long double)sval(q, bo) - t;
    if (t >= -half + 1 && t <= half - 1)
        return fabsl(diff);
    diff -= full * roundl(diff / full);
    if (fabsl(diff) > 0.5L + fabsl(t) / full + 1e-9L)
        fail_msg("div_norm x %llx d %llx: q %llx is %.3Lf off t = %.3Lf mod 2^%u", (unsigned long long)num,
                 (unsigned long long)den, (unsigned long long)q, diff, t, bo);
    return -1;
}

/* Runs the protocol on x (numerators) and d (denominators), compares with
 * the model and checks the ULP bound; returns bytes, *flights. */
static uint64_t run_case(dcase *c, test_rng *rng, const uint64_t *x, const uint64_t *d,
                         double bound, uint64_t *flights, long double *maxerr)
{
    const size_t n = c->n;
    uint64_t *want = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(want);
    for (int r = 0; r < 2; r++) {
        c->x[r] = calloc(n + 1, sizeof(uint64_t));
        c->d[r] = calloc(n + 1, sizeof(uint64_t));
        c->out[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(c->x[r] && c->d[r] && c->out[r]);
    }
    if (c->is_div == 2) {
        mc_split(rng, x, c->x[0], c->x[1], n, c->fx.bits);
        assert_int_equal(sirnn_ref_div_norm(n, want, x, d, c->fx, c->fd, c->fo), SIRNN_OK);
    } else if (c->is_div) {
        mc_split(rng, x, c->x[0], c->x[1], n, c->fx.bits);
        assert_int_equal(sirnn_ref_div(n, want, x, d, c->fx, c->fd, c->fo), SIRNN_OK);
    } else {
        assert_int_equal(sirnn_ref_reciprocal(n, want, d, c->fd, c->fo), SIRNN_OK);
    }
    mc_split(rng, d, c->d[0], c->d[1], n, c->fd.bits);
    const uint64_t bytes = mc_run(div_call, c, flights);
    long double mx = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t got = (c->out[0][i] + c->out[1][i]) & test_mask(c->fo.bits);
        assert_true(c->out[0][i] <= test_mask(c->fo.bits) && c->out[1][i] <= test_mask(c->fo.bits));
        if (got != want[i])
            fail_msg("div %d i %zu x %llx d %llx: got %llx model %llx", c->is_div, i,
                     (unsigned long long)(c->is_div ? x[i] : 0), (unsigned long long)d[i],
                     (unsigned long long)got, (unsigned long long)want[i]);
        const long double e = c->is_div == 2 ? norm_err(c, x[i], d[i], want[i])
                                             : ulp_err(c, c->is_div ? x[i] : 0, d[i], want[i]);
        if (e > mx)
            mx = e;
        if (e > bound)
            fail_msg("div %d x %llx d %llx: model %llx is %.3Lf ULP off (bound %.1f)",
                     c->is_div, (unsigned long long)(c->is_div ? x[i] : 0),
                     (unsigned long long)d[i], (unsigned long long)want[i], e, bound);
    }
    if (maxerr != NULL)
        *maxerr = mx;
    for (int r = 0; r < 2; r++) {
        free(c->x[r]);
        free(c->d[r]);
        free(c->out[r]);
    }
    free(want);
    return bytes;
}

static const sirnn_fixfmt F16_12 = {16, 12, true}, F16_14 = {16, 14, true};

/* Bits and flights of c on 4096 in-domain elements of one lane (one chunk
 * of every sub-protocol) against their pins. Not at the quick sizes: the
 * pins do not depend on the ISA, the native run checks them, and under
 * valgrind these 4096 elements were half of the binary's time. */
static void pin_4096(dcase *c, test_rng *rng, const uint64_t *x, const uint64_t *d,
                     uint64_t want_bits, uint64_t want_fl)
{
    if (test_quick())
        return;
    c->n = 4096;
    uint64_t fl;
    const uint64_t bytes = run_case(c, rng, x, d, 1.0, &fl, NULL);
    if (bytes * 8 != want_bits * 4096 || fl != want_fl)
        fail_msg("%s bits/elem %.2f (pinned %llu), flights %llu (pinned %llu)",
                 c->is_div == 2 ? "div_norm" : c->is_div ? "div" : "recip",
                 (double)bytes * 8 / 4096, (unsigned long long)want_bits,
                 (unsigned long long)fl, (unsigned long long)want_fl);
}

/* Every 16-bit denominator (strided under valgrind), random numerators with
 * the extremes mixed in. */
static void exhaustive(int is_div, sirnn_fixfmt fo, uint64_t want_bits, uint64_t want_fl)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ (uint64_t)(0xd1 + is_div + fo.scale));
    const size_t stride = test_quick() ? 97 : 1;
    const size_t n = 65536 / stride + (65536 % stride != 0);
    uint64_t *x = calloc(65536, sizeof(uint64_t)), *d = calloc(65536, sizeof(uint64_t));
    assert_true(x && d);
    const uint64_t edges[] = {0x8000, 0x7fff, 1, 0xffff, 0};
    for (size_t i = 0; i < 65536; i++) {
        d[i] = (uint64_t)(i * stride) & 0xffff;
        const uint64_t r = test_rng_next(&rng);
        x[i] = r % 3 == 0 ? edges[(r >> 8) % 5] : test_rng_next(&rng) & 0xffff;
    }
    dcase c = {.is_div = is_div, .n = n, .fx = F16_12, .fd = F16_12, .fo = fo};
    uint64_t fl;
    long double mx;
    run_case(&c, &rng, x, d, 1.0, &fl, &mx);
    printf("# %s 16/12 -> %d/%d: max %.3Lf ULP\n", is_div ? "div" : "recip", fo.bits, fo.scale,
           mx);
    for (size_t i = 0; i < 4096; i++)
        d[i] = 0x1000 + (i * 7) % 0x7000;
    pin_4096(&c, &rng, x, d, want_bits, want_fl);
    free(x);
    free(d);
}

static void test_recip_16_12(void **state)
{
    (void)state;
    exhaustive(0, F16_12, RECIP_16_12_BITS, RECIP_16_12_FLIGHTS);
}

static void test_recip_16_14(void **state)
{
    (void)state;
    exhaustive(0, F16_14, RECIP_16_14_BITS, RECIP_16_14_FLIGHTS);
}

static void test_div_16_12(void **state)
{
    (void)state;
    exhaustive(1, F16_12, DIV_16_12_BITS, DIV_16_12_FLIGHTS);
    /* The saturation points: extreme numerators over d = 1, the smallest
     * step above 1, and the largest d. */
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd5);
    const uint64_t xs[] = {0x8000, 0x7fff, 0x8001, 1, 0xffff, 0, 0x1000, 0xf000};
    const uint64_t ds[] = {0x1000, 0x1001, 0x7fff, 0x7ffe, 0x1fff, 0x2000};
    uint64_t x[48], d[48];
    for (size_t i = 0; i < 48; i++) {
        x[i] = xs[i % 8];
        d[i] = ds[i / 8];
    }
    dcase c = {.is_div = 1, .n = 48, .fx = F16_12, .fd = F16_12, .fo = F16_12};
    run_case(&c, &rng, x, d, 1.0, NULL, NULL);
}

/* Random grids over the domain at other widths, with edge denominators. */
static void grid(int is_div, sirnn_fixfmt fx, sirnn_fixfmt fd, sirnn_fixfmt fo, double bound)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ ((uint64_t)fd.bits << 8) ^ (uint64_t)fo.scale ^
                            ((uint64_t)is_div << 20));
    const size_t n = test_quick() ? 301 : 20001;
    uint64_t *x = calloc(n, sizeof(uint64_t)), *d = calloc(n, sizeof(uint64_t));
    assert_true(x && d);
    const unsigned b = fd.bits - (fd.is_signed ? 1u : 0u);
    const uint64_t lo = (uint64_t)1 << fd.scale, hi = (uint64_t)1 << b;
    const uint64_t dedges[] = {lo, lo + 1, hi - 1, hi - 2, 0, hi >> 1};
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rng_next(&rng);
        d[i] = r % 8 == 0 ? dedges[(r >> 8) % 6] : lo + test_rng_below(&rng, hi - lo);
        if (is_div) {
            mc_values(&rng, &x[i], 1, fx.bits);
        }
    }
    dcase c = {.is_div = is_div, .n = n, .fx = fx, .fd = fd, .fo = fo};
    uint64_t fl;
    run_case(&c, &rng, x, d, bound, &fl, NULL);
    free(x);
    free(d);
}

static void test_grids(void **state)
{
    (void)state;
    const sirnn_fixfmt f8_5 = {8, 5, true}, f8_6 = {8, 6, true}, f8_4 = {8, 4, true},
                       f8u = {8, 6, false}, f24_20 = {24, 20, true}, f24_12 = {24, 12, true},
                       f32_28 = {32, 28, true}, f32_30 = {32, 30, true}, f32_16 = {32, 16, true},
                       f24_16 = {24, 16, true};
    grid(0, f8_5, f8_5, f8_6, 0.5);
    grid(0, f8_5, f8u, f8u, 0.5);
    grid(1, f8_4, f8_5, f8_4, 1.0);
    grid(0, f24_20, f24_20, f24_20, 1.0);
    grid(1, f24_12, f24_20, f24_12, 1.0);
    grid(0, f32_28, f32_28, f32_30, 1.0);
    grid(0, f32_28, f32_28, f32_16, 1.0);
    grid(1, f24_16, f32_28, f32_16, 1.0);
    grid(0, F16_12, F16_12, f24_20, 1.0);
    /* The quadratic path at other denominator ranges (d < 2, d < 16,
     * unsigned, 12 bits), and its line form (narrow outputs). */
    const sirnn_fixfmt f16_13 = {16, 13, true}, f16_11 = {16, 11, true},
                       f16u = {16, 12, false}, f12_9 = {12, 9, true}, f8_5s = {8, 5, true},
                       f10_4 = {10, 4, true};
    grid(1, F16_12, f16_13, F16_12, 1.0);
    grid(0, F16_12, f16_11, F16_12, 1.0);
    grid(0, F16_12, f16u, F16_14, 1.0);
    grid(1, f12_9, f12_9, f12_9, 1.0);
    grid(0, F16_12, F16_12, f8_5s, 1.0);
    grid(1, f8_4, F16_12, f10_4, 1.0);
}

static void test_sizes_and_lanes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd7);
    uint64_t x[1001], d[1001];
    for (size_t i = 0; i < 1001; i++) {
        x[i] = test_rng_next(&rng) & 0xffff;
        d[i] = 0x1000 + test_rng_below(&rng, 0x7000);
    }
    const size_t sizes[] = {0, 1, 3, 1001};
    for (int lanes = 1; lanes <= 2; lanes++) {
        if (lanes == 2) {
            test_pair_lanes(2);
        }
        for (size_t s = 0; s < 4; s++)
            for (int dv = 0; dv < 2; dv++) {
                dcase c = {.is_div = dv, .n = sizes[s], .fx = F16_12, .fd = F16_12,
                           .fo = F16_14};
                if (dv)
                    c.fo = F16_12;
                uint64_t fl;
                const uint64_t bytes = run_case(&c, &rng, x, d, 1.0, &fl, NULL);
                if (sizes[s] == 0)
                    assert_true(bytes == 0 && fl == 0);
            }
    }
    test_pair_lanes(1);
}

/* Aliasing: y over x, q over num and over den. */
static void test_alias(void **state)
{
    (void)state;
    typedef struct {
        uint64_t *a[2], *b[2];
        int mode;
    } actx;
    (void)sizeof(actx);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd8);
    enum { N = 77 };
    uint64_t x[N], d[N], want[N], w2[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = test_rng_next(&rng) & 0xffff;
        d[i] = 0x1000 + test_rng_below(&rng, 0x7000);
    }
    assert_int_equal(sirnn_ref_div(N, want, x, d, F16_12, F16_12, F16_12), SIRNN_OK);
    assert_int_equal(sirnn_ref_reciprocal(N, w2, d, F16_12, F16_12), SIRNN_OK);
    for (int mode = 0; mode < 3; mode++) {
        dcase c = {.is_div = mode > 0, .n = N, .fx = F16_12, .fd = F16_12, .fo = F16_12};
        uint64_t bufx[2][N], bufd[2][N];
        mc_split(&rng, x, bufx[0], bufx[1], N, 16);
        mc_split(&rng, d, bufd[0], bufd[1], N, 16);
        for (int r = 0; r < 2; r++) {
            c.x[r] = bufx[r];
            c.d[r] = bufd[r];
            c.out[r] = mode == 1 ? bufx[r] : bufd[r];
        }
        mc_run(div_call, &c, NULL);
        for (size_t i = 0; i < N; i++)
            assert_int_equal((c.out[0][i] + c.out[1][i]) & 0xffff, mode ? want[i] : w2[i]);
    }
}

static void test_format_errors(void **state)
{
    (void)state;
    uint64_t v = 0x1000, o = 0;
    const sirnn_fixfmt bad[][3] = {
        {{16, 12, true}, {16, 16, true}, {16, 12, true}},   /* den has no value >= 1 */
        {{16, 12, true}, {16, 8, true}, {16, 12, true}},    /* den up to 128: too wide */
        {{16, 12, true}, {16, 12, true}, {16, 15, true}},   /* recip: 1 does not fit */
        {{16, 12, true}, {16, 12, true}, {14, 12, true}},   /* div: 8 does not fit */
        {{16, 12, false}, {16, 12, true}, {16, 12, true}},  /* unsigned numerator */
        {{16, 12, true}, {16, 12, true}, {16, 12, false}},  /* unsigned quotient */
        {{40, 12, true}, {16, 12, true}, {40, 12, true}},   /* 40 bits */
        {{32, 16, true}, {32, 28, true}, {32, 16, true}},   /* working width > 64 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const sirnn_status st =
            i == 2 ? sirnn_reciprocal(test_srv, 1, &o, &v, bad[i][1], bad[i][2])
                   : sirnn_div(test_srv, 1, &o, &v, &v, bad[i][0], bad[i][1], bad[i][2]);
        assert_int_equal(st, SIRNN_ERR_ARG);
        assert_true(strlen(sirnn_party_last_error(test_srv)) > 10);
        if (i == 2)
            assert_int_equal(sirnn_ref_reciprocal(1, &o, &v, bad[i][1], bad[i][2]),
                             SIRNN_ERR_ARG);
        else
            assert_int_equal(sirnn_ref_div(1, &o, &v, &v, bad[i][0], bad[i][1], bad[i][2]),
                             SIRNN_ERR_ARG);
    }
    assert_int_equal(sirnn_reciprocal(test_srv, 1, NULL, &v, F16_12, F16_12), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_div(NULL, 1, &o, &v, &v, F16_12, F16_12, F16_12), SIRNN_ERR_ARG);
    /* The session is still usable after argument errors. */
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd9);
    uint64_t d = 0x1800;
    dcase c = {.is_div = 0, .n = 1, .fd = F16_12, .fo = F16_12};
    run_case(&c, &rng, NULL, &d, 1.0, NULL, NULL);
}

/* The normalised division: every 16-bit denominator (0, negatives read
 * without their sign bit, and every positive one), numerators random with
 * the extremes mixed in. */
static void norm_exhaustive(sirnn_fixfmt fo, int pin)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ (uint64_t)(0xe1 + fo.scale));
    const size_t stride = test_quick() ? 97 : 1;
    const size_t n = 65536 / stride + (65536 % stride != 0);
    uint64_t *x = calloc(65536, sizeof(uint64_t)), *d = calloc(65536, sizeof(uint64_t));
    assert_true(x && d);
    const uint64_t edges[] = {0x8000, 0x7fff, 1, 0xffff, 0, 0x8001};
    for (size_t i = 0; i < 65536; i++) {
        d[i] = (uint64_t)(i * stride) & 0xffff;
        const uint64_t r = test_rng_next(&rng);
        x[i] = r % 3 == 0 ? edges[(r >> 8) % 6] : test_rng_next(&rng) & 0xffff;
    }
    dcase c = {.is_div = 2, .n = n, .fx = F16_12, .fd = F16_12, .fo = fo};
    uint64_t fl;
    long double mx;
    run_case(&c, &rng, x, d, 1.0, &fl, &mx);
    printf("# div_norm 16/12 -> %d/%d: max %.3Lf ULP where the quotient fits\n", fo.bits,
           fo.scale, mx);
    if (pin) {
        for (size_t i = 0; i < 4096; i++)
            d[i] = 1 + (i * 7919) % 0x7fff;
        pin_4096(&c, &rng, x, d, NORM_16_12_BITS, NORM_16_12_FLIGHTS);
    }
    free(x);
    free(d);
}

static void test_div_norm_16(void **state)
{
    (void)state;
    norm_exhaustive(F16_12, 1);
    norm_exhaustive(F16_14, 0);
    /* Edges: d = 0, the smallest step, powers of two, the largest d, over
     * extreme numerators. */
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe5);
    const uint64_t xs[] = {0x8000, 0x7fff, 0x8001, 1, 0xffff, 0, 0x1000, 0xf000};
    const uint64_t ds[] = {0, 1, 2, 3, 0x10, 0x100, 0x800, 0xfff, 0x1000, 0x1001,
                           0x2000, 0x4000, 0x7fff, 0x7ffe, 0x8000, 0xffff};
    enum { NE = 8 * 16 };
    uint64_t x[NE], d[NE];
    for (size_t i = 0; i < NE; i++) {
        x[i] = xs[i % 8];
        d[i] = ds[i / 8];
    }
    dcase c = {.is_div = 2, .n = NE, .fx = F16_12, .fd = F16_12, .fo = F16_12};
    run_case(&c, &rng, x, d, 1.0, NULL, NULL);
    /* Exact values: d = 1 (one step) gives num 2^12 saturating nothing but
     * wrapping: 1/2^-12 = 4096 -> 2^24 ULPs = 0 mod 2^16; d = 2 and x = 1
     * step: 2^-12 / 2 = 2^-13 rounds to 1 ULP (ties up). */
    uint64_t qv[3];
    const uint64_t xv[3] = {0x1000, 1, 0xffff}, dv[3] = {1, 0x2000, 0x1000};
    assert_int_equal(sirnn_ref_div_norm(3, qv, xv, dv, F16_12, F16_12, F16_12), SIRNN_OK);
    assert_int_equal(qv[0], 0);
    assert_int_equal(qv[1], 1);
    assert_int_equal(qv[2], 0xffff);
}

/* Random grids with log-uniform denominators over [1, 2^b) plus edges. */
static void norm_grid(sirnn_fixfmt fx, sirnn_fixfmt fd, sirnn_fixfmt fo)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ ((uint64_t)fd.bits << 8) ^ ((uint64_t)fo.bits << 16) ^
                            (uint64_t)fo.scale ^ 0xe7000000u);
    const size_t n = test_quick() ? 301 : 20001;
    uint64_t *x = calloc(n, sizeof(uint64_t)), *d = calloc(n, sizeof(uint64_t));
    assert_true(x && d);
    const unsigned b = fd.bits - (fd.is_signed ? 1u : 0u);
    const uint64_t top = (uint64_t)1 << b;
    const uint64_t dedges[] = {0, 1, 2, top - 1, top - 2, top >> 1, (uint64_t)1 << fd.scale};
    const uint64_t xm = test_mask(fx.bits);
    const uint64_t xedges[] = {(xm >> 1) + 1, xm >> 1, 1, xm, 0};
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rng_next(&rng);
        if (r % 8 == 0) {
            d[i] = dedges[(r >> 8) % 7] & (top - 1);
        } else {
            const unsigned k = (unsigned)test_rng_below(&rng, b);
            d[i] = ((uint64_t)1 << k) | (test_rng_next(&rng) & (((uint64_t)1 << k) - 1));
        }
        if ((r >> 20) % 6 == 0)
            x[i] = xedges[(r >> 24) % 5];
        else
            mc_values(&rng, &x[i], 1, fx.bits);
    }
    dcase c = {.is_div = 2, .n = n, .fx = fx, .fd = fd, .fo = fo};
    uint64_t fl;
    long double mx;
    run_case(&c, &rng, x, d, 1.0, &fl, &mx);
    printf("# div_norm %d/%d / %d/%d%s -> %d/%d: max %.3Lf ULP where the quotient fits\n",
           fx.bits, fx.scale, fd.bits, fd.scale, fd.is_signed ? "" : "u", fo.bits, fo.scale, mx);
    free(x);
    free(d);
}

static void test_div_norm_grids(void **state)
{
    (void)state;
    const sirnn_fixfmt f8_4 = {8, 4, true}, f8_5 = {8, 5, true}, f8u = {8, 3, false},
                       f24_12 = {24, 12, true}, f24_20 = {24, 20, true}, f24_8 = {24, 8, true},
                       f32_16 = {32, 16, true}, f32_24 = {32, 24, true}, f16_8 = {16, 8, true},
                       f12_6 = {12, 6, true}, f20_12 = {20, 12, true};
    norm_grid(f8_4, f8_5, f8_4);
    norm_grid(f8_4, f8u, f8_5);
    norm_grid(F16_12, f8_4, F16_12);
    norm_grid(f24_12, f24_12, f20_12);
    norm_grid(f24_12, f24_20, f24_8);
    norm_grid(F16_12, f24_12, F16_12);
    norm_grid(f32_16, f32_16, F16_12);
    norm_grid(f32_16, f32_24, f16_8);
    norm_grid(f32_16, F16_12, f24_12);
    norm_grid(f12_6, f32_16, f12_6);
    norm_grid(F16_12, F16_12, f8_4);
}

static void test_div_norm_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe8);
    uint64_t x[1001], d[1001];
    for (size_t i = 0; i < 1001; i++) {
        x[i] = test_rng_next(&rng) & 0xffff;
        d[i] = test_rng_next(&rng) & 0xffff;
    }
    const size_t sizes[] = {0, 1, 3, 1001};
    for (int lanes = 1; lanes <= 2; lanes++) {
        if (lanes == 2) {
            test_pair_lanes(2);
        }
        for (size_t s = 0; s < 4; s++) {
            dcase c = {.is_div = 2, .n = sizes[s], .fx = F16_12, .fd = F16_12, .fo = F16_12};
            uint64_t fl;
            const uint64_t bytes = run_case(&c, &rng, x, d, 1.0, &fl, NULL);
            if (sizes[s] == 0)
                assert_true(bytes == 0 && fl == 0);
        }
    }
    test_pair_lanes(1);
    /* q over num and over den. */
    enum { N = 77 };
    uint64_t want[N];
    assert_int_equal(sirnn_ref_div_norm(N, want, x, d, F16_12, F16_12, F16_12), SIRNN_OK);
    for (int mode = 0; mode < 2; mode++) {
        dcase c = {.is_div = 2, .n = N, .fx = F16_12, .fd = F16_12, .fo = F16_12};
        uint64_t bufx[2][N], bufd[2][N];
        mc_split(&rng, x, bufx[0], bufx[1], N, 16);
        mc_split(&rng, d, bufd[0], bufd[1], N, 16);
        for (int r = 0; r < 2; r++) {
            c.x[r] = bufx[r];
            c.d[r] = bufd[r];
            c.out[r] = mode ? bufx[r] : bufd[r];
        }
        mc_run(div_call, &c, NULL);
        for (size_t i = 0; i < N; i++)
            assert_int_equal((c.out[0][i] + c.out[1][i]) & 0xffff, want[i]);
    }
}

static void test_div_norm_format_errors(void **state)
{
    (void)state;
    uint64_t v = 0x1000, o = 0;
    const sirnn_fixfmt bad[][3] = {
        {{16, 12, false}, {16, 12, true}, {16, 12, true}}, /* unsigned numerator */
        {{16, 12, true}, {16, 12, true}, {16, 12, false}}, /* unsigned quotient */
        {{40, 12, true}, {16, 12, true}, {16, 12, true}},  /* 40 bits */
        {{16, 12, true}, {16, 63, true}, {16, 12, true}},  /* scale 63 */
        {{16, 12, true}, {2, 0, true}, {16, 12, true}},    /* 1-bit denominator */
        {{32, 16, true}, {32, 16, true}, {32, 16, true}},  /* working width > 64 */
        {{24, 12, true}, {24, 12, true}, {24, 12, true}},  /* product > 64 bits */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sirnn_div_norm(test_srv, 1, &o, &v, &v, bad[i][0], bad[i][1], bad[i][2]),
                         SIRNN_ERR_ARG);
        assert_true(strlen(sirnn_party_last_error(test_srv)) > 10);
        assert_int_equal(sirnn_ref_div_norm(1, &o, &v, &v, bad[i][0], bad[i][1], bad[i][2]),
                         SIRNN_ERR_ARG);
    }
    assert_int_equal(sirnn_div_norm(test_srv, 1, NULL, &v, &v, F16_12, F16_12, F16_12),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_div_norm(NULL, 1, &o, &v, &v, F16_12, F16_12, F16_12), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ref_div_norm(1, NULL, &v, &v, F16_12, F16_12, F16_12), SIRNN_ERR_ARG);
    /* The session is still usable after argument errors. */
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe9);
    uint64_t x = 0x3456, d = 0x0123;
    dcase c = {.is_div = 2, .n = 1, .fx = F16_12, .fd = F16_12, .fo = F16_12};
    run_case(&c, &rng, &x, &d, 1.0, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_errors),   cmocka_unit_test(test_recip_16_12),
        cmocka_unit_test(test_recip_16_14),     cmocka_unit_test(test_div_16_12),
        cmocka_unit_test(test_grids),           cmocka_unit_test(test_sizes_and_lanes),
        cmocka_unit_test(test_alias),           cmocka_unit_test(test_div_norm_format_errors),
        cmocka_unit_test(test_div_norm_16),     cmocka_unit_test(test_div_norm_grids),
        cmocka_unit_test(test_div_norm_sizes),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
