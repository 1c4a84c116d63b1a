/*
 * sirnn-bench: the benchmark driver.
 *
 *   sirnn-bench --list
 *   sirnn-bench KERNEL [n=N] [threads=T] [runs=R] [net=PROFILE] [key=value ...]
 *                                  net=lan|wan|loopback|RTT_MS:MBIT (or rtt_ms=, mbit=):
 *                                  two-party kernels over an emulated link
 *   sirnn-bench --all              every kernel at its default parameters
 *   sirnn-bench --check FILE       run every point of a baseline file; fail if
 *                                  bits_per_op or rounds grew
 *
 * Output: one JSON object per line on stdout.
 */
#include "bench/bench.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include "sirnn/sirnn.h"
#include "net/shape.h"

static const bench_kernel *const k_groups[] = {bench_group_crypto, bench_group_bits,
                                               bench_group_net,    bench_group_ot,
                                               bench_group_arith,  bench_group_mult,
                                               bench_group_mixed,  bench_group_math_div,
                                               bench_group_math_exp, bench_group_group,
                                               bench_group_nn};

double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, unsigned n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

long long bench_param_int(const bench_params *p, const char *key, long long def)
{
    for (int i = 0; i < p->nkv; i++)
        if (strcmp(p->key[i], key) == 0)
            return strtoll(p->val[i], NULL, 0);
    return def;
}

static void extra_append(bench_result *r, const char *fmt, const char *key, double v, long long iv,
                         int is_int)
{
    size_t len = strlen(r->extra);
    if (len >= sizeof(r->extra) - 1)
        return;
    if (is_int)
        snprintf(r->extra + len, sizeof(r->extra) - len, fmt, key, iv);
    else
        snprintf(r->extra + len, sizeof(r->extra) - len, fmt, key, v);
}

void bench_extra_int(bench_result *r, const char *key, long long v)
{
    extra_append(r, ",\"%s\":%lld", key, 0, v, 1);
}

void bench_extra_double(bench_result *r, const char *key, double v)
{
    extra_append(r, ",\"%s\":%.6g", key, v, 0, 0);
}

void bench_extra_math(bench_result *r, long long bits_in, long long scale_in,
                      long long bits_out, long long scale_out, double max_ulp, double mean_ulp)
{
    bench_extra_int(r, "bits_in", bits_in);
    bench_extra_int(r, "scale_in", scale_in);
    bench_extra_int(r, "bits_out", bits_out);
    bench_extra_int(r, "scale_out", scale_out);
    bench_extra_double(r, "max_ulp", max_ulp);
    bench_extra_double(r, "mean_ulp", mean_ulp);
}

typedef struct run2_arg {
    int (*fn)(void *);
    void *arg;
    int rc;
} run2_arg;

static void *run2_main(void *a)
{
    run2_arg *r = a;
    r->rc = r->fn(r->arg);
    return NULL;
}

int bench_run2(int (*fn0)(void *), void *arg0, int (*fn1)(void *), void *arg1)
{
    pthread_t th;
    run2_arg a1 = {fn1, arg1, -1};
    if (pthread_create(&th, NULL, run2_main, &a1) != 0)
        return -1;
    int rc0 = fn0(arg0);
    pthread_join(th, NULL);
    return rc0 != 0 ? rc0 : a1.rc;
}

typedef struct accept_arg {
    sirnn_listener *lst;
    const sirnn_config *cfg;
    sirnn_party *party;
} accept_arg;

static int accept_main(void *a)
{
    accept_arg *x = a;
    return sirnn_party_accept(&x->party, x->lst, x->cfg) == SIRNN_OK ? 0 : -1;
}

typedef struct connect_arg {
    uint16_t port;
    const sirnn_config *cfg;
    sirnn_party *party;
} connect_arg;

static int connect_main(void *a)
{
    connect_arg *x = a;
    return sirnn_party_connect(&x->party, "127.0.0.1", x->port, x->cfg) == SIRNN_OK ? 0 : -1;
}

int bench_tcp_pair(sirnn_party **server, sirnn_party **client, const sirnn_config *cfg)
{
    sirnn_listener *lst;
    *server = *client = NULL;
    if (sirnn_listener_open(&lst, "127.0.0.1", 0) != SIRNN_OK)
        return -1;
    /* The link is emulated once per lane: on the client's side. */
    sirnn_config scfg = *cfg;
    scfg.link = (sirnn_link){0, 0};
    accept_arg aa = {lst, &scfg, NULL};
    connect_arg ca = {sirnn_listener_port(lst), cfg, NULL};
    int rc = bench_run2(connect_main, &ca, accept_main, &aa);
    sirnn_listener_close(lst);
    if (rc != 0) {
        fprintf(stderr, "sirnn-bench: loopback pair failed: %s\n", sirnn_last_error());
        sirnn_party_free(aa.party);
        sirnn_party_free(ca.party);
        return -1;
    }
    *server = aa.party;
    *client = ca.party;
    return 0;
}

static const bench_kernel *find_kernel(const char *name)
{
    for (size_t g = 0; g < sizeof(k_groups) / sizeof(k_groups[0]); g++)
        for (const bench_kernel *k = k_groups[g]; k->name != NULL; k++)
            if (strcmp(k->name, name) == 0)
                return k;
    return NULL;
}

static int is_number(const char *s)
{
    char *end;
    errno = 0;
    (void)strtod(s, &end);
    return *s != '\0' && *end == '\0' && errno == 0;
}

/* Is `key=` one of the parameters the kernel's help text lists? */
static int key_in_help(const char *help, const char *key)
{
    const size_t kl = strlen(key);
    for (const char *h = help; h != NULL && (h = strstr(h, key)) != NULL; h++) {
        const int starts = h == help || !(isalnum((unsigned char)h[-1]) || h[-1] == '_');
        if (starts && h[kl] == '=')
            return 1;
    }
    return 0;
}

/* Refuse what would silently not be measured: keys the kernel does not
 * take, and an invalid or ambiguous link. */
static int check_params(const bench_kernel *k, const bench_params *p)
{
    static const char *const two_party[] = {"backend", "ot_k"};
    for (int i = 0; i < p->nkv; i++) {
        int known = key_in_help(k->help, p->key[i]);
        for (size_t j = 0; j < sizeof(two_party) / sizeof(two_party[0]); j++)
            known |= strcmp(p->key[i], two_party[j]) == 0;
        if (!known) {
            fprintf(stderr,
                    "sirnn-bench: %s: unknown parameter '%s' (it takes n, threads, runs, net, "
                    "rtt_ms, mbit, backend, ot_k and: %s)\n",
                    k->name, p->key[i], k->help ? k->help : "nothing else");
            return -1;
        }
    }
    if ((p->link_keys & 1) && (p->link_keys & 6)) {
        fprintf(stderr, "sirnn-bench: give net= or rtt_ms= / mbit=, not both\n");
        return -1;
    }
    char msg[160];
    if (sirnn_link_check(&p->link, msg, sizeof(msg)) != SIRNN_OK) {
        fprintf(stderr, "sirnn-bench: %s (rtt_ms=%g mbit=%g)\n", msg, p->link.rtt_ms,
                p->link.mbit);
        return -1;
    }
    return 0;
}

/* Run one point and print its JSON line; returns 0 on success. */
static int run_point(const bench_kernel *k, bench_params *p, bench_result *r)
{
    memset(r, 0, sizeof(*r));
    if (check_params(k, p) != 0)
        return 2;
    if (p->n == 0)
        p->n = k->default_n;
    if (p->threads == 0)
        p->threads = 1;
    if (p->runs < 3)
        p->runs = 3;
    if (bench_slow_select(k->name) != 0)
        return 2;
    int rc = k->fn(p, r);
    if (rc != 0) {
        fprintf(stderr, "sirnn-bench: %s failed (%d)\n", k->name, rc);
        return rc;
    }
    if (sirnn_link_active(&p->link) && !r->net_applied) {
        fprintf(stderr, "sirnn-bench: %s does not run over the emulated link; drop net=, "
                        "rtt_ms=, mbit=\n",
                k->name);
        return 2;
    }
    char net[64];
    printf("{\"kernel\":\"%s\",\"n\":%zu,\"threads\":%u,\"isa\":\"%s\",\"net\":\"%s\"", k->name,
           p->n, p->threads, sirnn_isa_name(), sirnn_link_name(&p->link, net, sizeof(net)));
    for (size_t i = 0; sirnn_kernel_family(i) != NULL; i++)
        printf(",\"path_%s\":\"%s\"", sirnn_kernel_family(i),
               sirnn_kernel_path(sirnn_kernel_family(i)));
    for (int i = 0; i < p->nkv; i++) {
        char quoted[40];
        snprintf(quoted, sizeof(quoted), "\"%s\":", p->key[i]);
        if (strstr(r->extra, quoted) != NULL)
            continue; /* the kernel reports this parameter itself */
        if (is_number(p->val[i]))
            printf(",\"%s\":%s", p->key[i], p->val[i]);
        else
            printf(",\"%s\":\"%s\"", p->key[i], p->val[i]);
    }
    double ops = r->ns_per_op > 0 ? 1e9 / r->ns_per_op : 0;
    printf(",\"ns_per_op\":%.4f,\"ops_per_s\":%.6g,\"bits_per_op\":%.4f,\"rounds\":%.1f%s}\n",
           r->ns_per_op, ops, r->bits_per_op, r->rounds, r->extra);
    fflush(stdout);
    return 0;
}

/* key=value into params; n, threads and runs are common. */
static int parse_kv(bench_params *p, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        fprintf(stderr, "sirnn-bench: expected key=value, got '%s'\n", arg);
        return -1;
    }
    size_t klen = (size_t)(eq - arg);
    const char *val = eq + 1;
#define KEY_IS(name) (klen == strlen(name) && strncmp(arg, name, klen) == 0)
    if (KEY_IS("n") || KEY_IS("threads") || KEY_IS("runs")) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(val, &end, 0);
        if (*val == '\0' || *val == '-' || *end != '\0' || errno != 0 ||
            (!KEY_IS("n") && v > 1000000)) {
            fprintf(stderr, "sirnn-bench: '%s' is not a valid count\n", arg);
            return -1;
        }
        if (KEY_IS("n"))
            p->n = (size_t)v;
        else if (KEY_IS("threads"))
            p->threads = (unsigned)v;
        else
            p->runs = (unsigned)v;
        return 0;
    }
    if (KEY_IS("net")) {
        if (sirnn_link_parse(&p->link, val) != SIRNN_OK) {
            fprintf(stderr, "sirnn-bench: %s\n", sirnn_last_error());
            return -1;
        }
        p->link_keys |= 1;
        return 0;
    }
    if (KEY_IS("rtt_ms") || KEY_IS("mbit")) {
        if (!is_number(val)) {
            fprintf(stderr, "sirnn-bench: '%s' is not a number\n", arg);
            return -1;
        }
        if (KEY_IS("rtt_ms"))
            p->link.rtt_ms = strtod(val, NULL);
        else
            p->link.mbit = strtod(val, NULL);
        p->link_keys |= KEY_IS("rtt_ms") ? 2u : 4u;
        return 0;
    }
#undef KEY_IS
    if (p->nkv >= BENCH_MAX_PARAMS || klen >= sizeof(p->key[0]) ||
        strlen(val) >= sizeof(p->val[0])) {
        fprintf(stderr, "sirnn-bench: too many or too long parameters\n");
        return -1;
    }
    memcpy(p->key[p->nkv], arg, klen);
    p->key[p->nkv][klen] = '\0';
    strcpy(p->val[p->nkv], val);
    p->nkv++;
    return 0;
}

/* ---- baseline check ------------------------------------------------------ */

/* Fields of a baseline line that are results, not parameters. */
static int is_result_field(const char *key)
{
    static const char *const results[] = {"bits_per_op", "rounds", "ns_per_op", "ops_per_s",
                                          "isa", "kernel", "note", "setup_ms", "cold_ms"};
    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
        if (strcmp(key, results[i]) == 0)
            return 1;
    return strncmp(key, "path_", 5) == 0; /* which kernels ran */
}

/* Parse one flat JSON object of string/number values. Returns the number of
 * pairs, or -1 if the line holds no object. */
static int parse_flat_object(const char *s, char keys[][32], char vals[][64], int max)
{
    const char *p = strchr(s, '{');
    if (p == NULL)
        return -1;
    int n = 0;
    p++;
    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (*p == '}' || *p == '\0')
            break;
        if (*p != '"' || n >= max)
            return -1;
        const char *ks = ++p;
        while (*p && *p != '"')
            p++;
        size_t kl = (size_t)(p - ks);
        if (*p != '"' || kl >= 32)
            return -1;
        memcpy(keys[n], ks, kl);
        keys[n][kl] = '\0';
        p++;
        while (*p && (isspace((unsigned char)*p) || *p == ':'))
            p++;
        const char *vs;
        size_t vl;
        if (*p == '"') {
            vs = ++p;
            while (*p && *p != '"')
                p++;
            vl = (size_t)(p - vs);
            if (*p == '"')
                p++;
        } else {
            vs = p;
            while (*p && *p != ',' && *p != '}' && !isspace((unsigned char)*p))
                p++;
            vl = (size_t)(p - vs);
        }
        if (vl >= 64)
            return -1;
        memcpy(vals[n], vs, vl);
        vals[n][vl] = '\0';
        n++;
    }
    return n;
}

/* Baselines hold bits_per_op with 4 decimals, as printed. */
#define BITS_TOLERANCE 5e-4

static int check_baseline(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "sirnn-bench: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    char line[2048];
    int points = 0, failures = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char keys[32][32], vals[32][64];
        int nk = parse_flat_object(line, keys, vals, 32);
        if (nk <= 0)
            continue;
        const char *kernel = NULL;
        double want_bits = -1, want_rounds = -1;
        bench_params p;
        memset(&p, 0, sizeof(p));
        for (int i = 0; i < nk; i++) {
            if (strcmp(keys[i], "kernel") == 0)
                kernel = vals[i];
            else if (strcmp(keys[i], "bits_per_op") == 0)
                want_bits = strtod(vals[i], NULL);
            else if (strcmp(keys[i], "rounds") == 0)
                want_rounds = strtod(vals[i], NULL);
            else if (!is_result_field(keys[i])) {
                char kv[128];
                snprintf(kv, sizeof(kv), "%.31s=%.63s", keys[i], vals[i]);
                if (parse_kv(&p, kv) != 0) {
                    fclose(f);
                    return 2;
                }
            }
        }
        if (kernel == NULL || want_bits < 0 || want_rounds < 0) {
            fprintf(stderr, "sirnn-bench: malformed baseline line: %s", line);
            failures++;
            continue;
        }
        const bench_kernel *k = find_kernel(kernel);
        if (k == NULL) {
            fprintf(stderr, "sirnn-bench: baseline names unknown kernel '%s'\n", kernel);
            failures++;
            continue;
        }
        p.runs = 3;
        bench_result r;
        points++;
        if (run_point(k, &p, &r) != 0) {
            failures++;
            continue;
        }
        /* Communication is deterministic: any growth is a regression. */
        if (r.bits_per_op > want_bits + BITS_TOLERANCE || r.rounds > want_rounds + 1e-9) {
            fprintf(stderr,
                    "REGRESSION %s: bits_per_op %.4f (baseline %.4f), rounds %.1f (baseline %.1f)\n",
                    kernel, r.bits_per_op, want_bits, r.rounds, want_rounds);
            failures++;
        } else if (r.bits_per_op < want_bits - BITS_TOLERANCE || r.rounds < want_rounds - 1e-9) {
            fprintf(stderr, "improved %s: bits_per_op %.4f (baseline %.4f), rounds %.1f (%.1f); "
                            "lower the baseline\n",
                    kernel, r.bits_per_op, want_bits, r.rounds, want_rounds);
        }
    }
    fclose(f);
    if (points == 0) {
        fprintf(stderr, "sirnn-bench: no points in %s\n", path);
        return 2;
    }
    printf("bench-check: %d points, %d failed\n", points, failures);
    return failures ? 1 : 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: sirnn-bench --list\n"
                 "       sirnn-bench KERNEL [n=N] [threads=T] [runs=R] [net=lan|wan|RTT_MS:MBIT]\n"
                 "                          [rtt_ms=MS mbit=MBIT] [key=value ...]\n"
                 "       sirnn-bench --all\n"
                 "       sirnn-bench --check bench/baseline.json\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--list") == 0) {
        for (size_t g = 0; g < sizeof(k_groups) / sizeof(k_groups[0]); g++)
            for (const bench_kernel *k = k_groups[g]; k->name != NULL; k++)
                printf("%-12s n=%zu %s\n", k->name, k->default_n, k->help ? k->help : "");
        return 0;
    }
    if (strcmp(argv[1], "--check") == 0) {
        if (argc != 3) {
            usage(stderr);
            return 2;
        }
        return check_baseline(argv[2]);
    }
    if (strcmp(argv[1], "--all") == 0) {
        int rc = 0;
        for (size_t g = 0; g < sizeof(k_groups) / sizeof(k_groups[0]); g++)
            for (const bench_kernel *k = k_groups[g]; k->name != NULL; k++) {
                bench_params p;
                bench_result r;
                memset(&p, 0, sizeof(p));
                if (run_point(k, &p, &r) != 0)
                    rc = 1;
            }
        return rc;
    }
    const bench_kernel *k = find_kernel(argv[1]);
    if (k == NULL) {
        fprintf(stderr, "sirnn-bench: unknown kernel '%s' (see --list)\n", argv[1]);
        return 2;
    }
    bench_params p;
    memset(&p, 0, sizeof(p));
    for (int i = 2; i < argc; i++)
        if (parse_kv(&p, argv[i]) != 0)
            return 2;
    bench_result r;
    return run_point(k, &p, &r) == 0 ? 0 : 1;
}
