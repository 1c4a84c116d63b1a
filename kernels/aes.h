/*
 * AES-128 encryption over many blocks (no decryption is needed by any
 * protocol). Paths: OpenSSL EVP (the portable twin), AES-NI with at least 8
 * blocks in flight, VAES on 256-bit and on 512-bit registers. The path is
 * picked by kernels/cpu.c; sirnn_aes_* below always use the active table.
 *
 * Keys are secret when they come from a seed (PRG keys); the expansion is
 * done with AES-NI or by OpenSSL, never with table lookups in our code.
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

/* Expand a 128-bit key. Returns SIRNN_ERR_CRYPTO or SIRNN_ERR_NOMEM on failure. */
sirnn_status sirnn_aes_key_init(sirnn_aes_key *k, const sirnn_block *key);
/* Wipe the round keys and free the EVP context. Safe on a zeroed key. */
void sirnn_aes_key_free(sirnn_aes_key *k);

/* out[i] = AES_k(in[i]) over n 16-byte blocks with the active path. The
 * buffers need no alignment; out may alias in exactly. */
void sirnn_aes_ecb(const sirnn_aes_key *k, void *out, const void *in, size_t n);
/* out[i] = AES_k((nonce << 64) | (counter + i)). */
void sirnn_aes_ctr(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                   uint64_t counter, size_t n);

/* Per-ISA implementations (tests call them directly through the table). */
void sirnn_aes_ecb_portable(const sirnn_aes_key *k, void *out, const void *in, size_t n);
void sirnn_aes_ctr_portable(const sirnn_aes_key *k, sirnn_block *out,
                            uint64_t nonce, uint64_t counter, size_t n);

#endif /* SIRNN_KERNELS_AES_H */
