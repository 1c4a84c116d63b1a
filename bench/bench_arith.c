/*
 * Benchmarks of arith/: both parties in this process over loopback TCP,
 * the server (party 0) on one thread and the client on another.
 *
 *   millionaire  l (default 32), m (leaf size, default 4), eq=1 also
 *                computes equality; party 0 holds x, party 1 holds y
 *   eq           l (default 32), m (default 4)
 *   wrap, msb    l (default 32), on a shared l-bit value
 *   b2a, mux     l (default 32)
 *   and          (bits)
 *   relu         l (default 32)
 *
 * Setup (handshake, base OTs, one warm-up call) is outside the figures.
 * Each timed run starts when both threads pass a barrier and stops when
 * both have finished. bits_per_op counts both directions over the timed
 * runs; rounds is the flights of both parties in one extra call with
 * n = 1, after both parties exchanged one byte (so that each party's first
 * send of the call starts a new flight).
 */
#include "bench/bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/ot.h"
#include "sirnn/party.h"
#include "net/party_internal.h"

typedef enum arith_kernel { K_MILL, K_EQ, K_WRAP, K_MSB, K_B2A, K_MUX, K_AND, K_RELU } arith_kernel;

typedef struct arith_bench {
    arith_kernel kern;
    size_t n;
    unsigned l, m, eq;
    unsigned threads, runs;
    uint64_t *x[2], *out[2];
    uint8_t *a[2], *b[2], *o[2], *e[2];
    pthread_barrier_t barrier;
    double *times;
} arith_bench;

static sirnn_status arith_call(arith_bench *b, sirnn_party *p, int r, size_t n)
{
    switch (b->kern) {
    case K_MILL:
        return sirnn_millionaire(p, n, b->o[r], b->eq ? b->e[r] : NULL, b->x[r], b->l, b->m,
                                 SIRNN_CMP_LT);
    case K_EQ:
        return sirnn_eq(p, n, b->e[r], b->x[r], b->l, b->m);
    case K_WRAP:
        return sirnn_wrap(p, n, b->o[r], b->x[r], b->l);
    case K_MSB:
        return sirnn_msb(p, n, b->o[r], b->x[r], b->l);
    case K_B2A:
        return sirnn_b2a(p, n, b->out[r], b->a[r], b->l);
    case K_MUX:
        return sirnn_mux(p, n, b->out[r], b->a[r], b->x[r], b->l);
    case K_AND:
        return sirnn_and(p, n, b->o[r], b->a[r], b->b[r]);
    case K_RELU:
        return sirnn_relu(p, n, b->out[r], NULL, b->x[r], b->l);
    }
    return SIRNN_ERR_ARG;
}

typedef struct side_arg {
    arith_bench *b;
    sirnn_party *p;
    int r;
    sirnn_stats stats[3];
    sirnn_status st;
} side_arg;

/* Both parties send one byte, then receive the peer's, on every lane. */
static sirnn_status lane_sync(sirnn_party *p)
{
    uint8_t byte = 0;
    for (unsigned i = 0; i < p->nlanes; i++) {
        sirnn_channel *ch = &p->lanes[i].ch;
        sirnn_status st = sirnn_channel_send(ch, &byte, 1);
        if (st == SIRNN_OK)
            st = sirnn_channel_recv(ch, &byte, 1);
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

static void *arith_side(void *arg)
{
    side_arg *a = arg;
    arith_bench *b = a->b;
    sirnn_status st = sirnn_ot_setup(a->p);
    if (st == SIRNN_OK)
        st = arith_call(b, a->p, a->r, b->n);
    sirnn_party_stats(a->p, &a->stats[0]);
    for (unsigned run = 0; run < b->runs; run++) {
        pthread_barrier_wait(&b->barrier);
        double t0 = bench_now_ns();
        if (st == SIRNN_OK)
            st = arith_call(b, a->p, a->r, b->n);
        pthread_barrier_wait(&b->barrier);
        if (a->r == 0)
            b->times[run] = bench_now_ns() - t0;
    }
    sirnn_party_stats(a->p, &a->stats[1]);
    if (st == SIRNN_OK)
        st = lane_sync(a->p);
    sirnn_stats synced;
    sirnn_party_stats(a->p, &synced);
    a->stats[1].flights = synced.flights;
    if (st == SIRNN_OK)
        st = arith_call(b, a->p, a->r, 1);
    sirnn_party_stats(a->p, &a->stats[2]);
    a->st = st;
    return NULL;
}

static void free_buffers(arith_bench *b)
{
    for (int r = 0; r < 2; r++) {
        free(b->x[r]);
        free(b->out[r]);
        free(b->a[r]);
        free(b->b[r]);
        free(b->o[r]);
        free(b->e[r]);
    }
    free(b->times);
}

static int alloc_buffers(arith_bench *b)
{
    const size_t n = b->n;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    b->times = calloc(b->runs, sizeof(double));
    for (int r = 0; r < 2; r++) {
        b->x[r] = malloc(n * sizeof(uint64_t));
        b->out[r] = malloc(n * sizeof(uint64_t));
        b->a[r] = malloc(n);
        b->b[r] = malloc(n);
        b->o[r] = malloc(n);
        b->e[r] = malloc(n);
        if (!b->x[r] || !b->out[r] || !b->a[r] || !b->b[r] || !b->o[r] || !b->e[r] || !b->times)
            return -1;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            b->x[r][i] = (s ^ (s >> 31)) & (b->l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << b->l) - 1);
            b->a[r][i] = (uint8_t)((s >> 40) & 1);
            b->b[r][i] = (uint8_t)((s >> 41) & 1);
        }
    }
    return 0;
}

typedef struct accept_arg {
    arith_bench *b;
    sirnn_party *srv, *cli;
} accept_arg;

static int run_arith_bench(arith_bench *b, const bench_params *p, bench_result *r)
{
    b->n = p->n;
    b->threads = p->threads;
    b->runs = p->runs;
    if (b->n == 0 || alloc_buffers(b) != 0) {
        free_buffers(b);
        return 1;
    }
    sirnn_config cfg = sirnn_config_default();
    cfg.threads = b->threads;
    cfg.timeout_ms = 300000;
    sirnn_party *srv = NULL, *cli = NULL;
    if (bench_tcp_pair(&srv, &cli, &cfg) != 0) {
        free_buffers(b);
        return 2;
    }
    int rc = 0;
    pthread_t th;
    pthread_barrier_init(&b->barrier, NULL, 2);
    side_arg s0 = {.b = b, .p = srv, .r = 0}, s1 = {.b = b, .p = cli, .r = 1};
    if (pthread_create(&th, NULL, arith_side, &s1) != 0) {
        rc = 3;
    } else {
        arith_side(&s0);
        pthread_join(th, NULL);
        if (s0.st != SIRNN_OK || s1.st != SIRNN_OK)
            rc = 4;
    }
    if (rc == 0) {
        const double ops = (double)b->n * b->runs;
        const uint64_t bytes = (s0.stats[1].bytes_sent - s0.stats[0].bytes_sent) +
                               (s1.stats[1].bytes_sent - s1.stats[0].bytes_sent);
        r->ns_per_op = bench_median(b->times, b->runs) / (double)b->n;
        r->bits_per_op = 8.0 * (double)bytes / ops;
        r->rounds = (double)((s0.stats[2].flights - s0.stats[1].flights) +
                             (s1.stats[2].flights - s1.stats[1].flights));
    }
    pthread_barrier_destroy(&b->barrier);
    sirnn_party_free(srv);
    sirnn_party_free(cli);
    free_buffers(b);
    return rc;
}

static int bench_kernel_l(const bench_params *p, bench_result *r, arith_kernel kern,
                          int with_m)
{
    const long long l = bench_param_int(p, "l", 32);
    const long long m = bench_param_int(p, "m", 4);
    const long long eq = bench_param_int(p, "eq", 0);
    if (l < 1 || l > 64 || m < 1 || m > 8)
        return 1;
    arith_bench b = {.kern = kern, .l = (unsigned)l, .m = (unsigned)m, .eq = eq != 0};
    int rc = run_arith_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    if (with_m)
        bench_extra_int(r, "m", m);
    if (kern == K_MILL)
        bench_extra_int(r, "eq", eq != 0);
    return rc;
}

static int bench_millionaire(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_MILL, 1);
}

static int bench_eq(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_EQ, 1);
}

static int bench_wrap(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_WRAP, 0);
}

static int bench_msb(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_MSB, 0);
}

static int bench_b2a(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_B2A, 0);
}

static int bench_mux(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_MUX, 0);
}

static int bench_relu(const bench_params *p, bench_result *r)
{
    return bench_kernel_l(p, r, K_RELU, 0);
}

static int bench_and(const bench_params *p, bench_result *r)
{
    arith_bench b = {.kern = K_AND, .l = 1};
    return run_arith_bench(&b, p, r);
}

const bench_kernel bench_group_arith[] = {
    {"millionaire", "l=32 m=4 eq=0 (party 0 x, party 1 y)", (size_t)1 << 20, bench_millionaire},
    {"eq", "l=32 m=4", (size_t)1 << 20, bench_eq},
    {"wrap", "l=32", (size_t)1 << 20, bench_wrap},
    {"msb", "l=32", (size_t)1 << 20, bench_msb},
    {"b2a", "l=32", (size_t)1 << 20, bench_b2a},
    {"mux", "l=32", (size_t)1 << 20, bench_mux},
    {"and", "", (size_t)1 << 20, bench_and},
    {"relu", "l=32", (size_t)1 << 20, bench_relu},
    {NULL, NULL, 0, NULL},
};
