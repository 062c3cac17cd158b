/*  =========================================================================
    kj_db - one PostgreSQL connection of one service, with reconnect,
    prepared statements, transactions and numbered migrations

    A service owns one schema; its connection's search_path is that schema.
    Every statement takes parameters (never string-built SQL). After a
    PostgreSQL restart the next statement reconnects by itself; a statement
    that fails inside a transaction fails the transaction, and the caller
    retries the whole of it.
    =========================================================================
*/

#ifndef KJ_DB_H_INCLUDED
#define KJ_DB_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  One migration: applied once, in version order, recorded in
//  <schema>.kj_migrations. common/sql2c.sh builds the table from
//  services/<name>/sql/NNN_*.sql, ended by a row with sql NULL.
typedef struct {
    int version;
    const char *name;
    const char *sql;
} kj_migration_t;

typedef struct _kj_db_t kj_db_t;

//  Connect with dsn and work in schema. Retries for up to wait_ms
//  (0: once) while PostgreSQL is not up, logging each failure; NULL if it
//  never came up.
kj_db_t *
    kj_db_new (const char *dsn, const char *schema, int wait_ms);

void
    kj_db_destroy (kj_db_t **self_p);

//  The raw connection, for COPY and what else this class does not wrap.
//  Valid until the next kj_db call that may reconnect. In a transaction,
//  what waits to be sent (BEGIN, kj_db_defer's) is sent first.
PGconn *
    kj_db_conn (kj_db_t *self);

const char *
    kj_db_schema (kj_db_t *self);

//  Run sql with text parameters (NULL for SQL NULL). Returns the result
//  (PGRES_COMMAND_OK or PGRES_TUPLES_OK), which the caller PQclears, or
//  NULL on error: kj_db_sqlstate and kj_db_error tell why. Outside a
//  transaction a lost connection is re-opened and the statement run once
//  more. Statements are prepared on first use per connection, keyed by
//  the sql text, so pass the same literal each time.
PGresult *
    kj_db_exec (kj_db_t *self, const char *sql, int nparams,
                const char *const *params);

//  One statement of a batch for kj_db_exec_many.
typedef struct {
    const char *sql;
    int nparams;
    const char *const *params;
} kj_db_query_t;

//  Run count statements in one round trip (libpq's pipeline mode), each
//  prepared on first use as kj_db_exec does. On success returns 0 and
//  results [i] holds statement i's result (the caller PQclears each); on
//  error returns -1 with every results [i] NULL and the first error
//  recorded. Outside a transaction a lost connection is re-opened and the
//  whole batch run once more. Use it for reads that need several
//  statements: each round trip costs more than the statement.
int
    kj_db_exec_many (kj_db_t *self, const kj_db_query_t *queries, int count,
                     PGresult **results);

//  A statement of the open transaction whose answer is only "done" (a
//  lock, an INSERT of one row): it waits, copied, and goes to the server
//  in the same round trip as the next statement that needs an answer, or
//  as COMMIT; in order, after BEGIN, which kj_db_begin also leaves to go
//  with the first statement. Its failure fails that statement or the
//  commit (kj_db_sqlstate names it), and the transaction. Outside a
//  transaction it runs at once. 0, or -1 when it failed now.
int
    kj_db_defer (kj_db_t *self, const char *sql, int nparams,
                 const char *const *params);

//  As kj_db_defer, for a statement whose result the caller wants but can
//  wait for (a look-up that may go with the next statement's round trip):
//  *result is set to NULL now, and receives the result when the statement
//  has gone and succeeded, whatever a statement after it in that round
//  trip did; it stays NULL when the statement failed or did not run (one
//  before it failed, or a rollback dropped it). The caller PQclears it,
//  and keeps result valid until the transaction ends. Outside a
//  transaction it runs at once. 0, or -1 when it failed now.
int
    kj_db_defer_keep (kj_db_t *self, const char *sql, int nparams,
                      const char *const *params, PGresult **result);

//  The result of kj_db_defer_keep's statement: if the statement has not
//  gone yet, it goes now, with what waits before it (BEGIN, deferred
//  statements), in one round trip; statements deferred after it wait on.
//  0 when *result holds it, -1 when it failed or did not run
//  (kj_db_sqlstate and kj_db_error say why).
int
    kj_db_kept (kj_db_t *self, PGresult **result);

//  Round trips to the server on this connection so far (statements,
//  pipelines, prepares, COMMIT and ROLLBACK), to count what a call costs.
uint64_t
    kj_db_round_trips (kj_db_t *self);

//  As kj_db_exec, for statements whose result is not needed: returns the
//  number of rows affected, or -1 on error.
int64_t
    kj_db_run (kj_db_t *self, const char *sql, int nparams,
               const char *const *params);

//  Run `sql`, a COPY ... FROM STDIN, with data (COPY text or binary, as
//  sql says) sent in pieces. 0, or -1 with kj_db_sqlstate and kj_db_error
//  set. Never reconnects (a COPY belongs to the caller's transaction).
int
    kj_db_copy (kj_db_t *self, const char *sql, const void *data, size_t size);

//  The same as a stream: begin the COPY ... FROM STDIN, put data as it
//  comes (the server stores each piece while the caller makes the next),
//  end it (failed: give up the COPY and its transaction's work). Each 0,
//  or -1 with kj_db_sqlstate and kj_db_error set; after a -1 from begin
//  or put, call end with failed true.
int
    kj_db_copy_begin (kj_db_t *self, const char *sql);
int
    kj_db_copy_put (kj_db_t *self, const void *data, size_t size);
int
    kj_db_copy_end (kj_db_t *self, bool failed);

//  SQLSTATE of the last error ("23505" unique violation, "40001"
//  serialization failure, ...), "" if none; and its message.
const char *
    kj_db_sqlstate (kj_db_t *self);
const char *
    kj_db_error (kj_db_t *self);

//  True if the last error means "retry the transaction" (40001, 40P01) or
//  a lost connection.
bool
    kj_db_retryable (kj_db_t *self);

//  The kj.Code that a failed statement's SQLSTATE means for the request:
//  a value the database refuses fails again on retry, so class 22 (data
//  exception) is INVALID_ARGUMENT, or OUT_OF_RANGE for 22003 (numeric)
//  and 22008 (date and time); 23502 (not null) and 23514 (check)
//  INVALID_ARGUMENT; 23505 (unique) ALREADY_EXISTS; 23503 (foreign key)
//  FAILED_PRECONDITION; class XX (internal error, and kj_db_refuse's)
//  INTERNAL. Anything else is UNAVAILABLE: retry.
int
    kj_db_status_code (const char *sqlstate);

int
    kj_db_begin (kj_db_t *self);
int
    kj_db_commit (kj_db_t *self);
//  Never fails from the caller's view; safe outside a transaction.
void
    kj_db_rollback (kj_db_t *self);
bool
    kj_db_in_tx (kj_db_t *self);

//  After the open transaction commits, send a NOTIFY on channel (a name as
//  schemas are: [a-z_][a-z0-9_]*, at most 63 bytes), in a transaction of
//  its own and only while PostgreSQL's notification queue is less than
//  half full: a wake-up for a listener that also polls, never a reason
//  for a commit to fail. Inside a transaction; a rollback drops it.
void
    kj_db_notify_after_commit (kj_db_t *self, const char *channel);

//  The listener's side, without waiting: read what the server has sent and
//  drop the notifications that came (on any channel the session LISTENs
//  to). 1 if any came, 0 if none, -1 if the session is gone. The caller
//  polls the session's socket (kj_db_conn) between calls.
int
    kj_db_notified (kj_db_t *self);

//  Take the lock of one entity (kind "registry.enterprise", key its code)
//  until the transaction ends, waiting while another transaction holds it.
//  A transaction-scoped advisory lock: it gives the transaction no id. A
//  transaction that writes an entity's events takes its lock BEFORE its
//  first write; then transactions of one entity get their ids, and their
//  events their place in the log, in the order they ran (the relay sends
//  in transaction id order; see kj_relay.h). Inside a transaction; the
//  lock goes to the server with the next statement (kj_db_defer), so
//  taking it costs no round trip of its own. 0 or -1.
int
    kj_db_lock_key (kj_db_t *self, const char *kind, const char *key);

//  Take the lock of a topic (KJ_LOCK_TOPIC, e.g. "ipo.fit.newly") until
//  the transaction ends: for a batch that writes thousands of keyed events
//  of one topic in one transaction, where a lock per key would fill
//  PostgreSQL's lock table (max_locks_per_transaction x connections). It
//  orders the topic's events only because EVERY transaction that writes
//  the topic takes it, before its first write: a topic is ordered by its
//  keys' locks or by its topic lock, never by a mix. shared: for writers
//  that may run side by side because none writes a second event of an
//  entity another wrote (each event is its entity's only one: a scoring
//  chunk's portraits); they are ordered against every exclusive holder
//  (docs/events-design.md, "Which lock orders an event"). Deferred as
//  kj_db_lock_key's. 0 or -1.
int
    kj_db_lock_topic (kj_db_t *self, const char *topic, bool shared);

//  Record that the caller took key's entity lock (kj_db_lock_key's SQL:
//  KJ_LOCK_ENTITY, hashtext (kind ':' key)) with a statement of its own,
//  such as one that locks every product of an institution, or a lock in
//  a kj_db_exec_many batch. Inside a transaction.
void
    kj_db_locked_key (kj_db_t *self, const char *key);

//  Whether this transaction holds a lock that orders topic's event of key:
//  key's entity lock (kj_db_lock_key, any kind, or kj_db_locked_key) or
//  topic's lock (kj_db_lock_topic; topic may be NULL); false outside a
//  transaction. For the outbox's check before it writes a keyed event.
bool
    kj_db_holds_key (kj_db_t *self, const char *topic, const char *key);

//  Refuse the open transaction from the client's side (a caller's
//  mistake that kj_outbox finds, say): from now on every statement of it
//  fails at once without going to the server, with SQLSTATE XX000 and
//  message (kj_db_sqlstate, kj_db_error), and kj_db_commit rolls it back
//  and fails. The first reason stays. Inside a transaction.
void
    kj_db_refuse (kj_db_t *self, const char *message);

//  Create the schema if missing and apply every migration not yet
//  recorded, under an advisory lock so that copies starting together apply
//  each once. Also creates the tables common/ keeps in every service
//  schema (kj_migrations, kj_idempotency, kj_outbox). 0 or -1.
int
    kj_db_migrate (kj_db_t *self, const kj_migration_t *migrations);

//  With a connection that may create roles (an embedded node's superuser),
//  create role `role` (LOGIN, no password) and schema `schema` owned by
//  it, when missing. 0 or -1.
int
    kj_db_bootstrap (const char *admin_dsn, const char *schema,
                     const char *role);

#endif
