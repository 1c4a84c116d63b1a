/*
 * The two-flight product (sirnn_mult_lean in include/sirnn/arith.h): x
 * (m bits, MSB shares given) times y (k bits, l <= k) into l bits, with
 * one party (the chooser, given by the caller) choosing every OT, so the
 * whole product is the chooser's columns and the other party's
 * corrections. Below, party 1 is the chooser; the wrap's formula is
 * symmetric in the parties, so the other way round only swaps the indices
 * (the signed offsets stay with party 0).
 *
 * With x' = x (+ 2^(m-1) on party 0's share when signed, so X = X' -
 * 2^(m-1)), X' = x'0 + x'1 - 2^m w, and Y = y0 + y1 mod 2^l (l <= k: y's
 * wrap is a multiple of 2^l):
 *   X Y = x'0 y0 + x'1 y1 - sgn 2^(m-1) (y0 + y1)      (local)
 *       + x'0 y1 + x'1 y0 - 2^m w (y0 + y1)           (OTs)  mod 2^l.
 * The wrap w is, from the top bits m_j of x'_j and the MSB shares b_j
 * (b0 ^ b1 = msb(X')): w = m0 if m0 == m1, else 1 - (b0 ^ b1). For party 0's
 * fixed (m0, b0) that is a polynomial in party 1's bits,
 *   w = c00 + c10 m1 + c01 b1 + c11 m1 b1,
 * whose coefficients party 0 knows. Every term then has one factor of each
 * party, party 1's a bit:
 *   A_i: y1's bit i, sender value x'0 - 2^m c00          (l - i bits)
 *   B_i: x'1's bit i, sender value y0                    (l - i bits)
 *   C_j: e_j = m1, b1, m1 b1; sender value -c y0          (l - m bits, weight 2^m)
 *   D_ji: e_j AND y1's bit i; sender value -c             (l - m - i bits,
 *         weight 2^(m+i))
 * each one IKNP correlated OT (the sender keeps -H(q), the chooser gets
 * H(q) + choice * value), and -2^m c00 y0 is local to party 0.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/pack.h"
#include "arith/otphase.h"
#include "arith/lean_wrap.h"
#include "ot/lane.h"
#include "sirnn/arith.h"

#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

/* COTs a lane's window may hold (the sender keeps 32 bytes per COT, the
 * chooser 16 until the corrections come). */
enum { LEAN_BUDGET = 1 << 19 };

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

typedef enum slot_kind { SLOT_A = 0, SLOT_B = 1, SLOT_C = 2, SLOT_D = 3 } slot_kind;

typedef struct lean_ctx {
    unsigned m, k, l, sgn;
    int chooser;     /* the party that chooses every OT */
    unsigned ne;     /* terms of the wrap polynomial besides c00: 3, or 1 when
                        x's MSB is a public 0 (msb_x NULL) */
    unsigned nslots; /* COTs per element */
    uint64_t *out;
    const uint64_t *x, *y;
    const uint8_t *msb_x;
    const uint8_t *wrap_x; /* sirnn_mult_lean_wrap: boolean shares of x's wrap */
} lean_ctx;

/* Slot s of an element: its kind, j (C, D) and bit i (A, B, D). */
static slot_kind slot_of(const lean_ctx *c, unsigned s, unsigned *j, unsigned *i)
{
    const unsigned nb = c->m < c->l ? c->m : c->l, lw = c->l > c->m ? c->l - c->m : 0;
    *j = 0;
    if (s < c->l) {
        *i = s;
        return SLOT_A;
    }
    s -= c->l;
    if (s < nb) {
        *i = s;
        return SLOT_B;
    }
    s -= nb;
    if (s < c->ne) {
        *j = s;
        *i = 0;
        return SLOT_C;
    }
    s -= c->ne;
    *j = s / lw;
    *i = s % lw;
    return SLOT_D;
}

static unsigned slot_shift(const lean_ctx *c, slot_kind kind, unsigned i)
{
    return kind == SLOT_A || kind == SLOT_B ? i : kind == SLOT_C ? c->m : c->m + i;
}

static unsigned slot_count(unsigned m, unsigned l, unsigned ne)
{
    const unsigned nb = m < l ? m : l;
    return l + nb + (l > m ? ne * (1 + l - m) : 0);
}

/* The wrap polynomial's coefficients (c00, c10, c01, c11) for the sender's
 * top bit m0 and MSB share b0 (of msb(X')), as 0 / 1 / -1 mod 2^64. */
static void wrap_coeffs(uint64_t c[4], unsigned m0, unsigned b0)
{
    /* m0 = 0: w = m1 (1 - b), m0 = 1: w = 1 - b + m1 b; b = b1 or 1 - b1.
     * Computed without a branch on the secret bits: each coefficient is a
     * sum of products of the bits. */
    const uint64_t M = m0 & 1, B = b0 & 1, nM = 1 - M, nB = 1 - B;
    c[0] = M * nB;                                 /* c00 */
    c[1] = nM * nB + M * B;                        /* c10 */
    c[2] = (uint64_t)0 - M * nB + M * B;           /* c01: -1 (1,0), +1 (1,1) */
    c[3] = (uint64_t)0 - nM * nB + nM * B + M * nB - M * B; /* c11 */
}

/* The same when msb(X') is a public bit beta (x's MSB a public 0: beta =
 * sgn): w = m0 if m0 == m1, else 1 - beta, so w = c00 + c10 m1 with
 * c00 = m0 (1 - beta), c10 = (1 - m0)(1 - beta) + m0 beta. */
static void wrap_coeffs_public(uint64_t c[4], unsigned m0, unsigned beta)
{
    const uint64_t M = m0 & 1, B = beta & 1;
    c[0] = M * (1 - B);
    c[1] = (1 - M) * (1 - B) + M * B;
    c[2] = c[3] = 0;
}

/*
 * A lane streams its windows in groups (sirnn_stream_group bounds a group
 * by the lane's stream budget): the chooser queues the columns of every
 * window of the group (one flight), the sender reads them window by window
 * and answers all of them (one flight), so the product takes its two
 * flights whatever the group's size. Between the flights the chooser keeps
 * its accumulator (8 bytes an element; in a group of several windows it
 * adds its hashes H(t_i) at once, the c_i y_i when the corrections come,
 * its choices recomputed from the operands), and the sender its packed
 * corrections from reading the columns until it sends them.
 */
typedef struct lean_ws {
    size_t C, nots, gw;
    int fold;        /* chooser: hashes added at column time */
    sirnn_aiknp_ws ot;
    uint8_t *choice; /* chooser: nots choice bits */
    uint64_t *X, *Y, *acc, *v, *t0, *t1;
    uint64_t *acc_all; /* chooser: every window's accumulator */
    uint64_t *coef;  /* sender: 4 per element */
    uint8_t *e;      /* chooser: e_j bits, 3 per element */
    uint8_t *wire;
    uint8_t *corr;   /* sender: every window's packed corrections */
    size_t stride;
} lean_ws;

/* Bytes of a window's corrections (k elements). */
static size_t lean_corr_bytes(const lean_ctx *c, size_t k)
{
    size_t b = 0;
    for (unsigned s = 0; s < c->nslots; s++) {
        unsigned j, i;
        const slot_kind kind = slot_of(c, s, &j, &i);
        b += sirnn_pack_size(k, c->l - slot_shift(c, kind, i));
    }
    return b;
}

static void lean_ws_free(lean_ws *w)
{
    const size_t C = w->C;
    sirnn_aiknp_ws_free(&w->ot);
    sirnn_arith_zfree(w->choice, w->nots);
    sirnn_arith_zfree(w->X, C * 8);
    sirnn_arith_zfree(w->Y, C * 8);
    sirnn_arith_zfree(w->acc_all, w->gw * C * 8);
    sirnn_arith_zfree(w->v, C * 8);
    sirnn_arith_zfree(w->t0, C * 8);
    sirnn_arith_zfree(w->t1, C * 8);
    sirnn_arith_zfree(w->coef, C * 4 * 8);
    sirnn_arith_zfree(w->e, C * 3);
    sirnn_arith_zfree(w->wire, C * 8 + 64);
    sirnn_arith_zfree(w->corr, w->gw * w->stride + 1);
    memset(w, 0, sizeof(*w));
}

static sirnn_status lean_ws_init(lean_ws *w, const lean_ctx *c, size_t C, size_t gw, int sender)
{
    memset(w, 0, sizeof(*w));
    w->C = C;
    w->gw = gw;
    w->nots = C * c->nslots;
    w->stride = sender ? lean_corr_bytes(c, C) : 0;
    sirnn_status st = sender ? sirnn_aiknp_ws_init_roles(&w->ot, w->nots, 0)
                             : sirnn_aiknp_ws_init_roles(&w->ot, 0, w->nots);
    w->ot.silent_ok = 1; /* the chooser takes its rows before the messages */
    w->choice = sirnn_arith_zalloc(w->nots);
    w->X = sirnn_arith_zalloc(C * 8);
    w->Y = sirnn_arith_zalloc(C * 8);
    w->acc_all = sirnn_arith_zalloc(gw * C * 8);
    w->v = sirnn_arith_zalloc(C * 8);
    w->t0 = sirnn_arith_zalloc(C * 8);
    w->t1 = sirnn_arith_zalloc(C * 8);
    w->coef = sirnn_arith_zalloc(C * 4 * 8);
    w->e = sirnn_arith_zalloc(C * 3);
    w->wire = sirnn_arith_zalloc(C * 8 + 64);
    w->corr = sirnn_arith_zalloc(gw * w->stride + 1);
    if (st == SIRNN_OK && (w->choice == NULL || w->X == NULL || w->Y == NULL ||
                           w->acc_all == NULL || w->v == NULL || w->t0 == NULL ||
                           w->t1 == NULL || w->coef == NULL || w->e == NULL ||
                           w->wire == NULL || w->corr == NULL))
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK)
        lean_ws_free(w);
    return st;
}

/* The sender: its value of slot (kind, j, i) for the k elements. */
static void sender_values(const lean_ctx *c, lean_ws *w, size_t k, slot_kind kind, unsigned j)
{
    /* 2^m, used only when m < l <= 64 (the wrap terms) */
    const uint64_t two_m = c->l > c->m ? (uint64_t)1 << c->m : 0;
    for (size_t e = 0; e < k; e++) {
        switch (kind) {
        case SLOT_A:
            w->v[e] = c->l > c->m ? w->X[e] - two_m * w->coef[4 * e] : w->X[e];
            break;
        case SLOT_B:
            w->v[e] = w->Y[e];
            break;
        case SLOT_C:
            w->v[e] = (uint64_t)0 - w->coef[4 * e + 1 + j] * w->Y[e];
            break;
        case SLOT_D:
            w->v[e] = (uint64_t)0 - w->coef[4 * e + 1 + j];
            break;
        }
    }
}

/* The chooser: its choice bits of slot (kind, j, i) for the k elements. */
static void chooser_bits(lean_ws *w, size_t k, slot_kind kind, unsigned j, unsigned i,
                         uint8_t *out)
{
    for (size_t e = 0; e < k; e++) {
        switch (kind) {
        case SLOT_A:
            out[e] = (uint8_t)((w->Y[e] >> i) & 1);
            break;
        case SLOT_B:
            out[e] = (uint8_t)((w->X[e] >> i) & 1);
            break;
        case SLOT_C:
            out[e] = w->e[3 * e + j];
            break;
        case SLOT_D:
            out[e] = (uint8_t)(w->e[3 * e + j] & ((w->Y[e] >> i) & 1));
            break;
        }
    }
}

/* The operands of the window of k elements at off (window j of the
 * group): X, Y, the local terms into its accumulator (unless again, when
 * the chooser only needs its operands back), and the sender's wrap
 * coefficients or the chooser's e_j bits. */
static void lean_operands(const lean_ctx *c, lean_ws *w, int server, int sender, size_t j,
                          size_t off, size_t k, int again)
{
    const unsigned m = c->m, l = c->l;
    const uint64_t mm = sirnn_mask(m), lmask = sirnn_mask(l);
    const uint64_t half = c->sgn ? (uint64_t)1 << (m - 1) : 0;
    w->acc = w->acc_all + j * w->C;
    for (size_t e = 0; e < k; e++) {
        w->X[e] = (c->x[off + e] + (server ? half : 0)) & mm;
        w->Y[e] = c->y[off + e] & lmask;
        /* local: x'_j y_j - sgn 2^(m-1) y_j */
        if (!again)
            w->acc[e] = (w->X[e] * w->Y[e] - half * w->Y[e]) & lmask;
    }
    if (l <= m)
        return;
    for (size_t e = 0; e < k; e++) {
        const unsigned top = (unsigned)((w->X[e] >> (m - 1)) & 1);
        /* the MSB shares are of msb(x); msb(X') = msb(x) ^ sgn */
        const unsigned b =
            c->msb_x == NULL ? 0 : (unsigned)((c->msb_x[off + e] ^ (server ? c->sgn : 0)) & 1);
        if (c->wrap_x != NULL) {
            /* w = w0 ^ w1 = w_s + (1 - 2 w_s) w_c (sender s, chooser c) */
            const uint64_t ws = c->wrap_x[off + e] & 1;
            if (sender) {
                uint64_t *cf = w->coef + 4 * e;
                cf[0] = ws;
                cf[1] = 1 - 2 * ws;
                cf[2] = cf[3] = 0;
                w->acc[e] = (w->acc[e] - (cf[0] << m) * w->Y[e]) & lmask;
            } else {
                w->e[3 * e] = (uint8_t)ws;
            }
        } else if (sender && c->msb_x == NULL) {
            wrap_coeffs_public(w->coef + 4 * e, top, c->sgn);
            w->acc[e] = (w->acc[e] - (w->coef[4 * e] << m) * w->Y[e]) & lmask;
        } else if (sender) {
            wrap_coeffs(w->coef + 4 * e, top, b);
            /* -2^m c00 y_s, local to the sender */
            w->acc[e] = (w->acc[e] - (w->coef[4 * e] << m) * w->Y[e]) & lmask;
        } else {
            w->e[3 * e] = (uint8_t)top;
            w->e[3 * e + 1] = (uint8_t)b;
            w->e[3 * e + 2] = (uint8_t)(top & b);
        }
    }
}

/* The chooser's choices of the window's k elements (operands filled). */
static void lean_choices(const lean_ctx *c, lean_ws *w, size_t k)
{
    for (unsigned s = 0; s < c->nslots; s++) {
        unsigned j, i;
        const slot_kind kind = slot_of(c, s, &j, &i);
        chooser_bits(w, k, kind, j, i, w->choice + (size_t)s * k);
    }
}

/* Chooser, flight 1: the window's columns; folding, acc += H(t) 2^sh. */
static sirnn_status lean_cols(const lean_ctx *c, lean_ws *w, sirnn_lane *lane, sirnn_ot_lane *ol,
                              size_t k)
{
    const uint64_t lmask = sirnn_mask(c->l);
    lean_choices(c, w, k);
    sirnn_status st =
        sirnn_aiknp_recv_u(&w->ot, &ol->iknp_recv, &lane->ch, w->choice, (size_t)c->nslots * k);
    if (st != SIRNN_OK || !w->fold)
        return st;
    memset(w->t1, 0, k * sizeof(uint64_t));
    for (unsigned s = 0; s < c->nslots; s++) {
        unsigned j, i;
        const slot_kind kind = slot_of(c, s, &j, &i);
        const unsigned sh = slot_shift(c, kind, i);
        sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->ot, (size_t)s * k);
        sirnn_aiknp_cot_out(&sub, w->t0, w->t1, w->choice + (size_t)s * k, k, c->l - sh);
        for (size_t e = 0; e < k; e++)
            w->acc[e] = (w->acc[e] + (w->t0[e] << sh)) & lmask;
    }
    return SIRNN_OK;
}

/* Chooser, flight 2: the window's corrections; its outputs. */
static sirnn_status lean_outs(const lean_ctx *c, lean_ws *w, sirnn_lane *lane, sirnn_ot_lane *ol,
                              size_t off, size_t k)
{
    const uint64_t lmask = sirnn_mask(c->l);
    lean_choices(c, w, k);
    /* silent COTs: the rows before the messages */
    sirnn_status st = sirnn_aiknp_recv_rows(&w->ot, &ol->iknp_recv, &lane->ch);
    for (unsigned s = 0; st == SIRNN_OK && s < c->nslots; s++) {
        unsigned j, i;
        const slot_kind kind = slot_of(c, s, &j, &i);
        const unsigned sh = slot_shift(c, kind, i), len = c->l - sh;
        const uint8_t *ch = w->choice + (size_t)s * k;
        st = sirnn_channel_recv(&lane->ch, w->wire, sirnn_pack_size(k, len));
        if (st != SIRNN_OK)
            break;
        sirnn_unpack(w->t1, w->wire, k, len);
        if (w->fold) {
            for (size_t e = 0; e < k; e++)
                w->t0[e] = w->t1[e] & (0 - (uint64_t)(ch[e] & 1));
        } else {
            sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->ot, (size_t)s * k);
            sirnn_aiknp_cot_out(&sub, w->t0, w->t1, ch, k, len);
        }
        for (size_t e = 0; e < k; e++)
            w->acc[e] = (w->acc[e] + (w->t0[e] << sh)) & lmask;
    }
    for (size_t e = 0; st == SIRNN_OK && e < k; e++)
        c->out[off + e] = w->acc[e] & lmask;
    return st;
}

/* Sender: read the window's columns, pack its corrections into its slot
 * of corr; its outputs. */
static sirnn_status lean_answer(const lean_ctx *c, lean_ws *w, sirnn_lane *lane,
                                sirnn_ot_lane *ol, size_t j, size_t off, size_t k)
{
    const uint64_t lmask = sirnn_mask(c->l);
    sirnn_status st =
        sirnn_aiknp_send_rows(&w->ot, &ol->iknp_send, &lane->ch, (size_t)c->nslots * k);
    uint8_t *dst = w->corr + j * w->stride;
    for (unsigned s = 0; st == SIRNN_OK && s < c->nslots; s++) {
        unsigned jj, i;
        const slot_kind kind = slot_of(c, s, &jj, &i);
        const unsigned sh = slot_shift(c, kind, i), len = c->l - sh;
        sender_values(c, w, k, kind, jj);
        sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->ot, (size_t)s * k);
        sirnn_aiknp_cot_msgs(&sub, w->t0, w->t1, w->v, k, len);
        for (size_t e = 0; e < k; e++)
            w->acc[e] = (w->acc[e] - (w->t0[e] << sh)) & lmask;
        sirnn_pack(dst, w->t1, k, len);
        dst += sirnn_pack_size(k, len);
    }
    for (size_t e = 0; st == SIRNN_OK && e < k; e++)
        c->out[off + e] = w->acc[e] & lmask;
    return st;
}

/* A group of gk elements from goff: both flights for all its windows. */
static sirnn_status lean_group(const lean_ctx *c, lean_ws *w, sirnn_lane *lane,
                               sirnn_ot_lane *ol, int server, int sender, size_t goff, size_t gk)
{
    const size_t C = w->C, nw = (gk + C - 1) / C;
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t off = goff + j * C, k = min_size(C, goff + gk - off);
        lean_operands(c, w, server, sender, j, off, k, 0);
        st = sender ? lean_answer(c, w, lane, ol, j, off, k) : lean_cols(c, w, lane, ol, k);
    }
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t off = goff + j * C, k = min_size(C, goff + gk - off);
        if (sender) {
            st = sirnn_channel_send(&lane->ch, w->corr + j * w->stride, lean_corr_bytes(c, k));
            continue;
        }
        lean_operands(c, w, server, sender, j, off, k, 1); /* the chooser's operands again */
        st = lean_outs(c, w, lane, ol, off, k);
    }
    return st;
}

static sirnn_status lean_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                              void *vctx)
{
    const lean_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    const int sender = (int)party->role != c->chooser;
    /* The window: the lane's elements, at most SIRNN_WINDOW of them (or
     * the test window) and LEAN_BUDGET COTs, a multiple of 128 when it is
     * not the whole lane. A group: as many windows as the stream budget
     * holds of the chooser's accumulators or the sender's corrections. */
    size_t lim = LEAN_BUDGET / c->nslots;
    lim = lim >= 128 ? lim / 128 * 128 : 128;
    size_t C = sirnn_stream_window(begin, end);
    if (C > lim)
        C = lim;
    const size_t nwl = (end - begin + C - 1) / C;
    const size_t per = lean_corr_bytes(c, C) > C * 8 ? lean_corr_bytes(c, C) : C * 8;
    const size_t gw = sirnn_stream_group(party, per, nwl);
    lean_ws w;
    sirnn_status st = lean_ws_init(&w, c, C, gw, sender);
    if (st != SIRNN_OK)
        return st;
    w.fold = gw > 1 && party->cfg.ot_backend != SIRNN_OT_SILENT;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    for (size_t off = begin; off < end && st == SIRNN_OK; off += gw * C)
        st = lean_group(c, &w, lane, ol, server, sender, off, min_size(gw * C, end - off));
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    lean_ws_free(&w);
    return st;
}

/* The checks and the run of both entry points: msb_x (sirnn_mult_lean's
 * optional MSBs) or wrap_x (sirnn_mult_lean_wrap's wraps), at most one. */
static sirnn_status lean_call(const char *name, sirnn_party *party, size_t n, uint64_t *out,
                              const uint64_t *x, const uint64_t *y, const uint8_t *msb_x,
                              const uint8_t *wrap_x, unsigned m, unsigned k, unsigned l,
                              int is_signed, int chooser)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (m < 1 || m > 64 || k < 1 || k > 64 || l < 1 || l > k ||
        (is_signed != 0 && is_signed != 1) ||
        (chooser != SIRNN_SERVER && chooser != SIRNN_CLIENT) ||
        NULL_WITH_N(n, out) || NULL_WITH_N(n, x) || NULL_WITH_N(n, y) ||
        (msb_x != NULL && !sirnn_arith_bits_ok(msb_x, n)) ||
        (wrap_x != NULL && !sirnn_arith_bits_ok(wrap_x, n)))
        return sirnn_arith_arg(party, name,
                               "need 1 <= m, k <= 64, 1 <= l <= k, signedness 0/1, chooser "
                               "SIRNN_SERVER or SIRNN_CLIENT, non-NULL out, x, y (and wrap "
                               "bits for the _wrap variant), MSB / wrap bits 0/1");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    const unsigned ne = msb_x != NULL ? 3 : 1;
    lean_ctx c = {.m = m, .k = k, .l = l, .sgn = (unsigned)is_signed, .chooser = chooser,
                  .ne = ne, .nslots = slot_count(m, l, ne), .out = out, .x = x, .y = y,
                  .msb_x = msb_x, .wrap_x = wrap_x};
    return sirnn_batch_run(party, n, lean_lane, &c);
}

sirnn_status sirnn_mult_lean(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                             const uint64_t *y, const uint8_t *msb_x, unsigned m, unsigned k,
                             unsigned l, int is_signed, int chooser)
{
    return lean_call("sirnn_mult_lean", party, n, out, x, y, msb_x, NULL, m, k, l, is_signed,
                     chooser);
}

sirnn_status sirnn_mult_lean_wrap(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                  const uint64_t *y, const uint8_t *wrap_x, unsigned m,
                                  unsigned k, unsigned l, int is_signed, int chooser)
{
    if (party != NULL && NULL_WITH_N(n, wrap_x))
        return sirnn_arith_arg(party, "sirnn_mult_lean_wrap", "NULL wrap bits with n > 0");
    return lean_call("sirnn_mult_lean_wrap", party, n, out, x, y, NULL, wrap_x, m, k, l,
                     is_signed, chooser);
}
