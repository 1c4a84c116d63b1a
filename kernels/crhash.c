/*
 * The fixed hash keys, per-thread EVP contexts for the portable path, and
 * the public wrappers that go through the active table.
 */
#include "kernels/crhash.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/aes_impl.h"
#include "kernels/cpu.h"
#include "kernels/crhash_impl.h"
#include "kernels/random.h"

/* Hexadecimal digits of pi after the point, 16 key bytes per key. */
static const unsigned char k_pi_digits[SIRNN_CRHASH_NKEYS][16] = {
    {0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3,
     0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x44},
    {0xa4, 0x09, 0x38, 0x22, 0x29, 0x9f, 0x31, 0xd0,
     0x08, 0x2e, 0xfa, 0x98, 0xec, 0x4e, 0x6c, 0x89},
    {0x45, 0x28, 0x21, 0xe6, 0x38, 0xd0, 0x13, 0x77,
     0xbe, 0x54, 0x66, 0xcf, 0x34, 0xe9, 0x0c, 0x6c},
};

static sirnn_block g_key_blocks[SIRNN_CRHASH_NKEYS];

static sirnn_aes_key g_fixed[SIRNN_CRHASH_NKEYS];
static sirnn_status g_fixed_status = SIRNN_OK;
static pthread_once_t g_fixed_once = PTHREAD_ONCE_INIT;

typedef struct thread_ctxs {
    void *ctx[SIRNN_CRHASH_NKEYS];
} thread_ctxs;

static pthread_key_t g_tls_key;
static bool g_tls_ok = false;

static void free_thread_ctxs(void *p)
{
    thread_ctxs *t = p;
    for (unsigned i = 0; i < SIRNN_CRHASH_NKEYS; i++)
        sirnn_aes_evp_free(t->ctx[i]);
    free(t);
}

static void init_fixed(void)
{
    for (unsigned i = 0; i < SIRNN_CRHASH_NKEYS; i++) {
        memcpy(&g_key_blocks[i], k_pi_digits[i], sizeof(g_key_blocks[i]));
        sirnn_status st = sirnn_aes_key_init(&g_fixed[i], &g_key_blocks[i]);
        if (st != SIRNN_OK)
            g_fixed_status = st;
    }
    g_tls_ok = pthread_key_create(&g_tls_key, free_thread_ctxs) == 0;
}

static void fail_closed(const char *what)
{
    /* The hash has no error return, and a wrong hash would leak: stop. */
    fprintf(stderr, "libsirnn: fatal: %s\n", what);
    abort();
}

const sirnn_aes_key *sirnn_crhash_fixed_key(sirnn_crhash_key_id id)
{
    pthread_once(&g_fixed_once, init_fixed);
    if ((unsigned)id >= SIRNN_CRHASH_NKEYS || g_fixed_status != SIRNN_OK)
        return NULL;
    return &g_fixed[id];
}

const sirnn_block *sirnn_crhash_round_keys(unsigned which)
{
    pthread_once(&g_fixed_once, init_fixed);
    if (which >= SIRNN_CRHASH_NKEYS || g_fixed_status != SIRNN_OK)
        fail_closed("fixed hash keys unavailable");
    return g_fixed[which].rk;
}

void *sirnn_crhash_thread_evp(unsigned which)
{
    pthread_once(&g_fixed_once, init_fixed);
    if (which >= SIRNN_CRHASH_NKEYS || !g_tls_ok)
        fail_closed("no thread-local storage for the hash contexts");
    thread_ctxs *t = pthread_getspecific(g_tls_key);
    if (t == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL || pthread_setspecific(g_tls_key, t) != 0)
            fail_closed("cannot allocate the hash contexts");
    }
    if (t->ctx[which] == NULL) {
        t->ctx[which] = sirnn_aes_evp_new(&g_key_blocks[which]);
        if (t->ctx[which] == NULL)
            fail_closed("cannot create an EVP context for a fixed hash key");
    }
    return t->ctx[which];
}

void sirnn_crhash(sirnn_block *out, const sirnn_block *in, size_t n)
{
    sirnn_kernels()->crhash(out, in, n);
}

void sirnn_tccrhash(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n)
{
    sirnn_kernels()->tccrhash(out, in, tweak, n);
}

void sirnn_tccrhash256(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n)
{
    sirnn_kernels()->tccrhash256(out, in, tweak, n);
}

void sirnn_tccrhash256_many(uint64_t *out, const sirnn_block *in, uint64_t tweak, size_t n,
                            const sirnn_block *oa, const sirnn_block *ob, size_t nv)
{
    sirnn_kernels()->tccrhash256_many(out, in, tweak, n, oa, ob, nv, NULL, 0);
}

void sirnn_tccrhash256_many_pf(uint64_t *out, const sirnn_block *in, uint64_t tweak, size_t n,
                               const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                               const void *prefetch, size_t prefetch_bytes)
{
    sirnn_kernels()->tccrhash256_many(out, in, tweak, n, oa, ob, nv, prefetch, prefetch_bytes);
}

/*
 * tccrhash256_many through a plain tccrhash256 kernel, over batches of
 * (element, v) pairs flattened across elements. The kernel gives batch entry
 * t the tweak t (its call starts at 0), so entry t's a-half carries
 * (tweak + k) ^ t in its low word: pi1 then sees a ^ (0 || tweak + k), the
 * element's own tweak, for every v. The prefetch hint is spread over the
 * batches.
 */
typedef void (*tccr256_fn)(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);

enum { THROUGH_BATCH = 64 };

static void many_through(tccr256_fn hash, uint64_t *out, const sirnn_block *in, uint64_t tweak,
                         size_t n, const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                         const void *prefetch, size_t prefetch_bytes)
{
    sirnn_block pairs[2 * THROUGH_BATCH], h[THROUGH_BATCH];
    const size_t total = n * nv;
    const size_t batches = (total + THROUGH_BATCH - 1) / THROUGH_BATCH;
    const size_t lines = (prefetch_bytes + 63) / 64;
    const size_t lines_per_batch = batches > 0 ? (lines + batches - 1) / batches : 0;
    const char *pf = prefetch;
    size_t pf_left = lines;
    size_t k = 0, v = 0;
    for (size_t done = 0; done < total;) {
        const size_t m = total - done < THROUGH_BATCH ? total - done : THROUGH_BATCH;
        for (size_t t = 0; t < lines_per_batch && pf_left > 0; t++, pf_left--, pf += 64)
            __builtin_prefetch(pf, 0, 3);
        for (size_t t = 0; t < m; t++) {
            sirnn_block a = sirnn_block_xor(in[2 * k], oa[v % 128]);
            a.w[0] ^= (tweak + k) ^ (uint64_t)t;
            pairs[2 * t] = a;
            pairs[2 * t + 1] = sirnn_block_xor(in[2 * k + 1], ob[v]);
            if (++v == nv) {
                v = 0;
                k++;
            }
        }
        hash(h, pairs, 0, m);
        for (size_t t = 0; t < m; t++)
            out[done + t] = h[t].w[0];
        done += m;
    }
    if (total > 0) {
        sirnn_memzero(pairs, sizeof(pairs));
        sirnn_memzero(h, sizeof(h));
    }
}

void sirnn_tccrhash256_many_portable(uint64_t *out, const sirnn_block *in, uint64_t tweak,
                                     size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                     size_t nv)
{
    many_through(sirnn_tccrhash256_portable, out, in, tweak, n, oa, ob, nv, NULL, 0);
}

static void many_portable_pf(uint64_t *out, const sirnn_block *in, uint64_t tweak, size_t n,
                             const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                             const void *prefetch, size_t prefetch_bytes)
{
    many_through(sirnn_tccrhash256_portable, out, in, tweak, n, oa, ob, nv, prefetch,
                 prefetch_bytes);
}

void sirnn_tccrhash256_many_aesni(uint64_t *out, const sirnn_block *in, uint64_t tweak,
                                  size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                  size_t nv, const void *prefetch, size_t prefetch_bytes)
{
    many_through(sirnn_tccrhash256_aesni, out, in, tweak, n, oa, ob, nv, prefetch,
                 prefetch_bytes);
}

void sirnn_tccrhash256_many_vaes256(uint64_t *out, const sirnn_block *in, uint64_t tweak,
                                    size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                    size_t nv, const void *prefetch, size_t prefetch_bytes)
{
    many_through(sirnn_tccrhash256_vaes256, out, in, tweak, n, oa, ob, nv, prefetch,
                 prefetch_bytes);
}

/* Follows the AES family's choice for this level (t->aes_impl), so the hash
 * runs on the same instructions as the rest of the level. */
void sirnn_crhash_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    (void)isa;
    (void)f;
    if (strcmp(t->aes_impl, "vaes512") == 0)
        t->tccrhash256_many = sirnn_tccrhash256_many_vaes512;
    else if (strcmp(t->aes_impl, "vaes256") == 0)
        t->tccrhash256_many = sirnn_tccrhash256_many_vaes256;
    else if (strcmp(t->aes_impl, "aesni") == 0)
        t->tccrhash256_many = sirnn_tccrhash256_many_aesni;
    else
        t->tccrhash256_many = many_portable_pf;
}
