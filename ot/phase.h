/*
 * Split-phase OT: the phases of the lane engines' OTs, for the protocols of
 * arith/ and the whole-call 1-of-N of ot/nco.h.
 *
 * The lane engines of ot/ run a whole OT call at a time. A protocol step of
 * arith/ often needs several OT batches (and other messages) to go out in
 * the same flight, possibly in both directions. These helpers expose the
 * phases of an OT on the lane's engines so that a caller can interleave
 * them:
 *   receiver: *_recv_u   queues the extension columns (no flush) and keeps
 *                        the hashed rows H(t_i);
 *   sender:   *_send_*   receives the columns and computes the pads and
 *                        the messages (the caller packs and queues them);
 *   receiver: *_recv_out unpacks the messages and selects by mask.
 * On SIRNN_OT_SILENT the IKNP phases of a workspace with silent_ok run on
 * the lane's silent COTs instead (sirnn_aiknp_recv_rows below).
 * They use the message construction of the whole calls themselves
 * (sirnn_iknp_hash_pair, sirnn_iknp_cot_msgs / _out, sirnn_iknp_ot_msgs /
 * _out, sirnn_kkot_send_pads, sirnn_kkot_recv_hash), so the two cannot
 * drift: the constructions of ot/iknp.h (IKNP correlated and
 * chosen-message OT, tweakable hash sirnn_tccrhash with tweak = (the
 * engine's domain || the OT's index in its engine)) and ot/kkot.h (KK13
 * with its doubled RM(1,7) code, sirnn_tccrhash256), on the engines'
 * extension states, so the tweaks stay unique per engine and engines never
 * share one (kernels/crhash.h). Rows and packed choices are wiped as soon as
 * they are hashed. Every batch is cut into extension calls of the
 * engine's largest chunk (a multiple of 128), so only the last call of a
 * batch rounds up: the columns of n OTs cost 16 * round128(n) / k bytes
 * (IKNP, or SoftSpoken with block size k) or 32 * round128(n) / k bytes
 * (KK13, k = 1 or 2).
 *
 * Everything except n, N and l is secret; choices select by mask.
 */
#ifndef SIRNN_OT_PHASE_H
#define SIRNN_OT_PHASE_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "net/channel.h"
#include "ot/iknp.h"
#include "ot/kkot.h"

/* OTs per group in the KK13 pad loops; packing a group of 64 OTs of N l-bit
 * messages always fills whole bytes. */
#define SIRNN_AKK_GROUP 64

/* Scratch for the IKNP phases of up to cap OTs (one lane, one direction). */
typedef struct sirnn_aiknp_ws {
    size_t cap;        /* OTs of a batch */
    size_t send_cap;   /* of which a sender batch may hold (h1) */
    sirnn_block *rows; /* t or q rows of one extension call */
    sirnn_block *h0;   /* receiver: H(t_i) of the batch; sender: H(q_i) */
    sirnn_block *h1;   /* sender: H(q_i ^ Delta) */
    uint64_t *n0, *n1; /* a narrow workspace's low words of h0 and h1 (its h0
                          and h1 are NULL): 8 bytes an OT instead of 16 */
    sirnn_block *tmp;  /* narrow sender: the hash pairs of one piece */
    uint8_t *col;      /* packed choice column of one extension call */
    sirnn_tweak first; /* the last batch's OT 0: its engine's domain and index
                          (OT j of the batch is at index first.index + j) */
    int silent_ok;     /* the caller takes the receiver's rows with
                          sirnn_aiknp_recv_rows (set it on both parties) */
    int hold;          /* sender: silent tiles are held at send_rows and go out
                          at sirnn_aiknp_send_emit (set it on the sender) */
    uint64_t mark;     /* sender: the engine's held mark after send_rows */
    int pending;       /* receiver: a silent batch's rows are still to take */
    size_t pend_n;     /* its OTs */
    uint64_t pend_start; /* its first COT in the silent engine (produced) */
} sirnn_aiknp_ws;

sirnn_status sirnn_aiknp_ws_init(sirnn_aiknp_ws *w, size_t cap);
/* The same for a party that only receives batches of up to recv_cap OTs
 * and only sends batches of up to send_cap (either may be 0): h1 is sized
 * for the sender's batches only. */
sirnn_status sirnn_aiknp_ws_init_roles(sirnn_aiknp_ws *w, size_t send_cap, size_t recv_cap);
/* The same, narrow: keeps only the low 64 bits of each hash (n0, n1), all
 * that the messages of sirnn_aiknp_cot_* and sirnn_aiknp_ot_* (l <= 64)
 * read, at half the memory; same wire and outputs. A caller that reads
 * the hashes themselves (sirnn_wmm's PRG seeds) uses a wide workspace. */
sirnn_status sirnn_aiknp_ws_init_narrow(sirnn_aiknp_ws *w, size_t send_cap, size_t recv_cap);
void sirnn_aiknp_ws_free(sirnn_aiknp_ws *w);
/* A view of w from its OT off on (its hashes h0 + off, h1 + off, or the
 * narrow words), for the message functions below. */
sirnn_aiknp_ws sirnn_aiknp_ws_at(const sirnn_aiknp_ws *w, size_t off);

/* Receiver: queue the columns of n <= cap OTs with choices (0/1); keeps
 * H(t_i) in w->h0. */
sirnn_status sirnn_aiknp_recv_u(sirnn_aiknp_ws *w, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                const uint8_t *choices, size_t n);
/*
 * Silent COTs (SIRNN_OT_SILENT) under these phases, for a caller that sets
 * w->silent_ok on both parties' workspaces (sender's and receiver's) and
 * keeps this order: the receiver calls sirnn_aiknp_recv_rows after
 * recv_u and before it reads anything the sender sent after its
 * send_rows (the sender's silent tiles precede it), and takes no other
 * COT of its receiving engine in between. Then, when both engines have a
 * silent engine attached and no call group runs on ch (its members would
 * interleave the engine's takes; the extension runs there):
 *   receiver recv_u: the silent choice bits r of the batch
 *     (sirnn_silent_recv_choices, which may send the bootstrap's columns
 *     and an iteration's corrections, flushed), then d = r ^ c, ceil(n/8)
 *     bytes, queued in place of the columns;
 *   sender send_rows: n silent COTs (sending their tiles, flushed), the
 *     hashes H(q_i), H(q_i ^ Delta), then d, swapping the two where d_i = 1
 *     (q_i ^ d_i Delta is the row of choice c_i);
 *   receiver recv_rows: its n rows t_i (reading the tiles) hashed into h0.
 * Tweaks: (the engine's domain, its index), as with the extension; n
 * indices per batch. Wire per OT: the silent COT (ot/silent.h) + 1 bit
 * instead of 128 / k bits; the messages are unchanged. Otherwise
 * recv_rows does nothing.
 */
sirnn_status sirnn_aiknp_recv_rows(sirnn_aiknp_ws *w, sirnn_iknp_receiver *r, sirnn_channel *ch);
/*
 * Prepare/emit split of the sender's take, for callers whose sender reads
 * the columns in one flight but whose receiver reads other messages of the
 * sender's next flight before the corrections (the flight hooks of mult):
 * with w->hold set on the sender's workspace, send_rows keeps the silent
 * tiles (sirnn_silent_send_take_held) and sirnn_aiknp_send_emit queues them
 * where the caller calls it, just before its corrections; the receiver
 * calls recv_rows just before it reads them. Several receiving batches (of
 * this and the KK13 phases, and the silent triples) may wait for their rows
 * on one engine, but rows come in the order the choices were made: the
 * receiver takes the rows of every batch whose recv_u came first before
 * those of a later one (an aiknp batch out of that order fails with
 * SIRNN_ERR_STATE). matmul's products, whose choices precede the
 * comparison's leaves, hold their tiles (the comparison's emit sends them
 * first) and take their rows at the comparison's first flight hook, before
 * the leaves' rows. Without silent COTs, emit does nothing.
 */
sirnn_status sirnn_aiknp_send_emit(const sirnn_aiknp_ws *w, sirnn_iknp_sender *s,
                                   sirnn_channel *ch);
/* Sender: receive the columns of n <= cap OTs; h0 = H(q_i), h1 = H(q_i ^ Delta). */
sirnn_status sirnn_aiknp_send_rows(sirnn_aiknp_ws *w, sirnn_iknp_sender *s, sirnn_channel *ch,
                                   size_t n);
/* Sender, additive COT mod 2^l after send_rows: x[i] = H(q_i) mod 2^l (the
 * sender's output) and y[i] = x[i] + corr[i] - H(q_i ^ Delta) (the l-bit
 * correction to send). x may alias corr. */
void sirnn_aiknp_cot_msgs(const sirnn_aiknp_ws *w, uint64_t *x, uint64_t *y,
                          const uint64_t *corr, size_t n, unsigned l);
/* Receiver, COT: out[i] = H(t_i) + choice_i * y[i] mod 2^l. out may alias y. */
void sirnn_aiknp_cot_out(const sirnn_aiknp_ws *w, uint64_t *out, const uint64_t *y,
                         const uint8_t *choices, size_t n, unsigned l);
/* Sender, chosen OT after send_rows: y[2i] = m0[i] ^ H(q_i), y[2i+1] =
 * m1[i] ^ H(q_i ^ Delta), low l bits. */
void sirnn_aiknp_ot_msgs(const sirnn_aiknp_ws *w, uint64_t *y, const uint64_t *m0,
                         const uint64_t *m1, size_t n, unsigned l);
/* Receiver, chosen OT: out[i] = y[2i + c_i] ^ H(t_i), low l bits. */
void sirnn_aiknp_ot_out(const sirnn_aiknp_ws *w, uint64_t *out, const uint64_t *y,
                        const uint8_t *choices, size_t n, unsigned l);

/* Scratch for the KK13 phases of up to cap OTs. */
typedef struct sirnn_akk_ws {
    size_t cap;        /* OTs of a receiver batch (h) */
    size_t rows_cap;   /* OT rows held: a sender batch, or one receiver extension call */
    sirnn_block *rows; /* sender: q rows of the batch (2 blocks per OT);
                          receiver: t rows of one extension call */
    uint64_t *h;       /* receiver: the low word of H(t_i) of the batch (messages
                          have at most 64 bits) */
    sirnn_block *hblk; /* receiver: hashes of one extension call or group */
    size_t hblk_cap;
    uint64_t tweak;    /* engine index of OT 0 of the batch */
    uint64_t *vals;    /* pads, then masked messages, of a group (GROUP * 256) */
    uint8_t *ybuf;     /* receiver: one group's packed messages, padded for the
                          select kernel */
    /* SIRNN_OT_SILENT (sirnn_akk_ws_silent): 1-of-N from b random COTs */
    unsigned nco_b;    /* b = log2 of the largest N; 0: KK13 */
    unsigned slot;     /* pad bits per message value: 128 >> b, or sw */
    unsigned nblk;     /* 0: one block per key (slot = 128 >> b); else the
                          wide layout's blocks per key (sw-bit slots) */
    size_t rows_per;   /* blocks per OT in rows (2, or b on a silent sender) */
    sirnn_iknp_sender *ssend;   /* the 1-of-2 engines whose silent COTs these are */
    sirnn_iknp_receiver *srecv;
    uint64_t pos;      /* sender: engine position of the batch's first COT */
    int sbatch;        /* sender: the last send_rows ran silent */
    sirnn_block *hb;   /* sender: hashes of one group, 2 * GROUP * b blocks */
} sirnn_akk_ws;

sirnn_status sirnn_akk_ws_init(sirnn_akk_ws *w, size_t cap);
/* The same for a party that only sends batches of up to send_cap OTs and
 * only receives batches of up to recv_cap (either may be 0): the sender's
 * rows are held for its batches, the receiver's hashes for its own. */
sirnn_status sirnn_akk_ws_init_roles(sirnn_akk_ws *w, size_t send_cap, size_t recv_cap);
void sirnn_akk_ws_free(sirnn_akk_ws *w);

/*
 * Silent 1-of-N under the KK13 phases. On SIRNN_OT_SILENT (s and r have
 * silent engines: both parties' or neither's), a workspace whose OTs all
 * have N <= nmax and l <= lmax (s or r may be NULL on a party that only
 * receives or only sends with this workspace), where b = ceil(log2 nmax) and
 * lmax <= 64, runs its OTs on b random COTs each instead of a KK13
 * extension (otherwise this does nothing and KK13 runs). Both parties call
 * it alike, before the first batch (and before any view of the workspace
 * is copied). Construction (Naor-Pinkas' 1-of-N from log N 1-of-2 OTs,
 * with one hash block per key, or nblk blocks when l is wider than the
 * 128 >> b bits a one-block key has per value): OT i uses COTs i*b + j
 * (j < b) of its batch, at engine positions P; the receiver's choice
 * bits r come from
 * its choice side (sirnn_silent_recv_choices) and it sends
 * d_j = r_j ^ bit j of c (b bits per OT, in place of the columns); the
 * sender's keys are K_j^s = H(q_j ^ (s ^ d_j) Delta; P_j) (sirnn_tccrhash,
 * its silent domain retagged SIRNN_TWEAK_NCO, sub-index 1), the pad of
 * value v is XOR_j of slot v of K_j^(bit j of v), the slots being the
 * 128 >> b bit fields of the 128-bit key (low l bits used). The receiver
 * holds K_j^(c_j) = H(t_j; P_j), so it knows pad c; for v != c some j has
 * v_j != c_j, whose key it lacks, and distinct v take distinct slots of
 * it, so the other pads are independent and pseudo-random.
 * Wide keys (lmax > 128 >> b, lmax <= 64; the lookups' 1-of-2^m OTs): the
 * slot width sw is the least power of two >= lmax; key K_j^s is the seed
 * S_j^s = H(q_j ^ (s ^ d_j) Delta; P_j) (sirnn_tccrhash, sub-index 3)
 * stretched to nblk = 2^(b-1) * sw / 128 blocks, block t = CCR(S_j^s ^ t)
 * (sirnn_crhash, t in the low word; the seeds are independent uniform
 * secrets of the sender, so these are the correlation-robust hash's
 * outputs at distinct offsets of a hidden key); only the values v with
 * bit j = s use K_j^s, value v at slot u = v with bit j removed (bits
 * [u * sw, u * sw + sw)). The argument is the one above: a v != c has some
 * j with v_j != c_j, whose seed the receiver lacks, and two such v take
 * distinct slots of it. Sender: 2 b tccr + 2 b nblk ccr hashes per OT;
 * receiver: b of each (the block of its slot, whose offset t depends on c:
 * arithmetic only). Wire per OT:
 * b silent COTs (ot/silent.h) + b bits + N * l bits, against 128 / k + N * l
 * (KK13 on SoftSpoken k) or 256 + N * l (IKNP). Sender: 2b hashes per OT.
 * Order: the sender's tiles are held at send_rows and go out where the
 * caller puts them (sirnn_akk_send_emit, just before the messages); the
 * receiver takes its rows with sirnn_akk_recv_rows just before it reads
 * the messages, in the order of the batches. No call group may run on
 * the channel (its members would interleave the engines' takes): with one,
 * the phases fall back to KK13 on both sides.
 */
sirnn_status sirnn_akk_ws_silent(sirnn_akk_ws *w, sirnn_iknp_sender *s, sirnn_iknp_receiver *r,
                                 unsigned nmax, unsigned lmax);
/* Sender: the engine's held mark (0 when not silent): a caller notes it
 * after its batches' send_rows and passes it to sirnn_akk_send_emit. */
uint64_t sirnn_akk_send_mark(const sirnn_akk_ws *w, const sirnn_channel *ch);
/* Sender: queue the silent tiles held up to mark (nothing for KK13). */
sirnn_status sirnn_akk_send_emit(const sirnn_akk_ws *w, sirnn_channel *ch, uint64_t mark);
/* Receiver: the rows of the batch of n OTs whose recv_u had these choices
 * (silent: reads the sender's tiles and keeps each OT's pad in w->h;
 * KK13: nothing). Batches in the order of their recv_u. */
sirnn_status sirnn_akk_recv_rows(sirnn_akk_ws *w, sirnn_channel *ch, const uint8_t *choices,
                                 size_t n);

/* Receiver: queue the code-word columns of n <= cap OTs with choices[i]
 * (< 256; each OT's N is fixed by the sender's messages later); keeps
 * the low word of H(t_i) in w->h. */
sirnn_status sirnn_akk_recv_u(sirnn_akk_ws *w, sirnn_kkot_receiver *r, sirnn_channel *ch,
                              const uint8_t *choices, size_t n);
/* Sender: receive the columns of n <= cap OTs into w->rows. */
sirnn_status sirnn_akk_send_rows(sirnn_akk_ws *w, sirnn_kkot_sender *s, sirnn_channel *ch,
                                 size_t n);
/* Sender: pack the masked messages of OTs [first, first + g) of the batch,
 * g <= SIRNN_AKK_GROUP, into out (ceil(g*N*l/8) bytes): message v of OT
 * first + i is msgs[i*N + v]. */
void sirnn_akk_send_group(sirnn_akk_ws *w, const sirnn_kkot_sender *s, uint8_t *out,
                          const uint64_t *msgs, size_t first, size_t g, unsigned N,
                          unsigned l);
/* Receiver: the chosen messages of OTs [first, first + n) from their packed
 * messages in (sirnn_pack_size(n*N, l) bytes, groups of 64 OTs starting on
 * bytes): out[i] = the message choices[i] of OT first + i. */
void sirnn_akk_recv_out(sirnn_akk_ws *w, uint64_t *out, const uint8_t *in,
                        const uint8_t *choices, size_t first, size_t n, unsigned N,
                        unsigned l);

#endif /* SIRNN_OT_PHASE_H */
