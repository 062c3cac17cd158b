/*  =========================================================================
    kj_db - one PostgreSQL connection of one service, with reconnect,
    prepared statements, transactions and numbered migrations

    Statements go through the extended protocol as named prepared
    statements, one per distinct sql text, prepared on first use on the
    current connection. Migrations and transaction control, which may hold
    several statements or none with parameters, go through PQexec.

    Round trips, not statements, are what a short transaction costs. So
    BEGIN is not sent by kj_db_begin but goes with the transaction's first
    statement, and statements whose answer is only "done" (kj_db_defer:
    locks, the audit row, the outbox row, the idempotency row) wait for the
    next statement or for COMMIT; each such group is one pipeline (libpq's
    pipeline mode), one round trip. COMMIT and the wake-up after it
    (kj_db_notify_after_commit) also go as one. A look-up that can wait
    (kj_db_defer_keep: the idempotency key's) waits the same way, its
    result kept for the caller.

    A lost connection is re-opened only outside a transaction: inside one,
    the work done so far is gone with the session, so the statement fails
    with a retryable state and the caller runs the whole transaction again.
    =========================================================================
*/

#include "kejin.h"
#include <ctype.h>
#include <errno.h>

//  How long a statement waits for a lost connection to come back.
#define KJ_DB_RECONNECT_MS 5000
//  Back-off between two connection attempts: doubles up to the maximum.
#define KJ_DB_BACKOFF_MIN_MS 50
#define KJ_DB_BACKOFF_MAX_MS 1000
//  PostgreSQL's identifier length limit (NAMEDATALEN - 1).
#define KJ_DB_NAME_MAX 63
//  Statements kj_db_defer holds at most before it sends them on its own
#define KJ_DB_DEFER_MAX 16
//  Topics a transaction's kj_db_lock_topic calls are remembered for
#define KJ_DB_TOPICS_MAX 8

//  A statement held by kj_db_defer: copies of its text and parameters
typedef struct {
    char *sql;
    int nparams;
    char **params;
    PGresult **keep;  //  where its result goes (kj_db_defer_keep), or NULL
} s_deferred_t;

//  One statement of a pipeline
typedef struct {
    const char *sql;
    int nparams;
    const char *const *params;
    bool plain;       //  sent as it is (BEGIN, COMMIT), not prepared
    bool ignore;      //  its result is nobody's (the wake-up after COMMIT)
    PGresult **keep;  //  its result goes there, whatever follows it
} s_item_t;

struct _kj_db_t {
    PGconn *conn;                      //  the connection, never NULL once open
    char *dsn;                         //  as given, to connect again
    char *schema;                      //  the service's schema
    char quoted [KJ_DB_NAME_MAX + 3];  //  the schema as a quoted identifier
    zhashx_t *statements;              //  sql text -> prepared statement name
    int prepared;                      //  statements prepared so far, for names
    int connections;  //  connections opened, to notice a reconnect
    bool in_tx;       //  between kj_db_begin and commit/rollback
    bool begun;       //  in_tx, and BEGIN went to the server
    s_deferred_t deferred [KJ_DB_DEFER_MAX];  //  kj_db_defer's, in order
    int n_deferred;
    uint64_t round_trips;  //  to the server, for kj_db_round_trips
    //  Keys kj_db_lock_key took in this transaction, each once (as many
    //  as PostgreSQL's lock table let it take: it fails before this grows
    //  past a few thousand)
    zhashx_t *locked;
    char *topics [KJ_DB_TOPICS_MAX];  //  topics kj_db_lock_topic took
    int n_topics;
    bool refused;            //  kj_db_refuse: the tx fails whole
    char refused_state [6];  //  its sqlstate and message
    char refused_error [256];
    bool copying;  //  between kj_db_copy_begin and kj_db_copy_end
    char notify [KJ_DB_NAME_MAX + 1];  //  channel to wake after commit
    char sqlstate [6];                 //  of the last error, "" if none
    char error [512];                  //  message of the last error, one line
};

//  --------------------------------------------------------------------------
//  Schema and role names are [a-z_][a-z0-9_]*, so quoting one is only
//  adding double quotes; the quotes keep reserved words usable.

static bool
s_valid_name (const char *name)
{
    if (!name || !*name || strlen (name) > KJ_DB_NAME_MAX
        || !(islower ((unsigned char) *name) || *name == '_'))
        return false;
    for (const char *c = name; *c; c++)
        if (!(islower ((unsigned char) *c) || isdigit ((unsigned char) *c)
              || *c == '_'))
            return false;
    return true;
}

static void
s_quote (const char *name, char *quoted, size_t size)
{
    snprintf (quoted, size, "\"%s\"", name);
}

static void
s_clear_error (kj_db_t *self)
{
    self->sqlstate [0] = 0;
    self->error [0] = 0;
}

//  Keeps the message on one line without double quotes, for log lines.

static void
s_set_error (kj_db_t *self, const char *sqlstate, const char *message)
{
    kj_strlcpy (self->sqlstate, sqlstate ? sqlstate : "",
                sizeof self->sqlstate);
    //  libpq's messages span lines: make them one, single-spaced.
    size_t size = 0;
    for (const char *c = message ? message : ""; *c; c++) {
        char ch = isspace ((unsigned char) *c) ? ' ' : *c == '"' ? '\'' : *c;
        if (ch == ' ' && (size == 0 || self->error [size - 1] == ' '))
            continue;
        if (size + 1 < sizeof self->error)
            self->error [size++] = ch;
    }
    while (size > 0 && self->error [size - 1] == ' ')
        size--;
    self->error [size] = 0;
}

//  Connection exceptions (08), and the server shutting down or not yet
//  accepting sessions (57P01, 57P02, 57P03).

static bool
s_is_connection_state (const char *sqlstate)
{
    return strncmp (sqlstate, "08", 2) == 0 || streq (sqlstate, "57P01")
        || streq (sqlstate, "57P02") || streq (sqlstate, "57P03");
}

//  --------------------------------------------------------------------------
//  True if result is a success; else records why in self. A statement that
//  fails in an already failed transaction keeps the first error, the one
//  that says whether to retry.

static bool
s_result_ok (kj_db_t *self, const PGresult *result)
{
    ExecStatusType status = result ? PQresultStatus (result)
                                   : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return true;

    const char *sqlstate = result
                             ? PQresultErrorField (result, PG_DIAG_SQLSTATE)
                             : NULL;
    const char *message = result ? PQresultErrorField (result,
                                                       PG_DIAG_MESSAGE_PRIMARY)
                                 : NULL;
    if (!message)
        message = status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR
                    ? PQerrorMessage (self->conn)
                    : PQresStatus (status);
    if (!sqlstate)
        sqlstate = "";
    if (PQstatus (self->conn) != CONNECTION_OK
        && !s_is_connection_state (sqlstate))
        sqlstate = "08006";  //  connection_failure
    if (streq (sqlstate, "25P02") && *self->sqlstate)
        return false;  //  in_failed_sql_transaction
    s_set_error (self, sqlstate, message);
    return false;
}

//  Server notices (NOTICE, WARNING) go to our log, not to stderr.

static void
s_on_notice (void *arg, const PGresult *result)
{
    const char *severity = PQresultErrorField (result,
                                               PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *message = PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY);
    if (severity && streq (severity, "WARNING"))
        kj_warn ("db.notice", "schema=%s severity=%s message=\"%s\"",
                 (const char *) arg, severity, message ? message : "");
    else
        kj_debug ("db.notice", "schema=%s severity=%s message=\"%s\"",
                  (const char *) arg, severity ? severity : "",
                  message ? message : "");
}

//  --------------------------------------------------------------------------
//  One attempt to open (or re-open) the connection and point its
//  search_path at the schema. Prepared statements die with the old
//  session, so the cache is emptied. 0 or -1, with the error recorded.

static int
s_open (kj_db_t *self)
{
    if (self->conn)
        PQreset (self->conn);
    else {
        //  dbname with expand_dbname takes the whole connection string.
        const char *keys [] = { "dbname", "fallback_application_name", NULL };
        const char *values [] = { self->dsn, program_invocation_short_name,
                                  NULL };
        self->conn = PQconnectdbParams (keys, values, 1);
        if (!self->conn) {
            s_set_error (self, "08001", "out of memory");
            return -1;
        }
    }
    zhashx_purge (self->statements);
    self->connections++;
    if (PQstatus (self->conn) != CONNECTION_OK) {
        s_set_error (self, "08001", PQerrorMessage (self->conn));
        return -1;
    }
    PQsetNoticeReceiver (self->conn, s_on_notice, self->schema);
    const char *params [] = { self->quoted };
    PGresult *result =
        PQexecParams (self->conn,
                      "SELECT pg_catalog.set_config ('search_path', $1, false)",
                      1, NULL, params, NULL, NULL, 0);
    bool ok = s_result_ok (self, result);
    PQclear (result);
    return ok ? 0 : -1;
}

//  Opens the connection, trying again with back-off for up to wait_ms (0:
//  once) or until the process is asked to stop. 0 or -1.

static int
s_connect (kj_db_t *self, int wait_ms)
{
    int64_t deadline = kj_mono_us () + (int64_t) wait_ms * 1000;
    int delay_ms = KJ_DB_BACKOFF_MIN_MS;
    while (s_open (self)) {
        int64_t left_ms = (deadline - kj_mono_us ()) / 1000;
        if (left_ms <= 0 || kj_stopping ()) {
            kj_error ("db.unavailable", "schema=%s error=\"%s\"", self->schema,
                      self->error);
            return -1;
        }
        if (delay_ms > left_ms)
            delay_ms = (int) left_ms;
        kj_warn ("db.connect_failed", "schema=%s retry_ms=%d error=\"%s\"",
                 self->schema, delay_ms, self->error);
        zclock_sleep (delay_ms);
        if (delay_ms < KJ_DB_BACKOFF_MAX_MS / 2)
            delay_ms *= 2;
        else
            delay_ms = KJ_DB_BACKOFF_MAX_MS;
    }
    s_clear_error (self);
    return 0;
}

static int
s_reconnect (kj_db_t *self)
{
    kj_warn ("db.reconnecting", "schema=%s reason=\"%s\"", self->schema,
             self->error);
    if (s_connect (self, KJ_DB_RECONNECT_MS))
        return -1;
    kj_info ("db.reconnected", "schema=%s", self->schema);
    return 0;
}

//  --------------------------------------------------------------------------
//  Runs sql once: as a cached prepared statement, or with prepared false
//  as a simple query (PQexec), which may hold several statements.

//  The name of sql as a prepared statement of this connection, prepared
//  now if it is the first time; NULL with the error recorded.

static const char *
s_prepared (kj_db_t *self, const char *sql, int nparams)
{
    const char *name = (const char *) zhashx_lookup (self->statements, sql);
    if (!name) {
        char fresh [16];
        snprintf (fresh, sizeof fresh, "kj_s%d", ++self->prepared);
        self->round_trips++;
        PGresult *result = PQprepare (self->conn, fresh, sql, nparams, NULL);
        bool ok = s_result_ok (self, result);
        PQclear (result);
        if (!ok)
            return NULL;
        zhashx_insert (self->statements, sql, fresh);
        name = (const char *) zhashx_lookup (self->statements, sql);
    }
    return name;
}

static PGresult *
s_exec_once (kj_db_t *self, const char *sql, int nparams,
             const char *const *params, bool prepared)
{
    PGresult *result;
    self->round_trips++;
    if (prepared) {
        const char *name = s_prepared (self, sql, nparams);
        if (!name)
            return NULL;
        result = PQexecPrepared (self->conn, name, nparams, params, NULL, NULL,
                                 0);
    }
    else
        result = PQexec (self->conn, sql);
    if (s_result_ok (self, result))
        return result;
    PQclear (result);
    return NULL;
}

//  Before a statement: forget the last error (unless it failed the
//  transaction in hand), and re-open a lost connection when that cannot
//  lose work, that is, outside a transaction or before its BEGIN went.
//  0 or -1.

static int
s_ready (kj_db_t *self)
{
    if (self->in_tx && self->refused) {
        s_set_error (self, self->refused_state, self->refused_error);
        return -1;
    }
    if (!(self->in_tx && PQtransactionStatus (self->conn) == PQTRANS_INERROR))
        s_clear_error (self);
    if (PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    if (self->in_tx && self->begun) {
        if (!s_is_connection_state (self->sqlstate))
            s_set_error (self, "08003", "connection lost inside a transaction");
        return -1;
    }
    s_set_error (self, "08003", "connection lost");
    return s_reconnect (self);
}

//  --------------------------------------------------------------------------
//  Pipelines. One attempt at a batch in pipeline mode: every statement
//  that is not plain is prepared first (a one-time cost per connection);
//  then all are sent, with one Sync at the end (libpq sends at each
//  Sync, and the server answers at each: one of each a round trip), and
//  their results read in order. After a failure the server answers the
//  rest with PGRES_PIPELINE_ABORTED: only the first error is recorded.
//  results [i] receives item i's result unless the item is ignored or
//  kept: a kept item's result goes to *keep when it succeeded, even if an
//  item after it failed (the items before it then all succeeded).

static int
s_pipeline_once (kj_db_t *self, const s_item_t *items, int count,
                 PGresult **results)
{
    const char *names [count];
    for (int i = 0; i < count; i++) {
        results [i] = NULL;
        if (items [i].keep) {  //  from an attempt on a session now gone
            PQclear (*items [i].keep);
            *items [i].keep = NULL;
        }
        names [i] = items [i].plain
                      ? NULL
                      : s_prepared (self, items [i].sql, items [i].nparams);
        if (!items [i].plain && !names [i])
            return -1;
    }
    if (!PQenterPipelineMode (self->conn)) {
        s_set_error (self, "08000", PQerrorMessage (self->conn));
        return -1;
    }
    self->round_trips++;
    bool sent = true;
    for (int i = 0; i < count && sent; i++) {
        const s_item_t *item = &items [i];
        sent = (item->plain
                    ? PQsendQueryParams (self->conn, item->sql, item->nparams,
                                         NULL, item->params, NULL, NULL, 0)
                    : PQsendQueryPrepared (self->conn, names [i], item->nparams,
                                           item->params, NULL, NULL, 0))
            == 1;
        if (sent && i == count - 1)
            sent = PQpipelineSync (self->conn) == 1;
    }
    int rc = sent ? 0 : -1;
    if (!sent)
        s_result_ok (self, NULL);
    for (int i = 0; i < count && sent; i++) {
        PGresult *result = PQgetResult (self->conn);
        if (!result) {  //  the connection went
            if (rc == 0)
                s_result_ok (self, NULL);
            rc = -1;
            break;
        }
        if (items [i].ignore)
            PQclear (result);
        else if (rc == 0 && s_result_ok (self, result))
            *(items [i].keep ? items [i].keep : &results [i]) = result;
        else {
            rc = -1;
            PQclear (result);
        }
        //  Each statement's results end with a NULL
        while ((result = PQgetResult (self->conn)))
            PQclear (result);
        if (i == count - 1 && PQstatus (self->conn) == CONNECTION_OK)
            PQclear (PQgetResult (self->conn));  //  PIPELINE_SYNC
    }
    if (PQstatus (self->conn) == CONNECTION_OK)
        PQexitPipelineMode (self->conn);
    if (rc)
        for (int i = 0; i < count; i++) {
            PQclear (results [i]);
            results [i] = NULL;
        }
    return rc;
}

//  The transaction ended: its entity locks went with it
static void
s_locked_clear (kj_db_t *self)
{
    if (self->locked)
        zhashx_purge (self->locked);
    for (int i = 0; i < self->n_topics; i++)
        free (self->topics [i]);
    self->n_topics = 0;
    self->refused = false;
}

//  Forget the first count deferred statements (they went, or the
//  transaction ended); the rest move up
static void
s_deferred_drop (kj_db_t *self, int count)
{
    for (int i = 0; i < count; i++) {
        s_deferred_t *d = &self->deferred [i];
        for (int p = 0; p < d->nparams; p++)
            free (d->params [p]);
        free (d->params);
        free (d->sql);
    }
    self->n_deferred -= count;
    memmove (self->deferred, self->deferred + count,
             (size_t) self->n_deferred * sizeof self->deferred [0]);
}

static void
s_deferred_clear (kj_db_t *self)
{
    s_deferred_drop (self, self->n_deferred);
}

//  Run the tail statements, preceded by what waits to be sent: BEGIN if
//  it has not gone yet, and the first ndeferred deferred statements (the
//  others wait on). One round trip. When nothing of the transaction had
//  reached the server, or there is none, a lost connection is re-opened
//  and the whole run once more, unless once (a COMMIT: whether it
//  happened is not known). results [i] for the tail, as s_pipeline_once.
//  0 or -1.

static int
s_run_some (kj_db_t *self, int ndeferred, const s_item_t *tail, int ntail,
            PGresult **results, bool once)
{
    int count = (self->in_tx && !self->begun) + ndeferred + ntail;
    if (count == 0)
        return 0;
    s_item_t items [count];
    PGresult *all [count];
    int at = 0;
    if (self->in_tx && !self->begun)
        items [at++] = (s_item_t){ .sql = "BEGIN", .plain = true };
    for (int i = 0; i < ndeferred; i++)
        items [at++] = (s_item_t){
            .sql = self->deferred [i].sql,
            .nparams = self->deferred [i].nparams,
            .params = (const char *const *) self->deferred [i].params,
            .keep = self->deferred [i].keep
        };
    int first = at;
    for (int i = 0; i < ntail; i++)
        items [at++] = tail [i];
    bool fresh = !self->in_tx || !self->begun;
    if (s_ready (self))
        return -1;
    int rc = s_pipeline_once (self, items, count, all);
    if (rc && fresh && !once && s_is_connection_state (self->sqlstate)
        && s_reconnect (self) == 0)
        rc = s_pipeline_once (self, items, count, all);
    if (self->in_tx)
        self->begun = true;
    s_deferred_drop (self, ndeferred);
    for (int i = 0; i < count; i++)
        if (i < first)
            PQclear (all [i]);
        else if (results)
            results [i - first] = all [i];
        else
            PQclear (all [i]);
    return rc;
}

static int
s_run (kj_db_t *self, const s_item_t *tail, int ntail, PGresult **results,
       bool once)
{
    return s_run_some (self, self->n_deferred, tail, ntail, results, once);
}

//  Whether statements wait to go with the next one
static bool
s_pending (kj_db_t *self)
{
    return self->in_tx && (!self->begun || self->n_deferred > 0);
}

//  Send what waits (BEGIN, deferred statements) on its own; 0 or -1.
static int
s_flush (kj_db_t *self)
{
    return s_pending (self) ? s_run (self, NULL, 0, NULL, false) : 0;
}

//  Runs sql, re-opening a lost connection and trying once more when that
//  cannot lose work, that is, outside a transaction.

static PGresult *
s_exec (kj_db_t *self, const char *sql, int nparams, const char *const *params,
        bool prepared)
{
    if (s_pending (self)) {
        if (prepared) {
            PGresult *result = NULL;
            s_item_t item = { .sql = sql,
                              .nparams = nparams,
                              .params = params };
            s_run (self, &item, 1, &result, false);
            return result;
        }
        if (s_flush (self))
            return NULL;
    }
    if (s_ready (self))
        return NULL;
    PGresult *result = s_exec_once (self, sql, nparams, params, prepared);
    if (!result && !self->in_tx && s_is_connection_state (self->sqlstate)
        && s_reconnect (self) == 0)
        result = s_exec_once (self, sql, nparams, params, prepared);
    return result;
}

int
kj_db_exec_many (kj_db_t *self, const kj_db_query_t *queries, int count,
                 PGresult **results)
{
    s_item_t items [count];
    for (int i = 0; i < count; i++)
        items [i] = (s_item_t){ .sql = queries [i].sql,
                                .nparams = queries [i].nparams,
                                .params = queries [i].params };
    return s_run (self, items, count, results, false);
}

//  kj_db_defer, and kj_db_defer_keep when keep is not NULL
static int
s_defer (kj_db_t *self, const char *sql, int nparams, const char *const *params,
         PGresult **keep)
{
    assert (self && sql);
    if (keep)
        *keep = NULL;
    if (!self->in_tx) {
        PGresult *result = kj_db_exec (self, sql, nparams, params);
        if (keep)
            *keep = result;
        else
            PQclear (result);
        return result ? 0 : -1;
    }
    if (self->n_deferred == KJ_DB_DEFER_MAX && s_flush (self))
        return -1;
    s_deferred_t *d = &self->deferred [self->n_deferred++];
    d->sql = strdup (sql);
    d->nparams = nparams;
    d->params = (char **) zmalloc ((size_t) (nparams + 1) * sizeof (char *));
    d->keep = keep;
    assert (d->sql && d->params);
    for (int p = 0; p < nparams; p++)
        d->params [p] = params [p] ? strdup (params [p]) : NULL;
    return 0;
}

int
kj_db_defer (kj_db_t *self, const char *sql, int nparams,
             const char *const *params)
{
    return s_defer (self, sql, nparams, params, NULL);
}

int
kj_db_defer_keep (kj_db_t *self, const char *sql, int nparams,
                  const char *const *params, PGresult **result)
{
    assert (result);
    return s_defer (self, sql, nparams, params, result);
}

//  A kept statement that has not gone yet goes now, with what waits
//  before it; what was deferred after it still waits for its round trip
//  (the commit's, say), as its caller expects.

int
kj_db_kept (kj_db_t *self, PGresult **result)
{
    assert (self && result);
    for (int i = 0; i < self->n_deferred; i++)
        if (self->deferred [i].keep == result) {
            s_run_some (self, i + 1, NULL, 0, NULL, false);
            break;
        }
    if (*result)
        return 0;
    if (!*self->sqlstate)  //  a caller's mistake: nothing says why
        s_set_error (self, "XX000", "the statement kept never ran");
    return -1;
}

uint64_t
kj_db_round_trips (kj_db_t *self)
{
    assert (self);
    return self->round_trips;
}

bool
kj_db_holds_key (kj_db_t *self, const char *topic, const char *key)
{
    assert (self && key);
    if (!self->in_tx)
        return false;
    for (int i = 0; topic && i < self->n_topics; i++)
        if (streq (self->topics [i], topic))
            return true;
    return zhashx_lookup (self->locked, key) != NULL;
}

void
kj_db_locked_key (kj_db_t *self, const char *key)
{
    assert (self->in_tx && key);
    zhashx_insert (self->locked, key, (void *) 1);  //  or there already
}

int
kj_db_lock_key (kj_db_t *self, const char *kind, const char *key)
{
    assert (self->in_tx);
    const char *params [] = { kind, key };
    kj_db_locked_key (self, key);
    return kj_db_defer (self,
                        "SELECT pg_advisory_xact_lock (" KJ_LOCK_ENTITY
                        ", hashtext ($1 || ':' || $2))",
                        2, params);
}

int
kj_db_lock_topic (kj_db_t *self, const char *topic, bool shared)
{
    assert (self->in_tx && topic && *topic);
    for (int i = 0; i < self->n_topics; i++)
        if (streq (self->topics [i], topic))
            return 0;  //  held already
    //  A batch locks one topic or two: more is a mistake of the caller
    assert (self->n_topics < KJ_DB_TOPICS_MAX);
    self->topics [self->n_topics] = strdup (topic);
    assert (self->topics [self->n_topics]);
    self->n_topics++;
    const char *params [] = { topic };
    return kj_db_defer (
        self,
        shared ? "SELECT pg_advisory_xact_lock_shared (" KJ_LOCK_TOPIC
                 ", hashtext ($1))"
               : "SELECT pg_advisory_xact_lock (" KJ_LOCK_TOPIC
                 ", hashtext ($1))",
        1, params);
}

void
kj_db_refuse (kj_db_t *self, const char *message)
{
    assert (self->in_tx && message);
    if (self->refused)
        return;  //  the first reason stays
    self->refused = true;
    kj_strlcpy (self->refused_state, "XX000", sizeof self->refused_state);
    kj_strlcpy (self->refused_error, message, sizeof self->refused_error);
    s_set_error (self, self->refused_state, self->refused_error);
}

//  --------------------------------------------------------------------------

kj_db_t *
kj_db_new (const char *dsn, const char *schema, int wait_ms)
{
    assert (dsn);
    if (!s_valid_name (schema)) {
        kj_error ("db.bad_schema",
                  "schema=\"%s\" reason=\"want [a-z_][a-z0-9_]*\"",
                  schema ? schema : "");
        return NULL;
    }
    kj_db_t *self = (kj_db_t *) zmalloc (sizeof (kj_db_t));
    self->dsn = strdup (dsn);
    self->schema = strdup (schema);
    s_quote (schema, self->quoted, sizeof self->quoted);
    self->statements = zhashx_new ();
    zhashx_set_duplicator (self->statements, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->statements,
                           (zhashx_destructor_fn *) zstr_free);
    self->locked = zhashx_new ();  //  keys copied, values a mark
    assert (self->locked);
    if (s_connect (self, wait_ms))
        kj_db_destroy (&self);
    return self;
}

void
kj_db_destroy (kj_db_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        kj_db_t *self = *self_p;
        if (self->conn)
            PQfinish (self->conn);
        s_deferred_clear (self);
        s_locked_clear (self);
        zhashx_destroy (&self->locked);
        zhashx_destroy (&self->statements);
        free (self->dsn);
        free (self->schema);
        free (self);
        *self_p = NULL;
    }
}

PGconn *
kj_db_conn (kj_db_t *self)
{
    assert (self);
    s_flush (self);  //  what the caller sends next follows BEGIN
    return self->conn;
}

const char *
kj_db_schema (kj_db_t *self)
{
    assert (self);
    return self->schema;
}

PGresult *
kj_db_exec (kj_db_t *self, const char *sql, int nparams,
            const char *const *params)
{
    assert (self);
    assert (sql);
    return s_exec (self, sql, nparams, params, true);
}

int64_t
kj_db_run (kj_db_t *self, const char *sql, int nparams,
           const char *const *params)
{
    PGresult *result = kj_db_exec (self, sql, nparams, params);
    if (!result)
        return -1;
    int64_t rows = strtoll (PQcmdTuples (result), NULL, 10);
    PQclear (result);
    return rows;
}

int
kj_db_copy (kj_db_t *self, const char *sql, const void *data, size_t size)
{
    int rc = kj_db_copy_begin (self, sql);
    if (rc == 0)
        rc = kj_db_copy_put (self, data, size);
    return kj_db_copy_end (self, rc != 0) || rc ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  A COPY ... FROM STDIN as a stream

int
kj_db_copy_begin (kj_db_t *self, const char *sql)
{
    assert (self);
    assert (sql);
    if (s_flush (self) || s_ready (self))
        return -1;
    s_clear_error (self);
    self->round_trips++;
    PGresult *result = PQexec (self->conn, sql);
    if (PQresultStatus (result) != PGRES_COPY_IN) {
        s_result_ok (self, result);
        PQclear (result);
        return -1;
    }
    PQclear (result);
    self->copying = true;
    return 0;
}

int
kj_db_copy_put (kj_db_t *self, const void *data, size_t size)
{
    assert (self);
    if (!self->copying)
        return -1;
    //  In pieces: libpq copies each into its output buffer
    for (size_t at = 0; at < size;) {
        size_t piece = size - at > 262144 ? 262144 : size - at;
        if (PQputCopyData (self->conn, (const char *) data + at, (int) piece)
            != 1) {
            s_set_error (self, "08006", PQerrorMessage (self->conn));
            return -1;
        }
        at += piece;
    }
    return 0;
}

int
kj_db_copy_end (kj_db_t *self, bool failed)
{
    assert (self);
    if (!self->copying)
        return -1;
    self->copying = false;
    int rc = failed ? -1 : 0;
    if (PQputCopyEnd (self->conn, failed ? "client failed" : NULL) != 1) {
        s_set_error (self, "08006", PQerrorMessage (self->conn));
        rc = -1;
    }
    PGresult *result;
    while ((result = PQgetResult (self->conn)) != NULL) {
        if (!s_result_ok (self, result) && !failed)
            rc = -1;
        PQclear (result);
    }
    return rc;
}

const char *
kj_db_sqlstate (kj_db_t *self)
{
    assert (self);
    return self->sqlstate;
}

const char *
kj_db_error (kj_db_t *self)
{
    assert (self);
    return self->error;
}

bool
kj_db_retryable (kj_db_t *self)
{
    assert (self);
    return streq (self->sqlstate, "40001") || streq (self->sqlstate, "40P01")
        || s_is_connection_state (self->sqlstate);
}

//  --------------------------------------------------------------------------
//  Class 22 is "data exception", class 23 "integrity constraint violation":
//  the same values fail the same way however often they are sent.

int
kj_db_status_code (const char *sqlstate)
{
    if (!sqlstate)
        return KJ__CODE__UNAVAILABLE;
    if (streq (sqlstate, "22003") || streq (sqlstate, "22008"))
        return KJ__CODE__OUT_OF_RANGE;
    if (strncmp (sqlstate, "22", 2) == 0 || streq (sqlstate, "23502")
        || streq (sqlstate, "23514"))
        return KJ__CODE__INVALID_ARGUMENT;
    if (streq (sqlstate, "23505"))
        return KJ__CODE__ALREADY_EXISTS;
    if (streq (sqlstate, "23503"))
        return KJ__CODE__FAILED_PRECONDITION;
    if (strncmp (sqlstate, "XX", 2) == 0)
        return KJ__CODE__INTERNAL;  //  a bug or a broken server: no retry
    return KJ__CODE__UNAVAILABLE;
}

//  --------------------------------------------------------------------------
//  Transactions

int
kj_db_begin (kj_db_t *self)
{
    assert (self);
    if (self->in_tx) {
        s_set_error (self, "25001", "a transaction is already open");
        kj_error ("db.nested_begin", "schema=%s", self->schema);
        return -1;
    }
    //  BEGIN goes with the first statement; a lost connection is
    //  re-opened now if it is known, else by that statement
    if (s_ready (self))
        return -1;
    self->in_tx = true;
    self->begun = false;
    *self->notify = 0;
    s_locked_clear (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  A failed commit ends the transaction too. When the connection broke
//  during COMMIT the outcome is unknown: the state is retryable, and the
//  caller's idempotency makes a retry safe.
//
//  The wake-up that kj_db_notify_after_commit asked for goes in the same
//  round trip, right after COMMIT and before the one Sync: PostgreSQL
//  commits a COMMIT at once, and runs what follows it in a transaction
//  of its own, ended by the Sync. A COMMIT that fails aborts the rest up
//  to the Sync, so no wake-up goes; the wake-up's own failure is ignored,
//  so a full notification queue can never fail a commit that matters. It
//  skips when the queue is half full, and does not wait for the disk (a
//  lost wake-up only delays the listener until it polls). Session 27: it
//  was a segment of its own, with a Sync of its own: libpq sent each
//  Sync in a send of its own, the server answered each, and the wake-up
//  went even after a failed COMMIT.

int
kj_db_commit (kj_db_t *self)
{
    assert (self);
    if (!self->in_tx) {
        s_set_error (self, "25P01", "commit outside a transaction");
        kj_error ("db.commit_outside_tx", "schema=%s", self->schema);
        return -1;
    }
    if (self->refused) {
        //  Refused by the client (kj_db_refuse): nothing of it commits
        kj_db_rollback (self);
        s_set_error (self, "XX000", "the transaction was refused; rolled back");
        return -1;
    }
    if (!self->begun && self->n_deferred == 0) {
        self->in_tx = false;  //  nothing was sent: nothing to commit
        s_locked_clear (self);
        s_clear_error (self);
        return 0;
    }
    if (self->begun && PQstatus (self->conn) == CONNECTION_OK
        && PQtransactionStatus (self->conn) == PQTRANS_INERROR) {
        //  A statement failed; its error stays the one the caller sees.
        if (!*self->sqlstate)
            s_set_error (self, "25P02", "the transaction had failed");
        kj_db_rollback (self);
        return -1;
    }
    const char *channel [] = { self->notify };
    s_item_t items [] = {
        { .sql = "COMMIT", .plain = true },
        { .sql = "SELECT pg_notify ($1, '') FROM (SELECT set_config "
                 "('synchronous_commit', 'off', true)) s "
                 "WHERE pg_notification_queue_usage () < 0.5",
          .nparams = 1,
          .params = channel,
          .ignore = true }
    };
    PGresult *results [2] = { NULL, NULL };
    int rc = s_run (self, items, *self->notify ? 2 : 1, results, true);
    if (rc) {
        //  A deferred statement failed before COMMIT: the server's
        //  transaction is still open, failed
        kj_db_rollback (self);
        return -1;
    }
    self->in_tx = false;
    *self->notify = 0;
    s_locked_clear (self);
    //  COMMIT of a transaction that failed answers ROLLBACK, not an error.
    bool rolled_back = streq (PQcmdStatus (results [0]), "ROLLBACK");
    PQclear (results [0]);
    if (rolled_back) {
        s_set_error (self, "25P02", "the transaction had failed; rolled back");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Channel names are checked here: the wake-up's SQL is built with it.

void
kj_db_notify_after_commit (kj_db_t *self, const char *channel)
{
    assert (self && self->in_tx);
    assert (s_valid_name (channel));
    kj_strlcpy (self->notify, channel, sizeof self->notify);
}

int
kj_db_notified (kj_db_t *self)
{
    assert (self);
    if (!PQconsumeInput (self->conn))
        return -1;
    int woken = 0;
    PGnotify *note;
    while ((note = PQnotifies (self->conn))) {
        woken = 1;
        PQfreemem (note);
    }
    return woken;
}

void
kj_db_rollback (kj_db_t *self)
{
    assert (self);
    self->in_tx = false;
    *self->notify = 0;
    s_deferred_clear (self);
    s_locked_clear (self);
    if (PQstatus (self->conn) != CONNECTION_OK
        || PQtransactionStatus (self->conn) == PQTRANS_IDLE)
        return;  //  a lost connection is re-opened on next use
    self->round_trips++;
    PGresult *result = PQexec (self->conn, "ROLLBACK");
    PQclear (result);
    if (PQstatus (self->conn) == CONNECTION_OK
        && PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        //  Such as a COPY left half done: start afresh.
        kj_warn ("db.rollback_failed", "schema=%s error=\"%s\"", self->schema,
                 PQerrorMessage (self->conn));
        char sqlstate [sizeof self->sqlstate];
        char error [sizeof self->error];
        memcpy (sqlstate, self->sqlstate, sizeof sqlstate);
        memcpy (error, self->error, sizeof error);
        s_open (self);
        memcpy (self->sqlstate, sqlstate, sizeof sqlstate);
        memcpy (self->error, error, sizeof error);
    }
}

bool
kj_db_in_tx (kj_db_t *self)
{
    assert (self);
    return self->in_tx;
}

//  --------------------------------------------------------------------------
//  Migrations

//  The tables common/ keeps in every service schema. %s is the quoted
//  schema, four times.
static const char *s_common_tables =
    "CREATE TABLE IF NOT EXISTS %s.kj_migrations (\n"
    "    version int PRIMARY KEY,\n"
    "    name text NOT NULL,\n"
    "    applied_at timestamptz NOT NULL DEFAULT now ());\n"
    "CREATE TABLE IF NOT EXISTS %s.kj_idempotency (\n"
    "    key text PRIMARY KEY,\n"
    "    method text NOT NULL,\n"
    "    request_hash bytea NOT NULL,\n"
    "    reply bytea,\n"
    "    created_at timestamptz NOT NULL DEFAULT now ());\n"
    "CREATE TABLE IF NOT EXISTS %s.kj_outbox (\n"
    "    id bigserial PRIMARY KEY,\n"
    "    txid xid8 NOT NULL DEFAULT pg_current_xact_id (),\n"
    "    topic text NOT NULL,\n"
    "    key text NOT NULL,\n"
    "    payload_type text NOT NULL,\n"
    "    payload bytea NOT NULL,\n"
    "    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp ());\n"
    "CREATE INDEX IF NOT EXISTS kj_outbox_txid_id\n"
    "    ON %s.kj_outbox (txid, id);\n";

//  Runs DDL text through PQexec in the open transaction; 0 or -1.

static int
s_exec_ddl (kj_db_t *self, const char *sql)
{
    PGresult *result = s_exec (self, sql, 0, NULL, false);
    PQclear (result);
    return result ? 0 : -1;
}

//  The schema and the common tables. CREATE SCHEMA needs the CREATE right
//  on the database even when the schema exists, which a service role that
//  was given its schema does not have: so create it only when missing.

static int
s_create_common (kj_db_t *self)
{
    const char *params [] = { self->schema };
    PGresult *result =
        kj_db_exec (self,
                    "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
                    1, params);
    if (!result)
        return -1;
    bool exists = PQntuples (result) > 0;
    PQclear (result);
    if (kj_db_begin (self))
        return -1;
    int rc = 0;
    if (!exists) {
        char *sql = zsys_sprintf ("CREATE SCHEMA %s", self->quoted);
        rc = s_exec_ddl (self, sql);
        zstr_free (&sql);
    }
    if (rc == 0) {
        char *sql = zsys_sprintf (s_common_tables, self->quoted, self->quoted,
                                  self->quoted, self->quoted);
        rc = s_exec_ddl (self, sql);
        zstr_free (&sql);
    }
    if (rc == 0)
        return kj_db_commit (self);
    kj_db_rollback (self);
    return -1;
}

//  Applies one migration with its kj_migrations row in one transaction,
//  unless it is recorded already. connections is the count when the
//  advisory lock was taken: a reconnect since then lost the lock.

static int
s_apply (kj_db_t *self, const kj_migration_t *migration, int connections)
{
    char version [16];
    snprintf (version, sizeof version, "%d", migration->version);
    const char *params [] = { version, migration->name };
    if (kj_db_begin (self))
        return -1;
    if (self->connections != connections) {
        s_set_error (self, "08006", "connection lost, and the migration lock");
        kj_db_rollback (self);
        return -1;
    }
    PGresult *result =
        kj_db_exec (self, "SELECT 1 FROM kj_migrations WHERE version = $1", 1,
                    params);
    bool applied = result && PQntuples (result) > 0;
    PQclear (result);
    if (result && !applied && s_exec_ddl (self, migration->sql) == 0
        && kj_db_run (
               self,
               "INSERT INTO kj_migrations (version, name) VALUES ($1, $2)", 2,
               params)
               == 1
        && kj_db_commit (self) == 0) {
        kj_info ("db.migrated", "schema=%s version=%d name=%s", self->schema,
                 migration->version, migration->name);
        return 0;
    }
    kj_db_rollback (self);
    return applied ? 0 : -1;
}

int
kj_db_migrate (kj_db_t *self, const kj_migration_t *migrations)
{
    assert (self);
    assert (!self->in_tx);
    int previous = 0;
    for (const kj_migration_t *m = migrations; m && m->sql; m++) {
        if (m->version <= previous || !m->name) {
            kj_error ("db.migrate_failed",
                      "schema=%s version=%d "
                      "reason=\"versions must increase and have names\"",
                      self->schema, m->version);
            return -1;
        }
        previous = m->version;
    }
    const char *params [] = { self->schema };
    PGresult *result = kj_db_exec (self,
                                   "SELECT pg_advisory_lock (" KJ_LOCK_MIGRATE
                                   ", hashtext ($1))",
                                   1, params);
    if (!result) {
        kj_error ("db.migrate_failed",
                  "schema=%s step=lock sqlstate=%s "
                  "error=\"%s\"",
                  self->schema, self->sqlstate, self->error);
        return -1;
    }
    PQclear (result);
    int connections = self->connections;

    int rc = s_create_common (self);
    if (rc)
        kj_error ("db.migrate_failed",
                  "schema=%s step=common sqlstate=%s "
                  "error=\"%s\"",
                  self->schema, self->sqlstate, self->error);
    for (const kj_migration_t *m = migrations; rc == 0 && m && m->sql; m++) {
        rc = s_apply (self, m, connections);
        if (rc)
            kj_error ("db.migrate_failed",
                      "schema=%s version=%d name=%s "
                      "sqlstate=%s error=\"%s\"",
                      self->schema, m->version, m->name, self->sqlstate,
                      self->error);
    }
    //  The lock goes with its session: after a reconnect there is none.
    if (self->connections == connections
        && PQstatus (self->conn) == CONNECTION_OK) {
        char sqlstate [sizeof self->sqlstate];
        char error [sizeof self->error];
        memcpy (sqlstate, self->sqlstate, sizeof sqlstate);
        memcpy (error, self->error, sizeof error);
        result = PQexecParams (self->conn,
                               "SELECT pg_advisory_unlock (" KJ_LOCK_MIGRATE
                               ", hashtext ($1))",
                               1, NULL, params, NULL, NULL, 0);
        PQclear (result);
        memcpy (self->sqlstate, sqlstate, sizeof sqlstate);
        memcpy (self->error, error, sizeof error);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Bootstrap of a service's role and schema, by an admin connection

static bool
s_is_duplicate (kj_db_t *db)
{
    const char *sqlstate = kj_db_sqlstate (db);
    return streq (sqlstate, "42710") || streq (sqlstate, "23505")
        || streq (sqlstate, "42P06");
}

//  One transaction under an advisory lock, so that processes of one
//  database bootstrapping together take turns. 0 or -1.

static int
s_bootstrap (kj_db_t *db, const char *schema, const char *role)
{
    char qschema [KJ_DB_NAME_MAX + 3], qrole [KJ_DB_NAME_MAX + 3];
    s_quote (schema, qschema, sizeof qschema);
    s_quote (role, qrole, sizeof qrole);
    if (kj_db_begin (db))
        return -1;
    const char *params [] = { role };
    PGresult *result =
        kj_db_exec (db,
                    "SELECT pg_advisory_xact_lock (" KJ_LOCK_BOOTSTRAP ", 0)",
                    0, NULL);
    bool locked = result != NULL;
    PQclear (result);
    //  A statement of its own, so that its snapshot follows the lock.
    result = locked ? kj_db_exec (
                 db, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", 1,
                 params)
                    : NULL;
    int rc = result ? 0 : -1;
    if (rc == 0 && PQntuples (result) == 0) {
        char *sql = zsys_sprintf ("CREATE ROLE %s LOGIN", qrole);
        rc = s_exec_ddl (db, sql);
        zstr_free (&sql);
    }
    PQclear (result);
    if (rc == 0) {
        char *sql =
            zsys_sprintf ("CREATE SCHEMA IF NOT EXISTS %s AUTHORIZATION %s;"
                          "GRANT USAGE, CREATE ON SCHEMA %s TO %s;"
                          "ALTER ROLE %s SET search_path = %s",
                          qschema, qrole, qschema, qrole, qrole, qschema);
        rc = s_exec_ddl (db, sql);
        zstr_free (&sql);
    }
    if (rc == 0)
        return kj_db_commit (db);
    kj_db_rollback (db);
    return -1;
}

int
kj_db_bootstrap (const char *admin_dsn, const char *schema, const char *role)
{
    assert (admin_dsn);
    if (!s_valid_name (schema) || !s_valid_name (role)) {
        kj_error ("db.bootstrap_failed",
                  "schema=\"%s\" role=\"%s\" "
                  "reason=\"names must be [a-z_][a-z0-9_]*\"",
                  schema ? schema : "", role ? role : "");
        return -1;
    }
    kj_db_t *db = kj_db_new (admin_dsn, "public", KJ_DB_RECONNECT_MS);
    if (!db)
        return -1;
    //  Several databases of one cluster share its roles, beyond the
    //  lock's reach: a duplicate means another process won; go again.
    int rc = -1;
    for (int attempt = 0; attempt < 3 && rc; attempt++) {
        rc = s_bootstrap (db, schema, role);
        if (rc && !s_is_duplicate (db))
            break;
    }
    if (rc)
        kj_error ("db.bootstrap_failed",
                  "schema=%s role=%s sqlstate=%s "
                  "error=\"%s\"",
                  schema, role, kj_db_sqlstate (db), kj_db_error (db));
    else
        kj_info ("db.bootstrapped", "schema=%s role=%s", schema, role);
    kj_db_destroy (&db);
    return rc;
}
