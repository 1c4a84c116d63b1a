/*
 * exp under MPC (see include/sirnn/math.h for the contract and
 * math/exp_plan.h for the algorithm): digit decomposition, all digit
 * factors in one set of lookup flights, then a chain of products with
 * rounding.
 *
 * Each product uses D_j = 2^f - E_j instead of E_j: E_j * G = 2^f G -
 * D_j G, and D_j is narrower than E_j for the low digits (at 16/12, D_0 <
 * 248 against E_0 <= 4096), so it is looked up and multiplied at md_j bits
 * (9 at 16/12: the ring's 2f + 1 <= md_j + lw keeps both wraps one bit),
 * and the multiplication's cross terms choose with those bits. The
 * rounding floor((E_j G + 2^(f-1)) / 2^f) is one truncation
 * TR(2^f G - D_j G + 2^(f-1), 2f + 1, f) into G's ring lw: the value is at
 * most 2^2f + 2^(f-1) (E_j, G <= 2^f), so the ring L = 2f + 1 holds it,
 * and 2^f G needs no wrap of G's shares (f + lw >= L).
 * The lookups also give the wraps of the factors' output shares (a one-bit
 * field each, sirnn_lut_several), so the first product needs neither a
 * comparison nor MSB-to-wrap and takes 3 flights; a later G comes from a
 * truncation, and its public zero MSB (G <= 2^f < 2^(lw - 1)) gives its
 * wrap by MSB-to-wrap.
 *
 * Batches are processed in blocks of at most EXP_BLOCK elements per lane,
 * so memory is O(block) whatever n is.
 */
#include "sirnn/math.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "math/exp_plan.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "net/party_internal.h"

enum { EXP_BLOCK = SIRNN_WINDOW };

static uint64_t mask64(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

/* Add the public constant c to the shares (party 0 adds it). */
static void add_const(const sirnn_party *party, size_t n, uint64_t *x, uint64_t c, unsigned l)
{
    if (party->role != SIRNN_SERVER)
        return;
    const uint64_t m = mask64(l);
    for (size_t i = 0; i < n; i++)
        x[i] = (x[i] + c) & m;
}

static sirnn_status chain_block(sirnn_party *party, size_t n, uint64_t *g_out, const uint64_t *u,
                                const sirnn_exp_plan *p, uint64_t *dig, uint64_t *tmp,
                                uint8_t *wbit)
{
    const unsigned q = p->q, f = p->f, lw = p->lw, L = 2 * f + 2;
    const int server = party->role == SIRNN_SERVER;
    sirnn_status st;
    /* digits, digit-major */
    if (q == 1) {
        for (size_t i = 0; i < n; i++)
            dig[i] = u[i] & mask64(p->b);
    } else if ((st = sirnn_digdec(party, n, dig, u, p->b, 8)) != SIRNN_OK) {
        return st;
    }
    /* Every factor in one set of flights, one request per digit: the top
     * digit's E (lw bits), the others' D_j (md_j bits), each with the wrap
     * of its output shares (a second, one-bit table). Request j writes
     * factor j at fac + 2 j n and its wrap right after it. */
    uint64_t *fac = dig + (size_t)q * n;
    uint64_t tabs[SIRNN_EXP_MAX_DIGITS][512];
    unsigned widths[SIRNN_EXP_MAX_DIGITS][2];
    static const unsigned wrap_of[2] = {SIRNN_LUT_NOWRAP, 0};
    sirnn_lut_req rq[SIRNN_EXP_MAX_DIGITS];
    for (unsigned j = 0; j < q; j++) {
        widths[j][0] = j == q - 1 ? lw : p->md[j];
        widths[j][1] = 1;
        if (server) {
            memcpy(tabs[j], p->tab[j], 256 * sizeof(uint64_t));
            memset(tabs[j] + 256, 0, 256 * sizeof(uint64_t));
        }
        rq[j] = (sirnn_lut_req){.out = fac + (size_t)2 * j * n,
                                .idx = dig + (size_t)j * n,
                                .tables = server ? tabs[j] : NULL,
                                .ntab = 2,
                                .m = 8,
                                .widths = widths[j],
                                .wrap_of = wrap_of};
    }
    st = sirnn_lut_several(party, n, rq, q);
    if (server)
        sirnn_memzero(tabs, sizeof tabs);
    if (st != SIRNN_OK)
        return st;
    uint64_t *G = g_out;
    memmove(G, fac + (size_t)2 * (q - 1) * n, n * sizeof(uint64_t));
    const uint64_t *wG = fac + (size_t)2 * (q - 1) * n + n; /* the top factor's wrap */
    int first = 1;
    for (unsigned j = q - 1; j-- > 0;) {
        if (p->dmax[j] == 0)
            continue; /* E_j = 2^f everywhere: G unchanged */
        const uint64_t *D = fac + (size_t)2 * j * n, *wD = D + n;
        const unsigned md = p->md[j];
        if (first) {
            /* G is the looked-up factor: both wraps known, 3 flights */
            for (size_t i = 0; i < n; i++)
                wbit[i] = (uint8_t)(wG[i] & 1);
            st = sirnn_mult_wraps(party, n, tmp, D, G, wD, wbit, md, lw, L, 0);
        } else {
            /* G came from a truncation: its MSB is a public zero */
            memset(wbit, 0, n);
            st = sirnn_mult_wrap(party, n, tmp, D, G, wD, wbit, md, lw, L);
        }
        if (st != SIRNN_OK)
            return st;
        first = 0;
        /* V = 2^f G - D G + 2^(f-1) in [0, 2^(L-1)), then G = floor(V /
         * 2^f): V's MSB is a public zero (wbit, all zero: the shares of
         * the MSB), which extends the quotient into G's ring */
        for (size_t i = 0; i < n; i++)
            tmp[i] = ((G[i] << f) - tmp[i]) & mask64(L);
        add_const(party, n, tmp, (uint64_t)1 << f >> 1, L);
        memset(wbit, 0, n);
        if ((st = sirnn_shift_lean(party, n, G, tmp, wbit, L, f, lw, 0, NULL)) != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_exp_chain_run(sirnn_party *party, size_t n, uint64_t *g_out,
                                 const uint64_t *u, const sirnn_exp_plan *p)
{
    const size_t block = (size_t)EXP_BLOCK * party->nlanes;
    const size_t cap = n < block ? n : block;
    /* per block: the digits (q), the factors and their wraps (2q) */
    uint64_t *dig = malloc((size_t)3 * p->q * cap * sizeof(uint64_t));
    uint64_t *tmp = malloc(cap * sizeof(uint64_t));
    uint8_t *wbit = calloc(cap, 1);
    sirnn_status st = SIRNN_OK;
    if (dig == NULL || tmp == NULL || wbit == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        st = chain_block(party, k, g_out + off, u + off, p, dig, tmp, wbit);
    }
    if (dig != NULL)
        sirnn_memzero(dig, (size_t)3 * p->q * cap * sizeof(uint64_t));
    if (tmp != NULL)
        sirnn_memzero(tmp, cap * sizeof(uint64_t));
    if (wbit != NULL)
        sirnn_memzero(wbit, cap);
    free(dig);
    free(tmp);
    free(wbit);
    return st;
}

sirnn_status sirnn_exp(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                       sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (n > 0 && (y == NULL || x == NULL))
        return sirnn_party_error(party, SIRNN_ERR_ARG, "sirnn_exp: NULL array with n > 0");
    sirnn_exp_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    char err[160];
    if ((st = sirnn_exp_plan_init(p, fmt_in, fmt_out, err, sizeof err)) != SIRNN_OK) {
        free(p);
        return sirnn_party_error(party, st, "sirnn_exp: %s", err);
    }
    if (n == 0) {
        free(p);
        return SIRNN_OK;
    }
    /* u = -x mod 2^b, written to y (y may alias x) */
    const size_t block = (size_t)EXP_BLOCK * party->nlanes;
    uint64_t *u = malloc((n < block ? n : block) * sizeof(uint64_t));
    if (u == NULL) {
        free(p);
        return SIRNN_ERR_NOMEM;
    }
    for (size_t off = 0; off < n && st == SIRNN_OK; off += block) {
        const size_t k = n - off < block ? n - off : block;
        for (size_t i = 0; i < k; i++)
            u[i] = (0 - x[off + i]) & mask64(p->b);
        st = sirnn_exp_chain_run(party, k, u, u, p);
        if (st == SIRNN_OK && p->g > 0) {
            add_const(party, k, u, (uint64_t)1 << (p->g - 1), p->lw);
            st = sirnn_tr_lean(party, k, u, u, p->lw, p->g, (p->lw) - (p->g), 0);
        }
        if (st == SIRNN_OK)
            for (size_t i = 0; i < k; i++)
                y[off + i] = u[i] & mask64(p->bo);
    }
    sirnn_memzero(u, (n < block ? n : block) * sizeof(uint64_t));
    free(u);
    free(p);
    return st;
}
