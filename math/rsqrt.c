/*
 * Reciprocal square root of secret-shared fixed-point values (sirnn/math.h):
 * MSNZB of X = x mod 2^b gives k; one lookup on k gives the normalising
 * power of two M, the output scale S and the saturation constant C; XN = X M
 * lies in [1/2, 2); a lookup on its top bits gives the minimax line
 * y = A - B xn of its bucket; out = round(y S) + C. The cleartext model
 * (math/ref_rsqrt.c) runs the same integer steps, as planned by
 * math/rsqrt_plan.h. Composed of the protocols of arith.h, on chunks of the
 * batch so that memory stays O(chunk x lanes).
 */
#include "math/rsqrt_plan.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/math.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "net/party_internal.h"

/* Elements per lane per chunk (a multiple of 256). */
#define RSQ_CHUNK_PER_LANE SIRNN_WINDOW

enum { R_X, R_K, R_XN, R_IDX, R_P, R_Y, R_COUNT };

typedef struct rsq_bufs {
    uint64_t *w[R_COUNT];
    uint64_t *tri; /* 3 * cap: lookup indices, then M | S | C */
    uint64_t *two; /* 2 * cap: lookup indices, then A | B */
    uint8_t *onehot; /* b * cap */
    uint8_t *zeros;  /* boolean shares of a public 0 (a known MSB) */
    size_t cap, ohb;
} rsq_bufs;

static void rbufs_free(rsq_bufs *r)
{
    for (int i = 0; i < R_COUNT; i++) {
        if (r->w[i] != NULL)
            memset(r->w[i], 0, r->cap * sizeof(uint64_t));
        free(r->w[i]);
    }
    if (r->tri != NULL)
        memset(r->tri, 0, 3 * r->cap * sizeof(uint64_t));
    if (r->two != NULL)
        memset(r->two, 0, 2 * r->cap * sizeof(uint64_t));
    if (r->onehot != NULL)
        memset(r->onehot, 0, r->ohb);
    free(r->tri);
    free(r->two);
    free(r->onehot);
    free(r->zeros);
}

static int rbufs_alloc(rsq_bufs *r, size_t cap, unsigned b)
{
    memset(r, 0, sizeof(*r));
    r->cap = cap;
    r->ohb = cap * b;
    for (int i = 0; i < R_COUNT; i++)
        if ((r->w[i] = malloc(cap * sizeof(uint64_t))) == NULL)
            return -1;
    r->tri = malloc(3 * cap * sizeof(uint64_t));
    r->two = malloc(2 * cap * sizeof(uint64_t));
    r->onehot = malloc(r->ohb);
    r->zeros = calloc(cap, 1);
    return r->tri && r->two && r->onehot && r->zeros ? 0 : -1;
}

/* Per-element tables for sirnn_lut_cb: element i of a call over parts * k
 * elements uses table i / k of tabs (each 2^m entries). */
typedef struct rsq_fill {
    const uint64_t *tabs[3];
    size_t k;
    unsigned m;
} rsq_fill;

static void rsq_fill_fn(void *ctx, size_t first, size_t count, uint64_t *tables)
{
    const rsq_fill *f = ctx;
    const size_t len = (size_t)1 << f->m;
    for (size_t i = 0; i < count; i++)
        memcpy(tables + i * len, f->tabs[(first + i) / f->k], len * sizeof(uint64_t));
}

#define TRY(call)                                                                                \
    do {                                                                                         \
        if ((st = (call)) != SIRNN_OK)                                                           \
            return st;                                                                           \
    } while (0)

static sirnn_status rsq_chunk(sirnn_party *party, const sirnn_rsqrt_plan *p, rsq_bufs *r,
                              uint64_t *out, const uint64_t *x, size_t k)
{
    sirnn_status st;
    const int server = party->role == SIRNN_SERVER;
    const unsigned b = p->b;
    uint64_t *X = r->w[R_X], *K = r->w[R_K], *XN = r->w[R_XN], *IDX = r->w[R_IDX],
             *P = r->w[R_P], *Y = r->w[R_Y];
    uint64_t *Mv = r->tri, *Sv = r->tri + k, *Cv = r->tri + 2 * k;
    uint64_t *Av = r->two, *Bv = r->two + k;

    TRY(sirnn_mod_down(party, k, X, x, 64, b));
    TRY(sirnn_msnzb(party, k, r->onehot, K, X, b, 8, p->li));
    /* M, S, C from one lookup of 3k elements on k. */
    for (int j = 0; j < 3; j++)
        memcpy(r->tri + (size_t)j * k, K, k * sizeof(uint64_t));
    rsq_fill fk = {{p->ktab[0], p->ktab[1], p->ktab[2]}, k, p->li};
    TRY(sirnn_lut_cb(party, 3 * k, r->tri, r->tri, server ? rsq_fill_fn : NULL, &fk, p->li,
                     p->wk));
    TRY(sirnn_mod_down(party, k, Mv, Mv, p->wk, b + 2));
    TRY(sirnn_mod_down(party, k, Sv, Sv, p->wk, p->ws));
    TRY(sirnn_mod_down(party, k, Cv, Cv, p->wk, p->bo));
    /* XN = X M in [2^(b-1), 2^(b+1)); X's MSB is one-hot bit b - 1. */
    TRY(sirnn_mult_msb(party, k, XN, X, Mv, r->onehot + (size_t)(b - 1) * k, r->zeros, b, b + 2,
                       b + 2, 0));
    TRY(sirnn_mod_down(party, k, IDX, XN, b + 2, b + 1));
    if (b + 1 > p->mi)
        TRY(sirnn_tr_lean(party, k, IDX, IDX, b + 1, b + 1 - p->mi, p->mi, 0));
    /* A, B from one lookup of 2k elements on the top bits. */
    memcpy(Av, IDX, k * sizeof(uint64_t));
    memcpy(Bv, IDX, k * sizeof(uint64_t));
    const unsigned wab = p->pb + 2;
    rsq_fill fm = {{p->atab, p->btab, NULL}, k, p->mi};
    TRY(sirnn_lut_cb(party, 2 * k, r->two, r->two, server ? rsq_fill_fn : NULL, &fm, p->mi,
                     wab));
    TRY(sirnn_mod_down(party, k, Av, Av, wab, p->py + 2));
    /* y = A - (B XN >> shp) */
    TRY(sirnn_mult_msb(party, k, P, Bv, XN, r->zeros, r->zeros, p->pb + 2, b + 2, p->lp, 0));
    TRY(sirnn_tr_lean(party, k, P, P, p->lp, p->shp, (p->lp) - (p->shp), 0));
    TRY(sirnn_sub(party, k, Y, Av, P, p->py + 2));
    /* out = round(Y S / 2^shf) + C */
    TRY(sirnn_mult_msb(party, k, P, Y, Sv, r->zeros, r->zeros, p->py + 2, p->ws, p->lf, 0));
    TRY(sirnn_add_const(party, k, P, P, (uint64_t)1 << (p->shf - 1), p->lf));
    if (p->lf - p->shf >= p->bo) {
        TRY(sirnn_tr_lean(party, k, P, P, p->lf, p->shf, (p->lf) - (p->shf), 0));
        TRY(sirnn_mod_down(party, k, P, P, p->lf - p->shf, p->bo));
    } else {
        TRY(sirnn_tr_ext(party, k, P, P, p->lf, p->shf, p->bo, 0));
    }
    return sirnn_add(party, k, out, P, Cv, p->bo);
}

sirnn_status sirnn_rsqrt(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                         sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    sirnn_rsqrt_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return sirnn_party_error(party, SIRNN_ERR_NOMEM, "sirnn_rsqrt: out of memory");
    const char *why = sirnn_rsqrt_plan_make(p, fmt_in, fmt_out);
    sirnn_status st = SIRNN_OK;
    if (why != NULL)
        st = sirnn_party_error(party, SIRNN_ERR_ARG, "sirnn_rsqrt: %s", why);
    else if (n > 0 && (y == NULL || x == NULL))
        st = sirnn_party_error(party, SIRNN_ERR_ARG, "sirnn_rsqrt: NULL array with n > 0");
    if (st == SIRNN_OK)
        st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0) {
        free(p);
        return st;
    }
    const size_t block = (size_t)RSQ_CHUNK_PER_LANE * party->nlanes;
    const size_t cap = n < block ? n : block;
    rsq_bufs r;
    if (rbufs_alloc(&r, cap, p->b) != 0) {
        rbufs_free(&r);
        free(p);
        return sirnn_party_error(party, SIRNN_ERR_NOMEM, "sirnn_rsqrt: out of memory");
    }
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        /* x is read into X first, so y may alias x. */
        st = rsq_chunk(party, p, &r, y + off, x + off, k);
    }
    rbufs_free(&r);
    free(p);
    return st;
}
