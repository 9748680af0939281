/* cli/main.c: the rnnkit program: dispatch to a command, nothing else
 * (standard streams guarded at start, stdout checked at exit:
 * cli/outputs.c). */
#include <stdio.h>
#include <signal.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"

static const char usage[] =
    "usage: rnnkit <command> <verb> [options]\n"
    "\n"
    "commands:\n"
    "  vocab      build | show | encode | decode   vocabularies from corpora (SQLite)\n"
    "  classify   train | predict | eval           text classification (sentiment)\n"
    "  generate   train | sample | eval            text generation (characters or words)\n"
    "  forecast   train | predict | eval           forecast a numeric series (CSV)\n"
    "  export     -m MODEL --format F OUT          weights as safetensors; vocab.txt, Keras, HF tokenizer\n"
    "  import     --format safetensors IN ...      weights trained elsewhere -> a model file\n"
    "  report     -m MODEL -o REPORT.html          training curves, configuration, scores (HTML)\n"
    "\n"
    "options:\n"
    "  -h, --help       this help; `rnnkit <command> --help` for a command\n"
    "  -V, --version    print the version\n"
    "\n"
    "Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error.\n";

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(NULL, "missing command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("rnnkit %s\n", rnnkit_version());
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "vocab"))
        return cmd_vocab(argc - 1, argv + 1);
    if (!strcmp(cmd, "classify"))
        return cmd_classify(argc - 1, argv + 1);
    if (!strcmp(cmd, "generate"))
        return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(cmd, "forecast"))
        return cmd_forecast(argc - 1, argv + 1);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "import"))
        return cmd_import(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cmd_report(argc - 1, argv + 1);
    if (cmd[0] == '-')
        return cli_usage(NULL, "unknown option '%s'", cmd);
    return cli_usage(NULL, "unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    /* a file-size limit (ulimit -f) is a write error to report, not a crash */
    signal(SIGXFSZ, SIG_IGN);
    cli_guard_std_streams();
    return cli_close_stdout(run(argc, argv));
}
