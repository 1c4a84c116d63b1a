/*
 * 1-out-of-N OT from log N random 1-of-2 OTs (Naor-Pinkas, SODA 2001,
 * section 4; the way silent-OT systems build their 1-of-N), run on the
 * silent engines (ot/silent.h) when the backend is SIRNN_OT_SILENT.
 *
 * Per OT i with b = ceil(log2 N) bits: b random OTs of the lane's 1-of-2
 * engine (sirnn_iknp_rot_*, on silent COTs: keys m0, m1 for the sender, r
 * and m_r for the receiver), then
 *   receiver: d_j = r_j ^ (bit j of c), b bits, one flight;
 *   sender:   key_j^beta = m_(beta ^ d_j), and for every v < N
 *             y_v = msg_v ^ XOR_j H(key_j^(bit j of v); tweak(i, v, j))  (low l bits),
 *             N * l bits, one flight;
 *   receiver: its keys are key_j^(c_j); it selects y_c by mask (no index on
 *             c) and removes its pad.
 * H is sirnn_tccrhash with the sender's silent domain retagged
 * SIRNN_TWEAK_NCO and index = a counter both ends advance by N * b per OT,
 * element (i * N + v) * b + j. Every message v != c has a term whose key the
 * receiver does not hold, and the tweak differs per v, so each other pad is
 * pseudo-random on its own and against the others.
 *
 * Wire per OT: b silent random OTs (about 0.45 bits each, ot/silent.h) +
 * b bits from the receiver + N * l bits from the sender (exactly
 * ceil(C * N * l / 8) bytes per chunk of C OTs); two flights per chunk
 * (C = 2^18 / (N * b) capped to 1..8192), plus one from the sender when the
 * silent engine makes a tile. Against KK13 (2 lambda + N*l, or 128 + N*l with
 * SoftSpoken) this saves about 250 bits per OT, and costs the sender N * b
 * hashes per OT instead of N: the lane uses it for N <= 16 only
 * (sirnn_nco_wanted), KK13 above.
 */
#ifndef SIRNN_OT_NCO_H
#define SIRNN_OT_NCO_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "ot/iknp.h"

/* Whether the lane's 1-of-N OTs of this N run here: with silent engines
 * attached (both parties' are, or neither's) and N <= 16. */
static inline int sirnn_nco_wanted(const sirnn_silent *engine, unsigned N)
{
    return engine != NULL && N <= 16;
}

/* msgs[i*N + v] (low l bits used), 2 <= N <= 256, 1 <= l <= 64. */
sirnn_status sirnn_nco_send(sirnn_iknp_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                            size_t n, unsigned N, unsigned l);
/* choices[i] < N (callers validate); mc[i] = msgs[i*N + choices[i]] mod 2^l. */
sirnn_status sirnn_nco_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, sirnn_prg *prg,
                            uint64_t *mc, const uint8_t *choices, size_t n, unsigned N,
                            unsigned l);

#endif /* SIRNN_OT_NCO_H */
