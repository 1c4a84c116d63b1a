/*
 * TLS 1.3 for the lanes (OpenSSL). A channel runs its raw reads and writes
 * either on a plain socket or on a TLS connection over it (net/channel.c);
 * this file holds everything OpenSSL: contexts built from the config's
 * certificate, key, CA and pre-shared-key files, connections on
 * non-blocking sockets, and error messages a user can act on.
 *
 * Authentication: the server proves itself with a certificate (verified
 * against the client's tls_ca, and its name or address against the host the
 * client connected to) or with the pre-shared key; a server given tls_ca
 * also requires a client certificate signed by it (mutual authentication).
 * With a pre-shared key, the handshake is PSK with (EC)DHE, so traffic keys
 * are fresh for every connection.
 *
 * Sockets are written with MSG_NOSIGNAL through a BIO of our own, so a peer
 * that leaves never raises SIGPIPE.
 */
#ifndef SIRNN_NET_TLS_H
#define SIRNN_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sirnn/party.h"

typedef struct sirnn_tls_ctx sirnn_tls_ctx;

/* Is TLS asked for in cfg (any of the tls_ fields set)? */
bool sirnn_tls_configured(const sirnn_config *cfg);

/* A context for the server or client side, from cfg's files (read now).
 * SIRNN_ERR_ARG with a message in why when files are missing or unusable
 * or the combination cannot authenticate the server. */
sirnn_status sirnn_tls_ctx_new(sirnn_tls_ctx **out, const sirnn_config *cfg, bool server,
                               char *why, size_t whylen);
void sirnn_tls_ctx_free(sirnn_tls_ctx *ctx);

/* A TLS connection on a connected non-blocking socket (not owned). host:
 * the name or address the client connected to, checked against the
 * server's certificate (NULL on the server side). NULL when out of memory. */
void *sirnn_tls_new(sirnn_tls_ctx *ctx, int fd, const char *host);
/* Free a connection, first sending close_notify if the socket takes it. */
void sirnn_tls_free(void *tls);

/* One step of the handshake: 1 done, 0 wait for *events on the socket and
 * call again, -1 failed (why says how, in terms a user can act on). */
int sirnn_tls_handshake(void *tls, short *events, char *why, size_t whylen);

/* Like read/write on the socket: > 0 bytes, 0 when the peer closed, -1 with
 * errno (EAGAIN: wait for *events; EBADMSG: TLS failure). */
ssize_t sirnn_tls_read(void *tls, void *buf, size_t n, short *events);
ssize_t sirnn_tls_write(void *tls, const void *buf, size_t n, short *events);

#endif /* SIRNN_NET_TLS_H */
