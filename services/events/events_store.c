/*  =========================================================================
    events_store - every SQL statement of kejin-events
    =========================================================================
*/

#include "events_store.h"

//  The writer lock is an advisory lock of the database: pg_locks shows it
//  as classid KJ_LOCK_EVENTS_WRITER (kj_locks.h), objid 1.

//  Microseconds from the Unix epoch to PostgreSQL's (2000-01-01)
#define PG_EPOCH_US INT64_C (946684800000000)

//  --------------------------------------------------------------------------
//  A statement with binary results on the raw connection. After a lost
//  connection, kj_db reconnects on its next statement, so one cheap
//  statement and a second try are all it takes.

static PGresult *
s_exec_binary (kj_db_t *db, const char *sql, int nparams,
               const char *const *params)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *conn = kj_db_conn (db);
        PGresult *res = conn ? PQexecParams (conn, sql, nparams, NULL, params,
                                             NULL, NULL, 1)
                             : NULL;
        if (res && PQresultStatus (res) == PGRES_TUPLES_OK)
            return res;
        kj_warn ("events.sql_failed", "reason=\"%s\"",
                 conn ? PQerrorMessage (conn) : "no connection");
        PQclear (res);
        if (attempt == 0 && !kj_db_in_tx (db)
            && (!conn || PQstatus (conn) == CONNECTION_BAD)) {
            PGresult *ping = kj_db_exec (db, "SELECT 1", 0, NULL);
            if (!ping)
                return NULL;
            PQclear (ping);
            continue;
        }
        return NULL;
    }
    return NULL;
}

static uint64_t
s_u64 (const PGresult *res, int row, int col)
{
    if (PQgetisnull (res, row, col) || PQgetlength (res, row, col) != 8)
        return 0;
    return kj_get_u64 ((const unsigned char *) PQgetvalue (res, row, col));
}

static uint64_t
s_text_u64 (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col)
             ? 0
             : strtoull (PQgetvalue (res, row, col), NULL, 10);
}

//  --------------------------------------------------------------------------
//  Writer

int
events_store_try_lock (kj_db_t *db, int *pid_p)
{
    PGresult
        *res = kj_db_exec (db,
                           "SELECT pg_try_advisory_lock (" KJ_LOCK_EVENTS_WRITER
                           ", 1), pg_backend_pid ()",
                           0, NULL);
    if (!res)
        return -1;
    int taken = streq (PQgetvalue (res, 0, 0), "t");
    *pid_p = atoi (PQgetvalue (res, 0, 1));
    PQclear (res);
    return taken;
}

int
events_store_load (kj_db_t *db, const char *instance, uint64_t *head_p,
                   zhashx_t *cursors)
{
    PGresult *res = kj_db_exec (
        db,
        "SELECT greatest (m.head, coalesce ((SELECT max (off) FROM log), 0)) "
        "FROM meta m",
        0, NULL);
    if (!res)
        return -1;
    *head_p = s_text_u64 (res, 0, 0);
    PQclear (res);

    res = kj_db_exec (db, "SELECT producer, txid, id FROM producers", 0, NULL);
    if (!res)
        return -1;
    zhashx_purge (cursors);
    for (int row = 0; row < PQntuples (res); row++) {
        events_cursor_t *cursor = (events_cursor_t *) zmalloc (
            sizeof (events_cursor_t));
        cursor->txid = s_text_u64 (res, row, 1);
        cursor->id = s_text_u64 (res, row, 2);
        zhashx_update (cursors, PQgetvalue (res, row, 0), cursor);
    }
    PQclear (res);
    const char *params [] = { instance };
    if (kj_db_run (db, "UPDATE meta SET writer = $1", 1, params) < 0)
        return -1;
    return 0;
}

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
        "SELECT xmin, (SELECT count (*) FROM moved) FROM horizon",
        3, params);
    if (!res)
        return -1;
    *xmin_p = s_text_u64 (res, 0, 0);
    int moved = s_text_u64 (res, 0, 1) == 1;
    PQclear (res);
    return moved;
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
    "SELECT horizon.xmin, coalesce (refused.n, 0), "
    "  (SELECT count (*) FROM rows), (SELECT count (*) FROM head) "
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
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1) {
        *xmin_p = s_text_u64 (res, 0, 0);
        uint64_t refused = s_text_u64 (res, 0, 1);
        if (refused) {
            *refused_p = (size_t) refused - 1;
            rc = -3;
        }
        else if (s_text_u64 (res, 0, 2) == rows && s_text_u64 (res, 0, 3) == 1)
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

//  --------------------------------------------------------------------------
//  Readers

//  A text[] literal: {"a","b"} with " and \ escaped.

static char *
s_array_literal (char **items, size_t count)
{
    size_t size = 3;
    for (size_t i = 0; i < count; i++)
        size += 2 * strlen (items [i]) + 3;
    char *text = (char *) malloc (size);
    assert (text);
    char *out = text;
    *out++ = '{';
    for (size_t i = 0; i < count; i++) {
        if (i)
            *out++ = ',';
        *out++ = '"';
        for (const char *c = items [i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *out++ = '\\';
            *out++ = *c;
        }
        *out++ = '"';
    }
    *out++ = '}';
    *out = 0;
    return text;
}

//  Replay's statement, with META the row of head and tail: the table
//  meta of a city's own log, or what a mirrored log holds.
#define S_REPLAY_SQL(META)                                                     \
    "SELECT head, tail, NULL::bigint AS off, NULL::bytea AS envelope "         \
    "FROM " META " "                                                           \
    "UNION ALL (SELECT NULL, NULL, off, envelope FROM log "                    \
    "  WHERE off >= $1::bigint AND off <= $2::bigint "                         \
    "    AND off < greatest ($1::bigint, (SELECT tail FROM " META "))"         \
    "              + $4::bigint "                                              \
    "    AND (cardinality ($3::text []) = 0 OR EXISTS "                        \
    "      (SELECT 1 FROM unnest ($3::text []) p "                             \
    "       WHERE starts_with (topic, p))) "                                   \
    "  ORDER BY off LIMIT $5::int)"
#define S_MIRROR_META                                                          \
    "(SELECT coalesce (max (off), 0) AS head, coalesce (min (off), 1) AS "     \
    "tail FROM log) AS mirror_meta"

int
events_store_replay (kj_db_t *db, bool mirror, uint64_t from, uint64_t to,
                     char **prefixes, size_t n_prefixes, uint32_t max_events,
                     uint64_t scan, size_t max_bytes,
                     ProtobufCAllocator *allocator, events_replay_t *out)
{
    memset (out, 0, sizeof *out);
    char from_text [24], to_text [24], scan_text [24], max_text [24];
    snprintf (from_text, sizeof from_text, "%" PRIu64, from);
    snprintf (to_text, sizeof to_text, "%" PRIu64,
              to ? to : (uint64_t) INT64_MAX);
    snprintf (scan_text, sizeof scan_text, "%" PRIu64, scan);
    snprintf (max_text, sizeof max_text, "%" PRIu32, max_events);
    char *array = s_array_literal (prefixes, n_prefixes);
    const char *params [] = { from_text, to_text, array, scan_text, max_text };
    //  One statement, so head, tail and the events come from one snapshot:
    //  the log holds exactly the offsets up to meta.head. The meta row is
    //  the one whose offset is NULL. Plain bounds on off, so that the
    //  primary key's range scan is the plan whatever the statistics say.
    PGresult *res = s_exec_binary (db,
                                   mirror ? S_REPLAY_SQL (S_MIRROR_META)
                                          : S_REPLAY_SQL ("meta"),
                                   5, params);
    free (array);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    int meta_row = -1;
    for (int row = 0; row < rows && meta_row < 0; row++)
        if (PQgetisnull (res, row, 2))
            meta_row = row;
    if (meta_row < 0) {
        PQclear (res);
        return -1;
    }
    out->head = s_u64 (res, meta_row, 0);
    out->tail = s_u64 (res, meta_row, 1);
    uint64_t start = from > out->tail ? from : out->tail;
    if (from && from < out->tail) {
        PQclear (res);
        out->next_offset = from;
        return 0;  //  the caller says OUT_OF_RANGE
    }
    //  How many rows fit, then one block for all their bytes
    size_t bytes = 0, count = 0;
    uint64_t last = 0;
    bool cut = false;
    for (int row = 0; row < rows; row++) {
        if (row == meta_row)
            continue;
        if (count > 0 && bytes >= max_bytes) {
            cut = true;
            break;
        }
        bytes += (size_t) PQgetlength (res, row, 3) + 10;
        last = s_u64 (res, row, 2);
        count++;
    }
    void *data = allocator->allocator_data;
    out->envelopes = (uint8_t **) allocator->alloc (data,
                                                    (count + 1)
                                                        * sizeof (uint8_t *));
    out->sizes = (size_t *) allocator->alloc (data,
                                              (count + 1) * sizeof (size_t));
    uint8_t *block = (uint8_t *) allocator->alloc (data, bytes + 1);
    for (int row = 0; row < rows && out->n_events < count; row++) {
        if (row == meta_row)
            continue;
        size_t size = (size_t) PQgetlength (res, row, 3);
        size_t prefix = 0;
        for (size_t value = size;; value >>= 7) {
            block [prefix++] = (uint8_t) ((value & 0x7f)
                                          | (value > 0x7f ? 0x80 : 0));
            if (value <= 0x7f)
                break;
        }
        memcpy (block + prefix, PQgetvalue (res, row, 3), size);
        out->envelopes [out->n_events] = block;
        out->sizes [out->n_events++] = prefix + size;
        block += prefix + size;
    }
    PQclear (res);
    if (cut || out->n_events == max_events)
        out->next_offset = last + 1;
    else {
        uint64_t end = out->head;
        if (to && to < end)
            end = to;
        if (start + scan - 1 < end)
            end = start + scan - 1;
        out->next_offset = end + 1 > start ? end + 1 : start;
    }
    return 0;
}

int
events_store_info (kj_db_t *db, Kj__EventsInfo *info,
                   ProtobufCAllocator *allocator)
{
    PGresult *res = kj_db_exec (
        db,
        "SELECT head, tail, bytes, rate_per_s, writer, coalesce (floor "
        "(extract (epoch FROM head_at) * 1000000)::bigint, 0) FROM meta",
        0, NULL);
    if (!res)
        return -1;
    info->head = s_text_u64 (res, 0, 0);
    info->tail = s_text_u64 (res, 0, 1);
    info->events = info->head >= info->tail ? info->head - info->tail + 1 : 0;
    info->bytes = s_text_u64 (res, 0, 2);
    info->rate_per_s = s_text_u64 (res, 0, 3);
    const char *writer = PQgetvalue (res, 0, 4);
    info->writer = (char *) allocator->alloc (allocator->allocator_data,
                                              strlen (writer) + 1);
    strcpy (info->writer, writer);
    info->head_at_us = (int64_t) s_text_u64 (res, 0, 5);
    PQclear (res);

    return events_store_subscribers (db, "", info, allocator);
}

int
events_store_mirror_info (kj_db_t *db, Kj__EventsInfo *info)
{
    //  Offsets are contiguous in a copy (the origin's retention is not
    //  copied): events from head and tail, the rate over the last minute
    //  from at most the last 100,000 rows, by the primary key
    PGresult *res = kj_db_exec (
        db,
        "WITH h AS (SELECT coalesce (max (off), 0) AS head, "
        "  coalesce (min (off), 1) AS tail FROM log) "
        "SELECT head, tail, pg_table_size ('log'), "
        "  (SELECT count (*) FROM log WHERE off > head - 100000 "
        "     AND appended_at > now () - interval '1 minute') / 60, "
        "  coalesce ((SELECT floor (extract (epoch FROM appended_at) "
        "     * 1000000)::bigint FROM log WHERE off = head), 0) FROM h",
        0, NULL);
    if (!res)
        return -1;
    info->head = s_text_u64 (res, 0, 0);
    info->tail = s_text_u64 (res, 0, 1);
    info->events = info->head >= info->tail ? info->head - info->tail + 1 : 0;
    info->bytes = s_text_u64 (res, 0, 2);
    info->rate_per_s = s_text_u64 (res, 0, 3);
    info->writer = (char *) "";
    info->head_at_us = (int64_t) s_text_u64 (res, 0, 4);
    PQclear (res);
    return 0;
}

int
events_store_subscribers (kj_db_t *db, const char *city, Kj__EventsInfo *info,
                          ProtobufCAllocator *allocator)
{
    //  A city's subscribers are kept as "<city>/<name>"; a local name has
    //  no "/" (Report refuses it)
    const char *params [] = { city };
    PGresult *res = kj_db_exec (
        db,
        "SELECT substr (name, length ($1) + 2 - (($1 = '')::int)), off, "
        "floor (extract (epoch FROM seen_at) * 1000000)::bigint "
        "FROM subscribers WHERE CASE WHEN $1 = '' THEN strpos (name, '/') = 0 "
        "ELSE starts_with (name, $1 || '/') END ORDER BY name LIMIT 1000",
        1, params);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    info->subscribers = (Kj__SubscriberStats **) allocator
                            ->alloc (allocator->allocator_data,
                                     (size_t) (rows ? rows : 1)
                                         * sizeof (Kj__SubscriberStats *));
    for (int row = 0; row < rows; row++) {
        Kj__SubscriberStats *stats = (Kj__SubscriberStats *) allocator
                                         ->alloc (allocator->allocator_data,
                                                  sizeof (Kj__SubscriberStats));
        kj__subscriber_stats__init (stats);
        const char *name = PQgetvalue (res, row, 0);
        stats->name = (char *) allocator->alloc (allocator->allocator_data,
                                                 strlen (name) + 1);
        strcpy (stats->name, name);
        stats->offset = s_text_u64 (res, row, 1);
        stats->seen_us = (int64_t) s_text_u64 (res, row, 2);
        info->subscribers [info->n_subscribers++] = stats;
    }
    PQclear (res);
    return 0;
}

int
events_store_report (kj_db_t *db, const char *name, uint64_t offset)
{
    char off [24];
    snprintf (off, sizeof off, "%" PRIu64, offset);
    const char *params [] = { name, off };
    return kj_db_run (db,
                      "INSERT INTO subscribers (name, off, seen_at) VALUES "
                      "($1, $2, now ()) "
                      "ON CONFLICT (name) DO UPDATE SET off = excluded.off, "
                      "seen_at = excluded.seen_at",
                      2, params)
                == 1
             ? 0
             : -1;
}

int64_t
events_store_retain (kj_db_t *db, int64_t max_age_s, uint64_t max_bytes,
                     uint64_t max_chunk, uint64_t *tail_p)
{
    PGresult *res = kj_db_exec (db, "SELECT head, tail, bytes FROM meta", 0,
                                NULL);
    if (!res)
        return -1;
    uint64_t head = s_text_u64 (res, 0, 0);
    uint64_t tail = s_text_u64 (res, 0, 1);
    uint64_t bytes = s_text_u64 (res, 0, 2);
    PQclear (res);
    *tail_p = tail;

    uint64_t cut = events_log_cut_by_bytes (head, tail, bytes, max_bytes,
                                            max_chunk);
    if (max_age_s > 0 && head >= tail) {
        //  appended_at grows with the offset, so the old events are a
        //  prefix of the log: the last old one among the next chunk
        char tail_text [24], chunk_text [24], age_text [24];
        snprintf (tail_text, sizeof tail_text, "%" PRIu64, tail);
        snprintf (chunk_text, sizeof chunk_text, "%" PRIu64, max_chunk);
        snprintf (age_text, sizeof age_text, "%" PRId64, max_age_s);
        const char *params [] = { tail_text, chunk_text, age_text };
        res = kj_db_exec (
            db,
            "SELECT coalesce (max (off), 0) FROM (SELECT off, appended_at "
            "FROM log WHERE off >= $1 ORDER BY off LIMIT $2) AS c "
            "WHERE appended_at < now () - make_interval (secs => $3)",
            3, params);
        if (!res)
            return -1;
        uint64_t old = s_text_u64 (res, 0, 0);
        PQclear (res);
        if (old > cut)
            cut = old;
    }
    if (cut < tail)
        return 0;

    char cut_text [24];
    snprintf (cut_text, sizeof cut_text, "%" PRIu64, cut);
    const char *params [] = { cut_text };
    res = kj_db_exec (
        db,
        "WITH gone AS (DELETE FROM log WHERE off <= $1 "
        "  RETURNING octet_length (envelope) AS size) "
        "UPDATE meta SET tail = greatest (tail, $1::bigint + 1), "
        "bytes = bytes - (SELECT coalesce (sum (size), 0) FROM gone) "
        "RETURNING tail, (SELECT count (*) FROM gone)",
        1, params);
    if (!res)
        return -1;
    *tail_p = s_text_u64 (res, 0, 0);
    int64_t removed = (int64_t) s_text_u64 (res, 0, 1);
    PQclear (res);
    return removed;
}

int
events_store_set_rate (kj_db_t *db, uint64_t rate_per_s)
{
    char rate [24];
    snprintf (rate, sizeof rate, "%" PRIu64, rate_per_s);
    const char *params [] = { rate };
    return kj_db_run (db, "UPDATE meta SET rate_per_s = $1", 1, params) == 1
             ? 0
             : -1;
}

//  --------------------------------------------------------------------------
//  When offset `off` was appended, µs since the epoch; 0 if it is gone
//  (removed by retention meanwhile: older than anything held), -1 on error.

static int64_t
s_appended_at (kj_db_t *db, uint64_t off)
{
    char off_text [24];
    snprintf (off_text, sizeof off_text, "%" PRIu64, off);
    const char *params [] = { off_text };
    PGresult *res = kj_db_exec (
        db,
        "SELECT (extract (epoch FROM appended_at) * 1000000)::bigint "
        "FROM log WHERE off = $1",
        1, params);
    if (!res)
        return -1;
    int64_t at = PQntuples (res) ? atoll (PQgetvalue (res, 0, 0)) : 0;
    PQclear (res);
    return at;
}

int
events_store_offset_for_time (kj_db_t *db, bool mirror, int64_t time_us,
                              uint64_t *offset_p, int64_t *at_us_p,
                              uint64_t *head_p, uint64_t *tail_p)
{
    PGresult *res = kj_db_exec (db,
                                mirror ? "SELECT head, tail FROM " S_MIRROR_META
                                       : "SELECT head, tail FROM meta",
                                0, NULL);
    if (!res)
        return -1;
    uint64_t head = s_text_u64 (res, 0, 0);
    uint64_t tail = s_text_u64 (res, 0, 1);
    PQclear (res);
    //  The first offset in [tail, head + 1) appended at or after time_us
    uint64_t low = tail, high = head + 1;
    while (low < high) {
        uint64_t middle = low + (high - low) / 2;
        int64_t at = s_appended_at (db, middle);
        if (at < 0)
            return -1;
        if (at >= time_us)
            high = middle;
        else
            low = middle + 1;
    }
    int64_t at = low <= head ? s_appended_at (db, low) : 0;
    if (at < 0)
        return -1;
    *offset_p = low;
    *at_us_p = at;
    *head_p = head;
    *tail_p = tail;
    return 0;
}

//  --------------------------------------------------------------------------
//  A hub's copy of a city's log (events_follow): its last offset, and its
//  rows from..to as (off, topic, envelope) in binary.

int
events_store_mirror_head (kj_db_t *db, uint64_t *head)
{
    PGresult *res = s_exec_binary (db,
                                   "SELECT coalesce (max (off), 0) FROM log", 0,
                                   NULL);
    if (!res)
        return -1;
    *head = s_u64 (res, 0, 0);
    PQclear (res);
    return 0;
}

PGresult *
events_store_mirror_rows (kj_db_t *db, uint64_t from, uint64_t to)
{
    char from_text [24], to_text [24];
    snprintf (from_text, sizeof from_text, "%" PRIu64, from);
    snprintf (to_text, sizeof to_text, "%" PRIu64, to);
    const char *params [] = { from_text, to_text };
    return s_exec_binary (db,
                          "SELECT off, topic, envelope FROM log "
                          "WHERE off >= $1::bigint AND off <= $2::bigint "
                          "ORDER BY off",
                          2, params);
}
