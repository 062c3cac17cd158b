/*  =========================================================================
    registry_bulk_store - every SQL statement of the bulk import and export

    Three ways to the database, each where it pays:
    - kj_db_exec / kj_db_run for the small statements, prepared once per
      connection;
    - COPY ... FROM STDIN (kj_db_copy) for staging rows and problems: one
      round trip per chunk, whatever its size;
    - statements sent with PQsendQueryParams and waited for in slices of a
      second, for the commit's big INSERT ... SELECTs, so that the worker
      can heartbeat the broker meanwhile (the broker takes a worker silent
      for too long for dead); and DECLARE ... CURSOR for the passes over
      the staged rows that need C in between (events, stages).
    Utility statements (SAVEPOINT, DECLARE, FETCH, the temporary table) go
    over the raw connection too: they are not prepared.

    Split: this file holds imports, chunks, problems, counts and the
    helpers the others share (registry_bulk_store_private.h);
    registry_bulk_store_commit.c stages and commits each kind,
    _restage.c recomputes what a figures import touched, _export.c pages
    out each kind.
    =========================================================================
*/

#include <poll.h>

#include "kejin.h"
#include "registry_bulk_store.h"
#include "registry_bulk_store_private.h"
#include "registry_check.h"
#include "registry_entry.h"

//  --------------------------------------------------------------------------
//  Errors and raw statements

void
registry_bulk_store_failed (const char *what, PGresult *res, kj_db_t *db)
{
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE)
                            : kj_db_sqlstate (db);
    const char *message = res ? PQresultErrorMessage (res) : kj_db_error (db);
    char line [400];
    kj_strlcpy (line, message ? message : "", sizeof line);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '"')
            *c = ' ';
    kj_warn ("bulk.sql_failed", "what=%s sqlstate=%s reason=\"%s\"", what,
             state ? state : "", line);
}

//  kj_db_exec, logging a failure (once, as what).
PGresult *
registry_bulk_store_query (kj_db_t *db, const char *what, const char *sql,
                           int nparams, const char *const *params)
{
    PGresult *res = kj_db_exec (db, sql, nparams, params);
    if (!res)
        registry_bulk_store_failed (what, NULL, db);
    return res;
}

//  Run a statement on the raw connection, waiting in slices of a second
//  and ticking in between. Returns the last result (the caller PQclears
//  it and checks its status), NULL if it could not be sent.
PGresult *
registry_bulk_store_long (kj_db_t *db, const char *sql, int nparams,
                          const char *const *params,
                          registry_bulk_tick_fn *tick, void *arg)
{
    PGconn *conn = kj_db_conn (db);
    if (!PQsendQueryParams (conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
        kj_warn ("bulk.send_failed", "reason=\"%s\"", PQerrorMessage (conn));
        return NULL;
    }
    while (PQisBusy (conn)) {
        struct pollfd item = { PQsocket (conn), POLLIN, 0 };
        int rc = poll (&item, 1, 1000);
        if (rc < 0 && errno != EINTR)
            break;
        if (!PQconsumeInput (conn))
            break;
        if (tick)
            tick (arg);
    }
    PGresult *last = NULL, *res;
    while ((res = PQgetResult (conn)) != NULL) {
        if (last)
            PQclear (last);
        last = res;
    }
    return last;
}

//  A raw statement whose result is only ok or not. 0 or -1.
int
registry_bulk_store_raw (kj_db_t *db, const char *what, const char *sql,
                         int nparams, const char *const *params,
                         registry_bulk_tick_fn *tick, void *arg, int64_t *rows)
{
    PGresult *res = registry_bulk_store_long (db, sql, nparams, params, tick,
                                              arg);
    ExecStatusType status = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        registry_bulk_store_failed (what, res, db);
        PQclear (res);
        return -1;
    }
    if (rows) {
        const char *tuples = PQcmdTuples (res);
        *rows = *tuples ? atoll (tuples) : PQntuples (res);
    }
    PQclear (res);
    return 0;
}

//  Whether the enterprises' parts are refreshed per row written, as
//  014_enterprise_parts.sql's triggers do (on: not, for the rest of the
//  transaction or savepoint; the caller refreshes the enterprises it wrote
//  in one statement, then turns it off). 0 or -1.
int
registry_bulk_store_parts (kj_db_t *db, bool bulk)
{
    const char *params [] = { bulk ? "on" : "off" };
    return registry_bulk_store_raw (db, "parts",
                                    "SELECT set_config ('kejin.parts_bulk', "
                                    "$1, true)",
                                    1, params, NULL, NULL, NULL);
}

//  COPY buf into a table with `sql` (COPY ... FROM STDIN). 0 or -1.
int
registry_bulk_store_copy (kj_db_t *db, const char *what, const char *sql,
                          const char *data, size_t size)
{
    if (kj_db_copy (db, sql, data, size) == 0)
        return 0;
    registry_bulk_store_failed (what, NULL, db);
    return -1;
}

//  --------------------------------------------------------------------------
//  COPY text format: tab-separated, \N for NULL, backslash escapes

static void
s_put (registry_csv_buf_t *buf, const char *data, size_t size)
{
    registry_csv_buf_append (buf, data, size);
}

void
registry_bulk_store_text (registry_csv_buf_t *buf, const char *text)
{
    if (!text)
        text = "";
    const char *run = text;
    for (const char *c = text;; c++) {
        char escape = *c == '\\' ? '\\'
                    : *c == '\t' ? 't'
                    : *c == '\n' ? 'n'
                    : *c == '\r' ? 'r'
                                 : 0;
        if (!escape && *c)
            continue;
        s_put (buf, run, (size_t) (c - run));
        if (!*c)
            break;
        char pair [2] = { '\\', escape };
        s_put (buf, pair, 2);
        run = c + 1;
    }
}

void
registry_bulk_store_tab (registry_csv_buf_t *buf)
{
    s_put (buf, "\t", 1);
}

void
registry_bulk_store_null (registry_csv_buf_t *buf)
{
    s_put (buf, "\\N", 2);
}

void
registry_bulk_store_int (registry_csv_buf_t *buf, int64_t value)
{
    char text [24];
    int size = snprintf (text, sizeof text, "%" PRId64, value);
    s_put (buf, text, (size_t) size);
}

void
registry_bulk_store_bool (registry_csv_buf_t *buf, bool value)
{
    s_put (buf, value ? "t" : "f", 1);
}

//  A date, or NULL when empty.
void
registry_bulk_store_date (registry_csv_buf_t *buf, const char *text)
{
    if (text && *text)
        registry_bulk_store_text (buf, text);
    else
        registry_bulk_store_null (buf);
}

//  Split "a|b|c" (modified in place) into items; returns their count.
size_t
registry_bulk_store_split (char *text, char **items, size_t max)
{
    size_t n = 0;
    while (*text && n < max) {
        items [n++] = text;
        char *bar = strchr (text, '|');
        if (!bar)
            break;
        *bar = 0;
        text = bar + 1;
    }
    return n;
}

void
registry_bulk_store_end (registry_csv_buf_t *buf)
{
    s_put (buf, "\n", 1);
}

//  An array of plain words ({a,b}): enum names, region tokens, dates.
void
registry_bulk_store_words (registry_csv_buf_t *buf, const char *const *words,
                           size_t n)
{
    s_put (buf, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            s_put (buf, ",", 1);
        registry_bulk_store_text (buf, words [i]);
    }
    s_put (buf, "}", 1);
}

//  An array of the stored names of enum values.
void
registry_bulk_store_enum_words (registry_csv_buf_t *buf,
                                const ProtobufCEnumDescriptor *d,
                                const char *prefix, const int *values, size_t n)
{
    const char *words [32];
    char names [32][40];
    if (n > 32)
        n = 32;
    for (size_t i = 0; i < n; i++)
        words [i] = kj_check_enum_name (d, prefix, values [i], names [i],
                                        sizeof names [i])
                      ? names [i]
                      : "";
    registry_bulk_store_words (buf, words, n);
}

//  --------------------------------------------------------------------------
//  Small helpers of results

int64_t
registry_bulk_store_value (PGresult *res, int row, int column)
{
    return atoll (PQgetvalue (res, row, column));
}

bool
registry_bulk_store_true (PGresult *res, int row, int column)
{
    return PQgetvalue (res, row, column) [0] == 't';
}

static const char *s_kind_names [] = { "", "enterprises", "figures",
                                       "institutions", "products" };

void
registry_bulk_store_import_free (registry_bulk_import_t *import)
{
    free (import->header);
    free (import->file_name);
    free (import->reply);
    import->header = import->file_name = NULL;
    import->reply = NULL;
    import->reply_size = 0;
}

//  --------------------------------------------------------------------------
//  Imports

int
registry_bulk_store_begin (kj_db_t *db, registry_csv_kind_t kind,
                           const char *file_name, const char *header,
                           int64_t total_bytes, const char *by,
                           registry_bulk_import_t *import)
{
    char bytes [24];
    snprintf (bytes, sizeof bytes, "%" PRId64, total_bytes);
    const char *params [] = { s_kind_names [kind], file_name, header, bytes,
                              by };
    PGresult *res = registry_bulk_store_query (
        db, "begin",
        "INSERT INTO bulk_import (kind, file_name, header, total_bytes, "
        "created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id, "
        "extract (year FROM today)::int AS year, "
        "extract (month FROM today)::int AS month, "
        "extract (day FROM today)::int AS day",
        5, params);
    if (!res)
        return -1;
    if (kj_sql_int64 (res, 0, "id", &import->id)
        || kj_sql_int (res, 0, "year", &import->today.year)
        || kj_sql_int (res, 0, "month", &import->today.month)
        || kj_sql_int (res, 0, "day", &import->today.day)) {
        PQclear (res);
        return -1;
    }
    import->kind = kind;
    kj_strlcpy (import->state, "open", sizeof import->state);
    PQclear (res);
    return 1;
}

int
registry_bulk_store_sweep (kj_db_t *db, int max_age_s)
{
    char age [16];
    snprintf (age, sizeof age, "%d", max_age_s);
    const char *params [] = { age };
    PGresult *res = registry_bulk_store_query (
        db, "sweep",
        "UPDATE bulk_import i SET state = 'aborted', finished_at = now () "
        "WHERE state = 'open' "
        "AND created_at < now () - make_interval (secs => $1::int) "
        "AND NOT EXISTS (SELECT 1 FROM bulk_chunk c WHERE c.import_id = i.id "
        "AND c.received_at > now () - make_interval (secs => $1::int)) "
        "RETURNING '{' || id || '}' AS ids, kind",
        1, params);
    if (!res)
        return -1;
    int col [2];
    if (kj_sql_columns (res, (const char *const []){ "ids", "kind" }, col, 2)) {
        PQclear (res);
        return -1;
    }
    int ids_column = col [0], kind_column = col [1];
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        int kind = registry_csv_kind_from_name (
            PQgetvalue (res, row, kind_column));
        const char *ids [] = { PQgetvalue (res, row, ids_column) };
        const char *sql [] = {
            "",
            "DELETE FROM bulk_enterprise WHERE import_id = ANY ($1::bigint[])",
            "DELETE FROM bulk_figures WHERE import_id = ANY ($1::bigint[])",
            "DELETE FROM bulk_institution WHERE import_id = ANY ($1::bigint[])",
            "DELETE FROM bulk_product WHERE import_id = ANY ($1::bigint[])"
        };
        if (kind > 0 && kj_db_run (db, sql [kind], 1, ids) < 0) {
            registry_bulk_store_failed ("sweep", NULL, db);
            PQclear (res);
            return -1;
        }
        kj_info ("bulk.import_abandoned", "import=%.20s kind=%s", ids [0] + 1,
                 PQgetvalue (res, row, kind_column));
    }
    PQclear (res);
    return count;
}

const char *
registry_bulk_store_topic (int kind)
{
    static const char *topics [] = { "", "registry.enterprise.imported",
                                     "registry.figures.imported",
                                     "registry.institution.imported",
                                     "registry.product.imported" };
    assert (kind > 0 && kind < (int) (sizeof topics / sizeof topics [0]));
    return topics [kind];
}

int
registry_bulk_store_lock_targets (kj_db_t *db, int64_t id)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *params [] = { text };
    PGresult *res =
        registry_bulk_store_query (db, "lock",
                                   "SELECT kind FROM bulk_import WHERE id = $1",
                                   1, params);
    if (!res)
        return -1;
    int kind = PQntuples (res) == 1
                 ? (int) registry_csv_kind_from_name (PQgetvalue (res, 0, 0))
                 : -1;
    bool figures = kind == REGISTRY_CSV_FIGURES;
    PQclear (res);
    //  registry.<kind>.imported is written by imports' commits alone, a
    //  thousand keys at a time: its topic's lock orders it
    if (kind > 0
        && kj_db_lock_topic (db, registry_bulk_store_topic (kind), false))
        return -1;
    if (figures
        && kj_db_run (db, "LOCK TABLE enterprise IN EXCLUSIVE MODE", 0, NULL)
               < 0) {
        registry_bulk_store_failed ("lock", NULL, db);
        return -1;
    }
    return 0;
}

int
registry_bulk_store_load (kj_db_t *db, int64_t id, bool for_update,
                          registry_bulk_import_t *import)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *params [] = { text };
#define LOAD_COLUMNS                                                           \
    "SELECT kind, state, header, file_name, "                                  \
    "extract (year FROM today)::int AS year, "                                 \
    "extract (month FROM today)::int AS month, "                               \
    "extract (day FROM today)::int AS day, reply "                             \
    "FROM bulk_import WHERE id = $1 "
    PGresult *res = for_update
                      ? kj_db_exec (db, LOAD_COLUMNS "FOR UPDATE", 1, params)
                      : kj_db_exec (db, LOAD_COLUMNS "FOR SHARE", 1, params);
#undef LOAD_COLUMNS
    if (!res) {
        registry_bulk_store_failed ("load", NULL, db);
        return -1;
    }
    memset (import, 0, sizeof *import);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return 0;
    }
    //  All NOT NULL by the schema but the reply, NULL until finished
    const char *kind = kj_sql_text (res, 0, "kind");
    const char *state = kj_sql_text (res, 0, "state");
    const char *header = kj_sql_text (res, 0, "header");
    const char *file_name = kj_sql_text (res, 0, "file_name");
    if (!kind || !state || !header || !file_name
        || kj_sql_int (res, 0, "year", &import->today.year)
        || kj_sql_int (res, 0, "month", &import->today.month)
        || kj_sql_int (res, 0, "day", &import->today.day)) {
        kj_warn ("bulk.sql_failed", "what=load reason=\"a column is NULL\"");
        PQclear (res);
        return -1;
    }
    import->id = id;
    import->kind = (registry_csv_kind_t) registry_csv_kind_from_name (kind);
    kj_strlcpy (import->state, state, sizeof import->state);
    import->header = strdup (header);
    import->file_name = strdup (file_name);
    const char *reply = kj_sql_text (res, 0, "reply");
    if (reply) {
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) reply,
                                                &size);
        if (bytes) {
            import->reply = (uint8_t *) malloc (size ? size : 1);
            memcpy (import->reply, bytes, size);
            import->reply_size = size;
            PQfreemem (bytes);
        }
    }
    PQclear (res);
    return 1;
}

int
registry_bulk_store_finish (kj_db_t *db, const registry_bulk_import_t *import,
                            const char *state, uint64_t rows, uint64_t imported,
                            uint64_t errors, const uint8_t *reply,
                            size_t reply_size)
{
    char id [24], r [24], i [24], e [24];
    snprintf (id, sizeof id, "%" PRId64, import->id);
    snprintf (r, sizeof r, "%" PRIu64, rows);
    snprintf (i, sizeof i, "%" PRIu64, imported);
    snprintf (e, sizeof e, "%" PRIu64, errors);
    char *hex = kj_hex_encode (reply, reply ? reply_size : 0);
    const char *params [] = { id, state, r, i, e, reply ? hex : NULL };
    int64_t done = kj_db_run (
        db,
        "UPDATE bulk_import SET state = $2, rows = $3, imported = $4, "
        "error_count = $5, reply = decode ($6, 'hex'), finished_at = now () "
        "WHERE id = $1",
        6, params);
    free (hex);
    if (done != 1) {
        registry_bulk_store_failed ("finish", NULL, db);
        return -1;
    }
    const char *unstage [] = {
        "", "DELETE FROM bulk_enterprise WHERE import_id = $1",
        "DELETE FROM bulk_figures WHERE import_id = $1",
        "DELETE FROM bulk_institution WHERE import_id = $1",
        "DELETE FROM bulk_product WHERE import_id = $1"
    };
    if (kj_db_run (db, unstage [import->kind], 1, params) < 0) {
        registry_bulk_store_failed ("unstage", NULL, db);
        return -1;
    }
    return 1;
}

//  --------------------------------------------------------------------------
//  Chunks

int
registry_bulk_store_chunk_claim (kj_db_t *db, int64_t id, uint32_t seq,
                                 uint32_t first_line, uint32_t bytes)
{
    char i [24], s [16], f [16], b [16];
    snprintf (i, sizeof i, "%" PRId64, id);
    snprintf (s, sizeof s, "%u", seq);
    snprintf (f, sizeof f, "%u", first_line);
    snprintf (b, sizeof b, "%u", bytes);
    const char *params [] = { i, s, f, b };
    int64_t rows =
        kj_db_run (db,
                   "INSERT INTO bulk_chunk (import_id, seq, first_line, bytes) "
                   "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                   4, params);
    if (rows < 0)
        registry_bulk_store_failed ("chunk_claim", NULL, db);
    return rows < 0 ? -1 : rows == 1;
}

int
registry_bulk_store_chunk_done (kj_db_t *db, int64_t id, uint32_t seq,
                                const registry_bulk_chunk_t *chunk)
{
    char v [7][24];
    snprintf (v [0], 24, "%" PRId64, id);
    snprintf (v [1], 24, "%u", seq);
    snprintf (v [2], 24, "%u", chunk->rows);
    snprintf (v [3], 24, "%u", chunk->accepted);
    snprintf (v [4], 24, "%u", chunk->rejected);
    snprintf (v [5], 24, "%u", chunk->errors);
    snprintf (v [6], 24, "%u", chunk->last_line);
    const char *params [] = { v [0], v [1], v [2], v [3], v [4], v [5], v [6] };
    int64_t rows = kj_db_run (
        db,
        "UPDATE bulk_chunk SET rows = $3, accepted = $4, rejected = $5, "
        "errors = $6, last_line = $7 WHERE import_id = $1 AND seq = $2",
        7, params);
    if (rows != 1)
        registry_bulk_store_failed ("chunk_done", NULL, db);
    return rows == 1 ? 1 : -1;
}

int
registry_bulk_store_chunk_get (kj_db_t *db, int64_t id, uint32_t seq,
                               registry_bulk_chunk_t *chunk)
{
    char i [24], s [16];
    snprintf (i, sizeof i, "%" PRId64, id);
    snprintf (s, sizeof s, "%u", seq);
    const char *params [] = { i, s };
    PGresult *res = registry_bulk_store_query (
        db, "chunk_get",
        "SELECT rows, accepted, rejected, errors, last_line FROM bulk_chunk "
        "WHERE import_id = $1 AND seq = $2",
        2, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    int64_t rows, accepted, rejected, errors, last_line;
    if (found
        && (kj_sql_int64 (res, 0, "rows", &rows)
            || kj_sql_int64 (res, 0, "accepted", &accepted)
            || kj_sql_int64 (res, 0, "rejected", &rejected)
            || kj_sql_int64 (res, 0, "errors", &errors)
            || kj_sql_int64 (res, 0, "last_line", &last_line)))
        found = -1;
    else if (found) {
        chunk->rows = (uint32_t) rows;
        chunk->accepted = (uint32_t) accepted;
        chunk->rejected = (uint32_t) rejected;
        chunk->errors = (uint32_t) errors;
        chunk->last_line = (uint32_t) last_line;
    }
    PQclear (res);
    return found;
}

int
registry_bulk_store_totals (kj_db_t *db, int64_t id, uint32_t expected,
                            registry_bulk_totals_t *totals)
{
    char i [24], e [16];
    snprintf (i, sizeof i, "%" PRId64, id);
    snprintf (e, sizeof e, "%u", expected);
    const char *params [] = { i, e };
    memset (totals, 0, sizeof *totals);
    PGresult *res = registry_bulk_store_query (
        db, "totals",
        "SELECT count (*) AS chunks, coalesce (sum (rows), 0) AS rows, "
        "coalesce (sum (accepted), 0) AS accepted, "
        "coalesce (sum (errors), 0) AS errors "
        "FROM bulk_chunk WHERE import_id = $1",
        1, params);
    if (!res)
        return -1;
    int64_t chunks, rows, accepted, errors;
    if (kj_sql_int64 (res, 0, "chunks", &chunks)
        || kj_sql_int64 (res, 0, "rows", &rows)
        || kj_sql_int64 (res, 0, "accepted", &accepted)
        || kj_sql_int64 (res, 0, "errors", &errors)) {
        PQclear (res);
        return -1;
    }
    totals->chunks = (uint32_t) chunks;
    totals->rows = (uint64_t) rows;
    totals->accepted = (uint64_t) accepted;
    totals->errors = (uint64_t) errors;
    PQclear (res);
    res = registry_bulk_store_query (
        db, "totals",
        "SELECT s FROM generate_series (0, $2::int - 1) s WHERE NOT EXISTS "
        "(SELECT 1 FROM bulk_chunk c WHERE c.import_id = $1 AND c.seq = s) "
        "ORDER BY s LIMIT 20",
        2, params);
    if (!res)
        return -1;
    int seq;
    if (kj_sql_columns (res, (const char *const []){ "s" }, &seq, 1)) {
        PQclear (res);
        return -1;
    }
    size_t at = 0;
    for (int row = 0; row < PQntuples (res) && at < sizeof totals->missing;
         row++)
        at += snprintf (totals->missing + at, sizeof totals->missing - at,
                        "%s%s", row ? ", " : "", PQgetvalue (res, row, seq));
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Problems

void
registry_bulk_store_error_row (registry_csv_buf_t *buf, int64_t id, int32_t seq,
                               const registry_csv_error_t *error)
{
    registry_bulk_store_int (buf, id);
    registry_bulk_store_tab (buf);
    registry_bulk_store_int (buf, seq);
    registry_bulk_store_tab (buf);
    registry_bulk_store_int (buf, error->line);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, error->field);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, error->reason);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, error->value);
    registry_bulk_store_end (buf);
}

int
registry_bulk_store_errors_put (kj_db_t *db, const registry_csv_buf_t *buf)
{
    if (buf->size == 0)
        return 1;
    return registry_bulk_store_copy (
               db, "errors_put",
               "COPY bulk_error (import_id, seq, line, field, reason, "
               "value) FROM STDIN",
               buf->data, buf->size)
             ? -1
             : 1;
}

int
registry_bulk_store_errors_get (kj_db_t *db, int64_t id, int32_t seq, int limit,
                                registry_bulk_error_fn *fn, void *arg)
{
    char i [24], s [16], l [16];
    snprintf (i, sizeof i, "%" PRId64, id);
    snprintf (s, sizeof s, "%d", seq);
    snprintf (l, sizeof l, "%d", limit);
    const char *params [] = { i, s, l };
    PGresult *res =
        seq >= 0
            ? kj_db_exec (
                db,
                "SELECT line, field, reason, value FROM bulk_error "
                "WHERE import_id = $1 AND seq = $2 ORDER BY line LIMIT $3",
                3, params)
            : kj_db_exec (
                db,
                "SELECT line, field, reason, value FROM bulk_error "
                "WHERE import_id = $1 AND $2::int < 0 ORDER BY line, seq DESC "
                "LIMIT $3",
                3, params);
    if (!res) {
        registry_bulk_store_failed ("errors_get", NULL, db);
        return -1;
    }
    //  The columns once for the rows (bulk_error's, NOT NULL)
    enum { LINE, FIELD, REASON, VALUE, COLUMNS };
    static const char *const names [COLUMNS] = { "line", "field", "reason",
                                                 "value" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        PQclear (res);
        return -1;
    }
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        registry_csv_error_t error = {
            .line = (uint32_t) registry_bulk_store_value (res, row, col [LINE]),
            .field = PQgetvalue (res, row, col [FIELD]),
            .reason = PQgetvalue (res, row, col [REASON]),
            .value = PQgetvalue (res, row, col [VALUE])
        };
        fn (&error, arg);
    }
    PQclear (res);
    return count;
}

int64_t
registry_bulk_store_error_count (kj_db_t *db, int64_t id)
{
    char i [24];
    snprintf (i, sizeof i, "%" PRId64, id);
    const char *params [] = { i };
    PGresult *res = registry_bulk_store_query (
        db, "error_count",
        "SELECT count (*) FROM bulk_error WHERE import_id = $1", 1, params);
    if (!res)
        return -1;
    int64_t count = registry_bulk_store_value (res, 0, 0);
    PQclear (res);
    return count;
}

int
registry_bulk_store_counts (kj_db_t *db, registry_bulk_counts_t *counts)
{
    memset (counts, 0, sizeof *counts);
    PGresult *res = registry_bulk_store_query (
        db, "counts",
        "SELECT (SELECT count (*) FROM enterprise) AS enterprises, "
        "(SELECT count (*) FROM figures) AS figures, "
        "(SELECT count (*) FROM institution) AS institutions, "
        "(SELECT count (*) FROM product) AS products, "
        "(SELECT count (DISTINCT region) FROM enterprise) AS regions, "
        "(SELECT count (*) FROM bulk_import WHERE state = 'open') "
        "AS open_imports",
        0, NULL);
    if (!res)
        return -1;
    int64_t enterprises, figures, institutions, products, regions, open;
    if (kj_sql_int64 (res, 0, "enterprises", &enterprises)
        || kj_sql_int64 (res, 0, "figures", &figures)
        || kj_sql_int64 (res, 0, "institutions", &institutions)
        || kj_sql_int64 (res, 0, "products", &products)
        || kj_sql_int64 (res, 0, "regions", &regions)
        || kj_sql_int64 (res, 0, "open_imports", &open)) {
        PQclear (res);
        return -1;
    }
    counts->enterprises = (uint64_t) enterprises;
    counts->figures = (uint64_t) figures;
    counts->institutions = (uint64_t) institutions;
    counts->products = (uint64_t) products;
    counts->regions = (uint32_t) regions;
    counts->open_imports = (uint32_t) open;
    PQclear (res);
    res = registry_bulk_store_query (
        db, "counts",
        "SELECT stage, count (*) AS enterprises FROM enterprise "
        "GROUP BY stage",
        0, NULL);
    if (!res)
        return -1;
    int col [2];
    if (kj_sql_columns (res, (const char *const []){ "stage", "enterprises" },
                        col, 2)) {
        PQclear (res);
        return -1;
    }
    int stage_column = col [0], count_column = col [1];
    for (int row = 0; row < PQntuples (res); row++) {
        int stage = registry_stage_from_name (
            PQgetvalue (res, row, stage_column));
        if (stage >= 0 && stage < 5)
            counts->by_stage [stage] = (uint64_t)
                registry_bulk_store_value (res, row, count_column);
    }
    PQclear (res);
    return 1;
}
