/*
 * The fixed hash keys, per-thread EVP contexts for the portable path, and
 * the public wrappers that go through the active table.
 */
#include "kernels/crhash.h"

#include <pthread.h>
#include <stdatomic.h>
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

/* The test tracer (crhash.h); one relaxed load per call when unset. */
static _Atomic(sirnn_crhash_tracer) g_tracer; /* static: starts NULL */
static void *_Atomic g_tracer_ctx;

void sirnn_crhash_set_tracer(sirnn_crhash_tracer fn, void *ctx)
{
    atomic_store(&g_tracer_ctx, ctx);
    atomic_store(&g_tracer, fn);
}

static void trace(sirnn_crhash_call call, const sirnn_block *in, sirnn_tweak tw, size_t n,
                  size_t nv)
{
    sirnn_crhash_tracer fn = atomic_load_explicit(&g_tracer, memory_order_acquire);
    if (fn != NULL)
        fn(atomic_load(&g_tracer_ctx), call, in, tw, n, nv);
}

void sirnn_tccrhash(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n)
{
    trace(SIRNN_CRHASH_CALL_TCCR, in, tw, n, 0);
    sirnn_kernels()->tccrhash(out, in, tw, n);
}

void sirnn_tccrhash256(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n)
{
    trace(SIRNN_CRHASH_CALL_TCCR256, in, tw, n, 0);
    sirnn_kernels()->tccrhash256(out, in, tw, n);
}

void sirnn_tccrhash256_many(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t n,
                            const sirnn_block *oa, const sirnn_block *ob, size_t nv)
{
    trace(SIRNN_CRHASH_CALL_MANY, in, tw, n, nv);
    sirnn_kernels()->tccrhash256_many(out, in, tw, n, oa, ob, nv, NULL, 0);
}

void sirnn_tccrhash256_many_pf(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t n,
                               const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                               const void *prefetch, size_t prefetch_bytes)
{
    trace(SIRNN_CRHASH_CALL_MANY, in, tw, n, nv);
    sirnn_kernels()->tccrhash256_many(out, in, tw, n, oa, ob, nv, prefetch, prefetch_bytes);
}

/*
 * The portable tccrhash256_many, through EVP ECB calls: batches of up to 64
 * (element, v) entries, three ECB calls per batch (pi1, pi2, pi2). With
 * nv > 128 an element's 128 values u = pi1(a ^ oa[v] ^ i) are computed once
 * and shared by v and v + 128; otherwise entries are flattened across
 * elements. The prefetch hint is spread over the batches.
 */
static void ecb_portable(unsigned which, sirnn_block *out, const sirnn_block *in, size_t n)
{
    sirnn_aes_evp_ecb(sirnn_crhash_thread_evp(which), out, in, n);
}

enum { THROUGH_BATCH = 64 };

typedef struct through_ws {
    sirnn_block u[128];             /* shared pi1 outputs of one element */
    sirnn_block x[THROUGH_BATCH];   /* pi1 inputs, then v */
    sirnn_block w[THROUGH_BATCH];   /* pi2(v) */
    sirnn_block y[THROUGH_BATCH];   /* pi2(w ^ i) */
    sirnn_block twk[THROUGH_BATCH]; /* each entry's tweak block */
} through_ws;

/* The TCCR ending of m entries whose v values are in ws->x and tweaks in
 * ws->twk: out[t] = lo(pi2(w ^ i) ^ w), w = pi2(v). */
static void through_finish(through_ws *ws, uint64_t *out, size_t m)
{
    ecb_portable(SIRNN_CRHASH_KEY_PI2, ws->w, ws->x, m);
    for (size_t t = 0; t < m; t++)
        ws->y[t] = sirnn_block_xor(ws->w[t], ws->twk[t]);
    ecb_portable(SIRNN_CRHASH_KEY_PI2, ws->y, ws->y, m);
    for (size_t t = 0; t < m; t++)
        out[t] = ws->y[t].w[0] ^ ws->w[t].w[0];
}

static void many_through(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t n,
                         const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                         const void *prefetch, size_t prefetch_bytes)
{
    if (n == 0 || nv == 0)
        return;
    through_ws ws;
    const size_t total = n * nv;
    const size_t batches = (total + THROUGH_BATCH - 1) / THROUGH_BATCH + (nv > 128 ? 2 * n : 0);
    sirnn_many_prefetcher pf = sirnn_many_prefetch_plan(prefetch, prefetch_bytes, batches);
    if (nv > 128) {
        for (size_t k = 0; k < n; k++) {
            const sirnn_block i = sirnn_block_make(tw.domain, tw.index + k);
            for (size_t v0 = 0; v0 < 128; v0 += THROUGH_BATCH) {
                sirnn_many_prefetch_step(&pf);
                for (size_t t = 0; t < THROUGH_BATCH; t++)
                    ws.x[t] = sirnn_block_xor(sirnn_block_xor(in[2 * k], oa[v0 + t]), i);
                ecb_portable(SIRNN_CRHASH_KEY_PI1, ws.u + v0, ws.x, THROUGH_BATCH);
            }
            for (size_t v0 = 0; v0 < nv; v0 += THROUGH_BATCH) {
                const size_t m = nv - v0 < THROUGH_BATCH ? nv - v0 : THROUGH_BATCH;
                sirnn_many_prefetch_step(&pf);
                for (size_t t = 0; t < m; t++) {
                    ws.x[t] = sirnn_block_xor(sirnn_block_xor(ws.u[(v0 + t) % 128], in[2 * k + 1]),
                                              ob[v0 + t]);
                    ws.twk[t] = i;
                }
                through_finish(&ws, out + k * nv + v0, m);
            }
        }
    } else {
        size_t k = 0, v = 0;
        for (size_t done = 0; done < total;) {
            const size_t m = total - done < THROUGH_BATCH ? total - done : THROUGH_BATCH;
            sirnn_many_prefetch_step(&pf);
            for (size_t t = 0, kk = k, vv = v; t < m; t++) {
                ws.twk[t] = sirnn_block_make(tw.domain, tw.index + kk);
                ws.x[t] = sirnn_block_xor(sirnn_block_xor(in[2 * kk], oa[vv]), ws.twk[t]);
                if (++vv == nv) {
                    vv = 0;
                    kk++;
                }
            }
            ecb_portable(SIRNN_CRHASH_KEY_PI1, ws.x, ws.x, m);
            for (size_t t = 0; t < m; t++) {
                ws.x[t] = sirnn_block_xor(sirnn_block_xor(ws.x[t], in[2 * k + 1]), ob[v]);
                if (++v == nv) {
                    v = 0;
                    k++;
                }
            }
            through_finish(&ws, out + done, m);
            done += m;
        }
    }
    sirnn_memzero(&ws, sizeof(ws));
}

void sirnn_tccrhash256_many_portable(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                     size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                     size_t nv)
{
    many_through(out, in, tw, n, oa, ob, nv, NULL, 0);
}

static void many_portable_pf(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t n,
                             const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                             const void *prefetch, size_t prefetch_bytes)
{
    many_through(out, in, tw, n, oa, ob, nv, prefetch, prefetch_bytes);
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
