/*
 * The OT engines of one lane (hung off lane->ext[SIRNN_LANE_EXT_OT]): an
 * IKNP sender and an IKNP receiver (so each party is a sender in one
 * instance and a receiver in the other), built from 128 Chou-Orlandi base
 * OTs per direction (SoftSpoken with block size config ot_k when the
 * backend is SIRNN_OT_SOFTSPOKEN, plain IKNP otherwise), and a KK13 1-of-N
 * sender and receiver whose 256 base OTs are 256 random IKNP OTs per
 * direction (SoftSpoken with k = 2 when the backend is SIRNN_OT_SOFTSPOKEN
 * with ot_k >= 2, plain IKNP otherwise), and a random-OT pool per direction
 * (config ot_pool_size entries, filled on first use). Every lane of a party uses the same
 * IKNP sender Delta, so a Δ-COT correlation is global across lanes.
 */
#ifndef SIRNN_OT_LANE_H
#define SIRNN_OT_LANE_H

#include "sirnn/status.h"
#include "net/party_internal.h"
#include "ot/iknp.h"
#include "ot/kkot.h"
#include "ot/pool.h"

typedef struct sirnn_ot_lane {
    sirnn_iknp_sender iknp_send;   /* this party sends */
    sirnn_iknp_receiver iknp_recv; /* this party receives */
    sirnn_kkot_sender kk_send;
    sirnn_kkot_receiver kk_recv;
    sirnn_ot_pool pool_send;       /* random OTs of iknp_send, made ahead */
    sirnn_ot_pool pool_recv;       /* random OTs of iknp_recv */
} sirnn_ot_lane;

/* The lane's OT engines, or NULL before sirnn_ot_setup has run on it. */
sirnn_ot_lane *sirnn_ot_lane_get(sirnn_lane *lane);

/* sirnn_ot_setup if it has not run yet (both parties reach this at the same
 * point, so both set up together). */
sirnn_status sirnn_ot_ensure_setup(sirnn_party *party);

#endif /* SIRNN_OT_LANE_H */
