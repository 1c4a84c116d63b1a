/*
 * The truncation fused into the digits (sirnn_trdig2, arith/trdig.h) and
 * the sigmoid pair on untruncated inputs (sirnn_sigmoid_pair_tr,
 * math/sig_pair.h) against cleartext references: floor division and
 * sirnn_ref_sigmoid. Random inputs (seed printed, SIRNN_TEST_SEED
 * overrides) with edge values; n = 0, 1, odd; the flights pinned.
 */
#include "tests/mixed_common.h"

#include "arith/trdig.h"
#include "math/sig_pair.h"
#include "sirnn/math.h"

/* Two inputs sharing their low e bits: xa = s + ca 2^e, xb = s + cb 2^e
 * (mod 2^l), the offsets party 0's; edge values for s's low and high bits. */
static void pair_inputs(test_rng *rng, size_t n, unsigned l, unsigned e, uint64_t *xa,
                        uint64_t *xb, uint64_t *sh[2][2])
{
    for (size_t i = 0; i < n; i++) {
        uint64_t s = test_rng_next(rng) & test_mask(l);
        switch (i % 5) {
        case 0: s &= ~test_mask(e); break;                 /* low bits 0 */
        case 1: s |= test_mask(e); break;                  /* low bits all 1 */
        case 2: s = test_mask(l); break;
        default: break;
        }
        const uint64_t ca = test_rng_next(rng), cb = i % 7 == 0 ? 0 : test_rng_next(rng);
        const uint64_t r = test_rng_next(rng) & test_mask(l);
        xa[i] = (s + (ca << e)) & test_mask(l);
        xb[i] = (s + (cb << e)) & test_mask(l);
        /* party 1 holds s - r, party 0 r plus its offsets */
        sh[0][0][i] = (r + (ca << e)) & test_mask(l);
        sh[0][1][i] = (r + (cb << e)) & test_mask(l);
        sh[1][0][i] = (s - r) & test_mask(l);
        sh[1][1][i] = (s - r) & test_mask(l);
    }
}

typedef struct tcase {
    size_t n;
    unsigned l, e, d[2], h[2];
    sirnn_fixfmt fin, fout;
    int lean;
    uint64_t *x[2][2], *out[2];
    int64_t s[2];      /* sirnn_sigmoid_pair_gates: party 0's scalars */
    unsigned lp;       /* and the products' ring (0: the pair alone) */
    int with_g;
    int carries;       /* sirnn_trdig2_carries instead of sirnn_trdig2 */
} tcase;

static sirnn_status trdig_call(void *vctx, sirnn_party *p, int r)
{
    tcase *c = vctx;
    if (c->carries)
        return sirnn_trdig2_carries(p, c->n, (uint8_t *)c->out[r], c->x[r][0], c->x[r][1], c->l,
                                    c->e, c->d, c->h);
    return sirnn_trdig2(p, c->n, c->out[r], c->x[r][0], c->x[r][1], c->l, c->e, c->d, c->h);
}

static sirnn_status pair_call(void *vctx, sirnn_party *p, int r)
{
    tcase *c = vctx;
    if (c->lp > 0)
        return sirnn_sigmoid_pair_gates(p, c->n, c->out[r], c->out[r] + c->n,
                                        c->with_g ? c->out[r] + 3 * c->n : NULL, c->x[r][0],
                                        c->x[r][1], c->e, c->fin, c->fout, r == 0 ? c->s : NULL,
                                        c->lp);
    return sirnn_sigmoid_pair_tr(p, c->n, c->out[r], c->x[r][0], c->x[r][1], c->e, c->fin,
                                 c->fout, c->lean);
}

static void tcase_alloc(tcase *c, size_t words)
{
    for (int r = 0; r < 2; r++) {
        c->out[r] = calloc(words + 1, sizeof(uint64_t));
        assert_non_null(c->out[r]);
        for (int k = 0; k < 2; k++) {
            c->x[r][k] = calloc(c->n + 1, sizeof(uint64_t));
            assert_non_null(c->x[r][k]);
        }
    }
}

static void tcase_free(tcase *c)
{
    for (int r = 0; r < 2; r++) {
        free(c->out[r]);
        for (int k = 0; k < 2; k++)
            free(c->x[r][k]);
    }
}

static uint64_t trdig_check(test_rng *rng, size_t n, unsigned l, unsigned e, unsigned d0,
                            unsigned d1, unsigned h0, unsigned h1)
{
    tcase c = {.n = n, .l = l, .e = e, .d = {d0, d1}, .h = {h0, h1}};
    tcase_alloc(&c, 4 * n);
    uint64_t *xa = calloc(n + 1, sizeof(uint64_t)), *xb = calloc(n + 1, sizeof(uint64_t));
    assert_true(xa != NULL && xb != NULL);
    pair_inputs(rng, n, l, e, xa, xb, c.x);
    uint64_t flights;
    mc_run(trdig_call, &c, &flights);
    const unsigned wlo = d0 > d1 ? d0 : d1;
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < 2; k++) {
            const uint64_t t = (k == 0 ? xa[i] : xb[i]) >> e;
            const uint64_t lo = (c.out[0][2 * k * n + i] + c.out[1][2 * k * n + i]) &
                                test_mask(c.d[k]);
            const uint64_t hi = (c.out[0][(2 * k + 1) * n + i] + c.out[1][(2 * k + 1) * n + i]) &
                                test_mask(c.h[k]);
            assert_true(c.out[0][2 * k * n + i] <= test_mask(wlo));
            if (lo != (t & test_mask(c.d[k])) || hi != ((t >> c.d[k]) & test_mask(c.h[k])))
                fail_msg("seed %llu: trdig2 l %u e %u input %u i %zu: lo %llx hi %llx, x %llx",
                         (unsigned long long)test_seed(), l, e, k, i, (unsigned long long)lo,
                         (unsigned long long)hi, (unsigned long long)(k == 0 ? xa[i] : xb[i]));
        }
    free(xa);
    free(xb);
    tcase_free(&c);
    return flights;
}

/* The pair's shared inputs in c->x (random pre-activations at shift c->e)
 * and the cleartext sigmoids of both halves: in[0..2n) the truncated
 * inputs (the second half doubled, as the pair reads it), want[0..2n)
 * their sigmoids; both malloc'ed. */
static void pair_want(test_rng *rng, tcase *c, uint64_t **in, uint64_t **want)
{
    const size_t n = c->n;
    const unsigned b = c->fin.bits, e = c->e;
    uint64_t *xa = calloc(n + 1, sizeof(uint64_t)), *xb = calloc(n + 1, sizeof(uint64_t));
    *in = calloc(2 * n + 1, sizeof(uint64_t));
    *want = calloc(2 * n + 1, sizeof(uint64_t));
    assert_true(xa != NULL && xb != NULL && *in != NULL && *want != NULL);
    pair_inputs(rng, n, c->l, e, xa, xb, c->x);
    for (size_t i = 0; i < n; i++) {
        (*in)[i] = (xa[i] >> e) & test_mask(b);
        (*in)[n + i] = (2 * (xb[i] >> e)) & test_mask(b);
    }
    assert_int_equal(sirnn_ref_sigmoid(2 * n, *want, *in, c->fin, c->fout), SIRNN_OK);
    free(xa);
    free(xb);
}

/* sirnn_trdig2_carries: the boolean carries into e, e + d_0 (input 0) and
 * e + d_1 (input 1) of the shares' sums. Returns the flights. */
static uint64_t carries_check(test_rng *rng, size_t n, unsigned l, unsigned e, unsigned d0,
                              unsigned d1, unsigned h0, unsigned h1)
{
    tcase c = {.n = n, .l = l, .e = e, .d = {d0, d1}, .h = {h0, h1}, .carries = 1};
    tcase_alloc(&c, n);
    uint64_t *xa = calloc(n + 1, sizeof(uint64_t)), *xb = calloc(n + 1, sizeof(uint64_t));
    assert_true(xa != NULL && xb != NULL);
    pair_inputs(rng, n, l, e, xa, xb, c.x);
    uint64_t flights;
    mc_run(trdig_call, &c, &flights);
    const uint8_t *g0 = (const uint8_t *)c.out[0], *g1 = (const uint8_t *)c.out[1];
    for (size_t i = 0; i < n; i++) {
        const unsigned at[3] = {e, e + d0, e + d1}, in[3] = {0, 0, 1};
        for (unsigned q = 0; q < 3; q++) {
            const uint64_t m = test_mask(at[q]);
            const uint64_t want =
                ((c.x[0][in[q]][i] & m) + (c.x[1][in[q]][i] & m)) >> at[q];
            if ((uint64_t)((g0[q * n + i] ^ g1[q * n + i]) & 1) != want)
                fail_msg("seed %llu: trdig2_carries l %u e %u carry %u i %zu",
                         (unsigned long long)test_seed(), l, e, q, i);
        }
    }
    free(xa);
    free(xb);
    tcase_free(&c);
    return flights;
}

static void test_trdig2(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7d19);
    /* e = 17 and 16: the shipped FastGRNN models' (5 flights); one and many
     * blocks below e; the tanh half's split of 7 */
    assert_int_equal(trdig_check(&rng, 77, 33, 17, 8, 7, 8, 8), 5);
    assert_int_equal(trdig_check(&rng, 64, 32, 16, 8, 7, 8, 8), 5);
    assert_int_equal(trdig_check(&rng, 1, 32, 16, 8, 7, 8, 8), 5);
    assert_int_equal(trdig_check(&rng, 31, 20, 5, 8, 7, 7, 6), 4);
    trdig_check(&rng, 13, 64, 40, 8, 8, 16, 16);
    /* the carries alone (no B2A): one flight fewer; at e = 44 and 47 (the
     * state fold's) its third level ends on party 1's flight */
    assert_int_equal(carries_check(&rng, 33, 60, 44, 8, 7, 8, 8), 5);
    assert_int_equal(carries_check(&rng, 40, 63, 47, 8, 7, 8, 8), 5);
    assert_int_equal(carries_check(&rng, 21, 33, 17, 8, 7, 8, 8), 4);
    carries_check(&rng, 1, 12, 1, 3, 1, 8, 2);
    carries_check(&rng, 0, 60, 44, 8, 7, 8, 8);
    trdig_check(&rng, 9, 12, 1, 3, 1, 8, 2);
    uint64_t fl;
    tcase c = {.n = 0, .l = 33, .e = 17, .d = {8, 7}, .h = {8, 8}};
    tcase_alloc(&c, 0);
    mc_run(trdig_call, &c, &fl);
    assert_int_equal(fl, 0);
    tcase_free(&c);
}

static void test_trdig2_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0}, o[8];
    const unsigned d[2] = {8, 7}, h[2] = {8, 8}, d9[2] = {9, 7}, h0[2] = {8, 0};
    assert_int_equal(sirnn_trdig2(NULL, 2, o, x, x, 33, 17, d, h), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_trdig2(test_srv, 2, o, x, x, 33, 0, d, h), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_trdig2(test_srv, 2, o, x, x, 32, 17, d, h), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_trdig2(test_srv, 2, o, x, x, 65, 17, d, h), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_trdig2(test_srv, 2, o, x, x, 40, 17, d9, h), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_trdig2(test_srv, 2, o, x, x, 40, 17, d, h0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_trdig2(test_srv, 2, NULL, x, x, 40, 17, d, h), SIRNN_ERR_ARG);
}

static uint64_t pair_check(test_rng *rng, size_t n, unsigned e, sirnn_fixfmt fin,
                           sirnn_fixfmt fout, int lean)
{
    const unsigned b = fin.bits, l = e + b;
    tcase c = {.n = n, .l = l, .e = e, .fin = fin, .fout = fout, .lean = lean};
    tcase_alloc(&c, 2 * n);
    uint64_t *in, *want;
    pair_want(rng, &c, &in, &want);
    uint64_t flights;
    mc_run(pair_call, &c, &flights);
    for (size_t i = 0; i < 2 * n; i++) {
        const uint64_t got = (c.out[0][i] + c.out[1][i]) & test_mask(fout.bits);
        if (got != want[i])
            fail_msg("seed %llu: sigmoid pair (lean %d) e %u %u/%d i %zu: in %llx got %llx "
                     "want %llx",
                     (unsigned long long)test_seed(), lean, e, b, (int)fin.scale, i,
                     (unsigned long long)in[i], (unsigned long long)got,
                     (unsigned long long)want[i]);
    }
    free(in);
    free(want);
    tcase_free(&c);
    return flights;
}


/* sirnn_sigmoid_pair_gates: z as the pair's, g s_f mod 2^lp for random
 * signed scalars, g itself when asked for. Returns the flights. */
static uint64_t gates_check(test_rng *rng, size_t n, unsigned e, sirnn_fixfmt fin,
                            sirnn_fixfmt fout, unsigned lp, int with_g)
{
    const unsigned b = fin.bits, l = e + b;
    tcase c = {.n = n, .l = l, .e = e, .fin = fin, .fout = fout, .lean = 1, .lp = lp,
               .with_g = with_g};
    for (int f = 0; f < 2; f++)
        c.s[f] = (int64_t)(test_rng_next(rng) % (1u << 18)) - (1 << 17);
    c.s[1] = n % 3 == 0 ? -1 : c.s[1];
    tcase_alloc(&c, 4 * n);
    uint64_t *in, *want;
    pair_want(rng, &c, &in, &want);
    uint64_t flights;
    mc_run(pair_call, &c, &flights);
    const uint64_t mo = test_mask(fout.bits), mp = test_mask(lp);
    for (size_t i = 0; i < n; i++) {
        const uint64_t z = (c.out[0][i] + c.out[1][i]) & mo;
        const uint64_t g = want[n + i];
        int bad = z != want[i];
        for (size_t f = 0; f < 2; f++)
            bad |= ((c.out[0][n + 2 * i + f] + c.out[1][n + 2 * i + f]) & mp) !=
                   ((g * (uint64_t)c.s[f]) & mp);
        if (with_g)
            bad |= ((c.out[0][3 * n + i] + c.out[1][3 * n + i]) & mo) != g;
        if (bad)
            fail_msg("seed %llu: sigmoid pair gates e %u %u/%d lp %u i %zu: in %llx %llx",
                     (unsigned long long)test_seed(), e, b, (int)fin.scale, lp, i,
                     (unsigned long long)in[i], (unsigned long long)in[n + i]);
    }
    free(in);
    free(want);
    tcase_free(&c);
    return flights;
}

static void test_sigmoid_pair(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x51d7);
    const sirnn_fixfmt f11 = {16, 11, true}, f10 = {16, 10, true}, f14 = {16, 14, true};
    /* the shipped models' formats and shifts (speech 16; Fashion-MNIST 17,
     * and 44 with the state fold of nn/fg_plan.h: one AND level more in
     * sirnn_trdig2), on both tails (the same values): 11 flights with
     * sirnn_mult_wraps' product, 9 with the lean product (2 flights instead
     * of 3, and the rounding's first flight rides in its last); at e > 24
     * one level more (13 and 11), where lean = 2 looks up the raw digits
     * and the boolean carries (sirnn_trdig2_carries: no B2A, its odd third
     * level ends on party 1's flight, which carries the lookups' first): 9
     * flights again */
    for (int lean = 0; lean <= 2; lean++) {
        const uint64_t fl = lean ? 9 : 11, wide[3] = {13, 11, 9};
        assert_int_equal(pair_check(&rng, 97, 17, f11, f14, lean), fl);
        assert_int_equal(pair_check(&rng, 1, 16, f10, f14, lean), fl);
        assert_int_equal(pair_check(&rng, 32, 44, f11, f14, lean), wide[lean]);
        assert_int_equal(pair_check(&rng, 45, 47, f10, f10, lean), wide[lean]);
        pair_check(&rng, 40, 3, f11, f14, lean);
        pair_check(&rng, 0, 17, f11, f14, lean);
        pair_check(&rng, 0, 44, f11, f14, lean);
        pair_check(&rng, 1, 25, f11, f14, lean);
    }
    assert_true(sirnn_sigmoid_pair_tr_fits(17, f11, f14));
    /* 16/12 -> 16/14 takes the line: d0's wrap from a lookup on d0 */
    const sirnn_fixfmt f12 = {16, 12, true};
    assert_true(sirnn_sigmoid_pair_tr_fits(17, f12, f14));
    for (int lean = 0; lean <= 2; lean++) {
        const uint64_t wide[3] = {13, 11, 9};
        assert_int_equal(pair_check(&rng, 51, 15, f12, f14, lean), lean ? 9 : 11);
        assert_int_equal(pair_check(&rng, 29, 40, f12, f14, lean), wide[lean]);
        pair_check(&rng, 7, 1, f12, f14, lean);
    }
    /* the rounding fused with the gate products (FastGRNN's fold): one
     * flight fewer, the last one party 0's, at every e */
    assert_true(sirnn_sigmoid_pair_gates_fits(44, f11, f14, 60));
    assert_true(sirnn_sigmoid_pair_gates_fits(15, f12, f14, 60));
    assert_int_equal(gates_check(&rng, 33, 44, f11, f14, 60, 1), 8);
    assert_int_equal(gates_check(&rng, 45, 47, f10, f10, 63, 0), 8);
    assert_int_equal(gates_check(&rng, 17, 17, f11, f14, 60, 0), 8);
    assert_int_equal(gates_check(&rng, 29, 40, f12, f14, 50, 1), 8);
    gates_check(&rng, 0, 44, f11, f14, 60, 1);
    gates_check(&rng, 1, 3, f11, f14, 33, 1);
    /* 8-bit inputs take the table: not this path */
    const sirnn_fixfmt f8 = {8, 5, true}, f8o = {8, 6, true};
    const sirnn_fixfmt g12 = {12, 8, true}, g12o = {12, 10, true};
    assert_false(sirnn_sigmoid_pair_tr_fits(17, f8, f8o));
    assert_false(sirnn_sigmoid_pair_tr_fits(49, f11, f14));
    if (sirnn_sigmoid_pair_tr_fits(17, g12, g12o))
        pair_check(&rng, 3, 17, g12, g12o, 1); /* 12 bits on the poly path: exact too */
    uint64_t x[2] = {0}, y[4];
    assert_int_equal(sirnn_sigmoid_pair_tr(test_srv, 2, y, x, x, 17, f8, f8o, 0),
                     SIRNN_ERR_UNSUPPORTED);
    assert_int_equal(sirnn_sigmoid_pair_tr(test_srv, 2, NULL, x, x, 17, f11, f14, 0),
                     SIRNN_ERR_ARG);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trdig2),
        cmocka_unit_test(test_trdig2_bad_args),
        cmocka_unit_test(test_sigmoid_pair),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
