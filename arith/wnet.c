/*
 * Carry networks (see arith/wnet.h): plan builders, finalisation and the
 * two-party evaluation of one plan per chunk, on the split-phase OT helpers
 * of arith/otphase.h.
 */
#include "arith/wnet.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/otphase.h"
#include "arith/triples.h"
#include "ot/lane.h"

enum { OT_BUDGET = 16384 };

/* A combination's needs are the kinds of its gate in arith/triples.h. */
_Static_assert((int)SIRNN_WN_G == (int)SIRNN_TRIPLE_G &&
                   (int)SIRNN_WN_P == (int)SIRNN_TRIPLE_P &&
                   (int)(SIRNN_WN_G | SIRNN_WN_P) == (int)SIRNN_TRIPLE_GP,
               "need bits are triple kinds");

/* ---------------- builders ---------------- */

void sirnn_wn_init(sirnn_wn_plan *p)
{
    memset(p, 0, sizeof(*p));
}

static unsigned new_node(sirnn_wn_plan *p, unsigned kind)
{
    if (p->nnodes >= SIRNN_WN_MAX_NODES) {
        p->bad = 1;
        return 0;
    }
    sirnn_wn_node *nd = &p->node[p->nnodes];
    memset(nd, 0, sizeof(*nd));
    nd->kind = (uint8_t)kind;
    nd->a = nd->b = SIRNN_WN_NONE;
    return p->nnodes++;
}

unsigned sirnn_wn_leaf(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned w)
{
    const unsigned id = new_node(p, SIRNN_WN_LEAF);
    if (w < 1 || w > 8 || off + w > 64 || src > 2)
        p->bad = 1;
    p->node[id].src = (uint8_t)src;
    p->node[id].off = (uint8_t)off;
    p->node[id].w = (uint8_t)w;
    return id;
}

unsigned sirnn_wn_comb(sirnn_wn_plan *p, unsigned hi, unsigned lo)
{
    const unsigned id = new_node(p, SIRNN_WN_COMB);
    p->node[id].a = (uint16_t)hi;
    p->node[id].b = (uint16_t)lo;
    return id;
}

unsigned sirnn_wn_lin(sirnn_wn_plan *p, unsigned a, unsigned which, unsigned invert,
                      unsigned src, unsigned local_off)
{
    const unsigned id = new_node(p, SIRNN_WN_LIN);
    p->node[id].a = (uint16_t)a;
    p->node[id].which = (uint8_t)which;
    p->node[id].invert = (uint8_t)(invert & 1);
    p->node[id].src = (uint8_t)src;
    p->node[id].w = local_off < 64;
    p->node[id].off = (uint8_t)(local_off < 64 ? local_off : 0);
    return id;
}

/* Blocks [first, first + cnt) of a segment: balanced binary tree whose
 * lower subtree holds the largest power of two below cnt blocks. */
static unsigned seg_tree(sirnn_wn_plan *p, const unsigned *blk, unsigned first, unsigned cnt)
{
    if (cnt == 1)
        return blk[first];
    unsigned half = 1;
    while (2 * half < cnt)
        half *= 2;
    const unsigned lo = seg_tree(p, blk, first, half);
    const unsigned hi = seg_tree(p, blk, first + half, cnt - half);
    return sirnn_wn_comb(p, hi, lo);
}

unsigned sirnn_wn_segment(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned len)
{
    unsigned blk[64];
    if (len < 1 || off + len > 64) {
        p->bad = 1;
        return 0;
    }
    const unsigned q = (len + 3) / 4, base = len / q, extra = len % q;
    unsigned o = off;
    for (unsigned j = 0; j < q; j++) {
        const unsigned w = base + (j < extra ? 1 : 0);
        blk[j] = sirnn_wn_leaf(p, src, o, w);
        o += w;
    }
    return seg_tree(p, blk, 0, q);
}

unsigned sirnn_wn_blocks(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned len, unsigned m)
{
    unsigned blk[64];
    if (len < 1 || off + len > 64 || m < 1 || m > 8) {
        p->bad = 1;
        return 0;
    }
    const unsigned q = (len + m - 1) / m;
    for (unsigned j = 0; j < q; j++)
        blk[j] = sirnn_wn_leaf(p, src, off + j * m, j + 1 < q ? m : len - (q - 1) * m);
    return seg_tree(p, blk, 0, q);
}

/* Sklansky on roots [lo, hi): pre[j] = ranges lo..j. */
static void sklansky(sirnn_wn_plan *p, const unsigned *root, unsigned lo, unsigned hi,
                     unsigned *pre)
{
    if (hi - lo == 1) {
        pre[lo] = root[lo];
        return;
    }
    unsigned half = 1;
    while (2 * half < hi - lo)
        half *= 2;
    const unsigned mid = lo + half;
    sklansky(p, root, lo, mid, pre);
    sklansky(p, root, mid, hi, pre);
    for (unsigned j = mid; j < hi; j++)
        pre[j] = sirnn_wn_comb(p, pre[j], pre[mid - 1]);
}

void sirnn_wn_prefix(sirnn_wn_plan *p, unsigned nseg, const unsigned *root, unsigned *pre)
{
    if (nseg == 0)
        return;
    sklansky(p, root, 0, nseg, pre);
}

unsigned sirnn_wn_output(sirnn_wn_plan *p, unsigned node, unsigned which, unsigned width)
{
    if (p->nout >= SIRNN_WN_MAX_OUT || width > 64) {
        p->bad = 1;
        return 0;
    }
    sirnn_wn_out *o = &p->out[p->nout];
    o->node = (uint16_t)node;
    o->which = (uint8_t)which;
    o->width = (uint8_t)width;
    if (node == SIRNN_WN_AUX)
        p->aux = 1;
    return p->nout++;
}

sirnn_status sirnn_wn_finalize(sirnn_wn_plan *p)
{
    if (p->bad)
        return SIRNN_ERR_ARG;
    /* Needs, from the outputs down (nodes are in topological order). */
    for (unsigned i = 0; i < p->nnodes; i++)
        p->node[i].need = 0;
    for (unsigned o = 0; o < p->nout; o++)
        if (p->out[o].node != SIRNN_WN_AUX)
            p->node[p->out[o].node].need |= p->out[o].which;
    for (unsigned i = p->nnodes; i-- > 0;) {
        sirnn_wn_node *nd = &p->node[i];
        if (nd->need == 0)
            continue;
        if (nd->kind == SIRNN_WN_COMB) {
            sirnn_wn_node *hi = &p->node[nd->a], *lo = &p->node[nd->b];
            if (nd->need & SIRNN_WN_G) {
                hi->need |= SIRNN_WN_G | SIRNN_WN_P;
                lo->need |= SIRNN_WN_G;
            }
            if (nd->need & SIRNN_WN_P) {
                hi->need |= SIRNN_WN_P;
                lo->need |= SIRNN_WN_P;
            }
        } else if (nd->kind == SIRNN_WN_LIN && nd->a != SIRNN_WN_NONE) {
            p->node[nd->a].need |= nd->which;
        }
    }
    /* Levels and triples. */
    p->nlevels = 0;
    p->nsingle = p->npair = p->kk_leaves = p->ik_leaves = 0;
    for (unsigned i = 0; i < p->nnodes; i++) {
        sirnn_wn_node *nd = &p->node[i];
        nd->level = 0;
        if (nd->need == 0)
            continue;
        if (nd->kind == SIRNN_WN_LEAF) {
            if (nd->w == 1)
                p->ik_leaves++;
            else
                p->kk_leaves++;
        } else if (nd->kind == SIRNN_WN_COMB) {
            const unsigned la = p->node[nd->a].level, lb = p->node[nd->b].level;
            const unsigned lv = (la > lb ? la : lb) + 1;
            if (lv > SIRNN_WN_MAX_LEVELS)
                return SIRNN_ERR_ARG;
            nd->level = (uint8_t)lv;
            if (lv > p->nlevels)
                p->nlevels = lv;
            if (nd->need == (SIRNN_WN_G | SIRNN_WN_P))
                nd->triple = (uint16_t)p->npair++;
            else
                nd->triple = (uint16_t)p->nsingle++;
        } else {
            nd->level = nd->a == SIRNN_WN_NONE ? 0 : p->node[nd->a].level;
        }
    }
    p->ngates = 0;
    for (unsigned t = 1; t <= p->nlevels; t++) {
        for (unsigned i = 0; i < p->nnodes; i++)
            if (p->node[i].kind == SIRNN_WN_COMB && p->node[i].need != 0 &&
                p->node[i].level == t)
                p->gate[p->ngates++] = (uint16_t)i;
        p->level_end[t] = p->ngates;
    }
    p->level_end[0] = 0;
    p->nb2a = 0;
    for (unsigned o = 0; o < p->nout; o++)
        if (p->out[o].width >= 2)
            p->nb2a++;
    const size_t per = p->kk_leaves + p->npair + (p->nsingle + 1) / 2 + (p->aux ? 1 : 0) +
                       p->ik_leaves + p->nb2a;
    const size_t ch = OT_BUDGET / (per > 0 ? per : 1) / 256 * 256;
    p->chunk = ch < 256 ? 256 : ch > 4096 ? 4096 : ch;
    return SIRNN_OK;
}

/* ---------------- evaluation ---------------- */

struct sirnn_wn_ws {
    const sirnn_wn_plan *p;
    size_t C, W;
    uint64_t *g, *pp;            /* node bit vectors, nnodes * W each */
    sirnn_triples tr;            /* combination triples */
    uint64_t *open_mine, *open_peer;
    size_t open_cap;             /* vectors */
    sirnn_akk_ws kk;
    sirnn_aiknp_ws ik, bk;       /* leaves of one bit; B2A */
    size_t kk_cap, ik_cap, bk_cap;
    uint8_t *choice;
    uint64_t *mc, *msgs, *ik_m0, *ik_m1, *ik_y;
    uint64_t *bx, *by;           /* B2A values, bk_cap each */
    uint8_t *bc;                 /* B2A choices */
    uint8_t *wire;
    size_t wire_cap;
    uint8_t *aux_r;
    sirnn_wn_chunk io;
};
typedef struct sirnn_wn_ws wn_ws;

static size_t seg_bytes(size_t count, unsigned N, unsigned bits)
{
    return sirnn_pack_size(count * N, bits);
}

static unsigned popc(unsigned need)
{
    return (need & 1) + ((need >> 1) & 1);
}

static size_t kk_count(const sirnn_wn_plan *p, size_t k)
{
    const size_t singles = p->nsingle * k;
    return (p->kk_leaves + p->npair + (p->aux ? 1u : 0u)) * k + singles / 2 + singles % 2;
}

static size_t msg_bytes(const sirnn_wn_plan *p, size_t k)
{
    size_t bytes = 0;
    for (unsigned i = 0; i < p->nnodes; i++) {
        const sirnn_wn_node *nd = &p->node[i];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0)
            continue;
        bytes += seg_bytes(k, nd->w == 1 ? 2u : 1u << nd->w, popc(nd->need));
    }
    bytes += sirnn_triples_msg_bytes(p->nsingle, p->npair, k);
    if (p->aux)
        bytes += seg_bytes(k, 4, 1);
    return bytes;
}

static size_t b2a_bytes(const sirnn_wn_plan *p, size_t k)
{
    size_t bytes = 0;
    for (unsigned o = 0; o < p->nout; o++)
        if (p->out[o].width >= 2)
            bytes += sirnn_pack_size(k, p->out[o].width - 1u);
    return bytes;
}

static void ws_free(wn_ws *w)
{
    const sirnn_wn_plan *p = w->p;
    if (p == NULL)
        return;
    const size_t vw = w->W * sizeof(uint64_t), C = w->C;
    sirnn_arith_zfree(w->g, p->nnodes * vw);
    sirnn_arith_zfree(w->pp, p->nnodes * vw);
    sirnn_triples_free(&w->tr);
    sirnn_arith_zfree(w->open_mine, w->open_cap * vw);
    sirnn_arith_zfree(w->open_peer, w->open_cap * vw);
    sirnn_akk_ws_free(&w->kk);
    sirnn_aiknp_ws_free(&w->ik);
    sirnn_aiknp_ws_free(&w->bk);
    sirnn_arith_zfree(w->choice, w->kk_cap + w->ik_cap);
    sirnn_arith_zfree(w->mc, (w->kk_cap + w->ik_cap) * sizeof(uint64_t));
    sirnn_arith_zfree(w->msgs, (size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_m0, C * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_m1, C * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_y, 2 * C * sizeof(uint64_t));
    sirnn_arith_zfree(w->bx, w->bk_cap * sizeof(uint64_t));
    sirnn_arith_zfree(w->by, w->bk_cap * sizeof(uint64_t));
    sirnn_arith_zfree(w->bc, w->bk_cap);
    sirnn_arith_zfree(w->wire, w->wire_cap);
    sirnn_arith_zfree(w->aux_r, C);
    sirnn_arith_zfree(w->io.in[0], C * sizeof(uint64_t));
    sirnn_arith_zfree(w->io.in[1], C * sizeof(uint64_t));
    sirnn_arith_zfree(w->io.in[2], C * sizeof(uint64_t));
    sirnn_arith_zfree(w->io.aux_choice, C);
    sirnn_arith_zfree(w->io.aux_table, C);
    for (unsigned o = 0; o < p->nout; o++) {
        sirnn_arith_zfree(w->io.bits[o], C);
        sirnn_arith_zfree(w->io.arith[o], C * sizeof(uint64_t));
    }
    memset(w, 0, sizeof(*w));
}

static sirnn_status ws_init(wn_ws *w, const sirnn_wn_plan *p)
{
    memset(w, 0, sizeof(*w));
    w->p = p;
    const size_t C = p->chunk;
    w->C = C;
    w->W = sirnn_bv_words(C);
    const size_t vw = w->W * sizeof(uint64_t);
    w->kk_cap = kk_count(p, C);
    w->ik_cap = p->ik_leaves * C;
    w->bk_cap = p->nb2a * C;
    size_t maxopen = 0;
    for (unsigned t = 1; t <= p->nlevels; t++) {
        size_t v = 0;
        for (unsigned gi = p->level_end[t - 1]; gi < p->level_end[t]; gi++)
            v += p->node[p->gate[gi]].need == (SIRNN_WN_G | SIRNN_WN_P) ? 3 : 2;
        if (v > maxopen)
            maxopen = v;
    }
    w->open_cap = maxopen;
    const size_t mb = msg_bytes(p, C), bb = b2a_bytes(p, C);
    w->wire_cap = mb > bb ? mb : bb;
    int bad = 0;
#define ALLOC(ptr, bytes)                                                                         \
    do {                                                                                       \
        (ptr) = sirnn_arith_zalloc(bytes);                                                     \
        bad |= (ptr) == NULL;                                                                  \
    } while (0)
    ALLOC(w->g, p->nnodes * vw);
    ALLOC(w->pp, p->nnodes * vw);
    ALLOC(w->open_mine, w->open_cap * vw);
    ALLOC(w->open_peer, w->open_cap * vw);
    ALLOC(w->choice, w->kk_cap + w->ik_cap);
    ALLOC(w->mc, (w->kk_cap + w->ik_cap) * sizeof(uint64_t));
    ALLOC(w->msgs, (size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    ALLOC(w->ik_m0, C * sizeof(uint64_t));
    ALLOC(w->ik_m1, C * sizeof(uint64_t));
    ALLOC(w->ik_y, 2 * C * sizeof(uint64_t));
    ALLOC(w->bx, w->bk_cap * sizeof(uint64_t));
    ALLOC(w->by, w->bk_cap * sizeof(uint64_t));
    ALLOC(w->bc, w->bk_cap);
    ALLOC(w->wire, w->wire_cap);
    ALLOC(w->aux_r, C);
    ALLOC(w->io.in[0], C * sizeof(uint64_t));
    ALLOC(w->io.in[1], C * sizeof(uint64_t));
    ALLOC(w->io.in[2], C * sizeof(uint64_t));
    ALLOC(w->io.aux_choice, C);
    ALLOC(w->io.aux_table, C);
    for (unsigned o = 0; o < p->nout; o++) {
        ALLOC(w->io.bits[o], C);
        ALLOC(w->io.arith[o], C * sizeof(uint64_t));
    }
#undef ALLOC
    sirnn_status st = bad ? SIRNN_ERR_NOMEM : SIRNN_OK;
    if (st == SIRNN_OK)
        st = sirnn_triples_init(&w->tr, p->nsingle, p->npair, w->W);
    if (st == SIRNN_OK)
        st = sirnn_akk_ws_init(&w->kk, w->kk_cap > 0 ? w->kk_cap : 1);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init(&w->ik, w->ik_cap > 0 ? w->ik_cap : 1);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init(&w->bk, w->bk_cap > 0 ? w->bk_cap : 1);
    if (st != SIRNN_OK)
        ws_free(w);
    return st;
}

/* Leaf message of party 0's complemented block a for the choice v. */
static inline uint64_t leaf_msg(unsigned need, uint64_t a, uint64_t v, uint64_t rg, uint64_t rp)
{
    const uint64_t g = (a - v) >> 63 & 1, e = ((a ^ v) - 1) >> 63;
    if (need == SIRNN_WN_G)
        return g ^ rg;
    if (need == SIRNN_WN_P)
        return e ^ rp;
    return (g ^ rg) | (e ^ rp) << 1;
}

static inline uint64_t leaf_val(const sirnn_wn_node *nd, const uint64_t *in, size_t e, int server)
{
    const uint64_t m = sirnn_mask(nd->w);
    const uint64_t v = (in[e] >> nd->off) & m;
    return server ? (~v & m) : v;
}

/* Party 0: all OT messages of the chunk into w->wire; returns the size. */
static size_t sender_messages(wn_ws *w, sirnn_kkot_sender *kks, size_t k)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W;
    uint8_t *out = w->wire;
    size_t ot = 0;
    for (unsigned li = 0; li < p->nnodes; li++) {
        const sirnn_wn_node *nd = &p->node[li];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w == 1)
            continue;
        const unsigned N = 1u << nd->w, b = popc(nd->need);
        const uint64_t *in = w->io.in[nd->src];
        for (size_t g0 = 0; g0 < k; g0 += SIRNN_AKK_GROUP) {
            const size_t g = k - g0 < SIRNN_AKK_GROUP ? k - g0 : SIRNN_AKK_GROUP;
            for (size_t i = 0; i < g; i++) {
                const size_t e = g0 + i;
                const uint64_t a = leaf_val(nd, in, e, 1);
                const uint64_t rg = sirnn_bv_get(w->g + li * W, e),
                               rp = sirnn_bv_get(w->pp + li * W, e);
                for (unsigned v = 0; v < N; v++)
                    w->msgs[i * N + v] = leaf_msg(nd->need, a, v, rg, rp);
            }
            sirnn_akk_send_group(&w->kk, kks, out + g0 * N * b / 8, w->msgs, ot + g0, g, N, b);
        }
        out += seg_bytes(k, N, b);
        ot += k;
    }
    out = sirnn_triples_send(&w->tr, &w->kk, kks, w->msgs, out, ot, k);
    ot += sirnn_triples_ots(&w->tr, k);
    if (p->aux) {
        for (size_t g0 = 0; g0 < k; g0 += SIRNN_AKK_GROUP) {
            const size_t g = k - g0 < SIRNN_AKK_GROUP ? k - g0 : SIRNN_AKK_GROUP;
            for (size_t i = 0; i < g; i++) {
                const uint64_t t = w->io.aux_table[g0 + i], r = w->aux_r[g0 + i] & 1;
                for (unsigned v = 0; v < 4; v++)
                    w->msgs[i * 4 + v] = ((t >> v) & 1) ^ r;
            }
            sirnn_akk_send_group(&w->kk, kks, out + g0 / 2, w->msgs, ot + g0, g, 4, 1);
        }
        out += seg_bytes(k, 4, 1);
        ot += k;
    }
    size_t io = 0;
    for (unsigned li = 0; li < p->nnodes; li++) {
        const sirnn_wn_node *nd = &p->node[li];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w != 1)
            continue;
        const unsigned b = popc(nd->need);
        const uint64_t *in = w->io.in[nd->src];
        for (size_t e = 0; e < k; e++) {
            const uint64_t a = leaf_val(nd, in, e, 1);
            const uint64_t rg = sirnn_bv_get(w->g + li * W, e),
                           rp = sirnn_bv_get(w->pp + li * W, e);
            w->ik_m0[e] = leaf_msg(nd->need, a, 0, rg, rp);
            w->ik_m1[e] = leaf_msg(nd->need, a, 1, rg, rp);
        }
        sirnn_aiknp_ws sub = w->ik;
        sub.h0 += io;
        sub.h1 += io;
        sirnn_aiknp_ot_msgs(&sub, w->ik_y, w->ik_m0, w->ik_m1, k, b);
        sirnn_pack(out, w->ik_y, 2 * k, b);
        out += seg_bytes(k, 2, b);
        io += k;
    }
    return (size_t)(out - w->wire);
}

/* Party 1: the choices of every OT of the chunk (KK13, then IKNP). */
static void receiver_choices(wn_ws *w, size_t k)
{
    const sirnn_wn_plan *p = w->p;
    uint8_t *c = w->choice;
    for (unsigned li = 0; li < p->nnodes; li++) {
        const sirnn_wn_node *nd = &p->node[li];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w == 1)
            continue;
        for (size_t e = 0; e < k; e++)
            *c++ = (uint8_t)leaf_val(nd, w->io.in[nd->src], e, 0);
    }
    c = sirnn_triples_choices(&w->tr, c, k);
    if (p->aux)
        for (size_t e = 0; e < k; e++)
            *c++ = (uint8_t)(w->io.aux_choice[e] & 3);
    for (unsigned li = 0; li < p->nnodes; li++) {
        const sirnn_wn_node *nd = &p->node[li];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w != 1)
            continue;
        for (size_t e = 0; e < k; e++)
            *c++ = (uint8_t)leaf_val(nd, w->io.in[nd->src], e, 0);
    }
}

static void store_leaf(wn_ws *w, unsigned li, const uint64_t *src, size_t k)
{
    const size_t W = w->W;
    const unsigned need = w->p->node[li].need;
    uint64_t *g = w->g + li * W, *pv = w->pp + li * W;
    for (size_t e = 0; e < k; e++) {
        if (need == SIRNN_WN_P) {
            sirnn_bv_or_bit(pv, e, src[e]);
        } else {
            sirnn_bv_or_bit(g, e, src[e]);
            sirnn_bv_or_bit(pv, e, src[e] >> 1);
        }
    }
}

/* Party 1: leaf, triple and auxiliary shares from the messages in w->wire. */
static void receiver_outputs(wn_ws *w, size_t k)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W, vw = W * sizeof(uint64_t);
    const uint8_t *in = w->wire;
    uint64_t *mc = w->mc;
    size_t ot = 0;
    memset(w->g, 0, p->nnodes * vw);
    memset(w->pp, 0, p->nnodes * vw);
    for (unsigned li = 0; li < p->nnodes; li++) {
        const sirnn_wn_node *nd = &p->node[li];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w == 1)
            continue;
        const unsigned N = 1u << nd->w, b = popc(nd->need);
        sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, k, N, b);
        store_leaf(w, li, mc + ot, k);
        in += seg_bytes(k, N, b);
        ot += k;
    }
    in = sirnn_triples_recv(&w->tr, &w->kk, mc + ot, in, w->choice + ot, ot, k);
    ot += sirnn_triples_ots(&w->tr, k);
    if (p->aux) {
        sirnn_akk_recv_out(&w->kk, mc + ot, in, w->choice + ot, ot, k, 4, 1);
        in += seg_bytes(k, 4, 1);
        for (size_t e = 0; e < k; e++)
            w->aux_r[e] = (uint8_t)(mc[ot + e] & 1);
        ot += k;
    }
    const size_t kk_total = ot;
    size_t io = 0;
    for (unsigned li = 0; li < p->nnodes; li++) {
        const sirnn_wn_node *nd = &p->node[li];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w != 1)
            continue;
        const unsigned b = popc(nd->need);
        sirnn_unpack(w->ik_y, in, 2 * k, b);
        sirnn_aiknp_ws sub = w->ik;
        sub.h0 += io;
        sirnn_aiknp_ot_out(&sub, mc + kk_total + io, w->ik_y, w->choice + kk_total + io, k, b);
        store_leaf(w, li, mc + kk_total + io, k);
        in += seg_bytes(k, 2, b);
        io += k;
    }
}

/* Linear nodes of level t. */
static void eval_lin(wn_ws *w, unsigned t, size_t k, int server)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W, kw = sirnn_bv_words(k);
    for (unsigned i = 0; i < p->nnodes; i++) {
        const sirnn_wn_node *nd = &p->node[i];
        if (nd->kind != SIRNN_WN_LIN || nd->need == 0 || nd->level != t)
            continue;
        uint64_t *g = w->g + (size_t)i * W, *pv = w->pp + (size_t)i * W;
        const uint64_t inv = (server && nd->invert) ? ~(uint64_t)0 : 0;
        if (nd->a == SIRNN_WN_NONE) {
            for (size_t j = 0; j < kw; j++)
                g[j] = inv;
        } else {
            const uint64_t *a = (nd->which == SIRNN_WN_G ? w->g : w->pp) + (size_t)nd->a * W;
            for (size_t j = 0; j < kw; j++)
                g[j] = a[j] ^ inv;
        }
        if (nd->w) {
            const uint64_t *in = w->io.in[nd->src];
            for (size_t e = 0; e < k; e++)
                g[e / 64] ^= ((in[e] >> nd->off) & 1) << (e % 64);
        }
        memcpy(pv, g, kw * sizeof(uint64_t));
    }
}

/* The openings of the combinations of level t into w->open_mine; returns
 * the vector count. */
static size_t level_openings(wn_ws *w, unsigned t)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W;
    size_t nv = 0;
    for (unsigned gi = p->level_end[t - 1]; gi < p->level_end[t]; gi++) {
        const sirnn_wn_node *nd = &p->node[p->gate[gi]];
        nv += sirnn_triples_open(&w->tr, w->open_mine + nv * W, nd->need, nd->triple,
                                 w->pp + (size_t)nd->a * W, w->g + (size_t)nd->b * W,
                                 w->pp + (size_t)nd->b * W);
    }
    return nv;
}

/* Finish the combinations of level t from both parties' openings. */
static void level_finish(wn_ws *w, unsigned t, int server)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W;
    const uint64_t p0 = server ? ~(uint64_t)0 : 0;
    size_t nv = 0;
    for (unsigned gi = p->level_end[t - 1]; gi < p->level_end[t]; gi++) {
        const unsigned id = p->gate[gi];
        const sirnn_wn_node *nd = &p->node[id];
        nv += sirnn_triples_finish(&w->tr, w->open_mine + nv * W, w->open_peer + nv * W,
                                   nd->need, nd->triple, p0, w->g + (size_t)nd->a * W,
                                   w->g + (size_t)id * W, w->pp + (size_t)id * W);
    }
}

/* Boolean outputs of the chunk into io.bits. */
static void gather_outputs(wn_ws *w, size_t k)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W;
    for (unsigned o = 0; o < p->nout; o++) {
        const sirnn_wn_out *ou = &p->out[o];
        uint8_t *dst = w->io.bits[o];
        if (ou->node == SIRNN_WN_AUX) {
            for (size_t e = 0; e < k; e++)
                dst[e] = (uint8_t)(w->aux_r[e] & 1);
        } else {
            const uint64_t *v = (ou->which == SIRNN_WN_G ? w->g : w->pp) + (size_t)ou->node * W;
            sirnn_bv_unpack(dst, v, k);
        }
    }
}

static sirnn_status run_chunk(wn_ws *w, int server, sirnn_lane *lane, size_t k,
                              const sirnn_flight_hooks *hk)
{
    const sirnn_wn_plan *p = w->p;
    const size_t W = w->W;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const size_t nkk = kk_count(p, k), nik = p->ik_leaves * k;
    sirnn_status st;
    sirnn_triples_draw(&w->tr, &lane->prg, server);
    if (server) {
        /* Leaf masks: only the leaves' vectors are sent, the rest is overwritten. */
        sirnn_bv_random(&lane->prg, w->g, p->nnodes, W);
        sirnn_bv_random(&lane->prg, w->pp, p->nnodes, W);
        if (p->aux)
            sirnn_prg_bytes(&lane->prg, w->aux_r, k);
        if ((st = sirnn_triples_ot_rows(&w->kk, &w->ik, ol, ch, nkk, nik)) != SIRNN_OK ||
            (hk != NULL && (st = hk->received(hk->ctx, 1)) != SIRNN_OK))
            return st;
        const size_t bytes = sender_messages(w, &ol->kk_send, k);
        if ((st = sirnn_channel_send(ch, w->wire, bytes)) != SIRNN_OK)
            return st;
    } else if (nkk + nik > 0) {
        receiver_choices(w, k);
        if ((st = sirnn_triples_ot_columns(&w->kk, &w->ik, ol, ch, w->choice, nkk, nik)) !=
                SIRNN_OK ||
            (hk != NULL && (st = hk->sent(hk->ctx, 1)) != SIRNN_OK) ||
            (st = sirnn_channel_recv(ch, w->wire, msg_bytes(p, k))) != SIRNN_OK)
            return st;
        receiver_outputs(w, k);
    }
    eval_lin(w, 0, k, server);
    for (unsigned t = 1; t <= p->nlevels; t++) {
        const size_t nv = level_openings(w, t);
        const int first = (t % 2 == 1) == server;
        if ((st = sirnn_triples_exchange(ch, w->open_peer, w->open_mine, nv, W, k, first, hk,
                                         t + 1)) != SIRNN_OK)
            return st;
        level_finish(w, t, server);
        eval_lin(w, t, k, server);
    }
    gather_outputs(w, k);
    if (hk != NULL) {
        /* The last flight, T + 2: party 0 sends it when T is even. */
        const unsigned last = p->nlevels + 2;
        if (((last % 2) == 0) == server)
            return hk->sent(hk->ctx, last);
        return hk->received(hk->ctx, last);
    }
    if (p->nb2a == 0)
        return SIRNN_OK;
    /* B2A of the outputs with a width >= 2: the receiver is the party that
     * sent the last flight. */
    const int recv_is_server = p->nlevels == 0 ? 1 : (p->nlevels % 2 == 0);
    const size_t nb = p->nb2a * k;
    if (server == recv_is_server) {
        size_t j = 0;
        for (unsigned o = 0; o < p->nout; o++)
            if (p->out[o].width >= 2) {
                memcpy(w->bc + j * k, w->io.bits[o], k);
                j++;
            }
        if ((st = sirnn_aiknp_recv_u(&w->bk, &ol->iknp_recv, ch, w->bc, nb)) != SIRNN_OK ||
            (st = sirnn_channel_recv(ch, w->wire, b2a_bytes(p, k))) != SIRNN_OK)
            return st;
        const uint8_t *in = w->wire;
        j = 0;
        for (unsigned o = 0; o < p->nout; o++) {
            const unsigned wd = p->out[o].width;
            if (wd < 2)
                continue;
            const uint64_t mask = sirnn_mask(wd);
            uint64_t *y = w->by + j * k;
            sirnn_unpack(y, in, k, wd - 1);
            in += sirnn_pack_size(k, wd - 1);
            sirnn_aiknp_ws sub = w->bk;
            sub.h0 += j * k;
            sirnn_aiknp_cot_out(&sub, y, y, w->bc + j * k, k, wd - 1);
            const uint8_t *b = w->io.bits[o];
            for (size_t e = 0; e < k; e++)
                w->io.arith[o][e] = (b[e] - 2 * y[e]) & mask;
            j++;
        }
    } else {
        if ((st = sirnn_aiknp_send_rows(&w->bk, &ol->iknp_send, ch, nb)) != SIRNN_OK)
            return st;
        uint8_t *out = w->wire;
        size_t j = 0;
        for (unsigned o = 0; o < p->nout; o++) {
            const unsigned wd = p->out[o].width;
            if (wd < 2)
                continue;
            const uint64_t mask = sirnn_mask(wd);
            uint64_t *x = w->bx + j * k, *y = w->by + j * k;
            const uint8_t *b = w->io.bits[o];
            for (size_t e = 0; e < k; e++)
                x[e] = b[e];
            sirnn_aiknp_ws sub = w->bk;
            sub.h0 += j * k;
            sub.h1 += j * k;
            sirnn_aiknp_cot_msgs(&sub, x, y, x, k, wd - 1);
            sirnn_pack(out, y, k, wd - 1);
            out += sirnn_pack_size(k, wd - 1);
            for (size_t e = 0; e < k; e++)
                w->io.arith[o][e] = (b[e] + 2 * x[e]) & mask;
            j++;
        }
        if ((st = sirnn_channel_send(ch, w->wire, (size_t)(out - w->wire))) != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

typedef struct wn_ctx {
    const sirnn_wn_plan *plan;
    sirnn_wn_prep_fn prep;
    sirnn_wn_post_fn post;
    void *ctx;
} wn_ctx;

static sirnn_status wn_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                            void *vctx)
{
    const wn_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    wn_ws w;
    sirnn_status st = ws_init(&w, c->plan);
    if (st != SIRNN_OK)
        return st;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += w.C) {
        const size_t k = end - off < w.C ? end - off : w.C;
        w.io.lane = lane;
        w.io.off = off;
        w.io.k = k;
        c->prep(c->ctx, server, &w.io);
        st = run_chunk(&w, server, lane, k, NULL);
        if (st == SIRNN_OK)
            for (unsigned o = 0; o < c->plan->nout; o++)
                if (c->plan->out[o].width == 1)
                    for (size_t e = 0; e < k; e++)
                        w.io.arith[o][e] = w.io.bits[o][e];
        if (st == SIRNN_OK)
            st = c->post(c->ctx, server, &w.io);
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    ws_free(&w);
    return st;
}

sirnn_status sirnn_wn_run(sirnn_party *party, size_t n, const sirnn_wn_plan *plan,
                          sirnn_wn_prep_fn prep, sirnn_wn_post_fn post, void *ctx)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    wn_ctx c = {.plan = plan, .prep = prep, .post = post, .ctx = ctx};
    return sirnn_batch_run(party, n, wn_lane, &c);
}

/* ---------------- chunk-level evaluation for other protocols ---------------- */

sirnn_wn_ws *sirnn_wn_ws_new(const sirnn_wn_plan *p)
{
    wn_ws *w = malloc(sizeof(*w));
    if (w == NULL)
        return NULL;
    if (ws_init(w, p) != SIRNN_OK) {
        free(w);
        return NULL;
    }
    return w;
}

void sirnn_wn_ws_delete(sirnn_wn_ws *w)
{
    if (w != NULL) {
        ws_free(w);
        free(w);
    }
}

sirnn_wn_chunk *sirnn_wn_ws_chunk(sirnn_wn_ws *w)
{
    return &w->io;
}

sirnn_status sirnn_wn_chunk_run(sirnn_wn_ws *w, int server, sirnn_lane *lane, size_t k,
                                const sirnn_flight_hooks *hooks)
{
    w->io.lane = lane;
    w->io.k = k;
    return run_chunk(w, server, lane, k, hooks);
}
