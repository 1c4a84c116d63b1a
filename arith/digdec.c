/*
 * Digit decomposition (SIRNN): an l-bit shared x into c = ceil(l/d) digits
 * of d bits (the top one w_top = l - (c-1)*d bits), each as arithmetic
 * shares mod 2^(w_j).
 *
 * With each party's share cut into the same digits, digit j of x is
 *   x0_j + x1_j + carry_j  mod 2^(w_j),
 * where carry_j is the carry out of the low j*d bits of x0 + x1, i.e. the
 * generate bit of the bit range [0, j*d). One carry network (arith/wnet.h)
 * computes all of them: one segment per digit below the top (a balanced
 * tree of leaf blocks of at most 4 bits), a Sklansky prefix across the
 * segments (log-depth, not SCI's sequential chain), and each carry
 * converted by B2A into the width of the digit it enters.
 */
#include "sirnn/arith.h"

#include <stdlib.h>

#include "kernels/block.h"
#include "arith/arith_internal.h"
#include "arith/mixed.h"
#include "arith/wnet.h"

typedef struct digdec_ctx {
    uint64_t *out;
    uint64_t *carry; /* the carry out of digit 0, mod 2^wc, or NULL */
    const uint64_t *x;
    size_t n;
    unsigned l, d, c, wc;
} digdec_ctx;

static unsigned digit_width(unsigned l, unsigned d, unsigned j)
{
    const unsigned lo = j * d;
    return l - lo < d ? l - lo : d;
}

static void digdec_prep(void *vctx, int server, sirnn_wn_chunk *c)
{
    (void)server;
    const digdec_ctx *dc = vctx;
    const uint64_t lm = sirnn_mask(dc->l);
    const uint64_t *x = dc->x + c->off;
    for (size_t i = 0; i < c->k; i++)
        c->in[0][i] = x[i] & lm;
}

static sirnn_status digdec_post(void *vctx, int server, sirnn_wn_chunk *c)
{
    (void)server;
    const digdec_ctx *dc = vctx;
    for (unsigned j = 0; j < dc->c; j++) {
        const unsigned w = digit_width(dc->l, dc->d, j);
        const uint64_t wm = sirnn_mask(w);
        uint64_t *out = dc->out + (size_t)j * dc->n + c->off;
        const uint64_t *own = c->in[0];
        if (j == 0) {
            for (size_t i = 0; i < c->k; i++)
                out[i] = own[i] & wm;
        } else {
            /* Output j - 1 is the carry into digit j, mod 2^w. */
            const uint64_t *carry = c->arith[j - 1];
            const unsigned sh = j * dc->d;
            for (size_t i = 0; i < c->k; i++)
                out[i] = ((own[i] >> sh) + carry[i]) & wm;
        }
    }
    if (dc->carry != NULL) {
        const uint64_t cm = sirnn_mask(dc->wc);
        for (size_t i = 0; i < c->k; i++)
            dc->carry[c->off + i] = c->arith[0][i] & cm;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_digdec_carry(sirnn_party *party, size_t n, uint64_t *out, uint64_t *carry,
                                const uint64_t *x, unsigned l, unsigned d, unsigned wc)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 1 || l > 64 || d < 1 || d > 64 || (n > 0 && (out == NULL || x == NULL)) ||
        (carry != NULL && (d >= l || wc < 1 || wc > 64)))
        return sirnn_arith_arg(party, "sirnn_digdec",
                               "need 1 <= l <= 64, 1 <= d <= 64, non-NULL arrays, and for the "
                               "carry d < l and 1 <= wc <= 64");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    const unsigned c = (l + d - 1) / d;
    digdec_ctx dc = {.out = out, .carry = carry, .x = x, .n = n, .l = l, .d = d, .c = c, .wc = wc};
    if (c == 1) {
        /* One digit: the share itself. */
        const uint64_t lm = sirnn_mask(l);
        for (size_t i = 0; i < n; i++)
            out[i] = x[i] & lm;
        return SIRNN_OK;
    }
    sirnn_wn_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    sirnn_wn_init(p);
    unsigned root[64], pre[64];
    for (unsigned j = 0; j + 1 < c; j++)
        /* two digits: the one segment needs only its carry, and one leaf
         * of <= 8 bits saves the AND level at about the same bits; with
         * more digits the others need their propagate bits too, which a
         * wide leaf carries at twice the payload (SoftSpokenOT: 640
         * bits against 454 for an 8-bit digit), so they keep 4-bit blocks */
        root[j] = c == 2 ? sirnn_wn_lean_segment(p, 0, j * d, d)
                         : sirnn_wn_segment(p, 0, j * d, d);
    sirnn_wn_prefix(p, c - 1, root, pre);
    for (unsigned j = 1; j < c; j++) {
        /* the carry into digit 1 also serves the caller: one B2A at the wider width */
        const unsigned w = digit_width(l, d, j);
        sirnn_wn_output(p, pre[j - 1], SIRNN_WN_G, j == 1 && carry != NULL && wc > w ? wc : w);
    }
    st = sirnn_wn_finalize(p);
    if (st == SIRNN_OK)
        st = sirnn_wn_run(party, n, p, digdec_prep, digdec_post, &dc);
    free(p);
    return st;
}

sirnn_status sirnn_digdec(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                          unsigned l, unsigned d)
{
    return sirnn_digdec_carry(party, n, out, NULL, x, l, d, 1);
}
