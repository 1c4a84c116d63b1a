/*
 * The `sirnn` command.
 *
 *   sirnn demo      secure inference of Fashion-MNIST images, both parties
 *                   in one process over loopback TCP
 *   sirnn serve     answer secure-inference queries with a model file
 *   sirnn query     classify images with a remote `sirnn serve`
 *   sirnn train     train FastGRNN on Fashion-MNIST
 *   sirnn import    ONNX model -> quantised graph model file
 *   sirnn run       secure inference with an imported graph model
 *   sirnn version
 *   sirnn help
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/sirnn.h"
#include "tools/commands.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: sirnn <command> [options]   (sirnn <command> --help for each)\n"
                 "commands:\n"
                 "  demo      secure inference of the first N Fashion-MNIST test images, both\n"
                 "            parties in this process over loopback TCP (--kernels: kernel speeds)\n"
                 "  serve     answer secure-inference queries with a model file (party 0)\n"
                 "  query     classify images with a remote `sirnn serve` (party 1)\n"
                 "  train     train FastGRNN on Fashion-MNIST and write a quantised model file\n"
                 "  import    ONNX model -> calibrated, quantised graph model file\n"
                 "  run       secure inference of Fashion-MNIST images with an imported model\n"
                 "  version   print the library version and the SIMD level\n"
                 "  help      this text\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("libsirnn %s (SIMD level %s)\n", sirnn_version(), sirnn_isa_name());
        return 0;
    }
    if (strcmp(cmd, "demo") == 0)
        return sirnn_cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0)
        return sirnn_cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "query") == 0)
        return sirnn_cmd_query(argc - 2, argv + 2);
    if (strcmp(cmd, "train") == 0)
        return sirnn_cmd_train(argc - 2, argv + 2);
    if (strcmp(cmd, "import") == 0)
        return sirnn_cmd_import(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0)
        return sirnn_cmd_run(argc - 2, argv + 2);
    fprintf(stderr, "sirnn: unknown command '%s' (try 'sirnn help')\n", cmd);
    return 2;
}
