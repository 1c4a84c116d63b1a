/*
 * AES-128: FIPS-197 vectors, every ISA path against OpenSSL EVP called
 * directly (random keys, many lengths, misaligned and in-place buffers), CTR
 * against ECB of explicit counter blocks (including the 2^64 wrap), the
 * dispatch choice, and key wiping.
 */
#include "tests/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kernels/aes.h"
#include "kernels/cpu.h"

/* Room for the largest length plus a misalignment of up to 15 bytes and a
 * guard block on each side. */
enum { MAX_BLOCKS = 4097, GUARD = 16, GUARD_BYTE = 0x5c };

static const size_t k_lengths[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,  12,   13,  14,
                                   15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,  27,   28,  29,
                                   30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 127, 1000, 4097};

static size_t num_lengths(void)
{
    /* Valgrind runs stop before the long buffers. */
    size_t all = sizeof(k_lengths) / sizeof(k_lengths[0]);
    return test_quick() ? all - 2 : all;
}

/* Reference: EVP AES-128-ECB with its own context, independent of the
 * library's key object. */
static void evp_ecb_ref(const uint8_t key[16], uint8_t *out, const uint8_t *in, size_t n)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(ctx, 0), 1);
    int outl = 0;
    if (n > 0) {
        assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, in, (int)(16 * n)), 1);
        assert_int_equal(outl, (int)(16 * n));
    }
    EVP_CIPHER_CTX_free(ctx);
}

static void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void check_vector(const sirnn_kernel_table *t, const char *key_hex, const char *pt_hex,
                         const char *ct_hex)
{
    uint8_t key_bytes[16], pt[16], ct[16], got[16];
    hex_to_bytes(key_hex, key_bytes, 16);
    hex_to_bytes(pt_hex, pt, 16);
    hex_to_bytes(ct_hex, ct, 16);
    sirnn_block key;
    memcpy(&key, key_bytes, 16);
    sirnn_aes_key k;
    assert_int_equal(sirnn_aes_key_init(&k, &key), SIRNN_OK);
    t->aes_ecb(&k, got, pt, 1);
    if (memcmp(got, ct, 16) != 0)
        fail_msg("isa %s (%s): FIPS-197 vector with key %s wrong",
                 sirnn_isa_level_name(t->isa), t->aes_impl, key_hex);
    /* In place as well. */
    memcpy(got, pt, 16);
    t->aes_ecb(&k, got, got, 1);
    assert_memory_equal(got, ct, 16);
    sirnn_aes_key_free(&k);
}

static void test_fips197_vectors(void **state)
{
    (void)state;
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        /* Appendix C.1 (AES-128). */
        check_vector(&t, "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
                     "69c4e0d86a7b0430d8cdb78070b4c55a");
        /* Appendix B (cipher example). */
        check_vector(&t, "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
                     "3925841d02dc09fbdc118597196a0b32");
    }
}

static void random_key(test_rng *rng, uint8_t key_bytes[16], sirnn_aes_key *k)
{
    sirnn_block key;
    test_rng_bytes(rng, key_bytes, 16);
    memcpy(&key, key_bytes, 16);
    assert_int_equal(sirnn_aes_key_init(k, &key), SIRNN_OK);
}

static void check_guards(const uint8_t *buf, size_t offset, size_t n)
{
    for (size_t i = 0; i < GUARD + offset; i++)
        assert_int_equal(buf[i], GUARD_BYTE);
    for (size_t i = GUARD + offset + 16 * n; i < GUARD + offset + 16 * n + GUARD; i++)
        assert_int_equal(buf[i], GUARD_BYTE);
}

/* ECB of one ISA against EVP for every length, every misalignment of the
 * input and of the output, out of place and in place. */
static void check_ecb_isa(const sirnn_kernel_table *t, test_rng *rng)
{
    const size_t bufsize = 2 * GUARD + 16 + 16 * MAX_BLOCKS;
    uint8_t *in = malloc(bufsize), *out = malloc(bufsize), *ref = malloc(16 * MAX_BLOCKS);
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(ref);
    const size_t nlen = num_lengths();
    for (size_t li = 0; li < nlen; li++) {
        size_t n = k_lengths[li];
        uint8_t key_bytes[16];
        sirnn_aes_key k;
        random_key(rng, key_bytes, &k);
        /* Long buffers: a few offsets suffice; short ones: all 16. */
        size_t step = n > 64 ? 5 : 1;
        for (size_t off = 0; off < 16; off += step) {
            size_t off_out = (off * 7 + 3) % 16;
            memset(in, GUARD_BYTE, bufsize);
            memset(out, GUARD_BYTE, bufsize);
            test_rng_bytes(rng, in + GUARD + off, 16 * n);
            evp_ecb_ref(key_bytes, ref, in + GUARD + off, n);

            t->aes_ecb(&k, out + GUARD + off_out, in + GUARD + off, n);
            if (n > 0 && memcmp(out + GUARD + off_out, ref, 16 * n) != 0)
                fail_msg("isa %s (%s): ECB n=%zu in+%zu out+%zu differs from EVP",
                         sirnn_isa_level_name(t->isa), t->aes_impl, n, off, off_out);
            check_guards(out, off_out, n);

            t->aes_ecb(&k, in + GUARD + off, in + GUARD + off, n);
            if (n > 0 && memcmp(in + GUARD + off, ref, 16 * n) != 0)
                fail_msg("isa %s (%s): in-place ECB n=%zu at +%zu differs from EVP",
                         sirnn_isa_level_name(t->isa), t->aes_impl, n, off);
            check_guards(in, off, n);
        }
        sirnn_aes_key_free(&k);
    }
    free(in);
    free(out);
    free(ref);
}

static void test_ecb_matches_evp(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xaec0ULL);
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            check_ecb_isa(&t, &rng);
    }
}

/* The public wrapper uses the active table. */
static void test_wrappers_use_active_path(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x3a3aULL);
    uint8_t key_bytes[16];
    sirnn_aes_key k;
    random_key(&rng, key_bytes, &k);
    enum { N = 77 };
    sirnn_block in[N], out[N], ref[N];
    test_rng_bytes(&rng, in, sizeof(in));
    evp_ecb_ref(key_bytes, (uint8_t *)ref, (const uint8_t *)in, N);
    sirnn_aes_ecb(&k, out, in, N);
    assert_memory_equal(out, ref, sizeof(out));

    uint64_t nonce = test_rng_next(&rng), counter = test_rng_next(&rng);
    for (size_t i = 0; i < N; i++)
        in[i] = sirnn_block_make(nonce, counter + i);
    evp_ecb_ref(key_bytes, (uint8_t *)ref, (const uint8_t *)in, N);
    sirnn_aes_ctr(&k, out, nonce, counter, N);
    assert_memory_equal(out, ref, sizeof(out));
    sirnn_aes_key_free(&k);
}

/* CTR of one ISA against EVP ECB of the counter blocks written out. */
static void check_ctr(const sirnn_kernel_table *t, test_rng *rng, uint64_t counter, size_t n)
{
    uint8_t key_bytes[16];
    sirnn_aes_key k;
    random_key(rng, key_bytes, &k);
    uint64_t nonce = test_rng_next(rng);
    sirnn_block *ctr = malloc((n + 1) * sizeof(sirnn_block));
    sirnn_block *ref = malloc((n + 1) * sizeof(sirnn_block));
    sirnn_block *out = malloc((n + 1) * sizeof(sirnn_block));
    assert_non_null(ctr);
    assert_non_null(ref);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        /* Bytes 0..7: counter + i little-endian (wrapping); bytes 8..15: nonce. */
        uint64_t c = counter + (uint64_t)i;
        uint8_t *b = (uint8_t *)&ctr[i];
        for (int j = 0; j < 8; j++) {
            b[j] = (uint8_t)(c >> (8 * j));
            b[8 + j] = (uint8_t)(nonce >> (8 * j));
        }
    }
    evp_ecb_ref(key_bytes, (uint8_t *)ref, (const uint8_t *)ctr, n);
    memset(out, GUARD_BYTE, (n + 1) * sizeof(sirnn_block));
    t->aes_ctr(&k, out, nonce, counter, n);
    if (n > 0 && memcmp(out, ref, n * sizeof(sirnn_block)) != 0)
        fail_msg("isa %s (%s): CTR n=%zu counter=%llu differs from ECB of counter blocks",
                 sirnn_isa_level_name(t->isa), t->aes_impl, n, (unsigned long long)counter);
    const uint8_t *guard = (const uint8_t *)&out[n];
    for (size_t i = 0; i < sizeof(sirnn_block); i++)
        assert_int_equal(guard[i], GUARD_BYTE);
    free(ctr);
    free(ref);
    free(out);
    sirnn_aes_key_free(&k);
}

static void test_ctr_matches_ecb(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xc7c7ULL);
    const size_t nlen = num_lengths();
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        for (size_t li = 0; li < nlen; li++) {
            size_t n = k_lengths[li];
            check_ctr(&t, &rng, test_rng_next(&rng), n);
            /* Wrap-around: start up to 40 below 2^64 so the run crosses it. */
            check_ctr(&t, &rng, UINT64_MAX - test_rng_below(&rng, 41), n);
        }
    }
}

/* The table picks the widest path the level and the machine allow. */
static void test_dispatch_choice(void **state)
{
    (void)state;
    const sirnn_cpu_features *f = sirnn_cpu_features_get();
    bool aesni = f->aesni && f->ssse3 && f->sse41;
    bool vaes256 = aesni && f->avx2 && f->bmi2 && f->vaes;
    bool vaes512 = vaes256 && f->avx512f && f->avx512bw && f->avx512vl;
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        const char *want = "evp";
        if (isa >= SIRNN_ISA_AVX512 && vaes512)
            want = "vaes512";
        else if (isa >= SIRNN_ISA_AVX2 && vaes256)
            want = "vaes256";
        else if (isa >= SIRNN_ISA_AESNI && aesni)
            want = "aesni";
        assert_string_equal(t.aes_impl, want);
        assert_non_null(t.aes_ecb);
        assert_non_null(t.aes_ctr);
        assert_non_null(t.crhash);
        assert_non_null(t.tccrhash);
        assert_non_null(t.tccrhash256);
        printf("isa %-8s aes %s\n", sirnn_isa_level_name(t.isa), t.aes_impl);
    }
}

static void test_key_init_and_free(void **state)
{
    (void)state;
    sirnn_block key = sirnn_block_make(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
    sirnn_aes_key k;
    assert_int_equal(sirnn_aes_key_init(NULL, &key), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_aes_key_init(&k, NULL), SIRNN_ERR_ARG);

    assert_int_equal(sirnn_aes_key_init(&k, &key), SIRNN_OK);
    assert_non_null(k.evp);
    const sirnn_cpu_features *f = sirnn_cpu_features_get();
    if (f->aesni && f->ssse3 && f->sse41) {
        /* Round key 0 is the key itself (FIPS-197 key expansion). */
        assert_memory_equal(&k.rk[0], &key, sizeof(key));
    }
    sirnn_aes_key_free(&k);
    assert_null(k.evp);
    static const sirnn_block zero[11];
    assert_memory_equal(k.rk, zero, sizeof(zero));

    /* Freeing twice or freeing a zeroed key is harmless. */
    sirnn_aes_key_free(&k);
    sirnn_aes_key z;
    memset(&z, 0, sizeof(z));
    sirnn_aes_key_free(&z);
    sirnn_aes_key_free(NULL);
}

int main(void)
{
    (void)test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips197_vectors),
        cmocka_unit_test(test_ecb_matches_evp),
        cmocka_unit_test(test_wrappers_use_active_path),
        cmocka_unit_test(test_ctr_matches_ecb),
        cmocka_unit_test(test_dispatch_choice),
        cmocka_unit_test(test_key_init_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
