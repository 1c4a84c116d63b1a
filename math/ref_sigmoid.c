/*
 * The plan of sigmoid and tanh and their models sirnn_ref_sigmoid and
 * sirnn_ref_tanh (see math/sigmoid_plan.h and include/sirnn/math.h).
 */
#include "math/sigmoid_plan.h"

#include <stdio.h>
#include <string.h>

#include "sirnn/math.h"

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
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
        /* the reciprocal core's chord error, 2^-17, would pass half an ULP */
        snprintf(err, errlen, "%s: output scale %u too large (at most 16)", name, so);
        return SIRNN_ERR_ARG;
    }
    p->is_tanh = is_tanh;
    p->b = b;
    p->bo = bo;
    p->so = so;
    p->lr = bo > so + 2 ? bo : so + 2;
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

uint64_t sirnn_sig_plan_eval(const sirnn_sig_plan *p, uint64_t x)
{
    const unsigned b = p->b, so = p->so, lr = p->lr;
    x &= mask64(b);
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
