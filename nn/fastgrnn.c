/*
 * FastGRNN: model layout, float forward and backward passes (BPTT), Adam,
 * batch inference and SeeDot-style quantisation.
 */
#include "nn/fastgrnn.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "net/party_internal.h"

/* ---- layout ---------------------------------------------------------------- */

sirnn_status sirnn_fg_check_dims(const sirnn_fastgrnn_dims *d, const char *what)
{
    if (d == NULL) {
        sirnn_set_last_error("%s: NULL dimensions", what);
        return SIRNN_ERR_ARG;
    }
#define FG_BOUND(field, lo, hi)                                                               \
    if ((long long)d->field < (long long)(lo) || d->field > (hi)) {                           \
        sirnn_set_last_error("%s: " #field " is %u, must be %u..%u", what, (unsigned)d->field, \
                             (unsigned)(lo), (unsigned)(hi));                                 \
        return SIRNN_ERR_ARG;                                                                 \
    }
    FG_BOUND(input, 1, SIRNN_FG_MAX_INPUT)
    FG_BOUND(steps, 1, SIRNN_FG_MAX_STEPS)
    FG_BOUND(hidden, 1, SIRNN_FG_MAX_HIDDEN)
    FG_BOUND(classes, 2, SIRNN_FG_MAX_CLASSES)
    FG_BOUND(rank_w, 0, (d->hidden < d->input ? d->hidden : d->input))
    FG_BOUND(rank_u, 0, d->hidden)
#undef FG_BOUND
    return SIRNN_OK;
}

void sirnn_fg_tensor_shape(const sirnn_fastgrnn_dims *d, int k, uint32_t *rows, uint32_t *cols)
{
    uint32_t r = 0, c = 0, H = d->hidden, D = d->input, rw = d->rank_w, ru = d->rank_u;
    switch (k) {
    case SIRNN_FG_W: if (rw == 0) { r = H; c = D; } break;
    case SIRNN_FG_W1: if (rw != 0) { r = H; c = rw; } break;
    case SIRNN_FG_W2: if (rw != 0) { r = rw; c = D; } break;
    case SIRNN_FG_U: if (ru == 0) { r = H; c = H; } break;
    case SIRNN_FG_U1: if (ru != 0) { r = H; c = ru; } break;
    case SIRNN_FG_U2: if (ru != 0) { r = ru; c = H; } break;
    case SIRNN_FG_BZ: case SIRNN_FG_BH: r = 1; c = H; break;
    case SIRNN_FG_ZETA: case SIRNN_FG_NU: r = 1; c = 1; break;
    case SIRNN_FG_FCW: r = d->classes; c = H; break;
    case SIRNN_FG_FCB: r = 1; c = d->classes; break;
    default: break;
    }
    *rows = r;
    *cols = c;
}

size_t sirnn_fg_param_count(const sirnn_fastgrnn_dims *d)
{
    size_t n = 0;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        uint32_t r, c;
        sirnn_fg_tensor_shape(d, k, &r, &c);
        n += (size_t)r * c;
    }
    return n;
}

static void fg_bind(sirnn_fastgrnn *m)
{
    size_t off = 0;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        sirnn_nn_tensor *t = &m->t[k];
        sirnn_fg_tensor_shape(&m->dims, k, &t->rows, &t->cols);
        t->f = m->params + off;
        t->q = m->qparams != NULL ? m->qparams + off : NULL;
        off += (size_t)t->rows * t->cols;
    }
}

sirnn_status sirnn_fastgrnn_new(sirnn_fastgrnn **out, const sirnn_fastgrnn_dims *dims)
{
    if (out == NULL) {
        sirnn_set_last_error("fastgrnn: NULL output");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    sirnn_status st = sirnn_fg_check_dims(dims, "fastgrnn");
    if (st != SIRNN_OK)
        return st;
    sirnn_fastgrnn *m = calloc(1, sizeof(*m));
    size_t n = sirnn_fg_param_count(dims);
    if (m == NULL || (m->params = calloc(n, sizeof(float))) == NULL) {
        free(m);
        sirnn_set_last_error("fastgrnn: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    m->dims = *dims;
    m->nparams = n;
    m->in_mean = 0.0f;
    m->in_std = 1.0f;
    fg_bind(m);
    *out = m;
    return SIRNN_OK;
}

void sirnn_fastgrnn_free(sirnn_fastgrnn *m)
{
    if (m == NULL)
        return;
    free(m->params);
    free(m->qparams);
    free(m);
}

sirnn_status sirnn_fg_alloc_quant(sirnn_fastgrnn *m)
{
    if (m->qparams == NULL) {
        m->qparams = calloc(m->nparams > 0 ? m->nparams : 1, sizeof(int32_t));
        if (m->qparams == NULL) {
            sirnn_set_last_error("fastgrnn: out of memory");
            return SIRNN_ERR_NOMEM;
        }
    }
    fg_bind(m);
    return SIRNN_OK;
}

void sirnn_fg_drop_quant(sirnn_fastgrnn *m)
{
    free(m->qparams);
    m->qparams = NULL;
    m->quantised = 0;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        m->t[k].maxabs = 0.0f;
        m->t[k].fmt = (sirnn_fixfmt){0, 0, false};
    }
    for (int k = 0; k < SIRNN_FG_NACTS; k++) {
        m->act_maxabs[k] = 0.0f;
        m->act_fmt[k] = (sirnn_fixfmt){0, 0, false};
    }
    m->gate_fmt = (sirnn_fixfmt){0, 0, false};
    fg_bind(m);
}

uint64_t sirnn_fg_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static float uniform_pm1(uint64_t *s)
{
    return (float)((double)(sirnn_fg_splitmix(s) >> 11) * 0x1.0p-52 - 1.0);
}

sirnn_status sirnn_fastgrnn_init(sirnn_fastgrnn *m, uint64_t seed)
{
    if (m == NULL) {
        sirnn_set_last_error("fastgrnn: NULL model");
        return SIRNN_ERR_ARG;
    }
    sirnn_fg_drop_quant(m);
    uint64_t s = seed ^ 0x5157a11ed0fa57ULL;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        sirnn_nn_tensor *t = &m->t[k];
        size_t n = (size_t)t->rows * t->cols;
        float fill = 0.0f, range = 0.0f;
        switch (k) {
        case SIRNN_FG_BZ: case SIRNN_FG_BH: fill = 1.0f; break;
        case SIRNN_FG_ZETA: fill = 1.0f; break;
        case SIRNN_FG_NU: fill = -4.0f; break;
        case SIRNN_FG_FCB: fill = 0.0f; break;
        default: /* Glorot uniform */
            range = n > 0 ? sqrtf(6.0f / (float)(t->rows + t->cols)) : 0.0f;
            break;
        }
        for (size_t i = 0; i < n; i++)
            t->f[i] = range > 0.0f ? range * uniform_pm1(&s) : fill;
    }
    return SIRNN_OK;
}

static float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

float sirnn_fastgrnn_zeta(const sirnn_fastgrnn *m)
{
    return sigmoidf(m->t[SIRNN_FG_ZETA].f[0]);
}

float sirnn_fastgrnn_nu(const sirnn_fastgrnn *m)
{
    return sigmoidf(m->t[SIRNN_FG_NU].f[0]);
}

void sirnn_fg_normalise(const sirnn_fastgrnn *m, float *x, const uint8_t *px, size_t n)
{
    float inv = 1.0f / m->in_std;
    for (size_t i = 0; i < n; i++)
        x[i] = ((float)px[i] * (1.0f / 255.0f) - m->in_mean) * inv;
}

int sirnn_fg_threads(unsigned threads)
{
    int p = threads > 0 ? (int)(threads > 256 ? 256 : threads) : omp_get_num_procs();
    return p > 0 ? p : 1;
}

/* ---- small dense kernels (fixed summation order: deterministic) ------------ */

static float dot(const float *a, const float *b, size_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++)
            acc[l] += a[i + l] * b[i + l];
    float s = 0.0f;
    for (; i < n; i++)
        s += a[i] * b[i];
    return s + (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
}

static void axpy(float *y, float a, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* out = M x, M rows x cols. */
static void matvec(float *out, const float *M, const float *x, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        out[r] = dot(M + r * cols, x, cols);
}

/* out += M^T y. */
static void matTvec_acc(float *out, const float *M, const float *y, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        axpy(out, y[r], M + r * cols, cols);
}

/* G += y x^T. */
static void outer_acc(float *G, const float *y, const float *x, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        axpy(G + r * cols, y[r], x, cols);
}

static void raise_max(float *act_max, int k, const float *v, size_t n)
{
    float mx = act_max[k];
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(v[i]);
        mx = a > mx ? a : mx;
    }
    act_max[k] = mx;
}

/* ---- per-example passes ---------------------------------------------------- */

sirnn_status sirnn_fg_work_init(sirnn_fg_work *w, const sirnn_fastgrnn_dims *d)
{
    memset(w, 0, sizeof(*w));
    size_t T = d->steps, H = d->hidden, rw = d->rank_w, ru = d->rank_u;
    size_t total = (T + 1) * H + 2 * T * H + T * rw + T * ru + 2 * H + 3 * H + rw + ru +
                   d->classes + T * d->input + 2 * T * H + H + H + rw;
    float *p = calloc(total, sizeof(float));
    if (p == NULL) {
        sirnn_set_last_error("fastgrnn: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    w->mem = p;
    w->h = p; p += (T + 1) * H;
    w->z = p; p += T * H;
    w->c = p; p += T * H;
    w->v = p; p += T * rw;
    w->u = p; p += T * ru;
    w->a = p; p += H;
    w->b = p; p += H;
    w->dh = p; p += H;
    w->dhp = p; p += H;
    w->dpre = p; p += H;
    w->dv = p; p += rw;
    w->du = p; p += ru;
    w->scores = p; p += d->classes;
    w->x = p; p += T * d->input;
    w->wx = p; p += T * H;
    w->uh = p; p += T * H;
    w->dpre_u = p; p += H;
    w->goff = p;
    return SIRNN_OK;
}

void sirnn_fg_work_free(sirnn_fg_work *w)
{
    free(w->mem);
    memset(w, 0, sizeof(*w));
}

void sirnn_fg_forward1(const sirnn_fastgrnn *m, sirnn_fg_work *w, const float *x,
                       float *act_max)
{
    const sirnn_fastgrnn_dims *d = &m->dims;
    size_t T = d->steps, H = d->hidden, D = d->input, rw = d->rank_w, ru = d->rank_u;
    const float *bz = m->t[SIRNN_FG_BZ].f, *bh = m->t[SIRNN_FG_BH].f;
    float zeta = sirnn_fastgrnn_zeta(m), nu = sirnn_fastgrnn_nu(m);
    memset(w->h, 0, H * sizeof(float));
    for (size_t t = 0; t < T; t++) {
        const float *xt = x + t * D, *hp = w->h + t * H;
        float *ht = w->h + (t + 1) * H, *zt = w->z + t * H, *ct = w->c + t * H;
        if (rw == 0) {
            matvec(w->a, m->t[SIRNN_FG_W].f, xt, H, D);
        } else {
            float *vt = w->v + t * rw;
            matvec(vt, m->t[SIRNN_FG_W2].f, xt, rw, D);
            matvec(w->a, m->t[SIRNN_FG_W1].f, vt, H, rw);
            if (act_max != NULL)
                raise_max(act_max, SIRNN_FG_ACT_W2X, vt, rw);
        }
        if (ru == 0) {
            matvec(w->b, m->t[SIRNN_FG_U].f, hp, H, H);
        } else {
            float *ut = w->u + t * ru;
            matvec(ut, m->t[SIRNN_FG_U2].f, hp, ru, H);
            matvec(w->b, m->t[SIRNN_FG_U1].f, ut, H, ru);
            if (act_max != NULL)
                raise_max(act_max, SIRNN_FG_ACT_U2H, ut, ru);
        }
        memcpy(w->wx + t * H, w->a, H * sizeof(float));
        memcpy(w->uh + t * H, w->b, H * sizeof(float));
        float mpz = 0.0f, mph = 0.0f;
        for (size_t i = 0; i < H; i++) {
            float s = w->a[i] + w->b[i];
            float pz = s + bz[i], ph = s + bh[i];
            float z = sigmoidf(pz), c = tanhf(ph);
            zt[i] = z;
            ct[i] = c;
            ht[i] = (zeta * (1.0f - z) + nu) * c + z * hp[i];
            mpz = fabsf(pz) > mpz ? fabsf(pz) : mpz;
            mph = fabsf(ph) > mph ? fabsf(ph) : mph;
        }
        if (act_max != NULL) {
            raise_max(act_max, SIRNN_FG_ACT_X, xt, D);
            raise_max(act_max, SIRNN_FG_ACT_WX, w->a, H);
            raise_max(act_max, SIRNN_FG_ACT_UH, w->b, H);
            act_max[SIRNN_FG_ACT_PRE_Z] = mpz > act_max[SIRNN_FG_ACT_PRE_Z] ? mpz : act_max[SIRNN_FG_ACT_PRE_Z];
            act_max[SIRNN_FG_ACT_PRE_H] = mph > act_max[SIRNN_FG_ACT_PRE_H] ? mph : act_max[SIRNN_FG_ACT_PRE_H];
            raise_max(act_max, SIRNN_FG_ACT_H, ht, H);
        }
    }
    const float *hT = w->h + T * H, *fcb = m->t[SIRNN_FG_FCB].f;
    matvec(w->scores, m->t[SIRNN_FG_FCW].f, hT, d->classes, H);
    for (size_t k = 0; k < d->classes; k++)
        w->scores[k] += fcb[k];
    if (act_max != NULL)
        raise_max(act_max, SIRNN_FG_ACT_SCORES, w->scores, d->classes);
}

float sirnn_fg_xent(const float *scores, unsigned classes, unsigned label)
{
    float mx = scores[0];
    for (unsigned k = 1; k < classes; k++)
        mx = scores[k] > mx ? scores[k] : mx;
    float se = 0.0f;
    for (unsigned k = 0; k < classes; k++)
        se += expf(scores[k] - mx);
    return mx + logf(se) - scores[label];
}

unsigned sirnn_fg_argmax(const float *scores, unsigned classes)
{
    unsigned best = 0;
    for (unsigned k = 1; k < classes; k++)
        if (scores[k] > scores[best])
            best = k;
    return best;
}

float sirnn_fg_backward1(const sirnn_fastgrnn *m, sirnn_fg_work *w, const float *x,
                         unsigned label, float *grad)
{
    const sirnn_fastgrnn_dims *d = &m->dims;
    size_t T = d->steps, H = d->hidden, D = d->input, rw = d->rank_w, ru = d->rank_u;
    unsigned C = d->classes;
    /* Gradient views, at the same offsets as the parameters. */
#define G(k) (grad + (m->t[k].f - m->params))
    float *ds = w->scores;
    float loss = sirnn_fg_xent(ds, C, label);
    float mx = ds[0];
    for (unsigned k = 1; k < C; k++)
        mx = ds[k] > mx ? ds[k] : mx;
    float se = 0.0f;
    for (unsigned k = 0; k < C; k++) {
        ds[k] = expf(ds[k] - mx);
        se += ds[k];
    }
    for (unsigned k = 0; k < C; k++)
        ds[k] = ds[k] / se - (k == label ? 1.0f : 0.0f);
    const float *hT = w->h + T * H;
    outer_acc(G(SIRNN_FG_FCW), ds, hT, C, H);
    axpy(G(SIRNN_FG_FCB), 1.0f, ds, C);
    memset(w->dh, 0, H * sizeof(float));
    matTvec_acc(w->dh, m->t[SIRNN_FG_FCW].f, ds, C, H);

    float zeta = sirnn_fastgrnn_zeta(m), nu = sirnn_fastgrnn_nu(m);
    float dzeta = 0.0f, dnu = 0.0f;
    float *gbz = G(SIRNN_FG_BZ), *gbh = G(SIRNN_FG_BH);
    const float lim = w->pre_limit, lam = w->pre_weight;
    const float *bz = m->t[SIRNN_FG_BZ].f, *bh = m->t[SIRNN_FG_BH].f;
    const float *off = lam > 0.0f ? w->pre_off : NULL;
    float *gsum = w->goff;
    if (off != NULL)
        memset(gsum, 0, H * sizeof(float));
    for (size_t t = T; t-- > 0;) {
        const float *xt = x + t * D, *hp = w->h + t * H, *zt = w->z + t * H, *ct = w->c + t * H;
        float *dh = w->dh, *dhp = w->dhp, *dpre = w->dpre;
        /* With the range penalty, W x_t and U h_{t-1} get different gradients. */
        float *dpu = lam > 0.0f ? w->dpre_u : dpre;
        for (size_t i = 0; i < H; i++) {
            float z = zt[i], c = ct[i], g = zeta * (1.0f - z) + nu;
            float dz = dh[i] * (hp[i] - zeta * c);
            float dc = dh[i] * g;
            dzeta += dh[i] * (1.0f - z) * c;
            dnu += dh[i] * c;
            float dpz = dz * z * (1.0f - z), dph = dc * (1.0f - c * c);
            if (lam > 0.0f) {
                /* W x_t enters pre_z and pre_h whole; alone, as folded. */
                const float a = w->wx[t * H + i], b = w->uh[t * H + i];
                const float p[4] = {a + b + bz[i], a + b + bh[i],
                                    a - (off != NULL ? off[i] : 0.0f), b};
                float gp[4];
                for (int k = 0; k < 4; k++) {
                    const float r = fabsf(p[k]) - lim;
                    gp[k] = r > 0.0f ? 2.0f * lam * copysignf(r, p[k]) : 0.0f;
                    loss += r > 0.0f ? lam * r * r : 0.0f;
                }
                dpz += gp[0];
                dph += gp[1];
                dpu[i] = dpz + dph + gp[3];
                dpre[i] = dpz + dph + gp[2];
                if (off != NULL)
                    gsum[i] += gp[2];
            } else {
                dpre[i] = dpz + dph;
            }
            gbz[i] += dpz;
            gbh[i] += dph;
            dhp[i] = dh[i] * z;
        }
        if (rw == 0) {
            outer_acc(G(SIRNN_FG_W), dpre, xt, H, D);
        } else {
            const float *vt = w->v + t * rw;
            outer_acc(G(SIRNN_FG_W1), dpre, vt, H, rw);
            memset(w->dv, 0, rw * sizeof(float));
            matTvec_acc(w->dv, m->t[SIRNN_FG_W1].f, dpre, H, rw);
            outer_acc(G(SIRNN_FG_W2), w->dv, xt, rw, D);
        }
        if (ru == 0) {
            outer_acc(G(SIRNN_FG_U), dpu, hp, H, H);
            matTvec_acc(dhp, m->t[SIRNN_FG_U].f, dpu, H, H);
        } else {
            const float *ut = w->u + t * ru;
            outer_acc(G(SIRNN_FG_U1), dpu, ut, H, ru);
            memset(w->du, 0, ru * sizeof(float));
            matTvec_acc(w->du, m->t[SIRNN_FG_U1].f, dpu, H, ru);
            outer_acc(G(SIRNN_FG_U2), w->du, hp, ru, H);
            matTvec_acc(dhp, m->t[SIRNN_FG_U2].f, w->du, ru, H);
        }
        w->dh = dhp;
        w->dhp = dh;
    }
    if (off != NULL) {
        /* The W c part of the folded W x_t: d/dW of -W c against gsum. */
        const float *c = w->feat_off;
        float *ng = w->goff + H;
        for (size_t i = 0; i < H; i++)
            gsum[i] = -gsum[i];
        if (rw == 0) {
            outer_acc(G(SIRNN_FG_W), gsum, c, H, D);
        } else {
            matvec(ng, m->t[SIRNN_FG_W2].f, c, rw, D); /* W2 c */
            outer_acc(G(SIRNN_FG_W1), gsum, ng, H, rw);
            memset(w->dv, 0, rw * sizeof(float));
            matTvec_acc(w->dv, m->t[SIRNN_FG_W1].f, gsum, H, rw);
            outer_acc(G(SIRNN_FG_W2), w->dv, c, rw, D);
        }
    }
    G(SIRNN_FG_ZETA)[0] += dzeta * zeta * (1.0f - zeta);
    G(SIRNN_FG_NU)[0] += dnu * nu * (1.0f - nu);
#undef G
    return loss;
}

/* ---- Adam ------------------------------------------------------------------ */

sirnn_status sirnn_adam_init(sirnn_adam *a, size_t n)
{
    memset(a, 0, sizeof(*a));
    a->m = calloc(n > 0 ? n : 1, sizeof(float));
    a->v = calloc(n > 0 ? n : 1, sizeof(float));
    if (a->m == NULL || a->v == NULL) {
        sirnn_adam_free(a);
        sirnn_set_last_error("adam: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    a->n = n;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    return SIRNN_OK;
}

void sirnn_adam_step(sirnn_adam *a, float *params, const float *grad, float lr)
{
    a->t++;
    double c1 = 1.0 - pow((double)a->beta1, (double)a->t);
    double c2 = 1.0 - pow((double)a->beta2, (double)a->t);
    float step = (float)((double)lr * sqrt(c2) / c1);
    float eps = (float)((double)a->eps * sqrt(c2));
    for (size_t i = 0; i < a->n; i++) {
        a->m[i] = a->beta1 * a->m[i] + (1.0f - a->beta1) * grad[i];
        a->v[i] = a->beta2 * a->v[i] + (1.0f - a->beta2) * grad[i] * grad[i];
        params[i] -= step * a->m[i] / (sqrtf(a->v[i]) + eps);
    }
}

void sirnn_adam_free(sirnn_adam *a)
{
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

/* ---- batch inference ------------------------------------------------------- */

static sirnn_status check_model(const sirnn_fastgrnn *m)
{
    if (m == NULL || m->params == NULL) {
        sirnn_set_last_error("fastgrnn: NULL model");
        return SIRNN_ERR_ARG;
    }
    return SIRNN_OK;
}

/* Shared body: inputs either pixels (px) or normalised floats (xf). act_max
 * (NULL or SIRNN_FG_NACTS floats) receives the profile. */
static sirnn_status run_batch(const sirnn_fastgrnn *m, size_t n, uint8_t *classes,
                              float *scores, const uint8_t *px, const float *xf,
                              unsigned threads, float *act_max)
{
    size_t per = (size_t)m->dims.steps * m->dims.input;
    unsigned C = m->dims.classes;
    int nt = sirnn_fg_threads(threads);
    if ((size_t)nt > n)
        nt = n > 0 ? (int)n : 1;
    float *maxes = act_max != NULL ? calloc((size_t)nt * SIRNN_FG_NACTS, sizeof(float)) : NULL;
    if (act_max != NULL && maxes == NULL) {
        sirnn_set_last_error("fastgrnn: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    int failed = 0;
#pragma omp parallel num_threads(nt)
    {
        sirnn_fg_work w;
        int ok = sirnn_fg_work_init(&w, &m->dims) == SIRNN_OK;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
        float *mx = maxes != NULL ? maxes + (size_t)omp_get_thread_num() * SIRNN_FG_NACTS : NULL;
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (!ok)
                continue;
            const float *x = xf != NULL ? xf + i * per : w.x;
            if (px != NULL)
                sirnn_fg_normalise(m, w.x, px + i * per, per);
            sirnn_fg_forward1(m, &w, x, mx);
            if (scores != NULL)
                memcpy(scores + i * C, w.scores, C * sizeof(float));
            if (classes != NULL)
                classes[i] = (uint8_t)sirnn_fg_argmax(w.scores, C);
        }
        sirnn_fg_work_free(&w);
    }
    if (act_max != NULL) {
        for (int t = 0; t < nt; t++)
            for (int k = 0; k < SIRNN_FG_NACTS; k++) {
                float v = maxes[(size_t)t * SIRNN_FG_NACTS + (size_t)k];
                act_max[k] = v > act_max[k] ? v : act_max[k];
            }
        free(maxes);
    }
    if (failed) {
        sirnn_set_last_error("fastgrnn: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_fastgrnn_predict(const sirnn_fastgrnn *m, size_t n, uint8_t *classes,
                                    float *scores, const uint8_t *images, unsigned threads)
{
    sirnn_status st = check_model(m);
    if (st != SIRNN_OK)
        return st;
    if (n > 0 && (images == NULL || (classes == NULL && scores == NULL))) {
        sirnn_set_last_error("fastgrnn_predict: NULL array with n > 0");
        return SIRNN_ERR_ARG;
    }
    if (classes != NULL && m->dims.classes > 256) {
        sirnn_set_last_error("fastgrnn_predict: %u classes do not fit uint8_t",
                             (unsigned)m->dims.classes);
        return SIRNN_ERR_ARG;
    }
    return run_batch(m, n, classes, scores, images, NULL, threads, NULL);
}

sirnn_status sirnn_fastgrnn_forward(const sirnn_fastgrnn *m, size_t n, float *scores,
                                    const float *x, unsigned threads)
{
    sirnn_status st = check_model(m);
    if (st != SIRNN_OK)
        return st;
    if (n > 0 && (x == NULL || scores == NULL)) {
        sirnn_set_last_error("fastgrnn_forward: NULL array with n > 0");
        return SIRNN_ERR_ARG;
    }
    return run_batch(m, n, NULL, scores, NULL, x, threads, NULL);
}

static sirnn_status check_data(const sirnn_fastgrnn *m, const sirnn_dataset *ds,
                               const char *what)
{
    if (ds == NULL || (ds->n > 0 && (ds->images == NULL || ds->labels == NULL))) {
        sirnn_set_last_error("%s: NULL dataset", what);
        return SIRNN_ERR_ARG;
    }
    if (ds->rows != m->dims.steps || ds->cols != m->dims.input) {
        sirnn_set_last_error("%s: %ux%u images, the model reads %u steps of %u", what,
                             (unsigned)ds->rows, (unsigned)ds->cols, (unsigned)m->dims.steps,
                             (unsigned)m->dims.input);
        return SIRNN_ERR_ARG;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_fastgrnn_accuracy(const sirnn_fastgrnn *m, double *accuracy,
                                     const sirnn_dataset *ds, size_t n, unsigned threads)
{
    sirnn_status st = check_model(m);
    if (st == SIRNN_OK)
        st = check_data(m, ds, "fastgrnn_accuracy");
    if (st != SIRNN_OK)
        return st;
    if (accuracy == NULL) {
        sirnn_set_last_error("fastgrnn_accuracy: NULL output");
        return SIRNN_ERR_ARG;
    }
    if (n == 0 || n > ds->n)
        n = ds->n;
    *accuracy = 0.0;
    if (n == 0)
        return SIRNN_OK;
    uint8_t *pred = malloc(n);
    if (pred == NULL) {
        sirnn_set_last_error("fastgrnn_accuracy: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    st = sirnn_fastgrnn_predict(m, n, pred, NULL, ds->images, threads);
    if (st == SIRNN_OK) {
        size_t ok = 0;
        for (size_t i = 0; i < n; i++)
            ok += pred[i] == ds->labels[i];
        *accuracy = (double)ok / (double)n;
    }
    free(pred);
    return st;
}

/* ---- quantisation ---------------------------------------------------------- */

sirnn_fixfmt sirnn_nn_choose_fmt(float maxabs, unsigned bits)
{
    sirnn_fixfmt f = {(uint8_t)bits, 0, true};
    if (bits < 2 || bits > 32)
        return (sirnn_fixfmt){0, 0, false};
    double qmax = ldexp(1.0, (int)bits - 1) - 1.0;
    double m = (double)fabsf(maxabs);
    if (!(m > 0.0) || !isfinite(m)) {
        f.scale = (int8_t)((int)bits - 1 < 60 ? (int)bits - 1 : 60);
        return f;
    }
    int s = (int)floor(log2(qmax / m));
    if (s > 60)
        s = 60;
    if (s < -60)
        s = -60;
    while (s > -60 && nearbyint(ldexp(m, s)) > qmax)
        s--;
    while (s < 60 && nearbyint(ldexp(m, s + 1)) <= qmax)
        s++;
    f.scale = (int8_t)s;
    return f;
}

static int32_t quantise_value(float v, sirnn_fixfmt f)
{
    double qmax = ldexp(1.0, (int)f.bits - 1) - 1.0;
    double q = nearbyint(ldexp((double)v, f.scale));
    q = q > qmax ? qmax : (q < -qmax ? -qmax : q);
    return (int32_t)q;
}

sirnn_status sirnn_fastgrnn_quantise(sirnn_fastgrnn *m, unsigned bits,
                                     const sirnn_dataset *calib, size_t n_calib,
                                     unsigned threads)
{
    sirnn_status st = check_model(m);
    if (st != SIRNN_OK)
        return st;
    if (bits < 2 || bits > 32) {
        sirnn_set_last_error("fastgrnn_quantise: bits must be 2..32 (got %u)", bits);
        return SIRNN_ERR_ARG;
    }
    if (calib != NULL && n_calib > 0) {
        st = check_data(m, calib, "fastgrnn_quantise");
        if (st != SIRNN_OK)
            return st;
    }
    sirnn_fg_drop_quant(m);
    st = sirnn_fg_alloc_quant(m);
    if (st != SIRNN_OK)
        return st;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        sirnn_nn_tensor *t = &m->t[k];
        size_t n = (size_t)t->rows * t->cols;
        if (n == 0)
            continue;
        float zeta_nu = 0.0f;
        if (k == SIRNN_FG_ZETA || k == SIRNN_FG_NU)
            zeta_nu = sigmoidf(t->f[0]);
        const float *src = (k == SIRNN_FG_ZETA || k == SIRNN_FG_NU) ? &zeta_nu : t->f;
        float mx = 0.0f;
        for (size_t i = 0; i < n; i++)
            mx = fabsf(src[i]) > mx ? fabsf(src[i]) : mx;
        t->maxabs = mx;
        t->fmt = sirnn_nn_choose_fmt(mx, bits);
        for (size_t i = 0; i < n; i++)
            t->q[i] = quantise_value(src[i], t->fmt);
    }
    if (calib != NULL && n_calib > 0) {
        size_t n = n_calib < calib->n ? n_calib : calib->n;
        float amax[SIRNN_FG_NACTS] = {0};
        st = run_batch(m, n, NULL, NULL, calib->images, NULL, threads, amax);
        if (st != SIRNN_OK) {
            sirnn_fg_drop_quant(m);
            return st;
        }
        for (int k = 0; k < SIRNN_FG_NACTS; k++) {
            if ((k == SIRNN_FG_ACT_W2X && m->dims.rank_w == 0) ||
                (k == SIRNN_FG_ACT_U2H && m->dims.rank_u == 0))
                continue;
            m->act_maxabs[k] = amax[k];
            m->act_fmt[k] = sirnn_nn_choose_fmt(amax[k], bits);
        }
    }
    m->quantised = 1;
    return SIRNN_OK;
}
