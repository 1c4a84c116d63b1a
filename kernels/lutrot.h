/*
 * Constant-time table rotation for the lookup-table sender (arith/lut.c):
 *   dst[v] = (src[(v + s) mod 2^m] - r) mod 2^l   for v < 2^m,
 * with s (m bits) and r secret: m barrel-shifter passes of masked selects
 * between dst and tmp (no branch or memory index depends on s or r).
 * 1 <= m <= 8; lm = 2^l - 1. dst, src and tmp must not overlap. Portable,
 * AVX2 and AVX-512 variants, chosen through the kernel table (kernels/cpu.h,
 * lut_rotate*; tests reach every path through sirnn_kernels_for_isa).
 */
#ifndef SIRNN_KERNELS_LUTROT_H
#define SIRNN_KERNELS_LUTROT_H

#include <stddef.h>
#include <stdint.h>

void sirnn_lut_rotate(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s, unsigned m,
                      uint64_t r, uint64_t lm);
/* The portable twin (for tests). */
void sirnn_lut_rotate_portable(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                               unsigned m, uint64_t r, uint64_t lm);
/* The AVX2 and AVX-512 F variants; only on machines with them. */
void sirnn_lut_rotate_avx2(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                           unsigned m, uint64_t r, uint64_t lm);
void sirnn_lut_rotate_avx512(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                             unsigned m, uint64_t r, uint64_t lm);

/*
 * Narrow entries (l <= 16, so lm < 2^16), rotated as 16-bit values held in
 * registers (the whole table of 2^m entries is at most 512 bytes):
 *   dst[v] = (src[(v + s) mod 2^m] - r) mod 2^l   for v < 2^m,
 * written as 64-bit values (zero above bit l). Only the low 16 bits of each
 * entry are read, so the wide form accepts the 64-bit tables of the caller
 * directly. s (m bits), r and the entries are secret: the low bits of s
 * drive a permutation whose timing does not depend on its indices, the
 * others masked selects; no branch or memory index depends on them.
 * 1 <= m <= 8. dst may alias src exactly (everything is read before
 * anything is written), no other overlap.
 */
void sirnn_lut_rotate16(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m, uint64_t r,
                        uint64_t lm);
void sirnn_lut_rotate16w(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m, uint64_t r,
                         uint64_t lm);
/* Portable twins (for tests), the AVX2 and the AVX-512 F/BW variants. */
void sirnn_lut_rotate16_portable(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                                 uint64_t r, uint64_t lm);
void sirnn_lut_rotate16w_portable(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                                  uint64_t r, uint64_t lm);
void sirnn_lut_rotate16_avx2(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                             uint64_t r, uint64_t lm);
void sirnn_lut_rotate16w_avx2(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                              uint64_t r, uint64_t lm);
void sirnn_lut_rotate16_avx512(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                               uint64_t r, uint64_t lm);
void sirnn_lut_rotate16w_avx512(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                                uint64_t r, uint64_t lm);

#endif /* SIRNN_KERNELS_LUTROT_H */
