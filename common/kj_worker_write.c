/*  =========================================================================
    kj_worker_write - a KJ_WRITE method's call: one database transaction,
    the idempotency key claimed in the handler's first round trip and
    stored with the reply, the audit row, COMMIT, and the whole run again
    when PostgreSQL asks for it. What these add to every call, and why
    each statement stays: docs/write-call-cost.md.

    Part of kj_worker (kj_worker.h is the interface; kj_worker_private.h
    what its files share).
    =========================================================================
*/

#include "kejin.h"
#include "kj_worker_private.h"

//  --------------------------------------------------------------------------
//  Idempotency, inside the transaction of a KJ_WRITE method.
//
//  The key is claimed with a transaction-scoped advisory lock, so that a
//  second request with the same key waits for the first to commit and then
//  finds its row. BEGIN, the lock and the look-up go with the handler's
//  first statement, in its round trip and before it (kj_db_defer_keep),
//  or on their own when the handler sent none; the look-up is read after
//  the handler. Nothing here writes before the handler runs: the
//  transaction gets its id at the handler's first write (after its row
//  lock), and the relay's (txid, id) order then follows the order in which
//  writers took that lock. The key's row is written with the reply, at the
//  end. docs/write-call-cost.md says why each step stays where it is.

static const char *s_lookup_sql =
    "SELECT method, encode (request_hash, 'hex') AS hash, "
    "encode (reply, 'hex') AS reply FROM kj_idempotency WHERE key = $1";

//  Defer the key's lock and look-up (*lookup receives its result once it
//  has gone); hash receives the request's digest. 0 or -1.

static int
s_idempotency_defer (kj_call_t *call, const char *method, zframe_t *payload,
                     char hash [41], PGresult **lookup)
{
    kj_db_t *db = call->worker->config.db;
    const char *key = call->header->idempotency_key;
    kj_worker_key_hash (method, payload, hash);

    //  Each its own statement, so that the look-up's snapshot follows the
    //  lock
    const char *params [] = { key };
    if (kj_db_defer (db, KJ_WORKER_KEY_LOCK_SQL, 1, params))
        return -1;
    return kj_db_defer_keep (db, s_lookup_sql, 1, params, lookup);
}

//  After the handler: whether the key was seen before. 1 if so: whatever
//  the handler did or answered is dropped (its reply, status and audit
//  note), and *reply_p is the stored reply payload, or NULL with the
//  status saying why the key cannot be used. 0 if this is the first time.
//  -1 if the look-up failed: the call fails as its database did.

static int
s_idempotency_seen (kj_call_t *call, const char *method, const char *hash,
                    PGresult **lookup, zframe_t **reply_p)
{
    kj_db_t *db = call->worker->config.db;
    if (kj_db_kept (db, lookup)) {
        zframe_destroy (reply_p);
        kj_call_reset (call);
        kj_call_fail_db (call);
        return -1;
    }
    PGresult *res = *lookup;
    if (PQntuples (res) != 1)
        return 0;  //  first time
    zframe_destroy (reply_p);
    kj_call_reset (call);
    const char *used = kj_sql_text (res, 0, "method");
    const char *used_hash = kj_sql_text (res, 0, "hash");
    const char *hex = kj_sql_text (res, 0, "reply");
    if (!used || !used_hash)  //  both are NOT NULL
        kj_call_fail (call, KJ__CODE__INTERNAL, "idempotency_key",
                      "%s failed without saying why", method);
    else if (!streq (used, method) || strcasecmp (used_hash, hash) != 0)
        kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "idempotency_key",
                      "idempotency key '%s' was already used for another "
                      "request (%s); use a new key",
                      call->header->idempotency_key, used);
    else {
        //  The reply stored (NULL, never written, as empty)
        size_t length = hex ? strlen (hex) : 0, size = 0;
        zframe_t *stored = zframe_new (NULL, length / 2);
        kj_hex_decode (hex ? hex : "", length, zframe_data (stored), length / 2,
                       &size);
        *reply_p = stored;
    }
    return 1;
}

void
kj_worker_key_hash (const char *method, zframe_t *payload, char hash [41])
{
    zdigest_t *digest = zdigest_new ();
    zdigest_update (digest, (byte *) method, strlen (method));
    if (payload)
        zdigest_update (digest, zframe_data (payload), zframe_size (payload));
    kj_strlcpy (hash, zdigest_string (digest), 41);
    zdigest_destroy (&digest);
}

int
kj_worker_key_store (kj_call_t *call, const char *method, const char *hash,
                     zframe_t *reply)
{
    char *hex = zframe_strhex (reply);
    const char *params [] = { call->header->idempotency_key, method, hash,
                              hex };
    //  Goes with COMMIT (kj_db_defer): a failure fails the commit
    int rc = kj_db_defer (
        call->worker->config.db,
        "INSERT INTO kj_idempotency (key, method, request_hash, reply) "
        "VALUES ($1, $2, decode ($3, 'hex'), decode ($4, 'hex'))",
        4, params);
    free (hex);
    return rc;
}

//  Time and round trips of a write's phases (BEGIN and the claim, the
//  handler, the audit row with the key's row and COMMIT), for the debug
//  log line worker.write. The claim's statements go in the handler's
//  first round trip when it sends one (claim_trips 0), else in one of
//  their own after it.
typedef struct {
    int64_t at;
    uint64_t trips_at;
    int64_t us [3];
    int64_t trips [3];
} s_phases_t;

//  Add the time and round trips since the last call to phase `phase`
//  (-1: start)
static void
s_phase (s_phases_t *self, kj_db_t *db, int phase)
{
    int64_t now = kj_mono_us ();
    uint64_t trips = kj_db_round_trips (db);
    if (phase >= 0) {
        self->us [phase] += now - self->at;
        self->trips [phase] += (int64_t) (trips - self->trips_at);
    }
    self->at = now;
    self->trips_at = trips;
}

//  A write: transaction, idempotency, and a retry of the whole thing when
//  PostgreSQL asks for one (serialization failure, deadlock, lost
//  connection).

zframe_t *
kj_worker_invoke_write (kj_call_t *call, const ProtobufCMethodDescriptor *md,
                        kj_handler_fn *handler, const ProtobufCMessage *input,
                        zframe_t *payload)
{
    kj_db_t *db = call->worker->config.db;
    bool keyed = call->header->idempotency_key
              && *call->header->idempotency_key;
    for (int attempt = 1; attempt <= 5; attempt++) {
        kj_call_reset (call);
        zframe_t *reply = NULL;
        char hash [41] = "";
        PGresult *lookup = NULL;  //  the key's, once it has gone
        s_phases_t phases = { 0 };
        s_phase (&phases, db, -1);
        if (kj_db_begin (db) == 0) {
            int seen = keyed ? s_idempotency_defer (call, md->name, payload,
                                                    hash, &lookup)
                             : 0;
            s_phase (&phases, db, 0);
            if (seen == 0)
                reply = kj_worker_invoke (call, md, handler, input);
            s_phase (&phases, db, 1);
            if (seen == 0 && keyed)
                seen = s_idempotency_seen (call, md->name, hash, &lookup,
                                           &reply);
            else if (seen)
                kj_call_fail_db (call);
            s_phase (&phases, db, 0);
            PQclear (lookup);
            if (seen == 1) {
                kj_db_rollback (db);
                if (reply)
                    kj_debug ("worker.idempotent_replay", "method=%s key=%s",
                              md->name, call->header->idempotency_key);
                return reply;  //  the first answer, or the status says why
            }
            if (reply && kj_worker_audit (call, md, input, KJ__CODE__OK)) {
                kj_call_fail_db (call);
                zframe_destroy (&reply);
            }
            if (reply
                && (!keyed
                    || kj_worker_key_store (call, md->name, hash, reply) == 0)
                && kj_db_commit (db) == 0) {
                s_phase (&phases, db, 2);
                kj_debug ("worker.write",
                          "method=%s claim_us=%" PRId64 " claim_trips=%" PRId64
                          " handler_us=%" PRId64 " handler_trips=%" PRId64
                          " commit_us=%" PRId64 " commit_trips=%" PRId64,
                          md->name, phases.us [0], phases.trips [0],
                          phases.us [1], phases.trips [1], phases.us [2],
                          phases.trips [2]);
                return reply;
            }
            if (reply && call->status.code == KJ__CODE__OK)
                kj_call_fail (call, kj_db_status_code (kj_db_sqlstate (db)),
                              NULL, "could not commit: %s", kj_db_error (db));
            zframe_destroy (&reply);
        }
        else
            kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                          "database unavailable: %s", kj_db_error (db));
        kj_db_rollback (db);
        if (!kj_db_retryable (db))
            return NULL;
        kj_info ("worker.retry_transaction",
                 "method=%s attempt=%d "
                 "sqlstate=%s",
                 md->name, attempt, kj_db_sqlstate (db));
        zclock_sleep (attempt * 20);
    }
    return NULL;
}
