/*
 * Silent OT (ot/silent.h, backend SIRNN_OT_SILENT): the GGM tree and its
 * puncturing against a plain recursive reference, the LPN kernel's paths
 * against the portable twin and a direct model, correct COTs through the
 * public calls (sizes 0, 1, odd, across the bootstrap/main boundary; both
 * directions; 1 and 3 lanes), exact bytes against the formula of
 * ot/silent.h, reproducibility in test mode, and the chosen / correlated OTs
 * giving exactly the messages the other backends give.
 * SIRNN_TEST_SILENT_BIG=1 adds a 3,000,000-COT run.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/ot.h"
#include "sirnn/party.h"
#include "kernels/aes.h"
#include "kernels/cpu.h"
#include "kernels/crhash.h"
#include "kernels/lpn.h"
#include "net/channel.h"
#include "ot/ext.h"
#include "ot/silent.h"

/* ---------- GGM: a plain reference ---------- */

static sirnn_block ref_child(const sirnn_aes_key g[2], sirnn_block x, unsigned sigma)
{
    sirnn_block y;
    sirnn_aes_ecb_portable(&g[sigma], &y, &x, 1);
    return sirnn_block_xor(y, x);
}

/* Leaf x of depth h: walk from the root, bit h-1 first. */
static sirnn_block ref_node(const sirnn_aes_key g[2], sirnn_block seed, unsigned depth,
                            uint32_t idx)
{
    sirnn_block v = seed;
    for (unsigned l = 0; l < depth; l++)
        v = ref_child(g, v, (idx >> (depth - 1 - l)) & 1);
    return v;
}

static void test_ggm_reference(void **state)
{
    (void)state;
    sirnn_aes_key g[2];
    assert_int_equal(sirnn_silent_ggm_keys(g), SIRNN_OK);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6767);
    const unsigned hs[] = {1, 2, 3, 5, 9};
    for (size_t hi = 0; hi < sizeof(hs) / sizeof(hs[0]); hi++) {
        const unsigned h = hs[hi];
        const size_t nl = (size_t)1 << h;
        sirnn_block *lv = calloc(nl, sizeof(sirnn_block));
        sirnn_block *pl = calloc(nl, sizeof(sirnn_block));
        sirnn_block *tmp = calloc(2 * nl, sizeof(sirnn_block));
        sirnn_block sums[2 * 13], known[13];
        assert_non_null(lv);
        assert_non_null(pl);
        assert_non_null(tmp);
        sirnn_block seed = sirnn_block_make(test_rng_next(&rng), test_rng_next(&rng));
        sirnn_silent_ggm_expand(g, seed, h, lv, sums, tmp);
        for (uint32_t x = 0; x < nl; x++)
            assert_true(sirnn_block_eq(lv[x], ref_node(g, seed, h, x)));
        for (unsigned l = 0; l < h; l++) {
            sirnn_block s[2] = {{{0, 0}}, {{0, 0}}};
            for (uint32_t p = 0; p < ((uint32_t)2 << l); p++)
                s[p & 1] = sirnn_block_xor(s[p & 1], ref_node(g, seed, l + 1, p));
            assert_true(sirnn_block_eq(sums[2 * l], s[0]));
            assert_true(sirnn_block_eq(sums[2 * l + 1], s[1]));
        }
        for (int rep = 0; rep < 4; rep++) {
            const uint32_t alpha = rep == 0 ? 0 : rep == 1 ? (uint32_t)nl - 1
                                                           : (uint32_t)test_rng_below(&rng, nl);
            for (unsigned l = 0; l < h; l++)
                known[l] = sums[2 * l + (((alpha >> (h - 1 - l)) & 1) ^ 1)];
            sirnn_silent_ggm_puncture(g, alpha, h, known, pl, tmp);
            for (uint32_t x = 0; x < nl; x++) {
                if (x == alpha)
                    assert_true(pl[x].w[0] == 0 && pl[x].w[1] == 0);
                else
                    assert_true(sirnn_block_eq(pl[x], lv[x]));
            }
        }
        free(lv);
        free(pl);
        free(tmp);
    }
    sirnn_aes_key_free(&g[0]);
    sirnn_aes_key_free(&g[1]);
}

/* ---------- LPN kernel: every path against the twin and a model ---------- */

static void test_lpn_paths(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1b2);
    const uint32_t ks[] = {1, 7, 1000, 36288};
    const size_t ns[] = {0, 1, 3, 9, 17, 100};
    for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
        const uint32_t k = ks[ki];
        sirnn_block *u = calloc(k, sizeof(sirnn_block));
        assert_non_null(u);
        test_rng_bytes(&rng, u, k * sizeof(sirnn_block));
        for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
            const size_t n = ns[ni];
            uint32_t *w = calloc(SIRNN_LPN_WORDS * n + 1, sizeof(uint32_t));
            sirnn_block *base = calloc(n + 1, sizeof(sirnn_block));
            sirnn_block *want = calloc(n + 1, sizeof(sirnn_block));
            sirnn_block *got = calloc(n + 1, sizeof(sirnn_block));
            assert_non_null(w);
            assert_non_null(base);
            assert_non_null(want);
            assert_non_null(got);
            test_rng_bytes(&rng, w, SIRNN_LPN_WORDS * n * sizeof(uint32_t));
            test_rng_bytes(&rng, base, n * sizeof(sirnn_block));
            /* The model: each row XORs u at floor(w_j * k / 2^32). */
            for (size_t i = 0; i < n; i++) {
                want[i] = base[i];
                for (unsigned j = 0; j < SIRNN_LPN_D; j++) {
                    uint64_t idx = ((uint64_t)w[SIRNN_LPN_WORDS * i + j] * k) >> 32;
                    want[i] = sirnn_block_xor(want[i], u[idx]);
                }
            }
            memcpy(got, base, n * sizeof(sirnn_block));
            sirnn_lpn_xor_portable(got, u, k, w, n);
            assert_memory_equal(got, want, n * sizeof(sirnn_block) + (n == 0));
            for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
                sirnn_kernel_table t;
                if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
                    continue;
                memcpy(got, base, n * sizeof(sirnn_block));
                t.lpn_xor(got, u, k, w, n);
                assert_memory_equal(got, want, n * sizeof(sirnn_block) + (n == 0));
            }
            free(w);
            free(base);
            free(want);
            free(got);
        }
        free(u);
    }
}

/* ---------- the engine alone, many iterations on small sets ---------- */

/* Small, insecure sets: 12 main iterations in 30,000 COTs. */
static const sirnn_silent_params toy_boot = {64u << 5, 200, 64, 5};
static const sirnn_silent_params toy_main = {48u << 6, 300, 48, 6};

typedef struct eng_side {
    sirnn_channel ch;
    sirnn_otx_sender xs;
    sirnn_otx_receiver xr;
    sirnn_silent e;
    int sender;
    const size_t *takes;
    size_t ntakes;
    sirnn_block *out;
    size_t bad;
    sirnn_status st;
} eng_side;

/* The receiver asks for the choice bits of every other take first (they
 * must be bit 0 of the rows that follow); bad counts mismatches. */
static int eng_run(void *arg)
{
    eng_side *s = arg;
    size_t off = 0;
    s->st = SIRNN_OK;
    s->bad = 0;
    for (size_t i = 0; i < s->ntakes && s->st == SIRNN_OK; i++) {
        const size_t n = s->takes[i];
        if (s->sender) {
            s->st = sirnn_silent_send_take(&s->e, &s->xs, &s->ch, s->out + off, n);
        } else {
            uint8_t *bits = i % 2 ? malloc(n + 1) : NULL;
            if (bits != NULL)
                s->st = sirnn_silent_recv_choices(&s->e, &s->xr, &s->ch, bits, n);
            if (s->st == SIRNN_OK)
                s->st = sirnn_silent_recv_take(&s->e, &s->xr, &s->ch, s->out + off, n);
            for (size_t j = 0; bits != NULL && j < n; j++)
                s->bad += bits[j] != (s->out[off + j].w[0] & 1);
            free(bits);
        }
        off += n;
    }
    return s->st != SIRNN_OK;
}

static void test_engine_iterations(void **state)
{
    (void)state;
    static eng_side a, b;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x5e);
    sirnn_block keys[256], skeys[128];
    uint8_t s[128];
    test_rng_bytes(&rng, keys, sizeof(keys));
    for (int j = 0; j < 128; j++) {
        s[j] = (uint8_t)(j == 0 ? 1 : test_rng_next(&rng) & 1);
        skeys[j] = keys[2 * j + s[j]];
    }
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    assert_int_equal(sirnn_channel_pair(&a.ch, &b.ch, 30000), SIRNN_OK);
    assert_int_equal(sirnn_otx_sender_init(&a.xs, 128, 8192, skeys, s), SIRNN_OK);
    assert_int_equal(sirnn_otx_receiver_init(&b.xr, 128, 8192, keys), SIRNN_OK);
    const sirnn_block delta = a.xs.delta[0];
    assert_true(delta.w[0] & 1);
    sirnn_block seeds[2];
    test_rng_bytes(&rng, seeds, sizeof(seeds));
    const uint64_t dom = SIRNN_TWEAK_TEST_DOMAIN;
    assert_int_equal(sirnn_silent_init_params(&a.e, 1, delta, dom, &seeds[0], &toy_boot, &toy_main),
                     SIRNN_OK);
    assert_int_equal(sirnn_silent_init_params(&b.e, 0, delta, dom, &seeds[1], &toy_boot, &toy_main),
                     SIRNN_OK);
    /* Takes of every shape: empty, single, across tiles and iterations. */
    /* Choice bits run at most one iteration ahead: at most 2,484 per take
     * where the receiver asks for them (odd positions). */
    const size_t takes[] = {0, 1, 2483, 2484, 1, 2484, 5000, 7, 0, 1000, 9999, 2484, 3025};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(takes) / sizeof(takes[0]); i++)
        total += takes[i];
    a.out = calloc(total, sizeof(sirnn_block));
    b.out = calloc(total, sizeof(sirnn_block));
    assert_non_null(a.out);
    assert_non_null(b.out);
    a.sender = 1;
    a.takes = b.takes = takes;
    a.ntakes = b.ntakes = sizeof(takes) / sizeof(takes[0]);
    if (test_run2(eng_run, &a, eng_run, &b, NULL, NULL) != 0)
        print_message("engine run: sender %d, receiver %d\n", (int)a.st, (int)b.st);
    assert_int_equal(a.st, SIRNN_OK);
    assert_int_equal(b.st, SIRNN_OK);
    assert_int_equal(b.bad, 0);
    size_t ones = 0;
    for (size_t i = 0; i < total; i++) {
        const uint64_t r = b.out[i].w[0] & 1;
        ones += r;
        assert_int_equal(a.out[i].w[0] & 1, 0);
        assert_true(b.out[i].w[0] == (a.out[i].w[0] ^ (delta.w[0] & (0 - r))));
        assert_true(b.out[i].w[1] == (a.out[i].w[1] ^ (delta.w[1] & (0 - r))));
    }
    assert_true(ones > total / 3 && ones < 2 * total / 3);
    /* No two outputs alike (a repeated iteration would show). */
    for (size_t i = 1; i < total; i++)
        assert_false(sirnn_block_eq(a.out[i], a.out[i - 1]));
    /* Refused sets. */
    sirnn_silent bad;
    const sirnn_silent_params wide = {3u << 2, 1, 3, 2};
    assert_int_equal(sirnn_silent_init_params(&bad, 1, delta, dom, &seeds[0], &wide, &toy_main),
                     SIRNN_ERR_ARG);
    const sirnn_silent_params big = {8u << 10, 3000, 8, 10}; /* reserve 3080 > 2048 */
    assert_int_equal(sirnn_silent_init_params(&bad, 1, delta, dom, &seeds[0], &toy_boot, &big),
                     SIRNN_ERR_ARG);
    sirnn_silent_free(&a.e);
    sirnn_silent_free(&b.e);
    sirnn_otx_sender_free(&a.xs);
    sirnn_otx_receiver_free(&b.xr);
    sirnn_channel_close(&a.ch);
    sirnn_channel_close(&b.ch);
    free(a.out);
    free(b.out);
}

/* ---------- the engine through the public API ---------- */

typedef struct pair {
    sirnn_party *srv, *cli;
} pair;

static void pair_open(pair *pp, unsigned threads, uint64_t seed)
{
    sirnn_config cfg = sirnn_config_default();
    cfg.ot_backend = SIRNN_OT_SILENT;
    cfg.ot_k = 4;
    cfg.threads = threads;
    cfg.test_mode = SIRNN_TEST_MODE_ON;
    cfg.test_seed = seed;
    assert_int_equal(sirnn_party_pair(&pp->srv, &pp->cli, &cfg), SIRNN_OK);
}

static void pair_close(pair *pp)
{
    sirnn_party_free(pp->srv);
    sirnn_party_free(pp->cli);
}

/* The tests through the public API run the real parameter sets: every
 * engine bootstraps 649,728 LPN rows and its first main tile, about
 * 2 x 10^9 instructions per pair of engines, which under valgrind
 * (SIRNN_TEST_QUICK) took minutes of the CI budget. Quick mode therefore
 * runs only the tests on small parameter sets (GGM reference, LPN paths,
 * the engine over many iterations: every line of ot/silent.c, including
 * bootstrap, iteration changes and the choice side); the public-API cases
 * (Δ-COT sizes, chosen OTs, 1-of-N, bytes, reproducibility) run in
 * `make test` and under `make asan`, which build the same code. */
#define SKIP_REAL_PARAMS_IF_QUICK()                                                                \
    do {                                                                                           \
        if (test_quick())                                                                          \
            skip();                                                                                \
    } while (0)


typedef struct dcot_side {
    sirnn_party *p;
    size_t n;
    int sender;
    uint8_t *m;         /* 16 n */
    uint8_t *delta;     /* 16 */
    const uint8_t *choices;
    sirnn_status st;
} dcot_side;

static int dcot_run(void *arg)
{
    dcot_side *s = arg;
    s->st = s->sender ? sirnn_cot_delta_send(s->p, s->n, s->m, s->delta)
                      : sirnn_cot_delta_recv(s->p, s->n, s->m, s->choices);
    return s->st != SIRNN_OK;
}

static uint64_t bytes_of(sirnn_party *p)
{
    sirnn_stats s;
    assert_int_equal(sirnn_party_stats(p, &s), SIRNN_OK);
    return s.bytes_sent;
}

static uint64_t flights_of(sirnn_party *p)
{
    sirnn_stats s;
    assert_int_equal(sirnn_party_stats(p, &s), SIRNN_OK);
    return s.flights;
}

/* Δ-COTs with chosen choices, sender `snd`; checks mc = m0 ^ c * Delta. */
static void run_dcot(sirnn_party *snd, sirnn_party *rcv, size_t n, uint64_t seed,
                     uint8_t *m0_out, uint8_t *mc_out)
{
    test_rng rng;
    test_rng_init(&rng, seed);
    uint8_t *m0 = malloc(16 * n + 16), *mc = malloc(16 * n + 16), *c = malloc(n + 1);
    uint8_t delta[16];
    assert_non_null(m0);
    assert_non_null(mc);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++)
        c[i] = (uint8_t)(test_rng_next(&rng) & 1);
    dcot_side a = {.p = snd, .n = n, .sender = 1, .m = m0, .delta = delta};
    dcot_side b = {.p = rcv, .n = n, .sender = 0, .m = mc, .choices = c};
    assert_int_equal(test_run2(dcot_run, &a, dcot_run, &b, NULL, NULL), 0);
    assert_true(delta[0] & 1);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 16; j++)
            bad += (mc[16 * i + j] ^ m0[16 * i + j] ^ (c[i] ? delta[j] : 0)) != 0;
    assert_int_equal(bad, 0);
    if (m0_out != NULL)
        memcpy(m0_out, m0, 16 * n);
    if (mc_out != NULL)
        memcpy(mc_out, mc, 16 * n);
    free(m0);
    free(mc);
    free(c);
}

static void test_cot_sizes(void **state)
{
    (void)state;
    SKIP_REAL_PARAMS_IF_QUICK();
    const unsigned lanes[] = {1, 3};
    const size_t sizes[] = {0, 1, 127, 43069, 50001};
    for (size_t li = 0; li < 2; li++) {
        pair pp;
        pair_open(&pp, lanes[li], test_seed());
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            const size_t n = sizes[si];
            run_dcot(pp.srv, pp.cli, n, test_seed() + si, NULL, NULL);
            run_dcot(pp.cli, pp.srv, n, test_seed() + 100 + si, NULL, NULL);
        }
        pair_close(&pp);
    }
}

static void test_cot_big(void **state)
{
    (void)state;
    const char *e = getenv("SIRNN_TEST_SILENT_BIG");
    if (e == NULL || e[0] != '1')
        skip();
    pair pp;
    pair_open(&pp, 2, test_seed());
    run_dcot(pp.srv, pp.cli, 3000000, test_seed(), NULL, NULL);
    run_dcot(pp.cli, pp.srv, 3000001, test_seed() + 1, NULL, NULL);
    pair_close(&pp);
    /* One lane, one call across the bootstrap iteration's end, a piece of
     * 2^23 (ot/iknp.c) and the first main iteration's end, then a call
     * that starts in the second main iteration. */
    pair_open(&pp, 1, test_seed());
    const uint64_t fs = flights_of(pp.srv), fc = flights_of(pp.cli);
    run_dcot(pp.srv, pp.cli, 12000001, test_seed() + 2, NULL, NULL);
    print_message("12,000,001 Δ-COTs: %llu + %llu flights\n",
                  (unsigned long long)(flights_of(pp.srv) - fs),
                  (unsigned long long)(flights_of(pp.cli) - fc));
    run_dcot(pp.srv, pp.cli, 100000, test_seed() + 3, NULL, NULL);
    pair_close(&pp);
}

/* The wire formula of ot/silent.h, for one engine on one lane after n user
 * COTs taken in calls of chunks of 8192, plus the calls' choice bits. */
static void formula(size_t n, uint64_t *snd_bytes, uint64_t *rcv_bytes)
{
    const uint64_t boot_rows = 47744, boot_user = 649728 - 606659;
    uint64_t r = boot_rows * (128 / 4) / 8; /* SoftSpoken k = 4 */
    uint64_t s = 0;
    if (n > 0) {
        r += (1269 * 9 + 7) / 8;
        s += 1269ull * (2 * 9 + 1) * 16;
    }
    if (n > boot_user) {
        const uint64_t row = 606659 + (n - boot_user) - 1; /* the last main row taken */
        uint64_t trees = (row / 131072 + 1) * 16;
        if (trees > 1295)
            trees = 1295;
        r += (1295 * 13 + 7) / 8;
        s += trees * (2 * 13 + 1) * 16;
    }
    for (size_t off = 0; off < n; off += 8192)
        r += ((n - off < 8192 ? n - off : 8192) + 7) / 8;
    *snd_bytes = s;
    *rcv_bytes = r;
}

static void test_bytes_formula(void **state)
{
    (void)state;
    SKIP_REAL_PARAMS_IF_QUICK();
    const size_t sizes[] = {1000, 1, 200000};
    for (size_t si = 0; si < 3; si++) {
        const size_t n = sizes[si];
        pair pp;
        pair_open(&pp, 1, test_seed());
        const uint64_t s0 = bytes_of(pp.srv), c0 = bytes_of(pp.cli);
        run_dcot(pp.srv, pp.cli, n, test_seed(), NULL, NULL);
        uint64_t ws, wr;
        formula(n, &ws, &wr);
        assert_int_equal(bytes_of(pp.srv) - s0, ws);
        assert_int_equal(bytes_of(pp.cli) - c0, wr);
        /* Amortised cost of the silent part alone in the main iteration. */
        if (n == 200000) {
            print_message("silent: %zu COTs, %.3f bits each (bootstrap included)\n", n,
                          8.0 * (double)(ws + wr - (n + 7) / 8 - 24) / (double)n);
            /* Flights do not grow with the tiles a call makes: 300,000
             * warm Δ-COTs take three tiles and cost one flight per party
             * (the receiver's corrections; the sender's tiles). */
            const uint64_t fs = flights_of(pp.srv), fc = flights_of(pp.cli);
            run_dcot(pp.srv, pp.cli, 300000, test_seed() + 1, NULL, NULL);
            assert_int_equal(flights_of(pp.srv) - fs, 1);
            assert_int_equal(flights_of(pp.cli) - fc, 1);
        }
        pair_close(&pp);
    }
}

static void test_reproducible(void **state)
{
    (void)state;
    SKIP_REAL_PARAMS_IF_QUICK();
    const size_t n = 3000;
    uint8_t *a0 = malloc(16 * n), *a1 = malloc(16 * n), *b0 = malloc(16 * n),
            *b1 = malloc(16 * n);
    assert_non_null(a0);
    assert_non_null(a1);
    assert_non_null(b0);
    assert_non_null(b1);
    pair pp;
    const unsigned lanes = 2;
    pair_open(&pp, lanes, 4242);
    run_dcot(pp.srv, pp.cli, n, 7, a0, a1);
    pair_close(&pp);
    pair_open(&pp, lanes, 4242);
    run_dcot(pp.srv, pp.cli, n, 7, b0, b1);
    pair_close(&pp);
    assert_memory_equal(a0, b0, 16 * n);
    assert_memory_equal(a1, b1, 16 * n);
    free(a0);
    free(a1);
    free(b0);
    free(b1);
}

/* ---------- chosen and correlated OTs on silent COTs ---------- */

typedef struct ot_side {
    sirnn_party *p;
    int sender;
    int kind; /* 0 OT_l, 1 COT_l, 2 OT128, 3 ROT, 4 pool OT_l */
    size_t n;
    unsigned l;
    const uint64_t *m0, *m1;
    uint64_t *out;
    const uint8_t *b0, *b1;
    uint8_t *o0, *o1;
    const uint8_t *c;
    sirnn_status st;
} ot_side;

static int ot_run(void *arg)
{
    ot_side *s = arg;
    switch (s->kind) {
    case 0:
        s->st = s->sender ? sirnn_ot_send(s->p, s->n, s->m0, s->m1, s->l)
                          : sirnn_ot_recv(s->p, s->n, s->out, s->c, s->l);
        break;
    case 1:
        s->st = s->sender ? sirnn_cot_send(s->p, s->n, s->out, s->m0, s->l)
                          : sirnn_cot_recv(s->p, s->n, s->out, s->c, s->l);
        break;
    case 2:
        s->st = s->sender ? sirnn_ot128_send(s->p, s->n, s->b0, s->b1)
                          : sirnn_ot128_recv(s->p, s->n, s->o0, s->c);
        break;
    case 4:
        s->st = s->sender ? sirnn_pool_ot_send(s->p, s->n, s->m0, s->m1, s->l)
                          : sirnn_pool_ot_recv(s->p, s->n, s->out, s->c, s->l);
        break;
    default:
        s->st = s->sender ? sirnn_rot_send(s->p, s->n, s->o0, s->o1)
                          : sirnn_rot_recv(s->p, s->n, s->o1 /* choices */, s->o0);
        break;
    }
    return s->st != SIRNN_OK;
}

static void test_chosen(void **state)
{
    (void)state;
    SKIP_REAL_PARAMS_IF_QUICK();
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc05e);
    pair pp;
    pair_open(&pp, 2, test_seed());
    const size_t n = 9001;
    uint64_t *m0 = malloc(8 * n), *m1 = malloc(8 * n), *out = malloc(8 * n), *x = malloc(8 * n);
    uint8_t *c = malloc(n), *b0 = malloc(16 * n), *b1 = malloc(16 * n), *o = malloc(16 * n);
    assert_non_null(m0);
    assert_non_null(m1);
    assert_non_null(out);
    assert_non_null(x);
    assert_non_null(c);
    assert_non_null(b0);
    assert_non_null(b1);
    assert_non_null(o);
    for (int dir = 0; dir < 2; dir++) {
        sirnn_party *snd = dir ? pp.cli : pp.srv, *rcv = dir ? pp.srv : pp.cli;
        const unsigned ls[] = {1, 13, 64};
        for (int li = 0; li < 3; li++) {
            const unsigned l = ls[li];
            const uint64_t mask = test_mask(l);
            for (size_t i = 0; i < n; i++) {
                m0[i] = test_rng_next(&rng);
                m1[i] = test_rng_next(&rng);
                c[i] = (uint8_t)(test_rng_next(&rng) & 1);
            }
            ot_side a = {.p = snd, .sender = 1, .kind = 0, .n = n, .l = l, .m0 = m0, .m1 = m1};
            ot_side b = {.p = rcv, .sender = 0, .kind = 0, .n = n, .l = l, .out = out, .c = c};
            assert_int_equal(test_run2(ot_run, &a, ot_run, &b, NULL, NULL), 0);
            for (size_t i = 0; i < n; i++)
                assert_true(out[i] == ((c[i] ? m1[i] : m0[i]) & mask));
            /* The random-OT pool refills from silent COTs. */
            ot_side ap = {.p = snd, .sender = 1, .kind = 4, .n = n, .l = l, .m0 = m0, .m1 = m1};
            ot_side bp = {.p = rcv, .sender = 0, .kind = 4, .n = n, .l = l, .out = out, .c = c};
            assert_int_equal(test_run2(ot_run, &ap, ot_run, &bp, NULL, NULL), 0);
            for (size_t i = 0; i < n; i++)
                assert_true(out[i] == ((c[i] ? m1[i] : m0[i]) & mask));
            ot_side a2 = {.p = snd, .sender = 1, .kind = 1, .n = n, .l = l, .m0 = m0, .out = x};
            ot_side b2 = {.p = rcv, .sender = 0, .kind = 1, .n = n, .l = l, .out = out, .c = c};
            assert_int_equal(test_run2(ot_run, &a2, ot_run, &b2, NULL, NULL), 0);
            for (size_t i = 0; i < n; i++)
                assert_true(out[i] == ((x[i] + (c[i] ? m0[i] : 0)) & mask));
        }
        test_rng_bytes(&rng, b0, 16 * n);
        test_rng_bytes(&rng, b1, 16 * n);
        ot_side a = {.p = snd, .sender = 1, .kind = 2, .n = n, .b0 = b0, .b1 = b1};
        ot_side b = {.p = rcv, .sender = 0, .kind = 2, .n = n, .o0 = o, .c = c};
        assert_int_equal(test_run2(ot_run, &a, ot_run, &b, NULL, NULL), 0);
        for (size_t i = 0; i < n; i++)
            assert_memory_equal(o + 16 * i, (c[i] ? b1 : b0) + 16 * i, 16);
        /* Random OT: the receiver's choices are the silent ones. */
        uint8_t *r0 = malloc(16 * n), *r1 = malloc(16 * n), *rc = malloc(n);
        assert_non_null(r0);
        assert_non_null(r1);
        assert_non_null(rc);
        ot_side a3 = {.p = snd, .sender = 1, .kind = 3, .n = n, .o0 = r0, .o1 = r1};
        ot_side b3 = {.p = rcv, .sender = 0, .kind = 3, .n = n, .o0 = o, .o1 = rc};
        assert_int_equal(test_run2(ot_run, &a3, ot_run, &b3, NULL, NULL), 0);
        size_t ones = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(rc[i] <= 1);
            ones += rc[i];
            assert_memory_equal(o + 16 * i, (rc[i] ? r1 : r0) + 16 * i, 16);
            assert_memory_not_equal(o + 16 * i, (rc[i] ? r0 : r1) + 16 * i, 16);
        }
        assert_true(ones > n / 3 && ones < 2 * n / 3);
        free(r0);
        free(r1);
        free(rc);
    }
    free(m0);
    free(m1);
    free(out);
    free(x);
    free(c);
    free(b0);
    free(b1);
    free(o);
    pair_close(&pp);
}

typedef struct kk_side {
    sirnn_party *p;
    int sender;
    size_t n;
    unsigned N, l;
    const uint64_t *msgs;
    uint64_t *out;
    const uint8_t *c;
    sirnn_status st;
} kk_side;

static int kk_run(void *arg)
{
    kk_side *s = arg;
    s->st = s->sender ? sirnn_kkot_send(s->p, s->n, s->msgs, s->N, s->l)
                      : sirnn_kkot_recv(s->p, s->n, s->out, s->c, s->N, s->l);
    return s->st != SIRNN_OK;
}

/* 1-of-N from log N random COTs (ot/nco.h) for every N, with one-block
 * and wide keys (N = 256, l = 8; N = 17, l = 8); the chosen message, and
 * for N = 16, l = 2 the bytes of ot/nco.h. */
static void test_one_of_n(void **state)
{
    (void)state;
    SKIP_REAL_PARAMS_IF_QUICK();
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x10f);
    pair pp;
    pair_open(&pp, 2, test_seed());
    const unsigned Ns[] = {2, 3, 16, 17, 256};
    const unsigned ls[] = {1, 64, 2, 8, 8};
    const size_t n = 4099;
    uint64_t *msgs = malloc(8 * n * 256), *out = malloc(8 * n);
    uint8_t *c = malloc(n);
    assert_non_null(msgs);
    assert_non_null(out);
    assert_non_null(c);
    for (int dir = 0; dir < 2; dir++)
        for (size_t t = 0; t < sizeof(Ns) / sizeof(Ns[0]); t++) {
            const unsigned N = Ns[t], l = ls[t];
            for (size_t i = 0; i < n * N; i++)
                msgs[i] = test_rng_next(&rng);
            for (size_t i = 0; i < n; i++)
                c[i] = (uint8_t)(i == 0 ? N - 1 : i == 1 ? 0 : test_rng_below(&rng, N));
            kk_side a = {.p = dir ? pp.cli : pp.srv, .sender = 1, .n = n, .N = N, .l = l,
                         .msgs = msgs};
            kk_side b = {.p = dir ? pp.srv : pp.cli, .sender = 0, .n = n, .N = N, .l = l,
                         .out = out, .c = c};
            assert_int_equal(test_run2(kk_run, &a, kk_run, &b, NULL, NULL), 0);
            for (size_t i = 0; i < n; i++)
                assert_true(out[i] == (msgs[i * N + c[i]] & test_mask(l)));
        }
    /* Bytes on one lane, after the engines are warm: N = 16, l = 2 sends
     * 4 choice-correction bits and 32 message bits per OT in one chunk
     * (4096 OTs), plus the silent COTs' tile (if one is made). */
    pair_close(&pp);
    pair_open(&pp, 1, test_seed());
    const size_t m = 4096;
    for (int rep = 0; rep < 2; rep++) {
        for (size_t i = 0; i < m * 16; i++)
            msgs[i] = test_rng_next(&rng);
        for (size_t i = 0; i < m; i++)
            c[i] = (uint8_t)test_rng_below(&rng, 16);
        const uint64_t s0 = bytes_of(pp.srv), c0 = bytes_of(pp.cli);
        kk_side a = {.p = pp.srv, .sender = 1, .n = m, .N = 16, .l = 2, .msgs = msgs};
        kk_side b = {.p = pp.cli, .sender = 0, .n = m, .N = 16, .l = 2, .out = out, .c = c};
        assert_int_equal(test_run2(kk_run, &a, kk_run, &b, NULL, NULL), 0);
        for (size_t i = 0; i < m; i++)
            assert_true(out[i] == (msgs[i * 16 + c[i]] & 3));
        if (rep == 1) {
            /* The first call bootstrapped the engine and built its main
             * reserve; the second takes 16,384 COTs inside one tile. */
            assert_int_equal(bytes_of(pp.cli) - c0, m * 4 / 8);
            assert_int_equal(bytes_of(pp.srv) - s0, m * 16 * 2 / 8);
        }
    }
    pair_close(&pp);
    free(msgs);
    free(out);
    free(c);
}

static void test_config(void **state)
{
    (void)state;
    sirnn_config c = sirnn_config_default();
    c.ot_backend = SIRNN_OT_SILENT;
    c.ot_k = 3;
    sirnn_party *a = NULL, *b = NULL;
    assert_int_equal(sirnn_party_pair(&a, &b, &c), SIRNN_ERR_ARG);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ggm_reference), cmocka_unit_test(test_lpn_paths),
        cmocka_unit_test(test_engine_iterations),
        cmocka_unit_test(test_cot_sizes),     cmocka_unit_test(test_bytes_formula),
        cmocka_unit_test(test_reproducible),  cmocka_unit_test(test_chosen),
        cmocka_unit_test(test_one_of_n),
        cmocka_unit_test(test_config),        cmocka_unit_test(test_cot_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
