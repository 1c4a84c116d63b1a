/*
 * TLS 1.3 with OpenSSL (see net/tls.h).
 */
#include "net/tls.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kernels/random.h"

/* The identity both sides name their pre-shared key by. */
static const unsigned char k_psk_identity[] = "sirnn-psk";
/* TLS_AES_128_GCM_SHA256: the PSK is bound to its hash, SHA-256. */
static const unsigned char k_psk_cipher[2] = {0x13, 0x01};
#define PSK_MIN_BYTES 16
#define PSK_MAX_BYTES 64

struct sirnn_tls_ctx {
    SSL_CTX *ssl;
    bool server;
    bool have_ca;
    size_t psk_len; /* 0: no PSK */
    unsigned char psk[PSK_MAX_BYTES];
};

bool sirnn_tls_configured(const sirnn_config *cfg)
{
    return cfg->tls_cert != NULL || cfg->tls_key != NULL || cfg->tls_ca != NULL ||
           cfg->tls_psk_file != NULL;
}

/* ---- a socket BIO that never raises SIGPIPE ---------------------------------- */

static int bio_fd(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int bio_write(BIO *b, const char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t w = send(bio_fd(b), buf, (size_t)len, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)w;
}

static int bio_read(BIO *b, char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t r = recv(bio_fd(b), buf, (size_t)len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)r;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *g_bio_method;
static pthread_once_t g_bio_once = PTHREAD_ONCE_INIT;

static void bio_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sirnn socket");
    if (m != NULL && BIO_meth_set_write(m, bio_write) == 1 &&
        BIO_meth_set_read(m, bio_read) == 1 && BIO_meth_set_puts(m, bio_puts) == 1 &&
        BIO_meth_set_ctrl(m, bio_ctrl) == 1 && BIO_meth_set_create(m, bio_create) == 1) {
        g_bio_method = m;
        return;
    }
    BIO_meth_free(m);
}

/* ---- pre-shared key ------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The key file: hex digits (whitespace ignored), 16..64 bytes. */
static sirnn_status read_psk(sirnn_tls_ctx *t, const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(why, whylen, "TLS: cannot read the pre-shared key file %s: %s", path,
                 strerror(errno));
        return SIRNN_ERR_ARG;
    }
    size_t nibbles = 0;
    int c, bad = 0;
    while ((c = fgetc(f)) != EOF) {
        if (isspace(c))
            continue;
        int v = hexval(c);
        if (v < 0 || nibbles >= 2 * PSK_MAX_BYTES) {
            bad = 1;
            break;
        }
        if (nibbles % 2 == 0)
            t->psk[nibbles / 2] = (unsigned char)(v << 4);
        else
            t->psk[nibbles / 2] |= (unsigned char)v;
        nibbles++;
    }
    fclose(f);
    if (bad || nibbles % 2 != 0 || nibbles < 2 * PSK_MIN_BYTES) {
        sirnn_memzero(t->psk, sizeof(t->psk));
        snprintf(why, whylen,
                 "TLS: the pre-shared key file %s must hold %d to %d bytes in hex (for "
                 "example `openssl rand -hex 32`)",
                 path, PSK_MIN_BYTES, PSK_MAX_BYTES);
        return SIRNN_ERR_ARG;
    }
    t->psk_len = nibbles / 2;
    return SIRNN_OK;
}

static SSL_SESSION *psk_session(SSL *ssl, const sirnn_tls_ctx *t)
{
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, k_psk_cipher);
    SSL_SESSION *s = cipher != NULL ? SSL_SESSION_new() : NULL;
    if (s == NULL)
        return NULL;
    if (SSL_SESSION_set1_master_key(s, t->psk, t->psk_len) != 1 ||
        SSL_SESSION_set_cipher(s, cipher) != 1 ||
        SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION) != 1) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}

static int psk_use_session(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
                           SSL_SESSION **sess)
{
    const sirnn_tls_ctx *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    *sess = NULL;
    SSL_SESSION *s = psk_session(ssl, t);
    if (s == NULL)
        return 0;
    if (md != NULL && md != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(s))) {
        SSL_SESSION_free(s); /* a retry with another hash: no PSK for it */
        return 1;
    }
    *id = k_psk_identity;
    *idlen = sizeof(k_psk_identity) - 1;
    *sess = s;
    return 1;
}

static int psk_find_session(SSL *ssl, const unsigned char *id, size_t idlen,
                            SSL_SESSION **sess)
{
    const sirnn_tls_ctx *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    *sess = NULL;
    if (idlen != sizeof(k_psk_identity) - 1 || memcmp(id, k_psk_identity, idlen) != 0)
        return 1; /* unknown identity: no PSK */
    *sess = psk_session(ssl, t);
    return *sess != NULL ? 1 : 0;
}

/* ---- contexts ------------------------------------------------------------------ */

/* The first queued OpenSSL error as text, and clear the queue. */
static void openssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e == 0)
        snprintf(buf, len, "unknown reason");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
}

sirnn_status sirnn_tls_ctx_new(sirnn_tls_ctx **out, const sirnn_config *cfg, bool server,
                               char *why, size_t whylen)
{
    *out = NULL;
    why[0] = '\0';
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        snprintf(why, whylen, "TLS: a certificate (tls_cert) needs its key (tls_key), and "
                              "the other way round");
        return SIRNN_ERR_ARG;
    }
    if (server && cfg->tls_cert == NULL && cfg->tls_psk_file == NULL) {
        snprintf(why, whylen, "TLS: a server needs a certificate and key (tls_cert, "
                              "tls_key) or a pre-shared key (tls_psk_file)");
        return SIRNN_ERR_ARG;
    }
    if (!server && cfg->tls_ca == NULL && cfg->tls_psk_file == NULL) {
        snprintf(why, whylen, "TLS: a client needs a CA to verify the server's certificate "
                              "(tls_ca) or a pre-shared key (tls_psk_file)");
        return SIRNN_ERR_ARG;
    }
    if (pthread_once(&g_bio_once, bio_method_init) != 0 || g_bio_method == NULL)
        return SIRNN_ERR_NOMEM;
    sirnn_tls_ctx *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return SIRNN_ERR_NOMEM;
    t->server = server;
    sirnn_status st = SIRNN_OK;
    char reason[200];
    ERR_clear_error();
    t->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (t->ssl == NULL) {
        free(t);
        return SIRNN_ERR_NOMEM;
    }
    SSL_CTX_set_app_data(t->ssl, t);
    SSL_CTX_set_min_proto_version(t->ssl, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(t->ssl, TLS1_3_VERSION);
    /* SHA-256 suites only: a pre-shared key is bound to one hash, and a
     * suite of another would silently drop it. AES-128-GCM first (AES-NI),
     * 128-bit security as everywhere in the library. */
    SSL_CTX_set_ciphersuites(t->ssl, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
    /* No resumption (every connection runs a full handshake), and a peer
     * that closes without close_notify is a closed peer, as on plain TCP. */
    SSL_CTX_set_options(t->ssl, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(t->ssl, SSL_SESS_CACHE_OFF);
    if (server)
        SSL_CTX_set_num_tickets(t->ssl, 0);
    SSL_CTX_set_mode(t->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Read ahead into a buffer of several records: one recv for many
     * records instead of two per record. */
    SSL_CTX_set_read_ahead(t->ssl, 1);
    SSL_CTX_set_default_read_buffer_len(t->ssl, (size_t)128 << 10);
    if (cfg->tls_cert != NULL) {
        if (SSL_CTX_use_certificate_chain_file(t->ssl, cfg->tls_cert) != 1) {
            openssl_reason(reason, sizeof(reason));
            snprintf(why, whylen, "TLS: cannot use the certificate %s: %s", cfg->tls_cert,
                     reason);
            st = SIRNN_ERR_ARG;
        } else if (SSL_CTX_use_PrivateKey_file(t->ssl, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
            openssl_reason(reason, sizeof(reason));
            snprintf(why, whylen, "TLS: cannot use the key %s: %s", cfg->tls_key, reason);
            st = SIRNN_ERR_ARG;
        } else if (SSL_CTX_check_private_key(t->ssl) != 1) {
            ERR_clear_error();
            snprintf(why, whylen, "TLS: the key %s does not belong to the certificate %s",
                     cfg->tls_key, cfg->tls_cert);
            st = SIRNN_ERR_ARG;
        }
    }
    /* A client verifies the server always: without a CA (PSK only) no
     * certificate can pass, so the server must take the pre-shared key. */
    if (!server)
        SSL_CTX_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
    t->have_ca = cfg->tls_ca != NULL;
    if (st == SIRNN_OK && cfg->tls_ca != NULL) {
        if (SSL_CTX_load_verify_locations(t->ssl, cfg->tls_ca, NULL) != 1) {
            openssl_reason(reason, sizeof(reason));
            snprintf(why, whylen, "TLS: cannot use the CA file %s: %s", cfg->tls_ca, reason);
            st = SIRNN_ERR_ARG;
        } else {
            /* The client always verifies a server it has a CA for; a server
             * with a CA requires client certificates. */
            SSL_CTX_set_verify(t->ssl,
                               SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                               NULL);
        }
    }
    if (st == SIRNN_OK && cfg->tls_psk_file != NULL) {
        st = read_psk(t, cfg->tls_psk_file, why, whylen);
        if (st == SIRNN_OK) {
            if (server)
                SSL_CTX_set_psk_find_session_callback(t->ssl, psk_find_session);
            else
                SSL_CTX_set_psk_use_session_callback(t->ssl, psk_use_session);
        }
    }
    if (st != SIRNN_OK) {
        sirnn_tls_ctx_free(t);
        return st;
    }
    *out = t;
    return SIRNN_OK;
}

void sirnn_tls_ctx_free(sirnn_tls_ctx *ctx)
{
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl);
    sirnn_memzero(ctx, sizeof(*ctx));
    free(ctx);
}

/* ---- connections --------------------------------------------------------------- */

void *sirnn_tls_new(sirnn_tls_ctx *ctx, int fd, const char *host)
{
    SSL *ssl = SSL_new(ctx->ssl);
    BIO *bio = ssl != NULL ? BIO_new(g_bio_method) : NULL;
    if (bio == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(ssl, bio, bio);
    if (ctx->server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (host != NULL) {
            /* The certificate must name the host we connected to: as an IP
             * address when it is one, else as a DNS name (also sent as SNI). */
            X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
            if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1) {
                ERR_clear_error();
                if (SSL_set1_host(ssl, host) != 1 ||
                    SSL_set_tlsext_host_name(ssl, host) != 1) {
                    SSL_free(ssl);
                    return NULL;
                }
            }
        }
    }
    return ssl;
}

void sirnn_tls_free(void *tls)
{
    if (tls == NULL)
        return;
    SSL *ssl = tls;
    if (SSL_is_init_finished(ssl))
        SSL_shutdown(ssl); /* one non-blocking attempt at close_notify */
    ERR_clear_error();
    SSL_free(ssl);
}

/* The events to wait for after a WANT_ error, or 0 for a real error. */
static short want_events(int err)
{
    if (err == SSL_ERROR_WANT_READ)
        return POLLIN;
    if (err == SSL_ERROR_WANT_WRITE)
        return POLLOUT;
    return 0;
}

int sirnn_tls_handshake(void *tls, short *events, char *why, size_t whylen)
{
    SSL *ssl = tls;
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl);
    if (rc == 1)
        return 1;
    int err = SSL_get_error(ssl, rc);
    if ((*events = want_events(err)) != 0)
        return 0;
    const int server = SSL_is_server(ssl);
    const char *peer = server ? "client" : "server";
    unsigned long e = ERR_peek_error();
    long verify = SSL_get_verify_result(ssl);
    char reason[200];
    if (err == SSL_ERROR_SYSCALL && e == 0) {
        snprintf(why, whylen, "TLS handshake: the %s closed the connection (%s)", peer,
                 server ? "wrong certificate, CA or pre-shared key on its side?"
                        : "it may not accept our certificate or key, or not speak TLS");
    } else if (verify != X509_V_OK && !server &&
               !((const sirnn_tls_ctx *)SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)))->have_ca) {
        ERR_clear_error();
        snprintf(why, whylen, "TLS handshake: the server did not take our pre-shared key (and "
                              "we have no CA for its certificate)");
    } else if (verify != X509_V_OK) {
        ERR_clear_error();
        snprintf(why, whylen, "TLS handshake: the %s's certificate does not verify: %s", peer,
                 X509_verify_cert_error_string(verify));
    } else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
               ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        ERR_clear_error();
        snprintf(why, whylen, "TLS handshake: the client sent no certificate, and this "
                              "server requires one (it has tls_ca)");
    } else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
               ERR_GET_REASON(e) == SSL_R_BINDER_DOES_NOT_VERIFY) {
        ERR_clear_error();
        snprintf(why, whylen, "TLS handshake: the client's pre-shared key is not ours");
    } else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
               (ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER ||
                ERR_GET_REASON(e) == SSL_R_PACKET_LENGTH_TOO_LONG)) {
        ERR_clear_error();
        snprintf(why, whylen, "TLS handshake: the %s does not speak TLS (plain TCP?)", peer);
    } else {
        openssl_reason(reason, sizeof(reason));
        snprintf(why, whylen, "TLS handshake with the %s failed: %s (do both sides use the "
                              "same CA or pre-shared key?)",
                 peer, reason);
    }
    return -1;
}

/* Map an I/O result of SSL_read/SSL_write to the read/write convention. */
static ssize_t io_result(SSL *ssl, int rc, short *events)
{
    if (rc > 0)
        return rc;
    int err = SSL_get_error(ssl, rc);
    if ((*events = want_events(err)) != 0) {
        errno = EAGAIN;
        return -1;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return 0; /* close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF) */
    }
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        if (errno == 0)
            return 0;
        return -1; /* errno from the socket */
    }
    ERR_clear_error();
    errno = EBADMSG;
    return -1;
}

ssize_t sirnn_tls_read(void *tls, void *buf, size_t n, short *events)
{
    ERR_clear_error();
    errno = 0;
    int len = n > INT32_MAX ? INT32_MAX : (int)n;
    return io_result(tls, SSL_read(tls, buf, len), events);
}

ssize_t sirnn_tls_write(void *tls, const void *buf, size_t n, short *events)
{
    ERR_clear_error();
    errno = 0;
    int len = n > INT32_MAX ? INT32_MAX : (int)n;
    return io_result(tls, SSL_write(tls, buf, len), events);
}
