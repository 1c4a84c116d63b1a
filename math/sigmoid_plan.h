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
 */
#ifndef SIRNN_MATH_SIGMOID_PLAN_H
#define SIRNN_MATH_SIGMOID_PLAN_H

#include "math/exp_plan.h"
#include "math/recip.h"

typedef struct sirnn_sig_plan {
    int is_tanh;
    unsigned b, bo, so, lr;
    sirnn_exp_plan chain;
    sirnn_recip1p_plan recip;
} sirnn_sig_plan;

sirnn_status sirnn_sig_plan_init(sirnn_sig_plan *p, int is_tanh, sirnn_fixfmt fin,
                                 sirnn_fixfmt fout, char *err, size_t errlen);
/* The model on one clear b-bit x. */
uint64_t sirnn_sig_plan_eval(const sirnn_sig_plan *p, uint64_t x);

#endif /* SIRNN_MATH_SIGMOID_PLAN_H */
