/*
 * The shared two-party measurement: both parties in this process over
 * loopback TCP, the server (party 0) on this thread and the client on a
 * second one.
 *
 * Setup (handshake, base OTs, one warm-up call) is outside the figures
 * ns_per_op, bits_per_op and rounds; setup_ms and cold_ms report it. Each
 * timed run starts when both threads pass a barrier and stops when both
 * have finished; ns_per_op is the median run over n. bits_per_op counts both
 * directions over the timed runs. rounds is the flights of both parties in
 * one timed call at the benchmarked n (the most of any run; they are
 * deterministic), each run preceded, outside the timing, by a one-byte
 * exchange on every lane so that the call's first send starts a new flight.
 * The OT parameters backend= and ot_k= apply to both parties; the link
 * (net=) to the client's lanes, so each flight crosses it once.
 */
#include "bench/bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/party.h"
#include "net/party_internal.h"

int bench_apply_ot_params(const bench_params *p, sirnn_config *cfg)
{
    int have_backend = 0;
    for (int i = 0; i < p->nkv; i++) {
        if (strcmp(p->key[i], "backend") != 0)
            continue;
        if (strcmp(p->val[i], "iknp") == 0)
            cfg->ot_backend = SIRNN_OT_IKNP;
        else if (strcmp(p->val[i], "softspoken") == 0)
            cfg->ot_backend = SIRNN_OT_SOFTSPOKEN;
        else if (strcmp(p->val[i], "silent") == 0)
            cfg->ot_backend = SIRNN_OT_SILENT;
        else
            return -1;
        have_backend = 1;
    }
    long long k = bench_param_int(p, "ot_k", -1);
    if (k >= 0) {
        /* Out-of-range values reach the constructor, which refuses them. */
        cfg->ot_k = k > 1000 ? 1000u : (unsigned)k;
        if (!have_backend)
            cfg->ot_backend = k == 1 ? SIRNN_OT_IKNP : SIRNN_OT_SOFTSPOKEN;
    }
    return 0;
}

unsigned bench_ot_k(const sirnn_config *cfg)
{
    return cfg->ot_backend != SIRNN_OT_IKNP ? cfg->ot_k : 1;
}

typedef struct two_party_run {
    const bench_params *params;
    bench_call_fn call;
    void *ctx;
    pthread_barrier_t barrier;
    double *times;
    double first_ns; /* the first call on the fresh session */
} two_party_run;

typedef struct side {
    two_party_run *run;
    sirnn_party *party;
    int role;
    uint64_t bytes;    /* sent over the timed calls */
    uint64_t *flights; /* per timed call */
    int st;
} side;

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

/* One call of both parties between two barriers; returns its time on the
 * server's side. */
static double timed_call(side *s, int *st)
{
    two_party_run *run = s->run;
    pthread_barrier_wait(&run->barrier);
    double t0 = bench_now_ns();
    if (*st == 0)
        *st = run->call(run->ctx, s->party, s->role, run->params->n);
    pthread_barrier_wait(&run->barrier);
    return bench_elapsed_ns(t0); /* SIRNN_BENCH_SLOW plants its delay here */
}

static void *side_main(void *arg)
{
    side *s = arg;
    two_party_run *run = s->run;
    int st = 0;
    double first = timed_call(s, &st); /* the warm-up, on the fresh session */
    if (s->role == 0)
        run->first_ns = first;
    for (unsigned i = 0; i < run->params->runs; i++) {
        /* A sync outside the timing, so that the call's first send starts a
         * new flight and its flights can be counted alone. */
        if (st == 0)
            st = lane_sync(s->party);
        sirnn_stats before, after;
        sirnn_party_stats(s->party, &before);
        double t = timed_call(s, &st);
        sirnn_party_stats(s->party, &after);
        if (s->role == 0)
            run->times[i] = t;
        s->bytes += after.bytes_sent - before.bytes_sent;
        s->flights[i] = after.flights - before.flights;
    }
    s->st = st;
    return NULL;
}

int bench_two_party(const bench_params *p, bench_call_fn call, void *ctx, bench_result *r)
{
    if (p->n == 0 || p->runs == 0)
        return 1;
    two_party_run run = {.params = p, .call = call, .ctx = ctx};
    run.times = calloc(p->runs, sizeof(double));
    uint64_t *flights = calloc(2 * (size_t)p->runs, sizeof(uint64_t));
    if (run.times == NULL || flights == NULL) {
        free(run.times);
        free(flights);
        return 1;
    }
    sirnn_config cfg = sirnn_config_default();
    cfg.threads = p->threads;
    cfg.timeout_ms = 300000;
    cfg.link = p->link;
    sirnn_party *srv = NULL, *cli = NULL;
    const double setup_t0 = bench_now_ns();
    if (bench_apply_ot_params(p, &cfg) != 0 || bench_tcp_pair(&srv, &cli, &cfg) != 0) {
        free(run.times);
        free(flights);
        return 2;
    }
    const double setup_ns = bench_now_ns() - setup_t0;
    int rc = 0;
    pthread_t th;
    pthread_barrier_init(&run.barrier, NULL, 2);
    side s0 = {.run = &run, .party = srv, .role = 0, .flights = flights};
    side s1 = {.run = &run, .party = cli, .role = 1, .flights = flights + p->runs};
    if (pthread_create(&th, NULL, side_main, &s1) != 0) {
        rc = 3;
    } else {
        side_main(&s0);
        pthread_join(th, NULL);
        if (s0.st != 0 || s1.st != 0)
            rc = 4;
    }
    if (rc == 0) {
        const double ops = (double)p->n * p->runs;
        uint64_t most = 0;
        for (unsigned i = 0; i < p->runs; i++)
            if (s0.flights[i] + s1.flights[i] > most)
                most = s0.flights[i] + s1.flights[i];
        r->ns_per_op = bench_median(run.times, p->runs) / (double)p->n;
        r->bits_per_op = 8.0 * (double)(s0.bytes + s1.bytes) / ops;
        r->rounds = (double)most;
        r->net_applied = 1;
        bench_extra_int(r, "ot_k", bench_ot_k(&cfg));
        if (cfg.ot_backend == SIRNN_OT_SILENT)
            bench_extra_int(r, "silent", 1);
        bench_extra_double(r, "setup_ms", setup_ns / 1e6);
        bench_extra_double(r, "cold_ms", (setup_ns + run.first_ns) / 1e6);
    }
    pthread_barrier_destroy(&run.barrier);
    sirnn_party_free(srv);
    sirnn_party_free(cli);
    free(run.times);
    free(flights);
    return rc;
}
