/*
 * AES-CTR PRG: the stream is AES_seed(nonce || j), every ISA path produces
 * it, seeking equals reading from the start, chunking does not matter,
 * seeds and nonces separate streams, bytes/ring take whole blocks and mask
 * correctly, the bits are balanced, and free wipes the state.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/aes.h"
#include "kernels/cpu.h"
#include "kernels/prg.h"

static size_t stream_len(void)
{
    return test_quick() ? 512 : 8192;
}

static void random_seed(test_rng *rng, sirnn_block *seed)
{
    test_rng_bytes(rng, seed, sizeof(*seed));
}

/* The first n blocks of (seed, nonce), read in one call from a fresh PRG. */
static sirnn_block *read_stream(const sirnn_block *seed, uint64_t nonce, size_t n)
{
    sirnn_block *s = malloc(n * sizeof(sirnn_block));
    assert_non_null(s);
    sirnn_prg prg;
    assert_int_equal(sirnn_prg_init(&prg, seed, nonce), SIRNN_OK);
    sirnn_prg_blocks(&prg, s, n);
    assert_int_equal(prg.counter, n);
    sirnn_prg_free(&prg);
    return s;
}

static void test_stream_definition(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9001ULL);
    sirnn_block seed;
    random_seed(&rng, &seed);
    uint64_t nonce = test_rng_next(&rng);
    const size_t n = 100;
    sirnn_block *s = read_stream(&seed, nonce, n);
    /* Block j = AES_seed(nonce || j), with ECB of the portable twin. */
    sirnn_aes_key k;
    assert_int_equal(sirnn_aes_key_init(&k, &seed), SIRNN_OK);
    for (size_t j = 0; j < n; j++) {
        sirnn_block ctr = sirnn_block_make(nonce, j), want;
        sirnn_aes_ecb_portable(&k, &want, &ctr, 1);
        assert_memory_equal(&s[j], &want, sizeof(want));
    }
    /* Every ISA's CTR gives the same stream from any start. */
    sirnn_block got[100];
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        size_t start = (size_t)test_rng_below(&rng, n);
        t.aes_ctr(&k, got, nonce, start, n - start);
        if (memcmp(got, &s[start], (n - start) * sizeof(sirnn_block)) != 0)
            fail_msg("isa %s (%s): stream from block %zu differs", sirnn_isa_level_name(t.isa),
                     t.aes_impl, start);
    }
    sirnn_aes_key_free(&k);
    free(s);
}

static void test_deterministic(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9002ULL);
    sirnn_block seed;
    random_seed(&rng, &seed);
    const size_t n = stream_len();
    sirnn_block *a = read_stream(&seed, 7, n);
    sirnn_block *b = read_stream(&seed, 7, n);
    assert_memory_equal(a, b, n * sizeof(sirnn_block));
    free(a);
    free(b);
}

/* Reading in random chunks, and seeking to random points, both reproduce
 * the stream read in one call. */
static void test_seek_and_chunks(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9003ULL);
    sirnn_block seed;
    random_seed(&rng, &seed);
    uint64_t nonce = test_rng_next(&rng);
    const size_t n = stream_len();
    sirnn_block *ref = read_stream(&seed, nonce, n);
    sirnn_block *got = malloc(n * sizeof(sirnn_block));
    assert_non_null(got);

    sirnn_prg prg;
    assert_int_equal(sirnn_prg_init(&prg, &seed, nonce), SIRNN_OK);
    for (size_t pos = 0; pos < n;) {
        size_t m = (size_t)test_rng_below(&rng, 40);
        if (m > n - pos)
            m = n - pos;
        sirnn_prg_blocks(&prg, &got[pos], m);
        pos += m;
    }
    assert_memory_equal(got, ref, n * sizeof(sirnn_block));

    for (int trial = 0; trial < 50; trial++) {
        size_t from = (size_t)test_rng_below(&rng, n);
        size_t m = (size_t)test_rng_below(&rng, n - from + 1);
        sirnn_prg_seek(&prg, from);
        sirnn_prg_blocks(&prg, got, m);
        if (m > 0 && memcmp(got, &ref[from], m * sizeof(sirnn_block)) != 0)
            fail_msg("seek to %zu then %zu blocks differs from the stream", from, m);
        assert_int_equal(prg.counter, from + m);
    }
    sirnn_prg_free(&prg);
    free(ref);
    free(got);
}

static size_t count_equal_blocks(const sirnn_block *a, const sirnn_block *b, size_t n)
{
    size_t eq = 0;
    for (size_t i = 0; i < n; i++)
        eq += (size_t)sirnn_block_eq(a[i], b[i]);
    return eq;
}

static void test_seeds_and_nonces_separate(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9004ULL);
    sirnn_block seed1, seed2;
    random_seed(&rng, &seed1);
    seed2 = seed1;
    seed2.w[1] ^= (uint64_t)1 << test_rng_below(&rng, 64); /* one bit apart */
    uint64_t nonce = test_rng_next(&rng);
    const size_t n = 256;
    sirnn_block *a = read_stream(&seed1, nonce, n);
    sirnn_block *b = read_stream(&seed2, nonce, n);
    sirnn_block *c = read_stream(&seed1, nonce + 1, n);
    assert_int_equal(count_equal_blocks(a, b, n), 0);
    assert_int_equal(count_equal_blocks(a, c, n), 0);
    /* The next nonce's stream is not the same stream shifted. */
    assert_int_equal(count_equal_blocks(a + 1, c, n - 1), 0);
    free(a);
    free(b);
    free(c);
}

static void test_bytes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9005ULL);
    sirnn_block seed;
    random_seed(&rng, &seed);
    const size_t nref = 400;
    sirnn_block *ref = read_stream(&seed, 3, nref);
    enum { CANARY = 0xe7 };
    _Alignas(16) uint8_t buf[16 * 130 + 32]; /* offset 0 takes the aligned path */
    for (int trial = 0; trial < 200; trial++) {
        size_t nbytes = (size_t)test_rng_below(&rng, 16 * 128 + 1);
        size_t off = (size_t)test_rng_below(&rng, 16);
        size_t start = (size_t)test_rng_below(&rng, 200);
        memset(buf, CANARY, sizeof(buf));
        sirnn_prg prg;
        assert_int_equal(sirnn_prg_init(&prg, &seed, 3), SIRNN_OK);
        sirnn_prg_seek(&prg, start);
        sirnn_prg_bytes(&prg, buf + off, nbytes);
        /* Whole blocks consumed, bytes equal the stream, nothing past them. */
        assert_int_equal(prg.counter, start + (nbytes + 15) / 16);
        if (nbytes > 0 && memcmp(buf + off, &ref[start], nbytes) != 0)
            fail_msg("prg_bytes(%zu) at offset %zu from block %zu differs", nbytes, off, start);
        for (size_t i = 0; i < off; i++)
            assert_int_equal(buf[i], CANARY);
        for (size_t i = off + nbytes; i < sizeof(buf); i++)
            assert_int_equal(buf[i], CANARY);
        sirnn_prg_free(&prg);
    }
    free(ref);
}

static void test_ring_masking(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9006ULL);
    sirnn_block seed;
    random_seed(&rng, &seed);
    uint64_t nonce = test_rng_next(&rng);
    const size_t nwords_max = test_quick() ? 101 : 1201; /* crosses the staging size */
    sirnn_block *ref = read_stream(&seed, nonce, (nwords_max + 1) / 2 + 1);
    uint64_t *out = malloc((nwords_max + 1) * sizeof(uint64_t));
    assert_non_null(out);
    for (unsigned l = 1; l <= 64; l++) {
        size_t n = (size_t)test_rng_below(&rng, nwords_max + 1);
        uint64_t mask = l == 64 ? UINT64_MAX : ((uint64_t)1 << l) - 1;
        sirnn_prg prg;
        assert_int_equal(sirnn_prg_init(&prg, &seed, nonce), SIRNN_OK);
        out[n] = 0x1234; /* canary */
        sirnn_prg_ring(&prg, out, n, l);
        assert_int_equal(prg.counter, (n + 1) / 2);
        assert_int_equal(out[n], 0x1234);
        uint64_t seen_top = 0;
        for (size_t i = 0; i < n; i++) {
            if ((out[i] & ~mask) != 0)
                fail_msg("l=%u: word %zu has bits above l", l, i);
            if (out[i] != (ref[i / 2].w[i % 2] & mask))
                fail_msg("l=%u: word %zu is not the stream's low bits", l, i);
            seen_top |= out[i] >> (l - 1);
        }
        /* The top allowed bit is used (false only with probability 2^-n). */
        if (n >= 64)
            assert_int_equal(seen_top, 1);
        sirnn_prg_free(&prg);
    }
    free(out);
    free(ref);
}

/* Each bit position is 1 in about half of the blocks (a coarse check that
 * the stream is neither constant nor the counter itself). */
static void test_bit_balance(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x9007ULL);
    sirnn_block seed;
    random_seed(&rng, &seed);
    const size_t n = 4096;
    sirnn_block *s = read_stream(&seed, test_rng_next(&rng), n);
    unsigned ones[128] = {0};
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 128; b++)
            ones[b] += (unsigned)(s[i].w[b / 64] >> (b % 64)) & 1u;
    /* Binomial(4096, 1/2): sd = 32; allow 6 sd (false alarm < 1e-6 overall). */
    for (unsigned b = 0; b < 128; b++)
        if (ones[b] < 2048 - 192 || ones[b] > 2048 + 192)
            fail_msg("bit %u is 1 in %u of %zu blocks", b, ones[b], n);
    free(s);
}

static void test_init_and_free(void **state)
{
    (void)state;
    sirnn_block seed = sirnn_block_make(1, 2);
    sirnn_prg prg;
    assert_int_equal(sirnn_prg_init(NULL, &seed, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_prg_init(&prg, NULL, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_prg_init(&prg, &seed, 9), SIRNN_OK);
    assert_int_equal(prg.nonce, 9);
    assert_int_equal(prg.counter, 0);
    sirnn_block b;
    sirnn_prg_blocks(&prg, &b, 1);
    sirnn_prg_free(&prg);
    /* The whole state, round keys included, is wiped. */
    static const sirnn_prg zero;
    assert_memory_equal(&prg, &zero, sizeof(prg));
    sirnn_prg_free(&prg);
}

int main(void)
{
    (void)test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_definition),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_seek_and_chunks),
        cmocka_unit_test(test_seeds_and_nonces_separate),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_ring_masking),
        cmocka_unit_test(test_bit_balance),
        cmocka_unit_test(test_init_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
