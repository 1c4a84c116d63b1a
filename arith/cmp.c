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
#include "ot/lane.h"

#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)
#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

enum { MAX_Q = 64, MAX_GATES = 64, OT_BUDGET = 16384 };

typedef enum gate_kind {
    G_SINGLE_LT, /* lt = lt_hi ^ eq_hi & lt_lo (the lowest node, no eq wanted) */
    G_SINGLE_EQ, /* eq = eq_hi & eq_lo (equality only) */
    G_PAIR       /* both, sharing eq_hi: one correlated triple pair */
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
    uint64_t *ta, *tb, *tc;   /* single triples: nsingle vectors each */
    uint64_t *pa, *pb1, *pc1, *pb2, *pc2; /* pair triples */
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

static void *zalloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

static void zfree(void *p, size_t bytes)
{
    if (p != NULL) {
        sirnn_memzero(p, bytes);
        free(p);
    }
}

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
    const size_t singles = p->nsingle * k;
    bytes += seg_bytes(p->npair * k, 8, 2) + seg_bytes(singles / 2, 16, 2) +
             seg_bytes(singles % 2, 4, 1);
    return bytes;
}

static void cmp_ws_free(cmp_ws *w)
{
    const size_t vw = w->W * sizeof(uint64_t);
    const cmp_plan *p = &w->p;
    zfree(w->lt, p->q * vw);
    zfree(w->eq, p->q * vw);
    zfree(w->ta, p->nsingle * vw);
    zfree(w->tb, p->nsingle * vw);
    zfree(w->tc, p->nsingle * vw);
    zfree(w->pa, p->npair * vw);
    zfree(w->pb1, p->npair * vw);
    zfree(w->pc1, p->npair * vw);
    zfree(w->pb2, p->npair * vw);
    zfree(w->pc2, p->npair * vw);
    zfree(w->open_mine, 3 * MAX_GATES * vw);
    zfree(w->open_peer, 3 * MAX_GATES * vw);
    sirnn_akk_ws_free(&w->kk);
    sirnn_aiknp_ws_free(&w->ik);
    zfree(w->choice, w->kk_cap + w->ik_cap);
    zfree(w->mc, (w->kk_cap + w->ik_cap) * sizeof(uint64_t));
    zfree(w->msgs, (size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    zfree(w->ik_m0, w->ik_cap * sizeof(uint64_t));
    zfree(w->ik_m1, w->ik_cap * sizeof(uint64_t));
    zfree(w->ik_y, 2 * w->ik_cap * sizeof(uint64_t));
    zfree(w->wire, w->wire_cap);
    zfree(w->tmp_bits, w->p.chunk);
    zfree(w->tmp_vals, w->p.chunk * sizeof(uint64_t));
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
    w->lt = zalloc(p->q * vw);
    w->eq = zalloc(p->q * vw);
    w->ta = zalloc(p->nsingle * vw);
    w->tb = zalloc(p->nsingle * vw);
    w->tc = zalloc(p->nsingle * vw);
    w->pa = zalloc(p->npair * vw);
    w->pb1 = zalloc(p->npair * vw);
    w->pc1 = zalloc(p->npair * vw);
    w->pb2 = zalloc(p->npair * vw);
    w->pc2 = zalloc(p->npair * vw);
    w->open_mine = zalloc(3 * MAX_GATES * vw);
    w->open_peer = zalloc(3 * MAX_GATES * vw);
    w->choice = zalloc(w->kk_cap + w->ik_cap);
    w->mc = zalloc((w->kk_cap + w->ik_cap) * sizeof(uint64_t));
    w->msgs = zalloc((size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    w->ik_m0 = zalloc(w->ik_cap * sizeof(uint64_t));
    w->ik_m1 = zalloc(w->ik_cap * sizeof(uint64_t));
    w->ik_y = zalloc(2 * w->ik_cap * sizeof(uint64_t));
    w->wire = zalloc(w->wire_cap);
    w->tmp_bits = zalloc(p->chunk);
    w->tmp_vals = zalloc(p->chunk * sizeof(uint64_t));
    sirnn_status st = sirnn_akk_ws_init(&w->kk, w->kk_cap > 0 ? w->kk_cap : 1);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init(&w->ik, w->ik_cap > 0 ? w->ik_cap : 1);
    if (st == SIRNN_OK &&
        (w->lt == NULL || w->eq == NULL || w->ta == NULL || w->tb == NULL || w->tc == NULL ||
         w->pa == NULL || w->pb1 == NULL || w->pc1 == NULL || w->pb2 == NULL ||
         w->pc2 == NULL || w->open_mine == NULL || w->open_peer == NULL ||
         w->choice == NULL || w->mc == NULL || w->msgs == NULL || w->ik_m0 == NULL ||
         w->ik_m1 == NULL || w->ik_y == NULL || w->wire == NULL || w->tmp_bits == NULL ||
         w->tmp_vals == NULL))
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK)
        cmp_ws_free(w);
    return st;
}

static inline uint64_t bit_at(const uint64_t *v, size_t i)
{
    return (v[i / 64] >> (i % 64)) & 1;
}

static inline void set_bit(uint64_t *v, size_t i, uint64_t bit)
{
    v[i / 64] |= (bit & 1) << (i % 64);
}

static void random_vectors(sirnn_prg *prg, uint64_t *v, size_t count, size_t W)
{
    if (count > 0)
        sirnn_prg_bytes(prg, v, count * W * sizeof(uint64_t));
}

/* Leaf message bits for P0's block value xj and the receiver's v. */
static inline uint64_t leaf_msg(const cmp_plan *p, unsigned j, uint64_t xj, uint64_t v,
                                uint64_t rlt, uint64_t req)
{
    const uint64_t lt = p->op == SIRNN_CMP_LT ? (xj - v) >> 63 : (v - xj) >> 63;
    const uint64_t eq = ((xj ^ v) - 1) >> 63;
    if (p->eq_only)
        return eq ^ req;
    if (p->b[j] == 1)
        return lt ^ rlt;
    return (lt ^ rlt) | (eq ^ req) << 1;
}

/* The single triple of index tau (vector tau / k, bit tau % k). */
static inline uint64_t tbit(const uint64_t *v, size_t W, size_t k, size_t tau)
{
    return bit_at(v + (tau / k) * W, tau % k);
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
                const uint64_t rlt = bit_at(w->lt + j * W, e), req = bit_at(w->eq + j * W, e);
                for (unsigned v = 0; v < N; v++)
                    w->msgs[i * N + v] = leaf_msg(p, j, xj, v, rlt, req);
            }
            sirnn_akk_send_group(&w->kk, kks, out + g0 * N * p->b[j] / 8, w->msgs, ot + g0, g, N,
                                 p->b[j]);
        }
        out += seg_bytes(k, N, p->b[j]);
        ot += k;
    }
    /* Correlated pairs: 1-of-8, choice (a1, b1_1, b2_1). */
    const size_t npairs = p->npair * k;
    for (size_t g0 = 0; g0 < npairs; g0 += SIRNN_AKK_GROUP) {
        const size_t g = npairs - g0 < SIRNN_AKK_GROUP ? npairs - g0 : SIRNN_AKK_GROUP;
        for (size_t i = 0; i < g; i++) {
            const size_t tau = g0 + i;
            const uint64_t a = tbit(w->pa, W, k, tau), b1 = tbit(w->pb1, W, k, tau),
                           b2 = tbit(w->pb2, W, k, tau), r1 = tbit(w->pc1, W, k, tau),
                           r2 = tbit(w->pc2, W, k, tau);
            for (uint64_t v = 0; v < 8; v++) {
                const uint64_t av = a ^ (v & 1);
                w->msgs[i * 8 + v] = (r1 ^ (av & (b1 ^ ((v >> 1) & 1)))) |
                                     (r2 ^ (av & (b2 ^ ((v >> 2) & 1)))) << 1;
            }
        }
        sirnn_akk_send_group(&w->kk, kks, out + g0 * 8 * 2 / 8, w->msgs, ot + g0, g, 8, 2);
    }
    out += seg_bytes(npairs, 8, 2);
    ot += npairs;
    /* Single triples, two per 1-of-16. */
    const size_t singles = p->nsingle * k, n16 = singles / 2;
    for (size_t g0 = 0; g0 < n16; g0 += SIRNN_AKK_GROUP) {
        const size_t g = n16 - g0 < SIRNN_AKK_GROUP ? n16 - g0 : SIRNN_AKK_GROUP;
        for (size_t i = 0; i < g; i++) {
            const size_t t0 = 2 * (g0 + i), t1 = t0 + 1;
            const uint64_t a0 = tbit(w->ta, W, k, t0), b0 = tbit(w->tb, W, k, t0),
                           r0 = tbit(w->tc, W, k, t0), a1 = tbit(w->ta, W, k, t1),
                           b1 = tbit(w->tb, W, k, t1), r1 = tbit(w->tc, W, k, t1);
            for (uint64_t v = 0; v < 16; v++)
                w->msgs[i * 16 + v] =
                    (r0 ^ ((a0 ^ (v & 1)) & (b0 ^ ((v >> 1) & 1)))) |
                    (r1 ^ ((a1 ^ ((v >> 2) & 1)) & (b1 ^ ((v >> 3) & 1)))) << 1;
        }
        sirnn_akk_send_group(&w->kk, kks, out + g0 * 16 * 2 / 8, w->msgs, ot + g0, g, 16, 2);
    }
    out += seg_bytes(n16, 16, 2);
    ot += n16;
    if (singles % 2) {
        const size_t t0 = singles - 1;
        const uint64_t a0 = tbit(w->ta, W, k, t0), b0 = tbit(w->tb, W, k, t0),
                       r0 = tbit(w->tc, W, k, t0);
        for (uint64_t v = 0; v < 4; v++)
            w->msgs[v] = r0 ^ ((a0 ^ (v & 1)) & (b0 ^ ((v >> 1) & 1)));
        sirnn_akk_send_group(&w->kk, kks, out, w->msgs, ot, 1, 4, 1);
        out += seg_bytes(1, 4, 1);
    }
    /* Leaves of one bit over IKNP chosen OT. */
    size_t io = 0;
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] != 1)
            continue;
        for (size_t e = 0; e < k; e++) {
            const uint64_t xj = (x[e] >> (j * p->m)) & 1;
            const uint64_t rlt = bit_at(w->lt + j * W, e), req = bit_at(w->eq + j * W, e);
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
    const size_t W = w->W;
    uint8_t *c = w->choice;
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] == 1)
            continue;
        const uint64_t bm = sirnn_mask(p->w[j]);
        for (size_t e = 0; e < k; e++)
            *c++ = (uint8_t)((y[e] >> (j * p->m)) & bm);
    }
    const size_t npairs = p->npair * k;
    for (size_t tau = 0; tau < npairs; tau++)
        *c++ = (uint8_t)(tbit(w->pa, W, k, tau) | tbit(w->pb1, W, k, tau) << 1 |
                         tbit(w->pb2, W, k, tau) << 2);
    const size_t singles = p->nsingle * k;
    for (size_t t0 = 0; t0 + 1 < singles; t0 += 2)
        *c++ = (uint8_t)(tbit(w->ta, W, k, t0) | tbit(w->tb, W, k, t0) << 1 |
                         tbit(w->ta, W, k, t0 + 1) << 2 | tbit(w->tb, W, k, t0 + 1) << 3);
    if (singles % 2)
        *c++ = (uint8_t)(tbit(w->ta, W, k, singles - 1) | tbit(w->tb, W, k, singles - 1) << 1);
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
    memset(w->tc, 0, p->nsingle * vw);
    memset(w->pc1, 0, p->npair * vw);
    memset(w->pc2, 0, p->npair * vw);
    for (unsigned j = 0; j < p->q; j++) {
        if (p->w[j] == 1)
            continue;
        const unsigned N = 1u << p->w[j];
        sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, k, N, p->b[j]);
        in += seg_bytes(k, N, p->b[j]);
        ot += k;
    }
    const size_t npairs = p->npair * k;
    sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, npairs, 8, 2);
    in += seg_bytes(npairs, 8, 2);
    const size_t pair_ot = ot;
    ot += npairs;
    const size_t singles = p->nsingle * k, n16 = singles / 2;
    sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, n16, 16, 2);
    in += seg_bytes(n16, 16, 2);
    const size_t single_ot = ot;
    ot += n16;
    if (singles % 2) {
        sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, 1, 4, 1);
        in += seg_bytes(1, 4, 1);
        ot += 1;
    }
    const size_t kk_total = ot;
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
                set_bit(w->eq + j * W, e, src[e]);
            } else {
                set_bit(w->lt + j * W, e, src[e]);
                set_bit(w->eq + j * W, e, src[e] >> 1);
            }
        }
    }
    for (size_t tau = 0; tau < npairs; tau++) {
        const uint64_t v = mc[pair_ot + tau];
        set_bit(w->pc1 + (tau / k) * W, tau % k, v);
        set_bit(w->pc2 + (tau / k) * W, tau % k, v >> 1);
    }
    for (size_t t = 0; t < n16; t++) {
        const uint64_t v = mc[single_ot + t];
        set_bit(w->tc + ((2 * t) / k) * W, (2 * t) % k, v);
        set_bit(w->tc + ((2 * t + 1) / k) * W, (2 * t + 1) % k, v >> 1);
    }
    if (singles % 2)
        set_bit(w->tc + ((singles - 1) / k) * W, (singles - 1) % k, mc[single_ot + n16]);
}

/* The openings of one level into w->open_mine; returns the vector count. */
static size_t level_openings(cmp_ws *w, unsigned g_begin, unsigned g_end)
{
    const size_t W = w->W;
    size_t nv = 0;
    for (unsigned gi = g_begin; gi < g_end; gi++) {
        const gate *g = &w->p.gates[gi];
        const uint64_t *ehi = w->eq + g->hi * W;
        const uint64_t *llo = w->lt + g->lo * W, *elo = w->eq + g->lo * W;
        uint64_t *d = w->open_mine + nv * W;
        if (g->kind == G_PAIR) {
            const uint64_t *a = w->pa + g->triple * W, *b1 = w->pb1 + g->triple * W,
                           *b2 = w->pb2 + g->triple * W;
            for (size_t i = 0; i < W; i++) {
                d[i] = ehi[i] ^ a[i];
                d[W + i] = llo[i] ^ b1[i];
                d[2 * W + i] = elo[i] ^ b2[i];
            }
            nv += 3;
        } else {
            const uint64_t *a = w->ta + g->triple * W, *b = w->tb + g->triple * W;
            const uint64_t *y = g->kind == G_SINGLE_LT ? llo : elo;
            for (size_t i = 0; i < W; i++) {
                d[i] = ehi[i] ^ a[i];
                d[W + i] = y[i] ^ b[i];
            }
            nv += 2;
        }
    }
    return nv;
}

/* Finish one level from both parties' openings. */
static void level_finish(cmp_ws *w, unsigned g_begin, unsigned g_end, int server)
{
    const size_t W = w->W;
    const uint64_t p0 = server ? ~(uint64_t)0 : 0;
    size_t nv = 0;
    for (unsigned gi = g_begin; gi < g_end; gi++) {
        const gate *g = &w->p.gates[gi];
        const uint64_t *m = w->open_mine + nv * W, *o = w->open_peer + nv * W;
        uint64_t *lhi = w->lt + g->hi * W, *llo = w->lt + g->lo * W, *elo = w->eq + g->lo * W;
        if (g->kind == G_PAIR) {
            const uint64_t *a = w->pa + g->triple * W, *b1 = w->pb1 + g->triple * W,
                           *c1 = w->pc1 + g->triple * W, *b2 = w->pb2 + g->triple * W,
                           *c2 = w->pc2 + g->triple * W;
            for (size_t i = 0; i < W; i++) {
                const uint64_t d = m[i] ^ o[i], e1 = m[W + i] ^ o[W + i],
                               e2 = m[2 * W + i] ^ o[2 * W + i];
                const uint64_t z1 = c1[i] ^ (d & b1[i]) ^ (e1 & a[i]) ^ (d & e1 & p0);
                const uint64_t z2 = c2[i] ^ (d & b2[i]) ^ (e2 & a[i]) ^ (d & e2 & p0);
                llo[i] = lhi[i] ^ z1;
                elo[i] = z2;
            }
            nv += 3;
        } else {
            const uint64_t *a = w->ta + g->triple * W, *b = w->tb + g->triple * W,
                           *c = w->tc + g->triple * W;
            for (size_t i = 0; i < W; i++) {
                const uint64_t d = m[i] ^ o[i], e = m[W + i] ^ o[W + i];
                const uint64_t z = c[i] ^ (d & b[i]) ^ (e & a[i]) ^ (d & e & p0);
                if (g->kind == G_SINGLE_LT)
                    llo[i] = lhi[i] ^ z;
                else
                    elo[i] = z;
            }
            nv += 2;
        }
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
    random_vectors(&lane->prg, w->ta, p->nsingle, W);
    random_vectors(&lane->prg, w->tb, p->nsingle, W);
    random_vectors(&lane->prg, w->pa, p->npair, W);
    random_vectors(&lane->prg, w->pb1, p->npair, W);
    random_vectors(&lane->prg, w->pb2, p->npair, W);
    if (server) {
        random_vectors(&lane->prg, w->tc, p->nsingle, W);
        random_vectors(&lane->prg, w->pc1, p->npair, W);
        random_vectors(&lane->prg, w->pc2, p->npair, W);
        random_vectors(&lane->prg, w->lt, p->q, W);
        random_vectors(&lane->prg, w->eq, p->q, W);
        if ((nkk > 0 && (st = sirnn_akk_send_rows(&w->kk, &ol->kk_send, ch, nkk)) != SIRNN_OK) ||
            (nik > 0 && (st = sirnn_aiknp_send_rows(&w->ik, &ol->iknp_send, ch, nik)) != SIRNN_OK))
            return st;
        if (hk != NULL && (st = hk->received(hk->ctx, 1)) != SIRNN_OK)
            return st;
        const size_t bytes = sender_messages(w, &ol->kk_send, in, k);
        if ((st = sirnn_channel_send(ch, w->wire, bytes)) != SIRNN_OK)
            return st;
    } else {
        receiver_choices(w, in, k);
        if ((nkk > 0 && (st = sirnn_akk_recv_u(&w->kk, &ol->kk_recv, ch, w->choice, nkk)) != SIRNN_OK) ||
            (nik > 0 && (st = sirnn_aiknp_recv_u(&w->ik, &ol->iknp_recv, ch, w->choice + nkk,
                                                 nik)) != SIRNN_OK) ||
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
        if (!first) {
            for (size_t v = 0; v < nv; v++)
                if ((st = sirnn_bv_recv(ch, w->open_peer + v * W, k)) != SIRNN_OK)
                    return st;
            if (hk != NULL && (st = hk->received(hk->ctx, t + 2)) != SIRNN_OK)
                return st;
        }
        for (size_t v = 0; v < nv; v++)
            if ((st = sirnn_bv_send(ch, w->open_mine + v * W, k)) != SIRNN_OK)
                return st;
        if (first) {
            if (hk != NULL && (st = hk->sent(hk->ctx, t + 2)) != SIRNN_OK)
                return st;
            for (size_t v = 0; v < nv; v++)
                if ((st = sirnn_bv_recv(ch, w->open_peer + v * W, k)) != SIRNN_OK)
                    return st;
        }
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
