/*
 * The comparison family of CrypTFlow2: millionaires' protocol with a
 * log-depth AND tree on Beaver bit triples, equality, wrap, MSB,
 * MSB-to-wrap and ReLU (see include/sirnn/arith.h for the protocols and
 * their costs).
 *
 * A comparison is a carry network of arith/wnet.h: blocks of m bits (the
 * top one narrower) whose leaves are 1-of-2^m OTs, combined by the same tree
 * of Beaver ANDs. The network computes g = 1{a < b} and p = 1{a == b} with
 * a = the complement of party 0's input and b = party 1's, so each call
 * only chooses what the parties feed in:
 *   x < y:  party 0 feeds ~x, party 1 y;
 *   x > y:  party 0 feeds x,  party 1 ~y (complementing both reverses the order);
 *   wrap(x0, x1) = 1{2^l - 1 - x0 < x1}: both feed their shares.
 * Flights of a chunk: party 1's extension columns of all leaf and triple
 * OTs; party 0's messages with its openings of the first level; then one
 * flight per level, the parties alternating: L + 2 for L levels.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "arith/otphase.h"
#include "arith/wnet.h"
#include "ot/lane.h"

#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)
#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

/* Bytes of one packed segment. */
static size_t seg_bytes(size_t count, unsigned N, unsigned bits)
{
    return sirnn_pack_size(count * N, bits);
}

typedef enum cmp_kind { K_MILL, K_EQ, K_WRAP, K_MSB } cmp_kind;

/* The network of one comparison of l-bit values in m-bit blocks: output 0
 * is g (p for equality only), output 1 is p when want_eq. */
static sirnn_status cmp_plan(sirnn_wn_plan *p, unsigned l, unsigned m, int want_g, int want_eq)
{
    sirnn_wn_init(p);
    const unsigned root = sirnn_wn_blocks(p, 0, 0, l, m);
    if (want_g)
        sirnn_wn_output(p, root, SIRNN_WN_G, 0);
    if (want_eq)
        sirnn_wn_output(p, root, SIRNN_WN_P, 0);
    return sirnn_wn_finalize(p);
}

/* ---------------- chunk-level comparison for other protocols ---------------- */

typedef struct lt_ws {
    sirnn_wn_plan plan;
    sirnn_wn_ws *net;
    sirnn_lt_in_fn in;   /* a group run's callbacks (sirnn_lt_group) */
    sirnn_lt_out_fn out;
    void *ctx;
} lt_ws;

void sirnn_lt_ws_delete(void *ws)
{
    lt_ws *w = ws;
    if (w != NULL) {
        sirnn_wn_ws_delete(w->net);
        free(w);
    }
}

void *sirnn_lt_ws_new(int server, unsigned l, size_t cap, size_t *chunk, unsigned *flights)
{
    void *w = sirnn_lt_ws_new_group(server, l, cap, 1, flights);
    if (w != NULL)
        *chunk = cap > 0 ? cap : 1;
    return w;
}

void *sirnn_lt_ws_new_group(int server, unsigned l, size_t cap, size_t nwin, unsigned *flights)
{
    lt_ws *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    if (cmp_plan(&w->plan, l, SIRNN_CMP_M_DEFAULT, 1, 0) != SIRNN_OK ||
        (w->net = sirnn_wn_ws_new_group(&w->plan, server, cap > 0 ? cap : 1,
                                        nwin > 0 ? nwin : 1)) == NULL) {
        sirnn_lt_ws_delete(w);
        return NULL;
    }
    *flights = w->plan.nlevels + 2;
    return w;
}

size_t sirnn_lt_window_bytes(unsigned l, size_t cap)
{
    sirnn_wn_plan *p = malloc(sizeof(*p));
    size_t b = SIZE_MAX; /* out of memory: one window per group */
    if (p != NULL && cmp_plan(p, l, SIRNN_CMP_M_DEFAULT, 1, 0) == SIRNN_OK)
        b = sirnn_wn_window_bytes(p, cap);
    free(p);
    return b;
}

static void lt_prep(void *vctx, int server, sirnn_wn_chunk *c)
{
    const lt_ws *w = vctx;
    w->in(w->ctx, c->off, c->k, c->in[0]);
    /* 1{x < y}: party 0 feeds the complement of x. */
    if (server)
        for (size_t i = 0; i < c->k; i++)
            c->in[0][i] = ~c->in[0][i];
}

static sirnn_status lt_post(void *vctx, int server, sirnn_wn_chunk *c)
{
    (void)server;
    const lt_ws *w = vctx;
    w->out(w->ctx, c->off, c->k, c->bits[0]);
    return SIRNN_OK;
}

sirnn_status sirnn_lt_group(sirnn_party *party, sirnn_lane *lane, void *ws, size_t off, size_t k,
                            sirnn_lt_in_fn in, sirnn_lt_out_fn out, void *ctx,
                            const sirnn_flight_hooks *hooks)
{
    (void)party;
    lt_ws *w = ws;
    w->in = in;
    w->out = out;
    w->ctx = ctx;
    return sirnn_wn_group_run(w->net, lane, off, k, lt_prep, lt_post, w, hooks);
}

sirnn_status sirnn_lt_chunk(sirnn_party *party, sirnn_lane *lane, void *ws, uint8_t *out,
                            const uint64_t *in, size_t k, const sirnn_flight_hooks *hooks)
{
    lt_ws *w = ws;
    const int server = party->role == SIRNN_SERVER;
    sirnn_wn_chunk *c = sirnn_wn_ws_chunk(w->net);
    /* 1{x < y}: party 0 feeds the complement of x. */
    const uint64_t flip = server ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < k; i++)
        c->in[0][i] = in[i] ^ flip;
    /* The outputs go straight to out: the last hook may read them. */
    uint8_t *own = c->bits[0];
    c->bits[0] = out;
    sirnn_status st = sirnn_wn_chunk_run(w->net, lane, k, hooks);
    c->bits[0] = own;
    return st;
}

/* ---------------- the comparison calls ---------------- */

typedef struct cmp_ctx {
    cmp_kind kind;
    int gt;            /* millionaire: x > y */
    unsigned l;        /* the caller's width */
    unsigned lc;       /* width compared */
    uint8_t *cmp, *eq; /* bit outputs */
    const uint64_t *in;
} cmp_ctx;

static void cmp_prep(void *vctx, int server, sirnn_wn_chunk *ch)
{
    const cmp_ctx *c = vctx;
    const uint64_t *x = c->in + ch->off;
    /* What each party feeds the network (see the top of the file). */
    const int complement = (c->kind == K_MILL || c->kind == K_EQ)
                               ? (server ? !c->gt : c->gt)
                               : 0;
    const uint64_t flip = complement ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < ch->k; i++)
        ch->in[0][i] = x[i] ^ flip;
}

static sirnn_status cmp_post(void *vctx, int server, sirnn_wn_chunk *ch)
{
    (void)server;
    const cmp_ctx *c = vctx;
    const size_t off = ch->off, k = ch->k;
    switch (c->kind) {
    case K_MILL:
        memcpy(c->cmp + off, ch->bits[0], k);
        if (c->eq != NULL)
            memcpy(c->eq + off, ch->bits[1], k);
        return SIRNN_OK;
    case K_EQ:
        memcpy(c->eq + off, ch->bits[0], k);
        return SIRNN_OK;
    case K_WRAP:
        memcpy(c->cmp + off, ch->bits[0], k);
        return SIRNN_OK;
    case K_MSB:
        break;
    }
    /* MSB = msb(x0) ^ msb(x1) ^ wrap of the low l - 1 bits. */
    const uint64_t *x = c->in + off;
    uint8_t *bits = ch->bits[0];
    for (size_t i = 0; i < k; i++)
        bits[i] = (uint8_t)(bits[i] ^ ((x[i] >> (c->l - 1)) & 1));
    if (c->cmp != NULL)
        memcpy(c->cmp + off, bits, k);
    return SIRNN_OK;
}

/* Runs a comparison-family call on the network of c->lc-bit values. */
static sirnn_status cmp_run(sirnn_party *party, size_t n, cmp_ctx *c, unsigned m)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    sirnn_wn_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    const int want_g = c->kind != K_EQ;
    const int want_eq = c->kind == K_EQ || (c->kind == K_MILL && c->eq != NULL);
    st = cmp_plan(p, c->lc, m, want_g, want_eq);
    if (st == SIRNN_OK)
        st = sirnn_ot_ensure_setup(party);
    if (st == SIRNN_OK)
        st = sirnn_wn_run(party, n, p, cmp_prep, cmp_post, c);
    free(p);
    return st;
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
    cmp_ctx c = {.kind = K_MILL, .gt = op == SIRNN_CMP_GT, .l = l, .lc = l, .cmp = cmp,
                 .eq = eq, .in = in};
    return cmp_run(party, n, &c, leaf_m(m));
}

sirnn_status sirnn_eq(sirnn_party *party, size_t n, uint8_t *eq, const uint64_t *in, unsigned l,
                      unsigned m)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || m > 8 || NULL_WITH_N(n, eq) || NULL_WITH_N(n, in))
        return sirnn_arith_arg(party, "sirnn_eq", "l outside 1..64, m outside 0..8 or NULL array");
    cmp_ctx c = {.kind = K_EQ, .l = l, .lc = l, .eq = eq, .in = in};
    return cmp_run(party, n, &c, leaf_m(m));
}

sirnn_status sirnn_wrap(sirnn_party *party, size_t n, uint8_t *out, const uint64_t *x,
                        unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, x))
        return sirnn_arith_arg(party, "sirnn_wrap", "l outside 1..64 or NULL array");
    cmp_ctx c = {.kind = K_WRAP, .l = l, .lc = l, .cmp = out, .in = x};
    return cmp_run(party, n, &c, SIRNN_CMP_M_DEFAULT);
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
    cmp_ctx c = {.kind = K_MSB, .l = l, .lc = l - 1, .cmp = out, .in = x};
    return cmp_run(party, n, &c, SIRNN_CMP_M_DEFAULT);
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
    /* MSB of the whole batch (streamed), then MUX(NOT msb, x) (streamed):
     * the MUX's columns leave with the comparison's last flight. */
    uint8_t *keep = malloc(n);
    if (keep == NULL)
        return SIRNN_ERR_NOMEM;
    cmp_ctx c = {.kind = K_MSB, .l = l, .lc = l - 1, .cmp = keep, .in = x};
    st = cmp_run(party, n, &c, SIRNN_CMP_M_DEFAULT);
    if (st == SIRNN_OK) {
        const uint8_t flip = party->role == SIRNN_SERVER ? 1 : 0;
        for (size_t i = 0; i < n; i++) {
            if (sign != NULL)
                sign[i] = keep[i];
            keep[i] = (uint8_t)(keep[i] ^ flip);
        }
        st = sirnn_mux(party, n, out, keep, x, l);
    }
    sirnn_memzero(keep, n);
    free(keep);
    return st;
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
    const size_t CH = sirnn_window_cap(begin, end);
    sirnn_akk_ws kw;
    sirnn_status st = server ? sirnn_akk_ws_init_roles(&kw, CH, 0)
                             : sirnn_akk_ws_init_roles(&kw, 0, CH);
    if (st != SIRNN_OK)
        return st;
    uint8_t *choice = malloc(CH), *wire = malloc(CH / 2 + 8), *r = malloc(CH);
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
