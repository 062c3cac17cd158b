/*  =========================================================================
    kj_config - one ZPL file per node, every value overridable from the
    environment, every value checked at start

    A daemon declares its options in a table (path, default, one line of
    help, and the kind of value with its range). A value comes from, in
    order: the environment variable named after the path (KEJIN_ + path
    upper-cased with '/' as '_', so "broker/endpoint" is
    KEJIN_BROKER_ENDPOINT), a `--set path=value` argument, the node's ZPL
    file, the default.

    Config is strict (docs/operations.md, "The config file is strict"):
    kj_config_check refuses an unknown key in a section the daemon owns (a
    section it declares an option in, and the node-wide sections node, log
    and db), a value not of its option's kind or out of its range, and a
    key set twice, naming the file, line, key and what is allowed.
    kj_config_from_args runs it and exits 2 on any problem. The same code
    reads the file for `kejin config` and so for deploy/kejin-node.
    =========================================================================
*/

#ifndef KJ_CONFIG_H_INCLUDED
#define KJ_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

//  The kind of an option's value. An option without a kind is text.
typedef enum {
    KJ_KIND_TEXT = 0,      //  any text (max > 0: at most max bytes)
    KJ_KIND_INT,           //  a whole number from min to max
    KJ_KIND_BOOL,          //  true/false, yes/no, on/off, 1/0
    KJ_KIND_ENDPOINT,      //  tcp://host:port, ipc://path, inproc://name
    KJ_KIND_ENDPOINT_OPT,  //  an endpoint, or "" for none
    KJ_KIND_CHOICE         //  one of the words in `choices`
} kj_kind_t;

typedef struct {
    const char *path;     //  "broker/endpoint"
    const char *dflt;     //  default value, as text (NULL: empty)
    const char *help;     //  one line for --help
    kj_kind_t kind;       //  what values are allowed
    int64_t min, max;     //  KJ_KIND_INT: the range, both included
                          //  KJ_KIND_TEXT: max > 0 caps the length
    const char *choices;  //  KJ_KIND_CHOICE: "debug info warn error"
} kj_option_t;

//  The kind part of a table row: { path, dflt, help, KJ_INT (0, 64) }
#define KJ_INT(min, max)    KJ_KIND_INT, (min), (max)
#define KJ_TEXT_MAX(bytes)  KJ_KIND_TEXT, 0, (bytes)
#define KJ_BOOL             KJ_KIND_BOOL, 0, 0
#define KJ_ENDPOINT         KJ_KIND_ENDPOINT, 0, 0
#define KJ_ENDPOINT_OR_NONE KJ_KIND_ENDPOINT_OPT, 0, 0
#define KJ_CHOICE(words)    KJ_KIND_CHOICE, 0, 0, (words)

//  Options every daemon of a node shares: city, broker, database, logging.
//  Their sections (node, log, db) are node-wide: every daemon checks them.
#define KJ_OPTIONS_NODE                                                        \
    { "node/city", "210100",                                                   \
      "region code of this node's city (GB/T 2260, e.g. 210100 Shenyang)",     \
      KJ_INT (110000, 829999) },                                               \
        { "node/broker", "tcp://127.0.0.1:5555",                               \
          "broker endpoint that workers and clients connect to",               \
          KJ_ENDPOINT },                                                       \
        { "node/pub", "tcp://127.0.0.1:5557",                                  \
          "the node's \"pub\" endpoint, the broker's XPUB, where subscribers " \
          "connect",                                                           \
          KJ_ENDPOINT },                                                       \
        { "node/sub", "tcp://127.0.0.1:5556",                                  \
          "the node's \"sub\" endpoint, the broker's XSUB, where "             \
          "kejin-events "                                                      \
          "publishes live events",                                             \
          KJ_ENDPOINT },                                                       \
    {                                                                          \
        "log/level", "info",                                                   \
            "lowest log level shown: debug, info, warn, error",                \
            KJ_CHOICE ("debug info warn error")                                \
    }

#define KJ_OPTIONS_DB                                                          \
    { "db/dsn", "",                                                            \
      "libpq connection string of the service's own role and database" },      \
    {                                                                          \
        "db/admin_dsn", "",                                                    \
            "connection string allowed to create the service's role and "      \
            "schema "                                                          \
            "(embedded node); empty: they must exist"                          \
    }

//  How many copies deploy/kejin-node runs of a service daemon. Declared by
//  the daemon (its section is its own) and read by the launcher only.
#define KJ_OPTION_COPIES(service)                                              \
    {                                                                          \
        service "/copies", "1",                                                \
            "copies of this daemon deploy/kejin-node runs (read by the "       \
            "launcher)",                                                       \
            KJ_INT (0, 64)                                                     \
    }

//  What every database-backed service daemon has in its own section: its
//  copies, its copy's name, its database role, its worker threads (default
//  workers, at most max) and its relay.
#define KJ_OPTIONS_SERVICE(service, workers, max)                              \
    KJ_OPTION_COPIES (service),                                                \
        { service "/instance", "",                                             \
          "name of this copy in logs and worker names (default " service       \
          "-PID)",                                                             \
          KJ_TEXT_MAX (63) },                                                  \
        { service "/role", "",                                                 \
          "database role created with db/admin_dsn (default: the user db/dsn " \
          "names, else kejin_" service ")",                                    \
          KJ_TEXT_MAX (63) },                                                  \
        { service "/workers", workers,                                         \
          "worker threads serving the MDP service \"" service "\"",            \
          KJ_INT (0, max) },                                                   \
    {                                                                          \
        service "/relay", "true",                                              \
            "hand this service's outbox to kejin-events (run the relay)",      \
            KJ_BOOL                                                            \
    }

//  The node-wide options (KJ_OPTIONS_NODE and KJ_OPTIONS_DB), { NULL } ended.
extern const kj_option_t kj_config_node_options [];

typedef struct _kj_config_t kj_config_t;

//  Load `file` (ZPL) if not NULL, over the defaults of `options` (a table
//  ended by a { NULL } row). Returns NULL and prints why (file:line) to
//  stderr if the file cannot be read or is not valid ZPL.
kj_config_t *
    kj_config_new (const char *file, const kj_option_t *options);

void
    kj_config_destroy (kj_config_t **self_p);

//  Set a value as `--set path=value` does (above the file, below the
//  environment). Returns -1 if path is not an option.
int
    kj_config_set (kj_config_t *self, const char *path, const char *value);

//  Check every key and value (see above) and print one line per problem
//  to `out`: where (file:line, --set, the environment variable), the key,
//  the value and what is allowed. With `whole`, every section of the file
//  must be one the table declares (`kejin config check` of a node's file);
//  else sections the daemon does not own are left to their daemons.
//  Returns the number of problems.
int
    kj_config_check (kj_config_t *self, bool whole, FILE *out);

//  True if `value` is allowed for `option`.
bool
    kj_config_valid (const kj_option_t *option, const char *value);

//  What `option` allows, in words, in `buf` ("" for any text).
const char *
    kj_config_allowed (const kj_option_t *option, char *buf, size_t size);

//  The effective value of a declared option (asserts that it is one).
const char *
    kj_config_get (kj_config_t *self, const char *path);

//  The value as a number (checked: within the option's range); logs and
//  returns the default if it is not one (an unchecked config).
int64_t
    kj_config_int (kj_config_t *self, const char *path);

//  The value as a boolean (checked: one of the words allowed).
bool
    kj_config_bool (kj_config_t *self, const char *path);

//  The environment variable that overrides `path`, in `buf`.
const char *
    kj_config_env_name (const char *path, char *buf, size_t size);

//  Print every option with its default, allowed values, environment
//  variable and help.
void
    kj_config_print_options (const kj_option_t *options, FILE *out);

//  Log the effective value of every option, one line each.
void
    kj_config_log (kj_config_t *self);

//  Parse a daemon's command line: -c/--config FILE, -s/--set PATH=VALUE,
//  -h/--help, -V/--version. Prints help (usage, summary, options) and
//  exits 0 for --help; prints the error and exits 2 for bad arguments or
//  a config that kj_config_check refuses. On success returns the config,
//  with logging initialised from log/level and `process` as the name in
//  log lines.
kj_config_t *
    kj_config_from_args (int argc, char **argv, const char *process,
                         const char *summary, const kj_option_t *options);

#endif
