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

//  --------------------------------------------------------------------------
//  Parts, read. A part's rows come either as the rows of its own
//  statement (registry_store_enterprise_load_each, the reference) or as
//  JSON, an array of rows each an array of values, stored in the
//  enterprise's row at write time (the view enterprise_read of
//  014_enterprise_parts.sql, in the same values and order as the
//  statements below). Each s_parse_* reads one part through s_text,
//  s_int, s_bool and s_enum, which read either the same way: NULL is ""
//  (text), 0 or false, as PQgetvalue gives it. A statement's values are
//  read by name: at gives value i's column, found once per result from
//  the part's names (s_part_names).

typedef struct {
    PGresult *res;      //  the part's own statement, with
    const int *at;      //  its columns of the parser's values; or
    json_t *rows;       //  the part as stored (NULL: no rows)
    const char *today;  //  with rows: the date, as DAY gives it
} s_part_t;

static int
s_count (const s_part_t *part)
{
    return part->res ? PQntuples (part->res)
                     : (int) json_array_size (part->rows);
}

//  The text of value i of row, "" when NULL.
static const char *
s_value (const s_part_t *part, int row, int i)
{
    if (part->res)
        return PQgetvalue (part->res, row, part->at [i]);
    const char *text = json_string_value (
        json_array_get (json_array_get (part->rows, (size_t) row), (size_t) i));
    return text ? text : "";
}

static char *
s_text (const s_part_t *part, int row, int i, ProtobufCAllocator *mem)
{
    const char *text = s_value (part, row, i);
    size_t size = strlen (text) + 1;
    char *copy = (char *) registry_store_alloc (mem, size);
    memcpy (copy, text, size);
    return copy;
}

static int64_t
s_int (const s_part_t *part, int row, int i)
{
    if (part->res)
        return registry_store_int (part->res, row, part->at [i]);
    return (int64_t) json_integer_value (
        json_array_get (json_array_get (part->rows, (size_t) row), (size_t) i));
}

static bool
s_bool (const s_part_t *part, int row, int i)
{
    if (part->res)
        return registry_store_bool (part->res, row, part->at [i]);
    return json_is_true (
        json_array_get (json_array_get (part->rows, (size_t) row), (size_t) i));
}

static int
s_enum (const s_part_t *part, int row, int i,
        const ProtobufCEnumDescriptor *descriptor, const char *prefix)
{
    int value = kj_check_enum_value (descriptor, prefix,
                                     s_value (part, row, i));
    return value < 0 ? 0 : value;
}

static void
s_parse_figures (const s_part_t *part, Kj__Enterprise *e,
                 ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->figures = (Kj__YearFigures **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__YearFigures *f = (Kj__YearFigures *)
            registry_store_alloc (mem, sizeof *f);
        kj__year_figures__init (f);
        f->year = (int32_t) s_int (part, row, 0);
        for (int i = 0; i < REGISTRY_FIGURES; i++)
            registry_check_figure_set (f, i, s_int (part, row, 1 + i));
        //  "rnd,staff": names of [a-z-] only (checked when stored)
        const char *names = s_value (part, row, 10);
        size_t count = *names ? 1 : 0;
        for (const char *c = names; *c; c++)
            count += *c == ',';
        f->not_reported = (char **) registry_store_pointers (mem, count);
        for (const char *c = names; *c;) {
            size_t size = strcspn (c, ",");
            char *name = (char *) registry_store_alloc (mem, size + 1);
            memcpy (name, c, size);
            f->not_reported [f->n_not_reported++] = name;
            c += size + (c [size] == ',');
        }
        e->figures [row] = f;
    }
    e->n_figures = (size_t) n;
}

static Kj__Qualification *
s_qualification (const s_part_t *part, int row, ProtobufCAllocator *mem)
{
    Kj__Qualification *q = (Kj__Qualification *)
        registry_store_alloc (mem, sizeof *q);
    kj__qualification__init (q);
    q->kind = (Kj__QualificationKind)
        s_enum (part, row, 0, &kj__qualification_kind__descriptor, "QUAL_");
    q->level = (Kj__Level) s_enum (part, row, 1, &kj__level__descriptor,
                                   "LEVEL_");
    q->certificate = s_text (part, row, 2, mem);
    q->granted_on = s_text (part, row, 3, mem);
    q->expires_on = s_text (part, row, 4, mem);
    //  Stored without "expired" (a date passing is no write): DAY's
    //  dates compare as text
    q->expired = part->res ? s_bool (part, row, 5)
                           : strcmp (q->expires_on, part->today) < 0;
    return q;
}

Kj__Qualification *
registry_store_qualification_row (PGresult *res, int row, const int *at,
                                  ProtobufCAllocator *mem)
{
    s_part_t part = { .res = res, .at = at };
    return s_qualification (&part, row, mem);
}

static void
s_parse_qualifications (const s_part_t *part, Kj__Enterprise *e,
                        ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->qualifications = (Kj__Qualification **)
        registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++)
        e->qualifications [row] = s_qualification (part, row, mem);
    e->n_qualifications = (size_t) n;
}

static void
s_parse_awards (const s_part_t *part, Kj__Enterprise *e,
                ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->awards = (Kj__Award **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__Award *a = (Kj__Award *) registry_store_alloc (mem, sizeof *a);
        kj__award__init (a);
        a->name = s_text (part, row, 0, mem);
        a->level = (Kj__Level) s_enum (part, row, 1, &kj__level__descriptor,
                                       "LEVEL_");
        a->year = (int32_t) s_int (part, row, 2);
        a->rank = s_text (part, row, 3, mem);
        e->awards [row] = a;
    }
    e->n_awards = (size_t) n;
}

static void
s_parse_rounds (const s_part_t *part, Kj__Enterprise *e,
                ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->rounds = (Kj__EquityRound **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__EquityRound *r = (Kj__EquityRound *)
            registry_store_alloc (mem, sizeof *r);
        kj__equity_round__init (r);
        r->round = (Kj__Round) s_enum (part, row, 0, &kj__round__descriptor,
                                       "ROUND_");
        r->amount_fen = s_int (part, row, 1);
        r->closed_on = s_text (part, row, 2, mem);
        r->investors = s_text (part, row, 3, mem);
        e->rounds [row] = r;
    }
    e->n_rounds = (size_t) n;
}

static void
s_parse_loans (const s_part_t *part, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->loans = (Kj__BankLoan **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__BankLoan *l = (Kj__BankLoan *) registry_store_alloc (mem,
                                                                 sizeof *l);
        kj__bank_loan__init (l);
        l->lender = s_text (part, row, 0, mem);
        l->amount_fen = s_int (part, row, 1);
        l->drawn_on = s_text (part, row, 2, mem);
        l->matures_on = s_text (part, row, 3, mem);
        l->outstanding = s_bool (part, row, 4);
        e->loans [row] = l;
    }
    e->n_loans = (size_t) n;
}

static void
s_parse_chain_links (const s_part_t *part, Kj__Enterprise *e,
                     ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->chain_links = (Kj__ChainLink **) registry_store_pointers (mem,
                                                                 (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__ChainLink *c = (Kj__ChainLink *) registry_store_alloc (mem,
                                                                   sizeof *c);
        kj__chain_link__init (c);
        c->leader_code = s_text (part, row, 0, mem);
        c->chain = s_text (part, row, 1, mem);
        e->chain_links [row] = c;
    }
    e->n_chain_links = (size_t) n;
}

static void
s_parse_techsme (const s_part_t *part, Kj__Enterprise *e,
                 ProtobufCAllocator *mem)
{
    if (s_count (part) != 1)
        return;
    Kj__TechSmeScore *t = (Kj__TechSmeScore *) registry_store_alloc (mem,
                                                                     sizeof *t);
    kj__tech_sme_score__init (t);
    t->year = (int32_t) s_int (part, 0, 0);
    t->tech_staff_bp = s_int (part, 0, 1);
    t->rnd_sales_bp = s_int (part, 0, 2);
    t->rnd_cost_bp = s_int (part, 0, 3);
    t->tech_staff_score = (int32_t) s_int (part, 0, 4);
    t->rnd_sales_score = (int32_t) s_int (part, 0, 5);
    t->rnd_cost_score = (int32_t) s_int (part, 0, 6);
    t->rnd_score = (int32_t) s_int (part, 0, 7);
    t->ip_score = (int32_t) s_int (part, 0, 8);
    t->total = (int32_t) s_int (part, 0, 9);
    t->eligible = s_bool (part, 0, 10);
    t->reason = s_text (part, 0, 11, mem);
    t->undecided = REGISTRY_TECHSME_UNDECIDED ((unsigned) s_int (part, 0, 12));
    e->techsme = t;
}

typedef void (s_parser_fn) (const s_part_t *, Kj__Enterprise *,
                            ProtobufCAllocator *);
static s_parser_fn *const s_parsers [] = {
    s_parse_figures, s_parse_qualifications, s_parse_awards, s_parse_rounds,
    s_parse_loans,   s_parse_chain_links,    s_parse_techsme
};
#define PARTS (int) (sizeof s_parsers / sizeof s_parsers [0])

//  Each part's values by name, in the order its parser reads them (the
//  output names of the statements below), NULL ended
#define PART_VALUES_MAX 16
static const char *const s_part_names [][PART_VALUES_MAX] = {
    { "year", "revenue_fen", "rnd_fen", "net_profit_fen", "total_assets_fen",
      "operating_cash_flow_fen", "high_tech_revenue_fen", "total_cost_fen",
      "staff", "tech_staff", "not_reported", NULL },
    { "kind", "level", "certificate", "granted_day", "expires_day", "expired",
      NULL },
    { "name", "level", "year", "rank", NULL },
    { "round", "amount_fen", "closed_day", "investors", NULL },
    { "lender", "amount_fen", "drawn_day", "matures_day", "outstanding", NULL },
    { "leader_code", "chain", NULL },
    { "year", "tech_staff_bp", "rnd_sales_bp", "rnd_cost_bp",
      "tech_staff_score", "rnd_sales_score", "rnd_cost_score", "rnd_score",
      "ip_score", "total", "eligible", "reason", "reasons", NULL }
};
_Static_assert(sizeof s_part_names / sizeof s_part_names [0] == PARTS,
               "a name list per part");

//  Part i's columns of res into at: 0, or -1 (logged)
static int
s_part_columns (const PGresult *res, int i, int *at)
{
    int count = 0;
    while (s_part_names [i][count])
        count++;
    return kj_sql_columns (res, s_part_names [i], at, count);
}

int
registry_store_qualification_columns (const PGresult *res, int *at)
{
    //  The qualifications' part, second of s_parsers
    _Static_assert(REGISTRY_STORE_QUALIFICATION_VALUES == 6,
                   "the qualification's names");
    return s_part_columns (res, 1, at);
}

//  Each part's values, in the order its parser reads them, and its order,
//  as enterprise_read stores them too (SQL built with the DAY macro: laid
//  out by hand)
// clang-format off
#define FIGURES_VALUES \
    "year, revenue_fen, rnd_fen, net_profit_fen, total_assets_fen, " \
    "operating_cash_flow_fen, high_tech_revenue_fen, total_cost_fen, " \
    "staff, tech_staff, array_to_string (not_reported, ',') AS not_reported"
#define FIGURES_ORDER "year"
#define QUALIFICATIONS_VALUES \
    "kind, level, certificate, coalesce (" DAY ("granted_on") ", '') " \
    "AS granted_day, " DAY ("expires_on") " AS expires_day, " \
    "expires_on < current_date AS expired"
#define QUALIFICATIONS_ORDER "kind"
#define AWARDS_VALUES "name, level, year, rank"
#define AWARDS_ORDER  "id"
#define ROUNDS_VALUES \
    "round, amount_fen, " DAY ("closed_on") " AS closed_day, investors"
#define ROUNDS_ORDER "closed_on, id"
#define LOANS_VALUES \
    "lender, amount_fen, " DAY ("drawn_on") " AS drawn_day, " \
    "coalesce (" DAY ("matures_on") ", '') AS matures_day, outstanding"
#define LOANS_ORDER  "drawn_on, id"
#define LINKS_VALUES "leader_code, chain"
#define LINKS_ORDER  "leader_code"
#define TECHSME_VALUES \
    "year, tech_staff_bp, rnd_sales_bp, rnd_cost_bp, tech_staff_score, " \
    "rnd_sales_score, rnd_cost_score, rnd_score, ip_score, total, " \
    "eligible, reason, reasons"
#define TECHSME_ORDER "code"

//  A part as its own statement
#define PART_SQL(values, table, order) \
    "SELECT " values " FROM " table " WHERE code = $1 ORDER BY " order

//  The parts one statement each, in the order of s_parsers
static const char *const s_part_sql [] = {
    PART_SQL (FIGURES_VALUES, "figures", FIGURES_ORDER),
    PART_SQL (QUALIFICATIONS_VALUES, "qualification", QUALIFICATIONS_ORDER),
    PART_SQL (AWARDS_VALUES, "award", AWARDS_ORDER),
    PART_SQL (ROUNDS_VALUES, "equity_round", ROUNDS_ORDER),
    PART_SQL (LOANS_VALUES, "loan", LOANS_ORDER),
    PART_SQL (LINKS_VALUES, "chain_link", LINKS_ORDER),
    PART_SQL (TECHSME_VALUES, "techsme_score", TECHSME_ORDER)
};
// clang-format on

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
        if (!today || json_array_size (all) != PARTS) {
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
        for (int i = 0; all && i < PARTS; i++) {
            s_part_t part = { .rows = json_array_get (all, (size_t) i),
                              .today = today };
            s_parsers [i](&part, e, mem);
        }
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
    kj_db_query_t queries [1 + PARTS];
    queries [0] = (kj_db_query_t){ s_select, 1, params };
    for (int i = 0; i < PARTS; i++)
        queries [1 + i] = (kj_db_query_t){ s_part_sql [i], 1, params };
    PGresult *results [1 + PARTS];
    if (kj_db_exec_many (db, queries, 1 + PARTS, results))
        return -1;
    int found = PQntuples (results [0]) == 1;
    s_at_t at;
    if (found && s_columns_of (results [0], &at))
        found = -1;  //  logged
    int part_at [PARTS][PART_VALUES_MAX];
    for (int i = 0; found == 1 && i < PARTS; i++)
        if (s_part_columns (results [1 + i], i, part_at [i]))
            found = -1;  //  logged
    if (found == 1) {
        Kj__Enterprise *e = s_enterprise_row (results [0], 0, &at, mem);
        for (int i = 0; i < PARTS; i++) {
            s_part_t part = { .res = results [1 + i], .at = part_at [i] };
            s_parsers [i](&part, e, mem);
        }
        *out = e;
    }
    for (int i = 0; i <= PARTS; i++)
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
