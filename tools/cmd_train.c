/*
 * sirnn train: FastGRNN on Fashion-MNIST (row by row), then quantisation and
 * the model file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "sirnn/speech.h"
#include "tools/commands.h"

static void train_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn train [options]\n"
            "Trains a FastGRNN classifier on Fashion-MNIST (each image read as 28 steps of\n"
            "28 pixels), quantises it and writes a model file.\n"
            "  --epochs N      passes over the 60,000 training images (default 12)\n"
            "  --hidden H      hidden units (default 32)\n"
            "  --rank-w R      rank of W = W1 W2 (default 0: full)\n"
            "  --rank-u R      rank of U = U1 U2 (default 0: full)\n"
            "  --batch B       minibatch size (default 64)\n"
            "  --lr X          Adam step size (default 0.008, cosine-decayed)\n"
            "  --bits N        fixed-point bits of the quantised model (default 16)\n"
            "  --threads T     OpenMP threads (default: every processor; the result\n"
            "                  does not depend on it)\n"
            "  --seed S        seed of the initial weights and the shuffling (default 1)\n"
            "  --gate-bias X   initial b_z, -10..10 (default 1; 4 with --speech, so that\n"
            "                  the state remembers across the 99 frames of a clip)\n"
            "  --pre-limit X   penalise W x, U h and the pre-activations beyond +-X ...\n"
            "  --pre-weight Y  ... by Y (|p| - X)^2 each (default 0: off; with --speech\n"
            "                  8 and 0.005), so that they quantise to a fine scale, where\n"
            "                  the secure sigmoid is cheaper\n"
            "  --gate-scale S  the gates' fixed-point scale: 5..bits-2, 0 for bits-2, or\n"
            "                  'cheap': the largest (down to bits-6) at which the secure\n"
            "                  sigmoid of the model's pre-activations takes its cheapest\n"
            "                  path (default 0; cheap with --speech)\n"
            "  --data DIR      Fashion-MNIST directory (default $SIRNN_FASHION_DIR or\n"
            "                  " SIRNN_FASHION_DIR ")\n"
            "  --out FILE      model file to write (default models/fashion_fastgrnn.sirnn,\n"
            "                  with --speech models/speech_fastgrnn.sirnn)\n"
            "  --speech DIR    instead: keyword spotting on the clips of DIR/train.txt,\n"
            "                  tested on DIR/test.txt (scripts/speech_dataset.sh makes them),\n"
            "                  at the Google-30 shape: 99 steps of 32 log-mel features,\n"
            "                  hidden 100, ranks 16 and 35, 30 keywords, each feature\n"
            "                  normalised on its own (folded into the model)\n"
            "  --clips N       with --speech: the first N training clips only (default all)\n"
            "                  (--speech changes the defaults: --epochs 4 --batch 32 --lr 0.01)\n"
            "  --help          this text\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Parse an unsigned decimal in [lo, hi]; 0 on success. */
static int parse_u(const char *s, unsigned long long lo, unsigned long long hi,
                   unsigned long long *out)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

typedef struct bar_state {
    int tty;
    double last;
} bar_state;

static void fmt_time(char *buf, size_t n, double s)
{
    if (s < 0)
        s = 0;
    unsigned long t = (unsigned long)(s + 0.5);
    snprintf(buf, n, "%lu:%02lu", t / 60, t % 60);
}

static void progress(void *ctx, const sirnn_train_progress *p)
{
    bar_state *b = ctx;
    char left[32], el[32];
    fmt_time(left, sizeof(left), p->left_s);
    fmt_time(el, sizeof(el), p->elapsed_s);
    if (b->tty) {
        double t = now_s();
        if (!p->epoch_done && t - b->last < 0.1)
            return;
        b->last = t;
        const int width = 30;
        int fill = (int)((double)width * (double)p->batch / (double)p->batches);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r\033[Kepoch %u/%u [%s] loss %.4f acc %5.2f%%  left %s", p->epoch,
                p->epochs, bar, p->loss, 100.0 * p->train_accuracy, left);
        if (p->epoch_done) {
            if (p->test_accuracy >= 0)
                fprintf(stderr, "  test %5.2f%%", 100.0 * p->test_accuracy);
            fprintf(stderr, "  (%s)\n", el);
        }
        fflush(stderr);
    } else if (p->epoch_done) {
        fprintf(stderr, "epoch %u/%u: loss %.4f, train %.2f%%", p->epoch, p->epochs, p->loss,
                100.0 * p->train_accuracy);
        if (p->test_accuracy >= 0)
            fprintf(stderr, ", test %.2f%%", 100.0 * p->test_accuracy);
        fprintf(stderr, ", %s elapsed, %s left\n", el, left);
    }
}

/* The speech lists DIR/train.txt and DIR/test.txt as feature sets. */
static int load_speech(sirnn_dataset *train, sirnn_dataset *test, const char *dir, size_t clips,
                       unsigned threads)
{
    char path[4096];
    double t0 = now_s();
    snprintf(path, sizeof(path), "%s/train.txt", dir);
    if (sirnn_speech_load_list(train, path, clips, threads) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        return -1;
    }
    snprintf(path, sizeof(path), "%s/test.txt", dir);
    if (sirnn_speech_load_list(test, path, 0, threads) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        sirnn_dataset_free(train);
        return -1;
    }
    fprintf(stderr, "front end: %zu training and %zu test clips in %.1f s\n", train->n, test->n,
            now_s() - t0);
    return 0;
}

int sirnn_cmd_train(int argc, char **argv)
{
    sirnn_train_opts opts = sirnn_train_opts_default();
    sirnn_fastgrnn_dims dims = {28, 28, 32, 0, 0, 10};
    unsigned bits = 16;
    const char *out = NULL, *data = NULL, *speech = NULL;
    unsigned long long clips = 0;
    float gate_bias = 1.0f;
    int gate_set = 0, pre_set = 0, epochs_set = 0, batch_set = 0, lr_set = 0;
    int dims_set = 0;
    int gate_scale = 0, gate_scale_set = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            train_usage(stdout);
            return 0;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long u = 0;
        int bad = 0;
        if (strcmp(a, "--epochs") == 0) {
            bad = parse_u(v, 1, 10000, &u);
            opts.epochs = (unsigned)u;
            epochs_set = 1;
        } else if (strcmp(a, "--hidden") == 0) {
            bad = parse_u(v, 1, 1024, &u);
            dims.hidden = (uint32_t)u;
            dims_set |= 1;
        } else if (strcmp(a, "--rank-w") == 0) {
            bad = parse_u(v, 0, 32, &u);
            dims.rank_w = (uint32_t)u;
            dims_set |= 2;
        } else if (strcmp(a, "--rank-u") == 0) {
            bad = parse_u(v, 0, 1024, &u);
            dims.rank_u = (uint32_t)u;
            dims_set |= 4;
        } else if (strcmp(a, "--speech") == 0) {
            bad = v == NULL || *v == '\0';
            speech = v;
        } else if (strcmp(a, "--clips") == 0) {
            bad = parse_u(v, 1, 100000000, &u);
            clips = u;
        } else if (strcmp(a, "--batch") == 0) {
            bad = parse_u(v, 1, 60000, &u);
            opts.batch = (unsigned)u;
            batch_set = 1;
        } else if (strcmp(a, "--bits") == 0) {
            bad = parse_u(v, 2, 32, &u);
            bits = (unsigned)u;
        } else if (strcmp(a, "--threads") == 0) {
            bad = parse_u(v, 1, 256, &u);
            opts.threads = (unsigned)u;
        } else if (strcmp(a, "--seed") == 0) {
            bad = parse_u(v, 0, ULLONG_MAX, &u);
            opts.seed = u;
        } else if (strcmp(a, "--lr") == 0) {
            char *end = NULL;
            double lr = v != NULL ? strtod(v, &end) : 0.0;
            bad = v == NULL || *end != '\0' || !(lr > 0.0 && lr <= 1.0);
            opts.lr = (float)lr;
            lr_set = 1;
        } else if (strcmp(a, "--pre-limit") == 0 || strcmp(a, "--pre-weight") == 0) {
            char *end = NULL;
            double x = v != NULL ? strtod(v, &end) : 0.0;
            bad = v == NULL || *end != '\0' || !(x >= 0.0 && x <= 1000.0);
            *(strcmp(a, "--pre-limit") == 0 ? &opts.pre_limit : &opts.pre_weight) = (float)x;
            pre_set = 1;
        } else if (strcmp(a, "--gate-bias") == 0) {
            char *end = NULL;
            double g = v != NULL ? strtod(v, &end) : 0.0;
            bad = v == NULL || *end != '\0' || !(g >= -10.0 && g <= 10.0);
            gate_bias = (float)g;
            gate_set = 1;
        } else if (strcmp(a, "--gate-scale") == 0) {
            if (v != NULL && strcmp(v, "cheap") == 0) {
                gate_scale = SIRNN_FG_GATE_CHEAP;
            } else {
                bad = parse_u(v, 0, 30, &u) || (u > 0 && u < 5);
                gate_scale = (int)u;
            }
            gate_scale_set = 1;
        } else if (strcmp(a, "--out") == 0) {
            bad = v == NULL || *v == '\0';
            out = v;
        } else if (strcmp(a, "--data") == 0) {
            bad = v == NULL || *v == '\0';
            data = v;
        } else {
            fprintf(stderr, "sirnn train: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "sirnn train: %s needs %s (try --help)\n", a,
                    v == NULL ? "a value" : "a valid value");
            return 2;
        }
        i++;
    }
    if (gate_scale > (int)bits - 2) {
        fprintf(stderr, "sirnn train: --gate-scale %d needs --bits %d or more\n", gate_scale,
                gate_scale + 2);
        return 2;
    }
    if (speech != NULL) {
        /* The Google-30 shape of the SIRNN paper, unless overridden. */
        dims.input = SIRNN_SPEECH_BANDS;
        dims.steps = SIRNN_SPEECH_FRAMES;
        dims.classes = SIRNN_SPEECH_CLASSES;
        if (!(dims_set & 1))
            dims.hidden = 100;
        if (!(dims_set & 2))
            dims.rank_w = 16;
        if (!(dims_set & 4))
            dims.rank_u = 35;
        opts.per_feature = 1;
        if (!gate_set)
            gate_bias = 4.0f;
        if (!gate_scale_set)
            gate_scale = SIRNN_FG_GATE_CHEAP;
        if (!pre_set) {
            opts.pre_limit = 8.0f;
            opts.pre_weight = 0.005f;
        }
        /* About 12 minutes on two shared cores for the full data set. */
        if (!epochs_set)
            opts.epochs = 4;
        if (!batch_set)
            opts.batch = 32;
        if (!lr_set)
            opts.lr = 0.01f;
    }
    if (out == NULL)
        out = speech != NULL ? "models/speech_fastgrnn.sirnn" : "models/fashion_fastgrnn.sirnn";
    if (dims.rank_u > dims.hidden || dims.rank_w > dims.hidden || dims.rank_w > dims.input) {
        fprintf(stderr, "sirnn train: --rank-w and --rank-u must not exceed --hidden, nor "
                        "--rank-w the input (%u)\n", (unsigned)dims.input);
        return 2;
    }

    /* Fail before training, not after, if the model cannot be written. */
    size_t ol = strlen(out);
    char *dir = malloc(ol + 2);
    if (dir == NULL)
        return 1;
    memcpy(dir, out, ol + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        strcpy(dir, ".");
    else
        slash[slash == dir ? 1 : 0] = '\0';
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "sirnn train: cannot write %s: directory %s: %s\n", out, dir,
                strerror(errno));
        free(dir);
        return 1;
    }
    free(dir);

    sirnn_dataset train, test;
    double t0 = now_s();
    if (speech != NULL && load_speech(&train, &test, speech, (size_t)clips, opts.threads) != 0)
        return 1;
    if (speech == NULL && sirnn_fashion_load(&train, data, 1, 0) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        return 1;
    }
    if (speech == NULL && sirnn_fashion_load(&test, data, 0, 0) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        sirnn_dataset_free(&train);
        return 1;
    }
    sirnn_fastgrnn *m = NULL;
    int rc = 1;
    if (sirnn_fastgrnn_new(&m, &dims) != SIRNN_OK || sirnn_fastgrnn_init(m, opts.seed) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        goto done;
    }
    /* A gate bias of gate_bias (default 1, the FastGRNN paper's; 4 with
     * --speech) starts z near sigmoid(gate_bias): h then keeps what it read
     * for many steps, so the word at the start of a 99-frame clip still
     * reaches the last state and its gradient the first frames. */
    for (uint32_t i = 0; i < dims.hidden; i++)
        m->t[SIRNN_FG_BZ].f[i] = gate_bias;
    fprintf(stderr,
            "training FastGRNN D=%u T=%u H=%u rank_w=%u rank_u=%u C=%u (%zu parameters) on %zu "
            "examples, %u epochs, batch %u, lr %g, seed %llu\n",
            (unsigned)dims.input, (unsigned)dims.steps, (unsigned)dims.hidden,
            (unsigned)dims.rank_w, (unsigned)dims.rank_u, (unsigned)dims.classes, m->nparams,
            train.n, opts.epochs, opts.batch, (double)opts.lr, (unsigned long long)opts.seed);
    bar_state bar = {isatty(STDERR_FILENO), 0.0};
    opts.progress = progress;
    opts.progress_ctx = &bar;
    double t1 = now_s();
    if (sirnn_fastgrnn_train(m, &opts, &train, &test) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        goto done;
    }
    double t_train = now_s() - t1;
    double acc = 0;
    if (sirnn_fastgrnn_quantise(m, bits, &train, 2000, opts.threads) != SIRNN_OK ||
        sirnn_fastgrnn_set_gate_scale(m, gate_scale) != SIRNN_OK ||
        sirnn_fastgrnn_accuracy(m, &acc, &test, 0, opts.threads) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        goto done;
    }
    if (sirnn_fastgrnn_save(m, out) != SIRNN_OK) {
        fprintf(stderr, "sirnn train: %s\n", sirnn_last_error());
        goto done;
    }
    printf("float test accuracy %.2f%% on %zu %s; trained in %.1f s (%.1f s in all)\n",
           100.0 * acc, test.n, speech != NULL ? "clips of held-out voices" : "images", t_train,
           now_s() - t0);
    printf("wrote %s: %zu parameters, quantised to %u bits", out, m->nparams, bits);
    if (m->gate_fmt.bits != 0)
        printf(", gates at scale %d", (int)m->gate_fmt.scale);
    printf("\n");
    rc = 0;
done:
    sirnn_fastgrnn_free(m);
    sirnn_dataset_free(&train);
    sirnn_dataset_free(&test);
    return rc;
}
