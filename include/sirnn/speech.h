/*
 * libsirnn speech front end: keyword spotting at the Google Speech Commands
 * shape. A clip (1 s of 16 kHz audio) becomes 99 frames of 32 log-mel
 * energies, quantised to bytes, which a FastGRNN with input 32 and 99 steps
 * reads as its sequence (the frames are the "rows" of a sirnn_dataset image,
 * the bands its "columns"). Everything here is cleartext and runs on the
 * client before its features are secret-shared, so it costs no 2PC. The
 * normalisation of each feature belongs to the model (nn.h).
 *
 * The features, exactly:
 *   - samples: the WAV's first SIRNN_SPEECH_SAMPLES frames (channels
 *     averaged), as floats in [-1, 1]; shorter files are padded with zeros;
 *   - frames: 25 ms windows (400 samples) every 10 ms (160 samples), 99 of
 *     them (the last reads past the end: zeros), each multiplied by the
 *     periodic Hann window 0.5 - 0.5 cos(2 pi n / 400) and zero-padded to
 *     512 samples for the FFT (FFTW3);
 *   - power spectrum |X_k|^2, k = 0..256 (bin k is at k * 16000 / 512 Hz);
 *   - 32 triangular mel filters (HTK mel scale, mel(f) = 2595 log10(1 + f /
 *     700)) whose 34 corner frequencies are equally spaced in mel from 20 Hz
 *     to 8000 Hz; filter m rises from corner m to corner m + 1 and falls to
 *     corner m + 2, weights evaluated at the bin frequencies, not normalised;
 *   - log energy in dB: 10 log10(max(energy, 1e-8)), so at least -80 dB;
 *   - the feature byte: round(2 (dB + 80)) saturated to 0..255, half-dB
 *     steps from -80 dB to +47.5 dB (a full-scale tone reaches about 40 dB).
 *
 * Errors: every call returns a sirnn_status and, on failure, sets
 * sirnn_last_error() (party.h) for the calling thread.
 */
#ifndef SIRNN_SPEECH_H
#define SIRNN_SPEECH_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/nn.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIRNN_SPEECH_RATE 16000u   /* samples per second the front end accepts */
#define SIRNN_SPEECH_SAMPLES 16000u /* one clip: 1 s */
#define SIRNN_SPEECH_WINDOW 400u   /* 25 ms */
#define SIRNN_SPEECH_HOP 160u      /* 10 ms */
#define SIRNN_SPEECH_FFT 512u
#define SIRNN_SPEECH_BANDS 32u     /* features per frame: the model's input */
#define SIRNN_SPEECH_FRAMES 99u    /* frames per clip: the model's steps */
#define SIRNN_SPEECH_FMIN 20.0     /* Hz, lowest mel corner */
#define SIRNN_SPEECH_FMAX 8000.0   /* Hz, highest mel corner */
#define SIRNN_SPEECH_DB_FLOOR (-80.0)
#define SIRNN_SPEECH_CLASSES 30u   /* the Google Speech Commands keywords */

/* The keyword of label 0..29 (alphabetical: "bed", "bird", ... "zero"),
 * NULL for any other label. */
SIRNN_API const char *sirnn_speech_keyword(unsigned label);
/* The label of a keyword (exact, lower case), -1 if it is none. */
SIRNN_API int sirnn_speech_label(const char *word);

/*
 * Read the first second of a sound file (WAV or any format libsndfile
 * reads) into samples[SIRNN_SPEECH_SAMPLES]: channels averaged, values in
 * [-1, 1], zeros after the end of a shorter file. The file must be at
 * SIRNN_SPEECH_RATE (resample others, e.g. `sox in.wav -r 16000 out.wav`).
 * SIRNN_ERR_IO: cannot open or read; SIRNN_ERR_ARG: another sample rate,
 * no samples, or not a sound file.
 */
SIRNN_API sirnn_status sirnn_speech_read(float *samples, const char *path);

/*
 * The log-mel energies of one clip, db[SIRNN_SPEECH_FRAMES *
 * SIRNN_SPEECH_BANDS] (frame-major), in dB as described at the top, from
 * samples[SIRNN_SPEECH_SAMPLES]. Thread-safe. SIRNN_ERR_ARG for NULL
 * arguments or a non-finite sample, SIRNN_ERR_NOMEM.
 */
SIRNN_API sirnn_status sirnn_speech_logmel(float *db, const float *samples);

/* The feature bytes of n dB values: round(2 (db + 80)) saturated to 0..255
 * (NaN gives 0). feat and db must not alias. */
SIRNN_API void sirnn_speech_quantise(uint8_t *feat, const float *db, size_t n);

/* read + logmel + quantise: feat[SIRNN_SPEECH_FRAMES * SIRNN_SPEECH_BANDS]. */
SIRNN_API sirnn_status sirnn_speech_features(uint8_t *feat, const char *path);

/*
 * A labelled set of clips from a list file, one clip per line:
 *   <keyword> <path>
 * with paths relative to the list file's directory (or absolute); empty
 * lines are skipped. out becomes a sirnn_dataset of n "images" of
 * SIRNN_SPEECH_FRAMES rows x SIRNN_SPEECH_BANDS columns (the feature bytes)
 * with labels 0..29, classes = 30. max_n > 0 keeps the first max_n clips.
 * Clips are read on `threads` OpenMP threads (0 = every processor); the
 * result does not depend on it. Errors: SIRNN_ERR_IO (unreadable list or
 * clip), SIRNN_ERR_ARG (malformed line, unknown keyword, bad clip: the
 * message names the file and line), SIRNN_ERR_NOMEM; *out is then zeroed.
 */
SIRNN_API sirnn_status sirnn_speech_load_list(sirnn_dataset *out, const char *list,
                                              size_t max_n, unsigned threads);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_SPEECH_H */
