/*  =========================================================================
    events_store_append - the writer's append: one statement for a small
    group, binary COPY in a transaction for a large one

    Part of events_store (every SQL statement of kejin-events), split out
    of events_store.c by concern: this file is the write path, the other
    the writer's lock and state, replay, info and retention.
    =========================================================================
*/

#include "events_store.h"

//  Binary COPY: a header, then per row a field count and each field as a
//  length and its bytes (network order), then -1.

static void
s_put16 (zchunk_t *chunk, int16_t value)
{
    uint8_t bytes [2] = { (uint8_t) ((uint16_t) value >> 8), (uint8_t) value };
    zchunk_extend (chunk, bytes, 2);
}

static void
s_put32 (zchunk_t *chunk, int32_t value)
{
    uint8_t bytes [4];
    for (int i = 0; i < 4; i++)
        bytes [i] = (uint8_t) ((uint32_t) value >> (24 - 8 * i));
    zchunk_extend (chunk, bytes, 4);
}

static void
s_put_int8 (zchunk_t *chunk, int64_t value)
{
    uint8_t bytes [8];
    kj_put_u64 (bytes, (uint64_t) value);
    s_put32 (chunk, 8);
    zchunk_extend (chunk, bytes, 8);
}

static void
s_put_bytes (zchunk_t *chunk, const void *data, size_t size)
{
    s_put32 (chunk, (int32_t) size);
    zchunk_extend (chunk, data, size);
}

//  One COPY for the rows of every batch.

static int
s_copy_batches (PGconn *conn, const events_batch_t *batches, size_t n)
{
    PGresult *res =
        PQexec (conn, "COPY log (off, topic, producer, envelope, appended_at) "
                      "FROM STDIN (FORMAT binary)");
    bool ready = PQresultStatus (res) == PGRES_COPY_IN;
    PQclear (res);
    if (!ready)
        return -1;

    zchunk_t *chunk = zchunk_new (NULL, 256 * 1024);
    static const uint8_t header [19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    zchunk_extend (chunk, header, 19);
    int rc = 0;
    for (size_t b = 0; b < n && rc == 0; b++) {
        const events_batch_t *batch = &batches [b];
        size_t producer_size = strlen (batch->producer);
        int64_t appended_at = batch->appended_at_us - PG_EPOCH_US;
        for (size_t i = 0; i < batch->count && rc == 0; i++) {
            s_put16 (chunk, 5);
            s_put_int8 (chunk, (int64_t) (batch->first + i));
            s_put_bytes (chunk, batch->topics [i], strlen (batch->topics [i]));
            s_put_bytes (chunk, batch->producer, producer_size);
            s_put_bytes (chunk, batch->envelopes [i], batch->sizes [i]);
            s_put_int8 (chunk, appended_at);
            if (zchunk_size (chunk) >= 200 * 1024) {
                if (PQputCopyData (conn, (const char *) zchunk_data (chunk),
                                   (int) zchunk_size (chunk))
                    != 1)
                    rc = -1;
                zchunk_set (chunk, NULL, 0);
            }
        }
    }
    s_put16 (chunk, -1);
    if (rc == 0
        && PQputCopyData (conn, (const char *) zchunk_data (chunk),
                          (int) zchunk_size (chunk))
               != 1)
        rc = -1;
    zchunk_destroy (&chunk);
    if (PQputCopyEnd (conn, rc ? "append failed" : NULL) != 1)
        rc = -1;
    while ((res = PQgetResult (conn))) {
        if (PQresultStatus (res) != PGRES_COMMAND_OK) {
            if (rc == 0)
                kj_warn ("events.copy_failed", "reason=\"%s\"",
                         PQresultErrorMessage (res));
            rc = -1;
        }
        PQclear (res);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Move one producer's cursor, only to a txid of a finished transaction:
//  the check and the move in one statement. 1 moved, 0 refused (*xmin_p
//  says why), -1 failed.

static int
s_move_cursor (kj_db_t *db, const events_batch_t *batch, uint64_t *xmin_p)
{
    char txid [24], id [24];
    snprintf (txid, sizeof txid, "%" PRIu64, batch->cursor.txid);
    snprintf (id, sizeof id, "%" PRIu64, batch->cursor.id);
    const char *params [] = { batch->producer, txid, id };
    PGresult *res = kj_db_exec (
        db,
        "WITH horizon AS (SELECT pg_snapshot_xmin (pg_current_snapshot ())"
        "::text::bigint AS xmin), "
        "moved AS (INSERT INTO producers (producer, txid, id) "
        "  SELECT $1, $2, $3 FROM horizon WHERE $2 < xmin "
        "  ON CONFLICT (producer) DO UPDATE SET txid = excluded.txid, "
        "  id = excluded.id, updated_at = now () RETURNING 1) "
        "SELECT xmin, (SELECT count (*) FROM moved) AS moved FROM horizon",
        3, params);
    if (!res)
        return -1;
    uint64_t moved;
    int rc = s_named_u64 (res, 0, "xmin", xmin_p)
                  || s_named_u64 (res, 0, "moved", &moved)
               ? -1
               : moved == 1;
    PQclear (res);
    return rc;
}

//  --------------------------------------------------------------------------
//  A small group in one statement: the rows, the cursors and the head go
//  in together, in the statement's own transaction, so the append costs
//  one round trip and one fsync where BEGIN, COPY, the cursors, the head
//  and COMMIT cost six (each a wake-up of this thread and of the backend,
//  which on a loaded machine is what the latency of the log was made of).
//  The cursor check is the same as s_move_cursor's: if any batch's txid is
//  not below the cluster's xmin, the statement writes nothing and names
//  the first such batch. Parameters go as binary arrays.

static const char *s_append_sql =
    "WITH horizon AS (SELECT pg_snapshot_xmin (pg_current_snapshot ())"
    "::text::bigint AS xmin), "
    "cursors AS (SELECT * FROM unnest ($1::text[], $2::bigint[], "
    "  $3::bigint[]) WITH ORDINALITY AS c (producer, txid, id, n)), "
    "refused AS (SELECT min (cursors.n) AS n FROM cursors, horizon "
    "  WHERE cursors.txid < 0 OR cursors.txid >= horizon.xmin), "
    "go AS (SELECT 1 FROM refused WHERE refused.n IS NULL), "
    "rows AS (INSERT INTO log (off, topic, producer, envelope, appended_at) "
    "  SELECT * FROM unnest ($4::bigint[], $5::text[], $6::text[], "
    "  $7::bytea[], $8::timestamptz[]) WHERE EXISTS (SELECT 1 FROM go) "
    "  RETURNING 1), "
    "moved AS (INSERT INTO producers (producer, txid, id) "
    "  SELECT DISTINCT ON (producer) producer, txid, id FROM cursors "
    "  WHERE EXISTS (SELECT 1 FROM go) ORDER BY producer, n DESC "
    "  ON CONFLICT (producer) DO UPDATE SET txid = excluded.txid, "
    "  id = excluded.id, updated_at = now () RETURNING 1), "
    "head AS (UPDATE meta SET head = $9::bigint, bytes = bytes + "
    "  $10::bigint, head_at = now () WHERE EXISTS (SELECT 1 FROM go) "
    "  RETURNING 1) "
    "SELECT horizon.xmin, coalesce (refused.n, 0) AS refused, "
    "  (SELECT count (*) FROM rows) AS stored, "
    "  (SELECT count (*) FROM head) AS heads "
    "FROM horizon, refused";

//  A one-dimensional binary array of n elements of type oid, no NULLs
static zchunk_t *
s_array_new (uint32_t oid, size_t n)
{
    zchunk_t *chunk = zchunk_new (NULL, 20 + n * 16);
    s_put32 (chunk, 1);  //  dimensions
    s_put32 (chunk, 0);  //  no NULLs
    s_put32 (chunk, (int32_t) oid);
    s_put32 (chunk, (int32_t) n);
    s_put32 (chunk, 1);  //  lower bound
    return chunk;
}

//  s_append_sql, prepared once per session: planning its WITH clauses
//  each time cost more CPU than running them. Prepared when the session
//  does not know it yet (its first use, and after a reconnect).

#define S_APPEND_NAME "events_append_one"

static PGresult *
s_append_exec (PGconn *conn, const char *const *values, const int *lengths,
               const int *formats)
{
    PGresult *res = PQexecPrepared (conn, S_APPEND_NAME, 10, values, lengths,
                                    formats, 0);
    const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
    if (state && streq (state, "26000")) {  //  invalid_sql_statement_name
        PQclear (res);
        res = PQprepare (conn, S_APPEND_NAME, s_append_sql, 10, NULL);
        bool prepared = PQresultStatus (res) == PGRES_COMMAND_OK;
        if (!prepared)
            return res;
        PQclear (res);
        res = PQexecPrepared (conn, S_APPEND_NAME, 10, values, lengths, formats,
                              0);
    }
    return res;
}

static int
s_append_one (PGconn *conn, const events_batch_t *batches, size_t n,
              size_t rows, uint64_t head, uint64_t bytes, uint64_t *xmin_p,
              size_t *refused_p)
{
    zchunk_t *arrays [8] = { s_array_new (25, n),    s_array_new (20, n),
                             s_array_new (20, n),    s_array_new (20, rows),
                             s_array_new (25, rows), s_array_new (25, rows),
                             s_array_new (17, rows), s_array_new (1184, rows) };
    for (size_t b = 0; b < n; b++) {
        const events_batch_t *batch = &batches [b];
        size_t producer_size = strlen (batch->producer);
        s_put_bytes (arrays [0], batch->producer, producer_size);
        //  Past 2^63 is negative here, and refused by the statement
        s_put_int8 (arrays [1], (int64_t) batch->cursor.txid);
        s_put_int8 (arrays [2], (int64_t) batch->cursor.id);
        int64_t appended_at = batch->appended_at_us - PG_EPOCH_US;
        for (size_t i = 0; i < batch->count; i++) {
            s_put_int8 (arrays [3], (int64_t) (batch->first + i));
            s_put_bytes (arrays [4], batch->topics [i],
                         strlen (batch->topics [i]));
            s_put_bytes (arrays [5], batch->producer, producer_size);
            s_put_bytes (arrays [6], batch->envelopes [i], batch->sizes [i]);
            s_put_int8 (arrays [7], appended_at);
        }
    }
    uint8_t head_bin [8], bytes_bin [8];
    kj_put_u64 (head_bin, head);
    kj_put_u64 (bytes_bin, bytes);
    const char *values [10];
    int lengths [10], formats [10];
    for (int i = 0; i < 8; i++) {
        values [i] = (const char *) zchunk_data (arrays [i]);
        lengths [i] = (int) zchunk_size (arrays [i]);
    }
    values [8] = (const char *) head_bin;
    values [9] = (const char *) bytes_bin;
    lengths [8] = lengths [9] = 8;
    for (int i = 0; i < 10; i++)
        formats [i] = 1;
    PGresult *res = s_append_exec (conn, values, lengths, formats);
    for (int i = 0; i < 8; i++)
        zchunk_destroy (&arrays [i]);
    int rc = -1;
    uint64_t refused, stored, heads;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1
        && !s_named_u64 (res, 0, "xmin", xmin_p)
        && !s_named_u64 (res, 0, "refused", &refused)
        && !s_named_u64 (res, 0, "stored", &stored)
        && !s_named_u64 (res, 0, "heads", &heads)) {
        if (refused) {
            *refused_p = (size_t) refused - 1;
            rc = -3;
        }
        else if (stored == rows && heads == 1)
            rc = 0;
    }
    if (rc == -1)
        kj_warn ("events.append_failed",
                 "batches=%zu first=%" PRIu64 " head=%" PRIu64 " reason=\"%s\"",
                 n, batches [0].first, head,
                 PQresultStatus (res) == PGRES_TUPLES_OK
                     ? "unexpected counts"
                     : PQresultErrorMessage (res));
    PQclear (res);
    return rc;
}

int
events_store_append (kj_db_t *db, int lock_pid, const events_batch_t *batches,
                     size_t n, uint64_t *xmin_p, size_t *refused_p)
{
    assert (n > 0);
    *xmin_p = 0;
    size_t rows = 0;
    uint64_t bytes = 0;
    for (size_t b = 0; b < n; b++) {
        rows += batches [b].count;
        for (size_t i = 0; i < batches [b].count; i++)
            bytes += batches [b].sizes [i];
    }
    const events_batch_t *last = &batches [n - 1];
    if (rows <= EVENTS_APPEND_ONE_MAX) {
        //  On the raw connection: kj_db would reconnect on its own, and a
        //  new backend does not hold the lock
        PGconn *conn = kj_db_conn (db);
        if (PQstatus (conn) != CONNECTION_OK || PQbackendPID (conn) != lock_pid)
            return -2;
        int rc = s_append_one (conn, batches, n, rows,
                               last->first + last->count - 1, bytes, xmin_p,
                               refused_p);
        if (rc == -1 && PQstatus (conn) != CONNECTION_OK)
            return -2;
        return rc;
    }
    if (kj_db_begin (db))
        return PQbackendPID (kj_db_conn (db)) == lock_pid ? -1 : -2;
    //  Inside a transaction kj_db never reconnects: if the backend is still
    //  the one that took the lock, it holds it until we commit
    if (PQbackendPID (kj_db_conn (db)) != lock_pid) {
        kj_db_rollback (db);
        return -2;
    }
    char head [24], bytes_text [24];
    snprintf (head, sizeof head, "%" PRIu64, last->first + last->count - 1);
    snprintf (bytes_text, sizeof bytes_text, "%" PRIu64, bytes);
    const char *meta [] = { head, bytes_text };

    int rc = s_copy_batches (kj_db_conn (db), batches, n);
    for (size_t b = 0; b < n && rc == 0; b++) {
        int moved = s_move_cursor (db, &batches [b], xmin_p);
        if (moved == 0) {
            kj_db_rollback (db);
            *refused_p = b;
            return -3;
        }
        rc = moved == 1 ? 0 : -1;
    }
    if (rc
        || kj_db_run (db,
                      "UPDATE meta SET head = $1, bytes = bytes + $2, "
                      "head_at = now ()",
                      2, meta)
               != 1
        || kj_db_commit (db)) {
        kj_warn ("events.append_failed",
                 "batches=%zu first=%" PRIu64 " head=%s reason=\"%s\"", n,
                 batches [0].first, head, kj_db_error (db));
        kj_db_rollback (db);
        return -1;
    }
    return 0;
}
