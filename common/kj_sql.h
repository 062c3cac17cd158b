/*  =========================================================================
    kj_sql - a statement's parameters built, and its result read by column
    name with typed getters

    Parameters: a kj_params_t on the stack collects up to KJ_PARAMS_MAX text
    values in order ($1, $2, ...), with numbers, booleans, optional texts and
    text[] literals written for the caller; kj_params_reset frees what it
    made. Too many parameters is a programming error (assert).

    Results: a row is read by column name, never by position, so that a
    column added to a SELECT cannot shift the others. Each getter says
    whether NULL is allowed: the plain getters refuse NULL (and a missing
    column, or text that is not the type), log why once and return -1; the
    _or getters give a default for NULL. Text is PostgreSQL's text format.
    =========================================================================
*/

#ifndef KJ_SQL_H_INCLUDED
#define KJ_SQL_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KJ_PARAMS_MAX 32

typedef struct {
    const char *values [KJ_PARAMS_MAX];  //  what kj_db_exec takes
    char *owned [KJ_PARAMS_MAX];         //  values [i] if made here
    int count;
} kj_params_t;

//  Parameters start as `kj_params_t p = { 0 };`.

//  value as given (NULL is SQL NULL); the caller keeps it alive.
void
    kj_params_add (kj_params_t *self, const char *value);

//  A value the params free on reset (NULL: SQL NULL).
void
    kj_params_add_owned (kj_params_t *self, char *value);

void
    kj_params_add_int (kj_params_t *self, int64_t value);

void
    kj_params_add_bool (kj_params_t *self, bool value);

//  NULL or "" is SQL NULL.
void
    kj_params_add_opt (kj_params_t *self, const char *value);

//  A text[] literal {"a","b"}, each element quoted and escaped.
void
    kj_params_add_array (kj_params_t *self, const char *const *items, size_t n);

//  Free what was made; count back to 0.
void
    kj_params_reset (kj_params_t *self);

//  --------------------------------------------------------------------------
//  Reading a row by column name

//  Index of column name, or -1 when the result has no such column.
int
    kj_sql_column (const PGresult *res, const char *name);

//  Every name's index into columns [], once for a result that is read row
//  by row in a loop: 0, or -1 (logged, naming the first missing name).
int
    kj_sql_columns (const PGresult *res, const char *const names [],
                    int columns [], int count);

//  True if the column is SQL NULL (or missing, which is logged).
bool
    kj_sql_is_null (const PGresult *res, int row, const char *name);

//  The text of a column, or NULL for SQL NULL or a missing column.
const char *
    kj_sql_text (const PGresult *res, int row, const char *name);

//  A bigint, integer or smallint column into *value: 0, or -1 (logged)
//  when the column is missing, NULL or not a whole number in range.
int
    kj_sql_int64 (const PGresult *res, int row, const char *name,
                  int64_t *value);

//  As kj_sql_int64, for values that fit an int.
int
    kj_sql_int (const PGresult *res, int row, const char *name, int *value);

//  A boolean column ('t' or 'f'): 0, or -1 (logged) as kj_sql_int64.
int
    kj_sql_bool (const PGresult *res, int row, const char *name, bool *value);

//  The column's number, or fallback when it is SQL NULL. A missing or
//  malformed column is logged and gives fallback too.
int64_t
    kj_sql_int64_or (const PGresult *res, int row, const char *name,
                     int64_t fallback);

//  --------------------------------------------------------------------------
//  Reading a row by a column index kj_sql_columns resolved, for loops over
//  many rows: the same refusals as by name, without a lookup per row. The
//  log names the column (PQfname). A column or row out of range is -1.

//  Whether any of these columns of row is SQL NULL where the schema allows
//  none (or out of range): -1, logged naming the first; else 0.
int
    kj_sql_required (const PGresult *res, int row, const int columns [],
                     int count);

int
    kj_sql_int64_at (const PGresult *res, int row, int column, int64_t *value);

int
    kj_sql_int_at (const PGresult *res, int row, int column, int *value);

int
    kj_sql_bool_at (const PGresult *res, int row, int column, bool *value);

#endif
