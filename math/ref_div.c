/*
 * Reciprocal and division: the plan (widths, shifts, table) derived from
 * the formats, and the cleartext models sirnn_ref_reciprocal /
 * sirnn_ref_div, which run exactly the integer steps of math/div.c on
 * reconstructed values (see math/div_plan.h and sirnn/math.h).
 */
#include "math/div_plan.h"

#include <math.h>
#include <string.h>

#include "sirnn/math.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << l) - 1;
}

static int fmt_ok(sirnn_fixfmt f)
{
    return f.bits >= 2 && f.bits <= 32 && f.scale >= 0 && f.scale < 63;
}

static unsigned bitlen(uint64_t v)
{
    unsigned r = 0;
    while (r < 64 && (v >> r) != 0)
        r++;
    return r;
}

/* The quadratic path (see div_plan.h): one fit per bucket [u, u + h) of d,
 * h = 2^(I - 7), of 1/(u + t), t in [0, h): the quadratic through the three
 * Chebyshev nodes (error <= h^3 / (32 u^4)), or, when that suffices, the
 * minimax line (error <= h^2 / (8 u^3)). Budget, in units of 2^(1 - target)
 * (one output ULP times the largest |num|): the fit <= 1/4, the rounding of
 * C 1/32, of B and the floor of C L 3/64, of A and the floor of V L 3/32, so
 * that with the final rounding the result is within 0.5 + 0.42 ULP. */
static const char *plan_quad(sirnn_div_plan *p, int target, int I)
{
    sirnn_div_quad *q = &p->q;
    p->quad = 1;
    p->m = 7;
    p->t = p->b - 7;
    const long double h = ldexpl(1.0L, I - 7);
    q->use_c = h * h / 8 > ldexpl(1.0L, -(target + 1));
    p->fy = (unsigned)target + 3;
    const int fb = target + I - 3, fc = target + 2 * (I - 7) + 3;
    q->fb = (unsigned)(fb > 2 ? fb : 2);
    q->fc = (unsigned)(fc > 2 ? fc : 2);
    p->lut_l = p->fy + 2;
    if (p->fy + 2 > 62 || q->fb > 62 || q->fc > 62)
        return "format combination too wide";
    const int sh1 = (int)q->fc + (int)p->s - (int)q->fb, sh2 = (int)q->fb + (int)p->s - (int)p->fy;
    if ((q->use_c && sh1 < 1) || sh2 < 1)
        return "internal: quadratic path shifts";
    q->sh1 = (unsigned)(q->use_c ? sh1 : 0);
    q->sh2 = (unsigned)sh2;
    const uint64_t first = (uint64_t)1 << (p->s - p->t); /* the bucket of d = 1 */
    uint64_t bmax = 0, cmax = 0;
    for (uint64_t idx = 0; idx < 128; idx++) {
        if (idx < first) { /* d < 1, outside the domain: y = 1 */
            p->table[idx] = (uint64_t)1 << p->fy;
            q->btab[idx] = q->ctab[idx] = 0;
            continue;
        }
        const long double u = (long double)idx * h;
        long double a0, a1, a2 = 0;
        if (q->use_c) {
            long double tn[3], fv[3];
            for (int k = 0; k < 3; k++) {
                tn[k] = h / 2 * (1 - cosl((2 * k + 1) * 3.14159265358979323846L / 6));
                fv[k] = 1.0L / (u + tn[k]);
            }
            const long double d01 = (fv[1] - fv[0]) / (tn[1] - tn[0]);
            const long double d12 = (fv[2] - fv[1]) / (tn[2] - tn[1]);
            a2 = (d12 - d01) / (tn[2] - tn[0]);
            a1 = d01 - a2 * (tn[0] + tn[1]);
            a0 = fv[0] - a1 * tn[0] - a2 * tn[0] * tn[0];
        } else {
            const long double v = u + h, sl = -1.0L / (u * v), xi = sqrtl(u * v);
            const long double dev = (1.0L / u + sl * (xi - u) - 1.0L / xi) / 2;
            a1 = sl;
            a0 = 1.0L / u - dev;
        }
        p->table[idx] = (uint64_t)llroundl(ldexpl(a0, (int)p->fy));
        q->btab[idx] = (uint64_t)llroundl(ldexpl(-a1, (int)q->fb));
        q->ctab[idx] = (uint64_t)llroundl(ldexpl(a2, (int)q->fc));
        bmax = q->btab[idx] > bmax ? q->btab[idx] : bmax;
        cmax = q->ctab[idx] > cmax ? q->ctab[idx] : cmax;
    }
    q->wb = bitlen(bmax) + 1;
    q->wc = q->use_c ? bitlen(cmax) + 1 : 0;
    q->l1 = q->wc + p->t;
    q->l2 = q->wb + p->t;
    if (q->l1 > 64 || q->l2 > 64)
        return "format combination too wide";
    /* V >= 0 and Y >= 0 at the largest offset (both fall with L), and the
     * entries fit their rings. */
    const uint64_t L = mask_of(p->t);
    for (uint64_t idx = first; idx < 128; idx++) {
        uint64_t V = q->btab[idx];
        if (q->use_c) {
            const uint64_t Q1 = (q->ctab[idx] * L) >> q->sh1;
            if (Q1 > V)
                return "internal: quadratic path coefficient sign";
            V -= Q1;
        }
        if (p->table[idx] > ((uint64_t)1 << p->fy) || ((q->btab[idx] * L) >> q->sh2) > p->table[idx])
            return "internal: quadratic path range";
    }
    return NULL;
}

/* The path computing Y for the denominators D (p->b bits, scale p->s,
 * d < 2^I) to the precision target (see plan_quad): a direct table (b <= 8),
 * the quadratic path, or the LUT and Goldschmidt-Newton steps. */
static const char *plan_y(sirnn_div_plan *p, int target, int I, sirnn_fixfmt fout)
{
    if (p->b <= 8) {
        /* A direct table on the whole denominator, exactly rounded. */
        p->m = p->b;
        p->t = 0;
        const uint64_t one = (uint64_t)1 << p->s;
        if (!p->is_div) {
            p->out_direct = 1;
            p->lut_l = p->bo;
            const uint64_t maxv = mask_of(p->bo - (fout.is_signed ? 1u : 0u));
            for (uint64_t D = 0; D < ((uint64_t)1 << p->m); D++) {
                uint64_t v = maxv;
                if (D >= one && p->so + p->s < 62) {
                    const uint64_t num = (uint64_t)1 << (p->so + p->s);
                    v = (2 * num + D) / (2 * D);
                }
                if (D >= one && p->so + p->s >= 62)
                    return "output scale too large";
                p->table[D] = v < maxv ? v : maxv;
            }
            return NULL;
        }
        p->fy = (unsigned)target + 1;
        if (p->fy + p->s > 61)
            return "format combination too wide";
        p->lut_l = p->fy + 2;
        for (uint64_t D = 0; D < ((uint64_t)1 << p->m); D++) {
            const uint64_t num = (uint64_t)1 << (p->fy + p->s);
            p->table[D] = D >= one ? (2 * num + D) / (2 * D) : (uint64_t)1 << p->fy;
        }
    } else if (ldexp(1.0, 3 * (I - 7) - 5) <= ldexp(1.0, -(target + 1))) {
        return plan_quad(p, target, I);
    } else {
        p->m = 8;
        p->t = p->b - 8;
        const unsigned f0 = p->m + 2;
        p->lut_l = f0 + 2;
        /* y0 = 2 / (d_lo + d_hi) on each interval of the index: the relative
         * error |1 - d y0| is at most h / (2 d_mid) <= 2^(I-m-1). */
        const unsigned e = f0 + 1 + p->s - p->t; /* s - t = m - I >= 4 */
        for (uint64_t idx = 0; idx < 256; idx++) {
            if ((idx << p->t) < ((uint64_t)1 << p->s)) {
                p->table[idx] = (uint64_t)1 << f0;
                continue;
            }
            const uint64_t den = 2 * idx + 1, num = (uint64_t)1 << e;
            p->table[idx] = (2 * num + den) / (2 * den);
        }
        double err = ldexp(1.0, I - (int)p->m - 1) + ldexp(1.0, I - (int)f0 - 1) +
                     ldexp(1.0, 2 * (I - (int)p->m - 1));
        unsigned fy = f0;
        while (err > ldexp(1.0, -target)) {
            if (p->nsteps == SIRNN_DIV_MAX_STEPS)
                return "format combination too wide";
            const int k0 = (int)floor(-log2(err));
            if (k0 < 2)
                return "internal: initial approximation too coarse";
            sirnn_div_step *st = &p->step[p->nsteps++];
            st->fy = fy;
            st->fe = (unsigned)(target + 6 < 3 * k0 + 7 ? target + 6 : 3 * k0 + 7);
            st->fn = st->fe + 2;
            st->lp = p->s + fy - (unsigned)k0 + 2;
            st->she = (int)(p->s + fy) - (int)st->fe;
            st->we = st->fe - (unsigned)k0 + 2;
            st->use_q = 2 * k0 <= (int)st->fe + 1;
            st->lq = 2 * st->fe - 2 * (unsigned)k0 + 2;
            st->lr = fy + st->fe - (unsigned)k0 + 3;
            st->shr = fy + st->fe - st->fn;
            if (st->lp > 64 || st->lr > 64 || st->fn + 2 > 64 || (st->use_q && st->lq > 64))
                return "format combination too wide";
            const double ep = st->use_q ? err * err * err : err * err;
            err = ep * 1.01 + 2.2 * ldexp(1.0, -(int)st->fe) + ldexp(1.0, I - (int)st->fn);
            fy = st->fn;
        }
        p->fy = fy;
    }
    return NULL;
}

const char *sirnn_div_plan_make(sirnn_div_plan *p, const sirnn_fixfmt *fnum, sirnn_fixfmt fden,
                                sirnn_fixfmt fout)
{
    memset(p, 0, sizeof(*p));
    if (!fmt_ok(fden) || !fmt_ok(fout) || (fnum != NULL && !fmt_ok(*fnum)))
        return "formats need 2 <= bits <= 32 and 0 <= scale < 63";
    p->is_div = fnum != NULL;
    p->b = fden.bits - (fden.is_signed ? 1u : 0u);
    p->s = (unsigned)fden.scale;
    p->bo = fout.bits;
    p->so = (unsigned)fout.scale;
    if (p->s >= p->b)
        return "the denominator format cannot hold d >= 1 (need scale < bits - sign)";
    const int I = (int)(p->b - p->s); /* d < 2^I */
    if (p->b > 8 && I > 4)
        return "the unnormalised reciprocal needs denominators below 16 "
               "(bits - sign - scale <= 4) or a denominator of at most 8 bits";
    int target;
    if (p->is_div) {
        const int ix = (int)fnum->bits - 1 - fnum->scale; /* |x| <= 2^ix */
        if (!fnum->is_signed)
            return "the numerator format must be signed";
        if (!fout.is_signed)
            return "the quotient format must be signed";
        const int need = (int)p->so + ix + 1 + (fnum->scale > fout.scale ? 1 : 0);
        if ((int)p->bo < need || p->bo < 2)
            return "the quotient format cannot hold num / den for den = 1 "
                   "(need bits_out >= scale_out + bits_num - scale_num, plus 1 when "
                   "scale_out < scale_num)";
        target = (int)p->so + 1 + (ix > 0 ? ix : 0);
        p->bx = fnum->bits;
    } else {
        if ((int)p->bo - (fout.is_signed ? 1 : 0) < (int)p->so + 1)
            return "the output format cannot hold 1/d = 1 (need bits - sign >= scale + 1)";
        target = (int)p->so + 1;
    }

    const char *why = plan_y(p, target, I, fout);
    if (why != NULL || p->out_direct)
        return why;
    if (p->fy < p->so + 1)
        return "internal: working precision below the output scale";
    if (p->is_div) {
        p->lz = p->bx + p->fy + 1;
        p->shz = (unsigned)fnum->scale + p->fy - p->so;
        if (p->lz > p->shz + p->bo)
            p->lz = p->shz + p->bo;
        if (p->lz > 64)
            return "format combination too wide (bits_num + working precision > 63)";
    }
    return NULL;
}

/* Y of one denominator (width fy + 2). */
static uint64_t model_y(const sirnn_div_plan *p, uint64_t den)
{
    const uint64_t D = den & mask_of(p->b);
    if (p->t == 0)
        return p->table[D] & mask_of(p->lut_l);
    if (p->quad) {
        const sirnn_div_quad *q = &p->q;
        const uint64_t idx = sirnn_ref_tr(D, p->b, p->t), L = D & mask_of(p->t);
        uint64_t V = sirnn_ref_lut(q->btab, idx, p->m, q->wb);
        if (q->use_c) {
            const uint64_t C = sirnn_ref_lut(q->ctab, idx, p->m, q->wc);
            const uint64_t P1 = sirnn_ref_mult(C, L, q->wc, p->t, q->l1, 0);
            V = (V - (P1 >> q->sh1)) & mask_of(q->wb);
        }
        const uint64_t P2 = sirnn_ref_mult(V, L, q->wb, p->t, q->l2, 0);
        const uint64_t A = sirnn_ref_lut(p->table, idx, p->m, p->lut_l);
        return (A - (P2 >> q->sh2)) & mask_of(p->fy + 2);
    }
    uint64_t Y = sirnn_ref_lut(p->table, sirnn_ref_tr(D, p->b, p->t), p->m, p->lut_l);
    for (unsigned k = 0; k < p->nsteps; k++) {
        const sirnn_div_step *st = &p->step[k];
        const uint64_t P = sirnn_ref_mult(D, Y, p->b, st->fy + 2, st->lp, 0);
        const uint64_t E = (((uint64_t)1 << (p->s + st->fy)) - P) & mask_of(st->lp);
        uint64_t E1;
        if (st->she > 0)
            E1 = sirnn_ref_tr(E, st->lp, (unsigned)st->she);
        else
            E1 = (E << (unsigned)(-st->she)) & mask_of(st->we);
        uint64_t T = E1;
        if (st->use_q) {
            const uint64_t Q = sirnn_ref_mult(E1, E1, st->we, st->we, st->lq, 1);
            T = (E1 + sirnn_ref_tr_ext(Q, st->lq, st->fe, st->we, 0)) & mask_of(st->we);
        }
        const uint64_t R = sirnn_ref_mult(Y, T, st->fy + 2, st->we, st->lr, 1);
        const uint64_t R2 = sirnn_ref_tr_ext(R, st->lr, st->shr, st->fn + 2, 1);
        Y = ((Y << (st->fn - st->fy)) + R2) & mask_of(st->fn + 2);
    }
    return Y;
}

static uint64_t model_out_recip(const sirnn_div_plan *p, uint64_t Y)
{
    const unsigned sh = p->fy - p->so, l = p->fy + 2;
    const uint64_t Yr = (Y + ((uint64_t)1 << (sh - 1))) & mask_of(l);
    return (Yr >> sh) & mask_of(p->bo);
}

/* X times Y (ly bits, top bit zero), rounded to the output. */
static uint64_t model_out_div(const sirnn_div_plan *p, uint64_t X, uint64_t Y, unsigned ly)
{
    const uint64_t Z =
        (sirnn_ref_mult(X, Y, p->bx, ly, p->lz, 1) + ((uint64_t)1 << (p->shz - 1))) &
        mask_of(p->lz);
    if (p->bo >= p->lz - p->shz)
        return sirnn_ref_tr_ext(Z, p->lz, p->shz, p->bo, 1);
    return sirnn_ref_tr(Z, p->lz, p->shz) & mask_of(p->bo);
}

sirnn_status sirnn_ref_reciprocal(size_t n, uint64_t *y, const uint64_t *x, sirnn_fixfmt fmt_in,
                                  sirnn_fixfmt fmt_out)
{
    sirnn_div_plan p;
    if (sirnn_div_plan_make(&p, NULL, fmt_in, fmt_out) != NULL || (n > 0 && (!y || !x)))
        return SIRNN_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        if (p.out_direct)
            y[i] = p.table[x[i] & mask_of(p.b)] & mask_of(p.bo);
        else
            y[i] = model_out_recip(&p, model_y(&p, x[i]));
    }
    return SIRNN_OK;
}

sirnn_status sirnn_ref_div(size_t n, uint64_t *q, const uint64_t *num, const uint64_t *den,
                           sirnn_fixfmt fmt_num, sirnn_fixfmt fmt_den, sirnn_fixfmt fmt_out)
{
    sirnn_div_plan p;
    if (sirnn_div_plan_make(&p, &fmt_num, fmt_den, fmt_out) != NULL ||
        (n > 0 && (!q || !num || !den)))
        return SIRNN_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        q[i] = model_out_div(&p, num[i] & mask_of(p.bx), model_y(&p, den[i]), p.fy + 2);
    return SIRNN_OK;
}

static unsigned clog2u(unsigned v)
{
    unsigned r = 0;
    while (((unsigned)1 << r) < v)
        r++;
    return r;
}

/* The normalised division (see div_plan.h and sirnn/math.h): the target
 * precision is relative, bits_out + 1 bits of 1/dn for dn in [1, 2), so
 * that wherever |q| fits the output the error of Y costs at most 0.42 ULP
 * (|num| M 2^-shz <= 2 |q| 2^s_out < 2^bits_out). */
const char *sirnn_div_norm_plan_make(sirnn_div_plan *p, sirnn_fixfmt fnum, sirnn_fixfmt fden,
                                     sirnn_fixfmt fout)
{
    memset(p, 0, sizeof(*p));
    if (!fmt_ok(fden) || !fmt_ok(fout) || !fmt_ok(fnum))
        return "formats need 2 <= bits <= 32 and 0 <= scale < 63";
    if (!fnum.is_signed)
        return "the numerator format must be signed";
    if (!fout.is_signed)
        return "the quotient format must be signed";
    const unsigned b = fden.bits - (fden.is_signed ? 1u : 0u);
    if (b < 2)
        return "the denominator needs at least 2 bits besides its sign";
    int target = (int)fout.bits + 1;
    for (int tries = 0; tries < 3; tries++) {
        memset(p, 0, sizeof(*p));
        p->is_div = 1;
        p->norm = 1;
        p->b = b;
        p->s = b - 1; /* dn = DN / 2^(b-1) in [1, 2) */
        p->bo = fout.bits;
        p->so = (unsigned)fout.scale;
        p->bx = fnum.bits;
        const char *why = plan_y(p, target, 1, fout);
        if (why != NULL)
            return why;
        /* q = X W 2^-(sx + fy + b - 1 - sd) at scale s_out */
        const int shz = fnum.scale + (int)p->fy + (int)b - 1 - fden.scale - fout.scale;
        if (shz < 1) { /* no rounding bit left: work more precisely */
            target += 1 - shz;
            continue;
        }
        p->shz = (unsigned)shz;
        break;
    }
    if (p->shz == 0)
        return "format combination too wide (denominator scale far above the others)";
    /* DN = 0 (D = 0) gives Y = 0, so q = 0 (Y M X = 0 on every path). */
    for (uint64_t idx = 0; idx < ((uint64_t)1 << p->m); idx++)
        if ((idx << p->t) < ((uint64_t)1 << p->s))
            p->table[idx] = 0;
    p->li = clog2u(b);
    for (unsigned k = 0; k < b; k++)
        p->mtab[k] = (uint64_t)1 << (b - 1 - k);
    /* Y < 2^(fy+1) (Y <= 2^fy on the table and quadratic paths), M <=
     * 2^(b-1): W < 2^(fy+b), one more bit for its zero sign. */
    p->lw = p->fy + b + 1;
    p->lz = p->bx + p->lw - 1;
    if (p->lz > p->shz + p->bo)
        p->lz = p->shz + p->bo;
    if (p->lw > 64 || p->lz > 64)
        return "format combination too wide (bits_out + bits_den + 6 > 64, or the "
               "product num * (1/den) needs more than 64 bits)";
    if (p->lz <= p->shz)
        return "the quotient format is too coarse for any quotient of these formats";
    return NULL;
}

sirnn_status sirnn_ref_div_norm(size_t n, uint64_t *q, const uint64_t *num, const uint64_t *den,
                                sirnn_fixfmt fmt_num, sirnn_fixfmt fmt_den, sirnn_fixfmt fmt_out)
{
    sirnn_div_plan p;
    if (sirnn_div_norm_plan_make(&p, fmt_num, fmt_den, fmt_out) != NULL ||
        (n > 0 && (!q || !num || !den)))
        return SIRNN_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        const uint64_t D = den[i] & mask_of(p.b);
        const unsigned k = (unsigned)sirnn_ref_msnzb(D, p.b);
        const uint64_t M = p.mtab[k] & mask_of(p.b + 1);
        const uint64_t DN = sirnn_ref_mult(D, M, p.b, p.b + 1, p.b, 0);
        const uint64_t W = sirnn_ref_mult(model_y(&p, DN), M, p.fy + 2, p.b + 1, p.lw, 0);
        q[i] = model_out_div(&p, num[i] & mask_of(p.bx), W, p.lw);
    }
    return SIRNN_OK;
}
