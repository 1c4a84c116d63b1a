/*
 * ONNX -> sirnn_graph (see tools/onnx_import.h for the mapping). The
 * protobuf is parsed by protobuf-c with code generated from
 * /usr/include/onnx/onnx.proto; everything read from it is checked before
 * use (ranks, dimensions, data lengths, attribute types), since the file
 * comes from outside.
 */
#include "tools/onnx_import.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "sirnn/graph.h"

#define MAX_ONNX_BYTES ((size_t)1 << 30)
#define MAX_CONST ((size_t)1 << 26)
#define MAX_CRANK 8

/* A named value: an activation (a graph tensor) or a constant. */
typedef struct val {
    const char *name;
    int is_const;
    uint32_t tensor; /* activation */
    uint32_t rank;   /* constant */
    int64_t dims[MAX_CRANK];
    float *f; /* constant values (as float; integer tensors converted) */
    size_t n;
    int rsqrt; /* an activation holding 1 / sqrt(v), standing for Sqrt(v) */
    /* An activation whose batch dimension is not the first: the full ONNX
     * shape has it at axis bax (the per-example shape is the rest, in order).
     * Time-major recurrent tensors ([seq, batch, ...]) are like this; see
     * the "batch axis" section. 0 for every other activation. */
    uint32_t bax;
    /* Constants folded from Shape (see the "shape folding" section): bpos1 =
     * 1 + the index of the element that stands for the (unknown) batch size,
     * 0 when none; fill: a ConstantOfShape of a shape that holds the batch
     * size (every element f[0]; the shape is not known without the batch). */
    uint32_t bpos1;
    int fill;
} val;

typedef struct imp {
    Onnx__ModelProto *model;
    const Onnx__GraphProto *gp;
    sirnn_graph *g;
    val *vals;
    size_t nvals, capvals;
    unsigned *uses; /* per ONNX node output: number of readers (parallel to a name list) */
    char *err;
    size_t errlen;
    int last_is_fused; /* the last sirnn node may absorb a BatchNormalization */
    char node_name[SIRNN_GRAPH_NAME];
    const char *op;
} imp;

static int fail(imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(imp *im, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (im->op != NULL)
        snprintf(im->err, im->errlen, "node '%s' (%s): %s", im->node_name, im->op, msg);
    else
        snprintf(im->err, im->errlen, "%s", msg);
    return -1;
}

static val *find(imp *im, const char *name)
{
    for (size_t i = im->nvals; i-- > 0;)
        if (strcmp(im->vals[i].name, name) == 0)
            return &im->vals[i];
    return NULL;
}

/* The value table is allocated once for the whole model (see
 * sirnn_onnx_import), so val pointers stay valid while nodes are converted. */
static val *add_val(imp *im, const char *name)
{
    if (im->nvals == im->capvals)
        return NULL;
    val *v = &im->vals[im->nvals++];
    memset(v, 0, sizeof(*v));
    v->name = name;
    return v;
}

/* ---- constants ---------------------------------------------------------------- */

static int read_tensor(imp *im, const Onnx__TensorProto *t, val *v)
{
    if (t->n_dims > MAX_CRANK)
        return fail(im, "constant '%s' of rank %zu", t->name ? t->name : "", t->n_dims);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return fail(im, "constant '%s' keeps its data in an external file (unsupported)",
                    t->name ? t->name : "");
    size_t n = 1;
    v->rank = (uint32_t)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > (int64_t)MAX_CONST)
            return fail(im, "constant '%s' has dimension %lld", t->name ? t->name : "",
                        (long long)t->dims[i]);
        v->dims[i] = t->dims[i];
        n *= (size_t)t->dims[i];
        if (n > MAX_CONST)
            return fail(im, "constant '%s' is too large", t->name ? t->name : "");
    }
    const int dt = t->has_data_type ? t->data_type : 0;
    size_t esz;
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: esz = 4; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: esz = 8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: esz = 8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: esz = 4; break;
    default:
        return fail(im, "constant '%s' has data type %d (float, double, int32, int64 only)",
                    t->name ? t->name : "", dt);
    }
    v->f = malloc((n ? n : 1) * sizeof(float));
    if (v->f == NULL)
        return fail(im, "out of memory");
    v->n = n;
    v->is_const = 1;
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (t->raw_data.len != n * esz)
            return fail(im, "constant '%s' has %zu bytes of data for %zu values",
                        t->name ? t->name : "", t->raw_data.len, n);
        const uint8_t *p = t->raw_data.data;
        for (size_t i = 0; i < n; i++, p += esz) {
            uint64_t u = 0;
            for (size_t k = 0; k < esz; k++)
                u |= (uint64_t)p[k] << (8 * k);
            if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
                uint32_t w = (uint32_t)u;
                float f;
                memcpy(&f, &w, 4);
                v->f[i] = f;
            } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
                double d;
                memcpy(&d, &u, 8);
                v->f[i] = (float)d;
            } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
                v->f[i] = (float)(int64_t)u;
            } else {
                v->f[i] = (float)(int32_t)(uint32_t)u;
            }
        }
        return 0;
    }
    size_t have = 0;
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = t->n_float_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = t->n_double_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = t->n_int64_data; break;
    default: have = t->n_int32_data; break;
    }
    if (have != n)
        return fail(im, "constant '%s' has %zu values for %zu elements", t->name ? t->name : "",
                    have, n);
    for (size_t i = 0; i < n; i++)
        switch (dt) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: v->f[i] = t->float_data[i]; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: v->f[i] = (float)t->double_data[i]; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: v->f[i] = (float)t->int64_data[i]; break;
        default: v->f[i] = (float)t->int32_data[i]; break;
        }
    return 0;
}

/* ---- attributes ---------------------------------------------------------------- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i]->name != NULL && strcmp(nd->attribute[i]->name, name) == 0)
            return nd->attribute[i];
    return NULL;
}

/* Every attribute of nd must be in the NULL-terminated list. */
static int check_attrs(imp *im, const Onnx__NodeProto *nd, const char *const *allowed)
{
    for (size_t i = 0; i < nd->n_attribute; i++) {
        const char *n = nd->attribute[i]->name ? nd->attribute[i]->name : "";
        int ok = 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, n) == 0;
        if (!ok)
            return fail(im, "unsupported attribute '%s'", n);
    }
    return 0;
}

static int attr_int(imp *im, const Onnx__NodeProto *nd, const char *name, int64_t def,
                    int64_t *out)
{
    const Onnx__AttributeProto *a = attr(nd, name);
    if (a == NULL) {
        *out = def;
        return 0;
    }
    if (!a->has_i)
        return fail(im, "attribute '%s' is not an integer", name);
    *out = a->i;
    return 0;
}

static int attr_float(imp *im, const Onnx__NodeProto *nd, const char *name, float def,
                      float *out)
{
    const Onnx__AttributeProto *a = attr(nd, name);
    if (a == NULL) {
        *out = def;
        return 0;
    }
    if (!a->has_f)
        return fail(im, "attribute '%s' is not a float", name);
    *out = a->f;
    return 0;
}

/* An ints attribute of exactly `want` entries (or absent: def, may be NULL
 * meaning required). */
static int attr_ints(imp *im, const Onnx__NodeProto *nd, const char *name, size_t want,
                     const int64_t *def, int64_t *out)
{
    const Onnx__AttributeProto *a = attr(nd, name);
    if (a == NULL) {
        if (def == NULL)
            return fail(im, "attribute '%s' is required", name);
        memcpy(out, def, want * sizeof(int64_t));
        return 0;
    }
    if (a->n_ints != want)
        return fail(im, "attribute '%s' has %zu values, needs %zu (2-D only)", name, a->n_ints,
                    want);
    memcpy(out, a->ints, want * sizeof(int64_t));
    return 0;
}

static int attr_string_is(const Onnx__NodeProto *nd, const char *name, const char *want)
{
    const Onnx__AttributeProto *a = attr(nd, name);
    if (a == NULL)
        return 1;
    if (!a->has_s)
        return 0;
    return a->s.len == strlen(want) && memcmp(a->s.data, want, a->s.len) == 0;
}

/* ---- values ------------------------------------------------------------------------- */

/* Input i of nd, which may be a constant folded from a Shape (bpos1, fill). */
static int input_sym(imp *im, const Onnx__NodeProto *nd, size_t i, val **out)
{
    if (i >= nd->n_input || nd->input[i] == NULL || nd->input[i][0] == '\0')
        return fail(im, "input %zu is missing", i);
    *out = find(im, nd->input[i]);
    if (*out == NULL)
        return fail(im, "input '%s' is not defined before the node", nd->input[i]);
    return 0;
}

static int input(imp *im, const Onnx__NodeProto *nd, size_t i, val **out)
{
    if (input_sym(im, nd, i, out) != 0)
        return -1;
    if ((*out)->fill)
        return fail(im, "input %zu ('%s') is a ConstantOfShape of a batch-dependent shape: "
                        "supported only as the initial state of LSTM, GRU or RNN", i,
                    nd->input[i]);
    if ((*out)->bpos1)
        return fail(im, "input %zu ('%s') holds the batch size (from Shape): supported only "
                        "in the shape of Reshape or ConstantOfShape", i, nd->input[i]);
    return 0;
}

/* An activation with its batch dimension anywhere (see val.bax). */
static int activation_bax(imp *im, const Onnx__NodeProto *nd, size_t i, val **out)
{
    if (input(im, nd, i, out) != 0)
        return -1;
    if ((*out)->is_const)
        return fail(im, "input %zu ('%s') is a constant where an activation is needed", i,
                    nd->input[i]);
    return 0;
}

static int activation(imp *im, const Onnx__NodeProto *nd, size_t i, val **out)
{
    if (activation_bax(im, nd, i, out) != 0)
        return -1;
    if ((*out)->bax != 0)
        return fail(im, "input %zu ('%s') has its batch dimension at axis %u; this operator "
                        "needs it first (Transpose it back)", i, nd->input[i], (*out)->bax);
    return 0;
}

static const sirnn_gtensor *tens(imp *im, const val *v)
{
    return &im->g->tensors[v->tensor];
}

/* A new activation named like output o of nd with the given per-example shape. */
static int new_act(imp *im, const Onnx__NodeProto *nd, size_t o, uint32_t rank,
                   const uint32_t *dims, val **out)
{
    if (o >= nd->n_output || nd->output[o] == NULL || nd->output[o][0] == '\0')
        return fail(im, "output %zu is missing", o);
    val *v = add_val(im, nd->output[o]);
    if (v == NULL)
        return fail(im, "out of memory");
    if (sirnn_graph_add_tensor(im->g, &v->tensor, nd->output[o], rank, dims) != SIRNN_OK)
        return fail(im, "%s", sirnn_last_error());
    *out = v;
    return 0;
}

static int add_node(imp *im, sirnn_gnode *gn)
{
    snprintf(gn->name, sizeof(gn->name), "%s", im->node_name);
    if (sirnn_graph_add_node(im->g, gn) != SIRNN_OK)
        return fail(im, "%s", sirnn_last_error());
    return 0;
}

/* Expand constant c (numpy broadcasting against the full shape [batch] +
 * x's shape, batch dimension 1 in c) to x's per-example size. */
static int broadcast(imp *im, const val *c, const sirnn_gtensor *x, float **out)
{
    const uint32_t R = x->rank + 1;
    if (c->rank > R)
        return fail(im, "constant of rank %u does not broadcast to rank %u", c->rank, R);
    uint32_t full[SIRNN_GRAPH_MAX_RANK + 1], cd[SIRNN_GRAPH_MAX_RANK + 1];
    full[0] = 1;
    for (uint32_t i = 0; i < x->rank; i++)
        full[i + 1] = x->dims[i];
    for (uint32_t i = 0; i < R; i++) {
        const uint32_t off = R - c->rank;
        cd[i] = i < off ? 1 : (uint32_t)c->dims[i - off];
        if (cd[i] != 1 && cd[i] != full[i])
            return fail(im, "constant dimension %u = %u does not broadcast to %u%s", i, cd[i],
                        full[i], i == 0 ? " (the batch)" : "");
    }
    size_t n = 1;
    for (uint32_t i = 1; i < R; i++)
        n *= full[i];
    float *e = malloc(n * sizeof(float));
    if (e == NULL)
        return fail(im, "out of memory");
    for (size_t k = 0; k < n; k++) {
        size_t rem = k, ci = 0, cstride = 1;
        for (uint32_t i = R; i-- > 1;) {
            const size_t idx = rem % full[i];
            rem /= full[i];
            ci += (cd[i] == 1 ? 0 : idx) * cstride;
            cstride *= cd[i];
        }
        e[k] = c->f[ci];
    }
    *out = e;
    return 0;
}

/* ---- operators ------------------------------------------------------------------------ */

static int op_dense(imp *im, const Onnx__NodeProto *nd, int gemm)
{
    static const char *const gemm_attrs[] = {"alpha", "beta", "transA", "transB", NULL};
    static const char *const none[] = {NULL};
    if (check_attrs(im, nd, gemm ? gemm_attrs : none) != 0)
        return -1;
    val *x, *wv, *bv = NULL;
    if (activation(im, nd, 0, &x) != 0 || input(im, nd, 1, &wv) != 0)
        return -1;
    if (!wv->is_const)
        return fail(im, "the right operand must be a constant (weights)");
    int64_t ta = 0, tb = 0;
    float alpha = 1, beta = 1;
    if (gemm && (attr_int(im, nd, "transA", 0, &ta) != 0 ||
                 attr_int(im, nd, "transB", 0, &tb) != 0 ||
                 attr_float(im, nd, "alpha", 1, &alpha) != 0 ||
                 attr_float(im, nd, "beta", 1, &beta) != 0))
        return -1;
    if (ta != 0)
        return fail(im, "transA = 1 is not supported");
    if (wv->rank != 2)
        return fail(im, "weights of rank %u, need 2", wv->rank);
    const sirnn_gtensor *xt = tens(im, x);
    if (gemm && xt->rank != 1)
        return fail(im, "input of rank %u (plus the batch), Gemm needs 2-D", xt->rank);
    const size_t K = (size_t)(tb ? wv->dims[1] : wv->dims[0]);
    const size_t N = (size_t)(tb ? wv->dims[0] : wv->dims[1]);
    if (K != xt->dims[xt->rank - 1])
        return fail(im, "weights %lldx%lld do not fit %u input features",
                    (long long)wv->dims[0], (long long)wv->dims[1], xt->dims[xt->rank - 1]);
    float *w = malloc(K * N * sizeof(float)), *b = NULL;
    if (w == NULL)
        return fail(im, "out of memory");
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < N; j++)
            w[k * N + j] = alpha * (tb ? wv->f[j * K + k] : wv->f[k * N + j]);
    if (gemm && nd->n_input > 2 && nd->input[2][0] != '\0') {
        if (input(im, nd, 2, &bv) != 0) {
            free(w);
            return -1;
        }
        if (!bv->is_const || (bv->n != N && bv->n != 1)) {
            free(w);
            return fail(im, "the bias C must be a constant of %zu values", N);
        }
        b = malloc(N * sizeof(float));
        if (b == NULL) {
            free(w);
            return fail(im, "out of memory");
        }
        for (size_t j = 0; j < N; j++)
            b[j] = beta * bv->f[bv->n == 1 ? 0 : j];
    }
    uint32_t dims[SIRNN_GRAPH_MAX_RANK];
    memcpy(dims, xt->dims, sizeof(dims));
    dims[xt->rank - 1] = (uint32_t)N;
    val *y;
    int rc = new_act(im, nd, 0, xt->rank, dims, &y);
    if (rc == 0) {
        sirnn_gnode gn = {.op = SIRNN_GOP_DENSE, .nin = 1, .in = {x->tensor}, .out = y->tensor,
                          .nw = (uint32_t)(K * N), .nb = b ? (uint32_t)N : 0, .w = w, .b = b};
        rc = add_node(im, &gn);
    }
    free(w);
    free(b);
    im->last_is_fused = rc == 0;
    return rc;
}

static int op_conv(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"kernel_shape", "strides", "pads", "dilations",
                                          "group", "auto_pad", NULL};
    if (check_attrs(im, nd, allowed) != 0)
        return -1;
    val *x, *wv, *bv = NULL;
    if (activation(im, nd, 0, &x) != 0 || input(im, nd, 1, &wv) != 0)
        return -1;
    if (!wv->is_const || wv->rank != 4)
        return fail(im, "weights must be a constant of rank 4 (2-D convolution)");
    if (!attr_string_is(nd, "auto_pad", "NOTSET") && !attr_string_is(nd, "auto_pad", "VALID"))
        return fail(im, "auto_pad other than NOTSET or VALID is not supported");
    const int64_t ones[2] = {1, 1}, zeros[4] = {0, 0, 0, 0};
    const int64_t kdef[2] = {wv->dims[2], wv->dims[3]};
    int64_t ks[2], st[2], pads[4], dil[2], group;
    if (attr_ints(im, nd, "kernel_shape", 2, kdef, ks) != 0 ||
        attr_ints(im, nd, "strides", 2, ones, st) != 0 ||
        attr_ints(im, nd, "pads", 4, zeros, pads) != 0 ||
        attr_ints(im, nd, "dilations", 2, ones, dil) != 0 ||
        attr_int(im, nd, "group", 1, &group) != 0)
        return -1;
    if (dil[0] != 1 || dil[1] != 1)
        return fail(im, "dilations other than 1 are not supported");
    if (ks[0] != wv->dims[2] || ks[1] != wv->dims[3])
        return fail(im, "kernel_shape does not match the weights");
    const sirnn_gtensor *xt = tens(im, x);
    if (xt->rank != 3)
        return fail(im, "input of rank %u (plus the batch), needs N x C x H x W", xt->rank);
    if (group < 1 || group > 65536 || wv->dims[1] * group != (int64_t)xt->dims[0])
        return fail(im, "weights of %lld input channels x group %lld do not fit %u channels",
                    (long long)wv->dims[1], (long long)group, xt->dims[0]);
    for (int i = 0; i < 4; i++)
        if (pads[i] < 0 || pads[i] > 1024)
            return fail(im, "pad %lld", (long long)pads[i]);
    if (st[0] < 1 || st[1] < 1 || st[0] > 1024 || st[1] > 1024)
        return fail(im, "strides %lld,%lld", (long long)st[0], (long long)st[1]);
    const size_t M = (size_t)wv->dims[0];
    if (nd->n_input > 2 && nd->input[2][0] != '\0') {
        if (input(im, nd, 2, &bv) != 0)
            return -1;
        if (!bv->is_const || bv->n != M)
            return fail(im, "the bias must be a constant of %zu values", M);
    }
    sirnn_gnode gn = {.op = SIRNN_GOP_CONV, .nin = 1, .in = {x->tensor},
                      .nw = (uint32_t)wv->n, .nb = bv ? (uint32_t)M : 0, .w = wv->f,
                      .b = bv ? bv->f : NULL};
    gn.attr[SIRNN_GA_GROUP] = (int32_t)group;
    gn.attr[SIRNN_GA_KH] = (int32_t)ks[0];
    gn.attr[SIRNN_GA_KW] = (int32_t)ks[1];
    gn.attr[SIRNN_GA_SH] = (int32_t)st[0];
    gn.attr[SIRNN_GA_SW] = (int32_t)st[1];
    gn.attr[SIRNN_GA_PT] = (int32_t)pads[0];
    gn.attr[SIRNN_GA_PL] = (int32_t)pads[1];
    gn.attr[SIRNN_GA_PB] = (int32_t)pads[2];
    gn.attr[SIRNN_GA_PR] = (int32_t)pads[3];
    uint32_t dims[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1};
    val *y;
    if (new_act(im, nd, 0, 3, dims, &y) != 0)
        return -1;
    gn.out = y->tensor;
    if (add_node(im, &gn) != 0)
        return -1;
    im->last_is_fused = 1;
    return 0;
}

static int op_pool(imp *im, const Onnx__NodeProto *nd, int maxp, int global)
{
    static const char *const maxa[] = {"kernel_shape", "strides",  "pads", "ceil_mode",
                                       "dilations",    "auto_pad", "storage_order", NULL};
    static const char *const avga[] = {"kernel_shape", "strides",  "pads", "ceil_mode",
                                       "count_include_pad", "auto_pad", NULL};
    static const char *const none[] = {NULL};
    if (check_attrs(im, nd, global ? none : maxp ? maxa : avga) != 0)
        return -1;
    if (nd->n_output > 1 && nd->output[1][0] != '\0')
        return fail(im, "the Indices output is not supported");
    val *x;
    if (activation(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    if (xt->rank != 3)
        return fail(im, "input of rank %u (plus the batch), needs N x C x H x W", xt->rank);
    int64_t ks[2] = {xt->dims[1], xt->dims[2]}, st[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
    if (!global) {
        const int64_t ones[2] = {1, 1}, zeros[4] = {0, 0, 0, 0};
        int64_t ceil_mode, cip = 0, dil[2], order = 0;
        if (attr_ints(im, nd, "kernel_shape", 2, NULL, ks) != 0 ||
            attr_ints(im, nd, "strides", 2, ones, st) != 0 ||
            attr_ints(im, nd, "pads", 4, zeros, pads) != 0 ||
            attr_int(im, nd, "ceil_mode", 0, &ceil_mode) != 0 ||
            (maxp && attr_ints(im, nd, "dilations", 2, ones, dil) != 0) ||
            (maxp && attr_int(im, nd, "storage_order", 0, &order) != 0) ||
            (!maxp && attr_int(im, nd, "count_include_pad", 0, &cip) != 0))
            return -1;
        if (!attr_string_is(nd, "auto_pad", "NOTSET") && !attr_string_is(nd, "auto_pad", "VALID"))
            return fail(im, "auto_pad other than NOTSET or VALID is not supported");
        if (ceil_mode != 0)
            return fail(im, "ceil_mode = 1 is not supported");
        if (maxp && (dil[0] != 1 || dil[1] != 1 || order != 0))
            return fail(im, "dilations or storage_order other than the defaults");
        if (!maxp && cip == 0 && (pads[0] | pads[1] | pads[2] | pads[3]) != 0)
            return fail(im, "padding with count_include_pad = 0 is not supported");
    }
    for (int i = 0; i < 2; i++)
        if (ks[i] < 1 || ks[i] > 1024 || st[i] < 1 || st[i] > 1024)
            return fail(im, "kernel or strides out of range");
    for (int i = 0; i < 4; i++)
        if (pads[i] < 0 || pads[i] > 1024)
            return fail(im, "pad %lld", (long long)pads[i]);
    sirnn_gnode gn = {.op = maxp ? SIRNN_GOP_MAXPOOL : SIRNN_GOP_AVGPOOL, .nin = 1,
                      .in = {x->tensor}};
    gn.attr[SIRNN_GA_KH] = (int32_t)ks[0];
    gn.attr[SIRNN_GA_KW] = (int32_t)ks[1];
    gn.attr[SIRNN_GA_SH] = (int32_t)st[0];
    gn.attr[SIRNN_GA_SW] = (int32_t)st[1];
    gn.attr[SIRNN_GA_PT] = (int32_t)pads[0];
    gn.attr[SIRNN_GA_PL] = (int32_t)pads[1];
    gn.attr[SIRNN_GA_PB] = (int32_t)pads[2];
    gn.attr[SIRNN_GA_PR] = (int32_t)pads[3];
    const uint32_t dims[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1};
    val *y;
    if (new_act(im, nd, 0, 3, dims, &y) != 0)
        return -1;
    gn.out = y->tensor;
    im->last_is_fused = 0;
    return add_node(im, &gn);
}

/* One-input, shape-keeping operators. */
static int op_unary(imp *im, const Onnx__NodeProto *nd, uint32_t op, float lo, float hi)
{
    val *x, *y;
    if (activation(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    uint32_t dims[SIRNN_GRAPH_MAX_RANK];
    memcpy(dims, xt->dims, sizeof(dims));
    if (new_act(im, nd, 0, xt->rank, dims, &y) != 0)
        return -1;
    sirnn_gnode gn = {.op = op, .nin = 1, .in = {x->tensor}, .out = y->tensor};
    if (op == SIRNN_GOP_CLIP) {
        gn.fattr[0] = lo;
        gn.fattr[1] = hi;
    }
    im->last_is_fused = 0;
    return add_node(im, &gn);
}

static int op_clip(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"min", "max", NULL};
    if (check_attrs(im, nd, allowed) != 0)
        return -1;
    float lo = -INFINITY, hi = INFINITY;
    if (attr_float(im, nd, "min", -INFINITY, &lo) != 0 ||
        attr_float(im, nd, "max", INFINITY, &hi) != 0)
        return -1;
    for (size_t i = 1; i < 3 && i < nd->n_input; i++) {
        if (nd->input[i][0] == '\0')
            continue;
        val *c;
        if (input(im, nd, i, &c) != 0)
            return -1;
        if (!c->is_const || c->n != 1)
            return fail(im, "min and max must be scalar constants");
        *(i == 1 ? &lo : &hi) = c->f[0];
    }
    if (lo == 0 && isinf(hi) && hi > 0)
        return op_unary(im, nd, SIRNN_GOP_RELU, 0, 0);
    if (!(lo < hi))
        return fail(im, "min %g is not below max %g", (double)lo, (double)hi);
    return op_unary(im, nd, SIRNN_GOP_CLIP, lo, hi);
}

/* Add, Sub, Mul, Div: two activations, or one activation and a constant. */
static int op_binary(imp *im, const Onnx__NodeProto *nd, char kind)
{
    static const char *const none[] = {NULL};
    if (check_attrs(im, nd, none) != 0)
        return -1;
    val *a, *b, *y;
    if (input(im, nd, 0, &a) != 0 || input(im, nd, 1, &b) != 0)
        return -1;
    if (a->is_const && b->is_const)
        return fail(im, "both operands are constants (constant folding is not supported)");
    if (a->rsqrt)
        return fail(im, "Sqrt is supported only as a denominator (read as 1 / sqrt)");
    if (!a->is_const && !b->is_const) {
        if (b->rsqrt && kind != '/')
            return fail(im, "Sqrt is supported only as a denominator (read as 1 / sqrt)");
        const sirnn_gtensor *at = tens(im, a), *bt = tens(im, b);
        if (at->rank != bt->rank || memcmp(at->dims, bt->dims, sizeof(at->dims)) != 0)
            return fail(im, "operands of different shapes (broadcasting two activations is "
                            "not supported)");
        uint32_t dims[SIRNN_GRAPH_MAX_RANK];
        memcpy(dims, at->dims, sizeof(dims));
        if (new_act(im, nd, 0, at->rank, dims, &y) != 0)
            return -1;
        /* a / sqrt(v) = a * rsqrt(v) */
        const uint32_t op = kind == '+' ? SIRNN_GOP_ADD : kind == '-' ? SIRNN_GOP_SUB
                            : kind == '*' || b->rsqrt ? SIRNN_GOP_MUL : SIRNN_GOP_DIV;
        sirnn_gnode gn = {.op = op, .nin = 2, .in = {a->tensor, b->tensor}, .out = y->tensor};
        im->last_is_fused = 0;
        return add_node(im, &gn);
    }
    const int const_first = a->is_const;
    val *x = const_first ? b : a, *c = const_first ? a : b;
    if (x->rsqrt)
        return fail(im, "Sqrt is supported only as a denominator of an activation");
    if (kind == '/' && const_first)
        return fail(im, "a constant divided by an activation is not supported");
    const sirnn_gtensor *xt = tens(im, x);
    float *e = NULL;
    if (broadcast(im, c, xt, &e) != 0)
        return -1;
    const size_t n = sirnn_graph_size(im->g, x->tensor);
    sirnn_gnode gn = {.nin = 1, .in = {x->tensor}, .nw = (uint32_t)n, .w = e};
    switch (kind) {
    case '+': gn.op = SIRNN_GOP_ADD_CONST; break;
    case '-':
        gn.op = SIRNN_GOP_ADD_CONST;
        if (const_first)
            gn.attr[SIRNN_GA_NEG] = 1;
        else
            for (size_t i = 0; i < n; i++)
                e[i] = -e[i];
        break;
    case '*': gn.op = SIRNN_GOP_MUL_CONST; break;
    default:
        gn.op = SIRNN_GOP_MUL_CONST;
        for (size_t i = 0; i < n; i++) {
            if (e[i] == 0) {
                free(e);
                return fail(im, "division by a constant 0");
            }
            e[i] = 1.0f / e[i];
        }
        break;
    }
    uint32_t dims[SIRNN_GRAPH_MAX_RANK];
    memcpy(dims, xt->dims, sizeof(dims));
    int rc = new_act(im, nd, 0, xt->rank, dims, &y);
    if (rc == 0) {
        gn.out = y->tensor;
        rc = add_node(im, &gn);
    }
    free(e);
    im->last_is_fused = 0;
    return rc;
}

static int op_batchnorm(imp *im, const Onnx__NodeProto *nd, const unsigned *uses_of_x)
{
    static const char *const allowed[] = {"epsilon", "momentum", "spatial", "training_mode",
                                          NULL};
    if (check_attrs(im, nd, allowed) != 0)
        return -1;
    int64_t training = 0, spatial = 1;
    float eps = 1e-5f;
    if (attr_float(im, nd, "epsilon", 1e-5f, &eps) != 0 ||
        attr_int(im, nd, "training_mode", 0, &training) != 0 ||
        attr_int(im, nd, "spatial", 1, &spatial) != 0)
        return -1;
    if (training != 0 || spatial != 1 || (nd->n_output > 1 && nd->output[1][0] != '\0'))
        return fail(im, "only inference-mode BatchNormalization is supported");
    val *x, *p[4];
    if (activation(im, nd, 0, &x) != 0)
        return -1;
    /* copies: the tensor table moves when tensors are added */
    const uint32_t xrank = tens(im, x)->rank;
    uint32_t xdims[SIRNN_GRAPH_MAX_RANK];
    memcpy(xdims, tens(im, x)->dims, sizeof(xdims));
    const size_t C = xdims[0];
    for (int i = 0; i < 4; i++) {
        if (input(im, nd, (size_t)i + 1, &p[i]) != 0)
            return -1;
        if (!p[i]->is_const || p[i]->n != C)
            return fail(im, "scale, B, mean and var must be constants of %zu values", C);
    }
    float *a = malloc(C * sizeof(float)), *c = malloc(C * sizeof(float));
    if (a == NULL || c == NULL) {
        free(a);
        free(c);
        return fail(im, "out of memory");
    }
    for (size_t k = 0; k < C; k++) {
        a[k] = p[0]->f[k] / sqrtf(p[3]->f[k] + eps);
        c[k] = p[1]->f[k] - p[2]->f[k] * a[k];
    }
    sirnn_graph *g = im->g;
    sirnn_gnode *last = g->nnodes ? &g->nodes[g->nnodes - 1] : NULL;
    int rc = 0;
    if (im->last_is_fused && last != NULL && last->out == x->tensor && *uses_of_x == 1 &&
        (last->op == SIRNN_GOP_CONV || (last->op == SIRNN_GOP_DENSE && xrank == 1))) {
        /* fold: W'[m] = a[m] W[m], b' = a b + c, per output channel m */
        const size_t per = last->nw / C;
        if (last->nb == 0) {
            last->b = calloc(C, sizeof(float));
            if (last->b == NULL)
                rc = fail(im, "out of memory");
            else
                last->nb = (uint32_t)C;
        }
        for (size_t m = 0; rc == 0 && m < C; m++) {
            for (size_t k = 0; k < per; k++) {
                float *w = last->op == SIRNN_GOP_CONV ? &last->w[m * per + k]
                                                      : &last->w[k * C + m];
                *w *= a[m];
            }
            last->b[m] = a[m] * last->b[m] + c[m];
        }
        if (rc == 0) { /* the BN's output is the folded node's */
            val *y = add_val(im, nd->output[0]);
            if (y == NULL)
                rc = fail(im, "out of memory");
            else
                y->tensor = x->tensor;
        }
    } else {
        /* y = a x + c per channel (dimension 0 of the example) */
        const size_t n = sirnn_graph_size(g, x->tensor), inner = n / C;
        float *ea = malloc(n * sizeof(float)), *ec = malloc(n * sizeof(float));
        uint32_t mid, dims[SIRNN_GRAPH_MAX_RANK];
        memcpy(dims, xdims, sizeof(dims));
        char nm[SIRNN_GRAPH_NAME];
        snprintf(nm, sizeof(nm), "%.40s/scaled", nd->output[0]);
        if (ea == NULL || ec == NULL)
            rc = fail(im, "out of memory");
        for (size_t i = 0; rc == 0 && i < n; i++) {
            ea[i] = a[i / inner];
            ec[i] = c[i / inner];
        }
        if (rc == 0 && sirnn_graph_add_tensor(g, &mid, nm, xrank, dims) != SIRNN_OK)
            rc = fail(im, "%s", sirnn_last_error());
        if (rc == 0) {
            sirnn_gnode m1 = {.op = SIRNN_GOP_MUL_CONST, .nin = 1, .in = {x->tensor}, .out = mid,
                              .nw = (uint32_t)n, .w = ea};
            rc = add_node(im, &m1);
        }
        val *y;
        if (rc == 0)
            rc = new_act(im, nd, 0, xrank, dims, &y);
        if (rc == 0) {
            sirnn_gnode m2 = {.op = SIRNN_GOP_ADD_CONST, .nin = 1, .in = {mid}, .out = y->tensor,
                              .nw = (uint32_t)n, .w = ec};
            rc = add_node(im, &m2);
        }
        free(ea);
        free(ec);
    }
    free(a);
    free(c);
    im->last_is_fused = 0;
    return rc;
}

/* RESHAPE to a per-example shape. */
static int reshape_to(imp *im, const Onnx__NodeProto *nd, val *x, uint32_t rank,
                      const uint32_t *dims)
{
    if (rank < 1 || rank > SIRNN_GRAPH_MAX_RANK)
        return fail(im, "a result of rank %u (plus the batch); at most %d", rank,
                    SIRNN_GRAPH_MAX_RANK);
    val *y;
    if (new_act(im, nd, 0, rank, dims, &y) != 0)
        return -1;
    if (sirnn_graph_size(im->g, y->tensor) != sirnn_graph_size(im->g, x->tensor))
        return fail(im, "the new shape has %zu values per example, the input %zu",
                    sirnn_graph_size(im->g, y->tensor), sirnn_graph_size(im->g, x->tensor));
    sirnn_gnode gn = {.op = SIRNN_GOP_RESHAPE, .nin = 1, .in = {x->tensor}, .out = y->tensor};
    im->last_is_fused = 0;
    return add_node(im, &gn);
}

static int op_flatten(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"axis", NULL};
    int64_t axis = 1; /* set by attr_int; GCC cannot see it */
    val *x;
    if (check_attrs(im, nd, allowed) != 0 || attr_int(im, nd, "axis", 1, &axis) != 0 ||
        activation(im, nd, 0, &x) != 0)
        return -1;
    if (axis != 1)
        return fail(im, "axis %lld (only 1, keeping the batch, is supported)", (long long)axis);
    const uint32_t d[SIRNN_GRAPH_MAX_RANK] = {(uint32_t)sirnn_graph_size(im->g, x->tensor), 1,
                                              1, 1};
    return reshape_to(im, nd, x, 1, d);
}

static int op_reshape(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"allowzero", NULL};
    int64_t allowzero;
    val *x, *s;
    if (check_attrs(im, nd, allowed) != 0 || attr_int(im, nd, "allowzero", 0, &allowzero) != 0 ||
        activation(im, nd, 0, &x) != 0 || input_sym(im, nd, 1, &s) != 0)
        return -1;
    if (allowzero != 0)
        return fail(im, "allowzero = 1 is not supported");
    if (!s->is_const || s->fill || s->rank != 1 || s->n < 2 || s->n > SIRNN_GRAPH_MAX_RANK + 1)
        return fail(im, "the shape must be a constant of 2..%d values (batch first)",
                    SIRNN_GRAPH_MAX_RANK + 1);
    if (s->bpos1 > 1)
        return fail(im, "the batch size (from Shape) moves to dimension %u", s->bpos1 - 1);
    const sirnn_gtensor *xt = tens(im, x);
    const float b0 = s->bpos1 == 1 ? 0 : s->f[0]; /* the batch size itself: keep it */
    if (b0 != -1 && b0 != 0 && b0 != 1)
        return fail(im, "the batch dimension becomes %g (must stay the batch)", (double)b0);
    uint32_t rank = (uint32_t)s->n - 1, dims[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1};
    const size_t total = sirnn_graph_size(im->g, x->tensor);
    size_t known = 1;
    int infer = -1;
    for (uint32_t i = 0; i < rank; i++) {
        const float v = s->f[i + 1];
        if (v == -1) {
            if (infer >= 0 || b0 == -1)
                return fail(im, "more than one -1 in the shape");
            infer = (int)i;
            continue;
        }
        if (v == 0) {
            if (i >= xt->rank)
                return fail(im, "0 copies a dimension the input does not have");
            dims[i] = xt->dims[i];
        } else if (v < 1 || v > SIRNN_GRAPH_MAX_DIM) {
            return fail(im, "shape value %g", (double)v);
        } else {
            dims[i] = (uint32_t)v;
        }
        known *= dims[i];
    }
    if (infer >= 0) {
        if (known == 0 || total % known != 0)
            return fail(im, "-1 cannot be inferred");
        dims[infer] = (uint32_t)(total / known);
    }
    return reshape_to(im, nd, x, rank, dims);
}

/* The raw axes of Squeeze / Unsqueeze (attribute, or constant input 1). */
static int raw_axes(imp *im, const Onnx__NodeProto *nd, int64_t *axes, size_t *n)
{
    const Onnx__AttributeProto *a = attr(nd, "axes");
    *n = 0;
    if (a != NULL) {
        if (a->n_ints > SIRNN_GRAPH_MAX_RANK + 1)
            return fail(im, "too many axes");
        for (size_t i = 0; i < a->n_ints; i++)
            axes[(*n)++] = a->ints[i];
    } else if (nd->n_input > 1 && nd->input[1][0] != '\0') {
        val *c;
        if (input(im, nd, 1, &c) != 0)
            return -1;
        if (!c->is_const || c->n > SIRNN_GRAPH_MAX_RANK + 1)
            return fail(im, "the axes must be a constant");
        for (size_t i = 0; i < c->n; i++)
            axes[(*n)++] = (int64_t)c->f[i];
    }
    return 0;
}

/* The full shape (batch included, rank in) after Squeeze / Unsqueeze of
 * `axes`; keep[] gets, per output axis, the input axis it comes from (-1:
 * inserted). A full-rank shape of a constant, or of an activation whose
 * batch axis bax (-1 for a constant) must stay. */
static int squeeze_shape(imp *im, int unsqueeze, const int64_t *dims, uint32_t rank,
                         int64_t bax, const int64_t *axes_in, size_t na, int64_t *od,
                         int32_t *from, uint32_t *orank)
{
    int64_t axes[MAX_CRANK + 2];
    const uint32_t R = unsqueeze ? rank + (uint32_t)na : rank;
    if (R > MAX_CRANK || na > MAX_CRANK)
        return fail(im, "a result of rank %u", R);
    for (size_t i = 0; i < na; i++) {
        axes[i] = axes_in[i] < 0 ? axes_in[i] + R : axes_in[i];
        if (axes[i] < 0 || axes[i] >= (int64_t)R)
            return fail(im, "axis %lld out of range", (long long)axes_in[i]);
    }
    uint32_t r = 0;
    if (!unsqueeze) {
        for (uint32_t i = 0; i < rank; i++) {
            int drop = na == 0 ? dims[i] == 1 && (int64_t)i != bax : 0;
            for (size_t k = 0; k < na; k++)
                drop |= axes[k] == (int64_t)i;
            if (drop && ((int64_t)i == bax || dims[i] != 1))
                return fail(im, "axis %u is %s, not of size 1", i,
                            (int64_t)i == bax ? "the batch" : "not 1");
            if (!drop) {
                from[r] = (int32_t)i;
                od[r++] = dims[i];
            }
        }
    } else {
        uint32_t src = 0;
        for (uint32_t i = 0; i < R; i++) {
            int ins = 0;
            for (size_t k = 0; k < na; k++)
                ins |= axes[k] == (int64_t)i;
            if (!ins && src >= rank)
                return fail(im, "repeated axes");
            from[i] = ins ? -1 : (int32_t)src;
            od[i] = ins ? 1 : dims[src++];
        }
        r = R;
    }
    *orank = r;
    return 0;
}

static int fold_squeeze(imp *im, const Onnx__NodeProto *nd, const val *x, int unsqueeze);

/* Squeeze / Unsqueeze of an activation (RESHAPE; the batch may sit at any
 * axis and stays where the other axes put it) or of a constant (folded). */
static int op_squeeze(imp *im, const Onnx__NodeProto *nd, int unsqueeze)
{
    static const char *const allowed[] = {"axes", NULL};
    val *x;
    if (check_attrs(im, nd, allowed) != 0 || input_sym(im, nd, 0, &x) != 0)
        return -1;
    if (x->is_const)
        return fold_squeeze(im, nd, x, unsqueeze);
    if (activation_bax(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    int64_t axes[MAX_CRANK + 2], full[MAX_CRANK], od[MAX_CRANK + 2];
    int32_t from[MAX_CRANK + 2];
    size_t na;
    uint32_t orank, k = 0;
    for (uint32_t i = 0; i <= xt->rank; i++)
        full[i] = i == x->bax ? 0 : xt->dims[k++];
    if (raw_axes(im, nd, axes, &na) != 0 ||
        squeeze_shape(im, unsqueeze, full, xt->rank + 1, x->bax, axes, na, od, from, &orank) != 0)
        return -1;
    uint32_t dims[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1}, r = 0, obax = 0;
    for (uint32_t i = 0; i < orank; i++) {
        if (from[i] == (int32_t)x->bax) {
            obax = i;
            continue;
        }
        if (r == SIRNN_GRAPH_MAX_RANK)
            return fail(im, "a result of rank %u (plus the batch)", orank - 1);
        dims[r++] = (uint32_t)od[i];
    }
    if (r == 0) /* only the batch is left: one value per example */
        r = 1;
    if (reshape_to(im, nd, x, r, dims) != 0)
        return -1;
    im->vals[im->nvals - 1].bax = obax;
    return 0;
}

/* ---- public index maps: Transpose, Concat, Slice, Gather ----------------------------- */

static size_t multi_to_lin(const uint32_t *dims, uint32_t rank, const uint32_t *m)
{
    size_t lin = 0;
    for (uint32_t i = 0; i < rank; i++)
        lin = lin * dims[i] + m[i];
    return lin;
}

static void lin_to_multi(const uint32_t *dims, uint32_t rank, size_t lin, uint32_t *m)
{
    for (uint32_t i = rank; i-- > 0;) {
        m[i] = (uint32_t)(lin % dims[i]);
        lin /= dims[i];
    }
}

/* A GATHER node from x (and x2) to a new activation of the given shape; idx
 * is taken over. */
static int gather_node(imp *im, const Onnx__NodeProto *nd, size_t o, val *x, val *x2,
                       uint32_t rank, const uint32_t *dims, uint32_t *idx)
{
    val *y;
    if (rank < 1 || rank > SIRNN_GRAPH_MAX_RANK) {
        free(idx);
        return fail(im, "a result of rank %u (plus the batch); at most %d", rank,
                    SIRNN_GRAPH_MAX_RANK);
    }
    if (new_act(im, nd, o, rank, dims, &y) != 0) {
        free(idx);
        return -1;
    }
    sirnn_gnode gn = {.op = SIRNN_GOP_GATHER, .nin = x2 ? 2 : 1,
                      .in = {x->tensor, x2 ? x2->tensor : 0}, .out = y->tensor,
                      .nidx = (uint32_t)sirnn_graph_size(im->g, y->tensor), .idx = idx};
    const int rc = add_node(im, &gn);
    free(idx);
    im->last_is_fused = 0;
    return rc;
}

/* A full-rank axis (batch = 0) as a per-example axis, refusing the batch. */
static int example_axis(imp *im, int64_t axis, uint32_t rank, uint32_t *out)
{
    if (axis < 0)
        axis += (int64_t)rank + 1;
    if (axis <= 0 || axis > (int64_t)rank)
        return fail(im, "axis %lld (the batch, or out of range) is not supported",
                    (long long)axis);
    *out = (uint32_t)axis - 1;
    return 0;
}

/* Transpose, the batch axis included: the batch may move (a time-major
 * recurrent input [seq, batch, ..] and back); the per-example data is
 * permuted as the other axes are, by a GATHER (no node when their order
 * stays). */
static int op_transpose(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"perm", NULL};
    val *x;
    if (check_attrs(im, nd, allowed) != 0 || activation_bax(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    const uint32_t r = xt->rank, bax = x->bax;
    const Onnx__AttributeProto *a = attr(nd, "perm");
    if (a == NULL || a->n_ints != r + 1)
        return fail(im, "needs perm with %u entries (the default reverses the batch)", r + 1);
    uint32_t p[SIRNN_GRAPH_MAX_RANK], od[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1}, seen = 0;
    uint32_t obax = 0, k = 0;
    for (uint32_t j = 0; j <= r; j++) {
        const int64_t src = a->ints[j];
        if (src < 0 || src > (int64_t)r || (seen >> src) & 1)
            return fail(im, "perm is not a permutation");
        seen |= 1u << src;
        if ((uint32_t)src == bax) {
            obax = j;
            continue;
        }
        p[k] = (uint32_t)src - ((uint32_t)src > bax); /* the per-example axis */
        od[k] = xt->dims[p[k]];
        k++;
    }
    int identity = 1;
    for (uint32_t i = 0; i < r; i++)
        identity &= p[i] == i;
    if (identity) { /* the same data, the batch elsewhere */
        if (nd->n_output != 1)
            return fail(im, "needs one output");
        val *y = add_val(im, nd->output[0]);
        if (y == NULL)
            return fail(im, "out of memory");
        y->tensor = x->tensor;
        y->bax = obax;
        return 0;
    }
    const size_t n = sirnn_graph_size(im->g, x->tensor);
    uint32_t *idx = malloc(n * sizeof(uint32_t));
    if (idx == NULL)
        return fail(im, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t o[SIRNN_GRAPH_MAX_RANK] = {0, 0, 0, 0}, s[SIRNN_GRAPH_MAX_RANK] = {0, 0, 0, 0};
        lin_to_multi(od, r, i, o);
        for (uint32_t q = 0; q < r; q++)
            s[p[q]] = o[q];
        idx[i] = (uint32_t)multi_to_lin(xt->dims, r, s);
    }
    if (gather_node(im, nd, 0, x, NULL, r, od, idx) != 0)
        return -1;
    im->vals[im->nvals - 1].bax = obax;
    return 0;
}

/* Concat of two activations along a per-example axis into output o of nd
 * (as the named value `name` when o is not the node's output). */
static int concat2(imp *im, const Onnx__NodeProto *nd, val *a, val *b, uint32_t ax,
                   size_t o, val **out)
{
    const sirnn_gtensor *at = tens(im, a), *bt = tens(im, b);
    if (at->rank != bt->rank)
        return fail(im, "inputs of different ranks");
    uint32_t od[SIRNN_GRAPH_MAX_RANK];
    memcpy(od, at->dims, sizeof(od));
    for (uint32_t k = 0; k < at->rank; k++)
        if (k != ax && at->dims[k] != bt->dims[k])
            return fail(im, "inputs differ in dimension %u", k + 1);
    od[ax] = at->dims[ax] + bt->dims[ax];
    if (od[ax] > SIRNN_GRAPH_MAX_DIM)
        return fail(im, "a dimension of %u", od[ax]);
    size_t n = 1;
    for (uint32_t k = 0; k < at->rank; k++)
        n *= od[k];
    const size_t s0 = sirnn_graph_size(im->g, a->tensor);
    uint32_t *idx = malloc(n * sizeof(uint32_t) + 1);
    if (idx == NULL)
        return fail(im, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t m[SIRNN_GRAPH_MAX_RANK] = {0, 0, 0, 0};
        lin_to_multi(od, at->rank, i, m);
        if (m[ax] < at->dims[ax]) {
            idx[i] = (uint32_t)multi_to_lin(at->dims, at->rank, m);
        } else {
            m[ax] -= at->dims[ax];
            idx[i] = (uint32_t)(s0 + multi_to_lin(bt->dims, bt->rank, m));
        }
    }
    if (gather_node(im, nd, o, a, b, at->rank, od, idx) != 0)
        return -1;
    *out = &im->vals[im->nvals - 1];
    return 0;
}

static int fold_concat(imp *im, const Onnx__NodeProto *nd, int64_t axis);

static int op_concat(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"axis", NULL};
    int64_t axis;
    val *acc;
    if (check_attrs(im, nd, allowed) != 0 || attr_int(im, nd, "axis", 0, &axis) != 0 ||
        input_sym(im, nd, 0, &acc) != 0)
        return -1;
    if (acc->is_const)
        return fold_concat(im, nd, axis);
    if (activation(im, nd, 0, &acc) != 0)
        return -1;
    uint32_t ax = 0;
    if (nd->n_input < 2 || nd->n_output != 1)
        return fail(im, "needs at least two inputs and one output");
    if (example_axis(im, axis, tens(im, acc)->rank, &ax) != 0)
        return -1;
    for (size_t i = 1; i < nd->n_input; i++) {
        val *b;
        if (activation(im, nd, i, &b) != 0)
            return -1;
        if (i + 1 < nd->n_input) {
            /* an intermediate value, named after the output */
            char nm[128];
            snprintf(nm, sizeof(nm), "%.40s/part%u", nd->output[0], (unsigned)i);
            Onnx__NodeProto part = *nd;
            char *outs[1] = {nm};
            part.output = outs;
            part.n_output = 1;
            val *mid;
            if (concat2(im, &part, acc, b, ax, 0, &mid) != 0)
                return -1;
            mid->name = ""; /* an unnamed intermediate (nm is on the stack) */
            acc = mid;
        } else if (concat2(im, nd, acc, b, ax, 0, &acc) != 0) {
            return -1;
        }
    }
    return 0;
}

static int op_slice(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"starts", "ends", "axes", NULL};
    val *x;
    if (check_attrs(im, nd, allowed) != 0 || activation(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    const uint32_t r = xt->rank;
    int64_t st[SIRNN_GRAPH_MAX_RANK + 1], en[SIRNN_GRAPH_MAX_RANK + 1];
    int64_t ax[SIRNN_GRAPH_MAX_RANK + 1], sp[SIRNN_GRAPH_MAX_RANK + 1];
    size_t k = 0;
    const Onnx__AttributeProto *as = attr(nd, "starts"), *ae = attr(nd, "ends"),
                               *aa = attr(nd, "axes");
    if (as != NULL || ae != NULL) { /* opset < 10 */
        if (as == NULL || ae == NULL || as->n_ints != ae->n_ints || as->n_ints > r + 1 ||
            (aa != NULL && aa->n_ints != as->n_ints))
            return fail(im, "starts, ends and axes do not match");
        k = as->n_ints;
        for (size_t i = 0; i < k; i++) {
            st[i] = as->ints[i];
            en[i] = ae->ints[i];
            ax[i] = aa ? aa->ints[i] : (int64_t)i;
            sp[i] = 1;
        }
    } else {
        val *c[4] = {NULL, NULL, NULL, NULL};
        for (size_t i = 1; i < nd->n_input && i < 5; i++) {
            if (nd->input[i][0] == '\0')
                continue;
            if (input(im, nd, i, &c[i - 1]) != 0)
                return -1;
            if (!c[i - 1]->is_const)
                return fail(im, "starts, ends, axes and steps must be constants");
        }
        if (c[0] == NULL || c[1] == NULL || c[0]->n != c[1]->n || c[0]->n > r + 1 ||
            (c[2] && c[2]->n != c[0]->n) || (c[3] && c[3]->n != c[0]->n))
            return fail(im, "starts, ends, axes and steps do not match");
        k = c[0]->n;
        for (size_t i = 0; i < k; i++) {
            st[i] = (int64_t)c[0]->f[i];
            en[i] = c[1]->f[i] >= 9e18f ? INT64_MAX : c[1]->f[i] <= -9e18f ? INT64_MIN
                                                                             : (int64_t)c[1]->f[i];
            ax[i] = c[2] ? (int64_t)c[2]->f[i] : (int64_t)i;
            sp[i] = c[3] ? (int64_t)c[3]->f[i] : 1;
        }
    }
    uint32_t start[SIRNN_GRAPH_MAX_RANK] = {0}, step[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1};
    uint32_t od[SIRNN_GRAPH_MAX_RANK];
    memcpy(od, xt->dims, sizeof(od));
    for (size_t i = 0; i < k; i++) {
        uint32_t a = 0;
        if (example_axis(im, ax[i], r, &a) != 0)
            return -1;
        const int64_t d = xt->dims[a];
        if (sp[i] != 1)
            return fail(im, "steps other than 1 are not supported");
        int64_t s = st[i] < 0 ? st[i] + d : st[i], e = en[i] < 0 ? en[i] + d : en[i];
        s = s < 0 ? 0 : s > d ? d : s;
        e = e < 0 ? 0 : e > d ? d : e;
        if (e <= s)
            return fail(im, "an empty slice on axis %u", a + 1);
        start[a] = (uint32_t)s;
        od[a] = (uint32_t)(e - s);
        step[a] = 1;
    }
    size_t n = 1;
    for (uint32_t i = 0; i < r; i++)
        n *= od[i];
    uint32_t *idx = malloc(n * sizeof(uint32_t));
    if (idx == NULL)
        return fail(im, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t m[SIRNN_GRAPH_MAX_RANK] = {0, 0, 0, 0};
        lin_to_multi(od, r, i, m);
        for (uint32_t q = 0; q < r; q++)
            m[q] = start[q] + m[q] * step[q];
        idx[i] = (uint32_t)multi_to_lin(xt->dims, r, m);
    }
    return gather_node(im, nd, 0, x, NULL, r, od, idx);
}

static int fold_gather(imp *im, const Onnx__NodeProto *nd, const val *x, const val *c,
                       int64_t axis);

static int op_gather(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"axis", NULL};
    int64_t axis;
    val *x, *c;
    if (check_attrs(im, nd, allowed) != 0 || attr_int(im, nd, "axis", 0, &axis) != 0 ||
        input_sym(im, nd, 0, &x) != 0 || input(im, nd, 1, &c) != 0)
        return -1;
    if (!c->is_const)
        return fail(im, "the indices must be a constant (a secret index is not supported)");
    if (x->is_const)
        return fold_gather(im, nd, x, c, axis);
    if (activation_bax(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    /* the axis over the full shape, then over the example (the batch at x->bax) */
    if (axis < 0)
        axis += (int64_t)xt->rank + 1;
    if (axis < 0 || axis > (int64_t)xt->rank || axis == (int64_t)x->bax)
        return fail(im, "axis %lld (the batch, or out of range) is not supported",
                    (long long)axis);
    const uint32_t a = (uint32_t)axis - ((uint32_t)axis > x->bax);
    const uint32_t obax = x->bax < (uint32_t)axis ? x->bax : x->bax - 1 + c->rank;
    const uint32_t r = xt->rank, ri = c->rank, ro = r - 1 + ri;
    if (ro < 1 || ro > SIRNN_GRAPH_MAX_RANK)
        return fail(im, "a result of rank %u (plus the batch)", ro);
    uint32_t od[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1};
    for (uint32_t i = 0; i < a; i++)
        od[i] = xt->dims[i];
    for (uint32_t i = 0; i < ri; i++)
        od[a + i] = (uint32_t)c->dims[i];
    for (uint32_t i = a + 1; i < r; i++)
        od[i - 1 + ri] = xt->dims[i];
    size_t n = 1;
    for (uint32_t i = 0; i < ro; i++)
        n *= od[i];
    uint32_t *idx = malloc(n * sizeof(uint32_t) + 1);
    if (idx == NULL)
        return fail(im, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t m[SIRNN_GRAPH_MAX_RANK] = {0, 0, 0, 0}, s[SIRNN_GRAPH_MAX_RANK] = {0, 0, 0, 0};
        lin_to_multi(od, ro, i, m);
        size_t ci = 0;
        for (uint32_t q = 0; q < ri; q++)
            ci = ci * (size_t)c->dims[q] + m[a + q];
        /* checked as a float first: a NaN or a huge index has no int64_t */
        const double fv = (double)c->f[ci];
        if (!(fv > -(double)xt->dims[a] - 1.0 && fv < (double)xt->dims[a])) {
            free(idx);
            return fail(im, "index %g out of range 0..%u", fv, xt->dims[a] - 1);
        }
        int64_t v = (int64_t)fv;
        if (v < 0)
            v += xt->dims[a];
        if (v < 0 || v >= (int64_t)xt->dims[a]) {
            free(idx);
            return fail(im, "index %g out of range 0..%u", fv, xt->dims[a] - 1);
        }
        for (uint32_t q = 0; q < a; q++)
            s[q] = m[q];
        s[a] = (uint32_t)v;
        for (uint32_t q = a + 1; q < r; q++)
            s[q] = m[q - 1 + ri];
        idx[i] = (uint32_t)multi_to_lin(xt->dims, r, s);
    }
    if (gather_node(im, nd, 0, x, NULL, ro, od, idx) != 0)
        return -1;
    im->vals[im->nvals - 1].bax = obax;
    return 0;
}

/* Sqrt is run as 1 / sqrt (RSQRT) when its only reader is a Reciprocal or
 * the denominator of a Div, which then use it as such. */
static int op_sqrt(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const none[] = {NULL};
    val *x, *y;
    if (check_attrs(im, nd, none) != 0 || activation(im, nd, 0, &x) != 0)
        return -1;
    if (nd->n_output != 1)
        return fail(im, "needs one output");
    const char *o = nd->output[0];
    unsigned readers = 0, ok = 0;
    for (size_t i = 0; i < im->gp->n_node; i++) {
        const Onnx__NodeProto *r = im->gp->node[i];
        for (size_t j = 0; j < r->n_input; j++) {
            if (r->input[j] == NULL || strcmp(r->input[j], o) != 0)
                continue;
            readers++;
            ok += (strcmp(r->op_type, "Reciprocal") == 0 && j == 0) ||
                  (strcmp(r->op_type, "Div") == 0 && j == 1);
        }
    }
    for (size_t i = 0; i < im->gp->n_output; i++)
        readers += im->gp->output[i]->name && strcmp(im->gp->output[i]->name, o) == 0;
    if (readers != 1 || ok != 1)
        return fail(im, "Sqrt is supported only when a Reciprocal or a Div's denominator is "
                        "its only reader (it runs as 1 / sqrt)");
    const sirnn_gtensor *xt = tens(im, x);
    uint32_t dims[SIRNN_GRAPH_MAX_RANK];
    memcpy(dims, xt->dims, sizeof(dims));
    if (new_act(im, nd, 0, xt->rank, dims, &y) != 0)
        return -1;
    y->rsqrt = 1;
    sirnn_gnode gn = {.op = SIRNN_GOP_RSQRT, .nin = 1, .in = {x->tensor}, .out = y->tensor};
    im->last_is_fused = 0;
    return add_node(im, &gn);
}

static int op_reciprocal(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const none[] = {NULL};
    val *x;
    if (check_attrs(im, nd, none) != 0 || activation(im, nd, 0, &x) != 0)
        return -1;
    if (!x->rsqrt)
        return op_unary(im, nd, SIRNN_GOP_RECIP, 0, 0);
    val *y = add_val(im, nd->output[0]); /* 1 / sqrt(v) is already computed */
    if (y == NULL)
        return fail(im, "out of memory");
    y->tensor = x->tensor;
    return 0;
}

static int op_alias(imp *im, const Onnx__NodeProto *nd)
{
    val *x, *y;
    if (input_sym(im, nd, 0, &x) != 0)
        return -1;
    if (nd->n_output < 1 || (nd->n_output > 1 && nd->output[1][0] != '\0'))
        return fail(im, "only the first output is supported");
    y = add_val(im, nd->output[0]);
    if (y == NULL)
        return fail(im, "out of memory");
    *y = *x;
    y->name = nd->output[0];
    if (y->is_const) { /* a copy that owns its data */
        y->f = malloc((x->n ? x->n : 1) * sizeof(float));
        if (y->f == NULL)
            return fail(im, "out of memory");
        memcpy(y->f, x->f, x->n * sizeof(float));
    }
    return 0;
}

/* Pad whose pads are all zero (torch.onnx.export writes one before an
 * AvgPool2d): the same value. Real padding is refused (a CONV or pool that
 * pads by itself is the way to pad). */
static int op_pad_zero(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"mode", "pads", NULL};
    if (check_attrs(im, nd, allowed) != 0)
        return -1;
    if (!attr_string_is(nd, "mode", "constant"))
        return fail(im, "only mode 'constant' is supported");
    const Onnx__AttributeProto *a = attr(nd, "pads"); /* opset < 11 */
    const float *pads = NULL;
    size_t npads = 0;
    int64_t ipads[2 * MAX_CRANK] = {0};
    if (a != NULL) {
        if (a->n_ints > 2 * MAX_CRANK)
            return fail(im, "attribute 'pads' has %zu values", a->n_ints);
        npads = a->n_ints;
        memcpy(ipads, a->ints, npads * sizeof(int64_t));
    } else {
        val *p;
        if (input(im, nd, 1, &p) != 0)
            return -1;
        if (!p->is_const)
            return fail(im, "the pads must be a constant");
        pads = p->f;
        npads = p->n;
    }
    for (size_t k = 0; k < npads; k++)
        if ((pads != NULL ? pads[k] != 0.0f : ipads[k] != 0))
            return fail(im, "non-zero padding is unsupported (only all-zero pads)");
    /* the constant value (input 2) does not matter when nothing is padded */
    return op_alias(im, nd);
}

static int op_constant(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"value", "value_float", NULL};
    if (check_attrs(im, nd, allowed) != 0)
        return -1;
    if (nd->n_output != 1)
        return fail(im, "needs one output");
    val *v = add_val(im, nd->output[0]);
    if (v == NULL)
        return fail(im, "out of memory");
    const Onnx__AttributeProto *a = attr(nd, "value");
    if (a != NULL && a->t != NULL)
        return read_tensor(im, a->t, v);
    a = attr(nd, "value_float");
    if (a != NULL && a->has_f) {
        v->f = malloc(sizeof(float));
        if (v->f == NULL)
            return fail(im, "out of memory");
        v->f[0] = a->f;
        v->n = 1;
        v->is_const = 1;
        return 0;
    }
    return fail(im, "needs a tensor 'value'");
}

/* Softmax or ArgMax on the last axis producing the graph output: ARGMAX. */
static int op_final(imp *im, const Onnx__NodeProto *nd, int argmax, const char *graph_out)
{
    static const char *const sm[] = {"axis", NULL};
    static const char *const am[] = {"axis", "keepdims", "select_last_index", NULL};
    if (check_attrs(im, nd, argmax ? am : sm) != 0)
        return -1;
    if (nd->n_output != 1 || strcmp(nd->output[0], graph_out) != 0)
        return fail(im, "supported only as the last operator, producing the graph's output");
    val *x;
    if (activation(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    int64_t axis, last = 0;
    if (attr_int(im, nd, "axis", argmax ? 0 : -1, &axis) != 0 ||
        (argmax && attr_int(im, nd, "select_last_index", 0, &last) != 0))
        return -1;
    if (axis < 0)
        axis += xt->rank + 1;
    if (axis != (int64_t)xt->rank || xt->rank != 1 || last != 0)
        return fail(im, "only over the last axis of N x C scores (first index on ties)");
    im->g->output = x->tensor;
    im->g->has_argmax = 1;
    const uint32_t one[SIRNN_GRAPH_MAX_RANK] = {1, 1, 1, 1};
    val *y;
    if (new_act(im, nd, 0, 1, one, &y) != 0)
        return -1;
    sirnn_gnode gn = {.op = SIRNN_GOP_ARGMAX, .nin = 1, .in = {x->tensor}, .out = y->tensor};
    return add_node(im, &gn);
}

/* ---- shape folding -------------------------------------------------------------------
 * A torch export with a dynamic batch computes shapes at run time: Shape of
 * an activation, Gather / Unsqueeze / Squeeze / Concat of the result, then
 * Reshape or ConstantOfShape (the zero initial state of an RNN). They are
 * folded here into constants; the one unknown, the batch size, is tracked
 * as the element bpos1 - 1 of the folded vector, and a ConstantOfShape of a
 * shape that holds it becomes a `fill` value (only an RNN's initial state
 * reads one). */

/* A new constant named output 0 of nd, of the given shape, values
 * uninitialised. */
static int new_const(imp *im, const Onnx__NodeProto *nd, uint32_t rank, const int64_t *dims,
                     val **out)
{
    if (nd->n_output != 1 || nd->output[0][0] == '\0')
        return fail(im, "needs one output");
    size_t n = 1;
    for (uint32_t i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > (int64_t)MAX_CONST)
            return fail(im, "a constant dimension of %lld", (long long)dims[i]);
        n *= (size_t)dims[i];
        if (n > MAX_CONST)
            return fail(im, "a constant is too large");
    }
    val *v = add_val(im, nd->output[0]);
    if (v == NULL)
        return fail(im, "out of memory");
    v->f = malloc((n ? n : 1) * sizeof(float));
    if (v->f == NULL)
        return fail(im, "out of memory");
    v->is_const = 1;
    v->n = n;
    v->rank = rank;
    memcpy(v->dims, dims, rank * sizeof(int64_t));
    *out = v;
    return 0;
}

static int op_shape(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const none[] = {NULL};
    val *x, *y;
    if (check_attrs(im, nd, none) != 0 || activation_bax(im, nd, 0, &x) != 0)
        return -1;
    const sirnn_gtensor *xt = tens(im, x);
    const uint32_t bax = x->bax, r = xt->rank + 1;
    const int64_t d1 = r;
    if (new_const(im, nd, 1, &d1, &y) != 0)
        return -1;
    for (uint32_t i = 0, k = 0; i < r; i++)
        y->f[i] = i == bax ? 1.0f : (float)xt->dims[k++]; /* 1: a stand-in for the batch */
    y->bpos1 = bax + 1;
    return 0;
}

static int op_constant_of_shape(imp *im, const Onnx__NodeProto *nd)
{
    static const char *const allowed[] = {"value", NULL};
    val *s, *y;
    if (check_attrs(im, nd, allowed) != 0 || input_sym(im, nd, 0, &s) != 0)
        return -1;
    if (!s->is_const || s->fill || s->rank != 1 || s->n > MAX_CRANK)
        return fail(im, "the shape must be a constant vector of at most %d values", MAX_CRANK);
    float value = 0;
    const Onnx__AttributeProto *a = attr(nd, "value");
    if (a != NULL) {
        val tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (a->t == NULL)
            return fail(im, "attribute 'value' is not a tensor");
        if (read_tensor(im, a->t, &tmp) != 0) {
            free(tmp.f);
            return -1;
        }
        const int one = tmp.n == 1;
        value = one ? tmp.f[0] : 0;
        free(tmp.f);
        if (!one)
            return fail(im, "attribute 'value' must hold one value");
    }
    int64_t dims[MAX_CRANK];
    for (size_t i = 0; i < s->n; i++) {
        if (!(s->f[i] >= 0 && s->f[i] <= (float)MAX_CONST))
            return fail(im, "shape value %g", (double)s->f[i]);
        dims[i] = (int64_t)s->f[i];
    }
    if (s->bpos1) { /* batch-dependent: remember the value only */
        const int64_t one = 1;
        if (new_const(im, nd, 1, &one, &y) != 0)
            return -1;
        y->f[0] = value;
        y->fill = 1;
        return 0;
    }
    if (new_const(im, nd, (uint32_t)s->n, dims, &y) != 0)
        return -1;
    for (size_t i = 0; i < y->n; i++)
        y->f[i] = value;
    return 0;
}

/* Gather on a constant: folded (indices c, the axis over x's dims). */
static int fold_gather(imp *im, const Onnx__NodeProto *nd, const val *x, const val *c,
                       int64_t axis)
{
    if (x->fill)
        return fail(im, "a ConstantOfShape of a batch-dependent shape cannot be gathered");
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis >= (int64_t)x->rank || x->rank + c->rank - 1 > MAX_CRANK)
        return fail(im, "axis %lld out of range", (long long)axis);
    const uint32_t a = (uint32_t)axis, ro = x->rank - 1 + c->rank;
    int64_t od[MAX_CRANK];
    size_t outer = 1, inner = 1;
    for (uint32_t i = 0; i < a; i++)
        outer *= (size_t)x->dims[i];
    for (uint32_t i = a + 1; i < x->rank; i++)
        inner *= (size_t)x->dims[i];
    memcpy(od, x->dims, a * sizeof(int64_t));
    memcpy(od + a, c->dims, c->rank * sizeof(int64_t));
    memcpy(od + a + c->rank, x->dims + a + 1, (x->rank - a - 1) * sizeof(int64_t));
    val *y;
    if (new_const(im, nd, ro, od, &y) != 0)
        return -1;
    const int64_t da = x->dims[a];
    size_t o = 0;
    for (size_t p = 0; p < outer; p++)
        for (size_t j = 0; j < c->n; j++) {
            if (!(fabsf(c->f[j]) <= (float)MAX_CONST))
                return fail(im, "index %g out of range", (double)c->f[j]);
            int64_t v = (int64_t)c->f[j];
            if (v < 0)
                v += da;
            if (v < 0 || v >= da)
                return fail(im, "index %lld out of range 0..%lld", (long long)c->f[j],
                            (long long)da - 1);
            for (size_t q = 0; q < inner; q++, o++) {
                const size_t src = (p * (size_t)da + (size_t)v) * inner + q;
                y->f[o] = x->f[src];
                if (x->bpos1 && src == x->bpos1 - 1) {
                    if (y->bpos1)
                        return fail(im, "the batch size is gathered twice");
                    y->bpos1 = (uint32_t)o + 1;
                }
            }
        }
    return 0;
}

static int fold_squeeze(imp *im, const Onnx__NodeProto *nd, const val *x, int unsqueeze)
{
    int64_t axes[MAX_CRANK + 2], od[MAX_CRANK + 2];
    int32_t from[MAX_CRANK + 2];
    size_t na;
    uint32_t orank;
    if (x->fill)
        return fail(im, "a ConstantOfShape of a batch-dependent shape cannot be reshaped");
    if (raw_axes(im, nd, axes, &na) != 0 ||
        squeeze_shape(im, unsqueeze, x->dims, x->rank, -1, axes, na, od, from, &orank) != 0)
        return -1;
    val *y;
    if (new_const(im, nd, orank, od, &y) != 0)
        return -1;
    memcpy(y->f, x->f, x->n * sizeof(float)); /* the same values in the same order */
    y->bpos1 = x->bpos1;
    return 0;
}

/* Concat of constants (all of them: a mix with activations is refused). */
static int fold_concat(imp *im, const Onnx__NodeProto *nd, int64_t axis)
{
    val *in[16] = {NULL};
    if (nd->n_input > 16)
        return fail(im, "more than 16 constant inputs");
    for (size_t i = 0; i < nd->n_input; i++) {
        if (input_sym(im, nd, i, &in[i]) != 0)
            return -1;
        if (!in[i]->is_const || in[i]->fill)
            return fail(im, "input %zu: constants and activations mixed", i);
        if (in[i]->rank != in[0]->rank)
            return fail(im, "inputs of different ranks");
    }
    const uint32_t r = in[0]->rank;
    if (axis < 0)
        axis += r;
    if (r == 0 || axis < 0 || axis >= (int64_t)r)
        return fail(im, "axis %lld out of range", (long long)axis);
    const uint32_t a = (uint32_t)axis;
    int64_t od[MAX_CRANK];
    memcpy(od, in[0]->dims, r * sizeof(int64_t));
    od[a] = 0;
    for (size_t i = 0; i < nd->n_input; i++) {
        for (uint32_t k = 0; k < r; k++)
            if (k != a && in[i]->dims[k] != od[k])
                return fail(im, "inputs differ in dimension %u", k);
        od[a] += in[i]->dims[a];
    }
    size_t outer = 1;
    for (uint32_t k = 0; k < a; k++)
        outer *= (size_t)od[k];
    val *y;
    if (new_const(im, nd, r, od, &y) != 0)
        return -1;
    size_t o = 0;
    for (size_t p = 0; p < outer; p++)
        for (size_t i = 0; i < nd->n_input; i++) {
            const size_t chunk = outer ? in[i]->n / outer : 0;
            for (size_t q = 0; q < chunk; q++, o++) {
                const size_t src = p * chunk + q;
                y->f[o] = in[i]->f[src];
                if (in[i]->bpos1 && src == in[i]->bpos1 - 1) {
                    if (y->bpos1)
                        return fail(im, "the batch size appears twice");
                    y->bpos1 = (uint32_t)o + 1;
                }
            }
        }
    return 0;
}

static unsigned count_uses(const Onnx__GraphProto *gp, const char *name);

/* ---- recurrent operators: LSTM, GRU, RNN ------------------------------------------------
 * Lowered onto the graph's primitive nodes and unrolled over the sequence,
 * so every executor runs them as it runs the rest (no recurrent protocol):
 * per direction, one DENSE projects the whole input sequence [T, I] onto
 * the gates at once (W^T, with the biases that sit outside the gates'
 * nonlinearity folded in); then per step a GATHER takes row t, a DENSE
 * adds R^T h_{t-1}, SIGMOID / TANH run on the gates' slices (GATHER), and
 * MUL / ADD / SUB combine them:
 *   LSTM (gates i o f c): c_t = f c_{t-1} + i tanh(..), h_t = o tanh(c_t);
 *   GRU (gates z r h): n = tanh(x W_h + r (h R_h + Rb_h)) (linear_before_reset
 *     1, torch's) or tanh(x W_h + (r h) R_h + Rb_h) (0), h_t = n + z (h_{t-1} - n);
 *   RNN: h_t = tanh(x W + h_{t-1} R + Wb + Rb).
 * A zero initial state (absent, zeros, or a ConstantOfShape of 0) drops the
 * terms it would enter. Outputs Y [T, D, H], Y_h and Y_c [D, H] per example
 * (the batch at axis 2, 1, 1 of the ONNX shapes with layout 0, first with
 * layout 1); Y is built only when something reads it. */

static int rn_emit(imp *im, sirnn_gnode *gn, uint32_t rank, const uint32_t *dims, uint32_t *out)
{
    char nm[SIRNN_GRAPH_NAME];
    snprintf(nm, sizeof(nm), "%.40s/%u", im->node_name, im->g->ntensors);
    if (sirnn_graph_add_tensor(im->g, out, nm, rank, dims) != SIRNN_OK)
        return fail(im, "%s", sirnn_last_error());
    gn->out = *out;
    im->last_is_fused = 0;
    return add_node(im, gn);
}

static int rn_vec(imp *im, sirnn_gnode *gn, uint32_t len, uint32_t *out)
{
    const uint32_t d[SIRNN_GRAPH_MAX_RANK] = {len, 1, 1, 1};
    return rn_emit(im, gn, 1, d, out);
}

/* ADD, SUB, MUL of two vectors; SIGMOID, TANH of one (b unused). */
static int rn_op(imp *im, uint32_t op, uint32_t a, uint32_t b, uint32_t len, uint32_t *out)
{
    const int two = op == SIRNN_GOP_ADD || op == SIRNN_GOP_SUB || op == SIRNN_GOP_MUL;
    sirnn_gnode gn = {.op = op, .nin = two ? 2 : 1, .in = {a, two ? b : 0}};
    return rn_vec(im, &gn, len, out);
}

/* Values off .. off + len - 1 of x (a public index map). */
static int rn_slice(imp *im, uint32_t x, uint32_t off, uint32_t len, uint32_t *out)
{
    uint32_t *idx = malloc(len * sizeof(uint32_t));
    if (idx == NULL)
        return fail(im, "out of memory");
    for (uint32_t i = 0; i < len; i++)
        idx[i] = off + i;
    sirnn_gnode gn = {.op = SIRNN_GOP_GATHER, .nin = 1, .in = {x}, .nidx = len, .idx = idx};
    const int rc = rn_vec(im, &gn, len, out);
    free(idx);
    return rc;
}

/* a then b (na + nb values) into the given shape. */
static int rn_cat(imp *im, uint32_t a, uint32_t na, uint32_t b, uint32_t nb, uint32_t rank,
                  const uint32_t *dims, uint32_t *out)
{
    uint32_t *idx = malloc((size_t)(na + nb) * sizeof(uint32_t));
    if (idx == NULL)
        return fail(im, "out of memory");
    for (uint32_t i = 0; i < na + nb; i++)
        idx[i] = i;
    sirnn_gnode gn = {.op = SIRNN_GOP_GATHER, .nin = 2, .in = {a, b}, .nidx = na + nb,
                      .idx = idx};
    const int rc = rn_emit(im, &gn, rank, dims, out);
    free(idx);
    return rc;
}

/* y[.., N] = x[.., K] W + b with W (K x N row-major) taken from rows
 * row0 .. row0 + N - 1 of an ONNX matrix M (N' x K, row-major): W = M^T. */
static int rn_dense(imp *im, uint32_t x, const float *m, uint32_t row0, uint32_t K, uint32_t N,
                    const float *b, uint32_t rank, const uint32_t *dims, uint32_t *out)
{
    float *w = malloc((size_t)K * N * sizeof(float));
    if (w == NULL)
        return fail(im, "out of memory");
    for (uint32_t k = 0; k < K; k++)
        for (uint32_t j = 0; j < N; j++)
            w[(size_t)k * N + j] = m[(size_t)(row0 + j) * K + k];
    sirnn_gnode gn = {.op = SIRNN_GOP_DENSE, .nin = 1, .in = {x}, .nw = K * N,
                      .nb = b ? N : 0, .w = w, .b = (float *)(uintptr_t)b};
    const int rc = rn_emit(im, &gn, rank, dims, out);
    free(w);
    return rc;
}

/* Input i of a recurrent node, an initial state: absent or zeros only. */
static int rn_zero_state(imp *im, const Onnx__NodeProto *nd, size_t i, const char *what)
{
    if (i >= nd->n_input || nd->input[i][0] == '\0')
        return 0;
    val *v;
    if (input_sym(im, nd, i, &v) != 0)
        return -1;
    int zero = v->is_const && !v->bpos1;
    for (size_t k = 0; zero && k < v->n; k++)
        zero = v->f[k] == 0;
    if (!zero)
        return fail(im, "input %zu (%s) must be absent or zeros (a constant)", i, what);
    return 0;
}

/* The attributes of a recurrent node: only what the lowering computes. */
static int rn_attrs(imp *im, const Onnx__NodeProto *nd, char kind, uint32_t *D, int *reverse,
                    int64_t *H, int64_t *layout, int64_t *lbr)
{
    static const char *const allowed[] = {"activation_alpha", "activation_beta", "activations",
                                          "clip", "direction", "hidden_size", "input_forget",
                                          "layout", "linear_before_reset", NULL};
    if (check_attrs(im, nd, allowed) != 0)
        return -1;
    static const char *const refused[] = {"clip", "activation_alpha", "activation_beta", NULL};
    for (const char *const *r = refused; *r != NULL; r++)
        if (attr(nd, *r) != NULL)
            return fail(im, "unsupported attribute '%s'", *r);
    if ((kind != 'L' && attr(nd, "input_forget") != NULL) ||
        (kind != 'G' && attr(nd, "linear_before_reset") != NULL))
        return fail(im, "unsupported attribute '%s'",
                    kind != 'L' && attr(nd, "input_forget") ? "input_forget"
                                                             : "linear_before_reset");
    int64_t forget = 0;
    if (attr_int(im, nd, "hidden_size", 0, H) != 0 ||
        attr_int(im, nd, "layout", 0, layout) != 0 ||
        attr_int(im, nd, "linear_before_reset", 0, lbr) != 0 ||
        attr_int(im, nd, "input_forget", 0, &forget) != 0)
        return -1;
    if (forget != 0)
        return fail(im, "unsupported attribute 'input_forget' = %lld (only 0)", (long long)forget);
    if (*layout != 0 && *layout != 1)
        return fail(im, "attribute 'layout' = %lld (0 or 1)", (long long)*layout);
    if (*lbr != 0 && *lbr != 1)
        return fail(im, "attribute 'linear_before_reset' = %lld (0 or 1)", (long long)*lbr);
    *D = 1;
    *reverse = 0;
    if (attr_string_is(nd, "direction", "bidirectional"))
        *D = attr(nd, "direction") ? 2 : 1;
    if (attr(nd, "direction") != NULL && *D == 1) {
        if (attr_string_is(nd, "direction", "reverse"))
            *reverse = 1;
        else if (!attr_string_is(nd, "direction", "forward"))
            return fail(im, "unsupported attribute 'direction' (forward, reverse or "
                            "bidirectional)");
    }
    const Onnx__AttributeProto *a = attr(nd, "activations");
    if (a != NULL) { /* allowed when it names the defaults */
        static const char *const def_l[] = {"Sigmoid", "Tanh", "Tanh"};
        static const char *const def_g[] = {"Sigmoid", "Tanh"};
        static const char *const def_r[] = {"Tanh"};
        const char *const *def = kind == 'L' ? def_l : kind == 'G' ? def_g : def_r;
        const size_t per = kind == 'L' ? 3 : kind == 'G' ? 2 : 1;
        int ok = a->n_strings == per * *D;
        for (size_t i = 0; ok && i < a->n_strings; i++)
            ok = a->strings[i].len == strlen(def[i % per]) &&
                 memcmp(a->strings[i].data, def[i % per], a->strings[i].len) == 0;
        if (!ok)
            return fail(im, "unsupported attribute 'activations' (only the defaults: %s%s%s)",
                        def[0], per > 1 ? ", Tanh" : "", per > 2 ? ", Tanh" : "");
    }
    return 0;
}

/* Per step state of one direction. */
typedef struct rn_dir {
    uint32_t xg;        /* the projected sequence [T, G H] */
    uint32_t h, c;      /* the state (valid when has_state) */
    int has_state;
} rn_dir;

/* One step of direction d at time t; xg row t, the weights of direction d. */
static int rn_step(imp *im, char kind, rn_dir *st, uint32_t t, uint32_t H, int64_t lbr,
                   const float *R, const float *Rbh)
{
    const uint32_t G = kind == 'L' ? 4 : kind == 'G' ? 3 : 1, GH = G * H;
    uint32_t g, a, b, c2, s;
    if (rn_slice(im, st->xg, t * GH, GH, &g) != 0)
        return -1;
    if (kind == 'R' || kind == 'L') {
        if (st->has_state) {
            const uint32_t d1[SIRNN_GRAPH_MAX_RANK] = {GH, 1, 1, 1};
            if (rn_dense(im, st->h, R, 0, H, GH, NULL, 1, d1, &a) != 0 ||
                rn_op(im, SIRNN_GOP_ADD, g, a, GH, &g) != 0)
                return -1;
        }
        if (kind == 'R') {
            st->has_state = 1;
            return rn_op(im, SIRNN_GOP_TANH, g, 0, H, &st->h);
        }
        uint32_t sg, ct, i, o, f, cn, tc;
        if (rn_slice(im, g, 0, 3 * H, &a) != 0 || rn_op(im, SIRNN_GOP_SIGMOID, a, 0, 3 * H, &sg) ||
            rn_slice(im, g, 3 * H, H, &b) != 0 || rn_op(im, SIRNN_GOP_TANH, b, 0, H, &ct) != 0 ||
            rn_slice(im, sg, 0, H, &i) != 0 || rn_slice(im, sg, H, H, &o) != 0 ||
            rn_op(im, SIRNN_GOP_MUL, i, ct, H, &cn) != 0)
            return -1;
        if (st->has_state) {
            if (rn_slice(im, sg, 2 * H, H, &f) != 0 ||
                rn_op(im, SIRNN_GOP_MUL, f, st->c, H, &c2) != 0 ||
                rn_op(im, SIRNN_GOP_ADD, c2, cn, H, &cn) != 0)
                return -1;
        }
        if (rn_op(im, SIRNN_GOP_TANH, cn, 0, H, &tc) != 0 ||
            rn_op(im, SIRNN_GOP_MUL, o, tc, H, &st->h) != 0)
            return -1;
        st->c = cn;
        st->has_state = 1;
        return 0;
    }
    /* GRU */
    uint32_t zr, z, r, nx, hr = 0, nin, n, hn;
    const uint32_t d2[SIRNN_GRAPH_MAX_RANK] = {(lbr ? 3 : 2) * H, 1, 1, 1};
    if (rn_slice(im, g, 0, 2 * H, &a) != 0)
        return -1;
    if (st->has_state) {
        float *bias = NULL;
        if (lbr) { /* h R^T + [0, 0, Rb_h] */
            bias = calloc(3 * (size_t)H, sizeof(float));
            if (bias == NULL)
                return fail(im, "out of memory");
            memcpy(bias + 2 * H, Rbh, H * sizeof(float));
        }
        const int rc = rn_dense(im, st->h, R, 0, H, d2[0], bias, 1, d2, &hr);
        free(bias);
        if (rc != 0)
            return -1;
        if (lbr ? rn_slice(im, hr, 0, 2 * H, &b) != 0 : (b = hr, 0))
            return -1;
        if (rn_op(im, SIRNN_GOP_ADD, a, b, 2 * H, &a) != 0)
            return -1;
    }
    if (rn_op(im, SIRNN_GOP_SIGMOID, a, 0, 2 * H, &zr) != 0 || rn_slice(im, zr, 0, H, &z) != 0 ||
        rn_slice(im, zr, H, H, &r) != 0 || rn_slice(im, g, 2 * H, H, &nx) != 0)
        return -1;
    nin = nx;
    if (st->has_state && lbr) {
        if (rn_slice(im, hr, 2 * H, H, &b) != 0 || rn_op(im, SIRNN_GOP_MUL, r, b, H, &b) != 0 ||
            rn_op(im, SIRNN_GOP_ADD, nx, b, H, &nin) != 0)
            return -1;
    } else if (st->has_state) {
        const uint32_t d1[SIRNN_GRAPH_MAX_RANK] = {H, 1, 1, 1};
        if (rn_op(im, SIRNN_GOP_MUL, r, st->h, H, &b) != 0 ||
            rn_dense(im, b, R, 2 * H, H, H, NULL, 1, d1, &b) != 0 ||
            rn_op(im, SIRNN_GOP_ADD, nx, b, H, &nin) != 0)
            return -1;
    } else if (lbr) { /* h_{-1} = 0: r (0 R_h + Rb_h) = r Rb_h */
        int nonzero = 0;
        for (uint32_t k = 0; k < H; k++)
            nonzero |= Rbh[k] != 0;
        if (nonzero) {
            sirnn_gnode gn = {.op = SIRNN_GOP_MUL_CONST, .nin = 1, .in = {r}, .nw = H,
                              .w = (float *)(uintptr_t)Rbh};
            if (rn_vec(im, &gn, H, &b) != 0 || rn_op(im, SIRNN_GOP_ADD, nx, b, H, &nin) != 0)
                return -1;
        }
    }
    if (rn_op(im, SIRNN_GOP_TANH, nin, 0, H, &n) != 0)
        return -1;
    /* h_t = (1 - z) n + z h_{t-1} = n + z (h_{t-1} - n); h_{-1} = 0: n - z n */
    if (st->has_state) {
        if (rn_op(im, SIRNN_GOP_SUB, st->h, n, H, &s) != 0 ||
            rn_op(im, SIRNN_GOP_MUL, z, s, H, &s) != 0 ||
            rn_op(im, SIRNN_GOP_ADD, n, s, H, &hn) != 0)
            return -1;
    } else if (rn_op(im, SIRNN_GOP_MUL, z, n, H, &s) != 0 ||
               rn_op(im, SIRNN_GOP_SUB, n, s, H, &hn) != 0) {
        return -1;
    }
    st->h = hn;
    st->has_state = 1;
    return 0;
}

/* The value named output o of nd: the tensor t, with its batch at bax. */
static int rn_output(imp *im, const Onnx__NodeProto *nd, size_t o, uint32_t t, uint32_t bax)
{
    val *y = add_val(im, nd->output[o]);
    if (y == NULL)
        return fail(im, "out of memory");
    y->tensor = t;
    y->bax = bax;
    return 0;
}

/* parts[0..k-1] (each len values) concatenated into the given shape. */
static int rn_concat_all(imp *im, const uint32_t *parts, uint32_t k, uint32_t len, uint32_t rank,
                         const uint32_t *dims, uint32_t *out)
{
    if (k == 1) {
        sirnn_gnode gn = {.op = SIRNN_GOP_RESHAPE, .nin = 1, .in = {parts[0]}};
        return rn_emit(im, &gn, rank, dims, out);
    }
    uint32_t acc = parts[0];
    for (uint32_t i = 1; i < k; i++) {
        const uint32_t d1[SIRNN_GRAPH_MAX_RANK] = {(i + 1) * len, 1, 1, 1};
        const int last = i + 1 == k;
        if (rn_cat(im, acc, i * len, parts[i], len, last ? rank : 1, last ? dims : d1, &acc) != 0)
            return -1;
    }
    *out = acc;
    return 0;
}

static int op_recurrent(imp *im, const Onnx__NodeProto *nd, char kind)
{
    uint32_t D = 1;
    int reverse = 0;
    int64_t Hs = 0, layout = 0, lbr = 0;
    if (rn_attrs(im, nd, kind, &D, &reverse, &Hs, &layout, &lbr) != 0)
        return -1;
    const uint32_t G = kind == 'L' ? 4 : kind == 'G' ? 3 : 1;
    val *x, *W, *R, *B = NULL;
    if (activation_bax(im, nd, 0, &x) != 0 || input(im, nd, 1, &W) != 0 ||
        input(im, nd, 2, &R) != 0)
        return -1;
    if (nd->n_input > 3 && nd->input[3][0] != '\0' && input(im, nd, 3, &B) != 0)
        return -1;
    if (nd->n_input > 4 && nd->input[4][0] != '\0')
        return fail(im, "input 4 (sequence_lens) is not supported (every sequence is full)");
    if (rn_zero_state(im, nd, 5, "initial_h") != 0 ||
        (kind == 'L' && rn_zero_state(im, nd, 6, "initial_c") != 0))
        return -1;
    if (kind == 'L' && nd->n_input > 7 && nd->input[7][0] != '\0')
        return fail(im, "input 7 (P, peepholes) is not supported");
    if (nd->n_input > (kind == 'L' ? 8u : 6u))
        return fail(im, "too many inputs");
    if (nd->n_output > (kind == 'L' ? 3u : 2u))
        return fail(im, "too many outputs");
    const sirnn_gtensor *xt = tens(im, x);
    if (xt->rank != 2 || x->bax != (layout ? 0u : 1u))
        return fail(im, "X must be [seq, batch, input] (layout 0) or [batch, seq, input] "
                        "(layout 1)");
    const uint32_t T = xt->dims[0], I = xt->dims[1];
    if (!W->is_const || !R->is_const || W->rank != 3 || R->rank != 3 || W->dims[0] != D ||
        R->dims[0] != D)
        return fail(im, "W and R must be constants [%u, gates x hidden, ..]", D);
    const int64_t H64 = W->dims[1] / G;
    if (H64 < 1 || H64 * G != W->dims[1] || W->dims[2] != I || R->dims[1] != W->dims[1] ||
        R->dims[2] != H64 || (Hs != 0 && Hs != H64) || H64 > 4096)
        return fail(im, "W [%u, %u x hidden, %u] and R [%u, %u x hidden, hidden] do not fit "
                        "(hidden_size %lld)", D, G, I, D, G, (long long)Hs);
    const uint32_t H = (uint32_t)H64, GH = G * H;
    if (B != NULL && (!B->is_const || B->n != (size_t)D * 2 * GH))
        return fail(im, "B must be a constant [%u, %u]", D, 2 * GH);
    const int want_y = nd->n_output > 0 && nd->output[0][0] != '\0' &&
                       count_uses(im->gp, nd->output[0]) > 0;
    uint32_t *hs = want_y ? malloc((size_t)T * D * sizeof(uint32_t)) : NULL;
    float *bias = malloc(GH * sizeof(float)), *zero = calloc(H, sizeof(float));
    rn_dir st[2];
    memset(st, 0, sizeof(st));
    int rc = (want_y && hs == NULL) || bias == NULL || zero == NULL ? fail(im, "out of memory")
                                                                     : 0;
    for (uint32_t d = 0; rc == 0 && d < D; d++) {
        const float *wb = B ? B->f + (size_t)d * 2 * GH : zero, *rb = B ? wb + GH : zero;
        for (uint32_t j = 0; j < GH; j++) /* GRU, linear_before_reset: Rb_h stays inside */
            bias[j] = B == NULL ? 0 : wb[j] + (kind == 'G' && lbr && j >= 2 * H ? 0 : rb[j]);
        const uint32_t dd[SIRNN_GRAPH_MAX_RANK] = {T, GH, 1, 1};
        const float *Wd = W->f + (size_t)d * GH * I, *Rd = R->f + (size_t)d * GH * H;
        rc = rn_dense(im, x->tensor, Wd, 0, I, GH, B ? bias : NULL, 2, dd, &st[d].xg);
        const int rev = D == 2 ? (int)d : reverse;
        for (uint32_t s = 0; rc == 0 && s < T; s++) {
            const uint32_t t = rev ? T - 1 - s : s;
            /* the lowering reads R^T as rows of R: for GRU with lbr = 0 rows 2H.. are R_h */
            rc = rn_step(im, kind, &st[d], t, H, lbr, Rd, B ? rb + 2 * H : zero);
            if (rc == 0 && hs != NULL)
                hs[(size_t)t * D + d] = st[d].h;
        }
    }
    const uint32_t ybax = layout ? 0 : 2, hbax = layout ? 0 : 1;
    const uint32_t ydims[SIRNN_GRAPH_MAX_RANK] = {T, D, H, 1}, hdims[SIRNN_GRAPH_MAX_RANK] = {D, H,
                                                                                           1, 1};
    uint32_t out, last[2] = {st[0].h, st[1].h}, lastc[2] = {st[0].c, st[1].c};
    if (rc == 0 && want_y)
        rc = rn_concat_all(im, hs, T * D, H, 3, ydims, &out) != 0 ||
             rn_output(im, nd, 0, out, ybax) != 0 ? -1 : 0;
    if (rc == 0 && nd->n_output > 1 && nd->output[1][0] != '\0')
        rc = rn_concat_all(im, last, D, H, 2, hdims, &out) != 0 ||
             rn_output(im, nd, 1, out, hbax) != 0 ? -1 : 0;
    if (rc == 0 && nd->n_output > 2 && nd->output[2][0] != '\0')
        rc = rn_concat_all(im, lastc, D, H, 2, hdims, &out) != 0 ||
             rn_output(im, nd, 2, out, hbax) != 0 ? -1 : 0;
    free(hs);
    free(bias);
    free(zero);
    return rc;
}

/* ---- the model ----------------------------------------------------------------------- */

static int graph_input(imp *im)
{
    const Onnx__GraphProto *gp = im->gp;
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *n = gp->input[i]->name ? gp->input[i]->name : "";
        int is_init = 0;
        for (size_t k = 0; k < gp->n_initializer && !is_init; k++)
            is_init = gp->initializer[k]->name && strcmp(gp->initializer[k]->name, n) == 0;
        if (is_init)
            continue;
        if (in != NULL)
            return fail(im, "the graph has more than one input ('%s', '%s')", in->name, n);
        in = gp->input[i];
    }
    if (in == NULL || in->name == NULL)
        return fail(im, "the graph has no input");
    const Onnx__TypeProto *tp = in->type;
    if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        tp->tensor_type == NULL || tp->tensor_type->shape == NULL ||
        tp->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return fail(im, "input '%s' is not a float tensor of known shape", in->name);
    const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
    if (sh->n_dim < 2 || sh->n_dim > SIRNN_GRAPH_MAX_RANK + 1)
        return fail(im, "input '%s' has rank %zu; needs a batch dimension and 1..%d more",
                    in->name, sh->n_dim, SIRNN_GRAPH_MAX_RANK);
    uint32_t dims[SIRNN_GRAPH_MAX_RANK];
    for (size_t i = 1; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            d->dim_value < 1 || d->dim_value > SIRNN_GRAPH_MAX_DIM)
            return fail(im, "input '%s': dimension %zu is not a fixed size", in->name, i);
        dims[i - 1] = (uint32_t)d->dim_value;
    }
    val *v = add_val(im, in->name);
    if (v == NULL)
        return fail(im, "out of memory");
    if (sirnn_graph_add_tensor(im->g, &v->tensor, in->name, (uint32_t)sh->n_dim - 1, dims) !=
        SIRNN_OK)
        return fail(im, "%s", sirnn_last_error());
    im->g->input = v->tensor;
    return 0;
}

static unsigned count_uses(const Onnx__GraphProto *gp, const char *name)
{
    unsigned k = 0;
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++)
            k += gp->node[i]->input[j] != NULL && strcmp(gp->node[i]->input[j], name) == 0;
    for (size_t i = 0; i < gp->n_output; i++)
        k += gp->output[i]->name != NULL && strcmp(gp->output[i]->name, name) == 0;
    return k;
}

static int convert_node(imp *im, const Onnx__NodeProto *nd, const char *graph_out)
{
    const char *op = nd->op_type;
    static const char *const none[] = {NULL};
    if (nd->domain != NULL && nd->domain[0] != '\0' && strcmp(nd->domain, "ai.onnx") != 0)
        return fail(im, "operator domain '%s' is not supported", nd->domain);
    /* every operator has a first output (the recurrent ones may leave it
     * unnamed: their Y is optional); the converters read output[0] */
    const int rnn = strcmp(op, "LSTM") == 0 || strcmp(op, "GRU") == 0 || strcmp(op, "RNN") == 0;
    if (nd->n_output < 1 || nd->output[0] == NULL || (!rnn && nd->output[0][0] == '\0'))
        return fail(im, "output 0 is missing");
    if (strcmp(op, "Constant") == 0)
        return op_constant(im, nd);
    if (strcmp(op, "MatMul") == 0)
        return op_dense(im, nd, 0);
    if (strcmp(op, "Gemm") == 0)
        return op_dense(im, nd, 1);
    if (strcmp(op, "Conv") == 0)
        return op_conv(im, nd);
    if (strcmp(op, "BatchNormalization") == 0) {
        val *x = nd->n_input ? find(im, nd->input[0]) : NULL;
        const unsigned uses = x ? count_uses(im->gp, nd->input[0]) : 0;
        return op_batchnorm(im, nd, &uses);
    }
    if (strcmp(op, "Add") == 0)
        return op_binary(im, nd, '+');
    if (strcmp(op, "Sub") == 0)
        return op_binary(im, nd, '-');
    if (strcmp(op, "Mul") == 0)
        return op_binary(im, nd, '*');
    if (strcmp(op, "Div") == 0)
        return op_binary(im, nd, '/');
    if (strcmp(op, "Relu") == 0 || strcmp(op, "Sigmoid") == 0 || strcmp(op, "Tanh") == 0 ||
        strcmp(op, "Exp") == 0) {
        if (check_attrs(im, nd, none) != 0)
            return -1;
        return op_unary(im, nd, op[0] == 'R' ? SIRNN_GOP_RELU
                                : op[0] == 'S' ? SIRNN_GOP_SIGMOID
                                : op[0] == 'T' ? SIRNN_GOP_TANH : SIRNN_GOP_EXP, 0, 0);
    }
    if (strcmp(op, "Sqrt") == 0)
        return op_sqrt(im, nd);
    if (strcmp(op, "Reciprocal") == 0)
        return op_reciprocal(im, nd);
    if (strcmp(op, "Clip") == 0)
        return op_clip(im, nd);
    if (strcmp(op, "MaxPool") == 0)
        return op_pool(im, nd, 1, 0);
    if (strcmp(op, "AveragePool") == 0)
        return op_pool(im, nd, 0, 0);
    if (strcmp(op, "GlobalAveragePool") == 0)
        return op_pool(im, nd, 0, 1);
    if (strcmp(op, "Flatten") == 0)
        return op_flatten(im, nd);
    if (strcmp(op, "Reshape") == 0)
        return op_reshape(im, nd);
    if (strcmp(op, "Squeeze") == 0)
        return op_squeeze(im, nd, 0);
    if (strcmp(op, "Unsqueeze") == 0)
        return op_squeeze(im, nd, 1);
    if (strcmp(op, "Transpose") == 0)
        return op_transpose(im, nd);
    if (strcmp(op, "Concat") == 0)
        return op_concat(im, nd);
    if (strcmp(op, "Slice") == 0)
        return op_slice(im, nd);
    if (strcmp(op, "Gather") == 0)
        return op_gather(im, nd);
    if (strcmp(op, "Shape") == 0)
        return op_shape(im, nd);
    if (strcmp(op, "ConstantOfShape") == 0)
        return op_constant_of_shape(im, nd);
    if (strcmp(op, "LSTM") == 0 || strcmp(op, "GRU") == 0 || strcmp(op, "RNN") == 0)
        return op_recurrent(im, nd, op[0] == 'L' ? 'L' : op[0] == 'G' ? 'G' : 'R');
    if (strcmp(op, "Identity") == 0)
        return op_alias(im, nd);
    if (strcmp(op, "Pad") == 0)
        return op_pad_zero(im, nd);
    if (strcmp(op, "Dropout") == 0) {
        static const char *const allowed[] = {"ratio", "seed", NULL};
        if (check_attrs(im, nd, allowed) != 0)
            return -1;
        return op_alias(im, nd);
    }
    if (strcmp(op, "Softmax") == 0)
        return op_final(im, nd, 0, graph_out);
    if (strcmp(op, "ArgMax") == 0)
        return op_final(im, nd, 1, graph_out);
    return fail(im, "unsupported operator");
}

int sirnn_onnx_import(const char *path, sirnn_graph **out, char *err, size_t errlen)
{
    imp im = {.err = err, .errlen = errlen};
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(&im, "cannot open %s", path);
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        if (len == cap) {
            uint8_t *nb = cap < MAX_ONNX_BYTES ? realloc(buf, 2 * cap) : NULL;
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        const size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    const int rerr = ferror(f);
    fclose(f);
    if (buf == NULL || rerr) {
        free(buf);
        return fail(&im, "cannot read %s (or larger than %zu bytes)", path, MAX_ONNX_BYTES);
    }
    const int rc = sirnn_onnx_import_buf(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}

int sirnn_onnx_import_buf(const uint8_t *buf, size_t len, const char *path, sirnn_graph **out,
                          char *err, size_t errlen)
{
    imp im = {.err = err, .errlen = errlen};
    *out = NULL;
    if (len > MAX_ONNX_BYTES)
        return fail(&im, "%s is larger than %zu bytes", path, MAX_ONNX_BYTES);
    im.model = onnx__model_proto__unpack(NULL, len, buf);
    if (im.model == NULL)
        return fail(&im, "%s is not an ONNX model (the protobuf does not parse)", path);
    int rc = 0;
    if (im.model->graph == NULL)
        rc = fail(&im, "%s has no graph", path);
    for (size_t i = 0; rc == 0 && i < im.model->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = im.model->opset_import[i];
        const int std = os->domain == NULL || os->domain[0] == '\0' ||
                        strcmp(os->domain, "ai.onnx") == 0;
        if (std && os->has_version && (os->version < 6 || os->version > 17))
            rc = fail(&im, "opset %lld is not supported (6..17)", (long long)os->version);
    }
    im.gp = im.model->graph;
    if (rc == 0 && (im.gp->n_output != 1 || im.gp->output[0]->name == NULL))
        rc = fail(&im, "the graph must have exactly one output");
    if (rc == 0 && im.gp->n_node > SIRNN_GRAPH_MAX_NODES)
        rc = fail(&im, "more than %u nodes", SIRNN_GRAPH_MAX_NODES);
    for (size_t i = 0; rc == 0 && i < im.gp->n_node; i++)
        if (im.gp->node[i]->op_type == NULL)
            rc = fail(&im, "node %zu has no op_type", i);
    if (rc == 0) { /* every value the conversion can name: no reallocation later */
        size_t nv = im.gp->n_initializer + im.gp->n_input + 16;
        for (size_t i = 0; i < im.gp->n_node; i++)
            nv += im.gp->node[i]->n_output + im.gp->node[i]->n_input;
        im.vals = calloc(nv, sizeof(val));
        im.capvals = nv;
        if (im.vals == NULL)
            rc = fail(&im, "out of memory");
    }
    if (rc == 0 && sirnn_graph_new(&im.g) != SIRNN_OK)
        rc = fail(&im, "out of memory");
    for (size_t i = 0; rc == 0 && i < im.gp->n_initializer; i++) {
        const Onnx__TensorProto *t = im.gp->initializer[i];
        if (t->name == NULL) {
            rc = fail(&im, "an initializer has no name");
            break;
        }
        val *v = add_val(&im, t->name);
        rc = v == NULL ? fail(&im, "out of memory") : read_tensor(&im, t, v);
    }
    if (rc == 0)
        rc = graph_input(&im);
    const char *graph_out = rc == 0 ? im.gp->output[0]->name : "";
    for (size_t i = 0; rc == 0 && i < im.gp->n_node; i++) {
        const Onnx__NodeProto *nd = im.gp->node[i];
        im.op = nd->op_type ? nd->op_type : "?";
        if (nd->name != NULL && nd->name[0] != '\0')
            snprintf(im.node_name, sizeof(im.node_name), "%s", nd->name);
        else
            snprintf(im.node_name, sizeof(im.node_name), "%s#%zu", im.op, i);
        for (size_t k = 0; k < nd->n_output; k++)
            if (nd->output[k] == NULL)
                rc = fail(&im, "an output has no name");
        if (rc == 0)
            rc = convert_node(&im, nd, graph_out);
    }
    im.op = NULL;
    if (rc == 0) {
        val *o = find(&im, graph_out);
        if (o == NULL || o->is_const)
            rc = fail(&im, "the graph output '%s' is not computed from the input", graph_out);
        else if (!im.g->has_argmax)
            im.g->output = o->tensor;
    }
    if (rc == 0 && im.g->nnodes == 0)
        rc = fail(&im, "the graph has no operator to run");
    if (rc == 0 && !im.g->has_argmax && im.g->nodes[im.g->nnodes - 1].out != im.g->output)
        rc = fail(&im, "the graph output is not produced by the last operator");
    if (rc == 0 && sirnn_graph_validate(im.g) != SIRNN_OK)
        rc = fail(&im, "%s", sirnn_last_error());
    for (size_t i = 0; i < im.nvals; i++)
        free(im.vals[i].f);
    free(im.vals);
    onnx__model_proto__free_unpacked(im.model, NULL);
    if (rc != 0) {
        sirnn_graph_free(im.g);
        return rc;
    }
    *out = im.g;
    return 0;
}
