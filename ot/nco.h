/*
 * 1-out-of-N OT from log N random COTs (Naor-Pinkas, SODA 2001, section 4;
 * the way silent-OT systems build their 1-of-N), run on the silent engines
 * (ot/silent.h) when the backend is SIRNN_OT_SILENT: the whole-call form of
 * the split-phase silent 1-of-N of ot/phase.h (sirnn_akk_ws_silent, whose
 * comment gives the construction, its keys, tweaks and security argument),
 * so the lane's sirnn_kkot_* calls and the protocols' lookups and carry
 * networks share one implementation.
 *
 * Per group of chunks of C = 2^21 / (N * l) OTs (256 KiB of messages;
 * 1..8192), as many as the stream budget holds at 16 (b + 1) bytes an OT,
 * b = ceil(log2 N):
 *   receiver: d = its silent choice bits ^ the bits of its choices, b bits
 *             per OT, one flight;
 *   sender:   its held tiles (if its engine made one), then the N messages
 *             of every OT masked with their pads, N * l bits per OT
 *             (ceil(C * N * l / 8) bytes per chunk), one flight;
 *   receiver: takes its rows, selects its message by mask, removes its pad.
 * Wire per OT: b silent COTs (about 0.42 bits each) + b bits + N * l bits,
 * against KK13's 128 (SoftSpoken) or 256 (IKNP) + N * l. Sender: 2b
 * tweakable hashes per OT, plus 2 b nblk CCR hashes when l > 128 >> b
 * (ot/phase.h); the lane uses it for every N on the silent backend.
 */
#ifndef SIRNN_OT_NCO_H
#define SIRNN_OT_NCO_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "ot/iknp.h"

/* Whether the lane's 1-of-N OTs of this N run here: with silent engines
 * attached (both parties' are, or neither's) and 2 <= N <= 256. */
static inline int sirnn_nco_wanted(const sirnn_silent *engine, unsigned N)
{
    return engine != NULL && N >= 2 && N <= 256;
}

/* msgs[i*N + v] (low l bits used), 2 <= N <= 256, 1 <= l <= 64. */
sirnn_status sirnn_nco_send(sirnn_iknp_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                            size_t n, unsigned N, unsigned l);
/* choices[i] < N (callers validate); mc[i] = msgs[i*N + choices[i]] mod 2^l. */
sirnn_status sirnn_nco_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, sirnn_prg *prg,
                            uint64_t *mc, const uint8_t *choices, size_t n, unsigned N,
                            unsigned l);

#endif /* SIRNN_OT_NCO_H */
