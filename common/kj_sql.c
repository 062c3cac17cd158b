/*  =========================================================================
    kj_sql - a statement's parameters built, and its result read by column
    name with typed getters
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_log.h"
#include "kj_sql.h"

//  --------------------------------------------------------------------------

void
kj_params_add (kj_params_t *self, const char *value)
{
    assert (self->count < KJ_PARAMS_MAX);
    self->owned [self->count] = NULL;
    self->values [self->count++] = value;
}

void
kj_params_add_owned (kj_params_t *self, char *value)
{
    assert (self->count < KJ_PARAMS_MAX);
    self->owned [self->count] = value;
    self->values [self->count++] = value;
}

void
kj_params_add_int (kj_params_t *self, int64_t value)
{
    char *text = (char *) malloc (24);
    assert (text);
    snprintf (text, 24, "%" PRId64, value);
    kj_params_add_owned (self, text);
}

void
kj_params_add_bool (kj_params_t *self, bool value)
{
    kj_params_add (self, value ? "true" : "false");
}

void
kj_params_add_opt (kj_params_t *self, const char *value)
{
    kj_params_add (self, value && *value ? value : NULL);
}

//  --------------------------------------------------------------------------
//  Every element in double quotes, with " and \ escaped: PostgreSQL's array
//  input then takes any text, commas and braces included.

void
kj_params_add_array (kj_params_t *self, const char *const *items, size_t n)
{
    size_t size = 3;
    for (size_t i = 0; i < n; i++)
        size += 2 * strlen (items [i]) + 3;
    char *text = (char *) malloc (size);
    assert (text);
    size_t at = 0;
    text [at++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            text [at++] = ',';
        text [at++] = '"';
        for (const char *c = items [i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                text [at++] = '\\';
            text [at++] = *c;
        }
        text [at++] = '"';
    }
    text [at++] = '}';
    text [at] = 0;
    kj_params_add_owned (self, text);
}

void
kj_params_reset (kj_params_t *self)
{
    for (int i = 0; i < self->count; i++)
        free (self->owned [i]);
    self->count = 0;
}

//  --------------------------------------------------------------------------
//  PQfnumber folds unquoted names to lower case, as SQL does; the names
//  here are the lower-case names the SELECTs give, so that is what we want.

int
kj_sql_column (const PGresult *res, const char *name)
{
    return PQfnumber (res, name);
}

int
kj_sql_columns (const PGresult *res, const char *const names [], int columns [],
                int count)
{
    //  Where the query names them in the same order, as most do, a name is
    //  checked in its place (one strcmp) before PQfnumber's scan, which
    //  lowercases and compares every column for each name (about 5 us for
    //  a row of 21)
    int fields = PQnfields (res);
    for (int i = 0; i < count; i++) {
        const char *there = i < fields ? PQfname (res, i) : NULL;
        columns [i] = there && strcmp (there, names [i]) == 0
                        ? i
                        : PQfnumber (res, names [i]);
        if (columns [i] < 0) {
            kj_error ("sql.column", "the result has no column %s", names [i]);
            return -1;
        }
    }
    return 0;
}

//  The column's index for row, or -1 logged: a missing column is a
//  programming error of the query, a row out of range of the caller.
static int
s_column (const PGresult *res, int row, const char *name)
{
    int column = PQfnumber (res, name);
    if (column < 0)
        kj_error ("sql.column", "the result has no column %s", name);
    else if (row < 0 || row >= PQntuples (res)) {
        kj_error ("sql.row", "row %d of %d asked for column %s", row,
                  PQntuples (res), name);
        column = -1;
    }
    return column;
}

bool
kj_sql_is_null (const PGresult *res, int row, const char *name)
{
    int column = s_column (res, row, name);
    return column < 0 || PQgetisnull (res, row, column);
}

const char *
kj_sql_text (const PGresult *res, int row, const char *name)
{
    int column = s_column (res, row, name);
    if (column < 0 || PQgetisnull (res, row, column))
        return NULL;
    return PQgetvalue (res, row, column);
}

//  The text at (row, column) that must not be NULL, or NULL logged.
static const char *
s_required (const PGresult *res, int row, int column)
{
    if (column < 0 || column >= PQnfields (res) || row < 0
        || row >= PQntuples (res)) {
        kj_error ("sql.row", "row %d of %d, column %d of %d asked for", row,
                  PQntuples (res), column, PQnfields (res));
        return NULL;
    }
    if (PQgetisnull (res, row, column)) {
        kj_error ("sql.null",
                  "column %s of row %d is NULL where a value "
                  "is required",
                  PQfname (res, column), row);
        return NULL;
    }
    return PQgetvalue (res, row, column);
}

int
kj_sql_required (const PGresult *res, int row, const int columns [], int count)
{
    for (int i = 0; i < count; i++)
        if (!s_required (res, row, columns [i]))
            return -1;  //  logged
    return 0;
}

//  A whole number in text, all of it, as PostgreSQL writes an integer
//  (an optional sign, then digits): 0, or -1. By hand, not strtoll: no
//  locale, no errno, no leading blanks to skip; the getters run once a
//  value over results of 100,000s of rows.
static int
s_parse (const char *text, int64_t *value)
{
    bool negative = *text == '-';
    if (*text == '-' || *text == '+')
        text++;
    if (!*text)
        return -1;
    //  The magnitude's bound: 2^63 - 1, or 2^63 for a negative number
    uint64_t limit = (uint64_t) INT64_MAX + negative;
    uint64_t number = 0;
    for (; *text; text++) {
        unsigned digit = (unsigned) (*text - '0');
        if (digit > 9 || number > (limit - digit) / 10)
            return -1;
        number = number * 10 + digit;
    }
    *value = negative ? (int64_t) (0 - number) : (int64_t) number;
    return 0;
}

int
kj_sql_int64_at (const PGresult *res, int row, int column, int64_t *value)
{
    const char *text = s_required (res, row, column);
    if (!text)
        return -1;
    if (s_parse (text, value)) {
        kj_error ("sql.type", "column %s of row %d is not a whole number",
                  PQfname (res, column), row);
        return -1;
    }
    return 0;
}

int
kj_sql_int_at (const PGresult *res, int row, int column, int *value)
{
    int64_t wide;
    if (kj_sql_int64_at (res, row, column, &wide))
        return -1;
    if (wide < INT_MIN || wide > INT_MAX) {
        kj_error ("sql.type", "column %s of row %d is out of an int's range",
                  PQfname (res, column), row);
        return -1;
    }
    *value = (int) wide;
    return 0;
}

int
kj_sql_bool_at (const PGresult *res, int row, int column, bool *value)
{
    const char *text = s_required (res, row, column);
    if (!text)
        return -1;
    if (strcmp (text, "t") && strcmp (text, "f")) {
        kj_error ("sql.type", "column %s of row %d is not a boolean",
                  PQfname (res, column), row);
        return -1;
    }
    *value = *text == 't';
    return 0;
}

//  By name: the column looked up (a missing one logged), then as by index
int
kj_sql_int64 (const PGresult *res, int row, const char *name, int64_t *value)
{
    int column = s_column (res, row, name);
    return column < 0 ? -1 : kj_sql_int64_at (res, row, column, value);
}

int
kj_sql_int (const PGresult *res, int row, const char *name, int *value)
{
    int column = s_column (res, row, name);
    return column < 0 ? -1 : kj_sql_int_at (res, row, column, value);
}

int
kj_sql_bool (const PGresult *res, int row, const char *name, bool *value)
{
    int column = s_column (res, row, name);
    return column < 0 ? -1 : kj_sql_bool_at (res, row, column, value);
}

int64_t
kj_sql_int64_or (const PGresult *res, int row, const char *name,
                 int64_t fallback)
{
    int column = s_column (res, row, name);
    if (column < 0 || PQgetisnull (res, row, column))
        return fallback;
    int64_t value;
    if (s_parse (PQgetvalue (res, row, column), &value)) {
        kj_error ("sql.type", "column %s of row %d is not a whole number", name,
                  row);
        return fallback;
    }
    return value;
}
