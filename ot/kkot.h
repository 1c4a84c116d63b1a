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
 * The sender hashes a group of OTs at a time with sirnn_tccrhash256_many_pf
 * (for N > 128, code words v and v ^ 128 share their first half and so
 * their pi1 call: 128 + N AES calls per OT) while the next group's messages
 * are prefetched, then XORs in the messages and packs in one pass (the
 * combine kernel below).
 *
 * Wire: 256 bits of u per OT (n rounded up to 128) + N*l bits of y (bit
 * packed, ceil(n*N*l/8) bytes), i.e. 2λ + N*l; two flights. The receiver
 * picks y_{i,x_i} by scanning all N values with masks (no secret index).
 * The 256 base OTs come from 256 random IKNP OTs (sirnn_kkot_*_init).
 */
#ifndef SIRNN_OT_KKOT_H
#define SIRNN_OT_KKOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/cpu.h"
#include "net/channel.h"
#include "ot/ext.h"

#define SIRNN_KKOT_WIDTH 256
#define SIRNN_KKOT_MAX_CHUNK 2048

typedef struct sirnn_kkot_sender {
    sirnn_otx_sender x;
    sirnn_block *code;        /* C(v) & s, secret: first halves (v < 128) at [0, 128),
                                 second halves (v < 256) at [128, 384) */
    sirnn_block *q;           /* rows of a chunk, two blocks each */
    uint64_t *pads;           /* low hash words of a group, OT-major */
    uint8_t *wire;            /* packed y of a chunk */
} sirnn_kkot_sender;

typedef struct sirnn_kkot_receiver {
    sirnn_otx_receiver x;
    uint64_t *planes;         /* bit b of the choices, one column per b < 8 */
    sirnn_block *t;           /* rows of a chunk */
    sirnn_block *h[2];        /* H(t) of the two chunks in flight */
    uint8_t *wire;
} sirnn_kkot_receiver;

/*
 * The engine's vector kernels, a portable twin (ot/kkot.c) and an AVX-512
 * path (ot/kkot_avx512.c), picked from the active ISA level of kernels/cpu.h.
 * Messages, pads, y, choices and h are secret: no branch or memory index
 * depends on them (only on count, k, N and l).
 */
typedef struct sirnn_kkot_kernels {
    /* out = sirnn_pack of the l-bit values msgs[j] ^ pads[j], j < count:
     * exactly sirnn_pack_size(count, l) bytes, padding bits zero. */
    void (*combine)(uint8_t *out, const uint64_t *msgs, const uint64_t *pads, size_t count,
                    unsigned l);
    /* For i < k: mc[i] = (y_i[choices[i]] ^ h[i].w[0]) & mask(l), where y_i
     * are values [i*N, (i+1)*N) of the l-bit stream y (sirnn_pack layout,
     * at least 8 readable bytes beyond sirnn_pack_size(k * N, l)); all N
     * values of an OT are read, the choice only steers masks and shifts. */
    void (*select)(uint64_t *mc, const uint8_t *y, const uint8_t *choices, const sirnn_block *h,
                   size_t k, unsigned N, unsigned l);
} sirnn_kkot_kernels;

/* The kernels of an ISA level (for tests); false if the machine cannot run
 * that level. */
bool sirnn_kkot_kernels_for_isa(sirnn_isa isa, sirnn_kkot_kernels *out);

void sirnn_kkot_combine_portable(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                                 size_t count, unsigned l);
void sirnn_kkot_select_portable(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                                const sirnn_block *h, size_t k, unsigned N, unsigned l);
void sirnn_kkot_combine_avx512(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                               size_t count, unsigned l);
void sirnn_kkot_select_avx512(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                              const sirnn_block *h, size_t k, unsigned N, unsigned l);

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
