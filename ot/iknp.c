/*
 * IKNP random, correlated and chosen-message OT (see ot/iknp.h).
 */
#include "ot/iknp.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/scratch.h"
#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"

enum { CHUNK = SIRNN_IKNP_CHUNK };

/* What the sender's corrections carry after the matrix step. */
typedef enum corr_kind { CORR_COT, CORR_OT, CORR_OT128 } corr_kind;

typedef struct corr_job {
    corr_kind kind;
    unsigned l;
    /* sender side */
    uint64_t *cot_m0;        /* COT: x_i out */
    const uint64_t *cot_corr;
    const uint64_t *ot_m0, *ot_m1;
    const uint8_t *ot128_m0, *ot128_m1;
    /* receiver side */
    const uint8_t *choices;
    uint64_t *out_l;         /* COT / OT_l */
    uint8_t *out_128;        /* OT_128 */
} corr_job;

/* Largest correction: two 128-bit messages per OT. */
#define WIRE_BYTES ((size_t)CHUNK * 32)
#define ROWS_BYTES ((size_t)CHUNK * sizeof(sirnn_block))
#define VALS_BYTES ((size_t)CHUNK * 2 * sizeof(uint64_t))

sirnn_status sirnn_iknp_sender_init(sirnn_iknp_sender *s, const sirnn_block *keys,
                                    const uint8_t *choices, unsigned k, sirnn_channel *ch)
{
    memset(s, 0, sizeof(*s));
    sirnn_status st = k == 1 ? sirnn_otx_sender_init(&s->x, 128, CHUNK, keys, choices)
                             : sirnn_otx_ss_sender_init(&s->x, k, CHUNK, keys, choices, ch);
    if (st != SIRNN_OK)
        return st;
    s->q = sirnn_scratch_alloc(ROWS_BYTES);
    s->h0 = sirnn_scratch_alloc(ROWS_BYTES);
    s->h1 = sirnn_scratch_alloc(ROWS_BYTES);
    s->wire = sirnn_scratch_alloc(WIRE_BYTES);
    s->vals = sirnn_scratch_alloc(VALS_BYTES);
    if (s->q == NULL || s->h0 == NULL || s->h1 == NULL || s->wire == NULL || s->vals == NULL) {
        sirnn_iknp_sender_free(s);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_receiver_init(sirnn_iknp_receiver *r, const sirnn_block *keys,
                                      unsigned k, sirnn_prg *prg, sirnn_channel *ch)
{
    memset(r, 0, sizeof(*r));
    sirnn_status st = k == 1 ? sirnn_otx_receiver_init(&r->x, 128, CHUNK, keys)
                             : sirnn_otx_ss_receiver_init(&r->x, k, CHUNK, keys, prg, ch);
    if (st != SIRNN_OK)
        return st;
    r->t = sirnn_scratch_alloc(ROWS_BYTES);
    r->h = sirnn_scratch_alloc(ROWS_BYTES);
    r->choice = sirnn_scratch_alloc(CHUNK / 8);
    r->wire = sirnn_scratch_alloc(WIRE_BYTES);
    r->vals = sirnn_scratch_alloc(VALS_BYTES);
    if (r->t == NULL || r->h == NULL || r->choice == NULL ||
        r->wire == NULL || r->vals == NULL) {
        sirnn_iknp_receiver_free(r);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_sender_attach_silent(sirnn_iknp_sender *s, uint64_t domain,
                                             const sirnn_block *seed)
{
    if (s->silent != NULL)
        return SIRNN_OK;
    if ((s->x.delta[0].w[0] & 1) == 0)
        return SIRNN_ERR_ARG;
    sirnn_silent *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return SIRNN_ERR_NOMEM;
    sirnn_status st = sirnn_silent_init(e, 1, s->x.delta[0], domain, seed);
    if (st != SIRNN_OK) {
        free(e);
        return st;
    }
    s->silent = e;
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_receiver_attach_silent(sirnn_iknp_receiver *r, uint64_t domain,
                                               const sirnn_block *seed)
{
    if (r->silent != NULL)
        return SIRNN_OK;
    sirnn_silent *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return SIRNN_ERR_NOMEM;
    const sirnn_block zero = {{0, 0}};
    sirnn_status st = sirnn_silent_init(e, 0, zero, domain, seed);
    if (st != SIRNN_OK) {
        free(e);
        return st;
    }
    r->silent = e;
    return SIRNN_OK;
}

static void free_silent(sirnn_silent *e)
{
    if (e != NULL) {
        sirnn_silent_free(e);
        free(e);
    }
}

void sirnn_iknp_sender_free(sirnn_iknp_sender *s)
{
    free_silent(s->silent);
    sirnn_otx_sender_free(&s->x);
    sirnn_scratch_free(s->q, ROWS_BYTES);
    sirnn_scratch_free(s->h0, ROWS_BYTES);
    sirnn_scratch_free(s->h1, ROWS_BYTES);
    sirnn_scratch_free(s->wire, WIRE_BYTES);
    sirnn_scratch_free(s->vals, VALS_BYTES);
    memset(s, 0, sizeof(*s));
}

void sirnn_iknp_receiver_free(sirnn_iknp_receiver *r)
{
    free_silent(r->silent);
    sirnn_otx_receiver_free(&r->x);
    sirnn_scratch_free(r->t, ROWS_BYTES);
    sirnn_scratch_free(r->h, ROWS_BYTES);
    sirnn_scratch_free(r->choice, CHUNK / 8);
    sirnn_scratch_free(r->wire, WIRE_BYTES);
    sirnn_scratch_free(r->vals, VALS_BYTES);
    memset(r, 0, sizeof(*r));
}

sirnn_block sirnn_iknp_delta(const sirnn_iknp_sender *s)
{
    return s->x.delta[0];
}

static size_t chunk_len(size_t n, size_t off)
{
    return n - off < CHUNK ? n - off : CHUNK;
}

/* The receiver's choice column for elements [off, off + k), zero-padded to m bits. */
static void load_choices(sirnn_iknp_receiver *r, const uint8_t *choices, size_t k, size_t m)
{
    memset(r->choice, 0, m / 8);
    sirnn_pack_bits(r->choice, choices, k);
}

/* Sender: the rows q of k OTs into s->q, from the extension or, for the
 * random OT, from silent COTs (the chosen calls derandomise silent rows
 * in their own loops: send_group, dcot_send_silent). */
static sirnn_status sender_rows(sirnn_iknp_sender *s, sirnn_channel *ch, size_t k)
{
    if (s->silent == NULL)
        return sirnn_otx_send_extend(&s->x, ch, s->q, sirnn_otx_round(k));
    sirnn_status st = sirnn_silent_send_take(s->silent, &s->x, ch, s->q, k);
    s->x.count += k;
    return st;
}

/* Receiver: the rows t of k OTs into r->t. Extension: choice column
 * r->choice. Silent (the random OT only): r->choice gets the silent
 * choices (bit 0 of t). */
static sirnn_status receiver_rows(sirnn_iknp_receiver *r, sirnn_channel *ch, size_t k)
{
    if (r->silent == NULL)
        return sirnn_otx_recv_extend(&r->x, ch, r->t, r->choice, 0, sirnn_otx_round(k));
    sirnn_status st = sirnn_silent_recv_take(r->silent, &r->x, ch, r->t, k);
    r->x.count += k;
    if (st != SIRNN_OK)
        return st;
    memset(r->choice, 0, (k + 7) / 8);
    for (size_t i = 0; i < k; i++)
        r->choice[i / 8] |= (uint8_t)((r->t[i].w[0] & 1) << (i % 8));
    return SIRNN_OK;
}

/* ---- the message construction (iknp.h), shared with ot/phase.h ---- */

void sirnn_iknp_hash_pair(sirnn_block *h0, sirnn_block *h1, sirnn_block *q, sirnn_block delta,
                          sirnn_tweak tw, size_t k)
{
    sirnn_tccrhash(h0, q, tw, k);
    for (size_t i = 0; i < k; i++)
        q[i] = sirnn_block_xor(q[i], delta);
    sirnn_tccrhash(h1, q, tw, k);
}

/* The four message constructions on the hashes' low words, h[i * st] (st = 2
 * on blocks, 1 on the narrow workspaces' words): one copy for both. */
static void cot_msgs_st(const uint64_t *h0, const uint64_t *h1, size_t st, uint64_t *x,
                        uint64_t *y, const uint64_t *corr, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        /* corr is read before x is written: they may be one array */
        const uint64_t xi = h0[i * st] & mask;
        y[i] = (xi + corr[i] - h1[i * st]) & mask;
        x[i] = xi;
    }
}

static void cot_out_st(const uint64_t *h, size_t st, uint64_t *out, const uint64_t *y,
                       const uint8_t *choices, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        const uint64_t sel = 0 - (uint64_t)(choices[i] & 1);
        out[i] = (h[i * st] + (y[i] & sel)) & mask;
    }
}

static void ot_msgs_st(const uint64_t *h0, const uint64_t *h1, size_t st, uint64_t *y,
                       const uint64_t *m0, const uint64_t *m1, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        y[2 * i] = (m0[i] ^ h0[i * st]) & mask;
        y[2 * i + 1] = (m1[i] ^ h1[i * st]) & mask;
    }
}

static void ot_out_st(const uint64_t *h, size_t st, uint64_t *out, const uint64_t *y,
                      const uint8_t *choices, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        const uint64_t sel = 0 - (uint64_t)(choices[i] & 1);
        const uint64_t y0 = y[2 * i], y1 = y[2 * i + 1];
        out[i] = (y0 ^ ((y0 ^ y1) & sel) ^ h[i * st]) & mask;
    }
}

void sirnn_iknp_cot_msgs(const sirnn_block *h0, const sirnn_block *h1, uint64_t *x, uint64_t *y,
                         const uint64_t *corr, size_t n, unsigned l)
{
    cot_msgs_st(h0->w, h1->w, 2, x, y, corr, n, l);
}

void sirnn_iknp_cot_out(const sirnn_block *h, uint64_t *out, const uint64_t *y,
                        const uint8_t *choices, size_t n, unsigned l)
{
    cot_out_st(h->w, 2, out, y, choices, n, l);
}

void sirnn_iknp_ot_msgs(const sirnn_block *h0, const sirnn_block *h1, uint64_t *y,
                        const uint64_t *m0, const uint64_t *m1, size_t n, unsigned l)
{
    ot_msgs_st(h0->w, h1->w, 2, y, m0, m1, n, l);
}

void sirnn_iknp_ot_out(const sirnn_block *h, uint64_t *out, const uint64_t *y,
                       const uint8_t *choices, size_t n, unsigned l)
{
    ot_out_st(h->w, 2, out, y, choices, n, l);
}

void sirnn_iknp_cot_msgs_w(const uint64_t *h0, const uint64_t *h1, uint64_t *x, uint64_t *y,
                           const uint64_t *corr, size_t n, unsigned l)
{
    cot_msgs_st(h0, h1, 1, x, y, corr, n, l);
}

void sirnn_iknp_cot_out_w(const uint64_t *h, uint64_t *out, const uint64_t *y,
                          const uint8_t *choices, size_t n, unsigned l)
{
    cot_out_st(h, 1, out, y, choices, n, l);
}

void sirnn_iknp_ot_msgs_w(const uint64_t *h0, const uint64_t *h1, uint64_t *y,
                          const uint64_t *m0, const uint64_t *m1, size_t n, unsigned l)
{
    ot_msgs_st(h0, h1, 1, y, m0, m1, n, l);
}

void sirnn_iknp_ot_out_w(const uint64_t *h, uint64_t *out, const uint64_t *y,
                         const uint8_t *choices, size_t n, unsigned l)
{
    ot_out_st(h, 1, out, y, choices, n, l);
}

/* Sender: rows of one chunk, hashed [0, k) as H(q) and H(q ^ Delta). */
static sirnn_status sender_chunk(sirnn_iknp_sender *s, sirnn_channel *ch, size_t k)
{
    const sirnn_tweak tweak = sirnn_tweak_make(s->x.domain, s->x.count);
    sirnn_status st = sender_rows(s, ch, k);
    if (st != SIRNN_OK)
        return st;
    sirnn_iknp_hash_pair(s->h0, s->h1, s->q, s->x.delta[0], tweak, k);
    return SIRNN_OK;
}

/* Receiver: extend one chunk with the choice column in r->choice; hash rows
 * [0, k) into h when hash is set, else leave the raw rows in r->t. */
static sirnn_status receiver_chunk(sirnn_iknp_receiver *r, sirnn_channel *ch, size_t k,
                                   sirnn_block *h)
{
    const sirnn_tweak tweak = sirnn_tweak_make(r->x.domain, r->x.count);
    sirnn_status st = receiver_rows(r, ch, k);
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (st != SIRNN_OK)
        return st;
    if (h != NULL)
        sirnn_tccrhash(h, r->t, tweak, k);
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_rot_send(sirnn_iknp_sender *s, sirnn_channel *ch, uint8_t *m0,
                                 uint8_t *m1, size_t n)
{
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = chunk_len(n, off);
        sirnn_status st = sender_chunk(s, ch, k);
        if (st != SIRNN_OK)
            return st;
        memcpy(m0 + 16 * off, s->h0, 16 * k);
        memcpy(m1 + 16 * off, s->h1, 16 * k);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_rot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, sirnn_prg *prg,
                                 uint8_t *choices, uint8_t *mc, size_t n)
{
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = chunk_len(n, off);
        /* Silent rows bring their own random choices (receiver_rows). */
        if (r->silent == NULL)
            sirnn_prg_bytes(prg, r->choice, sirnn_otx_round(k) / 8);
        sirnn_status st = receiver_chunk(r, ch, k, r->h);
        if (st != SIRNN_OK)
            return st;
        sirnn_unpack_bits(choices + off, r->choice, k);
        memcpy(mc + 16 * off, r->h, 16 * k);
    }
    return SIRNN_OK;
}

/* Δ-COT on silent rows, in pieces of whole chunks (the chunk layout, and
 * so the bytes, stay those of the chunk-by-chunk loop). Within a piece each
 * party's messages go one way at a time: the receiver sends every
 * correction d of the piece, then receives its rows' tiles; the sender
 * sends the tiles as it takes the piece's rows into m0, then receives the
 * corrections and applies them (q ^= d * Delta). So a piece costs one
 * flight per party whatever its size (the corrections wait in the socket
 * while the sender sends), where the chunk loop cost a sender flight per
 * tile. An engine iteration may start only in a piece's first chunk: its
 * corrections, which the receiver's choice side sends when the choices
 * reach the iteration and the sender reads when its rows do, then precede
 * the piece's d in the stream (silent_piece). At most SILENT_PIECE, well
 * below a main iteration, so the choice side stays within one iteration
 * of the rows. Memory: m0 and mc are the caller's, the rest the chunk
 * buffers. */
#define SILENT_PIECE ((size_t)CHUNK * 1024)

/* The next piece of a call with `rest` COTs to go (the same on both ends). */
static size_t silent_piece(const sirnn_silent *e, size_t rest)
{
    size_t left = sirnn_silent_rows_left(e); /* before the next iteration starts */
    if (left < CHUNK) /* that start falls in the first chunk: run into the next iteration */
        left += (size_t)e->main.n - sirnn_silent_reserve(&e->main);
    size_t piece = left / CHUNK * CHUNK;
    if (piece > SILENT_PIECE)
        piece = SILENT_PIECE;
    if (piece == 0)
        piece = CHUNK;
    return piece < rest ? piece : rest;
}

static sirnn_status dcot_send_silent(sirnn_iknp_sender *s, sirnn_channel *ch, uint8_t *m0,
                                     size_t n)
{
    const sirnn_block delta = s->x.delta[0];
    for (size_t base = 0, piece = 0; base < n; base += piece) {
        piece = silent_piece(s->silent, n - base);
        sirnn_status st;
        for (size_t off = base; off < base + piece; off += CHUNK) {
            const size_t k = chunk_len(base + piece, off);
            if ((st = sirnn_silent_send_take(s->silent, &s->x, ch, s->q, k)) != SIRNN_OK)
                return st;
            memcpy(m0 + 16 * off, s->q, 16 * k);
            s->x.count += k;
        }
        if ((st = sirnn_channel_flush(ch)) != SIRNN_OK)
            return st;
        for (size_t off = base; off < base + piece; off += CHUNK) {
            const size_t k = chunk_len(base + piece, off);
            if ((st = sirnn_channel_recv(ch, s->wire, (k + 7) / 8)) != SIRNN_OK)
                return st;
            for (size_t i = 0; i < k; i++) {
                const uint64_t m = 0 - (uint64_t)((s->wire[i / 8] >> (i % 8)) & 1);
                uint64_t w[2];
                memcpy(w, m0 + 16 * (off + i), 16);
                w[0] ^= delta.w[0] & m;
                w[1] ^= delta.w[1] & m;
                memcpy(m0 + 16 * (off + i), w, 16);
            }
        }
    }
    sirnn_memzero(s->q, ROWS_BYTES);
    return SIRNN_OK;
}

static sirnn_status dcot_recv_silent(sirnn_iknp_receiver *r, sirnn_channel *ch, uint8_t *mc,
                                     const uint8_t *choices, size_t n)
{
    uint8_t *bits = (uint8_t *)r->vals; /* CHUNK bytes; vals is free here */
    for (size_t base = 0, piece = 0; base < n; base += piece) {
        piece = silent_piece(r->silent, n - base);
        sirnn_status st;
        for (size_t off = base; off < base + piece; off += CHUNK) {
            const size_t k = chunk_len(base + piece, off);
            if ((st = sirnn_silent_recv_choices(r->silent, &r->x, ch, bits, k)) != SIRNN_OK)
                return st;
            memset(r->wire, 0, (k + 7) / 8);
            for (size_t i = 0; i < k; i++)
                r->wire[i / 8] |= (uint8_t)(((bits[i] ^ choices[off + i]) & 1) << (i % 8));
            if ((st = sirnn_channel_send(ch, r->wire, (k + 7) / 8)) != SIRNN_OK)
                return st;
        }
        sirnn_memzero(bits, CHUNK);
        if ((st = sirnn_channel_flush(ch)) != SIRNN_OK)
            return st;
        for (size_t off = base; off < base + piece; off += CHUNK) {
            const size_t k = chunk_len(base + piece, off);
            if ((st = sirnn_silent_recv_take(r->silent, &r->x, ch, r->t, k)) != SIRNN_OK)
                return st;
            memcpy(mc + 16 * off, r->t, 16 * k);
            r->x.count += k;
        }
    }
    sirnn_memzero(r->t, ROWS_BYTES);
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_dcot_send(sirnn_iknp_sender *s, sirnn_channel *ch, uint8_t *m0,
                                  size_t n)
{
    if (s->silent != NULL)
        return dcot_send_silent(s, ch, m0, n);
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = chunk_len(n, off);
        sirnn_status st = sender_rows(s, ch, k);
        if (st != SIRNN_OK)
            return st;
        memcpy(m0 + 16 * off, s->q, 16 * k);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_iknp_dcot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint8_t *mc,
                                  const uint8_t *choices, size_t n)
{
    if (r->silent != NULL)
        return dcot_recv_silent(r, ch, mc, choices, n);
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = chunk_len(n, off);
        load_choices(r, choices + off, k, sirnn_otx_round(k));
        sirnn_status st = receiver_chunk(r, ch, k, NULL);
        if (st != SIRNN_OK)
            return st;
        memcpy(mc + 16 * off, r->t, 16 * k);
    }
    return SIRNN_OK;
}

static size_t correction_bytes(const corr_job *job, size_t k)
{
    switch (job->kind) {
    case CORR_COT:
        return sirnn_pack_size(k, job->l);
    case CORR_OT:
        return sirnn_pack_size(2 * k, job->l);
    case CORR_OT128:
        break;
    }
    return 32 * k;
}

/* Sender: the corrections of elements [off, off + k) into wire. */
static void sender_corrections(sirnn_iknp_sender *s, const corr_job *job, uint8_t *wire,
                               size_t off, size_t k)
{
    switch (job->kind) {
    case CORR_COT:
        sirnn_iknp_cot_msgs(s->h0, s->h1, job->cot_m0 + off, s->vals, job->cot_corr + off, k,
                            job->l);
        sirnn_pack(wire, s->vals, k, job->l);
        break;
    case CORR_OT:
        sirnn_iknp_ot_msgs(s->h0, s->h1, s->vals, job->ot_m0 + off, job->ot_m1 + off, k, job->l);
        sirnn_pack(wire, s->vals, 2 * k, job->l);
        break;
    case CORR_OT128:
        for (size_t i = 0; i < k; i++) {
            uint64_t a[2], b[2];
            memcpy(a, job->ot128_m0 + 16 * (off + i), 16);
            memcpy(b, job->ot128_m1 + 16 * (off + i), 16);
            a[0] ^= s->h0[i].w[0];
            a[1] ^= s->h0[i].w[1];
            b[0] ^= s->h1[i].w[0];
            b[1] ^= s->h1[i].w[1];
            memcpy(wire + 32 * i, a, 16);
            memcpy(wire + 32 * i + 16, b, 16);
        }
        break;
    }
}

/* Receiver: keep H(t) of elements [off, off + k) in the caller's output
 * until their corrections come: its low word for l-bit messages (all the
 * message constructions read), all 16 bytes for OT_128. */
static void receiver_keep(const corr_job *job, const sirnn_block *h, size_t off, size_t k)
{
    if (job->kind == CORR_OT128) {
        memcpy(job->out_128 + 16 * off, h, 16 * k);
        return;
    }
    for (size_t i = 0; i < k; i++)
        job->out_l[off + i] = h[i].w[0];
}

/* Receiver: elements [off, off + k) from the kept hashes (in the output,
 * overwritten in place) and the corrections in r->wire; the choice bit
 * selects by mask. */
static void receiver_outputs(sirnn_iknp_receiver *r, const corr_job *job, size_t off, size_t k)
{
    const uint8_t *c = job->choices + off;
    switch (job->kind) {
    case CORR_COT:
        sirnn_unpack(r->vals, r->wire, k, job->l);
        sirnn_iknp_cot_out_w(job->out_l + off, job->out_l + off, r->vals, c, k, job->l);
        break;
    case CORR_OT:
        sirnn_unpack(r->vals, r->wire, 2 * k, job->l);
        sirnn_iknp_ot_out_w(job->out_l + off, job->out_l + off, r->vals, c, k, job->l);
        break;
    case CORR_OT128:
        for (size_t i = 0; i < k; i++) {
            uint64_t sel = 0 - (uint64_t)(c[i] & 1);
            uint64_t y0[2], y1[2], h[2], out[2];
            memcpy(y0, r->wire + 32 * i, 16);
            memcpy(y1, r->wire + 32 * i + 16, 16);
            memcpy(h, job->out_128 + 16 * (off + i), 16);
            out[0] = y0[0] ^ ((y0[0] ^ y1[0]) & sel) ^ h[0];
            out[1] = y0[1] ^ ((y0[1] ^ y1[1]) & sel) ^ h[1];
            memcpy(job->out_128 + 16 * (off + i), out, 16);
        }
        break;
    }
}

/*
 * Streaming (two flights per group of chunks, one group for any batch the
 * lane's stream budget holds). The receiver extends every chunk of a group
 * (its u columns, or on silent COTs its correction bits d, go out as one
 * flight) and keeps each chunk's hashes in the caller's output; the sender
 * reads the whole flight before it sends anything, then answers every
 * chunk in one flight, which the receiver reads to finish its outputs. So
 * in each flight one party only writes and the other only reads: nothing
 * piles up in a read buffer, and the bytes in each direction are those of
 * the chunk-by-chunk loop. What the sender holds across its read, per OT:
 *   HOLD_Y    the corrections (computed as the u columns arrive),
 *   HOLD_U    the received u columns (rows are made when it answers),
 *             whichever is smaller for the call's kind (both ends agree);
 *   HOLD_ROWS on silent COTs, the rows of the group (16 bytes): it sends
 *             their tiles before it reads the corrections d; a group is
 *             then also at most one silent piece (silent_piece).
 * A group of one chunk holds nothing beyond the engine's chunk buffers.
 */
typedef enum hold_kind { HOLD_Y, HOLD_U, HOLD_ROWS } hold_kind;

typedef struct stream_plan {
    hold_kind hold;
    size_t per_chunk; /* bytes held per full chunk */
} stream_plan;

static stream_plan plan_of(const corr_job *job, unsigned k, int silent)
{
    stream_plan p;
    if (silent) {
        p.hold = HOLD_ROWS;
        p.per_chunk = ROWS_BYTES;
        return p;
    }
    const size_t ub = sirnn_otx_u_bytes(128, k, CHUNK), yb = correction_bytes(job, CHUNK);
    p.hold = ub < yb ? HOLD_U : HOLD_Y;
    p.per_chunk = ub < yb ? ub : yb;
    return p;
}

/* OTs in the group starting with `rest` OTs to go: whole chunks, as many
 * as the budget holds, at least one (the same on both ends). */
static size_t group_len(const stream_plan *p, size_t budget, const sirnn_silent *e, size_t rest)
{
    size_t g = sirnn_otx_group(budget, p->per_chunk, CHUNK);
    if (e != NULL) {
        const size_t piece = silent_piece(e, rest);
        g = piece < g ? piece : g;
    }
    return g < rest ? g : rest;
}

/* Bytes the sender holds for the group [off0, off0 + gn). */
static size_t held_bytes(const stream_plan *p, const corr_job *job, unsigned k, size_t gn)
{
    size_t bytes = 0;
    for (size_t off = 0; off < gn; off += CHUNK) {
        const size_t c = chunk_len(gn, off);
        bytes += p->hold == HOLD_U     ? sirnn_otx_u_bytes(128, k, sirnn_otx_round(c))
                 : p->hold == HOLD_ROWS ? c * sizeof(sirnn_block)
                                        : correction_bytes(job, c);
    }
    return bytes;
}

static sirnn_status send_group(sirnn_iknp_sender *s, sirnn_channel *ch, const corr_job *job,
                               const stream_plan *p, uint8_t *buf, size_t off0, size_t gn)
{
    const size_t end = off0 + gn;
    const uint64_t count0 = s->x.count;
    /* Silent rows: each chunk's tweak is the engine's count before its
     * take, as in the chunk-by-chunk loop (the first take of a session
     * also bootstraps, which moves the count); a group is at most a piece. */
    uint64_t tw[SILENT_PIECE / CHUNK];
    sirnn_status st = SIRNN_OK;
    size_t pos = 0;
    /* Read the receiver's flight (HOLD_Y answers as it goes), or make the
     * silent rows, sending their tiles. */
    if (p->hold == HOLD_U)
        st = sirnn_channel_recv(ch, buf, held_bytes(p, job, s->x.k, gn));
    for (size_t off = off0; off < end && st == SIRNN_OK && p->hold != HOLD_U; off += CHUNK) {
        const size_t k = chunk_len(end, off);
        if (p->hold == HOLD_ROWS) {
            tw[(off - off0) / CHUNK] = s->x.count;
            st = sirnn_silent_send_take(s->silent, &s->x, ch, (sirnn_block *)(void *)buf +
                                        (off - off0), k);
            s->x.count += k;
            continue;
        }
        if ((st = sender_chunk(s, ch, k)) == SIRNN_OK) {
            sender_corrections(s, job, buf + pos, off, k);
            pos += correction_bytes(job, k);
        }
    }
    const sirnn_block delta = s->x.delta[0];
    if (st == SIRNN_OK && p->hold == HOLD_ROWS) {
        /* Then the receiver's flight: its bits d move the rows to its
         * choices (q ^= d * Delta), all read before anything is answered. */
        st = sirnn_channel_flush(ch);
        for (size_t off = off0; off < end && st == SIRNN_OK; off += CHUNK) {
            const size_t k = chunk_len(end, off);
            if ((st = sirnn_channel_recv(ch, s->wire, (k + 7) / 8)) != SIRNN_OK)
                break;
            sirnn_block *rows = (sirnn_block *)(void *)buf + (off - off0);
            for (size_t i = 0; i < k; i++) {
                const uint64_t msk = 0 - (uint64_t)((s->wire[i / 8] >> (i % 8)) & 1);
                rows[i].w[0] ^= delta.w[0] & msk;
                rows[i].w[1] ^= delta.w[1] & msk;
            }
        }
    }
    if (st == SIRNN_OK && p->hold == HOLD_Y)
        st = sirnn_channel_send(ch, buf, pos);
    if (st != SIRNN_OK || p->hold == HOLD_Y)
        return st == SIRNN_OK ? sirnn_channel_flush(ch) : st;
    /* Answer chunk by chunk, reading nothing more: one flight. */
    for (size_t off = off0; off < end; off += CHUNK) {
        const size_t k = chunk_len(end, off), m = sirnn_otx_round(k);
        const sirnn_tweak tweak = sirnn_tweak_make(
            s->x.domain, p->hold == HOLD_ROWS ? tw[(off - off0) / CHUNK] : count0 + (off - off0));
        if (p->hold == HOLD_U) {
            if ((st = sirnn_otx_send_extend_from(&s->x, s->q, buf + pos, m)) != SIRNN_OK)
                return st;
            pos += sirnn_otx_u_bytes(128, s->x.k, m);
        } else {
            memcpy(s->q, (const sirnn_block *)(const void *)buf + (off - off0),
                   k * sizeof(sirnn_block));
        }
        sirnn_iknp_hash_pair(s->h0, s->h1, s->q, delta, tweak, k);
        sender_corrections(s, job, s->wire, off, k);
        if ((st = sirnn_channel_send(ch, s->wire, correction_bytes(job, k))) != SIRNN_OK)
            return st;
    }
    return sirnn_channel_flush(ch);
}

static sirnn_status recv_group(sirnn_iknp_receiver *r, sirnn_channel *ch, const corr_job *job,
                               size_t off0, size_t gn)
{
    const size_t end = off0 + gn;
    uint64_t tw[SILENT_PIECE / CHUNK]; /* silent: as the sender's */
    sirnn_status st = SIRNN_OK;
    if (r->silent != NULL) {
        /* The correction bits d of the group first: the silent choices
         * need nothing from the sender. */
        uint8_t *bits = (uint8_t *)r->vals; /* CHUNK bytes; vals is free here */
        for (size_t off = off0; off < end && st == SIRNN_OK; off += CHUNK) {
            const size_t k = chunk_len(end, off);
            /* the count this chunk's rows will start from (the takes below
             * add the chunks before it) */
            tw[(off - off0) / CHUNK] = r->x.count + (off - off0);
            if ((st = sirnn_silent_recv_choices(r->silent, &r->x, ch, bits, k)) != SIRNN_OK)
                break;
            memset(r->wire, 0, (k + 7) / 8);
            for (size_t i = 0; i < k; i++)
                r->wire[i / 8] |= (uint8_t)(((bits[i] ^ job->choices[off + i]) & 1) << (i % 8));
            st = sirnn_channel_send(ch, r->wire, (k + 7) / 8);
        }
        sirnn_memzero(bits, CHUNK);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
    }
    for (size_t off = off0; off < end && st == SIRNN_OK; off += CHUNK) {
        const size_t k = chunk_len(end, off);
        const sirnn_tweak tweak = sirnn_tweak_make(
            r->x.domain, r->silent != NULL ? tw[(off - off0) / CHUNK] : r->x.count);
        if (r->silent != NULL) {
            st = sirnn_silent_recv_take(r->silent, &r->x, ch, r->t, k);
            r->x.count += k;
        } else {
            load_choices(r, job->choices + off, k, sirnn_otx_round(k));
            st = sirnn_otx_recv_extend(&r->x, ch, r->t, r->choice, 0, sirnn_otx_round(k));
        }
        if (st != SIRNN_OK)
            break;
        sirnn_tccrhash(r->h, r->t, tweak, k);
        receiver_keep(job, r->h, off, k);
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    for (size_t off = off0; off < end && st == SIRNN_OK; off += CHUNK) {
        const size_t k = chunk_len(end, off);
        if ((st = sirnn_channel_recv(ch, r->wire, correction_bytes(job, k))) == SIRNN_OK)
            receiver_outputs(r, job, off, k);
    }
    sirnn_memzero(r->h, ROWS_BYTES);
    sirnn_memzero(r->t, ROWS_BYTES);
    return st;
}

static sirnn_status send_corrected(sirnn_iknp_sender *s, sirnn_channel *ch,
                                   const corr_job *job, size_t n)
{
    const stream_plan p = plan_of(job, s->x.k, s->silent != NULL);
    sirnn_status st = SIRNN_OK;
    for (size_t off0 = 0, gn = 0; off0 < n && st == SIRNN_OK; off0 += gn) {
        gn = group_len(&p, s->stream_bytes, s->silent, n - off0);
        const size_t bytes = held_bytes(&p, job, s->x.k, gn);
        /* One chunk holding corrections needs only the chunk's wire. */
        uint8_t *buf = p.hold == HOLD_Y && gn <= CHUNK ? s->wire : sirnn_scratch_alloc(bytes);
        if (buf == NULL)
            return SIRNN_ERR_NOMEM;
        st = send_group(s, ch, job, &p, buf, off0, gn);
        if (buf != s->wire)
            sirnn_scratch_free(buf, bytes);
    }
    sirnn_memzero(s->q, ROWS_BYTES);
    return st;
}

static sirnn_status recv_corrected(sirnn_iknp_receiver *r, sirnn_channel *ch,
                                   const corr_job *job, size_t n)
{
    const stream_plan p = plan_of(job, r->x.k, r->silent != NULL);
    sirnn_status st = SIRNN_OK;
    for (size_t off0 = 0, gn = 0; off0 < n && st == SIRNN_OK; off0 += gn) {
        gn = group_len(&p, r->stream_bytes, r->silent, n - off0);
        st = recv_group(r, ch, job, off0, gn);
    }
    return st;
}

sirnn_status sirnn_iknp_cot_send(sirnn_iknp_sender *s, sirnn_channel *ch, uint64_t *m0,
                                 const uint64_t *corr, size_t n, unsigned l)
{
    corr_job job = {.kind = CORR_COT, .l = l, .cot_m0 = m0,
                    .cot_corr = corr};
    return send_corrected(s, ch, &job, n);
}

sirnn_status sirnn_iknp_cot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint64_t *mc,
                                 const uint8_t *choices, size_t n, unsigned l)
{
    corr_job job = {.kind = CORR_COT, .l = l, .choices = choices,
                    .out_l = mc};
    return recv_corrected(r, ch, &job, n);
}

sirnn_status sirnn_iknp_ot_send(sirnn_iknp_sender *s, sirnn_channel *ch, const uint64_t *m0,
                                const uint64_t *m1, size_t n, unsigned l)
{
    corr_job job = {.kind = CORR_OT, .l = l, .ot_m0 = m0, .ot_m1 = m1};
    return send_corrected(s, ch, &job, n);
}

sirnn_status sirnn_iknp_ot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint64_t *mc,
                                const uint8_t *choices, size_t n, unsigned l)
{
    corr_job job = {.kind = CORR_OT, .l = l, .choices = choices,
                    .out_l = mc};
    return recv_corrected(r, ch, &job, n);
}

sirnn_status sirnn_iknp_ot128_send(sirnn_iknp_sender *s, sirnn_channel *ch,
                                   const uint8_t *m0, const uint8_t *m1, size_t n)
{
    corr_job job = {.kind = CORR_OT128, .l = 128, .ot128_m0 = m0, .ot128_m1 = m1};
    return send_corrected(s, ch, &job, n);
}

sirnn_status sirnn_iknp_ot128_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint8_t *mc,
                                   const uint8_t *choices, size_t n)
{
    corr_job job = {.kind = CORR_OT128, .l = 128, .choices = choices, .out_128 = mc};
    return recv_corrected(r, ch, &job, n);
}
