/*  =========================================================================
    kejin - the command line of a Kejin city node

    kejin [--broker ENDPOINT] [--json] [--timeout MS] COMMAND ...
    =========================================================================
*/

#include "cli.h"
#include <locale.h>
#include <signal.h>

typedef struct {
    const char *name;
    const char *summary;
    int (*run) (cli_t *cli, int argc, char **argv);
} command_t;

static const command_t s_commands [] = {
    { "status", N_ ("the broker, its services and their workers"), cli_status },
    { "config", N_ ("read or check the node's config file as the daemons do"),
      cli_config },
    { "events", N_ ("tail the event log, or show its stats"), cli_events },
    { "enterprise",
      N_ ("enterprises of the library: add, show, list, stage, ..."),
      cli_enterprise },
    { "institution", N_ ("financial institutions on the platform"),
      cli_institution },
    { "product", N_ ("products of the supermarket: add, list, search, ..."),
      cli_product },
    { "code", N_ ("check a unified social credit code and explain it"),
      cli_code },
    { "demo", N_ ("demo data: generate CSV files, or load them"), cli_demo },
    { "score",
      N_ ("credit scoring: batches, portraits with reasons, "
          "what-if, models"),
      cli_score },
    { "keys", N_ ("the node's CURVE keys: new, list, revoke"), cli_keys },
    { "audit", N_ ("check the services' hash-chained audit trails"),
      cli_audit },
    { "guarantee",
      N_ ("guarantee compensation: calc (offline, from a CSV "
          "file)"),
      cli_guarantee },
    { "ipo",
      N_ ("IPO pipeline: reserve pool, stages, subsidy claims, "
          "report; board fit and subsidy replay offline"),
      cli_ipo },
    { "demand", N_ ("financing demands: add, list, show"), cli_demand },
    { "match",
      N_ ("rank the products for a demand, and say why not "
          "another"),
      cli_match },
    { "application",
      N_ ("applications for a product: apply, move, show, link an "
          "investor"),
      cli_application },
    { "roadshow",
      N_ ("put a demand before institutions on a date: add, respond, "
          "show"),
      cli_roadshow },
    { "mirror", N_ ("a hub's copies of other cities' event logs: links"),
      cli_mirror },
    { NULL }
};

static void
s_help (FILE *out)
{
    fprintf (
        out,
        _ ("Usage: kejin [OPTIONS] COMMAND [ARGS]...\n"
           "The command line of a Kejin city node: talks to its broker.\n\n"
           "Options:\n"
           "  --broker ENDPOINT   broker to talk to (env KEJIN_NODE_BROKER,\n"
           "                      default tcp://127.0.0.1:5555)\n"
           "  --json              JSON, one object per line, instead of "
           "tables\n"
           "  --timeout MS        wait per attempt (default 5000)\n"
           "  -h, --help          this help; `kejin COMMAND --help` for one "
           "command\n"
           "  -V, --version       print the version\n\n"
           "Commands:\n"));
    for (const command_t *command = s_commands; command->name; command++) {
        fputs ("  ", out);
        cli_pad (out, command->name, 12);
        fprintf (out, " %s\n", _ (command->summary));
    }
    fprintf (out, "%s",
             _ ("\nKeys: with KEJIN_NODE_KEYS set (`source run/node.env` sets "
                "it), kejin\nconnects with the key that KEJIN_KEY names "
                "(default operator) from its secret/.\n"));
    fprintf (
        out,
        _ ("\nExit codes: 0 done, 1 refused by the service, 2 bad arguments or "
           "input,\n3 no answer (node down or timeout), 4 internal error.\n"));
}

int
main (int argc, char **argv)
{
    //  UTF-8 for widths and bytes; messages in the user's language
    setlocale (LC_ALL, "C.UTF-8");
    setlocale (LC_MESSAGES, "");
    kj_log_init ("kejin", getenv ("KEJIN_LOG_LEVEL")
                              ? getenv ("KEJIN_LOG_LEVEL")
                              : "warn");
    kj_signals_init ();
    //  A reader that goes away (`kejin enterprise export | head -1`) ends
    //  the CLI quietly, as it does any Unix filter; ZeroMQ sends with
    //  MSG_NOSIGNAL, so no socket of ours raises it
    signal (SIGPIPE, SIG_DFL);
    cli_t cli = { .prog = "kejin", .timeout_ms = 5000 };
    cli.broker = getenv ("KEJIN_NODE_BROKER");
    if (!cli.broker)
        cli.broker = "tcp://127.0.0.1:5555";

    int i = 1;
    for (; i < argc && argv [i][0] == '-'; i++) {
        const char *arg = argv [i];
        if (streq (arg, "--json"))
            cli.json = true;
        else if (streq (arg, "--broker") && i + 1 < argc)
            cli.broker = argv [++i];
        else if (streq (arg, "--timeout") && i + 1 < argc)
            cli.timeout_ms = atoi (argv [++i]);
        else if (streq (arg, "-h") || streq (arg, "--help")) {
            s_help (stdout);
            return CLI_OK;
        }
        else if (streq (arg, "-V") || streq (arg, "--version")) {
            printf ("kejin %s\n", KEJIN_VERSION);
            return CLI_OK;
        }
        else {
            fprintf (stderr,
                     _ ("kejin: unknown option '%s'\nTry 'kejin --help'.\n"),
                     arg);
            return CLI_USAGE;
        }
    }
    if (cli.timeout_ms <= 0) {
        fprintf (stderr,
                 _ ("kejin: --timeout takes a positive number of ms\n"));
        return CLI_USAGE;
    }
    if (i >= argc) {
        s_help (stderr);
        return CLI_USAGE;
    }
    //  `kejin help` is --help; `kejin help COMMAND` is `kejin COMMAND --help`
    if (streq (argv [i], "help")) {
        if (i + 1 >= argc) {
            s_help (stdout);
            return CLI_OK;
        }
        argv [i] = argv [i + 1];
        argv [i + 1] = "--help";
    }
    //  Options may also follow the command: `kejin status --json`
    for (int k = i + 1; k < argc; k++)
        if (streq (argv [k], "--json"))
            cli.json = true;

    int rc = CLI_USAGE;
    const command_t *command = s_commands;
    for (; command->name; command++)
        if (streq (command->name, argv [i]))
            break;
    if (command->name)
        rc = command->run (&cli, argc - i, argv + i);
    else
        fprintf (stderr,
                 _ ("kejin: unknown command '%s'\nTry 'kejin --help'.\n"),
                 argv [i]);
    kj_client_destroy (&cli.client);
    return rc;
}
