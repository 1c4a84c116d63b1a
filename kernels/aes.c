/*
 * AES keys, the AES / hash part of the dispatch table, and the public
 * wrappers that go through the active table.
 */
#include "kernels/aes.h"

#include <string.h>

#include "kernels/aes_impl.h"
#include "kernels/cpu.h"
#include "kernels/crhash.h"
#include "kernels/random.h"

/* What the AES-NI file is compiled for; every native path needs it, because
 * the key schedule in rk is computed with it. */
static bool have_aesni(const sirnn_cpu_features *f)
{
    return f->aesni && f->ssse3 && f->sse41;
}

/* The AVX2 and AVX-512 files are also compiled with BMI2. */
static bool have_vaes256(const sirnn_cpu_features *f)
{
    return have_aesni(f) && f->avx2 && f->bmi2 && f->vaes;
}

sirnn_status sirnn_aes_key_init(sirnn_aes_key *k, const sirnn_block *key)
{
    if (k == NULL || key == NULL)
        return SIRNN_ERR_ARG;
    memset(k, 0, sizeof(*k));
    k->evp = sirnn_aes_evp_new(key);
    if (k->evp == NULL)
        return SIRNN_ERR_CRYPTO;
    /* The native paths read rk; expanding with AES-NI keeps the schedule free
     * of table lookups. Without AES-NI only EVP is ever used. */
    if (have_aesni(sirnn_cpu_features_get()))
        sirnn_aes_expand_aesni(k->rk, key);
    return SIRNN_OK;
}

void sirnn_aes_key_free(sirnn_aes_key *k)
{
    if (k == NULL)
        return;
    sirnn_memzero(k->rk, sizeof(k->rk));
    sirnn_aes_evp_free(k->evp);
    k->evp = NULL;
}

void sirnn_aes_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    /* Widest first; each level may fall back to a narrower path when the
     * machine lacks the instructions of its own. */
    if (isa >= SIRNN_ISA_AVX512 && have_vaes256(f) && f->avx512f && f->avx512bw &&
        f->avx512vl) {
        t->aes_impl = "vaes512";
        t->aes_ecb = sirnn_aes_ecb_vaes512;
        t->aes_ctr = sirnn_aes_ctr_vaes512;
        t->crhash = sirnn_crhash_vaes512;
        t->tccrhash = sirnn_tccrhash_vaes512;
        t->tccrhash256 = sirnn_tccrhash256_vaes512;
    } else if (isa >= SIRNN_ISA_AVX2 && have_vaes256(f)) {
        t->aes_impl = "vaes256";
        t->aes_ecb = sirnn_aes_ecb_vaes256;
        t->aes_ctr = sirnn_aes_ctr_vaes256;
        t->crhash = sirnn_crhash_vaes256;
        t->tccrhash = sirnn_tccrhash_vaes256;
        t->tccrhash256 = sirnn_tccrhash256_vaes256;
    } else if (isa >= SIRNN_ISA_AESNI && have_aesni(f)) {
        t->aes_impl = "aesni";
        t->aes_ecb = sirnn_aes_ecb_aesni;
        t->aes_ctr = sirnn_aes_ctr_aesni;
        t->crhash = sirnn_crhash_aesni;
        t->tccrhash = sirnn_tccrhash_aesni;
        t->tccrhash256 = sirnn_tccrhash256_aesni;
    } else {
        t->aes_impl = "evp";
        t->aes_ecb = sirnn_aes_ecb_portable;
        t->aes_ctr = sirnn_aes_ctr_portable;
        t->crhash = sirnn_crhash_portable;
        t->tccrhash = sirnn_tccrhash_portable;
        t->tccrhash256 = sirnn_tccrhash256_portable;
    }
}

void sirnn_aes_ecb(const sirnn_aes_key *k, void *out, const void *in, size_t n)
{
    sirnn_kernels()->aes_ecb(k, out, in, n);
}

void sirnn_aes_ctr(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce, uint64_t counter,
                   size_t n)
{
    sirnn_kernels()->aes_ctr(k, out, nonce, counter, n);
}
