/*
 * Zero and signed extension (SIRNN), and the shift engine that extension,
 * truncation, the right shifts and division by 2^s share (arith/mixed.h).
 *
 * With x = x0 + x1 mod 2^l, x0 = H0*2^s + L0 and x1 = H1*2^s + L1:
 *   floor(x / 2^s) = H0 + H1 + c - 2^(l-s)*w,
 * c = wrap(L0, L1; s) (the carry out of the low s bits) and w = wrap(x0, x1;
 * l). Both are nodes of one carry network (arith/wnet.h): a prefix over the
 * segments [0, s) and [s, l), so that they share every flight; with the MSB
 * known, w comes from MSB-to-wrap (one 1-of-4 OT in the leaves' flight)
 * instead. The result is wanted mod 2^lout: c is converted to arithmetic
 * mod 2^lout and w mod 2^(lout - (l - s)) (not at all when lout <= l - s,
 * as in TR). Signed values are shifted by 2^(l-1) first and the result by
 * 2^(l-s-1) after. Extension is s = 0 and lout > l.
 *
 * Division rounding toward zero adds msb(x) AND (x mod 2^s != 0) to the
 * arithmetic shift: x mod 2^s == 0 is the propagate bit of the low s bits
 * with party 0 holding x0 - 1 (the sum x0 - 1 + x1 of the low bits is
 * 2^s - 1 exactly when x0 + x1 = 0 mod 2^s), msb(x) = msb(x0) ^ msb(x1) ^
 * (the wrap of the low l - 1 bits), a prefix of the same network, and the
 * AND is one more combination node.
 */
#include "arith/mixed.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "kernels/block.h"
#include "arith/arith_internal.h"
#include "arith/wnet.h"

typedef struct shift_ctx {
    uint64_t *out;
    const uint64_t *x;
    const uint8_t *msb;
    unsigned l, s, lout;
    int is_signed, div, msb_known;
    int oc, ow, op, os; /* output indices, -1 if absent */
    uint8_t *sign;      /* NULL, or shares of bit l - 1 of x (os) */
    const sirnn_lean_extra *ex; /* lean shifts' extra outputs, or NULL */
    int oy;             /* output index of ex->y's wrap, -1 if absent */
} shift_ctx;

static void shift_prep(void *vctx, int server, sirnn_wn_chunk *c)
{
    const shift_ctx *sc = vctx;
    const unsigned l = sc->l;
    const uint64_t lm = sirnn_mask(l), sm = sirnn_mask(sc->s > 0 ? sc->s : 1);
    const uint64_t off = (server && sc->is_signed) ? (uint64_t)1 << (l - 1) : 0;
    const uint64_t *x = sc->x + c->off;
    for (size_t i = 0; i < c->k; i++)
        c->in[0][i] = (x[i] + off) & lm;
    if (sc->oy >= 0) {
        /* the other value whose wrap is wanted, as its reader offsets it */
        const uint64_t ym = sirnn_mask(sc->ex->ly), yo = server ? sc->ex->yoff : 0;
        for (size_t i = 0; i < c->k; i++)
            c->in[1][i] = (sc->ex->y[c->off + i] + yo) & ym;
    }
    if (sc->div) {
        for (size_t i = 0; i < c->k; i++) {
            c->in[1][i] = (x[i] - (server ? 1u : 0u)) & sm;
            c->in[2][i] = sc->msb_known ? (uint64_t)(sc->msb[c->off + i] & 1) : x[i] & lm;
        }
    }
    if (sc->msb_known && sc->ow >= 0) {
        /* MSB-to-wrap on x' = x + 2^(l-1) [signed]: msb(x') = msb(x) ^ signed. */
        const uint8_t *mb = sc->msb + c->off;
        for (size_t i = 0; i < c->k; i++) {
            const uint64_t mj = (c->in[0][i] >> (l - 1)) & 1;
            const uint64_t bj = (uint64_t)(mb[i] & 1) ^ (server && sc->is_signed ? 1u : 0u);
            if (server) {
                uint8_t t = 0;
                for (unsigned v = 0; v < 4; v++) {
                    const uint64_t m1 = v & 1, b = bj ^ (v >> 1);
                    const uint64_t wrap = (mj & m1) ^ ((mj ^ m1) & (b ^ 1));
                    t = (uint8_t)(t | wrap << v);
                }
                c->aux_table[i] = t;
            } else {
                c->aux_choice[i] = (uint8_t)(mj | bj << 1);
            }
        }
    }
}

static sirnn_status shift_post(void *vctx, int server, sirnn_wn_chunk *c)
{
    const shift_ctx *sc = vctx;
    const unsigned l = sc->l, s = sc->s, h = l - s;
    const uint64_t om = sirnn_mask(sc->lout);
    const uint64_t off = (server && sc->is_signed) ? (uint64_t)1 << (h - 1) : 0;
    uint64_t *out = sc->out + c->off;
    for (size_t i = 0; i < c->k; i++) {
        uint64_t v = (c->in[0][i] >> s) - off;
        if (sc->oc >= 0)
            v += c->arith[sc->oc][i];
        if (sc->ow >= 0)
            v -= c->arith[sc->ow][i] << h;
        if (sc->op >= 0)
            v += c->arith[sc->op][i];
        out[i] = v & om;
    }
    if (sc->os >= 0)
        for (size_t i = 0; i < c->k; i++)
            sc->sign[c->off + i] = c->bits[sc->os][i];
    if (sc->ex != NULL && sc->ex->carry != NULL && sc->oc >= 0)
        for (size_t i = 0; i < c->k; i++)
            sc->ex->carry[c->off + i] = c->bits[sc->oc][i];
    if (sc->oy >= 0)
        for (size_t i = 0; i < c->k; i++)
            sc->ex->ywrap[c->off + i] = c->bits[sc->oy][i];
    return SIRNN_OK;
}

/* Bits [off, off + len) of input src as a power-of-two count of blocks of
 * balanced widths (at most 8 bits, the wider ones lowest), the largest
 * count not above ceil(len / 4): one level less than sirnn_wn_segment's
 * 4-bit blocks whenever that count is not a power of two, and fewer bits
 * (a 1-of-2^w OT of w <= 8 bits costs less than two of w/2 and a node). */
static unsigned wide_segment(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned len)
{
    unsigned q = 1;
    while (2 * q <= (len + 3) / 4)
        q *= 2;
    unsigned node[16];
    for (unsigned i = 0, o = off; i < q; i++) {
        const unsigned w = len / q + (i < len % q ? 1u : 0u);
        node[i] = sirnn_wn_leaf(p, src, o, w);
        o += w;
    }
    for (; q > 1; q /= 2)
        for (unsigned i = 0; i < q / 2; i++)
            node[i] = sirnn_wn_comb(p, node[2 * i + 1], node[2 * i]);
    return node[0];
}

unsigned sirnn_wn_lean_segment(sirnn_wn_plan *p, unsigned src, unsigned off, unsigned len)
{
    unsigned q = 1;
    while (8 * q < len)
        q *= 2;
    unsigned node[16];
    for (unsigned i = 0, o = off; i < q; i++) {
        const unsigned w = len / q + (i < len % q ? 1u : 0u);
        node[i] = sirnn_wn_leaf(p, src, o, w);
        o += w;
    }
    for (; q > 1; q /= 2)
        for (unsigned i = 0; i < q / 2; i++)
            node[i] = sirnn_wn_comb(p, node[2 * i + 1], node[2 * i]);
    return node[0];
}

static sirnn_status shift_run_any(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, const uint8_t *msb, unsigned l, unsigned s,
                                  unsigned lout, int is_signed, int div, int lean,
                                  const sirnn_lean_extra *ex);

sirnn_status sirnn_shift_run(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                             const uint8_t *msb, unsigned l, unsigned s, unsigned lout,
                             int is_signed, int div)
{
    return shift_run_any(party, n, out, NULL, x, msb, l, s, lout, is_signed, div, 0, NULL);
}

sirnn_status sirnn_shift_run_sign(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, const uint8_t *msb, unsigned l, unsigned s,
                                  unsigned lout, int is_signed, int div)
{
    return shift_run_any(party, n, out, sign, x, msb, l, s, lout, is_signed, div, 0, NULL);
}

sirnn_status sirnn_tr_lean(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                           unsigned l, unsigned s, unsigned lout, int is_signed)
{
    return shift_run_any(party, n, out, NULL, x, NULL, l, s, lout, is_signed, 0, 1, NULL);
}

sirnn_status sirnn_shift_lean(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                              const uint8_t *msb, unsigned l, unsigned s, unsigned lout,
                              int is_signed, const sirnn_lean_extra *ex)
{
    return shift_run_any(party, n, out, NULL, x, msb, l, s, lout, is_signed, 0, 1, ex);
}

static sirnn_status shift_run_any(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, const uint8_t *msb, unsigned l, unsigned s,
                                  unsigned lout, int is_signed, int div, int lean,
                                  const sirnn_lean_extra *ex)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (sign != NULL && (msb != NULL || div))
        return SIRNN_ERR_ARG; /* not a combination any caller needs */
    shift_ctx sc = {.out = out, .x = x, .msb = msb, .l = l, .s = s, .lout = lout,
                    .is_signed = is_signed, .div = div && s > 0, .msb_known = msb != NULL,
                    .oc = -1, .ow = -1, .op = -1, .os = -1, .sign = sign, .ex = ex,
                    .oy = -1};
    if (ex != NULL && (div || sign != NULL || (ex->carry != NULL && s == 0)))
        return SIRNN_ERR_ARG; /* not a combination any caller needs */
    const int wneed = lout > l - s;
    sirnn_wn_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    sirnn_wn_init(p);
    unsigned root[3], pre[3], nseg = 0, lm1 = 0;
    if (s > 0)
        root[nseg++] = lean             ? sirnn_wn_lean_segment(p, 0, 0, s)
                       : sign != NULL ? wide_segment(p, 0, 0, s)
                                      : sirnn_wn_segment(p, 0, 0, s);
    if (sign != NULL) {
        /* bit l - 1 of x: the carry of the low l - 1 bits is a prefix of
         * [0, s), [s, l - 1), then the top bit for the wrap if needed. */
        if (l - 1 > s)
            root[nseg++] = wide_segment(p, 0, s, l - 1 - s);
        lm1 = nseg; /* segments below l - 1; 0: no carry (l = 1) */
        if (wneed)
            root[nseg++] = sirnn_wn_segment(p, 0, l - 1, 1);
    } else if (wneed && !sc.msb_known) {
        if (sc.div) {
            if (l - 1 > s)
                root[nseg++] = sirnn_wn_segment(p, 0, s, l - 1 - s);
            lm1 = nseg - 1;
            root[nseg++] = sirnn_wn_segment(p, 0, l - 1, 1);
        } else {
            root[nseg++] = lean ? sirnn_wn_lean_segment(p, 0, s, l - s)
                                : sirnn_wn_segment(p, 0, s, l - s);
        }
    }
    sirnn_wn_prefix(p, nseg, root, pre);
    if (s > 0)
        sc.oc = (int)sirnn_wn_output(p, pre[0], SIRNN_WN_G, lout);
    if (wneed)
        sc.ow = (int)sirnn_wn_output(p, sc.msb_known ? SIRNN_WN_AUX : pre[nseg - 1], SIRNN_WN_G,
                                     lout - (l - s));
    if (ex != NULL && ex->y != NULL)
        sc.oy = (int)sirnn_wn_output(p, sirnn_wn_lean_segment(p, 1, 0, ex->ly), SIRNN_WN_G, 0);
    if (sign != NULL) {
        /* server: bit l - 1 of x + 2^(l-1) [signed] is flipped back */
        const unsigned top = sirnn_wn_lin(p, lm1 > 0 ? pre[lm1 - 1] : SIRNN_WN_NONE, SIRNN_WN_G,
                                          (unsigned)(is_signed != 0), 0, l - 1);
        sc.os = (int)sirnn_wn_output(p, top, SIRNN_WN_G, 0);
    }
    if (sc.div) {
        const unsigned m = sc.msb_known
                               ? sirnn_wn_lin(p, SIRNN_WN_NONE, 0, 0, 2, 0)
                               : sirnn_wn_lin(p, pre[lm1], SIRNN_WN_G, 0, 2, l - 1);
        const unsigned z = sirnn_wn_segment(p, 1, 0, s);
        const unsigned nz = sirnn_wn_lin(p, z, SIRNN_WN_P, 1, 0, 64);
        sc.op = (int)sirnn_wn_output(p, sirnn_wn_comb(p, m, nz), SIRNN_WN_P, lout);
    }
    st = sirnn_wn_finalize(p);
    if (st == SIRNN_OK) {
        if (p->nout == 0) {
            /* Local: a plain change of ring. */
            const uint64_t om = sirnn_mask(lout), lmask = sirnn_mask(l);
            for (size_t i = 0; i < n; i++)
                out[i] = (x[i] & lmask) & om;
        } else {
            st = sirnn_wn_run(party, n, p, shift_prep, shift_post, &sc);
        }
    }
    free(p);
    return st;
}

/* ---------------- extension ---------------- */

#define NULL_WITH_N(n, ptr) ((n) > 0 && (ptr) == NULL)

static sirnn_status ext_common(sirnn_party *party, const char *fn, size_t n, uint64_t *out,
                               const uint64_t *x, const uint8_t *msb, int with_msb, unsigned m,
                               unsigned l, int is_signed)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (m < 1 || l > 64 || m >= l || NULL_WITH_N(n, out) || NULL_WITH_N(n, x) ||
        (with_msb && (NULL_WITH_N(n, msb) || !sirnn_arith_bits_ok(msb, n))))
        return sirnn_arith_arg(party, fn,
                               "need 1 <= m < l <= 64, non-NULL arrays and msb bits 0/1");
    return sirnn_shift_run(party, n, out, x, with_msb ? msb : NULL, m, 0, l, is_signed, 0);
}

sirnn_status sirnn_zext(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                        unsigned m, unsigned l)
{
    return ext_common(party, "sirnn_zext", n, out, x, NULL, 0, m, l, 0);
}

sirnn_status sirnn_sext(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                        unsigned m, unsigned l)
{
    return ext_common(party, "sirnn_sext", n, out, x, NULL, 0, m, l, 1);
}

sirnn_status sirnn_zext_msb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                            const uint8_t *msb, unsigned m, unsigned l)
{
    return ext_common(party, "sirnn_zext_msb", n, out, x, msb, 1, m, l, 0);
}

sirnn_status sirnn_sext_msb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                            const uint8_t *msb, unsigned m, unsigned l)
{
    return ext_common(party, "sirnn_sext_msb", n, out, x, msb, 1, m, l, 1);
}
