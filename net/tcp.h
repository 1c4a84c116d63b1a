/*
 * TCP connection setup for channels.
 */
#ifndef SIRNN_NET_TCP_H
#define SIRNN_NET_TCP_H

#include <stdint.h>

#include "sirnn/status.h"

/* Bind and listen on addr:port (addr NULL = 127.0.0.1; port 0 = ephemeral).
 * SO_REUSEADDR is set. *fd_out receives the listening socket. */
sirnn_status sirnn_tcp_listen(int *fd_out, const char *addr, uint16_t port);
/* The port a listening socket is bound to. */
sirnn_status sirnn_tcp_local_port(int fd, uint16_t *port_out);
/* Accept one connection, waiting at most timeout_ms (< 0: forever). */
sirnn_status sirnn_tcp_accept(int listen_fd, int timeout_ms, int *fd_out);
/* Connect to host:port (name or address), retrying refused connections
 * until timeout_ms has passed, so the client may start before the server. */
sirnn_status sirnn_tcp_connect(int *fd_out, const char *host, uint16_t port, int timeout_ms);

#endif /* SIRNN_NET_TCP_H */
