/*  =========================================================================
    kj_service - the skeleton of every Kejin service daemon

    Threads: one per worker (each with its kj_worker and, with a schema,
    its own kj_db), one per job with an interval, the relay's (kj_relay).
    The main thread only waits for a signal. Counters are per MDP service
    and per method, shared by that service's workers under a mutex; the
    Health answer reads them.
    =========================================================================
*/

#include "kejin.h"
#include "kj_service.h"
#include <pthread.h>
#include <stdatomic.h>

#define WORKERS_MAX  64
#define INTERVAL_MAX (86400 * 7)

//  Counters of one MDP service: one slot per method of its descriptor,
//  and one more for the built-in Health.
typedef struct {
    const kj_serve_t *serve;
    kj_service_t *service;
    size_t slots;
    pthread_mutex_t lock;
    uint64_t *requests;
    uint64_t *errors;
    kj_hist_t **latency;
    atomic_int workers;  //  threads serving it now
    int credit;          //  each worker's (kj_service_credit), else serve's
} s_counters_t;

//  A worker thread (counters set) or a job thread (job set).
typedef struct {
    kj_service_t *service;
    s_counters_t *counters;
    const kj_job_t *job;
    void *arg;  //  given to job->run: the daemon's state, or the audit
    int64_t interval_us;
    int index;
    pthread_t thread;
    kj_worker_t *worker;  //  while it runs, under service->lock
} s_thread_t;

struct _kj_service_t {
    const kj_service_def_t *def;
    kj_option_t *options;
    kj_config_t *config;
    char instance [64];
    char role [64];
    void *state;
    kj_relay_t *relay;
    kj_audit_t *audit;       //  with a schema: its trail
    s_counters_t *counters;  //  one per def->services row
    size_t n_services;
    pthread_mutex_t lock;  //  guards the threads' worker pointers
    zlist_t *threads;      //  s_thread_t
    atomic_bool stop;
    bool started;
    int64_t started_us;
};

//  --------------------------------------------------------------------------
//  The option table: the node's, the database's, the skeleton's, the
//  daemon's own. Every string is a copy, so that one free fits all.

static const kj_option_t s_node_options [] = { KJ_OPTIONS_NODE, { NULL } };
static const kj_option_t s_db_options [] = { KJ_OPTIONS_DB, { NULL } };

//  Add an option of the skeleton's with its kind (KJ_INT, KJ_BOOL, ...
//  as in kj_config.h: kind, min, max)
static void
s_option_add (kj_option_t *table, size_t *count, const char *path,
              const char *dflt, const char *help, kj_kind_t kind, int64_t min,
              int64_t max)
{
    for (size_t i = 0; i < *count; i++)
        assert (!streq (table [i].path, path));  //  declared twice
    kj_option_t *option = &table [(*count)++];
    option->path = strdup (path);
    option->dflt = dflt ? strdup (dflt) : NULL;
    option->help = strdup (help ? help : "");
    option->kind = kind;
    option->min = min;
    option->max = max;
    assert (option->path && option->help);
}

//  Copy a table in. A daemon may declare an option the skeleton makes too
//  (its whole table lives in <name>_options.c, where `kejin config check`
//  reads it): then the daemon's declaration wins.
static void
s_option_copy (kj_option_t *table, size_t *count, const kj_option_t *from)
{
    for (; from && from->path; from++) {
        kj_option_t *option = NULL;
        for (size_t i = 0; i < *count && !option; i++)
            if (streq (table [i].path, from->path))
                option = &table [i];
        if (option) {
            free ((char *) option->path);
            free ((char *) option->dflt);
            free ((char *) option->help);
        }
        else
            option = &table [(*count)++];
        *option = *from;
        option->path = strdup (from->path);
        option->dflt = from->dflt ? strdup (from->dflt) : NULL;
        option->help = strdup (from->help ? from->help : "");
        assert (option->path && option->help);
    }
}

kj_option_t *
kj_service_options (const kj_service_def_t *def)
{
    size_t size = 16;
    for (const kj_option_t *o = def->options; o && o->path; o++)
        size++;
    for (const kj_serve_t *s = def->services; s && s->name; s++)
        size++;
    for (const kj_job_t *j = def->jobs; j && j->name; j++)
        size++;
    kj_option_t *table = (kj_option_t *) zmalloc (size * sizeof *table);
    size_t count = 0;
    char path [128], help [256];
    s_option_copy (table, &count, s_node_options);
    if (def->schema)
        s_option_copy (table, &count, s_db_options);
    snprintf (path, sizeof path, "%s/instance", def->name);
    snprintf (help, sizeof help,
              "name of this copy in logs and worker "
              "names (default %s-PID)",
              def->name);
    s_option_add (table, &count, path, "", help, KJ_TEXT_MAX (63));
    if (def->schema) {
        snprintf (path, sizeof path, "%s/role", def->name);
        snprintf (help, sizeof help,
                  "database role created with "
                  "db/admin_dsn (default: the user db/dsn names, else %s%s)",
                  def->role ? "" : "kejin_", def->role ? def->role : def->name);
        s_option_add (table, &count, path, "", help, KJ_TEXT_MAX (63));
    }
    for (const kj_serve_t *s = def->services; s && s->name; s++) {
        snprintf (path, sizeof path, "%s/workers", def->name);
        snprintf (help, sizeof help,
                  "worker threads serving the MDP "
                  "service \"%s\"",
                  s->name);
        s_option_add (table, &count, s->workers ? s->workers : path,
                      s->workers_default ? s->workers_default : "2",
                      s->workers_help ? s->workers_help : help,
                      KJ_INT (0, WORKERS_MAX));
    }
    for (const kj_job_t *j = def->jobs; j && j->name; j++)
        s_option_add (table, &count, j->interval,
                      j->interval_default ? j->interval_default : "0",
                      j->interval_help, KJ_INT (0, INTERVAL_MAX));
    if (def->outbox) {
        snprintf (path, sizeof path, "%s/relay", def->name);
        s_option_add (table, &count, path, "true",
                      "hand this service's "
                      "outbox to kejin-events (run the relay)",
                      KJ_BOOL);
    }
    if (def->schema) {
        snprintf (path, sizeof path, "%s/audit_seal", def->name);
        s_option_add (table, &count, path, "1",
                      "seconds between chaining the audit trail's new "
                      "rows (0: only at `kejin audit verify`)",
                      KJ_INT (0, INTERVAL_MAX));
        snprintf (path, sizeof path, "%s/audit_anchor", def->name);
        s_option_add (table, &count, path, "false",
                      "anchor the audit chain's head in the event log "
                      "(audit.sealed) at every seal, not only at "
                      "`kejin audit verify`",
                      KJ_BOOL);
    }
    //  Read by the launcher, in the daemon's own section
    snprintf (path, sizeof path, "%s/copies", def->name);
    s_option_add (table, &count, path, "1",
                  "copies of this daemon "
                  "deploy/kejin-node runs (read by the launcher)",
                  KJ_INT (0, 64));
    s_option_copy (table, &count, def->options);
    assert (count < size);
    return table;
}

void
kj_service_options_free (kj_option_t **options_p)
{
    if (*options_p) {
        for (kj_option_t *o = *options_p; o->path; o++) {
            free ((char *) o->path);
            free ((char *) o->dflt);
            free ((char *) o->help);
        }
        free (*options_p);
        *options_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Counters and the hooks kj_worker calls around every request

static void
s_counters_init (s_counters_t *self, kj_service_t *service,
                 const kj_serve_t *serve)
{
    self->serve = serve;
    self->service = service;
    self->slots = serve->descriptor->n_methods + 1;
    self->credit = serve->credit > 0 ? serve->credit : 1;
    pthread_mutex_init (&self->lock, NULL);
    self->requests = (uint64_t *) zmalloc (self->slots * sizeof (uint64_t));
    self->errors = (uint64_t *) zmalloc (self->slots * sizeof (uint64_t));
    self->latency = (kj_hist_t **) zmalloc (self->slots * sizeof (kj_hist_t *));
    for (size_t slot = 0; slot < self->slots; slot++)
        self->latency [slot] = kj_hist_new ();
    atomic_init (&self->workers, 0);
}

static void
s_counters_fini (s_counters_t *self)
{
    for (size_t slot = 0; slot < self->slots; slot++)
        kj_hist_destroy (&self->latency [slot]);
    free (self->latency);
    free (self->requests);
    free (self->errors);
    pthread_mutex_destroy (&self->lock);
}

//  The audit hook: one row per audited call, on the worker's connection
//  (in the write's transaction when there is one). The caller is the one
//  the broker stamped; before and after default to the request and reply.
static int
s_audit (void *hooks, kj_call_t *call, const ProtobufCMethodDescriptor *md,
         const ProtobufCMessage *request, const ProtobufCMessage *reply,
         int code)
{
    s_counters_t *self = (s_counters_t *) hooks;
    kj_audit_t *audit = self->service->audit;
    kj_db_t *db = kj_call_db (call);
    if (!audit || !db)
        return 0;
    const Kj__Caller *caller = kj_call_caller (call);
    const Kj__RequestHeader *header = kj_call_header (call);
    const char *object, *before, *after;
    kj_audit_noted (call, &object, &before, &after);
    char request_id [24];
    snprintf (request_id, sizeof request_id, "%" PRIu64, header->request_id);
    char *request_json = !before && request ? kj_json_string (request, false)
                                            : NULL;
    char *reply_json = !after && reply ? kj_json_string (reply, false) : NULL;
    kj_audit_row_t row = { .service = self->serve->name,
                           .method = md->name,
                           .key = caller->identity ? caller->identity : "",
                           .role = caller->role ? caller->role : "",
                           .city = caller->city ? caller->city : "",
                           .object = object,
                           .request_id = request_id,
                           .code = code,
                           .message = code == KJ__CODE__OK
                                        ? ""
                                        : kj_call_status (call)->message,
                           .before = before ? before : request_json,
                           .after = after ? after : reply_json };
    int rc = kj_audit_write (audit, db, &row);
    free (request_json);
    free (reply_json);
    return rc;
}

//  The built-in AuditVerify: seal, then check the chain and the anchor
static int
s_verify (void *hooks, kj_call_t *call, const Kj__AuditVerifyRequest *request,
          Kj__AuditVerify *reply)
{
    s_counters_t *self = (s_counters_t *) hooks;
    kj_audit_t *audit = self->service->audit;
    if (!audit || !kj_call_db (call))
        return kj_call_fail (call, KJ__CODE__UNIMPLEMENTED, NULL,
                             "service '%s' keeps no audit trail",
                             self->serve->name);
    reply->service = (char *) self->serve->name;
    if (kj_audit_verify (audit, kj_call_db (call), request, reply, call))
        return kj_call_fail_db (call);
    if (!reply->ok)
        kj_error ("audit.broken", "schema=%s row=%" PRId64 " reason=\"%s\"",
                  kj_audit_schema (audit), reply->bad_row, reply->reason);
    return 0;
}

//  The audit seal job: chain the rows committed since the last pass
static int
s_seal (void *arg, kj_db_t *db)
{
    return kj_audit_seal ((kj_audit_t *) arg, db);
}

static const kj_job_t s_seal_job = { .name = "audit_seal", .run = s_seal };

//  Every call is admitted for now. This is where the caller the broker
//  stamps into the header will be checked against the method's rights.
static int
s_admit (void *hooks, kj_call_t *call, const ProtobufCMethodDescriptor *md)
{
    return 0;
}

static void
s_done (void *hooks, kj_call_t *call, int index, int code, int64_t latency_us)
{
    s_counters_t *self = (s_counters_t *) hooks;
    if (index < 0 || (size_t) index >= self->slots)
        return;  //  no such method: nothing to count
    pthread_mutex_lock (&self->lock);
    self->requests [index]++;
    if (code != KJ__CODE__OK)
        self->errors [index]++;
    kj_hist_record (self->latency [index],
                    latency_us > 0 ? (uint64_t) latency_us : 0);
    pthread_mutex_unlock (&self->lock);
}

static int
s_health (void *hooks, kj_call_t *call, Kj__Health *reply)
{
    s_counters_t *self = (s_counters_t *) hooks;
    kj_service_t *service = self->service;
    reply->instance = service->instance;
    reply->uptime_us = (uint64_t) (kj_mono_us () - service->started_us);
    reply->workers = (uint32_t) atomic_load (&self->workers);
    reply->methods = (Kj__MethodHealth **)
        kj_call_alloc (call, self->slots * sizeof (Kj__MethodHealth *));
    reply->n_methods = self->slots;
    const ProtobufCServiceDescriptor *desc = self->serve->descriptor;
    pthread_mutex_lock (&self->lock);
    for (size_t slot = 0; slot < self->slots; slot++) {
        Kj__MethodHealth *method = (Kj__MethodHealth *)
            kj_call_message (call, &kj__method_health__descriptor);
        method->method = (char *) (slot < desc->n_methods
                                       ? desc->methods [slot].name
                                       : "Health");
        method->requests = self->requests [slot];
        method->errors = self->errors [slot];
        method->p50_us = kj_hist_percentile (self->latency [slot], 500);
        method->p99_us = kj_hist_percentile (self->latency [slot], 990);
        reply->methods [slot] = method;
    }
    pthread_mutex_unlock (&self->lock);
    return 0;
}

//  --------------------------------------------------------------------------
//  Threads

static bool
s_stopping (kj_service_t *self)
{
    return atomic_load (&self->stop) || kj_stopping ();
}

static void
s_sleep (kj_service_t *self, int msecs)
{
    for (int slept = 0; slept < msecs && !s_stopping (self); slept += 50)
        zclock_sleep (msecs - slept < 50 ? msecs - slept : 50);
}

static void *
s_worker_thread (void *arg)
{
    s_thread_t *thread = (s_thread_t *) arg;
    kj_service_t *self = thread->service;
    const kj_serve_t *serve = thread->counters->serve;
    const char *dsn = self->def->schema ? kj_config_get (self->config, "db/dsn")
                                        : NULL;
    kj_db_t *db = NULL;
    while (dsn && !db && !s_stopping (self))
        if (!(db = kj_db_new (dsn, self->def->schema, 1000)))
            s_sleep (self, 500);
    if (dsn && !db)
        return NULL;
    char instance [64];
    snprintf (instance, sizeof instance, "%.40s.%s%d", self->instance,
              serve->tag ? serve->tag : "", thread->index + 1);
    kj_worker_config_t wc = { .endpoint = kj_config_get (self->config,
                                                         "node/broker"),
                              .service = serve->name,
                              .descriptor = serve->descriptor,
                              .methods = serve->methods,
                              .state = self->state,
                              .db = db,
                              .credit = thread->counters->credit,
                              .instance = instance,
                              .hooks = thread->counters,
                              .admit = s_admit,
                              .done = s_done,
                              .health = s_health,
                              .audit = s_audit,
                              .verify = s_verify };
    kj_worker_t *worker = kj_worker_new (&wc);
    pthread_mutex_lock (&self->lock);
    thread->worker = worker;
    bool stop = atomic_load (&self->stop);
    pthread_mutex_unlock (&self->lock);
    if (!stop) {
        atomic_fetch_add (&thread->counters->workers, 1);
        kj_worker_run (worker);
        atomic_fetch_sub (&thread->counters->workers, 1);
    }
    pthread_mutex_lock (&self->lock);
    thread->worker = NULL;
    pthread_mutex_unlock (&self->lock);
    kj_worker_destroy (&worker);
    kj_db_destroy (&db);
    return NULL;
}

static void *
s_job_thread (void *arg)
{
    s_thread_t *thread = (s_thread_t *) arg;
    kj_service_t *self = thread->service;
    const char *dsn = kj_config_get (self->config, "db/dsn");
    char event [96];
    snprintf (event, sizeof event, "%s.%s_pass", self->def->name,
              thread->job->name);
    kj_db_t *db = NULL;
    int64_t due = 0;
    while (!s_stopping (self)) {
        zclock_sleep (50);
        if (kj_mono_us () < due)
            continue;
        due = kj_mono_us () + thread->interval_us;
        if (!db && !(db = kj_db_new (dsn, self->def->schema, 0)))
            continue;
        int count = thread->job->run (thread->arg, db);
        if (count > 0)
            kj_info (event, "count=%d", count);
        else if (count < 0)
            kj_warn (event, "failed=1 sqlstate=%s reason=\"%s\"",
                     kj_db_sqlstate (db), kj_db_error (db));
    }
    kj_db_destroy (&db);
    return NULL;
}

//  Start one thread; 0, or -1 (logged) when the system refused it.
static int
s_thread_start (kj_service_t *self, s_thread_t *thread)
{
    thread->service = self;
    void *(*body) (void *) = thread->job ? s_job_thread : s_worker_thread;
    int rc = pthread_create (&thread->thread, NULL, body, thread);
    if (rc) {
        kj_error ("service.thread_failed", "service=%s reason=\"%s\"",
                  self->def->name, strerror (rc));
        free (thread);
        return -1;
    }
    pthread_mutex_lock (&self->lock);
    zlist_append (self->threads, thread);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

//  --------------------------------------------------------------------------
//  Start

//  An integer option within [low, high], or -1 (logged) when it is not.
static int64_t
s_ranged (kj_service_t *self, const char *path, int64_t low, int64_t high,
          const char *unit)
{
    int64_t value;
    if (kj_parse_int64 (kj_config_get (self->config, path), &value) == 0
        && value >= low && value <= high)
        return value;
    kj_error ("service.bad_config",
              "option=%s value=\"%s\" reason=\"%" PRId64 " to %" PRId64 " %s\"",
              path, kj_config_get (self->config, path), low, high, unit);
    return -1;
}

//  The role to bootstrap: the option, else the user db/dsn logs in as
//  (bootstrapping any other role would leave db/dsn unable to connect),
//  else the default.
static const char *
s_role (kj_service_t *self)
{
    char path [128];
    snprintf (path, sizeof path, "%s/role", self->def->name);
    const char *role = kj_config_get (self->config, path);
    if (*role)
        return kj_strlcpy (self->role, role, sizeof self->role);
    if (self->def->role)
        kj_strlcpy (self->role, self->def->role, sizeof self->role);
    else
        snprintf (self->role, sizeof self->role, "kejin_%s", self->def->name);
    PQconninfoOption *options = PQconninfoParse (kj_config_get (self->config,
                                                                "db/dsn"),
                                                 NULL);
    for (PQconninfoOption *o = options; o && o->keyword; o++)
        if (streq (o->keyword, "user") && o->val && *o->val)
            kj_strlcpy (self->role, o->val, sizeof self->role);
    PQconninfoFree (options);
    return self->role;
}

//  The audit trail: made by db/admin_dsn's role, which owns it, with only
//  SELECT and INSERT for the service's; without db/admin_dsn the service's
//  own role makes it when missing (it then owns it: said in the log).
//  0, or the exit code.
static int
s_start_audit (kj_service_t *self, const char *admin)
{
    self->audit = kj_audit_new (self->def->schema);
    if (!self->audit)
        return 1;
    kj_db_t *db = kj_db_new (*admin ? admin
                                    : kj_config_get (self->config, "db/dsn"),
                             self->def->schema, 30000);
    int rc = db ? 0 : 1;
    if (rc == 0 && *admin)
        rc = kj_audit_install (self->audit, db, self->role) ? 1 : 0;
    else if (rc == 0 && !kj_audit_installed (self->audit, db)) {
        kj_warn ("audit.owned_by_service",
                 "schema=%s reason=\"no db/admin_dsn: the "
                 "service's own role makes and owns its audit trail\"",
                 kj_audit_schema (self->audit));
        rc = kj_audit_install (self->audit, db, NULL) ? 1 : 0;
    }
    if (rc)
        kj_error ("service.start_failed",
                  "field=%s reason=\"could not "
                  "make the audit trail %s (see the log above)\"",
                  *admin ? "admin_dsn" : "dsn", kj_audit_schema (self->audit));
    kj_db_destroy (&db);
    return rc;
}

//  Bootstrap and migrate the schema, then make the state with a
//  connection to it. 0, or the exit code.
static int
s_start_state (kj_service_t *self)
{
    const kj_service_def_t *def = self->def;
    kj_db_t *db = NULL;
    if (def->schema) {
        const char *admin = kj_config_get (self->config, "db/admin_dsn");
        if (*admin && kj_db_bootstrap (admin, def->schema, s_role (self))) {
            kj_error ("service.start_failed",
                      "field=admin_dsn reason=\"could "
                      "not create role %s and schema %s with db/admin_dsn "
                      "(see the log above)\"",
                      self->role, def->schema);
            return 1;
        }
        db = kj_db_new (kj_config_get (self->config, "db/dsn"), def->schema,
                        30000);
        if (!db) {
            kj_error ("service.start_failed",
                      "field=dsn reason=\"could not "
                      "connect with db/dsn (see the log above)\"");
            return 1;
        }
        if (def->migrations && kj_db_migrate (db, def->migrations)) {
            kj_error ("service.start_failed",
                      "field=dsn reason=\"could not "
                      "migrate schema %s (see the log above)\"",
                      def->schema);
            kj_db_destroy (&db);
            return 1;
        }
        if (s_start_audit (self, admin)) {
            kj_db_destroy (&db);
            return 1;
        }
    }
    int rc = 0;
    if (def->init) {
        kj_status_t status;
        kj_status_ok (&status);
        self->state = def->init (self, db, &status);
        if (!self->state) {
            kj_error ("service.start_failed", "field=%s reason=\"%s\"",
                      status.field, status.message);
            rc = status.code == KJ__CODE__INVALID_ARGUMENT
                      || status.code == KJ__CODE__FAILED_PRECONDITION
                   ? 2
                   : 1;
        }
    }
    kj_db_destroy (&db);
    return rc;
}

int
kj_service_start (kj_service_t *self)
{
    assert (!self->started);
    const kj_service_def_t *def = self->def;
    //  Every number first: a bad one stops the daemon before it does
    //  anything
    int64_t counts [WORKERS_MAX];
    int64_t intervals [WORKERS_MAX];
    size_t n_jobs = 0;
    char path [128];
    for (size_t i = 0; i < self->n_services; i++) {
        const kj_serve_t *serve = &def->services [i];
        snprintf (path, sizeof path, "%s/workers", def->name);
        counts [i] = s_ranged (self, serve->workers ? serve->workers : path, 0,
                               WORKERS_MAX, "threads");
        if (counts [i] < 0)
            return 2;
    }
    for (const kj_job_t *job = def->jobs; job && job->name; job++) {
        assert (n_jobs < WORKERS_MAX);
        intervals [n_jobs] = s_ranged (self, job->interval, 0, INTERVAL_MAX,
                                       "seconds");
        if (intervals [n_jobs++] < 0)
            return 2;
    }
    int rc = s_start_state (self);
    if (rc)
        return rc;
    self->started = true;

    //  CZMQ initialises itself on the first socket, and that is not safe
    //  from several threads at once: do it here, before any thread
    zsys_init ();
    snprintf (path, sizeof path, "%s/relay", def->name);
    if (def->outbox && def->schema && kj_config_bool (self->config, path)) {
        kj_relay_config_t relay = {
            .dsn = kj_config_get (self->config, "db/dsn"),
            .schema = def->schema,
            .broker = kj_config_get (self->config, "node/broker"),
            .city = kj_config_get (self->config, "node/city")
        };
        self->relay = kj_relay_new (&relay);
        if (!self->relay)
            return 1;
    }
    n_jobs = 0;
    for (const kj_job_t *job = def->jobs; job && job->name; job++) {
        int64_t interval = intervals [n_jobs++];
        if (interval == 0)
            continue;
        assert (def->schema);
        s_thread_t *thread = (s_thread_t *) zmalloc (sizeof (s_thread_t));
        thread->job = job;
        thread->arg = self->state;
        thread->interval_us = interval * 1000000;
        if (s_thread_start (self, thread))
            return 1;
    }
    snprintf (path, sizeof path, "%s/audit_anchor", def->name);
    if (self->audit)
        kj_audit_set_anchoring (self->audit,
                                kj_config_bool (self->config, path));
    snprintf (path, sizeof path, "%s/audit_seal", def->name);
    int64_t seal = self->audit
                     ? s_ranged (self, path, 0, INTERVAL_MAX, "seconds")
                     : 0;
    if (seal < 0)
        return 2;
    if (seal > 0) {
        s_thread_t *thread = (s_thread_t *) zmalloc (sizeof (s_thread_t));
        thread->job = &s_seal_job;
        thread->arg = self->audit;
        thread->interval_us = seal * 1000000;
        if (s_thread_start (self, thread))
            return 1;
    }
    for (size_t i = 0; i < self->n_services; i++) {
        for (int index = 0; index < counts [i]; index++) {
            s_thread_t *thread = (s_thread_t *) zmalloc (sizeof (s_thread_t));
            thread->counters = &self->counters [i];
            thread->index = index;
            if (s_thread_start (self, thread))
                return 1;
        }
        kj_info ("service.workers", "service=%s count=%" PRId64,
                 def->services [i].name, counts [i]);
    }
    kj_info ("service.started", "daemon=%s instance=%s relay=%d", def->name,
             self->instance, self->relay != NULL);
    return 0;
}

//  --------------------------------------------------------------------------
//  Stop

void
kj_service_stop (kj_service_t *self)
{
    pthread_mutex_lock (&self->lock);
    atomic_store (&self->stop, true);
    for (s_thread_t *thread = (s_thread_t *) zlist_first (self->threads);
         thread; thread = (s_thread_t *) zlist_next (self->threads))
        if (thread->worker)
            kj_worker_stop (thread->worker);
    pthread_mutex_unlock (&self->lock);
    s_thread_t *thread;
    while ((thread = (s_thread_t *) zlist_pop (self->threads))) {
        pthread_join (thread->thread, NULL);
        free (thread);
    }
    kj_relay_destroy (&self->relay);
}

//  --------------------------------------------------------------------------
//  New, destroy, main

kj_service_t *
kj_service_new (const kj_service_def_t *def, int argc, char **argv)
{
    assert (def && def->name && def->services);
    kj_service_t *self = (kj_service_t *) zmalloc (sizeof (kj_service_t));
    self->def = def;
    self->options = kj_service_options (def);
    char process [80];
    snprintf (process, sizeof process, "kejin-%s", def->name);
    self->config = kj_config_from_args (argc, argv, process, def->summary,
                                        self->options);
    kj_config_log (self->config);
    char path [128];
    snprintf (path, sizeof path, "%s/instance", def->name);
    const char *name = kj_config_get (self->config, path);
    if (*name)
        kj_strlcpy (self->instance, name, sizeof self->instance);
    else
        snprintf (self->instance, sizeof self->instance, "%.40s-%d", def->name,
                  (int) getpid ());
    for (const kj_serve_t *s = def->services; s->name; s++)
        self->n_services++;
    assert (self->n_services > 0 && self->n_services <= WORKERS_MAX);
    self->counters = (s_counters_t *) zmalloc (self->n_services
                                               * sizeof (s_counters_t));
    for (size_t i = 0; i < self->n_services; i++)
        s_counters_init (&self->counters [i], self, &def->services [i]);
    pthread_mutex_init (&self->lock, NULL);
    self->threads = zlist_new ();
    atomic_init (&self->stop, false);
    self->started_us = kj_mono_us ();
    return self;
}

void
kj_service_destroy (kj_service_t **self_p)
{
    if (*self_p) {
        kj_service_t *self = *self_p;
        kj_service_stop (self);
        if (self->state && self->def->destroy)
            self->def->destroy (self->state);
        for (size_t i = 0; i < self->n_services; i++)
            s_counters_fini (&self->counters [i]);
        free (self->counters);
        zlist_destroy (&self->threads);
        pthread_mutex_destroy (&self->lock);
        kj_audit_destroy (&self->audit);
        kj_config_destroy (&self->config);
        kj_service_options_free (&self->options);
        free (self);
        *self_p = NULL;
    }
}

int
kj_service_main (const kj_service_def_t *def, int argc, char **argv)
{
    kj_service_t *self = kj_service_new (def, argc, argv);
    kj_signals_init ();
    int rc = kj_service_start (self);
    while (rc == 0 && !kj_stopping ())
        zclock_sleep (100);
    kj_info ("service.stopping", "daemon=%s instance=%s", def->name,
             self->instance);
    kj_service_destroy (&self);
    zsys_shutdown ();
    return rc;
}

kj_config_t *
kj_service_config (kj_service_t *self)
{
    return self->config;
}

const char *
kj_service_instance (kj_service_t *self)
{
    return self->instance;
}

void *
kj_service_state (kj_service_t *self)
{
    return self->state;
}

void
kj_service_credit (kj_service_t *self, const char *name, int credit)
{
    assert (!self->started);
    for (size_t i = 0; i < self->n_services; i++)
        if (streq (self->counters [i].serve->name, name))
            self->counters [i].credit = credit > 0 ? credit : 1;
}

int
kj_service_workers (kj_service_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_services; i++)
        if (streq (self->counters [i].serve->name, name))
            return atomic_load (&self->counters [i].workers);
    return 0;
}

//  --------------------------------------------------------------------------
//  Arena for jobs

struct _kj_arena_t {
    ProtobufCAllocator allocator;
    zlist_t *blocks;
};

static void *
s_arena_alloc (void *data, size_t size)
{
    kj_arena_t *self = (kj_arena_t *) data;
    void *ptr = zmalloc (size ? size : 1);
    zlist_append (self->blocks, ptr);
    return ptr;
}

static void
s_arena_free (void *data, void *ptr)
{
}

kj_arena_t *
kj_arena_new (void)
{
    kj_arena_t *self = (kj_arena_t *) zmalloc (sizeof (kj_arena_t));
    self->blocks = zlist_new ();
    self->allocator.alloc = s_arena_alloc;
    self->allocator.free = s_arena_free;
    self->allocator.allocator_data = self;
    return self;
}

void
kj_arena_destroy (kj_arena_t **self_p)
{
    if (*self_p) {
        kj_arena_reset (*self_p);
        zlist_destroy (&(*self_p)->blocks);
        free (*self_p);
        *self_p = NULL;
    }
}

ProtobufCAllocator *
kj_arena_allocator (kj_arena_t *self)
{
    return &self->allocator;
}

void
kj_arena_reset (kj_arena_t *self)
{
    void *ptr;
    while ((ptr = zlist_pop (self->blocks)))
        free (ptr);
}
