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
    return o;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

    size_t np = m->nparams, n = train->n, B = opts->batch;
    size_t batches = (n + B - 1) / B;
    slice sl[TRAIN_SLICES];
    memset(sl, 0, sizeof(sl));
    float *grad = calloc(np, sizeof(float));
    size_t *perm = malloc(n * sizeof(size_t));
    sirnn_adam adam;
    sirnn_status st = sirnn_adam_init(&adam, np);
    if (grad == NULL || perm == NULL)
        st = SIRNN_ERR_NOMEM;
    for (int s = 0; s < TRAIN_SLICES && st == SIRNN_OK; s++) {
        st = sirnn_fg_work_init(&sl[s].w, d);
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
            st = sirnn_fastgrnn_accuracy(m, &pr.test_accuracy, test, 0, opts->threads);
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
done:
    for (int s = 0; s < TRAIN_SLICES; s++) {
        sirnn_fg_work_free(&sl[s].w);
        free(sl[s].grad);
    }
    sirnn_adam_free(&adam);
    free(grad);
    free(perm);
    return st;
}
