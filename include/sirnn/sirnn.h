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
#include "sirnn/version.h"
#include "sirnn/party.h"
#include "sirnn/group.h"
#include "sirnn/ot.h"
#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/math.h"
#include "sirnn/nn.h"
#include "sirnn/graph.h"
#include "sirnn/speech.h"

#endif /* SIRNN_SIRNN_H */
