/*
 * libsirnn: vectorized secure two-party computation kernels for fixed-point
 * arithmetic and recurrent-network inference (the protocols of SIRNN,
 * IEEE S&P 2021, and CrypTFlow2, CCS 2020).
 *
 * Umbrella header. See party.h for the session API and the calling
 * contract shared by every function.
 */
#ifndef SIRNN_SIRNN_H
#define SIRNN_SIRNN_H

#include "sirnn/status.h"
#include "sirnn/party.h"
#include "sirnn/ot.h"
#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/math.h"
#include "sirnn/nn.h"
#include "sirnn/speech.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIRNN_VERSION_MAJOR 0
#define SIRNN_VERSION_MINOR 1
#define SIRNN_VERSION_PATCH 0
/* Wire protocol version, checked in the handshake (3: SoftSpokenOT and
 * KK13 with the doubled RM(1,7) code; 4: KK13's hash ends in TCCR, and
 * every hash tweak carries its engine's domain). */
#define SIRNN_PROTOCOL_VERSION 4

/* "0.1.0" */
SIRNN_API const char *sirnn_version(void);
/* The SIMD level the kernels use: "portable", "aesni", "avx2" or "avx512"
 * (the machine's best, capped by the environment variable SIRNN_ISA). */
SIRNN_API const char *sirnn_isa_name(void);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_SIRNN_H */
