/*
 * Fixed-key hashes with AES-NI, eight blocks per step, both AES calls of a
 * hash fused so the intermediate values never leave registers (or L1).
 * Tails go through a stack buffer; each step loads all of its input before
 * storing, which keeps out == in safe.
 */
#include "kernels/aes_impl.h"

#include <string.h>

#include "kernels/aes_x86.h"
#include "kernels/crhash.h"

#define LANES 8

SIRNN_AES_INLINE __m128i load(const sirnn_block *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

SIRNN_AES_INLINE void store(sirnn_block *p, __m128i x)
{
    _mm_storeu_si128((__m128i *)(void *)p, x);
}

SIRNN_AES_INLINE void crhash8(sirnn_block *out, const sirnn_block *in, const __m128i rk[11])
{
    __m128i s[LANES], x[LANES];
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        x[j] = s[j] = aesni_sigma(load(&in[j]));
    aesni_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        store(&out[j], _mm_xor_si128(x[j], s[j]));
}

void sirnn_crhash_aesni(sirnn_block *out, const sirnn_block *in, size_t n)
{
    __m128i rk[11];
    aesni_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    for (; n >= LANES; n -= LANES, in += LANES, out += LANES)
        crhash8(out, in, rk);
    if (n > 0) {
        sirnn_block buf[LANES] = {{{0, 0}}};
        memcpy(buf, in, 16 * n);
        crhash8(buf, buf, rk);
        memcpy(out, buf, 16 * n);
    }
}

/* tw holds the tweak block of element 0; element j uses tw + (0 || j). */
SIRNN_AES_INLINE void tccrhash8(sirnn_block *out, const sirnn_block *in, __m128i tw,
                                const __m128i rk[11])
{
    __m128i t[LANES], x[LANES];
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        t[j] = load(&in[j]);
    aesni_enc8(t, rk);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        x[j] = _mm_xor_si128(t[j], _mm_add_epi64(tw, _mm_set_epi64x(0, j)));
    aesni_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        store(&out[j], _mm_xor_si128(x[j], t[j]));
}

void sirnn_tccrhash_aesni(sirnn_block *out, const sirnn_block *in, sirnn_tweak twk, size_t n)
{
    __m128i rk[11];
    aesni_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    __m128i tw = _mm_set_epi64x((long long)twk.domain, (long long)twk.index);
    const __m128i step = _mm_set_epi64x(0, LANES);
    for (; n >= LANES; n -= LANES, in += LANES, out += LANES) {
        tccrhash8(out, in, tw, rk);
        tw = _mm_add_epi64(tw, step);
    }
    if (n > 0) {
        sirnn_block buf[LANES] = {{{0, 0}}};
        memcpy(buf, in, 16 * n);
        tccrhash8(buf, buf, tw, rk);
        memcpy(out, buf, 16 * n);
    }
}

/* Eight 256-bit elements in[2j], in[2j+1]: u = pi1(a ^ i), v = u ^ b,
 * w = pi2(v), out = pi2(w ^ i) ^ w. */
SIRNN_AES_INLINE void tccrhash256_8(sirnn_block *out, const sirnn_block *in, __m128i tw,
                                    const __m128i rk1[11], const __m128i rk2[11])
{
    __m128i v[LANES], x[LANES];
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        v[j] = _mm_xor_si128(load(&in[2 * j]), _mm_add_epi64(tw, _mm_set_epi64x(0, j)));
    aesni_enc8(v, rk1);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        v[j] = _mm_xor_si128(v[j], load(&in[2 * j + 1]));
    aesni_enc8(v, rk2); /* w */
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        x[j] = _mm_xor_si128(v[j], _mm_add_epi64(tw, _mm_set_epi64x(0, j)));
    aesni_enc8(x, rk2);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        store(&out[j], _mm_xor_si128(x[j], v[j]));
}

void sirnn_tccrhash256_aesni(sirnn_block *out, const sirnn_block *in, sirnn_tweak twk, size_t n)
{
    __m128i rk1[11], rk2[11];
    aesni_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    aesni_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    __m128i tw = _mm_set_epi64x((long long)twk.domain, (long long)twk.index);
    const __m128i step = _mm_set_epi64x(0, LANES);
    for (; n >= LANES; n -= LANES, in += 2 * LANES, out += LANES) {
        tccrhash256_8(out, in, tw, rk1, rk2);
        tw = _mm_add_epi64(tw, step);
    }
    if (n > 0) {
        sirnn_block buf[2 * LANES] = {{{0, 0}}};
        memcpy(buf, in, 32 * n);
        tccrhash256_8(buf, buf, tw, rk1, rk2);
        memcpy(out, buf, 16 * n);
    }
}
