/*
 * libsirnn party context.
 *
 * A sirnn_party is one side of a two-party session: the server (party 0,
 * usually the model owner) or the client (party 1, usually the data owner).
 * It holds the configuration and one *lane* per thread. Each lane owns its
 * own connection, randomness and OT engines (1-of-2 and KK13 1-of-N, both
 * directions, set up by the constructor), so a batch call splits its
 * elements over the lanes and runs them in parallel; results and bytes sent
 * are identical for any thread count.
 *
 * Contract, for every function in libsirnn that takes a party:
 *   - the party comes first, then size_t n, then outputs, then inputs, then
 *     parameters;
 *   - a batch is a flat array of n elements; NULL arrays are allowed only
 *     when n == 0;
 *   - the return value is a sirnn_status; argument errors are detected
 *     before anything is sent, so the session stays usable;
 *   - after an I/O error in the middle of a protocol the two parties are out
 *     of step: every later call returns SIRNN_ERR_STATE, and the party must
 *     be freed (a new session can then be opened);
 *   - a party is used by one host thread at a time (it runs its own lanes).
 *
 * OT extension: every OT, comparison and multiplication runs on 1-of-2 OT
 * extension whose receiver sends 128 bits per OT with SIRNN_OT_IKNP and
 * 128 / ot_k with SIRNN_OT_SOFTSPOKEN (config ot_backend, ot_k; both must
 * match the peer's, the handshake checks them). KK13 1-of-N OTs use k = 2
 * when ot_k >= 2 (128 instead of 256 bits per OT besides N * l). The
 * constructors refuse an unknown backend or an ot_k other than 1, 2, 4 or 8
 * with SIRNN_ERR_ARG and a message.
 *
 * Security model: semi-honest, two parties, no trusted dealer, computational
 * security parameter 128. Randomness comes from the OS (RAND_bytes) unless
 * the config's test mode is on, which makes runs reproducible and is
 * insecure by design.
 */
#ifndef SIRNN_PARTY_H
#define SIRNN_PARTY_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sirnn_role {
    SIRNN_ROLE_NONE = -1, /* what sirnn_party_role(NULL) returns: no party */
    SIRNN_SERVER = 0,     /* party 0 */
    SIRNN_CLIENT = 1      /* party 1 */
} sirnn_role;

typedef enum sirnn_ot_backend {
    SIRNN_OT_IKNP = 0,      /* IKNP OT extension: the receiver sends 128 bits per OT */
    SIRNN_OT_SOFTSPOKEN = 1, /* SoftSpokenOT (Roy, Crypto 2022, semi-honest) on the same
                               base OTs: 128 / ot_k bits per OT (the default) */
    SIRNN_OT_SILENT = 2     /* Ferret silent COT (CCS 2020, semi-honest; ot/silent.h),
                               bootstrapped from SoftSpoken with ot_k: the 1-of-2 calls of
                               sirnn/ot.h run on it at about 0.45 bits per COT plus one
                               choice-correction bit, and sirnn_kkot_* for N <= 16;
                               the protocol layers' own split-phase OTs stay on
                               SoftSpoken and KK13 (not the default) */
} sirnn_ot_backend;

/*
 * An emulated network link (net/shape.c): every flight is delayed by half
 * the round trip, and each direction is capped at `mbit` Mbit/s, both
 * directions independent. A flight of b bytes sent at t arrives at
 * t + rtt_ms / 2 + b / bandwidth after the bytes ahead of it. A relay thread
 * per lane sits between the channel and its socket, so the bytes on the
 * wire and every result are exactly those of an unshaped session; only
 * time changes. Memory per lane is bounded by the bandwidth-delay product
 * plus 1 MiB per direction; beyond that, senders wait (backpressure).
 *
 * The link is applied by the side whose config carries it (set it on one
 * side only, or the delays add up); sirnn_party_pair applies it once per
 * lane. The zero link (rtt_ms = 0, mbit = 0) means no shaping.
 */
typedef struct sirnn_link {
    double rtt_ms; /* round-trip time in ms, 0..60000 */
    double mbit;   /* bandwidth per direction in Mbit/s, > 0 and <= 1e6 when
                      rtt_ms > 0 or mbit > 0 */
} sirnn_link;

/* Parse a link profile: "lan" (1 Gbit/s, 0.5 ms RTT), "wan" (400 Mbit/s,
 * 40 ms RTT), "RTT_MS:MBIT" (for example "100:100"), or "loopback" / "none"
 * (no shaping). SIRNN_ERR_ARG with a message in sirnn_last_error() for
 * anything else or out-of-range numbers; *out is then unchanged. */
SIRNN_API sirnn_status sirnn_link_parse(sirnn_link *out, const char *spec);
/* The profile's name: "loopback" for the zero link, "lan" or "wan" for
 * those profiles, else "RTT_MS:MBIT" (shortest exact form). Writes at most
 * len bytes (NUL included) and returns buf. */
SIRNN_API const char *sirnn_link_name(const sirnn_link *link, char *buf, size_t len);

/* Largest number of lanes (threads) per party. */
#define SIRNN_MAX_THREADS 64

/* The one value of sirnn_config.test_mode that turns test mode on. */
#define SIRNN_TEST_MODE_ON 0x54455354 /* "TEST" */

typedef struct sirnn_config {
    unsigned threads;         /* lanes per party, 1..SIRNN_MAX_THREADS (default 1) */
    int timeout_ms;           /* longest wait for the peer in any single I/O step;
                                 < 0 waits forever (default 30000) */
    int connect_timeout_ms;   /* how long connect retries / accept waits
                                 (default 10000; < 0 forever) */
    sirnn_ot_backend ot_backend; /* SIRNN_OT_SOFTSPOKEN (default), SIRNN_OT_IKNP or
                                    SIRNN_OT_SILENT; must match on both sides */
    unsigned ot_k;            /* SoftSpoken block size 2, 4 or 8 (default 4; 1 is plain
                                 IKNP); the receiver sends 128/k bits per OT instead
                                 of 128, the extension costs both sides about
                                 2^k / k AES blocks per OT, and each lane
                                 keeps 2 * 2^k * 128 / k AES keys. Used with
                                 SIRNN_OT_SOFTSPOKEN and SIRNN_OT_SILENT (ignored with
                                 SIRNN_OT_IKNP);
                                 must match on both sides */
    size_t ot_pool_size;      /* random OTs generated ahead per lane (default 1<<16);
                                 must match on both sides */
    int test_mode;            /* 0 (off), or exactly SIRNN_TEST_MODE_ON: every seed
                                 derived from test_seed (INSECURE, for reproducible
                                 tests only; a warning goes to stderr). Any other
                                 value is refused with SIRNN_ERR_ARG, so a stray
                                 non-zero int never turns it on. Must match */
    uint64_t test_seed;
    sirnn_link link;          /* emulated link on this side's lanes (default: none;
                                 see sirnn_link); local, not checked against the peer */
    int handshake_timeout_ms; /* deadline for the whole session setup: the hello,
                                 every lane's connection and the base OTs must be
                                 done within it, however steadily the peer trickles
                                 bytes (default 10000; < 0 none). A server also
                                 drops a connection whose first message has not
                                 arrived within it */
    size_t session_mem_bytes; /* the most working memory a server session spends on
                                 one request; larger requests are run in pieces
                                 that fit (default 64 MiB, at least 64 KiB). Sent to
                                 the peer in the handshake. Also bounds what the
                                 lanes buffer of a peer that sends ahead of the
                                 protocol (a flood while this side is blocked
                                 sending): beyond session_mem_bytes / threads per
                                 lane (at least 8 MiB, more than any protocol's
                                 flight), the session fails with
                                 SIRNN_ERR_PEER_MISMATCH */
    uint64_t max_batch;       /* the largest batch one request may ask a server
                                 for (default 2^20, 1..2^32). Sent to the peer in
                                 the handshake */
    /* TLS 1.3 on every lane (net/tls.h), on when any of the four files is
     * given; they are read when a party (or a listener's first accept) is
     * created. Plain TCP to or from an address other than loopback is refused
     * unless allow_plain_remote is set, with SIRNN_ERR_ARG and a message: by
     * a listener bound to such an address (0.0.0.0 included) when it starts,
     * and by a client whose host name resolves to one, before connecting. */
    const char *tls_cert;     /* PEM certificate chain: the server's, or the client's
                                 own for mutual authentication */
    const char *tls_key;      /* PEM private key of tls_cert */
    const char *tls_ca;       /* PEM CA certificates: a client verifies the server's
                                 certificate (and that it names the host it connected
                                 to); a server requires client certificates from it */
    const char *tls_psk_file; /* pre-shared key, 16..64 bytes in hex, instead of or
                                 besides certificates (PSK with (EC)DHE) */
    int allow_plain_remote;   /* non-zero: plain TCP even off loopback (the link must
                                 then be private and authentic by other means) */
} sirnn_config;

/* The defaults listed above. */
SIRNN_API sirnn_config sirnn_config_default(void);

typedef struct sirnn_party sirnn_party;
typedef struct sirnn_listener sirnn_listener;

/* Counters summed over all lanes, since the party was created (the handshake
 * included). A flight is one burst of bytes sent before waiting for the peer. */
typedef struct sirnn_stats {
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t flights;
} sirnn_stats;

/*
 * Server side, in two steps so that a caller can learn an ephemeral port
 * before blocking: open a listening socket on bind_addr:port (bind_addr NULL
 * means 127.0.0.1; port 0 picks a free port), then accept one session.
 */
SIRNN_API sirnn_status sirnn_listener_open(sirnn_listener **out, const char *bind_addr,
                                           uint16_t port);
SIRNN_API uint16_t sirnn_listener_port(const sirnn_listener *lst);
SIRNN_API void sirnn_listener_close(sirnn_listener *lst);
/* Start accepting connections with cfg's connection deadlines and TLS
 * settings (cfg NULL: the defaults); otherwise the first sirnn_party_accept
 * does. Reports unusable TLS files, or plain TCP on an address other than
 * loopback without allow_plain_remote, at once (SIRNN_ERR_ARG, message in
 * sirnn_last_error()). A no-op once started. */
SIRNN_API sirnn_status sirnn_listener_start(sirnn_listener *lst, const sirnn_config *cfg);
/* Accept one client (all of its lanes) and run the handshake. cfg NULL means
 * the defaults. On error *out is NULL and the listener stays usable.
 *
 * Several threads may call sirnn_party_accept on one listener at once, to
 * serve sessions concurrently (sirnn_listener_close only after they have all
 * returned). A background thread of the listener accepts connections and
 * reads each one's first message without blocking anyone: a connection that
 * stays silent or trickles bytes is dropped after handshake_timeout_ms (or
 * timeout_ms if shorter) and never holds up other clients. Each call takes
 * the next complete hello (waiting at most connect_timeout_ms), answers it,
 * and waits for the session's further lanes, which must arrive within the
 * handshake deadline; if the client closes lane 0 meanwhile, the call fails
 * at once (SIRNN_ERR_PEER_CLOSED). A call also returns, with an error and a
 * message, for a connection whose first message was wrong or late, so a
 * host can log it. The listener's connection deadlines and TLS settings
 * come from sirnn_listener_start or else the first accept call on it. */
SIRNN_API sirnn_status sirnn_party_accept(sirnn_party **out, sirnn_listener *lst,
                                          const sirnn_config *cfg);
/* sirnn_listener_open + sirnn_party_accept + sirnn_listener_close. */
SIRNN_API sirnn_status sirnn_party_listen(sirnn_party **out, const char *bind_addr,
                                          uint16_t port, const sirnn_config *cfg);

/* Client side: connect to host:port (retrying until connect_timeout_ms so
 * the client may start first) and run the handshake. */
SIRNN_API sirnn_status sirnn_party_connect(sirnn_party **out, const char *host,
                                           uint16_t port, const sirnn_config *cfg);

/* Two connected parties in one process over in-process socket pairs (for
 * tests and embedded demos). Both must then be driven from different threads
 * for any interactive call. */
SIRNN_API sirnn_status sirnn_party_pair(sirnn_party **server, sirnn_party **client,
                                        const sirnn_config *cfg);

/* Close every lane, wipe keys and seeds, free. NULL is a no-op. */
SIRNN_API void sirnn_party_free(sirnn_party *party);

/* The party's role; SIRNN_ROLE_NONE for NULL. */
SIRNN_API sirnn_role sirnn_party_role(const sirnn_party *party);
/* The party's lane count; 0 for NULL. */
SIRNN_API unsigned sirnn_party_threads(const sirnn_party *party);
/* From now on, every wait for the peer fails with SIRNN_ERR_TIMEOUT once ms
 * milliseconds have passed (a deadline for a whole exchange, on top of
 * timeout_ms for each wait); ms < 0 clears it. A call that times out breaks
 * the party, as any I/O error does. */
SIRNN_API sirnn_status sirnn_party_set_deadline(sirnn_party *party, int ms);
/* The limits the peer announced in the handshake: its session_mem_bytes and
 * max_batch (a client learns what the server will take). Either output may
 * be NULL. */
SIRNN_API sirnn_status sirnn_party_peer_limits(const sirnn_party *party, uint64_t *mem_bytes,
                                               uint64_t *max_batch);
SIRNN_API sirnn_status sirnn_party_stats(const sirnn_party *party, sirnn_stats *out);
/*
 * Per-operation profile. Once started, the library records, for each
 * (layer, operation) scope that its higher-level code opens (for example
 * FastGRNN's "U h" layer and its "matmul" and "truncation" protocols), the
 * calls, the bytes this party sent and received, the flights it sent and
 * the wall time spent. Off by default, and then it costs one branch per
 * scope. sirnn_party_profile_start clears the rows and turns it on;
 * sirnn_party_profile_rows copies up to max rows (in order of first use)
 * and returns how many there are. The strings are static. A party records
 * only its own flights: add the peer's rows (same layer and operation) for
 * the flights of both parties.
 */
typedef struct sirnn_profile_row {
    const char *layer;
    const char *op;
    uint64_t calls;
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t flights;
    double seconds;
} sirnn_profile_row;

SIRNN_API sirnn_status sirnn_party_profile_start(sirnn_party *party);
SIRNN_API size_t sirnn_party_profile_rows(const sirnn_party *party, sirnn_profile_row *rows,
                                          size_t max);

/* A detailed message for the last error this party saw (for example which
 * handshake field differed), or "" if none; for NULL, a message saying so.
 * Valid until the next call. */
SIRNN_API const char *sirnn_party_last_error(const sirnn_party *party);
/* The message of the last error of a failed constructor on this thread
 * (listen/accept/connect/pair return no party to ask). */
SIRNN_API const char *sirnn_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_PARTY_H */
