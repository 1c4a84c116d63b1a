/*
 * The comparison family (include/sirnn/arith.h): millionaires' (LT, GT, with
 * and without equality, several leaf sizes), equality, wrap, MSB,
 * MSB-to-wrap and ReLU, against the cleartext models of sirnn/fixed.h, for
 * every l from 1 to 64, edge values, n = 0, 1, 3 and a large odd n,
 * aliasing, two lanes, bad arguments, and bytes pinned exactly against the
 * formulas of the header.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/ot.h"

/* ---------- one two-party call ---------- */

typedef enum tc_op { OP_MILL, OP_EQ, OP_WRAP, OP_MSB, OP_M2W, OP_RELU } tc_op;

typedef struct tcase {
    tc_op op;
    size_t n;
    unsigned l, m;
    int cmp_op, want_eq, want_sign, alias;
    uint64_t *x[2], *out[2];
    uint8_t *bits[2], *eq[2], *bin[2];
    sirnn_status st[2];
    uint64_t sent[2], flights[2];
} tcase;

typedef struct tside {
    tcase *c;
    sirnn_party *p;
    int r;
} tside;

static int side_run(void *arg)
{
    tside *s = arg;
    tcase *c = s->c;
    const int r = s->r;
    sirnn_stats before, after;
    sirnn_party_stats(s->p, &before);
    const uint64_t silent0 = test_silent_sent(s->p);
    sirnn_status st = SIRNN_ERR_ARG;
    switch (c->op) {
    case OP_MILL:
        st = sirnn_millionaire(s->p, c->n, c->bits[r], c->want_eq ? c->eq[r] : NULL, c->x[r],
                               c->l, c->m, (sirnn_cmp_op)c->cmp_op);
        break;
    case OP_EQ:
        st = sirnn_eq(s->p, c->n, c->eq[r], c->x[r], c->l, c->m);
        break;
    case OP_WRAP:
        st = sirnn_wrap(s->p, c->n, c->bits[r], c->x[r], c->l);
        break;
    case OP_MSB:
        st = sirnn_msb(s->p, c->n, c->bits[r], c->x[r], c->l);
        break;
    case OP_M2W:
        st = sirnn_msb_to_wrap(s->p, c->n, c->alias ? c->bin[r] : c->bits[r], c->x[r],
                               c->bin[r], c->l);
        break;
    case OP_RELU:
        st = sirnn_relu(s->p, c->n, c->alias ? c->x[r] : c->out[r],
                        c->want_sign ? c->bits[r] : NULL, c->x[r], c->l);
        break;
    }
    sirnn_party_stats(s->p, &after);
    c->st[r] = st;
    /* the protocol's own bytes: what the silent engines sent is not the call's */
    c->sent[r] = after.bytes_sent - before.bytes_sent - (test_silent_sent(s->p) - silent0);
    c->flights[r] = after.flights - before.flights;
    return st != SIRNN_OK;
}

static void run_case(tcase *c)
{
    tside s0 = {c, test_srv, 0}, s1 = {c, test_cli, 1};
    assert_int_equal(test_run2(side_run, &s0, side_run, &s1, NULL, NULL), 0);
}

static void case_alloc(tcase *c, size_t n)
{
    c->n = n;
    for (int r = 0; r < 2; r++) {
        c->x[r] = calloc(n + 1, sizeof(uint64_t));
        c->out[r] = calloc(n + 1, sizeof(uint64_t));
        c->bits[r] = calloc(n + 1, 1);
        c->eq[r] = calloc(n + 1, 1);
        c->bin[r] = calloc(n + 1, 1);
        assert_true(c->x[r] && c->out[r] && c->bits[r] && c->eq[r] && c->bin[r]);
    }
}

static void case_free(tcase *c)
{
    for (int r = 0; r < 2; r++) {
        free(c->x[r]);
        free(c->out[r]);
        free(c->bits[r]);
        free(c->eq[r]);
        free(c->bin[r]);
    }
}

static uint8_t bit_of(const tcase *c, uint8_t *const *v, size_t i)
{
    (void)c;
    assert_true(v[0][i] <= 1 && v[1][i] <= 1);
    return (uint8_t)(v[0][i] ^ v[1][i]);
}

/* ---------- the cost formulas of the header ---------- */

typedef struct cost {
    uint64_t p0, p1; /* bytes each party sends */
} cost;

/* Millionaire / equality cost for n elements in one chunk of one lane. */
static cost cmp_cost(size_t n, unsigned l, unsigned m, int want_eq, int eq_only)
{
    const unsigned q = (l + m - 1) / m;
    unsigned L = 0;
    while ((1u << L) < q)
        L++;
    uint64_t S, P;
    if (eq_only) {
        S = q - 1;
        P = 0;
    } else if (want_eq) {
        S = 0;
        P = q - 1;
    } else {
        S = L;
        P = q - 1 - L;
    }
    uint64_t kk = 0, ik = 0, msgs = 0;
    for (unsigned j = 0; j < q; j++) {
        const unsigned w = j + 1 < q ? m : l - (q - 1) * m;
        const unsigned b = eq_only ? 1 : (j == 0 && !want_eq) ? 1 : 2;
        if (w == 1) {
            ik += n;
            msgs += test_cdiv(2 * n * b, 8);
        } else {
            kk += n;
            msgs += test_cdiv(n * ((uint64_t)1 << w) * b, 8);
        }
    }
    kk += P * n + test_cdiv(S * n, 2);
    msgs += 2 * P * n + 4 * (S * n / 2) + (S * n) % 2;
    const uint64_t open = (2 * S + 3 * P) * test_cdiv(n, 8);
    const sirnn_ot_backend be = test_ot_backend();
    /* SoftSpoken (ot_k = 4; KK13 with k = 2): 16 and 4 bytes per column */
    const uint64_t ikc = be == SIRNN_OT_IKNP ? 16 * test_round128(ik) : 4 * test_round128(ik);
    cost c = {.p0 = msgs + open,
              .p1 = (be == SIRNN_OT_IKNP ? 32 : 16) * test_round128(kk) + ikc + open};
    if (be == SIRNN_OT_SILENT) {
        /* arith/otphase.h: the KK13 OTs run on b = log2 N silent COTs each
         * (N the largest of the plan's: the leaves', 16 with pairs, at
         * least 4; wide keys when the messages are wider than 128 >> b
         * bits, so always here); then the triples
         * come from silent COTs (arith/triples.h): no OT, one message bit
         * per pair */
        unsigned N = 4, lm = 1;
        for (unsigned j = 0; j < q; j++) {
            const unsigned w = j + 1 < q ? m : l - (q - 1) * m;
            const unsigned b = eq_only ? 1 : (j == 0 && !want_eq) ? 1 : 2;
            if (w >= 2 && (1u << w) > N)
                N = 1u << w;
            if (w >= 2 && b > lm)
                lm = b;
        }
        if (P > 0) {
            N = N > 16 ? N : 16;
            lm = lm > 2 ? lm : 2;
        }
        unsigned bits = 1;
        while ((1u << bits) < N)
            bits++;
        if (lm <= 64) {
            const uint64_t leaves = kk - P * n - test_cdiv(S * n, 2);
            c.p1 = test_cdiv(leaves * bits, 8) + ikc + open;
            c.p0 = msgs - 2 * P * n - 4 * (S * n / 2) - (S * n) % 2 + test_cdiv(P * n, 8) + open;
        }
    }
    return c;
}

static cost mux_cost(size_t n, unsigned l)
{
    cost c = {16 * test_round128(n) + test_cdiv(n * l, 8), 16 * test_round128(n) + test_cdiv(n * l, 8)};
    return c;
}

/* ---------- inputs ---------- */

/* Pairs (x, y) of l-bit values: edges first, then random. */
static void pick_pair(test_rng *rng, size_t i, unsigned l, uint64_t *x, uint64_t *y)
{
    const uint64_t M = test_mask(l), half = (uint64_t)1 << (l - 1);
    const uint64_t r = test_rng_next(rng) & M;
    const uint64_t top = half, low = 1;
    switch (i) {
    case 0: *x = 0; *y = 0; break;
    case 1: *x = 0; *y = 1 & M; break;
    case 2: *x = 1 & M; *y = 0; break;
    case 3: *x = M; *y = M; break;
    case 4: *x = M; *y = (M - 1) & M; break;
    case 5: *x = (M - 1) & M; *y = M; break;
    case 6: *x = half; *y = (half - 1) & M; break;
    case 7: *x = (half - 1) & M; *y = half; break;
    case 8: *x = r; *y = r; break;
    case 9: *x = r; *y = r ^ low; break;       /* differ in the lowest bit */
    case 10: *x = r; *y = r ^ top; break;      /* differ in the highest bit */
    case 11: *x = 0; *y = M; break;
    case 12: *x = M; *y = 0; break;
    default:
        *x = test_rng_next(rng) & M;
        /* often close to x, so that the tree's low blocks decide */
        *y = (i % 3 == 0) ? (*x ^ (test_rng_next(rng) & 0xff)) & M : test_rng_next(rng) & M;
        break;
    }
}

/* Shares of a value: x0 random. */
static void share_value(test_rng *rng, uint64_t v, unsigned l, uint64_t *x0, uint64_t *x1)
{
    uint64_t r = test_rng_next(rng) & test_mask(l);
    *x0 = r;
    *x1 = (v - r) & test_mask(l);
}

static size_t big_n(void)
{
    return test_quick() ? 301 : 5001;
}

/* ---------- millionaires' and equality ---------- */

static void check_mill(test_rng *rng, size_t n, unsigned l, unsigned m, int op, int want_eq,
                       int pin)
{
    tcase c = {.op = OP_MILL, .l = l, .m = m, .cmp_op = op, .want_eq = want_eq};
    case_alloc(&c, n);
    for (size_t i = 0; i < n; i++) {
        pick_pair(rng, i, l, &c.x[0][i], &c.x[1][i]);
        if (i % 7 == 6) /* junk above l is ignored */
            c.x[0][i] |= ~test_mask(l);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bit_of(&c, c.bits, i), sirnn_ref_cmp(c.x[0][i], c.x[1][i], l, op));
        if (want_eq)
            assert_int_equal(bit_of(&c, c.eq, i), sirnn_ref_eq(c.x[0][i], c.x[1][i], l));
    }
    if (pin) {
        /* per backend (cmp_cost) */
        cost k = cmp_cost(n, l, m == 0 ? 4 : m, want_eq, 0);
        assert_int_equal(c.sent[0], k.p0);
        assert_int_equal(c.sent[1], k.p1);
    }
    case_free(&c);
}

static void test_millionaire_all_l(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x111);
    for (unsigned l = 1; l <= 64; l++) {
        check_mill(&rng, 40, l, 0, SIRNN_CMP_LT, 0, 1);
        check_mill(&rng, 37, l, 4, SIRNN_CMP_GT, 1, 1);
    }
}

static void test_millionaire_m(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x222);
    const unsigned ms[] = {1, 2, 3, 5, 6, 7, 8};
    const unsigned ls[] = {1, 2, 7, 8, 9, 16, 31, 33, 64};
    for (size_t mi = 0; mi < sizeof(ms) / sizeof(ms[0]); mi++)
        for (size_t li = 0; li < sizeof(ls) / sizeof(ls[0]); li++)
            check_mill(&rng, 29, ls[li], ms[mi], (int)((mi + li) % 2), (int)(li % 2), 1);
}

static void test_millionaire_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x333);
    const size_t ns[] = {0, 1, 3};
    for (size_t i = 0; i < 3; i++) {
        check_mill(&rng, ns[i], 32, 0, SIRNN_CMP_LT, 0, 1);
        check_mill(&rng, ns[i], 17, 3, SIRNN_CMP_GT, 1, 1);
    }
    check_mill(&rng, big_n(), 32, 0, SIRNN_CMP_LT, 1, 0);
    check_mill(&rng, big_n(), 64, 0, SIRNN_CMP_GT, 0, 0);
}

/* Bits per element at the benchmark points, for a batch of whole chunks. */
static void test_millionaire_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x444);
    const unsigned ls[] = {16, 32, 64};
    const uint64_t want[] = {1710, 3844, 8242};
    const size_t n = 2560; /* a multiple of every chunk size used here */
    for (int i = 0; i < 3; i++) {
        tcase c = {.op = OP_MILL, .l = ls[i], .cmp_op = SIRNN_CMP_LT};
        case_alloc(&c, n);
        for (size_t e = 0; e < n; e++)
            pick_pair(&rng, e, ls[i], &c.x[0][e], &c.x[1][e]);
        run_case(&c);
        for (size_t e = 0; e < n; e++)
            assert_int_equal(bit_of(&c, c.bits, e), sirnn_ref_cmp(c.x[0][e], c.x[1][e], ls[i], 0));
        assert_pin_equal((c.sent[0] + c.sent[1]) * 8, want[i] * n);
        case_free(&c);
    }
    /* Equality at l = 32: 3212 bits; millionaire with eq: 4250. */
    tcase c = {.op = OP_EQ, .l = 32, .m = 4};
    case_alloc(&c, n);
    for (size_t e = 0; e < n; e++)
        pick_pair(&rng, e, 32, &c.x[0][e], &c.x[1][e]);
    run_case(&c);
    assert_pin_equal((c.sent[0] + c.sent[1]) * 8, 3212 * n);
    c.op = OP_MILL;
    c.want_eq = 1;
    run_case(&c);
    assert_pin_equal((c.sent[0] + c.sent[1]) * 8, 4250 * n);
    case_free(&c);
}

static void check_eq(test_rng *rng, size_t n, unsigned l, unsigned m)
{
    tcase c = {.op = OP_EQ, .l = l, .m = m};
    case_alloc(&c, n);
    for (size_t i = 0; i < n; i++)
        pick_pair(rng, i, l, &c.x[0][i], &c.x[1][i]);
    run_case(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bit_of(&c, c.eq, i), sirnn_ref_eq(c.x[0][i], c.x[1][i], l));
    if (n <= 256) {
        cost k = cmp_cost(n, l, m == 0 ? 4 : m, 1, 1);
        assert_pin_equal(c.sent[0], k.p0);
        assert_pin_equal(c.sent[1], k.p1);
    }
    case_free(&c);
}

static void test_eq(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x555);
    for (unsigned l = 1; l <= 64; l++)
        check_eq(&rng, 33, l, l % 3 == 0 ? 2 : 0);
    check_eq(&rng, 0, 32, 0);
    check_eq(&rng, 1, 32, 0);
    check_eq(&rng, 3, 32, 8);
    check_eq(&rng, big_n(), 32, 0);
}

/* ---------- wrap, MSB, MSB-to-wrap, ReLU ---------- */

/* Shares (x0, x1) of an l-bit value with chosen wrap behaviour: edges first. */
static void pick_shares(test_rng *rng, size_t i, unsigned l, uint64_t *x0, uint64_t *x1)
{
    const uint64_t M = test_mask(l), half = (uint64_t)1 << (l - 1);
    const uint64_t r = test_rng_next(rng) & M;
    switch (i) {
    case 0: *x0 = 0; *x1 = 0; break;
    case 1: *x0 = M; *x1 = M; break;
    case 2: *x0 = r; *x1 = (0 - r) & M; break;          /* sum 2^l (or 0) */
    case 3: *x0 = r; *x1 = (M - r) & M; break;          /* sum 2^l - 1 */
    case 4: *x0 = M; *x1 = 1 & M; break;
    case 5: *x0 = half; *x1 = half; break;
    case 6: *x0 = (half - 1) & M; *x1 = half; break;
    case 7: *x0 = 0; *x1 = M; break;
    default: {
        /* edge values of x with random shares */
        const uint64_t vals[5] = {0, 1 & M, M, half, (half - 1) & M};
        const uint64_t v = i < 13 ? vals[i - 8] : test_rng_next(rng) & M;
        share_value(rng, v, l, x0, x1);
        break;
    }
    }
}

static void check_wrap_msb(test_rng *rng, size_t n, unsigned l)
{
    tcase c = {.op = OP_WRAP, .l = l};
    case_alloc(&c, n);
    for (size_t i = 0; i < n; i++)
        pick_shares(rng, i, l, &c.x[0][i], &c.x[1][i]);
    run_case(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bit_of(&c, c.bits, i), sirnn_ref_wrap(c.x[0][i], c.x[1][i], l));
    if (n <= 256) {
        cost k = cmp_cost(n, l, 4, 0, 0);
        assert_pin_equal(c.sent[0], k.p0);
        assert_pin_equal(c.sent[1], k.p1);
    }
    c.op = OP_MSB;
    run_case(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bit_of(&c, c.bits, i),
                         sirnn_ref_msb((c.x[0][i] + c.x[1][i]) & test_mask(l), l));
    if (n <= 256) {
        if (l == 1) {
            assert_int_equal(c.sent[0] + c.sent[1], 0);
        } else {
            cost k = cmp_cost(n, l - 1, 4, 0, 0);
            assert_pin_equal(c.sent[0], k.p0);
            assert_pin_equal(c.sent[1], k.p1);
        }
    }
    /* MSB-to-wrap from fresh shares of the MSB (out aliasing msb on odd l). */
    c.op = OP_M2W;
    c.alias = (int)(l % 2);
    for (size_t i = 0; i < n; i++) {
        const uint8_t msb = sirnn_ref_msb((c.x[0][i] + c.x[1][i]) & test_mask(l), l);
        const uint8_t r = (uint8_t)(test_rng_next(rng) & 1);
        c.bin[0][i] = r;
        c.bin[1][i] = (uint8_t)(r ^ msb);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bit_of(&c, c.alias ? c.bin : c.bits, i),
                         sirnn_ref_wrap(c.x[0][i], c.x[1][i], l));
    assert_pin_equal(c.sent[1], 32 * test_round128(n));
    assert_pin_equal(c.sent[0], test_cdiv(n, 2));
    case_free(&c);
}

static void test_wrap_msb(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x666);
    for (unsigned l = 1; l <= 64; l++)
        check_wrap_msb(&rng, 31, l);
    check_wrap_msb(&rng, 0, 32);
    check_wrap_msb(&rng, 1, 32);
    check_wrap_msb(&rng, 3, 16);
    check_wrap_msb(&rng, big_n(), 32);
}

static void check_relu(test_rng *rng, size_t n, unsigned l, int want_sign, int alias)
{
    tcase c = {.op = OP_RELU, .l = l, .want_sign = want_sign, .alias = alias};
    case_alloc(&c, n);
    uint64_t *v = calloc(n + 1, sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) {
        pick_shares(rng, i, l, &c.x[0][i], &c.x[1][i]);
        v[i] = (c.x[0][i] + c.x[1][i]) & test_mask(l);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *o0 = alias ? c.x[0] : c.out[0], *o1 = alias ? c.x[1] : c.out[1];
        assert_int_equal((o0[i] + o1[i]) & test_mask(l), sirnn_ref_relu(v[i], l));
        assert_int_equal(o0[i] & ~test_mask(l), 0);
        assert_int_equal(o1[i] & ~test_mask(l), 0);
        if (want_sign)
            assert_int_equal(bit_of(&c, c.bits, i), sirnn_ref_msb(v[i], l));
    }
    if (n <= 256 && l > 1) {
        cost k = cmp_cost(n, l - 1, 4, 0, 0), u = mux_cost(n, l);
        assert_pin_equal(c.sent[0], k.p0 + u.p0);
        assert_pin_equal(c.sent[1], k.p1 + u.p1);
    }
    free(v);
    case_free(&c);
}

static void test_relu(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x777);
    for (unsigned l = 1; l <= 64; l++)
        check_relu(&rng, 23, l, (int)(l % 2), (int)(l % 3 == 0));
    check_relu(&rng, 0, 32, 1, 0);
    check_relu(&rng, 1, 32, 1, 1);
    check_relu(&rng, 3, 32, 0, 0);
    check_relu(&rng, big_n(), 32, 1, 1);
    /* 4148 bits per element at l = 32 for whole chunks */
    const size_t n = 2560;
    tcase c = {.op = OP_RELU, .l = 32};
    case_alloc(&c, n);
    for (size_t i = 0; i < n; i++)
        pick_shares(&rng, i, 32, &c.x[0][i], &c.x[1][i]);
    run_case(&c);
    assert_pin_equal((c.sent[0] + c.sent[1]) * 8, 4148 * n);
    case_free(&c);
}

/* ---------- lanes, bad arguments ---------- */

static void test_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x888);
    check_mill(&rng, 777, 32, 0, SIRNN_CMP_LT, 1, 0);
    check_relu(&rng, 555, 20, 1, 0);
    tcase c = {.op = OP_MILL, .l = 16, .cmp_op = SIRNN_CMP_LT};
    case_alloc(&c, 101); /* lanes of 50 and 51 */
    for (size_t i = 0; i < 101; i++)
        pick_pair(&rng, i, 16, &c.x[0][i], &c.x[1][i]);
    run_case(&c);
    cost a = cmp_cost(50, 16, 4, 0, 0), b = cmp_cost(51, 16, 4, 0, 0);
    assert_pin_equal(c.sent[0], a.p0 + b.p0);
    assert_pin_equal(c.sent[1], a.p1 + b.p1);
    case_free(&c);
    test_pair_lanes(1);
}

static void test_bad_args(void **state)
{
    (void)state;
    uint64_t x[4] = {0};
    uint8_t b[4] = {0, 1, 2, 0}, o[4], e[4];
    sirnn_stats s0, s1;
    sirnn_party_stats(test_srv, &s0);
    assert_int_equal(sirnn_millionaire(test_srv, 4, o, NULL, x, 0, 0, SIRNN_CMP_LT), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_millionaire(test_srv, 4, o, NULL, x, 65, 0, SIRNN_CMP_LT), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_millionaire(test_srv, 4, o, NULL, x, 8, 9, SIRNN_CMP_LT), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_millionaire(test_srv, 4, o, NULL, x, 8, 4, (sirnn_cmp_op)2), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_millionaire(test_srv, 4, NULL, e, x, 8, 4, SIRNN_CMP_LT), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_millionaire(test_srv, 4, o, o, x, 8, 4, SIRNN_CMP_LT), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_eq(test_srv, 4, e, NULL, 8, 4), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_eq(test_srv, 4, e, x, 8, 9), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_wrap(test_srv, 4, o, x, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msb(test_srv, 4, NULL, x, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msb_to_wrap(test_srv, 4, o, x, b, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msb_to_wrap(test_srv, 4, o, x, b, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_relu(test_srv, 4, NULL, NULL, x, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_relu(test_srv, 4, x, NULL, x, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_relu(NULL, 4, x, NULL, x, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_millionaire(test_srv, 0, NULL, NULL, NULL, 8, 4, SIRNN_CMP_LT), SIRNN_OK);
    sirnn_party_stats(test_srv, &s1);
    assert_int_equal(s1.bytes_sent, s0.bytes_sent);
    test_rng rng;
    test_rng_init(&rng, test_seed());
    check_mill(&rng, 5, 12, 0, SIRNN_CMP_LT, 0, 1);
}

/* Flights: the parties alternate through the tree. */
static void test_flights(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x999);
    tcase c = {.op = OP_MILL, .l = 32, .cmp_op = SIRNN_CMP_LT};
    case_alloc(&c, 64);
    for (size_t i = 0; i < 64; i++)
        pick_pair(&rng, i, 32, &c.x[0][i], &c.x[1][i]);
    run_case(&c);
    /* q = 8 leaves, 3 levels: party 1's columns; party 0's messages with
     * level 1; party 1's levels 1 and 2; party 0's levels 2 and 3; party 1's
     * level 3. One fewer if the previous call left a flight open. */
    assert_pin_true(c.flights[0] + c.flights[1] >= 4);
    assert_pin_true(c.flights[0] + c.flights[1] <= 5);
    print_message("millionaire l=32 n=64 flights: %llu + %llu\n",
                  (unsigned long long)c.flights[0], (unsigned long long)c.flights[1]);
    case_free(&c);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_millionaire_all_l),
        cmocka_unit_test(test_millionaire_m),
        cmocka_unit_test(test_millionaire_sizes),
        cmocka_unit_test(test_millionaire_bits),
        cmocka_unit_test(test_eq),
        cmocka_unit_test(test_wrap_msb),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_two_lanes),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_flights),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
