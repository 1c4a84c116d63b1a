/*
 * Party construction, the handshake, and teardown.
 *
 * Handshake (lane 0; the client sends its hello first, the server answers
 * with its own, so each side sends one flight):
 *   hello = magic "SIRNNhs1" | version u32 | role u8 | test_mode u8 | 0 u16 |
 *           lanes u32 | ot_backend u16 | ot_k u16 | ot_pool_size u64 | session[16] |
 *           session_mem_bytes u64 | max_batch u64
 * (64 bytes, little-endian; ot_k is the effective SoftSpoken block size, 1
 * for SIRNN_OT_IKNP whatever the config's ot_k says; the client's session
 * field is zero). Each side compares the peer's hello with its own
 * expectations, so a mismatch is reported on both sides, with the field
 * that differed; the limits are not compared but kept, so a client learns
 * what the server will take. The server's session id (random) is echoed by
 * the client on every further TCP lane together with the lane index:
 *   lane hello = magic "SIRNNln1" | session[16] | lane u32
 * so a stray connection can never be taken for a lane of this session. The
 * server reads first messages in its listener's acceptor thread
 * (net/listener.c), so no connection can stall another.
 */
#include "net/party_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sirnn/version.h"
#include "kernels/random.h"
#include "net/shape.h"
#include "net/listener.h"
#include "net/tcp.h"
#include "net/tls.h"

#define HELLO_SIZE SIRNN_HELLO_SIZE
#define LANE_HELLO_SIZE SIRNN_LANE_HELLO_SIZE
#define k_hello_magic sirnn_hello_magic
#define k_lane_magic sirnn_lane_magic

static _Thread_local char g_last_error[256];

void sirnn_set_last_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_last_error, sizeof(g_last_error), fmt, ap);
    va_end(ap);
}

const char *sirnn_last_error(void)
{
    return g_last_error;
}

sirnn_config sirnn_config_default(void)
{
    sirnn_config c;
    memset(&c, 0, sizeof(c));
    c.threads = 1;
    c.timeout_ms = 30000;
    c.connect_timeout_ms = 10000;
    c.ot_backend = SIRNN_OT_SOFTSPOKEN;
    c.ot_k = 4;
    c.ot_pool_size = (size_t)1 << 16;
    c.test_mode = 0;
    c.test_seed = 0;
    c.handshake_timeout_ms = 10000;
    c.session_mem_bytes = (size_t)64 << 20;
    c.max_batch = (uint64_t)1 << 20;
    return c;
}

static sirnn_status check_config(const sirnn_config *c)
{
    if (c->test_mode != 0 && c->test_mode != SIRNN_TEST_MODE_ON) {
        sirnn_set_last_error("config: test_mode must be 0 or SIRNN_TEST_MODE_ON (got %d); "
                             "test mode makes every seed public",
                             c->test_mode);
        return SIRNN_ERR_ARG;
    }
    if (c->threads < 1 || c->threads > SIRNN_MAX_THREADS) {
        sirnn_set_last_error("config: threads must be 1..%d (got %u)", SIRNN_MAX_THREADS,
                             c->threads);
        return SIRNN_ERR_ARG;
    }
    if (c->ot_backend != SIRNN_OT_IKNP && c->ot_backend != SIRNN_OT_SOFTSPOKEN &&
        c->ot_backend != SIRNN_OT_SILENT) {
        sirnn_set_last_error("config: unknown OT backend %d (SIRNN_OT_IKNP = 0, "
                             "SIRNN_OT_SOFTSPOKEN = 1 or SIRNN_OT_SILENT = 2)",
                             (int)c->ot_backend);
        return SIRNN_ERR_ARG;
    }
    if (c->ot_backend != SIRNN_OT_IKNP && c->ot_k != 1 && c->ot_k != 2 && c->ot_k != 4 &&
        c->ot_k != 8) {
        sirnn_set_last_error("config: ot_k (SoftSpoken block size) must be 1, 2, 4 or 8 "
                             "(got %u)",
                             c->ot_k);
        return SIRNN_ERR_ARG;
    }
    if (c->ot_pool_size < 128 || c->ot_pool_size > ((size_t)1 << 28)) {
        sirnn_set_last_error("config: ot_pool_size must be 128..2^28 (got %zu)", c->ot_pool_size);
        return SIRNN_ERR_ARG;
    }
    char msg[160];
    if (sirnn_link_check(&c->link, msg, sizeof msg) != SIRNN_OK) {
        sirnn_set_last_error("config: %s", msg);
        return SIRNN_ERR_ARG;
    }
    if (c->session_mem_bytes < ((size_t)64 << 10)) {
        sirnn_set_last_error("config: session_mem_bytes must be at least 64 KiB (got %zu)",
                             c->session_mem_bytes);
        return SIRNN_ERR_ARG;
    }
    if (c->max_batch < 1 || c->max_batch > ((uint64_t)1 << 32)) {
        sirnn_set_last_error("config: max_batch must be 1..2^32 (got %llu)",
                             (unsigned long long)c->max_batch);
        return SIRNN_ERR_ARG;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_party_usable(const sirnn_party *party)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    return party->broken ? SIRNN_ERR_STATE : SIRNN_OK;
}

sirnn_status sirnn_party_error(sirnn_party *party, sirnn_status status, const char *fmt, ...)
{
    if (party != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(party->last_error, sizeof(party->last_error), fmt, ap);
        va_end(ap);
    }
    return status;
}

sirnn_status sirnn_party_fail(sirnn_party *party, sirnn_status status, const char *what)
{
    if (party != NULL && status != SIRNN_OK) {
        party->broken = status;
        /* A lane whose channel knows more than its status says (a flood
         * past the read cap) names itself. */
        for (unsigned i = 0; i < party->nlanes; i++) {
            const sirnn_channel *ch = &party->lanes[i].ch;
            if (ch->why != NULL && ch->error == status) {
                snprintf(party->last_error, sizeof(party->last_error),
                         "%s: lane %u: %s (%zu bytes per lane)", what, i, ch->why,
                         ch->rmax);
                return status;
            }
        }
        snprintf(party->last_error, sizeof(party->last_error), "%s: %s", what,
                 sirnn_strerror(status));
    }
    return status;
}

/* ---- allocation ---------------------------------------------------------- */

static sirnn_status party_alloc(sirnn_party **out, sirnn_role role, const sirnn_config *cfg)
{
    sirnn_party *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    p->role = role;
    p->cfg = *cfg;
    p->nlanes = cfg->threads;
    p->lanes = calloc(p->nlanes, sizeof(*p->lanes));
    if (p->lanes == NULL) {
        free(p);
        return SIRNN_ERR_NOMEM;
    }
    for (unsigned i = 0; i < p->nlanes; i++) {
        p->lanes[i].index = i;
        p->lanes[i].ch.fd = -1;
    }
    *out = p;
    return SIRNN_OK;
}

/* Once per process: test mode is never silent. */
static void warn_test_mode(void)
{
    static atomic_flag warned = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&warned))
        fprintf(stderr, "libsirnn: WARNING: a party runs in test mode (SIRNN_TEST_MODE_ON): "
                        "every seed derives from test_seed and is public; never use it on "
                        "real data\n");
}

/* Each lane's PRG seed: from the OS, or in test mode a fixed function of
 * (test_seed, role, lane) so that whole runs are reproducible. */
static sirnn_status seed_lanes(sirnn_party *p)
{
    if (p->cfg.test_mode)
        warn_test_mode();
    for (unsigned i = 0; i < p->nlanes; i++) {
        sirnn_block seed;
        if (p->cfg.test_mode) {
            seed = sirnn_block_make(((uint64_t)p->role << 32) | i, p->cfg.test_seed);
        } else {
            sirnn_status st = sirnn_os_random(&seed, sizeof(seed));
            if (st != SIRNN_OK)
                return st;
        }
        sirnn_status st = sirnn_prg_init(&p->lanes[i].prg, &seed, 0);
        sirnn_memzero(&seed, sizeof(seed));
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

void sirnn_party_free(sirnn_party *party)
{
    if (party == NULL)
        return;
    if (party->lanes != NULL) {
        for (unsigned i = 0; i < party->nlanes; i++) {
            sirnn_lane *lane = &party->lanes[i];
            for (unsigned e = 0; e < SIRNN_LANE_EXT_COUNT; e++)
                if (lane->ext[e].state != NULL && lane->ext[e].free_fn != NULL)
                    lane->ext[e].free_fn(lane->ext[e].state);
            sirnn_channel_close(&lane->ch);
            sirnn_shaper_stop(lane->shaper); /* after the close: it delivers what is queued */
            sirnn_prg_free(&lane->prg);
        }
        sirnn_memzero(party->lanes, party->nlanes * sizeof(*party->lanes));
        free(party->lanes);
    }
    free(party->profile);
    sirnn_tls_ctx_free(party->tls);
    sirnn_memzero(party, sizeof(*party));
    free(party);
}

/* ---- handshake ----------------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The block size the OT engines run with (1 = plain IKNP). */
static unsigned effective_ot_k(const sirnn_config *c)
{
    return c->ot_backend != SIRNN_OT_IKNP ? c->ot_k : 1;
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static unsigned get_u16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void encode_hello(const sirnn_party *p, const uint8_t session[16], uint8_t out[HELLO_SIZE])
{
    memset(out, 0, HELLO_SIZE);
    memcpy(out, k_hello_magic, 8);
    put_u32(out + 8, SIRNN_PROTOCOL_VERSION);
    out[12] = (uint8_t)p->role;
    out[13] = p->cfg.test_mode ? 1 : 0;
    put_u32(out + 16, p->nlanes);
    put_u16(out + 20, (uint16_t)p->cfg.ot_backend);
    put_u16(out + 22, (uint16_t)effective_ot_k(&p->cfg));
    put_u64(out + 24, (uint64_t)p->cfg.ot_pool_size);
    memcpy(out + 32, session, 16);
    put_u64(out + 48, (uint64_t)p->cfg.session_mem_bytes);
    put_u64(out + 56, p->cfg.max_batch);
}

/* Compare the peer's hello (len bytes of it: a peer of another version may
 * have sent only a prefix) with ours; record which field differs. Keeps the
 * peer's limits. */
static sirnn_status check_hello(sirnn_party *p, const uint8_t *in, size_t len)
{
    if (len >= 8 && memcmp(in, sirnn_tls_required_magic, 8) == 0)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: the server requires TLS (give tls_ca or "
                                 "tls_psk_file; --tls-ca or --tls-psk-file)");
    if (len >= 2 && in[0] == 0x16 && in[1] == 0x03)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: the client speaks TLS, this server plain TCP "
                                 "(give it tls_cert and tls_key or tls_psk_file)");
    if (len < SIRNN_HELLO_PREFIX || memcmp(in, k_hello_magic, 8) != 0)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: the peer is not a libsirnn party (bad magic)");
    uint32_t version = get_u32(in + 8);
    if (version != SIRNN_PROTOCOL_VERSION || len < HELLO_SIZE)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: protocol version differs (ours %u, peer %u)",
                                 (unsigned)SIRNN_PROTOCOL_VERSION, (unsigned)version);
    unsigned peer_role = in[12];
    if (peer_role == (unsigned)p->role || peer_role > 1)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: role clash (we are the %s, the peer says %s)",
                                 p->role == SIRNN_SERVER ? "server" : "client",
                                 peer_role == 0 ? "server" : peer_role == 1 ? "client" : "unknown");
    unsigned peer_test = in[13];
    if (peer_test != (p->cfg.test_mode ? 1u : 0u))
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: test mode differs (ours %s, peer %s)",
                                 p->cfg.test_mode ? "on" : "off", peer_test ? "on" : "off");
    uint32_t lanes = get_u32(in + 16);
    if (lanes != p->nlanes)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: lane (thread) count differs (ours %u, peer %u)",
                                 p->nlanes, (unsigned)lanes);
    unsigned backend = get_u16(in + 20);
    if (backend != (unsigned)p->cfg.ot_backend)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: OT backend differs (ours %u, peer %u)",
                                 (unsigned)p->cfg.ot_backend, backend);
    unsigned ot_k = get_u16(in + 22);
    if (ot_k != effective_ot_k(&p->cfg))
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: ot_k (SoftSpoken block size) differs (ours %u, "
                                 "peer %u)",
                                 effective_ot_k(&p->cfg), ot_k);
    uint64_t pool = get_u64(in + 24);
    if (pool != (uint64_t)p->cfg.ot_pool_size)
        return sirnn_party_error(p, SIRNN_ERR_PEER_MISMATCH,
                                 "handshake: OT pool size differs (ours %zu, peer %llu)",
                                 p->cfg.ot_pool_size, (unsigned long long)pool);
    p->peer_mem_bytes = get_u64(in + 48);
    p->peer_max_batch = get_u64(in + 56);
    return SIRNN_OK;
}

/* The client's side of the lane 0 exchange: send our hello, read the
 * server's; its session id is returned in session. */
static sirnn_status client_hello(sirnn_party *p, uint8_t session[16])
{
    uint8_t mine[HELLO_SIZE], theirs[HELLO_SIZE];
    sirnn_channel *ch = &p->lanes[0].ch;
    encode_hello(p, (const uint8_t[16]){0}, mine);
    sirnn_status st = sirnn_channel_send(ch, mine, sizeof(mine));
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (st == SIRNN_OK)
        st = sirnn_channel_recv(ch, theirs, sizeof(theirs));
    if (st != SIRNN_OK)
        return sirnn_party_error(p, st, "handshake: %s", sirnn_strerror(st));
    st = check_hello(p, theirs, sizeof(theirs));
    if (st == SIRNN_OK)
        memcpy(session, theirs + 32, 16);
    return st;
}

static sirnn_status send_lane_hello(sirnn_channel *ch, const uint8_t session[16], unsigned lane)
{
    uint8_t msg[LANE_HELLO_SIZE];
    memcpy(msg, k_lane_magic, 8);
    memcpy(msg + 8, session, 16);
    put_u32(msg + 24, lane);
    sirnn_status st = sirnn_channel_send(ch, msg, sizeof(msg));
    return st == SIRNN_OK ? sirnn_channel_flush(ch) : st;
}

/* Random even in test mode: the id only routes lanes (nothing is derived
 * from it), and concurrent test-mode sessions on one listener need
 * distinct ids. */
static sirnn_status new_session_id(uint8_t session[16])
{
    return sirnn_os_random(session, 16);
}

/* Every lane's waits end at deadline_ms (0: none). */
static void set_lane_deadlines(sirnn_party *p, int64_t deadline_ms)
{
    for (unsigned i = 0; i < p->nlanes; i++)
        sirnn_channel_set_deadline(&p->lanes[i].ch, deadline_ms);
}

/* The monotonic time ms from now, or 0 (no deadline) for ms < 0. */
static int64_t deadline_after(int ms)
{
    return ms >= 0 ? sirnn_monotonic_ms() + ms + (ms == 0) : 0;
}

/* Finish a party whose lanes are connected: seed, done. On failure, frees it
 * and keeps its message as the thread's last error. */
static sirnn_status finish(sirnn_party *p, sirnn_status st, sirnn_party **out)
{
    if (st == SIRNN_OK)
        st = seed_lanes(p);
    if (st != SIRNN_OK) {
        if (p->last_error[0] != '\0')
            sirnn_set_last_error("%s", p->last_error);
        else
            sirnn_set_last_error("%s", sirnn_strerror(st));
        sirnn_party_free(p);
        *out = NULL;
        return st;
    }
    *out = p;
    return SIRNN_OK;
}

/* A lane's read buffer holds what the peer sends ahead of our reads
 * (net/channel.h): all lanes together at most the session's memory cap,
 * but each at least LANE_READ_CAP_MIN, since a protocol's flights are not
 * cut by the cap (one window's flight ran ahead by up to 2 MiB on an
 * in-process pair). */
#define LANE_READ_CAP_MIN ((size_t)8 << 20)
static size_t lane_read_cap(const sirnn_party *p)
{
    const size_t share = p->cfg.session_mem_bytes / p->nlanes;
    return share > LANE_READ_CAP_MIN ? share : LANE_READ_CAP_MIN;
}

/* A lane's channel over a connected fd (taken over), through a relay when
 * the config has a link to emulate, its read buffer capped. On failure the
 * channel is left closed and *shaper NULL. */
static sirnn_status open_lane_channel(const sirnn_party *p, sirnn_channel *ch,
                                      sirnn_shaper **shaper, int fd)
{
    *shaper = NULL;
    if (sirnn_link_active(&p->cfg.link)) {
        int inner = -1;
        sirnn_status st = sirnn_shaper_start(shaper, &inner, fd, &p->cfg.link, p->cfg.timeout_ms);
        if (st != SIRNN_OK) {
            memset(ch, 0, sizeof *ch);
            ch->fd = -1;
            ch->error = st;
            return st;
        }
        fd = inner;
    }
    sirnn_status st = sirnn_channel_from_fd(ch, fd, p->cfg.timeout_ms);
    if (st != SIRNN_OK) {
        sirnn_shaper_stop(*shaper);
        *shaper = NULL;
    }
    sirnn_channel_set_read_cap(ch, lane_read_cap(p));
    return st;
}

/* ---- server ---------------------------------------------------------------- */

sirnn_status sirnn_net_party_accept(sirnn_party **out, sirnn_listener *lst,
                                    const sirnn_config *cfg)
{
    if (out == NULL || lst == NULL) {
        sirnn_set_last_error("accept: NULL argument");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    sirnn_config c = cfg ? *cfg : sirnn_config_default();
    sirnn_status st = check_config(&c);
    if (st != SIRNN_OK)
        return st;
    sirnn_arrival a;
    st = sirnn_listener_next(lst, &c, &a);
    if (st != SIRNN_OK) {
        sirnn_set_last_error("%s", a.why[0] ? a.why : sirnn_strerror(st));
        return st;
    }
    sirnn_party *p;
    if ((st = party_alloc(&p, SIRNN_SERVER, &c)) != SIRNN_OK) {
        close(a.fd);
        return st;
    }
    /* From here the client has the handshake deadline for everything: our
     * answer, its lanes and the base OTs (ot/session.c lifts it). */
    const int64_t deadline = deadline_after(c.handshake_timeout_ms);
    uint8_t session[16], mine[HELLO_SIZE];
    sirnn_lane_wait lanes;
    memset(&lanes, 0, sizeof(lanes)); /* nothing registered, no lanes */
    lanes.wake = -1;
    /* An emulated link on the server's side runs beneath the channel; TLS
     * has already run its handshake on the socket, so the two do not mix
     * here (emulate the link on the client, which composes with TLS). */
    if (a.tls != NULL && sirnn_link_active(&c.link)) {
        sirnn_tls_free(a.tls);
        close(a.fd);
        sirnn_party_free(p);
        sirnn_set_last_error("accept: an emulated link with TLS runs on the connecting side only");
        return SIRNN_ERR_ARG;
    }
    st = open_lane_channel(p, &p->lanes[0].ch, &p->lanes[0].shaper, a.fd);
    char tls_why[200];
    if (a.tls != NULL) /* its handshake is done: this only hands it over */
        st = st == SIRNN_OK ? sirnn_channel_start_tls(&p->lanes[0].ch, a.tls, tls_why,
                                                      sizeof(tls_why))
                            : (sirnn_tls_free(a.tls), st);
    if (st == SIRNN_OK)
        st = new_session_id(session);
    /* Expect the lanes before answering: they come as soon as it is read. */
    if (st == SIRNN_OK && p->nlanes > 1)
        st = sirnn_listener_expect_lanes(lst, &lanes, session, p->nlanes);
    if (st == SIRNN_OK) {
        sirnn_channel *ch = &p->lanes[0].ch;
        sirnn_channel_set_deadline(ch, deadline);
        ch->stats.bytes_received += a.len; /* read by the acceptor */
        /* Answer even a mismatching hello, so the peer can say what differs. */
        encode_hello(p, session, mine);
        st = sirnn_channel_send(ch, mine, sizeof(mine));
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
        if (st != SIRNN_OK)
            sirnn_party_error(p, st, "handshake: answering the hello: %s", sirnn_strerror(st));
        else
            st = check_hello(p, a.hello, a.len);
    }
    if (st == SIRNN_OK && p->nlanes > 1) {
        char why[160];
        st = sirnn_listener_wait_lanes(lst, &lanes, p->lanes[0].ch.fd, deadline, why,
                                       sizeof(why));
        if (st != SIRNN_OK)
            sirnn_party_error(p, st, "%s", why);
        for (unsigned k = 1; st == SIRNN_OK && k < p->nlanes; k++) {
            st = open_lane_channel(p, &p->lanes[k].ch, &p->lanes[k].shaper, lanes.fds[k]);
            lanes.fds[k] = -1; /* the channel owns it, even on failure */
            if (lanes.tls[k] != NULL) {
                if (st == SIRNN_OK)
                    st = sirnn_channel_start_tls(&p->lanes[k].ch, lanes.tls[k], tls_why,
                                                 sizeof(tls_why));
                else
                    sirnn_tls_free(lanes.tls[k]);
                lanes.tls[k] = NULL;
            }
            if (st != SIRNN_OK) {
                sirnn_party_error(p, st, "lane %u: %s", k, sirnn_strerror(st));
                break;
            }
            sirnn_channel_set_deadline(&p->lanes[k].ch, deadline);
            p->lanes[k].ch.stats.bytes_received += LANE_HELLO_SIZE;
        }
    }
    sirnn_listener_forget_lanes(lst, &lanes); /* what is left after a failure */
    return finish(p, st, out);
}

/* ---- client -------------------------------------------------------------- */

static sirnn_status plain_remote_error(sirnn_party *p, const char *host)
{
    return sirnn_party_error(p, SIRNN_ERR_ARG,
                             "plain TCP to %s, which is not loopback: give TLS files (tls_ca "
                             "or tls_psk_file; --tls-ca or --tls-psk-file) or ask for plain "
                             "TCP (allow_plain_remote; --plain)",
                             host);
}

static sirnn_status connect_lane(sirnn_party *p, const char *host, uint16_t port, unsigned lane)
{
    /* Plain TCP off loopback must be asked for: checked on the name before
     * connecting (nothing reaches the host), and on the address connected
     * to (the name may resolve differently the second time). */
    const bool plain_refused = p->tls == NULL && !p->cfg.allow_plain_remote;
    if (plain_refused && sirnn_tcp_host_off_loopback(host))
        return plain_remote_error(p, host);
    int fd = -1;
    sirnn_status st = sirnn_tcp_connect(&fd, host, port, p->cfg.connect_timeout_ms);
    if (st != SIRNN_OK)
        return sirnn_party_error(p, st, "connecting lane %u to %s:%u: %s", lane, host,
                                 (unsigned)port, sirnn_strerror(st));
    if (plain_refused && !sirnn_tcp_is_loopback(fd, true)) {
        close(fd); /* nothing sent */
        return plain_remote_error(p, host);
    }
    sirnn_channel *ch = &p->lanes[lane].ch;
    st = open_lane_channel(p, ch, &p->lanes[lane].shaper, fd);
    if (st != SIRNN_OK)
        return sirnn_party_error(p, st, "lane %u: %s", lane, sirnn_strerror(st));
    if (p->tls != NULL) {
        char why[200];
        st = sirnn_channel_start_tls(ch, sirnn_tls_new(p->tls, ch->fd, host), why, sizeof(why));
        if (st != SIRNN_OK)
            return sirnn_party_error(p, st, "lane %u: %s", lane,
                                     why[0] ? why : sirnn_strerror(st));
    }
    return SIRNN_OK;
}

sirnn_status sirnn_net_party_connect(sirnn_party **out, const char *host, uint16_t port,
                                     const sirnn_config *cfg)
{
    if (out == NULL || host == NULL || port == 0) {
        sirnn_set_last_error("connect: host and a non-zero port are required");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    sirnn_config c = cfg ? *cfg : sirnn_config_default();
    sirnn_status st = check_config(&c);
    if (st != SIRNN_OK)
        return st;
    sirnn_party *p;
    if ((st = party_alloc(&p, SIRNN_CLIENT, &c)) != SIRNN_OK)
        return st;
    uint8_t session[16] = {0};
    if (sirnn_tls_configured(&c)) {
        char why[200];
        st = sirnn_tls_ctx_new(&p->tls, &c, false, why, sizeof(why));
        if (st != SIRNN_OK)
            sirnn_party_error(p, st, "%s", why[0] ? why : sirnn_strerror(st));
    }
    if (st == SIRNN_OK)
        st = connect_lane(p, host, port, 0);
    if (st == SIRNN_OK)
        st = client_hello(p, session);
    /* The server has taken the session (until now it may have been busy
     * with others): the rest of the setup has the handshake deadline. */
    const int64_t deadline = deadline_after(c.handshake_timeout_ms);
    if (st == SIRNN_OK)
        sirnn_channel_set_deadline(&p->lanes[0].ch, deadline);
    for (unsigned k = 1; st == SIRNN_OK && k < p->nlanes; k++) {
        st = connect_lane(p, host, port, k);
        if (st == SIRNN_OK) {
            sirnn_channel_set_deadline(&p->lanes[k].ch, deadline);
            st = send_lane_hello(&p->lanes[k].ch, session, k);
        }
    }
    return finish(p, st, out);
}

/* ---- in-process pair ----------------------------------------------------- */

sirnn_status sirnn_net_party_pair(sirnn_party **server, sirnn_party **client,
                                  const sirnn_config *cfg)
{
    if (server == NULL || client == NULL)
        return SIRNN_ERR_ARG;
    *server = *client = NULL;
    sirnn_config c = cfg ? *cfg : sirnn_config_default();
    sirnn_status st = check_config(&c);
    if (st != SIRNN_OK)
        return st;
    sirnn_party *s, *k;
    if ((st = party_alloc(&s, SIRNN_SERVER, &c)) != SIRNN_OK)
        return st;
    if ((st = party_alloc(&k, SIRNN_CLIENT, &c)) != SIRNN_OK) {
        sirnn_party_free(s);
        return st;
    }
    /* With a link to emulate, the client's end of each lane goes through a
     * relay; the server's is a plain end (one relay per lane). */
    for (unsigned i = 0; st == SIRNN_OK && i < c.threads; i++) {
        if (!sirnn_link_active(&c.link)) {
            st = sirnn_channel_pair(&s->lanes[i].ch, &k->lanes[i].ch, c.timeout_ms);
            continue;
        }
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            st = SIRNN_ERR_IO;
            break;
        }
        st = sirnn_channel_from_fd(&s->lanes[i].ch, sv[0], c.timeout_ms);
        if (st == SIRNN_OK)
            st = open_lane_channel(k, &k->lanes[i].ch, &k->lanes[i].shaper, sv[1]);
        else
            close(sv[1]);
    }
    for (unsigned i = 0; i < c.threads; i++) {
        sirnn_channel_set_read_cap(&s->lanes[i].ch, lane_read_cap(s));
        sirnn_channel_set_read_cap(&k->lanes[i].ch, lane_read_cap(k));
    }
    /* The hellos are small enough for the socket buffers, so one thread can
     * run both sides: both send, then both read. */
    uint8_t session[16] = {0}, hs[HELLO_SIZE], hk[HELLO_SIZE];
    if (st == SIRNN_OK)
        st = new_session_id(session);
    if (st == SIRNN_OK) {
        encode_hello(s, session, hs);
        encode_hello(k, (const uint8_t[16]){0}, hk);
        st = sirnn_channel_send(&s->lanes[0].ch, hs, sizeof(hs));
        if (st == SIRNN_OK)
            st = sirnn_channel_send(&k->lanes[0].ch, hk, sizeof(hk));
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(&s->lanes[0].ch);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(&k->lanes[0].ch);
        if (st == SIRNN_OK)
            st = sirnn_channel_recv(&s->lanes[0].ch, hk, sizeof(hk));
        if (st == SIRNN_OK)
            st = sirnn_channel_recv(&k->lanes[0].ch, hs, sizeof(hs));
        if (st == SIRNN_OK)
            st = check_hello(s, hk, sizeof(hk));
        if (st == SIRNN_OK)
            st = check_hello(k, hs, sizeof(hs));
    }
    sirnn_status st_s = finish(s, st, server);
    sirnn_status st_k = finish(k, st_s, client);
    if (st_k != SIRNN_OK && *server != NULL) {
        sirnn_party_free(*server);
        *server = NULL;
    }
    return st_k;
}

/* ---- queries ------------------------------------------------------------- */

sirnn_role sirnn_party_role(const sirnn_party *party)
{
    return party ? party->role : SIRNN_ROLE_NONE;
}

sirnn_status sirnn_party_set_deadline(sirnn_party *party, int ms)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    set_lane_deadlines(party, deadline_after(ms));
    return SIRNN_OK;
}

sirnn_status sirnn_party_peer_limits(const sirnn_party *party, uint64_t *mem_bytes,
                                     uint64_t *max_batch)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (mem_bytes != NULL)
        *mem_bytes = party->peer_mem_bytes;
    if (max_batch != NULL)
        *max_batch = party->peer_max_batch;
    return SIRNN_OK;
}

unsigned sirnn_party_threads(const sirnn_party *party)
{
    return party ? party->nlanes : 0;
}

sirnn_status sirnn_party_stats(const sirnn_party *party, sirnn_stats *out)
{
    if (party == NULL || out == NULL)
        return SIRNN_ERR_ARG;
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < party->nlanes; i++) {
        sirnn_channel_stats cs;
        sirnn_channel_get_stats(&party->lanes[i].ch, &cs);
        out->bytes_sent += cs.bytes_sent;
        out->bytes_received += cs.bytes_received;
        out->flights += cs.flights;
    }
    return SIRNN_OK;
}

const char *sirnn_party_last_error(const sirnn_party *party)
{
    return party ? party->last_error : "no party (NULL)";
}
