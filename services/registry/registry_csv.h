/*  =========================================================================
    registry_csv - the CSV files of the registry's bulk import and export:
    enterprises, yearly figures, institutions and products

    Pure rules, no I/O. A file is UTF-8, comma-separated, with a header
    row naming its columns (in any order; English names, or the Chinese
    ones listed in docs/registry-bulk.md). A parser is made from a header
    and then reads chunks of whole rows, giving each valid row as the
    message of proto/registry.proto it describes, and each problem as
    (line, column, reason, value), every problem of a row, not only the
    first. The checks are those of the registry's API (registry_check,
    registry_product, registry_uscc), so a row refused here would be
    refused there, with the same words.

    Formatting goes the other way: a message to a CSV row with every
    column, which a parser reads back to the same message.
    =========================================================================
*/

#ifndef REGISTRY_CSV_H_INCLUDED
#define REGISTRY_CSV_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_proto.h"
#include "registry.pb-c.h"
#include "registry_stage.h"

//  The kinds of file; the same numbers as kj.BulkKind.
typedef enum {
    REGISTRY_CSV_ENTERPRISES = 1,
    REGISTRY_CSV_FIGURES = 2,
    REGISTRY_CSV_INSTITUTIONS = 3,
    REGISTRY_CSV_PRODUCTS = 4
} registry_csv_kind_t;

//  Longest value quoted back in an error, in bytes.
#define REGISTRY_CSV_VALUE_MAX 64

//  Most qualifications of one enterprise row (one per kind).
#define REGISTRY_CSV_MAX_QUALS 10

//  One valid row, as the message of its kind; pointers are valid during
//  the callback only. Enterprises carry their qualifications and at most
//  one equity round (the latest); figures carry the enterprise's code.
typedef struct {
    registry_csv_kind_t kind;
    uint32_t line;                     //  line of the file where it starts
    const Kj__Enterprise *enterprise;  //  ENTERPRISES
    kj_date_t founded_on;  //  ENTERPRISES: its founding date, as checked
    const char *code;      //  FIGURES: the enterprise
    const Kj__YearFigures *figures;      //  FIGURES
    const Kj__Institution *institution;  //  INSTITUTIONS
    const Kj__Product *product;          //  PRODUCTS
} registry_csv_row_t;

//  One problem with one row.
typedef struct {
    uint32_t line;       //  line of the file; 1 is the header
    const char *field;   //  column name; "" for the whole row
    const char *reason;  //  for people
    const char *value;   //  the value found, cut short
    //  A credit code that failed its checks, as typed, so that the caller
    //  can say which registered code it may be; else NULL
    const char *bad_code;
} registry_csv_error_t;

typedef void (registry_csv_row_fn) (const registry_csv_row_t *row, void *arg);
typedef void (registry_csv_error_fn) (const registry_csv_error_t *error,
                                      void *arg);

//  What a parser needs to know beyond the header.
typedef struct {
    kj_date_t today;     //  dates may not be after it
    bool allow_outside;  //  accept enterprises outside
                         //  Liaoning (registry/allow_outside)
    //  authorities besides 9 whose codes are enterprises' here
    //  (registry/allow_authorities); NULL: none
    const char *allow_authorities;
} registry_csv_options_t;

//  A growing byte buffer, for formatting.
typedef struct {
    char *data;   //  malloc'd, NUL-terminated
    size_t size;  //  bytes used, without the NUL
    size_t capacity;
} registry_csv_buf_t;

typedef struct _registry_csv_t registry_csv_t;

//  --------------------------------------------------------------------------
//  A parser for files of kind whose header line (without its newline; a
//  UTF-8 byte order mark is skipped) is header [0 .. size). Returns NULL
//  with status set (INVALID_ARGUMENT, field "header") for an unknown,
//  repeated or missing required column.

registry_csv_t *
    registry_csv_new (registry_csv_kind_t kind, const char *header, size_t size,
                      const registry_csv_options_t *options,
                      kj_status_t *status);

void
    registry_csv_destroy (registry_csv_t **self_p);

//  --------------------------------------------------------------------------
//  The header's columns as understood (canonical names, file order), and
//  those that are computed by the registry and so read but ignored.

size_t
    registry_csv_columns (registry_csv_t *self, const char **names, size_t max);
size_t
    registry_csv_ignored (registry_csv_t *self, const char **names, size_t max);

//  --------------------------------------------------------------------------
//  Parse data [0 .. size): whole rows, whose first line is first_line of
//  the file. Calls row_fn for each valid row, error_fn for each problem
//  (a row with any problem is not given to row_fn). Blank lines are
//  skipped. Returns the number of rows seen, valid or not.

uint32_t
    registry_csv_parse (registry_csv_t *self, const char *data, size_t size,
                        uint32_t first_line, registry_csv_row_fn *row_fn,
                        registry_csv_error_fn *error_fn, void *arg);

//  --------------------------------------------------------------------------
//  Line of the file just after the last row parsed (the next chunk's
//  first line when chunks follow each other).

uint32_t
    registry_csv_next_line (registry_csv_t *self);

//  --------------------------------------------------------------------------
//  Formatting: the full header line of a kind, and one row (each ended by
//  "\n"), appended to out. A row has every column of its kind in the
//  header's order, or, with a layout (a parser made from a header), that
//  header's columns in its order.

void
    registry_csv_header (registry_csv_kind_t kind, registry_csv_buf_t *out);

void
    registry_csv_format (const registry_csv_t *layout,
                         const registry_csv_row_t *row,
                         registry_csv_buf_t *out);

//  --------------------------------------------------------------------------
//  Buffer helpers.

void
    registry_csv_buf_append (registry_csv_buf_t *buf, const char *data,
                             size_t size);
void
    registry_csv_buf_reset (registry_csv_buf_t *buf);
void
    registry_csv_buf_free (registry_csv_buf_t *buf);

//  --------------------------------------------------------------------------
//  Names: "enterprises", "figures", "institutions", "products"; and back
//  (singular accepted: "enterprise"); -1 if none.

const char *
    registry_csv_kind_name (registry_csv_kind_t kind);
int
    registry_csv_kind_from_name (const char *name);

//  --------------------------------------------------------------------------
//  A region as people write it: a city code ("210100"), "SFDZ", a Chinese
//  or English name ("沈阳", "沈阳市", "Shenyang", "沈抚示范区"); with tokens,
//  also SHENYANG_METRO ("沈阳都市圈") and PROVINCE ("全省"). Returns the
//  stored token ("210100", "SFDZ", "SHENYANG_METRO", "PROVINCE"), or NULL.

const char *
    registry_csv_region (const char *text, bool tokens);

#endif
