/*
 * The plan of exp (math/exp.c, math/ref_exp.c), shared by the protocol and
 * its cleartext model so that both use the very same tables and widths.
 *
 * x (b-bit two's complement, scale s) is negated: u = -x mod 2^b, read as
 * an unsigned b-bit integer (u = |x| for x <= 0), then cut into q =
 * ceil(b / 8) digits d_j of w_j = min(8, b - 8j) bits. Factor tables, f
 * fraction bits: E_j(d) = round(e^(-d * 2^(8j - s)) * 2^f) (<= 2^f).
 * The top factor starts the chain, G = E_(q-1)(d_(q-1)), and each lower
 * digit multiplies it in with rounding, G = floor((E_j(d_j) * G +
 * 2^(f-1)) / 2^f), j = q-2 .. 0. Finally y = floor((G + 2^(g-1)) / 2^g)
 * (f = s_out + g) mod 2^bits_out.
 */
#ifndef SIRNN_MATH_EXP_PLAN_H
#define SIRNN_MATH_EXP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"
#include "sirnn/status.h"

#define SIRNN_EXP_MAX_DIGITS 4

typedef struct sirnn_exp_plan {
    unsigned b, s;      /* input bits and scale */
    unsigned bo, so;    /* output bits and scale */
    unsigned q;         /* digits */
    unsigned w[SIRNN_EXP_MAX_DIGITS];  /* digit widths */
    unsigned f, g;      /* fraction bits of the chain, f = so + g */
    unsigned lw;        /* ring of G: max(f + 2, bo + g) */
    /* width of D_j = 2^f - E_j (msb zero), at least 2f + 1 - lw */
    unsigned md[SIRNN_EXP_MAX_DIGITS];
    uint64_t dmax[SIRNN_EXP_MAX_DIGITS];
    /* tab[j][v]: j = q - 1: E_j(v mod 2^w_j); j < q - 1: D_j(v mod 2^w_j) */
    uint64_t tab[SIRNN_EXP_MAX_DIGITS][256];
} sirnn_exp_plan;

/* Build the plan of exp from fmt_in to fmt_out at chain precision f =
 * so + g (g = 0 when q <= 2, else 2). SIRNN_ERR_ARG with a message in
 * err[errlen] if the formats are outside the contract of sirnn_exp. */
sirnn_status sirnn_exp_plan_init(sirnn_exp_plan *p, sirnn_fixfmt fin, sirnn_fixfmt fout,
                                 char *err, size_t errlen);
/* The same with an explicit chain precision f >= so and ring lw (used by
 * sigmoid and tanh, which keep the chain's G at f bits): g = f - so. */
sirnn_status sirnn_exp_plan_init_f(sirnn_exp_plan *p, unsigned b, unsigned s, unsigned f,
                                   unsigned lw, char *err, size_t errlen);
/* The chain on a clear u (b bits): G at f fraction bits. */
uint64_t sirnn_exp_plan_chain(const sirnn_exp_plan *p, uint64_t u);

struct sirnn_party;
/*
 * The chain under MPC: g_out[n] gets lw-bit shares of G for the b-bit
 * shares u[n] (g_out may alias u). One sirnn_digdec(b, 8) (none when q =
 * 1); one sirnn_lut_several over the q digits (digit j's factor at md_j
 * bits, the top one's at lw, each with the wrap of its output shares); per
 * lower digit one product (D_j: md_j bits, G: lw bits, into 2f + 2 bits):
 * the first by sirnn_mult_wraps, the others by sirnn_mult_wrap with G's
 * public zero MSB; and one rounding, sirnn_shift_lean of 2^f G - D_j G +
 * 2^(f-1) (2f + 2 bits, MSB a public zero) by f into lw bits. Arguments
 * are not checked here.
 */
sirnn_status sirnn_exp_chain_run(struct sirnn_party *party, size_t n, uint64_t *g_out,
                                 const uint64_t *u, const sirnn_exp_plan *p);

#endif /* SIRNN_MATH_EXP_PLAN_H */
