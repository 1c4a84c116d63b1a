/*
 * The plan of sigmoid and tanh (math/sigmoid.c, math/ref_sigmoid.c),
 * shared by the protocols and their models.
 *
 *   a = |x| (b-bit unsigned; x = -2^(b-1) gives 2^(b-1));
 *   E = the exp chain (math/exp_plan.h) on a, at f fraction bits, its top
 *       table clamped to 2^f - 1 so that E < 2^f: E ~ e^(-a/2^s)
 *       (sigmoid, f = so + 1, so + 2 when b > 16; at least 7) or
 *       e^(-2a/2^s) (tanh: the chain reads a at
 *       scale s - 1; f = so + 3);
 *   R = the reciprocal core (math/recip.h) of E: R ~ 2^so / (1 + e);
 *   sigmoid: y = R if x >= 0, 2^so - R if x < 0;
 *   tanh:    t = 2R - 2^so, y = t if x >= 0, -t if x < 0;
 * all mod 2^lr (lr = max(bo, so + 2)), then mod 2^bo.
 *
 * The table path (b = 8): D[x] = round(f(x / 2^s) 2^so) mod 2^bo, one
 * lookup on x itself (exactly rounded, 0.5 ULP).
 *
 * The poly path (9 <= b <= 16, when the error budget of sirnn/math.h
 * allows a line (deg 1) or a parabola (deg 2) per interval; 16/12 -> 16/12
 * and -> 16/14 qualify, sigmoid with a line, tanh with a parabola; then the
 * chain and the reciprocal core are unused): x = 256 d1 + d0 with d1 =
 * x >> 8 (w1 = b - 8 bits, the sign included) and d0 = x mod 2^8; the
 * polynomial through the deg + 1 Chebyshev nodes of f on d1's interval,
 * a0 + a1 d0 + a2 d0^2 = a0 + b d0 + c q(d0), b = a1 + 255 a2, c = -256
 * a2, q(t) = t (255 - t) / 256, centred on d0 = 128 and q = 32 so that
 * the roundings of B and C weigh half, gives (e = so + T, T =
 * SIRNN_SIG_LINE_T, one more for tanh's parabola; ash = 4 for the line, 7
 * for tanh's parabola, 0 for sigmoid's)
 *   A[d1] = round((a0 + 128 b + 32 c) 2^(e - ash)) 2^ash, B[d1] = round(b 2^e),
 *   C[d1] = round(c 2^e), Q[d0] = round(q(d0)) - 32 mod 2^8 (|.| <= 32),
 *   y = ((A + B (d0 - 128) + C Q + 2^(T-1)) mod 2^L) >> T, mod 2^bo,
 * all tables mod 2^L, L = bo + T (sigmoid: 0 <= V < 2^(so + T + 1) <=
 * 2^L; tanh, whose output is signed: |V| < 2^(so + T + 1) <= 2^(L-1)).
 *
 * The single functions (sirnn_sig_plan_narrow; not the pair of
 * math/sig_pair.h) then take L as the fewest bits that hold W = V +
 * 2^(T-1) + voff with a zero MSB (voff = 2^(L-2) when some V < 0), for
 * every input, and y = (W >> T) - (voff >> T) mod 2^bo: the same y.
 *
 * What the protocol looks up (the same V mod 2^L, so the same y; the
 * single functions look A or A1 up as A >> ash, L - ash bits):
 *   line: A1 = A - 128 B mod 2^L and B in kB bits, V = A1 + B d0 with the
 *   unsigned d0 (whose wrap is digdec's carry); B >= 0 (the line through two
 *   nodes of an increasing function), so kB = its two's complement width
 *   keeps B's top bit zero (L if some B were negative: the product mod 2^L
 *   then needs no B wrap);
 *   parabola: A in L bits, B and C in kY = max(L - 8, their two's
 *   complement widths) bits (so that 8 + kY >= L), and their sign bits as
 *   1-bit tables, for the signed products B (d0 - 128) and C (Q - 32).
 */
#ifndef SIRNN_MATH_SIGMOID_PLAN_H
#define SIRNN_MATH_SIGMOID_PLAN_H

#include "math/exp_plan.h"
#include "math/recip.h"

/* guard bits of the poly path: B's rounding costs at most 2^(6 - T) ULP */
#define SIRNN_SIG_LINE_T 7

typedef struct sirnn_sig_plan {
    int is_tanh;
    int direct;           /* 8-bit inputs: one table on x, exactly rounded */
    uint64_t D[256];      /* direct: round(f(x) 2^so) mod 2^bo by x's 8 bits */
    unsigned deg;         /* the poly path's degree (1, 2), 0 for the |x| path */
    unsigned b, bo, so, lr;
    unsigned w1, T, L;    /* poly path: width of d1, guard bits, ring of V */
    unsigned ash;         /* A (and A1) are multiples of 2^ash */
    uint64_t A[256], B[256], C[256]; /* mod 2^L (C, and A for tanh, may be < 0) */
    uint64_t Q[256];      /* round(d0 (255 - d0) / 256) - 32, mod 2^8 */
    uint64_t A1[256];     /* line: A - 128 B mod 2^L */
    unsigned kB;          /* line: B's width in the lookup and the product */
    unsigned kY;          /* parabola: B's and C's width */
    /* narrowed (sirnn_sig_plan_narrow, the single functions only): the
     * ring L is the fewest bits that hold W = V + 2^(T-1) + voff with a
     * zero MSB (voff = 2^(L-2) when some V is negative, else 0), and y =
     * (W >> T) - (voff >> T) mod 2^bo */
    int narrow;
    uint64_t voff;
    int single;           /* set by sirnn_sig_plan_narrow: A looked up as A >> ash */
    sirnn_exp_plan chain;
    sirnn_recip1p_plan recip;
} sirnn_sig_plan;

sirnn_status sirnn_sig_plan_init(sirnn_sig_plan *p, int is_tanh, sirnn_fixfmt fin,
                                 sirnn_fixfmt fout, char *err, size_t errlen);
/* The poly path of sigmoid / tanh in the narrowest ring (the fields
 * narrow, voff above; L, A, A1, B, C reduced, kB and kY recomputed) when
 * every input's result is unchanged (checked over all 2^b inputs); a
 * no-op on the other paths or when nothing is saved. The pair
 * (math/sig_pair.h) keeps the plan of sirnn_sig_plan_init. */
void sirnn_sig_plan_narrow(sirnn_sig_plan *p);
/* The model on one clear b-bit x. */
uint64_t sirnn_sig_plan_eval(const sirnn_sig_plan *p, uint64_t x);

#endif /* SIRNN_MATH_SIGMOID_PLAN_H */
