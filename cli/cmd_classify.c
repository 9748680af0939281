/* cli/cmd_classify.c: placeholder until the classify command lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_classify(int argc, char **argv)
{
    static const char usage[] = "usage: rnnkit classify <verb> [options]\n";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    return cli_usage_error(usage, "classify: not available in this build");
}
