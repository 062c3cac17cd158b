/*  =========================================================================
    ipo_store - the SQL of kejin-ipo: firms, their moves, claims, budgets

    Dates are kept as YYYYMMDD integers, as the rules classes hold them.
    =========================================================================
*/

#include "ipo_store.h"

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
        ipo_store_copy (firm->firm, sizeof firm->firm,
                        PQgetvalue (res, row, col [F_FIRM]));
        ipo_store_copy (firm->name, sizeof firm->name,
                        PQgetvalue (res, row, col [F_NAME]));
        ipo_store_copy (firm->city, sizeof firm->city,
                        PQgetvalue (res, row, col [F_CITY]));
        ipo_store_copy (firm->sponsor, sizeof firm->sponsor,
                        PQgetvalue (res, row, col [F_SPONSOR]));
        ipo_store_copy (firm->auditor, sizeof firm->auditor,
                        PQgetvalue (res, row, col [F_AUDITOR]));
        ipo_store_copy (firm->law_firm, sizeof firm->law_firm,
                        PQgetvalue (res, row, col [F_LAW_FIRM]));
        ipo_store_copy (firm->alerted, sizeof firm->alerted,
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
    const char *params [] = { city, IPO_STORE_NUM (v [0], state), after,
                              IPO_STORE_NUM (v [1], limit) };
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
                              IPO_STORE_NUM (state, firm->pipe.state),
                              IPO_STORE_NUM (since, firm->pipe.since) };
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
                              IPO_STORE_NUM (v [0], firm->pipe.state),
                              IPO_STORE_NUM (v [1], firm->pipe.board),
                              IPO_STORE_NUM (v [2], firm->pipe.since),
                              IPO_STORE_NUM (v [3], firm->pipe.letter),
                              IPO_STORE_NUM (v [4], firm->pipe.registered),
                              IPO_STORE_NUM (v [5], firm->pipe.rejected),
                              IPO_STORE_NUM (v [6], firm->pipe.neeq_since),
                              IPO_STORE_NUM (v [7], firm->pool),
                              firm->alerted,
                              IPO_STORE_NUM (v [8], firm->refreshed),
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
                              IPO_STORE_NUM (v [0], move->from),
                              IPO_STORE_NUM (v [1], move->to),
                              IPO_STORE_NUM (v [2], move->board),
                              IPO_STORE_NUM (v [3], move->day),
                              move->by,
                              move->note ? move->note : "",
                              IPO_STORE_NUM (v [4], move->event),
                              IPO_STORE_NUM (v [5], move->event_board),
                              move->stage,
                              IPO_STORE_NUM (v [6], move->due_fen),
                              move->rule ? move->rule : "",
                              move->lapsed ? "true" : "false",
                              IPO_STORE_NUM (v [7], move->raised_fen) };
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
    const char *params [] = { firm, stage, IPO_STORE_NUM (id, move) };
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
    ipo_store_copy (out->firm, sizeof out->firm,
                    PQgetvalue (res, row, col [IPO_CLAIM_FIRM]));
    ipo_store_copy (out->city, sizeof out->city,
                    PQgetvalue (res, row, col [IPO_CLAIM_CITY]));
    ipo_store_copy (out->stage, sizeof out->stage,
                    PQgetvalue (res, row, col [IPO_CLAIM_STAGE]));
    ipo_store_copy (out->status, sizeof out->status,
                    PQgetvalue (res, row, col [IPO_CLAIM_STATUS]));
    ipo_store_copy (out->city_by, sizeof out->city_by,
                    PQgetvalue (res, row, col [IPO_CLAIM_CITY_BY]));
    ipo_store_copy (out->province_by, sizeof out->province_by,
                    PQgetvalue (res, row, col [IPO_CLAIM_PROVINCE_BY]));
    ipo_store_copy (out->note, sizeof out->note,
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
    const char *params [] = { firm, stage, IPO_STORE_NUM (id, move) };
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
    const char *params [] = { IPO_STORE_NUM (text, id) };
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
                              IPO_STORE_NUM (v [0], claim->board),
                              IPO_STORE_NUM (v [1], claim->amount_fen),
                              IPO_STORE_NUM (v [2], claim->filed),
                              IPO_STORE_NUM (v [3], claim->year),
                              IPO_STORE_NUM (v [4], claim->move) };
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
    const char *params [] = { IPO_STORE_NUM (id, claim->id), claim->status,
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
    const char *params [] = { IPO_STORE_NUM (text, year) };
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
    const char *params [] = { IPO_STORE_NUM (v [0], year),
                              IPO_STORE_NUM (v [1], budget_fen) };
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
    const char *params [] = { city, IPO_STORE_NUM (text, today),
                              IPO_STORE_NUM (stale, ipo_pipeline_stale_before (
                                                        today)) };
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
