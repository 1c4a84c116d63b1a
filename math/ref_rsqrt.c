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

/* The output before its reduction mod 2^bo: round(Y S / 2^shf) + C. */
static uint64_t model_out_wide(const sirnn_rsqrt_plan *p, uint64_t Y, unsigned k)
{
    const uint64_t S = p->ktab[SIRNN_RSQ_S][k] & mask_of(p->ws);
    const uint64_t C = p->ktab[SIRNN_RSQ_C][k] & mask_of(p->bo);
    uint64_t F = sirnn_ref_mult(Y, S, p->py + 2, p->ws, p->lf, 0);
    F = (F + ((uint64_t)1 << (p->shf - 1))) & mask_of(p->lf);
    return sirnn_ref_tr(F, p->lf, p->shf) + C;
}

static uint64_t model_out(const sirnn_rsqrt_plan *p, uint64_t Y, unsigned k)
{
    return model_out_wide(p, Y, k) & mask_of(p->bo);
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
    /* The limit, as sirnn/math.h states it: the largest result, the
     * smallest step's 2^(s_out + s_in/2) capped by the format's largest
     * value, must stay below 2^16. */
    const long double first = ldexpl(sqrtl(ldexpl(1.0L, (int)p->s)), (int)p->so);
    if ((first < (long double)imax ? first : (long double)imax) >= 65536.0L)
        return "the largest result, min(2^(bits_out - sign) - 1, 2^(scale_out + scale_in/2)) "
               "output ULPs, must stay below 2^16 (more significant bits than the single "
               "piecewise-linear step serves)";
    if (top > (long double)imax)
        top = (long double)imax;
    /* Significant bits of the largest output integer (at most 16, above). */
    unsigned jr = 1;
    while (ldexpl(1.0L, (int)jr) <= top)
        jr++;
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
    /* The lines y = A - B xn on the buckets [u, u + h) of xn in [1/2, 2).
     * With b + 1 <= mi the index is all of XN (b <= 7: one value of xn per
     * bucket), and the table holds 1/sqrt(xn) itself, rounded (B = 0);
     * otherwise the bucket's minimax line. */
    const long double h = ldexpl(1.0L, 1 - (int)p->mi);
    for (unsigned idx = 1u << (p->mi - 2); idx < (1u << p->mi); idx++) {
        const long double u = (long double)idx * h, v = u + h;
        const long double fu = 1.0L / sqrtl(u), fv = 1.0L / sqrtl(v);
        if (p->b + 1 <= p->mi) {
            p->btab[idx] = 0;
            p->atab[idx] = (uint64_t)llroundl(ldexpl(fu, (int)p->py));
            continue;
        }
        const long double sl = (fv - fu) / h; /* negative */
        const long double xi = powl(-2.0L * sl, -2.0L / 3.0L);
        const long double dev = fu + sl * (xi - u) - 1.0L / sqrtl(xi);
        const long double a = fu - sl * u - dev / 2;
        p->btab[idx] = (uint64_t)llroundl(ldexpl(-sl, (int)p->pb));
        p->atab[idx] = (uint64_t)llroundl(ldexpl(a, (int)p->py) - 0.5L);
    }
    /* Saturation at the top: no non-saturated input may give more than the
     * largest output (compared before the output's reduction mod 2^bo,
     * which would wrap it). Within a bucket the line falls with XN, so its
     * largest result for an exponent k is at the bucket's first XN = X M
     * with msnzb(X) = k; lower the bucket's A until that fits. Only the
     * buckets whose true result lies within about half an ULP of the top
     * need it (xn below about 1 + 2^-J, J the output's magnitude bits). */
    const unsigned sh = p->b + 1 > p->mi ? p->b + 1 - p->mi : 0;
    for (unsigned k = 0; k < p->b; k++) {
        if (sat[k])
            continue;
        const uint64_t M = p->ktab[SIRNN_RSQ_M][k];
        const uint64_t xlo = (uint64_t)1 << k, xhi = ((uint64_t)2 << k) - 1;
        for (uint64_t idx = (xlo * M) >> sh; idx <= (xhi * M) >> sh; idx++) {
            uint64_t X = ((idx << sh) + M - 1) / M;
            if (X < xlo)
                X = xlo;
            if (X > xhi || ((X * M) >> sh) != idx)
                continue;
            for (int guard = 0;; guard++) {
                unsigned kk;
                const uint64_t Y = model_y(p, X, &kk);
                if (model_out_wide(p, Y, kk) <= imax)
                    break;
                if (guard > 4096 || p->atab[idx] == 0)
                    return "internal: saturation boundary";
                p->atab[idx]--;
            }
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
