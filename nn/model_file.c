/*
 * FastGRNN model file: explicit little-endian encoding, SHA-256 checksum,
 * and a loader that validates every field before trusting it.
 */
#include "nn/model_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/party_internal.h"
#include "nn/fastgrnn.h"

static const char *const tensor_names[SIRNN_FG_NTENSORS] = {
    "W", "W1", "W2", "U", "U1", "U2", "b_z", "b_h", "zeta", "nu", "W_c", "b_c"};

/* ---- little-endian writer / reader ---------------------------------------- */

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

static uint8_t *putf(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return put32(p, v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float getf(const uint8_t *p)
{
    uint32_t v = get32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static int sha256(uint8_t out[32], const uint8_t *data, size_t len)
{
    unsigned olen = 0;
    return EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) == 1 && olen == 32;
}

/* Version 2 adds the gate format, one record after the value ranges;
 * version 3 the state fold in that record's fourth byte (written only when
 * on, so a model without it stays a version 2 file). */
static size_t file_size(const sirnn_fastgrnn_dims *d, int quantised, uint32_t version)
{
    size_t np = sirnn_fg_param_count(d);
    return SIRNN_MODEL_HEADER_BYTES + SIRNN_FG_NTENSORS * SIRNN_MODEL_TENSOR_BYTES +
           ((size_t)SIRNN_FG_NACTS + (version >= 2 ? 1u : 0u)) * SIRNN_MODEL_ACT_BYTES + 4 * np +
           (quantised ? 4 * np : 0) + SIRNN_MODEL_DIGEST_BYTES;
}

sirnn_status sirnn_fastgrnn_encode(const sirnn_fastgrnn *m, uint8_t **buf, size_t *len)
{
    if (m == NULL || m->params == NULL || buf == NULL || len == NULL) {
        sirnn_set_last_error("model encode: NULL argument");
        return SIRNN_ERR_ARG;
    }
    *buf = NULL;
    *len = 0;
    int q = m->quantised && m->qparams != NULL;
    const int fold = q && m->state_fold != 0;
    const uint32_t version = fold ? 3 : 2;
    size_t total = file_size(&m->dims, q, version);
    if (total > SIRNN_MODEL_MAX_BYTES) {
        sirnn_set_last_error("model encode: the model is too large (%zu bytes)", total);
        return SIRNN_ERR_ARG;
    }
    uint8_t *b = malloc(total), *p = b;
    if (b == NULL) {
        sirnn_set_last_error("model encode: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    memcpy(p, SIRNN_MODEL_MAGIC, 8);
    p += 8;
    p = put32(p, version);
    p = put32(p, (uint32_t)total);
    const sirnn_fastgrnn_dims *d = &m->dims;
    p = put32(p, d->input);
    p = put32(p, d->steps);
    p = put32(p, d->hidden);
    p = put32(p, d->rank_w);
    p = put32(p, d->rank_u);
    p = put32(p, d->classes);
    p = putf(p, m->in_mean);
    p = putf(p, m->in_std);
    p = put32(p, (uint32_t)q);
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
        const sirnn_nn_tensor *t = &m->t[k];
        p = put32(p, t->rows);
        p = put32(p, t->cols);
        *p++ = q ? t->fmt.bits : 0;
        *p++ = q ? (uint8_t)t->fmt.scale : 0;
        *p++ = q && t->fmt.is_signed ? 1 : 0;
        *p++ = 0;
        p = putf(p, q ? t->maxabs : 0.0f);
    }
    for (int k = 0; k < SIRNN_FG_NACTS; k++) {
        *p++ = q ? m->act_fmt[k].bits : 0;
        *p++ = q ? (uint8_t)m->act_fmt[k].scale : 0;
        *p++ = q && m->act_fmt[k].is_signed ? 1 : 0;
        *p++ = 0;
        p = putf(p, q ? m->act_maxabs[k] : 0.0f);
    }
    const int gate = q && m->gate_fmt.bits != 0;
    *p++ = gate ? m->gate_fmt.bits : 0;
    *p++ = gate ? (uint8_t)m->gate_fmt.scale : 0;
    *p++ = gate ? 1 : 0;
    *p++ = fold ? 1 : 0;
    p = putf(p, 0.0f);
    for (size_t i = 0; i < m->nparams; i++)
        p = putf(p, m->params[i]);
    if (q)
        for (size_t i = 0; i < m->nparams; i++)
            p = put32(p, (uint32_t)m->qparams[i]);
    if (!sha256(p, b, (size_t)(p - b))) {
        free(b);
        sirnn_set_last_error("model encode: SHA-256 failed");
        return SIRNN_ERR_CRYPTO;
    }
    *buf = b;
    *len = total;
    return SIRNN_OK;
}

static sirnn_status bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static sirnn_status bad(const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sirnn_set_last_error("model file: %s", msg);
    return SIRNN_ERR_ARG;
}

/* p: u8 bits, i8 scale, u8 is_signed, u8 reserved. */
static sirnn_status check_fmt(const uint8_t *p, float maxabs, int quantised, const char *what,
                              const char *name)
{
    uint8_t bits = p[0];
    int8_t scale = (int8_t)p[1];
    if (p[3] != 0)
        return bad("%s %s: reserved bytes are not zero", what, name);
    if (!quantised) {
        if (bits != 0 || scale != 0 || p[2] != 0 || maxabs != 0.0f)
            return bad("%s %s: a format in a model that is not quantised", what, name);
        return SIRNN_OK;
    }
    if (bits == 0 && scale == 0 && p[2] == 0 && maxabs == 0.0f)
        return SIRNN_OK; /* unset (an unused tensor or an unprofiled value) */
    if (p[2] != 1)
        return bad("%s %s: is_signed is %u (quantised values are signed)", what, name,
                   (unsigned)p[2]);
    if (bits < 2 || bits > 32)
        return bad("%s %s: %u bits (must be 2..32)", what, name, (unsigned)bits);
    if (scale < -60 || scale > 60)
        return bad("%s %s: scale %d (must be -60..60)", what, name, (int)scale);
    if (!isfinite(maxabs) || maxabs < 0.0f)
        return bad("%s %s: bad range %g", what, name, (double)maxabs);
    return SIRNN_OK;
}

sirnn_status sirnn_fastgrnn_decode(sirnn_fastgrnn **out, const uint8_t *buf, size_t len)
{
    if (out == NULL || (buf == NULL && len > 0)) {
        sirnn_set_last_error("model decode: NULL argument");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    if (len < 16)
        return bad("truncated: %zu bytes, not even a header", len);
    if (memcmp(buf, SIRNN_MODEL_MAGIC, 8) != 0)
        return bad("bad magic (not a libsirnn FastGRNN model)");
    uint32_t version = get32(buf + SIRNN_MODEL_VERSION_OFFSET);
    if (version < 1 || version > SIRNN_MODEL_VERSION) {
        sirnn_set_last_error("model file: version %u, this libsirnn reads versions 1..%u",
                             (unsigned)version, (unsigned)SIRNN_MODEL_VERSION);
        return SIRNN_ERR_UNSUPPORTED;
    }
    uint32_t total = get32(buf + 12);
    if (total != len)
        return bad("%s: %zu bytes, the header announces %u", len < total ? "truncated" :
                   "trailing bytes", len, (unsigned)total);
    if (len < SIRNN_MODEL_HEADER_BYTES + SIRNN_MODEL_DIGEST_BYTES)
        return bad("truncated header (%zu bytes)", len);
    const uint8_t *p = buf + SIRNN_MODEL_DIMS_OFFSET;
    sirnn_fastgrnn_dims d;
    d.input = get32(p);
    d.steps = get32(p + 4);
    d.hidden = get32(p + 8);
    d.rank_w = get32(p + 12);
    d.rank_u = get32(p + 16);
    d.classes = get32(p + 20);
    p += 24;
    sirnn_status st = sirnn_fg_check_dims(&d, "model file");
    if (st != SIRNN_OK)
        return st;
    float mean = getf(p), sd = getf(p + 4);
    uint32_t q = get32(p + 8);
    p += 12;
    if (q > 1)
        return bad("quantised flag is %u (must be 0 or 1)", (unsigned)q);
    size_t want = file_size(&d, (int)q, version);
    if (want != len)
        return bad("%zu bytes, dimensions %ux%u H=%u rw=%u ru=%u C=%u%s need %zu", len,
                   (unsigned)d.steps, (unsigned)d.input, (unsigned)d.hidden,
                   (unsigned)d.rank_w, (unsigned)d.rank_u, (unsigned)d.classes,
                   q ? " (quantised)" : "", want);
    uint8_t digest[32];
    if (!sha256(digest, buf, len - SIRNN_MODEL_DIGEST_BYTES)) {
        sirnn_set_last_error("model file: SHA-256 failed");
        return SIRNN_ERR_CRYPTO;
    }
    if (memcmp(digest, buf + len - SIRNN_MODEL_DIGEST_BYTES, 32) != 0)
        return bad("checksum mismatch (the file is corrupt)");
    if (!isfinite(mean) || !isfinite(sd) || !(sd > 0.0f))
        return bad("bad input normalisation (mean %g, std %g)", (double)mean, (double)sd);

    sirnn_fastgrnn *m;
    st = sirnn_fastgrnn_new(&m, &d);
    if (st != SIRNN_OK)
        return st;
    m->in_mean = mean;
    m->in_std = sd;
    if (q && (st = sirnn_fg_alloc_quant(m)) != SIRNN_OK)
        goto fail;
    for (int k = 0; k < SIRNN_FG_NTENSORS; k++, p += SIRNN_MODEL_TENSOR_BYTES) {
        sirnn_nn_tensor *t = &m->t[k];
        uint32_t r = get32(p), c = get32(p + 4);
        if (r != t->rows || c != t->cols) {
            st = bad("tensor %s is %ux%u, the dimensions need %ux%u", tensor_names[k],
                     (unsigned)r, (unsigned)c, (unsigned)t->rows, (unsigned)t->cols);
            goto fail;
        }
        t->fmt.bits = p[8];
        t->fmt.scale = (int8_t)p[9];
        t->fmt.is_signed = p[10] != 0;
        t->maxabs = getf(p + 12);
        st = check_fmt(p + 8, t->maxabs, (int)q, "tensor", tensor_names[k]);
        if (st != SIRNN_OK)
            goto fail;
        if (q && (size_t)r * c > 0 && t->fmt.bits == 0) {
            st = bad("tensor %s has no format", tensor_names[k]);
            goto fail;
        }
    }
    for (int k = 0; k < SIRNN_FG_NACTS; k++, p += SIRNN_MODEL_ACT_BYTES) {
        char name[16];
        snprintf(name, sizeof(name), "#%d", k);
        m->act_fmt[k].bits = p[0];
        m->act_fmt[k].scale = (int8_t)p[1];
        m->act_fmt[k].is_signed = p[2] != 0;
        m->act_maxabs[k] = getf(p + 4);
        st = check_fmt(p, m->act_maxabs[k], (int)q, "value range", name);
        if (st != SIRNN_OK)
            goto fail;
    }
    if (version >= 2) {
        const float gmax = getf(p + 4);
        /* the fourth byte: the state fold (version 3, quantised models) */
        const uint8_t fold = p[3];
        uint8_t rec[SIRNN_MODEL_ACT_BYTES];
        memcpy(rec, p, sizeof(rec));
        rec[3] = 0;
        if (version < 3 || !q || fold > 1)
            rec[3] = fold; /* reserved: check_fmt refuses non-zero */
        st = check_fmt(rec, gmax, (int)q, "format", "of the gates");
        if (st == SIRNN_OK && gmax != 0.0f)
            st = bad("format of the gates: range %g (must be 0)", (double)gmax);
        const unsigned hb = m->act_fmt[SIRNN_FG_ACT_H].bits;
        if (st == SIRNN_OK && p[0] != 0 &&
            (p[0] != hb || (int8_t)p[1] < 5 || (int)(int8_t)p[1] > (int)hb - 2))
            st = bad("format of the gates %u/%d: needs the hidden state's %u bits and "
                     "scale 5..%d", (unsigned)p[0], (int)(int8_t)p[1], hb, (int)hb - 2);
        if (st != SIRNN_OK)
            goto fail;
        m->gate_fmt = (sirnn_fixfmt){p[0], (int8_t)p[1], p[0] != 0};
        m->state_fold = fold;
        p += SIRNN_MODEL_ACT_BYTES;
    }
    for (size_t i = 0; i < m->nparams; i++, p += 4) {
        m->params[i] = getf(p);
        if (!isfinite(m->params[i])) {
            st = bad("weight %zu is not finite", i);
            goto fail;
        }
    }
    if (q) {
        for (int k = 0; k < SIRNN_FG_NTENSORS; k++) {
            sirnn_nn_tensor *t = &m->t[k];
            size_t n = (size_t)t->rows * t->cols;
            int64_t lim = n > 0 ? ((int64_t)1 << (t->fmt.bits - 1)) : 0;
            for (size_t i = 0; i < n; i++, p += 4) {
                int32_t v = (int32_t)get32(p);
                if ((int64_t)v >= lim || (int64_t)v <= -lim) {
                    st = bad("quantised %s[%zu] = %d does not fit %u bits", tensor_names[k], i,
                             (int)v, (unsigned)t->fmt.bits);
                    goto fail;
                }
                t->q[i] = v;
            }
        }
        m->quantised = 1;
    }
    *out = m;
    return SIRNN_OK;
fail:
    sirnn_fastgrnn_free(m);
    return st;
}

sirnn_status sirnn_fastgrnn_save(const sirnn_fastgrnn *m, const char *path)
{
    if (path == NULL) {
        sirnn_set_last_error("model save: no file name");
        return SIRNN_ERR_ARG;
    }
    uint8_t *buf;
    size_t len;
    sirnn_status st = sirnn_fastgrnn_encode(m, &buf, &len);
    if (st != SIRNN_OK)
        return st;
    /* Write a temporary file and rename it, so that a failed save never
     * leaves a half-written model under the final name. */
    size_t pl = strlen(path) + 8;
    char *tmp = malloc(pl);
    if (tmp == NULL) {
        free(buf);
        sirnn_set_last_error("model save: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    snprintf(tmp, pl, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        sirnn_set_last_error("%s: cannot create: %s", tmp, strerror(errno));
        st = SIRNN_ERR_IO;
    } else {
        int ok = fwrite(buf, 1, len, f) == len;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) {
            sirnn_set_last_error("%s: cannot write: %s", path, strerror(errno));
            remove(tmp);
            st = SIRNN_ERR_IO;
        }
    }
    free(tmp);
    free(buf);
    return st;
}

sirnn_status sirnn_fastgrnn_load(sirnn_fastgrnn **out, const char *path)
{
    if (out == NULL || path == NULL) {
        sirnn_set_last_error("model load: NULL argument");
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sirnn_set_last_error("%s: cannot open: %s", path, strerror(errno));
        return SIRNN_ERR_IO;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    sirnn_status st = buf != NULL ? SIRNN_OK : SIRNN_ERR_NOMEM;
    while (st == SIRNN_OK) {
        if (n == cap) {
            if (cap >= SIRNN_MODEL_MAX_BYTES) {
                sirnn_set_last_error("%s: larger than any model file", path);
                st = SIRNN_ERR_ARG;
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                st = SIRNN_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                sirnn_set_last_error("%s: read error: %s", path, strerror(errno));
                st = SIRNN_ERR_IO;
            }
            break;
        }
    }
    fclose(f);
    if (st == SIRNN_ERR_NOMEM)
        sirnn_set_last_error("%s: out of memory", path);
    if (st == SIRNN_OK) {
        st = sirnn_fastgrnn_decode(out, buf, n);
        if (st != SIRNN_OK) {
            /* Name the file in the message. */
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", sirnn_last_error());
            sirnn_set_last_error("%s: %s", path, msg);
        }
    }
    free(buf);
    return st;
}
