/*
 * sirnn run: secure inference of Fashion-MNIST test images with an
 * imported graph model (sirnn import), both parties in this process over
 * loopback TCP (the server on a thread), compared with float and
 * cleartext fixed-point inference of the same graph.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/graph.h"
#include "sirnn/nn.h"
#include "sirnn/sirnn.h"
#include "tools/commands.h"

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn run MODEL.sirnn [options]\n"
            "Classifies the first N Fashion-MNIST test images with secure two-party inference\n"
            "of an imported graph (sirnn import): a server (party 0, holding the weights) and\n"
            "a client (party 1, holding the images) in this process over loopback TCP, in\n"
            "batches. Prints the float, fixed-point and secure accuracies, how often secure\n"
            "equals fixed point (must be always), time, MB and flights.\n"
            "  --images N    test images (default 100, at most 10000)\n"
            "  --batch B     images per query (default: all in one)\n"
            "  --secure S    run only the first S images securely (float and fixed point\n"
            "                still classify all N; default S = N)\n"
            "  --threads T   lanes per party (default 1)\n"
            "  --data DIR    Fashion-MNIST directory (default $SIRNN_FASHION_DIR or\n"
            "                " SIRNN_FASHION_DIR ")\n"
            "  --idx IMAGES,LABELS  instead, any IDX data set of the model's image size\n"
            "                (gzipped or plain), e.g. the counting canvases of\n"
            "                scripts/make_canvases.py\n"
            "  --net PROFILE emulate a link between the parties: lan (1 Gbit/s, 0.5 ms RTT),\n"
            "                wan (400 Mbit/s, 40 ms RTT) or RTT_MS:MBIT (default loopback)\n"
            "  --profile     print bits, flights and time per operator kind (first batch)\n"
            "                and the schedule (levels, batched protocol calls)\n"
            "`sirnn demo --model MODEL.sirnn [options]` runs this too.\n");
}

int sirnn_tool_is_graph_file(const char *path)
{
    static const char magic[8] = {'S', 'I', 'R', 'N', 'N', 'G', 'R', 0};
    char head[8];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    const size_t got = fread(head, 1, sizeof(head), f);
    fclose(f);
    return got == sizeof(head) && memcmp(head, magic, sizeof(head)) == 0;
}

static sirnn_status run_serve(sirnn_party *party, size_t *got, const void *g)
{
    return sirnn_graph_serve(party, got, g, 0);
}

int sirnn_cmd_run(int argc, char **argv)
{
    return sirnn_tool_graph_run("run", argc, argv);
}

/* IMAGES,LABELS of --idx. */
static int load_idx_pair(sirnn_dataset *ds, const char *cmd, const char *spec, size_t max_n)
{
    const char *comma = strchr(spec, ',');
    char img[1024];
    if (comma == NULL || (size_t)(comma - spec) >= sizeof(img)) {
        fprintf(stderr, "sirnn %s: --idx needs IMAGES,LABELS\n", cmd);
        return -1;
    }
    memcpy(img, spec, (size_t)(comma - spec));
    img[comma - spec] = '\0';
    if (sirnn_dataset_load_idx(ds, img, comma + 1, max_n) != SIRNN_OK) {
        fprintf(stderr, "sirnn %s: cannot load %s: %s\n", cmd, spec, sirnn_last_error());
        return -1;
    }
    return 0;
}

int sirnn_tool_graph_run(const char *cmd, int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *idx = NULL;
    unsigned long long images = 100, batch = 0, threads = 1, secure = 0;
    sirnn_link link = {0, 0};
    int profile = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            run_usage(stdout);
            return 0;
        }
        if (a[0] != '-' && model == NULL) {
            model = a;
            continue;
        }
        if (strcmp(a, "--profile") == 0) {
            profile = 1;
            continue;
        }
        if (strcmp(a, "--net") == 0) {
            if (sirnn_tool_parse_net(cmd, v, &link) != 0)
                return 2;
        } else if (strcmp(a, "--data") == 0 && v != NULL) {
            data = v;
        } else if (strcmp(a, "--idx") == 0 && v != NULL) {
            idx = v;
        } else if (strcmp(a, "--images") == 0) {
            if (sirnn_tool_parse_u(v, 1, 10000, &images) != 0) {
                fprintf(stderr, "sirnn %s: --images needs a number 1..10000\n", cmd);
                return 2;
            }
        } else if (strcmp(a, "--secure") == 0) {
            if (sirnn_tool_parse_u(v, 1, 10000, &secure) != 0) {
                fprintf(stderr, "sirnn %s: --secure needs a number 1..10000\n", cmd);
                return 2;
            }
        } else if (strcmp(a, "--batch") == 0) {
            if (sirnn_tool_parse_u(v, 1, 10000, &batch) != 0) {
                fprintf(stderr, "sirnn %s: --batch needs a number 1..10000\n", cmd);
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0) {
            if (sirnn_tool_parse_u(v, 1, SIRNN_MAX_THREADS, &threads) != 0) {
                fprintf(stderr, "sirnn %s: --threads needs a number 1..%d\n", cmd, SIRNN_MAX_THREADS);
                return 2;
            }
        } else {
            fprintf(stderr, "sirnn %s: unknown option or missing value '%s' (try --help)\n", cmd, a);
            return 2;
        }
        i++;
    }
    if (model == NULL) {
        fprintf(stderr, "sirnn %s: needs MODEL.sirnn (try --help)\n", cmd);
        return 2;
    }
    sirnn_graph *g = NULL;
    if (sirnn_graph_load(&g, model) != SIRNN_OK) {
        fprintf(stderr, "sirnn %s: cannot load %s: %s\n", cmd, model, sirnn_last_error());
        return 1;
    }
    if (!g->quantised || !g->has_argmax) {
        fprintf(stderr, "sirnn %s: %s is not a quantised classifier (no ArgMax/Softmax)\n", cmd,
                model);
        sirnn_graph_free(g);
        return 1;
    }
    sirnn_dataset ds = {0};
    if (idx != NULL ? load_idx_pair(&ds, cmd, idx, (size_t)images) != 0
                    : sirnn_fashion_load(&ds, data, 0, (size_t)images) != SIRNN_OK) {
        if (idx == NULL)
            fprintf(stderr, "sirnn %s: cannot load Fashion-MNIST: %s\n", cmd,
                    sirnn_last_error());
        sirnn_graph_free(g);
        return 1;
    }
    const size_t nall = ds.n, per = sirnn_graph_size(g, g->input);
    const size_t n = secure == 0 || secure > nall ? nall : (size_t)secure; /* run securely */
    const size_t B = batch == 0 || batch > n ? n : (size_t)batch;
    int rc = 1;
    sirnn_tool_local_server srv = {.serve = run_serve, .model = g, .profile = profile};
    sirnn_tool_profile prof_cli = {0, NULL};
    float *x = sirnn_tool_fashion_inputs(g, &ds);
    uint32_t *cf = malloc(nall * sizeof(uint32_t)), *cq = malloc(nall * sizeof(uint32_t));
    uint32_t *cs = malloc(n * sizeof(uint32_t));
    uint64_t *q = malloc(nall * per * sizeof(uint64_t) + 1);
    if (x == NULL || cf == NULL || cq == NULL || cs == NULL || q == NULL) {
        fprintf(stderr, "sirnn %s: the model does not read %ux%u images (or out of memory)\n",
                cmd, (unsigned)ds.rows, (unsigned)ds.cols);
        goto done;
    }
    printf("libsirnn %s, SIMD level %s\n", sirnn_version(), sirnn_isa_name());
    size_t narrow = 0;
    for (uint32_t t = 0; t < g->ntensors; t++)
        narrow += g->tensors[t].fmt.bits < g->act_bits;
    printf("model %s: %u operators, %u-bit activations", model, g->nnodes, g->act_bits);
    if (narrow > 0)
        printf(" (%zu of %u tensors 8-bit)", narrow, g->ntensors);
    printf(", %u-bit parameters, %zu inputs, %zu classes\n", g->weight_bits, per,
           sirnn_graph_size(g, g->output));
    if (idx != NULL)
        printf("data: the first %zu images of %s", nall, idx);
    else
        printf("data: the first %zu Fashion-MNIST test images", nall);
    printf(", the first %zu securely in batches of %zu\n", n, B);
    sirnn_tool_print_net(&link);
    if (sirnn_graph_forward(g, nall, NULL, cf, x, NULL) != SIRNN_OK ||
        sirnn_graph_quantise_input(g, nall, q, x) != SIRNN_OK ||
        sirnn_graph_predict_fixed(g, nall, NULL, cq, q) != SIRNN_OK) {
        fprintf(stderr, "sirnn %s: cleartext inference failed: %s\n", cmd, sirnn_last_error());
        goto done;
    }
    sirnn_config cfg = sirnn_config_default();
    cfg.threads = (unsigned)threads;
    cfg.timeout_ms = 600000;
    srv.cfg = cfg;
    cfg.link = link; /* emulated on the client's side: each flight crosses it once */
    if (sirnn_tool_local_server_start(&srv, cmd) != 0)
        goto done;
    sirnn_party *cli = NULL;
    sirnn_status st = sirnn_party_connect(&cli, "127.0.0.1", sirnn_listener_port(srv.lst), &cfg);
    sirnn_stats c0 = {0}, c1 = {0}, cb = {0};
    double t = 0, t_first = 0;
    if (st != SIRNN_OK) {
        fprintf(stderr, "sirnn %s: connect failed: %s\n", cmd, sirnn_last_error());
    } else {
        sirnn_party_stats(cli, &c0);
        if (profile)
            sirnn_party_profile_start(cli);
        sirnn_tool_bar bar;
        sirnn_tool_bar_init(&bar, "secure inference");
        const double t0 = sirnn_tool_now();
        for (size_t e = 0; e < n && st == SIRNN_OK; e += B) {
            const size_t m = n - e < B ? n - e : B;
            st = sirnn_graph_query(cli, m, cs + e, NULL, NULL, q + e * per, NULL);
            if (e == 0) {
                sirnn_party_stats(cli, &cb);
                t_first = sirnn_tool_now() - t0;
                if (profile)
                    sirnn_tool_profile_take(&prof_cli, cli);
            }
            sirnn_tool_bar_update(&bar, (unsigned)(e + m), (unsigned)n);
        }
        t = sirnn_tool_now() - t0;
        sirnn_party_stats(cli, &c1);
        if (st == SIRNN_OK)
            st = sirnn_graph_query(cli, 0, NULL, NULL, NULL, NULL, NULL);
        if (st != SIRNN_OK)
            fprintf(stderr, "sirnn %s: secure inference failed: %s\n", cmd,
                    sirnn_party_last_error(cli));
    }
    sirnn_party_free(cli); /* a failed client lets the server thread return */
    sirnn_tool_local_server_finish(&srv);
    if (st != SIRNN_OK || srv.st != SIRNN_OK) {
        if (srv.st != SIRNN_OK)
            fprintf(stderr, "sirnn %s: server side failed: %s\n", cmd, srv.err);
        goto done;
    }
    size_t okf = 0, okq = 0, oks = 0, same = 0, okq_s = 0, agree = 0;
    for (size_t i = 0; i < nall; i++) {
        okf += cf[i] == ds.labels[i];
        okq += cq[i] == ds.labels[i];
        agree += cf[i] == cq[i];
    }
    for (size_t i = 0; i < n; i++) {
        okq_s += cq[i] == ds.labels[i];
        oks += cs[i] == ds.labels[i];
        same += cs[i] == cq[i];
    }
    const double bytes = (double)(c1.bytes_sent - c0.bytes_sent) +
                         (double)(c1.bytes_received - c0.bytes_received);
    const double bytes1 = (double)(cb.bytes_sent - c0.bytes_sent) +
                          (double)(cb.bytes_received - c0.bytes_received);
    const double flights = (double)(cb.flights - c0.flights) +
                           (double)(srv.after.flights - srv.before.flights);
    printf("float accuracy:        %6.2f%%\n", 100.0 * (double)okf / (double)nall);
    printf("fixed-point accuracy:  %6.2f%%\n", 100.0 * (double)okq / (double)nall);
    if (n != nall)
        printf("fixed == float:        %.2f%% of %zu images; on the first %zu: fixed point "
               "%.2f%%\n", 100.0 * (double)agree / (double)nall, nall, n,
               100.0 * (double)okq_s / (double)n);
    printf("secure accuracy:       %6.2f%%%s\n", 100.0 * (double)oks / (double)n,
           n != nall ? " (of the images run securely)" : "");
    printf("secure == fixed-point: %zu of %zu images (%.2f%%)\n", same, n,
           100.0 * (double)same / (double)n);
    printf("time:                  %.2f s, %.1f ms per image (first batch of %zu: %.2f s)\n", t,
           1e3 * t / (double)n, B, t_first);
    printf("communication:         %.1f MB, %.3f MB per image (first batch: %.1f MB)\n",
           bytes / 1e6, bytes / 1e6 / (double)n, bytes1 / 1e6);
    printf("rounds:                %.0f flights for a batch of %zu (both parties)\n", flights, B);
    if (same != n) {
        fprintf(stderr, "sirnn %s: secure inference differs from fixed point on %zu images\n", cmd,
                n - same);
        goto done;
    }
    if (profile) {
        sirnn_graph_sched sch;
        if (sirnn_graph_schedule(g, &sch) == SIRNN_OK)
            printf("schedule:              %u operators in %u levels, %u groups of "
                   "operators (batched calls)\n", g->nnodes, sch.levels, sch.groups);
        sirnn_tool_print_profile(&prof_cli, &srv.prof);
    }
    printf("%s ok\n", cmd);
    rc = 0;
done:
    sirnn_tool_profile_free(&prof_cli);
    sirnn_tool_profile_free(&srv.prof);
    free(x);
    free(cf);
    free(cq);
    free(cs);
    free(q);
    sirnn_dataset_free(&ds);
    sirnn_graph_free(g);
    return rc;
}
