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
 * Tweaks. A tweak is a block (domain || index): element k of a call uses
 * i = (tw.domain || tw.index + k) (the index wraps mod 2^64 inside its half).
 * A (secret, tweak) pair must never repeat for two different hashed values:
 * an OT extension engine passes its running OT counter as the index and
 * advances it by n after each call, and its own domain (sirnn_tweak_domain
 * below: what the tweak is for, which lane, whose secret), so engines that
 * share a secret (every lane of a party shares its IKNP Delta) never share
 * a tweak.
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
 * Tweak domains. The high word of every tweak names what is hashed, so no
 * two uses that may share a secret share a tweak:
 *   bits 56..63  the use (SIRNN_TWEAK_*),
 *   bit  55      whose secret: 1 when the server (party 0) is the engine's
 *                OT sender, 0 when the client is,
 *   bits 32..54  the lane index,
 *   bits  0..31  a sub-index of the use (0 for the OT engines).
 * The index half carries the OT's position in its engine (0, 1, 2, ...).
 * SIRNN_TWEAK_STRETCH hashes block b < 2^32 of the pad of the OT at engine
 * position p with sub = p >> 32 and index = (p << 32) + b.
 */
enum {
    SIRNN_TWEAK_OT2 = 1,     /* 1-of-2 engines (IKNP / SoftSpoken), their pools
                                and the split-phase OTs of arith/ on them */
    SIRNN_TWEAK_KK13 = 2,    /* KK13 1-of-N engines */
    SIRNN_TWEAK_STRETCH = 3, /* a 1-of-2 OT's pad stretched to many words */
    SIRNN_TWEAK_SILENT = 4,  /* the silent COT engines' GGM-level OTs (ot/silent.h) */
    SIRNN_TWEAK_NCO = 5,     /* 1-of-N pads from log N random OTs (ot/nco.h) */
    SIRNN_TWEAK_TEST = 255   /* tests and benchmarks of the hashes alone */
};
#define SIRNN_TWEAK_TEST_DOMAIN ((uint64_t)SIRNN_TWEAK_TEST << 56)

static inline uint64_t sirnn_tweak_domain(unsigned use, int server_sends, unsigned lane,
                                          uint32_t sub)
{
    return ((uint64_t)(use & 0xffu) << 56) | ((uint64_t)(server_sends != 0) << 55) |
           ((uint64_t)(lane & 0x7fffffu) << 32) | (uint64_t)sub;
}

/* The same sender and lane as `domain`, another use and sub-index. */
static inline uint64_t sirnn_tweak_retag(uint64_t domain, unsigned use, uint32_t sub)
{
    return (domain & 0x00ffffff00000000ull) | ((uint64_t)(use & 0xffu) << 56) | (uint64_t)sub;
}

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
 *   out[k] = pi(pi(x) ^ i) ^ pi(x),  x = in[k],  i = (tw.domain || tw.index + k).
 * Two AES calls per hash.
 */
void sirnn_tccrhash(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);

/*
 * Tweakable correlation-robust hash of a 256-bit input, for KK13's code
 * words. Element k is (a, b) = (in[2k], in[2k+1]), with i its tweak block
 * (tw.domain || tw.index + k):
 *   u = pi1(a ^ i),  v = u ^ b,  w = pi2(v),  out[k] = pi2(w ^ i) ^ w.
 * The first call compresses 256 bits to 128 (u depends only on (a, i), so
 * callers may share it between code words with equal a-halves); the last
 * two are Guo et al.'s TCCR hash of v under pi2, with the same tweak.
 * Three AES calls per hash.
 *
 * Why. The KK13 sender hashes (a, b) = t ^ (d & s) for every code-word
 * offset d, where t and d are known to the receiver and s (256 bits) is the
 * sender's secret, one per engine. Write da, db for the halves of d & s:
 * uniform on subspaces of dimensions wa and wb, wa + wb >= 128 (the code's
 * distance). Some offsets have wa = 0 (d = 128 for the doubled RM(1,7)
 * code: its first half never sees bit 7 of the index), so u can be
 * computable and v = z ^ db with z known: the whole secret then enters only
 * through v, and the pad of OT i at such an offset is TCCR(z_i ^ db, i).
 *
 * An earlier version ended in pi2(v) ^ v (MMO), where the tweak entered
 * only z: one pi2 query at a guess y tested db = y ^ z_i against every OT i
 * at once, so Q hashed OTs cut the search for the secret half to about
 * 2^128 / Q queries (the O(qQ / 2^128) of an untweaked hash). In the TCCR
 * ending the tweak enters the call that the secret enters. A pi2 query at y
 * gives w = pi2(y), which bears on OT i only through pi2(w ^ i): a second
 * query, specific to i, so each pair of queries tests one guess against the
 * at most N pads of a single OT (they share its tweak); a query that lands
 * on w_i ^ i without knowing w_i = pi2(v_i) reveals nothing, since w_i is
 * then uniform. A pi1 query only narrows da, as before. Following Guo,
 * Katz, Wang and Yu's TCCR analysis (S&P 2020, eprint 2019/074: the bound
 * grows with the number of hashed inputs that share a tweak, not with
 * their total), with pi1, pi2 random permutations an adversary making q
 * queries against any number Q of code words of one secret gains advantage
 * O(q N / 2^(wa + wb)) <= O(q N / 2^128), N <= 256 the pads per OT. It
 * needs tweaks that never repeat under one secret (the engines' counters
 * and domains above); two OTs with equal z now get unrelated pads at every
 * offset. It is not claimed circular (KK13 never reveals s ^ d in the
 * clear); against maliciously chosen inputs use tccrhash on a 128-bit
 * value instead.
 *
 * Chosen over keying pi2 per OT from the tweak (a multi-instance TCCR in
 * the style of Rosulek and Roy, Crypto 2021, as emp-ot's MITCCRH): that
 * keeps two AES calls per pad but adds a key derivation and an AES key
 * schedule per OT, measured here at about 38 ns per OT (AES-NI, serial)
 * against 2.9 ns for this hash of one code word and 40 ns for the 16 pads
 * of a 1-of-16 OT (VAES-512). It would win only for N > 128 on the sender
 * (about 355 against 517 ns per OT), while comparisons use N = 16 and every
 * receiver hashes one word per OT.
 */
void sirnn_tccrhash256(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);

/*
 * tccrhash256 of many offsets of each element, for the KK13 sender (which
 * hashes q ^ (C(v) & s) for every code word v). For element k < n and
 * v < nv (1 <= nv <= 256):
 *   out[k * nv + v] = lo(tccrhash256((in[2k] ^ oa[v % 128], in[2k+1] ^ ob[v]),
 *                                    element k's tweak))
 * so the nv hashes of element k all use its one tweak, exactly as
 * sirnn_tccrhash256 would give element k (lo = the low 64 bits, w[0]). oa
 * has min(nv, 128) blocks and ob has nv. The a-half offsets repeat with
 * period 128, as the first half of KK13's code does (its positions j < 128
 * never see bit 7 of v; ot/kkot.h), so u = pi1(a ^ i) is shared by v and
 * v + 128: 128 + 2 nv AES calls per element when nv > 128, 3 nv otherwise.
 * This only computes the definition with fewer calls; the security argument
 * above is unchanged. out must not overlap the inputs. All inputs and
 * outputs may be secret; branches and indices depend only on n and nv.
 */
void sirnn_tccrhash256_many(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t n,
                            const sirnn_block *oa, const sirnn_block *ob, size_t nv);
/* The same, and while the AES units work it prefetches the bytes
 * [prefetch, prefetch + prefetch_bytes) into the cache, a few lines per
 * step (a caller's next input, typically in memory, so that it streams in
 * without stalling either loop). A hint only: nothing there is read
 * architecturally, and the results are those of sirnn_tccrhash256_many.
 * prefetch may be NULL with prefetch_bytes 0. */
void sirnn_tccrhash256_many_pf(uint64_t *out, const sirnn_block *in, sirnn_tweak tw, size_t n,
                               const sirnn_block *oa, const sirnn_block *ob, size_t nv,
                               const void *prefetch, size_t prefetch_bytes);

/* Portable twins (EVP), same contracts. */
void sirnn_crhash_portable(sirnn_block *out, const sirnn_block *in, size_t n);
void sirnn_tccrhash_portable(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);
void sirnn_tccrhash256_portable(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw,
                                size_t n);
void sirnn_tccrhash256_many_portable(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                                     size_t n, const sirnn_block *oa, const sirnn_block *ob,
                                     size_t nv);

/*
 * For tests only: a function that sees every call of the public tweakable
 * wrappers above (sirnn_tccrhash, sirnn_tccrhash256 and
 * sirnn_tccrhash256_many[_pf]) before it runs, with its inputs (secret),
 * tweak, n, and the nv of a many call (0 otherwise; in then has 2n blocks,
 * the elements' rows before their offsets). It runs on the calling lane's
 * thread and must be thread-safe. NULL removes it. The kernel tables are
 * not traced.
 */
typedef enum sirnn_crhash_call {
    SIRNN_CRHASH_CALL_TCCR = 0,
    SIRNN_CRHASH_CALL_TCCR256 = 1,
    SIRNN_CRHASH_CALL_MANY = 2
} sirnn_crhash_call;
typedef void (*sirnn_crhash_tracer)(void *ctx, sirnn_crhash_call call, const sirnn_block *in,
                                    sirnn_tweak tw, size_t n, size_t nv);
void sirnn_crhash_set_tracer(sirnn_crhash_tracer fn, void *ctx);

/* The fixed keys, for tests and tools that recompute the definitions. */
typedef enum sirnn_crhash_key_id {
    SIRNN_CRHASH_KEY_PI = 0,  /* crhash, tccrhash */
    SIRNN_CRHASH_KEY_PI1 = 1, /* tccrhash256, first call */
    SIRNN_CRHASH_KEY_PI2 = 2  /* tccrhash256, second and third calls */
} sirnn_crhash_key_id;

/* The initialised key of a fixed permutation, or NULL if `id` is unknown or
 * OpenSSL could not create its context. The key is public and must not be
 * freed. Its round keys may be used from any thread, but (as for every key)
 * its portable EVP path by one thread at a time. */
const sirnn_aes_key *sirnn_crhash_fixed_key(sirnn_crhash_key_id id);

#endif /* SIRNN_KERNELS_CRHASH_H */
