/*
 * Shares, reveal, local operations, B2A, MUX and AND (include/sirnn/arith.h)
 * against the cleartext models of include/sirnn/fixed.h: random and edge
 * inputs, n = 0, 1, 3 and a large odd n, aliasing, bad arguments, and the
 * bytes sent pinned exactly against the header's formulas.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/ot.h"

static uint64_t bytes_of(uint64_t n, unsigned l)
{
    return (n * l + 7) / 8;
}

/* ---------- one two-party call ---------- */

typedef enum op {
    OP_SHARE, OP_SHARE_BOOL, OP_REVEAL, OP_REVEAL_BOOL, OP_B2A, OP_MUX, OP_MUX2, OP_AND
} op;

typedef struct tcase {
    op op;
    size_t n;
    unsigned l;
    int who; /* owner or reveal target */
    int alias;
    /* per party */
    uint64_t *x[2], *y[2], *out[2];
    uint8_t *a[2], *b[2], *bout[2];
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
    sirnn_status st = SIRNN_ERR_ARG;
    uint64_t *out = c->alias ? c->x[r] : c->out[r];
    uint8_t *bout = c->alias ? c->a[r] : c->bout[r];
    switch (c->op) {
    case OP_SHARE:
        st = sirnn_share(s->p, c->n, out, r == c->who ? c->x[r] : NULL, c->l, c->who);
        break;
    case OP_SHARE_BOOL:
        st = sirnn_share_bool(s->p, c->n, bout, r == c->who ? c->a[r] : NULL, c->who);
        break;
    case OP_REVEAL:
        st = sirnn_reveal(s->p, c->n, out, c->x[r], c->l, c->who);
        break;
    case OP_REVEAL_BOOL:
        st = sirnn_reveal_bool(s->p, c->n, bout, c->a[r], c->who);
        break;
    case OP_B2A:
        st = sirnn_b2a(s->p, c->n, c->out[r], c->a[r], c->l);
        break;
    case OP_MUX:
        st = sirnn_mux(s->p, c->n, out, c->a[r], c->x[r], c->l);
        break;
    case OP_MUX2:
        st = sirnn_mux2(s->p, c->n, c->alias == 2 ? c->y[r] : out, c->a[r], c->x[r], c->y[r],
                        c->l);
        break;
    case OP_AND:
        st = sirnn_and(s->p, c->n, c->alias == 2 ? c->b[r] : bout, c->a[r], c->b[r]);
        break;
    }
    sirnn_party_stats(s->p, &after);
    c->st[r] = st;
    c->sent[r] = after.bytes_sent - before.bytes_sent;
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
        c->y[r] = calloc(n + 1, sizeof(uint64_t));
        c->out[r] = calloc(n + 1, sizeof(uint64_t));
        c->a[r] = calloc(n + 1, 1);
        c->b[r] = calloc(n + 1, 1);
        c->bout[r] = calloc(n + 1, 1);
        assert_non_null(c->x[r]);
        assert_non_null(c->y[r]);
        assert_non_null(c->out[r]);
        assert_non_null(c->a[r]);
        assert_non_null(c->b[r]);
        assert_non_null(c->bout[r]);
    }
}

static void case_free(tcase *c)
{
    for (int r = 0; r < 2; r++) {
        free(c->x[r]);
        free(c->y[r]);
        free(c->out[r]);
        free(c->a[r]);
        free(c->b[r]);
        free(c->bout[r]);
    }
}

/* Edge values of an l-bit ring, then random ones. */
static uint64_t pick_value(test_rng *rng, size_t i, unsigned l)
{
    const uint64_t half = (uint64_t)1 << (l - 1);
    switch (i) {
    case 0:
        return 0;
    case 1:
        return 1 & test_mask(l);
    case 2:
        return test_mask(l);
    case 3:
        return half;
    case 4:
        return half - 1;
    default:
        return test_rng_next(rng) & test_mask(l);
    }
}

/* Shares of v: x0 random (sometimes with junk above l, which must be ignored). */
static void share_value(test_rng *rng, uint64_t v, unsigned l, uint64_t *x0, uint64_t *x1)
{
    uint64_t r = test_rng_next(rng) & test_mask(l);
    *x0 = r;
    *x1 = (v - r) & test_mask(l);
}

static void share_bit(test_rng *rng, uint8_t v, uint8_t *b0, uint8_t *b1)
{
    uint8_t r = (uint8_t)(test_rng_next(rng) & 1);
    *b0 = r;
    *b1 = (uint8_t)(v ^ r);
}

static size_t big_n(void)
{
    return test_quick() ? 301 : 10001;
}

static const size_t k_sizes[] = {0, 1, 3, 130};

/* ---------- sharing and reveal ---------- */

static void test_share_reveal(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x5a5a);
    const unsigned ls[] = {1, 2, 7, 31, 32, 63, 64};
    size_t sizes[5] = {0, 1, 3, 130, big_n()};
    for (size_t si = 0; si < 5; si++) {
        for (size_t li = 0; li < sizeof(ls) / sizeof(ls[0]); li++) {
            const unsigned l = ls[li];
            const size_t n = sizes[si];
            for (int owner = 0; owner < 2; owner++) {
                tcase c = {.op = OP_SHARE, .l = l, .who = owner, .alias = (int)(n % 2)};
                case_alloc(&c, n);
                uint64_t *v = calloc(n + 1, sizeof(uint64_t));
                for (size_t i = 0; i < n; i++) {
                    v[i] = pick_value(&rng, i, l);
                    c.x[owner][i] = v[i];
                }
                run_case(&c);
                for (size_t i = 0; i < n; i++) {
                    uint64_t *o0 = c.alias ? c.x[0] : c.out[0], *o1 = c.alias ? c.x[1] : c.out[1];
                    assert_int_equal((o0[i] + o1[i]) & test_mask(l), v[i]);
                    assert_int_equal(o0[i] & ~test_mask(l), 0);
                    assert_int_equal(o1[i] & ~test_mask(l), 0);
                }
                assert_int_equal(c.sent[owner], bytes_of(n, l));
                assert_int_equal(c.sent[1 - owner], 0);
                /* Reveal the shares back, to each target. */
                for (int to = 0; to <= SIRNN_BOTH; to++) {
                    tcase d = {.op = OP_REVEAL, .l = l, .who = to};
                    case_alloc(&d, n);
                    for (int r = 0; r < 2; r++)
                        memcpy(d.x[r], c.alias ? c.x[r] : c.out[r], n * sizeof(uint64_t));
                    run_case(&d);
                    for (int r = 0; r < 2; r++) {
                        const int gets = to == SIRNN_BOTH || to == r;
                        for (size_t i = 0; i < n; i++)
                            assert_int_equal(d.out[r][i], gets ? v[i] : 0);
                        assert_int_equal(d.sent[r], (to == SIRNN_BOTH || to != r) ? bytes_of(n, l) : 0);
                    }
                    case_free(&d);
                }
                free(v);
                case_free(&c);
            }
        }
        /* Boolean sharing and reveal. */
        const size_t n = sizes[si];
        for (int owner = 0; owner < 2; owner++) {
            tcase c = {.op = OP_SHARE_BOOL, .who = owner};
            case_alloc(&c, n);
            for (size_t i = 0; i < n; i++)
                c.a[owner][i] = (uint8_t)(test_rng_next(&rng) & 1);
            uint8_t *v = malloc(n + 1);
            memcpy(v, c.a[owner], n);
            run_case(&c);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(c.bout[0][i] ^ c.bout[1][i], v[i]);
            assert_int_equal(c.sent[owner], (n + 7) / 8);
            assert_int_equal(c.sent[1 - owner], 0);
            tcase d = {.op = OP_REVEAL_BOOL, .who = SIRNN_BOTH, .alias = 1};
            case_alloc(&d, n);
            for (int r = 0; r < 2; r++)
                memcpy(d.a[r], c.bout[r], n);
            run_case(&d);
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(d.a[0][i], v[i]);
                assert_int_equal(d.a[1][i], v[i]);
            }
            assert_int_equal(d.sent[0], (n + 7) / 8);
            assert_int_equal(d.sent[1], (n + 7) / 8);
            free(v);
            case_free(&d);
            case_free(&c);
        }
    }
}

/* ---------- local operations ---------- */

static void test_local_ops(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x10ca1);
    const size_t n = 257;
    uint64_t a[2][257], b[2][257], o[2][257], va[257], vb[257];
    uint8_t ba[2][257], bb[2][257], bo[2][257];
    sirnn_party *p[2] = {test_srv, test_cli};
    for (unsigned l = 1; l <= 64; l++) {
        for (size_t i = 0; i < n; i++) {
            va[i] = pick_value(&rng, i, l);
            vb[i] = pick_value(&rng, (i + 3) % n, l);
            share_value(&rng, va[i], l, &a[0][i], &a[1][i]);
            share_value(&rng, vb[i], l, &b[0][i], &b[1][i]);
        }
        const uint64_t c = test_rng_next(&rng);
        const uint64_t m = test_mask(l);
        for (int k = 0; k < 6; k++) {
            for (int r = 0; r < 2; r++) {
                sirnn_status st = SIRNN_ERR_ARG;
                switch (k) {
                case 0: st = sirnn_add(p[r], n, o[r], a[r], b[r], l); break;
                case 1: st = sirnn_sub(p[r], n, o[r], a[r], b[r], l); break;
                case 2: st = sirnn_neg(p[r], n, o[r], a[r], l); break;
                case 3: st = sirnn_mul_const(p[r], n, o[r], a[r], c, l); break;
                case 4: st = sirnn_add_const(p[r], n, o[r], a[r], c, l); break;
                case 5: st = sirnn_mod_down(p[r], n, o[r], a[r], l, (l + 1) / 2); break;
                }
                assert_int_equal(st, SIRNN_OK);
            }
            for (size_t i = 0; i < n; i++) {
                uint64_t want = 0;
                unsigned lo = l;
                switch (k) {
                case 0: want = va[i] + vb[i]; break;
                case 1: want = va[i] - vb[i]; break;
                case 2: want = 0 - va[i]; break;
                case 3: want = va[i] * c; break;
                case 4: want = va[i] + c; break;
                case 5: lo = (l + 1) / 2; want = va[i]; break;
                }
                assert_int_equal((o[0][i] + o[1][i]) & test_mask(lo), want & test_mask(lo));
                assert_int_equal(o[0][i] & ~test_mask(lo), 0);
                assert_int_equal(o[1][i] & ~test_mask(lo), 0);
            }
        }
        /* In place. */
        for (int r = 0; r < 2; r++)
            assert_int_equal(sirnn_add(p[r], n, a[r], a[r], b[r], l), SIRNN_OK);
        for (size_t i = 0; i < n; i++)
            assert_int_equal((a[0][i] + a[1][i]) & m, (va[i] + vb[i]) & m);
    }
    /* XOR and NOT, also in place. */
    for (size_t i = 0; i < n; i++) {
        share_bit(&rng, (uint8_t)(i & 1), &ba[0][i], &ba[1][i]);
        share_bit(&rng, (uint8_t)((i >> 1) & 1), &bb[0][i], &bb[1][i]);
    }
    for (int r = 0; r < 2; r++) {
        assert_int_equal(sirnn_xor(p[r], n, bo[r], ba[r], bb[r]), SIRNN_OK);
        assert_int_equal(sirnn_not(p[r], n, ba[r], ba[r]), SIRNN_OK);
    }
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bo[0][i] ^ bo[1][i], (i & 1) ^ ((i >> 1) & 1));
        assert_int_equal(ba[0][i] ^ ba[1][i], 1 ^ (i & 1));
    }
    /* Bad arguments. */
    assert_int_equal(sirnn_add(test_srv, 1, o[0], a[0], b[0], 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_add(test_srv, 1, o[0], a[0], b[0], 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_add(test_srv, 1, NULL, a[0], b[0], 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mod_down(test_srv, 1, o[0], a[0], 8, 9), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mod_down(test_srv, 1, o[0], a[0], 8, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_add(test_srv, 0, NULL, NULL, NULL, 8), SIRNN_OK);
    ba[0][0] = 2;
    assert_int_equal(sirnn_xor(test_srv, 1, bo[0], ba[0], bb[0]), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_not(test_srv, 1, bo[0], ba[0]), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_add(NULL, 1, o[0], a[0], b[0], 8), SIRNN_ERR_ARG);
}

/* ---------- B2A, MUX, AND ---------- */

static void check_b2a(test_rng *rng, size_t n, unsigned l)
{
    tcase c = {.op = OP_B2A, .l = l};
    case_alloc(&c, n);
    uint8_t *v = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        v[i] = (uint8_t)(test_rng_next(rng) & 1);
        share_bit(rng, v[i], &c.a[0][i], &c.a[1][i]);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal((c.out[0][i] + c.out[1][i]) & test_mask(l), sirnn_ref_b2a(v[i], l));
        assert_int_equal(c.out[0][i] & ~test_mask(l), 0);
        assert_int_equal(c.out[1][i] & ~test_mask(l), 0);
    }
    /* 128 + (l - 1) bits: columns from party 1, corrections from party 0. */
    if (l == 1) {
        assert_int_equal(c.sent[0] + c.sent[1], 0);
    } else {
        assert_pin_equal(c.sent[1], 16 * test_round128(n));
        assert_pin_equal(c.sent[0], bytes_of(n, l - 1));
        assert_pin_true(c.flights[0] + c.flights[1] <= (n <= 4096 ? 2 : 2 * ((n + 4095) / 4096)));
    }
    free(v);
    case_free(&c);
}

static void test_b2a(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xb2a);
    for (unsigned l = 1; l <= 64; l++)
        check_b2a(&rng, 3 + l % 5, l);
    for (size_t si = 0; si < sizeof(k_sizes) / sizeof(k_sizes[0]); si++)
        check_b2a(&rng, k_sizes[si], 32);
    check_b2a(&rng, big_n(), 32);
    check_b2a(&rng, big_n(), 64);
}

static void check_mux(test_rng *rng, size_t n, unsigned l, int two, int alias)
{
    tcase c = {.op = two ? OP_MUX2 : OP_MUX, .l = l, .alias = alias};
    case_alloc(&c, n);
    uint8_t *s = malloc(n + 1);
    uint64_t *vx = calloc(n + 1, 8), *vy = calloc(n + 1, 8);
    for (size_t i = 0; i < n; i++) {
        s[i] = (uint8_t)(test_rng_next(rng) & 1);
        vx[i] = pick_value(rng, i / 2, l);
        vy[i] = pick_value(rng, (i + 7) / 2, l);
        share_bit(rng, s[i], &c.a[0][i], &c.a[1][i]);
        share_value(rng, vx[i], l, &c.x[0][i], &c.x[1][i]);
        share_value(rng, vy[i], l, &c.y[0][i], &c.y[1][i]);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *o0 = alias == 2 ? c.y[0] : alias ? c.x[0] : c.out[0];
        const uint64_t *o1 = alias == 2 ? c.y[1] : alias ? c.x[1] : c.out[1];
        assert_int_equal((o0[i] + o1[i]) & test_mask(l), sirnn_ref_mux(s[i], vx[i], two ? vy[i] : 0, l));
        assert_int_equal(o0[i] & ~test_mask(l), 0);
        assert_int_equal(o1[i] & ~test_mask(l), 0);
    }
    for (int r = 0; r < 2; r++)
        assert_pin_equal(c.sent[r], 16 * test_round128(n) + bytes_of(n, l));
    /* Two flights per party (one fewer if the previous call ended with a send). */
    if (n > 0 && n <= 4096) {
        assert_pin_true(c.flights[0] >= 1 && c.flights[0] <= 2);
        assert_pin_true(c.flights[1] >= 1 && c.flights[1] <= 2);
    }
    free(s);
    free(vx);
    free(vy);
    case_free(&c);
}

static void test_mux(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x3c3);
    for (unsigned l = 1; l <= 64; l++)
        check_mux(&rng, 3 + l % 4, l, (int)(l % 2), (int)(l % 3 == 0));
    for (size_t si = 0; si < sizeof(k_sizes) / sizeof(k_sizes[0]); si++) {
        check_mux(&rng, k_sizes[si], 32, 0, 0);
        check_mux(&rng, k_sizes[si], 32, 1, 2);
    }
    check_mux(&rng, big_n(), 32, 0, 1);
    check_mux(&rng, big_n(), 17, 1, 0);
}

static void check_and(test_rng *rng, size_t n, int alias)
{
    tcase c = {.op = OP_AND, .alias = alias};
    case_alloc(&c, n);
    uint8_t *va = malloc(n + 1), *vb = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        /* all four combinations (large n), then random; the last element
         * of an odd n (the 1-of-4 path) is always a = 1 */
        const int edge = n >= 8 && i < 4;
        va[i] = (uint8_t)(edge ? i & 1 : test_rng_next(rng) & 1);
        vb[i] = (uint8_t)(edge ? (i >> 1) & 1 : test_rng_next(rng) & 1);
        if (n % 2 == 1 && i == n - 1)
            va[i] = 1;
        share_bit(rng, va[i], &c.a[0][i], &c.a[1][i]);
        share_bit(rng, vb[i], &c.b[0][i], &c.b[1][i]);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *o0 = alias == 2 ? c.b[0] : alias ? c.a[0] : c.bout[0];
        const uint8_t *o1 = alias == 2 ? c.b[1] : alias ? c.a[1] : c.bout[1];
        assert_true(o0[i] <= 1 && o1[i] <= 1);
        assert_int_equal(o0[i] ^ o1[i], va[i] & vb[i]);
    }
    /* Pairs: 1-of-16 OT of 2-bit messages (256 + 32 bits); an odd last
     * element: 1-of-4 OT of 1-bit messages (256 + 4 bits). */
    const uint64_t pairs = n / 2, odd = n % 2;
    assert_pin_equal(c.sent[1], 32 * test_round128(pairs + odd));
    assert_pin_equal(c.sent[0], 4 * pairs + odd);
    free(va);
    free(vb);
    case_free(&c);
}

static void test_and(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xa4d);
    for (size_t si = 0; si < sizeof(k_sizes) / sizeof(k_sizes[0]); si++)
        check_and(&rng, k_sizes[si], (int)si % 3);
    check_and(&rng, 4, 0);
    /* odd tails: both values of b, each share combination over the runs */
    for (size_t n = 1; n <= 31; n += 2)
        check_and(&rng, n, (int)(n % 3));
    check_and(&rng, big_n(), 1);
    check_and(&rng, 8192, 0);
}

/* ---------- bad arguments: nothing is sent, the session stays usable ---------- */

static void test_bad_args(void **state)
{
    (void)state;
    uint64_t x[4] = {0}, o[4];
    uint8_t b[4] = {0, 1, 2, 0}, bo[4];
    sirnn_stats s0, s1;
    sirnn_party_stats(test_srv, &s0);
    assert_int_equal(sirnn_share(test_srv, 4, o, x, 0, SIRNN_SERVER), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_share(test_srv, 4, o, x, 8, 2), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_share(test_srv, 4, o, NULL, 8, SIRNN_SERVER), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_share_bool(test_srv, 4, bo, b, SIRNN_SERVER), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_reveal(test_srv, 4, o, x, 65, SIRNN_BOTH), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_reveal(test_srv, 4, o, x, 8, 3), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_reveal(test_srv, 4, NULL, x, 8, SIRNN_SERVER), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_reveal_bool(test_srv, 4, bo, b, SIRNN_BOTH), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_b2a(test_srv, 4, o, b, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_b2a(test_srv, 2, o, b, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_b2a(test_srv, 2, NULL, b, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mux(test_srv, 4, o, b, x, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mux(test_srv, 2, o, b, x, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mux(test_srv, 2, o, b, NULL, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_mux2(test_srv, 2, o, b, x, NULL, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_and(test_srv, 4, bo, b, b), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_and(test_srv, 2, NULL, b, b), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_b2a(NULL, 2, o, b, 8), SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &s1);
    assert_int_equal(s1.bytes_sent, s0.bytes_sent);
    /* Still in step: a B2A afterwards works. */
    test_rng rng;
    test_rng_init(&rng, test_seed());
    check_b2a(&rng, 5, 16);
}

/* ---------- lanes: results and bytes per lane ---------- */

static void test_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x2a2e);
    const size_t n = 1001; /* lanes of 500 and 501 */
    tcase c = {.op = OP_MUX, .l = 20};
    case_alloc(&c, n);
    uint8_t *s = malloc(n);
    uint64_t *vx = calloc(n, 8);
    for (size_t i = 0; i < n; i++) {
        s[i] = (uint8_t)(test_rng_next(&rng) & 1);
        vx[i] = test_rng_next(&rng) & test_mask(20);
        share_bit(&rng, s[i], &c.a[0][i], &c.a[1][i]);
        share_value(&rng, vx[i], 20, &c.x[0][i], &c.x[1][i]);
    }
    run_case(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal((c.out[0][i] + c.out[1][i]) & test_mask(20), sirnn_ref_mux(s[i], vx[i], 0, 20));
    for (int r = 0; r < 2; r++)
        assert_pin_equal(c.sent[r], 16 * (test_round128(500) + test_round128(501)) + bytes_of(500, 20) +
                                        bytes_of(501, 20));
    free(s);
    free(vx);
    case_free(&c);
    tcase d = {.op = OP_AND};
    case_alloc(&d, n);
    for (size_t i = 0; i < n; i++) {
        d.a[0][i] = (uint8_t)(i & 1);
        d.b[1][i] = (uint8_t)((i >> 1) & 1);
    }
    run_case(&d);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(d.bout[0][i] ^ d.bout[1][i], (i & 1) & ((i >> 1) & 1));
    assert_pin_equal(d.sent[1], 32 * (test_round128(250) + test_round128(251)));
    assert_pin_equal(d.sent[0], 4 * 250 + 4 * 250 + 1);
    case_free(&d);
    test_pair_lanes(1);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_reveal),
        cmocka_unit_test(test_local_ops),
        cmocka_unit_test(test_b2a),
        cmocka_unit_test(test_mux),
        cmocka_unit_test(test_and),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_two_lanes),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
