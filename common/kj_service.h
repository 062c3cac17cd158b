/*  =========================================================================
    kj_service - the skeleton of every Kejin service daemon

    What every daemon repeats, once: the command line (--config, --set,
    --help, --version), the config file and environment, logging, the
    bootstrap of the service's role and schema (db/admin_dsn) and its
    migrations, N worker threads per MDP service it serves (each with its
    own database connection; more copies of the daemon may run beside it),
    the outbox relay, periodic jobs on their own connection, counters per
    method and the built-in Health answer, and a clean stop on SIGTERM or
    SIGINT. A daemon describes itself in a kj_service_def_t and its main
    is one call:

        int main (int argc, char **argv)
        {
            return kj_service_main (&s_def, argc, argv);
        }

    Options kj_service declares for a daemon named NAME, beside the
    node's (node/city, node/broker, log/level) and, with a schema, the
    database's (db/dsn, db/admin_dsn): NAME/instance, NAME/role (with a
    schema), the thread count of each MDP service, the interval of each
    job, NAME/relay (with an outbox); then the daemon's own table.

    Every call passes through kj_service's hooks in kj_worker (admit, done,
    health): the one place where the caller's rights and an audit trail
    will be checked and written, without touching a service.
    =========================================================================
*/

#ifndef KJ_SERVICE_H_INCLUDED
#define KJ_SERVICE_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include "kj_config.h"
#include "kj_db.h"
#include "kj_proto.h"
#include "kj_worker.h"

typedef struct _kj_service_t kj_service_t;

//  One MDP service the daemon serves, on its own worker threads.
typedef struct {
    const char *name;  //  MDP service name, e.g. "registry"
    const ProtobufCServiceDescriptor *descriptor;
    const kj_method_t *methods;   //  one per method of the descriptor
    const char *workers;          //  option of its thread count; NULL:
                                  //  "<daemon>/workers"
    const char *workers_default;  //  NULL: "2"
    const char *workers_help;     //  NULL: "worker threads serving ..."
    int credit;                   //  requests a worker may hold (0: 1)
    const char *tag;              //  worker names "<instance>.<tag><n>"
} kj_serve_t;

//  A periodic job: run (state, db) every interval seconds on a thread and
//  a connection of its own; the interval option 0 turns it off. It
//  returns what it did (>= 0) or -1 when the database failed.
typedef int (kj_job_fn) (void *state, kj_db_t *db);

typedef struct {
    const char *name;  //  in logs: "<daemon>.<name>"
    kj_job_fn *run;
    const char *interval;  //  option path, seconds, 0 to 604800
    const char *interval_default;
    const char *interval_help;
} kj_job_t;

//  The daemon's state: made after the schema is migrated, with `db` (a
//  connection to it, closed after; NULL without a schema) for checks at
//  start. NULL with status set fails the start: INVALID_ARGUMENT and
//  FAILED_PRECONDITION exit 2 (bad configuration), others exit 1.
typedef void *(kj_service_init_fn) (kj_service_t *service, kj_db_t *db,
                                    kj_status_t *status);
typedef void (kj_service_destroy_fn) (void *state);

typedef struct {
    const char *name;            //  "registry": option section, log prefix
    const char *summary;         //  for --help
    const kj_option_t *options;  //  the daemon's own, { NULL } ended; or NULL
    const kj_serve_t *services;  //  { NULL } ended
    const char *schema;          //  its PostgreSQL schema; NULL: no database
    const kj_migration_t *migrations;  //  from common/sql2c.sh, or NULL
    const char *role;          //  role to bootstrap when neither NAME/role
                               //  nor db/dsn names one; NULL: kejin_NAME
    bool outbox;               //  writes events: runs the relay (NAME/relay)
    const kj_job_t *jobs;      //  { NULL } ended, or NULL
    kj_service_init_fn *init;  //  NULL: no state
    kj_service_destroy_fn *destroy;
} kj_service_def_t;

//  Parse the command line and config, start, serve until SIGTERM or
//  SIGINT, stop. Returns the exit code: 0 after a clean stop, 2 for bad
//  configuration, 1 when the start failed otherwise.
int
    kj_service_main (const kj_service_def_t *def, int argc, char **argv);

//  --------------------------------------------------------------------------
//  The steps of kj_service_main, for tests and for daemons that do more.

//  Parse the command line (exits 0 after --help or --version, 2 on bad
//  arguments, as kj_config_from_args) and the config.
kj_service_t *
    kj_service_new (const kj_service_def_t *def, int argc, char **argv);

//  Stop (if started) and free everything.
void
    kj_service_destroy (kj_service_t **self_p);

//  Check the options, bootstrap and migrate the schema, make the state,
//  start the relay, the jobs and the workers. 0, or the exit code (1 or
//  2) with the reason logged.
int
    kj_service_start (kj_service_t *self);

//  Stop every worker after the request in hand (each says DISCONNECT to
//  the broker), then the jobs and the relay; join them all. Any thread.
void
    kj_service_stop (kj_service_t *self);

//  The effective configuration: kj_config_get (kj_service_config (s), ...)
kj_config_t *
    kj_service_config (kj_service_t *self);

//  This copy's name: NAME/instance, else "NAME-PID".
const char *
    kj_service_instance (kj_service_t *self);

//  What init returned.
void *
    kj_service_state (kj_service_t *self);

//  The credit of MDP service `name`'s workers (requests the broker may
//  send each ahead; a KJ_BATCH method's calls that came together run
//  together), from the daemon's init, before the workers start; else
//  kj_serve_t's.
void
    kj_service_credit (kj_service_t *self, const char *name, int credit);

//  Worker threads serving MDP service `name` now (connected or not).
int
    kj_service_workers (kj_service_t *self, const char *name);

//  The whole option table of a daemon as kj_service declares it (for
//  --help and tests); free with kj_service_options_free.
kj_option_t *
    kj_service_options (const kj_service_def_t *def);

void
    kj_service_options_free (kj_option_t **options_p);

//  --------------------------------------------------------------------------
//  Memory for jobs: a protobuf allocator whose blocks all go at reset,
//  as a handler's go when its reply is sent (kj_call_allocator).

typedef struct _kj_arena_t kj_arena_t;

kj_arena_t *
    kj_arena_new (void);

void
    kj_arena_destroy (kj_arena_t **self_p);

ProtobufCAllocator *
    kj_arena_allocator (kj_arena_t *self);

//  Free every block given since the last reset.
void
    kj_arena_reset (kj_arena_t *self);

#endif
