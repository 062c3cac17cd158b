/*  =========================================================================
    registry_store_institution - the statements of financial institutions

    Part of registry_store (registry_store.h), split by entity.
    =========================================================================
*/

#include "kejin.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"
#include "registry_store_private.h"

//  The institution's statements, built at start from its field table
//  (registry_store_columns.c): its id, then the table's columns in the
//  table's order (registry_check_institution_table), then the outputs
//  (status .. updated_at), then the list's count (total), each read by
//  its name. Built before main by a constructor, as the product's
//  (registry_store_product.c).
static char s_columns [768];
static char s_select [1024];
static char s_select_lock [1024];
static char s_insert [768];
static char s_update [768];
static char s_bulk [768];
static char s_list [1536];

static const registry_store_statements_t s_statements = { s_select, s_insert,
                                                          s_update, s_bulk };

const registry_store_statements_t *
registry_store_institution_statements (void)
{
    return &s_statements;
}

//  The statements' texts; laid out by hand (the US macro)
// clang-format off
__attribute__ ((constructor)) static void
s_build (void)
{
    registry_store_lists_t l;
    registry_store_attrs_lists (&l, registry_check_institution_table,
                                REGISTRY_INSTITUTION_ATTRS, "i", 2);
    registry_store_sql (s_columns, sizeof s_columns,
        "i.id, %s, i.status, i.withdraw_reason, i.version, "
        US ("i.created_at") " AS created_us, "
        US ("i.updated_at") " AS updated_us", l.read);
    registry_store_sql (s_select, sizeof s_select,
        "SELECT %s FROM institution i WHERE i.id = $1", s_columns);
    registry_store_sql (s_select_lock, sizeof s_select_lock,
        "%s FOR UPDATE", s_select);
    registry_store_sql (s_insert, sizeof s_insert,
        "INSERT INTO institution (id, %s) VALUES (coalesce ($1, 'I' || "
        "lpad (nextval ('institution_seq')::text, 6, '0')), %s) "
        "ON CONFLICT DO NOTHING RETURNING id", l.names, l.values);
    registry_store_sql (s_update, sizeof s_update,
        "UPDATE institution SET %s, version = version + 1, "
        "updated_at = now () WHERE id = $1", l.sets);
    registry_store_sql (s_bulk, sizeof s_bulk,
        "INSERT INTO institution (id, %s) SELECT id, %s "
        "FROM bulk_institution WHERE import_id = $1", l.names, l.staged);
    registry_store_sql (s_list, sizeof s_list,
        "SELECT * FROM (SELECT %s, count (*) OVER () AS total "
        "FROM institution i WHERE "
        "($1::text[] IS NULL OR i.type = ANY ($1::text[])) "
        "AND ($2::text[] IS NULL OR i.regions && $2::text[]) "
        "AND ($3::text IS NULL OR i.name ILIKE $3::text) "
        "AND ($4::boolean OR i.status = 'listed')) s "
        "WHERE s.id > $5::text ORDER BY s.id LIMIT $6::int", s_columns);
}
// clang-format on

//  --------------------------------------------------------------------------
//  Institutions

//  An institution row's columns, by name, once for a result's rows
typedef struct {
    int id;
    int attrs [REGISTRY_INSTITUTION_ATTRS];  //  the field table's
    int status, withdraw_reason, version, created_us, updated_us;
} s_columns_t;

//  0, or -1 (logged) when a column is missing
static int
s_institution_columns (const PGresult *res, s_columns_t *c)
{
    enum { ID, STATUS, WITHDRAW_REASON, VERSION, CREATED_US, UPDATED_US, N };
    static const char *const names [N] = {
        "id", "status", "withdraw_reason", "version", "created_us", "updated_us"
    };
    int col [N];
    if (kj_sql_columns (res, names, col, N)
        || registry_store_attrs_columns (res, registry_check_institution_table,
                                         REGISTRY_INSTITUTION_ATTRS, c->attrs))
        return -1;
    c->id = col [ID];
    c->status = col [STATUS];
    c->withdraw_reason = col [WITHDRAW_REASON];
    c->version = col [VERSION];
    c->created_us = col [CREATED_US];
    c->updated_us = col [UPDATED_US];
    return 0;
}

static Kj__Institution *
s_institution_row (PGresult *res, int row, const s_columns_t *c,
                   ProtobufCAllocator *mem)
{
    Kj__Institution *i = (Kj__Institution *) registry_store_alloc (mem,
                                                                   sizeof *i);
    kj__institution__init (i);
    i->id = registry_store_text (res, row, c->id, mem);
    registry_store_attrs_read_at (res, row, c->attrs,
                                  registry_check_institution_table,
                                  REGISTRY_INSTITUTION_ATTRS, &i->base, mem);
    i->state = registry_store_enum (res, row, c->status,
                                    &kj__listing_state__descriptor, "LISTING_");
    i->withdraw_reason = registry_store_text (res, row, c->withdraw_reason,
                                              mem);
    i->version = (uint64_t) registry_store_int (res, row, c->version);
    i->created_at_us = registry_store_int (res, row, c->created_us);
    i->updated_at_us = registry_store_int (res, row, c->updated_us);
    return i;
}

//  The institution's input columns as parameters, after its id.
static void
s_add_institution_columns (kj_params_t *p, const Kj__Institution *i)
{
    registry_store_attrs_params (p, registry_check_institution_table,
                                 REGISTRY_INSTITUTION_ATTRS, &i->base);
}

//  Run an INSERT ... RETURNING id: 1 with the id in id_out (48 bytes), 0
//  when it inserted nothing (a conflict), -1 on error.
int
registry_store_insert_id (kj_db_t *db, const char *sql, kj_params_t *p,
                          char *id_out)
{
    PGresult *res = registry_store_exec (db, sql, p);
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
        int rc = registry_store_insert_id (db, s_insert, &p, id_out);
        //  A new institution: no other transaction can change it before
        //  this one commits (one inserting the same id waits, then
        //  fails), so its lock, taken now, still orders its events
        //  (kj_db_lock_key)
        if (rc > 0 && kj_db_lock_key (db, "registry.institution", id_out))
            return -1;
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
    PGresult *res = kj_db_exec (db, lock ? s_select_lock : s_select, 1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    s_columns_t columns;
    if (found && s_institution_columns (res, &columns))
        found = -1;
    else if (found)
        *out = s_institution_row (res, 0, &columns, mem);
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
    int64_t rows = registry_store_run (db, s_update, &p);
    if (rows < 0 && streq (kj_db_sqlstate (db), "23505"))
        return 0;
    return registry_store_changed (rows);
}

int
registry_store_institution_withdraw (kj_db_t *db, const char *id,
                                     const char *reason)
{
    const char *params [] = { id, reason };
    return registry_store_changed (kj_db_run (
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
    registry_store_add_set (&p, f->n_types > 0, f->types, f->n_types);
    registry_store_add_set (&p, f->serving != NULL, f->serving, f->n_serving);
    kj_params_add_owned (&p, registry_store_like (f->name_contains));
    kj_params_add_bool (&p, f->include_withdrawn);
    kj_params_add (&p, f->after ? f->after : "");
    kj_params_add_int (&p, registry_store_limit (f->limit) + 1);
    PGresult *res = registry_store_exec (db, s_list, &p);
    if (!res)
        return -1;
    s_columns_t columns;
    if (s_institution_columns (res, &columns)
        || registry_store_page (res, f->limit, total, more, n)) {
        PQclear (res);
        return -1;
    }
    *out = (Kj__Institution **) registry_store_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_institution_row (res, (int) row, &columns, mem);
    PQclear (res);
    return 1;
}
