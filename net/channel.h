/*
 * A bidirectional byte channel between the two parties: one TCP connection
 * (plain, or TLS 1.3 over it: sirnn_channel_start_tls) or one end of an
 * in-process socketpair. Only the raw reads and writes differ between plain
 * and TLS; buffering, flights, deadlines and errors are the same above them.
 *
 * Writes are buffered and coalesced; the buffer is flushed when it fills,
 * when a read would have to wait for the peer, or on sirnn_channel_flush().
 * Large payloads go out with sendmsg straight from the caller's memory.
 * Reads block with poll() and the configured timeout. Partial I/O and EINTR
 * are retried; SIGPIPE never fires (MSG_NOSIGNAL); TCP_NODELAY is set.
 *
 * Timeouts: timeout_ms bounds every single wait for the peer (time without
 * any progress), not a whole call; a signal neither ends nor extends a wait.
 * A deadline (sirnn_channel_set_deadline) bounds a whole exchange: once it
 * has passed, every wait fails with SIRNN_ERR_TIMEOUT, however steadily the
 * peer trickles bytes.
 *
 * No deadlock when both parties send before they read: a send that would
 * block also drains incoming data into the read buffer, which grows as
 * needed (so it holds what the peer sends ahead of our reads), up to the
 * channel's read cap (sirnn_channel_set_read_cap; a party sets its
 * session_mem_bytes). A peer that sends more than that ahead of our reads
 * (one that floods while we are blocked sending) fails the channel with
 * SIRNN_ERR_PEER_MISMATCH and `why` says so: memory stays bounded.
 *
 * Errors are sticky: after the first failure (I/O, timeout, peer closed)
 * every call returns the same status, because the two parties are then out
 * of step. Argument errors (SIRNN_ERR_ARG) are not sticky: nothing was sent.
 *
 * Counters: bytes_sent is the sum of the sizes accepted by
 * sirnn_channel_send (queued or written), bytes_received the sum of the
 * sizes delivered by sirnn_channel_recv. flushes counts each
 * sirnn_channel_flush, flush-before-read, or large send that handed at least
 * one byte to the kernel. flights counts message flights, the unit of
 * rounds: all the sends between two receives form one flight, however many
 * flushes they take.
 *
 * A channel is used by one thread at a time.
 */
#ifndef SIRNN_NET_CHANNEL_H
#define SIRNN_NET_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

typedef struct sirnn_channel_stats {
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t flushes; /* flushes that handed at least one byte to the kernel */
    uint64_t flights; /* bursts of sends: a flight starts at the first send
                         after a receive (or at the start) */
    uint64_t rbuf_peak; /* largest size the read buffer reached, in bytes
                           (<= the read cap, or its initial size if larger) */
} sirnn_channel_stats;

typedef struct sirnn_channel {
    int fd;
    void *tls;            /* TLS connection over fd (net/tls.h), or NULL: plain */
    int timeout_ms;       /* < 0: wait forever */
    int64_t deadline_ms;  /* sirnn_monotonic_ms() after which waits fail; 0: none */
    sirnn_status error;   /* sticky */
    const char *why;      /* static text on the sticky error when its status alone
                             does not say what happened, else NULL */
    uint8_t *wbuf;
    size_t wlen, wcap;
    uint8_t *rbuf;
    size_t rpos, rlen, rcap;
    size_t rmax;   /* the read buffer's cap (sirnn_channel_set_read_cap) */
    int in_flight; /* sent since the last receive */
    sirnn_channel_stats stats;
    struct sirnn_mux *mux; /* a call group's multiplexer while one runs (net/group.c) */
} sirnn_channel;

/* While a call group (sirnn/group.h) runs on the channel, its members'
 * sends, flushes and receives go to their own queues instead (the group
 * frames them into flights); each returns 1 and sets *st when the calling
 * thread is a member of ch's group, else 0 (the channel's own path runs). */
int sirnn_mux_send(sirnn_channel *ch, const void *data, size_t n, sirnn_status *st);
int sirnn_mux_flush(sirnn_channel *ch, sirnn_status *st);
int sirnn_mux_recv(sirnn_channel *ch, void *data, size_t n, sirnn_status *st);

/* Take ownership of a connected stream socket: set non-blocking,
 * close-on-exec and TCP_NODELAY (on TCP), allocate buffers. timeout_ms < 0
 * waits forever. On failure the fd is closed and *ch is left closed (safe to
 * pass to sirnn_channel_close). fd < 0 gives SIRNN_ERR_ARG. */
sirnn_status sirnn_channel_from_fd(sirnn_channel *ch, int fd, int timeout_ms);
/* Two connected channels over an AF_UNIX socketpair (in-process transport,
 * close-on-exec). On failure both are left closed. */
sirnn_status sirnn_channel_pair(sirnn_channel *a, sirnn_channel *b, int timeout_ms);
/* Run TLS on the channel from now on: tls (from sirnn_tls_new on this
 * channel's fd, owned by the channel from now, even on failure) finishes its
 * handshake first, waiting as any read does (timeout, deadline). Byte
 * counters keep counting application bytes. SIRNN_ERR_CRYPTO with a message
 * in why when the handshake fails. */
sirnn_status sirnn_channel_start_tls(sirnn_channel *ch, void *tls, char *why, size_t whylen);
/* Flush nothing, close the fd and free the buffers. Safe on a zeroed channel
 * (it owns no fd: it has no buffers) and idempotent; later calls on the
 * channel return SIRNN_ERR_STATE (or the earlier sticky error). */
void sirnn_channel_close(sirnn_channel *ch);

/* Queue n bytes. If they fit in the free write-buffer space they are copied;
 * otherwise the queued bytes and the payload are written together without
 * copying the payload, and the call returns once all of it is in the kernel.
 * data may be NULL only when n == 0. */
sirnn_status sirnn_channel_send(sirnn_channel *ch, const void *data, size_t n);
/* Hand everything queued to the kernel (a no-op when nothing is queued). */
sirnn_status sirnn_channel_flush(sirnn_channel *ch);
/* Receive exactly n bytes: from the read buffer first; if more is needed,
 * pending output is flushed before touching the socket, and reads of
 * >= 64 KiB go straight into data. Returns SIRNN_ERR_PEER_CLOSED if the peer
 * closes before n bytes arrive, SIRNN_ERR_TIMEOUT if nothing arrives for
 * timeout_ms. */
sirnn_status sirnn_channel_recv(sirnn_channel *ch, void *data, size_t n);

/* Convenience for fixed-width little-endian integers (8 bytes on the wire). */
sirnn_status sirnn_channel_send_u64(sirnn_channel *ch, uint64_t v);
sirnn_status sirnn_channel_recv_u64(sirnn_channel *ch, uint64_t *v);

/* Bound the read buffer to `bytes` (at least its initial 256 KiB is kept):
 * the most the peer may send ahead of our reads while we are blocked
 * sending. Beyond it the channel fails with SIRNN_ERR_PEER_MISMATCH. The
 * default is SIRNN_CHANNEL_READ_CAP_DEFAULT. */
#define SIRNN_CHANNEL_READ_CAP_DEFAULT ((size_t)64 << 20)
void sirnn_channel_set_read_cap(sirnn_channel *ch, size_t bytes);

/* Waits end with SIRNN_ERR_TIMEOUT once sirnn_monotonic_ms() passes
 * deadline_ms (0 clears the deadline). The per-wait timeout still applies. */
void sirnn_channel_set_deadline(sirnn_channel *ch, int64_t deadline_ms);

/* Milliseconds on the monotonic clock (for deadlines). */
int64_t sirnn_monotonic_ms(void);

void sirnn_channel_get_stats(const sirnn_channel *ch, sirnn_channel_stats *out);

#endif /* SIRNN_NET_CHANNEL_H */
