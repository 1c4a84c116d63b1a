/*
 * IKNP OT extension (Ishai, Kilian, Nissim, Petrank, Crypto 2003) with the
 * random/correlated/chosen-message variants of Asharov-Lindell-Schneider-
 * Zohner (CCS 2013), on one channel and one direction: this side is either
 * the sender or the receiver of the engine. Both sides call the matching
 * function with the same n (and l).
 *
 * Rows come from ot/ext.h (width 128): q_i = t_i ^ (r_i * Delta), where Delta
 * is the sender's base-OT choice vector s. Hashes are the fixed-key
 * tweakable correlation-robust hash sirnn_tccrhash (Guo et al., S&P 2020)
 * with tweak = (the engine's domain || the global index of the OT in this
 * engine): no two hashes of one engine share a tweak, and the domain (use,
 * sender, lane; kernels/crhash.h) keeps the lanes of a party, which share
 * Delta, apart:
 *   ROT     sender (H(q_i), H(q_i ^ Delta)), receiver (r_i, H(t_i)), r random
 *   Δ-COT   sender (q_i, q_i ^ Delta),      receiver chooses r_i, gets t_i
 *   COT_l   sender x_i = H(q_i) mod 2^l and sends
 *           y_i = x_i + corr_i - H(q_i ^ Delta) mod 2^l; receiver H(t_i) + r_i*y_i
 *   OT_l    sender sends m0_i ^ H(q_i), m1_i ^ H(q_i ^ Delta) (low l bits);
 *           receiver unmasks the chosen one (selection by mask)
 *   OT_128  the same with 128-bit messages.
 * Wire (bits per OT, n rounded up to a multiple of 128 for the u columns
 * only): ROT and Δ-COT 128; COT_l 128 + l; OT_l 128 + 2l; OT_128 384.
 * With SoftSpoken block size k (ot/ext.h) the 128 becomes 128 / k.
 * Corrections are bit-packed (kernels/pack.h), so COT_l sends exactly
 * ceil(n*l/8) bytes of y. Rounds: ROT/Δ-COT one flight; the others two.
 *
 * Work is done in chunks of SIRNN_IKNP_CHUNK OTs (PRG, transpose and hash
 * stay in cache), streamed in groups (ot/iknp.c): the receiver sends every
 * chunk of a group in one flight and keeps each chunk's hashes in the
 * caller's output, the sender reads the whole flight, then answers every
 * chunk in one flight, holding the group's corrections or its u columns
 * (whichever is smaller; the rows on silent COTs) within stream_bytes.
 * So the two flights above hold for any n the budget covers; beyond it,
 * two per group. Chunk scratch lives in the engine; a group of more than
 * one chunk allocates what the sender holds for the call.
 * Everything except n and l is secret.
 */
#ifndef SIRNN_OT_IKNP_H
#define SIRNN_OT_IKNP_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/prg.h"
#include "net/channel.h"
#include "ot/ext.h"
#include "ot/silent.h"

#define SIRNN_IKNP_CHUNK 8192

typedef struct sirnn_iknp_sender {
    sirnn_otx_sender x;
    sirnn_block *q;       /* rows of a chunk */
    sirnn_block *h0, *h1; /* H(q), H(q ^ Delta) */
    uint8_t *wire;        /* outgoing corrections of a chunk */
    uint64_t *vals;       /* unpacked l-bit corrections (2 per OT) */
    sirnn_silent *silent; /* SIRNN_OT_SILENT: rows come from here (owned), else NULL */
    size_t stream_bytes;  /* what a call may hold to answer a group of chunks in one
                             flight (0: 64 MiB); both ends of an engine set the same */
} sirnn_iknp_sender;

typedef struct sirnn_iknp_receiver {
    sirnn_otx_receiver x;
    sirnn_block *t;       /* rows of a chunk */
    sirnn_block *h;       /* H(t) of a chunk */
    uint8_t *choice;      /* packed choice column of a chunk */
    uint8_t *wire;        /* incoming corrections of a chunk */
    uint64_t *vals;
    sirnn_silent *silent; /* as the sender's */
    size_t stream_bytes;  /* as the sender's */
} sirnn_iknp_receiver;

/* From base OTs: the sender holds keys[j] = k_j^{choices[j]} (its choices
 * become Delta), the receiver holds keys[2j], keys[2j+1], j < 128.
 * k is the SoftSpoken block size (ot/ext.h): 1 is plain IKNP (ch and prg
 * unused, may be NULL); 2, 4 or 8 make the receiver send 128 / k bits per
 * OT instead of 128. Then the receiver's init queues its 4096-byte setup
 * message on ch (drawing the GGM roots from prg) and the sender's init reads
 * the peer's from ch, so a party inits its receiver before its sender. */
sirnn_status sirnn_iknp_sender_init(sirnn_iknp_sender *s, const sirnn_block *keys,
                                    const uint8_t *choices, unsigned k, sirnn_channel *ch);
sirnn_status sirnn_iknp_receiver_init(sirnn_iknp_receiver *r, const sirnn_block *keys,
                                      unsigned k, sirnn_prg *prg, sirnn_channel *ch);
/*
 * Run every call below on silent COTs (ot/silent.h) instead of extending:
 * the rows of n OTs are n silent COTs, derandomised to the receiver's
 * choices by one correction bit per OT (d = r ^ c, receiver to sender, one
 * flight; the random OT skips it and keeps r as its choices), then hashed
 * and corrected exactly as above. Both ends attach before their first call.
 * The sender's Delta must have bit 0 set. seed keys the silent engine's PRG.
 * Wire per OT: the silent COT (ot/silent.h) + 1 bit (0 for the random OT)
 * instead of 128 / k; the corrections are unchanged. Flights: one more,
 * from the sender, in a call that makes a new tile of silent COTs (its
 * sender sends all of a group's tiles before it reads the corrections: one
 * per group), and one per party for each Ferret iteration a call starts
 * after its first chunk, or for each 2^23 COTs beyond the first.
 */
sirnn_status sirnn_iknp_sender_attach_silent(sirnn_iknp_sender *s, uint64_t domain,
                                             const sirnn_block *seed);
sirnn_status sirnn_iknp_receiver_attach_silent(sirnn_iknp_receiver *r, uint64_t domain,
                                               const sirnn_block *seed);

/* Wipe and free; safe on a zeroed engine. */
void sirnn_iknp_sender_free(sirnn_iknp_sender *s);
void sirnn_iknp_receiver_free(sirnn_iknp_receiver *r);

/* The sender's global correlation Delta (secret). */
sirnn_block sirnn_iknp_delta(const sirnn_iknp_sender *s);

/* 128-bit messages are 16 bytes each, unaligned byte arrays; choice bits
 * are one byte each, 0 or 1 (callers validate). Outputs never alias inputs. */

/* Random OT: m0, m1 (sender); random choices and mc = m_choice (receiver). */
sirnn_status sirnn_iknp_rot_send(sirnn_iknp_sender *s, sirnn_channel *ch, uint8_t *m0,
                                 uint8_t *m1, size_t n);
sirnn_status sirnn_iknp_rot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, sirnn_prg *prg,
                                 uint8_t *choices, uint8_t *mc, size_t n);
/* Δ-COT: sender m0 (m1 = m0 ^ Delta); receiver mc = m0 ^ choice * Delta. */
sirnn_status sirnn_iknp_dcot_send(sirnn_iknp_sender *s, sirnn_channel *ch, uint8_t *m0,
                                  size_t n);
sirnn_status sirnn_iknp_dcot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint8_t *mc,
                                  const uint8_t *choices, size_t n);
/* Additive COT mod 2^l: sender m0 (m1 = m0 + corr), receiver mc. */
sirnn_status sirnn_iknp_cot_send(sirnn_iknp_sender *s, sirnn_channel *ch, uint64_t *m0,
                                 const uint64_t *corr, size_t n, unsigned l);
sirnn_status sirnn_iknp_cot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint64_t *mc,
                                 const uint8_t *choices, size_t n, unsigned l);
/* Chosen-message OT of l-bit messages (bits above l ignored). */
sirnn_status sirnn_iknp_ot_send(sirnn_iknp_sender *s, sirnn_channel *ch, const uint64_t *m0,
                                const uint64_t *m1, size_t n, unsigned l);
sirnn_status sirnn_iknp_ot_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint64_t *mc,
                                const uint8_t *choices, size_t n, unsigned l);
/* Chosen-message OT of 128-bit messages. */
sirnn_status sirnn_iknp_ot128_send(sirnn_iknp_sender *s, sirnn_channel *ch,
                                   const uint8_t *m0, const uint8_t *m1, size_t n);
sirnn_status sirnn_iknp_ot128_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, uint8_t *mc,
                                   const uint8_t *choices, size_t n);

/*
 * The IKNP message construction and its tweak bookkeeping, shared by the
 * whole calls above and the split-phase OTs of ot/phase.h (one copy: a
 * change to a tweak or a message lands in both).
 * The tweak of OT i of a batch is (its engine's domain, the engine's count
 * at the batch's first OT + i), as for the extension.
 */
/* Sender: h0[i] = H(q_i; tw + i), h1[i] = H(q_i ^ delta; tw + i); q is
 * overwritten (q_i ^ delta). */
void sirnn_iknp_hash_pair(sirnn_block *h0, sirnn_block *h1, sirnn_block *q, sirnn_block delta,
                          sirnn_tweak tw, size_t k);
/* Sender, additive COT mod 2^l: x[i] = H0_i mod 2^l (its output), y[i] =
 * x[i] + corr[i] - H1_i (the correction). x may alias corr. */
void sirnn_iknp_cot_msgs(const sirnn_block *h0, const sirnn_block *h1, uint64_t *x, uint64_t *y,
                         const uint64_t *corr, size_t n, unsigned l);
/* Receiver: out[i] = H_i + c_i * y[i] mod 2^l. out may alias y. */
void sirnn_iknp_cot_out(const sirnn_block *h, uint64_t *out, const uint64_t *y,
                        const uint8_t *choices, size_t n, unsigned l);
/* Sender, chosen OT: y[2i] = m0[i] ^ H0_i, y[2i+1] = m1[i] ^ H1_i (low l bits). */
void sirnn_iknp_ot_msgs(const sirnn_block *h0, const sirnn_block *h1, uint64_t *y,
                        const uint64_t *m0, const uint64_t *m1, size_t n, unsigned l);
/* Receiver: out[i] = y[2i + c_i] ^ H_i (low l bits; selected by mask). */
void sirnn_iknp_ot_out(const sirnn_block *h, uint64_t *out, const uint64_t *y,
                       const uint8_t *choices, size_t n, unsigned l);
/* The same four on the hashes' low words (h0[i] = H(q_i).w[0], ...): the
 * narrow split-phase workspaces of ot/phase.h. */
void sirnn_iknp_cot_msgs_w(const uint64_t *h0, const uint64_t *h1, uint64_t *x, uint64_t *y,
                           const uint64_t *corr, size_t n, unsigned l);
void sirnn_iknp_cot_out_w(const uint64_t *h, uint64_t *out, const uint64_t *y,
                          const uint8_t *choices, size_t n, unsigned l);
void sirnn_iknp_ot_msgs_w(const uint64_t *h0, const uint64_t *h1, uint64_t *y,
                          const uint64_t *m0, const uint64_t *m1, size_t n, unsigned l);
void sirnn_iknp_ot_out_w(const uint64_t *h, uint64_t *out, const uint64_t *y,
                         const uint8_t *choices, size_t n, unsigned l);

#endif /* SIRNN_OT_IKNP_H */
