/*
 * Speech clips for the `sirnn` subcommands: the held-out list of a data set
 * made by scripts/speech_dataset.sh, and loose sound files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/party.h"
#include "sirnn/speech.h"
#include "tools/commands.h"

int sirnn_tool_is_speech_model(const sirnn_fastgrnn *m)
{
    return m->dims.input == SIRNN_SPEECH_BANDS && m->dims.steps == SIRNN_SPEECH_FRAMES &&
           m->dims.classes == SIRNN_SPEECH_CLASSES;
}

const char *sirnn_tool_speech_dir(const char *dir)
{
    if (dir != NULL)
        return dir;
    const char *env = getenv("SIRNN_SPEECH_DIR");
    return env != NULL && *env != '\0' ? env : SIRNN_TOOL_SPEECH_DIR;
}

int sirnn_tool_load_speech_test(sirnn_dataset *ds, const char *dir, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/test.txt", sirnn_tool_speech_dir(dir));
    if (sirnn_speech_load_list(ds, path, n, 0) != SIRNN_OK) {
        fprintf(stderr, "%s\n(make the data set with `make speech-data`, or point --speech or "
                        "$SIRNN_SPEECH_DIR at one)\n", sirnn_last_error());
        return -1;
    }
    return 0;
}

int sirnn_tool_load_wavs(sirnn_dataset *ds, char *const *paths, size_t n)
{
    const size_t per = (size_t)SIRNN_SPEECH_FRAMES * SIRNN_SPEECH_BANDS;
    memset(ds, 0, sizeof(*ds));
    if (n == 0)
        return -1;
    ds->images = malloc(n * per);
    if (ds->images == NULL) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (sirnn_speech_features(ds->images + i * per, paths[i]) != SIRNN_OK) {
            fprintf(stderr, "%s\n", sirnn_last_error());
            sirnn_dataset_free(ds);
            return -1;
        }
    ds->n = n;
    ds->rows = SIRNN_SPEECH_FRAMES;
    ds->cols = SIRNN_SPEECH_BANDS;
    ds->classes = SIRNN_SPEECH_CLASSES;
    return 0;
}
