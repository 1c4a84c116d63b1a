/*
 * Cleartext fixed-point FastGRNN inference: the steps of nn/fg_plan.h on
 * clear integers, each through the cleartext model of the protocol that
 * secure inference runs for it (sirnn_ref_matmul, sirnn_ref_mult,
 * sirnn_ref_tr_ext, sirnn_ref_msb, sirnn_ref_mux, the sigmoid model), so
 * that the secure result equals this one bit for bit.
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "net/party_internal.h"
#include "nn/fastgrnn.h"
#include "nn/fg_plan.h"
#include "nn/argmax.h"
#include "sirnn/fixed.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

/* A matrix product of the plan: ref_matmul, then the local up-shift. */
static void mm_ref(const sirnn_fg_mm *mm, size_t d1, uint64_t *out, const uint64_t *a,
                   const uint64_t *w)
{
    sirnn_ref_matmul(d1, mm->d2, mm->d3, out, a, w, mm->m, mm->k, mm->s, mm->lmm, 1);
    if (mm->lmm < mm->lout)
        for (size_t i = 0; i < d1 * mm->d3; i++)
            out[i] = sirnn_ref_sext(out[i], mm->lmm, mm->lout);
    if (mm->up > 0)
        for (size_t i = 0; i < d1 * mm->d3; i++)
            out[i] = (out[i] << mm->up) & mask_of(mm->lout);
}

/* With p->fuse: the product untruncated, aligned to p->e_fuse, mod
 * 2^(e_fuse + b) (see nn/fg_plan.h). */
static void mm_ref_wide(const sirnn_fg_plan *p, const sirnn_fg_mm *mm, size_t d1, uint64_t *out,
                        const uint64_t *a, const uint64_t *w)
{
    sirnn_ref_matmul(d1, mm->d2, mm->d3, out, a, w, mm->m, mm->k, 0, mm->s + mm->lout, 1);
    for (size_t i = 0; i < d1 * mm->d3; i++)
        out[i] = (out[i] << (p->e_fuse - mm->s)) & mask_of(p->e_fuse + p->b);
}

/* The last product of W or U: truncated alone, or wide when fused. */
static void mm_ref_last(const sirnn_fg_plan *p, const sirnn_fg_mm *mm, size_t d1,
                        uint64_t *out, const uint64_t *a, const uint64_t *w)
{
    if (p->fuse)
        mm_ref_wide(p, mm, d1, out, a, w);
    else
        mm_ref(mm, d1, out, a, w);
}

typedef struct fixed_work {
    uint64_t *x, *v, *wx, *h16, *h32, *ur, *uh, *pre, *y, *p, *sc, *r;
    uint64_t *mem;
} fixed_work;

static int work_init(fixed_work *fw, const sirnn_fg_plan *p)
{
    const size_t T = p->d.steps, D = p->d.input, H = p->d.hidden;
    const size_t rw = p->d.rank_w, ru = p->d.rank_u, C = p->d.classes;
    size_t total = T * D + T * rw + T * H + 2 * H + ru + H + 2 * H + 2 * H + 2 * H + 2 * C + H;
    fw->mem = calloc(total, sizeof(uint64_t));
    if (fw->mem == NULL)
        return -1;
    uint64_t *q = fw->mem;
    fw->x = q; q += T * D;
    fw->v = q; q += T * rw;
    fw->wx = q; q += T * H;
    fw->h16 = q; q += H;
    fw->h32 = q; q += H;
    fw->ur = q; q += ru;
    fw->uh = q; q += H;
    fw->pre = q; q += 2 * H;
    fw->y = q; q += 2 * H;
    fw->p = q; q += 2 * H;
    fw->sc = q; q += 2 * C;
    fw->r = q;
    return 0;
}

/* v sign-extended from l to 64 bits. */
static uint64_t sext64(uint64_t v, unsigned l)
{
    return (uint64_t)sirnn_fg_signed(v, l);
}

/* out[q] = sum_j a[j] w[j][q] mod 2^lv (a: lv-bit values, w: k-bit). */
static void prod_lv(uint64_t *out, const uint64_t *a, size_t d2, size_t d3, const uint64_t *w,
                    unsigned k, unsigned lv)
{
    for (size_t q = 0; q < d3; q++) {
        uint64_t acc = 0;
        for (size_t j = 0; j < d2; j++)
            acc += sext64(a[j], lv) * sext64(w[j * d3 + q], k);
        out[q] = acc & mask_of(lv);
    }
}

/* Step t's gates from fw->uh: pre = U h + W x_t (with p->fuse one
 * truncation of their e_fuse + b-bit sum, as the fold always has) plus the
 * biases, then sigmoid / tanh into fw->y. */
static sirnn_status gates_ref(const sirnn_fg_plan *p, const sirnn_fg_weights *w,
                              fixed_work *fw, size_t t)
{
    const size_t H = p->d.hidden;
    const unsigned b = p->b, lf = p->e_fuse + b;
    const uint64_t mb = mask_of(b), *wx = fw->wx + t * H;
    for (size_t j = 0; j < H; j++) {
        uint64_t s = wx[j] + fw->uh[j];
        if (p->fuse)
            s = sirnn_ref_tr(s & mask_of(lf), lf, p->e_fuse);
        fw->pre[j] = (s + w->bz[j]) & mb;
        fw->pre[H + j] = (s + w->bh[j]) & mb;
    }
    return sirnn_fg_act_ref(p, H, fw->y, fw->pre);
}

/* The steps with p->fold (nn/fg_plan.h): U reads R_{t-1} (fw->r, lv-bit
 * values), h_{t-1} is its truncation; then h_T into fw->h16. */
static sirnn_status fold_steps(const sirnn_fg_plan *p, const sirnn_fg_weights *w,
                               fixed_work *fw)
{
    const size_t T = p->d.steps, H = p->d.hidden;
    const unsigned b = p->b, lv = p->lv, b2 = 2 * b;
    const uint64_t mv = mask_of(lv), mr = mask_of(p->lr);
    memset(fw->r, 0, H * sizeof(uint64_t));
    for (size_t t = 0; t < T; t++) {
        /* U R, or U1' (U2' R), mod 2^lv (wrapping 64-bit sums: lv <= 64) */
        if (p->d.rank_u == 0) {
            prod_lv(fw->uh, fw->r, H, H, w->u, p->u.k, lv);
        } else {
            prod_lv(fw->ur, fw->r, H, p->d.rank_u, w->u2, p->fk2, lv);
            prod_lv(fw->uh, fw->ur, p->d.rank_u, H, w->u1, p->fk1, lv);
        }
        sirnn_status st = gates_ref(p, w, fw, t);
        if (st != SIRNN_OK)
            return st;
        const uint64_t *z = fw->y, *c = fw->y + H;
        for (size_t j = 0; j < H; j++) {
            const uint64_t h = sirnn_ref_tr_ext(fw->r[j] & mr, p->lr, p->s_h, lv, 1);
            const uint64_t p1 = sext64(sirnn_ref_mult(c[j], w->zeta, b, b, b2, 1), b2);
            const uint64_t p2 = sext64(sirnn_ref_mult(c[j], w->zn, b, b, b2, 1), b2);
            const uint64_t v = ((h << (p->sw - p->sh)) - p1) & mv;
            fw->r[j] = (sirnn_ref_mult(z[j], v, b, lv, lv, 1) + (p2 << p->sz)) & mv;
        }
    }
    for (size_t j = 0; j < H; j++)
        fw->h16[j] = sirnn_ref_tr_ext(fw->r[j] & mr, p->lr, p->s_h, p->hw, 1) &
                     mask_of(p->fc.m);
    return SIRNN_OK;
}

static sirnn_status fixed_one(const sirnn_fg_plan *p, const sirnn_fg_weights *w,
                              fixed_work *fw, uint8_t *cls, int32_t *scores,
                              const uint8_t *img)
{
    const size_t T = p->d.steps, D = p->d.input, H = p->d.hidden, C = p->d.classes;
    const unsigned b = p->b, b2 = 2 * b;
    const uint64_t mb = mask_of(b), m2 = mask_of(b2), mr = mask_of(p->lr);
    for (size_t i = 0; i < T * D; i++)
        fw->x[i] = p->xtab[img[i]];
    if (p->d.rank_w == 0) {
        mm_ref_last(p, &p->w, T, fw->wx, fw->x, w->w);
    } else {
        mm_ref(&p->w2, T, fw->v, fw->x, w->w2);
        mm_ref_last(p, &p->w1, T, fw->wx, fw->v, w->w1);
    }
    memset(fw->h16, 0, H * sizeof(uint64_t));
    memset(fw->h32, 0, H * sizeof(uint64_t));
    if (p->fold) {
        sirnn_status st = fold_steps(p, w, fw);
        if (st != SIRNN_OK)
            return st;
    }
    for (size_t t = 0; t < (p->fold ? 0 : T); t++) {
        if (p->d.rank_u == 0) {
            mm_ref_last(p, &p->u, 1, fw->uh, fw->h16, w->u);
        } else {
            mm_ref(&p->u2, 1, fw->ur, fw->h16, w->u2);
            mm_ref_last(p, &p->u1, 1, fw->uh, fw->ur, w->u1);
        }
        sirnn_status st = gates_ref(p, w, fw, t);
        if (st != SIRNN_OK)
            return st;
        const uint64_t *z = fw->y, *c = fw->y + H;
        for (size_t j = 0; j < H; j++) {
            const uint64_t p1 = sirnn_ref_mult(c[j], w->zeta, b, b, b2, 1);
            const uint64_t p2 = sirnn_ref_mult(c[j], w->zn, b, b, b2, 1);
            const uint64_t v = ((fw->h32[j] << (p->sw - p->sh)) - p1) & m2;
            const uint64_t r = (sirnn_ref_mult(z[j], v, b, b2, p->lr, 1) + (p2 << p->sz)) & mr;
            fw->h32[j] = sirnn_ref_tr_ext(r, p->lr, p->s_h, p->hw, 1);
            fw->h16[j] = fw->h32[j] & mask_of(p->fc.m); /* the products' operand */
        }
    }
    uint64_t *val = fw->sc, *idx = fw->sc + C;
    mm_ref(&p->fc, 1, val, fw->h16, w->fc);
    for (size_t k = 0; k < C; k++)
        val[k] = (val[k] + w->fcb[k]) & mb;
    if (scores != NULL)
        for (size_t k = 0; k < C; k++)
            scores[k] = (int32_t)sirnn_fg_signed(val[k], b);
    const unsigned best = sirnn_argmax_ref(C, val, b, idx);
    if (cls != NULL)
        *cls = (uint8_t)best;
    return SIRNN_OK;
}

sirnn_status sirnn_fg_fixed_run(const sirnn_fg_plan *p, const sirnn_fg_weights *w, size_t n,
                                uint8_t *classes, int32_t *scores, const uint8_t *images,
                                unsigned threads)
{
    const size_t TD = (size_t)p->d.steps * p->d.input, C = p->d.classes;
    sirnn_status st = SIRNN_OK;
    const int nt = sirnn_fg_threads(threads);
#pragma omp parallel num_threads(nt)
    {
        fixed_work fw = {0};
        sirnn_status my = work_init(&fw, p) == 0 ? SIRNN_OK : SIRNN_ERR_NOMEM;
#pragma omp for schedule(dynamic, 4)
        for (size_t i = 0; i < n; i++) {
            if (my != SIRNN_OK)
                continue;
            my = fixed_one(p, w, &fw, classes != NULL ? classes + i : NULL,
                           scores != NULL ? scores + i * C : NULL, images + i * TD);
        }
        free(fw.mem);
#pragma omp critical
        if (my != SIRNN_OK && st == SIRNN_OK)
            st = my;
    }
    if (st == SIRNN_ERR_NOMEM)
        sirnn_set_last_error("fastgrnn fixed: out of memory");
    return st;
}

/* ---- public entry points -------------------------------------------------- */

sirnn_status sirnn_fastgrnn_predict_fixed(const sirnn_fastgrnn *m, size_t n, uint8_t *classes,
                                          int32_t *scores, const uint8_t *images,
                                          unsigned threads)
{
    sirnn_fg_public pub;
    sirnn_status st = sirnn_fg_public_from_model(&pub, m);
    if (st != SIRNN_OK)
        return st;
    if (n > 0 && (images == NULL || (classes == NULL && scores == NULL))) {
        sirnn_set_last_error("fastgrnn_predict_fixed: NULL array with n > 0");
        return SIRNN_ERR_ARG;
    }
    if (classes != NULL && m->dims.classes > 256) {
        sirnn_set_last_error("fastgrnn_predict_fixed: %u classes do not fit uint8_t",
                             (unsigned)m->dims.classes);
        return SIRNN_ERR_ARG;
    }
    sirnn_fg_plan plan;
    st = sirnn_fg_plan_init(&plan, &pub);
    if (st != SIRNN_OK)
        return st;
    sirnn_fg_weights w;
    st = sirnn_fg_weights_init(&w, &plan, m);
    if (st != SIRNN_OK)
        return st;
    st = sirnn_fg_fixed_run(&plan, &w, n, classes, scores, images, threads);
    sirnn_fg_weights_free(&w);
    return st;
}

sirnn_status sirnn_fastgrnn_score_fmt(const sirnn_fastgrnn *m, sirnn_fixfmt *fmt)
{
    sirnn_fg_public pub;
    sirnn_fg_plan plan;
    if (fmt == NULL) {
        sirnn_set_last_error("fastgrnn_score_fmt: NULL output");
        return SIRNN_ERR_ARG;
    }
    sirnn_status st = sirnn_fg_public_from_model(&pub, m);
    if (st == SIRNN_OK)
        st = sirnn_fg_plan_init(&plan, &pub);
    if (st != SIRNN_OK)
        return st;
    *fmt = (sirnn_fixfmt){(uint8_t)plan.b, (int8_t)plan.s_sc, true};
    return SIRNN_OK;
}
