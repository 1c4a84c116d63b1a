/*
 * Reciprocal square root of secret-shared fixed-point values (sirnn/math.h):
 * MSNZB of X = x mod 2^b gives k; one lookup on k gives the normalising
 * power of two M, the output scale S and the saturation constant C; XN = X M
 * lies in [1/2, 2); a lookup on its top bits gives the minimax line
 * y = A - B xn of its bucket; out = round(y S) + C. The cleartext model
 * (math/ref_rsqrt.c) runs the same integer steps, as planned by
 * math/rsqrt_plan.h. Composed of the protocols of arith.h, on chunks of the
 * batch so that memory stays O(chunk x lanes). The wraps the products need
 * come with the lookups before them (wrap fields of the looked-up values,
 * MSB-to-wrap as a 1-of-4 lookup request in the same flights), so the two
 * first products take 3 flights and no comparison.
 */
#include "math/rsqrt_plan.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/math.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "net/party_internal.h"

/* Elements per lane per chunk (a multiple of 256). */
#define RSQ_CHUNK_PER_LANE SIRNN_WINDOW

enum { R_X, R_K, R_XN, R_IDX, R_P, R_Y, R_COUNT };

typedef struct rsq_bufs {
    uint64_t *w[R_COUNT];
    uint64_t *tri; /* 6 * cap: M | M's wrap | S | S's wrap | C | X's wrap */
    uint64_t *two; /* 3 * cap: A | B | B's wrap */
    uint64_t *aux; /* 2 * cap: MSB-to-wrap choices, then wraps */
    uint8_t *bits; /* cap: a wrap as boolean shares */
    uint8_t *zeros; /* cap: boolean shares of a public 0 (a known MSB) */
    size_t cap;
} rsq_bufs;

static void rbufs_free(rsq_bufs *r)
{
    for (int i = 0; i < R_COUNT; i++) {
        if (r->w[i] != NULL)
            memset(r->w[i], 0, r->cap * sizeof(uint64_t));
        free(r->w[i]);
    }
    if (r->tri != NULL)
        memset(r->tri, 0, 6 * r->cap * sizeof(uint64_t));
    if (r->two != NULL)
        memset(r->two, 0, 3 * r->cap * sizeof(uint64_t));
    if (r->aux != NULL)
        memset(r->aux, 0, 2 * r->cap * sizeof(uint64_t));
    if (r->bits != NULL)
        memset(r->bits, 0, r->cap);
    free(r->aux);
    free(r->bits);
    free(r->zeros);
    free(r->tri);
    free(r->two);
}

static int rbufs_alloc(rsq_bufs *r, size_t cap)
{
    memset(r, 0, sizeof(*r));
    r->cap = cap;
    for (int i = 0; i < R_COUNT; i++)
        if ((r->w[i] = malloc(cap * sizeof(uint64_t))) == NULL)
            return -1;
    r->tri = malloc(6 * cap * sizeof(uint64_t));
    r->two = malloc(3 * cap * sizeof(uint64_t));
    r->aux = malloc(2 * cap * sizeof(uint64_t));
    r->bits = malloc(cap);
    r->zeros = calloc(cap, 1);
    return r->tri && r->two && r->aux && r->bits && r->zeros ? 0 : -1;
}

/* MSB-to-wrap as a lookup request (one KK13 1-of-4 OT of one-bit messages,
 * 260 bits, as sirnn_msb_to_wrap), so that it rides in another lookup's
 * flights: wrap(z0, z1; w) from the shares' top bits m0, m1 and boolean
 * shares of msb(z): wrap = m0 m1 ^ (m0 ^ m1)(1 ^ msb). Party 1's index is
 * m1 + 2 msb1, party 0's is 0 and its per-element table gives the wrap for
 * every (m1, msb1). msb NULL: a public zero MSB. */
typedef struct m2w_fill {
    const uint64_t *z;   /* party 0's shares */
    const uint8_t *msb;  /* party 0's MSB shares, or NULL */
    unsigned w;
} m2w_fill;

static void m2w_fill_fn(void *ctx, size_t first, size_t count, uint64_t *tables)
{
    const m2w_fill *f = ctx;
    for (size_t i = 0; i < count; i++) {
        const uint64_t m0 = (f->z[first + i] >> (f->w - 1)) & 1;
        const uint64_t b0 = f->msb != NULL ? (uint64_t)(f->msb[first + i] & 1) : 0;
        for (uint64_t v = 0; v < 4; v++) {
            const uint64_t m1 = v & 1, msb = b0 ^ (v >> 1);
            tables[i * 4 + v] = (m0 & m1) ^ ((m0 ^ m1) & (msb ^ 1));
        }
    }
}

/* Party 1's indices of the MSB-to-wrap request (party 0's are 0). */
static void m2w_index(int server, uint64_t *idx, const uint64_t *z, const uint8_t *msb,
                      unsigned w, size_t k)
{
    for (size_t i = 0; i < k; i++)
        idx[i] = server ? 0 : ((z[i] >> (w - 1)) & 1) | (msb != NULL ? (uint64_t)(msb[i] & 1) << 1 : 0);
}

static const unsigned ONE_BIT[1] = {1};

/* Party 0's per-element tables of the lookup on MSNZB's code: entry v =
 * (c1, m1) (c1 party 1's code share, m1 its top bit of X) holds M, 0, S,
 * 0, C of k = pos[c1 ^ c0] and X's wrap m0 m1 ^ (m0 ^ m1)(1 ^ msb), msb =
 * (k == b - 1). */
typedef struct kfill {
    const sirnn_rsqrt_plan *p;
    const uint64_t *X, *code; /* party 0's shares */
    const uint8_t *pos;
    unsigned mcode;
} kfill;

static void k_fill_fn(void *ctx, size_t first, size_t count, uint64_t *tables)
{
    const kfill *f = ctx;
    const sirnn_rsqrt_plan *p = f->p;
    const size_t N = (size_t)2 << f->mcode;
    const uint64_t cm = ((uint64_t)1 << f->mcode) - 1;
    for (size_t i = 0; i < count; i++) {
        const uint64_t c0 = f->code[first + i] & cm;
        const uint64_t m0 = (f->X[first + i] >> (p->b - 1)) & 1;
        uint64_t *t = tables + i * 6 * N;
        for (uint64_t v = 0; v < N; v++) {
            const unsigned kk = f->pos[(v & cm) ^ c0];
            const uint64_t m1 = v >> f->mcode, msb = kk == p->b - 1;
            t[v] = p->ktab[SIRNN_RSQ_M][kk];
            t[N + v] = 0;
            t[2 * N + v] = p->ktab[SIRNN_RSQ_S][kk];
            t[3 * N + v] = 0;
            t[4 * N + v] = p->ktab[SIRNN_RSQ_C][kk];
            t[5 * N + v] = (m0 & m1) ^ ((m0 ^ m1) & (msb ^ 1));
        }
    }
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
    const uint64_t *Av = r->two, *Bv = r->two + k;

    TRY(sirnn_mod_down(party, k, X, x, 64, b));
    /* MSNZB up to its code; then one set of lookup flights on the code
     * (and party 1's top bit of X) gives M and S (with the wraps of their
     * output shares), C, and X's wrap, the MSB-to-wrap of its shares with
     * the MSB read off the code (msnzb(X) = b - 1). */
    unsigned mcode = 0;
    uint8_t pos[256];
    TRY(sirnn_msnzb_code(party, k, K, X, b, 8, &mcode, pos));
    for (size_t i = 0; i < k; i++)
        r->aux[i] = server ? 0 : K[i] | ((X[i] >> (b - 1)) & 1) << mcode;
    const unsigned kw[6] = {b + 2, 1, p->ws, 1, p->bo, 1};
    const unsigned kwrap[6] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP, 2, SIRNN_LUT_NOWRAP,
                               SIRNN_LUT_NOWRAP};
    kfill fk = {p, X, K, pos, mcode};
    const sirnn_lut_req rk = {.out = r->tri, .idx = r->aux, .fill = server ? k_fill_fn : NULL,
                              .fill_ctx = &fk, .ntab = 6, .m = mcode + 1, .widths = kw,
                              .wrap_of = kwrap};
    TRY(sirnn_lut_several(party, k, &rk, 1));
    const uint64_t *Mv = r->tri, *Sv = r->tri + 2 * k, *Cv = r->tri + 4 * k;
    const uint64_t *Sw = r->tri + 3 * k;
    /* XN = X M in [2^(b-1), 2^(b+1)): both wraps known (M's ring is the
     * product's, so only X's is used), 3 flights */
    for (size_t i = 0; i < k; i++)
        r->bits[i] = (uint8_t)(r->tri[k + i] & 1);
    TRY(sirnn_mult_wraps(party, k, XN, X, Mv, r->tri + 5 * k, r->bits, b, b + 2, b + 2, 0));
    TRY(sirnn_mod_down(party, k, IDX, XN, b + 2, b + 1));
    if (b + 1 > p->mi)
        TRY(sirnn_tr_lean(party, k, IDX, IDX, b + 1, b + 1 - p->mi, p->mi, 0));
    /* A, B (with B's wrap) on the top bits, and XN's wrap by MSB-to-wrap
     * (its MSB a public 0), in one set of flights */
    const size_t NM = (size_t)1 << p->mi;
    uint64_t mtab[3 * 256];
    if (server) {
        memcpy(mtab, p->atab, NM * sizeof(uint64_t));
        memcpy(mtab + NM, p->btab, NM * sizeof(uint64_t));
        memset(mtab + 2 * NM, 0, NM * sizeof(uint64_t));
    }
    const unsigned mw[3] = {p->py + 2, p->pb + 2, 1};
    const unsigned mwrap[3] = {SIRNN_LUT_NOWRAP, SIRNN_LUT_NOWRAP, 1};
    m2w_index(server, r->aux, XN, NULL, b + 2, k);
    m2w_fill fxn = {XN, NULL, b + 2};
    const sirnn_lut_req rm[2] = {
        {.out = r->two, .idx = IDX, .tables = server ? mtab : NULL, .ntab = 3, .m = p->mi,
         .widths = mw, .wrap_of = mwrap},
        {.out = r->aux + k, .idx = r->aux, .fill = server ? m2w_fill_fn : NULL, .fill_ctx = &fxn,
         .ntab = 1, .m = 2, .widths = ONE_BIT}};
    st = sirnn_lut_several(party, k, rm, 2);
    if (server)
        sirnn_memzero(mtab, sizeof mtab);
    if (st != SIRNN_OK)
        return st;
    /* P = B XN mod 2^lp: both wraps known, 3 flights */
    for (size_t i = 0; i < k; i++)
        r->bits[i] = (uint8_t)(r->aux[k + i] & 1);
    TRY(sirnn_mult_wraps(party, k, P, Bv, XN, Bv + k, r->bits, p->pb + 2, b + 2, p->lp, 0));
    /* Y = A - floor(P / 2^shp) = floor(Q / 2^shp) for Q = A 2^shp + 2^shp
     * - 1 - P (the plan keeps 0 <= Y < 2^(py+1), so 0 <= Q < 2^(lp-1)).
     * A's shares lift to the lp ring for free (lp = py + 2 + shp: the wrap
     * of A's shares times 2^shp vanishes). Q's MSB is a public 0, so the
     * truncation's network gets Q's wrap by MSB-to-wrap among its leaves
     * and gives Y's true value mod 2^ly, ly >= lf, in the flights of a
     * truncation to py + 2 bits; then the product below needs no wrap of Y
     * (no MSB-to-wrap, one flight fewer, and its last flight, party 1's,
     * carries the final truncation's first). */
    const uint64_t lpm = sirnn_mask(p->lp), low = ((uint64_t)1 << p->shp) - 1;
    for (size_t i = 0; i < k; i++)
        P[i] = ((Av[i] << p->shp) + (server ? low : 0) - P[i]) & lpm;
    const unsigned ly = p->lf > p->py + 2 ? p->lf : p->py + 2;
    TRY(sirnn_shift_lean(party, k, Y, P, r->zeros, p->lp, p->shp, ly, 0, NULL));
    /* out = round(Y S / 2^shf) + C: S's wrap known, Y's not needed */
    TRY(sirnn_mult_wrap(party, k, P, Sv, Y, Sw, NULL, p->ws, ly, p->lf));
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
    if (rbufs_alloc(&r, cap) != 0) {
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
