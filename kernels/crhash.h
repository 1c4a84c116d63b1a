/*
 * Fixed-key correlation-robust hashes (Guo, Katz, Wang, Yu, "Efficient and
 * Secure Multiparty Computation from Fixed-Key Block Ciphers", S&P 2020).
 *
 * Permutations. pi, pi1 and pi2 are AES-128 under three fixed public keys,
 * the first 48 bytes of the hexadecimal expansion of the fractional part of
 * pi (nothing up the sleeve):
 *   pi : 243f6a88 85a308d3 13198a2e 03707344
 *   pi1: a4093822 299f31d0 082efa98 ec4e6c89
 *   pi2: 452821e6 38d01377 be5466cf 34e90c6c
 * (key bytes in this order). They are modelled as independent random
 * permutations. No key schedule runs per call.
 *
 * Block halves. For a block x, hi(x) = x.w[1] and lo(x) = x.w[0] (bytes 8..15
 * and 0..7); (h || l) is the block with hi = h, lo = l.
 *
 * Tweaks. A tweak i is the block (0 || i); element k of a call uses
 * i = tweak + k (mod 2^64). Tweaks must never repeat under one secret: an OT
 * extension instance passes a running counter and advances it by n after
 * each call, so no two hashed elements of one instance share a tweak.
 *
 * Every function: out has n blocks; out may alias in exactly (out == in),
 * no other overlap; n may be 0. Inputs and outputs are secret; no branch or
 * memory index depends on them. Thread-safe: the native paths only read the
 * fixed round keys, and the portable path gives each thread its own EVP
 * context. Outputs are 128 bits; callers that need l bits take the low l.
 */
#ifndef SIRNN_KERNELS_CRHASH_H
#define SIRNN_KERNELS_CRHASH_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/aes.h"
#include "kernels/block.h"

/*
 * Circular correlation-robust hash (Guo et al., MMO with an orthomorphism):
 *   out[k] = pi(sigma(x)) ^ sigma(x),  x = in[k],
 *   sigma(h || l) = (h ^ l || h).
 * sigma is a linear orthomorphism (sigma and sigma ^ id are both
 * invertible), which makes the hash circular correlation robust: it stays
 * random-looking even where the offset itself is also hashed or revealed, as
 * in IKNP correlated OT. One AES call per hash.
 */
void sirnn_crhash(sirnn_block *out, const sirnn_block *in, size_t n);

/*
 * Tweakable circular correlation-robust hash (Guo et al., TCCR):
 *   out[k] = pi(pi(x) ^ i) ^ pi(x),  x = in[k],  i = (0 || tweak + k).
 * Two AES calls per hash.
 */
void sirnn_tccrhash(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);

/*
 * Tweakable correlation-robust hash of a 256-bit input, for KK13's code
 * words. Element k is (a, b) = (in[2k], in[2k+1]):
 *   u = pi1(a ^ i),  v = u ^ b,  out[k] = pi2(v) ^ v,  i = (0 || tweak + k).
 * Two AES calls per hash (one under pi1, one under pi2); u depends only on
 * (a, i), so a caller may share it between code words with equal a-halves.
 *
 * Why it is correlation robust (semi-honest KK13, pi1 and pi2 ideal). The
 * sender hashes (a, b) = t ^ (d & s) for a known t and a known code-word
 * difference d of weight >= 128, with s secret and uniform. So the offset's
 * halves da and db (the parts of d & s that land in a and in b) are
 * independent and uniform on subspaces of dimensions wa + wb >= 128. An output is
 * distinguishable from random only if the adversary queries pi2 at v (or
 * pi2^-1 at out ^ v). Unless it has queried pi1 at a ^ i, which needs a
 * guess of da (probability 2^-wa per query), u and thus v is uniform to it.
 * If it has queried q1 candidates of da, a single pi2 query y matches a
 * candidate only with db = y ^ u(candidate) ^ (known), i.e. it tests
 * O(1 + q1 * 2^(wb - 128)) <= O(1 + 2^(wa + wb - 128)) pairs (da, db) of
 * probability 2^-(wa + wb) each: about 2^-128 per query. With q queries and
 * Q hashed elements the advantage is O(q Q / 2^128), the order of Guo et
 * al.'s TCCR bound. Unlike an XOR of per-half hashes it has no
 * meet-in-the-middle on the halves (the second call depends on both), and
 * unlike a linear 256 -> 128 compression it never loses entropy for any
 * code. It is not claimed circular (KK13 never reveals s ^ d in the clear)
 * and the tweak guards against repeated inputs across elements, as in the
 * semi-honest protocol; against inputs chosen maliciously use tccrhash on a
 * 128-bit value instead.
 */
void sirnn_tccrhash256(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);

/*
 * tccrhash256 of many offsets of each element, for the KK13 sender (which
 * hashes q ^ (C(v) & s) for every code word v). For element k < n and
 * v < nv (1 <= nv <= 256):
 *   out[k * nv + v] = lo(tccrhash256((in[2k] ^ oa[v % 128], in[2k+1] ^ ob[v]),
 *                                    tweak + k))
 * so the nv hashes of element k all use its one tweak, exactly as
 * sirnn_tccrhash256 would give element k (lo = the low 64 bits, w[0]). oa
 * has min(nv, 128) blocks and ob has nv. The a-half offsets repeat with
 * period 128, as the first half of KK13's code does (its positions j < 128
 * never see bit 7 of v; ot/kkot.h), so u = pi1(a ^ i) is shared by v and
 * v + 128: 128 + nv AES calls per element when nv > 128, 2 * nv otherwise.
 * This only computes the definition with fewer calls; the security argument
 * above is unchanged. out must not overlap the inputs. All inputs and
 * outputs may be secret; branches and indices depend only on n and nv.
 */
void sirnn_tccrhash256_many(uint64_t *out, const sirnn_block *in, uint64_t tweak, size_t n,
                            const sirnn_block *oa, const sirnn_block *ob, size_t nv);
/* The same, and while the AES units work it prefetches the bytes
 * [prefetch, prefetch + prefetch_bytes) into the cache, a few lines per
 * step (a caller's next input, typically in memory, so that it streams in
 * without stalling either loop). A hint only: nothing there is read
 * architecturally, and the results are those of sirnn_tccrhash256_many.
 * prefetch may be NULL with prefetch_bytes 0. */
void sirnn_tccrhash256_many_pf(uint64_t *out, const sirnn_block *in, uint64_t tweak, size_t n,
                               const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                               const void *prefetch, size_t prefetch_bytes);

/* Portable twins (EVP), same contracts. */
void sirnn_crhash_portable(sirnn_block *out, const sirnn_block *in, size_t n);
void sirnn_tccrhash_portable(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);
void sirnn_tccrhash256_portable(sirnn_block *out, const sirnn_block *in, uint64_t tweak, size_t n);
void sirnn_tccrhash256_many_portable(uint64_t *out, const sirnn_block *in, uint64_t tweak,
                                     size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                     size_t nv);

/* The fixed keys, for tests and tools that recompute the definitions. */
typedef enum sirnn_crhash_key_id {
    SIRNN_CRHASH_KEY_PI = 0,  /* crhash, tccrhash */
    SIRNN_CRHASH_KEY_PI1 = 1, /* tccrhash256, first call */
    SIRNN_CRHASH_KEY_PI2 = 2  /* tccrhash256, second call */
} sirnn_crhash_key_id;

/* The initialised key of a fixed permutation, or NULL if `id` is unknown or
 * OpenSSL could not create its context. The key is public and must not be
 * freed. Its round keys may be used from any thread, but (as for every key)
 * its portable EVP path by one thread at a time. */
const sirnn_aes_key *sirnn_crhash_fixed_key(sirnn_crhash_key_id id);

#endif /* SIRNN_KERNELS_CRHASH_H */
