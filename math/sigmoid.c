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
 * whose carry out of d0 is d0's wrap; A1[d1] (L bits) and B[d1] (kB bits,
 * top bit zero) in one sirnn_lut_multi; B d0 by sirnn_mult_wrap (8 x kB ->
 * L: no comparison, d0's wrap given, B's by MSB-to-wrap on its zero top
 * bit); one rounding TR(L, T) into bo bits. a: 2n words, z: 3n, zero: n
 * bytes of zeros (B's top bit, as shares of 0). */
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
    memset(zero, 0, n);
    uint64_t tab[512];
    if (server) {
        memcpy(tab, p->A1, N * sizeof(uint64_t));
        memcpy(tab + N, p->B, N * sizeof(uint64_t));
    }
    const unsigned widths[2] = {L, kB};
    st = sirnn_lut_multi(party, n, a, z + n, server ? tab : NULL, server ? 2 * N : 0, 2, p->w1,
                         widths);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    if ((st = sirnn_mult_wrap(party, n, z, z, a + n, z + 2 * n, zero, 8, kB, L)) != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = a[i] + z[i];
    return poly_round(party, n, y, z, p);
}

/* The parabola: Q[d0] (8 bits, centred) by sirnn_lut; d1 by sirnn_digdec(b,
 * 8); A[d1] (L bits), B[d1] and C[d1] (kY bits) and their sign bits (1
 * bit each) in one sirnn_lut_multi; B (d0 - 128) and C (Q - 32) by one
 * signed product call (8 x kY -> L: the 8-bit operands' wraps by the
 * millionaires', B's and C's by MSB-to-wrap); one rounding TR(L, T) into
 * bo bits. a: 5n words, z: 3n, msb: 2n bytes. */
static sirnn_status parabola_block(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                                   const sirnn_sig_plan *p, uint64_t *a, uint64_t *z,
                                   uint8_t *msb)
{
    const unsigned b = p->b, L = p->L, kY = p->kY;
    const size_t N = (size_t)1 << p->w1;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    for (size_t i = 0; i < n; i++) {
        z[i] = x[i] & 0xff; /* d0 */
        a[i] = x[i] & mask64(b);
    }
    if ((st = sirnn_lut(party, n, z + n, z, server ? p->Q : NULL, 256, 8, 8)) != SIRNN_OK)
        return st;
    /* dc = d0 - 128 (8-bit two's complement): party 0 adds 128 mod 2^8 */
    if (server)
        for (size_t i = 0; i < n; i++)
            z[i] = (z[i] + 128) & 0xff;
    if ((st = sirnn_digdec(party, n, a, a, b, 8)) != SIRNN_OK)
        return st;
    memcpy(z + 2 * n, a + n, n * sizeof(uint64_t)); /* d1 */
    uint64_t tab[5 * 256];
    if (server) {
        memcpy(tab, p->A, N * sizeof(uint64_t));
        memcpy(tab + N, p->B, N * sizeof(uint64_t));
        memcpy(tab + 2 * N, p->C, N * sizeof(uint64_t));
        for (size_t v = 0; v < N; v++) {
            tab[3 * N + v] = p->B[v] >> (kY - 1);
            tab[4 * N + v] = p->C[v] >> (kY - 1);
        }
    }
    const unsigned widths[5] = {L, kY, kY, 1, 1};
    st = sirnn_lut_multi(party, n, a, z + 2 * n, server ? tab : NULL, server ? 5 * N : 0, 5,
                         p->w1, widths);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0; i < 2 * n; i++)
        msb[i] = (uint8_t)(a[3 * n + i] & 1);
    if ((st = sirnn_mult_msb(party, 2 * n, z, z, a + n, NULL, msb, 8, kY, L, 1)) != SIRNN_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        z[i] = a[i] + z[i] + z[n + i];
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
    /* a: 5 cap words, t: 3 cap, neg: 2 cap bytes (the poly path's) */
    uint64_t *a = malloc(5 * cap * sizeof(uint64_t) + 1),
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
        sirnn_memzero(a, 5 * cap * sizeof(uint64_t));
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
