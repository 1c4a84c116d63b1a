/*
 * AES-128 encryption over many blocks (no decryption is needed by any
 * protocol). Paths: OpenSSL EVP (the portable twin), AES-NI with 8 blocks in
 * flight, VAES on 256-bit registers (16 blocks) and on 512-bit registers (16
 * blocks). The path is picked by kernels/cpu.c; sirnn_aes_* below always use
 * the active table.
 *
 * Keys are secret when they come from a seed (PRG keys); the expansion is
 * done with AES-NI or by OpenSSL, never with table lookups in our code, and
 * no path branches on or indexes memory by key or data.
 *
 * Threads: the native paths only read the key, so one key may be used by
 * many threads at once. The portable path goes through the key's EVP
 * context, which holds per-call state: on it, a key is used by one thread at
 * a time. (The fixed hash keys of kernels/crhash.h handle this themselves.)
 */
#ifndef SIRNN_KERNELS_AES_H
#define SIRNN_KERNELS_AES_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"

typedef struct sirnn_aes_key {
    sirnn_block rk[11]; /* expanded round keys (valid when the machine has AES-NI) */
    void *evp;          /* EVP_CIPHER_CTX for the portable path, owned */
} sirnn_aes_key;

/* Expand a 128-bit key (its 16 bytes in memory order are the AES key bytes,
 * as in FIPS-197). k must not hold a live key (free it first). Returns
 * SIRNN_ERR_ARG for NULL arguments (k untouched), or SIRNN_ERR_CRYPTO if
 * OpenSSL cannot create the context (k left zeroed; no free needed). */
sirnn_status sirnn_aes_key_init(sirnn_aes_key *k, const sirnn_block *key);
/* Wipe the round keys and free the EVP context. Safe on a zeroed key, on a
 * freed key and on NULL. */
void sirnn_aes_key_free(sirnn_aes_key *k);

/* out[i] = AES_k(in[i]) over n 16-byte blocks with the active path. The
 * buffers need no alignment; out may alias in exactly (no other overlap).
 * A key that was never initialised aborts the process rather than return
 * unencrypted data. */
void sirnn_aes_ecb(const sirnn_aes_key *k, void *out, const void *in, size_t n);
/* out[i] = AES_k((nonce << 64) | (counter + i)), i.e. the block with
 * lo = counter + i (mod 2^64) and hi = nonce (kernels/block.h layout). */
void sirnn_aes_ctr(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                   uint64_t counter, size_t n);

/* Portable twins (OpenSSL EVP), same contracts; the native kernels are
 * reached through the table (kernels/cpu.h) and declared in
 * kernels/aes_impl.h. */
void sirnn_aes_ecb_portable(const sirnn_aes_key *k, void *out, const void *in, size_t n);
void sirnn_aes_ctr_portable(const sirnn_aes_key *k, sirnn_block *out,
                            uint64_t nonce, uint64_t counter, size_t n);

#endif /* SIRNN_KERNELS_AES_H */
