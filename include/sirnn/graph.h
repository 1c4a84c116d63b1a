/*
 * libsirnn graphs: a feed-forward network imported from ONNX (`sirnn
 * import`), quantised the SeeDot way (per-tensor fixed-point formats chosen
 * from calibration data), and run by three executors over the same graph:
 * float, cleartext fixed point, and secure two-party (the server holds the
 * weights, the client the input; the client learns the output). The secure
 * executor equals the fixed-point one bit for bit: both call the same
 * primitive steps, the fixed-point one on integers through the cleartext
 * models of fixed.h / math.h, the secure one on shares through arith.h /
 * math.h.
 *
 * The graph is a list of nodes in execution order over tensors; every
 * tensor has a per-example shape (the batch dimension is implicit, first),
 * row-major (NCHW for images). Operators (the importer lowers ONNX onto
 * them; see tools/onnx_import.c for the mapping):
 *   DENSE    y[.., N] = x[.., K] W[K x N] + b          (MatMul, Gemm)
 *   CONV     2-D convolution, NCHW, groups, strides, pads; BatchNormalization
 *            folded into W and b at import                 (Conv, BN)
 *   ADD, SUB two activations of one shape                (Add, Sub)
 *   MUL      two activations of one shape                (Mul)
 *   ADD_CONST y = c + x, or c - x (attr neg), c a constant of x's shape
 *   MUL_CONST y = c x, c a constant of x's shape          (Mul, Div by constant)
 *   RELU, CLIP (fattr lo, hi; +-inf = absent), SIGMOID, TANH
 *   MAXPOOL, AVGPOOL (kernel, strides, pads; GlobalAveragePool is AVGPOOL over
 *            the whole image)
 *   RESHAPE  same data, another shape                    (Flatten, Reshape, ...)
 *   GATHER   y[i] = (x1 | x2)[idx[i]] per example, idx a public table
 *            (Transpose, Concat, Slice, Gather with constant indices); two
 *            inputs are first brought to the smaller scale
 *   EXP      exp(x) for x <= 0                             (Exp)
 *   RECIP    1 / x                                         (Reciprocal)
 *   DIV      x / y, two activations                        (Div)
 *   RSQRT    1 / sqrt(x)               (Sqrt read by Reciprocal, or by Div
 *            as the denominator: Div(a, Sqrt(v)) = a * RSQRT(v))
 *   ARGMAX   the last node: the index of the largest score (ties: the lowest
 *            index); a final Softmax is dropped (it keeps the order)
 *
 * Fixed-point semantics (b = the activation bits, 8 or 16; every activation
 * a b-bit two's-complement integer q = round(v 2^s) with its own scale s;
 * weights kw bits, per tensor scale; with per-tensor widths
 * (sirnn_graph_quantise_widths) each tensor has its own b, 8 or 16, and b
 * below is the width the node computes in, see there):
 *   DENSE, CONV: the exact sum of products, then floor-shifted by s_x + s_w -
 *     s_y to y's scale (sirnn_ref_matmul, one truncation), then the bias
 *     rounded to s_y is added mod 2^b;
 *   a change of scale down is a floor shift (sirnn_ref_tr_ext), up a left
 *     shift (exact mod 2^b whenever the result fits); ADD/SUB/ADD_CONST and
 *     GATHER first bring their operands to s_y;
 *   MUL, MUL_CONST: the exact product in b + k bits (sirnn_ref_mult), floor-
 *     shifted to s_y (sirnn_ref_tr) and reduced to b bits;
 *   RELU is sirnn_ref_relu; CLIP is lo + relu(x - lo), then hi - relu(hi - .);
 *   SIGMOID/TANH/EXP: the models of math.h into scale b - 2 (EXP reads x > 0
 *     as x - 2^(b - s_x), the definition of sirnn_exp; calibration data must
 *     keep its inputs <= 0); at b = 16, SIGMOID outputs at the highest scale
 *     of b - 2, b - 3, b - 4 where sirnn_sigmoid takes its polynomial path
 *     for the input's format, and TANH is 2 sigmoid(2x) - 1: the sigmoid of
 *     x's bits read at scale s_x - 1, into that same output scale s_y, then
 *     2 y - 2^s_y (its error: twice the sigmoid's ULPs);
 *   RECIP, DIV: sirnn_ref_div_norm (RECIP divides the constant 1 at scale
 *     b - 2), RSQRT sirnn_ref_rsqrt, into the calibrated scale (at least 0);
 *     these need inputs of scale >= 0;
 *   MAXPOOL: a tree of pairwise maxima, each the sign of a - b
 *     (sirnn_ref_msb) selecting one of the two (ties: the first); padding
 *     counts as -2^(b-2);
 *   ARGMAX: the first maximum (ties: the lowest index); over at most 16
 *     scores every pair compared exactly (the argmax of the hand-written
 *     FastGRNN, nn/argmax.h), over more the tree of MAXPOOL carrying the
 *     indices (each pair by the sign of its difference);
 *   AVGPOOL: every element times round(2^b / k) (b + 1 bits) in 2b + 1 bits,
 *     summed, floor-shifted by b (the divisor k includes padding);
 *   values that leave their b bits wrap, in both executors alike.
 * Fused truncations (b = 16; a function of the graph's public structure and
 * formats, so both executors and both parties plan alike): a DENSE, MUL or
 * MUL_CONST whose output is read only by sums (ADD, SUB, ADD_CONST) and as
 * the second operand of lean products (below) keeps its exact value (mod
 * 2^R, at the scale of the exact product); a sum of such values is exact
 * too, unless it writes a b-bit tensor: then it adds its inputs aligned to
 * the highest scale S it reads and floor-shifts the sum once by S - s_y
 * (so floor((P + Q 2^k) / 2^s) instead of floor(P / 2^s) + Q, and one
 * truncation for the sum of two products). A MUL (MUL_CONST) with such an
 * output and an operand x whose MSB is a public 0 (a RELU, SIGMOID, EXP or
 * RSQRT output, or a TANH, which is 2 s - 1 of a sigmoid s) is the exact
 * product mod 2^R of x (or s, then 2 s y - 2^s_x y) and the other operand
 * read mod 2^R (an exact value, the constant, or the sign extension of the
 * b-bit output of a fused sum).
 * Scales come from calibration with one bit of headroom: the largest s with
 * round(2 maxabs 2^s) <= 2^(b-1) - 1, then lowered where that saves the
 * secure executor protocol calls (sirnn_graph_quantise).
 *
 * Errors: every call returns a sirnn_status; sirnn_last_error() (or, on a
 * party, sirnn_party_last_error()) then says which node, tensor or field.
 */
#ifndef SIRNN_GRAPH_H
#define SIRNN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"
#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sirnn_gop {
    SIRNN_GOP_DENSE = 1,
    SIRNN_GOP_CONV,
    SIRNN_GOP_ADD,
    SIRNN_GOP_SUB,
    SIRNN_GOP_MUL,
    SIRNN_GOP_ADD_CONST,
    SIRNN_GOP_MUL_CONST,
    SIRNN_GOP_RELU,
    SIRNN_GOP_CLIP,
    SIRNN_GOP_SIGMOID,
    SIRNN_GOP_TANH,
    SIRNN_GOP_MAXPOOL,
    SIRNN_GOP_AVGPOOL,
    SIRNN_GOP_RESHAPE,
    SIRNN_GOP_ARGMAX,
    SIRNN_GOP_GATHER,
    SIRNN_GOP_EXP,
    SIRNN_GOP_RECIP,
    SIRNN_GOP_DIV,
    SIRNN_GOP_RSQRT,
    SIRNN_GOP_COUNT
} sirnn_gop;

/* Bounds checked by sirnn_graph_validate (and so by every loader). */
#define SIRNN_GRAPH_MAX_RANK 4
#define SIRNN_GRAPH_MAX_DIM 65536u
#define SIRNN_GRAPH_MAX_SIZE ((uint32_t)1 << 24) /* elements per example */
#define SIRNN_GRAPH_MAX_NODES 4096u
#define SIRNN_GRAPH_MAX_PARAMS ((uint32_t)1 << 26)
#define SIRNN_GRAPH_NAME 64

typedef struct sirnn_gtensor {
    uint32_t rank;                       /* 1..SIRNN_GRAPH_MAX_RANK */
    uint32_t dims[SIRNN_GRAPH_MAX_RANK]; /* per example; unused dims are 1 */
    float maxabs;                        /* calibrated range (0 before calibration) */
    sirnn_fixfmt fmt;                    /* bits 0 until quantised */
    char name[SIRNN_GRAPH_NAME];         /* the ONNX value's name */
} sirnn_gtensor;

/* Integer attributes by operator (unused entries 0). */
enum {
    SIRNN_GA_GROUP = 0, /* CONV: groups */
    SIRNN_GA_KH,        /* CONV, pools: kernel height, width */
    SIRNN_GA_KW,
    SIRNN_GA_SH, /* strides */
    SIRNN_GA_SW,
    SIRNN_GA_PT, /* pads: top, left, bottom, right */
    SIRNN_GA_PL,
    SIRNN_GA_PB,
    SIRNN_GA_PR,
    SIRNN_GA_NEG, /* ADD_CONST: c - x instead of c + x */
    SIRNN_GA_COUNT
};

typedef struct sirnn_gnode {
    uint32_t op;     /* sirnn_gop */
    uint32_t nin;    /* 1 or 2 */
    uint32_t in[2];  /* tensor indices */
    uint32_t out;    /* tensor index */
    int32_t attr[SIRNN_GA_COUNT];
    float fattr[2];  /* CLIP: lo, hi (+-INFINITY: absent) */
    /* Parameters (the server's secret): DENSE w[K*N] (row-major K x N) and
     * b[N]; CONV w[M*C/g*KH*KW] (ONNX order) and b[M]; ADD_CONST and
     * MUL_CONST the constant in w (the size of x). nb = 0: no bias. */
    uint32_t nw, nb;
    float *w, *b;
    /* GATHER: nidx = the output's size, idx[i] < size(in[0]) (+ size(in[1]));
     * public (part of the structure). 0 / NULL for the other operators. */
    uint32_t nidx;
    uint32_t *idx;
    int64_t *qw, *qb;        /* quantised (NULL until quantised) */
    sirnn_fixfmt wfmt, bfmt; /* their formats (b: the output's scale) */
    char name[SIRNN_GRAPH_NAME]; /* the ONNX node's name (or op_type#index) */
} sirnn_gnode;

typedef struct sirnn_graph {
    uint32_t ntensors, nnodes;
    sirnn_gtensor *tensors;
    sirnn_gnode *nodes;
    uint32_t input, output;    /* tensor indices; output is ARGMAX's input (the scores) */
    int has_argmax;            /* the last node is ARGMAX */
    float in_mul, in_add;      /* a pixel p (0..255) is fed as p * in_mul + in_add */
    unsigned act_bits;         /* b: 8 or 16 (0 until quantised) */
    unsigned weight_bits;      /* kw: 8 or 16 */
    int quantised;
} sirnn_graph;

/* ---- building (the importer's side) ---------------------------------------- */

/* An empty graph (in_mul 1/255, in_add 0). */
SIRNN_API sirnn_status sirnn_graph_new(sirnn_graph **out);
/* NULL is a no-op. Wipes the parameters. */
SIRNN_API void sirnn_graph_free(sirnn_graph *g);
/* Append a tensor; *index gets its index. */
SIRNN_API sirnn_status sirnn_graph_add_tensor(sirnn_graph *g, uint32_t *index, const char *name,
                                              uint32_t rank, const uint32_t *dims);
/* Append a node (copied; w, b and idx, if nw / nb / nidx > 0, are copied
 * too). The output tensor's shape is set from the operator and its inputs
 * (it must exist; its given shape is replaced, except for RESHAPE and
 * GATHER, which keep it). Checks the node against its inputs:
 * SIRNN_ERR_ARG naming the node when something does not fit. */
SIRNN_API sirnn_status sirnn_graph_add_node(sirnn_graph *g, const sirnn_gnode *node);
/* Check every field of a whole graph (what the loader runs): indices, shapes,
 * attribute ranges, parameter counts, finite floats, formats when
 * quantised, the execution order (a tensor is written once, before it is
 * read), ARGMAX only last. */
SIRNN_API sirnn_status sirnn_graph_validate(const sirnn_graph *g);

/* Elements per example of tensor t. */
SIRNN_API size_t sirnn_graph_size(const sirnn_graph *g, uint32_t t);
/* A name for an operator ("DENSE", ...), "?" if unknown. */
SIRNN_API const char *sirnn_gop_name(uint32_t op);

/* ---- float inference and quantisation ------------------------------------ */

/*
 * Float inference: x holds n examples of the input's size; scores (NULL
 * allowed) gets n x size(output) values, classes (NULL allowed) the argmax
 * of each example's scores (lowest index on ties; the output must have at
 * most 65536 elements). maxabs (NULL allowed) is raised to the largest
 * |value| each tensor takes (ntensors entries), the calibration.
 */
SIRNN_API sirnn_status sirnn_graph_forward(const sirnn_graph *g, size_t n, float *scores,
                                           uint32_t *classes, const float *x, float *maxabs);

/*
 * Quantise: run float inference on the n_calib calibration examples x
 * (normalised inputs), record every tensor's range, and choose the formats:
 * activations act_bits (8 or 16), parameters weight_bits (8 or 16), each
 * tensor its own scale (see the top); each node's output scale is then
 * lowered where its operator needs it (a product's truncation cannot shift
 * left; SIGMOID and TANH output at b - 2, or lower at b = 16, see the top).
 * Then, SeeDot-style, scales are lowered (never raised) where that saves the
 * secure executor calls, until nothing changes: a tensor written by a
 * product, a sum or a gather and read only by nodes that change its scale
 * anyway (ADD, SUB, ADD_CONST, GATHER) is written at the highest scale they
 * read (the lowest, when they are at most one bit apart), folding their
 * floor shift into its writer's; the SIGMOIDs and TANHs of one level get
 * one input format for their one sigmoid call; a MUL_CONST's constant loses
 * up to two bits of scale so that its truncation shares the call of a MUL
 * of its level. Every format is checked against the protocols that will run
 * on it (SIRNN_ERR_ARG naming the node otherwise). Replaces any earlier
 * quantisation.
 */
SIRNN_API sirnn_status sirnn_graph_quantise(sirnn_graph *g, unsigned act_bits,
                                            unsigned weight_bits, size_t n_calib,
                                            const float *x);

/*
 * Per-tensor widths (SIRNN's mixed bitwidths): as sirnn_graph_quantise at
 * act_bits 16, but tensor t is widths[t] bits (8 or 16) wide where its
 * operator leaves the width free (the input; DENSE, CONV, MUL, MUL_CONST,
 * ADD, SUB, ADD_CONST, GATHER outputs). The math operators (SIGMOID, TANH,
 * EXP, RECIP, DIV, RSQRT) write 16 bits; RELU, CLIP, the pools, RESHAPE and
 * ARGMAX their input's width. Each tensor's scale is chosen from its range
 * for its own width. A node computes in the widest of its inputs and output
 * (DENSE and CONV: its output's, reading the input at its own width, a
 * mixed-width product): narrower inputs are sign-extended to it first (in
 * the secure executor one sirnn_sext call per level for the values whose
 * MSB is unknown, one sirnn_sext_msb for those whose MSB is a public 0),
 * and a narrower output is its value mod 2^8 (local; calibration keeps a
 * bit of headroom, and a value that leaves its 8 bits wraps in both
 * executors alike). The fusion plan (see the top) keeps narrower tensors
 * out of its wide values, truncation points and lean products' x.
 */
SIRNN_API sirnn_status sirnn_graph_quantise_widths(sirnn_graph *g, const uint8_t *widths,
                                                   unsigned weight_bits, size_t n_calib,
                                                   const float *x);

/*
 * Choose the widths from the calibration data (SeeDot's exploration, kept
 * to changes that cost no extension and break no fused truncation, see the
 * top): quantise at 16 bits, then, for the
 * input and each free-width tensor in execution order, try it at 8 bits
 * together with what must follow it (the outputs of the RELUs, CLIPs,
 * pools, RESHAPEs and GATHERs below it; a candidate some other operator
 * reads is skipped, it would need a sign extension; so is one that leaves
 * the fusion plan fewer wide values, truncation points or lean products);
 * keep the change when the fixed-point classes of the first
 * min(n_calib, 500) calibration
 * examples still agree with the float classes on at least (the 16-bit
 * agreement - max_drop percent of them). Ends quantised with the chosen
 * widths; widths (ntensors entries, NULL allowed) gets every tensor's.
 */
SIRNN_API sirnn_status sirnn_graph_choose_widths(sirnn_graph *g, unsigned weight_bits,
                                                 size_t n_calib, const float *x,
                                                 double max_drop, uint8_t *widths);

/* ---- model file ------------------------------------------------------------ */

/*
 * The file (little-endian; floats binary32): "SIRNNGR\0", u32 version (2;
 * version 1, where every tensor is act_bits wide, still loads),
 * u64 total size, the header (counts, input/output, in_mul, in_add, bits,
 * quantised), every tensor (rank, dims, maxabs, format, name), every node
 * (op, inputs, output, attributes, name, parameter counts and formats), the
 * float parameters, the quantised parameters (i64) when quantised, and
 * SHA-256 of every byte before it. A public encoding (public_only) leaves
 * out every parameter value (the counts and formats stay): the description
 * a server sends its client. Loading validates everything
 * (sirnn_graph_validate) and the checksum. Errors: SIRNN_ERR_IO,
 * SIRNN_ERR_ARG (content, with the field named), SIRNN_ERR_UNSUPPORTED
 * (another version or kind of file), SIRNN_ERR_NOMEM.
 */
#define SIRNN_GRAPH_FILE_VERSION 2

SIRNN_API sirnn_status sirnn_graph_encode(const sirnn_graph *g, int public_only, uint8_t **buf,
                                          size_t *len);
/* *public_only gets whether buf held a public encoding (no parameter values);
 * may be NULL. */
SIRNN_API sirnn_status sirnn_graph_decode(sirnn_graph **out, int *public_only,
                                          const uint8_t *buf, size_t len);
SIRNN_API sirnn_status sirnn_graph_save(const sirnn_graph *g, const char *path);
SIRNN_API sirnn_status sirnn_graph_load(sirnn_graph **out, const char *path);

/* ---- fixed-point and secure inference ------------------------------------ */

/* Quantise n examples of normalised inputs x into the input's format:
 * q = round(v 2^s) saturated to b bits (two's complement, in the low b bits). */
SIRNN_API sirnn_status sirnn_graph_quantise_input(const sirnn_graph *g, size_t n, uint64_t *q,
                                                  const float *x);

/*
 * Cleartext fixed-point inference of n examples of quantised inputs q (from
 * sirnn_graph_quantise_input): scores (NULL allowed) get the n x
 * size(output) scores in the output's format as signed integers, classes
 * (NULL allowed) the argmax (ARGMAX above) of those scores. This is
 * bit for bit what the secure executor reveals. SIRNN_ERR_ARG if g is not
 * quantised.
 */
SIRNN_API sirnn_status sirnn_graph_predict_fixed(const sirnn_graph *g, size_t n,
                                                 int64_t *scores, uint32_t *classes,
                                                 const uint64_t *q);

/*
 * The secure executor's schedule of g: levels = the graph's depth (a node's
 * level is one more than the highest level of the nodes writing its
 * inputs), groups = the operator calls it makes (the nodes of one level
 * with the same operator and formats run as one call; DENSE, CONV, the
 * pools, RESHAPE and ARGMAX one call per node; a sum fused with products,
 * see the top, is a group of its own, local, whose truncation joins the
 * level's others). Flights follow the groups' protocols, one after
 * another.
 */
typedef struct sirnn_graph_sched {
    uint32_t levels, groups;
} sirnn_graph_sched;
SIRNN_API sirnn_status sirnn_graph_schedule(const sirnn_graph *g, sirnn_graph_sched *out);

/* sirnn_graph_serve flags: reveal the scores to a client that asks. */
#define SIRNN_GRAPH_SERVE_SCORES 1u

/*
 * Secure two-party inference, one batch per query. The server (party 0)
 * holds g with its parameters; it sends the client the public encoding
 * (structure, shapes, formats, no parameter value), then both run the nodes
 * on shares of the whole batch (or of each piece, see Limits), one protocol
 * call per step for all n examples (see Schedule): DENSE and CONV by
 * sirnn_matmul_clear (the server's weights in the clear; the client's input
 * held whole as shares (0, x), so the first product reads its MSB shares
 * for free through sirnn_matmul_clear_msb, and so does a product of a RELU,
 * SIGMOID, EXP or RSQRT output, whose MSB is a public 0), changes of scale
 * by sirnn_tr_ext, MUL by sirnn_mult (sirnn_mult_msb when an operand's MSB
 * is a public 0), MUL_CONST by sirnn_mult_clear (the constants are the
 * server's), or, beside a MUL of its level with constants as wide as the
 * activations, in that MUL's call with the constants shared as (c, 0), the
 * products' truncations by sirnn_tr, RELU and CLIP by sirnn_relu,
 * SIGMOID/TANH/EXP/RSQRT by math.h, RECIP and DIV by sirnn_div_norm, MAXPOOL
 * (and ARGMAX over more than 16 scores) by one sirnn_msb and one sirnn_mux2
 * per tree level, ARGMAX over at most 16 scores in one round of all pairs
 * (one sirnn_msb, sirnn_and, sirnn_b2a and sirnn_lut: 9 flights), AVGPOOL by
 * sirnn_mult_const and sirnn_tr, GATHER and RESHAPE locally; then the client
 * learns the classes (and, if the server allows it and the client asks, the
 * scores). With the fused truncations (see the top): a DENSE whose output
 * stays exact runs sirnn_matmul_clear without its truncation; the products
 * with an operand of public MSB 0 and an exact output run as one
 * sirnn_mult_lean per level (2 flights, the server choosing); a fused sum's
 * one truncation is sirnn_tr_ext_sign when a product reads its output (the
 * MSB shares let sirnn_matmul_clear_msb / sirnn_mult_msb skip the wrap's
 * comparison) or a lean product reads it (then also sign-extended into the
 * lean product's ring), else sirnn_tr (sirnn_tr_lean's shallower network
 * for shifts <= 8 or > 16, the same values); so does a product's own
 * truncation, which first drops the bits above the b it keeps. A lean
 * product's call takes 2 flights per window of 2^19 OTs of a lane (about
 * 5,700 values at 45 bits), so past that its flights grow with the batch
 * (the unrolled FastGRNN: 725 flights for one image, 1,213 for 200 in one
 * query; more lanes split the values).
 * The server learns n. Both learn the graph's public description (shapes,
 * names, formats, index tables; no parameter value, no calibrated range).
 *
 * Schedule (sirnn_graph_schedule): level by level, a node's level one more
 * than the highest of its inputs' writers. The nodes of a level with the
 * same operator and formats run as one call over all their values laid end
 * to end (elementwise operators and GATHER; a SIGMOID and a TANH, run as a
 * sigmoid, share one); the products of a level (MUL, MUL_CONST) then
 * truncate together, one call per (shift, width, sign); the lean products
 * of a level are one call. DENSE, CONV and the pools run one call per node.
 * So the flights follow the graph's depth, not its node count, and not n
 * (but for the windows of large calls, above). Every value is the one a node-by-node run gives, and
 * the results are the same for any lane count.
 *
 * Limits: a batch above the server's max_batch is refused (the client, who
 * knows it from the handshake, refuses first); the inputs go through in
 * pieces whose working memory (n x all tensors' values, with the
 * extended copies of 8-bit tensors) fits the server's
 * session_mem_bytes, which both sides know, so they cut alike; the request
 * must arrive within one timeout_ms, each piece within timeout_ms per 2^20
 * values of its working memory (plus one).
 *
 * Profile: with the party's profile on (sirnn_party_profile_start), every
 * protocol call adds to the row of its layer, the name of the operator it
 * runs for (sirnn_gop_name; the shared truncations of a level's products:
 * "MUL, MUL_CONST", and with a fused sum among them "sums (one
 * truncation)"), and its protocol ("matmul", "truncation", "relu",
 * "sigmoid / tanh", ...).
 *
 * Measured (one lane, both parties, batch of 1; `sirnn run`): see
 * README.md (the unrolled FastGRNN: 9.97 MB, 725 flights per image, against
 * the hand-written nn/ path's 8.80 MB, 653 flights).
 *
 * Server: answer one query; *served gets n (0 with SIRNN_OK: the client
 * ended the session with n = 0). Client: q holds n quantised inputs (its
 * secret); it first receives the description (*pub, the graph without
 * parameters, owned by the caller, NULL allowed), then classes[n] (NULL
 * allowed) and scores[n x size(output)] (NULL: not asked for) get the
 * results. q must hold n x size(input) values of the server's graph; a
 * client that does not know the input format yet can pass x (floats)
 * instead of q (q NULL): it is quantised with the received format. A
 * description that is malformed, or whose tensors would need more than 2^28
 * values for one piece, fails the session (SIRNN_ERR_PEER_MISMATCH). A
 * batch above the server's max_batch is refused (SIRNN_ERR_ARG) before
 * anything is sent. Costs: the sum of the primitives' (arith.h, math.h) over
 * the schedule's calls; flights grow with the graph's depth and the number
 * of pieces, not with n.
 */
SIRNN_API sirnn_status sirnn_graph_serve(sirnn_party *party, size_t *served,
                                         const sirnn_graph *g, unsigned flags);
SIRNN_API sirnn_status sirnn_graph_query(sirnn_party *party, size_t n, uint32_t *classes,
                                         int64_t *scores, sirnn_graph **pub, const uint64_t *q,
                                         const float *x);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_GRAPH_H */
