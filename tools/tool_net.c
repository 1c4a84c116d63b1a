/*
 * The commands' --net (an emulated link, net/shape.c), --profile (the
 * per-layer, per-protocol table of sirnn_party_profile_rows) and the
 * in-process server of `sirnn demo` and `sirnn run`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/party.h"
#include "tools/commands.h"

int sirnn_tool_parse_net(const char *cmd, const char *v, sirnn_link *link)
{
    if (v == NULL) {
        fprintf(stderr, "sirnn %s: --net needs lan, wan, loopback or RTT_MS:MBIT\n", cmd);
        return -1;
    }
    if (sirnn_link_parse(link, v) != SIRNN_OK) {
        fprintf(stderr, "sirnn %s: --net: %s\n", cmd, sirnn_last_error());
        return -1;
    }
    return 0;
}

void sirnn_tool_print_net(const sirnn_link *link)
{
    char name[64];
    sirnn_link_name(link, name, sizeof(name));
    if (link->rtt_ms == 0 && link->mbit == 0)
        printf("link: loopback (no emulated link)\n");
    else
        printf("link: %s, emulated: %g Mbit/s each way, %g ms round trip\n", name, link->mbit,
               link->rtt_ms);
}

void sirnn_tool_profile_take(sirnn_tool_profile *out, const sirnn_party *party)
{
    out->rows = NULL;
    out->n = sirnn_party_profile_rows(party, NULL, 0);
    if (out->n > 0)
        out->rows = malloc(out->n * sizeof(*out->rows));
    if (out->rows == NULL)
        out->n = 0;
    else
        out->n = sirnn_party_profile_rows(party, out->rows, out->n);
}

void sirnn_tool_profile_free(sirnn_tool_profile *p)
{
    free(p->rows);
    p->rows = NULL;
    p->n = 0;
}

/* Flights of the peer's row with the same layer and operation. */
static uint64_t peer_flights(const sirnn_tool_profile *peer, const sirnn_profile_row *r)
{
    for (size_t i = 0; peer != NULL && i < peer->n; i++)
        if (strcmp(peer->rows[i].layer, r->layer) == 0 && strcmp(peer->rows[i].op, r->op) == 0)
            return peer->rows[i].flights;
    return 0;
}

void sirnn_tool_print_profile(const sirnn_tool_profile *mine, const sirnn_tool_profile *peer)
{
    const sirnn_profile_row *rows = mine->rows;
    const size_t n = mine->n;
    printf("\nprofile (%s; time on this side; MB both directions):\n",
           peer != NULL ? "flights of both parties" : "flights sent by this side only");
    uint8_t *done = calloc(n > 0 ? n : 1, 1);
    if (done == NULL)
        return;
    uint64_t tot_calls = 0, tot_bytes = 0, tot_flights = 0;
    double tot_secs = 0;
    /* Per layer (in order of first use), then per protocol over all layers. */
    for (int pass = 0; pass < 2; pass++) {
        printf("  %-18s %-18s %8s %12s %9s %9s\n", pass == 0 ? "layer" : "all layers",
               "protocol", "calls", "MB", "flights", "time s");
        memset(done, 0, n > 0 ? n : 1);
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            uint64_t calls = 0, bytes = 0, flights = 0;
            double secs = 0;
            for (size_t j = i; j < n; j++) {
                const int same = pass == 0 ? j == i : strcmp(rows[j].op, rows[i].op) == 0;
                if (!same || done[j])
                    continue;
                done[j] = 1;
                calls += rows[j].calls;
                bytes += rows[j].bytes_sent + rows[j].bytes_received;
                flights += rows[j].flights + peer_flights(peer, &rows[j]);
                secs += rows[j].seconds;
            }
            if (pass == 1) {
                tot_calls += calls;
                tot_bytes += bytes;
                tot_flights += flights;
                tot_secs += secs;
            }
            printf("  %-18s %-18s %8llu %12.3f %9llu %9.3f\n", pass == 0 ? rows[i].layer : "",
                   rows[i].op, (unsigned long long)calls, (double)bytes / 1e6,
                   (unsigned long long)flights, secs);
        }
    }
    printf("  %-18s %-18s %8llu %12.3f %9llu %9.3f\n", "total", "", (unsigned long long)tot_calls,
           (double)tot_bytes / 1e6, (unsigned long long)tot_flights, tot_secs);
    free(done);
}

static void *local_server_main(void *arg)
{
    sirnn_tool_local_server *s = arg;
    s->st = sirnn_party_accept(&s->party, s->lst, &s->cfg);
    if (s->st != SIRNN_OK) {
        snprintf(s->err, sizeof(s->err), "%s", sirnn_last_error());
        return NULL;
    }
    sirnn_party_stats(s->party, &s->before);
    if (s->profile)
        sirnn_party_profile_start(s->party);
    for (;;) {
        size_t got = 0;
        s->st = s->serve(s->party, &got, s->model);
        if (s->served == 0) {
            sirnn_party_stats(s->party, &s->after);
            if (s->profile)
                sirnn_tool_profile_take(&s->prof, s->party);
        }
        if (s->st != SIRNN_OK) {
            snprintf(s->err, sizeof(s->err), "%s", sirnn_party_last_error(s->party));
            return NULL;
        }
        if (got == 0)
            return NULL;
        s->served += got;
    }
}

int sirnn_tool_local_server_start(sirnn_tool_local_server *s, const char *cmd)
{
    s->lst = NULL;
    s->party = NULL;
    s->st = SIRNN_OK;
    s->served = 0;
    s->prof = (sirnn_tool_profile){0, NULL};
    s->err[0] = '\0';
    if (sirnn_listener_open(&s->lst, "127.0.0.1", 0) != SIRNN_OK) {
        fprintf(stderr, "sirnn %s: %s\n", cmd, sirnn_last_error());
        return -1;
    }
    if (pthread_create(&s->thread, NULL, local_server_main, s) != 0) {
        sirnn_listener_close(s->lst);
        s->lst = NULL;
        fprintf(stderr, "sirnn %s: cannot start the server thread\n", cmd);
        return -1;
    }
    return 0;
}

void sirnn_tool_local_server_finish(sirnn_tool_local_server *s)
{
    pthread_join(s->thread, NULL);
    sirnn_listener_close(s->lst);
    sirnn_party_free(s->party);
    s->lst = NULL;
    s->party = NULL;
}
