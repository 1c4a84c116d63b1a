/*
 * A truncation fused into a two-digit decomposition (contract in
 * arith/trdig.h).
 *
 * With each party's share cut at e and at e + d_k, digit lo_k of t_k =
 * floor(x_k / 2^e) is (x0 >> e) + (x1 >> e) + g_e mod 2^d_k and hi_k is
 * (x0 >> (e + d_k)) + (x1 >> (e + d_k)) + g_{e + d_k} mod 2^h_k, g_j the
 * carry into bit j of x0 + x1. The inputs share their low e bits, so g_e is
 * one carry for both; the carries above it take one more leaf each.
 */
#include "arith/trdig.h"

#include <stdlib.h>

#include "arith/arith_internal.h"
#include "arith/wnet.h"

typedef struct trdig_ctx {
    uint64_t *out;
    uint8_t *carry; /* sirnn_trdig2_carries: g_e, g_{e+d_0}, g_{e+d_1} (3n bytes) */
    const uint64_t *x[2];
    size_t n;
    unsigned l, e, d[2], h[2];
    unsigned oe, ohi[2]; /* output indices of g_e and of the upper carries */
} trdig_ctx;

static void trdig_prep(void *vctx, int server, sirnn_wn_chunk *c)
{
    (void)server;
    const trdig_ctx *t = vctx;
    const uint64_t lm = sirnn_mask(t->l);
    for (unsigned k = 0; k < 2; k++)
        for (size_t i = 0; i < c->k; i++)
            c->in[k][i] = t->x[k][c->off + i] & lm;
}

static sirnn_status trdig_post(void *vctx, int server, sirnn_wn_chunk *c)
{
    (void)server;
    const trdig_ctx *t = vctx;
    if (t->carry != NULL) {
        const unsigned o[3] = {t->oe, t->ohi[0], t->ohi[1]};
        for (unsigned q = 0; q < 3; q++)
            for (size_t i = 0; i < c->k; i++)
                t->carry[q * t->n + c->off + i] = (uint8_t)(c->bits[o[q]][i] & 1);
        return SIRNN_OK;
    }
    const uint64_t *ge = c->arith[t->oe];
    for (unsigned k = 0; k < 2; k++) {
        uint64_t *lo = t->out + (size_t)(2 * k) * t->n + c->off;
        uint64_t *hi = lo + t->n;
        const uint64_t *gh = c->arith[t->ohi[k]], *own = c->in[k];
        const uint64_t lom = sirnn_mask(t->d[0] > t->d[1] ? t->d[0] : t->d[1]);
        const uint64_t him = sirnn_mask(t->h[k]);
        const unsigned sh = t->e + t->d[k];
        for (size_t i = 0; i < c->k; i++) {
            lo[i] = ((own[i] >> t->e) + ge[i]) & lom;
            hi[i] = ((own[i] >> sh) + gh[i]) & him;
        }
    }
    return SIRNN_OK;
}

/* A balanced tree over blk[lo, hi) (hi > lo). */
static unsigned tree(sirnn_wn_plan *p, const unsigned *blk, unsigned lo, unsigned hi)
{
    if (hi - lo == 1)
        return blk[lo];
    const unsigned mid = lo + (hi - lo + 1) / 2;
    return sirnn_wn_comb(p, tree(p, blk, mid, hi), tree(p, blk, lo, mid));
}

static sirnn_status trdig_run(sirnn_party *party, size_t n, uint64_t *out, uint8_t *carry,
                              const uint64_t *xa, const uint64_t *xb, unsigned l, unsigned e,
                              const unsigned d[2], const unsigned h[2])
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    int bad = l > 64 || e < 1 || d == NULL || h == NULL ||
              (n > 0 && ((out == NULL && carry == NULL) || xa == NULL || xb == NULL));
    for (unsigned k = 0; !bad && k < 2; k++)
        bad = d[k] < 1 || d[k] > 8 || h[k] < 1 || e + d[k] + h[k] > l;
    if (bad)
        return sirnn_arith_arg(party, "sirnn_trdig2",
                               "need 1 <= e, 1 <= d_k <= 8, 1 <= h_k, e + d_k + h_k <= l <= 64 "
                               "and non-NULL arrays");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    sirnn_wn_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    sirnn_wn_init(p);
    /* the low e bits: k blocks of up to 8 bits from the bottom */
    const unsigned k = (e + 7) / 8;
    unsigned blk[8];
    for (unsigned j = 0; j < k; j++)
        blk[j] = sirnn_wn_leaf(p, 0, 8 * j, j + 1 < k ? 8 : e - 8 * (k - 1));
    /* left: the lowest hp blocks (hp the largest power of two <= k); the
     * carries into e + d_k combine a leaf of input k over the rest with
     * left, so they and g_e take ceil(log2(k + 1)) levels */
    unsigned hp = 1;
    while (2 * hp <= k)
        hp *= 2;
    const unsigned left = tree(p, blk, 0, hp);
    const unsigned rest = hp < k ? tree(p, blk, hp, k) : SIRNN_WN_NONE;
    const unsigned ge = rest == SIRNN_WN_NONE ? left : sirnn_wn_comb(p, rest, left);
    unsigned gh[2];
    for (unsigned q = 0; q < 2; q++) {
        unsigned top = sirnn_wn_leaf(p, q, e, d[q]);
        if (rest != SIRNN_WN_NONE)
            top = sirnn_wn_comb(p, top, rest);
        gh[q] = sirnn_wn_comb(p, top, left);
    }
    trdig_ctx t = {.out = out, .carry = carry, .x = {xa, xb}, .n = n, .l = l, .e = e,
                   .d = {d[0], d[1]}, .h = {h[0], h[1]}};
    const unsigned wlo = d[0] > d[1] ? d[0] : d[1];
    /* width 1 is the boolean share itself, which is also its share mod 2;
     * width 0 (the carries alone) has no B2A */
    t.oe = sirnn_wn_output(p, ge, SIRNN_WN_G, carry != NULL ? 0 : wlo);
    for (unsigned q = 0; q < 2; q++)
        t.ohi[q] = sirnn_wn_output(p, gh[q], SIRNN_WN_G, carry != NULL ? 0 : h[q]);
    st = sirnn_wn_finalize(p);
    if (st == SIRNN_OK)
        st = sirnn_wn_run(party, n, p, trdig_prep, trdig_post, &t);
    free(p);
    return st;
}

sirnn_status sirnn_trdig2(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *xa,
                          const uint64_t *xb, unsigned l, unsigned e, const unsigned d[2],
                          const unsigned h[2])
{
    if (n > 0 && out == NULL)
        return party == NULL ? SIRNN_ERR_ARG
                             : sirnn_arith_arg(party, "sirnn_trdig2", "NULL out with n > 0");
    return trdig_run(party, n, out, NULL, xa, xb, l, e, d, h);
}

sirnn_status sirnn_trdig2_carries(sirnn_party *party, size_t n, uint8_t *carry,
                                  const uint64_t *xa, const uint64_t *xb, unsigned l, unsigned e,
                                  const unsigned d[2], const unsigned h[2])
{
    if (n > 0 && carry == NULL)
        return party == NULL ? SIRNN_ERR_ARG
                             : sirnn_arith_arg(party, "sirnn_trdig2_carries",
                                               "NULL carry with n > 0");
    return trdig_run(party, n, NULL, carry, xa, xb, l, e, d, h);
}
