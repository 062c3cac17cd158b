/*  =========================================================================
    registry_store - every SQL statement of kejin-registry

    Each statement is one fixed text (kj_db prepares it once per
    connection): a literal, or for institutions and products built once at
    start from their field tables (registry_store_columns.c).
    Optional filters are parameters that may be NULL ("$1::text[] IS NULL
    OR ..."), so that a list or a search is one fixed statement whatever
    the request asks. Sets go as text[] literals built from values the
    server validated. Lists page by key (code or id) and count the matching
    rows with a window over the filtered rows.

    Split by entity: this file holds the helpers the others share
    (registry_store_private.h), the audit trail, rule sets and restaging;
    registry_store_enterprise.c, _parts.c, _institution.c and _product.c
    hold the statements of each.
    =========================================================================
*/

#include "kejin.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"
#include "registry_store_private.h"

//  A set that filters only when `given`.
void
registry_store_add_set (kj_params_t *p, bool given, const char *const *items,
                        size_t n)
{
    if (given)
        kj_params_add_array (p, items, n);
    else
        kj_params_add (p, NULL);
}

//  What running a statement that changes one row says: 1 if it did, 0 if
//  no row matched, -1 on error.
int
registry_store_changed (int64_t rows)
{
    return rows < 0 ? -1 : rows == 1;
}

PGresult *
registry_store_exec (kj_db_t *db, const char *sql, kj_params_t *p)
{
    PGresult *res = kj_db_exec (db, sql, p->count, p->values);
    kj_params_reset (p);
    return res;
}

int64_t
registry_store_run (kj_db_t *db, const char *sql, kj_params_t *p)
{
    int64_t rows = kj_db_run (db, sql, p->count, p->values);
    kj_params_reset (p);
    return rows;
}

//  --------------------------------------------------------------------------
//  Reading values

void *
registry_store_alloc (ProtobufCAllocator *mem, size_t size)
{
    void *ptr = mem->alloc (mem->allocator_data, size);
    assert (ptr);
    memset (ptr, 0, size);
    return ptr;
}

//  An array of n pointers (of the items of a repeated field); NULL if none.
void *
registry_store_pointers (ProtobufCAllocator *mem, size_t n)
{
    return n ? registry_store_alloc (mem, n * sizeof (void *)) : NULL;
}

static char *
s_strdup (ProtobufCAllocator *mem, const char *text)
{
    size_t size = strlen (text) + 1;
    char *copy = (char *) registry_store_alloc (mem, size);
    memcpy (copy, text, size);
    return copy;
}

char *
registry_store_text (PGresult *res, int row, int column,
                     ProtobufCAllocator *mem)
{
    return s_strdup (mem, PQgetvalue (res, row, column));
}

int64_t
registry_store_int (PGresult *res, int row, int column)
{
    return strtoll (PQgetvalue (res, row, column), NULL, 10);
}

bool
registry_store_bool (PGresult *res, int row, int column)
{
    return PQgetvalue (res, row, column) [0] == 't';
}

int
registry_store_enum (PGresult *res, int row, int column,
                     const ProtobufCEnumDescriptor *descriptor,
                     const char *prefix)
{
    int value = kj_check_enum_value (descriptor, prefix,
                                     PQgetvalue (res, row, column));
    return value < 0 ? 0 : value;
}

//  The elements of a text[] as PostgreSQL writes it ({a,b} or {"a b"}).
char **
registry_store_array (PGresult *res, int row, int column,
                      ProtobufCAllocator *mem, size_t *n)
{
    const char *text = PQgetvalue (res, row, column);
    size_t length = strlen (text);
    *n = 0;
    if (length < 2 || text [0] != '{' || length == 2)
        return NULL;
    size_t count = 1;
    for (size_t i = 1; i + 1 < length; i++)
        count += text [i] == ',';
    char **items = (char **) registry_store_alloc (mem,
                                                   count * sizeof (char *));
    char *buffer = (char *) registry_store_alloc (mem, length);
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
int *
registry_store_enum_array (PGresult *res, int row, int column,
                           ProtobufCAllocator *mem,
                           const ProtobufCEnumDescriptor *descriptor,
                           const char *prefix, size_t *n)
{
    size_t count;
    char **names = registry_store_array (res, row, column, mem, &count);
    int *values = count
                    ? (int *) registry_store_alloc (mem, count * sizeof (int))
                    : NULL;
    *n = 0;
    for (size_t i = 0; i < count; i++) {
        int value = kj_check_enum_value (descriptor, prefix, names [i]);
        if (value > 0)
            values [(*n)++] = value;
    }
    return values;
}

//  Stored names of enum values, as a text[] parameter.
void
registry_store_add_enum_array (kj_params_t *p, const int *values, size_t n,
                               const ProtobufCEnumDescriptor *descriptor,
                               const char *prefix)
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

void
registry_store_add_enum (kj_params_t *p,
                         const ProtobufCEnumDescriptor *descriptor,
                         const char *prefix, int value)
{
    char buffer [48];
    const char *name = kj_check_enum_name (descriptor, prefix, value, buffer,
                                           sizeof buffer);
    kj_params_add_owned (p, strdup (name ? name : ""));
}

//  A pattern for ILIKE that matches text anywhere, literally.
char *
registry_store_like (const char *text)
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

int
registry_store_limit (int limit)
{
    return limit <= 0                      ? REGISTRY_STORE_PAGE_DEFAULT
         : limit > REGISTRY_STORE_PAGE_MAX ? REGISTRY_STORE_PAGE_MAX
                                           : limit;
}

//  The rows of a page to read: at most limit of those res holds (a list
//  asks one more, to tell whether more follow), with the count of all
//  matching rows from its column total_column (count (*) OVER ()).
size_t
registry_store_page_rows (PGresult *res, int limit, int total_column,
                          uint64_t *total, bool *more)
{
    size_t n = (size_t) PQntuples (res);
    *more = n > (size_t) registry_store_limit (limit);
    if (*more)
        n = (size_t) registry_store_limit (limit);
    *total = n ? (uint64_t) registry_store_int (res, 0, total_column) : 0;
    return n;
}

int
registry_store_page (PGresult *res, int limit, uint64_t *total, bool *more,
                     size_t *n)
{
    int column;
    if (kj_sql_columns (res, (const char *const []){ "total" }, &column, 1))
        return -1;
    *n = registry_store_page_rows (res, limit, column, total, more);
    return 0;
}

//  --------------------------------------------------------------------------

int
registry_store_today (kj_db_t *db, kj_date_t *today)
{
    PGresult *res =
        kj_db_exec (db,
                    "SELECT extract (year FROM current_date)::int AS year, "
                    "extract (month FROM current_date)::int AS month, "
                    "extract (day FROM current_date)::int AS day",
                    0, NULL);
    if (!res)
        return -1;
    int rc = kj_sql_int (res, 0, "year", &today->year)
                  || kj_sql_int (res, 0, "month", &today->month)
                  || kj_sql_int (res, 0, "day", &today->day)
               ? -1
               : 1;
    PQclear (res);
    return rc;
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
    kj_params_add_int (&p, registry_store_limit (limit) + 1);
    PGresult *res = registry_store_exec (
        db,
        "SELECT * FROM (SELECT id, " US (
            "at") " AS at_us, who, action, "
                  "before, after, reason, count (*) OVER () AS total FROM "
                  "audit "
                  "WHERE subject_kind = $1 AND subject = $2) s "
                  "WHERE s.id > $3::bigint ORDER BY s.id LIMIT $4::int",
        &p);
    if (!res)
        return -1;
    //  The columns once for the page's rows
    enum { ID, AT_US, WHO, ACTION, BEFORE, AFTER, REASON, COLUMNS };
    static const char *const names [COLUMNS] = { "id",     "at_us",  "who",
                                                 "action", "before", "after",
                                                 "reason" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)
        || registry_store_page (res, limit, total, more, n)) {
        PQclear (res);
        return -1;
    }
    *out = (Kj__AuditEntry **) registry_store_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++) {
        int r = (int) row;
        Kj__AuditEntry *entry = (Kj__AuditEntry *)
            registry_store_alloc (mem, sizeof *entry);
        kj__audit_entry__init (entry);
        *last = registry_store_int (res, r, col [ID]);
        entry->at_us = registry_store_int (res, r, col [AT_US]);
        entry->who = registry_store_text (res, r, col [WHO], mem);
        entry->action = registry_store_text (res, r, col [ACTION], mem);
        entry->before = registry_store_text (res, r, col [BEFORE], mem);
        entry->after = registry_store_text (res, r, col [AFTER], mem);
        entry->reason = registry_store_text (res, r, col [REASON], mem);
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
    int same = PQntuples (res) == 1 && registry_store_bool (res, 0, 0);
    PQclear (res);
    return same;
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
    //  Each enterprise's lock before the first write (kj_db_lock_key: its
    //  events' order), tried, in a statement that writes nothing, on at
    //  most ten times max candidates: a code another transaction holds is
    //  left for a later chunk, and no lock is waited for while rows are
    //  held. Then the rows of those still to do.
    PGresult *res = kj_db_exec (
        db,
        "SELECT code FROM (SELECT code FROM enterprise WHERE " RESTAGE_TODO
        " ORDER BY code LIMIT $2::int * 10 OFFSET 0) c WHERE "
        "pg_try_advisory_xact_lock (" KJ_LOCK_ENTITY ", hashtext "
        "('registry.enterprise:' || code)) LIMIT $2::int",
        2, params);
    if (!res)
        return -1;
    int code;
    if (kj_sql_columns (res, (const char *const []){ "code" }, &code, 1)) {
        PQclear (res);
        return -1;
    }
    int rows = PQntuples (res);
    const char **locked = (const char **) calloc ((size_t) rows + 1,
                                                  sizeof *locked);
    assert (locked);
    for (int i = 0; i < rows; i++)
        locked [i] = PQgetvalue (res, i, code);
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, version);
    kj_params_add_array (&p, locked, (size_t) rows);
    free (locked);
    PQclear (res);
    res =
        kj_db_exec (db,
                    "SELECT code FROM enterprise WHERE code = ANY ($2::text[]) "
                    "AND " RESTAGE_TODO " ORDER BY code FOR UPDATE SKIP LOCKED",
                    p.count, p.values);
    kj_params_reset (&p);
    if (!res)
        return -1;
    if (kj_sql_columns (res, (const char *const []){ "code" }, &code, 1)) {
        PQclear (res);
        return -1;
    }
    rows = PQntuples (res);
    for (int i = 0; i < rows; i++) {
        zlist_append (codes, strdup (PQgetvalue (res, i, code)));
        kj_db_locked_key (db, PQgetvalue (res, i, code));  //  tried above
    }
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
    int64_t left = registry_store_int (res, 0, 0);
    PQclear (res);
    return left;
}

int
registry_store_restage_start (kj_db_t *db, const char *version, int64_t total)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, total);
    const char *params [] = { version, text };
    return registry_store_changed (
        kj_db_run (db,
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

//  --------------------------------------------------------------------------
//  A field table's columns as parameters (registry_store_private.h)

void
registry_store_attrs_params (kj_params_t *p, const registry_attr_t *table,
                             size_t rows, const ProtobufCMessage *message)
{
    for (size_t r = 0; r < rows; r++) {
        const registry_attr_t *a = &table [r];
        size_t *count;
        const char *at = registry_check_attr_at (a, message, &count);
        size_t n = count ? *count : 0;
        switch (a->kind) {
            case REGISTRY_ATTR_TEXT:
            case REGISTRY_ATTR_CODE:
            case REGISTRY_ATTR_GRADE: {
                const char *text = *(const char *const *) at;
                kj_params_add (p, text ? text : "");
                break;
            }
            case REGISTRY_ATTR_DATE:  //  none: NULL
                kj_params_add_opt (p, *(const char *const *) at);
                break;
            case REGISTRY_ATTR_ENUM:
                registry_store_add_enum (p, a->type, a->prefix,
                                         *(const int *) at);
                break;
            case REGISTRY_ATTR_ENUMS:
                registry_store_add_enum_array (p, *(const int *const *) at, n,
                                               a->type, a->prefix);
                break;
            case REGISTRY_ATTR_REGIONS:
                kj_params_add_array (p, *(const char *const *const *) at, n);
                break;
            case REGISTRY_ATTR_MONEY:
                kj_params_add_int (p, *(const int64_t *) at);
                break;
            case REGISTRY_ATTR_COUNT:
            case REGISTRY_ATTR_BP:
                kj_params_add_int (p, *(const int32_t *) at);
                break;
        }
    }
}

//  --------------------------------------------------------------------------
//  A field table's fields from a result row (registry_store_private.h)

//  One row of a field table from column of a result row into message
static void
s_attr_read (PGresult *res, int row, int column, const registry_attr_t *a,
             ProtobufCMessage *message, ProtobufCAllocator *mem)
{
    size_t *n;
    char *at = registry_check_attr_at (a, message, &n);
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
        case REGISTRY_ATTR_CODE:
        case REGISTRY_ATTR_GRADE:
        case REGISTRY_ATTR_DATE:
            *(char **) at = registry_store_text (res, row, column, mem);
            break;
        case REGISTRY_ATTR_ENUM:
            *(int *) at = registry_store_enum (res, row, column, a->type,
                                               a->prefix);
            break;
        case REGISTRY_ATTR_ENUMS:
            *(int **) at = registry_store_enum_array (res, row, column, mem,
                                                      a->type, a->prefix, n);
            break;
        case REGISTRY_ATTR_REGIONS:
            *(char ***) at = registry_store_array (res, row, column, mem, n);
            break;
        case REGISTRY_ATTR_MONEY:
            *(int64_t *) at = registry_store_int (res, row, column);
            break;
        case REGISTRY_ATTR_COUNT:
        case REGISTRY_ATTR_BP:
            *(int32_t *) at = (int32_t) registry_store_int (res, row, column);
            break;
    }
}

void
registry_store_attrs_read (PGresult *res, int row, int first,
                           const registry_attr_t *table, size_t rows,
                           ProtobufCMessage *message, ProtobufCAllocator *mem)
{
    for (size_t r = 0; r < rows; r++)
        s_attr_read (res, row, first + (int) r, &table [r], message, mem);
}

int
registry_store_attrs_columns (const PGresult *res, const registry_attr_t *table,
                              size_t rows, int *columns)
{
    for (size_t r = 0; r < rows; r++) {
        columns [r] = kj_sql_column (res, table [r].path);
        if (columns [r] < 0) {
            kj_error ("sql.column", "the result has no column %s",
                      table [r].path);
            return -1;
        }
    }
    return 0;
}

void
registry_store_attrs_read_at (PGresult *res, int row, const int *columns,
                              const registry_attr_t *table, size_t rows,
                              ProtobufCMessage *message,
                              ProtobufCAllocator *mem)
{
    for (size_t r = 0; r < rows; r++)
        s_attr_read (res, row, columns [r], &table [r], message, mem);
}
