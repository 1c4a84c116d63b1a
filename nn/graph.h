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

#endif /* SIRNN_NN_GRAPH_H */
