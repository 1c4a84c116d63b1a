/*
 * SIRNN multiplication of an m-bit by a k-bit value into l <= m + k bits
 * (include/sirnn/arith.h), elementwise, on two shared operands, on a public
 * constant, or on a value that one party holds in the clear.
 *
 * With X = x0 + x1 - 2^m wx and Y = y0 + y1 - 2^k wy (wx, wy the wraps of
 * the shares) and l <= m + k:
 *   X Y = x0 y0 + x1 y1 + x0 y1 + x1 y0 - 2^m wx (y0 + y1) - 2^k wy (x0 + x1)
 * mod 2^l. x0 y0 and x1 y1 are local; each cross term is one IKNP COT per
 * bit i of the chooser's operand, correlation the sender's operand, l - i
 * bits; the wrap terms are MUXes of the boolean wraps. Signed operands are
 * offset by 2^(m-1) and 2^(k-1) (see sirnn_mult).
 *
 * One chunk runs as numbered flights (party 1 sends the odd ones, party 0
 * the even ones). The wraps come from the millionaires' protocol of
 * arith/cmp.c (both wraps in one run), whose flights carry the other steps
 * through hooks, from MSB-to-wrap when the MSBs are known, or from the
 * caller (sirnn_mult_wrap: x's wrap as arithmetic shares, known before
 * flight 1; then l may exceed m + k, because the y-wrap MUX takes x's true
 * value x0 + x1 - 2^m wx and so carries the 2^(m+k) wx wy term):
 *   1 (P1): comparison / MSB-to-wrap columns; columns of the cross terms
 *           that party 1 chooses;
 *   2 (P0): comparison messages; MSB-to-wrap answers; the corrections of
 *           those cross terms; the columns of the cross terms party 0
 *           chooses;
 *   3 (P1): (comparison tree) the corrections of party 0's cross terms;
 *   ...
 *   F      the comparison's last flight (F = L + 2), or 2 for MSB-to-wrap:
 *           its sender adds the columns of the MUX halves it chooses;
 *   F + 1  the other party: its MUX columns and its corrections;
 *   F + 2  the first party's corrections.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "arith/otphase.h"
#include "ot/lane.h"

#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)
#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

/* How the second operand is held. */
typedef enum ymode { Y_SHARED = 0, Y_P0 = 1, Y_P1 = 2, Y_PUBLIC = 3 } ymode;

/* CT_BUDGET: cross-term COTs a lane's window may hold per direction (the
 * sender keeps 32 bytes per COT, the receiver 16 until the messages come). */
enum { MAX_TERMS = 2, MAX_HALVES = 4, CT_BUDGET = 1 << 19 };

/* One cross term: the chooser's operand (which: 0 = x, 1 = y) bits times the
 * sender's operand, nb OTs per element, message lengths l - i. */
typedef struct cterm {
    int chooser;
    int u_is_y; /* chooser's operand is y (else x) */
    unsigned nb;
    size_t first; /* OT offset of bit 0 within the chooser batch, per element count */
} cterm;

/* One MUX half: chooser's bit is its share of wrap w (0 = wx, 1 = wy); the
 * sender's value V_s mod 2^lw; the product enters with weight -2^shift. */
typedef struct mhalf {
    int chooser;
    int wrap; /* 0 = wx, 1 = wy */
    unsigned lw, shift;
} mhalf;

typedef struct mplan {
    unsigned m, k, l;
    int sgn;
    ymode ym;
    uint64_t c;              /* public constant (Y_PUBLIC) */
    int need_wx, need_wy;    /* wrap terms present */
    int m2w_x, m2w_y;        /* wraps from MSB-to-wrap */
    int given_x;             /* x's wrap given by the caller */
    int given_y;             /* y's wrap given by the caller (boolean) */
    int cmp_x, cmp_y;        /* wraps from the comparison */
    unsigned K;              /* comparison width */
    unsigned ncmp;           /* comparisons per element (0..2) */
    unsigned nm2w;           /* MSB-to-wrap OTs per element */
    unsigned F;              /* flight after which the wraps are known (0: none) */
    unsigned Fcmp;           /* the comparison's flights (0: none) */
    unsigned nterms;
    cterm terms[MAX_TERMS];
    unsigned bits_by[2];     /* OTs per element chosen by party 0 / 1 */
    unsigned nhalves;
    mhalf halves[MAX_HALVES];
    unsigned halves_by[2];
    unsigned ct_flight[2];   /* columns flight of the cross terms chosen by party j */
    unsigned mux_flight[2];  /* columns flight of the MUX halves chosen by party j */
    unsigned fmax;
    size_t chunk;
} mplan;

static unsigned umin(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Sender of flight f: party 1 sends the odd ones. */
static int flight_sender(unsigned f)
{
    return (f % 2 == 1) ? SIRNN_CLIENT : SIRNN_SERVER;
}

/* The first flight >= f sent by party j. */
static unsigned next_flight_of(unsigned f, int j)
{
    return flight_sender(f) == j ? f : f + 1;
}

static void add_term(mplan *p, int chooser, int u_is_y)
{
    cterm *t = &p->terms[p->nterms++];
    t->chooser = chooser;
    t->u_is_y = u_is_y;
    t->nb = umin(u_is_y ? p->k : p->m, p->l);
    t->first = p->bits_by[chooser];
    p->bits_by[chooser] += t->nb;
}

static void add_half(mplan *p, int chooser, int wrap)
{
    mhalf *h = &p->halves[p->nhalves++];
    h->chooser = chooser;
    h->wrap = wrap;
    h->shift = wrap == 0 ? p->m : p->k;
    h->lw = p->l - h->shift;
    p->halves_by[chooser]++;
}

/*
 * The public shape. known_x / known_y: the MSB of x / y is given.
 * Cross term x0*y1: party 0 chooses with x0 (m bits) or party 1 with y1 (k
 * bits), whichever is fewer (ties: party 1, so that its columns ride in
 * flight 1); x1*y0 likewise.
 */
static void plan_init(mplan *p, unsigned m, unsigned k, unsigned l, int sgn, ymode ym,
                      uint64_t c, int known_x, int known_y, int given_x)
{
    memset(p, 0, sizeof(*p));
    p->m = m;
    p->k = k;
    p->l = l;
    p->sgn = sgn;
    p->ym = ym;
    p->c = c;
    p->need_wx = l > m;
    p->need_wy = l > k && ym == Y_SHARED;
    p->given_x = p->need_wx && given_x;
    p->m2w_x = p->need_wx && known_x && !given_x;
    p->m2w_y = p->need_wy && known_y;
    p->cmp_x = p->need_wx && !known_x && !given_x;
    p->cmp_y = p->need_wy && !known_y;
    p->ncmp = (unsigned)(p->cmp_x + p->cmp_y);
    p->nm2w = (unsigned)(p->m2w_x + p->m2w_y);
    p->K = p->cmp_x && p->cmp_y ? (m > k ? m : k) : p->cmp_x ? m : k;
    /* x0*y1 */
    if (ym == Y_SHARED || ym == Y_P1)
        add_term(p, umin(m, l) < umin(k, l) ? SIRNN_SERVER : SIRNN_CLIENT,
                 !(umin(m, l) < umin(k, l)));
    /* x1*y0 */
    if (ym == Y_SHARED || ym == Y_P0)
        add_term(p, umin(k, l) < umin(m, l) ? SIRNN_SERVER : SIRNN_CLIENT,
                 umin(k, l) < umin(m, l));
    p->ct_flight[SIRNN_CLIENT] = 1;
    p->ct_flight[SIRNN_SERVER] = 2;
    p->fmax = 0;
    for (int j = 0; j < 2; j++)
        if (p->bits_by[j] > 0 && p->ct_flight[j] + 1 > p->fmax)
            p->fmax = p->ct_flight[j] + 1;
}

/* Set the wrap flights once the comparison's flight count is known. */
static void plan_flights(mplan *p, unsigned fcmp)
{
    p->Fcmp = p->ncmp > 0 ? fcmp : 0;
    p->F = p->Fcmp;
    if (p->nm2w > 0 && p->F < 2)
        p->F = 2;
    if ((p->given_x || p->given_y) && p->F < 1)
        p->F = 1;
    /* MUX halves: wx with V = y0 + y1 (- 2^(k-1)), wy with V = x0 + x1 (- 2^(m-1)).
     * The half with sender s exists when s's part of V can be non-zero. */
    if (p->need_wx) {
        if (p->ym != Y_P1)
            add_half(p, SIRNN_CLIENT, 0); /* sender party 0 */
        if (p->ym == Y_SHARED || p->ym == Y_P1)
            add_half(p, SIRNN_SERVER, 0); /* sender party 1 */
    }
    if (p->need_wy) {
        add_half(p, SIRNN_CLIENT, 1);
        add_half(p, SIRNN_SERVER, 1);
    }
    for (int j = 0; j < 2; j++) {
        if (p->halves_by[j] == 0)
            continue;
        p->mux_flight[j] = next_flight_of(p->F, j);
        if (p->mux_flight[j] + 1 > p->fmax)
            p->fmax = p->mux_flight[j] + 1;
    }
    if (p->F > p->fmax)
        p->fmax = p->F;
}

/* ---------------- per-lane state ---------------- */

typedef struct mult_ctx {
    mplan p;
    uint64_t *out;
    const uint64_t *x, *y;
    const uint8_t *msb_x, *msb_y;
    const uint64_t *wx;      /* given wrap of x (arithmetic shares), or NULL */
    const uint8_t *wy;       /* given wrap of y (boolean shares), or NULL */
} mult_ctx;

/*
 * A lane streams its windows in groups (arith/wnet.c: sirnn_stream_group
 * bounds a group by the lane's stream budget): every flight carries its
 * part for every window of the group, written window by window, so the
 * product takes the flights of one window whatever the group's size. What
 * a window carries between flights (per element): the output accumulator
 * (8 bytes), its wrap shares (a byte each) and the comparison's outputs;
 * a sender of COTs its packed corrections (or MSB-to-wrap messages) from
 * the moment it reads the peer's columns until its next flight; party 1's
 * MSB-to-wrap hashes cut to their low byte; and the comparison's window
 * state (arith/wnet.h). A chooser of COTs in a group of several windows
 * adds its hashes H(t_i) into the accumulator as soon as it has queued its
 * columns (its COT output is H(t_i) + c_i y_i), and the c_i y_i when the
 * corrections come, its choices recomputed from the operands. Everything
 * else (operands, OT scratch) is one window's and refilled per window.
 */
typedef struct mult_ws {
    const mplan *p;
    const mult_ctx *c;
    sirnn_party *party;
    sirnn_lane *lane;
    sirnn_ot_lane *ol;
    int me;
    int fold;            /* the chooser folds its hashes at column time */
    size_t C;            /* window capacity */
    size_t gw;           /* windows a group holds */
    size_t goff, gk, nw; /* the group: first element, elements, windows */
    size_t cur;          /* 1 + the window the views show (0: none) */
    size_t j, off, k;    /* the current window: index, first element, size */
    uint64_t xoff, yoff; /* the signed offsets this party adds */
    uint64_t *X, *Y;     /* own offset shares of the window */
    uint64_t *acc;       /* the window's output accumulator (a view) */
    uint64_t *acc_all;
    /* cross terms: chooser batch (my choices) and sender batch (peer's) */
    sirnn_aiknp_ws ct_rcv, ct_snd;
    uint8_t *ct_choice;
    uint8_t *ct_buf;     /* sender: every window's packed corrections */
    size_t ct_stride;
    /* MUX halves */
    sirnn_aiknp_ws mx_rcv, mx_snd;
    uint8_t *mx_choice;
    uint8_t *mx_buf;
    size_t mx_stride;
    /* wraps */
    uint8_t *wx, *wy;    /* own boolean shares of the window (views) */
    uint8_t *wx_all, *wy_all;
    const uint64_t *wxa; /* the window's given arithmetic wrap shares of x */
    void *lt;            /* comparison workspace (a group's) */
    uint8_t *cout_all;   /* comparison outputs: window j's x then y wraps at j * ncmp * C */
    sirnn_akk_ws kk;
    uint64_t kk_mark;    /* sender: the silent engine's held mark after m2w_rows */
    uint8_t *kk_choice, *kk_r;
    uint64_t *kk_mc, *kk_msgs;
    uint8_t *m2w_buf;    /* party 0: every window's messages; party 1: its hashes' low bytes */
    size_t m2w_stride;
    /* scratch */
    uint64_t *t0, *t1, *t2;
    uint8_t *wire;
} mult_ws;

/* Cross-term COTs and MUX-half COTs per element a party takes or sends
 * at most (its choices and hashes are sized by them, not by the largest
 * plan: a product of 100 images' gates holds 8 COT choices an element,
 * not 128). */
static size_t ct_per(const mplan *p)
{
    const unsigned b = p->bits_by[0] > p->bits_by[1] ? p->bits_by[0] : p->bits_by[1];
    return b > 0 ? b : 1;
}

static size_t mx_per(const mplan *p)
{
    const unsigned h = p->halves_by[0] > p->halves_by[1] ? p->halves_by[0] : p->halves_by[1];
    return h > 0 ? h : 1;
}

/* Elements of the comparison's and MSB-to-wrap's buffers: a window's when
 * the plan uses them, else none (a product with both wraps given, as the
 * math functions' and the FastGRNN step's, holds neither). */
static size_t cmp_cap(const mplan *p, size_t C)
{
    return p->ncmp > 0 ? C : 0;
}

static size_t m2w_cap(const mplan *p, size_t C)
{
    return p->nm2w > 0 ? C : 0;
}

/* Bytes of the corrections party `me` sends for a window of k elements:
 * of the cross terms the peer chooses, and of the MUX halves it does. */
static size_t ct_bytes(const mplan *p, int me, size_t k)
{
    size_t b = 0;
    for (unsigned ti = 0; ti < p->nterms; ti++)
        if (p->terms[ti].chooser != me)
            for (unsigned i = 0; i < p->terms[ti].nb; i++)
                b += sirnn_pack_size(k, p->l - i);
    return b;
}

static size_t mx_bytes(const mplan *p, int me, size_t k)
{
    size_t b = 0;
    for (unsigned hi = 0; hi < p->nhalves; hi++)
        if (p->halves[hi].chooser != me)
            b += sirnn_pack_size(k, p->halves[hi].lw);
    return b;
}

/* MSB-to-wrap per window: party 0's messages (4 one-bit messages per OT),
 * party 1's hashes' low bytes. */
static size_t m2w_bytes(const mplan *p, int me, size_t k)
{
    return me == SIRNN_SERVER ? p->nm2w * sirnn_pack_size(4 * k, 1) : p->nm2w * k;
}

/* What a window of C elements carries between flights, the larger party's
 * (both parties size their groups alike). */
static size_t window_bytes(const mplan *p, size_t C)
{
    size_t most = 0;
    for (int me = 0; me < 2; me++) {
        const size_t b = ct_bytes(p, me, C) + mx_bytes(p, me, C) + m2w_bytes(p, me, C);
        most = b > most ? b : most;
    }
    size_t bytes = C * (8 + 2 + p->ncmp) + most;
    if (p->ncmp > 0)
        bytes += sirnn_lt_window_bytes(p->K, p->ncmp * C);
    return bytes;
}

static void ws_free(mult_ws *w)
{
    const size_t C = w->C, G = w->gw * C;
    sirnn_arith_zfree(w->X, C * 8);
    sirnn_arith_zfree(w->Y, C * 8);
    sirnn_arith_zfree(w->acc_all, G * 8);
    sirnn_aiknp_ws_free(&w->ct_rcv);
    sirnn_aiknp_ws_free(&w->ct_snd);
    sirnn_aiknp_ws_free(&w->mx_rcv);
    sirnn_aiknp_ws_free(&w->mx_snd);
    sirnn_arith_zfree(w->ct_choice, C * ct_per(w->p));
    sirnn_arith_zfree(w->mx_choice, C * mx_per(w->p));
    sirnn_arith_zfree(w->ct_buf, w->gw * w->ct_stride + 1);
    sirnn_arith_zfree(w->mx_buf, w->gw * w->mx_stride + 1);
    sirnn_arith_zfree(w->wx_all, G);
    sirnn_arith_zfree(w->wy_all, G);
    sirnn_lt_ws_delete(w->lt);
    sirnn_arith_zfree(w->cout_all, w->p->ncmp * cmp_cap(w->p, G));
    const size_t Cm = m2w_cap(w->p, C);
    sirnn_akk_ws_free(&w->kk);
    sirnn_arith_zfree(w->kk_choice, 2 * Cm);
    sirnn_arith_zfree(w->kk_r, 2 * Cm);
    sirnn_arith_zfree(w->kk_mc, 2 * Cm * 8);
    sirnn_arith_zfree(w->kk_msgs, (size_t)SIRNN_AKK_GROUP * 4 * 8);
    sirnn_arith_zfree(w->m2w_buf, w->gw * w->m2w_stride + 1);
    sirnn_arith_zfree(w->t0, C * 8);
    sirnn_arith_zfree(w->t1, C * 8);
    sirnn_arith_zfree(w->t2, C * 8);
    sirnn_arith_zfree(w->wire, C * 8 + 64);
    memset(w, 0, sizeof(*w));
}

static sirnn_status ws_init(mult_ws *w, const mplan *p, int me, size_t C, size_t gw, void *lt)
{
    memset(w, 0, sizeof(*w));
    w->p = p;
    w->me = me;
    w->C = C;
    w->gw = gw;
    w->lt = lt;
    const size_t G = gw * C;
    w->X = sirnn_arith_zalloc(C * 8);
    w->Y = sirnn_arith_zalloc(C * 8);
    w->acc_all = sirnn_arith_zalloc(G * 8);
    w->ct_choice = sirnn_arith_zalloc(C * ct_per(p));
    w->mx_choice = sirnn_arith_zalloc(C * mx_per(p));
    w->ct_stride = ct_bytes(p, me, C);
    w->mx_stride = mx_bytes(p, me, C);
    w->ct_buf = sirnn_arith_zalloc(gw * w->ct_stride + 1);
    w->mx_buf = sirnn_arith_zalloc(gw * w->mx_stride + 1);
    w->wx_all = sirnn_arith_zalloc(G);
    w->wy_all = sirnn_arith_zalloc(G);
    w->cout_all = sirnn_arith_zalloc(p->ncmp * cmp_cap(p, G));
    const size_t Cm = m2w_cap(p, C);
    w->kk_choice = sirnn_arith_zalloc(2 * Cm);
    w->kk_r = sirnn_arith_zalloc(2 * Cm);
    w->kk_mc = sirnn_arith_zalloc(2 * Cm * 8);
    w->kk_msgs = sirnn_arith_zalloc((size_t)SIRNN_AKK_GROUP * 4 * 8);
    w->m2w_stride = m2w_bytes(p, me, Cm);
    w->m2w_buf = sirnn_arith_zalloc(gw * w->m2w_stride + 1);
    w->t0 = sirnn_arith_zalloc(C * 8);
    w->t1 = sirnn_arith_zalloc(C * 8);
    w->t2 = sirnn_arith_zalloc(C * 8);
    w->wire = sirnn_arith_zalloc(C * 8 + 64);
    sirnn_status st = SIRNN_OK;
    const unsigned maxb = p->bits_by[0] > p->bits_by[1] ? p->bits_by[0] : p->bits_by[1];
    if (maxb > 0) {
        /* narrow: the messages have at most 64 bits (8 bytes of hash an OT) */
        st = sirnn_aiknp_ws_init_narrow(&w->ct_rcv, 0, C * maxb);
        if (st == SIRNN_OK)
            st = sirnn_aiknp_ws_init_narrow(&w->ct_snd, C * maxb, 0);
    }
    if (st == SIRNN_OK && p->nhalves > 0) {
        st = sirnn_aiknp_ws_init_narrow(&w->mx_rcv, 0, C * mx_per(p));
        if (st == SIRNN_OK)
            st = sirnn_aiknp_ws_init_narrow(&w->mx_snd, C * mx_per(p), 0);
    }
    if (st == SIRNN_OK && p->nm2w > 0)
        st = sirnn_akk_ws_init(&w->kk, 2 * C);
    if (st == SIRNN_OK &&
        (w->X == NULL || w->Y == NULL || w->acc_all == NULL || w->ct_choice == NULL ||
         w->mx_choice == NULL || w->ct_buf == NULL || w->mx_buf == NULL || w->wx_all == NULL ||
         w->wy_all == NULL || w->cout_all == NULL || w->kk_choice == NULL || w->kk_r == NULL ||
         w->kk_mc == NULL || w->kk_msgs == NULL || w->m2w_buf == NULL || w->t0 == NULL ||
         w->t1 == NULL || w->t2 == NULL || w->wire == NULL))
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK) {
        w->lt = NULL; /* owned by the caller until success */
        ws_free(w);
    }
    return st;
}

/* Point the views at window j of the group and fill its operands. */
static void win_view(mult_ws *w, size_t j)
{
    if (w->cur == j + 1)
        return;
    const mplan *p = w->p;
    const mult_ctx *c = w->c;
    const size_t off = w->goff + j * w->C, k = min_size(w->C, w->goff + w->gk - off);
    const uint64_t mm = sirnn_mask(p->m), km = sirnn_mask(p->k);
    const int yholder = p->ym == Y_P1 ? SIRNN_CLIENT : SIRNN_SERVER;
    w->j = j;
    w->off = off;
    w->k = k;
    for (size_t e = 0; e < k; e++)
        w->X[e] = (c->x[off + e] + w->xoff) & mm;
    for (size_t e = 0; e < k; e++) {
        uint64_t yv = 0;
        if (p->ym == Y_PUBLIC)
            yv = (p->c + w->yoff) & km;
        else if (p->ym == Y_SHARED || w->me == yholder)
            yv = (c->y[off + e] + w->yoff) & km;
        w->Y[e] = yv;
    }
    w->acc = w->acc_all + j * w->C;
    w->wx = w->wx_all + j * w->C;
    w->wy = w->wy_all + j * w->C;
    w->wxa = p->given_x ? c->wx + off : NULL;
    w->cur = j + 1;
}

/* ---------------- the steps ---------------- */

/* The operand whose bits party `chooser` uses in term t, and the sender's. */
static const uint64_t *term_u(const mult_ws *w, const cterm *t)
{
    return t->u_is_y ? w->Y : w->X;
}

static const uint64_t *term_v(const mult_ws *w, const cterm *t)
{
    return t->u_is_y ? w->X : w->Y;
}

/* The chooser's choice bits of its cross terms for the window. */
static void ct_choices(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    for (unsigned ti = 0; ti < p->nterms; ti++) {
        const cterm *t = &p->terms[ti];
        if (t->chooser != w->me)
            continue;
        const uint64_t *u = term_u(w, t);
        for (unsigned i = 0; i < t->nb; i++) {
            uint8_t *c = w->ct_choice + (t->first + i) * k;
            for (size_t e = 0; e < k; e++)
                c[e] = (uint8_t)((u[e] >> i) & 1);
        }
    }
}

/* Chooser: queue the columns of all cross-term OTs this party chooses;
 * when folding, acc += H(t_i) 2^i at once. */
static sirnn_status ct_cols(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const size_t nots = (size_t)p->bits_by[w->me] * k;
    ct_choices(w);
    sirnn_status st =
        sirnn_aiknp_recv_u(&w->ct_rcv, &w->ol->iknp_recv, &w->lane->ch, w->ct_choice, nots);
    if (st != SIRNN_OK || !w->fold)
        return st;
    const uint64_t lmask = sirnn_mask(p->l);
    memset(w->t1, 0, k * sizeof(uint64_t));
    for (unsigned ti = 0; ti < p->nterms; ti++) {
        const cterm *t = &p->terms[ti];
        if (t->chooser != w->me)
            continue;
        for (unsigned i = 0; i < t->nb; i++) {
            const sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->ct_rcv, (t->first + i) * k);
            sirnn_aiknp_cot_out(&sub, w->t0, w->t1, w->ct_choice + (t->first + i) * k, k,
                                p->l - i);
            for (size_t e = 0; e < k; e++)
                w->acc[e] = (w->acc[e] + (w->t0[e] << i)) & lmask;
        }
    }
    return SIRNN_OK;
}

/* Sender: read the peer's columns and pack the corrections into the
 * window's slot of ct_buf; acc -= x_i 2^i. */
static sirnn_status ct_rows(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const uint64_t lmask = sirnn_mask(p->l);
    const size_t nots = (size_t)p->bits_by[1 - w->me] * k;
    sirnn_status st = sirnn_aiknp_send_rows(&w->ct_snd, &w->ol->iknp_send, &w->lane->ch, nots);
    if (st != SIRNN_OK)
        return st;
    uint8_t *dst = w->ct_buf + w->j * w->ct_stride;
    for (unsigned ti = 0; ti < p->nterms; ti++) {
        const cterm *t = &p->terms[ti];
        if (t->chooser == w->me)
            continue;
        const uint64_t *v = term_v(w, t);
        for (unsigned i = 0; i < t->nb; i++) {
            const unsigned li = p->l - i;
            const sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->ct_snd, (t->first + i) * k);
            sirnn_aiknp_cot_msgs(&sub, w->t0, w->t1, v, k, li);
            for (size_t e = 0; e < k; e++)
                w->acc[e] = (w->acc[e] - (w->t0[e] << i)) & lmask;
            sirnn_pack(dst, w->t1, k, li);
            dst += sirnn_pack_size(k, li);
        }
    }
    return SIRNN_OK;
}

/* Sender: the corrections (after the silent tiles it held). */
static sirnn_status ct_corr(mult_ws *w)
{
    sirnn_status st = sirnn_aiknp_send_emit(&w->ct_snd, &w->ol->iknp_send, &w->lane->ch);
    if (st != SIRNN_OK)
        return st;
    return sirnn_channel_send(&w->lane->ch, w->ct_buf + w->j * w->ct_stride,
                              ct_bytes(w->p, w->me, w->k));
}

/* Chooser: outputs; acc += out_i 2^i (folded: acc += c_i y_i 2^i). */
static sirnn_status ct_out(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const uint64_t lmask = sirnn_mask(p->l);
    sirnn_status rs = sirnn_aiknp_recv_rows(&w->ct_rcv, &w->ol->iknp_recv, &w->lane->ch);
    if (rs != SIRNN_OK)
        return rs;
    ct_choices(w);
    for (unsigned ti = 0; ti < p->nterms; ti++) {
        const cterm *t = &p->terms[ti];
        if (t->chooser != w->me)
            continue;
        for (unsigned i = 0; i < t->nb; i++) {
            const unsigned li = p->l - i;
            const uint8_t *ch = w->ct_choice + (t->first + i) * k;
            sirnn_status st = sirnn_channel_recv(&w->lane->ch, w->wire, sirnn_pack_size(k, li));
            if (st != SIRNN_OK)
                return st;
            sirnn_unpack(w->t1, w->wire, k, li);
            if (w->fold) {
                for (size_t e = 0; e < k; e++)
                    w->t0[e] = w->t1[e] & (0 - (uint64_t)(ch[e] & 1));
            } else {
                const sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->ct_rcv, (t->first + i) * k);
                sirnn_aiknp_cot_out(&sub, w->t0, w->t1, ch, k, li);
            }
            for (size_t e = 0; e < k; e++)
                w->acc[e] = (w->acc[e] + (w->t0[e] << i)) & lmask;
        }
    }
    return SIRNN_OK;
}

/* MSB-to-wrap (party 1 chooses (msb of its share, its MSB share bit)). The
 * MSB shares given are of msb(x); the offset value's MSB is msb(x) ^ 1 when
 * signed, so party 0 flips its share. Elements: x's [0, k), then y's. */
static const uint8_t *m2w_msb(const mult_ctx *c, int which, size_t off)
{
    return (which == 0 ? c->msb_x : c->msb_y) + off;
}

/* Party 1's choices of the window's MSB-to-wrap OTs; returns their count. */
static size_t m2w_choices(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    size_t o = 0;
    for (int which = 0; which < 2; which++) {
        if (!(which == 0 ? p->m2w_x : p->m2w_y))
            continue;
        const uint64_t *v = which == 0 ? w->X : w->Y;
        const unsigned bw = which == 0 ? p->m : p->k;
        const uint8_t *ms = m2w_msb(w->c, which, w->off);
        for (size_t e = 0; e < k; e++)
            w->kk_choice[o + e] = (uint8_t)(((v[e] >> (bw - 1)) & 1) | (ms[e] & 1) << 1);
        o += k;
    }
    return o;
}

/* Party 1: the columns; keeps its hashes' low bytes (the messages are one
 * bit) in the window's slot of m2w_buf. */
static sirnn_status m2w_cols(mult_ws *w)
{
    const size_t o = m2w_choices(w);
    sirnn_status st = sirnn_akk_recv_u(&w->kk, &w->ol->kk_recv, &w->lane->ch, w->kk_choice, o);
    uint8_t *s = w->m2w_buf + w->j * w->m2w_stride;
    for (size_t i = 0; st == SIRNN_OK && i < o; i++)
        s[i] = (uint8_t)w->kk.h[i];
    return st;
}

/* Party 0: read the columns and pack the window's messages into its slot
 * of m2w_buf; its wrap shares are its random bits. */
static sirnn_status m2w_rows(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k, total = (size_t)p->nm2w * k;
    sirnn_status st = sirnn_akk_send_rows(&w->kk, &w->ol->kk_send, &w->lane->ch, total);
    w->kk_mark = sirnn_akk_send_mark(&w->kk, &w->lane->ch);
    if (st != SIRNN_OK)
        return st;
    sirnn_prg_bytes(&w->lane->prg, w->kk_r, total);
    uint8_t *dst = w->m2w_buf + w->j * w->m2w_stride;
    size_t o = 0;
    for (int which = 0; which < 2; which++) {
        if (!(which == 0 ? p->m2w_x : p->m2w_y))
            continue;
        const uint64_t *v = which == 0 ? w->X : w->Y;
        const unsigned bw = which == 0 ? p->m : p->k;
        const uint8_t *ms = m2w_msb(w->c, which, w->off);
        const uint64_t flip = (uint64_t)(p->sgn != 0);
        uint8_t *own = which == 0 ? w->wx : w->wy;
        for (size_t g0 = 0; g0 < k; g0 += SIRNN_AKK_GROUP) {
            const size_t g = min_size(SIRNN_AKK_GROUP, k - g0);
            for (size_t i = 0; i < g; i++) {
                const size_t e = g0 + i;
                const uint64_t m0 = (v[e] >> (bw - 1)) & 1, b0 = (ms[e] & 1) ^ flip;
                const uint64_t r = w->kk_r[o + e] & 1;
                for (uint64_t u = 0; u < 4; u++) {
                    const uint64_t m1 = u & 1, msb = b0 ^ (u >> 1);
                    w->kk_msgs[i * 4 + u] = r ^ (m0 & m1) ^ ((m0 ^ m1) & (msb ^ 1));
                }
            }
            sirnn_akk_send_group(&w->kk, &w->ol->kk_send, dst + g0 / 2, w->kk_msgs, o + g0, g,
                                 4, 1);
        }
        for (size_t e = 0; e < k; e++)
            own[e] = (uint8_t)(w->kk_r[o + e] & 1);
        dst += sirnn_pack_size(4 * k, 1);
        o += k;
    }
    return SIRNN_OK;
}

/* Party 0: the messages (after the silent tiles it held). */
static sirnn_status m2w_send(mult_ws *w)
{
    sirnn_status est = sirnn_akk_send_emit(&w->kk, &w->lane->ch, w->kk_mark);
    if (est != SIRNN_OK)
        return est;
    return sirnn_channel_send(&w->lane->ch, w->m2w_buf + w->j * w->m2w_stride,
                              m2w_bytes(w->p, SIRNN_SERVER, w->k));
}

static sirnn_status m2w_recv(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k, o_all = m2w_choices(w);
    const uint8_t *s = w->m2w_buf + w->j * w->m2w_stride;
    for (size_t i = 0; i < o_all; i++)
        w->kk.h[i] = s[i];
    sirnn_status rs = sirnn_akk_recv_rows(&w->kk, &w->lane->ch, w->kk_choice, o_all);
    if (rs != SIRNN_OK)
        return rs;
    size_t o = 0;
    for (int which = 0; which < 2; which++) {
        if (!(which == 0 ? p->m2w_x : p->m2w_y))
            continue;
        sirnn_status st = sirnn_channel_recv(&w->lane->ch, w->wire, sirnn_pack_size(4 * k, 1));
        if (st != SIRNN_OK)
            return st;
        sirnn_akk_recv_out(&w->kk, w->kk_mc + o, w->wire, w->kk_choice + o, o, k, 4, 1);
        uint8_t *own = which == 0 ? w->wx : w->wy;
        for (size_t e = 0; e < k; e++)
            own[e] = (uint8_t)(w->kk_mc[o + e] & 1);
        o += k;
    }
    return SIRNN_OK;
}

/* The sender's part of the MUX value of half h (mod 2^lw): for wx,
 * V = y0 + y1 - sgn 2^(k-1) (the y holder subtracts); for wy,
 * V = x0 + x1 - sgn 2^(m-1) (party 0 subtracts). */
static void mux_value(const mult_ws *w, const mhalf *h, uint64_t *v)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const uint64_t mask = sirnn_mask(h->lw);
    const uint64_t *src;
    uint64_t sub = 0;
    if (h->wrap == 0) {
        src = w->Y;
        const int holder = p->ym == Y_P1 ? SIRNN_CLIENT : SIRNN_SERVER;
        if (p->sgn && w->me == holder)
            sub = (uint64_t)1 << (p->k - 1);
    } else {
        src = w->X;
        if (p->sgn && w->me == SIRNN_SERVER)
            sub = (uint64_t)1 << (p->m - 1);
        if (p->given_x) {
            /* x's true value: the 2^(m+k) wx wy term when l > m + k */
            for (size_t e = 0; e < k; e++)
                v[e] = (src[e] - sub - (w->wxa[e] << p->m)) & mask;
            return;
        }
    }
    for (size_t e = 0; e < k; e++)
        v[e] = (src[e] - sub) & mask;
}

/* The chooser's MUX choices (its wrap shares) of the window; their count. */
static size_t mx_choices(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    size_t o = 0;
    for (unsigned hi = 0; hi < p->nhalves; hi++) {
        const mhalf *h = &p->halves[hi];
        if (h->chooser != w->me)
            continue;
        memcpy(w->mx_choice + o, h->wrap == 0 ? w->wx : w->wy, k);
        o += k;
    }
    return o;
}

/* Chooser of halves: the columns; when folding, acc -= H(t) 2^shift at once. */
static sirnn_status mx_cols(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k, o_all = mx_choices(w);
    sirnn_status st =
        sirnn_aiknp_recv_u(&w->mx_rcv, &w->ol->iknp_recv, &w->lane->ch, w->mx_choice, o_all);
    if (st != SIRNN_OK || !w->fold)
        return st;
    const uint64_t lmask = sirnn_mask(p->l);
    memset(w->t1, 0, k * sizeof(uint64_t));
    size_t o = 0;
    for (unsigned hi = 0; hi < p->nhalves; hi++) {
        const mhalf *h = &p->halves[hi];
        if (h->chooser != w->me)
            continue;
        const sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->mx_rcv, o);
        sirnn_aiknp_cot_out(&sub, w->t0, w->t1, w->mx_choice + o, k, h->lw);
        for (size_t e = 0; e < k; e++)
            w->acc[e] = (w->acc[e] - (w->t0[e] << h->shift)) & lmask;
        o += k;
    }
    return SIRNN_OK;
}

/* Sender of halves: read the columns; corr = (1 - 2 a) V into the
 * window's slot of mx_buf; acc -= 2^shift (a V - x). */
static sirnn_status mx_rows(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const uint64_t lmask = sirnn_mask(p->l);
    const size_t nots = (size_t)p->halves_by[1 - w->me] * k;
    sirnn_status st = sirnn_aiknp_send_rows(&w->mx_snd, &w->ol->iknp_send, &w->lane->ch, nots);
    if (st != SIRNN_OK)
        return st;
    uint8_t *dst = w->mx_buf + w->j * w->mx_stride;
    size_t o = 0;
    for (unsigned hi = 0; hi < p->nhalves; hi++) {
        const mhalf *h = &p->halves[hi];
        if (h->chooser == w->me)
            continue;
        const uint8_t *a = h->wrap == 0 ? w->wx : w->wy;
        const uint64_t mask = sirnn_mask(h->lw);
        mux_value(w, h, w->t2);
        for (size_t e = 0; e < k; e++) {
            const uint64_t s = 0 - (uint64_t)(a[e] & 1);
            w->t0[e] = (w->t2[e] - (2 * w->t2[e] & s)) & mask; /* (1 - 2a) V */
            w->t2[e] &= s;                                     /* a V */
        }
        const sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->mx_snd, o);
        sirnn_aiknp_cot_msgs(&sub, w->t0, w->t1, w->t0, k, h->lw);
        for (size_t e = 0; e < k; e++)
            w->acc[e] = (w->acc[e] - ((w->t2[e] - w->t0[e]) << h->shift)) & lmask;
        sirnn_pack(dst, w->t1, k, h->lw);
        dst += sirnn_pack_size(k, h->lw);
        o += k;
    }
    return SIRNN_OK;
}

static sirnn_status mx_corr(mult_ws *w)
{
    sirnn_status st = sirnn_aiknp_send_emit(&w->mx_snd, &w->ol->iknp_send, &w->lane->ch);
    if (st != SIRNN_OK)
        return st;
    return sirnn_channel_send(&w->lane->ch, w->mx_buf + w->j * w->mx_stride,
                              mx_bytes(w->p, w->me, w->k));
}

static sirnn_status mx_out(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const uint64_t lmask = sirnn_mask(p->l);
    sirnn_status rs = sirnn_aiknp_recv_rows(&w->mx_rcv, &w->ol->iknp_recv, &w->lane->ch);
    if (rs != SIRNN_OK)
        return rs;
    mx_choices(w);
    size_t o = 0;
    for (unsigned hi = 0; hi < p->nhalves; hi++) {
        const mhalf *h = &p->halves[hi];
        if (h->chooser != w->me)
            continue;
        const uint8_t *ch = w->mx_choice + o;
        sirnn_status st = sirnn_channel_recv(&w->lane->ch, w->wire, sirnn_pack_size(k, h->lw));
        if (st != SIRNN_OK)
            return st;
        sirnn_unpack(w->t1, w->wire, k, h->lw);
        if (w->fold) {
            for (size_t e = 0; e < k; e++)
                w->t0[e] = w->t1[e] & (0 - (uint64_t)(ch[e] & 1));
        } else {
            const sirnn_aiknp_ws sub = sirnn_aiknp_ws_at(&w->mx_rcv, o);
            sirnn_aiknp_cot_out(&sub, w->t0, w->t1, ch, k, h->lw);
        }
        for (size_t e = 0; e < k; e++)
            w->acc[e] = (w->acc[e] - (w->t0[e] << h->shift)) & lmask;
        o += k;
    }
    return SIRNN_OK;
}

/* ---------------- flights ---------------- */

/* After the comparison's last flight: its outputs are the wrap shares. */
static void take_wraps(mult_ws *w, unsigned f)
{
    const mplan *p = w->p;
    if (p->ncmp == 0 || f != p->Fcmp)
        return;
    const uint8_t *src = w->cout_all + w->j * p->ncmp * w->C;
    if (p->cmp_x) {
        memcpy(w->wx, src, w->k);
        src += w->k;
    }
    if (p->cmp_y)
        memcpy(w->wy, src, w->k);
}

/* What this party appends to its flight f, window by window. */
static sirnn_status on_sent(void *vctx, unsigned f)
{
    mult_ws *w = vctx;
    const mplan *p = w->p;
    const int me = w->me, peer = 1 - w->me;
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < w->nw && st == SIRNN_OK; j++) {
        win_view(w, j);
        take_wraps(w, f);
        if (p->nm2w > 0 && me == SIRNN_CLIENT && f == 1)
            st = m2w_cols(w);
        if (st == SIRNN_OK && p->nm2w > 0 && me == SIRNN_SERVER && f == 2)
            st = m2w_send(w);
        if (st == SIRNN_OK && p->bits_by[peer] > 0 && f == p->ct_flight[peer] + 1)
            st = ct_corr(w);
        if (st == SIRNN_OK && p->bits_by[me] > 0 && f == p->ct_flight[me])
            st = ct_cols(w);
        if (st == SIRNN_OK && p->halves_by[peer] > 0 && f == p->mux_flight[peer] + 1)
            st = mx_corr(w);
        if (st == SIRNN_OK && p->halves_by[me] > 0 && f == p->mux_flight[me])
            st = mx_cols(w);
    }
    return st;
}

/* What this party reads of the peer's flight f (same order); a sender's
 * answers are computed here and go out in its next flight. */
static sirnn_status on_received(void *vctx, unsigned f)
{
    mult_ws *w = vctx;
    const mplan *p = w->p;
    const int me = w->me, peer = 1 - w->me;
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < w->nw && st == SIRNN_OK; j++) {
        win_view(w, j);
        take_wraps(w, f);
        if (p->nm2w > 0 && me == SIRNN_SERVER && f == 1)
            st = m2w_rows(w);
        if (st == SIRNN_OK && p->nm2w > 0 && me == SIRNN_CLIENT && f == 2)
            st = m2w_recv(w);
        if (st == SIRNN_OK && p->bits_by[me] > 0 && f == p->ct_flight[me] + 1)
            st = ct_out(w);
        if (st == SIRNN_OK && p->bits_by[peer] > 0 && f == p->ct_flight[peer])
            st = ct_rows(w);
        if (st == SIRNN_OK && p->halves_by[me] > 0 && f == p->mux_flight[me] + 1)
            st = mx_out(w);
        if (st == SIRNN_OK && p->halves_by[peer] > 0 && f == p->mux_flight[peer])
            st = mx_rows(w);
    }
    return st;
}

/* Local terms of party j: X_j Y_j - sgn (2^(k-1) X_j + 2^(m-1) Y_j)
 * (+ sgn 2^(m+k-2) on party 0); for a public y, both parties use Y = c'. */
static void local_terms(mult_ws *w)
{
    const mplan *p = w->p;
    const size_t k = w->k;
    const uint64_t lmask = sirnn_mask(p->l);
    const uint64_t ck = p->sgn ? (uint64_t)1 << (p->k - 1) : 0;
    const uint64_t cm = p->sgn ? (uint64_t)1 << (p->m - 1) : 0;
    const int server = w->me == SIRNN_SERVER;
    const unsigned e2 = p->m + p->k - 2;
    const uint64_t cst = (p->sgn && server && e2 < 64) ? (uint64_t)1 << e2 : 0;
    for (size_t e = 0; e < k; e++) {
        const uint64_t X = w->X[e];
        const uint64_t Yc = w->Y[e];
        uint64_t v = X * Yc - ck * X + cst;
        if (p->ym != Y_PUBLIC || server)
            v -= cm * Yc;
        w->acc[e] = v & lmask;
    }
}

/* The comparison's inputs of the window at its element off (window
 * off / (ncmp C) of the group): wrap(a0, a1; width) = 1{2^width - 1 - a0
 * < a1}, x's then y's. */
static void cmp_fill(void *vctx, size_t off, size_t k, uint64_t *in)
{
    mult_ws *w = vctx;
    const mplan *p = w->p;
    (void)k;
    win_view(w, off / (p->ncmp * w->C));
    const uint64_t mm = sirnn_mask(p->m), km = sirnn_mask(p->k);
    size_t o = 0;
    for (int which = 0; which < 2; which++) {
        if (!(which == 0 ? p->cmp_x : p->cmp_y))
            continue;
        const uint64_t *v = which == 0 ? w->X : w->Y;
        const uint64_t bm = which == 0 ? mm : km;
        for (size_t e = 0; e < w->k; e++)
            in[o + e] = w->me == SIRNN_SERVER ? (~v[e] & bm) : v[e];
        o += w->k;
    }
}

/* The comparison's outputs of the window at its element off, handed over
 * before the last hook, which reads them. */
static void cmp_take(void *vctx, size_t off, size_t k, const uint8_t *bits)
{
    mult_ws *w = vctx;
    memcpy(w->cout_all + off, bits, k);
}

/* A group of gk elements from element goff: every flight for all its
 * windows, then the outputs. */
static sirnn_status mult_group(mult_ws *w, size_t goff, size_t gk)
{
    const mplan *p = w->p;
    w->goff = goff;
    w->gk = gk;
    w->nw = (gk + w->C - 1) / w->C;
    w->cur = 0;
    for (size_t j = 0; j < w->nw; j++) {
        win_view(w, j);
        local_terms(w);
        if (p->given_x)
            for (size_t e = 0; e < w->k; e++)
                w->wx[e] = (uint8_t)(w->wxa[e] & 1);
        if (p->given_y)
            for (size_t e = 0; e < w->k; e++)
                w->wy[e] = (uint8_t)(w->c->wy[w->off + e] & 1);
    }
    sirnn_status st = SIRNN_OK;
    unsigned f0 = 1;
    if (p->ncmp > 0) {
        sirnn_flight_hooks hk = {.sent = on_sent, .received = on_received, .ctx = w};
        st = sirnn_lt_group(w->party, w->lane, w->lt, 0, p->ncmp * gk, cmp_fill, cmp_take, w,
                            &hk);
        f0 = p->Fcmp + 1;
    }
    for (unsigned f = f0; f <= p->fmax && st == SIRNN_OK; f++)
        st = flight_sender(f) == w->me ? on_sent(w, f) : on_received(w, f);
    const uint64_t lmask = sirnn_mask(p->l);
    for (size_t e = 0; st == SIRNN_OK && e < gk; e++)
        w->c->out[goff + e] = w->acc_all[e] & lmask;
    return st;
}

static sirnn_status mult_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                              void *vctx)
{
    const mult_ctx *c = vctx;
    const mplan *p = &c->p;
    const int me = party->role == SIRNN_SERVER ? SIRNN_SERVER : SIRNN_CLIENT;
    /* The window: the lane's elements, at most SIRNN_WINDOW of them (or
     * the test window) and CT_BUDGET cross-term COTs; a multiple of 4096
     * when it is not the whole lane, so that only a lane's last window
     * rounds its OTs. A group: as many windows as the stream budget holds
     * of what they carry between flights. */
    const unsigned bits = p->bits_by[0] > p->bits_by[1] ? p->bits_by[0] : p->bits_by[1];
    size_t lim = SIRNN_WINDOW;
    if (bits > 0 && CT_BUDGET / bits < lim)
        lim = CT_BUDGET / bits;
    lim = lim >= 4096 ? lim / 4096 * 4096 : lim >= 128 ? lim / 128 * 128 : 128;
    size_t C = sirnn_stream_window(begin, end);
    if (C > lim)
        C = lim;
    const size_t nwl = (end - begin + C - 1) / C;
    const size_t gw = sirnn_stream_group(party, window_bytes(p, C), nwl);
    unsigned fl = 0;
    void *lt = NULL;
    if (p->ncmp > 0) {
        lt = sirnn_lt_ws_new_group(me == SIRNN_SERVER, p->K, C * p->ncmp, gw, &fl);
        if (lt == NULL)
            return SIRNN_ERR_NOMEM;
    }
    mult_ws w;
    sirnn_status st = ws_init(&w, p, me, C, gw, lt);
    if (st != SIRNN_OK) {
        sirnn_lt_ws_delete(lt);
        return st;
    }
    w.c = c;
    w.party = party;
    w.lane = lane;
    w.ol = sirnn_ot_lane_get(lane);
    /* A chooser in a group of several windows folds its hashes at once
     * (never on the silent backend, whose groups are one window). */
    w.fold = gw > 1 && party->cfg.ot_backend != SIRNN_OT_SILENT;
    /* Silent COTs (SIRNN_OT_SILENT) for the cross terms, MUX halves and
     * MSB-to-wrap: their senders hold the tiles until their answers, which
     * follow other messages of the flight (otphase.h). */
    w.ct_rcv.silent_ok = w.ct_snd.silent_ok = w.ct_snd.hold = 1;
    w.mx_rcv.silent_ok = w.mx_snd.silent_ok = w.mx_snd.hold = 1;
    if (p->nm2w > 0)
        st = sirnn_akk_ws_silent(&w.kk, &w.ol->iknp_send, &w.ol->iknp_recv, 4, 1);
    const int yholder = p->ym == Y_P1 ? SIRNN_CLIENT : SIRNN_SERVER;
    w.xoff = p->sgn && me == SIRNN_SERVER ? (uint64_t)1 << (p->m - 1) : 0;
    w.yoff = p->sgn && (me == yholder || p->ym == Y_PUBLIC) ? (uint64_t)1 << (p->k - 1) : 0;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += gw * C)
        st = mult_group(&w, off, min_size(gw * C, end - off));
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    ws_free(&w);
    return st;
}

/* ---------------- public calls ---------------- */

static sirnn_status mult_run(sirnn_party *party, size_t n, mult_ctx *c)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    /* The comparison's flight count (public; from its plan). */
    if (c->p.ncmp > 0) {
        size_t ch;
        unsigned fl;
        void *lt = sirnn_lt_ws_new(party->role == SIRNN_SERVER, c->p.K, 1, &ch, &fl);
        if (lt == NULL)
            return SIRNN_ERR_NOMEM;
        sirnn_lt_ws_delete(lt);
        plan_flights(&c->p, fl);
    } else {
        plan_flights(&c->p, 0);
    }
    if (c->p.fmax > 0 && (st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    return sirnn_batch_run(party, n, mult_lane, c);
}

static int bad_mult_widths(unsigned m, unsigned k, unsigned l, int is_signed)
{
    return BAD_WIDTH(m) || BAD_WIDTH(k) || BAD_WIDTH(l) || l > m + k ||
           (is_signed != 0 && is_signed != 1);
}

sirnn_status sirnn_mult_msb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                            const uint64_t *y, const uint8_t *msb_x, const uint8_t *msb_y,
                            unsigned m, unsigned k, unsigned l, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (bad_mult_widths(m, k, l, is_signed) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x) ||
        NULL_WITH_N(n, y) || (msb_x != NULL && !sirnn_arith_bits_ok(msb_x, n)) ||
        (msb_y != NULL && !sirnn_arith_bits_ok(msb_y, n)))
        return sirnn_arith_arg(party, "sirnn_mult",
                               "m, k or l outside 1..64, l > m + k, bad signedness, NULL array "
                               "or MSB bit not 0/1");
    mult_ctx c = {.out = out, .x = x, .y = y, .msb_x = msb_x, .msb_y = msb_y};
    plan_init(&c.p, m, k, l, is_signed, Y_SHARED, 0, msb_x != NULL, msb_y != NULL, 0);
    return mult_run(party, n, &c);
}

sirnn_status sirnn_mult_wrap(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                             const uint64_t *y, const uint64_t *wx, const uint8_t *msb_y,
                             unsigned m, unsigned k, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(m) || BAD_WIDTH(k) || BAD_WIDTH(l) || NULL_WITH_N(n, out) ||
        NULL_WITH_N(n, x) || NULL_WITH_N(n, y) || NULL_WITH_N(n, wx) ||
        (msb_y != NULL && !sirnn_arith_bits_ok(msb_y, n)))
        return sirnn_arith_arg(party, "sirnn_mult_wrap",
                               "m, k or l outside 1..64, NULL array or MSB bit not 0/1");
    mult_ctx c = {.out = out, .x = x, .y = y, .msb_y = msb_y, .wx = wx};
    plan_init(&c.p, m, k, l, 0, Y_SHARED, 0, 0, msb_y != NULL, 1);
    return mult_run(party, n, &c);
}

sirnn_status sirnn_mult_wraps(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                              const uint64_t *y, const uint64_t *wx, const uint8_t *wy,
                              unsigned m, unsigned k, unsigned l, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    /* unsigned products may take l > m + k, as sirnn_mult_wrap */
    if (BAD_WIDTH(m) || BAD_WIDTH(k) || BAD_WIDTH(l) ||
        (is_signed && bad_mult_widths(m, k, l, is_signed)) || NULL_WITH_N(n, out) ||
        NULL_WITH_N(n, x) || NULL_WITH_N(n, y) || NULL_WITH_N(n, wx) || NULL_WITH_N(n, wy) ||
        !sirnn_arith_bits_ok(wy, n))
        return sirnn_arith_arg(party, "sirnn_mult_wraps",
                               "m, k or l outside 1..64, signed with l > m + k, NULL array or "
                               "wrap bit not 0/1");
    mult_ctx c = {.out = out, .x = x, .y = y, .wx = wx, .wy = wy};
    plan_init(&c.p, m, k, l, is_signed, Y_SHARED, 0, 0, 0, 1);
    /* y's wrap given too: no comparison at all */
    c.p.given_y = c.p.need_wy;
    c.p.cmp_y = 0;
    c.p.ncmp = (unsigned)c.p.cmp_x;
    return mult_run(party, n, &c);
}

sirnn_status sirnn_mult(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                        const uint64_t *y, unsigned m, unsigned k, unsigned l, int is_signed)
{
    return sirnn_mult_msb(party, n, out, x, y, NULL, NULL, m, k, l, is_signed);
}

sirnn_status sirnn_mult_const(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                              const uint8_t *msb_x, uint64_t c, unsigned m, unsigned k,
                              unsigned l, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (bad_mult_widths(m, k, l, is_signed) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x) ||
        (msb_x != NULL && !sirnn_arith_bits_ok(msb_x, n)))
        return sirnn_arith_arg(party, "sirnn_mult_const",
                               "m, k or l outside 1..64, l > m + k, bad signedness, NULL array "
                               "or MSB bit not 0/1");
    mult_ctx ctx = {.out = out, .x = x, .msb_x = msb_x};
    plan_init(&ctx.p, m, k, l, is_signed, Y_PUBLIC, c & sirnn_mask(k), msb_x != NULL, 0, 0);
    return mult_run(party, n, &ctx);
}

sirnn_status sirnn_mult_clear(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                              const uint8_t *msb_x, const uint64_t *y, int owner, unsigned m,
                              unsigned k, unsigned l, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int own = (int)party->role == owner;
    if (bad_mult_widths(m, k, l, is_signed) || (owner != SIRNN_SERVER && owner != SIRNN_CLIENT) ||
        NULL_WITH_N(n, out) || NULL_WITH_N(n, x) || (own && NULL_WITH_N(n, y)) ||
        (msb_x != NULL && !sirnn_arith_bits_ok(msb_x, n)))
        return sirnn_arith_arg(party, "sirnn_mult_clear",
                               "m, k or l outside 1..64, l > m + k, bad signedness or owner, "
                               "NULL array or MSB bit not 0/1");
    mult_ctx ctx = {.out = out, .x = x, .y = own ? y : NULL, .msb_x = msb_x};
    plan_init(&ctx.p, m, k, l, is_signed, owner == SIRNN_SERVER ? Y_P0 : Y_P1, 0, msb_x != NULL,
              0, 0);
    return mult_run(party, n, &ctx);
}
