/*
 * libsirnn math functions on secret-shared fixed-point values: exp,
 * sigmoid, tanh, reciprocal, division and reciprocal square root.
 *
 * Each function takes an input format and an output format
 * (sirnn_fixfmt, fixed.h); x and y are arithmetic shares of the integers
 * of those formats. The secure result equals, bit for bit, the cleartext
 * model of the same algorithm (sirnn_ref_* in this header), and the error
 * of that model against the true function is stated below in output ULPs
 * (one ULP = 2^-scale_out) as a formula or a small table of the formats,
 * over a stated input domain, for every format the function accepts.
 * tests/test_math_sweep.c asserts each bound, and the header's acceptance
 * rules, over the format space (every width and scale up to 16 bits, both
 * signs, and a grid of wider formats; every input up to 16 bits, random
 * and edge inputs beyond): a seeded sample of it in make test, all of it in
 * make sweep.
 *
 * Calling contract: as in party.h. A format that cannot hold the result
 * gives SIRNN_ERR_ARG (with a message in sirnn_party_last_error) before
 * anything is sent; it never gives silent garbage.
 */
#ifndef SIRNN_MATH_H
#define SIRNN_MATH_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"
#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Reciprocal and division (math/div.c, models in math/ref_div.c)      */
/* ------------------------------------------------------------------ */

/*
 * Algorithm (chosen over SIRNN's piecewise-linear guess + Goldschmidt, see
 * math/div_plan.h for every width):
 *   - the denominator is read as D = den mod 2^b, b = bits - sign, and
 *     d = D / 2^scale; the domain is 1 <= d < 2^(b - scale);
 *   - b <= 8: one LUT on D gives round(2^F / d) (the reciprocal's output
 *     directly, exactly rounded, saturated to the format's maximum for
 *     d < 1);
 *   - b > 8 (then b - scale <= 4 is required, d < 16), when the output
 *     needs at most about 16 significant bits (the quadratic's error h^3/32
 *     fits, h = 2^(b - scale - 7); every 16-bit format with d < 8 does):
 *     the top 7 bits of D select a bucket [u, u + h) and three 128-entry
 *     tables give the bucket's quadratic through the Chebyshev nodes of
 *     1/(u + t), y = A - t (B - C t), t = D mod 2^(b-7) the offset in the
 *     bucket (the line y = A - B t when it is precise enough). Two
 *     known-MSB products by the 8-bit offset (both operands positive), each
 *     shift landing directly in the next step's ring; no refinement step;
 *   - otherwise (wider outputs): a LUT on the top 8 bits of D gives
 *     y0 = 2 / (d_lo + d_hi) of its interval, then cubic Goldschmidt-Newton
 *     steps y <- y (1 + e + e^2), e = 1 - d y, as many as the output
 *     precision needs;
 *   - reciprocal: round(y 2^scale_out); division: round(num * y) (one
 *     signed product, y's MSB a public 0 on the quadratic path), y kept
 *     with 3 + (integer bits of num) guard bits beyond scale_out.
 * Rounding is to nearest (a public half added before the last
 * truncation). Denominators outside the domain (d < 1, and for signed
 * formats d <= 0) give the model's value, which is not 1/d; no ULP bound
 * holds there.
 *
 * Formats: 2..32 bits, 0 <= scale < 63. Refused with SIRNN_ERR_ARG: a
 * denominator format with no value >= 1 (scale >= bits - sign); b > 8 with
 * bits - sign - scale > 4 (use sirnn_div_norm); a reciprocal output
 * that cannot hold 1 (bits - sign < scale + 1); a division whose numerator
 * or output is unsigned, or whose output cannot hold num / 1 (bits_out <
 * scale_out + bits_num - scale_num, plus 1 when scale_out < scale_num);
 * combinations whose working widths would exceed 64 bits.
 *
 * Error contract (max |result - true value| in output ULPs over the whole
 * domain d >= 1, numerators any; asserted over the whole format space by
 * tests/test_math_sweep.c, make sweep, and exhaustively at 16 bits by
 * tests/test_math_div.c):
 *   reciprocal with b <= 8 (the direct table, exactly rounded): 0.5 ULP;
 *   every other accepted format, reciprocal or division: <= 1 ULP (the
 *   quadratic path's budget is 0.5 + 0.42 ULP; the Goldschmidt path
 *   iterates until its error is below half an ULP, plus the rounding).
 *   Measured: reciprocal 16/12 -> 16/12 and -> 16/14 (d in [1, 8)): 0.612
 *   and 0.649; division 16/12, 16/12 -> 16/12: 0.63 to 0.69 over random
 *   numerators (SIRNN: 15 ULP).
 */
/*
 * y[i] = 1 / x[i] for x in fmt_in (shares of fmt_in.bits bits) into
 * fmt_out (shares of fmt_out.bits bits), exactly sirnn_ref_reciprocal.
 * y may alias x. Secrets: x and y; formats and n are public.
 * Bits and flights: see the cost table below the division.
 */
SIRNN_API sirnn_status sirnn_reciprocal(sirnn_party *party, size_t n, uint64_t *y,
                                        const uint64_t *x, sirnn_fixfmt fmt_in,
                                        sirnn_fixfmt fmt_out);

/*
 * q[i] = num[i] / den[i], num signed in fmt_num, den positive in fmt_den,
 * q signed in fmt_out, exactly sirnn_ref_div. q may alias num or den.
 * Secrets: num, den, q.
 *
 * Costs (both parties, bits per element over a chunk of 4096, one lane;
 * flights summed over both parties for n = 1, as counted in arith.h), with
 * the default SoftSpokenOT (ot_k = 4) and with IKNP (ot_k = 1):
 *   reciprocal 16/12 -> 16/12: 10,201 bits (IKNP 15,737), 17 flights;
 *   reciprocal 16/12 -> 16/14: 10,880 bits (IKNP 16,192), 17 flights;
 *   division 16/12 -> 16/12: 17,242 bits (IKNP 26,906), 21 flights (SCI
 *   37,351 bits). Division 16/12 by steps: IDX = D >> 8 by one 8-bit leaf
 * (3 flights), which also gives the carry out of D's low byte, i.e. the
 * wrap of the offset L's shares; one lookup of 7 bits (1 flight: its
 * columns ride in the truncation's last flight) of C (12 bits) with the
 * wrap of its output shares, B in V's product ring (25 bits) and A in the
 * division's product ring (35 bits); C L (12 x 8 -> 20, both wraps known:
 * 3 flights) and its shift into V's ring (MSB known, 2 more); V L (8 x 25
 * -> 25: only L's wrap, known; 2 more) and its shift into the product
 * ring, whose network also computes the numerator's wrap (3 more); num Y
 * (16 x 35 -> 35, signed, num's wrap known and Y read in its own ring: 3)
 * and the rounding TR(35, 19) (4 more). Every step's first flight rides in
 * the last flight of the one before where both are party 1's. The
 * default backend's bits grow by 1,230 (the wider entries of B and A, the
 * wrap field) for 15 fewer flights; IKNP's shrink (no comparisons). The
 * truncations are carry networks of the fewest leaves of at most 8 bits
 * (arith/mixed.h sirnn_tr_lean, sirnn_shift_lean). The steps are arith.h
 * calls one after the other, each on windows of the batch (arith.h), so
 * the flights are the same for n up to 16,384 per lane; at 65,536 division
 * takes 23 (its products' windows hold
 * 2^19 cross-term COTs). Formats on the Goldschmidt path cost more (24-bit
 * outputs: about 2.5x).
 */
SIRNN_API sirnn_status sirnn_div(sirnn_party *party, size_t n, uint64_t *q, const uint64_t *num,
                                 const uint64_t *den, sirnn_fixfmt fmt_num, sirnn_fixfmt fmt_den,
                                 sirnn_fixfmt fmt_out);

/* Cleartext models: the same steps on clear values (inputs' bits above the
 * format ignored, outputs mod 2^bits_out). SIRNN_ERR_ARG for the formats
 * the protocols refuse, or NULL arrays with n > 0. */
SIRNN_API sirnn_status sirnn_ref_reciprocal(size_t n, uint64_t *y, const uint64_t *x,
                                            sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);
SIRNN_API sirnn_status sirnn_ref_div(size_t n, uint64_t *q, const uint64_t *num,
                                     const uint64_t *den, sirnn_fixfmt fmt_num,
                                     sirnn_fixfmt fmt_den, sirnn_fixfmt fmt_out);

/*
 * q[i] = num[i] / den[i] with MSNZB normalisation, for any denominator of
 * the format (no bound on d): num signed in fmt_num, den in fmt_den (either
 * sign), q signed in fmt_out; exactly sirnn_ref_div_norm. q may alias num
 * or den. Secrets: num, den, q; formats and n are public.
 *
 * Algorithm (math/div_plan.h): D = den mod 2^b, b = bits - sign (a negative
 * signed den reads as den + 2^(bits-1)); k = MSNZB(D) (sirnn_msnzb, digits
 * of 8, index only); one lookup on k gives M = 2^(b-1-k); DN = D M in
 * [2^(b-1), 2^b) (a product mod 2^b, no wrap needed); Y ~ 1/dn, dn = DN /
 * 2^(b-1) in [1, 2), by the path of sirnn_div for that format (I = 1) at a
 * relative precision of bits_out + 1 bits (the quadratic path up to 21-bit
 * outputs, Goldschmidt-Newton above); W = Y M (unsigned, exact), then the
 * signed X W and one rounding to nearest (a public half, then TR).
 *
 * Zero and negative denominators: D = 0 gives q = 0 exactly (its table
 * entries are 0). Quotients that do not fit the output: the output wraps,
 * never saturates: q is the two's-complement residue mod 2^bits_out of an
 * integer R with |R - t| <= 0.5 + 2^-bits_out |t|, t = (num / d) 2^s_out
 * the true quotient in output ULPs (asserted by the tests for every input).
 *
 * Error contract (the model against long double, for D != 0 and
 * -2^(bits_out-1) + 1 <= t <= 2^(bits_out-1) - 1): <= 1 ULP for every
 * accepted format (budget 0.5 + 0.42); asserted, with the wrap rule above,
 * over the whole format space by tests/test_math_sweep.c (make sweep).
 * Measured: 16/12, 16/12 -> 16/12 0.544 and -> 16/14 0.560 (every 16-bit
 * den, random and extreme num).
 *
 * Formats: 2..32 bits, 0 <= scale < 63; bits - sign of den >= 2. Refused
 * with SIRNN_ERR_ARG before anything is sent: an unsigned numerator or
 * quotient; widths beyond 64 bits: W = Y M needs fy + b + 1 <= 64 and the
 * product min(bits_num + fy + b, shz + bits_out) <= 64, shz = s_num + fy +
 * b - 1 - s_den - s_out, fy = bits_out + 4 on the quadratic path (16/12,
 * 16/12 -> 16/12: fy 20, W 36 bits, Z 38 bits; 24/12 -> 24/12 and 32/16 ->
 * 32/16 are refused, 24/12 -> 20/12 and 32/16 -> 16/12 accepted).
 *
 * Costs at 16/12, 16/12 -> 16/12 (both parties, bits per element over a
 * chunk of 4096 on one lane; flights summed over both parties for n = 1):
 * 21,620 bits with the default SoftSpokenOT (ot_k = 4), 39,380 with IKNP;
 * 37 flights (the same up to 16,384 elements per lane; the products'
 * windows of 2^19 cross-term COTs add some beyond: 53 at 65,536).
 * Steps: MSNZB(15, 8) up to its XOR-shared code (sirnn_msnzb_code), one
 * lookup of M on the code (party 0's per-element tables permuted by its
 * code share; its columns ride in MSNZB's last flight), D M (cross terms only), the quadratic
 * path of sirnn_div, Y M (21 x 16 -> 36, known MSBs), X W (16 x 36 -> 38,
 * signed) and TR(38, 22).
 */
SIRNN_API sirnn_status sirnn_div_norm(sirnn_party *party, size_t n, uint64_t *q,
                                      const uint64_t *num, const uint64_t *den,
                                      sirnn_fixfmt fmt_num, sirnn_fixfmt fmt_den,
                                      sirnn_fixfmt fmt_out);
/* The cleartext model of sirnn_div_norm (same formats; SIRNN_ERR_ARG for the
 * formats it refuses, or NULL arrays with n > 0). q may alias num or den. */
SIRNN_API sirnn_status sirnn_ref_div_norm(size_t n, uint64_t *q, const uint64_t *num,
                                          const uint64_t *den, sirnn_fixfmt fmt_num,
                                          sirnn_fixfmt fmt_den, sirnn_fixfmt fmt_out);

/* ------------------------------------------------------------------ */
/* Exponential (math/exp.c, model in math/ref_exp.c)                    */
/* ------------------------------------------------------------------ */

/*
 * y = exp(x) for x <= 0. x: shares of fmt_in (signed, 8..32 bits, scale
 * 0..31); y: shares of fmt_out (8..32 bits, either sign, holding 1.0:
 * scale <= bits - 1, or bits - 2 when signed). Exactly sirnn_ref_exp.
 * y may alias x. Secrets: x and y.
 *
 * Definition for every input: u = -x mod 2^bits_in is read as an unsigned
 * integer, so a negative or zero x gives u = |x|, and a positive x gives
 * u = 2^bits_in - x, i.e. y = exp(x - 2^(bits_in - scale_in)) (at 16/12, x
 * > 0 gives exp(x - 16) < 2^-11.5, 0 or 1 ULP; inputs are not clamped).
 *
 * Algorithm and why: as SIRNN, u is cut into q = ceil(bits_in / 8) digits
 * of 8 bits (sirnn_digdec) and each digit's factor comes from a 256-entry
 * table, but
 *   - all q tables go in ONE set of lookup flights (sirnn_lut_several, one
 *     request per digit, each as wide as its factor), each factor with a
 *     one-bit field that gives the wrap of its output shares, so that no
 *     product needs a comparison or an MSB-to-wrap for its looked-up
 *     operands;
 *   - factors carry f = scale_out fraction bits (f = scale_out + 2 when q >
 *     2), not scale_out + 2, and the product rounds to nearest: the error
 *     analysis below shows 1.2 ULP at 16/12, so smaller tables suffice;
 *   - each product is written E_j G = 2^f G - D_j G with D_j = 2^f - E_j,
 *     which is narrow for the low digits (< 248 at 16/12): D_j is looked up
 *     and multiplied at md_j = max(its width + 1, 2f + 1 - lw) bits (9 at
 *     16/12, the ring 2f + 2 then exceeds md_j + lw by at most one bit, so
 *     both wraps stay one bit), so the lookup sends fewer bits and the
 *     multiplication's cross terms choose with md_j bits; the first product
 *     has both wraps from the lookups (the later ones take G's from
 *     MSB-to-wrap on its public zero MSB), and the rounding is one shift of
 *     2^f G - D_j G + 2^(f-1) < 2^(2f+1) (its MSB in the ring 2f + 2 a
 *     public zero) that lands directly in G's ring.
 * The model: E_j(d) = round(e^(-d 2^(8j - scale_in)) 2^f) (long double),
 * G = E_(q-1)(d_(q-1)), then G = floor((E_j(d_j) G + 2^(f-1)) / 2^f) for
 * j = q-2 down to 0, y = floor((G + 2^(g-1)) / 2^g) with g = f - scale_out
 * (nothing when g = 0), mod 2^bits_out. A multiplicative exp (each party
 * exponentiating its own share) was rejected: its rounding depends on the
 * sharing, so no share-independent model could match it bit for bit.
 *
 * Error contract (max |y - e^v 2^scale_out| in output ULPs, the true value
 * in long double, v = x for x <= 0 and x - 2^(bits_in - scale_in) for x >
 * 0 as defined above; asserted over the whole format space by
 * tests/test_math_sweep.c, make sweep), with q = ceil(bits_in / 8) and g =
 * 0 (q <= 2) or 2 (q > 2):
 *   bound = (2q - 1) 2^-(g+1) + (g > 0 ? 1/2 : 0)
 *   (q table roundings and q - 1 product roundings of half a chain ULP,
 *   2^-g output ULPs, plus the final rounding when g > 0):
 *   8-bit inputs 0.5 (one table), 9..16 bits 1.5, 17..24 bits 1.125,
 *   25..32 bits 1.375. Measured: 16/12 -> 16/12 1.21 (SCI 3), -> 16/14
 *   1.22.
 * Widths: f + lw <= 64 with lw = max(f + 2, bits_out + g), else
 * SIRNN_ERR_ARG (for 32-bit outputs: scale_out <= 28 when bits_in > 16).
 *
 * Costs at 16/12 -> 16/12 (both parties, bits per element, one lane, large
 * n; flights summed over both parties, n = 1): 9,489 bits with the default
 * SoftSpokenOT (ot_k = 4), 8,028 on the silent backend (SIRNN_OT_SILENT;
 * its lookups 6,928 of them, the digits 303, the product 472, the rounding
 * 298); with IKNP, by steps, digdec(16, 8) 647 + lookups (D_0 9 bits and
 * E_1 16 bits, each with its wrap field) 2,816 + 4,608 +
 * sirnn_mult_wraps(9 x 16 -> 26) 3,266 + the rounding shift(26, 12 -> 16)
 * 1,384 = 12,721 bits (SCI 16,036); flights 3 + 1 + 3 + 3 = 10, 5 round
 * trips (SCI about 16): digdec's carry is one 1-of-256 OT (no AND level)
 * whose B2A ends with party 1's flight, which also carries the lookups'
 * columns; the product, with both wraps known, ends with party 1's flight
 * too, which carries the rounding's first (sirnn_shift_lean with the
 * public zero MSB: two 6-bit leaves and one AND level). 16/12 -> 16/14:
 * 11,032 bits (silent 9,448, IKNP 14,808). Each further digit adds one
 * sirnn_mult_wrap (G's wrap by MSB-to-wrap, 4 flights) and one rounding;
 * g > 0 adds a TR.
 * Blocks of 16384 elements per lane bound the memory.
 */
SIRNN_API sirnn_status sirnn_exp(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                                 sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);

/* The cleartext model of sirnn_exp (same formats; SIRNN_ERR_ARG for the
 * formats sirnn_exp refuses, or NULL arrays with n > 0). y may alias x. */
SIRNN_API sirnn_status sirnn_ref_exp(size_t n, uint64_t *y, const uint64_t *x,
                                     sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);

/* ------------------------------------------------------------------ */
/* Sigmoid and tanh (math/sigmoid.c, math/recip.c; models in            */
/* math/ref_sigmoid.c)                                                  */
/* ------------------------------------------------------------------ */

/*
 * y = sigmoid(x) = 1 / (1 + e^-x), and y = tanh(x), for every x of the
 * input format. x: shares of fmt_in (signed, 8..32 bits, scale 0..31; tanh
 * needs scale >= 1); y: shares of fmt_out (8..32 bits, scale >= 5 and
 * holding 1.0: scale <= bits - 1, bits - 2 if signed; tanh's output must
 * be signed; scale <= 16, see below). Exactly
 * sirnn_ref_sigmoid / sirnn_ref_tanh. y may alias x. Secrets: x and y.
 *
 * Algorithm and why (math/sigmoid_plan.h has every width). Three paths:
 *
 * The table path, for 8-bit inputs: one lookup on x itself (sirnn_lut, 256
 * entries of bits_out bits) of round(f(x) 2^scale_out), exactly rounded:
 * 256 + 256 bits_out bits per element, 2 flights.
 *
 * The poly path, for 9..16 input bits when a polynomial per interval of
 * 256 input steps is within half an output ULP (h = 2^(8 - scale_in) the
 * interval's width: a line if max|f''| h^2 / 16 <= 2^-(scale_out + 1), else
 * a parabola if max|f'''| h^3 / 192 + max|f''| 2^(6 - 2 scale_in) <=
 * 2^-(scale_out + 1); max|f''|, max|f'''|: sigmoid 0.0963, 0.125, tanh
 * 0.7699, 2). sigmoid 16/12 -> 16/12 and -> 16/14 take the line, tanh at
 * these formats (and sigmoid 16/12 -> 16/15, 16/11 -> 16/14) the parabola.
 * x = 256 d1 + d0, d1 = the top bits_in - 8 bits (the sign included), d0 =
 * the low 8 bits; the polynomial through the Chebyshev nodes of f on d1's
 * interval, in the basis 1, d0 - 128, Q - 32 (Q = round(d0 (255 - d0) /
 * 256); centred, so that the coefficients' roundings weigh half), gives
 *   y = floor((A[d1] + B[d1] (d0 - 128) + C[d1] (Q[d0] - 32) + 2^(T-1)) /
 *   2^T) mod 2^bits_out,
 * T guard bits (7; 8 for tanh's parabola), B and C rounded to scale_out + T
 * fraction bits, A to fewer: scale_out + 3 on the line, scale_out + 1 on
 * tanh's parabola (scale_out + 7 on sigmoid's parabola), so that A is a
 * multiple of 2^ash, ash = 4, 7 (0) (C = 0 for the line).
 * Under MPC, each table only as wide as its values need, all tables in one
 * sirnn_lut_multi OT per element, and everything mod 2^L with L the fewest
 * bits that hold W = V + 2^(T-1) (plus 2^(L-2) when some V is negative)
 * with a zero MSB, over every input (20 for sigmoid 16/12 -> 16/12, 22 for
 * -> 16/14, 23 for tanh 16/12 -> 16/12; bits_out + T when no fewer do: 24
 * for tanh 16/12 -> 16/14); the rounding is one shift of W by T (its MSB a
 * public zero) into bits_out bits (or TR(L, T) when L = bits_out + T):
 *   line: y's V is computed as A1[d1] + B[d1] d0 with A1 = A - 128 B (the
 *   same V mod 2^L); d0 and d1 by one digit decomposition (16, 8) that also
 *   hands out d0's wrap (the carry into d1); A1 >> 4 (L - 4 bits) and B (kB bits,
 *   B >= 0, kB = its two's complement width, so its top bit is zero) in one
 *   lookup, with a one-bit field that gives the wrap of B's output shares;
 *   B d0 by one unsigned product 8 x kB -> L whose d0 wrap is that carry
 *   and whose B wrap is that field (sirnn_mult_wraps: no comparison, no
 *   MSB-to-wrap, 3 flights); the rounding;
 *   parabola: the digit decomposition for d1, which also hands out d0's
 *   wrap; in one set of lookup flights (sirnn_lut_several) Q[d0] - 32
 *   (8-bit entries, on d0's shares, the inputs' low bytes) and, on d1, A >>
 *   ash (L - ash bits), B and C (kY = max(L - 8, their widths) bits: the
 *   signed product needs 8 + kY >= L), with one-bit
 *   fields for the wraps of Q's, B's and C's output shares (as the signed
 *   product offsets them); one signed product call for B (d0 - 128) and C
 *   (Q - 32) (8 x kY -> L, every wrap given: 3 flights); the rounding.
 * Each step's first flight (party 1's) rides in the last flight of the step
 * before, which is party 1's too: digdec 3 flights, the lookups 1, the
 * product 3, the rounding 2: 9 in all. The lookups are most of the bits
 * (86 to 90% on the silent backend: their 2^8 entries of every field).
 * No sign, no |x|, no exp, no reciprocal and no final MUX: SIRNN's
 * structure (and our |x| path below) spends most of its flights on those.
 * A line or parabola per 2^8 input steps fits because the inputs are
 * 16-bit: the index is all of the high byte.
 *
 * The |x| path (every other format): the sign by sirnn_msb and |x| by one
 * MUX; e = exp(-|x|) (tanh: exp(-2|x|)) by the exp chain of sirnn_exp at
 * f = max(7, scale_out + g) fraction bits (g: sigmoid 1, or 2 above 16
 * input bits; tanh 3), its top factor clamped below 1; then ONE reciprocal
 * r = 1/(1 + e) for a denominator known to lie in [1, 2): the minimax line
 * of 1/(1 + e) on each of 128 segments (a 128-entry LUT of values and one
 * of slopes, one product, one truncation; interpolation error 2^-17),
 * instead of SIRNN's piecewise-linear guess plus Goldschmidt
 * iterations and its product by the numerator. sigmoid is r for x >= 0 and
 * 1 - r for x < 0; tanh is 2r - 1, negated for x < 0. One final MUX on the
 * sign applies either.
 *
 * Error contract (max |y - f(x) 2^scale_out| in output ULPs, true f in
 * long double, over every input of the format; asserted over the whole
 * format space by tests/test_math_sweep.c, make sweep), by path:
 *   | path                        | sigmoid | tanh                         |
 *   | table (8-bit inputs)        | 0.5     | 0.5                          |
 *   | poly (its condition above)  | 1.63    | 1.63                         |
 *   | |x|, 9..16 input bits       | 1.4     | 1.7; 3.25 if scale_out >= 15 |
 *   | |x|, 17..32 input bits      | 1.9     | 1.7; 3.25 if scale_out >= 15 |
 *   (poly: 0.5 interpolation, 0.5 the final rounding, and the
 *   coefficients' roundings: the line B 0.5 over |d0 - 128| <= 128 and A
 *   0.0625, 1.5625 in all; sigmoid's parabola B 0.5, C 0.125 over |Q - 32|
 *   <= 32, 1.625; tanh's parabola (T = 8) B 0.25, C 0.0625, A 0.25, 1.5625;
 *   |x|: 0.5 the final rounding, 0.5 at most the line (2^(scale_out - 17)),
 *   the exp chain at f bits, tanh doubling r's error in 2r - 1).
 *   Measured: sigmoid 16/12 -> 16/12: 1.100 (SCI 3); 16/12 -> 16/14:
 *   1.269; tanh 16/12 -> 16/12: 0.887 (SCI 4); 16/12 -> 16/14: 0.950.
 *   sigmoid(x) + sigmoid(-x) - 1 and tanh(x) + tanh(-x) are within one ULP
 *   on the poly path (tested at 16/12 -> 16/12).
 * Output scales above 16 are refused (SIRNN_ERR_ARG): the reciprocal
 * core's line error, 2^-17, would no longer be below half an ULP.
 *
 * Costs (both parties, bits per element, one lane, large n; flights summed
 * over both parties, n = 1; pinned by the tests), with the default
 * SoftSpokenOT (ot_k = 4): sigmoid 16/12 -> 16/12 8,028 bits, -> 16/14
 * 9,144; tanh 16/12 -> 16/12 17,830, -> 16/14 18,502. On the silent backend
 * (SIRNN_OT_SILENT): sigmoid 7,007 / 8,063, tanh 16,025 / 16,814 (the
 * lookups' messages, 2^8 entries of every field, 6,144 / 7,168 and 14,592 /
 * 15,360 of them: a 1-of-2^8 OT's choice costs a few bits there, its
 * messages all of theirs). With IKNP (ot_k =
 * 1), whose accounting the steps use:
 *   sigmoid 16/12 -> 16/12 (line, L = 20, kB = 7): 10,556 bits; -> 16/14
 *   (L = 22, kB = 9): 11,768 bits (SCI 35,441 / 40,317); 9 flights (4.5
 *   round trips; SCI about 56). Steps (bits and flights as in arith.h):
 *   digdec(16, 8) 647 bits (one 1-of-256 OT for the carry), 3 flights (its
 *   carry out of d0 is reused: L - 8 - kB <= 8, so its B2A stays 8 bits);
 *   the lookup 256 + 256 x (L - 4 + kB + 1) = 6,400 / 7,424, 1 flight (its
 *   columns ride in digdec's last flight, party 1's); B d0 (8 x kB -> L, 3
 *   flights): two cross terms (the chooser takes the narrower operand's
 *   min(8, kB) bits: 2 x 1,015 / 2 x 1,172), d0's wrap MUX 2 x (128 + L -
 *   8), B's MUX 2 x (128 + L - kB): 2,592 / 2,910; the rounding (one 7-bit
 *   leaf and the public zero MSB's extension) 917 / 787, 2 flights;
 *   tanh 16/12 -> 16/12 (parabola, L = 23, kY = 15): 22,502 bits (SCI
 *   35,063), -> 16/14 (L = 24, kY = 16): 23,046 bits; 9 flights: digdec
 *   647, 3 flights; the lookups (1 flight) of Q 256 + 256 x (8 + 1) = 2,560
 *   and of the coefficients 256 + 256 x (L - 7 + 2 kY + 2) = 12,544 /
 *   13,312; per product 2 x 1,180 + 2 x (128 + 15) + 2 x (128 + 8) = 2,918
 *   (2,936 at L = 24), two of them (one call, 3 flights); the rounding 915
 *   (TR(24, 8) 655 at 16/14), 2 flights;
 *   the |x| path at 16-bit inputs (measured at 16/4 -> 16/12 and 16/14):
 *   about 27,700 to 34,400 bits and 34 to 38 flights: sirnn_msb(b) 4
 *   flights, sirnn_mux(b) 4, the exp chain (12 for two digits), the
 *   reciprocal core (its index truncation and its final one by
 *   sirnn_tr_lean, a lookup, a product), the final sirnn_mux 4.
 * At n = 100 the bits per element are 1.03x those of a large batch (poly
 * path), 1.07x on the |x| path.
 * Blocks of 16384 elements per lane bound the memory.
 */
SIRNN_API sirnn_status sirnn_sigmoid(sirnn_party *party, size_t n, uint64_t *y,
                                     const uint64_t *x, sirnn_fixfmt fmt_in,
                                     sirnn_fixfmt fmt_out);
SIRNN_API sirnn_status sirnn_tanh(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                                  sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);
/* The cleartext models (same formats; SIRNN_ERR_ARG for the formats the
 * protocols refuse, or NULL arrays with n > 0). y may alias x. */
SIRNN_API sirnn_status sirnn_ref_sigmoid(size_t n, uint64_t *y, const uint64_t *x,
                                         sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);
SIRNN_API sirnn_status sirnn_ref_tanh(size_t n, uint64_t *y, const uint64_t *x,
                                      sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);

/* ------------------------------------------------------------------ */
/* Reciprocal square root (math/rsqrt.c, model in math/ref_rsqrt.c)    */
/* ------------------------------------------------------------------ */

/*
 * y[i] = 1 / sqrt(x[i]) for x > 0 in fmt_in (shares of fmt_in.bits bits)
 * into fmt_out (shares of fmt_out.bits bits), exactly sirnn_ref_rsqrt.
 * y may alias x. Secrets: x and y; formats and n are public.
 *
 * Algorithm (math/rsqrt_plan.h gives every width; chosen over SIRNN's LUT +
 * Newton because one minimax line per bucket is already accurate to
 * 2^-16.4 and needs a single multiplication):
 *   - X = x mod 2^b, b = bits - sign (the sign bit is ignored, as for the
 *     denominator of sirnn_div); k = MSNZB(X) (sirnn_msnzb, digits of 8,
 *     with the one-hot vector, whose bit b - 1 is X's MSB);
 *   - one lookup on k (3 tables in one OT per element) gives M = 2^(b - s - 2e),
 *     e = ceil((k - s) / 2), the output factor S = 2^(G - e) and the
 *     saturation constant C; XN = X M in [2^(b-1), 2^(b+1)), i.e. x = xn 4^e
 *     with xn in [1/2, 2) (the exponent parity is in which half xn lies);
 *   - one lookup on the top mi = min(8, b + 1) bits of XN (buckets of
 *     width 2^(1 - mi)) gives the minimax line y = A - B xn of the bucket
 *     (entries of 21-23 bits at 16-bit outputs); y = A - TR(B * XN),
 *     as one truncation of A 2^shp + 2^shp - 1 - B XN. For b <= 7 the index is all of XN, and
 *     the table holds 1/sqrt(xn) itself (B = 0);
 *   - out = round(y S / 2^(py + G - s_out)) + C (a product with y wide
 *     enough to need no wrap of it, a public half, TR). No Newton step is needed up to 16 significant
 *     output bits; wider outputs are refused (see Formats).
 * Edge cases: x = 0 reads as the smallest step 2^-s_in (so it gives
 * min(2^(s_in/2), largest output)); results above the largest output value
 * imax = (2^(bits_out - sign) - 1) / 2^s_out saturate to it: whole
 * exponents by M = S = 0, C = the largest value, and where the results of
 * an exponent cross imax (inputs within about 2^-J of a power of 4,
 * J = bits_out - sign), each bucket whose line would round above imax is
 * lowered just enough that it does not (the plan checks every bucket
 * before the output's reduction mod 2^bits_out, so neither unsigned nor
 * narrow signed outputs wrap). For signed input formats a negative x is
 * read as x + 2^(bits-1) (its bits below the sign); no error bound holds
 * there.
 *
 * Formats: 4 <= bits_in <= 32, 2 <= bits_out <= 32, 0 <= scales <= 62, any
 * signedness. Refused with SIRNN_ERR_ARG before anything is sent: formats
 * outside these ranges; formats whose largest result, min(2^(bits_out -
 * sign) - 1, 2^(s_out + s_in/2)) output ULPs (the smallest step's, capped
 * by the format), is 2^16 or more: more significant bits than one line
 * per bucket serves without a Newton step (16/12 -> 24/20 and 24/16 ->
 * 24/8 are refused, 16/12 -> 16/14 unsigned and 24/16 -> 24/7 accepted);
 * formats where every input saturates (2^s_out / sqrt(largest x) >= imax
 * + 1/2 ULP).
 *
 * Error contract (max |result - min(1/sqrt(x), imax)| in output ULPs for
 * x > 0, the model against long double; asserted over the whole format
 * space by tests/test_math_sweep.c, make sweep):
 *   16/12 -> 16/12 and 16/12 -> 16/14: <= 1 ULP (measured 0.707, 0.736);
 *   every other accepted format: <= 1.5 ULP (0.5 the final rounding, the
 *   line's error below 2^-16.4 relative, the lowered buckets at the
 *   saturation boundary up to 0.5 more). (SIRNN: 2 ULP at 16/12 ->
 *   16/14.)
 *
 * Costs (both parties, bits per element over a chunk of 4096 on one lane;
 * flights summed over both parties for n = 1, as counted in arith.h), with
 * the default SoftSpokenOT (ot_k = 4) and with IKNP (ot_k = 1):
 *   16/12 -> 16/14: 21,137 bits (IKNP 31,473), 23 flights (SCI 48,847 bits,
 *   ~71 round trips); 16/12 -> 16/12: 21,523 bits (IKNP 32,243), 23 flights. The steps are
 *   arith.h calls one after the other: MSNZB up to its XOR-shared code
 *   (sirnn_msnzb_code, without its final lookup) 5 flights; one lookup on
 *   the code and party 1's top bit of X (per-element tables of 2^(mcode+1)
 *   entries) gives M and S (each with the wrap of its output shares), C and
 *   X's wrap (the MSB-to-wrap of its shares, the MSB read off the code), 1
 *   more (its columns ride in MSNZB's last flight); X M by
 *   sirnn_mult_wraps, 3; the index truncation (one 8-bit leaf), 2 more;
 *   the lookup of A and B (with B's wrap) and XN's MSB-to-wrap, 1 more;
 *   P = B XN by sirnn_mult_wraps, 3; y = floor((A 2^shp + 2^shp - 1 - P) /
 *   2^shp) = A - TR(P) by one truncation by 18 bits (two AND levels; the
 *   operand's MSB is a public 0, so its wrap comes by MSB-to-wrap among
 *   the leaves and y comes out wide enough that the next product needs
 *   no wrap of y), 4 more; Y S (S's wrap known), 2 more; the rounding, 2
 *   more. Each step on windows of the batch (MSNZB too: its blocks are the
 *   chunk), so the flights are the same up to about 16,000 elements per
 *   lane (23 at n = 16,384); the products' windows of 2^19 cross-term
 *   COTs add a few (29 at n = 65,536), and each further chunk of 65,536
 *   per lane runs after the one before.
 */
SIRNN_API sirnn_status sirnn_rsqrt(sirnn_party *party, size_t n, uint64_t *y, const uint64_t *x,
                                   sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);
/* Cleartext model of sirnn_rsqrt: the same steps on clear values (input bits
 * above fmt_in.bits ignored, outputs mod 2^bits_out). SIRNN_ERR_ARG for the
 * formats the protocol refuses, or NULL arrays with n > 0. */
SIRNN_API sirnn_status sirnn_ref_rsqrt(size_t n, uint64_t *y, const uint64_t *x,
                                       sirnn_fixfmt fmt_in, sirnn_fixfmt fmt_out);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_MATH_H */
