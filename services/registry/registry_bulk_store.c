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
    =========================================================================
*/

#include <poll.h>

#include "kejin.h"
#include "registry_bulk_store.h"
#include "registry_check.h"
#include "registry_entry.h"

//  --------------------------------------------------------------------------
//  Errors and raw statements

static void
s_failed (const char *what, PGresult *res, kj_db_t *db)
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
static PGresult *
s_query (kj_db_t *db, const char *what, const char *sql, int nparams,
         const char *const *params)
{
    PGresult *res = kj_db_exec (db, sql, nparams, params);
    if (!res)
        s_failed (what, NULL, db);
    return res;
}

//  Run a statement on the raw connection, waiting in slices of a second
//  and ticking in between. Returns the last result (the caller PQclears
//  it and checks its status), NULL if it could not be sent.
static PGresult *
s_long (kj_db_t *db, const char *sql, int nparams, const char *const *params,
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
static int
s_raw (kj_db_t *db, const char *what, const char *sql, int nparams,
       const char *const *params, registry_bulk_tick_fn *tick, void *arg,
       int64_t *rows)
{
    PGresult *res = s_long (db, sql, nparams, params, tick, arg);
    ExecStatusType status = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        s_failed (what, res, db);
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

//  COPY buf into a table with `sql` (COPY ... FROM STDIN). 0 or -1.
static int
s_copy (kj_db_t *db, const char *what, const char *sql, const char *data,
        size_t size)
{
    if (kj_db_copy (db, sql, data, size) == 0)
        return 0;
    s_failed (what, NULL, db);
    return -1;
}

//  --------------------------------------------------------------------------
//  COPY text format: tab-separated, \N for NULL, backslash escapes

static void
s_put (registry_csv_buf_t *buf, const char *data, size_t size)
{
    registry_csv_buf_append (buf, data, size);
}

static void
s_text (registry_csv_buf_t *buf, const char *text)
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

static void
s_tab (registry_csv_buf_t *buf)
{
    s_put (buf, "\t", 1);
}

static void
s_null (registry_csv_buf_t *buf)
{
    s_put (buf, "\\N", 2);
}

static void
s_int (registry_csv_buf_t *buf, int64_t value)
{
    char text [24];
    int size = snprintf (text, sizeof text, "%" PRId64, value);
    s_put (buf, text, (size_t) size);
}

static void
s_bool (registry_csv_buf_t *buf, bool value)
{
    s_put (buf, value ? "t" : "f", 1);
}

//  A date, or NULL when empty.
static void
s_date (registry_csv_buf_t *buf, const char *text)
{
    if (text && *text)
        s_text (buf, text);
    else
        s_null (buf);
}

static void
s_end (registry_csv_buf_t *buf)
{
    s_put (buf, "\n", 1);
}

//  An array of plain words ({a,b}): enum names, region tokens, dates.
static void
s_words (registry_csv_buf_t *buf, const char *const *words, size_t n)
{
    s_put (buf, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            s_put (buf, ",", 1);
        s_text (buf, words [i]);
    }
    s_put (buf, "}", 1);
}

//  An array of the stored names of enum values.
static void
s_enum_words (registry_csv_buf_t *buf, const ProtobufCEnumDescriptor *d,
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
    s_words (buf, words, n);
}

//  --------------------------------------------------------------------------
//  Small helpers of results

static int64_t
s_value (PGresult *res, int row, int column)
{
    return atoll (PQgetvalue (res, row, column));
}

static bool
s_true (PGresult *res, int row, int column)
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
    PGresult *res = s_query (
        db, "begin",
        "INSERT INTO bulk_import (kind, file_name, header, total_bytes, "
        "created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id, "
        "extract (year FROM today)::int, extract (month FROM today)::int, "
        "extract (day FROM today)::int",
        5, params);
    if (!res)
        return -1;
    import->id = s_value (res, 0, 0);
    import->kind = kind;
    import->today.year = (int) s_value (res, 0, 1);
    import->today.month = (int) s_value (res, 0, 2);
    import->today.day = (int) s_value (res, 0, 3);
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
    PGresult *res = s_query (
        db, "sweep",
        "UPDATE bulk_import i SET state = 'aborted', finished_at = now () "
        "WHERE state = 'open' "
        "AND created_at < now () - make_interval (secs => $1::int) "
        "AND NOT EXISTS (SELECT 1 FROM bulk_chunk c WHERE c.import_id = i.id "
        "AND c.received_at > now () - make_interval (secs => $1::int)) "
        "RETURNING '{' || id || '}', kind",
        1, params);
    if (!res)
        return -1;
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        int kind = registry_csv_kind_from_name (PQgetvalue (res, row, 1));
        const char *ids [] = { PQgetvalue (res, row, 0) };
        const char *sql [] = {
            "",
            "DELETE FROM bulk_enterprise WHERE import_id = ANY ($1::bigint[])",
            "DELETE FROM bulk_figures WHERE import_id = ANY ($1::bigint[])",
            "DELETE FROM bulk_institution WHERE import_id = ANY ($1::bigint[])",
            "DELETE FROM bulk_product WHERE import_id = ANY ($1::bigint[])"
        };
        if (kind > 0 && kj_db_run (db, sql [kind], 1, ids) < 0) {
            s_failed ("sweep", NULL, db);
            PQclear (res);
            return -1;
        }
        kj_info ("bulk.import_abandoned", "import=%.20s kind=%s",
                 PQgetvalue (res, row, 0) + 1, PQgetvalue (res, row, 1));
    }
    PQclear (res);
    return count;
}

int
registry_bulk_store_lock_targets (kj_db_t *db, int64_t id)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *params [] = { text };
    PGresult *res = s_query (db, "lock",
                             "SELECT kind FROM bulk_import WHERE id = $1", 1,
                             params);
    if (!res)
        return -1;
    bool figures = PQntuples (res) == 1
                && registry_csv_kind_from_name (PQgetvalue (res, 0, 0))
                       == REGISTRY_CSV_FIGURES;
    PQclear (res);
    if (figures
        && kj_db_run (db, "LOCK TABLE enterprise IN EXCLUSIVE MODE", 0, NULL)
               < 0) {
        s_failed ("lock", NULL, db);
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
    "SELECT kind, state, header, file_name, extract (year FROM today)::int, "  \
    "extract (month FROM today)::int, extract (day FROM today)::int, "         \
    "reply IS NOT NULL, coalesce (reply, '') FROM bulk_import WHERE id = $1 "
    PGresult *res = for_update
                      ? kj_db_exec (db, LOAD_COLUMNS "FOR UPDATE", 1, params)
                      : kj_db_exec (db, LOAD_COLUMNS "FOR SHARE", 1, params);
#undef LOAD_COLUMNS
    if (!res) {
        s_failed ("load", NULL, db);
        return -1;
    }
    memset (import, 0, sizeof *import);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return 0;
    }
    import->id = id;
    import->kind = (registry_csv_kind_t) registry_csv_kind_from_name (
        PQgetvalue (res, 0, 0));
    kj_strlcpy (import->state, PQgetvalue (res, 0, 1), sizeof import->state);
    import->header = strdup (PQgetvalue (res, 0, 2));
    import->file_name = strdup (PQgetvalue (res, 0, 3));
    import->today.year = (int) s_value (res, 0, 4);
    import->today.month = (int) s_value (res, 0, 5);
    import->today.day = (int) s_value (res, 0, 6);
    if (s_true (res, 0, 7)) {
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *)
                                                    PQgetvalue (res, 0, 8),
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
        s_failed ("finish", NULL, db);
        return -1;
    }
    const char *unstage [] = {
        "", "DELETE FROM bulk_enterprise WHERE import_id = $1",
        "DELETE FROM bulk_figures WHERE import_id = $1",
        "DELETE FROM bulk_institution WHERE import_id = $1",
        "DELETE FROM bulk_product WHERE import_id = $1"
    };
    if (kj_db_run (db, unstage [import->kind], 1, params) < 0) {
        s_failed ("unstage", NULL, db);
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
        s_failed ("chunk_claim", NULL, db);
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
        s_failed ("chunk_done", NULL, db);
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
    PGresult *res = s_query (
        db, "chunk_get",
        "SELECT rows, accepted, rejected, errors, last_line FROM bulk_chunk "
        "WHERE import_id = $1 AND seq = $2",
        2, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found) {
        chunk->rows = (uint32_t) s_value (res, 0, 0);
        chunk->accepted = (uint32_t) s_value (res, 0, 1);
        chunk->rejected = (uint32_t) s_value (res, 0, 2);
        chunk->errors = (uint32_t) s_value (res, 0, 3);
        chunk->last_line = (uint32_t) s_value (res, 0, 4);
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
    PGresult *res =
        s_query (db, "totals",
                 "SELECT count (*), coalesce (sum (rows), 0), "
                 "coalesce (sum (accepted), 0), coalesce (sum (errors), 0) "
                 "FROM bulk_chunk WHERE import_id = $1",
                 1, params);
    if (!res)
        return -1;
    totals->chunks = (uint32_t) s_value (res, 0, 0);
    totals->rows = (uint64_t) s_value (res, 0, 1);
    totals->accepted = (uint64_t) s_value (res, 0, 2);
    totals->errors = (uint64_t) s_value (res, 0, 3);
    PQclear (res);
    res = s_query (
        db, "totals",
        "SELECT s FROM generate_series (0, $2::int - 1) s WHERE NOT EXISTS "
        "(SELECT 1 FROM bulk_chunk c WHERE c.import_id = $1 AND c.seq = s) "
        "ORDER BY s LIMIT 20",
        2, params);
    if (!res)
        return -1;
    size_t at = 0;
    for (int row = 0; row < PQntuples (res) && at < sizeof totals->missing;
         row++)
        at += snprintf (totals->missing + at, sizeof totals->missing - at,
                        "%s%s", row ? ", " : "", PQgetvalue (res, row, 0));
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Problems

void
registry_bulk_store_error_row (registry_csv_buf_t *buf, int64_t id, int32_t seq,
                               const registry_csv_error_t *error)
{
    s_int (buf, id);
    s_tab (buf);
    s_int (buf, seq);
    s_tab (buf);
    s_int (buf, error->line);
    s_tab (buf);
    s_text (buf, error->field);
    s_tab (buf);
    s_text (buf, error->reason);
    s_tab (buf);
    s_text (buf, error->value);
    s_end (buf);
}

int
registry_bulk_store_errors_put (kj_db_t *db, const registry_csv_buf_t *buf)
{
    if (buf->size == 0)
        return 1;
    return s_copy (db, "errors_put",
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
        s_failed ("errors_get", NULL, db);
        return -1;
    }
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        registry_csv_error_t error = { .line = (uint32_t) s_value (res, row, 0),
                                       .field = PQgetvalue (res, row, 1),
                                       .reason = PQgetvalue (res, row, 2),
                                       .value = PQgetvalue (res, row, 3) };
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
    PGresult
        *res = s_query (db, "error_count",
                        "SELECT count (*) FROM bulk_error WHERE import_id = $1",
                        1, params);
    if (!res)
        return -1;
    int64_t count = s_value (res, 0, 0);
    PQclear (res);
    return count;
}

//  --------------------------------------------------------------------------
//  Staging

static void
s_stage_enterprise (registry_csv_buf_t *buf, const Kj__Enterprise *e,
                    const registry_stage_result_t *stage)
{
    char name [40];
    s_text (buf, e->code);
    s_tab (buf);
    s_text (buf, e->name);
    s_tab (buf);
    s_text (buf, e->region);
    s_tab (buf);
    s_text (buf, e->industry);
    s_tab (buf);
    s_date (buf, e->founded_on);
    s_tab (buf);
    s_text (buf, kj_check_enum_name (&kj__size_class__descriptor, "SIZE_",
                                     e->size_class, name, sizeof name));
    s_tab (buf);
    s_text (buf,
            registry_entry_state_name ((registry_entry_state_t) e->status));
    s_tab (buf);
    s_text (buf, registry_stage_name (stage->stage));
    s_tab (buf);
    s_text (buf, stage->rule);
    s_tab (buf);
    s_text (buf, stage->reason);
    s_tab (buf);
    s_text (buf, stage->version);
    s_tab (buf);
    s_bool (buf, stage->needs_review);
    s_tab (buf);
    s_bool (buf, e->listing_tutoring);
    s_tab (buf);
    s_bool (buf, e->board_standard);
    s_tab (buf);
    s_bool (buf, e->chain_leader);
    s_tab (buf);
    s_bool (buf, e->credit->dishonest);
    s_tab (buf);
    s_bool (buf, e->credit->abnormal);
    s_tab (buf);
    s_text (buf, e->credit->tax_grade);
    s_tab (buf);
    s_int (buf, e->ip->invention_patents);
    s_tab (buf);
    s_int (buf, e->ip->class2_ip);
    s_tab (buf);
    s_int (buf, e->ip->pledged_ip);
    s_tab (buf);
    if (e->n_rounds) {
        s_text (buf, registry_stage_round_name (
                         (registry_round_t) e->rounds [0]->round));
        s_tab (buf);
        s_date (buf, e->rounds [0]->closed_on);
        s_tab (buf);
        s_int (buf, e->rounds [0]->amount_fen);
    }
    else {
        s_null (buf);
        s_tab (buf);
        s_null (buf);
        s_tab (buf);
        s_null (buf);
    }
    s_tab (buf);
    int kinds [REGISTRY_CSV_MAX_QUALS];
    const char *expires [REGISTRY_CSV_MAX_QUALS];
    size_t n = e->n_qualifications < REGISTRY_CSV_MAX_QUALS
                 ? e->n_qualifications
                 : REGISTRY_CSV_MAX_QUALS;
    for (size_t q = 0; q < n; q++) {
        kinds [q] = e->qualifications [q]->kind;
        expires [q] = e->qualifications [q]->expires_on;
    }
    s_enum_words (buf, &kj__qualification_kind__descriptor, "QUAL_", kinds, n);
    s_tab (buf);
    s_words (buf, expires, n);
}

static void
s_stage_figures (registry_csv_buf_t *buf, const char *code,
                 const Kj__YearFigures *f)
{
    s_text (buf, code);
    int64_t values [] = { f->year,
                          f->revenue_fen,
                          f->rnd_fen,
                          f->net_profit_fen,
                          f->total_assets_fen,
                          f->operating_cash_flow_fen,
                          f->high_tech_revenue_fen,
                          f->total_cost_fen,
                          f->staff,
                          f->tech_staff };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        s_tab (buf);
        s_int (buf, values [i]);
    }
}

static void
s_stage_institution (registry_csv_buf_t *buf, const Kj__Institution *i)
{
    char name [40];
    s_text (buf, i->id);
    s_tab (buf);
    s_text (buf, i->name);
    s_tab (buf);
    s_text (buf,
            kj_check_enum_name (&kj__institution_type__descriptor,
                                "INSTITUTION_", i->type, name, sizeof name));
    s_tab (buf);
    s_text (buf, i->uscc);
    s_tab (buf);
    s_words (buf, (const char *const *) i->regions, i->n_regions);
    s_tab (buf);
    s_text (buf, i->contact);
    s_tab (buf);
    s_text (buf, i->sponsor_code);
}

static void
s_stage_product (registry_csv_buf_t *buf, const Kj__Product *p)
{
    char name [40];
    s_text (buf, p->id);
    s_tab (buf);
    s_text (buf, p->institution_id);
    s_tab (buf);
    s_text (buf, p->name);
    s_tab (buf);
    s_text (buf, kj_check_enum_name (&kj__product_type__descriptor, "PRODUCT_",
                                     p->type, name, sizeof name));
    int64_t values [] = { p->min_amount_fen, p->max_amount_fen,
                          p->min_term_months, p->max_term_months, p->rate_bp };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        s_tab (buf);
        s_int (buf, values [i]);
    }
    s_tab (buf);
    s_enum_words (buf, &kj__collateral__descriptor, "COLLATERAL_",
                  (const int *) p->collateral, p->n_collateral);
    s_tab (buf);
    s_enum_words (buf, &kj__stage__descriptor, "STAGE_",
                  (const int *) p->stages, p->n_stages);
    s_tab (buf);
    s_enum_words (buf, &kj__qualification_kind__descriptor, "QUAL_",
                  (const int *) p->qualifications, p->n_qualifications);
    s_tab (buf);
    s_enum_words (buf, &kj__qualification_kind__descriptor, "QUAL_",
                  (const int *) p->any_qualifications, p->n_any_qualifications);
    s_tab (buf);
    s_text (buf, p->min_grade);
    s_tab (buf);
    s_words (buf, (const char *const *) p->regions, p->n_regions);
    s_tab (buf);
    s_date (buf, p->valid_from);
    s_tab (buf);
    s_date (buf, p->valid_to);
    s_tab (buf);
    s_text (buf, p->description);
}

void
registry_bulk_store_stage_row (registry_csv_buf_t *buf, int64_t id,
                               const registry_csv_row_t *row,
                               const registry_stage_result_t *stage)
{
    s_int (buf, id);
    s_tab (buf);
    s_int (buf, row->line);
    s_tab (buf);
    switch (row->kind) {
        case REGISTRY_CSV_ENTERPRISES:
            s_stage_enterprise (buf, row->enterprise, stage);
            break;
        case REGISTRY_CSV_FIGURES:
            s_stage_figures (buf, row->code, row->figures);
            break;
        case REGISTRY_CSV_INSTITUTIONS:
            s_stage_institution (buf, row->institution);
            break;
        case REGISTRY_CSV_PRODUCTS:
            s_stage_product (buf, row->product);
            break;
    }
    s_end (buf);
}

int
registry_bulk_store_stage (kj_db_t *db, registry_csv_kind_t kind,
                           const registry_csv_buf_t *buf)
{
    static const char *sql [] = {
        "",
        "COPY bulk_enterprise (import_id, line, code, name, region, industry, "
        "founded_on, size_class, status, stage, stage_rule, stage_reason, "
        "stage_version, stage_review, listing_tutoring, board_standard, "
        "chain_leader, dishonest, abnormal, tax_grade, invention_patents, "
        "class2_ip, pledged_ip, round, round_closed_on, round_amount_fen, "
        "qual_kinds, qual_expires) FROM STDIN",
        "COPY bulk_figures (import_id, line, code, year, revenue_fen, rnd_fen, "
        "net_profit_fen, total_assets_fen, operating_cash_flow_fen, "
        "high_tech_revenue_fen, total_cost_fen, staff, tech_staff) "
        "FROM STDIN",
        "COPY bulk_institution (import_id, line, id, name, type, uscc, "
        "regions, contact, sponsor_code) FROM STDIN",
        "COPY bulk_product (import_id, line, id, institution_id, name, type, "
        "min_amount_fen, max_amount_fen, min_term_months, max_term_months, "
        "rate_bp, collateral, stages, qualifications, any_qualifications, "
        "min_grade, regions, valid_from, valid_to, description) FROM STDIN"
    };
    if (buf->size == 0)
        return 1;
    return s_copy (db, "stage", sql [kind], buf->data, buf->size) ? -1 : 1;
}

//  --------------------------------------------------------------------------
//  The commit: one statement per table

static const char *s_insert_enterprises =
    "INSERT INTO enterprise (code, name, region, industry, founded_on, "
    "size_class, status, stage, stage_computed, stage_rule, stage_reason, "
    "stage_version, stage_review, stage_at, listing_tutoring, board_standard, "
    "chain_leader, dishonest, abnormal, tax_grade, invention_patents, "
    "class2_ip, pledged_ip, created_by) "
    "SELECT code, name, region, industry, founded_on, size_class, status, "
    "stage, stage, stage_rule, stage_reason, stage_version, stage_review, "
    "now (), listing_tutoring, board_standard, chain_leader, dishonest, "
    "abnormal, tax_grade, invention_patents, class2_ip, pledged_ip, $2 "
    "FROM bulk_enterprise WHERE import_id = $1";

static const char *s_insert_qualifications =
    "INSERT INTO qualification (code, kind, expires_on) "
    "SELECT s.code, q.kind, q.expires FROM bulk_enterprise s, "
    "unnest (s.qual_kinds, s.qual_expires) AS q (kind, expires) "
    "WHERE s.import_id = $1 AND cardinality (s.qual_kinds) > 0";

static const char *s_insert_rounds =
    "INSERT INTO equity_round (code, round, amount_fen, closed_on) "
    "SELECT code, round, coalesce (round_amount_fen, 0), round_closed_on "
    "FROM bulk_enterprise WHERE import_id = $1 AND round IS NOT NULL";

//  A year already on file is replaced: an annual refresh corrects figures
static const char *s_insert_figures =
    "WITH up AS (INSERT INTO figures (code, year, revenue_fen, rnd_fen, "
    "net_profit_fen, total_assets_fen, operating_cash_flow_fen, "
    "high_tech_revenue_fen, total_cost_fen, staff, tech_staff) "
    "SELECT code, year, revenue_fen, rnd_fen, net_profit_fen, "
    "total_assets_fen, operating_cash_flow_fen, high_tech_revenue_fen, "
    "total_cost_fen, staff, tech_staff FROM bulk_figures "
    "WHERE import_id = $1 "
    "ON CONFLICT (code, year) DO UPDATE SET "
    "revenue_fen = EXCLUDED.revenue_fen, rnd_fen = EXCLUDED.rnd_fen, "
    "net_profit_fen = EXCLUDED.net_profit_fen, "
    "total_assets_fen = EXCLUDED.total_assets_fen, "
    "operating_cash_flow_fen = EXCLUDED.operating_cash_flow_fen, "
    "high_tech_revenue_fen = EXCLUDED.high_tech_revenue_fen, "
    "total_cost_fen = EXCLUDED.total_cost_fen, staff = EXCLUDED.staff, "
    "tech_staff = EXCLUDED.tech_staff, updated_at = now () "
    "RETURNING xmax = 0 AS inserted) "
    "SELECT count (*) FILTER (WHERE inserted), "
    "count (*) FILTER (WHERE NOT inserted) FROM up";

static const char *s_insert_institutions =
    "INSERT INTO institution (id, name, type, uscc, regions, contact, "
    "sponsor_code) SELECT id, name, type, uscc, regions, contact, "
    "sponsor_code FROM bulk_institution WHERE import_id = $1";

//  No stages given means all four, as for AddProduct
static const char *s_insert_products =
    "INSERT INTO product (id, institution_id, name, type, min_amount_fen, "
    "max_amount_fen, min_term_months, max_term_months, rate_bp, collateral, "
    "stages, qualifications, any_qualifications, min_grade, regions, "
    "valid_from, valid_to, description) "
    "SELECT id, institution_id, name, type, min_amount_fen, max_amount_fen, "
    "min_term_months, max_term_months, rate_bp, collateral, "
    "CASE WHEN cardinality (stages) = 0 THEN "
    "ARRAY['incubation', 'startup', 'growth', 'mature'] ELSE stages END, "
    "qualifications, any_qualifications, min_grade, regions, valid_from, "
    "valid_to, description FROM bulk_product WHERE import_id = $1";

//  A product may be listed only by a listed institution
static const char *s_withdrawn_institutions =
    "SELECT 1 FROM bulk_product s JOIN institution i "
    "ON i.id = s.institution_id WHERE s.import_id = $1 "
    "AND i.status <> 'listed' LIMIT 1";

//  SQLSTATEs that mean "a row of the file does not fit": the diagnosis
//  finds which.
static bool
s_conflict (const char *state)
{
    return state
        && (streq (state, "23505") || streq (state, "23503")
            || streq (state, "21000") || streq (state, "23514")
            || streq (state, "23502"));
}

int
registry_bulk_store_insert (kj_db_t *db, const registry_bulk_import_t *import,
                            const char *by, registry_bulk_tick_fn *tick,
                            void *arg, uint64_t *imported, uint64_t *replaced)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, import->id);
    const char *params [] = { id, by };
    *imported = *replaced = 0;
    if (s_raw (db, "savepoint", "SAVEPOINT bulk_insert", 0, NULL, NULL, NULL,
               NULL))
        return -1;
    if (import->kind == REGISTRY_CSV_PRODUCTS) {
        PGresult *res = s_query (db, "insert", s_withdrawn_institutions, 1,
                                 params);
        if (!res)
            return -1;
        bool withdrawn = PQntuples (res) > 0;
        PQclear (res);
        if (withdrawn)
            return s_raw (db, "rollback", "ROLLBACK TO SAVEPOINT bulk_insert",
                          0, NULL, NULL, NULL, NULL)
                     ? -1
                     : 0;
    }
    const char *steps [3] = { NULL, NULL, NULL };
    int nparams = 1;
    switch (import->kind) {
        case REGISTRY_CSV_ENTERPRISES:
            steps [0] = s_insert_enterprises;
            steps [1] = s_insert_qualifications;
            steps [2] = s_insert_rounds;
            nparams = 2;
            break;
        case REGISTRY_CSV_FIGURES:
            steps [0] = s_insert_figures;
            break;
        case REGISTRY_CSV_INSTITUTIONS:
            steps [0] = s_insert_institutions;
            break;
        case REGISTRY_CSV_PRODUCTS:
            steps [0] = s_insert_products;
            break;
    }
    for (int step = 0; step < 3 && steps [step]; step++) {
        PGresult *res = s_long (db, steps [step], step == 0 ? nparams : 1,
                                params, tick, arg);
        ExecStatusType status = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE)
                                    : NULL;
            bool conflict = s_conflict (state);
            if (!conflict)
                s_failed ("insert", res, db);
            else
                kj_info ("bulk.import_conflict",
                         "import=%" PRId64 " sqlstate=%s", import->id, state);
            PQclear (res);
            if (s_raw (db, "rollback", "ROLLBACK TO SAVEPOINT bulk_insert", 0,
                       NULL, NULL, NULL, NULL))
                return -1;
            return conflict ? 0 : -1;
        }
        if (step == 0) {
            if (import->kind == REGISTRY_CSV_FIGURES) {
                *imported = (uint64_t) s_value (res, 0, 0);
                *replaced = (uint64_t) s_value (res, 0, 1);
            }
            else
                *imported = (uint64_t) atoll (PQcmdTuples (res));
        }
        PQclear (res);
    }
    return s_raw (db, "release", "RELEASE SAVEPOINT bulk_insert", 0, NULL, NULL,
                  NULL, NULL)
             ? -1
             : 1;
}

//  Problems only the whole file or the registry can show, per kind. Each
//  statement keeps the first 100,000 in bulk_error (seq -1), ordered by
//  line, and counts them all.
#define DIAGNOSE(select)                                                       \
    "WITH found (import_id, seq, line, field, reason, value) AS (" select      \
    "), kept AS (INSERT INTO bulk_error (import_id, seq, line, field, "        \
    "reason, value) SELECT * FROM found ORDER BY line LIMIT 100000 "           \
    "RETURNING 1) SELECT count (*) FROM found"

static const char *s_diagnose_enterprises [] = {
    DIAGNOSE ("SELECT $1::bigint, -1, line, 'code', 'given again: the code "
              "is also on line ' || first, code FROM (SELECT line, code, "
              "min (line) OVER (PARTITION BY code) AS first "
              "FROM bulk_enterprise WHERE import_id = $1) d "
              "WHERE line <> first"),
    DIAGNOSE ("SELECT $1::bigint, -1, s.line, 'code', 'registered already, "
              "as ' || e.name || '; an import adds new enterprises only "
              "(change one with `kejin enterprise update`)', s.code "
              "FROM bulk_enterprise s JOIN enterprise e ON e.code = s.code "
              "WHERE s.import_id = $1"),
    NULL
};
static const char *s_diagnose_figures [] = {
    DIAGNOSE ("SELECT $1::bigint, -1, line, 'year', 'given again: ' || code "
              "|| ' ' || year || ' is also on line ' || first, year::text "
              "FROM (SELECT line, code, year, min (line) OVER (PARTITION BY "
              "code, year) AS first FROM bulk_figures WHERE import_id = $1) d "
              "WHERE line <> first"),
    DIAGNOSE ("SELECT $1::bigint, -1, s.line, 'code', 'no enterprise has "
              "this code: import the enterprise first (kejin enterprise "
              "import)', s.code FROM bulk_figures s WHERE s.import_id = $1 "
              "AND NOT EXISTS (SELECT 1 FROM enterprise e "
              "WHERE e.code = s.code)"),
    NULL
};
static const char *s_diagnose_institutions [] = {
    DIAGNOSE ("SELECT $1::bigint, -1, line, 'id', 'given again: the id is "
              "also on line ' || first, id FROM (SELECT line, id, min (line) "
              "OVER (PARTITION BY id) AS first FROM bulk_institution "
              "WHERE import_id = $1) d WHERE line <> first"),
    DIAGNOSE ("SELECT $1::bigint, -1, s.line, 'id', 'an institution has this "
              "id already: ' || i.name, s.id FROM bulk_institution s "
              "JOIN institution i ON i.id = s.id WHERE s.import_id = $1"),
    DIAGNOSE ("SELECT $1::bigint, -1, line, 'name', 'given again: the name "
              "is also on line ' || first, name FROM (SELECT line, name, "
              "min (line) OVER (PARTITION BY name) AS first "
              "FROM bulk_institution WHERE import_id = $1) d "
              "WHERE line <> first"),
    DIAGNOSE ("SELECT $1::bigint, -1, s.line, 'name', 'a listed institution "
              "has this name already: ' || i.id, s.name "
              "FROM bulk_institution s JOIN institution i ON i.name = s.name "
              "AND i.status = 'listed' AND i.id <> s.id "
              "WHERE s.import_id = $1"),
    NULL
};
static const char *s_diagnose_products [] = {
    DIAGNOSE ("SELECT $1::bigint, -1, line, 'id', 'given again: the id is "
              "also on line ' || first, id FROM (SELECT line, id, min (line) "
              "OVER (PARTITION BY id) AS first FROM bulk_product "
              "WHERE import_id = $1) d WHERE line <> first"),
    DIAGNOSE ("SELECT $1::bigint, -1, s.line, 'id', 'a product has this id "
              "already: ' || p.name, s.id FROM bulk_product s "
              "JOIN product p ON p.id = s.id WHERE s.import_id = $1"),
    DIAGNOSE ("SELECT $1::bigint, -1, s.line, 'institution_id', CASE WHEN "
              "i.id IS NULL THEN 'no institution has this id: import or add "
              "it first' ELSE 'the institution is withdrawn (' || i.name "
              "|| '): it lists no new products' END, s.institution_id "
              "FROM bulk_product s LEFT JOIN institution i "
              "ON i.id = s.institution_id WHERE s.import_id = $1 "
              "AND (i.id IS NULL OR i.status <> 'listed')"),
    NULL
};
#undef DIAGNOSE

int64_t
registry_bulk_store_diagnose (kj_db_t *db, const registry_bulk_import_t *import,
                              registry_bulk_tick_fn *tick, void *arg)
{
    const char *const *steps = import->kind == REGISTRY_CSV_ENTERPRISES
                                 ? s_diagnose_enterprises
                             : import->kind == REGISTRY_CSV_FIGURES
                                 ? s_diagnose_figures
                             : import->kind == REGISTRY_CSV_INSTITUTIONS
                                 ? s_diagnose_institutions
                                 : s_diagnose_products;
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, import->id);
    const char *params [] = { id };
    int64_t found = 0;
    for (int step = 0; steps [step]; step++) {
        PGresult *res = s_long (db, steps [step], 1, params, tick, arg);
        if (!res || PQresultStatus (res) != PGRES_TUPLES_OK) {
            s_failed ("diagnose", res, db);
            PQclear (res);
            return -1;
        }
        found += s_value (res, 0, 0);
        PQclear (res);
    }
    return found;
}

//  --------------------------------------------------------------------------
//  Passes over rows with a cursor

//  Declare cursor `name` for sql with params; FETCH n at a time into fn
//  (rows, arg); close. 1 when all given, 0 if fn said stop, -1 on error.
typedef int (s_rows_fn) (PGresult *res, void *arg);

static int
s_each (kj_db_t *db, const char *declare, const char *fetch, const char *close,
        int nparams, const char *const *params, s_rows_fn *fn, void *arg,
        registry_bulk_tick_fn *tick, void *tick_arg)
{
    if (s_raw (db, "declare", declare, nparams, params, tick, tick_arg, NULL))
        return -1;
    int rc = 1;
    while (rc == 1) {
        PGresult *res = s_long (db, fetch, 0, NULL, tick, tick_arg);
        if (!res || PQresultStatus (res) != PGRES_TUPLES_OK) {
            s_failed ("fetch", res, db);
            PQclear (res);
            return -1;
        }
        if (PQntuples (res) == 0) {
            PQclear (res);
            break;
        }
        if (fn (res, arg))
            rc = 0;
        PQclear (res);
        if (tick)
            tick (tick_arg);
    }
    if (rc < 0)
        return rc;
    return s_raw (db, "close", close, 0, NULL, NULL, NULL, NULL) ? -1 : rc;
}

typedef struct {
    registry_bulk_items_fn *fn;
    void *arg;
} s_items_t;

static int
s_items (PGresult *res, void *arg)
{
    s_items_t *self = (s_items_t *) arg;
    int count = PQntuples (res);
    registry_bulk_item_t *items = (registry_bulk_item_t *)
        calloc ((size_t) count, sizeof *items);
    assert (items);
    for (int row = 0; row < count; row++) {
        items [row].key = PQgetvalue (res, row, 0);
        items [row].name = PQgetvalue (res, row, 1);
        items [row].region = PQgetvalue (res, row, 2);
        items [row].stage = PQgetvalue (res, row, 3);
    }
    int rc = self->fn (items, (size_t) count, self->arg);
    free (items);
    return rc;
}

int
registry_bulk_store_staged (kj_db_t *db, const registry_bulk_import_t *import,
                            size_t n, registry_bulk_items_fn *fn, void *arg,
                            registry_bulk_tick_fn *tick, void *tick_arg)
{
    static const char *declare [] = {
        "",
        "DECLARE bulk_items NO SCROLL CURSOR FOR SELECT code, name, region, "
        "stage FROM bulk_enterprise WHERE import_id = $1 ORDER BY line",
        "",
        "DECLARE bulk_items NO SCROLL CURSOR FOR SELECT id, name, "
        "array_to_string (regions, '|'), '' FROM bulk_institution "
        "WHERE import_id = $1 ORDER BY line",
        "DECLARE bulk_items NO SCROLL CURSOR FOR SELECT id, name, "
        "array_to_string (regions, '|'), '' FROM bulk_product "
        "WHERE import_id = $1 ORDER BY line"
    };
    assert (import->kind != REGISTRY_CSV_FIGURES);
    char id [24], fetch [48];
    snprintf (id, sizeof id, "%" PRId64, import->id);
    snprintf (fetch, sizeof fetch, "FETCH %zu FROM bulk_items", n);
    const char *params [] = { id };
    s_items_t items = { fn, arg };
    return s_each (db, declare [import->kind], fetch, "CLOSE bulk_items", 1,
                   params, s_items, &items, tick, tick_arg);
}

//  --------------------------------------------------------------------------
//  Stages of the enterprises a figures import touched

typedef struct {
    registry_bulk_touched_fn *fn;
    void *arg;
    registry_csv_buf_t out;
    uint64_t touched;
    kj_db_t *db;
    int failed;
} s_touched_t;

static int
s_touched (PGresult *res, void *arg)
{
    s_touched_t *self = (s_touched_t *) arg;
    int count = PQntuples (res);
    registry_bulk_touched_t *rows = (registry_bulk_touched_t *)
        calloc ((size_t) count, sizeof *rows);
    assert (rows);
    for (int row = 0; row < count; row++) {
        registry_bulk_touched_t *t = &rows [row];
        int c = 0;
        t->code = PQgetvalue (res, row, c++);
        t->region = PQgetvalue (res, row, c++);
        t->name = PQgetvalue (res, row, c++);
        t->founded_on = PQgetvalue (res, row, c++);
        t->stage = PQgetvalue (res, row, c++);
        t->stage_computed = PQgetvalue (res, row, c++);
        t->stage_rule = PQgetvalue (res, row, c++);
        t->stage_reason = PQgetvalue (res, row, c++);
        t->stage_version = PQgetvalue (res, row, c++);
        t->stage_review = s_true (res, row, c++);
        t->stage_override = s_true (res, row, c++);
        t->listing_tutoring = s_true (res, row, c++);
        t->board_standard = s_true (res, row, c++);
        t->dishonest = s_true (res, row, c++);
        t->abnormal = s_true (res, row, c++);
        t->invention_patents = (int32_t) s_value (res, row, c++);
        t->class2_ip = (int32_t) s_value (res, row, c++);
        t->latest_round = (int) s_value (res, row, c++);
        t->high_tech = s_true (res, row, c++);
        t->srdi = s_true (res, row, c++);
        t->little_giant = s_true (res, row, c++);
        t->incubator_resident = s_true (res, row, c++);
        t->has_figures = !PQgetisnull (res, row, c);
        Kj__YearFigures *f = &t->latest;
        kj__year_figures__init (f);
        if (t->has_figures) {
            f->year = (int32_t) s_value (res, row, c);
            f->revenue_fen = s_value (res, row, c + 1);
            f->rnd_fen = s_value (res, row, c + 2);
            f->net_profit_fen = s_value (res, row, c + 3);
            f->total_assets_fen = s_value (res, row, c + 4);
            f->operating_cash_flow_fen = s_value (res, row, c + 5);
            f->high_tech_revenue_fen = s_value (res, row, c + 6);
            f->total_cost_fen = s_value (res, row, c + 7);
            f->staff = (int32_t) s_value (res, row, c + 8);
            f->tech_staff = (int32_t) s_value (res, row, c + 9);
        }
        c += 10;
        t->has_prev = !PQgetisnull (res, row, c);
        t->revenue_prev = s_value (res, row, c++);
        t->net_profit_prev = s_value (res, row, c++);
        t->has_prev2 = !PQgetisnull (res, row, c);
        t->revenue_prev2 = s_value (res, row, c++);
        //  Figures a year on file left out: unknown, not 0
        static const unsigned left_out [] = {
            REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 0),
            REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 0),
            REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 1),
            REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 1),
            REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 2)
        };
        for (size_t i = 0; i < sizeof left_out / sizeof left_out [0]; i++)
            if (s_true (res, row, c++))
                t->not_reported |= left_out [i];
    }
    int rc = self->fn (rows, (size_t) count, &self->out, self->arg);
    free (rows);
    self->touched += (uint64_t) count;
    if (rc)
        return rc;
    //  Write this batch's results now: the buffer stays small
    if (self->out.size
        && s_copy (self->db, "restage", "COPY bulk_restage FROM STDIN",
                   self->out.data, self->out.size)) {
        self->failed = 1;
        return 1;
    }
    registry_csv_buf_reset (&self->out);
    return 0;
}

void
registry_bulk_store_restage_row (registry_csv_buf_t *buf,
                                 const registry_bulk_restage_t *r)
{
    s_text (buf, r->code);
    s_tab (buf);
    s_text (buf, registry_stage_name (r->stage));
    s_tab (buf);
    s_text (buf, registry_stage_name (r->computed));
    s_tab (buf);
    s_text (buf, r->rule);
    s_tab (buf);
    s_text (buf, r->reason);
    s_tab (buf);
    s_text (buf, r->version);
    s_tab (buf);
    s_bool (buf, r->review);
    s_tab (buf);
    s_bool (buf, r->moved);
    if (r->has_techsme) {
        const registry_techsme_result_t *t = r->techsme;
        int64_t values [] = { r->techsme_year,     t->tech_staff_bp,
                              t->rnd_sales_bp,     t->rnd_cost_bp,
                              t->tech_staff_score, t->rnd_sales_score,
                              t->rnd_cost_score,   t->rnd_score,
                              t->ip_score,         t->total };
        for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
            s_tab (buf);
            s_int (buf, values [i]);
        }
        s_tab (buf);
        s_bool (buf, t->eligible);
        s_tab (buf);
        s_int (buf, (int64_t) t->reasons);
        s_tab (buf);
        s_text (buf, t->reason);
    }
    else
        for (int i = 0; i < 13; i++) {
            s_tab (buf);
            s_null (buf);
        }
    s_end (buf);
}

int64_t
registry_bulk_store_touched_count (kj_db_t *db, int64_t id)
{
    char i [24];
    snprintf (i, sizeof i, "%" PRId64, id);
    const char *params [] = { i };
    PGresult *res = kj_db_exec (
        db,
        "SELECT count (DISTINCT code) FROM bulk_figures WHERE import_id = $1",
        1, params);
    if (!res) {
        s_failed ("touched_count", NULL, db);
        return -1;
    }
    int64_t count = s_value (res, 0, 0);
    PQclear (res);
    return count;
}

int
registry_bulk_store_restage (kj_db_t *db, const registry_bulk_import_t *import,
                             size_t n, registry_bulk_touched_fn *fn, void *arg,
                             registry_bulk_tick_fn *tick, void *tick_arg,
                             uint64_t *touched, uint64_t *moved)
{
    *touched = *moved = 0;
    if (s_raw (db, "restage",
               "CREATE TEMPORARY TABLE IF NOT EXISTS bulk_restage ("
               "code text, stage text, computed text, rule text, reason text, "
               "version text, review boolean, moved boolean, year integer, "
               "tech_staff_bp bigint, rnd_sales_bp bigint, rnd_cost_bp bigint, "
               "tech_staff_score integer, rnd_sales_score integer, "
               "rnd_cost_score integer, rnd_score integer, ip_score integer, "
               "total integer, eligible boolean, reasons integer, "
               "ts_reason text) ON COMMIT DROP",
               0, NULL, NULL, NULL, NULL)
        || s_raw (db, "restage", "TRUNCATE bulk_restage", 0, NULL, NULL, NULL,
                  NULL))
        return -1;

    //  The enterprise, its unexpired qualifications the rules read, its
    //  latest round and its latest three years of figures
    char id [24], fetch [48];
    snprintf (id, sizeof id, "%" PRId64, import->id);
    snprintf (fetch, sizeof fetch, "FETCH %zu FROM bulk_touched", n);
    const char *params [] = { id };
    s_touched_t state = { .fn = fn, .arg = arg, .db = db };
    int rc = s_each (
        db,
        "DECLARE bulk_touched NO SCROLL CURSOR FOR "
        "SELECT e.code, e.region, e.name, "
        "coalesce (to_char (e.founded_on, 'YYYY-MM-DD'), ''), e.stage, "
        "e.stage_computed, e.stage_rule, e.stage_reason, e.stage_version, "
        "e.stage_review, e.stage_override, e.listing_tutoring, "
        "e.board_standard, e.dishonest, e.abnormal, e.invention_patents, "
        "e.class2_ip, "
        "coalesce ((SELECT max (array_position (ARRAY['seed', 'angel', 'a', "
        "'b', 'c_plus', 'pre_ipo'], r.round)) FROM equity_round r "
        "WHERE r.code = e.code), 0), "
        "coalesce (q.high_tech, false), coalesce (q.srdi, false), "
        "coalesce (q.little_giant, false), coalesce (q.resident, false), "
        "f.year, f.revenue_fen, f.rnd_fen, f.net_profit_fen, "
        "f.total_assets_fen, f.operating_cash_flow_fen, "
        "f.high_tech_revenue_fen, f.total_cost_fen, f.staff, f.tech_staff, "
        "p1.revenue_fen, p1.net_profit_fen, p2.revenue_fen, "
        "'revenue' = ANY (f.not_reported), "
        "'net-profit' = ANY (f.not_reported), "
        "'revenue' = ANY (p1.not_reported), "
        "'net-profit' = ANY (p1.not_reported), "
        "'revenue' = ANY (p2.not_reported) "
        "FROM enterprise e "
        "LEFT JOIN LATERAL (SELECT bool_or (kind = 'high_tech') AS high_tech, "
        "bool_or (kind = 'srdi') AS srdi, "
        "bool_or (kind = 'little_giant') AS little_giant, "
        "bool_or (kind = 'incubator_resident') AS resident "
        "FROM qualification WHERE code = e.code AND NOT expired) q ON true "
        "LEFT JOIN LATERAL (SELECT * FROM figures x WHERE x.code = e.code "
        "ORDER BY x.year DESC LIMIT 1) f ON true "
        "LEFT JOIN figures p1 ON p1.code = e.code AND p1.year = f.year - 1 "
        "LEFT JOIN figures p2 ON p2.code = e.code AND p2.year = f.year - 2 "
        "WHERE e.code IN (SELECT code FROM bulk_figures WHERE import_id = $1) "
        "ORDER BY e.code",
        fetch, "CLOSE bulk_touched", 1, params, s_touched, &state, tick,
        tick_arg);
    registry_csv_buf_free (&state.out);
    *touched = state.touched;
    if (rc <= 0 || state.failed)
        return state.failed ? -1 : rc;

    int64_t rows = 0;
    if (s_raw (db, "restage",
               "UPDATE enterprise e SET stage = r.stage, "
               "stage_computed = r.computed, stage_rule = r.rule, "
               "stage_reason = r.reason, stage_version = r.version, "
               "stage_review = r.review, stage_at = CASE WHEN r.moved "
               "THEN now () ELSE e.stage_at END, version = e.version + 1, "
               "updated_at = now () FROM bulk_restage r WHERE e.code = r.code",
               0, NULL, tick, tick_arg, NULL)
        || s_raw (
            db, "restage",
            "INSERT INTO techsme_score (code, year, tech_staff_bp, "
            "rnd_sales_bp, rnd_cost_bp, tech_staff_score, rnd_sales_score, "
            "rnd_cost_score, rnd_score, ip_score, total, eligible, reasons, "
            "reason, evaluated_at) SELECT code, year, tech_staff_bp, "
            "rnd_sales_bp, rnd_cost_bp, tech_staff_score, rnd_sales_score, "
            "rnd_cost_score, rnd_score, ip_score, total, eligible, reasons, "
            "ts_reason, now () FROM bulk_restage WHERE year IS NOT NULL "
            "ON CONFLICT (code) DO UPDATE SET year = EXCLUDED.year, "
            "tech_staff_bp = EXCLUDED.tech_staff_bp, "
            "rnd_sales_bp = EXCLUDED.rnd_sales_bp, "
            "rnd_cost_bp = EXCLUDED.rnd_cost_bp, "
            "tech_staff_score = EXCLUDED.tech_staff_score, "
            "rnd_sales_score = EXCLUDED.rnd_sales_score, "
            "rnd_cost_score = EXCLUDED.rnd_cost_score, "
            "rnd_score = EXCLUDED.rnd_score, ip_score = EXCLUDED.ip_score, "
            "total = EXCLUDED.total, eligible = EXCLUDED.eligible, "
            "reasons = EXCLUDED.reasons, reason = EXCLUDED.reason, "
            "evaluated_at = now ()",
            0, NULL, tick, tick_arg, NULL)
        || s_raw (db, "restage", "SELECT 1 FROM bulk_restage WHERE moved", 0,
                  NULL, NULL, NULL, &rows))
        return -1;
    *moved = (uint64_t) rows;
    return 1;
}

//  --------------------------------------------------------------------------
//  Export

//  An enterprise row of the export query into a message (strings point
//  into res).
static void
s_export_enterprise (PGresult *res, int row, Kj__Enterprise *e,
                     Kj__CreditFlags *credit, Kj__IpAssets *ip,
                     Kj__StageInfo *stage, Kj__TechSmeScore *techsme,
                     Kj__EquityRound *round, Kj__EquityRound **round_ptr,
                     Kj__Qualification *quals, Kj__Qualification **qual_ptrs,
                     char *qual_text)
{
    kj__enterprise__init (e);
    kj__credit_flags__init (credit);
    kj__ip_assets__init (ip);
    kj__stage_info__init (stage);
    e->credit = credit;
    e->ip = ip;
    e->stage = stage;
    int c = 0;
    e->code = PQgetvalue (res, row, c++);
    e->name = PQgetvalue (res, row, c++);
    e->region = PQgetvalue (res, row, c++);
    e->industry = PQgetvalue (res, row, c++);
    e->founded_on = PQgetvalue (res, row, c++);
    int size = kj_check_enum_value (&kj__size_class__descriptor, "SIZE_",
                                    PQgetvalue (res, row, c++));
    e->size_class = size < 0 ? 0 : (Kj__SizeClass) size;
    int status = registry_entry_state_from_name (PQgetvalue (res, row, c++));
    e->status = status < 0 ? 0 : (Kj__EntryStatus) status;
    int value = registry_stage_from_name (PQgetvalue (res, row, c++));
    stage->stage = value < 0 ? 0 : (Kj__Stage) value;
    e->listing_tutoring = s_true (res, row, c++);
    e->board_standard = s_true (res, row, c++);
    e->chain_leader = s_true (res, row, c++);
    credit->dishonest = s_true (res, row, c++);
    credit->abnormal = s_true (res, row, c++);
    credit->tax_grade = PQgetvalue (res, row, c++);
    ip->invention_patents = (int32_t) s_value (res, row, c++);
    ip->class2_ip = (int32_t) s_value (res, row, c++);
    ip->pledged_ip = (int32_t) s_value (res, row, c++);
    if (!PQgetisnull (res, row, c)) {
        kj__equity_round__init (round);
        value = registry_stage_round_from_name (PQgetvalue (res, row, c));
        round->round = value < 0 ? 0 : (Kj__Round) value;
        round->closed_on = PQgetvalue (res, row, c + 1);
        round->amount_fen = s_value (res, row, c + 2);
        *round_ptr = round;
        e->rounds = round_ptr;
        e->n_rounds = 1;
    }
    c += 3;
    //  "kind:expires|kind:expires", in the order of the enum
    kj_strlcpy (qual_text, PQgetvalue (res, row, c++), 1024);
    e->qualifications = qual_ptrs;
    for (char *item = qual_text; *item && e->n_qualifications < 11;) {
        char *end = strchr (item, '|');
        if (end)
            *end = 0;
        char *colon = strchr (item, ':');
        if (colon) {
            *colon = 0;
            Kj__Qualification *q = &quals [e->n_qualifications];
            kj__qualification__init (q);
            value = kj_check_enum_value (&kj__qualification_kind__descriptor,
                                         "QUAL_", item);
            q->kind = value < 0 ? 0 : (Kj__QualificationKind) value;
            q->expires_on = colon + 1;
            qual_ptrs [e->n_qualifications++] = q;
        }
        if (!end)
            break;
        item = end + 1;
    }
    if (!PQgetisnull (res, row, c)) {
        kj__tech_sme_score__init (techsme);
        techsme->total = (int32_t) s_value (res, row, c);
        e->techsme = techsme;
    }
}

//  Split "a|b|c" (modified in place) into items; returns their count.
static size_t
s_split (char *text, char **items, size_t max)
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

//  Enum values of "a|b" stored names into values; returns their count.
static size_t
s_split_enums (char *text, const ProtobufCEnumDescriptor *d, const char *prefix,
               int *values, size_t max)
{
    char *items [32];
    size_t n = s_split (text, items, max < 32 ? max : 32);
    for (size_t i = 0; i < n; i++) {
        int value = kj_check_enum_value (d, prefix, items [i]);
        values [i] = value < 0 ? 0 : value;
    }
    return n;
}

//  The compact enterprises export (with_figures_of): columns in the order
//  of this header, each row made whole by the query, so that a page costs
//  one index range read per table and a copy per row, no formatting here
const char registry_bulk_store_facts_header [] =
    "code,region,status,stage,dishonest,abnormal,tax_grade,"
    "invention_patents,round_amount_fen,qualifications,"
    "year,revenue_fen,rnd_fen,net_profit_fen,total_assets_fen,"
    "high_tech_revenue_fen,total_cost_fen,staff,tech_staff,"
    "prev_year,prev_revenue_fen,prev_rnd_fen,prev_net_profit_fen,"
    "prev_total_assets_fen,prev_high_tech_revenue_fen,prev_total_cost_fen,"
    "prev_staff,prev_tech_staff\n";

//  The compact export's page query, with a condition on code more: each
//  row whole, each year's figures as 9 columns or 9 empty ones
#define S_FACTS_QUERY(more)                                                    \
    "WITH e AS MATERIALIZED (SELECT code, region, status, stage, "             \
    "dishonest, abnormal, tax_grade, invention_patents FROM enterprise "       \
    "WHERE code > $1 " more "AND ($2 = '' OR region = $2) "                    \
    "AND ($3 = '' OR stage = $3) ORDER BY code LIMIT $4), "                    \
    "span AS (SELECT min (code) AS lo, max (code) AS hi FROM e), "             \
    "q AS (SELECT q.code, string_agg (q.kind || ':' || "                       \
    "to_char (q.expires_on, 'YYYY-MM-DD'), '|' ORDER BY q.kind) AS kinds "     \
    "FROM qualification q WHERE q.code BETWEEN (SELECT lo FROM span) "         \
    "AND (SELECT hi FROM span) GROUP BY q.code), "                             \
    "r AS (SELECT DISTINCT ON (x.code) x.code, x.amount_fen "                  \
    "FROM equity_round x WHERE x.code BETWEEN (SELECT lo FROM span) "          \
    "AND (SELECT hi FROM span) ORDER BY x.code, "                              \
    "array_position (ARRAY['seed', 'angel', 'a', 'b', 'c_plus', "              \
    "'pre_ipo'], x.round) DESC, x.closed_on DESC), "                           \
    "f AS (SELECT * FROM figures WHERE code BETWEEN (SELECT lo FROM "          \
    "span) AND (SELECT hi FROM span) "                                         \
    "AND year IN ($5::int, $5::int - 1)) "                                     \
    "SELECT e.code || ',' || e.region || ',' || e.status || ',' "              \
    "|| coalesce (e.stage, '') || ',' || e.dishonest || ',' "                  \
    "|| e.abnormal || ',' || coalesce (e.tax_grade, '') || ',' "               \
    "|| e.invention_patents || ',' "                                           \
    "|| coalesce (r.amount_fen::text, '') || ',' "                             \
    "|| coalesce (q.kinds, '') || ',' "                                        \
    "|| coalesce (f0.year || ',' || f0.revenue_fen || ',' || f0.rnd_fen "      \
    "|| ',' || f0.net_profit_fen || ',' || f0.total_assets_fen || ',' "        \
    "|| f0.high_tech_revenue_fen || ',' || f0.total_cost_fen || ',' "          \
    "|| f0.staff || ',' || f0.tech_staff, ',,,,,,,,') || ',' "                 \
    "|| coalesce (f1.year || ',' || f1.revenue_fen || ',' || f1.rnd_fen "      \
    "|| ',' || f1.net_profit_fen || ',' || f1.total_assets_fen || ',' "        \
    "|| f1.high_tech_revenue_fen || ',' || f1.total_cost_fen || ',' "          \
    "|| f1.staff || ',' || f1.tech_staff, ',,,,,,,,'), e.code "                \
    "FROM e LEFT JOIN q ON q.code = e.code "                                   \
    "LEFT JOIN r ON r.code = e.code "                                          \
    "LEFT JOIN f f0 ON f0.code = e.code AND f0.year = $5::int "                \
    "LEFT JOIN f f1 ON f1.code = e.code AND f1.year = $5::int - 1 "            \
    "ORDER BY e.code"

//  One page of the compact export; as registry_bulk_store_export
static int
s_export_facts (kj_db_t *db, const registry_bulk_export_t *filter,
                registry_csv_buf_t *out, uint32_t *rows, char *next,
                size_t next_size)
{
    char limit [16], year [16];
    snprintf (limit, sizeof limit, "%d", filter->limit);
    snprintf (year, sizeof year, "%d", filter->with_figures_of);
    const char *params [] = { filter->after ? filter->after : "",
                              filter->region ? filter->region : "",
                              filter->stage ? filter->stage : "",
                              limit,
                              year,
                              filter->until };
    //  The range's end as a bound of the index scan (a condition that may
    //  be off would be a filter, and a range would read to the end)
    bool until = filter->until && *filter->until;
    PGresult *res = kj_db_exec (db,
                                until ? S_FACTS_QUERY ("AND code <= $6 ")
                                      : S_FACTS_QUERY (""),
                                until ? 6 : 5, params);
    if (!res) {
        s_failed ("export", NULL, db);
        return -1;
    }
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        registry_csv_buf_append (out, PQgetvalue (res, row, 0),
                                 (size_t) PQgetlength (res, row, 0));
        registry_csv_buf_append (out, "\n", 1);
    }
    *rows = (uint32_t) count;
    kj_strlcpy (next,
                count == filter->limit ? PQgetvalue (res, count - 1, 1) : "",
                next_size);
    PQclear (res);
    return 0;
}

int
registry_bulk_store_export (kj_db_t *db, registry_csv_kind_t kind,
                            const registry_bulk_export_t *filter,
                            registry_csv_buf_t *out, uint32_t *rows, char *next,
                            size_t next_size)
{
    if (kind == REGISTRY_CSV_ENTERPRISES && filter->with_figures_of)
        return s_export_facts (db, filter, out, rows, next, next_size);
    char limit [16], after_year [16] = "0";
    snprintf (limit, sizeof limit, "%d", filter->limit);
    char after [64];
    kj_strlcpy (after, filter->after ? filter->after : "", sizeof after);
    if (kind == REGISTRY_CSV_FIGURES) {
        //  The cursor is "code:year"
        char *colon = strchr (after, ':');
        if (colon) {
            *colon = 0;
            kj_strlcpy (after_year, colon + 1, sizeof after_year);
        }
    }
    const char *region = filter->region ? filter->region : "";
    const char *stage = filter->stage ? filter->stage : "";
    const char *type = filter->type ? filter->type : "";
    PGresult *res = NULL;
    switch (kind) {
        case REGISTRY_CSV_ENTERPRISES: {
            const char *params [] = { after, region, stage, limit };
            res = kj_db_exec (
                db,
                //  One page of enterprises, then what each needs from the
                //  tables beside it read as ranges of the same codes
                //  (index range scans joined once, no query per row)
                "WITH e AS MATERIALIZED (SELECT * FROM enterprise "
                "WHERE code > $1 AND ($2 = '' OR region = $2) "
                "AND ($3 = '' OR stage = $3) ORDER BY code LIMIT $4), "
                "last AS (SELECT max (code) AS code FROM e), "
                "q AS (SELECT q.code, string_agg (q.kind || ':' || "
                "to_char (q.expires_on, 'YYYY-MM-DD'), '|' ORDER BY "
                "array_position (ARRAY['high_tech', 'tech_sme', "
                "'innovative_sme', 'srdi', 'little_giant', 'eaglet', "
                "'gazelle', 'unicorn', 'incubator_resident', "
                "'listing_reserve'], q.kind)) AS kinds FROM qualification q "
                "WHERE q.code > $1 AND q.code <= (SELECT code FROM last) "
                "GROUP BY q.code), "
                "r AS (SELECT DISTINCT ON (x.code) x.code, x.round, "
                "to_char (x.closed_on, 'YYYY-MM-DD') AS closed_on, "
                "x.amount_fen FROM equity_round x WHERE x.code > $1 "
                "AND x.code <= (SELECT code FROM last) ORDER BY x.code, "
                "array_position (ARRAY['seed', 'angel', 'a', 'b', 'c_plus', "
                "'pre_ipo'], x.round) DESC, x.closed_on DESC), "
                "t AS (SELECT t.code, t.total FROM techsme_score t "
                "WHERE t.code > $1 AND t.code <= (SELECT code FROM last)) "
                "SELECT e.code, e.name, e.region, e.industry, "
                "coalesce (to_char (e.founded_on, 'YYYY-MM-DD'), ''), "
                "e.size_class, e.status, e.stage, e.listing_tutoring, "
                "e.board_standard, e.chain_leader, e.dishonest, e.abnormal, "
                "e.tax_grade, e.invention_patents, e.class2_ip, e.pledged_ip, "
                "r.round, r.closed_on, r.amount_fen, coalesce (q.kinds, ''), "
                "t.total FROM e LEFT JOIN q ON q.code = e.code "
                "LEFT JOIN r ON r.code = e.code LEFT JOIN t ON t.code = e.code "
                "ORDER BY e.code",
                4, params);
            break;
        }
        case REGISTRY_CSV_FIGURES: {
            const char *params [] = { after, after_year, region, stage, limit };
            res = kj_db_exec (
                db,
                "SELECT f.code, f.year, f.revenue_fen, f.rnd_fen, "
                "f.net_profit_fen, f.total_assets_fen, "
                "f.operating_cash_flow_fen, f.high_tech_revenue_fen, "
                "f.total_cost_fen, f.staff, f.tech_staff FROM figures f "
                "WHERE (f.code, f.year) > ($1, $2::int) "
                "AND ($3 = '' AND $4 = '' OR EXISTS (SELECT 1 FROM "
                "enterprise e WHERE e.code = f.code "
                "AND ($3 = '' OR e.region = $3) AND ($4 = '' OR e.stage = "
                "$4))) "
                "ORDER BY f.code, f.year LIMIT $5",
                5, params);
            break;
        }
        case REGISTRY_CSV_INSTITUTIONS: {
            const char *params [] = { after, type, limit };
            res = kj_db_exec (
                db,
                "SELECT id, name, type, uscc, array_to_string (regions, '|'), "
                "contact, sponsor_code, status FROM institution "
                "WHERE id > $1 AND ($2 = '' OR type = $2) ORDER BY id "
                "LIMIT $3",
                3, params);
            break;
        }
        case REGISTRY_CSV_PRODUCTS: {
            const char *params [] = { after, type, limit };
            res = kj_db_exec (
                db,
                "SELECT id, institution_id, name, type, min_amount_fen, "
                "max_amount_fen, min_term_months, max_term_months, rate_bp, "
                "array_to_string (collateral, '|'), "
                "array_to_string (stages, '|'), "
                "array_to_string (qualifications, '|'), "
                "array_to_string (any_qualifications, '|'), min_grade, "
                "array_to_string (regions, '|'), "
                "to_char (valid_from, 'YYYY-MM-DD'), "
                "coalesce (to_char (valid_to, 'YYYY-MM-DD'), ''), "
                "description, status FROM product "
                "WHERE id > $1 AND ($2 = '' OR type = $2) ORDER BY id "
                "LIMIT $3",
                3, params);
            break;
        }
    }
    if (!res) {
        s_failed ("export", NULL, db);
        return -1;
    }
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        registry_csv_row_t line = { .kind = kind };
        switch (kind) {
            case REGISTRY_CSV_ENTERPRISES: {
                Kj__Enterprise e;
                Kj__CreditFlags credit;
                Kj__IpAssets ip;
                Kj__StageInfo stage_info;
                Kj__TechSmeScore techsme;
                Kj__EquityRound round, *round_ptr;
                Kj__Qualification quals [11], *qual_ptrs [11];
                char qual_text [1024];
                s_export_enterprise (res, row, &e, &credit, &ip, &stage_info,
                                     &techsme, &round, &round_ptr, quals,
                                     qual_ptrs, qual_text);
                line.enterprise = &e;
                registry_csv_format (NULL, &line, out);
                break;
            }
            case REGISTRY_CSV_FIGURES: {
                Kj__YearFigures f;
                kj__year_figures__init (&f);
                f.year = (int32_t) s_value (res, row, 1);
                f.revenue_fen = s_value (res, row, 2);
                f.rnd_fen = s_value (res, row, 3);
                f.net_profit_fen = s_value (res, row, 4);
                f.total_assets_fen = s_value (res, row, 5);
                f.operating_cash_flow_fen = s_value (res, row, 6);
                f.high_tech_revenue_fen = s_value (res, row, 7);
                f.total_cost_fen = s_value (res, row, 8);
                f.staff = (int32_t) s_value (res, row, 9);
                f.tech_staff = (int32_t) s_value (res, row, 10);
                line.code = PQgetvalue (res, row, 0);
                line.figures = &f;
                registry_csv_format (NULL, &line, out);
                break;
            }
            case REGISTRY_CSV_INSTITUTIONS: {
                Kj__Institution i;
                kj__institution__init (&i);
                char *regions [32];
                i.id = PQgetvalue (res, row, 0);
                i.name = PQgetvalue (res, row, 1);
                int type_value =
                    kj_check_enum_value (&kj__institution_type__descriptor,
                                         "INSTITUTION_",
                                         PQgetvalue (res, row, 2));
                i.type = type_value < 0 ? 0 : (Kj__InstitutionType) type_value;
                i.uscc = PQgetvalue (res, row, 3);
                i.regions = regions;
                i.n_regions = s_split (PQgetvalue (res, row, 4), regions, 32);
                i.contact = PQgetvalue (res, row, 5);
                i.sponsor_code = PQgetvalue (res, row, 6);
                i.state = streq (PQgetvalue (res, row, 7), "withdrawn")
                            ? KJ__LISTING_STATE__LISTING_WITHDRAWN
                            : KJ__LISTING_STATE__LISTING_LISTED;
                line.institution = &i;
                registry_csv_format (NULL, &line, out);
                break;
            }
            case REGISTRY_CSV_PRODUCTS: {
                Kj__Product p;
                kj__product__init (&p);
                int collateral [32], stages [32], quals [32], any [32];
                char *regions [32];
                p.id = PQgetvalue (res, row, 0);
                p.institution_id = PQgetvalue (res, row, 1);
                p.name = PQgetvalue (res, row, 2);
                int type_value =
                    kj_check_enum_value (&kj__product_type__descriptor,
                                         "PRODUCT_", PQgetvalue (res, row, 3));
                p.type = type_value < 0 ? 0 : (Kj__ProductType) type_value;
                p.min_amount_fen = s_value (res, row, 4);
                p.max_amount_fen = s_value (res, row, 5);
                p.min_term_months = (int32_t) s_value (res, row, 6);
                p.max_term_months = (int32_t) s_value (res, row, 7);
                p.rate_bp = (int32_t) s_value (res, row, 8);
                p.collateral = (Kj__Collateral *) collateral;
                p.n_collateral = s_split_enums (PQgetvalue (res, row, 9),
                                                &kj__collateral__descriptor,
                                                "COLLATERAL_", collateral, 32);
                p.stages = (Kj__Stage *) stages;
                p.n_stages = s_split_enums (PQgetvalue (res, row, 10),
                                            &kj__stage__descriptor, "STAGE_",
                                            stages, 32);
                p.qualifications = (Kj__QualificationKind *) quals;
                p.n_qualifications =
                    s_split_enums (PQgetvalue (res, row, 11),
                                   &kj__qualification_kind__descriptor, "QUAL_",
                                   quals, 32);
                p.any_qualifications = (Kj__QualificationKind *) any;
                p.n_any_qualifications =
                    s_split_enums (PQgetvalue (res, row, 12),
                                   &kj__qualification_kind__descriptor, "QUAL_",
                                   any, 32);
                p.min_grade = PQgetvalue (res, row, 13);
                p.regions = regions;
                p.n_regions = s_split (PQgetvalue (res, row, 14), regions, 32);
                p.valid_from = PQgetvalue (res, row, 15);
                p.valid_to = PQgetvalue (res, row, 16);
                p.description = PQgetvalue (res, row, 17);
                p.state = streq (PQgetvalue (res, row, 18), "withdrawn")
                            ? KJ__LISTING_STATE__LISTING_WITHDRAWN
                            : KJ__LISTING_STATE__LISTING_LISTED;
                line.product = &p;
                registry_csv_format (NULL, &line, out);
                break;
            }
        }
    }
    *rows = (uint32_t) count;
    next [0] = 0;
    if (count > 0 && count == filter->limit) {
        if (kind == REGISTRY_CSV_FIGURES)
            snprintf (next, next_size, "%s:%s", PQgetvalue (res, count - 1, 0),
                      PQgetvalue (res, count - 1, 1));
        else
            kj_strlcpy (next, PQgetvalue (res, count - 1, 0), next_size);
    }
    PQclear (res);
    return 1;
}

int
registry_bulk_store_counts (kj_db_t *db, registry_bulk_counts_t *counts)
{
    memset (counts, 0, sizeof *counts);
    PGresult *res = s_query (
        db, "counts",
        "SELECT (SELECT count (*) FROM enterprise), "
        "(SELECT count (*) FROM figures), (SELECT count (*) FROM institution), "
        "(SELECT count (*) FROM product), "
        "(SELECT count (DISTINCT region) FROM enterprise), "
        "(SELECT count (*) FROM bulk_import WHERE state = 'open')",
        0, NULL);
    if (!res)
        return -1;
    counts->enterprises = (uint64_t) s_value (res, 0, 0);
    counts->figures = (uint64_t) s_value (res, 0, 1);
    counts->institutions = (uint64_t) s_value (res, 0, 2);
    counts->products = (uint64_t) s_value (res, 0, 3);
    counts->regions = (uint32_t) s_value (res, 0, 4);
    counts->open_imports = (uint32_t) s_value (res, 0, 5);
    PQclear (res);
    res = s_query (db, "counts",
                   "SELECT stage, count (*) FROM enterprise GROUP BY stage", 0,
                   NULL);
    if (!res)
        return -1;
    for (int row = 0; row < PQntuples (res); row++) {
        int stage = registry_stage_from_name (PQgetvalue (res, row, 0));
        if (stage >= 0 && stage < 5)
            counts->by_stage [stage] = (uint64_t) s_value (res, row, 1);
    }
    PQclear (res);
    return 1;
}
