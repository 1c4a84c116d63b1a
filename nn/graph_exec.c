/*
 * The two integer executors of a quantised graph: cleartext fixed point and
 * secure two-party. Both run the same code over a batch; only the
 * primitives differ (p_* below): on integers they call the cleartext models
 * (fixed.h, math.h), on shares the protocols (arith.h, math.h), so the
 * secure result equals the fixed-point one bit for bit by construction.
 *
 * In the secure run the client's input is held whole: its share is x, the
 * server's 0, which hides nothing from the client and gives the MSB shares
 * of the input for free (the first product uses sirnn_matmul_clear_msb).
 * Then the session messages: the client's request and the server's reply
 * with the public description of the graph (no parameter values).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/random.h"
#include "net/party_internal.h"
#include "nn/session_msg.h"
#include "nn/graph.h"
#include "nn/argmax.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "sirnn/arith.h"
#include "sirnn/math.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

static int64_t to_signed(uint64_t v, unsigned l)
{
    v &= mask_of(l);
    return (l < 64 && (v >> (l - 1)) & 1) ? (int64_t)(v - ((uint64_t)1 << l)) : (int64_t)v;
}

typedef struct gx {
    sirnn_party *party; /* NULL: cleartext fixed point */
    int p0;             /* holds the parameters and adds public constants */
    const sirnn_graph *g;
    unsigned b, kw;     /* b: the width of the nodes running now (per-tensor widths) */
    size_t B;
    uint64_t **v;       /* per tensor: B x size values (or shares) in its width */
    uint64_t **vext;    /* per narrower tensor read by wider nodes: sign-extended
                         * to act_bits at the start of the level that reads it */
    const uint8_t *nonneg; /* per tensor: its MSB is a public 0 (find_nonneg) */
    const uint8_t *zeros;  /* MSB shares of such a tensor, as long as any tensor */
    const sirnn_gfuse *fz; /* the fusion plan (nn/graph.h) */
    uint64_t **vx;         /* per tensor with fz->ext: the value in ext bits */
    uint8_t **msb;         /* per tensor with fz->sign: its MSB shares */
    uint64_t **sv;         /* per tensor with fz->keep_s: the sigmoid behind the TANH */
    /* The products' truncations of a level, run together at its end
     * (flush_truncations): one call per (l, s) for all MUL and MUL_CONST
     * nodes of the level. */
    struct gx_trunc *pend;
    size_t npend, cappend;
} gx;

/* A level's pending truncation: val (n values of l bits) of the node nd,
 * whose output gets floor(val / 2^s) in b bits (and, with lout > b, in
 * lout bits; with sign, its MSB shares). */
typedef struct gx_trunc {
    uint64_t *val;
    size_t n;
    unsigned l, s, lout, b;
    int sign;
    const sirnn_gnode *nd;
} gx_trunc;

/* ---- primitives: cleartext model or protocol --------------------------------- */

/* return expr, inside a profile scope named op (a static string). */
#define PROF(c, op, expr)                                                                        \
    do {                                                                                         \
        sirnn_status prof_st_;                                                                   \
        SIRNN_PROFILED((c)->party, (op), prof_st_, (expr));                                      \
        return prof_st_;                                                                         \
    } while (0)

/* a (m bits: the input's own width) times the server's w (kw bits). */
static sirnn_status p_matmul(gx *c, size_t d1, size_t d2, size_t d3, uint64_t *out,
                             const uint64_t *a, const uint8_t *msb, const uint64_t *w,
                             unsigned m, unsigned s, unsigned lout)
{
    if (c->party == NULL) {
        sirnn_ref_matmul(d1, d2, d3, out, a, w, m, c->kw, s, lout, 1);
        return SIRNN_OK;
    }
    if (msb != NULL)
        PROF(c, "matmul", sirnn_matmul_clear_msb(c->party, d1, d2, d3, out, a, msb, w, m, c->kw,
                                               s, lout, 1));
    PROF(c, "matmul", sirnn_matmul_clear(c->party, d1, d2, d3, out, a, w, m, c->kw, s, lout, 1));
}

/* Sign extension of m-bit x to l bits (msb: its MSB shares, NULL: unknown). */
static sirnn_status p_sext(gx *c, size_t n, uint64_t *out, const uint64_t *x, const uint8_t *msb,
                           unsigned m, unsigned l)
{
    if (c->party != NULL && msb != NULL)
        PROF(c, "extension", sirnn_sext_msb(c->party, n, out, x, msb, m, l));
    if (c->party != NULL)
        PROF(c, "extension", sirnn_sext(c->party, n, out, x, m, l));
    for (size_t i = 0; i < n; i++)
        out[i] = (uint64_t)to_signed(x[i], m) & mask_of(l);
    return SIRNN_OK;
}

/* floor(x / 2^s) of the l-bit signed x, as lout bits. */
static sirnn_status p_tr_ext(gx *c, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                             unsigned s, unsigned lout)
{
    if (c->party != NULL)
        PROF(c, "truncation", sirnn_tr_ext(c->party, n, out, x, l, s, lout, 1));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_tr_ext(x[i], l, s, lout, 1);
    return SIRNN_OK;
}

/* floor(x / 2^s) of the l-bit x (l = s + b, or s + b <= l with lout = b
 * and no sign: the top bits), as lout >= b bits (sign-extended from b),
 * with the MSB shares of its b bits into sign (NULL: not wanted). Plain
 * truncations take sirnn_tr_lean's network (one level shallower) for s <= 8
 * and s > 16, sirnn_tr otherwise (the same values; see nn/secure_infer.c). */
static sirnn_status p_trunc(gx *c, size_t n, uint64_t *out, uint8_t *sign, const uint64_t *x,
                            unsigned l, unsigned s, unsigned lout)
{
    sirnn_status st = SIRNN_OK;
    const int plain = sign == NULL && lout == l - s;
    if (c->party != NULL) {
        sirnn_prof_scope sc;
        sirnn_prof_begin(c->party, &sc, "truncation");
        if (sign != NULL)
            st = sirnn_tr_ext_sign(c->party, n, out, sign, x, l, s, lout, 1);
        else if (!plain)
            st = sirnn_tr_ext(c->party, n, out, x, l, s, lout, 1);
        else if ((s >= 1 && s <= 8) || s > 16) /* s = 0: sirnn_tr's local copy */
            st = sirnn_tr_lean(c->party, n, out, x, l, s, lout, 0);
        else
            st = sirnn_tr(c->party, n, out, x, l, s);
        sirnn_prof_end(c->party, &sc);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        if (sign != NULL)
            sign[i] = (uint8_t)((x[i] >> (l - 1)) & 1);
        out[i] = plain ? sirnn_ref_tr(x[i], l, s) : sirnn_ref_tr_ext(x[i], l, s, lout, 1);
    }
    return SIRNN_OK;
}

/* The top l - s bits of the l-bit x, reduced to b bits (l - s >= b). */
static sirnn_status p_tr_b(gx *c, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                           unsigned s)
{
    sirnn_status st = p_trunc(c, n, out, NULL, x, l, s, l - s);
    for (size_t i = 0; st == SIRNN_OK && i < n; i++)
        out[i] &= mask_of(c->b);
    return st;
}

static sirnn_status p_relu(gx *c, size_t n, uint64_t *out, const uint64_t *x)
{
    if (c->party != NULL)
        PROF(c, "relu", sirnn_relu(c->party, n, out, NULL, x, c->b));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_relu(x[i], c->b);
    return SIRNN_OK;
}

static sirnn_status p_act(gx *c, uint32_t op, size_t n, uint64_t *out, const uint64_t *x,
                          sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (c->party != NULL)
        PROF(c, "sigmoid / tanh",
             op == SIRNN_GOP_SIGMOID ? sirnn_sigmoid(c->party, n, out, x, fi, fo)
                                     : sirnn_tanh(c->party, n, out, x, fi, fo));
    return op == SIRNN_GOP_SIGMOID ? sirnn_ref_sigmoid(n, out, x, fi, fo)
                                   : sirnn_ref_tanh(n, out, x, fi, fo);
}

static sirnn_status p_math(gx *c, uint32_t op, size_t n, uint64_t *out, const uint64_t *x,
                           sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (c->party != NULL)
        PROF(c, op == SIRNN_GOP_EXP ? "exp" : "rsqrt",
             op == SIRNN_GOP_EXP ? sirnn_exp(c->party, n, out, x, fi, fo)
                                 : sirnn_rsqrt(c->party, n, out, x, fi, fo));
    return op == SIRNN_GOP_EXP ? sirnn_ref_exp(n, out, x, fi, fo)
                               : sirnn_ref_rsqrt(n, out, x, fi, fo);
}

static sirnn_status p_div(gx *c, size_t n, uint64_t *q, const uint64_t *num,
                          const uint64_t *den, sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo)
{
    if (c->party != NULL)
        PROF(c, "division", sirnn_div_norm(c->party, n, q, num, den, fn, fd, fo));
    return sirnn_ref_div_norm(n, q, num, den, fn, fd, fo);
}

/* x (m bits) times y held by the server (k bits) into l bits. */
static sirnn_status p_mult_clear(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                                 const uint8_t *xmsb, const uint64_t *y, unsigned m, unsigned k,
                                 unsigned l)
{
    if (c->party != NULL)
        PROF(c, "mult", sirnn_mult_clear(c->party, n, out, x, xmsb, c->p0 ? y : NULL,
                                         SIRNN_SERVER, m, k, l, 1));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y[i], m, k, l, 1);
    return SIRNN_OK;
}

/* x times a public constant. */
static sirnn_status p_mult_const(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                                 uint64_t y, unsigned m, unsigned k, unsigned l)
{
    if (c->party != NULL)
        PROF(c, "mult", sirnn_mult_const(c->party, n, out, x, NULL, y, m, k, l, 1));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y, m, k, l, 1);
    return SIRNN_OK;
}

/* x times y; xmsb / ymsb (may be NULL) their MSB shares when known. */
static sirnn_status p_mult(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                           const uint64_t *y, const uint8_t *xmsb, const uint8_t *ymsb,
                           unsigned m, unsigned k, unsigned l)
{
    if (c->party != NULL && (xmsb != NULL || ymsb != NULL))
        PROF(c, "mult", sirnn_mult_msb(c->party, n, out, x, y, xmsb, ymsb, m, k, l, 1));
    if (c->party != NULL)
        PROF(c, "mult", sirnn_mult(c->party, n, out, x, y, m, k, l, 1));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y[i], m, k, l, 1);
    return SIRNN_OK;
}

/* x (b bits, MSB a public 0) times y (read mod 2^l) into l bits: the
 * round-lean product, the server choosing. */
static sirnn_status p_mult_lean(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                                const uint64_t *y, unsigned l)
{
    if (c->party != NULL)
        PROF(c, "mult", sirnn_mult_lean(c->party, n, out, x, y, NULL, c->b, l, l, 1,
                                        SIRNN_SERVER));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y[i], c->b, l, l, 1);
    return SIRNN_OK;
}

/* sel = msb(d); out = sel ? x : y. */
static sirnn_status p_msb(gx *c, size_t n, uint8_t *out, const uint64_t *d)
{
    if (c->party != NULL)
        PROF(c, "comparison (msb)", sirnn_msb(c->party, n, out, d, c->b));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_msb(d[i], c->b);
    return SIRNN_OK;
}

static sirnn_status p_mux2(gx *c, size_t n, uint64_t *out, const uint8_t *sel,
                           const uint64_t *x, const uint64_t *y)
{
    if (c->party != NULL)
        PROF(c, "mux", sirnn_mux2(c->party, n, out, sel, x, y, c->b));
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mux(sel[i], x[i], y[i], c->b);
    return SIRNN_OK;
}

static int same_fmt(sirnn_fixfmt a, sirnn_fixfmt b)
{
    return a.bits == b.bits && a.scale == b.scale && a.is_signed == b.is_signed;
}

/* The operator a node's protocol call runs, and the input format it reads
 * (TANH at b > 8 bits: a sigmoid of x's bits read at one scale less). */
static uint32_t call_op(const sirnn_graph *g, const sirnn_gnode *nd, sirnn_fixfmt *fi)
{
    *fi = g->tensors[nd->in[0]].fmt;
    fi->bits = (uint8_t)sirnn_graph_node_bits(g, nd); /* read sign-extended */
    if (!sirnn_graph_tanh_by_sigmoid(g->act_bits, nd))
        return nd->op;
    fi->scale = (int8_t)(fi->scale - 1);
    return SIRNN_GOP_SIGMOID;
}

/* ---- steps shared by the operators ------------------------------------------- */

/* x at scale `from` to scale `to` (b bits): a floor shift down or a left
 * shift up. out may alias x. */
static sirnn_status rescale(gx *c, size_t n, uint64_t *out, const uint64_t *x, int from, int to)
{
    if (to < from) {
        /* floor(x / 2^d) of a b-bit value is 0 or -1 for every d >= b - 1 */
        const unsigned d = (unsigned)(from - to) < c->b ? (unsigned)(from - to) : c->b - 1;
        return p_tr_ext(c, n, out, x, c->b, d, c->b);
    }
    const unsigned up = (unsigned)(to - from);
    for (size_t i = 0; i < n; i++)
        out[i] = up >= 64 ? 0 : (x[i] << up) & mask_of(c->b);
    return SIRNN_OK;
}

/* out += k (a public constant, or the server's) mod 2^b, on p0 only. */
static void add_public(gx *c, size_t n, uint64_t *out, int64_t k)
{
    if (!c->p0)
        return;
    for (size_t i = 0; i < n; i++)
        out[i] = (out[i] + (uint64_t)k) & mask_of(c->b);
}

static void negate(gx *c, size_t n, uint64_t *x)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (0 - x[i]) & mask_of(c->b);
}

/*
 * Pairwise maximum tree over rows of k values (val[r*k + j]), with their
 * indices (idx, may be NULL): per level one MSB call on the differences and
 * one MUX call for all rows (ties keep the first). The row's maximum ends in
 * val[r*k] (its index in idx[r*k]).
 */
static sirnn_status max_tree(gx *c, size_t rows, size_t k, uint64_t *val, uint64_t *idx)
{
    const size_t half = k / 2, np_max = rows * half;
    if (k < 2)
        return SIRNN_OK;
    const size_t w = idx != NULL ? 2 : 1;
    uint64_t *d = malloc(np_max * sizeof(uint64_t));
    uint64_t *mx = malloc(w * np_max * sizeof(uint64_t));
    uint64_t *my = malloc(w * np_max * sizeof(uint64_t));
    uint64_t *mo = malloc(w * np_max * sizeof(uint64_t));
    uint8_t *sel = malloc(w * np_max);
    sirnn_status st = SIRNN_OK;
    if (d == NULL || mx == NULL || my == NULL || mo == NULL || sel == NULL)
        st = SIRNN_ERR_NOMEM;
    size_t cnt = k;
    while (st == SIRNN_OK && cnt > 1) {
        const size_t pairs = cnt / 2, np = rows * pairs;
        for (size_t r = 0; r < rows; r++)
            for (size_t q = 0; q < pairs; q++) {
                const size_t e = r * pairs + q, a = r * k + 2 * q, bb = a + 1;
                d[e] = (val[a] - val[bb]) & mask_of(c->b);
                mx[e] = val[bb];
                my[e] = val[a];
                if (idx != NULL) {
                    mx[np + e] = idx[bb];
                    my[np + e] = idx[a];
                }
            }
        st = p_msb(c, np, sel, d);
        if (st != SIRNN_OK)
            break;
        if (idx != NULL)
            memcpy(sel + np, sel, np);
        st = p_mux2(c, w * np, mo, sel, mx, my);
        if (st != SIRNN_OK)
            break;
        for (size_t r = 0; r < rows; r++) {
            for (size_t q = 0; q < pairs; q++) {
                val[r * k + q] = mo[r * pairs + q];
                if (idx != NULL)
                    idx[r * k + q] = mo[np + r * pairs + q];
            }
            if (cnt % 2 != 0) {
                val[r * k + pairs] = val[r * k + cnt - 1];
                if (idx != NULL)
                    idx[r * k + pairs] = idx[r * k + cnt - 1];
            }
        }
        cnt = pairs + cnt % 2;
    }
    if (d != NULL)
        sirnn_memzero(d, np_max * sizeof(uint64_t));
    free(d);
    free(mx);
    free(my);
    free(mo);
    free(sel);
    return st;
}

/* ---- operators ----------------------------------------------------------------- */

static sirnn_status op_dense(gx *c, const sirnn_gnode *nd, const uint8_t *msb)
{
    const sirnn_graph *g = c->g;
    const size_t K = sirnn_graph_dense_k(g, nd), N = nd->nw / K;
    const size_t rows = c->B * sirnn_graph_size(g, nd->in[0]) / K;
    const int so = g->tensors[nd->out].fmt.scale;
    const unsigned s = (unsigned)(g->tensors[nd->in[0]].fmt.scale + nd->wfmt.scale - so);
    /* wide (nn/graph.h): the exact sum mod 2^R, the bias shifted up to it */
    const int wide = c->fz->wide[nd->out];
    const unsigned lout = wide ? c->fz->R[nd->out] : c->b;
    const unsigned bx = g->tensors[nd->in[0]].fmt.bits;
    const uint64_t mo = mask_of(lout);
    uint64_t *w = NULL;
    if (c->p0) {
        w = malloc(nd->nw * sizeof(uint64_t));
        if (w == NULL)
            return SIRNN_ERR_NOMEM;
        for (size_t i = 0; i < nd->nw; i++)
            w[i] = (uint64_t)nd->qw[i] & mask_of(c->kw);
    }
    uint64_t *y = c->v[nd->out];
    sirnn_status st = p_matmul(c, rows, K, N, y, c->v[nd->in[0]], msb, w, bx, wide ? 0 : s, lout);
    if (w != NULL) {
        sirnn_memzero(w, nd->nw * sizeof(uint64_t));
        free(w);
    }
    if (st == SIRNN_OK && nd->nb && c->p0)
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < N; j++)
                y[r * N + j] = (y[r * N + j] + ((uint64_t)nd->qb[j] << (wide ? s : 0))) & mo;
    return st;
}

/* CONV and the pools read windows of the input: gather them, window-major,
 * into a[(e, oh, ow) rows][channel, kh, kw] for the channels [c0, c0 + nc)
 * (a pool: one channel per row, rows (e, ch, oh, ow)). Padding gets pad
 * (added by p0; 0 elsewhere). msb (may be NULL) gets the input's MSB shares
 * the same way when xmsb is not NULL. */
static void gather(gx *c, const sirnn_gconv *cv, int pool, uint32_t c0, uint32_t nc,
                   uint64_t *a, uint8_t *msb, const uint64_t *x, const uint8_t *xmsb,
                   int64_t pad)
{
    const size_t in_sz = (size_t)cv->C * cv->H * cv->W;
    const uint64_t padv = c->p0 ? (uint64_t)pad & mask_of(c->b) : 0;
    size_t o = 0;
    for (size_t e = 0; e < c->B; e++)
        for (uint32_t pc = 0; pc < (pool ? nc : 1); pc++)
            for (uint32_t oh = 0; oh < cv->OH; oh++)
                for (uint32_t ow = 0; ow < cv->OW; ow++)
                    for (uint32_t ch = 0; ch < (pool ? 1 : nc); ch++)
                        for (uint32_t kh = 0; kh < cv->KH; kh++)
                            for (uint32_t kw = 0; kw < cv->KW; kw++, o++) {
                                const int64_t ih = (int64_t)oh * cv->SH + kh - cv->PT;
                                const int64_t iw = (int64_t)ow * cv->SW + kw - cv->PL;
                                const uint32_t ic = c0 + (pool ? pc : ch);
                                if (ih < 0 || ih >= cv->H || iw < 0 || iw >= cv->W) {
                                    a[o] = padv;
                                    if (msb != NULL)
                                        msb[o] = 0;
                                    continue;
                                }
                                const size_t at = e * in_sz +
                                                  ((size_t)ic * cv->H + (size_t)ih) * cv->W +
                                                  (size_t)iw;
                                a[o] = x[at];
                                if (msb != NULL)
                                    msb[o] = xmsb[at];
                            }
}

static sirnn_status op_conv(gx *c, const sirnn_gnode *nd, const uint8_t *xmsb)
{
    const sirnn_graph *g = c->g;
    sirnn_gconv cv;
    sirnn_graph_conv_geom(g, nd, &cv);
    const size_t d2 = (size_t)cv.Cg * cv.KH * cv.KW, P = (size_t)cv.OH * cv.OW;
    const size_t d1 = c->B * P;
    const int so = g->tensors[nd->out].fmt.scale;
    const unsigned s = (unsigned)(g->tensors[nd->in[0]].fmt.scale + nd->wfmt.scale - so);
    uint64_t *a = malloc(d1 * d2 * sizeof(uint64_t));
    uint64_t *o = malloc(d1 * cv.Mg * sizeof(uint64_t));
    uint64_t *w = c->p0 ? malloc(d2 * cv.Mg * sizeof(uint64_t)) : NULL;
    uint8_t *msb = xmsb != NULL ? malloc(d1 * d2) : NULL;
    sirnn_status st = SIRNN_OK;
    if (a == NULL || o == NULL || (c->p0 && w == NULL) || (xmsb != NULL && msb == NULL))
        st = SIRNN_ERR_NOMEM;
    uint64_t *y = c->v[nd->out];
    const size_t out_sz = (size_t)cv.M * P;
    for (uint32_t gi = 0; st == SIRNN_OK && gi < cv.G; gi++) {
        gather(c, &cv, 0, gi * cv.Cg, cv.Cg, a, msb, c->v[nd->in[0]], xmsb, 0);
        if (w != NULL)
            for (size_t j = 0; j < d2; j++)
                for (size_t q = 0; q < cv.Mg; q++)
                    w[j * cv.Mg + q] =
                        (uint64_t)nd->qw[((size_t)gi * cv.Mg + q) * d2 + j] & mask_of(c->kw);
        st = p_matmul(c, d1, d2, cv.Mg, o, a, msb, w, g->tensors[nd->in[0]].fmt.bits, s, c->b);
        for (size_t e = 0; st == SIRNN_OK && e < c->B; e++)
            for (size_t q = 0; q < cv.Mg; q++) {
                const size_t m = (size_t)gi * cv.Mg + q;
                const uint64_t bias = (nd->nb && c->p0) ? (uint64_t)nd->qb[m] : 0;
                for (size_t p = 0; p < P; p++)
                    y[e * out_sz + m * P + p] = (o[(e * P + p) * cv.Mg + q] + bias) & mask_of(c->b);
            }
    }
    if (a != NULL)
        sirnn_memzero(a, d1 * d2 * sizeof(uint64_t));
    if (w != NULL)
        sirnn_memzero(w, d2 * cv.Mg * sizeof(uint64_t));
    free(a);
    free(o);
    free(w);
    free(msb);
    return st;
}

static sirnn_status op_pool(gx *c, const sirnn_gnode *nd)
{
    const sirnn_graph *g = c->g;
    sirnn_gconv cv;
    sirnn_graph_conv_geom(g, nd, &cv);
    const size_t k = (size_t)cv.KH * cv.KW, rows = c->B * cv.C * cv.OH * cv.OW;
    uint64_t *y = c->v[nd->out];
    const int maxp = nd->op == SIRNN_GOP_MAXPOOL;
    uint64_t *a = malloc(rows * k * sizeof(uint64_t));
    if (a == NULL)
        return SIRNN_ERR_NOMEM;
    gather(c, &cv, 1, 0, cv.C, a, NULL, c->v[nd->in[0]], NULL,
           maxp ? sirnn_graph_maxpool_pad(c->b) : 0);
    sirnn_status st = SIRNN_OK;
    if (maxp) {
        st = max_tree(c, rows, k, a, NULL);
        for (size_t r = 0; st == SIRNN_OK && r < rows; r++)
            y[r] = a[r * k];
    } else if (k == 1) {
        memcpy(y, a, rows * sizeof(uint64_t));
    } else {
        /* every element times round(2^b / k) in 2b + 1 bits, summed, then
         * floor-shifted by b */
        const unsigned l = 2 * c->b + 1;
        const uint64_t inv = (uint64_t)nearbyint(ldexp(1.0, (int)c->b) / (double)k);
        st = p_mult_const(c, rows * k, a, a, inv, c->b, c->b + 1, l);
        for (size_t r = 0; st == SIRNN_OK && r < rows; r++) {
            uint64_t sum = 0;
            for (size_t j = 0; j < k; j++)
                sum += a[r * k + j];
            a[r] = sum & mask_of(l);
        }
        if (st == SIRNN_OK)
            st = p_tr_b(c, rows, y, a, l, c->b);
    }
    free(a);
    return st;
}

/*
 * An elementwise node over n values: x (and x2, the second input) in,
 * y out (y aliases neither). cst: ADD_CONST's constant per element at the
 * output's scale (held by p0 only; NULL elsewhere). A batch of nodes with
 * the same operator and formats runs as one call over their inputs laid end
 * to end (run_elementwise); the products run in run_products.
 */
static sirnn_status op_elementwise(gx *c, const sirnn_gnode *nd, size_t n, uint64_t *y,
                                   const uint64_t *x, const uint64_t *x2, const uint64_t *cst)
{
    const sirnn_graph *g = c->g;
    const int sx = g->tensors[nd->in[0]].fmt.scale, so = g->tensors[nd->out].fmt.scale;
    const unsigned b = c->b;
    /* the formats the math protocols see: every value in the node's width */
    const sirnn_fixfmt fx = {(uint8_t)b, (int8_t)sx, true}, fy = {(uint8_t)b, (int8_t)so, true};
    const sirnn_fixfmt fx2 = {(uint8_t)b, g->tensors[nd->in[nd->nin - 1]].fmt.scale, true};
    sirnn_status st = SIRNN_OK;
    switch (nd->op) {
    case SIRNN_GOP_ADD:
    case SIRNN_GOP_SUB: {
        uint64_t *t = malloc(n * sizeof(uint64_t));
        if (t == NULL)
            return SIRNN_ERR_NOMEM;
        st = rescale(c, n, y, x, sx, so);
        if (st == SIRNN_OK)
            st = rescale(c, n, t, x2, g->tensors[nd->in[1]].fmt.scale, so);
        for (size_t i = 0; st == SIRNN_OK && i < n; i++)
            y[i] = (nd->op == SIRNN_GOP_ADD ? y[i] + t[i] : y[i] - t[i]) & mask_of(b);
        free(t);
        return st;
    }
    case SIRNN_GOP_ADD_CONST: {
        st = rescale(c, n, y, x, sx, so);
        if (st != SIRNN_OK)
            return st;
        if (nd->attr[SIRNN_GA_NEG])
            negate(c, n, y);
        for (size_t i = 0; c->p0 && i < n; i++)
            y[i] = (y[i] + cst[i]) & mask_of(b);
        return SIRNN_OK;
    }
    case SIRNN_GOP_RELU:
        return p_relu(c, n, y, x);
    case SIRNN_GOP_CLIP: {
        int64_t lo, hi;
        int has_lo, has_hi;
        sirnn_graph_clip_bounds(g, nd, &lo, &has_lo, &hi, &has_hi);
        memcpy(y, x, n * sizeof(uint64_t));
        if (has_lo) { /* max(x, lo) = lo + relu(x - lo) */
            add_public(c, n, y, -lo);
            st = p_relu(c, n, y, y);
            add_public(c, n, y, lo);
        }
        if (st == SIRNN_OK && has_hi) { /* min(u, hi) = hi - relu(hi - u) */
            negate(c, n, y);
            add_public(c, n, y, hi);
            st = p_relu(c, n, y, y);
            negate(c, n, y);
            add_public(c, n, y, hi);
        }
        return st;
    }
    case SIRNN_GOP_SIGMOID:
    case SIRNN_GOP_TANH: {
        sirnn_fixfmt fi;
        const uint32_t op = call_op(g, nd, &fi);
        return p_act(c, op, n, y, x, fi, fy);
    }
    case SIRNN_GOP_EXP:
    case SIRNN_GOP_RSQRT:
        return p_math(c, nd->op, n, y, x, fx, fy);
    case SIRNN_GOP_DIV:
        return p_div(c, n, y, x, x2, fx, fx2, fy);
    case SIRNN_GOP_RECIP: {
        /* 1 / x: the constant 1 (held by p0) divided by x */
        const sirnn_fixfmt one = sirnn_graph_one_fmt(b);
        uint64_t *num = malloc(n * sizeof(uint64_t) + 1);
        if (num == NULL)
            return SIRNN_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            num[i] = c->p0 ? (uint64_t)1 << one.scale : 0;
        st = p_div(c, n, y, num, x, one, fx, fy);
        free(num);
        return st;
    }
    default:
        return SIRNN_ERR_ARG;
    }
}

/* Up to this many scores the argmax compares all pairs in one round
 * (nn/argmax.h: 9 flights, bits growing as k^2); more take the tree of
 * max_tree (about 7 flights per level of ceil(log2 k), bits as k). */
#define ARGMAX_PAIRS_MAX 16

/* The argmax of each example's scores: classes[e] (shares), the first
 * maximum (ties to the lower index). */
static sirnn_status op_argmax(gx *c, uint64_t *classes)
{
    const size_t k = sirnn_graph_size(c->g, c->g->output), B = c->B;
    const uint64_t *scores = c->v[c->g->output];
    if (k >= 2 && k <= ARGMAX_PAIRS_MAX) {
        if (c->party == NULL) {
            uint64_t cnt[ARGMAX_PAIRS_MAX];
            for (size_t e = 0; e < B; e++)
                classes[e] = sirnn_argmax_ref(k, scores + e * k, c->b, cnt);
            return SIRNN_OK;
        }
        uint64_t *words = malloc(sirnn_argmax_work_words(B, k) * sizeof(uint64_t));
        uint8_t *bytes = malloc(sirnn_argmax_work_bytes(B, k));
        sirnn_status st = SIRNN_ERR_NOMEM;
        if (words != NULL && bytes != NULL)
            st = sirnn_argmax_secure(c->party, B, k, classes, scores, c->b, words, bytes);
        if (words != NULL)
            sirnn_memzero(words, sirnn_argmax_work_words(B, k) * sizeof(uint64_t));
        if (bytes != NULL)
            sirnn_memzero(bytes, sirnn_argmax_work_bytes(B, k));
        free(words);
        free(bytes);
        return st;
    }
    uint64_t *val = malloc(B * k * sizeof(uint64_t));
    uint64_t *idx = malloc(B * k * sizeof(uint64_t));
    sirnn_status st = SIRNN_ERR_NOMEM;
    if (val != NULL && idx != NULL) {
        memcpy(val, scores, B * k * sizeof(uint64_t));
        for (size_t e = 0; e < B; e++)
            for (size_t j = 0; j < k; j++)
                idx[e * k + j] = c->p0 ? j : 0;
        st = max_tree(c, B, k, val, idx);
        for (size_t e = 0; st == SIRNN_OK && e < B; e++)
            classes[e] = idx[e * k];
    }
    free(val);
    free(idx);
    return st;
}

/* Which product call a node joins: 3 for a lean product (nn/graph.h); 1
 * for MUL, and for MUL_CONST when its constants are as wide as the
 * activations (it then runs as a product with the server's constant shared
 * as (c, 0)); 2 for a narrower MUL_CONST (sirnn_mult_clear); 0 for the
 * other operators. */
static int product_kind(const sirnn_graph *g, const sirnn_gfuse *fz, const sirnn_gnode *nd)
{
    if (fz->lean[nd - g->nodes])
        return 3;
    if (nd->op == SIRNN_GOP_MUL)
        return 1;
    if (nd->op == SIRNN_GOP_MUL_CONST)
        return g->weight_bits == sirnn_graph_node_bits(g, nd) ? 1 : 2;
    return 0;
}

/* A sum that reads or writes a wide value (nn/graph.h): run alone (it is
 * local; a truncation point's truncation joins the level's others). */
static int fused_sum(const sirnn_graph *g, const sirnn_gfuse *fz, const sirnn_gnode *nd)
{
    return fz->tpoint[nd - g->nodes] ||
           ((nd->op == SIRNN_GOP_ADD || nd->op == SIRNN_GOP_SUB ||
             nd->op == SIRNN_GOP_ADD_CONST) && fz->wide[nd->out]);
}

/* Whether nodes a and b of one level can run as one call over their inputs
 * laid end to end: the same elementwise operator (or GATHER) on the same
 * formats and attributes. DENSE, CONV and the pools hold their own weights
 * or windows and run one by one. */
static int batchable(const sirnn_graph *g, const sirnn_gfuse *fz, const sirnn_gnode *a,
                     const sirnn_gnode *b)
{
    sirnn_fixfmt fa, fb;
    if (fused_sum(g, fz, a) || fused_sum(g, fz, b) ||
        sirnn_graph_node_bits(g, a) != sirnn_graph_node_bits(g, b))
        return 0;
    const uint32_t ca = call_op(g, a, &fa), cb = call_op(g, b, &fb);
    if (ca == SIRNN_GOP_SIGMOID && cb == SIRNN_GOP_SIGMOID) /* SIGMOID and TANH mix */
        return same_fmt(fa, fb) &&
               same_fmt(g->tensors[a->out].fmt, g->tensors[b->out].fmt);
    if (product_kind(g, fz, a) != 0) /* one product call; each node its own truncation */
        return product_kind(g, fz, a) == product_kind(g, fz, b);
    if (a->op != b->op || a->nin != b->nin)
        return 0;
    switch (a->op) {
    case SIRNN_GOP_DENSE:
    case SIRNN_GOP_CONV:
    case SIRNN_GOP_MAXPOOL:
    case SIRNN_GOP_AVGPOOL:
    case SIRNN_GOP_ARGMAX:
    case SIRNN_GOP_RESHAPE: return 0;
    default: break;
    }
    for (uint32_t k = 0; k < a->nin; k++)
        if (!same_fmt(g->tensors[a->in[k]].fmt, g->tensors[b->in[k]].fmt))
            return 0;
    if (!same_fmt(g->tensors[a->out].fmt, g->tensors[b->out].fmt))
        return 0;
    if (a->op == SIRNN_GOP_ADD_CONST && a->attr[SIRNN_GA_NEG] != b->attr[SIRNN_GA_NEG])
        return 0;
    if (a->op == SIRNN_GOP_CLIP) {
        int64_t lo[2], hi[2];
        int hl[2], hh[2];
        sirnn_graph_clip_bounds(g, a, &lo[0], &hl[0], &hi[0], &hh[0]);
        sirnn_graph_clip_bounds(g, b, &lo[1], &hl[1], &hi[1], &hh[1]);
        if (hl[0] != hl[1] || hh[0] != hh[1] || (hl[0] && lo[0] != lo[1]) ||
            (hh[0] && hi[0] != hi[1]))
            return 0;
    }
    return 1;
}

/*
 * GATHER over the k nodes nds[] (one format): each node's public
 * permutation first, then every gathered value brought to the output's
 * scale, in one call per input position (the values taken from all nodes'
 * first inputs, then those from their second inputs).
 */
static sirnn_status op_gather(gx *c, const sirnn_gnode *const *nds, size_t k)
{
    const sirnn_graph *g = c->g;
    const sirnn_gnode *nd = nds[0];
    const int so = g->tensors[nd->out].fmt.scale;
    size_t tot[2] = {0, 0};
    for (size_t q = 0; q < k; q++) {
        const size_t s0 = sirnn_graph_size(g, nds[q]->in[0]);
        for (size_t i = 0; i < nds[q]->nidx; i++)
            tot[nds[q]->idx[i] < s0 ? 0 : 1] += c->B;
    }
    uint64_t *a = malloc((tot[0] + tot[1] + 1) * sizeof(uint64_t));
    if (a == NULL)
        return SIRNN_ERR_NOMEM;
    for (int pass = 0; pass < 2; pass++) { /* 0: gather into a; 1: scatter back */
        size_t at[2] = {0, tot[0]};
        for (size_t q = 0; q < k; q++) {
            const sirnn_gnode *n1 = nds[q];
            const size_t s0 = sirnn_graph_size(g, n1->in[0]);
            const size_t s1 = n1->nin > 1 ? sirnn_graph_size(g, n1->in[1]) : 0;
            const size_t on = sirnn_graph_size(g, n1->out);
            uint64_t *y = c->v[n1->out];
            for (size_t e = 0; e < c->B; e++)
                for (size_t i = 0; i < on; i++) {
                    const size_t t = n1->idx[i], w = t < s0 ? 0 : 1;
                    if (pass == 0)
                        a[at[w]] = w == 0 ? c->v[n1->in[0]][e * s0 + t]
                                          : c->v[n1->in[1]][e * s1 + (t - s0)];
                    else
                        y[e * on + i] = a[at[w]];
                    at[w]++;
                }
        }
        if (pass == 1)
            break;
        sirnn_status st = SIRNN_OK;
        for (uint32_t j = 0; j < nd->nin && st == SIRNN_OK; j++)
            if (tot[j])
                st = rescale(c, tot[j], a + (j ? tot[0] : 0), a + (j ? tot[0] : 0),
                             g->tensors[nd->in[j]].fmt.scale, so);
        if (st != SIRNN_OK) {
            free(a);
            return st;
        }
    }
    sirnn_memzero(a, (tot[0] + tot[1]) * sizeof(uint64_t));
    free(a);
    return SIRNN_OK;
}

/* The per-element constant of an ADD_CONST (at the output's scale, mod 2^b)
 * or MUL_CONST (kw bits) node over m values, p0 only. */
static void node_const(const gx *c, const sirnn_gnode *nd, size_t m, uint64_t *cst)
{
    const unsigned bits = nd->op == SIRNN_GOP_MUL_CONST ? c->kw : c->b;
    for (size_t i = 0; i < m; i++)
        cst[i] = (uint64_t)nd->qw[i % nd->nw] & mask_of(bits);
}

/* A TANH run as a sigmoid s of 2x (sirnn_graph_tanh_by_sigmoid): its output
 * tanh(x) = 2 s - 1, at the output's scale so: y = 2 y - 2^so (on p0) mod 2^b. */
static void tanh_from_sigmoid(gx *c, const sirnn_gnode *nd, size_t n, uint64_t *y)
{
    if (!sirnn_graph_tanh_by_sigmoid(c->b, nd))
        return;
    if (c->sv[nd->out] != NULL) /* a lean product reads the sigmoid */
        memcpy(c->sv[nd->out], y, n * sizeof(uint64_t));
    const uint64_t one = c->p0 ? (uint64_t)1 << c->g->tensors[nd->out].fmt.scale : 0;
    for (size_t i = 0; i < n; i++)
        y[i] = ((y[i] << 1) - one) & mask_of(c->b);
}

/* Keep node nd's values val[n] (l bits) for the truncation at the level's
 * end: floor(val / 2^s) into its output (see gx_trunc). Only the low s + b
 * bits matter to the b-bit output (a wider copy is its sign extension), so
 * the values are reduced to them. Takes val. */
static sirnn_status defer_truncation(gx *c, const sirnn_gnode *nd, uint64_t *val, size_t n,
                                     unsigned l, unsigned s)
{
    const uint32_t o = nd->out;
    const unsigned lout = c->fz->ext[o] > c->b ? c->fz->ext[o] : c->b;
    const int sign = c->fz->sign[o];
    if (l > s + c->b) {
        l = s + c->b;
        for (size_t i = 0; i < n; i++)
            val[i] &= mask_of(l);
    }
    if (c->npend == c->cappend) {
        const size_t cap = c->cappend ? 2 * c->cappend : 8;
        gx_trunc *grown = cap > SIZE_MAX / sizeof(gx_trunc)
                              ? NULL
                              : realloc(c->pend, cap * sizeof(gx_trunc));
        if (grown == NULL) {
            sirnn_memzero(val, n * sizeof(uint64_t));
            free(val);
            return SIRNN_ERR_NOMEM;
        }
        c->pend = grown;
        c->cappend = cap;
    }
    c->pend[c->npend++] = (gx_trunc){val, n, l, s, lout, c->b, sign, nd};
    return SIRNN_OK;
}

static int same_trunc(const gx_trunc *a, const gx_trunc *b)
{
    return b->val != NULL && a->l == b->l && a->s == b->s && a->lout == b->lout &&
           a->b == b->b && a->sign == b->sign;
}

/* The level's pending truncations: those with the same (l, s, lout, sign)
 * as one call over their values end to end, each node's output its slice. */
static sirnn_status flush_truncations(gx *c)
{
    sirnn_status st = SIRNN_OK;
    for (size_t i = 0; i < c->npend && st == SIRNN_OK; i++) {
        const gx_trunc key = c->pend[i];
        if (key.val == NULL)
            continue;
        size_t n = 0;
        for (size_t j = i; j < c->npend; j++)
            if (same_trunc(&key, &c->pend[j]))
                n += c->pend[j].n;
        uint64_t *buf = malloc((n + 1) * sizeof(uint64_t));
        uint8_t *sg = malloc(n + 1);
        if (buf == NULL || sg == NULL) {
            free(buf);
            free(sg);
            st = SIRNN_ERR_NOMEM;
            break;
        }
        size_t off = 0;
        for (size_t j = i; j < c->npend; j++)
            if (same_trunc(&key, &c->pend[j])) {
                memcpy(buf + off, c->pend[j].val, c->pend[j].n * sizeof(uint64_t));
                off += c->pend[j].n;
            }
        c->b = key.b;
        if (key.lout == key.l - key.s && !key.sign)
            st = p_tr_b(c, n, buf, buf, key.l, key.s);
        else
            st = p_trunc(c, n, buf, key.sign ? sg : NULL, buf, key.l, key.s, key.lout);
        off = 0;
        for (size_t j = i; j < c->npend; j++) {
            gx_trunc *t = &c->pend[j];
            if (!same_trunc(&key, t))
                continue;
            const uint32_t o = t->nd->out;
            for (size_t q = 0; st == SIRNN_OK && q < t->n; q++) {
                c->v[o][q] = buf[off + q] & mask_of(c->b);
                if (c->vx[o] != NULL)
                    c->vx[o][q] = buf[off + q];
                if (c->msb[o] != NULL)
                    c->msb[o][q] = sg[off + q];
            }
            off += t->n;
            sirnn_memzero(t->val, t->n * sizeof(uint64_t));
            free(t->val);
            t->val = NULL;
        }
        sirnn_memzero(buf, n * sizeof(uint64_t));
        free(buf);
        free(sg);
    }
    for (size_t i = 0; i < c->npend; i++) { /* after an error */
        if (c->pend[i].val != NULL)
            sirnn_memzero(c->pend[i].val, c->pend[i].n * sizeof(uint64_t));
        free(c->pend[i].val);
    }
    c->npend = 0;
    return st;
}

/* The MSB shares of tensor t's m values when known (a public 0, or from
 * the truncation that wrote it) into dst; returns whether they are. */
static int known_msb(gx *c, uint32_t t, size_t m, uint8_t *dst)
{
    if (c->nonneg[t] && !c->fz->wide[t]) {
        memset(dst, 0, m);
        return 1;
    }
    if (c->msb[t] == NULL)
        return 0;
    memcpy(dst, c->msb[t], m);
    return 1;
}

/*
 * The products of a level (MUL, MUL_CONST; one product_kind) as one call: x
 * (the operand whose MSB is a public 0 first, when one is) times y (the
 * other activation, or the server's constant shared as (c, 0)), exact in 2b
 * bits; a MUL_CONST group alone runs sirnn_mult_clear into b + kw bits.
 * MSB shares are used when every x (every y) has a public MSB of 0. Each
 * node's truncation to its output's scale waits for the level's end
 * (flush_truncations).
 */
static sirnn_status run_products(gx *c, const sirnn_gnode *const *nds, size_t k)
{
    const sirnn_graph *g = c->g;
    const unsigned b = c->b;
    int all_const = 1, known_x = 1, known_y = 1;
    size_t n = 0;
    for (size_t q = 0; q < k; q++) {
        n += c->B * sirnn_graph_size(g, nds[q]->in[0]);
        all_const &= nds[q]->op == SIRNN_GOP_MUL_CONST;
    }
    uint64_t *x = malloc((n + 1) * sizeof(uint64_t));
    uint64_t *y = malloc((n + 1) * sizeof(uint64_t));
    uint64_t *z = malloc((n + 1) * sizeof(uint64_t));
    uint8_t *xm = malloc(2 * n + 1), *ym = xm != NULL ? xm + n : NULL;
    unsigned *shift = malloc((k + 1) * sizeof(unsigned));
    sirnn_status st = SIRNN_OK;
    if (x == NULL || y == NULL || z == NULL || xm == NULL || shift == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto out;
    }
    size_t off = 0;
    for (size_t q = 0; q < k; q++) {
        const sirnn_gnode *nd = nds[q];
        const size_t m = c->B * sirnn_graph_size(g, nd->in[0]);
        const int so = g->tensors[nd->out].fmt.scale;
        uint32_t a = nd->in[0];
        if (nd->op == SIRNN_GOP_MUL) {
            uint32_t bb = nd->in[1];
            if (!c->nonneg[a] && c->nonneg[bb]) { /* the exact product is symmetric */
                const uint32_t t = a;
                a = bb;
                bb = t;
            }
            memcpy(y + off, c->v[bb], m * sizeof(uint64_t));
            known_y &= known_msb(c, bb, m, ym + off);
            shift[q] = (unsigned)(g->tensors[a].fmt.scale + g->tensors[bb].fmt.scale - so);
        } else {
            if (c->p0)
                node_const(c, nd, m, y + off);
            else
                memset(y + off, 0, m * sizeof(uint64_t));
            known_y = 0;
            shift[q] = (unsigned)(g->tensors[a].fmt.scale + nd->wfmt.scale - so);
        }
        memcpy(x + off, c->v[a], m * sizeof(uint64_t));
        known_x &= known_msb(c, a, m, xm + off);
        off += m;
    }
    const unsigned l = all_const ? b + c->kw : 2 * b;
    if (all_const)
        st = p_mult_clear(c, n, z, x, known_x ? xm : NULL, y, b, c->kw, l);
    else
        st = p_mult(c, n, z, x, y, known_x ? xm : NULL, known_y ? ym : NULL, b, b, l);
    off = 0;
    for (size_t q = 0; st == SIRNN_OK && q < k; q++) {
        const uint32_t o = nds[q]->out;
        const size_t m = c->B * sirnn_graph_size(g, nds[q]->in[0]);
        if (c->fz->wide[o]) { /* exact in l bits; kept mod 2^R (R <= l) */
            for (size_t i = 0; i < m; i++)
                c->v[o][i] = z[off + i] & mask_of(c->fz->R[o]);
            off += m;
            continue;
        }
        uint64_t *part = malloc((m + 1) * sizeof(uint64_t));
        if (part == NULL) {
            st = SIRNN_ERR_NOMEM;
            break;
        }
        memcpy(part, z + off, m * sizeof(uint64_t));
        st = defer_truncation(c, nds[q], part, m, l, shift[q]);
        off += m;
    }
out:
    if (x != NULL)
        sirnn_memzero(x, n * sizeof(uint64_t));
    if (y != NULL)
        sirnn_memzero(y, n * sizeof(uint64_t));
    if (z != NULL)
        sirnn_memzero(z, n * sizeof(uint64_t));
    if (xm != NULL)
        sirnn_memzero(xm, 2 * n);
    free(x);
    free(y);
    free(z);
    free(xm);
    free(shift);
    return st;
}

/*
 * The lean products of a level (nn/graph.h: lean) as one sirnn_mult_lean
 * call in l = lean_l bits: x (b bits, MSB a public 0: the nonneg operand,
 * or the sigmoid s behind a TANH) times y read mod 2^l (a wide value, a
 * truncation's copy in ext bits, or the server's constant shared as
 * (c, 0)). A TANH's x gives x y = 2 s y - 2^s_x y, locally. The outputs are
 * wide (mod 2^R).
 */
static sirnn_status run_lean(gx *c, const sirnn_gnode *const *nds, size_t k)
{
    const sirnn_graph *g = c->g;
    const sirnn_gfuse *fz = c->fz;
    const unsigned l = fz->lean_l[nds[0] - g->nodes];
    const uint64_t ml = mask_of(l);
    size_t n = 0;
    for (size_t q = 0; q < k; q++)
        n += c->B * sirnn_graph_size(g, nds[q]->in[0]);
    uint64_t *x = malloc((n + 1) * sizeof(uint64_t));
    uint64_t *y = malloc((n + 1) * sizeof(uint64_t));
    uint64_t *z = malloc((n + 1) * sizeof(uint64_t));
    sirnn_status st = SIRNN_OK;
    if (x == NULL || y == NULL || z == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto out;
    }
    size_t off = 0;
    for (size_t q = 0; q < k; q++) {
        const sirnn_gnode *nd = nds[q];
        const size_t i = (size_t)(nd - g->nodes), m = c->B * sirnn_graph_size(g, nd->in[0]);
        const uint32_t xt = nd->in[fz->leanx[i]];
        memcpy(x + off, fz->nonneg[xt] ? c->v[xt] : c->sv[xt], m * sizeof(uint64_t));
        if (nd->op == SIRNN_GOP_MUL_CONST) {
            for (size_t e = 0; e < m; e++) /* the constant sign-extended into l bits */
                y[off + e] = c->p0 ? (uint64_t)nd->qw[e % nd->nw] & ml : 0;
        } else {
            const uint32_t yt = nd->in[1 - fz->leanx[i]];
            memcpy(y + off, fz->wide[yt] ? c->v[yt] : c->vx[yt], m * sizeof(uint64_t));
        }
        off += m;
    }
    st = p_mult_lean(c, n, z, x, y, l);
    off = 0;
    for (size_t q = 0; st == SIRNN_OK && q < k; q++) {
        const sirnn_gnode *nd = nds[q];
        const size_t i = (size_t)(nd - g->nodes), m = c->B * sirnn_graph_size(g, nd->in[0]);
        const uint32_t xt = nd->in[fz->leanx[i]], o = nd->out;
        const unsigned sx = (unsigned)g->tensors[xt].fmt.scale;
        for (size_t e = 0; e < m; e++) {
            uint64_t v = z[off + e];
            if (!fz->nonneg[xt]) /* x = 2 s - 2^sx */
                v = (v << 1) - (y[off + e] << sx);
            c->v[o][e] = v & mask_of(fz->R[o]);
        }
        off += m;
    }
out:
    sirnn_arith_zfree(x, n * sizeof(uint64_t));
    sirnn_arith_zfree(y, n * sizeof(uint64_t));
    sirnn_arith_zfree(z, n * sizeof(uint64_t));
    return st;
}

/*
 * A sum (ADD, SUB, ADD_CONST) with a wide input or output (nn/graph.h):
 * every input aligned to the scale S (a wide one shifted up from its own
 * scale, a b-bit one sign-extended and shifted up), the constant (at the
 * output's scale) too, summed mod 2^L. A wide output keeps that; a
 * truncation point's sum is floor-shifted to the output's scale at the
 * level's end, with the others (flush_truncations).
 */
static sirnn_status run_fused_sum(gx *c, const sirnn_gnode *nd)
{
    const sirnn_graph *g = c->g;
    const sirnn_gfuse *fz = c->fz;
    const size_t i = (size_t)(nd - g->nodes), m = c->B * sirnn_graph_size(g, nd->out);
    const uint32_t o = nd->out;
    const int so = g->tensors[o].fmt.scale, wide = fz->wide[o];
    const int S = wide ? fz->S[o] : fz->tS[i];
    const unsigned L = wide ? fz->R[o] : (unsigned)(S - so) + c->b;
    uint64_t *acc = wide ? c->v[o] : malloc((m + 1) * sizeof(uint64_t));
    if (acc == NULL)
        return SIRNN_ERR_NOMEM;
    memset(acc, 0, m * sizeof(uint64_t));
    for (uint32_t k = 0; k < nd->nin; k++) {
        const uint32_t t = nd->in[k];
        const int neg = (nd->op == SIRNN_GOP_SUB && k == 1) ||
                        (nd->op == SIRNN_GOP_ADD_CONST && nd->attr[SIRNN_GA_NEG]);
        const unsigned up = (unsigned)(S - (fz->wide[t] ? fz->S[t] : g->tensors[t].fmt.scale));
        /* a b-bit input's shares shifted up: its value mod 2^(b + up), which
         * covers the ring L (the plan makes sure) */
        for (size_t e = 0; e < m; e++) {
            const uint64_t v = c->v[t][e];
            const uint64_t sh = up < 64 ? v << up : 0;
            acc[e] += neg ? 0 - sh : sh;
        }
    }
    if (nd->op == SIRNN_GOP_ADD_CONST && c->p0)
        for (size_t e = 0; e < m; e++)
            acc[e] += (uint64_t)nd->qw[e % nd->nw] << (S - so);
    for (size_t e = 0; e < m; e++)
        acc[e] &= mask_of(L);
    if (wide)
        return SIRNN_OK;
    return defer_truncation(c, nd, acc, m, L, (unsigned)(S - so));
}

/* The k elementwise nodes nds[] (batchable with each other) as one call:
 * their inputs end to end, the outputs split back. One node runs in place. */
static sirnn_status run_elementwise(gx *c, const sirnn_gnode *const *nds, size_t k)
{
    const sirnn_graph *g = c->g;
    const sirnn_gnode *nd = nds[0];
    const int has_cst = c->p0 && (nd->op == SIRNN_GOP_ADD_CONST || nd->op == SIRNN_GOP_MUL_CONST);
    size_t n = 0;
    for (size_t q = 0; q < k; q++)
        n += c->B * sirnn_graph_size(g, nds[q]->in[0]);
    uint64_t *cst = has_cst ? malloc((n + 1) * sizeof(uint64_t)) : NULL;
    if (has_cst && cst == NULL)
        return SIRNN_ERR_NOMEM;
    sirnn_status st = SIRNN_OK;
    if (k == 1) {
        if (cst != NULL)
            node_const(c, nd, n, cst);
        st = op_elementwise(c, nd, n, c->v[nd->out], c->v[nd->in[0]],
                            nd->nin > 1 ? c->v[nd->in[1]] : NULL, cst);
        if (st == SIRNN_OK)
            tanh_from_sigmoid(c, nd, n, c->v[nd->out]);
    } else {
        const int two = nd->nin > 1;
        uint64_t *buf = malloc(((two ? 2 : 1) * n + 1) * sizeof(uint64_t));
        uint64_t *y = malloc((n + 1) * sizeof(uint64_t));
        if (buf == NULL || y == NULL) {
            free(buf);
            free(y);
            free(cst);
            return SIRNN_ERR_NOMEM;
        }
        uint64_t *x = buf, *x2 = two ? buf + n : NULL;
        size_t off = 0;
        for (size_t q = 0; q < k; q++) {
            const size_t m = c->B * sirnn_graph_size(g, nds[q]->in[0]);
            memcpy(x + off, c->v[nds[q]->in[0]], m * sizeof(uint64_t));
            if (two)
                memcpy(x2 + off, c->v[nds[q]->in[1]], m * sizeof(uint64_t));
            if (cst != NULL)
                node_const(c, nds[q], m, cst + off);
            off += m;
        }
        st = op_elementwise(c, nd, n, y, x, x2, cst);
        off = 0;
        for (size_t q = 0; st == SIRNN_OK && q < k; q++) {
            const size_t m = c->B * sirnn_graph_size(g, nds[q]->in[0]);
            memcpy(c->v[nds[q]->out], y + off, m * sizeof(uint64_t));
            tanh_from_sigmoid(c, nds[q], m, c->v[nds[q]->out]);
            off += m;
        }
        sirnn_memzero(buf, (two ? 2 : 1) * n * sizeof(uint64_t));
        free(buf);
        sirnn_memzero(y, n * sizeof(uint64_t));
        free(y);
    }
    if (cst != NULL) {
        sirnn_memzero(cst, n * sizeof(uint64_t));
        free(cst);
    }
    return st;
}

/* Whether node nd reads input tensor t sign-extended (sirnn_graph_node_bits). */
static int reads_extended(const sirnn_graph *g, const sirnn_gnode *nd, uint32_t t)
{
    return nd->op != SIRNN_GOP_DENSE && nd->op != SIRNN_GOP_CONV &&
           g->tensors[t].fmt.bits < sirnn_graph_node_bits(g, nd);
}

/*
 * Per-tensor widths: the narrower tensors that nodes of level lv read in a
 * wider ring, sign-extended into c->vext (one call for those whose MSB is a
 * public 0, one for the others; widths are 8 or act_bits).
 */
static sirnn_status extend_level(gx *c, const uint32_t *level, uint32_t lv, uint8_t *need)
{
    const sirnn_graph *g = c->g;
    const unsigned B = g->act_bits;
    memset(need, 0, g->ntensors);
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        for (uint32_t k = 0; level[i] == lv && k < nd->nin; k++)
            if (reads_extended(g, nd, nd->in[k]))
                need[nd->in[k]] = 1;
    }
    sirnn_status st = SIRNN_OK;
    for (int pass = 0; pass < 2 && st == SIRNN_OK; pass++) { /* 0: MSB public 0 */
        size_t n = 0;
        for (uint32_t t = 0; t < g->ntensors; t++)
            if (need[t] && (int)c->nonneg[t] == (pass == 0))
                n += c->B * sirnn_graph_size(g, t);
        if (n == 0)
            continue;
        uint64_t *buf = malloc(2 * n * sizeof(uint64_t));
        if (buf == NULL)
            return SIRNN_ERR_NOMEM;
        size_t off = 0;
        for (uint32_t t = 0; t < g->ntensors; t++) {
            if (!need[t] || (int)c->nonneg[t] != (pass == 0))
                continue;
            const size_t m = c->B * sirnn_graph_size(g, t);
            memcpy(buf + off, c->v[t], m * sizeof(uint64_t));
            off += m;
        }
        uint8_t *zm = NULL;
        if (pass == 0 && c->party != NULL && (zm = calloc(n, 1)) == NULL) {
            sirnn_arith_zfree(buf, 2 * n * sizeof(uint64_t));
            return SIRNN_ERR_NOMEM;
        }
        st = p_sext(c, n, buf + n, buf, zm, 8, B);
        free(zm);
        off = 0;
        for (uint32_t t = 0; st == SIRNN_OK && t < g->ntensors; t++) {
            if (!need[t] || (int)c->nonneg[t] != (pass == 0))
                continue;
            const size_t m = c->B * sirnn_graph_size(g, t);
            if (c->vext[t] == NULL && (c->vext[t] = malloc((m + 1) * sizeof(uint64_t))) == NULL)
                st = SIRNN_ERR_NOMEM;
            else
                memcpy(c->vext[t], buf + n + off, m * sizeof(uint64_t));
            off += m;
        }
        sirnn_arith_zfree(buf, 2 * n * sizeof(uint64_t));
    }
    return st;
}

/*
 * Run every node on c->v (the input tensor filled), level by level: the
 * nodes of a level that share an operator and formats run as one protocol
 * call over all their values (run_elementwise, op_gather), so the flights
 * follow the graph's depth, not its node count. Every element's result is
 * the one a node-by-node run gives, in both executors. xmsb: the MSB shares
 * of the input (NULL: unknown). classes (B values, may be NULL) gets the
 * argmax when the graph has one.
 */
static sirnn_status run_graph(gx *c, const uint8_t *xmsb, uint64_t *classes)
{
    const sirnn_graph *g = c->g;
    sirnn_gfuse fz;
    sirnn_status st = sirnn_graph_fuse_plan(g, &fz);
    if (st != SIRNN_OK) {
        sirnn_set_last_error("graph: out of memory");
        return st;
    }
    uint8_t *done = calloc(g->nnodes + 1, 1);
    uint32_t *level = malloc((g->nnodes + 1) * sizeof(uint32_t));
    uint32_t *tlev = malloc((g->ntensors + 1) * sizeof(uint32_t));
    const sirnn_gnode **grp = malloc((g->nnodes + 1) * sizeof(*grp));
    uint8_t *zeros = NULL;
    uint8_t *need = calloc(g->ntensors + 1, 1);
    uint32_t *swt = malloc((2 * g->nnodes + 1) * sizeof(uint32_t));
    uint64_t **swv = malloc((2 * g->nnodes + 1) * sizeof(uint64_t *));
    c->fz = &fz;
    c->vext = calloc(g->ntensors, sizeof(uint64_t *));
    c->vx = calloc(g->ntensors, sizeof(uint64_t *));
    c->sv = calloc(g->ntensors, sizeof(uint64_t *));
    c->msb = calloc(g->ntensors, sizeof(uint8_t *));
    if (done == NULL || level == NULL || tlev == NULL || grp == NULL || c->vx == NULL ||
        c->sv == NULL || c->msb == NULL || need == NULL || swt == NULL || swv == NULL ||
        c->vext == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto out;
    }
    for (uint32_t t = 0; t < g->ntensors; t++) {
        const size_t m = c->B * sirnn_graph_size(g, t) + 1;
        if ((fz.ext[t] && (c->vx[t] = calloc(m, sizeof(uint64_t))) == NULL) ||
            (fz.keep_s[t] && (c->sv[t] = calloc(m, sizeof(uint64_t))) == NULL) ||
            (fz.sign[t] && (c->msb[t] = calloc(m, 1)) == NULL)) {
            st = SIRNN_ERR_NOMEM;
            goto out;
        }
    }
    size_t most = 0;
    for (uint32_t t = 0; t < g->ntensors; t++)
        most = sirnn_graph_size(g, t) > most ? sirnn_graph_size(g, t) : most;
    zeros = calloc(c->B * most + 1, 1);
    if (zeros == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto out;
    }
    c->nonneg = fz.nonneg;
    c->zeros = zeros;
    const uint32_t top = sirnn_graph_levels(g, level, tlev);
    for (uint32_t lv = 1; lv <= top && st == SIRNN_OK; lv++) {
        if (c->party != NULL)
            sirnn_prof_layer(c->party, "extensions (widths)");
        st = extend_level(c, level, lv, need);
        if (st == SIRNN_ERR_NOMEM)
            sirnn_set_last_error("graph: out of memory at level %u", lv);
        for (uint32_t i = 0; i < g->nnodes && st == SIRNN_OK; i++) {
            if (level[i] != lv || done[i])
                continue;
            const sirnn_gnode *nd = &g->nodes[i];
            size_t k = 0;
            grp[k++] = nd;
            done[i] = 1;
            for (uint32_t j = i + 1; j < g->nnodes; j++)
                if (level[j] == lv && !done[j] && batchable(g, &fz, nd, &g->nodes[j])) {
                    grp[k++] = &g->nodes[j];
                    done[j] = 1;
                }
            /* --profile: the protocol calls below go to rows of this layer */
            if (c->party != NULL)
                sirnn_prof_layer(c->party, sirnn_gop_name(nd->op));
            /* the group computes in its width: narrower inputs read extended */
            c->b = sirnn_graph_node_bits(g, nd);
            size_t nsw = 0;
            for (size_t q = 0; q < k; q++)
                for (uint32_t j = 0; j < grp[q]->nin; j++)
                    if (reads_extended(g, grp[q], grp[q]->in[j])) {
                        swt[nsw] = grp[q]->in[j];
                        swv[nsw++] = c->v[grp[q]->in[j]];
                        c->v[grp[q]->in[j]] = c->vext[grp[q]->in[j]];
                    }
            const uint8_t *msb = nd->in[0] == g->input ? xmsb : c->msb[nd->in[0]];
            if (c->party != NULL && msb == NULL && fz.nonneg[nd->in[0]] &&
                (nd->op == SIRNN_GOP_DENSE || nd->op == SIRNN_GOP_CONV))
                msb = zeros;
            switch (nd->op) {
            case SIRNN_GOP_DENSE: st = op_dense(c, nd, msb); break;
            case SIRNN_GOP_CONV: st = op_conv(c, nd, msb); break;
            case SIRNN_GOP_MAXPOOL:
            case SIRNN_GOP_AVGPOOL: st = op_pool(c, nd); break;
            case SIRNN_GOP_ARGMAX:
                if (classes != NULL)
                    st = op_argmax(c, classes);
                break;
            case SIRNN_GOP_RESHAPE:
                memcpy(c->v[nd->out], c->v[nd->in[0]],
                       c->B * sirnn_graph_size(g, nd->in[0]) * sizeof(uint64_t));
                break;
            case SIRNN_GOP_GATHER: st = op_gather(c, grp, k); break;
            case SIRNN_GOP_MUL:
            case SIRNN_GOP_MUL_CONST:
                st = fz.lean[i] ? run_lean(c, grp, k) : run_products(c, grp, k);
                break;
            default:
                st = fused_sum(g, &fz, nd) ? run_fused_sum(c, nd) : run_elementwise(c, grp, k);
                break;
            }
            while (nsw > 0) { /* in reverse: a tensor read twice gets its own back */
                nsw--;
                c->v[swt[nsw]] = swv[nsw];
            }
            if (st == SIRNN_ERR_NOMEM)
                sirnn_set_last_error("graph: out of memory at node '%s'", nd->name);
        }
        /* the level's products and fused sums truncate together, in their
         * own layer */
        if (c->party != NULL && c->npend > 0) {
            int sums = 0;
            for (size_t q = 0; q < c->npend; q++)
                sums |= c->pend[q].nd->op != SIRNN_GOP_MUL &&
                        c->pend[q].nd->op != SIRNN_GOP_MUL_CONST;
            sirnn_prof_layer(c->party, sums ? "sums (one truncation)" : "MUL, MUL_CONST");
        }
        const sirnn_status fl = flush_truncations(c);
        if (st == SIRNN_OK && fl != SIRNN_OK) {
            st = fl;
            if (st == SIRNN_ERR_NOMEM)
                sirnn_set_last_error("graph: out of memory at level %u", lv);
        }
        /* a narrower output than its node's width: its value mod 2^bits (local) */
        for (uint32_t i = 0; st == SIRNN_OK && i < g->nnodes; i++) {
            const sirnn_gnode *nd = &g->nodes[i];
            const uint32_t o = nd->out;
            if (level[i] != lv || nd->op == SIRNN_GOP_ARGMAX || fz.wide[o] ||
                g->tensors[o].fmt.bits >= sirnn_graph_node_bits(g, nd))
                continue;
            const size_t m = c->B * sirnn_graph_size(g, o);
            for (size_t e = 0; e < m; e++)
                c->v[o][e] &= mask_of(g->tensors[o].fmt.bits);
        }
    }
out:
    if (st == SIRNN_ERR_NOMEM && zeros == NULL)
        sirnn_set_last_error("graph: out of memory");
    for (uint32_t t = 0; t < g->ntensors; t++) {
        const size_t m = c->B * sirnn_graph_size(g, t);
        if (c->vx != NULL && c->vx[t] != NULL)
            sirnn_memzero(c->vx[t], m * sizeof(uint64_t));
        if (c->sv != NULL && c->sv[t] != NULL)
            sirnn_memzero(c->sv[t], m * sizeof(uint64_t));
        if (c->msb != NULL && c->msb[t] != NULL)
            sirnn_memzero(c->msb[t], m);
        free(c->vx != NULL ? c->vx[t] : NULL);
        free(c->sv != NULL ? c->sv[t] : NULL);
        free(c->msb != NULL ? c->msb[t] : NULL);
    }
    for (uint32_t t = 0; c->vext != NULL && t < g->ntensors; t++)
        if (c->vext[t] != NULL)
            sirnn_arith_zfree(c->vext[t], c->B * sirnn_graph_size(g, t) * sizeof(uint64_t));
    free(c->vext);
    c->vext = NULL;
    free(need);
    free(swt);
    free(swv);
    free(c->vx);
    free(c->sv);
    free(c->msb);
    c->vx = c->sv = NULL;
    c->msb = NULL;
    c->nonneg = NULL;
    c->zeros = NULL;
    c->fz = NULL;
    free(c->pend);
    c->pend = NULL;
    c->cappend = 0;
    free(zeros);
    sirnn_graph_fuse_free(&fz);
    free(done);
    free(level);
    free(tlev);
    free(grp);
    return st;
}

sirnn_status sirnn_graph_schedule(const sirnn_graph *g, sirnn_graph_sched *out)
{
    if (out == NULL) {
        sirnn_set_last_error("graph_schedule: NULL argument");
        return SIRNN_ERR_ARG;
    }
    memset(out, 0, sizeof(*out));
    sirnn_status st = sirnn_graph_validate(g);
    if (st != SIRNN_OK)
        return st;
    uint32_t *level = malloc((g->nnodes + 1) * sizeof(uint32_t));
    uint32_t *tlev = malloc((g->ntensors + 1) * sizeof(uint32_t));
    uint8_t *done = calloc(g->nnodes + 1, 1);
    sirnn_gfuse fz;
    if (sirnn_graph_fuse_plan(g, &fz) != SIRNN_OK)
        memset(&fz, 0, sizeof(fz));
    if (level == NULL || tlev == NULL || done == NULL || fz.mem == NULL) {
        sirnn_graph_fuse_free(&fz);
        free(level);
        free(tlev);
        free(done);
        sirnn_set_last_error("graph_schedule: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    out->levels = sirnn_graph_levels(g, level, tlev);
    for (uint32_t i = 0; i < g->nnodes; i++) {
        if (done[i])
            continue;
        out->groups++;
        for (uint32_t j = i + 1; j < g->nnodes; j++)
            if (level[j] == level[i] && !done[j] && batchable(g, &fz, &g->nodes[i], &g->nodes[j]))
                done[j] = 1;
    }
    sirnn_graph_fuse_free(&fz);
    free(level);
    free(tlev);
    free(done);
    return SIRNN_OK;
}

static void gx_free(gx *c)
{
    if (c->v != NULL)
        for (uint32_t t = 0; t < c->g->ntensors; t++) {
            if (c->v[t] != NULL)
                sirnn_memzero(c->v[t], c->B * sirnn_graph_size(c->g, t) * sizeof(uint64_t));
            free(c->v[t]);
        }
    free(c->v);
    c->v = NULL;
}

static sirnn_status gx_init(gx *c, sirnn_party *party, const sirnn_graph *g, size_t B)
{
    memset(c, 0, sizeof(*c));
    c->party = party;
    c->p0 = party == NULL || sirnn_party_role(party) == SIRNN_SERVER;
    c->g = g;
    c->b = g->act_bits;
    c->kw = g->weight_bits;
    c->B = B;
    c->v = calloc(g->ntensors, sizeof(uint64_t *));
    if (c->v == NULL)
        return SIRNN_ERR_NOMEM;
    for (uint32_t t = 0; t < g->ntensors; t++) {
        c->v[t] = calloc(B * sirnn_graph_size(g, t) + 1, sizeof(uint64_t));
        if (c->v[t] == NULL) {
            gx_free(c);
            return SIRNN_ERR_NOMEM;
        }
    }
    return SIRNN_OK;
}

#define FIXED_CHUNK 256

sirnn_status sirnn_graph_predict_fixed(const sirnn_graph *g, size_t n, int64_t *scores,
                                       uint32_t *classes, const uint64_t *q)
{
    sirnn_status st = sirnn_graph_validate(g);
    if (st != SIRNN_OK)
        return st;
    if (!g->quantised) {
        sirnn_set_last_error("graph_predict_fixed: the graph is not quantised");
        return SIRNN_ERR_ARG;
    }
    if (n > 0 && q == NULL) {
        sirnn_set_last_error("graph_predict_fixed: NULL input");
        return SIRNN_ERR_ARG;
    }
    if (classes != NULL && sirnn_graph_size(g, g->output) > 65536) {
        sirnn_set_last_error("graph_predict_fixed: classes of more than 65536 scores");
        return SIRNN_ERR_ARG;
    }
    const size_t in_n = sirnn_graph_size(g, g->input), out_n = sirnn_graph_size(g, g->output);
    uint64_t *cls = malloc(FIXED_CHUNK * sizeof(uint64_t));
    if (cls == NULL) {
        sirnn_set_last_error("graph_predict_fixed: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    for (size_t e0 = 0; e0 < n && st == SIRNN_OK; e0 += FIXED_CHUNK) {
        const size_t B = n - e0 < FIXED_CHUNK ? n - e0 : FIXED_CHUNK;
        gx c;
        st = gx_init(&c, NULL, g, B);
        if (st != SIRNN_OK) {
            sirnn_set_last_error("graph_predict_fixed: out of memory");
            break;
        }
        for (size_t i = 0; i < B * in_n; i++)
            c.v[g->input][i] = q[e0 * in_n + i] & mask_of(g->tensors[g->input].fmt.bits);
        st = run_graph(&c, NULL, NULL);
        if (st == SIRNN_OK && classes != NULL) {
            /* the argmax the graph's ARGMAX (or the client) runs */
            gx ca = c;
            st = op_argmax(&ca, cls);
            for (size_t e = 0; st == SIRNN_OK && e < B; e++)
                classes[e0 + e] = (uint32_t)cls[e];
        }
        for (size_t i = 0; st == SIRNN_OK && scores != NULL && i < B * out_n; i++)
            scores[e0 * out_n + i] = to_signed(c.v[g->output][i], g->tensors[g->output].fmt.bits);
        gx_free(&c);
    }
    free(cls);
    return st;
}

/* ---- the secure session ----------------------------------------------------------- */

#define REQ_MAGIC 0x51524753u /* "SGRQ" */
#define REP_MAGIC 0x52524753u /* "SGRR" */
#define REQ_BYTES 32
#define REP_BYTES 24
#define MAX_BATCH ((size_t)1 << 20)
#define MAX_BATCH_VALUES ((size_t)1 << 28) /* n x all tensors' values: 2 GiB of shares */
#define MAX_PUBLIC ((size_t)1 << 24)

enum { REP_OK = 0, REP_SHAPE, REP_BATCH, REP_SCORES, REP_MODEL };

/* Values per example over all tensors, and the fusion plan's copies (a
 * byte of MSB shares counted as an eighth): the executors hold them all. */
static size_t total_values(const sirnn_graph *g)
{
    size_t m = 0;
    for (uint32_t t = 0; t < g->ntensors; t++)
        m += sirnn_graph_size(g, t);
    sirnn_gfuse fz;
    if (sirnn_graph_fuse_plan(g, &fz) == SIRNN_OK) {
        for (uint32_t t = 0; t < g->ntensors; t++)
            m += (fz.ext[t] ? 1 : 0) * sirnn_graph_size(g, t) +
                 (fz.keep_s[t] ? 1 : 0) * sirnn_graph_size(g, t) +
                 (fz.sign[t] ? 1 : 0) * (sirnn_graph_size(g, t) + 7) / 8;
        sirnn_graph_fuse_free(&fz);
    }
    for (uint32_t t = 0; t < g->ntensors; t++) /* per-tensor widths: extended copies */
        if (g->tensors[t].fmt.bits < g->act_bits)
            m += sirnn_graph_size(g, t);
    return m;
}

/* Both roles after the messages: run the graph on the batch in c and reveal
 * to the client out[] = B classes (with an ARGMAX), then the scores if
 * asked for (always, without an ARGMAX). */
static sirnn_status secure_run(gx *c, const uint8_t *xmsb, int want, uint64_t *out)
{
    const sirnn_graph *g = c->g;
    const size_t on = sirnn_graph_size(g, g->output), B = c->B;
    const size_t ncls = g->has_argmax ? B : 0, nsc = (want || !g->has_argmax) ? B * on : 0;
    sirnn_status st = run_graph(c, xmsb, out);
    if (st != SIRNN_OK)
        return st;
    if (nsc)
        memcpy(out + ncls, c->v[g->output], nsc * sizeof(uint64_t));
    return sirnn_reveal(c->party, ncls + nsc, out, out, g->tensors[g->output].fmt.bits, SIRNN_CLIENT);
}

/* Each piece of a request may take timeout_ms per this many values of
 * working memory (n x all tensors' values; the unrolled FastGRNN holds
 * about 12,000 per input). */
#define SERVE_VALUES_PER_TIMEOUT ((uint64_t)1 << 20)

/* A deadline of `k` times timeout_ms (none when timeout_ms < 0). */
static sirnn_status deadline_in_timeouts(sirnn_party *party, uint64_t k)
{
    const int t = party->cfg.timeout_ms;
    if (t < 0)
        return sirnn_party_set_deadline(party, -1);
    const uint64_t ms = (uint64_t)t * k;
    return sirnn_party_set_deadline(party, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

/* Inputs per piece of a request: as many as fit the server's session
 * memory (n x all tensors' values, and the output), at least 1. Both sides
 * compute it from the server's session_mem_bytes (the client learns it in
 * the handshake), so they cut a batch alike. */
static size_t piece_inputs(const sirnn_graph *g, uint64_t mem_bytes)
{
    const uint64_t per = (total_values(g) + sirnn_graph_size(g, g->output) + 2) *
                         sizeof(uint64_t);
    const uint64_t k = mem_bytes / per;
    return k < 1 ? 1 : k > MAX_BATCH ? MAX_BATCH : (size_t)k;
}

/* The server's half of one piece of a request: n inputs, its own memory,
 * within a deadline proportional to the work. */
static sirnn_status serve_piece(sirnn_party *party, const sirnn_graph *g, size_t n, int want)
{
    const uint64_t work = (uint64_t)n * total_values(g);
    sirnn_status st = deadline_in_timeouts(
        party, 1 + (work + SERVE_VALUES_PER_TIMEOUT - 1) / SERVE_VALUES_PER_TIMEOUT);
    if (st != SIRNN_OK)
        return st;
    gx c;
    st = gx_init(&c, party, g, n);
    const size_t on = sirnn_graph_size(g, g->output);
    uint64_t *out = st == SIRNN_OK ? calloc(n * (on + 1), sizeof(uint64_t)) : NULL;
    /* our share of the client's input is 0 (calloc), and so are our MSB shares */
    uint8_t *xmsb = out != NULL ? calloc(n * sirnn_graph_size(g, g->input) + 1, 1) : NULL;
    if (xmsb == NULL)
        st = sirnn_party_fail(party, SIRNN_ERR_NOMEM, "graph_serve: out of memory");
    else
        st = secure_run(&c, xmsb, want, out);
    free(xmsb);
    free(out);
    gx_free(&c);
    return st;
}

sirnn_status sirnn_graph_serve(sirnn_party *party, size_t *served, const sirnn_graph *g,
                               unsigned flags)
{
    if (served != NULL)
        *served = 0;
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (served == NULL || g == NULL)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "graph_serve: NULL argument");
    if (sirnn_party_role(party) != SIRNN_SERVER)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "graph_serve: not the server");
    uint8_t req[REQ_BYTES], rep[REP_BYTES];
    /* The whole request within one timeout, however it trickles in. */
    st = deadline_in_timeouts(party, 1);
    if (st == SIRNN_OK)
        st = sirnn_nn_msg_recv(party, "graph", req, sizeof(req));
    if (st != SIRNN_OK)
        return st;
    if (sirnn_nn_get32(req) != REQ_MAGIC || sirnn_nn_get32(req + 4) != 1)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, "graph_serve: not a query");
    const uint64_t n = sirnn_nn_get64(req + 8), in_n = sirnn_nn_get64(req + 16);
    const uint32_t want = sirnn_nn_get32(req + 24);
    if (n == 0)
        return sirnn_party_set_deadline(party, -1);
    uint8_t *pub = NULL;
    size_t publen = 0;
    uint32_t code = REP_OK;
    char why[256] = "";
    if (sirnn_graph_validate(g) != SIRNN_OK || !g->quantised ||
        sirnn_graph_encode(g, 1, &pub, &publen) != SIRNN_OK) {
        code = REP_MODEL;
        snprintf(why, sizeof(why), "the server's graph cannot be served: %s",
                 g->quantised ? sirnn_last_error() : "not quantised");
    } else if (in_n != 0 && in_n != sirnn_graph_size(g, g->input)) {
        code = REP_SHAPE;
        snprintf(why, sizeof(why), "the client's inputs have %llu values, the graph reads %zu",
                 (unsigned long long)in_n, sirnn_graph_size(g, g->input));
    } else if (n > MAX_BATCH || n > party->cfg.max_batch) {
        code = REP_BATCH;
        snprintf(why, sizeof(why), "a batch of %llu inputs is too large (at most %llu)",
                 (unsigned long long)n, (unsigned long long)party->cfg.max_batch);
    } else if (want && g->has_argmax && !(flags & SIRNN_GRAPH_SERVE_SCORES)) {
        code = REP_SCORES;
        snprintf(why, sizeof(why), "the client asked for scores, which this server keeps");
    }
    memset(rep, 0, sizeof(rep));
    sirnn_nn_put32(rep, REP_MAGIC);
    sirnn_nn_put32(rep + 4, code);
    sirnn_nn_put32(rep + 8, want ? 1u : 0u);
    sirnn_nn_put64(rep + 16, code == REP_OK ? publen : 0);
    st = sirnn_nn_msg_send(party, "graph", rep, sizeof(rep));
    if (st == SIRNN_OK && code == REP_OK)
        st = sirnn_nn_msg_send(party, "graph", pub, publen);
    free(pub);
    if (st != SIRNN_OK)
        return st;
    if (code != REP_OK)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "graph_serve: %s", why);
    const size_t piece = piece_inputs(g, party->cfg.session_mem_bytes);
    for (uint64_t done = 0; st == SIRNN_OK && done < n; done += piece)
        st = serve_piece(party, g, (size_t)(n - done < piece ? n - done : piece), want != 0);
    if (st == SIRNN_OK)
        st = sirnn_party_set_deadline(party, -1);
    if (st == SIRNN_OK)
        *served = (size_t)n;
    return st;
}

sirnn_status sirnn_graph_query(sirnn_party *party, size_t n, uint32_t *classes,
                               int64_t *scores, sirnn_graph **pubout, const uint64_t *q,
                               const float *x)
{
    if (pubout != NULL)
        *pubout = NULL;
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (sirnn_party_role(party) != SIRNN_CLIENT)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "graph_query: not the client");
    if (n > 0 && (q == NULL) == (x == NULL))
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "graph_query: pass exactly one of q and x with n > 0");
    if (n > MAX_BATCH)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "graph_query: more than %zu inputs",
                                 MAX_BATCH);
    if (party->peer_max_batch > 0 && n > party->peer_max_batch)
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "graph_query: the server takes at most %llu inputs per query",
                                 (unsigned long long)party->peer_max_batch);
    uint8_t req[REQ_BYTES], rep[REP_BYTES];
    memset(req, 0, sizeof(req));
    sirnn_nn_put32(req, REQ_MAGIC);
    sirnn_nn_put32(req + 4, 1);
    sirnn_nn_put64(req + 8, n);
    sirnn_nn_put64(req + 16, 0);
    sirnn_nn_put32(req + 24, scores != NULL ? 1u : 0u);
    st = sirnn_nn_msg_send(party, "graph", req, sizeof(req));
    if (st != SIRNN_OK || n == 0)
        return st;
    st = sirnn_nn_msg_recv(party, "graph", rep, sizeof(rep));
    if (st != SIRNN_OK)
        return st;
    if (sirnn_nn_get32(rep) != REP_MAGIC)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, "graph_query: not a reply");
    switch (sirnn_nn_get32(rep + 4)) {
    case REP_OK: break;
    case REP_BATCH:
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "graph_query: the server refuses a batch of %zu inputs", n);
    case REP_SCORES:
        return sirnn_party_error(party, SIRNN_ERR_UNSUPPORTED,
                                 "graph_query: this server does not reveal scores");
    default:
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "graph_query: the server cannot serve its graph");
    }
    const uint64_t publen = sirnn_nn_get64(rep + 16);
    if (publen == 0 || publen > MAX_PUBLIC)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH,
                                "graph_query: the description's length is out of bounds");
    uint8_t *pb = malloc((size_t)publen);
    if (pb == NULL)
        return sirnn_party_fail(party, SIRNN_ERR_NOMEM, "graph_query: out of memory");
    st = sirnn_nn_msg_recv(party, "graph", pb, (size_t)publen);
    sirnn_graph *g = NULL;
    int is_pub = 0;
    if (st == SIRNN_OK && (sirnn_graph_decode(&g, &is_pub, pb, (size_t)publen) != SIRNN_OK ||
                           !is_pub || !g->quantised)) {
        char why[300];
        snprintf(why, sizeof(why), "graph_query: the server's description is malformed: %s",
                 sirnn_last_error());
        st = sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, why);
    }
    free(pb);
    if (st == SIRNN_OK &&
        (n < piece_inputs(g, party->peer_mem_bytes) ? n : piece_inputs(g, party->peer_mem_bytes)) *
                total_values(g) >
            MAX_BATCH_VALUES)
        st = sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH,
                              "graph_query: the server's graph needs too much memory for the "
                              "batch");
    if (st != SIRNN_OK) {
        sirnn_graph_free(g);
        return st;
    }
    const int want = sirnn_nn_get32(rep + 8) != 0;
    const size_t in_n = sirnn_graph_size(g, g->input), on = sirnn_graph_size(g, g->output);
    /* The server's pieces, from its session_mem_bytes (handshake). */
    const size_t piece = piece_inputs(g, party->peer_mem_bytes);
    const size_t ncls = g->has_argmax ? 1 : 0;
    for (size_t at = 0; st == SIRNN_OK && at < n; at += piece) {
        const size_t B = n - at < piece ? n - at : piece;
        gx c;
        st = gx_init(&c, party, g, B);
        uint64_t *out = st == SIRNN_OK ? calloc(B * (on + 1), sizeof(uint64_t)) : NULL;
        uint8_t *xmsb = out != NULL ? malloc(B * in_n + 1) : NULL;
        if (xmsb == NULL) {
            free(out);
            gx_free(&c);
            st = sirnn_party_fail(party, SIRNN_ERR_NOMEM, "graph_query: out of memory");
            break;
        }
        if (q != NULL)
            for (size_t i = 0; i < B * in_n; i++)
                c.v[g->input][i] = q[at * in_n + i] & mask_of(g->tensors[g->input].fmt.bits);
        else
            sirnn_graph_quantise_input(g, B, c.v[g->input], x + at * in_n);
        for (size_t i = 0; i < B * in_n; i++)
            xmsb[i] = (uint8_t)((c.v[g->input][i] >> (g->tensors[g->input].fmt.bits - 1u)) & 1);
        st = secure_run(&c, xmsb, want, out);
        if (st == SIRNN_OK) {
            for (size_t e = 0; classes != NULL && e < ncls * B; e++)
                classes[at + e] = (uint32_t)out[e];
            if (scores != NULL && (want || !g->has_argmax))
                for (size_t i = 0; i < B * on; i++)
                    scores[at * on + i] = to_signed(out[ncls * B + i], g->tensors[g->output].fmt.bits);
        }
        sirnn_memzero(xmsb, B * in_n);
        free(xmsb);
        free(out);
        gx_free(&c);
    }
    if (pubout != NULL && st == SIRNN_OK)
        *pubout = g;
    else
        sirnn_graph_free(g);
    return st;
}
