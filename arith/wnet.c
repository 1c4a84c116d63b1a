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

/*
 * A lane evaluates the plan on groups of windows of up to wn_window
 * elements (SIRNN_WN_WINDOW, smaller only in tests) and streams the
 * windows of a group level by level: every flight carries its part for
 * every window of the group, written window by window into the channel,
 * so the flights follow the network's depth, not the group's size. A
 * group is the lane's whole range unless the state it carries between
 * flights would pass the per-lane stream budget (see sirnn_stream_group).
 *
 * What a window carries between flights is its node bit vectors and
 * triples (bits per element), party 0's packed OT messages from the
 * moment it reads party 1's columns until it sends them, party 1's OT
 * hashes cut to their low byte (every message here is at most 2 bits
 * wide; the choices are recomputed from the inputs and triples), and, for
 * B2A outputs, the receiver's hashes (one word) and both parties'
 * arithmetic shares. Everything else (inputs, OT scratch, openings) is
 * one window's and refilled per window: the inputs by calling the
 * caller's prep again, which therefore must be a pure function of the
 * window.
 *
 * The OT work inside the first two flights goes in sub-chunks of
 * plan->chunk elements (the chunks of the bytes formulas, so the OT
 * columns round exactly as before): party 1 queues the columns of every
 * sub-chunk; party 0 reads each sub-chunk's columns and packs its messages
 * at once. The tree levels then run on bit vectors as wide as the window.
 */
struct sirnn_wn_ws {
    const sirnn_wn_plan *p;
    int server;
    size_t C;                    /* sub-chunk (OT batch) elements */
    size_t cap, W;               /* window elements, words per window vector */
    size_t nwin;                 /* windows held (a group's) */
    uint64_t *g, *pp;            /* the current window's node vectors, nnodes * W each */
    uint64_t *g_all, *pp_all;    /* every window's */
    sirnn_triples tr;            /* the current window's triples (a view) */
    sirnn_triples *trs;          /* every window's */
    uint64_t *open_mine, *open_peer;
    size_t open_cap;             /* vectors */
    sirnn_akk_ws kk;             /* party 1: hashes of the window; party 0: rows of a sub-chunk */
    sirnn_aiknp_ws ik, bk;       /* leaves of one bit; B2A (same split) */
    size_t kk_cap, ik_cap, bk_cap; /* OTs of the window */
    int kk_ready;                /* kk's OT backend chosen (sirnn_akk_ws_silent) */
    uint8_t *choice;             /* party 1: the window's OT choices, sub-chunk by sub-chunk */
    uint8_t *hsave;              /* party 1: low bytes of every window's OT hashes */
    void *bhsave;                /* B2A receiver: every window's hashes (low words, or
                                    their low halves when narrow), at the tail of wire */
    size_t bhsave_bytes;
    uint64_t *mc, *msgs, *ik_m0, *ik_m1, *ik_y; /* one sub-chunk */
    uint64_t *bx, *by;           /* B2A values of one sub-chunk */
    uint8_t *bc;                 /* B2A choices of one sub-chunk */
    uint8_t *wire;               /* nwin * wstride bytes: party 0's messages, a B2A sender's
                                    corrections, of every window; else one sub-chunk's */
    size_t wstride, wire_bytes;  /* wire_bytes: with a B2A receiver's hashes at its tail */
    uint8_t *aux_r;              /* the current window's auxiliary bits */
    uint8_t *aux_all;
    void *arith_all[SIRNN_WN_MAX_OUT]; /* width >= 2: every window's (32-bit words when
                                          narrow); width 1: one window's */
    uint64_t *arith_win[SIRNN_WN_MAX_OUT]; /* width >= 2: one window's, for post */
    int narrow;                  /* every B2A output is at most 32 bits wide */
    uint32_t lin_in;             /* bit t: a linear node of level t reads an input */
    size_t prepped;              /* 1 + the window whose inputs io holds; 0: none */
    sirnn_wn_chunk io;           /* window */
};
typedef struct sirnn_wn_ws wn_ws;

/* Elements per window and windows per group (0: as the budget allows) of
 * the streamed drivers; tests shrink them to cross windows and groups
 * cheaply. */
static size_t wn_window = SIRNN_WINDOW, wn_group_max = 0;

void sirnn_stream_test_window(size_t elements, size_t group_windows)
{
    wn_window = elements == 0 ? SIRNN_WINDOW : (elements + 255) / 256 * 256;
    wn_group_max = group_windows;
}

size_t sirnn_stream_window(size_t begin, size_t end)
{
    const size_t n = end - begin;
    return n == 0 ? 1 : n < wn_window ? n : wn_window;
}

size_t sirnn_stream_group(const sirnn_party *party, size_t per_window, size_t windows)
{
    if (party->cfg.ot_backend == SIRNN_OT_SILENT)
        return 1;
    size_t g = sirnn_stream_budget(party) / (per_window > 0 ? per_window : 1);
    if (wn_group_max > 0 && g > wn_group_max)
        g = wn_group_max;
    return g < 1 || windows < 1 ? 1 : g < windows ? g : windows;
}
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
    bytes += sirnn_triples_msg_bytes(p->nsingle, p->npair, k, 0);
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

/* Sum of f(p, k_s) over the sub-chunks of a window of k elements. */
static size_t over_subs(size_t (*f)(const sirnn_wn_plan *, size_t), const sirnn_wn_plan *p,
                        size_t C, size_t k)
{
    const size_t full = k / C, rest = k % C;
    return full * f(p, C) + (rest > 0 ? f(p, rest) : 0);
}

/* The same for this run: its triples may come from silent COTs (no KK13
 * OT, one message bit per pair). */
static size_t kk_run(const wn_ws *w, size_t k)
{
    return kk_count(w->p, k) - (w->tr.silent ? w->p->npair * k + (w->p->nsingle * k + 1) / 2 : 0);
}

static size_t msg_run(const wn_ws *w, size_t k)
{
    const sirnn_wn_plan *p = w->p;
    if (!w->tr.silent)
        return msg_bytes(p, k);
    return msg_bytes(p, k) - sirnn_triples_msg_bytes(p->nsingle, p->npair, k, 0) +
           sirnn_triples_msg_bytes(p->nsingle, p->npair, k, 1);
}

/* Bytes of party 0's messages for a window of k elements in this run. */
static size_t win_msg_bytes(const wn_ws *w, size_t k)
{
    const size_t full = k / w->C, rest = k % w->C;
    return full * msg_run(w, w->C) + (rest > 0 ? msg_run(w, rest) : 0);
}

/* Elements of the window buffer of input src (0..2; 3: the auxiliary OT's
 * arrays): cap if the plan reads it, else 1. Input 0 is always there (the
 * callers keep their values in it). */
static size_t in_len(const sirnn_wn_plan *p, unsigned src, size_t cap)
{
    if (src == 0)
        return cap;
    if (src == 3)
        return p->aux ? cap : 1;
    for (unsigned i = 0; i < p->nnodes; i++) {
        const sirnn_wn_node *nd = &p->node[i];
        if (nd->src == src &&
            (nd->kind == SIRNN_WN_LEAF || (nd->kind == SIRNN_WN_LIN && nd->w)))
            return cap;
    }
    return 1;
}


/* B2A: the receiver of the COTs is the party that sends the tree's last
 * flight, so its columns ride with it. */
static int b2a_recv_is_server(const sirnn_wn_plan *p)
{
    return p->nlevels == 0 ? 1 : (p->nlevels % 2 == 0);
}

/* 1 if every B2A output is at most 32 bits wide: the group's arithmetic
 * outputs and the receiver's hashes are then held in 32-bit words (the
 * hashes are used mod 2^(width - 1)), half the memory a window carries
 * for them. */
static int b2a_narrow(const sirnn_wn_plan *p)
{
    for (unsigned o = 0; o < p->nout; o++)
        if (p->out[o].width > 32)
            return 0;
    return 1;
}

/* Bytes per element of a B2A output's held arithmetic share or hash. */
static size_t b2a_word(const sirnn_wn_plan *p)
{
    return b2a_narrow(p) ? sizeof(uint32_t) : sizeof(uint64_t);
}

static size_t server_msg_stride(const sirnn_wn_plan *p, size_t C, size_t cap, int server)
{
    const size_t mb = server ? over_subs(msg_bytes, p, C, cap) : msg_bytes(p, C);
    const size_t bb = over_subs(b2a_bytes, p, C, cap);
    return mb > bb ? mb : bb;
}

static void ws_free(wn_ws *w)
{
    const sirnn_wn_plan *p = w->p;
    if (p == NULL)
        return;
    const size_t vw = w->W * sizeof(uint64_t), C = w->C, cap = w->cap, nw = w->nwin;
    sirnn_arith_zfree(w->g_all, nw * p->nnodes * vw);
    sirnn_arith_zfree(w->pp_all, nw * p->nnodes * vw);
    if (w->trs != NULL)
        for (size_t j = 0; j < nw; j++)
            sirnn_triples_free(&w->trs[j]);
    free(w->trs);
    sirnn_arith_zfree(w->open_mine, w->open_cap * vw);
    sirnn_arith_zfree(w->open_peer, w->open_cap * vw);
    sirnn_akk_ws_free(&w->kk);
    sirnn_aiknp_ws_free(&w->ik);
    sirnn_aiknp_ws_free(&w->bk);
    sirnn_arith_zfree(w->choice, w->server ? 1 : w->kk_cap + w->ik_cap);
    sirnn_arith_zfree(w->hsave, w->server ? 1 : nw * (w->kk_cap + w->ik_cap));
    sirnn_arith_zfree(w->mc, (kk_count(p, C) + p->ik_leaves * C) * sizeof(uint64_t));
    sirnn_arith_zfree(w->msgs, (size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_m0, C * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_m1, C * sizeof(uint64_t));
    sirnn_arith_zfree(w->ik_y, 2 * C * sizeof(uint64_t));
    sirnn_arith_zfree(w->bx, p->nb2a * C * sizeof(uint64_t));
    sirnn_arith_zfree(w->by, p->nb2a * C * sizeof(uint64_t));
    sirnn_arith_zfree(w->bc, p->nb2a * C);
    sirnn_arith_zfree(w->wire, w->wire_bytes);
    sirnn_arith_zfree(w->aux_all, nw * in_len(p, 3, cap));
    for (unsigned i = 0; i < 3; i++)
        sirnn_arith_zfree(w->io.in[i], in_len(p, i, cap) * sizeof(uint64_t));
    sirnn_arith_zfree(w->io.aux_choice, in_len(p, 3, cap));
    sirnn_arith_zfree(w->io.aux_table, in_len(p, 3, cap));
    for (unsigned o = 0; o < p->nout; o++) {
        const unsigned wd = p->out[o].width;
        sirnn_arith_zfree(w->io.bits[o], cap);
        sirnn_arith_zfree(w->arith_all[o],
                          wd >= 2 ? nw * cap * b2a_word(p) : wd == 1 ? cap * sizeof(uint64_t) : 1);
        sirnn_arith_zfree(w->arith_win[o], wd >= 2 ? cap * sizeof(uint64_t) : 1);
    }
    memset(w, 0, sizeof(*w));
}

/* Bytes a window of cap elements carries between flights on either party
 * (the larger), for choosing a group's size the same way on both. */
static size_t window_state_bytes(const sirnn_wn_plan *p, size_t cap)
{
    const size_t C = p->chunk < cap ? p->chunk : cap, vw = sirnn_bv_words(cap) * 8;
    /* both: node vectors, triples, auxiliary bits, the arithmetic outputs;
     * the B2A receiver its hashes */
    const size_t common = 2 * p->nnodes * vw + (3 * p->nsingle + 5 * p->npair) * vw +
                          (p->aux ? cap : 0) + p->nb2a * cap * b2a_word(p);
    /* the receiver's hashes share the wire buffer (ws_init) */
    const size_t hashes = p->nb2a > 0 ? p->nb2a * cap * b2a_word(p) + b2a_bytes(p, C) + 7 : 0;
    const int recv0 = b2a_recv_is_server(p);
    size_t s0 = server_msg_stride(p, C, cap, 1), s1 = server_msg_stride(p, C, cap, 0);
    if (recv0 && hashes > s0)
        s0 = hashes;
    if (!recv0 && hashes > s1)
        s1 = hashes;
    s1 += over_subs(kk_count, p, C, cap) + p->ik_leaves * cap;
    return common + (s0 > s1 ? s0 : s1);
}

/* A workspace for nwin windows of up to cap elements (cap may be smaller
 * than the plan's chunk). */
static sirnn_status ws_init(wn_ws *w, const sirnn_wn_plan *p, size_t cap, size_t nwin, int server)
{
    memset(w, 0, sizeof(*w));
    w->p = p;
    w->server = server;
    w->cap = cap > 0 ? cap : 1;
    w->nwin = nwin > 0 ? nwin : 1;
    w->C = p->chunk < w->cap ? p->chunk : w->cap;
    cap = w->cap;
    const size_t C = w->C, nw = w->nwin;
    w->W = sirnn_bv_words(cap);
    const size_t vw = w->W * sizeof(uint64_t);
    w->kk_cap = over_subs(kk_count, p, C, cap);
    w->ik_cap = p->ik_leaves * cap;
    w->bk_cap = p->nb2a * cap;
    size_t maxopen = 0;
    for (unsigned t = 1; t <= p->nlevels; t++) {
        size_t v = 0;
        for (unsigned gi = p->level_end[t - 1]; gi < p->level_end[t]; gi++)
            v += p->node[p->gate[gi]].need == (SIRNN_WN_G | SIRNN_WN_P) ? 3 : 2;
        if (v > maxopen)
            maxopen = v;
    }
    w->open_cap = maxopen;
    for (unsigned i = 0; i < p->nnodes; i++) {
        const sirnn_wn_node *nd = &p->node[i];
        if (nd->kind == SIRNN_WN_LIN && nd->need != 0 && nd->w)
            w->lin_in |= (uint32_t)1 << nd->level;
    }
    w->wstride = server_msg_stride(p, C, cap, server);
    const int b2a_recv = p->nb2a > 0 && server == b2a_recv_is_server(p);
    int bad = 0;
#define ALLOC(ptr, bytes)                                                                         \
    do {                                                                                       \
        (ptr) = sirnn_arith_zalloc(bytes);                                                     \
        bad |= (ptr) == NULL;                                                                  \
    } while (0)
    ALLOC(w->g_all, nw * p->nnodes * vw);
    ALLOC(w->pp_all, nw * p->nnodes * vw);
    ALLOC(w->open_mine, w->open_cap * vw);
    ALLOC(w->open_peer, w->open_cap * vw);
    ALLOC(w->choice, server ? 1 : w->kk_cap + w->ik_cap);
    ALLOC(w->hsave, server ? 1 : nw * (w->kk_cap + w->ik_cap));
    w->narrow = b2a_narrow(p);
    /* The B2A receiver's hashes live at the tail of wire: they are taken
     * after the OT messages of flight 2 are gone, and the peer's
     * corrections are then read a sub-chunk at a time into its head. */
    w->bhsave_bytes = b2a_recv ? nw * w->bk_cap * b2a_word(p) : 0;
    const size_t head = (b2a_bytes(p, C) + 7) / 8 * 8; /* keeps the hashes aligned */
    w->wire_bytes = nw * w->wstride;
    if (b2a_recv && w->wire_bytes < head + w->bhsave_bytes)
        w->wire_bytes = head + w->bhsave_bytes;
    ALLOC(w->mc, (kk_count(p, C) + p->ik_leaves * C) * sizeof(uint64_t));
    ALLOC(w->msgs, (size_t)SIRNN_AKK_GROUP * 256 * sizeof(uint64_t));
    ALLOC(w->ik_m0, C * sizeof(uint64_t));
    ALLOC(w->ik_m1, C * sizeof(uint64_t));
    ALLOC(w->ik_y, 2 * C * sizeof(uint64_t));
    ALLOC(w->bx, p->nb2a * C * sizeof(uint64_t));
    ALLOC(w->by, p->nb2a * C * sizeof(uint64_t));
    ALLOC(w->bc, p->nb2a * C);
    ALLOC(w->wire, w->wire_bytes);
    if (!bad)
        w->bhsave = w->wire + (w->wire_bytes - w->bhsave_bytes) / 8 * 8;
    ALLOC(w->aux_all, nw * in_len(p, 3, cap));
    for (unsigned i = 0; i < 3; i++)
        ALLOC(w->io.in[i], in_len(p, i, cap) * sizeof(uint64_t));
    ALLOC(w->io.aux_choice, in_len(p, 3, cap));
    ALLOC(w->io.aux_table, in_len(p, 3, cap));
    for (unsigned o = 0; o < p->nout; o++) {
        const unsigned wd = p->out[o].width;
        ALLOC(w->io.bits[o], cap);
        ALLOC(w->arith_all[o],
              wd >= 2 ? nw * cap * b2a_word(p) : wd == 1 ? cap * sizeof(uint64_t) : 1);
        ALLOC(w->arith_win[o], wd >= 2 ? cap * sizeof(uint64_t) : 1);
    }
#undef ALLOC
    if (!bad) {
        w->trs = calloc(nw, sizeof(*w->trs));
        bad |= w->trs == NULL;
    }
    sirnn_status st = bad ? SIRNN_ERR_NOMEM : SIRNN_OK;
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++)
        st = sirnn_triples_init(&w->trs[j], p->nsingle, p->npair, w->W);
    /* Party 0 sends every leaf and triple OT, party 1 receives them; the
     * B2A receiver is either. */
    const size_t kkc = kk_count(p, C), ikc = p->ik_leaves * C;
    if (st == SIRNN_OK)
        st = sirnn_akk_ws_init_roles(&w->kk, server ? kkc : 0, server ? 0 : w->kk_cap);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init_roles(&w->ik, server ? ikc : 0, server ? 0 : w->ik_cap);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init_roles(&w->bk, p->nb2a * C, w->bk_cap);
    if (st != SIRNN_OK)
        ws_free(w);
    return st;
}

/* Point the workspace's per-window state at window j. */
static void win_view(wn_ws *w, size_t j)
{
    const sirnn_wn_plan *p = w->p;
    const size_t span = (size_t)p->nnodes * w->W;
    w->g = w->g_all + j * span;
    w->pp = w->pp_all + j * span;
    w->tr = w->trs[j];
    w->aux_r = w->aux_all + (p->aux ? j * w->cap : 0);
    for (unsigned o = 0; o < p->nout; o++)
        w->io.arith[o] = p->out[o].width >= 2 ? w->arith_win[o] : (uint64_t *)w->arith_all[o];
}

/* Element e of window j's held arithmetic output o (width >= 2), and its
 * store (v reduced to the output's width). */
static uint64_t arith_get(const wn_ws *w, unsigned o, size_t j, size_t e)
{
    const size_t i = j * w->cap + e;
    return w->narrow ? ((const uint32_t *)w->arith_all[o])[i] : ((const uint64_t *)w->arith_all[o])[i];
}

static void arith_put(wn_ws *w, unsigned o, size_t j, size_t e, uint64_t v)
{
    const size_t i = j * w->cap + e;
    if (w->narrow)
        ((uint32_t *)w->arith_all[o])[i] = (uint32_t)v;
    else
        ((uint64_t *)w->arith_all[o])[i] = v;
}

/* The B2A receiver's held hash i of window j. */
static uint64_t bh_get(const wn_ws *w, size_t j, size_t i)
{
    const size_t x = j * w->bk_cap + i;
    return w->narrow ? ((const uint32_t *)w->bhsave)[x] : ((const uint64_t *)w->bhsave)[x];
}

static void bh_put(wn_ws *w, size_t j, size_t i, uint64_t h)
{
    const size_t x = j * w->bk_cap + i;
    if (w->narrow)
        ((uint32_t *)w->bhsave)[x] = (uint32_t)h;
    else
        ((uint64_t *)w->bhsave)[x] = h;
}

/*
 * A view of the window's state restricted to sub-chunk s (elements
 * [s*C, s*C + k)): the vectors start at the sub-chunk's first word (C is a
 * multiple of 256), the inputs at its first element, and party 1's
 * hashes and choices at the sub-chunk's first OT. The functions below work
 * on a view as on a chunk of k elements.
 */
static void sub_view(const wn_ws *w, wn_ws *v, size_t s)
{
    const sirnn_wn_plan *p = w->p;
    const size_t e0 = s * w->C, w0 = e0 / 64;
    const size_t kko = s * kk_count(p, w->C), iko = s * p->ik_leaves * w->C;
    *v = *w;
    v->g += w0;
    v->pp += w0;
    v->tr.ta += w0;
    v->tr.tb += w0;
    v->tr.tc += w0;
    v->tr.pa += w0;
    v->tr.pb1 += w0;
    v->tr.pc1 += w0;
    v->tr.pb2 += w0;
    v->tr.pc2 += w0;
    for (int i = 0; i < 3; i++)
        v->io.in[i] += e0;
    v->io.aux_choice += e0;
    v->io.aux_table += e0;
    v->aux_r += e0;
    if (!w->server) {
        v->kk.h += kko;
        v->ik.h0 += iko;
        v->choice += kko + iko;
    }
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

/* Party 1: a leaf's shares (g in bit 0, p in bit 1, or p alone) into the
 * first k bits of its vectors (whole words: the vectors may be a view). */
static void store_leaf(wn_ws *w, unsigned li, const uint64_t *src, size_t k)
{
    const size_t W = w->W;
    const int p_only = w->p->node[li].need == SIRNN_WN_P;
    uint64_t *g = w->g + li * W, *pv = w->pp + li * W;
    for (size_t j = 0; j * 64 < k; j++) {
        uint64_t gw = 0, pw = 0;
        const size_t end = k - j * 64 < 64 ? k - j * 64 : 64;
        for (size_t b = 0; b < end; b++) {
            const uint64_t v = src[j * 64 + b];
            gw |= (p_only ? 0 : v & 1) << b;
            pw |= ((v >> (p_only ? 0 : 1)) & 1) << b;
        }
        g[j] = gw;
        pv[j] = pw;
    }
}

/* Party 1: leaf, triple and auxiliary shares from the messages in w->wire. */
static void receiver_outputs(wn_ws *w, size_t k)
{
    const sirnn_wn_plan *p = w->p;
    const uint8_t *in = w->wire;
    uint64_t *mc = w->mc;
    size_t ot = 0;
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

/* A group: k elements from the batch's element off, in windows of the
 * workspace's cap; prep (NULL: the caller filled the one window's inputs)
 * fills a window's inputs. */
typedef struct wn_group {
    sirnn_wn_prep_fn prep;
    sirnn_wn_post_fn post; /* with hooks: each window's outputs before the last hook */
    void *ctx;
    size_t off, k, nw;
} wn_group;

static size_t win_k(const wn_ws *w, const wn_group *gr, size_t j)
{
    const size_t e0 = j * w->cap;
    return gr->k - e0 < w->cap ? gr->k - e0 : w->cap;
}

static size_t sub_k(const wn_ws *w, size_t k, size_t s)
{
    return k - s * w->C < w->C ? k - s * w->C : w->C;
}

/* The inputs of window j into io (prep is pure: calling it again gives the
 * same inputs). */
static void win_inputs(wn_ws *w, const wn_group *gr, size_t j)
{
    w->io.off = gr->off + j * w->cap;
    w->io.k = win_k(w, gr, j);
    if (gr->prep == NULL || w->prepped == j + 1)
        return;
    gr->prep(gr->ctx, w->server, &w->io);
    w->prepped = j + 1;
}

/* Party 1: keep the low byte of window j's OT hashes (messages are at most
 * two bits wide), or put them back as the hashes. */
static void hash_keep(wn_ws *w, size_t j, size_t k, int restore)
{
    const sirnn_wn_plan *p = w->p;
    const size_t nkk = over_subs(kk_count, p, w->C, k), nik = p->ik_leaves * k;
    uint8_t *s = w->hsave + j * (w->kk_cap + w->ik_cap);
    if (restore) {
        for (size_t i = 0; i < nkk; i++)
            w->kk.h[i] = s[i];
        for (size_t i = 0; i < nik; i++)
            w->ik.h0[i] = (sirnn_block){{s[w->kk_cap + i], 0}};
    } else {
        for (size_t i = 0; i < nkk; i++)
            s[i] = (uint8_t)w->kk.h[i];
        for (size_t i = 0; i < nik; i++)
            s[w->kk_cap + i] = (uint8_t)w->ik.h0[i].w[0];
    }
}

/* The largest N and message width of the plan's 1-of-N OTs (leaves of
 * two or more bits, triples: N = 8 or 16 with 2 bits, or 4 with 1;
 * the auxiliary bit: N = 4, 1 bit). */
static void kk_shape(const sirnn_wn_plan *p, unsigned *nmax, unsigned *lmax)
{
    unsigned N = 4, l = 1;
    for (unsigned i = 0; i < p->nnodes; i++) {
        const sirnn_wn_node *nd = &p->node[i];
        if (nd->kind != SIRNN_WN_LEAF || nd->need == 0 || nd->w == 1)
            continue;
        if ((1u << nd->w) > N)
            N = 1u << nd->w;
        if (popc(nd->need) > l)
            l = popc(nd->need);
    }
    if (p->npair > 0) {
        N = N > 16 ? N : 16;
        l = l > 2 ? l : 2;
    }
    *nmax = N;
    *lmax = l;
}

/* Flights 1 and 2: the OTs of every leaf, triple and auxiliary bit of the
 * group, a window and a sub-chunk at a time on each side. On the silent
 * backend the sender's tiles lead its messages and the receiver takes its
 * rows just before it reads them (sirnn_akk_ws_silent), window by window in
 * the order of its choices; the hashes hash_keep saves are then recomputed
 * by the rows. */
static sirnn_status ot_flights(wn_ws *w, sirnn_lane *lane, const wn_group *gr,
                               const sirnn_flight_hooks *hk)
{
    const sirnn_wn_plan *p = w->p;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    wn_ws v;
    sirnn_status st = SIRNN_OK;
    if (!w->kk_ready) {
        unsigned nmax, lmax;
        kk_shape(p, &nmax, &lmax);
        if ((st = sirnn_akk_ws_silent(&w->kk, &ol->iknp_send, &ol->iknp_recv, nmax, lmax)) !=
            SIRNN_OK)
            return st;
        w->kk_ready = 1;
    }
    /* The triples ride on the same silent engines as the KK13 phases (every
     * window's: win_view copies them into w->tr). */
    const int silent = w->kk.nco_b > 0 && ch->mux == NULL;
    for (size_t j = 0; j < w->nwin; j++)
        w->trs[j].silent = silent;
    w->tr.silent = silent;
    if (w->server) {
        for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
            const size_t k = win_k(w, gr, j), nsub = (k + w->C - 1) / w->C;
            size_t bytes = 0;
            win_view(w, j);
            win_inputs(w, gr, j);
            for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
                const size_t ks = sub_k(w, k, s);
                sub_view(w, &v, s);
                v.wire = w->wire + j * w->wstride + bytes;
                st = sirnn_triples_ot_rows(&v.kk, &v.ik, ol, ch, kk_run(w, ks), p->ik_leaves * ks);
                if (st == SIRNN_OK && w->tr.silent)
                    st = sirnn_triples_silent_send(&v.tr, ol, ch, ks);
                if (st == SIRNN_OK)
                    bytes += sender_messages(&v, &ol->kk_send, ks);
            }
        }
        const uint64_t mark = sirnn_akk_send_mark(&w->kk, ch);
        if (st == SIRNN_OK && hk != NULL)
            st = hk->received(hk->ctx, 1);
        if (st == SIRNN_OK)
            st = sirnn_akk_send_emit(&w->kk, ch, mark);
        for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++)
            st = sirnn_channel_send(ch, w->wire + j * w->wstride, win_msg_bytes(w, win_k(w, gr, j)));
        return st;
    }
    if (kk_count(p, 1) + p->ik_leaves == 0)
        return SIRNN_OK;
    for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
        const size_t k = win_k(w, gr, j), nsub = (k + w->C - 1) / w->C;
        win_view(w, j);
        win_inputs(w, gr, j);
        for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
            const size_t ks = sub_k(w, k, s);
            sub_view(w, &v, s);
            receiver_choices(&v, ks);
            st = sirnn_triples_ot_columns(&v.kk, &v.ik, ol, ch, v.choice, kk_run(w, ks),
                                          p->ik_leaves * ks);
            if (st == SIRNN_OK && w->tr.silent)
                st = sirnn_triples_silent_choices(&v.tr, ol, ch, ks);
        }
        hash_keep(w, j, k, 0);
    }
    if (st == SIRNN_OK && hk != NULL)
        st = hk->sent(hk->ctx, 1);
    for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
        const size_t k = win_k(w, gr, j), nsub = (k + w->C - 1) / w->C;
        win_view(w, j);
        win_inputs(w, gr, j);
        hash_keep(w, j, k, 1);
        for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
            const size_t ks = sub_k(w, k, s);
            sub_view(w, &v, s);
            receiver_choices(&v, ks);
            st = sirnn_akk_recv_rows(&v.kk, ch, v.choice, kk_run(w, ks));
            if (st == SIRNN_OK && w->tr.silent)
                st = sirnn_triples_silent_recv_rows(&v.tr, ol, ch, ks);
        }
        for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
            const size_t ks = sub_k(w, k, s);
            sub_view(w, &v, s);
            receiver_choices(&v, ks);
            st = sirnn_channel_recv(ch, w->wire, msg_run(w, ks));
            if (st == SIRNN_OK)
                receiver_outputs(&v, ks);
        }
    }
    return st;
}

/* Level t's linear nodes of window j (its inputs fetched if they read one). */
static void win_lin(wn_ws *w, const wn_group *gr, size_t j, unsigned t)
{
    if (w->lin_in >> t & 1)
        win_inputs(w, gr, j);
    eval_lin(w, t, win_k(w, gr, j), w->server);
}

/* This party's openings of level t, window by window (recomputed from the
 * gates' inputs, which finishing a level leaves alone). */
static sirnn_status send_openings(wn_ws *w, sirnn_channel *ch, const wn_group *gr, unsigned t)
{
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
        win_view(w, j);
        const size_t nv = level_openings(w, t), k = win_k(w, gr, j);
        for (size_t i = 0; i < nv && st == SIRNN_OK; i++)
            st = sirnn_bv_send(ch, w->open_mine + i * w->W, k);
    }
    return st;
}

/* Read the peer's openings of level t and finish the level, window by
 * window. */
static sirnn_status finish_level(wn_ws *w, sirnn_channel *ch, const wn_group *gr, unsigned t)
{
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
        win_view(w, j);
        const size_t nv = level_openings(w, t), k = win_k(w, gr, j);
        for (size_t i = 0; i < nv && st == SIRNN_OK; i++)
            st = sirnn_bv_recv(ch, w->open_peer + i * w->W, k);
        if (st != SIRNN_OK)
            break;
        level_finish(w, t, w->server);
        win_lin(w, gr, j, t);
    }
    return st;
}

/* The tree, one flight per level for the whole group: the party that goes
 * first at level t sends its openings, then reads the peer's; the other
 * reads first, so that its openings of this level and the next leave in
 * one flight. hk sees flight t + 1 as sirnn_triples_exchange shows it. */
static sirnn_status tree_flights(wn_ws *w, sirnn_lane *lane, const wn_group *gr,
                                 const sirnn_flight_hooks *hk)
{
    const sirnn_wn_plan *p = w->p;
    const int server = w->server;
    sirnn_channel *ch = &lane->ch;
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < gr->nw; j++) {
        win_view(w, j);
        win_lin(w, gr, j, 0);
    }
    for (unsigned t = 1; t <= p->nlevels && st == SIRNN_OK; t++) {
        if ((t % 2 == 1) == server) {
            st = send_openings(w, ch, gr, t);
            if (st == SIRNN_OK && hk != NULL)
                st = hk->sent(hk->ctx, t + 1);
            if (st == SIRNN_OK)
                st = finish_level(w, ch, gr, t);
        } else {
            st = finish_level(w, ch, gr, t);
            if (st == SIRNN_OK && hk != NULL)
                st = hk->received(hk->ctx, t + 1);
            if (st == SIRNN_OK)
                st = send_openings(w, ch, gr, t);
        }
    }
    return st;
}

/* B2A of the outputs with a width >= 2, one flight each way after the
 * tree: the receiver's columns of every window ride with its last tree
 * flight, the sender answers with the corrections of every window. */
static sirnn_status b2a_flights(wn_ws *w, sirnn_lane *lane, const wn_group *gr)
{
    const sirnn_wn_plan *p = w->p;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    sirnn_status st = SIRNN_OK;
    if (w->server == b2a_recv_is_server(p)) {
        for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
            const size_t k = win_k(w, gr, j), nsub = (k + w->C - 1) / w->C;
            win_view(w, j);
            gather_outputs(w, k);
            for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
                const size_t e0 = s * w->C, ks = sub_k(w, k, s);
                size_t o2 = 0;
                for (unsigned o = 0; o < p->nout; o++)
                    if (p->out[o].width >= 2)
                        memcpy(w->bc + ks * o2++, w->io.bits[o] + e0, ks);
                sirnn_aiknp_ws sub = w->bk;
                sub.h0 += s * p->nb2a * w->C;
                st = sirnn_aiknp_recv_u(&sub, &ol->iknp_recv, ch, w->bc, p->nb2a * ks);
            }
            for (size_t i = 0; i < p->nb2a * k; i++)
                bh_put(w, j, i, w->bk.h0[i].w[0]);
        }
        for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
            const size_t k = win_k(w, gr, j), nsub = (k + w->C - 1) / w->C;
            win_view(w, j);
            gather_outputs(w, k);
            for (size_t i = 0; i < p->nb2a * k; i++)
                w->bk.h0[i] = (sirnn_block){{bh_get(w, j, i), 0}};
            for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
                const size_t e0 = s * w->C, ks = sub_k(w, k, s);
                if ((st = sirnn_channel_recv(ch, w->wire, b2a_bytes(p, ks))) != SIRNN_OK)
                    break;
                const uint8_t *in = w->wire;
                size_t o2 = 0;
                for (unsigned o = 0; o < p->nout; o++) {
                    const unsigned wd = p->out[o].width;
                    if (wd < 2)
                        continue;
                    const uint64_t mask = sirnn_mask(wd);
                    uint64_t *y = w->by;
                    sirnn_unpack(y, in, ks, wd - 1);
                    in += sirnn_pack_size(ks, wd - 1);
                    sirnn_aiknp_ws sub = w->bk;
                    sub.h0 += s * p->nb2a * w->C + o2 * ks;
                    const uint8_t *b = w->io.bits[o] + e0;
                    sirnn_aiknp_cot_out(&sub, y, y, b, ks, wd - 1);
                    for (size_t e = 0; e < ks; e++)
                        arith_put(w, o, j, e0 + e, (b[e] - 2 * y[e]) & mask);
                    o2++;
                }
            }
        }
        return st;
    }
    for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++) {
        const size_t k = win_k(w, gr, j), nsub = (k + w->C - 1) / w->C;
        uint8_t *out = w->wire + j * w->wstride;
        win_view(w, j);
        gather_outputs(w, k);
        for (size_t s = 0; s < nsub && st == SIRNN_OK; s++) {
            const size_t e0 = s * w->C, ks = sub_k(w, k, s);
            if ((st = sirnn_aiknp_send_rows(&w->bk, &ol->iknp_send, ch, p->nb2a * ks)) !=
                SIRNN_OK)
                break;
            size_t o2 = 0;
            for (unsigned o = 0; o < p->nout; o++) {
                const unsigned wd = p->out[o].width;
                if (wd < 2)
                    continue;
                const uint64_t mask = sirnn_mask(wd);
                uint64_t *x = w->bx, *y = w->by;
                const uint8_t *b = w->io.bits[o] + e0;
                for (size_t e = 0; e < ks; e++)
                    x[e] = b[e];
                sirnn_aiknp_ws sub = w->bk;
                sub.h0 += o2 * ks;
                sub.h1 += o2 * ks;
                sirnn_aiknp_cot_msgs(&sub, x, y, x, ks, wd - 1);
                sirnn_pack(out, y, ks, wd - 1);
                out += sirnn_pack_size(ks, wd - 1);
                for (size_t e = 0; e < ks; e++)
                    arith_put(w, o, j, e0 + e, (b[e] + 2 * x[e]) & mask);
                o2++;
            }
        }
    }
    for (size_t j = 0; j < gr->nw && st == SIRNN_OK; j++)
        st = sirnn_channel_send(ch, w->wire + j * w->wstride,
                                over_subs(b2a_bytes, p, w->C, win_k(w, gr, j)));
    return st;
}

/* The whole network on a group (hk only without B2A outputs); the outputs
 * are gathered per window by the caller, or with hk here: into the
 * caller's io (one window, no post) or handed to gr->post window by
 * window, before the last hook. */
static sirnn_status run_group(wn_ws *w, sirnn_lane *lane, const wn_group *gr,
                              const sirnn_flight_hooks *hk)
{
    const sirnn_wn_plan *p = w->p;
    const int server = w->server;
    sirnn_status st;
    for (size_t j = 0; j < gr->nw; j++) {
        win_view(w, j);
        sirnn_triples_draw(&w->tr, &lane->prg, server);
        if (server) {
            /* Leaf masks: only the leaves' vectors are sent, the rest is overwritten. */
            sirnn_bv_random(&lane->prg, w->g, p->nnodes, w->W);
            sirnn_bv_random(&lane->prg, w->pp, p->nnodes, w->W);
            if (p->aux)
                sirnn_prg_bytes(&lane->prg, w->aux_r, win_k(w, gr, j));
        }
    }
    if ((st = ot_flights(w, lane, gr, hk)) != SIRNN_OK ||
        (st = tree_flights(w, lane, gr, hk)) != SIRNN_OK)
        return st;
    if (hk != NULL) {
        /* The last flight, T + 2: party 0 sends it when T is even. The
         * outputs are there for its hook: every window's in gr->out, or the
         * one window's in io.bits. */
        const unsigned last = p->nlevels + 2;
        if (gr->post == NULL)
            gather_outputs(w, gr->k);
        for (size_t j = 0; gr->post != NULL && j < gr->nw; j++) {
            win_view(w, j);
            win_inputs(w, gr, j);
            gather_outputs(w, win_k(w, gr, j));
            if ((st = gr->post(gr->ctx, server, &w->io)) != SIRNN_OK)
                return st;
        }
        if (((last % 2) == 0) == server)
            return hk->sent(hk->ctx, last);
        return hk->received(hk->ctx, last);
    }
    if (p->nb2a == 0)
        return SIRNN_OK;
    return b2a_flights(w, lane, gr);
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
    const size_t n = end - begin, cap = sirnn_stream_window(begin, end);
    const size_t nw = (n + cap - 1) / cap;
    const size_t gw = sirnn_stream_group(party, window_state_bytes(c->plan, cap), nw);
    wn_ws w;
    sirnn_status st = ws_init(&w, c->plan, cap, gw, server);
    if (st != SIRNN_OK)
        return st;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += gw * cap) {
        const size_t k = end - off < gw * cap ? end - off : gw * cap;
        const wn_group gr = {.prep = c->prep, .ctx = c->ctx, .off = off, .k = k,
                             .nw = (k + cap - 1) / cap};
        w.io.lane = lane;
        w.prepped = 0;
        st = run_group(&w, lane, &gr, NULL);
        for (size_t j = 0; j < gr.nw && st == SIRNN_OK; j++) {
            const size_t kj = win_k(&w, &gr, j);
            win_view(&w, j);
            win_inputs(&w, &gr, j);
            gather_outputs(&w, kj);
            for (unsigned o = 0; o < c->plan->nout; o++) {
                if (c->plan->out[o].width == 1)
                    for (size_t e = 0; e < kj; e++)
                        w.io.arith[o][e] = w.io.bits[o][e];
                else if (c->plan->out[o].width >= 2)
                    for (size_t e = 0; e < kj; e++)
                        w.io.arith[o][e] = arith_get(&w, o, j, e);
            }
            st = c->post(c->ctx, server, &w.io);
        }
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
    /* The session's memory cap bounds what a group carries between flights. */
    wn_ctx c = {.plan = plan, .prep = prep, .post = post, .ctx = ctx};
    return sirnn_batch_run(party, n, wn_lane, &c);
}

/* ---------------- chunk-level evaluation for other protocols ---------------- */

size_t sirnn_wn_window_bytes(const sirnn_wn_plan *plan, size_t cap)
{
    return window_state_bytes(plan, cap > 0 ? cap : 1);
}

sirnn_wn_ws *sirnn_wn_ws_new(const sirnn_wn_plan *p, int server, size_t cap)
{
    return sirnn_wn_ws_new_group(p, server, cap, 1);
}

sirnn_wn_ws *sirnn_wn_ws_new_group(const sirnn_wn_plan *p, int server, size_t cap, size_t nwin)
{
    wn_ws *w = malloc(sizeof(*w));
    if (w == NULL)
        return NULL;
    if (ws_init(w, p, cap, nwin, server) != SIRNN_OK) {
        free(w);
        return NULL;
    }
    win_view(w, 0);
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

sirnn_status sirnn_wn_chunk_run(sirnn_wn_ws *w, sirnn_lane *lane, size_t k,
                                const sirnn_flight_hooks *hooks)
{
    const wn_group gr = {.prep = NULL, .post = NULL, .ctx = NULL, .off = 0, .k = k, .nw = 1};
    w->io.lane = lane;
    w->io.k = k;
    return run_group(w, lane, &gr, hooks);
}

sirnn_status sirnn_wn_group_run(sirnn_wn_ws *w, sirnn_lane *lane, size_t off, size_t k,
                                sirnn_wn_prep_fn prep, sirnn_wn_post_fn post, void *ctx,
                                const sirnn_flight_hooks *hooks)
{
    const size_t nw = k == 0 ? 1 : (k + w->cap - 1) / w->cap;
    if (nw > w->nwin || prep == NULL || post == NULL || w->p->nb2a > 0)
        return SIRNN_ERR_STATE;
    const wn_group gr = {.prep = prep, .post = post, .ctx = ctx, .off = off, .k = k, .nw = nw};
    w->io.lane = lane;
    w->prepped = 0;
    sirnn_status st = run_group(w, lane, &gr, hooks);
    if (st != SIRNN_OK || hooks != NULL)
        return st;
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        win_view(w, j);
        win_inputs(w, &gr, j);
        gather_outputs(w, win_k(w, &gr, j));
        st = post(ctx, w->server, &w->io);
    }
    return st;
}
