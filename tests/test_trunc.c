/*
 * Truncation: sirnn_tr, sirnn_tr_ext, sirnn_lrs, sirnn_ars, their known-MSB
 * variants and sirnn_divpow2(_msb) against the cleartext models: random and
 * edge inputs, s = 0, 1, l - 1, l, l = 1 and 64, n = 0, 1, 3 and a large odd
 * n, aliasing, two lanes, bad arguments, and bytes and flights pinned
 * against the formulas of sirnn/arith.h; the faithful shift with a known
 * sign (sirnn_ars_faithful) against its contract (ARS or ARS - 1).
 */
#include "tests/mixed_common.h"

typedef enum { T_TR, T_TREXT_U, T_TREXT_S, T_LRS, T_ARS, T_LRS_MSB, T_ARS_MSB, T_DIV, T_DIV_MSB,
               T_TREXT_SIGN, T_KINDS } tr_kind;

typedef struct tcase {
    tr_kind kind;
    size_t n;
    unsigned l, s, lout;
    int alias;
    uint64_t *x[2], *out[2];
    uint8_t *msb[2];
    uint8_t *sign[2]; /* T_TREXT_SIGN: shares of bit l - 1 of x */
} tcase;

static sirnn_status tr_call(void *vctx, sirnn_party *p, int r)
{
    tcase *c = vctx;
    uint64_t *out = c->alias ? c->x[r] : c->out[r];
    const uint64_t *x = c->x[r];
    switch (c->kind) {
    case T_TR:
        return sirnn_tr(p, c->n, out, x, c->l, c->s);
    case T_TREXT_U:
        return sirnn_tr_ext(p, c->n, out, x, c->l, c->s, c->lout, 0);
    case T_TREXT_S:
        return sirnn_tr_ext(p, c->n, out, x, c->l, c->s, c->lout, 1);
    case T_LRS:
        return sirnn_lrs(p, c->n, out, x, c->l, c->s);
    case T_ARS:
        return sirnn_ars(p, c->n, out, x, c->l, c->s);
    case T_LRS_MSB:
        return sirnn_lrs_msb(p, c->n, out, x, c->msb[r], c->l, c->s);
    case T_ARS_MSB:
        return sirnn_ars_msb(p, c->n, out, x, c->msb[r], c->l, c->s);
    case T_DIV:
        return sirnn_divpow2(p, c->n, out, x, c->l, c->s);
    case T_DIV_MSB:
        return sirnn_divpow2_msb(p, c->n, out, x, c->msb[r], c->l, c->s);
    case T_TREXT_SIGN:
        return sirnn_tr_ext_sign(p, c->n, out, c->sign[r], x, c->l, c->s, c->lout, 1);
    default:
        return SIRNN_ERR_ARG;
    }
}

static unsigned out_width(tr_kind k, unsigned l, unsigned s, unsigned lout)
{
    if (k == T_TR)
        return l - s;
    if (k == T_TREXT_U || k == T_TREXT_S || k == T_TREXT_SIGN)
        return lout;
    return l;
}

static uint64_t ref(tr_kind k, uint64_t x, unsigned l, unsigned s, unsigned lout)
{
    switch (k) {
    case T_TR:
        return sirnn_ref_tr(x, l, s);
    case T_TREXT_U:
        return sirnn_ref_tr_ext(x, l, s, lout, 0);
    case T_TREXT_S:
    case T_TREXT_SIGN:
        return sirnn_ref_tr_ext(x, l, s, lout, 1);
    case T_LRS:
    case T_LRS_MSB:
        return sirnn_ref_lrs(x, l, s);
    case T_ARS:
    case T_ARS_MSB:
        return sirnn_ref_ars(x, l, s);
    default:
        return sirnn_ref_divpow2(x, l, s);
    }
}

static unsigned umax(unsigned a, unsigned b)
{
    return a > b ? a : b;
}

/* The wide segments of sirnn_tr_ext_sign: a power-of-two count q of
 * blocks (the largest not above ceil(v / 4)) of balanced widths. */
static unsigned wide_segment(mc_net *m, unsigned v, int need_p)
{
    unsigned q = 1;
    while (2 * q <= (v + 3) / 4)
        q *= 2;
    const unsigned L = mc_log2c(q);
    for (unsigned j = 0; j < q; j++) {
        const unsigned w = v / q + (j < v % q ? 1 : 0);
        const unsigned b = (need_p || j > 0) ? 2 : 1;
        if (w == 1)
            m->ik_leaves++;
        else
            m->kk_leaves++;
        m->leaf_msg_bits[m->nleaf++] = (w == 1 ? 2u : 1u << w) * b;
    }
    if (need_p) {
        m->pairs += q - 1;
    } else {
        m->singles += L;
        m->pairs += q - 1 - L;
    }
    return L;
}

/* sirnn_tr_ext_sign: the prefix of [0, s), [s, l - 1) and, when the wrap
 * is needed, [l - 1, l); the sign is the carry at l - 1 (no B2A). */
static uint64_t sign_model(unsigned l, unsigned s, unsigned lout, uint64_t n,
                           uint64_t *flights)
{
    mc_net m;
    memset(&m, 0, sizeof(m));
    if (l == 1 && lout == 1) {
        *flights = 0;
        return 0;
    }
    const int wneed = lout > l - s;
    unsigned d = 0, nseg = 0;
    if (s > 0) {
        d = wide_segment(&m, s, 0);
        mc_b2a(&m, lout);
        nseg++;
    }
    if (l - 1 > s) {
        const unsigned d1 = wide_segment(&m, l - 1 - s, nseg > 0);
        d = nseg > 0 ? umax(d, d1) + 1 : d1;
        m.singles += nseg > 0;
        nseg++;
    }
    if (wneed) {
        wide_segment(&m, 1, nseg > 0);
        mc_b2a(&m, lout - (l - s));
        d = nseg > 0 ? d + 1 : 0;
        m.singles += nseg > 0;
    }
    m.levels = d;
    *flights = mc_net_flights(&m);
    return mc_net_bytes(&m, n);
}

/* Bytes (and flights) of one single-chunk, single-lane call. */
static uint64_t tr_model(tr_kind k, unsigned l, unsigned s, unsigned lout, uint64_t n,
                         uint64_t *flights)
{
    if (k == T_TREXT_SIGN)
        return sign_model(l, s, lout, n, flights);
    mc_net m;
    memset(&m, 0, sizeof(m));
    const int msb = k == T_LRS_MSB || k == T_ARS_MSB || k == T_DIV_MSB;
    const int div = k == T_DIV || k == T_DIV_MSB;
    if (k == T_ARS || k == T_ARS_MSB)
        s = s == l ? l - 1 : s;
    if (k != T_TR && k != T_TREXT_U && k != T_TREXT_S)
        lout = l;
    if (k == T_TR)
        lout = l - s;
    if ((s == l) || (s == 0 && lout <= l)) {
        *flights = 0;
        return 0;
    }
    const int wneed = lout > l - s;
    unsigned LA = 0;
    if (s > 0) {
        LA = mc_segment(&m, s, 0, 0);
        mc_b2a(&m, lout);
    }
    if (wneed)
        mc_b2a(&m, lout - (l - s));
    m.levels = LA;
    if (wneed && msb) {
        m.aux = 1;
    } else if (wneed && div) {
        unsigned pre1 = LA;
        if (l - 1 > s) {
            pre1 = umax(LA, mc_segment(&m, l - 1 - s, 1, 0)) + 1;
            m.singles++;
        }
        mc_segment(&m, 1, 1, 0);
        m.singles++;
        m.levels = pre1 + 1;
        (void)pre1;
    } else if (wneed) {
        if (s > 0) {
            m.levels = umax(LA, mc_segment(&m, l - s, 1, 0)) + 1;
            m.singles++;
        } else {
            m.levels = mc_segment(&m, l, 0, 0);
        }
    }
    if (div) {
        /* msb at level pre1 (unknown) or 0 (known); z; the AND. */
        unsigned lmsb = 0;
        if (!msb)
            lmsb = l - 1 > s ? m.levels - 1 : LA;
        const unsigned lz = mc_segment(&m, s, 0, 1);
        m.singles++;
        m.levels = umax(m.levels, umax(lmsb, lz) + 1);
        mc_b2a(&m, l);
    }
    *flights = mc_net_flights(&m);
    return mc_net_bytes(&m, n);
}

static uint64_t tr_check(test_rng *rng, tr_kind k, size_t n, unsigned l, unsigned s,
                         unsigned lout, int alias, uint64_t *flights)
{
    tcase c = {.kind = k, .n = n, .l = l, .s = s, .lout = lout, .alias = alias};
    uint64_t *x = calloc(n + 1, sizeof(uint64_t));
    uint8_t *mb = calloc(n + 1, 1);
    assert_true(x != NULL && mb != NULL);
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(n + 1, sizeof(uint64_t));
        c.out[r] = calloc(n + 1, sizeof(uint64_t));
        c.msb[r] = calloc(n + 1, 1);
        c.sign[r] = calloc(n + 1, 1);
        assert_true(c.x[r] && c.out[r] && c.msb[r] && c.sign[r]);
    }
    mc_values(rng, x, n, l);
    /* Values whose low s bits are zero (exact divisions). */
    for (size_t i = 0; i < n; i += 5)
        if (s > 0 && s < 64)
            x[i] &= ~test_mask(s);
    for (size_t i = 0; i < n; i++)
        mb[i] = (uint8_t)((x[i] >> (l - 1)) & 1);
    mc_split(rng, x, c.x[0], c.x[1], n, l);
    mc_split_bits(rng, mb, c.msb[0], c.msb[1], n);
    for (size_t i = 0; i < n && l < 64; i++)
        c.x[0][i] |= test_rng_next(rng) << l; /* ignored */
    const uint64_t bytes = mc_run(tr_call, &c, flights);
    const unsigned w = out_width(k, l, s, lout);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *o0 = alias ? c.x[0] : c.out[0], *o1 = alias ? c.x[1] : c.out[1];
        assert_true(o0[i] <= test_mask(w) && o1[i] <= test_mask(w));
        const uint64_t got = (o0[i] + o1[i]) & test_mask(w), want = ref(k, x[i], l, s, lout);
        if (got != want)
            fail_msg("kind %d l %u s %u lout %u i %zu x %llx: got %llx want %llx", (int)k, l, s,
                     lout, i, (unsigned long long)x[i], (unsigned long long)got,
                     (unsigned long long)want);
        if (k == T_TREXT_SIGN && (c.sign[0][i] ^ c.sign[1][i]) != mb[i])
            fail_msg("sign l %u s %u lout %u i %zu x %llx: got %d", l, s, lout, i,
                     (unsigned long long)x[i], c.sign[0][i] ^ c.sign[1][i]);
    }
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.out[r]);
        free(c.msb[r]);
        free(c.sign[r]);
    }
    free(x);
    free(mb);
    return bytes;
}

static void check_point(test_rng *rng, tr_kind k, size_t n, unsigned l, unsigned s, unsigned lout,
                        int alias)
{
    uint64_t fl, mfl;
    const uint64_t bytes = tr_check(rng, k, n, l, s, lout, alias, &fl);
    const uint64_t want = tr_model(k, l, s, lout, n, &mfl);
    if (test_ot_pinned() && (bytes != want || fl != mfl))
        fail_msg("kind %d l %u s %u lout %u: bytes %llu (model %llu), flights %llu (model %llu)",
                 (int)k, l, s, lout, (unsigned long long)bytes, (unsigned long long)want,
                 (unsigned long long)fl, (unsigned long long)mfl);
}

static void test_trunc_params(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7a);
    static const unsigned pts[][2] = {{32, 12}, {16, 8}, {64, 63}, {64, 1}, {1, 0}, {2, 1},
                                      {32, 0},  {32, 31}, {64, 32}, {7, 3}, {40, 17}, {5, 5},
                                      {64, 64}};
    const size_t np = test_quick() ? 6 : sizeof(pts) / sizeof(pts[0]);
    const size_t n = test_quick() ? 37 : 250;
    for (size_t i = 0; i < np; i++)
        for (int k = 0; k < T_KINDS; k++) {
            const unsigned l = pts[i][0], s = pts[i][1];
            if ((k == T_TR || k == T_TREXT_U || k == T_TREXT_S || k == T_TREXT_SIGN) && s >= l)
                continue;
            const unsigned lout = l - s + (k == T_TREXT_S ? (64 - (l - s)) / 2 : 3 < 64 - (l - s) ? 3 : 0);
            check_point(&rng, (tr_kind)k, n, l, s, lout, (int)((i + (unsigned)k) % 2));
            if (k == T_TREXT_SIGN) /* without the wrap: lout = l - s */
                check_point(&rng, (tr_kind)k, n, l, s, l - s, (int)(i % 2));
        }
}

static void test_trunc_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7b);
    const size_t sizes[] = {0, 1, 3, test_quick() ? 1025 : 12001};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int k = 0; k < T_KINDS; k++) {
            uint64_t fl;
            const uint64_t b = tr_check(&rng, (tr_kind)k, sizes[i], 32, 12, 40, 0, &fl);
            if (sizes[i] == 0)
                assert_true(b == 0 && fl == 0);
        }
}

/* The header's per-element figures at one full chunk. */
static void test_trunc_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7c);
    uint64_t fl, mfl;
    struct {
        tr_kind k;
        unsigned l, s;
        uint64_t bits, flights;
    } pin[] = {{T_TR, 32, 12, 1291, 5},      {T_TR, 16, 8, 843, 4},
               {T_LRS, 32, 12, 4142, 7},     {T_ARS, 32, 12, 4142, 7},
               {T_ARS_MSB, 32, 12, 1702, 5}, {T_DIV, 32, 12, 5825, 8},
               /* FastGRNN's h (lout 32) and U2's output (lout 16) */
               {T_TREXT_SIGN, 44, 28, 5194, 7}, {T_TREXT_SIGN, 33, 17, 3987, 6}};
    const unsigned pin_lout[] = {0, 0, 0, 0, 0, 0, 32, 16};
    for (size_t i = 0; i < sizeof(pin) / sizeof(pin[0]); i++) {
        /* A chunk-sized batch: the model's chunk for this plan. */
        const size_t n = 256;
        const uint64_t b = tr_check(&rng, pin[i].k, n, pin[i].l, pin[i].s, pin_lout[i], 0, &fl);
        (void)tr_model(pin[i].k, pin[i].l, pin[i].s, 0, n, &mfl);
        if (test_ot_pinned() && (b * 8 != pin[i].bits * n || fl != pin[i].flights))
            fail_msg("kind %d (%u,%u): %.3f bits (pinned %llu), %llu flights (pinned %llu)",
                     (int)pin[i].k, pin[i].l, pin[i].s, (double)b * 8 / (double)n,
                     (unsigned long long)pin[i].bits, (unsigned long long)fl,
                     (unsigned long long)pin[i].flights);
    }
}

static void test_trunc_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7d);
    for (int k = 0; k < T_KINDS; k++) {
        uint64_t fl;
        tr_check(&rng, (tr_kind)k, test_quick() ? 301 : 4099, 24, 7, 30, k % 2, &fl);
        tr_check(&rng, (tr_kind)k, 1, 24, 7, 30, 0, &fl);
    }
    test_pair_lanes(1);
}

static void test_trunc_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0, 0}, o[2];
    uint8_t b[2] = {0, 3};
    sirnn_stats before, after;
    sirnn_party_stats(test_srv, &before);
    assert_int_equal(sirnn_tr(test_srv, 2, o, x, 16, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr(test_srv, 2, o, x, 65, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr(test_srv, 2, o, x, 0, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr_ext(test_srv, 2, o, x, 32, 12, 19, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr_ext(test_srv, 2, o, x, 32, 12, 65, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lrs(test_srv, 2, o, x, 16, 17), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ars(test_srv, 2, NULL, x, 16, 3), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ars_msb(test_srv, 2, o, x, NULL, 16, 3), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lrs_msb(test_srv, 2, o, x, b, 16, 3), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_divpow2(test_srv, 2, o, NULL, 16, 3), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_divpow2_msb(test_srv, 2, o, x, b, 16, 3), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_divpow2(test_srv, 2, o, x, 16, 17), SIRNN_ERR_ARG);
    uint8_t sg[2];
    assert_int_equal(sirnn_tr_ext_sign(NULL, 2, o, sg, x, 32, 12, 20, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr_ext_sign(test_srv, 2, o, NULL, x, 32, 12, 20, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr_ext_sign(test_srv, 2, o, sg, x, 32, 12, 19, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr_ext_sign(test_srv, 2, o, sg, x, 32, 32, 20, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_tr_ext_sign(test_srv, 2, NULL, sg, x, 32, 12, 20, 1), SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &after);
    assert_int_equal(after.bytes_sent, before.bytes_sent);
}

/* ---- sirnn_ars_faithful ---- */

typedef struct fcase {
    size_t n;
    unsigned l, s, sign;
    uint64_t *x[2], *out[2];
} fcase;

static sirnn_status fars_call(void *vctx, sirnn_party *p, int r)
{
    fcase *c = vctx;
    return sirnn_ars_faithful(p, c->n, c->out[r], c->x[r], c->l, c->s, c->sign);
}

/* Two's-complement ARS of an l-bit x by s, mod 2^l. */
static uint64_t ars_ref(uint64_t x, unsigned l, unsigned s)
{
    const uint64_t m = test_mask(l);
    const int neg = (int)((x >> (l - 1)) & 1);
    uint64_t q = (x & m) >> s;
    if (neg && s > 0)
        q |= ~(uint64_t)0 << (l - s);
    return q & m;
}

static uint64_t fars_check(test_rng *rng, size_t n, unsigned l, unsigned s, unsigned sign,
                           uint64_t *flights)
{
    fcase c = {.n = n, .l = l, .s = s, .sign = sign};
    uint64_t *x = calloc(n + 1, sizeof(uint64_t));
    assert_true(x != NULL);
    for (int r = 0; r < 2; r++) {
        c.x[r] = calloc(n + 1, sizeof(uint64_t));
        c.out[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(c.x[r] && c.out[r]);
    }
    const uint64_t half = test_mask(l - 1); /* values below 2^(l-1) */
    for (size_t i = 0; i < n; i++) {
        uint64_t v = test_rng_next(rng) & half;
        if (i % 4 == 1)
            v = 0;
        else if (i % 4 == 2)
            v = half; /* the largest magnitude */
        else if (i % 8 == 3)
            v &= test_mask(s + 2 < l ? s + 2 : l - 1); /* small values */
        x[i] = sign ? (~v & test_mask(l)) : v; /* x < 0: -1 - v */
    }
    mc_split(rng, x, c.x[0], c.x[1], n, l);
    const uint64_t bytes = mc_run(fars_call, &c, flights);
    for (size_t i = 0; i < n; i++) {
        const uint64_t got = (c.out[0][i] + c.out[1][i]) & test_mask(l);
        const uint64_t want = ars_ref(x[i], l, s);
        if (got != want && got != ((want - 1) & test_mask(l)))
            fail_msg("ars_faithful l %u s %u sign %u i %zu x %llx: got %llx want %llx or one less",
                     l, s, sign, i, (unsigned long long)x[i], (unsigned long long)got,
                     (unsigned long long)want);
    }
    for (int r = 0; r < 2; r++) {
        free(c.x[r]);
        free(c.out[r]);
    }
    free(x);
    return bytes;
}

static void test_ars_faithful(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xfa17);
    const unsigned ls[] = {2, 7, 16, 32, 63, 64};
    const size_t big = test_quick() ? 301 : 4097;
    for (size_t li = 0; li < sizeof(ls) / sizeof(ls[0]); li++) {
        const unsigned l = ls[li];
        const unsigned ss[] = {0, 1, l / 2, l - 1};
        for (unsigned si = 0; si < 4; si++)
            for (unsigned sign = 0; sign < 2; sign++) {
                const unsigned s = ss[si];
                uint64_t fl;
                const uint64_t bytes = fars_check(&rng, big, l, s, sign, &fl);
                /* s = 0 is local; else one COT per element: IKNP's 16 bytes
                 * of column per OT (rounded to 128 per lane) and the s-bit
                 * corrections, two flights */
                const uint64_t corr = test_cdiv(big * s, 8);
                if (s == 0)
                    assert_int_equal(bytes, 0);
                else /* columns: 16, 4 (ot_k = 4) bytes per OT, or one choice bit */
                    assert_pin3(bytes, 16 * test_round128(big) + corr,
                                4 * test_round128(big) + corr, test_cdiv(big, 8) + corr);
                assert_pin_equal(fl, s == 0 ? 0 : 2);
            }
    }
    /* n = 0, 1, 3 */
    uint64_t fl;
    assert_int_equal(fars_check(&rng, 0, 32, 12, 0, &fl), 0);
    assert_int_equal(fl, 0);
    fars_check(&rng, 1, 32, 12, 1, &fl);
    fars_check(&rng, 3, 32, 12, 0, &fl);
    /* bad arguments: nothing sent */
    uint64_t v[1] = {0};
    assert_int_equal(sirnn_ars_faithful(test_srv, 1, v, v, 1, 0, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ars_faithful(test_srv, 1, v, v, 32, 32, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ars_faithful(test_srv, 1, v, v, 32, 12, 2), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_ars_faithful(test_srv, 1, NULL, v, 32, 12, 0), SIRNN_ERR_ARG);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trunc_params), cmocka_unit_test(test_trunc_sizes),
        cmocka_unit_test(test_trunc_bits),   cmocka_unit_test(test_trunc_two_lanes),
        cmocka_unit_test(test_trunc_bad_args), cmocka_unit_test(test_ars_faithful),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
