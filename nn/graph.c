/*
 * Graphs: building, shape inference, validation, float inference (also the
 * calibration) and the SeeDot-style choice of fixed-point formats.
 */
#include "nn/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/random.h"
#include "math/sigmoid_plan.h"
#include "net/party_internal.h"
#include "sirnn/math.h"
#include "sirnn/nn.h"

static const char *const op_names[SIRNN_GOP_COUNT] = {
    "?",       "DENSE",   "CONV",    "ADD",     "SUB",     "MUL",     "ADD_CONST", "MUL_CONST",
    "RELU",    "CLIP",    "SIGMOID", "TANH",    "MAXPOOL", "AVGPOOL", "RESHAPE",   "ARGMAX",
    "GATHER",  "EXP",     "RECIP",   "DIV",     "RSQRT"};

const char *sirnn_gop_name(uint32_t op)
{
    return op < SIRNN_GOP_COUNT ? op_names[op] : "?";
}

size_t sirnn_graph_size(const sirnn_graph *g, uint32_t t)
{
    if (g == NULL || t >= g->ntensors)
        return 0;
    size_t n = 1;
    for (uint32_t i = 0; i < g->tensors[t].rank; i++)
        n *= g->tensors[t].dims[i];
    return n;
}

sirnn_status sirnn_graph_new(sirnn_graph **out)
{
    if (out == NULL) {
        sirnn_set_last_error("graph_new: NULL output");
        return SIRNN_ERR_ARG;
    }
    *out = calloc(1, sizeof(sirnn_graph));
    if (*out == NULL) {
        sirnn_set_last_error("graph_new: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    (*out)->in_mul = 1.0f / 255.0f;
    return SIRNN_OK;
}

static void node_free_params(sirnn_gnode *nd)
{
    if (nd->w != NULL)
        sirnn_memzero(nd->w, nd->nw * sizeof(float));
    if (nd->b != NULL)
        sirnn_memzero(nd->b, nd->nb * sizeof(float));
    if (nd->qw != NULL)
        sirnn_memzero(nd->qw, nd->nw * sizeof(int64_t));
    if (nd->qb != NULL)
        sirnn_memzero(nd->qb, nd->nb * sizeof(int64_t));
    free(nd->w);
    free(nd->b);
    free(nd->qw);
    free(nd->qb);
    free(nd->idx);
    nd->w = nd->b = NULL;
    nd->qw = nd->qb = NULL;
    nd->idx = NULL;
}

void sirnn_graph_free(sirnn_graph *g)
{
    if (g == NULL)
        return;
    for (uint32_t i = 0; i < g->nnodes; i++)
        node_free_params(&g->nodes[i]);
    free(g->nodes);
    free(g->tensors);
    free(g);
}

sirnn_status sirnn_graph_add_tensor(sirnn_graph *g, uint32_t *index, const char *name,
                                    uint32_t rank, const uint32_t *dims)
{
    if (g == NULL || index == NULL || (rank > 0 && dims == NULL)) {
        sirnn_set_last_error("graph_add_tensor: NULL argument");
        return SIRNN_ERR_ARG;
    }
    if (rank < 1 || rank > SIRNN_GRAPH_MAX_RANK) {
        sirnn_set_last_error("graph: tensor '%s' has rank %u, must be 1..%d", name ? name : "",
                             rank, SIRNN_GRAPH_MAX_RANK);
        return SIRNN_ERR_ARG;
    }
    size_t size = 1;
    for (uint32_t i = 0; i < rank; i++) {
        if (dims[i] < 1 || dims[i] > SIRNN_GRAPH_MAX_DIM) {
            sirnn_set_last_error("graph: tensor '%s' has dimension %u = %u, must be 1..%u",
                                 name ? name : "", i, dims[i], SIRNN_GRAPH_MAX_DIM);
            return SIRNN_ERR_ARG;
        }
        size *= dims[i];
        if (size > SIRNN_GRAPH_MAX_SIZE) {
            sirnn_set_last_error("graph: tensor '%s' has more than %u elements", name ? name : "",
                                 SIRNN_GRAPH_MAX_SIZE);
            return SIRNN_ERR_ARG;
        }
    }
    if (g->ntensors >= 2 * SIRNN_GRAPH_MAX_NODES + 1) {
        sirnn_set_last_error("graph: too many tensors");
        return SIRNN_ERR_ARG;
    }
    sirnn_gtensor *nt = realloc(g->tensors, (g->ntensors + 1) * sizeof(sirnn_gtensor));
    if (nt == NULL) {
        sirnn_set_last_error("graph: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    g->tensors = nt;
    sirnn_gtensor *t = &g->tensors[g->ntensors];
    memset(t, 0, sizeof(*t));
    t->rank = rank;
    for (uint32_t i = 0; i < SIRNN_GRAPH_MAX_RANK; i++)
        t->dims[i] = i < rank ? dims[i] : 1;
    snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
    *index = g->ntensors++;
    return SIRNN_OK;
}

/* ---- shapes ------------------------------------------------------------------ */

#define NODE_ERR(nd, ...)                                                                     \
    do {                                                                                      \
        char msg_[256];                                                                       \
        snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                            \
        sirnn_set_last_error("graph: node '%s' (%s): %s", (nd)->name, sirnn_gop_name((nd)->op), \
                             msg_);                                                           \
        return SIRNN_ERR_ARG;                                                                 \
    } while (0)

uint32_t sirnn_graph_dense_k(const sirnn_graph *g, const sirnn_gnode *nd)
{
    const sirnn_gtensor *x = &g->tensors[nd->in[0]];
    return x->dims[x->rank - 1];
}

unsigned sirnn_graph_acc_bits(unsigned b, unsigned kw, size_t d2)
{
    unsigned lg = 0;
    while (((size_t)1 << lg) < d2)
        lg++;
    return b + kw + lg;
}

void sirnn_graph_conv_geom(const sirnn_graph *g, const sirnn_gnode *nd, sirnn_gconv *cv)
{
    const sirnn_gtensor *x = &g->tensors[nd->in[0]];
    memset(cv, 0, sizeof(*cv));
    cv->C = x->dims[0];
    cv->H = x->dims[1];
    cv->W = x->dims[2];
    cv->KH = (uint32_t)nd->attr[SIRNN_GA_KH];
    cv->KW = (uint32_t)nd->attr[SIRNN_GA_KW];
    cv->SH = (uint32_t)nd->attr[SIRNN_GA_SH];
    cv->SW = (uint32_t)nd->attr[SIRNN_GA_SW];
    cv->PT = (uint32_t)nd->attr[SIRNN_GA_PT];
    cv->PL = (uint32_t)nd->attr[SIRNN_GA_PL];
    cv->G = nd->op == SIRNN_GOP_CONV ? (uint32_t)nd->attr[SIRNN_GA_GROUP] : 1;
    cv->Cg = cv->G ? cv->C / cv->G : 0;
    const uint32_t hp = cv->H + cv->PT + (uint32_t)nd->attr[SIRNN_GA_PB];
    const uint32_t wp = cv->W + cv->PL + (uint32_t)nd->attr[SIRNN_GA_PR];
    cv->OH = (cv->SH && hp >= cv->KH) ? (hp - cv->KH) / cv->SH + 1 : 0;
    cv->OW = (cv->SW && wp >= cv->KW) ? (wp - cv->KW) / cv->SW + 1 : 0;
    if (nd->op == SIRNN_GOP_CONV) {
        const uint64_t per = (uint64_t)cv->Cg * cv->KH * cv->KW;
        cv->M = per ? (uint32_t)(nd->nw / per) : 0;
    } else {
        cv->M = cv->C;
    }
    cv->Mg = cv->G ? cv->M / cv->G : 0;
}

static int same_shape(const sirnn_gtensor *a, const sirnn_gtensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

static sirnn_status check_window(const sirnn_gnode *nd)
{
    const int32_t *a = nd->attr;
    if (a[SIRNN_GA_KH] < 1 || a[SIRNN_GA_KW] < 1 || a[SIRNN_GA_KH] > 1024 ||
        a[SIRNN_GA_KW] > 1024)
        NODE_ERR(nd, "kernel %dx%d, must be 1..1024", a[SIRNN_GA_KH], a[SIRNN_GA_KW]);
    if (a[SIRNN_GA_SH] < 1 || a[SIRNN_GA_SW] < 1 || a[SIRNN_GA_SH] > 1024 ||
        a[SIRNN_GA_SW] > 1024)
        NODE_ERR(nd, "strides %d,%d, must be 1..1024", a[SIRNN_GA_SH], a[SIRNN_GA_SW]);
    for (int i = SIRNN_GA_PT; i <= SIRNN_GA_PR; i++) {
        const int32_t k = (i == SIRNN_GA_PT || i == SIRNN_GA_PB) ? a[SIRNN_GA_KH] : a[SIRNN_GA_KW];
        if (a[i] < 0 || a[i] >= k)
            NODE_ERR(nd, "pad %d, must be 0..kernel-1", a[i]);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_graph_infer(const sirnn_graph *g, const sirnn_gnode *nd, uint32_t *rank,
                               uint32_t dims[SIRNN_GRAPH_MAX_RANK])
{
    if (nd->op < 1 || nd->op >= SIRNN_GOP_COUNT)
        NODE_ERR(nd, "unknown operator %u", nd->op);
    const uint32_t want_in = (nd->op == SIRNN_GOP_ADD || nd->op == SIRNN_GOP_SUB ||
                              nd->op == SIRNN_GOP_MUL || nd->op == SIRNN_GOP_DIV) ? 2u : 1u;
    if (nd->nin != want_in && !(nd->op == SIRNN_GOP_GATHER && nd->nin == 2))
        NODE_ERR(nd, "%u inputs, needs %u", nd->nin, want_in);
    if (nd->op != SIRNN_GOP_GATHER && (nd->nidx != 0 || nd->idx != NULL))
        NODE_ERR(nd, "has an index table it does not use");
    for (uint32_t i = 0; i < nd->nin; i++)
        if (nd->in[i] >= g->ntensors)
            NODE_ERR(nd, "input %u is tensor %u of %u", i, nd->in[i], g->ntensors);
    if (nd->out >= g->ntensors)
        NODE_ERR(nd, "output is tensor %u of %u", nd->out, g->ntensors);
    if (nd->nw > SIRNN_GRAPH_MAX_PARAMS || nd->nb > SIRNN_GRAPH_MAX_PARAMS)
        NODE_ERR(nd, "too many parameters");
    const sirnn_gtensor *x = &g->tensors[nd->in[0]];
    const size_t xs = sirnn_graph_size(g, nd->in[0]);
    *rank = x->rank;
    memcpy(dims, x->dims, sizeof(uint32_t) * SIRNN_GRAPH_MAX_RANK);
    const int params = nd->op == SIRNN_GOP_DENSE || nd->op == SIRNN_GOP_CONV ||
                       nd->op == SIRNN_GOP_ADD_CONST || nd->op == SIRNN_GOP_MUL_CONST;
    if (!params && (nd->nw || nd->nb))
        NODE_ERR(nd, "has parameters it does not use");
    if (nd->op != SIRNN_GOP_ADD_CONST && nd->attr[SIRNN_GA_NEG] != 0)
        NODE_ERR(nd, "attribute neg set");
    if (nd->attr[SIRNN_GA_NEG] != 0 && nd->attr[SIRNN_GA_NEG] != 1)
        NODE_ERR(nd, "attribute neg is %d", nd->attr[SIRNN_GA_NEG]);
    switch (nd->op) {
    case SIRNN_GOP_DENSE: {
        const uint32_t K = x->dims[x->rank - 1];
        if (nd->nw == 0 || nd->nw % K != 0)
            NODE_ERR(nd, "%u weights for an input of %u features", nd->nw, K);
        const uint32_t N = nd->nw / K;
        if (N > SIRNN_GRAPH_MAX_DIM)
            NODE_ERR(nd, "%u outputs", N);
        if (nd->nb != 0 && nd->nb != N)
            NODE_ERR(nd, "%u biases for %u outputs", nd->nb, N);
        dims[x->rank - 1] = N;
        break;
    }
    case SIRNN_GOP_CONV:
    case SIRNN_GOP_MAXPOOL:
    case SIRNN_GOP_AVGPOOL: {
        if (x->rank != 3)
            NODE_ERR(nd, "input of rank %u, needs C x H x W", x->rank);
        sirnn_status st = check_window(nd);
        if (st != SIRNN_OK)
            return st;
        if (nd->op == SIRNN_GOP_CONV &&
            (nd->attr[SIRNN_GA_GROUP] < 1 || x->dims[0] % (uint32_t)nd->attr[SIRNN_GA_GROUP]))
            NODE_ERR(nd, "group %d does not divide %u channels", nd->attr[SIRNN_GA_GROUP],
                     x->dims[0]);
        if (nd->op != SIRNN_GOP_CONV && nd->attr[SIRNN_GA_GROUP] != 0)
            NODE_ERR(nd, "attribute group set");
        sirnn_gconv cv;
        sirnn_graph_conv_geom(g, nd, &cv);
        if (cv.OH == 0 || cv.OW == 0)
            NODE_ERR(nd, "kernel larger than the padded input");
        if (nd->op == SIRNN_GOP_CONV) {
            const uint64_t per = (uint64_t)cv.Cg * cv.KH * cv.KW;
            if (nd->nw == 0 || nd->nw % per != 0 || cv.M % cv.G != 0)
                NODE_ERR(nd, "%u weights do not fit %u groups of %u x %u x %u", nd->nw, cv.G,
                         cv.Cg, cv.KH, cv.KW);
            if (nd->nb != 0 && nd->nb != cv.M)
                NODE_ERR(nd, "%u biases for %u channels", nd->nb, cv.M);
        }
        dims[0] = cv.M;
        dims[1] = cv.OH;
        dims[2] = cv.OW;
        break;
    }
    case SIRNN_GOP_ADD:
    case SIRNN_GOP_SUB:
    case SIRNN_GOP_MUL:
    case SIRNN_GOP_DIV:
        if (!same_shape(x, &g->tensors[nd->in[1]]))
            NODE_ERR(nd, "operands of different shapes ('%s', '%s')", x->name,
                     g->tensors[nd->in[1]].name);
        break;
    case SIRNN_GOP_ADD_CONST:
    case SIRNN_GOP_MUL_CONST:
        if (nd->nw != xs || nd->nb != 0)
            NODE_ERR(nd, "%u constants for %zu values", nd->nw, xs);
        break;
    case SIRNN_GOP_CLIP:
        if (isnan(nd->fattr[0]) || isnan(nd->fattr[1]) || !(nd->fattr[0] < nd->fattr[1]))
            NODE_ERR(nd, "bounds [%g, %g]", (double)nd->fattr[0], (double)nd->fattr[1]);
        break;
    case SIRNN_GOP_RESHAPE: {
        const sirnn_gtensor *y = &g->tensors[nd->out];
        if (sirnn_graph_size(g, nd->out) != xs)
            NODE_ERR(nd, "%zu values into a shape of %zu", xs, sirnn_graph_size(g, nd->out));
        *rank = y->rank;
        memcpy(dims, y->dims, sizeof(uint32_t) * SIRNN_GRAPH_MAX_RANK);
        break;
    }
    case SIRNN_GOP_GATHER: {
        const sirnn_gtensor *y = &g->tensors[nd->out];
        const size_t total = xs + (nd->nin > 1 ? sirnn_graph_size(g, nd->in[1]) : 0);
        if (nd->nidx != sirnn_graph_size(g, nd->out) || nd->idx == NULL)
            NODE_ERR(nd, "%u indices for %zu outputs", nd->nidx, sirnn_graph_size(g, nd->out));
        for (uint32_t i = 0; i < nd->nidx; i++)
            if (nd->idx[i] >= total)
                NODE_ERR(nd, "index %u = %u, the inputs have %zu values", i, nd->idx[i], total);
        *rank = y->rank;
        memcpy(dims, y->dims, sizeof(uint32_t) * SIRNN_GRAPH_MAX_RANK);
        break;
    }
    case SIRNN_GOP_ARGMAX:
        if (xs > 65536)
            NODE_ERR(nd, "argmax over %zu values", xs);
        *rank = 1;
        for (int i = 0; i < SIRNN_GRAPH_MAX_RANK; i++)
            dims[i] = 1;
        break;
    default:
        break;
    }
    if (nd->op != SIRNN_GOP_CLIP && (nd->fattr[0] != 0 || nd->fattr[1] != 0))
        NODE_ERR(nd, "float attributes set");
    for (int i = 0; i < SIRNN_GA_COUNT; i++) {
        const int window = nd->op == SIRNN_GOP_CONV || nd->op == SIRNN_GOP_MAXPOOL ||
                           nd->op == SIRNN_GOP_AVGPOOL;
        if (!window && i != SIRNN_GA_NEG && nd->attr[i] != 0)
            NODE_ERR(nd, "attribute %d set", i);
    }
    size_t os = 1;
    for (uint32_t i = 0; i < *rank; i++) {
        if (dims[i] < 1 || dims[i] > SIRNN_GRAPH_MAX_DIM)
            NODE_ERR(nd, "output dimension %u", dims[i]);
        os *= dims[i];
        if (os > SIRNN_GRAPH_MAX_SIZE)
            NODE_ERR(nd, "output of more than %u values", SIRNN_GRAPH_MAX_SIZE);
    }
    return SIRNN_OK;
}

sirnn_status sirnn_graph_add_node(sirnn_graph *g, const sirnn_gnode *node)
{
    if (g == NULL || node == NULL) {
        sirnn_set_last_error("graph_add_node: NULL argument");
        return SIRNN_ERR_ARG;
    }
    if (g->nnodes >= SIRNN_GRAPH_MAX_NODES) {
        sirnn_set_last_error("graph: more than %u nodes", SIRNN_GRAPH_MAX_NODES);
        return SIRNN_ERR_ARG;
    }
    if ((node->nw && node->w == NULL) || (node->nb && node->b == NULL) ||
        (node->nidx && node->idx == NULL)) {
        sirnn_set_last_error("graph: node '%s': NULL parameters", node->name);
        return SIRNN_ERR_ARG;
    }
    uint32_t rank, dims[SIRNN_GRAPH_MAX_RANK];
    sirnn_status st = sirnn_graph_infer(g, node, &rank, dims);
    if (st != SIRNN_OK)
        return st;
    sirnn_gnode *nn = realloc(g->nodes, (g->nnodes + 1) * sizeof(sirnn_gnode));
    if (nn == NULL) {
        sirnn_set_last_error("graph: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    g->nodes = nn;
    sirnn_gnode *nd = &g->nodes[g->nnodes];
    *nd = *node;
    nd->name[SIRNN_GRAPH_NAME - 1] = '\0';
    nd->w = nd->b = NULL;
    nd->qw = nd->qb = NULL;
    nd->idx = NULL;
    nd->wfmt = nd->bfmt = (sirnn_fixfmt){0, 0, false};
    if (node->nidx) {
        nd->idx = malloc(node->nidx * sizeof(uint32_t));
        if (nd->idx == NULL)
            goto nomem;
        memcpy(nd->idx, node->idx, node->nidx * sizeof(uint32_t));
    }
    if (node->nw) {
        nd->w = malloc(node->nw * sizeof(float));
        if (nd->w == NULL)
            goto nomem;
        memcpy(nd->w, node->w, node->nw * sizeof(float));
    }
    if (node->nb) {
        nd->b = malloc(node->nb * sizeof(float));
        if (nd->b == NULL)
            goto nomem;
        memcpy(nd->b, node->b, node->nb * sizeof(float));
    }
    sirnn_gtensor *y = &g->tensors[node->out];
    y->rank = rank;
    memcpy(y->dims, dims, sizeof(dims));
    g->nnodes++;
    g->quantised = 0;
    return SIRNN_OK;
nomem:
    node_free_params(nd);
    sirnn_set_last_error("graph: out of memory");
    return SIRNN_ERR_NOMEM;
}

static int fmt_ok(sirnn_fixfmt f, unsigned bits)
{
    return f.bits == bits && f.is_signed && f.scale >= -60 && f.scale <= 60;
}

int sirnn_graph_width_free(uint32_t op)
{
    switch (op) {
    case SIRNN_GOP_DENSE:
    case SIRNN_GOP_CONV:
    case SIRNN_GOP_MUL:
    case SIRNN_GOP_MUL_CONST:
    case SIRNN_GOP_ADD:
    case SIRNN_GOP_SUB:
    case SIRNN_GOP_ADD_CONST:
    case SIRNN_GOP_GATHER: return 1;
    default: return 0;
    }
}

/* The width an operator gives its output when it is not free (see
 * sirnn_graph_width_free): the math operators' B, the others their input's. */
static unsigned fixed_width(const sirnn_graph *g, const sirnn_gnode *nd, unsigned B)
{
    switch (nd->op) {
    case SIRNN_GOP_SIGMOID:
    case SIRNN_GOP_TANH:
    case SIRNN_GOP_EXP:
    case SIRNN_GOP_RECIP:
    case SIRNN_GOP_DIV:
    case SIRNN_GOP_RSQRT: return B;
    default: return g->tensors[nd->in[0]].fmt.bits;
    }
}

unsigned sirnn_graph_node_bits(const sirnn_graph *g, const sirnn_gnode *nd)
{
    unsigned w = g->tensors[nd->out].fmt.bits;
    if (nd->op == SIRNN_GOP_DENSE || nd->op == SIRNN_GOP_CONV)
        return w; /* the input is read at its own width (a mixed-width product) */
    for (uint32_t k = 0; k < nd->nin; k++)
        if (g->tensors[nd->in[k]].fmt.bits > w)
            w = g->tensors[nd->in[k]].fmt.bits;
    return w;
}

int sirnn_graph_mixed(const sirnn_graph *g)
{
    for (uint32_t t = 0; t < g->ntensors; t++)
        if (g->tensors[t].fmt.bits != g->act_bits)
            return 1;
    return 0;
}

sirnn_status sirnn_graph_validate(const sirnn_graph *g)
{
    if (g == NULL) {
        sirnn_set_last_error("graph: NULL");
        return SIRNN_ERR_ARG;
    }
    if (g->ntensors == 0 || g->nnodes == 0 || g->nnodes > SIRNN_GRAPH_MAX_NODES ||
        g->ntensors > 2 * SIRNN_GRAPH_MAX_NODES + 1) {
        sirnn_set_last_error("graph: %u tensors and %u nodes", g->ntensors, g->nnodes);
        return SIRNN_ERR_ARG;
    }
    if (g->input >= g->ntensors || g->output >= g->ntensors) {
        sirnn_set_last_error("graph: input or output tensor out of range");
        return SIRNN_ERR_ARG;
    }
    if (!isfinite(g->in_mul) || !isfinite(g->in_add) || g->in_mul == 0.0f) {
        sirnn_set_last_error("graph: input normalisation %g, %g", (double)g->in_mul,
                             (double)g->in_add);
        return SIRNN_ERR_ARG;
    }
    if (g->quantised && !((g->act_bits == 8 || g->act_bits == 16) &&
                          (g->weight_bits == 8 || g->weight_bits == 16))) {
        sirnn_set_last_error("graph: bits %u / %u, must be 8 or 16", g->act_bits,
                             g->weight_bits);
        return SIRNN_ERR_ARG;
    }
    uint8_t *written = calloc(g->ntensors, 1);
    if (written == NULL) {
        sirnn_set_last_error("graph: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    sirnn_status st = SIRNN_OK;
    written[g->input] = 1;
    for (uint32_t t = 0; t < g->ntensors && st == SIRNN_OK; t++) {
        const sirnn_gtensor *tt = &g->tensors[t];
        size_t size = 1;
        int bad = tt->rank < 1 || tt->rank > SIRNN_GRAPH_MAX_RANK || !isfinite(tt->maxabs) ||
                  tt->maxabs < 0 || memchr(tt->name, 0, SIRNN_GRAPH_NAME) == NULL;
        for (uint32_t i = 0; !bad && i < SIRNN_GRAPH_MAX_RANK; i++) {
            bad = tt->dims[i] < 1 || tt->dims[i] > SIRNN_GRAPH_MAX_DIM ||
                  (i >= tt->rank && tt->dims[i] != 1);
            size *= tt->dims[i];
            bad = bad || size > SIRNN_GRAPH_MAX_SIZE;
        }
        if (!bad && g->quantised) /* 8 bits, or the graph's widest (act_bits) */
            bad = !fmt_ok(tt->fmt, tt->fmt.bits) ||
                  (tt->fmt.bits != 8 && tt->fmt.bits != g->act_bits);
        if (bad) {
            sirnn_set_last_error("graph: tensor %u ('%.*s') has a bad shape, range or format", t,
                                 SIRNN_GRAPH_NAME - 1, tt->name);
            st = SIRNN_ERR_ARG;
        }
    }
    for (uint32_t i = 0; i < g->nnodes && st == SIRNN_OK; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        uint32_t rank, dims[SIRNN_GRAPH_MAX_RANK];
        if (memchr(nd->name, 0, SIRNN_GRAPH_NAME) == NULL) {
            sirnn_set_last_error("graph: node %u has no name", i);
            st = SIRNN_ERR_ARG;
            break;
        }
        st = sirnn_graph_infer(g, nd, &rank, dims);
        if (st != SIRNN_OK)
            break;
        const sirnn_gtensor *y = &g->tensors[nd->out];
        int bad = y->rank != rank || memcmp(y->dims, dims, sizeof(dims)) != 0;
        for (uint32_t k = 0; k < nd->nin; k++)
            bad = bad || !written[nd->in[k]];
        bad = bad || written[nd->out];
        if (bad) {
            sirnn_set_last_error("graph: node '%s': its output shape is wrong, or a tensor is "
                                 "read before it is written or written twice", nd->name);
            st = SIRNN_ERR_ARG;
            break;
        }
        written[nd->out] = 1;
        if (g->quantised && !sirnn_graph_width_free(nd->op) &&
            y->fmt.bits != fixed_width(g, nd, g->act_bits)) {
            sirnn_set_last_error("graph: node '%s': output width %u, its operator gives %u",
                                 nd->name, y->fmt.bits, fixed_width(g, nd, g->act_bits));
            st = SIRNN_ERR_ARG;
            break;
        }
        const unsigned nb_ = g->quantised ? sirnn_graph_node_bits(g, nd) : 0;
        if (nd->op == SIRNN_GOP_ARGMAX &&
            (i + 1 != g->nnodes || !g->has_argmax || nd->in[0] != g->output)) {
            sirnn_set_last_error("graph: node '%s': ARGMAX must be last, on the output",
                                 nd->name);
            st = SIRNN_ERR_ARG;
            break;
        }
        for (uint32_t k = 0; k < nd->nw && nd->w; k++)
            bad = bad || !isfinite(nd->w[k]);
        for (uint32_t k = 0; k < nd->nb && nd->b; k++)
            bad = bad || !isfinite(nd->b[k]);
        if (g->quantised && nd->nw) {
            const unsigned wb = nd->op == SIRNN_GOP_ADD_CONST ? nb_ : g->weight_bits;
            bad = bad || !fmt_ok(nd->wfmt, wb);
            for (uint32_t k = 0; !bad && k < nd->nw && nd->qw; k++)
                bad = nd->qw[k] < -((int64_t)1 << (wb - 1)) ||
                      nd->qw[k] >= ((int64_t)1 << (wb - 1));
        }
        if (g->quantised && nd->nb) {
            bad = bad || !fmt_ok(nd->bfmt, y->fmt.bits) || nd->bfmt.scale != y->fmt.scale;
            for (uint32_t k = 0; !bad && k < nd->nb && nd->qb; k++)
                bad = nd->qb[k] < -((int64_t)1 << (y->fmt.bits - 1)) ||
                      nd->qb[k] >= ((int64_t)1 << (y->fmt.bits - 1));
        }
        if (bad) {
            sirnn_set_last_error("graph: node '%s': a parameter is not finite, or out of its "
                                 "format", nd->name);
            st = SIRNN_ERR_ARG;
        }
    }
    if (st == SIRNN_OK) {
        const int last_argmax = g->nodes[g->nnodes - 1].op == SIRNN_GOP_ARGMAX;
        if (last_argmax != (g->has_argmax != 0) ||
            (!last_argmax && g->nodes[g->nnodes - 1].out != g->output) ||
            !written[g->output]) {
            sirnn_set_last_error("graph: the output is not the last node's");
            st = SIRNN_ERR_ARG;
        }
    }
    free(written);
    return st;
}

/* ---- float inference ------------------------------------------------------------ */

static void conv_float(const sirnn_graph *g, const sirnn_gnode *nd, float *y, const float *x)
{
    sirnn_gconv cv;
    sirnn_graph_conv_geom(g, nd, &cv);
    for (uint32_t m = 0; m < cv.M; m++) {
        const uint32_t grp = nd->op == SIRNN_GOP_CONV ? m / cv.Mg : m;
        for (uint32_t oh = 0; oh < cv.OH; oh++)
            for (uint32_t ow = 0; ow < cv.OW; ow++) {
                double acc = 0;
                float mx = -INFINITY;
                const uint32_t nc = nd->op == SIRNN_GOP_CONV ? cv.Cg : 1;
                for (uint32_t c = 0; c < nc; c++)
                    for (uint32_t kh = 0; kh < cv.KH; kh++)
                        for (uint32_t kw = 0; kw < cv.KW; kw++) {
                            const int64_t ih = (int64_t)oh * cv.SH + kh - cv.PT;
                            const int64_t iw = (int64_t)ow * cv.SW + kw - cv.PL;
                            const int in = ih >= 0 && ih < cv.H && iw >= 0 && iw < cv.W;
                            const uint32_t ic = nd->op == SIRNN_GOP_CONV ? grp * cv.Cg + c : m;
                            const float v =
                                in ? x[((size_t)ic * cv.H + (size_t)ih) * cv.W + (size_t)iw] : 0;
                            if (nd->op == SIRNN_GOP_CONV)
                                acc += (double)v *
                                       nd->w[(((size_t)m * cv.Cg + c) * cv.KH + kh) * cv.KW + kw];
                            else if (nd->op == SIRNN_GOP_AVGPOOL)
                                acc += v;
                            else if (in && v > mx)
                                mx = v;
                        }
                float r;
                if (nd->op == SIRNN_GOP_CONV)
                    r = (float)acc + (nd->nb ? nd->b[m] : 0.0f);
                else if (nd->op == SIRNN_GOP_AVGPOOL)
                    r = (float)(acc / (cv.KH * cv.KW));
                else
                    r = mx;
                y[((size_t)m * cv.OH + oh) * cv.OW + ow] = r;
            }
    }
}

static float sigmoidf_(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/* One example through node nd. */
static void node_float(const sirnn_graph *g, const sirnn_gnode *nd, float *y, float *const *v)
{
    const float *x = v[nd->in[0]];
    const float *x2 = nd->nin > 1 ? v[nd->in[1]] : NULL;
    const size_t n = sirnn_graph_size(g, nd->in[0]);
    switch (nd->op) {
    case SIRNN_GOP_DENSE: {
        const size_t K = sirnn_graph_dense_k(g, nd), N = nd->nw / K, rows = n / K;
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < N; j++) {
                double acc = nd->nb ? nd->b[j] : 0.0;
                for (size_t k = 0; k < K; k++)
                    acc += (double)x[r * K + k] * nd->w[k * N + j];
                y[r * N + j] = (float)acc;
            }
        break;
    }
    case SIRNN_GOP_CONV:
    case SIRNN_GOP_MAXPOOL:
    case SIRNN_GOP_AVGPOOL:
        conv_float(g, nd, y, x);
        break;
    case SIRNN_GOP_GATHER:
        for (size_t i = 0; i < nd->nidx; i++)
            y[i] = nd->idx[i] < n ? x[nd->idx[i]] : x2[nd->idx[i] - n];
        break;
    case SIRNN_GOP_ARGMAX: {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (x[i] > x[best])
                best = i;
        y[0] = (float)best;
        break;
    }
    default:
        for (size_t i = 0; i < n; i++) {
            float r = x[i];
            switch (nd->op) {
            case SIRNN_GOP_ADD: r = x[i] + x2[i]; break;
            case SIRNN_GOP_SUB: r = x[i] - x2[i]; break;
            case SIRNN_GOP_MUL: r = x[i] * x2[i]; break;
            case SIRNN_GOP_ADD_CONST: r = nd->w[i] + (nd->attr[SIRNN_GA_NEG] ? -x[i] : x[i]); break;
            case SIRNN_GOP_MUL_CONST: r = nd->w[i] * x[i]; break;
            case SIRNN_GOP_RELU: r = x[i] > 0 ? x[i] : 0; break;
            case SIRNN_GOP_CLIP: r = fminf(fmaxf(x[i], nd->fattr[0]), nd->fattr[1]); break;
            case SIRNN_GOP_SIGMOID: r = sigmoidf_(x[i]); break;
            case SIRNN_GOP_TANH: r = tanhf(x[i]); break;
            case SIRNN_GOP_EXP: r = expf(x[i]); break;
            case SIRNN_GOP_RECIP: r = 1.0f / x[i]; break;
            case SIRNN_GOP_DIV: r = x[i] / x2[i]; break;
            case SIRNN_GOP_RSQRT: r = 1.0f / sqrtf(x[i]); break;
            default: break; /* RESHAPE */
            }
            y[i] = r;
        }
    }
}

sirnn_status sirnn_graph_forward(const sirnn_graph *g, size_t n, float *scores,
                                 uint32_t *classes, const float *x, float *maxabs)
{
    sirnn_status st = sirnn_graph_validate(g);
    if (st != SIRNN_OK)
        return st;
    if (n > 0 && x == NULL) {
        sirnn_set_last_error("graph_forward: NULL input");
        return SIRNN_ERR_ARG;
    }
    float **v = calloc(g->ntensors, sizeof(float *));
    if (v == NULL) {
        sirnn_set_last_error("graph_forward: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    for (uint32_t t = 0; t < g->ntensors && st == SIRNN_OK; t++) {
        v[t] = calloc(sirnn_graph_size(g, t), sizeof(float)); /* unwritten tensors read 0 */
        if (v[t] == NULL) {
            sirnn_set_last_error("graph_forward: out of memory");
            st = SIRNN_ERR_NOMEM;
        }
    }
    const size_t in_n = sirnn_graph_size(g, g->input), out_n = sirnn_graph_size(g, g->output);
    for (size_t e = 0; e < n && st == SIRNN_OK; e++) {
        memcpy(v[g->input], x + e * in_n, in_n * sizeof(float));
        for (uint32_t i = 0; i < g->nnodes; i++) {
            const sirnn_gnode *nd = &g->nodes[i];
            if (nd->op != SIRNN_GOP_ARGMAX)
                node_float(g, nd, v[nd->out], v);
        }
        const float *sc = v[g->output];
        if (scores != NULL)
            memcpy(scores + e * out_n, sc, out_n * sizeof(float));
        if (classes != NULL) {
            uint32_t best = 0;
            for (uint32_t k = 1; k < out_n; k++)
                if (sc[k] > sc[best])
                    best = k;
            classes[e] = best;
        }
        if (maxabs != NULL)
            for (uint32_t t = 0; t < g->ntensors; t++) {
                const size_t sz = sirnn_graph_size(g, t);
                for (size_t k = 0; k < sz; k++) {
                    const float a = fabsf(v[t][k]);
                    if (isfinite(a) && a > maxabs[t])
                        maxabs[t] = a;
                }
            }
    }
    for (uint32_t t = 0; t < g->ntensors; t++)
        free(v[t]);
    free(v);
    return st;
}

/* ---- quantisation ------------------------------------------------------------------- */

int64_t sirnn_graph_quant(double v, int scale, unsigned bits)
{
    const double hi = ldexp(1.0, (int)bits - 1) - 1, lo = -ldexp(1.0, (int)bits - 1);
    double q = nearbyint(ldexp(v, scale));
    if (!(q <= hi))
        q = hi;
    if (!(q >= lo))
        q = lo;
    return (int64_t)q;
}

int64_t sirnn_graph_maxpool_pad(unsigned b)
{
    return -((int64_t)1 << (b - 2));
}

void sirnn_graph_clip_bounds(const sirnn_graph *g, const sirnn_gnode *nd, int64_t *lo,
                             int *has_lo, int64_t *hi, int *has_hi)
{
    const sirnn_fixfmt f = g->tensors[nd->in[0]].fmt;
    /* A bound beyond +-2^(b-2) cannot bind a value that the calibration
     * placed within its headroom; dropping it keeps x - bound in range. */
    const double lim = ldexp(1.0, (int)f.bits - 2);
    const double l = ldexp((double)nd->fattr[0], f.scale), h = ldexp((double)nd->fattr[1], f.scale);
    *has_lo = isfinite(l) && l > -lim;
    *has_hi = isfinite(h) && h < lim;
    *lo = *has_lo ? (int64_t)nearbyint(l) : 0;
    *hi = *has_hi ? (int64_t)nearbyint(h) : 0;
}

static float maxabs_of(const float *v, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(v[i]) > m)
            m = fabsf(v[i]);
    return m;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

sirnn_fixfmt sirnn_graph_one_fmt(unsigned b)
{
    return (sirnn_fixfmt){(uint8_t)b, (int8_t)(b - 2), true};
}

/* Check that the math protocols accept the formats of a math node (fi, fi2
 * its inputs' formats, fo its output's). */
static sirnn_status check_math(const sirnn_gnode *nd, sirnn_fixfmt fi, sirnn_fixfmt fi2,
                               sirnn_fixfmt fo)
{
    uint64_t x = 1, x2 = 1, y;
    sirnn_status st;
    switch (nd->op) {
    case SIRNN_GOP_SIGMOID: st = sirnn_ref_sigmoid(1, &y, &x, fi, fo); break;
    case SIRNN_GOP_TANH: st = sirnn_ref_tanh(1, &y, &x, fi, fo); break;
    case SIRNN_GOP_EXP: st = sirnn_ref_exp(1, &y, &x, fi, fo); break;
    case SIRNN_GOP_RSQRT: st = sirnn_ref_rsqrt(1, &y, &x, fi, fo); break;
    case SIRNN_GOP_RECIP:
        st = sirnn_ref_div_norm(1, &y, &x2, &x, sirnn_graph_one_fmt(fi.bits), fi, fo);
        break;
    default: st = sirnn_ref_div_norm(1, &y, &x, &x2, fi, fi2, fo); break;
    }
    if (st != SIRNN_OK) {
        char why[200];
        snprintf(why, sizeof(why), "%s", sirnn_last_error());
        NODE_ERR(nd, "formats %u/%d -> %u/%d are not supported: %s", fi.bits, fi.scale, fo.bits,
                 fo.scale, why);
    }
    return SIRNN_OK;
}

/*
 * The output scale of a sigmoid call on inputs of format fi (b > 8 bits):
 * the highest of b - 2, b - 3, b - 4 at which math.h takes its polynomial
 * path (about 16 flights instead of about 39 for the |x| path), else b - 2.
 */
static int sigmoid_out_scale(sirnn_fixfmt fi)
{
    sirnn_sig_plan *p = malloc(sizeof(*p));
    int so = fi.bits - 2;
    for (int d = 2; p != NULL && d <= 4; d++) {
        const sirnn_fixfmt fo = {fi.bits, (int8_t)(fi.bits - d), true};
        if (sirnn_sig_plan_init(p, 0, fi, fo, NULL, 0) == SIRNN_OK && p->deg > 0) {
            so = fo.scale;
            break;
        }
    }
    free(p);
    return so;
}

int sirnn_graph_tanh_by_sigmoid(unsigned b, const sirnn_gnode *nd)
{
    return nd->op == SIRNN_GOP_TANH && b > 8;
}

uint32_t sirnn_graph_levels(const sirnn_graph *g, uint32_t *level, uint32_t *tlev)
{
    uint32_t top = 0;
    memset(tlev, 0, g->ntensors * sizeof(uint32_t));
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        uint32_t l = 0;
        for (uint32_t k = 0; k < nd->nin; k++)
            l = tlev[nd->in[k]] > l ? tlev[nd->in[k]] : l;
        level[i] = l + 1;
        tlev[nd->out] = l + 1;
        top = l + 1 > top ? l + 1 : top;
    }
    return top;
}

/* Operators whose output scale the quantiser may lower (their last step is a
 * floor shift, or a rescale of their inputs, that can shift further). */
static int scale_free(uint32_t op)
{
    return sirnn_graph_width_free(op); /* the same operators: see there */
}

/* Operators that bring their inputs to their output's scale first. */
static int rescales_inputs(uint32_t op)
{
    return op == SIRNN_GOP_ADD || op == SIRNN_GOP_SUB || op == SIRNN_GOP_ADD_CONST ||
           op == SIRNN_GOP_GATHER;
}

static int lower_cap(int *cap, uint32_t t, int s)
{
    if (s >= cap[t])
        return 0;
    cap[t] = s;
    return 1;
}

/*
 * Caps on tensor scales that save the secure executor protocol calls
 * (SeeDot-style format propagation); returns whether a cap fell.
 *  - A tensor written by a scale_free node and read only by nodes that
 *    rescale it anyway (ADD, SUB, ADD_CONST, GATHER) is written at the
 *    highest scale they read it at (the lowest, when they are at most one
 *    bit apart: the others then shift up, for free): that reader's change of
 *    scale is then folded into the writer's own floor shift, which gives the
 *    same values for a product: floor(floor(p / 2^a) / 2^c) = floor(p /
 *    2^(a+c)).
 *  - A MUL_CONST whose truncation shifts one or two bits more than a MUL's
 *    of the same level (same product width) gets its constant's scale
 *    lowered by as much (wcap), so that one truncation call serves both.
 *  - The sigmoids of one level (SIGMOID, and TANH run as 2 sigmoid(2x) - 1,
 *    which reads its input at one scale less) get one input format, so they
 *    run as one call: the lowest among them.
 */
static int align_caps(sirnn_graph *g, unsigned b, unsigned kw, int *cap, int *wcap)
{
    uint32_t *prod = malloc((g->ntensors + 1) * sizeof(uint32_t));
    int *target = malloc((g->ntensors + 1) * sizeof(int));
    int *lowest = malloc((g->ntensors + 1) * sizeof(int));
    uint32_t *level = malloc((g->nnodes + 1) * sizeof(uint32_t));
    uint32_t *tlev = malloc((g->ntensors + 1) * sizeof(uint32_t));
    int *umin = malloc((g->nnodes + 2) * sizeof(int));
    int changed = 0;
    if (prod == NULL || target == NULL || lowest == NULL || level == NULL || tlev == NULL ||
        umin == NULL)
        goto out; /* no alignment: formats stay valid, only calls are saved */
    for (uint32_t t = 0; t < g->ntensors; t++) {
        prod[t] = UINT32_MAX;
        target[t] = -1000; /* the highest scale a reader wants; 1000: not foldable */
    }
    for (uint32_t i = 0; i < g->nnodes; i++)
        prod[g->nodes[i].out] = i;
    for (uint32_t t = 0; t < g->ntensors; t++)
        lowest[t] = 1000;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        for (uint32_t k = 0; k < nd->nin; k++) {
            const uint32_t t = nd->in[k];
            if (!rescales_inputs(nd->op)) {
                target[t] = 1000;
            } else if (target[t] < 1000) {
                target[t] = imax(target[t], g->tensors[nd->out].fmt.scale);
                lowest[t] = imin(lowest[t], g->tensors[nd->out].fmt.scale);
            }
        }
    }
    for (uint32_t t = 0; t < g->ntensors; t++) {
        if (prod[t] == UINT32_MAX || t == g->output || !scale_free(g->nodes[prod[t]].op) ||
            target[t] <= -1000 || target[t] >= 1000)
            continue;
        /* readers at most one bit apart: the lowest, so that none truncates
         * (the others shift up, giving up that bit) */
        const int want = target[t] - lowest[t] <= 1 ? lowest[t] : target[t];
        if (want < g->tensors[t].fmt.scale)
            changed |= lower_cap(cap, t, want);
    }
    const uint32_t top = sirnn_graph_levels(g, level, tlev);
    for (uint32_t i = 0; kw == b && i < g->nnodes; i++) {
        const sirnn_gnode *mc = &g->nodes[i];
        if (mc->op != SIRNN_GOP_MUL_CONST)
            continue;
        const int smc = g->tensors[mc->in[0]].fmt.scale + mc->wfmt.scale -
                        g->tensors[mc->out].fmt.scale;
        int best = -1000;
        for (uint32_t j = 0; j < g->nnodes; j++) {
            const sirnn_gnode *m = &g->nodes[j];
            if (m->op != SIRNN_GOP_MUL || level[j] != level[i])
                continue;
            const int sm = g->tensors[m->in[0]].fmt.scale + g->tensors[m->in[1]].fmt.scale -
                           g->tensors[m->out].fmt.scale;
            if (sm < smc && smc - sm <= 2 && sm > best)
                best = sm;
        }
        if (best > -1000 && mc->wfmt.scale - (smc - best) < wcap[i]) {
            wcap[i] = mc->wfmt.scale - (smc - best);
            changed = 1;
        }
    }
    for (uint32_t l = 0; l <= top; l++)
        umin[l] = 1000;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        if (nd->op == SIRNN_GOP_SIGMOID || sirnn_graph_tanh_by_sigmoid(b, nd))
            umin[level[i]] = imin(umin[level[i]], g->tensors[nd->in[0]].fmt.scale -
                                                      (nd->op == SIRNN_GOP_TANH ? 1 : 0));
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        if (!(nd->op == SIRNN_GOP_SIGMOID || sirnn_graph_tanh_by_sigmoid(b, nd)))
            continue;
        const int u = umin[level[i]], want = u + (nd->op == SIRNN_GOP_TANH ? 1 : 0);
        const uint32_t t = nd->in[0];
        if (u >= 0 && prod[t] != UINT32_MAX && scale_free(g->nodes[prod[t]].op) &&
            want < g->tensors[t].fmt.scale)
            changed |= lower_cap(cap, t, want);
    }
out:
    free(prod);
    free(target);
    free(lowest);
    free(level);
    free(tlev);
    free(umin);
    return changed;
}

/*
 * Every tensor's format (its scale from the calibrated range with one bit
 * of headroom, never above cap[t]) and every node's parameter formats and
 * quantised parameters, in execution order: each node then lowers its
 * output's scale where its operator needs it (see graph.h).
 */
static sirnn_status assign_formats(sirnn_graph *g, unsigned B, unsigned kw, const int *cap,
                                   const int *wcap, const uint8_t *widths)
{
    sirnn_status st = SIRNN_OK;
    /* widths: the requested ones where the operator leaves them free (and
     * the input's), the operator's elsewhere, in execution order */
    for (uint32_t t = 0; t < g->ntensors; t++)
        g->tensors[t].fmt.bits = (uint8_t)(widths != NULL && widths[t] == 8 ? 8 : B);
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        if (!sirnn_graph_width_free(nd->op))
            g->tensors[nd->out].fmt.bits = (uint8_t)fixed_width(g, nd, B);
    }
    for (uint32_t t = 0; t < g->ntensors; t++) {
        /* one bit of headroom; none for an 8-bit input, which
         * sirnn_graph_quantise_input saturates (it cannot wrap) */
        const float hr = t == g->input && g->tensors[t].fmt.bits == 8 ? 1.0f : 2.0f;
        g->tensors[t].fmt = sirnn_nn_choose_fmt(hr * g->tensors[t].maxabs, g->tensors[t].fmt.bits);
        g->tensors[t].fmt.scale = (int8_t)imin(g->tensors[t].fmt.scale, cap[t]);
    }
    for (uint32_t i = 0; i < g->nnodes && st == SIRNN_OK; i++) {
        sirnn_gnode *nd = &g->nodes[i];
        sirnn_fixfmt *fy = &g->tensors[nd->out].fmt;
        const int sx = g->tensors[nd->in[0]].fmt.scale;
        const int sx2 = nd->nin > 1 ? g->tensors[nd->in[1]].fmt.scale : 0;
        /* b: the width the node computes in (its inputs sign-extended to it,
         * its output reduced mod 2^bo after it; DENSE and CONV read their
         * input at its own width bx) */
        const unsigned b = sirnn_graph_node_bits(g, nd), bo = fy->bits;
        const unsigned bx = g->tensors[nd->in[0]].fmt.bits;
        free(nd->qw);
        free(nd->qb);
        nd->qw = nd->qb = NULL;
        nd->wfmt = nd->bfmt = (sirnn_fixfmt){0, 0, false};
        int so = fy->scale;
        if (nd->nw) {
            const unsigned wb = nd->op == SIRNN_GOP_ADD_CONST ? b : kw;
            nd->wfmt = sirnn_nn_choose_fmt(maxabs_of(nd->w, nd->nw), wb);
            nd->wfmt.scale = (int8_t)imin(nd->wfmt.scale, wcap[i]);
        }
        switch (nd->op) {
        case SIRNN_GOP_DENSE:
        case SIRNN_GOP_CONV: {
            sirnn_gconv cv;
            size_t d2;
            if (nd->op == SIRNN_GOP_CONV) {
                sirnn_graph_conv_geom(g, nd, &cv);
                d2 = (size_t)cv.Cg * cv.KH * cv.KW;
            } else {
                d2 = sirnn_graph_dense_k(g, nd);
            }
            const int la = (int)sirnn_graph_acc_bits(bx, kw, d2);
            const int sp = sx + nd->wfmt.scale;
            if (nd->nb)
                so = imin(so, sirnn_nn_choose_fmt(maxabs_of(nd->b, nd->nb), bo).scale);
            so = imin(so, sp);
            so = imax(so, sp - (la - (int)bo));
            if (la > 64)
                NODE_ERR(nd, "a %d-bit accumulator (more than 64)", la);
            break;
        }
        case SIRNN_GOP_ADD:
        case SIRNN_GOP_SUB:
            /* an input below so is shifted up: exact mod 2^b whenever the
             * result fits, which its calibrated range says */
            break;
        case SIRNN_GOP_GATHER: /* the inputs' values, each shifted to so (up: exact) */
            break;
            break;
        case SIRNN_GOP_ADD_CONST: /* the constant must fit at so */
            so = imin(so, nd->wfmt.scale);
            nd->wfmt.scale = (int8_t)so;
            break;
        case SIRNN_GOP_MUL:
            so = imax(imin(so, sx + sx2), sx + sx2 - (int)b);
            break;
        case SIRNN_GOP_MUL_CONST:
            so = imax(imin(so, sx + nd->wfmt.scale), sx + nd->wfmt.scale - (int)kw);
            break;
        case SIRNN_GOP_SIGMOID:
        case SIRNN_GOP_TANH:
        case SIRNN_GOP_EXP: {
            so = (int)b - 2;
            sirnn_fixfmt fi = g->tensors[nd->in[0]].fmt;
            fi.bits = (uint8_t)b; /* read sign-extended to the node's width */
            const sirnn_gnode *call = nd;
            sirnn_gnode sig;
            if (sirnn_graph_tanh_by_sigmoid(b, nd)) { /* checked as what runs */
                fi.scale = (int8_t)(fi.scale - 1);
                sig = *nd;
                sig.op = SIRNN_GOP_SIGMOID;
                call = &sig;
            }
            if (call->op == SIRNN_GOP_SIGMOID && b > 8)
                so = sigmoid_out_scale(fi);
            st = check_math(call, fi, fi, (sirnn_fixfmt){(uint8_t)b, (int8_t)so, true});
            break;
        }
        case SIRNN_GOP_RECIP:
        case SIRNN_GOP_DIV:
        case SIRNN_GOP_RSQRT:
            so = imax(so, 0);
            st = check_math(nd, (sirnn_fixfmt){(uint8_t)b, (int8_t)sx, true},
                            (sirnn_fixfmt){(uint8_t)b,
                                           g->tensors[nd->in[nd->nin - 1]].fmt.scale, true},
                            (sirnn_fixfmt){(uint8_t)b, (int8_t)so, true});
            break;
        case SIRNN_GOP_ARGMAX:
            so = 0;
            break;
        default: /* RELU, CLIP, pools, RESHAPE keep the input's format */
            so = sx;
            break;
        }
        if (so < -60 || so > 60)
            NODE_ERR(nd, "output scale %d out of range", so);
        fy->scale = (int8_t)so;
        if (nd->nw) {
            nd->qw = malloc(nd->nw * sizeof(int64_t));
            if (nd->qw == NULL)
                goto nomem;
            for (uint32_t k = 0; k < nd->nw; k++)
                nd->qw[k] = sirnn_graph_quant(nd->w[k], nd->wfmt.scale, nd->wfmt.bits);
        }
        if (nd->nb) {
            nd->bfmt = (sirnn_fixfmt){(uint8_t)bo, (int8_t)so, true};
            nd->qb = malloc(nd->nb * sizeof(int64_t));
            if (nd->qb == NULL)
                goto nomem;
            for (uint32_t k = 0; k < nd->nb; k++)
                nd->qb[k] = sirnn_graph_quant(nd->b[k], so, bo);
        }
    }
    return st;
nomem:
    sirnn_set_last_error("graph_quantise: out of memory");
    return SIRNN_ERR_NOMEM;
}

static sirnn_status quantise_core(sirnn_graph *g, unsigned act_bits, unsigned weight_bits,
                                  const uint8_t *widths);

/* Quantise with every tensor at act_bits, or at widths[t] (8 or act_bits;
 * NULL: all act_bits) where its operator leaves the width free. */
static sirnn_status quantise(sirnn_graph *g, unsigned act_bits, unsigned weight_bits,
                             size_t n_calib, const float *x, const uint8_t *widths)
{
    sirnn_status st = sirnn_graph_validate(g);
    if (st != SIRNN_OK)
        return st;
    if ((act_bits != 8 && act_bits != 16) || (weight_bits != 8 && weight_bits != 16)) {
        sirnn_set_last_error("graph_quantise: bits %u / %u, must be 8 or 16", act_bits,
                             weight_bits);
        return SIRNN_ERR_ARG;
    }
    if (n_calib == 0 || x == NULL) {
        sirnn_set_last_error("graph_quantise: no calibration data");
        return SIRNN_ERR_ARG;
    }
    for (uint32_t t = 0; t < g->ntensors; t++)
        g->tensors[t].maxabs = 0;
    float *mx = calloc(g->ntensors, sizeof(float));
    if (mx == NULL) {
        sirnn_set_last_error("graph_quantise: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    st = sirnn_graph_forward(g, n_calib, NULL, NULL, x, mx);
    if (st != SIRNN_OK) {
        free(mx);
        return st;
    }
    for (uint32_t t = 0; t < g->ntensors; t++)
        g->tensors[t].maxabs = mx[t];
    free(mx);
    return quantise_core(g, act_bits, weight_bits, widths);
}

/* The formats from the calibrated ranges already in g (see quantise). */
static sirnn_status quantise_core(sirnn_graph *g, unsigned act_bits, unsigned weight_bits,
                                  const uint8_t *widths)
{
    sirnn_status st = SIRNN_OK;
    const unsigned b = act_bits, kw = weight_bits;
    g->quantised = 0;
    int *cap = malloc((g->ntensors + 1) * sizeof(int));
    int *wcap = malloc((g->nnodes + 1) * sizeof(int));
    if (cap == NULL || wcap == NULL) {
        free(cap);
        free(wcap);
        sirnn_set_last_error("graph_quantise: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    for (uint32_t t = 0; t < g->ntensors; t++)
        cap[t] = 127;
    for (uint32_t i = 0; i < g->nnodes; i++)
        wcap[i] = 127;
    /* Formats from the ranges, then caps that align them for the secure
     * schedule (align_caps), until no cap changes (caps only fall). */
    for (int round = 0; round < 16 && st == SIRNN_OK; round++) {
        st = assign_formats(g, b, kw, cap, wcap, widths);
        if (st != SIRNN_OK || !align_caps(g, b, kw, cap, wcap))
            break;
    }
    free(cap);
    free(wcap);
    const unsigned bout = g->tensors[g->output].fmt.bits;
    if (st == SIRNN_OK && g->has_argmax && sirnn_graph_size(g, g->output) > ((size_t)1 << bout)) {
        sirnn_set_last_error("graph_quantise: an argmax over %zu scores needs more than %u bits",
                             sirnn_graph_size(g, g->output), bout);
        st = SIRNN_ERR_ARG;
    }
    if (st != SIRNN_OK)
        return st;
    g->act_bits = b;
    g->weight_bits = kw;
    g->quantised = 1;
    return sirnn_graph_validate(g);
}

sirnn_status sirnn_graph_quantise(sirnn_graph *g, unsigned act_bits, unsigned weight_bits,
                                  size_t n_calib, const float *x)
{
    return quantise(g, act_bits, weight_bits, n_calib, x, NULL);
}

sirnn_status sirnn_graph_quantise_widths(sirnn_graph *g, const uint8_t *widths,
                                         unsigned weight_bits, size_t n_calib, const float *x)
{
    if (g == NULL || widths == NULL) {
        sirnn_set_last_error("graph_quantise_widths: NULL argument");
        return SIRNN_ERR_ARG;
    }
    for (uint32_t t = 0; t < g->ntensors; t++)
        if (widths[t] != 8 && widths[t] != 16) {
            sirnn_set_last_error("graph_quantise_widths: tensor %u ('%.*s'): width %u, must be "
                                 "8 or 16", t, SIRNN_GRAPH_NAME - 1, g->tensors[t].name,
                                 widths[t]);
            return SIRNN_ERR_ARG;
        }
    return quantise(g, 16, weight_bits, n_calib, x, widths);
}

sirnn_status sirnn_graph_quantise_input(const sirnn_graph *g, size_t n, uint64_t *q,
                                        const float *x)
{
    if (g == NULL || !g->quantised || (n > 0 && (q == NULL || x == NULL))) {
        sirnn_set_last_error("graph_quantise_input: NULL argument or graph not quantised");
        return SIRNN_ERR_ARG;
    }
    const sirnn_fixfmt f = g->tensors[g->input].fmt;
    const size_t total = n * sirnn_graph_size(g, g->input);
    for (size_t i = 0; i < total; i++)
        q[i] = sirnn_ref_mod((uint64_t)sirnn_graph_quant(x[i], f.scale, f.bits), f.bits);
    return SIRNN_OK;
}

/* ---- choosing the widths ------------------------------------------------------ */

/*
 * The tensors that go to 8 bits with t so that no node reads an 8-bit
 * value in a wider ring (no extension): from t down through the readers
 * that keep their input's width (RELU, CLIP, pools, RESHAPE, ARGMAX) and
 * the GATHERs (all of whose inputs must then be 8-bit too); DENSE and CONV
 * read it at its width. Any other reader: returns 0. set[] (ntensors,
 * zeroed by the caller) gets the tensors.
 */
static int narrow_closure(const sirnn_graph *g, uint32_t t, uint8_t *set, uint32_t *queue)
{
    size_t head = 0, tail = 0;
    set[t] = 1;
    queue[tail++] = t;
    while (head < tail) {
        const uint32_t u = queue[head++];
        for (uint32_t i = 0; i < g->nnodes; i++) {
            const sirnn_gnode *nd = &g->nodes[i];
            int reads = 0;
            for (uint32_t k = 0; k < nd->nin; k++)
                reads |= nd->in[k] == u;
            if (!reads || nd->op == SIRNN_GOP_DENSE || nd->op == SIRNN_GOP_CONV)
                continue;
            switch (nd->op) {
            case SIRNN_GOP_RELU:
            case SIRNN_GOP_CLIP:
            case SIRNN_GOP_MAXPOOL:
            case SIRNN_GOP_AVGPOOL:
            case SIRNN_GOP_RESHAPE:
            case SIRNN_GOP_ARGMAX:
            case SIRNN_GOP_GATHER: break;
            default: return 0;
            }
            if (!set[nd->out]) {
                set[nd->out] = 1;
                queue[tail++] = nd->out;
            }
        }
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        for (uint32_t k = 0; nd->op == SIRNN_GOP_GATHER && set[nd->out] && k < nd->nin; k++)
            if (!set[nd->in[k]])
                return 0;
    }
    return 1;
}

/* How many values and steps the fusion plan of quantised g keeps
 * untruncated or fused (wide tensors, truncation points, lean products);
 * -1 on an error. */
static long fused_count(const sirnn_graph *g)
{
    sirnn_gfuse f;
    if (sirnn_graph_fuse_plan(g, &f) != SIRNN_OK)
        return -1;
    long k = 0;
    for (uint32_t t = 0; t < g->ntensors; t++)
        k += f.wide[t];
    for (uint32_t i = 0; i < g->nnodes; i++)
        k += f.tpoint[i] + f.lean[i];
    sirnn_graph_fuse_free(&f);
    return k;
}

/* How many of the first n examples (inputs x) the fixed-point graph
 * classifies as cf[] says; -1 on an error. */
static long agree(const sirnn_graph *g, size_t n, const float *x, const uint32_t *cf,
                  uint64_t *q, uint32_t *cq)
{
    if (sirnn_graph_quantise_input(g, n, q, x) != SIRNN_OK ||
        sirnn_graph_predict_fixed(g, n, NULL, cq, q) != SIRNN_OK)
        return -1;
    long k = 0;
    for (size_t i = 0; i < n; i++)
        k += cq[i] == cf[i];
    return k;
}

sirnn_status sirnn_graph_choose_widths(sirnn_graph *g, unsigned weight_bits, size_t n_calib,
                                       const float *x, double max_drop, uint8_t *widths)
{
    if (g == NULL || !(max_drop >= 0 && max_drop <= 100)) {
        sirnn_set_last_error("graph_choose_widths: NULL graph or max_drop not in 0..100");
        return SIRNN_ERR_ARG;
    }
    sirnn_status st = quantise(g, 16, weight_bits, n_calib, x, NULL);
    if (st != SIRNN_OK)
        return st;
    const size_t ne = n_calib < 500 ? n_calib : 500, per = sirnn_graph_size(g, g->input);
    uint8_t *w = malloc(g->ntensors + 1), *trial = malloc(g->ntensors + 1);
    uint8_t *set = malloc(g->ntensors + 1);
    uint32_t *queue = malloc((g->ntensors + 1) * sizeof(uint32_t));
    uint32_t *cf = malloc((ne + 1) * sizeof(uint32_t)), *cq = malloc((ne + 1) * sizeof(uint32_t));
    uint64_t *q = malloc((ne * per + 1) * sizeof(uint64_t));
    if (w == NULL || trial == NULL || set == NULL || queue == NULL || cf == NULL || cq == NULL ||
        q == NULL) {
        sirnn_set_last_error("graph_choose_widths: out of memory");
        st = SIRNN_ERR_NOMEM;
        goto out;
    }
    memset(w, 16, g->ntensors);
    st = sirnn_graph_forward(g, ne, NULL, cf, x, NULL);
    const long base = st == SIRNN_OK ? agree(g, ne, x, cf, q, cq) : -1;
    if (base < 0) {
        st = st != SIRNN_OK ? st : SIRNN_ERR_ARG;
        goto out;
    }
    const long floor_ = base - (long)floor(max_drop / 100.0 * (double)ne);
    const long fused = fused_count(g);
    /* candidates: the input, then the free-width outputs in execution order */
    for (uint32_t i = 0; i <= g->nnodes; i++) {
        const uint32_t t = i == 0 ? g->input : g->nodes[i - 1].out;
        if (i > 0 && !sirnn_graph_width_free(g->nodes[i - 1].op))
            continue;
        if (w[t] == 8)
            continue;
        memset(set, 0, g->ntensors);
        if (!narrow_closure(g, t, set, queue))
            continue;
        for (uint32_t u = 0; u < g->ntensors; u++)
            trial[u] = set[u] ? 8 : w[u];
        /* (a change that breaks a fused truncation costs more than it saves) */
        if (quantise_core(g, 16, weight_bits, trial) != SIRNN_OK || fused_count(g) < fused)
            continue;
        const long a = agree(g, ne, x, cf, q, cq);
        if (a >= floor_)
            memcpy(w, trial, g->ntensors);
    }
    st = quantise_core(g, 16, weight_bits, w);
    if (st == SIRNN_OK && widths != NULL)
        for (uint32_t t = 0; t < g->ntensors; t++)
            widths[t] = g->tensors[t].fmt.bits;
out:
    free(w);
    free(trial);
    free(set);
    free(queue);
    free(cf);
    free(cq);
    free(q);
    return st;
}
