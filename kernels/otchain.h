/*
 * The SoftSpoken leaf-sum kernel of the OT extension (ot/ext.c).
 */
#ifndef SIRNN_KERNELS_OTCHAIN_H
#define SIRNN_KERNELS_OTCHAIN_H

#include <stddef.h>
#include <stdint.h>

/*
 * SoftSpoken's leaf-sum step for one leaf (the hot loop): with c = g,
 *   for l < t:  out[l] = bit l of first ? c ^ (add & masks[l]) : out[l] ^ c
 *               c ^= acc[l]
 * then, if dst != NULL, dst = c ^ (add & dst_mask), over `words` words (even:
 * a chunk is a multiple of 128 bits, so 2 words or more); dst may alias g
 * exactly, nothing else overlaps. t, first and the pointers are public; the
 * data and masks are secret and enter by AND/XOR only.
 * Portable twin in kernels/otchain.c, AVX2 and AVX-512 paths in
 * kernels/otchain_avx2.c and kernels/otchain_avx512.c, chosen through the
 * kernel table (kernels/cpu.h: otx_chain).
 */
typedef void (*sirnn_otx_chain_fn)(uint64_t *const *out, const uint64_t *g,
                                   const uint64_t *const *acc, unsigned t, unsigned first,
                                   const uint64_t *add, const uint64_t *masks, uint64_t *dst,
                                   uint64_t dst_mask, size_t words);
void sirnn_otx_chain_portable(uint64_t *const *out, const uint64_t *g,
                              const uint64_t *const *acc, unsigned t, unsigned first,
                              const uint64_t *add, const uint64_t *masks, uint64_t *dst,
                              uint64_t dst_mask, size_t words);
void sirnn_otx_chain_avx2(uint64_t *const *out, const uint64_t *g, const uint64_t *const *acc,
                          unsigned t, unsigned first, const uint64_t *add,
                          const uint64_t *masks, uint64_t *dst, uint64_t dst_mask,
                          size_t words);
void sirnn_otx_chain_avx512(uint64_t *const *out, const uint64_t *g,
                            const uint64_t *const *acc, unsigned t, unsigned first,
                            const uint64_t *add, const uint64_t *masks, uint64_t *dst,
                            uint64_t dst_mask, size_t words);

#endif /* SIRNN_KERNELS_OTCHAIN_H */
