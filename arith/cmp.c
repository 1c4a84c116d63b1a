/*
 * The comparison family of CrypTFlow2: millionaires' protocol with a
 * log-depth AND tree on Beaver bit triples, equality, wrap, MSB,
 * MSB-to-wrap and ReLU (see include/sirnn/arith.h for the protocols and
 * their costs).
 *
 * One chunk of a comparison runs as follows (party 1 is the OT receiver of
 * every OT, party 0 the sender):
 *   flight 1 (party 1): the extension columns of all leaf OTs and all
 *     triple OTs of the chunk;
 *   flight 2 (party 0): all leaf and triple messages, and party 0's Beaver
 *     openings of the first tree level (party 0 knows its leaf and triple
 *     shares before any message: they are its own random masks);
 *   then one flight per level: each party sends its openings of a level
 *     as soon as it can, so the two parties alternate.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "arith/otphase.h"
#include "arith/triples.h"
#include "ot/lane.h"

#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)
#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

enum { MAX_Q = 64, MAX_GATES = 64, OT_BUDGET = 16384 };

/* lt is the g bit of arith/triples.h, eq the p bit. */
typedef enum gate_kind {
    G_SINGLE_LT = SIRNN_TRIPLE_G, /* lt = lt_hi ^ eq_hi & lt_lo (the lowest node, no eq wanted) */
    G_SINGLE_EQ = SIRNN_TRIPLE_P, /* eq = eq_hi & eq_lo (equality only) */
    G_PAIR = SIRNN_TRIPLE_GP      /* both, sharing eq_hi: one correlated triple pair */
} gate_kind;

typedef struct gate {
    gate_kind kind;
    unsigned lo, hi; /* vector slots */
    unsigned triple; /* index among singles or pairs */
} gate;

/* The public shape of one comparison: blocks, leaves and tree. */
typedef struct cmp_plan {
    unsigned l, m, q;
    int eq_only, want_eq, op;
    unsigned w[MAX_Q];    /* block widths */
    unsigned b[MAX_Q];    /* leaf message bits */
    unsigned ngates, nlevels;
    gate gates[MAX_GATES];
    unsigned level_end[8]; /* gates of level t: [level_end[t-1], level_end[t]) */
    unsigned nsingle, npair;
    unsigned kk_leaves, ik_leaves;
    size_t chunk;          /* elements per chunk, a multiple of 256 */
} cmp_plan;

static void plan_init(cmp_plan *p, unsigned l, unsigned m, int op, int want_eq, int eq_only)
{
    memset(p, 0, sizeof(*p));
    p->l = l;
    p->m = m;
    p->op = op;
    p->want_eq = want_eq || eq_only;
    p->eq_only = eq_only;
    p->q = (l + m - 1) / m;
    for (unsigned j = 0; j < p->q; j++) {
        p->w[j] = j + 1 < p->q ? m : l - (p->q - 1) * m;
        p->b[j] = eq_only ? 1 : (j == 0 && !want_eq) ? 1 : 2;
        if (p->w[j] == 1)
            p->ik_leaves++;
        else
            p->kk_leaves++;
    }
    /* The tree: adjacent nodes pair up, slot of the lower one keeps the result. */
    unsigned cur[MAX_Q], c = p->q;
    for (unsigned j = 0; j < c; j++)
        cur[j] = j;
    while (c > 1) {
        for (unsigned k = 0; k < c / 2; k++) {
            gate *g = &p->gates[p->ngates++];
            g->lo = cur[2 * k];
            g->hi = cur[2 * k + 1];
            if (eq_only) {
                g->kind = G_SINGLE_EQ;
                g->triple = p->nsingle++;
            } else if (k == 0 && !want_eq) {
                g->kind = G_SINGLE_LT;
                g->triple = p->nsingle++;
            } else {
                g->kind = G_PAIR;
                g->triple = p->npair++;
            }
            cur[k] = cur[2 * k];
        }
        if (c % 2)
            cur[c / 2] = cur[c - 1];
        c = (c + 1) / 2;
        p->level_end[p->nlevels++] = p->ngates;
    }
    /* KK13 OTs per element: leaves, pairs, half a single. */
    size_t per = p->kk_leaves + p->npair + (p->nsingle + 1) / 2 + p->ik_leaves;
    /* A multiple of 256, so that every chunk but a lane's last one has a
     * multiple of 128 OTs of each kind (no rounding of the columns). */
    size_t ch = OT_BUDGET / (per > 0 ? per : 1) / 256 * 256;
    p->chunk = ch < 256 ? 256 : ch > 4096 ? 4096 : ch;
}

/* Bytes of one packed segment. */
static size_t seg_bytes(size_t count, unsigned N, unsigned bits)
{
    return sirnn_pack_size(count * N, bits);
}

/* Per-lane state of a comparison: plan and chunk buffers. */
typedef struct cmp_ws {
    cmp_plan p;
    size_t W;                 /* words per bit vector */
    uint64_t *lt, *eq;        /* q vectors each */
    sirnn_triples tr;         /* AND-tree triples */
    uint64_t *open_mine, *open_peer; /* openings of one level (3 per gate) */
    sirnn_akk_ws kk;
    sirnn_aiknp_ws ik;
    size_t kk_cap, ik_cap;
    uint8_t *choice;          /* receiver: KK13 choices, then IKNP choices */
    uint64_t *mc;             /* receiver: chosen messages */
    uint64_t *msgs;           /* sender: messages of a group (64 * 256) */
    uint64_t *ik_m0, *ik_m1, *ik_y; /* IKNP leaves */
    uint8_t *wire;
    size_t wire_cap;
    uint8_t *tmp_bits;        /* chunk bits */
    uint64_t *tmp_vals;       /* chunk values */
} cmp_ws;

static size_t kk_count(const cmp_plan *p, size_t k)
{
    const size_t singles = p->nsingle * k;
    return (p->kk_leaves + p->npair) * k + singles / 2 + singles % 2;
}

static size_t wire_need(const cmp_plan *p, size_t k)
{
    size_t bytes = 0;
    for (unsigned j = 0; j < p->q; j++)
        bytes += p->w[j] == 1 ? seg_bytes(k, 2, p->b[j]) : seg_bytes(k, 1u << p->w[j], p->b[j]);
    return bytes + sirnn_triples_msg_bytes(p->nsingle, p->npair, k);
}

static void cmp_ws_free(cmp_ws *w)
{
    const size_t vw = w->W * sizeof(uint64_t);
    const cmp_plan *p = &w->p;
    sirnn_arith_zfree(w->lt, p->q * vw);
    sirnn_arith_zfree(w->eq, p->q * vw);
    sirnn_triples_free(&w->tr);
    sirnn_arith_zfree(w->open_mine, 3 * MAX_GATES * vw);
    sirnn_arith_zfree(w->open_peer, 3 * MAX_GATES * vw);
    sirnn_akk_ws_free(&w->kk);
    sirnn_aiknp_ws_free(&w->ik);
    sirnn_arith_zfree(w->choice, w->kk_cap + w->ik_cap);
    sirnn_arith_zfree(w->mc, (w->kk_cap + w->ik_cap) * sizeof(uint64_t));
    sirnn_arith_zfree(w->msgs, (size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_m0, w->ik_cap * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_m1, w->ik_cap * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_y, 2 * w->ik_cap * sizeof(uint64_t));
    sirnn_arith_zfree(w->wire, w->wire_cap);
    sirnn_arith_zfree(w->tmp_bits, w->p.chunk);
    sirnn_arith_zfree(w->tmp_vals, w->p.chunk * sizeof(uint64_t));
    memset(w, 0, sizeof(*w));
}

static sirnn_status cmp_ws_init(cmp_ws *w, const cmp_plan *p)
{
    memset(w, 0, sizeof(*w));
    w->p = *p;
    w->W = sirnn_bv_words(p->chunk);
    const size_t vw = w->W * sizeof(uint64_t);
    w->kk_cap = kk_count(p, p->chunk);
    w->ik_cap = p->ik_leaves * p->chunk;
    w->wire_cap = wire_need(p, p->chunk) + 3 * MAX_GATES * vw;
    w->lt = sirnn_arith_zalloc(p->q * vw);
    w->eq = sirnn_arith_zalloc(p->q * vw);
    w->open_mine = sirnn_arith_zalloc(3 * MAX_GATES * vw);
    w->open_peer = sirnn_arith_zalloc(3 * MAX_GATES * vw);
    w->choice = sirnn_arith_zalloc(w->kk_cap + w->ik_cap);
    w->mc = sirnn_arith_zalloc((w->kk_cap + w->ik_cap) * sizeof(uint64_t));
    w->msgs = sirnn_arith_zalloc((size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    w->ik_m0 = sirnn_arith_zalloc(w->ik_cap * sizeof(uint64_t));
    w->ik_m1 = sirnn_arith_zalloc(w->ik_cap * sizeof(uint64_t));
    w->ik_y = sirnn_arith_zalloc(2 * w->ik_cap * sizeof(uint64_t));
    w->wire = sirnn_arith_zalloc(w->wire_cap);
    w->tmp_bits = sirnn_arith_zalloc(p->chunk);
    w->tmp_vals = sirnn_arith_zalloc(p->chunk * sizeof(uint64_t));
    sirnn_status st = sirnn_triples_init(&w->tr, p->nsingle, p->npair, w->W);
    if (st == SIRNN_OK)
        st = sirnn_akk_ws_init(&w->kk, w->kk_cap > 0 ? w->kk_cap : 1);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init(&w->ik, w->ik_cap > 0 ? w->ik_cap : 1);
    if (st == SIRNN_OK &&
        (w->lt == NULL || w->eq == NULL || w->open_mine == NULL || w->open_peer == NULL ||
         w->choice == NULL || w->mc == NULL || w->msgs == NULL || w->ik_m0 == NULL ||
         w->ik_m1 == NULL || w->ik_y == NULL || w->wire == NULL || w->tmp_bits == NULL ||
         w->tmp_vals == NULL))
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK)
        cmp_ws_free(w);
    return st;
}

/* Leaf message bits for P0's block value xj and the receiver's v. */
static inline uint64_t leaf_msg(const cmp_plan *p, unsigned j, uint64_t xj, uint64_t v,
                                uint64_t rlt, uint64_t req)
{
    /* Opaque to the optimizer: otherwise GCC turns the caller's loop over v
     * into a store at index xj (a secret digit), which make ctime reports. */
    __asm__("" : "+r"(xj));
    const uint64_t lt = p->op == SIRNN_CMP_LT ? (xj - v) >> 63 : (v - xj) >> 63;
    const uint64_t eq = ((xj ^ v) - 1) >> 63;
    if (p->eq_only)
        return eq ^ req;
    if (p->b[j] == 1)
        return lt ^ rlt;
    return (lt ^ rlt) | (eq ^ req) << 1;
}

/* Party 0, flight 2: all OT messages of the chunk into w->wire; returns the size. */
static size_t sender_messages(cmp_ws *w, sirnn_kkot_sender *kks, const uint64_t *x, size_t k)
{
    const cmp_plan *p = &w->p;
    const size_t W = w->W;
    uint8_t *out = w->wire;
    size_t ot = 0; /* KK13 OT index within the chunk */
    /* Leaves over KK13 (w >= 2) */
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] == 1)
            continue;
        const unsigned N = 1u << p->w[j];
        const uint64_t bm = sirnn_mask(p->w[j]);
        for (size_t g0 = 0; g0 < k; g0 += SIRNN_AKK_GROUP) {
            const size_t g = k - g0 < SIRNN_AKK_GROUP ? k - g0 : SIRNN_AKK_GROUP;
            for (size_t i = 0; i < g; i++) {
                const size_t e = g0 + i;
                const uint64_t xj = (x[e] >> (j * p->m)) & bm;
                const uint64_t rlt = sirnn_bv_get(w->lt + j * W, e),
                               req = sirnn_bv_get(w->eq + j * W, e);
                for (unsigned v = 0; v < N; v++)
                    w->msgs[i * N + v] = leaf_msg(p, j, xj, v, rlt, req);
            }
            sirnn_akk_send_group(&w->kk, kks, out + g0 * N * p->b[j] / 8, w->msgs, ot + g0, g, N,
                                 p->b[j]);
        }
        out += seg_bytes(k, N, p->b[j]);
        ot += k;
    }
    /* Triples, then leaves of one bit over IKNP chosen OT. */
    out = sirnn_triples_send(&w->tr, &w->kk, kks, w->msgs, out, ot, k);
    size_t io = 0;
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] != 1)
            continue;
        for (size_t e = 0; e < k; e++) {
            const uint64_t xj = (x[e] >> (j * p->m)) & 1;
            const uint64_t rlt = sirnn_bv_get(w->lt + j * W, e),
                           req = sirnn_bv_get(w->eq + j * W, e);
            w->ik_m0[e] = leaf_msg(p, j, xj, 0, rlt, req);
            w->ik_m1[e] = leaf_msg(p, j, xj, 1, rlt, req);
        }
        sirnn_aiknp_ws sub = w->ik;
        sub.h0 += io;
        sub.h1 += io;
        sirnn_aiknp_ot_msgs(&sub, w->ik_y, w->ik_m0, w->ik_m1, k, p->b[j]);
        sirnn_pack(out, w->ik_y, 2 * k, p->b[j]);
        out += seg_bytes(k, 2, p->b[j]);
        io += k;
    }
    return (size_t)(out - w->wire);
}

/* Party 1: choices of all OTs of the chunk (KK13 then IKNP) from its input y
 * and its random triple shares. */
static void receiver_choices(cmp_ws *w, const uint64_t *y, size_t k)
{
    const cmp_plan *p = &w->p;
    uint8_t *c = w->choice;
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] == 1)
            continue;
        const uint64_t bm = sirnn_mask(p->w[j]);
        for (size_t e = 0; e < k; e++)
            *c++ = (uint8_t)((y[e] >> (j * p->m)) & bm);
    }
    c = sirnn_triples_choices(&w->tr, c, k);
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] != 1)
            continue;
        for (size_t e = 0; e < k; e++)
            *c++ = (uint8_t)((y[e] >> (j * p->m)) & 1);
    }
}

/* Party 1: leaf and triple shares from the messages in w->wire. */
static void receiver_outputs(cmp_ws *w, size_t k)
{
    const cmp_plan *p = &w->p;
    const size_t W = w->W;
    const uint8_t *in = w->wire;
    size_t ot = 0;
    uint64_t *mc = w->mc;
    const size_t vw = W * sizeof(uint64_t);
    memset(w->lt, 0, p->q * vw);
    memset(w->eq, 0, p->q * vw);
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] == 1)
            continue;
        const unsigned N = 1u << p->w[j];
        sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, k, N, p->b[j]);
        in += seg_bytes(k, N, p->b[j]);
        ot += k;
    }
    in = sirnn_triples_recv(&w->tr, &w->kk, mc + ot, in, w->choice + ot, ot, k);
    const size_t kk_total = ot + sirnn_triples_ots(&w->tr, k);
    size_t io = 0;
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] != 1)
            continue;
        sirnn_unpack(w->ik_y, in, 2 * k, p->b[j]);
        sirnn_aiknp_ws sub = w->ik;
        sub.h0 += io;
        sirnn_aiknp_ot_out(&sub, mc + kk_total + io, w->ik_y, w->choice + kk_total + io, k,
                           p->b[j]);
        in += seg_bytes(k, 2, p->b[j]);
        io += k;
    }
    /* Scatter into vectors. */
    size_t kko = 0;
    io = 0;
    for (unsigned j = 0; j < p->q; j++) {
        const uint64_t *src;
        if (p->w[j] == 1) {
            src = mc + kk_total + io;
            io += k;
        } else {
            src = mc + kko;
            kko += k;
        }
        for (size_t e = 0; e < k; e++) {
            if (p->eq_only) {
                sirnn_bv_or_bit(w->eq + j * W, e, src[e]);
            } else {
                sirnn_bv_or_bit(w->lt + j * W, e, src[e]);
                sirnn_bv_or_bit(w->eq + j * W, e, src[e] >> 1);
            }
        }
    }
}

/* The openings of one level into w->open_mine; returns the vector count. */
static size_t level_openings(cmp_ws *w, unsigned g_begin, unsigned g_end)
{
    const size_t W = w->W;
    size_t nv = 0;
    for (unsigned gi = g_begin; gi < g_end; gi++) {
        const gate *g = &w->p.gates[gi];
        nv += sirnn_triples_open(&w->tr, w->open_mine + nv * W, g->kind, g->triple,
                                 w->eq + g->hi * W, w->lt + g->lo * W, w->eq + g->lo * W);
    }
    return nv;
}

/* Finish one level from both parties' openings: the result replaces the
 * lower node. */
static void level_finish(cmp_ws *w, unsigned g_begin, unsigned g_end, int server)
{
    const size_t W = w->W;
    const uint64_t p0 = server ? ~(uint64_t)0 : 0;
    size_t nv = 0;
    for (unsigned gi = g_begin; gi < g_end; gi++) {
        const gate *g = &w->p.gates[gi];
        nv += sirnn_triples_finish(&w->tr, w->open_mine + nv * W, w->open_peer + nv * W,
                                   g->kind, g->triple, p0, w->lt + g->hi * W,
                                   w->lt + g->lo * W, w->eq + g->lo * W);
    }
}

/*
 * One chunk of a comparison on k <= chunk elements: in[k] is x (party 0) or
 * y (party 1), already reduced to l bits. cmp (if not NULL) gets the
 * comparison shares, eq (if not NULL) the equality shares.
 */
static sirnn_status cmp_chunk(cmp_ws *w, sirnn_party *party, sirnn_lane *lane,
                              const uint64_t *in, size_t k, uint8_t *cmp, uint8_t *eq,
                              const sirnn_flight_hooks *hk)
{
    const cmp_plan *p = &w->p;
    const int server = party->role == SIRNN_SERVER;
    const size_t W = w->W;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const size_t nkk = kk_count(p, k), nik = p->ik_leaves * k;
    sirnn_status st;
    /* Random triple shares (both) and party 0's leaf masks. */
    sirnn_triples_draw(&w->tr, &lane->prg, server);
    if (server) {
        sirnn_bv_random(&lane->prg, w->lt, p->q, W);
        sirnn_bv_random(&lane->prg, w->eq, p->q, W);
        if ((st = sirnn_triples_ot_rows(&w->kk, &w->ik, ol, ch, nkk, nik)) != SIRNN_OK)
            return st;
        if (hk != NULL && (st = hk->received(hk->ctx, 1)) != SIRNN_OK)
            return st;
        const size_t bytes = sender_messages(w, &ol->kk_send, in, k);
        if ((st = sirnn_channel_send(ch, w->wire, bytes)) != SIRNN_OK)
            return st;
    } else {
        receiver_choices(w, in, k);
        if ((st = sirnn_triples_ot_columns(&w->kk, &w->ik, ol, ch, w->choice, nkk, nik)) !=
                SIRNN_OK ||
            (hk != NULL && (st = hk->sent(hk->ctx, 1)) != SIRNN_OK) ||
            (st = sirnn_channel_recv(ch, w->wire, wire_need(p, k))) != SIRNN_OK)
            return st;
        receiver_outputs(w, k);
    }
    /* The tree, one level per flight. */
    unsigned g0 = 0;
    for (unsigned t = 0; t < p->nlevels; t++) {
        const unsigned g1 = p->level_end[t];
        const size_t nv = level_openings(w, g0, g1);
        /* Party 0 opens the odd levels first (level 1 rides with its OT
         * messages), party 1 the even ones; the other party takes the
         * peer's openings before sending its own, so that its openings of
         * this level and the next leave in one flight. */
        const int first = (t % 2 == 0) == server;
        /* Flights: the first party of level t sends flight t + 2 and
         * receives flight t + 3; the other receives t + 2, sends t + 3. */
        if ((st = sirnn_triples_exchange(ch, w->open_peer, w->open_mine, nv, W, k, first, hk,
                                         t + 2)) != SIRNN_OK)
            return st;
        level_finish(w, g0, g1, server);
        g0 = g1;
    }
    if (cmp != NULL)
        sirnn_bv_unpack(cmp, w->lt, k);
    if (eq != NULL)
        sirnn_bv_unpack(eq, w->eq, k);
    if (hk != NULL) {
        /* The last flight, L + 2: party 0 sends it when L is even. */
        const unsigned last = p->nlevels + 2;
        if (((last % 2) == 0) == server)
            return hk->sent(hk->ctx, last);
        return hk->received(hk->ctx, last);
    }
    return SIRNN_OK;
}

/* ---------------- chunk-level comparison for other protocols ---------------- */

void *sirnn_lt_ws_new(unsigned l, size_t *chunk, unsigned *flights)
{
    cmp_plan p;
    plan_init(&p, l, SIRNN_CMP_M_DEFAULT, SIRNN_CMP_LT, 0, 0);
    cmp_ws *w = malloc(sizeof(*w));
    if (w == NULL)
        return NULL;
    if (cmp_ws_init(w, &p) != SIRNN_OK) {
        free(w);
        return NULL;
    }
    *chunk = p.chunk;
    *flights = p.nlevels + 2;
    return w;
}

void sirnn_lt_ws_delete(void *ws)
{
    if (ws != NULL) {
        cmp_ws_free(ws);
        free(ws);
    }
}

sirnn_status sirnn_lt_chunk(sirnn_party *party, sirnn_lane *lane, void *ws, uint8_t *out,
                            const uint64_t *in, size_t k, const sirnn_flight_hooks *hooks)
{
    return cmp_chunk(ws, party, lane, in, k, out, NULL, hooks);
}

/* ---------------- the comparison calls ---------------- */

typedef enum cmp_kind { K_MILL, K_EQ, K_WRAP, K_MSB, K_RELU } cmp_kind;

typedef struct cmp_ctx {
    cmp_kind kind;
    cmp_plan plan;
    unsigned l;        /* the caller's width */
    uint8_t *cmp, *eq; /* bit outputs */
    uint64_t *out;     /* relu */
    const uint64_t *in;
} cmp_ctx;

static sirnn_status cmp_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const cmp_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    const unsigned lc = c->plan.l; /* width compared */
    const uint64_t cmask = sirnn_mask(lc);
    cmp_ws w;
    sirnn_status st = cmp_ws_init(&w, &c->plan);
    if (st != SIRNN_OK)
        return st;
    void *mux = NULL;
    uint64_t *rx = NULL;
    uint8_t *sel = NULL;
    if (c->kind == K_RELU) {
        mux = sirnn_mux_ws_new();
        rx = malloc(w.p.chunk * sizeof(uint64_t));
        sel = malloc(w.p.chunk);
        if (mux == NULL || rx == NULL || sel == NULL)
            st = SIRNN_ERR_NOMEM;
    }
    const size_t C = w.p.chunk;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += C) {
        const size_t k = end - off < C ? end - off : C;
        const uint64_t *x = c->in + off;
        uint64_t *v = w.tmp_vals;
        uint8_t *bits = w.tmp_bits;
        for (size_t i = 0; i < k; i++) {
            /* wrap(x0, x1) = 1{2^l - 1 - x0 < x1}: party 0 compares the complement. */
            const int complement = server && c->kind != K_MILL && c->kind != K_EQ;
            v[i] = (complement ? ~x[i] : x[i]) & cmask;
        }
        switch (c->kind) {
        case K_MILL:
            st = cmp_chunk(&w, party, lane, v, k, c->cmp + off,
                           c->eq != NULL ? c->eq + off : NULL, NULL);
            break;
        case K_EQ:
            st = cmp_chunk(&w, party, lane, v, k, NULL, c->eq + off, NULL);
            break;
        case K_WRAP:
            st = cmp_chunk(&w, party, lane, v, k, c->cmp + off, NULL, NULL);
            break;
        case K_MSB:
        case K_RELU:
            st = cmp_chunk(&w, party, lane, v, k, bits, NULL, NULL);
            if (st != SIRNN_OK)
                break;
            for (size_t i = 0; i < k; i++)
                bits[i] = (uint8_t)(bits[i] ^ ((x[i] >> (c->l - 1)) & 1));
            if (c->kind == K_MSB) {
                memcpy(c->cmp + off, bits, k);
                break;
            }
            /* ReLU: MUX(NOT msb, x). */
            for (size_t i = 0; i < k; i++) {
                sel[i] = (uint8_t)(bits[i] ^ (server ? 1 : 0));
                rx[i] = x[i] & sirnn_mask(c->l);
            }
            if (c->cmp != NULL)
                memcpy(c->cmp + off, bits, k);
            st = sirnn_mux_chunk(lane, mux, c->out + off, sel, rx, k, c->l);
            break;
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    sirnn_mux_ws_delete(mux);
    if (rx != NULL)
        sirnn_memzero(rx, w.p.chunk * sizeof(uint64_t));
    if (sel != NULL)
        sirnn_memzero(sel, w.p.chunk);
    free(rx);
    free(sel);
    cmp_ws_free(&w);
    return st;
}

/* Runs a comparison-family call; l == 1 MSB / ReLU are handled locally. */
static sirnn_status cmp_run(sirnn_party *party, size_t n, cmp_ctx *c)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    return sirnn_batch_run(party, n, cmp_lane, c);
}

static unsigned leaf_m(unsigned m)
{
    return m == 0 ? SIRNN_CMP_M_DEFAULT : m;
}

sirnn_status sirnn_millionaire(sirnn_party *party, size_t n, uint8_t *cmp, uint8_t *eq,
                               const uint64_t *in, unsigned l, unsigned m, sirnn_cmp_op op)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || m > 8 || (op != SIRNN_CMP_LT && op != SIRNN_CMP_GT) ||
        NULL_WITH_N(n, cmp) || NULL_WITH_N(n, in) || (eq != NULL && eq == cmp))
        return sirnn_arith_arg(party, "sirnn_millionaire",
                               "l outside 1..64, m outside 0..8, bad op or NULL array");
    cmp_ctx c = {.kind = K_MILL, .l = l, .cmp = cmp, .eq = eq, .in = in};
    plan_init(&c.plan, l, leaf_m(m), (int)op, eq != NULL, 0);
    return cmp_run(party, n, &c);
}

sirnn_status sirnn_eq(sirnn_party *party, size_t n, uint8_t *eq, const uint64_t *in, unsigned l,
                      unsigned m)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || m > 8 || NULL_WITH_N(n, eq) || NULL_WITH_N(n, in))
        return sirnn_arith_arg(party, "sirnn_eq", "l outside 1..64, m outside 0..8 or NULL array");
    cmp_ctx c = {.kind = K_EQ, .l = l, .eq = eq, .in = in};
    plan_init(&c.plan, l, leaf_m(m), SIRNN_CMP_LT, 1, 1);
    return cmp_run(party, n, &c);
}

sirnn_status sirnn_wrap(sirnn_party *party, size_t n, uint8_t *out, const uint64_t *x,
                        unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x))
        return sirnn_arith_arg(party, "sirnn_wrap", "l outside 1..64 or NULL array");
    cmp_ctx c = {.kind = K_WRAP, .l = l, .cmp = out, .in = x};
    plan_init(&c.plan, l, SIRNN_CMP_M_DEFAULT, SIRNN_CMP_LT, 0, 0);
    return cmp_run(party, n, &c);
}

sirnn_status sirnn_msb(sirnn_party *party, size_t n, uint8_t *out, const uint64_t *x, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x))
        return sirnn_arith_arg(party, "sirnn_msb", "l outside 1..64 or NULL array");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (l == 1) {
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(x[i] & 1);
        return SIRNN_OK;
    }
    cmp_ctx c = {.kind = K_MSB, .l = l, .cmp = out, .in = x};
    plan_init(&c.plan, l - 1, SIRNN_CMP_M_DEFAULT, SIRNN_CMP_LT, 0, 0);
    return cmp_run(party, n, &c);
}

sirnn_status sirnn_relu(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                        const uint64_t *x, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x))
        return sirnn_arith_arg(party, "sirnn_relu", "l outside 1..64 or NULL array");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (l == 1) {
        /* A 1-bit value is 0 or -1: ReLU is always 0 and the sign is x. */
        for (size_t i = 0; i < n; i++) {
            if (sign != NULL)
                sign[i] = (uint8_t)(x[i] & 1);
            out[i] = 0;
        }
        return SIRNN_OK;
    }
    cmp_ctx c = {.kind = K_RELU, .l = l, .cmp = sign, .out = out, .in = x};
    plan_init(&c.plan, l - 1, SIRNN_CMP_M_DEFAULT, SIRNN_CMP_LT, 0, 0);
    return cmp_run(party, n, &c);
}

/* ---------------- MSB-to-wrap ---------------- */

typedef struct m2w_ctx {
    uint8_t *out;
    const uint64_t *x;
    const uint8_t *msb;
    unsigned l;
} m2w_ctx;

static sirnn_status m2w_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const m2w_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    enum { CH = SIRNN_ARITH_CHUNK };
    sirnn_akk_ws kw;
    sirnn_status st = sirnn_akk_ws_init(&kw, CH);
    if (st != SIRNN_OK)
        return st;
    uint8_t *choice = malloc(CH), *wire = malloc(CH / 2), *r = malloc(CH);
    uint64_t *mc = malloc(CH * sizeof(uint64_t)), *msgs = malloc(SIRNN_AKK_GROUP * 4 * sizeof(uint64_t));
    if (choice == NULL || wire == NULL || r == NULL || mc == NULL || msgs == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += CH) {
        const size_t k = end - off < CH ? end - off : CH;
        const size_t bytes = seg_bytes(k, 4, 1);
        if (!server) {
            for (size_t i = 0; i < k; i++)
                choice[i] = (uint8_t)(((c->x[off + i] >> (c->l - 1)) & 1) | (c->msb[off + i] & 1) << 1);
            if ((st = sirnn_akk_recv_u(&kw, &ol->kk_recv, ch, choice, k)) != SIRNN_OK ||
                (st = sirnn_channel_recv(ch, wire, bytes)) != SIRNN_OK)
                break;
            sirnn_akk_recv_out(&kw, mc, wire, choice, 0, k, 4, 1);
            for (size_t i = 0; i < k; i++)
                c->out[off + i] = (uint8_t)(mc[i] & 1);
        } else {
            sirnn_prg_bytes(&lane->prg, r, k);
            if ((st = sirnn_akk_send_rows(&kw, &ol->kk_send, ch, k)) != SIRNN_OK)
                break;
            for (size_t g0 = 0; g0 < k; g0 += SIRNN_AKK_GROUP) {
                const size_t g = k - g0 < SIRNN_AKK_GROUP ? k - g0 : SIRNN_AKK_GROUP;
                for (size_t i = 0; i < g; i++) {
                    const size_t e = off + g0 + i;
                    const uint64_t m0 = (c->x[e] >> (c->l - 1)) & 1, b0 = c->msb[e] & 1;
                    for (uint64_t v = 0; v < 4; v++) {
                        const uint64_t m1 = v & 1, msb = b0 ^ (v >> 1);
                        const uint64_t wrap = (m0 & m1) ^ ((m0 ^ m1) & (msb ^ 1));
                        msgs[i * 4 + v] = (r[g0 + i] & 1) ^ wrap;
                    }
                }
                sirnn_akk_send_group(&kw, &ol->kk_send, wire + g0 / 2, msgs, g0, g, 4, 1);
            }
            if ((st = sirnn_channel_send(ch, wire, bytes)) != SIRNN_OK)
                break;
            for (size_t i = 0; i < k; i++)
                c->out[off + i] = (uint8_t)(r[i] & 1);
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (r != NULL)
        sirnn_memzero(r, CH);
    if (msgs != NULL)
        sirnn_memzero(msgs, SIRNN_AKK_GROUP * 4 * sizeof(uint64_t));
    if (choice != NULL)
        sirnn_memzero(choice, CH);
    free(choice);
    free(wire);
    free(r);
    free(mc);
    free(msgs);
    sirnn_akk_ws_free(&kw);
    return st;
}

sirnn_status sirnn_msb_to_wrap(sirnn_party *party, size_t n, uint8_t *out, const uint64_t *x,
                               const uint8_t *msb, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x) || NULL_WITH_N(n, msb) ||
        !sirnn_arith_bits_ok(msb, n))
        return sirnn_arith_arg(party, "sirnn_msb_to_wrap",
                               "l outside 1..64, NULL array or bit not 0/1");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    m2w_ctx c = {.out = out, .x = x, .msb = msb, .l = l};
    return sirnn_batch_run(party, n, m2w_lane, &c);
}
