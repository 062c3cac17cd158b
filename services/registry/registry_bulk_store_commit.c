/*  =========================================================================
    registry_bulk_store_commit - staging the checked rows of each kind
    (enterprises, figures, institutions, products) and the commit's one
    statement per table, with the diagnosis of what only the whole file
    or the registry can show

    Part of registry_bulk_store (registry_bulk_store.h).
    =========================================================================
*/

#include "kejin.h"
#include "registry_bulk_store.h"
#include "registry_bulk_store_private.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"

//  --------------------------------------------------------------------------
//  Staging

//  The enterprise's stored input columns (registry_check_enterprise_column),
//  each by its kind, after its code; a part the row leaves out (credit,
//  ip) as none
static void
s_stage_columns (registry_csv_buf_t *buf, const Kj__Enterprise *e)
{
    char name [40];
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        const void *value = registry_check_enterprise_field (e, f);
        registry_bulk_store_tab (buf);
        switch (f->kind) {
            case REGISTRY_FIELD_TEXT:
                registry_bulk_store_text (buf, value ? *(char *const *) value
                                                     : NULL);
                break;
            case REGISTRY_FIELD_DATE:
                registry_bulk_store_date (buf, value ? *(char *const *) value
                                                     : NULL);
                break;
            case REGISTRY_FIELD_ENUM:
                registry_bulk_store_text (
                    buf, kj_check_enum_name (f->type, f->prefix,
                                             value ? *(const int *) value : 0,
                                             name, sizeof name));
                break;
            case REGISTRY_FIELD_FLAG:
                registry_bulk_store_bool (buf,
                                          value
                                              && *(const protobuf_c_boolean *)
                                                     value);
                break;
            case REGISTRY_FIELD_COUNT:
                registry_bulk_store_int (buf,
                                         value ? *(const int32_t *) value : 0);
                break;
        }
    }
}

//  In the order of s_copy_enterprise's columns
static void
s_stage_enterprise (registry_csv_buf_t *buf, const Kj__Enterprise *e,
                    const registry_stage_result_t *stage)
{
    registry_bulk_store_text (buf, e->code);
    s_stage_columns (buf, e);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, registry_entry_state_name (
                                       (registry_entry_state_t) e->status));
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, registry_stage_name (stage->stage));
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, stage->rule);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, stage->reason);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, stage->version);
    registry_bulk_store_tab (buf);
    registry_bulk_store_bool (buf, stage->needs_review);
    registry_bulk_store_tab (buf);
    if (e->n_rounds) {
        registry_bulk_store_text (buf,
                                  registry_stage_round_name (
                                      (registry_round_t) e->rounds [0]->round));
        registry_bulk_store_tab (buf);
        registry_bulk_store_date (buf, e->rounds [0]->closed_on);
        registry_bulk_store_tab (buf);
        registry_bulk_store_int (buf, e->rounds [0]->amount_fen);
    }
    else {
        registry_bulk_store_null (buf);
        registry_bulk_store_tab (buf);
        registry_bulk_store_null (buf);
        registry_bulk_store_tab (buf);
        registry_bulk_store_null (buf);
    }
    registry_bulk_store_tab (buf);
    int kinds [REGISTRY_CSV_MAX_QUALS];
    const char *expires [REGISTRY_CSV_MAX_QUALS];
    size_t n = e->n_qualifications < REGISTRY_CSV_MAX_QUALS
                 ? e->n_qualifications
                 : REGISTRY_CSV_MAX_QUALS;
    for (size_t q = 0; q < n; q++) {
        kinds [q] = e->qualifications [q]->kind;
        expires [q] = e->qualifications [q]->expires_on;
    }
    registry_bulk_store_enum_words (buf, &kj__qualification_kind__descriptor,
                                    "QUAL_", kinds, n);
    registry_bulk_store_tab (buf);
    registry_bulk_store_words (buf, expires, n);
}

static void
s_stage_figures (registry_csv_buf_t *buf, const char *code,
                 const Kj__YearFigures *f)
{
    registry_bulk_store_text (buf, code);
    registry_bulk_store_tab (buf);
    registry_bulk_store_int (buf, f->year);
    for (int i = 0; i < REGISTRY_FIGURES; i++) {
        registry_bulk_store_tab (buf);
        registry_bulk_store_int (buf, registry_check_figure_value (f, i));
    }
    registry_bulk_store_tab (buf);
    registry_bulk_store_words (buf, (const char *const *) f->not_reported,
                               f->n_not_reported);
}

//  The fields of a field table's rows (an institution's or a product's),
//  each by its kind, after the row's ids
static void
s_stage_attrs (registry_csv_buf_t *buf, const registry_attr_t *table,
               size_t rows, const ProtobufCMessage *message)
{
    char name [40];
    for (size_t r = 0; r < rows; r++) {
        const registry_attr_t *a = &table [r];
        size_t *count;
        const char *at = registry_check_attr_at (a, message, &count);
        registry_bulk_store_tab (buf);
        switch (a->kind) {
            case REGISTRY_ATTR_TEXT:
            case REGISTRY_ATTR_CODE:
            case REGISTRY_ATTR_GRADE:
                registry_bulk_store_text (buf, *(const char *const *) at);
                break;
            case REGISTRY_ATTR_DATE:
                registry_bulk_store_date (buf, *(const char *const *) at);
                break;
            case REGISTRY_ATTR_ENUM:
                registry_bulk_store_text (buf,
                                          kj_check_enum_name (a->type,
                                                              a->prefix,
                                                              *(const int *) at,
                                                              name,
                                                              sizeof name));
                break;
            case REGISTRY_ATTR_ENUMS:
                registry_bulk_store_enum_words (buf, a->type, a->prefix,
                                                *(const int *const *) at,
                                                *count);
                break;
            case REGISTRY_ATTR_REGIONS:
                registry_bulk_store_words (buf,
                                           *(const char *const *const *) at,
                                           *count);
                break;
            case REGISTRY_ATTR_MONEY:
                registry_bulk_store_int (buf, *(const int64_t *) at);
                break;
            case REGISTRY_ATTR_COUNT:
            case REGISTRY_ATTR_BP:
                registry_bulk_store_int (buf, *(const int32_t *) at);
                break;
        }
    }
}

static void
s_stage_institution (registry_csv_buf_t *buf, const Kj__Institution *i)
{
    registry_bulk_store_text (buf, i->id);
    s_stage_attrs (buf, registry_check_institution_table,
                   REGISTRY_INSTITUTION_ATTRS, &i->base);
}

static void
s_stage_product (registry_csv_buf_t *buf, const Kj__Product *p)
{
    registry_bulk_store_text (buf, p->id);
    registry_bulk_store_tab (buf);
    registry_bulk_store_text (buf, p->institution_id);
    s_stage_attrs (buf, registry_product_table, REGISTRY_PRODUCT_ATTRS,
                   &p->base);
}

void
registry_bulk_store_stage_row (registry_csv_buf_t *buf, int64_t id,
                               const registry_csv_row_t *row,
                               const registry_stage_result_t *stage)
{
    registry_bulk_store_int (buf, id);
    registry_bulk_store_tab (buf);
    registry_bulk_store_int (buf, row->line);
    registry_bulk_store_tab (buf);
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
    registry_bulk_store_end (buf);
}

//  The enterprise's staging: its code, its stored input columns, then
//  what the import computes and the latest round and qualifications of
//  the row (s_stage_enterprise), built at start
static char s_copy_enterprise [1024];

__attribute__ ((constructor)) static void
s_build (void)
{
    char names [512];
    registry_store_enterprise_sql (names, sizeof names,
                                   REGISTRY_STORE_LIST_STAGED, NULL, 0);
    registry_store_sql (s_copy_enterprise, sizeof s_copy_enterprise,
                        "COPY bulk_enterprise (import_id, line, code, %s, "
                        "status, stage, stage_rule, stage_reason, "
                        "stage_version, stage_review, round, "
                        "round_closed_on, round_amount_fen, qual_kinds, "
                        "qual_expires) FROM STDIN",
                        names);
}

//  "COPY table (import_id, line, ids, the table's paths) FROM STDIN"
static void
s_copy_attrs (char *sql, size_t size, const char *head,
              const registry_attr_t *table, size_t rows)
{
    size_t at = (size_t) snprintf (sql, size, "%s", head);
    for (size_t r = 0; r < rows && at < size; r++)
        at += (size_t) snprintf (sql + at, size - at, ", %s", table [r].path);
    if (at < size)
        snprintf (sql + at, size - at, ") FROM STDIN");
}

int
registry_bulk_store_stage (kj_db_t *db, registry_csv_kind_t kind,
                           const registry_csv_buf_t *buf)
{
    char attrs [512];
    if (kind == REGISTRY_CSV_INSTITUTIONS)
        s_copy_attrs (attrs, sizeof attrs,
                      "COPY bulk_institution (import_id, line, id",
                      registry_check_institution_table,
                      REGISTRY_INSTITUTION_ATTRS);
    else if (kind == REGISTRY_CSV_PRODUCTS)
        s_copy_attrs (attrs, sizeof attrs,
                      "COPY bulk_product (import_id, line, id, institution_id",
                      registry_product_table, REGISTRY_PRODUCT_ATTRS);
    const char *sql [] = {
        "", s_copy_enterprise,
        "COPY bulk_figures (import_id, line, code, year, revenue_fen, rnd_fen, "
        "net_profit_fen, total_assets_fen, operating_cash_flow_fen, "
        "high_tech_revenue_fen, total_cost_fen, staff, tech_staff, "
        "not_reported) FROM STDIN",
        attrs, attrs
    };
    if (buf->size == 0)
        return 1;
    return registry_bulk_store_copy (db, "stage", sql [kind], buf->data,
                                     buf->size)
             ? -1
             : 1;
}

//  --------------------------------------------------------------------------
//  The commit: one statement per table

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
    "high_tech_revenue_fen, total_cost_fen, staff, tech_staff, "
    "not_reported) "
    "SELECT code, year, revenue_fen, rnd_fen, net_profit_fen, "
    "total_assets_fen, operating_cash_flow_fen, high_tech_revenue_fen, "
    "total_cost_fen, staff, tech_staff, not_reported FROM bulk_figures "
    "WHERE import_id = $1 "
    "ON CONFLICT (code, year) DO UPDATE SET "
    "revenue_fen = EXCLUDED.revenue_fen, rnd_fen = EXCLUDED.rnd_fen, "
    "net_profit_fen = EXCLUDED.net_profit_fen, "
    "total_assets_fen = EXCLUDED.total_assets_fen, "
    "operating_cash_flow_fen = EXCLUDED.operating_cash_flow_fen, "
    "high_tech_revenue_fen = EXCLUDED.high_tech_revenue_fen, "
    "total_cost_fen = EXCLUDED.total_cost_fen, staff = EXCLUDED.staff, "
    "tech_staff = EXCLUDED.tech_staff, "
    "not_reported = EXCLUDED.not_reported, updated_at = now () "
    "RETURNING xmax = 0 AS inserted) "
    "SELECT count (*) FILTER (WHERE inserted) AS imported, "
    "count (*) FILTER (WHERE NOT inserted) AS replaced FROM up";

//  Institutions and products: their INSERT ... SELECT is built from their
//  field tables with their other statements (registry_store_statements_t;
//  a row's staged SQL, such as a product's stages defaulting to all four,
//  is in its row)

//  The enterprises whose parts the import wrote, refreshed in one
//  statement (the per-row refresh is off meanwhile: registry_bulk_store_parts)
static const char *s_parts_of_enterprises =
    "UPDATE enterprise e SET " REGISTRY_BULK_STORE_PARTS " "
    "FROM enterprise_read v, bulk_enterprise s "
    "WHERE s.import_id = $1 AND e.code = s.code AND v.code = s.code "
    "AND (cardinality (s.qual_kinds) > 0 OR s.round IS NOT NULL)";

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
    if (registry_bulk_store_raw (db, "savepoint", "SAVEPOINT bulk_insert", 0,
                                 NULL, NULL, NULL, NULL))
        return -1;
    if (import->kind == REGISTRY_CSV_PRODUCTS) {
        PGresult *res = registry_bulk_store_query (db, "insert",
                                                   s_withdrawn_institutions, 1,
                                                   params);
        if (!res)
            return -1;
        bool withdrawn = PQntuples (res) > 0;
        PQclear (res);
        if (withdrawn)
            return registry_bulk_store_raw (db, "rollback",
                                            "ROLLBACK TO SAVEPOINT bulk_insert",
                                            0, NULL, NULL, NULL, NULL)
                     ? -1
                     : 0;
    }
    const char *steps [3] = { NULL, NULL, NULL };
    const char *parts = NULL;
    int nparams = 1;
    switch (import->kind) {
        case REGISTRY_CSV_ENTERPRISES:
            steps [0] = registry_store_enterprise_statements ()->bulk;
            steps [1] = s_insert_qualifications;
            steps [2] = s_insert_rounds;
            parts = s_parts_of_enterprises;
            nparams = 2;
            break;
        case REGISTRY_CSV_FIGURES:
            //  Refreshed once, by the restage that follows in the same
            //  transaction (registry_bulk_store_restage)
            steps [0] = s_insert_figures;
            if (registry_bulk_store_parts (db, true))
                return -1;
            break;
        case REGISTRY_CSV_INSTITUTIONS:
            steps [0] = registry_store_institution_statements ()->bulk;
            break;
        case REGISTRY_CSV_PRODUCTS:
            steps [0] = registry_store_product_statements ()->bulk;
            break;
    }
    if (parts && registry_bulk_store_parts (db, true))
        return -1;
    for (int step = 0; step < 3 && steps [step]; step++) {
        PGresult *res = registry_bulk_store_long (db, steps [step],
                                                  step == 0 ? nparams : 1,
                                                  params, tick, arg);
        ExecStatusType status = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE)
                                    : NULL;
            bool conflict = s_conflict (state);
            if (!conflict)
                registry_bulk_store_failed ("insert", res, db);
            else
                kj_info ("bulk.import_conflict",
                         "import=%" PRId64 " sqlstate=%s", import->id, state);
            PQclear (res);
            if (registry_bulk_store_raw (db, "rollback",
                                         "ROLLBACK TO SAVEPOINT bulk_insert", 0,
                                         NULL, NULL, NULL, NULL))
                return -1;
            return conflict ? 0 : -1;
        }
        if (step == 0) {
            if (import->kind == REGISTRY_CSV_FIGURES) {
                int64_t inserted, updated;
                if (kj_sql_int64 (res, 0, "imported", &inserted)
                    || kj_sql_int64 (res, 0, "replaced", &updated)) {
                    PQclear (res);
                    return -1;
                }
                *imported = (uint64_t) inserted;
                *replaced = (uint64_t) updated;
            }
            else
                *imported = (uint64_t) atoll (PQcmdTuples (res));
        }
        PQclear (res);
    }
    if (parts
        && (registry_bulk_store_parts (db, false)
            || registry_bulk_store_raw (db, "insert", parts, 1, params, tick,
                                        arg, NULL)))
        return -1;
    return registry_bulk_store_raw (db, "release",
                                    "RELEASE SAVEPOINT bulk_insert", 0, NULL,
                                    NULL, NULL, NULL)
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
        PGresult *res = registry_bulk_store_long (db, steps [step], 1, params,
                                                  tick, arg);
        if (!res || PQresultStatus (res) != PGRES_TUPLES_OK) {
            registry_bulk_store_failed ("diagnose", res, db);
            PQclear (res);
            return -1;
        }
        found += registry_bulk_store_value (res, 0, 0);
        PQclear (res);
    }
    return found;
}
