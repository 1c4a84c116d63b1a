/*
 * The party context as seen by the layers above net/ (ot/, arith/, ...).
 * Not installed: host applications see only the opaque sirnn_party.
 */
#ifndef SIRNN_NET_PARTY_INTERNAL_H
#define SIRNN_NET_PARTY_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sirnn/party.h"
#include "kernels/prg.h"
#include "net/channel.h"

/* Per-lane state owned by an upper layer (for example the OT engines). The
 * layer that attaches it provides the destructor, which must wipe secrets. */
typedef struct sirnn_lane_ext {
    void *state;
    void (*free_fn)(void *state);
} sirnn_lane_ext;

enum { SIRNN_LANE_EXT_OT = 0, SIRNN_LANE_EXT_COUNT = 4 };

struct sirnn_shaper;

typedef struct sirnn_lane {
    unsigned index;
    sirnn_channel ch;
    struct sirnn_shaper *shaper; /* the relay of a shaped link (net/shape.h), or NULL */
    sirnn_prg prg; /* this lane's private randomness (secret seed) */
    sirnn_lane_ext ext[SIRNN_LANE_EXT_COUNT];
} sirnn_lane;

struct sirnn_party {
    sirnn_role role;
    sirnn_config cfg;
    unsigned nlanes;
    sirnn_lane *lanes;
    sirnn_status broken; /* non-zero after an I/O error mid-protocol */
    uint64_t peer_mem_bytes; /* the peer's session_mem_bytes and max_batch */
    uint64_t peer_max_batch;
    struct sirnn_tls_ctx *tls; /* a client's TLS context (NULL: plain or server) */
    char last_error[256];
    struct sirnn_profile *profile; /* NULL unless sirnn_party_profile_start (net/profile.c) */
};

/*
 * Profile scopes (see sirnn_party_profile_start): upper layers name the
 * current layer with sirnn_prof_layer (a static string, kept until the next
 * call) and wrap each protocol call in sirnn_prof_begin / sirnn_prof_end
 * (op a static string; scopes do not nest). With the profile off each is
 * one test of party->profile.
 */
typedef struct sirnn_prof_scope {
    int on;
    const char *op;
    uint64_t sent, received, flights;
    int64_t t0_ns;
} sirnn_prof_scope;
void sirnn_prof_layer(sirnn_party *party, const char *layer);
/* Non-zero on the thread of a call group's member (net/group.c): its
 * layers and scopes are not recorded, since its flights are shared with the
 * other members; the caller's scope around sirnn_group_run records them. */
int sirnn_group_member_thread(void);
void sirnn_prof_begin(sirnn_party *party, sirnn_prof_scope *scope, const char *op);
void sirnn_prof_end(sirnn_party *party, const sirnn_prof_scope *scope);
/* st = expr, inside a profile scope named op. */
#define SIRNN_PROFILED(party, op, st, expr)                                                       \
    do {                                                                                         \
        sirnn_prof_scope sirnn_scope_;                                                           \
        sirnn_prof_begin((party), &sirnn_scope_, (op));                                          \
        (st) = (expr);                                                                           \
        sirnn_prof_end((party), &sirnn_scope_);                                                  \
    } while (0)

/*
 * Transport-level constructors: connect the lanes and run the handshake,
 * nothing more. The public sirnn_party_accept / _connect / _pair (ot/session.c)
 * call these and then set up the OT engines, so a party is complete when a
 * host application receives it.
 */
sirnn_status sirnn_net_party_accept(sirnn_party **out, sirnn_listener *lst,
                                    const sirnn_config *cfg);
sirnn_status sirnn_net_party_connect(sirnn_party **out, const char *host, uint16_t port,
                                     const sirnn_config *cfg);
sirnn_status sirnn_net_party_pair(sirnn_party **server, sirnn_party **client,
                                  const sirnn_config *cfg);

/* SIRNN_ERR_STATE if the party is broken, SIRNN_ERR_ARG if NULL, else OK. */
sirnn_status sirnn_party_usable(const sirnn_party *party);
/* Record a detailed message; returns status unchanged, for `return sirnn_party_error(...)`. */
sirnn_status sirnn_party_error(sirnn_party *party, sirnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* After a failed exchange: mark the party broken (every later call gets
 * SIRNN_ERR_STATE) and record the message. Returns status. */
sirnn_status sirnn_party_fail(sirnn_party *party, sirnn_status status, const char *what);
/* Set the per-thread constructor error message. */
void sirnn_set_last_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The batch driver: split [0, n) into one contiguous range per lane
 * (with q = n / T and r = n % T, lane i gets q + (i < r) elements starting
 * at q*i + min(i, r)) and run fn on each lane in parallel under
 * OpenMP. This is the only place with OpenMP; fn itself is serial. Both
 * parties split identically, so lane i talks to lane i. Returns the first
 * failing lane's status (lowest index) and marks the party broken if that
 * status is an I/O-class error.
 */
typedef sirnn_status (*sirnn_lane_fn)(sirnn_party *party, sirnn_lane *lane, size_t begin,
                                      size_t end, void *ctx);
sirnn_status sirnn_batch_run(sirnn_party *party, size_t n, sirnn_lane_fn fn, void *ctx);

#endif /* SIRNN_NET_PARTY_INTERNAL_H */
