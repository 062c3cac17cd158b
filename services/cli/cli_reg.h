/*  =========================================================================
    cli_reg - what the registry's nouns (enterprise, institution, product,
    code) share: options, enum names, money in yuan, dates

    Options are `--name VALUE` or `--flag`, in any order among the
    positional arguments; a repeated option keeps every value. Enum values
    are typed as their stored names ("growth", "high_tech"), with '-' for
    '_' allowed. Money is typed in yuan ("1234.56", "300万", "2亿") and
    sent in fen.
    =========================================================================
*/

#ifndef CLI_REG_H_INCLUDED
#define CLI_REG_H_INCLUDED

#include "cli.h"
#include "registry.pb-c.h"

typedef struct _cli_args_t cli_args_t;

//  Parse argv [first ..] against spec, a space-separated list of option
//  names, each ending '=' (takes a value) or '!' (a flag), e.g.
//  "name= region= tutoring!". --json and -h/--help are always known.
//  NULL after printing "kejin NOUN: ..." and the usage to stderr.
cli_args_t *
    cli_args_new (int argc, char **argv, int first, const char *spec,
                  const char *usage);

void
    cli_args_destroy (cli_args_t **self_p);

//  The value of an option (the last if repeated), or NULL.
const char *
    cli_args_get (cli_args_t *self, const char *name);

//  Every value of a repeated option, in order; NULL if none. The list
//  is the args' own.
zlist_t *
    cli_args_all (cli_args_t *self, const char *name);

bool
    cli_args_flag (cli_args_t *self, const char *name);

//  Positional arguments: how many, and the index-th.
size_t
    cli_args_count (cli_args_t *self);
const char *
    cli_args_positional (cli_args_t *self, size_t index);

//  --------------------------------------------------------------------------
//  Values. Each parser returns 0, or -1 after printing
//  "kejin: --OPTION: what is wrong; what is expected" to stderr.

//  Enum value from a stored name ("growth", "city-approved"); -1 if none.
int
    cli_enum_value (const ProtobufCEnumDescriptor *descriptor,
                    const char *prefix, const char *name);

//  Stored name of a value ("growth"); "?" if unknown. The text lives
//  until the 16th next call.
const char *
    cli_enum_name (const ProtobufCEnumDescriptor *descriptor,
                   const char *prefix, int value);

//  An enum option: `*value` set from text, or -1 with the names allowed.
int
    cli_parse_enum (const char *option, const char *text,
                    const ProtobufCEnumDescriptor *descriptor,
                    const char *prefix, bool zero_ok, int *value);

//  Comma-separated enum names into a new array (caller frees), count in n;
//  "none" or "" gives an empty list.
int
    cli_parse_enums (const char *option, const char *text,
                     const ProtobufCEnumDescriptor *descriptor,
                     const char *prefix, int **values, size_t *n);

//  Comma-separated words into a new NULL-ended array of new strings
//  (free with cli_strings_free).
char **
    cli_split (const char *text, size_t *n);

void
    cli_strings_free (char **strings);

//  Yuan ("1,234.56", "300万", "2亿", "-5000") into fen.
int
    cli_parse_yuan (const char *option, const char *text, int64_t *fen);

//  A whole number from min to max.
int
    cli_parse_int (const char *option, const char *text, int64_t min,
                   int64_t max, int64_t *value);

//  yes/no, true/false, on/off, 1/0.
int
    cli_parse_bool (const char *option, const char *text, bool *value);

//  A percentage ("3.65" or "3.65%") into basis points.
int
    cli_parse_percent (const char *option, const char *text, int32_t *bp);

//  Basis points as a percentage: "3.65%".
const char *
    cli_percent (int64_t bp, char *buf, size_t size);

//  Microseconds since the epoch as local "YYYY-MM-DD HH:MM:SS"; "" for 0.
const char *
    cli_time (int64_t us, char *buf, size_t size);

//  Print "Showing N of TOTAL; next page: --after CURSOR" under a table.
void
    cli_page_footer (size_t shown, const Kj__PageInfo *info);

#endif
