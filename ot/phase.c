/*
 * Split-phase IKNP and KK13 OT on the lane engines (see ot/phase.h).
 */
#include "ot/phase.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/scratch.h"
#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"
#include "ot/ext.h"

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* ---------------- IKNP ---------------- */

sirnn_status sirnn_aiknp_ws_init(sirnn_aiknp_ws *w, size_t cap)
{
    return sirnn_aiknp_ws_init_roles(w, cap, cap);
}

/* A narrow sender hashes its rows in pieces of this many OTs (into tmp). */
#define NARROW_PIECE 512

/* The wide workspace keeps whole hashes (h0, h1), the narrow one their low
 * words (n0, n1) and a piece of scratch for hashing. */
static sirnn_status ws_init(sirnn_aiknp_ws *w, size_t send_cap, size_t recv_cap, int narrow)
{
    memset(w, 0, sizeof(*w));
    w->cap = sirnn_otx_round(send_cap > recv_cap ? send_cap : recv_cap);
    w->send_cap = sirnn_otx_round(send_cap);
    w->rows = sirnn_scratch_alloc(SIRNN_IKNP_CHUNK * sizeof(sirnn_block));
    w->col = sirnn_scratch_alloc(SIRNN_IKNP_CHUNK / 8);
    int ok;
    if (narrow) {
        w->n0 = sirnn_scratch_alloc(w->cap * sizeof(uint64_t));
        w->n1 = sirnn_scratch_alloc(w->send_cap * sizeof(uint64_t));
        w->tmp = sirnn_scratch_alloc(2 * NARROW_PIECE * sizeof(sirnn_block));
        ok = w->n0 != NULL && w->n1 != NULL && w->tmp != NULL;
    } else {
        w->h0 = sirnn_scratch_alloc(w->cap * sizeof(sirnn_block));
        w->h1 = sirnn_scratch_alloc(w->send_cap * sizeof(sirnn_block));
        ok = w->h0 != NULL && w->h1 != NULL;
    }
    if (!ok || w->rows == NULL || w->col == NULL) {
        sirnn_aiknp_ws_free(w);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_aiknp_ws_init_narrow(sirnn_aiknp_ws *w, size_t send_cap, size_t recv_cap)
{
    return ws_init(w, send_cap, recv_cap, 1);
}

sirnn_aiknp_ws sirnn_aiknp_ws_at(const sirnn_aiknp_ws *w, size_t off)
{
    sirnn_aiknp_ws v = *w;
    if (v.n0 != NULL) {
        v.n0 += off;
        if (v.send_cap > 0)
            v.n1 += off;
    } else {
        v.h0 += off;
        if (v.send_cap > 0)
            v.h1 += off;
    }
    return v;
}

sirnn_status sirnn_aiknp_ws_init_roles(sirnn_aiknp_ws *w, size_t send_cap, size_t recv_cap)
{
    return ws_init(w, send_cap, recv_cap, 0);
}

void sirnn_aiknp_ws_free(sirnn_aiknp_ws *w)
{
    sirnn_scratch_free(w->rows, SIRNN_IKNP_CHUNK * sizeof(sirnn_block));
    sirnn_scratch_free(w->h0, w->cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->h1, w->send_cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->n0, w->cap * sizeof(uint64_t));
    sirnn_scratch_free(w->n1, w->send_cap * sizeof(uint64_t));
    sirnn_scratch_free(w->tmp, 2 * NARROW_PIECE * sizeof(sirnn_block));
    sirnn_scratch_free(w->col, SIRNN_IKNP_CHUNK / 8);
    memset(w, 0, sizeof(*w));
}

/* Receiver: the hashes of k rows of OTs [off, off + k) of the batch, at
 * tweak tw: into h0, or (narrow) their low words into n0, hashing the rows
 * in place. The rows are wiped. */
static void recv_hash(sirnn_aiknp_ws *w, size_t off, sirnn_tweak tw, size_t k)
{
    if (w->n0 == NULL) {
        sirnn_tccrhash(w->h0 + off, w->rows, tw, k);
    } else {
        sirnn_tccrhash(w->rows, w->rows, tw, k);
        for (size_t i = 0; i < k; i++)
            w->n0[off + i] = w->rows[i].w[0];
    }
    sirnn_memzero(w->rows, k * sizeof(sirnn_block));
}

/* Sender: the hash pairs of the k rows q (sirnn_iknp_hash_pair, q is
 * overwritten) of OTs [off, off + k), at tweak tw: into h0 and h1, or
 * (narrow) their low words into n0 and n1, piece by piece. */
static void send_hash(sirnn_aiknp_ws *w, size_t off, sirnn_block *q, sirnn_block delta,
                      sirnn_tweak tw, size_t k)
{
    if (w->n0 == NULL) {
        sirnn_iknp_hash_pair(w->h0 + off, w->h1 + off, q, delta, tw, k);
        return;
    }
    sirnn_block *t0 = w->tmp, *t1 = w->tmp + NARROW_PIECE;
    for (size_t p = 0; p < k; p += NARROW_PIECE) {
        const size_t c = min_size(NARROW_PIECE, k - p);
        sirnn_iknp_hash_pair(t0, t1, q + p, delta, sirnn_tweak_make(tw.domain, tw.index + p), c);
        for (size_t i = 0; i < c; i++) {
            w->n0[off + p + i] = t0[i].w[0];
            w->n1[off + p + i] = t1[i].w[0];
        }
    }
    sirnn_memzero(w->tmp, 2 * NARROW_PIECE * sizeof(sirnn_block));
}

/* Silent COTs under the phases (otphase.h): both parties decide alike. */
static int use_silent(const sirnn_aiknp_ws *w, const sirnn_silent *e, const sirnn_channel *ch)
{
    return w->silent_ok && e != NULL && ch->mux == NULL;
}

static sirnn_status recv_u_silent(sirnn_aiknp_ws *w, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                  const uint8_t *choices, size_t n)
{
    sirnn_silent *e = r->silent;
    if (w->pending)
        return SIRNN_ERR_STATE; /* this workspace's last rows are still to take */
    w->first = sirnn_tweak_make(r->x.domain, r->x.count);
    w->pend_start = e->c_count; /* other stretches' rows may still wait before it */
    /* All the batch's choice bits first, then its d in one message: an
     * iteration's corrections, which the choice side sends when the bits
     * reach it, then precede the whole d, as the sender reads them. */
    /* cap * 16 (narrow: 8) bytes, free until recv_rows */
    uint8_t *d = w->n0 != NULL ? (uint8_t *)w->n0 : (uint8_t *)w->h0;
    uint8_t *bits = (uint8_t *)w->rows; /* CHUNK blocks, free here */
    const size_t bytes = (n + 7) / 8;
    memset(d, 0, bytes);
    for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
        const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
        sirnn_status st = sirnn_silent_recv_choices(e, &r->x, ch, bits, k);
        if (st != SIRNN_OK) {
            sirnn_memzero(bits, k);
            return st;
        }
        for (size_t i = 0; i < k; i++)
            d[(off + i) / 8] |= (uint8_t)(((bits[i] ^ choices[off + i]) & 1) << ((off + i) % 8));
        sirnn_memzero(bits, k);
    }
    sirnn_status st = sirnn_channel_send(ch, d, bytes);
    sirnn_memzero(d, bytes);
    if (st != SIRNN_OK)
        return st;
    r->x.count += n;
    w->pending = 1;
    w->pend_n = n;
    return SIRNN_OK;
}

sirnn_status sirnn_aiknp_recv_rows(sirnn_aiknp_ws *w, sirnn_iknp_receiver *r, sirnn_channel *ch)
{
    if (!w->pending)
        return SIRNN_OK;
    sirnn_silent *e = r->silent;
    if (e == NULL || e->produced != w->pend_start)
        return SIRNN_ERR_STATE; /* the engine's rows were taken out of order */
    w->pending = 0;
    const size_t n = w->pend_n;
    for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
        const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
        sirnn_status st = sirnn_silent_recv_take(e, &r->x, ch, w->rows, k);
        if (st != SIRNN_OK)
            return st;
        recv_hash(w, off, sirnn_tweak_make(w->first.domain, w->first.index + off), k);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_aiknp_recv_u(sirnn_aiknp_ws *w, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                const uint8_t *choices, size_t n)
{
    if (use_silent(w, r->silent, ch))
        return recv_u_silent(w, r, ch, choices, n);
    w->first = sirnn_tweak_make(r->x.domain, r->x.count);
    for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
        const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
        const size_t m = sirnn_otx_round(k);
        const sirnn_tweak tweak = sirnn_tweak_make(r->x.domain, r->x.count);
        memset(w->col, 0, m / 8);
        sirnn_pack_bits(w->col, choices + off, k);
        sirnn_status st = sirnn_otx_recv_extend(&r->x, ch, w->rows, w->col, 0, m);
        sirnn_memzero(w->col, m / 8); /* the choices */
        if (st != SIRNN_OK)
            return st;
        recv_hash(w, off, tweak, k);
        sirnn_memzero(w->rows, m * sizeof(sirnn_block));
    }
    return SIRNN_OK;
}

sirnn_status sirnn_aiknp_send_rows(sirnn_aiknp_ws *w, sirnn_iknp_sender *s, sirnn_channel *ch,
                                   size_t n)
{
    const sirnn_block delta = s->x.delta[0];
    if (use_silent(w, s->silent, ch)) {
        w->first = sirnn_tweak_make(s->x.domain, s->x.count);
        for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
            const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
            sirnn_status st =
                w->hold ? sirnn_silent_send_take_held(s->silent, &s->x, ch, w->rows, k, &w->mark)
                        : sirnn_silent_send_take(s->silent, &s->x, ch, w->rows, k);
            if (st != SIRNN_OK)
                return st;
            send_hash(w, off, w->rows, delta,
                      sirnn_tweak_make(w->first.domain, w->first.index + off), k);
        }
        sirnn_memzero(w->rows, min_size(n, SIRNN_IKNP_CHUNK) * sizeof(sirnn_block));
        s->x.count += n;
        /* d: where d_i = 1 the row of the receiver's choice is q_i ^ Delta */
        for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
            const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
            sirnn_status st = sirnn_channel_recv(ch, w->col, (k + 7) / 8);
            if (st != SIRNN_OK)
                return st;
            for (size_t i = 0; i < k; i++) {
                const uint64_t m = 0 - (uint64_t)((w->col[i / 8] >> (i % 8)) & 1);
                if (w->n0 != NULL) {
                    const uint64_t t = (w->n0[off + i] ^ w->n1[off + i]) & m;
                    w->n0[off + i] ^= t;
                    w->n1[off + i] ^= t;
                    continue;
                }
                sirnn_block *a = &w->h0[off + i], *b = &w->h1[off + i];
                for (int j = 0; j < 2; j++) {
                    const uint64_t t = (a->w[j] ^ b->w[j]) & m;
                    a->w[j] ^= t;
                    b->w[j] ^= t;
                }
            }
        }
        return SIRNN_OK;
    }
    /* The engine's index is read after each extension, not before: the
     * extension waits for the peer's columns first, and inside a call
     * group (sirnn/group.h) another member may extend the same engine
     * meanwhile; the extension itself (after its wait) runs at once. */
    w->first = sirnn_tweak_make(s->x.domain, s->x.count);
    for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
        const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
        sirnn_status st = sirnn_otx_send_extend(&s->x, ch, w->rows, sirnn_otx_round(k));
        if (st != SIRNN_OK)
            return st;
        const sirnn_tweak tweak =
            sirnn_tweak_make(s->x.domain, s->x.count - sirnn_otx_round(k));
        if (off == 0)
            w->first = tweak;
        send_hash(w, off, w->rows, delta, tweak, k);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_aiknp_send_emit(const sirnn_aiknp_ws *w, sirnn_iknp_sender *s,
                                   sirnn_channel *ch)
{
    if (!w->hold || !use_silent(w, s->silent, ch))
        return SIRNN_OK;
    return sirnn_silent_send_emit(s->silent, ch, w->mark);
}

void sirnn_aiknp_cot_msgs(const sirnn_aiknp_ws *w, uint64_t *x, uint64_t *y,
                          const uint64_t *corr, size_t n, unsigned l)
{
    if (w->n0 != NULL)
        sirnn_iknp_cot_msgs_w(w->n0, w->n1, x, y, corr, n, l);
    else
        sirnn_iknp_cot_msgs(w->h0, w->h1, x, y, corr, n, l);
}

void sirnn_aiknp_cot_out(const sirnn_aiknp_ws *w, uint64_t *out, const uint64_t *y,
                         const uint8_t *choices, size_t n, unsigned l)
{
    if (w->n0 != NULL)
        sirnn_iknp_cot_out_w(w->n0, out, y, choices, n, l);
    else
        sirnn_iknp_cot_out(w->h0, out, y, choices, n, l);
}

void sirnn_aiknp_ot_msgs(const sirnn_aiknp_ws *w, uint64_t *y, const uint64_t *m0,
                         const uint64_t *m1, size_t n, unsigned l)
{
    if (w->n0 != NULL)
        sirnn_iknp_ot_msgs_w(w->n0, w->n1, y, m0, m1, n, l);
    else
        sirnn_iknp_ot_msgs(w->h0, w->h1, y, m0, m1, n, l);
}

void sirnn_aiknp_ot_out(const sirnn_aiknp_ws *w, uint64_t *out, const uint64_t *y,
                        const uint8_t *choices, size_t n, unsigned l)
{
    if (w->n0 != NULL)
        sirnn_iknp_ot_out_w(w->n0, out, y, choices, n, l);
    else
        sirnn_iknp_ot_out(w->h0, out, y, choices, n, l);
}

/* ---------------- KK13 ---------------- */

#define AKK_VALS ((size_t)SIRNN_AKK_GROUP * 256)
/* One group's packed messages (at most 64 bits each) and the 8 readable
 * bytes the select kernel may touch beyond them. */
#define AKK_YBUF (AKK_VALS * 8 + 8)

/* The sender's key hashes: a group's one-block keys, or one OT's wide keys. */
static size_t akk_hb_blocks(unsigned b, unsigned nblk)
{
    return 2 * (size_t)SIRNN_AKK_GROUP * b + (nblk > 0 ? 2 * (size_t)b * nblk : 0);
}

sirnn_status sirnn_akk_ws_init(sirnn_akk_ws *w, size_t cap)
{
    return sirnn_akk_ws_init_roles(w, cap, cap);
}

sirnn_status sirnn_akk_ws_init_roles(sirnn_akk_ws *w, size_t send_cap, size_t recv_cap)
{
    memset(w, 0, sizeof(*w));
    w->cap = sirnn_otx_round(recv_cap);
    const size_t call = min_size(w->cap, SIRNN_KKOT_MAX_CHUNK);
    w->rows_cap = sirnn_otx_round(send_cap) > call ? sirnn_otx_round(send_cap) : call;
    w->rows_per = 2;
    w->rows = sirnn_scratch_alloc(2 * w->rows_cap * sizeof(sirnn_block));
    w->h = sirnn_scratch_alloc(w->cap * sizeof(uint64_t));
    w->hblk_cap = call > SIRNN_AKK_GROUP ? call : SIRNN_AKK_GROUP;
    w->hblk = sirnn_scratch_alloc(w->hblk_cap * sizeof(sirnn_block));
    w->vals = sirnn_scratch_alloc(AKK_VALS * sizeof(uint64_t));
    w->ybuf = sirnn_scratch_alloc(AKK_YBUF);
    if (w->rows == NULL || w->h == NULL || w->hblk == NULL || w->vals == NULL ||
        w->ybuf == NULL) {
        sirnn_akk_ws_free(w);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_akk_ws_free(sirnn_akk_ws *w)
{
    sirnn_scratch_free(w->rows, w->rows_per * w->rows_cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->hb, akk_hb_blocks(w->nco_b, w->nblk) * sizeof(sirnn_block));
    sirnn_scratch_free(w->h, w->cap * sizeof(uint64_t));
    sirnn_scratch_free(w->hblk, w->hblk_cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->vals, AKK_VALS * sizeof(uint64_t));
    sirnn_scratch_free(w->ybuf, AKK_YBUF);
    memset(w, 0, sizeof(*w));
}


/* ---- silent 1-of-N (otphase.h, sirnn_akk_ws_silent) ---- */

static int akk_silent(const sirnn_akk_ws *w, const sirnn_channel *ch)
{
    return w->nco_b > 0 && ch->mux == NULL;
}

static sirnn_tweak akk_tweak(const sirnn_silent *e, uint64_t pos)
{
    return sirnn_tweak_make(sirnn_tweak_retag(e->domain, SIRNN_TWEAK_NCO, 1), pos);
}

/* The seed of a wide key of the COT at engine position pos (otphase.h). */
static sirnn_tweak akk_wide_tweak(const sirnn_silent *e, uint64_t pos)
{
    return sirnn_tweak_make(sirnn_tweak_retag(e->domain, SIRNN_TWEAK_NCO, 3), pos);
}

/* v with bit j removed: its slot in a wide key of bit j. */
static inline uint64_t drop_bit(uint64_t v, unsigned j)
{
    return (v & (((uint64_t)1 << j) - 1)) | ((v >> (j + 1)) << j);
}

/* Bits [off, off + 64) of a block's word off / 64 (off < 128; only the low
 * sw <= 64 bits are used, slots never cross a word). off may be secret. */
static inline uint64_t block_bits(sirnn_block k, uint64_t off)
{
    const uint64_t hi = 0 - ((off >> 6) & 1);
    return ((k.w[0] & ~hi) | (k.w[1] & hi)) >> (off & 63);
}

/* Sender, wide keys: the N pads of one OT from its key seeds (seed of
 * (j, s) at seeds[s * nk + j], nk = the group's COTs), into vals. */
static void wide_send_pads(sirnn_akk_ws *w, const sirnn_block *seeds, size_t nk, uint64_t *vals,
                           unsigned N, unsigned l)
{
    const unsigned b = w->nco_b, sw = w->slot, nblk = w->nblk;
    sirnn_block *x = w->hb + 2 * (size_t)SIRNN_AKK_GROUP * b; /* key (j, s) at (2j + s) * nblk */
    for (unsigned j = 0; j < b; j++)
        for (unsigned s = 0; s < 2; s++)
            for (unsigned t = 0; t < nblk; t++)
                x[(2 * j + s) * nblk + t] =
                    sirnn_block_xor(seeds[s * nk + j], (sirnn_block){{t, 0}});
    sirnn_crhash(x, x, 2 * (size_t)b * nblk);
    /* Key (j, s) read in order: slot u is value v = u with s inserted at bit
     * j (everything here is the sender's and public in shape). */
    uint64_t pads[256];
    const unsigned half = 1u << (b - 1);
    memset(pads, 0, sizeof(pads));
    for (unsigned j = 0; j < b; j++)
        for (unsigned s = 0; s < 2; s++) {
            const uint64_t *kw = x[(2 * j + s) * nblk].w;
            const unsigned lo = (1u << j) - 1;
            for (unsigned u = 0; u < half; u++) {
                const unsigned v = ((u & ~lo) << 1) | (s << j) | (u & lo);
                const unsigned off = u * sw;
                pads[v] ^= kw[off >> 6] >> (off & 63);
            }
        }
    const uint64_t mask = sirnn_mask(l);
    for (unsigned v = 0; v < N; v++)
        vals[v] = pads[v] & mask;
    sirnn_memzero(pads, sizeof(pads));
    sirnn_memzero(x, 2 * (size_t)b * nblk * sizeof(sirnn_block));
}

/* Slot v (slot bits) of a 128-bit key: word v >> (b - 1), offset
 * (v mod 2^(b-1)) * slot. v may be secret: mask and register shift only. */
static inline uint64_t key_slot(sirnn_block k, uint64_t v, unsigned b, unsigned slot)
{
    const uint64_t hi = 0 - ((v >> (b - 1)) & 1);
    const uint64_t word = (k.w[0] & ~hi) | (k.w[1] & hi);
    const uint64_t off = (v & ((1u << (b - 1)) - 1)) * slot;
    return word >> off;
}

sirnn_status sirnn_akk_ws_silent(sirnn_akk_ws *w, sirnn_iknp_sender *s, sirnn_iknp_receiver *r,
                                 unsigned nmax, unsigned lmax)
{
    /* a party that only sends (or only receives) passes NULL for the other */
    if ((s == NULL && r == NULL) || (s != NULL && s->silent == NULL) ||
        (r != NULL && r->silent == NULL) || nmax < 2 || nmax > 256)
        return SIRNN_OK;
    unsigned b = 1;
    while ((1u << b) < nmax)
        b++;
    if (lmax < 1 || lmax > 64)
        return SIRNN_OK;
    unsigned slot = 128u >> b, nblk = 0;
    if (lmax > slot) { /* wide keys: sw-bit slots, 2^(b-1) per key */
        slot = 1;
        while (slot < lmax)
            slot *= 2;
        nblk = (1u << (b - 1)) * slot / 128;
    }
    const size_t hb_blocks = akk_hb_blocks(b, nblk);
    sirnn_block *hb = sirnn_scratch_alloc(hb_blocks * sizeof(sirnn_block));
    if (hb == NULL)
        return SIRNN_ERR_NOMEM;
    if (b > 2 && w->rows_cap > 0) {
        sirnn_block *rows = sirnn_scratch_alloc(b * w->rows_cap * sizeof(sirnn_block));
        if (rows == NULL) {
            sirnn_scratch_free(hb, hb_blocks * sizeof(sirnn_block));
            return SIRNN_ERR_NOMEM;
        }
        sirnn_scratch_free(w->rows, w->rows_per * w->rows_cap * sizeof(sirnn_block));
        w->rows = rows;
        w->rows_per = b;
    }
    w->hb = hb;
    w->nco_b = b;
    w->slot = slot;
    w->nblk = nblk;
    w->ssend = s;
    w->srecv = r;
    return SIRNN_OK;
}

uint64_t sirnn_akk_send_mark(const sirnn_akk_ws *w, const sirnn_channel *ch)
{
    return akk_silent(w, ch) ? w->ssend->silent->held_in : 0;
}

sirnn_status sirnn_akk_send_emit(const sirnn_akk_ws *w, sirnn_channel *ch, uint64_t mark)
{
    if (!akk_silent(w, ch))
        return SIRNN_OK;
    return sirnn_silent_send_emit(w->ssend->silent, ch, mark);
}

/* Receiver: the choice bits of the batch's n * b COTs, then d in one
 * message (an iteration's corrections, sent by the choice side, precede the
 * whole d, as the sender reads them). */
static sirnn_status akk_recv_u_silent(sirnn_akk_ws *w, sirnn_channel *ch,
                                      const uint8_t *choices, size_t n)
{
    sirnn_iknp_receiver *r = w->srecv;
    const unsigned b = w->nco_b;
    const size_t nk = n * b, dlen = (nk + 7) / 8;
    uint8_t *d = (uint8_t *)w->h;  /* n * 8 >= dlen bytes, free until recv_rows */
    uint8_t *bits = w->ybuf;       /* AKK_YBUF bytes */
    const size_t piece = (AKK_YBUF / 8 / b) * 8; /* OTs, a multiple of 8 */
    memset(d, 0, dlen);
    sirnn_status st = SIRNN_OK;
    for (size_t i0 = 0; i0 < n && st == SIRNN_OK; i0 += piece) {
        const size_t c = min_size(piece, n - i0);
        st = sirnn_silent_recv_choices(r->silent, &r->x, ch, bits, c * b);
        for (size_t i = 0; st == SIRNN_OK && i < c; i++)
            for (unsigned j = 0; j < b; j++) {
                const size_t k = (i0 + i) * b + j;
                const unsigned dj = (bits[i * b + j] ^ (choices[i0 + i] >> j)) & 1;
                d[k / 8] |= (uint8_t)(dj << (k % 8));
            }
        sirnn_memzero(bits, c * b);
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_send(ch, d, dlen);
    sirnn_memzero(d, dlen);
    return st;
}

sirnn_status sirnn_akk_recv_rows(sirnn_akk_ws *w, sirnn_channel *ch, const uint8_t *choices,
                                 size_t n)
{
    if (!akk_silent(w, ch))
        return SIRNN_OK;
    sirnn_iknp_receiver *r = w->srecv;
    sirnn_silent *e = r->silent;
    const unsigned b = w->nco_b, slot = w->slot;
    const uint64_t mask = slot >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << slot) - 1;
    const size_t piece = w->rows_per * w->rows_cap / b; /* OTs per take */
    for (size_t i0 = 0; i0 < n; i0 += piece) {
        const size_t c = min_size(piece, n - i0);
        const uint64_t pos = e->produced;
        if (pos + c * b > e->c_count)
            return SIRNN_ERR_STATE; /* rows whose choices recv_u did not make */
        sirnn_status st = sirnn_silent_recv_take(e, &r->x, ch, w->rows, c * b);
        if (st != SIRNN_OK)
            return st;
        if (w->nblk > 0) { /* the block of each key that holds slot c */
            sirnn_tccrhash(w->rows, w->rows, akk_wide_tweak(e, pos), c * b);
            for (size_t i = 0; i < c; i++)
                for (unsigned j = 0; j < b; j++) {
                    const uint64_t t = drop_bit(choices[i0 + i], j) * slot >> 7;
                    w->rows[i * b + j].w[0] ^= t; /* secret: arithmetic only */
                }
            sirnn_crhash(w->rows, w->rows, c * b);
            for (size_t i = 0; i < c; i++) {
                uint64_t pad = 0;
                for (unsigned j = 0; j < b; j++)
                    pad ^= block_bits(w->rows[i * b + j],
                                      (drop_bit(choices[i0 + i], j) * slot) & 127);
                w->h[i0 + i] = pad & mask;
            }
            sirnn_memzero(w->rows, c * b * sizeof(sirnn_block));
            continue;
        }
        sirnn_tccrhash(w->rows, w->rows, akk_tweak(e, pos), c * b);
        for (size_t i = 0; i < c; i++) {
            const uint64_t ci = choices[i0 + i];
            uint64_t pad = 0;
            for (unsigned j = 0; j < b; j++)
                pad ^= key_slot(w->rows[i * b + j], ci, b, slot);
            w->h[i0 + i] = pad & mask;
        }
        sirnn_memzero(w->rows, c * b * sizeof(sirnn_block));
    }
    return SIRNN_OK;
}

static sirnn_status akk_send_rows_silent(sirnn_akk_ws *w, sirnn_channel *ch, size_t n)
{
    sirnn_iknp_sender *s = w->ssend;
    sirnn_silent *e = s->silent;
    const unsigned b = w->nco_b;
    const size_t nk = n * b;
    uint64_t mark;
    w->pos = e->produced;
    sirnn_status st = sirnn_silent_send_take_held(e, &s->x, ch, w->rows, nk, &mark);
    /* d: where d_k = 1 the receiver's key of choice bit 0 is H(q ^ Delta), so
     * q ^ Delta takes q's place. */
    uint8_t *d = (uint8_t *)w->vals;
    const size_t piece = AKK_VALS * 8 * 8; /* COTs, a multiple of 8 */
    for (size_t k0 = 0; k0 < nk && st == SIRNN_OK; k0 += piece) {
        const size_t c = min_size(piece, nk - k0);
        if ((st = sirnn_channel_recv(ch, d, (c + 7) / 8)) != SIRNN_OK)
            break;
        for (size_t k = 0; k < c; k++) {
            const uint64_t m = 0 - (uint64_t)((d[k / 8] >> (k % 8)) & 1);
            w->rows[k0 + k].w[0] ^= e->delta.w[0] & m;
            w->rows[k0 + k].w[1] ^= e->delta.w[1] & m;
        }
    }
    return st;
}

static void akk_send_group_silent(sirnn_akk_ws *w, uint8_t *out, const uint64_t *msgs,
                                  size_t first, size_t g, unsigned N, unsigned l)
{
    const sirnn_silent *e = w->ssend->silent;
    const unsigned b = w->nco_b, slot = w->slot;
    const size_t nk = g * b;
    const sirnn_block *q = w->rows + first * b;
    sirnn_block *h0 = w->hb, *h1 = w->hb + nk;
    const sirnn_tweak tw = w->nblk > 0 ? akk_wide_tweak(e, w->pos + first * b)
                                       : akk_tweak(e, w->pos + first * b);
    sirnn_tccrhash(h0, q, tw, nk);
    for (size_t k = 0; k < nk; k++)
        h1[k] = sirnn_block_xor(q[k], e->delta);
    sirnn_tccrhash(h1, h1, tw, nk);
    if (w->nblk > 0) {
        for (size_t i = 0; i < g; i++)
            wide_send_pads(w, w->hb + i * b, nk, w->vals + i * N, N, l);
        sirnn_memzero(w->hb, 2 * nk * sizeof(sirnn_block));
        sirnn_kernels()->kk_combine(out, msgs, w->vals, g * N, l);
        return;
    }
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < g; i++)
        for (unsigned v = 0; v < N; v++) {
            uint64_t pad = 0;
            for (unsigned j = 0; j < b; j++)
                pad ^= key_slot(((v >> j) & 1) ? h1[i * b + j] : h0[i * b + j], v, b, slot);
            w->vals[i * N + v] = pad & mask;
        }
    sirnn_memzero(w->hb, 2 * nk * sizeof(sirnn_block));
    sirnn_kernels()->kk_combine(out, msgs, w->vals, g * N, l);
}

sirnn_status sirnn_akk_recv_u(sirnn_akk_ws *w, sirnn_kkot_receiver *r, sirnn_channel *ch,
                              const uint8_t *choices, size_t n)
{
    if (akk_silent(w, ch))
        return akk_recv_u_silent(w, ch, choices, n);
    w->tweak = r->x.count;
    for (size_t off = 0; off < n; off += SIRNN_KKOT_MAX_CHUNK) {
        const size_t k = min_size(SIRNN_KKOT_MAX_CHUNK, n - off);
        const sirnn_tweak tweak = sirnn_tweak_make(r->x.domain, r->x.count);
        sirnn_status st = sirnn_kkot_recv_extend(r, ch, w->rows, choices + off, k);
        if (st != SIRNN_OK)
            return st;
        sirnn_kkot_recv_hash(w->hblk, w->rows, tweak, k);
        for (size_t i = 0; i < k; i++)
            w->h[off + i] = w->hblk[i].w[0];
        sirnn_memzero(w->rows, 2 * sirnn_otx_round(k) * sizeof(sirnn_block));
        sirnn_memzero(w->hblk, k * sizeof(sirnn_block));
    }
    return SIRNN_OK;
}

sirnn_status sirnn_akk_send_rows(sirnn_akk_ws *w, sirnn_kkot_sender *s, sirnn_channel *ch,
                                 size_t n)
{
    w->sbatch = akk_silent(w, ch);
    if (w->sbatch)
        return akk_send_rows_silent(w, ch, n);
    w->tweak = s->x.count;
    for (size_t off = 0; off < n; off += SIRNN_KKOT_MAX_CHUNK) {
        const size_t k = min_size(SIRNN_KKOT_MAX_CHUNK, n - off);
        sirnn_status st =
            sirnn_otx_send_extend(&s->x, ch, w->rows + 2 * off, sirnn_otx_round(k));
        if (st != SIRNN_OK)
            return st;
        if (off == 0) /* after the wait for the columns (see sirnn_aiknp_send_rows) */
            w->tweak = s->x.count - sirnn_otx_round(k);
    }
    return SIRNN_OK;
}

void sirnn_akk_send_group(sirnn_akk_ws *w, const sirnn_kkot_sender *s, uint8_t *out,
                          const uint64_t *msgs, size_t first, size_t g, unsigned N,
                          unsigned l)
{
    if (w->sbatch) {
        akk_send_group_silent(w, out, msgs, first, g, N, l);
        return;
    }
    /* the engine's pads and combine (ot/kkot.h) */
    sirnn_kkot_send_pads(s, out, w->vals, w->rows + 2 * first, msgs, g, N, l,
                         sirnn_tweak_make(s->x.domain, w->tweak + first), NULL, 0);
}

void sirnn_akk_recv_out(sirnn_akk_ws *w, uint64_t *out, const uint8_t *in,
                        const uint8_t *choices, size_t first, size_t n, unsigned N,
                        unsigned l)
{
    for (size_t g0 = 0; g0 < n; g0 += SIRNN_AKK_GROUP) {
        const size_t g = min_size(SIRNN_AKK_GROUP, n - g0);
        /* A padded copy: the select kernel may read 8 bytes beyond the group. */
        const size_t bytes = sirnn_pack_size(g * N, l);
        memcpy(w->ybuf, in + g0 * N * l / 8, bytes);
        memset(w->ybuf + bytes, 0, 8);
        for (size_t i = 0; i < g; i++)
            w->hblk[i] = (sirnn_block){{w->h[first + g0 + i], 0}};
        sirnn_kernels()->kk_select(out + g0, w->ybuf, choices + g0, w->hblk, g, N, l);
    }
}
