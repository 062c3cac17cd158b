/*  =========================================================================
    registry_check - validation of the registry's input, field by field

    Pure rules, no I/O. Every check names the request field at fault in
    the status ("enterprise.figures[2].revenue_fen") and says what was
    expected, so that a person can fix the input from the message alone.
    Dates are "YYYY-MM-DD"; text is valid UTF-8 without control
    characters; money is never negative except where a loss is possible.
    =========================================================================
*/

#ifndef REGISTRY_CHECK_H_INCLUDED
#define REGISTRY_CHECK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_proto.h"
#include "registry.pb-c.h"
#include "registry_stage.h"

//  Most items of one repeated field in a request (figures, awards ...).
#define REGISTRY_CHECK_MAX_ITEMS 200

//  --------------------------------------------------------------------------
//  The enterprise update_mask names, NULL ended: the paths of its stored
//  columns' rows (below), then its parts as wholes (credit, ip, awards,
//  rounds, loans, chain_links), made at start.

extern const char *registry_check_enterprise_fields [];

//  --------------------------------------------------------------------------
//  The enterprise's own flags and counts: one table naming each field
//  everywhere it appears, so that a new one is one line here (and its
//  proto field and SQL column): path is the field in Kj__Enterprise, the
//  update_mask name, what an error names after "enterprise." and the JSON
//  key (kj_json nests by it: {"ip": {"pledged_ip": 3}}); csv and csv_zh the
//  CSV header in its two spellings; option the CLI's (--pledged-ip); the
//  labels what `kejin enterprise show` prints before the value, under
//  zh_CN and otherwise (the words its lines always had: "严重失信" in
//  English too); column the SQL column of the enterprise table. The
//  check, the CSV columns, reader and writer, the CLI's add, update and
//  show and the option an error names, and the store's statements go through
//  it (test_registry_fields checks that the proto, the CSV columns and the
//  JSON agree with it, test_registry_attrs that the SQL lists are its
//  rows).
//
//  The enterprise's other stored input columns (name, region, industry,
//  founding date, size, tax grade) are rows of the same kind of table,
//  registry_check_enterprise_own: it gives their SQL columns, CSV headers,
//  CLI options and the option an error names (and the tax grade's show
//  line), but their check, CSV cells and other show lines are written for
//  each (docs/registry.md).

typedef enum {
    REGISTRY_FIELD_FLAG,   //  a protobuf_c_boolean
    REGISTRY_FIELD_COUNT,  //  an int32_t, 0 .. REGISTRY_CHECK_COUNT_MAX
    REGISTRY_FIELD_TEXT,   //  a char *, "" for none
    REGISTRY_FIELD_DATE,   //  a char *, "YYYY-MM-DD", "" for none (NULL)
    REGISTRY_FIELD_ENUM    //  an int of type, stored by its name
} registry_field_kind_t;

#define REGISTRY_CHECK_COUNT_MAX 1000000

typedef struct {
    const char *path;      //  "ip.pledged_ip"
    const char *csv;       //  "pledged_ip"
    const char *csv_zh;    //  "已质押知识产权"
    const char *option;    //  "pledged-ip"
    const char *label_zh;  //  "已质押知识产权"
    const char *label_en;  //  "pledged IP"
    registry_field_kind_t kind;
    const char *column;                   //  "pledged_ip", in enterprise
    const ProtobufCEnumDescriptor *type;  //  ENUM: its values
    const char *prefix;                   //  of type's value names: "SIZE_"
    //  The CSV file: required, a file must have the column (name, founded
    //  on); csv_after, an own row's column written after that table row's
    //  (tax_grade after abnormal), else in the own rows' order before the
    //  status (registry_csv.c builds the columns from the rows)
    bool required;
    const char *csv_after;
    //  The value's form in the CLI's synopsis for a TEXT row ("R"); other
    //  kinds' forms follow from the kind (N, DATE, the enum's values)
    const char *metavar;
} registry_field_t;

#define REGISTRY_ENTERPRISE_FIELDS 8
extern const registry_field_t
    registry_check_enterprise_table [REGISTRY_ENTERPRISE_FIELDS];

#define REGISTRY_ENTERPRISE_OWN 6
extern const registry_field_t
    registry_check_enterprise_own [REGISTRY_ENTERPRISE_OWN];

//  The enterprise's stored input columns, in the store's order: the own
//  rows, then the table's. Row i of REGISTRY_ENTERPRISE_COLUMNS.
#define REGISTRY_ENTERPRISE_COLUMNS                                            \
    (REGISTRY_ENTERPRISE_OWN + REGISTRY_ENTERPRISE_FIELDS)
const registry_field_t *
    registry_check_enterprise_column (int i);

//  The field of e at f's path: a protobuf_c_boolean * (FLAG), an int32_t
//  * (COUNT), a char ** (TEXT, DATE) or an int * (ENUM); NULL when the
//  message that holds it (e->credit, e->ip) is not there, or the path is
//  not a field of that kind (a mistake in the table, which the unit test
//  catches).
void *
    registry_check_enterprise_field (const Kj__Enterprise *e,
                                     const registry_field_t *f);

//  --------------------------------------------------------------------------
//  The fields of an institution and of a product: one table each, a row
//  per field naming it everywhere it appears. path is the proto field, the
//  name an error gives after "institution." or "product.", the JSON key
//  and the CSV header; mask the update_mask name (the path, but for a
//  range given as a pair: "amount" for min_amount_fen and max_amount_fen);
//  csv_zh the Chinese CSV header; option the CLI's (--max-amount); the
//  labels what people read. The check (registry_check_attrs), the store,
//  the CSV files' columns, cells and writing (registry_csv), and the CLI's
//  add, update, show and usage go through them; test_registry_attrs checks
//  them against the proto descriptors and the mask lists, and
//  test_registry_csv holds the CSV files to what they were.

typedef enum {
    REGISTRY_ATTR_TEXT,     //  a string of at most max characters
    REGISTRY_ATTR_ENUM,     //  a value of type, never 0
    REGISTRY_ATTR_ENUMS,    //  repeated values of type, never 0, at most 32
    REGISTRY_ATTR_REGIONS,  //  repeated region tokens, at least one
    REGISTRY_ATTR_CODE,     //  a credit code, optional
    REGISTRY_ATTR_MONEY,    //  int64 fen, not negative; the CLI in yuan
    REGISTRY_ATTR_COUNT,    //  int32, 0 .. max; the CLI a whole number
    REGISTRY_ATTR_BP,       //  int32 basis points, 0 .. max; the CLI percent
    REGISTRY_ATTR_DATE,     //  "YYYY-MM-DD", or empty
    REGISTRY_ATTR_GRADE     //  a credit grade (AAA .. C), or empty
} registry_attr_kind_t;

typedef struct {
    const char *path;      //  "max_amount_fen"
    const char *mask;      //  "amount"
    const char *csv_zh;    //  "最高额度_分"
    const char *option;    //  "max-amount"
    const char *label_zh;  //  "最高额度"
    const char *label_en;  //  "largest amount"
    registry_attr_kind_t kind;
    const ProtobufCEnumDescriptor *type;  //  ENUM, ENUMS
    const char *prefix;                   //  of type's value names: "PRODUCT_"
    int max;           //  TEXT: characters; COUNT, BP: the most
    bool required;     //  given: TEXT not empty, ENUM set, REGIONS one or
                       //  more, MONEY and COUNT above 0; a CSV file has
                       //  the column and a value in it
    bool today;        //  DATE: none given means today (valid_from)
    const char *hint;  //  ENUM, ENUMS: said after a 0 value
    const char *unit;  //  COUNT: what it counts, for people (N_ "months")
    const char *none;  //  shown for a value not given (N_ text); NULL:
                       //  the row is left out
    //  SQL over the bulk import's staged row (bulk_product) that gives
    //  the column (a default, say); NULL: the staged column as it is
    const char *staged;
} registry_attr_t;

//  Two rows in a row with one mask are a range (min and max): people see
//  them on one line, "amount ¥0 to ¥3,000,000", under the first row's
//  labels, which name the range.

#define REGISTRY_INSTITUTION_ATTRS 6
extern const registry_attr_t
    registry_check_institution_table [REGISTRY_INSTITUTION_ATTRS];

//  The institution update_mask names, NULL ended: its rows' masks, made
//  at start (registry_check_attr_masks).
extern const char *registry_check_institution_fields [];

//  The product's (registry_product.c), in the order of its CSV columns;
//  its update_mask names are registry_product_fields.
#define REGISTRY_PRODUCT_ATTRS 16
extern const registry_attr_t registry_product_table [REGISTRY_PRODUCT_ATTRS];

//  Where row a's field is in message (of the table's type): the value's
//  address, and in *count (when not NULL) the address of its count for a
//  repeated field, NULL for another.
char *
    registry_check_attr_at (const registry_attr_t *a,
                            const ProtobufCMessage *message, size_t **count);

//  The update_mask names of a table's rows into masks (rows + 1 of them):
//  each row's mask, a range's (two rows in a row with one mask) once, in
//  the rows' order, then NULL.
void
    registry_check_attr_masks (const registry_attr_t *table, size_t rows,
                               const char **masks);

//  True for the rows whose field is one string (text, code, date, grade).
bool
    registry_check_attr_text (const registry_attr_t *a);

//  A row's label in the language of the thread (kj_i18n_lang).
const char *
    registry_check_attr_label (const registry_attr_t *a);

//  Check the fields of message (entity "institution" or "product", the
//  errors' prefix) that mask names, all when mask is NULL, row by row of
//  table. 0, or -1 with status naming the field.
int
    registry_check_attrs (const registry_attr_t *table, size_t rows,
                          const ProtobufCMessage *message, const char *entity,
                          char **mask, size_t n_mask, kj_status_t *status);

//  The fields of table that mask names, from asked into current (the
//  same message type): values, and pointers to asked's strings and lists.
void
    registry_check_attrs_merge (const registry_attr_t *table, size_t rows,
                                ProtobufCMessage *current,
                                const ProtobufCMessage *asked, char **mask,
                                size_t n_mask);

//  The input fields of an institution (all when mask is NULL, else those
//  mask names), under "institution.". Codes are checked as typed; the
//  server keeps them normalised.
int
    registry_check_institution (const Kj__Institution *institution, char **mask,
                                size_t n_mask, kj_status_t *status);

//  The table's fields that mask names from asked into e (which holds its
//  credit and ip parts); a part asked does not hold gives false or 0.
void
    registry_check_enterprise_merge (Kj__Enterprise *e,
                                     const Kj__Enterprise *asked, char **mask,
                                     size_t n_mask);

//  --------------------------------------------------------------------------
//  The figures of a year: one table, in the order of YearFigures' fields,
//  naming each figure everywhere it appears, so that a figure is one line
//  in one place (docs/registry.md). name is what people use (docs/cli.md:
//  the CLI option, the not_reported name), column the proto field, the
//  SQL column and the CSV header, csv_zh its Chinese header.

#define REGISTRY_FIGURES 9
typedef struct {
    const char *name;      //  "net-profit"
    const char *column;    //  "net_profit_fen"
    const char *csv_zh;    //  the Chinese CSV header: "净利润_分"
    size_t offset;         //  of the field in Kj__YearFigures
    bool count;            //  an int32 count of people, else int64 fen
    bool may_be_negative;  //  net profit and cash flow
} registry_figure_t;
extern const registry_figure_t registry_check_figure_table [REGISTRY_FIGURES];

//  The index of a figure's name, or -1.
int
    registry_check_figure (const char *name);

//  Figure i of f (registry_check_figure_table's order), and setting it.
int64_t
    registry_check_figure_value (const Kj__YearFigures *f, int i);
void
    registry_check_figure_set (Kj__YearFigures *f, int i, int64_t value);

//  True unless f names figure i in not_reported.
bool
    registry_check_figure_reported (const Kj__YearFigures *f, int i);

//  --------------------------------------------------------------------------
//  One year of figures, at `prefix` ("figures[2]" or "enterprise.figures[0]").
//  Figures it names not reported must be known, named once and 0.

int
    registry_check_figures (const Kj__YearFigures *figures, const char *prefix,
                            kj_status_t *status);

//  --------------------------------------------------------------------------
//  A list of years of figures (at most REGISTRY_CHECK_MAX_ITEMS, each year
//  once), at prefix ("figures" or "enterprise.figures").

int
    registry_check_figures_list (Kj__YearFigures *const *figures, size_t n,
                                 const char *prefix, kj_status_t *status);

//  --------------------------------------------------------------------------
//  A qualification at prefix: a known kind and level, valid dates, granted
//  on or before expiry. Whether it has expired already is the caller's
//  concern (it knows today).

int
    registry_check_qualification (const Kj__Qualification *qualification,
                                  const char *prefix, kj_status_t *status);

//  --------------------------------------------------------------------------
//  The input fields of an enterprise, under "enterprise.": all of them
//  when mask is NULL (registration), else only those the mask names. The
//  code and the region are the caller's (they need the code rules and the
//  node's configuration).

int
    registry_check_enterprise (const Kj__Enterprise *enterprise, char **mask,
                               size_t n_mask, kj_status_t *status);

//  The dates of an enterprise as its check read them, so that the rules
//  that need today (registry_server_enterprise) do not parse them again:
//  the founding date (year 0: not checked or not given) and the expiry of
//  each qualification (checked only when all fields are).
typedef struct {
    kj_date_t founded_on;
    kj_date_t expires_on [REGISTRY_CHECK_MAX_ITEMS];
} registry_check_dates_t;

//  registry_check_enterprise, giving the dates it read in dates.
int
    registry_check_enterprise_dated (const Kj__Enterprise *enterprise,
                                     char **mask, size_t n_mask,
                                     registry_check_dates_t *dates,
                                     kj_status_t *status);

//  --------------------------------------------------------------------------
//  The bits of registry_stage_input_t.not_reported for the figures the
//  year `back` before the latest left out (its not_reported names).

unsigned
    registry_check_stage_not_reported (const Kj__YearFigures *figures,
                                       int back);

//  --------------------------------------------------------------------------
//  The stage of an enterprise founded on `founded_on` (as its reader
//  parsed it once: year 0 when there is none), evaluated on `today`, from
//  `input` with every field but the two dates filled in. Never fails: no
//  founding date, or input the rules refuse,
//  gives REGISTRY_STAGE_UNKNOWN with the reason. The one classification
//  both the registry's handlers and its bulk import use.

void
    registry_check_stage (const registry_stage_rules_t *rules,
                          kj_date_t founded_on, kj_date_t today,
                          registry_stage_input_t *input,
                          registry_stage_result_t *result);

#endif
