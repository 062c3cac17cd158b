/*  =========================================================================
    registry_csv - the CSV files of the registry's bulk import and export

    Pure rules, no I/O. libcsv splits the bytes into fields; this class
    knows the columns of each kind, turns a row's fields into the message
    of its kind, and checks it with the registry's own rules.

    libcsv does not count lines, and a quoted field may hold newlines, so
    rows are fed to it one line at a time: a row starts on the line being
    fed when the parser was between rows before it (its state is
    ROW_NOT_BEGUN, which is 0 in libcsv's public struct). Blank lines never
    start a row, so they cost nothing and move no numbers.

    A row's fields are copied into one arena (each NUL-terminated) as
    libcsv hands them over; the row's message points into that arena and
    into fixed arrays of this object, so a valid row costs no malloc.

    Split: this file holds the columns of each kind, buffers, libcsv's
    callbacks, the header, new and destroy; registry_csv_enums.c the names
    a cell may give an enum or a region; registry_csv_cells.c
    reads typed cells and reports problems, registry_csv_rows.c turns the
    row of each kind into its message, registry_csv_format.c writes rows.
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <csv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
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

//  The enterprise's and the figures' columns, made once from registry_check's
//  tables (s_columns_make): the rows' headers in both spellings between
//  the columns no row has. The files' columns keep the order they always
//  had (test_registry_fields holds them to it).
static registry_csv_column_t
    s_enterprise_columns [REGISTRY_ENTERPRISE_COLUMNS + 8];
static registry_csv_column_t s_figures_columns [REGISTRY_FIGURES + 2];

//  Institutions and products: their ids, a column per row of their field
//  table (registry_check.h) under its path and csv_zh, and the status the
//  registry keeps; made once from the tables (s_columns_make)
static registry_csv_column_t
    s_institution_columns [REGISTRY_INSTITUTION_ATTRS + 2];
static registry_csv_column_t s_product_columns [REGISTRY_PRODUCT_ATTRS + 3];

//  --------------------------------------------------------------------------
//  Buffers

void
registry_csv_buf_append (registry_csv_buf_t *buf, const char *data, size_t size)
{
    if (buf->size + size + 1 > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity * 2 : 4096;
        while (capacity < buf->size + size + 1)
            capacity *= 2;
        buf->data = (char *) realloc (buf->data, capacity);
        assert (buf->data);
        buf->capacity = capacity;
    }
    memcpy (buf->data + buf->size, data, size);
    buf->size += size;
    buf->data [buf->size] = 0;
}

void
registry_csv_buf_reset (registry_csv_buf_t *buf)
{
    buf->size = 0;
    if (buf->data)
        buf->data [0] = 0;
}

void
registry_csv_buf_free (registry_csv_buf_t *buf)
{
    free (buf->data);
    memset (buf, 0, sizeof *buf);
}

//  --------------------------------------------------------------------------
//  Names of kinds, regions and enum values

static const char *s_kind_names [] = { "", "enterprises", "figures",
                                       "institutions", "products" };

const char *
registry_csv_kind_name (registry_csv_kind_t kind)
{
    return kind >= REGISTRY_CSV_ENTERPRISES && kind <= REGISTRY_CSV_PRODUCTS
             ? s_kind_names [kind]
             : "";
}

int
registry_csv_kind_from_name (const char *name)
{
    static const char *singular [] = { "", "enterprise", "figure",
                                       "institution", "product" };
    for (int kind = REGISTRY_CSV_ENTERPRISES;
         name && kind <= REGISTRY_CSV_PRODUCTS; kind++)
        if (strcasecmp (name, s_kind_names [kind]) == 0
            || strcasecmp (name, singular [kind]) == 0)
            return kind;
    return -1;
}

//  --------------------------------------------------------------------------
//  libcsv's callbacks: a field, then the end of a row

static void
s_on_field (void *data, size_t size, void *arg)
{
    registry_csv_t *self = (registry_csv_t *) arg;
    if (self->n_fields < MAX_COLUMNS) {
        if (self->arena_used + size + 1 > self->arena_size) {
            while (self->arena_used + size + 1 > self->arena_size)
                self->arena_size *= 2;
            self->arena = (char *) realloc (self->arena, self->arena_size);
            assert (self->arena);
        }
        self->field_at [self->n_fields] = self->arena_used;
        if (size)
            memcpy (self->arena + self->arena_used, data, size);
        self->arena [self->arena_used + size] = 0;
        self->arena_used += size + 1;
    }
    self->n_fields++;
}

//  Trim ASCII white space off both ends of every field, in place (libcsv
//  trims unquoted fields only).
static void
s_trim_fields (registry_csv_t *self)
{
    size_t fields = self->n_fields < MAX_COLUMNS ? self->n_fields : MAX_COLUMNS;
    for (size_t i = 0; i < fields; i++) {
        char *cell = self->arena + self->field_at [i];
        size_t skip = 0;
        while (cell [skip] == ' ' || cell [skip] == '\t' || cell [skip] == '\r')
            skip++;
        size_t length = strlen (cell + skip);
        while (length
               && (cell [skip + length - 1] == ' '
                   || cell [skip + length - 1] == '\t'
                   || cell [skip + length - 1] == '\r'))
            length--;
        cell [skip + length] = 0;
        self->field_at [i] += skip;
    }
}

static void
s_on_row (int terminator, void *arg)
{
    registry_csv_t *self = (registry_csv_t *) arg;
    s_trim_fields (self);
    self->rows++;
    self->failed = false;
    if (self->n_fields != self->n_columns) {
        char value [32];
        snprintf (value, sizeof value, "%zu fields", self->n_fields);
        registry_csv_error (self, "", value,
                            "%zu field%s, but the header has %zu "
                            "columns",
                            self->n_fields, self->n_fields == 1 ? "" : "s",
                            self->n_columns);
    }
    else
        switch (self->kind) {
            case REGISTRY_CSV_ENTERPRISES:
                registry_csv_enterprise_row (self);
                break;
            case REGISTRY_CSV_FIGURES:
                registry_csv_figures_row (self);
                break;
            case REGISTRY_CSV_INSTITUTIONS:
                registry_csv_institution_row (self);
                break;
            case REGISTRY_CSV_PRODUCTS:
                registry_csv_product_row (self);
                break;
        }
    self->n_fields = 0;
    self->arena_used = 0;
}

//  The parser met bad CSV (a stray quote): report the row, start afresh.
static void
s_malformed (registry_csv_t *self, const char *why)
{
    if (!self->broken) {
        self->rows++;
        registry_csv_error (self, "", NULL, "%s", why);
    }
    self->broken = true;
    csv_free (&self->parser);
    csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI);
    self->n_fields = 0;
    self->arena_used = 0;
}

uint32_t
registry_csv_parse (registry_csv_t *self, const char *data, size_t size,
                    uint32_t first_line, registry_csv_row_fn *row_fn,
                    registry_csv_error_fn *error_fn, void *arg)
{
    assert (self);
    assert (data || size == 0);
    self->row_fn = row_fn;
    self->error_fn = error_fn;
    self->arg = arg;
    self->rows = 0;
    self->line = first_line;
    size_t at = 0;
    while (at < size) {
        const char *newline = (const char *) memchr (data + at, '\n',
                                                     size - at);
        size_t end = newline ? (size_t) (newline - data) + 1 : size;
        //  Between rows (libcsv's ROW_NOT_BEGUN is 0): one may start here
        if (self->parser.pstate == 0) {
            self->row_line = self->line;
            self->broken = false;
        }
        if (csv_parse (&self->parser, data + at, end - at, s_on_field, s_on_row,
                       self)
            != end - at)
            s_malformed (self, "malformed CSV: a quote inside an unquoted "
                               "field, or text after a closing quote; a field "
                               "with quotes, commas or newlines is written "
                               "\"like \"\"this\"\"\"");
        at = end;
        if (newline)
            self->line++;
    }
    //  The last row may lack its newline; a quote still open ends here
    if (csv_fini (&self->parser, s_on_field, s_on_row, self) != 0)
        s_malformed (self, "malformed CSV: a quoted field is never closed");
    self->row_fn = NULL;
    self->error_fn = NULL;
    return self->rows;
}

uint32_t
registry_csv_next_line (registry_csv_t *self)
{
    return self->line;
}

//  --------------------------------------------------------------------------
//  Header

//  Append one problem to a "; "-separated list.
static void
s_problem (char *buf, size_t size, size_t *at, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_problem (char *buf, size_t size, size_t *at, const char *format, ...)
{
    if (*at + 3 >= size)
        return;
    if (*at)
        *at += snprintf (buf + *at, size - *at, "; ");
    va_list args;
    va_start (args, format);
    *at += vsnprintf (buf + *at, size - *at, _ (format), args);
    va_end (args);
    if (*at >= size) {
        //  Never half a character at the cut, and the cut shown: buf has
        //  room for "…" beyond size (s_take_header)
        kj_utf8_trim (buf);
        strcat (buf, "…");
        *at = size;  //  and nothing more after it
    }
}

//  Take the header row's fields as the columns of the file; problems go
//  into the status, all of them.
static int
s_take_header (registry_csv_t *self, kj_status_t *status)
{
    //  The problems first, cut with "…" past 300 bytes, so that the
    //  file's columns follow them (themselves cut between two names)
    char problems [sizeof status->message] = "";
    size_t at = 0;
#define PROBLEM(...) s_problem (problems, 300, &at, __VA_ARGS__)
    s_trim_fields (self);
    if (self->n_fields > MAX_COLUMNS) {
        PROBLEM ("%zu columns, at most %d", self->n_fields, MAX_COLUMNS);
        self->n_fields = MAX_COLUMNS;
    }
    for (size_t i = 0; i < self->n_fields; i++) {
        const char *name = self->arena + self->field_at [i];
        const registry_csv_column_t *found = NULL;
        for (size_t c = 0; c < self->table_size && !found; c++)
            if (strcasecmp (name, self->table [c].name) == 0
                || strcmp (name, self->table [c].zh) == 0)
                found = &self->table [c];
        if (!found
            && (strcasecmp (name, "uscc") == 0
                || strcasecmp (name, "credit_code") == 0)
            && (self->kind == REGISTRY_CSV_ENTERPRISES
                || self->kind == REGISTRY_CSV_FIGURES))
            found = &self->table [0];
        if (!found) {
            PROBLEM ("column %zu: '%.*s' is not a column of %s files", i + 1,
                     kj_utf8_cut (name, 40), name,
                     registry_csv_kind_name (self->kind));
            continue;
        }
        if (self->file_column [found->id] >= 0) {
            PROBLEM ("column %zu: '%s' is there twice (also column %d)", i + 1,
                     found->name, self->file_column [found->id] + 1);
            continue;
        }
        self->file_column [found->id] = (int) i;
        self->columns [i] = found;
    }
    self->n_columns = self->n_fields;
    for (size_t c = 0; c < self->table_size; c++)
        if (self->table [c].required
            && self->file_column [self->table [c].id] < 0)
            PROBLEM ("column '%s' (%s) is required and missing",
                     self->table [c].name, self->table [c].zh);
#undef PROBLEM
    if (!*problems)
        return 0;
    //  As many of the file's columns as fit, whole names, "…" for the rest
    char message [sizeof status->message + 1];
    for (size_t keep = self->table_size; keep > 0; keep--) {
        char columns [sizeof status->message];
        size_t used = 0;
        for (size_t c = 0; c < keep && used < sizeof columns; c++)
            used += snprintf (columns + used, sizeof columns - used, "%s%s",
                              c ? ", " : "", self->table [c].name);
        if (keep < self->table_size && used < sizeof columns)
            snprintf (columns + used, sizeof columns - used, ", …");
        if (snprintf (message, sizeof message,
                      _ ("header (line 1): %s. Columns of %s files: %s"),
                      problems, registry_csv_kind_name (self->kind), columns)
            < (int) sizeof status->message)
            break;
    }
    message [sizeof status->message - 1] = 0;
    kj_utf8_trim (message);
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header", "%s",
                          message);
}

registry_csv_t *
registry_csv_new (registry_csv_kind_t kind, const char *header, size_t size,
                  const registry_csv_options_t *options, kj_status_t *status)
{
    assert (header || size == 0);
    assert (options && status);
    if (kind < REGISTRY_CSV_ENTERPRISES || kind > REGISTRY_CSV_PRODUCTS) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "kind",
                       "kind: %d is not a kind of file (enterprises, "
                       "figures, institutions, products)",
                       (int) kind);
        return NULL;
    }
    const registry_csv_column_t *table;
    size_t table_size;
    registry_csv_table_of (kind, &table, &table_size);
    if (size >= 3 && memcmp (header, "\xEF\xBB\xBF", 3) == 0) {
        header += 3;
        size -= 3;
    }
    while (size && (header [size - 1] == '\n' || header [size - 1] == '\r'))
        size--;
    if (memchr (header, '\n', size)) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                       "header: one line expected, without newlines");
        return NULL;
    }

    registry_csv_t *self = (registry_csv_t *) calloc (1, sizeof *self);
    assert (self);
    self->kind = kind;
    self->options = *options;
    self->table = table;
    self->table_size = table_size;
    for (int i = 0; i < S_COLUMNS; i++)
        self->file_column [i] = -1;
    self->arena_size = 4096;
    self->arena = (char *) malloc (self->arena_size);
    assert (self->arena);
    csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI);

    //  The header is one row for libcsv; its fields stay in the arena
    bool ok = csv_parse (&self->parser, header, size, s_on_field, NULL, self)
               == size
           && csv_fini (&self->parser, s_on_field, NULL, self) == 0;
    int rc = -1;
    if (!ok)
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                       "header (line 1): malformed CSV");
    else if (self->n_fields == 0)
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                       "header (line 1): empty; the first line names the "
                       "columns");
    else
        rc = s_take_header (self, status);
    csv_free (&self->parser);
    csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI);
    self->n_fields = 0;
    self->arena_used = 0;
    if (rc) {
        registry_csv_destroy (&self);
        return NULL;
    }
    kj_status_ok (status);
    return self;
}

void
registry_csv_destroy (registry_csv_t **self_p)
{
    if (*self_p) {
        registry_csv_t *self = *self_p;
        csv_free (&self->parser);
        free (self->arena);
        free (self);
        *self_p = NULL;
    }
}

size_t
registry_csv_columns (registry_csv_t *self, const char **names, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < self->n_columns && count < max; i++)
        if (self->columns [i])
            names [count++] = self->columns [i]->name;
    return count;
}

size_t
registry_csv_ignored (registry_csv_t *self, const char **names, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < self->n_columns && count < max; i++)
        if (self->columns [i] && self->columns [i]->computed)
            names [count++] = self->columns [i]->name;
    return count;
}

const registry_field_t *
registry_csv_field_of (registry_csv_col_t id)
{
    return id >= E_FIELD && id < E_FIELD + REGISTRY_ENTERPRISE_FIELDS
             ? &registry_check_enterprise_table [id - E_FIELD]
             : NULL;
}

registry_csv_col_t
registry_csv_column_of_field (int i)
{
    assert (i >= 0 && i < REGISTRY_ENTERPRISE_FIELDS);
    return (registry_csv_col_t) (E_FIELD + i);
}

//  The column of an enterprise's field row, with its id
static registry_csv_column_t
s_field_column (registry_csv_col_t id, const registry_field_t *f)
{
    return (registry_csv_column_t){ id, f->csv, f->csv_zh, f->required, false };
}

//  The enterprise's columns: the code, the own rows that come before the
//  status, the status, the table's rows each followed by the own rows
//  written after it (tax_grade), then the parts' columns and the
//  computed ones
static void
s_enterprise_columns_make (void)
{
    static const registry_csv_column_t tail [] = {
        { E_ROUND, "round", "融资轮次", false, false },
        { E_ROUND_CLOSED_ON, "round_closed_on", "融资日期", false, false },
        { E_ROUND_AMOUNT, "round_amount_fen", "融资金额_分", false, false },
        { E_QUALIFICATIONS, "qualifications", "资质", false, false },
        { E_STAGE, "stage", "生命周期阶段", false, true },
        { E_TECHSME, "techsme_total", "科技型中小企业评分", false, true },
    };
    registry_csv_column_t *columns = s_enterprise_columns;
    size_t c = 0;
    columns [c++] = (registry_csv_column_t){ E_CODE, "code", "统一社会信用代码",
                                             true, false };
    for (int r = 0; r < REGISTRY_ENTERPRISE_OWN; r++)
        if (!registry_check_enterprise_own [r].csv_after)
            columns [c++] = s_field_column ((registry_csv_col_t) (E_OWN + r),
                                            &registry_check_enterprise_own [r]);
    columns [c++] = (registry_csv_column_t){ E_STATUS, "status", "入库状态",
                                             false, false };
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        columns [c++] = s_field_column ((registry_csv_col_t) (E_FIELD + i), f);
        for (int r = 0; r < REGISTRY_ENTERPRISE_OWN; r++) {
            const char *after = registry_check_enterprise_own [r].csv_after;
            if (after && streq (after, f->csv))
                columns [c++] =
                    s_field_column ((registry_csv_col_t) (E_OWN + r),
                                    &registry_check_enterprise_own [r]);
        }
    }
    for (size_t t = 0; t < COUNT (tail); t++)
        columns [c++] = tail [t];
    //  Every row placed once (an own row after no table row would be
    //  missing: test_registry_fields finds each row's column)
    assert (c == COUNT (s_enterprise_columns));
}

//  The figures': the code, the year, a column per row of the table
static void
s_figures_columns_make (void)
{
    registry_csv_column_t *columns = s_figures_columns;
    columns [0] = (registry_csv_column_t){ F_CODE, "code", "统一社会信用代码",
                                           true, false };
    columns [1] = (registry_csv_column_t){ F_YEAR, "year", "年度", true,
                                           false };
    for (int i = 0; i < REGISTRY_FIGURES; i++)
        columns [2 + i] = (registry_csv_column_t){
            (registry_csv_col_t) (F_REVENUE + i),
            registry_check_figure_table [i].column,
            registry_check_figure_table [i].csv_zh, false, false
        };
}

//  The columns of an entity with a field table: its ids, a column per
//  row, the status (computed)
static void
s_columns_of_attrs (registry_csv_column_t *columns, const char *const *ids,
                    registry_csv_col_t first_id, const registry_attr_t *table,
                    size_t rows, registry_csv_col_t status)
{
    size_t c = 0;
    for (; ids [c * 2]; c++)
        columns [c] = (registry_csv_column_t){
            (registry_csv_col_t) (first_id + c), ids [c * 2], ids [c * 2 + 1],
            true, false
        };
    for (size_t r = 0; r < rows; r++)
        columns [c++] = (registry_csv_column_t){
            (registry_csv_col_t) (status - rows + r), table [r].path,
            table [r].csv_zh, table [r].required, false
        };
    columns [c] = (registry_csv_column_t){ status, "status", "状态", false,
                                           true };
}

static void
s_columns_make (void)
{
    s_enterprise_columns_make ();
    s_figures_columns_make ();
    static const char *const institution_ids [] = { "id", "机构编号", NULL };
    static const char *const product_ids [] = { "id", "产品编号",
                                                "institution_id", "机构编号",
                                                NULL };
    s_columns_of_attrs (s_institution_columns, institution_ids, I_ID,
                        registry_check_institution_table,
                        REGISTRY_INSTITUTION_ATTRS, I_STATUS);
    s_columns_of_attrs (s_product_columns, product_ids, P_ID,
                        registry_product_table, REGISTRY_PRODUCT_ATTRS,
                        P_STATUS);
}

static pthread_once_t s_columns_once = PTHREAD_ONCE_INIT;

const registry_attr_t *
registry_csv_attrs_of (registry_csv_kind_t kind, size_t *rows,
                       registry_csv_col_t *first)
{
    if (kind == REGISTRY_CSV_INSTITUTIONS) {
        *rows = REGISTRY_INSTITUTION_ATTRS;
        *first = I_ATTR;
        return registry_check_institution_table;
    }
    if (kind == REGISTRY_CSV_PRODUCTS) {
        *rows = REGISTRY_PRODUCT_ATTRS;
        *first = P_ATTR;
        return registry_product_table;
    }
    return NULL;
}

void
registry_csv_table_of (registry_csv_kind_t kind,
                       const registry_csv_column_t **table, size_t *size)
{
    pthread_once (&s_columns_once, s_columns_make);
    switch (kind) {
        case REGISTRY_CSV_ENTERPRISES:
            *table = s_enterprise_columns;
            *size = COUNT (s_enterprise_columns);
            break;
        case REGISTRY_CSV_FIGURES:
            *table = s_figures_columns;
            *size = COUNT (s_figures_columns);
            break;
        case REGISTRY_CSV_INSTITUTIONS:
            *table = s_institution_columns;
            *size = COUNT (s_institution_columns);
            break;
        default:
            *table = s_product_columns;
            *size = COUNT (s_product_columns);
            break;
    }
}
