/*  =========================================================================
    kj_config - one ZPL file per node, every value overridable from the
    environment

    A daemon declares its options in a table (path, default, one line of
    help). A value comes from, in order: the environment variable named
    after the path (KEJIN_ + path upper-cased with '/' as '_', so
    "broker/endpoint" is KEJIN_BROKER_ENDPOINT), a `--set path=value`
    argument, the node's ZPL file (zconfig), the default.
    =========================================================================
*/

#ifndef KJ_CONFIG_H_INCLUDED
#define KJ_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *path;           //  "broker/endpoint"
    const char *dflt;           //  default value, as text (NULL: empty)
    const char *help;           //  one line for --help
} kj_option_t;

//  Options every daemon of a node shares: city, broker, database, logging.
#define KJ_OPTIONS_NODE \
    { "node/city", "210100", \
      "region code of this node's city (GB/T 2260, e.g. 210100 Shenyang)" }, \
    { "node/broker", "tcp://127.0.0.1:5555", \
      "broker endpoint that workers and clients connect to" }, \
    { "log/level", "info", "lowest log level shown: debug, info, warn, error" }

#define KJ_OPTIONS_DB \
    { "db/dsn", "", \
      "libpq connection string of the service's own role and database" }, \
    { "db/admin_dsn", "", \
      "connection string allowed to create the service's role and schema " \
      "(embedded node); empty: they must exist" }

typedef struct _kj_config_t kj_config_t;

//  Load `file` (ZPL) if not NULL, over the defaults of `options` (a table
//  ended by a { NULL } row). Returns NULL and logs if the file cannot be
//  read or parsed.
kj_config_t *
    kj_config_new (const char *file, const kj_option_t *options);

void
    kj_config_destroy (kj_config_t **self_p);

//  Set a value as `--set path=value` does (above the file, below the
//  environment). Returns -1 if path is not an option.
int
    kj_config_set (kj_config_t *self, const char *path, const char *value);

//  The effective value of a declared option (asserts that it is one).
const char *
    kj_config_get (kj_config_t *self, const char *path);

//  The value as a number; logs and returns `dflt` if it is not one.
int64_t
    kj_config_int (kj_config_t *self, const char *path);

bool
    kj_config_bool (kj_config_t *self, const char *path);

//  The environment variable that overrides `path`, in `buf`.
const char *
    kj_config_env_name (const char *path, char *buf, size_t size);

//  Print every option with its default, environment variable and help.
void
    kj_config_print_options (const kj_option_t *options, FILE *out);

//  Log the effective value of every option, one line each.
void
    kj_config_log (kj_config_t *self);

//  Parse a daemon's command line: -c/--config FILE, -s/--set PATH=VALUE,
//  -h/--help, -V/--version. Prints help (usage, summary, options) and
//  exits 0 for --help; prints the error and exits 2 for bad arguments.
//  On success returns the config, with logging initialised from
//  log/level and `process` as the name in log lines.
kj_config_t *
    kj_config_from_args (int argc, char **argv, const char *process,
                         const char *summary, const kj_option_t *options);

#endif
