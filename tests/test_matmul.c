/*
 * Matrix products (include/sirnn/arith.h: sirnn_matmul_clear with the
 * server's weights in the clear, sirnn_matmul with both operands shared)
 * against sirnn_ref_matmul: unsigned and signed, edge values, shapes with
 * a 1 and with zeros, s = 0 and s > 0, reduced outputs, two lanes, bad
 * arguments, and bytes pinned exactly for the row-batched product.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/ot.h"
#include "arith/arith_internal.h"

typedef struct mmcase {
    int shared, wrap_only, with_msb;
    size_t d1, d2, d3;
    unsigned m, k, s, lout;
    int sgn;
    uint64_t *av, *wv;           /* clear A, W */
    uint64_t *a[2], *w[2], *out[2];
    uint8_t *bits[2];
    uint8_t *msb[2];             /* with_msb: shares of bit m - 1 of A */
    uint64_t sent[2];
    uint64_t flights[2];         /* the call's flights, each party's */
} mmcase;

typedef struct mmside {
    mmcase *c;
    sirnn_party *p;
    int r;
} mmside;

static int side_run(void *arg)
{
    mmside *s = arg;
    mmcase *c = s->c;
    const int r = s->r;
    sirnn_stats before, after;
    sirnn_party_stats(s->p, &before);
    const uint64_t silent0 = test_silent_sent(s->p);
    sirnn_status st;
    if (c->wrap_only)
        st = sirnn_wrap(s->p, c->d1, c->bits[r], c->a[r], c->m);
    else if (c->shared)
        st = sirnn_matmul(s->p, c->d1, c->d2, c->d3, c->out[r], c->a[r], c->w[r], c->m, c->k,
                          c->s, c->lout, c->sgn);
    else if (c->with_msb)
        st = sirnn_matmul_clear_msb(s->p, c->d1, c->d2, c->d3, c->out[r], c->a[r], c->msb[r],
                                    r == 0 ? c->wv : NULL, c->m, c->k, c->s, c->lout, c->sgn);
    else
        st = sirnn_matmul_clear(s->p, c->d1, c->d2, c->d3, c->out[r], c->a[r],
                                r == 0 ? c->wv : NULL, c->m, c->k, c->s, c->lout, c->sgn);
    sirnn_party_stats(s->p, &after);
    /* the call's own bytes: not what the silent engines sent (harness.h) */
    c->sent[r] = after.bytes_sent - before.bytes_sent - (test_silent_sent(s->p) - silent0);
    c->flights[r] = after.flights - before.flights;
    if (st != SIRNN_OK)
        print_error("party %d: %s (%s)\n", r, sirnn_strerror(st), sirnn_party_last_error(s->p));
    return st != SIRNN_OK;
}

static void run_case(mmcase *c)
{
    mmside s0 = {c, test_srv, 0}, s1 = {c, test_cli, 1};
    assert_int_equal(test_run2(side_run, &s0, side_run, &s1, NULL, NULL), 0);
}

static uint64_t pick(test_rng *rng, size_t i, unsigned w)
{
    switch (i % 7) {
    case 0: return test_mask(w);
    case 1: return (uint64_t)1 << (w - 1);
    case 2: return test_mask(w - 1);
    case 3: return 0;
    default: return test_rng_next(rng) & test_mask(w);
    }
}

static unsigned clog2(size_t v)
{
    unsigned r = 0;
    while (((size_t)1 << r) < v)
        r++;
    return r;
}

/* Flights of both parties in the last run_mm. */
static uint64_t last_flights;

/* shared: 1 sirnn_matmul, 0 sirnn_matmul_clear, -1 sirnn_matmul_clear_msb. */
static void run_mm(test_rng *rng, int shared, size_t d1, size_t d2, size_t d3, unsigned m,
                   unsigned k, unsigned s, unsigned lout, int sgn, int extremes, uint64_t *bits)
{
    mmcase c = {.shared = shared > 0, .with_msb = shared < 0, .d1 = d1, .d2 = d2, .d3 = d3,
                .m = m, .k = k, .s = s, .lout = lout, .sgn = sgn};
    const size_t na = d1 * d2 + 1, nw = d2 * d3 + 1, no = d1 * d3 + 1;
    c.av = calloc(na, 8);
    c.wv = calloc(nw, 8);
    uint64_t *want = calloc(no, 8);
    assert_true(c.av && c.wv && want);
    for (int r = 0; r < 2; r++) {
        c.a[r] = calloc(na, 8);
        c.w[r] = calloc(nw, 8);
        c.out[r] = calloc(no, 8);
        c.msb[r] = calloc(na, 1);
        assert_true(c.a[r] && c.w[r] && c.out[r] && c.msb[r]);
    }
    for (size_t i = 0; i + 1 < na; i++) {
        /* extremes: the largest-magnitude products everywhere */
        c.av[i] = extremes ? (sgn ? (uint64_t)1 << (m - 1) : test_mask(m)) : pick(rng, i, m);
        c.a[0][i] = test_rng_next(rng) & test_mask(m);
        c.a[1][i] = (c.av[i] - c.a[0][i]) & test_mask(m);
        c.msb[0][i] = (uint8_t)(test_rng_next(rng) & 1);
        c.msb[1][i] = (uint8_t)(c.msb[0][i] ^ ((c.av[i] >> (m - 1)) & 1));
    }
    for (size_t i = 0; i + 1 < nw; i++) {
        c.wv[i] = extremes ? (sgn ? (uint64_t)1 << (k - 1) : test_mask(k)) : pick(rng, i + 3, k);
        c.w[0][i] = test_rng_next(rng) & test_mask(k);
        c.w[1][i] = (c.wv[i] - c.w[0][i]) & test_mask(k);
    }
    run_case(&c);
    sirnn_ref_matmul(d1, d2, d3, want, c.av, c.wv, m, k, s, lout, sgn);
    for (size_t i = 0; i + 1 < no; i++) {
        const uint64_t got = (c.out[0][i] + c.out[1][i]) & test_mask(lout);
        if (got != want[i])
            fail_msg("shared=%d %zux%zux%zu m=%u k=%u s=%u lout=%u sgn=%d i=%zu: %llx != %llx",
                     shared, d1, d2, d3, m, k, s, lout, sgn, i, (unsigned long long)got,
                     (unsigned long long)want[i]);
        assert_int_equal(c.out[0][i] & ~test_mask(lout), 0);
    }
    if (bits != NULL)
        *bits = 8 * (c.sent[0] + c.sent[1]);
    last_flights = c.flights[0] + c.flights[1];
    for (int r = 0; r < 2; r++) {
        free(c.a[r]);
        free(c.w[r]);
        free(c.out[r]);
        free(c.msb[r]);
    }
    free(c.av);
    free(c.wv);
    free(want);
}

static void test_clear_shapes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa1);
    static const size_t shapes[][3] = {{1, 1, 1}, {1, 5, 1}, {3, 1, 4}, {4, 7, 1}, {1, 1, 9},
                                       {5, 8, 3}, {2, 33, 6}, {9, 4, 11}, {0, 3, 2}, {2, 0, 3}};
    const size_t ns = sizeof(shapes) / sizeof(shapes[0]);
    for (size_t i = 0; i < ns; i++)
        for (int sgn = 0; sgn < 2; sgn++) {
            const unsigned m = 8 + (unsigned)i, k = 6 + (unsigned)(i % 3);
            const unsigned la = m + k + clog2(shapes[i][1]);
            run_mm(&rng, 0, shapes[i][0], shapes[i][1], shapes[i][2], m, k, 0, la, sgn, 0, NULL);
            run_mm(&rng, -1, shapes[i][0], shapes[i][1], shapes[i][2], m, k, 0, la, sgn, 0, NULL);
            if (!test_quick() || i % 3 == 0)
                run_mm(&rng, -1, shapes[i][0], shapes[i][1], shapes[i][2], m, k,
                       (unsigned)i % 5 + 1, la - (unsigned)i % 5 - 1 - (unsigned)(i % 2), sgn, 0,
                       NULL);
            if (!test_quick() || i % 3 == 0)
                run_mm(&rng, 0, shapes[i][0], shapes[i][1], shapes[i][2], m, k, (unsigned)i % 5 + 1,
                       la - (unsigned)i % 5 - 1 - (unsigned)(i % 2), sgn, 0, NULL);
        }
    /* Largest-magnitude products, widths at the edges. */
    run_mm(&rng, 0, 3, 4, 5, 16, 16, 0, 34, 0, 1, NULL);
    run_mm(&rng, 0, 3, 4, 5, 16, 16, 12, 22, 1, 1, NULL);
    run_mm(&rng, 0, 2, 3, 2, 1, 1, 0, 4, 1, 1, NULL);
    run_mm(&rng, 0, 2, 2, 3, 31, 32, 0, 64, 1, 1, NULL);
    run_mm(&rng, 0, 2, 2, 3, 62, 1, 63, 1, 0, 0, NULL);
}

/* sirnn_matmul_clear_msb: the wrap by MSB-to-wrap terms, edge values and
 * widths (pick() cycles through -1, 2^(m-1), 2^(m-1) - 1 and 0). */
static void test_clear_msb(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa6);
    for (int sgn = 0; sgn < 2; sgn++) {
        run_mm(&rng, -1, 3, 4, 5, 16, 16, 0, 34, sgn, 1, NULL);
        run_mm(&rng, -1, 3, 4, 5, 16, 16, 12, 22, sgn, 1, NULL);
        run_mm(&rng, -1, 2, 3, 2, 1, 1, 0, 4, sgn, 1, NULL);
        run_mm(&rng, -1, 2, 3, 2, 1, 1, 0, 4, sgn, 0, NULL);
        run_mm(&rng, -1, 2, 2, 3, 31, 32, 0, 64, sgn, 1, NULL);
        run_mm(&rng, -1, 2, 2, 3, 31, 32, 0, 64, sgn, 0, NULL);
        run_mm(&rng, -1, 2, 2, 3, 62, 1, 63, 1, sgn, 0, NULL);  /* lc = 64 > m */
        run_mm(&rng, -1, 4, 6, 3, 16, 16, 0, 12, sgn, 0, NULL); /* lc <= m: no wrap */
        /* the FastGRNN shapes: 16-bit h into U2 (100 -> 35), U2's output into U1 */
        run_mm(&rng, -1, 1, 100, 35, 16, 16, 12, 16, sgn, 0, NULL);
        run_mm(&rng, -1, 2, 35, 100, 16, 16, 13, 16, sgn, 0, NULL);
        for (unsigned m = 2; m <= 20; m += test_quick() ? 9 : 3)
            run_mm(&rng, -1, 3, 5, 2, m, 9, m / 2, m + 9 + 3 - m / 2, sgn, 0, NULL);
    }
}

static void test_shared_shapes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa2);
    static const size_t shapes[][3] = {{1, 1, 1}, {1, 6, 1}, {3, 1, 4}, {4, 5, 2}, {2, 9, 3}};
    for (size_t i = 0; i < 5; i++)
        for (int sgn = 0; sgn < 2; sgn++) {
            const unsigned m = 8, k = 8, la = m + k + clog2(shapes[i][1]);
            run_mm(&rng, 1, shapes[i][0], shapes[i][1], shapes[i][2], m, k, 0, la, sgn, 0, NULL);
            run_mm(&rng, 1, shapes[i][0], shapes[i][1], shapes[i][2], m, k, 4, la - 6, sgn, 0,
                   NULL);
        }
    run_mm(&rng, 1, 2, 3, 2, 12, 10, 0, 24, 1, 1, NULL);
    run_mm(&rng, 1, 2, 3, 2, 12, 10, 0, 24, 0, 1, NULL);
}

/* Bytes of the row-batched product, s = 0 (no truncation), one chunk. */
static void test_clear_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa3);
    const size_t d1 = 16, d2 = 16, d3 = 5, E = d1 * d2;
    const unsigned m = 16, k = 8, la = m + k + 4;
    /* bits of one COT's column: IKNP 128, SoftSpoken (ot_k = 4) 32, silent
     * the one correction bit of d (its COT's own bytes excluded) */
    const sirnn_ot_backend be = test_ot_backend();
    const uint64_t col = be == SIRNN_OT_IKNP ? 128 : be == SIRNN_OT_SOFTSPOKEN ? 32 : 1;
    uint64_t got;
    run_mm(&rng, 0, d1, d2, d3, m, k, 0, la, 1, 0, &got);
    mmcase w = {.wrap_only = 1, .d1 = E, .m = m};
    for (int r = 0; r < 2; r++) {
        w.a[r] = calloc(E, 8);
        w.bits[r] = calloc(E, 1);
    }
    run_case(&w);
    uint64_t want = 8 * (w.sent[0] + w.sent[1]);
    for (int r = 0; r < 2; r++) {
        free(w.a[r]);
        free(w.bits[r]);
    }
    for (unsigned b = 0; b < m; b++)
        want += E * (col + d3 * (la - b));
    want += E * (col + d3 * (la - m));
    assert_int_equal(got, want);
    /* lout = 12 <= m, s = 0: the product runs in 12 bits, no wrap. */
    run_mm(&rng, 0, d1, d2, d3, m, k, 0, 12, 1, 0, &got);
    want = 0;
    for (unsigned b = 0; b < 12; b++)
        want += E * (col + d3 * (12 - b));
    assert_int_equal(got, want);
    /* With the MSB shares: the same bit COTs plus two M2W COTs per element,
     * no comparison; with lc <= m exactly the plain product. */
    for (int sgn = 0; sgn < 2; sgn++) {
        run_mm(&rng, -1, d1, d2, d3, m, k, 0, la, sgn, 0, &got);
        want = 2 * E * (col + d3 * (la - m));
        for (unsigned b = 0; b < m; b++)
            want += E * (col + d3 * (la - b));
        assert_int_equal(got, want);
        run_mm(&rng, -1, d1, d2, d3, m, k, 0, 12, sgn, 0, &got);
        want = 0;
        for (unsigned b = 0; b < 12; b++)
            want += E * (col + d3 * (12 - b));
        assert_int_equal(got, want);
    }
}

static void test_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa4);
    run_mm(&rng, 0, 5, 7, 3, 12, 9, 3, 18, 1, 0, NULL);
    run_mm(&rng, 0, 1, 7, 3, 12, 9, 0, 24, 0, 0, NULL);
    run_mm(&rng, -1, 5, 7, 3, 12, 9, 3, 18, 1, 0, NULL);
    run_mm(&rng, -1, 1, 7, 3, 12, 9, 0, 24, 0, 0, NULL);
    run_mm(&rng, 1, 3, 4, 2, 8, 8, 2, 16, 1, 0, NULL);
    /* across windows of 256 elements and groups of two (test_flights_flat) */
    sirnn_stream_test_window(256, 2);
    run_mm(&rng, 0, 257, 2, 1, 16, 8, 0, 12, 1, 0, NULL);
    run_mm(&rng, 0, 257, 2, 1, 12, 8, 0, 21, 1, 0, NULL);
    run_mm(&rng, -1, 257, 2, 1, 12, 8, 0, 14, 1, 0, NULL);
    sirnn_stream_test_window(0, 0);
    test_pair_lanes(1);
}

/*
 * Flights do not grow with the rows (one lane): sirnn_matmul_clear with and
 * without its comparison (lout past or within A's width) and
 * sirnn_matmul_clear_msb (with and without its wrap terms) take at 257 and
 * 2,048 rows (one window of A) the flights they take at one row, and
 * sirnn_matmul_clear at 4,097 rows (outside SIRNN_TEST_QUICK: three
 * windows, each a group of its own at the default memory cap) three times
 * those. Windows of 256 elements of A (a
 * test-only knob) cross windows cheaply: in one group, the flights of one
 * row; in groups of two windows they grow, by at most one group's per
 * group; the results are checked everywhere (on two lanes in
 * test_two_lanes).
 */
static void test_flights_flat(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa7);
    /* shared (0 clear, -1 msb), m, k, s, lout */
    static const unsigned forms[][5] = {
        {0, 16, 8, 0, 12}, {(unsigned)-1, 16, 8, 0, 12}, {(unsigned)-1, 12, 8, 0, 14}, {0, 12, 8, 0, 21}};
    /* 2,048 rows: 4,096 elements of A, one window at d3 = 1, as much as one
     * group holds at 16 COTs per element in a 32nd of the 64 MiB budget
     * (arith/matmul.c); 4,097 rows, outside quick mode: three windows,
     * three groups of their own */
    const size_t rows[] = {1, 257, 2048, 4097};
    /* quick (valgrind): 1 and 257 rows; one window's worth and more in the
     * native run */
    const size_t nrows = test_quick() ? 2 : 4;
    const size_t d2 = 2, d3 = 1;
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        const int shared = (int)forms[f][0];
        const unsigned m = forms[f][1], k = forms[f][2], s = forms[f][3], lo = forms[f][4];
        /* signed in the native run only (valgrind runs the quick sizes) */
        for (int sgn = 0; sgn < (test_quick() ? 1 : 2); sgn++) {
            run_mm(&rng, shared, 1, d2, d3, m, k, s, lo, sgn, 0, NULL);
            const uint64_t f1 = last_flights;
            /* the large point once per path of the lane (with and without
             * the comparison; the msb form streams as the latter) */
            const size_t rmax = sgn == 0 && shared == 0 ? nrows : (nrows < 3 ? nrows : 3);
            for (size_t r = 1; r < rmax; r++) {
                run_mm(&rng, shared, rows[r], d2, d3, m, k, s, lo, sgn, 0, NULL);
                const uint64_t want = rows[r] == 4097 ? 3 * f1 : f1;
                if (test_ot_pinned() && last_flights != want)
                    fail_msg("form %zu sgn %d: %llu flights at %zu rows, %llu at 1", f, sgn,
                             (unsigned long long)last_flights, rows[r],
                             (unsigned long long)f1);
            }
            /* 257 rows = 514 elements: three windows of 256 */
            for (size_t gmax = 0; gmax <= 2; gmax += 2) {
                sirnn_stream_test_window(256, gmax);
                run_mm(&rng, shared, 257, d2, d3, m, k, s, lo, sgn, 0, NULL);
                sirnn_stream_test_window(0, 0);
                if (!test_ot_pinned())
                    continue;
                if (gmax == 0 && last_flights != f1)
                    fail_msg("form %zu sgn %d: %llu flights over three windows, %llu at 1 row",
                             f, sgn, (unsigned long long)last_flights, (unsigned long long)f1);
                if (gmax != 0 && (last_flights <= f1 || last_flights > 2 * f1))
                    fail_msg("form %zu sgn %d: %llu flights in two groups, %llu at 1 row", f,
                             sgn, (unsigned long long)last_flights, (unsigned long long)f1);
            }
        }
    }
}

static void test_bad_args(void **state)
{
    (void)state;
    uint64_t a[4] = {0}, w[4] = {0}, o[4];
    sirnn_stats s0, s1;
    sirnn_party_stats(test_srv, &s0);
    assert_int_equal(sirnn_matmul_clear(NULL, 2, 2, 2, o, a, w, 8, 8, 0, 17, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, w, 0, 8, 0, 8, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, w, 32, 32, 0, 64, 0),
                     SIRNN_ERR_ARG); /* la = 65 */
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, w, 8, 8, 17, 1, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, w, 8, 8, 4, 14, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, w, 8, 8, 0, 0, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, NULL, 8, 8, 0, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, NULL, a, w, 8, 8, 0, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear(test_srv, 2, 2, 2, o, a, w, 8, 8, 0, 17, 3), SIRNN_ERR_ARG);
    uint8_t mb[4] = {0, 1, 0, 1}, mbad[4] = {0, 2, 0, 1};
    assert_int_equal(sirnn_matmul_clear_msb(NULL, 2, 2, 2, o, a, mb, w, 8, 8, 0, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 2, 2, 2, o, a, NULL, w, 8, 8, 0, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 2, 2, 2, o, a, mbad, w, 8, 8, 0, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 2, 2, 2, o, a, mb, w, 32, 32, 0, 64, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 2, 2, 2, o, a, mb, NULL, 8, 8, 0, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 2, 2, 2, o, a, mb, w, 8, 8, 4, 14, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 2, 2, 2, o, a, mb, w, 8, 8, 0, 17, 2),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul_clear_msb(test_srv, 0, 3, 2, NULL, NULL, NULL, w, 8, 8, 0, 17, 0),
                     SIRNN_OK);
    assert_int_equal(sirnn_matmul(test_srv, 2, 2, 2, o, a, NULL, 8, 8, 0, 17, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul(test_srv, 2, 2, 2, o, NULL, w, 8, 8, 0, 17, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_matmul(test_srv, 0, 0, 0, NULL, NULL, NULL, 8, 8, 0, 16, 0), SIRNN_OK);
    sirnn_party_stats(test_srv, &s1);
    assert_int_equal(s1.bytes_sent, s0.bytes_sent);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa5);
    run_mm(&rng, 0, 2, 2, 2, 8, 8, 0, 17, 1, 0, NULL);
    run_mm(&rng, -1, 2, 2, 2, 8, 8, 0, 17, 1, 0, NULL);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_shapes),
        cmocka_unit_test(test_shared_shapes),
        cmocka_unit_test(test_clear_msb),
        cmocka_unit_test(test_clear_bits),
        cmocka_unit_test(test_two_lanes),
        cmocka_unit_test(test_flights_flat),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
