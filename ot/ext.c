/*
 * OT-extension matrix step (see ot/ext.h).
 */
#include "ot/ext.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/scratch.h"
#include "kernels/random.h"
#include "kernels/transpose.h"

/* Column buffers hold width rows of max_chunk bits; 64-byte aligned so that
 * every column (a multiple of 16 bytes) is block-aligned. */
static int valid_shape(unsigned width, size_t max_chunk)
{
    return (width == 128 || width == 256) && max_chunk >= 128 && max_chunk % 128 == 0;
}

static sirnn_status init_streams(sirnn_prg *streams, const sirnn_block *keys, size_t count)
{
    for (size_t j = 0; j < count; j++) {
        sirnn_status st = sirnn_prg_init(&streams[j], &keys[j], 0);
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

static void free_streams(sirnn_prg *streams, size_t count)
{
    if (streams == NULL)
        return;
    for (size_t j = 0; j < count; j++)
        sirnn_prg_free(&streams[j]);
    free(streams);
}

sirnn_status sirnn_otx_sender_init(sirnn_otx_sender *s, unsigned width, size_t max_chunk,
                                   const sirnn_block *keys, const uint8_t *choices)
{
    memset(s, 0, sizeof(*s));
    if (!valid_shape(width, max_chunk))
        return SIRNN_ERR_ARG;
    s->width = width;
    s->max_chunk = max_chunk;
    for (unsigned j = 0; j < width; j++)
        s->delta[j / 128].w[(j / 64) % 2] |= (uint64_t)(choices[j] & 1) << (j % 64);
    s->seeds = calloc(width, sizeof(sirnn_prg));
    s->cols = sirnn_scratch_alloc(width * max_chunk / 8);
    s->u = sirnn_scratch_alloc(width * max_chunk / 8);
    if (s->seeds == NULL || s->cols == NULL || s->u == NULL) {
        sirnn_otx_sender_free(s);
        return SIRNN_ERR_NOMEM;
    }
    sirnn_status st = init_streams(s->seeds, keys, width);
    if (st != SIRNN_OK)
        sirnn_otx_sender_free(s);
    return st;
}

sirnn_status sirnn_otx_receiver_init(sirnn_otx_receiver *r, unsigned width, size_t max_chunk,
                                     const sirnn_block *keys)
{
    memset(r, 0, sizeof(*r));
    if (!valid_shape(width, max_chunk))
        return SIRNN_ERR_ARG;
    r->width = width;
    r->max_chunk = max_chunk;
    r->seeds = calloc(2 * (size_t)width, sizeof(sirnn_prg));
    r->cols = sirnn_scratch_alloc(width * max_chunk / 8);
    r->u = sirnn_scratch_alloc(width * max_chunk / 8);
    r->tmp = sirnn_scratch_alloc(max_chunk / 8);
    if (r->seeds == NULL || r->cols == NULL || r->u == NULL || r->tmp == NULL) {
        sirnn_otx_receiver_free(r);
        return SIRNN_ERR_NOMEM;
    }
    sirnn_status st = init_streams(r->seeds, keys, 2 * (size_t)width);
    if (st != SIRNN_OK)
        sirnn_otx_receiver_free(r);
    return st;
}

void sirnn_otx_sender_free(sirnn_otx_sender *s)
{
    size_t bytes = s->width * s->max_chunk / 8;
    free_streams(s->seeds, s->width);
    sirnn_scratch_free(s->cols, bytes);
    sirnn_scratch_free(s->u, bytes);
    sirnn_memzero(s, sizeof(*s));
}

void sirnn_otx_receiver_free(sirnn_otx_receiver *r)
{
    size_t bytes = r->width * r->max_chunk / 8;
    free_streams(r->seeds, 2 * (size_t)r->width);
    sirnn_scratch_free(r->cols, bytes);
    sirnn_scratch_free(r->u, bytes);
    sirnn_scratch_free(r->tmp, r->max_chunk / 8);
    sirnn_memzero(r, sizeof(*r));
}

static void transpose_rows(unsigned width, sirnn_block *rows, const uint8_t *cols, size_t m)
{
    if (width == 128)
        sirnn_transpose128(rows, cols, m / 8, m);
    else
        sirnn_transpose256(rows, cols, m / 8, m);
}

sirnn_status sirnn_otx_recv_extend(sirnn_otx_receiver *r, sirnn_channel *ch,
                                   sirnn_block *rows, const uint8_t *choice_cols,
                                   size_t choice_stride, size_t m)
{
    if (m == 0)
        return SIRNN_OK;
    if (m % 128 != 0 || m > r->max_chunk)
        return SIRNN_ERR_ARG;
    const size_t col_bytes = m / 8, col_words = m / 64, col_blocks = m / 128;
    const uint64_t *g1 = r->tmp->w;
    for (unsigned j = 0; j < r->width; j++) {
        uint8_t *t_col = r->cols + j * col_bytes;
        sirnn_prg_blocks(&r->seeds[2 * j], (sirnn_block *)(void *)t_col, col_blocks);
        sirnn_prg_blocks(&r->seeds[2 * j + 1], r->tmp, col_blocks);
        const uint64_t *t = (const uint64_t *)(const void *)t_col;
        const uint8_t *c_bytes = choice_cols + j * choice_stride;
        uint64_t *u = (uint64_t *)(void *)(r->u + j * col_bytes);
        for (size_t w = 0; w < col_words; w++) {
            uint64_t c;
            memcpy(&c, c_bytes + 8 * w, 8); /* the choice columns need no alignment */
            u[w] = t[w] ^ g1[w] ^ c;
        }
    }
    sirnn_status st = sirnn_channel_send(ch, r->u, r->width * col_bytes);
    if (st != SIRNN_OK)
        return st;
    transpose_rows(r->width, rows, r->cols, m);
    r->count += m;
    return SIRNN_OK;
}

sirnn_status sirnn_otx_send_extend(sirnn_otx_sender *s, sirnn_channel *ch, sirnn_block *rows,
                                   size_t m)
{
    if (m == 0)
        return SIRNN_OK;
    if (m % 128 != 0 || m > s->max_chunk)
        return SIRNN_ERR_ARG;
    const size_t col_bytes = m / 8, col_words = m / 64, col_blocks = m / 128;
    sirnn_status st = sirnn_channel_recv(ch, s->u, s->width * col_bytes);
    if (st != SIRNN_OK)
        return st;
    for (unsigned j = 0; j < s->width; j++) {
        uint8_t *q_col = s->cols + j * col_bytes;
        sirnn_prg_blocks(&s->seeds[j], (sirnn_block *)(void *)q_col, col_blocks);
        /* s_j selects u^j through a mask, never a branch. */
        uint64_t mask = 0 - ((s->delta[j / 128].w[(j / 64) % 2] >> (j % 64)) & 1);
        uint64_t *q = (uint64_t *)(void *)q_col;
        const uint64_t *u = (const uint64_t *)(const void *)(s->u + j * col_bytes);
        for (size_t w = 0; w < col_words; w++)
            q[w] ^= u[w] & mask;
    }
    transpose_rows(s->width, rows, s->cols, m);
    s->count += m;
    return SIRNN_OK;
}
