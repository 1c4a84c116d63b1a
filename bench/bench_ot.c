/*
 * OT benchmarks. Both parties run in this process over loopback TCP, the
 * server (sirnn_party_accept) on one thread and the client
 * (sirnn_party_connect) on another; the server is the OT sender.
 *
 *   iknp_rot   random OT, 128-bit messages; delta=1 runs Δ-COT instead
 *   iknp_cot   l-bit additive COT with chosen choice bits (l, default 16)
 *   iknp_ot    chosen 1-of-2 OT (l, default 128); pool=1 (l <= 64) goes
 *              through the random-OT pool
 *   kkot       KK13 1-of-N OT (N default 256, l default 8)
 *
 * Setup (handshake, base OTs, one warm-up call) is outside the figures.
 * Each timed run starts when both threads pass a barrier and stops when both
 * have finished (a second barrier). bits_per_op counts both directions over
 * the timed runs; rounds is the flights of both parties in one extra call
 * with n = 1, after a one-byte message to the client (the first mover).
 * The OT parameters backend= and ot_k= (bench/bench.h) apply to both
 * parties; the extra field ot_k reports the block size (1 = plain IKNP).
 */
#include "bench/bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/ot.h"
#include "sirnn/party.h"
#include "net/party_internal.h"

typedef enum ot_kernel { KERN_ROT, KERN_DCOT, KERN_COT, KERN_OT, KERN_OT128, KERN_POOL_OT,
                         KERN_KKOT } ot_kernel;

typedef struct ot_bench {
    const bench_params *params;
    ot_kernel kern;
    size_t n;
    unsigned l, N;
    unsigned threads, runs;
    /* sender buffers */
    uint8_t *b0, *b1;
    uint64_t *w0, *w1;
    /* receiver buffers */
    uint8_t *choices, *bc;
    uint64_t *wc;
    pthread_barrier_t barrier;
    sirnn_listener *lst;
    sirnn_party *srv;
    sirnn_status srv_status;
    double *times;
} ot_bench;

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
    }
    return SIRNN_ERR_ARG;
}

/* One party's thread: setup and a warm-up call, the timed runs, then the
 * n = 1 call for rounds. Each side reads its own counters: stats[0] before
 * the timed runs, stats[1] after them, stats[2] after the n = 1 call. The
 * sender's thread records the times. */
typedef struct side_arg {
    ot_bench *b;
    sirnn_party *p;
    int sender;
    sirnn_stats stats[3];
    sirnn_status st;
} side_arg;

/* One byte from the server to the client on every lane. Every OT protocol
 * here starts with the receiver (the client) sending, and the client has
 * just received, so the call's first flight counts as a new one. */
static sirnn_status lane_sync(sirnn_party *p, int server)
{
    uint8_t byte = 0;
    for (unsigned i = 0; i < p->nlanes; i++) {
        sirnn_channel *ch = &p->lanes[i].ch;
        sirnn_status st = server ? sirnn_channel_send(ch, &byte, 1) : sirnn_channel_recv(ch, &byte, 1);
        if (st == SIRNN_OK && server)
            st = sirnn_channel_flush(ch);
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

static void *ot_side(void *arg)
{
    side_arg *a = arg;
    ot_bench *b = a->b;
    sirnn_status st = sirnn_ot_setup(a->p);
    if (st == SIRNN_OK)
        st = ot_call(b, a->p, a->sender, b->n);
    sirnn_party_stats(a->p, &a->stats[0]);
    for (unsigned run = 0; run < b->runs; run++) {
        pthread_barrier_wait(&b->barrier);
        double t0 = bench_now_ns();
        if (st == SIRNN_OK)
            st = ot_call(b, a->p, a->sender, b->n);
        pthread_barrier_wait(&b->barrier);
        if (a->sender)
            b->times[run] = bench_now_ns() - t0;
    }
    sirnn_party_stats(a->p, &a->stats[1]);
    pthread_barrier_wait(&b->barrier);
    if (st == SIRNN_OK)
        st = lane_sync(a->p, a->sender);
    sirnn_stats synced;
    sirnn_party_stats(a->p, &synced);
    a->stats[1].flights = synced.flights;
    if (st == SIRNN_OK)
        st = ot_call(b, a->p, a->sender, 1);
    sirnn_party_stats(a->p, &a->stats[2]);
    a->st = st;
    return NULL;
}

static sirnn_config bench_config(const ot_bench *b)
{
    sirnn_config cfg = sirnn_config_default();
    cfg.threads = b->threads;
    cfg.timeout_ms = 120000;
    if (bench_apply_ot_params(b->params, &cfg) != 0)
        cfg.ot_backend = (sirnn_ot_backend)-1; /* refused by the constructors */
    return cfg;
}

static void *server_main(void *arg)
{
    ot_bench *b = arg;
    sirnn_config cfg = bench_config(b);
    b->srv_status = sirnn_party_accept(&b->srv, b->lst, &cfg);
    return NULL;
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
    b->times = calloc(b->runs, sizeof(double));
    if (!b->b0 || !b->b1 || !b->bc || !b->w0 || !b->w1 || !b->wc || !b->choices || !b->times)
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
    free(b->times);
}

static int run_ot_bench(ot_bench *b, const bench_params *p, bench_result *r)
{
    b->params = p;
    b->n = p->n;
    b->threads = p->threads;
    b->runs = p->runs;
    if (b->n == 0 || alloc_buffers(b) != 0) {
        free_buffers(b);
        return 1;
    }
    int rc = 0;
    sirnn_party *cli = NULL;
    pthread_t th;
    if (sirnn_listener_open(&b->lst, NULL, 0) != SIRNN_OK) {
        free_buffers(b);
        return 2;
    }
    sirnn_config cfg = bench_config(b);
    if (pthread_create(&th, NULL, server_main, b) != 0) {
        sirnn_listener_close(b->lst);
        free_buffers(b);
        return 3;
    }
    sirnn_status cst = sirnn_party_connect(&cli, "127.0.0.1", sirnn_listener_port(b->lst), &cfg);
    pthread_join(th, NULL);
    sirnn_listener_close(b->lst);
    if (cst != SIRNN_OK || b->srv_status != SIRNN_OK) {
        sirnn_party_free(cli);
        sirnn_party_free(b->srv);
        free_buffers(b);
        return 4;
    }
    pthread_barrier_init(&b->barrier, NULL, 2);
    side_arg srv = {.b = b, .p = b->srv, .sender = 1}, cl = {.b = b, .p = cli, .sender = 0};
    if (pthread_create(&th, NULL, ot_side, &cl) != 0) {
        rc = 5;
    } else {
        ot_side(&srv);
        pthread_join(th, NULL);
        if (srv.st != SIRNN_OK || cl.st != SIRNN_OK)
            rc = 6;
    }
    if (rc == 0) {
        double ops = (double)b->n * b->runs;
        uint64_t bytes = (srv.stats[1].bytes_sent - srv.stats[0].bytes_sent) +
                         (cl.stats[1].bytes_sent - cl.stats[0].bytes_sent);
        r->ns_per_op = bench_median(b->times, b->runs) / (double)b->n;
        r->bits_per_op = 8.0 * (double)bytes / ops;
        r->rounds = (double)((srv.stats[2].flights - srv.stats[1].flights) +
                             (cl.stats[2].flights - cl.stats[1].flights));
        bench_extra_int(r, "ot_k", bench_ot_k(&cfg));
    }
    pthread_barrier_destroy(&b->barrier);
    sirnn_party_free(cli);
    sirnn_party_free(b->srv);
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

const bench_kernel bench_group_ot[] = {
    {"iknp_rot", "delta=0|1 (random OT, or Δ-COT)", 1u << 20, bench_iknp_rot},
    {"iknp_cot", "l=16 (additive COT mod 2^l)", 1u << 20, bench_iknp_cot},
    {"iknp_ot", "l=128|1..64 pool=0|1 (chosen 1-of-2 OT)", 1u << 20, bench_iknp_ot},
    {"kkot", "N=256 l=8 (KK13 1-of-N OT)", 1u << 16, bench_kkot},
    {NULL, NULL, 0, NULL},
};
