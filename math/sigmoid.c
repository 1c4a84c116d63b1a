/*
 * sigmoid and tanh under MPC (contract in include/sirnn/math.h, algorithm
 * in math/sigmoid_plan.h). The poly path (16-bit inputs and below, when a
 * line or a parabola per 256 input steps is precise enough): digit
 * decomposition, one set of lookup flights for the polynomial's
 * coefficients (and Q, with the wraps of the looked-up operands), one
 * product call and one truncation (9 flights). Otherwise the |x|
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "arith/trdig.h"
#include "arith/lean_wrap.h"
#include "math/sig_pair.h"
#include "math/sigmoid_plan.h"
#include "net/party_internal.h"

enum { SIG_BLOCK = SIRNN_WINDOW };

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

/* The poly path's rounding: y = (V + 2^(T-1)) >> T mod 2^bo, V the
 * polynomial's value (mod 2^L) in z; party 0 adds the half. */
static sirnn_status poly_round(sirnn_party *party, size_t n, uint64_t *y, uint64_t *z,
                               const sirnn_sig_plan *p)
{
    const int server = party->role == SIRNN_SERVER;
    if (p->narrow) {
        /* W = V + 2^(T-1) + voff has a public zero MSB: one shift into the
         * output ring, then party 0 takes voff >> T back off */
        const uint64_t add = server ? ((uint64_t)1 << (p->T - 1)) + p->voff : 0;
        const uint64_t sub = server ? p->voff >> p->T : 0;
        uint8_t *zero = calloc(n + 1, 1);
        if (zero == NULL)
            return SIRNN_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            z[i] = (z[i] + add) & mask64(p->L);
        sirnn_status st = sirnn_shift_lean(party, n, z, z, zero, p->L, p->T, p->bo, 0, NULL);
        free(zero);
        for (size_t i = 0; st == SIRNN_OK && i < n; i++)
            y[i] = (z[i] - sub) & mask64(p->bo);
        return st;
    }
    const uint64_t half = server ? (uint64_t)1 << (p->T - 1) : 0;
    for (size_t i = 0; i < n; i++)
        z[i] = (z[i] + half) & mask64(p->L);
    sirnn_status st = sirnn_tr_lean(party, n, z, z, p->L, p->T, (p->L) - (p->T), 0);
    for (size_t i = 0; st == SIRNN_OK && i < n; i++)
        y[i] = z[i] & mask64(p->bo);
    return st;
}

/* Party 0's per-element tables of a lookup on d0 when the wrap of d0's
 * shares is not known from the digits (sirnn_sigmoid_pair_tr): the wrap of
 * the index shares, and for the parabola first Q - 32 and its wrap
 * (computed by the lookup). The rotation makes choice v read entry
 * (i0 + v) mod 2^8, which is below i0 exactly when i0 + v wraps: that
 * table is 1{u < i0}. */
typedef struct d0wrap_fill_ctx {
    const sirnn_sig_plan *p;
    const uint64_t *idx; /* party 0's d0 shares */
    int with_q;
} d0wrap_fill_ctx;

static void d0wrap_fill(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const d0wrap_fill_ctx *c = vctx;
    const size_t per = c->with_q ? 3 * 256 : 256;
    for (size_t i = 0; i < count; i++) {
        uint64_t *t = tables + i * per;
        const uint64_t i0 = c->idx[first + i] & 0xff;
        if (c->with_q) {
            memcpy(t, c->p->Q, 256 * sizeof(uint64_t));
            memset(t + 256, 0, 256 * sizeof(uint64_t));
            t += 512;
        }
        for (uint64_t u = 0; u < 256; u++)
            t[u] = (uint64_t)(u < i0); /* no branch: a comparison's value */
    }
}

/* The line after the digits: z holds d0 and d1 (shares mod 2^8 and 2^w1)
 * and, when d0_wrap, z + 2n the wrap of d0's shares mod 2^wc
 * (sirnn_digdec_carry's carry); without it a lookup on d0 in the same
 * flights gives it (d0wrap_fill, 256 + 2^8 wc bits more). A1[d1] (L bits),
 * B[d1] (kB bits) and the wrap of B's output shares in one lookup; B d0 by
 * sirnn_mult_wraps (8 x kB -> L: both wraps given, 3 flights); one rounding
 * TR(L, T) into bo bits. a: 4n words, z: 3n, zero: n bytes (B's wrap). */
static sirnn_status line_tail(sirnn_party *party, size_t n, uint64_t *y,
                              const sirnn_sig_plan *p, uint64_t *a, uint64_t *z, uint8_t *zero,
                              int d0_wrap)
{
    const unsigned L = p->L, kB = p->kB;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    /* d0's wrap enters the B-wrap term mod 2^(L - 8 - kB) */
    const unsigned wc = L > 8 + kB + 1 ? L - 8 - kB : 1;
    sirnn_status st;
    /* single functions (sirnn_sig_plan_narrow): A1 is a multiple of 2^ash, looked
     * up as A1 >> ash and shifted back locally */
    const unsigned ash = p->single ? p->ash : 0;
    uint64_t tab[3 * 256];
    if (server) {
        for (size_t v = 0; v < N; v++)
            tab[v] = p->A1[v] >> ash;
        memcpy(tab + N, p->B, N * sizeof(uint64_t));
        memset(tab + 2 * N, 0, N * sizeof(uint64_t)); /* B's wrap: computed */
    }
    const unsigned widths[3] = {L - ash, kB, 1},
                   wrap_of[3] = {SIRNN_LUT_NOWRAP, SIRNN_LUT_NOWRAP, 1};
    d0wrap_fill_ctx wctx = {.p = p, .idx = z, .with_q = 0};
    const sirnn_lut_req rq[2] = {
        {.out = a, .idx = z + n, .tables = server ? tab : NULL, .ntab = 3, .m = p->w1,
         .widths = widths, .wrap_of = wrap_of},
        {.out = a + 3 * n, .idx = z, .fill = server ? d0wrap_fill : NULL, .fill_ctx = &wctx,
         .ntab = 1, .m = 8, .widths = &wc}};
    st = sirnn_lut_several(party, n, rq, d0_wrap ? 1 : 2);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    if (!d0_wrap)
        memcpy(z + 2 * n, a + 3 * n, n * sizeof(uint64_t));
    for (size_t i = 0; i < n; i++)
        zero[i] = (uint8_t)(a[2 * n + i] & 1); /* B's wrap, boolean */
    if ((st = sirnn_mult_wraps(party, n, z, z, a + n, z + 2 * n, zero, 8, kB, L, 0)) !=
        SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = (a[i] << ash) + z[i];
    return poly_round(party, n, y, z, p);
}

/* The line: d0 and d1 by sirnn_digdec_carry(b, 8), whose carry out of d0
 * is d0's wrap (d0's shares are the inputs' low bytes), then line_tail.
 * a: 4n words, z: 3n, zero: n bytes. */
static sirnn_status line_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                               const sirnn_sig_plan *p, uint64_t *a, uint64_t *z, uint8_t *zero)
{
    const unsigned wc = p->L > 8 + p->kB + 1 ? p->L - 8 - p->kB : 1;
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        z[i] = x[i] & mask64(p->b);
    /* z: d0, d1; z + 2n: d0's carry mod 2^wc */
    if ((st = sirnn_digdec_carry(party, n, z, z + 2 * n, z, p->b, 8, wc)) != SIRNN_OK)
        return st;
    return line_tail(party, n, y, p, a, z, zero, 1);
}

/* The parabola after the digits: a holds d0 and d1 (shares mod 2^8 and
 * 2^w1) and, when d0_wrap, a + 2n the wrap of d0's shares (boolean, low
 * bit; sirnn_digdec_carry's carry); without it the Q lookup gives that wrap
 * (d0wrap_fill, 2^8 bits more, no flight). In one set of flights
 * (sirnn_lut_several) Q[d0] - 32 (8 bits) and, on d1, B and C (kY bits),
 * the wraps of their shares as the signed product reads them (party 0's
 * share plus 2^(kY-1), and Q's plus 128) and A (L bits); B (d0 - 128) and
 * C (Q - 32) by one signed product call with every wrap given (8 x kY ->
 * L, no comparison, 3 flights); one rounding TR(L, T) into bo bits. a: 13n
 * words, z: 3n, msb: 2n bytes. */
static sirnn_status parabola_tail(sirnn_party *party, size_t n, uint64_t *y,
                                  const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                  uint8_t *msb, int d0_wrap)
{
    const unsigned L = p->L, kY = p->kY;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    /* single functions (sirnn_sig_plan_narrow): A looked up as A >> ash */
    const unsigned ash = p->single ? p->ash : 0;
    sirnn_status st;
    uint64_t qtab[2 * 256], tab[5 * 256];
    if (server) {
        memcpy(qtab, p->Q, 256 * sizeof(uint64_t));
        memset(qtab + 256, 0, 256 * sizeof(uint64_t));
        /* B, its wrap, C, its wrap, A: each wrap right after its field, so
         * that it shares that field's OT group (B and C fit one: kY <= 31) */
        memcpy(tab, p->B, N * sizeof(uint64_t));
        memset(tab + N, 0, N * sizeof(uint64_t));
        memcpy(tab + 2 * N, p->C, N * sizeof(uint64_t));
        memset(tab + 3 * N, 0, N * sizeof(uint64_t));
        for (size_t v = 0; v < N; v++)
            tab[4 * N + v] = p->A[v] >> ash;
    }
    const unsigned qw[3] = {8, 1, 1}, qwrap[3] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP};
    const uint64_t qoff[3] = {0, 128, 0};
    const unsigned widths[5] = {kY, 1, kY, 1, L - ash};
    const unsigned wrap_of[5] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP, 2, SIRNN_LUT_NOWRAP};
    const uint64_t half = (uint64_t)1 << (kY - 1);
    const uint64_t woff[5] = {0, half, 0, half, 0};
    d0wrap_fill_ctx qc = {.p = p, .idx = a, .with_q = 1};
    /* a + 3n: Q - 32, its wrap (or a + 10n: those and d0's wrap); a + 5n:
     * B, its wrap, C, its wrap, A */
    const sirnn_lut_req rq[2] = {
        {.out = d0_wrap ? a + 3 * n : a + 10 * n, .idx = a,
         .tables = server && d0_wrap ? qtab : NULL, .fill = server && !d0_wrap ? d0wrap_fill : NULL,
         .fill_ctx = &qc, .ntab = d0_wrap ? 2 : 3, .m = 8, .widths = qw, .wrap_of = qwrap,
         .wrap_off = qoff},
        {.out = a + 5 * n, .idx = a + n, .tables = server ? tab : NULL, .ntab = 5, .m = p->w1,
         .widths = widths, .wrap_of = wrap_of, .wrap_off = woff}};
    st = sirnn_lut_several(party, n, rq, 2);
    if (server) {
        sirnn_memzero(qtab, sizeof qtab);
        sirnn_memzero(tab, sizeof tab);
    }
    if (st != SIRNN_OK)
        return st;
    if (!d0_wrap)
        for (size_t i = 0; i < n; i++) {
            a[2 * n + i] = a[12 * n + i];
            a[3 * n + i] = a[10 * n + i];
            a[4 * n + i] = a[11 * n + i];
        }
    /* x = [d0 - 128 | Q - 32] in z (party 0 adds 128 to d0 mod 2^8), its
     * wraps [d0's carry | Q's] at a + 2n, y = [B | C] at a + 5n, their
     * wraps in msb */
    for (size_t i = 0; i < n; i++) {
        z[i] = (a[i] + (server ? 128u : 0u)) & 0xff;
        z[n + i] = a[3 * n + i];
        a[3 * n + i] = a[4 * n + i];
        msb[i] = (uint8_t)(a[6 * n + i] & 1);
        msb[n + i] = (uint8_t)(a[8 * n + i] & 1);
        a[6 * n + i] = a[7 * n + i];
    }
    if ((st = sirnn_mult_wraps(party, 2 * n, z, z, a + 5 * n, a + 2 * n, msb, 8, kY, L, 1)) !=
        SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = (a[9 * n + i] << ash) + z[i] + z[n + i];
    return poly_round(party, n, y, z, p);
}

/* The parabola: d1 by sirnn_digdec_carry(b, 8), whose carry out of d0 is
 * the wrap of d0's shares (d0's shares are the inputs' low bytes), then
 * parabola_tail. a: 13n words, z: 3n, msb: 2n bytes. */
static sirnn_status parabola_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                                   const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                   uint8_t *msb)
{
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        a[i] = x[i] & mask64(p->b);
    /* a: d0, d1; a + 2n: d0's carry (boolean, low bit) */
    if ((st = sirnn_digdec_carry(party, n, a, a + 2 * n, a, p->b, 8, 1)) != SIRNN_OK)
        return st;
    return parabola_tail(party, n, y, p, a, z, msb, 1);
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
    /* the plan of the last formats of this thread (sirnn_sig_plan_narrow
     * reads every input: not again for each call of a model's steps) */
    static _Thread_local sirnn_sig_plan cache;
    static _Thread_local sirnn_fixfmt cache_in, cache_out;
    static _Thread_local int cache_fn = -1;
    if (cache_fn == is_tanh && memcmp(&cache_in, &fin, sizeof fin) == 0 &&
        memcmp(&cache_out, &fout, sizeof fout) == 0) {
        memcpy(p, &cache, sizeof(*p));
    } else {
        if ((st = sirnn_sig_plan_init(p, is_tanh, fin, fout, err, sizeof err)) != SIRNN_OK) {
            free(p);
            return sirnn_party_error(party, st, "%s", err);
        }
        sirnn_sig_plan_narrow(p); /* the poly path's ring: as sirnn_ref_sigmoid / _tanh */
        memcpy(&cache, p, sizeof(*p));
        cache_in = fin;
        cache_out = fout;
        cache_fn = is_tanh;
    }
    const size_t block = (size_t)SIG_BLOCK * party->nlanes, cap = n < block ? n : block;
    /* a: 13 cap words, t: 3 cap, neg: 2 cap bytes (the poly path's) */
    uint64_t *a = malloc(13 * cap * sizeof(uint64_t) + 1),
             *t = malloc(3 * cap * sizeof(uint64_t) + 1);
    uint8_t *neg = malloc(2 * cap + 1);
    if (a == NULL || t == NULL || neg == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        if (p->direct) {
            /* 8-bit x: the whole function is one table on x */
            st = sirnn_lut(party, k, y + off, x + off,
                           party->role == SIRNN_SERVER ? p->D : NULL, 256, 8, p->bo);
            continue;
        }
        st = p->deg == 1   ? line_block(party, k, y + off, x + off, p, a, t, neg)
             : p->deg == 2 ? parabola_block(party, k, y + off, x + off, p, a, t, neg)
                           : sig_block(party, k, y + off, x + off, p, a, t, neg);
    }
    if (a != NULL)
        sirnn_memzero(a, 13 * cap * sizeof(uint64_t));
    if (t != NULL)
        sirnn_memzero(t, 3 * cap * sizeof(uint64_t));
    if (neg != NULL)
        sirnn_memzero(neg, 2 * cap);
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

/* ---- the round-lean tails of sirnn_sigmoid_pair_tr ------------------------ */

/* ---- the rounding fused with the gate products (sirnn_sigmoid_pair_gates) ---- */

/* Party 0's clear scalars and the products' ring; NULL where the pair
 * rounds alone (poly_round). */
typedef struct gates_ctx {
    const int64_t *s; /* 2 scalars (party 0; NULL on party 1) */
    unsigned lp;      /* the products' ring */
    size_t k;         /* elements per half: [0, k) z, [k, 2k) g */
    uint64_t *pg;     /* 2k: g s_0, g s_1 (interleaved) */
    uint64_t *g;      /* k: g's b-bit shares, or NULL */
    uint64_t *w;      /* scratch: 24 k words */
} gates_ctx;

enum { GATE_DIGIT = 4 };

typedef struct wrapfill_ctx {
    const uint64_t *u0; /* party 0's low T bits */
    unsigned T, nf;
    const int64_t *s;   /* NULL: the carry itself (field 0, mod 2^bo) */
    uint64_t lm;        /* field mask */
} wrapfill_ctx;

/* t[J] = [J < u0] (the carry out of the low T bits: J = u0 + u1 mod 2^T is
 * below u0 exactly when u0 + u1 wraps), times s_f for field f. */
static void wrap_fill(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const wrapfill_ctx *c = vctx;
    const size_t N = (size_t)1 << c->T;
    for (size_t i = 0; i < count; i++) {
        const uint64_t u0 = c->u0[first + i];
        uint64_t *t = tables + i * c->nf * N;
        for (unsigned f = 0; f < c->nf; f++)
            for (uint64_t J = 0; J < N; J++) {
                const uint64_t cy = (uint64_t)(J < u0);
                t[f * N + J] = (c->s != NULL ? cy * (uint64_t)c->s[f] : cy) & c->lm;
            }
    }
}

typedef struct msbfill_ctx {
    const uint64_t *m0; /* party 0's bit L - 1 */
    const int64_t *s;
    unsigned bo;
    uint64_t lm;
} msbfill_ctx;

/* t_f[J] = -2^bo s_f (m0 | J): the wrap of the L-bit shares of a value
 * whose MSB is a public 0 is the OR of the shares' MSBs. */
static void msb_fill(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const msbfill_ctx *c = vctx;
    for (size_t i = 0; i < count; i++) {
        const uint64_t m0 = c->m0[first + i] & 1;
        uint64_t *t = tables + i * 4;
        for (unsigned f = 0; f < 2; f++)
            for (uint64_t J = 0; J < 2; J++)
                t[f * 2 + J] = ((uint64_t)0 - (((m0 | J) * (uint64_t)c->s[f]) << c->bo)) & c->lm;
    }
}

/*
 * y = (V + 2^(T-1)) >> T mod 2^bo on both halves (V in z, L-bit shares),
 * the z half's into y[0..k), and for the g half the products g s_f mod
 * 2^lp instead, in the two flights of one set of lookups whose first rides
 * in the product's last (party 1's): with v_j = hi_j 2^T + u_j + 2^(L-1)
 * m_j party j's share, floor(V' / 2^T) = hi_0 + hi_1 + c - 2^bo (m_0 | m_1)
 * (c the carry out of the low T bits; the last term as V' < 2^(L-1),
 * which pair_gates_fit checks), so
 *   z = hi_0 + hi_1 + c mod 2^bo        (a lookup of c on u, bo bits),
 *   g s_f = s_f hi_0 (party 0's, local) + s_f hi_1 (lookups of party 1's
 *           4-bit digits of hi_1) + s_f c (a lookup on u) - 2^bo s_f
 *           (m_0 | m_1) (a 1-of-2 lookup on m_1)   mod 2^lp.
 * Against poly_round's truncation (its B2A one flight more) and the gate
 * products after it (a flight each way more).
 */
static sirnn_status round_gates(sirnn_party *party, size_t n, uint64_t *y, uint64_t *z,
                                const sirnn_sig_plan *p, const gates_ctx *gc)
{
    const int server = party->role == SIRNN_SERVER;
    const unsigned T = p->T, L = p->L, bo = p->bo, lp = gc->lp;
    const size_t k = gc->k;
    const uint64_t half = server ? (uint64_t)1 << (T - 1) : 0, lm = mask64(lp);
    const unsigned nd = (bo + GATE_DIGIT - 1) / GATE_DIGIT;
    /* w: u (2k), hi (2k), m (k), zero (k), digits (nd k), outputs: zc (k),
     * gc (2k), gm (2k), gd (2 nd k), g's carry (k) */
    uint64_t *u = gc->w, *hi = u + 2 * k, *m = hi + 2 * k, *zero = m + k, *dig = zero + k;
    uint64_t *oz = dig + nd * k, *oc = oz + k, *om = oc + 2 * k, *od = om + 2 * k,
             *og = od + 2 * nd * k;
    for (size_t i = 0; i < n; i++) {
        const uint64_t v = (z[i] + half) & mask64(L);
        u[i] = v & mask64(T);
        hi[i] = (v >> T) & mask64(bo);
        if (i >= k)
            m[i - k] = (v >> (L - 1)) & 1;
    }
    memset(zero, 0, k * sizeof(uint64_t));
    for (unsigned q = 0; q < nd; q++)
        for (size_t i = 0; i < k; i++)
            dig[q * k + i] = server ? 0 : (hi[k + i] >> (GATE_DIGIT * q)) & 0xf;
    wrapfill_ctx wz = {.u0 = u, .T = T, .nf = 1, .s = NULL, .lm = mask64(bo)};
    wrapfill_ctx wg = {.u0 = u + k, .T = T, .nf = 2, .s = gc->s, .lm = lm};
    wrapfill_ctx wgc = {.u0 = u + k, .T = T, .nf = 1, .s = NULL, .lm = mask64(bo)};
    msbfill_ctx mf = {.m0 = m, .s = gc->s, .bo = bo, .lm = lm};
    const unsigned wbo = bo, wlp[2] = {lp, lp};
    uint64_t dtab[8][2 * 16];
    if (server)
        for (unsigned q = 0; q < nd; q++)
            for (unsigned f = 0; f < 2; f++)
                for (uint64_t J = 0; J < 16; J++)
                    dtab[q][f * 16 + J] =
                        ((J * (uint64_t)gc->s[f]) << (GATE_DIGIT * q)) & lm;
    sirnn_lut_req rq[SIRNN_LUT_MAX_SET];
    unsigned nr = 0;
    rq[nr++] = (sirnn_lut_req){.out = oz, .idx = u, .fill = server ? wrap_fill : NULL,
                               .fill_ctx = &wz, .ntab = 1, .m = T, .widths = &wbo};
    rq[nr++] = (sirnn_lut_req){.out = oc, .idx = u + k, .fill = server ? wrap_fill : NULL,
                               .fill_ctx = &wg, .ntab = 2, .m = T, .widths = wlp};
    rq[nr++] = (sirnn_lut_req){.out = om, .idx = server ? zero : m,
                               .fill = server ? msb_fill : NULL, .fill_ctx = &mf, .ntab = 2,
                               .m = 1, .widths = wlp};
    for (unsigned q = 0; q < nd; q++)
        rq[nr++] = (sirnn_lut_req){.out = od + 2 * q * k, .idx = dig + q * k,
                                   .tables = server ? dtab[q] : NULL, .ntab = 2,
                                   .m = GATE_DIGIT, .widths = wlp};
    if (gc->g != NULL)
        rq[nr++] = (sirnn_lut_req){.out = og, .idx = u + k, .fill = server ? wrap_fill : NULL,
                                   .fill_ctx = &wgc, .ntab = 1, .m = T, .widths = &wbo};
    sirnn_status st = sirnn_lut_several(party, k, rq, nr);
    if (server)
        sirnn_memzero(dtab, sizeof dtab);
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0; i < k; i++)
        y[i] = (hi[i] + oz[i]) & mask64(bo);
    for (size_t i = 0; i < k; i++)
        for (unsigned f = 0; f < 2; f++) {
            uint64_t acc = oc[f * k + i] + om[f * k + i];
            for (unsigned q = 0; q < nd; q++)
                acc += od[(2 * q + f) * k + i];
            if (server)
                acc += hi[k + i] * (uint64_t)gc->s[f];
            gc->pg[2 * i + f] = acc & lm;
        }
    if (gc->g != NULL)
        for (size_t i = 0; i < k; i++)
            gc->g[i] = (hi[k + i] + og[i]) & mask64(bo);
    return SIRNN_OK;
}

/* Whether V' = V + 2^(T-1) mod 2^L (the poly path's value before its
 * rounding) stays below 2^(L-1) for every digit pair, so that the wrap of
 * its shares is the OR of their MSBs (round_gates). */
static int pair_gates_fit(const sirnn_sig_plan *p)
{
    const uint64_t lm = mask64(p->L), half = (uint64_t)1 << (p->T - 1);
    for (uint64_t d1 = 0; d1 < ((uint64_t)1 << p->w1); d1++)
        for (uint64_t d0 = 0; d0 < 256; d0++) {
            uint64_t v;
            if (p->deg == 2) {
                const int64_t q = (int64_t)(int8_t)(uint8_t)p->Q[d0];
                v = p->A[d1] + p->B[d1] * (uint64_t)((int64_t)d0 - 128) +
                    p->C[d1] * (uint64_t)q;
            } else {
                v = p->A1[d1] + p->B[d1] * d0;
            }
            if ((((v + half) & lm) >> (p->L - 1)) != 0)
                return 0;
        }
    return 1;
}

/* The line's product and rounding after its lookups: z d0's shares (mod
 * 2^8), a: A1[d1], B[d1] (L bits), d0's wrap (boolean, low bit). */
static sirnn_status line_lean_finish(sirnn_party *party, size_t n, uint64_t *y,
                                     const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                     uint8_t *bits, const gates_ctx *gc)
{
    const unsigned L = p->L;
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        bits[i] = (uint8_t)(a[2 * n + i] & 1); /* d0's wrap, boolean */
    if ((st = sirnn_mult_lean_wrap(party, n, z, z, a + n, bits, 8, L, L, 0, SIRNN_SERVER)) !=
        SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = a[i] + z[i];
    return gc != NULL ? round_gates(party, n, y, z, p, gc) : poly_round(party, n, y, z, p);
}

/* The parabola's products and rounding after its lookups: a: d0's shares
 * (mod 2^8), a + 5n: B, C, A (L bits), a + 10n: Q - 32, its wrap (with
 * the signed product's offset 128), d0's wrap (boolean, low bit). */
static sirnn_status parabola_lean_finish(sirnn_party *party, size_t n, uint64_t *y,
                                         const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                         uint8_t *bits, const gates_ctx *gc)
{
    const unsigned L = p->L;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    /* x = [d0 - 128 | Q - 32] in z (party 0 adds 128 to d0 mod 2^8), their
     * wraps [d0's | Q's] in bits, y = [B | C] at a + 5n */
    for (size_t i = 0; i < n; i++) {
        z[i] = (a[i] + (server ? 128u : 0u)) & 0xff;
        z[n + i] = a[10 * n + i];
        bits[i] = (uint8_t)(a[12 * n + i] & 1);
        bits[n + i] = (uint8_t)(a[11 * n + i] & 1);
    }
    if ((st = sirnn_mult_lean_wrap(party, 2 * n, z, z, a + 5 * n, bits, 8, L, L, 1,
                                   SIRNN_SERVER)) != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = a[7 * n + i] + z[i] + z[n + i];
    return gc != NULL ? round_gates(party, n, y, z, p, gc) : poly_round(party, n, y, z, p);
}

/* The line after sirnn_trdig2's digits (z: d0, d1): A1[d1] and B[d1] in L
 * bits (B read mod 2^L, so its wrap vanishes) and the wrap of d0's shares
 * (a bit) in one set of lookup flights; B d0 by sirnn_mult_lean_wrap with
 * party 0 choosing (its columns ride with its lookup messages, party 1's
 * corrections with its first message of the rounding): 2 flights instead
 * of sirnn_mult_wraps' 3, and the rounding's first flight joins the
 * product's last. a: 4n words, z: 3n, bits: n bytes. */
static sirnn_status line_tail_lean(sirnn_party *party, size_t n, uint64_t *y,
                                   const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                   uint8_t *bits, const gates_ctx *gc)
{
    const unsigned L = p->L;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    uint64_t tab[2 * 256];
    if (server) {
        memcpy(tab, p->A1, N * sizeof(uint64_t));
        memcpy(tab + N, p->B, N * sizeof(uint64_t));
    }
    const unsigned widths[2] = {L, L}, one = 1;
    d0wrap_fill_ctx wctx = {.p = p, .idx = z, .with_q = 0};
    const sirnn_lut_req rq[2] = {
        {.out = a, .idx = z + n, .tables = server ? tab : NULL, .ntab = 2, .m = p->w1,
         .widths = widths},
        {.out = a + 2 * n, .idx = z, .fill = server ? d0wrap_fill : NULL, .fill_ctx = &wctx,
         .ntab = 1, .m = 8, .widths = &one}};
    st = sirnn_lut_several(party, n, rq, 2);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    return line_lean_finish(party, n, y, p, a, z, bits, gc);
}

/* The parabola after sirnn_trdig2's digits (a: d0, d1): on d0, Q - 32 with
 * the wrap of its shares as the signed product reads them and the wrap of
 * d0's shares (bits); on d1, B, C and A in L bits (B and C read mod 2^L:
 * no wraps); B (d0 - 128) + C (Q - 32) by one sirnn_mult_lean_wrap with
 * party 0 choosing (flights as line_tail_lean). a: 13n words, z: 3n,
 * bits: 2n bytes. */
static sirnn_status parabola_tail_lean(sirnn_party *party, size_t n, uint64_t *y,
                                       const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                       uint8_t *bits, const gates_ctx *gc)
{
    const unsigned L = p->L;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    uint64_t tab[3 * 256];
    if (server) {
        memcpy(tab, p->B, N * sizeof(uint64_t));
        memcpy(tab + N, p->C, N * sizeof(uint64_t));
        memcpy(tab + 2 * N, p->A, N * sizeof(uint64_t));
    }
    const unsigned qw[3] = {8, 1, 1}, qwrap[3] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP};
    const uint64_t qoff[3] = {0, 128, 0};
    const unsigned widths[3] = {L, L, L};
    d0wrap_fill_ctx qc = {.p = p, .idx = a, .with_q = 1};
    /* a + 10n: Q - 32, its wrap, d0's wrap; a + 5n: B, C, A */
    const sirnn_lut_req rq[2] = {
        {.out = a + 10 * n, .idx = a, .fill = server ? d0wrap_fill : NULL, .fill_ctx = &qc,
         .ntab = 3, .m = 8, .widths = qw, .wrap_of = qwrap, .wrap_off = qoff},
        {.out = a + 5 * n, .idx = a + n, .tables = server ? tab : NULL, .ntab = 3, .m = p->w1,
         .widths = widths}};
    st = sirnn_lut_several(party, n, rq, 2);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    return parabola_lean_finish(party, n, y, p, a, z, bits, gc);
}

/* ---- the tail on the raw digits and boolean carries (e > 24) ------------- */

/*
 * sirnn_trdig2_carries leaves each digit as party k's raw bit field r_k
 * plus a carry c = c0 ^ c1 that only a B2A (one more flight) would make
 * arithmetic. Instead the lookups read (J = r0 + r1 mod 2^m, c) directly,
 * in the same two flights, through two OTs per element and side:
 *   - A (1-of-2^m on J, party 0's per-element tables): for each field f and
 *     b in {0, 1}, F_fb[J] = f(J, c0 ^ b) + s_fb, s_fb party 0's fresh
 *     randomness, sent unmasked (sirnn_lut_req.unmasked): party 1 gets both
 *     F_f0[J] and F_f1[J], each hidden by its own s;
 *   - B (1-of-2 on c1, rotated by c0): entry v = s_f(v ^ c0) + o_f, o_f
 *     party 0's output share: party 1 gets s_f(c1) + o_f.
 * Party 1's share is F_f(c1)[J] - (s_f(c1) + o_f) = f(J, c) - o_f, party
 * 0's o_f (mod 2^w_f; XOR for 1-bit fields). Party 1 sees f + s_f0,
 * f' + s_f1 and s_f(c1) + o_f: uniform whatever f. Party 0 knows o_f
 * before the lookup, so a field may be the wrap of another field's shares.
 * Cost: the lookups' tables twice (2 x 2^m w_f bits per field) and the
 * 1-of-2 OTs (256 + 2 w bits per element and side), against the B2As'
 * 3 (128 + 7) bits and a flight.
 */
enum { CF_MAXF = 4 };

typedef struct carry_side {
    const sirnn_sig_plan *p;
    size_t n, k;                /* elements (both halves), half */
    unsigned m, nf, w[CF_MAXF]; /* index bits, fields and their widths */
    int hi;                     /* 0: d0's side, 1: d1's */
    const uint64_t *idx, *car;  /* party 0's raw index shares and carry shares */
    const uint64_t *s, *o;      /* party 0: s[(2f + b) n + e], o[f n + e] */
} carry_side;

/* The fields of one (element, J, c): d0's side D = d0 (8 bits; the second
 * half's index is 2 t_b's digit, so its carry adds 2), Q - 32 for the
 * parabola, then the wraps of D's and Q's shares (o, value - o) as the
 * products read them (Q with the signed offset 128); d1's side the
 * coefficients B, C, A (parabola) or A1, B (line) in L bits. */
static void carry_values(const carry_side *cs, size_t e, uint64_t J, uint64_t c, uint64_t *v)
{
    const sirnn_sig_plan *p = cs->p;
    if (cs->hi) {
        const uint64_t d1 = (J + c) & mask64(p->w1);
        if (p->deg == 2) {
            v[0] = p->B[d1];
            v[1] = p->C[d1];
            v[2] = p->A[d1];
        } else {
            v[0] = p->A1[d1];
            v[1] = p->B[d1];
        }
        return;
    }
    const uint64_t step = e < cs->k ? 1 : 2;
    const uint64_t d0 = (J + step * c) & 0xff;
    const uint64_t oD = cs->o[e] & 0xff;
    v[0] = d0;
    if (p->deg == 2) {
        const uint64_t q = p->Q[d0] & 0xff, oQ = cs->o[cs->n + e] & 0xff;
        v[1] = q;
        v[2] = ((oD + ((d0 - oD) & 0xff)) >> 8) & 1;
        v[3] = ((((oQ + 128) & 0xff) + ((q - oQ) & 0xff)) >> 8) & 1;
    } else {
        v[1] = ((oD + ((d0 - oD) & 0xff)) >> 8) & 1;
    }
}

static void carry_fill_a(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const carry_side *cs = vctx;
    const size_t N = (size_t)1 << cs->m, per = 2 * cs->nf * N;
    uint64_t v[CF_MAXF];
    for (size_t i = 0; i < count; i++) {
        const size_t e = first + i;
        const uint64_t c0 = cs->car[e] & 1;
        uint64_t *t = tables + i * per;
        for (uint64_t b = 0; b < 2; b++)
            for (uint64_t J = 0; J < N; J++) {
                carry_values(cs, e, J, c0 ^ b, v);
                for (unsigned f = 0; f < cs->nf; f++)
                    t[(2 * f + b) * N + J] =
                        (v[f] + cs->s[(2 * f + b) * cs->n + e]) & mask64(cs->w[f]);
            }
    }
}

static void carry_fill_b(void *vctx, size_t first, size_t count, uint64_t *tables)
{
    const carry_side *cs = vctx;
    for (size_t i = 0; i < count; i++) {
        const size_t e = first + i;
        const uint64_t c0 = cs->car[e] & 1;
        uint64_t *t = tables + i * 2 * cs->nf;
        for (unsigned f = 0; f < cs->nf; f++)
            for (uint64_t v = 0; v < 2; v++)
                t[f * 2 + v] =
                    (cs->s[(2 * f + (v ^ c0)) * cs->n + e] + cs->o[f * cs->n + e]) &
                    mask64(cs->w[f]);
    }
}

/*
 * The lean tail from sirnn_trdig2_carries (flights: the network's 2 +
 * levels, the lookups' 2, the first riding in the network's last flight
 * when the levels are odd, then the product and the rounding as the lean
 * tails): k elements of each half; a, z, bits as the lean tails (on 2k);
 * w: 53 * 2k words of scratch; cb: 3k bytes.
 */
static sirnn_status pair_tail_carries(sirnn_party *party, size_t k, uint64_t *y,
                                      const uint64_t *xa, const uint64_t *xb, unsigned e,
                                      const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                      uint8_t *bits, uint64_t *w, uint8_t *cb,
                                      const gates_ctx *gc)
{
    const unsigned b = p->b, w1 = p->w1, L = p->L;
    const size_t n = 2 * k;
    const int server = party->role == SIRNN_SERVER;
    const unsigned d[2] = {8, 7}, h[2] = {w1, w1};
    sirnn_status st = sirnn_trdig2_carries(party, k, cb, xa, xb, e + b, e, d, h);
    if (st != SIRNN_OK)
        return st;
    const int par = p->deg == 2;
    const unsigned nlo = par ? 4 : 2, nhi = par ? 3 : 2;
    /* w: idx lo / hi, carries lo / hi (4n); s lo (2 nlo n), o lo (nlo n), s hi
     * (2 nhi n), o hi (nhi n); outputs A lo (2 nlo n), B lo (nlo n), A hi
     * (2 nhi n), B hi (nhi n) */
    uint64_t *ilo = w, *ihi = w + n, *clo = w + 2 * n, *chi = w + 3 * n;
    uint64_t *slo = w + 4 * n, *olo = slo + 2 * nlo * n, *shi = olo + nlo * n,
             *ohi = shi + 2 * nhi * n;
    uint64_t *alo = ohi + nhi * n, *blo = alo + 2 * nlo * n, *ahi = blo + nlo * n,
             *bhi = ahi + 2 * nhi * n;
    for (size_t i = 0; i < k; i++) {
        ilo[i] = (xa[i] >> e) & 0xff;
        ihi[i] = (xa[i] >> (e + 8)) & mask64(w1);
        ilo[k + i] = (2 * ((xb[i] >> e) & 0x7f)) & 0xff;
        ihi[k + i] = (xb[i] >> (e + 7)) & mask64(w1);
        clo[i] = clo[k + i] = cb[i] & 1;
        chi[i] = cb[k + i] & 1;
        chi[k + i] = cb[2 * k + i] & 1;
    }
    if (server) {
        sirnn_prg *prg = &party->lanes[0].prg;
        sirnn_prg_ring(prg, slo, 3 * (nlo + nhi) * n, 64);
    }
    carry_side lo = {.p = p, .n = n, .k = k, .m = 8, .nf = nlo, .hi = 0, .idx = ilo,
                     .car = clo, .s = slo, .o = olo};
    carry_side hi = {.p = p, .n = n, .k = k, .m = w1, .nf = nhi, .hi = 1, .idx = ihi,
                     .car = chi, .s = shi, .o = ohi};
    if (par) {
        const unsigned wl[4] = {8, 8, 1, 1};
        memcpy(lo.w, wl, sizeof wl);
        hi.w[0] = hi.w[1] = hi.w[2] = L;
    } else {
        lo.w[0] = 8;
        lo.w[1] = 1;
        hi.w[0] = hi.w[1] = L;
    }
    unsigned wal[2 * CF_MAXF], wah[2 * CF_MAXF];
    for (unsigned f = 0; f < CF_MAXF; f++) {
        wal[2 * f] = wal[2 * f + 1] = lo.w[f];
        wah[2 * f] = wah[2 * f + 1] = hi.w[f];
    }
    const sirnn_lut_req rq[4] = {
        {.out = alo, .idx = ilo, .fill = server ? carry_fill_a : NULL, .fill_ctx = &lo,
         .ntab = 2 * nlo, .m = 8, .widths = wal, .unmasked = 1},
        {.out = blo, .idx = clo, .fill = server ? carry_fill_b : NULL, .fill_ctx = &lo,
         .ntab = nlo, .m = 1, .widths = lo.w, .unmasked = 1},
        {.out = ahi, .idx = ihi, .fill = server ? carry_fill_a : NULL, .fill_ctx = &hi,
         .ntab = 2 * nhi, .m = w1, .widths = wah, .unmasked = 1},
        {.out = bhi, .idx = chi, .fill = server ? carry_fill_b : NULL, .fill_ctx = &hi,
         .ntab = nhi, .m = 1, .widths = hi.w, .unmasked = 1}};
    if ((st = sirnn_lut_several(party, n, rq, 4)) != SIRNN_OK)
        return st;
    /* the fields' shares: party 0 its o, party 1 F_f(c1) - (s_f(c1) + o_f) */
    uint64_t *vlo = alo, *vhi = ahi; /* in place: field f at v + f n */
    for (unsigned f = 0; f < nlo; f++)
        for (size_t i = 0; i < n; i++)
            vlo[f * n + i] = (server ? olo[f * n + i]
                                     : alo[(2 * f + (clo[i] & 1)) * n + i] - blo[f * n + i]) &
                             mask64(lo.w[f]);
    for (unsigned f = 0; f < nhi; f++)
        for (size_t i = 0; i < n; i++)
            vhi[f * n + i] = (server ? ohi[f * n + i]
                                     : ahi[(2 * f + (chi[i] & 1)) * n + i] - bhi[f * n + i]) &
                             mask64(hi.w[f]);
    if (par) {
        /* a: d0, a + 5n: B, C, A, a + 10n: Q - 32, Q's wrap, d0's wrap */
        memcpy(a, vlo, n * sizeof(uint64_t));
        memcpy(a + 5 * n, vhi, 3 * n * sizeof(uint64_t));
        memcpy(a + 10 * n, vlo + n, n * sizeof(uint64_t));
        memcpy(a + 11 * n, vlo + 3 * n, n * sizeof(uint64_t));
        memcpy(a + 12 * n, vlo + 2 * n, n * sizeof(uint64_t));
        return parabola_lean_finish(party, n, y, p, a, z, bits, gc);
    }
    /* z: d0; a: A1, B, d0's wrap */
    memcpy(z, vlo, n * sizeof(uint64_t));
    memcpy(a, vhi, 2 * n * sizeof(uint64_t));
    memcpy(a + 2 * n, vlo + n, n * sizeof(uint64_t));
    return line_lean_finish(party, n, y, p, a, z, bits, gc);
}

/* ---- the pre-activation truncation fused into the digits (math/sig_pair.h) ---- */

static sirnn_status pair_plan(sirnn_sig_plan *p, unsigned e, sirnn_fixfmt fin,
                              sirnn_fixfmt fout, char *err, size_t errlen)
{
    sirnn_status st = sirnn_sig_plan_init(p, 0, fin, fout, err, errlen);
    if (st != SIRNN_OK)
        return st;
    if (p->direct || p->deg == 0 || e < 1 || e + p->b > 64) {
        snprintf(err, errlen, "sirnn_sigmoid_pair_tr: needs the poly path (%u/%d -> %u/%d "
                 "takes another) and 1 <= e <= 64 - %u", (unsigned)fin.bits, (int)fin.scale,
                 (unsigned)fout.bits, (int)fout.scale, p->b);
        return SIRNN_ERR_UNSUPPORTED;
    }
    return SIRNN_OK;
}

int sirnn_sigmoid_pair_tr_fits(unsigned e, sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out)
{
    sirnn_sig_plan *p = malloc(sizeof(*p));
    char err[200];
    const int ok = p != NULL && pair_plan(p, e, fmt_in, fmt_out, err, sizeof err) == SIRNN_OK;
    free(p);
    return ok;
}

/* Party 0's scalars and the products' ring of sirnn_sigmoid_pair_gates,
 * with its outputs; NULL for sirnn_sigmoid_pair_tr. */
typedef struct gates_args {
    const int64_t *s;
    unsigned lp;
    uint64_t *pg, *g;
} gates_args;

static sirnn_status pair_run(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *xa,
                             const uint64_t *xb, unsigned e, sirnn_fixfmt fmt_in,
                             sirnn_fixfmt fmt_out, int lean, const gates_args *ga)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    const int server = party->role == SIRNN_SERVER;
    if (n > 0 && (y == NULL || xa == NULL || xb == NULL ||
                  (ga != NULL && (ga->pg == NULL || (server && ga->s == NULL)))))
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "sirnn_sigmoid_pair: NULL array with n > 0");
    sirnn_sig_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    char err[200];
    if ((st = pair_plan(p, e, fmt_in, fmt_out, err, sizeof err)) != SIRNN_OK) {
        free(p);
        return sirnn_party_error(party, st, "%s", err);
    }
    if (ga != NULL)
        lean = 2; /* the fused rounding follows the lean product (with the carries) */
    if (ga != NULL && (p->bo > 4 * GATE_DIGIT || p->T > 8 || ga->lp < 1 || ga->lp > 64 ||
                       !pair_gates_fit(p))) {
        free(p);
        return sirnn_party_error(party, SIRNN_ERR_UNSUPPORTED,
                                 "sirnn_sigmoid_pair_gates: the formats do not fit");
    }
    const unsigned b = p->b, w1 = p->w1;
    const size_t block = (size_t)SIG_BLOCK * party->nlanes / 2, cap = n < block ? n : block;
    /* per half of k elements, the tail runs on 2k: a 13 * 2k words, z 3 *
     * 2k, msb 2 * 2k bytes (the parabola's, more than the line's); dg the
     * 4k digits */
    uint64_t *a = malloc(26 * cap * sizeof(uint64_t) + 1),
             *z = malloc(6 * cap * sizeof(uint64_t) + 1),
             *dg = malloc(4 * cap * sizeof(uint64_t) + 1);
    uint8_t *msb = malloc(4 * cap + 1);
    /* lean = 2 at e > 24 takes the carries path (pair_tail_carries): its
     * scratch, 46 words per element of the 2k */
    const int carries = lean >= 2 && e > 24;
    const size_t cwords = carries ? 92 * cap : 0;
    uint64_t *cw = carries ? malloc(cwords * sizeof(uint64_t) + 1) : NULL;
    uint8_t *cb = carries ? malloc(3 * cap + 1) : NULL;
    uint64_t *gw = ga != NULL ? malloc(24 * cap * sizeof(uint64_t) + 1) : NULL;
    if (a == NULL || z == NULL || dg == NULL || msb == NULL ||
        (carries && (cw == NULL || cb == NULL)) || (ga != NULL && gw == NULL))
        st = SIRNN_ERR_NOMEM;
    const unsigned d[2] = {8, 7}, h[2] = {w1, w1};
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        gates_ctx gcx = {0}, *gc = NULL;
        if (ga != NULL) {
            gcx = (gates_ctx){.s = ga->s, .lp = ga->lp, .k = k, .pg = ga->pg + 2 * off,
                              .g = ga->g != NULL ? ga->g + off : NULL, .w = gw};
            gc = &gcx;
        }
        if (carries) {
            st = pair_tail_carries(party, k, a, xa + off, xb + off, e, p, a, z, msb, cw, cb, gc);
            for (size_t i = 0; st == SIRNN_OK && i < k; i++) {
                y[off + i] = a[i];
                if (gc == NULL)
                    y[n + off + i] = a[k + i];
            }
            continue;
        }
        /* dg: lo_a, hi_a, lo_b, hi_b: the digits of t_a and of 2 t_b
         * (mod 2^b: its d0 is twice t_b's low 7 bits, its d1 t_b's bits
         * 7 .. b - 2) */
        st = sirnn_trdig2(party, k, dg, xa + off, xb + off, e + b, e, d, h);
        if (st != SIRNN_OK)
            break;
        /* d0 of both halves, then d1: in a (parabola) or z (line) */
        uint64_t *dd = p->deg == 2 ? a : z;
        for (size_t i = 0; i < k; i++) {
            dd[i] = dg[i] & 0xff;
            dd[k + i] = (2 * dg[2 * k + i]) & 0xff;
            dd[2 * k + i] = dg[k + i] & mask64(w1);
            dd[3 * k + i] = dg[3 * k + i] & mask64(w1);
        }
        if (lean)
            st = p->deg == 2 ? parabola_tail_lean(party, 2 * k, a, p, a, z, msb, gc)
                             : line_tail_lean(party, 2 * k, a, p, a, z, msb, gc);
        else
            st = p->deg == 2 ? parabola_tail(party, 2 * k, a, p, a, z, msb, 0)
                             : line_tail(party, 2 * k, a, p, a, z, msb, 0);
        for (size_t i = 0; st == SIRNN_OK && i < k; i++) {
            y[off + i] = a[i];
            if (gc == NULL)
                y[n + off + i] = a[k + i];
        }
    }
    if (gw != NULL)
        sirnn_memzero(gw, 24 * cap * sizeof(uint64_t));
    free(gw);
    if (dg != NULL)
        sirnn_memzero(dg, 4 * cap * sizeof(uint64_t));
    free(dg);
    if (a != NULL)
        sirnn_memzero(a, 26 * cap * sizeof(uint64_t));
    if (z != NULL)
        sirnn_memzero(z, 6 * cap * sizeof(uint64_t));
    if (msb != NULL)
        sirnn_memzero(msb, 4 * cap);
    if (cw != NULL)
        sirnn_memzero(cw, cwords * sizeof(uint64_t));
    if (cb != NULL)
        sirnn_memzero(cb, 3 * cap);
    free(cw);
    free(cb);
    free(a);
    free(z);
    free(msb);
    free(p);
    return st;
}

sirnn_status sirnn_sigmoid_pair_tr(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *xa,
                                   const uint64_t *xb, unsigned e, sirnn_fixfmt fmt_in,
                                   sirnn_fixfmt fmt_out, int lean)
{
    return pair_run(party, n, y, xa, xb, e, fmt_in, fmt_out, lean, NULL);
}

int sirnn_sigmoid_pair_gates_fits(unsigned e, sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out,
                                  unsigned lp)
{
    sirnn_sig_plan *p = malloc(sizeof(*p));
    char err[200];
    const int ok = p != NULL && pair_plan(p, e, fmt_in, fmt_out, err, sizeof err) == SIRNN_OK &&
                   p->bo <= 4 * GATE_DIGIT && p->T <= 8 && lp >= 1 && lp <= 64 &&
                   pair_gates_fit(p);
    free(p);
    return ok;
}

sirnn_status sirnn_sigmoid_pair_gates(sirnn_party *party, size_t n, uint64_t *z, uint64_t *pg,
                                      uint64_t *g, const uint64_t *xa, const uint64_t *xb,
                                      unsigned e, sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out,
                                      const int64_t *s, unsigned lp)
{
    const gates_args ga = {.s = s, .lp = lp, .pg = pg, .g = g};
    return pair_run(party, n, z, xa, xb, e, fmt_in, fmt_out, 1, &ga);
}
