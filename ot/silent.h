/*
 * Silent random correlated OT (one engine, one direction): Ferret
 * (Yang, Weng, Lan, Zhang, Wang, "Ferret: Fast Extension for coRRElated OT
 * with small communication", CCS 2020, eprint 2020/924), semi-honest
 * version, bootstrapped from this lane's OT extension (ot/ext.h).
 *
 * Output: random COTs with the sender's global Delta (the lane's IKNP
 * sender Delta, bit 0 forced to 1): the sender gets q_i with bit 0 clear,
 * the receiver t_i = q_i ^ r_i * Delta, so bit 0 of t_i is its random
 * choice r_i (Delta keeps 127 secret bits, as in Ferret's implementation).
 *
 * Construction, one iteration with parameters (n, k, t, h), n = t * 2^h:
 *   - a reserve of k + t*h COTs from the previous iteration (the first one:
 *     from OT extension): u = the first k (the LPN secret, times Delta),
 *     and h per tree for the punctured PRFs;
 *   - MPCOT with regular noise: output i is in bin i >> h; in bin b the
 *     receiver holds a secret noise position alpha_b. Single-point COT per
 *     bin (Ferret fig. 6 with a GGM tree of depth h, Boyle et al.'s
 *     puncturable PRF): the sender expands a fresh random seed,
 *       child sigma of node p at depth l+1 is node 2p + sigma,
 *       G(x) = (AES_g0(x) ^ x, AES_g1(x) ^ x), g0, g1 fixed public keys,
 *     computes for level l < h the sums K_l^sigma of the depth-(l+1) nodes
 *     of parity sigma, and sends K_l^sigma ^ H(q_l ^ (sigma ^ d_l) Delta)
 *     for sigma = 0, 1, where q_l is the level's reserved COT and
 *     d_l = r_l ^ not(bit l of alpha_b) the receiver's choice correction
 *     (sent at the iteration's start, t*h bits): the receiver learns
 *     exactly the K_l of the sibling off its path and rebuilds every leaf
 *     but alpha_b. Leaves get bit 0 cleared on both sides; the sender also
 *     sends c_b = Delta ^ XOR(leaves) and the receiver sets leaf alpha_b to
 *     c_b ^ XOR(its other leaves), so its leaves are the sender's plus
 *     Delta at alpha_b. H is sirnn_tccrhash with the engine's SILENT domain
 *     and the running index of the reserved COT (no tweak repeats);
 *   - primal LPN with a local linear code (kernels/lpn.h, d = 10 nonzeros
 *     per row, rows from a public AES stream): out_i = leaf_i ^ A_i * u,
 *     so out_R ^ out_S = (e_i ^ A_i * r) Delta with e the regular noise.
 *   - the first k' + t'*h' outputs become the next iteration's reserve;
 *     the rest go to the user.
 *
 * Parameter sets (Ferret's regular-noise primal-LPN sets as published with
 * its implementation, emp-ot ferret/constants.h; 128-bit security against
 * the attacks analysed in Ferret sec. 6: Gaussian elimination, ISD,
 * low-weight parity check, the Pooled Gauss / SD and algebraic attacks,
 * for a d = 10 local code with regular noise):
 *   main        n = 10,608,640  k = 589,824  t = 1,295  h = 13
 *   bootstrap   n =    649,728  k =  36,288  t = 1,269  h =  9
 * Security argument: the receiver's view of each SPCOT is the OT
 * corrections under tweakable correlation-robust hashes of COTs it does
 * not know the other end of, plus c_b, which is masked by the leaf it
 * cannot compute (GGM pseudo-randomness); the sender's view is the uniform
 * d bits (r is a uniform secret). The outputs are LPN samples with a fresh
 * noise vector per iteration, and the next reserve is a prefix of them, as
 * in Ferret's bootstrapping.
 *
 * Wire per engine (exact; tests/test_silent.c pins it):
 *   bootstrap: the OT extension of R0 = 36,288 + 1,269*9 = 47,709 random
 *     COTs in chunks of 8192 (each rounded up to 128): 47,744 rows, at
 *     128/ot_k bits per row from the receiver;
 *   each iteration: ceil(t*h/8) bytes from the receiver when it starts;
 *     (2h + 1) * 16 bytes per tree from the sender, sent a tile of
 *     2^17 / 2^h trees at a time (one flight), tiles made when the user
 *     needs them (and the reserve, the iteration's first outputs, first);
 *   so the main iteration costs 1,295*27*16 + 2,105 bytes for 10,001,981
 *   user COTs: 0.448 bits each.
 * Receiver choice bits: bit 0 of t_i is e_i ^ A_i * r (r the reserve's
 * choice bits), all the receiver's own, so a choice side makes them (and
 * starts each iteration: noise positions, corrections) without the
 * sender's tiles, up to one iteration ahead of the rows
 * (sirnn_silent_recv_choices): a derandomising receiver sends its d bits
 * before it waits for anything, as with OT extension, which split-phase
 * protocol loops (both parties receive before either sends) need.
 * Memory per engine: two reserves of 606,659 blocks (9.7 MB each, held in
 * 10 MB of 2 MB-aligned memory advised for transparent huge pages: the LPN
 * rows read them at random, and with 4 KB pages most reads also miss the
 * TLB; a few per cent here, where the prefetches hide most of it) and a tile of 2^17 blocks (2 MB), whatever n; nothing grows with a
 * call's n but a held sender's tile messages (sirnn_silent_send_take_held),
 * 432 bytes per 8,192 COTs (0.42 bits per COT) of the takes held until
 * their emit: a protocol window's worth.
 * Speed (this project's machine, one thread per party, CPU time, steady
 * state over 8 calls of 2^23 COTs, loaded host): sender about 47 M COTs/s,
 * receiver about 42 M/s; the LPN rows (10 random reads each from the 9.4 MB
 * reserve, kernels/lpn.h) take about 16 ns of each party's ~21-24 ns per
 * COT. A random-COT take does not compute the receiver's choice bits apart
 * from its rows (bit 0 of each row is its choice), except for the rows that
 * become the next reserve.
 * Secrets: seeds, leaves, alpha, Delta, every COT; alpha enters the tree
 * only through masks (no branch or index on it). The code's indices are
 * public.
 */
#ifndef SIRNN_OT_SILENT_H
#define SIRNN_OT_SILENT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/aes.h"
#include "kernels/block.h"
#include "kernels/prg.h"
#include "net/channel.h"
#include "ot/ext.h"

typedef struct sirnn_silent_params {
    uint32_t n, k, t, h; /* n = t << h */
} sirnn_silent_params;

extern const sirnn_silent_params sirnn_silent_main, sirnn_silent_boot;

#define SIRNN_SILENT_TILE ((size_t)1 << 17) /* blocks of one tile */

/* COTs an iteration with p must hold in reserve: k + t*h. */
static inline size_t sirnn_silent_reserve(const sirnn_silent_params *p)
{
    return (size_t)p->k + (size_t)p->t * p->h;
}

typedef struct sirnn_silent {
    int sender;
    sirnn_block delta;          /* sender: Delta (bit 0 set) */
    uint64_t domain;            /* tweak domain of the SPCOT hashes */
    uint64_t hindex;            /* tweak index of the current iteration's first reserved COT */
    unsigned stage;             /* 0 before bootstrap; 1 bootstrap iteration; 2 main */
    sirnn_silent_params boot, main; /* the two parameter sets */
    const sirnn_silent_params *p; /* the running iteration's: &boot or &main */
    uint32_t next_tree;         /* first tree of the next tile */
    int started;                /* the iteration's corrections are exchanged */
    sirnn_block *res, *next;    /* this iteration's reserve, the next one's (filling) */
    sirnn_block *tile;          /* outputs of the last tile */
    size_t tile_pos, tile_len;  /* user outputs left: tile[tile_pos, tile_len) */
    sirnn_block *tmp;           /* GGM scratch, 2^h blocks; also the hashes */
    sirnn_block *msg;           /* one tile's messages */
    uint32_t *words;            /* LPN index words of a row chunk */
    uint8_t *dbits;             /* the iteration's choice corrections, packed */
    uint32_t *alpha[2];         /* receiver: the noise positions of iteration i at i & 1 */
    /* Receiver: the choice side. Choice bits are e ^ A * r, all known to the
     * receiver, so they are made without the sender's tiles and may run up
     * to one iteration ahead of the rows (sirnn_silent_recv_choices). */
    const sirnn_silent_params *cp; /* its iteration's set */
    uint32_t c_tree;            /* first tree of its next tile */
    int c_started;              /* its iteration's corrections are sent */
    uint64_t c_iter, r_iter;    /* iterations of the choice side and of the rows */
    uint8_t *c_bits;            /* choice bits of its last tile, one byte per row */
    size_t c_pos, c_len;        /* user bits left: c_bits[c_pos, c_len) */
    uint8_t *c_res, *c_next;    /* reserve choice bits: its iteration's, the next's */
    uint64_t c_count;           /* user choice bits handed out (>= produced) */
    sirnn_aes_key g[2];         /* GGM keys (fixed, public) */
    sirnn_aes_key code;         /* the LPN code's key (fixed, public) */
    sirnn_prg prg;              /* the engine's own randomness (seeds, alpha) */
    uint64_t produced;          /* user COTs handed out */
    /* Sender: tile messages made by held takes and not yet sent, oldest
     * first (sirnn_silent_send_take_held); held_in / held_out count the
     * bytes ever kept / sent. Not secret (they go on the wire as they are). */
    uint8_t *held;
    size_t held_len, held_cap;
    uint64_t held_in, held_out;
    int hold;                   /* the running take keeps its tiles */
    uint64_t wire_sent;         /* bytes this engine made its party send: tiles
                                   (sender), bootstrap columns and iteration
                                   corrections (receiver); tests subtract it to
                                   pin a protocol's own bytes */
} sirnn_silent;

/* Allocate the engine; no I/O (bootstrap runs on the first take). The
 * sender's delta must have bit 0 set. seed keys the engine's PRG (secret). */
sirnn_status sirnn_silent_init(sirnn_silent *e, int sender, sirnn_block delta, uint64_t domain,
                               const sirnn_block *seed);
/* The same with other parameter sets (tests run many iterations on small,
 * insecure ones): 3 <= h <= 16, n = t * 2^h, the main set's reserve
 * k + t*h at most the bootstrap set's n and below the main set's n;
 * SIRNN_ERR_ARG otherwise. Both ends must use the same sets. */
sirnn_status sirnn_silent_init_params(sirnn_silent *e, int sender, sirnn_block delta,
                                      uint64_t domain, const sirnn_block *seed,
                                      const sirnn_silent_params *boot,
                                      const sirnn_silent_params *main_set);
/* Wipe and free; safe on a zeroed engine. */
void sirnn_silent_free(sirnn_silent *e);

/*
 * n COTs, in step with the peer's matching call. Sender: out[i] = q_i
 * (bit 0 clear); x is this direction's OT-extension sender, used once
 * for the bootstrap. Receiver: out[i] = t_i (bit 0 = choice). May exchange
 * bootstrap, iteration-start and tile messages on ch (the receiver flushes
 * before it waits; the sender flushes each tile).
 */
sirnn_status sirnn_silent_send_take(sirnn_silent *e, sirnn_otx_sender *x, sirnn_channel *ch,
                                    sirnn_block *out, size_t n);
sirnn_status sirnn_silent_recv_take(sirnn_silent *e, sirnn_otx_receiver *x, sirnn_channel *ch,
                                    sirnn_block *out, size_t n);
/*
 * Sender, prepare/emit split: the same COTs as sirnn_silent_send_take, but
 * the messages of the tiles this take makes are kept (appended to the
 * engine's held bytes) instead of sent and flushed, so that a protocol can
 * place them in the flight where the receiver reads them, behind messages
 * that the receiver reads first. The take may still read from ch (the
 * bootstrap's columns and an iteration's corrections, which the receiver's
 * choice side sent ahead). *mark gets e->held_in after the take: the held
 * bytes up to there belong to this take and the held takes before it.
 * sirnn_silent_send_emit(e, ch, mark) queues (no flush) the held bytes up to
 * mark, oldest first, so held takes are emitted in the order they were
 * taken, and the receiver's takes of their rows must come in that order at
 * the places where they stand in the stream. A take that is not held and
 * would send a tile while held bytes wait fails with SIRNN_ERR_STATE (its
 * tile would overtake theirs), as does a mark beyond held_in.
 */
sirnn_status sirnn_silent_send_take_held(sirnn_silent *e, sirnn_otx_sender *x,
                                         sirnn_channel *ch, sirnn_block *out, size_t n,
                                         uint64_t *mark);
sirnn_status sirnn_silent_send_emit(sirnn_silent *e, sirnn_channel *ch, uint64_t mark);

/*
 * User COTs this engine hands out before its rows start a new iteration
 * (counting the one the next take would start, if none is running). Both
 * ends agree on it after the same takes. A caller that sends the choice
 * side's messages for a stretch of COTs ahead of their rows
 * (sirnn_silent_recv_choices) keeps the stretch within this many, so that
 * the iteration's corrections reach the sender at the stretch's start,
 * before anything else the receiver sends for it.
 */
size_t sirnn_silent_rows_left(const sirnn_silent *e);

/*
 * Receiver: the choice bits (0/1 bytes) of the next n COTs that
 * sirnn_silent_recv_take has not yet handed out, ahead of their rows and
 * without waiting for the sender (it may send: the bootstrap's columns and
 * an iteration's corrections, flushed). Bits already given are not given
 * again: a take of n rows after a call for n bits returns exactly those
 * COTs, and a take past the bits makes (and drops) them first. Choices may
 * run at most one main iteration (10,001,981 COTs) ahead of the rows, else
 * SIRNN_ERR_STATE before anything is sent.
 */
sirnn_status sirnn_silent_recv_choices(sirnn_silent *e, sirnn_otx_receiver *x,
                                       sirnn_channel *ch, uint8_t *bits, size_t n);

/*
 * The GGM parts on their own (the engine uses them; tests compare them with
 * a plain reference). g: the two GGM keys. tmp: 2^h blocks. 1 <= h <= 20.
 * expand: leaves[2^h] from seed, sums[2l + sigma] = K_l^sigma (l < h).
 * puncture: from known[l] = K_l^(not bit l of alpha) (bit l counted from
 * the top: bit h-1-l of alpha), every leaf but alpha, and leaves[alpha] = 0.
 */
void sirnn_silent_ggm_expand(const sirnn_aes_key g[2], sirnn_block seed, unsigned h,
                             sirnn_block *leaves, sirnn_block *sums, sirnn_block *tmp);
void sirnn_silent_ggm_puncture(const sirnn_aes_key g[2], uint32_t alpha, unsigned h,
                               const sirnn_block *known, sirnn_block *leaves, sirnn_block *tmp);
/* The fixed GGM keys (the engine's g). */
sirnn_status sirnn_silent_ggm_keys(sirnn_aes_key g[2]);

#endif /* SIRNN_OT_SILENT_H */
