/*
 * The server's listener (see sirnn_party_accept in include/sirnn/party.h):
 * a listening socket plus a background thread that accepts connections and
 * reads each one's first message without blocking, so that no silent, slow
 * or lying connection holds up anyone else.
 *
 * A first message is either a session hello (lane 0 of a new session,
 * SIRNN_HELLO_SIZE bytes) or a lane hello (a further lane of a session
 * already answered: magic | session id | lane index). Hellos are queued for
 * the accept calls; lane hellos are routed to the accept call that waits
 * for that session's lanes; anything else is queued as a failed arrival, so
 * an accept call can report it.
 */
#ifndef SIRNN_NET_LISTENER_H
#define SIRNN_NET_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/party.h"

#define SIRNN_HELLO_SIZE 64
#define SIRNN_LANE_HELLO_SIZE 28
/* Magic and protocol version: enough to tell a peer of another version. */
#define SIRNN_HELLO_PREFIX 12
/* What a TLS server answers a plain hello with (SIRNN_HELLO_SIZE bytes:
 * this magic, then zeros), so that the client can say what is wrong. */
extern const uint8_t sirnn_tls_required_magic[8];

extern const uint8_t sirnn_hello_magic[8];
extern const uint8_t sirnn_lane_magic[8];

/* Lane 0 of a new session, or a first contact that failed. */
typedef struct sirnn_arrival {
    int fd;                          /* connected socket; -1 when st != SIRNN_OK */
    void *tls;                       /* its TLS connection, handshake done, or NULL */
    size_t len;                      /* bytes of hello received: SIRNN_HELLO_SIZE, or
                                        SIRNN_HELLO_PREFIX when magic or version differ */
    uint8_t hello[SIRNN_HELLO_SIZE];
    sirnn_status st;                 /* SIRNN_OK, or why the connection was dropped */
    char why[200];
} sirnn_arrival;

/* The next arrival, waiting at most cfg->connect_timeout_ms (< 0: forever;
 * SIRNN_ERR_TIMEOUT when none). Starts the background thread on first use,
 * with its per-connection deadline and TLS settings from cfg (SIRNN_ERR_ARG
 * with a message in out->why if they are unusable, or if plain TCP is asked
 * for off loopback without allow_plain_remote). The caller owns out->fd and
 * out->tls. */
sirnn_status sirnn_listener_next(sirnn_listener *lst, const sirnn_config *cfg,
                                 sirnn_arrival *out);

/* A session waiting for its further lanes. Register it before answering
 * the hello (the client connects its lanes as soon as it has the answer). */
typedef struct sirnn_lane_wait {
    uint8_t session[16];
    unsigned nlanes;
    int fds[SIRNN_MAX_THREADS]; /* fds[1..nlanes): -1 until the lane arrives */
    void *tls[SIRNN_MAX_THREADS]; /* and their TLS connections (or NULL) */
    int wake;                   /* eventfd the acceptor signals */
    struct sirnn_lane_wait *next;
} sirnn_lane_wait;

/* Register w for the session's lanes 1..nlanes-1. */
sirnn_status sirnn_listener_expect_lanes(sirnn_listener *lst, sirnn_lane_wait *w,
                                         const uint8_t session[16], unsigned nlanes);
/* Wait until every lane of w has connected and named the session, or until
 * deadline_ms (sirnn_monotonic_ms; 0: none), or until the client closes
 * lane0_fd. Unregisters w in every case. On success w->fds[1..nlanes) hold
 * the lanes' sockets (their lane hellos consumed, owned by the caller); on
 * failure none are left open and why says what happened. */
sirnn_status sirnn_listener_wait_lanes(sirnn_listener *lst, sirnn_lane_wait *w, int lane0_fd,
                                       int64_t deadline_ms, char *why, size_t whylen);
/* Unregister w without waiting, closing the lanes that came. */
void sirnn_listener_forget_lanes(sirnn_listener *lst, sirnn_lane_wait *w);

#endif /* SIRNN_NET_LISTENER_H */
