/*
 * Network benchmarks.
 *
 * channel: one-way throughput of a sirnn_channel over loopback TCP.
 *   n      total bytes per run (default 1 GiB)
 *   bytes  message size, i.e. the size of each sirnn_channel_send and
 *          sirnn_channel_recv call (default 1 MiB)
 * A sender thread (the timed side) waits for a one-byte "go" from the
 * receiver, sends n bytes in messages of `bytes`, flushes, and stops the
 * clock when the receiver's one-byte reply arrives, so the figure covers
 * delivery, not just queueing. ns_per_op is ns per byte; gb_per_s is
 * 1e9 bytes/s. bits_per_op counts the payload and the reply (the go byte is
 * the sync before timing); rounds is 2: one flight each way. `threads` is
 * ignored (one connection).
 */
#include "bench/bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/channel.h"
#include "net/tcp.h"

#define NET_BENCH_TIMEOUT_MS 60000

typedef struct channel_bench {
    sirnn_channel *ch;
    size_t total;    /* bytes per run */
    size_t msg;      /* bytes per send / recv call */
    unsigned runs;
    uint8_t *buf;
    sirnn_status status;
} channel_bench;

/* The receiving party, on its own thread. */
static void *channel_receiver(void *arg)
{
    channel_bench *b = arg;
    sirnn_status st = SIRNN_OK;
    uint8_t one = 1;
    for (unsigned run = 0; run < b->runs && st == SIRNN_OK; run++) {
        st = sirnn_channel_send(b->ch, &one, 1);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(b->ch);
        for (size_t pos = 0; pos < b->total && st == SIRNN_OK; pos += b->msg) {
            size_t len = b->total - pos < b->msg ? b->total - pos : b->msg;
            st = sirnn_channel_recv(b->ch, b->buf, len);
        }
        if (st == SIRNN_OK)
            st = sirnn_channel_send(b->ch, &one, 1);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(b->ch);
    }
    b->status = st;
    return NULL;
}

/* Sender side of one timed run; returns the elapsed ns or a negative value. */
static double channel_send_run(sirnn_channel *ch, const uint8_t *buf, size_t total, size_t msg)
{
    uint8_t flag = 0;
    if (sirnn_channel_recv(ch, &flag, 1) != SIRNN_OK)
        return -1;
    double t0 = bench_now_ns();
    for (size_t pos = 0; pos < total; pos += msg) {
        size_t len = total - pos < msg ? total - pos : msg;
        if (sirnn_channel_send(ch, buf, len) != SIRNN_OK)
            return -1;
    }
    if (sirnn_channel_flush(ch) != SIRNN_OK || sirnn_channel_recv(ch, &flag, 1) != SIRNN_OK)
        return -1;
    return bench_elapsed_ns(t0);
}

static int has_param(const bench_params *p, const char *key)
{
    for (int i = 0; i < p->nkv; i++)
        if (strcmp(p->key[i], key) == 0)
            return 1;
    return 0;
}

static int bench_channel(const bench_params *p, bench_result *r)
{
    long long msg_param = bench_param_int(p, "bytes", 1 << 20);
    if (msg_param <= 0 || p->n == 0)
        return 1;
    size_t msg = (size_t)msg_param;
    int lfd = -1, cfd = -1, afd = -1;
    uint16_t port = 0;
    if (sirnn_tcp_listen(&lfd, NULL, 0) != SIRNN_OK || sirnn_tcp_local_port(lfd, &port) != SIRNN_OK ||
        sirnn_tcp_connect(&cfd, "127.0.0.1", port, NET_BENCH_TIMEOUT_MS) != SIRNN_OK ||
        sirnn_tcp_accept(lfd, NET_BENCH_TIMEOUT_MS, &afd) != SIRNN_OK) {
        if (lfd >= 0)
            close(lfd);
        if (cfd >= 0)
            close(cfd);
        return 2;
    }
    close(lfd);
    sirnn_channel tx, rx;
    if (sirnn_channel_from_fd(&tx, cfd, NET_BENCH_TIMEOUT_MS) != SIRNN_OK) {
        close(afd);
        return 3;
    }
    if (sirnn_channel_from_fd(&rx, afd, NET_BENCH_TIMEOUT_MS) != SIRNN_OK) {
        sirnn_channel_close(&tx);
        return 3;
    }

    int rc = 0;
    uint8_t *sbuf = malloc(msg), *rbuf = malloc(msg);
    double *times = calloc(p->runs, sizeof *times);
    channel_bench b = {&rx, p->n, msg, p->runs, rbuf, SIRNN_OK};
    pthread_t th;
    if (sbuf == NULL || rbuf == NULL || times == NULL) {
        rc = 4;
        goto out;
    }
    for (size_t i = 0; i < msg; i++)
        sbuf[i] = (uint8_t)(i * 131 + 7);
    if (pthread_create(&th, NULL, channel_receiver, &b) != 0) {
        rc = 5;
        goto out;
    }
    sirnn_channel_stats before, after;
    sirnn_channel_get_stats(&tx, &before);
    for (unsigned run = 0; run < p->runs && rc == 0; run++) {
        times[run] = channel_send_run(&tx, sbuf, p->n, msg);
        if (times[run] < 0)
            rc = 6;
    }
    sirnn_channel_get_stats(&tx, &after);
    if (rc != 0)
        sirnn_channel_close(&tx); /* unblocks the receiver with PEER_CLOSED */
    pthread_join(th, NULL);
    if (rc == 0 && b.status != SIRNN_OK)
        rc = 7;
    if (rc == 0) {
        r->ns_per_op = bench_median(times, p->runs) / (double)p->n;
        /* Per run: the payload one way and the one-byte reply back. The
         * receiver's go bytes are sync, outside the timed part. */
        double payload = (double)(after.bytes_sent - before.bytes_sent) / p->runs;
        double reply = (double)(after.bytes_received - before.bytes_received) / p->runs - 1.0;
        r->bits_per_op = 8.0 * (payload + reply) / (double)p->n;
        r->rounds = 2;
        if (!has_param(p, "bytes"))
            bench_extra_int(r, "bytes", (long long)msg);
        bench_extra_double(r, "gb_per_s", 1.0 / r->ns_per_op);
    }
out:
    free(sbuf);
    free(rbuf);
    free(times);
    sirnn_channel_close(&tx);
    sirnn_channel_close(&rx);
    return rc;
}

const bench_kernel bench_group_net[] = {
    {"channel", "bytes=1048576 (message size; n = total bytes)", (size_t)1 << 30, bench_channel},
    {NULL, NULL, 0, NULL},
};
