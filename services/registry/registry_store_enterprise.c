/*  =========================================================================
    registry_store_enterprise - the statements of an enterprise: its row,
    and the enterprise read whole with its parts from its row, where they
    are stored at write time

    Part of registry_store (registry_store.h), split by entity.
    =========================================================================
*/

#include "kejin.h"
#include <jansson.h>
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"
#include "registry_store_private.h"

//  --------------------------------------------------------------------------
//  Enterprises

//  The enterprise's statements, built at start from its field tables
//  (registry_check_enterprise_column: registry_store_columns.c): its code,
//  the tables' columns in their order, then the outputs (status .. the
//  times), each read by its name. The read without parts adds two it
//  derives from the loans and rounds (first_loan, latest_round), which
//  the read with parts takes from the parts themselves instead.
static char s_own_columns [1536];
static char s_columns [2048];
static char s_select [2048];
static char s_whole [2048];
static char s_whole_in_tx [2048];
static char s_insert [1024];
static char s_update [1024];
static char s_list [3072];
static char s_bulk [1024];

static const registry_store_statements_t s_statements = { s_select, s_insert,
                                                          s_update, s_bulk };

const registry_store_statements_t *
registry_store_enterprise_statements (void)
{
    return &s_statements;
}

//  The outputs' names, after the code and the tables' columns
static const char *const s_outputs [] = {
    "status",       "stage",          "stage_computed",
    "stage_rule",   "stage_reason",   "stage_version",
    "stage_review", "stage_override", "stage_override_reason",
    "stage_at_us",  "version",        "created_at_us",
    "updated_at_us"
};
#define OUTPUTS (int) (sizeof s_outputs / sizeof s_outputs [0])
#define S_NAMES (1 + REGISTRY_ENTERPRISE_COLUMNS + OUTPUTS)
static const char *s_names [S_NAMES];

//  The statements' texts; laid out by hand (the DAY and US macros)
// clang-format off
__attribute__ ((constructor)) static void
s_build (void)
{
    s_names [0] = "code";
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++)
        s_names [1 + i] = registry_check_enterprise_column (i)->column;
    for (int i = 0; i < OUTPUTS; i++)
        s_names [1 + REGISTRY_ENTERPRISE_COLUMNS + i] = s_outputs [i];

    char read [1024], names [512], values [256], sets [768];
    registry_store_enterprise_sql (read, sizeof read, REGISTRY_STORE_LIST_READ,
                                   "e", 0);
    registry_store_enterprise_sql (names, sizeof names,
                                   REGISTRY_STORE_LIST_NAMES, NULL, 0);
    registry_store_enterprise_sql (values, sizeof values,
                                   REGISTRY_STORE_LIST_VALUES, NULL, 2);
    registry_store_enterprise_sql (sets, sizeof sets, REGISTRY_STORE_LIST_SETS,
                                   NULL, 2);
    registry_store_sql (s_own_columns, sizeof s_own_columns,
        "e.code, %s, e.status, e.stage, e.stage_computed, e.stage_rule, "
        "e.stage_reason, e.stage_version, e.stage_review, e.stage_override, "
        "e.stage_override_reason, coalesce (" US ("e.stage_at") ", 0) "
        "AS stage_at_us, e.version, " US ("e.created_at") " AS created_at_us, "
        US ("e.updated_at") " AS updated_at_us", read);
    registry_store_sql (s_columns, sizeof s_columns,
        "%s, NOT EXISTS (SELECT 1 FROM loan l WHERE l.code = e.code) "
        "AS first_loan, coalesce ((SELECT max (array_position (ARRAY['seed', "
        "'angel', 'a', 'b', 'c_plus', 'pre_ipo'], r.round)) FROM "
        "equity_round r WHERE r.code = e.code), 0) AS latest_round",
        s_own_columns);
    registry_store_sql (s_select, sizeof s_select,
        "SELECT %s FROM enterprise e WHERE e.code = $1", s_columns);
    //  The enterprise whole, in one statement of one table: its columns,
    //  then its parts as stored at write time (014_enterprise_parts.sql),
    //  computed here only when stored in another format, then today for
    //  the qualifications' "expired"
    registry_store_sql (s_whole, sizeof s_whole,
        "SELECT %s, CASE WHEN e.parts_format = enterprise_parts_format () "
        "THEN e.parts ELSE (enterprise_read_of (e.code)).parts END AS parts, "
        DAY ("current_date") " AS today FROM enterprise e WHERE e.code = $1",
        s_own_columns);
    //  The same inside a transaction: a write reads what it wrote, and the
    //  stored parts are refreshed only at its commit
    registry_store_sql (s_whole_in_tx, sizeof s_whole_in_tx,
        "SELECT %s, v.parts, " DAY ("current_date") " AS today "
        "FROM enterprise e, enterprise_read v WHERE e.code = $1 "
        "AND v.code = $1", s_own_columns);
    //  $1 the code, the columns, then who
    registry_store_sql (s_insert, sizeof s_insert,
        "INSERT INTO enterprise (code, %s, created_by) VALUES ($1, %s, $%d) "
        "ON CONFLICT (code) DO NOTHING", names, values,
        2 + REGISTRY_ENTERPRISE_COLUMNS);
    registry_store_sql (s_update, sizeof s_update,
        "UPDATE enterprise SET %s, version = version + 1, "
        "updated_at = now () WHERE code = $1", sets);
    //  The bulk commit's: the staged rows of an import ($1) by whom ($2)
    registry_store_sql (s_bulk, sizeof s_bulk,
        "INSERT INTO enterprise (code, %s, status, stage, stage_computed, "
        "stage_rule, stage_reason, stage_version, stage_review, stage_at, "
        "created_by) SELECT code, %s, status, stage, stage, stage_rule, "
        "stage_reason, stage_version, stage_review, now (), $2 "
        "FROM bulk_enterprise WHERE import_id = $1", names, names);
    registry_store_sql (s_list, sizeof s_list,
        "SELECT * FROM (SELECT %s, count (*) OVER () "
        "FROM enterprise e WHERE "
        "($1::text[] IS NULL OR e.region = ANY ($1::text[])) "
        "AND ($2::text[] IS NULL OR e.stage = ANY ($2::text[])) "
        "AND ($3::text[] IS NULL OR e.status = ANY ($3::text[])) "
        "AND ($4::text[] IS NULL OR NOT EXISTS (SELECT 1 FROM unnest "
        "($4::text[]) k WHERE NOT EXISTS (SELECT 1 FROM qualification q "
        "WHERE q.code = e.code AND q.kind = k "
        "AND q.expires_on >= current_date))) "
        "AND ($5::text IS NULL OR e.name ILIKE $5::text) "
        "AND ($6::text IS NULL OR e.industry = $6::text)) s "
        "WHERE s.code > $7::text ORDER BY s.code LIMIT $8::int", s_columns);
}
// clang-format on

//  Where a result's columns are, by name: found once per result
typedef struct {
    int at [S_NAMES];              //  s_names' columns
    int first_loan, latest_round;  //  -1 in a read with parts
} s_at_t;

static int
s_columns_of (const PGresult *res, s_at_t *at)
{
    at->first_loan = kj_sql_column (res, "first_loan");
    at->latest_round = kj_sql_column (res, "latest_round");
    return kj_sql_columns (res, s_names, at->at, S_NAMES);
}

//  A field of the tables from its column
static void
s_field_read (PGresult *res, int row, int column, const registry_field_t *f,
              void *target, ProtobufCAllocator *mem)
{
    switch (f->kind) {
        case REGISTRY_FIELD_FLAG:
            *(protobuf_c_boolean *) target = registry_store_bool (res, row,
                                                                  column);
            break;
        case REGISTRY_FIELD_COUNT:
            *(int32_t *) target = (int32_t) registry_store_int (res, row,
                                                                column);
            break;
        case REGISTRY_FIELD_TEXT:
        case REGISTRY_FIELD_DATE:
            *(char **) target = registry_store_text (res, row, column, mem);
            break;
        case REGISTRY_FIELD_ENUM:
            *(int *) target = registry_store_enum (res, row, column, f->type,
                                                   f->prefix);
            break;
    }
}

//  An enterprise from its columns, where at says they are, with the two
//  derived columns when the result has them
static Kj__Enterprise *
s_enterprise_row (PGresult *res, int row, const s_at_t *at,
                  ProtobufCAllocator *mem)
{
    Kj__Enterprise *e = (Kj__Enterprise *) registry_store_alloc (mem,
                                                                 sizeof *e);
    kj__enterprise__init (e);
    Kj__CreditFlags *credit = (Kj__CreditFlags *)
        registry_store_alloc (mem, sizeof *credit);
    kj__credit_flags__init (credit);
    e->credit = credit;
    Kj__IpAssets *ip = (Kj__IpAssets *) registry_store_alloc (mem, sizeof *ip);
    kj__ip_assets__init (ip);
    e->ip = ip;
    const int *c = at->at;
    e->code = registry_store_text (res, row, *c++, mem);
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        void *target = registry_check_enterprise_field (e, f);
        assert (target);  //  the unit tests hold the tables to the proto
        s_field_read (res, row, *c++, f, target, mem);
    }
    int status = registry_entry_state_from_name (PQgetvalue (res, row, *c++));
    e->status = (Kj__EntryStatus) (status < 0 ? 0 : status);

    Kj__StageInfo *stage = (Kj__StageInfo *)
        registry_store_alloc (mem, sizeof *stage);
    kj__stage_info__init (stage);
    int value = registry_stage_from_name (PQgetvalue (res, row, *c++));
    stage->stage = (Kj__Stage) (value < 0 ? 0 : value);
    value = registry_stage_from_name (PQgetvalue (res, row, *c++));
    stage->computed = (Kj__Stage) (value < 0 ? 0 : value);
    stage->rule = registry_store_text (res, row, *c++, mem);
    stage->reason = registry_store_text (res, row, *c++, mem);
    stage->version = registry_store_text (res, row, *c++, mem);
    stage->needs_review = registry_store_bool (res, row, *c++);
    stage->overridden = registry_store_bool (res, row, *c++);
    stage->override_reason = registry_store_text (res, row, *c++, mem);
    stage->changed_at_us = registry_store_int (res, row, *c++);
    e->stage = stage;

    e->version = (uint64_t) registry_store_int (res, row, *c++);
    e->created_at_us = registry_store_int (res, row, *c++);
    e->updated_at_us = registry_store_int (res, row, *c++);
    assert (c == at->at + S_NAMES);
    if (at->first_loan >= 0 && at->latest_round >= 0) {
        e->first_loan = registry_store_bool (res, row, at->first_loan);
        e->latest_round = (Kj__Round) registry_store_int (res, row,
                                                          at->latest_round);
    }
    return e;
}

//  The tables' columns as parameters $2.. (after the code).
static void
s_add_enterprise_columns (kj_params_t *p, const Kj__Enterprise *e)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        //  NULL: a part the message leaves out (credit, ip), as none
        const void *value = registry_check_enterprise_field (e, f);
        switch (f->kind) {
            case REGISTRY_FIELD_FLAG:
                kj_params_add_bool (p,
                                    value
                                        && *(const protobuf_c_boolean *) value);
                break;
            case REGISTRY_FIELD_COUNT:
                kj_params_add_int (p, value ? *(const int32_t *) value : 0);
                break;
            case REGISTRY_FIELD_TEXT: {
                const char *text = value ? *(char *const *) value : NULL;
                kj_params_add (p, text ? text : "");
                break;
            }
            case REGISTRY_FIELD_DATE:
                kj_params_add_opt (p, value ? *(char *const *) value : NULL);
                break;
            case REGISTRY_FIELD_ENUM:
                registry_store_add_enum (p, f->type, f->prefix,
                                         value ? *(const int *) value : 0);
                break;
        }
    }
}

int
registry_store_enterprise_insert (kj_db_t *db, const Kj__Enterprise *e,
                                  const char *by)
{
    if (kj_db_lock_key (db, "registry.enterprise", e->code))
        return -1;
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, e->code);
    s_add_enterprise_columns (&p, e);
    kj_params_add (&p, by);
    return registry_store_changed (registry_store_run (db, s_insert, &p));
}

int
registry_store_enterprise_lock (kj_db_t *db, const char *code,
                                uint64_t *version)
{
    //  The key's lock first, then the row's (which gives the transaction
    //  its id): see kj_db_lock_key
    if (kj_db_lock_key (db, "registry.enterprise", code))
        return -1;
    const char *params [] = { code };
    PGresult *res =
        kj_db_exec (db,
                    "SELECT version FROM enterprise WHERE code = $1 FOR UPDATE",
                    1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    int64_t stored = 0;
    if (found && version && kj_sql_int64 (res, 0, "version", &stored))
        found = -1;  //  logged
    if (found == 1 && version)
        *version = (uint64_t) stored;
    PQclear (res);
    return found;
}

int
registry_store_enterprise_exists (kj_db_t *db, const char *code)
{
    const char *params [] = { code };
    PGresult *res = kj_db_exec (db, "SELECT 1 FROM enterprise WHERE code = $1",
                                1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    PQclear (res);
    return found;
}

int
registry_store_enterprise_names (kj_db_t *db, const char (*codes) [19],
                                 size_t n, int max, char (*found) [19],
                                 char *names, size_t names_size)
{
    if (n == 0 || max <= 0)
        return 0;
    //  An array literal: codes are of the credit-code set, nothing to quote
    char *array = (char *) malloc (n * 19 + 3);
    assert (array);
    size_t at = 0;
    array [at++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            array [at++] = ',';
        memcpy (array + at, codes [i], 18);
        at += 18;
    }
    array [at++] = '}';
    array [at] = 0;
    char limit [16];
    snprintf (limit, sizeof limit, "%d", max);
    const char *params [] = { array, limit };
    PGresult *res = kj_db_exec (db,
                                "SELECT code, name FROM enterprise "
                                "WHERE code = ANY ($1::text []) "
                                "ORDER BY code LIMIT $2::int",
                                2, params);
    free (array);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    int cols [2];
    if (kj_sql_columns (res, (const char *const []){ "code", "name" }, cols,
                        2)) {
        PQclear (res);
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        snprintf (found [i], 19, "%s", PQgetvalue (res, i, cols [0]));
        const char *name = PQgetvalue (res, i, cols [1]);
        snprintf (names + i * names_size, names_size, "%.*s",
                  kj_utf8_cut (name, names_size - 1), name);
    }
    PQclear (res);
    return rows;
}

int
registry_store_enterprise_save (kj_db_t *db, const Kj__Enterprise *e)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, e->code);
    s_add_enterprise_columns (&p, e);
    return registry_store_changed (registry_store_run (db, s_update, &p));
}

int
registry_store_enterprise_touch (kj_db_t *db, const char *code)
{
    const char *params [] = { code };
    return registry_store_changed (kj_db_run (
        db,
        "UPDATE enterprise SET version = version + 1, updated_at = now () "
        "WHERE code = $1",
        1, params));
}

int
registry_store_enterprise_status (kj_db_t *db, const char *code,
                                  const char *status)
{
    const char *params [] = { code, status };
    return registry_store_changed (
        kj_db_run (db,
                   "UPDATE enterprise SET status = $2, version = version + 1, "
                   "updated_at = now () WHERE code = $1",
                   2, params));
}

int
registry_store_enterprise_stage (kj_db_t *db, const char *code,
                                 const Kj__StageInfo *info, bool moved)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    kj_params_add (&p, registry_stage_name ((registry_stage_t) info->stage));
    kj_params_add (&p, registry_stage_name ((registry_stage_t) info->computed));
    kj_params_add (&p, info->rule);
    kj_params_add (&p, info->reason);
    kj_params_add (&p, info->version);
    kj_params_add_bool (&p, info->needs_review);
    kj_params_add_bool (&p, info->overridden);
    kj_params_add (&p, info->override_reason ? info->override_reason : "");
    kj_params_add_bool (&p, moved);
    return registry_store_changed (registry_store_run (
        db,
        "UPDATE enterprise SET stage = $2, stage_computed = $3, "
        "stage_rule = $4, stage_reason = $5, stage_version = $6, "
        "stage_review = $7, stage_override = $8, stage_override_reason = $9, "
        "stage_at = CASE WHEN $10::boolean THEN now () ELSE stage_at END "
        "WHERE code = $1",
        &p));
}

int
registry_store_enterprise_load (kj_db_t *db, const char *code, bool parts,
                                ProtobufCAllocator *mem, Kj__Enterprise **out)
{
    const char *params [] = { code };
    const char *sql = s_select;
    if (parts)
        sql = kj_db_in_tx (db) ? s_whole_in_tx : s_whole;
    PGresult *res = kj_db_exec (db, sql, 1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    s_at_t at;
    if (found && s_columns_of (res, &at)) {
        PQclear (res);
        return -1;  //  logged
    }
    json_t *all = NULL;
    const char *today = NULL;
    if (found && parts) {
        json_error_t error = { .text = "" };
        today = kj_sql_text (res, 0, "today");
        const char *text = kj_sql_text (res, 0, "parts");
        all = text ? json_loads (text, 0, &error) : NULL;
        if (!today || json_array_size (all) != REGISTRY_STORE_PARTS) {
            //  PostgreSQL wrote it: only a broken server gets here
            kj_error ("registry.parts_json", "code=%s error=\"%s\"", code,
                      error.text);
            json_decref (all);
            PQclear (res);
            return -1;
        }
    }
    if (found) {
        Kj__Enterprise *e = s_enterprise_row (res, 0, &at, mem);
        if (all)
            registry_store_parts_of_json (all, today, e, mem);
        if (parts) {
            //  What the read without parts derives, from the parts read
            e->first_loan = e->n_loans == 0;
            for (size_t i = 0; i < e->n_rounds; i++)
                if (e->rounds [i]->round > e->latest_round)
                    e->latest_round = e->rounds [i]->round;
        }
        *out = e;
    }
    json_decref (all);
    PQclear (res);
    return found;
}

int
registry_store_enterprise_load_each (kj_db_t *db, const char *code,
                                     ProtobufCAllocator *mem,
                                     Kj__Enterprise **out)
{
    const char *params [] = { code };
    kj_db_query_t queries [1 + REGISTRY_STORE_PARTS];
    queries [0] = (kj_db_query_t){ s_select, 1, params };
    for (int i = 0; i < REGISTRY_STORE_PARTS; i++)
        queries [1 + i] = (kj_db_query_t){ registry_store_part_sql [i], 1,
                                           params };
    PGresult *results [1 + REGISTRY_STORE_PARTS];
    if (kj_db_exec_many (db, queries, 1 + REGISTRY_STORE_PARTS, results))
        return -1;
    int found = PQntuples (results [0]) == 1;
    s_at_t at;
    if (found && s_columns_of (results [0], &at))
        found = -1;  //  logged
    if (found == 1) {
        Kj__Enterprise *e = s_enterprise_row (results [0], 0, &at, mem);
        if (registry_store_parts_of_results (results + 1, e, mem))
            found = -1;  //  logged
        else
            *out = e;
    }
    for (int i = 0; i <= REGISTRY_STORE_PARTS; i++)
        PQclear (results [i]);
    return found;
}

int
registry_store_enterprise_list (kj_db_t *db,
                                const registry_store_enterprise_filter_t *f,
                                ProtobufCAllocator *mem, Kj__Enterprise ***out,
                                size_t *n, uint64_t *total, bool *more)
{
    kj_params_t p = { .count = 0 };
    registry_store_add_set (&p, f->n_regions > 0,
                            (const char *const *) f->regions, f->n_regions);
    registry_store_add_set (&p, f->n_stages > 0, f->stages, f->n_stages);
    registry_store_add_set (&p, f->n_statuses > 0, f->statuses, f->n_statuses);
    registry_store_add_set (&p, f->n_qualifications > 0, f->qualifications,
                            f->n_qualifications);
    kj_params_add_owned (&p, registry_store_like (f->name_contains));
    kj_params_add_opt (&p, f->industry);
    kj_params_add (&p, f->after ? f->after : "");
    kj_params_add_int (&p, registry_store_limit (f->limit) + 1);
    PGresult *res = registry_store_exec (db, s_list, &p);
    if (!res)
        return -1;
    s_at_t at;
    int count = kj_sql_column (res, "count");
    if (count < 0 || s_columns_of (res, &at)) {
        kj_error ("registry.list_columns", "count=%d", count);
        PQclear (res);
        return -1;
    }
    *n = registry_store_page_rows (res, f->limit, count, total, more);
    *out = (Kj__Enterprise **) registry_store_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_enterprise_row (res, (int) row, &at, mem);
    PQclear (res);
    return 1;
}
