/*
 * sirnn_mult_lean (include/sirnn/arith.h) with the wrap of x's shares given
 * instead of its MSB shares: wrap_x[n] boolean shares of wrap(x0', x1'; m),
 * x' the shares as the product reads them (signed: party 0's share plus
 * 2^(m-1)), as sirnn_mult_wraps takes them. The wrap is then w_s + (1 -
 * 2 w_s) w_c in the chooser's bit w_c: the one-term polynomial of the
 * public-MSB case, so the bits and flights are those of sirnn_mult_lean
 * with msb_x NULL (2 flights: the chooser's columns, the other's
 * corrections). For the sigmoid's products after its lookups
 * (math/sig_pair.h), whose wraps the lookups hand out. Secrets: x, y,
 * wrap_x.
 */
#ifndef SIRNN_ARITH_LEAN_WRAP_H
#define SIRNN_ARITH_LEAN_WRAP_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

struct sirnn_party;

sirnn_status sirnn_mult_lean_wrap(struct sirnn_party *party, size_t n, uint64_t *out,
                                  const uint64_t *x, const uint64_t *y, const uint8_t *wrap_x,
                                  unsigned m, unsigned k, unsigned l, int is_signed,
                                  int chooser);

#endif /* SIRNN_ARITH_LEAN_WRAP_H */
