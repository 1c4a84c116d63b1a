/*
 * The speech front end: sound files written here with libsndfile (tones,
 * seeded noise, other rates, stereo, short files), the log-mel features
 * against an independent reference (a direct DFT in long double and a
 * filterbank written from the header's description), the feature bytes at
 * their edges, and keyword lists (good, malformed, missing clips).
 */
#include "tests/harness.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sirnn/party.h"
#include "sirnn/speech.h"

#define FEATS (SIRNN_SPEECH_FRAMES * SIRNN_SPEECH_BANDS)

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sirnn_test_speech_XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Write frames x channels float samples as 16-bit PCM WAV. */
static void write_wav(const char *path, const float *x, size_t frames, int rate, int channels)
{
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    info.samplerate = rate;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    assert_int_equal(sf_writef_float(f, x, (sf_count_t)frames), (sf_count_t)frames);
    assert_int_equal(sf_close(f), 0);
}

/* What 16-bit PCM keeps of x, to one step (libsndfile scales floats by
 * 32767 on write, rounding in float, and divides by 32768 on read). */
static float pcm16(float x)
{
    double q = nearbyint((double)x * 32767.0);
    return (float)(q / 32768.0);
}

/* ---- the reference ------------------------------------------------------ */

/* Log-mel in dB by a direct DFT, from the description in speech.h. */
static void ref_logmel(double *db, const float *x)
{
    const long double pi = 3.141592653589793238462643383279502884L;
    const unsigned N = SIRNN_SPEECH_FFT, bins = N / 2 + 1, B = SIRNN_SPEECH_BANDS;
    long double cs[SIRNN_SPEECH_FFT], sn[SIRNN_SPEECH_FFT];
    for (unsigned j = 0; j < N; j++) {
        cs[j] = cosl(2.0L * pi * j / N);
        sn[j] = sinl(2.0L * pi * j / N);
    }
    double hz[SIRNN_SPEECH_BANDS + 2];
    const double lo = 2595.0 * log10(1.0 + SIRNN_SPEECH_FMIN / 700.0);
    const double hi = 2595.0 * log10(1.0 + SIRNN_SPEECH_FMAX / 700.0);
    for (unsigned i = 0; i < B + 2; i++)
        hz[i] = 700.0 * (pow(10.0, (lo + (hi - lo) * i / (B + 1)) / 2595.0) - 1.0);
    for (unsigned t = 0; t < SIRNN_SPEECH_FRAMES; t++) {
        long double frame[SIRNN_SPEECH_FFT];
        for (unsigned n = 0; n < N; n++) {
            const size_t i = (size_t)t * SIRNN_SPEECH_HOP + n;
            const long double w = 0.5L - 0.5L * cosl(2.0L * pi * n / SIRNN_SPEECH_WINDOW);
            frame[n] = n < SIRNN_SPEECH_WINDOW && i < SIRNN_SPEECH_SAMPLES ? w * x[i] : 0.0L;
        }
        for (unsigned m = 0; m < B; m++)
            db[t * B + m] = 0.0;
        for (unsigned k = 0; k < bins; k++) {
            long double re = 0, im = 0;
            for (unsigned n = 0; n < SIRNN_SPEECH_WINDOW; n++) {
                re += frame[n] * cs[(k * n) % N];
                im -= frame[n] * sn[(k * n) % N];
            }
            const double p = (double)(re * re + im * im);
            const double f = (double)k * SIRNN_SPEECH_RATE / N;
            for (unsigned m = 0; m < B; m++) {
                /* The triangle as the smaller of its two ramps. */
                double w = fmin((f - hz[m]) / (hz[m + 1] - hz[m]),
                                (hz[m + 2] - f) / (hz[m + 2] - hz[m + 1]));
                if (w > 0)
                    db[t * B + m] += w * p;
            }
        }
        for (unsigned m = 0; m < B; m++)
            db[t * B + m] = 10.0 * log10(fmax(db[t * B + m], 1e-8));
    }
}

static void check_against_ref(const float *x, const char *what)
{
    float *db = malloc(FEATS * sizeof(float));
    double *ref = malloc(FEATS * sizeof(double));
    assert_non_null(db);
    assert_non_null(ref);
    assert_int_equal(sirnn_speech_logmel(db, x), SIRNN_OK);
    ref_logmel(ref, x);
    double worst = 0;
    for (size_t i = 0; i < FEATS; i++) {
        /* Near the floor the energy is rounding noise: compare above it. */
        const double d = ref[i] > -60.0 ? fabs((double)db[i] - ref[i]) : 0.0;
        if (ref[i] <= -60.0)
            assert_true(db[i] < -50.0f);
        worst = fmax(worst, d);
    }
    printf("%s: largest difference from the reference %.2e dB\n", what, worst);
    assert_true(worst < 1e-3);
    free(db);
    free(ref);
}

/* ---- tests -------------------------------------------------------------------- */

static void test_keywords(void **state)
{
    (void)state;
    for (unsigned i = 0; i < SIRNN_SPEECH_CLASSES; i++) {
        const char *w = sirnn_speech_keyword(i);
        assert_non_null(w);
        assert_int_equal(sirnn_speech_label(w), (int)i);
        if (i > 0)
            assert_true(strcmp(sirnn_speech_keyword(i - 1), w) < 0);
    }
    assert_string_equal(sirnn_speech_keyword(0), "bed");
    assert_string_equal(sirnn_speech_keyword(29), "zero");
    assert_null(sirnn_speech_keyword(30));
    assert_int_equal(sirnn_speech_label("Yes"), -1);
    assert_int_equal(sirnn_speech_label("learn"), -1);
    assert_int_equal(sirnn_speech_label(""), -1);
    assert_int_equal(sirnn_speech_label(NULL), -1);
}

/* A tone: read back exactly, matches the reference, and its energy sits in
 * the band around its frequency. */
static void test_tone(void **state)
{
    (void)state;
    test_rng r;
    test_rng_init(&r, test_seed());
    const double freq = 300.0 + (double)test_rng_below(&r, 3000);
    const float amp = 0.5f;
    float *x = malloc(SIRNN_SPEECH_SAMPLES * sizeof(float));
    float *y = malloc(SIRNN_SPEECH_SAMPLES * sizeof(float));
    assert_non_null(x);
    assert_non_null(y);
    for (unsigned i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
        x[i] = amp * (float)sin(2.0 * M_PI * freq * i / SIRNN_SPEECH_RATE);
    char path[128];
    tmp_path(path, sizeof(path), "tone.wav");
    write_wav(path, x, SIRNN_SPEECH_SAMPLES, SIRNN_SPEECH_RATE, 1);
    assert_int_equal(sirnn_speech_read(y, path), SIRNN_OK);
    for (unsigned i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
        assert_float_equal(y[i], pcm16(x[i]), 1.0 / 32768);
    char what[64];
    snprintf(what, sizeof(what), "%.0f Hz tone", freq);
    check_against_ref(y, what);

    /* The loudest band of a middle frame is the one whose centre is nearest
     * the tone on the mel scale. */
    float db[FEATS];
    assert_int_equal(sirnn_speech_logmel(db, y), SIRNN_OK);
    const float *fr = db + 50 * SIRNN_SPEECH_BANDS;
    unsigned best = 0;
    for (unsigned m = 1; m < SIRNN_SPEECH_BANDS; m++)
        if (fr[m] > fr[best])
            best = m;
    const double lo = 2595.0 * log10(1.0 + SIRNN_SPEECH_FMIN / 700.0);
    const double hi = 2595.0 * log10(1.0 + SIRNN_SPEECH_FMAX / 700.0);
    const double mel = 2595.0 * log10(1.0 + freq / 700.0);
    const double pos = (mel - lo) / (hi - lo) * (SIRNN_SPEECH_BANDS + 1) - 1.0;
    assert_true(fabs((double)best - pos) <= 1.0);
    /* A 0.5 tone: |X| at its bin is about 0.5 * 200 / 2, so 34 dB give or take. */
    assert_true(fr[best] > 25.0f && fr[best] < 40.0f);

    /* The feature bytes are the quantised dB values. */
    uint8_t feat[FEATS], q[FEATS];
    assert_int_equal(sirnn_speech_features(feat, path), SIRNN_OK);
    sirnn_speech_quantise(q, db, FEATS);
    assert_memory_equal(feat, q, FEATS);
    free(x);
    free(y);
}

/* Seeded noise with silence and a burst: every value against the reference. */
static void test_noise_and_silence(void **state)
{
    (void)state;
    test_rng r;
    test_rng_init(&r, test_seed() + 1);
    float *x = calloc(SIRNN_SPEECH_SAMPLES, sizeof(float));
    assert_non_null(x);
    for (unsigned i = 3000; i < 9000; i++)
        x[i] = (float)((double)test_rng_below(&r, 65536) / 32768.0 - 1.0) * 0.3f;
    x[12345] = 1.0f; /* a click */
    check_against_ref(x, "noise, silence and a click");
    float db[FEATS];
    assert_int_equal(sirnn_speech_logmel(db, x), SIRNN_OK);
    /* Digital silence is exactly the floor. */
    for (unsigned m = 0; m < SIRNN_SPEECH_BANDS; m++)
        assert_float_equal(db[m], (float)SIRNN_SPEECH_DB_FLOOR, 0);
    x[7] = NAN;
    assert_int_equal(sirnn_speech_logmel(db, x), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_speech_logmel(NULL, x), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_speech_logmel(db, NULL), SIRNN_ERR_ARG);
    free(x);
}

static void test_quantise_edges(void **state)
{
    (void)state;
    const float db[] = {-1000.0f, -80.0f, -79.76f, -79.74f, -79.5f, 0.0f, 12.3f,
                        47.25f,   47.5f,  47.6f,   1e30f,   NAN,    -INFINITY, INFINITY};
    const uint8_t want[] = {0, 0, 0, 1, 1, 160, 185, 255, 255, 255, 255, 0, 0, 255};
    uint8_t q[sizeof(want)];
    sirnn_speech_quantise(q, db, sizeof(want));
    assert_memory_equal(q, want, sizeof(want));
    sirnn_speech_quantise(NULL, NULL, 0); /* n = 0 touches nothing */
}

/* Stereo is averaged, a short file is padded with zeros, a long one cut;
 * other rates, missing files and non-sound files are refused. */
static void test_files(void **state)
{
    (void)state;
    char path[128];
    float *x = malloc(2 * 20000 * sizeof(float));
    float *y = malloc(SIRNN_SPEECH_SAMPLES * sizeof(float));
    assert_non_null(x);
    assert_non_null(y);
    for (unsigned i = 0; i < 20000; i++) {
        x[2 * i] = 0.25f * (float)sin(0.01 * i);
        x[2 * i + 1] = -0.5f * (float)cos(0.02 * i);
    }
    tmp_path(path, sizeof(path), "stereo.wav");
    write_wav(path, x, 20000, SIRNN_SPEECH_RATE, 2);
    assert_int_equal(sirnn_speech_read(y, path), SIRNN_OK);
    for (unsigned i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
        assert_float_equal(y[i], (pcm16(x[2 * i]) + pcm16(x[2 * i + 1])) / 2, 1.0 / 32768);

    tmp_path(path, sizeof(path), "short.wav");
    write_wav(path, x, 1000, SIRNN_SPEECH_RATE, 1);
    assert_int_equal(sirnn_speech_read(y, path), SIRNN_OK);
    for (unsigned i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
        assert_float_equal(y[i], i < 1000 ? pcm16(x[i]) : 0.0f, i < 1000 ? 1.0 / 32768 : 0.0);

    tmp_path(path, sizeof(path), "8k.wav");
    write_wav(path, x, 8000, 8000, 1);
    assert_int_equal(sirnn_speech_read(y, path), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "8000 Hz"));
    for (unsigned i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
        assert_float_equal(y[i], 0.0f, 0);

    tmp_path(path, sizeof(path), "missing.wav");
    assert_int_equal(sirnn_speech_read(y, path), SIRNN_ERR_IO);
    uint8_t feat[FEATS];
    assert_int_equal(sirnn_speech_features(feat, path), SIRNN_ERR_IO);

    tmp_path(path, sizeof(path), "text.wav");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a sound file, whatever its name says\n", f);
    fclose(f);
    assert_int_equal(sirnn_speech_read(y, path), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_speech_read(NULL, path), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_speech_read(y, NULL), SIRNN_ERR_ARG);
    free(x);
    free(y);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_lists(void **state)
{
    (void)state;
    test_rng r;
    test_rng_init(&r, test_seed() + 2);
    char path[128], list[128], text[1024];
    float *x = malloc(SIRNN_SPEECH_SAMPLES * sizeof(float));
    assert_non_null(x);
    tmp_path(path, sizeof(path), "clips");
    assert_int_equal(mkdir(path, 0700), 0);
    const char *names[3] = {"clips/a.wav", "clips/b.wav", "c.wav"};
    for (int k = 0; k < 3; k++) {
        for (unsigned i = 0; i < SIRNN_SPEECH_SAMPLES; i++)
            x[i] = (float)((double)test_rng_below(&r, 65536) / 32768.0 - 1.0) * 0.1f * (float)(k + 1);
        tmp_path(path, sizeof(path), names[k]);
        write_wav(path, x, SIRNN_SPEECH_SAMPLES, SIRNN_SPEECH_RATE, 1);
    }
    /* A relative path, an absolute one, an empty line, CRLF. */
    tmp_path(path, sizeof(path), names[2]);
    snprintf(text, sizeof(text), "yes clips/a.wav\n\nzero clips/b.wav\r\nbed %s\n", path);
    tmp_path(list, sizeof(list), "list.txt");
    write_text(list, text);
    for (unsigned threads = 1; threads <= 2; threads++) {
        sirnn_dataset ds;
        assert_int_equal(sirnn_speech_load_list(&ds, list, 0, threads), SIRNN_OK);
        assert_int_equal(ds.n, 3);
        assert_int_equal(ds.rows, SIRNN_SPEECH_FRAMES);
        assert_int_equal(ds.cols, SIRNN_SPEECH_BANDS);
        assert_int_equal(ds.classes, SIRNN_SPEECH_CLASSES);
        const uint8_t labels[3] = {28, 29, 0};
        assert_memory_equal(ds.labels, labels, 3);
        for (int k = 0; k < 3; k++) {
            uint8_t feat[FEATS];
            tmp_path(path, sizeof(path), names[k]);
            assert_int_equal(sirnn_speech_features(feat, path), SIRNN_OK);
            assert_memory_equal(ds.images + (size_t)k * FEATS, feat, FEATS);
        }
        sirnn_dataset_free(&ds);
    }
    sirnn_dataset ds;
    assert_int_equal(sirnn_speech_load_list(&ds, list, 2, 1), SIRNN_OK);
    assert_int_equal(ds.n, 2);
    sirnn_dataset_free(&ds);

    write_text(list, "yes clips/a.wav\nlearn clips/b.wav\n");
    assert_int_equal(sirnn_speech_load_list(&ds, list, 0, 1), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), ":2:"));
    assert_null(ds.images);
    write_text(list, "yes\n");
    assert_int_equal(sirnn_speech_load_list(&ds, list, 0, 1), SIRNN_ERR_ARG);
    write_text(list, "");
    assert_int_equal(sirnn_speech_load_list(&ds, list, 0, 1), SIRNN_ERR_ARG);
    write_text(list, "yes clips/a.wav\nno clips/none.wav\nup clips/b.wav\n");
    assert_int_equal(sirnn_speech_load_list(&ds, list, 0, 2), SIRNN_ERR_IO);
    assert_non_null(strstr(sirnn_last_error(), ":2:"));
    assert_non_null(strstr(sirnn_last_error(), "none.wav"));
    tmp_path(list, sizeof(list), "no-such-list.txt");
    assert_int_equal(sirnn_speech_load_list(&ds, list, 0, 1), SIRNN_ERR_IO);
    assert_int_equal(sirnn_speech_load_list(NULL, list, 0, 1), SIRNN_ERR_ARG);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_tone),
        cmocka_unit_test(test_noise_and_silence),
        cmocka_unit_test(test_quantise_edges),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_lists),
    };
    test_seed();
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
