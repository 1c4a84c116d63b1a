/*
 * Zero and signed extension (sirnn_zext, sirnn_sext and their known-MSB
 * variants) against sirnn_ref_zext / sirnn_ref_sext: random and edge inputs,
 * m = 1, l = 64, n = 0, 1, 3 and a large odd n, aliasing, two lanes, bad
 * arguments, and bytes and flights pinned against the header's formulas.
 */
#include "tests/mixed_common.h"

typedef enum { E_ZEXT, E_SEXT, E_ZEXT_MSB, E_SEXT_MSB } ext_kind;

typedef struct ecase {
    ext_kind kind;
    size_t n;
    unsigned m, l;
    int alias;
    uint64_t *x[2], *out[2];
    uint8_t *msb[2];
} ecase;

static sirnn_status ext_call(void *vctx, sirnn_party *p, int r)
{
    ecase *c = vctx;
    uint64_t *out = c->alias ? c->x[r] : c->out[r];
    switch (c->kind) {
    case E_ZEXT:
        return sirnn_zext(p, c->n, out, c->x[r], c->m, c->l);
    case E_SEXT:
        return sirnn_sext(p, c->n, out, c->x[r], c->m, c->l);
    case E_ZEXT_MSB:
        return sirnn_zext_msb(p, c->n, out, c->x[r], c->msb[r], c->m, c->l);
    case E_SEXT_MSB:
        return sirnn_sext_msb(p, c->n, out, c->x[r], c->msb[r], c->m, c->l);
    }
    return SIRNN_ERR_ARG;
}

/* Bytes of one single-chunk, single-lane call (sirnn/arith.h). */
static uint64_t ext_model(ext_kind kind, unsigned m, unsigned l, uint64_t n, uint64_t *flights)
{
    mc_net net;
    memset(&net, 0, sizeof(net));
    if (kind == E_ZEXT || kind == E_SEXT) {
        net.levels = mc_segment(&net, m, 0, 0);
    } else {
        net.aux = 1;
    }
    mc_b2a(&net, l - m);
    *flights = mc_net_flights(&net);
    return mc_net_bytes(&net, n);
}

/* Runs one case on fresh random inputs and checks it; returns bytes. */
static uint64_t ext_check(test_rng *rng, ext_kind kind, size_t n, unsigned m, unsigned l, int alias,
                          uint64_t *flights)
{
    ecase c = {.kind = kind, .n = n, .m = m, .l = l, .alias = alias};
    uint64_t *x = calloc(n + 1, sizeof(uint64_t));
    uint8_t *mb = calloc(n + 1, 1);
    assert_non_null(x);
    assert_non_null(mb);
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(n + 1, sizeof(uint64_t));
        c.out[r] = calloc(n + 1, sizeof(uint64_t));
        c.msb[r] = calloc(n + 1, 1);
        assert_true(c.x[r] && c.out[r] && c.msb[r]);
    }
    mc_values(rng, x, n, m);
    for (size_t i = 0; i < n; i++)
        mb[i] = (uint8_t)((x[i] >> (m - 1)) & 1);
    mc_split(rng, x, c.x[0], c.x[1], n, m);
    mc_split_bits(rng, mb, c.msb[0], c.msb[1], n);
    /* Bits above m are ignored. */
    for (size_t i = 0; i < n && m < 64; i++)
        c.x[1][i] |= test_rng_next(rng) << m;
    const uint64_t bytes = mc_run(ext_call, &c, flights);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *o0 = alias ? c.x[0] : c.out[0], *o1 = alias ? c.x[1] : c.out[1];
        assert_true(o0[i] <= test_mask(l) && o1[i] <= test_mask(l));
        const uint64_t got = (o0[i] + o1[i]) & test_mask(l);
        const uint64_t want = (kind == E_ZEXT || kind == E_ZEXT_MSB) ? sirnn_ref_zext(x[i], m, l)
                                                                     : sirnn_ref_sext(x[i], m, l);
        if (got != want)
            fail_msg("kind %d m %u l %u i %zu x %llx: got %llx want %llx", (int)kind, m, l, i,
                     (unsigned long long)x[i], (unsigned long long)got, (unsigned long long)want);
    }
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.out[r]);
        free(c.msb[r]);
    }
    free(x);
    free(mb);
    return bytes;
}

static void test_ext_params(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe1);
    static const unsigned pts[][2] = {{16, 32}, {1, 2}, {1, 64}, {8, 16}, {63, 64}, {32, 64},
                                      {5, 6},   {13, 40}, {2, 3}, {31, 33}};
    const size_t np = test_quick() ? 5 : sizeof(pts) / sizeof(pts[0]);
    const size_t n = test_quick() ? 67 : 250; /* one chunk (>= 256) */
    for (size_t i = 0; i < np; i++)
        for (int kind = 0; kind < 4; kind++) {
            const unsigned m = pts[i][0], l = pts[i][1];
            uint64_t fl, mfl;
            const uint64_t bytes = ext_check(&rng, (ext_kind)kind, n, m, l, (int)(i % 2), &fl);
            const uint64_t want = ext_model((ext_kind)kind, m, l, n, &mfl);
            if (test_ot_pinned() && (bytes != want || fl != mfl))
                fail_msg("kind %d m %u l %u: bytes %llu (model %llu), flights %llu (model %llu)",
                         kind, m, l, (unsigned long long)bytes, (unsigned long long)want,
                         (unsigned long long)fl, (unsigned long long)mfl);
        }
}

static void test_ext_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe2);
    const size_t sizes[] = {0, 1, 3, 129, test_quick() ? 2049 : 20001};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int kind = 0; kind < 4; kind++) {
            uint64_t fl;
            const uint64_t bytes = ext_check(&rng, (ext_kind)kind, sizes[i], 16, 32, 0, &fl);
            if (sizes[i] == 0) {
                assert_int_equal(bytes, 0);
                assert_int_equal(fl, 0);
            }
        }
}

/* Pinned figures of the header at a large chunk-aligned batch. */
static void test_ext_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe3);
    uint64_t fl;
    /* 2304 elements: exactly one chunk of 16 -> 32 zext (9 * 256). */
    const size_t n = 2304;
    uint64_t b = ext_check(&rng, E_ZEXT, n, 16, 32, 0, &fl);
    assert_pin_equal(b * 8, 1853 * n);
    assert_pin_equal(fl, 5);
    b = ext_check(&rng, E_SEXT_MSB, 4096, 16, 32, 0, &fl);
    assert_pin_equal(b * 8, 403 * 4096);
    assert_pin_equal(fl, 3);
}

static void test_ext_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe4);
    for (int kind = 0; kind < 4; kind++) {
        uint64_t fl;
        ext_check(&rng, (ext_kind)kind, test_quick() ? 301 : 5001, 12, 30, kind % 2, &fl);
        ext_check(&rng, (ext_kind)kind, 1, 12, 30, 0, &fl);
    }
    test_pair_lanes(1);
}

static void test_ext_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0, 0}, o[2];
    uint8_t b[2] = {0, 2};
    sirnn_stats before, after;
    sirnn_party_stats(test_srv, &before);
    assert_int_equal(sirnn_zext(test_srv, 2, o, x, 16, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_zext(test_srv, 2, o, x, 0, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_sext(test_srv, 2, o, x, 16, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_sext(test_srv, 2, NULL, x, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_zext(test_srv, 2, o, NULL, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_zext_msb(test_srv, 2, o, x, NULL, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_sext_msb(test_srv, 2, o, x, b, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_zext(NULL, 2, o, x, 8, 16), SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &after);
    assert_int_equal(after.bytes_sent, before.bytes_sent);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext_params),    cmocka_unit_test(test_ext_sizes),
        cmocka_unit_test(test_ext_bits),      cmocka_unit_test(test_ext_two_lanes),
        cmocka_unit_test(test_ext_bad_args),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
