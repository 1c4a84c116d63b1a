/*
 * 1-out-of-N OT, Kolesnikov-Kumaresan (Crypto 2013), for 2 <= N <= 256 and
 * l-bit messages (1 <= l <= 64), on one channel and one direction.
 *
 * The matrix step is ot/ext.h at width 256, plain IKNP (k = 1) or
 * SoftSpoken with blocks of k = 2 columns, with the receiver's choice x
 * encoded by a code C of length 256. With q_i = t_i ^ (C(x_i) & s):
 *   sender:   y_{i,v} = m_{i,v} ^ H_i(q_i ^ (C(v) & s))   for every v < N
 *   receiver: m_{i,x_i} = y_{i,x_i} ^ H_i(t_i)
 * For v != x_i the hash input differs from t_i by (C(v) ^ C(x_i)) & s, which
 * has at least 128 bits of s in it (s is uniform bit by bit under both k):
 * correlation robustness of H for that code ("pseudo-random code", KKRT CCS
 * 2016, Def. 1; kernels/crhash.h argues it for any code of distance >= 128)
 * keeps the other N - 1 pads pseudo-random. H_i is the fixed-key tweakable
 * hash sirnn_tccrhash256 (a 256-to-128 compression under pi1, then Guo et
 * al.'s TCCR ending under pi2, so the tweak enters the call that every
 * offset's secret bits enter, even where the first half of C(v) ^ C(x) is
 * zero) with tweak (engine domain || the OT's index i in this engine), the
 * same tweak for all v of one OT as in KKRT: no AES key schedule per OT.
 *
 * The code. SoftSpoken sends one correction column per block, so the two
 * columns of a block must carry the same choice bit: C is the first-order
 * Reed-Muller code RM(1,7) ([128, 8, 64]) with each column written twice,
 *   C(v)_j = a(v)_(j >> 1),  a(v)_i = parity(v & J(i)),
 *   J(i) = (i & 63) | 64 | (i & 64) << 1          (i < 128),
 * i.e. bit 6 of v is the constant term and bits 0..5 and 7 weigh bits 0..6
 * of the position i. Equivalently, column j of C is column J(j >> 1) of the
 * Walsh-Hadamard code W(v)_c = parity(v & c) (c < 256): RM(1,7) is W on the
 * 128 positions with bit 6 set. The receiver's choice matrix is therefore
 * handed to ot/ext.h in W's layout (column c = parity(x & c); only the
 * columns J(i) are read, through the extension's col_map), so a caller that
 * builds all 256 W columns (ot/phase.c) and sirnn_kkot_recv_extend
 * (which builds only the 128 used ones) feed the same code.
 * C is linear, so its distance is its least weight: for
 * d != 0, a(d)_i = d_6 ^ L(i) with L linear in the 7 bits of i; if L != 0
 * it is balanced (64 ones of 128), else d = 64 and a(d) is all ones. So
 * weight(C(d)) = 2 * weight(a(d)) >= 128 = lambda, the same distance as the
 * Walsh-Hadamard code it replaces (whose pairs of columns differ). Columns
 * j < 128 (i < 64) never see bit 7 of v, so C(v) and C(v ^ 128) share
 * their first half and its pi1 call (sirnn_tccrhash256_many): 128 + 2N AES
 * calls per OT for N > 128. The same code serves k = 1 and k = 2.
 *
 * Wire: (256 / k) bits of u per OT (n rounded up to 128) + N*l bits of y
 * (bit packed, ceil(n*N*l/8) bytes), i.e. 2λ/k + N*l; two flights per
 * group of chunks (all of a call up to the stream budget: the sender holds
 * a group's y or its u columns, whichever is smaller; ot/kkot.c). The
 * receiver picks y_{i,x_i} by scanning all N values with masks (no secret
 * index). The 256 base OTs come from 256 random IKNP OTs
 * (sirnn_kkot_*_init); with k = 2 the receiver's init also queues the GGM
 * corrections (256 * 32 bytes, ot/ext.h) for the sender's init.
 */
#ifndef SIRNN_OT_KKOT_H
#define SIRNN_OT_KKOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/cpu.h"
#include "kernels/kkpack.h"
#include "kernels/prg.h"
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
    size_t stream_bytes;      /* as sirnn_iknp_sender's (0: 64 MiB) */
} sirnn_kkot_sender;

typedef struct sirnn_kkot_receiver {
    sirnn_otx_receiver x;
    uint64_t *planes;         /* bit b of the choices, one column per b < 8 */
    sirnn_block *t;           /* rows of a chunk */
    sirnn_block *h;           /* H(t) of a chunk */
    uint8_t *wire;
    size_t stream_bytes;      /* as the sender's */
} sirnn_kkot_receiver;

/* Bit j < 256 of the code word C(v), v < 256 (public arguments). */
unsigned sirnn_kkot_code_bit(unsigned v, unsigned j);

/* From 256 base OTs: keys[j] = k_j^{choices[j]} (sender) or keys[2j],
 * keys[2j+1] (receiver). k = 1 (IKNP) or 2 (SoftSpoken; the peer's engines
 * must use the same k). With k = 2 the receiver draws its GGM roots from prg
 * and queues 8 KiB on ch (no flush), which the sender's init reads from ch;
 * with k = 1 prg and ch are unused (may be NULL). */
sirnn_status sirnn_kkot_sender_init(sirnn_kkot_sender *s, const sirnn_block *keys,
                                    const uint8_t *choices, unsigned k, sirnn_channel *ch);
sirnn_status sirnn_kkot_receiver_init(sirnn_kkot_receiver *r, const sirnn_block *keys,
                                      unsigned k, sirnn_prg *prg, sirnn_channel *ch);
void sirnn_kkot_sender_free(sirnn_kkot_sender *s);
void sirnn_kkot_receiver_free(sirnn_kkot_receiver *r);

/* msgs[i*N + v] is message v of OT i (low l bits used). */
sirnn_status sirnn_kkot_engine_send(sirnn_kkot_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                             size_t n, unsigned N, unsigned l);
/* choices[i] < N (callers validate); mc[i] = msgs[i*N + choices[i]]. */
sirnn_status sirnn_kkot_engine_recv(sirnn_kkot_receiver *r, sirnn_channel *ch, uint64_t *mc,
                             const uint8_t *choices, size_t n, unsigned N, unsigned l);

/* Receiver, one extension call: the code columns of choices [0, n) (n <=
 * SIRNN_KKOT_MAX_CHUNK, each < 256) written into r->x.u, then
 * sirnn_otx_recv_extend, which queues 256 / k columns of round128(n) bits
 * (no flush) and fills rows with the 2 * round128(n) blocks of t. */
sirnn_status sirnn_kkot_recv_extend(sirnn_kkot_receiver *r, sirnn_channel *ch,
                                    sirnn_block *rows, const uint8_t *choices, size_t n);

/* OTs per chunk for (N, l): keeps a chunk's y within the wire buffer. */
size_t sirnn_kkot_chunk(unsigned N, unsigned l);

/*
 * The KK13 message construction, shared by the whole calls above and the
 * split-phase OTs of ot/phase.h (one copy: a change to a tweak or a pad
 * lands in both). The tweak of OT i of a batch is (the engine's domain, its
 * count at the batch's first OT + i), as for the extension.
 *
 * Sender: the g OTs whose rows are q (2 blocks each): pads[i*N + v] =
 * lo(H(q_i ^ (C(v) & s); tw + i)) (scratch, g * N words), then
 * out = pack(msgs ^ pads, l bits each), g * N values (the caller's
 * messages of these OTs, msgs[i*N + v]). pf / pf_bytes: a prefetch hint
 * for the caller's next messages (NULL, 0 for none).
 */
void sirnn_kkot_send_pads(const sirnn_kkot_sender *s, uint8_t *out, uint64_t *pads,
                          const sirnn_block *q, const uint64_t *msgs, size_t g, unsigned N,
                          unsigned l, sirnn_tweak tw, const void *pf, size_t pf_bytes);
/* Receiver: h[i] = H(t_i; tw + i), the pad of its choice (low 64 bits used). */
void sirnn_kkot_recv_hash(sirnn_block *h, const sirnn_block *t, sirnn_tweak tw, size_t k);

#endif /* SIRNN_OT_KKOT_H */
