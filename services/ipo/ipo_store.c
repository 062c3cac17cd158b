/*  =========================================================================
    ipo_store - the SQL of kejin-ipo: firms, their moves, claims, budgets

    Dates are kept as YYYYMMDD integers, as the rules classes hold them.
    =========================================================================
*/

#include "ipo_store.h"

//  Text of a number, for a parameter
#define NUM(buf, value)                                                        \
    (snprintf (buf, sizeof buf, "%lld", (long long) (value)), buf)

static void
s_copy (char *to, size_t size, const char *from)
{
    snprintf (to, size, "%s", from ? from : "");
}

//  --------------------------------------------------------------------------
//  A firm's columns, read by name (every one NOT NULL in sql/001_ipo.sql)
#define FIRM_COLUMNS                                                           \
    "firm, name, city, sponsor, auditor, law_firm, state, board, since, "      \
    "letter, registered, rejected, neeq_since, pool, alerted, refreshed"

enum {
    F_FIRM,
    F_NAME,
    F_CITY,
    F_SPONSOR,
    F_AUDITOR,
    F_LAW_FIRM,
    F_STATE,
    F_BOARD,
    F_SINCE,
    F_LETTER,
    F_REGISTERED,
    F_REJECTED,
    F_NEEQ_SINCE,
    F_POOL,
    F_ALERTED,
    F_REFRESHED,
    F_COLUMNS
};
static const char *const s_firm_names [F_COLUMNS] = {
    [F_FIRM] = "firm",
    [F_NAME] = "name",
    [F_CITY] = "city",
    [F_SPONSOR] = "sponsor",
    [F_AUDITOR] = "auditor",
    [F_LAW_FIRM] = "law_firm",
    [F_STATE] = "state",
    [F_BOARD] = "board",
    [F_SINCE] = "since",
    [F_LETTER] = "letter",
    [F_REGISTERED] = "registered",
    [F_REJECTED] = "rejected",
    [F_NEEQ_SINCE] = "neeq_since",
    [F_POOL] = "pool",
    [F_ALERTED] = "alerted",
    [F_REFRESHED] = "refreshed"
};

//  Every row of a result of firms into out []: 0, or -1 (logged) when a
//  column is missing or NULL
static int
s_firm_rows (const PGresult *res, ipo_store_firm_t *out)
{
    int col [F_COLUMNS];
    if (kj_sql_columns (res, s_firm_names, col, F_COLUMNS))
        return -1;
    for (int row = 0; row < PQntuples (res); row++) {
        ipo_store_firm_t *firm = &out [row];
        ipo_pipeline_firm_t *pipe = &firm->pipe;
        s_copy (firm->firm, sizeof firm->firm,
                PQgetvalue (res, row, col [F_FIRM]));
        s_copy (firm->name, sizeof firm->name,
                PQgetvalue (res, row, col [F_NAME]));
        s_copy (firm->city, sizeof firm->city,
                PQgetvalue (res, row, col [F_CITY]));
        s_copy (firm->sponsor, sizeof firm->sponsor,
                PQgetvalue (res, row, col [F_SPONSOR]));
        s_copy (firm->auditor, sizeof firm->auditor,
                PQgetvalue (res, row, col [F_AUDITOR]));
        s_copy (firm->law_firm, sizeof firm->law_firm,
                PQgetvalue (res, row, col [F_LAW_FIRM]));
        s_copy (firm->alerted, sizeof firm->alerted,
                PQgetvalue (res, row, col [F_ALERTED]));
        if (kj_sql_int_at (res, row, col [F_STATE], &pipe->state)
            || kj_sql_int_at (res, row, col [F_BOARD], &pipe->board)
            || kj_sql_int_at (res, row, col [F_SINCE], &pipe->since)
            || kj_sql_int_at (res, row, col [F_LETTER], &pipe->letter)
            || kj_sql_int_at (res, row, col [F_REGISTERED], &pipe->registered)
            || kj_sql_int_at (res, row, col [F_REJECTED], &pipe->rejected)
            || kj_sql_int_at (res, row, col [F_NEEQ_SINCE], &pipe->neeq_since)
            || kj_sql_int_at (res, row, col [F_POOL], &firm->pool)
            || kj_sql_int_at (res, row, col [F_REFRESHED], &firm->refreshed))
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Load a firm; see the header.
int
ipo_store_firm_load (kj_db_t *db, const char *firm, bool lock,
                     ipo_store_firm_t *out)
{
    const char *params [] = { firm };
    //  The firm's events are ordered by its lock, taken before the row's
    //  and before any write (kj_db_lock_key); it goes with the SELECT
    if (lock && kj_db_lock_key (db, "ipo.firm", firm))
        return -1;
    PGresult *res = kj_db_exec (db,
                                lock ? "SELECT " FIRM_COLUMNS
                                       " FROM firm WHERE firm = $1 FOR UPDATE"
                                     : "SELECT " FIRM_COLUMNS
                                       " FROM firm WHERE firm = $1",
                                1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found && s_firm_rows (res, out))
        found = -1;
    PQclear (res);
    return found;
}

//  --------------------------------------------------------------------------
//  A page of firms; see the header.
int
ipo_store_firm_list (kj_db_t *db, const char *city, int state,
                     const char *after, int limit, ipo_store_firm_t *out)
{
    char v [2][16];
    const char *params [] = { city, NUM (v [0], state), after,
                              NUM (v [1], limit) };
    PGresult *res = kj_db_exec (
        db,
        "SELECT " FIRM_COLUMNS " FROM firm WHERE ($1 = '' OR city = $1) "
        "AND ($2::int = 0 OR state = $2) AND firm > $3 ORDER BY firm "
        "LIMIT $4",
        4, params);
    if (!res)
        return -1;
    int rows = s_firm_rows (res, out) ? -1 : PQntuples (res);
    PQclear (res);
    return rows;
}

//  --------------------------------------------------------------------------
//  Add a firm; see the header.
int
ipo_store_firm_insert (kj_db_t *db, const ipo_store_firm_t *firm)
{
    char state [16], since [16];
    const char *params [] = { firm->firm,
                              firm->name,
                              firm->city,
                              firm->sponsor,
                              firm->auditor,
                              firm->law_firm,
                              NUM (state, firm->pipe.state),
                              NUM (since, firm->pipe.since) };
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO firm (firm, name, city, sponsor, auditor, law_firm, "
        "state, since, refreshed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$8) ON CONFLICT (firm) DO NOTHING",
        8, params);
    if (!res)
        return -1;
    int added = atoi (PQcmdTuples (res)) == 1;
    PQclear (res);
    return added;
}

//  --------------------------------------------------------------------------
//  Save a firm's pipeline; see the header.
int
ipo_store_firm_save (kj_db_t *db, const ipo_store_firm_t *firm)
{
    char v [9][16];
    const char *params [] = { firm->firm,
                              NUM (v [0], firm->pipe.state),
                              NUM (v [1], firm->pipe.board),
                              NUM (v [2], firm->pipe.since),
                              NUM (v [3], firm->pipe.letter),
                              NUM (v [4], firm->pipe.registered),
                              NUM (v [5], firm->pipe.rejected),
                              NUM (v [6], firm->pipe.neeq_since),
                              NUM (v [7], firm->pool),
                              firm->alerted,
                              NUM (v [8], firm->refreshed),
                              firm->sponsor,
                              firm->auditor,
                              firm->law_firm };
    return kj_db_run (
               db,
               "UPDATE firm SET state = $2, board = $3, since = $4, letter = "
               "$5, "
               "registered = $6, rejected = $7, neeq_since = $8, pool = $9, "
               "alerted = $10, refreshed = $11, sponsor = $12, auditor = $13, "
               "law_firm = $14 WHERE firm = $1",
               14, params)
                 < 0
             ? -1
             : 1;
}

//  --------------------------------------------------------------------------
//  Firms in a pool; see the header.
int
ipo_store_pool_count (kj_db_t *db, const char *city, int64_t *count)
{
    const char *params [] = { city };
    PGresult *res = kj_db_exec (
        db,
        "SELECT count (*) FROM firm WHERE ($1::text IS NULL AND pool = 2 "
        "OR city = $1 AND pool >= 1) AND state NOT IN (12, 13, 14, 15)",
        1, params);
    if (!res)
        return -1;
    *count = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Replay the firm's subsidy events; see the header.
int
ipo_store_subsidy_firm (kj_db_t *db, const char *firm,
                        const ipo_subsidy_table_t *table,
                        ipo_subsidy_firm_t *out)
{
    const char *params [] = { firm };
    PGresult *res =
        kj_db_exec (db,
                    "SELECT event, event_board, day, amount_fen FROM move "
                    "WHERE firm = $1 AND event > 0 ORDER BY id",
                    1, params);
    if (!res)
        return -1;
    ipo_subsidy_firm_init (out);
    const char *const names [] = { "event", "event_board", "day",
                                   "amount_fen" };
    int col [4];
    int rc = kj_sql_columns (res, names, col, 4) ? -1 : 1;
    for (int row = 0; row < PQntuples (res) && rc == 1; row++) {
        ipo_subsidy_event_t event = { 0 };
        if (kj_sql_int_at (res, row, col [0], &event.event)
            || kj_sql_int_at (res, row, col [1], &event.board)
            || kj_sql_int_at (res, row, col [2], &event.date)
            || kj_sql_int64_at (res, row, col [3], &event.amount_raised_fen)) {
            rc = -1;
            break;
        }
        event.has_amount = event.event == IPO_EVENT_EQUITY_RAISED;
        ipo_subsidy_decision_t decision;
        kj_status_t status;
        //  Recorded events were applied once already: they apply again
        if (ipo_subsidy_apply (table, out, &event, &decision, &status))
            kj_warn ("ipo.replay", "firm %s: recorded event refused: %s", firm,
                     status.message);
    }
    PQclear (res);
    return rc;
}

//  --------------------------------------------------------------------------
//  Record a move; see the header.
int
ipo_store_move_add (kj_db_t *db, const char *firm, ipo_store_move_t *move,
                    int64_t *id)
{
    char v [9][24];
    const char *params [] = { firm,
                              NUM (v [0], move->from),
                              NUM (v [1], move->to),
                              NUM (v [2], move->board),
                              NUM (v [3], move->day),
                              move->by,
                              move->note ? move->note : "",
                              NUM (v [4], move->event),
                              NUM (v [5], move->event_board),
                              move->stage,
                              NUM (v [6], move->due_fen),
                              move->rule ? move->rule : "",
                              move->lapsed ? "true" : "false",
                              NUM (v [7], move->raised_fen) };
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO move (firm, from_state, to_state, board, day, by_whom, "
        "note, event, event_board, stage, due_fen, rule, lapsed, "
        "amount_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "$12, $13, $14) "
        "RETURNING id, (extract (epoch FROM at) * 1000000)::bigint AS at_us",
        14, params);
    if (!res)
        return -1;
    int rc = kj_sql_int64 (res, 0, "id", id)
                  || kj_sql_int64 (res, 0, "at_us", &move->at_us)
               ? -1
               : 1;
    PQclear (res);
    return rc;
}

//  --------------------------------------------------------------------------
//  How many moves a firm has; see the header.
int
ipo_store_move_count (kj_db_t *db, const char *firm, int64_t *count)
{
    const char *params [] = { firm };
    PGresult *res = kj_db_exec (db,
                                "SELECT count (*) FROM move WHERE firm = $1", 1,
                                params);
    if (!res)
        return -1;
    *count = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  A firm's moves; see the header.
PGresult *
ipo_store_moves (kj_db_t *db, const char *firm)
{
    const char *params [] = { firm };
    return kj_db_exec (
        db,
        "SELECT id, from_state, to_state, board, day, by_whom, note, "
        "coalesce (stage, '') AS stage, due_fen, rule, lapsed, "
        "(extract (epoch FROM at) * 1000000)::bigint AS at_us, amount_fen "
        "FROM move "
        "WHERE firm = $1 ORDER BY id",
        1, params);
}

//  --------------------------------------------------------------------------
//  The move that made a stage due; see the header.
int
ipo_store_stage_due (kj_db_t *db, const char *firm, const char *stage,
                     int64_t move, int64_t *due_fen, int *board)
{
    char id [24];
    const char *params [] = { firm, stage, NUM (id, move) };
    PGresult *res = kj_db_exec (
        db,
        "SELECT due_fen, event_board FROM move WHERE firm = $1 "
        "AND stage = $2 AND ($3::bigint = 0 OR id = $3) ORDER BY id LIMIT 1",
        3, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found
        && (kj_sql_int64 (res, 0, "due_fen", due_fen)
            || kj_sql_int (res, 0, "event_board", board)))
        found = -1;
    PQclear (res);
    return found;
}

//  --------------------------------------------------------------------------
//  Claims: the columns every query reads, and a row of them
#define CLAIM_COLUMNS                                                          \
    "c.id, c.firm, f.city, c.stage, c.board, c.amount_fen, c.status, "         \
    "c.filed, c.year, c.city_by, c.province_by, c.note, c.move"

//  The names of CLAIM_COLUMNS, in the order of ipo_store_claim_column_t
static const char *const s_claim_names [IPO_STORE_CLAIM_COLUMNS] = {
    [IPO_CLAIM_ID] = "id",
    [IPO_CLAIM_FIRM] = "firm",
    [IPO_CLAIM_CITY] = "city",
    [IPO_CLAIM_STAGE] = "stage",
    [IPO_CLAIM_BOARD] = "board",
    [IPO_CLAIM_AMOUNT_FEN] = "amount_fen",
    [IPO_CLAIM_STATUS] = "status",
    [IPO_CLAIM_FILED] = "filed",
    [IPO_CLAIM_YEAR] = "year",
    [IPO_CLAIM_CITY_BY] = "city_by",
    [IPO_CLAIM_PROVINCE_BY] = "province_by",
    [IPO_CLAIM_NOTE] = "note",
    [IPO_CLAIM_MOVE] = "move"
};

int
ipo_store_claim_columns (const PGresult *res, int col [])
{
    return kj_sql_columns (res, s_claim_names, col, IPO_STORE_CLAIM_COLUMNS);
}

int
ipo_store_claim_row (const PGresult *res, int row, const int col [],
                     ipo_store_claim_t *out)
{
    s_copy (out->firm, sizeof out->firm,
            PQgetvalue (res, row, col [IPO_CLAIM_FIRM]));
    s_copy (out->city, sizeof out->city,
            PQgetvalue (res, row, col [IPO_CLAIM_CITY]));
    s_copy (out->stage, sizeof out->stage,
            PQgetvalue (res, row, col [IPO_CLAIM_STAGE]));
    s_copy (out->status, sizeof out->status,
            PQgetvalue (res, row, col [IPO_CLAIM_STATUS]));
    s_copy (out->city_by, sizeof out->city_by,
            PQgetvalue (res, row, col [IPO_CLAIM_CITY_BY]));
    s_copy (out->province_by, sizeof out->province_by,
            PQgetvalue (res, row, col [IPO_CLAIM_PROVINCE_BY]));
    s_copy (out->note, sizeof out->note,
            PQgetvalue (res, row, col [IPO_CLAIM_NOTE]));
    return kj_sql_int64_at (res, row, col [IPO_CLAIM_ID], &out->id)
                || kj_sql_int_at (res, row, col [IPO_CLAIM_BOARD], &out->board)
                || kj_sql_int64_at (res, row, col [IPO_CLAIM_AMOUNT_FEN],
                                    &out->amount_fen)
                || kj_sql_int_at (res, row, col [IPO_CLAIM_FILED], &out->filed)
                || kj_sql_int_at (res, row, col [IPO_CLAIM_YEAR], &out->year)
                || kj_sql_int64_at (res, row, col [IPO_CLAIM_MOVE], &out->move)
             ? -1
             : 0;
}

//  One claim from a query, or none
static int
s_claim_one (PGresult *res, ipo_store_claim_t *out)
{
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    int col [IPO_STORE_CLAIM_COLUMNS];
    if (found
        && (ipo_store_claim_columns (res, col)
            || ipo_store_claim_row (res, 0, col, out)))
        found = -1;
    PQclear (res);
    return found;
}

int
ipo_store_claim_find (kj_db_t *db, const char *firm, const char *stage,
                      int64_t move, ipo_store_claim_t *out)
{
    char id [24];
    const char *params [] = { firm, stage, NUM (id, move) };
    return s_claim_one (
        kj_db_exec (db,
                    "SELECT " CLAIM_COLUMNS
                    " FROM claim c JOIN firm f USING (firm) "
                    "WHERE c.firm = $1 AND c.stage = $2 AND c.move = $3 "
                    "AND c.status <> 'REFUSED'",
                    3, params),
        out);
}

int
ipo_store_last_day (kj_db_t *db, const char *firm, int32_t *day)
{
    const char *params [] = { firm };
    PGresult *res =
        kj_db_exec (db,
                    "SELECT coalesce (max (day), 0) FROM move WHERE firm = $1",
                    1, params);
    if (!res)
        return -1;
    *day = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return 1;
}

int
ipo_store_claim_load (kj_db_t *db, int64_t id, bool lock,
                      ipo_store_claim_t *out)
{
    char text [24];
    const char *params [] = { NUM (text, id) };
    return s_claim_one (
        kj_db_exec (db,
                    lock ? "SELECT " CLAIM_COLUMNS
                           " FROM claim c JOIN firm f USING (firm) "
                           "WHERE c.id = $1 FOR UPDATE OF c"
                         : "SELECT " CLAIM_COLUMNS
                           " FROM claim c JOIN firm f USING (firm) "
                           "WHERE c.id = $1",
                    1, params),
        out);
}

//  --------------------------------------------------------------------------
//  A new claim; see the header.
int
ipo_store_claim_insert (kj_db_t *db, ipo_store_claim_t *claim)
{
    char v [5][24];
    const char *params [] = { claim->firm,
                              claim->stage,
                              NUM (v [0], claim->board),
                              NUM (v [1], claim->amount_fen),
                              NUM (v [2], claim->filed),
                              NUM (v [3], claim->year),
                              NUM (v [4], claim->move) };
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO claim (firm, stage, board, amount_fen, filed, year, "
        "move) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING "
        "RETURNING id",
        7, params);
    if (!res)
        return -1;
    int added = PQntuples (res) == 1;
    if (added)
        claim->id = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return added;
}

int
ipo_store_claim_save (kj_db_t *db, const ipo_store_claim_t *claim)
{
    char id [24];
    const char *params [] = { NUM (id, claim->id), claim->status,
                              claim->city_by, claim->province_by, claim->note };
    return kj_db_run (
               db,
               "UPDATE claim SET status = $2, city_by = $3, province_by = $4, "
               "note = $5 WHERE id = $1",
               5, params)
                 < 0
             ? -1
             : 1;
}

PGresult *
ipo_store_claims (kj_db_t *db, const char *firm)
{
    const char *params [] = { firm };
    return kj_db_exec (db,
                       "SELECT " CLAIM_COLUMNS
                       " FROM claim c JOIN firm f USING (firm) "
                       "WHERE c.firm = $1 ORDER BY c.id",
                       1, params);
}

//  --------------------------------------------------------------------------
//  Budgets; see the header.
int
ipo_store_budget (kj_db_t *db, int year, bool lock, int64_t *budget_fen,
                  int64_t *committed_fen, int64_t *paid_fen)
{
    char text [16];
    const char *params [] = { NUM (text, year) };
    PGresult *res = kj_db_exec (
        db,
        lock ? "SELECT budget_fen FROM budget WHERE year = $1 FOR UPDATE"
             : "SELECT budget_fen FROM budget WHERE year = $1",
        1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    *budget_fen = 0;
    if (found && kj_sql_int64 (res, 0, "budget_fen", budget_fen))
        found = -1;
    PQclear (res);
    if (found < 0)
        return -1;
    res = kj_db_exec (
        db,
        "SELECT coalesce (sum (amount_fen) FILTER (WHERE status IN "
        "('FILED', 'CITY_APPROVED')), 0) AS committed_fen, coalesce (sum "
        "(amount_fen) FILTER (WHERE status = 'PAID'), 0) AS paid_fen "
        "FROM claim WHERE year = $1",
        1, params);
    if (!res)
        return -1;
    if (kj_sql_int64 (res, 0, "committed_fen", committed_fen)
        || kj_sql_int64 (res, 0, "paid_fen", paid_fen))
        found = -1;
    PQclear (res);
    return found;
}

int
ipo_store_budget_set (kj_db_t *db, int year, int64_t budget_fen)
{
    char v [2][24];
    const char *params [] = { NUM (v [0], year), NUM (v [1], budget_fen) };
    return kj_db_run (db,
                      "INSERT INTO budget (year, budget_fen) VALUES ($1, $2) "
                      "ON CONFLICT (year) DO UPDATE SET budget_fen = $2",
                      2, params)
                 < 0
             ? -1
             : 1;
}

//  --------------------------------------------------------------------------
//  Firms a sweep looks at: every state with a lapse or a usual time
PGresult *
ipo_store_sweep_firms (kj_db_t *db)
{
    return kj_db_exec (
        db, "SELECT firm FROM firm WHERE state BETWEEN 1 AND 11 ORDER BY firm",
        0, NULL);
}

//  --------------------------------------------------------------------------
//  The funnel per city; see the header.
PGresult *
ipo_store_funnel (kj_db_t *db, const char *city, int32_t today)
{
    char text [16], stale [16];
    const char *params [] = { city, NUM (text, today),
                              NUM (stale, ipo_pipeline_stale_before (today)) };
    return kj_db_exec (
        db,
        "SELECT city, count (*) FILTER (WHERE state = 1) AS candidates, "
        "count (*) FILTER (WHERE pool >= 1 AND state BETWEEN 2 AND 11) "
        "AS pool, "
        "count (*) FILTER (WHERE pool = 2 AND state BETWEEN 3 AND 11) "
        "AS province_pool, "
        "count (*) FILTER (WHERE state IN (5, 6)) AS tutoring, "
        "count (*) FILTER (WHERE state BETWEEN 7 AND 10) AS filed, "
        "count (*) FILTER (WHERE state = 11) AS registered, "
        "count (*) FILTER (WHERE state = 12) AS listed, "
        "coalesce (round (avg (to_date ($2, 'YYYYMMDD') "
        "- to_date (since::text, 'YYYYMMDD')) FILTER (WHERE state BETWEEN "
        "1 AND 11)), 0)::bigint AS avg_days, "
        "count (*) FILTER (WHERE (state BETWEEN 1 AND 11 OR state IN (16, 17)) "
        "AND refreshed <= $3::int) AS stale "
        "FROM firm WHERE $1 = '' OR city = $1 GROUP BY city ORDER BY city",
        3, params);
}

PGresult *
ipo_store_paid (kj_db_t *db, const char *city)
{
    const char *params [] = { city };
    return kj_db_exec (
        db,
        "SELECT f.city, c.board, sum (c.amount_fen) AS paid_fen FROM claim c "
        "JOIN firm f USING (firm) WHERE c.status = 'PAID' "
        "AND ($1 = '' OR f.city = $1) GROUP BY 1, 2 ORDER BY 1, 2",
        1, params);
}

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
    s_copy (out->source, sizeof out->source, kj_sql_text (res, 0, "source"));
    s_copy (out->state, sizeof out->state, kj_sql_text (res, 0, "state"));
    s_copy (out->version, sizeof out->version, kj_sql_text (res, 0, "version"));
    s_copy (out->error, sizeof out->error, kj_sql_text (res, 0, "error"));
    s_copy (out->by, sizeof out->by, kj_sql_text (res, 0, "by_whom"));
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
    const char *params [] = { NUM (text, id) };
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
    const char *params [] = { NUM (v [0], batch->id),
                              batch->state,
                              NUM (v [1], batch->firms),
                              NUM (v [2], batch->meeting),
                              NUM (v [3], batch->newly),
                              NUM (v [4], batch->pages),
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
    const char *params [] = { NUM (id, batch->id) };
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
    const char *params [] = { NUM (v [0], batch), firms, cities, meets,
                              NUM (v [1], previous) };
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
    s_copy (dup, dup_size, PQntuples (res) ? kj_sql_text (res, 0, "firm") : "");
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
    const char *params [] = { NUM (v, batch), firms };
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
    const char *params [] = { NUM (v [0], batch), after, NUM (v [1], limit),
                              all ? "t" : "f" };
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
    const char *params [] = { source, NUM (id, keep) };
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
