/*
 * exp (and, below, sigmoid and tanh) against their cleartext models: every
 * 16-bit input at the TARGETS formats (a strided subset under
 * SIRNN_TEST_QUICK), dense random grids at 8-, 24- and 32-bit formats with
 * edge inputs, the models' ULP contracts against the true functions in
 * long double, format errors (and the session staying usable), n = 0, 1
 * and odd n, two lanes, and bits and flights pinned: against the sum of the
 * sub-protocols run alone on the same shares, and against the figures in
 * sirnn/math.h.
 */
#include "tests/mixed_common.h"

#include <math.h>
#include <stdio.h>

#include "sirnn/math.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "math/sigmoid_plan.h"

typedef sirnn_status (*mpc_fn)(sirnn_party *, size_t, uint64_t *, const uint64_t *, sirnn_fixfmt,
                               sirnn_fixfmt);
typedef sirnn_status (*ref_fn)(size_t, uint64_t *, const uint64_t *, sirnn_fixfmt, sirnn_fixfmt);
typedef long double (*true_fn)(long double);

typedef struct mfun {
    const char *name;
    mpc_fn mpc;
    ref_fn ref;
    true_fn truth;
    int nonpos_only; /* the contract's domain is x <= 0 */
} mfun;

static long double true_exp(long double x)
{
    return expl(x);
}

static long double true_sigmoid(long double x)
{
    return 1.0L / (1.0L + expl(-x));
}

static long double true_tanh(long double x)
{
    return tanhl(x);
}

static const mfun F_EXP = {"exp", sirnn_exp, sirnn_ref_exp, true_exp, 1};
static const mfun F_SIG = {"sigmoid", sirnn_sigmoid, sirnn_ref_sigmoid, true_sigmoid, 0};
static const mfun F_TANH = {"tanh", sirnn_tanh, sirnn_ref_tanh, true_tanh, 0};

static sirnn_fixfmt fmt(unsigned bits, int scale, int sgn)
{
    sirnn_fixfmt f = {(uint8_t)bits, (int8_t)scale, sgn != 0};
    return f;
}

static int64_t sval(uint64_t x, unsigned l)
{
    return (int64_t)(x << (64 - l)) >> (64 - l);
}

typedef struct mcall {
    const mfun *fn;
    size_t n;
    sirnn_fixfmt fi, fo;
    uint64_t *x[2], *y[2];
    int alias;
} mcall;

static sirnn_status mcall_fn(void *vctx, sirnn_party *p, int r)
{
    mcall *c = vctx;
    return c->fn->mpc(p, c->n, c->alias ? c->x[r] : c->y[r], c->x[r], c->fi, c->fo);
}

/* Runs fn on shares of x[n] and checks the result against the model, bit
 * for bit. Returns the bytes sent; *flights gets both parties' flights. */
static uint64_t run_check(const mfun *fn, test_rng *rng, const uint64_t *x, size_t n,
                          sirnn_fixfmt fi, sirnn_fixfmt fo, int alias, uint64_t *flights)
{
    mcall c = {.fn = fn, .n = n, .fi = fi, .fo = fo, .alias = alias};
    uint64_t *want = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(want);
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(n + 1, sizeof(uint64_t));
        c.y[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(c.x[r] != NULL && c.y[r] != NULL);
    }
    mc_split(rng, x, c.x[0], c.x[1], n, fi.bits);
    for (size_t i = 0; i < n; i++)
        c.x[1][i] |= test_rng_next(rng) << fi.bits; /* ignored */
    assert_int_equal(fn->ref(n, want, x, fi, fo), SIRNN_OK);
    const uint64_t bytes = mc_run(mcall_fn, &c, flights);
    const uint64_t *y0 = alias ? c.x[0] : c.y[0], *y1 = alias ? c.x[1] : c.y[1];
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(y0[i] <= test_mask(fo.bits) && y1[i] <= test_mask(fo.bits));
        const uint64_t got = (y0[i] + y1[i]) & test_mask(fo.bits);
        if (got != want[i] && bad++ < 5)
            printf("%s %u/%d -> %u/%d: x = %#llx got %#llx want %#llx\n", fn->name, fi.bits,
                   fi.scale, fo.bits, fo.scale, (unsigned long long)x[i],
                   (unsigned long long)got, (unsigned long long)want[i]);
    }
    assert_int_equal(bad, 0);
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.y[r]);
    }
    free(want);
    return bytes;
}

/* Max error of the model over x[n] in the contract's domain, in output
 * ULPs against the true function; *mean gets the mean. */
static double model_ulp(const mfun *fn, const uint64_t *x, size_t n, sirnn_fixfmt fi,
                        sirnn_fixfmt fo, double *mean)
{
    uint64_t *y = malloc((n + 1) * sizeof(uint64_t));
    assert_non_null(y);
    assert_int_equal(fn->ref(n, y, x, fi, fo), SIRNN_OK);
    double mx = 0, sum = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        const int64_t xs = sval(x[i], fi.bits);
        if (fn->nonpos_only && xs > 0)
            continue;
        const long double t = ldexpl(fn->truth(ldexpl((long double)xs, -fi.scale)), fo.scale);
        const int64_t ys = fo.is_signed ? sval(y[i], fo.bits) : (int64_t)y[i];
        const double e = (double)fabsl((long double)ys - t);
        mx = e > mx ? e : mx;
        sum += e;
        cnt++;
    }
    if (mean != NULL)
        *mean = cnt ? sum / (double)cnt : 0;
    free(y);
    return mx;
}

/* Every 16-bit input (strided when quick). */
static size_t all16(uint64_t **px)
{
    const size_t stride = test_quick() ? 61 : 1;
    uint64_t *x = malloc(((65536 / stride) + 2) * sizeof(uint64_t));
    assert_non_null(x);
    size_t n = 0;
    for (uint64_t v = 0; v < 65536; v += stride)
        x[n++] = v;
    x[n++] = 0xffff; /* the smallest negative step is always in */
    *px = x;
    return n;
}

static void exhaustive16(const mfun *fn, sirnn_fixfmt fi, sirnn_fixfmt fo, double bound)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x16);
    uint64_t *x;
    const size_t n = all16(&x);
    run_check(fn, &rng, x, n, fi, fo, 0, NULL);
    /* the model's contract over every input (every 7th when quick) */
    uint64_t *all = malloc(65536 * sizeof(uint64_t));
    assert_non_null(all);
    size_t na = 0;
    for (uint64_t v = 0; v < 65536; v += test_quick() ? 7 : 1)
        all[na++] = v;
    double mean;
    const double mx = model_ulp(fn, all, na, fi, fo, &mean);
    printf("%s %u/%d -> %u/%d: max %.4f mean %.4f ULP (bound %.2f)\n", fn->name, fi.bits,
           fi.scale, fo.bits, fo.scale, mx, mean, bound);
    assert_true(mx <= bound);
    free(all);
    free(x);
}

static void test_exp_16_12_12(void **state)
{
    (void)state;
    exhaustive16(&F_EXP, fmt(16, 12, 1), fmt(16, 12, 0), 1.25);
}

static void test_exp_16_12_14(void **state)
{
    (void)state;
    exhaustive16(&F_EXP, fmt(16, 12, 1), fmt(16, 14, 0), 1.25);
}

/* Edge inputs of a b-bit format: 0, +-1, the extremes, and around the
 * points where the result saturates to 0 (|x| near (s_out + 1) ln 2). */
static size_t edges(uint64_t *x, sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    const unsigned b = fi.bits;
    const uint64_t m = test_mask(b), half = (uint64_t)1 << (b - 1);
    size_t n = 0;
    const uint64_t base[] = {0, 1, m, m - 1, half, half + 1, half - 1, 2};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        x[n++] = base[i] & m;
    const long double sat = ldexpl(((long double)fo.scale + 1) * logl(2.0L), fi.scale);
    for (int d = -2; d <= 2; d++) {
        const long double v = floorl(sat) + d;
        if (v > 0 && v < (long double)half)
            x[n++] = (0 - (uint64_t)v) & m;
    }
    return n;
}

typedef struct fcase {
    unsigned bi;
    int si;
    unsigned bo;
    int so;
    int osgn;
    double bound;
} fcase;

static void grid(const mfun *fn, const fcase *cases, size_t ncases)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6d);
    const size_t nr = test_quick() ? 200 : 3001;
    const size_t nm = test_quick() ? 4096 : 1 << 18;
    uint64_t *x = malloc(((nm > 65536 ? nm : 65536) + 32) * sizeof(uint64_t));
    assert_non_null(x);
    for (size_t c = 0; c < ncases; c++) {
        const fcase *k = &cases[c];
        const sirnn_fixfmt fi = fmt(k->bi, k->si, 1), fo = fmt(k->bo, k->so, k->osgn);
        size_t n = edges(x, fi, fo);
        for (; n < nr; n++) {
            /* half the points in the interesting range |x| < 2^(s_in + 5) */
            const uint64_t r = test_rng_next(&rng);
            const unsigned w = (r & 1) && k->si + 6 < (int)k->bi ? (unsigned)k->si + 6 : k->bi;
            x[n] = (r >> 1) & test_mask(w);
            if (r & (1ull << 40))
                x[n] = (0 - x[n]) & test_mask(k->bi);
        }
        run_check(fn, &rng, x, n, fi, fo, (int)(c & 1), NULL);
        /* the model's contract: exhaustive up to 16 bits, else random */
        size_t m;
        if (k->bi <= 16) {
            m = 0;
            for (uint64_t v = 0; v < ((uint64_t)1 << k->bi); v += test_quick() ? 7 : 1)
                x[m++] = v;
        } else {
            m = edges(x, fi, fo);
            for (; m < nm; m++) {
                const uint64_t r = test_rng_next(&rng);
                const unsigned w = (r & 1) ? (unsigned)k->si + 6 : k->bi;
                x[m] = (0 - ((r >> 1) & test_mask(w < k->bi ? w : k->bi))) & test_mask(k->bi);
            }
        }
        double mean;
        const double mx = model_ulp(fn, x, m, fi, fo, &mean);
        printf("%s %u/%d -> %u/%d%s: max %.4f mean %.4f ULP (bound %.2f)\n", fn->name, k->bi,
               k->si, k->bo, k->so, k->osgn ? " signed" : "", mx, mean, k->bound);
        assert_true(mx <= k->bound);
    }
    free(x);
}

static const fcase EXP_CASES[] = {
    {8, 4, 8, 6, 0, 0.5},     {8, 7, 16, 14, 1, 0.5},   {8, 0, 8, 7, 0, 0.5},
    {12, 8, 16, 12, 0, 1.5},  {16, 8, 16, 12, 0, 1.5},  {16, 15, 16, 15, 0, 1.5},
    {16, 12, 16, 13, 1, 1.5}, {16, 0, 16, 14, 0, 1.5},  {24, 12, 24, 20, 0, 1.0},
    {24, 16, 16, 15, 0, 1.0}, {32, 16, 32, 16, 0, 1.0}, {32, 24, 32, 28, 0, 1.0},
    {32, 12, 16, 14, 1, 1.0}, {20, 10, 8, 6, 0, 1.0},
};

static void test_exp_grid(void **state)
{
    (void)state;
    grid(&F_EXP, EXP_CASES, sizeof EXP_CASES / sizeof EXP_CASES[0]);
}

/* x > 0 is exp(x - 2^(bits_in - scale_in)), as documented. */
static void test_exp_positive(void **state)
{
    (void)state;
    const sirnn_fixfmt fi = fmt(16, 12, 1), fo = fmt(16, 12, 0);
    uint64_t x[3] = {1, 0x4000, 0x7fff}, y[3];
    assert_int_equal(sirnn_ref_exp(3, y, x, fi, fo), SIRNN_OK);
    for (int i = 0; i < 3; i++) {
        const long double t = ldexpl(expl(ldexpl((long double)x[i], -12) - 16), 12);
        assert_true(fabsl((long double)y[i] - t) <= 1.25L);
    }
}

static sirnn_status exp_bad(void *vctx, sirnn_party *p, int r)
{
    (void)r;
    const sirnn_fixfmt *f = vctx;
    uint64_t x[2] = {1, 2}, y[2];
    sirnn_status st = sirnn_exp(p, 2, y, x, f[0], f[1]);
    if (st != SIRNN_ERR_ARG || sirnn_party_last_error(p)[0] == '\0')
        return SIRNN_ERR_STATE;
    /* the session stays usable */
    return sirnn_exp(p, 2, y, x, fmt(16, 12, 1), fmt(16, 12, 0));
}

static void test_exp_bad_formats(void **state)
{
    (void)state;
    const sirnn_fixfmt bad[][2] = {
        {{16, 12, false}, {16, 12, false}}, /* unsigned input */
        {{7, 4, true}, {16, 12, false}},    {{33, 12, true}, {16, 12, false}},
        {{16, 12, true}, {7, 4, false}},    {{16, 12, true}, {33, 12, false}},
        {{16, 12, true}, {16, 16, false}},  /* 1.0 does not fit */
        {{16, 12, true}, {16, 15, true}},   /* 1.0 does not fit a signed 16/15 */
        {{16, -1, true}, {16, 12, false}},  {{16, 12, true}, {16, -2, false}},
        {{32, 0, true}, {32, 30, false}},   /* the product ring would pass 64 bits */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t x = 0, y;
        assert_int_equal(sirnn_ref_exp(1, &y, &x, bad[i][0], bad[i][1]), SIRNN_ERR_ARG);
        mc_run(exp_bad, (void *)bad[i], NULL);
    }
    uint64_t y;
    assert_int_equal(sirnn_ref_exp(1, &y, NULL, fmt(16, 12, 1), fmt(16, 12, 0)), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_exp(NULL, 0, NULL, NULL, fmt(16, 12, 1), fmt(16, 12, 0)),
                     SIRNN_ERR_ARG);
}

static void sizes(const mfun *fn, sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x5);
    const size_t ns[] = {0, 1, 2, 3, 129, 1001};
    uint64_t x[1001];
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        mc_values(&rng, x, ns[k], fi.bits);
        uint64_t flights;
        const uint64_t bytes = run_check(fn, &rng, x, ns[k], fi, fo, (int)(k & 1), &flights);
        if (ns[k] == 0)
            assert_true(bytes == 0 && flights == 0);
    }
}

static void test_exp_sizes(void **state)
{
    (void)state;
    sizes(&F_EXP, fmt(16, 12, 1), fmt(16, 12, 0));
    sizes(&F_EXP, fmt(24, 12, 1), fmt(16, 14, 0));
}

static void two_lanes(const mfun *fn, sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x2);
    const size_t n = test_quick() ? 301 : 5001;
    uint64_t *x = malloc(n * sizeof(uint64_t));
    assert_non_null(x);
    mc_values(&rng, x, n, fi.bits);
    run_check(fn, &rng, x, n, fi, fo, 0, NULL);
    free(x);
    test_pair_lanes(1);
}

static void test_exp_two_lanes(void **state)
{
    (void)state;
    two_lanes(&F_EXP, fmt(16, 12, 1), fmt(16, 12, 0));
}

/* ---- bits and flights: the composition of the sub-protocols ---- */

typedef struct subcase {
    size_t n;
    uint64_t *a[2], *b[2], *o[2];
    uint8_t *z;
    int step;
} subcase;

/* The steps of exp 16/12 -> 16/12 on their own (random shares). */
static sirnn_status sub_call(void *vctx, sirnn_party *p, int r)
{
    subcase *c = vctx;
    switch (c->step) {
    case 0:
        return sirnn_digdec(p, c->n, c->o[r], c->a[r], 16, 8);
    case 1: {
        /* the factor lookups: D_0 (9 bits) and E_1 (16 bits), each with its wrap */
        static const unsigned w0[2] = {9, 1}, w1[2] = {16, 1};
        static const unsigned wrap_of[2] = {SIRNN_LUT_NOWRAP, 0};
        static uint64_t zeros[512];
        const sirnn_lut_req rq[2] = {
            {.out = c->o[r], .idx = c->a[r], .tables = r == 0 ? zeros : NULL, .ntab = 2,
             .m = 8, .widths = w0, .wrap_of = wrap_of},
            {.out = c->o[r] + 2 * c->n, .idx = c->a[r] + c->n, .tables = r == 0 ? zeros : NULL,
             .ntab = 2, .m = 8, .widths = w1, .wrap_of = wrap_of}};
        return sirnn_lut_several(p, c->n, rq, 2);
    }
    case 2:
        return sirnn_mult_wraps(p, c->n, c->o[r], c->a[r], c->b[r], c->b[r], c->z, 9, 16, 26,
                                0);
    default:
        /* the rounding: a 26-bit value whose MSB is a public zero (c->z) */
        return sirnn_shift_lean(p, c->n, c->o[r], c->a[r], c->z, 26, 12, 16, 0, NULL);
    }
}

static void test_exp_cost(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc0);
    const size_t n = test_quick() ? 256 : 4096;
    subcase c = {.n = n};
    c.z = calloc(n, 1);
    for (int r = 0; r < 2; r++) {
        c.a[r] = calloc(2 * n, sizeof(uint64_t));
        c.b[r] = calloc(n, sizeof(uint64_t));
        c.o[r] = calloc(4 * n, sizeof(uint64_t));
        for (size_t i = 0; i < 2 * n; i++)
            c.a[r][i] = test_rng_next(&rng) & 0xff;
        for (size_t i = 0; i < n; i++)
            c.b[r][i] = test_rng_next(&rng) & 0x3fff;
    }
    uint64_t sum_bytes = 0, sum_fl = 0;
    for (c.step = 0; c.step < 4; c.step++) {
        uint64_t fl;
        const uint64_t b = mc_run(sub_call, &c, &fl);
        printf("exp 16/12 -> 16/12, step %d: %llu bits per element, %llu flights\n", c.step,
               (unsigned long long)(b * 8 / n), (unsigned long long)fl);
        sum_bytes += b;
        sum_fl += fl;
    }
    uint64_t x[4096], fl_exp;
    mc_values(&rng, x, n, 16);
    const uint64_t bytes = run_check(&F_EXP, &rng, x, n, fmt(16, 12, 1), fmt(16, 12, 0), 0, &fl_exp);
    printf("exp 16/12 -> 16/12: %llu bits per element, %llu flights (n = %zu)\n",
           (unsigned long long)(bytes * 8 / n), (unsigned long long)fl_exp, n);
    /* (mc_run counts the protocol's own bytes: the silent engines' tiles
     * come in lumps wherever an engine runs dry) */
    assert_int_equal(bytes, sum_bytes);
    /* digdec's and the product's last flights are party 1's, and the next
     * step's first rides in each */
    assert_int_equal(fl_exp, sum_fl - 2);
    assert_pin_equal(bytes * 8, (uint64_t)12721 * n); /* sirnn/math.h */
    /* flights at n = 1: the documented 10 */
    uint64_t fl1;
    run_check(&F_EXP, &rng, x, 1, fmt(16, 12, 1), fmt(16, 12, 0), 0, &fl1);
    assert_pin_equal(fl1, 10);
    for (int r = 0; r < 2; r++) {
        free(c.a[r]);
        free(c.b[r]);
        free(c.o[r]);
    }
    free(c.z);
}

/* ---- sigmoid and tanh ---- */

static void test_sigmoid_16_12_12(void **state)
{
    (void)state;
    exhaustive16(&F_SIG, fmt(16, 12, 1), fmt(16, 12, 1), 1.15); /* the line path */
}

static void test_sigmoid_16_12_14(void **state)
{
    (void)state;
    exhaustive16(&F_SIG, fmt(16, 12, 1), fmt(16, 14, 1), 1.3);  /* the line path */
}

static void test_tanh_16_12_12(void **state)
{
    (void)state;
    exhaustive16(&F_TANH, fmt(16, 12, 1), fmt(16, 12, 1), 1.05); /* the parabola path */
}

static void test_tanh_16_12_14(void **state)
{
    (void)state;
    exhaustive16(&F_TANH, fmt(16, 12, 1), fmt(16, 14, 1), 1.0); /* the parabola path */
}

static const fcase SIG_CASES[] = {
    {8, 4, 8, 7, 0, 0.5},      {8, 0, 8, 6, 1, 0.5},      {12, 8, 16, 15, 0, 1.3},
    {16, 12, 16, 15, 0, 1.4},  {16, 0, 16, 14, 1, 1.0},   {24, 12, 24, 16, 1, 1.9},
    {24, 16, 16, 13, 1, 1.9},  {32, 16, 32, 16, 0, 1.9},  {32, 24, 16, 14, 1, 1.9},
    {20, 10, 8, 5, 0, 1.9},    {12, 10, 16, 12, 1, 1.6},  {10, 9, 12, 8, 1, 1.6},
    {16, 11, 16, 14, 1, 1.9},
    /* issue 14: output scale 16 on the |x| path, 8-bit inputs at 16 */
    {16, 10, 20, 16, 0, 1.4},  {8, 4, 24, 16, 0, 0.5},
};

static const fcase TANH_CASES[] = {
    {8, 1, 8, 6, 1, 0.5},     {8, 4, 16, 14, 1, 0.5},  {16, 8, 16, 14, 1, 1.7},
    {24, 12, 16, 13, 1, 1.5}, {24, 12, 24, 16, 1, 3.25}, {32, 16, 32, 16, 1, 3.25},
    {32, 16, 16, 14, 1, 1.7}, {32, 24, 32, 12, 1, 1.5},  {12, 10, 16, 12, 1, 1.6},
    {10, 9, 12, 8, 1, 1.6},   {16, 11, 16, 13, 1, 1.9},
};

static void test_sigmoid_grid(void **state)
{
    (void)state;
    grid(&F_SIG, SIG_CASES, sizeof SIG_CASES / sizeof SIG_CASES[0]);
}

static void test_tanh_grid(void **state)
{
    (void)state;
    grid(&F_TANH, TANH_CASES, sizeof TANH_CASES / sizeof TANH_CASES[0]);
}

/* Symmetries of the models: on the |x| path (16/12 -> 16/15 unsigned for
 * sigmoid) sigmoid(-x) = 1 - sigmoid(x) exactly (the sign is applied after
 * |x|); on the poly path (16/12 -> 16/12: sigmoid's line, tanh's parabola)
 * sigmoid(-x) + sigmoid(x) - 1 and tanh(-x) + tanh(x) within one ULP for
 * every x (each side is within 1.0 ULP of the true value); and saturation. */
static void test_sig_tanh_edges(void **state)
{
    (void)state;
    const sirnn_fixfmt fi = fmt(16, 12, 1), fo = fmt(16, 12, 1), f15 = fmt(16, 15, 0);
    uint64_t x[4] = {1, 0x1234, 0x7fff, 0}, xn[4], ys[4], ysn[4], yt[4], ytn[4];
    for (int i = 0; i < 4; i++)
        xn[i] = (0 - x[i]) & 0xffff;
    assert_int_equal(sirnn_ref_sigmoid(4, ys, x, fi, f15), SIRNN_OK);
    assert_int_equal(sirnn_ref_sigmoid(4, ysn, xn, fi, f15), SIRNN_OK);
    assert_int_equal(sirnn_ref_tanh(4, yt, x, fi, fo), SIRNN_OK);
    assert_int_equal(sirnn_ref_tanh(4, ytn, xn, fi, fo), SIRNN_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal((ys[i] + ysn[i]) & 0xffff, 32768);
        const int64_t dt = (int64_t)(int16_t)yt[i] + (int64_t)(int16_t)ytn[i];
        assert_true(dt >= -1 && dt <= 1);
    }
    static uint64_t all[65536], alln[65536], ya[65536], yan[65536];
    for (uint64_t v = 0; v < 65536; v++) {
        all[v] = v;
        alln[v] = (0 - v) & 0xffff;
    }
    assert_int_equal(sirnn_ref_sigmoid(65536, ya, all, fi, fo), SIRNN_OK);
    assert_int_equal(sirnn_ref_sigmoid(65536, yan, alln, fi, fo), SIRNN_OK);
    for (size_t v = 0; v < 65536; v++) {
        if (v == 0x8000)
            continue; /* -x = x */
        const int64_t d = (int64_t)ya[v] + (int64_t)yan[v] - 4096;
        assert_true(d >= -1 && d <= 1);
    }
    assert_int_equal(sirnn_ref_tanh(65536, ya, all, fi, fo), SIRNN_OK);
    assert_int_equal(sirnn_ref_tanh(65536, yan, alln, fi, fo), SIRNN_OK);
    for (size_t v = 0; v < 65536; v++) {
        if (v == 0x8000)
            continue;
        const int64_t d = (int64_t)(int16_t)ya[v] + (int64_t)(int16_t)yan[v];
        assert_true(d >= -1 && d <= 1);
    }
    assert_int_equal(sirnn_ref_sigmoid(4, ys, x, fi, fo), SIRNN_OK);
    assert_int_equal(ys[3], 2048); /* sigmoid(0) = 1/2 */
    assert_int_equal(yt[3], 0);
    assert_int_equal(ys[2], 4095); /* 4096 sigmoid(8 - 2^-12) = 4094.6 */
    assert_int_equal(yt[2], 4096); /* 4096 tanh(8 - 2^-12) = 4095.99 */
    uint64_t m = 0x8000, y;
    assert_int_equal(sirnn_ref_sigmoid(1, &y, &m, fi, fo), SIRNN_OK);
    assert_int_equal(y, 1); /* sigmoid(-8) 2^12 = 1.37 */
    assert_int_equal(sirnn_ref_tanh(1, &y, &m, fi, fo), SIRNN_OK);
    assert_int_equal(y, 0xffff & (0 - 4096u));
}

static sirnn_status sig_bad(void *vctx, sirnn_party *p, int r)
{
    (void)r;
    const sirnn_fixfmt *f = vctx;
    uint64_t x[2] = {1, 2}, y[2];
    const mfun *fn = f[2].bits ? &F_TANH : &F_SIG;
    sirnn_status st = fn->mpc(p, 2, y, x, f[0], f[1]);
    if (st != SIRNN_ERR_ARG || sirnn_party_last_error(p)[0] == '\0')
        return SIRNN_ERR_STATE;
    return fn->mpc(p, 2, y, x, fmt(16, 12, 1), fmt(16, 12, 1));
}

static void test_sig_tanh_bad_formats(void **state)
{
    (void)state;
    /* {in, out, {is_tanh}} */
    const sirnn_fixfmt bad[][3] = {
        {{16, 12, false}, {16, 12, true}, {0, 0, 0}}, {{7, 4, true}, {16, 12, true}, {0, 0, 0}},
        {{33, 4, true}, {16, 12, true}, {0, 0, 0}},   {{16, 12, true}, {16, 15, true}, {0, 0, 0}},
        {{16, 12, true}, {16, 4, true}, {0, 0, 0}},   {{16, 12, true}, {32, 20, true}, {0, 0, 0}},
        {{16, 12, true}, {16, 16, false}, {0, 0, 0}}, {{16, 12, true}, {16, 12, false}, {1, 0, 0}},
        {{16, 12, true}, {16, 15, true}, {1, 0, 0}},  {{16, 0, true}, {16, 12, true}, {1, 0, 0}},
        {{16, 12, true}, {7, 5, true}, {1, 0, 0}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t x = 0, y;
        const mfun *fn = bad[i][2].bits ? &F_TANH : &F_SIG;
        assert_int_equal(fn->ref(1, &y, &x, bad[i][0], bad[i][1]), SIRNN_ERR_ARG);
        mc_run(sig_bad, (void *)bad[i], NULL);
    }
}

static void test_sig_tanh_sizes(void **state)
{
    (void)state;
    sizes(&F_SIG, fmt(16, 12, 1), fmt(16, 14, 1));
    sizes(&F_TANH, fmt(16, 12, 1), fmt(16, 12, 1));
    two_lanes(&F_SIG, fmt(16, 12, 1), fmt(16, 12, 1));
    two_lanes(&F_TANH, fmt(24, 12, 1), fmt(16, 13, 1));
    two_lanes(&F_TANH, fmt(16, 12, 1), fmt(16, 14, 1)); /* the parabola path */
}

/* Bits per element (n = 4096, 256 when quick; one lane) and flights (n = 1), as in
 * sirnn/math.h. */
static void pin_cost(const mfun *fn, sirnn_fixfmt fi, sirnn_fixfmt fo, uint64_t bits,
                     uint64_t flights)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc1);
    const size_t n = test_quick() ? 256 : 4096;
    uint64_t *x = malloc(n * sizeof(uint64_t)), fl;
    assert_non_null(x);
    mc_values(&rng, x, n, fi.bits);
    const uint64_t bytes = run_check(fn, &rng, x, n, fi, fo, 0, NULL);
    printf("%s %u/%d -> %u/%d: %llu bits per element (n = %zu)\n", fn->name, fi.bits, fi.scale,
           fo.bits, fo.scale, (unsigned long long)(bytes * 8 / n), n);
    assert_pin_equal(bytes * 8, bits * n);
    run_check(fn, &rng, x, 1, fi, fo, 0, &fl);
    assert_pin_equal(fl, flights);
    free(x);
}

/* One cross term of sirnn_mult (sirnn/arith.h): nb IKNP COTs of 128-bit
 * columns, messages of l - i bits. */
static uint64_t cross_bits(unsigned nb, unsigned l)
{
    return 128 * (uint64_t)nb + (uint64_t)nb * l - (uint64_t)nb * (nb - 1) / 2;
}

/* Bits per element of the poly path at 16-bit inputs (sirnn/math.h), from
 * the component formulas of sirnn/arith.h with 128-bit IKNP columns and the
 * widths of the plan:
 *   carry networks of the fewest blocks of <= 8 bits: C(8) = 256 + 256 (one
 *   g leaf of 8 bits) = 512, C(7) = 256 + 128 = 384; B2A(w) = 127 + w;
 *   digdec(16, 8) = C(8) + B2A(8) = 647 (its carry out of d0 is reused by
 *   the line's product at no cost: L - 8 - kB <= 8); TR(L, 7) = C(7) +
 *   B2A(L - 7) (527 at L = 23); sirnn_millionaire(8, m = 4) = 708;
 *   lookups: one KK13 OT (256) + 2^8 x the message bits (a wrap field: 1);
 *   products (8-bit x, chooser with the narrower operand's bits, every wrap
 *   given): two cross terms; x's wrap MUX 2 (128 + L - 8); y's wrap MUX
 *   (L > k) 2 (128 + L - k).
 * line: digdec + lookup(A1: L, B: kB, B's wrap) + product (8 x kB -> L) +
 * TR; parabola: digdec + lookup(Q: 8, its wrap) + lookup(B, C: kY, their
 * wraps, A: L) + 2 x product (8 x kY -> L) + TR. */
/* The poly path's rounding, measured on its own (bits per element): when
 * the ring is narrowed (sirnn_sig_plan_narrow), sirnn_shift_lean of an
 * L-bit value whose MSB is a public zero by T into bo bits, else
 * sirnn_tr_lean(L, T). */
typedef struct round_case {
    size_t n;
    unsigned L, T, bo;
    int narrow;
    uint64_t *x[2], *o[2];
    uint8_t *z;
} round_case;

static sirnn_status round_call(void *vctx, sirnn_party *p, int r)
{
    round_case *c = vctx;
    if (!c->narrow)
        return sirnn_tr_lean(p, c->n, c->o[r], c->x[r], c->L, c->T, c->L - c->T, 0);
    return sirnn_shift_lean(p, c->n, c->o[r], c->x[r], c->z, c->L, c->T, c->bo, 0, NULL);
}

static uint64_t round_bits(unsigned L, unsigned T, unsigned bo, int narrow)
{
    round_case c = {.n = 256, .L = L, .T = T, .bo = bo, .narrow = narrow};
    c.z = calloc(c.n, 1);
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(c.n, sizeof(uint64_t)); /* zeros: the MSB is 0 */
        c.o[r] = calloc(c.n, sizeof(uint64_t));
    }
    const uint64_t bytes = mc_run(round_call, &c, NULL);
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.o[r]);
    }
    free(c.z);
    assert_true(bytes * 8 % c.n == 0);
    return bytes * 8 / c.n;
}

static uint64_t poly_cost_bits(int is_tanh, sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    sirnn_sig_plan *p = malloc(sizeof(*p));
    char err[200];
    assert_non_null(p);
    assert_int_equal(sirnn_sig_plan_init(p, is_tanh, fi, fo, err, sizeof err), SIRNN_OK);
    sirnn_sig_plan_narrow(p); /* as sirnn_sigmoid / sirnn_tanh */
    assert_true(p->deg > 0 && p->b == 16);
    const unsigned L = p->L;
    const uint64_t c8 = 256 + 256;
    const uint64_t digdec = c8 + 127 + 8;
    const uint64_t tr = round_bits(L, p->T, p->bo, p->narrow);
    const unsigned ash = p->ash; /* A (A1) looked up as A >> ash */
    printf("%s %u/%d -> %u/%d: ring %u, kB %u, kY %u, A >> %u, rounding %llu bits\n",
           is_tanh ? "tanh" : "sigmoid", fi.bits, fi.scale, fo.bits, fo.scale, L, p->kB, p->kY,
           ash, (unsigned long long)tr);
    const unsigned k = p->deg == 1 ? p->kB : p->kY, nb = k < 8 ? k : 8;
    uint64_t prod = 2 * cross_bits(nb, L) + 2 * (128 + L - 8);
    if (L > k)
        prod += 2 * (128 + L - k);
    uint64_t bits;
    if (p->deg == 1) {
        assert_true(L - 8 - k <= 8); /* the carry's B2A stays 8 bits wide */
        bits = digdec + 256 + 256 * (L - ash + k + 1) + prod + tr;
    } else {
        assert_true(L + 2 * k + 2 <= 64); /* one OT for all five tables */
        bits = 256 + 256 * 9 + digdec + 256 + 256 * (L - ash + 2 * k + 2) + 2 * prod + tr;
    }
    free(p);
    return bits;
}

static void test_sig_tanh_cost(void **state)
{
    (void)state;
    /* The figures of sirnn/math.h (10,556 / 11,768 / 22,502 / 23,046 bits)
     * follow from the plan's widths after sirnn_sig_plan_narrow: sigmoid
     * (line, T = 7, A1 looked up >> 4) ring 20, kB = 7 (16/12) and ring 22,
     * kB = 9 (16/14); tanh (parabola, T = 8, A looked up >> 7) ring 23, kY
     * = 15 (16/12) and ring 24 (not narrowed), kY = 16 (16/14); 9 flights
     * each (digdec 3, the lookups 1, the product 3, the rounding 2: each
     * step's first flight rides in the last of the one before, party 1's). */
    const uint64_t s12 = poly_cost_bits(0, fmt(16, 12, 1), fmt(16, 12, 1));
    const uint64_t s14 = poly_cost_bits(0, fmt(16, 12, 1), fmt(16, 14, 1));
    const uint64_t t12 = poly_cost_bits(1, fmt(16, 12, 1), fmt(16, 12, 1));
    const uint64_t t14 = poly_cost_bits(1, fmt(16, 12, 1), fmt(16, 14, 1));
    assert_pin_equal(s12, 10556); /* the rounding is measured on the backend in use */
    assert_pin_equal(s14, 11768);
    assert_pin_equal(t12, 22502);
    assert_pin_equal(t14, 23046);
    pin_cost(&F_SIG, fmt(16, 12, 1), fmt(16, 12, 1), s12, 9);
    pin_cost(&F_SIG, fmt(16, 12, 1), fmt(16, 14, 1), s14, 9);
    pin_cost(&F_TANH, fmt(16, 12, 1), fmt(16, 12, 1), t12, 9);
    pin_cost(&F_TANH, fmt(16, 12, 1), fmt(16, 14, 1), t14, 9);
    /* 8-bit inputs: one lookup on x, 256 + 256 bits_out bits, 2 flights */
    pin_cost(&F_SIG, fmt(8, 4, 1), fmt(16, 14, 1), 256 + 256 * 16, 2);
    pin_cost(&F_TANH, fmt(8, 4, 1), fmt(12, 10, 1), 256 + 256 * 12, 2);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_16_12_12),   cmocka_unit_test(test_exp_16_12_14),
        cmocka_unit_test(test_exp_grid),       cmocka_unit_test(test_exp_positive),
        cmocka_unit_test(test_exp_bad_formats), cmocka_unit_test(test_exp_sizes),
        cmocka_unit_test(test_exp_two_lanes),  cmocka_unit_test(test_exp_cost),
        cmocka_unit_test(test_sigmoid_16_12_12), cmocka_unit_test(test_sigmoid_16_12_14),
        cmocka_unit_test(test_tanh_16_12_12),  cmocka_unit_test(test_tanh_16_12_14),
        cmocka_unit_test(test_sigmoid_grid),   cmocka_unit_test(test_tanh_grid),
        cmocka_unit_test(test_sig_tanh_edges), cmocka_unit_test(test_sig_tanh_bad_formats),
        cmocka_unit_test(test_sig_tanh_sizes), cmocka_unit_test(test_sig_tanh_cost),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
