/*
 * Cleartext models of the mixed-bitwidth protocols of arith/ (extension,
 * truncation, lookup tables, digit decomposition, MSNZB): sirnn/fixed.h.
 */
#include "sirnn/fixed.h"

#include "kernels/block.h"

/* The l-bit two's-complement value of x, as a signed integer. */
static int64_t as_signed(uint64_t x, unsigned l)
{
    const uint64_t v = x & sirnn_mask(l);
    const uint64_t sign = l < 64 ? (v >> (l - 1)) & 1 : v >> 63;
    return (int64_t)(v | (sign && l < 64 ? ~sirnn_mask(l) : 0));
}

/* floor(v / 2^s) for 0 <= s <= 63 (arithmetic shift of a signed value,
 * written without relying on implementation-defined >> of negatives). */
static int64_t floor_shift(int64_t v, unsigned s)
{
    const uint64_t u = (uint64_t)v;
    const uint64_t sh = u >> s;
    return (int64_t)(v < 0 && s > 0 ? sh | ~(~(uint64_t)0 >> s) : sh);
}

uint64_t sirnn_ref_zext(uint64_t x, unsigned m, unsigned l)
{
    return x & sirnn_mask(m) & sirnn_mask(l);
}

uint64_t sirnn_ref_sext(uint64_t x, unsigned m, unsigned l)
{
    return (uint64_t)as_signed(x, m) & sirnn_mask(l);
}

uint64_t sirnn_ref_tr(uint64_t x, unsigned l, unsigned s)
{
    const uint64_t v = x & sirnn_mask(l);
    return s >= 64 ? 0 : v >> s;
}

uint64_t sirnn_ref_tr_ext(uint64_t x, unsigned l, unsigned s, unsigned lout, int is_signed)
{
    if (!is_signed)
        return sirnn_ref_tr(x, l, s) & sirnn_mask(lout);
    return (uint64_t)floor_shift(as_signed(x, l), s) & sirnn_mask(lout);
}

uint64_t sirnn_ref_lrs(uint64_t x, unsigned l, unsigned s)
{
    return s >= l ? 0 : sirnn_ref_tr(x, l, s);
}

uint64_t sirnn_ref_ars(uint64_t x, unsigned l, unsigned s)
{
    if (s >= l)
        s = l - 1;
    return (uint64_t)floor_shift(as_signed(x, l), s) & sirnn_mask(l);
}

uint64_t sirnn_ref_divpow2(uint64_t x, unsigned l, unsigned s)
{
    if (s >= l)
        return 0;
    const int64_t v = as_signed(x, l);
    int64_t q = floor_shift(v, s);
    const uint64_t rem = (uint64_t)v & sirnn_mask(s > 0 ? s : 1) & (s > 0 ? ~(uint64_t)0 : 0);
    if (v < 0 && rem != 0)
        q += 1;
    return (uint64_t)q & sirnn_mask(l);
}

uint64_t sirnn_ref_lut(const uint64_t *table, uint64_t idx, unsigned m, unsigned l)
{
    return table[idx & sirnn_mask(m)] & sirnn_mask(l);
}

uint64_t sirnn_ref_digit(uint64_t x, unsigned l, unsigned d, unsigned j)
{
    const unsigned lo = j * d;
    if (lo >= l)
        return 0;
    const unsigned w = l - lo < d ? l - lo : d;
    return ((x & sirnn_mask(l)) >> lo) & sirnn_mask(w);
}
