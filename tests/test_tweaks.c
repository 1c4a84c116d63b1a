/*
 * Tweak domains (kernels/crhash.h): every (secret, tweak) pair the library
 * hashes belongs to one OT. A run with two lanes, OTs in both directions,
 * the random-OT pools, KK13 (directly and inside comparisons and lookups)
 * and a row-batched matrix product records every traced hash call and
 * checks:
 *   - 1-of-2 engines (IKNP, SoftSpoken): a tweak hashed under the sender's
 *     Delta names one OT, {q, q ^ Delta}, whoever hashes it (sender or
 *     receiver, on any lane: every lane of a party shares its Delta);
 *   - KK13 senders: a tweak names one OT's rows q;
 *   - stretched pads: a tweak covers at most the two pads of one OT;
 *   - no hash runs without a domain, and every domain names its use.
 * With the tweaks of an earlier version (every lane counting from the same
 * domain-less 0) the first check fails on the second lane.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/ot.h"
#include "kernels/crhash.h"
#include "net/party_internal.h"
#include "ot/lane.h"

typedef struct rec {
    uint64_t domain, index;
    sirnn_block x[2]; /* the hashed value (TCCR: x[0]; KK13 rows: both) */
    int call;
} rec;

typedef struct recorder {
    pthread_mutex_t mu;
    rec *r;
    size_t n, cap;
    int overflow;
} recorder;

static recorder g_rec = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0};

static void record(void *ctx, sirnn_crhash_call call, const sirnn_block *in, sirnn_tweak tw,
                   size_t n, size_t nv)
{
    (void)nv;
    recorder *rc = ctx;
    pthread_mutex_lock(&rc->mu);
    for (size_t k = 0; k < n; k++) {
        if (rc->n == rc->cap) {
            size_t cap = rc->cap ? 2 * rc->cap : 1 << 16;
            rec *r = realloc(rc->r, cap * sizeof(*r));
            if (r == NULL) {
                rc->overflow = 1;
                break;
            }
            rc->r = r;
            rc->cap = cap;
        }
        rec *e = &rc->r[rc->n++];
        e->domain = tw.domain;
        e->index = tw.index + k;
        e->call = (int)call;
        if (call == SIRNN_CRHASH_CALL_TCCR) {
            e->x[0] = in[k];
            e->x[1] = sirnn_block_make(0, 0);
        } else {
            e->x[0] = in[2 * k];
            e->x[1] = in[2 * k + 1];
        }
    }
    pthread_mutex_unlock(&rc->mu);
}

static unsigned use_of(uint64_t d)
{
    return (unsigned)(d >> 56);
}

static int block_less(sirnn_block a, sirnn_block b)
{
    return a.w[1] != b.w[1] ? a.w[1] < b.w[1] : a.w[0] < b.w[0];
}

/* Sort key: domain, index, then the canonical value. */
static int cmp_rec(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    if (a->domain != b->domain)
        return a->domain < b->domain ? -1 : 1;
    if (a->index != b->index)
        return a->index < b->index ? -1 : 1;
    for (int h = 0; h < 2; h++) {
        if (block_less(a->x[h], b->x[h]))
            return -1;
        if (block_less(b->x[h], a->x[h]))
            return 1;
    }
    return 0;
}

/* The workload, the same calls on both sides. */
enum { N_OT = 3000, N_KK = 700, N_CMP = 600, N_LUT = 500, D1 = 3, D2 = 40, D3 = 9 };

typedef struct side {
    sirnn_party *p;
    int server;
    test_rng rng;
} side;

static int run_side(void *arg)
{
    side *s = arg;
    sirnn_party *p = s->p;
    const int srv = s->server;
    uint64_t *a = calloc(N_OT, sizeof(uint64_t)), *b = calloc(N_OT, sizeof(uint64_t));
    uint64_t *c = calloc(N_OT, sizeof(uint64_t)), *tab = calloc(256, sizeof(uint64_t));
    uint64_t *kk = calloc((size_t)N_KK * 256, sizeof(uint64_t));
    uint64_t *w = calloc((size_t)D2 * D3, sizeof(uint64_t));
    uint64_t *mm = calloc((size_t)D1 * D3, sizeof(uint64_t));
    uint8_t *ch = calloc(N_OT, 1), *cmp = calloc(N_CMP, 1);
    int rc = 1;
    if (!a || !b || !c || !tab || !kk || !w || !mm || !ch || !cmp)
        goto done;
    test_rng_bytes(&s->rng, a, N_OT * sizeof(uint64_t));
    test_rng_bytes(&s->rng, kk, (size_t)N_KK * 256 * sizeof(uint64_t));
    test_rng_bytes(&s->rng, tab, 256 * sizeof(uint64_t));
    test_rng_bytes(&s->rng, w, (size_t)D2 * D3 * sizeof(uint64_t));
    for (size_t i = 0; i < N_OT; i++)
        ch[i] = (uint8_t)(a[i] & 1);
    sirnn_status st = SIRNN_OK;
    /* Both directions of every kind of OT. */
    for (int dir = 0; dir < 2 && st == SIRNN_OK; dir++) {
        const int send = dir == 0 ? srv : !srv;
        if (send) {
            if ((st = sirnn_cot_send(p, N_OT, b, a, 32)) == SIRNN_OK &&
                (st = sirnn_pool_ot_send(p, N_OT, a, b, 16)) == SIRNN_OK)
                st = sirnn_kkot_send(p, N_KK, kk, 256, 8);
        } else {
            if ((st = sirnn_cot_recv(p, N_OT, b, ch, 32)) == SIRNN_OK &&
                (st = sirnn_pool_ot_recv(p, N_OT, b, ch, 16)) == SIRNN_OK)
                st = sirnn_kkot_recv(p, N_KK, b, ch, 256, 8);
        }
    }
    /* Protocols on top: split-phase OTs both ways, KK13 leaves, a lookup
     * table, and the row-batched product with its stretched pads. */
    for (size_t i = 0; i < N_OT; i++)
        a[i] &= 0xffff;
    if (st == SIRNN_OK)
        st = sirnn_mux(p, N_OT, c, ch, a, 16);
    if (st == SIRNN_OK)
        st = sirnn_millionaire(p, N_CMP, cmp, NULL, a, 32, 4, SIRNN_CMP_LT);
    for (size_t i = 0; i < N_LUT; i++)
        a[i] &= 0xff;
    for (size_t i = 0; i < 256; i++)
        tab[i] &= 0xffff;
    if (st == SIRNN_OK)
        st = sirnn_lut(p, N_LUT, c, a, srv ? tab : NULL, 256, 8, 16);
    for (size_t i = 0; i < (size_t)D2 * D3; i++)
        w[i] &= 0xff;
    if (st == SIRNN_OK)
        st = sirnn_matmul_clear(p, D1, D2, D3, mm, a, srv ? w : NULL, 8, 8, 0, 22, 0);
    if (st != SIRNN_OK)
        print_error("%s: %s (%s)\n", srv ? "server" : "client", sirnn_strerror(st),
                    sirnn_party_last_error(p));
    rc = st != SIRNN_OK;
done:
    free(a);
    free(b);
    free(c);
    free(tab);
    free(kk);
    free(w);
    free(mm);
    free(ch);
    free(cmp);
    return rc;
}

/* x in the canonical form of its OT under Delta: min(x, x ^ Delta). */
static sirnn_block canon(sirnn_block x, sirnn_block delta)
{
    sirnn_block y = sirnn_block_xor(x, delta);
    return block_less(y, x) ? y : x;
}

static void check_run(unsigned threads)
{
    sirnn_party *srv = NULL, *cli = NULL;
    test_pair_open(threads, &srv, &cli);
    /* Each party's Delta: the same on every lane (ot/lane.h). */
    sirnn_block delta[2]; /* [1]: the server's (bit 55 = 1), [0]: the client's */
    delta[1] = sirnn_iknp_delta(&sirnn_ot_lane_get(&srv->lanes[0])->iknp_send);
    delta[0] = sirnn_iknp_delta(&sirnn_ot_lane_get(&cli->lanes[0])->iknp_send);
    for (unsigned i = 1; i < threads; i++) {
        assert_true(sirnn_block_eq(
            delta[1], sirnn_iknp_delta(&sirnn_ot_lane_get(&srv->lanes[i])->iknp_send)));
        assert_true(sirnn_block_eq(
            delta[0], sirnn_iknp_delta(&sirnn_ot_lane_get(&cli->lanes[i])->iknp_send)));
    }

    g_rec.n = 0;
    g_rec.overflow = 0;
    sirnn_crhash_set_tracer(record, &g_rec);
    side s0 = {srv, 1, {{0}}}, s1 = {cli, 0, {{0}}};
    test_rng_init(&s0.rng, test_seed() ^ 0x7e1ULL);
    test_rng_init(&s1.rng, test_seed() ^ 0x7e2ULL);
    int rc0 = -1, rc1 = -1;
    test_run2(run_side, &s0, run_side, &s1, &rc0, &rc1);
    sirnn_crhash_set_tracer(NULL, NULL);
    assert_int_equal(rc0, 0);
    assert_int_equal(rc1, 0);
    assert_false(g_rec.overflow);

    /* Canonical values: 1-of-2 pads by their sender's Delta; KK13 receiver
     * rows and everything else as hashed. */
    size_t kept = 0;
    unsigned seen[256][2] = {{0}};
    uint64_t lanes_seen = 0;
    for (size_t i = 0; i < g_rec.n; i++) {
        rec e = g_rec.r[i];
        const unsigned use = use_of(e.domain);
        const int server_sends = (int)((e.domain >> 55) & 1);
        if (e.domain == 0)
            fail_msg("a hash ran with no tweak domain (index %llu)",
                     (unsigned long long)e.index);
        if (use != SIRNN_TWEAK_OT2 && use != SIRNN_TWEAK_KK13 && use != SIRNN_TWEAK_STRETCH &&
            use != SIRNN_TWEAK_SILENT && use != SIRNN_TWEAK_NCO)
            fail_msg("unknown tweak use %u", use);
        seen[use][server_sends]++;
        lanes_seen |= (uint64_t)1 << ((e.domain >> 32) & 63);
        /* The silent engines' GGM-level OTs (SIRNN_OT_SILENT) and the keys
         * of the split-phase silent 1-of-N and of the silent triples (NCO
         * sub-indices 1 and 2, arith/otphase.h, arith/triples.h)
         * are 1-of-2 OTs on the same Delta. */
        if (use == SIRNN_TWEAK_OT2 || use == SIRNN_TWEAK_SILENT ||
            (use == SIRNN_TWEAK_NCO && (e.domain & 0xffffffffu) != 0)) {
            if (e.call != SIRNN_CRHASH_CALL_TCCR)
                fail_msg("a 1-of-2 domain in a 256-bit hash");
            e.x[0] = canon(e.x[0], delta[server_sends]);
        } else if (use == SIRNN_TWEAK_KK13) {
            if (e.call == SIRNN_CRHASH_CALL_TCCR)
                fail_msg("a KK13 domain in a 128-bit hash");
            if (e.call == SIRNN_CRHASH_CALL_TCCR256)
                continue; /* receiver: its row is q ^ (C(r) & s), checked via the sender */
        } else if (e.call != SIRNN_CRHASH_CALL_TCCR) {
            fail_msg("a stretch domain in a 256-bit hash");
        }
        g_rec.r[kept++] = e;
    }

    qsort(g_rec.r, kept, sizeof(rec), cmp_rec);
    size_t pairs = 0;
    for (size_t i = 0; i < kept;) {
        size_t j = i + 1, distinct = 1;
        while (j < kept && g_rec.r[j].domain == g_rec.r[i].domain &&
               g_rec.r[j].index == g_rec.r[i].index) {
            if (cmp_rec(&g_rec.r[j - 1], &g_rec.r[j]) != 0)
                distinct++;
            j++;
        }
        /* A stretched tweak covers the sender's two pads of its OT. */
        const size_t allowed = use_of(g_rec.r[i].domain) == SIRNN_TWEAK_STRETCH ? 2 : 1;
        if (distinct > allowed)
            fail_msg("tweak %016llx:%llu hashed for %zu different values (at most %zu)",
                     (unsigned long long)g_rec.r[i].domain,
                     (unsigned long long)g_rec.r[i].index, distinct, allowed);
        pairs++;
        i = j;
    }
    assert_true(pairs > 4 * (size_t)N_OT);
    /* The run covered every use, both senders and every lane. */
    assert_true(seen[SIRNN_TWEAK_OT2][0] > 0 && seen[SIRNN_TWEAK_OT2][1] > 0);
    /* on the silent backend every 1-of-N comes from silent COTs (ot/nco.h) */
    const unsigned one_of_n =
        test_ot_backend() == SIRNN_OT_SILENT ? SIRNN_TWEAK_NCO : SIRNN_TWEAK_KK13;
    assert_true(seen[one_of_n][0] > 0 && seen[one_of_n][1] > 0);
    assert_true(seen[SIRNN_TWEAK_STRETCH][1] > 0);
    assert_int_equal(lanes_seen, ((uint64_t)1 << threads) - 1);

    test_pair_close(&srv, &cli);
}

static void test_no_tweak_repeats_one_lane(void **state)
{
    (void)state;
    check_run(1);
}

static void test_no_tweak_repeats_two_lanes(void **state)
{
    (void)state;
    check_run(2);
}

/* The domain layout itself: fields land where kernels/crhash.h says. */
static void test_domain_layout(void **state)
{
    (void)state;
    const uint64_t d = sirnn_tweak_domain(SIRNN_TWEAK_KK13, 1, 5, 7);
    assert_true(d == ((uint64_t)2 << 56 | (uint64_t)1 << 55 | (uint64_t)5 << 32 | 7));
    assert_true(sirnn_tweak_domain(SIRNN_TWEAK_OT2, 0, 0, 0) != sirnn_tweak_domain(SIRNN_TWEAK_OT2, 1, 0, 0));
    assert_true(sirnn_tweak_domain(SIRNN_TWEAK_OT2, 0, 1, 0) != sirnn_tweak_domain(SIRNN_TWEAK_OT2, 0, 0, 0));
    const uint64_t r = sirnn_tweak_retag(d, SIRNN_TWEAK_STRETCH, 9);
    assert_true(r == ((uint64_t)3 << 56 | (uint64_t)1 << 55 | (uint64_t)5 << 32 | 9));
}

int main(void)
{
    (void)test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_layout),
        cmocka_unit_test(test_no_tweak_repeats_one_lane),
        cmocka_unit_test(test_no_tweak_repeats_two_lanes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(g_rec.r);
    return rc;
}
