/*
 * Secure two-party FastGRNN inference: the steps of nn/fg_plan.h on shares,
 * the server (party 0) holding the weights in the clear and the client
 * (party 1) the images. A batch of images goes through every step together
 * (one protocol call per step for the whole batch), so the flights per
 * batch do not grow with its size.
 *
 * Session messages on lane 0, before the protocol: the client's request
 * (how many images, their shape, whether it wants the scores) and the
 * server's reply (accepted or why not, and the public description of the
 * model, from which both sides build the same plan).
 *
 * Limits, so that a request costs the server no more than its config
 * allows: a batch larger than the server's max_batch is refused (the client
 * knows that limit from the handshake and refuses first), and the images go
 * through in pieces whose working memory fits in the server's
 * session_mem_bytes (also known to the client from the handshake, so both
 * cut the batch alike), each piece's memory allocated when it starts.
 * Deadlines: the request must arrive within one timeout_ms, and each piece
 * must be done within timeout_ms per started SERVE_IMAGES_PER_TIMEOUT
 * images (plus one), so a client that trickles its messages is dropped in
 * time proportional to the work it asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/random.h"
#include "net/party_internal.h"
#include "nn/session_msg.h"
#include "nn/fastgrnn.h"
#include "nn/fg_plan.h"
#include "nn/argmax.h"
#include "arith/mixed.h"
#include "arith/wmm.h"
#include "sirnn/arith.h"
#include "sirnn/group.h"
#include "sirnn/nn.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

/* ---- the protocol ---------------------------------------------------------- */

typedef struct secure_work {
    uint64_t *x, *v, *wx, *h16, *hlr, *ur, *uh, *pre, *y, *cc, *q; /* hlr: h in lr bits */
    uint64_t *pg; /* the fold's gate products from the sigmoid (sirnn_fg_act_secure_gates) */
    uint64_t *val, *am, *out; /* am: the argmax's scratch (nn/argmax.h) */
    uint8_t *zeros, *amb;
    uint8_t *hsign, *usign; /* MSB shares of h16 (BH) and of U2's output (B ru) */
    uint8_t *xsign, *vsign; /* of the inputs (0 on the server) and of W2's output */
    uint64_t *mem;
    size_t nmem;
    sirnn_wmm wmm;  /* the state fold's next U R (or U2' R) product (arith/wmm.h) */
    sirnn_wmm wmm1; /* with low-rank U, the next U1' (U2' R) */
} secure_work;

/* The state fold's U R (or U2' R and U1' (U2' R)) by sirnn_wmm
 * (arith/wmm.h: no flight of its own, fewer bytes) while its OTs, one per weight bit whatever the
 * batch, fit WMM_MAX_OTS (33 MB held between the phases); beyond that (a
 * hidden state of over 256 units) by sirnn_matmul_clear in the group (2
 * flights a step more, working memory O(window)). Both give U R mod 2^lv
 * exactly, so the choice is the protocol's only, from the public shape. */
#define WMM_MAX_OTS ((size_t)1 << 20)

static size_t wmm_ots(const sirnn_fg_plan *p)
{
    const size_t ru = p->d.rank_u, H = p->d.hidden;
    return ru > 0 ? H * ru * (p->fk1 + p->fk2) : H * H * p->u.k;
}

static int use_wmm(const sirnn_fg_plan *p, size_t B)
{
    (void)B;
    return p->fold && wmm_ots(p) <= WMM_MAX_OTS;
}

/* work_init's sizes: words of shares, and bytes of bits (one spare). */
static size_t work_words(const sirnn_fg_plan *p, size_t B)
{
    const size_t T = p->d.steps, D = p->d.input, H = p->d.hidden, C = p->d.classes;
    const size_t rw = p->d.rank_w, ru = p->d.rank_u, BH = B * H;
    return B * T * (D + rw + H) + 2 * BH + B * ru + BH + 2 * BH * 5 + B * C +
           sirnn_argmax_work_words(B, C) + B * (C + 1);
}

static size_t work_bit_bytes(const sirnn_fg_plan *p, size_t B)
{
    const size_t T = p->d.steps, D = p->d.input, H = p->d.hidden, C = p->d.classes;
    const size_t rw = p->d.rank_w, ru = p->d.rank_u, BH = B * H;
    return 2 * BH + sirnn_argmax_work_bytes(B, C) + BH + B * ru + B * T * (D + rw) + 1;
}

size_t sirnn_fg_piece_images(const sirnn_fg_plan *p, uint64_t mem_bytes)
{
    const size_t ru = p->d.rank_u, H = p->d.hidden;
    /* plus sirnn_wmm's arrays while it runs (arith/wmm.h) */
    const size_t per_image = work_words(p, 1) * sizeof(uint64_t) + work_bit_bytes(p, 1) +
                             (!use_wmm(p, 1) ? 0
                              : ru > 0 ? sirnn_wmm_row_bytes(H, ru, p->fk2) +
                                             sirnn_wmm_row_bytes(ru, H, p->fk1)
                                       : sirnn_wmm_row_bytes(H, H, p->u.k));
    const uint64_t k = mem_bytes / per_image;
    return k < 1 ? 1 : k > UINT32_MAX ? UINT32_MAX : (size_t)k;
}

static sirnn_status work_init(secure_work *sw, const sirnn_fg_plan *p, size_t B)
{
    const size_t T = p->d.steps, D = p->d.input, H = p->d.hidden, C = p->d.classes;
    const size_t rw = p->d.rank_w, ru = p->d.rank_u, BH = B * H;
    const size_t total = work_words(p, B);
    memset(sw, 0, sizeof(*sw));
    sw->mem = calloc(total, sizeof(uint64_t));
    sw->nmem = total;
    sw->zeros = calloc(work_bit_bytes(p, B), 1);
    if (sw->mem == NULL || sw->zeros == NULL) {
        free(sw->mem);
        free(sw->zeros);
        return SIRNN_ERR_NOMEM;
    }
    sw->amb = sw->zeros + 2 * BH;
    sw->hsign = sw->amb + sirnn_argmax_work_bytes(B, C);
    sw->usign = sw->hsign + BH;
    sw->xsign = sw->usign + B * ru;
    sw->vsign = sw->xsign + B * T * D;
    uint64_t *q = sw->mem;
#define TAKE(f, cnt) do { sw->f = q; q += (cnt); } while (0)
    TAKE(x, B * T * D);
    TAKE(v, B * T * rw);
    TAKE(wx, B * T * H);
    TAKE(h16, BH);
    TAKE(hlr, BH);
    TAKE(ur, B * ru);
    TAKE(uh, BH);
    TAKE(pre, 2 * BH);
    TAKE(y, 2 * BH);
    TAKE(cc, 2 * BH);
    TAKE(q, 2 * BH);
    TAKE(pg, 2 * BH);
    TAKE(val, B * C);
    TAKE(am, sirnn_argmax_work_words(B, C));
    TAKE(out, B * (C + 1));
#undef TAKE
    return SIRNN_OK;
}

static void work_free(secure_work *sw)
{
    sirnn_wmm_free(&sw->wmm);
    sirnn_wmm_free(&sw->wmm1);
    if (sw->mem != NULL)
        sirnn_memzero(sw->mem, sw->nmem * sizeof(uint64_t));
    free(sw->mem);
    free(sw->zeros);
    memset(sw, 0, sizeof(*sw));
}

/* The product of A by W, truncated by s to lout bits: with the MSB shares
 * of A (msb, mm->msb_in) or without. */
static sirnn_status mm_product(sirnn_party *party, const sirnn_fg_mm *mm, size_t d1,
                               uint64_t *out, const uint64_t *a, const uint8_t *msb,
                               const uint64_t *w, unsigned s, unsigned lout)
{
    sirnn_status st;
    if (mm->msb_in)
        SIRNN_PROFILED(party, "matmul", st,
                       sirnn_matmul_clear_msb(party, d1, mm->d2, mm->d3, out, a, msb, w, mm->m,
                                              mm->k, s, lout, 1));
    else
        SIRNN_PROFILED(party, "matmul", st,
                       sirnn_matmul_clear(party, d1, mm->d2, mm->d3, out, a, w, mm->m, mm->k, s,
                                          lout, 1));
    return st;
}

/* A matrix product of the plan on shares (W the server's), then the local
 * up-shift. msb: the MSB shares of a when mm->msb_in; sign gets those of
 * the output when mm->sign_out. */
static sirnn_status mm_secure(sirnn_party *party, const sirnn_fg_mm *mm, size_t d1,
                              uint64_t *out, uint8_t *sign, const uint64_t *a,
                              const uint8_t *msb, const uint64_t *w)
{
    if (mm->sign_out) { /* the plan sets it only with s > 0, lmm == lout, up == 0 */
        const unsigned lc = mm->s + mm->lout;
        sirnn_status st = mm_product(party, mm, d1, out, a, msb, w, 0, lc);
        if (st == SIRNN_OK)
            SIRNN_PROFILED(party, "truncation", st,
                           sirnn_tr_ext_sign(party, d1 * mm->d3, out, sign, out, lc, mm->s,
                                             mm->lout, 1));
        return st;
    }
    sirnn_status st = mm_product(party, mm, d1, out, a, msb, w, mm->s, mm->lmm);
    if (st == SIRNN_OK && mm->lmm < mm->lout)
        SIRNN_PROFILED(party, "extension", st,
                       sirnn_sext(party, d1 * mm->d3, out, out, mm->lmm, mm->lout));
    if (st == SIRNN_OK && mm->up > 0)
        for (size_t i = 0; i < d1 * mm->d3; i++)
            out[i] = (out[i] << mm->up) & mask_of(mm->lout);
    return st;
}

/* The last product of W or U (see fuse in nn/fg_plan.h): truncated alone
 * (mm_secure), or untruncated and aligned to e_fuse, mod 2^(e_fuse + b). */
static sirnn_status mm_secure_last(sirnn_party *party, const sirnn_fg_plan *p,
                                   const sirnn_fg_mm *mm, size_t d1, uint64_t *out,
                                   const uint64_t *a, const uint8_t *msb, const uint64_t *w)
{
    if (!p->fuse)
        return mm_secure(party, mm, d1, out, NULL, a, msb, w);
    sirnn_status st = mm_product(party, mm, d1, out, a, msb, w, 0, mm->s + mm->lout);
    for (size_t i = 0; st == SIRNN_OK && i < d1 * mm->d3; i++)
        out[i] = (out[i] << (p->e_fuse - mm->s)) & mask_of(p->e_fuse + p->b);
    return st;
}

/* floor(x / 2^s) mod 2^lout of x in l = s + lout bits, unsigned (the top
 * lout bits, as sirnn_tr(l, s)), in place. sirnn_tr_lean's network (blocks
 * of up to 8 bits) is a level shallower than sirnn_tr's (4 bits) for
 * s > 4; in the step that level is a flight saved for s <= 8 (where the
 * lean one is also fewer bits) and s > 16, while at 9..16 both take 4
 * flights there (sirnn_tr's last flight joins the sigmoid's first) and
 * sirnn_tr costs fewer bits. Measured with the fused truncation of U h +
 * W x (e_fuse): the shipped Fashion-MNIST model (17) 6 -> 5 flights per
 * step; the random-weight Google-30 shape 3,230 -> 3,032 flights per
 * sequence, and fewer bits. Both give the same values. */
static sirnn_status lean_tr(sirnn_party *party, size_t n, uint64_t *x, unsigned l, unsigned s,
                            unsigned lout)
{
    if (s <= 8 || s > 16)
        return sirnn_tr_lean(party, n, x, x, l, s, lout, 0);
    return sirnn_tr(party, n, x, x, l, s);
}

/* The fused truncation of U h + W x (mod 2^(e_fuse + b)) to b bits. */
static sirnn_status fused_tr(sirnn_party *party, const sirnn_fg_plan *p, size_t n,
                             uint64_t *uh)
{
    return lean_tr(party, n, uh, p->e_fuse + p->b, p->e_fuse, p->b);
}

/* ---- the state fold (p->fold, nn/fg_plan.h) ------------------------------ */

/* The fold's gates with the sigmoid's carries without B2A and its rounding
 * fused with the gate products (sirnn_fg_act_secure_gates): 4 flights a
 * step fewer for about 46 kbit more per (image, hidden unit) and step, so
 * only for small batches: B H <= FG_GATES_MAX, about where the two break
 * even on `wan` (Fashion-MNIST, H = 32: 8.5 MB more per image against 108
 * flights a query, even at ~13 images; Google-30, H = 100: 72.6 MB against
 * 396 flights, ~5 sequences); larger batches take the lean tail of
 * sirnn_fg_act_secure_tr (12 flights a step). Both parties know B and H. */
enum { FG_GATES_MAX = 512 };

static int use_gates(const sirnn_fg_plan *p, size_t B)
{
    return B * p->d.hidden <= FG_GATES_MAX && sirnn_fg_act_gates_fits(p);
}

/* The pre-activations from sw->uh (U R + W x mod 2^lv) and the biases, then
 * the gates (truncation in the sigmoid's digits) into sw->y. */
static sirnn_status fold_act(sirnn_party *party, const sirnn_fg_plan *p,
                             const sirnn_fg_weights *w, secure_work *sw, size_t B, size_t t)
{
    const size_t T = p->d.steps, H = p->d.hidden, BH = B * H;
    const int server = sirnn_party_role(party) == SIRNN_SERVER;
    const uint64_t mv = mask_of(p->e_fuse + p->b);
    for (size_t i = 0; i < B; i++) {
        const uint64_t *wx = sw->wx + (i * T + t) * H;
        for (size_t j = 0; j < H; j++) {
            const size_t e = i * H + j;
            const uint64_t s = sw->uh[e] + wx[j];
            sw->pre[e] = (s + (server ? w->bz[j] << p->e_fuse : 0)) & mv;
            sw->pre[BH + e] = (s + (server ? w->bh[j] << p->e_fuse : 0)) & mv;
        }
    }
    if (use_gates(p, B)) {
        /* z, and the gate products g zeta', g (zeta + nu)' (2 zeta', 2 (zeta +
         * nu)': c = 2 g - 2^sz, see secure_run) from the sigmoid's rounding */
        const int64_t sc[2] = {2 * sirnn_fg_signed(w->zeta, p->b),
                               2 * sirnn_fg_signed(w->zn, p->b)};
        return sirnn_fg_act_secure_gates(party, p, BH, sw->y, sw->pg, sw->pre, sw->pre + BH,
                                         server ? sc : NULL);
    }
    return sirnn_fg_act_secure_tr(party, p, BH, sw->y, sw->pre, sw->pre + BH);
}

typedef struct fold_ctx {
    const sirnn_fg_plan *p;
    const sirnn_fg_weights *w;
    secure_work *sw;
    size_t B, t;
} fold_ctx;

/* Group member: the gates from U R_{t-1} mod 2^lv (sw->uh; or U1' (U2'
 * R_{t-1}) there, U2' R_{t-1} in sw->ur), the products taken by sirnn_wmm
 * at the end of the step before (use_wmm) or here by sirnn_matmul_clear
 * (R in sw->q), in R's own ring either way, so its wrap vanishes: no
 * comparison, no MSB. */
static sirnn_status fold_gates(sirnn_party *party, void *arg)
{
    const fold_ctx *c = arg;
    const sirnn_fg_plan *p = c->p;
    const size_t H = p->d.hidden, ru = p->d.rank_u, B = c->B;
    secure_work *sw = c->sw;
    sirnn_status st = SIRNN_OK;
    if (!use_wmm(p, B)) {
        if (ru == 0) {
            st = sirnn_matmul_clear(party, B, H, H, sw->uh, sw->q, c->w->u, p->lv, p->u.k, 0,
                                    p->lv, 1);
        } else {
            st = sirnn_matmul_clear(party, B, H, ru, sw->ur, sw->q, c->w->u2, p->lv, p->fk2, 0,
                                    p->lv, 1);
            if (st == SIRNN_OK)
                st = sirnn_matmul_clear(party, B, ru, H, sw->uh, sw->ur, c->w->u1, p->lv,
                                        p->fk1, 0, p->lv, 1);
        }
    }
    return st != SIRNN_OK ? st : fold_act(party, p, c->w, c->sw, c->B, c->t);
}

/* Group member: h_{t-1} = floor(R_{t-1} / 2^s_h) in lv bits into sw->hlr,
 * from R mod 2^lr (in sw->cc). */
static sirnn_status fold_state(sirnn_party *party, void *arg)
{
    const fold_ctx *c = arg;
    const sirnn_fg_plan *p = c->p;
    return sirnn_tr_ext(party, c->B * p->d.hidden, c->sw->hlr, c->sw->cc, p->lr, p->s_h, p->lv,
                        1);
}

/* Step t's gates with the fold: at t = 0 (R = 0, h = 0) the activations
 * alone; later the two members above in one group. */
static sirnn_status fold_step(sirnn_party *party, const sirnn_fg_plan *p,
                              const sirnn_fg_weights *w, secure_work *sw, size_t B, size_t t)
{
    const size_t BH = B * p->d.hidden;
    sirnn_status st;
    if (t == 0) {
        memset(sw->uh, 0, BH * sizeof(uint64_t));
        memset(sw->hlr, 0, BH * sizeof(uint64_t));
        SIRNN_PROFILED(party, "trunc + sigmoid / tanh", st, fold_act(party, p, w, sw, B, t));
        return st;
    }
    for (size_t e = 0; e < BH; e++)
        sw->cc[e] = sw->q[e] & mask_of(p->lr);
    fold_ctx c = {.p = p, .w = w, .sw = sw, .B = B, .t = t};
    sirnn_group_call calls[2] = {{.fn = fold_gates, .arg = &c}, {.fn = fold_state, .arg = &c}};
    SIRNN_PROFILED(party, "U R, sigmoid / tanh | state trunc", st,
                   sirnn_group_run(party, 2, calls));
    return st;
}

/* Step t's U h product(s), pre-activations and gates into sw->y (without
 * the state fold). */
static sirnn_status plain_gates(sirnn_party *party, const sirnn_fg_plan *p,
                                const sirnn_fg_weights *w, secure_work *sw, size_t B, size_t t)
{
    const size_t T = p->d.steps, H = p->d.hidden, BH = B * H;
    const unsigned b = p->b;
    const int server = sirnn_party_role(party) == SIRNN_SERVER;
    const uint64_t mb = mask_of(b);
    sirnn_status st;
    sirnn_prof_layer(party, "U h + W x");
    if (t == 0) {
        /* h_0 = 0 is public: U h_0 = 0 exactly (in every form the
         * products give it), with no products at all */
        memset(sw->uh, 0, BH * sizeof(uint64_t));
        st = SIRNN_OK;
    } else if (p->d.rank_u == 0) {
        st = mm_secure_last(party, p, &p->u, B, sw->uh, sw->h16, sw->hsign, w->u);
    } else {
        st = mm_secure(party, &p->u2, B, sw->ur, sw->usign, sw->h16, sw->hsign, w->u2);
        if (st == SIRNN_OK)
            st = mm_secure_last(party, p, &p->u1, B, sw->uh, sw->ur, sw->usign, w->u1);
    }
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0; i < B; i++) {
        const uint64_t *wx = sw->wx + (i * T + t) * H;
        for (size_t j = 0; j < H; j++)
            sw->uh[i * H + j] += wx[j];
    }
    if (p->fuse_act) {
        /* the truncation rides in the sigmoid's digits (fg_plan.h) */
        const unsigned lf = p->e_fuse + b;
        for (size_t e = 0; e < BH; e++) {
            const size_t j = e % H;
            sw->pre[e] = (sw->uh[e] + (server ? w->bz[j] << p->e_fuse : 0)) & mask_of(lf);
            sw->pre[BH + e] =
                (sw->uh[e] + (server ? w->bh[j] << p->e_fuse : 0)) & mask_of(lf);
        }
        sirnn_prof_layer(party, "gates z, h~");
        SIRNN_PROFILED(party, "trunc + sigmoid / tanh", st,
                       sirnn_fg_act_secure_tr(party, p, BH, sw->y, sw->pre, sw->pre + BH));
        if (st != SIRNN_OK)
            return st;
    } else {
        if (p->fuse) {
            const unsigned lf = p->e_fuse + b;
            for (size_t e = 0; e < BH; e++)
                sw->uh[e] &= mask_of(lf);
            SIRNN_PROFILED(party, "truncation", st, fused_tr(party, p, BH, sw->uh));
            if (st != SIRNN_OK)
                return st;
        }
        for (size_t e = 0; e < BH; e++) {
            const size_t j = e % H;
            sw->pre[e] = (sw->uh[e] + (server ? w->bz[j] : 0)) & mb;
            sw->pre[BH + e] = (sw->uh[e] + (server ? w->bh[j] : 0)) & mb;
        }
        sirnn_prof_layer(party, "gates z, h~");
        SIRNN_PROFILED(party, "sigmoid / tanh", st,
                       sirnn_fg_act_secure(party, p, BH, sw->y, sw->pre));
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

/*
 * Both roles: x (B*T*D shares of the client's inputs: x itself on the
 * client, 0 on the server) in sw->x, their MSB shares in sw->xsign; w the
 * server's weights (NULL on the client). Reveals to the client the classes
 * and, with reveal_scores, the scores: sw->out = B classes, then B*C scores.
 */
static sirnn_status secure_run(sirnn_party *party, const sirnn_fg_plan *p,
                               const sirnn_fg_weights *w, secure_work *sw, size_t B,
                               int reveal_scores, sirnn_fastgrnn_progress_fn progress,
                               void *progress_ctx)
{
    const size_t T = p->d.steps, H = p->d.hidden, C = p->d.classes, BH = B * H;
    const unsigned b = p->b;
    const int server = sirnn_party_role(party) == SIRNN_SERVER;
    const uint64_t mb = mask_of(b), mr = mask_of(p->lv);
    const sirnn_fg_weights none = {0};
    if (w == NULL)
        w = &none;
    sirnn_status st;
    /* W x_t for every step at once: rows i*T + t. */
    sirnn_prof_layer(party, "W x (all steps)");
    if (p->d.rank_w == 0) {
        st = mm_secure_last(party, p, &p->w, B * T, sw->wx, sw->x, sw->xsign, w->w);
    } else {
        st = mm_secure(party, &p->w2, B * T, sw->v, sw->vsign, sw->x, sw->xsign, w->w2);
        if (st == SIRNN_OK)
            st = mm_secure_last(party, p, &p->w1, B * T, sw->wx, sw->v, sw->vsign, w->w1);
    }
    if (st != SIRNN_OK)
        return st;
    memset(sw->h16, 0, BH * sizeof(uint64_t));
    memset(sw->hlr, 0, BH * sizeof(uint64_t));
    memset(sw->hsign, 0, BH); /* h_0 = 0: its MSB shares are 0 */
    /* The server's factors of P1, P2 (see below), in kp = lr - b bits. */
    const unsigned kp = p->lv - b;
    const uint64_t mk = mask_of(kp);
    const uint64_t zeta = (uint64_t)sirnn_fg_signed(w->zeta, b),
                   zn = (uint64_t)sirnn_fg_signed(w->zn, b);
    const uint64_t pw[2] = {(2 * zeta) & mk, (2 * zn) & mk};
    /* with the fold, the gate products come from the sigmoid's rounding
     * (fold_act, sirnn_fg_act_secure_gates) into sw->pg */
    const int gates = use_gates(p, B);
    const uint64_t *prod = gates ? sw->pg : sw->cc;
    for (size_t t = 0; t < T; t++) {
        sirnn_prof_layer(party, p->fold ? "U R + W x, gates | h" : "U h + W x");
        st = p->fold ? fold_step(party, p, w, sw, B, t) : plain_gates(party, p, w, sw, B, t);
        if (st != SIRNN_OK)
            return st;
        /* y = [z, g] with c = 2 g - 2^sz (nn/fg_plan.h). */
        /* P1, P2 = c zeta', c (zeta + nu)' = 2 g zeta' - 2^sz zeta', ...: g's
         * MSB is a public 0 (g <= 2^sz), so its wrap is two COTs, and both
         * products ride on the same bit COTs (one row, two outputs). They
         * are taken in lr bits (kp = lr - b makes the product exact there),
         * so v below is already in the ring of R: no extension. */
        sirnn_prof_layer(party, "gate products");
        if (!gates) {
            SIRNN_PROFILED(party, "matmul", st,
                           sirnn_matmul_clear_msb(party, BH, 1, 2, sw->cc, sw->y + BH,
                                                  sw->zeros, server ? pw : NULL, b, kp, 0,
                                                  p->lv, 1));
            if (st != SIRNN_OK)
                return st;
        }
        if (use_wmm(p, B) && t + 1 < T) {
            /* the next step's U R: party 0's columns (its weight bits) go
             * out here, with the gate products and the mult's columns */
            const int lowr = p->d.rank_u > 0;
            SIRNN_PROFILED(party, "U R (next step)", st,
                           sirnn_wmm_begin(party, &sw->wmm, B, H, lowr ? p->d.rank_u : H,
                                           lowr ? w->u2 : w->u, lowr ? p->fk2 : p->u.k,
                                           p->lv));
            if (st == SIRNN_OK && lowr)
                SIRNN_PROFILED(party, "U R (next step)", st,
                               sirnn_wmm_begin(party, &sw->wmm1, B, p->d.rank_u, H, w->u1,
                                               p->fk1, p->lv));
            if (st != SIRNN_OK)
                return st;
        }
        /* R = z v + 2^sz P2 mod 2^lr, v = h 2^(sw - sh) - P1: one signed
         * mult (z's MSB a public 0: msb_x NULL; v already lr bits wide, so
         * v's wrap vanishes mod 2^lr): the two-flight sirnn_mult_lean with the
         * server choosing, so its columns ride with its corrections of the
         * gate products just above (the server's share of v is fixed before
         * it sends them), and the client's corrections with its first
         * message of the truncation below. */
        for (size_t e = 0; e < BH; e++) {
            const uint64_t p1 = prod[2 * e] - (server ? zeta << p->sz : 0);
            sw->q[e] = ((sw->hlr[e] << (p->sw - p->sh)) - p1) & mr;
        }
        SIRNN_PROFILED(party, "mult", st,
                       sirnn_mult_lean(party, BH, sw->q, sw->y, sw->q, NULL, b, p->lv, p->lv, 1,
                                       SIRNN_SERVER));
        if (st != SIRNN_OK)
            return st;
        for (size_t e = 0; e < BH; e++) {
            const uint64_t p2 = prod[2 * e + 1] - (server ? zn << p->sz : 0);
            sw->q[e] = (sw->q[e] + (p2 << p->sz)) & mr;
        }
        if (use_wmm(p, B) && t + 1 < T) {
            /* party 1's corrections ride with its mult corrections */
            SIRNN_PROFILED(party, "U R (next step)", st,
                           sirnn_wmm_finish(party, &sw->wmm,
                                            p->d.rank_u > 0 ? sw->ur : sw->uh, sw->q));
            sirnn_wmm_free(&sw->wmm);
            /* U1' (U2' R): party 1's share of U2' R is fixed before its
             * corrections go, so these ride with them */
            if (st == SIRNN_OK && p->d.rank_u > 0)
                SIRNN_PROFILED(party, "U R (next step)", st,
                               sirnn_wmm_finish(party, &sw->wmm1, sw->uh, sw->ur));
            sirnn_wmm_free(&sw->wmm1);
            if (st != SIRNN_OK)
                return st;
        }
        if (p->fold) { /* R_t stays in sw->q; h_t at the next step or below */
            if (progress != NULL)
                progress(progress_ctx, (unsigned)t + 1, (unsigned)T + 1);
            continue;
        }
        /* h in lr bits (the ring of v), with its MSB shares for the products. */
        sirnn_prof_layer(party, "state h");
        SIRNN_PROFILED(party, "truncation", st,
                       sirnn_tr_ext_sign(party, BH, sw->hlr, sw->hsign, sw->q, p->lr, p->s_h,
                                         p->lr, 1));
        if (st != SIRNN_OK)
            return st;
        for (size_t e = 0; e < BH; e++)
            sw->h16[e] = sw->hlr[e] & mask_of(p->fc.m); /* the products' operand */
        if (progress != NULL)
            progress(progress_ctx, (unsigned)t + 1, (unsigned)T + 1);
    }
    if (p->fold) {
        /* h_T for the classifier, with its MSB shares */
        sirnn_prof_layer(party, "state h");
        for (size_t e = 0; e < BH; e++)
            sw->cc[e] = sw->q[e] & mask_of(p->lr);
        SIRNN_PROFILED(party, "truncation", st,
                       sirnn_tr_ext_sign(party, BH, sw->hlr, sw->hsign, sw->cc, p->lr, p->s_h,
                                         p->lr, 1));
        if (st != SIRNN_OK)
            return st;
        for (size_t e = 0; e < BH; e++)
            sw->h16[e] = sw->hlr[e] & mask_of(p->fc.m);
    }
    sirnn_prof_layer(party, "output FC");
    if (p->fc.s > 0 && p->fc.up == 0 && p->fc.lmm == p->fc.lout) {
        /* The product untruncated, then its truncation by fused_tr's rule
         * (matmul's own is sirnn_tr(s + lout, s): the same values). */
        const unsigned lc = p->fc.s + p->fc.lout;
        st = mm_product(party, &p->fc, B, sw->val, sw->h16, sw->hsign, w->fc, 0, lc);
        if (st == SIRNN_OK)
            SIRNN_PROFILED(party, "truncation", st,
                           lean_tr(party, B * C, sw->val, lc, p->fc.s, p->fc.lout));
    } else {
        st = mm_secure(party, &p->fc, B, sw->val, NULL, sw->h16, sw->hsign, w->fc);
    }
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0; i < B; i++)
        for (size_t k = 0; k < C; k++)
            sw->val[i * C + k] = (sw->val[i * C + k] + (server ? w->fcb[k] : 0)) & mb;
    if (reveal_scores)
        memcpy(sw->out + B, sw->val, B * C * sizeof(uint64_t));
    sirnn_prof_layer(party, "argmax");
    st = sirnn_argmax_secure(party, B, C, sw->out, sw->val, b, sw->am, sw->amb);
    if (st != SIRNN_OK)
        return st;
    sirnn_prof_layer(party, "output");
    SIRNN_PROFILED(party, "reveal", st,
                   sirnn_reveal(party, B * (reveal_scores ? C + 1 : 1), sw->out, sw->out, b,
                                SIRNN_CLIENT));
    if (st == SIRNN_OK && progress != NULL)
        progress(progress_ctx, (unsigned)T + 1, (unsigned)T + 1);
    return st;
}

/* ---- the session messages ---------------------------------------------- */

#define REQ_MAGIC 0x51474653u /* "SFGQ" */
#define REP_MAGIC 0x52474653u /* "SFGR" */
#define REQ_BYTES 40
#define REP_BYTES (12 + SIRNN_FG_PUBLIC_BYTES)
/* Each piece of a request may take timeout_ms per this many images. */
#define SERVE_IMAGES_PER_TIMEOUT 64

enum {
    REP_OK = 0,
    REP_SHAPE = 1,   /* the images do not match the model */
    REP_BATCH = 2,   /* too many images */
    REP_SCORES = 3,  /* scores asked for but not revealed by this server */
    REP_CAP = 4,     /* the client's score array is too small */
    REP_MODEL = 5    /* the server's model cannot be served */
};

/* A deadline of `pieces` times timeout_ms (none when timeout_ms < 0). */
static sirnn_status deadline_in_timeouts(sirnn_party *party, uint64_t pieces)
{
    const int t = party->cfg.timeout_ms;
    if (t < 0)
        return sirnn_party_set_deadline(party, -1);
    const uint64_t ms = (uint64_t)t * pieces;
    return sirnn_party_set_deadline(party, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

/* The server's half of one piece of a request: n images from scratch. */
static sirnn_status serve_piece(sirnn_party *party, const sirnn_fg_plan *plan,
                                const sirnn_fg_weights *w, size_t n, int want)
{
    sirnn_status st =
        deadline_in_timeouts(party, 1 + (n + SERVE_IMAGES_PER_TIMEOUT - 1) / SERVE_IMAGES_PER_TIMEOUT);
    if (st != SIRNN_OK)
        return st;
    secure_work sw;
    st = work_init(&sw, plan, n);
    if (st != SIRNN_OK)
        return sirnn_party_fail(party, st, "fastgrnn_serve: out of memory");
    /* The client's inputs: its share is x itself, ours 0 (see secure_run). */
    st = secure_run(party, plan, w, &sw, n, want, NULL, NULL);
    work_free(&sw);
    return st;
}

sirnn_status sirnn_fastgrnn_serve(sirnn_party *party, size_t *served, const sirnn_fastgrnn *m,
                                  unsigned flags)
{
    if (served != NULL)
        *served = 0;
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (served == NULL || m == NULL)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "fastgrnn_serve: NULL argument");
    if (sirnn_party_role(party) != SIRNN_SERVER)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "fastgrnn_serve: not the server");
    uint8_t req[REQ_BYTES], rep[REP_BYTES];
    /* The whole request within one timeout, however it trickles in. */
    st = deadline_in_timeouts(party, 1);
    if (st == SIRNN_OK)
        st = sirnn_nn_msg_recv(party, "fastgrnn", req, sizeof(req));
    if (st != SIRNN_OK)
        return st;
    if (sirnn_nn_get32(req) != REQ_MAGIC || sirnn_nn_get32(req + 4) != 1)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, "fastgrnn_serve: not a query");
    const uint64_t n = sirnn_nn_get64(req + 8), cap = sirnn_nn_get64(req + 32);
    const uint32_t rows = sirnn_nn_get32(req + 16), cols = sirnn_nn_get32(req + 20), want = sirnn_nn_get32(req + 24);
    if (n == 0)
        return sirnn_party_set_deadline(party, -1); /* the client ends the session */
    sirnn_fg_public pub;
    sirnn_fg_plan plan;
    sirnn_fg_weights w = {0};
    uint32_t code = REP_OK;
    char why[200] = "";
    const sirnn_fastgrnn_dims *d = &m->dims;
    if (sirnn_fg_public_from_model(&pub, m) != SIRNN_OK ||
        sirnn_fg_plan_init(&plan, &pub) != SIRNN_OK) {
        code = REP_MODEL;
        snprintf(why, sizeof(why), "the server's model cannot be served: %s", sirnn_last_error());
    } else if (d->classes > 256) {
        code = REP_MODEL;
        snprintf(why, sizeof(why), "the server's model has more than 256 classes");
    } else if (rows != d->steps || cols != d->input) {
        code = REP_SHAPE;
        snprintf(why, sizeof(why), "the client's images are %ux%u, the model reads %u steps of %u",
                 rows, cols, (unsigned)d->steps, (unsigned)d->input);
    } else if (n > party->cfg.max_batch) {
        code = REP_BATCH;
        snprintf(why, sizeof(why), "a batch of %llu images is more than the %llu allowed",
                 (unsigned long long)n, (unsigned long long)party->cfg.max_batch);
    } else if (want && !(flags & SIRNN_FG_SERVE_SCORES)) {
        code = REP_SCORES;
        snprintf(why, sizeof(why), "the client asked for scores, which this server keeps");
    } else if (want && cap < n * d->classes) {
        code = REP_CAP;
        snprintf(why, sizeof(why), "the client's score array is too small");
    }
    const size_t piece =
        code == REP_OK ? sirnn_fg_piece_images(&plan, party->cfg.session_mem_bytes) : 0;
    memset(rep, 0, sizeof(rep));
    sirnn_nn_put32(rep, REP_MAGIC);
    sirnn_nn_put32(rep + 4, code);
    sirnn_nn_put32(rep + 8, want ? 1u : 0u);
    if (code == REP_OK)
        sirnn_fg_public_encode(rep + 12, &pub);
    st = sirnn_nn_msg_send(party, "fastgrnn", rep, sizeof(rep));
    if (st == SIRNN_OK && code != REP_OK)
        st = sirnn_party_set_deadline(party, -1);
    if (st != SIRNN_OK)
        return st;
    if (code != REP_OK)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "fastgrnn_serve: %s", why);
    st = sirnn_fg_weights_init(&w, &plan, m);
    if (st != SIRNN_OK)
        return sirnn_party_fail(party, st, "fastgrnn_serve: out of memory");
    for (uint64_t done = 0; st == SIRNN_OK && done < n; done += piece)
        st = serve_piece(party, &plan, &w, (size_t)(n - done < piece ? n - done : piece),
                         want != 0);
    sirnn_fg_weights_free(&w);
    if (st == SIRNN_OK)
        st = sirnn_party_set_deadline(party, -1);
    if (st == SIRNN_OK)
        *served = (size_t)n;
    return st;
}

sirnn_status sirnn_fastgrnn_query(sirnn_party *party, size_t n, uint8_t *classes,
                                  int32_t *scores, sirnn_fastgrnn_info *info,
                                  const uint8_t *images, uint32_t rows, uint32_t cols,
                                  size_t scores_len, sirnn_fastgrnn_progress_fn progress,
                                  void *progress_ctx)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    if (sirnn_party_role(party) != SIRNN_CLIENT)
        return sirnn_party_error(party, SIRNN_ERR_ARG, "fastgrnn_query: not the client");
    if (n > 0 && (classes == NULL || images == NULL))
        return sirnn_party_error(party, SIRNN_ERR_ARG, "fastgrnn_query: NULL array with n > 0");
    if (party->peer_max_batch > 0 && n > party->peer_max_batch)
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "fastgrnn_query: %zu images, the server takes at most %llu "
                                 "per query",
                                 n, (unsigned long long)party->peer_max_batch);
    uint8_t req[REQ_BYTES], rep[REP_BYTES];
    memset(req, 0, sizeof(req));
    sirnn_nn_put32(req, REQ_MAGIC);
    sirnn_nn_put32(req + 4, 1);
    sirnn_nn_put64(req + 8, n);
    sirnn_nn_put32(req + 16, rows);
    sirnn_nn_put32(req + 20, cols);
    sirnn_nn_put32(req + 24, scores != NULL ? 1u : 0u);
    sirnn_nn_put64(req + 32, scores != NULL ? scores_len : 0);
    st = sirnn_nn_msg_send(party, "fastgrnn", req, sizeof(req));
    if (st != SIRNN_OK || n == 0)
        return st;
    st = sirnn_nn_msg_recv(party, "fastgrnn", rep, sizeof(rep));
    if (st != SIRNN_OK)
        return st;
    if (sirnn_nn_get32(rep) != REP_MAGIC)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, "fastgrnn_query: not a reply");
    switch (sirnn_nn_get32(rep + 4)) {
    case REP_OK: break;
    case REP_SHAPE:
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "fastgrnn_query: the server's model reads other images than "
                                 "%ux%u", rows, cols);
    case REP_BATCH:
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "fastgrnn_query: the server refuses a batch of %zu images", n);
    case REP_SCORES:
        return sirnn_party_error(party, SIRNN_ERR_UNSUPPORTED,
                                 "fastgrnn_query: this server does not reveal scores");
    case REP_CAP:
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "fastgrnn_query: the score array is too small for the model");
    default:
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "fastgrnn_query: the server cannot serve its model");
    }
    sirnn_fg_public pub;
    sirnn_fg_plan plan;
    st = sirnn_fg_public_decode(&pub, rep + 12);
    if (st == SIRNN_OK)
        st = sirnn_fg_plan_init(&plan, &pub);
    if (st != SIRNN_OK)
        return sirnn_party_fail(party, SIRNN_ERR_PEER_MISMATCH, sirnn_last_error());
    /* The server's pieces, from its session_mem_bytes (handshake). */
    const size_t piece = sirnn_fg_piece_images(&plan, party->peer_mem_bytes);
    const int want = sirnn_nn_get32(rep + 8) != 0;
    if (info != NULL) {
        info->dims = pub.dims;
        info->score_fmt = (sirnn_fixfmt){(uint8_t)plan.b, (int8_t)plan.s_sc, true};
        info->scores_revealed = want;
    }
    const size_t TD = (size_t)rows * cols, C = pub.dims.classes;
    for (size_t at = 0; st == SIRNN_OK && at < n; at += piece) {
        const size_t B = n - at < piece ? n - at : piece;
        secure_work sw;
        st = work_init(&sw, &plan, B);
        if (st != SIRNN_OK)
            return sirnn_party_fail(party, st, "fastgrnn_query: out of memory");
        /* x shared as (0, x): the client holds its own inputs whole, which
         * hides nothing it should not know and gives the MSB shares for free. */
        const uint8_t *img = images + at * TD;
        for (size_t i = 0; i < B * TD; i++) {
            sw.x[i] = plan.xtab[img[i]];
            sw.xsign[i] = (uint8_t)((sw.x[i] >> (plan.b - 1)) & 1);
        }
        st = secure_run(party, &plan, NULL, &sw, B, want, progress, progress_ctx);
        if (st == SIRNN_OK) {
            for (size_t i = 0; i < B; i++)
                classes[at + i] = (uint8_t)sw.out[i];
            if (want)
                for (size_t e = 0; e < B * C; e++)
                    scores[at * C + e] = (int32_t)sirnn_fg_signed(sw.out[B + e], plan.b);
        }
        work_free(&sw);
    }
    return st;
}
