/*
 * Reciprocal square root: the plan (widths, shifts, tables) derived from the
 * formats, and the cleartext model sirnn_ref_rsqrt, which runs exactly the
 * integer steps of math/rsqrt.c on reconstructed values (see
 * math/rsqrt_plan.h and sirnn/math.h).
 */
#include "math/rsqrt_plan.h"

#include <math.h>
#include <string.h>

#include "sirnn/math.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << l) - 1;
}

static unsigned clog2u(unsigned v)
{
    unsigned r = 0;
    while (((unsigned)1 << r) < v)
        r++;
    return r;
}

/* e = ceil(d / 2) for any integer d. */
static int ceil_half(int d)
{
    return d >= 0 ? (d + 1) / 2 : -((-d) / 2);
}

/* Y (width py + 2) and k of one input (X already reduced mod 2^b). */
static uint64_t model_y(const sirnn_rsqrt_plan *p, uint64_t X, unsigned *k_out)
{
    const unsigned k = (unsigned)sirnn_ref_msnzb(X, p->b);
    const uint64_t M = p->ktab[SIRNN_RSQ_M][k] & mask_of(p->wk) & mask_of(p->b + 2);
    const uint64_t XN = sirnn_ref_mult(X, M, p->b, p->b + 2, p->b + 2, 0);
    const uint64_t XN1 = XN & mask_of(p->b + 1);
    const uint64_t idx =
        p->b + 1 > p->mi ? sirnn_ref_tr(XN1, p->b + 1, p->b + 1 - p->mi) : XN1;
    const uint64_t A = p->atab[idx] & mask_of(p->py + 2), B = p->btab[idx] & mask_of(p->pb + 2);
    const uint64_t P = sirnn_ref_mult(B, XN, p->pb + 2, p->b + 2, p->lp, 0);
    const uint64_t T = sirnn_ref_tr(P, p->lp, p->shp);
    *k_out = k;
    return (A - T) & mask_of(p->py + 2);
}

static uint64_t model_out(const sirnn_rsqrt_plan *p, uint64_t Y, unsigned k)
{
    const uint64_t S = p->ktab[SIRNN_RSQ_S][k] & mask_of(p->ws);
    const uint64_t C = p->ktab[SIRNN_RSQ_C][k] & mask_of(p->bo);
    uint64_t F = sirnn_ref_mult(Y, S, p->py + 2, p->ws, p->lf, 0);
    F = (F + ((uint64_t)1 << (p->shf - 1))) & mask_of(p->lf);
    const uint64_t o = p->lf - p->shf >= p->bo ? sirnn_ref_tr(F, p->lf, p->shf)
                                               : sirnn_ref_tr_ext(F, p->lf, p->shf, p->bo, 0);
    return (o + C) & mask_of(p->bo);
}

const char *sirnn_rsqrt_plan_make(sirnn_rsqrt_plan *p, sirnn_fixfmt fin, sirnn_fixfmt fout)
{
    memset(p, 0, sizeof(*p));
    if (fin.bits < 4 || fin.bits > 32 || fout.bits < 2 || fout.bits > 32 || fin.scale < 0 ||
        fin.scale > 62 || fout.scale < 0 || fout.scale > 62)
        return "formats need 4 <= bits_in <= 32, 2 <= bits_out <= 32 and 0 <= scale <= 62";
    p->b = fin.bits - (fin.is_signed ? 1u : 0u);
    p->s = (unsigned)fin.scale;
    p->bo = fout.bits;
    p->so = (unsigned)fout.scale;
    const unsigned J = p->bo - (fout.is_signed ? 1u : 0u);
    const uint64_t imax = mask_of(J);
    p->li = clog2u(p->b);
    p->mi = p->b + 1 < 8 ? p->b + 1 : 8;

    /* Which exponents k saturate (every x with msnzb(X) = k has a result
     * above the largest output), the largest non-saturated result, and the
     * range of e = ceil((k - s) / 2) (x = xn 4^e, xn in [1/2, 2)). */
    int sat[64] = {0}, e_min = 1 << 20, e_max = -(1 << 20);
    long double top = 0;
    for (unsigned k = 0; k < p->b; k++) {
        const long double lo = ldexpl(1.0L, (int)p->so) /
                               sqrtl(ldexpl((long double)(((uint64_t)2 << k) - 1), -(int)p->s));
        sat[k] = lo >= (long double)imax + 0.5L;
        if (sat[k])
            continue;
        const int e = ceil_half((int)k - (int)p->s);
        e_min = e < e_min ? e : e_min;
        e_max = e > e_max ? e : e_max;
        const long double hi = ldexpl(1.0L, (int)p->so) / sqrtl(ldexpl(1.0L, (int)k - (int)p->s));
        top = hi > top ? hi : top;
    }
    if (e_min > e_max)
        return "every input saturates the output format";
    if (top > (long double)imax)
        top = (long double)imax;
    /* Significant bits of the largest output integer. */
    unsigned jr = 1;
    while (ldexpl(1.0L, (int)jr) <= top)
        jr++;
    if (jr > 16)
        return "the output format needs more than 16 significant bits (results up to 2^16 "
               "output ULPs), beyond the single piecewise-linear step";
    p->py = jr + 3;
    p->pb = p->py + 2;
    int G = e_max;
    if ((int)p->so - (int)p->py + 1 > G)
        G = (int)p->so - (int)p->py + 1;
    p->ws = (unsigned)(G - e_min + 2);
    p->shf = (unsigned)((int)p->py + G - (int)p->so);
    p->lf = p->py + p->ws;
    p->lp = p->pb + p->b + 2;
    p->shp = p->pb + p->b - p->py;
    p->wk = p->b + 2;
    if (p->ws > p->wk)
        p->wk = p->ws;
    if (p->bo > p->wk)
        p->wk = p->bo;
    if (p->lf > 64 || p->lp > 64 || p->wk > 64 || p->ws > 62)
        return "format combination too wide";

    for (unsigned k = 0; k < p->b; k++) {
        if (sat[k]) {
            p->ktab[SIRNN_RSQ_C][k] = imax;
            continue;
        }
        const int e = ceil_half((int)k - (int)p->s);
        p->ktab[SIRNN_RSQ_M][k] = (uint64_t)1 << ((int)p->b - (int)p->s - 2 * e);
        p->ktab[SIRNN_RSQ_S][k] = (uint64_t)1 << (G - e);
    }
    /* Minimax lines y = A - B xn on the buckets [u, u + h) of xn in [1/2, 2). */
    const long double h = ldexpl(1.0L, 1 - (int)p->mi);
    for (unsigned idx = 1u << (p->mi - 2); idx < (1u << p->mi); idx++) {
        const long double u = (long double)idx * h, v = u + h;
        const long double fu = 1.0L / sqrtl(u), fv = 1.0L / sqrtl(v);
        const long double sl = (fv - fu) / h; /* negative */
        const long double xi = powl(-2.0L * sl, -2.0L / 3.0L);
        const long double dev = fu + sl * (xi - u) - 1.0L / sqrtl(xi);
        const long double a = fu - sl * u - dev / 2;
        p->btab[idx] = (uint64_t)llroundl(ldexpl(-sl, (int)p->pb));
        p->atab[idx] = (uint64_t)llroundl(ldexpl(a, (int)p->py) - 0.5L);
    }
    /* No non-saturated exponent may exceed the largest output: its largest
     * result is at X = 2^k, the first bucket of its half; lower that
     * bucket's line until it fits (only the half [1, 2) at the exponent
     * whose top result is exactly 2^J needs it). */
    for (unsigned k = 0; k < p->b; k++) {
        if (sat[k])
            continue;
        unsigned kk;
        for (int guard = 0;; guard++) {
            const uint64_t Y = model_y(p, (uint64_t)1 << k, &kk);
            if (model_out(p, Y, kk) <= imax)
                break;
            if (guard > 4096)
                return "internal: saturation boundary";
            const uint64_t XN = p->ktab[SIRNN_RSQ_M][k] << k;
            p->atab[p->b + 1 > p->mi ? XN >> (p->b + 1 - p->mi) : XN]--;
        }
    }
    /* x = 0 (k = 0, XN = 0, index 0) reads as the smallest step X = 1. */
    if (!sat[0]) {
        unsigned kk;
        p->atab[0] = model_y(p, 1, &kk);
    }
    return NULL;
}

sirnn_status sirnn_ref_rsqrt(size_t n, uint64_t *y, const uint64_t *x, sirnn_fixfmt fmt_in,
                             sirnn_fixfmt fmt_out)
{
    sirnn_rsqrt_plan p;
    if (sirnn_rsqrt_plan_make(&p, fmt_in, fmt_out) != NULL || (n > 0 && (!y || !x)))
        return SIRNN_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        unsigned k;
        const uint64_t Y = model_y(&p, x[i] & mask_of(p.b), &k);
        y[i] = model_out(&p, Y, k);
    }
    return SIRNN_OK;
}
