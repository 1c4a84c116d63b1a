/*
 * The graph model file (format in include/sirnn/graph.h): explicit
 * little-endian fields, SHA-256 checksum, and a decoder that bounds every
 * count before it allocates and validates the whole graph before it is
 * returned.
 */
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/random.h"
#include "net/party_internal.h"
#include "nn/graph.h"

#define GRAPH_MAGIC "SIRNNGR" /* 8 bytes with the NUL */
#define HEADER_BYTES (8 + 4 + 8 + 4 * 9 + 4 * 2)
#define TENSOR_BYTES (4 + 4 * SIRNN_GRAPH_MAX_RANK + 4 + 4 + SIRNN_GRAPH_NAME)
#define NODE_BYTES (4 * 5 + 4 * SIRNN_GA_COUNT + 4 * 2 + 4 * 3 + 4 * 2 + SIRNN_GRAPH_NAME)
#define DIGEST_BYTES 32
#define MAX_FILE ((size_t)1 << 31)

typedef struct wbuf {
    uint8_t *p;
} wbuf;

static void w32(wbuf *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *w->p++ = (uint8_t)(v >> (8 * i));
}

static void w64(wbuf *w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *w->p++ = (uint8_t)(v >> (8 * i));
}

static void wf(wbuf *w, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    w32(w, v);
}

static void wfmt(wbuf *w, sirnn_fixfmt f)
{
    *w->p++ = f.bits;
    *w->p++ = (uint8_t)f.scale;
    *w->p++ = f.is_signed ? 1 : 0;
    *w->p++ = 0;
}

static void wbytes(wbuf *w, const void *src, size_t n)
{
    memcpy(w->p, src, n);
    w->p += n;
}

typedef struct rbuf {
    const uint8_t *p, *end;
    int bad;
} rbuf;

static const uint8_t *take(rbuf *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

static uint32_t r32(rbuf *r)
{
    const uint8_t *q = take(r, 4);
    return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                   (uint32_t)q[3] << 24
             : 0;
}

static uint64_t r64(rbuf *r)
{
    const uint64_t lo = r32(r);
    return lo | (uint64_t)r32(r) << 32;
}

static float rf(rbuf *r)
{
    const uint32_t v = r32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static sirnn_fixfmt rfmt(rbuf *r, int *bad)
{
    const uint8_t *q = take(r, 4);
    if (q == NULL)
        return (sirnn_fixfmt){0, 0, false};
    if (q[2] > 1 || q[3] != 0)
        *bad = 1;
    return (sirnn_fixfmt){q[0], (int8_t)q[1], q[2] != 0};
}

static int sha256(uint8_t out[32], const uint8_t *data, size_t len)
{
    unsigned olen = 0;
    return EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) == 1 && olen == 32;
}

static size_t encoded_size(const sirnn_graph *g, int public_only)
{
    size_t n = HEADER_BYTES + (size_t)g->ntensors * TENSOR_BYTES +
               (size_t)g->nnodes * NODE_BYTES + DIGEST_BYTES;
    for (uint32_t i = 0; i < g->nnodes; i++)
        n += (size_t)g->nodes[i].nidx * 4;
    if (!public_only)
        for (uint32_t i = 0; i < g->nnodes; i++)
            n += ((size_t)g->nodes[i].nw + g->nodes[i].nb) * (4u + (g->quantised ? 8u : 0u));
    return n;
}

sirnn_status sirnn_graph_encode(const sirnn_graph *g, int public_only, uint8_t **buf,
                                size_t *len)
{
    if (buf == NULL || len == NULL) {
        sirnn_set_last_error("graph_encode: NULL output");
        return SIRNN_ERR_ARG;
    }
    *buf = NULL;
    *len = 0;
    sirnn_status st = sirnn_graph_validate(g);
    if (st != SIRNN_OK)
        return st;
    for (uint32_t i = 0; !public_only && i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        if ((nd->nw && nd->w == NULL) || (nd->nb && nd->b == NULL) ||
            (g->quantised && ((nd->nw && nd->qw == NULL) || (nd->nb && nd->qb == NULL)))) {
            sirnn_set_last_error("graph_encode: node '%s' has no parameter values (a public "
                                 "description)", nd->name);
            return SIRNN_ERR_ARG;
        }
    }
    const size_t total = encoded_size(g, public_only);
    if (total > MAX_FILE) {
        sirnn_set_last_error("graph_encode: %zu bytes is too large", total);
        return SIRNN_ERR_ARG;
    }
    uint8_t *b = calloc(1, total);
    if (b == NULL) {
        sirnn_set_last_error("graph_encode: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    wbuf w = {b};
    wbytes(&w, GRAPH_MAGIC, 8);
    w32(&w, SIRNN_GRAPH_FILE_VERSION);
    w64(&w, total);
    w32(&w, public_only ? 1u : 0u);
    w32(&w, g->ntensors);
    w32(&w, g->nnodes);
    w32(&w, g->input);
    w32(&w, g->output);
    w32(&w, g->has_argmax ? 1u : 0u);
    w32(&w, g->act_bits);
    w32(&w, g->weight_bits);
    w32(&w, g->quantised ? 1u : 0u);
    wf(&w, g->in_mul);
    wf(&w, g->in_add);
    for (uint32_t t = 0; t < g->ntensors; t++) {
        const sirnn_gtensor *tt = &g->tensors[t];
        w32(&w, tt->rank);
        for (int i = 0; i < SIRNN_GRAPH_MAX_RANK; i++)
            w32(&w, tt->dims[i]);
        wf(&w, public_only ? 0.0f : tt->maxabs); /* the client needs formats, not ranges */
        wfmt(&w, tt->fmt);
        wbytes(&w, tt->name, SIRNN_GRAPH_NAME);
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        w32(&w, nd->op);
        w32(&w, nd->nin);
        w32(&w, nd->in[0]);
        w32(&w, nd->in[1]);
        w32(&w, nd->out);
        for (int k = 0; k < SIRNN_GA_COUNT; k++)
            w32(&w, (uint32_t)nd->attr[k]);
        wf(&w, nd->fattr[0]);
        wf(&w, nd->fattr[1]);
        w32(&w, nd->nw);
        w32(&w, nd->nb);
        w32(&w, nd->nidx);
        wfmt(&w, nd->wfmt);
        wfmt(&w, nd->bfmt);
        wbytes(&w, nd->name, SIRNN_GRAPH_NAME);
    }
    for (uint32_t i = 0; i < g->nnodes; i++) /* index tables: public */
        for (uint32_t k = 0; k < g->nodes[i].nidx; k++)
            w32(&w, g->nodes[i].idx[k]);
    for (uint32_t i = 0; !public_only && i < g->nnodes; i++) {
        const sirnn_gnode *nd = &g->nodes[i];
        for (uint32_t k = 0; k < nd->nw; k++)
            wf(&w, nd->w[k]);
        for (uint32_t k = 0; k < nd->nb; k++)
            wf(&w, nd->b[k]);
        for (uint32_t k = 0; g->quantised && k < nd->nw; k++)
            w64(&w, (uint64_t)nd->qw[k]);
        for (uint32_t k = 0; g->quantised && k < nd->nb; k++)
            w64(&w, (uint64_t)nd->qb[k]);
    }
    if (!sha256(w.p, b, (size_t)(w.p - b))) {
        free(b);
        sirnn_set_last_error("graph_encode: SHA-256 failed");
        return SIRNN_ERR_CRYPTO;
    }
    *buf = b;
    *len = total;
    return SIRNN_OK;
}

#define DEC_ERR(code, ...)                                                                    \
    do {                                                                                      \
        sirnn_set_last_error(__VA_ARGS__);                                                    \
        st = (code);                                                                          \
        goto fail;                                                                            \
    } while (0)

sirnn_status sirnn_graph_decode(sirnn_graph **out, int *public_only, const uint8_t *buf,
                                size_t len)
{
    if (out == NULL || (buf == NULL && len > 0)) {
        sirnn_set_last_error("graph_decode: NULL argument");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    sirnn_status st = SIRNN_OK;
    sirnn_graph *g = NULL;
    if (len < HEADER_BYTES + DIGEST_BYTES || memcmp(buf, GRAPH_MAGIC, 8) != 0) {
        sirnn_set_last_error("graph file: not a libsirnn graph (magic)");
        return len >= 8 && memcmp(buf, "SIRNN", 5) == 0 ? SIRNN_ERR_UNSUPPORTED : SIRNN_ERR_ARG;
    }
    rbuf r = {buf + 8, buf + len, 0};
    const uint32_t version = r32(&r);
    if (version != SIRNN_GRAPH_FILE_VERSION && version != 1) {
        sirnn_set_last_error("graph file: version %u, this library reads 1 and %u", version,
                             SIRNN_GRAPH_FILE_VERSION);
        return SIRNN_ERR_UNSUPPORTED;
    }
    if (r64(&r) != len) {
        sirnn_set_last_error("graph file: size field does not match the %zu bytes read", len);
        return SIRNN_ERR_ARG;
    }
    uint8_t digest[DIGEST_BYTES];
    if (!sha256(digest, buf, len - DIGEST_BYTES)) {
        sirnn_set_last_error("graph file: SHA-256 failed");
        return SIRNN_ERR_CRYPTO;
    }
    if (memcmp(digest, buf + len - DIGEST_BYTES, DIGEST_BYTES) != 0) {
        sirnn_set_last_error("graph file: checksum mismatch (corrupt file)");
        return SIRNN_ERR_ARG;
    }
    r.end = buf + len - DIGEST_BYTES;
    st = sirnn_graph_new(&g);
    if (st != SIRNN_OK)
        return st;
    const uint32_t pub = r32(&r);
    g->ntensors = r32(&r);
    g->nnodes = r32(&r);
    g->input = r32(&r);
    g->output = r32(&r);
    const uint32_t has_argmax = r32(&r);
    g->act_bits = r32(&r);
    g->weight_bits = r32(&r);
    const uint32_t quantised = r32(&r);
    g->in_mul = rf(&r);
    g->in_add = rf(&r);
    if (pub > 1 || has_argmax > 1 || quantised > 1)
        DEC_ERR(SIRNN_ERR_ARG, "graph file: a flag is not 0 or 1");
    g->has_argmax = (int)has_argmax;
    g->quantised = (int)quantised;
    if (g->ntensors == 0 || g->ntensors > 2 * SIRNN_GRAPH_MAX_NODES + 1 || g->nnodes == 0 ||
        g->nnodes > SIRNN_GRAPH_MAX_NODES)
        DEC_ERR(SIRNN_ERR_ARG, "graph file: %u tensors, %u nodes", g->ntensors, g->nnodes);
    if ((size_t)(r.end - r.p) < (size_t)g->ntensors * TENSOR_BYTES +
                                    (size_t)g->nnodes * NODE_BYTES)
        DEC_ERR(SIRNN_ERR_ARG, "graph file: truncated");
    g->tensors = calloc(g->ntensors, sizeof(sirnn_gtensor));
    g->nodes = calloc(g->nnodes, sizeof(sirnn_gnode));
    if (g->tensors == NULL || g->nodes == NULL)
        DEC_ERR(SIRNN_ERR_NOMEM, "graph file: out of memory");
    int bad = 0;
    for (uint32_t t = 0; t < g->ntensors; t++) {
        sirnn_gtensor *tt = &g->tensors[t];
        tt->rank = r32(&r);
        for (int i = 0; i < SIRNN_GRAPH_MAX_RANK; i++)
            tt->dims[i] = r32(&r);
        tt->maxabs = rf(&r);
        tt->fmt = rfmt(&r, &bad);
        const uint8_t *nm = take(&r, SIRNN_GRAPH_NAME);
        if (nm != NULL)
            memcpy(tt->name, nm, SIRNN_GRAPH_NAME);
    }
    size_t nparams = 0;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        sirnn_gnode *nd = &g->nodes[i];
        nd->op = r32(&r);
        nd->nin = r32(&r);
        nd->in[0] = r32(&r);
        nd->in[1] = r32(&r);
        nd->out = r32(&r);
        for (int k = 0; k < SIRNN_GA_COUNT; k++)
            nd->attr[k] = (int32_t)r32(&r);
        nd->fattr[0] = rf(&r);
        nd->fattr[1] = rf(&r);
        nd->nw = r32(&r);
        nd->nb = r32(&r);
        nd->nidx = r32(&r);
        nd->wfmt = rfmt(&r, &bad);
        nd->bfmt = rfmt(&r, &bad);
        const uint8_t *nm = take(&r, SIRNN_GRAPH_NAME);
        if (nm != NULL)
            memcpy(nd->name, nm, SIRNN_GRAPH_NAME);
        if (nd->nw > SIRNN_GRAPH_MAX_PARAMS || nd->nb > SIRNN_GRAPH_MAX_PARAMS ||
            nd->nidx > SIRNN_GRAPH_MAX_SIZE)
            bad = 1;
        nparams += (size_t)nd->nw + nd->nb;
    }
    if (bad || r.bad)
        DEC_ERR(SIRNN_ERR_ARG, "graph file: a format or parameter count is malformed");
    for (uint32_t i = 0; i < g->nnodes; i++) {
        sirnn_gnode *nd = &g->nodes[i];
        if (nd->nidx == 0)
            continue;
        if ((size_t)(r.end - r.p) / 4 < nd->nidx)
            DEC_ERR(SIRNN_ERR_ARG, "graph file: truncated index table");
        if ((nd->idx = malloc(nd->nidx * sizeof(uint32_t))) == NULL)
            DEC_ERR(SIRNN_ERR_NOMEM, "graph file: out of memory");
        for (uint32_t k = 0; k < nd->nidx; k++)
            nd->idx[k] = r32(&r);
    }
    const size_t per = pub ? 0 : (4 + (quantised ? 8u : 0u));
    if ((size_t)(r.end - r.p) != nparams * per)
        DEC_ERR(SIRNN_ERR_ARG, "graph file: %zu bytes of parameters, expected %zu",
                (size_t)(r.end - r.p), nparams * per);
    for (uint32_t i = 0; !pub && i < g->nnodes; i++) {
        sirnn_gnode *nd = &g->nodes[i];
        if (nd->nw && (nd->w = malloc(nd->nw * sizeof(float))) == NULL)
            DEC_ERR(SIRNN_ERR_NOMEM, "graph file: out of memory");
        if (nd->nb && (nd->b = malloc(nd->nb * sizeof(float))) == NULL)
            DEC_ERR(SIRNN_ERR_NOMEM, "graph file: out of memory");
        if (quantised && nd->nw && (nd->qw = malloc(nd->nw * sizeof(int64_t))) == NULL)
            DEC_ERR(SIRNN_ERR_NOMEM, "graph file: out of memory");
        if (quantised && nd->nb && (nd->qb = malloc(nd->nb * sizeof(int64_t))) == NULL)
            DEC_ERR(SIRNN_ERR_NOMEM, "graph file: out of memory");
        for (uint32_t k = 0; k < nd->nw; k++)
            nd->w[k] = rf(&r);
        for (uint32_t k = 0; k < nd->nb; k++)
            nd->b[k] = rf(&r);
        for (uint32_t k = 0; quantised && k < nd->nw; k++)
            nd->qw[k] = (int64_t)r64(&r);
        for (uint32_t k = 0; quantised && k < nd->nb; k++)
            nd->qb[k] = (int64_t)r64(&r);
    }
    st = sirnn_graph_validate(g);
    if (st != SIRNN_OK)
        goto fail;
    if (version == 1 && g->quantised && sirnn_graph_mixed(g)) {
        /* version 1 had one width for every tensor (act_bits) */
        sirnn_set_last_error("graph file: version 1 with per-tensor widths (version 2 only)");
        st = SIRNN_ERR_ARG;
        goto fail;
    }
    if (public_only != NULL)
        *public_only = (int)pub;
    *out = g;
    return SIRNN_OK;
fail:
    sirnn_graph_free(g);
    return st;
}

sirnn_status sirnn_graph_save(const sirnn_graph *g, const char *path)
{
    if (path == NULL) {
        sirnn_set_last_error("graph_save: NULL path");
        return SIRNN_ERR_ARG;
    }
    uint8_t *buf;
    size_t len;
    sirnn_status st = sirnn_graph_encode(g, 0, &buf, &len);
    if (st != SIRNN_OK)
        return st;
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(buf, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    sirnn_memzero(buf, len);
    free(buf);
    if (!ok) {
        sirnn_set_last_error("graph_save: cannot write %s", path);
        return SIRNN_ERR_IO;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_graph_load(sirnn_graph **out, const char *path)
{
    if (out == NULL || path == NULL) {
        sirnn_set_last_error("graph_load: NULL argument");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sirnn_set_last_error("graph_load: cannot open %s", path);
        return SIRNN_ERR_IO;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    sirnn_status st = SIRNN_OK;
    while (buf != NULL) {
        if (len == cap) {
            if (cap >= MAX_FILE) {
                st = SIRNN_ERR_ARG;
                sirnn_set_last_error("graph_load: %s is too large", path);
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        const size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    const int err = ferror(f);
    fclose(f);
    if (buf == NULL) {
        sirnn_set_last_error("graph_load: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    if (st == SIRNN_OK && err) {
        sirnn_set_last_error("graph_load: cannot read %s", path);
        st = SIRNN_ERR_IO;
    }
    int pub = 0;
    if (st == SIRNN_OK)
        st = sirnn_graph_decode(out, &pub, buf, len);
    if (st == SIRNN_OK && pub) {
        sirnn_graph_free(*out);
        *out = NULL;
        sirnn_set_last_error("graph_load: %s is a public description without parameters", path);
        st = SIRNN_ERR_ARG;
    }
    sirnn_memzero(buf, len);
    free(buf);
    return st;
}
