/*
 * libsirnn cleartext machine learning: the FastGRNN model (Kusupati et al.,
 * NeurIPS 2018) that secure inference runs, its float inference and
 * training, its quantisation to fixed point, its model file, and the
 * Fashion-MNIST loader.
 *
 * The cell, on a sequence x_1..x_T of D-vectors, with h_0 = 0:
 *   z_t = sigmoid(W x_t + U h_{t-1} + b_z)
 *   h_t = (zeta (1 - z_t) + nu) ⊙ tanh(W x_t + U h_{t-1} + b_h) + z_t ⊙ h_{t-1}
 *   scores = W_c h_T + b_c          (C classes; the prediction is the argmax)
 * W may be low-rank, W = W1 · W2 (rank rw), and so may U = U1 · U2 (rank ru).
 * zeta = sigmoid(zeta_raw) and nu = sigmoid(nu_raw) are learned scalars.
 * The input x_t is the t-th row of an image, normalised as
 *   x = (pixel / 255 - in_mean) / in_std.
 *
 * Errors: every call returns a sirnn_status; sirnn_last_error() (party.h)
 * then gives a one-line message for the calling thread (which file, which
 * field, which value). Everything up to the model file is cleartext, the
 * model owner's side, and touches no party; the last section runs secure
 * two-party inference on a party (party.h).
 *
 * Threads: calls that take a `threads` argument run OpenMP over examples
 * (0 = every processor). Results are bit-for-bit identical for any thread
 * count.
 */
#ifndef SIRNN_NN_H
#define SIRNN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"
#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Datasets -------------------------------------------------------------- */

/* Images of rows x cols 8-bit pixels with one label each, row-major, image i at
 * images + i * rows * cols. An image is read by the RNN as a sequence of
 * `rows` steps of `cols` features. */
typedef struct sirnn_dataset {
    size_t n;
    uint32_t rows, cols;
    uint32_t classes; /* 1 + the largest label */
    uint8_t *images;  /* n * rows * cols */
    uint8_t *labels;  /* n */
} sirnn_dataset;

/* The directory of the Debian package dataset-fashion-mnist. */
#define SIRNN_FASHION_DIR "/usr/share/datasets/fashion-mnist"

/*
 * Load an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions)
 * and its IDX label file (0x00000801), each gzipped or plain. Every field is
 * validated: magic numbers, 1 <= rows, cols <= 4096, the same count in both
 * files, and exactly the announced number of bytes (a truncated, corrupt or
 * over-long file is an error). max_n > 0 keeps only the first max_n
 * examples. On error *out is zeroed and SIRNN_ERR_IO (unreadable or corrupt
 * gzip), SIRNN_ERR_ARG (bad content) or SIRNN_ERR_NOMEM is returned.
 */
SIRNN_API sirnn_status sirnn_dataset_load_idx(sirnn_dataset *out, const char *images_path,
                                              const char *labels_path, size_t max_n);
/*
 * Fashion-MNIST from dir (NULL: $SIRNN_FASHION_DIR if set, else
 * SIRNN_FASHION_DIR): the 60,000 training images (train != 0) or the 10,000
 * test images. Also checks 28 x 28 images and labels 0..9.
 */
SIRNN_API sirnn_status sirnn_fashion_load(sirnn_dataset *out, const char *dir, int train,
                                          size_t max_n);
/* Free the arrays and zero *ds. NULL is a no-op. */
SIRNN_API void sirnn_dataset_free(sirnn_dataset *ds);

/* ---- The model ------------------------------------------------------------- */

typedef struct sirnn_fastgrnn_dims {
    uint32_t input;   /* D, features per step, 1..4096 */
    uint32_t steps;   /* T, sequence length, 1..4096 */
    uint32_t hidden;  /* H, 1..1024 */
    uint32_t rank_w;  /* 0: W is a full H x D matrix; else 1..min(H, D) */
    uint32_t rank_u;  /* 0: U is a full H x H matrix; else 1..H */
    uint32_t classes; /* C, 2..1024 */
} sirnn_fastgrnn_dims;

/* Quantised values use sirnn_fixfmt (fixed.h): signed, 2..32 bits, the
 * value q / 2^scale. A format with bits == 0 is not set. */

/* The parameter tensors, in storage order. A tensor of the unused form has
 * 0 x 0 elements: W when rank_w > 0, W1 and W2 when rank_w == 0 (same for U). */
typedef enum sirnn_fg_tensor {
    SIRNN_FG_W = 0, /* H x D */
    SIRNN_FG_W1,    /* H x rw */
    SIRNN_FG_W2,    /* rw x D */
    SIRNN_FG_U,     /* H x H */
    SIRNN_FG_U1,    /* H x ru */
    SIRNN_FG_U2,    /* ru x H */
    SIRNN_FG_BZ,    /* 1 x H */
    SIRNN_FG_BH,    /* 1 x H */
    SIRNN_FG_ZETA,  /* 1 x 1: float is zeta_raw; quantised is sigmoid(zeta_raw) */
    SIRNN_FG_NU,    /* 1 x 1: float is nu_raw; quantised is sigmoid(nu_raw) */
    SIRNN_FG_FCW,   /* C x H, the classifier W_c */
    SIRNN_FG_FCB,   /* 1 x C, the classifier b_c */
    SIRNN_FG_NTENSORS
} sirnn_fg_tensor;

/* Intermediate values whose ranges are profiled on data for quantisation
 * (the SeeDot way). Per step t: X = x_t (normalised), W2X = W2 x_t (low-rank
 * W only), WX = W x_t, U2H = U2 h_{t-1} (low-rank U only), UH = U h_{t-1},
 * PRE_Z = WX + UH + b_z, PRE_H = WX + UH + b_h, H = h_t; then SCORES. */
typedef enum sirnn_fg_act {
    SIRNN_FG_ACT_X = 0,
    SIRNN_FG_ACT_W2X,
    SIRNN_FG_ACT_WX,
    SIRNN_FG_ACT_U2H,
    SIRNN_FG_ACT_UH,
    SIRNN_FG_ACT_PRE_Z,
    SIRNN_FG_ACT_PRE_H,
    SIRNN_FG_ACT_H,
    SIRNN_FG_ACT_SCORES,
    SIRNN_FG_NACTS
} sirnn_fg_act;

typedef struct sirnn_nn_tensor {
    uint32_t rows, cols; /* row-major; rows * cols elements (0 if unused) */
    float *f;            /* float values (points into sirnn_fastgrnn.params) */
    int32_t *q;          /* quantised values (into .qparams), NULL if not quantised */
    float maxabs;        /* largest |value| that was quantised */
    sirnn_fixfmt fmt;    /* q[i] = round(value * 2^scale), |q[i]| < 2^(bits-1) */
} sirnn_nn_tensor;

/*
 * A FastGRNN classifier. The struct is the one description shared by the
 * float, fixed-point and secure forms; read it freely, but create, change
 * and free it only through these functions.
 */
typedef struct sirnn_fastgrnn {
    sirnn_fastgrnn_dims dims;
    float in_mean, in_std;  /* input normalisation, in_std > 0 */
    size_t nparams;         /* float parameters (all tensors) */
    float *params;          /* the tensors, concatenated in sirnn_fg_tensor order */
    int32_t *qparams;       /* the same, quantised; NULL until quantised */
    int quantised;          /* non-zero after sirnn_fastgrnn_quantise or loading one */
    sirnn_nn_tensor t[SIRNN_FG_NTENSORS];
    float act_maxabs[SIRNN_FG_NACTS];   /* profiled ranges (0 if not profiled) */
    sirnn_fixfmt act_fmt[SIRNN_FG_NACTS];
    /* The format of the gates z = sigmoid(pre_z) and g = sigmoid(2 pre_h)
     * in fixed-point and secure inference: unset (bits 0, the default and
     * every model file of version 1) means b bits at scale b - 2; set with
     * sirnn_fastgrnn_set_gate_scale. */
    sirnn_fixfmt gate_fmt;
    /* The state fold (sirnn_fastgrnn_set_state_fold): 0 (the default and
     * every model file before version 3) or 1. Part of the model: it
     * changes the fixed-point steps, and the client plans with it. */
    int state_fold;
} sirnn_fastgrnn;

/* A model of the given dimensions with zero weights, in_mean 0, in_std 1.
 * SIRNN_ERR_ARG if a dimension is out of bounds. */
SIRNN_API sirnn_status sirnn_fastgrnn_new(sirnn_fastgrnn **out, const sirnn_fastgrnn_dims *dims);
/* Random initial weights from seed (Glorot-uniform matrices, b_z = b_h = 1,
 * zeta_raw = 1, nu_raw = -4 as in the FastGRNN paper); drops quantisation. */
SIRNN_API sirnn_status sirnn_fastgrnn_init(sirnn_fastgrnn *m, uint64_t seed);
/* NULL is a no-op. */
SIRNN_API void sirnn_fastgrnn_free(sirnn_fastgrnn *m);
/* sigmoid(zeta_raw), sigmoid(nu_raw). */
SIRNN_API float sirnn_fastgrnn_zeta(const sirnn_fastgrnn *m);
SIRNN_API float sirnn_fastgrnn_nu(const sirnn_fastgrnn *m);

/*
 * Float inference on n images of steps x input pixels each (image i at
 * images + i * T * D). classes[i] receives the argmax (lowest index on
 * ties), scores (NULL allowed) the n x C scores. Outputs must not alias the
 * input. threads: see above.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_predict(const sirnn_fastgrnn *m, size_t n,
                                              uint8_t *classes, float *scores,
                                              const uint8_t *images, unsigned threads);
/* The same on already normalised inputs: x holds n x T x D floats. */
SIRNN_API sirnn_status sirnn_fastgrnn_forward(const sirnn_fastgrnn *m, size_t n, float *scores,
                                              const float *x, unsigned threads);
/* Fraction of the first n examples of ds (n == 0 or n > ds->n: all) that
 * the float model classifies correctly, in *accuracy. ds must match the
 * model's steps x input. */
SIRNN_API sirnn_status sirnn_fastgrnn_accuracy(const sirnn_fastgrnn *m, double *accuracy,
                                               const sirnn_dataset *ds, size_t n,
                                               unsigned threads);

/*
 * Quantise: every parameter tensor gets `bits` bits (2..32) and the largest
 * scale that keeps its largest |value| representable, round(|v| 2^s) <=
 * 2^(bits-1) - 1 (SeeDot's rule; the scale is clamped to -60..60). The
 * intermediate values of sirnn_fg_act are profiled by float inference on
 * the first n_calib examples of calib (calib NULL or n_calib 0: not
 * profiled, act_fmt left unset) and get formats by the same rule.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_quantise(sirnn_fastgrnn *m, unsigned bits,
                                               const sirnn_dataset *calib, size_t n_calib,
                                               unsigned threads);

/*
 * The scale of the gates (gate_fmt) of a quantised model with activation
 * formats: scale 5..b-2 sets it (b = the activations' bits), 0 unsets it
 * (scale b - 2), SIRNN_FG_GATE_CHEAP picks the largest scale, down to
 * b - 6, at which the secure sigmoid of the model's pre-activation format
 * takes its cheapest path (one line per 256 input steps: at 16 bits, on
 * the default backend, 8,647 bits per value at input scale 11 and gate
 * scale 12, against 19,362 for the parabola of input scale 11 at gate
 * scale 14), and unsets
 * it when there is none. A coarser gate scale lets coarse (large)
 * pre-activations keep the cheap sigmoid, at the price of the gates'
 * precision (2^-scale): check the fixed-point accuracy. Quantising again
 * unsets it. SIRNN_ERR_ARG for a model that is not quantised or cannot be
 * planned, or a scale out of range.
 */
#define SIRNN_FG_GATE_CHEAP (-1)
SIRNN_API sirnn_status sirnn_fastgrnn_set_gate_scale(sirnn_fastgrnn *m, int scale);

/*
 * The state fold (nn/fg_plan.h), on (1) or off (0, the default): with it
 * the recurrent product U (or U2 of a low-rank U) reads the untruncated
 * state R_{t-1} rather than h_{t-1}, so the state's truncation leaves the
 * critical path of secure inference. It trades bytes for flights, so pick
 * it for latency (one query over a WAN) and leave it off for bandwidth (a
 * LAN or large batches). The shipped Fashion-MNIST model, default backend
 * (SoftSpokenOT), `sirnn demo --net wan` (400 Mbit/s, 40 ms round trip):
 *   off: 1 image: 20 flights a step, 578 flights, 8.90 MB, 12.85 s;
 *        100 images: 708 flights, 872 MB, 37.7 s.
 *   on:  1 image: 8 flights a step, 250 flights, 22.46 MB, 5.8 s;
 *        100 images: 494 flights, 1,207 MB, 39.3 s (slower).
 * The shipped keyword model (Google-30, B = 1, `sirnn-bench fastgrnn`):
 * off 2,806 flights, 92.5 MB; on 842 flights, 247.4 MB, 23.6 s on `wan`.
 * With the fold the gates' sigmoid takes its lean tails too
 * (math/sig_pair.h: the same values; up to 512 (image, hidden unit)
 * pairs a step, its digits' carries without B2A and its rounding fused
 * with the gate products, 4 flights fewer a step for more bytes). `sirnn
 * demo` turns it on for one image (--fold / --no-fold choose).
 * The fold changes the fixed-point model (the same steps in
 * sirnn_fastgrnn_predict_fixed and secure inference, whose results stay
 * equal either way; its pre-activations are one truncation of a more
 * exact sum, so its scores may differ from those without it in the last
 * bits), so it is a property of the model: the public
 * description sent to the client carries it, and model files keep it
 * (version 3). The plan uses it only where it fits (the pre-activation
 * truncation fused into the sigmoid, and the wider state within 64 bits);
 * elsewhere the model runs as without it. SIRNN_ERR_ARG for m NULL or on
 * not 0 or 1.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_set_state_fold(sirnn_fastgrnn *m, int on);

/* The format sirnn_fastgrnn_quantise chooses for max |value| = maxabs. */
SIRNN_API sirnn_fixfmt sirnn_nn_choose_fmt(float maxabs, unsigned bits);

/* ---- Training -------------------------------------------------------------- */

typedef struct sirnn_train_progress {
    unsigned epoch, epochs;     /* 1-based current epoch, total */
    size_t batch, batches;      /* minibatches done in this epoch, per epoch */
    double loss;                /* mean cross-entropy so far in this epoch */
    double train_accuracy;      /* on the examples seen so far in this epoch */
    double test_accuracy;       /* after the epoch (epoch_done), else < 0 */
    double elapsed_s, left_s;   /* wall time since the start, estimate left */
    int epoch_done;
} sirnn_train_progress;

typedef void (*sirnn_train_progress_fn)(void *ctx, const sirnn_train_progress *p);

typedef struct sirnn_train_opts {
    unsigned epochs;   /* default 12 */
    unsigned batch;    /* minibatch size, default 64 */
    float lr;          /* Adam step size, default 0.008, cosine-decayed to lr / 20 */
    float clip;        /* global gradient-norm clip, default 5 (0: off) */
    unsigned threads;  /* 0 = every processor */
    uint64_t seed;     /* shuffling (initialise the weights separately) */
    int per_feature;   /* non-zero: normalise each feature (column) by its own
                          training mean and deviation, folded into W and the
                          biases when training ends (default 0) */
    /* Range penalty (default 0: off): with pre_weight > 0 the objective gains
     * pre_weight * the sum over steps and units of max(0, |p| - pre_limit)^2
     * for p = W x_t, U h_{t-1}, pre_z and pre_h, keeping them within
     * +-pre_limit so that quantisation keeps their scale fine (the sigmoid
     * of secure inference is cheaper at finer input scales). */
    float pre_limit;
    float pre_weight;
    sirnn_train_progress_fn progress; /* called every few minibatches and after each epoch */
    void *progress_ctx;
} sirnn_train_opts;

SIRNN_API sirnn_train_opts sirnn_train_opts_default(void);

/*
 * Train m in place with minibatch Adam on the softmax cross-entropy, with
 * backpropagation through time in float32. Sets in_mean/in_std from the
 * training pixels first (with opts->per_feature, training also scales and
 * shifts each feature to mean 0 and deviation 1, and the trained model
 * computes exactly that: the per-feature affine map is folded into W, or
 * W2 for a low-rank W, and into b_z and b_h). test (may be NULL) is evaluated after each epoch.
 * Deterministic for a given model, data and options, whatever the thread
 * count: a minibatch is cut into fixed slices whose gradients are summed in
 * order. Drops any quantisation.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_train(sirnn_fastgrnn *m, const sirnn_train_opts *opts,
                                            const sirnn_dataset *train,
                                            const sirnn_dataset *test);

/* ---- Model file ------------------------------------------------------------ */

/*
 * The file (all integers and floats little-endian, floats IEEE binary32):
 *   "SIRNNFG\0", u32 version (2), u32 total file size,
 *   u32 D, T, H, rw, ru, C, f32 in_mean, in_std, u32 quantised (0/1),
 *   12 x { u32 rows, cols, u8 bits, i8 scale, u8 is_signed, u8 0, f32 maxabs },
 *   9 x { u8 bits, i8 scale, u8 is_signed, u8 0, f32 maxabs },
 *   the gate format { u8 bits, i8 scale, u8 is_signed, u8 fold, f32 0 }
 *   (versions 2 and 3; bits, scale, is_signed all zero when unset; fold:
 *   the state fold, 0 or 1, version 3 only, 0 in version 2),
 *   the float tensors (f32), then, if quantised, the quantised ones (i32),
 *   SHA-256 of every byte before it.
 * Files of version 1 (without the gate format) still load, with the gate
 * format unset, and those of versions 1 and 2 with the state fold off;
 * saving writes version 3 for a quantised model with the state fold on
 * (which older readers refuse rather than run without it) and version 2
 * otherwise.
 * Loading checks every field: magic, version, size, dimensions and their
 * bounds, each tensor's shape against the dimensions, formats (a set gate
 * format: the bits of the hidden state, scale 5..bits-2), finite floats,
 * in_std > 0, quantised values within their bits, and the checksum.
 * Errors: SIRNN_ERR_IO (cannot open/read/write), SIRNN_ERR_ARG (anything
 * wrong in the content, with sirnn_last_error() saying what),
 * SIRNN_ERR_UNSUPPORTED (another version), SIRNN_ERR_NOMEM.
 */
#define SIRNN_MODEL_VERSION 3

SIRNN_API sirnn_status sirnn_fastgrnn_save(const sirnn_fastgrnn *m, const char *path);
SIRNN_API sirnn_status sirnn_fastgrnn_load(sirnn_fastgrnn **out, const char *path);
/* The same in memory: *buf is malloc'ed (free it with free()). */
SIRNN_API sirnn_status sirnn_fastgrnn_encode(const sirnn_fastgrnn *m, uint8_t **buf, size_t *len);
SIRNN_API sirnn_status sirnn_fastgrnn_decode(sirnn_fastgrnn **out, const uint8_t *buf,
                                             size_t len);

/* ---- Fixed-point inference ------------------------------------------------ */

/*
 * The integer computation that secure inference performs, in the clear
 * (bit for bit what sirnn_fastgrnn_query returns), on a quantised model
 * with activation formats (sirnn_fastgrnn_quantise with calibration data,
 * or a loaded model file). Widths, b = the activations' bits (16 for the
 * shipped model), every value b-bit two's complement unless said:
 *   - the input x = round(normalised pixel * 2^s) saturated, s the format
 *     of SIRNN_FG_ACT_X;
 *   - W x_t and U h_{t-1}: exact sums of products, truncated (floor) to the
 *     pre-activation scale, the smallest scale of WX, UH, PRE_Z and PRE_H
 *     minus 1 (one bit of headroom); biases rounded to it;
 *   - z = sigmoid(pre_z) and tanh(pre_h) = 2 sigmoid(2 pre_h) - 1 by the
 *     sigmoid model of math.h, both at the gate scale (gate_fmt: b - 2
 *     unless set);
 *   - h_t = z (h - zeta c) + (zeta + nu) c with zeta and zeta + nu at b
 *     bits, the products exact in 2b and 3b bits, floored once to h's scale
 *     (the scale of SIRNN_FG_ACT_H minus 1, at most b - 3), h kept in 2b bits;
 *   - scores = W_c h_T + b_c at the scale of SIRNN_FG_ACT_SCORES minus 1, and
 *     the argmax: the first maximum of the scores as signed b-bit values
 *     (ties: the lower index).
 * Values outside a format wrap (mod 2^b) exactly as in the secure version.
 * classes[i] (NULL allowed) gets the argmax, scores (NULL allowed; not
 * both NULL) the n x C scores as integers in the format of
 * sirnn_fastgrnn_score_fmt. Images as in sirnn_fastgrnn_predict; threads:
 * see the top. SIRNN_ERR_ARG for a model that is not quantised, lacks
 * activation formats, or whose formats cannot be planned (the message says
 * which); classes needs C <= 256.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_predict_fixed(const sirnn_fastgrnn *m, size_t n,
                                                    uint8_t *classes, int32_t *scores,
                                                    const uint8_t *images, unsigned threads);
/* The format of the fixed-point (and secure) scores of m. */
SIRNN_API sirnn_status sirnn_fastgrnn_score_fmt(const sirnn_fastgrnn *m, sirnn_fixfmt *fmt);

/* ---- Secure two-party inference ---------------------------------------------- */

/*
 * The server (party 0) holds a quantised model, the client (party 1) a
 * batch of images; the client learns the predicted classes (and, if the
 * server allows it and the client asks, the scores); the server learns
 * nothing but the batch size and the image shape. The weights never leave
 * the server; the client's pixels never leave the client except as
 * uniformly random shares. What both learn in the clear: the dimensions,
 * the input normalisation and the fixed-point formats of the model (the
 * server sends them), and n.
 *
 * One query is one batch: the client sends its request (n, image shape,
 * whether it wants scores) and the server answers (accepted, with the
 * model's public description, or refused with a reason); then the client
 * shares its quantised inputs, and every step of the plan above runs for
 * the whole batch at once: W x_t for all steps in one matrix product,
 * then per step U h_{t-1}, or with the state fold
 * (sirnn_fastgrnn_set_state_fold) U R_{t-1} (nn/fg_plan.h: U, or U2,
 * reads the untruncated state in its own ring; taken at the end of the
 * step before by a product in two phases whose OTs party 0 chooses on its
 * weight bits (arith/wmm.h), so it costs no flight of its own, or for
 * models with over 2^20 weight bits in it by sirnn_matmul_clear; U1
 * reads U2's output at b bits
 * with the MSB shares of its truncation), both
 * activations in one call whose digit decomposition also drops the low
 * bits of U h + W x (sirnn_sigmoid_pair_tr: the truncation of the
 * pre-activations rides in the sigmoid's digits; sirnn_sigmoid after a
 * truncation for formats off the poly path), c [zeta, zeta + nu]
 * (sirnn_matmul_clear_msb, the
 * server's operand), z v + 2^sz P2 (sirnn_mult_lean, z's sign a public 0,
 * the server choosing, so that it joins the flights before and after it)
 * and the rescaling of h (sirnn_tr_ext), which with the fold runs in the
 * same flights as the next step's U R product and activations
 * (sirnn_group_run); the
 * classifier; the argmax (all pairs
 * of scores compared at once: one sirnn_msb, sirnn_and, sirnn_b2a and
 * sirnn_lut call, 9 flights, instead of a tree of ceil(log2 C) comparison
 * and MUX rounds); the reveal to the client. So the flights
 * of a batch do not depend on n, and the result equals
 * sirnn_fastgrnn_predict_fixed exactly.
 *
 * Costs (one lane, both parties, measured): Google-30 shape (input 32,
 * hidden 100, ranks 16 / 35, 99 steps, 16 bits; `sirnn-bench fastgrnn`):
 * with the default SoftSpokenOT (ot_k = 4), 98.2 MB and 2,806 flights per
 * sequence without the state fold, 216.1 MB and 842 flights with it
 * (per step: the truncation of U1' U2' R + W x in the digits of sigmoid
 * and tanh (sirnn_trdig2_carries, then the poly path's lookups on the raw
 * digits and carries, its product, and its rounding fused with the gate
 * products, math/sig_pair.h), with the rescaling of h in the same
 * flights; then the mult, with the next U2' R and U1' (U2' R) riding in
 * its flights, both by weight-bit products in R's ring of 63 bits (U1, U2
 * rounded by a few bits to fit it, nn/fg_plan.h): 8 flights a step
 * against 28 without the fold, for 2.2x the bytes);
 * with IKNP (ot_k = 1), 128.1 MB per sequence without the fold and 328.8
 * MB with it (the weight-bit product's columns cost 128 bits per OT there)
 * at B = 1. The shipped Fashion-MNIST model (H = 32, 28 steps, default
 * backend, trained with its pre-activations within +-3.5 so that the
 * sigmoid reads scale 12): without the state fold 8.90 MB and 578 flights
 * for one image (20 flights a step), 8.72 MB per image and 708 flights
 * for 100; with it 22.46 MB and 250
 * flights for one image (8 flights a step: the gates and the gate
 * products 7 with h's truncation alongside, the mult 1 with the next U R
 * in it), 20.43 MB per image and 262 flights for a batch of 16; from 17
 * images on (B H > 512, where the 4 flights a step no longer pay for the
 * bytes on a WAN) the gates take the lean tail alone and the gate
 * products their own flights (12 a step): 12.16 MB per image and 374
 * flights for 17, 12.07 MB and 494 flights for 100.
 * The shipped keyword model (the Google-30 shape, trained): 92.5 MB and
 * 2,806 flights per clip at B = 1 without the fold (fewer bytes than
 * random weights), 247.4 MB and 842 flights with it (more than with
 * random weights). Without the fold its
 * pre-activations need a coarser scale (s_pre = 10), where the sigmoid
 * into scale 14 would take its parabola, so
 * its gates are at scale 10 (gate_fmt), where a line is precise enough,
 * and the gate
 * products are narrower. Flights per
 * batch do not grow with n until the sub-protocols' chunks (a few
 * thousand values) split a step.
 *
 * Errors: a refused query (shape, batch size, scores not served, model not
 * servable) returns SIRNN_ERR_ARG (SIRNN_ERR_UNSUPPORTED for scores) on
 * both sides with the reason in sirnn_party_last_error(); the session stays
 * usable. An I/O error or a peer leaving marks the party broken, as
 * everywhere (party.h).
 */

/* sirnn_fastgrnn_serve flags: reveal the scores to a client that asks. */
#define SIRNN_FG_SERVE_SCORES 1u

/* Progress of a query: `done` of `total` stages finished. */
typedef void (*sirnn_fastgrnn_progress_fn)(void *ctx, unsigned done, unsigned total);

/* What the client learns of the model. */
typedef struct sirnn_fastgrnn_info {
    sirnn_fastgrnn_dims dims;
    sirnn_fixfmt score_fmt; /* the scores' format */
    int scores_revealed;    /* the scores were revealed */
} sirnn_fastgrnn_info;

/*
 * Server: answer one query of the client with the quantised model m.
 * *served gets the number of images classified; 0 with SIRNN_OK means the
 * client ended the session (sirnn_fastgrnn_query with n = 0). flags:
 * SIRNN_FG_SERVE_SCORES or 0. Secrets: the weights (never sent).
 * Limits (the party's config): batches over max_batch are refused; a batch
 * runs in pieces whose working memory fits in session_mem_bytes, allocated
 * piece by piece; the request must arrive within timeout_ms, and each piece
 * of k images must be done within timeout_ms * (1 + ceil(k / 64)), so a
 * slow or stalling client is dropped in time proportional to its work.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_serve(sirnn_party *party, size_t *served,
                                            const sirnn_fastgrnn *m, unsigned flags);
/*
 * Client: classify n images of rows x cols pixels (image i at images + i
 * * rows * cols; rows = the model's steps, cols its input) into
 * classes[n]. scores (NULL: not asked for) receives the n x C scores, as
 * integers in info->score_fmt, and must hold scores_len >= n * C entries.
 * info (NULL allowed) receives the model's public description. n = 0 ends
 * the session (the server's sirnn_fastgrnn_serve returns with *served = 0).
 * progress (NULL allowed) is called on this thread with progress_ctx after
 * each recurrent step (done = 1..steps) and once more at the end (done =
 * steps + 1, total = steps + 1), for each piece of the batch.
 * Limits: n may not exceed the server's max_batch (learned in the
 * handshake: SIRNN_ERR_ARG before anything is sent); the batch goes
 * through in pieces of as many images as fit in the server's
 * session_mem_bytes (also from the handshake; results identical, more
 * flights).
 * Secrets: the images (only shares are sent); the classes are revealed to
 * this party only.
 */
SIRNN_API sirnn_status sirnn_fastgrnn_query(sirnn_party *party, size_t n, uint8_t *classes,
                                            int32_t *scores, sirnn_fastgrnn_info *info,
                                            const uint8_t *images, uint32_t rows,
                                            uint32_t cols, size_t scores_len,
                                            sirnn_fastgrnn_progress_fn progress,
                                            void *progress_ctx);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_NN_H */
