/*  =========================================================================
    registry_store - every SQL statement of kejin-registry

    Each statement is one literal (kj_db prepares it once per connection).
    Optional filters are parameters that may be NULL ("$1::text[] IS NULL
    OR ..."), so that a list or a search is one fixed statement whatever
    the request asks. Sets go as text[] literals built from values the
    server validated. Lists page by key (code or id) and count the matching
    rows with a window over the filtered rows.
    =========================================================================
*/

#include "kejin.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"

#define US(column)  "(extract (epoch FROM " column ") * 1000000)::bigint"
#define DAY(column) "to_char (" column ", 'YYYY-MM-DD')"

//  A set that filters only when `given`.
static void
s_add_set (kj_params_t *p, bool given, const char *const *items, size_t n)
{
    if (given)
        kj_params_add_array (p, items, n);
    else
        kj_params_add (p, NULL);
}

//  What running a statement that changes one row says: 1 if it did, 0 if
//  no row matched, -1 on error.
static int
s_changed (int64_t rows)
{
    return rows < 0 ? -1 : rows == 1;
}

static PGresult *
s_exec (kj_db_t *db, const char *sql, kj_params_t *p)
{
    PGresult *res = kj_db_exec (db, sql, p->count, p->values);
    kj_params_reset (p);
    return res;
}

static int64_t
s_run (kj_db_t *db, const char *sql, kj_params_t *p)
{
    int64_t rows = kj_db_run (db, sql, p->count, p->values);
    kj_params_reset (p);
    return rows;
}

//  --------------------------------------------------------------------------
//  Reading values

static void *
s_alloc (ProtobufCAllocator *mem, size_t size)
{
    void *ptr = mem->alloc (mem->allocator_data, size);
    assert (ptr);
    memset (ptr, 0, size);
    return ptr;
}

//  An array of n pointers (of the items of a repeated field); NULL if none.
static void *
s_pointers (ProtobufCAllocator *mem, size_t n)
{
    return n ? s_alloc (mem, n * sizeof (void *)) : NULL;
}

static char *
s_strdup (ProtobufCAllocator *mem, const char *text)
{
    size_t size = strlen (text) + 1;
    char *copy = (char *) s_alloc (mem, size);
    memcpy (copy, text, size);
    return copy;
}

static char *
s_text (PGresult *res, int row, int column, ProtobufCAllocator *mem)
{
    return s_strdup (mem, PQgetvalue (res, row, column));
}

static int64_t
s_int (PGresult *res, int row, int column)
{
    return strtoll (PQgetvalue (res, row, column), NULL, 10);
}

static bool
s_bool (PGresult *res, int row, int column)
{
    return PQgetvalue (res, row, column) [0] == 't';
}

static int
s_enum (PGresult *res, int row, int column,
        const ProtobufCEnumDescriptor *descriptor, const char *prefix)
{
    int value = kj_check_enum_value (descriptor, prefix,
                                     PQgetvalue (res, row, column));
    return value < 0 ? 0 : value;
}

//  The elements of a text[] as PostgreSQL writes it ({a,b} or {"a b"}).
static char **
s_array (PGresult *res, int row, int column, ProtobufCAllocator *mem, size_t *n)
{
    const char *text = PQgetvalue (res, row, column);
    size_t length = strlen (text);
    *n = 0;
    if (length < 2 || text [0] != '{' || length == 2)
        return NULL;
    size_t count = 1;
    for (size_t i = 1; i + 1 < length; i++)
        count += text [i] == ',';
    char **items = (char **) s_alloc (mem, count * sizeof (char *));
    char *buffer = (char *) s_alloc (mem, length);
    size_t at = 0;
    bool quoted = false;
    char *start = buffer;
    for (size_t i = 1; i + 1 < length; i++) {
        char c = text [i];
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (c == '\\' && i + 2 < length) {
            buffer [at++] = text [++i];
            continue;
        }
        if (c == ',' && !quoted) {
            buffer [at++] = 0;
            items [(*n)++] = start;
            start = buffer + at;
            continue;
        }
        buffer [at++] = c;
    }
    buffer [at] = 0;
    items [(*n)++] = start;
    return items;
}

//  An enum array column as values.
static int *
s_enum_array (PGresult *res, int row, int column, ProtobufCAllocator *mem,
              const ProtobufCEnumDescriptor *descriptor, const char *prefix,
              size_t *n)
{
    size_t count;
    char **names = s_array (res, row, column, mem, &count);
    int *values = count ? (int *) s_alloc (mem, count * sizeof (int)) : NULL;
    *n = 0;
    for (size_t i = 0; i < count; i++) {
        int value = kj_check_enum_value (descriptor, prefix, names [i]);
        if (value > 0)
            values [(*n)++] = value;
    }
    return values;
}

//  Stored names of enum values, as a text[] parameter.
static void
s_add_enum_array (kj_params_t *p, const int *values, size_t n,
                  const ProtobufCEnumDescriptor *descriptor, const char *prefix)
{
    const char *names [64];
    char buffers [64][48];
    size_t count = 0;
    for (size_t i = 0; i < n && count < 64; i++) {
        const char *name = kj_check_enum_name (descriptor, prefix, values [i],
                                               buffers [count], 48);
        bool seen = false;
        for (size_t j = 0; j < count && name && !seen; j++)
            seen = strcmp (names [j], name) == 0;
        if (name && !seen)
            names [count++] = name;
    }
    kj_params_add_array (p, names, count);
}

static void
s_add_enum (kj_params_t *p, const ProtobufCEnumDescriptor *descriptor,
            const char *prefix, int value)
{
    char buffer [48];
    const char *name = kj_check_enum_name (descriptor, prefix, value, buffer,
                                           sizeof buffer);
    kj_params_add_owned (p, strdup (name ? name : ""));
}

//  A pattern for ILIKE that matches text anywhere, literally.
static char *
s_like (const char *text)
{
    if (!text || !*text)
        return NULL;
    char *pattern = (char *) malloc (2 * strlen (text) + 3);
    assert (pattern);
    size_t at = 0;
    pattern [at++] = '%';
    for (const char *c = text; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            pattern [at++] = '\\';
        pattern [at++] = *c;
    }
    pattern [at++] = '%';
    pattern [at] = 0;
    return pattern;
}

static int
s_limit (int limit)
{
    return limit <= 0                      ? REGISTRY_STORE_PAGE_DEFAULT
         : limit > REGISTRY_STORE_PAGE_MAX ? REGISTRY_STORE_PAGE_MAX
                                           : limit;
}

//  The rows of a page to read: at most limit of those res holds (a list
//  asks one more, to tell whether more follow), with the count of all
//  matching rows from its column total_column (count (*) OVER ()).
static size_t
s_page_rows (PGresult *res, int limit, int total_column, uint64_t *total,
             bool *more)
{
    size_t n = (size_t) PQntuples (res);
    *more = n > (size_t) s_limit (limit);
    if (*more)
        n = (size_t) s_limit (limit);
    *total = n ? (uint64_t) s_int (res, 0, total_column) : 0;
    return n;
}

//  --------------------------------------------------------------------------

int
registry_store_today (kj_db_t *db, kj_date_t *today)
{
    PGresult *res = kj_db_exec (db,
                                "SELECT extract (year FROM current_date)::int, "
                                "extract (month FROM current_date)::int, "
                                "extract (day FROM current_date)::int",
                                0, NULL);
    if (!res)
        return -1;
    today->year = (int) s_int (res, 0, 0);
    today->month = (int) s_int (res, 0, 1);
    today->day = (int) s_int (res, 0, 2);
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Enterprises

//  SQL built with the DAY and US macros: laid out by hand
// clang-format off
#define ENTERPRISE_COLUMNS \
    "e.code, e.name, e.region, e.industry, " \
    "coalesce (" DAY ("e.founded_on") ", ''), e.size_class, e.status, " \
    "e.stage, e.stage_computed, e.stage_rule, e.stage_reason, " \
    "e.stage_version, e.stage_review, e.stage_override, " \
    "e.stage_override_reason, coalesce (" US ("e.stage_at") ", 0), " \
    "e.listing_tutoring, e.board_standard, e.chain_leader, e.dishonest, " \
    "e.abnormal, e.tax_grade, e.invention_patents, e.class2_ip, " \
    "e.pledged_ip, e.version, " US ("e.created_at") ", " \
    US ("e.updated_at") ", " \
    "NOT EXISTS (SELECT 1 FROM loan l WHERE l.code = e.code), " \
    "coalesce ((SELECT max (array_position (ARRAY['seed', 'angel', 'a', " \
    "'b', 'c_plus', 'pre_ipo'], r.round)) FROM equity_round r " \
    "WHERE r.code = e.code), 0)"
// clang-format on

static Kj__Enterprise *
s_enterprise_row (PGresult *res, int row, ProtobufCAllocator *mem)
{
    Kj__Enterprise *e = (Kj__Enterprise *) s_alloc (mem, sizeof *e);
    kj__enterprise__init (e);
    e->code = s_text (res, row, 0, mem);
    e->name = s_text (res, row, 1, mem);
    e->region = s_text (res, row, 2, mem);
    e->industry = s_text (res, row, 3, mem);
    e->founded_on = s_text (res, row, 4, mem);
    e->size_class = (Kj__SizeClass) s_enum (res, row, 5,
                                            &kj__size_class__descriptor,
                                            "SIZE_");
    int status = registry_entry_state_from_name (PQgetvalue (res, row, 6));
    e->status = (Kj__EntryStatus) (status < 0 ? 0 : status);

    Kj__StageInfo *stage = (Kj__StageInfo *) s_alloc (mem, sizeof *stage);
    kj__stage_info__init (stage);
    int value = registry_stage_from_name (PQgetvalue (res, row, 7));
    stage->stage = (Kj__Stage) (value < 0 ? 0 : value);
    value = registry_stage_from_name (PQgetvalue (res, row, 8));
    stage->computed = (Kj__Stage) (value < 0 ? 0 : value);
    stage->rule = s_text (res, row, 9, mem);
    stage->reason = s_text (res, row, 10, mem);
    stage->version = s_text (res, row, 11, mem);
    stage->needs_review = s_bool (res, row, 12);
    stage->overridden = s_bool (res, row, 13);
    stage->override_reason = s_text (res, row, 14, mem);
    stage->changed_at_us = s_int (res, row, 15);
    e->stage = stage;

    e->listing_tutoring = s_bool (res, row, 16);
    e->board_standard = s_bool (res, row, 17);
    e->chain_leader = s_bool (res, row, 18);
    Kj__CreditFlags *credit = (Kj__CreditFlags *) s_alloc (mem, sizeof *credit);
    kj__credit_flags__init (credit);
    credit->dishonest = s_bool (res, row, 19);
    credit->abnormal = s_bool (res, row, 20);
    credit->tax_grade = s_text (res, row, 21, mem);
    e->credit = credit;
    Kj__IpAssets *ip = (Kj__IpAssets *) s_alloc (mem, sizeof *ip);
    kj__ip_assets__init (ip);
    ip->invention_patents = (int32_t) s_int (res, row, 22);
    ip->class2_ip = (int32_t) s_int (res, row, 23);
    ip->pledged_ip = (int32_t) s_int (res, row, 24);
    e->ip = ip;
    e->version = (uint64_t) s_int (res, row, 25);
    e->created_at_us = s_int (res, row, 26);
    e->updated_at_us = s_int (res, row, 27);
    e->first_loan = s_bool (res, row, 28);
    e->latest_round = (Kj__Round) s_int (res, row, 29);
    return e;
}

//  The enterprise's own columns as parameters $2.. (after the code).
static void
s_add_enterprise_columns (kj_params_t *p, const Kj__Enterprise *e)
{
    kj_params_add (p, e->name);
    kj_params_add (p, e->region);
    kj_params_add (p, e->industry ? e->industry : "");
    kj_params_add_opt (p, e->founded_on);
    s_add_enum (p, &kj__size_class__descriptor, "SIZE_", e->size_class);
    kj_params_add_bool (p, e->listing_tutoring);
    kj_params_add_bool (p, e->board_standard);
    kj_params_add_bool (p, e->chain_leader);
    kj_params_add_bool (p, e->credit && e->credit->dishonest);
    kj_params_add_bool (p, e->credit && e->credit->abnormal);
    kj_params_add (p, e->credit && e->credit->tax_grade ? e->credit->tax_grade
                                                        : "");
    kj_params_add_int (p, e->ip ? e->ip->invention_patents : 0);
    kj_params_add_int (p, e->ip ? e->ip->class2_ip : 0);
    kj_params_add_int (p, e->ip ? e->ip->pledged_ip : 0);
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
    return s_changed (s_run (
        db,
        "INSERT INTO enterprise (code, name, region, industry, founded_on, "
        "size_class, listing_tutoring, board_standard, chain_leader, "
        "dishonest, abnormal, tax_grade, invention_patents, class2_ip, "
        "pledged_ip, created_by) VALUES ($1, $2, $3, $4, $5::date, $6, $7, "
        "$8, $9, $10, $11, $12, $13, $14, $15, $16) "
        "ON CONFLICT (code) DO NOTHING",
        &p));
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
    if (found && version)
        *version = (uint64_t) s_int (res, 0, 0);
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
    for (int i = 0; i < rows; i++) {
        snprintf (found [i], 19, "%s", PQgetvalue (res, i, 0));
        const char *name = PQgetvalue (res, i, 1);
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
    return s_changed (
        s_run (db,
               "UPDATE enterprise SET name = $2, region = $3, industry = $4, "
               "founded_on = $5::date, size_class = $6, listing_tutoring = $7, "
               "board_standard = $8, chain_leader = $9, dishonest = $10, "
               "abnormal = $11, tax_grade = $12, invention_patents = $13, "
               "class2_ip = $14, pledged_ip = $15, version = version + 1, "
               "updated_at = now () WHERE code = $1",
               &p));
}

int
registry_store_enterprise_touch (kj_db_t *db, const char *code)
{
    const char *params [] = { code };
    return s_changed (kj_db_run (
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
    return s_changed (
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
    return s_changed (s_run (
        db,
        "UPDATE enterprise SET stage = $2, stage_computed = $3, "
        "stage_rule = $4, stage_reason = $5, stage_version = $6, "
        "stage_review = $7, stage_override = $8, stage_override_reason = $9, "
        "stage_at = CASE WHEN $10::boolean THEN now () ELSE stage_at END "
        "WHERE code = $1",
        &p));
}

//  --------------------------------------------------------------------------
//  Parts, read. An enterprise and its seven parts are eight statements
//  sent in one round trip (kj_db_exec_many); each s_parse_* reads one.

static void
s_parse_figures (PGresult *res, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    size_t n = (size_t) PQntuples (res);
    e->figures = (Kj__YearFigures **) s_pointers (mem, n);
    for (size_t row = 0; row < n; row++) {
        Kj__YearFigures *f = (Kj__YearFigures *) s_alloc (mem, sizeof *f);
        kj__year_figures__init (f);
        f->year = (int32_t) s_int (res, (int) row, 0);
        f->revenue_fen = s_int (res, (int) row, 1);
        f->rnd_fen = s_int (res, (int) row, 2);
        f->net_profit_fen = s_int (res, (int) row, 3);
        f->total_assets_fen = s_int (res, (int) row, 4);
        f->operating_cash_flow_fen = s_int (res, (int) row, 5);
        f->high_tech_revenue_fen = s_int (res, (int) row, 6);
        f->total_cost_fen = s_int (res, (int) row, 7);
        f->staff = (int32_t) s_int (res, (int) row, 8);
        f->tech_staff = (int32_t) s_int (res, (int) row, 9);
        //  "rnd,staff": names of [a-z-] only (checked when stored)
        const char *names = PQgetvalue (res, (int) row, 10);
        size_t count = *names ? 1 : 0;
        for (const char *c = names; *c; c++)
            count += *c == ',';
        f->not_reported = (char **) s_pointers (mem, count);
        for (const char *c = names; *c;) {
            size_t size = strcspn (c, ",");
            char *name = (char *) s_alloc (mem, size + 1);
            memcpy (name, c, size);
            f->not_reported [f->n_not_reported++] = name;
            c += size + (c [size] == ',');
        }
        e->figures [row] = f;
    }
    e->n_figures = n;
}

static Kj__Qualification *
s_qualification_row (PGresult *res, int row, ProtobufCAllocator *mem)
{
    Kj__Qualification *q = (Kj__Qualification *) s_alloc (mem, sizeof *q);
    kj__qualification__init (q);
    q->kind = (Kj__QualificationKind)
        s_enum (res, row, 0, &kj__qualification_kind__descriptor, "QUAL_");
    q->level = (Kj__Level) s_enum (res, row, 1, &kj__level__descriptor,
                                   "LEVEL_");
    q->certificate = s_text (res, row, 2, mem);
    q->granted_on = s_text (res, row, 3, mem);
    q->expires_on = s_text (res, row, 4, mem);
    q->expired = s_bool (res, row, 5);
    return q;
}

static void
s_parse_qualifications (PGresult *res, Kj__Enterprise *e,
                        ProtobufCAllocator *mem)
{
    size_t n = (size_t) PQntuples (res);
    e->qualifications = (Kj__Qualification **) s_pointers (mem, n);
    for (size_t row = 0; row < n; row++)
        e->qualifications [row] = s_qualification_row (res, (int) row, mem);
    e->n_qualifications = n;
}

static void
s_parse_awards (PGresult *res, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    size_t n = (size_t) PQntuples (res);
    e->awards = (Kj__Award **) s_pointers (mem, n);
    for (size_t row = 0; row < n; row++) {
        Kj__Award *a = (Kj__Award *) s_alloc (mem, sizeof *a);
        kj__award__init (a);
        a->name = s_text (res, (int) row, 0, mem);
        a->level = (Kj__Level) s_enum (res, (int) row, 1,
                                       &kj__level__descriptor, "LEVEL_");
        a->year = (int32_t) s_int (res, (int) row, 2);
        a->rank = s_text (res, (int) row, 3, mem);
        e->awards [row] = a;
    }
    e->n_awards = n;
}

static void
s_parse_rounds (PGresult *res, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    size_t n = (size_t) PQntuples (res);
    e->rounds = (Kj__EquityRound **) s_pointers (mem, n);
    for (size_t row = 0; row < n; row++) {
        Kj__EquityRound *r = (Kj__EquityRound *) s_alloc (mem, sizeof *r);
        kj__equity_round__init (r);
        r->round = (Kj__Round) s_enum (res, (int) row, 0,
                                       &kj__round__descriptor, "ROUND_");
        r->amount_fen = s_int (res, (int) row, 1);
        r->closed_on = s_text (res, (int) row, 2, mem);
        r->investors = s_text (res, (int) row, 3, mem);
        e->rounds [row] = r;
    }
    e->n_rounds = n;
}

static void
s_parse_loans (PGresult *res, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    size_t n = (size_t) PQntuples (res);
    e->loans = (Kj__BankLoan **) s_pointers (mem, n);
    for (size_t row = 0; row < n; row++) {
        Kj__BankLoan *l = (Kj__BankLoan *) s_alloc (mem, sizeof *l);
        kj__bank_loan__init (l);
        l->lender = s_text (res, (int) row, 0, mem);
        l->amount_fen = s_int (res, (int) row, 1);
        l->drawn_on = s_text (res, (int) row, 2, mem);
        l->matures_on = s_text (res, (int) row, 3, mem);
        l->outstanding = s_bool (res, (int) row, 4);
        e->loans [row] = l;
    }
    e->n_loans = n;
}

static void
s_parse_chain_links (PGresult *res, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    size_t n = (size_t) PQntuples (res);
    e->chain_links = (Kj__ChainLink **) s_pointers (mem, n);
    for (size_t row = 0; row < n; row++) {
        Kj__ChainLink *c = (Kj__ChainLink *) s_alloc (mem, sizeof *c);
        kj__chain_link__init (c);
        c->leader_code = s_text (res, (int) row, 0, mem);
        c->chain = s_text (res, (int) row, 1, mem);
        e->chain_links [row] = c;
    }
    e->n_chain_links = n;
}

static void
s_parse_techsme (PGresult *res, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    if (PQntuples (res) != 1)
        return;
    Kj__TechSmeScore *t = (Kj__TechSmeScore *) s_alloc (mem, sizeof *t);
    kj__tech_sme_score__init (t);
    t->year = (int32_t) s_int (res, 0, 0);
    t->tech_staff_bp = s_int (res, 0, 1);
    t->rnd_sales_bp = s_int (res, 0, 2);
    t->rnd_cost_bp = s_int (res, 0, 3);
    t->tech_staff_score = (int32_t) s_int (res, 0, 4);
    t->rnd_sales_score = (int32_t) s_int (res, 0, 5);
    t->rnd_cost_score = (int32_t) s_int (res, 0, 6);
    t->rnd_score = (int32_t) s_int (res, 0, 7);
    t->ip_score = (int32_t) s_int (res, 0, 8);
    t->total = (int32_t) s_int (res, 0, 9);
    t->eligible = s_bool (res, 0, 10);
    t->reason = s_text (res, 0, 11, mem);
    t->undecided = REGISTRY_TECHSME_UNDECIDED ((unsigned) s_int (res, 0, 12));
    e->techsme = t;
}

//  The parts of an enterprise, in the order of s_parsers
static const char *const s_part_sql [] = {
    "SELECT year, revenue_fen, rnd_fen, net_profit_fen, total_assets_fen, "
    "operating_cash_flow_fen, high_tech_revenue_fen, total_cost_fen, "
    "staff, tech_staff, array_to_string (not_reported, ',') FROM figures "
    "WHERE code = $1 ORDER BY year",
    "SELECT kind, level, certificate, "
    "coalesce (" DAY ("granted_on") ", ''), " DAY (
        "expires_on") ", "
                      "expires_on < current_date FROM qualification WHERE code "
                      "= $1 "
                      "ORDER BY kind",
    "SELECT name, level, year, rank FROM award WHERE code = $1 ORDER BY id",
    "SELECT round, amount_fen, " DAY (
        "closed_on") ", investors "
                     "FROM equity_round WHERE code = $1 ORDER BY closed_on, id",
    "SELECT lender, amount_fen, " DAY (
        "drawn_on") ", "
                    "coalesce (" DAY (
                        "matures_on") ", ''), outstanding FROM loan "
                                      "WHERE code = $1 ORDER BY drawn_on, id",
    "SELECT leader_code, chain FROM chain_link WHERE code = $1 "
    "ORDER BY leader_code",
    "SELECT year, tech_staff_bp, rnd_sales_bp, rnd_cost_bp, "
    "tech_staff_score, rnd_sales_score, rnd_cost_score, rnd_score, "
    "ip_score, total, eligible, reason, reasons FROM techsme_score "
    "WHERE code = $1"
};

typedef void (s_parser_fn) (PGresult *, Kj__Enterprise *, ProtobufCAllocator *);
static s_parser_fn *const s_parsers [] = {
    s_parse_figures, s_parse_qualifications, s_parse_awards, s_parse_rounds,
    s_parse_loans,   s_parse_chain_links,    s_parse_techsme
};
#define PARTS (int) (sizeof s_parsers / sizeof s_parsers [0])

int
registry_store_enterprise_load (kj_db_t *db, const char *code, bool parts,
                                ProtobufCAllocator *mem, Kj__Enterprise **out)
{
    const char *params [] = { code };
    kj_db_query_t queries [1 + PARTS];
    queries [0] = (kj_db_query_t){ "SELECT " ENTERPRISE_COLUMNS
                                   " FROM enterprise e WHERE e.code = $1",
                                   1, params };
    for (int i = 0; i < PARTS; i++)
        queries [1 + i] = (kj_db_query_t){ s_part_sql [i], 1, params };
    PGresult *results [1 + PARTS];
    int count = parts ? 1 + PARTS : 1;
    if (kj_db_exec_many (db, queries, count, results))
        return -1;
    int found = PQntuples (results [0]) == 1;
    if (found) {
        Kj__Enterprise *e = s_enterprise_row (results [0], 0, mem);
        for (int i = 1; i < count; i++)
            s_parsers [i - 1](results [i], e, mem);
        *out = e;
    }
    for (int i = 0; i < count; i++)
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
    s_add_set (&p, f->n_regions > 0, (const char *const *) f->regions,
               f->n_regions);
    s_add_set (&p, f->n_stages > 0, f->stages, f->n_stages);
    s_add_set (&p, f->n_statuses > 0, f->statuses, f->n_statuses);
    s_add_set (&p, f->n_qualifications > 0, f->qualifications,
               f->n_qualifications);
    kj_params_add_owned (&p, s_like (f->name_contains));
    kj_params_add_opt (&p, f->industry);
    kj_params_add (&p, f->after ? f->after : "");
    kj_params_add_int (&p, s_limit (f->limit) + 1);
    PGresult *res = s_exec (
        db,
        "SELECT * FROM (SELECT " ENTERPRISE_COLUMNS ", count (*) OVER () "
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
        "WHERE s.code > $7::text ORDER BY s.code LIMIT $8::int",
        &p);
    if (!res)
        return -1;
    *n = s_page_rows (res, f->limit, 30, total, more);
    *out = (Kj__Enterprise **) s_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_enterprise_row (res, (int) row, mem);
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Parts, written

int
registry_store_figures_put (kj_db_t *db, const char *code,
                            Kj__YearFigures *const *figures, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Kj__YearFigures *f = figures [i];
        kj_params_t p = { .count = 0 };
        kj_params_add (&p, code);
        kj_params_add_int (&p, f->year);
        kj_params_add_int (&p, f->revenue_fen);
        kj_params_add_int (&p, f->rnd_fen);
        kj_params_add_int (&p, f->net_profit_fen);
        kj_params_add_int (&p, f->total_assets_fen);
        kj_params_add_int (&p, f->operating_cash_flow_fen);
        kj_params_add_int (&p, f->high_tech_revenue_fen);
        kj_params_add_int (&p, f->total_cost_fen);
        kj_params_add_int (&p, f->staff);
        kj_params_add_int (&p, f->tech_staff);
        //  As an array literal: the names were checked ([a-z-] only)
        char names [160] = "{";
        for (size_t n = 0; n < f->n_not_reported; n++)
            snprintf (names + strlen (names), sizeof names - strlen (names),
                      "%s%s", n ? "," : "", f->not_reported [n]);
        strcat (names, "}");
        kj_params_add (&p, names);
        if (s_run (
                db,
                "INSERT INTO figures (code, year, revenue_fen, rnd_fen, "
                "net_profit_fen, total_assets_fen, operating_cash_flow_fen, "
                "high_tech_revenue_fen, total_cost_fen, staff, tech_staff, "
                "not_reported) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                "ON CONFLICT (code, year) DO UPDATE SET "
                "revenue_fen = excluded.revenue_fen, rnd_fen = "
                "excluded.rnd_fen, "
                "net_profit_fen = excluded.net_profit_fen, "
                "total_assets_fen = excluded.total_assets_fen, "
                "operating_cash_flow_fen = excluded.operating_cash_flow_fen, "
                "high_tech_revenue_fen = excluded.high_tech_revenue_fen, "
                "total_cost_fen = excluded.total_cost_fen, "
                "staff = excluded.staff, tech_staff = excluded.tech_staff, "
                "not_reported = excluded.not_reported, updated_at = now ()",
                &p)
            != 1)
            return -1;
    }
    return 1;
}

//  The parameters $2.. of the i-th of a part's items (the code is $1).
typedef void (s_item_fn) (kj_params_t *p, const void *items, size_t i);

//  Replace the rows of one of an enterprise's parts: delete them, then
//  insert each of the n items with the parameters add_item gives.
static int
s_replace (kj_db_t *db, const char *delete_sql, const char *insert_sql,
           const char *code, const void *items, size_t n, s_item_fn *add_item)
{
    const char *params [] = { code };
    if (kj_db_run (db, delete_sql, 1, params) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        kj_params_t p = { .count = 0 };
        kj_params_add (&p, code);
        add_item (&p, items, i);
        if (s_run (db, insert_sql, &p) != 1)
            return -1;
    }
    return 1;
}

static void
s_add_award (kj_params_t *p, const void *items, size_t i)
{
    const Kj__Award *a = ((Kj__Award *const *) items) [i];
    kj_params_add (p, a->name);
    s_add_enum (p, &kj__level__descriptor, "LEVEL_", a->level);
    kj_params_add_int (p, a->year);
    kj_params_add (p, a->rank ? a->rank : "");
}

int
registry_store_awards_replace (kj_db_t *db, const char *code,
                               Kj__Award *const *awards, size_t n)
{
    return s_replace (db, "DELETE FROM award WHERE code = $1",
                      "INSERT INTO award (code, name, level, year, rank) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      code, awards, n, s_add_award);
}

static void
s_add_round (kj_params_t *p, const void *items, size_t i)
{
    const Kj__EquityRound *r = ((Kj__EquityRound *const *) items) [i];
    s_add_enum (p, &kj__round__descriptor, "ROUND_", r->round);
    kj_params_add_int (p, r->amount_fen);
    kj_params_add (p, r->closed_on);
    kj_params_add (p, r->investors ? r->investors : "");
}

int
registry_store_rounds_replace (kj_db_t *db, const char *code,
                               Kj__EquityRound *const *rounds, size_t n)
{
    return s_replace (
        db, "DELETE FROM equity_round WHERE code = $1",
        "INSERT INTO equity_round (code, round, amount_fen, closed_on, "
        "investors) VALUES ($1, $2, $3, $4::date, $5)",
        code, rounds, n, s_add_round);
}

static void
s_add_loan (kj_params_t *p, const void *items, size_t i)
{
    const Kj__BankLoan *l = ((Kj__BankLoan *const *) items) [i];
    kj_params_add (p, l->lender);
    kj_params_add_int (p, l->amount_fen);
    kj_params_add (p, l->drawn_on);
    kj_params_add_opt (p, l->matures_on);
    kj_params_add_bool (p, l->outstanding);
}

int
registry_store_loans_replace (kj_db_t *db, const char *code,
                              Kj__BankLoan *const *loans, size_t n)
{
    return s_replace (
        db, "DELETE FROM loan WHERE code = $1",
        "INSERT INTO loan (code, lender, amount_fen, drawn_on, matures_on, "
        "outstanding) VALUES ($1, $2, $3, $4::date, $5::date, $6)",
        code, loans, n, s_add_loan);
}

static void
s_add_link (kj_params_t *p, const void *items, size_t i)
{
    const Kj__ChainLink *l = ((Kj__ChainLink *const *) items) [i];
    kj_params_add (p, l->leader_code);
    kj_params_add (p, l->chain ? l->chain : "");
}

int
registry_store_links_replace (kj_db_t *db, const char *code,
                              Kj__ChainLink *const *links, size_t n)
{
    //  The same leader twice: the last chain name wins
    return s_replace (
        db, "DELETE FROM chain_link WHERE code = $1",
        "INSERT INTO chain_link (code, leader_code, chain) VALUES ($1, $2, "
        "$3) ON CONFLICT (code, leader_code) DO UPDATE SET chain = "
        "excluded.chain",
        code, links, n, s_add_link);
}

int
registry_store_qualification_put (kj_db_t *db, const char *code,
                                  const Kj__Qualification *q)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    s_add_enum (&p, &kj__qualification_kind__descriptor, "QUAL_", q->kind);
    if (q->level)
        s_add_enum (&p, &kj__level__descriptor, "LEVEL_", q->level);
    else
        kj_params_add (&p, "");
    kj_params_add (&p, q->certificate ? q->certificate : "");
    kj_params_add_opt (&p, q->granted_on);
    kj_params_add (&p, q->expires_on);
    return s_run (
               db,
               "INSERT INTO qualification (code, kind, level, certificate, "
               "granted_on, expires_on) VALUES ($1, $2, $3, $4, $5::date, "
               "$6::date) "
               "ON CONFLICT (code, kind) DO UPDATE SET level = excluded.level, "
               "certificate = excluded.certificate, "
               "granted_on = excluded.granted_on, expires_on = "
               "excluded.expires_on, "
               "expired = false, added_at = now ()",
               &p)
                == 1
             ? 1
             : -1;
}

int
registry_store_qualification_delete (kj_db_t *db, const char *code, int kind)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    s_add_enum (&p, &kj__qualification_kind__descriptor, "QUAL_", kind);
    return s_changed (
        s_run (db, "DELETE FROM qualification WHERE code = $1 AND kind = $2",
               &p));
}

int
registry_store_techsme_put (kj_db_t *db, const char *code, int year,
                            const registry_techsme_result_t *r)
{
    if (!r) {
        const char *params [] = { code };
        return kj_db_run (db, "DELETE FROM techsme_score WHERE code = $1", 1,
                          params)
                     < 0
                 ? -1
                 : 1;
    }
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    kj_params_add_int (&p, year);
    kj_params_add_int (&p, r->tech_staff_bp);
    kj_params_add_int (&p, r->rnd_sales_bp);
    kj_params_add_int (&p, r->rnd_cost_bp);
    kj_params_add_int (&p, r->tech_staff_score);
    kj_params_add_int (&p, r->rnd_sales_score);
    kj_params_add_int (&p, r->rnd_cost_score);
    kj_params_add_int (&p, r->rnd_score);
    kj_params_add_int (&p, r->ip_score);
    kj_params_add_int (&p, r->total);
    kj_params_add_bool (&p, r->eligible);
    kj_params_add_int (&p, (int64_t) r->reasons);
    kj_params_add (&p, r->reason);
    return s_run (
               db,
               "INSERT INTO techsme_score (code, year, tech_staff_bp, "
               "rnd_sales_bp, "
               "rnd_cost_bp, tech_staff_score, rnd_sales_score, "
               "rnd_cost_score, "
               "rnd_score, ip_score, total, eligible, reasons, reason) VALUES "
               "($1, "
               "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
               "ON CONFLICT (code) DO UPDATE SET year = excluded.year, "
               "tech_staff_bp = excluded.tech_staff_bp, "
               "rnd_sales_bp = excluded.rnd_sales_bp, "
               "rnd_cost_bp = excluded.rnd_cost_bp, "
               "tech_staff_score = excluded.tech_staff_score, "
               "rnd_sales_score = excluded.rnd_sales_score, "
               "rnd_cost_score = excluded.rnd_cost_score, "
               "rnd_score = excluded.rnd_score, ip_score = excluded.ip_score, "
               "total = excluded.total, eligible = excluded.eligible, "
               "reasons = excluded.reasons, reason = excluded.reason, "
               "evaluated_at = now ()",
               &p)
                == 1
             ? 1
             : -1;
}

int
registry_store_expiry_due (kj_db_t *db, int limit, zlist_t *codes)
{
    char text [16];
    snprintf (text, sizeof text, "%d", limit);
    const char *params [] = { text };
    PGresult *res =
        kj_db_exec (db,
                    "SELECT DISTINCT code FROM qualification WHERE NOT expired "
                    "AND expires_on < current_date ORDER BY code LIMIT $1::int",
                    1, params);
    if (!res)
        return -1;
    for (int row = 0; row < PQntuples (res); row++)
        zlist_append (codes, PQgetvalue (res, row, 0));
    int found = PQntuples (res) > 0;
    PQclear (res);
    return found;
}

int
registry_store_expire (kj_db_t *db, const char *code, ProtobufCAllocator *mem,
                       Kj__Qualification ***out, size_t *n)
{
    const char *params [] = { code };
    PGresult *res =
        kj_db_exec (db,
                    "UPDATE qualification SET expired = true WHERE code = $1 "
                    "AND NOT expired AND expires_on < current_date "
                    "RETURNING kind, level, certificate, "
                    "coalesce (" DAY ("granted_on") ", ''), " DAY (
                        "expires_on") ", true",
                    1, params);
    if (!res)
        return -1;
    *n = (size_t) PQntuples (res);
    *out = (Kj__Qualification **) s_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_qualification_row (res, (int) row, mem);
    PQclear (res);
    return *n > 0;
}

//  --------------------------------------------------------------------------
//  Audit trail and rule sets

int
registry_store_audit (kj_db_t *db, const char *who, const char *action,
                      const char *kind, const char *subject, const char *before,
                      const char *after, const char *reason)
{
    const char *params [] = { who,
                              action,
                              kind,
                              subject,
                              before ? before : "",
                              after ? after : "",
                              reason ? reason : "" };
    return kj_db_run (
               db,
               "INSERT INTO audit (who, action, subject_kind, subject, before, "
               "after, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
               7, params)
                == 1
             ? 1
             : -1;
}

int
registry_store_history (kj_db_t *db, const char *kind, const char *subject,
                        int64_t after, int limit, ProtobufCAllocator *mem,
                        Kj__AuditEntry ***out, size_t *n, int64_t *last,
                        uint64_t *total, bool *more)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, kind);
    kj_params_add (&p, subject);
    kj_params_add_int (&p, after);
    kj_params_add_int (&p, s_limit (limit) + 1);
    PGresult *res = s_exec (
        db,
        "SELECT * FROM (SELECT id, " US (
            "at") ", who, action, before, after, "
                  "reason, count (*) OVER () FROM audit WHERE subject_kind = "
                  "$1 "
                  "AND subject = $2) s WHERE s.id > $3::bigint ORDER BY s.id "
                  "LIMIT $4::int",
        &p);
    if (!res)
        return -1;
    *n = s_page_rows (res, limit, 7, total, more);
    *out = (Kj__AuditEntry **) s_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++) {
        Kj__AuditEntry *entry = (Kj__AuditEntry *) s_alloc (mem, sizeof *entry);
        kj__audit_entry__init (entry);
        *last = s_int (res, (int) row, 0);
        entry->at_us = s_int (res, (int) row, 1);
        entry->who = s_text (res, (int) row, 2, mem);
        entry->action = s_text (res, (int) row, 3, mem);
        entry->before = s_text (res, (int) row, 4, mem);
        entry->after = s_text (res, (int) row, 5, mem);
        entry->reason = s_text (res, (int) row, 6, mem);
        (*out) [row] = entry;
    }
    PQclear (res);
    return 1;
}

int
registry_store_stage_rules (kj_db_t *db, const char *version, const char *text)
{
    const char *params [] = { version, text };
    if (kj_db_run (db,
                   "INSERT INTO stage_rules (version, rules) VALUES ($1, $2) "
                   "ON CONFLICT (version) DO NOTHING",
                   2, params)
        < 0)
        return -1;
    PGresult *res =
        kj_db_exec (db, "SELECT rules = $2 FROM stage_rules WHERE version = $1",
                    2, params);
    if (!res)
        return -1;
    int same = PQntuples (res) == 1 && s_bool (res, 0, 0);
    PQclear (res);
    return same;
}

//  --------------------------------------------------------------------------
//  Institutions

//  SQL built with the DAY and US macros: laid out by hand
// clang-format off
#define INSTITUTION_COLUMNS \
    "i.id, i.name, i.type, i.uscc, i.regions::text, i.contact, " \
    "i.sponsor_code, i.status, i.withdraw_reason, i.version, " \
    US ("i.created_at") ", " US ("i.updated_at")
// clang-format on

static Kj__Institution *
s_institution_row (PGresult *res, int row, ProtobufCAllocator *mem)
{
    Kj__Institution *i = (Kj__Institution *) s_alloc (mem, sizeof *i);
    kj__institution__init (i);
    i->id = s_text (res, row, 0, mem);
    i->name = s_text (res, row, 1, mem);
    i->type = (Kj__InstitutionType) s_enum (res, row, 2,
                                            &kj__institution_type__descriptor,
                                            "INSTITUTION_");
    i->uscc = s_text (res, row, 3, mem);
    i->regions = s_array (res, row, 4, mem, &i->n_regions);
    i->contact = s_text (res, row, 5, mem);
    i->sponsor_code = s_text (res, row, 6, mem);
    i->state = s_enum (res, row, 7, &kj__listing_state__descriptor, "LISTING_");
    i->withdraw_reason = s_text (res, row, 8, mem);
    i->version = (uint64_t) s_int (res, row, 9);
    i->created_at_us = s_int (res, row, 10);
    i->updated_at_us = s_int (res, row, 11);
    return i;
}

//  The institution's input columns as parameters, after its id.
static void
s_add_institution_columns (kj_params_t *p, const Kj__Institution *i)
{
    kj_params_add (p, i->name);
    s_add_enum (p, &kj__institution_type__descriptor, "INSTITUTION_", i->type);
    kj_params_add (p, i->uscc ? i->uscc : "");
    kj_params_add_array (p, (const char *const *) i->regions, i->n_regions);
    kj_params_add (p, i->contact ? i->contact : "");
    kj_params_add (p, i->sponsor_code ? i->sponsor_code : "");
}

//  Run an INSERT ... RETURNING id: 1 with the id in id_out (48 bytes), 0
//  when it inserted nothing (a conflict), -1 on error.
static int
s_insert_id (kj_db_t *db, const char *sql, kj_params_t *p, char *id_out)
{
    PGresult *res = s_exec (db, sql, p);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    if (rows == 1)
        snprintf (id_out, 48, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return rows == 1;
}

int
registry_store_institution_insert (kj_db_t *db, const Kj__Institution *i,
                                   char *id_out)
{
    //  A made id may meet one given by hand earlier: take the next
    for (int attempt = 0; attempt < 10; attempt++) {
        kj_params_t p = { .count = 0 };
        kj_params_add_opt (&p, i->id);
        s_add_institution_columns (&p, i);
        int rc = s_insert_id (
            db,
            "INSERT INTO institution (id, name, type, uscc, regions, contact, "
            "sponsor_code) VALUES (coalesce ($1, 'I' || lpad (nextval "
            "('institution_seq')::text, 6, '0')), $2, $3, $4, $5::text[], $6, "
            "$7) ON CONFLICT DO NOTHING RETURNING id",
            &p, id_out);
        if (rc != 0)
            return rc;
        char named [48];
        if ((i->id && *i->id)
            || registry_store_institution_named (db, i->name, named) != 0)
            return 0;
    }
    return 0;
}

int
registry_store_institution_load (kj_db_t *db, const char *id, bool lock,
                                 ProtobufCAllocator *mem, Kj__Institution **out)
{
    const char *params [] = { id };
    if (lock && kj_db_lock_key (db, "registry.institution", id))
        return -1;
    PGresult *res = lock ? kj_db_exec (db,
                                       "SELECT " INSTITUTION_COLUMNS
                                       " FROM institution i "
                                       "WHERE i.id = $1 FOR UPDATE",
                                       1, params)
                         : kj_db_exec (db,
                                       "SELECT " INSTITUTION_COLUMNS
                                       " FROM institution i "
                                       "WHERE i.id = $1",
                                       1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found)
        *out = s_institution_row (res, 0, mem);
    PQclear (res);
    return found;
}

int
registry_store_institution_named (kj_db_t *db, const char *name, char *id_out)
{
    const char *params [] = { name };
    PGresult *res = kj_db_exec (
        db, "SELECT id FROM institution WHERE name = $1 AND status = 'listed'",
        1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found)
        snprintf (id_out, 48, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return found;
}

int
registry_store_institution_save (kj_db_t *db, const Kj__Institution *i)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, i->id);
    s_add_institution_columns (&p, i);
    int64_t rows =
        s_run (db,
               "UPDATE institution SET name = $2, type = $3, uscc = $4, "
               "regions = $5::text[], contact = $6, sponsor_code = $7, "
               "version = version + 1, updated_at = now () WHERE id = $1",
               &p);
    if (rows < 0 && streq (kj_db_sqlstate (db), "23505"))
        return 0;
    return s_changed (rows);
}

int
registry_store_institution_withdraw (kj_db_t *db, const char *id,
                                     const char *reason)
{
    const char *params [] = { id, reason };
    return s_changed (kj_db_run (
        db,
        "UPDATE institution SET status = 'withdrawn', withdraw_reason = $2, "
        "version = version + 1, updated_at = now () WHERE id = $1",
        2, params));
}

int
registry_store_institution_list (kj_db_t *db,
                                 const registry_store_institution_filter_t *f,
                                 ProtobufCAllocator *mem,
                                 Kj__Institution ***out, size_t *n,
                                 uint64_t *total, bool *more)
{
    kj_params_t p = { .count = 0 };
    s_add_set (&p, f->n_types > 0, f->types, f->n_types);
    s_add_set (&p, f->serving != NULL, f->serving, f->n_serving);
    kj_params_add_owned (&p, s_like (f->name_contains));
    kj_params_add_bool (&p, f->include_withdrawn);
    kj_params_add (&p, f->after ? f->after : "");
    kj_params_add_int (&p, s_limit (f->limit) + 1);
    PGresult
        *res = s_exec (db,
                       "SELECT * FROM (SELECT " INSTITUTION_COLUMNS
                       ", count (*) OVER () "
                       "FROM institution i WHERE "
                       "($1::text[] IS NULL OR i.type = ANY ($1::text[])) "
                       "AND ($2::text[] IS NULL OR i.regions && $2::text[]) "
                       "AND ($3::text IS NULL OR i.name ILIKE $3::text) "
                       "AND ($4::boolean OR i.status = 'listed')) s "
                       "WHERE s.id > $5::text ORDER BY s.id LIMIT $6::int",
                       &p);
    if (!res)
        return -1;
    *n = s_page_rows (res, f->limit, 12, total, more);
    *out = (Kj__Institution **) s_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_institution_row (res, (int) row, mem);
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Products

//  SQL built with the DAY and US macros: laid out by hand
// clang-format off
#define PRODUCT_COLUMNS \
    "p.id, p.institution_id, p.name, p.type, p.min_amount_fen, " \
    "p.max_amount_fen, p.min_term_months, p.max_term_months, p.rate_bp, " \
    "p.collateral::text, p.stages::text, p.qualifications::text, " \
    "p.any_qualifications::text, p.min_grade, p.regions::text, " \
    DAY ("p.valid_from") ", coalesce (" DAY ("p.valid_to") ", ''), " \
    "p.description, p.status, p.withdraw_reason, p.version, " \
    US ("p.created_at") ", " US ("p.updated_at") ", i.name, i.type"
// clang-format on

static Kj__Product *
s_product_row (PGresult *res, int row, ProtobufCAllocator *mem)
{
    Kj__Product *p = (Kj__Product *) s_alloc (mem, sizeof *p);
    kj__product__init (p);
    p->id = s_text (res, row, 0, mem);
    p->institution_id = s_text (res, row, 1, mem);
    p->name = s_text (res, row, 2, mem);
    p->type = (Kj__ProductType) s_enum (res, row, 3,
                                        &kj__product_type__descriptor,
                                        "PRODUCT_");
    p->min_amount_fen = s_int (res, row, 4);
    p->max_amount_fen = s_int (res, row, 5);
    p->min_term_months = (int32_t) s_int (res, row, 6);
    p->max_term_months = (int32_t) s_int (res, row, 7);
    p->rate_bp = (int32_t) s_int (res, row, 8);
    p->collateral = (Kj__Collateral *)
        s_enum_array (res, row, 9, mem, &kj__collateral__descriptor,
                      "COLLATERAL_", &p->n_collateral);
    p->stages = (Kj__Stage *) s_enum_array (res, row, 10, mem,
                                            &kj__stage__descriptor, "STAGE_",
                                            &p->n_stages);
    p->qualifications = (Kj__QualificationKind *)
        s_enum_array (res, row, 11, mem, &kj__qualification_kind__descriptor,
                      "QUAL_", &p->n_qualifications);
    p->any_qualifications = (Kj__QualificationKind *)
        s_enum_array (res, row, 12, mem, &kj__qualification_kind__descriptor,
                      "QUAL_", &p->n_any_qualifications);
    p->min_grade = s_text (res, row, 13, mem);
    p->regions = s_array (res, row, 14, mem, &p->n_regions);
    p->valid_from = s_text (res, row, 15, mem);
    p->valid_to = s_text (res, row, 16, mem);
    p->description = s_text (res, row, 17, mem);
    p->state = s_enum (res, row, 18, &kj__listing_state__descriptor,
                       "LISTING_");
    p->withdraw_reason = s_text (res, row, 19, mem);
    p->version = (uint64_t) s_int (res, row, 20);
    p->created_at_us = s_int (res, row, 21);
    p->updated_at_us = s_int (res, row, 22);
    p->institution_name = s_text (res, row, 23, mem);
    p->institution_type = (Kj__InstitutionType)
        s_enum (res, row, 24, &kj__institution_type__descriptor,
                "INSTITUTION_");
    return p;
}

//  The product's input columns as parameters, after its id.
static void
s_add_product_columns (kj_params_t *p, const Kj__Product *product)
{
    kj_params_add (p, product->name);
    s_add_enum (p, &kj__product_type__descriptor, "PRODUCT_", product->type);
    kj_params_add_int (p, product->min_amount_fen);
    kj_params_add_int (p, product->max_amount_fen);
    kj_params_add_int (p, product->min_term_months);
    kj_params_add_int (p, product->max_term_months);
    kj_params_add_int (p, product->rate_bp);
    s_add_enum_array (p, (const int *) product->collateral,
                      product->n_collateral, &kj__collateral__descriptor,
                      "COLLATERAL_");
    s_add_enum_array (p, (const int *) product->stages, product->n_stages,
                      &kj__stage__descriptor, "STAGE_");
    s_add_enum_array (p, (const int *) product->qualifications,
                      product->n_qualifications,
                      &kj__qualification_kind__descriptor, "QUAL_");
    s_add_enum_array (p, (const int *) product->any_qualifications,
                      product->n_any_qualifications,
                      &kj__qualification_kind__descriptor, "QUAL_");
    kj_params_add (p, product->min_grade ? product->min_grade : "");
    kj_params_add_array (p, (const char *const *) product->regions,
                         product->n_regions);
    kj_params_add (p, product->valid_from);
    kj_params_add_opt (p, product->valid_to);
    kj_params_add (p, product->description ? product->description : "");
}

int
registry_store_product_insert (kj_db_t *db, const Kj__Product *product,
                               char *id_out)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        kj_params_t p = { .count = 0 };
        kj_params_add_opt (&p, product->id);
        kj_params_add (&p, product->institution_id);
        s_add_product_columns (&p, product);
        int rc = s_insert_id (
            db,
            "INSERT INTO product (id, institution_id, name, type, "
            "min_amount_fen, max_amount_fen, min_term_months, "
            "max_term_months, rate_bp, collateral, stages, qualifications, "
            "any_qualifications, min_grade, regions, valid_from, valid_to, "
            "description) VALUES (coalesce ($1, 'P' || lpad (nextval "
            "('product_seq')::text, 6, '0')), $2, $3, $4, $5, $6, $7, $8, "
            "$9, $10::text[], $11::text[], $12::text[], $13::text[], $14, "
            "$15::text[], $16::date, $17::date, $18) "
            "ON CONFLICT DO NOTHING RETURNING id",
            &p, id_out);
        if (rc != 0)
            return rc;
        if (product->id && *product->id)
            return 0;
    }
    return 0;
}

int
registry_store_product_load (kj_db_t *db, const char *id, bool lock,
                             ProtobufCAllocator *mem, Kj__Product **out)
{
    const char *params [] = { id };
    if (lock && kj_db_lock_key (db, "registry.product", id))
        return -1;
    PGresult *res =
        lock ? kj_db_exec (db,
                           "SELECT " PRODUCT_COLUMNS " FROM product p "
                           "JOIN institution i ON i.id = p.institution_id "
                           "WHERE p.id = $1 FOR UPDATE OF p",
                           1, params)
             : kj_db_exec (db,
                           "SELECT " PRODUCT_COLUMNS " FROM product p "
                           "JOIN institution i ON i.id = p.institution_id "
                           "WHERE p.id = $1",
                           1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found)
        *out = s_product_row (res, 0, mem);
    PQclear (res);
    return found;
}

int
registry_store_product_save (kj_db_t *db, const Kj__Product *product)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, product->id);
    s_add_product_columns (&p, product);
    return s_changed (s_run (
        db,
        "UPDATE product SET name = $2, type = $3, min_amount_fen = $4, "
        "max_amount_fen = $5, min_term_months = $6, max_term_months = $7, "
        "rate_bp = $8, collateral = $9::text[], stages = $10::text[], "
        "qualifications = $11::text[], any_qualifications = $12::text[], "
        "min_grade = $13, regions = $14::text[], valid_from = $15::date, "
        "valid_to = $16::date, description = $17, version = version + 1, "
        "updated_at = now () WHERE id = $1",
        &p));
}

int
registry_store_product_withdraw (kj_db_t *db, const char *id,
                                 const char *reason)
{
    const char *params [] = { id, reason };
    return s_changed (kj_db_run (
        db,
        "UPDATE product SET status = 'withdrawn', withdraw_reason = $2, "
        "version = version + 1, updated_at = now () WHERE id = $1",
        2, params));
}

int
registry_store_products_listed_of (kj_db_t *db, const char *institution,
                                   zlist_t *ids)
{
    const char *params [] = { institution };
    //  Each product's key lock before any row lock, in id order
    PGresult *res = kj_db_exec (
        db,
        "SELECT pg_advisory_xact_lock (" KJ_LOCK_ENTITY ", hashtext ("
        "'registry.product:' || id)) FROM product WHERE institution_id = $1 "
        "AND status = 'listed' ORDER BY id",
        1, params);
    if (!res)
        return -1;
    PQclear (res);
    res = kj_db_exec (db,
                      "SELECT id FROM product WHERE institution_id = $1 "
                      "AND status = 'listed' ORDER BY id FOR UPDATE",
                      1, params);
    if (!res)
        return -1;
    for (int row = 0; row < PQntuples (res); row++)
        zlist_append (ids, PQgetvalue (res, row, 0));
    PQclear (res);
    return 1;
}

//  The statement of registry_store_product_list; see the header. Built
//  with the DAY macro: laid out by hand
// clang-format off
const char registry_store_product_list_sql [] =
    "SELECT *, " DAY ("coalesce ($5::date, current_date)") " FROM (SELECT "
    PRODUCT_COLUMNS ", count (*) OVER () "
    "FROM product p JOIN institution i ON i.id = p.institution_id WHERE "
    "($1::text[] IS NULL OR p.type = ANY ($1::text[])) "
    "AND ($2::text IS NULL OR p.institution_id = $2::text) "
    "AND ($3::text IS NULL OR p.name ILIKE $3::text) "
    "AND (CASE WHEN $4::boolean THEN p.status = 'listed' "
    "AND i.status = 'listed' "
    "AND p.valid_from <= coalesce ($5::date, current_date) "
    "AND (p.valid_to IS NULL "
    "OR p.valid_to >= coalesce ($5::date, current_date)) "
    "ELSE $6::boolean OR p.status = 'listed' END) "
    "AND ($7::text[] IS NULL OR p.regions && $7::text[]) "
    "AND ($8::text IS NULL OR p.stages @> ARRAY[$8::text]) "
    "AND ($9::bigint IS NULL "
    "OR $9::bigint BETWEEN p.min_amount_fen AND p.max_amount_fen) "
    "AND ($10::int IS NULL "
    "OR $10::int BETWEEN p.min_term_months AND p.max_term_months) "
    "AND ($11::text[] IS NULL OR (p.qualifications <@ $11::text[] "
    "AND (cardinality (p.any_qualifications) = 0 "
    "OR p.any_qualifications && $11::text[]))) "
    "AND ($12::text[] IS NULL OR p.collateral <@ $12::text[]) "
    "AND ($13::text[] IS NULL OR p.min_grade = ANY ($13::text[])) "
    "AND ($14::boolean IS NULL OR $14::boolean "
    "OR p.type <> 'first_loan')) s "
    "WHERE s.id > $15::text ORDER BY s.id LIMIT $16::int";
// clang-format on

int
registry_store_product_list (kj_db_t *db,
                             const registry_store_product_filter_t *f,
                             ProtobufCAllocator *mem, Kj__Product ***out,
                             size_t *n, uint64_t *total, bool *more)
{
    kj_params_t p = { .count = 0 };
    s_add_set (&p, f->n_types > 0, f->types, f->n_types);      //  1
    kj_params_add_opt (&p, f->institution_id);                 //  2
    kj_params_add_owned (&p, s_like (f->name_contains));       //  3
    kj_params_add_bool (&p, f->search);                        //  4
    kj_params_add_opt (&p, f->on_date);                        //  5
    kj_params_add_bool (&p, f->include_withdrawn);             //  6
    s_add_set (&p, f->has_serving, f->serving, f->n_serving);  //  7
    kj_params_add_opt (&p, f->stage);                          //  8
    if (f->amount_fen)                                         //  9
        kj_params_add_int (&p, f->amount_fen);
    else
        kj_params_add (&p, NULL);
    if (f->term_months)  //  10
        kj_params_add_int (&p, f->term_months);
    else
        kj_params_add (&p, NULL);
    s_add_set (&p, f->has_held, f->held, f->n_held);           //  11
    s_add_set (&p, f->has_offered, f->offered, f->n_offered);  //  12
    s_add_set (&p, f->has_grade, f->grades, f->n_grades);      //  13
    if (f->has_first_loan)                                     //  14
        kj_params_add_bool (&p, f->first_loan);
    else
        kj_params_add (&p, NULL);
    kj_params_add (&p, f->after ? f->after : "");    //  15
    kj_params_add_int (&p, s_limit (f->limit) + 1);  //  16
    PGresult *res = s_exec (db, registry_store_product_list_sql, &p);
    if (!res)
        return -1;
    *n = s_page_rows (res, f->limit, 25, total, more);
    //  The date the statement judged validity on, for the C rules: no
    //  second round trip for current_date
    if (f->used_on && *n)
        kj_check_date (PQgetvalue (res, 0, 26), "on_date", f->used_on,
                       &(kj_status_t){ 0 });
    *out = (Kj__Product **) s_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_product_row (res, (int) row, mem);
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  Stage recomputation

//  Enterprises on an older rule set than $1: not $1, not a version first
//  used after it
#define RESTAGE_TODO                                                           \
    "stage_version <> $1 AND stage_version NOT IN ("                           \
    "SELECT version FROM stage_rules WHERE first_used_at > "                   \
    "(SELECT first_used_at FROM stage_rules WHERE version = $1))"

int
registry_store_restage_claim (kj_db_t *db, const char *version, int max,
                              zlist_t *codes)
{
    char limit [16];
    snprintf (limit, sizeof limit, "%d", max);
    const char *params [] = { version, limit };
    PGresult
        *res = kj_db_exec (db,
                           "SELECT code FROM enterprise WHERE " RESTAGE_TODO
                           " ORDER BY code LIMIT $2::int "
                           "FOR UPDATE SKIP LOCKED",
                           2, params);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    for (int i = 0; i < rows; i++)
        zlist_append (codes, strdup (PQgetvalue (res, i, 0)));
    PQclear (res);
    return rows;
}

int64_t
registry_store_restage_left (kj_db_t *db, const char *version)
{
    const char *params [] = { version };
    PGresult *res =
        kj_db_exec (db, "SELECT count (*) FROM enterprise WHERE " RESTAGE_TODO,
                    1, params);
    if (!res)
        return -1;
    int64_t left = s_int (res, 0, 0);
    PQclear (res);
    return left;
}

int
registry_store_restage_start (kj_db_t *db, const char *version, int64_t total)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, total);
    const char *params [] = { version, text };
    return s_changed (kj_db_run (db,
                                 "INSERT INTO restage (version, total) "
                                 "VALUES ($1, $2::bigint) "
                                 "ON CONFLICT (version) DO NOTHING",
                                 2, params));
}

int
registry_store_restage_progress (kj_db_t *db, const char *version, int done,
                                 int moved, bool finished)
{
    char done_text [16], moved_text [16];
    snprintf (done_text, sizeof done_text, "%d", done);
    snprintf (moved_text, sizeof moved_text, "%d", moved);
    const char *params [] = { version, done_text, moved_text,
                              finished ? "true" : "false" };
    return kj_db_run (db,
                      "UPDATE restage SET done = done + $2::bigint, "
                      "moved = moved + $3::bigint, finished_at = CASE WHEN "
                      "$4::boolean THEN coalesce (finished_at, now ()) "
                      "ELSE finished_at END "
                      "WHERE version = $1",
                      4, params)
                 < 0
             ? -1
             : 0;
}
