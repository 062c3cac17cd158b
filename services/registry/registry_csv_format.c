/*  =========================================================================
    registry_csv_format - messages of each kind into CSV rows, in the
    columns of the header, so that an exported file imports as it was

    Part of registry_csv (registry_csv.h).
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <csv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kj_util.h"
#include "kj_i18n.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_csv_private.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_uscc.h"

//  --------------------------------------------------------------------------
//  Formatting

//  One field: quoted when it holds a comma, quote, newline or white space
//  at either end, or is empty (so that PostgreSQL's COPY ... CSV reads an
//  empty string, not NULL).
static void
s_put (registry_csv_buf_t *out, const char *text, bool first)
{
    if (!first)
        registry_csv_buf_append (out, ",", 1);
    size_t length = strlen (text);
    bool quote = length == 0 || strpbrk (text, ",\"\r\n") || text [0] == ' '
              || text [0] == '\t' || text [length - 1] == ' '
              || text [length - 1] == '\t';
    if (!quote) {
        registry_csv_buf_append (out, text, length);
        return;
    }
    registry_csv_buf_append (out, "\"", 1);
    for (const char *c = text; *c;) {
        const char *q = strchr (c, '"');
        size_t run = q ? (size_t) (q - c) : strlen (c);
        registry_csv_buf_append (out, c, run);
        if (!q)
            break;
        registry_csv_buf_append (out, "\"\"", 2);
        c = q + 1;
    }
    registry_csv_buf_append (out, "\"", 1);
}

static void
s_put_int (registry_csv_buf_t *out, int64_t value, bool first)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, value);
    s_put (out, text, first);
}

//  Figure i of a year (registry_check_figure_table): an empty cell when
//  it was not reported, so that the file imports back as it was (unknown,
//  not 0)
static void
s_put_figure (registry_csv_buf_t *out, const Kj__YearFigures *f, int i,
              bool first)
{
    if (registry_check_figure_reported (f, i))
        s_put_int (out, registry_check_figure_value (f, i), first);
    else if (!first)
        registry_csv_buf_append (out, ",", 1);
}

static void
s_put_bool (registry_csv_buf_t *out, bool value, bool first)
{
    s_put (out, value ? "true" : "false", first);
}

static void
s_put_enum (registry_csv_buf_t *out, const registry_csv_enum_t *e, int value,
            bool first)
{
    char name [48];
    s_put (out,
           value == 0 && !e->zero_ok
               ? ""
               : registry_csv_enum_name (e, value, name, sizeof name),
           first);
}

//  A list of enum values joined by '|'.
static void
s_put_enums (registry_csv_buf_t *out, const registry_csv_enum_t *e,
             const int *values, size_t n, bool first)
{
    char text [400] = "", name [48];
    size_t at = 0;
    for (size_t i = 0; i < n && at < sizeof text; i++)
        at += snprintf (text + at, sizeof text - at, "%s%s", i ? "|" : "",
                        registry_csv_enum_name (e, values [i], name,
                                                sizeof name));
    s_put (out, text, first);
}

static void
s_put_strings (registry_csv_buf_t *out, char **values, size_t n, bool first)
{
    char text [400] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && at < sizeof text; i++)
        at += snprintf (text + at, sizeof text - at, "%s%s", i ? "|" : "",
                        values [i]);
    s_put (out, text, first);
}

static const char *
s_str (const char *text)
{
    return text ? text : "";
}

//  The listing state of an institution or a product.
static void
s_put_state (registry_csv_buf_t *out, Kj__ListingState state, bool first)
{
    s_put (out,
           state == KJ__LISTING_STATE__LISTING_WITHDRAWN ? "withdrawn"
                                                         : "listed",
           first);
}

//  The field of row a of a field table (registry_check.h), by its kind.
static void
s_put_attr (registry_csv_buf_t *out, const registry_attr_t *a,
            const ProtobufCMessage *message, bool first)
{
    size_t *count;
    const char *at = registry_check_attr_at (a, message, &count);
    const registry_csv_enum_t *e = a->type ? registry_csv_enum_of (a->type)
                                           : NULL;
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
        case REGISTRY_ATTR_CODE:
        case REGISTRY_ATTR_DATE:
        case REGISTRY_ATTR_GRADE:
            s_put (out, s_str (*(const char *const *) at), first);
            break;
        case REGISTRY_ATTR_ENUM:
            s_put_enum (out, e, *(const int *) at, first);
            break;
        case REGISTRY_ATTR_ENUMS:
            s_put_enums (out, e, *(const int *const *) at, *count, first);
            break;
        case REGISTRY_ATTR_REGIONS:
            s_put_strings (out, *(char **const *) at, *count, first);
            break;
        case REGISTRY_ATTR_MONEY:
            s_put_int (out, *(const int64_t *) at, first);
            break;
        case REGISTRY_ATTR_COUNT:
        case REGISTRY_ATTR_BP:
            s_put_int (out, *(const int32_t *) at, first);
            break;
    }
}

//  One cell of a row, by column id.
static void
s_format_cell (const registry_csv_row_t *row, registry_csv_col_t id,
               registry_csv_buf_t *out, bool first)
{
    const Kj__Enterprise *e = row->enterprise;
    const Kj__YearFigures *f = row->figures;
    const Kj__Institution *i = row->institution;
    const Kj__Product *p = row->product;
    char name [48];
    //  An institution's or a product's field: its table's row
    size_t rows;
    registry_csv_col_t at;
    const registry_attr_t *table = registry_csv_attrs_of (row->kind, &rows,
                                                          &at);
    if (table && id >= at && id < at + rows) {
        s_put_attr (out, &table [id - at],
                    i ? &i->base : (const ProtobufCMessage *) &p->base, first);
        return;
    }
    //  The enterprise's own flags and counts: the field table's rows
    const registry_field_t *field = e ? registry_csv_field_of (id) : NULL;
    if (field) {
        const void *value = registry_check_enterprise_field (e, field);
        if (field->kind == REGISTRY_FIELD_FLAG)
            s_put_bool (out, value && *(const protobuf_c_boolean *) value,
                        first);
        else
            s_put_int (out, value ? *(const int32_t *) value : 0, first);
        return;
    }
    switch (id) {
        case E_CODE:
            s_put (out, s_str (e->code), first);
            break;
        case E_NAME:
            s_put (out, s_str (e->name), first);
            break;
        case E_REGION:
            s_put (out, s_str (e->region), first);
            break;
        case E_INDUSTRY:
            s_put (out, s_str (e->industry), first);
            break;
        case E_FOUNDED_ON:
            s_put (out, s_str (e->founded_on), first);
            break;
        case E_SIZE_CLASS:
            s_put_enum (out, &registry_csv_enum_size, e->size_class, first);
            break;
        case E_STATUS:
            s_put (out,
                   registry_entry_state_name (
                       (registry_entry_state_t) e->status),
                   first);
            break;
        case E_TAX_GRADE:
            s_put (out, e->credit ? s_str (e->credit->tax_grade) : "", first);
            break;
        case E_ROUND:
        case E_ROUND_CLOSED_ON:
        case E_ROUND_AMOUNT: {
            //  The latest round, as the registry counts it: the furthest
            //  (seed < angel < a < b < c_plus < pre_ipo), the later closed
            //  on a tie
            const Kj__EquityRound *latest = NULL;
            for (size_t r = 0; r < e->n_rounds; r++) {
                const Kj__EquityRound *round = e->rounds [r];
                if (!latest || round->round > latest->round
                    || (round->round == latest->round
                        && strcmp (s_str (round->closed_on),
                                   s_str (latest->closed_on))
                               > 0))
                    latest = round;
            }
            if (id == E_ROUND)
                s_put (out,
                       latest
                           ? registry_csv_enum_name (&registry_csv_enum_round,
                                                     latest->round, name,
                                                     sizeof name)
                           : "none",
                       first);
            else if (id == E_ROUND_CLOSED_ON)
                s_put (out, latest ? s_str (latest->closed_on) : "", first);
            else if (latest)
                s_put_int (out, latest->amount_fen, first);
            else
                s_put (out, "", first);
            break;
        }
        case E_QUALIFICATIONS: {
            char text [600] = "";
            size_t at = 0;
            for (size_t q = 0; q < e->n_qualifications && at < sizeof text; q++)
                at += snprintf (text + at, sizeof text - at, "%s%s:%s",
                                q ? "|" : "",
                                registry_csv_enum_name (&registry_csv_enum_qual,
                                                        e->qualifications [q]
                                                            ->kind,
                                                        name, sizeof name),
                                s_str (e->qualifications [q]->expires_on));
            s_put (out, text, first);
            break;
        }
        case E_STAGE:
            s_put (out,
                   e->stage ? registry_csv_enum_name (&registry_csv_enum_stage,
                                                      e->stage->stage, name,
                                                      sizeof name)
                            : "",
                   first);
            break;
        case E_TECHSME:
            if (e->techsme)
                s_put_int (out, e->techsme->total, first);
            else
                s_put (out, "", first);
            break;
        case F_CODE:
            s_put (out, s_str (row->code), first);
            break;
        case F_YEAR:
            s_put_int (out, f->year, first);
            break;
        case F_REVENUE:
        case F_RND:
        case F_NET_PROFIT:
        case F_ASSETS:
        case F_CASH_FLOW:
        case F_HIGH_TECH_REVENUE:
        case F_COST:
        case F_STAFF:
        case F_TECH_STAFF:
            s_put_figure (out, f, (int) (id - F_REVENUE), first);
            break;
        case I_ID:
            s_put (out, s_str (i->id), first);
            break;
        case I_STATUS:
            s_put_state (out, i->state, first);
            break;
        case P_ID:
            s_put (out, s_str (p->id), first);
            break;
        case P_INSTITUTION:
            s_put (out, s_str (p->institution_id), first);
            break;
        case P_STATUS:
            s_put_state (out, p->state, first);
            break;
        case S_COLUMNS:
            break;
        default:  //  the field tables' columns, written above
            break;
    }
}

void
registry_csv_header (registry_csv_kind_t kind, registry_csv_buf_t *out)
{
    const registry_csv_column_t *table;
    size_t size;
    registry_csv_table_of (kind, &table, &size);
    for (size_t c = 0; c < size; c++)
        s_put (out, table [c].name, c == 0);
    registry_csv_buf_append (out, "\n", 1);
}

void
registry_csv_format (const registry_csv_t *layout,
                     const registry_csv_row_t *row, registry_csv_buf_t *out)
{
    if (layout) {
        assert (layout->kind == row->kind);
        for (size_t c = 0; c < layout->n_columns; c++)
            s_format_cell (row, layout->columns [c]->id, out, c == 0);
    }
    else {
        const registry_csv_column_t *table;
        size_t size;
        registry_csv_table_of (row->kind, &table, &size);
        for (size_t c = 0; c < size; c++)
            s_format_cell (row, table [c].id, out, c == 0);
    }
    registry_csv_buf_append (out, "\n", 1);
}
