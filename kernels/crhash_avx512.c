/*
 * Fixed-key hashes with VAES on 512-bit registers: 8 registers x 4 blocks =
 * 32 hashes per step, both AES calls fused. The second call of a hash waits
 * for the first, so this path keeps twice as many blocks in flight as plain
 * ECB does. Tails use masked loads and stores; each step loads all of its
 * input before storing (out == in stays safe).
 */
#include "kernels/aes_impl.h"

#include "kernels/aes_x86.h"
#include "kernels/crhash.h"

#define VECS 8
#define BLOCKS (4 * VECS)

/* Lane masks for a step over `count` (<= BLOCKS) blocks. */
SIRNN_AES_INLINE void step_masks(__mmask8 m[VECS], size_t count)
{
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        size_t have = count > 4 * j ? count - 4 * j : 0;
        m[j] = vaes512_lane_mask(have < 4 ? have : 4);
    }
}

SIRNN_AES_INLINE __m512i first_tweaks(uint64_t tweak)
{
    const long long t = (long long)tweak;
    return _mm512_set_epi64(0, t + 3, 0, t + 2, 0, t + 1, 0, t);
}

/* Tweak blocks for register j of a step, from the step's first tweaks. */
SIRNN_AES_INLINE __m512i tweak_quad(__m512i tw, int j)
{
    return _mm512_add_epi64(tw, _mm512_set_epi64(0, 4 * j, 0, 4 * j, 0, 4 * j, 0, 4 * j));
}

/* One step over count <= BLOCKS blocks; count < BLOCKS only for the tail. */
SIRNN_AES_INLINE void crhash_step(sirnn_block *out, const sirnn_block *in, size_t count,
                                  const __m512i rk[11])
{
    __m512i s[VECS], x[VECS];
    __mmask8 m[VECS];
    step_masks(m, count);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        x[j] = s[j] = vaes512_sigma(_mm512_maskz_loadu_epi64(m[j], vaes512_src(in, 4 * j, m[j])));
    vaes512_enc(x, VECS, rk);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        _mm512_mask_storeu_epi64(vaes512_dst(out, 4 * j, m[j]), m[j], _mm512_xor_si512(x[j], s[j]));
}

void sirnn_crhash_vaes512(sirnn_block *out, const sirnn_block *in, size_t n)
{
    __m512i rk[11];
    vaes512_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    for (; n >= BLOCKS; n -= BLOCKS, in += BLOCKS, out += BLOCKS)
        crhash_step(out, in, BLOCKS, rk);
    if (n > 0)
        crhash_step(out, in, n, rk);
}

SIRNN_AES_INLINE void tccrhash_step(sirnn_block *out, const sirnn_block *in, size_t count,
                                    __m512i tw, const __m512i rk[11])
{
    __m512i t[VECS], x[VECS];
    __mmask8 m[VECS];
    step_masks(m, count);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        t[j] = _mm512_maskz_loadu_epi64(m[j], vaes512_src(in, 4 * j, m[j]));
    vaes512_enc(t, VECS, rk);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = _mm512_xor_si512(t[j], tweak_quad(tw, j));
    vaes512_enc(x, VECS, rk);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        _mm512_mask_storeu_epi64(vaes512_dst(out, 4 * j, m[j]), m[j], _mm512_xor_si512(x[j], t[j]));
}

void sirnn_tccrhash_vaes512(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n)
{
    __m512i rk[11];
    vaes512_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    __m512i tw = first_tweaks(tweak);
    const __m512i step = _mm512_set_epi64(0, BLOCKS, 0, BLOCKS, 0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, in += BLOCKS, out += BLOCKS) {
        tccrhash_step(out, in, BLOCKS, tw, rk);
        tw = _mm512_add_epi64(tw, step);
    }
    if (n > 0)
        tccrhash_step(out, in, n, tw, rk);
}

/* One step over count <= BLOCKS elements (in[2k], in[2k+1]). */
SIRNN_AES_INLINE void tccrhash256_step(sirnn_block *out, const sirnn_block *in, size_t count,
                                       __m512i tw, const __m512i rk1[11], const __m512i rk2[11])
{
    __m512i v[VECS], b[VECS];
    __mmask8 m_in[2 * VECS], m_out[VECS];
    step_masks(m_in, 2 * count > BLOCKS ? BLOCKS : 2 * count);
    step_masks(m_in + VECS, 2 * count > BLOCKS ? 2 * count - BLOCKS : 0);
    step_masks(m_out, count);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++) {
        /* e0 = a0 b0 a1 b1, e1 = a2 b2 a3 b3 (elements 4j .. 4j + 3). */
        const __mmask8 m0 = m_in[2 * j], m1 = m_in[2 * j + 1];
        __m512i e0 = _mm512_maskz_loadu_epi64(m0, vaes512_src(in, 8 * (size_t)j, m0));
        __m512i e1 = _mm512_maskz_loadu_epi64(m1, vaes512_src(in, 8 * (size_t)j + 4, m1));
        __m512i a = _mm512_shuffle_i64x2(e0, e1, _MM_SHUFFLE(2, 0, 2, 0));
        b[j] = _mm512_shuffle_i64x2(e0, e1, _MM_SHUFFLE(3, 1, 3, 1));
        v[j] = _mm512_xor_si512(a, tweak_quad(tw, j));
    }
    vaes512_enc(v, VECS, rk1);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        b[j] = v[j] = _mm512_xor_si512(v[j], b[j]);
    vaes512_enc(b, VECS, rk2);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        _mm512_mask_storeu_epi64(vaes512_dst(out, 4 * j, m_out[j]), m_out[j],
                                 _mm512_xor_si512(b[j], v[j]));
}

void sirnn_tccrhash256_vaes512(sirnn_block *out, const sirnn_block *in, uint64_t tweak,
                               size_t n)
{
    __m512i rk1[11], rk2[11];
    vaes512_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    vaes512_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    __m512i tw = first_tweaks(tweak);
    const __m512i step = _mm512_set_epi64(0, BLOCKS, 0, BLOCKS, 0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, in += 2 * BLOCKS, out += BLOCKS) {
        tccrhash256_step(out, in, BLOCKS, tw, rk1, rk2);
        tw = _mm512_add_epi64(tw, step);
    }
    if (n > 0)
        tccrhash256_step(out, in, n, tw, rk1, rk2);
}
