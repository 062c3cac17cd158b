/*  =========================================================================
    kj_relay - hands a service's committed outbox rows to kejin-events

    One loop, every step safe to crash in:
        read a batch above the cursor  ->  Append it  ->  cursor := reply's
        ->  delete outbox rows at or below the cursor
    A crash before the Append's reply re-sends rows the log may hold: it
    drops them by the producer's cursor. A crash before the delete leaves
    rows the next read skips (they are below the cursor).
    =========================================================================
*/

#include "kejin.h"
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>

//  After a wake-up whose rows the read did not see yet (an older
//  transaction still holds xmin back), look again this often, this long
#define KJ_RELAY_PENDING_MS 1
#define KJ_RELAY_PENDING_US 20000

struct _kj_relay_t {
    kj_relay_config_t config;  //  strings below are our copies
    char *dsn, *schema, *broker, *city;
    pthread_t thread;
    atomic_bool stop;      //  set by kj_relay_destroy, read by the relay thread
    pthread_mutex_t lock;  //  guards stats
    kj_relay_stats_t stats;
    bool deleting;  //  for the trace: a DELETE ran when the read began
};

static bool
s_stopping (kj_relay_t *self)
{
    return atomic_load (&self->stop) || kj_stopping ();
}

static void
s_sleep (kj_relay_t *self, int msecs)
{
    for (int slept = 0; slept < msecs && !s_stopping (self); slept += 20)
        zclock_sleep (msecs - slept < 20 ? msecs - slept : 20);
}

//  --------------------------------------------------------------------------
//  Listen to the producer's outbox channel on the lock's session (LISTEN
//  takes no parameters: the name is quoted by libpq). 0 or -1.

static int
s_listen (kj_relay_t *self, kj_db_t *db)
{
    char channel [64];
    kj_outbox_channel (self->schema, channel);
    PGconn *conn = kj_db_conn (db);
    char *quoted = PQescapeIdentifier (conn, channel, strlen (channel));
    if (!quoted)
        return -1;
    char sql [128];
    snprintf (sql, sizeof sql, "LISTEN %s", quoted);
    PQfreemem (quoted);
    PGresult *res = PQexec (conn, sql);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    if (rc)
        kj_warn ("relay.listen_failed", "producer=%s reason=\"%s\"",
                 self->schema, PQerrorMessage (conn));
    return rc;
}

//  The relay's deletes, on a connection of their own. Each deletes only
//  the rows above the last delete known to have committed: rows at or
//  below an old cursor were read below xmin, so none can appear there
//  later, and a delete from the start walked the index entries of every
//  row deleted since the last vacuum, which made it 2 to 5 times longer,
//  and a running DELETE holds every later transaction's rows back
//  (docs/events-design.md, "Session 24"). A failed delete, a lost
//  session, and every sweep_ms start from the beginning again.

typedef struct {
    kj_db_t *db;                  //  NULL until opened
    bool in_flight;               //  a DELETE was sent, not yet collected
    uint64_t sent_txid, sent_id;  //  ... up to here
    uint64_t from_txid, from_id;  //  rows at or below are known gone
    int64_t sweep_at;             //  next delete from the start (mono us)
} s_deleter_t;

//  If the delete in flight has ended, take its results: the rows up to its
//  cursor are gone if it committed, and none are known gone if it failed.
//  True if it just ended.

static bool
s_delete_ended (s_deleter_t *del)
{
    if (!del->in_flight || !del->db)
        return false;
    PGconn *conn = kj_db_conn (del->db);
    bool ok = PQconsumeInput (conn) == 1;  //  a lost session: it ended too
    if (ok && PQisBusy (conn))
        return false;
    PGresult *res;
    while ((res = PQgetResult (conn))) {
        ok &= PQresultStatus (res) == PGRES_COMMAND_OK;
        PQclear (res);
    }
    del->from_txid = ok ? del->sent_txid : 0;
    del->from_id = ok ? del->sent_id : 0;
    del->in_flight = false;
    return true;
}

//  --------------------------------------------------------------------------
//  Wait up to msecs for a NOTIFY on the outbox channel (in slices, so as to
//  see a stop). True if one came: a producer committed rows. libpq also
//  keeps those that arrived during other statements. True also when the
//  relay's own DELETE ends: while it ran it held back the rows of every
//  transaction that began after it, and sends no NOTIFY of its own (their
//  wake-ups may have come and gone while it ran).

static bool
s_wait (kj_relay_t *self, kj_db_t *db, s_deleter_t *del, int msecs)
{
    PGconn *conn = kj_db_conn (db);
    int64_t end = kj_mono_us () + (int64_t) msecs * 1000;
    while (!s_stopping (self)) {
        int notified = kj_db_notified (db);
        if (notified < 0) {
            //  The session is gone: the next statement finds out
            s_sleep (self, msecs);
            return false;
        }
        bool woken = notified > 0;
        if (s_delete_ended (del))
            woken = true;
        int64_t left = (end - kj_mono_us () + 999) / 1000;
        if (woken || left <= 0)
            return woken;
        struct pollfd items [2] = { { PQsocket (conn), POLLIN, 0 } };
        int nitems = 1;
        if (del->in_flight && del->db)
            items [nitems++] = (struct pollfd){ PQsocket (kj_db_conn (del->db)),
                                                POLLIN, 0 };
        poll (items, (nfds_t) nitems, left < 20 ? (int) left : 20);
    }
    return false;
}

//  Ask the log where it is for this producer. 0 or -1.

static int
s_fetch_cursor (kj_relay_t *self, kj_client_t *client, uint64_t *txid,
                uint64_t *id)
{
    Kj__CursorRequest request = KJ__CURSOR_REQUEST__INIT;
    request.producer = self->schema;
    Kj__CursorReply *reply = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .timeout_ms = self->config.timeout_ms,
                            .retries = -1,
                            .read_only = true };
    if (kj_client_call (client, "events.writer", "Cursor", &request.base,
                        &kj__cursor_reply__descriptor,
                        (ProtobufCMessage **) &reply, &status, &opts)) {
        kj_debug ("relay.cursor_failed", "producer=%s code=%s reason=\"%s\"",
                  self->schema, kj_code_name (status.code), status.message);
        return -1;
    }
    *txid = reply->txid;
    *id = reply->id;
    kj__cursor_reply__free_unpacked (reply, NULL);
    return 0;
}

//  Tell the trace callback about a batch the log answered.

static void
s_trace (kj_relay_t *self, const Kj__Envelope *envelopes, int rows,
         int64_t read_at, int64_t read_done, const Kj__AppendReply *reply)
{
    const char **keys = (const char **) calloc ((size_t) rows, sizeof (char *));
    assert (keys);
    for (int row = 0; row < rows; row++)
        keys [row] = envelopes [row].key;
    kj_relay_trace_t trace = { .rows = (size_t) rows,
                               .keys = keys,
                               .read_at_us = read_at,
                               .read_done_us = read_done,
                               .committed_at_us = reply->committed_at_us,
                               .reply_at_us = kj_wall_us (),
                               .deleting = self->deleting };
    self->config.trace (&trace, self->config.trace_arg);
    free (keys);
}

//  Read one batch above the cursor and hand it over. Returns the rows
//  handed over (0: the outbox had nothing ready), or -1 if the read or the
//  Append failed.

//  The columns of a batch's read, by name
enum { R_TXID, R_ID, R_TOPIC, R_KEY, R_TYPE, R_PAYLOAD, R_OCCURRED, R_COLUMNS };
static const char *const s_relay_names [R_COLUMNS] = {
    [R_TXID] = "txid_text",      [R_ID] = "id",
    [R_TOPIC] = "topic",         [R_KEY] = "key",
    [R_TYPE] = "payload_type",   [R_PAYLOAD] = "payload_hex",
    [R_OCCURRED] = "occurred_us"
};

//  Row `row` of a batch's read into item and envelope, the payload decoded
//  into a buffer of its own: 0, or -1 (logged, nothing allocated) when a
//  number is NULL or malformed (every column is NOT NULL: kj_db.c). The
//  texts point into res. A txid is an xid8 below 2^63 (the log keeps it
//  as a bigint).
static int
s_relay_row (kj_relay_t *self, const PGresult *res, int row, const int col [],
             Kj__OutboxEvent *item, Kj__Envelope *envelope)
{
    int64_t txid, id, occurred;
    if (kj_sql_int64_at (res, row, col [R_TXID], &txid)
        || kj_sql_int64_at (res, row, col [R_ID], &id)
        || kj_sql_int64_at (res, row, col [R_OCCURRED], &occurred))
        return -1;
    item->txid = (uint64_t) txid;
    item->id = (uint64_t) id;
    envelope->topic = PQgetvalue (res, row, col [R_TOPIC]);
    envelope->key = PQgetvalue (res, row, col [R_KEY]);
    envelope->payload_type = PQgetvalue (res, row, col [R_TYPE]);
    //  encode (payload, 'hex') of the statement: always whole digits
    const char *hex = PQgetvalue (res, row, col [R_PAYLOAD]);
    size_t length = (size_t) PQgetlength (res, row, col [R_PAYLOAD]);
    size_t size;
    uint8_t *payload = (uint8_t *) malloc (length / 2 + 1);
    assert (payload);
    int decoded = kj_hex_decode (hex, length, payload, length / 2, &size);
    assert (decoded == 0);
    (void) decoded;
    envelope->payload.data = payload;
    envelope->payload.len = size;
    envelope->occurred_at_us = occurred;
    envelope->origin_city = self->city;
    envelope->producer = self->schema;
    item->event = envelope;
    return 0;
}

static int
s_relay_batch (kj_relay_t *self, kj_db_t *db, kj_client_t *client,
               uint64_t *cursor_txid, uint64_t *cursor_id)
{
    char txid [24], id [24], limit [16];
    snprintf (txid, sizeof txid, "%" PRIu64, *cursor_txid);
    snprintf (id, sizeof id, "%" PRIu64, *cursor_id);
    snprintf (limit, sizeof limit, "%d", self->config.batch);
    const char *params [] = { txid, id, limit };
    int64_t read_at = self->config.trace ? kj_wall_us () : 0;
    //  Only transactions older than every running one: their rows are all
    //  visible now, and no row can appear below them later
    PGresult *res = kj_db_exec (
        db,
        "SELECT txid::text AS txid_text, id, topic, key, payload_type, "
        "encode (payload, 'hex') AS payload_hex, "
        "floor (extract (epoch FROM occurred_at) * 1000000)::bigint "
        "AS occurred_us "
        "FROM kj_outbox WHERE (txid, id) > ($1::xid8, $2::bigint) "
        "AND txid < pg_snapshot_xmin (pg_current_snapshot ()) "
        "ORDER BY kj_outbox.txid, kj_outbox.id LIMIT $3",
        3, params);
    if (!res) {
        kj_warn ("relay.read_failed", "producer=%s reason=\"%s\"", self->schema,
                 kj_db_error (db));
        return -1;
    }
    int rows = PQntuples (res);
    int col [R_COLUMNS];
    if (kj_sql_columns (res, s_relay_names, col, R_COLUMNS)) {
        PQclear (res);
        return -1;
    }
    if (rows == 0) {
        PQclear (res);
        if (self->config.trace) {
            kj_relay_trace_t trace = { .read_at_us = read_at,
                                       .read_done_us = kj_wall_us (),
                                       .deleting = self->deleting };
            self->config.trace (&trace, self->config.trace_arg);
        }
        return 0;
    }
    int64_t read_done = self->config.trace ? kj_wall_us () : 0;
    Kj__OutboxEvent *items = (Kj__OutboxEvent *)
        calloc ((size_t) rows, sizeof (Kj__OutboxEvent));
    Kj__Envelope *envelopes = (Kj__Envelope *) calloc ((size_t) rows,
                                                       sizeof (Kj__Envelope));
    Kj__OutboxEvent **pointers = (Kj__OutboxEvent **)
        calloc ((size_t) rows, sizeof (Kj__OutboxEvent *));
    assert (items && envelopes && pointers);
    for (int row = 0; row < rows; row++) {
        Kj__OutboxEvent *item = &items [row];
        Kj__Envelope *envelope = &envelopes [row];
        kj__outbox_event__init (item);
        kj__envelope__init (envelope);
        if (s_relay_row (self, res, row, col, item, envelope)) {
            for (int done = 0; done < row; done++)
                free (envelopes [done].payload.data);
            free (items);
            free (envelopes);
            free (pointers);
            PQclear (res);
            return -1;
        }
        pointers [row] = item;
    }
    Kj__AppendRequest request = KJ__APPEND_REQUEST__INIT;
    request.producer = self->schema;
    request.events = pointers;
    request.n_events = (size_t) rows;
    Kj__AppendReply *reply = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .timeout_ms = self->config.timeout_ms,
                            .retries = -1,
                            .read_only = true };
    int code = kj_client_call (client, "events.writer", "Append", &request.base,
                               &kj__append_reply__descriptor,
                               (ProtobufCMessage **) &reply, &status, &opts);
    if (code == KJ__CODE__OK && self->config.trace)
        s_trace (self, envelopes, rows, read_at, read_done, reply);
    for (int row = 0; row < rows; row++)
        free (envelopes [row].payload.data);
    free (items);
    free (envelopes);
    free (pointers);
    PQclear (res);
    if (code != KJ__CODE__OK) {
        kj_debug ("relay.append_failed",
                  "producer=%s rows=%d code=%s "
                  "reason=\"%s\"",
                  self->schema, rows, kj_code_name (code), status.message);
        return -1;
    }
    *cursor_txid = reply->cursor_txid;
    *cursor_id = reply->cursor_id;
    pthread_mutex_lock (&self->lock);
    self->stats.batches++;
    self->stats.appended += reply->appended;
    self->stats.duplicates += reply->duplicates;
    self->stats.cursor_txid = reply->cursor_txid;
    self->stats.cursor_id = reply->cursor_id;
    pthread_mutex_unlock (&self->lock);
    kj__append_reply__free_unpacked (reply, NULL);
    return rows;
}

//  The log holds everything at or below the cursor: those rows can go. A
//  delete that fails, or is lost in a crash (the session commits without
//  waiting for the disk), only leaves rows that the next read skips, and
//  the next sweep deletes.
//
//  Sent without waiting for its end, so that a delete never holds up the
//  next read and Append: the relay's turn is the latency of every event.
//  True if sent; false if the previous one is still running (try again
//  later). Without its own connection, on the lock's session, waiting.

static bool
s_delete_below (kj_relay_t *self, kj_db_t *db, s_deleter_t *del,
                uint64_t cursor_txid, uint64_t cursor_id)
{
    if (del->db && PQstatus (kj_db_conn (del->db)) != CONNECTION_OK) {
        kj_db_destroy (&del->db);
        del->in_flight = false;  //  its outcome is unknown
        del->from_txid = del->from_id = 0;
    }
    if (!del->db) {
        del->db = kj_db_new (self->dsn, self->schema, 0);
        if (del->db)
            kj_db_run (del->db, "SET synchronous_commit = off", 0, NULL);
    }
    const char *sql = "DELETE FROM kj_outbox WHERE (txid, id) <= "
                      "($1::xid8, $2::bigint) AND (txid, id) > "
                      "($3::xid8, $4::bigint)";
    char txid [24], id [24], from_txid [24], from_id [24];
    snprintf (txid, sizeof txid, "%" PRIu64, cursor_txid);
    snprintf (id, sizeof id, "%" PRIu64, cursor_id);
    if (!del->db) {
        const char *params [] = { txid, id, "0", "0" };
        kj_db_run (db, sql, 4, params);
        return true;
    }
    PGconn *conn = kj_db_conn (del->db);
    s_delete_ended (del);
    if (del->in_flight)
        return false;  //  still running
    int64_t now = kj_mono_us ();
    if (now >= del->sweep_at) {
        del->from_txid = del->from_id = 0;
        del->sweep_at = now + (int64_t) self->config.sweep_ms * 1000;
    }
    snprintf (from_txid, sizeof from_txid, "%" PRIu64, del->from_txid);
    snprintf (from_id, sizeof from_id, "%" PRIu64, del->from_id);
    const char *params [] = { txid, id, from_txid, from_id };
    if (PQsendQueryParams (conn, sql, 4, NULL, params, NULL, NULL, 0) != 1)
        return false;
    del->in_flight = true;
    del->sent_txid = cursor_txid;
    del->sent_id = cursor_id;
    return true;
}

static void
s_count_failure (kj_relay_t *self, int *backoff_ms, const char *what)
{
    pthread_mutex_lock (&self->lock);
    uint64_t failures = ++self->stats.failures;
    pthread_mutex_unlock (&self->lock);
    if (*backoff_ms == 0 || failures % 20 == 0)
        kj_warn ("relay.retrying",
                 "producer=%s what=%s failures=%" PRIu64 " backoff_ms=%d",
                 self->schema, what, failures,
                 *backoff_ms ? *backoff_ms * 2 : 100);
    *backoff_ms = *backoff_ms ? *backoff_ms * 2 : 100;
    if (*backoff_ms > 2000)
        *backoff_ms = 2000;
    s_sleep (self, *backoff_ms);
}

//  Hold the producer's lock and relay until stopped or the session ends.

static void
s_serve (kj_relay_t *self, kj_db_t *db, int pid, kj_client_t *client)
{
    uint64_t txid = 0, id = 0;
    uint64_t deleted_txid = 0, deleted_id = 0;
    int64_t delete_at = 0, pending_until = 0;
    bool known = false;
    int backoff = 0;
    //  Deletes need not wait for the disk (see s_delete_below); the
    //  setting and the LISTEN live as long as this session, as the lock
    //  does. Without the LISTEN the relay still polls.
    kj_db_run (db, "SET synchronous_commit = off", 0, NULL);
    s_listen (self, db);
    s_deleter_t del = { 0 };  //  its own session (s_delete_below)
    while (!s_stopping (self)) {
        //  kj_db reconnects by itself: a new backend has no lock
        if (PQbackendPID (kj_db_conn (db)) != pid) {
            kj_warn ("relay.lock_lost", "producer=%s", self->schema);
            break;
        }
        if (!known) {
            if (s_fetch_cursor (self, client, &txid, &id)) {
                s_count_failure (self, &backoff, "cursor");
                continue;
            }
            known = true;
            if (backoff)
                kj_info ("relay.reconnected", "producer=%s", self->schema);
            backoff = 0;
            kj_info ("relay.cursor", "producer=%s txid=%" PRIu64 " id=%" PRIu64,
                     self->schema, txid, id);
        }
        if (self->config.trace)
            self->deleting = del.db && PQconsumeInput (kj_db_conn (del.db))
                          && PQisBusy (kj_db_conn (del.db));
        int rows = s_relay_batch (self, db, client, &txid, &id);
        if (rows < 0) {
            known = false;  //  ask again: the Append may have landed
            s_count_failure (self, &backoff, "append");
            continue;
        }
        if (rows > 0) {
            backoff = 0;
            //  Busy: take the wake-ups libpq keeps, or they pile up; they
            //  are wake-ups all the same (their rows may not be readable
            //  yet when the next read comes)
            if (s_wait (self, db, &del, 0))
                pending_until = kj_mono_us () + KJ_RELAY_PENDING_US;
        }
        //  Delete in batches, at most every 100 ms: a relay that keeps up
        //  goes idle after nearly every batch, and a DELETE each time
        //  (a round trip and a commit, up to 1,000 a second at 5,000
        //  events/s) took the database's time and held up the next wait
        int64_t now = kj_mono_us ();
        if ((txid != deleted_txid || id != deleted_id) && now >= delete_at
            && s_delete_below (self, db, &del, txid, id)) {
            deleted_txid = txid;
            deleted_id = id;
            delete_at = now + 100000;
        }
        //  Idle: wait for a producer's NOTIFY, or poll every idle_ms. A
        //  wake-up whose rows were not readable yet is looked at again
        //  shortly, for a while
        if (rows == 0) {
            bool pending = now < pending_until;
            if (s_wait (self, db, &del,
                        pending ? KJ_RELAY_PENDING_MS : self->config.idle_ms))
                pending_until = kj_mono_us () + KJ_RELAY_PENDING_US;
        }
    }
    //  A delete still running ends on the server or not at all: either way
    //  only rows the next read skips are left
    kj_db_destroy (&del.db);
}

static void *
s_relay_thread (void *arg)
{
    kj_relay_t *self = (kj_relay_t *) arg;
    kj_client_t *client = kj_client_new (self->broker);
    bool said_standby = false;
    while (client && !s_stopping (self)) {
        kj_db_t *db = kj_db_new (self->dsn, self->schema, 0);
        if (!db) {
            s_sleep (self, 1000);
            continue;
        }
        //  One lock per producer (kj_locks.h)
        const char *params [] = { self->schema };
        int pid = 0, taken = 0;
        while (!s_stopping (self)) {
            PGresult
                *res = kj_db_exec (db,
                                   "SELECT pg_try_advisory_lock (" KJ_LOCK_RELAY
                                   ", hashtext ($1)) AS taken, "
                                   "pg_backend_pid () AS pid",
                                   1, params);
            if (!res)
                break;
            bool got = false;
            int failed = kj_sql_bool (res, 0, "taken", &got)
                      || kj_sql_int (res, 0, "pid", &pid);
            PQclear (res);
            if (failed)
                break;  //  as a statement that failed
            taken = got;
            if (taken)
                break;
            if (!said_standby)
                kj_info ("relay.standby", "producer=%s", self->schema);
            said_standby = true;
            s_sleep (self, self->config.lock_retry_ms);
        }
        if (taken) {
            said_standby = false;
            kj_info ("relay.active", "producer=%s", self->schema);
            pthread_mutex_lock (&self->lock);
            self->stats.active = true;
            pthread_mutex_unlock (&self->lock);
            s_serve (self, db, pid, client);
            pthread_mutex_lock (&self->lock);
            self->stats.active = false;
            pthread_mutex_unlock (&self->lock);
        }
        kj_db_destroy (&db);
        if (!s_stopping (self))
            s_sleep (self, self->config.lock_retry_ms);
    }
    kj_client_destroy (&client);
    return NULL;
}

static void
s_free (kj_relay_t *self)
{
    pthread_mutex_destroy (&self->lock);
    free (self->dsn);
    free (self->schema);
    free (self->broker);
    free (self->city);
    free (self);
}

kj_relay_t *
kj_relay_new (const kj_relay_config_t *config)
{
    if (!config->dsn || !config->schema || !*config->schema
        || !config->broker) {
        kj_error ("relay.bad_config", "reason=\"dsn, schema and broker are "
                                      "required\"");
        return NULL;
    }
    kj_relay_t *self = (kj_relay_t *) zmalloc (sizeof (kj_relay_t));
    self->config = *config;
    self->dsn = strdup (config->dsn);
    self->schema = strdup (config->schema);
    self->broker = strdup (config->broker);
    self->city = strdup (config->city ? config->city : "");
    if (self->config.batch <= 0)
        self->config.batch = 1000;
    if (self->config.idle_ms <= 0)
        self->config.idle_ms = 200;
    if (self->config.timeout_ms <= 0)
        self->config.timeout_ms = 5000;
    if (self->config.lock_retry_ms <= 0)
        self->config.lock_retry_ms = 500;
    if (self->config.sweep_ms <= 0)
        self->config.sweep_ms = 60000;
    pthread_mutex_init (&self->lock, NULL);
    int rc = pthread_create (&self->thread, NULL, s_relay_thread, self);
    if (rc) {
        kj_error ("relay.thread", "producer=%s reason=\"%s\"", self->schema,
                  strerror (rc));
        s_free (self);
        return NULL;
    }
    return self;
}

void
kj_relay_destroy (kj_relay_t **self_p)
{
    if (*self_p) {
        kj_relay_t *self = *self_p;
        atomic_store (&self->stop, true);
        pthread_join (self->thread, NULL);
        s_free (self);
        *self_p = NULL;
    }
}

void
kj_relay_stats (kj_relay_t *self, kj_relay_stats_t *stats)
{
    pthread_mutex_lock (&self->lock);
    *stats = self->stats;
    pthread_mutex_unlock (&self->lock);
}
