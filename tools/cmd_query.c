/*
 * sirnn query: party 1 of secure FastGRNN inference. Connects to a
 * `sirnn serve`, classifies its images in one batch, and prints the
 * predictions (and the accuracy when labels are known).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/graph.h"
#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "sirnn/speech.h"
#include "nn/fashion.h"
#include "tools/commands.h"

static void query_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn query --connect HOST:PORT [--images FILE [--labels FILE] |\n"
            "                   --fashion-test K | --wav FILE...] [options]\n"
            "Classifies images with secure FastGRNN inference as party 1: the server learns\n"
            "nothing about the images, this side learns the predicted classes only.\n"
            "  --connect HOST:PORT  the `sirnn serve` to use\n"
            "  --images FILE        IDX image file (gzipped or plain), rows x cols as the\n"
            "                       model reads them\n"
            "  --labels FILE        IDX labels of those images (prints the accuracy)\n"
            "  --fashion-test K     the first K Fashion-MNIST test images (default 10)\n"
            "  --wav FILE...        sound files (1 s at 16 kHz) for a keyword model: their\n"
            "                       log-mel features are computed here, then shared\n"
            "  --data DIR           Fashion-MNIST directory (default $SIRNN_FASHION_DIR or\n"
            "                       " SIRNN_FASHION_DIR ")\n"
            "  --threads T          lanes per session, as the server's (default 1)\n"
            "  --wait S             seconds to keep trying to reach the server (default 10)\n"
            "  --timeout S          longest wait for the server's next bytes, so a hung\n"
            "                       server is given up on (default 60)\n"
            "  --scores             ask for the class scores too (the server must allow it)\n"
            "  --graph              the server serves an imported graph model (sirnn import)\n"
            "  --norm MUL,ADD       --graph: a pixel p is fed as p * MUL + ADD, as the model\n"
            "                       was imported (default 0.00392156863,0 = p / 255)\n"
            "  --net PROFILE        emulate a link on this side: lan (1 Gbit/s, 0.5 ms RTT),\n"
            "                       wan (400 Mbit/s, 40 ms RTT) or RTT_MS:MBIT\n"
            "  --profile            print bits, flights and time per layer and protocol\n"
            "  --tls-ca FILE        TLS 1.3: verify the server's certificate with this CA\n"
            "  --tls-cert FILE      this client's certificate, for a server that asks\n"
            "  --tls-key FILE       and its private key\n"
            "  --tls-psk-file FILE  or a pre-shared key, 16..64 bytes in hex\n"
            "  --plain              plain TCP to a server other than loopback\n"
            "  --quiet              print only the summary\n"
            "  --help               this text\n");
}

/* IDX images without labels. */
static int load_images(sirnn_dataset *ds, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    uint32_t dims[3];
    const uint8_t *pay = NULL;
    memset(ds, 0, sizeof(*ds));
    if (sirnn_gz_read_all(&buf, &len, path) != SIRNN_OK ||
        sirnn_idx_parse(buf, len, SIRNN_IDX_MAGIC_IMAGES, dims, &pay, path) != SIRNN_OK) {
        free(buf);
        return -1;
    }
    const size_t n = (size_t)dims[0] * dims[1] * dims[2];
    ds->images = malloc(n > 0 ? n : 1);
    if (ds->images == NULL) {
        free(buf);
        return -1;
    }
    memcpy(ds->images, pay, n);
    ds->n = dims[0];
    ds->rows = dims[1];
    ds->cols = dims[2];
    free(buf);
    return 0;
}

static void query_progress(void *ctx, unsigned done, unsigned total)
{
    sirnn_tool_bar_update(ctx, done, total);
}

/*
 * --graph: the server holds an imported graph model (sirnn_graph_query).
 * The images are fed as p * MUL + ADD (--norm, default p / 255, the
 * default of `sirnn import`); the graph's description, received with the
 * answer, must say the same.
 */
static int query_graph(sirnn_party *p, const sirnn_dataset *ds, const char *norm,
                       int want_scores, int quiet, int have_labels, int profile)
{
    float mul = 1.0f / 255.0f, add = 0.0f;
    if (norm != NULL && sscanf(norm, "%f,%f", &mul, &add) != 2) {
        fprintf(stderr, "sirnn query: --norm needs MUL,ADD\n");
        return 2;
    }
    const size_t n = ds->n, px = (size_t)ds->rows * ds->cols;
    float *x = malloc(n * px * sizeof(float) + 1);
    uint32_t *cls = malloc(n * sizeof(uint32_t) + 1);
    int64_t *scores = want_scores ? malloc(n * 1024 * sizeof(int64_t) + 1) : NULL;
    int rc = 1;
    sirnn_graph *pub = NULL;
    if (x == NULL || cls == NULL || (want_scores && scores == NULL)) {
        fprintf(stderr, "sirnn query: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n * px; i++)
        x[i] = (float)ds->images[i] * mul + add;
    if (profile)
        sirnn_party_profile_start(p);
    sirnn_stats s0, s1;
    sirnn_party_stats(p, &s0);
    const double t0 = sirnn_tool_now();
    sirnn_status st = sirnn_graph_query(p, n, cls, scores, &pub, NULL, x);
    const double t = sirnn_tool_now() - t0;
    sirnn_party_stats(p, &s1);
    sirnn_status st_end = sirnn_graph_query(p, 0, NULL, NULL, NULL, NULL, NULL);
    if (st != SIRNN_OK || st_end != SIRNN_OK) {
        fprintf(stderr, "sirnn query: %s: %s\n", sirnn_strerror(st != SIRNN_OK ? st : st_end),
                sirnn_party_last_error(p));
        if (st != SIRNN_ERR_ARG && st != SIRNN_ERR_UNSUPPORTED)
            fprintf(stderr, "sirnn query: (--graph asks a server holding an imported graph "
                            "model; a FastGRNN server is asked without it)\n");
        goto out;
    }
    if (sirnn_graph_size(pub, pub->input) != px ||
        (want_scores && sirnn_graph_size(pub, pub->output) > 1024)) {
        fprintf(stderr, "sirnn query: the server's graph reads %zu values per input, not %zu\n",
                sirnn_graph_size(pub, pub->input), px);
        goto out;
    }
    if (pub->in_mul != mul || pub->in_add != add) {
        fprintf(stderr, "sirnn query: the server's graph feeds a pixel p as p * %.9g + %.9g; "
                        "rerun with --norm %.9g,%.9g\n", (double)pub->in_mul,
                (double)pub->in_add, (double)pub->in_mul, (double)pub->in_add);
        goto out;
    }
    const size_t on = sirnn_graph_size(pub, pub->output);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        ok += have_labels && cls[i] == ds->labels[i];
        if (quiet)
            continue;
        printf("image %zu: class %u", i, (unsigned)cls[i]);
        if (on == 10 && px == 784)
            printf(" (%s)", sirnn_tool_fashion_class(cls[i]));
        if (have_labels)
            printf(", label %u%s", (unsigned)ds->labels[i], cls[i] == ds->labels[i] ? "" : "  x");
        if (want_scores) {
            printf(", scores");
            for (size_t k = 0; k < on; k++)
                printf(" %.3f", ldexp((double)scores[i * on + k],
                                      -pub->tensors[pub->output].fmt.scale));
        }
        printf("\n");
    }
    if (have_labels)
        printf("accuracy: %zu of %zu (%.2f%%)\n", ok, n, 100.0 * (double)ok / (double)n);
    printf("%zu images in %.2f s (%.1f ms per image), %.2f MB, %llu flights from this side\n", n,
           t, 1e3 * t / (double)n,
           (double)(s1.bytes_sent - s0.bytes_sent + s1.bytes_received - s0.bytes_received) / 1e6,
           (unsigned long long)(s1.flights - s0.flights));
    if (profile) {
        sirnn_tool_profile prof;
        sirnn_tool_profile_take(&prof, p);
        sirnn_tool_print_profile(&prof, NULL);
        sirnn_tool_profile_free(&prof);
    }
    rc = 0;
out:
    sirnn_graph_free(pub);
    free(x);
    free(cls);
    free(scores);
    return rc;
}

int sirnn_cmd_query(int argc, char **argv)
{
    const char *connect = NULL, *images = NULL, *labels = NULL, *data = NULL;
    unsigned long long fashion = 0, threads = 1, wait_s = 10, timeout_s = 60;
    int want_scores = 0, quiet = 0, profile = 0, plain = 0, graph = 0;
    const char *norm = NULL;
    sirnn_link link = {0, 0};
    const char *tls_ca = NULL, *tls_cert = NULL, *tls_key = NULL, *tls_psk = NULL;
    char **wavs = NULL;
    size_t nwavs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            query_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--graph") == 0) {
            graph = 1;
            continue;
        }
        if (strcmp(a, "--scores") == 0 || strcmp(a, "--quiet") == 0 ||
            strcmp(a, "--profile") == 0 || strcmp(a, "--plain") == 0) {
            *(strcmp(a, "--scores") == 0    ? &want_scores
              : strcmp(a, "--quiet") == 0   ? &quiet
              : strcmp(a, "--profile") == 0 ? &profile
                                            : &plain) = 1;
            continue;
        }
        if (strcmp(a, "--net") == 0) {
            if (sirnn_tool_parse_net("query", v, &link) != 0)
                return 2;
            i++;
            continue;
        }
        const char **dst = strcmp(a, "--connect") == 0        ? &connect
                           : strcmp(a, "--images") == 0       ? &images
                           : strcmp(a, "--labels") == 0       ? &labels
                           : strcmp(a, "--data") == 0         ? &data
                           : strcmp(a, "--tls-ca") == 0       ? &tls_ca
                           : strcmp(a, "--tls-cert") == 0     ? &tls_cert
                           : strcmp(a, "--tls-key") == 0      ? &tls_key
                           : strcmp(a, "--tls-psk-file") == 0 ? &tls_psk
                           : strcmp(a, "--norm") == 0         ? &norm
                                                              : NULL;
        if (dst != NULL) {
            if (v == NULL) {
                fprintf(stderr, "sirnn query: %s needs a value\n", a);
                return 2;
            }
            *dst = v;
        } else if (strcmp(a, "--wav") == 0) {
            wavs = argv + i + 1; /* every argument up to the next option */
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                nwavs++;
                i++;
            }
            if (nwavs == 0) {
                fprintf(stderr, "sirnn query: --wav needs one or more files\n");
                return 2;
            }
            continue;
        } else if (strcmp(a, "--fashion-test") == 0) {
            if (sirnn_tool_parse_u(v, 1, 10000, &fashion) != 0) {
                fprintf(stderr, "sirnn query: --fashion-test needs a number 1..10000\n");
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0) {
            if (sirnn_tool_parse_u(v, 1, SIRNN_MAX_THREADS, &threads) != 0) {
                fprintf(stderr, "sirnn query: --threads needs a number 1..%d\n",
                        SIRNN_MAX_THREADS);
                return 2;
            }
        } else if (strcmp(a, "--timeout") == 0) {
            if (sirnn_tool_parse_u(v, 1, 86400, &timeout_s) != 0) {
                fprintf(stderr, "sirnn query: --timeout needs seconds 1..86400\n");
                return 2;
            }
        } else if (strcmp(a, "--wait") == 0) {
            if (sirnn_tool_parse_u(v, 0, 3600, &wait_s) != 0) {
                fprintf(stderr, "sirnn query: --wait needs seconds 0..3600\n");
                return 2;
            }
        } else {
            fprintf(stderr, "sirnn query: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        i++;
    }
    char host[256];
    uint16_t port = 0;
    if (connect == NULL || sirnn_tool_parse_hostport(connect, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "sirnn query: --connect HOST:PORT is required (try --help)\n");
        return 2;
    }
    if ((images != NULL) + (fashion != 0) + (nwavs != 0) > 1 || (labels != NULL && images == NULL)) {
        fprintf(stderr, "sirnn query: give --images FILE [--labels FILE], --fashion-test K or "
                        "--wav FILE...\n");
        return 2;
    }
    if (graph && nwavs != 0) {
        fprintf(stderr, "sirnn query: --wav is for keyword models; --graph takes images\n");
        return 2;
    }
    sirnn_dataset ds;
    int have_labels = 1;
    if (nwavs != 0) {
        have_labels = 0;
        if (sirnn_tool_load_wavs(&ds, wavs, nwavs) != 0)
            return 1;
    } else if (images != NULL && labels != NULL) {
        if (sirnn_dataset_load_idx(&ds, images, labels, 0) != SIRNN_OK) {
            fprintf(stderr, "sirnn query: %s\n", sirnn_last_error());
            return 1;
        }
    } else if (images != NULL) {
        have_labels = 0;
        if (load_images(&ds, images) != 0) {
            fprintf(stderr, "sirnn query: %s\n", sirnn_last_error());
            return 1;
        }
    } else if (sirnn_fashion_load(&ds, data, 0, fashion != 0 ? (size_t)fashion : 10) !=
               SIRNN_OK) {
        fprintf(stderr, "sirnn query: cannot load Fashion-MNIST: %s\n", sirnn_last_error());
        return 1;
    }
    const size_t n = ds.n;
    int rc = 1;
    uint8_t *cls = malloc(n > 0 ? n : 1);
    int32_t *scores = NULL;
    size_t scores_len = 0;
    if (want_scores) {
        scores_len = n * 1024; /* up to the largest class count */
        scores = malloc(scores_len * sizeof(int32_t));
    }
    sirnn_party *p = NULL;
    sirnn_config cfg = sirnn_config_default();
    cfg.threads = (unsigned)threads;
    cfg.timeout_ms = (int)(timeout_s * 1000);
    cfg.tls_ca = tls_ca;
    cfg.tls_cert = tls_cert;
    cfg.tls_key = tls_key;
    cfg.tls_psk_file = tls_psk;
    cfg.allow_plain_remote = plain;
    cfg.connect_timeout_ms = (int)(wait_s * 1000);
    cfg.link = link;
    if (cls == NULL || (want_scores && scores == NULL)) {
        fprintf(stderr, "sirnn query: out of memory\n");
        goto done;
    }
    const double t_setup0 = sirnn_tool_now();
    sirnn_status cst = sirnn_party_connect(&p, host, port, &cfg);
    if (cst == SIRNN_ERR_ARG) { /* refused before anything was sent (TLS files, plain TCP) */
        fprintf(stderr, "sirnn query: %s\n", sirnn_last_error());
        goto done;
    }
    if (cst != SIRNN_OK) {
        fprintf(stderr, "sirnn query: cannot reach %s:%u: %s\n", host, (unsigned)port,
                sirnn_last_error());
        goto done;
    }
    const double t_setup = sirnn_tool_now() - t_setup0;
    if (profile)
        sirnn_party_profile_start(p);
    if (graph) {
        rc = query_graph(p, &ds, norm, want_scores, quiet, have_labels, profile);
        goto done;
    }
    sirnn_fastgrnn_info info;
    sirnn_tool_bar bar;
    sirnn_tool_bar_init(&bar, "secure inference");
    sirnn_stats s0, s1;
    sirnn_party_stats(p, &s0);
    const double t0 = sirnn_tool_now();
    sirnn_status st = sirnn_fastgrnn_query(p, n, cls, scores, &info, ds.images, ds.rows,
                                           ds.cols, scores_len, quiet ? NULL : query_progress,
                                           &bar);
    const double t = sirnn_tool_now() - t0;
    sirnn_party_stats(p, &s1);
    if (st != SIRNN_OK) {
        fprintf(stderr, "sirnn query: %s: %s\n", sirnn_strerror(st), sirnn_party_last_error(p));
        if (st == SIRNN_ERR_ARG || st == SIRNN_ERR_UNSUPPORTED) /* refused: end cleanly */
            sirnn_fastgrnn_query(p, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL);
        else
            fprintf(stderr, "sirnn query: (a server holding an imported graph model is asked "
                            "with --graph)\n");
        goto done;
    }
    st = sirnn_fastgrnn_query(p, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL);
    if (st != SIRNN_OK) {
        fprintf(stderr, "sirnn query: ending the session: %s\n", sirnn_party_last_error(p));
        goto done;
    }
    const int fashion_names = info.dims.classes == 10 && ds.rows == 28 && ds.cols == 28;
    const int keyword_names = info.dims.classes == SIRNN_SPEECH_CLASSES &&
                              ds.rows == SIRNN_SPEECH_FRAMES && ds.cols == SIRNN_SPEECH_BANDS;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        ok += have_labels && cls[i] == ds.labels[i];
        if (quiet)
            continue;
        if (nwavs != 0)
            printf("%s: class %u", wavs[i], (unsigned)cls[i]);
        else
            printf("image %zu: class %u", i, (unsigned)cls[i]);
        if (fashion_names)
            printf(" (%s)", sirnn_tool_fashion_class(cls[i]));
        if (keyword_names)
            printf(" (\"%s\")", sirnn_speech_keyword(cls[i]));
        if (have_labels)
            printf(", label %u%s", (unsigned)ds.labels[i], cls[i] == ds.labels[i] ? "" : "  x");
        if (want_scores) {
            printf(", scores");
            for (size_t k = 0; k < info.dims.classes; k++)
                printf(" %.3f", (double)scores[i * info.dims.classes + k] /
                                    (double)(1u << (info.score_fmt.scale > 0
                                                        ? info.score_fmt.scale
                                                        : 0)));
        }
        printf("\n");
    }
    if (have_labels)
        printf("accuracy: %zu of %zu (%.2f%%)\n", ok, n, 100.0 * (double)ok / (double)n);
    printf("%zu images in %.2f s (%.1f ms per image), %.2f MB, %llu flights from this side\n", n,
           t, 1e3 * t / (double)n,
           (double)(s1.bytes_sent - s0.bytes_sent + s1.bytes_received - s0.bytes_received) / 1e6,
           (unsigned long long)(s1.flights - s0.flights));
    printf("cold: %.2f s with the session setup (%.2f s: connect, handshake, base OTs)\n",
           t_setup + t, t_setup);
    if (link.rtt_ms != 0 || link.mbit != 0)
        sirnn_tool_print_net(&link);
    if (profile) {
        sirnn_tool_profile prof;
        sirnn_tool_profile_take(&prof, p);
        sirnn_tool_print_profile(&prof, NULL);
        sirnn_tool_profile_free(&prof);
    }
    rc = 0;
done:
    sirnn_party_free(p);
    free(cls);
    free(scores);
    sirnn_dataset_free(&ds);
    return rc;
}
