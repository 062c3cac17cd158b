/*  =========================================================================
    registry_store_product - the statements of the supermarket's products

    Part of registry_store (registry_store.h), split by entity.
    =========================================================================
*/

#include "kejin.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"
#include "registry_store_private.h"

//  --------------------------------------------------------------------------
//  Products

//  The product's statements, built at start from its field table
//  (registry_store_columns.c): its id and institution, then the table's
//  columns in the table's order (registry_product_table), then the
//  outputs (status .. institution_type), then what a statement adds (the
//  list's total and on_date, the catalogue's catalogue_version), each read
//  by its name. Built before main by a constructor, so that a program
//  that only runs registry_store_product_list_sql (bench_registry) has it
//  too.
static char s_columns [1024];
static char s_select [1536];
static char s_select_lock [1536];
static char s_insert [1024];
static char s_update [1024];
static char s_bulk [1024];
static char s_list [3072];
static char s_catalogue [1536];
const char *const registry_store_product_list_sql = s_list;

static const registry_store_statements_t s_statements = { s_select, s_insert,
                                                          s_update, s_bulk };

const registry_store_statements_t *
registry_store_product_statements (void)
{
    return &s_statements;
}

//  The statements' texts; laid out by hand (the DAY and US macros)
// clang-format off
__attribute__ ((constructor)) static void
s_build (void)
{
    registry_store_lists_t l;
    registry_store_attrs_lists (&l, registry_product_table,
                                REGISTRY_PRODUCT_ATTRS, "p", 3);
    registry_store_sql (s_columns, sizeof s_columns,
        "p.id, p.institution_id, %s, p.status, p.withdraw_reason, "
        "p.version, " US ("p.created_at") " AS created_us, "
        US ("p.updated_at") " AS updated_us, "
        "i.name AS institution_name, i.type AS institution_type", l.read);
    registry_store_sql (s_select, sizeof s_select,
        "SELECT %s FROM product p "
        "JOIN institution i ON i.id = p.institution_id "
        "WHERE p.id = $1", s_columns);
    registry_store_sql (s_select_lock, sizeof s_select_lock,
        "%s FOR UPDATE OF p", s_select);
    registry_store_sql (s_insert, sizeof s_insert,
        "INSERT INTO product (id, institution_id, %s) VALUES (coalesce ($1, "
        "'P' || lpad (nextval ('product_seq')::text, 6, '0')), $2, %s) "
        "ON CONFLICT DO NOTHING RETURNING id", l.names, l.values);
    registry_store_sql (s_update, sizeof s_update,
        "UPDATE product SET %s, version = version + 1, "
        "updated_at = now () WHERE id = $1", l.sets);
    registry_store_sql (s_bulk, sizeof s_bulk,
        "INSERT INTO product (id, institution_id, %s) "
        "SELECT id, institution_id, %s FROM bulk_product "
        "WHERE import_id = $1", l.names, l.staged);
    registry_store_sql (s_list, sizeof s_list,
        "SELECT *, " DAY ("coalesce ($5::date, current_date)") " AS on_date "
        "FROM (SELECT %s, count (*) OVER () AS total "
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
        "WHERE s.id > $15::text ORDER BY s.id LIMIT $16::int", s_columns);
    registry_store_sql (s_catalogue, sizeof s_catalogue,
        "SELECT %s, v.version AS catalogue_version FROM catalogue_version v "
        "LEFT JOIN (product p JOIN institution i ON i.id = p.institution_id "
        "AND p.status = 'listed' AND i.status = 'listed') ON true "
        "ORDER BY p.id LIMIT $1::int", s_columns);
}
// clang-format on

//  A product row's columns, by name, once for a result's rows
typedef struct {
    int id, institution_id;
    int attrs [REGISTRY_PRODUCT_ATTRS];  //  the field table's
    int status, withdraw_reason, version, created_us, updated_us;
    int institution_name, institution_type;
} s_columns_t;

//  0, or -1 (logged) when a column is missing
static int
s_product_columns (const PGresult *res, s_columns_t *c)
{
    enum {
        ID,
        INSTITUTION_ID,
        STATUS,
        WITHDRAW_REASON,
        VERSION,
        CREATED_US,
        UPDATED_US,
        INSTITUTION_NAME,
        INSTITUTION_TYPE,
        N
    };
    static const char *const names [N] = { "id",
                                           "institution_id",
                                           "status",
                                           "withdraw_reason",
                                           "version",
                                           "created_us",
                                           "updated_us",
                                           "institution_name",
                                           "institution_type" };
    int col [N];
    if (kj_sql_columns (res, names, col, N)
        || registry_store_attrs_columns (res, registry_product_table,
                                         REGISTRY_PRODUCT_ATTRS, c->attrs))
        return -1;
    c->id = col [ID];
    c->institution_id = col [INSTITUTION_ID];
    c->status = col [STATUS];
    c->withdraw_reason = col [WITHDRAW_REASON];
    c->version = col [VERSION];
    c->created_us = col [CREATED_US];
    c->updated_us = col [UPDATED_US];
    c->institution_name = col [INSTITUTION_NAME];
    c->institution_type = col [INSTITUTION_TYPE];
    return 0;
}

static Kj__Product *
s_product_row (PGresult *res, int row, const s_columns_t *c,
               ProtobufCAllocator *mem)
{
    Kj__Product *p = (Kj__Product *) registry_store_alloc (mem, sizeof *p);
    kj__product__init (p);
    p->id = registry_store_text (res, row, c->id, mem);
    p->institution_id = registry_store_text (res, row, c->institution_id, mem);
    registry_store_attrs_read_at (res, row, c->attrs, registry_product_table,
                                  REGISTRY_PRODUCT_ATTRS, &p->base, mem);
    p->state = registry_store_enum (res, row, c->status,
                                    &kj__listing_state__descriptor, "LISTING_");
    p->withdraw_reason = registry_store_text (res, row, c->withdraw_reason,
                                              mem);
    p->version = (uint64_t) registry_store_int (res, row, c->version);
    p->created_at_us = registry_store_int (res, row, c->created_us);
    p->updated_at_us = registry_store_int (res, row, c->updated_us);
    p->institution_name = registry_store_text (res, row, c->institution_name,
                                               mem);
    p->institution_type = (Kj__InstitutionType)
        registry_store_enum (res, row, c->institution_type,
                             &kj__institution_type__descriptor, "INSTITUTION_");
    return p;
}

//  The product's input columns as parameters, after its id.
static void
s_add_product_columns (kj_params_t *p, const Kj__Product *product)
{
    registry_store_attrs_params (p, registry_product_table,
                                 REGISTRY_PRODUCT_ATTRS, &product->base);
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
        int rc = registry_store_insert_id (db, s_insert, &p, id_out);
        //  A new product: its lock, taken now, still orders its events
        //  (as a new institution's, registry_store_institution_insert)
        if (rc > 0 && kj_db_lock_key (db, "registry.product", id_out))
            return -1;
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
    PGresult *res = kj_db_exec (db, lock ? s_select_lock : s_select, 1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    s_columns_t columns;
    if (found && s_product_columns (res, &columns))
        found = -1;
    else if (found)
        *out = s_product_row (res, 0, &columns, mem);
    PQclear (res);
    return found;
}

int
registry_store_product_save (kj_db_t *db, const Kj__Product *product)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, product->id);
    s_add_product_columns (&p, product);
    return registry_store_changed (registry_store_run (db, s_update, &p));
}

int
registry_store_product_withdraw (kj_db_t *db, const char *id,
                                 const char *reason)
{
    const char *params [] = { id, reason };
    return registry_store_changed (kj_db_run (
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
    int id;
    if (kj_sql_columns (res, (const char *const []){ "id" }, &id, 1)) {
        PQclear (res);
        return -1;
    }
    for (int row = 0; row < PQntuples (res); row++) {
        zlist_append (ids, PQgetvalue (res, row, id));
        kj_db_locked_key (db, PQgetvalue (res, row, id));  //  locked above
    }
    PQclear (res);
    return 1;
}

//  The product list under its generic plan. Left to itself PostgreSQL
//  plans this statement afresh at every call: with the optional filters
//  folded away a custom plan always looks cheaper than the generic one,
//  and planning it costs more than running it on the product table
//  (bench_registry: about 2.5x the backend's CPU). So the plan mode is
//  set for this statement alone, in the same round trip, and reset after
//  it. The three run in one implicit transaction (one Sync): if the list
//  fails, the transaction is rolled back and the SET with it, so no other
//  statement of the connection ever runs under that mode.
static PGresult *
s_exec_generic (kj_db_t *db, const char *sql, kj_params_t *p)
{
    kj_db_query_t queries [] = {
        { "SET plan_cache_mode = force_generic_plan", 0, NULL },
        { sql, p->count, p->values },
        { "RESET plan_cache_mode", 0, NULL },
    };
    PGresult *results [3];
    int rc = kj_db_exec_many (db, queries, 3, results);
    kj_params_reset (p);
    if (rc)
        return NULL;
    PQclear (results [0]);
    PQclear (results [2]);
    return results [1];
}

int
registry_store_product_list (kj_db_t *db,
                             const registry_store_product_filter_t *f,
                             ProtobufCAllocator *mem, Kj__Product ***out,
                             size_t *n, uint64_t *total, bool *more)
{
    kj_params_t p = { .count = 0 };
    registry_store_add_set (&p, f->n_types > 0, f->types, f->n_types);  //  1
    kj_params_add_opt (&p, f->institution_id);                          //  2
    kj_params_add_owned (&p, registry_store_like (f->name_contains));   //  3
    kj_params_add_bool (&p, f->search);                                 //  4
    kj_params_add_opt (&p, f->on_date);                                 //  5
    kj_params_add_bool (&p, f->include_withdrawn);                      //  6
    registry_store_add_set (&p, f->has_serving, f->serving,
                            f->n_serving);  //  7
    kj_params_add_opt (&p, f->stage);       //  8
    if (f->amount_fen)                      //  9
        kj_params_add_int (&p, f->amount_fen);
    else
        kj_params_add (&p, NULL);
    if (f->term_months)  //  10
        kj_params_add_int (&p, f->term_months);
    else
        kj_params_add (&p, NULL);
    registry_store_add_set (&p, f->has_held, f->held, f->n_held);  //  11
    registry_store_add_set (&p, f->has_offered, f->offered,
                            f->n_offered);                              //  12
    registry_store_add_set (&p, f->has_grade, f->grades, f->n_grades);  //  13
    if (f->has_first_loan)                                              //  14
        kj_params_add_bool (&p, f->first_loan);
    else
        kj_params_add (&p, NULL);
    kj_params_add (&p, f->after ? f->after : "");                 //  15
    kj_params_add_int (&p, registry_store_limit (f->limit) + 1);  //  16
    PGresult *res = s_exec_generic (db, registry_store_product_list_sql, &p);
    if (!res)
        return -1;
    s_columns_t columns;
    if (s_product_columns (res, &columns)
        || registry_store_page (res, f->limit, total, more, n)) {
        PQclear (res);
        return -1;
    }
    //  The date the statement judged validity on, for the C rules: no
    //  second round trip for current_date
    if (f->used_on && *n)
        kj_check_date (kj_sql_text (res, 0, "on_date"), "on_date", f->used_on,
                       &(kj_status_t){ 0 });
    *out = (Kj__Product **) registry_store_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = s_product_row (res, (int) row, &columns, mem);
    PQclear (res);
    return 1;
}

//  --------------------------------------------------------------------------
//  The catalogue SearchProducts keeps (registry_supermarket_catalogue.c)

int
registry_store_catalogue_version (kj_db_t *db, const char *on_date,
                                  int64_t *version, kj_date_t *on)
{
    const char *params [] = { on_date };
    PGresult *res = kj_db_exec (
        db,
        "SELECT version, " DAY (
            "coalesce ($1::date, current_date)") " AS on_date "
                                                 "FROM catalogue_version",
        1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1
             && kj_sql_int64 (res, 0, "version", version) == 0;
    if (found)
        kj_check_date (kj_sql_text (res, 0, "on_date"), "on_date", on,
                       &(kj_status_t){ 0 });
    PQclear (res);
    return found ? 0 : -1;
}

int
registry_store_catalogue_load (kj_db_t *db, int max, ProtobufCAllocator *mem,
                               int64_t *version, Kj__Product ***out, size_t *n)
{
    char limit [16];
    snprintf (limit, sizeof limit, "%d", max + 1);
    const char *params [] = { limit };
    //  One statement: the rows and the version in one snapshot
    PGresult *res = kj_db_exec (db, s_catalogue, 1, params);
    if (!res)
        return -1;
    int rows = PQntuples (res);
    if (rows > max || rows == 0) {
        PQclear (res);
        return rows ? 0 : -1;
    }
    s_columns_t columns;
    if (s_product_columns (res, &columns)
        || kj_sql_int64 (res, 0, "catalogue_version", version)) {
        PQclear (res);
        return -1;
    }
    if (PQgetisnull (res, 0, columns.id))
        rows = 0;  //  no product: the version's row alone
    *n = (size_t) rows;
    *out = (Kj__Product **) registry_store_pointers (mem, *n);
    for (int row = 0; row < rows; row++)
        (*out) [row] = s_product_row (res, row, &columns, mem);
    PQclear (res);
    return 1;
}
