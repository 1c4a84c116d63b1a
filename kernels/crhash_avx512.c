/*
 * Fixed-key hashes with VAES on 512-bit registers: 8 registers x 4 blocks =
 * 32 hashes per step, both AES calls fused. The second call of a hash waits
 * for the first, so this path keeps twice as many blocks in flight as plain
 * ECB does. Tails use masked loads and stores; each step loads all of its
 * input before storing (out == in stays safe). tccrhash256_many computes an
 * element's 128 shared pi1 outputs first (kept in a stack buffer, wiped at
 * the end) and then its nv TCCR endings (two pi2 calls each), 32 per step.
 */
#include "kernels/aes_impl.h"

#include "kernels/aes_x86.h"
#include "kernels/crhash.h"
#include "kernels/crhash_impl.h"

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

SIRNN_AES_INLINE __m512i first_tweaks(sirnn_tweak tw)
{
    const long long t = (long long)tw.index, d = (long long)tw.domain;
    return _mm512_set_epi64(d, t + 3, d, t + 2, d, t + 1, d, t);
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

void sirnn_tccrhash_vaes512(sirnn_block *out, const sirnn_block *in, sirnn_tweak twk, size_t n)
{
    __m512i rk[11];
    vaes512_load_keys(rk, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI));
    __m512i tw = first_tweaks(twk);
    const __m512i step = _mm512_set_epi64(0, BLOCKS, 0, BLOCKS, 0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, in += BLOCKS, out += BLOCKS) {
        tccrhash_step(out, in, BLOCKS, tw, rk);
        tw = _mm512_add_epi64(tw, step);
    }
    if (n > 0)
        tccrhash_step(out, in, n, tw, rk);
}

/* One step over count <= BLOCKS elements (in[2k], in[2k+1]): u = pi1(a ^ i),
 * v = u ^ b, w = pi2(v), out = pi2(w ^ i) ^ w. */
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
        v[j] = _mm512_xor_si512(v[j], b[j]);
    vaes512_enc(v, VECS, rk2); /* w */
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        b[j] = _mm512_xor_si512(v[j], tweak_quad(tw, j));
    vaes512_enc(b, VECS, rk2);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        _mm512_mask_storeu_epi64(vaes512_dst(out, 4 * j, m_out[j]), m_out[j],
                                 _mm512_xor_si512(b[j], v[j]));
}

void sirnn_tccrhash256_vaes512(sirnn_block *out, const sirnn_block *in, sirnn_tweak twk,
                               size_t n)
{
    __m512i rk1[11], rk2[11];
    vaes512_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    vaes512_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    __m512i tw = first_tweaks(twk);
    const __m512i step = _mm512_set_epi64(0, BLOCKS, 0, BLOCKS, 0, BLOCKS, 0, BLOCKS);
    for (; n >= BLOCKS; n -= BLOCKS, in += 2 * BLOCKS, out += BLOCKS) {
        tccrhash256_step(out, in, BLOCKS, tw, rk1, rk2);
        tw = _mm512_add_epi64(tw, step);
    }
    if (n > 0)
        tccrhash256_step(out, in, n, tw, rk1, rk2);
}

/* ---- tccrhash256_many --------------------------------------------------- */

/* The low words of blocks 0..7 of (x0 || x1): 64-bit lanes 0, 2, ..., 14. */
SIRNN_AES_INLINE __m512i low_words(__m512i x0, __m512i x1)
{
    const __m512i idx = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_epi64(x0, idx, x1);
}

/* Block b, in all four lanes. */
SIRNN_AES_INLINE __m512i broadcast_block(const sirnn_block *b)
{
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)b));
}

/* The tweak block (domain || index), in all four lanes. */
SIRNN_AES_INLINE __m512i broadcast_tweak(uint64_t domain, uint64_t index)
{
    return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)domain, (long long)index));
}

/* x = 32 blocks v (register j holds items 4j..4j+3, all of them with the
 * tweak block ti[j] in every lane): writes the low words of the TCCR ending
 * pi2(w ^ i) ^ w, w = pi2(v), of the first `count` items to out. */
SIRNN_AES_INLINE void many_finish(uint64_t *out, __m512i x[VECS], const __m512i ti[VECS],
                                  size_t count, const __m512i rk2[11])
{
    __m512i wlo[VECS / 2];
    vaes512_enc(x, VECS, rk2); /* w */
#pragma GCC unroll 4
    for (int p = 0; p < VECS / 2; p++)
        wlo[p] = low_words(x[2 * p], x[2 * p + 1]);
#pragma GCC unroll 8
    for (int j = 0; j < VECS; j++)
        x[j] = _mm512_xor_si512(x[j], ti[j]);
    vaes512_enc(x, VECS, rk2);
#pragma GCC unroll 4
    for (size_t p = 0; p < VECS / 2; p++) {
        const size_t have = count > 8 * p ? count - 8 * p : 0;
        const __mmask8 m = (__mmask8)((1u << (have < 8 ? have : 8)) - 1u);
        const __m512i lo = _mm512_xor_si512(low_words(x[2 * p], x[2 * p + 1]), wlo[p]);
        _mm512_mask_storeu_epi64(m ? out + 8 * p : out, m, lo);
    }
}

/* Lane mask of register j of a step over `count` items. */
SIRNN_AES_INLINE __mmask8 item_mask(size_t count, size_t j)
{
    const size_t have = count > 4 * j ? count - 4 * j : 0;
    return vaes512_lane_mask(have < 4 ? have : 4);
}

/* nv a multiple of 4 and at most 128: items (k, v) flattened over the
 * elements, 32 per step; each register's four items share one element.
 * (k, v) is the first item of the step; count is a multiple of 4. */
SIRNN_AES_INLINE void flat_step(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t *k,
                                size_t *v, size_t count, const sirnn_block *oa,
                                const sirnn_block *ob, size_t nv, const __m512i rk1[11],
                                const __m512i rk2[11])
{
    __m512i x[VECS], b[VECS], ti[VECS];
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        if (4 * j < count) {
            ti[j] = broadcast_tweak(tw.domain, tw.index + *k);
            x[j] = _mm512_ternarylogic_epi64(broadcast_block(&in[2 * *k]), ti[j],
                                             _mm512_loadu_si512((const void *)(oa + *v)), 0x96);
            b[j] = _mm512_xor_si512(broadcast_block(&in[2 * *k + 1]),
                                    _mm512_loadu_si512((const void *)(ob + *v)));
            *v += 4;
            if (*v == nv) {
                *v = 0;
                ++*k;
            }
        } else {
            x[j] = b[j] = ti[j] = _mm512_setzero_si512();
        }
    }
    vaes512_enc(x, VECS, rk1);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        x[j] = _mm512_xor_si512(x[j], b[j]);
    many_finish(out, x, ti, count, rk2);
}

/* Items v0 .. v0 + count (count <= 32) of one element, nv <= 128; qa holds
 * the element's a ^ i, ti its tweak block. */
SIRNN_AES_INLINE void fused_step(uint64_t *out, __m512i qa, __m512i qb, __m512i ti,
                                 const sirnn_block *oa, const sirnn_block *ob, size_t count,
                                 const __m512i rk1[11], const __m512i rk2[11])
{
    __m512i x[VECS], b[VECS], tis[VECS];
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        const __mmask8 m = item_mask(count, j);
        x[j] = _mm512_xor_si512(qa, _mm512_maskz_loadu_epi64(m, vaes512_src(oa, 4 * j, m)));
        b[j] = _mm512_xor_si512(qb, _mm512_maskz_loadu_epi64(m, vaes512_src(ob, 4 * j, m)));
        tis[j] = ti;
    }
    vaes512_enc(x, VECS, rk1);
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++)
        x[j] = _mm512_xor_si512(x[j], b[j]);
    many_finish(out, x, tis, count, rk2);
}

/* One element, nv <= 128 (any nv): v in steps of 32, masked at the end. */
static void element_fused(uint64_t *out, __m512i qa, __m512i qb, __m512i ti,
                          const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                          const __m512i rk1[11], const __m512i rk2[11],
                          sirnn_many_prefetcher *pf)
{
    size_t v0 = 0;
    for (; nv - v0 >= BLOCKS; v0 += BLOCKS) {
        sirnn_many_prefetch_step(pf);
        fused_step(out + v0, qa, qb, ti, oa + v0, ob + v0, BLOCKS, rk1, rk2);
    }
    if (v0 < nv) {
        sirnn_many_prefetch_step(pf);
        fused_step(out + v0, qa, qb, ti, oa + v0, ob + v0, nv - v0, rk1, rk2);
    }
}

/* Items v0 .. v0 + count (count <= 32) from the shared u values uu. */
SIRNN_AES_INLINE void shared_step(uint64_t *out, __m512i qb, __m512i ti, const __m512i *uu,
                                  const sirnn_block *ob, size_t count, const __m512i rk2[11])
{
    __m512i x[VECS], tis[VECS];
#pragma GCC unroll 8
    for (size_t j = 0; j < VECS; j++) {
        const __mmask8 m = item_mask(count, j);
        x[j] = _mm512_ternarylogic_epi64(
            qb, uu[j], _mm512_maskz_loadu_epi64(m, vaes512_src(ob, 4 * j, m)), 0x96);
        tis[j] = ti;
    }
    many_finish(out, x, tis, count, rk2);
}

/* One element, 128 < nv <= 256: the 128 values u = pi1(a ^ i) first (into
 * u), then every v from u[v % 128]. */
static void element_shared(uint64_t *out, __m512i qa, __m512i qb, __m512i ti,
                           const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                           const __m512i rk1[11], const __m512i rk2[11], __m512i u[32],
                           sirnn_many_prefetcher *pf)
{
    for (size_t s = 0; s < 4; s++) {
        __m512i x[VECS];
        sirnn_many_prefetch_step(pf);
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++)
            x[j] = _mm512_xor_si512(
                qa, _mm512_loadu_si512((const void *)(oa + BLOCKS * s + 4 * j)));
        vaes512_enc(x, VECS, rk1);
#pragma GCC unroll 8
        for (size_t j = 0; j < VECS; j++)
            u[VECS * s + j] = x[j];
    }
    size_t v0 = 0;
    for (; nv - v0 >= BLOCKS; v0 += BLOCKS) {
        sirnn_many_prefetch_step(pf);
        shared_step(out + v0, qb, ti, u + (v0 % 128) / 4, ob + v0, BLOCKS, rk2);
    }
    if (v0 < nv) {
        sirnn_many_prefetch_step(pf);
        shared_step(out + v0, qb, ti, u + (v0 % 128) / 4, ob + v0, nv - v0, rk2);
    }
}

void sirnn_tccrhash256_many_vaes512(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                    size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                    size_t nv, const void *prefetch, size_t prefetch_bytes)
{
    if (n == 0 || nv == 0)
        return;
    __m512i rk1[11], rk2[11];
    vaes512_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    vaes512_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    if (nv % 4 == 0 && nv <= 128) {
        const size_t total = n * nv;
        sirnn_many_prefetcher pf =
            sirnn_many_prefetch_plan(prefetch, prefetch_bytes, (total + BLOCKS - 1) / BLOCKS);
        size_t k = 0, v = 0, done = 0;
        for (; total - done >= BLOCKS; done += BLOCKS) {
            sirnn_many_prefetch_step(&pf);
            flat_step(out + done, in, tw, &k, &v, BLOCKS, oa, ob, nv, rk1, rk2);
        }
        if (done < total) {
            sirnn_many_prefetch_step(&pf);
            flat_step(out + done, in, tw, &k, &v, total - done, oa, ob, nv, rk1, rk2);
        }
        return;
    }
    const size_t steps = (nv > 128 ? 4 : 0) + (nv + BLOCKS - 1) / BLOCKS;
    sirnn_many_prefetcher pf = sirnn_many_prefetch_plan(prefetch, prefetch_bytes, n * steps);
    if (nv <= 128) {
        for (size_t k = 0; k < n; k++) {
            const __m512i ti = broadcast_tweak(tw.domain, tw.index + k);
            element_fused(out + k * nv, _mm512_xor_si512(broadcast_block(&in[2 * k]), ti),
                          broadcast_block(&in[2 * k + 1]), ti, oa, ob, nv, rk1, rk2, &pf);
        }
        return;
    }
    __m512i u[32];
    for (size_t k = 0; k < n; k++) {
        const __m512i ti = broadcast_tweak(tw.domain, tw.index + k);
        element_shared(out + k * nv, _mm512_xor_si512(broadcast_block(&in[2 * k]), ti),
                       broadcast_block(&in[2 * k + 1]), ti, oa, ob, nv, rk1, rk2, u, &pf);
    }
    /* u held secret pi1 outputs. */
    volatile __m512i *wipe = u;
    for (size_t j = 0; j < 32; j++)
        wipe[j] = _mm512_setzero_si512();
}
