/*
 * A bidirectional byte channel between the two parties: one TCP connection
 * or one end of an in-process socketpair.
 *
 * Writes are buffered and coalesced; the buffer is flushed when it fills,
 * when a read would have to wait for the peer, or on sirnn_channel_flush().
 * Large payloads go out with writev straight from the caller's memory.
 * Reads block with poll() and the configured timeout. Partial I/O and EINTR
 * are retried; SIGPIPE never fires (MSG_NOSIGNAL); TCP_NODELAY is set.
 *
 * Errors are sticky: after the first failure every call returns the same
 * status, because the two parties are then out of step.
 *
 * Counters: bytes handed to the kernel, bytes read from it, and flights (one
 * flight = a flush that actually sent bytes, i.e. one message burst).
 */
#ifndef SIRNN_NET_CHANNEL_H
#define SIRNN_NET_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

typedef struct sirnn_channel_stats {
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t flushes; /* flights: flushes that sent at least one byte */
} sirnn_channel_stats;

typedef struct sirnn_channel {
    int fd;
    int timeout_ms;       /* < 0: wait forever */
    sirnn_status error;   /* sticky */
    uint8_t *wbuf;
    size_t wlen, wcap;
    uint8_t *rbuf;
    size_t rpos, rlen, rcap;
    sirnn_channel_stats stats;
} sirnn_channel;

/* Take ownership of a connected stream socket: set non-blocking, TCP_NODELAY
 * (where it applies), allocate buffers. On failure the fd is closed. */
sirnn_status sirnn_channel_from_fd(sirnn_channel *ch, int fd, int timeout_ms);
/* Two connected channels over an AF_UNIX socketpair (in-process transport). */
sirnn_status sirnn_channel_pair(sirnn_channel *a, sirnn_channel *b, int timeout_ms);
/* Flush nothing, close the fd and free the buffers. Safe on a zeroed channel
 * and idempotent. */
void sirnn_channel_close(sirnn_channel *ch);

/* Queue n bytes (copied or written straight through when large). */
sirnn_status sirnn_channel_send(sirnn_channel *ch, const void *data, size_t n);
/* Send everything queued. */
sirnn_status sirnn_channel_flush(sirnn_channel *ch);
/* Receive exactly n bytes; flushes pending output first if it must wait.
 * Returns SIRNN_ERR_PEER_CLOSED if the peer closes before n bytes arrive,
 * SIRNN_ERR_TIMEOUT if nothing arrives for timeout_ms. */
sirnn_status sirnn_channel_recv(sirnn_channel *ch, void *data, size_t n);

/* Convenience for fixed-width little-endian integers. */
sirnn_status sirnn_channel_send_u64(sirnn_channel *ch, uint64_t v);
sirnn_status sirnn_channel_recv_u64(sirnn_channel *ch, uint64_t *v);

void sirnn_channel_get_stats(const sirnn_channel *ch, sirnn_channel_stats *out);

#endif /* SIRNN_NET_CHANNEL_H */
