/*
 * Lookup tables: sirnn_lut (one table) and sirnn_lut_cb (a table per element
 * from a callback) against sirnn_ref_lut for m = 1..8 and l = 1..64 (edge
 * entries 0 and 2^l - 1), n = 0, 1, 3 and a large odd n, aliasing, two
 * lanes, bad arguments, bytes and flights pinned, and the memory bound of a
 * 2^8 x 64-bit table over n = 2^20 (peak RSS growth independent of n).
 * sirnn_lut_multi / sirnn_lut_multi_cb likewise, table by table, over width
 * sets that fill one OT message exactly, split into several, or mix 1 and 64.
 * sirnn_lut_several (two lookups on different indices in one set of
 * flights, with wrap fields) and the product of its outputs by
 * sirnn_mult_wraps (the wraps it hands out), unsigned and signed, against
 * sirnn_ref_mult, with bytes and flights pinned.
 */
#include "tests/mixed_common.h"

#include <stdatomic.h>
#include <stdio.h>

#include "arith/arith_internal.h"
#include "kernels/cpu.h"
#include "kernels/lutrot.h"

typedef struct lcase {
    size_t n;
    unsigned m, l;
    int per_elem, alias;
    uint64_t *idx[2], *out[2];
    uint64_t *table;   /* the batch table, or the base of per-element ones */
    uint64_t salt;
} lcase;

/* Entry v of element e's table. */
static uint64_t elem_entry(const lcase *c, size_t e, size_t v)
{
    return c->table[v] ^ (e * c->salt);
}

static void fill_cb(void *ctx, size_t first, size_t count, uint64_t *tables)
{
    const lcase *c = ctx;
    const size_t N = (size_t)1 << c->m;
    for (size_t i = 0; i < count; i++)
        for (size_t v = 0; v < N; v++)
            tables[i * N + v] = elem_entry(c, first + i, v);
}

static sirnn_status lut_call(void *vctx, sirnn_party *p, int r)
{
    lcase *c = vctx;
    uint64_t *out = c->alias ? c->idx[r] : c->out[r];
    if (c->per_elem)
        return sirnn_lut_cb(p, c->n, out, c->idx[r], r == 0 ? fill_cb : NULL, c, c->m, c->l);
    return sirnn_lut(p, c->n, out, c->idx[r], r == 0 ? c->table : NULL,
                     r == 0 ? (size_t)1 << c->m : 0, c->m, c->l);
}

static uint64_t lut_check(test_rng *rng, size_t n, unsigned m, unsigned l, int per_elem, int alias,
                          uint64_t *flights)
{
    const size_t N = (size_t)1 << m;
    lcase c = {.n = n, .m = m, .l = l, .per_elem = per_elem, .alias = alias};
    uint64_t *idx = calloc(n + 1, sizeof(uint64_t));
    c.table = calloc(N, sizeof(uint64_t));
    assert_true(idx != NULL && c.table != NULL);
    c.salt = test_rng_next(rng);
    for (size_t v = 0; v < N; v++)
        c.table[v] = test_rng_next(rng);
    c.table[0] = 0;
    c.table[N - 1] = ~(uint64_t)0;
    for (int r = 0; r < 2; r++) {
        c.idx[r] = calloc(n + 1, sizeof(uint64_t));
        c.out[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(c.idx[r] && c.out[r]);
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = test_rng_next(rng) & test_mask(m);
    mc_split(rng, idx, c.idx[0], c.idx[1], n, m);
    for (size_t i = 0; i < n; i++)
        c.idx[1][i] |= test_rng_next(rng) << m; /* ignored */
    const uint64_t bytes = mc_run(lut_call, &c, flights);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *o0 = alias ? c.idx[0] : c.out[0], *o1 = alias ? c.idx[1] : c.out[1];
        assert_true(o0[i] <= test_mask(l) && o1[i] <= test_mask(l));
        const uint64_t got = (o0[i] + o1[i]) & test_mask(l);
        uint64_t want;
        if (per_elem) {
            uint64_t row[256];
            for (size_t v = 0; v < N; v++)
                row[v] = elem_entry(&c, i, v);
            want = sirnn_ref_lut(row, idx[i], m, l);
        } else {
            want = sirnn_ref_lut(c.table, idx[i], m, l);
        }
        if (got != want)
            fail_msg("m %u l %u per_elem %d i %zu: got %llx want %llx", m, l, per_elem, i,
                     (unsigned long long)got, (unsigned long long)want);
    }
    for (int r = 0; r < 2; r++) {
        free(c.idx[r]);
        free(c.out[r]);
    }
    free(idx);
    free(c.table);
    return bytes;
}

static void test_lut_params(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1a);
    const unsigned ls[] = {1, 16, 64, 13, 2};
    const size_t n = test_quick() ? 45 : 1001;
    for (unsigned m = 1; m <= 8; m++)
        for (size_t j = 0; j < (test_quick() ? 2u : 5u); j++)
            for (int pe = 0; pe < 2; pe++) {
                uint64_t fl;
                const unsigned l = ls[(j + m) % 5];
                const uint64_t bytes = lut_check(&rng, n, m, l, pe, (int)(j % 2), &fl);
                const uint64_t want = 32 * test_round128(n) + test_cdiv(n * ((uint64_t)1 << m) * l, 8);
                if (test_ot_pinned() && (bytes != want || fl != 2)) /* IKNP pins */
                    fail_msg("m %u l %u: bytes %llu (model %llu), flights %llu", m, l,
                             (unsigned long long)bytes, (unsigned long long)want,
                             (unsigned long long)fl);
                /* KK13 columns: 32 (IKNP) or 16 (SoftSpoken, KK13 k = 2) bytes per
                 * OT; silent: m bits of d per OT (its COTs' own bytes excluded) */
                const uint64_t msgs = test_cdiv(n * ((uint64_t)1 << m) * l, 8);
                assert_pin3(bytes, want, 16 * test_round128(n) + msgs,
                            test_cdiv(n * m, 8) + msgs);
            }
}

static void test_lut_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1b);
    const size_t sizes[] = {0, 1, 3, test_quick() ? 333 : 10001};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int pe = 0; pe < 2; pe++) {
            uint64_t fl;
            const uint64_t b = lut_check(&rng, sizes[i], 8, 16, pe, 0, &fl);
            if (sizes[i] == 0)
                assert_true(b == 0 && fl == 0);
        }
    /* The pinned figure: 4352 bits at m = 8, l = 16 over a whole chunk. */
    uint64_t fl;
    assert_pin3(lut_check(&rng, 4096, 8, 16, 0, 0, &fl) * 8, 4352 * 4096, 4224 * 4096,
                4104 * 4096);
}

static void test_lut_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1c);
    uint64_t fl;
    for (int pe = 0; pe < 2; pe++) {
        lut_check(&rng, test_quick() ? 257 : 5003, 6, 20, pe, pe, &fl);
        lut_check(&rng, 1, 6, 20, pe, 0, &fl);
    }
    test_pair_lanes(1);
}

/* ---------------- several tables per OT ---------------- */

typedef struct mcase {
    size_t n;
    unsigned m, ntab;
    const unsigned *widths;
    int per_elem, alias;
    uint64_t *idx[2], *out[2];
    uint64_t *tables; /* ntab * 2^m: the batch tables, or the base of per-element ones */
    uint64_t salt;
    atomic_int bad_counts; /* callbacks given a count outside 1..64 (they run on
                              lane threads, where cmocka asserts are not allowed) */
} mcase;

static uint64_t melem_entry(const mcase *c, size_t e, unsigned t, size_t v)
{
    return c->tables[((size_t)t << c->m) + v] ^ (e * c->salt * (t + 1));
}

static void mfill_cb(void *ctx, size_t first, size_t count, uint64_t *tables)
{
    mcase *c = ctx;
    const size_t N = (size_t)1 << c->m;
    if (count < 1 || count > 64) {
        atomic_fetch_add(&c->bad_counts, 1);
        return;
    }
    for (size_t i = 0; i < count; i++)
        for (unsigned t = 0; t < c->ntab; t++)
            for (size_t v = 0; v < N; v++)
                tables[(i * c->ntab + t) * N + v] = melem_entry(c, first + i, t, v);
}

static sirnn_status multi_call(void *vctx, sirnn_party *p, int r)
{
    mcase *c = vctx;
    uint64_t *out = c->alias ? c->idx[r] : c->out[r];
    if (c->per_elem)
        return sirnn_lut_multi_cb(p, c->n, out, c->idx[r], r == 0 ? mfill_cb : NULL, c, c->ntab,
                                  c->m, c->widths);
    return sirnn_lut_multi(p, c->n, out, c->idx[r], r == 0 ? c->tables : NULL,
                           r == 0 ? (size_t)c->ntab << c->m : 0, c->ntab, c->m, c->widths);
}

/* The bytes of one lane from the header's formula: groups of tables in
 * order, at most 64 bits each; windows of 262,144 elements; per window
 * 32*round128(g*k) + ceil(k*2^m*l_j/8) per group, two flights. */
static uint64_t multi_bytes_model(size_t n, unsigned m, unsigned ntab, const unsigned *widths,
                                  uint64_t *flights)
{
    unsigned gl[64], g = 0;
    for (unsigned t = 0; t < ntab; t++) {
        if (g == 0 || gl[g - 1] + widths[t] > 64)
            gl[g++] = 0;
        gl[g - 1] += widths[t];
    }
    const size_t kc = 4 * 65536; /* a lookup window, 4 SIRNN_WINDOW */
    uint64_t bytes = 0;
    *flights = 0;
    for (size_t off = 0; off < n; off += kc) {
        const size_t k = n - off < kc ? n - off : kc;
        *flights += 2; /* columns, then messages, per chunk */
        bytes += 32 * test_round128(g * k);
        for (unsigned j = 0; j < g; j++)
            bytes += test_cdiv(k * ((uint64_t)1 << m) * gl[j], 8);
    }
    return bytes;
}

static uint64_t multi_check(test_rng *rng, size_t n, unsigned m, unsigned ntab,
                            const unsigned *widths, int per_elem, int alias, uint64_t *flights)
{
    const size_t N = (size_t)1 << m;
    mcase c = {.n = n, .m = m, .ntab = ntab, .widths = widths, .per_elem = per_elem,
               .alias = alias};
    uint64_t *idx = calloc(n + 1, sizeof(uint64_t));
    c.tables = calloc(ntab * N, sizeof(uint64_t));
    assert_true(idx != NULL && c.tables != NULL);
    c.salt = test_rng_next(rng);
    for (size_t v = 0; v < ntab * N; v++)
        c.tables[v] = test_rng_next(rng);
    for (unsigned t = 0; t < ntab; t++) {
        c.tables[t * N] = 0;
        c.tables[t * N + N - 1] = ~(uint64_t)0;
    }
    for (int r = 0; r < 2; r++) {
        c.idx[r] = calloc(ntab * n + 1, sizeof(uint64_t));
        c.out[r] = calloc(ntab * n + 1, sizeof(uint64_t));
        assert_true(c.idx[r] && c.out[r]);
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = test_rng_next(rng) & test_mask(m);
    mc_split(rng, idx, c.idx[0], c.idx[1], n, m);
    for (size_t i = 0; i < n; i++)
        c.idx[1][i] |= test_rng_next(rng) << m; /* ignored */
    atomic_init(&c.bad_counts, 0);
    const uint64_t bytes = mc_run(multi_call, &c, flights);
    assert_int_equal(atomic_load(&c.bad_counts), 0);
    for (unsigned t = 0; t < ntab; t++) {
        const uint64_t wm = test_mask(widths[t]);
        uint64_t row[256];
        for (size_t v = 0; v < N; v++)
            row[v] = c.tables[t * N + v];
        for (size_t i = 0; i < n; i++) {
            const uint64_t *o0 = alias ? c.idx[0] : c.out[0], *o1 = alias ? c.idx[1] : c.out[1];
            const size_t at = t * n + i;
            assert_true(o0[at] <= wm && o1[at] <= wm);
            if (per_elem)
                for (size_t v = 0; v < N; v++)
                    row[v] = melem_entry(&c, i, t, v);
            const uint64_t got = (o0[at] + o1[at]) & wm,
                           want = sirnn_ref_lut(row, idx[i], m, widths[t]);
            if (got != want)
                fail_msg("seed %llu: m %u ntab %u table %u (width %u) per_elem %d alias %d i %zu: "
                         "got %llx want %llx",
                         (unsigned long long)test_seed(), m, ntab, t, widths[t], per_elem,
                         alias, i, (unsigned long long)got, (unsigned long long)want);
        }
    }
    for (int r = 0; r < 2; r++) {
        free(c.idx[r]);
        free(c.out[r]);
    }
    free(idx);
    free(c.tables);
    return bytes;
}

/* Width sets: one table (1, 64), one message filled exactly (64 bits), the
 * sigmoid shape (23, 9), several groups (1 | 64 | 7; 40 | 40 | 1), and a
 * narrow message (<= 16 bits: the 16-bit rotation). */
static const unsigned W1[] = {1}, W64[] = {64}, WSIG[] = {23, 9}, WFULL[] = {13, 2, 1, 16, 32},
                      WMIX[] = {1, 64, 7}, WSPLIT[] = {40, 40, 1}, WNARROW[] = {3, 1, 12},
                      WTANH[] = {23, 15, 15, 1, 1};
static const struct {
    unsigned ntab;
    const unsigned *w;
} WSETS[] = {{1, W1}, {1, W64}, {2, WSIG}, {5, WFULL}, {3, WMIX}, {3, WSPLIT}, {3, WNARROW},
             {5, WTANH}};
enum { NWSETS = sizeof WSETS / sizeof WSETS[0] };

static void test_lut_multi_params(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1e);
    const size_t n = test_quick() ? 45 : 1001;
    unsigned rw[6];
    for (unsigned m = 1; m <= 8; m++)
        for (size_t j = 0; j < NWSETS + 1; j++)
            for (int pe = 0; pe < 2; pe++) {
                if (test_quick() && (j + m + (unsigned)pe) % 3 != 0)
                    continue;
                unsigned ntab;
                const unsigned *w;
                if (j < NWSETS) {
                    ntab = WSETS[j].ntab;
                    w = WSETS[j].w;
                } else {
                    /* random widths */
                    ntab = 1 + (unsigned)(test_rng_next(&rng) % 6);
                    for (unsigned t = 0; t < ntab; t++)
                        rw[t] = 1 + (unsigned)(test_rng_next(&rng) % 64);
                    w = rw;
                }
                uint64_t fl, want_fl;
                const uint64_t bytes = multi_check(&rng, n, m, ntab, w, pe, (int)(j % 2), &fl);
                const uint64_t want = multi_bytes_model(n, m, ntab, w, &want_fl);
                if (test_ot_pinned() && (bytes != want || fl != want_fl)) /* IKNP pins */
                    fail_msg("seed %llu: m %u set %zu: bytes %llu (model %llu), flights %llu",
                             (unsigned long long)test_seed(), m, j, (unsigned long long)bytes,
                             (unsigned long long)want, (unsigned long long)fl);
            }
}

static void test_lut_multi_sizes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1f);
    const size_t sizes[] = {0, 1, 3, 255, test_quick() ? 333 : 10001};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (size_t j = 0; j < NWSETS; j++) {
            uint64_t fl, want_fl;
            const uint64_t b =
                multi_check(&rng, sizes[i], 8, WSETS[j].ntab, WSETS[j].w, (int)(j % 2), 0, &fl);
            assert_pin_equal(b, multi_bytes_model(sizes[i], 8, WSETS[j].ntab, WSETS[j].w,
                                                  &want_fl));
            assert_int_equal(fl, want_fl);
        }
    /* The sigmoid figure: one OT for 23 + 9 bits, 256 + 256 * 32 = 8448
     * bits per element over a whole chunk (two sirnn_lut calls: 8704). */
    uint64_t fl;
    assert_pin_equal(multi_check(&rng, 4096, 8, 2, WSIG, 0, 0, &fl) * 8, 8448 * 4096);
    assert_pin_equal(fl, 2);
    /* ntab = 1 costs what sirnn_lut costs. */
    assert_int_equal(multi_check(&rng, 4096, 8, 1, W64, 1, 1, &fl),
                     lut_check(&rng, 4096, 8, 64, 1, 1, &fl));
}

static void test_lut_multi_two_lanes(void **state)
{
    (void)state;
    test_pair_lanes(2);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x20);
    uint64_t fl;
    for (size_t j = 0; j < NWSETS; j++) {
        multi_check(&rng, test_quick() ? 257 : 5003, 6, WSETS[j].ntab, WSETS[j].w, (int)(j % 2),
                    (int)(j / 2 % 2), &fl);
        multi_check(&rng, 1, 7, WSETS[j].ntab, WSETS[j].w, (int)(j % 2), 0, &fl);
    }
    test_pair_lanes(1);
}

static void test_lut_multi_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0, 0}, o[4], t[512] = {0};
    const unsigned w[2] = {23, 9}, w0[2] = {23, 0}, w65[2] = {65, 1};
    sirnn_stats before, after;
    sirnn_party_stats(test_srv, &before);
    assert_int_equal(sirnn_lut_multi(NULL, 2, o, x, t, 512, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 256, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, NULL, 512, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 512, 2, 8, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 512, 2, 8, w0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 512, 2, 8, w65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 0, 0, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 512, 2, 0, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 1024, 2, 9, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, NULL, x, t, 512, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, NULL, t, 512, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_cli, 2, o, x, t, 16, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi(test_srv, 2, o, x, t, 65u * 256, 65, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi_cb(test_srv, 2, o, x, NULL, NULL, 2, 8, w), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi_cb(test_srv, 2, o, x, mfill_cb, NULL, 2, 8, w0),
                     SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_multi_cb(test_srv, 2, o, NULL, mfill_cb, NULL, 2, 8, w),
                     SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &after);
    assert_int_equal(after.bytes_sent, before.bytes_sent);
}

static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

/* 2^8 entries of 64 bits over n = 2^20: 2 GiB of messages go through the
 * sockets, but the peak RSS of the process (both parties) grows by less than
 * 64 MB beyond the caller's arrays, which are touched before measuring. */
static void test_lut_memory(void **state)
{
    (void)state;
    if (test_quick())
        skip();
    const size_t n = (size_t)1 << 20;
    lcase c = {.n = n, .m = 8, .l = 64};
    c.table = calloc(256, sizeof(uint64_t));
    assert_non_null(c.table);
    for (size_t v = 0; v < 256; v++)
        c.table[v] = v * 0x9e3779b97f4a7c15ULL;
    for (int r = 0; r < 2; r++) {
        c.idx[r] = malloc(n * sizeof(uint64_t));
        c.out[r] = malloc(n * sizeof(uint64_t));
        assert_true(c.idx[r] && c.out[r]);
        for (size_t i = 0; i < n; i++) {
            c.idx[r][i] = (i * 2654435761u + (unsigned)r) & 255;
            c.out[r][i] = 0;
        }
    }
    /* Warm the lanes' buffers with a small call first. */
    c.n = 4096;
    mc_run(lut_call, &c, NULL);
    c.n = n;
    const long before = vm_hwm_kb();
    mc_run(lut_call, &c, NULL);
    const long after = vm_hwm_kb();
    assert_true(before > 0 && after > 0);
    if (after - before > 64 * 1024)
        fail_msg("peak RSS grew by %ld kB", after - before);
    for (size_t i = 0; i < n; i += 4099) {
        const uint64_t idx = (c.idx[0][i] + c.idx[1][i]) & 255;
        assert_int_equal(c.out[0][i] + c.out[1][i], c.table[idx]);
    }
    for (int r = 0; r < 2; r++) {
        free(c.idx[r]);
        free(c.out[r]);
    }
    free(c.table);
}

static void test_lut_bad_args(void **state)
{
    (void)state;
    uint64_t x[2] = {0, 0}, o[2], t[256] = {0};
    sirnn_stats before, after;
    sirnn_party_stats(test_srv, &before);
    assert_int_equal(sirnn_lut(test_srv, 2, o, x, t, 255, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut(test_srv, 2, o, x, NULL, 256, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut(test_srv, 2, o, x, t, 512, 9, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut(test_srv, 2, o, x, t, 1, 0, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut(test_srv, 2, o, x, t, 256, 8, 65), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut(test_srv, 2, NULL, x, t, 256, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut(test_cli, 2, o, x, t, 16, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_cb(test_srv, 2, o, x, NULL, NULL, 8, 16), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_lut_cb(test_srv, 2, o, NULL, fill_cb, NULL, 8, 16), SIRNN_ERR_ARG);
    sirnn_party_stats(test_srv, &after);
    assert_int_equal(after.bytes_sent, before.bytes_sent);
}

/* Every level's rotation (kernels/cpu.h table) against the definition,
 * every m and shift. */
static void test_lut_rotate_kernel(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1d);
    uint64_t src[256], a[256], t[256];
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table k;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &k))
            continue;
        for (unsigned m = 1; m <= 8; m++)
            for (uint64_t sh = 0; sh < ((uint64_t)1 << m); sh++) {
                for (size_t v = 0; v < 256; v++)
                    src[v] = test_rng_next(&rng);
                const uint64_t r = test_rng_next(&rng), lm = test_mask(1 + (unsigned)(sh % 64));
                k.lut_rotate(a, src, t, sh, m, r, lm);
                for (size_t v = 0; v < ((size_t)1 << m); v++)
                    if (a[v] != ((src[(v + sh) % ((size_t)1 << m)] - r) & lm))
                        fail_msg("lut_rotate %s m=%u s=%llu v=%zu", k.lutrot_impl, m,
                                 (unsigned long long)sh, v);
            }
    }
}

/* The 16-bit rotations (l <= 16): portable twins against the definition,
 * every level's path (kernels/cpu.h table) against them, every m and
 * shift, the wide form also in place (dst == src). Entries carry random
 * bits above 16, which must be ignored. */
static void test_lut_rotate16_kernel(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x16);
    uint64_t src[256], a[256], b[256], c[256], d[256];
    uint16_t src16[256];
    for (unsigned m = 1; m <= 8; m++)
        for (uint64_t sh = 0; sh < ((uint64_t)1 << m); sh++) {
            const size_t N = (size_t)1 << m;
            for (size_t v = 0; v < 256; v++) {
                src[v] = test_rng_next(&rng);
                src16[v] = (uint16_t)src[v];
                a[v] = b[v] = c[v] = d[v] = 0x5a5a5a5a5a5a5a5aULL;
            }
            const unsigned l = 1 + (unsigned)((sh + m) % 16);
            const uint64_t r = test_rng_next(&rng), lm = test_mask(l);
            sirnn_lut_rotate16_portable(a, src16, sh, m, r, lm);
            sirnn_lut_rotate16w_portable(b, src, sh, m, r, lm);
            memcpy(c, src, sizeof(c));
            sirnn_lut_rotate16w_portable(c, c, sh, m, r, lm);
            for (size_t v = 0; v < N; v++) {
                const uint64_t want = (src[(v + sh) % N] - r) & lm;
                assert_int_equal(a[v], want);
                assert_int_equal(b[v], want);
                assert_int_equal(c[v], want);
            }
            for (size_t v = N; v < 256; v++)
                assert_int_equal(a[v], 0x5a5a5a5a5a5a5a5aULL); /* nothing beyond 2^m */
            for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
                sirnn_kernel_table k;
                if (!sirnn_kernels_for_isa((sirnn_isa)isa, &k))
                    continue;
                for (size_t v = 0; v < 256; v++)
                    b[v] = d[v] = 0x5a5a5a5a5a5a5a5aULL;
                k.lut_rotate16(b, src16, sh, m, r, lm);
                memcpy(c, src, sizeof(c));
                k.lut_rotate16w(c, c, sh, m, r, lm);
                k.lut_rotate16w(d, src, sh, m, r, lm);
                for (size_t v = 0; v < 256; v++)
                    if (b[v] != a[v] || d[v] != a[v] || c[v] != (v < N ? a[v] : src[v]))
                        fail_msg("lut_rotate16 %s m=%u s=%llu v=%zu", k.lutrot_impl, m,
                                 (unsigned long long)sh, v);
            }
        }
}

/* ---------------- several lookups, wrap fields, sirnn_mult_wraps ---------------- */

typedef struct scase {
    size_t n;
    unsigned mA, mB, wA, wB, wB2; /* index bits; widths of A, of B and B2 */
    int is_signed;
    uint64_t *tA, *tB;            /* party 0's tables: A, its wrap; B, wrap, B2, wrap */
    uint64_t *iA[2], *iB[2], *oA[2], *oB[2], *prod[2], *wx[2];
    uint8_t *wy[2];
    int step;                     /* 0: the lookups, 1: the product */
} scase;

static sirnn_status several_call(void *vctx, sirnn_party *p, int r)
{
    scase *c = vctx;
    if (c->step == 1)
        return sirnn_mult_wraps(p, c->n, c->prod[r], c->oA[r], c->oB[r], c->wx[r], c->wy[r],
                                c->wA, c->wB, c->wA + c->wB - (unsigned)c->is_signed,
                                c->is_signed);
    const unsigned wa[2] = {c->wA, 1}, wb[4] = {c->wB, 1, c->wB2, 1};
    const unsigned fa[2] = {SIRNN_LUT_NOWRAP, 0}, fb[4] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP, 2};
    const uint64_t hA = c->is_signed ? (uint64_t)1 << (c->wA - 1) : 0;
    const uint64_t hB = c->is_signed ? (uint64_t)1 << (c->wB - 1) : 0;
    const uint64_t oa[2] = {0, hA}, ob[4] = {0, hB, 0, (uint64_t)1 << (c->wB2 - 1)};
    const sirnn_lut_req rq[2] = {
        {.out = c->oA[r], .idx = c->iA[r], .tables = r == 0 ? c->tA : NULL, .ntab = 2,
         .m = c->mA, .widths = wa, .wrap_of = fa, .wrap_off = oa},
        {.out = c->oB[r], .idx = c->iB[r], .tables = r == 0 ? c->tB : NULL, .ntab = 4,
         .m = c->mB, .widths = wb, .wrap_of = fb, .wrap_off = ob}};
    return sirnn_lut_several(p, c->n, rq, 2);
}

static sirnn_status apart_call(void *vctx, sirnn_party *p, int r)
{
    scase *c = vctx;
    const unsigned wa[2] = {c->wA, 1}, wb[4] = {c->wB, 1, c->wB2, 1};
    const size_t NA = (size_t)1 << c->mA, NB = (size_t)1 << c->mB;
    if (c->step == 2)
        return sirnn_lut_multi(p, c->n, c->oA[r], c->iA[r], r == 0 ? c->tA : NULL,
                               r == 0 ? 2 * NA : 0, 2, c->mA, wa);
    return sirnn_lut_multi(p, c->n, c->oB[r], c->iB[r], r == 0 ? c->tB : NULL,
                           r == 0 ? 4 * NB : 0, 4, c->mB, wb);
}

/* Lanes of the pair (flights are counted on every lane's channel). */
static unsigned several_lanes = 1;

/* 1{((o0 + off) mod 2^w) + o1 >= 2^w} */
static uint64_t share_wrap(uint64_t o0, uint64_t o1, uint64_t off, unsigned w)
{
    return ((((o0 + off) & test_mask(w)) + o1) >> w) & 1;
}

static void several_check(test_rng *rng, size_t n, unsigned mA, unsigned mB, unsigned wA,
                          unsigned wB, unsigned wB2, int is_signed)
{
    const size_t NA = (size_t)1 << mA, NB = (size_t)1 << mB;
    scase c = {.n = n, .mA = mA, .mB = mB, .wA = wA, .wB = wB, .wB2 = wB2,
               .is_signed = is_signed};
    c.tA = calloc(2 * NA, sizeof(uint64_t));
    c.tB = calloc(4 * NB, sizeof(uint64_t));
    uint64_t *ia = calloc(n + 1, sizeof(uint64_t)), *ib = calloc(n + 1, sizeof(uint64_t));
    assert_true(c.tA && c.tB && ia && ib);
    for (size_t v = 0; v < NA; v++)
        c.tA[v] = test_rng_next(rng);
    c.tA[NA - 1] = ~(uint64_t)0;
    for (size_t v = 0; v < NB; v++) {
        c.tB[v] = test_rng_next(rng);
        c.tB[2 * NB + v] = test_rng_next(rng);
        c.tB[NB + v] = c.tB[3 * NB + v] = test_rng_next(rng); /* wrap tables: ignored */
    }
    for (int r = 0; r < 2; r++) {
        c.iA[r] = calloc(n + 1, 8);
        c.iB[r] = calloc(n + 1, 8);
        c.oA[r] = calloc(2 * n + 1, 8);
        c.oB[r] = calloc(4 * n + 1, 8);
        c.prod[r] = calloc(n + 1, 8);
        c.wx[r] = calloc(n + 1, 8);
        c.wy[r] = calloc(n + 1, 1);
        assert_true(c.iA[r] && c.iB[r] && c.oA[r] && c.oB[r] && c.prod[r] && c.wx[r] && c.wy[r]);
    }
    for (size_t i = 0; i < n; i++) {
        ia[i] = test_rng_next(rng) & test_mask(mA);
        ib[i] = test_rng_next(rng) & test_mask(mB);
    }
    if (n > 0) {
        ia[0] = NA - 1;
        ib[0] = 0;
    }
    mc_split(rng, ia, c.iA[0], c.iA[1], n, mA);
    mc_split(rng, ib, c.iB[0], c.iB[1], n, mB);
    uint64_t fl;
    c.step = 0;
    const uint64_t bytes = mc_run(several_call, &c, &fl);
    if (n >= several_lanes)
        assert_int_equal(fl, 2 * several_lanes);
    const uint64_t hA = is_signed ? (uint64_t)1 << (wA - 1) : 0;
    const uint64_t hB = is_signed ? (uint64_t)1 << (wB - 1) : 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t a0 = c.oA[0][i], a1 = c.oA[1][i];
        const uint64_t b0 = c.oB[0][i], b1 = c.oB[1][i];
        const uint64_t d0 = c.oB[0][2 * n + i], d1 = c.oB[1][2 * n + i];
        if (((a0 + a1) & test_mask(wA)) != (c.tA[ia[i]] & test_mask(wA)) ||
            ((b0 + b1) & test_mask(wB)) != (c.tB[ib[i]] & test_mask(wB)) ||
            ((d0 + d1) & test_mask(wB2)) != (c.tB[2 * NB + ib[i]] & test_mask(wB2)))
            fail_msg("several: element %zu: a lookup differs from its table", i);
        if ((c.oA[0][n + i] ^ c.oA[1][n + i]) != share_wrap(a0, a1, hA, wA) ||
            (c.oB[0][n + i] ^ c.oB[1][n + i]) != share_wrap(b0, b1, hB, wB) ||
            (c.oB[0][3 * n + i] ^ c.oB[1][3 * n + i]) !=
                share_wrap(d0, d1, (uint64_t)1 << (wB2 - 1), wB2))
            fail_msg("several: element %zu: a wrap field differs", i);
    }
    /* the same bytes as the two lookups on their own, which take 4 flights */
    uint64_t fa, fb;
    c.step = 2;
    const uint64_t ba = mc_run(apart_call, &c, &fa);
    c.step = 3;
    const uint64_t bb = mc_run(apart_call, &c, &fb);
    assert_int_equal(bytes, ba + bb);
    /* the product of A and B with the wraps the lookups give (run again:
     * the separate calls above wrote their wrap tables' entries there) */
    c.step = 0;
    assert_int_equal(mc_run(several_call, &c, &fl), bytes);
    for (int r = 0; r < 2; r++)
        for (size_t i = 0; i < n; i++) {
            c.wx[r][i] = c.oA[r][n + i];
            c.wy[r][i] = (uint8_t)(c.oB[r][n + i] & 1);
        }
    c.step = 1;
    mc_run(several_call, &c, &fl);
    if (n >= several_lanes)
        assert_int_equal(fl, 3 * several_lanes);
    const unsigned l = wA + wB - (unsigned)is_signed;
    for (size_t i = 0; i < n; i++) {
        const uint64_t x = (c.oA[0][i] + c.oA[1][i]) & test_mask(wA);
        const uint64_t y = (c.oB[0][i] + c.oB[1][i]) & test_mask(wB);
        const uint64_t got = (c.prod[0][i] + c.prod[1][i]) & test_mask(l);
        const uint64_t want = sirnn_ref_mult(x, y, wA, wB, l, is_signed);
        if (got != want)
            fail_msg("mult_wraps %u x %u -> %u signed %d, element %zu: got %llx want %llx", wA,
                     wB, l, is_signed, i, (unsigned long long)got, (unsigned long long)want);
    }
    for (int r = 0; r < 2; r++) {
        free(c.iA[r]);
        free(c.iB[r]);
        free(c.oA[r]);
        free(c.oB[r]);
        free(c.prod[r]);
        free(c.wx[r]);
        free(c.wy[r]);
    }
    free(ia);
    free(ib);
    free(c.tA);
    free(c.tB);
}

static void test_lut_several(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x5e);
    const size_t sizes[] = {0, 1, 3, test_quick() ? 301 : 2049};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        several_check(&rng, sizes[i], 8, 5, 12, 16, 15, 0);
        several_check(&rng, sizes[i], 8, 7, 8, 15, 31, 1);
        several_check(&rng, sizes[i], 3, 8, 21, 9, 1 + (unsigned)i, (int)(i % 2));
    }
    /* two lanes: the same results */
    test_pair_lanes(2);
    several_lanes = 2;
    several_check(&rng, test_quick() ? 777 : 2001, 8, 8, 14, 13, 20, 1);
    several_lanes = 1;
    test_pair_lanes(1);
}

static sirnn_status several_bad(void *vctx, sirnn_party *p, int r)
{
    (void)vctx;
    uint64_t idx[1] = {0}, out[4];
    uint64_t tab[4 * 2] = {0};
    /* the wrap of a later field, a 2-bit wrap, a wrap across OT groups */
    const unsigned w1[2] = {8, 1}, f1[2] = {1, SIRNN_LUT_NOWRAP};
    const unsigned w2[2] = {8, 2}, f2[2] = {SIRNN_LUT_NOWRAP, 0};
    const unsigned w3[3] = {40, 24, 1}, f3[3] = {SIRNN_LUT_NOWRAP, SIRNN_LUT_NOWRAP, 0};
    const sirnn_lut_req rq[3] = {
        {.out = out, .idx = idx, .tables = r == 0 ? tab : NULL, .ntab = 2, .m = 1,
         .widths = w1, .wrap_of = f1},
        {.out = out, .idx = idx, .tables = r == 0 ? tab : NULL, .ntab = 2, .m = 1,
         .widths = w2, .wrap_of = f2},
        {.out = out, .idx = idx, .tables = r == 0 ? tab : NULL, .ntab = 3, .m = 1,
         .widths = w3, .wrap_of = f3}};
    for (unsigned i = 0; i < 3; i++)
        if (sirnn_lut_several(p, 1, &rq[i], 1) != SIRNN_ERR_ARG)
            return SIRNN_ERR_STATE;
    if (sirnn_lut_several(p, 1, rq, 0) != SIRNN_ERR_ARG)
        return SIRNN_ERR_STATE;
    return SIRNN_OK;
}

static void test_lut_several_bad_args(void **state)
{
    (void)state;
    uint64_t fl;
    assert_int_equal(mc_run(several_bad, NULL, &fl), 0);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lut_params),    cmocka_unit_test(test_lut_sizes),
        cmocka_unit_test(test_lut_two_lanes), cmocka_unit_test(test_lut_memory),
        cmocka_unit_test(test_lut_bad_args),  cmocka_unit_test(test_lut_rotate_kernel),
        cmocka_unit_test(test_lut_rotate16_kernel), cmocka_unit_test(test_lut_multi_params),
        cmocka_unit_test(test_lut_multi_sizes), cmocka_unit_test(test_lut_multi_two_lanes),
        cmocka_unit_test(test_lut_multi_bad_args), cmocka_unit_test(test_lut_several),
        cmocka_unit_test(test_lut_several_bad_args),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
