/*
 * TCP connection setup for channels. Hosts and addresses are names or
 * IPv4/IPv6 literals resolved with getaddrinfo. Every socket is
 * close-on-exec. Descriptors returned by accept and connect are connected,
 * blocking stream sockets, ready for sirnn_channel_from_fd().
 */
#ifndef SIRNN_NET_TCP_H
#define SIRNN_NET_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "sirnn/status.h"

/* Bind and listen on addr:port (addr NULL = 127.0.0.1; port 0 = ephemeral).
 * SO_REUSEADDR is set; the first resolved address that binds is used.
 * *fd_out receives the listening socket (non-blocking; the caller closes
 * it), or -1 on failure (SIRNN_ERR_IO). */
sirnn_status sirnn_tcp_listen(int *fd_out, const char *addr, uint16_t port);
/* The port a (listening) socket is bound to. */
sirnn_status sirnn_tcp_local_port(int fd, uint16_t *port_out);
/* Accept one connection, waiting at most timeout_ms (< 0: forever):
 * SIRNN_ERR_TIMEOUT if none arrives. Aborted connections are skipped.
 * *fd_out is -1 on failure. */
sirnn_status sirnn_tcp_accept(int listen_fd, int timeout_ms, int *fd_out);
/* Connect to host:port (name or address), trying every resolved address and
 * retrying refused connections every few ms until timeout_ms has passed
 * (< 0: forever), so the client may start before the server. Gives
 * SIRNN_ERR_TIMEOUT when still refused (or still connecting) at the
 * deadline, SIRNN_ERR_IO when the name does not resolve or the addresses
 * fail otherwise, SIRNN_ERR_ARG for a NULL host or port 0. *fd_out is -1 on
 * failure. */
sirnn_status sirnn_tcp_connect(int *fd_out, const char *host, uint16_t port, int timeout_ms);

/* Is the socket's own address (peer = false) or its peer's (peer = true) a
 * loopback address (127.0.0.0/8, ::1, or 127.x mapped into IPv6)? Non-IP
 * sockets (socketpairs) count as loopback. */
bool sirnn_tcp_is_loopback(int fd, bool peer);
/* Does host (a name or address) resolve to any address other than
 * loopback? False when it does not resolve (connecting then says so).
 * Nothing is sent to the host. */
bool sirnn_tcp_host_off_loopback(const char *host);

#endif /* SIRNN_NET_TCP_H */
