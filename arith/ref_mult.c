/*
 * Cleartext models of the multiplication family (include/sirnn/fixed.h).
 */
#include "sirnn/fixed.h"

#include "kernels/block.h"

/* x (w bits) as a 64-bit value: sign-extended when is_signed. */
static uint64_t ext64(uint64_t x, unsigned w, int is_signed)
{
    x &= sirnn_mask(w);
    if (is_signed && w < 64 && ((x >> (w - 1)) & 1))
        x |= ~sirnn_mask(w);
    return x;
}

uint64_t sirnn_ref_mult(uint64_t x, uint64_t y, unsigned m, unsigned k, unsigned l,
                        int is_signed)
{
    return (ext64(x, m, is_signed) * ext64(y, k, is_signed)) & sirnn_mask(l);
}

void sirnn_ref_matmul(size_t d1, size_t d2, size_t d3, uint64_t *out, const uint64_t *a,
                      const uint64_t *w, unsigned m, unsigned k, unsigned s, unsigned lout,
                      int is_signed)
{
    unsigned la = m + k;
    while (((size_t)1 << (la - m - k)) < d2)
        la++;
    for (size_t i = 0; i < d1; i++)
        for (size_t q = 0; q < d3; q++) {
            uint64_t acc = 0;
            for (size_t j = 0; j < d2; j++)
                acc += ext64(a[i * d2 + j], m, is_signed) * ext64(w[j * d3 + q], k, is_signed);
            out[i * d3 + q] = ((acc & sirnn_mask(la)) >> s) & sirnn_mask(lout);
        }
}
