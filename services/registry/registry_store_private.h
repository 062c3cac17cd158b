/*  =========================================================================
    registry_store_private - what the registry_store_* files share

    The statements of kejin-registry are split by entity (registry_store.c:
    helpers, audit trail, rule sets and restaging; _enterprise, _parts,
    _institution, _product). These are the helpers they share: running a
    statement, reading typed values and arrays, building parameters.
    Private to those files.
    =========================================================================
*/

#ifndef REGISTRY_STORE_PRIVATE_H_INCLUDED
#define REGISTRY_STORE_PRIVATE_H_INCLUDED

#include <jansson.h>
#include "kejin.h"
#include "registry_store.h"
#include "registry_check.h"

#define US(column)  "(extract (epoch FROM " column ") * 1000000)::bigint"
#define DAY(column) "to_char (" column ", 'YYYY-MM-DD')"

void
    registry_store_add_enum (kj_params_t *p,
                             const ProtobufCEnumDescriptor *descriptor,
                             const char *prefix, int value);

//  Stored names of enum values, as a text[] parameter.
void
    registry_store_add_enum_array (kj_params_t *p, const int *values, size_t n,
                                   const ProtobufCEnumDescriptor *descriptor,
                                   const char *prefix);

//  A set that filters only when `given`.
void
    registry_store_add_set (kj_params_t *p, bool given,
                            const char *const *items, size_t n);

void *
    registry_store_alloc (ProtobufCAllocator *mem, size_t size);

//  The elements of a text[] as PostgreSQL writes it ({a,b} or {"a b"}).
char **
    registry_store_array (PGresult *res, int row, int column,
                          ProtobufCAllocator *mem, size_t *n);

bool
    registry_store_bool (PGresult *res, int row, int column);

//  What running a statement that changes one row says: 1 if it did, 0 if
//  no row matched, -1 on error.
int
    registry_store_changed (int64_t rows);

int
    registry_store_enum (PGresult *res, int row, int column,
                         const ProtobufCEnumDescriptor *descriptor,
                         const char *prefix);

//  An enum array column as values.
int *
    registry_store_enum_array (PGresult *res, int row, int column,
                               ProtobufCAllocator *mem,
                               const ProtobufCEnumDescriptor *descriptor,
                               const char *prefix, size_t *n);

PGresult *
    registry_store_exec (kj_db_t *db, const char *sql, kj_params_t *p);

//  Run an INSERT ... RETURNING id: 1 with the id in id_out (48 bytes), 0
//  when it inserted nothing (a conflict), -1 on error.
int
    registry_store_insert_id (kj_db_t *db, const char *sql, kj_params_t *p,
                              char *id_out);

int64_t
    registry_store_int (PGresult *res, int row, int column);

//  A pattern for ILIKE that matches text anywhere, literally.
char *
    registry_store_like (const char *text);

//  The rows of a page to read: at most limit of those res holds (a list
//  asks one more, to tell whether more follow), with the count of all
//  matching rows from its column total_column (count (*) OVER ()).
size_t
    registry_store_page_rows (PGresult *res, int limit, int total_column,
                              uint64_t *total, bool *more);
//  As registry_store_page_rows, into *n, the count from the result's column
//  named total: 0, or -1 (logged) when it has none.
int
    registry_store_page (PGresult *res, int limit, uint64_t *total, bool *more,
                         size_t *n);

//  An array of n pointers (of the items of a repeated field); NULL if none.
void *
    registry_store_pointers (ProtobufCAllocator *mem, size_t n);

//  The enterprise's parts (registry_store_enterprise_parts.c): figures,
//  qualifications, awards, rounds, loans, chain links, tech-SME score.
#define REGISTRY_STORE_PARTS 7

//  Each part's own statement of one enterprise ($1 the code), in order.
extern const char *const registry_store_part_sql [REGISTRY_STORE_PARTS];

//  Every part into e from the results of registry_store_part_sql, in
//  order, read by column name: 0, or -1 (logged) when one lacks a column.
int
    registry_store_parts_of_results (PGresult *const *results,
                                     Kj__Enterprise *e,
                                     ProtobufCAllocator *mem);

//  Every part into e from all, the parts as stored in the enterprise's row
//  (a JSON array of REGISTRY_STORE_PARTS arrays of rows), with today the
//  date as DAY gives it (for the qualifications' "expired").
void
    registry_store_parts_of_json (json_t *all, const char *today,
                                  Kj__Enterprise *e, ProtobufCAllocator *mem);

//  A qualification from a result row whose values are named kind, level,
//  certificate, granted_day and expires_day (YYYY-MM-DD, '' for none) and
//  expired: their columns found once per result into at (0, or -1
//  logged), then each row read.
#define REGISTRY_STORE_QUALIFICATION_VALUES 6
int
    registry_store_qualification_columns (const PGresult *res, int *at);

Kj__Qualification *
    registry_store_qualification_row (PGresult *res, int row, const int *at,
                                      ProtobufCAllocator *mem);

int64_t
    registry_store_run (kj_db_t *db, const char *sql, kj_params_t *p);

char *
    registry_store_text (PGresult *res, int row, int column,
                         ProtobufCAllocator *mem);

//  A field table's input columns (registry_check.h: an institution's or a
//  product's) as parameters, in the table's order, which is the columns'.
void
    registry_store_attrs_params (kj_params_t *p, const registry_attr_t *table,
                                 size_t rows, const ProtobufCMessage *message);

//  A field table's fields of message from the columns first .. first +
//  rows - 1 of a result row (arrays as text, dates as YYYY-MM-DD).
void
    registry_store_attrs_read (PGresult *res, int row, int first,
                               const registry_attr_t *table, size_t rows,
                               ProtobufCMessage *message,
                               ProtobufCAllocator *mem);

//  The indexes of a field table's columns in a result, by their paths
//  (the REGISTRY_STORE_LIST_READ items are named so), once for the
//  result's rows: 0, or -1 (logged) when one is missing.
int
    registry_store_attrs_columns (const PGresult *res,
                                  const registry_attr_t *table, size_t rows,
                                  int *columns);

//  As registry_store_attrs_read, from the columns that
//  registry_store_attrs_columns resolved.
void
    registry_store_attrs_read_at (PGresult *res, int row, const int *columns,
                                  const registry_attr_t *table, size_t rows,
                                  ProtobufCMessage *message,
                                  ProtobufCAllocator *mem);

#endif
