/*
 * A shaped link: a relay thread between a channel and its real socket that
 * gives every byte a one-way delay and each direction a bandwidth cap (the
 * model is in sirnn/party.h, sirnn_link).
 *
 *   channel fd  <-- socketpair -->  relay thread  <-- outer fd -->  peer
 *
 * The relay works on file descriptors only, so it composes with whatever the
 * channel runs over the stream (TCP, in-process socket pairs, TLS inside the
 * channel). It never changes a byte: the same bytes arrive in the same order,
 * later.
 *
 * Timing: bytes are read from a source as soon as there is room for them.
 * A read of b bytes at time t is serialised after the bytes ahead of it,
 * start = max(t, end of the previous serialisation), end = start + b / bw,
 * and becomes writable to the destination at end + delay.
 *
 * Memory: each direction holds at most bw * delay + SIRNN_SHAPE_SLACK bytes
 * (the bandwidth-delay product plus 1 MiB); when full, the relay stops
 * reading that source and the sender waits on its socket (backpressure).
 *
 * End of stream: EOF or an error on one side's read is passed on (after the
 * queued bytes) as a write shutdown of the other side. A write that fails
 * (the destination closed) drops that direction's bytes from then on.
 */
#ifndef SIRNN_NET_SHAPE_H
#define SIRNN_NET_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "sirnn/party.h"
#include "sirnn/status.h"

#define SIRNN_SHAPE_SLACK ((size_t)1 << 20)

typedef struct sirnn_shaper sirnn_shaper;

/* True if the link shapes anything (not the zero link). */
bool sirnn_link_active(const sirnn_link *link);
/* SIRNN_OK if the link is the zero link or a valid profile; otherwise
 * SIRNN_ERR_ARG and a message in msg (len bytes). */
sirnn_status sirnn_link_check(const sirnn_link *link, char *msg, size_t len);

/*
 * Start a relay for an active link. Takes ownership of outer_fd (a connected
 * stream socket; it is closed on failure too) and gives in *inner_fd the end
 * the channel should use (a blocking AF_UNIX stream socket, close-on-exec;
 * the caller owns it). timeout_ms (< 0: 30 s) bounds how long
 * sirnn_shaper_stop waits for queued bytes to get out.
 */
sirnn_status sirnn_shaper_start(sirnn_shaper **out, int *inner_fd, int outer_fd,
                                const sirnn_link *link, int timeout_ms);
/*
 * Stop and free a relay, after its channel closed *inner_fd: bytes the
 * channel sent before closing still go out on schedule (as TCP would deliver
 * them after close), for at most the timeout; then both relay sockets are
 * closed and the thread is joined. NULL is a no-op.
 */
void sirnn_shaper_stop(sirnn_shaper *s);

#endif /* SIRNN_NET_SHAPE_H */
