/*
 * AES-128 with VAES on 256-bit registers: 8 registers x 2 blocks = 16 blocks
 * in flight, enough to cover the aesenc latency on both AES pipes. Tails go
 * through a stack buffer so they reuse the same code.
 */
#include "kernels/aes_impl.h"

#include <string.h>

#include "kernels/aes_x86.h"

#define VECS 8
#define BLOCKS (2 * VECS)

SIRNN_AES_INLINE void ecb16(unsigned char *dst, const unsigned char *src, const __m256i rk[11])
{
    __m256i x[VECS];
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = _mm256_loadu_si256((const __m256i *)(const void *)(src + 32 * j));
    vaes256_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        _mm256_storeu_si256((__m256i *)(void *)(dst + 32 * j), x[j]);
}

void sirnn_aes_ecb_vaes256(const sirnn_aes_key *k, void *out, const void *in, size_t n)
{
    __m256i rk[11];
    vaes256_load_keys(rk, k->rk);
    const unsigned char *src = in;
    unsigned char *dst = out;
    for (; n >= BLOCKS; n -= BLOCKS, src += 16 * BLOCKS, dst += 16 * BLOCKS)
        ecb16(dst, src, rk);
    if (n > 0) {
        unsigned char buf[16 * BLOCKS] = {0};
        memcpy(buf, src, 16 * n);
        ecb16(buf, buf, rk);
        memcpy(dst, buf, 16 * n);
    }
}

/* ctr holds the counter blocks (c, c + 1); register j gets c + 2j, c + 2j + 1. */
SIRNN_AES_INLINE void ctr16(sirnn_block *dst, __m256i ctr, const __m256i rk[11])
{
    __m256i x[VECS];
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = _mm256_add_epi64(ctr, _mm256_set_epi64x(0, 2 * j, 0, 2 * j));
    vaes256_enc8(x, rk);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        _mm256_storeu_si256((__m256i *)(void *)&dst[2 * j], x[j]);
}

void sirnn_aes_ctr_vaes256(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                           uint64_t counter, size_t n)
{
    __m256i rk[11];
    vaes256_load_keys(rk, k->rk);
    __m256i ctr = _mm256_set_epi64x((long long)nonce, (long long)(counter + 1), (long long)nonce,
                                    (long long)counter);
    const __m256i step = _mm256_set_epi64x(0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, out += BLOCKS) {
        ctr16(out, ctr, rk);
        ctr = _mm256_add_epi64(ctr, step); /* wraps mod 2^64 like the contract */
    }
    if (n > 0) {
        sirnn_block buf[BLOCKS];
        ctr16(buf, ctr, rk);
        memcpy(out, buf, 16 * n);
    }
}
