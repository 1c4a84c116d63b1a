/*
 * AES-128 with AES-NI: key schedule with aeskeygenassist, ECB and CTR with
 * eight blocks in flight (aesenc has latency 4 and two ports on current
 * cores). Tails go through a small stack buffer so they reuse the 8-wide
 * code.
 */
#include "kernels/aes_impl.h"

#include <string.h>

#include "kernels/aes_x86.h"

#define LANES 8

SIRNN_AES_INLINE __m128i expand_step(__m128i key, __m128i assist)
{
    /* assist's top word is SubWord(RotWord(w3)) ^ rcon; the three shifts
     * give the running XOR w0, w0^w1, w0^w1^w2, w0^..^w3. */
    assist = _mm_shuffle_epi32(assist, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

/* aeskeygenassist needs its round constant as an immediate. */
#define EXPAND_ROUND(i, rcon)                                                                  \
    do {                                                                                       \
        k = expand_step(k, _mm_aeskeygenassist_si128(k, rcon));                                \
        _mm_store_si128((__m128i *)(void *)&rk[i], k);                                         \
    } while (0)

void sirnn_aes_expand_aesni(sirnn_block rk[11], const sirnn_block *key)
{
    __m128i k = _mm_loadu_si128((const __m128i *)(const void *)key);
    _mm_store_si128((__m128i *)(void *)&rk[0], k);
    EXPAND_ROUND(1, 0x01);
    EXPAND_ROUND(2, 0x02);
    EXPAND_ROUND(3, 0x04);
    EXPAND_ROUND(4, 0x08);
    EXPAND_ROUND(5, 0x10);
    EXPAND_ROUND(6, 0x20);
    EXPAND_ROUND(7, 0x40);
    EXPAND_ROUND(8, 0x80);
    EXPAND_ROUND(9, 0x1b);
    EXPAND_ROUND(10, 0x36);
}

SIRNN_AES_INLINE void ecb8(unsigned char *dst, const unsigned char *src, const __m128i rk[11])
{
    __m128i x[LANES];
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        x[j] = _mm_loadu_si128((const __m128i *)(const void *)(src + 16 * j));
    aesni_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        _mm_storeu_si128((__m128i *)(void *)(dst + 16 * j), x[j]);
}

void sirnn_aes_ecb_aesni(const sirnn_aes_key *k, void *out, const void *in, size_t n)
{
    __m128i rk[11];
    aesni_load_keys(rk, k->rk);
    const unsigned char *src = in;
    unsigned char *dst = out;
    for (; n >= LANES; n -= LANES, src += 16 * LANES, dst += 16 * LANES)
        ecb8(dst, src, rk);
    if (n > 0) {
        unsigned char buf[16 * LANES] = {0};
        memcpy(buf, src, 16 * n);
        ecb8(buf, buf, rk);
        memcpy(dst, buf, 16 * n);
    }
}

/* Counter blocks ctr + 0..7 (low half; the nonce half never changes). */
SIRNN_AES_INLINE void ctr8(sirnn_block *dst, __m128i ctr, const __m128i rk[11])
{
    __m128i x[LANES];
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        x[j] = _mm_add_epi64(ctr, _mm_set_epi64x(0, j));
    aesni_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++)
        _mm_storeu_si128((__m128i *)(void *)&dst[j], x[j]);
}

void sirnn_aes_ctr_aesni(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                         uint64_t counter, size_t n)
{
    __m128i rk[11];
    aesni_load_keys(rk, k->rk);
    __m128i ctr = _mm_set_epi64x((long long)nonce, (long long)counter);
    const __m128i step = _mm_set_epi64x(0, LANES);
    for (; n >= LANES; n -= LANES, out += LANES) {
        ctr8(out, ctr, rk);
        ctr = _mm_add_epi64(ctr, step); /* wraps mod 2^64 like the contract */
    }
    if (n > 0) {
        sirnn_block buf[LANES];
        ctr8(buf, ctr, rk);
        memcpy(out, buf, 16 * n);
    }
}
