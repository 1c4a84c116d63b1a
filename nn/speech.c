/*
 * The speech front end (include/sirnn/speech.h): sound files through
 * libsndfile, log-mel features through FFTW3, keyword lists.
 */
#include "sirnn/speech.h"

#include <errno.h>
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/party_internal.h"
#include "nn/fastgrnn.h"

#define NBINS (SIRNN_SPEECH_FFT / 2 + 1)
#define FEAT_PER_CLIP ((size_t)SIRNN_SPEECH_FRAMES * SIRNN_SPEECH_BANDS)

static const char *const keywords[SIRNN_SPEECH_CLASSES] = {
    "bed",  "bird", "cat",   "dog",    "down",   "eight", "five", "four", "go",    "happy",
    "house", "left", "marvin", "nine", "no",     "off",   "on",   "one",  "right", "seven",
    "sheila", "six", "stop",  "three", "tree",   "two",   "up",   "wow",  "yes",   "zero"};

const char *sirnn_speech_keyword(unsigned label)
{
    return label < SIRNN_SPEECH_CLASSES ? keywords[label] : NULL;
}

int sirnn_speech_label(const char *word)
{
    if (word == NULL)
        return -1;
    for (unsigned i = 0; i < SIRNN_SPEECH_CLASSES; i++)
        if (strcmp(word, keywords[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- reading sound files --------------------------------------------------- */

sirnn_status sirnn_speech_read(float *samples, const char *path)
{
    if (samples == NULL || path == NULL) {
        sirnn_set_last_error("speech_read: NULL argument");
        return SIRNN_ERR_ARG;
    }
    memset(samples, 0, SIRNN_SPEECH_SAMPLES * sizeof(float));
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    errno = 0;
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (f == NULL) {
        /* libsndfile says "System error" for a missing file and names the
         * format problem otherwise. */
        const int sys = errno != 0 && sf_error(NULL) == SF_ERR_SYSTEM;
        sirnn_set_last_error("%s: %s", path, sys ? strerror(errno) : sf_strerror(NULL));
        return sys ? SIRNN_ERR_IO : SIRNN_ERR_ARG;
    }
    sirnn_status st = SIRNN_OK;
    if (info.samplerate != (int)SIRNN_SPEECH_RATE) {
        sirnn_set_last_error("%s: %d Hz, the front end needs %u Hz (resample it, e.g. sox "
                             "IN -r %u OUT)", path, info.samplerate, SIRNN_SPEECH_RATE,
                             SIRNN_SPEECH_RATE);
        st = SIRNN_ERR_ARG;
    } else if (info.channels < 1 || info.channels > 64 || info.frames <= 0) {
        sirnn_set_last_error("%s: no samples (%d channels, %lld frames)", path, info.channels,
                             (long long)info.frames);
        st = SIRNN_ERR_ARG;
    }
    float *buf = NULL;
    if (st == SIRNN_OK) {
        const size_t ch = (size_t)info.channels;
        buf = malloc(SIRNN_SPEECH_SAMPLES * ch * sizeof(float));
        if (buf == NULL) {
            sirnn_set_last_error("speech_read: out of memory");
            st = SIRNN_ERR_NOMEM;
        } else {
            /* Integer files read as floats come scaled to [-1, 1). */
            sf_count_t got = sf_readf_float(f, buf, SIRNN_SPEECH_SAMPLES);
            if (got < 0 || (got == 0 && sf_error(f) != SF_ERR_NO_ERROR)) {
                sirnn_set_last_error("%s: read failed: %s", path, sf_strerror(f));
                st = SIRNN_ERR_IO;
            }
            for (size_t i = 0; st == SIRNN_OK && i < (size_t)got; i++) {
                float s = 0.0f;
                for (size_t c = 0; c < ch; c++)
                    s += buf[i * ch + c];
                s /= (float)ch;
                samples[i] = s > 1.0f ? 1.0f : s < -1.0f ? -1.0f : s;
            }
        }
    }
    free(buf);
    sf_close(f);
    if (st != SIRNN_OK)
        memset(samples, 0, SIRNN_SPEECH_SAMPLES * sizeof(float));
    return st;
}

/* ---- log-mel ------------------------------------------------------------- */

/* Shared read-only state, built once: the FFT plan (FFTW's planner is not
 * thread-safe, executing a plan on new arrays is), the window and the
 * filterbank as one [first, last] bin range and weights per band. */
static struct {
    fftw_plan plan;
    double window[SIRNN_SPEECH_WINDOW];
    unsigned first[SIRNN_SPEECH_BANDS], last[SIRNN_SPEECH_BANDS];
    double weight[SIRNN_SPEECH_BANDS][NBINS];
    int ok;
} fe;
static pthread_once_t fe_once = PTHREAD_ONCE_INIT;

static double hz_to_mel(double f)
{
    return 2595.0 * log10(1.0 + f / 700.0);
}

static double mel_to_hz(double m)
{
    return 700.0 * (pow(10.0, m / 2595.0) - 1.0);
}

static void fe_init(void)
{
    const double pi = 3.14159265358979323846;
    for (unsigned n = 0; n < SIRNN_SPEECH_WINDOW; n++)
        fe.window[n] = 0.5 - 0.5 * cos(2.0 * pi * n / SIRNN_SPEECH_WINDOW);
    double corner[SIRNN_SPEECH_BANDS + 2];
    const double m0 = hz_to_mel(SIRNN_SPEECH_FMIN), m1 = hz_to_mel(SIRNN_SPEECH_FMAX);
    for (unsigned i = 0; i < SIRNN_SPEECH_BANDS + 2; i++)
        corner[i] = mel_to_hz(m0 + (m1 - m0) * i / (SIRNN_SPEECH_BANDS + 1));
    for (unsigned m = 0; m < SIRNN_SPEECH_BANDS; m++) {
        fe.first[m] = NBINS;
        fe.last[m] = 0;
        for (unsigned k = 0; k < NBINS; k++) {
            const double f = (double)k * SIRNN_SPEECH_RATE / SIRNN_SPEECH_FFT;
            double w = 0.0;
            if (f > corner[m] && f < corner[m + 2])
                w = f <= corner[m + 1] ? (f - corner[m]) / (corner[m + 1] - corner[m])
                                       : (corner[m + 2] - f) / (corner[m + 2] - corner[m + 1]);
            fe.weight[m][k] = w;
            if (w > 0.0) {
                if (fe.first[m] == NBINS)
                    fe.first[m] = k;
                fe.last[m] = k;
            }
        }
    }
    double *in = fftw_malloc(SIRNN_SPEECH_FFT * sizeof(double));
    fftw_complex *out = fftw_malloc(NBINS * sizeof(fftw_complex));
    if (in != NULL && out != NULL) {
        /* FFTW_UNALIGNED: the plan then runs on any caller's arrays. */
        fe.plan = fftw_plan_dft_r2c_1d((int)SIRNN_SPEECH_FFT, in, out,
                                       FFTW_ESTIMATE | FFTW_UNALIGNED);
        fe.ok = fe.plan != NULL;
    }
    fftw_free(in);
    fftw_free(out);
}

sirnn_status sirnn_speech_logmel(float *db, const float *samples)
{
    if (db == NULL || samples == NULL) {
        sirnn_set_last_error("speech_logmel: NULL argument");
        return SIRNN_ERR_ARG;
    }
    for (size_t i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
        if (!isfinite(samples[i])) {
            sirnn_set_last_error("speech_logmel: sample %zu is not finite", i);
            return SIRNN_ERR_ARG;
        }
    pthread_once(&fe_once, fe_init);
    if (!fe.ok) {
        sirnn_set_last_error("speech_logmel: FFTW could not plan the transform");
        return SIRNN_ERR_NOMEM;
    }
    double *in = malloc(SIRNN_SPEECH_FFT * sizeof(double));
    fftw_complex *out = malloc(NBINS * sizeof(fftw_complex));
    if (in == NULL || out == NULL) {
        free(in);
        free(out);
        sirnn_set_last_error("speech_logmel: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    for (unsigned t = 0; t < SIRNN_SPEECH_FRAMES; t++) {
        const size_t start = (size_t)t * SIRNN_SPEECH_HOP;
        for (unsigned n = 0; n < SIRNN_SPEECH_FFT; n++) {
            const size_t i = start + n;
            in[n] = n < SIRNN_SPEECH_WINDOW && i < SIRNN_SPEECH_SAMPLES
                        ? fe.window[n] * (double)samples[i]
                        : 0.0;
        }
        fftw_execute_dft_r2c(fe.plan, in, out);
        double power[NBINS];
        for (unsigned k = 0; k < NBINS; k++)
            power[k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        for (unsigned m = 0; m < SIRNN_SPEECH_BANDS; m++) {
            double e = 0.0;
            for (unsigned k = fe.first[m]; k <= fe.last[m] && k < NBINS; k++)
                e += fe.weight[m][k] * power[k];
            db[(size_t)t * SIRNN_SPEECH_BANDS + m] = (float)(10.0 * log10(e > 1e-8 ? e : 1e-8));
        }
    }
    free(in);
    free(out);
    return SIRNN_OK;
}

void sirnn_speech_quantise(uint8_t *feat, const float *db, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double q = 2.0 * ((double)db[i] - SIRNN_SPEECH_DB_FLOOR);
        feat[i] = !(q > 0.0) ? 0 : q >= 255.0 ? 255 : (uint8_t)lround(q);
    }
}

sirnn_status sirnn_speech_features(uint8_t *feat, const char *path)
{
    if (feat == NULL) {
        sirnn_set_last_error("speech_features: NULL argument");
        return SIRNN_ERR_ARG;
    }
    float *samples = malloc(SIRNN_SPEECH_SAMPLES * sizeof(float));
    float *db = malloc(FEAT_PER_CLIP * sizeof(float));
    sirnn_status st = samples == NULL || db == NULL ? SIRNN_ERR_NOMEM : SIRNN_OK;
    if (st != SIRNN_OK)
        sirnn_set_last_error("speech_features: out of memory");
    if (st == SIRNN_OK)
        st = sirnn_speech_read(samples, path);
    if (st == SIRNN_OK)
        st = sirnn_speech_logmel(db, samples);
    if (st == SIRNN_OK)
        sirnn_speech_quantise(feat, db, FEAT_PER_CLIP);
    free(samples);
    free(db);
    return st;
}

/* ---- keyword lists --------------------------------------------------------- */

typedef struct clip_ref {
    char *path;
    unsigned line;
} clip_ref;

sirnn_status sirnn_speech_load_list(sirnn_dataset *out, const char *list, size_t max_n,
                                    unsigned threads)
{
    if (out == NULL || list == NULL) {
        sirnn_set_last_error("speech_load_list: NULL argument");
        return SIRNN_ERR_ARG;
    }
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(list, "r");
    if (f == NULL) {
        sirnn_set_last_error("%s: cannot open: %s", list, strerror(errno));
        return SIRNN_ERR_IO;
    }
    /* Paths are relative to the list's directory. */
    const char *slash = strrchr(list, '/');
    const size_t dirlen = slash == NULL ? 0 : (size_t)(slash - list) + 1;
    clip_ref *clips = NULL;
    uint8_t *labels = NULL;
    size_t n = 0, cap = 0;
    sirnn_status st = SIRNN_OK;
    char line[4096];
    unsigned lineno = 0;
    while ((max_n == 0 || n < max_n) && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            sirnn_set_last_error("%s:%u: line too long", list, lineno);
            st = SIRNN_ERR_ARG;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' '))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char *sp = strchr(line, ' ');
        if (sp == NULL || sp[1] == '\0') {
            sirnn_set_last_error("%s:%u: expected '<keyword> <path>'", list, lineno);
            st = SIRNN_ERR_ARG;
            break;
        }
        *sp = '\0';
        const char *rel = sp + 1;
        const int label = sirnn_speech_label(line);
        if (label < 0) {
            sirnn_set_last_error("%s:%u: '%s' is not one of the 30 keywords", list, lineno,
                                 line);
            st = SIRNN_ERR_ARG;
            break;
        }
        if (n == cap) {
            const size_t nc = cap == 0 ? 1024 : 2 * cap;
            clip_ref *c2 = realloc(clips, nc * sizeof(*clips));
            uint8_t *l2 = c2 != NULL ? realloc(labels, nc) : NULL;
            if (c2 != NULL)
                clips = c2;
            if (l2 == NULL) {
                st = SIRNN_ERR_NOMEM;
                sirnn_set_last_error("speech_load_list: out of memory");
                break;
            }
            labels = l2;
            cap = nc;
        }
        const size_t pre = rel[0] == '/' ? 0 : dirlen, rl = strlen(rel);
        char *p = malloc(pre + rl + 1);
        if (p == NULL) {
            st = SIRNN_ERR_NOMEM;
            sirnn_set_last_error("speech_load_list: out of memory");
            break;
        }
        memcpy(p, list, pre);
        memcpy(p + pre, rel, rl + 1);
        clips[n].path = p;
        clips[n].line = lineno;
        labels[n] = (uint8_t)label;
        n++;
    }
    if (st == SIRNN_OK && ferror(f)) {
        sirnn_set_last_error("%s: read error", list);
        st = SIRNN_ERR_IO;
    }
    fclose(f);
    if (st == SIRNN_OK && n == 0) {
        sirnn_set_last_error("%s: no clips", list);
        st = SIRNN_ERR_ARG;
    }
    uint8_t *images = NULL;
    if (st == SIRNN_OK && (images = malloc(n * FEAT_PER_CLIP)) == NULL) {
        sirnn_set_last_error("speech_load_list: out of memory");
        st = SIRNN_ERR_NOMEM;
    }
    if (st == SIRNN_OK) {
        /* Each thread's errors stay in its thread: record the first failing
         * clip and read it again here for the message. */
        size_t bad = n;
        const int nt = sirnn_fg_threads(threads);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 16)
        for (size_t i = 0; i < n; i++) {
            if (sirnn_speech_features(images + i * FEAT_PER_CLIP, clips[i].path) != SIRNN_OK) {
#pragma omp critical(speech_load_bad)
                if (i < bad)
                    bad = i;
            }
        }
        if (bad < n) {
            st = sirnn_speech_features(images + bad * FEAT_PER_CLIP, clips[bad].path);
            if (st == SIRNN_OK) /* cannot happen for a file that did not change */
                st = SIRNN_ERR_IO;
            char msg[512];
            snprintf(msg, sizeof(msg), "%s", sirnn_last_error());
            sirnn_set_last_error("%s:%u: %s", list, clips[bad].line, msg);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(clips[i].path);
    free(clips);
    if (st != SIRNN_OK) {
        free(images);
        free(labels);
        return st;
    }
    out->n = n;
    out->rows = SIRNN_SPEECH_FRAMES;
    out->cols = SIRNN_SPEECH_BANDS;
    out->classes = SIRNN_SPEECH_CLASSES;
    out->images = images;
    out->labels = labels;
    return SIRNN_OK;
}
