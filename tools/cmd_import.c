/*
 * sirnn import: ONNX model -> quantised graph model file. Reads the ONNX
 * file (tools/onnx_import.c), calibrates on a data set, chooses every
 * tensor's fixed-point format the SeeDot way, prints the formats and the
 * float and fixed-point accuracy, and writes the model file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/graph.h"
#include "sirnn/nn.h"
#include "sirnn/sirnn.h"
#include "tools/commands.h"
#include "tools/onnx_import.h"

static void import_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn import MODEL.onnx --calib SOURCE -o OUT.sirnn [options]\n"
            "Reads an ONNX model, calibrates it, quantises every tensor to a fixed-point\n"
            "format chosen from the calibrated range (SeeDot's rule, one bit of headroom),\n"
            "prints the formats, and writes a model file for `sirnn run` and the library's\n"
            "sirnn_graph_serve.\n"
            "  --calib SOURCE   fashion[:N]  the first N Fashion-MNIST training images\n"
            "                                (default 1000), normalised with --norm\n"
            "                   FILE         raw little-endian float32 inputs, already\n"
            "                                normalised, a whole number of examples\n"
            "  -o, --out FILE   the model file to write\n"
            "  --width W        activation widths: 16 or 8 (every tensor), or mixed: each\n"
            "                   tensor 8 or 16 bits, 8 where the calibration data's\n"
            "                   classes stay within --max-drop of 16 bits and no sign\n"
            "                   extension is needed (sirnn_graph_choose_widths)\n"
            "                   (default 16; --bits B is the same as --width B)\n"
            "  --max-drop P     --width mixed: the agreement with float on the calibration\n"
            "                   data may fall P points below 16 bits' (default 0.5)\n"
            "  --weight-bits K  parameter bits, 8 or 16 (default 16)\n"
            "  --norm MUL,ADD   a pixel p is fed as p * MUL + ADD (default 0.00392156863,0\n"
            "                   = p / 255); kept in the model file\n"
            "  --eval N         float and fixed-point accuracy on the first N Fashion-MNIST\n"
            "                   test images (default 1000 with --calib fashion, else 0)\n"
            "  --data DIR       Fashion-MNIST directory (default $SIRNN_FASHION_DIR or\n"
            "                   " SIRNN_FASHION_DIR ")\n"
            "  --quiet          print only errors and the accuracy line\n");
}

float *sirnn_tool_fashion_inputs(const sirnn_graph *g, const sirnn_dataset *ds)
{
    const size_t px = (size_t)ds->rows * ds->cols;
    if (sirnn_graph_size(g, g->input) != px)
        return NULL;
    float *x = malloc(ds->n * px * sizeof(float) + 1);
    for (size_t i = 0; x != NULL && i < ds->n * px; i++)
        x[i] = (float)ds->images[i] * g->in_mul + g->in_add;
    return x;
}

static float *read_f32(const char *path, size_t per, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    float *x = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            float *nx = cap < ((size_t)1 << 30) ? realloc(x, cap * sizeof(float)) : NULL;
            if (nx == NULL) {
                free(x);
                fclose(f);
                return NULL;
            }
            x = nx;
        }
        uint8_t b[4];
        if (fread(b, 1, 4, f) != 4)
            break;
        const uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                           (uint32_t)b[3] << 24;
        memcpy(&x[len++], &u, 4);
    }
    const int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad || len == 0 || per == 0 || len % per != 0) {
        free(x);
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (!isfinite(x[i])) {
            free(x);
            return NULL;
        }
    *n = len / per;
    return x;
}

static void print_graph(const sirnn_graph *g)
{
    printf("%-4s %-10s %-28s %-16s %s\n", "node", "operator", "name", "output shape",
           "format (bits/scale; range)");
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        const sirnn_gtensor *t = &g->tensors[nd->out];
        char shape[48];
        int k = snprintf(shape, sizeof(shape), "%u", t->dims[0]);
        for (uint32_t d = 1; d < t->rank && k > 0 && (size_t)k < sizeof(shape); d++)
            k += snprintf(shape + k, sizeof(shape) - (size_t)k, "x%u", t->dims[d]);
        printf("%-4u %-10s %-28.28s %-16s", i, sirnn_gop_name(nd->op), nd->name, shape);
        if (nd->op == SIRNN_GOP_ARGMAX)
            printf(" class index\n");
        else
            printf(" %u/%d; |x| <= %.4g\n", t->fmt.bits, t->fmt.scale, (double)t->maxabs);
        if (nd->nw)
            printf("%38s %u parameters %u/%d", "", nd->nw, nd->wfmt.bits, nd->wfmt.scale);
        if (nd->nb)
            printf(", %u biases %u/%d", nd->nb, nd->bfmt.bits, nd->bfmt.scale);
        if (nd->nw)
            printf("\n");
    }
    const sirnn_gtensor *in = &g->tensors[g->input];
    printf("input '%s': %zu values, format %u/%d; |x| <= %.4g\n", in->name,
           sirnn_graph_size(g, g->input), in->fmt.bits, in->fmt.scale, (double)in->maxabs);
}

static size_t count_eq32(const uint32_t *a, const uint8_t *labels, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += a[i] == labels[i];
    return k;
}

int sirnn_cmd_import(int argc, char **argv)
{
    const char *onnx = NULL, *calib = NULL, *outp = NULL, *data = NULL, *norm = NULL;
    unsigned long long bits = 16, wbits = 16, eval = 0; /* bits 0: --width mixed */
    double max_drop = 0.5;
    int eval_set = 0, quiet = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            import_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (a[0] != '-') {
            if (onnx != NULL) {
                fprintf(stderr, "sirnn import: more than one ONNX file\n");
                return 2;
            }
            onnx = a;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "sirnn import: %s needs a value (try --help)\n", a);
            return 2;
        }
        if (strcmp(a, "--calib") == 0)
            calib = v;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0)
            outp = v;
        else if (strcmp(a, "--data") == 0)
            data = v;
        else if (strcmp(a, "--norm") == 0)
            norm = v;
        else if ((strcmp(a, "--width") == 0 || strcmp(a, "--bits") == 0) &&
                 strcmp(v, "mixed") == 0)
            bits = 0;
        else if (strcmp(a, "--max-drop") == 0) {
            char *end;
            max_drop = strtod(v, &end);
            if (*end != '\0' || !(max_drop >= 0 && max_drop <= 100)) {
                fprintf(stderr, "sirnn import: --max-drop needs a number 0..100\n");
                return 2;
            }
        } else if (strcmp(a, "--bits") == 0 || strcmp(a, "--width") == 0 ||
                   strcmp(a, "--weight-bits") == 0) {
            unsigned long long *dst = strcmp(a, "--weight-bits") != 0 ? &bits : &wbits;
            if (sirnn_tool_parse_u(v, 8, 16, dst) != 0 || (*dst != 8 && *dst != 16)) {
                fprintf(stderr, "sirnn import: %s must be 8 or 16%s\n", a,
                        dst == &bits ? " (or mixed)" : "");
                return 2;
            }
        } else if (strcmp(a, "--eval") == 0) {
            if (sirnn_tool_parse_u(v, 0, 10000, &eval) != 0) {
                fprintf(stderr, "sirnn import: --eval needs a number 0..10000\n");
                return 2;
            }
            eval_set = 1;
        } else {
            fprintf(stderr, "sirnn import: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        i++;
    }
    if (onnx == NULL || calib == NULL || outp == NULL) {
        fprintf(stderr, "sirnn import: needs MODEL.onnx, --calib and -o (try --help)\n");
        return 2;
    }
    float in_mul = 1.0f / 255.0f, in_add = 0;
    if (norm != NULL) {
        char *end;
        in_mul = strtof(norm, &end);
        if (*end == ',')
            in_add = strtof(end + 1, &end);
        if (*end != '\0' || !isfinite(in_mul) || !isfinite(in_add) || in_mul == 0) {
            fprintf(stderr, "sirnn import: --norm needs MUL,ADD (MUL non-zero)\n");
            return 2;
        }
    }
    const double t0 = sirnn_tool_now();
    char err[512];
    sirnn_graph *g = NULL;
    if (sirnn_onnx_import(onnx, &g, err, sizeof(err)) != 0) {
        fprintf(stderr, "sirnn import: %s: %s\n", onnx, err);
        return 1;
    }
    g->in_mul = in_mul;
    g->in_add = in_add;
    const size_t per = sirnn_graph_size(g, g->input);
    int rc = 1;
    float *x = NULL, *xt = NULL;
    size_t n = 0;
    sirnn_dataset cal = {0}, test = {0};
    const int fashion = strncmp(calib, "fashion", 7) == 0 && (calib[7] == '\0' || calib[7] == ':');
    if (fashion) {
        unsigned long long ncal = 1000;
        if (calib[7] == ':' && sirnn_tool_parse_u(calib + 8, 1, 60000, &ncal) != 0) {
            fprintf(stderr, "sirnn import: --calib fashion:N needs N in 1..60000\n");
            goto done;
        }
        if (sirnn_fashion_load(&cal, data, 1, (size_t)ncal) != SIRNN_OK) {
            fprintf(stderr, "sirnn import: cannot load Fashion-MNIST: %s\n", sirnn_last_error());
            goto done;
        }
        x = sirnn_tool_fashion_inputs(g, &cal);
        if (x == NULL) {
            fprintf(stderr, "sirnn import: the model reads %zu values, a Fashion-MNIST image "
                            "has 784 (or out of memory)\n", per);
            goto done;
        }
        n = cal.n;
        if (!eval_set)
            eval = 1000;
    } else {
        x = read_f32(calib, per, &n);
        if (x == NULL) {
            fprintf(stderr, "sirnn import: cannot read %s as float32 inputs of %zu values each "
                            "(finite, a whole number of them)\n", calib, per);
            goto done;
        }
    }
    if ((bits == 0 ? sirnn_graph_choose_widths(g, (unsigned)wbits, n, x, max_drop, NULL)
                   : sirnn_graph_quantise(g, (unsigned)bits, (unsigned)wbits, n, x)) != SIRNN_OK) {
        fprintf(stderr, "sirnn import: %s\n", sirnn_last_error());
        goto done;
    }
    const double t_imp = sirnn_tool_now() - t0;
    if (!quiet) {
        size_t narrow = 0;
        for (uint32_t t = 0; t < g->ntensors; t++)
            narrow += g->tensors[t].fmt.bits == 8;
        if (bits == 0)
            printf("%s: %u operators, calibrated on %zu examples, mixed widths (%zu of %u "
                   "tensors 8-bit, the others 16), %llu-bit parameters%s\n", onnx, g->nnodes,
                   n, narrow, g->ntensors, wbits, g->has_argmax ? ", argmax output" : "");
        else
            printf("%s: %u operators, calibrated on %zu examples, %llu-bit activations, "
                   "%llu-bit parameters%s\n", onnx, g->nnodes, n, bits, wbits,
                   g->has_argmax ? ", argmax output" : "");
        print_graph(g);
        printf("import + calibration: %.2f s\n", t_imp);
    }
    if (eval > 0) {
        if (sirnn_fashion_load(&test, data, 0, (size_t)eval) != SIRNN_OK) {
            fprintf(stderr, "sirnn import: cannot load Fashion-MNIST: %s\n", sirnn_last_error());
            goto done;
        }
        xt = sirnn_tool_fashion_inputs(g, &test);
        uint32_t *cf = malloc(test.n * sizeof(uint32_t)), *cq = malloc(test.n * sizeof(uint32_t));
        uint64_t *q = malloc(test.n * per * sizeof(uint64_t) + 1);
        int ok = xt != NULL && cf != NULL && cq != NULL && q != NULL &&
                 sirnn_graph_forward(g, test.n, NULL, cf, xt, NULL) == SIRNN_OK &&
                 sirnn_graph_quantise_input(g, test.n, q, xt) == SIRNN_OK &&
                 sirnn_graph_predict_fixed(g, test.n, NULL, cq, q) == SIRNN_OK;
        if (ok)
            printf("accuracy on %zu Fashion-MNIST test images: float %.2f%%, fixed point "
                   "%.2f%%\n", test.n, 100.0 * (double)count_eq32(cf, test.labels, test.n) /
                   (double)test.n, 100.0 * (double)count_eq32(cq, test.labels, test.n) /
                   (double)test.n);
        else
            fprintf(stderr, "sirnn import: evaluation failed: %s\n", sirnn_last_error());
        free(cf);
        free(cq);
        free(q);
        if (!ok)
            goto done;
    }
    if (sirnn_graph_save(g, outp) != SIRNN_OK) {
        fprintf(stderr, "sirnn import: %s\n", sirnn_last_error());
        goto done;
    }
    if (!quiet)
        printf("wrote %s\n", outp);
    rc = 0;
done:
    free(x);
    free(xt);
    sirnn_dataset_free(&cal);
    sirnn_dataset_free(&test);
    sirnn_graph_free(g);
    return rc;
}
