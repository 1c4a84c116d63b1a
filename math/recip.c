/*
 * The reciprocal core r = 1 / (1 + e), e in [0, 1): a minimax line on
 * each of 128 segments (see math/recip.h for the contract and the model).
 *
 * Why a line and one product instead of SIRNN's piecewise-linear guess
 * plus Goldschmidt iterations: the denominator's range is known, so 128
 * segments already make the interpolation error 2^-17, below half an ULP
 * up to 16 output fraction bits; no iteration (each a product and a
 * truncation) is needed.
 */
#include "math/recip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "net/party_internal.h"

enum { RECIP_BLOCK = SIRNN_WINDOW };

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

sirnn_status sirnn_recip1p_plan_init(sirnn_recip1p_plan *p, unsigned f, unsigned lw, unsigned so,
                                     unsigned lr)
{
    memset(p, 0, sizeof(*p));
    if (f < 7 || f > 40 || lw <= f || lw > 64 || so < 1 || so > f || lr < so + 2 || lr > 64)
        return SIRNN_ERR_ARG;
    p->f = f;
    p->lw = lw;
    p->so = so;
    p->lr = lr;
    p->k = f - 7;
    p->F = so + 3;
    p->T = p->F + p->k - so;
    p->L = p->T + lr;
    p->W = p->L - p->k;
    if (p->L > 64)
        return SIRNN_ERR_ARG;
    /* The minimax line of each segment: the chord, lowered by half its
     * largest distance above r (at 1 + e* = 1 / sqrt(-slope)). */
    for (unsigned h = 0; h < 128; h++) {
        const long double u = h / 128.0L, v = (h + 1) / 128.0L;
        const long double ru = 1.0L / (1.0L + u), rv = 1.0L / (1.0L + v);
        const long double m = (rv - ru) * 128.0L, es = 1.0L / sqrtl(-m) - 1.0L;
        const long double dev = ru + m * (es - u) - 1.0L / (1.0L + es);
        p->A[h] = (uint64_t)floorl(ldexpl(ru - dev / 2, (int)p->F) + 0.5L);
        p->delta[h] = (uint64_t)floorl(ldexpl(ru - rv, (int)p->F) + 0.5L);
    }
    return SIRNN_OK;
}

uint64_t sirnn_recip1p_ref(const sirnn_recip1p_plan *p, uint64_t e)
{
    const unsigned h = (unsigned)(e >> p->k) & 127;
    const uint64_t lo = e & mask64(p->k);
    const uint64_t R = (p->A[h] << p->k) - p->delta[h] * lo;
    return ((R + ((uint64_t)1 << (p->T - 1))) >> p->T) & mask64(p->lr);
}

typedef struct recip_fill_ctx {
    const sirnn_recip1p_plan *p;
    size_t n;
} recip_fill_ctx;

/* Elements [0, n) look up A, [n, 2n) delta (public tables). */
static void recip_fill(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const recip_fill_ctx *c = vctx;
    for (size_t i = 0; i < count; i++)
        for (unsigned h = 0; h < 128; h++)
            tables[i * 128 + h] = first + i < c->n ? c->p->A[h] : c->p->delta[h];
}

static sirnn_status recip_block(sirnn_party *party, size_t n, uint64_t *r, const uint64_t *e,
                                const sirnn_recip1p_plan *p, uint64_t *idx, uint64_t *lo,
                                uint8_t *zeros)
{
    const unsigned k = p->k, L = p->L, T = p->T;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        lo[i] = e[i] & mask64(k);
    if (k > 0) {
        if ((st = sirnn_tr_lean(party, n, idx, e, p->lw, k, (p->lw) - (k), 0)) != SIRNN_OK)
            return st;
    } else {
        memcpy(idx, e, n * sizeof(uint64_t));
    }
    for (size_t i = 0; i < n; i++) {
        idx[i] &= 127; /* h < 128: exact */
        idx[n + i] = idx[i];
    }
    recip_fill_ctx fc = {p, n};
    if ((st = sirnn_lut_cb(party, 2 * n, idx, idx, server ? recip_fill : NULL, &fc, 7, p->W)) !=
        SIRNN_OK)
        return st;
    uint64_t *A = idx, *dl = idx + n;
    if (k > 0 &&
        (st = sirnn_mult_msb(party, n, dl, lo, dl, NULL, zeros, k, p->W, L, 0)) != SIRNN_OK)
        return st;
    /* V = A 2^k - delta lo + 2^(T-1) mod 2^L */
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (A[i] << k) - (k > 0 ? dl[i] : 0);
        if (server)
            v += (uint64_t)1 << (T - 1);
        r[i] = v & mask64(L);
    }
    return sirnn_tr_lean(party, n, r, r, L, T, (L) - (T), 0);
}

sirnn_status sirnn_recip1p_run(sirnn_party *party, size_t n, uint64_t *r, const uint64_t *e,
                               const sirnn_recip1p_plan *p)
{
    const size_t block = (size_t)RECIP_BLOCK * party->nlanes;
    const size_t cap = n < block ? n : block;
    uint64_t *idx = malloc(2 * cap * sizeof(uint64_t)), *lo = malloc(cap * sizeof(uint64_t));
    uint8_t *zeros = calloc(cap, 1);
    sirnn_status st = SIRNN_OK;
    if (idx == NULL || lo == NULL || zeros == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        st = recip_block(party, k, r + off, e + off, p, idx, lo, zeros);
    }
    if (idx != NULL)
        sirnn_memzero(idx, 2 * cap * sizeof(uint64_t));
    if (lo != NULL)
        sirnn_memzero(lo, cap * sizeof(uint64_t));
    free(idx);
    free(lo);
    free(zeros);
    return st;
}
