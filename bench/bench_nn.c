/*
 * fastgrnn: secure FastGRNN inference end to end (sirnn_fastgrnn_serve /
 * sirnn_fastgrnn_query) at the Google-30 shape that SCI was measured with:
 * input 32, hidden 100, ranks 16 (W) and 35 (U), 99 steps, 16 bits. The
 * weights are the trained keyword model (models/speech_fastgrnn.sirnn) when
 * that file is there and has the requested shape and bits, else random ones
 * (trained=0: always random; trained=1: the model or an error); "trained"
 * in the output says which. n (or
 * batch=B) is the number of sequences classified in one query; the figures
 * are per sequence; rounds are the flights of that query (both parties).
 * fold=1 runs the model with the state fold (sirnn_fastgrnn_set_state_fold:
 * fewer flights, more bytes); fold=0, the default, without.
 */
#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/graph.h"
#include "sirnn/nn.h"

/* The trained keyword model, relative to the repository root. */
#define BENCH_SPEECH_MODEL "models/speech_fastgrnn.sirnn"

typedef struct fg_bench {
    sirnn_fastgrnn *m;
    uint8_t *seq; /* the client's sequences */
    uint8_t *cls;
    sirnn_fastgrnn_dims dims;
} fg_bench;

static int fg_call(void *ctx, struct sirnn_party *party, int role, size_t n)
{
    fg_bench *b = ctx;
    if (role == 0) {
        size_t got = 0;
        sirnn_status st = sirnn_fastgrnn_serve(party, &got, b->m, 0);
        return st == SIRNN_OK && got == n ? 0 : 1;
    }
    return sirnn_fastgrnn_query(party, n, b->cls, NULL, NULL, b->seq, b->dims.steps,
                                b->dims.input, 0, NULL, NULL) == SIRNN_OK
               ? 0
               : 1;
}

static int bench_fastgrnn(const bench_params *p, bench_result *r)
{
    bench_params q = *p;
    const long long batch = bench_param_int(p, "batch", (long long)p->n);
    const sirnn_fastgrnn_dims dims = {
        (uint32_t)bench_param_int(p, "input", 32),  (uint32_t)bench_param_int(p, "steps", 99),
        (uint32_t)bench_param_int(p, "hidden", 100), (uint32_t)bench_param_int(p, "rank_w", 16),
        (uint32_t)bench_param_int(p, "rank_u", 35), (uint32_t)bench_param_int(p, "classes", 30)};
    const long long bits = bench_param_int(p, "bits", 16);
    const long long fold = bench_param_int(p, "fold", 0);
    if (batch < 1 || batch > 4096 || bits < 8 || bits > 21 || fold < 0 || fold > 1)
        return 1;
    q.n = (size_t)batch;
    fg_bench b = {.dims = dims};
    const size_t len = (size_t)dims.steps * dims.input;
    /* Random weights, quantised with formats profiled on random sequences. */
    sirnn_dataset calib = {.n = 32, .rows = dims.steps, .cols = dims.input,
                           .classes = dims.classes};
    int rc = 1;
    calib.images = malloc(calib.n * len);
    calib.labels = calloc(calib.n, 1);
    b.seq = malloc(q.n * len);
    b.cls = malloc(q.n);
    if (calib.images == NULL || calib.labels == NULL || b.seq == NULL || b.cls == NULL)
        goto done;
    /* trained: -1 (default) the model if it is there, 1 the model or fail,
     * 0 random weights. */
    const long long want_trained = bench_param_int(p, "trained", -1);
    int trained = 0;
    if (want_trained != 0 && sirnn_fastgrnn_load(&b.m, BENCH_SPEECH_MODEL) == SIRNN_OK) {
        const sirnn_fastgrnn_dims *md = &b.m->dims;
        trained = md->input == dims.input && md->steps == dims.steps &&
                  md->hidden == dims.hidden && md->rank_w == dims.rank_w &&
                  md->rank_u == dims.rank_u && md->classes == dims.classes &&
                  b.m->act_fmt[SIRNN_FG_ACT_H].bits == bits;
        if (!trained) {
            sirnn_fastgrnn_free(b.m);
            b.m = NULL;
        }
    }
    if (!trained && want_trained == 1) {
        fprintf(stderr, "fastgrnn: trained=1 needs %s of this shape and bits\n",
                BENCH_SPEECH_MODEL);
        goto done;
    }
    if (!trained && sirnn_fastgrnn_new(&b.m, &dims) != SIRNN_OK)
        goto done;
    uint64_t s = 0x600613;
    for (size_t i = 0; i < calib.n * len; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        calib.images[i] = (uint8_t)(s >> 56);
    }
    for (size_t i = 0; i < q.n * len; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        b.seq[i] = (uint8_t)(s >> 56);
    }
    if (!trained && (sirnn_fastgrnn_init(b.m, 7) != SIRNN_OK ||
                     sirnn_fastgrnn_quantise(b.m, (unsigned)bits, &calib, calib.n, 1) != SIRNN_OK))
        goto done;
    if (sirnn_fastgrnn_set_state_fold(b.m, (int)fold) != SIRNN_OK)
        goto done;
    rc = bench_two_party(&q, fg_call, &b, r);
    bench_extra_int(r, "batch", batch);
    bench_extra_int(r, "input", dims.input);
    bench_extra_int(r, "hidden", dims.hidden);
    bench_extra_int(r, "rank_w", dims.rank_w);
    bench_extra_int(r, "rank_u", dims.rank_u);
    bench_extra_int(r, "steps", dims.steps);
    bench_extra_int(r, "classes", dims.classes);
    bench_extra_int(r, "bits", bits);
    bench_extra_int(r, "trained", trained);
    bench_extra_int(r, "fold", fold);
    bench_extra_double(r, "mb_per_seq", r->bits_per_op / 8e6);
done:
    sirnn_fastgrnn_free(b.m);
    free(calib.images);
    free(calib.labels);
    free(b.seq);
    free(b.cls);
    return rc;
}

/*
 * rnnpool: secure inference of the shipped RNNPool classifier
 * (models/fashion_rnnpool.onnx imported by `make rnnpool-models` into
 * build/out/fashion_rnnpool.sirnn: conv -> RNNPool -> depthwise-separable
 * blocks -> linear, an imported graph) through sirnn_graph_serve /
 * sirnn_graph_query on n pseudo-random 28 x 28 images in one query (bits
 * and flights do not depend on the pixels); figures per image, rounds the
 * flights of the query (both parties). model=PATH benchmarks another graph
 * model file instead.
 */
#define BENCH_RNNPOOL_MODEL "build/out/fashion_rnnpool.sirnn" /* make rnnpool-models */

typedef struct rp_bench {
    sirnn_graph *g;
    float *x; /* the client's normalised inputs */
    uint32_t *cls;
} rp_bench;

static int rp_call(void *ctx, struct sirnn_party *party, int role, size_t n)
{
    rp_bench *b = ctx;
    if (role == 0) {
        size_t got = 0;
        sirnn_status st = sirnn_graph_serve(party, &got, b->g, 0);
        return st == SIRNN_OK && got == n ? 0 : 1;
    }
    return sirnn_graph_query(party, n, b->cls, NULL, NULL, NULL, b->x) == SIRNN_OK ? 0 : 1;
}

static int bench_rnnpool(const bench_params *p, bench_result *r)
{
    const char *model = BENCH_RNNPOOL_MODEL;
    for (int i = 0; i < p->nkv; i++)
        if (strcmp(p->key[i], "model") == 0)
            model = p->val[i];
    rp_bench b = {0};
    int rc = 1;
    if (sirnn_graph_load(&b.g, model) != SIRNN_OK || !b.g->quantised) {
        fprintf(stderr, "rnnpool: cannot load %s as a quantised graph: %s\n", model,
                sirnn_last_error());
        goto done;
    }
    const size_t per = sirnn_graph_size(b.g, b.g->input);
    b.x = malloc(p->n * per * sizeof(float) + 1);
    b.cls = malloc(p->n * sizeof(uint32_t) + 1);
    if (b.x == NULL || b.cls == NULL)
        goto done;
    uint64_t s = 0x2a991;
    for (size_t i = 0; i < p->n * per; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        b.x[i] = (float)(s >> 56) * b.g->in_mul + b.g->in_add;
    }
    rc = bench_two_party(p, rp_call, &b, r);
    bench_extra_int(r, "inputs", (long long)per);
    bench_extra_int(r, "nodes", b.g->nnodes);
    bench_extra_int(r, "bits", b.g->act_bits);
    bench_extra_double(r, "mb_per_image", r->bits_per_op / 8e6);
done:
    sirnn_graph_free(b.g);
    free(b.x);
    free(b.cls);
    return rc;
}

const bench_kernel bench_group_nn[] = {
    {"fastgrnn",
     "batch=B (= n, sequences per query) input=32 hidden=100 rank_w=16 rank_u=35 steps=99 "
     "classes=30 bits=16 trained=-1|0|1 (the trained keyword model if present / never / "
     "always, else random weights; figures per sequence) fold=0|1 (the state fold: fewer "
     "flights for more bytes)",
     1, bench_fastgrnn},
    {"rnnpool",
     "model=" BENCH_RNNPOOL_MODEL " (an imported graph of 28x28 inputs; figures per image, "
     "n images in one query)",
     1, bench_rnnpool},
    {NULL, NULL, 0, NULL},
};
