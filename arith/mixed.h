/*
 * Internal entry points shared by the mixed-bitwidth protocols of arith/
 * (extension, truncation, shifts, division by 2^s).
 */
#ifndef SIRNN_ARITH_MIXED_H
#define SIRNN_ARITH_MIXED_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "net/party_internal.h"

/*
 * The common shift: with x an l-bit share (and, if msb is not NULL, boolean
 * shares of bit l-1 of x), out gets shares mod 2^lout of
 *   unsigned: floor(x / 2^s),
 *   signed:   floor(x_s / 2^s) (x_s = x read as two's complement),
 *   div:      x_s / 2^s rounded toward zero (signed only),
 * for 0 <= s < l <= 64, 1 <= lout <= 64 (s = 0 with lout > l is an
 * extension). Arguments are not checked here.
 */
sirnn_status sirnn_shift_run(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                             const uint8_t *msb, unsigned l, unsigned s, unsigned lout,
                             int is_signed, int div);
/* The same, also giving sign[n] = boolean shares of bit l - 1 of x (the
 * MSB of the (l - s)-bit result) from the same network: a prefix at l - 1
 * bits. Not with msb or div. */
sirnn_status sirnn_shift_run_sign(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, const uint8_t *msb, unsigned l, unsigned s,
                                  unsigned lout, int is_signed, int div);

#endif /* SIRNN_ARITH_MIXED_H */
