/*  =========================================================================
    cli_config - `kejin config get|check`: a node's config file read by the
    daemons' own code (kj_config) and checked against every daemon's table

    deploy/kejin-node reads the file only through `kejin config get`, so
    that a file the daemons accept is read the same way by the launcher;
    `kejin config check` refuses what any daemon would refuse, and also a
    section no daemon owns.
    =========================================================================
*/

#include "cli.h"

//  Every daemon's table, NULL ended: the Makefile generates the list from
//  services/<name>/<name>_options.c, each defining <name>_options
extern const kj_option_t *const kj_daemon_options [];

//  The launcher's own options (deploy/kejin-node reads them)

static const kj_option_t s_launcher_options [] = {
    { "launcher/services", "",
      "service daemons deploy/kejin-node runs, space- or comma-separated; "
      "empty: every bin/kejin-* but the broker" },
    { NULL }
};

static const char *s_usage = N_ (
    "Usage: kejin config get [--config FILE] PATH...\n"
    "       kejin config check [--config FILE]\n"
    "Read the node's configuration as the daemons do: the environment\n"
    "(KEJIN_ + PATH in capitals, '/' as '_'), else the file, else the\n"
    "default. FILE is the node's ZPL file (default env KEJIN_CONFIG; none:\n"
    "defaults only).\n\n"
    "  get     print the value of each PATH (e.g. broker/endpoint), one a\n"
    "          line, after checking the whole file\n"
    "  check   check the whole file and the KEJIN_ variables that name an\n"
    "          option: every key of every daemon's section, every value of\n"
    "          its kind and range; print each problem as FILE:LINE\n\n"
    "Exit code 0 when the configuration is valid, 2 when it is not (the\n"
    "problems on stderr) or a PATH is no option of any Kejin daemon.\n");

//  --------------------------------------------------------------------------
//  One table of every option of the node, first declaration of a path
//  kept. The caller frees it (not the strings).

static kj_option_t *
s_all_options (void)
{
    const kj_option_t *tables [64];
    size_t n = 0;
    tables [n++] = kj_config_node_options;
    for (size_t d = 0; kj_daemon_options [d] && n < 62; d++)
        tables [n++] = kj_daemon_options [d];
    tables [n++] = s_launcher_options;
    tables [n] = NULL;
    size_t count = 0;
    for (size_t t = 0; tables [t]; t++)
        for (const kj_option_t *option = tables [t]; option->path; option++)
            count++;
    kj_option_t *all = (kj_option_t *) zmalloc ((count + 1) * sizeof *all);
    size_t size = 0;
    for (size_t t = 0; tables [t]; t++)
        for (const kj_option_t *option = tables [t]; option->path; option++) {
            size_t i = 0;
            while (i < size && !streq (all [i].path, option->path))
                i++;
            if (i == size)
                all [size++] = *option;
        }
    return all;
}

static bool
s_declared (const kj_option_t *options, const char *path)
{
    for (const kj_option_t *option = options; option->path; option++)
        if (streq (option->path, path))
            return true;
    return false;
}

int
cli_config (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    const char *file = getenv ("KEJIN_CONFIG");
    const char *verb = NULL;
    zlist_t *paths = zlist_new ();
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        if (streq (argv [i], "--config") || streq (argv [i], "-c")) {
            if (i + 1 < argc)
                file = argv [++i];
            else
                rc = CLI_USAGE;
        }
        else if (!verb)
            verb = argv [i];
        else
            zlist_append (paths, argv [i]);
    }
    bool get = verb && streq (verb, "get");
    if (rc != CLI_OK || !verb || (!get && !streq (verb, "check"))
        || (get && zlist_size (paths) == 0)
        || (!get && zlist_size (paths) > 0)) {
        zlist_destroy (&paths);
        return cli_usage (s_usage, true);
    }
    kj_option_t *options = s_all_options ();
    for (const char *path = (const char *) zlist_first (paths); path;
         path = (const char *) zlist_next (paths))
        if (!s_declared (options, path)) {
            fprintf (stderr,
                     "kejin config: %s: no such option of any Kejin "
                     "daemon (see bin/kejin-<daemon> --help)\n",
                     path);
            rc = CLI_USAGE;
        }
    kj_config_t *config = NULL;
    if (rc == CLI_OK) {
        config = kj_config_new (file, options);
        if (!config)
            rc = CLI_USAGE;  //  kj_config_new said why
    }
    if (config) {
        int problems = kj_config_check (config, true, stderr);
        if (problems) {
            fprintf (stderr, "kejin config: %d problem%s in %s\n", problems,
                     problems > 1 ? "s" : "",
                     file && *file ? file : "the environment");
            rc = CLI_USAGE;
        }
    }
    //  One value a line: a value holding a newline (only the environment
    //  can give one) would be read as two
    for (const char *path = (const char *) zlist_first (paths);
         path && rc == CLI_OK && get; path = (const char *) zlist_next (paths))
        if (strchr (kj_config_get (config, path), '\n')) {
            fprintf (stderr, "kejin config: %s: the value holds a newline\n",
                     path);
            rc = CLI_USAGE;
        }
    if (rc == CLI_OK && get)
        for (const char *path = (const char *) zlist_first (paths); path;
             path = (const char *) zlist_next (paths))
            printf ("%s\n", kj_config_get (config, path));
    else if (rc == CLI_OK && !cli->json)
        printf ("%s: valid\n", file && *file ? file : "(no file)");
    kj_config_destroy (&config);
    free (options);
    zlist_destroy (&paths);
    return rc;
}
