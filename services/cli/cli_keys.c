/*  =========================================================================
    cli_keys - `kejin keys new|list|revoke`: the node's CURVE keys

    Edits the node's key directory (kj_keys) directly, on the node's own
    machine: --dir, else KEJIN_NODE_KEYS (which `make up` exports in
    run/node.env). Daemons read the directory at every handshake, so a key
    issued or revoked takes effect without a restart.
    =========================================================================
*/

#include "cli_reg.h"

static const char *s_usage = N_ (
    "Usage: kejin keys new NAME --role ROLE [--city CODE] [--services LIST]\n"
    "                      [--topics LIST] [--out FILE] [--dir DIR]\n"
    "       kejin keys list [--dir DIR] [--json]\n"
    "       kejin keys revoke NAME [--dir DIR]\n"
    "Issue, list and revoke the CURVE keys that may connect to this node.\n"
    "\n"
    "  new      issue a key: its public certificate joins DIR/public, its\n"
    "           secret certificate goes to --out FILE (default\n"
    "           DIR/secret/NAME.key_secret, mode 600): hand that file to\n"
    "           its holder, and only to them\n"
    "  list     every key: name, role, city, rights, valid or revoked\n"
    "  revoke   take a key back: the next handshake with it fails\n"
    "\n"
    "  --role ROLE       service (registers workers for --services),\n"
    "                    operator (changes and approves), integrator\n"
    "                    (reads; subscribes to --topics), peer (another\n"
    "                    city's broker)\n"
    "  --city CODE       6-digit region code, e.g. 210300 Anshan\n"
    "  --services LIST   service keys: MDP services it may serve,\n"
    "                    comma-separated, or *\n"
    "  --topics LIST     integrator keys: event topic prefixes it may read,\n"
    "                    comma-separated (default *: all)\n"
    "  --dir DIR         the key directory (default $KEJIN_NODE_KEYS, set\n"
    "                    by `source run/node.env`)\n");

static kj_keys_t *
s_open (cli_args_t *args)
{
    const char *dir = cli_args_get (args, "dir");
    if (!dir)
        dir = getenv ("KEJIN_NODE_KEYS");
    if (!dir || !*dir) {
        fprintf (stderr, _ ("kejin: which key directory? Give --dir DIR, or "
                            "`source run/node.env` for the node's "
                            "(KEJIN_NODE_KEYS)\n"));
        return NULL;
    }
    kj_keys_t *keys = kj_keys_new (dir);
    if (!keys)
        fprintf (stderr, _ ("kejin: cannot use the key directory %s: %s\n"),
                 dir, strerror (errno));
    return keys;
}

static int
s_refused (const kj_status_t *status)
{
    fprintf (stderr, "kejin: %s%s%s%s\n", *status->field ? "--" : "",
             status->field, *status->field ? ": " : "", status->message);
    return status->code == KJ__CODE__INVALID_ARGUMENT ? CLI_USAGE : CLI_FAILED;
}

static int
s_new (cli_t *cli, int argc, char **argv)
{
    cli_args_t
        *args = cli_args_verb (argc, argv,
                               "role= city= services= "
                               "topics= out= dir=",
                               s_usage, 1, "role",
                               N_ ("keys new needs NAME and --role ROLE"));
    if (!args)
        return CLI_USAGE;
    kj_keys_t *keys = s_open (args);
    if (!keys) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    kj_key_info_t info;
    memset (&info, 0, sizeof info);
    kj_strlcpy (info.name, cli_args_positional (args, 0), sizeof info.name);
    kj_strlcpy (info.role, cli_args_get (args, "role"), sizeof info.role);
    kj_strlcpy (info.city, cli_args_text (args, "city"), sizeof info.city);
    kj_strlcpy (info.services, cli_args_text (args, "services"),
                sizeof info.services);
    kj_strlcpy (info.topics, cli_args_text (args, "topics"),
                sizeof info.topics);
    const char *out = cli_args_get (args, "out");
    kj_status_t status;
    int rc = CLI_OK;
    if (kj_keys_issue (keys, &info, out, &status))
        rc = s_refused (&status);
    else {
        char *secret = out ? strdup (out)
                           : zsys_sprintf ("%s/secret/%s.key_secret",
                                           kj_keys_dir (keys), info.name);
        if (cli->json)
            cli_print_object (json_pack ("{s:s, s:s, s:s, s:s, s:s}", "name",
                                         info.name, "role", info.role, "city",
                                         info.city, "key", info.key,
                                         "secret_file", secret));
        else
            printf (_ ("issued %s (%s%s%s)\n  public key   %s\n  secret "
                       "file  %s  (give it to its holder only)\n"),
                    info.name, info.role, *info.city ? _ (", city ") : "",
                    info.city, info.key, secret);
        free (secret);
    }
    kj_keys_destroy (&keys);
    cli_args_destroy (&args);
    return rc;
}

static void
s_list_one (const kj_key_info_t *info, bool revoked, void *arg)
{
    cli_t *cli = (cli_t *) arg;
    const char *rights = *info->services ? info->services : info->topics;
    if (cli->json)
        cli_print_object (json_pack ("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
                                     "name", info->name, "role", info->role,
                                     "city", info->city, "services",
                                     info->services, "topics", info->topics,
                                     "revoked", revoked, "key", info->key));
    else
        printf ("%-20s %-11s %-7s %-24s %-8s %s\n", info->name, info->role,
                *info->city ? info->city : "-", *rights ? rights : "-",
                revoked ? _ ("revoked") : _ ("valid"), info->key);
}

static int
s_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "dir=", s_usage, 0, NULL,
                                      N_ ("keys list takes no NAME"));
    if (!args)
        return CLI_USAGE;
    kj_keys_t *keys = s_open (args);
    int rc = keys ? CLI_OK : CLI_USAGE;
    if (keys) {
        if (!cli->json)
            printf ("%-20s %-11s %-7s %-24s %-8s %s\n", _ ("NAME"), _ ("ROLE"),
                    _ ("CITY"), _ ("SERVICES/TOPICS"), _ ("STATE"),
                    _ ("PUBLIC KEY"));
        kj_keys_list (keys, s_list_one, cli);
    }
    kj_keys_destroy (&keys);
    cli_args_destroy (&args);
    return rc;
}

static int
s_revoke (cli_t *cli, int argc, char **argv)
{
    cli_args_t
        *args = cli_args_verb (argc, argv, "dir=", s_usage, 1, NULL,
                               N_ ("keys revoke needs the NAME of a key"));
    if (!args)
        return CLI_USAGE;
    kj_keys_t *keys = s_open (args);
    int rc = CLI_USAGE;
    if (keys) {
        kj_status_t status;
        const char *name = cli_args_positional (args, 0);
        rc = kj_keys_revoke (keys, name, &status) ? s_refused (&status)
                                                  : CLI_OK;
        if (rc == CLI_OK && !cli->json)
            printf (_ ("revoked %s: every new handshake with it fails\n"),
                    name);
        else if (rc == CLI_OK)
            cli_print_object (
                json_pack ("{s:s, s:b}", "name", name, "revoked", 1));
    }
    kj_keys_destroy (&keys);
    cli_args_destroy (&args);
    return rc;
}

int
cli_keys (cli_t *cli, int argc, char **argv)
{
    static const struct {
        const char *verb;
        int (*run) (cli_t *, int, char **);
    } verbs [] = { { "new", s_new },
                   { "list", s_list },
                   { "revoke", s_revoke } };
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs [0]; i++)
        if (streq (argv [1], verbs [i].verb))
            return verbs [i].run (cli, argc, argv);
    fprintf (stderr,
             _ ("kejin: unknown keys command '%s'\nTry 'kejin keys "
                "--help'.\n"),
             argv [1]);
    return CLI_USAGE;
}
