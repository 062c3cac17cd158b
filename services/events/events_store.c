/*  =========================================================================
    events_store - every SQL statement of kejin-events
    =========================================================================
*/

#include "events_store.h"

//  The writer lock is an advisory lock of the database: pg_locks shows it
//  as classid KJ_LOCK_EVENTS_WRITER (kj_locks.h), objid 1.

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

//  --------------------------------------------------------------------------
//  Writer

int
events_store_try_lock (kj_db_t *db, int *pid_p)
{
    PGresult
        *res = kj_db_exec (db,
                           "SELECT pg_try_advisory_lock (" KJ_LOCK_EVENTS_WRITER
                           ", 1) AS taken, pg_backend_pid () AS pid",
                           0, NULL);
    if (!res)
        return -1;
    bool taken;
    int rc = kj_sql_bool (res, 0, "taken", &taken)
                  || kj_sql_int (res, 0, "pid", pid_p)
               ? -1
               : taken;
    PQclear (res);
    return rc;
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
    const char *const names [] = { "producer", "txid", "id" };
    int col [3];
    if (kj_sql_columns (res, names, col, 3)) {
        PQclear (res);
        return -1;
    }
    for (int row = 0; row < PQntuples (res); row++) {
        events_cursor_t *cursor = (events_cursor_t *) zmalloc (
            sizeof (events_cursor_t));
        cursor->txid = s_text_u64 (res, row, col [1]);
        cursor->id = s_text_u64 (res, row, col [2]);
        zhashx_update (cursors, PQgetvalue (res, row, col [0]), cursor);
    }
    PQclear (res);
    const char *params [] = { instance };
    if (kj_db_run (db, "UPDATE meta SET writer = $1", 1, params) < 0)
        return -1;
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
    const char *const names [] = { "head", "tail", "off", "envelope" };
    int col [4];
    if (kj_sql_columns (res, names, col, 4)) {
        PQclear (res);
        return -1;
    }
    const int head = col [0], tail = col [1], off = col [2], envelope = col [3];
    int rows = PQntuples (res);
    int meta_row = -1;
    for (int row = 0; row < rows && meta_row < 0; row++)
        if (PQgetisnull (res, row, off))
            meta_row = row;
    if (meta_row < 0) {
        PQclear (res);
        return -1;
    }
    out->head = s_u64 (res, meta_row, head);
    out->tail = s_u64 (res, meta_row, tail);
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
        bytes += (size_t) PQgetlength (res, row, envelope) + 10;
        last = s_u64 (res, row, off);
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
        size_t size = (size_t) PQgetlength (res, row, envelope);
        size_t prefix = 0;
        for (size_t value = size;; value >>= 7) {
            block [prefix++] = (uint8_t) ((value & 0x7f)
                                          | (value > 0x7f ? 0x80 : 0));
            if (value <= 0x7f)
                break;
        }
        memcpy (block + prefix, PQgetvalue (res, row, envelope), size);
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
        "(extract (epoch FROM head_at) * 1000000)::bigint, 0) AS head_at_us "
        "FROM meta",
        0, NULL);
    if (!res)
        return -1;
    uint64_t head_at = 0;
    const char *writer = kj_sql_text (res, 0, "writer");
    if (!writer || s_named_u64 (res, 0, "head", &info->head)
        || s_named_u64 (res, 0, "tail", &info->tail)
        || s_named_u64 (res, 0, "bytes", &info->bytes)
        || s_named_u64 (res, 0, "rate_per_s", &info->rate_per_s)
        || s_named_u64 (res, 0, "head_at_us", &head_at)) {
        PQclear (res);
        return -1;
    }
    info->events = info->head >= info->tail ? info->head - info->tail + 1 : 0;
    info->writer = (char *) allocator->alloc (allocator->allocator_data,
                                              strlen (writer) + 1);
    strcpy (info->writer, writer);
    info->head_at_us = (int64_t) head_at;
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
        "SELECT head, tail, pg_table_size ('log') AS bytes, "
        "  (SELECT count (*) FROM log WHERE off > head - 100000 "
        "     AND appended_at > now () - interval '1 minute') / 60 "
        "  AS rate_per_s, "
        "  coalesce ((SELECT floor (extract (epoch FROM appended_at) "
        "     * 1000000)::bigint FROM log WHERE off = head), 0) AS head_at_us "
        "FROM h",
        0, NULL);
    if (!res)
        return -1;
    uint64_t head_at = 0;
    int rc = s_named_u64 (res, 0, "head", &info->head)
                  || s_named_u64 (res, 0, "tail", &info->tail)
                  || s_named_u64 (res, 0, "bytes", &info->bytes)
                  || s_named_u64 (res, 0, "rate_per_s", &info->rate_per_s)
                  || s_named_u64 (res, 0, "head_at_us", &head_at)
               ? -1
               : 0;
    PQclear (res);
    info->events = info->head >= info->tail ? info->head - info->tail + 1 : 0;
    info->writer = (char *) "";
    info->head_at_us = (int64_t) head_at;
    return rc;
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
        "SELECT substr (name, length ($1) + 2 - (($1 = '')::int)) "
        "AS subscriber, off, "
        "floor (extract (epoch FROM seen_at) * 1000000)::bigint AS seen_us "
        "FROM subscribers WHERE CASE WHEN $1 = '' THEN strpos (name, '/') = 0 "
        "ELSE starts_with (name, $1 || '/') END ORDER BY name LIMIT 1000",
        1, params);
    if (!res)
        return -1;
    const char *const names [] = { "subscriber", "off", "seen_us" };
    int col [3];
    if (kj_sql_columns (res, names, col, 3)) {
        PQclear (res);
        return -1;
    }
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
        const char *name = PQgetvalue (res, row, col [0]);
        stats->name = (char *) allocator->alloc (allocator->allocator_data,
                                                 strlen (name) + 1);
        strcpy (stats->name, name);
        stats->offset = s_text_u64 (res, row, col [1]);
        stats->seen_us = (int64_t) s_text_u64 (res, row, col [2]);
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
    uint64_t head, tail, bytes;
    int rc = s_named_u64 (res, 0, "head", &head)
          || s_named_u64 (res, 0, "tail", &tail)
          || s_named_u64 (res, 0, "bytes", &bytes);
    PQclear (res);
    if (rc)
        return -1;
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
        "RETURNING tail, (SELECT count (*) FROM gone) AS removed",
        1, params);
    if (!res)
        return -1;
    uint64_t removed;
    rc = s_named_u64 (res, 0, "tail", tail_p)
      || s_named_u64 (res, 0, "removed", &removed);
    PQclear (res);
    return rc ? -1 : (int64_t) removed;
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
    uint64_t head, tail;
    int rc = s_named_u64 (res, 0, "head", &head)
          || s_named_u64 (res, 0, "tail", &tail);
    PQclear (res);
    if (rc)
        return -1;
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
