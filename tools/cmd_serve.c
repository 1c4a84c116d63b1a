/*
 * sirnn serve: party 0 of secure FastGRNN inference. Loads a model file,
 * listens, and serves clients one after another; each client may send any
 * number of queries (batches). A client that leaves halfway is reported and
 * the server goes on with the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "tools/commands.h"

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: sirnn serve --model FILE [--bind ADDR] --port P [options]\n"
            "Serves secure FastGRNN inference as party 0: clients (`sirnn query`) learn the\n"
            "classes of their images; this side learns nothing about them, and the weights\n"
            "never leave it. Clients are served one after another.\n"
            "  --model FILE    quantised model file (from `sirnn train`)\n"
            "  --bind ADDR     address to listen on (default 127.0.0.1; 0.0.0.0 for all)\n"
            "  --port P        TCP port (0: any free port, printed)\n"
            "  --threads T     lanes per session; clients must use the same (default 1)\n"
            "  --scores        reveal the class scores to clients that ask (default: only\n"
            "                  the predicted class)\n"
            "  --clients N     exit after N clients (default 0: serve forever)\n"
            "  --help          this text\n"
            "Channels are not encrypted: across machines, run over a secure transport.\n");
}

int sirnn_cmd_serve(int argc, char **argv)
{
    const char *model = NULL, *bind = "127.0.0.1";
    unsigned long long port = 65536, threads = 1, clients = 0;
    unsigned flags = 0;
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
        if (strcmp(a, "--model") == 0 || strcmp(a, "--bind") == 0) {
            if (v == NULL) {
                fprintf(stderr, "sirnn serve: %s needs a value\n", a);
                return 2;
            }
            *(strcmp(a, "--model") == 0 ? &model : &bind) = v;
        } else if (strcmp(a, "--port") == 0) {
            if (sirnn_tool_parse_u(v, 0, 65535, &port) != 0) {
                fprintf(stderr, "sirnn serve: --port needs a number 0..65535\n");
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0) {
            if (sirnn_tool_parse_u(v, 1, SIRNN_MAX_THREADS, &threads) != 0) {
                fprintf(stderr, "sirnn serve: --threads needs a number 1..%d\n",
                        SIRNN_MAX_THREADS);
                return 2;
            }
        } else if (strcmp(a, "--clients") == 0) {
            if (sirnn_tool_parse_u(v, 0, 1000000000, &clients) != 0) {
                fprintf(stderr, "sirnn serve: --clients needs a number\n");
                return 2;
            }
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
    sirnn_fixfmt f;
    if (sirnn_fastgrnn_load(&m, model) != SIRNN_OK ||
        sirnn_fastgrnn_score_fmt(m, &f) != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: cannot serve %s: %s\n", model, sirnn_last_error());
        sirnn_fastgrnn_free(m);
        return 1;
    }
    sirnn_listener *lst = NULL;
    if (sirnn_listener_open(&lst, bind, (uint16_t)port) != SIRNN_OK) {
        fprintf(stderr, "sirnn serve: cannot listen on %s:%llu: %s\n", bind, port,
                sirnn_last_error());
        sirnn_fastgrnn_free(m);
        return 1;
    }
    sirnn_config cfg = sirnn_config_default();
    cfg.threads = (unsigned)threads;
    cfg.connect_timeout_ms = -1; /* wait for clients forever */
    printf("sirnn serve: %s (hidden %u, %u steps of %u, %u classes) on %s:%u\n", model,
           (unsigned)m->dims.hidden, (unsigned)m->dims.steps, (unsigned)m->dims.input,
           (unsigned)m->dims.classes, bind, (unsigned)sirnn_listener_port(lst));
    fflush(stdout);
    int rc = 0;
    for (unsigned long long k = 1; clients == 0 || k <= clients; k++) {
        sirnn_party *p = NULL;
        if (sirnn_party_accept(&p, lst, &cfg) != SIRNN_OK) {
            fprintf(stderr, "sirnn serve: client %llu: session setup failed: %s\n", k,
                    sirnn_last_error());
            continue;
        }
        const double t0 = sirnn_tool_now();
        size_t images = 0, batches = 0;
        for (;;) {
            size_t got = 0;
            sirnn_status st = sirnn_fastgrnn_serve(p, &got, m, flags);
            if (st == SIRNN_OK && got == 0) {
                printf("sirnn serve: client %llu: %zu images in %zu queries, %.2f s\n", k,
                       images, batches, sirnn_tool_now() - t0);
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
    sirnn_listener_close(lst);
    sirnn_fastgrnn_free(m);
    return rc;
}
