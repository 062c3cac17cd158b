/*  =========================================================================
    kj_idempotency - a write's idempotency key, inside its transaction

    kj_worker's part of "exactly once": before a KJ_WRITE handler runs, the
    key is claimed (its lock, then its row looked up); after it succeeded,
    the reply is stored under the key with the change. A retry under the
    same key gets the first reply; the same key with another request is
    refused. The table is kj_db's kj_idempotency, in every service schema.
    =========================================================================
*/

#include "kejin.h"
#include "kj_idempotency.h"

//  --------------------------------------------------------------------------
//  The key is claimed with a transaction-scoped advisory lock, so that a
//  second request with the same key waits for the first to commit and then
//  finds its row. Nothing here writes before the handler runs: the
//  transaction gets its id at the handler's first write (its row lock), and
//  the relay's (txid, id) order then follows the order in which writers
//  took that lock. The key's row is written with the reply, at the end.
//
//  Returns 1 if the key was seen before (*stored_p is its reply payload,
//  or the status says why it cannot be used), 0 if this is the first time,
//  -1 on a database error. hash receives the request's digest.

int
kj_idempotency_claim (kj_call_t *call, const char *method, zframe_t *payload,
                      char hash [41], zframe_t **stored_p)
{
    kj_db_t *db = kj_call_db (call);
    const char *key = kj_call_header (call)->idempotency_key;
    zdigest_t *digest = zdigest_new ();
    zdigest_update (digest, (byte *) method, strlen (method));
    if (payload)
        zdigest_update (digest, zframe_data (payload), zframe_size (payload));
    kj_strlcpy (hash, zdigest_string (digest), 41);
    zdigest_destroy (&digest);

    //  BEGIN, the lock and the look-up in one round trip: each its own
    //  statement, so that the look-up's snapshot follows the lock
    const char *params [] = { key };
    if (kj_db_defer (db,
                     "SELECT pg_advisory_xact_lock (" KJ_LOCK_IDEMPOTENCY
                     ", hashtext ($1))",
                     1, params))
        return -1;
    PGresult *res = kj_db_exec (
        db,
        "SELECT method, encode (request_hash, 'hex'), encode (reply, 'hex') "
        "FROM kj_idempotency WHERE key = $1",
        1, params);
    if (!res)
        return -1;
    int seen = PQntuples (res) == 1;
    if (!seen)
        ;  //  first time
    else if (!streq (PQgetvalue (res, 0, 0), method)
             || strcasecmp (PQgetvalue (res, 0, 1), hash) != 0)
        kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "idempotency_key",
                      "idempotency key '%s' was already used for another "
                      "request (%s); use a new key",
                      key, PQgetvalue (res, 0, 0));
    else {
        const char *hex = PQgetvalue (res, 0, 2);
        size_t size = strlen (hex) / 2;
        zframe_t *stored = zframe_new (NULL, size);
        byte *data = zframe_data (stored);
        for (size_t i = 0; i < size; i++)
            sscanf (hex + 2 * i, "%2hhx", &data [i]);
        *stored_p = stored;
    }
    PQclear (res);
    return seen;
}

//  --------------------------------------------------------------------------
//  The reply under the key, deferred to go with COMMIT (its failure fails
//  the commit). 0 or -1.

int
kj_idempotency_store (kj_call_t *call, const char *method, const char *hash,
                      zframe_t *reply)
{
    char *hex = zframe_strhex (reply);
    const char *params [] = { kj_call_header (call)->idempotency_key, method,
                              hash, hex };
    //  Goes with COMMIT (kj_db_defer): a failure fails the commit
    int rc = kj_db_defer (
        kj_call_db (call),
        "INSERT INTO kj_idempotency (key, method, request_hash, reply) "
        "VALUES ($1, $2, decode ($3, 'hex'), decode ($4, 'hex'))",
        4, params);
    free (hex);
    return rc;
}
