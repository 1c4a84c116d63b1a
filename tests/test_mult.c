/*
 * Multiplication (include/sirnn/arith.h: sirnn_mult, sirnn_mult_msb,
 * sirnn_mult_const, sirnn_mult_clear, sirnn_mult_lean) against sirnn_ref_mult, unsigned and
 * signed, over many (m, k, l) with edge values and edge share splits,
 * n = 0, 1, 3 and a large odd n, aliasing, two lanes, bad arguments, and
 * bytes pinned exactly against the header's formulas. The internal
 * sirnn_mult_wrap (x's wrap given, arith/arith_internal.h) likewise against
 * x y mod 2^l, also for l > m + k.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/ot.h"
#include "arith/arith_internal.h"

/* ---------- one two-party call ---------- */

typedef enum mop { OP_MULT, OP_MSB, OP_CONST, OP_CLEAR, OP_WRAP, OP_MWRAP, OP_LEAN } mop;

typedef struct mcase {
    mop op;
    size_t n;
    unsigned m, k, l;
    int sgn, alias, owner, known_x, known_y;
    uint64_t c;
    uint64_t *xv, *yv;       /* clear values */
    uint64_t *x[2], *y[2], *out[2];
    uint8_t *mx[2], *my[2];
    uint64_t *wa[2];         /* OP_MWRAP: arithmetic shares of x's wrap (mod 2^64) */
    uint64_t sent[2], flights[2];
} mcase;

typedef struct mside {
    mcase *c;
    sirnn_party *p;
    int r;
} mside;

static int side_run(void *arg)
{
    mside *s = arg;
    mcase *c = s->c;
    const int r = s->r;
    sirnn_stats before, after;
    sirnn_party_stats(s->p, &before);
    sirnn_status st = SIRNN_ERR_ARG;
    uint64_t *out = c->alias == 1 ? c->x[r] : c->alias == 2 ? c->y[r] : c->out[r];
    switch (c->op) {
    case OP_MULT:
        st = sirnn_mult(s->p, c->n, out, c->x[r], c->y[r], c->m, c->k, c->l, c->sgn);
        break;
    case OP_MSB:
        st = sirnn_mult_msb(s->p, c->n, out, c->x[r], c->y[r], c->known_x ? c->mx[r] : NULL,
                            c->known_y ? c->my[r] : NULL, c->m, c->k, c->l, c->sgn);
        break;
    case OP_CONST:
        st = sirnn_mult_const(s->p, c->n, out, c->x[r], c->known_x ? c->mx[r] : NULL, c->c,
                              c->m, c->k, c->l, c->sgn);
        break;
    case OP_CLEAR:
        st = sirnn_mult_clear(s->p, c->n, out, c->x[r], c->known_x ? c->mx[r] : NULL,
                              r == c->owner ? c->yv : NULL, c->owner, c->m, c->k, c->l, c->sgn);
        break;
    case OP_WRAP:
        st = sirnn_wrap(s->p, c->n, c->mx[r], c->x[r], c->m);
        break;
    case OP_LEAN:
        st = sirnn_mult_lean(s->p, c->n, out, c->x[r], c->y[r], c->known_x ? c->mx[r] : NULL,
                             c->m, c->k, c->l, c->sgn, c->owner); /* owner: the chooser */
        break;
    case OP_MWRAP:
        st = sirnn_mult_wrap(s->p, c->n, out, c->x[r], c->y[r], c->wa[r],
                             c->known_y ? c->my[r] : NULL, c->m, c->k, c->l);
        break;
    }
    if (c->alias != 0 && st == SIRNN_OK)
        memcpy(c->out[r], out, c->n * sizeof(uint64_t));
    sirnn_party_stats(s->p, &after);
    c->sent[r] = after.bytes_sent - before.bytes_sent;
    c->flights[r] = after.flights - before.flights;
    return st != SIRNN_OK;
}

static void run_case(mcase *c)
{
    mside s0 = {c, test_srv, 0}, s1 = {c, test_cli, 1};
    assert_int_equal(test_run2(side_run, &s0, side_run, &s1, NULL, NULL), 0);
}

static void case_alloc(mcase *c, size_t n)
{
    c->n = n;
    c->xv = calloc(n + 1, 8);
    c->yv = calloc(n + 1, 8);
    assert_true(c->xv && c->yv);
    for (int r = 0; r < 2; r++) {
        c->x[r] = calloc(n + 1, 8);
        c->y[r] = calloc(n + 1, 8);
        c->out[r] = calloc(n + 1, 8);
        c->mx[r] = calloc(n + 1, 1);
        c->my[r] = calloc(n + 1, 1);
        c->wa[r] = calloc(n + 1, 8);
        assert_true(c->x[r] && c->y[r] && c->out[r] && c->mx[r] && c->my[r] && c->wa[r]);
    }
}

static void case_free(mcase *c)
{
    free(c->xv);
    free(c->yv);
    for (int r = 0; r < 2; r++) {
        free(c->x[r]);
        free(c->y[r]);
        free(c->out[r]);
        free(c->mx[r]);
        free(c->my[r]);
        free(c->wa[r]);
    }
}

/* An edge or random w-bit value. */
static uint64_t pick_value(test_rng *rng, size_t i, unsigned w)
{
    const uint64_t half = (uint64_t)1 << (w - 1);
    switch (i % 9) {
    case 0: return 0;
    case 1: return test_mask(w);         /* unsigned max, signed -1 */
    case 2: return half;             /* signed min */
    case 3: return half - 1;         /* signed max */
    case 4: return 1;
    case 5: return half + 1;
    default: return test_rng_next(rng) & test_mask(w);
    }
}

/* Shares with edge splits (x0 = 0, x0 = max, x0 = x) and random ones. */
static void share(test_rng *rng, size_t i, uint64_t v, unsigned w, uint64_t *a, uint64_t *b)
{
    uint64_t s;
    switch ((i / 9) % 5) {
    case 0: s = 0; break;
    case 1: s = test_mask(w); break;
    case 2: s = v; break;
    default: s = test_rng_next(rng) & test_mask(w); break;
    }
    *a = s;
    *b = (v - s) & test_mask(w);
}

static void fill(mcase *c, test_rng *rng)
{
    for (size_t i = 0; i < c->n; i++) {
        c->xv[i] = pick_value(rng, i, c->m);
        c->yv[i] = pick_value(rng, i / 3 + i * 7, c->k);
        share(rng, i, c->xv[i], c->m, &c->x[0][i], &c->x[1][i]);
        share(rng, i + 4, c->yv[i], c->k, &c->y[0][i], &c->y[1][i]);
        const uint8_t bx = (uint8_t)((c->xv[i] >> (c->m - 1)) & 1);
        const uint8_t by = (uint8_t)((c->yv[i] >> (c->k - 1)) & 1);
        c->mx[0][i] = (uint8_t)(test_rng_next(rng) & 1);
        c->mx[1][i] = (uint8_t)(c->mx[0][i] ^ bx);
        c->my[0][i] = (uint8_t)(test_rng_next(rng) & 1);
        c->my[1][i] = (uint8_t)(c->my[0][i] ^ by);
        /* Garbage above the widths must be ignored. */
        if (i % 4 == 3 && c->m < 64) {
            c->x[0][i] |= (uint64_t)1 << 63;
            c->x[1][i] |= test_mask(64) << c->m;
        }
        if (i % 4 == 2 && c->k < 64 && c->op != OP_CLEAR)
            c->y[1][i] |= (uint64_t)1 << 63;
        /* x's wrap from its (reduced) shares, shared mod 2^64 (so mod any
         * smaller power of two: bits above the width the call reads are
         * random, as they must be ignored) */
        const uint64_t x0 = c->x[0][i] & test_mask(c->m), x1 = c->x[1][i] & test_mask(c->m);
        const uint64_t wrap = c->m == 64 ? (uint64_t)(x0 + x1 < x0) : (x0 + x1) >> c->m;
        c->wa[0][i] = test_rng_next(rng);
        c->wa[1][i] = wrap - c->wa[0][i];
    }
}

static void check(const mcase *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const uint64_t got = (c->out[0][i] + c->out[1][i]) & test_mask(c->l);
        uint64_t yv = c->op == OP_CONST ? c->c : c->yv[i];
        /* sirnn_mult_wrap: unsigned, l may exceed m + k */
        const uint64_t want = c->op == OP_MWRAP
                                  ? ((c->xv[i] & test_mask(c->m)) * (yv & test_mask(c->k))) &
                                        test_mask(c->l)
                                  : sirnn_ref_mult(c->xv[i], yv, c->m, c->k, c->l, c->sgn);
        if (got != want)
            fail_msg("op %d m=%u k=%u l=%u sgn=%d i=%zu x=%llx y=%llx: got %llx want %llx",
                     (int)c->op, c->m, c->k, c->l, c->sgn, i, (unsigned long long)c->xv[i],
                     (unsigned long long)yv, (unsigned long long)got,
                     (unsigned long long)want);
        assert_int_equal(c->out[0][i] & ~test_mask(c->l), 0);
        assert_int_equal(c->out[1][i] & ~test_mask(c->l), 0);
    }
}

static void run_check(test_rng *rng, mop op, size_t n, unsigned m, unsigned k, unsigned l,
                      int sgn)
{
    mcase c = {.op = op, .m = m, .k = k, .l = l, .sgn = sgn};
    case_alloc(&c, n);
    c.known_x = 1;
    c.known_y = (int)(n % 2);
    c.owner = (int)(test_rng_next(rng) & 1);
    c.c = pick_value(rng, test_rng_below(rng, 9), k);
    fill(&c, rng);
    run_case(&c);
    check(&c);
    case_free(&c);
}

/* ---------- bytes ---------- */

/* Bits of a millionaires' run on cnt elements of width K (measured through
 * sirnn_wrap, which the header defines as exactly that run). */
static uint64_t wrap_bits(size_t cnt, unsigned K)
{
    mcase c = {.op = OP_WRAP, .m = K};
    case_alloc(&c, cnt);
    run_case(&c);
    uint64_t b = 8 * (c.sent[0] + c.sent[1]);
    case_free(&c);
    return b;
}

static unsigned umin(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

static uint64_t ct_bits(size_t n, unsigned nb, unsigned l)
{
    uint64_t b = 0;
    for (unsigned i = 0; i < nb; i++)
        b += (uint64_t)n * (128 + l - i);
    return b;
}

/* Header formula for n elements in one whole chunk (n a multiple of 256). */
static uint64_t mult_bits(size_t n, mop op, unsigned m, unsigned k, unsigned l, int kx,
                          int ky)
{
    uint64_t b = 0;
    const unsigned nb01 = umin(umin(m, l), umin(k, l));
    const int shared_y = op == OP_MULT || op == OP_MSB || op == OP_MWRAP;
    if (shared_y)
        b += 2 * ct_bits(n, nb01, l);
    else if (op == OP_CLEAR)
        b += ct_bits(n, nb01, l);
    /* OP_MWRAP: x's wrap is given (free) */
    const int wx = l > m, wy = l > k && shared_y, gx = op == OP_MWRAP;
    const int cx = wx && !kx && !gx, cy = wy && !ky;
    const unsigned K = cx && cy ? (m > k ? m : k) : cx ? m : k;
    if (cx || cy)
        b += wrap_bits(n * (size_t)(cx + cy), K);
    b += (uint64_t)n * 260 * (unsigned)((wx && kx && !gx) + (wy && ky));
    const unsigned halves_x = shared_y ? 2 : 1;
    if (wx)
        b += (uint64_t)halves_x * n * (128 + l - m);
    if (wy)
        b += (uint64_t)2 * n * (128 + l - k);
    return b;
}

static uint64_t measure(test_rng *rng, mop op, size_t n, unsigned m, unsigned k, unsigned l,
                        int sgn, int kx, int ky, uint64_t *flights)
{
    mcase c = {.op = op, .m = m, .k = k, .l = l, .sgn = sgn, .known_x = kx, .known_y = ky};
    case_alloc(&c, n);
    c.c = 12345;
    fill(&c, rng);
    run_case(&c);
    check(&c);
    if (flights != NULL)
        *flights = c.flights[0] + c.flights[1];
    const uint64_t b = 8 * (c.sent[0] + c.sent[1]);
    case_free(&c);
    return b;
}

static void test_bits_targets(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1111);
    const size_t n = 256;
    static const unsigned pts[4][4] = {
        {8, 8, 16, 4208}, {16, 16, 32, 8876}, {16, 32, 32, 6878}, {32, 32, 64, 19624}};
    static const unsigned fl[4] = {5, 6, 6, 7};
    for (int i = 0; i < 4; i++) {
        for (int sgn = 0; sgn < 2; sgn++) {
            uint64_t f;
            const uint64_t b = measure(&rng, OP_MULT, n, pts[i][0], pts[i][1], pts[i][2], sgn, 0,
                                       0, &f);
            assert_pin_equal(b, (uint64_t)pts[i][3] * n);
            assert_pin_equal(b, mult_bits(n, OP_MULT, pts[i][0], pts[i][1], pts[i][2], 0, 0));
            /* One fewer if the previous call left this party's flight open. */
            assert_pin_true(f == fl[i] || f + 1 == fl[i]);
        }
    }
    /* Known MSBs, 16x16->32: 5976 bits, 4 flights. */
    uint64_t f;
    assert_pin_equal(measure(&rng, OP_MSB, n, 16, 16, 32, 1, 1, 1, &f), 5976u * n);
    assert_pin_true(f == 4 || f == 3);
    /* Public constant and clear operand, 16x16->32. */
    assert_pin_equal(measure(&rng, OP_CONST, n, 16, 16, 32, 0, 0, 0, NULL), 1854u * n);
    assert_pin_equal(measure(&rng, OP_CLEAR, n, 16, 16, 32, 1, 0, 0, NULL), 4294u * n);
}

static void test_bits_formula(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x2222);
    const size_t n = 256;
    static const unsigned shapes[][3] = {{8, 16, 24}, {12, 5, 17}, {1, 1, 2}, {64, 64, 64},
                                         {40, 30, 50}, {7, 9, 9}, {33, 2, 34}, {3, 60, 40}};
    const size_t ns = test_quick() ? 3 : sizeof(shapes) / sizeof(shapes[0]);
    for (size_t i = 0; i < ns; i++) {
        const unsigned m = shapes[i][0], k = shapes[i][1], l = shapes[i][2];
        for (int op = OP_MULT; op <= OP_CLEAR; op++) {
            const int kx = op != OP_MULT && (i % 2 == 0), ky = op == OP_MSB && (i % 3 == 0);
            const uint64_t b = measure(&rng, (mop)op, n, m, k, l, (int)(i % 2), kx, ky, NULL);
            assert_pin_equal(b, mult_bits(n, (mop)op, m, k, l, kx, ky));
        }
    }
}

/* sirnn_mult_wrap: bytes against the formula (one chunk, n = 256) and
 * flights: 3 with x's wrap alone, 4 with y's by MSB-to-wrap; (8, 9, 23) and
 * (8, 7, 23) are sigmoid's products (16/12 -> 16/14 and -> 16/12). */
static void test_mult_wrap_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x8888);
    const size_t n = 256;
    static const unsigned shapes[][3] = {{8, 9, 23}, {8, 7, 23}, {8, 16, 16}, {16, 16, 48},
                                         {1, 1, 64}, {5, 40, 64}, {33, 2, 34}, {12, 5, 40}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const unsigned m = shapes[i][0], k = shapes[i][1], l = shapes[i][2];
        uint64_t f;
        const uint64_t b = measure(&rng, OP_MWRAP, n, m, k, l, 0, 0, 1, &f);
        if (test_ot_pinned() && b != mult_bits(n, OP_MWRAP, m, k, l, 0, 1))
            fail_msg("seed %llu: (%u, %u, %u): %llu bits, formula %llu",
                     (unsigned long long)test_seed(), m, k, l, (unsigned long long)b,
                     (unsigned long long)mult_bits(n, OP_MWRAP, m, k, l, 0, 1));
        const uint64_t want_f = l > k ? 4 : 3;
        assert_pin_true(f == want_f || f + 1 == want_f);
    }
    /* The sigmoid 16/12 -> 16/14 product: 2 x 1180 + 286 + 260 + 284. */
    assert_pin_equal(measure(&rng, OP_MWRAP, n, 8, 9, 23, 0, 0, 1, NULL), 3190u * n);
    /* y's wrap by the millionaires' instead (MSB not given): the formula too. */
    assert_pin_equal(measure(&rng, OP_MWRAP, n, 8, 9, 23, 0, 0, 0, NULL),
                     mult_bits(n, OP_MWRAP, 8, 9, 23, 0, 0));
}

/* Correctness of sirnn_mult_wrap over shapes with l <= m + k and l > m + k,
 * y's wrap by MSB-to-wrap or the millionaires', sizes and aliasing. */
static void test_mult_wrap_shapes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9999);
    static const unsigned shapes[][3] = {
        {8, 9, 23}, {8, 7, 23}, {8, 8, 8},   {8, 16, 16}, {1, 1, 64}, {16, 16, 48},
        {5, 40, 64}, {64, 1, 64}, {3, 60, 40}, {33, 2, 34}, {12, 5, 40}, {2, 3, 64},
        {1, 64, 64}, {20, 20, 40}, {9, 1, 17}, {7, 7, 30}};
    const size_t sizes[] = {0, 1, 3, test_quick() ? 37 : 301};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            if (test_quick() && (i + j) % 3 != 0)
                continue;
            mcase c = {.op = OP_MWRAP, .m = shapes[i][0], .k = shapes[i][1], .l = shapes[i][2],
                       .known_y = (int)((i + j) % 2), .alias = (int)(j % 3)};
            case_alloc(&c, sizes[j]);
            fill(&c, &rng);
            run_case(&c);
            check(&c);
            case_free(&c);
        }
}

/* ---------- correctness ---------- */

static void test_mult_shapes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x3333);
    const size_t n = test_quick() ? 37 : 301;
    static const unsigned shapes[][3] = {
        {8, 8, 16},  {16, 16, 32}, {16, 32, 32}, {32, 32, 64}, {1, 1, 1},  {1, 1, 2},
        {1, 64, 64}, {64, 1, 65 - 1}, {64, 64, 64}, {64, 64, 1}, {5, 3, 8}, {3, 5, 7},
        {32, 32, 32}, {32, 32, 20}, {20, 12, 32}, {12, 20, 31}, {63, 1, 64}, {2, 62, 64},
        {17, 17, 34}, {9, 4, 6},   {31, 33, 64}, {4, 4, 8},   {13, 13, 13}, {6, 40, 46}};
    const size_t ns = sizeof(shapes) / sizeof(shapes[0]);
    for (size_t i = 0; i < ns; i++) {
        if (test_quick() && i % 3 != 0)
            continue;
        for (int sgn = 0; sgn < 2; sgn++)
            for (int op = OP_MULT; op <= OP_CLEAR; op++)
                run_check(&rng, (mop)op, n, shapes[i][0], shapes[i][1], shapes[i][2], sgn);
    }
}

static void test_random_widths(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x4444);
    const int reps = test_quick() ? 4 : 40;
    for (int r = 0; r < reps; r++) {
        const unsigned m = 1 + (unsigned)test_rng_below(&rng, 64);
        const unsigned k = 1 + (unsigned)test_rng_below(&rng, 64);
        const unsigned lmax = m + k > 64 ? 64 : m + k;
        const unsigned l = 1 + (unsigned)test_rng_below(&rng, lmax);
        const int op = (int)test_rng_below(&rng, 4);
        run_check(&rng, (mop)op, 1 + test_rng_below(&rng, 200), m, k, l,
                  (int)test_rng_below(&rng, 2));
    }
}

static void test_sizes_alias(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x5555);
    static const size_t ns[] = {0, 1, 3, 129};
    for (size_t i = 0; i < 4; i++)
        for (int op = OP_MULT; op <= OP_CLEAR; op++)
            run_check(&rng, (mop)op, ns[i], 16, 16, 32, (int)(i % 2));
    /* A large odd n: several chunks and a rounded last one. */
    const size_t big = test_quick() ? 1001 : 20001;
    run_check(&rng, OP_MULT, big, 16, 16, 32, 1);
    run_check(&rng, OP_MSB, big, 8, 8, 16, 0);
    if (!test_quick()) {
        run_check(&rng, OP_MULT, big, 32, 32, 64, 1);
        run_check(&rng, OP_CLEAR, big, 16, 8, 24, 1);
    }
    /* out aliasing x, then y. */
    for (int a = 1; a <= 2; a++) {
        mcase c = {.op = OP_MULT, .m = 12, .k = 10, .l = 22, .sgn = 1, .alias = a};
        case_alloc(&c, 77);
        fill(&c, &rng);
        run_case(&c);
        check(&c);
        case_free(&c);
    }
}

static void test_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6666);
    for (int op = OP_MULT; op <= OP_CLEAR; op++)
        run_check(&rng, (mop)op, 555, 16, 16, 32, op % 2);
    run_check(&rng, OP_MULT, 3, 32, 32, 64, 1); /* lanes of 1 and 2 */
    /* Two lanes of 256: the bytes are twice one lane's. */
    assert_pin_equal(measure(&rng, OP_MULT, 512, 16, 16, 32, 0, 0, 0, NULL), 8876u * 512);
    test_pair_lanes(1);
}

/* ---------- sirnn_mult_lean ---------- */

/* sirnn_mult_lean with msb_x NULL: x's MSB a public 0 (x below 2^(m-1)),
 * edge values and splits as fill() makes them, top bit cleared. */
static void run_lean_public(test_rng *rng, size_t n, unsigned m, unsigned k, unsigned l, int sgn,
                            int chooser, uint64_t *bits, uint64_t *flights)
{
    mcase c = {.op = OP_LEAN, .m = m, .k = k, .l = l, .sgn = sgn, .known_x = 0, .owner = chooser};
    case_alloc(&c, n);
    fill(&c, rng);
    for (size_t i = 0; i < n; i++) {
        c.xv[i] &= test_mask(m - 1);
        c.x[1][i] = (c.xv[i] - c.x[0][i]) & test_mask(m);
    }
    run_case(&c);
    check(&c);
    if (bits != NULL)
        *bits = 8 * (c.sent[0] + c.sent[1]);
    if (flights != NULL)
        *flights = c.flights[0] + c.flights[1];
    case_free(&c);
}

/* The header's bits for n elements in one window (IKNP: 128 per column). */
static uint64_t lean_bits(size_t n, unsigned m, unsigned l, unsigned ne)
{
    const unsigned nb = umin(m, l), lw = l > m ? l - m : 0;
    const uint64_t cots = l + nb + (lw > 0 ? ne * (1 + (uint64_t)lw) : 0);
    uint64_t corr = (uint64_t)l * (l + 1) / 2 + (uint64_t)nb * l - (uint64_t)nb * (nb - 1) / 2;
    if (lw > 0)
        corr += ne * ((uint64_t)lw + (uint64_t)lw * (lw + 1) / 2);
    /* one batch of n * cots COTs; corrections packed, n a multiple of 8 */
    return 128 * ((n * cots + 127) / 128 * 128) + corr * n;
}

static void test_mult_lean(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9999);
    /* Every (m, k, l) kind with l <= k: with and without x's wrap, m = 64,
     * l = 1, m > l, the FastGRNN step's 16 x 32 -> 32. */
    static const unsigned shapes[][3] = {{16, 32, 32}, {8, 8, 8},   {8, 16, 16}, {1, 1, 1},
                                         {1, 64, 64},  {64, 64, 64}, {64, 8, 8}, {5, 40, 33},
                                         {12, 30, 20}, {33, 63, 60}, {20, 9, 9}, {2, 2, 1}};
    const size_t n = test_quick() ? 37 : 301;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        for (int sgn = 0; sgn < 2; sgn++)
            run_check(&rng, OP_LEAN, n, shapes[i][0], shapes[i][1], shapes[i][2], sgn);
    static const size_t ns[] = {0, 1, 3, 129};
    for (size_t i = 0; i < 4; i++)
        run_check(&rng, OP_LEAN, ns[i], 16, 32, 32, (int)(i % 2));
    /* Several windows on a lane (5,248 elements each at 16x32->32). */
    run_check(&rng, OP_LEAN, test_quick() ? 5400 : 11001, 16, 32, 32, 1);
    /* out aliasing x, then y. */
    for (int a = 1; a <= 2; a++) {
        mcase c = {.op = OP_LEAN, .m = 12, .k = 24, .l = 22, .sgn = 1, .alias = a, .known_x = 1};
        case_alloc(&c, 77);
        fill(&c, &rng);
        run_case(&c);
        check(&c);
        case_free(&c);
    }
    /* Bits against the header, and 2 flights (1 if the previous call left
     * party 1's flight open). */
    static const unsigned bshapes[][3] = {{16, 32, 32}, {8, 8, 8}, {12, 30, 20}, {64, 64, 64}};
    for (size_t i = 0; i < 4; i++) {
        uint64_t f;
        const unsigned m = bshapes[i][0], k = bshapes[i][1], l = bshapes[i][2];
        const uint64_t b = measure(&rng, OP_LEAN, 256, m, k, l, (int)(i % 2), 1, 0, &f);
        /* (measure's cases have owner 0: the server chooses) */
        assert_pin_equal(b, lean_bits(256, m, l, 3));
        assert_pin_true(f == 2 || f == 1);
    }
    /* x's MSB a public 0 (msb_x NULL): one wrap term instead of three. */
    static const unsigned pshapes[][3] = {{16, 44, 44}, {16, 32, 32}, {8, 8, 8}, {1, 9, 9},
                                          {64, 64, 64}, {5, 40, 33}, {33, 63, 60}};
    for (size_t i = 0; i < sizeof(pshapes) / sizeof(pshapes[0]); i++)
        for (int sgn = 0; sgn < 2; sgn++)
            run_lean_public(&rng, test_quick() ? 37 : 301, pshapes[i][0], pshapes[i][1],
                            pshapes[i][2], sgn, (int)(i % 2), NULL, NULL);
    for (size_t i = 0; i < 3; i++) {
        uint64_t b, f;
        run_lean_public(&rng, 256, pshapes[i][0], pshapes[i][1], pshapes[i][2], (int)(i % 2), 1,
                        &b, &f);
        assert_pin_equal(b, lean_bits(256, pshapes[i][0], pshapes[i][2], 1));
        assert_pin_true(f == 2 || f == 1);
    }
    /* Two lanes: the same results, twice one lane's bytes. */
    test_pair_lanes(2);
    run_check(&rng, OP_LEAN, 555, 16, 32, 32, 1);
    assert_pin_equal(measure(&rng, OP_LEAN, 512, 16, 32, 32, 0, 1, 0, NULL),
                     2 * lean_bits(256, 16, 32, 3));
    test_pair_lanes(1);
    /* Bad arguments: nothing sent. */
    uint64_t x[4] = {0}, y[4] = {0}, o[4];
    uint8_t bad[4] = {0, 1, 2, 0}, ok[4] = {0};
    sirnn_stats s0, s1;
    sirnn_party_stats(test_srv, &s0);
    assert_int_equal(sirnn_mult_lean(NULL, 4, o, x, y, ok, 8, 8, 8, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, y, ok, 8, 8, 9, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, y, ok, 0, 8, 8, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, y, ok, 8, 65, 8, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, y, ok, 8, 8, 8, 2, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, y, ok, 8, 8, 8, 0, 2), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, y, bad, 8, 8, 8, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, NULL, x, y, ok, 8, 8, 8, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 4, o, x, NULL, ok, 8, 8, 8, 0, SIRNN_CLIENT),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_lean(test_srv, 0, NULL, NULL, NULL, NULL, 8, 8, 8, 0, 0), SIRNN_OK);
    sirnn_party_stats(test_srv, &s1);
    assert_int_equal(s1.bytes_sent, s0.bytes_sent);
}

static void test_bad_args(void **state)
{
    (void)state;
    uint64_t x[4] = {0}, y[4] = {0}, o[4];
    uint8_t b[4] = {0, 1, 2, 0}, ok[4] = {0};
    sirnn_stats s0, s1;
    sirnn_party_stats(test_srv, &s0);
    assert_int_equal(sirnn_mult(NULL, 4, o, x, y, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, y, 0, 8, 8, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, y, 8, 65, 8, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, y, 8, 8, 0, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, y, 8, 8, 17, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, y, 40, 40, 65, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, y, 8, 8, 16, 2), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, NULL, x, y, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, NULL, y, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 4, o, x, NULL, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_msb(test_srv, 4, o, x, y, b, NULL, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_msb(test_srv, 4, o, x, y, ok, b, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_const(test_srv, 4, o, x, NULL, 3, 8, 8, 17, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_const(test_srv, 4, o, NULL, NULL, 3, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_const(test_srv, 4, o, x, b, 3, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_clear(test_srv, 4, o, x, NULL, y, 2, 8, 8, 16, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_clear(test_srv, 4, o, x, NULL, NULL, SIRNN_SERVER, 8, 8, 16, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_clear(test_srv, 4, o, x, NULL, y, SIRNN_SERVER, 8, 8, 17, 0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult(test_srv, 0, NULL, NULL, NULL, 8, 8, 16, 0), SIRNN_OK);
    assert_int_equal(sirnn_mult_wrap(NULL, 4, o, x, y, x, ok, 8, 9, 23), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, o, x, y, NULL, ok, 8, 9, 23), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, o, x, y, x, b, 8, 9, 23), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, o, x, y, x, ok, 0, 9, 23), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, o, x, y, x, ok, 8, 65, 23), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, o, x, y, x, ok, 8, 9, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, NULL, x, y, x, ok, 8, 9, 23), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mult_wrap(test_srv, 4, o, x, NULL, x, ok, 8, 9, 23), SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &s1);
    assert_int_equal(s1.bytes_sent, s0.bytes_sent);
    /* The session is still usable. */
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7777);
    run_check(&rng, OP_MULT, 5, 16, 16, 32, 1);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits_targets),
        cmocka_unit_test(test_bits_formula),
        cmocka_unit_test(test_mult_shapes),
        cmocka_unit_test(test_random_widths),
        cmocka_unit_test(test_sizes_alias),
        cmocka_unit_test(test_two_lanes),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_mult_wrap_bits),
        cmocka_unit_test(test_mult_wrap_shapes),
        cmocka_unit_test(test_mult_lean),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
