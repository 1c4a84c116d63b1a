/*
 * sigmoid and tanh under MPC (contract in include/sirnn/math.h, algorithm
 * in math/sigmoid_plan.h). The poly path (16-bit inputs and below, when a
 * line or a parabola per 256 input steps is precise enough): digit
 * decomposition, one lookup call for the polynomial's coefficients, one
 * product call and one truncation (14 to 16 flights). Otherwise the |x|
 * path: the sign by sirnn_msb, |x| by one MUX, the exp chain of
 * math/exp.c on |x|, the reciprocal core of math/recip.c, and one MUX that
 * applies the sign.
 *
 * Why the |x| path has this shape: sigmoid(x) = 1/(1 + e^-|x|) for x >= 0
 * and 1 minus that for x < 0, so only 1/(1 + e) with e in [0, 1) is
 * needed, a denominator in [1, 2): no MSNZB, no numerator product (SIRNN
 * multiplies e by the reciprocal), and tanh is the same core: 2/(1 +
 * e^-2|x|) - 1.
 */
#include "sirnn/math.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "kernels/random.h"
#include "math/sigmoid_plan.h"
#include "net/party_internal.h"

enum { SIG_BLOCK = 16384 };

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

typedef struct poly_fill_ctx {
    const sirnn_sig_plan *p;
    size_t n;
} poly_fill_ctx;

/* Elements [0, n) look up A, [n, 2n) B, [2n, 3n) C (public tables). */
static void poly_fill(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const poly_fill_ctx *c = vctx;
    const size_t N = (size_t)1 << c->p->w1;
    for (size_t i = 0; i < count; i++) {
        const size_t e = first + i;
        memcpy(tables + i * N, e < c->n ? c->p->A : e < 2 * c->n ? c->p->B : c->p->C,
               N * sizeof(uint64_t));
    }
}

/* The poly path (math/sigmoid_plan.h): degree 2 first looks up Q[d0]
 * (8 bits, centred); d1 by sirnn_digdec(b, 8) (d0 = x mod 2^8 is local);
 * A[d1], B[d1] (and C[d1]) in one lookup call; B (d0 - 128) (and C Q) by
 * one signed product call (8 x L -> L: the 8-bit operand's wrap by the
 * millionaires', none needed for the L-bit one); one rounding TR(L, T)
 * into bo bits. idx: 3n words, z: 2n words. */
static sirnn_status poly_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                               const sirnn_sig_plan *p, uint64_t *idx, uint64_t *z)
{
    const unsigned b = p->b, L = p->L, T = p->T, deg = p->deg;
    const int server = party->role == SIRNN_SERVER;
    const uint64_t lm = mask64(L);
    sirnn_status st;
    for (size_t i = 0; i < n; i++) {
        z[i] = x[i] & 0xff; /* d0 */
        idx[n + i] = x[i] & mask64(b);
    }
    if (deg == 2 && (st = sirnn_lut(party, n, z + n, z, server ? p->Q : NULL, 256, 8, 8)) !=
                        SIRNN_OK)
        return st;
    /* dc = d0 - 128 (8-bit two's complement): party 0 adds 128 mod 2^8 */
    if (server)
        for (size_t i = 0; i < n; i++)
            z[i] = (z[i] + 128) & 0xff;
    if ((st = sirnn_digdec(party, n, idx + n, idx + n, b, 8)) != SIRNN_OK)
        return st;
    /* d1 (digit 1, at idx + 2n) for every table */
    memcpy(idx, idx + 2 * n, n * sizeof(uint64_t));
    memcpy(idx + n, idx + 2 * n, n * sizeof(uint64_t));
    poly_fill_ctx fc = {p, n};
    if ((st = sirnn_lut_cb(party, (deg + 1) * n, idx, idx, server ? poly_fill : NULL, &fc, p->w1,
                           L)) != SIRNN_OK)
        return st;
    if ((st = sirnn_mult_msb(party, deg * n, z, z, idx + n, NULL, NULL, 8, L, L, 1)) != SIRNN_OK)
        return st;
    const uint64_t half = server ? (uint64_t)1 << (T - 1) : 0;
    for (size_t i = 0; i < n; i++)
        z[i] = (idx[i] + z[i] + (deg == 2 ? z[n + i] : 0) + half) & lm;
    if ((st = sirnn_tr(party, n, z, z, L, T)) != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        y[i] = z[i] & mask64(p->bo);
    return SIRNN_OK;
}

static sirnn_status sig_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                              const sirnn_sig_plan *p, uint64_t *a, uint64_t *t, uint8_t *neg)
{
    const unsigned b = p->b, lr = p->lr, so = p->so;
    const int server = party->role == SIRNN_SERVER;
    const uint64_t bm = mask64(b), rm = mask64(lr);
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        a[i] = x[i] & bm;
    if ((st = sirnn_msb(party, n, neg, a, b)) != SIRNN_OK)
        return st;
    /* |x| = x + (neg ? -2x : 0) */
    for (size_t i = 0; i < n; i++)
        t[i] = (0 - 2 * a[i]) & bm;
    if ((st = sirnn_mux(party, n, t, neg, t, b)) != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        a[i] = (a[i] + t[i]) & bm;
    if ((st = sirnn_exp_chain_run(party, n, a, a, &p->chain)) != SIRNN_OK)
        return st;
    if ((st = sirnn_recip1p_run(party, n, a, a, &p->recip)) != SIRNN_OK)
        return st;
    /* sigmoid: y = R + neg (2^so - 2R); tanh: t = 2R - 2^so, y = t + neg (-2t) */
    const uint64_t one = server ? (uint64_t)1 << so : 0;
    for (size_t i = 0; i < n; i++) {
        if (p->is_tanh)
            a[i] = (2 * a[i] - one) & rm;
        t[i] = (p->is_tanh ? 0 - 2 * a[i] : one - 2 * a[i]) & rm;
    }
    if ((st = sirnn_mux(party, n, t, neg, t, lr)) != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        y[i] = (a[i] + t[i]) & rm & mask64(p->bo);
    return SIRNN_OK;
}

static sirnn_status sig_run(sirnn_party *party, int is_tanh, size_t n, uint64_t *y,
                            const uint64_t *x, sirnn_fixfmt fin, sirnn_fixfmt fout)
{
    const char *name = is_tanh ? "sirnn_tanh" : "sirnn_sigmoid";
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (n > 0 && (y == NULL || x == NULL))
        return sirnn_party_error(party, SIRNN_ERR_ARG, "%s: NULL array with n > 0", name);
    sirnn_sig_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    char err[200];
    if ((st = sirnn_sig_plan_init(p, is_tanh, fin, fout, err, sizeof err)) != SIRNN_OK) {
        free(p);
        return sirnn_party_error(party, st, "%s", err);
    }
    const size_t block = (size_t)SIG_BLOCK * party->nlanes, cap = n < block ? n : block;
    /* a: 3 cap words, t: 2 cap (the poly path's) */
    uint64_t *a = malloc(3 * cap * sizeof(uint64_t) + 1),
             *t = malloc(2 * cap * sizeof(uint64_t) + 1);
    uint8_t *neg = malloc(cap + 1);
    if (a == NULL || t == NULL || neg == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        st = p->deg > 0 ? poly_block(party, k, y + off, x + off, p, a, t)
                     : sig_block(party, k, y + off, x + off, p, a, t, neg);
    }
    if (a != NULL)
        sirnn_memzero(a, 3 * cap * sizeof(uint64_t));
    if (t != NULL)
        sirnn_memzero(t, 2 * cap * sizeof(uint64_t));
    if (neg != NULL)
        sirnn_memzero(neg, cap);
    free(a);
    free(t);
    free(neg);
    free(p);
    return st;
}

sirnn_status sirnn_sigmoid(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                           sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out)
{
    return sig_run(party, 0, n, y, x, fmt_in, fmt_out);
}

sirnn_status sirnn_tanh(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                        sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out)
{
    return sig_run(party, 1, n, y, x, fmt_in, fmt_out);
}
