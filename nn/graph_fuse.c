/*
 * The integer executors' fusion plan (nn/graph.h, sirnn_gfuse): which
 * products and sums keep their values untruncated ("wide") until one
 * truncation, which truncations hand out MSB shares or a wider copy of
 * their output, and which products run as the round-lean product. It
 * depends only on the graph's public structure and formats, so the server,
 * the client and the cleartext executor all compute the same plan.
 */
#include <stdlib.h>
#include <string.h>

#include "nn/graph.h"

static int is_linear(uint32_t op)
{
    return op == SIRNN_GOP_ADD || op == SIRNN_GOP_SUB || op == SIRNN_GOP_ADD_CONST;
}

static int is_product(uint32_t op)
{
    return op == SIRNN_GOP_DENSE || op == SIRNN_GOP_MUL || op == SIRNN_GOP_MUL_CONST;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

void sirnn_graph_find_nonneg(const sirnn_graph *g, uint8_t *nonneg)
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
        case SIRNN_GOP_GATHER: { /* a shift down keeps the sign; one up may not */
            const int so = g->tensors[nd->out].fmt.scale;
            nn = nonneg[nd->in[0]] && so <= g->tensors[nd->in[0]].fmt.scale &&
                 (nd->nin < 2 || (nonneg[nd->in[1]] && so <= g->tensors[nd->in[1]].fmt.scale));
            break;
        }
        default: break;
        }
        /* an output narrower than its node's width is its value mod 2^8,
         * whose MSB may be set (a GATHER of a 16-bit value into 8 bits) */
        if (g->quantised && g->tensors[nd->out].fmt.bits < sirnn_graph_node_bits(g, nd))
            nn = 0;
        nonneg[nd->out] = (uint8_t)nn;
    }
}

void sirnn_graph_fuse_free(sirnn_gfuse *f)
{
    free(f->mem);
    memset(f, 0, sizeof(*f));
}

/* The scale a node reads input k at (a wide input's own scale). */
static int in_scale(const sirnn_graph *g, const sirnn_gfuse *f, uint32_t t)
{
    return f->wide[t] ? f->S[t] : g->tensors[t].fmt.scale;
}

/* Whether tensor t can be a lean product's x operand: b-bit, MSB a public
 * 0 (a nonneg value, or the sigmoid behind a TANH run as one). */
static int lean_x(const sirnn_graph *g, const sirnn_gfuse *f, const uint32_t *prod, uint32_t t)
{
    if (f->wide[t] || g->tensors[t].fmt.bits != g->act_bits)
        return 0;
    if (f->nonneg[t])
        return 1;
    return prod[t] != UINT32_MAX &&
           sirnn_graph_tanh_by_sigmoid(g->act_bits, &g->nodes[prod[t]]);
}

/* One pass of the structural decisions over the current wide[]: truncation
 * points, lean products; returns whether some wide[] was dropped. */
static int structure_pass(const sirnn_graph *g, sirnn_gfuse *f, const uint32_t *prod,
                          const uint32_t *cstart, const uint32_t *cons)
{
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        f->tpoint[i] = 0;
        f->lean[i] = 0;
        if (is_linear(nd->op) && !f->wide[nd->out])
            for (uint32_t k = 0; k < nd->nin; k++)
                f->tpoint[i] |= f->wide[nd->in[k]];
        if ((nd->op == SIRNN_GOP_MUL || nd->op == SIRNN_GOP_MUL_CONST) && f->wide[nd->out]) {
            for (uint32_t k = 0; k < nd->nin && !f->lean[i]; k++) {
                if (!lean_x(g, f, prod, nd->in[k]))
                    continue;
                if (nd->op == SIRNN_GOP_MUL_CONST) {
                    f->lean[i] = 1;
                    f->leanx[i] = 0;
                    break;
                }
                const uint32_t y = nd->in[1 - k];
                if (f->wide[y] || (prod[y] != UINT32_MAX && f->tpoint[prod[y]])) {
                    f->lean[i] = 1;
                    f->leanx[i] = (uint8_t)k;
                }
            }
        }
    }
    int dropped = 0;
    for (uint32_t t = 0; t < g->ntensors; t++) {
        if (!f->wide[t])
            continue;
        int ok = cstart[t + 1] > cstart[t], tps = 0;
        for (uint32_t q = cstart[t]; ok && q < cstart[t + 1]; q++) {
            const uint32_t x = cons[q];
            const sirnn_gnode *xn = &g->nodes[x];
            if (is_linear(xn->op))
                tps += f->tpoint[x];
            else if (!(f->lean[x] && xn->in[f->leanx[x]] != t && xn->op == SIRNN_GOP_MUL))
                ok = 0;
        }
        if (tps > 1)
            ok = 0;
        const sirnn_gnode *pn = &g->nodes[prod[t]];
        if (ok && is_linear(pn->op)) {
            int any = 0;
            for (uint32_t k = 0; k < pn->nin; k++)
                any |= f->wide[pn->in[k]];
            ok = any;
        }
        if (!ok) {
            f->wide[t] = 0;
            dropped = 1;
        }
    }
    return dropped;
}

/* Scales forward, rings backward; returns a tensor to make narrow when a
 * limit is broken, UINT32_MAX when the plan holds. */
static uint32_t rings(const sirnn_graph *g, sirnn_gfuse *f, const uint32_t *level,
                      uint8_t *levmax, uint32_t top)
{
    const int b = (int)g->act_bits;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        const uint32_t o = nd->out;
        f->S[o] = (int16_t)g->tensors[o].fmt.scale;
        if (!f->wide[o] && !f->tpoint[i])
            continue;
        int s;
        switch (nd->op) {
        case SIRNN_GOP_DENSE: s = in_scale(g, f, nd->in[0]) + nd->wfmt.scale; break;
        case SIRNN_GOP_MUL_CONST: s = in_scale(g, f, nd->in[0]) + nd->wfmt.scale; break;
        case SIRNN_GOP_MUL: s = in_scale(g, f, nd->in[0]) + in_scale(g, f, nd->in[1]); break;
        default: /* linear: the highest scale it reads (and its output's) */
            s = g->tensors[o].fmt.scale;
            for (uint32_t k = 0; k < nd->nin; k++)
                s = imax(s, in_scale(g, f, nd->in[k]));
            break;
        }
        if (f->wide[o])
            f->S[o] = (int16_t)s;
        else
            f->tS[i] = (int16_t)s;
    }
    memset(f->R, 0, g->ntensors);
    memset(f->ext, 0, g->ntensors);
    memset(f->lean_l, 0, g->nnodes);
    for (int changed = 1; changed;) {
        changed = 0;
        memset(levmax, 0, top + 1);
        for (uint32_t j = 0; j < g->nnodes; j++)
            if (f->lean[j] && f->R[g->nodes[j].out] > levmax[level[j]])
                levmax[level[j]] = f->R[g->nodes[j].out];
        for (uint32_t i = g->nnodes; i-- > 0;) {
            const sirnn_gnode *nd = &g->nodes[i];
            int need[2] = {0, 0};
            if (f->tpoint[i]) {
                for (uint32_t k = 0; k < nd->nin; k++)
                    need[k] = f->S[nd->in[k]] - g->tensors[nd->out].fmt.scale + b;
            } else if (is_linear(nd->op) && f->wide[nd->out]) {
                for (uint32_t k = 0; k < nd->nin; k++)
                    need[k] = f->R[nd->out] - (f->S[nd->out] - f->S[nd->in[k]]);
            } else if (f->lean[i]) {
                const int l = levmax[level[i]];
                if (l != f->lean_l[i]) {
                    f->lean_l[i] = (uint8_t)l;
                    changed = 1;
                }
                if (nd->op == SIRNN_GOP_MUL) {
                    const uint32_t y = nd->in[1 - f->leanx[i]];
                    if (!f->wide[y] && l > f->ext[y]) {
                        f->ext[y] = (uint8_t)(l > 255 ? 255 : l);
                        changed = 1;
                    }
                    need[1 - f->leanx[i]] = l;
                }
            }
            for (uint32_t k = 0; k < nd->nin; k++) {
                const uint32_t t = nd->in[k];
                if (f->wide[t] && need[k] > f->R[t]) {
                    f->R[t] = (uint8_t)(need[k] > 255 ? 255 : need[k]);
                    changed = 1;
                }
            }
        }
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        const uint32_t o = nd->out;
        /* a b-bit input of a fused sum enters as its shares shifted up by
         * S - s_t, which is its value shifted up only mod 2^(b + S - s_t):
         * that must cover the sum's ring (its scale at most the output's) */
        int narrow_ok = 1;
        if (f->tpoint[i] || (is_linear(nd->op) && f->wide[o])) {
            const int S = f->tpoint[i] ? f->tS[i] : f->S[o];
            const int ring = f->tpoint[i] ? S - g->tensors[o].fmt.scale + b : f->R[o];
            for (uint32_t k = 0; k < nd->nin; k++)
                if (!f->wide[nd->in[k]] && S - g->tensors[nd->in[k]].fmt.scale + b < ring)
                    narrow_ok = 0;
        }
        if (f->tpoint[i]) {
            const int sh = f->tS[i] - g->tensors[o].fmt.scale;
            /* (a truncation point writes b bits: not a narrower tensor) */
            if (!narrow_ok || g->tensors[o].fmt.bits != g->act_bits || sh < 1 || sh + b > 64 || (f->ext[o] && f->ext[o] < b) ||
                f->ext[o] > 64)
                for (uint32_t k = 0; k < nd->nin; k++)
                    if (f->wide[nd->in[k]])
                        return nd->in[k];
        }
        if (!f->wide[o])
            continue;
        const int r = f->R[o];
        /* (and a sum's constant, at the output's scale, shifted up into it) */
        int bad = r < 1 || r > 64 || !narrow_ok ||
                  (is_linear(nd->op) && f->S[o] - g->tensors[o].fmt.scale > 63);
        if (f->lean[i])
            bad |= f->lean_l[i] > 64 || f->lean_l[i] < 1;
        else if (nd->op == SIRNN_GOP_DENSE)
            bad |= (unsigned)r > sirnn_graph_acc_bits(g->tensors[nd->in[0]].fmt.bits,
                                                       g->weight_bits,
                                                       sirnn_graph_dense_k(g, nd)) ||
                   f->S[o] < g->tensors[o].fmt.scale;
        else if (nd->op == SIRNN_GOP_MUL)
            bad |= r > 2 * b;
        else if (nd->op == SIRNN_GOP_MUL_CONST)
            bad |= r > b + (int)g->weight_bits;
        if (bad)
            return o;
    }
    return UINT32_MAX;
}

sirnn_status sirnn_graph_fuse_plan(const sirnn_graph *g, sirnn_gfuse *f)
{
    memset(f, 0, sizeof(*f));
    const size_t nt = g->ntensors, nn = g->nnodes;
    /* bytes: wide, nonneg, R, ext, sign, keep_s per tensor; tpoint, lean,
     * leanx, lean_l per node; then S (tensors) and tS (nodes) as int16,
     * prod, level, tlev, cstart (tensors + 1), cons (consumer slots). */
    size_t nslots = 0;
    for (uint32_t i = 0; i < nn; i++)
        nslots += g->nodes[i].nin;
    const size_t bytes = 6 * nt + 4 * nn + 2 * (nt + nn) +
                         4 * (nt + nn + nt + (nt + 1) + nslots) + 16;
    uint8_t *m = calloc(bytes, 1);
    if (m == NULL)
        return SIRNN_ERR_NOMEM;
    f->mem = m;
    f->wide = m;
    f->nonneg = m + nt;
    f->R = m + 2 * nt;
    f->ext = m + 3 * nt;
    f->sign = m + 4 * nt;
    f->keep_s = m + 5 * nt;
    f->tpoint = m + 6 * nt;
    f->lean = f->tpoint + nn;
    f->leanx = f->lean + nn;
    f->lean_l = f->leanx + nn;
    uint8_t *p = f->lean_l + nn;
    p += (size_t)(p - m) % 2;
    f->S = (int16_t *)(void *)p;
    f->tS = f->S + nt;
    p = (uint8_t *)(f->tS + nn);
    while ((size_t)(p - m) % 4)
        p++;
    uint32_t *prod = (uint32_t *)(void *)p, *level = prod + nt, *tlev = level + nn;
    uint32_t *cstart = tlev + nt, *cons = cstart + nt + 1;
    sirnn_graph_find_nonneg(g, f->nonneg);
    for (uint32_t t = 0; t < nt; t++)
        prod[t] = UINT32_MAX;
    for (uint32_t i = 0; i < nn; i++) {
        prod[g->nodes[i].out] = i;
        for (uint32_t k = 0; k < g->nodes[i].nin; k++)
            cstart[g->nodes[i].in[k] + 1]++;
    }
    for (uint32_t t = 0; t < nt; t++)
        cstart[t + 1] += cstart[t];
    /* consumers, in node order (a node reading t twice is listed twice) */
    {
        uint32_t *at = malloc((nt + 1) * sizeof(uint32_t));
        if (at == NULL) {
            sirnn_graph_fuse_free(f);
            return SIRNN_ERR_NOMEM;
        }
        memcpy(at, cstart, (nt + 1) * sizeof(uint32_t));
        for (uint32_t i = 0; i < nn; i++)
            for (uint32_t k = 0; k < g->nodes[i].nin; k++)
                cons[at[g->nodes[i].in[k]]++] = i;
        free(at);
    }
    const uint32_t top = sirnn_graph_levels(g, level, tlev);
    uint8_t *levmax = malloc((size_t)top + 1);
    if (levmax == NULL) {
        sirnn_graph_fuse_free(f);
        return SIRNN_ERR_NOMEM;
    }
    if (g->act_bits > 8) /* 8-bit graphs keep the plain steps */
        for (uint32_t i = 0; i < nn; i++) {
            const sirnn_gnode *nd = &g->nodes[i];
            if ((is_product(nd->op) || is_linear(nd->op)) && nd->out != g->output &&
                g->tensors[nd->out].fmt.bits == g->act_bits)
                f->wide[nd->out] = 1; /* a narrower tensor is its truncated value */
        }
    for (;;) {
        while (structure_pass(g, f, prod, cstart, cons)) {
        }
        const uint32_t bad = rings(g, f, level, levmax, top);
        if (bad == UINT32_MAX)
            break;
        f->wide[bad] = 0;
    }
    free(levmax);
    /* MSB shares from the truncations that write a product's operand, and
     * the sigmoid values behind the TANHs that are lean products' x. */
    for (uint32_t i = 0; i < nn; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        const uint32_t o = nd->out;
        const int truncates = f->tpoint[i] || ((nd->op == SIRNN_GOP_MUL ||
                                                nd->op == SIRNN_GOP_MUL_CONST) &&
                                               !f->wide[o]);
        /* (MSB shares of b bits are not those of a narrower tensor) */
        for (uint32_t q = cstart[o];
             truncates && g->tensors[o].fmt.bits == g->act_bits && q < cstart[o + 1]; q++) {
            const sirnn_gnode *xn = &g->nodes[cons[q]];
            if ((xn->op == SIRNN_GOP_DENSE || xn->op == SIRNN_GOP_CONV ||
                 xn->op == SIRNN_GOP_MUL || xn->op == SIRNN_GOP_MUL_CONST) &&
                !f->lean[cons[q]])
                f->sign[o] = 1;
        }
        if (f->lean[i]) {
            const uint32_t x = nd->in[f->leanx[i]];
            if (!f->nonneg[x])
                f->keep_s[x] = 1;
        }
    }
    return SIRNN_OK;
}
