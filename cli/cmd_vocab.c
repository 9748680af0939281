/* cli/cmd_vocab.c: placeholder until the vocab command lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_vocab(int argc, char **argv)
{
    static const char usage[] = "usage: rnnkit vocab <verb> [options]\n";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    return cli_usage_error(usage, "vocab: not available in this build");
}
