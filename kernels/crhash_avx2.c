/*
 * Fixed-key hashes with VAES on 256-bit registers: 8 registers x 2 blocks =
 * 16 hashes per step, both AES calls fused. Tails go through a stack buffer;
 * each step loads all of its input before storing (out == in stays safe).
 * tccrhash256_many keeps its three AES calls per hash in registers, 16
 * hashes per step (see kernels/crhash_avx512.c for the plan).
 */
#include "kernels/aes_impl.h"

#include <string.h>

#include "kernels/aes_x86.h"
#include "kernels/crhash.h"
#include "kernels/crhash_impl.h"

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

/* ---- tccrhash256_many --------------------------------------------------- */

/* Lanes [0, 2 * blocks) of a 64-bit lane mask (blocks <= 2). */
SIRNN_AES_INLINE __m256i block_mask(size_t blocks)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(2 * blocks)),
                              _mm256_set_epi64x(3, 2, 1, 0));
}

/* The first `have` (<= 2) blocks at p, zero beyond; p is not formed past the
 * end when have is 0. */
SIRNN_AES_INLINE __m256i load_upto2(const sirnn_block *base, size_t off, size_t have)
{
    if (have >= 2)
        return load2(base + off);
    return _mm256_maskload_epi64((const long long *)(const void *)(have ? base + off : base),
                                 block_mask(have));
}

SIRNN_AES_INLINE __m256i broadcast_block(const sirnn_block *b)
{
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)b));
}

SIRNN_AES_INLINE __m256i broadcast_tweak(uint64_t domain, uint64_t index)
{
    return _mm256_broadcastsi128_si256(_mm_set_epi64x((long long)domain, (long long)index));
}

/* The low words of the four blocks of (x0 || x1), in order. */
SIRNN_AES_INLINE __m256i low_words(__m256i x0, __m256i x1)
{
    return _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(x0, x1), _MM_SHUFFLE(3, 1, 2, 0));
}

/* x = 16 values v (register j holds items 2j, 2j + 1, with tweak blocks
 * ti[j]): writes the low words of pi2(w ^ i) ^ w, w = pi2(v), of the first
 * `count` items to out. */
SIRNN_AES_INLINE void many_finish(uint64_t *out, __m256i x[VECS], const __m256i ti[VECS],
                                  size_t count, const __m256i rk2[11])
{
    __m256i wlo[VECS / 2];
    vaes256_enc8(x, rk2); /* w */
#pragma GCC unroll 4
    for (int p = 0; p < VECS / 2; p++)
        wlo[p] = low_words(x[2 * p], x[2 * p + 1]);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = _mm256_xor_si256(x[j], ti[j]);
    vaes256_enc8(x, rk2);
#pragma GCC unroll 4
    for (size_t p = 0; p < VECS / 2; p++) {
        const __m256i lo = _mm256_xor_si256(low_words(x[2 * p], x[2 * p + 1]), wlo[p]);
        const size_t have = count > 4 * p ? count - 4 * p : 0;
        if (have >= 4)
            _mm256_storeu_si256((__m256i *)(void *)(out + 4 * p), lo);
        else if (have > 0)
            _mm256_maskstore_epi64((long long *)(void *)(out + 4 * p),
                                   _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)have),
                                                      _mm256_set_epi64x(3, 2, 1, 0)),
                                   lo);
    }
}

/* nv even and at most 128: items (k, v) flattened over the elements, 16 per
 * step; both items of a register share an element. count is even. */
SIRNN_AES_INLINE void many_flat_step(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                     size_t *k, size_t *v, size_t count, const sirnn_block *oa,
                                     const sirnn_block *ob, size_t nv, const __m256i rk1[11],
                                     const __m256i rk2[11])
{
    __m256i x[VECS], b[VECS], ti[VECS];
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        if (2 * j < count) {
            ti[j] = broadcast_tweak(tw.domain, tw.index + *k);
            x[j] = _mm256_xor_si256(_mm256_xor_si256(broadcast_block(&in[2 * *k]), ti[j]),
                                    load2(oa + *v));
            b[j] = _mm256_xor_si256(broadcast_block(&in[2 * *k + 1]), load2(ob + *v));
            *v += 2;
            if (*v == nv) {
                *v = 0;
                ++*k;
            }
        } else {
            x[j] = b[j] = ti[j] = _mm256_setzero_si256();
        }
    }
    vaes256_enc8(x, rk1);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        x[j] = _mm256_xor_si256(x[j], b[j]);
    many_finish(out, x, ti, count, rk2);
}

/* Items v0 .. v0 + count (count <= 16) of one element, nv <= 128; qa holds
 * the element's a ^ i, ti its tweak block. */
SIRNN_AES_INLINE void many_fused_step(uint64_t *out, __m256i qa, __m256i qb, __m256i ti,
                                      const sirnn_block *oa, const sirnn_block *ob, size_t count,
                                      const __m256i rk1[11], const __m256i rk2[11])
{
    __m256i x[VECS], b[VECS], tis[VECS];
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        const size_t have = count > 2 * j ? (count - 2 * j < 2 ? count - 2 * j : 2) : 0;
        x[j] = _mm256_xor_si256(qa, load_upto2(oa, 2 * j, have));
        b[j] = _mm256_xor_si256(qb, load_upto2(ob, 2 * j, have));
        tis[j] = ti;
    }
    vaes256_enc8(x, rk1);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        x[j] = _mm256_xor_si256(x[j], b[j]);
    many_finish(out, x, tis, count, rk2);
}

/* Items v0 .. v0 + count (count <= 16) from the element's shared u values. */
SIRNN_AES_INLINE void many_shared_step(uint64_t *out, __m256i qb, __m256i ti, const __m256i *uu,
                                       const sirnn_block *ob, size_t count,
                                       const __m256i rk2[11])
{
    __m256i x[VECS], tis[VECS];
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        const size_t have = count > 2 * j ? (count - 2 * j < 2 ? count - 2 * j : 2) : 0;
        x[j] = _mm256_xor_si256(_mm256_xor_si256(qb, uu[j]), load_upto2(ob, 2 * j, have));
        tis[j] = ti;
    }
    many_finish(out, x, tis, count, rk2);
}

/* One element: with nv > 128 its 128 values u = pi1(a ^ i ^ oa[v]) first
 * (into u), then every v from u[v % 128]; otherwise all three calls per v. */
static void many_element(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t k,
                         const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                         const __m256i rk1[11], const __m256i rk2[11], __m256i u[64],
                         sirnn_many_prefetcher *pf)
{
    const __m256i ti = broadcast_tweak(tw.domain, tw.index + k);
    const __m256i qa = _mm256_xor_si256(broadcast_block(&in[2 * k]), ti);
    const __m256i qb = broadcast_block(&in[2 * k + 1]);
    out += k * nv;
    if (nv <= 128) {
        for (size_t v0 = 0; v0 < nv; v0 += BLOCKS) {
            sirnn_many_prefetch_step(pf);
            many_fused_step(out + v0, qa, qb, ti, oa + v0, ob + v0,
                            nv - v0 < BLOCKS ? nv - v0 : BLOCKS, rk1, rk2);
        }
        return;
    }
    for (size_t s = 0; s < 128 / BLOCKS; s++) {
        __m256i x[VECS];
        sirnn_many_prefetch_step(pf);
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++)
            x[j] = _mm256_xor_si256(qa, load2(oa + BLOCKS * s + 2 * j));
        vaes256_enc8(x, rk1);
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++)
            u[VECS * s + j] = x[j];
    }
    for (size_t v0 = 0; v0 < nv; v0 += BLOCKS) {
        sirnn_many_prefetch_step(pf);
        many_shared_step(out + v0, qb, ti, u + (v0 % 128) / 2, ob + v0,
                         nv - v0 < BLOCKS ? nv - v0 : BLOCKS, rk2);
    }
}

void sirnn_tccrhash256_many_vaes256(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                    size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                    size_t nv, const void *prefetch, size_t prefetch_bytes)
{
    if (n == 0 || nv == 0)
        return;
    __m256i rk1[11], rk2[11];
    vaes256_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    vaes256_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    if (nv % 2 == 0 && nv <= 128) {
        const size_t total = n * nv;
        sirnn_many_prefetcher pf =
            sirnn_many_prefetch_plan(prefetch, prefetch_bytes, (total + BLOCKS - 1) / BLOCKS);
        size_t k = 0, v = 0;
        for (size_t done = 0; done < total; done += BLOCKS) {
            sirnn_many_prefetch_step(&pf);
            many_flat_step(out + done, in, tw, &k, &v,
                           total - done < BLOCKS ? total - done : BLOCKS, oa, ob, nv, rk1, rk2);
        }
        return;
    }
    const size_t steps = (nv > 128 ? 128 / BLOCKS : 0) + (nv + BLOCKS - 1) / BLOCKS;
    sirnn_many_prefetcher pf = sirnn_many_prefetch_plan(prefetch, prefetch_bytes, n * steps);
    __m256i u[64];
    for (size_t k = 0; k < n; k++)
        many_element(out, in, tw, k, oa, ob, nv, rk1, rk2, u, &pf);
    /* u held secret pi1 outputs. */
    volatile __m256i *wipe = u;
    for (size_t j = 0; j < 64; j++)
        wipe[j] = _mm256_setzero_si256();
}
