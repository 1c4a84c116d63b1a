/*
 * The plan of exp and its cleartext model sirnn_ref_exp (see
 * math/exp_plan.h and include/sirnn/math.h).
 */
#include "math/exp_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sirnn/math.h"

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

static unsigned bitlen(uint64_t v)
{
    unsigned r = 0;
    while (v != 0) {
        r++;
        v >>= 1;
    }
    return r;
}

/* round(e^(-d * 2^(8j - s)) * 2^f), computed in long double. */
static uint64_t exp_factor(unsigned j, unsigned d, unsigned s, unsigned f)
{
    const long double t = ldexpl((long double)d, (int)(8 * j) - (int)s);
    const long double v = ldexpl(expl(-t), (int)f);
    return (uint64_t)floorl(v + 0.5L);
}

sirnn_status sirnn_exp_plan_init_f(sirnn_exp_plan *p, unsigned b, unsigned s, unsigned f,
                                   unsigned lw, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->b = b;
    p->s = s;
    p->f = f;
    p->lw = lw;
    p->q = (b + 7) / 8;
    if (b < 2 || b > 32 || p->q > SIRNN_EXP_MAX_DIGITS || f > 40 || lw < f + 2 || lw > 64 ||
        f + lw > 64) {
        snprintf(err, errlen, "exp chain: unsupported widths (b = %u, f = %u, lw = %u)", b, f, lw);
        return SIRNN_ERR_ARG;
    }
    for (unsigned j = 0; j < p->q; j++) {
        p->w[j] = b - 8 * j < 8 ? b - 8 * j : 8;
        const uint64_t wm = mask64(p->w[j]);
        uint64_t dmax = 0;
        for (unsigned v = 0; v < 256; v++) {
            const uint64_t e = exp_factor(j, (unsigned)(v & wm), s, f);
            if (j == p->q - 1) {
                p->tab[j][v] = e;
            } else {
                p->tab[j][v] = ((uint64_t)1 << f) - e;
                dmax = p->tab[j][v] > dmax ? p->tab[j][v] : dmax;
            }
        }
        p->dmax[j] = dmax;
        /* D_j as an operand whose MSB is known to be zero, wide enough
         * that the product ring 2f + 1 fits in md + lw (so that neither
         * wrap needs more than a bit) */
        const unsigned need = 2 * f + 1 > lw ? 2 * f + 1 - lw : 1;
        p->md[j] = bitlen(dmax) + 1 > need ? bitlen(dmax) + 1 : need;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_exp_plan_init(sirnn_exp_plan *p, sirnn_fixfmt fin, sirnn_fixfmt fout, char *err,
                                 size_t errlen)
{
    const unsigned b = fin.bits, bo = fout.bits;
    if (!fin.is_signed || b < 8 || b > 32) {
        snprintf(err, errlen, "input format must be signed with 8..32 bits");
        return SIRNN_ERR_ARG;
    }
    if (fin.scale < 0 || fin.scale > 31) {
        snprintf(err, errlen, "input scale must be 0..31");
        return SIRNN_ERR_ARG;
    }
    if (bo < 8 || bo > 32 || fout.scale < 0 ||
        (unsigned)fout.scale + (fout.is_signed ? 2u : 1u) > bo) {
        snprintf(err, errlen,
                 "output format must have 8..32 bits and hold 1.0 (scale <= bits - 1, "
                 "bits - 2 if signed)");
        return SIRNN_ERR_ARG;
    }
    const unsigned q = (b + 7) / 8, so = (unsigned)fout.scale;
    const unsigned g = q <= 2 ? 0 : 2, f = so + g;
    const unsigned lw = f + 2 > bo + g ? f + 2 : bo + g;
    if (f + lw > 64) {
        snprintf(err, errlen,
                 "output scale %u too large for a %u-bit input (needs 2*scale + %u <= 60)", so,
                 b, g ? 6u : 2u);
        return SIRNN_ERR_ARG;
    }
    sirnn_status st = sirnn_exp_plan_init_f(p, b, (unsigned)fin.scale, f, lw, err, errlen);
    p->bo = bo;
    p->so = so;
    p->g = g;
    return st;
}

uint64_t sirnn_exp_plan_chain(const sirnn_exp_plan *p, uint64_t u)
{
    const unsigned q = p->q, f = p->f;
    u &= mask64(p->b);
    uint64_t G = p->tab[q - 1][(u >> (8 * (q - 1))) & 0xff];
    for (unsigned jj = q - 1; jj-- > 0;) {
        const uint64_t e = ((uint64_t)1 << f) - p->tab[jj][(u >> (8 * jj)) & 0xff];
        G = (e * G + ((uint64_t)1 << f >> 1)) >> f;
    }
    return G;
}

sirnn_status sirnn_ref_exp(size_t n, uint64_t *y, const uint64_t *x, sirnn_fixfmt fmt_in,
                           sirnn_fixfmt fmt_out)
{
    /* the tables cost 1024 expl calls: keep the last plan of this thread */
    static _Thread_local sirnn_exp_plan plan;
    static _Thread_local sirnn_fixfmt last_in, last_out;
    static _Thread_local int valid;
    char err[160];
    if (n > 0 && (y == NULL || x == NULL))
        return SIRNN_ERR_ARG;
    if (!valid || memcmp(&last_in, &fmt_in, sizeof fmt_in) != 0 ||
        memcmp(&last_out, &fmt_out, sizeof fmt_out) != 0) {
        valid = 0;
        if (sirnn_exp_plan_init(&plan, fmt_in, fmt_out, err, sizeof err) != SIRNN_OK)
            return SIRNN_ERR_ARG;
        last_in = fmt_in;
        last_out = fmt_out;
        valid = 1;
    }
    const uint64_t bm = mask64(plan.b), om = mask64(plan.bo);
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = (0 - x[i]) & bm;
        uint64_t G = sirnn_exp_plan_chain(&plan, u);
        if (plan.g > 0)
            G = (G + ((uint64_t)1 << (plan.g - 1))) >> plan.g;
        y[i] = G & om;
    }
    return SIRNN_OK;
}
