/*
 * Internal to the AES / PRG / hash family: the per-ISA kernels behind the
 * dispatch table and the fixed hash keys. Other families use kernels/aes.h,
 * kernels/prg.h and kernels/crhash.h (or the table in kernels/cpu.h).
 *
 * Every kernel here has the contract of the table member it fills (see
 * kernels/cpu.h and kernels/crhash.h): blocks are 16 bytes, out may alias in
 * exactly, n may be 0. The native kernels read k->rk, so they may only run on
 * a machine with the named instructions, which is where the key expansion
 * filled rk (sirnn_aes_key_init).
 */
#ifndef SIRNN_KERNELS_AES_IMPL_H
#define SIRNN_KERNELS_AES_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/aes.h"
#include "kernels/block.h"

/* Number of fixed public keys of the hash family (see kernels/crhash.h). */
#define SIRNN_CRHASH_NKEYS 3

/* ---- portable (kernels/aes_portable.c) ---------------------------------- */

/* ECB through an EVP_CIPHER_CTX (void * to keep OpenSSL out of headers).
 * Aborts if OpenSSL reports a failure, so a caller never uses unencrypted
 * data as if it were ciphertext. */
void sirnn_aes_evp_ecb(void *evp_ctx, void *out, const void *in, size_t n);
/* A new ECB context for a 16-byte key, padding off; NULL on failure. */
void *sirnn_aes_evp_new(const sirnn_block *key);
void sirnn_aes_evp_free(void *evp_ctx);

/* ---- AES-NI (kernels/aes_aesni.c) -------------------------------------- */

/* AES-128 key schedule with aeskeygenassist (constant time). The key is
 * secret; rk receives the 11 round keys. */
void sirnn_aes_expand_aesni(sirnn_block rk[11], const sirnn_block *key);
void sirnn_aes_ecb_aesni(const sirnn_aes_key *k, void *out, const void *in, size_t n);
void sirnn_aes_ctr_aesni(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                         uint64_t counter, size_t n);

/* ---- VAES on 256-bit registers (kernels/aes_avx2.c) -------------------- */
void sirnn_aes_ecb_vaes256(const sirnn_aes_key *k, void *out, const void *in, size_t n);
void sirnn_aes_ctr_vaes256(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                           uint64_t counter, size_t n);

/* ---- VAES on 512-bit registers (kernels/aes_avx512.c) ------------------ */
void sirnn_aes_ecb_vaes512(const sirnn_aes_key *k, void *out, const void *in, size_t n);
void sirnn_aes_ctr_vaes512(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                           uint64_t counter, size_t n);

/* ---- fused fixed-key hashes (kernels/crhash_<isa>.c) ------------------- */
void sirnn_crhash_aesni(sirnn_block *out, const sirnn_block *in, size_t n);
void sirnn_tccrhash_aesni(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);
void sirnn_tccrhash256_aesni(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);
void sirnn_crhash_vaes256(sirnn_block *out, const sirnn_block *in, size_t n);
void sirnn_tccrhash_vaes256(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);
void sirnn_tccrhash256_vaes256(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw,
                               size_t n);
void sirnn_crhash_vaes512(sirnn_block *out, const sirnn_block *in, size_t n);
void sirnn_tccrhash_vaes512(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n);
void sirnn_tccrhash256_vaes512(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw,
                               size_t n);

/* ---- fixed hash keys (kernels/crhash.c) --------------------------------- */

/* Round keys of fixed key `which` (< SIRNN_CRHASH_NKEYS), expanded with
 * AES-NI; only meaningful on a machine with AES-NI. Thread-safe. */
const sirnn_block *sirnn_crhash_round_keys(unsigned which);
/* This thread's own EVP context for fixed key `which`, created on first use
 * and freed when the thread exits; the portable hash path uses it so that
 * threads never share an EVP context. Aborts if it cannot be created. */
void *sirnn_crhash_thread_evp(unsigned which);

#endif /* SIRNN_KERNELS_AES_IMPL_H */
