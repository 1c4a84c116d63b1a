/*
 * The fixed-point plan of FastGRNN inference, shared by the cleartext
 * fixed-point model (nn/fixed_infer.c) and secure inference
 * (nn/secure_infer.c), so that both run the very same integer steps.
 *
 * The plan depends only on public information: the dimensions, the input
 * normalisation and the formats (sirnn_fg_public), which the server sends
 * to the client. The weights, quantised to the plan's formats, are the
 * server's (sirnn_fg_weights).
 *
 * The steps, b = the model's bit width (16 for the shipped model), all
 * values b-bit two's complement unless said otherwise, B images at a time:
 *   x      = xtab[pixel] (scale sx)                          [client, clear]
 *   WX     = X W^T for all T steps at once (B*T rows): one matmul with a
 *            truncation, or two (W2 then W1) for a low-rank W   (scale s_pre)
 * per step t, h16 / h32 = h_{t-1} as b-bit / 2b-bit shares (scale sh):
 *   UH     = h16 U^T (or U2 then U1)                         (scale s_pre)
 *            (U2's b-bit output goes to U1 with its MSB shares, from U2's
 *            truncation (sirnn_tr_ext_sign), so U1 gets the wrap of its
 *            operand by MSB-to-wrap terms: no comparison)
 *   pre_z  = WX_t + UH + bz',  pre_h = WX_t + UH + bh'       (scale s_pre)
 *            (with p->fuse, the sum WX_t + UH is truncated once instead of
 *            WX and UH each: see the field; with p->fuse_act that
 *            truncation rides in the digit decomposition of the sigmoid
 *            below, math/sig_pair.h)
 *   z      = sigmoid(pre_z)                                  (scale sz)
 *   c      = tanh(pre_h)                                     (scale sc = sz)
 *            (sz = the model's gate scale, b-2 unless set: a coarser one
 *            keeps the sigmoid of coarse pre-activations on its cheap path)
 *   P1, P2 = c * zeta', c * (zeta+nu)'  (one mult by the server's clear
 *            values, 2b bits)                                (scale sw = sc + s_zn)
 *   v      = h32 * 2^(sw - sh) - P1                          (2b bits, scale sw)
 *   R      = z * v + 2^sz * P2 mod 2^lr (one signed mult b x 2b -> lr bits,
 *            the MSB of z a public 0; lr - sz <= 2b, so 2^sz P2 mod 2^lr
 *            is local)
 *   h32    = floor(R / 2^s_h) in hw bits (tr_ext, with the MSB shares of h),
 *            h16 = h32 mod 2^b                                 (scale sh)
 * then scores = h16 FC^T + fcb' (scale s_sc) and the argmax, the first
 * maximum of the signed scores: every pair compared at once (the MSBs of
 * the differences and of the scores, one AND for the overflow), each
 * class's losses counted mod 2^m (2^m >= C), and sum_k k [losses_k == 0].
 *
 * floor(R / 2^s_h) always fits b bits (R has lr = b + s_h), so h32 is h16
 * sign-extended. The products that read h (U or U2, and FC) take h16 at b
 * bits with the MSB shares that the truncation gives in its own flights
 * (sirnn_tr_ext_sign): sirnn_matmul_clear_msb gets the wrap of the
 * operand's shares by MSB-to-wrap terms folded into its row COTs, so no
 * comparison and only b bit COTs (+ 2) per element. The result is the
 * same as from h32.
 *
 * This is h_t = z (h - zeta c) + (zeta + nu) c, which equals the cell of
 * nn.h: (zeta (1 - z) + nu) c + z h.
 *
 * With the state fold (fold below: when the model asks for it,
 * sirnn_fastgrnn_set_state_fold, and it fits), UH reads R_{t-1}
 * rather than h16 (U R, or U1' U2' R, in R's ring of lv bits) and v reads
 * h_{t-1} = floor(R_{t-1} / 2^s_h) in lv bits, so secure inference runs
 * h's truncation beside the next step's gates, and takes U R_t in the
 * flights of the step before (arith/wmm.h); the gates' sigmoid reads its
 * digits' carries without B2A and its rounding gives the gate products
 * g zeta', g (zeta + nu)' directly (sirnn_fg_act_secure_gates,
 * math/sig_pair.h), so the step ends on party 0's flight with the mult's
 * columns: 8 flights a step instead of 20 for the shipped Fashion-MNIST
 * model, for 2.5x the bytes at batch 1 (the product's corrections carry
 * lv-bit R instead of b-bit h; the sigmoid's tables twice and its
 * products' lookups); beyond B H = 512 the sigmoid takes the lean tail
 * alone and the gate products their own flights (12 a step, 1.4x the
 * bytes at 100 images). With low-rank U both U2' R and
 * U1' (U2' R) go that way (the client's share of U2' R is fixed before its
 * corrections go, so U1's corrections ride with them): the Google-30
 * keyword model 842 flights a sequence. Models with over 2^20 weight bits
 * in U (U1 and U2) take the products inside the step's group instead
 * (nn/secure_infer.c): more flights a step.
 */
#ifndef SIRNN_NN_FG_PLAN_H
#define SIRNN_NN_FG_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/nn.h"

/* The public description of a quantised model. */
typedef struct sirnn_fg_public {
    sirnn_fastgrnn_dims dims;
    float in_mean, in_std;
    sirnn_fixfmt tfmt[SIRNN_FG_NTENSORS];
    sirnn_fixfmt afmt[SIRNN_FG_NACTS];
    sirnn_fixfmt gate; /* the gates' format (bits 0: unset, scale b - 2) */
    int fold;          /* the model's state fold (nn.h), 0 or 1 */
} sirnn_fg_public;

/* Bytes of the encoded public description (the last one: the fold). */
#define SIRNN_FG_PUBLIC_BYTES (6 * 4 + 2 * 4 + 2 * (SIRNN_FG_NTENSORS + SIRNN_FG_NACTS + 1) + 1)

/* A matrix product by clear weights with its rescaling: out = ((A W) >> s)
 * mod 2^lout, then times 2^up (local). m: bits of A, k: of W, d2: the
 * inner dimension. When la - s < lout (a product much narrower than its
 * output format) the product is taken in lmm = la - s bits and
 * sign-extended. */
typedef struct sirnn_fg_mm {
    unsigned m, k, s, up, lout;
    unsigned lmm; /* the product's output bits: lout, or la - s < lout when the
                     sum is narrow, then sign-extended to lout (sirnn_sext) */
    int msb_in;   /* the operand's MSB shares are known (from the truncation
                     that produced it): the wrap of its shares by MSB-to-wrap
                     terms (sirnn_matmul_clear_msb), no comparison */
    int sign_out; /* the truncation gives the output's MSB shares
                     (sirnn_tr_ext_sign; set only with s > 0, lmm == lout,
                     up == 0), for a next product with msb_in */
    size_t d2, d3;
} sirnn_fg_mm;

typedef struct sirnn_fg_plan {
    sirnn_fastgrnn_dims d;
    unsigned b;        /* bits of the activations */
    int sx, s_pre, sh, sz, sc, s_zn, sw, s_sc;
    uint64_t xtab[256]; /* b-bit input value of each pixel */
    /* W x: w (full) or w2 then w1; U h: u, or u2 then u1; the classifier. */
    sirnn_fg_mm w, w1, w2, u, u1, u2, fc;
    unsigned lr, s_h;  /* R is reduced to lr bits and shifted by s_h */
    unsigned hw;       /* bits of h32 (2b) */
    /* Fused pre-activation truncation: the last W product (w or w1) and the
     * last U product (u or u1) are taken untruncated, aligned to the larger
     * of their shifts e_fuse, summed mod 2^(e_fuse + b) and truncated once:
     * sum = (WX 2^(e_fuse - s_W) + UH 2^(e_fuse - s_U)) mod 2^(e_fuse + b),
     * base = floor(sum / 2^e_fuse) mod 2^b, pre_z/h = base + bz'/bh'.
     * Set when both products truncate (s > 0) straight into b bits. */
    int fuse;
    unsigned e_fuse;
    /* With fuse, secure inference drops the e_fuse low bits of pre_z and
     * pre_h (sum + bz' 2^e_fuse, sum + bh' 2^e_fuse) in the digit
     * decomposition of the sigmoid's parabola path (math/sig_pair.h) rather
     * than by a truncation before it: the same values, 2 flights fewer per
     * step. Set when fuse is and f_pre -> f_z takes the poly path (a line
     * or a parabola; sirnn_sigmoid_pair_tr_fits). */
    int fuse_act;
    /* The state fold (with fuse_act): U (or U2) reads the untruncated
     * state R_{t-1} instead of h_{t-1} = floor(R_{t-1} / 2^s_h), so that
     * the state's truncation leaves the critical path (secure inference
     * runs it in the same flights as the next step's U R product and
     * activations, include/sirnn/group.h). R, v and h are then kept mod
     * 2^lv (R exact there: its value fits lr bits) and the product in R's
     * own ring (no wrap, no MSB). Full-rank U: e_fuse = u.s + s_h,
     * lv = e_fuse + b, U R mod 2^lv, and pre = floor((U R + WX 2^(e_fuse -
     * s_W)) / 2^e_fuse) + bias mod 2^b: the same truncation of a more exact
     * sum (no floor of h inside). Low-rank U likewise with U1' (U2' R), both
     * products mod 2^lv, no truncation between them: e_fuse = u2.s + u1.s +
     * s_h - dr1 - dr2, lv = e_fuse + b, where U1' and U2' are U1 and U2
     * rounded by dr1 and dr2 bits (dr2 = (dr1 + dr2) / 2 rounded down),
     * just enough that lv <= 63 and the sigmoid's digits take e_fuse
     * (sirnn_sigmoid_pair_tr_fits; the Google-30 keyword model: 3 and 4
     * bits of its 16). Costs bits (the products read lv-bit operands)
     * for flights. Without it lv = lr. Set only when the public
     * description asks for it (pub->fold) and it fits. */
    int fold;
    unsigned lv;
    /* With the fold and low-rank U: U1 and U2 rounded by dr1, dr2 bits
     * (U1' = floor((U1 + 2^(dr1 - 1)) / 2^dr1), likewise U2'), fk1, fk2
     * bits each (the server's weights hold them: sirnn_fg_weights_init). */
    unsigned dr1, dr2, fk1, fk2;
    sirnn_fixfmt f_pre, f_z, f_c; /* sigmoid / tanh formats */
} sirnn_fg_plan;

/* The server's weights in the plan's layout: transposed matrices (d2 x d3,
 * row-major, two's complement in uint64), biases rescaled to s_pre / s_sc. */
typedef struct sirnn_fg_weights {
    uint64_t *w, *w1, *w2, *u, *u1, *u2, *fc; /* NULL when unused */
    uint64_t *bz, *bh;   /* H each (b bits, scale s_pre) */
    uint64_t *fcb;       /* C (b bits, scale s_sc) */
    uint64_t zeta, zn;   /* zeta' and (zeta + nu)' (b bits, scale s_zn) */
    uint64_t *mem;
    size_t nmem;
} sirnn_fg_weights;

/* The public description of a quantised model m. SIRNN_ERR_ARG if m is
 * not quantised or lacks activation formats. */
sirnn_status sirnn_fg_public_from_model(sirnn_fg_public *pub, const sirnn_fastgrnn *m);
/* Encode to SIRNN_FG_PUBLIC_BYTES bytes; decode and validate. */
void sirnn_fg_public_encode(uint8_t *buf, const sirnn_fg_public *pub);
sirnn_status sirnn_fg_public_decode(sirnn_fg_public *pub, const uint8_t *buf);

/* The plan of a public description. SIRNN_ERR_ARG (with sirnn_last_error)
 * when the formats cannot be planned. */
sirnn_status sirnn_fg_plan_init(sirnn_fg_plan *p, const sirnn_fg_public *pub);
/* How many images go through secure inference at a time so that their
 * working memory fits in mem_bytes (at least 1): the server's pieces, from
 * its session_mem_bytes, which the client knows from the handshake
 * (nn/secure_infer.c). */
size_t sirnn_fg_piece_images(const sirnn_fg_plan *p, uint64_t mem_bytes);

/* The weights of m in the layout of p (p from m's public description). */
sirnn_status sirnn_fg_weights_init(sirnn_fg_weights *w, const sirnn_fg_plan *p,
                                   const sirnn_fastgrnn *m);
void sirnn_fg_weights_free(sirnn_fg_weights *w);

/* Cleartext fixed-point inference of n images under p and w: classes[i]
 * (may be NULL) and scores[i*C + k] (b-bit two's complement values at
 * scale s_sc; may be NULL). threads as in nn.h. Needs sirnn_ref_sigmoid
 * and sirnn_ref_tanh (math.h). */
sirnn_status sirnn_fg_fixed_run(const sirnn_fg_plan *p, const sirnn_fg_weights *w, size_t n,
                                uint8_t *classes, int32_t *scores, const uint8_t *images,
                                unsigned threads);

/*
 * The activations of one step, for n (image, unit) pairs at once: pre[0..n)
 * holds pre_z and pre[n..2n) pre_h (b-bit, scale s_pre); y[0..n) gets
 * z = sigmoid(pre_z) (b-bit, scale b - 2). tanh(x) = 2 sigmoid(2x) - 1,
 * so both are one sigmoid over 2n values (pre_h doubled locally), and the
 * secure version is one call. y[n..2n) gets c = tanh(pre_h) from _ref
 * (the cleartext model) and g = sigmoid(2 pre_h), c = 2 g - 2^(b-2), from
 * _secure (shares in and out), whose caller multiplies g rather than c
 * because g's MSB is a public 0. y must not alias pre.
 */
sirnn_status sirnn_fg_act_ref(const sirnn_fg_plan *p, size_t n, uint64_t *y,
                              const uint64_t *pre);
struct sirnn_party;
sirnn_status sirnn_fg_act_secure(struct sirnn_party *party, const sirnn_fg_plan *p, size_t n,
                                 uint64_t *y, const uint64_t *pre);
/* The same with p->fuse_act from the untruncated sums: xz[n] = sum +
 * bz' 2^e_fuse and xh[n] = sum + bh' 2^e_fuse mod 2^(e_fuse + b) (shares),
 * pre_z = floor(xz / 2^e_fuse), pre_h likewise: y as from
 * sirnn_fg_act_secure on those pre-activations. */
sirnn_status sirnn_fg_act_secure_tr(struct sirnn_party *party, const sirnn_fg_plan *p, size_t n,
                                    uint64_t *y, const uint64_t *xz, const uint64_t *xh);

/* With the fold (nn/secure_infer.c): z into z[n] as above and, instead of
 * g, the gate products pg[2i + f] = g_i s_f mod 2^lv for party 0's signed
 * scalars s (NULL on party 1), the rounding of the sigmoid fused with them
 * (sirnn_sigmoid_pair_gates, math/sig_pair.h): the step's gates and
 * products one flight each way shorter. _fits: whether the plan takes it. */
sirnn_status sirnn_fg_act_secure_gates(struct sirnn_party *party, const sirnn_fg_plan *p,
                                       size_t n, uint64_t *z, uint64_t *pg, const uint64_t *xz,
                                       const uint64_t *xh, const int64_t *s);
int sirnn_fg_act_gates_fits(const sirnn_fg_plan *p);

/* The b-bit value v as a signed integer. */
int64_t sirnn_fg_signed(uint64_t v, unsigned b);

#endif /* SIRNN_NN_FG_PLAN_H */
