/*
 * A truncation fused into a two-digit decomposition (arith/trdig.c), for
 * protocols whose next step cuts its input into digits anyway (the poly
 * path of sigmoid / tanh on FastGRNN's pre-activations, nn/fg_act.c): the
 * digits of floor(x / 2^e) come from one carry network over the low bits
 * of x, instead of a truncation followed by a digit decomposition (two
 * networks, one after the other).
 *
 * Two inputs per element, x[0] = xa and x[1] = xb (l-bit shares), that
 * share their low e bits in each party's share (they differ by multiples
 * of 2^e, as x + c 2^e for party 0's private c). For input k with
 * t_k = floor(x_k / 2^e):
 *   lo_k = t_k mod 2^d_k            (arithmetic shares mod 2^wlo),
 *   hi_k = floor(t_k / 2^d_k) mod 2^h_k   (shares mod 2^h_k),
 * with wlo = max(d_0, d_1), so that lo_k's shares mod 2^d_k are their low
 * bits. Both lo shares are NOT the raw bits of the parties' shares (the
 * carry out of the low e bits is added in), so the wrap of lo's shares is
 * not known: a caller that needs it gets it where it looks lo up (a
 * per-element table 1{v < i0} on party 0's index share i0, see
 * math/sigmoid.c).
 *
 * Needs 1 <= e, 1 <= d_k <= 8, 1 <= h_k, e + d_k + h_k <= l <= 64.
 * out: lo_0[n], hi_0[n], lo_1[n], hi_1[n] (4n words); must not overlap the
 * inputs. Secrets: the inputs and the outputs.
 *
 * Network (arith/wnet.h): the low e bits in k = ceil(e/8) leaves of up to
 * 8 bits (input 0), one leaf of d_k bits per input above them; the carry
 * into bit e and those into e + d_0 (input 0) and e + d_1 (input 1) in
 * ceil(log2(k + 1)) AND levels (e <= 24: 2), each B2A'd once (widths wlo,
 * h_0, h_1). Flights: 3 + levels (e = 16 or 17: 5), the last one party 1's
 * (a following lookup rides in it); against sirnn_tr_lean(e + b, e) (5 at
 * e = 17) plus sirnn_digdec_carry(b, 8) (3). Bits: wnet.h's rules for that
 * plan (pinned by the FastGRNN figures that use it).
 */
#ifndef SIRNN_ARITH_TRDIG_H
#define SIRNN_ARITH_TRDIG_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

struct sirnn_party;

sirnn_status sirnn_trdig2(struct sirnn_party *party, size_t n, uint64_t *out, const uint64_t *xa,
                          const uint64_t *xb, unsigned l, unsigned e, const unsigned d[2],
                          const unsigned h[2]);

/*
 * The same network without the B2As: carry[3n] gets boolean shares of the
 * carries g_e, g_{e + d_0} (input 0) and g_{e + d_1} (input 1), so that
 * lo_k = (x0 >> e) + (x1 >> e) + g_e mod 2^d_k and hi_k likewise with
 * g_{e + d_k} (see above), each party's raw bit fields its own. Flights:
 * 2 + levels, one fewer; with an odd number of levels (e > 24: 3 at e =
 * 44 or 47) the last one is party 1's, which then knows its shares of the
 * carries, so a following step whose first flight is party 1's (a lookup
 * on the raw digits and the carries, math/sigmoid.c) rides in it. Bits:
 * trdig2's without the B2As' (3 (128 + w - 1) per element).
 */
sirnn_status sirnn_trdig2_carries(struct sirnn_party *party, size_t n, uint8_t *carry,
                                  const uint64_t *xa, const uint64_t *xb, unsigned l, unsigned e,
                                  const unsigned d[2], const unsigned h[2]);

#endif /* SIRNN_ARITH_TRDIG_H */
