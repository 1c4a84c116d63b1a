/*
 * A product by party 0's clear weights in two phases, party 0 choosing on
 * the bits of its weights, for a recurrence whose operand is known to
 * party 1 one flight before party 0 (nn/secure_infer.c: U R_t of a
 * FastGRNN step, whose R_t comes out of sirnn_mult_lean with party 0
 * choosing).
 *
 * out = A W mod 2^l, A (d1 x d2, shares mod 2^l, read mod 2^l: no wrap),
 * W (d2 x d3, party 0's, k-bit two's complement in uint64). Per weight
 * W[j][q] and bit i one IKNP correlated OT whose pads are vectors of d1
 * values (the hash's two words when d1 <= 2, else AES-CTR seeded with the
 * hash, kernels/prg.h): party 0's choice is bit i of W[j][q], party 1 the
 * sender with values +-A1[r][j] (minus for the sign bit) mod 2^(l - i),
 * r < d1, weighted 2^i; A0 W is local to party 0.
 *   sirnn_wmm_begin: party 0 queues the columns of all d2 d3 k OTs (its
 *     choices do not depend on A, so they can go out in any earlier flight
 *     of party 0); party 1 reads them (it must call this where party 0 did,
 *     in the order of the channel) and keeps the pads;
 *   sirnn_wmm_finish: party 1 sends its corrections, its output share fixed
 *     before (so they ride with whatever it sent last and what it sends
 *     next), and party 0 reads them.
 * Between the two the caller may run any other protocol (the pads are
 * hashed at begin; the engines are not held). Lane 0 only. Bits: the
 * columns (16 round128(N) / ot_k bytes, N = d2 d3 k, whatever d1) plus
 * sum over i < k of d1 d2 d3 (l - i) bits of corrections. Flights: none
 * of its own when begin rides in a flight of party 0 and finish in one of
 * party 1 (begin is party 0's flight, finish party 1's). Memory between
 * the phases: 32 N bytes on party 1, 17 N on party 0; during finish 4 d1
 * d2 d3 words more. Secrets: A, W, out.
 */
#ifndef SIRNN_ARITH_WMM_H
#define SIRNN_ARITH_WMM_H

#include <stddef.h>
#include <stdint.h>

#include "arith/otphase.h"
#include "sirnn/status.h"

struct sirnn_party;

typedef struct sirnn_wmm {
    size_t d1, d2, d3, nots;
    unsigned k, l;
    const uint64_t *w; /* party 0's weights (kept until finish) */
    sirnn_aiknp_ws ot;
    uint8_t *choice;   /* party 0: the weight bits, slot by slot */
    int begun;
} sirnn_wmm;

sirnn_status sirnn_wmm_begin(struct sirnn_party *party, sirnn_wmm *s, size_t d1, size_t d2,
                             size_t d3, const uint64_t *w, unsigned k, unsigned l);
sirnn_status sirnn_wmm_finish(struct sirnn_party *party, sirnn_wmm *s, uint64_t *out,
                              const uint64_t *a);
/* Wipe and free (also after a failure; a zeroed s is a no-op). */
void sirnn_wmm_free(sirnn_wmm *s);
/* Bytes held between the phases per row of A (for memory budgets). */
size_t sirnn_wmm_row_bytes(size_t d2, size_t d3, unsigned k);

#endif /* SIRNN_ARITH_WMM_H */
