/*
 * The OT-extension matrix step shared by IKNP (width 128) and KK13
 * (width 256), after Ishai-Kilian-Nissim-Petrank (Crypto 2003).
 *
 * The receiver holds seed pairs (k_j^0, k_j^1) and the sender holds s (the
 * base-OT choice bits) and k_j^{s_j}, for j < width. For a chunk of m OTs
 * (m a multiple of 128) and receiver choice columns c^j (m bits each):
 *   receiver: t^j = G(k_j^0),  u^j = t^j ^ G(k_j^1) ^ c^j,  sends u^j
 *   sender:   q^j = G(k_j^{s_j}) ^ (s_j ? u^j : 0) = t^j ^ (s_j & c^j)
 * and both transpose their columns into m rows of width bits. For IKNP
 * c^j = r for every j, so q_i = t_i ^ (r_i * s). Each seed drives its own
 * AES-CTR stream, consumed m/128 blocks per chunk in step on both sides.
 *
 * Wire: width * m / 8 bytes from receiver to sender per chunk, no padding
 * beyond m. Column and row buffers live in the state (no allocation per call).
 * s, the seeds and all rows are secret; s_j is applied by mask.
 */
#ifndef SIRNN_OT_EXT_H
#define SIRNN_OT_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/prg.h"
#include "net/channel.h"

typedef struct sirnn_otx_sender {
    unsigned width;        /* 128 or 256 */
    size_t max_chunk;      /* largest m per extend call */
    sirnn_block delta[2];  /* s, width bits (delta[1] unused at width 128) */
    sirnn_prg *seeds;      /* width streams G(k_j^{s_j}) */
    uint8_t *cols;         /* width columns of max_chunk bits */
    uint8_t *u;            /* received u columns */
    uint64_t count;        /* OTs extended so far (both sides agree) */
} sirnn_otx_sender;

typedef struct sirnn_otx_receiver {
    unsigned width;
    size_t max_chunk;
    sirnn_prg *seeds;      /* 2 * width streams: G(k_j^0) at 2j, G(k_j^1) at 2j+1 */
    uint8_t *cols;         /* t columns */
    uint8_t *u;            /* u columns, sent */
    sirnn_block *tmp;      /* one column of G(k_j^1) */
    uint64_t count;
} sirnn_otx_receiver;

/* keys[j] = k_j^{choices[j]}, j < width; choices are 0/1 (secret). */
sirnn_status sirnn_otx_sender_init(sirnn_otx_sender *s, unsigned width, size_t max_chunk,
                                   const sirnn_block *keys, const uint8_t *choices);
/* keys[2j], keys[2j+1] = k_j^0, k_j^1, j < width. */
sirnn_status sirnn_otx_receiver_init(sirnn_otx_receiver *r, unsigned width, size_t max_chunk,
                                     const sirnn_block *keys);
/* Wipe and free; safe on a zeroed state. */
void sirnn_otx_sender_free(sirnn_otx_sender *s);
void sirnn_otx_receiver_free(sirnn_otx_receiver *r);

/*
 * Receiver: extend m OTs (m a multiple of 128, m <= max_chunk). Column j of
 * the choice matrix is choice_cols + j * choice_stride (m / 8 bytes);
 * choice_stride 0 uses the same column for every j (IKNP). choice_cols may
 * be r->u with stride m / 8 (the columns are then overwritten by u).
 * Queues the u columns on ch (no flush). rows gets m * width / 128 blocks in
 * the layout of kernels/transpose.h. r->count advances by m.
 */
sirnn_status sirnn_otx_recv_extend(sirnn_otx_receiver *r, sirnn_channel *ch,
                                   sirnn_block *rows, const uint8_t *choice_cols,
                                   size_t choice_stride, size_t m);
/* Sender: receive the u columns of m OTs and produce q rows, as above. */
sirnn_status sirnn_otx_send_extend(sirnn_otx_sender *s, sirnn_channel *ch, sirnn_block *rows,
                                   size_t m);

/* n rounded up to a multiple of 128 (the extension granularity). */
static inline size_t sirnn_otx_round(size_t n)
{
    return (n + 127) & ~(size_t)127;
}

#endif /* SIRNN_OT_EXT_H */
