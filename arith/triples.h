/*
 * Beaver bit triples for AND trees, shared by the millionaires' protocol
 * (arith/cmp.c) and the carry networks (arith/wnet.c).
 *
 * A node of such a tree holds two bits (g, p) ("lt, eq" in the comparison,
 * "generate, propagate" in a carry network), and a gate combines a higher
 * node over a lower one: g = g_hi ^ p_hi g_lo, p = p_hi p_lo. A gate that
 * needs both bits uses a correlated triple pair (a, b1, c1, b2, c2), with
 * c1 = a b1 and c2 = a b2 over the two parties' XOR shares; a gate that
 * needs one bit uses a single triple (a, b, c).
 *
 * Triples of one chunk of k elements: vector j (W words) of each array
 * holds triple j of every element; triple tau of the chunk is bit tau % k of
 * vector tau / k. Both parties draw their a and b shares at random; party 0
 * also draws its c shares and sends, over KK13 OTs from party 0 to party 1
 * (party 1 chooses by its a and b shares), party 1's c shares:
 *   - each pair: one 1-of-8 OT of 2-bit messages, choice a | b1 << 1 |
 *     b2 << 2;
 *   - singles two per 1-of-16 OT of 2-bit messages, choice a0 | b0 << 1 |
 *     a1 << 2 | b1 << 3, and, if their count is odd, the last one over a
 *     1-of-4 OT of 1-bit messages, choice a | b << 1.
 * In that order, on consecutive OT indices; the messages are packed in
 * that order too (see sirnn_triples_msg_bytes).
 *
 * Secrets: every share (a, b, c, the node bits, the openings); the counts,
 * k and W are public. No branch or memory index depends on a secret.
 */
#ifndef SIRNN_ARITH_TRIPLES_H
#define SIRNN_ARITH_TRIPLES_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/prg.h"
#include "arith/arith_internal.h"
#include "arith/otphase.h"
#include "ot/lane.h"

/* The bits a gate computes; a single triple serves G or P, a pair GP. */
enum { SIRNN_TRIPLE_G = 1, SIRNN_TRIPLE_P = 2, SIRNN_TRIPLE_GP = 3 };

/* One party's triple shares for one chunk. */
typedef struct sirnn_triples {
    size_t W;                           /* words per bit vector */
    size_t nsingle, npair;              /* triples per element */
    uint64_t *ta, *tb, *tc;             /* singles: nsingle vectors each */
    uint64_t *pa, *pb1, *pc1, *pb2, *pc2; /* pairs: npair vectors each */
    uint64_t *pd;                       /* party 0, silent: the pairs' corrections */
    sirnn_block *scr;                   /* silent: COT rows of one group */
    int silent;                         /* this run's triples come from silent ROTs */
} sirnn_triples;

/* Zeroed vectors of W words for nsingle singles and npair pairs per element;
 * SIRNN_ERR_NOMEM (and t freed) when out of memory. */
sirnn_status sirnn_triples_init(sirnn_triples *t, size_t nsingle, size_t npair, size_t W);
/* Wipe and free (t may be zeroed or half initialised). */
void sirnn_triples_free(sirnn_triples *t);

/* KK13 OTs of the triples of k elements (0 when t->silent). */
size_t sirnn_triples_ots(const sirnn_triples *t, size_t k);
/* Bytes of party 0's messages for the triples of k elements (silent: one
 * correction bit per pair). */
size_t sirnn_triples_msg_bytes(size_t nsingle, size_t npair, size_t k, int silent);

/*
 * Silent triples (SIRNN_OT_SILENT; t->silent, set alike on both parties
 * before a chunk's OTs): no KK13 OT and no message but one bit per pair;
 * each triple comes from random COTs of the lane's silent engine from
 * party 0 to party 1, derandomised only where a share must repeat. Random
 * OT j: party 0 holds K0 = H(q), K1 = H(q ^ Delta), party 1 holds r (bit 0
 * of its row t) and K_r = H(t) (sirnn_tccrhash, the silent domain retagged
 * SIRNN_TWEAK_NCO, sub-index 2, index = the COT's engine position), so
 * r * (K0 ^ K1) = K0 ^ K_r bitwise: a product of party 1's bit r and party
 * 0's bit x = K0 ^ K1, XOR-shared, with no message.
 *   single (a, b): ROT 1 gives a1 = r1 and b0 = x1, ROT 2 gives b1 = r2 and
 *     a0 = x2: c = a0 b0 ^ a1 b1 ^ the two shared cross terms;
 *   pair (a, b1, b2): ROT 1 gives a1 = r1 and b1_0, b2_0 = bits 0, 1 of x1;
 *     ROT 2 gives b1_1 = r2 and a0 = x2; ROT 3 gives b2_1 = r3 with
 *     x3, which party 0 corrects to a0 with d = x3 ^ a0 (one bit, in its
 *     messages): r3 a0 = r3 x3 ^ r3 d.
 * COTs of a chunk of k elements: 3 per pair, then 2 per single, in triple
 * order. Wire: those COTs (about 0.45 bits each, ot/silent.h) and npair
 * bits per element, instead of 1-of-8 and 1-of-16 OTs of 16 and 32 bits of
 * messages each. The party-0 take holds its tiles (emitted with the
 * sender's messages, sirnn_akk_send_emit); party 1 runs its choice side
 * with the columns (sirnn_triples_silent_choices) and takes its rows just
 * before it reads the messages (sirnn_triples_silent_recv_rows), after the
 * KK13 batch of the same chunk.
 */
sirnn_status sirnn_triples_silent_send(sirnn_triples *t, sirnn_ot_lane *ol, sirnn_channel *ch,
                                       size_t k);
sirnn_status sirnn_triples_silent_choices(const sirnn_triples *t, sirnn_ot_lane *ol,
                                          sirnn_channel *ch, size_t k);
sirnn_status sirnn_triples_silent_recv_rows(sirnn_triples *t, sirnn_ot_lane *ol,
                                            sirnn_channel *ch, size_t k);

/* count vectors of W words at v, filled from prg (nothing drawn if count
 * is 0). */
void sirnn_bv_random(sirnn_prg *prg, uint64_t *v, size_t count, size_t W);

/* Draw this party's shares from prg: a and b of singles and pairs, then, on
 * party 0 (server != 0), its c shares. */
void sirnn_triples_draw(sirnn_triples *t, sirnn_prg *prg, int server);

/* Party 0: the messages of the triples of k elements, packed into out, on
 * OTs [first, ...) of the KK13 batch in kk (columns already received); msgs
 * is scratch of SIRNN_AKK_GROUP * 16 words. Returns the end of what it
 * wrote. */
uint8_t *sirnn_triples_send(const sirnn_triples *t, sirnn_akk_ws *kk,
                            const sirnn_kkot_sender *kks, uint64_t *msgs, uint8_t *out,
                            size_t first, size_t k);
/* Party 1: writes the choices of the triples' OTs from its a and b shares
 * to c; returns the end of what it wrote. */
uint8_t *sirnn_triples_choices(const sirnn_triples *t, uint8_t *c, size_t k);
/* Party 1: its c shares (the first k bits of each vector; t may point into
 * wider vectors at a word boundary) from party 0's messages at in, the triples' OTs
 * being OTs [first, ...) of the batch in kk, with their choices at choice;
 * mc is scratch of sirnn_triples_ots(t, k) words (it keeps the chosen
 * messages). Returns the end of what it read. */
const uint8_t *sirnn_triples_recv(sirnn_triples *t, sirnn_akk_ws *kk, uint64_t *mc,
                                  const uint8_t *in, const uint8_t *choice, size_t first,
                                  size_t k);

/*
 * One gate of kind SIRNN_TRIPLE_G, _P or _GP on triple index idx (among
 * singles or among pairs), over W-word vectors.
 * open: this party's Beaver openings into d (3 vectors for a pair, 2 for a
 * single): p_hi ^ a, then (g_lo or p_lo) ^ b for a single, g_lo ^ b1 and
 * p_lo ^ b2 for a pair. Returns the number of vectors.
 * finish: from both parties' openings mine and peer (as open wrote them),
 * g_out = g_hi ^ p_hi g_lo (kinds G, GP) and p_out = p_hi p_lo (kinds P,
 * GP); p0 is all ones on party 0, zero on party 1. g_out / p_out may alias
 * the lower node's vectors, not g_hi. Returns the number of vectors.
 */
size_t sirnn_triples_open(const sirnn_triples *t, uint64_t *d, unsigned kind, size_t idx,
                          const uint64_t *p_hi, const uint64_t *g_lo, const uint64_t *p_lo);
size_t sirnn_triples_finish(const sirnn_triples *t, const uint64_t *mine, const uint64_t *peer,
                            unsigned kind, size_t idx, uint64_t p0, const uint64_t *g_hi,
                            uint64_t *g_out, uint64_t *p_out);

/*
 * The OT columns of a chunk's leaves and triples (flight 1), nkk KK13 OTs
 * in kk and nik IKNP OTs in ik on the lane's engines ol (either count may
 * be 0).
 * Party 0 receives them (ot_rows); party 1 queues them (ot_columns) with
 * its choices: the KK13 ones, then the IKNP ones, at choice.
 */
sirnn_status sirnn_triples_ot_rows(sirnn_akk_ws *kk, sirnn_aiknp_ws *ik, sirnn_ot_lane *ol,
                                   sirnn_channel *ch, size_t nkk, size_t nik);
sirnn_status sirnn_triples_ot_columns(sirnn_akk_ws *kk, sirnn_aiknp_ws *ik, sirnn_ot_lane *ol,
                                      sirnn_channel *ch, const uint8_t *choice, size_t nkk,
                                      size_t nik);

/*
 * Exchange the openings of one tree level: nv vectors of W words, k bits
 * each (ceil(k/8) bytes on the wire per vector), mine queued, the peer's
 * read into peer. The party that goes first (first != 0) sends, then
 * receives; the other receives first, so that its openings of this level
 * and the next leave in one flight. hk (may be NULL) sees flight number
 * flight: sent after this party's send if it goes first, received after
 * its receive otherwise.
 */
sirnn_status sirnn_triples_exchange(sirnn_channel *ch, uint64_t *peer, const uint64_t *mine,
                                    size_t nv, size_t W, size_t k, int first,
                                    const sirnn_flight_hooks *hk, unsigned flight);

#endif /* SIRNN_ARITH_TRIPLES_H */
