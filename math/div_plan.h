/*
 * The plan shared by the reciprocal / division protocols (math/div.c) and
 * their cleartext models (math/ref_div.c): every width, shift and table is
 * derived from the formats here, once, so that the two follow exactly the
 * same integer steps. Formats and widths are public; nothing here is secret.
 */
#ifndef SIRNN_MATH_DIV_PLAN_H
#define SIRNN_MATH_DIV_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"

#define SIRNN_DIV_MAX_STEPS 4

/* One refinement step on Y (scale fy, width fy + 2, positive):
 *   P  = D * Y mod 2^lp                       (unsigned b x (fy+2) -> lp)
 *   E  = 2^(s+fy) - P mod 2^lp                (e = 1 - d y, signed)
 *   E1 = E >> she (TR) or E << -she           (scale fe, we bits)
 *   T  = E1 + (E1*E1 mod 2^lq) >> fe          (if use_q: e + e^2)
 *   R  = Y * T mod 2^lr (signed), R' = R >> shr (signed, to fn + 2 bits)
 *   Y  = (Y << (fn - fy)) + R' mod 2^(fn+2)   (y (1 + e + e^2)) */
typedef struct sirnn_div_step {
    unsigned fy, fe, fn, lp, we, lq, lr, shr, use_q;
    int she;
} sirnn_div_step;

/* The quadratic path (quad = 1, used when its error fits the output): the
 * top m = 7 bits of D index three tables, L = D mod 2^t is the offset in the
 * bucket (t = b - 7), and with the bucket's A (scale fy), B (scale fb) and
 * C (scale fc), all positive with a public zero MSB:
 *   P1 = C * L mod 2^l1 (wc x t -> l1 = wc + t, unsigned; if use_c)
 *   V  = B - (P1 >> sh1) mod 2^wb       (b - c t at scale fb)
 *   P2 = V * L mod 2^l2                 (wb x t -> l2 = wb + t)
 *   Y  = A - (P2 >> sh2) mod 2^(fy+2)   (a - t (b - c t) = 1/d at scale fy)
 * Every shift is of a value with a zero top bit, straight into the ring of
 * the next step. Y <= 2^fy for every input (its MSB is a public 0). */
typedef struct sirnn_div_quad {
    unsigned fb, fc, wb, wc, l1, sh1, l2, sh2, use_c;
    uint64_t btab[128], ctab[128];
} sirnn_div_quad;

typedef struct sirnn_div_plan {
    int is_div;
    unsigned b, s;        /* denominator: D = den mod 2^b, d = D / 2^s */
    unsigned m, t;        /* LUT index: idx = D >> t (m bits); t = 0: direct table */
    unsigned lut_l;       /* LUT entry width (the quadratic path: A's, fy + 2) */
    int quad;             /* the quadratic path (no refinement steps) */
    sirnn_div_quad q;
    unsigned nsteps;
    sirnn_div_step step[SIRNN_DIV_MAX_STEPS];
    unsigned fy;          /* scale of the final Y (width fy + 2) */
    /* output */
    unsigned bo, so;
    int out_direct;       /* reciprocal with t = 0: the LUT gives the output */
    /* division: Z = X * Y (bx x (fy+2) -> lz signed), q = round(Z >> shz);
     * lz = min(bx + fy + 1, shz + bo): the bits above shz + bo do not
     * reach the output */
    unsigned bx, lz, shz;
    uint64_t table[256];
    /* Normalised division (norm = 1): k = msnzb(D) (index ring li bits),
     * M = mtab[k] = 2^(b-1-k) (b + 1 bits, top bit zero), DN = D M mod 2^b
     * in [2^(b-1), 2^b) (0 for D = 0), Y of DN as above with s = b - 1
     * (entries below the domain, i.e. DN = 0, are 0), W = Y M mod 2^lw
     * (top bit zero), Z = X W (bx x lw -> lz signed), q = round(Z >> shz). */
    int norm;
    unsigned li, lw;
    uint64_t mtab[64];
} sirnn_div_plan;

/* Fill *p for the reciprocal (fnum NULL) or the division. Returns NULL on
 * success or a message saying why the formats are refused. */
const char *sirnn_div_plan_make(sirnn_div_plan *p, const sirnn_fixfmt *fnum, sirnn_fixfmt fden,
                                sirnn_fixfmt fout);

/* The same for the normalised division (sirnn_div_norm). */
const char *sirnn_div_norm_plan_make(sirnn_div_plan *p, sirnn_fixfmt fnum, sirnn_fixfmt fden,
                                     sirnn_fixfmt fout);

#endif /* SIRNN_MATH_DIV_PLAN_H */
