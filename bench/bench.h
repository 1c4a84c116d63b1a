/*
 * sirnn-bench: one driver, a file per kernel family.
 *
 * A kernel is a function that runs its measurement and fills a
 * bench_result. The driver prints one JSON object per line with the fixed
 * fields (kernel, n, threads, isa, net, ns_per_op, ops_per_s, bits_per_op,
 * rounds) followed by the kernel's own fields (its parameters, extra
 * figures).
 *
 * Parameters come as key=value words on the command line; n, threads, runs
 * and the link (net=lan|wan|loopback|RTT_MS:MBIT, rtt_ms=, mbit=) are
 * common to all kernels, backend= and ot_k= to the two-party ones; any other
 * key must appear as `key=` in the kernel's help text, or the point is
 * refused. Timing uses the median of at least 3 runs.
 */
#ifndef SIRNN_BENCH_H
#define SIRNN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sirnn/party.h"

#define BENCH_MAX_PARAMS 16

typedef struct bench_params {
    size_t n;          /* elements (or blocks / bytes, as the kernel says) */
    unsigned threads;  /* lanes per party */
    unsigned runs;     /* timed repetitions (>= 3) */
    sirnn_link link;   /* the emulated link of two-party kernels (net=, rtt_ms=, mbit=);
                          the zero link is loopback */
    unsigned link_keys; /* which of net= (1), rtt_ms= (2), mbit= (4) were given */
    int nkv;
    char key[BENCH_MAX_PARAMS][32];
    char val[BENCH_MAX_PARAMS][64];
} bench_params;

typedef struct bench_result {
    double ns_per_op;   /* median over runs */
    double bits_per_op; /* both directions, setup excluded; 0 for local kernels */
    double rounds;      /* flights of both parties, summed, in one call at the
                         * benchmarked n (a flight is all the sends of one party
                         * between two of its receives, as in the README); 0 for
                         * local kernels */
    int net_applied;    /* set by kernels that ran over p->link (bench_two_party) */
    char extra[512];    /* extra JSON fields, each starting with ',' */
} bench_result;

typedef int (*bench_fn)(const bench_params *p, bench_result *r);

typedef struct bench_kernel {
    const char *name;
    const char *help;    /* parameters, e.g. "l=16" */
    size_t default_n;
    bench_fn fn;
} bench_kernel;

/* Kernel groups; each bench_*.c file defines one, terminated by {NULL}. */
extern const bench_kernel bench_group_crypto[]; /* aes, prg, crhash */
extern const bench_kernel bench_group_bits[];   /* transpose */
extern const bench_kernel bench_group_net[];    /* channel */
extern const bench_kernel bench_group_ot[];     /* iknp_rot, iknp_cot, iknp_ot, kkot */
extern const bench_kernel bench_group_arith[];  /* millionaire, eq, wrap, msb, b2a, mux, and, relu */
extern const bench_kernel bench_group_mult[];   /* mult, matmul */
extern const bench_kernel bench_group_mixed[];  /* zext, sext, tr, lrs, ars, divpow2, lut, digdec */
extern const bench_kernel bench_group_math_div[]; /* recip, div, rsqrt */
extern const bench_kernel bench_group_math_exp[]; /* exp, sigmoid, tanh */
extern const bench_kernel bench_group_group[];  /* group */
extern const bench_kernel bench_group_nn[];     /* fastgrnn, rnnpool */

/* Helpers. */
double bench_now_ns(void);
/* The length of a timed region that started at bench_now_ns() == t0; every
 * kernel ends its timed regions with it so that a planted slowdown applies
 * (bench/bench_slow.c). */
double bench_elapsed_ns(double t0);
/* Arms the planted slowdown of SIRNN_BENCH_SLOW=KERNEL[:FACTOR] if it names
 * this kernel; -1 (with a message) if the variable is malformed. */
int bench_slow_select(const char *kernel);
double bench_median(double *v, unsigned n); /* sorts v */
long long bench_param_int(const bench_params *p, const char *key, long long def);
/* Append `,"key":value` to r->extra. */
void bench_extra_int(bench_result *r, const char *key, long long v);
void bench_extra_double(bench_result *r, const char *key, double v);

/* Two parties in this process over loopback TCP (the listener on an
 * ephemeral port, accepted on a helper thread). cfg->link, if any, is
 * applied on the client's lanes only (once per lane). Returns 0 on success. */
struct sirnn_party;
struct sirnn_config;
int bench_tcp_pair(struct sirnn_party **server, struct sirnn_party **client,
                   const struct sirnn_config *cfg);
/*
 * The standard two-party measurement (bench/bench_2pc.c): a loopback TCP
 * pair with p->threads lanes over p->link, a warm-up call, p->runs timed
 * calls of n elements (median), bits over the timed calls, and rounds: the
 * flights of one timed call (both parties). Also reports setup_ms (session
 * setup: connect, handshake, base OTs) and cold_ms (setup plus the first
 * call on the fresh session). call() runs one protocol call for the party
 * of `role` (0 server, 1 client) on its own arrays in ctx. Returns 0 on
 * success.
 */
typedef int (*bench_call_fn)(void *ctx, struct sirnn_party *party, int role, size_t n);
int bench_two_party(const bench_params *p, bench_call_fn call, void *ctx, bench_result *r);

/* The generic OT parameters of every two-party kernel, applied to a config
 * (absent: the library default): backend=iknp|softspoken and ot_k=K (the
 * SoftSpoken block size; ot_k alone picks SoftSpoken, or IKNP for K = 1).
 * Returns 0, or -1 for an unknown backend name. bench_ot_k gives the block
 * size a config runs with (1 for IKNP), reported as the extra field ot_k. */
int bench_apply_ot_params(const bench_params *p, struct sirnn_config *cfg);
unsigned bench_ot_k(const struct sirnn_config *cfg);

/* The extras of a math-function point: its formats and the error of its
 * outputs against the exact function, in output ULPs. */
void bench_extra_math(bench_result *r, long long bits_in, long long scale_in,
                      long long bits_out, long long scale_out, double max_ulp,
                      double mean_ulp);

/* Run fn0(arg0) here and fn1(arg1) on a new thread; 0 if both returned 0. */
int bench_run2(int (*fn0)(void *), void *arg0, int (*fn1)(void *), void *arg1);

#endif /* SIRNN_BENCH_H */
