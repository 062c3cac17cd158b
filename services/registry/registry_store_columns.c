/*  =========================================================================
    registry_store_columns - the SQL column lists of a field table
    (an institution's, a product's or the enterprise's, registry_check.h)

    A row's column is its path. How a column is read, written and set
    depends on its kind alone (arrays are text[], dates date), so the
    lists the statements need are made here from the rows, in the rows'
    order: a new row is a new column of every statement, with no SQL
    written by hand. The statements are built from them once, when the
    program starts (registry_store_institution.c, registry_store_product.c,
    registry_store_enterprise.c, registry_bulk_store_commit.c), so that
    each is still one fixed text that kj_db prepares once per connection.

    Part of registry_store (registry_store.h).
    =========================================================================
*/

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "kejin.h"
#include "registry_check.h"
#include "registry_store.h"

//  What a parameter of the row's kind is cast to, after its number
static const char *
s_cast (const registry_attr_t *a)
{
    switch (a->kind) {
        case REGISTRY_ATTR_ENUMS:
        case REGISTRY_ATTR_REGIONS:
            return "::text[]";
        case REGISTRY_ATTR_DATE:
            return "::date";
        default:
            return "";
    }
}

//  A date column read as YYYY-MM-DD, '' for none, under its own name
static int
s_read_date (char *sql, size_t size, const char *alias, const char *column)
{
    return snprintf (sql, size,
                     "coalesce (to_char (%s%s%s, 'YYYY-MM-DD'), '') AS %s",
                     alias, *alias ? "." : "", column, column);
}

//  One row's item of the list form asks, at sql
static int
s_item (char *sql, size_t size, registry_store_list_t form,
        const registry_attr_t *a, const char *alias, int number)
{
    const char *dot = *alias ? "." : "";
    switch (form) {
        case REGISTRY_STORE_LIST_READ:
            //  As registry_store_attrs_read takes them, by their path:
            //  arrays as their text, dates as YYYY-MM-DD, '' for none (a
            //  date that always has a value, valid_from, is never NULL)
            if (a->kind == REGISTRY_ATTR_ENUMS
                || a->kind == REGISTRY_ATTR_REGIONS)
                return snprintf (sql, size, "%s%s%s::text AS %s", alias, dot,
                                 a->path, a->path);
            if (a->kind == REGISTRY_ATTR_DATE && a->today)
                return snprintf (sql, size,
                                 "to_char (%s%s%s, 'YYYY-MM-DD') AS %s", alias,
                                 dot, a->path, a->path);
            if (a->kind == REGISTRY_ATTR_DATE)
                return s_read_date (sql, size, alias, a->path);
            return snprintf (sql, size, "%s%s%s", alias, dot, a->path);
        case REGISTRY_STORE_LIST_NAMES:
            return snprintf (sql, size, "%s", a->path);
        case REGISTRY_STORE_LIST_VALUES:
            return snprintf (sql, size, "$%d%s", number, s_cast (a));
        case REGISTRY_STORE_LIST_SETS:
            return snprintf (sql, size, "%s = $%d%s", a->path, number,
                             s_cast (a));
        case REGISTRY_STORE_LIST_STAGED:
            return snprintf (sql, size, "%s", a->staged ? a->staged : a->path);
    }
    return 0;
}

void
registry_store_attrs_sql (char *sql, size_t size, registry_store_list_t form,
                          const registry_attr_t *table, size_t rows,
                          const char *alias, int first)
{
    assert (sql && size && table);
    size_t at = 0;
    sql [0] = 0;
    for (size_t r = 0; r < rows; r++) {
        int wrote = s_item (sql + at, size - at, form, &table [r],
                            alias ? alias : "", first + (int) r);
        at += (size_t) wrote;
        //  The buffers are sized for the tables: a row too many is a
        //  mistake of the program, caught by test_registry_attrs
        assert (wrote >= 0 && at + 2 < size);
        if (r + 1 < rows)
            at += (size_t) snprintf (sql + at, size - at, ", ");
    }
}

void
registry_store_attrs_lists (registry_store_lists_t *lists,
                            const registry_attr_t *table, size_t rows,
                            const char *alias, int first)
{
    registry_store_attrs_sql (lists->read, sizeof lists->read,
                              REGISTRY_STORE_LIST_READ, table, rows, alias, 0);
    registry_store_attrs_sql (lists->names, sizeof lists->names,
                              REGISTRY_STORE_LIST_NAMES, table, rows, NULL, 0);
    registry_store_attrs_sql (lists->values, sizeof lists->values,
                              REGISTRY_STORE_LIST_VALUES, table, rows, NULL,
                              first);
    registry_store_attrs_sql (lists->sets, sizeof lists->sets,
                              REGISTRY_STORE_LIST_SETS, table, rows, NULL, 2);
    registry_store_attrs_sql (lists->staged, sizeof lists->staged,
                              REGISTRY_STORE_LIST_STAGED, table, rows, NULL, 0);
}

//  --------------------------------------------------------------------------
//  The enterprise's stored input columns (registry_check_enterprise_column)

//  One column's item of the list form asks, at sql
static int
s_field_item (char *sql, size_t size, registry_store_list_t form,
              const registry_field_t *f, const char *alias, int number)
{
    const char *dot = *alias ? "." : "";
    const char *cast = f->kind == REGISTRY_FIELD_DATE ? "::date" : "";
    switch (form) {
        case REGISTRY_STORE_LIST_READ:
            //  A date as YYYY-MM-DD, '' for none, under its column's name
            //  (the enterprise's rows are read by name)
            if (f->kind == REGISTRY_FIELD_DATE)
                return s_read_date (sql, size, alias, f->column);
            return snprintf (sql, size, "%s%s%s", alias, dot, f->column);
        case REGISTRY_STORE_LIST_NAMES:
        case REGISTRY_STORE_LIST_STAGED:
            return snprintf (sql, size, "%s", f->column);
        case REGISTRY_STORE_LIST_VALUES:
            return snprintf (sql, size, "$%d%s", number, cast);
        case REGISTRY_STORE_LIST_SETS:
            return snprintf (sql, size, "%s = $%d%s", f->column, number, cast);
    }
    return 0;
}

void
registry_store_enterprise_sql (char *sql, size_t size,
                               registry_store_list_t form, const char *alias,
                               int first)
{
    assert (sql && size);
    size_t at = 0;
    sql [0] = 0;
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        int wrote = s_field_item (sql + at, size - at, form,
                                  registry_check_enterprise_column (i),
                                  alias ? alias : "", first + i);
        at += (size_t) wrote;
        assert (wrote >= 0 && at + 2 < size);  //  sized for the table
        if (i + 1 < REGISTRY_ENTERPRISE_COLUMNS)
            at += (size_t) snprintf (sql + at, size - at, ", ");
    }
}

void
registry_store_sql (char *sql, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int wrote = vsnprintf (sql, size, format, args);
    va_end (args);
    assert (wrote >= 0 && (size_t) wrote < size);  //  sized for the tables
    (void) wrote;
}
