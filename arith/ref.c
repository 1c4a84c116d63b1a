/*
 * Cleartext models of include/sirnn/fixed.h.
 */
#include "sirnn/fixed.h"

#include "kernels/block.h"

uint64_t sirnn_ref_mod(uint64_t x, unsigned l)
{
    return x & sirnn_mask(l);
}

uint8_t sirnn_ref_msb(uint64_t x, unsigned l)
{
    return (uint8_t)((x >> (l - 1)) & 1);
}

uint8_t sirnn_ref_wrap(uint64_t x0, uint64_t x1, unsigned l)
{
    const uint64_t a = x0 & sirnn_mask(l), b = x1 & sirnn_mask(l);
    /* a + b >= 2^l  <=>  b > 2^l - 1 - a */
    return (uint8_t)(b > (sirnn_mask(l) - a));
}

uint8_t sirnn_ref_cmp(uint64_t x, uint64_t y, unsigned l, int op)
{
    const uint64_t a = x & sirnn_mask(l), b = y & sirnn_mask(l);
    return (uint8_t)(op == 0 ? a < b : a > b);
}

uint8_t sirnn_ref_eq(uint64_t x, uint64_t y, unsigned l)
{
    return (uint8_t)((x & sirnn_mask(l)) == (y & sirnn_mask(l)));
}

uint64_t sirnn_ref_b2a(uint8_t b, unsigned l)
{
    return (uint64_t)(b & 1) & sirnn_mask(l);
}

uint64_t sirnn_ref_mux(uint8_t sel, uint64_t x, uint64_t y, unsigned l)
{
    return (sel & 1 ? x : y) & sirnn_mask(l);
}

uint64_t sirnn_ref_relu(uint64_t x, unsigned l)
{
    return sirnn_ref_msb(x, l) ? 0 : x & sirnn_mask(l);
}
