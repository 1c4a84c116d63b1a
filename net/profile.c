/*
 * Per-operation profile of a party (sirnn_party_profile_start in
 * sirnn/party.h, the scopes in net/party_internal.h): a small table of
 * (layer, operation) rows, each summing the channel counters and the wall
 * time over its scopes. Rows are found by pointer first (the names are
 * static strings), then by content, so the same name from two files shares
 * a row.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/party_internal.h"

#define PROFILE_MAX_ROWS 64

typedef struct sirnn_profile sirnn_profile;

struct sirnn_profile {
    const char *layer; /* current layer */
    size_t nrows;
    sirnn_profile_row rows[PROFILE_MAX_ROWS];
};

static int64_t prof_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

sirnn_status sirnn_party_profile_start(sirnn_party *party)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (party->profile == NULL) {
        party->profile = calloc(1, sizeof(*party->profile));
        if (party->profile == NULL)
            return SIRNN_ERR_NOMEM;
    }
    memset(party->profile, 0, sizeof(*party->profile));
    party->profile->layer = "";
    return SIRNN_OK;
}

size_t sirnn_party_profile_rows(const sirnn_party *party, sirnn_profile_row *rows, size_t max)
{
    if (party == NULL || party->profile == NULL)
        return 0;
    const sirnn_profile *pr = party->profile;
    for (size_t i = 0; rows != NULL && i < pr->nrows && i < max; i++)
        rows[i] = pr->rows[i];
    return pr->nrows;
}

void sirnn_prof_layer(sirnn_party *party, const char *layer)
{
    if (party->profile != NULL && !sirnn_group_member_thread())
        party->profile->layer = layer;
}

static void channel_totals(const sirnn_party *party, uint64_t *sent, uint64_t *received,
                           uint64_t *flights)
{
    *sent = *received = *flights = 0;
    for (unsigned i = 0; i < party->nlanes; i++) {
        *sent += party->lanes[i].ch.stats.bytes_sent;
        *received += party->lanes[i].ch.stats.bytes_received;
        *flights += party->lanes[i].ch.stats.flights;
    }
}

void sirnn_prof_begin(sirnn_party *party, sirnn_prof_scope *scope, const char *op)
{
    scope->on = party->profile != NULL && !sirnn_group_member_thread();
    if (!scope->on)
        return;
    scope->op = op;
    channel_totals(party, &scope->sent, &scope->received, &scope->flights);
    scope->t0_ns = prof_now_ns();
}

static sirnn_profile_row *find_row(sirnn_profile *pr, const char *layer, const char *op)
{
    for (size_t i = 0; i < pr->nrows; i++) {
        sirnn_profile_row *r = &pr->rows[i];
        if ((r->layer == layer || strcmp(r->layer, layer) == 0) &&
            (r->op == op || strcmp(r->op, op) == 0))
            return r;
    }
    if (pr->nrows == PROFILE_MAX_ROWS)
        return &pr->rows[PROFILE_MAX_ROWS - 1]; /* the last row takes the overflow */
    sirnn_profile_row *r = &pr->rows[pr->nrows++];
    r->layer = layer;
    r->op = op;
    return r;
}

void sirnn_prof_end(sirnn_party *party, const sirnn_prof_scope *scope)
{
    if (!scope->on || party->profile == NULL)
        return;
    const double secs = (double)(prof_now_ns() - scope->t0_ns) / 1e9;
    uint64_t sent, received, flights;
    channel_totals(party, &sent, &received, &flights);
    sirnn_profile *pr = party->profile;
    sirnn_profile_row *r = find_row(pr, pr->layer, scope->op);
    r->calls++;
    r->bytes_sent += sent - scope->sent;
    r->bytes_received += received - scope->received;
    r->flights += flights - scope->flights;
    r->seconds += secs;
}
