/*
 * The activations of a FastGRNN step (nn/fg_plan.h): z = sigmoid(pre_z)
 * and c = tanh(pre_h) = 2 sigmoid(2 pre_h) - 1, one sirnn_sigmoid call over
 * both halves (one set of flights per step instead of two). pre_h is
 * doubled locally (the plan keeps a bit of headroom for it); c = 2 y - 1
 * is local too; the secure version leaves g = sigmoid(2 pre_h) for the
 * caller, whose products read g (MSB a public 0) rather than c.
 */
#include <stdlib.h>

#include "net/party_internal.h"
#include "math/sig_pair.h"
#include "nn/fg_plan.h"
#include "sirnn/math.h"
#include "sirnn/party.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

static void inputs(const sirnn_fg_plan *p, size_t n, uint64_t *in, const uint64_t *pre)
{
    for (size_t i = 0; i < n; i++) {
        in[i] = pre[i];
        in[n + i] = (pre[n + i] << 1) & mask_of(p->b);
    }
}

/* c = 2 g - 1 on the second half (one = 2^sz). */
static void outputs(const sirnn_fg_plan *p, size_t n, uint64_t *y, uint64_t one)
{
    for (size_t i = 0; i < n; i++)
        y[n + i] = ((y[n + i] << 1) - one) & mask_of(p->b);
}

sirnn_status sirnn_fg_act_ref(const sirnn_fg_plan *p, size_t n, uint64_t *y,
                              const uint64_t *pre)
{
    uint64_t *in = malloc(2 * n * sizeof(uint64_t) + 1);
    if (in == NULL) {
        sirnn_set_last_error("fastgrnn: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    inputs(p, n, in, pre);
    sirnn_status st = sirnn_ref_sigmoid(2 * n, y, in, p->f_pre, p->f_z);
    free(in);
    if (st != SIRNN_OK) {
        sirnn_set_last_error("fastgrnn: sigmoid refuses the formats %u/%d -> %u/%d",
                             (unsigned)p->f_pre.bits, (int)p->f_pre.scale,
                             (unsigned)p->f_z.bits, (int)p->f_z.scale);
        return st;
    }
    outputs(p, n, y, (uint64_t)1 << p->sz);
    return SIRNN_OK;
}

sirnn_status sirnn_fg_act_secure(struct sirnn_party *party, const sirnn_fg_plan *p, size_t n,
                                 uint64_t *y, const uint64_t *pre)
{
    uint64_t *in = malloc(2 * n * sizeof(uint64_t) + 1);
    if (in == NULL)
        return SIRNN_ERR_NOMEM;
    inputs(p, n, in, pre);
    sirnn_status st = sirnn_sigmoid(party, 2 * n, y, in, p->f_pre, p->f_z);
    free(in);
    return st; /* the caller forms c = 2 g - 2^sz where it needs it */
}

sirnn_status sirnn_fg_act_secure_tr(struct sirnn_party *party, const sirnn_fg_plan *p, size_t n,
                                    uint64_t *y, const uint64_t *xz, const uint64_t *xh)
{
    /* y[n..2n) = sigmoid(2 pre_h): the doubling is inside (math/sig_pair.h) */
    return sirnn_sigmoid_pair_tr(party, n, y, xz, xh, p->e_fuse, p->f_pre, p->f_z, p->fold);
}

sirnn_status sirnn_fg_act_secure_gates(struct sirnn_party *party, const sirnn_fg_plan *p,
                                       size_t n, uint64_t *z, uint64_t *pg, const uint64_t *xz,
                                       const uint64_t *xh, const int64_t *s)
{
    return sirnn_sigmoid_pair_gates(party, n, z, pg, NULL, xz, xh, p->e_fuse, p->f_pre, p->f_z,
                                    s, p->lv);
}

int sirnn_fg_act_gates_fits(const sirnn_fg_plan *p)
{
    return p->fold && sirnn_sigmoid_pair_gates_fits(p->e_fuse, p->f_pre, p->f_z, p->lv);
}
