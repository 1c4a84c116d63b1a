/*
 * B2A, MUX and AND (CrypTFlow2), on the lane engines through the
 * split-phase helpers of arith/otphase.h.
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

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Per-lane scratch of the linear protocols. */
typedef struct lin_ws {
    size_t cap; /* elements per chunk */
    sirnn_aiknp_ws snd, rcv;
    uint64_t *v[4];
    uint8_t *wire, *bits;
} lin_ws;

static void lin_free(lin_ws *w)
{
    sirnn_aiknp_ws_free(&w->snd);
    sirnn_aiknp_ws_free(&w->rcv);
    for (int i = 0; i < 4; i++) {
        if (w->v[i] != NULL)
            sirnn_memzero(w->v[i], w->cap * sizeof(uint64_t));
        free(w->v[i]);
    }
    if (w->bits != NULL)
        sirnn_memzero(w->bits, w->cap);
    free(w->wire);
    free(w->bits);
    memset(w, 0, sizeof(*w));
}

static sirnn_status lin_init(lin_ws *w, size_t cap, int need_snd, int need_rcv)
{
    memset(w, 0, sizeof(*w));
    w->cap = cap;
    sirnn_status st = SIRNN_OK;
    if (need_snd)
        st = sirnn_aiknp_ws_init_roles(&w->snd, cap, 0);
    if (st == SIRNN_OK && need_rcv)
        st = sirnn_aiknp_ws_init_roles(&w->rcv, 0, cap);
    /* B2A and MUX take the receiver's rows before reading the messages */
    w->snd.silent_ok = w->rcv.silent_ok = 1;
    for (int i = 0; i < 4; i++)
        w->v[i] = malloc(cap * sizeof(uint64_t));
    w->wire = malloc(cap * 8);
    w->bits = malloc(cap);
    if (st == SIRNN_OK && (w->v[0] == NULL || w->v[1] == NULL || w->v[2] == NULL ||
                           w->v[3] == NULL || w->wire == NULL || w->bits == NULL))
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK)
        lin_free(w);
    return st;
}

/* ---------------- B2A ---------------- */

typedef struct b2a_ctx {
    uint64_t *out;
    const uint8_t *b;
    unsigned l;
} b2a_ctx;

/*
 * A group of windows of up to cap elements, [off, off + k), through B2A's
 * two flights: party 1 queues its columns of every window (keeping one
 * hash word per element), party 0 reads them window by window, packing its
 * corrections (l - 1 bits per element) and writing its outputs, then sends
 * them all; party 1 reads them window by window. A group of one window is
 * the protocol as it always ran (on the silent-OT backend the receiver
 * takes its rows before the corrections).
 */
static sirnn_status b2a_group(const b2a_ctx *c, int server, sirnn_lane *lane, lin_ws *w,
                              uint64_t *hsave, uint8_t *corr_all, size_t off, size_t k)
{
    const unsigned l = c->l, lc = c->l - 1; /* the product is needed mod 2^(l-1) */
    const uint64_t mask = sirnn_mask(l);
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const size_t cap = w->cap, nw = (k + cap - 1) / cap, stride = sirnn_pack_size(cap, lc);
    sirnn_status st = SIRNN_OK;
    if (server) {
        uint64_t *corr = w->v[0], *x = w->v[1], *y = w->v[2];
        for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
            const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
            const uint8_t *b = c->b + e0;
            for (size_t i = 0; i < kj; i++)
                corr[i] = b[i];
            if ((st = sirnn_aiknp_send_rows(&w->snd, &ol->iknp_send, ch, kj)) != SIRNN_OK)
                break;
            sirnn_aiknp_cot_msgs(&w->snd, x, y, corr, kj, lc);
            sirnn_pack(corr_all + j * stride, y, kj, lc);
            /* b0 - 2 * (-x) */
            for (size_t i = 0; i < kj; i++)
                c->out[e0 + i] = (b[i] + 2 * x[i]) & mask;
        }
        for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
            const size_t kj = min_size(cap, k - j * cap);
            st = sirnn_channel_send(ch, corr_all + j * stride, sirnn_pack_size(kj, lc));
        }
        return st;
    }
    uint64_t *y = w->v[0];
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
        memcpy(w->bits, c->b + e0, kj);
        st = sirnn_aiknp_recv_u(&w->rcv, &ol->iknp_recv, ch, w->bits, kj);
        if (nw == 1 && st == SIRNN_OK)
            st = sirnn_aiknp_recv_rows(&w->rcv, &ol->iknp_recv, ch);
        for (size_t i = 0; nw > 1 && st == SIRNN_OK && i < kj; i++)
            hsave[j * cap + i] = w->rcv.h0[i].w[0];
    }
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
        const uint8_t *b = c->b + e0;
        if ((st = sirnn_channel_recv(ch, w->wire, sirnn_pack_size(kj, lc))) != SIRNN_OK)
            break;
        for (size_t i = 0; nw > 1 && i < kj; i++)
            w->rcv.h0[i] = (sirnn_block){{hsave[j * cap + i], 0}};
        sirnn_unpack(y, w->wire, kj, lc);
        sirnn_aiknp_cot_out(&w->rcv, y, y, b, kj, lc);
        for (size_t i = 0; i < kj; i++)
            c->out[e0 + i] = (b[i] - 2 * y[i]) & mask;
    }
    return st;
}

static sirnn_status b2a_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const b2a_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    const size_t n = end - begin, cap = sirnn_stream_window(begin, end);
    const size_t nw = (n + cap - 1) / cap, stride = sirnn_pack_size(cap, c->l - 1);
    /* Windows per group: party 1 holds a hash word per element, party 0
     * its packed corrections (one window a group on the silent backend). */
    const size_t gw = sirnn_stream_group(party, cap * 8 + stride, nw);
    lin_ws w;
    sirnn_status st = lin_init(&w, cap, server, !server);
    if (st != SIRNN_OK)
        return st;
    uint64_t *hsave = gw > 1 && !server ? malloc(gw * cap * sizeof(uint64_t)) : NULL;
    uint8_t *corr_all = malloc(gw * stride + 1);
    if (corr_all == NULL || (gw > 1 && !server && hsave == NULL))
        st = SIRNN_ERR_NOMEM;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += gw * cap)
        st = b2a_group(c, server, lane, &w, hsave, corr_all, off, min_size(gw * cap, end - off));
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    if (hsave != NULL)
        sirnn_memzero(hsave, gw * cap * sizeof(uint64_t));
    free(hsave);
    free(corr_all);
    lin_free(&w);
    return st;
}

sirnn_status sirnn_b2a(sirnn_party *party, size_t n, uint64_t *out, const uint8_t *b,
                       unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, b) || !sirnn_arith_bits_ok(b, n))
        return sirnn_arith_arg(party, "sirnn_b2a", "l outside 1..64, NULL array or bad bit");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (l == 1) {
        for (size_t i = 0; i < n; i++)
            out[i] = b[i];
        return SIRNN_OK;
    }
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    b2a_ctx c = {.out = out, .b = b, .l = l};
    return sirnn_batch_run(party, n, b2a_lane, &c);
}

/* ---------------- MUX ---------------- */

typedef struct mux_ctx {
    uint64_t *out;
    const uint8_t *sel;
    const uint64_t *x, *y; /* y NULL: sel ? x : 0 */
    unsigned l;
} mux_ctx;

/*
 * A group of nw windows of up to cap elements from element off, streamed
 * through the MUX's two flights: each party queues its extension columns
 * of every window (keeping its hashes, one word per element), then reads
 * the peer's window by window, writing y + sel x' less its COT output
 * (x' = x - y, or x) into out and packing its corrections (l bits each),
 * sends those, and adds the peer's corrections window by window. Both
 * parties send each flight at once: what one sends ahead of the other's
 * reads waits in the peer's read buffer, within the stream budget that
 * sizes the group (see mux_lane). A group of one window is the protocol
 * as it always ran (on the silent-OT backend the receiver takes its rows
 * before the peer's corrections).
 */
static sirnn_status mux_group(const mux_ctx *c, sirnn_lane *lane, lin_ws *w, uint64_t *hsave,
                              uint8_t *corr_all, size_t off, size_t k)
{
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const unsigned l = c->l;
    const uint64_t mask = sirnn_mask(l);
    const size_t cap = w->cap, nw = (k + cap - 1) / cap, stride = sirnn_pack_size(cap, l);
    uint64_t *corr = w->v[0], *own = w->v[1], *y = w->v[2], *mc = w->v[3];
    sirnn_status st = SIRNN_OK;
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
        memcpy(w->bits, c->sel + e0, kj);
        st = sirnn_aiknp_recv_u(&w->rcv, &ol->iknp_recv, ch, w->bits, kj);
        for (size_t i = 0; nw > 1 && st == SIRNN_OK && i < kj; i++)
            hsave[j * cap + i] = w->rcv.h0[i].w[0];
    }
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
        if ((st = sirnn_aiknp_send_rows(&w->snd, &ol->iknp_send, ch, kj)) != SIRNN_OK)
            break;
        for (size_t i = 0; i < kj; i++) {
            const uint64_t s = 0 - (uint64_t)(c->sel[e0 + i] & 1);
            const uint64_t b = c->y != NULL ? c->y[e0 + i] : 0;
            const uint64_t x = (c->x[e0 + i] - b) & mask;
            corr[i] = (x - (2 * x & s)) & mask; /* (1 - 2 s) x */
            own[i] = b + (x & s);               /* y + s x */
        }
        /* corr becomes this party's COT output */
        sirnn_aiknp_cot_msgs(&w->snd, corr, y, corr, kj, l);
        sirnn_pack(corr_all + j * stride, y, kj, l);
        for (size_t i = 0; i < kj; i++)
            c->out[e0 + i] = (own[i] - corr[i]) & mask;
    }
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
        st = sirnn_channel_send(ch, corr_all + j * stride, sirnn_pack_size(kj, l));
    }
    if (nw == 1 && st == SIRNN_OK)
        st = sirnn_aiknp_recv_rows(&w->rcv, &ol->iknp_recv, ch);
    for (size_t j = 0; j < nw && st == SIRNN_OK; j++) {
        const size_t e0 = off + j * cap, kj = min_size(cap, off + k - e0);
        if ((st = sirnn_channel_recv(ch, w->wire, sirnn_pack_size(kj, l))) != SIRNN_OK)
            break;
        for (size_t i = 0; nw > 1 && i < kj; i++)
            w->rcv.h0[i] = (sirnn_block){{hsave[j * cap + i], 0}};
        sirnn_unpack(mc, w->wire, kj, l);
        sirnn_aiknp_cot_out(&w->rcv, mc, mc, c->sel + e0, kj, l);
        for (size_t i = 0; i < kj; i++)
            c->out[e0 + i] = (c->out[e0 + i] + mc[i]) & mask;
    }
    return st;
}

static sirnn_status mux_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const mux_ctx *c = vctx;
    lin_ws w;
    const size_t n = end - begin, cap = sirnn_stream_window(begin, end);
    const size_t nw = (n + cap - 1) / cap;
    /* Windows per group: each holds its hashes and corrections here, and
     * its columns (16 bytes per element, or 16 / ot_k) in the peer's read
     * buffer (one window a group on the silent backend). */
    const size_t per = cap * (8 + 16) + sirnn_pack_size(cap, c->l);
    const size_t gw = sirnn_stream_group(party, per, nw);
    sirnn_status st = lin_init(&w, cap, 1, 1);
    if (st != SIRNN_OK)
        return st;
    uint64_t *hsave = gw > 1 ? malloc(gw * cap * sizeof(uint64_t)) : NULL;
    uint8_t *corr_all = malloc(gw * sirnn_pack_size(cap, c->l) + 1);
    if (corr_all == NULL || (gw > 1 && hsave == NULL))
        st = SIRNN_ERR_NOMEM;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += gw * cap)
        st = mux_group(c, lane, &w, hsave, corr_all, off, min_size(gw * cap, end - off));
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    if (hsave != NULL)
        sirnn_memzero(hsave, gw * cap * sizeof(uint64_t));
    free(hsave);
    free(corr_all);
    lin_free(&w);
    return st;
}

static sirnn_status mux_run(sirnn_party *party, size_t n, const mux_ctx *c, const char *fn)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(c->l) || NULL_WITH_N(n, c->out) || NULL_WITH_N(n, c->sel) ||
        NULL_WITH_N(n, c->x) || !sirnn_arith_bits_ok(c->sel, n))
        return sirnn_arith_arg(party, fn, "l outside 1..64, NULL array or bad bit");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    return sirnn_batch_run(party, n, mux_lane, (void *)c);
}

sirnn_status sirnn_mux(sirnn_party *party, size_t n, uint64_t *out, const uint8_t *sel,
                       const uint64_t *x, unsigned l)
{
    mux_ctx c = {.out = out, .sel = sel, .x = x, .l = l};
    return mux_run(party, n, &c, "sirnn_mux");
}

sirnn_status sirnn_mux2(sirnn_party *party, size_t n, uint64_t *out, const uint8_t *sel,
                        const uint64_t *x, const uint64_t *y, unsigned l)
{
    if (party != NULL && NULL_WITH_N(n, y))
        return sirnn_arith_arg(party, "sirnn_mux2", "NULL array");
    mux_ctx c = {.out = out, .sel = sel, .x = x, .y = y, .l = l};
    return mux_run(party, n, &c, "sirnn_mux2");
}

/* ---------------- AND ---------------- */

/* AND_ROWS: OT rows party 0 holds at a time (a multiple of the KK13
 * engine's extension call). */
enum { AND_WINDOWS = 16, AND_ROWS = SIRNN_KKOT_MAX_CHUNK };

typedef struct and_ctx {
    uint8_t *out;
    const uint8_t *a, *b;
    int chooser; /* the party that takes the OTs (sends the columns first) */
} and_ctx;

static sirnn_status and_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const and_ctx *c = vctx;
    /* "server" is the OT sender here: party 0 unless the caller made it
     * the chooser. */
    const int server = party->role != c->chooser;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    sirnn_akk_ws kw;
    /* A window of AND_WINDOWS windows (whole pairs): a bit AND holds about
     * 5 bytes per element on party 1 and 3 on party 0, and callers (MSNZB,
     * its prefix scans) AND several vectors of a window at once. */
    const size_t n = end - begin, aw = (size_t)AND_WINDOWS * SIRNN_WINDOW;
    const size_t cap = ((n == 0 ? 1 : n < aw ? n : aw) + 1) / 2 * 2;
    sirnn_status st = server ? sirnn_akk_ws_init_roles(&kw, AND_ROWS, 0)
                             : sirnn_akk_ws_init_roles(&kw, 0, cap / 2 + 1);
    if (st != SIRNN_OK)
        return st;
    /* party 0 packs a window's answers (4 bytes a pair) into wire; party 1
     * reads them 64 pairs at a time */
    const size_t wire_bytes = server ? cap * 2 + 8 : 4 * SIRNN_AKK_GROUP + 8;
    const size_t mc_words = server ? 1 : SIRNN_AKK_GROUP;
    uint8_t *choice = malloc(server ? 1 : cap / 2 + 1);
    uint8_t *wire = malloc(wire_bytes);
    uint8_t *r = malloc(server ? cap + 16 : 1);
    uint64_t *mc = malloc(mc_words * sizeof(uint64_t));
    uint64_t *msgs = malloc((size_t)SIRNN_AKK_GROUP * 16 * sizeof(uint64_t));
    if (choice == NULL || wire == NULL || r == NULL || mc == NULL || msgs == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += cap) {
        const size_t k = min_size(cap, end - off);
        const size_t pairs = k / 2, odd = k % 2, nots = pairs + odd;
        const size_t pair_bytes = pairs * 4, odd_bytes = odd;
        const uint8_t *a = c->a + off, *b = c->b + off;
        if (!server) {
            for (size_t p = 0; p < pairs; p++)
                choice[p] = (uint8_t)(a[2 * p] | b[2 * p] << 1 | a[2 * p + 1] << 2 |
                                      b[2 * p + 1] << 3);
            if (odd)
                choice[pairs] = (uint8_t)(a[k - 1] | b[k - 1] << 1);
            if ((st = sirnn_akk_recv_u(&kw, &ol->kk_recv, ch, choice, nots)) != SIRNN_OK)
                break;
            /* The answers 64 pairs at a time: 4 bytes each. */
            for (size_t g0 = 0; g0 < pairs && st == SIRNN_OK; g0 += SIRNN_AKK_GROUP) {
                const size_t g = min_size(SIRNN_AKK_GROUP, pairs - g0);
                if ((st = sirnn_channel_recv(ch, wire, 4 * g)) != SIRNN_OK)
                    break;
                sirnn_akk_recv_out(&kw, mc, wire, choice + g0, g0, g, 16, 2);
                for (size_t p = 0; p < g; p++) {
                    c->out[off + 2 * (g0 + p)] = (uint8_t)(mc[p] & 1);
                    c->out[off + 2 * (g0 + p) + 1] = (uint8_t)((mc[p] >> 1) & 1);
                }
            }
            if (st == SIRNN_OK && odd &&
                (st = sirnn_channel_recv(ch, wire, odd_bytes)) == SIRNN_OK) {
                sirnn_akk_recv_out(&kw, mc, wire, choice + pairs, pairs, 1, 4, 1);
                c->out[off + k - 1] = (uint8_t)(mc[0] & 1);
            }
            if (st != SIRNN_OK)
                break;
        } else {
            /* Fresh output shares r; the answer to choice v is r ^ (a ^ va)(b ^ vb). */
            sirnn_prg_bytes(&lane->prg, r, k);
            for (size_t i = 0; i < k; i++)
                r[i] &= 1;
            /* The rows of AND_ROWS OTs at a time, packed into their 4-byte
             * answers at once (the same extension calls as one batch). */
            for (size_t o0 = 0; o0 < nots && st == SIRNN_OK; o0 += AND_ROWS) {
                const size_t o1 = min_size(nots, o0 + AND_ROWS);
                if ((st = sirnn_akk_send_rows(&kw, &ol->kk_send, ch, o1 - o0)) != SIRNN_OK)
                    break;
                for (size_t g0 = o0; g0 < min_size(o1, pairs); g0 += SIRNN_AKK_GROUP) {
                    const size_t g = min_size(SIRNN_AKK_GROUP, min_size(o1, pairs) - g0);
                    for (size_t i = 0; i < g; i++) {
                        const size_t e = 2 * (g0 + i);
                        const uint64_t a0 = a[e], b0 = b[e], a1 = a[e + 1], b1 = b[e + 1];
                        for (uint64_t v = 0; v < 16; v++) {
                            uint64_t z0 = r[e] ^ ((a0 ^ (v & 1)) & (b0 ^ ((v >> 1) & 1)));
                            uint64_t z1 =
                                r[e + 1] ^ ((a1 ^ ((v >> 2) & 1)) & (b1 ^ ((v >> 3) & 1)));
                            msgs[i * 16 + v] = z0 | z1 << 1;
                        }
                    }
                    sirnn_akk_send_group(&kw, &ol->kk_send, wire + g0 * 4, msgs, g0 - o0, g, 16,
                                         2);
                }
                if (odd && pairs >= o0 && pairs < o1) {
                    const uint64_t a0 = a[k - 1], b0 = b[k - 1];
                    for (uint64_t v = 0; v < 4; v++)
                        msgs[v] = r[k - 1] ^ ((a0 ^ (v & 1)) & (b0 ^ ((v >> 1) & 1)));
                    sirnn_akk_send_group(&kw, &ol->kk_send, wire + pair_bytes, msgs, pairs - o0,
                                         1, 4, 1);
                }
            }
            if (st != SIRNN_OK)
                break;
            if ((st = sirnn_channel_send(ch, wire, pair_bytes + odd_bytes)) != SIRNN_OK)
                break;
            memcpy(c->out + off, r, k);
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (r != NULL)
        sirnn_memzero(r, server ? cap + 16 : 1);
    if (msgs != NULL)
        sirnn_memzero(msgs, (size_t)SIRNN_AKK_GROUP * 16 * sizeof(uint64_t));
    if (mc != NULL)
        sirnn_memzero(mc, mc_words * sizeof(uint64_t));
    if (choice != NULL)
        sirnn_memzero(choice, server ? 1 : cap / 2 + 1);
    free(choice);
    free(wire);
    free(r);
    free(mc);
    free(msgs);
    sirnn_akk_ws_free(&kw);
    return st;
}

sirnn_status sirnn_and(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *a,
                       const uint8_t *b)
{
    return sirnn_and_by(party, n, out, a, b, SIRNN_CLIENT);
}

sirnn_status sirnn_and_by(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *a,
                          const uint8_t *b, int chooser)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (chooser != SIRNN_SERVER && chooser != SIRNN_CLIENT)
        return sirnn_arith_arg(party, "sirnn_and", "chooser is neither party");
    if (NULL_WITH_N(n, out) || NULL_WITH_N(n, a) || NULL_WITH_N(n, b) ||
        !sirnn_arith_bits_ok(a, n) || !sirnn_arith_bits_ok(b, n))
        return sirnn_arith_arg(party, "sirnn_and", "NULL array or bit not 0/1");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    and_ctx c = {.out = out, .a = a, .b = b, .chooser = chooser};
    return sirnn_batch_run(party, n, and_lane, &c);
}
