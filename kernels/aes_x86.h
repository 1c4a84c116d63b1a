/*
 * Inline AES round sequences for the per-ISA files (internal). Each section
 * is visible only when the including file is compiled with its ISA flags
 * (build/config.mk gives them by file-name suffix), so a baseline file that
 * includes this header gets nothing.
 *
 * Round keys are loaded once per call into local vectors, which the compiler
 * keeps in registers across the unrolled loops.
 */
#ifndef SIRNN_KERNELS_AES_X86_H
#define SIRNN_KERNELS_AES_X86_H

#include "kernels/block.h"

#if defined(__AES__) || defined(__VAES__)
#include <immintrin.h>
#endif

/* The step functions must be inlined into their loops so the round keys stay
 * in registers; GCC will not always do it on its own for large bodies. */
#if defined(__GNUC__)
#define SIRNN_AES_INLINE static inline __attribute__((always_inline))
#else
#define SIRNN_AES_INLINE static inline
#endif

#if defined(__AES__)
/* 128-bit lanes: AES-NI. */

SIRNN_AES_INLINE void aesni_load_keys(__m128i rk[11], const sirnn_block *src)
{
#pragma GCC unroll 11
    for (int r = 0; r < 11; r++)
        rk[r] = _mm_load_si128((const __m128i *)(const void *)&src[r]);
}

/* x[0..8) = AES(x[0..8)): eight independent blocks hide the aesenc latency. */
SIRNN_AES_INLINE void aesni_enc8(__m128i x[8], const __m128i rk[11])
{
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++)
        x[j] = _mm_xor_si128(x[j], rk[0]);
#pragma GCC unroll 9
    for (int r = 1; r < 10; r++) {
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++)
            x[j] = _mm_aesenc_si128(x[j], rk[r]);
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++)
        x[j] = _mm_aesenclast_si128(x[j], rk[10]);
}

/* sigma(hi || lo) = (hi ^ lo || hi): halves swapped, then the old high half
 * folded into the new high half. */
SIRNN_AES_INLINE __m128i aesni_sigma(__m128i x)
{
    const __m128i hi_mask = _mm_set_epi64x(-1, 0);
    return _mm_xor_si128(_mm_shuffle_epi32(x, 0x4e), _mm_and_si128(x, hi_mask));
}
#endif /* __AES__ */

#if defined(__VAES__) && defined(__AVX2__)
/* Two blocks per 256-bit register. */

SIRNN_AES_INLINE void vaes256_load_keys(__m256i rk[11], const sirnn_block *src)
{
#pragma GCC unroll 11
    for (int r = 0; r < 11; r++)
        rk[r] = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(const void *)&src[r]));
}

/* x[0..8) = AES(x[0..8)) on 16 blocks. */
SIRNN_AES_INLINE void vaes256_enc8(__m256i x[8], const __m256i rk[11])
{
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++)
        x[j] = _mm256_xor_si256(x[j], rk[0]);
#pragma GCC unroll 9
    for (int r = 1; r < 10; r++) {
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++)
            x[j] = _mm256_aesenc_epi128(x[j], rk[r]);
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++)
        x[j] = _mm256_aesenclast_epi128(x[j], rk[10]);
}

SIRNN_AES_INLINE __m256i vaes256_sigma(__m256i x)
{
    const __m256i hi_mask = _mm256_set_epi64x(-1, 0, -1, 0);
    return _mm256_xor_si256(_mm256_shuffle_epi32(x, 0x4e), _mm256_and_si256(x, hi_mask));
}
#endif /* __VAES__ && __AVX2__ */

#if defined(__VAES__) && defined(__AVX512F__)
/* Four blocks per 512-bit register. */

SIRNN_AES_INLINE void vaes512_load_keys(__m512i rk[11], const sirnn_block *src)
{
#pragma GCC unroll 11
    for (int r = 0; r < 11; r++)
        rk[r] = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)(const void *)&src[r]));
}

/* x[0..nvec) = AES(x[0..nvec)), 4 blocks per register; nvec is a
 * compile-time constant at every call, so the loops unroll fully. */
SIRNN_AES_INLINE void vaes512_enc(__m512i *x, int nvec, const __m512i rk[11])
{
#pragma GCC unroll 8
    for (int j = 0; j < nvec; j++)
        x[j] = _mm512_xor_si512(x[j], rk[0]);
#pragma GCC unroll 9
    for (int r = 1; r < 10; r++) {
#pragma GCC unroll 8
        for (int j = 0; j < nvec; j++)
            x[j] = _mm512_aesenc_epi128(x[j], rk[r]);
    }
#pragma GCC unroll 8
    for (int j = 0; j < nvec; j++)
        x[j] = _mm512_aesenclast_epi128(x[j], rk[10]);
}

SIRNN_AES_INLINE __m512i vaes512_sigma(__m512i x)
{
    const __m512i hi_mask = _mm512_set_epi64(-1, 0, -1, 0, -1, 0, -1, 0);
    /* swapped ^ (x & hi_mask) in one ternary-logic op (0x78 = A ^ (B & C)). */
    return _mm512_ternarylogic_epi64(_mm512_shuffle_epi32(x, _MM_PERM_BADC), x, hi_mask, 0x78);
}

/* Address of block `block` of base, or base itself under an empty mask, so
 * a masked tail never forms a pointer past its buffer (the length is public). */
SIRNN_AES_INLINE const void *vaes512_src(const void *base, size_t block, __mmask8 m)
{
    return (const unsigned char *)base + (m ? 16 * block : 0);
}

SIRNN_AES_INLINE void *vaes512_dst(void *base, size_t block, __mmask8 m)
{
    return (unsigned char *)base + (m ? 16 * block : 0);
}

/* Mask of the 64-bit lanes holding the first `nblocks` (0..4) blocks. */
SIRNN_AES_INLINE __mmask8 vaes512_lane_mask(size_t nblocks)
{
    return (__mmask8)((1u << (2 * nblocks)) - 1u);
}
#endif /* __VAES__ && __AVX512F__ */

#endif /* SIRNN_KERNELS_AES_X86_H */
