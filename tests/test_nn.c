/*
 * Cleartext FastGRNN: IDX parsing (good and corrupt gzipped files written
 * here), the backward pass against finite differences, Adam, training on a
 * tiny task, quantisation formats, the model file (round trip; truncation
 * at every byte, every bit flipped, wrong version, wrong dimensions), and
 * the shipped model's accuracy on Fashion-MNIST.
 */
#include "tests/harness.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "math/sigmoid_plan.h"
#include "nn/fashion.h"
#include "nn/fastgrnn.h"
#include "nn/fg_plan.h"
#include "nn/model_file.h"

#define SHIPPED_MODEL "models/fashion_fastgrnn.sirnn"

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sirnn_test_nn_XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        if (len > 0)
            assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
    }
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An IDX image file of n rows x cols images (pixels from rng) into buf;
 * returns its length. */
static size_t make_idx_images(uint8_t *buf, uint32_t n, uint32_t rows, uint32_t cols,
                              test_rng *rng)
{
    put_be32(buf, SIRNN_IDX_MAGIC_IMAGES);
    put_be32(buf + 4, n);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    test_rng_bytes(rng, buf + 16, (size_t)n * rows * cols);
    return 16 + (size_t)n * rows * cols;
}

static size_t make_idx_labels(uint8_t *buf, uint32_t n, test_rng *rng)
{
    put_be32(buf, SIRNN_IDX_MAGIC_LABELS);
    put_be32(buf + 4, n);
    for (uint32_t i = 0; i < n; i++)
        buf[8 + i] = (uint8_t)test_rng_below(rng, 10);
    return 8 + n;
}

/* Load (img, lab) and expect status want; on success compare with the sources. */
static void expect_load(const char *img, const char *lab, sirnn_status want)
{
    sirnn_dataset ds;
    sirnn_status st = sirnn_dataset_load_idx(&ds, img, lab, 0);
    if (st != want)
        fail_msg("loading %s / %s: status %d, expected %d (%s)", img, lab, (int)st, (int)want,
                 sirnn_last_error());
    if (st != SIRNN_OK) {
        assert_true(strlen(sirnn_last_error()) > 0);
        assert_null(ds.images);
        assert_null(ds.labels);
        assert_int_equal(ds.n, 0);
    }
    sirnn_dataset_free(&ds);
}

static void test_idx_files(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x1d);
    const uint32_t n = 7, rows = 5, cols = 3;
    uint8_t img[16 + 7 * 5 * 3 + 8] = {0}, lab[8 + 7 + 4] = {0};
    size_t il = make_idx_images(img, n, rows, cols, &rng);
    size_t ll = make_idx_labels(lab, n, &rng);
    char pi[128], pl[128], pbad[128], pmiss[128];
    tmp_path(pi, sizeof(pi), "img.gz");
    tmp_path(pl, sizeof(pl), "lab.gz");
    tmp_path(pbad, sizeof(pbad), "bad.gz");
    tmp_path(pmiss, sizeof(pmiss), "missing.gz");
    write_file(pi, img, il, 1);
    write_file(pl, lab, ll, 1);

    /* Good files: every field comes through. */
    sirnn_dataset ds;
    assert_int_equal(sirnn_dataset_load_idx(&ds, pi, pl, 0), SIRNN_OK);
    assert_int_equal(ds.n, n);
    assert_int_equal(ds.rows, rows);
    assert_int_equal(ds.cols, cols);
    assert_memory_equal(ds.images, img + 16, (size_t)n * rows * cols);
    assert_memory_equal(ds.labels, lab + 8, n);
    unsigned mx = 0;
    for (uint32_t i = 0; i < n; i++)
        mx = lab[8 + i] > mx ? lab[8 + i] : mx;
    assert_int_equal(ds.classes, mx + 1);
    sirnn_dataset_free(&ds);
    assert_null(ds.images);
    /* max_n keeps a prefix. */
    assert_int_equal(sirnn_dataset_load_idx(&ds, pi, pl, 3), SIRNN_OK);
    assert_int_equal(ds.n, 3);
    assert_memory_equal(ds.images, img + 16, (size_t)3 * rows * cols);
    sirnn_dataset_free(&ds);
    /* Plain (not gzipped) IDX files are read too. */
    char pplain[128];
    tmp_path(pplain, sizeof(pplain), "plain.idx");
    write_file(pplain, img, il, 0);
    expect_load(pplain, pl, SIRNN_OK);

    /* Missing file. */
    expect_load(pmiss, pl, SIRNN_ERR_IO);
    expect_load(pi, pmiss, SIRNN_ERR_IO);
    assert_non_null(strstr(sirnn_last_error(), "missing.gz"));
    /* Swapped files: the magic numbers do not match. */
    expect_load(pl, pi, SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "magic"));
    /* Every truncation of the decompressed image file. */
    for (size_t cut = 0; cut < il; cut++) {
        write_file(pbad, img, cut, 1);
        expect_load(pbad, pl, SIRNN_ERR_ARG);
    }
    /* Trailing garbage. */
    write_file(pbad, img, il + 5, 1);
    expect_load(pbad, pl, SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "trailing"));
    /* Count mismatch between the files. */
    uint8_t lab2[sizeof(lab)];
    memcpy(lab2, lab, ll);
    put_be32(lab2 + 4, n - 1);
    write_file(pbad, lab2, ll - 1, 1);
    expect_load(pi, pbad, SIRNN_ERR_ARG);
    /* A zero and a huge dimension. */
    uint8_t img2[sizeof(img)];
    memcpy(img2, img, il);
    put_be32(img2 + 8, 0);
    write_file(pbad, img2, il, 1);
    expect_load(pbad, pl, SIRNN_ERR_ARG);
    put_be32(img2 + 8, 100000);
    write_file(pbad, img2, il, 1);
    expect_load(pbad, pl, SIRNN_ERR_ARG);
    put_be32(img2 + 8, 0xffffffffu);
    put_be32(img2 + 4, 0xffffffffu);
    write_file(pbad, img2, il, 1);
    expect_load(pbad, pl, SIRNN_ERR_ARG);

    /* Damaged gzip: every truncation of the compressed file, and flipped
     * bytes in its body (CRC / stream errors). */
    size_t gl;
    uint8_t *gz = read_file(pi, &gl);
    for (size_t cut = 1; cut < gl; cut++) {
        write_file(pbad, gz, cut, 0);
        sirnn_dataset d2;
        assert_int_not_equal(sirnn_dataset_load_idx(&d2, pbad, pl, 0), SIRNN_OK);
        assert_null(d2.images);
    }
    for (size_t pos = 10; pos < gl; pos++) {
        uint8_t save = gz[pos];
        gz[pos] ^= (uint8_t)(1u << (pos % 8));
        write_file(pbad, gz, gl, 0);
        sirnn_dataset d2;
        if (sirnn_dataset_load_idx(&d2, pbad, pl, 0) == SIRNN_OK) {
            /* Only a flip in the unused padding bits of the last deflate
             * byte leaves a valid file: then the data must be intact. */
            assert_int_equal(d2.n, n);
            assert_memory_equal(d2.images, img + 16, (size_t)n * rows * cols);
            sirnn_dataset_free(&d2);
        } else {
            assert_null(d2.images);
            assert_true(strlen(sirnn_last_error()) > 0);
        }
        gz[pos] = save;
    }
    free(gz);

    /* The Fashion-MNIST loader checks 28x28. */
    char pdir[128];
    tmp_path(pdir, sizeof(pdir), "");
    char pt[160], ptl[160];
    snprintf(pt, sizeof(pt), "%s/t10k-images-idx3-ubyte.gz", tmpdir);
    snprintf(ptl, sizeof(ptl), "%s/t10k-labels-idx1-ubyte.gz", tmpdir);
    write_file(pt, img, il, 1);
    write_file(ptl, lab, ll, 1);
    assert_int_equal(sirnn_fashion_load(&ds, tmpdir, 0, 0), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "28x28"));
    assert_int_equal(sirnn_fashion_load(&ds, tmpdir, 1, 0), SIRNN_ERR_IO);
    unlink(pt);
    unlink(ptl);
}

/* ---- tiny models ----------------------------------------------------------- */

static sirnn_fastgrnn *tiny_model(uint32_t rw, uint32_t ru, uint64_t seed)
{
    sirnn_fastgrnn_dims d = {3, 5, 4, rw, ru, 3};
    sirnn_fastgrnn *m;
    assert_int_equal(sirnn_fastgrnn_new(&m, &d), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_init(m, seed), SIRNN_OK);
    /* Move every parameter off its initial value so that no gradient is
     * trivially zero (biases, zeta, nu included). */
    test_rng rng;
    test_rng_init(&rng, seed);
    for (size_t i = 0; i < m->nparams; i++)
        m->params[i] += (float)((double)test_rng_below(&rng, 2001) / 1000.0 - 1.0) * 0.5f;
    return m;
}

static float rand_unit(test_rng *rng)
{
    return (float)((double)test_rng_below(rng, 2000001) / 1e6 - 1.0);
}

/* w->pre_off = W c for the folding offsets c = w->feat_off (if set), from
 * the current weights: the trainer's job. */
static void set_fold_offset(const sirnn_fastgrnn *m, sirnn_fg_work *w, float *off)
{
    const uint32_t H = m->dims.hidden, D = m->dims.input, rw = m->dims.rank_w;
    if (w->feat_off == NULL)
        return;
    float v[8] = {0};
    for (uint32_t r = 0; r < (rw != 0 ? rw : H); r++) {
        const float *row = (rw != 0 ? m->t[SIRNN_FG_W2].f : m->t[SIRNN_FG_W].f) + r * D;
        double acc = 0;
        for (uint32_t j = 0; j < D; j++)
            acc += (double)row[j] * (double)w->feat_off[j];
        if (rw != 0)
            v[r] = (float)acc;
        else
            off[r] = (float)acc;
    }
    for (uint32_t i = 0; rw != 0 && i < H; i++) {
        double acc = 0;
        for (uint32_t r = 0; r < rw; r++)
            acc += (double)m->t[SIRNN_FG_W1].f[i * rw + r] * (double)v[r];
        off[i] = (float)acc;
    }
    w->pre_off = off;
}

/* Mean loss over the examples, in double for the finite differences. */
static double mean_loss(const sirnn_fastgrnn *m, sirnn_fg_work *w, const float *x,
                        const unsigned *labels, size_t n)
{
    size_t per = (size_t)m->dims.steps * m->dims.input;
    double s = 0;
    float off[16];
    set_fold_offset(m, w, off);
    for (size_t i = 0; i < n; i++) {
        sirnn_fg_forward1(m, w, x + i * per, NULL);
        s += (double)sirnn_fg_xent(w->scores, m->dims.classes, labels[i]);
        /* The range penalty, from the forward pass's W x_t and U h_{t-1}. */
        const size_t H = m->dims.hidden;
        for (size_t t = 0; w->pre_weight > 0 && t < m->dims.steps; t++)
            for (size_t j = 0; j < H; j++) {
                const double a = w->wx[t * H + j], b = w->uh[t * H + j];
                const double af = a - (w->pre_off != NULL ? (double)w->pre_off[j] : 0.0);
                const double p[4] = {a + b + m->t[SIRNN_FG_BZ].f[j],
                                     a + b + m->t[SIRNN_FG_BH].f[j], af, b};
                for (int k = 0; k < 4; k++) {
                    const double r = fmax(fabs(p[k]) - w->pre_limit, 0.0);
                    s += w->pre_weight * r * r;
                }
            }
    }
    return s / (double)n;
}

/* Gradient of the loss (with the range penalty when lam > 0) against
 * central finite differences. */
/* (loss(p_k + eps) - loss(p_k - eps)) / (2 eps), p_k restored. */
static double central_difference(sirnn_fastgrnn *m, sirnn_fg_work *w, const float *x,
                                 const unsigned *labels, size_t n, size_t k, float eps)
{
    const float keep = m->params[k];
    m->params[k] = keep + eps;
    const double lp = mean_loss(m, w, x, labels, n);
    m->params[k] = keep - eps;
    const double lm = mean_loss(m, w, x, labels, n);
    m->params[k] = keep;
    return (lp - lm) / (2.0 * (double)eps);
}

static void check_gradient(uint32_t rw, uint32_t ru, float lim, float lam, int fold)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ (0x6ad ^ rw * 7 ^ ru * 131));
    sirnn_fastgrnn *m = tiny_model(rw, ru, test_rng_next(&rng));
    const size_t n = 3, per = (size_t)m->dims.steps * m->dims.input;
    float x[3 * 15];
    unsigned labels[3];
    for (size_t i = 0; i < n * per; i++)
        x[i] = 1.5f * rand_unit(&rng);
    for (size_t i = 0; i < n; i++)
        labels[i] = (unsigned)test_rng_below(&rng, m->dims.classes);
    sirnn_fg_work w;
    assert_int_equal(sirnn_fg_work_init(&w, &m->dims), SIRNN_OK);
    w.pre_limit = lim;
    w.pre_weight = lam;
    /* Penalty on W x_t as folding will leave it (W x_t - W c). */
    float c[8], off[16];
    for (size_t j = 0; j < m->dims.input; j++)
        c[j] = 1.5f * rand_unit(&rng);
    w.feat_off = fold ? c : NULL;
    set_fold_offset(m, &w, off);
    float *grad = calloc(m->nparams, sizeof(float));
    assert_non_null(grad);
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        sirnn_fg_forward1(m, &w, x + i * per, NULL);
        loss += (double)sirnn_fg_backward1(m, &w, x + i * per, labels[i], grad);
    }
    loss /= (double)n;
    assert_true(fabs(loss - mean_loss(m, &w, x, labels, n)) < 1e-5 * (1.0 + loss));
    double err2 = 0, norm2 = 0;
    for (size_t k = 0; k < m->nparams; k++) {
        const double an = (double)grad[k] / (double)n;
        /* Central difference of the float loss: truncation O(eps^2),
         * rounding about 1e-7 / eps. The range penalty's hinge makes the
         * loss only once differentiable where a pre-activation sits at the
         * limit: a difference across it errs by O(eps), so a parameter
         * that misses at eps = 1e-2 is measured again at eps / 4. */
        double fd = central_difference(m, &w, x, labels, n, k, 1e-2f);
        double rel = fabs(fd - an) / fmax(fmax(fabs(fd), fabs(an)), 1e-2);
        if (rel > 2e-2) {
            fd = central_difference(m, &w, x, labels, n, k, 2.5e-3f);
            rel = fabs(fd - an) / fmax(fmax(fabs(fd), fabs(an)), 1e-2);
        }
        const double e = fabs(fd - an);
        err2 += e * e;
        norm2 += an * an;
        if (rel > 2e-2)
            fail_msg("rw=%u ru=%u lim=%g fold=%d parameter %zu: backward %.6g, finite "
                     "difference %.6g", rw, ru, (double)lim, fold, k, an, fd);
    }
    /* The gradient as a whole, and it is not trivially small. */
    assert_true(norm2 > 1e-4);
    assert_true(sqrt(err2 / norm2) < 5e-3);
    free(grad);
    sirnn_fg_work_free(&w);
    sirnn_fastgrnn_free(m);
}

static void test_backward_vs_finite_differences(void **state)
{
    (void)state;
    check_gradient(0, 0, 0, 0, 0); /* full W and U */
    check_gradient(2, 3, 0, 0, 0); /* low-rank W and U */
    check_gradient(3, 0, 0, 0, 0);
    check_gradient(0, 1, 0, 0, 0);
    /* With the range penalty active on part of the values. */
    check_gradient(0, 0, 0.6f, 0.05f, 0);
    check_gradient(2, 3, 0.6f, 0.05f, 0);
    /* ... on W x_t as per-feature folding leaves it. */
    check_gradient(0, 0, 0.6f, 0.05f, 1);
    check_gradient(2, 3, 0.6f, 0.05f, 1);
}

static void test_adam(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xada);
    const size_t n = 37;
    float p[37], target[37], g[37];
    for (size_t i = 0; i < n; i++) {
        p[i] = 3.0f * rand_unit(&rng);
        target[i] = 3.0f * rand_unit(&rng);
    }
    sirnn_adam a;
    assert_int_equal(sirnn_adam_init(&a, n), SIRNN_OK);
    /* The first bias-corrected step moves every coordinate by lr against
     * the sign of its gradient. */
    float before[37];
    memcpy(before, p, sizeof(p));
    for (size_t i = 0; i < n; i++)
        g[i] = p[i] - target[i];
    sirnn_adam_step(&a, p, g, 0.01f);
    for (size_t i = 0; i < n; i++) {
        if (fabsf(g[i]) < 1e-4f)
            continue;
        float d = before[i] - p[i];
        assert_true(fabsf(fabsf(d) - 0.01f) < 1e-4f);
        assert_true((d > 0) == (g[i] > 0));
    }
    /* Then it minimises 0.5 |p - target|^2. */
    for (int it = 0; it < 3000; it++) {
        for (size_t i = 0; i < n; i++)
            g[i] = p[i] - target[i];
        sirnn_adam_step(&a, p, g, it < 2000 ? 0.05f : 0.005f);
    }
    for (size_t i = 0; i < n; i++)
        assert_true(fabsf(p[i] - target[i]) < 1e-2f);
    /* A zero gradient leaves the parameters alone on a fresh optimiser. */
    sirnn_adam_free(&a);
    assert_int_equal(sirnn_adam_init(&a, n), SIRNN_OK);
    memcpy(before, p, sizeof(p));
    memset(g, 0, sizeof(g));
    sirnn_adam_step(&a, p, g, 0.1f);
    assert_memory_equal(before, p, sizeof(p));
    sirnn_adam_free(&a);
}

/* A task with 4 x 4 images: class 0 bright early, class 1 bright late. */
static void make_toy(sirnn_dataset *ds, size_t n, test_rng *rng)
{
    ds->n = n;
    ds->rows = 4;
    ds->cols = 4;
    ds->classes = 2;
    ds->images = malloc(n * 16);
    ds->labels = malloc(n);
    assert_non_null(ds->images);
    assert_non_null(ds->labels);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(i & 1);
        ds->labels[i] = c;
        for (size_t r = 0; r < 4; r++)
            for (size_t k = 0; k < 4; k++) {
                unsigned base = (c == 0 && r == 0) || (c == 1 && r == 3) ? 180 : 20;
                ds->images[i * 16 + r * 4 + k] = (uint8_t)(base + test_rng_below(rng, 60));
            }
    }
}

typedef struct loss_log {
    double first, last;
    unsigned calls;
    double test_accuracy; /* after the last epoch */
} loss_log;

static void log_progress(void *ctx, const sirnn_train_progress *p)
{
    loss_log *l = ctx;
    if (!p->epoch_done)
        return;
    if (p->epoch == 1)
        l->first = p->loss;
    l->last = p->loss;
    l->test_accuracy = p->test_accuracy;
    l->calls++;
}

static void test_training_reduces_loss(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7a1);
    sirnn_dataset ds;
    make_toy(&ds, 256, &rng); /* tiny: the same under SIRNN_TEST_QUICK */
    sirnn_fastgrnn_dims d = {4, 4, 6, 0, 0, 2};
    sirnn_fastgrnn *m, *m2, *m3;
    assert_int_equal(sirnn_fastgrnn_new(&m, &d), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_init(m, 5), SIRNN_OK);
    sirnn_train_opts o = sirnn_train_opts_default();
    o.epochs = 8;
    o.batch = 16;
    o.lr = 0.02f;
    o.threads = 2;
    o.seed = test_seed();
    loss_log log = {0, 0, 0, 0};
    o.progress = log_progress;
    o.progress_ctx = &log;
    assert_int_equal(sirnn_fastgrnn_train(m, &o, &ds, NULL), SIRNN_OK);
    assert_int_equal(log.calls, o.epochs);
    assert_true(log.last < 0.5 * log.first);
    double acc;
    assert_int_equal(sirnn_fastgrnn_accuracy(m, &acc, &ds, 0, 1), SIRNN_OK);
    assert_true(acc >= 0.95);

    /* Deterministic, whatever the thread count. */
    o.progress = NULL;
    assert_int_equal(sirnn_fastgrnn_new(&m2, &d), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_init(m2, 5), SIRNN_OK);
    o.threads = 1;
    assert_int_equal(sirnn_fastgrnn_train(m2, &o, &ds, NULL), SIRNN_OK);
    assert_memory_equal(m->params, m2->params, m->nparams * sizeof(float));
    assert_int_equal(sirnn_fastgrnn_new(&m3, &d), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_init(m3, 5), SIRNN_OK);
    o.seed ^= 1; /* another shuffle */
    assert_int_equal(sirnn_fastgrnn_train(m3, &o, &ds, NULL), SIRNN_OK);
    assert_memory_not_equal(m->params, m3->params, m->nparams * sizeof(float));

    /* Batch inference: same scores for 1 and 2 threads, argmax consistent. */
    float *s1 = malloc(ds.n * 2 * sizeof(float)), *s2 = malloc(ds.n * 2 * sizeof(float));
    uint8_t *c1 = malloc(ds.n);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_non_null(c1);
    assert_int_equal(sirnn_fastgrnn_predict(m, ds.n, c1, s1, ds.images, 1), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_predict(m, ds.n, NULL, s2, ds.images, 2), SIRNN_OK);
    assert_memory_equal(s1, s2, ds.n * 2 * sizeof(float));
    for (size_t i = 0; i < ds.n; i++)
        assert_int_equal(c1[i], s1[2 * i + 1] > s1[2 * i] ? 1 : 0);

    /* Argument errors. */
    assert_int_equal(sirnn_fastgrnn_predict(m, 3, NULL, NULL, ds.images, 1), SIRNN_ERR_ARG);
    sirnn_dataset wrong = ds;
    wrong.cols = 5;
    assert_int_equal(sirnn_fastgrnn_accuracy(m, &acc, &wrong, 0, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_fastgrnn_train(m, &o, &wrong, NULL), SIRNN_ERR_ARG);
    o.epochs = 0;
    assert_int_equal(sirnn_fastgrnn_train(m, &o, &ds, NULL), SIRNN_ERR_ARG);
    sirnn_fastgrnn_dims bad = d;
    bad.hidden = 0;
    sirnn_fastgrnn *mb = (sirnn_fastgrnn *)&bad;
    assert_int_equal(sirnn_fastgrnn_new(&mb, &bad), SIRNN_ERR_ARG);
    assert_null(mb);
    bad = d;
    bad.rank_w = 5; /* > min(H, D) */
    assert_int_equal(sirnn_fastgrnn_new(&mb, &bad), SIRNN_ERR_ARG);
    free(s1);
    free(s2);
    free(c1);
    sirnn_fastgrnn_free(m);
    sirnn_fastgrnn_free(m2);
    sirnn_fastgrnn_free(m3);
    sirnn_dataset_free(&ds);
}

/* ---- quantisation ---------------------------------------------------------- */

static void check_fmt_rule(float v, unsigned bits)
{
    sirnn_fixfmt f = sirnn_nn_choose_fmt(v, bits);
    assert_int_equal(f.bits, bits);
    double qmax = ldexp(1.0, (int)bits - 1) - 1.0;
    assert_true(nearbyint(ldexp((double)v, f.scale)) <= qmax);
    if (f.scale < 60)
        assert_true(nearbyint(ldexp((double)v, f.scale + 1)) > qmax);
}

static void test_quantisation_formats(void **state)
{
    (void)state;
    sirnn_fixfmt f = sirnn_nn_choose_fmt(1.0f, 16);
    assert_int_equal(f.scale, 14); /* 2^15 > 32767 */
    assert_int_equal(sirnn_nn_choose_fmt(32767.0f, 16).scale, 0);
    assert_int_equal(sirnn_nn_choose_fmt(32767.6f, 16).scale, -1);
    assert_int_equal(sirnn_nn_choose_fmt(0.99999f, 16).scale, 14);
    assert_int_equal(sirnn_nn_choose_fmt(0.2f, 8).scale, 9); /* 0.2 * 512 = 102.4 */
    assert_int_equal(sirnn_nn_choose_fmt(1.0f, 1).bits, 0);
    assert_int_equal(sirnn_nn_choose_fmt(0.0f, 16).bits, 16);
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xf03);
    for (int i = 0; i < 2000; i++) {
        float v = (float)ldexp((double)(test_rng_below(&rng, 1u << 20) + 1), (int)test_rng_below(&rng, 40) - 30);
        check_fmt_rule(v, 2 + (unsigned)test_rng_below(&rng, 31));
    }

    /* Quantised tensors: q = round(v 2^s) within range; zeta and nu hold
     * the effective (sigmoid) values. */
    sirnn_fastgrnn *m = tiny_model(2, 0, test_rng_next(&rng));
    sirnn_dataset ds;
    ds.n = 10;
    ds.rows = 5;
    ds.cols = 3;
    ds.classes = 3;
    ds.images = malloc(150);
    ds.labels = calloc(10, 1);
    assert_non_null(ds.images);
    assert_non_null(ds.labels);
    test_rng_bytes(&rng, ds.images, 150);
    assert_int_equal(sirnn_fastgrnn_quantise(m, 1, NULL, 0, 1), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_fastgrnn_quantise(m, 12, &ds, 10, 1), SIRNN_OK);
    assert_true(m->quantised);
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        const sirnn_nn_tensor *t = &m->t[k];
        size_t n = (size_t)t->rows * t->cols;
        if (n == 0)
            continue;
        assert_int_equal(t->fmt.bits, 12);
        assert_true(t->fmt.is_signed);
        for (size_t i = 0; i < n; i++) {
            double v = (double)t->f[i];
            if (k == SIRNN_FG_ZETA)
                v = (double)sirnn_fastgrnn_zeta(m);
            if (k == SIRNN_FG_NU)
                v = (double)sirnn_fastgrnn_nu(m);
            assert_true(abs(t->q[i]) <= 2047);
            assert_true(fabs(ldexp((double)t->q[i], -t->fmt.scale) - v) <=
                        ldexp(0.5, -t->fmt.scale) * 1.0001);
        }
        check_fmt_rule(t->maxabs, 12);
    }
    for (int k = 0; k < SIRNN_FG_NACTS; k++) {
        if (k == SIRNN_FG_ACT_U2H) {
            assert_int_equal(m->act_fmt[k].bits, 0);
            continue;
        }
        assert_int_equal(m->act_fmt[k].bits, 12);
        assert_true(m->act_maxabs[k] > 0.0f);
        check_fmt_rule(m->act_maxabs[k], 12);
    }
    /* The profiled input range is the largest normalised pixel. */
    assert_true(m->act_maxabs[SIRNN_FG_ACT_X] <= 1.0f / m->in_std + 1e-6f);
    free(ds.images);
    free(ds.labels);
    sirnn_fastgrnn_free(m);
}

/* ---- model file ------------------------------------------------------------ */

static void assert_models_equal(const sirnn_fastgrnn *a, const sirnn_fastgrnn *b)
{
    assert_memory_equal(&a->dims, &b->dims, sizeof(a->dims));
    assert_true(a->in_mean == b->in_mean && a->in_std == b->in_std);
    assert_int_equal(a->nparams, b->nparams);
    assert_memory_equal(a->params, b->params, a->nparams * sizeof(float));
    assert_int_equal(a->quantised, b->quantised);
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        assert_int_equal(a->t[k].rows, b->t[k].rows);
        assert_int_equal(a->t[k].cols, b->t[k].cols);
        assert_int_equal(a->t[k].f - a->params, b->t[k].f - b->params);
    }
    if (a->quantised) {
        assert_memory_equal(a->qparams, b->qparams, a->nparams * sizeof(int32_t));
        for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
            assert_memory_equal(&a->t[k].fmt, &b->t[k].fmt, sizeof(sirnn_fixfmt));
            assert_true(a->t[k].maxabs == b->t[k].maxabs);
            assert_int_equal(a->t[k].q - a->qparams, b->t[k].q - b->qparams);
        }
        assert_memory_equal(a->act_fmt, b->act_fmt, sizeof(a->act_fmt));
        assert_memory_equal(a->act_maxabs, b->act_maxabs, sizeof(a->act_maxabs));
        assert_memory_equal(&a->gate_fmt, &b->gate_fmt, sizeof(a->gate_fmt));
        assert_int_equal(a->state_fold, b->state_fold);
    } else {
        assert_null(b->qparams);
    }
}

static sirnn_fastgrnn *quantised_tiny(uint64_t seed)
{
    sirnn_fastgrnn *m = tiny_model(2, 3, seed);
    m->in_mean = 0.25f;
    m->in_std = 0.5f;
    sirnn_dataset ds = {4, 5, 3, 3, NULL, NULL};
    uint8_t img[60], lab[4] = {0, 1, 2, 0};
    for (int i = 0; i < 60; i++)
        img[i] = (uint8_t)(i * 37);
    ds.images = img;
    ds.labels = lab;
    assert_int_equal(sirnn_fastgrnn_quantise(m, 16, &ds, 4, 1), SIRNN_OK);
    return m;
}

static void test_model_file_round_trip(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xf11e);
    sirnn_fastgrnn *m = quantised_tiny(test_rng_next(&rng));
    uint8_t *buf;
    size_t len;
    assert_int_equal(sirnn_fastgrnn_encode(m, &buf, &len), SIRNN_OK);
    sirnn_fastgrnn *r;
    assert_int_equal(sirnn_fastgrnn_decode(&r, buf, len), SIRNN_OK);
    assert_models_equal(m, r);
    sirnn_fastgrnn_free(r);
    /* With the gates' format set. */
    assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, 11), SIRNN_OK);
    uint8_t *gb;
    size_t gl;
    assert_int_equal(sirnn_fastgrnn_encode(m, &gb, &gl), SIRNN_OK);
    assert_int_equal(gl, len);
    assert_int_equal(sirnn_fastgrnn_decode(&r, gb, gl), SIRNN_OK);
    assert_int_equal(r->gate_fmt.bits, 16);
    assert_int_equal(r->gate_fmt.scale, 11);
    assert_models_equal(m, r);
    sirnn_fastgrnn_free(r);
    free(gb);
    assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, 0), SIRNN_OK);
    /* Through a file. */
    char path[128];
    tmp_path(path, sizeof(path), "m.sirnn");
    assert_int_equal(sirnn_fastgrnn_save(m, path), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_load(&r, path), SIRNN_OK);
    assert_models_equal(m, r);
    /* Same predictions. */
    uint8_t img[2 * 15];
    test_rng_bytes(&rng, img, sizeof(img));
    float s1[6], s2[6];
    assert_int_equal(sirnn_fastgrnn_predict(m, 2, NULL, s1, img, 1), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_predict(r, 2, NULL, s2, img, 1), SIRNN_OK);
    assert_memory_equal(s1, s2, sizeof(s1));
    sirnn_fastgrnn_free(r);
    /* A model that is not quantised. */
    sirnn_fastgrnn *f = tiny_model(0, 0, 3);
    uint8_t *fb;
    size_t fl;
    assert_int_equal(sirnn_fastgrnn_encode(f, &fb, &fl), SIRNN_OK);
    assert_true(fl < len);
    assert_int_equal(sirnn_fastgrnn_decode(&r, fb, fl), SIRNN_OK);
    assert_models_equal(f, r);
    sirnn_fastgrnn_free(r);
    free(fb);
    sirnn_fastgrnn_free(f);
    /* Missing file and unwritable path. */
    tmp_path(path, sizeof(path), "nope/m.sirnn");
    assert_int_equal(sirnn_fastgrnn_load(&r, path), SIRNN_ERR_IO);
    assert_null(r);
    assert_non_null(strstr(sirnn_last_error(), "nope/m.sirnn"));
    assert_int_equal(sirnn_fastgrnn_save(m, path), SIRNN_ERR_IO);
    free(buf);
    sirnn_fastgrnn_free(m);
}

static void reseal(uint8_t *buf, size_t len)
{
    unsigned ol;
    assert_int_equal(EVP_Digest(buf, len - 32, buf + len - 32, &ol, EVP_sha256(), NULL), 1);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Decode must fail with want (0: any error), leave *out NULL, and explain. */
static void expect_reject(const uint8_t *buf, size_t len, sirnn_status want, const char *words)
{
    sirnn_fastgrnn *r = (sirnn_fastgrnn *)buf; /* must be overwritten */
    sirnn_status st = sirnn_fastgrnn_decode(&r, buf, len);
    if (st == SIRNN_OK || (want != SIRNN_OK && st != want))
        fail_msg("decode of %zu bytes: status %d, expected %d", len, (int)st, (int)want);
    assert_null(r);
    const char *msg = sirnn_last_error();
    assert_true(strlen(msg) > 0);
    if (words != NULL && strstr(msg, words) == NULL)
        fail_msg("message '%s' lacks '%s'", msg, words);
}

static void test_model_file_validation(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xbad);
    sirnn_fastgrnn *m = quantised_tiny(test_rng_next(&rng));
    uint8_t *buf;
    size_t len;
    assert_int_equal(sirnn_fastgrnn_encode(m, &buf, &len), SIRNN_OK);
    uint8_t *c = malloc(len + 8);
    assert_non_null(c);

    /* Truncation at every byte position (a fresh copy of exactly that size,
     * so that reading past it is caught by ASan / valgrind). */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *t = malloc(cut > 0 ? cut : 1);
        assert_non_null(t);
        memcpy(t, buf, cut);
        expect_reject(t, cut, SIRNN_OK, NULL);
        free(t);
    }
    /* Trailing bytes. */
    memcpy(c, buf, len);
    memset(c + len, 0, 8);
    expect_reject(c, len + 8, SIRNN_ERR_ARG, "trailing");
    /* Every single flipped bit is caught (the checksum covers all bytes). */
    size_t step = test_quick() ? 7 : 1;
    for (size_t bit = 0; bit < 8 * len; bit += step) {
        memcpy(c, buf, len);
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_reject(c, len, SIRNN_OK, NULL);
    }
    memcpy(c, buf, len);
    c[len / 2] ^= 0x10;
    expect_reject(c, len, SIRNN_ERR_ARG, "checksum");
    /* Bad magic. */
    memcpy(c, buf, len);
    c[0] = 'X';
    expect_reject(c, len, SIRNN_ERR_ARG, "magic");
    /* Another version, even with a valid checksum. */
    memcpy(c, buf, len);
    put_le32(c + SIRNN_MODEL_VERSION_OFFSET, SIRNN_MODEL_VERSION + 1);
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_UNSUPPORTED, "version");
    /* Wrong dimensions, resealed: out of bounds, or not matching the size. */
    const struct {
        int field;
        uint32_t value;
        const char *words;
    } dims[] = {
        {0, 0, "input"}, {1, 0, "steps"}, {2, 0, "hidden"}, {2, 5000, "hidden"},
        {2, 5, "bytes"}, {3, 4, "rank_w"}, {4, 9, "rank_u"}, {5, 1, "classes"},
        {5, 4, "bytes"}, {0, 0xffffffffu, "input"}, {3, 0, "bytes"},
    };
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        memcpy(c, buf, len);
        put_le32(c + SIRNN_MODEL_DIMS_OFFSET + 4 * dims[i].field, dims[i].value);
        reseal(c, len);
        expect_reject(c, len, SIRNN_ERR_ARG, dims[i].words);
    }
    /* Announced size that differs from the real one. */
    memcpy(c, buf, len);
    put_le32(c + 12, (uint32_t)len + 4);
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "truncated");
    /* Field-level checks behind a valid checksum. */
    size_t tens = SIRNN_MODEL_HEADER_BYTES;
    size_t acts = tens + SIRNN_FG_NTENSORS * SIRNN_MODEL_TENSOR_BYTES;
    size_t gate = acts + SIRNN_FG_NACTS * SIRNN_MODEL_ACT_BYTES;
    size_t fl = gate + SIRNN_MODEL_ACT_BYTES;
    size_t ql = fl + 4 * m->nparams;
    /* A tensor shape that disagrees with the dimensions (W1 is 4 x 2). */
    memcpy(c, buf, len);
    put_le32(c + tens + SIRNN_FG_W1 * SIRNN_MODEL_TENSOR_BYTES, 2);
    put_le32(c + tens + SIRNN_FG_W1 * SIRNN_MODEL_TENSOR_BYTES + 4, 4);
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "W1");
    /* A format with 40 bits, a scale of 100, reserved bytes. */
    memcpy(c, buf, len);
    c[tens + SIRNN_FG_BZ * SIRNN_MODEL_TENSOR_BYTES + 8] = 40;
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "bits");
    memcpy(c, buf, len);
    c[acts + SIRNN_FG_ACT_H * SIRNN_MODEL_ACT_BYTES + 1] = 100;
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "scale");
    memcpy(c, buf, len);
    c[tens + 11] = 1;
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "reserved");
    memcpy(c, buf, len);
    c[tens + SIRNN_FG_FCW * SIRNN_MODEL_TENSOR_BYTES + 10] = 0; /* unsigned */
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "is_signed");
    /* The gates' format: another bit width than h's, a scale outside
     * 5..bits-2, a range, reserved bytes, unsigned. */
    const struct {
        size_t at;
        uint8_t value;
        const char *words;
    } gates[] = {
        {0, 12, "gates"}, {1, 4, "gates"}, {1, 15, "gates"}, {7, 0x3f, "range"},
        {3, 1, "reserved"}, {2, 0, "is_signed"},
    };
    for (size_t i = 0; i < sizeof(gates) / sizeof(gates[0]); i++) {
        memcpy(c, buf, len);
        c[gate] = 16;
        c[gate + 1] = 12;
        c[gate + 2] = 1;
        reseal(c, len);
        sirnn_fastgrnn *g;
        assert_int_equal(sirnn_fastgrnn_decode(&g, c, len), SIRNN_OK);
        assert_int_equal(g->gate_fmt.scale, 12);
        sirnn_fastgrnn_free(g);
        c[gate + gates[i].at] = gates[i].value;
        reseal(c, len);
        expect_reject(c, len, SIRNN_ERR_ARG, gates[i].words);
    }
    /* Quantised flag 2. */
    memcpy(c, buf, len);
    put_le32(c + SIRNN_MODEL_HEADER_BYTES - 4, 2);
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "quantised");
    /* A NaN weight, a bad normalisation. */
    memcpy(c, buf, len);
    put_le32(c + fl + 8, 0x7fc00000u);
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "finite");
    memcpy(c, buf, len);
    put_le32(c + SIRNN_MODEL_HEADER_BYTES - 8, 0); /* in_std = 0 */
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "normalisation");
    /* A quantised value outside its 16 bits. */
    memcpy(c, buf, len);
    put_le32(c + ql + 4, 1u << 20);
    reseal(c, len);
    expect_reject(c, len, SIRNN_ERR_ARG, "fit");
    /* Random garbage of the right size. */
    for (int i = 0; i < 20; i++) {
        test_rng_bytes(&rng, c, len);
        expect_reject(c, len, SIRNN_OK, NULL);
    }
    /* The untouched buffer still loads. */
    sirnn_fastgrnn *r;
    assert_int_equal(sirnn_fastgrnn_decode(&r, buf, len), SIRNN_OK);
    sirnn_fastgrnn_free(r);
    free(c);
    free(buf);
    sirnn_fastgrnn_free(m);
}

/* A file of version 1 (no gates' format record) still loads, with the
 * gates' format unset, whatever the version-2 file said. */
static void test_model_file_version1(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x7e51);
    sirnn_fastgrnn *m = quantised_tiny(test_rng_next(&rng));
    for (int set = 0; set < 2; set++) {
        assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, set ? 10 : 0), SIRNN_OK);
        uint8_t *buf;
        size_t len;
        assert_int_equal(sirnn_fastgrnn_encode(m, &buf, &len), SIRNN_OK);
        const size_t gate = SIRNN_MODEL_HEADER_BYTES +
                            SIRNN_FG_NTENSORS * SIRNN_MODEL_TENSOR_BYTES +
                            SIRNN_FG_NACTS * SIRNN_MODEL_ACT_BYTES;
        const size_t l1 = len - SIRNN_MODEL_ACT_BYTES;
        uint8_t *v1 = malloc(l1);
        assert_non_null(v1);
        memcpy(v1, buf, gate);
        memcpy(v1 + gate, buf + gate + SIRNN_MODEL_ACT_BYTES, l1 - gate);
        put_le32(v1 + SIRNN_MODEL_VERSION_OFFSET, 1);
        put_le32(v1 + 12, (uint32_t)l1);
        reseal(v1, l1);
        sirnn_fastgrnn *r;
        assert_int_equal(sirnn_fastgrnn_decode(&r, v1, l1), SIRNN_OK);
        assert_int_equal(r->gate_fmt.bits, 0);
        assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, 0), SIRNN_OK);
        assert_models_equal(m, r);
        sirnn_fastgrnn_free(r);
        /* Version 0 is refused like any other unknown version. */
        put_le32(v1 + SIRNN_MODEL_VERSION_OFFSET, 0);
        reseal(v1, l1);
        expect_reject(v1, l1, SIRNN_ERR_UNSUPPORTED, "version");
        free(v1);
        free(buf);
    }
    sirnn_fastgrnn_free(m);
}

/* The state fold (sirnn_fastgrnn_set_state_fold) in model files: saved
 * as version 3 with the fold byte of the gates' record, a model without it
 * as version 2 (byte for byte as before); a version-2 file with that byte
 * set, or a fold byte other than 0 and 1, is refused. The public
 * description carries it, and the plan takes it only when asked. */
static uint32_t le32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_model_file_fold(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xf01d);
    sirnn_fastgrnn *m = quantised_tiny(test_rng_next(&rng));
    assert_int_equal(m->state_fold, 0);
    assert_int_equal(sirnn_fastgrnn_set_state_fold(m, 2), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_fastgrnn_set_state_fold(NULL, 1), SIRNN_ERR_ARG);
    uint8_t *b0, *b1;
    size_t l0, l1;
    assert_int_equal(sirnn_fastgrnn_encode(m, &b0, &l0), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_set_state_fold(m, 1), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_encode(m, &b1, &l1), SIRNN_OK);
    assert_int_equal(l0, l1);
    assert_int_equal(le32_at(b0 + SIRNN_MODEL_VERSION_OFFSET), 2);
    assert_int_equal(le32_at(b1 + SIRNN_MODEL_VERSION_OFFSET), 3);
    const size_t gate = SIRNN_MODEL_HEADER_BYTES + SIRNN_FG_NTENSORS * SIRNN_MODEL_TENSOR_BYTES +
                        SIRNN_FG_NACTS * SIRNN_MODEL_ACT_BYTES;
    assert_int_equal(b0[gate + 3], 0);
    assert_int_equal(b1[gate + 3], 1);
    sirnn_fastgrnn *r;
    assert_int_equal(sirnn_fastgrnn_decode(&r, b1, l1), SIRNN_OK);
    assert_int_equal(r->state_fold, 1);
    assert_models_equal(m, r);
    /* The public description and the plan. */
    sirnn_fg_public pub, back;
    uint8_t desc[SIRNN_FG_PUBLIC_BYTES];
    for (int fold = 0; fold < 2; fold++) {
        assert_int_equal(sirnn_fastgrnn_set_state_fold(r, fold), SIRNN_OK);
        assert_int_equal(sirnn_fg_public_from_model(&pub, r), SIRNN_OK);
        assert_int_equal(pub.fold, fold);
        sirnn_fg_public_encode(desc, &pub);
        assert_int_equal(sirnn_fg_public_decode(&back, desc), SIRNN_OK);
        assert_int_equal(back.fold, fold);
        sirnn_fg_plan plan;
        assert_int_equal(sirnn_fg_plan_init(&plan, &back), SIRNN_OK);
        if (fold == 0)
            assert_int_equal(plan.fold, 0);
    }
    desc[SIRNN_FG_PUBLIC_BYTES - 1] = 2;
    assert_int_equal(sirnn_fg_public_decode(&back, desc), SIRNN_ERR_ARG);
    sirnn_fastgrnn_free(r);
    /* Version 2 with the fold byte set; version 3 with a fold byte of 2. */
    uint8_t *c = malloc(l1);
    assert_non_null(c);
    memcpy(c, b1, l1);
    put_le32(c + SIRNN_MODEL_VERSION_OFFSET, 2);
    reseal(c, l1);
    expect_reject(c, l1, SIRNN_ERR_ARG, "reserved");
    memcpy(c, b1, l1);
    c[gate + 3] = 2;
    reseal(c, l1);
    expect_reject(c, l1, SIRNN_ERR_ARG, "reserved");
    /* Version 3 with the fold off loads too. */
    memcpy(c, b0, l0);
    put_le32(c + SIRNN_MODEL_VERSION_OFFSET, 3);
    reseal(c, l0);
    assert_int_equal(sirnn_fastgrnn_decode(&r, c, l0), SIRNN_OK);
    assert_int_equal(r->state_fold, 0);
    sirnn_fastgrnn_free(r);
    free(c);
    free(b0);
    free(b1);
    sirnn_fastgrnn_free(m);
}

/* sirnn_fastgrnn_set_gate_scale: range checks, the plan's use of the
 * scale, and the cheap choice: the largest scale in [b - 6, b - 2] at which
 * the sigmoid from the pre-activation format is a line (read from the
 * sigmoid's own plan), b - 2 (unset) when that one already is. */
static void test_gate_scale(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6a7e);
    sirnn_fastgrnn *f = tiny_model(0, 0, 5);
    assert_int_equal(sirnn_fastgrnn_set_gate_scale(f, 10), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_fastgrnn_set_gate_scale(NULL, 10), SIRNN_ERR_ARG);
    sirnn_fastgrnn_free(f);
    sirnn_fastgrnn *m = quantised_tiny(test_rng_next(&rng));
    const int bad[] = {-2, 1, 4, 15, 100};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, bad[i]), SIRNN_ERR_ARG);
        assert_int_equal(m->gate_fmt.bits, 0);
    }
    for (int sc = 5; sc <= 14; sc++) {
        assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, sc), SIRNN_OK);
        sirnn_fg_public pub;
        sirnn_fg_plan plan;
        assert_int_equal(sirnn_fg_public_from_model(&pub, m), SIRNN_OK);
        assert_int_equal(sirnn_fg_plan_init(&plan, &pub), SIRNN_OK);
        assert_int_equal(plan.sz, sc);
        assert_int_equal(plan.sc, sc);
        assert_int_equal(plan.f_z.scale, sc);
    }
    /* Quantising again unsets it. */
    sirnn_dataset ds = {4, 5, 3, 3, NULL, NULL};
    uint8_t img[60], lab[4] = {0, 1, 2, 0};
    test_rng_bytes(&rng, img, sizeof(img));
    ds.images = img;
    ds.labels = lab;
    assert_int_equal(sirnn_fastgrnn_quantise(m, 16, &ds, 4, 1), SIRNN_OK);
    assert_int_equal(m->gate_fmt.bits, 0);
    /* The cheap choice, for pre-activation scales from coarse to fine (the
     * largest pre-activation range decides the scale). */
    static sirnn_sig_plan sp;
    char err[160];
    for (int e = -1; e <= 5; e++) {
        const float range = ldexpf(1.0f, e);
        assert_int_equal(sirnn_fastgrnn_quantise(m, 16, &ds, 4, 1), SIRNN_OK);
        for (int k = SIRNN_FG_ACT_WX; k <= SIRNN_FG_ACT_PRE_H; k++)
            if (k != SIRNN_FG_ACT_U2H)
                m->act_fmt[k] = sirnn_nn_choose_fmt(range * 0.9f, 16);
        assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, SIRNN_FG_GATE_CHEAP), SIRNN_OK);
        sirnn_fg_public pub;
        sirnn_fg_plan plan;
        assert_int_equal(sirnn_fg_public_from_model(&pub, m), SIRNN_OK);
        assert_int_equal(sirnn_fg_plan_init(&plan, &pub), SIRNN_OK);
        int want = 0;
        for (int so = 14; so >= 10 && want == 0; so--) {
            const sirnn_fixfmt fo = {16, (int8_t)so, true};
            if (sirnn_sig_plan_init(&sp, 0, plan.f_pre, fo, err, sizeof(err)) == SIRNN_OK &&
                sp.deg == 1)
                want = so;
        }
        if (want == 14)
            want = 0;
        assert_int_equal(m->gate_fmt.bits, want ? 16 : 0);
        assert_int_equal(m->gate_fmt.scale, want);
        assert_int_equal(plan.sz, want ? want : 14);
        print_message("pre-activations within +-%g: input scale %d, gates at %d\n",
                      (double)range, plan.s_pre, plan.sz);
    }
    sirnn_fastgrnn_free(m);
}

/* ---- the shipped models ---------------------------------------------------- */

/* The keyword model: the Google-30 shape, its gates at the scale where the
 * secure sigmoid of its pre-activation format is a line (bench/baseline.json
 * pins its cost). */
static void test_shipped_speech_model(void **state)
{
    (void)state;
    sirnn_fastgrnn *m;
    sirnn_status st = sirnn_fastgrnn_load(&m, "models/speech_fastgrnn.sirnn");
    if (st != SIRNN_OK)
        fail_msg("%s", sirnn_last_error());
    const sirnn_fastgrnn_dims want = {32, 99, 100, 16, 35, 30};
    assert_memory_equal(&m->dims, &want, sizeof(want));
    assert_int_equal(m->gate_fmt.bits, 16);
    assert_int_equal(m->gate_fmt.scale, 10);
    sirnn_fg_public pub;
    sirnn_fg_plan plan;
    assert_int_equal(sirnn_fg_public_from_model(&pub, m), SIRNN_OK);
    assert_int_equal(sirnn_fg_plan_init(&plan, &pub), SIRNN_OK);
    assert_int_equal(plan.s_pre, 10);
    static sirnn_sig_plan sp;
    char err[160];
    assert_int_equal(sirnn_sig_plan_init(&sp, 0, plan.f_pre, plan.f_z, err, sizeof(err)),
                     SIRNN_OK);
    assert_int_equal(sp.deg, 1);
    /* ... and it is the cheap choice. */
    assert_int_equal(sirnn_fastgrnn_set_gate_scale(m, SIRNN_FG_GATE_CHEAP), SIRNN_OK);
    assert_int_equal(m->gate_fmt.scale, 10);
    sirnn_fastgrnn_free(m);
}

static void test_shipped_model(void **state)
{
    (void)state;
    sirnn_fastgrnn *m;
    sirnn_status st = sirnn_fastgrnn_load(&m, SHIPPED_MODEL);
    if (st != SIRNN_OK)
        fail_msg("%s", sirnn_last_error());
    assert_int_equal(m->dims.input, 28);
    assert_int_equal(m->dims.steps, 28);
    assert_int_equal(m->dims.classes, 10);
    assert_true(m->quantised);
    assert_true(m->nparams >= 1000 && m->nparams <= 10000);
    for (int k = 0; k < SIRNN_FG_NACTS; k++)
        if ((k != SIRNN_FG_ACT_W2X || m->dims.rank_w) && (k != SIRNN_FG_ACT_U2H || m->dims.rank_u))
            assert_true(m->act_fmt[k].bits >= 8);
    sirnn_dataset test;
    st = sirnn_fashion_load(&test, NULL, 0, 1000);
    if (st != SIRNN_OK) {
        printf("SKIPPED the accuracy check: Fashion-MNIST is not installed (%s); "
               "`make test` installs it\n", sirnn_last_error());
        sirnn_fastgrnn_free(m);
        skip();
    }
    assert_int_equal(test.n, 1000);
    double acc;
    assert_int_equal(sirnn_fastgrnn_accuracy(m, &acc, &test, 1000, 0), SIRNN_OK);
    printf("shipped model: float accuracy %.1f%% on the first 1000 test images\n", 100.0 * acc);
    assert_true(acc >= 0.85);
    sirnn_dataset_free(&test);
    sirnn_fastgrnn_free(m);
}

/* Per-feature normalisation folded into W (full and low-rank): the folded
 * model on the plain input gives the scores the unfolded one gives on the
 * per-feature mapped input; and training with it learns the toy task. */
static void test_per_feature_fold(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0xf01d);
    sirnn_dataset ds;
    make_toy(&ds, 64, &rng);
    const sirnn_fastgrnn_dims dims[2] = {{4, 4, 6, 0, 0, 2}, {4, 4, 6, 3, 2, 2}};
    for (int k = 0; k < 2; k++) {
        sirnn_fastgrnn *m, *f;
        assert_int_equal(sirnn_fastgrnn_new(&m, &dims[k]), SIRNN_OK);
        assert_int_equal(sirnn_fastgrnn_init(m, 11 + (uint64_t)k), SIRNN_OK);
        m->in_mean = 0.3f;
        m->in_std = 0.2f;
        assert_int_equal(sirnn_fastgrnn_new(&f, &dims[k]), SIRNN_OK);
        memcpy(f->params, m->params, m->nparams * sizeof(float));
        f->in_mean = m->in_mean;
        f->in_std = m->in_std;
        float a[4], c[4];
        for (int j = 0; j < 4; j++) {
            a[j] = 0.5f + (float)test_rng_below(&rng, 1000) / 500.0f;
            c[j] = (float)test_rng_below(&rng, 1000) / 500.0f - 1.0f;
        }
        sirnn_fg_fold_features(f, a, c);
        const size_t per = 16;
        float *x = malloc(ds.n * per * sizeof(float));
        float *s_ref = malloc(ds.n * 2 * sizeof(float)), *s_fold = malloc(ds.n * 2 * sizeof(float));
        assert_non_null(x);
        assert_non_null(s_ref);
        assert_non_null(s_fold);
        for (size_t i = 0; i < ds.n; i++) {
            sirnn_fg_normalise(m, x + i * per, ds.images + i * per, per);
            for (size_t e = 0; e < per; e++)
                x[i * per + e] = a[e % 4] * x[i * per + e] + c[e % 4];
        }
        assert_int_equal(sirnn_fastgrnn_forward(m, ds.n, s_ref, x, 1), SIRNN_OK);
        assert_int_equal(sirnn_fastgrnn_predict(f, ds.n, NULL, s_fold, ds.images, 1), SIRNN_OK);
        for (size_t i = 0; i < ds.n * 2; i++)
            assert_float_equal(s_fold[i], s_ref[i], 1e-4f * (1.0f + fabsf(s_ref[i])));
        free(x);
        free(s_ref);
        free(s_fold);
        sirnn_fastgrnn_free(m);
        sirnn_fastgrnn_free(f);
    }
    sirnn_dataset_free(&ds);

    sirnn_dataset toy;
    make_toy(&toy, 256, &rng);
    sirnn_fastgrnn *m;
    assert_int_equal(sirnn_fastgrnn_new(&m, &dims[1]), SIRNN_OK);
    assert_int_equal(sirnn_fastgrnn_init(m, 5), SIRNN_OK);
    sirnn_train_opts o = sirnn_train_opts_default();
    o.epochs = 8;
    o.batch = 16;
    o.lr = 0.02f;
    o.threads = 2;
    o.seed = test_seed();
    o.per_feature = 1;
    double acc_epoch, acc;
    loss_log log = {0, 0, 0, 0};
    o.progress = log_progress;
    o.progress_ctx = &log;
    assert_int_equal(sirnn_fastgrnn_train(m, &o, &toy, &toy), SIRNN_OK);
    assert_true(log.last < 0.5 * log.first);
    assert_int_equal(sirnn_fastgrnn_accuracy(m, &acc, &toy, 0, 1), SIRNN_OK);
    acc_epoch = log.test_accuracy;
    /* The last epoch's test accuracy (a folded copy) is the final model's. */
    assert_float_equal(acc, acc_epoch, 0);
    assert_true(acc >= 0.95);
    sirnn_fastgrnn_free(m);
    sirnn_dataset_free(&toy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_files),
        cmocka_unit_test(test_backward_vs_finite_differences),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_training_reduces_loss),
        cmocka_unit_test(test_per_feature_fold),
        cmocka_unit_test(test_quantisation_formats),
        cmocka_unit_test(test_model_file_round_trip),
        cmocka_unit_test(test_model_file_validation),
        cmocka_unit_test(test_model_file_version1),
        cmocka_unit_test(test_gate_scale),
        cmocka_unit_test(test_model_file_fold),
        cmocka_unit_test(test_shipped_speech_model),
        cmocka_unit_test(test_shipped_model),
    };
    test_seed();
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
