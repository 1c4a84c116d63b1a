/*
 * ONNX import for `sirnn import`: reads an ONNX model (protobuf, through C
 * code that protoc-c generates at build time from the schema of
 * libonnx-dev) and lowers it onto a float sirnn_graph (include/sirnn/graph.h).
 */
#ifndef SIRNN_TOOLS_ONNX_IMPORT_H
#define SIRNN_TOOLS_ONNX_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/graph.h"

/*
 * Read the ONNX file at path into a new float graph (*out; free with
 * sirnn_graph_free). One graph input (its first dimension the batch), one
 * output. Mapping:
 *   MatMul (constant right operand), Gemm (transA = 0)  -> DENSE
 *   Conv (2-D, groups, strides, pads; dilations 1)      -> CONV
 *   BatchNormalization (inference)  -> folded into the CONV / DENSE before
 *                                      it, else MUL_CONST + ADD_CONST
 *   Add, Sub, Mul  (two activations of one shape)       -> ADD, SUB, MUL
 *   Add, Sub, Mul, Div with a constant (broadcast)      -> ADD_CONST, MUL_CONST
 *   Relu, Sigmoid, Tanh, Exp, Clip (min/max as attributes or inputs)
 *   Reciprocal -> RECIP; Div of two activations -> DIV; Sqrt whose only
 *     reader is a Reciprocal or a Div's denominator -> RSQRT (and MUL)
 *   MaxPool, AveragePool (2-D; ceil_mode 0; AveragePool with pads needs
 *     count_include_pad = 1), GlobalAveragePool
 *   Flatten (axis 1), Reshape (constant shape), Squeeze, Unsqueeze
 *     (constant axes, not the batch) -> RESHAPE
 *   Transpose, Slice (constant starts/ends/axes, step 1), Gather (constant
 *     indices), Concat (activations) -> GATHER
 *   LSTM, GRU, RNN (forward, reverse, bidirectional; layout 0 or 1; default
 *     activations; GRU in both linear_before_reset forms; initial states
 *     absent or zero) -> unrolled over the sequence onto DENSE, ADD, SUB,
 *     MUL, MUL_CONST, SIGMOID, TANH and GATHER nodes (no new protocol);
 *     refused: clip, activation_alpha/beta, other activations, input_forget,
 *     sequence_lens, peepholes, non-zero initial states
 *   Shape, and Gather / Unsqueeze / Squeeze / Concat of constants, and
 *     ConstantOfShape -> folded at import (the batch size, unknown, may
 *     reach Reshape's first dimension or an RNN's zero initial state)
 * The batch is the first dimension of every activation, except where a
 * Transpose moves it (time-major [seq, batch, ..] tensors around an RNN):
 * such a tensor may go through Transpose, Gather, Squeeze, Unsqueeze and
 * the recurrent operators; any other operator refuses it.
 *   Identity, Dropout, Pad with all-zero pads -> nothing; Constant -> a
 *     constant
 *   Softmax or ArgMax producing the graph output -> ARGMAX on their input
 * Anything else, or an attribute outside these forms, is an error naming
 * the node (err gets the message; returns non-zero).
 */
int sirnn_onnx_import(const char *path, sirnn_graph **out, char *err, size_t errlen);

/* The same from the len bytes at buf (name: how errors call the input);
 * the fuzz target (fuzz/fuzz_onnx.c) enters here. */
int sirnn_onnx_import_buf(const uint8_t *buf, size_t len, const char *name, sirnn_graph **out,
                          char *err, size_t errlen);

#endif /* SIRNN_TOOLS_ONNX_IMPORT_H */
