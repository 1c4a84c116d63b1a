/*
 * libFuzzer target: everything a server does with a client's bytes before
 * and during session setup, over real loopback TCP. The input is what a
 * client sends on its first connection (then it closes its sending side):
 * the listener's acceptor reads the first message (hello, lane hello or
 * garbage), the accept call checks the hello and answers it, waits for
 * lanes (which never come: lane 0's close is noticed), and with a good
 * one-lane hello runs the base OTs on the rest of the input; a session that
 * comes up then serves one FastGRNN request from what is left.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "net/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sirnn_listener *g_lst;
static sirnn_fastgrnn *g_model;
static sirnn_config g_cfg;

static void setup(void)
{
    if (sirnn_listener_open(&g_lst, "127.0.0.1", 0) != SIRNN_OK)
        abort();
    if (sirnn_fastgrnn_load(&g_model, "models/fashion_fastgrnn.sirnn") != SIRNN_OK) {
        fprintf(stderr, "fuzz_handshake: run from the repository root\n");
        abort();
    }
    g_cfg = sirnn_config_default();
    g_cfg.timeout_ms = 50; /* the target never reads: the server stops on a full socket */
    g_cfg.handshake_timeout_ms = 200;
    g_cfg.connect_timeout_ms = 2000;
    g_cfg.session_mem_bytes = (size_t)1 << 20; /* pieces stay small and fast */
    g_cfg.ot_pool_size = 128;                  /* as the seeds' sessions: a fast setup */
    if (sirnn_listener_start(g_lst, &g_cfg) != SIRNN_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_lst == NULL)
        setup();
    if (size > 48 * 1024) /* stays within the socket buffers: no blocking write */
        return 0;
    int fd = -1;
    if (sirnn_tcp_connect(&fd, "127.0.0.1", sirnn_listener_port(g_lst), 2000) != SIRNN_OK)
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    sirnn_party *p = NULL;
    if (sirnn_party_accept(&p, g_lst, &g_cfg) == SIRNN_OK) {
        size_t served = 0;
        (void)sirnn_fastgrnn_serve(p, &served, g_model, 0);
        sirnn_party_free(p);
    }
    close(fd);
    return 0;
}
