/*
 * sigmoid on two halves whose inputs still carry e low bits that a
 * truncation would drop (math/sigmoid.c), for the gates of a FastGRNN step
 * (nn/fg_act.c): the truncation rides in the digit decomposition that the
 * poly path makes anyway (arith/trdig.h), instead of a truncation call
 * before the sigmoid.
 *
 * xa[n], xb[n]: (e + b)-bit shares (b = fmt_in.bits) whose low e bits agree
 * in each party's share (they differ by multiples of 2^e, e.g. party 0's
 * private offsets times 2^e). With ta = floor(xa / 2^e) mod 2^b and tb =
 * floor(xb / 2^e) mod 2^b:
 *   y[0..n)  = sirnn_sigmoid(ta) and y[n..2n) = sirnn_sigmoid(2 tb mod 2^b)
 * (fmt_in -> fmt_out), exactly sirnn_ref_sigmoid on those values. y must
 * not overlap the inputs. Secrets: xa, xb, y.
 *
 * Only for formats that take the poly path, a line or a parabola
 * (sirnn_sigmoid_pair_tr_fits;
 * else SIRNN_ERR_UNSUPPORTED before anything is sent) and 1 <= e <= 64 - b.
 * Flights (both parties): sirnn_trdig2's (5 at e = 16 or 17, 6 at e = 44),
 * whose last flight carries the lookups' first, then the lookups (party 0's
 * flight), the product and the rounding. Two tails compute the same values:
 *  - lean = 0 (the bandwidth tail): sirnn_mult_wraps' 3-flight product: 11
 *    in all for 16/11 -> 16/14 (parabola) at e = 16, 17 and for 16/12 ->
 *    16/14 (line) at e = 15, against 5 + 8 for a truncation (sirnn_tr_lean)
 *    before sirnn_sigmoid. Bits: the poly path's with sirnn_trdig2 instead
 *    of sirnn_digdec_carry(b, 8), plus the wrap of d0's shares, which a
 *    lookup on d0 gives (2^8 bits per element in the parabola's Q lookup;
 *    256 + 2^8 wc for the line's, wc = L - 8 - kB), since d0's shares are no
 *    longer the inputs' own bits.
 *  - lean = 1 (the latency tail, for the FastGRNN state fold): the product
 *    is sirnn_mult_lean_wrap (arith/lean_wrap.h) with party 0 choosing, so
 *    its columns ride with party 0's lookup messages and party 1's
 *    corrections with its first message of the rounding: 9 flights where
 *    the other takes 11 (13 at e > 24), for about 1.27x its bits (the
 *    product's y operands B, C looked up in L bits instead of kY (kB) with a
 *    wrap bit, and the lean product's COTs, l + 8 + l - 7 per element at
 *    l = L, instead of sirnn_mult_wraps'). Worth it where a flight costs
 *    more than ~25 kB per gate pair of the step (a WAN), not on a LAN.
 *  - lean = 2: as lean = 1, and at e > 24 (the state fold's 44 and 47),
 *    where the digits' carry network has a third AND level, it takes it
 *    without B2A (sirnn_trdig2_carries, whose last flight is party 1's) and looks its
 *    tables up on the raw digits and the boolean carries (math/sigmoid.c
 *    pair_tail_carries: both carry branches of each table, hidden by party
 *    0's fresh masks, and a 1-of-2 OT on party 1's carry share): 9 flights
 *    as at e = 17, for about 26 kbit more per element (the coefficient
 *    tables twice) against lean = 1's 11 flights (nn/secure_infer.c takes
 *    it for small batches only: it costs bytes per element).
 * Pinned in tests/test_sigpair.c (flights) and by the FastGRNN figures.
 */
#ifndef SIRNN_MATH_SIG_PAIR_H
#define SIRNN_MATH_SIG_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"
#include "sirnn/status.h"

struct sirnn_party;

int sirnn_sigmoid_pair_tr_fits(unsigned e, sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);
sirnn_status sirnn_sigmoid_pair_tr(struct sirnn_party *party, size_t n, uint64_t *y,
                                   const uint64_t *xa, const uint64_t *xb, unsigned e,
                                   sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out, int lean);

/*
 * The lean pair with its rounding fused into the products that follow it
 * in a FastGRNN step with the state fold (nn/secure_infer.c): z[n] =
 * sigmoid(ta) as y[0..n) above, and instead of g = sigmoid(2 tb) mod 2^b,
 * pg[2i + f] = g_i s_f mod 2^lp for party 0's two clear signed scalars s
 * (NULL on party 1; the gate products zeta' g, (zeta + nu)' g), and g[n]
 * (may be NULL: fewer bits) g's b-bit shares. The rounding's carry and
 * the products come from one set of lookups (math/sigmoid.c round_gates:
 * the carry out of V's low T bits on both halves, s_f times it, the wrap
 * of V's shares on party 1's MSB, party 1's 4-bit digits of its share of
 * V >> T), whose first flight rides in the product's last, so the pair
 * ends on party 0's flight with z's and the products' shares fixed: the
 * step's next product (party 0 choosing on z) rides in it. Flights: the
 * lean tail's (9 at e = 16, 17 and e > 24) minus 1: 8, where the lean
 * tail and sirnn_matmul_clear_msb's gate products take 9 + 2 (the last
 * riding with the next product). Bits: per element of the g half about
 * 2^T 2 lp + 4 (16 2 lp) + 2 2 lp (the lookups) more and the products'
 * COTs less. Needs V + 2^(T-1) < 2^(L-1) for every digit pair (so the
 * wrap of V's shares is the OR of their MSBs), b_out <= 16, 1 <= lp <= 64:
 * sirnn_sigmoid_pair_gates_fits; else SIRNN_ERR_UNSUPPORTED before
 * anything is sent. Secrets: xa, xb, z, pg, g, s.
 */
int sirnn_sigmoid_pair_gates_fits(unsigned e, sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out,
                                  unsigned lp);
sirnn_status sirnn_sigmoid_pair_gates(struct sirnn_party *party, size_t n, uint64_t *z,
                                      uint64_t *pg, uint64_t *g, const uint64_t *xa,
                                      const uint64_t *xb, unsigned e, sirnn_fixfmt fmt_in,
                                      sirnn_fixfmt fmt_out, const int64_t *s, unsigned lp);

#endif /* SIRNN_MATH_SIG_PAIR_H */
