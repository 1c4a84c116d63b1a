/*
 * libsirnn cleartext models: what each protocol computes, on the
 * reconstructed values, with exactly the protocol's semantics (bits above
 * the width are ignored; results are reduced mod 2^l). Host applications
 * use them to check results; the tests compare protocols against them bit
 * for bit. Pure functions, no secrets handling (they run on clear values).
 */
#ifndef SIRNN_FIXED_H
#define SIRNN_FIXED_H

#include <stdint.h>

#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x mod 2^l, 1 <= l <= 64. */
SIRNN_API uint64_t sirnn_ref_mod(uint64_t x, unsigned l);
/* Bit l-1 of x. */
SIRNN_API uint8_t sirnn_ref_msb(uint64_t x, unsigned l);
/* 1 if (x0 mod 2^l) + (x1 mod 2^l) >= 2^l. */
SIRNN_API uint8_t sirnn_ref_wrap(uint64_t x0, uint64_t x1, unsigned l);
/* Millionaires': op 0 (LT) gives 1{x < y}, op 1 (GT) 1{x > y}, on x, y mod 2^l. */
SIRNN_API uint8_t sirnn_ref_cmp(uint64_t x, uint64_t y, unsigned l, int op);
/* 1{x == y} on x, y mod 2^l. */
SIRNN_API uint8_t sirnn_ref_eq(uint64_t x, uint64_t y, unsigned l);
/* B2A: the bit b as a value mod 2^l. */
SIRNN_API uint64_t sirnn_ref_b2a(uint8_t b, unsigned l);
/* MUX: sel ? x : y mod 2^l (sirnn_mux is y = 0). */
SIRNN_API uint64_t sirnn_ref_mux(uint8_t sel, uint64_t x, uint64_t y, unsigned l);
/* ReLU on an l-bit two's-complement x: x mod 2^l if its MSB is 0, else 0. */
SIRNN_API uint64_t sirnn_ref_relu(uint64_t x, unsigned l);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_FIXED_H */
