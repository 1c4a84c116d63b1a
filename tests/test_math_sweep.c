/*
 * Format-space sweep of the math functions (sirnn/math.h): for every
 * format a function accepts (every input and output width and scale up to
 * 16 bits, signed and unsigned, plus a grid of wider ones), the cleartext
 * model against the true function in long double, over every input of
 * inputs up to 16 bits and over random plus edge inputs (0, +-1 ULP, the
 * extremes, powers of two and their neighbours, the saturation points)
 * beyond. Division and div_norm take every denominator (or random and edge
 * ones beyond 16 bits) with numerators drawn from the edges and random
 * values of a grid of numerator formats (at the full level each (den, out)
 * pair meets one numerator format in 8, resp. 32, in rotation: the
 * numerator enters only the last product). Scales run over 0..bits and,
 * where the function accepts more, beyond (rsqrt inputs to bits + 32,
 * outputs to bits + 16; div_norm denominators to bits + 12). Each check
 * asserts exactly what the header states: the bound of the function's
 * error formula, saturation, refusals (a format the header says is
 * accepted must be, and the plans' refusals must match the header's
 * rules). On a sample of the formats the secure protocol must
 * equal the model bit for bit.
 *
 * Levels: the default (make test) sweeps a seeded sample of the format
 * space (SIRNN_TEST_SEED picks it) plus the regression formats of issue 14;
 * SIRNN_SWEEP=full (make sweep) sweeps all of it (SIRNN_SWEEP_ONLY=name
 * one function, SIRNN_SWEEP_SHARD=i/n the i-th of n shares of it);
 * SIRNN_TEST_QUICK=1 (valgrind) only a handful of formats on strided
 * inputs. Every run prints the worst error per function and per bound.
 */
#include "tests/mixed_common.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#include "sirnn/math.h"

/* ------------------------------------------------------------------ */
/* Sweep levels                                                        */
/* ------------------------------------------------------------------ */

static int sweep_full(void)
{
    const char *e = getenv("SIRNN_SWEEP");
    return e != NULL && strcmp(e, "full") == 0;
}

/* The default level keeps one format pair in `sample` (a prime per
 * function, so that its sweep costs a few million model calls), chosen by
 * the seed; the quick level one in sample * QUICK_FACTOR. */
#define QUICK_FACTOR 127

static int64_t sval(uint64_t v, unsigned l)
{
    return l >= 64 ? (int64_t)v : (int64_t)(v << (64 - l)) >> (64 - l);
}

static long double fval(sirnn_fixfmt f, uint64_t q)
{
    q &= test_mask(f.bits);
    return ldexpl((long double)(f.is_signed ? sval(q, f.bits) : (int64_t)q), -f.scale);
}

static long double oval(sirnn_fixfmt f, uint64_t q)
{
    q &= test_mask(f.bits);
    return (long double)(f.is_signed ? sval(q, f.bits) : (int64_t)q);
}

/* ------------------------------------------------------------------ */
/* Inputs                                                              */
/* ------------------------------------------------------------------ */

/* Every input of a format up to 16 bits (strided under valgrind); beyond,
 * random values plus the edges: 0, +-1, the extremes and their neighbours,
 * every power of two and its neighbours (in both signs), and extra points
 * given by the caller (saturation points). Returns the count. */
static size_t make_inputs(test_rng *rng, sirnn_fixfmt f, uint64_t *x, size_t cap,
                          const uint64_t *extra, size_t nextra)
{
    const unsigned l = f.bits;
    const uint64_t m = test_mask(l);
    size_t n = 0;
    if (l <= 16) {
        const uint64_t stride = test_quick() && l > 10 ? 127 : 1;
        for (uint64_t v = 0; v <= m && n < cap; v += stride)
            x[n++] = v;
        for (size_t i = 0; i < nextra && n < cap; i++)
            x[n++] = extra[i] & m;
        return n;
    }
    const uint64_t half = (uint64_t)1 << (l - 1);
    const uint64_t edges[] = {0, 1, m, m - 1, half, half - 1, half + 1, half - 2, 2, m - 2};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        x[n++] = edges[i] & m;
    for (unsigned k = 0; k < l; k++)
        for (int d = -2; d <= 2; d++) {
            const uint64_t p = ((uint64_t)1 << k) + (uint64_t)(int64_t)d;
            x[n++] = p & m;
            x[n++] = (0 - p) & m;
        }
    for (size_t i = 0; i < nextra; i++)
        for (int d = -3; d <= 3; d++)
            x[n++] = (extra[i] + (uint64_t)(int64_t)d) & m;
    const size_t nrand = test_quick() ? 300 : sweep_full() ? 60000 : 6000;
    for (size_t i = 0; i < nrand && n < cap; i++) {
        /* half uniform, half log-uniform (small magnitudes matter most) */
        const uint64_t r = test_rng_next(rng);
        x[n++] = (i & 1) ? r & m : (r & test_mask(1 + (unsigned)test_rng_below(rng, l))) ^
                                       ((r >> 63) ? m : 0);
    }
    return n;
}

#define INCAP (65536 + 90000)

/* ------------------------------------------------------------------ */
/* Format enumeration                                                  */
/* ------------------------------------------------------------------ */

static const unsigned WIDE[] = {20, 24, 32};

/* The formats of one side: every width lo..16 with scales 0..smax(bits)
 * (both signs if allowed), then the wide grid. */
typedef struct fmt_list {
    sirnn_fixfmt f[4096];
    size_t n;
} fmt_list;

static void fl_add(fmt_list *L, unsigned bits, int scale, bool sign)
{
    if (L->n < sizeof L->f / sizeof L->f[0])
        L->f[L->n++] = (sirnn_fixfmt){(uint8_t)bits, (int8_t)scale, sign};
}

/* signs: 1 signed only, 2 unsigned only, 3 both. Scales 0..bits + extra
 * (capped at smax) for bits <= 16; on the wide grid a few scales. */
static void fl_build(fmt_list *L, unsigned lo, int signs, int extra, int smax)
{
    L->n = 0;
    for (unsigned b = lo; b <= 16; b++)
        for (int s = 0; s <= (int)b + extra && s <= smax; s++)
            for (int sg = 0; sg < 2; sg++)
                if (signs & (sg ? 1 : 2))
                    fl_add(L, b, s, sg != 0);
    for (size_t i = 0; i < sizeof WIDE / sizeof WIDE[0]; i++) {
        const unsigned b = WIDE[i];
        const int sc[] = {0,          4,           8,         12,      14,
                          15,         16,          (int)b / 2, (int)b - 8, (int)b - 2,
                          (int)b - 1, (int)b,      (int)b + extra / 2,     (int)b + extra};
        for (size_t j = 0; j < sizeof sc / sizeof sc[0]; j++) {
            if (sc[j] > smax || (j > 0 && sc[j] <= sc[j - 1]))
                continue;
            for (int sg = 0; sg < 2; sg++)
                if (signs & (sg ? 1 : 2))
                    fl_add(L, b, sc[j], sg != 0);
        }
    }
}

/* SIRNN_SWEEP_SHARD=i/n (full level): this process sweeps the format
 * pairs idx = i mod n, so that n processes share the work. */
static int in_shard(uint64_t idx)
{
    const char *e = getenv("SIRNN_SWEEP_SHARD");
    unsigned long i = 0, n = 1;
    if (e == NULL || sscanf(e, "%lu/%lu", &i, &n) != 2 || n == 0)
        return 1;
    return idx % n == i;
}

/* Whether the pair number idx is swept at this level. */
static int keep_pair(uint64_t idx, uint64_t salt, uint64_t sample)
{
    if (sweep_full())
        return in_shard(idx);
    const uint64_t k = test_quick() ? sample * QUICK_FACTOR : sample;
    return (idx + salt + test_seed()) % k == 0;
}

/* ------------------------------------------------------------------ */
/* Per-function results                                                */
/* ------------------------------------------------------------------ */

/* The worst error among the formats that share one stated bound. */
typedef struct fclass {
    long double bound, worst;
    sirnn_fixfmt wi, wo;
    uint64_t formats;
} fclass;

typedef struct fres {
    const char *name;
    fclass cls[16];
    size_t ncls;
    long double worst, worst_bound;
    sirnn_fixfmt wi, wo, wn;
    uint64_t wx;
    uint64_t formats, refused, inputs;
} fres;

static void fres_print(const fres *r)
{
    printf("# sweep %-9s %8llu formats (%llu refused), %11llu inputs: worst %.3Lf ULP "
           "(bound there %.3Lf) at %u/%d%s -> %u/%d%s x %llx\n",
           r->name, (unsigned long long)r->formats, (unsigned long long)r->refused,
           (unsigned long long)r->inputs, r->worst, r->worst_bound, r->wi.bits, r->wi.scale,
           r->wi.is_signed ? "s" : "u", r->wo.bits, r->wo.scale, r->wo.is_signed ? "s" : "u",
           (unsigned long long)r->wx);
    for (size_t i = 0; i < r->ncls; i++)
        printf("# sweep %-9s   bound %.3Lf: worst %.3Lf at %u/%d%s -> %u/%d%s (%llu formats)\n",
               r->name, r->cls[i].bound, r->cls[i].worst, r->cls[i].wi.bits, r->cls[i].wi.scale,
               r->cls[i].wi.is_signed ? "s" : "u", r->cls[i].wo.bits, r->cls[i].wo.scale,
               r->cls[i].wo.is_signed ? "s" : "u", (unsigned long long)r->cls[i].formats);
    fflush(stdout);
}

/* The class of a bound (created on first use). */
static fclass *fres_class(fres *r, long double bound)
{
    for (size_t i = 0; i < r->ncls; i++)
        if (r->cls[i].bound == bound)
            return &r->cls[i];
    assert_true(r->ncls < sizeof r->cls / sizeof r->cls[0]);
    fclass *c = &r->cls[r->ncls++];
    memset(c, 0, sizeof *c);
    c->bound = bound;
    return c;
}

/* The full level's progress: the share of the outer loop done and the
 * worst error so far (so that a run cut short still says what it saw). */
static void progress(const fres *r, size_t done, size_t total)
{
    static time_t last;
    const time_t now = time(NULL);
    if (now - last < 30)
        return;
    last = now;
    printf("# progress %-9s %5.1f%%: %llu formats, %llu inputs, worst %.3Lf (bound %.3Lf) at "
           "%u/%d%s -> %u/%d%s\n",
           r->name, 100.0 * (double)done / (double)total, (unsigned long long)r->formats,
           (unsigned long long)r->inputs, r->worst, r->worst_bound, r->wi.bits, r->wi.scale,
           r->wi.is_signed ? "s" : "u", r->wo.bits, r->wo.scale, r->wo.is_signed ? "s" : "u");
    fflush(stdout);
}

static void fres_note(fres *r, long double e, long double bound, sirnn_fixfmt fi,
                      sirnn_fixfmt fo, uint64_t x)
{
    fclass *c = fres_class(r, bound);
    if (e > c->worst) {
        c->worst = e;
        c->wi = fi;
        c->wo = fo;
    }
    if (e > r->worst) {
        r->worst = e;
        r->worst_bound = bound;
        r->wi = fi;
        r->wo = fo;
        r->wx = x;
    }
}

static int fmt_eq(sirnn_fixfmt a, sirnn_fixfmt b)
{
    return a.bits == b.bits && a.scale == b.scale && a.is_signed == b.is_signed;
}

/* A grid of signed numerator formats: a few widths, a few scales each. */
static void fl_grid_signed(fmt_list *L)
{
    static const unsigned bits[] = {2, 3, 5, 8, 12, 16, 24, 32};
    L->n = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        const int b = (int)bits[i];
        const int sc[] = {0, b / 2, b - 1, b};
        for (size_t j = 0; j < sizeof sc / sizeof sc[0]; j++)
            if (sc[j] >= 0 && (j == 0 || sc[j] > sc[j - 1]))
                fl_add(L, (unsigned)b, sc[j], true);
    }
}

/* ------------------------------------------------------------------ */
/* The secure protocols on a sample of the formats                     */
/* ------------------------------------------------------------------ */

typedef sirnn_status (*unary_model)(size_t, uint64_t *, const uint64_t *, sirnn_fixfmt,
                                    sirnn_fixfmt);
typedef sirnn_status (*unary_secure)(sirnn_party *, size_t, uint64_t *, const uint64_t *,
                                     sirnn_fixfmt, sirnn_fixfmt);
typedef sirnn_status (*binary_model)(size_t, uint64_t *, const uint64_t *, const uint64_t *,
                                     sirnn_fixfmt, sirnn_fixfmt, sirnn_fixfmt);
typedef sirnn_status (*binary_secure)(sirnn_party *, size_t, uint64_t *, const uint64_t *,
                                      const uint64_t *, sirnn_fixfmt, sirnn_fixfmt, sirnn_fixfmt);

typedef struct sec_case {
    unary_secure f1;
    binary_secure f2;
    size_t n;
    sirnn_fixfmt fn, fi, fo;
    uint64_t *a[2], *b[2], *out[2];
} sec_case;

static sirnn_status sec_call(void *vctx, sirnn_party *p, int r)
{
    sec_case *c = vctx;
    if (c->f1 != NULL)
        return c->f1(p, c->n, c->out[r], c->a[r], c->fi, c->fo);
    return c->f2(p, c->n, c->out[r], c->a[r], c->b[r], c->fn, c->fi, c->fo);
}

/* The protocol on n inputs (a: the input or the numerator, b: the
 * denominator) must give the model's want bit for bit. */
static void secure_check(const char *name, sec_case *c, test_rng *rng, const uint64_t *a,
                         const uint64_t *b, const uint64_t *want)
{
    const size_t n = c->n;
    for (int r = 0; r < 2; r++) {
        c->a[r] = calloc(n + 1, sizeof(uint64_t));
        c->b[r] = calloc(n + 1, sizeof(uint64_t));
        c->out[r] = calloc(n + 1, sizeof(uint64_t));
        assert_true(c->a[r] && c->b[r] && c->out[r]);
    }
    if (c->f1 != NULL) {
        mc_split(rng, a, c->a[0], c->a[1], n, c->fi.bits);
    } else {
        mc_split(rng, a, c->a[0], c->a[1], n, c->fn.bits);
        mc_split(rng, b, c->b[0], c->b[1], n, c->fi.bits);
    }
    mc_run(sec_call, c, NULL);
    for (size_t i = 0; i < n; i++) {
        const uint64_t got = (c->out[0][i] + c->out[1][i]) & test_mask(c->fo.bits);
        if (got != want[i])
            fail_msg("%s %u/%d%s -> %u/%d%s: secure %llx != model %llx at input %zu (%llx)",
                     name, c->fi.bits, c->fi.scale, c->fi.is_signed ? "s" : "u", c->fo.bits,
                     c->fo.scale, c->fo.is_signed ? "s" : "u", (unsigned long long)got,
                     (unsigned long long)want[i], i, (unsigned long long)a[i]);
    }
    for (int r = 0; r < 2; r++) {
        free(c->a[r]);
        free(c->b[r]);
        free(c->out[r]);
    }
}

/* How many formats of a function get the secure check, and on how many
 * inputs. */
static size_t secure_formats(void)
{
    return test_quick() ? 1 : sweep_full() ? 24 : 4;
}
/* Every how many accepted formats (the first one always). */
static uint64_t secure_period(uint64_t full)
{
    return test_quick() ? 1 : sweep_full() ? full : 11;
}
static size_t secure_inputs(void)
{
    return test_quick() ? 40 : 300;
}

/* ------------------------------------------------------------------ */
/* Unary functions: exp, sigmoid, tanh, reciprocal, rsqrt              */
/* ------------------------------------------------------------------ */

/* What the header states, per function. accepts: 1 must be accepted, 0
 * must be refused. truth: the true result, NAN outside the stated domain;
 * target: that in output ULPs, saturated where the header says so. bound: the error
 * bound in output ULPs. */
typedef struct unary_fn {
    const char *name;
    uint64_t sample;
    const sirnn_fixfmt (*pins)[2]; /* always swept: {in, out}, ends with bits 0 */
    unary_model model;
    unary_secure secure;
    fmt_list ins, outs;
    int (*accepts)(sirnn_fixfmt fi, sirnn_fixfmt fo);
    long double (*truth)(sirnn_fixfmt fi, uint64_t x);
    /* the true value in output ULPs (NULL: v 2^scale_out) */
    long double (*target)(sirnn_fixfmt fo, long double v);
    long double (*bound)(sirnn_fixfmt fi, sirnn_fixfmt fo);
    /* saturation points etc. for wide inputs */
    size_t (*extras)(sirnn_fixfmt fi, sirnn_fixfmt fo, uint64_t *e);
    /* structural checks beyond the bound (NULL: none); returns a message */
    const char *(*extra_check)(sirnn_fixfmt fi, sirnn_fixfmt fo, const uint64_t *x,
                               const uint64_t *y, size_t n);
} unary_fn;

static int pinned(const sirnn_fixfmt (*pins)[2], sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    for (size_t i = 0; pins != NULL && pins[i][0].bits != 0; i++)
        if (fmt_eq(pins[i][0], fi) && fmt_eq(pins[i][1], fo))
            return 1;
    return 0;
}

static void sweep_unary(unary_fn *F, uint64_t salt)
{
    fres R = {.name = F->name};
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ salt);
    uint64_t *x = malloc(INCAP * sizeof(uint64_t)), *y = malloc(INCAP * sizeof(uint64_t));
    long double *xv = malloc(INCAP * sizeof(long double));
    uint64_t extra[64];
    assert_true(x && y && xv);
    size_t nsec = 0;
    const size_t want_sec = secure_formats();
    uint64_t idx = 0, accepted = 0;
    for (size_t i = 0; i < F->ins.n; i++) {
        const sirnn_fixfmt fi = F->ins.f[i];
        size_t n = 0;
        if (sweep_full())
            progress(&R, i, F->ins.n);
        for (size_t o = 0; o < F->outs.n; o++, idx++) {
            const sirnn_fixfmt fo = F->outs.f[o];
            const int acc = F->accepts(fi, fo); /* 2: either (a width limit) */
            if (!keep_pair(idx, salt, F->sample) && !pinned(F->pins, fi, fo))
                continue;
            const sirnn_status st = F->model(0, y, x, fi, fo);
            if (acc != 2 && acc != (st == SIRNN_OK))
                fail_msg("%s %u/%d%s -> %u/%d%s: the header says %s, the model %s", F->name,
                         fi.bits, fi.scale, fi.is_signed ? "s" : "u", fo.bits, fo.scale,
                         fo.is_signed ? "s" : "u", acc ? "accepted" : "refused",
                         st == SIRNN_OK ? "accepts it" : "refuses it");
            R.formats++;
            if (st != SIRNN_OK) {
                R.refused++;
                continue;
            }
            /* inputs: once per input format up to 16 bits, per pair beyond */
            if (n == 0 || fi.bits > 16) {
                const size_t ne = F->extras != NULL ? F->extras(fi, fo, extra) : 0;
                n = make_inputs(&rng, fi, x, INCAP, extra, ne);
                for (size_t j = 0; j < n; j++)
                    xv[j] = F->truth(fi, x[j]);
            }
            assert_int_equal(F->model(n, y, x, fi, fo), SIRNN_OK);
            R.inputs += n;
            const long double bound = F->bound(fi, fo);
            fres_class(&R, bound)->formats++;
            for (size_t j = 0; j < n; j++) {
                if (isnan(xv[j]))
                    continue;
                const long double t =
                    F->target != NULL ? F->target(fo, xv[j]) : ldexpl(xv[j], fo.scale);
                const long double e = fabsl(oval(fo, y[j]) - t);
                fres_note(&R, e, bound, fi, fo, x[j]);
                if (!(e <= bound))
                    fail_msg("%s %u/%d%s -> %u/%d%s x %llx (%.6Lg): model %lld is %.3Lf ULP "
                             "from %.3Lf (bound %.3Lf)",
                             F->name, fi.bits, fi.scale, fi.is_signed ? "s" : "u", fo.bits,
                             fo.scale, fo.is_signed ? "s" : "u", (unsigned long long)x[j],
                             fval(fi, x[j]), (long long)oval(fo, y[j]), e, t, bound);
            }
            if (F->extra_check != NULL) {
                const char *why = F->extra_check(fi, fo, x, y, n);
                if (why != NULL)
                    fail_msg("%s %u/%d%s -> %u/%d%s: %s", F->name, fi.bits, fi.scale,
                             fi.is_signed ? "s" : "u", fo.bits, fo.scale,
                             fo.is_signed ? "s" : "u", why);
            }
            /* every so many accepted pairs, the protocol on this format */
            if (F->secure != NULL && nsec < want_sec &&
                accepted++ % secure_period(997) == 0) {
                const size_t ns = secure_inputs() < n ? secure_inputs() : n;
                uint64_t *sx = malloc(ns * sizeof(uint64_t)), *sw = malloc(ns * sizeof(uint64_t));
                assert_true(sx && sw);
                for (size_t j = 0; j < ns; j++)
                    sx[j] = j < 16 ? x[j] : x[test_rng_below(&rng, n)];
                assert_int_equal(F->model(ns, sw, sx, fi, fo), SIRNN_OK);
                sec_case c = {.f1 = F->secure, .n = ns, .fi = fi, .fo = fo};
                secure_check(F->name, &c, &rng, sx, NULL, sw);
                nsec++;
                free(sx);
                free(sw);
            }
        }
    }
    fres_print(&R);
    printf("# sweep %-9s secure == model on %zu formats\n", F->name, nsec);
    free(x);
    free(y);
    free(xv);
}

/* ---- exp ---- */

static int exp_accepts(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (!fi.is_signed || fi.bits < 8 || fi.bits > 32 || fi.scale < 0 || fi.scale > 31)
        return 0;
    if (fo.bits < 8 || fo.bits > 32 || fo.scale < 0 ||
        fo.scale + (fo.is_signed ? 2 : 1) > fo.bits)
        return 0;
    const int g = fi.bits > 16 ? 2 : 0, f = fo.scale + g;
    const int lw = f + 2 > fo.bits + g ? f + 2 : fo.bits + g;
    return f + lw <= 64;
}

/* x <= 0: e^x; x > 0: e^(x - 2^(bits - scale)) (the header's definition) */
static long double exp_truth(sirnn_fixfmt fi, uint64_t x)
{
    long double v = fval(fi, x);
    if (v > 0)
        v -= ldexpl(1.0L, fi.bits - fi.scale);
    return expl(v);
}

/* ---- sigmoid, tanh ---- */

static int sig_accepts_t(sirnn_fixfmt fi, sirnn_fixfmt fo, int is_tanh)
{
    if (!fi.is_signed || fi.bits < 8 || fi.bits > 32 || fi.scale < is_tanh || fi.scale > 31)
        return 0;
    if (is_tanh && !fo.is_signed)
        return 0;
    return fo.bits >= 8 && fo.bits <= 32 && fo.scale >= 5 && fo.scale <= 16 &&
           fo.scale + (fo.is_signed ? 2 : 1) <= fo.bits;
}
static int sig_accepts(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    return sig_accepts_t(fi, fo, 0);
}
static int tanh_accepts(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    return sig_accepts_t(fi, fo, 1);
}
static long double sig_truth(sirnn_fixfmt fi, uint64_t x)
{
    return 1.0L / (1.0L + expl(-fval(fi, x)));
}
static long double tanh_truth(sirnn_fixfmt fi, uint64_t x)
{
    return tanhl(fval(fi, x));
}

/* ---- reciprocal ---- */

static int recip_den_ok(sirnn_fixfmt fd)
{
    const int b = fd.bits - fd.is_signed;
    return fd.bits >= 2 && fd.bits <= 32 && fd.scale >= 0 && fd.scale < 63 && fd.scale < b &&
           (b <= 8 || b - fd.scale <= 4);
}
static int recip_accepts(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (!recip_den_ok(fi) || fo.bits < 2 || fo.bits > 32 || fo.scale < 0 || fo.scale > 62)
        return 0;
    return fo.bits - fo.is_signed >= fo.scale + 1;
}
/* d = (den mod 2^(bits - sign)) / 2^scale, the domain d >= 1 */
static long double den_value(sirnn_fixfmt fd, uint64_t x)
{
    const unsigned b = fd.bits - (fd.is_signed ? 1u : 0u);
    return ldexpl((long double)(x & test_mask(b)), -fd.scale);
}
static long double recip_truth(sirnn_fixfmt fi, uint64_t x)
{
    const long double d = den_value(fi, x);
    return d >= 1 ? 1.0L / d : NAN;
}

/* ---- rsqrt ---- */

static long double rsq_imax(sirnn_fixfmt fo)
{
    return (long double)test_mask(fo.bits - (fo.is_signed ? 1u : 0u));
}
static int rsq_accepts(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (fi.bits < 4 || fi.bits > 32 || fo.bits < 2 || fo.bits > 32 || fi.scale < 0 ||
        fi.scale > 62 || fo.scale < 0 || fo.scale > 62)
        return 0;
    const long double imax = rsq_imax(fo);
    /* the largest result (at the smallest step), capped by the format */
    const long double top = ldexpl(sqrtl(ldexpl(1.0L, fi.scale)), fo.scale);
    if ((top < imax ? top : imax) >= 65536.0L)
        return 0;
    /* refused when every input saturates: even the largest x's result
     * rounds above the largest output */
    const unsigned b = fi.bits - (fi.is_signed ? 1u : 0u);
    const long double xmax = ldexpl((long double)test_mask(b), -fi.scale);
    return ldexpl(1.0L, fo.scale) / sqrtl(xmax) < imax + 0.5L;
}
static long double rsq_truth(sirnn_fixfmt fi, uint64_t x)
{
    const unsigned b = fi.bits - (fi.is_signed ? 1u : 0u);
    const uint64_t X = x & test_mask(b);
    return X == 0 ? NAN : 1.0L / sqrtl(ldexpl((long double)X, -fi.scale));
}
static long double rsq_target(sirnn_fixfmt fo, long double v)
{
    const long double t = ldexpl(v, fo.scale), imax = rsq_imax(fo);
    return t < imax ? t : imax;
}
/* the saturation point (where the result is the largest value + 1/2) and
 * the exponent boundaries around it */
static size_t rsq_extras(sirnn_fixfmt fi, sirnn_fixfmt fo, uint64_t *e)
{
    const long double r = ldexpl(1.0L, fo.scale) / (rsq_imax(fo) + 0.5L);
    const long double xs = ldexpl(r * r, fi.scale);
    size_t n = 0;
    if (xs < 1e19L) {
        e[n++] = (uint64_t)xs;
        e[n++] = (uint64_t)(xs * 1.0001L);
        e[n++] = (uint64_t)(xs * 1.01L);
    }
    return n;
}
/* x = 0 reads as the smallest step */
static const char *rsq_check(sirnn_fixfmt fi, sirnn_fixfmt fo, const uint64_t *x,
                             const uint64_t *y, size_t n)
{
    uint64_t y0 = 0, y1 = 0;
    int h0 = 0, h1 = 0;
    (void)fo;
    const unsigned b = fi.bits - (fi.is_signed ? 1u : 0u);
    for (size_t i = 0; i < n; i++) {
        if ((x[i] & test_mask(b)) == 0 && !h0) {
            y0 = y[i];
            h0 = 1;
        }
        if ((x[i] & test_mask(b)) == 1 && !h1) {
            y1 = y[i];
            h1 = 1;
        }
    }
    return h0 && h1 && y0 != y1 ? "x = 0 does not give the result of the smallest step" : NULL;
}

/* ------------------------------------------------------------------ */
/* The bounds, as sirnn/math.h states them                             */
/* ------------------------------------------------------------------ */

/* (2q - 1) 2^-(g+1) + (g > 0 ? 1/2 : 0), q digits of 8 bits, g = 2 above
 * two digits */
static long double exp_bound(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    (void)fo;
    const int q = (fi.bits + 7) / 8, g = q > 2 ? 2 : 0;
    return ldexpl(2 * q - 1, -(g + 1)) + (g > 0 ? 0.5L : 0);
}

/* The poly path's condition (sirnn/math.h): 9..16 input bits and a line or
 * a parabola per 256 input steps within half an output ULP. */
static int sig_poly(int is_tanh, sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (fi.bits < 9 || fi.bits > 16)
        return 0;
    const long double m2 = is_tanh ? 0.7699L : 0.0963L, m3 = is_tanh ? 2.0L : 0.125L;
    const long double half = ldexpl(1, -fo.scale - 1), h = ldexpl(1, 8 - fi.scale);
    return m2 * h * h / 16 <= half ||
           m3 * h * h * h / 192 + m2 * ldexpl(1, 6 - 2 * fi.scale) <= half;
}
static long double sig_bound(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (fi.bits == 8)
        return 0.5L;
    if (sig_poly(0, fi, fo))
        return 1.63L;
    return fi.bits <= 16 ? 1.4L : 1.9L;
}
static long double tanh_bound(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    if (fi.bits == 8)
        return 0.5L;
    if (sig_poly(1, fi, fo))
        return 1.63L;
    return fo.scale <= 14 ? 1.7L : 3.25L;
}
static long double recip_bound(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    (void)fo;
    return fi.bits - fi.is_signed <= 8 ? 0.5L : 1.0L;
}
/* 1 ULP at 16/12 -> 16/12 and -> 16/14, 1.5 elsewhere */
static long double rsq_bound(sirnn_fixfmt fi, sirnn_fixfmt fo)
{
    const int doc = fi.bits == 16 && fi.scale == 12 && fi.is_signed && fo.bits == 16 &&
                    fo.is_signed && (fo.scale == 12 || fo.scale == 14);
    return doc ? 1.0L : 1.5L;
}

/* ------------------------------------------------------------------ */
/* Division: two inputs                                                */
/* ------------------------------------------------------------------ */

typedef struct binary_fn {
    const char *name;
    uint64_t sample;
    binary_model model;
    binary_secure secure;
    int norm; /* div_norm: any den, the wrap rule for quotients out of range */
    size_t rotation; /* the full level: one numerator format in this many */
    fmt_list nums, dens, outs;
    int (*accepts)(sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo);
    long double (*bound)(sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo);
} binary_fn;

/* 2: accepted unless the working widths pass 64 bits (the headers' width
 * clause), which only formats wider than 16 bits reach */
static int any_wide(sirnn_fixfmt a, sirnn_fixfmt b, sirnn_fixfmt c)
{
    return a.bits > 16 || b.bits > 16 || c.bits > 16;
}

static int fmt_ok63(sirnn_fixfmt f)
{
    return f.bits >= 2 && f.bits <= 32 && f.scale >= 0 && f.scale < 63;
}

static int div_accepts(sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo)
{
    if (!fmt_ok63(fn) || !fmt_ok63(fo) || !recip_den_ok(fd) || !fn.is_signed || !fo.is_signed)
        return 0;
    const int need = fo.scale + fn.bits - fn.scale + (fo.scale < fn.scale ? 1 : 0);
    if (fo.bits < need)
        return 0;
    return any_wide(fn, fd, fo) ? 2 : 1;
}
static int div_norm_accepts(sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo)
{
    if (!fmt_ok63(fn) || !fmt_ok63(fo) || !fmt_ok63(fd) || !fn.is_signed || !fo.is_signed ||
        fd.bits - fd.is_signed < 2)
        return 0;
    return any_wide(fn, fd, fo) ? 2 : 1;
}
static long double div_bound(sirnn_fixfmt fn, sirnn_fixfmt fd, sirnn_fixfmt fo)
{
    (void)fn;
    (void)fd;
    (void)fo;
    return 1.0L;
}

static void sweep_binary(binary_fn *F, uint64_t salt)
{
    fres R = {.name = F->name};
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ salt);
    uint64_t *den = malloc(INCAP * sizeof(uint64_t)), *num = malloc(INCAP * sizeof(uint64_t));
    uint64_t *nv = malloc(INCAP * sizeof(uint64_t)), *q = malloc(INCAP * sizeof(uint64_t));
    assert_true(den && num && nv && q);
    size_t nsec = 0;
    const size_t want_sec = secure_formats();
    uint64_t idx = 0, accepted = 0;
    for (size_t a = 0; a < F->nums.n; a++)
        for (size_t d = 0; d < F->dens.n; d++) {
            if (sweep_full())
                progress(&R, a * F->dens.n + d, F->nums.n * F->dens.n);
            for (size_t o = 0; o < F->outs.n; o++, idx++) {
                const sirnn_fixfmt fn = F->nums.f[a], fd = F->dens.f[d], fo = F->outs.f[o];
                const int acc = F->accepts(fn, fd, fo);
                /* the full level pairs each (den, out) with one numerator
                 * format in F->rotation of the grid, in rotation: the
                 * numerator enters only the last product */
                if (sweep_full() ? (a + d + o) % F->rotation != 0 || !in_shard(idx)
                                 : !keep_pair(idx, salt, F->sample))
                    continue;
                const sirnn_status st = F->model(0, q, num, den, fn, fd, fo);
                if (acc != 2 && acc != (st == SIRNN_OK))
                    fail_msg("%s %u/%d, %u/%d%s -> %u/%d: the header says %s, the model %s",
                             F->name, fn.bits, fn.scale, fd.bits, fd.scale,
                             fd.is_signed ? "s" : "u", fo.bits, fo.scale,
                             acc ? "accepted" : "refused",
                             st == SIRNN_OK ? "accepts it" : "refuses it");
                R.formats++;
                if (st != SIRNN_OK && acc == 2) {
                    /* refused where the header allows it only for the
                     * working widths: the protocol must say so (before
                     * sending anything) */
                    const sirnn_status ss = F->secure(test_srv, 0, q, num, den, fn, fd, fo);
                    const char *msg = sirnn_party_last_error(test_srv);
                    if (ss != SIRNN_ERR_ARG || msg == NULL || strstr(msg, "too wide") == NULL)
                        fail_msg("%s %u/%d, %u/%d%s -> %u/%d: refused, not for its widths (%s)",
                                 F->name, fn.bits, fn.scale, fd.bits, fd.scale,
                                 fd.is_signed ? "s" : "u", fo.bits, fo.scale,
                                 msg != NULL ? msg : "no message");
                }
                if (st != SIRNN_OK) {
                    R.refused++;
                    continue;
                }
                /* every den (or its edges and random ones), each with a
                 * numerator from the edges and random values */
                const size_t n = make_inputs(&rng, fd, den, INCAP, NULL, 0);
                const size_t nn = make_inputs(&rng, fn, nv, INCAP, NULL, 0);
                for (size_t j = 0; j < n; j++)
                    num[j] = j < nn && (j & 1) ? nv[j] : nv[test_rng_below(&rng, nn)];
                assert_int_equal(F->model(n, q, num, den, fn, fd, fo), SIRNN_OK);
                R.inputs += n;
                const long double bound = F->bound(fn, fd, fo);
                fres_class(&R, bound)->formats++;
                const long double lim = ldexpl(1.0L, fo.bits - 1) - 1;
                for (size_t j = 0; j < n; j++) {
                    long double dv;
                    if (F->norm) {
                        /* a negative signed den reads as den + 2^(bits-1) */
                        dv = den_value(fd, den[j]);
                        if (dv == 0) {
                            if (q[j] != 0)
                                fail_msg("%s: den 0 gives %llx, not 0", F->name,
                                         (unsigned long long)q[j]);
                            continue;
                        }
                    } else {
                        dv = den_value(fd, den[j]);
                        if (dv < 1)
                            continue;
                    }
                    const long double t = ldexpl(fval(fn, num[j]) / dv, fo.scale);
                    const long double got = oval(fo, q[j]);
                    long double e = fabsl(got - t);
                    if (F->norm && fabsl(t) > lim) {
                        /* wraps: q = R mod 2^bits_out, |R - t| <= 0.5 + 2^-bits_out |t| */
                        const long double m = ldexpl(1.0L, fo.bits);
                        const long double Rv = got + m * roundl((t - got) / m);
                        if (fabsl(Rv - t) > 0.5L + fabsl(t) / m + 1e-9L)
                            fail_msg("%s %u/%d, %u/%d%s -> %u/%d num %llx den %llx: wrapped "
                                     "quotient %.3Lf vs %.3Lf",
                                     F->name, fn.bits, fn.scale, fd.bits, fd.scale,
                                     fd.is_signed ? "s" : "u", fo.bits, fo.scale,
                                     (unsigned long long)num[j], (unsigned long long)den[j],
                                     Rv, t);
                        continue;
                    }
                    if (e > R.worst)
                        R.wn = fn;
                    fres_note(&R, e, bound, fd, fo, den[j]);
                    if (!(e <= bound))
                        fail_msg("%s %u/%d, %u/%d%s -> %u/%d num %llx den %llx: model %lld is "
                                 "%.3Lf ULP from %.3Lf (bound %.3Lf)",
                                 F->name, fn.bits, fn.scale, fd.bits, fd.scale,
                                 fd.is_signed ? "s" : "u", fo.bits, fo.scale,
                                 (unsigned long long)num[j], (unsigned long long)den[j],
                                 (long long)got, e, t, bound);
                }
                if (F->secure != NULL && nsec < want_sec &&
                    accepted++ % secure_period(4999) == 0) {
                    const size_t ns = secure_inputs() < n ? secure_inputs() : n;
                    uint64_t *sa = malloc(ns * sizeof(uint64_t)),
                             *sb = malloc(ns * sizeof(uint64_t)),
                             *sw = malloc(ns * sizeof(uint64_t));
                    assert_true(sa && sb && sw);
                    for (size_t j = 0; j < ns; j++) {
                        const size_t k = j < 16 ? j : test_rng_below(&rng, n);
                        sa[j] = num[k];
                        sb[j] = den[k];
                    }
                    assert_int_equal(F->model(ns, sw, sa, sb, fn, fd, fo), SIRNN_OK);
                    sec_case c = {.f2 = F->secure, .n = ns, .fn = fn, .fi = fd, .fo = fo};
                    secure_check(F->name, &c, &rng, sa, sb, sw);
                    nsec++;
                    free(sa);
                    free(sb);
                    free(sw);
                }
            }
        }
    fres_print(&R);
    printf("# sweep %-9s secure == model on %zu formats (worst at num %u/%d)\n", F->name, nsec,
           R.wn.bits, R.wn.scale);
    free(den);
    free(num);
    free(nv);
    free(q);
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */

static unary_fn UF; /* large (format lists): static */

#define FS(b, s) {b, s, true}
#define FU(b, s) {b, s, false}
/* The documented formats and the regression formats of issue 14. */
static const sirnn_fixfmt PIN_COMMON[][2] = {
    {FS(16, 12), FS(16, 12)}, {FS(16, 12), FS(16, 14)}, {FS(16, 12), FU(16, 14)},
    {FS(16, 10), FU(20, 16)}, {FS(8, 4), FU(24, 16)},   {FS(8, 4), FS(16, 14)},
    {FS(24, 12), FS(16, 12)}, {FS(32, 16), FS(24, 16)}, {{0, 0, false}, {0, 0, false}}};
static const sirnn_fixfmt PIN_RSQRT[][2] = {
    {FS(16, 12), FS(16, 12)}, {FS(16, 12), FS(16, 14)}, {FS(16, 12), FU(16, 14)},
    {FS(16, 8), FS(8, 7)},    {FS(4, 1), FU(16, 15)},   {FS(24, 16), FS(24, 8)},
    {FU(5, 0), FU(16, 12)},   {FS(8, 5), FS(8, 6)},     {{0, 0, false}, {0, 0, false}}};
static binary_fn BF;

static void test_exp(void **state)
{
    (void)state;
    memset(&UF, 0, sizeof UF);
    UF = (unary_fn){.name = "exp", .sample = 199, .pins = PIN_COMMON, .model = sirnn_ref_exp, .secure = sirnn_exp,
                    .accepts = exp_accepts, .truth = exp_truth, .bound = exp_bound};
    fl_build(&UF.ins, 7, 1, 31, 31);
    fl_build(&UF.outs, 7, 3, 0, 62);
    sweep_unary(&UF, 0x1e);
}

static void test_sigmoid(void **state)
{
    (void)state;
    UF = (unary_fn){.name = "sigmoid", .sample = 97, .pins = PIN_COMMON, .model = sirnn_ref_sigmoid, .secure = sirnn_sigmoid,
                    .accepts = sig_accepts, .truth = sig_truth, .bound = sig_bound};
    fl_build(&UF.ins, 7, 1, 31, 31);
    fl_build(&UF.outs, 7, 3, 0, 62);
    sweep_unary(&UF, 0x2e);
}

static void test_tanh(void **state)
{
    (void)state;
    UF = (unary_fn){.name = "tanh", .sample = 97, .pins = PIN_COMMON, .model = sirnn_ref_tanh, .secure = sirnn_tanh,
                    .accepts = tanh_accepts, .truth = tanh_truth, .bound = tanh_bound};
    fl_build(&UF.ins, 7, 1, 31, 31);
    fl_build(&UF.outs, 7, 3, 0, 62);
    sweep_unary(&UF, 0x3e);
}

static void test_reciprocal(void **state)
{
    (void)state;
    UF = (unary_fn){.name = "recip", .sample = 97, .pins = PIN_COMMON, .model = sirnn_ref_reciprocal,
                    .secure = sirnn_reciprocal, .accepts = recip_accepts,
                    .truth = recip_truth, .bound = recip_bound};
    fl_build(&UF.ins, 1, 3, 1, 62);
    fl_build(&UF.outs, 1, 3, 1, 62);
    sweep_unary(&UF, 0x4e);
}

static void test_rsqrt(void **state)
{
    (void)state;
    UF = (unary_fn){.name = "rsqrt", .sample = 397, .pins = PIN_RSQRT, .model = sirnn_ref_rsqrt, .secure = sirnn_rsqrt,
                    .accepts = rsq_accepts, .truth = rsq_truth, .target = rsq_target,
                    .bound = rsq_bound, .extras = rsq_extras, .extra_check = rsq_check};
    /* accepted input scales reach bits + 31 (2^(s_out + s_in/2) < 2^16 caps
     * the rest), output scales bits + 16 */
    fl_build(&UF.ins, 3, 3, 32, 62);
    fl_build(&UF.outs, 1, 3, 16, 62);
    sweep_unary(&UF, 0x5e);
}

static void test_div(void **state)
{
    (void)state;
    BF = (binary_fn){.name = "div", .sample = 1201, .model = sirnn_ref_div, .secure = sirnn_div,
                     .accepts = div_accepts, .bound = div_bound, .rotation = 8};
    fl_grid_signed(&BF.nums);
    fl_build(&BF.dens, 2, 3, 0, 62);
    fl_build(&BF.outs, 2, 1, 1, 62);
    sweep_binary(&BF, 0x6e);
}

static void test_div_norm(void **state)
{
    (void)state;
    BF = (binary_fn){.name = "div_norm", .sample = 7919, .model = sirnn_ref_div_norm,
                     .secure = sirnn_div_norm, .norm = 1, .rotation = 32,
                     .accepts = div_norm_accepts, .bound = div_bound};
    fl_grid_signed(&BF.nums);
    fl_build(&BF.dens, 2, 3, 12, 62);
    fl_build(&BF.outs, 2, 1, 0, 62);
    sweep_binary(&BF, 0x7e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),        cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_tanh),       cmocka_unit_test(test_reciprocal),
        cmocka_unit_test(test_rsqrt),      cmocka_unit_test(test_div),
        cmocka_unit_test(test_div_norm),
    };
    /* SIRNN_SWEEP_ONLY=rsqrt (a cmocka pattern: test_rsqrt, test_div*)
     * runs one function's sweep */
    const char *only = getenv("SIRNN_SWEEP_ONLY");
    char pat[64];
    if (only != NULL) {
        snprintf(pat, sizeof pat, "test_%s", only);
        cmocka_set_test_filter(pat);
    }
    printf("# sweep level: %s\n", test_quick() ? "quick (valgrind)" : sweep_full() ? "full" : "sample");
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
