/*
 * Subcommands of the `sirnn` command, one file each (tools/cmd_*.c). Each
 * takes the arguments after its name and returns the process exit code:
 * 0 on success, 1 on a runtime failure, 2 on a usage error.
 */
#ifndef SIRNN_TOOLS_COMMANDS_H
#define SIRNN_TOOLS_COMMANDS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "sirnn/party.h"

/* sirnn train: train FastGRNN on Fashion-MNIST, quantise, write a model file. */
int sirnn_cmd_train(int argc, char **argv);
/* sirnn demo: secure inference of Fashion-MNIST test images, both parties in
 * this process over loopback TCP (--kernels: the kernel-speed demo). */
int sirnn_cmd_demo(int argc, char **argv);
/* sirnn serve: answer secure-inference queries with a model file. */
int sirnn_cmd_serve(int argc, char **argv);
/* sirnn query: classify images with a remote `sirnn serve`. */
int sirnn_cmd_query(int argc, char **argv);

/* sirnn import: ONNX model -> quantised graph model file (tools/cmd_import.c). */
int sirnn_cmd_import(int argc, char **argv);
/* sirnn run: secure inference of Fashion-MNIST images with a graph model. */
int sirnn_cmd_run(int argc, char **argv);
/* The body of `sirnn run`, also `sirnn demo --model X.sirnn` for a graph
 * model (cmd names the command in messages and in the closing "cmd ok"). */
int sirnn_tool_graph_run(const char *cmd, int argc, char **argv);

/* ---- helpers shared by the commands (tools/tool_util.c) ---- */

/* Seconds on the monotonic clock. */
double sirnn_tool_now(void);
/* An unsigned decimal in [lo, hi] into *out; 0 on success, -1 otherwise. */
int sirnn_tool_parse_u(const char *s, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out);
/* "HOST:PORT" (the last ':' splits) into host[hostlen] and *port (1..65535);
 * 0 on success. */
int sirnn_tool_parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port);
/* A progress bar on stderr when it is a terminal (redrawn at most every
 * 0.1 s; done == total prints the final state and a newline), else nothing. */
typedef struct sirnn_tool_bar {
    const char *label;
    int tty;
    double t0, last;
} sirnn_tool_bar;
void sirnn_tool_bar_init(sirnn_tool_bar *b, const char *label);
void sirnn_tool_bar_update(sirnn_tool_bar *b, unsigned done, unsigned total);
/* The name of a Fashion-MNIST class (0..9), "?" otherwise. */
const char *sirnn_tool_fashion_class(unsigned k);
/* The images of ds as the inputs of graph g (p * in_mul + in_add), malloc'ed;
 * NULL if g does not read rows x cols values, or out of memory
 * (tools/cmd_import.c). */
struct sirnn_graph;
struct sirnn_dataset;
float *sirnn_tool_fashion_inputs(const struct sirnn_graph *g, const struct sirnn_dataset *ds);

/* Whether the file at path is a graph model file (sirnn import; its magic
 * "SIRNNGR\0"), as opposed to a FastGRNN model (tools/cmd_run.c). */
int sirnn_tool_is_graph_file(const char *path);

/* ---- tools/tool_net.c: --net and --profile ---- */

struct sirnn_party;
struct sirnn_link;
/* "--net PROFILE" into *link; prints the error for `cmd` and returns -1 if
 * PROFILE is missing or not a link profile. */
int sirnn_tool_parse_net(const char *cmd, const char *v, struct sirnn_link *link);
/* One line describing the link ("loopback (no emulated link)" or the
 * profile with its figures). */
void sirnn_tool_print_net(const struct sirnn_link *link);
/* A party's profile rows, kept so that they can be printed after the
 * session ends. */
typedef struct sirnn_tool_profile {
    size_t n;
    struct sirnn_profile_row *rows; /* n of them, malloc'd; NULL when empty */
} sirnn_tool_profile;
void sirnn_tool_profile_take(sirnn_tool_profile *out, const struct sirnn_party *party);
void sirnn_tool_profile_free(sirnn_tool_profile *p);
/* The per-layer, per-protocol table of a profile (the peer's rows, if not
 * NULL, add their flights: both parties'), then totals per protocol. */
void sirnn_tool_print_profile(const sirnn_tool_profile *mine, const sirnn_tool_profile *peer);

/* ---- tools/tool_net.c: a model's server on a thread of this process ---- */

/* `sirnn demo` and `sirnn run` run both parties in one process: the server
 * (party 0) on a thread accepting one client on a loopback listener, and
 * answering its queries with serve() until the client ends the session.
 * Start fills lst, party, st, served, before/after (the server's stats
 * around its first query) and prof (its profile rows of the first query,
 * when profile is set); the caller connects to sirnn_listener_port(s->lst)
 * with the config it wants (its own link), then, after freeing its client
 * (which lets a failed server return), calls finish. */
typedef sirnn_status (*sirnn_tool_serve_fn)(struct sirnn_party *party, size_t *got,
                                            const void *model);
typedef struct sirnn_tool_local_server {
    sirnn_tool_serve_fn serve;
    const void *model;
    int profile;
    sirnn_config cfg;
    struct sirnn_listener *lst;
    pthread_t thread;
    struct sirnn_party *party;
    sirnn_status st;
    size_t served;
    sirnn_stats before, after;
    sirnn_tool_profile prof;
    char err[256];
} sirnn_tool_local_server;
/* Opens the listener and starts the thread; on failure prints why for cmd
 * and returns -1 (nothing to finish). */
int sirnn_tool_local_server_start(sirnn_tool_local_server *s, const char *cmd);
/* Joins the thread, closes the listener and frees the server's party (its
 * profile rows stay in prof, freed with sirnn_tool_profile_free). */
void sirnn_tool_local_server_finish(sirnn_tool_local_server *s);

/* ---- speech clips (tools/speech_util.c) ---- */

struct sirnn_fastgrnn;
struct sirnn_dataset;
/* Where `make speech-data` puts the synthesised keyword data set. */
#define SIRNN_TOOL_SPEECH_DIR "build/out/speech"
/* Non-zero if m reads the speech front end's features (99 x 32, 30 keywords). */
int sirnn_tool_is_speech_model(const struct sirnn_fastgrnn *m);
/* dir, else $SIRNN_SPEECH_DIR, else SIRNN_TOOL_SPEECH_DIR. */
const char *sirnn_tool_speech_dir(const char *dir);
/* The first n clips (0: all) of the held-out list DIR/test.txt; 0 on
 * success, else -1 after a message on stderr. */
int sirnn_tool_load_speech_test(struct sirnn_dataset *ds, const char *dir, size_t n);
/* The features of n sound files (no labels); 0 or -1 as above. */
int sirnn_tool_load_wavs(struct sirnn_dataset *ds, char *const *paths, size_t n);

#endif /* SIRNN_TOOLS_COMMANDS_H */
