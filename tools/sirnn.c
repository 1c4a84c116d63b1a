/*
 * The `sirnn` command.
 *
 *   sirnn demo [--threads T] [--mib M]   two parties over loopback TCP in one
 *                                        process: handshake, kernel speeds,
 *                                        channel throughput
 *   sirnn version
 *   sirnn help
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sirnn/sirnn.h"
#include "kernels/aes.h"
#include "kernels/cpu.h"
#include "kernels/prg.h"
#include "kernels/transpose.h"
#include "net/party_internal.h"
#include "tools/commands.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: sirnn <command> [options]\n"
                 "commands:\n"
                 "  demo [--threads T] [--mib M]  run both parties over loopback TCP and report\n"
                 "                                the handshake, kernel speeds and channel throughput\n"
                 "  train [options]               train FastGRNN on Fashion-MNIST and write a\n"
                 "                                quantised model file (sirnn train --help)\n"
                 "  version                       print the library version and the SIMD level\n"
                 "  help                          this text\n");
}

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
    double t0 = now_s(), t;
    do {
        for (int r = 0; r < 16; r++)
            sirnn_aes_ecb(&key, buf, buf, DEMO_BLOCKS);
        total += 16 * DEMO_BLOCKS;
    } while ((t = now_s() - t0) < 0.25);
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
    double t0 = now_s(), t;
    do {
        for (int r = 0; r < 16; r++)
            sirnn_prg_blocks(&prg, buf, DEMO_BLOCKS);
        total += 16 * DEMO_BLOCKS;
    } while ((t = now_s() - t0) < 0.25);
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
    double t0 = now_s(), t;
    do {
        for (int r = 0; r < 16; r++)
            sirnn_transpose128(out, in, cols / 8, cols);
        total += 16 * 128 * cols / 8;
    } while ((t = now_s() - t0) < 0.25);
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

static int cmd_demo(int argc, char **argv)
{
    unsigned threads = 1;
    unsigned long mib = 512;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: sirnn demo [--threads T] [--mib M]\n"
                   "Runs a server and a client over loopback TCP in this process: handshake,\n"
                   "SIMD level, kernel speeds, and M MiB (default 512) of channel traffic.\n");
            return 0;
        }
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
            mib = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "sirnn demo: unknown option '%s' (try --help)\n", argv[i]);
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
    double t0 = now_s();
    sirnn_party *client = NULL;
    st = sirnn_party_connect(&client, "127.0.0.1", sirnn_listener_port(lst), &cfg);
    double t_hs = now_s() - t0;
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
        double t1 = now_s();
        for (unsigned i = 0; buf != NULL && i < client->nlanes && st == SIRNN_OK; i++) {
            sirnn_channel *ch = &client->lanes[i].ch;
            for (size_t done = 0; done < srv.bytes && st == SIRNN_OK; done += chunk)
                st = sirnn_channel_send(ch, buf, chunk);
            uint8_t ack;
            if (st == SIRNN_OK)
                st = sirnn_channel_recv(ch, &ack, 1);
        }
        double t_net = now_s() - t1;
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("libsirnn %s (SIMD level %s)\n", sirnn_version(), sirnn_isa_name());
        return 0;
    }
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "train") == 0)
        return sirnn_cmd_train(argc - 2, argv + 2);
    fprintf(stderr, "sirnn: unknown command '%s' (try 'sirnn help')\n", cmd);
    return 2;
}
