/*
 * The split-phase OTs moved to ot/phase.h (one implementation for the
 * protocol layers and the whole-call API of ot/); arith/ includes it from
 * here.
 */
#ifndef SIRNN_ARITH_OTPHASE_H
#define SIRNN_ARITH_OTPHASE_H

#include "ot/phase.h"

#endif /* SIRNN_ARITH_OTPHASE_H */
