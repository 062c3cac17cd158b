/*  =========================================================================
    registry_csv_private - what the registry_csv_* files share

    The CSV class is split (registry_csv.c: the columns of each kind, enum
    names and aliases, buffers, libcsv's callbacks, the header, new and
    destroy; _cells: problems and the typed cells of a row; _rows: the
    row of each kind into its message; _format: rows into CSV). These are
    the column ids, the row storage, the object and the helpers they
    share. Private to those files.
    =========================================================================
*/

#ifndef REGISTRY_CSV_PRIVATE_H_INCLUDED
#define REGISTRY_CSV_PRIVATE_H_INCLUDED

#include <stdarg.h>
#include "registry_csv.h"
#include "registry_product.h"
#include "registry_check.h"
#include "registry_uscc.h"

//  Columns of every kind, one id each.
typedef enum {
    //  enterprises: the code, a column per row of registry_check's own
    //  table (registry_check_enterprise_own: row r is E_OWN + r, the ids
    //  below in its rows' order), the status, a column per row of its
    //  field table (registry_check_enterprise_table: row r is E_FIELD + r),
    //  the parts' columns and the computed ones
    E_CODE,
    E_OWN,
    E_NAME = E_OWN,
    E_REGION,
    E_INDUSTRY,
    E_FOUNDED_ON,
    E_SIZE_CLASS,
    E_TAX_GRADE,
    E_STATUS = E_OWN + REGISTRY_ENTERPRISE_OWN,
    E_FIELD,
    E_ROUND = E_FIELD + REGISTRY_ENTERPRISE_FIELDS,
    E_ROUND_CLOSED_ON,
    E_ROUND_AMOUNT,
    E_QUALIFICATIONS,
    E_STAGE,
    E_TECHSME,
    //  figures: the code, the year, a column per row of
    //  registry_check_figure_table (row r is F_REVENUE + r)
    F_CODE,
    F_YEAR,
    F_REVENUE,
    F_RND,
    F_NET_PROFIT,
    F_ASSETS,
    F_CASH_FLOW,
    F_HIGH_TECH_REVENUE,
    F_COST,
    F_STAFF,
    F_TECH_STAFF,
    //  institutions: the id, then a column per row of the field table
    //  (registry_check_institution_table: row r is I_ATTR + r), the status
    I_ID,
    I_ATTR,
    I_STATUS = I_ATTR + REGISTRY_INSTITUTION_ATTRS,
    //  products: the ids, the field table's rows (registry_product_table),
    //  the status
    P_ID,
    P_INSTITUTION,
    P_ATTR,
    P_STATUS = P_ATTR + REGISTRY_PRODUCT_ATTRS,
    S_COLUMNS  //  number of column ids
} registry_csv_col_t;

//  The named ids of the enterprise's own rows are one per row, and the
//  figures' one per row of their table
_Static_assert(E_TAX_GRADE + 1 == E_STATUS, "an id per own row");
_Static_assert(F_TECH_STAFF + 1 - F_REVENUE == REGISTRY_FIGURES,
               "an id per figure");

typedef struct {
    registry_csv_col_t id;
    const char *name;  //  canonical header name
    const char *zh;    //  Chinese header name, accepted too
    bool required;     //  must be in the header
    bool computed;     //  written by export, ignored on import
} registry_csv_column_t;

#define COUNT(table) (sizeof table / sizeof table [0])

//  Most columns a header may have, and fields a row may have.
#define MAX_COLUMNS 64

//  Most items of a list cell of an institution or product (regions, enum
//  values).
#define REGISTRY_CSV_MAX_LIST REGISTRY_PRODUCT_MAX_REGIONS

//  Names people write for enum values, beside the stored names.
typedef struct {
    const char *alias;
    int value;
} registry_csv_alias_t;

//  An enum as the columns read it: its descriptor, the prefix of its value
//  names, the aliases, and the names for people in messages.
typedef struct {
    const ProtobufCEnumDescriptor *descriptor;
    const char *prefix;
    const registry_csv_alias_t *aliases;
    bool zero_ok;  //  the 0 value is a valid choice
} registry_csv_enum_t;

//  Storage for the message of one row.
typedef struct {
    char code [REGISTRY_USCC_SIZE + 1];
    char region [8];
    char founded_on [11];
    char closed_on [11];
    char tax_grade [2];
    char expires [REGISTRY_CSV_MAX_QUALS][11];
    Kj__Enterprise enterprise;
    Kj__CreditFlags credit;
    Kj__IpAssets ip;
    Kj__Qualification quals [REGISTRY_CSV_MAX_QUALS];
    Kj__Qualification *qual_ptrs [REGISTRY_CSV_MAX_QUALS];
    Kj__EquityRound round;
    Kj__EquityRound *round_ptr;
    Kj__YearFigures figures;
    char *not_reported [REGISTRY_FIGURES];  //  figures' empty cells
    Kj__Institution institution;
    Kj__Product product;
    //  Per row of an institution's or product's field table: a code or
    //  date, a list of enum values, a list of region tokens
    char text [REGISTRY_PRODUCT_ATTRS][REGISTRY_USCC_SIZE + 1];
    int values [REGISTRY_PRODUCT_ATTRS][REGISTRY_CSV_MAX_LIST];
    char *items [REGISTRY_PRODUCT_ATTRS][REGISTRY_CSV_MAX_LIST];
} registry_csv_storage_t;

struct _registry_csv_t {
    registry_csv_kind_t kind;
    registry_csv_options_t options;
    const registry_csv_column_t *table;  //  columns of the kind
    size_t table_size;
    int file_column [S_COLUMNS];  //  column id -> field index, or -1
    const registry_csv_column_t
        *columns [MAX_COLUMNS];  //  field index -> column
    size_t n_columns;
    struct csv_parser parser;
    //  The row being read
    char *arena;  //  its fields, each NUL-terminated
    size_t arena_used, arena_size;
    size_t field_at [MAX_COLUMNS];  //  offset of each field in arena
    size_t n_fields;                //  fields seen, maybe > MAX_COLUMNS
    uint32_t row_line;              //  line where it started
    uint32_t line;                  //  line being fed
    bool broken;                    //  already reported as malformed
    bool failed;                    //  a problem was reported
    const char *bad_code;           //  the credit code being reported
    registry_csv_storage_t row;
    //  Callbacks of the parse in progress
    registry_csv_row_fn *row_fn;
    registry_csv_error_fn *error_fn;
    void *arg;
    uint32_t rows;
};

//  A yes/no cell; empty or missing is false.
bool
    registry_csv_bool (registry_csv_t *self, registry_csv_col_t id);

//  The cell of a column, trimmed; NULL if the header lacks the column.
const char *
    registry_csv_cell (registry_csv_t *self, registry_csv_col_t id);

//  Report what a registry check of the whole message found, unless the
//  row was refused already (the first problem would be the same one).
void
    registry_csv_check_status (registry_csv_t *self, int rc,
                               const kj_status_t *status);

//  A credit code, normalised into buf; an empty cell is "" unless
//  required. False if reported.
bool
    registry_csv_code (registry_csv_t *self, registry_csv_col_t id,
                       bool required, char buf [REGISTRY_USCC_SIZE + 1]);

//  A date "YYYY-MM-DD" into buf, not after today. Empty or missing is ""
//  (reported if required). False if reported.
bool
    registry_csv_date (registry_csv_t *self, registry_csv_col_t id,
                       bool required, char buf [11], kj_date_t *date);

void
    registry_csv_enterprise_row (registry_csv_t *self);

//  An enum value; an empty or missing cell is dflt (reported when
//  required). -1 if reported.
int
    registry_csv_enum (registry_csv_t *self, registry_csv_col_t id,
                       const registry_csv_enum_t *e, bool required, int dflt);

//  "a, b or c": the stored names of an enum, for messages.
void
    registry_csv_enum_choices (const registry_csv_enum_t *e, char *buf,
                               size_t size);

//  A list of enum values into values; -1 if reported.
int
    registry_csv_enum_list (registry_csv_t *self, registry_csv_col_t id,
                            const registry_csv_enum_t *e, int *values, int max);

const char *
    registry_csv_enum_name (const registry_csv_enum_t *e, int value, char *buf,
                            size_t size);

//  Value of an enum cell: a stored name (any case) or an alias; -1 if
//  neither.
int
    registry_csv_enum_value (const registry_csv_enum_t *e, const char *text);

//  Report a problem with the current row. value may be NULL.
void
    registry_csv_error (registry_csv_t *self, const char *field,
                        const char *value, const char *format, ...)
        __attribute__ ((format (printf, 4, 5)));

//  Report a status from the registry's rules. Its message starts with the
//  request field ("product.max_amount_fen: ..."); the column says that
//  already, so the reason is the rest.
void
    registry_csv_error_status (registry_csv_t *self, const char *column,
                               const char *value, const kj_status_t *status);

void
    registry_csv_figures_row (registry_csv_t *self);

//  True if the cell of a column is there and not empty.
bool
    registry_csv_given (registry_csv_t *self, registry_csv_col_t id);

//  An id of an institution or product.
const char *
    registry_csv_id (registry_csv_t *self, registry_csv_col_t id);

void
    registry_csv_institution_row (registry_csv_t *self);

//  A whole number in [min, max]; an empty or missing cell is dflt. False
//  (reported) if the cell is not one.
bool
    registry_csv_int (registry_csv_t *self, registry_csv_col_t id, int64_t min,
                      int64_t max, int64_t dflt, int64_t *value);

//  Split a list cell in place at '|', ';', ',' and their full-width
//  forms and '、', into at most max trimmed, non-empty items. Returns the
//  count, or -1 (reported) if there are more than max.
int
    registry_csv_list (registry_csv_t *self, registry_csv_col_t id,
                       char **items, int max);

//  A date that may not be after today.
bool
    registry_csv_past_date (registry_csv_t *self, registry_csv_col_t id,
                            bool required, char buf [11], kj_date_t *date);

void
    registry_csv_product_row (registry_csv_t *self);

//  A list of region tokens into tokens (REGISTRY_CSV_MAX_LIST); -1 if
//  reported. Empty is reported when required.
int
    registry_csv_region_list (registry_csv_t *self, registry_csv_col_t id,
                              bool required, char **tokens);

//  The columns' enum of a proto enum (its aliases), or NULL.
const registry_csv_enum_t *
    registry_csv_enum_of (const ProtobufCEnumDescriptor *descriptor);

//  The field table of an institution's or product's row, with its number
//  of rows and the id of its first column; NULL for other kinds.
const registry_attr_t *
    registry_csv_attrs_of (registry_csv_kind_t kind, size_t *rows,
                           registry_csv_col_t *first);

void
    registry_csv_table_of (registry_csv_kind_t kind,
                           const registry_csv_column_t **table, size_t *size);

//  The row of registry_check's enterprise field table that an enterprise
//  column is, or NULL; and the column of row i of that table (E_FIELD +
//  i: the columns are made from the rows).
const registry_field_t *
    registry_csv_field_of (registry_csv_col_t id);
registry_csv_col_t
    registry_csv_column_of_field (int i);

//  Text: valid UTF-8, no control characters, at most max characters.
const char *
    registry_csv_text (registry_csv_t *self, registry_csv_col_t id, size_t max,
                       bool required);

extern const registry_csv_enum_t registry_csv_enum_stage;

extern const registry_csv_enum_t registry_csv_enum_size;

extern const registry_csv_enum_t registry_csv_enum_round;

extern const registry_csv_enum_t registry_csv_enum_qual;

extern const registry_csv_enum_t registry_csv_enum_institution;

extern const registry_csv_enum_t registry_csv_enum_product;

extern const registry_csv_enum_t registry_csv_enum_collateral;

#endif
