/*
 * libFuzzer target: the FastGRNN session messages. The first 40 bytes of
 * the input are a client's request, served by a server on an in-process
 * pair (no OT engines: a request that passes every check fails at the first
 * OT, which is beyond this target); the bytes after them are parsed as the
 * server's reply, the public description of the model from which a client
 * builds its protocol plan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/nn.h"
#include "sirnn/party.h"
#include "net/channel.h"
#include "net/party_internal.h"
#include "nn/fg_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sirnn_fastgrnn *g_model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_model == NULL &&
        sirnn_fastgrnn_load(&g_model, "models/fashion_fastgrnn.sirnn") != SIRNN_OK) {
        fprintf(stderr, "fuzz_session: run from the repository root\n");
        abort();
    }
    if (size >= SIRNN_FG_PUBLIC_BYTES + 40) {
        sirnn_fg_public pub;
        sirnn_fg_plan plan;
        if (sirnn_fg_public_decode(&pub, data + 40) == SIRNN_OK)
            (void)sirnn_fg_plan_init(&plan, &pub);
    }
    sirnn_config cfg = sirnn_config_default();
    cfg.timeout_ms = 100;
    cfg.session_mem_bytes = (size_t)1 << 20; /* pieces stay small and fast */
    sirnn_party *srv = NULL, *cli = NULL;
    if (sirnn_net_party_pair(&srv, &cli, &cfg) != SIRNN_OK)
        abort();
    sirnn_channel *ch = &cli->lanes[0].ch;
    if (sirnn_channel_send(ch, data, size < 40 ? size : 40) != SIRNN_OK ||
        sirnn_channel_flush(ch) != SIRNN_OK)
        abort();
    sirnn_party_free(cli); /* the server sees the end of the input */
    size_t served = 0;
    (void)sirnn_fastgrnn_serve(srv, &served, g_model, SIRNN_FG_SERVE_SCORES);
    sirnn_party_free(srv);
    return 0;
}
