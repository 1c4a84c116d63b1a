/*
 * Carry networks: the shared engine of extension, truncation, shifts,
 * division by 2^s and digit decomposition (arith/ext.c, arith/trunc.c,
 * arith/digdec.c).
 *
 * Every one of these needs carries (wraps) of bit ranges of a shared value
 * x = x0 + x1: for a block [off, off + w) of bits, party 0 takes
 * a = 2^w - 1 - (its block) and party 1 b = (its block); the block's
 * generate bit is g = 1{a < b} = 1{x0_blk + x1_blk >= 2^w} and its
 * propagate bit is p = 1{a == b} = 1{x0_blk + x1_blk == 2^w - 1}. Adjacent
 * ranges combine with (g, p) = (g_hi ^ p_hi g_lo, p_hi p_lo) (the
 * millionaires' tree of CrypTFlow2, where g is "lt" and p is "eq"), so the
 * wrap of any low range is the g of a node of the network.
 *
 * A plan is a DAG of nodes, fixed by public parameters only:
 *   - leaves: one block of one input (an element has up to three inputs), one
 *     KK13 1-of-2^w OT (IKNP chosen OT when w = 1) from party 0 to party 1
 *     whose 1- or 2-bit messages are party 0's fresh random shares XOR
 *     (g, p) of the block;
 *   - combinations (hi, lo), each one Beaver AND (g only or p only: a single
 *     triple, two per 1-of-16 OT) or two (g and p: a correlated pair, one
 *     1-of-8 OT), evaluated one level per flight;
 *   - linear nodes: a node's bit XOR a constant XOR bit `off` of each
 *     party's own input (free);
 *   - one optional auxiliary 1-of-4 OT of 1-bit messages per element (a
 *     function table given by party 0 and a 2-bit choice of party 1, used for
 *     MSB-to-wrap).
 * Outputs are bits of nodes (or the auxiliary bit), as boolean shares, and
 * for those with a width w >= 2 also as arithmetic shares mod 2^w (B2A: one
 * IKNP COT of w - 1 bits each, all in one extra flight; width 1 is the
 * boolean share itself).
 *
 * Only what the outputs need is computed: finalisation propagates the needs
 * from the outputs down and drops the rest (a leaf whose g or p is not needed
 * sends one bit, a combination whose p is not needed uses a single triple).
 *
 * Flights of a group (a lane's windows of up to SIRNN_WN_WINDOW elements,
 * see below; its OTs cut in chunks of plan->chunk elements): party 1's
 * extension columns (leaves, triples, auxiliary OT); party 0's OT messages
 * with its openings of level 1; then one flight per level, the parties
 * alternating (as in arith/cmp.c); the B2A columns ride with the last of
 * these flights (their receiver is the party that sends it), and the other
 * party answers with the corrections: with T levels, 2 + T flights, plus 1
 * if an output has a width >= 2, whatever the group's size.
 *
 * Streaming: every flight carries its part for every window of the group,
 * written window by window, so flights follow the network's depth, not the
 * batch. The two directions never overlap (each party reads the whole of
 * the peer's flight before it sends), so a flight of any size goes through
 * without the read buffer holding more than a kernel read. A group is the
 * lane's whole range unless the state carried between flights (below)
 * would pass the session's memory cap per lane (the smaller of both
 * parties' session_mem_bytes, over the lanes); then groups of as many
 * windows as fit run one after another, each with the flights above (at
 * the default 64 MiB, one lane: msb l = 32 streams 2^20 elements in one
 * group, and so do ars 32,12 (59 bytes per element on party 0) and digdec
 * 32,8; divpow2 32,12 takes two).
 *
 * Bits per element (one lane, large n): leaves 256 + 2^w*b (128 + 2b when
 * w = 1), b = 1 or 2 bits; combinations 148 (single, with the 4 bits of
 * openings) or 278 (pair, with 6 bits of openings); auxiliary OT 260; each
 * B2A output of width w: 128 + w - 1.
 * Exact per lane and chunk of k elements: party 1 sends 32*round128(K) +
 * 16*round128(I) bytes of columns, K = (KK13 leaves + pairs + aux)*k +
 * ceil(singles*k/2), I = (1-bit leaves)*k; party 0 sends the messages
 * (ceil(k*2^w*b/8) per leaf, 2k per pair node, 4*floor(singles*k/2) + 1 if
 * singles*k is odd, ceil(k/2) for the auxiliary OT); both send
 * ceil(k/8) bytes per Beaver opening (2 per single, 3 per pair node, each
 * party); the B2A receiver sends 16*round128(B*k) bytes of columns and the
 * other party ceil(k*(w-1)/8) bytes per output, B outputs of width >= 2.
 *
 * Secrets: the inputs, the auxiliary tables and choices and every share;
 * the plan is public. No branch or memory index depends on a secret.
 * Memory per lane: one window's scratch (O(window * nodes), sized by the
 * lane's share of the batch when smaller) plus, for every window of the
 * group, what it carries between flights: the node bit vectors and triples
 * (2 bits per node and 3 or 5 per triple, per element), party 0's packed
 * OT messages between reading party 1's columns and sending them (msb
 * l = 32: 42 bytes per element), party 1's OT hashes cut to their low byte
 * (one byte per OT; its choices are recomputed), and, per B2A output, the
 * receiver's hashes and both parties' arithmetic shares (8 bytes each, 4
 * when every B2A output is at most 32 bits wide); the receiver's hashes
 * share one buffer with party 0's messages (they are taken after those
 * are sent), so a party holds the larger of the two, not both.
 */
#ifndef SIRNN_ARITH_WNET_H
#define SIRNN_ARITH_WNET_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "net/party_internal.h"
#include "arith/arith_internal.h"

/* Elements of a window: the unit of scratch memory; a lane streams all its
 * windows (up to its memory budget) through one set of flights. */
#define SIRNN_WN_WINDOW SIRNN_WINDOW
#define SIRNN_WN_MAX_NODES 320
#define SIRNN_WN_MAX_OUT 72
#define SIRNN_WN_MAX_LEVELS 24
#define SIRNN_WN_NONE 0xffffu
#define SIRNN_WN_AUX 0xfffeu /* pseudo node: the auxiliary OT's bit */

enum { SIRNN_WN_G = 1, SIRNN_WN_P = 2 };
enum { SIRNN_WN_LEAF = 0, SIRNN_WN_COMB = 1, SIRNN_WN_LIN = 2 };

typedef struct sirnn_wn_node {
    uint8_t kind;
    uint8_t need;   /* SIRNN_WN_G | SIRNN_WN_P, set by finalisation */
    uint8_t level;  /* 0 for leaves; a combination's flight level */
    uint8_t src;    /* leaf / linear: input index (0 or 1) */
    uint8_t off, w; /* leaf: block [off, off + w); linear: local bit off (w = 1: used) */
    uint8_t which;  /* linear: SIRNN_WN_G or SIRNN_WN_P of node a */
    uint8_t invert; /* linear: XOR a public 1 */
    uint16_t a, b;  /* combination: a = hi, b = lo; linear: a */
    uint16_t triple; /* combination: index among singles or pairs */
} sirnn_wn_node;

typedef struct sirnn_wn_out {
    uint16_t node;  /* or SIRNN_WN_AUX */
    uint8_t which;  /* SIRNN_WN_G or SIRNN_WN_P */
    uint8_t width;  /* 0: boolean only; 1..64: also arithmetic mod 2^width */
} sirnn_wn_out;

typedef struct sirnn_wn_plan {
    unsigned nnodes;
    sirnn_wn_node node[SIRNN_WN_MAX_NODES];
    unsigned nout;
    sirnn_wn_out out[SIRNN_WN_MAX_OUT];
    int aux;                       /* the auxiliary OT is used */
    int bad;                       /* a builder limit was exceeded */
    /* filled by sirnn_wn_finalize */
    unsigned nlevels;
    unsigned ngates;               /* used combinations, sorted by level */
    uint16_t gate[SIRNN_WN_MAX_NODES];
    unsigned level_end[SIRNN_WN_MAX_LEVELS + 1];
    unsigned nsingle, npair, kk_leaves, ik_leaves, nb2a;
    size_t chunk;                  /* elements per chunk, a multiple of 256 */
} sirnn_wn_plan;

void sirnn_wn_init(sirnn_wn_plan *p);
/* A leaf on bits [off, off + w) of input src (0..2, 1 <= w <= 8). */
unsigned sirnn_wn_leaf(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned w);
/* The combination of hi (higher bits) over lo. */
unsigned sirnn_wn_comb(sirnn_wn_plan *p, unsigned hi, unsigned lo);
/* A linear node: bit `which` of node a (none if a is SIRNN_WN_NONE), XOR
 * invert, XOR (if local_off < 64) bit local_off of each party's own input
 * src. */
unsigned sirnn_wn_lin(sirnn_wn_plan *p, unsigned a, unsigned which, unsigned invert,
                      unsigned src, unsigned local_off);
/* Bits [off, off + len) of input src (len >= 1) as a balanced tree of
 * blocks of at most 4 bits; returns its root. */
unsigned sirnn_wn_segment(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned len);
/* Bits [off, off + len) of input src in blocks of m bits (1 <= m <= 8) from
 * the lowest, the top block taking what is left (the millionaires' blocks of
 * CrypTFlow2), under the same tree as sirnn_wn_segment; returns its root. */
unsigned sirnn_wn_blocks(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned len, unsigned m);
/* Sklansky prefix over the roots of nseg adjacent ranges (root[0] lowest):
 * pre[i] = the node of ranges 0..i (pre[0] = root[0]). */
void sirnn_wn_prefix(sirnn_wn_plan *p, unsigned nseg, const unsigned *root, unsigned *pre);
/* Declare an output; returns its index. */
unsigned sirnn_wn_output(sirnn_wn_plan *p, unsigned node, unsigned which, unsigned width);
/* Needs, levels, triples and chunk size; SIRNN_ERR_ARG if a limit was hit. */
sirnn_status sirnn_wn_finalize(sirnn_wn_plan *p);

/* One window as the callbacks see it. */
typedef struct sirnn_wn_chunk {
    sirnn_lane *lane;
    size_t off, k;           /* elements [off, off + k) of the batch */
    uint64_t *in[3];         /* prep fills the inputs the plan reads (the party's shares) */
    uint8_t *aux_choice;     /* party 1: prep fills the choices 0..3 */
    uint8_t *aux_table;      /* party 0: prep fills bit v = f(v), v = 0..3 */
    uint8_t *bits[SIRNN_WN_MAX_OUT];   /* outputs: boolean shares */
    uint64_t *arith[SIRNN_WN_MAX_OUT]; /* outputs with a width: arithmetic shares */
} sirnn_wn_chunk;

typedef void (*sirnn_wn_prep_fn)(void *ctx, int server, sirnn_wn_chunk *c);
/* May communicate on c->lane (for example a MUX of the window). */
typedef sirnn_status (*sirnn_wn_post_fn)(void *ctx, int server, sirnn_wn_chunk *c);

/* Run the plan over n elements on every lane, its windows streamed in
 * groups (see above): prep, network, post. prep must be a pure function of
 * the window (it is called again whenever the network needs a window's
 * inputs); post runs per window after the group's last flight and may
 * communicate (its flights then add up per window). Checks nothing but the
 * party (the caller checked its arguments). */
sirnn_status sirnn_wn_run(sirnn_party *party, size_t n, const sirnn_wn_plan *plan,
                          sirnn_wn_prep_fn prep, sirnn_wn_post_fn post, void *ctx);

/*
 * One chunk at a time, for protocols that run their own chunk loop and put
 * other messages in the network's flights (the comparison of arith/cmp.c
 * inside mult and matmul). A workspace serves one plan (which must outlive
 * it) on one lane; a run takes up to the workspace's cap elements. Before each run
 * the caller fills the inputs (and auxiliary tables / choices) of
 * sirnn_wn_ws_chunk(w) for k elements; the run leaves the boolean outputs
 * in its bits[]. hooks (may be NULL; only for plans without B2A outputs)
 * see the flights as sirnn_lt_chunk documents them in arith_internal.h,
 * numbered 1 .. T + 2 for T levels.
 */
typedef struct sirnn_wn_ws sirnn_wn_ws;
/* NULL: out of memory. server: this party is party 0; runs take up to cap
 * elements (in sub-chunks of plan->chunk, one set of flights). */
sirnn_wn_ws *sirnn_wn_ws_new(const sirnn_wn_plan *plan, int server, size_t cap);
void sirnn_wn_ws_delete(sirnn_wn_ws *w); /* w may be NULL */
sirnn_wn_chunk *sirnn_wn_ws_chunk(sirnn_wn_ws *w);
sirnn_status sirnn_wn_chunk_run(sirnn_wn_ws *w, sirnn_lane *lane, size_t k,
                                const sirnn_flight_hooks *hooks);
/*
 * A group of windows through one set of flights, for callers that stream
 * their own windows (matmul): a workspace for up to nwin windows of cap
 * elements (sirnn_wn_window_bytes: what one window carries between
 * flights, for sizing a group with sirnn_stream_group). A group run
 * takes k <= nwin * cap elements, numbered from off for the callbacks:
 * prep fills a window's inputs (a pure function of the window, called
 * again when needed), post receives each window's boolean outputs (with
 * hooks: after the group's flights and before the last hook; plans
 * without B2A outputs only). The hooks see the group's flights as
 * sirnn_wn_chunk_run's.
 */
size_t sirnn_wn_window_bytes(const sirnn_wn_plan *plan, size_t cap);
sirnn_wn_ws *sirnn_wn_ws_new_group(const sirnn_wn_plan *plan, int server, size_t cap,
                                   size_t nwin);
sirnn_status sirnn_wn_group_run(sirnn_wn_ws *w, sirnn_lane *lane, size_t off, size_t k,
                                sirnn_wn_prep_fn prep, sirnn_wn_post_fn post, void *ctx,
                                const sirnn_flight_hooks *hooks);

#endif /* SIRNN_ARITH_WNET_H */
