/*  =========================================================================
    registry_bulk_store_private - what the registry_bulk_store_* files share

    The bulk path's statements are split (registry_bulk_store.c: imports,
    chunks, problems and counts; _commit: staging rows and the commit's
    INSERTs per kind; _restage: the figures import's pass over the
    enterprises it touched; _export: the pages of each kind). These are
    the helpers they share: raw and long statements, COPY, and writing
    the COPY text format. Private to those files.
    =========================================================================
*/

#ifndef REGISTRY_BULK_STORE_PRIVATE_H_INCLUDED
#define REGISTRY_BULK_STORE_PRIVATE_H_INCLUDED

#include "kejin.h"
#include "registry_bulk_store.h"

void
    registry_bulk_store_bool (registry_csv_buf_t *buf, bool value);

//  COPY buf into a table with `sql` (COPY ... FROM STDIN). 0 or -1.
int
    registry_bulk_store_copy (kj_db_t *db, const char *what, const char *sql,
                              const char *data, size_t size);

//  A date, or NULL when empty.
void
    registry_bulk_store_date (registry_csv_buf_t *buf, const char *text);

void
    registry_bulk_store_end (registry_csv_buf_t *buf);

//  An array of the stored names of enum values.
void
    registry_bulk_store_enum_words (registry_csv_buf_t *buf,
                                    const ProtobufCEnumDescriptor *d,
                                    const char *prefix, const int *values,
                                    size_t n);

void
    registry_bulk_store_failed (const char *what, PGresult *res, kj_db_t *db);

void
    registry_bulk_store_int (registry_csv_buf_t *buf, int64_t value);

//  Run a statement on the raw connection, waiting in slices of a second
//  and ticking in between. Returns the last result (the caller PQclears
//  it and checks its status), NULL if it could not be sent.
PGresult *
    registry_bulk_store_long (kj_db_t *db, const char *sql, int nparams,
                              const char *const *params,
                              registry_bulk_tick_fn *tick, void *arg);

void
    registry_bulk_store_null (registry_csv_buf_t *buf);

//  kj_db_exec, logging a failure (once, as what).
PGresult *
    registry_bulk_store_query (kj_db_t *db, const char *what, const char *sql,
                               int nparams, const char *const *params);

//  A raw statement whose result is only ok or not. 0 or -1.
int
    registry_bulk_store_raw (kj_db_t *db, const char *what, const char *sql,
                             int nparams, const char *const *params,
                             registry_bulk_tick_fn *tick, void *arg,
                             int64_t *rows);

//  An enterprise's parts and compact export cells refreshed, as the SET
//  of an UPDATE enterprise e ... FROM enterprise_read v ... WHERE
//  v.code = e.code (014_enterprise_parts.sql)
#define REGISTRY_BULK_STORE_PARTS                                              \
    "parts = v.parts, facts_parts = v.facts_parts, "                           \
    "facts_years = v.facts_years, parts_format = enterprise_parts_format ()"

//  Per-row refresh of the enterprises' parts off (bulk) or on again
int
    registry_bulk_store_parts (kj_db_t *db, bool bulk);

//  Split "a|b|c" (modified in place) into items; returns their count.
size_t
    registry_bulk_store_split (char *text, char **items, size_t max);

void
    registry_bulk_store_tab (registry_csv_buf_t *buf);

void
    registry_bulk_store_text (registry_csv_buf_t *buf, const char *text);

bool
    registry_bulk_store_true (PGresult *res, int row, int column);

int64_t
    registry_bulk_store_value (PGresult *res, int row, int column);

//  An array of plain words ({a,b}): enum names, region tokens, dates.
void
    registry_bulk_store_words (registry_csv_buf_t *buf,
                               const char *const *words, size_t n);

#endif
