/*
 * Seed corpora for the fuzz targets, from real sessions: writes into DIR
 * (argument) the subdirectories fuzz_model, fuzz_handshake, fuzz_session.
 *   fuzz_model:     the shipped model file, and a float model of its shape
 *   fuzz_handshake: what a real client sent on lane 0 of a real one-image
 *                   query over loopback (recorded by a relay; OT pools of 128,
 *                   as the target's server), cut to 48 KiB, and its first 64
 *                   bytes (the hello) alone
 *   fuzz_session:   real requests (one image with scores; the session's
 *                   end; 79,000 images), each followed by the real model's
 *                   public description as a server sends it
 * Run from the repository root.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "net/tcp.h"
#include "nn/fashion.h"
#include "nn/fg_plan.h"

#define RECORD_MAX (48 * 1024)

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* A relay between one client and the server that records what the client
 * sends (up to RECORD_MAX bytes). */
typedef struct relay {
    int listen_fd;
    uint16_t server_port;
    uint8_t rec[RECORD_MAX];
    size_t len;
} relay;

static void *relay_main(void *arg)
{
    relay *r = arg;
    int c = -1, s = -1;
    if (sirnn_tcp_accept(r->listen_fd, 10000, &c) != SIRNN_OK ||
        sirnn_tcp_connect(&s, "127.0.0.1", r->server_port, 10000) != SIRNN_OK)
        return NULL;
    uint8_t buf[65536];
    int open_c = 1, open_s = 1;
    while (open_c || open_s) {
        struct pollfd pfd[2] = {{.fd = open_c ? c : -1, .events = POLLIN},
                                {.fd = open_s ? s : -1, .events = POLLIN}};
        if (poll(pfd, 2, 10000) <= 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (pfd[i].revents == 0)
                continue;
            int from = i == 0 ? c : s, to = i == 0 ? s : c;
            ssize_t n = read(from, buf, sizeof(buf));
            if (n <= 0) {
                shutdown(to, SHUT_WR);
                *(i == 0 ? &open_c : &open_s) = 0;
                continue;
            }
            if (i == 0 && r->len < RECORD_MAX) {
                size_t k = (size_t)n < RECORD_MAX - r->len ? (size_t)n : RECORD_MAX - r->len;
                memcpy(r->rec + r->len, buf, k);
                r->len += k;
            }
            for (ssize_t off = 0; off < n;) {
                ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
                if (w <= 0)
                    break;
                off += w;
            }
        }
    }
    close(c);
    close(s);
    return NULL;
}

/* Small OT pools, as fuzz_handshake's server uses (a fast setup per run). */
static sirnn_config seed_config(void)
{
    sirnn_config c = sirnn_config_default();
    c.ot_pool_size = 128;
    return c;
}

typedef struct server_arg {
    sirnn_listener *lst;
    const sirnn_fastgrnn *m;
} server_arg;

static void *server_main(void *arg)
{
    server_arg *a = arg;
    sirnn_party *p = NULL;
    sirnn_config cfg = seed_config();
    if (sirnn_party_accept(&p, a->lst, &cfg) == SIRNN_OK) {
        size_t got = 1;
        while (got > 0 && sirnn_fastgrnn_serve(p, &got, a->m, SIRNN_FG_SERVE_SCORES) == SIRNN_OK) {
        }
    }
    sirnn_party_free(p);
    return NULL;
}

static int record_session(const char *dir, const sirnn_fastgrnn *m)
{
    sirnn_listener *lst;
    static relay r;
    if (sirnn_listener_open(&lst, NULL, 0) != SIRNN_OK ||
        sirnn_tcp_listen(&r.listen_fd, "127.0.0.1", 0) != SIRNN_OK)
        return -1;
    uint16_t relay_port;
    sirnn_tcp_local_port(r.listen_fd, &relay_port);
    r.server_port = sirnn_listener_port(lst);
    server_arg sa = {lst, m};
    pthread_t ts, tr;
    pthread_create(&ts, NULL, server_main, &sa);
    pthread_create(&tr, NULL, relay_main, &r);
    sirnn_dataset ds;
    sirnn_party *p = NULL;
    int rc = -1;
    if (sirnn_fashion_load(&ds, NULL, 0, 1) == SIRNN_OK) {
        sirnn_config cfg = seed_config();
        if (sirnn_party_connect(&p, "127.0.0.1", relay_port, &cfg) == SIRNN_OK) {
            uint8_t cls;
            int32_t scores[16];
            if (sirnn_fastgrnn_query(p, 1, &cls, scores, NULL, ds.images, ds.rows, ds.cols, 16,
                                     NULL, NULL) == SIRNN_OK &&
                sirnn_fastgrnn_query(p, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL) ==
                    SIRNN_OK)
                rc = 0;
        }
        sirnn_party_free(p);
        sirnn_dataset_free(&ds);
    }
    pthread_join(ts, NULL);
    pthread_join(tr, NULL);
    sirnn_listener_close(lst);
    close(r.listen_fd);
    if (rc == 0 && r.len >= 64)
        rc = write_file(dir, "session_lane0", r.rec, r.len) |
             write_file(dir, "hello", r.rec, 64);
    return rc;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    char d_model[300], d_hs[300], d_sess[300];
    snprintf(d_model, sizeof(d_model), "%s/fuzz_model", argv[1]);
    snprintf(d_hs, sizeof(d_hs), "%s/fuzz_handshake", argv[1]);
    snprintf(d_sess, sizeof(d_sess), "%s/fuzz_session", argv[1]);
    mkdir(argv[1], 0755);
    mkdir(d_model, 0755);
    mkdir(d_hs, 0755);
    mkdir(d_sess, 0755);
    sirnn_fastgrnn *m = NULL, *fl = NULL;
    if (sirnn_fastgrnn_load(&m, "models/fashion_fastgrnn.sirnn") != SIRNN_OK) {
        fprintf(stderr, "make_seeds: %s\n", sirnn_last_error());
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = 0;
    if (sirnn_fastgrnn_encode(m, &buf, &len) != SIRNN_OK ||
        write_file(d_model, "fashion_quantised", buf, len) != 0)
        rc = 1;
    free(buf);
    buf = NULL;
    if (sirnn_fastgrnn_new(&fl, &m->dims) != SIRNN_OK || sirnn_fastgrnn_init(fl, 1) != SIRNN_OK ||
        sirnn_fastgrnn_encode(fl, &buf, &len) != SIRNN_OK ||
        write_file(d_model, "fashion_float", buf, len) != 0)
        rc = 1;
    free(buf);
    sirnn_fastgrnn_free(fl);
    /* Requests as sirnn_fastgrnn_query writes them, then the real reply's
     * public description. */
    sirnn_fg_public pub;
    uint8_t msg[40 + SIRNN_FG_PUBLIC_BYTES];
    if (sirnn_fg_public_from_model(&pub, m) != SIRNN_OK) {
        rc = 1;
    } else {
        const uint64_t ns[3] = {1, 0, 79000};
        const char *names[3] = {"one_image", "end", "huge"};
        for (int i = 0; i < 3; i++) {
            memset(msg, 0, sizeof(msg));
            memcpy(msg, "SFGQ", 4);
            put32(msg + 4, 1);
            put32(msg + 8, (uint32_t)ns[i]);
            put32(msg + 16, 28);
            put32(msg + 20, 28);
            put32(msg + 24, i == 0);
            put32(msg + 32, i == 0 ? 10 : 0);
            sirnn_fg_public_encode(msg + 40, &pub);
            rc |= write_file(d_sess, names[i], msg, sizeof(msg)) != 0;
        }
    }
    if (record_session(d_hs, m) != 0) {
        fprintf(stderr, "make_seeds: recording a session failed\n");
        rc = 1;
    }
    sirnn_fastgrnn_free(m);
    return rc;
}
