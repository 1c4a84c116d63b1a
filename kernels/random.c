/*
 * OS randomness through OpenSSL and a wipe the optimiser cannot drop.
 */
#include "kernels/random.h"

#include <limits.h>
#include <string.h>

#include <openssl/rand.h>

sirnn_status sirnn_os_random(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        /* RAND_bytes takes an int length. */
        size_t chunk = n < (size_t)INT_MAX ? n : (size_t)INT_MAX;
        if (RAND_bytes(p, (int)chunk) != 1)
            return SIRNN_ERR_CRYPTO;
        p += chunk;
        n -= chunk;
    }
    return SIRNN_OK;
}

void sirnn_memzero(void *p, size_t n)
{
    if (p == NULL || n == 0)
        return;
    /* glibc's explicit_bzero is documented not to be removed as a dead store. */
    explicit_bzero(p, n);
}
