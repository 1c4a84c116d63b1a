/*
 * The fixed-point plan of FastGRNN inference (see nn/fg_plan.h): formats,
 * shifts, the public description sent to the client, and the server's
 * weights in the plan's layout.
 */
#include "nn/fg_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/party_internal.h"
#include "nn/session_msg.h"
#include "kernels/random.h"
#include "math/sigmoid_plan.h"
#include "nn/fastgrnn.h"
#include "math/sig_pair.h"
#include "sirnn/math.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

int64_t sirnn_fg_signed(uint64_t v, unsigned b)
{
    v &= mask_of(b);
    if (b < 64 && (v >> (b - 1)) != 0)
        return (int64_t)(v | ~mask_of(b));
    return (int64_t)v;
}

static unsigned ceil_log2(size_t n)
{
    unsigned r = 0;
    while (((size_t)1 << r) < n)
        r++;
    return r;
}

/* ---- the public description ---------------------------------------------- */

static int fmt_set(sirnn_fixfmt f)
{
    return f.bits != 0;
}

sirnn_status sirnn_fg_public_from_model(sirnn_fg_public *pub, const sirnn_fastgrnn *m)
{
    memset(pub, 0, sizeof(*pub));
    if (m == NULL || !m->quantised || m->qparams == NULL) {
        sirnn_set_last_error("fastgrnn: the model is not quantised");
        return SIRNN_ERR_ARG;
    }
    pub->dims = m->dims;
    pub->in_mean = m->in_mean;
    pub->in_std = m->in_std;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++)
        pub->tfmt[k] = m->t[k].fmt;
    for (int k = 0; k < SIRNN_FG_NACTS; k++)
        pub->afmt[k] = m->act_fmt[k];
    pub->gate = m->gate_fmt;
    pub->fold = m->state_fold != 0;
    return SIRNN_OK;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void sirnn_fg_public_encode(uint8_t *buf, const sirnn_fg_public *pub)
{
    const sirnn_fastgrnn_dims *d = &pub->dims;
    uint32_t dims[6] = {d->input, d->steps, d->hidden, d->rank_w, d->rank_u, d->classes};
    for (int i = 0; i < 6; i++)
        sirnn_nn_put32(buf + 4 * i, dims[i]);
    sirnn_nn_put32(buf + 24, float_bits(pub->in_mean));
    sirnn_nn_put32(buf + 28, float_bits(pub->in_std));
    uint8_t *p = buf + 32;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        *p++ = pub->tfmt[k].bits;
        *p++ = (uint8_t)pub->tfmt[k].scale;
    }
    for (int k = 0; k < SIRNN_FG_NACTS; k++) {
        *p++ = pub->afmt[k].bits;
        *p++ = (uint8_t)pub->afmt[k].scale;
    }
    *p++ = pub->gate.bits;
    *p++ = (uint8_t)pub->gate.scale;
    *p = pub->fold ? 1 : 0;
}

sirnn_status sirnn_fg_public_decode(sirnn_fg_public *pub, const uint8_t *buf)
{
    memset(pub, 0, sizeof(*pub));
    sirnn_fastgrnn_dims *d = &pub->dims;
    d->input = sirnn_nn_get32(buf);
    d->steps = sirnn_nn_get32(buf + 4);
    d->hidden = sirnn_nn_get32(buf + 8);
    d->rank_w = sirnn_nn_get32(buf + 12);
    d->rank_u = sirnn_nn_get32(buf + 16);
    d->classes = sirnn_nn_get32(buf + 20);
    sirnn_status st = sirnn_fg_check_dims(d, "fastgrnn public model");
    if (st != SIRNN_OK)
        return st;
    pub->in_mean = bits_float(sirnn_nn_get32(buf + 24));
    pub->in_std = bits_float(sirnn_nn_get32(buf + 28));
    if (!isfinite(pub->in_mean) || !isfinite(pub->in_std) || !(pub->in_std > 0.0f)) {
        sirnn_set_last_error("fastgrnn public model: bad input normalisation");
        return SIRNN_ERR_ARG;
    }
    const uint8_t *p = buf + 32;
    for (int k = 0; k <= SIRNN_FG_NTENSORS + SIRNN_FG_NACTS; k++) {
        sirnn_fixfmt f = {p[0], (int8_t)p[1], p[0] != 0};
        p += 2;
        if (f.bits > 32 || f.scale < -60 || f.scale > 60) {
            sirnn_set_last_error("fastgrnn public model: bad format %d (%u bits, scale %d)", k,
                                 (unsigned)f.bits, (int)f.scale);
            return SIRNN_ERR_ARG;
        }
        if (k < SIRNN_FG_NTENSORS)
            pub->tfmt[k] = f;
        else if (k < SIRNN_FG_NTENSORS + SIRNN_FG_NACTS)
            pub->afmt[k - SIRNN_FG_NTENSORS] = f;
        else
            pub->gate = f; /* checked by the plan */
    }
    if (*p > 1) {
        sirnn_set_last_error("fastgrnn public model: bad state fold %u", (unsigned)*p);
        return SIRNN_ERR_ARG;
    }
    pub->fold = *p;
    return SIRNN_OK;
}

/* ---- the plan --------------------------------------------------------------- */

/* A product of A (m bits, scale s_in) by W (format wf, inner dimension d2,
 * d3 outputs) rescaled to s_out in lout bits. */
static sirnn_status mm_make(sirnn_fg_mm *mm, const char *what, unsigned m, int s_in,
                            sirnn_fixfmt wf, size_t d2, size_t d3, int s_out, unsigned lout)
{
    memset(mm, 0, sizeof(*mm));
    if (!fmt_set(wf)) {
        sirnn_set_last_error("fastgrnn plan: %s has no format", what);
        return SIRNN_ERR_ARG;
    }
    const unsigned la = m + wf.bits + ceil_log2(d2);
    const int s_prod = s_in + wf.scale;
    int s = 0, up = 0;
    if (s_prod >= s_out)
        s = s_prod - s_out;
    else
        up = s_out - s_prod;
    if (la > 64 || (unsigned)s + 2 > la || (unsigned)up >= lout) {
        sirnn_set_last_error("fastgrnn plan: %s cannot go from scale %d to %d in %u bits", what,
                             s_prod, s_out, lout);
        return SIRNN_ERR_ARG;
    }
    mm->m = m;
    mm->k = wf.bits;
    mm->s = (unsigned)s;
    mm->up = (unsigned)up;
    mm->lout = lout;
    mm->lmm = lout < la - (unsigned)s ? lout : la - (unsigned)s;
    mm->d2 = d2;
    mm->d3 = d3;
    return SIRNN_OK;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

sirnn_status sirnn_fg_plan_init(sirnn_fg_plan *p, const sirnn_fg_public *pub)
{
    memset(p, 0, sizeof(*p));
    const sirnn_fastgrnn_dims *d = &pub->dims;
    sirnn_status st = sirnn_fg_check_dims(d, "fastgrnn plan");
    if (st != SIRNN_OK)
        return st;
    p->d = *d;
    const sirnn_fixfmt *a = pub->afmt, *t = pub->tfmt;
    const int need[] = {SIRNN_FG_ACT_X,     SIRNN_FG_ACT_WX,    SIRNN_FG_ACT_UH,
                        SIRNN_FG_ACT_PRE_Z, SIRNN_FG_ACT_PRE_H, SIRNN_FG_ACT_H,
                        SIRNN_FG_ACT_SCORES};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!fmt_set(a[need[i]])) {
            sirnn_set_last_error("fastgrnn plan: no activation formats (quantise the model "
                                 "with calibration data)");
            return SIRNN_ERR_ARG;
        }
    if ((d->rank_w > 0 && !fmt_set(a[SIRNN_FG_ACT_W2X])) ||
        (d->rank_u > 0 && !fmt_set(a[SIRNN_FG_ACT_U2H]))) {
        sirnn_set_last_error("fastgrnn plan: no low-rank activation formats");
        return SIRNN_ERR_ARG;
    }
    const unsigned b = a[SIRNN_FG_ACT_H].bits;
    if (b < 8 || b > 21) {
        sirnn_set_last_error("fastgrnn plan: %u-bit activations; secure inference needs 8..21",
                             b);
        return SIRNN_ERR_ARG;
    }
    if (d->classes >= (1u << (b - 1))) {
        sirnn_set_last_error("fastgrnn plan: %u classes do not fit %u-bit indices",
                             (unsigned)d->classes, b);
        return SIRNN_ERR_ARG;
    }
    p->b = b;
    p->sx = a[SIRNN_FG_ACT_X].scale;
    /* One bit of headroom over the profiled ranges; the pre-activations get
     * it twice over, since tanh reads 2 pre_h. */
    p->s_pre = imin(imin(a[SIRNN_FG_ACT_WX].scale, a[SIRNN_FG_ACT_UH].scale),
                    imin(a[SIRNN_FG_ACT_PRE_Z].scale, a[SIRNN_FG_ACT_PRE_H].scale)) -
               1;
    p->sh = imin(a[SIRNN_FG_ACT_H].scale - 1, (int)b - 3);
    /* The gates' scale: b - 2, or the model's coarser gate format. */
    p->sz = (int)b - 2;
    if (fmt_set(pub->gate)) {
        if (pub->gate.bits != b || pub->gate.scale < 5 || pub->gate.scale > (int)b - 2) {
            sirnn_set_last_error("fastgrnn plan: gate format %u/%d (needs %u bits and scale "
                                 "5..%u)", (unsigned)pub->gate.bits, (int)pub->gate.scale, b,
                                 b - 2);
            return SIRNN_ERR_ARG;
        }
        p->sz = pub->gate.scale;
    }
    p->sc = p->sz;
    p->s_zn = imin((int)b - 2, (int)b + p->sh - 2 - p->sc);
    p->sw = p->sc + p->s_zn;
    p->s_sc = a[SIRNN_FG_ACT_SCORES].scale - 1;
    if (p->sh < 1 || p->s_zn < 1) {
        sirnn_set_last_error("fastgrnn plan: the hidden state's range is too large (scale %d)",
                             a[SIRNN_FG_ACT_H].scale);
        return SIRNN_ERR_ARG;
    }
    if (p->s_pre < 0 || p->s_pre > 31) {
        sirnn_set_last_error("fastgrnn plan: pre-activation scale %d out of range", p->s_pre);
        return SIRNN_ERR_ARG;
    }
    p->s_h = (unsigned)(p->sz + p->sw - p->sh);
    p->lr = b + p->s_h;
    p->f_pre = (sirnn_fixfmt){(uint8_t)b, (int8_t)p->s_pre, true};
    p->f_z = (sirnn_fixfmt){(uint8_t)b, (int8_t)p->sz, true};
    p->f_c = p->f_z;
    {
        uint64_t x0 = 0, y0 = 0;
        if (sirnn_ref_sigmoid(1, &y0, &x0, p->f_pre, p->f_z) != SIRNN_OK) {
            sirnn_set_last_error("fastgrnn plan: sigmoid refuses the formats %u/%d -> %u/%d", b,
                                 p->s_pre, b, p->sz);
            return SIRNN_ERR_ARG;
        }
    }

    const size_t H = d->hidden, D = d->input, C = d->classes;
    if (d->rank_w == 0) {
        st = mm_make(&p->w, "W", b, p->sx, t[SIRNN_FG_W], D, H, p->s_pre, b);
    } else {
        const int s_v = a[SIRNN_FG_ACT_W2X].scale - 1;
        st = mm_make(&p->w2, "W2", b, p->sx, t[SIRNN_FG_W2], D, d->rank_w, s_v, b);
        if (st == SIRNN_OK)
            st = mm_make(&p->w1, "W1", b, s_v, t[SIRNN_FG_W1], d->rank_w, H, p->s_pre, b);
    }
    if (st != SIRNN_OK)
        return st;
    if (d->rank_u == 0) {
        st = mm_make(&p->u, "U", b, p->sh, t[SIRNN_FG_U], H, H, p->s_pre, b);
    } else {
        const int s_u = a[SIRNN_FG_ACT_U2H].scale - 1;
        st = mm_make(&p->u2, "U2", b, p->sh, t[SIRNN_FG_U2], H, d->rank_u, s_u, b);
        if (st == SIRNN_OK)
            st = mm_make(&p->u1, "U1", b, s_u, t[SIRNN_FG_U1], d->rank_u, H, p->s_pre, b);
    }
    if (st == SIRNN_OK)
        st = mm_make(&p->fc, "FC", b, p->sh, t[SIRNN_FG_FCW], H, C, p->s_sc, b);
    if (st != SIRNN_OK)
        return st;
    /* The products that read h take h16 with its MSB shares from the
     * truncation of R; U1 takes U2's output with its MSB shares from U2's
     * truncation when that truncation produces the output directly. */
    p->hw = 2 * b;
    /* The client's inputs come with their MSB shares (it holds them whole:
     * shares (0, x)). W1 takes W2's output without them: over all B T rows
     * the comparison costs fewer bits than W2's sign-producing truncation
     * and the two M2W rows of d3 = H outputs each, and W runs once. */
    if (d->rank_w == 0)
        p->w.msb_in = 1;
    else
        p->w2.msb_in = 1;
    if (d->rank_u == 0)
        p->u.msb_in = 1;
    else
        p->u2.msb_in = 1;
    p->fc.msb_in = 1;
    {
        const sirnn_fg_mm *wl = d->rank_w == 0 ? &p->w : &p->w1;
        const sirnn_fg_mm *ul = d->rank_u == 0 ? &p->u : &p->u1;
        if (wl->s > 0 && ul->s > 0 && wl->up == 0 && ul->up == 0 && wl->lmm == b &&
            ul->lmm == b && wl->lout == b && ul->lout == b) {
            p->fuse = 1;
            p->e_fuse = wl->s > ul->s ? wl->s : ul->s;
            p->fuse_act = sirnn_sigmoid_pair_tr_fits(p->e_fuse, p->f_pre, p->f_z);
        }
    }
    p->lv = p->lr;
    if (pub->fold && p->fuse_act && d->rank_u == 0 && p->u.s + p->lr <= 64 &&
        p->u.s + p->s_h >= (d->rank_w == 0 ? p->w.s : p->w1.s) &&
        sirnn_sigmoid_pair_tr_fits(p->u.s + p->s_h, p->f_pre, p->f_z)) {
        /* the state fold (fg_plan.h) */
        p->fold = 1;
        p->e_fuse = p->u.s + p->s_h;
        p->lv = p->e_fuse + b;
    }
    if (d->rank_u > 0 && p->u2.s > 0 && p->u2.up == 0 && p->u2.lmm == p->u2.lout) {
        p->u2.sign_out = 1;
        p->u1.msb_in = 1;
        /* the state fold with low-rank U (fg_plan.h): U1' U2' R in one ring
         * of lv = e_fuse + b <= 63 bits, e_fuse = u2.s + u1.s + s_h - the
         * bits rounded off the weights, the largest the sigmoid's digits
         * take */
        const unsigned e0 = p->u2.s + p->u1.s + p->s_h;
        const unsigned sw_ = d->rank_w == 0 ? p->w.s : p->w1.s;
        unsigned e = e0 < 63 - b ? e0 : 63 - b;
        while (e > sw_ && !sirnn_sigmoid_pair_tr_fits(e, p->f_pre, p->f_z))
            e--;
        const unsigned drop = e0 - e, dr2 = drop / 2, dr1 = drop - dr2;
        if (pub->fold && p->fuse_act && p->u2.lout == b && p->u1.up == 0 && e >= sw_ &&
            sirnn_sigmoid_pair_tr_fits(e, p->f_pre, p->f_z) && dr1 + 4 <= p->u1.k &&
            dr2 + 4 <= p->u2.k) {
            p->fold = 1;
            p->e_fuse = e;
            p->lv = e + b;
            p->dr1 = dr1;
            p->dr2 = dr2;
            p->fk1 = p->u1.k - dr1 + (dr1 > 0);
            p->fk2 = p->u2.k - dr2 + (dr2 > 0);
        }
    }
    const int need_t[] = {SIRNN_FG_BZ, SIRNN_FG_BH, SIRNN_FG_ZETA, SIRNN_FG_NU, SIRNN_FG_FCB};
    for (size_t i = 0; i < sizeof(need_t) / sizeof(need_t[0]); i++)
        if (!fmt_set(t[need_t[i]])) {
            sirnn_set_last_error("fastgrnn plan: tensor %d has no format", need_t[i]);
            return SIRNN_ERR_ARG;
        }

    /* The client's input table: the float normalisation of nn.h, then
     * round-to-nearest at scale sx, saturated. */
    const double qmax = ldexp(1.0, (int)b - 1) - 1.0;
    /* The normalisation comes from the peer's model description: refuse what
     * would make the table NaN or undefined (a lying server must not reach
     * a float-to-integer conversion out of range). */
    if (!isfinite(pub->in_mean) || !isfinite(pub->in_std) || !(pub->in_std > 1e-20f) ||
        !isfinite(1.0f / pub->in_std)) {
        sirnn_set_last_error("fastgrnn plan: input normalisation not finite and positive");
        return SIRNN_ERR_ARG;
    }
    const float inv = 1.0f / pub->in_std;
    for (unsigned v = 0; v < 256; v++) {
        float x = ((float)v * (1.0f / 255.0f) - pub->in_mean) * inv;
        double q = nearbyint(ldexp((double)x, p->sx));
        q = q > qmax ? qmax : (q < -qmax ? -qmax : q);
        p->xtab[v] = (uint64_t)(int64_t)q & mask_of(b);
    }
    return SIRNN_OK;
}

/* ---- the gates' format ------------------------------------------------------ */

/* Whether the plan of m (with its current gate format) can be made; the
 * plan in *p. */
static sirnn_status plan_of(sirnn_fg_plan *p, const sirnn_fastgrnn *m)
{
    sirnn_fg_public pub;
    sirnn_status st = sirnn_fg_public_from_model(&pub, m);
    return st != SIRNN_OK ? st : sirnn_fg_plan_init(p, &pub);
}

/* The largest gate scale in [b - 6, b - 2] at which the sigmoid from the
 * pre-activation format f_pre takes the line path, 0 if none (or if b - 2
 * already does: nothing to set). */
static int cheap_gate_scale(const sirnn_fg_plan *p)
{
    sirnn_sig_plan *sp = malloc(sizeof(*sp));
    if (sp == NULL)
        return -1;
    char err[160];
    int found = 0;
    for (int so = (int)p->b - 2; so >= (int)p->b - 6 && so >= 5 && !found; so--) {
        const sirnn_fixfmt fo = {(uint8_t)p->b, (int8_t)so, true};
        if (sirnn_sig_plan_init(sp, 0, p->f_pre, fo, err, sizeof(err)) == SIRNN_OK &&
            sp->deg == 1)
            found = so;
    }
    free(sp);
    return found == (int)p->b - 2 ? 0 : found;
}

sirnn_status sirnn_fastgrnn_set_gate_scale(sirnn_fastgrnn *m, int scale)
{
    if (m == NULL || !m->quantised || m->qparams == NULL) {
        sirnn_set_last_error("fastgrnn gate scale: the model is not quantised");
        return SIRNN_ERR_ARG;
    }
    const unsigned b = m->act_fmt[SIRNN_FG_ACT_H].bits;
    if (scale != 0 && scale != SIRNN_FG_GATE_CHEAP && (b == 0 || scale < 5 || scale > (int)b - 2)) {
        sirnn_set_last_error("fastgrnn gate scale: %d is outside 5..%d", scale, (int)b - 2);
        return SIRNN_ERR_ARG;
    }
    const sirnn_fixfmt old = m->gate_fmt;
    m->gate_fmt = (sirnn_fixfmt){0, 0, false};
    sirnn_fg_plan plan;
    sirnn_status st = plan_of(&plan, m);
    if (st == SIRNN_OK && scale == SIRNN_FG_GATE_CHEAP) {
        scale = cheap_gate_scale(&plan);
        if (scale < 0) {
            sirnn_set_last_error("fastgrnn gate scale: out of memory");
            st = SIRNN_ERR_NOMEM;
        }
    }
    if (st == SIRNN_OK && scale > 0) {
        m->gate_fmt = (sirnn_fixfmt){(uint8_t)b, (int8_t)scale, true};
        st = plan_of(&plan, m);
    }
    if (st != SIRNN_OK)
        m->gate_fmt = old;
    return st;
}

sirnn_status sirnn_fastgrnn_set_state_fold(sirnn_fastgrnn *m, int on)
{
    if (m == NULL || (on != 0 && on != 1)) {
        sirnn_set_last_error("fastgrnn state fold: %s", m == NULL ? "NULL model" : "not 0 or 1");
        return SIRNN_ERR_ARG;
    }
    m->state_fold = on;
    return SIRNN_OK;
}

/* ---- the server's weights ------------------------------------------------- */

/* round(q * 2^shift), saturated to b bits, as a b-bit value. */
static uint64_t rescale(int32_t q, int shift, unsigned b)
{
    const double qmax = ldexp(1.0, (int)b - 1) - 1.0;
    double v = nearbyint(ldexp((double)q, shift));
    v = v > qmax ? qmax : (v < -qmax ? -qmax : v);
    return (uint64_t)(int64_t)v & mask_of(b);
}

/* dst (cols x rows) = src^T (rows x cols), two's complement in uint64. */
static void transpose_q(uint64_t *dst, const sirnn_nn_tensor *t)
{
    for (uint32_t r = 0; r < t->rows; r++)
        for (uint32_t c = 0; c < t->cols; c++)
            dst[(size_t)c * t->rows + r] = (uint64_t)(int64_t)t->q[(size_t)r * t->cols + c];
}

sirnn_status sirnn_fg_weights_init(sirnn_fg_weights *w, const sirnn_fg_plan *p,
                                   const sirnn_fastgrnn *m)
{
    memset(w, 0, sizeof(*w));
    if (m == NULL || !m->quantised || m->qparams == NULL) {
        sirnn_set_last_error("fastgrnn: the model is not quantised");
        return SIRNN_ERR_ARG;
    }
    const size_t H = p->d.hidden, C = p->d.classes;
    const int mats[] = {SIRNN_FG_W, SIRNN_FG_W1, SIRNN_FG_W2, SIRNN_FG_U,
                        SIRNN_FG_U1, SIRNN_FG_U2, SIRNN_FG_FCW};
    uint64_t **dst[] = {&w->w, &w->w1, &w->w2, &w->u, &w->u1, &w->u2, &w->fc};
    size_t total = 2 * H + C;
    for (size_t i = 0; i < 7; i++)
        total += (size_t)m->t[mats[i]].rows * m->t[mats[i]].cols;
    w->mem = calloc(total, sizeof(uint64_t));
    w->nmem = total;
    if (w->mem == NULL) {
        sirnn_set_last_error("fastgrnn: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    uint64_t *q = w->mem;
    for (size_t i = 0; i < 7; i++) {
        const sirnn_nn_tensor *t = &m->t[mats[i]];
        size_t n = (size_t)t->rows * t->cols;
        if (n == 0)
            continue;
        *dst[i] = q;
        transpose_q(q, t);
        q += n;
    }
    if (p->fold && p->d.rank_u > 0) {
        /* the low-rank fold's U1', U2': rounded by dr1, dr2 bits (fg_plan.h) */
        const size_t nu = (size_t)p->d.rank_u * H;
        const unsigned dr[2] = {p->dr1, p->dr2}, fk[2] = {p->fk1, p->fk2};
        uint64_t *ws[2] = {w->u1, w->u2};
        for (int m2 = 0; m2 < 2; m2++)
            for (size_t i = 0; dr[m2] > 0 && i < nu; i++) {
                const int64_t v = (int64_t)ws[m2][i] + ((int64_t)1 << (dr[m2] - 1));
                ws[m2][i] = (uint64_t)(v >> dr[m2]) & mask_of(fk[m2]);
            }
    }
    w->bz = q;
    q += H;
    w->bh = q;
    q += H;
    w->fcb = q;
    const sirnn_nn_tensor *bz = &m->t[SIRNN_FG_BZ], *bh = &m->t[SIRNN_FG_BH],
                          *fcb = &m->t[SIRNN_FG_FCB];
    for (size_t j = 0; j < H; j++) {
        w->bz[j] = rescale(bz->q[j], p->s_pre - bz->fmt.scale, p->b);
        w->bh[j] = rescale(bh->q[j], p->s_pre - bh->fmt.scale, p->b);
    }
    for (size_t k = 0; k < C; k++)
        w->fcb[k] = rescale(fcb->q[k], p->s_sc - fcb->fmt.scale, p->b);
    const sirnn_nn_tensor *zt = &m->t[SIRNN_FG_ZETA], *nt = &m->t[SIRNN_FG_NU];
    const double zeta = ldexp((double)zt->q[0], p->s_zn - zt->fmt.scale);
    const double nu = ldexp((double)nt->q[0], p->s_zn - nt->fmt.scale);
    const double qmax = ldexp(1.0, (int)p->b - 1) - 1.0;
    double zq = nearbyint(zeta), znq = nearbyint(zeta + nu);
    zq = zq > qmax ? qmax : (zq < -qmax ? -qmax : zq);
    znq = znq > qmax ? qmax : (znq < -qmax ? -qmax : znq);
    w->zeta = (uint64_t)(int64_t)zq & mask_of(p->b);
    w->zn = (uint64_t)(int64_t)znq & mask_of(p->b);
    return SIRNN_OK;
}

void sirnn_fg_weights_free(sirnn_fg_weights *w)
{
    if (w->mem != NULL) {
        sirnn_memzero(w->mem, w->nmem * sizeof(uint64_t));
        free(w->mem);
    }
    memset(w, 0, sizeof(*w));
}
