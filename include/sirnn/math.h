/*
 * libsirnn math functions on secret-shared fixed-point values: exp,
 * sigmoid, tanh, reciprocal, division and reciprocal square root.
 *
 * Each function takes an input format and an output format
 * (sirnn_fixfmt, fixed.h); x and y are arithmetic shares of the integers
 * of those formats. The secure result equals, bit for bit, the cleartext
 * model of the same algorithm (sirnn_ref_* in this header), and the error
 * of that model against the true function is stated below in output ULPs
 * (one ULP = 2^-scale_out) for each documented format, over a stated input
 * domain; the tests assert these bounds over every 16-bit input.
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
 *   - b > 8 (then b - scale <= 4 is required, d < 16): a LUT on the top 8
 *     bits of D gives y0 = 2 / (d_lo + d_hi) of its interval with 12-bit
 *     entries (smaller than SIRNN's slope + intercept tables; |1 - d y0| <=
 *     2^-5), then cubic Goldschmidt-Newton steps y <- y (1 + e + e^2),
 *     e = 1 - d y (each step: D*y, e^2, y*(e + e^2), truncations), as many
 *     as the output precision needs (one at 16/12 -> 16/12 and 16/14);
 *   - reciprocal: round(y 2^scale_out); division: round(num * y), y kept
 *     with 2 + (integer bits of num) guard bits beyond scale_out.
 * Rounding is to nearest (a public half added before the last
 * truncation). Denominators outside the domain (d < 1, and for signed
 * formats d <= 0) give the model's value, which is not 1/d; no ULP bound
 * holds there.
 *
 * Formats: 2..32 bits, 0 <= scale < 63. Refused with SIRNN_ERR_ARG: a
 * denominator format with no value >= 1 (scale >= bits - sign); b > 8 with
 * bits - sign - scale > 4 (use a normalised variant); a reciprocal output
 * that cannot hold 1 (bits - sign < scale + 1); a division whose numerator
 * or output is unsigned, or whose output cannot hold num / 1 (bits_out <
 * scale_out + bits_num - scale_num, plus 1 when scale_out < scale_num);
 * combinations whose working widths would exceed 64 bits.
 *
 * Error contract (max |result - true value| in output ULPs over the whole
 * domain, asserted by tests/test_math_div.c exhaustively at 16 bits):
 *   reciprocal 16/12 -> 16/12 and 16/12 -> 16/14 (d in [1, 8)): <= 1 ULP;
 *   division 16/12, 16/12 -> 16/12 (num any, d in [1, 8)): <= 1 ULP;
 *   8-bit denominators: 0.5 ULP (exactly rounded reciprocal);
 *   every other accepted format: <= 1 ULP (random grids at 8, 24, 32 bits).
 * (SIRNN: 15 ULP for division at 16/12.)
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
 * flights summed over both parties for n = 1, as counted in arith.h):
 *   reciprocal 16/12 -> 16/12: 36,480 bits, 44 flights;
 *   reciprocal 16/12 -> 16/14: 37,729 bits, 43 flights;
 *   division 16/12 -> 16/12: 51,799 bits, 48 flights (SCI 37,351 bits).
 * The steps are composed from arith.h calls one after the other; no
 * flights are shared between steps yet (an n = 4096 chunk takes 128 / 131 /
 * 192 flights because sub-protocols cut their own chunks).
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

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_MATH_H */
