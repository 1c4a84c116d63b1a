/*
 * Bit-kernel benchmarks (local, no network):
 *   transpose rows=128|256, n = columns (a multiple of 128): ns per column,
 *             plus gib_per_s of matrix data and the path used ("impl");
 *             pad=B adds B bytes to the input row stride (default 0);
 *             path=NAME runs that implementation instead of the dispatched one
 *             (portable, sse2, avx2, avx512, avx512-gfni).
 *   pack      l=1..64, n = values: ns per packed value, plus
 *             unpack_ns_per_op.
 */
#include "bench/bench.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/pack.h"
#include "kernels/transpose.h"
#include "kernels/transpose_impl.h"

/* Repeat a kernel call until one timed run covers about this many bytes, so
 * that short calls are not lost in timer resolution. */
#define BENCH_BITS_RUN_BYTES ((size_t)1 << 24)

static void bench_fill(uint8_t *p, size_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

static void bench_append_string(bench_result *r, const char *key, const char *value)
{
    size_t len = strlen(r->extra);
    if (len < sizeof(r->extra))
        snprintf(r->extra + len, sizeof(r->extra) - len, ",\"%s\":\"%s\"", key, value);
}

static const char *bench_param_str(const bench_params *p, const char *key)
{
    for (int i = 0; i < p->nkv; i++)
        if (strcmp(p->key[i], key) == 0)
            return p->val[i];
    return NULL;
}

static bool bench_find_path(const char *name, sirnn_transpose_path *out)
{
    for (size_t i = 0; i < SIRNN_TRANSPOSE_PATH_COUNT; i++) {
        sirnn_transpose_path path;
        if (sirnn_transpose_path_get(i, &path) && strcmp(path.name, name) == 0) {
            *out = path;
            return true;
        }
    }
    return false;
}

static int bench_transpose(const bench_params *p, bench_result *r)
{
    const long long rows = bench_param_int(p, "rows", 128);
    const size_t ncols = p->n;
    if ((rows != 128 && rows != 256) || ncols == 0 || ncols % 128 != 0) {
        fprintf(stderr, "transpose: rows must be 128 or 256 and n a multiple of 128\n");
        return -1;
    }
    const size_t stride = ncols / 8 + (size_t)bench_param_int(p, "pad", 0);
    const size_t bytes = (size_t)rows * ncols / 8; /* matrix data */
    uint8_t *in = aligned_alloc(64, ((size_t)rows * stride + 63) / 64 * 64);
    sirnn_block *out = aligned_alloc(64, bytes);
    double *times = malloc(p->runs * sizeof(double));
    if (in == NULL || out == NULL || times == NULL) {
        free(in);
        free(out);
        free(times);
        return -1;
    }
    bench_fill(in, (size_t)rows * stride);
    sirnn_transpose_path path = {sirnn_kernels()->transpose_impl, sirnn_kernels()->transpose128,
                                 sirnn_kernels()->transpose256};
    const char *want = bench_param_str(p, "path");
    if (want != NULL && !bench_find_path(want, &path)) {
        fprintf(stderr, "transpose: path '%s' is unknown or not supported here\n", want);
        free(in);
        free(out);
        free(times);
        return -1;
    }
    void (*fn)(sirnn_block *, const uint8_t *, size_t, size_t) =
        rows == 128 ? path.transpose128 : path.transpose256;
    size_t reps = BENCH_BITS_RUN_BYTES / bytes;
    if (reps == 0)
        reps = 1;
    fn(out, in, stride, ncols); /* warm the caches */
    for (unsigned run = 0; run < p->runs; run++) {
        double t0 = bench_now_ns();
        for (size_t i = 0; i < reps; i++)
            fn(out, in, stride, ncols);
        times[run] = bench_elapsed_ns(t0) / (double)reps;
    }
    const double ns_per_call = bench_median(times, p->runs);
    r->ns_per_op = ns_per_call / (double)ncols;
    r->bits_per_op = 0;
    r->rounds = 0;
    bench_extra_double(r, "gib_per_s", (double)bytes / ns_per_call * 1e9 / (double)(1u << 30));
    bench_append_string(r, "impl", path.name);
    free(in);
    free(out);
    free(times);
    return 0;
}

static int bench_pack(const bench_params *p, bench_result *r)
{
    const long long l = bench_param_int(p, "l", 16);
    const size_t n = p->n;
    if (l < 1 || l > 64 || n == 0) {
        fprintf(stderr, "pack: l must be in 1..64 and n > 0\n");
        return -1;
    }
    const unsigned bits = (unsigned)l;
    const size_t size = sirnn_pack_size(n, bits);
    uint64_t *values = malloc(n * sizeof(uint64_t));
    uint64_t *back = malloc(n * sizeof(uint64_t));
    uint8_t *packed = malloc(size);
    double *pack_t = malloc(p->runs * sizeof(double));
    double *unpack_t = malloc(p->runs * sizeof(double));
    int rc = -1;
    if (values == NULL || back == NULL || packed == NULL || pack_t == NULL || unpack_t == NULL)
        goto done;
    bench_fill((uint8_t *)values, n * sizeof(uint64_t));
    size_t reps = BENCH_BITS_RUN_BYTES / (n * sizeof(uint64_t));
    if (reps == 0)
        reps = 1;
    sirnn_pack(packed, values, n, bits);
    sirnn_unpack(back, packed, n, bits);
    for (unsigned run = 0; run < p->runs; run++) {
        double t0 = bench_now_ns();
        for (size_t i = 0; i < reps; i++)
            sirnn_pack(packed, values, n, bits);
        pack_t[run] = bench_elapsed_ns(t0) / (double)(reps * n);
        const double t1 = bench_now_ns();
        for (size_t i = 0; i < reps; i++)
            sirnn_unpack(back, packed, n, bits);
        unpack_t[run] = bench_elapsed_ns(t1) / (double)(reps * n);
    }
    r->ns_per_op = bench_median(pack_t, p->runs);
    r->bits_per_op = 0;
    r->rounds = 0;
    bench_extra_double(r, "unpack_ns_per_op", bench_median(unpack_t, p->runs));
    rc = 0;
done:
    free(values);
    free(back);
    free(packed);
    free(pack_t);
    free(unpack_t);
    return rc;
}

const bench_kernel bench_group_bits[] = {
    {"transpose", "rows=128|256 pad=B path=NAME; n = columns, a multiple of 128 (local)", 8192,
     bench_transpose},
    {"pack", "l=1..64; n = values (local)", (size_t)1 << 20, bench_pack},
    {NULL, NULL, 0, NULL},
};
