/*
 * AES-128 with VAES on 512-bit registers: 4 registers x 4 blocks = 16 blocks
 * per step. Tails use masked loads and stores (masked-off lanes never fault).
 */
#include "kernels/aes_impl.h"

#include "kernels/aes_x86.h"

#define VECS 4
#define BLOCKS (4 * VECS)

void sirnn_aes_ecb_vaes512(const sirnn_aes_key *k, void *out, const void *in, size_t n)
{
    __m512i rk[11];
    vaes512_load_keys(rk, k->rk);
    const unsigned char *src = in;
    unsigned char *dst = out;
    for (; n >= BLOCKS; n -= BLOCKS, src += 16 * BLOCKS, dst += 16 * BLOCKS) {
        __m512i x[VECS];
#pragma GCC unroll 8
        for (int j = 0; j < VECS; j++)
            x[j] = _mm512_loadu_si512(src + 64 * j);
        vaes512_enc(x, VECS, rk);
#pragma GCC unroll 8
        for (int j = 0; j < VECS; j++)
            _mm512_storeu_si512(dst + 64 * j, x[j]);
    }
    if (n > 0) {
        __m512i x[VECS];
        __mmask8 m[VECS];
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++) {
            size_t have = n > 4 * j ? n - 4 * j : 0;
            m[j] = vaes512_lane_mask(have < 4 ? have : 4);
            x[j] = _mm512_maskz_loadu_epi64(m[j], vaes512_src(src, 4 * j, m[j]));
        }
        vaes512_enc(x, VECS, rk);
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++)
            _mm512_mask_storeu_epi64(vaes512_dst(dst, 4 * j, m[j]), m[j], x[j]);
    }
}

void sirnn_aes_ctr_vaes512(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                           uint64_t counter, size_t n)
{
    __m512i rk[11];
    vaes512_load_keys(rk, k->rk);
    const long long nc = (long long)nonce, c = (long long)counter;
    /* Register j holds the counter blocks c + 4j .. c + 4j + 3 (64-bit lanes
     * wrap mod 2^64 like the contract). */
    __m512i ctr[VECS];
    const __m512i first = _mm512_set_epi64(nc, c + 3, nc, c + 2, nc, c + 1, nc, c);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        ctr[j] = _mm512_add_epi64(first, _mm512_set_epi64(0, 4 * j, 0, 4 * j, 0, 4 * j, 0, 4 * j));
    const __m512i step = _mm512_set_epi64(0, BLOCKS, 0, BLOCKS, 0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, out += BLOCKS) {
        __m512i x[VECS];
#pragma GCC unroll 8
        for (int j = 0; j < VECS; j++) {
            x[j] = ctr[j];
            ctr[j] = _mm512_add_epi64(ctr[j], step);
        }
        vaes512_enc(x, VECS, rk);
#pragma GCC unroll 8
        for (int j = 0; j < VECS; j++)
            _mm512_storeu_si512(&out[4 * j], x[j]);
    }
    if (n > 0) {
        __m512i x[VECS];
#pragma GCC unroll 8
        for (int j = 0; j < VECS; j++)
            x[j] = ctr[j];
        vaes512_enc(x, VECS, rk);
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++) {
            size_t have = n > 4 * j ? n - 4 * j : 0;
            __mmask8 m = vaes512_lane_mask(have < 4 ? have : 4);
            _mm512_mask_storeu_epi64(vaes512_dst(out, 4 * j, m), m, x[j]);
        }
    }
}
