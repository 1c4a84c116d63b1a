/*
 * Benchmarks of the mixed-bitwidth protocols of arith/: both parties in this
 * process over loopback TCP (the server on this thread, the client on
 * another), one lane each unless threads= says otherwise.
 *
 *   zext, sext    m (default 16), l (default 32), msb_known=0/1
 *   tr            l (default 32), s (default 12)
 *   lrs, ars      l, s, msb_known=0/1
 *   divpow2       l, s, msb_known=0/1
 *   lut           m (index bits, default 8), l (entry bits, default 16); one
 *                 server-held table for the batch
 *   digdec        l (default 32), d (default 8)
 *   msnzb         l (default 32), d (default 8), li (index bits, default l);
 *                 both outputs (one-hot and index)
 *
 * Setup (handshake, base OTs, one warm-up call) is outside the figures.
 * bits_per_op counts both directions over the timed runs; rounds is the sum
 * of both parties' flights in one extra call with n = 1, after both parties
 * exchanged one byte on every lane.
 */
#include "bench/bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/ot.h"
#include "sirnn/party.h"
#include "net/party_internal.h"

typedef enum mixed_kernel {
    K_ZEXT, K_SEXT, K_TR, K_LRS, K_ARS, K_DIV, K_LUT, K_DIGDEC, K_MSNZB
} mixed_kernel;

typedef struct mixed_bench {
    mixed_kernel kern;
    size_t n;
    unsigned m, l, s, d, li, msb_known;
    unsigned threads, runs;
    uint64_t *x[2], *out[2], *table;
    uint8_t *msb[2];
    pthread_barrier_t barrier;
    double *times;
} mixed_bench;

static sirnn_status mixed_call(mixed_bench *b, sirnn_party *p, int r, size_t n)
{
    const uint8_t *mb = b->msb[r];
    switch (b->kern) {
    case K_ZEXT:
        return b->msb_known ? sirnn_zext_msb(p, n, b->out[r], b->x[r], mb, b->m, b->l)
                            : sirnn_zext(p, n, b->out[r], b->x[r], b->m, b->l);
    case K_SEXT:
        return b->msb_known ? sirnn_sext_msb(p, n, b->out[r], b->x[r], mb, b->m, b->l)
                            : sirnn_sext(p, n, b->out[r], b->x[r], b->m, b->l);
    case K_TR:
        return sirnn_tr(p, n, b->out[r], b->x[r], b->l, b->s);
    case K_LRS:
        return b->msb_known ? sirnn_lrs_msb(p, n, b->out[r], b->x[r], mb, b->l, b->s)
                            : sirnn_lrs(p, n, b->out[r], b->x[r], b->l, b->s);
    case K_ARS:
        return b->msb_known ? sirnn_ars_msb(p, n, b->out[r], b->x[r], mb, b->l, b->s)
                            : sirnn_ars(p, n, b->out[r], b->x[r], b->l, b->s);
    case K_DIV:
        return b->msb_known ? sirnn_divpow2_msb(p, n, b->out[r], b->x[r], mb, b->l, b->s)
                            : sirnn_divpow2(p, n, b->out[r], b->x[r], b->l, b->s);
    case K_LUT:
        return sirnn_lut(p, n, b->out[r], b->x[r], r == 0 ? b->table : NULL,
                         r == 0 ? (size_t)1 << b->m : 0, b->m, b->l);
    case K_DIGDEC:
        return sirnn_digdec(p, n, b->out[r], b->x[r], b->l, b->d);
    case K_MSNZB:
        return sirnn_msnzb(p, n, b->msb[r], b->out[r], b->x[r], b->l, b->d, b->li);
    }
    return SIRNN_ERR_ARG;
}

typedef struct side_arg {
    mixed_bench *b;
    sirnn_party *p;
    int r;
    sirnn_stats stats[3];
    sirnn_status st;
} side_arg;

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

static void *mixed_side(void *arg)
{
    side_arg *a = arg;
    mixed_bench *b = a->b;
    sirnn_status st = sirnn_ot_setup(a->p);
    if (st == SIRNN_OK)
        st = mixed_call(b, a->p, a->r, b->n);
    sirnn_party_stats(a->p, &a->stats[0]);
    for (unsigned run = 0; run < b->runs; run++) {
        pthread_barrier_wait(&b->barrier);
        double t0 = bench_now_ns();
        if (st == SIRNN_OK)
            st = mixed_call(b, a->p, a->r, b->n);
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
        st = mixed_call(b, a->p, a->r, 1);
    sirnn_party_stats(a->p, &a->stats[2]);
    a->st = st;
    return NULL;
}

static void free_buffers(mixed_bench *b)
{
    for (int r = 0; r < 2; r++) {
        free(b->x[r]);
        free(b->out[r]);
        free(b->msb[r]);
    }
    free(b->table);
    free(b->times);
}

static int alloc_buffers(mixed_bench *b)
{
    const size_t n = b->n;
    const size_t outs = b->kern == K_DIGDEC ? (b->l + b->d - 1) / b->d : 1;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    b->times = calloc(b->runs, sizeof(double));
    b->table = calloc((size_t)1 << (b->m <= 8 ? b->m : 1), sizeof(uint64_t));
    if (b->times == NULL || b->table == NULL)
        return -1;
    for (int r = 0; r < 2; r++) {
        b->x[r] = malloc(n * sizeof(uint64_t));
        b->out[r] = malloc(n * outs * sizeof(uint64_t));
        b->msb[r] = malloc(b->kern == K_MSNZB ? n * b->l : n);
        if (!b->x[r] || !b->out[r] || !b->msb[r])
            return -1;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            b->x[r][i] = s ^ (s >> 31);
            b->msb[r][i] = (uint8_t)((s >> 40) & 1);
        }
    }
    for (size_t i = 0; b->m <= 8 && i < ((size_t)1 << b->m); i++)
        b->table[i] = i * 0x9e3779b97f4a7c15ULL;
    return 0;
}

static int run_mixed_bench(mixed_bench *b, const bench_params *p, bench_result *r)
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
    if (pthread_create(&th, NULL, mixed_side, &s1) != 0) {
        rc = 3;
    } else {
        mixed_side(&s0);
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

static int bench_ext(const bench_params *p, bench_result *r, mixed_kernel k)
{
    const long long m = bench_param_int(p, "m", 16), l = bench_param_int(p, "l", 32);
    const long long mk = bench_param_int(p, "msb_known", 0);
    if (m < 1 || l > 64 || m >= l)
        return 1;
    mixed_bench b = {.kern = k, .m = (unsigned)m, .l = (unsigned)l, .msb_known = mk != 0};
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "m", m);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "msb_known", mk != 0);
    return rc;
}

static int bench_zext(const bench_params *p, bench_result *r)
{
    return bench_ext(p, r, K_ZEXT);
}

static int bench_sext(const bench_params *p, bench_result *r)
{
    return bench_ext(p, r, K_SEXT);
}

static int bench_shift(const bench_params *p, bench_result *r, mixed_kernel k, int with_msb)
{
    const long long l = bench_param_int(p, "l", 32), s = bench_param_int(p, "s", 12);
    const long long mk = with_msb ? bench_param_int(p, "msb_known", 0) : 0;
    if (l < 1 || l > 64 || s < 0 || s > l || (k == K_TR && s == l))
        return 1;
    mixed_bench b = {.kern = k, .l = (unsigned)l, .s = (unsigned)s, .msb_known = mk != 0};
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "s", s);
    if (with_msb)
        bench_extra_int(r, "msb_known", mk != 0);
    return rc;
}

static int bench_tr(const bench_params *p, bench_result *r)
{
    return bench_shift(p, r, K_TR, 0);
}

static int bench_lrs(const bench_params *p, bench_result *r)
{
    return bench_shift(p, r, K_LRS, 1);
}

static int bench_ars(const bench_params *p, bench_result *r)
{
    return bench_shift(p, r, K_ARS, 1);
}

static int bench_divpow2(const bench_params *p, bench_result *r)
{
    return bench_shift(p, r, K_DIV, 1);
}

static int bench_lut(const bench_params *p, bench_result *r)
{
    const long long m = bench_param_int(p, "m", 8), l = bench_param_int(p, "l", 16);
    if (m < 1 || m > 8 || l < 1 || l > 64)
        return 1;
    mixed_bench b = {.kern = K_LUT, .m = (unsigned)m, .l = (unsigned)l};
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "m", m);
    bench_extra_int(r, "l", l);
    return rc;
}

static int bench_digdec(const bench_params *p, bench_result *r)
{
    const long long l = bench_param_int(p, "l", 32), d = bench_param_int(p, "d", 8);
    if (l < 1 || l > 64 || d < 1 || d > 64)
        return 1;
    mixed_bench b = {.kern = K_DIGDEC, .l = (unsigned)l, .d = (unsigned)d};
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "d", d);
    return rc;
}

static int bench_msnzb(const bench_params *p, bench_result *r)
{
    const long long l = bench_param_int(p, "l", 32), d = bench_param_int(p, "d", 8);
    const long long li = bench_param_int(p, "li", l);
    if (l < 1 || l > 64 || d < 1 || d > 8 || li < 1 || li > 64)
        return 1;
    mixed_bench b = {.kern = K_MSNZB, .l = (unsigned)l, .d = (unsigned)d, .li = (unsigned)li};
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "d", d);
    bench_extra_int(r, "li", li);
    return rc;
}

const bench_kernel bench_group_mixed[] = {
    {"zext", "m=16 l=32 msb_known=0", (size_t)1 << 20, bench_zext},
    {"sext", "m=16 l=32 msb_known=0", (size_t)1 << 20, bench_sext},
    {"tr", "l=32 s=12", (size_t)1 << 20, bench_tr},
    {"lrs", "l=32 s=12 msb_known=0", (size_t)1 << 20, bench_lrs},
    {"ars", "l=32 s=12 msb_known=0", (size_t)1 << 20, bench_ars},
    {"divpow2", "l=32 s=12 msb_known=0", (size_t)1 << 20, bench_divpow2},
    {"lut", "m=8 l=16 (one server-held table)", (size_t)1 << 20, bench_lut},
    {"digdec", "l=32 d=8", (size_t)1 << 20, bench_digdec},
    {"msnzb", "l=32 d=8 li=32 (one-hot and index)", (size_t)1 << 20, bench_msnzb},
    {NULL, NULL, 0, NULL},
};
