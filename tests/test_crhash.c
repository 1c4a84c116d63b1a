/*
 * Fixed-key hashes: the fixed keys are the documented digits of pi, every
 * path matches the definitions written out here with plain AES calls, every
 * ISA path matches the portable twin (many lengths, tweaks near
 * the 2^64 wrap, in place), tweaks and inputs separate outputs, and the
 * portable path is safe from several threads at once.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kernels/aes.h"
#include "kernels/cpu.h"
#include "kernels/crhash.h"
#include "ot/kkot.h"

typedef enum hash_kind { H_CR, H_TCCR, H_TCCR256 } hash_kind;

static const char *const k_names[] = {"crhash", "tccrhash", "tccrhash256"};

static const size_t k_extra_lengths[] = {1000, 4097};

/* Input blocks per element. */
static size_t in_blocks(hash_kind h)
{
    return h == H_TCCR256 ? 2 : 1;
}

static void run_hash(const sirnn_kernel_table *t, hash_kind h, sirnn_block *out,
                     const sirnn_block *in, sirnn_tweak tweak, size_t n)
{
    switch (h) {
    case H_CR:
        t->crhash(out, in, n);
        break;
    case H_TCCR:
        t->tccrhash(out, in, tweak, n);
        break;
    case H_TCCR256:
        t->tccrhash256(out, in, tweak, n);
        break;
    }
}

static void run_portable(hash_kind h, sirnn_block *out, const sirnn_block *in, sirnn_tweak tweak,
                         size_t n)
{
    switch (h) {
    case H_CR:
        sirnn_crhash_portable(out, in, n);
        break;
    case H_TCCR:
        sirnn_tccrhash_portable(out, in, tweak, n);
        break;
    case H_TCCR256:
        sirnn_tccrhash256_portable(out, in, tweak, n);
        break;
    }
}

/* pi_id(x) with one plain ECB call on the fixed key. */
static sirnn_block perm(sirnn_crhash_key_id id, sirnn_block x)
{
    const sirnn_aes_key *k = sirnn_crhash_fixed_key(id);
    assert_non_null(k);
    sirnn_block y;
    sirnn_aes_ecb(k, &y, &x, 1);
    return y;
}

/* The definitions of kernels/crhash.h, one element at a time. */
static sirnn_block def_crhash(sirnn_block x)
{
    sirnn_block s = sirnn_block_make(x.w[1] ^ x.w[0], x.w[1]); /* (hi ^ lo || hi) */
    return sirnn_block_xor(perm(SIRNN_CRHASH_KEY_PI, s), s);
}

/* Element k's tweak block of a call with tweak tw. */
static sirnn_block tweak_at(sirnn_tweak tw, uint64_t k)
{
    return sirnn_block_make(tw.domain, tw.index + k);
}

static sirnn_tweak tweak_plus(sirnn_tweak tw, uint64_t k)
{
    return sirnn_tweak_make(tw.domain, tw.index + k);
}

static sirnn_block def_tccrhash(sirnn_block x, sirnn_block i)
{
    sirnn_block px = perm(SIRNN_CRHASH_KEY_PI, x);
    sirnn_block y = perm(SIRNN_CRHASH_KEY_PI, sirnn_block_xor(px, i));
    return sirnn_block_xor(y, px);
}

/* u = pi1(a ^ i), v = u ^ b, w = pi2(v), pi2(w ^ i) ^ w. */
static sirnn_block def_tccrhash256(sirnn_block a, sirnn_block b, sirnn_block i)
{
    sirnn_block u = perm(SIRNN_CRHASH_KEY_PI1, sirnn_block_xor(a, i));
    sirnn_block v = sirnn_block_xor(u, b);
    sirnn_block w = perm(SIRNN_CRHASH_KEY_PI2, v);
    return sirnn_block_xor(perm(SIRNN_CRHASH_KEY_PI2, sirnn_block_xor(w, i)), w);
}

static sirnn_block *alloc_blocks(size_t n)
{
    sirnn_block *p = malloc((n + 1) * sizeof(sirnn_block));
    assert_non_null(p);
    return p;
}

static sirnn_block *random_blocks(test_rng *rng, size_t n)
{
    sirnn_block *p = alloc_blocks(n);
    test_rng_bytes(rng, p, n * sizeof(sirnn_block));
    return p;
}

/* A tweak with a random domain and an index that is random, or close
 * enough to 2^64 that a run wraps (inside the low half only). */
static sirnn_tweak random_tweak(test_rng *rng)
{
    const uint64_t domain = test_rng_next(rng);
    return sirnn_tweak_make(domain, test_rng_below(rng, 2) ? test_rng_next(rng)
                                                           : UINT64_MAX - test_rng_below(rng, 40));
}

static void test_fixed_keys_are_pi_digits(void **state)
{
    (void)state;
    static const unsigned char digits[3][16] = {
        {0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70,
         0x73, 0x44},
        {0xa4, 0x09, 0x38, 0x22, 0x29, 0x9f, 0x31, 0xd0, 0x08, 0x2e, 0xfa, 0x98, 0xec, 0x4e,
         0x6c, 0x89},
        {0x45, 0x28, 0x21, 0xe6, 0x38, 0xd0, 0x13, 0x77, 0xbe, 0x54, 0x66, 0xcf, 0x34, 0xe9,
         0x0c, 0x6c},
    };
    unsigned char pt[32] = {0}, want[32], got[32];
    pt[16] = 0x80;
    for (int id = 0; id < 3; id++) {
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        assert_non_null(ctx);
        int outl = 0;
        assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, digits[id], NULL), 1);
        assert_int_equal(EVP_CIPHER_CTX_set_padding(ctx, 0), 1);
        assert_int_equal(EVP_EncryptUpdate(ctx, want, &outl, pt, 32), 1);
        EVP_CIPHER_CTX_free(ctx);
        const sirnn_aes_key *k = sirnn_crhash_fixed_key((sirnn_crhash_key_id)id);
        assert_non_null(k);
        for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
            sirnn_kernel_table t;
            if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
                continue;
            t.aes_ecb(k, got, pt, 2);
            assert_memory_equal(got, want, 32);
        }
    }
    assert_null(sirnn_crhash_fixed_key((sirnn_crhash_key_id)3));
}

/* Every path (the portable twin included) against the definitions. */
static void test_paths_match_definition(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc401ULL);
    const size_t n = 70; /* more than one internal chunk or step */
    sirnn_block *in = random_blocks(&rng, 2 * n);
    sirnn_block *out = alloc_blocks(n);
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        sirnn_tweak tweak = random_tweak(&rng);
        t.crhash(out, in, n);
        for (size_t k = 0; k < n; k++)
            if (!sirnn_block_eq(out[k], def_crhash(in[k])))
                fail_msg("isa %s: crhash element %zu differs from the definition",
                         sirnn_isa_level_name(t.isa), k);
        t.tccrhash(out, in, tweak, n);
        for (size_t k = 0; k < n; k++)
            if (!sirnn_block_eq(out[k], def_tccrhash(in[k], tweak_at(tweak, k))))
                fail_msg("isa %s: tccrhash element %zu differs from the definition",
                         sirnn_isa_level_name(t.isa), k);
        t.tccrhash256(out, in, tweak, n);
        for (size_t k = 0; k < n; k++)
            if (!sirnn_block_eq(out[k], def_tccrhash256(in[2 * k], in[2 * k + 1], tweak_at(tweak, k))))
                fail_msg("isa %s: tccrhash256 element %zu differs from the definition",
                         sirnn_isa_level_name(t.isa), k);
    }
    free(in);
    free(out);
}

/* One ISA and one hash against the portable twin at length n, out of place
 * and in place, with a guard block after the output. */
static void check_native(const sirnn_kernel_table *t, hash_kind h, test_rng *rng, size_t n)
{
    const size_t nin = in_blocks(h) * n;
    sirnn_block *in = random_blocks(rng, nin);
    sirnn_block *ref = alloc_blocks(n), *out = alloc_blocks(n), *inplace = alloc_blocks(nin);
    const sirnn_block guard = sirnn_block_make(0x6761726431ULL, 0x6761726432ULL);
    sirnn_tweak tweak = random_tweak(rng);

    run_portable(h, ref, in, tweak, n);
    out[n] = guard;
    run_hash(t, h, out, in, tweak, n);
    if (n > 0 && memcmp(out, ref, n * sizeof(sirnn_block)) != 0)
        fail_msg("isa %s (%s): %s n=%zu tweak=%llx:%llx differs from portable",
                 sirnn_isa_level_name(t->isa), t->aes_impl, k_names[h], n,
                 (unsigned long long)tweak.domain, (unsigned long long)tweak.index);
    assert_true(sirnn_block_eq(out[n], guard));

    if (nin > 0)
        memcpy(inplace, in, nin * sizeof(sirnn_block));
    inplace[nin] = guard;
    run_hash(t, h, inplace, inplace, tweak, n);
    if (n > 0 && memcmp(inplace, ref, n * sizeof(sirnn_block)) != 0)
        fail_msg("isa %s (%s): in-place %s n=%zu differs from portable",
                 sirnn_isa_level_name(t->isa), t->aes_impl, k_names[h], n);
    assert_true(sirnn_block_eq(inplace[nin], guard));
    free(in);
    free(ref);
    free(out);
    free(inplace);
}

static void test_native_matches_portable(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc402ULL);
    const size_t nextra = test_quick() ? 0 : sizeof(k_extra_lengths) / sizeof(k_extra_lengths[0]);
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        for (int h = H_CR; h <= H_TCCR256; h++) {
            for (size_t n = 0; n <= 33; n++)
                check_native(&t, (hash_kind)h, &rng, n);
            for (size_t e = 0; e < nextra; e++)
                check_native(&t, (hash_kind)h, &rng, k_extra_lengths[e]);
        }
    }
}

/* The public wrappers use the active table. */
static void test_wrappers(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc403ULL);
    const size_t n = 45;
    sirnn_block *in = random_blocks(&rng, 2 * n);
    sirnn_block *out = alloc_blocks(n), *ref = alloc_blocks(n);
    sirnn_tweak tweak = random_tweak(&rng);
    const sirnn_kernel_table *t = sirnn_kernels();
    for (int h = H_CR; h <= H_TCCR256; h++) {
        run_hash(t, (hash_kind)h, ref, in, tweak, n);
        if (h == H_CR)
            sirnn_crhash(out, in, n);
        else if (h == H_TCCR)
            sirnn_tccrhash(out, in, tweak, n);
        else
            sirnn_tccrhash256(out, in, tweak, n);
        assert_memory_equal(out, ref, n * sizeof(sirnn_block));
    }
    free(in);
    free(out);
    free(ref);
}

/* Element k of a call hashes with tweak + k: a call starting at tweak + 5
 * reproduces elements 5.. of a call starting at tweak. Different tweaks,
 * inputs and halves give different outputs. */
static void test_tweaks_and_inputs_separate(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc404ULL);
    const size_t n = 40;
    sirnn_block *in = random_blocks(&rng, 2 * n);
    sirnn_block *a = alloc_blocks(n), *b = alloc_blocks(n);
    sirnn_tweak tweak = random_tweak(&rng);
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        for (int h = H_TCCR; h <= H_TCCR256; h++) {
            size_t w = in_blocks((hash_kind)h);
            run_hash(&t, (hash_kind)h, a, in, tweak, n);
            run_hash(&t, (hash_kind)h, b, in + 5 * w, tweak_plus(tweak, 5), n - 5);
            assert_memory_equal(b, a + 5, (n - 5) * sizeof(sirnn_block));

            /* Same inputs, every element under another tweak. */
            run_hash(&t, (hash_kind)h, b, in, tweak_plus(tweak, n), n);
            for (size_t k = 0; k < n; k++)
                assert_false(sirnn_block_eq(a[k], b[k]));
            /* Same indices in another domain. */
            run_hash(&t, (hash_kind)h, b, in, sirnn_tweak_make(tweak.domain ^ 1, tweak.index), n);
            for (size_t k = 0; k < n; k++)
                assert_false(sirnn_block_eq(a[k], b[k]));
        }
        /* The same input repeated: tweaks alone separate the outputs. */
        sirnn_block same128[8], same256[2 * 8];
        for (size_t k = 0; k < 8; k++) {
            same128[k] = in[0];
            same256[2 * k] = in[0];
            same256[2 * k + 1] = in[1];
        }
        t.tccrhash(a, same128, tweak, 8);
        t.tccrhash256(b, same256, tweak, 8);
        for (size_t k = 1; k < 8; k++) {
            assert_false(sirnn_block_eq(a[0], a[k]));
            assert_false(sirnn_block_eq(b[0], b[k]));
        }
        /* A one-bit change in either half of a 256-bit input changes it. */
        sirnn_block pair[2] = {in[0], in[1]}, h0, h1, h2;
        t.tccrhash256(&h0, pair, tweak, 1);
        pair[0].w[0] ^= 1;
        t.tccrhash256(&h1, pair, tweak, 1);
        pair[0].w[0] ^= 1;
        pair[1].w[1] ^= (uint64_t)1 << 63;
        t.tccrhash256(&h2, pair, tweak, 1);
        assert_false(sirnn_block_eq(h0, h1));
        assert_false(sirnn_block_eq(h0, h2));
        assert_false(sirnn_block_eq(h1, h2));
        /* crhash is not the identity or plain AES. */
        t.crhash(&h0, &in[0], 1);
        assert_false(sirnn_block_eq(h0, in[0]));
        assert_false(sirnn_block_eq(h0, perm(SIRNN_CRHASH_KEY_PI, in[0])));
    }
    free(in);
    free(a);
    free(b);
}

/* tccrhash256_many: every path (the portable twin included) against the
 * definition, element by element, over n and nv around the step sizes and
 * the 128 split, with buffers off 64-byte alignment and a guard after out. */
static void test_many_matches_definition(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc406ULL);
    static const size_t nvs[] = {1, 2, 3, 4, 5, 8, 16, 31, 32, 36, 100, 127, 128,
                                 129, 130, 131, 132, 160, 200, 255, 256};
    static const size_t ns[] = {0, 1, 2, 3, 7, 9};
    const size_t nmax = 9;
    /* One block in front of each buffer puts the data 16 bytes off alignment. */
    sirnn_block *in = random_blocks(&rng, 2 * nmax + 1);
    sirnn_block *oa = random_blocks(&rng, 128 + 1), *ob = random_blocks(&rng, 256 + 1);
    uint64_t *ref = malloc(nmax * 256 * sizeof(uint64_t));
    uint64_t *out = malloc((nmax * 256 + 2) * sizeof(uint64_t));
    assert_non_null(ref);
    assert_non_null(out);
    const uint64_t guard = 0x6775617264ULL;
    for (size_t ni = 0; ni < sizeof(nvs) / sizeof(nvs[0]); ni++) {
        const size_t nv = nvs[ni];
        for (size_t si = 0; si < sizeof(ns) / sizeof(ns[0]); si++) {
            const size_t n = ns[si];
            const sirnn_tweak tweak = random_tweak(&rng);
            test_rng_bytes(&rng, in, (2 * nmax + 1) * sizeof(sirnn_block));
            for (size_t k = 0; k < n; k++)
                for (size_t v = 0; v < nv; v++)
                    ref[k * nv + v] =
                        def_tccrhash256(sirnn_block_xor(in[1 + 2 * k], oa[1 + v % 128]),
                                        sirnn_block_xor(in[2 + 2 * k], ob[1 + v]),
                                        tweak_at(tweak, k))
                            .w[0];
            for (int isa = -1; isa < SIRNN_ISA_COUNT; isa++) {
                sirnn_kernel_table t;
                if (isa >= 0 && !sirnn_kernels_for_isa((sirnn_isa)isa, &t))
                    continue;
                /* Without and with a prefetch hint (here: the code tables
                 * and a buffer of another size), which must not matter. */
                for (int hint = 0; hint < (isa < 0 ? 1 : 3); hint++) {
                    out[1 + n * nv] = guard;
                    if (isa < 0)
                        sirnn_tccrhash256_many_portable(out + 1, in + 1, tweak, n, oa + 1,
                                                        ob + 1, nv);
                    else if (hint == 0)
                        t.tccrhash256_many(out + 1, in + 1, tweak, n, oa + 1, ob + 1, nv, NULL,
                                           0);
                    else if (hint == 1)
                        t.tccrhash256_many(out + 1, in + 1, tweak, n, oa + 1, ob + 1, nv, ob,
                                           257 * sizeof(sirnn_block));
                    else
                        t.tccrhash256_many(out + 1, in + 1, tweak, n, oa + 1, ob + 1, nv,
                                           (const char *)oa + 3, 5);
                    if (n > 0 && memcmp(out + 1, ref, n * nv * sizeof(uint64_t)) != 0)
                        fail_msg("%s: tccrhash256_many n=%zu nv=%zu hint %d differs from the "
                                 "definition",
                                 isa < 0 ? "portable" : sirnn_isa_level_name(t.isa), n, nv,
                                 hint);
                    assert_true(out[1 + n * nv] == guard);
                }
            }
        }
    }
    /* The public wrappers are the active table's path. */
    const sirnn_tweak seven = sirnn_tweak_make(SIRNN_TWEAK_TEST_DOMAIN, 7);
    sirnn_kernels()->tccrhash256_many(ref, in, seven, 3, oa, ob, 256, NULL, 0);
    sirnn_tccrhash256_many(out, in, seven, 3, oa, ob, 256);
    assert_memory_equal(out, ref, 3 * 256 * sizeof(uint64_t));
    sirnn_tccrhash256_many_pf(out, in, seven, 3, oa, ob, 256, in, 19 * sizeof(sirnn_block));
    assert_memory_equal(out, ref, 3 * 256 * sizeof(uint64_t));
    free(in);
    free(oa);
    free(ob);
    free(ref);
    free(out);
}

/*
 * The KK13 offset attack (regression): the sender's pad for code word v of
 * an OT with rows (qa, qb) and tweak i is tccrhash256((qa ^ oa[v % 128],
 * qb ^ ob[v]), i), with oa, ob the halves of C(v) & s. The code's first half
 * never sees bit 7 of v, so at v = 128 the a-half offset is zero and the
 * receiver knows z = pi1(qa ^ i) ^ qb. Two OTs with equal z and different
 * tweaks must still get unrelated pads there, and at every other offset, on
 * every path (with an MMO ending they were equal at v = 128).
 */
static void test_equal_z_distinct_tweaks(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc407ULL);
    sirnn_block s[2], code[384];
    test_rng_bytes(&rng, s, sizeof(s));
    for (unsigned v = 0; v < 256; v++) {
        sirnn_block a = sirnn_block_make(0, 0), b = sirnn_block_make(0, 0);
        for (unsigned j = 0; j < 256; j++) {
            const uint64_t bit = sirnn_kkot_code_bit(v, j);
            sirnn_block *half = j < 128 ? &a : &b;
            half->w[(j % 128) / 64] |= bit << (j % 64);
        }
        if (v < 128)
            code[v] = sirnn_block_and(a, s[0]);
        else /* the first half repeats with period 128 */
            assert_true(sirnn_block_eq(sirnn_block_and(a, s[0]), code[v - 128]));
        code[128 + v] = sirnn_block_and(b, s[1]);
    }
    assert_true(sirnn_block_eq(code[0], sirnn_block_make(0, 0))); /* so v = 128 too */

    const sirnn_tweak t1 = sirnn_tweak_make(SIRNN_TWEAK_TEST_DOMAIN, 5);
    const sirnn_tweak t2 = sirnn_tweak_make(SIRNN_TWEAK_TEST_DOMAIN, 900001);
    sirnn_block q1[2], q2[2];
    test_rng_bytes(&rng, q1, sizeof(q1));
    test_rng_bytes(&rng, q2, sizeof(q2));
    /* qb2 = qb1 ^ pi1(qa1 ^ i1) ^ pi1(qa2 ^ i2): equal z. */
    q2[1] = sirnn_block_xor(
        q1[1], sirnn_block_xor(perm(SIRNN_CRHASH_KEY_PI1, sirnn_block_xor(q1[0], tweak_at(t1, 0))),
                               perm(SIRNN_CRHASH_KEY_PI1, sirnn_block_xor(q2[0], tweak_at(t2, 0)))));
    uint64_t p1[256], p2[256];
    for (int isa = -1; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (isa >= 0 && !sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        for (size_t nv = 129; nv <= 256; nv += 127) {
            if (isa < 0) {
                sirnn_tccrhash256_many_portable(p1, q1, t1, 1, code, code + 128, nv);
                sirnn_tccrhash256_many_portable(p2, q2, t2, 1, code, code + 128, nv);
            } else {
                t.tccrhash256_many(p1, q1, t1, 1, code, code + 128, nv, NULL, 0);
                t.tccrhash256_many(p2, q2, t2, 1, code, code + 128, nv, NULL, 0);
            }
            for (size_t v = 0; v < nv; v++)
                if (p1[v] == p2[v])
                    fail_msg("%s: nv=%zu: two OTs with equal z share the pad at offset %zu",
                             isa < 0 ? "portable" : sirnn_isa_level_name(t.isa), nv, v);
        }
        /* The receiver's single hash of the offset-128 word agrees. */
        sirnn_block w1[2] = {q1[0], sirnn_block_xor(q1[1], code[128 + 128])}, h1;
        sirnn_block w2[2] = {q2[0], sirnn_block_xor(q2[1], code[128 + 128])}, h2;
        if (isa < 0) {
            sirnn_tccrhash256_portable(&h1, w1, t1, 1);
            sirnn_tccrhash256_portable(&h2, w2, t2, 1);
        } else {
            t.tccrhash256(&h1, w1, t1, 1);
            t.tccrhash256(&h2, w2, t2, 1);
        }
        assert_true(h1.w[0] == p1[128]);
        assert_true(h2.w[0] == p2[128]);
        assert_false(sirnn_block_eq(h1, h2));
    }
}

/* Two threads hash with the portable path at the same time (each has its
 * own EVP context); both must get the single-threaded result. */
typedef struct thread_job {
    const sirnn_block *in;
    const sirnn_block *want; /* crhash, tccrhash, tccrhash256 results, n each */
    size_t n;
    sirnn_tweak tweak;
} thread_job;

static int portable_worker(void *arg)
{
    const thread_job *job = arg;
    sirnn_block *out = malloc(job->n * sizeof(sirnn_block));
    if (out == NULL)
        return 1;
    int rc = 0;
    for (int rep = 0; rep < 20 && rc == 0; rep++) {
        for (int h = H_CR; h <= H_TCCR256 && rc == 0; h++) {
            run_portable((hash_kind)h, out, job->in, job->tweak, job->n);
            if (memcmp(out, job->want + (size_t)h * job->n, job->n * sizeof(sirnn_block)) != 0)
                rc = 2 + h;
        }
    }
    free(out);
    return rc;
}

static void test_portable_threads(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc405ULL);
    const size_t n = test_quick() ? 100 : 2000;
    sirnn_block *in = random_blocks(&rng, 2 * n);
    sirnn_block *want = alloc_blocks(3 * n);
    thread_job job = {in, want, n, random_tweak(&rng)};
    for (int h = H_CR; h <= H_TCCR256; h++)
        run_portable((hash_kind)h, want + (size_t)h * n, in, job.tweak, n);
    int rc0 = -1, rc1 = -1;
    test_run2(portable_worker, &job, portable_worker, &job, &rc0, &rc1);
    assert_int_equal(rc0, 0);
    assert_int_equal(rc1, 0);
    free(in);
    free(want);
}

int main(void)
{
    (void)test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_keys_are_pi_digits),
        cmocka_unit_test(test_paths_match_definition),
        cmocka_unit_test(test_native_matches_portable),
        cmocka_unit_test(test_wrappers),
        cmocka_unit_test(test_tweaks_and_inputs_separate),
        cmocka_unit_test(test_many_matches_definition),
        cmocka_unit_test(test_equal_z_distinct_tweaks),
        cmocka_unit_test(test_portable_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
