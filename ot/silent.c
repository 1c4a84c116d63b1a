/*
 * Ferret silent random COT (see ot/silent.h).
 */
#include "ot/silent.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernels/cpu.h"
#include "kernels/crhash.h"
#include "kernels/lpn.h"
#include "kernels/pack.h"
#include "kernels/random.h"
#include "kernels/scratch.h"

const sirnn_silent_params sirnn_silent_main = {10608640u, 589824u, 1295u, 13u};
const sirnn_silent_params sirnn_silent_boot = {649728u, 36288u, 1269u, 9u};

enum {
    HMAX = 16,          /* deepest tree a parameter set may have */
    ROWS = 1024,        /* LPN rows per index chunk */
    BOOT_CHUNK = 8192   /* OT-extension rows per bootstrap chunk */
};
/* Buffer sizes of an engine, from its two parameter sets. */
#define RES_CAP(e) (sirnn_silent_reserve(&(e)->boot) > sirnn_silent_reserve(&(e)->main) \
                        ? sirnn_silent_reserve(&(e)->boot) : sirnn_silent_reserve(&(e)->main))
#define HCAP(e) ((e)->boot.h > (e)->main.h ? (e)->boot.h : (e)->main.h)
#define TCAP(e) ((size_t)((e)->boot.t > (e)->main.t ? (e)->boot.t : (e)->main.t))
#define TMP_CAP(e) tmp_cap(e)
#define MSG_CAP ((size_t)SIRNN_SILENT_TILE) /* >= tile trees * (2h + 1) for h >= 2 */
#define DBITS_CAP(e) ((TCAP(e) * HCAP(e) + 7) / 8)

/* Public constants: the GGM keys and the code key (nothing up the sleeve:
 * the ASCII of their names). */
static const char k_g0[16] = "sirnn silent g0";
static const char k_g1[16] = "sirnn silent g1";
static const char k_code[16] = "sirnn lpn code";

/* GGM scratch (2^(h+1) blocks) or a tile's tree-COT hashes (2 per COT),
 * whichever is larger, over both sets. */
static size_t tmp_cap_of(const sirnn_silent_params *p)
{
    const size_t trees = (SIRNN_SILENT_TILE >> p->h) < p->t ? (SIRNN_SILENT_TILE >> p->h) : p->t;
    const size_t hashes = 2 * trees * p->h, ggm = (size_t)2 << p->h;
    return hashes > ggm ? hashes : ggm;
}

static size_t tmp_cap(const sirnn_silent *e)
{
    const size_t a = tmp_cap_of(&e->boot), b = tmp_cap_of(&e->main);
    return a > b ? a : b;
}

static uint64_t eq_mask(uint64_t a, uint64_t b)
{
    return 0 - (((a ^ b) - 1) >> 63); /* a, b < 2^63 */
}

static sirnn_block block_of(const char *s)
{
    sirnn_block b;
    memcpy(b.w, s, 16);
    return b;
}

sirnn_status sirnn_silent_ggm_keys(sirnn_aes_key g[2])
{
    sirnn_block k0 = block_of(k_g0), k1 = block_of(k_g1);
    sirnn_status st = sirnn_aes_key_init(&g[0], &k0);
    if (st == SIRNN_OK && (st = sirnn_aes_key_init(&g[1], &k1)) != SIRNN_OK)
        sirnn_aes_key_free(&g[0]);
    return st;
}

/* Children of the m nodes at the front of `nodes` into nodes[0, 2m):
 * child 2p + sigma = AES_g_sigma(x) ^ x, and sums[sigma] = the XOR of the
 * children of parity sigma (in the same pass). tmp holds 2m blocks. */
static void expand_level(const sirnn_aes_key g[2], sirnn_block *nodes, size_t m,
                         sirnn_block *tmp, sirnn_block sums[2])
{
    sirnn_block *a = tmp, *b = tmp + m;
    sirnn_aes_ecb(&g[0], a, nodes, m);
    sirnn_aes_ecb(&g[1], b, nodes, m);
    sirnn_block s0 = {{0, 0}}, s1 = {{0, 0}};
    for (size_t p = m; p-- > 0;) {
        const sirnn_block x = nodes[p];
        nodes[2 * p] = sirnn_block_xor(a[p], x);
        nodes[2 * p + 1] = sirnn_block_xor(b[p], x);
        s0 = sirnn_block_xor(s0, nodes[2 * p]);
        s1 = sirnn_block_xor(s1, nodes[2 * p + 1]);
    }
    sums[0] = s0;
    sums[1] = s1;
}

void sirnn_silent_ggm_expand(const sirnn_aes_key g[2], sirnn_block seed, unsigned h,
                             sirnn_block *leaves, sirnn_block *sums, sirnn_block *tmp)
{
    leaves[0] = seed;
    for (unsigned l = 0; l < h; l++)
        expand_level(g, leaves, (size_t)1 << l, tmp, sums + 2 * l);
}

void sirnn_silent_ggm_puncture(const sirnn_aes_key g[2], uint32_t alpha, unsigned h,
                               const sirnn_block *known, sirnn_block *leaves, sirnn_block *tmp)
{
    /* The path node of each depth is zero (depth 0: a placeholder), so its
     * two children expand to the public constants z_sigma = AES_g_sigma(0):
     * a level's sums without them are its full sums ^ z, taken while
     * expanding. One masked pass per level then clears the path node's
     * children and writes the off-path one from the sum (no branch or
     * index on alpha). Depth 1 has no expansion: both nodes are the root's
     * children and start at zero. */
    sirnn_block z[2];
    const sirnn_block zero = {{0, 0}};
    sirnn_aes_ecb(&g[0], &z[0], &zero, 1);
    sirnn_aes_ecb(&g[1], &z[1], &zero, 1);
    leaves[0] = leaves[1] = zero;
    for (unsigned l = 0; l < h; l++) {
        const size_t m = (size_t)1 << l;
        sirnn_block s[2] = {zero, zero};
        if (l > 0) {
            expand_level(g, leaves, m, tmp, s);
            s[0] = sirnn_block_xor(s[0], z[0]);
            s[1] = sirnn_block_xor(s[1], z[1]);
        }
        const uint64_t pre = alpha >> (h - l);
        const uint64_t a = (alpha >> (h - 1 - l)) & 1;
        /* The off-path parity is 1 - a: S_1 when a = 0, S_0 when a = 1. */
        const uint64_t am = 0 - a;
        const uint64_t v0 = known[l].w[0] ^ ((s[1].w[0] & ~am) | (s[0].w[0] & am));
        const uint64_t v1 = known[l].w[1] ^ ((s[1].w[1] & ~am) | (s[0].w[1] & am));
        /* Pair p: both children cleared when p is the path node, and the
         * off-path one (left when a = 1) set to v. */
        const uint64_t e0[2] = {v0 & am, v1 & am}, e1[2] = {v0 & ~am, v1 & ~am};
        for (size_t p = 0; p < m; p++) {
            const uint64_t on = eq_mask(p, pre);
            sirnn_block *c = leaves + 2 * p;
            c[0].w[0] = (c[0].w[0] & ~on) | (e0[0] & on);
            c[0].w[1] = (c[0].w[1] & ~on) | (e0[1] & on);
            c[1].w[0] = (c[1].w[0] & ~on) | (e1[0] & on);
            c[1].w[1] = (c[1].w[1] & ~on) | (e1[1] & on);
        }
    }
    sirnn_memzero(z, sizeof(z));
}

sirnn_status sirnn_silent_init(sirnn_silent *e, int sender, sirnn_block delta, uint64_t domain,
                               const sirnn_block *seed)
{
    return sirnn_silent_init_params(e, sender, delta, domain, seed, &sirnn_silent_boot,
                                    &sirnn_silent_main);
}

static int params_ok(const sirnn_silent_params *p)
{
    return p->h >= 3 && p->h <= HMAX && p->t >= 1 && p->k >= 1 &&
           (uint64_t)p->t << p->h == p->n && ((size_t)1 << p->h) <= SIRNN_SILENT_TILE;
}

sirnn_status sirnn_silent_init_params(sirnn_silent *e, int sender, sirnn_block delta,
                                      uint64_t domain, const sirnn_block *seed,
                                      const sirnn_silent_params *boot,
                                      const sirnn_silent_params *main_set)
{
    memset(e, 0, sizeof(*e));
    const size_t want = sirnn_silent_reserve(main_set);
    if (!params_ok(boot) || !params_ok(main_set) || boot->n < want || main_set->n <= want)
        return SIRNN_ERR_ARG;
    e->boot = *boot;
    e->main = *main_set;
    e->sender = sender != 0;
    e->delta = delta;
    e->domain = domain;
    sirnn_block ck = block_of(k_code);
    sirnn_status st = sirnn_silent_ggm_keys(e->g);
    if (st == SIRNN_OK && (st = sirnn_aes_key_init(&e->code, &ck)) != SIRNN_OK) {
        sirnn_aes_key_free(&e->g[0]);
        sirnn_aes_key_free(&e->g[1]);
    }
    if (st == SIRNN_OK && (st = sirnn_prg_init(&e->prg, seed, 0)) != SIRNN_OK) {
        sirnn_aes_key_free(&e->g[0]);
        sirnn_aes_key_free(&e->g[1]);
        sirnn_aes_key_free(&e->code);
    }
    if (st != SIRNN_OK) {
        memset(e->g, 0, sizeof(e->g));
        memset(&e->code, 0, sizeof(e->code));
        memset(&e->prg, 0, sizeof(e->prg));
        sirnn_silent_free(e);
    }
    return st;
}

void sirnn_silent_free(sirnn_silent *e)
{
    if (e->res != NULL)
        sirnn_memzero(e->res, RES_CAP(e) * sizeof(sirnn_block));
    if (e->next != NULL)
        sirnn_memzero(e->next, RES_CAP(e) * sizeof(sirnn_block));
    if (e->tile != NULL)
        sirnn_memzero(e->tile, SIRNN_SILENT_TILE * sizeof(sirnn_block));
    if (e->tmp != NULL)
        sirnn_memzero(e->tmp, TMP_CAP(e) * sizeof(sirnn_block));
    if (e->msg != NULL)
        sirnn_memzero(e->msg, MSG_CAP * sizeof(sirnn_block));
    for (int i = 0; i < 2; i++)
        sirnn_scratch_free(e->alpha[i], TCAP(e) * sizeof(uint32_t));
    sirnn_scratch_free(e->c_bits, SIRNN_SILENT_TILE);
    sirnn_scratch_free(e->c_res, RES_CAP(e));
    sirnn_scratch_free(e->c_next, RES_CAP(e));
    sirnn_scratch_free(e->res, RES_CAP(e) * sizeof(sirnn_block));
    sirnn_scratch_free(e->next, RES_CAP(e) * sizeof(sirnn_block));
    sirnn_scratch_free(e->tile, SIRNN_SILENT_TILE * sizeof(sirnn_block));
    sirnn_scratch_free(e->tmp, TMP_CAP(e) * sizeof(sirnn_block));
    sirnn_scratch_free(e->msg, MSG_CAP * sizeof(sirnn_block));
    sirnn_scratch_free(e->words, (size_t)ROWS * SIRNN_LPN_WORDS * sizeof(uint32_t));
    sirnn_scratch_free(e->dbits, DBITS_CAP(e));
    free(e->held);
    sirnn_aes_key_free(&e->g[0]);
    sirnn_aes_key_free(&e->g[1]);
    sirnn_aes_key_free(&e->code);
    sirnn_prg_free(&e->prg);
    sirnn_memzero(e, sizeof(*e));
}

/* ---------------- bootstrap ---------------- */

/* A reserve: zeroed like sirnn_scratch_alloc (and freed by
 * sirnn_scratch_free), but 2 MB aligned and marked for transparent huge
 * pages where the kernel offers them. The LPN rows read the reserve at ten
 * random places each: with 4 KB pages a 9.4 MB reserve needs more TLB
 * entries than the core has, so most reads also miss the TLB. */
static void *reserve_alloc(size_t bytes)
{
    const size_t huge = (size_t)1 << 21;
    const size_t rounded = (bytes + huge - 1) & ~(huge - 1);
    void *p = aligned_alloc(huge, rounded);
    if (p == NULL)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* a hint: failure costs only speed */
#endif
    memset(p, 0, rounded);
    return p;
}

/* The buffers, at the first take (an engine nobody uses costs no memory);
 * on failure the engine stays at stage 0 and sirnn_silent_free frees what
 * was allocated. */
static sirnn_status alloc_buffers(sirnn_silent *e)
{
    if (e->res == NULL)
        e->res = reserve_alloc(RES_CAP(e) * sizeof(sirnn_block));
    if (e->next == NULL)
        e->next = reserve_alloc(RES_CAP(e) * sizeof(sirnn_block));
    if (e->tile == NULL)
        e->tile = sirnn_scratch_alloc(SIRNN_SILENT_TILE * sizeof(sirnn_block));
    if (e->tmp == NULL)
        e->tmp = sirnn_scratch_alloc(TMP_CAP(e) * sizeof(sirnn_block));
    if (e->msg == NULL)
        e->msg = sirnn_scratch_alloc(MSG_CAP * sizeof(sirnn_block));
    if (e->words == NULL)
        e->words = sirnn_scratch_alloc((size_t)ROWS * SIRNN_LPN_WORDS * sizeof(uint32_t));
    if (e->dbits == NULL)
        e->dbits = sirnn_scratch_alloc(DBITS_CAP(e));
    if (e->res == NULL || e->next == NULL || e->tile == NULL || e->tmp == NULL ||
        e->msg == NULL || e->words == NULL || e->dbits == NULL)
        return SIRNN_ERR_NOMEM;
    if (e->sender)
        return SIRNN_OK;
    for (int i = 0; i < 2; i++)
        if (e->alpha[i] == NULL)
            e->alpha[i] = sirnn_scratch_alloc(TCAP(e) * sizeof(uint32_t));
    if (e->c_bits == NULL)
        e->c_bits = sirnn_scratch_alloc(SIRNN_SILENT_TILE);
    if (e->c_res == NULL)
        e->c_res = sirnn_scratch_alloc(RES_CAP(e));
    if (e->c_next == NULL)
        e->c_next = sirnn_scratch_alloc(RES_CAP(e));
    if (e->alpha[0] == NULL || e->alpha[1] == NULL || e->c_bits == NULL || e->c_res == NULL ||
        e->c_next == NULL)
        return SIRNN_ERR_NOMEM;
    return SIRNN_OK;
}

/* The first reserve from OT extension: R0 random COTs, normalised so that
 * bit 0 of the sender's block is 0 and of the receiver's its choice. */
static sirnn_status bootstrap(sirnn_silent *e, sirnn_otx_sender *xs, sirnn_otx_receiver *xr,
                              sirnn_channel *ch)
{
    const size_t total = sirnn_silent_reserve(&e->boot);
    uint8_t *col = (uint8_t *)e->words; /* BOOT_CHUNK / 8 bytes of choices */
    for (size_t off = 0; off < total; off += BOOT_CHUNK) {
        const size_t k = total - off < BOOT_CHUNK ? total - off : BOOT_CHUNK;
        const size_t m = sirnn_otx_round(k);
        sirnn_status st;
        if (e->sender) {
            if ((st = sirnn_otx_send_extend(xs, ch, e->tile, m)) != SIRNN_OK)
                return st;
            for (size_t i = 0; i < k; i++) {
                e->res[off + i] = e->tile[i];
                e->res[off + i].w[0] &= ~(uint64_t)1;
            }
        } else {
            sirnn_prg_bytes(&e->prg, col, m / 8);
            if ((st = sirnn_otx_recv_extend(xr, ch, e->tile, col, 0, m)) != SIRNN_OK)
                return st;
            for (size_t i = 0; i < k; i++) {
                const uint8_t r = (uint8_t)((col[i / 8] >> (i % 8)) & 1);
                e->res[off + i] = e->tile[i];
                e->res[off + i].w[0] = (e->tile[i].w[0] & ~(uint64_t)1) | r;
                e->c_res[off + i] = r;
            }
        }
    }
    sirnn_memzero(col, BOOT_CHUNK / 8);
    sirnn_memzero(e->tile, BOOT_CHUNK * sizeof(sirnn_block));
    e->stage = 1;
    e->p = e->cp = &e->boot;
    e->next_tree = e->c_tree = 0;
    e->started = e->c_started = 0;
    e->c_iter = e->r_iter = 0;
    return e->sender ? SIRNN_OK : sirnn_channel_flush(ch);
}

/* ---------------- one iteration ---------------- */

static size_t dbytes(const sirnn_silent_params *p)
{
    return ((size_t)p->t * p->h + 7) / 8;
}

/* Receiver, choice side: draw the iteration's noise positions and send the
 * choice corrections d = r ^ not(alpha bit) of every reserved tree COT
 * (r from the reserve's choice bits). */
static sirnn_status choice_start(sirnn_silent *e, sirnn_channel *ch)
{
    const sirnn_silent_params *p = e->cp;
    const uint8_t *base = e->c_res + p->k;
    uint32_t *alpha = e->alpha[e->c_iter & 1];
    sirnn_prg_bytes(&e->prg, alpha, (size_t)p->t * sizeof(uint32_t));
    memset(e->dbits, 0, dbytes(p));
    for (uint32_t b = 0; b < p->t; b++) {
        alpha[b] &= (1u << p->h) - 1;
        for (unsigned l = 0; l < p->h; l++) {
            const size_t j = (size_t)b * p->h + l;
            const unsigned a = (alpha[b] >> (p->h - 1 - l)) & 1;
            e->dbits[j / 8] |= (uint8_t)((base[j] ^ a ^ 1) << (j % 8));
        }
    }
    sirnn_status st = sirnn_channel_send(ch, e->dbits, dbytes(p));
    e->c_started = 1;
    return st == SIRNN_OK ? sirnn_channel_flush(ch) : st;
}

/* Rows of the choice tile that starts at tree c_tree: all of them, and
 * those below the next reserve's size (made even when dropped). */
static void choice_tile_rows(const sirnn_silent *e, size_t *rows, size_t *keep)
{
    const sirnn_silent_params *p = e->cp;
    const uint32_t per = (uint32_t)(SIRNN_SILENT_TILE >> p->h);
    const uint32_t nt = p->t - e->c_tree < per ? p->t - e->c_tree : per;
    const size_t row0 = (size_t)e->c_tree << p->h, want = sirnn_silent_reserve(&e->main);
    *rows = (size_t)nt << p->h;
    *keep = row0 >= want ? 0 : (want - row0 < *rows ? want - row0 : *rows);
}

/* Receiver, choice side: the next tile's choice bits,
 * e_i ^ XOR_j r[idx_j(i)], into c_bits; the part below the next reserve's
 * size also into c_next. With `drop` the caller drops the tile's user
 * bits unread, so only the reserve part is computed (a random-COT take
 * would otherwise pay for every choice bit twice: here and as bit 0 of its
 * row). */
static sirnn_status choice_tile(sirnn_silent *e, sirnn_channel *ch, int drop)
{
    const sirnn_silent_params *p = e->cp;
    sirnn_status st;
    if (!e->c_started) {
        /* Its noise positions go where the rows will look for them. */
        if (e->c_iter >= e->r_iter + 2)
            return SIRNN_ERR_STATE;
        if ((st = choice_start(e, ch)) != SIRNN_OK)
            return st;
    }
    const unsigned h = p->h;
    const uint32_t b0 = e->c_tree, per = (uint32_t)(SIRNN_SILENT_TILE >> h);
    const uint32_t nt = p->t - b0 < per ? p->t - b0 : per;
    const size_t row0 = (size_t)b0 << h, rows = (size_t)nt << h;
    const uint32_t *alpha = e->alpha[e->c_iter & 1];
    const uint64_t low = ((uint64_t)1 << h) - 1;
    const uint64_t stage = e->cp == &e->boot ? 1 : 2;
    size_t all, upto;
    choice_tile_rows(e, &all, &upto);
    if (!drop)
        upto = all;
    for (size_t off = 0; off < upto; off += ROWS) {
        const size_t c = upto - off < ROWS ? upto - off : ROWS;
        sirnn_aes_ctr(&e->code, (sirnn_block *)(void *)e->words, stage,
                      3 * (uint64_t)(row0 + off), 3 * c);
        for (size_t i = 0; i < c; i++) {
            const size_t row = row0 + off + i;
            const uint32_t *w = e->words + SIRNN_LPN_WORDS * i;
            unsigned x = (unsigned)(eq_mask(row & low, alpha[row >> h]) & 1);
            for (unsigned j = 0; j < SIRNN_LPN_D; j++)
                x ^= e->c_res[((uint64_t)w[j] * p->k) >> 32];
            e->c_bits[off + i] = (uint8_t)x;
        }
    }
    const size_t want = sirnn_silent_reserve(&e->main);
    size_t keep = 0;
    if (row0 < want) {
        keep = want - row0 < rows ? want - row0 : rows;
        memcpy(e->c_next + row0, e->c_bits, keep);
    }
    e->c_pos = keep;
    e->c_len = rows;
    e->c_tree = b0 + nt;
    if (e->c_tree == p->t) {
        uint8_t *t = e->c_res;
        e->c_res = e->c_next;
        e->c_next = t;
        e->cp = &e->main;
        e->c_tree = 0;
        e->c_started = 0;
        e->c_iter++;
    }
    return SIRNN_OK;
}

static unsigned dbit(const sirnn_silent *e, size_t j)
{
    return (e->dbits[j / 8] >> (j % 8)) & 1;
}

/* out[i] ^= A_{row0 + i} * u for cnt rows. */
static void lpn_rows(sirnn_silent *e, sirnn_block *out, size_t row0, size_t cnt)
{
    const sirnn_silent_params *p = e->p;
    const sirnn_kernel_table *kt = sirnn_kernels();
    for (size_t off = 0; off < cnt; off += ROWS) {
        const size_t c = cnt - off < ROWS ? cnt - off : ROWS;
        sirnn_aes_ctr(&e->code, (sirnn_block *)(void *)e->words, (uint64_t)e->stage,
                      3 * (uint64_t)(row0 + off), 3 * c);
        kt->lpn_xor(out + off, e->res, p->k, e->words, c);
    }
}

/* Sender: keep a held take's tile messages (see sirnn_silent_send_take_held). */
static sirnn_status hold_bytes(sirnn_silent *e, const void *src, size_t n)
{
    if (e->held_len + n > e->held_cap) {
        size_t cap = e->held_cap ? 2 * e->held_cap : 65536;
        while (cap < e->held_len + n)
            cap *= 2;
        uint8_t *p = realloc(e->held, cap);
        if (p == NULL)
            return SIRNN_ERR_NOMEM;
        e->held = p;
        e->held_cap = cap;
    }
    memcpy(e->held + e->held_len, src, n);
    e->held_len += n;
    e->held_in += n;
    return SIRNN_OK;
}

/* The next tile of the iteration: its trees' SPCOTs and LPN rows; the part
 * below the next reserve's size goes there, the rest is the user's. */
static sirnn_status make_tile(sirnn_silent *e, sirnn_channel *ch)
{
    const sirnn_silent_params *p = e->p;
    const unsigned h = p->h;
    const size_t leaves = (size_t)1 << h;
    const uint32_t b0 = e->next_tree;
    const uint32_t per = (uint32_t)(SIRNN_SILENT_TILE >> h);
    const uint32_t nt = p->t - b0 < per ? p->t - b0 : per;
    const size_t per_tree = 2 * (size_t)h + 1;
    sirnn_status st;
    if (!e->started) {
        /* The receiver's choice side sent the corrections (and is ahead). */
        if (e->sender && (st = sirnn_channel_recv(ch, e->dbits, dbytes(p))) != SIRNN_OK)
            return st;
        e->started = 1;
    }
    /* The tile's reserved tree COTs, contiguous: hash them once. */
    const sirnn_block *q = e->res + p->k + (size_t)b0 * h;
    const size_t nq = (size_t)nt * h;
    const sirnn_tweak tw = sirnn_tweak_make(e->domain, e->hindex + (size_t)b0 * h);
    sirnn_block *h0 = e->tmp, *h1 = e->tmp + nq; /* nq <= 2^h */
    if (e->sender) {
        sirnn_tccrhash(h0, q, tw, nq);
        for (size_t j = 0; j < nq; j++)
            h1[j] = sirnn_block_xor(q[j], e->delta);
        sirnn_tccrhash(h1, h1, tw, nq);
        /* h0/h1 live in tmp, which the trees need: fold them into msg first. */
        for (uint32_t i = 0; i < nt; i++)
            for (unsigned l = 0; l < h; l++) {
                const size_t j = (size_t)i * h + l;
                const unsigned d = dbit(e, (size_t)b0 * h + j);
                e->msg[i * per_tree + 2 * l] = d ? h1[j] : h0[j];
                e->msg[i * per_tree + 2 * l + 1] = d ? h0[j] : h1[j];
            }
        for (uint32_t i = 0; i < nt; i++) {
            sirnn_block *lv = e->tile + (size_t)i * leaves;
            sirnn_block sums[2 * HMAX], seed;
            sirnn_prg_blocks(&e->prg, &seed, 1);
            sirnn_silent_ggm_expand(e->g, seed, h, lv, sums, e->tmp);
            sirnn_block *m = e->msg + i * per_tree;
            for (unsigned l = 0; l < 2 * h; l++)
                m[l] = sirnn_block_xor(m[l], sums[l]);
            sirnn_block c = e->delta;
            for (size_t x = 0; x < leaves; x++) {
                lv[x].w[0] &= ~(uint64_t)1;
                c = sirnn_block_xor(c, lv[x]);
            }
            m[2 * h] = c;
            sirnn_memzero(sums, sizeof(sums));
            sirnn_memzero(&seed, sizeof(seed));
        }
        const size_t mbytes = (size_t)nt * per_tree * 16;
        if (e->hold) {
            if ((st = hold_bytes(e, e->msg, mbytes)) != SIRNN_OK)
                return st;
        } else if (e->held_len > 0) {
            return SIRNN_ERR_STATE; /* this tile would overtake the held ones */
        } else if ((st = sirnn_channel_send(ch, e->msg, mbytes)) != SIRNN_OK ||
                   (st = sirnn_channel_flush(ch)) != SIRNN_OK) {
            return st;
        }
    } else {
        if ((st = sirnn_channel_recv(ch, e->msg, (size_t)nt * per_tree * 16)) != SIRNN_OK)
            return st;
        sirnn_tccrhash(h0, q, tw, nq);
        /* known_l = msg^(not a_l) ^ H(t_l), selected by mask. */
        for (uint32_t i = 0; i < nt; i++) {
            const uint32_t alpha = e->alpha[e->r_iter & 1][b0 + i];
            sirnn_block *m = e->msg + i * per_tree;
            for (unsigned l = 0; l < h; l++) {
                const uint64_t am = 0 - (uint64_t)((alpha >> (h - 1 - l)) & 1);
                const sirnn_block hh = h0[(size_t)i * h + l];
                sirnn_block k;
                k.w[0] = ((m[2 * l + 1].w[0] & ~am) | (m[2 * l].w[0] & am)) ^ hh.w[0];
                k.w[1] = ((m[2 * l + 1].w[1] & ~am) | (m[2 * l].w[1] & am)) ^ hh.w[1];
                m[l] = k; /* l <= 2l: nothing unread is overwritten */
            }
        }
        for (uint32_t i = 0; i < nt; i++) {
            const uint32_t alpha = e->alpha[e->r_iter & 1][b0 + i];
            sirnn_block *lv = e->tile + (size_t)i * leaves;
            const sirnn_block *m = e->msg + i * per_tree;
            sirnn_silent_ggm_puncture(e->g, alpha, h, m, lv, e->tmp);
            sirnn_block c = m[2 * h];
            for (size_t x = 0; x < leaves; x++) {
                lv[x].w[0] &= ~(uint64_t)1;
                c = sirnn_block_xor(c, lv[x]);
            }
            for (size_t x = 0; x < leaves; x++) {
                const uint64_t put = eq_mask(x, alpha);
                lv[x].w[0] |= c.w[0] & put;
                lv[x].w[1] |= c.w[1] & put;
            }
        }
    }
    sirnn_memzero(e->tmp, 2 * nq * sizeof(sirnn_block));
    sirnn_memzero(e->msg, (size_t)nt * per_tree * sizeof(sirnn_block));

    const size_t row0 = (size_t)b0 << h, rows = (size_t)nt << h;
    lpn_rows(e, e->tile, row0, rows);

    /* The next iteration's reserve first. */
    const size_t want = sirnn_silent_reserve(&e->main);
    size_t keep = 0;
    if (row0 < want) {
        keep = want - row0 < rows ? want - row0 : rows;
        memcpy(e->next + row0, e->tile, keep * sizeof(sirnn_block));
    }
    e->tile_pos = keep;
    e->tile_len = rows;
    e->next_tree = b0 + nt;
    if (e->next_tree == p->t) {
        /* Iteration done: the filled reserve runs the next (main) one. */
        sirnn_block *t = e->res;
        e->res = e->next;
        e->next = t;
        sirnn_memzero(e->next, RES_CAP(e) * sizeof(sirnn_block));
        e->hindex += (uint64_t)p->t * h;
        e->p = &e->main;
        e->stage = 2;
        e->next_tree = 0;
        e->started = 0;
        e->r_iter++;
    }
    return SIRNN_OK;
}

static sirnn_status ensure_boot(sirnn_silent *e, sirnn_otx_sender *xs, sirnn_otx_receiver *xr,
                               sirnn_channel *ch)
{
    sirnn_status st = SIRNN_OK;
    if (e->stage == 0 && (st = alloc_buffers(e)) == SIRNN_OK)
        st = bootstrap(e, xs, xr, ch);
    return st;
}

/* Receiver: the next n choice bits into bits (NULL: drop them). */
static sirnn_status choices(sirnn_silent *e, sirnn_channel *ch, uint8_t *bits, size_t n)
{
    size_t done = 0;
    sirnn_status st;
    while (done < n) {
        if (e->c_pos == e->c_len) {
            size_t rows, keep;
            choice_tile_rows(e, &rows, &keep);
            const int drop = bits == NULL && n - done >= rows - keep;
            if ((st = choice_tile(e, ch, drop)) != SIRNN_OK)
                return st;
        }
        size_t c = e->c_len - e->c_pos;
        if (c > n - done)
            c = n - done;
        if (bits != NULL)
            memcpy(bits + done, e->c_bits + e->c_pos, c);
        e->c_pos += c;
        done += c;
    }
    e->c_count += n;
    return SIRNN_OK;
}

sirnn_status sirnn_silent_recv_choices(sirnn_silent *e, sirnn_otx_receiver *x,
                                       sirnn_channel *ch, uint8_t *bits, size_t n)
{
    if (e->sender)
        return SIRNN_ERR_ARG;
    if (n == 0)
        return SIRNN_OK;
    const uint64_t sent0 = ch->stats.bytes_sent;
    sirnn_status st = ensure_boot(e, NULL, x, ch);
    if (st == SIRNN_OK) {
        st = choices(e, ch, bits, n);
    }
    e->wire_sent += ch->stats.bytes_sent - sent0;
    return st;
}

/* Rows of n COTs from the tiles (the receiver's choice side already
 * covers them). */
static sirnn_status rows(sirnn_silent *e, sirnn_channel *ch, sirnn_block *out, size_t n)
{
    sirnn_status st;
    size_t done = 0;
    while (done < n) {
        if (e->tile_pos == e->tile_len && (st = make_tile(e, ch)) != SIRNN_OK)
            return st;
        size_t c = e->tile_len - e->tile_pos;
        if (c > n - done)
            c = n - done;
        /* The tile is secret like the reserves; the next tile overwrites it
         * and sirnn_silent_free wipes it. */
        memcpy(out + done, e->tile + e->tile_pos, c * sizeof(sirnn_block));
        e->tile_pos += c;
        done += c;
    }
    e->produced += n;
    return SIRNN_OK;
}

static sirnn_status take_counted(sirnn_silent *e, sirnn_otx_sender *xs,
                                 sirnn_otx_receiver *xr, sirnn_channel *ch, sirnn_block *out,
                                 size_t n);

static sirnn_status take(sirnn_silent *e, sirnn_otx_sender *xs, sirnn_otx_receiver *xr,
                         sirnn_channel *ch, sirnn_block *out, size_t n)
{
    const uint64_t sent0 = ch->stats.bytes_sent;
    sirnn_status st = take_counted(e, xs, xr, ch, out, n);
    e->wire_sent += ch->stats.bytes_sent - sent0;
    return st;
}

static sirnn_status take_counted(sirnn_silent *e, sirnn_otx_sender *xs,
                                 sirnn_otx_receiver *xr, sirnn_channel *ch, sirnn_block *out,
                                 size_t n)
{
    sirnn_status st;
    if (n > 0 && (st = ensure_boot(e, xs, xr, ch)) != SIRNN_OK)
        return st;
    if (e->sender)
        return rows(e, ch, out, n);
    /* The receiver's choice side covers the COTs before their rows (it
     * starts the iterations: noise positions and corrections), a piece at a
     * time so that it never runs more than one iteration ahead. */
    const size_t piece_max = e->main.n - sirnn_silent_reserve(&e->main);
    for (size_t off = 0; off < n;) {
        const size_t piece = n - off < piece_max ? n - off : piece_max;
        if (e->produced + piece > e->c_count &&
            (st = choices(e, ch, NULL, (size_t)(e->produced + piece - e->c_count))) != SIRNN_OK)
            return st;
        if ((st = rows(e, ch, out + off, piece)) != SIRNN_OK)
            return st;
        off += piece;
    }
    return SIRNN_OK;
}

size_t sirnn_silent_rows_left(const sirnn_silent *e)
{
    const size_t want = sirnn_silent_reserve(&e->main);
    if (e->stage == 0 || (e->tile_pos == e->tile_len && e->next_tree == 0)) {
        /* The next row starts an iteration: all of its user rows. */
        const sirnn_silent_params *p = e->stage == 0 ? &e->boot : e->p;
        return (size_t)p->n - want;
    }
    if (e->next_tree == 0) /* the tile is its iteration's last (e->p is already the next) */
        return e->tile_len - e->tile_pos;
    const size_t row0 = (size_t)e->next_tree << e->p->h;
    return (e->tile_len - e->tile_pos) + (size_t)e->p->n - (row0 > want ? row0 : want);
}

sirnn_status sirnn_silent_send_take(sirnn_silent *e, sirnn_otx_sender *x, sirnn_channel *ch,
                                    sirnn_block *out, size_t n)
{
    return take(e, x, NULL, ch, out, n);
}

sirnn_status sirnn_silent_send_take_held(sirnn_silent *e, sirnn_otx_sender *x,
                                         sirnn_channel *ch, sirnn_block *out, size_t n,
                                         uint64_t *mark)
{
    if (!e->sender)
        return SIRNN_ERR_ARG;
    e->hold = 1;
    sirnn_status st = take(e, x, NULL, ch, out, n);
    e->hold = 0;
    *mark = e->held_in;
    return st;
}

sirnn_status sirnn_silent_send_emit(sirnn_silent *e, sirnn_channel *ch, uint64_t mark)
{
    if (mark > e->held_in)
        return SIRNN_ERR_STATE;
    if (mark <= e->held_out)
        return SIRNN_OK;
    const size_t n = (size_t)(mark - e->held_out);
    sirnn_status st = sirnn_channel_send(ch, e->held, n);
    if (st != SIRNN_OK)
        return st;
    e->wire_sent += n;
    memmove(e->held, e->held + n, e->held_len - n);
    e->held_len -= n;
    e->held_out = mark;
    return SIRNN_OK;
}

sirnn_status sirnn_silent_recv_take(sirnn_silent *e, sirnn_otx_receiver *x, sirnn_channel *ch,
                                    sirnn_block *out, size_t n)
{
    return take(e, NULL, x, ch, out, n);
}
