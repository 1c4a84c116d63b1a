/*
 * libsirnn status codes.
 *
 * Every public call returns a sirnn_status. 0 is success and every error is
 * negative. sirnn_strerror() gives a one-line, static English description of
 * each code; a party additionally keeps a detailed message for the last error
 * it saw (sirnn_party_last_error()).
 */
#ifndef SIRNN_STATUS_H
#define SIRNN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SIRNN_API __attribute__((visibility("default")))
#define SIRNN_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define SIRNN_API
#define SIRNN_WARN_UNUSED
#endif

typedef enum sirnn_status {
    SIRNN_OK = 0,
    /* An argument is invalid (bitwidth outside 1..64, NULL with n > 0, ...).
     * Detected before anything is sent: the session stays usable. */
    SIRNN_ERR_ARG = -1,
    /* Memory allocation failed. */
    SIRNN_ERR_NOMEM = -2,
    /* An operating-system I/O call failed (socket, bind, connect, ...). */
    SIRNN_ERR_IO = -3,
    /* The peer did not answer within the configured timeout. */
    SIRNN_ERR_TIMEOUT = -4,
    /* The peer closed the connection (possibly in the middle of a message). */
    SIRNN_ERR_PEER_CLOSED = -5,
    /* The peer runs an incompatible configuration (version, role, lanes,
     * OT backend, parameters of a call). */
    SIRNN_ERR_PEER_MISMATCH = -6,
    /* A cryptographic primitive (OpenSSL, OS randomness) failed. */
    SIRNN_ERR_CRYPTO = -7,
    /* The party is unusable after an earlier I/O error mid-protocol; free it
     * and open a new session. */
    SIRNN_ERR_STATE = -8,
    /* The request is valid but not supported by this build or machine. */
    SIRNN_ERR_UNSUPPORTED = -9
} sirnn_status;

/* A static, never-NULL description of a status code (unknown codes included). */
SIRNN_API const char *sirnn_strerror(sirnn_status status);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_STATUS_H */
