/*
 * The public party constructors. They live at the OT layer because a party
 * is complete only once its OT engines are set up: the transport and
 * handshake come from net/, then the base OTs run on every lane in both
 * directions, once, when the party connects.
 */
#include <pthread.h>
#include <stdio.h>

#include "sirnn/ot.h"
#include "net/party_internal.h"

/* Base OTs on a freshly connected party, within the handshake deadline
 * that net/ set on its lanes (lifted once they are done); frees it on
 * failure. */
static sirnn_status setup_or_free(sirnn_party **party)
{
    sirnn_status st = sirnn_ot_setup(*party);
    if (st == SIRNN_OK)
        st = sirnn_party_set_deadline(*party, -1);
    if (st != SIRNN_OK) {
        sirnn_set_last_error("OT setup failed: %s", sirnn_party_last_error(*party)[0]
                                                        ? sirnn_party_last_error(*party)
                                                        : sirnn_strerror(st));
        sirnn_party_free(*party);
        *party = NULL;
    }
    return st;
}

sirnn_status sirnn_party_accept(sirnn_party **out, sirnn_listener *lst, const sirnn_config *cfg)
{
    sirnn_status st = sirnn_net_party_accept(out, lst, cfg);
    return st == SIRNN_OK ? setup_or_free(out) : st;
}

sirnn_status sirnn_party_listen(sirnn_party **out, const char *bind_addr, uint16_t port,
                                const sirnn_config *cfg)
{
    if (out == NULL)
        return SIRNN_ERR_ARG;
    *out = NULL;
    sirnn_listener *lst;
    sirnn_status st = sirnn_listener_open(&lst, bind_addr, port);
    if (st != SIRNN_OK)
        return st;
    st = sirnn_party_accept(out, lst, cfg);
    sirnn_listener_close(lst);
    return st;
}

sirnn_status sirnn_party_connect(sirnn_party **out, const char *host, uint16_t port,
                                 const sirnn_config *cfg)
{
    sirnn_status st = sirnn_net_party_connect(out, host, port, cfg);
    return st == SIRNN_OK ? setup_or_free(out) : st;
}

/* The client's half of the setup runs on a helper thread: the base OTs
 * need both parties at once. */
typedef struct setup_arg {
    sirnn_party *party;
    sirnn_status st;
} setup_arg;

static void *setup_main(void *a)
{
    setup_arg *s = a;
    s->st = sirnn_ot_setup(s->party);
    return NULL;
}

sirnn_status sirnn_party_pair(sirnn_party **server, sirnn_party **client, const sirnn_config *cfg)
{
    sirnn_status st = sirnn_net_party_pair(server, client, cfg);
    if (st != SIRNN_OK)
        return st;
    setup_arg cs = {*client, SIRNN_ERR_STATE};
    pthread_t th;
    if (pthread_create(&th, NULL, setup_main, &cs) != 0) {
        st = SIRNN_ERR_NOMEM;
    } else {
        st = sirnn_ot_setup(*server);
        pthread_join(th, NULL);
        if (st == SIRNN_OK)
            st = cs.st;
    }
    if (st != SIRNN_OK) {
        sirnn_set_last_error("OT setup failed: %s", sirnn_strerror(st));
        sirnn_party_free(*server);
        sirnn_party_free(*client);
        *server = *client = NULL;
    }
    return st;
}
