/*
 * KK13 1-out-of-N OT over the width-256 extension matrix (see ot/kkot.h).
 */
#include "ot/kkot.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"

enum {
    WIDTH = SIRNN_KKOT_WIDTH,
    MAX_CHUNK = SIRNN_KKOT_MAX_CHUNK,
    GROUP = 64,                  /* OTs hashed and packed together; GROUP*N*l is whole bytes */
    MAX_N = 256,
};
#define WIRE_BYTES ((size_t)256 * 1024) /* y of one chunk at most */
#define VALS_BYTES ((size_t)GROUP * MAX_N * sizeof(uint64_t))
#define ROWS_BYTES ((size_t)MAX_CHUNK * 2 * sizeof(sirnn_block))
#define HASH_BYTES ((size_t)MAX_CHUNK * sizeof(sirnn_block))
#define PLANE_WORDS ((size_t)MAX_CHUNK / 64)

static void *alloc_scratch(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

static void free_scratch(void *p, size_t bytes)
{
    if (p != NULL) {
        sirnn_memzero(p, bytes);
        free(p);
    }
}

size_t sirnn_kkot_chunk(unsigned N, unsigned l)
{
    size_t fit = WIRE_BYTES * 8 / ((size_t)N * l) / 128 * 128;
    return fit < MAX_CHUNK ? fit : MAX_CHUNK;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Bit j of the 256-bit row layout of kernels/transpose.h. */
static void set_row_bit(sirnn_block row[2], unsigned j, uint64_t bit)
{
    row[j / 128].w[(j / 64) % 2] |= bit << (j % 64);
}

sirnn_status sirnn_kkot_sender_init(sirnn_kkot_sender *s, const sirnn_block *keys,
                                    const uint8_t *choices)
{
    memset(s, 0, sizeof(*s));
    sirnn_status st = sirnn_otx_sender_init(&s->x, WIDTH, MAX_CHUNK, keys, choices);
    if (st != SIRNN_OK)
        return st;
    s->code_s = alloc_scratch(MAX_N * 2 * sizeof(sirnn_block));
    s->q = alloc_scratch(ROWS_BYTES);
    s->in = alloc_scratch(GROUP * 2 * sizeof(sirnn_block));
    s->h = alloc_scratch(GROUP * sizeof(sirnn_block));
    s->vals = alloc_scratch(VALS_BYTES);
    s->pads = alloc_scratch(VALS_BYTES);
    s->wire = alloc_scratch(WIRE_BYTES);
    if (s->code_s == NULL || s->q == NULL || s->in == NULL || s->h == NULL ||
        s->vals == NULL || s->pads == NULL || s->wire == NULL) {
        sirnn_kkot_sender_free(s);
        return SIRNN_ERR_NOMEM;
    }
    /* C(v) & s; v and j are public loop indices, s enters only by AND. */
    for (unsigned v = 0; v < MAX_N; v++)
        for (unsigned j = 0; j < WIDTH; j++) {
            uint64_t code_bit = (uint64_t)(__builtin_popcount(v & j) & 1);
            uint64_t s_bit = (s->x.delta[j / 128].w[(j / 64) % 2] >> (j % 64)) & 1;
            set_row_bit(s->code_s[v], j, code_bit & s_bit);
        }
    return SIRNN_OK;
}

sirnn_status sirnn_kkot_receiver_init(sirnn_kkot_receiver *r, const sirnn_block *keys)
{
    memset(r, 0, sizeof(*r));
    sirnn_status st = sirnn_otx_receiver_init(&r->x, WIDTH, MAX_CHUNK, keys);
    if (st != SIRNN_OK)
        return st;
    r->planes = alloc_scratch(8 * PLANE_WORDS * sizeof(uint64_t));
    r->t = alloc_scratch(ROWS_BYTES);
    r->h[0] = alloc_scratch(HASH_BYTES);
    r->h[1] = alloc_scratch(HASH_BYTES);
    r->vals = alloc_scratch(VALS_BYTES);
    r->wire = alloc_scratch(WIRE_BYTES);
    if (r->planes == NULL || r->t == NULL || r->h[0] == NULL || r->h[1] == NULL ||
        r->vals == NULL || r->wire == NULL) {
        sirnn_kkot_receiver_free(r);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_kkot_sender_free(sirnn_kkot_sender *s)
{
    sirnn_otx_sender_free(&s->x);
    free_scratch(s->code_s, MAX_N * 2 * sizeof(sirnn_block));
    free_scratch(s->q, ROWS_BYTES);
    free_scratch(s->in, GROUP * 2 * sizeof(sirnn_block));
    free_scratch(s->h, GROUP * sizeof(sirnn_block));
    free_scratch(s->vals, VALS_BYTES);
    free_scratch(s->pads, VALS_BYTES);
    free_scratch(s->wire, WIRE_BYTES);
    memset(s, 0, sizeof(*s));
}

void sirnn_kkot_receiver_free(sirnn_kkot_receiver *r)
{
    sirnn_otx_receiver_free(&r->x);
    free_scratch(r->planes, 8 * PLANE_WORDS * sizeof(uint64_t));
    free_scratch(r->t, ROWS_BYTES);
    free_scratch(r->h[0], HASH_BYTES);
    free_scratch(r->h[1], HASH_BYTES);
    free_scratch(r->vals, VALS_BYTES);
    free_scratch(r->wire, WIRE_BYTES);
    memset(r, 0, sizeof(*r));
}

/* Sender: the packed y of OTs [0, k) of the chunk in s->q, for messages
 * starting at msgs (already offset to the chunk). Pads are hashed v-major
 * (one call per v over a group) into s->pads, then combined with the
 * messages in 8 x GROUP tiles so that neither side is read with a stride of
 * N words (which thrashes L1 for large N). */
static void sender_pads(sirnn_kkot_sender *s, const uint64_t *msgs, size_t k, unsigned N,
                        unsigned l, uint64_t tweak)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t g0 = 0; g0 < k; g0 += GROUP) {
        const size_t g = min_size(GROUP, k - g0);
        const sirnn_block *q = s->q + 2 * g0;
        for (unsigned v = 0; v < N; v++) {
            const sirnn_block c0 = s->code_s[v][0], c1 = s->code_s[v][1];
            for (size_t i = 0; i < g; i++) {
                s->in[2 * i] = sirnn_block_xor(q[2 * i], c0);
                s->in[2 * i + 1] = sirnn_block_xor(q[2 * i + 1], c1);
            }
            sirnn_tccrhash256(s->h, s->in, tweak + g0, g);
            uint64_t *pad = s->pads + (size_t)v * GROUP;
            for (size_t i = 0; i < g; i++)
                pad[i] = s->h[i].w[0];
        }
        for (unsigned v0 = 0; v0 < N; v0 += 8) {
            const unsigned vend = v0 + 8 < N ? v0 + 8 : N;
            for (size_t i = 0; i < g; i++) {
                const uint64_t *m = msgs + (g0 + i) * N;
                uint64_t *y = s->vals + i * N;
                for (unsigned v = v0; v < vend; v++)
                    y[v] = (m[v] ^ s->pads[(size_t)v * GROUP + i]) & mask;
            }
        }
        /* g0 is a multiple of 64, so the group starts on a byte. */
        sirnn_pack(s->wire + g0 * N * l / 8, s->vals, g * N, l);
    }
}

sirnn_status sirnn_kkot_engine_send(sirnn_kkot_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                             size_t n, unsigned N, unsigned l)
{
    const size_t chunk = sirnn_kkot_chunk(N, l);
    for (size_t off = 0; off < n; off += chunk) {
        const size_t k = min_size(chunk, n - off);
        const uint64_t tweak = s->x.count;
        sirnn_status st = sirnn_otx_send_extend(&s->x, ch, s->q, sirnn_otx_round(k));
        if (st != SIRNN_OK)
            return st;
        sender_pads(s, msgs + off * N, k, N, l, tweak);
        if ((st = sirnn_channel_send(ch, s->wire, sirnn_pack_size(k * N, l))) != SIRNN_OK ||
            (st = sirnn_channel_flush(ch)) != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

/* Receiver: the Walsh-Hadamard code columns of choices [0, k) (zero beyond),
 * written into the u buffer: column j = XOR of bit planes b with j_b = 1,
 * built from column j & (j - 1) with one XOR. */
static void code_columns(sirnn_kkot_receiver *r, const uint8_t *choices, size_t k, size_t m)
{
    const size_t words = m / 64;
    uint64_t *planes = r->planes;
    memset(planes, 0, 8 * words * sizeof(uint64_t));
    for (size_t i = 0; i < k; i++) {
        const uint64_t x = choices[i];
        for (unsigned b = 0; b < 8; b++)
            planes[b * words + i / 64] |= ((x >> b) & 1) << (i % 64);
    }
    uint64_t *cols = (uint64_t *)(void *)r->x.u;
    memset(cols, 0, words * sizeof(uint64_t));
    for (unsigned j = 1; j < WIDTH; j++) {
        const uint64_t *base = cols + (size_t)(j & (j - 1)) * words;
        const uint64_t *plane = planes + (size_t)__builtin_ctz(j) * words;
        uint64_t *col = cols + (size_t)j * words;
        for (size_t w = 0; w < words; w++)
            col[w] = base[w] ^ plane[w];
    }
}

/* Receiver: outputs of OTs [0, k) of a chunk from H(t) and the packed y in
 * r->wire; every one of the N values is touched, the choice steers masks. */
static void receiver_outputs(sirnn_kkot_receiver *r, uint64_t *mc, const uint8_t *choices,
                             const sirnn_block *h, size_t k, unsigned N, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t g0 = 0; g0 < k; g0 += GROUP) {
        const size_t g = min_size(GROUP, k - g0);
        sirnn_unpack(r->vals, r->wire + g0 * N * l / 8, g * N, l);
        for (size_t i = 0; i < g; i++) {
            const uint64_t x = choices[g0 + i];
            const uint64_t *y = r->vals + i * N;
            uint64_t acc = 0;
            for (unsigned v = 0; v < N; v++) {
                uint64_t hit = ((uint64_t)(v ^ x) - 1) >> 63; /* 1 iff v == x */
                acc |= y[v] & (0 - hit);
            }
            mc[g0 + i] = (acc ^ h[g0 + i].w[0]) & mask;
        }
    }
}

/* As in IKNP, chunk c's u goes out before chunk c-1's y is read. */
sirnn_status sirnn_kkot_engine_recv(sirnn_kkot_receiver *r, sirnn_channel *ch, uint64_t *mc,
                             const uint8_t *choices, size_t n, unsigned N, unsigned l)
{
    const size_t chunk = sirnn_kkot_chunk(N, l);
    size_t prev_off = 0, prev_k = 0;
    unsigned slot = 0;
    sirnn_status st;
    for (size_t off = 0;; off += chunk) {
        const size_t k = off < n ? min_size(chunk, n - off) : 0;
        if (k > 0) {
            const size_t m = sirnn_otx_round(k);
            const uint64_t tweak = r->x.count;
            code_columns(r, choices + off, k, m);
            if ((st = sirnn_otx_recv_extend(&r->x, ch, r->t, r->x.u, m / 8, m)) != SIRNN_OK ||
                (st = sirnn_channel_flush(ch)) != SIRNN_OK)
                return st;
            sirnn_tccrhash256(r->h[slot], r->t, tweak, k);
        }
        if (prev_k > 0) {
            if ((st = sirnn_channel_recv(ch, r->wire, sirnn_pack_size(prev_k * N, l))) !=
                SIRNN_OK)
                return st;
            receiver_outputs(r, mc + prev_off, choices + prev_off, r->h[slot ^ 1], prev_k, N,
                             l);
        }
        if (k == 0)
            return SIRNN_OK;
        prev_off = off;
        prev_k = k;
        slot ^= 1;
    }
}
