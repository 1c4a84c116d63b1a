/*
 * Benchmarks of the mixed-bitwidth protocols of arith/: both parties in this
 * process over loopback TCP (the server on this thread, the client on
 * another), one lane each unless threads= says otherwise.
 *
 *   zext, sext    m (default 16), l (default 32), msb_known=0/1
 *   tr            l (default 32), s (default 12)
 *   lrs, ars      l, s, msb_known=0/1
 *   ars_faithful  l, s, sign=0/1 (the promised sign; inputs are not checked
 *                 against it: the cost does not depend on them)
 *   divpow2       l, s, msb_known=0/1
 *   lut           m (index bits, default 8), l (entry bits, default 16); one
 *                 server-held table for the batch
 *   lut_multi     m (default 8), w0..w3 (table widths, default 23, 9, 0, 0;
 *                 0 = no table): sirnn_lut_multi, one OT per element
 *   digdec        l (default 32), d (default 8)
 *   msnzb         l (default 32), d (default 8), li (index bits, default l);
 *                 both outputs (one-hot and index)
 *
 * Measured with bench_two_party() (bench/bench_2pc.c).
 */
#include "bench/bench.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/party.h"

typedef enum mixed_kernel {
    K_ZEXT, K_SEXT, K_TR, K_LRS, K_ARS, K_FARS, K_DIV, K_LUT, K_LUTM, K_DIGDEC, K_MSNZB
} mixed_kernel;

typedef struct mixed_bench {
    mixed_kernel kern;
    size_t n;
    unsigned m, l, s, d, li, msb_known, sign;
    unsigned ntab, widths[4]; /* lut (one table of l bits), lut_multi */
    uint64_t *x[2], *out[2], *table;
    uint8_t *msb[2];
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
    case K_FARS:
        return sirnn_ars_faithful(p, n, b->out[r], b->x[r], b->l, b->s, b->sign);
    case K_DIV:
        return b->msb_known ? sirnn_divpow2_msb(p, n, b->out[r], b->x[r], mb, b->l, b->s)
                            : sirnn_divpow2(p, n, b->out[r], b->x[r], b->l, b->s);
    case K_LUT:
        return sirnn_lut(p, n, b->out[r], b->x[r], r == 0 ? b->table : NULL,
                         r == 0 ? (size_t)1 << b->m : 0, b->m, b->l);
    case K_LUTM:
        return sirnn_lut_multi(p, n, b->out[r], b->x[r], r == 0 ? b->table : NULL,
                               r == 0 ? (size_t)b->ntab << b->m : 0, b->ntab, b->m, b->widths);
    case K_DIGDEC:
        return sirnn_digdec(p, n, b->out[r], b->x[r], b->l, b->d);
    case K_MSNZB:
        return sirnn_msnzb(p, n, b->msb[r], b->out[r], b->x[r], b->l, b->d, b->li);
    }
    return SIRNN_ERR_ARG;
}

static void free_buffers(mixed_bench *b)
{
    for (int r = 0; r < 2; r++) {
        free(b->x[r]);
        free(b->out[r]);
        free(b->msb[r]);
    }
    free(b->table);
}

static int alloc_buffers(mixed_bench *b)
{
    const size_t n = b->n;
    const size_t outs = b->kern == K_DIGDEC ? (b->l + b->d - 1) / b->d
                        : b->kern == K_LUTM  ? b->ntab
                                             : 1;
    const size_t entries = (b->kern == K_LUTM ? b->ntab : 1) * ((size_t)1 << (b->m <= 8 ? b->m : 1));
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    b->table = calloc(entries, sizeof(uint64_t));
    if (b->table == NULL)
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
    for (size_t i = 0; b->m <= 8 && i < entries; i++)
        b->table[i] = i * 0x9e3779b97f4a7c15ULL;
    return 0;
}

static int mixed_bench_call(void *ctx, sirnn_party *party, int role, size_t n)
{
    return mixed_call(ctx, party, role, n);
}

static int run_mixed_bench(mixed_bench *b, const bench_params *p, bench_result *r)
{
    b->n = p->n;
    int rc = b->n == 0 || alloc_buffers(b) != 0 ? 1 : bench_two_party(p, mixed_bench_call, b, r);
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

static int bench_ars_faithful(const bench_params *p, bench_result *r)
{
    const long long l = bench_param_int(p, "l", 32), s = bench_param_int(p, "s", 12);
    const long long sign = bench_param_int(p, "sign", 0);
    if (l < 2 || l > 64 || s < 0 || s >= l || sign < 0 || sign > 1)
        return 1;
    mixed_bench b = {.kern = K_FARS, .l = (unsigned)l, .s = (unsigned)s, .sign = (unsigned)sign};
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "l", l);
    bench_extra_int(r, "s", s);
    bench_extra_int(r, "sign", sign);
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

static int bench_lut_multi(const bench_params *p, bench_result *r)
{
    const long long m = bench_param_int(p, "m", 8);
    const long long w[4] = {bench_param_int(p, "w0", 23), bench_param_int(p, "w1", 9),
                            bench_param_int(p, "w2", 0), bench_param_int(p, "w3", 0)};
    if (m < 1 || m > 8)
        return 1;
    mixed_bench b = {.kern = K_LUTM, .m = (unsigned)m};
    for (int t = 0; t < 4; t++) {
        if (w[t] < 0 || w[t] > 64)
            return 1;
        if (w[t] > 0)
            b.widths[b.ntab++] = (unsigned)w[t];
    }
    if (b.ntab == 0)
        return 1;
    const int rc = run_mixed_bench(&b, p, r);
    bench_extra_int(r, "m", m);
    static const char *const keys[4] = {"w0", "w1", "w2", "w3"};
    for (int t = 0; t < 4; t++)
        bench_extra_int(r, keys[t], w[t]);
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
    {"ars_faithful", "l=32 s=12 sign=0 (faithful: ARS or ARS - 1; sign promised)",
     (size_t)1 << 20, bench_ars_faithful},
    {"divpow2", "l=32 s=12 msb_known=0", (size_t)1 << 20, bench_divpow2},
    {"lut", "m=8 l=16 (one server-held table)", (size_t)1 << 20, bench_lut},
    {"lut_multi", "m=8 w0=23 w1=9 w2=0 w3=0 (server-held tables, one OT per element)", (size_t)1 << 20,
     bench_lut_multi},
    {"digdec", "l=32 d=8", (size_t)1 << 20, bench_digdec},
    {"msnzb", "l=32 d=8 li=32 (one-hot and index)", (size_t)1 << 20, bench_msnzb},
    {NULL, NULL, 0, NULL},
};
