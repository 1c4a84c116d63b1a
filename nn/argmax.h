/*
 * The argmax of score vectors, one implementation for every caller: the
 * hand-written FastGRNN (nn/secure_infer.c, nn/fixed_infer.c) and the
 * graph runtime's secure and fixed-point executors (nn/graph_exec.c).
 *
 * The class of C scores v_0..v_{C-1} (signed b-bit values) is their first
 * maximum: the lowest k with v_k >= v_j for every j. It is formed as the
 * secure version computes it, so that both agree bit for bit: every pair
 * j < k compared exactly (no overflow of the difference), class k's loss
 * count = #{j < k: v_j >= v_k} + #{j > k: v_j > v_k} taken mod 2^m (2^m >=
 * C, sirnn_argmax_loss_bits), and the class = sum_k k [count_k == 0] mod
 * 2^b (exactly one k has count 0). Needs 2 <= C <= 2^m <= 256 and C <= 2^b.
 */
#ifndef SIRNN_NN_ARGMAX_H
#define SIRNN_NN_ARGMAX_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/party.h"
#include "sirnn/status.h"

/* The most classes the one-round argmax takes (its lookup has 2^m <= 256
 * entries). */
#define SIRNN_ARGMAX_MAX_CLASSES 256

/* Bits m of a class's loss count: the least m >= 1 with 2^m >= C. */
unsigned sirnn_argmax_loss_bits(size_t C);

/* Scratch of sirnn_argmax_secure for B vectors of C scores: words of
 * 64 bits, and bytes. */
size_t sirnn_argmax_work_words(size_t B, size_t C);
size_t sirnn_argmax_work_bytes(size_t B, size_t C);

/* The class of the C b-bit scores val[] (cleartext); cnt: C words of
 * scratch. */
unsigned sirnn_argmax_ref(size_t C, const uint64_t *val, unsigned b, uint64_t *cnt);

/*
 * The same for B vectors of shares at once: out[i] (B shares, b bits) gets
 * the class of val[i * C .. i * C + C - 1] (b-bit shares). One comparison
 * round instead of a tree of ceil(log2 C) rounds of comparison and MUX:
 * the MSBs of every pair's difference and of every score in one sirnn_msb
 * call; lt = [v_j < v_k] = sd ^ ((sj ^ sk) & (sj ^ sd)) (the difference's
 * sign, corrected where it overflows) by one sirnn_and; the bits B2A'd mod
 * 2^m in one call; the loss counts summed locally; one lookup of [count ==
 * 0] into b bits; the class summed locally. Flights: those of sirnn_msb,
 * sirnn_and, sirnn_b2a and sirnn_lut in sequence (9 with the default OT
 * backend), for any B and C. words / bytes: scratch of
 * sirnn_argmax_work_words / _bytes(B, C). out may not alias val.
 */
sirnn_status sirnn_argmax_secure(sirnn_party *party, size_t B, size_t C, uint64_t *out,
                                 const uint64_t *val, unsigned b, uint64_t *words,
                                 uint8_t *bytes);

#endif
