/*
 * Portable AES: OpenSSL EVP in ECB mode (constant time on every target
 * OpenSSL supports). CTR builds its counter blocks in the output buffer and
 * encrypts them in place, because our counter layout (64-bit little-endian
 * counter in the low half, nonce in the high half) is not EVP's CTR.
 */
#include "kernels/aes.h"
#include "kernels/aes_impl.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

/* EVP lengths are ints: stay well below INT_MAX bytes per call. */
#define EVP_MAX_BLOCKS ((size_t)1 << 24)

static void fail_closed(const char *what)
{
    /* Returning would hand back plaintext as if it were ciphertext. */
    fprintf(stderr, "libsirnn: fatal: %s\n", what);
    abort();
}

void *sirnn_aes_evp_new(const sirnn_block *key)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return NULL;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, (const unsigned char *)key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void sirnn_aes_evp_free(void *evp_ctx)
{
    /* EVP_CIPHER_CTX_free cleanses the expanded key. */
    EVP_CIPHER_CTX_free(evp_ctx);
}

void sirnn_aes_evp_ecb(void *evp_ctx, void *out, const void *in, size_t n)
{
    unsigned char *dst = out;
    const unsigned char *src = in;
    if (evp_ctx == NULL && n > 0)
        fail_closed("AES key used before sirnn_aes_key_init or after a failed init");
    while (n > 0) {
        size_t chunk = n < EVP_MAX_BLOCKS ? n : EVP_MAX_BLOCKS;
        int outl = 0;
        if (EVP_EncryptUpdate(evp_ctx, dst, &outl, src, (int)(chunk * 16)) != 1 ||
            outl != (int)(chunk * 16))
            fail_closed("EVP_EncryptUpdate failed");
        dst += chunk * 16;
        src += chunk * 16;
        n -= chunk;
    }
}

void sirnn_aes_ecb_portable(const sirnn_aes_key *k, void *out, const void *in, size_t n)
{
    sirnn_aes_evp_ecb(k->evp, out, in, n);
}

void sirnn_aes_ctr_portable(const sirnn_aes_key *k, sirnn_block *out, uint64_t nonce,
                            uint64_t counter, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_block_make(nonce, counter + (uint64_t)i);
    sirnn_aes_evp_ecb(k->evp, out, out, n);
}
