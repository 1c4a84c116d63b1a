/*
 * The plan of sigmoid and tanh and their models sirnn_ref_sigmoid and
 * sirnn_ref_tanh (see math/sigmoid_plan.h and include/sirnn/math.h).
 */
#include "math/sigmoid_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sirnn/math.h"

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

static long double sigmoidl(long double t)
{
    return 1.0L / (1.0L + expl(-t));
}

static long double fnl(int is_tanh, long double t)
{
    return is_tanh ? tanhl(t) : sigmoidl(t);
}

static uint64_t fixl(long double v, unsigned e, unsigned L)
{
    return (uint64_t)(int64_t)floorl(ldexpl(v, (int)e) + 0.5L) & mask64(L);
}

/* The smallest two's complement width of the L-bit value v. */
static unsigned tc_width(uint64_t v, unsigned L)
{
    const uint64_t neg = (v >> (L - 1)) & 1;
    const uint64_t mag = neg ? ~v & mask64(L) : v; /* bits that must sit below the sign */
    unsigned w = 1;
    while (w < L && (mag >> (w - 1)) != 0)
        w++;
    return w;
}

static void poly_widths(sirnn_sig_plan *p);

/* The poly path (math/sigmoid_plan.h): per value v of d1, the polynomial
 * of degree deg through the deg + 1 Chebyshev nodes of the function on
 * d0 in [0, 255] (in units of d0), in the basis 1, d0, q(d0). */
static void poly_init(sirnn_sig_plan *p, unsigned s, unsigned deg)
{
    const unsigned w1 = p->b - 8;
    /* guard bits T and A's shift ash (A rounded to so + T - ash fraction
     * bits, a multiple of 2^ash): the line T = 7, ash = 5 (A's rounding
     * 1/8 ULP); tanh's parabola T = 8, ash = 7 (B's rounding 1/4 ULP, C's
     * 1/16, A's 1/4); sigmoid's parabola T = 7, ash = 0 (as the pair of
     * math/sig_pair.h runs it) */
    const unsigned T = deg == 2 && p->is_tanh ? SIRNN_SIG_LINE_T + 1 : SIRNN_SIG_LINE_T;
    const unsigned ash = deg == 1 ? T - 3 : p->is_tanh ? T - 1 : 0, e = p->so + T;
    p->deg = deg;
    p->w1 = w1;
    p->T = T;
    p->ash = ash;
    p->L = p->bo + T;
    const long double c = 127.5L, r = 127.5L;
    long double t[3];
    if (deg == 1) {
        t[0] = c - r / sqrtl(2.0L);
        t[1] = c + r / sqrtl(2.0L);
    } else {
        t[0] = c - r * sqrtl(3.0L) / 2;
        t[1] = c;
        t[2] = c + r * sqrtl(3.0L) / 2;
    }
    for (unsigned v = 0; v < (1u << w1); v++) {
        const long double d1 = v >= (1u << (w1 - 1)) ? (long double)v - ldexpl(1, (int)w1) : v;
        long double y[3];
        for (unsigned k = 0; k <= deg; k++)
            y[k] = fnl(p->is_tanh, ldexpl(256 * d1 + t[k], -(int)s));
        /* Newton form, then monomials a0 + a1 t + a2 t^2 */
        const long double f01 = (y[1] - y[0]) / (t[1] - t[0]);
        long double a2 = 0;
        if (deg == 2)
            a2 = ((y[2] - y[1]) / (t[2] - t[1]) - f01) / (t[2] - t[0]);
        const long double a1 = f01 - a2 * (t[0] + t[1]), a0 = y[0] - f01 * t[0] + a2 * t[0] * t[1];
        /* t^2 = 255 t - 256 q(t), q(t) = t (255 - t) / 256; then centred:
         * d0 = 128 + dc, Q = 32 + qc */
        const long double beta = a1 + 255 * a2, gamma = -256 * a2;
        p->A[v] = (fixl(a0 + 128 * beta + 32 * gamma, e - ash, p->L) << ash) & mask64(p->L);
        p->B[v] = fixl(beta, e, p->L);
        p->C[v] = fixl(gamma, e, p->L);
    }
    for (unsigned d = 0; d < 256; d++)
        p->Q[d] = ((uint64_t)floorl((long double)d * (255 - d) / 256 + 0.5L) - 32) & 0xff;
    /* the protocol's widths (math/sigmoid_plan.h) */
    poly_widths(p);
}

/* The degree of the poly path for a format, 0 if it does not fit: the
 * interpolation error (max |f''| h^2 / 16 for a line, max |f'''| h^3 / 192
 * for a parabola, plus max |f''| 2^(6 - 2s) for the rounding of q) must be
 * at most half an output ULP, h = 2^(8 - s). max |f''| and |f'''|: sigmoid
 * 0.0963 and 0.125, tanh 0.7699 and 2. */
static unsigned poly_degree(int is_tanh, unsigned b, unsigned s, unsigned so)
{
    if (b < 9 || b > 16)
        return 0;
    const long double m2 = is_tanh ? 0.7699L : 0.0963L, m3 = is_tanh ? 2.0L : 0.125L;
    const long double ulp = ldexpl(1, -(int)so), h = ldexpl(1, 8 - (int)s);
    if (m2 * h * h / 16 <= ulp / 2)
        return 1;
    if (m3 * h * h * h / 192 + m2 * ldexpl(1, 6 - 2 * (int)s) <= ulp / 2)
        return 2;
    return 0;
}

sirnn_status sirnn_sig_plan_init(sirnn_sig_plan *p, int is_tanh, sirnn_fixfmt fin,
                                 sirnn_fixfmt fout, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    const char *name = is_tanh ? "tanh" : "sigmoid";
    const unsigned b = fin.bits, bo = fout.bits;
    if (!fin.is_signed || b < 8 || b > 32 || fin.scale < (is_tanh ? 1 : 0) || fin.scale > 31) {
        snprintf(err, errlen, "%s: input format must be signed with 8..32 bits and scale %s..31",
                 name, is_tanh ? "1" : "0");
        return SIRNN_ERR_ARG;
    }
    if (is_tanh && !fout.is_signed) {
        snprintf(err, errlen, "tanh: output format must be signed");
        return SIRNN_ERR_ARG;
    }
    if (bo < 8 || bo > 32 || fout.scale < 5 ||
        (unsigned)fout.scale + (fout.is_signed ? 2u : 1u) > bo) {
        snprintf(err, errlen,
                 "%s: output format must have 8..32 bits, scale >= 5, and hold 1.0 (scale <= "
                 "bits - 1, bits - 2 if signed)",
                 name);
        return SIRNN_ERR_ARG;
    }
    /* the reciprocal core needs f >= 7 */
    /* sigmoid: one guard bit, two when the chain has three or more
     * products' roundings (bits_in > 16); tanh doubles the error: three */
    const unsigned so = (unsigned)fout.scale;
    const unsigned f0 = so + (is_tanh ? 3u : b > 16 ? 2u : 1u), f = f0 < 7 ? 7 : f0;
    if (so > 16) {
        /* the reciprocal core's line error, 2^-17, would pass half an ULP */
        snprintf(err, errlen, "%s: output scale %u too large (at most 16)", name, so);
        return SIRNN_ERR_ARG;
    }
    p->is_tanh = is_tanh;
    p->b = b;
    p->bo = bo;
    p->so = so;
    p->lr = bo > so + 2 ? bo : so + 2;
    if (b == 8) {
        /* one table on x: exactly rounded (ties away from zero) */
        p->direct = 1;
        for (unsigned v = 0; v < 256; v++) {
            const long double t = ldexpl((long double)(int8_t)(uint8_t)v, -fin.scale);
            const long double r = roundl(ldexpl(fnl(is_tanh, t), (int)so));
            p->D[v] = (uint64_t)(int64_t)r & mask64(bo);
        }
        return SIRNN_OK;
    }
    const unsigned deg = poly_degree(is_tanh, b, (unsigned)fin.scale, so);
    if (deg > 0) {
        p->is_tanh = is_tanh;
        p->b = b;
        p->bo = bo;
        p->so = so;
        poly_init(p, (unsigned)fin.scale, deg);
        return SIRNN_OK;
    }
    sirnn_status st = sirnn_exp_plan_init_f(&p->chain, b, (unsigned)fin.scale - (is_tanh ? 1u : 0u),
                                            f, f + 2, err, errlen);
    if (st != SIRNN_OK)
        return st;
    /* E < 2^f: clamp the top factor (the chain never grows it) */
    const unsigned top = p->chain.q - 1;
    for (unsigned v = 0; v < 256; v++)
        if (p->chain.tab[top][v] > mask64(f))
            p->chain.tab[top][v] = mask64(f);
    if (sirnn_recip1p_plan_init(&p->recip, f, f + 2, so, p->lr) != SIRNN_OK) {
        snprintf(err, errlen, "%s: format outside the reciprocal core's widths", name);
        return SIRNN_ERR_ARG;
    }
    return SIRNN_OK;
}

static int64_t sext64(uint64_t v, unsigned l)
{
    return l >= 64 ? (int64_t)v : (int64_t)(v << (64 - l)) >> (64 - l);
}

/* The poly path's V + 2^(T-1) for x, as an integer (the tables read as
 * two's complement L-bit values; |V| < 2^(L-1) by the plan). */
static int64_t poly_value(const sirnn_sig_plan *p, uint64_t x)
{
    const uint64_t d1 = (x >> 8) & mask64(p->w1), d0 = x & 0xff;
    const int64_t dc = (int64_t)d0 - 128, qc = (int8_t)p->Q[d0];
    int64_t V = sext64(p->A[d1], p->L) + sext64(p->B[d1], p->L) * dc +
                ((int64_t)1 << (p->T - 1));
    if (p->deg == 2)
        V += sext64(p->C[d1], p->L) * qc;
    return V;
}

static void poly_widths(sirnn_sig_plan *p)
{
    unsigned wb = 1, wc = 1;
    uint64_t b_neg = 0;
    for (unsigned v = 0; v < (1u << p->w1); v++) {
        const unsigned bw = tc_width(p->B[v], p->L), cw = tc_width(p->C[v], p->L);
        wb = bw > wb ? bw : wb;
        wc = cw > wc ? cw : wc;
        b_neg |= (p->B[v] >> (p->L - 1)) & 1;
        p->A1[v] = (p->A[v] - 128 * p->B[v]) & mask64(p->L);
    }
    p->kB = b_neg ? p->L : wb;
    const unsigned ky = wb > wc ? wb : wc;
    p->kY = ky > p->L - 8 ? ky : p->L - 8;
}

void sirnn_sig_plan_narrow(sirnn_sig_plan *p)
{
    if (p->direct || p->deg == 0 || p->single)
        return;
    p->single = 1;
    const uint64_t nx = (uint64_t)1 << p->b;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint64_t x = 0; x < nx; x++) {
        const int64_t v = poly_value(p, x);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    /* W = V + 2^(T-1) + voff in [0, 2^(Ln-1)) */
    unsigned Ln = p->T + 2;
    for (;; Ln++) {
        const int64_t off = lo < 0 ? (int64_t)1 << (Ln - 2) : 0;
        if (Ln >= p->L || (lo + off >= 0 && hi + off < ((int64_t)1 << (Ln - 1))))
            break;
    }
    if (Ln >= p->L)
        return;
    sirnn_sig_plan q = *p;
    q.narrow = 1;
    q.voff = lo < 0 ? (uint64_t)1 << (Ln - 2) : 0;
    q.L = Ln;
    for (unsigned v = 0; v < (1u << q.w1); v++) {
        q.A[v] &= mask64(Ln);
        q.B[v] &= mask64(Ln);
        q.C[v] &= mask64(Ln);
    }
    poly_widths(&q);
    for (uint64_t x = 0; x < nx; x++)
        if (sirnn_sig_plan_eval(&q, x) != sirnn_sig_plan_eval(p, x))
            return; /* not expected: keep the wide ring */
    *p = q;
}

uint64_t sirnn_sig_plan_eval(const sirnn_sig_plan *p, uint64_t x)
{
    const unsigned b = p->b, so = p->so, lr = p->lr;
    x &= mask64(b);
    if (p->direct)
        return p->D[x];
    if (p->deg > 0) {
        const uint64_t d1 = (x >> 8) & mask64(p->w1), d0 = x & 0xff;
        /* the centred d0 - 128 and Q - 32, sign-extended from 8 bits */
        const uint64_t dc = d0 - 128, qc = (uint64_t)(int64_t)(int8_t)p->Q[d0];
        uint64_t V = p->A[d1] + p->B[d1] * dc + ((uint64_t)1 << (p->T - 1));
        if (p->deg == 2)
            V += p->C[d1] * qc;
        if (p->narrow)
            return ((((V + p->voff) & mask64(p->L)) >> p->T) - (p->voff >> p->T)) &
                   mask64(p->bo);
        return ((V & mask64(p->L)) >> p->T) & mask64(p->bo);
    }
    const uint64_t neg = (x >> (b - 1)) & 1;
    const uint64_t a = neg ? (0 - x) & mask64(b) : x;
    const uint64_t E = sirnn_exp_plan_chain(&p->chain, a);
    const uint64_t R = sirnn_recip1p_ref(&p->recip, E);
    uint64_t y;
    if (!p->is_tanh) {
        y = neg ? ((uint64_t)1 << so) - R : R;
    } else {
        const uint64_t t = 2 * R - ((uint64_t)1 << so);
        y = neg ? 0 - t : t;
    }
    return y & mask64(lr) & mask64(p->bo);
}

static sirnn_status ref_run(int is_tanh, size_t n, uint64_t *y, const uint64_t *x,
                            sirnn_fixfmt fin, sirnn_fixfmt fout)
{
    static _Thread_local sirnn_sig_plan plan;
    static _Thread_local sirnn_fixfmt last_in, last_out;
    static _Thread_local int valid = -1;
    char err[200];
    if (n > 0 && (y == NULL || x == NULL))
        return SIRNN_ERR_ARG;
    if (valid != is_tanh || memcmp(&last_in, &fin, sizeof fin) != 0 ||
        memcmp(&last_out, &fout, sizeof fout) != 0) {
        valid = -1;
        if (sirnn_sig_plan_init(&plan, is_tanh, fin, fout, err, sizeof err) != SIRNN_OK)
            return SIRNN_ERR_ARG;
        sirnn_sig_plan_narrow(&plan); /* as sirnn_sigmoid / sirnn_tanh run it */
        last_in = fin;
        last_out = fout;
        valid = is_tanh;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = sirnn_sig_plan_eval(&plan, x[i]);
    return SIRNN_OK;
}

sirnn_status sirnn_ref_sigmoid(size_t n, uint64_t *y, const uint64_t *x, sirnn_fixfmt fmt_in,
                               sirnn_fixfmt fmt_out)
{
    return ref_run(0, n, y, x, fmt_in, fmt_out);
}

sirnn_status sirnn_ref_tanh(size_t n, uint64_t *y, const uint64_t *x, sirnn_fixfmt fmt_in,
                            sirnn_fixfmt fmt_out)
{
    return ref_run(1, n, y, x, fmt_in, fmt_out);
}
