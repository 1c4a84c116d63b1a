/*
 * Crypto-kernel benchmarks (local, one core, no network):
 *   aes     fixed-key AES-128 ECB over n blocks (out of place; inplace=1 for
 *           out == in): ns per block, plus blocks_per_s and the path ("impl").
 *   prg     AES-CTR PRG, n blocks per call: ns per block, blocks_per_s, impl.
 *   crhash  fixed-key hashes over n elements, variant=ccr|tccr|tccr256: ns
 *           per hash, hashes_per_s, aes_per_s (AES calls per second), impl.
 * Buffers stay cache-resident for n up to about 2^20 blocks.
 */
#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/aes.h"
#include "kernels/cpu.h"
#include "kernels/crhash.h"
#include "kernels/prg.h"

/* Repeat a call until one timed run covers about this many blocks, so short
 * calls are not lost in timer resolution. */
#define BENCH_CRYPTO_RUN_BLOCKS ((size_t)1 << 22)

static const char *bench_param_str(const bench_params *p, const char *key, const char *def)
{
    for (int i = 0; i < p->nkv; i++)
        if (strcmp(p->key[i], key) == 0)
            return p->val[i];
    return def;
}

static void bench_extra_string(bench_result *r, const char *key, const char *value)
{
    size_t len = strlen(r->extra);
    if (len < sizeof(r->extra))
        snprintf(r->extra + len, sizeof(r->extra) - len, ",\"%s\":\"%s\"", key, value);
}

static void bench_fill_blocks(sirnn_block *b, size_t n)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = sirnn_block_make(x ^ (x >> 29), x);
    }
}

static size_t bench_reps(size_t n)
{
    size_t reps = BENCH_CRYPTO_RUN_BLOCKS / (n ? n : 1);
    return reps ? reps : 1;
}

/* The measured call of each kernel. */
typedef enum crypto_op { OP_AES, OP_PRG, OP_CCR, OP_TCCR, OP_TCCR256 } crypto_op;

typedef struct crypto_ctx {
    crypto_op op;
    size_t n;
    sirnn_block *in, *out;
    sirnn_aes_key key;
    sirnn_prg prg;
    uint64_t tweak;
} crypto_ctx;

static void crypto_call(crypto_ctx *c)
{
    switch (c->op) {
    case OP_AES:
        sirnn_aes_ecb(&c->key, c->out, c->in, c->n);
        break;
    case OP_PRG:
        sirnn_prg_blocks(&c->prg, c->out, c->n);
        break;
    case OP_CCR:
        sirnn_crhash(c->out, c->in, c->n);
        break;
    case OP_TCCR:
        sirnn_tccrhash(c->out, c->in, sirnn_tweak_make(SIRNN_TWEAK_TEST_DOMAIN, c->tweak), c->n);
        c->tweak += c->n;
        break;
    case OP_TCCR256:
        sirnn_tccrhash256(c->out, c->in, sirnn_tweak_make(SIRNN_TWEAK_TEST_DOMAIN, c->tweak), c->n);
        c->tweak += c->n;
        break;
    }
}

/* Median ns per element over p->runs timed runs. */
static int crypto_measure(const bench_params *p, crypto_ctx *c, double *ns_per_op)
{
    double *times = malloc(p->runs * sizeof(double));
    if (times == NULL)
        return -1;
    const size_t reps = bench_reps(c->n);
    crypto_call(c); /* warm the caches */
    for (unsigned run = 0; run < p->runs; run++) {
        double t0 = bench_now_ns();
        for (size_t i = 0; i < reps; i++)
            crypto_call(c);
        times[run] = bench_elapsed_ns(t0) / ((double)reps * (double)c->n);
    }
    *ns_per_op = bench_median(times, p->runs);
    free(times);
    return 0;
}

static int bench_crypto_run(const bench_params *p, bench_result *r, crypto_op op)
{
    crypto_ctx c;
    memset(&c, 0, sizeof(c));
    c.op = op;
    c.n = p->n;
    if (c.n == 0)
        return -1;
    const size_t nin = op == OP_TCCR256 ? 2 * c.n : c.n;
    sirnn_block *out_buf = aligned_alloc(64, (c.n * sizeof(sirnn_block) + 63) / 64 * 64);
    c.in = aligned_alloc(64, (nin * sizeof(sirnn_block) + 63) / 64 * 64);
    c.out = out_buf;
    int rc = -1;
    if (c.in == NULL || c.out == NULL)
        goto done;
    bench_fill_blocks(c.in, nin);
    bench_fill_blocks(c.out, c.n);
    const sirnn_block key = sirnn_block_make(0x13198a2e03707344ull, 0xa4093822299f31d0ull);
    if (sirnn_aes_key_init(&c.key, &key) != SIRNN_OK || sirnn_prg_init(&c.prg, &key, 0) != SIRNN_OK)
        goto done;
    if (op == OP_AES && bench_param_int(p, "inplace", 0) != 0)
        c.out = c.in;

    double ns;
    if (crypto_measure(p, &c, &ns) != 0)
        goto done;
    r->ns_per_op = ns;
    r->bits_per_op = 0;
    r->rounds = 0;
    if (op == OP_AES || op == OP_PRG) {
        bench_extra_double(r, "blocks_per_s", 1e9 / ns);
    } else {
        bench_extra_double(r, "hashes_per_s", 1e9 / ns);
        bench_extra_double(r, "aes_per_s", (op == OP_CCR ? 1e9 : 2e9) / ns);
    }
    bench_extra_string(r, "impl", sirnn_kernels()->aes_impl);
    rc = 0;
done:
    free(c.in);
    free(out_buf);
    sirnn_aes_key_free(&c.key);
    sirnn_prg_free(&c.prg);
    return rc;
}

static int bench_aes(const bench_params *p, bench_result *r)
{
    return bench_crypto_run(p, r, OP_AES);
}

static int bench_prg(const bench_params *p, bench_result *r)
{
    return bench_crypto_run(p, r, OP_PRG);
}

static int bench_crhash(const bench_params *p, bench_result *r)
{
    const char *variant = bench_param_str(p, "variant", "ccr");
    if (strcmp(variant, "ccr") == 0)
        return bench_crypto_run(p, r, OP_CCR);
    if (strcmp(variant, "tccr") == 0)
        return bench_crypto_run(p, r, OP_TCCR);
    if (strcmp(variant, "tccr256") == 0)
        return bench_crypto_run(p, r, OP_TCCR256);
    fprintf(stderr, "crhash: variant must be ccr, tccr or tccr256\n");
    return -1;
}

const bench_kernel bench_group_crypto[] = {
    {"aes", "fixed-key AES-128 ECB blocks; inplace=0|1", (size_t)1 << 16, bench_aes},
    {"prg", "AES-CTR PRG blocks", (size_t)1 << 16, bench_prg},
    {"crhash", "variant=ccr|tccr|tccr256 (hashes)", (size_t)1 << 16, bench_crhash},
    {NULL, NULL, 0, NULL},
};
