/*
 * 1-out-of-N OT, Kolesnikov-Kumaresan (Crypto 2013), for 2 <= N <= 256 and
 * l-bit messages (1 <= l <= 64), on one channel and one direction.
 *
 * The matrix step is ot/ext.h at width 256, with the Walsh-Hadamard code
 * C(v)_j = parity(v & j) (length 256, minimum distance 128 = λ) as the
 * receiver's choice encoding. With q_i = t_i ^ (C(x_i) & s):
 *   sender:   y_{i,v} = m_{i,v} ^ H_i(q_i ^ (C(v) & s))   for every v < N
 *   receiver: m_{i,x_i} = y_{i,x_i} ^ H_i(t_i)
 * For v != x_i the hash input differs from t_i by (C(v) ^ C(x_i)) & s, which
 * has at least 128 bits of s in it: correlation robustness of H for that
 * code ("pseudo-random code", KKRT CCS 2016, Def. 1) keeps the other N - 1
 * pads pseudo-random. H_i is the fixed-key tweakable hash sirnn_tccrhash256
 * (Guo et al., S&P 2020, widened to 256-bit inputs) with tweak = the OT's
 * index i in this engine, the same tweak for all v of one OT as in KKRT:
 * no AES key schedule per OT.
 *
 * Wire: 256 bits of u per OT (n rounded up to 128) + N*l bits of y (bit
 * packed, ceil(n*N*l/8) bytes), i.e. 2λ + N*l; two flights. The receiver
 * picks y_{i,x_i} by scanning all N values with masks (no secret index).
 * The 256 base OTs come from 256 random IKNP OTs (sirnn_kkot_*_init).
 */
#ifndef SIRNN_OT_KKOT_H
#define SIRNN_OT_KKOT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "net/channel.h"
#include "ot/ext.h"

#define SIRNN_KKOT_WIDTH 256
#define SIRNN_KKOT_MAX_CHUNK 2048

typedef struct sirnn_kkot_sender {
    sirnn_otx_sender x;
    sirnn_block (*code_s)[2]; /* C(v) & s for v < 256, secret */
    sirnn_block *q;           /* rows of a chunk, two blocks each */
    sirnn_block *in;          /* hash inputs of a group */
    sirnn_block *h;           /* hash outputs of a group */
    uint64_t *vals;           /* y values of a group, OT-major */
    uint64_t *pads;           /* low hash words of a group, v-major */
    uint8_t *wire;            /* packed y of a chunk */
} sirnn_kkot_sender;

typedef struct sirnn_kkot_receiver {
    sirnn_otx_receiver x;
    uint64_t *planes;         /* bit b of the choices, one column per b < 8 */
    sirnn_block *t;           /* rows of a chunk */
    sirnn_block *h[2];        /* H(t) of the two chunks in flight */
    uint64_t *vals;           /* unpacked y of a group */
    uint8_t *wire;
} sirnn_kkot_receiver;

/* From 256 base OTs: keys[j] = k_j^{choices[j]} (sender) or keys[2j],
 * keys[2j+1] (receiver). */
sirnn_status sirnn_kkot_sender_init(sirnn_kkot_sender *s, const sirnn_block *keys,
                                    const uint8_t *choices);
sirnn_status sirnn_kkot_receiver_init(sirnn_kkot_receiver *r, const sirnn_block *keys);
void sirnn_kkot_sender_free(sirnn_kkot_sender *s);
void sirnn_kkot_receiver_free(sirnn_kkot_receiver *r);

/* msgs[i*N + v] is message v of OT i (low l bits used). */
sirnn_status sirnn_kkot_engine_send(sirnn_kkot_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                             size_t n, unsigned N, unsigned l);
/* choices[i] < N (callers validate); mc[i] = msgs[i*N + choices[i]]. */
sirnn_status sirnn_kkot_engine_recv(sirnn_kkot_receiver *r, sirnn_channel *ch, uint64_t *mc,
                             const uint8_t *choices, size_t n, unsigned N, unsigned l);

/* OTs per chunk for (N, l): keeps a chunk's y within the wire buffer. */
size_t sirnn_kkot_chunk(unsigned N, unsigned l);

#endif /* SIRNN_OT_KKOT_H */
