/*
 * sirnn serve: party 0 of secure FastGRNN inference. Loads a model file,
 * listens, and serves up to --max-sessions clients at once, each on its own
 * thread with its own session (party, lanes, OT state); each client may send
 * any number of queries (batches). A client that leaves halfway, stalls or
 * lies is reported and costs only its own session slot until its deadline.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sirnn/graph.h"
#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "tools/commands.h"

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn serve --model FILE [--bind ADDR] --port P [options]\n"
            "Serves secure FastGRNN inference as party 0: clients (`sirnn query`) learn the\n"
            "classes of their images; this side learns nothing about them, and the weights\n"
            "never leave it.\n"
            "  --model FILE           quantised model file (from `sirnn train`, or an\n"
            "                         imported graph from `sirnn import`)\n"
            "  --bind ADDR            address to listen on (default 127.0.0.1; 0.0.0.0 for all)\n"
            "  --port P               TCP port (0: any free port, printed)\n"
            "  --threads T            lanes per session; clients must use the same (default 1)\n"
            "  --max-sessions N       clients served at once (default: the number of cores)\n"
            "  --timeout S            longest wait for a client's next bytes, and for its next\n"
            "                         query (default 30)\n"
            "  --handshake-timeout S  deadline for a client's whole session setup (default 10)\n"
            "  --session-mem MB       working memory per session; larger queries run in\n"
            "                         pieces (default 64)\n"
            "  --max-batch N          most images per query (default 1048576)\n"
            "  --scores               reveal the class scores to clients that ask (default: only\n"
            "                         the predicted class)\n"
            "  --fold                 serve a FastGRNN model with the state fold on (the\n"
            "                         client plans with it): fewer flights for more bytes,\n"
            "                         for single queries over a WAN; without --fold the\n"
            "                         model file decides (off unless saved with it): fewer\n"
            "                         bytes, for LANs and large batches\n"
            "  --clients N            exit after N clients (default 0: serve forever)\n"
            "  --tls-cert FILE        TLS 1.3 on every lane: this server's PEM certificate\n"
            "  --tls-key FILE         and its private key\n"
            "  --tls-ca FILE          require client certificates signed by this CA\n"
            "  --tls-psk-file FILE    or (and) a pre-shared key, 16..64 bytes in hex\n"
            "  --plain                plain TCP on an address other than loopback (the link\n"
            "                         must then be protected some other way)\n"
            "  --help                 this text\n"
            "Without TLS files, channels are plain TCP, allowed on loopback only unless\n"
            "--plain is given.\n");
}

typedef struct serve_shared {
    sirnn_listener *lst;
    const sirnn_fastgrnn *model;
    const sirnn_graph *graph; /* an imported graph model instead of model */
    sirnn_config cfg;
    unsigned flags;
    unsigned long long clients; /* 0: forever */
    atomic_ullong slots;        /* accept calls started: at most `clients` */
    atomic_ullong arrived;      /* clients numbered in the order they arrive */
} serve_shared;

/* One client's session, from accept to the end of its last query. */
static void serve_one(serve_shared *sh)
{
    sirnn_party *p = NULL;
    sirnn_status st0 = sirnn_party_accept(&p, sh->lst, &sh->cfg);
    const unsigned long long k = atomic_fetch_add(&sh->arrived, 1);
    if (st0 != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: client %llu: session setup failed: %s\n", k,
                sirnn_last_error());
        fflush(stderr);
        return;
    }
    const double t0 = sirnn_tool_now();
    size_t images = 0, batches = 0;
    for (;;) {
        size_t got = 0;
        sirnn_status st =
            sh->graph != NULL
                ? sirnn_graph_serve(p, &got, sh->graph,
                                    (sh->flags & SIRNN_FG_SERVE_SCORES) ? SIRNN_GRAPH_SERVE_SCORES
                                                                        : 0)
                : sirnn_fastgrnn_serve(p, &got, sh->model, sh->flags);
        if (st == SIRNN_OK && got == 0) {
            printf("sirnn serve: client %llu: %zu images in %zu queries, %.2f s\n", k, images,
                   batches, sirnn_tool_now() - t0);
            break;
        }
        if (st == SIRNN_OK) {
            images += got;
            batches++;
            continue;
        }
        if (st == SIRNN_ERR_ARG || st == SIRNN_ERR_UNSUPPORTED) {
            fprintf(stderr, "sirnn serve: client %llu: query refused: %s\n", k,
                    sirnn_party_last_error(p));
            continue;
        }
        fprintf(stderr,
                "sirnn serve: client %llu: left halfway after %zu images (%s: %s); "
                "serving the next client\n",
                k, images, sirnn_strerror(st), sirnn_party_last_error(p));
        break;
    }
    fflush(stdout);
    fflush(stderr);
    sirnn_party_free(p);
}

/* An imported graph model to serve: loaded, validated and quantised. */
static int serve_load_graph(const char *model, sirnn_graph **out)
{
    if (sirnn_graph_load(out, model) != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: cannot serve %s: %s\n", model, sirnn_last_error());
        return -1;
    }
    if (!(*out)->quantised) {
        fprintf(stderr, "sirnn serve: cannot serve %s: the graph is not quantised\n", model);
        sirnn_graph_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static void *serve_worker(void *arg)
{
    serve_shared *sh = arg;
    /* Each accept call ends with exactly one client (served or failed),
     * so `clients` calls in all serve exactly `clients` clients. */
    while (sh->clients == 0 || atomic_fetch_add(&sh->slots, 1) < sh->clients)
        serve_one(sh);
    return NULL;
}

int sirnn_cmd_serve(int argc, char **argv)
{
    const char *model = NULL, *bind = "127.0.0.1";
    unsigned long long port = 65536, threads = 1, clients = 0, timeout_s = 30, hs_s = 10;
    unsigned long long mem_mb = 64, max_batch = (unsigned long long)1 << 20;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long long sessions = cores > 0 ? (unsigned long long)cores : 1;
    unsigned flags = 0;
    int plain = 0, fold = 0;
    sirnn_config tls = sirnn_config_default(); /* only its tls_ fields are used */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            serve_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--scores") == 0) {
            flags |= SIRNN_FG_SERVE_SCORES;
            continue;
        }
        if (strcmp(a, "--plain") == 0) {
            plain = 1;
            continue;
        }
        if (strcmp(a, "--fold") == 0) {
            fold = 1;
            continue;
        }
        /* Numeric options: name, destination, range. */
        const struct {
            const char *name;
            unsigned long long *dst, lo, hi;
        } nums[] = {
            {"--port", &port, 0, 65535},
            {"--threads", &threads, 1, SIRNN_MAX_THREADS},
            {"--clients", &clients, 0, 1000000000},
            {"--max-sessions", &sessions, 1, 1024},
            {"--timeout", &timeout_s, 1, 86400},
            {"--handshake-timeout", &hs_s, 1, 3600},
            {"--session-mem", &mem_mb, 1, 1u << 20},
            {"--max-batch", &max_batch, 1, (unsigned long long)1 << 32},
        };
        int matched = 0;
        for (size_t o = 0; o < sizeof(nums) / sizeof(nums[0]); o++) {
            if (strcmp(a, nums[o].name) != 0)
                continue;
            matched = 1;
            if (sirnn_tool_parse_u(v, nums[o].lo, nums[o].hi, nums[o].dst) != 0) {
                fprintf(stderr, "sirnn serve: %s needs a number %llu..%llu\n", a, nums[o].lo,
                        nums[o].hi);
                return 2;
            }
        }
        if (matched) {
            i++;
            continue;
        }
        const char **str = strcmp(a, "--model") == 0          ? &model
                           : strcmp(a, "--bind") == 0         ? &bind
                           : strcmp(a, "--tls-cert") == 0     ? &tls.tls_cert
                           : strcmp(a, "--tls-key") == 0      ? &tls.tls_key
                           : strcmp(a, "--tls-ca") == 0       ? &tls.tls_ca
                           : strcmp(a, "--tls-psk-file") == 0 ? &tls.tls_psk_file
                                                              : NULL;
        if (str != NULL) {
            if (v == NULL) {
                fprintf(stderr, "sirnn serve: %s needs a value\n", a);
                return 2;
            }
            *str = v;
        } else {
            fprintf(stderr, "sirnn serve: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        i++;
    }
    if (model == NULL || port > 65535) {
        fprintf(stderr, "sirnn serve: --model FILE and --port P are required (try --help)\n");
        return 2;
    }
    sirnn_fastgrnn *m = NULL;
    sirnn_graph *gm = NULL;
    sirnn_fixfmt f;
    if (sirnn_tool_is_graph_file(model)) {
        if (serve_load_graph(model, &gm) != 0)
            return 1;
    } else if (sirnn_fastgrnn_load(&m, model) != SIRNN_OK ||
               (fold && sirnn_fastgrnn_set_state_fold(m, 1) != SIRNN_OK) ||
               sirnn_fastgrnn_score_fmt(m, &f) != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: cannot serve %s: %s\n", model, sirnn_last_error());
        sirnn_fastgrnn_free(m);
        sirnn_graph_free(gm);
        return 1;
    }
    serve_shared sh;
    memset(&sh, 0, sizeof(sh));
    sh.cfg = sirnn_config_default();
    sh.cfg.threads = (unsigned)threads;
    sh.cfg.connect_timeout_ms = -1; /* wait for clients forever */
    sh.cfg.timeout_ms = (int)(timeout_s * 1000);
    sh.cfg.handshake_timeout_ms = (int)(hs_s * 1000);
    sh.cfg.session_mem_bytes = (size_t)mem_mb << 20;
    sh.cfg.max_batch = max_batch;
    sh.cfg.tls_cert = tls.tls_cert;
    sh.cfg.tls_key = tls.tls_key;
    sh.cfg.tls_ca = tls.tls_ca;
    sh.cfg.tls_psk_file = tls.tls_psk_file;
    sh.cfg.allow_plain_remote = plain;
    if (sirnn_listener_open(&sh.lst, bind, (uint16_t)port) != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: cannot listen on %s:%llu: %s\n", bind, port,
                sirnn_last_error());
        sirnn_fastgrnn_free(m);
        sirnn_graph_free(gm);
        return 1;
    }
    sh.model = m;
    sh.graph = gm;
    sh.flags = flags;
    sh.clients = clients;
    atomic_init(&sh.slots, 0);
    atomic_init(&sh.arrived, 1);
    if (clients != 0 && sessions > clients)
        sessions = clients;
    /* Check the TLS files and the plain-TCP rule now, not at the first
     * client: a server that cannot serve says so at once. */
    if (sirnn_listener_start(sh.lst, &sh.cfg) != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: %s\n", sirnn_last_error());
        sirnn_listener_close(sh.lst);
        sirnn_fastgrnn_free(m);
        sirnn_graph_free(gm);
        return 1;
    }
    if (gm != NULL)
        printf("sirnn serve: %s (graph, %u operators, %zu inputs, %zu outputs) on %s:%u, %llu "
               "sessions at once, %s\n",
               model, gm->nnodes, sirnn_graph_size(gm, gm->input),
               sirnn_graph_size(gm, gm->output), bind, (unsigned)sirnn_listener_port(sh.lst),
               sessions, sh.cfg.tls_cert || sh.cfg.tls_psk_file ? "TLS 1.3" : "plain TCP");
    else
        printf("sirnn serve: %s (hidden %u, %u steps of %u, %u classes) on %s:%u, %llu "
               "sessions at once, %s\n",
               model, (unsigned)m->dims.hidden, (unsigned)m->dims.steps,
               (unsigned)m->dims.input, (unsigned)m->dims.classes, bind,
               (unsigned)sirnn_listener_port(sh.lst), sessions,
               sh.cfg.tls_cert || sh.cfg.tls_psk_file ? "TLS 1.3" : "plain TCP");
    fflush(stdout);
    int rc = 0;
    pthread_t *workers = calloc(sessions, sizeof(*workers));
    size_t started = 0;
    while (workers != NULL && started < sessions &&
           pthread_create(&workers[started], NULL, serve_worker, &sh) == 0)
        started++;
    if (started == 0) {
        fprintf(stderr, "sirnn serve: cannot start a session thread\n");
        rc = 1;
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    free(workers);
    sirnn_listener_close(sh.lst);
    sirnn_fastgrnn_free(m);
    sirnn_graph_free(gm);
    return rc;
}
