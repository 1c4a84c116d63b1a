/*
 * Truncation (SIRNN): truncate-and-reduce, logical and arithmetic right
 * shifts (with and without a known MSB), truncate-reduce followed by
 * extension, and division by 2^s rounding toward zero. All of them are the
 * shift engine of arith/ext.c (arith/mixed.h) with different parameters.
 */
#include "arith/mixed.h"

#include "sirnn/arith.h"
#include "arith/arith_internal.h"

#define NULL_WITH_N(n, ptr) ((n) > 0 && (ptr) == NULL)

static int bad_common(size_t n, const uint64_t *out, const uint64_t *x, const uint8_t *msb,
                      int with_msb)
{
    return NULL_WITH_N(n, out) || NULL_WITH_N(n, x) ||
           (with_msb && (NULL_WITH_N(n, msb) || !sirnn_arith_bits_ok(msb, n)));
}

sirnn_status sirnn_tr(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                      unsigned s)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 1 || l > 64 || s >= l || bad_common(n, out, x, NULL, 0))
        return sirnn_arith_arg(party, "sirnn_tr", "need 0 <= s < l <= 64 and non-NULL arrays");
    return sirnn_shift_run(party, n, out, x, NULL, l, s, l - s, 0, 0);
}

sirnn_status sirnn_tr_ext(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                          unsigned l, unsigned s, unsigned lout, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 1 || l > 64 || s >= l || lout < l - s || lout > 64 || bad_common(n, out, x, NULL, 0))
        return sirnn_arith_arg(party, "sirnn_tr_ext",
                               "need 0 <= s < l <= 64, l - s <= lout <= 64, non-NULL arrays");
    return sirnn_shift_run(party, n, out, x, NULL, l, s, lout, is_signed != 0, 0);
}

sirnn_status sirnn_tr_ext_sign(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                               const uint64_t *x, unsigned l, unsigned s, unsigned lout,
                               int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 1 || l > 64 || s >= l || lout < l - s || lout > 64 || bad_common(n, out, x, NULL, 0) ||
        NULL_WITH_N(n, sign))
        return sirnn_arith_arg(party, "sirnn_tr_ext_sign",
                               "need 0 <= s < l <= 64, l - s <= lout <= 64, non-NULL arrays");
    if (l == 1 && lout == 1) { /* the value is its own sign bit: local */
        sirnn_status st = sirnn_party_usable(party);
        for (size_t i = 0; st == SIRNN_OK && i < n; i++) {
            sign[i] = (uint8_t)(x[i] & 1);
            out[i] = x[i] & 1;
        }
        return st;
    }
    return sirnn_shift_run_sign(party, n, out, sign, x, NULL, l, s, lout, is_signed != 0, 0);
}

static sirnn_status shift(sirnn_party *party, const char *fn, size_t n, uint64_t *out,
                          const uint64_t *x, const uint8_t *msb, int with_msb, unsigned l,
                          unsigned s, int is_signed, int div)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 1 || l > 64 || s > l || bad_common(n, out, x, msb, with_msb))
        return sirnn_arith_arg(party, fn,
                               "need 0 <= s <= l <= 64, non-NULL arrays and msb bits 0/1");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (s == l) {
        if (is_signed && !div) {
            s = l - 1; /* floor(x / 2^l) = floor(x / 2^(l-1)) for l-bit signed x */
        } else {
            /* floor(x / 2^l) = 0 for unsigned x, |x| / 2^l rounds to 0 */
            for (size_t i = 0; i < n; i++)
                out[i] = 0;
            return SIRNN_OK;
        }
    }
    return sirnn_shift_run(party, n, out, x, with_msb ? msb : NULL, l, s, l, is_signed, div);
}

sirnn_status sirnn_lrs(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                       unsigned s)
{
    return shift(party, "sirnn_lrs", n, out, x, NULL, 0, l, s, 0, 0);
}

sirnn_status sirnn_ars(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                       unsigned s)
{
    return shift(party, "sirnn_ars", n, out, x, NULL, 0, l, s, 1, 0);
}

sirnn_status sirnn_lrs_msb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                           const uint8_t *msb, unsigned l, unsigned s)
{
    return shift(party, "sirnn_lrs_msb", n, out, x, msb, 1, l, s, 0, 0);
}

sirnn_status sirnn_ars_msb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                           const uint8_t *msb, unsigned l, unsigned s)
{
    return shift(party, "sirnn_ars_msb", n, out, x, msb, 1, l, s, 1, 0);
}

sirnn_status sirnn_divpow2(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                           unsigned l, unsigned s)
{
    return shift(party, "sirnn_divpow2", n, out, x, NULL, 0, l, s, 1, 1);
}

sirnn_status sirnn_divpow2_msb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                               const uint8_t *msb, unsigned l, unsigned s)
{
    return shift(party, "sirnn_divpow2_msb", n, out, x, msb, 1, l, s, 1, 1);
}
