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

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
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
    const uint64_t half = party->role == SIRNN_SERVER ? (uint64_t)1 << (p->T - 1) : 0;
    for (size_t i = 0; i < n; i++)
        z[i] = (z[i] + half) & mask64(p->L);
    sirnn_status st = sirnn_tr_lean(party, n, z, z, p->L, p->T, (p->L) - (p->T), 0);
    for (size_t i = 0; st == SIRNN_OK && i < n; i++)
        y[i] = z[i] & mask64(p->bo);
    return st;
}

/* The line (math/sigmoid_plan.h): d0 and d1 by sirnn_digdec_carry(b, 8),
 * whose carry out of d0 is d0's wrap; A1[d1] (L bits), B[d1] (kB bits) and
 * the wrap of B's output shares in one lookup; B d0 by sirnn_mult_wraps (8
 * x kB -> L: both wraps given, 3 flights); one rounding TR(L, T) into bo
 * bits. a: 3n words, z: 3n, zero: n bytes (B's wrap). */
static sirnn_status line_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                               const sirnn_sig_plan *p, uint64_t *a, uint64_t *z, uint8_t *zero)
{
    const unsigned b = p->b, L = p->L, kB = p->kB;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    /* d0's wrap enters the B-wrap term mod 2^(L - 8 - kB) */
    const unsigned wc = L > 8 + kB + 1 ? L - 8 - kB : 1;
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        a[i] = x[i] & mask64(b);
    if ((st = sirnn_digdec_carry(party, n, a, z + 2 * n, a, b, 8, wc)) != SIRNN_OK)
        return st;
    memcpy(z, a, 2 * n * sizeof(uint64_t)); /* d0, d1 */
    uint64_t tab[3 * 256];
    if (server) {
        memcpy(tab, p->A1, N * sizeof(uint64_t));
        memcpy(tab + N, p->B, N * sizeof(uint64_t));
        memset(tab + 2 * N, 0, N * sizeof(uint64_t)); /* B's wrap: computed */
    }
    const unsigned widths[3] = {L, kB, 1}, wrap_of[3] = {SIRNN_LUT_NOWRAP, SIRNN_LUT_NOWRAP, 1};
    const sirnn_lut_req rq = {.out = a, .idx = z + n, .tables = server ? tab : NULL, .ntab = 3,
                              .m = p->w1, .widths = widths, .wrap_of = wrap_of};
    st = sirnn_lut_several(party, n, &rq, 1);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        zero[i] = (uint8_t)(a[2 * n + i] & 1); /* B's wrap, boolean */
    if ((st = sirnn_mult_wraps(party, n, z, z, a + n, z + 2 * n, zero, 8, kB, L, 0)) !=
        SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = a[i] + z[i];
    return poly_round(party, n, y, z, p);
}

/* The parabola: d1 by sirnn_digdec_carry(b, 8), whose carry out of d0 is
 * the wrap of d0's shares; in one set of flights (sirnn_lut_several) Q[d0]
 * - 32 (8 bits, d0's shares are the inputs' low bytes) and, on d1, B and C
 * (kY bits), the wraps of their shares as the signed product reads them
 * (party 0's share plus 2^(kY-1), and Q's plus 128) and A (L bits); B (d0 -
 * 128) and C (Q - 32) by one signed product call with every wrap given (8
 * x kY -> L, no comparison, 3 flights); one rounding TR(L, T) into bo
 * bits. a: 10n words, z: 3n, msb: 2n bytes. */
static sirnn_status parabola_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                                   const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                   uint8_t *msb)
{
    const unsigned b = p->b, L = p->L, kY = p->kY;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    for (size_t i = 0; i < n; i++)
        a[i] = x[i] & mask64(b);
    /* a: d0, d1; a + 2n: d0's carry (boolean, low bit) */
    if ((st = sirnn_digdec_carry(party, n, a, a + 2 * n, a, b, 8, 1)) != SIRNN_OK)
        return st;
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
        memcpy(tab + 4 * N, p->A, N * sizeof(uint64_t));
    }
    const unsigned qw[2] = {8, 1}, qwrap[2] = {SIRNN_LUT_NOWRAP, 0};
    const uint64_t qoff[2] = {0, 128};
    const unsigned widths[5] = {kY, 1, kY, 1, L};
    const unsigned wrap_of[5] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP, 2, SIRNN_LUT_NOWRAP};
    const uint64_t half = (uint64_t)1 << (kY - 1);
    const uint64_t woff[5] = {0, half, 0, half, 0};
    /* a + 3n: Q - 32, its wrap; a + 5n: B, its wrap, C, its wrap, A */
    const sirnn_lut_req rq[2] = {
        {.out = a + 3 * n, .idx = a, .tables = server ? qtab : NULL, .ntab = 2, .m = 8,
         .widths = qw, .wrap_of = qwrap, .wrap_off = qoff},
        {.out = a + 5 * n, .idx = a + n, .tables = server ? tab : NULL, .ntab = 5, .m = p->w1,
         .widths = widths, .wrap_of = wrap_of, .wrap_off = woff}};
    st = sirnn_lut_several(party, n, rq, 2);
    if (server) {
        sirnn_memzero(qtab, sizeof qtab);
        sirnn_memzero(tab, sizeof tab);
    }
    if (st != SIRNN_OK)
        return st;
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
        z[i] = a[9 * n + i] + z[i] + z[n + i];
    return poly_round(party, n, y, z, p);
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
    /* a: 10 cap words, t: 3 cap, neg: 2 cap bytes (the poly path's) */
    uint64_t *a = malloc(10 * cap * sizeof(uint64_t) + 1),
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
        sirnn_memzero(a, 10 * cap * sizeof(uint64_t));
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
