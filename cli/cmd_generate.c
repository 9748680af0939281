/* cli/cmd_generate.c: placeholder until the generate command lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_generate(int argc, char **argv)
{
    static const char usage[] = "usage: rnnkit generate <verb> [options]\n";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    return cli_usage_error(usage, "generate: not available in this build");
}
