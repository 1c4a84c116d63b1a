/*
 * Matrix products (include/sirnn/arith.h): A (d1 x d2, shared, m bits) times
 * W (d2 x d3, k bits), accumulated exactly in la = m + k + ceil(log2 d2)
 * bits, then truncated once (sirnn_tr) by s bits and reduced to lout bits.
 *
 * Server weights in the clear (row batching). With A' = A + sgn 2^(m-1) =
 * a0 + a1 - 2^m wa:
 *   A W = a0 W + a1 W - 2^m wa W - sgn 2^(m-1) colsum(W)   (mod 2^la).
 * a0 W and the column sums are local to the server. a1 W: one IKNP COT per
 * bit b of each client share a1[i][j], whose correlation is the whole row
 * W[j][0..d3) mod 2^(la - b): the 128-bit pads are stretched to d3 values
 * with the tweakable hash (sirnn_tccrhash on the pad, in the tweak domain
 * SIRNN_TWEAK_STRETCH of its OT: kernels/crhash.h).
 * wa W: wa = alpha0 ^ alpha1 = alpha0 + alpha1 - 2 alpha0 alpha1, so one COT
 * per element with the client choosing alpha1 and the row (1 - 2 alpha0) W[j]
 * mod 2^(la - m) as correlation, plus the server's alpha0 W[j].
 *
 * With A's MSB shares known (sirnn_matmul_clear_msb), wa is instead the
 * multilinear c00 + c10 m1 + c01 b1 + c11 m1 b1 of the client's bits (m1
 * the top bit of its share, b1 its MSB share), the c's from the server's
 * top bit and MSB share: c10 rides on the COT of bit m - 1, two more COTs
 * per element carry -c01 W[j] and -c11 W[j], and c00 W[j] is local, so
 * the whole product is the two flights of the bit COTs.
 *
 * Everything runs mod 2^la with la = min(m + k + ceil(log2 d2), s + lout):
 * the truncate-reduce of the sum mod 2^(s + lout) is the result, and when
 * m >= la the wrap term vanishes (no comparison).
 *
 * On SIRNN_OT_SILENT every COT here is a silent COT (arith/otphase.h): one
 * correction bit per COT instead of its column.
 *
 * A lane works on windows of A's elements and streams a group of them
 * (as many as a 32nd of the stream budget holds, sirnn_stream_group: the
 * server's state is 32 bytes per COT; an eighth put 4 windows of 4,096 in
 * a group and raised the peak memory of `sirnn serve` answering 100
 * Fashion images from 23.5 to 26.3 MB, past the 24 MB the server is held
 * to, for 120 flights fewer; at a 32nd a window of 4,096 elements at 16
 * bits is a group of its own, smaller windows share one) through one
 * set of flights: the client's bit-COT columns and comparison columns of
 * every window (1); the server's comparison messages and the row
 * corrections of every window (2); the comparison tree, level by level
 * for the whole group (sirnn_lt_group); the wrap COTs' columns of every
 * window ride with the client's last flight or start the next one, then
 * the server's corrections. Between flights the server keeps each
 * window's OT hashes (32 bytes per COT) and both the wrap bits; the
 * client adds its pads as soon as it has its rows and recomputes its
 * choices from A. On the silent backend a group is one window. The
 * truncation runs after the whole product.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"
#include "arith/otphase.h"
#include "ot/lane.h"

#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)

enum { ROW_BUDGET = 1 << 16 };
/* The products' group state takes 1 / MM_BUDGET_SHARE of the stream budget. */
enum { MM_BUDGET_SHARE = 32 };
/* A stretched pad has at most 2^32 blocks (its tweak's block field). */
#define MAX_D3 ((uint64_t)1 << 33)

static sirnn_status mm_finish(sirnn_party *party, size_t n, uint64_t *out, unsigned la,
                              unsigned s, unsigned lout);

static unsigned clog2(size_t v)
{
    unsigned r = 0;
    while (((size_t)1 << r) < v)
        r++;
    return r;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

typedef struct mm_ctx {
    size_t d1, d2, d3;
    uint64_t *out;      /* accumulators, d1 x d3 */
    const uint64_t *a;  /* d1 x d2 shares */
    const uint64_t *w;  /* d2 x d3 (server) */
    unsigned m, k, la;  /* la: the working ring, min(full width, s + lout) */
    unsigned mb;        /* bit COTs per element: min(m, la) */
    unsigned nrow;      /* COTs per element: mb, + 2 with the MSB-to-wrap terms */
    const uint8_t *msb; /* NULL, or shares of A's MSB (the wrap by M2W terms) */
    int sgn;
} mm_ctx;

typedef struct mm_ws {
    const mm_ctx *c;
    sirnn_lane *lane;
    sirnn_ot_lane *ol;
    int server;
    size_t E, e0, ne;   /* chunk capacity, first element, count */
    uint64_t *A;        /* own offset shares of the chunk */
    sirnn_aiknp_ws ot;  /* bit COTs (client: receiver, server: sender) */
    sirnn_aiknp_ws wot; /* wrap COTs */
    uint8_t *choice;
    void *lt;
    uint8_t *wrap;      /* the group's wrap bits (shares), gw * E */
    uint8_t *wbits;     /* the window's (in wrap) */
    sirnn_block *rep, *pad0, *pad1;
    uint64_t *vals;     /* E * d3 values */
    uint8_t *wire;
    size_t nblk;
    uint64_t *cf;       /* server, M2W: per element (1 - 2 c10, -c01, -c11, c00) */
    int padded;         /* client: the window's pads are in the accumulators */
    size_t gw;          /* windows per group */
    size_t g0, gend;    /* the group's elements of A */
    uint64_t aoff;      /* the party's offset of A (sgn 2^(m-1) on the server) */
    sirnn_block *hs0, *hs1;   /* server, gw > 1: every window's hashes of the products */
    sirnn_tweak *first;       /* and their batches' first OTs */
    sirnn_block *whs0, *whs1; /* the same for the wrap COTs */
    sirnn_tweak *wfirst;
} mm_ws;

/* Stretch the pad h of OT j of the batch of ot to d3 values (two per
 * block), tweaked by that OT's engine position (kernels/crhash.h). */
static void stretch(mm_ws *w, const sirnn_aiknp_ws *ot, size_t j, sirnn_block h,
                    sirnn_block *out)
{
    const uint64_t pos = ot->first.index + j;
    const sirnn_tweak tw = sirnn_tweak_make(
        sirnn_tweak_retag(ot->first.domain, SIRNN_TWEAK_STRETCH, (uint32_t)(pos >> 32)), pos << 32);
    for (size_t b = 0; b < w->nblk; b++)
        w->rep[b] = h;
    sirnn_tccrhash(out, w->rep, tw, w->nblk);
}

static inline uint64_t pad_word(const sirnn_block *p, size_t i)
{
    return p[i / 2].w[i % 2];
}

/* Weight W[j][q] sign- or zero-extended, mod 2^64. */
static inline uint64_t weight(const mm_ctx *c, size_t j, size_t q)
{
    uint64_t v = c->w[j * c->d3 + q] & sirnn_mask(c->k);
    if (c->sgn && c->k < 64 && ((v >> (c->k - 1)) & 1))
        v |= ~sirnn_mask(c->k);
    return v;
}

/* Client: the choices of the bit COTs of the window (from its shares). */
static void client_choices(mm_ws *w)
{
    const mm_ctx *c = w->c;
    const size_t ne = w->ne;
    for (unsigned b = 0; b < c->mb; b++)
        for (size_t e = 0; e < ne; e++)
            w->choice[b * ne + e] = (uint8_t)((w->A[e] >> b) & 1);
    if (c->nrow > c->mb) /* the M2W terms: choices msb1 and m1 msb1 */
        for (size_t e = 0; e < ne; e++) {
            const uint8_t b1 = (uint8_t)(c->msb[w->e0 + e] & 1);
            const uint8_t m1 = (uint8_t)((w->A[e] >> (c->m - 1)) & 1);
            w->choice[(size_t)c->mb * ne + e] = b1;
            w->choice[((size_t)c->mb + 1) * ne + e] = (uint8_t)(b1 & m1);
        }
}

/* Client: the bit-COT columns (queued). */
static sirnn_status client_cols(mm_ws *w)
{
    client_choices(w);
    return sirnn_aiknp_recv_u(&w->ot, &w->ol->iknp_recv, &w->lane->ch, w->choice,
                              (size_t)w->c->nrow * w->ne);
}

/* Left shift of COT row r: bit r of the share, or m for the M2W terms. */
static unsigned row_shift(const mm_ctx *c, unsigned r)
{
    return r < c->mb ? r : c->m;
}

/*
 * Server, M2W: the wrap of A' (shares a0', a1', MSB m0, m1) as a function of
 * the client's bits (m1, b1), b0 ^ b1 = msb(A'):
 *   wa = m0 m1 ^ (m0 ^ m1)(1 ^ b0 ^ b1) = c00 + c10 m1 + c01 b1 + c11 m1 b1
 * over the integers, c the multilinear coefficients of the server's table.
 * c10 rides on the COT of bit m - 1 (choice m1): its row becomes
 * 2^(m-1) m1 (1 - 2 c10) W; c01 and c11 are two more COTs (choices b1 and
 * m1 b1) carrying -c01 W and -c11 W at shift m; -2^m c00 W is local.
 */
static void server_m2w_coefs(mm_ws *w)
{
    const mm_ctx *c = w->c;
    const uint64_t flip = (uint64_t)(c->sgn != 0); /* msb(A') = msb(A) ^ sgn */
    for (size_t e = 0; e < w->ne; e++) {
        const uint64_t m0 = (w->A[e] >> (c->m - 1)) & 1;
        const uint64_t b0 = ((uint64_t)c->msb[w->e0 + e] & 1) ^ flip;
        uint64_t f[4]; /* f[u + 2 v] = wa(m1 = u, b1 = v) */
        for (uint64_t v = 0; v < 4; v++) {
            const uint64_t u = v & 1, bb = v >> 1;
            f[v] = (m0 & u) ^ ((m0 ^ u) & (1 ^ b0 ^ bb));
        }
        uint64_t *cf = w->cf + 4 * e;
        cf[0] = 1 - 2 * (f[1] - f[0]);           /* 1 - 2 c10 */
        cf[1] = f[0] - f[2];                     /* -c01 */
        cf[2] = f[1] + f[2] - f[3] - f[0];       /* -c11 */
        cf[3] = f[0];                            /* c00 */
    }
}

/* Server: row corrections of the COTs; acc -= pad0 << shift. */
static sirnn_status server_corr(mm_ws *w)
{
    const mm_ctx *c = w->c;
    const size_t ne = w->ne, d3 = c->d3;
    const uint64_t lmask = sirnn_mask(c->la);
    const int m2w = c->nrow > c->mb;
    /* the products' held tiles, if no comparison emitted them */
    sirnn_status est = sirnn_aiknp_send_emit(&w->ot, &w->ol->iknp_send, &w->lane->ch);
    if (est != SIRNN_OK)
        return est;
    if (m2w) {
        server_m2w_coefs(w);
        for (size_t e = 0; e < ne; e++) {
            const size_t g = w->e0 + e, i = g / c->d2, j = g % c->d2;
            uint64_t *acc = c->out + i * d3;
            for (size_t q = 0; q < d3; q++)
                acc[q] = (acc[q] - ((w->cf[4 * e + 3] * weight(c, j, q)) << c->m)) & lmask;
        }
    }
    for (unsigned r = 0; r < c->nrow; r++) {
        const unsigned sh = row_shift(c, r), lb = c->la - sh;
        const uint64_t bm = sirnn_mask(lb);
        /* coefficient index: 0 on bit m - 1, 1 and 2 on the M2W rows */
        const int ci = !m2w ? -1 : r + 1 == c->m ? 0 : r >= c->mb ? (int)(r - c->mb) + 1 : -1;
        for (size_t e = 0; e < ne; e++) {
            const size_t g = w->e0 + e, i = g / c->d2, j = g % c->d2;
            const uint64_t cf = ci < 0 ? 1 : w->cf[4 * e + (size_t)ci];
            stretch(w, &w->ot, r * ne + e, w->ot.h0[r * ne + e], w->pad0);
            stretch(w, &w->ot, r * ne + e, w->ot.h1[r * ne + e], w->pad1);
            uint64_t *acc = c->out + i * d3, *y = w->vals + e * d3;
            for (size_t q = 0; q < d3; q++) {
                const uint64_t p0 = pad_word(w->pad0, q);
                y[q] = (p0 + cf * weight(c, j, q) - pad_word(w->pad1, q)) & bm;
                acc[q] = (acc[q] - (p0 << sh)) & lmask;
            }
        }
        sirnn_pack(w->wire, w->vals, ne * d3, lb);
        sirnn_status st = sirnn_channel_send(&w->lane->ch, w->wire, sirnn_pack_size(ne * d3, lb));
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

/* Client: the pads of the window's COTs; acc += pad << shift (once the
 * rows are there: at once on the extension backends, after
 * sirnn_aiknp_recv_rows on the silent one). */
static void client_pads(mm_ws *w)
{
    const mm_ctx *c = w->c;
    const size_t ne = w->ne, d3 = c->d3;
    const uint64_t lmask = sirnn_mask(c->la);
    for (unsigned b = 0; b < c->nrow; b++) {
        const unsigned sh = row_shift(c, b);
        for (size_t e = 0; e < ne; e++) {
            const size_t i = (w->e0 + e) / c->d2;
            stretch(w, &w->ot, b * ne + e, w->ot.h0[b * ne + e], w->pad0);
            uint64_t *acc = c->out + i * d3;
            for (size_t q = 0; q < d3; q++)
                acc[q] = (acc[q] + (pad_word(w->pad0, q) << sh)) & lmask;
        }
    }
    w->padded = 1;
}

/* Client: outputs of the COTs; acc += (pad + c y) << shift, the pads
 * unless client_pads added them already (w->choice: the window's). */
static sirnn_status client_out(mm_ws *w)
{
    const mm_ctx *c = w->c;
    const size_t ne = w->ne, d3 = c->d3;
    const uint64_t lmask = sirnn_mask(c->la);
    /* the products' rows, if the comparison's flights did not take them */
    sirnn_status rs = sirnn_aiknp_recv_rows(&w->ot, &w->ol->iknp_recv, &w->lane->ch);
    if (rs != SIRNN_OK)
        return rs;
    if (!w->padded)
        client_pads(w);
    for (unsigned b = 0; b < c->nrow; b++) {
        const unsigned sh = row_shift(c, b), lb = c->la - sh;
        sirnn_status st = sirnn_channel_recv(&w->lane->ch, w->wire, sirnn_pack_size(ne * d3, lb));
        if (st != SIRNN_OK)
            return st;
        sirnn_unpack(w->vals, w->wire, ne * d3, lb);
        for (size_t e = 0; e < ne; e++) {
            const size_t g = w->e0 + e, i = g / c->d2;
            const uint64_t sel = 0 - (uint64_t)(w->choice[b * ne + e] & 1);
            uint64_t *acc = c->out + i * d3;
            const uint64_t *y = w->vals + e * d3;
            for (size_t q = 0; q < d3; q++)
                acc[q] = (acc[q] + ((y[q] & sel) << sh)) & lmask;
        }
    }
    return SIRNN_OK;
}

/* The wrap term -2^m wa W, after the comparison, in two halves per
 * window of the group: wrap_cols (the client queues the wrap COTs'
 * columns with choice wa1 and subtracts its pads at once when it has its
 * rows; the server reads them) and wrap_out (the server's corrections,
 * (1 - 2 alpha0) W, and the client's outputs). */
static sirnn_status wrap_cols(mm_ws *w)
{
    const mm_ctx *c = w->c;
    sirnn_channel *ch = &w->lane->ch;
    if (w->server)
        return sirnn_aiknp_send_rows(&w->wot, &w->ol->iknp_send, ch, w->ne);
    sirnn_status st = sirnn_aiknp_recv_u(&w->wot, &w->ol->iknp_recv, ch, w->wbits, w->ne);
    if (st != SIRNN_OK || w->wot.pending)
        return st;
    const uint64_t lmask = sirnn_mask(c->la);
    for (size_t e = 0; e < w->ne; e++) {
        const size_t i = (w->e0 + e) / c->d2;
        stretch(w, &w->wot, e, w->wot.h0[e], w->pad0);
        uint64_t *acc = c->out + i * c->d3;
        for (size_t q = 0; q < c->d3; q++)
            acc[q] = (acc[q] - (pad_word(w->pad0, q) << c->m)) & lmask;
    }
    w->padded = 1;
    return SIRNN_OK;
}

static sirnn_status wrap_out(mm_ws *w)
{
    const mm_ctx *c = w->c;
    const size_t ne = w->ne, d3 = c->d3;
    const unsigned lw = c->la - c->m;
    const uint64_t lmask = sirnn_mask(c->la), bm = sirnn_mask(lw);
    sirnn_channel *ch = &w->lane->ch;
    sirnn_status st;
    if (!w->server) {
        if ((st = sirnn_aiknp_recv_rows(&w->wot, &w->ol->iknp_recv, ch)) != SIRNN_OK ||
            (st = sirnn_channel_recv(ch, w->wire, sirnn_pack_size(ne * d3, lw))) != SIRNN_OK)
            return st;
        sirnn_unpack(w->vals, w->wire, ne * d3, lw);
        for (size_t e = 0; e < ne; e++) {
            const size_t i = (w->e0 + e) / c->d2;
            const uint64_t sel = 0 - (uint64_t)(w->wbits[e] & 1);
            uint64_t *acc = c->out + i * d3;
            const uint64_t *y = w->vals + e * d3;
            if (!w->padded) {
                stretch(w, &w->wot, e, w->wot.h0[e], w->pad0);
                for (size_t q = 0; q < d3; q++)
                    acc[q] = (acc[q] - (pad_word(w->pad0, q) << c->m)) & lmask;
            }
            for (size_t q = 0; q < d3; q++)
                acc[q] = (acc[q] - ((y[q] & sel) << c->m)) & lmask;
        }
        return SIRNN_OK;
    }
    for (size_t e = 0; e < ne; e++) {
        const size_t g = w->e0 + e, i = g / c->d2, j = g % c->d2;
        const uint64_t s = 0 - (uint64_t)(w->wbits[e] & 1);
        stretch(w, &w->wot, e, w->wot.h0[e], w->pad0);
        stretch(w, &w->wot, e, w->wot.h1[e], w->pad1);
        uint64_t *acc = c->out + i * d3, *y = w->vals + e * d3;
        for (size_t q = 0; q < d3; q++) {
            const uint64_t wv = weight(c, j, q);
            const uint64_t corr = wv - (2 * wv & s); /* (1 - 2 alpha0) W */
            const uint64_t p0 = pad_word(w->pad0, q);
            y[q] = (p0 + corr - pad_word(w->pad1, q)) & bm;
            acc[q] = (acc[q] - ((((wv & s) - p0) & bm) << c->m)) & lmask;
        }
    }
    sirnn_pack(w->wire, w->vals, ne * d3, lw);
    return sirnn_channel_send(ch, w->wire, sirnn_pack_size(ne * d3, lw));
}

/* Point the workspace at the window of ne elements of A from g0: its
 * offset shares and its wrap bits. */
static void mm_window(mm_ws *w, size_t g0, size_t ne)
{
    const mm_ctx *c = w->c;
    const uint64_t mmask = sirnn_mask(c->m);
    w->e0 = g0;
    w->ne = ne;
    w->padded = 0;
    w->wbits = w->wrap + (g0 - w->g0);
    for (size_t e = 0; e < ne; e++)
        w->A[e] = (c->a[g0 + e] + w->aoff) & mmask;
}

/* Keep (save != 0) or restore the hashes of window j's batch of n OTs. */
static void keep_hashes(sirnn_aiknp_ws *ot, sirnn_block *h0, sirnn_block *h1,
                        sirnn_tweak *first, size_t stride, size_t j, size_t n, int save)
{
    const size_t b = n * sizeof(sirnn_block);
    if (save) {
        memcpy(h0 + j * stride, ot->h0, b);
        memcpy(h1 + j * stride, ot->h1, b);
        first[j] = ot->first;
    } else {
        memcpy(ot->h0, h0 + j * stride, b);
        memcpy(ot->h1, h1 + j * stride, b);
        ot->first = first[j];
    }
}

/* The products' first half for every window of the group: the client
 * queues every window's columns (adding its pads at once when it has its
 * rows), the server reads them, keeping each window's hashes. */
static sirnn_status products_cols(mm_ws *w)
{
    const size_t E = w->E, per = (size_t)w->c->nrow;
    const int keep = w->gw > 1;
    sirnn_status st = SIRNN_OK;
    size_t j = 0;
    for (size_t e0 = w->g0; e0 < w->gend && st == SIRNN_OK; e0 += E, j++) {
        mm_window(w, e0, min_size(E, w->gend - e0));
        if (!w->server) {
            if ((st = client_cols(w)) == SIRNN_OK && !w->ot.pending)
                client_pads(w);
            if (st == SIRNN_OK && keep && w->ot.pending)
                st = SIRNN_ERR_STATE; /* silent rows wait: one-window groups only */
            continue;
        }
        st = sirnn_aiknp_send_rows(&w->ot, &w->ol->iknp_send, &w->lane->ch, per * w->ne);
        if (st == SIRNN_OK && keep)
            keep_hashes(&w->ot, w->hs0, w->hs1, w->first, E * per, j, per * w->ne, 1);
    }
    return st;
}

/* The products' second half for every window of the group: the server's
 * corrections (each window's hashes restored), the client's outputs (its
 * choices recomputed). */
static sirnn_status products_out(mm_ws *w)
{
    const size_t E = w->E, per = (size_t)w->c->nrow;
    const int keep = w->gw > 1;
    sirnn_status st = SIRNN_OK;
    size_t j = 0;
    for (size_t e0 = w->g0; e0 < w->gend && st == SIRNN_OK; e0 += E, j++) {
        if (keep) {
            mm_window(w, e0, min_size(E, w->gend - e0));
            if (w->server) {
                keep_hashes(&w->ot, w->hs0, w->hs1, w->first, E * per, j, per * w->ne, 0);
            } else {
                client_choices(w);
                w->padded = 1;
            }
        }
        st = w->server ? server_corr(w) : client_out(w);
    }
    return st;
}

/* The wrap term for every window of the group: every window's columns
 * (read and kept by the server), then every window's corrections. */
static sirnn_status wrap_group(mm_ws *w)
{
    const size_t E = w->E;
    const int keep = w->gw > 1;
    sirnn_status st = SIRNN_OK;
    size_t j = 0;
    for (size_t e0 = w->g0; e0 < w->gend && st == SIRNN_OK; e0 += E, j++) {
        mm_window(w, e0, min_size(E, w->gend - e0));
        st = wrap_cols(w);
        if (st == SIRNN_OK && keep && !w->server && !w->padded)
            st = SIRNN_ERR_STATE; /* silent rows wait: one-window groups only */
        if (st == SIRNN_OK && keep && w->server)
            keep_hashes(&w->wot, w->whs0, w->whs1, w->wfirst, E, j, w->ne, 1);
    }
    j = 0;
    for (size_t e0 = w->g0; e0 < w->gend && st == SIRNN_OK; e0 += E, j++) {
        if (keep) {
            mm_window(w, e0, min_size(E, w->gend - e0));
            w->padded = !w->server;
            if (w->server)
                keep_hashes(&w->wot, w->whs0, w->whs1, w->wfirst, E, j, w->ne, 0);
        }
        st = wrap_out(w);
    }
    return st;
}

static sirnn_status hook_sent(void *vctx, unsigned f)
{
    mm_ws *w = vctx;
    if (w->server && f == 2)
        return products_out(w);
    if (!w->server && f == 1) /* the products' rows before the comparison's */
        return sirnn_aiknp_recv_rows(&w->ot, &w->ol->iknp_recv, &w->lane->ch);
    return SIRNN_OK;
}

static sirnn_status hook_received(void *vctx, unsigned f)
{
    mm_ws *w = vctx;
    if (!w->server && f == 2)
        return products_out(w);
    return SIRNN_OK;
}

/* The comparison's inputs and outputs (sirnn_lt_group): A's offset shares
 * of a window, the server's complemented; the wrap bits into the group's. */
static void cmp_in(void *vctx, size_t off, size_t k, uint64_t *in)
{
    const mm_ws *w = vctx;
    const mm_ctx *c = w->c;
    const uint64_t mmask = sirnn_mask(c->m);
    for (size_t e = 0; e < k; e++) {
        const uint64_t a = (c->a[off + e] + w->aoff) & mmask;
        in[e] = w->server ? (~a & mmask) : a;
    }
}

static void cmp_out(void *vctx, size_t off, size_t k, const uint8_t *bits)
{
    mm_ws *w = vctx;
    memcpy(w->wrap + (off - w->g0), bits, k);
}

static void mm_ws_free(mm_ws *w)
{
    const size_t E = w->E, d3 = w->c->d3;
    sirnn_arith_zfree(w->A, E * 8);
    sirnn_aiknp_ws_free(&w->ot);
    sirnn_aiknp_ws_free(&w->wot);
    sirnn_arith_zfree(w->choice, E * 66);
    sirnn_arith_zfree(w->cf, E * 4 * 8);
    sirnn_lt_ws_delete(w->lt);
    sirnn_arith_zfree(w->wrap, w->gw * E);
    sirnn_arith_zfree(w->rep, w->nblk * sizeof(sirnn_block));
    sirnn_arith_zfree(w->pad0, w->nblk * sizeof(sirnn_block));
    sirnn_arith_zfree(w->pad1, w->nblk * sizeof(sirnn_block));
    sirnn_arith_zfree(w->vals, E * d3 * 8);
    sirnn_arith_zfree(w->wire, E * d3 * 8 + 64);
    const size_t hb = w->gw * E * w->c->nrow * sizeof(sirnn_block);
    sirnn_arith_zfree(w->hs0, hb);
    sirnn_arith_zfree(w->hs1, hb);
    sirnn_arith_zfree(w->first, w->gw * sizeof(sirnn_tweak));
    sirnn_arith_zfree(w->whs0, w->gw * E * sizeof(sirnn_block));
    sirnn_arith_zfree(w->whs1, w->gw * E * sizeof(sirnn_block));
    sirnn_arith_zfree(w->wfirst, w->gw * sizeof(sirnn_tweak));
}

/* Bytes a window of E elements carries between the flights of a group,
 * the larger party's (both compute it alike): the server keeps the two
 * hashes of each COT from reading its columns to sending its corrections
 * (the client adds its pads at once and recomputes its choices); with a
 * comparison also the wrap COTs' hashes, the wrap bits and the
 * comparison's own window state. */
static size_t group_state_bytes(const mm_ctx *c, size_t E, int need_wrap)
{
    size_t b = E * c->nrow * 2 * sizeof(sirnn_block) + sizeof(sirnn_tweak);
    if (need_wrap) {
        const size_t lt = sirnn_lt_window_bytes(c->m, E);
        b += E * 2 * sizeof(sirnn_block) + sizeof(sirnn_tweak) + E;
        b = lt > SIZE_MAX - b ? SIZE_MAX : b + lt;
    }
    return b;
}

/*
 * A lane's rows: the server's local terms, then A's elements in windows
 * of E, streamed in groups of gw windows (sirnn_stream_group) through one
 * set of flights per group: every window's bit-COT columns (and the
 * comparison's, by sirnn_lt_group, level by level), every window's
 * corrections in the server's second flight, then the wrap COTs of every
 * window. A one-window group (always on the silent backend) keeps no
 * hashes: the server answers from its workspace.
 */
static sirnn_status mm_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                            void *vctx)
{
    const mm_ctx *c = vctx;
    const size_t d2 = c->d2, d3 = c->d3;
    const uint64_t lmask = sirnn_mask(c->la), mmask = sirnn_mask(c->m);
    mm_ws w;
    memset(&w, 0, sizeof(w));
    w.c = c;
    w.lane = lane;
    w.ol = sirnn_ot_lane_get(lane);
    w.server = party->role == SIRNN_SERVER;
    w.nblk = (d3 + 1) / 2;
    const int need_wrap = c->la > c->m && c->msb == NULL; /* by a comparison */
    size_t E = ROW_BUDGET / d3 / 128 * 128;
    if (E < 128)
        E = 128;
    if (E > 4096)
        E = 4096;
    /* the tests' small windows (sirnn_stream_test_window) */
    E = min_size(E, sirnn_stream_window(0, SIZE_MAX));
    const size_t g_begin = begin * d2, g_end = end * d2;
    const size_t nwin = (g_end - g_begin + E - 1) / E;
    w.E = E;
    /* a 32nd of the stream budget (see the file comment: a server
     * session's memory stays near what the rest of a model's protocols
     * take) */
    const size_t per_window = group_state_bytes(c, E, need_wrap);
    w.gw = sirnn_stream_group(party, per_window > SIZE_MAX / MM_BUDGET_SHARE
                                         ? SIZE_MAX : per_window * MM_BUDGET_SHARE, nwin);
    unsigned fl = 0;
    if (need_wrap) {
        w.lt = sirnn_lt_ws_new_group(w.server, c->m, E, w.gw, &fl);
        if (w.lt == NULL)
            return SIRNN_ERR_NOMEM;
    }
    w.aoff = c->sgn && w.server ? (uint64_t)1 << (c->m - 1) : 0;
    w.A = sirnn_arith_zalloc(E * 8);
    w.choice = sirnn_arith_zalloc(E * 66);
    w.cf = sirnn_arith_zalloc(E * 4 * 8);
    w.wrap = sirnn_arith_zalloc(w.gw * E);
    w.rep = sirnn_arith_zalloc(w.nblk * sizeof(sirnn_block));
    w.pad0 = sirnn_arith_zalloc(w.nblk * sizeof(sirnn_block));
    w.pad1 = sirnn_arith_zalloc(w.nblk * sizeof(sirnn_block));
    w.vals = sirnn_arith_zalloc(E * d3 * 8);
    w.wire = sirnn_arith_zalloc(E * d3 * 8 + 64);
    int bad = w.A == NULL || w.choice == NULL || w.wrap == NULL || w.rep == NULL ||
              w.pad0 == NULL || w.pad1 == NULL || w.vals == NULL || w.wire == NULL ||
              w.cf == NULL;
    if (w.gw > 1 && w.server) {
        const size_t hb = w.gw * E * c->nrow * sizeof(sirnn_block);
        w.hs0 = sirnn_arith_zalloc(hb);
        w.hs1 = sirnn_arith_zalloc(hb);
        w.first = sirnn_arith_zalloc(w.gw * sizeof(sirnn_tweak));
        bad |= w.hs0 == NULL || w.hs1 == NULL || w.first == NULL;
        if (need_wrap) {
            w.whs0 = sirnn_arith_zalloc(w.gw * E * sizeof(sirnn_block));
            w.whs1 = sirnn_arith_zalloc(w.gw * E * sizeof(sirnn_block));
            w.wfirst = sirnn_arith_zalloc(w.gw * sizeof(sirnn_tweak));
            bad |= w.whs0 == NULL || w.whs1 == NULL || w.wfirst == NULL;
        }
    }
    sirnn_status st = sirnn_aiknp_ws_init(&w.ot, E * c->nrow);
    if (st == SIRNN_OK)
        st = sirnn_aiknp_ws_init(&w.wot, E);
    /* Silent COTs (SIRNN_OT_SILENT, one-window groups): the wrap COTs'
     * chooser takes its rows right before the messages (wrap_out). The
     * products' tiles are held at send_rows and go out at the head of the
     * server's second flight (the comparison's emit sends every held tile
     * up to its own, oldest first; server_corr emits them when there is no
     * comparison); the client takes their rows just before the
     * comparison's (hook_sent, flight 1) or before the corrections
     * (client_out): the engine's rows come in the order of the choices. */
    w.wot.silent_ok = 1;
    w.ot.silent_ok = 1;
    w.ot.hold = w.server;
    if (st == SIRNN_OK && bad)
        st = SIRNN_ERR_NOMEM;
    /* Lane rows [begin, end): local terms. */
    for (size_t i = begin; st == SIRNN_OK && i < end; i++) {
        uint64_t *acc = c->out + i * d3;
        memset(acc, 0, d3 * 8);
        if (!w.server)
            continue;
        for (size_t j = 0; j < d2; j++) {
            const uint64_t a0 = (c->a[i * d2 + j] + w.aoff) & mmask;
            for (size_t q = 0; q < d3; q++)
                acc[q] += a0 * weight(c, j, q);
        }
        if (c->sgn)
            for (size_t j = 0; j < d2; j++)
                for (size_t q = 0; q < d3; q++)
                    acc[q] -= weight(c, j, q) << (c->m - 1);
        for (size_t q = 0; q < d3; q++)
            acc[q] &= lmask;
    }
    sirnn_flight_hooks hk = {.sent = hook_sent, .received = hook_received, .ctx = &w};
    for (size_t g0 = g_begin; st == SIRNN_OK && g0 < g_end; g0 += w.gw * E) {
        w.g0 = g0;
        w.gend = g_end - g0 < w.gw * E ? g_end : g0 + w.gw * E;
        if ((st = products_cols(&w)) != SIRNN_OK)
            break;
        if (!need_wrap) {
            st = products_out(&w);
            continue;
        }
        if ((st = sirnn_lt_group(party, lane, w.lt, g0, w.gend - g0, cmp_in, cmp_out, &w,
                                 &hk)) != SIRNN_OK ||
            (st = wrap_group(&w)) != SIRNN_OK)
            break;
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    mm_ws_free(&w);
    return st;
}

static sirnn_status matmul_clear_common(sirnn_party *party, const char *fn, size_t d1,
                                       size_t d2, size_t d3, uint64_t *out, const uint64_t *a,
                                       const uint8_t *msb, int with_msb, const uint64_t *w,
                                       unsigned m, unsigned k, unsigned s, unsigned lout,
                                       int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    const size_t n = d1 * d3;
    /* la may pass 64 when the result's ring is within A's (s + lout <= m):
     * the product then runs mod 2^(s + lout) with no wrap of A (below) */
    const unsigned la = m + k + clog2(d2);
    if (BAD_WIDTH(m) || BAD_WIDTH(k) || (la > 64 && s + lout > m) || s >= la || lout < 1 ||
        lout > la - s || (is_signed != 0 && is_signed != 1) || (d2 > 0 && d1 > SIZE_MAX / d2) ||
        (d3 > 0 && d1 > SIZE_MAX / d3) || (d2 > 0 && d3 > SIZE_MAX / 8 / d2) ||
        (uint64_t)d3 > MAX_D3 ||
        (n > 0 && out == NULL) || (d1 * d2 > 0 && a == NULL) ||
        (server && d2 * d3 > 0 && w == NULL) ||
        (with_msb && d1 * d2 > 0 && (msb == NULL || !sirnn_arith_bits_ok(msb, d1 * d2))))
        return sirnn_arith_arg(party, fn,
                               "m or k outside 1..64, m + k + ceil(log2 d2) > 64, s or lout out "
                               "of range, bad signedness, size overflow, d3 > 2^33, NULL array "
                               "or msb bit not 0/1");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (d2 == 0) {
        memset(out, 0, n * 8);
        return SIRNN_OK;
    }
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    /* Only acc mod 2^(s + lout) matters: floor(acc / 2^s) mod 2^lout is
     * the truncate-reduce of acc mod 2^(s + lout). */
    const unsigned lc = s + lout < la ? s + lout : la;
    const unsigned mb = m < lc ? m : lc;
    const int m2w = with_msb && lc > m;
    mm_ctx c = {.d1 = d1, .d2 = d2, .d3 = d3, .out = out, .a = a, .w = server ? w : NULL,
                .m = m, .k = k, .la = lc, .mb = mb, .nrow = mb + (m2w ? 2u : 0u),
                .msb = m2w ? msb : NULL, .sgn = is_signed};
    if ((st = sirnn_batch_run(party, d1, mm_lane, &c)) != SIRNN_OK)
        return st;
    return mm_finish(party, n, out, lc, s, lout);
}

sirnn_status sirnn_matmul_clear(sirnn_party *party, size_t d1, size_t d2, size_t d3,
                                uint64_t *out, const uint64_t *a, const uint64_t *w, unsigned m,
                                unsigned k, unsigned s, unsigned lout, int is_signed)
{
    return matmul_clear_common(party, "sirnn_matmul_clear", d1, d2, d3, out, a, NULL, 0, w, m,
                               k, s, lout, is_signed);
}

sirnn_status sirnn_matmul_clear_msb(sirnn_party *party, size_t d1, size_t d2, size_t d3,
                                    uint64_t *out, const uint64_t *a, const uint8_t *msb,
                                    const uint64_t *w, unsigned m, unsigned k, unsigned s,
                                    unsigned lout, int is_signed)
{
    return matmul_clear_common(party, "sirnn_matmul_clear_msb", d1, d2, d3, out, a, msb, 1, w,
                               m, k, s, lout, is_signed);
}

/* ---------------- both operands shared ---------------- */

enum { MM_TRIPLES = 1 << 15, MM_AROWS = 4096 };

static sirnn_status mm_finish(sirnn_party *party, size_t n, uint64_t *out, unsigned la,
                              unsigned s, unsigned lout)
{
    sirnn_status st = SIRNN_OK;
    if (s > 0 && (st = sirnn_tr(party, n, out, out, la, s)) != SIRNN_OK)
        return st;
    if (lout < la - s)
        st = sirnn_mod_down(party, n, out, out, la - s, lout);
    return st;
}

sirnn_status sirnn_matmul(sirnn_party *party, size_t d1, size_t d2, size_t d3, uint64_t *out,
                          const uint64_t *a, const uint64_t *b, unsigned m, unsigned k,
                          unsigned s, unsigned lout, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const size_t n = d1 * d3;
    const unsigned la = m + k + clog2(d2);
    if (BAD_WIDTH(m) || BAD_WIDTH(k) || la > 64 || s >= la || lout < 1 || lout > la - s ||
        (is_signed != 0 && is_signed != 1) || (d2 > 0 && d1 > SIZE_MAX / d2) ||
        (d3 > 0 && d1 > SIZE_MAX / d3) || (d2 > 0 && d3 > SIZE_MAX / 8 / d2) ||
        (uint64_t)d3 > MAX_D3 ||
        (n > 0 && out == NULL) || (d1 * d2 > 0 && a == NULL) || (d2 * d3 > 0 && b == NULL))
        return sirnn_arith_arg(party, "sirnn_matmul",
                               "m or k outside 1..64, m + k + ceil(log2 d2) > 64, s or lout out "
                               "of range, bad signedness, size overflow or NULL array");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    memset(out, 0, n * 8);
    if (d2 == 0)
        return SIRNN_OK;
    /* A is extended to m' = la - k bits a block of rows at a time, then
     * every product A'[i][j] B[j][q] is one m' x k -> la multiplication. */
    const unsigned mx = la - k;
    const uint64_t lmask = sirnn_mask(la);
    size_t rows = MM_AROWS / d2;
    if (rows < 1)
        rows = 1;
    if (rows > d1)
        rows = d1;
    uint64_t *ax = sirnn_arith_zalloc(rows * d2 * 8);
    uint64_t *tx = sirnn_arith_zalloc((size_t)MM_TRIPLES * 8),
             *ty = sirnn_arith_zalloc((size_t)MM_TRIPLES * 8);
    if (ax == NULL || tx == NULL || ty == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto done;
    }
    for (size_t r0 = 0; r0 < d1 && st == SIRNN_OK; r0 += rows) {
        const size_t nr = min_size(rows, d1 - r0), na = nr * d2;
        if (mx > m)
            st = is_signed ? sirnn_sext(party, na, ax, a + r0 * d2, m, mx)
                           : sirnn_zext(party, na, ax, a + r0 * d2, m, mx);
        else
            memcpy(ax, a + r0 * d2, na * 8);
        const size_t total = na * d3; /* triples (i, j, q) of these rows */
        for (size_t t0 = 0; t0 < total && st == SIRNN_OK; t0 += MM_TRIPLES) {
            const size_t nt = min_size(MM_TRIPLES, total - t0);
            for (size_t t = 0; t < nt; t++) {
                const size_t g = t0 + t, q = g % d3, ij = g / d3, j = ij % d2;
                tx[t] = ax[ij];
                ty[t] = b[j * d3 + q];
            }
            if ((st = sirnn_mult(party, nt, tx, tx, ty, mx, k, la, is_signed)) != SIRNN_OK)
                break;
            for (size_t t = 0; t < nt; t++) {
                const size_t g = t0 + t, q = g % d3, i = r0 + g / d3 / d2;
                out[i * d3 + q] = (out[i * d3 + q] + tx[t]) & lmask;
            }
        }
    }
    if (st == SIRNN_OK)
        st = mm_finish(party, n, out, la, s, lout);
done:
    sirnn_arith_zfree(ax, rows * d2 * 8);
    sirnn_arith_zfree(tx, (size_t)MM_TRIPLES * 8);
    sirnn_arith_zfree(ty, (size_t)MM_TRIPLES * 8);
    return st;
}
