/*
 * Fixed-key hashes with VAES on 256-bit registers: 8 registers x 2 blocks =
 * 16 hashes per step, both AES calls fused. Tails go through a stack buffer;
 * each step loads all of its input before storing (out == in stays safe).
 */
#include "kernels/aes_impl.h"

#include <string.h>

#include "kernels/aes_x86.h"
#include "kernels/crhash.h"

#define VECS 8
#define BLOCKS (2 * VECS)

SIRNN_AES_INLINE __m256i load2(const sirnn_block *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

SIRNN_AES_INLINE void store2(sirnn_block *p, __m256i x)
{
    _mm256_storeu_si256((__m256i *)(void *)p, x);
}

/* Tweak blocks of elements 2j and 2j + 1 for register j, from the step's
 * first two, tw = ((d || t), (d || t + 1)). */
SIRNN_AES_INLINE __m256i tweak_pair(__m256i tw, int j)
{
    return _mm256_add_epi64(tw, _mm256_set_epi64x(0, 2 * j, 0, 2 * j));
}

SIRNN_AES_INLINE __m256i first_tweaks(sirnn_tweak tw)
{
    const long long d = (long long)tw.domain;
    return _mm256_set_epi64x(d, (long long)(tw.index + 1), d, (long long)tw.index);
}

SIRNN_AES_INLINE void crhash16(sirnn_block *out, const sirnn_block *in, const __m256i rk[11])
{
    __m256i s[VECS], x[VECS];
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = s[j] = vaes256_sigma(load2(&in[2 * j]));
    vaes256_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        store2(&out[2 * j], _mm256_xor_si256(x[j], s[j]));
}

void sirnn_crhash_vaes256(sirnn_block *out, const sirnn_block *in, size_t n)
{
    __m256i rk[11];
    vaes256_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    for (; n >= BLOCKS; n -= BLOCKS, in += BLOCKS, out += BLOCKS)
        crhash16(out, in, rk);
    if (n > 0) {
        sirnn_block buf[BLOCKS] = {{{0, 0}}};
        memcpy(buf, in, 16 * n);
        crhash16(buf, buf, rk);
        memcpy(out, buf, 16 * n);
    }
}

SIRNN_AES_INLINE void tccrhash16(sirnn_block *out, const sirnn_block *in, __m256i tw,
                                 const __m256i rk[11])
{
    __m256i t[VECS], x[VECS];
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        t[j] = load2(&in[2 * j]);
    vaes256_enc8(t, rk);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = _mm256_xor_si256(t[j], tweak_pair(tw, j));
    vaes256_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        store2(&out[2 * j], _mm256_xor_si256(x[j], t[j]));
}

void sirnn_tccrhash_vaes256(sirnn_block *out, const sirnn_block *in, sirnn_tweak twk, size_t n)
{
    __m256i rk[11];
    vaes256_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    __m256i tw = first_tweaks(twk);
    const __m256i step = _mm256_set_epi64x(0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, in += BLOCKS, out += BLOCKS) {
        tccrhash16(out, in, tw, rk);
        tw = _mm256_add_epi64(tw, step);
    }
    if (n > 0) {
        sirnn_block buf[BLOCKS] = {{{0, 0}}};
        memcpy(buf, in, 16 * n);
        tccrhash16(buf, buf, tw, rk);
        memcpy(out, buf, 16 * n);
    }
}

/* 16 elements (in[2k], in[2k+1]); register j covers elements 2j and 2j + 1.
 * u = pi1(a ^ i), v = u ^ b, w = pi2(v), out = pi2(w ^ i) ^ w. */
SIRNN_AES_INLINE void tccrhash256_16(sirnn_block *out, const sirnn_block *in, __m256i tw,
                                     const __m256i rk1[11], const __m256i rk2[11])
{
    __m256i v[VECS], b[VECS];
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++) {
        __m256i e0 = load2(&in[4 * j]);     /* a(2j)   b(2j)   */
        __m256i e1 = load2(&in[4 * j + 2]); /* a(2j+1) b(2j+1) */
        v[j] = _mm256_xor_si256(_mm256_permute2x128_si256(e0, e1, 0x20), tweak_pair(tw, j));
        b[j] = _mm256_permute2x128_si256(e0, e1, 0x31);
    }
    vaes256_enc8(v, rk1);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        v[j] = _mm256_xor_si256(v[j], b[j]);
    vaes256_enc8(v, rk2); /* w */
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        b[j] = _mm256_xor_si256(v[j], tweak_pair(tw, j));
    vaes256_enc8(b, rk2);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        store2(&out[2 * j], _mm256_xor_si256(b[j], v[j]));
}

void sirnn_tccrhash256_vaes256(sirnn_block *out, const sirnn_block *in, sirnn_tweak twk,
                               size_t n)
{
    __m256i rk1[11], rk2[11];
    vaes256_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    vaes256_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    __m256i tw = first_tweaks(twk);
    const __m256i step = _mm256_set_epi64x(0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, in += 2 * BLOCKS, out += BLOCKS) {
        tccrhash256_16(out, in, tw, rk1, rk2);
        tw = _mm256_add_epi64(tw, step);
    }
    if (n > 0) {
        sirnn_block buf[2 * BLOCKS] = {{{0, 0}}};
        memcpy(buf, in, 32 * n);
        tccrhash256_16(buf, buf, tw, rk1, rk2);
        memcpy(out, buf, 16 * n);
    }
}
