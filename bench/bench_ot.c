/*
 * OT benchmarks on the shared two-party runner (bench/bench_2pc.c): the
 * server (party 0) is the OT sender, the client the receiver.
 *
 *   iknp_rot   random OT, 128-bit messages; delta=1 runs Δ-COT instead
 *   iknp_cot   l-bit additive COT with chosen choice bits (l, default 16)
 *   iknp_ot    chosen 1-of-2 OT (l, default 128); pool=1 (l <= 64) goes
 *              through the random-OT pool
 *   kkot       KK13 1-of-N OT (N default 256, l default 8)
 *   silent_cot raw random COTs of the silent engine (always backend=silent;
 *              the sender's q and the receiver's t, choice in bit 0)
 *
 * The OT parameters backend= and ot_k= (bench/bench.h) apply to both
 * parties; the extra field ot_k reports the block size (1 = plain IKNP).
 */
#include "bench/bench.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/ot.h"
#include "sirnn/party.h"
#include "net/party_internal.h"
#include "ot/lane.h"

typedef enum ot_kernel { KERN_ROT, KERN_DCOT, KERN_COT, KERN_OT, KERN_OT128, KERN_POOL_OT,
                         KERN_KKOT, KERN_SILENT } ot_kernel;

typedef struct ot_bench {
    ot_kernel kern;
    size_t n;
    unsigned l, N;
    /* sender buffers */
    uint8_t *b0, *b1;
    uint64_t *w0, *w1;
    /* receiver buffers */
    uint8_t *choices, *bc;
    uint64_t *wc;
} ot_bench;

/* Lane share [begin, end) of raw silent COTs into the 16-byte array ctx. */
static sirnn_status silent_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                                void *ctx)
{
    (void)party;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_block *out = (sirnn_block *)ctx + begin;
    if (end == begin)
        return SIRNN_OK;
    if (ol->iknp_send.silent == NULL || ol->iknp_recv.silent == NULL)
        return SIRNN_ERR_STATE;
    /* The server sends (the bench's convention). */
    if (party->role == SIRNN_SERVER)
        return sirnn_silent_send_take(ol->iknp_send.silent, &ol->iknp_send.x, &lane->ch, out,
                                      end - begin);
    return sirnn_silent_recv_take(ol->iknp_recv.silent, &ol->iknp_recv.x, &lane->ch, out,
                                  end - begin);
}

static sirnn_status silent_call(sirnn_party *p, size_t n, sirnn_block *out)
{
    sirnn_status st = sirnn_ot_ensure_setup(p);
    return st == SIRNN_OK ? sirnn_batch_run(p, n, silent_lane, out) : st;
}

/* One call of the kernel by one side over the first n elements. */
static sirnn_status ot_call(ot_bench *b, sirnn_party *p, int sender, size_t n)
{
    switch (b->kern) {
    case KERN_ROT:
        return sender ? sirnn_rot_send(p, n, b->b0, b->b1) : sirnn_rot_recv(p, n, b->choices, b->bc);
    case KERN_DCOT:
        return sender ? sirnn_cot_delta_send(p, n, b->b0, NULL)
                      : sirnn_cot_delta_recv(p, n, b->bc, b->choices);
    case KERN_COT:
        return sender ? sirnn_cot_send(p, n, b->w0, b->w1, b->l)
                      : sirnn_cot_recv(p, n, b->wc, b->choices, b->l);
    case KERN_OT:
        return sender ? sirnn_ot_send(p, n, b->w0, b->w1, b->l)
                      : sirnn_ot_recv(p, n, b->wc, b->choices, b->l);
    case KERN_OT128:
        return sender ? sirnn_ot128_send(p, n, b->b0, b->b1)
                      : sirnn_ot128_recv(p, n, b->bc, b->choices);
    case KERN_POOL_OT:
        return sender ? sirnn_pool_ot_send(p, n, b->w0, b->w1, b->l)
                      : sirnn_pool_ot_recv(p, n, b->wc, b->choices, b->l);
    case KERN_KKOT:
        return sender ? sirnn_kkot_send(p, n, b->w0, b->N, b->l)
                      : sirnn_kkot_recv(p, n, b->wc, b->choices, b->N, b->l);
    case KERN_SILENT:
        return silent_call(p, n, (sirnn_block *)(void *)(sender ? b->b0 : b->bc));
    }
    return SIRNN_ERR_ARG;
}

/* bench_call_fn: role 0 (the server) sends. */
static int ot_bench_call(void *ctx, sirnn_party *party, int role, size_t n)
{
    return ot_call(ctx, party, role == 0, n) == SIRNN_OK ? 0 : 1;
}

static size_t message_count(const ot_bench *b)
{
    return b->kern == KERN_KKOT ? b->n * b->N : b->n;
}

static int alloc_buffers(ot_bench *b)
{
    size_t n = b->n, m = message_count(b);
    b->b0 = malloc(16 * n);
    b->b1 = malloc(16 * n);
    b->bc = malloc(16 * n);
    b->w0 = malloc(8 * m);
    b->w1 = malloc(8 * n);
    b->wc = malloc(8 * n);
    b->choices = malloc(n);
    if (!b->b0 || !b->b1 || !b->bc || !b->w0 || !b->w1 || !b->wc || !b->choices)
        return -1;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < 16 * n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        b->b0[i] = (uint8_t)(x >> 56);
        b->b1[i] = (uint8_t)(x >> 48);
    }
    for (size_t i = 0; i < m; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        b->w0[i] = x;
    }
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        b->w1[i] = x ^ (x >> 29);
        b->choices[i] = (uint8_t)(b->kern == KERN_KKOT ? (x >> 40) % b->N : (x >> 40) & 1);
    }
    return 0;
}

static void free_buffers(ot_bench *b)
{
    free(b->b0);
    free(b->b1);
    free(b->bc);
    free(b->w0);
    free(b->w1);
    free(b->wc);
    free(b->choices);
}

static int run_ot_bench(ot_bench *b, const bench_params *p, bench_result *r)
{
    b->n = p->n;
    int rc = b->n == 0 || alloc_buffers(b) != 0 ? 1 : bench_two_party(p, ot_bench_call, b, r);
    free_buffers(b);
    return rc;
}

static int bench_iknp_rot(const bench_params *p, bench_result *r)
{
    ot_bench b = {.kern = bench_param_int(p, "delta", 0) ? KERN_DCOT : KERN_ROT, .l = 128};
    int rc = run_ot_bench(&b, p, r);
    bench_extra_int(r, "delta", b.kern == KERN_DCOT);
    return rc;
}

static int bench_iknp_cot(const bench_params *p, bench_result *r)
{
    long long l = bench_param_int(p, "l", 16);
    if (l < 1 || l > 64)
        return 1;
    ot_bench b = {.kern = KERN_COT, .l = (unsigned)l};
    int rc = run_ot_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    return rc;
}

static int bench_iknp_ot(const bench_params *p, bench_result *r)
{
    long long l = bench_param_int(p, "l", 128);
    long long pool = bench_param_int(p, "pool", 0);
    if (!(l == 128 && !pool) && (l < 1 || l > 64))
        return 1;
    ot_bench b = {.kern = l == 128 ? KERN_OT128 : pool ? KERN_POOL_OT : KERN_OT,
                  .l = (unsigned)l};
    int rc = run_ot_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "pool", pool != 0);
    return rc;
}

static int bench_kkot(const bench_params *p, bench_result *r)
{
    long long N = bench_param_int(p, "N", 256), l = bench_param_int(p, "l", 8);
    if (N < 2 || N > 256 || l < 1 || l > 64)
        return 1;
    ot_bench b = {.kern = KERN_KKOT, .N = (unsigned)N, .l = (unsigned)l};
    int rc = run_ot_bench(&b, p, r);
    bench_extra_int(r, "N", N);
    bench_extra_int(r, "l", l);
    return rc;
}

static int bench_silent_cot(const bench_params *p, bench_result *r)
{
    /* Always on the silent backend: a copy of the parameters that says so. */
    bench_params q = *p;
    int have = 0;
    for (int i = 0; i < q.nkv; i++)
        if (strcmp(q.key[i], "backend") == 0) {
            if (strcmp(q.val[i], "silent") != 0)
                return 1;
            have = 1;
        }
    if (!have) {
        if (q.nkv >= BENCH_MAX_PARAMS)
            return 1;
        strcpy(q.key[q.nkv], "backend");
        strcpy(q.val[q.nkv], "silent");
        q.nkv++;
    }
    ot_bench b = {.kern = KERN_SILENT, .l = 128};
    return run_ot_bench(&b, &q, r);
}

const bench_kernel bench_group_ot[] = {
    {"iknp_rot", "delta=0|1 (random OT, or Δ-COT)", 1u << 20, bench_iknp_rot},
    {"iknp_cot", "l=16 (additive COT mod 2^l)", 1u << 20, bench_iknp_cot},
    {"iknp_ot", "l=128|1..64 pool=0|1 (chosen 1-of-2 OT)", 1u << 20, bench_iknp_ot},
    {"kkot", "N=256 l=8 (KK13 1-of-N OT)", 1u << 16, bench_kkot},
    {"silent_cot", "backend=silent (raw random COTs of the Ferret engine)", 1u << 22,
     bench_silent_cot},
    {NULL, NULL, 0, NULL},
};
