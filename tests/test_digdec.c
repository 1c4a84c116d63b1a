/*
 * Digit decomposition (sirnn_digdec) against sirnn_ref_digit, and MSNZB
 * (sirnn_msnzb) against sirnn_ref_msnzb: random and edge inputs (0, 1,
 * powers of two, 2^l - 1), every l from 1 to 64, digit sizes that do and do
 * not divide l, n = 0, 1, 3 and a large odd n over several chunks, two
 * lanes, aliasing, bad arguments, and bytes and flights pinned exactly
 * against the formulas of sirnn/arith.h. The internal sirnn_digdec_carry
 * (arith/arith_internal.h) also against the clear carry of digit 0's shares,
 * and sirnn_msnzb_code against sirnn_ref_msnzb and sirnn_msnzb's flights.
 */
#include "arith/arith_internal.h"
#include "tests/mixed_common.h"

/* ---------------- models ---------------- */

static unsigned dd_width(unsigned l, unsigned d, unsigned j)
{
    return l - j * d < d ? l - j * d : d;
}

/* The B2A width of the carry into digit j when sirnn_digdec_carry asks for
 * digit 0's carry mod 2^wc (wc = 0: sirnn_digdec). */
static unsigned dd_bwidth(unsigned l, unsigned d, unsigned j, unsigned wc)
{
    const unsigned w = dd_width(l, d, j);
    return j == 1 && wc > w ? wc : w;
}

/* Sklansky's node count over k ranges. */
static uint64_t skl_nodes(unsigned k)
{
    if (k <= 1)
        return 0;
    unsigned h = 1;
    while (2 * h < k)
        h *= 2;
    return skl_nodes(h) + skl_nodes(k - h) + (k - h);
}

/* The segment of a two-digit decomposition (sirnn_wn_lean_segment of
 * arith/ext.c): the fewest blocks of at most 8 bits (a power-of-two count,
 * balanced widths, the wider ones lowest) under a balanced tree; the node
 * rules of mc_segment. Returns its depth. */
static unsigned dd_segment(mc_net *m, unsigned v, int need_p)
{
    unsigned q = 1, L = 0;
    while (8 * q < v) {
        q *= 2;
        L++;
    }
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

/* The carry network of sirnn_digdec(l, d) (c >= 2) without its B2A
 * outputs (mc_net holds at most 16 of them; up to 63 here): *nb gets the
 * count of carries of width >= 2. */
static void dd_net(mc_net *m, unsigned l, unsigned d, unsigned wc, uint64_t *nb)
{
    const unsigned c = (l + d - 1) / d;
    memset(m, 0, sizeof(*m));
    unsigned L = c == 2 ? dd_segment(m, d, 0) : mc_segment(m, d, 0, 0);
    for (unsigned j = 1; j + 1 < c; j++)
        mc_segment(m, d, 1, 0);
    m->singles += c - 2;
    m->pairs += skl_nodes(c - 1) - (c - 2);
    m->levels = L + mc_log2c(c - 1);
    *nb = 0;
    for (unsigned j = 1; j < c; j++)
        *nb += dd_bwidth(l, d, j, wc) >= 2;
}

/* The chunk size of a carry network (arith/wnet.c: 16384 OTs a chunk). */
static uint64_t dd_chunk(const mc_net *m, uint64_t nb)
{
    const uint64_t per = m->kk_leaves + m->pairs + (m->singles + 1) / 2 + m->ik_leaves + nb;
    uint64_t ch = 16384 / per / 256 * 256;
    return ch < 256 ? 256 : ch > 4096 ? 4096 : ch;
}

/* Bytes of n elements on one lane (all its chunks); flights of one chunk
 * (consecutive chunks may merge a flight, so multi-chunk calls are checked
 * for bytes only). */
static uint64_t dd_model(unsigned l, unsigned d, unsigned wc, uint64_t n, uint64_t *flights)
{
    const unsigned c = (l + d - 1) / d;
    *flights = 0;
    if (c == 1 || n == 0)
        return 0;
    mc_net m;
    uint64_t nb;
    dd_net(&m, l, d, wc, &nb);
    const uint64_t ch = dd_chunk(&m, nb);
    uint64_t bytes = 0;
    for (uint64_t off = 0; off < n; off += ch) {
        const uint64_t k = n - off < ch ? n - off : ch;
        bytes += mc_net_bytes(&m, k);
        /* the B2A of the carries: columns and corrections */
        if (nb > 0)
            bytes += 16 * test_round128(nb * k);
        for (unsigned j = 1; j < c; j++)
            if (dd_bwidth(l, d, j, wc) >= 2)
                bytes += test_cdiv(k * (dd_bwidth(l, d, j, wc) - 1), 8);
        *flights = mc_net_flights(&m) + (nb > 0);
    }
    return bytes;
}

/* ---------------- digit decomposition ---------------- */

typedef struct dcase {
    size_t n;
    unsigned l, d, c, wc;
    int alias;
    uint64_t *x[2], *out[2], *carry[2];
} dcase;

static sirnn_status dd_call(void *vctx, sirnn_party *p, int r)
{
    dcase *c = vctx;
    if (c->wc > 0)
        return sirnn_digdec_carry(p, c->n, c->alias ? c->x[r] : c->out[r], c->carry[r], c->x[r],
                                  c->l, c->d, c->wc);
    return sirnn_digdec(p, c->n, c->alias ? c->x[r] : c->out[r], c->x[r], c->l, c->d);
}

/* Inputs: random values with 0, 1, powers of two and 2^l - 1 mixed in. */
static void edge_values(test_rng *rng, uint64_t *x, size_t n, unsigned l)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rng_next(rng);
        switch (r % 6) {
        case 0:
            x[i] = 0;
            break;
        case 1:
            x[i] = (uint64_t)1 << ((r >> 8) % l);
            break;
        case 2:
            x[i] = test_mask(l);
            break;
        case 3:
            x[i] = (r >> 8) & 1;
            break;
        default:
            x[i] = test_rng_next(rng) & test_mask(l);
            /* short values too: MSNZB sees every digit position */
            x[i] >>= (r >> 16) % l;
        }
    }
}

static uint64_t dd_check_wc(test_rng *rng, size_t n, unsigned l, unsigned d, unsigned wc,
                            int alias, uint64_t *flights)
{
    const unsigned c = (l + d - 1) / d;
    dcase cs = {.n = n, .l = l, .d = d, .c = c, .wc = wc, .alias = alias};
    uint64_t *want_carry = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(want_carry);
    uint64_t *x = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(x);
    for (int r = 0; r < 2; r++) {
        cs.x[r] = calloc(c * n + 1, sizeof(uint64_t));
        cs.out[r] = calloc(c * n + 1, sizeof(uint64_t));
        cs.carry[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(cs.x[r] != NULL && cs.out[r] != NULL && cs.carry[r] != NULL);
    }
    edge_values(rng, x, n, l);
    mc_split(rng, x, cs.x[0], cs.x[1], n, l);
    for (size_t i = 0; l < 64 && i < n; i++)
        cs.x[1][i] |= test_rng_next(rng) << l; /* ignored */
    /* the carry out of digit 0: its shares' sum reaches 2^d */
    for (size_t i = 0; wc > 0 && i < n; i++)
        want_carry[i] =
            ((cs.x[0][i] & test_mask(d)) + (cs.x[1][i] & test_mask(d))) >> d;
    const uint64_t bytes = mc_run(dd_call, &cs, flights);
    for (size_t i = 0; wc > 0 && i < n; i++) {
        assert_true(cs.carry[0][i] <= test_mask(wc) && cs.carry[1][i] <= test_mask(wc));
        const uint64_t got = (cs.carry[0][i] + cs.carry[1][i]) & test_mask(wc);
        if (got != want_carry[i])
            fail_msg("seed %llu: l %u d %u wc %u i %zu: carry %llu want %llu",
                     (unsigned long long)test_seed(), l, d, wc, i, (unsigned long long)got,
                     (unsigned long long)want_carry[i]);
    }
    for (unsigned j = 0; j < c; j++) {
        const unsigned w = dd_width(l, d, j);
        for (size_t i = 0; i < n; i++) {
            const uint64_t o0 = (alias ? cs.x[0] : cs.out[0])[j * n + i];
            const uint64_t o1 = (alias ? cs.x[1] : cs.out[1])[j * n + i];
            assert_true(o0 <= test_mask(w) && o1 <= test_mask(w));
            const uint64_t got = (o0 + o1) & test_mask(w), want = sirnn_ref_digit(x[i], l, d, j);
            if (got != want)
                fail_msg("l %u d %u digit %u i %zu x %llx: got %llx want %llx", l, d, j, i,
                         (unsigned long long)x[i], (unsigned long long)got,
                         (unsigned long long)want);
        }
    }
    for (int r = 0; r < 2; r++) {
        free(cs.x[r]);
        free(cs.out[r]);
        free(cs.carry[r]);
    }
    free(x);
    free(want_carry);
    return bytes;
}

static uint64_t dd_check(test_rng *rng, size_t n, unsigned l, unsigned d, int alias,
                         uint64_t *flights)
{
    return dd_check_wc(rng, n, l, d, 0, alias, flights);
}

static void dd_pinned_wc(test_rng *rng, size_t n, unsigned l, unsigned d, unsigned wc,
                         int alias)
{
    uint64_t fl, want_fl;
    const uint64_t bytes = dd_check_wc(rng, n, l, d, wc, alias, &fl);
    const uint64_t want = dd_model(l, d, wc, n, &want_fl);
    mc_net m;
    uint64_t nb;
    if ((l + d - 1) / d >= 2) {
        dd_net(&m, l, d, wc, &nb);
        if (n > dd_chunk(&m, nb))
            want_fl = fl; /* several chunks: bytes only */
    }
    if (test_ot_pinned() && (bytes != want || fl != want_fl)) /* IKNP pins */
        fail_msg("digdec l %u d %u wc %u n %zu: bytes %llu (model %llu), flights %llu (model "
                 "%llu)",
                 l, d, wc, n, (unsigned long long)bytes, (unsigned long long)want,
                 (unsigned long long)fl, (unsigned long long)want_fl);
}

static void dd_pinned(test_rng *rng, size_t n, unsigned l, unsigned d, int alias)
{
    dd_pinned_wc(rng, n, l, d, 0, alias);
}

/* sirnn_digdec_carry: the carry out of digit 0 at widths below, equal to and
 * above digit 1's (then its B2A widens: more bytes, and a B2A flight when
 * digit 1 has one bit), with the digits unchanged; (16, 8, 6) is sigmoid's. */
static void test_digdec_carry(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd4);
    static const unsigned cases[][3] = {{16, 8, 6},  {16, 8, 8},  {16, 8, 23}, {9, 8, 1},
                                        {9, 8, 7},   {32, 8, 64}, {64, 1, 2},  {17, 5, 1},
                                        {2, 1, 64},  {33, 16, 16}, {12, 11, 3}};
    const size_t sizes[] = {1, 3, test_quick() ? 333 : 4097};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
            dd_pinned_wc(&rng, sizes[j], cases[i][0], cases[i][1], cases[i][2], (int)((i + j) % 2));
    /* sigmoid's call costs what sirnn_digdec(16, 8) costs: 647 bits, 3 flights */
    mc_net m;
    uint64_t nb, fl;
    dd_net(&m, 16, 8, 6, &nb);
    const uint64_t ch = dd_chunk(&m, nb);
    assert_pin_equal(dd_check_wc(&rng, ch, 16, 8, 6, 0, &fl) * 8, 647 * ch);
    assert_pin_equal(fl, 3);
    /* and n = 0 sends nothing */
    assert_int_equal(dd_check_wc(&rng, 0, 16, 8, 6, 0, &fl), 0);
}

static void test_digdec_params(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd1);
    const unsigned ds[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 64};
    const size_t n = test_quick() ? 37 : 301;
    for (unsigned l = 1; l <= 64; l++)
        for (size_t t = 0; t < (test_quick() ? 1u : 2u); t++) {
            const unsigned d = ds[(l + 3 * t) % 10];
            dd_pinned(&rng, n, l, d, (int)((l + t) % 2));
        }
    /* every d at l = 64 and l = 33 */
    for (unsigned d = 1; d <= 64; d += test_quick() ? 7 : 1) {
        dd_pinned(&rng, n, 64, d, 0);
        dd_pinned(&rng, n, 33, d, 1);
    }
}

static void test_digdec_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd2);
    const size_t sizes[] = {0, 1, 3, test_quick() ? 777 : 12345};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        dd_pinned(&rng, sizes[i], 32, 8, 0);
        dd_pinned(&rng, sizes[i], 17, 5, 1);
        dd_pinned(&rng, sizes[i], 64, 1, 0);
    }
    /* The target figure: 3117 bits at (32, 8) over a whole chunk, 6 flights. */
    mc_net m;
    uint64_t nb;
    dd_net(&m, 32, 8, 0, &nb);
    const uint64_t ch = dd_chunk(&m, nb);
    uint64_t fl;
    assert_pin_equal(dd_check(&rng, ch, 32, 8, 0, &fl) * 8, 3117 * ch);
    assert_pin_equal(fl, 6);
    /* (16, 8): 647 bits, 3 flights */
    dd_net(&m, 16, 8, 0, &nb);
    const uint64_t ch16 = dd_chunk(&m, nb);
    assert_pin_equal(dd_check(&rng, ch16, 16, 8, 0, &fl) * 8, 647 * ch16);
    assert_pin_equal(fl, 3);
}

static void test_digdec_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xd3);
    const size_t n = test_quick() ? 515 : 9001;
    uint64_t fl, fm;
    const uint64_t bytes = dd_check(&rng, n, 32, 8, 1, &fl);
    /* lane 0 gets ceil(n/2), lane 1 floor(n/2); flights of the two lanes add */
    const uint64_t want = dd_model(32, 8, 0, (n + 1) / 2, &fm) + dd_model(32, 8, 0, n / 2, &fm);
    assert_pin_equal(bytes, want);
    dd_check(&rng, 1, 64, 3, 0, &fl);
    test_pair_lanes(1);
}

static void test_digdec_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0, 0}, o[8];
    sirnn_stats before, after;
    sirnn_party_stats(test_srv, &before);
    assert_int_equal(sirnn_digdec(NULL, 2, o, x, 32, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 2, o, x, 0, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 2, o, x, 65, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 2, o, x, 32, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 2, o, x, 32, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 2, NULL, x, 32, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 2, o, NULL, 32, 8), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec(test_srv, 0, NULL, NULL, 32, 8), SIRNN_OK);
    uint64_t cy[2];
    assert_int_equal(sirnn_digdec_carry(NULL, 2, o, cy, x, 16, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec_carry(test_srv, 2, o, cy, x, 16, 8, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec_carry(test_srv, 2, o, cy, x, 16, 8, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec_carry(test_srv, 2, o, cy, x, 8, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec_carry(test_srv, 2, o, cy, x, 8, 9, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_digdec_carry(test_srv, 2, NULL, cy, x, 16, 8, 6), SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &after);
    assert_int_equal(after.bytes_sent, before.bytes_sent);
}

/* ---------------- MSNZB ---------------- */

static unsigned ms_clog2(unsigned v)
{
    unsigned b = 0;
    while ((1u << b) < v)
        b++;
    return b;
}

/* The window of a lane (SIRNN_WINDOW), and sirnn_and's (16 of them). */
#define WINDOW 65536
#define AND_WINDOW (16 * WINDOW)

/* sirnn_and on n_L elements of one lane, windows of AND_WINDOW: columns, 4
 * bytes of answers per pair, 1 byte for an odd element. */
static uint64_t and_bytes(uint64_t n)
{
    uint64_t b = 0;
    for (uint64_t off = 0; off < n; off += AND_WINDOW) {
        const uint64_t k = n - off < AND_WINDOW ? n - off : AND_WINDOW;
        b += 32 * test_round128(k / 2 + k % 2) + 4 * (k / 2) + (k % 2);
    }
    return b;
}

/* The aligned Sklansky scan's AND count per level over K items. */
static unsigned scan_levels(unsigned K, uint64_t *per_level)
{
    unsigned lv = 0;
    for (unsigned span = 1; span < K; span *= 2) {
        uint64_t cnt = 0;
        for (unsigned q = 0; q < K; q++)
            cnt += (q / span) % 2 == 1;
        per_level[lv++] = cnt;
    }
    return lv;
}

/* One XOR lookup batch on one lane: T tables of 2^m[t] entries of `width`
 * bits over k elements, in windows of ke elements. */
static uint64_t xl_bytes(uint64_t k, unsigned T, const unsigned *m, unsigned width)
{
    const uint64_t ke = WINDOW;
    uint64_t b = 0;
    for (uint64_t off = 0; off < k; off += ke) {
        const uint64_t kc = k - off < ke ? k - off : ke;
        b += 32 * test_round128(kc * T);
        for (unsigned t = 0; t < T; t++)
            for (uint64_t g0 = 0; g0 < kc; g0 += 64) {
                const uint64_t g = kc - g0 < 64 ? kc - g0 : 64;
                b += test_cdiv(g * ((uint64_t)1 << m[t]) * width, 8);
            }
    }
    return b;
}

/* Windows of an XOR lookup batch of T tables over k elements. */
static uint64_t xl_chunks(uint64_t k, unsigned T)
{
    (void)T;
    return test_cdiv(k, WINDOW);
}

/* Lane i's share of a party-level call on n elements over T lanes. */
static uint64_t lane_n(uint64_t n, unsigned T, unsigned i)
{
    return n / T + (i < n % T);
}

/* Bytes of sirnn_msnzb of n <= 65,536 * T elements (one block) over T lanes;
 * each part is a party-level call split over the lanes. *flights gets the
 * flights (one lane, digdec within one chunk): the parts' flights, less
 * one when digdec's last flight is party 1's (it merges with the first
 * flight of the digit lookups, party 1's columns). */
static uint64_t ms_model(unsigned l, unsigned d, unsigned li, int want_oh, int want_ix,
                         uint64_t n, unsigned T, uint64_t *flights)
{
    *flights = 0;
    if (n == 0)
        return 0;
    if (d > l)
        d = l;
    const unsigned c = (l + d - 1) / d, bd = ms_clog2(d), mcode = bd + ms_clog2(c);
    uint64_t fl = 0, bytes = 0;
    for (unsigned i = 0; i < T; i++)
        bytes += dd_model(l, d, 0, lane_n(n, T, i), &fl);
    if (c >= 2) {
        mc_net m;
        uint64_t nb;
        dd_net(&m, l, d, 0, &nb);
        if (nb > 0 ? m.levels % 2 == 0 : m.levels % 2 == 1)
            fl -= 1;
    }
    unsigned m[64];
    for (unsigned j = 0; j < c; j++)
        m[j] = dd_width(l, d, j);
    for (unsigned i = 0; i < T; i++)
        bytes += xl_bytes(lane_n(n, T, i), c, m, bd + 1);
    fl += 2 * xl_chunks(lane_n(n, T, 0), c);
    uint64_t per[8];
    const unsigned lv = c >= 2 ? scan_levels(c - 1, per) : 0;
    for (unsigned v = 0; v < lv; v++)
        for (unsigned i = 0; i < T; i++)
            bytes += and_bytes(lane_n(per[v] * n, T, i));
    /* Each AND step's chooser is the party that sent the flight before
     * (party 0 first), so its first flight merges with that one. */
    for (unsigned v = 0; v < lv; v++)
        fl += 2 * test_cdiv(lane_n(per[v] * n, T, 0), AND_WINDOW) - 1;
    if (c >= 2) {
        for (unsigned i = 0; i < T; i++)
            bytes += and_bytes(lane_n(((uint64_t)(c - 1) * bd + 1) * n, T, i));
        fl += 2 * test_cdiv(lane_n(((uint64_t)(c - 1) * bd + 1) * n, T, 0), AND_WINDOW) - 1;
    }
    /* After an odd number of AND steps the last flight is party 1's: the
     * final lookup's columns ride in it. */
    const unsigned nand = lv + (c >= 2);
    if (mcode > 0 && nand % 2 == 1)
        fl -= 1;
    if (mcode > 0) {
        unsigned widths[2], nw = 0;
        if (want_oh && want_ix && l + li <= 64) {
            widths[nw++] = l + li;
        } else {
            if (want_oh)
                widths[nw++] = l;
            if (want_ix)
                widths[nw++] = li;
        }
        for (unsigned w = 0; w < nw; w++) {
            for (unsigned i = 0; i < T; i++)
                bytes += xl_bytes(lane_n(n, T, i), 1, &mcode, widths[w]);
            fl += 2 * xl_chunks(lane_n(n, T, 0), 1);
        }
    }
    *flights = fl;
    return bytes;
}

typedef struct mscase {
    size_t n;
    unsigned l, d, li;
    int want_oh, want_ix;
    uint64_t *x[2], *ix[2];
    uint8_t *oh[2];
} mscase;

static sirnn_status ms_call(void *vctx, sirnn_party *p, int r)
{
    mscase *c = vctx;
    return sirnn_msnzb(p, c->n, c->want_oh ? c->oh[r] : NULL, c->want_ix ? c->ix[r] : NULL,
                       c->x[r], c->l, c->d, c->li);
}

static uint64_t ms_check(test_rng *rng, size_t n, unsigned l, unsigned d, unsigned li,
                         int want_oh, int want_ix, uint64_t *flights)
{
    mscase cs = {.n = n, .l = l, .d = d, .li = li, .want_oh = want_oh, .want_ix = want_ix};
    uint64_t *x = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(x);
    for (int r = 0; r < 2; r++) {
        cs.x[r] = calloc(n + 1, sizeof(uint64_t));
        cs.ix[r] = calloc(n + 1, sizeof(uint64_t));
        cs.oh[r] = calloc(l * n + 1, 1);
        assert_true(cs.x[r] != NULL && cs.ix[r] != NULL && cs.oh[r] != NULL);
    }
    edge_values(rng, x, n, l);
    mc_split(rng, x, cs.x[0], cs.x[1], n, l);
    for (size_t i = 0; l < 64 && i < n; i++)
        cs.x[0][i] |= test_rng_next(rng) << l; /* ignored */
    const uint64_t bytes = mc_run(ms_call, &cs, flights);
    for (size_t i = 0; i < n; i++) {
        if (want_oh) {
            uint64_t got = 0;
            for (unsigned b = 0; b < l; b++) {
                const uint8_t o0 = cs.oh[0][b * n + i], o1 = cs.oh[1][b * n + i];
                assert_true(o0 <= 1 && o1 <= 1);
                got |= (uint64_t)(o0 ^ o1) << b;
            }
            const uint64_t want = sirnn_ref_msnzb_onehot(x[i], l);
            if (got != want)
                fail_msg("msnzb one-hot l %u d %u i %zu x %llx: got %llx want %llx", l, d, i,
                         (unsigned long long)x[i], (unsigned long long)got,
                         (unsigned long long)want);
        }
        if (want_ix) {
            assert_true(cs.ix[0][i] <= test_mask(li) && cs.ix[1][i] <= test_mask(li));
            const uint64_t got = (cs.ix[0][i] + cs.ix[1][i]) & test_mask(li);
            const uint64_t want = sirnn_ref_msnzb(x[i], l) & test_mask(li);
            if (got != want)
                fail_msg("msnzb index l %u d %u li %u i %zu x %llx: got %llu want %llu", l, d, li,
                         i, (unsigned long long)x[i], (unsigned long long)got,
                         (unsigned long long)want);
        }
    }
    for (int r = 0; r < 2; r++) {
        free(cs.x[r]);
        free(cs.ix[r]);
        free(cs.oh[r]);
    }
    free(x);
    return bytes;
}

static void ms_pinned(test_rng *rng, size_t n, unsigned l, unsigned d, unsigned li, int oh,
                      int ix)
{
    uint64_t fl, want_fl;
    const uint64_t bytes = ms_check(rng, n, l, d, li, oh, ix, &fl);
    const uint64_t want = ms_model(l, d, li, oh, ix, n, 1, &want_fl);
    if (n > 256)
        want_fl = fl; /* several digdec chunks may merge flights: bytes only */
    if (test_ot_pinned() && (bytes != want || fl != want_fl)) /* IKNP pins */
        fail_msg("msnzb l %u d %u li %u n %zu: bytes %llu (model %llu), flights %llu (model "
                 "%llu)",
                 l, d, li, n, (unsigned long long)bytes, (unsigned long long)want,
                 (unsigned long long)fl, (unsigned long long)want_fl);
}

static void test_msnzb_models(void **state)
{
    (void)state;
    /* the cleartext model itself, on values whose answer is known */
    for (unsigned l = 1; l <= 64; l++) {
        assert_int_equal(sirnn_ref_msnzb(0, l), 0);
        assert_int_equal(sirnn_ref_msnzb_onehot(0, l), 0);
        assert_int_equal(sirnn_ref_msnzb_onehot(1, l), 1);
        assert_int_equal(sirnn_ref_msnzb(test_mask(l), l), l - 1);
        for (unsigned b = 0; b < l; b++) {
            assert_int_equal(sirnn_ref_msnzb((uint64_t)1 << b, l), b);
            assert_int_equal(sirnn_ref_msnzb(((uint64_t)1 << b) | 1, l), b);
        }
        if (l < 64)
            assert_int_equal(sirnn_ref_msnzb((uint64_t)1 << l, l), 0);
    }
}

static void test_msnzb_params(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe1);
    const size_t n = test_quick() ? 29 : 203;
    for (unsigned l = 1; l <= 64; l++) {
        const unsigned d = 1 + (unsigned)((l * 5 + 3) % 8);
        const unsigned li = 1 + (unsigned)((l * 7) % 64);
        ms_pinned(&rng, n, l, d, li, 1, 1);
    }
    for (unsigned d = 1; d <= 8; d++) {
        ms_pinned(&rng, n, 64, d, 64 - 64 % d, 1, 1);
        ms_pinned(&rng, n, 32, d, 6, 1, 0);
        ms_pinned(&rng, n, 31, d, 32, 0, 1);
        ms_pinned(&rng, n, 7, d, 3, 1, 1);
    }
}

static void test_msnzb_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe2);
    const size_t sizes[] = {0, 1, 3, 256, test_quick() ? 1001 : 20001};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] <= 4096) {
            ms_pinned(&rng, sizes[i], 32, 8, 32, 1, 1);
            ms_pinned(&rng, sizes[i], 16, 8, 16, 1, 1);
        } else {
            uint64_t fl;
            ms_check(&rng, sizes[i], 32, 8, 32, 1, 1, &fl);
            ms_check(&rng, sizes[i], 13, 3, 40, 1, 1, &fl);
        }
    }
    /* the pinned figures over one block: (32,8) 12269 bits (li = 32) and
     * 11437 (li = 6); (16,8) 4551 (li = 16); flights 12 and 6 (IKNP; the
     * SoftSpoken and silent figures exclude the silent engines' own bytes) */
    uint64_t fl;
    assert_pin3(ms_check(&rng, 4096, 32, 8, 32, 1, 1, &fl) * 8, 12269 * 4096ull,
                9357 * 4096ull, 7484 * 4096ull);
    assert_pin3(ms_check(&rng, 4096, 32, 8, 6, 1, 1, &fl) * 8, 11437 * 4096ull,
                8525 * 4096ull, 6652 * 4096ull);
    assert_pin3(ms_check(&rng, 4096, 16, 8, 16, 1, 1, &fl) * 8, 4551 * 4096ull,
                3687 * 4096ull, 3203 * 4096ull);
    assert_int_equal(ms_check(&rng, 128, 32, 8, 32, 1, 1, &fl) > 0, 1);
    assert_pin_equal(fl, 12);
    ms_check(&rng, 128, 16, 8, 16, 1, 1, &fl);
    assert_pin_equal(fl, 6);
}

static void test_msnzb_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xe3);
    uint64_t fl, fm;
    const size_t n = test_quick() ? 301 : 5001;
    const uint64_t bytes = ms_check(&rng, n, 32, 8, 20, 1, 1, &fl);
    const uint64_t want = ms_model(32, 8, 20, 1, 1, n, 2, &fm);
    assert_pin_equal(bytes, want);
    ms_check(&rng, 1, 64, 5, 7, 1, 1, &fl);
    ms_check(&rng, test_quick() ? 1001 : 20001, 20, 4, 5, 1, 1, &fl);
    test_pair_lanes(1);
}

static void test_msnzb_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0, 0}, ix[2];
    uint8_t oh[128];
    sirnn_stats before, after;
    sirnn_party_stats(test_srv, &before);
    assert_int_equal(sirnn_msnzb(NULL, 2, oh, ix, x, 32, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, x, 0, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, x, 65, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, x, 32, 0, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, x, 32, 9, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, x, 32, 8, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, x, 32, 8, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, NULL, NULL, x, 32, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 2, oh, ix, NULL, 32, 8, 6), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb(test_srv, 0, oh, NULL, NULL, 32, 8, 6), SIRNN_OK);
    sirnn_party_stats(test_srv, &after);
    assert_int_equal(after.bytes_sent, before.bytes_sent);
}

/* sirnn_msnzb_code (arith/arith_internal.h): the public position of the
 * reconstructed code is sirnn_ref_msnzb, codes fit in mcode bits, and the
 * flights are those of one of sirnn_msnzb's blocks (index only) less its
 * final lookup's (2, or 1 when its columns ride in the last AND's answers),
 * whatever n up to a window. */
typedef struct mccase {
    size_t n;
    unsigned l, d, mcode[2];
    uint64_t *x[2], *code[2];
    uint8_t pos[2][256];
} mccase;

static sirnn_status mcode_call(void *vctx, sirnn_party *p, int r)
{
    mccase *c = vctx;
    return sirnn_msnzb_code(p, c->n, c->code[r], c->x[r], c->l, c->d, &c->mcode[r], c->pos[r]);
}

static void test_msnzb_code(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc0de);
    static const unsigned ls[][2] = {{2, 8}, {3, 8}, {9, 8}, {15, 8}, {16, 8}, {31, 8},
                                     {64, 8}, {20, 3}};
    for (size_t t = 0; t < sizeof ls / sizeof ls[0]; t++) {
        const size_t ns[3] = {1, 3, test_quick() ? 301 : 4099};
        for (int q = 0; q < 3; q++) {
            const size_t n = ns[q];
            mccase c = {.n = n, .l = ls[t][0], .d = ls[t][1]};
            uint64_t *x = calloc(n, sizeof(uint64_t));
            assert_non_null(x);
            for (int r = 0; r < 2; r++) {
                c.x[r] = calloc(n, sizeof(uint64_t));
                c.code[r] = calloc(n, sizeof(uint64_t));
                assert_true(c.x[r] != NULL && c.code[r] != NULL);
            }
            edge_values(&rng, x, n, c.l);
            mc_split(&rng, x, c.x[0], c.x[1], n, c.l);
            uint64_t fl, fm;
            mc_run(mcode_call, &c, &fl);
            assert_int_equal(c.mcode[0], c.mcode[1]);
            assert_true(c.mcode[0] <= 6);
            assert_memory_equal(c.pos[0], c.pos[1], 256);
            for (size_t i = 0; i < n; i++) {
                assert_true(c.code[0][i] < (1u << c.mcode[0]) && c.code[1][i] < (1u << c.mcode[0]));
                const unsigned got = c.pos[0][c.code[0][i] ^ c.code[1][i]];
                if (got != sirnn_ref_msnzb(x[i], c.l))
                    fail_msg("msnzb code l %u i %zu x %llx: position %u want %llu", c.l, i,
                             (unsigned long long)x[i], got,
                             (unsigned long long)sirnn_ref_msnzb(x[i], c.l));
            }
            ms_check(&rng, n, c.l, c.d, 6, 0, 1, &fm);
            /* sirnn_msnzb's final lookup adds 2 flights, 1 when its columns
             * ride in the last AND's answers (an odd number of AND steps:
             * the scan's levels and the last AND) */
            const unsigned cd = (c.l + c.d - 1) / c.d;
            unsigned nand = cd >= 2;
            for (unsigned span = 1; span + 1 < cd; span *= 2)
                nand++;
            const uint64_t last = nand % 2 == 1 ? 1 : 2;
            if (test_ot_pinned() && fl + last != fm) /* one block: n is below a window */
                fail_msg("msnzb code l %u n %zu: %llu flights, msnzb %llu", c.l, n,
                         (unsigned long long)fl, (unsigned long long)fm);
            for (int r = 0; r < 2; r++) {
                free(c.x[r]);
                free(c.code[r]);
            }
            free(x);
        }
    }
    uint64_t x1 = 0, code = 0;
    unsigned mc;
    uint8_t pos[256];
    assert_int_equal(sirnn_msnzb_code(test_srv, 1, &code, &x1, 1, 8, &mc, pos), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb_code(test_srv, 1, &code, &x1, 16, 9, &mc, pos), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_msnzb_code(test_srv, 1, NULL, &x1, 16, 8, &mc, pos), SIRNN_ERR_ARG);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digdec_params),
        cmocka_unit_test(test_digdec_sizes),
        cmocka_unit_test(test_digdec_two_lanes),
        cmocka_unit_test(test_digdec_bad_args),
        cmocka_unit_test(test_digdec_carry),
        cmocka_unit_test(test_msnzb_models),
        cmocka_unit_test(test_msnzb_params),
        cmocka_unit_test(test_msnzb_sizes),
        cmocka_unit_test(test_msnzb_two_lanes),
        cmocka_unit_test(test_msnzb_bad_args),
        cmocka_unit_test(test_msnzb_code),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
