/*
 * The plan shared by the reciprocal square root protocol (math/rsqrt.c) and
 * its cleartext model (math/ref_rsqrt.c): widths, shifts and the two tables,
 * derived once from the formats so that both run the same integer steps.
 * Formats and widths are public; nothing here is secret.
 */
#ifndef SIRNN_MATH_RSQRT_PLAN_H
#define SIRNN_MATH_RSQRT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"

/* Per-exponent table entries (indexed by k = msnzb(X)): M (normalising
 * multiplier), S (output scale factor), C (saturation constant). */
enum { SIRNN_RSQ_M = 0, SIRNN_RSQ_S = 1, SIRNN_RSQ_C = 2 };

typedef struct sirnn_rsqrt_plan {
    unsigned b, s;        /* input: X = x mod 2^b, x = X / 2^s */
    unsigned bo, so;      /* output */
    unsigned li;          /* index ring of k (bits), the exponent LUT's m */
    unsigned wk;          /* exponent LUT entry width */
    unsigned ws;          /* width of S (top bit zero) */
    unsigned mi;          /* mantissa LUT index bits (top mi bits of XN mod 2^(b+1)) */
    unsigned py, pb;      /* scales of Y (width py + 2) and of B (width pb + 2) */
    unsigned lp, shp;     /* P = B * XN mod 2^lp; T = TR(P, lp, shp), py + 2 bits */
    unsigned lf, shf;     /* F = Y * S mod 2^lf; out = TR(F + 2^(shf-1), lf, shf) */
    uint64_t ktab[3][64]; /* M, S, C by k */
    uint64_t atab[256];   /* A by mantissa index (scale py) */
    uint64_t btab[256];   /* B by mantissa index (scale pb) */
} sirnn_rsqrt_plan;

/* Fill *p. Returns NULL on success or a message saying why the formats are
 * refused. */
const char *sirnn_rsqrt_plan_make(sirnn_rsqrt_plan *p, sirnn_fixfmt fin, sirnn_fixfmt fout);

#endif /* SIRNN_MATH_RSQRT_PLAN_H */
