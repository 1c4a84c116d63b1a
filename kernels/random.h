/*
 * OS randomness and secure wiping.
 */
#ifndef SIRNN_KERNELS_RANDOM_H
#define SIRNN_KERNELS_RANDOM_H

#include <stddef.h>

#include "sirnn/status.h"

/* n bytes from the OS CSPRNG (OpenSSL RAND_bytes); SIRNN_ERR_CRYPTO on failure. */
sirnn_status sirnn_os_random(void *out, size_t n);
/* Zero n bytes in a way the compiler cannot remove. */
void sirnn_memzero(void *p, size_t n);

#endif /* SIRNN_KERNELS_RANDOM_H */
