/*
 * FastGRNN training: minibatch Adam on the softmax cross-entropy, BPTT in
 * float32, OpenMP over fixed slices of each minibatch. Every slice sums its
 * examples' gradients into its own buffer, and the slices are then added in
 * slice order, so the result does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/party_internal.h"
#include "nn/fastgrnn.h"

/* Slices per minibatch: enough for any thread count worth using here. */
#define TRAIN_SLICES 16

sirnn_train_opts sirnn_train_opts_default(void)
{
    sirnn_train_opts o;
    memset(&o, 0, sizeof(o));
    o.epochs = 12;
    o.batch = 64;
    o.lr = 0.008f;
    o.clip = 5.0f;
    o.threads = 0;
    o.seed = 1;
    o.per_feature = 0;
    o.pre_limit = 0.0f;
    o.pre_weight = 0.0f;
    return o;
}

/*
 * Per-feature normalisation, folded. Training reads feature j as
 * a_j x'_j + c_j, where x' is the model's own (global) normalisation; the
 * trained W then absorbs it: W' = W diag(a) (W2 for a low-rank W) and
 * W c joins both biases, since W x_t enters both pre-activations.
 */
void sirnn_fg_fold_features(sirnn_fastgrnn *m, const float *a, const float *c)
{
    const sirnn_fastgrnn_dims *d = &m->dims;
    const uint32_t H = d->hidden, D = d->input, rw = d->rank_w;
    float *w = rw != 0 ? m->t[SIRNN_FG_W2].f : m->t[SIRNN_FG_W].f;
    const uint32_t rows = rw != 0 ? rw : H;
    double wc[SIRNN_FG_MAX_HIDDEN];
    for (uint32_t r = 0; r < rows; r++) {
        double acc = 0.0;
        for (uint32_t j = 0; j < D; j++) {
            acc += (double)w[(size_t)r * D + j] * (double)c[j];
            w[(size_t)r * D + j] *= a[j];
        }
        wc[r] = acc;
    }
    for (uint32_t i = 0; i < H; i++) {
        double add = wc[i];
        if (rw != 0) {
            add = 0.0;
            for (uint32_t r = 0; r < rw; r++)
                add += (double)m->t[SIRNN_FG_W1].f[(size_t)i * rw + r] * wc[r];
        }
        m->t[SIRNN_FG_BZ].f[i] += (float)add;
        m->t[SIRNN_FG_BH].f[i] += (float)add;
    }
}

/* Test accuracy of m with the per-feature normalisation (a, c) folded into
 * a copy (a == NULL: m itself). */
static sirnn_status folded_accuracy(const sirnn_fastgrnn *m, const float *a, const float *c,
                                    double *acc, const sirnn_dataset *test, unsigned threads)
{
    if (a == NULL)
        return sirnn_fastgrnn_accuracy(m, acc, test, 0, threads);
    sirnn_fastgrnn *copy = NULL;
    sirnn_status st = sirnn_fastgrnn_new(&copy, &m->dims);
    if (st != SIRNN_OK)
        return st;
    memcpy(copy->params, m->params, m->nparams * sizeof(float));
    copy->in_mean = m->in_mean;
    copy->in_std = m->in_std;
    sirnn_fg_fold_features(copy, a, c);
    st = sirnn_fastgrnn_accuracy(copy, acc, test, 0, threads);
    sirnn_fastgrnn_free(copy);
    return st;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* off = W c (W1 (W2 c) for a low-rank W; off + H holds W2 c): the part of
 * W x_t that sirnn_fg_fold_features moves into the biases. */
static void fold_offset(const sirnn_fastgrnn *m, const float *c, float *off)
{
    const sirnn_fastgrnn_dims *d = &m->dims;
    const uint32_t H = d->hidden, D = d->input, rw = d->rank_w;
    const float *w = rw != 0 ? m->t[SIRNN_FG_W2].f : m->t[SIRNN_FG_W].f;
    float *v = rw != 0 ? off + H : off;
    for (uint32_t r = 0; r < (rw != 0 ? rw : H); r++) {
        double acc = 0.0;
        for (uint32_t j = 0; j < D; j++)
            acc += (double)w[(size_t)r * D + j] * (double)c[j];
        v[r] = (float)acc;
    }
    for (uint32_t i = 0; rw != 0 && i < H; i++) {
        double acc = 0.0;
        for (uint32_t r = 0; r < rw; r++)
            acc += (double)m->t[SIRNN_FG_W1].f[(size_t)i * rw + r] * (double)v[r];
        off[i] = (float)acc;
    }
}

typedef struct slice {
    sirnn_fg_work w;
    float *grad;
    double loss;
    size_t correct;
} slice;

sirnn_status sirnn_fastgrnn_train(sirnn_fastgrnn *m, const sirnn_train_opts *opts,
                                  const sirnn_dataset *train, const sirnn_dataset *test)
{
    if (m == NULL || m->params == NULL || opts == NULL || train == NULL) {
        sirnn_set_last_error("fastgrnn_train: NULL argument");
        return SIRNN_ERR_ARG;
    }
    const sirnn_fastgrnn_dims *d = &m->dims;
    if (train->n == 0 || train->images == NULL || train->labels == NULL ||
        train->rows != d->steps || train->cols != d->input) {
        sirnn_set_last_error("fastgrnn_train: the training set must hold %ux%u images (has %zu "
                             "of %ux%u)", (unsigned)d->steps, (unsigned)d->input, train->n,
                             (unsigned)train->rows, (unsigned)train->cols);
        return SIRNN_ERR_ARG;
    }
    if (test != NULL && test->n > 0 && (test->rows != d->steps || test->cols != d->input)) {
        sirnn_set_last_error("fastgrnn_train: test images are %ux%u, the model reads %ux%u",
                             (unsigned)test->rows, (unsigned)test->cols, (unsigned)d->steps,
                             (unsigned)d->input);
        return SIRNN_ERR_ARG;
    }
    for (size_t i = 0; i < train->n; i++)
        if (train->labels[i] >= d->classes) {
            sirnn_set_last_error("fastgrnn_train: label %u of example %zu, the model has %u "
                                 "classes", (unsigned)train->labels[i], i,
                                 (unsigned)d->classes);
            return SIRNN_ERR_ARG;
        }
    if (opts->epochs == 0 || opts->batch == 0 || !(opts->lr > 0.0f) || !isfinite(opts->lr) ||
        !(opts->clip >= 0.0f)) {
        sirnn_set_last_error("fastgrnn_train: epochs, batch and lr must be positive, clip >= 0");
        return SIRNN_ERR_ARG;
    }
    if (!(opts->pre_weight >= 0.0f) || !isfinite(opts->pre_weight) ||
        (opts->pre_weight > 0.0f && !(opts->pre_limit > 0.0f && isfinite(opts->pre_limit)))) {
        sirnn_set_last_error("fastgrnn_train: pre_weight must be >= 0, and pre_limit > 0 with it");
        return SIRNN_ERR_ARG;
    }
    sirnn_fg_drop_quant(m);

    /* Input normalisation from the training pixels (sequential: deterministic). */
    size_t per = (size_t)d->steps * d->input, npx = train->n * per;
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < npx; i++) {
        double v = train->images[i] / 255.0;
        sum += v;
        sum2 += v * v;
    }
    double mean = sum / (double)npx, var = sum2 / (double)npx - mean * mean;
    m->in_mean = (float)mean;
    m->in_std = (float)(var > 1e-12 ? sqrt(var) : 1.0);
    /* Per feature: x_j = (p_j / 255 - mu_j) / s_j = a_j x'_j + c_j. */
    float *fa = NULL, *fc = NULL;
    if (opts->per_feature) {
        const uint32_t D = d->input;
        double *fs = calloc(2 * (size_t)D, sizeof(double));
        fa = malloc(D * sizeof(float));
        fc = malloc(D * sizeof(float));
        if (fs == NULL || fa == NULL || fc == NULL) {
            free(fs);
            free(fa);
            free(fc);
            sirnn_set_last_error("fastgrnn_train: out of memory");
            return SIRNN_ERR_NOMEM;
        }
        for (size_t i = 0; i < npx; i++) {
            double v = train->images[i] / 255.0;
            fs[i % D] += v;
            fs[D + i % D] += v * v;
        }
        const double cnt = (double)(npx / D);
        for (uint32_t j = 0; j < D; j++) {
            double mj = fs[j] / cnt, vj = fs[D + j] / cnt - mj * mj;
            double sj = vj > 1e-12 ? sqrt(vj) : 1.0;
            fa[j] = (float)((double)m->in_std / sj);
            fc[j] = (float)(((double)m->in_mean - mj) / sj);
        }
        free(fs);
    }

    size_t np = m->nparams, n = train->n, B = opts->batch;
    size_t batches = (n + B - 1) / B;
    slice sl[TRAIN_SLICES];
    memset(sl, 0, sizeof(sl));
    float *grad = calloc(np, sizeof(float));
    /* W c: what folding moves out of W x_t (penalised as folded, below). */
    float *off = calloc((size_t)d->hidden + d->rank_w, sizeof(float));
    size_t *perm = malloc(n * sizeof(size_t));
    sirnn_adam adam;
    sirnn_status st = sirnn_adam_init(&adam, np);
    if (grad == NULL || perm == NULL || off == NULL)
        st = SIRNN_ERR_NOMEM;
    for (int s = 0; s < TRAIN_SLICES && st == SIRNN_OK; s++) {
        st = sirnn_fg_work_init(&sl[s].w, d);
        sl[s].w.pre_limit = opts->pre_limit;
        sl[s].w.pre_weight = opts->pre_weight;
        if (fa != NULL && opts->pre_weight > 0.0f) {
            sl[s].w.pre_off = off;
            sl[s].w.feat_off = fc;
        }
        if (st == SIRNN_OK && (sl[s].grad = calloc(np, sizeof(float))) == NULL)
            st = SIRNN_ERR_NOMEM;
    }
    if (st != SIRNN_OK) {
        sirnn_set_last_error("fastgrnn_train: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t rng = opts->seed ^ 0x7a11c0ffee5eedULL;
    int nt = sirnn_fg_threads(opts->threads);
    if (nt > TRAIN_SLICES)
        nt = TRAIN_SLICES;
    double t0 = now_s();
    size_t total_steps = (size_t)opts->epochs * batches, step = 0;
    sirnn_train_progress pr;
    memset(&pr, 0, sizeof(pr));
    pr.epochs = opts->epochs;
    pr.batches = batches;
    for (unsigned ep = 1; ep <= opts->epochs; ep++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(sirnn_fg_splitmix(&rng) % (uint64_t)(i + 1));
            size_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        double ep_loss = 0.0;
        size_t ep_correct = 0, ep_seen = 0;
        for (size_t b = 0; b < batches; b++, step++) {
            size_t lo = b * B, cnt = (lo + B <= n ? B : n - lo);
            if (fa != NULL && opts->pre_weight > 0.0f)
                fold_offset(m, fc, off);
#pragma omp parallel for num_threads(nt) schedule(static)
            for (int s = 0; s < TRAIN_SLICES; s++) {
                slice *S = &sl[s];
                size_t a = lo + cnt * (size_t)s / TRAIN_SLICES;
                size_t e = lo + cnt * (size_t)(s + 1) / TRAIN_SLICES;
                memset(S->grad, 0, np * sizeof(float));
                S->loss = 0.0;
                S->correct = 0;
                for (size_t k = a; k < e; k++) {
                    size_t ex = perm[k];
                    unsigned label = train->labels[ex];
                    sirnn_fg_normalise(m, S->w.x, train->images + ex * per, per);
                    if (fa != NULL)
                        for (size_t i = 0; i < per; i++)
                            S->w.x[i] = fa[i % d->input] * S->w.x[i] + fc[i % d->input];
                    sirnn_fg_forward1(m, &S->w, S->w.x, NULL);
                    S->correct += sirnn_fg_argmax(S->w.scores, d->classes) == label;
                    S->loss += (double)sirnn_fg_backward1(m, &S->w, S->w.x, label, S->grad);
                }
            }
            memcpy(grad, sl[0].grad, np * sizeof(float));
            for (int s = 1; s < TRAIN_SLICES; s++)
                for (size_t i = 0; i < np; i++)
                    grad[i] += sl[s].grad[i];
            float inv = 1.0f / (float)cnt;
            double norm2 = 0.0;
            for (size_t i = 0; i < np; i++) {
                grad[i] *= inv;
                norm2 += (double)grad[i] * (double)grad[i];
            }
            if (opts->clip > 0.0f && sqrt(norm2) > (double)opts->clip) {
                float f = (float)((double)opts->clip / sqrt(norm2));
                for (size_t i = 0; i < np; i++)
                    grad[i] *= f;
            }
            for (int s = 0; s < TRAIN_SLICES; s++) {
                ep_loss += sl[s].loss;
                ep_correct += sl[s].correct;
            }
            ep_seen += cnt;
            /* Cosine decay from lr to lr / 20 over the whole run. */
            double frac = (double)step / (double)total_steps;
            float lr = (float)((double)opts->lr *
                               (0.05 + 0.95 * 0.5 * (1.0 + cos(3.14159265358979323846 * frac))));
            sirnn_adam_step(&adam, m->params, grad, lr);
            if (!isfinite(ep_loss)) {
                sirnn_set_last_error("fastgrnn_train: the loss diverged in epoch %u (try a "
                                     "smaller --lr)", ep);
                st = SIRNN_ERR_ARG;
                goto done;
            }
            if (opts->progress != NULL) {
                pr.epoch = ep;
                pr.batch = b + 1;
                pr.loss = ep_loss / (double)ep_seen;
                pr.train_accuracy = (double)ep_correct / (double)ep_seen;
                pr.test_accuracy = -1.0;
                pr.elapsed_s = now_s() - t0;
                pr.left_s = pr.elapsed_s * (double)(total_steps - step - 1) / (double)(step + 1);
                pr.epoch_done = 0;
                opts->progress(opts->progress_ctx, &pr);
            }
        }
        pr.test_accuracy = -1.0;
        if (test != NULL && test->n > 0) {
            st = folded_accuracy(m, fa, fc, &pr.test_accuracy, test, opts->threads);
            if (st != SIRNN_OK)
                goto done;
        }
        if (opts->progress != NULL) {
            pr.epoch = ep;
            pr.batch = batches;
            pr.loss = ep_loss / (double)ep_seen;
            pr.train_accuracy = (double)ep_correct / (double)ep_seen;
            pr.elapsed_s = now_s() - t0;
            pr.left_s = pr.elapsed_s * (double)(total_steps - step) / (double)step;
            pr.epoch_done = 1;
            opts->progress(opts->progress_ctx, &pr);
        }
    }
    if (fa != NULL)
        sirnn_fg_fold_features(m, fa, fc);
done:
    free(fa);
    free(fc);
    for (int s = 0; s < TRAIN_SLICES; s++) {
        sirnn_fg_work_free(&sl[s].w);
        free(sl[s].grad);
    }
    sirnn_adam_free(&adam);
    free(grad);
    free(off);
    free(perm);
    return st;
}
