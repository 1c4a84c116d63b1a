/*
 * Reciprocal and division of secret-shared fixed-point values (sirnn/math.h).
 * Up to about 16 significant output bits (every 16-bit format): the top 7
 * bits of the denominator select a bucket, three lookups give its
 * quadratic A - t (B - C t) in the offset t, two known-MSB products by the
 * offset give y = 1/d with no refinement (chunk_y_quad). Wider outputs: a
 * LUT on the top 8 bits gives y0 = 2 / (d_lo + d_hi) on its interval, then
 * cubic Goldschmidt-Newton steps y <- y (1 + e + e^2), e = 1 - d y
 * (chunk_y). Both as planned by math/div_plan.h; the cleartext model
 * (math/ref_div.c) runs the same integer steps. Composed of the protocols
 * of arith.h, on chunks of the batch so that memory stays O(chunk x lanes).
 */
#include "math/div_plan.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/math.h"
#include "arith/mixed.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "net/party_internal.h"

/* Elements per lane per chunk (a multiple of 256, so only a lane's last
 * chunk rounds its OT columns). */
#define DIV_CHUNK_PER_LANE SIRNN_WINDOW

enum { B_D, B_Y, B_P, B_E1, B_Q, B_T, B_X, B_M, B_COUNT };

typedef struct div_bufs {
    uint64_t *w[B_COUNT];
    uint8_t *zeros; /* boolean shares of a public 0 (a known MSB) */
    uint8_t *bits;  /* 3 cap: wraps (L's, C's, the numerator's) */
    uint64_t *lut4; /* 5 cap: the quadratic path's lookup, L's wrap */
} div_bufs;

static void bufs_free(div_bufs *b, size_t cap)
{
    for (int i = 0; i < B_COUNT; i++) {
        if (b->w[i] != NULL)
            memset(b->w[i], 0, cap * sizeof(uint64_t));
        free(b->w[i]);
    }
    if (b->bits != NULL)
        memset(b->bits, 0, 3 * cap);
    if (b->lut4 != NULL)
        memset(b->lut4, 0, 5 * cap * sizeof(uint64_t));
    free(b->zeros);
    free(b->bits);
    free(b->lut4);
}

static int bufs_alloc(div_bufs *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    for (int i = 0; i < B_COUNT; i++)
        if ((b->w[i] = malloc(cap * sizeof(uint64_t))) == NULL)
            return -1;
    b->bits = calloc(3 * cap, 1);
    b->lut4 = malloc(5 * cap * sizeof(uint64_t));
    return (b->zeros = calloc(cap, 1)) == NULL || b->bits == NULL || b->lut4 == NULL ? -1 : 0;
}

#define TRY(call)                                                                                \
    do {                                                                                         \
        if ((st = (call)) != SIRNN_OK)                                                           \
            return st;                                                                           \
    } while (0)

/* Y (width fy + 2) of k denominators already in b->w[B_D] (b bits). */
static sirnn_status chunk_y(sirnn_party *party, const sirnn_div_plan *p, div_bufs *b, size_t k,
                            int *y_msb_known)
{
    sirnn_status st;
    uint64_t *D = b->w[B_D], *Y = b->w[B_Y], *P = b->w[B_P], *E1 = b->w[B_E1], *Q = b->w[B_Q],
             *T = b->w[B_T];
    const uint64_t *tab = party->role == SIRNN_SERVER ? p->table : NULL;
    const size_t tlen = party->role == SIRNN_SERVER ? (size_t)1 << p->m : 0;
    if (p->t == 0) {
        TRY(sirnn_lut(party, k, Y, D, tab, tlen, p->m, p->lut_l));
    } else {
        TRY(sirnn_tr_lean(party, k, P, D, p->b, p->t, (p->b) - (p->t), 0));
        TRY(sirnn_lut(party, k, Y, P, tab, tlen, p->m, p->lut_l));
    }
    *y_msb_known = 1; /* LUT entries are below 2^(fy+1) */
    for (unsigned j = 0; j < p->nsteps; j++) {
        const sirnn_div_step *s = &p->step[j];
        const uint8_t *ymsb = *y_msb_known ? b->zeros : NULL;
        /* e = 1 - d y at scale s + fy */
        TRY(sirnn_mult_msb(party, k, P, D, Y, NULL, ymsb, p->b, s->fy + 2, s->lp, 0));
        TRY(sirnn_neg(party, k, P, P, s->lp));
        TRY(sirnn_add_const(party, k, P, P, (uint64_t)1 << (p->s + s->fy), s->lp));
        if (s->she > 0)
            TRY(sirnn_tr_lean(party, k, E1, P, s->lp, (unsigned)s->she, s->lp - (unsigned)s->she, 0));
        else
            TRY(sirnn_mul_const(party, k, E1, P, (uint64_t)1 << (unsigned)(-s->she), s->we));
        if (s->use_q) {
            TRY(sirnn_mult(party, k, Q, E1, E1, s->we, s->we, s->lq, 1));
            TRY(sirnn_tr_ext(party, k, T, Q, s->lq, s->fe, s->we, 0));
            TRY(sirnn_add(party, k, T, T, E1, s->we));
        } else {
            memcpy(T, E1, k * sizeof(uint64_t));
        }
        /* y (1 + t), t = e + e^2 */
        TRY(sirnn_mult_msb(party, k, Q, Y, T, ymsb, NULL, s->fy + 2, s->we, s->lr, 1));
        TRY(sirnn_tr_ext(party, k, Q, Q, s->lr, s->shr, s->fn + 2, 1));
        TRY(sirnn_mul_const(party, k, Y, Y, (uint64_t)1 << (s->fn - s->fy), s->fn + 2));
        TRY(sirnn_add(party, k, Y, Y, Q, s->fn + 2));
        *y_msb_known = 0;
    }
    return SIRNN_OK;
}

/* The quadratic path (div_plan.h): Y of k denominators in b->w[B_D], as
 * shares mod 2^ky (ky >= fy + 2: Y <= 2^fy, so the value is the same in
 * any such ring, and a division's product X Y reads it in its own ring,
 * with no wrap of Y). Every step's wraps come with an earlier step:
 *   - IDX = D >> t by sirnn_shift_lean, which also gives the carry out of
 *     D's low t bits: the wrap of L = D mod 2^t's shares;
 *   - one lookup of C (wc bits, with the wrap of its output shares), B (in
 *     P2's ring l2, so that V needs no wrap) and A (ky bits);
 *   - P1 = C L by sirnn_mult_wraps (3 flights), its shift straight into
 *     l2 bits (its MSB a public 0: the wrap by MSB-to-wrap inside the
 *     network), V = B - (P1 >> sh1) mod 2^l2;
 *   - P2 = L V (l2 <= V's width: only L's wrap, given), its shift into ky
 *     bits; numw, if not NULL, gets the wrap of num's bx-bit shares as the
 *     signed product reads them (party 0's plus 2^(bx-1)) from that same
 *     network, for the division's product. */
static sirnn_status chunk_y_quad(sirnn_party *party, const sirnn_div_plan *p, div_bufs *b,
                                 size_t k, unsigned ky, const uint64_t *num, uint8_t *numw)
{
    sirnn_status st;
    const sirnn_div_quad *q = &p->q;
    uint64_t *D = b->w[B_D], *Y = b->w[B_Y], *P = b->w[B_P], *IDX = b->w[B_E1],
             *V = b->w[B_Q], *L = b->w[B_T], *CW = b->lut4 + 4 * k;
    uint8_t *lw = b->bits, *cw = b->bits + k;
    const int server = party->role == SIRNN_SERVER;
    const size_t N = (size_t)1 << p->m;
    sirnn_lean_extra ex1 = {.carry = lw};
    TRY(sirnn_shift_lean(party, k, IDX, D, NULL, p->b, p->t, p->b - p->t, 0, &ex1));
    TRY(sirnn_mod_down(party, k, L, D, p->b, p->t));
    for (size_t i = 0; i < k; i++)
        CW[i] = lw[i]; /* L's wrap as the products take it */
    /* one lookup: C and its wrap (if use_c), B (l2 bits), A (ky bits) */
    uint64_t tab[4 * 128];
    const unsigned c2 = q->use_c ? 2 : 0; /* the tables before B */
    if (server) {
        if (q->use_c) {
            memcpy(tab, q->ctab, N * sizeof(uint64_t));
            memset(tab + N, 0, N * sizeof(uint64_t));
        }
        memcpy(tab + c2 * N, q->btab, N * sizeof(uint64_t));
        memcpy(tab + (c2 + 1) * N, p->table, N * sizeof(uint64_t));
    }
    const unsigned widths[4] = {q->wc, 1, q->l2, ky};
    const unsigned wrap_of[4] = {SIRNN_LUT_NOWRAP, 0, SIRNN_LUT_NOWRAP, SIRNN_LUT_NOWRAP};
    uint64_t *out4 = b->lut4;
    const sirnn_lut_req rq = {.out = out4, .idx = IDX, .tables = server ? tab : NULL,
                              .ntab = c2 + 2, .m = p->m, .widths = widths + (2 - c2),
                              .wrap_of = wrap_of + (2 - c2)};
    st = sirnn_lut_several(party, k, &rq, 1);
    if (server)
        sirnn_memzero(tab, sizeof tab);
    if (st != SIRNN_OK)
        return st;
    const uint64_t *C = out4, *Bv = out4 + c2 * k, *A = out4 + (c2 + 1) * k;
    memcpy(V, Bv, k * sizeof(uint64_t));
    memcpy(Y, A, k * sizeof(uint64_t));
    if (q->use_c) {
        /* V = B - (C L >> sh1) */
        for (size_t i = 0; i < k; i++)
            cw[i] = (uint8_t)(out4[k + i] & 1);
        TRY(sirnn_mult_wraps(party, k, P, L, C, CW, cw, p->t, q->wc, q->l1, 0));
        TRY(sirnn_shift_lean(party, k, P, P, b->zeros, q->l1, q->sh1, q->l2, 0, NULL));
        TRY(sirnn_sub(party, k, V, V, P, q->l2));
    }
    /* Y = A - (L V >> sh2) */
    TRY(sirnn_mult_wrap(party, k, P, L, V, CW, NULL, p->t, q->l2, q->l2));
    /* the numerator's offset only with a numerator (a reciprocal has bx = 0) */
    sirnn_lean_extra ex2 = {.y = num, .ly = p->bx,
                            .yoff = num != NULL ? (uint64_t)1 << (p->bx - 1) : 0, .ywrap = numw};
    TRY(sirnn_shift_lean(party, k, P, P, b->zeros, q->l2, q->sh2, ky, 0,
                         num != NULL ? &ex2 : NULL));
    return sirnn_sub(party, k, Y, Y, P, ky);
}

/* Party 0's per-element tables of the lookup on MSNZB's XOR-shared code
 * (sirnn_msnzb_code): entry v holds mtab[k], k = pos[v XOR c0] the
 * position of code v XOR c0, c0 its code share. */
typedef struct mfill {
    const uint64_t *code; /* party 0's code shares */
    const uint8_t *pos;
    const uint64_t *mtab;
    unsigned mcode;
} mfill;

static void m_fill_fn(void *ctx, size_t first, size_t count, uint64_t *tables)
{
    const mfill *f = ctx;
    const size_t N = (size_t)1 << f->mcode;
    const uint64_t cm = N - 1;
    for (size_t i = 0; i < count; i++) {
        const uint64_t c0 = f->code[first + i] & cm;
        for (uint64_t v = 0; v < N; v++)
            tables[i * N + v] = f->mtab[f->pos[v ^ c0]];
    }
}

/* Normalisation (div_plan.h): k = msnzb(D), M = 2^(b-1-k) into b->w[B_M]
 * (b + 1 bits, top bit zero), and D replaced by DN = D M mod 2^b, which
 * needs no wrap (l = b is the width of D). M comes from one lookup on
 * MSNZB's code (party 1's code share its index, party 0's tables permuted
 * by its share), in place of MSNZB's own last lookup of k and a lookup of
 * M on k: one lookup fewer, and its columns ride in MSNZB's last flight. */
static sirnn_status chunk_normalise(sirnn_party *party, const sirnn_div_plan *p, div_bufs *b,
                                    size_t k)
{
    sirnn_status st;
    uint64_t *D = b->w[B_D], *K = b->w[B_P], *M = b->w[B_M], *I = b->w[B_Q];
    const int server = party->role == SIRNN_SERVER;
    unsigned mcode = 0;
    uint8_t pos[256];
    TRY(sirnn_msnzb_code(party, k, K, D, p->b, 8, &mcode, pos));
    for (size_t i = 0; i < k; i++)
        I[i] = server ? 0 : K[i];
    mfill f = {K, pos, p->mtab, mcode};
    TRY(sirnn_lut_cb(party, k, M, I, server ? m_fill_fn : NULL, &f, mcode, p->b + 1));
    return sirnn_mult_msb(party, k, D, D, M, NULL, NULL, p->b, p->b + 1, p->b, 0);
}

/* Round Z (l bits) to the output: + 2^(sh-1), then the top bits as bo bits. */
static sirnn_status chunk_round(sirnn_party *party, uint64_t *out, uint64_t *Z, size_t k,
                                unsigned l, unsigned sh, unsigned bo, int is_signed)
{
    sirnn_status st;
    TRY(sirnn_add_const(party, k, Z, Z, (uint64_t)1 << (sh - 1), l));
    if (bo == l - sh)
        return sirnn_tr_lean(party, k, out, Z, l, sh, bo, is_signed);
    if (bo > l - sh)
        return sirnn_tr_ext(party, k, out, Z, l, sh, bo, is_signed);
    TRY(sirnn_tr_lean(party, k, Z, Z, l, sh, (l) - (sh), 0));
    return sirnn_mod_down(party, k, out, Z, l - sh, bo);
}

static sirnn_status div_run(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *num,
                            const uint64_t *den, const sirnn_div_plan *p, unsigned bden)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    const size_t block = (size_t)DIV_CHUNK_PER_LANE * party->nlanes;
    const size_t cap = n < block ? n : block;
    div_bufs b;
    if (bufs_alloc(&b, cap) != 0) {
        bufs_free(&b, 0);
        return sirnn_party_error(party, SIRNN_ERR_NOMEM, "reciprocal/division: out of memory");
    }
    for (size_t off = 0; off < n && st == SIRNN_OK; off += cap) {
        const size_t k = n - off < cap ? n - off : cap;
        if (p->is_div)
            memcpy(b.w[B_X], num + off, k * sizeof(uint64_t)); /* out may alias num */
        st = sirnn_mod_down(party, k, b.w[B_D], den + off, bden, p->b);
        if (st == SIRNN_OK && p->norm)
            st = chunk_normalise(party, p, &b, k);
        if (st != SIRNN_OK)
            break;
        if (p->out_direct) {
            const uint64_t *tab = party->role == SIRNN_SERVER ? p->table : NULL;
            st = sirnn_lut(party, k, out + off, b.w[B_D], tab,
                           party->role == SIRNN_SERVER ? (size_t)1 << p->m : 0, p->m, p->lut_l);
            continue;
        }
        int known = 1;
        /* the quadratic division: Y in the product's ring, the numerator's
         * wrap from Y's last network */
        const int qdiv = p->quad && p->is_div && !p->norm;
        const unsigned ky = qdiv && p->lz > p->fy + 2 ? p->lz : p->fy + 2;
        st = p->quad ? chunk_y_quad(party, p, &b, k, ky, qdiv ? b.w[B_X] : NULL,
                                    b.bits + 2 * k)
                     : chunk_y(party, p, &b, k, &known);
        if (st != SIRNN_OK)
            break;
        if (!p->is_div && p->quad) {
            /* Y + 2^(sh-1) <= 2^fy + 2^(fy-1): the MSB stays a public 0. */
            const unsigned sh = p->fy - p->so;
            st = sirnn_add_const(party, k, b.w[B_Y], b.w[B_Y], (uint64_t)1 << (sh - 1), p->fy + 2);
            if (st == SIRNN_OK)
                st = sirnn_shift_lean(party, k, out + off, b.w[B_Y], b.zeros, p->fy + 2, sh,
                                      p->bo, 0, NULL);
            continue;
        }
        if (qdiv) {
            /* Z = X Y: X's wrap given, Y read in its own ring (no wrap), 3
             * flights; then the rounding */
            uint64_t *XW = b.w[B_E1];
            for (size_t i = 0; i < k; i++)
                XW[i] = b.bits[2 * k + i];
            st = sirnn_mult_wraps(party, k, b.w[B_P], b.w[B_X], b.w[B_Y], XW, b.zeros, p->bx, ky,
                                  p->lz, 1);
            if (st == SIRNN_OK)
                st = chunk_round(party, out + off, b.w[B_P], k, p->lz, p->shz, p->bo, 1);
            continue;
        }
        if (p->norm) {
            /* W = Y M (unsigned, top bit zero), then the signed X W. */
            st = sirnn_mult_msb(party, k, b.w[B_Y], b.w[B_Y], b.w[B_M], known ? b.zeros : NULL,
                                b.zeros, p->fy + 2, p->b + 1, p->lw, 0);
            if (st == SIRNN_OK)
                st = sirnn_mult_msb(party, k, b.w[B_P], b.w[B_X], b.w[B_Y], NULL, b.zeros, p->bx,
                                    p->lw, p->lz, 1);
            if (st == SIRNN_OK)
                st = chunk_round(party, out + off, b.w[B_P], k, p->lz, p->shz, p->bo, 1);
            continue;
        }
        if (!p->is_div) {
            st = chunk_round(party, out + off, b.w[B_Y], k, p->fy + 2, p->fy - p->so, p->bo, 0);
            continue;
        }
        st = sirnn_mult_msb(party, k, b.w[B_P], b.w[B_X], b.w[B_Y], NULL, known ? b.zeros : NULL,
                            p->bx, p->fy + 2, p->lz, 1);
        if (st == SIRNN_OK)
            st = chunk_round(party, out + off, b.w[B_P], k, p->lz, p->shz, p->bo, 1);
    }
    bufs_free(&b, cap);
    return st;
}

/* The entry points' common tail: p (NULL when its allocation failed) with
 * why, the plan's complaint or NULL; num is NULL for the reciprocal. */
static sirnn_status div_entry(sirnn_party *party, const char *fn, sirnn_div_plan *p,
                              const char *why, size_t n, uint64_t *out, const uint64_t *num,
                              int with_num, const uint64_t *den, unsigned den_bits)
{
    sirnn_status st;
    if (p == NULL)
        st = sirnn_party_error(party, SIRNN_ERR_NOMEM, "%s: out of memory", fn);
    else if (why != NULL)
        st = sirnn_party_error(party, SIRNN_ERR_ARG, "%s: %s", fn, why);
    else if (n > 0 && (out == NULL || den == NULL || (with_num && num == NULL)))
        st = sirnn_party_error(party, SIRNN_ERR_ARG, "%s: NULL array with n > 0", fn);
    else
        st = div_run(party, n, out, num, den, p, den_bits);
    free(p);
    return st;
}

sirnn_status sirnn_reciprocal(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                              sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    sirnn_div_plan *p = malloc(sizeof(*p));
    const char *why = p != NULL ? sirnn_div_plan_make(p, NULL, fmt_in, fmt_out) : NULL;
    return div_entry(party, "sirnn_reciprocal", p, why, n, y, NULL, 0, x, fmt_in.bits);
}

sirnn_status sirnn_div(sirnn_party *party, size_t n, uint64_t *q, const uint64_t *num,
                       const uint64_t *den, sirnn_fixfmt fmt_num, sirnn_fixfmt fmt_den,
                       sirnn_fixfmt fmt_out)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    sirnn_div_plan *p = malloc(sizeof(*p));
    const char *why = p != NULL ? sirnn_div_plan_make(p, &fmt_num, fmt_den, fmt_out) : NULL;
    return div_entry(party, "sirnn_div", p, why, n, q, num, 1, den, fmt_den.bits);
}

sirnn_status sirnn_div_norm(sirnn_party *party, size_t n, uint64_t *q, const uint64_t *num,
                            const uint64_t *den, sirnn_fixfmt fmt_num, sirnn_fixfmt fmt_den,
                            sirnn_fixfmt fmt_out)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    sirnn_div_plan *p = malloc(sizeof(*p));
    const char *why = p != NULL ? sirnn_div_norm_plan_make(p, fmt_num, fmt_den, fmt_out) : NULL;
    return div_entry(party, "sirnn_div_norm", p, why, n, q, num, 1, den, fmt_den.bits);
}
