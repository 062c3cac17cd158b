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

//  The institution's columns: its id, then its field table's columns in
//  the table's order (registry_check_institution_table), then the outputs.
//  SQL built with the DAY and US macros: laid out by hand
// clang-format off
#define INSTITUTION_COLUMNS \
    "i.id, i.name, i.type, i.uscc, i.regions::text, i.contact, " \
    "i.sponsor_code, i.status, i.withdraw_reason, i.version, " \
    US ("i.created_at") ", " US ("i.updated_at")
// clang-format on

//  --------------------------------------------------------------------------
//  Institutions

static Kj__Institution *
s_institution_row (PGresult *res, int row, ProtobufCAllocator *mem)
{
    Kj__Institution *i = (Kj__Institution *) registry_store_alloc (mem,
                                                                   sizeof *i);
    kj__institution__init (i);
    i->id = registry_store_text (res, row, 0, mem);
    registry_store_attrs_read (res, row, 1, registry_check_institution_table,
                               REGISTRY_INSTITUTION_ATTRS, &i->base, mem);
    i->state = registry_store_enum (res, row, 7, &kj__listing_state__descriptor,
                                    "LISTING_");
    i->withdraw_reason = registry_store_text (res, row, 8, mem);
    i->version = (uint64_t) registry_store_int (res, row, 9);
    i->created_at_us = registry_store_int (res, row, 10);
    i->updated_at_us = registry_store_int (res, row, 11);
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
        int rc = registry_store_insert_id (
            db,
            "INSERT INTO institution (id, name, type, uscc, regions, contact, "
            "sponsor_code) VALUES (coalesce ($1, 'I' || lpad (nextval "
            "('institution_seq')::text, 6, '0')), $2, $3, $4, $5::text[], $6, "
            "$7) ON CONFLICT DO NOTHING RETURNING id",
            &p, id_out);
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
    int64_t rows = registry_store_run (
        db,
        "UPDATE institution SET name = $2, type = $3, uscc = $4, "
        "regions = $5::text[], contact = $6, sponsor_code = $7, "
        "version = version + 1, updated_at = now () WHERE id = $1",
        &p);
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
    PGresult *res = registry_store_exec (
        db,
        "SELECT * FROM (SELECT " INSTITUTION_COLUMNS ", count (*) OVER () "
        "FROM institution i WHERE "
        "($1::text[] IS NULL OR i.type = ANY ($1::text[])) "
        "AND ($2::text[] IS NULL OR i.regions && $2::text[]) "
        "AND ($3::text IS NULL OR i.name ILIKE $3::text) "
        "AND ($4::boolean OR i.status = 'listed')) s "
        "WHERE s.id > $5::text ORDER BY s.id LIMIT $6::int",
        &p);
    if (!res)
        return -1;
    *n = registry_store_page_rows (res, f->limit, 12, total, more);
    *out = (Kj__Institution **) registry_store_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_institution_row (res, (int) row, mem);
    PQclear (res);
    return 1;
}
