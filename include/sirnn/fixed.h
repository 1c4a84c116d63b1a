/*
 * libsirnn cleartext models: what each protocol computes, on the
 * reconstructed values, with exactly the protocol's semantics (bits above
 * the width are ignored; results are reduced mod 2^l). Host applications
 * use them to check results; the tests compare protocols against them bit
 * for bit. Pure functions, no secrets handling (they run on clear values).
 */
#ifndef SIRNN_FIXED_H
#define SIRNN_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A fixed-point format: an integer q of `bits` bits (1..64) stands for the
 * real value q / 2^scale. A signed format reads q in two's complement.
 * Shares of a value in this format are `bits`-bit arithmetic shares of q.
 */
typedef struct sirnn_fixfmt {
    uint8_t bits;
    int8_t scale;
    bool is_signed;
} sirnn_fixfmt;

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

/* Multiplication (sirnn_mult and its forms): x (m bits) times y (k bits),
 * both zero-extended (is_signed = 0) or sign-extended (1), mod 2^l. */
SIRNN_API uint64_t sirnn_ref_mult(uint64_t x, uint64_t y, unsigned m, unsigned k, unsigned l,
                                  int is_signed);
/* Matrix product (sirnn_matmul, sirnn_matmul_clear): acc = sum over j of
 * a[i][j] * w[j][q] (extended as in sirnn_ref_mult) mod 2^la, la = m + k +
 * ceil(log2 d2); out[i][q] = (acc >> s) mod 2^lout. Row-major arrays. */
SIRNN_API void sirnn_ref_matmul(size_t d1, size_t d2, size_t d3, uint64_t *out,
                                const uint64_t *a, const uint64_t *w, unsigned m, unsigned k,
                                unsigned s, unsigned lout, int is_signed);

/* ---- Extension and truncation (sirnn_zext ... sirnn_divpow2) ---- */
/* Zero extension of the m-bit x to l bits: x mod 2^m. */
SIRNN_API uint64_t sirnn_ref_zext(uint64_t x, unsigned m, unsigned l);
/* Signed extension: the m-bit two's-complement x, mod 2^l. */
SIRNN_API uint64_t sirnn_ref_sext(uint64_t x, unsigned m, unsigned l);
/* TR(l, s): floor((x mod 2^l) / 2^s), an (l - s)-bit value. */
SIRNN_API uint64_t sirnn_ref_tr(uint64_t x, unsigned l, unsigned s);
/* TR then extension to lout bits: floor(x / 2^s) with x unsigned, or
 * floor(x_s / 2^s) with x_s the l-bit two's-complement value, mod 2^lout. */
SIRNN_API uint64_t sirnn_ref_tr_ext(uint64_t x, unsigned l, unsigned s, unsigned lout,
                                    int is_signed);
/* Logical right shift mod 2^l (s = l gives 0). */
SIRNN_API uint64_t sirnn_ref_lrs(uint64_t x, unsigned l, unsigned s);
/* Arithmetic right shift: floor(x_s / 2^s) mod 2^l (s = l as s = l - 1). */
SIRNN_API uint64_t sirnn_ref_ars(uint64_t x, unsigned l, unsigned s);
/* x_s / 2^s rounded toward zero, mod 2^l. */
SIRNN_API uint64_t sirnn_ref_divpow2(uint64_t x, unsigned l, unsigned s);

/* ---- Lookup tables and digit decomposition ---- */
/* table[idx mod 2^m] mod 2^l. */
SIRNN_API uint64_t sirnn_ref_lut(const uint64_t *table, uint64_t idx, unsigned m, unsigned l);
/* Digit j (0 = lowest) of the l-bit x in base 2^d: bits [j*d, min(l, (j+1)*d)). */
SIRNN_API uint64_t sirnn_ref_digit(uint64_t x, unsigned l, unsigned d, unsigned j);

/* ---- Most significant non-zero bit (sirnn_msnzb) ---- */
/* The position (0..l-1) of the highest 1 bit of x mod 2^l; 0 when x mod
 * 2^l is 0 (so 0 and 1 share index 0; the one-hot vector tells them apart). */
SIRNN_API uint64_t sirnn_ref_msnzb(uint64_t x, unsigned l);
/* The one-hot vector as a mask: 2^sirnn_ref_msnzb(x, l), or 0 when x mod
 * 2^l is 0. */
SIRNN_API uint64_t sirnn_ref_msnzb_onehot(uint64_t x, unsigned l);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_FIXED_H */
