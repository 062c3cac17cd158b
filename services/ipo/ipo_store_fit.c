/*  =========================================================================
    ipo_store_fit - the SQL of kejin-ipo's batch board fit: batches
    (fit_batch) and the firms each found meeting a standard (fit_result)

    Out of ipo_store.c, whose other statements are the pool's, the files'
    and the claims'; declared in ipo_store.h with them.
    =========================================================================
*/

#include "ipo_store.h"

//  --------------------------------------------------------------------------
//  Batch board fit: the columns every query of a batch reads, and a row
#define BATCH_COLUMNS                                                          \
    "id, source, state, previous, version, firms, meeting, newly, pages, "     \
    "error, by_whom, (extract (epoch FROM started) * 1000000)::bigint "        \
    "AS started_us, coalesce ((extract (epoch FROM finished) * 1000000)"       \
    "::bigint, 0) AS finished_us"

//  A batch's row by name: 0, or -1 (logged) when a column is missing or
//  NULL (finished is NULL until the batch ends: 0 then, by the SELECT)
static int
s_batch_row (const PGresult *res, ipo_store_batch_t *out)
{
    ipo_store_copy (out->source, sizeof out->source,
                    kj_sql_text (res, 0, "source"));
    ipo_store_copy (out->state, sizeof out->state,
                    kj_sql_text (res, 0, "state"));
    ipo_store_copy (out->version, sizeof out->version,
                    kj_sql_text (res, 0, "version"));
    ipo_store_copy (out->error, sizeof out->error,
                    kj_sql_text (res, 0, "error"));
    ipo_store_copy (out->by, sizeof out->by, kj_sql_text (res, 0, "by_whom"));
    return kj_sql_int64 (res, 0, "id", &out->id)
                || kj_sql_int64 (res, 0, "previous", &out->previous)
                || kj_sql_int64 (res, 0, "firms", &out->firms)
                || kj_sql_int64 (res, 0, "meeting", &out->meeting)
                || kj_sql_int64 (res, 0, "newly", &out->newly)
                || kj_sql_int (res, 0, "pages", &out->pages)
                || kj_sql_int64 (res, 0, "started_us", &out->started_us)
                || kj_sql_int64 (res, 0, "finished_us", &out->finished_us)
             ? -1
             : 0;
}

static int
s_batch_one (PGresult *res, ipo_store_batch_t *out)
{
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found && s_batch_row (res, out))
        found = -1;
    PQclear (res);
    return found;
}

//  --------------------------------------------------------------------------
//  A new batch; see the header.
int
ipo_store_batch_insert (kj_db_t *db, ipo_store_batch_t *batch)
{
    const char *params [] = { batch->source, batch->state, batch->version,
                              batch->by };
    return s_batch_one (
        kj_db_exec (db,
                    "INSERT INTO fit_batch (source, state, version, by_whom, "
                    "previous) VALUES ($1, $2, $3, $4, coalesce ((SELECT "
                    "max (id) FROM fit_batch WHERE source = $1 AND state = "
                    "'FINISHED'), 0)) RETURNING " BATCH_COLUMNS,
                    4, params),
        batch);
}

int
ipo_store_batch_load (kj_db_t *db, int64_t id, bool lock,
                      ipo_store_batch_t *out)
{
    char text [24];
    const char *params [] = { IPO_STORE_NUM (text, id) };
    return s_batch_one (
        kj_db_exec (db,
                    lock ? "SELECT " BATCH_COLUMNS " FROM fit_batch WHERE "
                           "id = $1 FOR UPDATE"
                         : "SELECT " BATCH_COLUMNS " FROM fit_batch WHERE "
                           "id = $1 OR $1 = 0 ORDER BY id DESC LIMIT 1",
                    1, params),
        out);
}

int
ipo_store_batch_running (kj_db_t *db, const char *source,
                         ipo_store_batch_t *out)
{
    const char *params [] = { source };
    return s_batch_one (
        kj_db_exec (db,
                    "SELECT " BATCH_COLUMNS " FROM fit_batch WHERE source = "
                    "$1 AND state IN ('FETCHING', 'RECEIVING') ORDER BY id "
                    "LIMIT 1",
                    1, params),
        out);
}

PGresult *
ipo_store_batch_fetching (kj_db_t *db)
{
    return kj_db_exec (db,
                       "SELECT id FROM fit_batch WHERE state = 'FETCHING' "
                       "ORDER BY id",
                       0, NULL);
}

int
ipo_store_batch_save (kj_db_t *db, const ipo_store_batch_t *batch)
{
    char v [5][24];
    const char *params [] = { IPO_STORE_NUM (v [0], batch->id),
                              batch->state,
                              IPO_STORE_NUM (v [1], batch->firms),
                              IPO_STORE_NUM (v [2], batch->meeting),
                              IPO_STORE_NUM (v [3], batch->newly),
                              IPO_STORE_NUM (v [4], batch->pages),
                              batch->error };
    return kj_db_run (db,
                      "UPDATE fit_batch SET state = $2, firms = $3, meeting = "
                      "$4, newly = $5, pages = $6, error = $7, finished = "
                      "CASE WHEN $2 IN ('FINISHED', 'FAILED') THEN now () "
                      "END WHERE id = $1",
                      7, params)
                 < 0
             ? -1
             : 1;
}

int
ipo_store_batch_reset (kj_db_t *db, ipo_store_batch_t *batch)
{
    char id [24];
    const char *params [] = { IPO_STORE_NUM (id, batch->id) };
    if (kj_db_run (db, "DELETE FROM fit_result WHERE batch = $1", 1, params)
        < 0)
        return -1;
    batch->firms = batch->meeting = batch->newly = 0;
    batch->pages = 0;
    return ipo_store_batch_save (db, batch);
}

//  --------------------------------------------------------------------------
//  A page of results; see the header. One statement under a savepoint:
//  the page unnested, each firm's previous bits read by the primary key
//  (a probe per firm in a subquery: as a join, the planner hashes the
//  whole previous batch for every page, 7 s for a page of 25,000 beside
//  1 s this way), inserted; only when a firm is there already (23505) is
//  the page read again to name it.
static int
s_fit_dup (kj_db_t *db, const char *const *params, char *dup, size_t dup_size);

int
ipo_store_fit_page (kj_db_t *db, int64_t batch, int64_t previous,
                    const char *firms, const char *cities, const char *meets,
                    int64_t *newly, char *dup, size_t dup_size)
{
    char v [2][24];
    const char *params [] = { IPO_STORE_NUM (v [0], batch), firms, cities,
                              meets, IPO_STORE_NUM (v [1], previous) };
    *newly = 0;
    if (kj_db_run (db, "SAVEPOINT fit_page", 0, NULL) < 0)
        return -1;
    PGresult *res = kj_db_exec (
        db,
        "WITH stored AS (INSERT INTO fit_result (batch, firm, city, meets, "
        "newly) SELECT $1, u.firm, u.city, u.meets, u.meets & ~coalesce "
        "((SELECT p.meets FROM fit_result p WHERE p.batch = $5 AND p.firm = "
        "u.firm), 0) FROM unnest ($2::text[], $3::text[], $4::int[]) AS u "
        "(firm, city, meets) RETURNING newly) SELECT count (*) FROM stored "
        "WHERE newly <> 0",
        5, params);
    if (res) {
        *newly = atoll (PQgetvalue (res, 0, 0));
        PQclear (res);
        return kj_db_run (db, "RELEASE SAVEPOINT fit_page", 0, NULL) < 0 ? -1
                                                                         : 1;
    }
    return s_fit_dup (db, params, dup, dup_size);
}

//  A page refused: 0 with the firm of the page (params' $2) already in
//  the batch ($1) named in dup, when the cause was a unique violation;
//  else -1
static int
s_fit_dup (kj_db_t *db, const char *const *params, char *dup, size_t dup_size)
{
    if (!streq (kj_db_sqlstate (db), "23505")
        || kj_db_run (db, "ROLLBACK TO SAVEPOINT fit_page", 0, NULL) < 0)
        return -1;
    PGresult *res = kj_db_exec (db,
                                "SELECT u.firm FROM unnest ($2::text[]) AS u "
                                "(firm) JOIN fit_result r ON r.batch = $1 AND "
                                "r.firm = u.firm LIMIT 1",
                                2, params);
    if (!res)
        return -1;
    ipo_store_copy (dup, dup_size,
                    PQntuples (res) ? kj_sql_text (res, 0, "firm") : "");
    PQclear (res);
    return 0;
}

//  A page of the first batch of a source; see the header. COPY: 2 us of
//  the database's CPU a firm where the INSERT above takes 5 (pages of
//  25,000, 2026-12-03).
int
ipo_store_fit_copy (kj_db_t *db, int64_t batch, const char *firms,
                    const char *rows, size_t size, char *dup, size_t dup_size)
{
    char v [24];
    const char *params [] = { IPO_STORE_NUM (v, batch), firms };
    if (kj_db_run (db, "SAVEPOINT fit_page", 0, NULL) < 0)
        return -1;
    if (kj_db_copy (db,
                    "COPY fit_result (batch, firm, city, meets, newly) FROM "
                    "STDIN",
                    rows, size)
        == 0)
        return kj_db_run (db, "RELEASE SAVEPOINT fit_page", 0, NULL) < 0 ? -1
                                                                         : 1;
    return s_fit_dup (db, params, dup, dup_size);
}

PGresult *
ipo_store_fit_results (kj_db_t *db, int64_t batch, const char *after, int limit,
                       bool all)
{
    char v [2][24];
    const char *params [] = { IPO_STORE_NUM (v [0], batch), after,
                              IPO_STORE_NUM (v [1], limit), all ? "t" : "f" };
    return kj_db_exec (db,
                       "SELECT firm, city, meets, newly FROM fit_result WHERE "
                       "batch = $1 AND firm > $2 AND ($4::bool OR newly <> "
                       "0) ORDER BY firm LIMIT $3",
                       4, params);
}

int
ipo_store_batch_prune (kj_db_t *db, const char *source, int64_t keep)
{
    char id [24];
    const char *params [] = { source, IPO_STORE_NUM (id, keep) };
    //  Results first, by the batch's key (no foreign key cascades them:
    //  sql/004_fit_store.sql)
    return kj_db_run (db,
                      "WITH dropped AS (DELETE FROM fit_batch WHERE source = "
                      "$1 AND id < $2 AND state IN ('FINISHED', 'FAILED') "
                      "RETURNING id) DELETE FROM fit_result WHERE batch IN "
                      "(SELECT id FROM dropped)",
                      2, params)
                 < 0
             ? -1
             : 1;
}
