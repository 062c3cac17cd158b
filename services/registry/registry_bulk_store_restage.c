/*  =========================================================================
    registry_bulk_store_restage - passes over staged rows with a cursor:
    the items of a committed import's events, and the stages and tech-SME
    scores of the enterprises a figures import touched, written back with
    one COPY and one UPDATE ... FROM

    Part of registry_bulk_store (registry_bulk_store.h).
    =========================================================================
*/

#include "kejin.h"
#include "registry_bulk_store.h"
#include "registry_bulk_store_private.h"
#include "registry_check.h"
#include "registry_entry.h"

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
    if (registry_bulk_store_raw (db, "declare", declare, nparams, params, tick,
                                 tick_arg, NULL))
        return -1;
    int rc = 1;
    while (rc == 1) {
        PGresult *res = registry_bulk_store_long (db, fetch, 0, NULL, tick,
                                                  tick_arg);
        if (!res || PQresultStatus (res) != PGRES_TUPLES_OK) {
            registry_bulk_store_failed ("fetch", res, db);
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
    return registry_bulk_store_raw (db, "close", close, 0, NULL, NULL, NULL,
                                    NULL)
             ? -1
             : rc;
}

typedef struct {
    registry_bulk_items_fn *fn;
    void *arg;
    int failed;
} s_items_t;

static int
s_items (PGresult *res, void *arg)
{
    s_items_t *self = (s_items_t *) arg;
    int count = PQntuples (res);
    registry_bulk_item_t *items = (registry_bulk_item_t *)
        calloc ((size_t) count, sizeof *items);
    assert (items);
    //  The columns once for the batch of rows
    enum { KEY, NAME, REGION, STAGE, COLUMNS };
    static const char *const names [COLUMNS] = { "key", "name", "region",
                                                 "stage" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        free (items);
        self->failed = 1;
        return 1;
    }
    for (int row = 0; row < count; row++) {
        items [row].key = PQgetvalue (res, row, col [KEY]);
        items [row].name = PQgetvalue (res, row, col [NAME]);
        items [row].region = PQgetvalue (res, row, col [REGION]);
        items [row].stage = PQgetvalue (res, row, col [STAGE]);
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
        "DECLARE bulk_items NO SCROLL CURSOR FOR SELECT code AS key, name, "
        "region, stage FROM bulk_enterprise WHERE import_id = $1 "
        "ORDER BY line",
        "",
        "DECLARE bulk_items NO SCROLL CURSOR FOR SELECT id AS key, name, "
        "array_to_string (regions, '|') AS region, '' AS stage "
        "FROM bulk_institution WHERE import_id = $1 ORDER BY line",
        "DECLARE bulk_items NO SCROLL CURSOR FOR SELECT id AS key, name, "
        "array_to_string (regions, '|') AS region, '' AS stage "
        "FROM bulk_product WHERE import_id = $1 ORDER BY line"
    };
    assert (import->kind != REGISTRY_CSV_FIGURES);
    char id [24], fetch [48];
    snprintf (id, sizeof id, "%" PRId64, import->id);
    snprintf (fetch, sizeof fetch, "FETCH %zu FROM bulk_items", n);
    const char *params [] = { id };
    s_items_t items = { fn, arg, 0 };
    int rc = s_each (db, declare [import->kind], fetch, "CLOSE bulk_items", 1,
                     params, s_items, &items, tick, tick_arg);
    return items.failed ? -1 : rc;
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

//  The columns s_touched reads of each enterprise, by name
enum {
    T_CODE,
    T_REGION,
    T_NAME,
    T_FOUNDED_ON,
    T_STAGE,
    T_STAGE_COMPUTED,
    T_STAGE_RULE,
    T_STAGE_REASON,
    T_STAGE_VERSION,
    T_STAGE_REVIEW,
    T_STAGE_OVERRIDE,
    T_LISTING_TUTORING,
    T_BOARD_STANDARD,
    T_DISHONEST,
    T_ABNORMAL,
    T_INVENTION_PATENTS,
    T_CLASS2_IP,
    T_LATEST_ROUND,
    T_HIGH_TECH,
    T_SRDI,
    T_LITTLE_GIANT,
    T_RESIDENT,
    T_YEAR,
    T_REVENUE_FEN,
    T_RND_FEN,
    T_NET_PROFIT_FEN,
    T_TOTAL_ASSETS_FEN,
    T_OPERATING_CASH_FLOW_FEN,
    T_HIGH_TECH_REVENUE_FEN,
    T_TOTAL_COST_FEN,
    T_STAFF,
    T_TECH_STAFF,
    T_REVENUE_PREV,
    T_NET_PROFIT_PREV,
    T_REVENUE_PREV2,
    T_REVENUE_NR,
    T_NET_PROFIT_NR,
    T_REVENUE_PREV_NR,
    T_NET_PROFIT_PREV_NR,
    T_REVENUE_PREV2_NR,
    T_NOT_REPORTED,
    T_COLUMNS
};
static const char *const s_touched_names [T_COLUMNS] = {
    [T_CODE] = "code",
    [T_REGION] = "region",
    [T_NAME] = "name",
    [T_FOUNDED_ON] = "founded_on",
    [T_STAGE] = "stage",
    [T_STAGE_COMPUTED] = "stage_computed",
    [T_STAGE_RULE] = "stage_rule",
    [T_STAGE_REASON] = "stage_reason",
    [T_STAGE_VERSION] = "stage_version",
    [T_STAGE_REVIEW] = "stage_review",
    [T_STAGE_OVERRIDE] = "stage_override",
    [T_LISTING_TUTORING] = "listing_tutoring",
    [T_BOARD_STANDARD] = "board_standard",
    [T_DISHONEST] = "dishonest",
    [T_ABNORMAL] = "abnormal",
    [T_INVENTION_PATENTS] = "invention_patents",
    [T_CLASS2_IP] = "class2_ip",
    [T_LATEST_ROUND] = "latest_round",
    [T_HIGH_TECH] = "high_tech",
    [T_SRDI] = "srdi",
    [T_LITTLE_GIANT] = "little_giant",
    [T_RESIDENT] = "resident",
    [T_YEAR] = "year",
    [T_REVENUE_FEN] = "revenue_fen",
    [T_RND_FEN] = "rnd_fen",
    [T_NET_PROFIT_FEN] = "net_profit_fen",
    [T_TOTAL_ASSETS_FEN] = "total_assets_fen",
    [T_OPERATING_CASH_FLOW_FEN] = "operating_cash_flow_fen",
    [T_HIGH_TECH_REVENUE_FEN] = "high_tech_revenue_fen",
    [T_TOTAL_COST_FEN] = "total_cost_fen",
    [T_STAFF] = "staff",
    [T_TECH_STAFF] = "tech_staff",
    [T_REVENUE_PREV] = "revenue_prev",
    [T_NET_PROFIT_PREV] = "net_profit_prev",
    [T_REVENUE_PREV2] = "revenue_prev2",
    [T_REVENUE_NR] = "revenue_nr",
    [T_NET_PROFIT_NR] = "net_profit_nr",
    [T_REVENUE_PREV_NR] = "revenue_prev_nr",
    [T_NET_PROFIT_PREV_NR] = "net_profit_prev_nr",
    [T_REVENUE_PREV2_NR] = "revenue_prev2_nr",
    [T_NOT_REPORTED] = "not_reported",
};

static int
s_touched (PGresult *res, void *arg)
{
    s_touched_t *self = (s_touched_t *) arg;
    //  The columns once for the batch of rows
    int col [T_COLUMNS];
    if (kj_sql_columns (res, s_touched_names, col, T_COLUMNS)) {
        self->failed = 1;
        return 1;
    }
    int count = PQntuples (res);
    registry_bulk_touched_t *rows = (registry_bulk_touched_t *)
        calloc ((size_t) count, sizeof *rows);
    assert (rows);
    for (int row = 0; row < count; row++) {
#define TEXT(column)  PQgetvalue (res, row, col [T_##column])
#define TRUE(column)  registry_bulk_store_true (res, row, col [T_##column])
#define VALUE(column) registry_bulk_store_value (res, row, col [T_##column])
#define NULL_(column) PQgetisnull (res, row, col [T_##column])
        registry_bulk_touched_t *t = &rows [row];
        t->code = TEXT (CODE);
        t->region = TEXT (REGION);
        t->name = TEXT (NAME);
        //  Read once, here: the stage rules take the date (none or a
        //  date the database would not hold is year 0: not known)
        kj_check_date (TEXT (FOUNDED_ON), "founded_on", &t->founded_on,
                       &(kj_status_t){ 0 });
        t->stage = TEXT (STAGE);
        t->stage_computed = TEXT (STAGE_COMPUTED);
        t->stage_rule = TEXT (STAGE_RULE);
        t->stage_reason = TEXT (STAGE_REASON);
        t->stage_version = TEXT (STAGE_VERSION);
        t->stage_review = TRUE (STAGE_REVIEW);
        t->stage_override = TRUE (STAGE_OVERRIDE);
        t->listing_tutoring = TRUE (LISTING_TUTORING);
        t->board_standard = TRUE (BOARD_STANDARD);
        t->dishonest = TRUE (DISHONEST);
        t->abnormal = TRUE (ABNORMAL);
        t->invention_patents = (int32_t) VALUE (INVENTION_PATENTS);
        t->class2_ip = (int32_t) VALUE (CLASS2_IP);
        t->latest_round = (int) VALUE (LATEST_ROUND);
        t->high_tech = TRUE (HIGH_TECH);
        t->srdi = TRUE (SRDI);
        t->little_giant = TRUE (LITTLE_GIANT);
        t->incubator_resident = TRUE (RESIDENT);
        t->has_figures = !NULL_ (YEAR);
        Kj__YearFigures *f = &t->latest;
        kj__year_figures__init (f);
        if (t->has_figures) {
            f->year = (int32_t) VALUE (YEAR);
            f->revenue_fen = VALUE (REVENUE_FEN);
            f->rnd_fen = VALUE (RND_FEN);
            f->net_profit_fen = VALUE (NET_PROFIT_FEN);
            f->total_assets_fen = VALUE (TOTAL_ASSETS_FEN);
            f->operating_cash_flow_fen = VALUE (OPERATING_CASH_FLOW_FEN);
            f->high_tech_revenue_fen = VALUE (HIGH_TECH_REVENUE_FEN);
            f->total_cost_fen = VALUE (TOTAL_COST_FEN);
            f->staff = (int32_t) VALUE (STAFF);
            f->tech_staff = (int32_t) VALUE (TECH_STAFF);
        }
        t->has_prev = !NULL_ (REVENUE_PREV);
        t->revenue_prev = VALUE (REVENUE_PREV);
        t->net_profit_prev = VALUE (NET_PROFIT_PREV);
        t->has_prev2 = !NULL_ (REVENUE_PREV2);
        t->revenue_prev2 = VALUE (REVENUE_PREV2);
        //  Figures a year on file left out: unknown, not 0
        static const struct {
            int column;
            unsigned bit;
        } left_out [] = { { T_REVENUE_NR,
                            REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 0) },
                          { T_NET_PROFIT_NR,
                            REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 0) },
                          { T_REVENUE_PREV_NR,
                            REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 1) },
                          { T_NET_PROFIT_PREV_NR,
                            REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 1) },
                          { T_REVENUE_PREV2_NR,
                            REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 2) } };
        for (size_t i = 0; i < sizeof left_out / sizeof left_out [0]; i++)
            if (registry_bulk_store_true (res, row, col [left_out [i].column]))
                t->not_reported |= left_out [i].bit;
        //  and their names, for the tech-SME grid
        t->latest.not_reported = t->latest_not_reported;
        if (t->has_figures)
            t->latest.n_not_reported =
                registry_bulk_store_split (TEXT (NOT_REPORTED),
                                           t->latest_not_reported,
                                           REGISTRY_FIGURES);
#undef TEXT
#undef TRUE
#undef VALUE
#undef NULL_
    }
    int rc = self->fn (rows, (size_t) count, &self->out, self->arg);
    free (rows);
    self->touched += (uint64_t) count;
    if (rc)
        return rc;
    //  Write this batch's results now: the buffer stays small
    if (self->out.size
        && registry_bulk_store_copy (self->db, "restage",
                                     "COPY bulk_restage FROM STDIN",
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
    registry_bulk_store_text (buf, r->code);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, registry_stage_name (r->stage));
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, registry_stage_name (r->computed));
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, r->rule);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, r->reason);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, r->version);
    registry_bulk_store_tab (buf);
    registry_bulk_store_bool (buf, r->review);
    registry_bulk_store_tab (buf);
    registry_bulk_store_bool (buf, r->moved);
    if (r->has_techsme) {
        const registry_techsme_result_t *t = r->techsme;
        int64_t values [] = { r->techsme_year,     t->tech_staff_bp,
                              t->rnd_sales_bp,     t->rnd_cost_bp,
                              t->tech_staff_score, t->rnd_sales_score,
                              t->rnd_cost_score,   t->rnd_score,
                              t->ip_score,         t->total };
        for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
            registry_bulk_store_tab (buf);
            registry_bulk_store_int (buf, values [i]);
        }
        registry_bulk_store_tab (buf);
        registry_bulk_store_bool (buf, t->eligible);
        registry_bulk_store_tab (buf);
        registry_bulk_store_int (buf, (int64_t) t->reasons);
        registry_bulk_store_tab (buf);
        registry_bulk_store_text (buf, t->reason);
    }
    else
        for (int i = 0; i < 13; i++) {
            registry_bulk_store_tab (buf);
            registry_bulk_store_null (buf);
        }
    registry_bulk_store_end (buf);
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
        registry_bulk_store_failed ("touched_count", NULL, db);
        return -1;
    }
    int64_t count = registry_bulk_store_value (res, 0, 0);
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
    if (registry_bulk_store_raw (
            db, "restage",
            "CREATE TEMPORARY TABLE IF NOT EXISTS bulk_restage ("
            "code text, stage text, computed text, rule text, reason text, "
            "version text, review boolean, moved boolean, year integer, "
            "tech_staff_bp bigint, rnd_sales_bp bigint, rnd_cost_bp bigint, "
            "tech_staff_score integer, rnd_sales_score integer, "
            "rnd_cost_score integer, rnd_score integer, ip_score integer, "
            "total integer, eligible boolean, reasons integer, "
            "ts_reason text) ON COMMIT DROP",
            0, NULL, NULL, NULL, NULL)
        || registry_bulk_store_raw (db, "restage", "TRUNCATE bulk_restage", 0,
                                    NULL, NULL, NULL, NULL))
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
        "coalesce (to_char (e.founded_on, 'YYYY-MM-DD'), '') AS founded_on, "
        "e.stage, "
        "e.stage_computed, e.stage_rule, e.stage_reason, e.stage_version, "
        "e.stage_review, e.stage_override, e.listing_tutoring, "
        "e.board_standard, e.dishonest, e.abnormal, e.invention_patents, "
        "e.class2_ip, "
        "coalesce ((SELECT max (array_position (ARRAY['seed', 'angel', 'a', "
        "'b', 'c_plus', 'pre_ipo'], r.round)) FROM equity_round r "
        "WHERE r.code = e.code), 0) AS latest_round, "
        "coalesce (q.high_tech, false) AS high_tech, "
        "coalesce (q.srdi, false) AS srdi, "
        "coalesce (q.little_giant, false) AS little_giant, "
        "coalesce (q.resident, false) AS resident, "
        "f.year, f.revenue_fen, f.rnd_fen, f.net_profit_fen, "
        "f.total_assets_fen, f.operating_cash_flow_fen, "
        "f.high_tech_revenue_fen, f.total_cost_fen, f.staff, f.tech_staff, "
        "p1.revenue_fen AS revenue_prev, "
        "p1.net_profit_fen AS net_profit_prev, "
        "p2.revenue_fen AS revenue_prev2, "
        "'revenue' = ANY (f.not_reported) AS revenue_nr, "
        "'net-profit' = ANY (f.not_reported) AS net_profit_nr, "
        "'revenue' = ANY (p1.not_reported) AS revenue_prev_nr, "
        "'net-profit' = ANY (p1.not_reported) AS net_profit_prev_nr, "
        "'revenue' = ANY (p2.not_reported) AS revenue_prev2_nr, "
        "array_to_string (f.not_reported, '|') AS not_reported "
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

    //  The figures the import wrote and the techsme scores are parts of
    //  the enterprises: refreshed in one statement after, not per row
    //  (registry_bulk_store_parts, on since the import's insert)
    int64_t rows = 0;
    if (registry_bulk_store_parts (db, true)
        || registry_bulk_store_raw (
            db, "restage",
            "UPDATE enterprise e SET stage = r.stage, "
            "stage_computed = r.computed, stage_rule = r.rule, "
            "stage_reason = r.reason, stage_version = r.version, "
            "stage_review = r.review, stage_at = CASE WHEN r.moved "
            "THEN now () ELSE e.stage_at END, version = e.version + 1, "
            "updated_at = now () FROM bulk_restage r WHERE e.code = r.code",
            0, NULL, tick, tick_arg, NULL)
        || registry_bulk_store_raw (
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
        || registry_bulk_store_parts (db, false)
        || registry_bulk_store_raw (
            db, "restage",
            "UPDATE enterprise e SET " REGISTRY_BULK_STORE_PARTS " "
            "FROM enterprise_read v, (SELECT DISTINCT code FROM bulk_figures "
            "WHERE import_id = $1) s WHERE e.code = s.code AND v.code = s.code",
            1, params, tick, tick_arg, NULL)
        || registry_bulk_store_raw (db, "restage",
                                    "SELECT 1 FROM bulk_restage WHERE moved", 0,
                                    NULL, NULL, NULL, &rows))
        return -1;
    *moved = (uint64_t) rows;
    return 1;
}
