/*
 * FastGRNN internals shared by inference, training, quantisation and the
 * model file: dimension checks, tensor layout, the per-example forward and
 * backward passes, and Adam. The model struct itself is public
 * (include/sirnn/nn.h).
 */
#ifndef SIRNN_NN_FASTGRNN_H
#define SIRNN_NN_FASTGRNN_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/nn.h"

/* Bounds of the dimensions (checked by sirnn_fg_check_dims). */
#define SIRNN_FG_MAX_INPUT 4096u
#define SIRNN_FG_MAX_STEPS 4096u
#define SIRNN_FG_MAX_HIDDEN 1024u
#define SIRNN_FG_MAX_CLASSES 1024u

/* SIRNN_OK if every dimension is within bounds; otherwise SIRNN_ERR_ARG with
 * a message naming the field (prefixed by what). */
sirnn_status sirnn_fg_check_dims(const sirnn_fastgrnn_dims *d, const char *what);
/* The shape of tensor k under dims d (0 x 0 when unused). */
void sirnn_fg_tensor_shape(const sirnn_fastgrnn_dims *d, int k, uint32_t *rows, uint32_t *cols);
/* Total float parameters under d. */
size_t sirnn_fg_param_count(const sirnn_fastgrnn_dims *d);
/* Allocate (zeroed) the quantised parameter array of m if missing and point
 * the tensors' q at it. */
sirnn_status sirnn_fg_alloc_quant(sirnn_fastgrnn *m);
/* Free the quantised part and clear every format. */
void sirnn_fg_drop_quant(sirnn_fastgrnn *m);
/* Normalise n pixels into x with m's in_mean / in_std. */
void sirnn_fg_normalise(const sirnn_fastgrnn *m, float *x, const uint8_t *px, size_t n);
/* Fold a per-feature affine map of the normalised input, x_j -> a_j x_j +
 * c_j (j < D), into m's float W (or W2) and b_z, b_h: the model then
 * computes on x what it computed on the mapped input. */
void sirnn_fg_fold_features(sirnn_fastgrnn *m, const float *a, const float *c);
/* Threads to use for a request of `threads` (0 = every processor). */
int sirnn_fg_threads(unsigned threads);

/* splitmix64: the deterministic generator for initial weights and shuffling. */
uint64_t sirnn_fg_splitmix(uint64_t *state);

/* Work space for one example at a time: the forward states kept for BPTT. */
typedef struct sirnn_fg_work {
    float *h;      /* (T + 1) x H: h_0 .. h_T */
    float *z;      /* T x H */
    float *c;      /* T x H: tanh(pre_h) */
    float *v;      /* T x rw: W2 x_t (low-rank W) */
    float *u;      /* T x ru: U2 h_{t-1} (low-rank U) */
    float *a, *b;  /* H: W x_t, U h_{t-1} */
    float *dh, *dhp, *dpre, *dv, *du;
    float *scores; /* C */
    float *x;      /* T x D: a normalised input */
    float *wx, *uh; /* T x H: W x_t and U h_{t-1} of every step */
    float *dpre_u; /* H: the U path's gradient when it differs (penalty) */
    /* Range penalty (0: none; set after sirnn_fg_work_init): the objective
     * gains pre_weight * sum of max(0, |p| - pre_limit)^2 over every W x_t,
     * U h_{t-1}, pre_z and pre_h, so that quantisation can keep their scale
     * fine. */
    float pre_limit, pre_weight;
    /* Per-feature normalisation folded after training (sirnn_fg_fold_features
     * with offsets c): W x_t then loses W c to the biases, so the penalty
     * reads W x_t - pre_off with pre_off = W c (H floats), and its gradient
     * follows W through both terms. NULL: no folding. Both set by the
     * trainer, read only here. */
    const float *pre_off, *feat_off;
    float *goff;   /* H + rw: scratch for that gradient */
    float *mem;
} sirnn_fg_work;

sirnn_status sirnn_fg_work_init(sirnn_fg_work *w, const sirnn_fastgrnn_dims *d);
void sirnn_fg_work_free(sirnn_fg_work *w);

/* Float forward pass on one normalised sequence x (T x D) into w->scores,
 * keeping the states for sirnn_fg_backward1. act_max (NULL, or
 * SIRNN_FG_NACTS floats) is raised to the largest |value| of each
 * intermediate. */
void sirnn_fg_forward1(const sirnn_fastgrnn *m, sirnn_fg_work *w, const float *x,
                       float *act_max);
/* Softmax cross-entropy of w->scores (from sirnn_fg_forward1 on the same x)
 * against label, plus w's range penalty; adds the gradient of that loss with
 * respect to every parameter to grad (nparams floats, laid out as
 * m->params). Returns the loss. */
float sirnn_fg_backward1(const sirnn_fastgrnn *m, sirnn_fg_work *w, const float *x,
                         unsigned label, float *grad);
/* Cross-entropy loss of scores against label (no gradient). */
float sirnn_fg_xent(const float *scores, unsigned classes, unsigned label);
/* Index of the largest score (lowest on ties). */
unsigned sirnn_fg_argmax(const float *scores, unsigned classes);

/* Adam (Kingma & Ba) with bias correction. */
typedef struct sirnn_adam {
    size_t n;
    float *m, *v;
    uint64_t t;
    float beta1, beta2, eps;
} sirnn_adam;

sirnn_status sirnn_adam_init(sirnn_adam *a, size_t n);
/* One step: params -= lr * mhat / (sqrt(vhat) + eps). */
void sirnn_adam_step(sirnn_adam *a, float *params, const float *grad, float lr);
void sirnn_adam_free(sirnn_adam *a);

#endif /* SIRNN_NN_FASTGRNN_H */
