#include "sirnn/status.h"

const char *sirnn_strerror(sirnn_status status)
{
    switch (status) {
    case SIRNN_OK:
        return "success";
    case SIRNN_ERR_ARG:
        return "invalid argument";
    case SIRNN_ERR_NOMEM:
        return "out of memory";
    case SIRNN_ERR_IO:
        return "I/O error";
    case SIRNN_ERR_TIMEOUT:
        return "timed out waiting for the peer";
    case SIRNN_ERR_PEER_CLOSED:
        return "the peer closed the connection";
    case SIRNN_ERR_PEER_MISMATCH:
        return "the peer's configuration or parameters differ from ours";
    case SIRNN_ERR_CRYPTO:
        return "a cryptographic primitive failed";
    case SIRNN_ERR_STATE:
        return "the session is out of step after an earlier error; free it and reconnect";
    case SIRNN_ERR_UNSUPPORTED:
        return "not supported by this build or machine";
    }
    return "unknown status code";
}
