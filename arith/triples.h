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
} sirnn_triples;

/* Zeroed vectors of W words for nsingle singles and npair pairs per element;
 * SIRNN_ERR_NOMEM (and t freed) when out of memory. */
sirnn_status sirnn_triples_init(sirnn_triples *t, size_t nsingle, size_t npair, size_t W);
/* Wipe and free (t may be zeroed or half initialised). */
void sirnn_triples_free(sirnn_triples *t);

/* KK13 OTs of the triples of k elements. */
size_t sirnn_triples_ots(const sirnn_triples *t, size_t k);
/* Bytes of party 0's messages for the triples of k elements. */
size_t sirnn_triples_msg_bytes(size_t nsingle, size_t npair, size_t k);

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
