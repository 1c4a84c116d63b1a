/*
 * Fixed-key hashes with AES-NI, eight blocks per step, both AES calls of a
 * hash fused so the intermediate values never leave registers (or L1).
 * Tails go through a stack buffer; each step loads all of its input before
 * storing, which keeps out == in safe. tccrhash256_many does the same with
 * its three AES calls per hash, eight hashes per step (the plan of
 * kernels/crhash_avx512.c).
 */
#include "kernels/aes_impl.h"

#include <string.h>

#include "kernels/aes_x86.h"
#include "kernels/crhash.h"
#include "kernels/crhash_impl.h"

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

/* ---- tccrhash256_many --------------------------------------------------- */

/* x = 8 values v with tweak blocks ti: writes lo(pi2(w ^ i) ^ w), w = pi2(v),
 * of the first `count` of them to out. */
SIRNN_AES_INLINE void many_finish(uint64_t *out, __m128i x[LANES], const __m128i ti[LANES],
                                  size_t count, const __m128i rk2[11])
{
    __m128i w[LANES];
    aesni_enc8(x, rk2);
#pragma GCC unroll 8
    for (int j = 0; j < LANES; j++) {
        w[j] = x[j];
        x[j] = _mm_xor_si128(x[j], ti[j]);
    }
    aesni_enc8(x, rk2);
#pragma GCC unroll 4
    for (size_t p = 0; p < LANES / 2; p++) {
        const __m128i lo = _mm_xor_si128(_mm_unpacklo_epi64(x[2 * p], x[2 * p + 1]),
                                         _mm_unpacklo_epi64(w[2 * p], w[2 * p + 1]));
        if (2 * p + 2 <= count)
            _mm_storeu_si128((__m128i *)(void *)(out + 2 * p), lo);
        else if (2 * p < count)
            out[2 * p] = (uint64_t)_mm_cvtsi128_si64(lo);
    }
}

/* nv <= 128: items (k, v) flattened over the elements, 8 per step. */
SIRNN_AES_INLINE void many_flat_step(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                     size_t *k, size_t *v, size_t count, const sirnn_block *oa,
                                     const sirnn_block *ob, size_t nv, const __m128i rk1[11],
                                     const __m128i rk2[11])
{
    __m128i x[LANES], b[LANES], ti[LANES];
#pragma GCC unroll 8
    for (size_t j = 0; j < LANES; j++) {
        if (j < count) {
            ti[j] = _mm_set_epi64x((long long)tw.domain, (long long)(tw.index + *k));
            x[j] = _mm_xor_si128(_mm_xor_si128(load(&in[2 * *k]), ti[j]), load(oa + *v));
            b[j] = _mm_xor_si128(load(&in[2 * *k + 1]), load(ob + *v));
            if (++*v == nv) {
                *v = 0;
                ++*k;
            }
        } else {
            x[j] = b[j] = ti[j] = _mm_setzero_si128();
        }
    }
    aesni_enc8(x, rk1);
#pragma GCC unroll 8
    for (size_t j = 0; j < LANES; j++)
        x[j] = _mm_xor_si128(x[j], b[j]);
    many_finish(out, x, ti, count, rk2);
}

/* 128 < nv <= 256, one element: its 128 values u = pi1(a ^ i ^ oa[v])
 * first (into u), then every v from u[v % 128]. */
static void many_element_shared(uint64_t *out, __m128i qa, __m128i qb, __m128i ti,
                                const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                                const __m128i rk1[11], const __m128i rk2[11], __m128i u[128],
                                sirnn_many_prefetcher *pf)
{
    for (size_t s = 0; s < 128; s += LANES) {
        __m128i x[LANES];
        sirnn_many_prefetch_step(pf);
#pragma GCC unroll 8
        for (size_t j = 0; j < LANES; j++)
            x[j] = _mm_xor_si128(qa, load(oa + s + j));
        aesni_enc8(x, rk1);
#pragma GCC unroll 8
        for (size_t j = 0; j < LANES; j++)
            u[s + j] = x[j];
    }
    for (size_t v0 = 0; v0 < nv; v0 += LANES) {
        const size_t count = nv - v0 < LANES ? nv - v0 : LANES;
        __m128i x[LANES], tis[LANES];
        sirnn_many_prefetch_step(pf);
#pragma GCC unroll 8
        for (size_t j = 0; j < LANES; j++) {
            /* v0 is a multiple of 8, so u's index stays within one period. */
            x[j] = _mm_xor_si128(qb, u[(v0 % 128) + j]);
            if (j < count)
                x[j] = _mm_xor_si128(x[j], load(ob + v0 + j));
            tis[j] = ti;
        }
        many_finish(out + v0, x, tis, count, rk2);
    }
}

void sirnn_tccrhash256_many_aesni(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                  size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                  size_t nv, const void *prefetch, size_t prefetch_bytes)
{
    if (n == 0 || nv == 0)
        return;
    __m128i rk1[11], rk2[11];
    aesni_load_keys(rk1, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI1));
    aesni_load_keys(rk2, sirnn_crhash_round_keys(SIRNN_CRHASH_KEY_PI2));
    if (nv <= 128) {
        const size_t total = n * nv;
        sirnn_many_prefetcher pf =
            sirnn_many_prefetch_plan(prefetch, prefetch_bytes, (total + LANES - 1) / LANES);
        size_t k = 0, v = 0;
        for (size_t done = 0; done < total; done += LANES) {
            sirnn_many_prefetch_step(&pf);
            many_flat_step(out + done, in, tw, &k, &v,
                           total - done < LANES ? total - done : LANES, oa, ob, nv, rk1, rk2);
        }
        return;
    }
    const size_t steps = 128 / LANES + (nv + LANES - 1) / LANES;
    sirnn_many_prefetcher pf = sirnn_many_prefetch_plan(prefetch, prefetch_bytes, n * steps);
    __m128i u[128];
    for (size_t k = 0; k < n; k++) {
        const __m128i ti = _mm_set_epi64x((long long)tw.domain, (long long)(tw.index + k));
        many_element_shared(out + k * nv, _mm_xor_si128(load(&in[2 * k]), ti),
                            load(&in[2 * k + 1]), ti, oa, ob, nv, rk1, rk2, u, &pf);
    }
    /* u held secret pi1 outputs. */
    volatile __m128i *wipe = u;
    for (size_t j = 0; j < 128; j++)
        wipe[j] = _mm_setzero_si128();
}
