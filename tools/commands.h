/*
 * Subcommands of the `sirnn` command, one file each (tools/cmd_*.c). Each
 * takes the arguments after its name and returns the process exit code:
 * 0 on success, 1 on a runtime failure, 2 on a usage error.
 */
#ifndef SIRNN_TOOLS_COMMANDS_H
#define SIRNN_TOOLS_COMMANDS_H

/* sirnn train: train FastGRNN on Fashion-MNIST, quantise, write a model file. */
int sirnn_cmd_train(int argc, char **argv);

#endif /* SIRNN_TOOLS_COMMANDS_H */
