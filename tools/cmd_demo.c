/*
 * sirnn demo: secure FastGRNN inference of the first N Fashion-MNIST test
 * images, both parties in this process over loopback TCP (the server on a
 * thread), compared with float and cleartext fixed-point inference.
 * `sirnn demo --kernels` runs the older demo instead: handshake, SIMD
 * kernel speeds and channel throughput.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/nn.h"
#include "sirnn/sirnn.h"
#include "kernels/aes.h"
#include "kernels/cpu.h"
#include "kernels/prg.h"
#include "kernels/transpose.h"
#include "net/party_internal.h"
#include "tools/commands.h"

/* ---- local kernel speeds -------------------------------------------------- */

#define DEMO_BLOCKS 16384 /* 256 KiB: cache-resident, as in the benchmarks */

static double aes_speed(void)
{
    sirnn_block *buf = aligned_alloc(64, DEMO_BLOCKS * sizeof(sirnn_block));
    sirnn_aes_key key;
    sirnn_block k = sirnn_block_make(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
    if (buf == NULL || sirnn_aes_key_init(&key, &k) != SIRNN_OK) {
        free(buf);
        return 0;
    }
    memset(buf, 0x5a, DEMO_BLOCKS * sizeof(sirnn_block));
    size_t total = 0;
    double t0 = sirnn_tool_now(), t;
    do {
        for (int r = 0; r < 16; r++)
            sirnn_aes_ecb(&key, buf, buf, DEMO_BLOCKS);
        total += 16 * DEMO_BLOCKS;
    } while ((t = sirnn_tool_now() - t0) < 0.25);
    sirnn_aes_key_free(&key);
    free(buf);
    return (double)total / t;
}

static double prg_speed(void)
{
    sirnn_block *buf = aligned_alloc(64, DEMO_BLOCKS * sizeof(sirnn_block));
    sirnn_prg prg;
    sirnn_block seed = sirnn_block_make(1, 2);
    if (buf == NULL || sirnn_prg_init(&prg, &seed, 0) != SIRNN_OK) {
        free(buf);
        return 0;
    }
    size_t total = 0;
    double t0 = sirnn_tool_now(), t;
    do {
        for (int r = 0; r < 16; r++)
            sirnn_prg_blocks(&prg, buf, DEMO_BLOCKS);
        total += 16 * DEMO_BLOCKS;
    } while ((t = sirnn_tool_now() - t0) < 0.25);
    sirnn_prg_free(&prg);
    free(buf);
    return (double)total / t;
}

/* Bytes of matrix per second for a 128 x 8192 transpose. */
static double transpose_speed(void)
{
    const size_t cols = 8192;
    uint8_t *in = aligned_alloc(64, 128 * cols / 8);
    sirnn_block *out = aligned_alloc(64, cols * sizeof(sirnn_block));
    if (in == NULL || out == NULL) {
        free(in);
        free(out);
        return 0;
    }
    for (size_t i = 0; i < 128 * cols / 8; i++)
        in[i] = (uint8_t)(i * 131u + 7u);
    size_t total = 0;
    double t0 = sirnn_tool_now(), t;
    do {
        for (int r = 0; r < 16; r++)
            sirnn_transpose128(out, in, cols / 8, cols);
        total += 16 * 128 * cols / 8;
    } while ((t = sirnn_tool_now() - t0) < 0.25);
    free(in);
    free(out);
    return (double)total / t;
}

/* ---- two parties over loopback ------------------------------------------- */

typedef struct demo_server {
    sirnn_listener *lst;
    sirnn_config cfg;
    size_t bytes;
    sirnn_party *party;
    sirnn_status st;
} demo_server;

/* Server: accept, then receive the client's bulk data on every lane and
 * answer one byte per lane. */
static void *demo_server_main(void *arg)
{
    demo_server *d = arg;
    d->st = sirnn_party_accept(&d->party, d->lst, &d->cfg);
    if (d->st != SIRNN_OK)
        return NULL;
    size_t chunk = (size_t)1 << 20;
    uint8_t *buf = malloc(chunk);
    if (buf == NULL) {
        d->st = SIRNN_ERR_NOMEM;
        return NULL;
    }
    for (unsigned i = 0; i < d->party->nlanes && d->st == SIRNN_OK; i++) {
        sirnn_channel *ch = &d->party->lanes[i].ch;
        for (size_t done = 0; done < d->bytes && d->st == SIRNN_OK; done += chunk)
            d->st = sirnn_channel_recv(ch, buf, chunk);
        uint8_t ack = 1;
        if (d->st == SIRNN_OK)
            d->st = sirnn_channel_send(ch, &ack, 1);
        if (d->st == SIRNN_OK)
            d->st = sirnn_channel_flush(ch);
    }
    free(buf);
    return NULL;
}

static int demo_kernels(int argc, char **argv)
{
    unsigned threads = 1;
    unsigned long mib = 512;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--kernels") == 0)
            continue;
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
            mib = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "sirnn demo --kernels: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (mib == 0 || mib > 65536) {
        fprintf(stderr, "sirnn demo: --mib must be 1..65536\n");
        return 2;
    }

    printf("libsirnn %s, SIMD level %s (machine max %s)\n", sirnn_version(), sirnn_isa_name(),
           sirnn_isa_level_name(sirnn_cpu_max_isa()));
    const sirnn_kernel_table *kt = sirnn_kernels();
    printf("kernels: aes=%s transpose=%s\n", kt->aes_impl, kt->transpose_impl);

    sirnn_config cfg = sirnn_config_default();
    cfg.threads = threads;
    sirnn_listener *lst;
    sirnn_status st = sirnn_listener_open(&lst, "127.0.0.1", 0);
    if (st != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: %s\n", sirnn_last_error());
        return 1;
    }
    demo_server srv = {lst, cfg, (size_t)mib << 20, NULL, SIRNN_OK};
    pthread_t th;
    if (pthread_create(&th, NULL, demo_server_main, &srv) != 0) {
        sirnn_listener_close(lst);
        fprintf(stderr, "sirnn demo: cannot start the server thread\n");
        return 1;
    }
    double t0 = sirnn_tool_now();
    sirnn_party *client = NULL;
    st = sirnn_party_connect(&client, "127.0.0.1", sirnn_listener_port(lst), &cfg);
    double t_hs = sirnn_tool_now() - t0;
    int rc = 0;
    if (st != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: connect failed: %s\n", sirnn_last_error());
        rc = 1;
    } else {
        printf("handshake: %u lane(s) over 127.0.0.1:%u in %.2f ms\n", threads,
               (unsigned)sirnn_listener_port(lst), 1e3 * t_hs);
        /* Client streams mib MiB per lane, one lane after the other. */
        size_t chunk = (size_t)1 << 20;
        uint8_t *buf = calloc(1, chunk);
        double t1 = sirnn_tool_now();
        for (unsigned i = 0; buf != NULL && i < client->nlanes && st == SIRNN_OK; i++) {
            sirnn_channel *ch = &client->lanes[i].ch;
            for (size_t done = 0; done < srv.bytes && st == SIRNN_OK; done += chunk)
                st = sirnn_channel_send(ch, buf, chunk);
            uint8_t ack;
            if (st == SIRNN_OK)
                st = sirnn_channel_recv(ch, &ack, 1);
        }
        double t_net = sirnn_tool_now() - t1;
        free(buf);
        if (buf == NULL || st != SIRNN_OK) {
            fprintf(stderr, "sirnn demo: transfer failed: %s\n",
                    buf == NULL ? "out of memory" : sirnn_strerror(st));
            rc = 1;
        } else {
            double bytes = (double)srv.bytes * client->nlanes;
            printf("channel: %.0f MiB one way in %.3f s = %.2f GB/s\n", bytes / 1048576.0, t_net,
                   bytes / t_net / 1e9);
        }
    }
    pthread_join(th, NULL);
    if (rc == 0 && srv.st != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: server side failed: %s\n", sirnn_strerror(srv.st));
        rc = 1;
    }
    if (rc == 0) {
        sirnn_stats cs;
        sirnn_party_stats(client, &cs);
        printf("client sent %llu bytes in %llu flights, received %llu bytes\n",
               (unsigned long long)cs.bytes_sent, (unsigned long long)cs.flights,
               (unsigned long long)cs.bytes_received);
        printf("aes (fixed key, %s): %.2f G blocks/s\n", kt->aes_impl, aes_speed() / 1e9);
        printf("prg (AES-CTR):       %.2f G blocks/s\n", prg_speed() / 1e9);
        printf("transpose 128xN (%s): %.2f GiB/s\n", kt->transpose_impl,
               transpose_speed() / (1024.0 * 1024.0 * 1024.0));
        printf("demo ok\n");
    }
    sirnn_party_free(client);
    sirnn_party_free(srv.party);
    sirnn_listener_close(lst);
    return rc;
}

/* ---- secure inference demo -------------------------------------------------- */

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn demo [options]\n"
            "Classifies the first N Fashion-MNIST test images with secure two-party FastGRNN\n"
            "inference, as one batch: a server (party 0, holding the model) and a client\n"
            "(party 1, holding the images) run in this process over loopback TCP. Prints the\n"
            "float, fixed-point and secure accuracies, how often secure equals fixed-point\n"
            "(must be always), time and MB per image, and rounds.\n"
            "  --images N      test images to classify (default 100, at most 10000)\n"
            "  --model FILE    model file (default models/fashion_fastgrnn.sirnn); a graph\n"
            "                  of `sirnn import` runs as `sirnn run FILE` (see its --help:\n"
            "                  --idx for other data sets, --batch)\n"
            "  --data DIR      Fashion-MNIST directory (default $SIRNN_FASHION_DIR or\n"
            "                  " SIRNN_FASHION_DIR ")\n"
            "  --speech DIR    a keyword model (99 x 32 log-mel, 30 keywords, e.g.\n"
            "                  models/speech_fastgrnn.sirnn) classifies the first N clips\n"
            "                  of DIR/test.txt, voices it never heard in training (default\n"
            "                  $SIRNN_SPEECH_DIR or " SIRNN_TOOL_SPEECH_DIR ", `make speech-data`)\n"
            "  --threads T     lanes (threads) per party (default 1)\n"
            "  --net PROFILE   emulate a link between the parties: lan (1 Gbit/s, 0.5 ms RTT),\n"
            "                  wan (400 Mbit/s, 40 ms RTT) or RTT_MS:MBIT (default loopback)\n"
            "  --profile       print bits, flights and time per layer and protocol\n"
            "  --fold          run the model with the state fold (sirnn_fastgrnn_set_state_fold):\n"
            "                  fewer flights for more bytes, the default for one image\n"
            "                  (on `wan` 5.8 s instead of 12.8); --no-fold: without it, the\n"
            "                  default for more images (a batch's bytes outweigh its flights)\n"
            "  --kernels       instead: handshake, SIMD kernel speeds and channel throughput\n"
            "                  (with --threads T and --mib M, default 512 MiB per lane)\n"
            "  --help          this text\n");
}

static sirnn_status demo_serve(sirnn_party *party, size_t *got, const void *m)
{
    return sirnn_fastgrnn_serve(party, got, m, 0);
}

static void demo_progress(void *ctx, unsigned done, unsigned total)
{
    sirnn_tool_bar_update(ctx, done, total);
}

static size_t count_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += a[i] == b[i];
    return k;
}

/* `sirnn demo --model X.sirnn` with a graph: the `sirnn run` session, given
 * the same options (less --model, which becomes its model argument). */
static int graph_demo(const char *model, int argc, char **argv)
{
    char **args = malloc(((size_t)argc + 1) * sizeof(char *));
    if (args == NULL)
        return 1;
    int k = 0;
    args[k++] = (char *)(uintptr_t)model;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        args[k++] = argv[i];
    }
    const int rc = sirnn_tool_graph_run("demo", k, args);
    free(args);
    return rc;
}

int sirnn_cmd_demo(int argc, char **argv)
{
    unsigned long long images = 100, threads = 1;
    const char *model = "models/fashion_fastgrnn.sirnn", *data = NULL, *speech = NULL;
    sirnn_link link = {0, 0};
    int profile = 0, fold = -1; /* -1: on for one image (batch 1), else as the model */
    for (int i = 0; i + 1 < argc; i++) /* a graph model takes `sirnn run`'s options */
        if (strcmp(argv[i], "--model") == 0 && sirnn_tool_is_graph_file(argv[i + 1]))
            return graph_demo(argv[i + 1], argc, argv);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            demo_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--kernels") == 0)
            return demo_kernels(argc, argv);
        if (strcmp(a, "--profile") == 0) {
            profile = 1;
            continue;
        }
        if (strcmp(a, "--fold") == 0 || strcmp(a, "--no-fold") == 0) {
            fold = strcmp(a, "--fold") == 0;
            continue;
        }
        if (strcmp(a, "--net") == 0) {
            if (sirnn_tool_parse_net("demo", v, &link) != 0)
                return 2;
        } else if (strcmp(a, "--images") == 0) {
            if (sirnn_tool_parse_u(v, 1, 10000, &images) != 0) {
                fprintf(stderr, "sirnn demo: --images needs a number 1..10000\n");
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0) {
            if (sirnn_tool_parse_u(v, 1, SIRNN_MAX_THREADS, &threads) != 0) {
                fprintf(stderr, "sirnn demo: --threads needs a number 1..%d\n",
                        SIRNN_MAX_THREADS);
                return 2;
            }
        } else if (strcmp(a, "--model") == 0 || strcmp(a, "--data") == 0 ||
                   strcmp(a, "--speech") == 0) {
            if (v == NULL) {
                fprintf(stderr, "sirnn demo: %s needs a value\n", a);
                return 2;
            }
            *(strcmp(a, "--model") == 0 ? &model : strcmp(a, "--data") == 0 ? &data : &speech) = v;
        } else {
            fprintf(stderr, "sirnn demo: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        i++;
    }
    sirnn_fastgrnn *m = NULL;
    if (sirnn_fastgrnn_load(&m, model) != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: cannot load the model: %s\n", sirnn_last_error());
        return 1;
    }
    /* The fold trades bytes for flights: at one image it wins on a WAN
     * (Fashion-MNIST: 250 flights, 22.5 MB, 5.8 s on `wan` against 578
     * flights, 8.9 MB, 12.8 s) and costs little on a LAN; a batch's bytes
     * grow with it while its flights do not (README) */
    if (fold == 1 || (fold < 0 && images == 1))
        (void)sirnn_fastgrnn_set_state_fold(m, 1);
    else if (fold == 0)
        (void)sirnn_fastgrnn_set_state_fold(m, 0);
    sirnn_dataset ds;
    const int is_speech = sirnn_tool_is_speech_model(m);
    const char *unit = is_speech ? "clip" : "image";
    if (is_speech && sirnn_tool_load_speech_test(&ds, speech, (size_t)images) != 0) {
        fprintf(stderr, "sirnn demo: cannot load the held-out clips (above)\n");
        sirnn_fastgrnn_free(m);
        return 1;
    }
    if (!is_speech && sirnn_fashion_load(&ds, data, 0, (size_t)images) != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: cannot load Fashion-MNIST: %s\n", sirnn_last_error());
        sirnn_fastgrnn_free(m);
        return 1;
    }
    const size_t n = ds.n;
    const sirnn_fastgrnn_dims *d = &m->dims;
    printf("libsirnn %s, SIMD level %s\n", sirnn_version(), sirnn_isa_name());
    printf("model %s: FastGRNN, hidden %u, %u steps of %u, %u classes, %u-bit\n", model,
           (unsigned)d->hidden, (unsigned)d->steps, (unsigned)d->input,
           (unsigned)d->classes, (unsigned)m->act_fmt[SIRNN_FG_ACT_H].bits);
    printf("state fold: %s\n", m->state_fold ? "on (fewer flights, more bytes; --no-fold: off)"
                                             : "off (fewer bytes; --fold for fewer flights)");
    if (is_speech)
        printf("data: the first %zu clips of %s/test.txt (voices not in training)\n", n,
               sirnn_tool_speech_dir(speech));
    else
        printf("data: the first %zu Fashion-MNIST test images\n", n);
    sirnn_tool_print_net(&link);

    int rc = 1;
    sirnn_tool_profile prof_cli = {0, NULL};
    sirnn_tool_local_server srv = {.serve = demo_serve, .model = m, .profile = profile};
    uint8_t *pf = malloc(n), *pq = malloc(n), *ps = malloc(n);
    if (pf == NULL || pq == NULL || ps == NULL) {
        fprintf(stderr, "sirnn demo: out of memory\n");
        goto done;
    }
    if (sirnn_fastgrnn_predict(m, n, pf, NULL, ds.images, 0) != SIRNN_OK ||
        sirnn_fastgrnn_predict_fixed(m, n, pq, NULL, ds.images, 0) != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: cleartext inference failed: %s\n", sirnn_last_error());
        goto done;
    }

    sirnn_config cfg = sirnn_config_default();
    cfg.threads = (unsigned)threads;
    cfg.timeout_ms = 600000;
    srv.cfg = cfg;
    cfg.link = link; /* emulated on the client's side: each flight crosses it once */
    if (sirnn_tool_local_server_start(&srv, "demo") != 0)
        goto done;
    sirnn_party *cli = NULL;
    const double t_setup0 = sirnn_tool_now();
    sirnn_status st = sirnn_party_connect(&cli, "127.0.0.1", sirnn_listener_port(srv.lst), &cfg);
    const double t_setup = sirnn_tool_now() - t_setup0;
    sirnn_stats c0 = {0}, c1 = {0};
    double t = 0;
    if (st != SIRNN_OK) {
        fprintf(stderr, "sirnn demo: connect failed: %s\n", sirnn_last_error());
    } else {
        sirnn_party_stats(cli, &c0);
        if (profile)
            sirnn_party_profile_start(cli);
        sirnn_tool_bar bar;
        sirnn_tool_bar_init(&bar, "secure inference");
        const double t0 = sirnn_tool_now();
        st = sirnn_fastgrnn_query(cli, n, ps, NULL, NULL, ds.images, ds.rows, ds.cols, 0,
                                  demo_progress, &bar);
        t = sirnn_tool_now() - t0;
        sirnn_party_stats(cli, &c1);
        if (st == SIRNN_OK)
            st = sirnn_fastgrnn_query(cli, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL);
        if (st != SIRNN_OK)
            fprintf(stderr, "sirnn demo: secure inference failed: %s\n",
                    sirnn_party_last_error(cli));
    }
    if (st == SIRNN_OK && profile)
        sirnn_tool_profile_take(&prof_cli, cli);
    sirnn_party_free(cli); /* a failed client lets the server thread return */
    sirnn_tool_local_server_finish(&srv);
    if (st != SIRNN_OK || srv.st != SIRNN_OK) {
        if (srv.st != SIRNN_OK)
            fprintf(stderr, "sirnn demo: server side failed: %s\n", srv.err);
        goto done;
    }
    const size_t ok_f = count_equal(pf, ds.labels, n), ok_q = count_equal(pq, ds.labels, n),
                 ok_s = count_equal(ps, ds.labels, n), same = count_equal(ps, pq, n);
    const double bytes = (double)(c1.bytes_sent - c0.bytes_sent) +
                         (double)(c1.bytes_received - c0.bytes_received);
    /* Flights of both parties during the batch. */
    const double flights = (double)(c1.flights - c0.flights) +
                           (double)(srv.after.flights - srv.before.flights);
    printf("float accuracy:        %6.2f%%\n", 100.0 * (double)ok_f / (double)n);
    printf("fixed-point accuracy:  %6.2f%%\n", 100.0 * (double)ok_q / (double)n);
    printf("secure accuracy:       %6.2f%%\n", 100.0 * (double)ok_s / (double)n);
    printf("secure == fixed-point: %zu of %zu %ss (%.2f%%)\n", same, n, unit,
           100.0 * (double)same / (double)n);
    printf("time:                  %.2f s for the batch, %.1f ms per %s\n", t,
           1e3 * t / (double)n, unit);
    printf("cold:                  %.2f s with the session setup (%.2f s: connect, handshake, "
           "base OTs)\n",
           t_setup + t, t_setup);
    printf("communication:         %.1f MB for the batch, %.2f MB per %s\n", bytes / 1e6,
           bytes / 1e6 / (double)n, unit);
    printf("rounds:                %.0f flights for the batch (both parties)\n", flights);
    if (same != n) {
        fprintf(stderr, "sirnn demo: secure inference differs from fixed-point on %zu %ss\n",
                n - same, unit);
        goto done;
    }
    if (profile)
        sirnn_tool_print_profile(&prof_cli, &srv.prof);
    printf("demo ok\n");
    rc = 0;
done:
    sirnn_tool_profile_free(&prof_cli);
    sirnn_tool_profile_free(&srv.prof);
    free(pf);
    free(pq);
    free(ps);
    sirnn_dataset_free(&ds);
    sirnn_fastgrnn_free(m);
    return rc;
}
