/*
 * The reciprocal core of sigmoid and tanh: r = 1 / (1 + e) for e in
 * [0, 1), a denominator in the known range [1, 2).
 *
 * Contract. e is given at f fraction bits as an integer E in [0, 2^f)
 * (7 <= f <= 40), in lw-bit shares (lw > f; bits above f are zero in the
 * value). The result is R = floor((A[h] 2^k - delta[h] lo + 2^(T-1)) /
 * 2^T) mod 2^lr, a value at so fraction bits (1 <= so <= f), where
 *   k = f - 7, h = E >> k (7 bits), lo = E mod 2^k,
 *   F = so + 3, T = F + k - so, and on the segment [u, u + 2^-7), u =
 *   h / 128, the minimax line of 1/(1 + e): delta[h] = round(2^F (r(u) -
 *   r(u + 2^-7))), A[h] = round(2^F (r(u) - dev/2)), dev the chord's
 *   largest distance above the convex r = 1/(1 + e),
 * i.e. the line evaluated at F + k bits and rounded once. The line's
 * error is at most dev/2 <= 2^-17 (|r''| <= 2 over segments of 2^-7), so
 * against the true 1/(1 + E/2^f) the result is within 0.5 + 2^(so - 17) +
 * 2^-3.5 output ULPs (the rounding of A and delta at F = so + 3 bits).
 *
 * Protocol (sirnn_recip1p_run): TR(lw, k) gives h (one carry network), one
 * sirnn_lut_cb call gives A[h] and delta[h] (two 128-entry tables, 2n
 * lookups of W = L - k bits, L = T + lr), one sirnn_mult_msb (lo: k bits,
 * its wrap by the millionaires'; delta: W bits, public zero MSB) into L
 * bits, and TR(L, T) into lr bits. k = 0 (f = 7) skips the product.
 * Flights: TR(lw, k) + 2 + mult + TR(L, T).
 *
 * This header is stable: the reciprocal / division code may call it for
 * any denominator normalised into [1, 2).
 */
#ifndef SIRNN_MATH_RECIP_H
#define SIRNN_MATH_RECIP_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

typedef struct sirnn_recip1p_plan {
    unsigned f, lw, so, lr;
    unsigned k, F, T, L, W;
    uint64_t A[128], delta[128];
} sirnn_recip1p_plan;

/* SIRNN_ERR_ARG if the widths are outside the contract (L <= 64 too). */
sirnn_status sirnn_recip1p_plan_init(sirnn_recip1p_plan *p, unsigned f, unsigned lw, unsigned so,
                                     unsigned lr);
/* The model: R for a clear E in [0, 2^f). */
uint64_t sirnn_recip1p_ref(const sirnn_recip1p_plan *p, uint64_t e);

struct sirnn_party;
/* r[n] (lr-bit shares of R) from e[n] (lw-bit shares of E); r may alias
 * e. Arguments are not checked here. */
sirnn_status sirnn_recip1p_run(struct sirnn_party *party, size_t n, uint64_t *r,
                               const uint64_t *e, const sirnn_recip1p_plan *p);

#endif /* SIRNN_MATH_RECIP_H */
