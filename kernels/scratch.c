#include "kernels/scratch.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/random.h"

void *sirnn_scratch_alloc(size_t bytes)
{
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded == 0)
        rounded = 64;
    void *p = aligned_alloc(64, rounded);
    if (p != NULL)
        memset(p, 0, rounded);
    return p;
}

void sirnn_scratch_free(void *p, size_t bytes)
{
    if (p != NULL) {
        sirnn_memzero(p, bytes);
        free(p);
    }
}
