/*
 * Call groups: several independent two-party calls in one set of flights.
 *
 * Every protocol of libsirnn waits for the peer between its flights, so k
 * independent calls made one after another cost the sum of their flights
 * in round trips. sirnn_group_run runs them together instead: each call
 * (any function that takes the party, e.g. a sirnn_mult, a sirnn_sigmoid
 * and a sirnn_msb on unrelated data) runs as a cooperative task, and the
 * messages all of them send before they next wait for the peer go out as
 * one flight. The group then costs about the largest member's flights
 * instead of their sum, for a few bytes of framing per member and flight.
 *
 * Contract (besides party.h's):
 *   - both parties call sirnn_group_run with the same k and, member for
 *     member, the matching calls (member i of the server talks to member i
 *     of the client), as they would call them one after another;
 *   - the members must be independent: no member may read an output of
 *     another, and their arrays must not overlap where one of them writes
 *     (they run interleaved);
 *   - a member runs on a thread of its own (so it may block, use its
 *     stack, call any number of library functions with the party), one
 *     member at a time, in a fixed order: member 0 until it waits for the
 *     peer, then member 1, ... then the flight goes out and the peer's next
 *     flight comes in. So results, bytes and flights are identical run to
 *     run, and a member's results equal those of the same call made alone
 *     (its shares are as random; the values they reconstruct are equal);
 *   - a member may call any of the batch protocols of arith.h and math.h
 *     (any number, in any order); not the OT calls of ot.h (sirnn_rot_*,
 *     sirnn_cot_*, sirnn_ot_*: they keep a lane's OT engine scratch across
 *     their waits, which another member would overwrite; they return
 *     SIRNN_ERR_ARG there, before anything is sent), nor the session
 *     calls of nn.h and graph.h (they set the party's deadline), nor
 *     sirnn_group_run itself (SIRNN_ERR_STATE), nor free the party.
 *
 * Flights: with one lane per party, the group's flights (both parties) are
 * the largest member's when every member's first flight is sent by the same
 * party (each later flight of every member then rides in the same
 * exchange); when members start from different parties, both send their
 * first flights at once and the group takes about one flight more. With
 * several lanes per party the members run one after another (the flights
 * add up): their lanes would otherwise have to interleave the OT engines of
 * each lane in an order both parties can agree on without talking.
 * Example (`sirnn-bench group`, pinned in bench/baseline.json): sigmoid,
 * tanh and exp at 16/12 and sirnn_msb at l = 32 on 4,096 elements each
 * take 10 flights as one group and 31 one after another (12 as one group
 * at 65,536 each: the math functions' lookups still run window by window).
 *
 * Bytes: the members' bytes, plus per flight 4 bytes and, per member that
 * sends in it, 12 bytes (its index and length).
 *
 * Memory: each member's messages of one flight are held until that flight
 * goes out, and the peer's messages to a member until the member reads
 * them: at most the members' largest flights (every protocol of the library
 * bounds its flights by its window). A peer's message to a member of more
 * than SIRNN_GROUP_MAX_MESSAGE bytes in one flight is refused
 * (SIRNN_ERR_PEER_MISMATCH).
 *
 * Profile (sirnn_party_profile_start): the members' own layers and scopes
 * are not recorded, since they share their flights; a scope of the caller
 * around sirnn_group_run records the group as a whole.
 *
 * Errors: each member's status is written to calls[i].status and the
 * call returns the first member's failure (lowest index), or SIRNN_OK.
 * A member that fails with an argument error (SIRNN_ERR_ARG,
 * SIRNN_ERR_UNSUPPORTED: nothing sent for it) leaves the others running;
 * any other failure (I/O, timeout, a peer that left or lies) breaks the
 * party as everywhere (party.h): every member still waiting is ended with
 * that status, and later calls return SIRNN_ERR_STATE. Timeouts and the
 * party's deadline apply to every wait for the peer's flights.
 */
#ifndef SIRNN_GROUP_H
#define SIRNN_GROUP_H

#include <stddef.h>

#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most members in one group. */
#define SIRNN_GROUP_MAX 64
/* Largest message to one member in one flight of a group (bytes). */
#define SIRNN_GROUP_MAX_MESSAGE ((size_t)1 << 30)

/* One member: fn(party, arg) is the call; its status is written to status. */
typedef sirnn_status (*sirnn_group_fn)(sirnn_party *party, void *arg);
typedef struct sirnn_group_call {
    sirnn_group_fn fn;
    void *arg;
    sirnn_status status; /* output */
} sirnn_group_call;

/*
 * Run calls[0..k) as one group (see above). k = 0 is a no-op, k = 1 runs
 * the call directly (no framing); k > 0 with a
 * NULL calls array, a NULL fn, or k > SIRNN_GROUP_MAX gives SIRNN_ERR_ARG
 * before anything is sent. Secrets: whatever the members' are; the framing
 * shows only which members send in a flight and how many bytes, which
 * their calls made alone show as well.
 */
SIRNN_API sirnn_status sirnn_group_run(sirnn_party *party, size_t k, sirnn_group_call *calls);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_GROUP_H */
