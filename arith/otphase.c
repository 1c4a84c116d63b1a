/*
 * Split-phase IKNP and KK13 OT on the lane engines (see arith/otphase.h).
 */
#include "arith/otphase.h"

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
    memset(w, 0, sizeof(*w));
    w->cap = sirnn_otx_round(cap);
    w->rows = sirnn_scratch_alloc(SIRNN_IKNP_CHUNK * sizeof(sirnn_block));
    w->h0 = sirnn_scratch_alloc(w->cap * sizeof(sirnn_block));
    w->h1 = sirnn_scratch_alloc(w->cap * sizeof(sirnn_block));
    w->col = sirnn_scratch_alloc(SIRNN_IKNP_CHUNK / 8);
    if (w->rows == NULL || w->h0 == NULL || w->h1 == NULL || w->col == NULL) {
        sirnn_aiknp_ws_free(w);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_aiknp_ws_free(sirnn_aiknp_ws *w)
{
    sirnn_scratch_free(w->rows, SIRNN_IKNP_CHUNK * sizeof(sirnn_block));
    sirnn_scratch_free(w->h0, w->cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->h1, w->cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->col, SIRNN_IKNP_CHUNK / 8);
    memset(w, 0, sizeof(*w));
}

sirnn_status sirnn_aiknp_recv_u(sirnn_aiknp_ws *w, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                const uint8_t *choices, size_t n)
{
    for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
        const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
        const size_t m = sirnn_otx_round(k);
        const uint64_t tweak = r->x.count;
        memset(w->col, 0, m / 8);
        sirnn_pack_bits(w->col, choices + off, k);
        sirnn_status st = sirnn_otx_recv_extend(&r->x, ch, w->rows, w->col, 0, m);
        if (st != SIRNN_OK)
            return st;
        sirnn_tccrhash(w->h0 + off, w->rows, tweak, k);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_aiknp_send_rows(sirnn_aiknp_ws *w, sirnn_iknp_sender *s, sirnn_channel *ch,
                                   size_t n)
{
    const sirnn_block delta = s->x.delta[0];
    for (size_t off = 0; off < n; off += SIRNN_IKNP_CHUNK) {
        const size_t k = min_size(SIRNN_IKNP_CHUNK, n - off);
        const uint64_t tweak = s->x.count;
        sirnn_status st = sirnn_otx_send_extend(&s->x, ch, w->rows, sirnn_otx_round(k));
        if (st != SIRNN_OK)
            return st;
        sirnn_tccrhash(w->h0 + off, w->rows, tweak, k);
        for (size_t i = 0; i < k; i++)
            w->rows[i] = sirnn_block_xor(w->rows[i], delta);
        sirnn_tccrhash(w->h1 + off, w->rows, tweak, k);
    }
    return SIRNN_OK;
}

void sirnn_aiknp_cot_msgs(const sirnn_aiknp_ws *w, uint64_t *x, uint64_t *y,
                          const uint64_t *corr, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        const uint64_t xi = w->h0[i].w[0] & mask;
        y[i] = (xi + corr[i] - w->h1[i].w[0]) & mask;
        x[i] = xi;
    }
}

void sirnn_aiknp_cot_out(const sirnn_aiknp_ws *w, uint64_t *out, const uint64_t *y,
                         const uint8_t *choices, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        const uint64_t sel = 0 - (uint64_t)(choices[i] & 1);
        out[i] = (w->h0[i].w[0] + (y[i] & sel)) & mask;
    }
}

void sirnn_aiknp_ot_msgs(const sirnn_aiknp_ws *w, uint64_t *y, const uint64_t *m0,
                         const uint64_t *m1, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        y[2 * i] = (m0[i] ^ w->h0[i].w[0]) & mask;
        y[2 * i + 1] = (m1[i] ^ w->h1[i].w[0]) & mask;
    }
}

void sirnn_aiknp_ot_out(const sirnn_aiknp_ws *w, uint64_t *out, const uint64_t *y,
                        const uint8_t *choices, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t i = 0; i < n; i++) {
        const uint64_t sel = 0 - (uint64_t)(choices[i] & 1);
        const uint64_t y0 = y[2 * i], y1 = y[2 * i + 1];
        out[i] = (y0 ^ ((y0 ^ y1) & sel) ^ w->h0[i].w[0]) & mask;
    }
}

/* ---------------- KK13 ---------------- */

#define AKK_VALS ((size_t)SIRNN_AKK_GROUP * 256)

sirnn_status sirnn_akk_ws_init(sirnn_akk_ws *w, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->cap = sirnn_otx_round(cap);
    w->rows = sirnn_scratch_alloc(2 * w->cap * sizeof(sirnn_block));
    w->h = sirnn_scratch_alloc(w->cap * sizeof(sirnn_block));
    w->vals = sirnn_scratch_alloc(AKK_VALS * sizeof(uint64_t));
    if (w->rows == NULL || w->h == NULL || w->vals == NULL) {
        sirnn_akk_ws_free(w);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_akk_ws_free(sirnn_akk_ws *w)
{
    sirnn_scratch_free(w->rows, 2 * w->cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->h, w->cap * sizeof(sirnn_block));
    sirnn_scratch_free(w->vals, AKK_VALS * sizeof(uint64_t));
    memset(w, 0, sizeof(*w));
}

/*
 * The receiver's choice matrix for choices [0, k): column j (j < 256) is bit
 * j of the Walsh-Hadamard code word of each choice, parity(x & j). Column j
 * is column (j without its lowest set bit) XOR bit plane ctz(j) of the
 * choices, so each column costs one pass of XORs. Written into cols (256
 * columns of m bits), zero beyond k.
 */
static void wh_columns(uint64_t *cols, const uint8_t *choices, size_t k, size_t m)
{
    const size_t words = m / 64;
    uint64_t planes[8][SIRNN_KKOT_MAX_CHUNK / 64];
    memset(planes, 0, sizeof(planes));
    for (size_t i = 0; i < k; i++) {
        const uint64_t x = choices[i];
        for (unsigned b = 0; b < 8; b++)
            planes[b][i / 64] |= ((x >> b) & 1) << (i % 64);
    }
    memset(cols, 0, words * sizeof(uint64_t));
    for (unsigned j = 1; j < SIRNN_KKOT_WIDTH; j++) {
        const uint64_t *prev = cols + (size_t)(j & (j - 1)) * words;
        const uint64_t *plane = planes[__builtin_ctz(j)];
        uint64_t *col = cols + (size_t)j * words;
        for (size_t q = 0; q < words; q++)
            col[q] = prev[q] ^ plane[q];
    }
    sirnn_memzero(planes, sizeof(planes));
}

sirnn_status sirnn_akk_recv_u(sirnn_akk_ws *w, sirnn_kkot_receiver *r, sirnn_channel *ch,
                              const uint8_t *choices, size_t n)
{
    w->tweak = r->x.count;
    for (size_t off = 0; off < n; off += SIRNN_KKOT_MAX_CHUNK) {
        const size_t k = min_size(SIRNN_KKOT_MAX_CHUNK, n - off);
        const size_t m = sirnn_otx_round(k);
        const uint64_t tweak = r->x.count;
        /* The u buffer may carry the choice columns (ot/ext.h). */
        wh_columns((uint64_t *)(void *)r->x.u, choices + off, k, m);
        sirnn_status st = sirnn_otx_recv_extend(&r->x, ch, w->rows, r->x.u, m / 8, m);
        if (st != SIRNN_OK)
            return st;
        sirnn_tccrhash256(w->h + off, w->rows, tweak, k);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_akk_send_rows(sirnn_akk_ws *w, sirnn_kkot_sender *s, sirnn_channel *ch,
                                 size_t n)
{
    w->tweak = s->x.count;
    for (size_t off = 0; off < n; off += SIRNN_KKOT_MAX_CHUNK) {
        const size_t k = min_size(SIRNN_KKOT_MAX_CHUNK, n - off);
        sirnn_status st =
            sirnn_otx_send_extend(&s->x, ch, w->rows + 2 * off, sirnn_otx_round(k));
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

void sirnn_akk_send_group(sirnn_akk_ws *w, const sirnn_kkot_sender *s, uint8_t *out,
                          const uint64_t *msgs, size_t first, size_t g, unsigned N,
                          unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    /* pads[i*N + v] = H_i(q_i ^ (C(v) & s)), low word (ot/kkot.h layout of
     * the sender's code table: a-halves at [0, 128), b-halves at [128, 384)). */
    sirnn_tccrhash256_many(w->vals, w->rows + 2 * first, w->tweak + first, g, s->code,
                           s->code + 128, N);
    const size_t count = g * N;
    for (size_t j = 0; j < count; j++)
        w->vals[j] = (msgs[j] ^ w->vals[j]) & mask;
    sirnn_pack(out, w->vals, count, l);
}

void sirnn_akk_recv_out(sirnn_akk_ws *w, uint64_t *out, const uint8_t *in,
                        const uint8_t *choices, size_t first, size_t n, unsigned N,
                        unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t g0 = 0; g0 < n; g0 += SIRNN_AKK_GROUP) {
        const size_t g = min_size(SIRNN_AKK_GROUP, n - g0);
        sirnn_unpack(w->vals, in + g0 * N * l / 8, g * N, l);
        for (size_t i = 0; i < g; i++) {
            const uint64_t x = choices[g0 + i];
            const uint64_t *y = w->vals + i * N;
            uint64_t acc = 0;
            for (unsigned v = 0; v < N; v++) {
                const uint64_t hit = ((uint64_t)(v ^ x) - 1) >> 63;
                acc |= y[v] & (0 - hit);
            }
            out[g0 + i] = (acc ^ w->h[first + g0 + i].w[0]) & mask;
        }
    }
}
