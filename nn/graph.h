/*
 * Graph internals shared by the builder, the model file, the float and
 * quantised executors: the geometry of a node, the output shape an
 * operator gives, and the quantisation choices both integer executors read.
 */
#ifndef SIRNN_NN_GRAPH_H
#define SIRNN_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/graph.h"

/* The geometry of a CONV or pool node: input C x H x W, output M x OH x OW,
 * kernel KH x KW, groups G (1 for pools), per-group input channels Cg =
 * C / G and output channels Mg = M / G. */
typedef struct sirnn_gconv {
    uint32_t C, H, W, M, OH, OW, KH, KW, SH, SW, PT, PL, G, Cg, Mg;
} sirnn_gconv;

/* The geometry of node nd of g (a CONV, MAXPOOL or AVGPOOL node). */
void sirnn_graph_conv_geom(const sirnn_graph *g, const sirnn_gnode *nd, sirnn_gconv *cv);

/* The output shape of nd over the tensors of g, checked: SIRNN_ERR_ARG with
 * a message naming the node when it does not fit. For RESHAPE, the shape
 * already in the output tensor is kept and checked against the input. */
sirnn_status sirnn_graph_infer(const sirnn_graph *g, const sirnn_gnode *nd, uint32_t *rank,
                               uint32_t dims[SIRNN_GRAPH_MAX_RANK]);

/* Per-tensor widths (sirnn_graph_quantise_widths): whether an operator's
 * output width may be chosen (8 or the graph's act_bits): DENSE, CONV, MUL,
 * MUL_CONST, ADD, SUB, ADD_CONST, GATHER; the math operators' outputs are
 * act_bits wide, the others' (RELU, CLIP, pools, RESHAPE, ARGMAX) as wide as
 * their input. */
int sirnn_graph_width_free(uint32_t op);
/* The width node nd computes in: its output's for DENSE and CONV (which read
 * their input at its own width, a mixed-width product), else the widest of
 * its inputs and output (narrower inputs are sign-extended to it first, a
 * narrower output is its value mod 2^bits). */
unsigned sirnn_graph_node_bits(const sirnn_graph *g, const sirnn_gnode *nd);
/* Whether some tensor of quantised g is narrower than act_bits. */
int sirnn_graph_mixed(const sirnn_graph *g);

/* K, the length of the dot products of a DENSE node (its input's last dim). */
uint32_t sirnn_graph_dense_k(const sirnn_graph *g, const sirnn_gnode *nd);

/* Bits of a DENSE / CONV accumulator: b + kw + ceil(log2 d2). */
unsigned sirnn_graph_acc_bits(unsigned b, unsigned kw, size_t d2);

/* CLIP's bounds at the input's scale: *has_lo / *has_hi are 0 when the bound
 * is absent or beyond the b-bit range (then it cannot bind). */
void sirnn_graph_clip_bounds(const sirnn_graph *g, const sirnn_gnode *nd, int64_t *lo,
                             int *has_lo, int64_t *hi, int *has_hi);

/* round(v 2^scale) saturated to `bits` signed bits. */
int64_t sirnn_graph_quant(double v, int scale, unsigned bits);

/* The format of the constant 1 that RECIP divides: b bits, scale b - 2. */
sirnn_fixfmt sirnn_graph_one_fmt(unsigned b);

/* Pad value of MAXPOOL and the bits of AVGPOOL's reciprocal (see graph.h). */
int64_t sirnn_graph_maxpool_pad(unsigned b);

/* Each node's level in the secure schedule (one more than the highest level
 * of the nodes writing its inputs; the graph's input is level 0) into
 * level[nnodes], using tlev[ntensors] as scratch; returns the top level. */
uint32_t sirnn_graph_levels(const sirnn_graph *g, uint32_t *level, uint32_t *tlev);

/* Whether node nd runs TANH as 2 sigmoid(2x) - 1 (at b > 8 bits: one
 * sigmoid call then serves the sigmoids and tanhs of a level): the sigmoid
 * reads x's bits at one scale less and outputs at scale b - 2, and y = 2s -
 * 2^(b-2) is local. */
int sirnn_graph_tanh_by_sigmoid(unsigned b, const sirnn_gnode *nd);

/* Tensors whose every value has a public MSB of 0 in the integer executors
 * (exactly, wrap-around included): RELU, SIGMOID, EXP and RSQRT outputs, and
 * MAXPOOL without padding, RESHAPE and GATHER (shifting no value up) of such
 * tensors, into nonneg[ntensors]. */
void sirnn_graph_find_nonneg(const sirnn_graph *g, uint8_t *nonneg);

/*
 * The integer executors' fusion plan of a quantised graph (b > 8 bits; an
 * 8-bit graph gets an empty plan), a function of the public structure and
 * formats only:
 *   wide[t]: the product (DENSE, MUL, MUL_CONST) or sum (ADD, SUB,
 *     ADD_CONST) writing t leaves it untruncated: its value mod 2^R[t] at
 *     scale S[t] (the exact scale of the product; a sum's highest input
 *     scale). Every reader of a wide tensor is a sum or a lean product's y,
 *     and at most one of them is a truncation point.
 *   tpoint[i]: node i is a sum with a wide input and a b-bit output: it
 *     adds its inputs aligned to scale tS[i] mod 2^(tS[i] - s_out + b) and
 *     truncates once (so a product followed by an Add costs one
 *     truncation, and so do two products added together).
 *   lean[i]: MUL / MUL_CONST i with a wide output runs as sirnn_mult_lean
 *     in lean_l[i] bits (the largest ring of the lean products of its
 *     level, which run as one call): x = input leanx[i], b bits with MSB a
 *     public 0 (a nonneg tensor, or the sigmoid s behind a TANH run as one,
 *     then x y = 2 s y - 2^s_out y), y the other input read mod 2^lean_l
 *     (wide, or a truncation point's copy in ext[y] bits, or the constant).
 *   ext[t]: a truncation point's output also kept sign-extended to ext[t]
 *     bits (0: not), for lean products reading it as y.
 *   sign[t]: the truncation writing t (a truncation point, or a narrow MUL
 *     / MUL_CONST's) gives t's MSB shares (sirnn_tr_ext_sign) for the
 *     products reading it.
 *   keep_s[t]: t is a TANH run as a sigmoid whose sigmoid value is kept for
 *     a lean product.
 */
typedef struct sirnn_gfuse {
    uint8_t *wide, *nonneg, *R, *ext, *sign, *keep_s; /* per tensor */
    uint8_t *tpoint, *lean, *leanx, *lean_l;          /* per node */
    int16_t *S;                                       /* per tensor */
    int16_t *tS;                                      /* per node */
    void *mem;
} sirnn_gfuse;

sirnn_status sirnn_graph_fuse_plan(const sirnn_graph *g, sirnn_gfuse *f);
void sirnn_graph_fuse_free(sirnn_gfuse *f);

#endif /* SIRNN_NN_GRAPH_H */
