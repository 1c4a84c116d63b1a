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
    unsigned b, kw;
    size_t B;
    uint64_t **v;       /* per tensor: B x size values (or shares) */
} gx;

/* ---- primitives: cleartext model or protocol --------------------------------- */

static sirnn_status p_matmul(gx *c, size_t d1, size_t d2, size_t d3, uint64_t *out,
                             const uint64_t *a, const uint8_t *msb, const uint64_t *w,
                             unsigned s, unsigned lout)
{
    if (c->party == NULL) {
        sirnn_ref_matmul(d1, d2, d3, out, a, w, c->b, c->kw, s, lout, 1);
        return SIRNN_OK;
    }
    if (msb != NULL)
        return sirnn_matmul_clear_msb(c->party, d1, d2, d3, out, a, msb, w, c->b, c->kw, s,
                                      lout, 1);
    return sirnn_matmul_clear(c->party, d1, d2, d3, out, a, w, c->b, c->kw, s, lout, 1);
}

/* floor(x / 2^s) of the l-bit signed x, as lout bits. */
static sirnn_status p_tr_ext(gx *c, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                             unsigned s, unsigned lout)
{
    if (c->party != NULL)
        return sirnn_tr_ext(c->party, n, out, x, l, s, lout, 1);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_tr_ext(x[i], l, s, lout, 1);
    return SIRNN_OK;
}

/* The top l - s bits of the l-bit x, reduced to b bits (l - s >= b). */
static sirnn_status p_tr_b(gx *c, size_t n, uint64_t *out, const uint64_t *x, unsigned l,
                           unsigned s)
{
    sirnn_status st = SIRNN_OK;
    if (c->party != NULL)
        st = sirnn_tr(c->party, n, out, x, l, s);
    else
        for (size_t i = 0; i < n; i++)
            out[i] = sirnn_ref_tr(x[i], l, s);
    for (size_t i = 0; st == SIRNN_OK && i < n; i++)
        out[i] &= mask_of(c->b);
    return st;
}

static sirnn_status p_relu(gx *c, size_t n, uint64_t *out, const uint64_t *x)
{
    if (c->party != NULL)
        return sirnn_relu(c->party, n, out, NULL, x, c->b);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_relu(x[i], c->b);
    return SIRNN_OK;
}

static sirnn_status p_act(gx *c, uint32_t op, size_t n, uint64_t *out, const uint64_t *x,
                          sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (c->party != NULL)
        return op == SIRNN_GOP_SIGMOID ? sirnn_sigmoid(c->party, n, out, x, fi, fo)
                                       : sirnn_tanh(c->party, n, out, x, fi, fo);
    return op == SIRNN_GOP_SIGMOID ? sirnn_ref_sigmoid(n, out, x, fi, fo)
                                   : sirnn_ref_tanh(n, out, x, fi, fo);
}

static sirnn_status p_math(gx *c, uint32_t op, size_t n, uint64_t *out, const uint64_t *x,
                           sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (c->party != NULL)
        return op == SIRNN_GOP_EXP ? sirnn_exp(c->party, n, out, x, fi, fo)
                                   : sirnn_rsqrt(c->party, n, out, x, fi, fo);
    return op == SIRNN_GOP_EXP ? sirnn_ref_exp(n, out, x, fi, fo)
                               : sirnn_ref_rsqrt(n, out, x, fi, fo);
}

static sirnn_status p_div(gx *c, size_t n, uint64_t *q, const uint64_t *num,
                          const uint64_t *den, sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo)
{
    if (c->party != NULL)
        return sirnn_div_norm(c->party, n, q, num, den, fn, fd, fo);
    return sirnn_ref_div_norm(n, q, num, den, fn, fd, fo);
}

/* x (m bits) times y held by the server (k bits) into l bits. */
static sirnn_status p_mult_clear(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                                 const uint64_t *y, unsigned m, unsigned k, unsigned l)
{
    if (c->party != NULL)
        return sirnn_mult_clear(c->party, n, out, x, NULL, c->p0 ? y : NULL, SIRNN_SERVER, m,
                                k, l, 1);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y[i], m, k, l, 1);
    return SIRNN_OK;
}

/* x times a public constant. */
static sirnn_status p_mult_const(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                                 uint64_t y, unsigned m, unsigned k, unsigned l)
{
    if (c->party != NULL)
        return sirnn_mult_const(c->party, n, out, x, NULL, y, m, k, l, 1);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y, m, k, l, 1);
    return SIRNN_OK;
}

static sirnn_status p_mult(gx *c, size_t n, uint64_t *out, const uint64_t *x,
                           const uint64_t *y, unsigned m, unsigned k, unsigned l)
{
    if (c->party != NULL)
        return sirnn_mult(c->party, n, out, x, y, m, k, l, 1);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mult(x[i], y[i], m, k, l, 1);
    return SIRNN_OK;
}

/* sel = msb(d); out = sel ? x : y. */
static sirnn_status p_msb(gx *c, size_t n, uint8_t *out, const uint64_t *d)
{
    if (c->party != NULL)
        return sirnn_msb(c->party, n, out, d, c->b);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_msb(d[i], c->b);
    return SIRNN_OK;
}

static sirnn_status p_mux2(gx *c, size_t n, uint64_t *out, const uint8_t *sel,
                           const uint64_t *x, const uint64_t *y)
{
    if (c->party != NULL)
        return sirnn_mux2(c->party, n, out, sel, x, y, c->b);
    for (size_t i = 0; i < n; i++)
        out[i] = sirnn_ref_mux(sel[i], x[i], y[i], c->b);
    return SIRNN_OK;
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
    uint64_t *w = NULL;
    if (c->p0) {
        w = malloc(nd->nw * sizeof(uint64_t));
        if (w == NULL)
            return SIRNN_ERR_NOMEM;
        for (size_t i = 0; i < nd->nw; i++)
            w[i] = (uint64_t)nd->qw[i] & mask_of(c->kw);
    }
    uint64_t *y = c->v[nd->out];
    sirnn_status st = p_matmul(c, rows, K, N, y, c->v[nd->in[0]], msb, w, s, c->b);
    if (w != NULL) {
        sirnn_memzero(w, nd->nw * sizeof(uint64_t));
        free(w);
    }
    if (st == SIRNN_OK && nd->nb && c->p0)
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < N; j++)
                y[r * N + j] = (y[r * N + j] + (uint64_t)nd->qb[j]) & mask_of(c->b);
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
        st = p_matmul(c, d1, d2, cv.Mg, o, a, msb, w, s, c->b);
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

static sirnn_status op_elementwise(gx *c, const sirnn_gnode *nd)
{
    const sirnn_graph *g = c->g;
    const size_t n = c->B * sirnn_graph_size(g, nd->in[0]);
    const uint64_t *x = c->v[nd->in[0]];
    uint64_t *y = c->v[nd->out];
    const int sx = g->tensors[nd->in[0]].fmt.scale, so = g->tensors[nd->out].fmt.scale;
    const unsigned b = c->b;
    sirnn_status st = SIRNN_OK;
    switch (nd->op) {
    case SIRNN_GOP_ADD:
    case SIRNN_GOP_SUB: {
        uint64_t *t = malloc(n * sizeof(uint64_t));
        if (t == NULL)
            return SIRNN_ERR_NOMEM;
        st = rescale(c, n, y, x, sx, so);
        if (st == SIRNN_OK)
            st = rescale(c, n, t, c->v[nd->in[1]], g->tensors[nd->in[1]].fmt.scale, so);
        for (size_t i = 0; st == SIRNN_OK && i < n; i++)
            y[i] = (nd->op == SIRNN_GOP_ADD ? y[i] + t[i] : y[i] - t[i]) & mask_of(b);
        free(t);
        return st;
    }
    case SIRNN_GOP_MUL: {
        const unsigned s = (unsigned)(sx + g->tensors[nd->in[1]].fmt.scale - so);
        st = p_mult(c, n, y, x, c->v[nd->in[1]], b, b, 2 * b);
        return st == SIRNN_OK ? p_tr_b(c, n, y, y, 2 * b, s) : st;
    }
    case SIRNN_GOP_ADD_CONST: {
        st = rescale(c, n, y, x, sx, so);
        if (st != SIRNN_OK)
            return st;
        if (nd->attr[SIRNN_GA_NEG])
            negate(c, n, y);
        const size_t per = nd->nw;
        for (size_t i = 0; c->p0 && i < n; i++)
            y[i] = (y[i] + (uint64_t)nd->qw[i % per]) & mask_of(b);
        return SIRNN_OK;
    }
    case SIRNN_GOP_MUL_CONST: {
        const unsigned s = (unsigned)(sx + nd->wfmt.scale - so), l = b + c->kw;
        uint64_t *cst = NULL;
        if (c->p0) {
            cst = malloc(n * sizeof(uint64_t));
            if (cst == NULL)
                return SIRNN_ERR_NOMEM;
            for (size_t i = 0; i < n; i++)
                cst[i] = (uint64_t)nd->qw[i % nd->nw] & mask_of(c->kw);
        }
        st = p_mult_clear(c, n, y, x, cst, b, c->kw, l);
        if (cst != NULL) {
            sirnn_memzero(cst, n * sizeof(uint64_t));
            free(cst);
        }
        return st == SIRNN_OK ? p_tr_b(c, n, y, y, l, s) : st;
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
    case SIRNN_GOP_TANH:
        return p_act(c, nd->op, n, y, x, g->tensors[nd->in[0]].fmt, g->tensors[nd->out].fmt);
    case SIRNN_GOP_EXP:
    case SIRNN_GOP_RSQRT:
        return p_math(c, nd->op, n, y, x, g->tensors[nd->in[0]].fmt, g->tensors[nd->out].fmt);
    case SIRNN_GOP_DIV:
        return p_div(c, n, y, x, c->v[nd->in[1]], g->tensors[nd->in[0]].fmt,
                     g->tensors[nd->in[1]].fmt, g->tensors[nd->out].fmt);
    case SIRNN_GOP_RECIP: {
        /* 1 / x: the constant 1 (held by p0) divided by x */
        const sirnn_fixfmt one = sirnn_graph_one_fmt(b);
        uint64_t *num = malloc(n * sizeof(uint64_t) + 1);
        if (num == NULL)
            return SIRNN_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            num[i] = c->p0 ? (uint64_t)1 << one.scale : 0;
        st = p_div(c, n, y, num, x, one, g->tensors[nd->in[0]].fmt, g->tensors[nd->out].fmt);
        free(num);
        return st;
    }
    case SIRNN_GOP_RESHAPE:
        memcpy(y, x, n * sizeof(uint64_t));
        return SIRNN_OK;
    case SIRNN_GOP_GATHER: {
        /* both inputs at the output's scale, then a public permutation */
        const size_t s0 = sirnn_graph_size(g, nd->in[0]);
        const size_t s1 = nd->nin > 1 ? sirnn_graph_size(g, nd->in[1]) : 0;
        const size_t on = sirnn_graph_size(g, nd->out);
        uint64_t *a = malloc((c->B * (s0 + s1) + 1) * sizeof(uint64_t));
        if (a == NULL)
            return SIRNN_ERR_NOMEM;
        st = rescale(c, c->B * s0, a, x, sx, so);
        if (st == SIRNN_OK && s1)
            st = rescale(c, c->B * s1, a + c->B * s0, c->v[nd->in[1]],
                         g->tensors[nd->in[1]].fmt.scale, so);
        for (size_t e = 0; st == SIRNN_OK && e < c->B; e++)
            for (size_t i = 0; i < on; i++) {
                const size_t k = nd->idx[i];
                y[e * on + i] = k < s0 ? a[e * s0 + k] : a[c->B * s0 + e * s1 + (k - s0)];
            }
        free(a);
        return st;
    }
    default:
        return SIRNN_ERR_ARG;
    }
}

/* The argmax of each example's scores: classes[e] (shares) in idx[e * k]. */
static sirnn_status op_argmax(gx *c, uint64_t *classes)
{
    const size_t k = sirnn_graph_size(c->g, c->g->output);
    uint64_t *val = malloc(c->B * k * sizeof(uint64_t));
    uint64_t *idx = malloc(c->B * k * sizeof(uint64_t));
    sirnn_status st = SIRNN_ERR_NOMEM;
    if (val != NULL && idx != NULL) {
        memcpy(val, c->v[c->g->output], c->B * k * sizeof(uint64_t));
        for (size_t e = 0; e < c->B; e++)
            for (size_t j = 0; j < k; j++)
                idx[e * k + j] = c->p0 ? j : 0;
        st = max_tree(c, c->B, k, val, idx);
        for (size_t e = 0; st == SIRNN_OK && e < c->B; e++)
            classes[e] = idx[e * k];
    }
    free(val);
    free(idx);
    return st;
}

/* Run every node on c->v (the input tensor filled). xmsb: the MSB shares of
 * the input (NULL: unknown). classes (B values, may be NULL) gets the
 * argmax when the graph has one. */
/*
 * Tensors whose every value has a public MSB of 0 in the integer executors
 * (exactly, wrap-around included): RELU, SIGMOID, EXP and RSQRT outputs, and
 * MAXPOOL without padding, RESHAPE and GATHER of such tensors. A product
 * reading one gets all-zero MSB shares (no comparison for its wrap).
 */
static void find_nonneg(const sirnn_graph *g, uint8_t *nonneg)
{
    memset(nonneg, 0, g->ntensors);
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        int nn = 0;
        switch (nd->op) {
        case SIRNN_GOP_RELU:
        case SIRNN_GOP_SIGMOID:
        case SIRNN_GOP_EXP:
        case SIRNN_GOP_RSQRT: nn = 1; break;
        case SIRNN_GOP_MAXPOOL:
            nn = nonneg[nd->in[0]] && (nd->attr[SIRNN_GA_PT] | nd->attr[SIRNN_GA_PL] |
                                       nd->attr[SIRNN_GA_PB] | nd->attr[SIRNN_GA_PR]) == 0;
            break;
        case SIRNN_GOP_RESHAPE: nn = nonneg[nd->in[0]]; break;
        case SIRNN_GOP_GATHER: /* rescaling only shifts down (floor keeps the sign) */
            nn = nonneg[nd->in[0]] && (nd->nin < 2 || nonneg[nd->in[1]]);
            break;
        default: break;
        }
        nonneg[nd->out] = (uint8_t)nn;
    }
}

static sirnn_status run_graph(gx *c, const uint8_t *xmsb, uint64_t *classes)
{
    const sirnn_graph *g = c->g;
    sirnn_status st = SIRNN_OK;
    uint8_t *nonneg = malloc(g->ntensors);
    uint8_t *zeros = NULL;
    if (nonneg == NULL)
        return SIRNN_ERR_NOMEM;
    find_nonneg(g, nonneg);
    for (uint32_t i = 0; i < g->nnodes && st == SIRNN_OK; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        const uint8_t *msb = nd->in[0] == g->input ? xmsb : NULL;
        if (c->party != NULL && msb == NULL && nonneg[nd->in[0]] &&
            (nd->op == SIRNN_GOP_DENSE || nd->op == SIRNN_GOP_CONV)) {
            free(zeros);
            zeros = calloc(c->B * sirnn_graph_size(g, nd->in[0]) + 1, 1);
            if (zeros == NULL) {
                st = SIRNN_ERR_NOMEM;
                break;
            }
            msb = zeros;
        }
        /* The --profile rows: one per operator kind (static names). */
        sirnn_prof_scope scope = {0};
        if (c->party != NULL) {
            sirnn_prof_layer(c->party, sirnn_gop_name(nd->op));
            sirnn_prof_begin(c->party, &scope, "operator");
        }
        switch (nd->op) {
        case SIRNN_GOP_DENSE: st = op_dense(c, nd, msb); break;
        case SIRNN_GOP_CONV: st = op_conv(c, nd, msb); break;
        case SIRNN_GOP_MAXPOOL:
        case SIRNN_GOP_AVGPOOL: st = op_pool(c, nd); break;
        case SIRNN_GOP_ARGMAX:
            if (classes != NULL)
                st = op_argmax(c, classes);
            break;
        default: st = op_elementwise(c, nd); break;
        }
        if (c->party != NULL)
            sirnn_prof_end(c->party, &scope);
        if (st == SIRNN_ERR_NOMEM)
            sirnn_set_last_error("graph: out of memory at node '%s'", nd->name);
    }
    free(zeros);
    free(nonneg);
    return st;
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
            c.v[g->input][i] = q[e0 * in_n + i] & mask_of(c.b);
        st = run_graph(&c, NULL, NULL);
        if (st == SIRNN_OK && classes != NULL) {
            /* the same tree the graph's ARGMAX (or the client) runs */
            gx ca = c;
            st = op_argmax(&ca, cls);
            for (size_t e = 0; st == SIRNN_OK && e < B; e++)
                classes[e0 + e] = (uint32_t)cls[e];
        }
        for (size_t i = 0; st == SIRNN_OK && scores != NULL && i < B * out_n; i++)
            scores[e0 * out_n + i] = to_signed(c.v[g->output][i], c.b);
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

/* Values per example over all tensors: the executors hold them all. */
static size_t total_values(const sirnn_graph *g)
{
    size_t m = 0;
    for (uint32_t t = 0; t < g->ntensors; t++)
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
    return sirnn_reveal(c->party, ncls + nsc, out, out, c->b, SIRNN_CLIENT);
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
    st = sirnn_nn_msg_recv(party, "graph", req, sizeof(req));
    if (st != SIRNN_OK)
        return st;
    if (sirnn_nn_get32(req) != REQ_MAGIC || sirnn_nn_get32(req + 4) != 1)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, "graph_serve: not a query");
    const uint64_t n = sirnn_nn_get64(req + 8), in_n = sirnn_nn_get64(req + 16);
    const uint32_t want = sirnn_nn_get32(req + 24);
    if (n == 0)
        return SIRNN_OK;
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
    } else if (n > MAX_BATCH || n * total_values(g) > MAX_BATCH_VALUES) {
        code = REP_BATCH;
        snprintf(why, sizeof(why), "a batch of %llu inputs is too large", (unsigned long long)n);
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
    gx c;
    st = gx_init(&c, party, g, (size_t)n);
    const size_t on = sirnn_graph_size(g, g->output);
    uint64_t *out = st == SIRNN_OK ? calloc((size_t)n * (on + 1), sizeof(uint64_t)) : NULL;
    if (st != SIRNN_OK || out == NULL) {
        gx_free(&c);
        return sirnn_party_fail(party, SIRNN_ERR_NOMEM, "graph_serve: out of memory");
    }
    /* our share of the client's input is 0 (calloc), and so are our MSB shares */
    uint8_t *xmsb = calloc((size_t)n * sirnn_graph_size(g, g->input) + 1, 1);
    if (xmsb == NULL)
        st = sirnn_party_fail(party, SIRNN_ERR_NOMEM, "graph_serve: out of memory");
    else
        st = secure_run(&c, xmsb, want != 0, out);
    free(xmsb);
    free(out);
    gx_free(&c);
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
    if (st == SIRNN_OK && n * total_values(g) > MAX_BATCH_VALUES)
        st = sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH,
                              "graph_query: the server's graph needs too much memory for the "
                              "batch");
    if (st != SIRNN_OK) {
        sirnn_graph_free(g);
        return st;
    }
    const int want = sirnn_nn_get32(rep + 8) != 0;
    const size_t in_n = sirnn_graph_size(g, g->input), on = sirnn_graph_size(g, g->output);
    gx c;
    st = gx_init(&c, party, g, n);
    uint64_t *out = st == SIRNN_OK ? calloc(n * (on + 1), sizeof(uint64_t)) : NULL;
    uint8_t *xmsb = st == SIRNN_OK ? malloc(n * in_n + 1) : NULL;
    if (st != SIRNN_OK || out == NULL || xmsb == NULL) {
        free(out);
        free(xmsb);
        gx_free(&c);
        sirnn_graph_free(g);
        return sirnn_party_fail(party, SIRNN_ERR_NOMEM, "graph_query: out of memory");
    }
    if (q != NULL)
        for (size_t i = 0; i < n * in_n; i++)
            c.v[g->input][i] = q[i] & mask_of(c.b);
    else
        sirnn_graph_quantise_input(g, n, c.v[g->input], x);
    for (size_t i = 0; i < n * in_n; i++)
        xmsb[i] = (uint8_t)((c.v[g->input][i] >> (c.b - 1)) & 1);
    st = secure_run(&c, xmsb, want, out);
    if (st == SIRNN_OK) {
        const size_t ncls = g->has_argmax ? n : 0;
        for (size_t e = 0; classes != NULL && e < ncls; e++)
            classes[e] = (uint32_t)out[e];
        if (scores != NULL && (want || !g->has_argmax))
            for (size_t i = 0; i < n * on; i++)
                scores[i] = to_signed(out[ncls + i], c.b);
    }
    sirnn_memzero(xmsb, n * in_n);
    free(xmsb);
    free(out);
    gx_free(&c);
    if (pubout != NULL && st == SIRNN_OK)
        *pubout = g;
    else
        sirnn_graph_free(g);
    return st;
}
