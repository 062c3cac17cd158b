/*  =========================================================================
    cli_reg - what the registry's nouns (enterprise, institution, product,
    code) share: options, verbs, update masks, enum names, money in yuan,
    dates, pages of lists and the audit trail

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

//  The value of an option, or "" when it is not given: for a request's
//  text field.
char *
    cli_args_text (cli_args_t *self, const char *name);

//  The arguments of `kejin NOUN VERB ...` (argv [2] on), as cli_args_new,
//  with exactly `positional` positional arguments and every option named
//  in required (space-separated, or NULL) given. NULL after printing the
//  refusal, or "kejin: COMPLAINT", to stderr.
cli_args_t *
    cli_args_verb (int argc, char **argv, const char *spec, const char *usage,
                   size_t positional, const char *required,
                   const char *complaint);

//  Every option must take effect: when one of `options` (space-separated
//  names) is given but none of `needs`, say "--OPTION cannot take effect
//  without --NEED[: hint]" and return -1; else 0.
int
    cli_args_needs (cli_args_t *self, const char *options, const char *needs,
                    const char *hint);

//  When `option` is given, none of `others` can take effect: -1 after
//  saying which, else 0.
int
    cli_args_refuses (cli_args_t *self, const char *option, const char *others);

//  --version N into *version: 0 when not given, -1 if not a version.
int
    cli_args_version (cli_args_t *self, int64_t *version);

//  Every value of a repeated enum option --NAME, one name each, into
//  values (at most max, count in *n).
int
    cli_args_enums (cli_args_t *self, const char *name,
                    const ProtobufCEnumDescriptor *descriptor,
                    const char *prefix, int *values, size_t max, size_t *n);

//  --------------------------------------------------------------------------
//  A noun's verbs

typedef struct {
    const char *verb;
    int (*run) (cli_t *cli, int argc, char **argv);
    //  Or, for a verb that is one call, its row (run is then NULL)
    const cli_call_verb_t *call;
} cli_verb_t;

//  Run `kejin NOUN VERB ...`: the usage when no verb or -h/--help, import
//  and export through cli_bulk.c, else the function (or cli_verb_call of
//  the call) of verbs (ended by a NULL verb) that VERB names.
int
    cli_reg_run (cli_t *cli, int argc, char **argv, const char *noun,
                 const char *usage, const cli_verb_t *verbs);

//  `kejin NOUN VERB --help`: the lines of the noun's usage that describe
//  VERB (those starting "  VERB " and their indented continuations), under
//  the usage's first words ("Usage: kejin NOUN "), then the usage's closing
//  notes; the whole usage if VERB has no lines. To stdout; CLI_OK.
int
    cli_verb_usage (const char *noun, const char *verb, const char *usage);

//  The fields an update names (its update_mask), in the order given.
typedef struct {
    const char *names [40];
    size_t count;
} cli_mask_t;

void
    cli_mask_add (cli_mask_t *self, const char *field);

//  --------------------------------------------------------------------------
//  The options of a registry field table (registry_check.h: an institution's
//  or a product's), read into its message by each row's kind (cli_attrs.c).

#include "registry_check.h"

//  What cli_attrs_read allocates, for cli_attrs_free.
typedef struct {
    void *lists [24];
    char **strings [8];
} cli_attrs_owned_t;

//  Each row's option that args holds into message, its mask name into mask
//  (once); 0, or -1 with the option's complaint said.
int
    cli_attrs_read (cli_args_t *args, const registry_attr_t *table, size_t rows,
                    ProtobufCMessage *message, cli_mask_t *mask,
                    cli_attrs_owned_t *owned);

void
    cli_attrs_free (cli_attrs_owned_t *owned);

//  A row's label in the CLI's language (label_zh under a Chinese locale).
const char *
    cli_attrs_label (const registry_attr_t *a);

//  Rows from .. rows - 1 of message for people, a line each: the label,
//  then the value (an enum's label, lists joined by ", ", money in yuan,
//  a rate in percent); a range's two rows on one line; a value not given
//  shows the row's none, or is left out when it has none.
void
    cli_attrs_show (const registry_attr_t *table, size_t from, size_t rows,
                    const ProtobufCMessage *message);

//  The add options of table for the usage: required first (the rows'
//  and then required, "--institution ID"), then optional ("[--id ID]")
//  and the other rows in brackets, wrapped at 78 columns under "  add",
//  in buf.
const char *
    cli_attrs_usage (const registry_attr_t *table, size_t rows,
                     const char *required, const char *optional, char *buf,
                     size_t size);

//  The spec of cli_args for table's options: "name= type= ..." after
//  before and followed by after, in buf.
const char *
    cli_attrs_spec (const registry_attr_t *table, size_t rows,
                    const char *before, const char *after, char *buf,
                    size_t size);

//  A text option, when given: *target points to its value and field goes
//  in the mask.
void
    cli_mask_text (cli_mask_t *self, cli_args_t *args, const char *option,
                   char **target, const char *field);

//  A list option of enum names (--OPTION a,b or none), when given: the
//  values in a new array *values (caller frees), their count in *n, and
//  field in the mask. 0, or -1 after saying what is wrong.
int
    cli_mask_enums (cli_mask_t *self, cli_args_t *args, const char *option,
                    const ProtobufCEnumDescriptor *descriptor,
                    const char *prefix, int **values, size_t *n,
                    const char *field);

//  Ask for the audit trail of a subject (kind "enterprise", "institution"
//  or "product"): at most limit entries, 0 for the service's page size.
int
    cli_reg_history_call (cli_t *cli, const char *kind, const char *subject,
                          uint32_t limit, Kj__HistoryReply **reply);

//  The audit trail of a subject, as JSON or a line each; titled: under
//  "Audit trail", and saying when it is empty.
int
    cli_reg_history (cli_t *cli, const char *kind, const char *subject,
                     bool titled);

//  --------------------------------------------------------------------------
//  Values. Each parser returns 0, or -1 after printing
//  "kejin: --OPTION: what is wrong; what is expected" to stderr.

//  Enum value from what the CLI shows anywhere: a stored name ("growth",
//  "city-approved", any case), the whole name JSON shows ("STAGE_GROWTH")
//  or the Chinese name the tables show under a Chinese locale ("成长期");
//  -1 if none.
int
    cli_enum_value (const ProtobufCEnumDescriptor *descriptor,
                    const char *prefix, const char *name);

//  Stored name of a value ("growth"); "?" if unknown. The text lives
//  until the 16th next call.
const char *
    cli_enum_name (const ProtobufCEnumDescriptor *descriptor,
                   const char *prefix, int value);

//  What a table shows for a value: its Chinese name under a Chinese
//  locale when it has one, else its stored name. Lives as cli_enum_name's.
const char *
    cli_enum_label (const ProtobufCEnumDescriptor *descriptor,
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

//  --limit N and --after CURSOR into page.
int
    cli_page_options (cli_args_t *args, Kj__Page *page);

//  A page of a list: the table of its `shown` rows (destroyed), or `empty`
//  when there are none, then "N shown, TOTAL matching; next page: --after
//  CURSOR".
void
    cli_page_print (cli_table_t **table_p, size_t shown, const char *empty,
                    const Kj__PageInfo *info);

//  A stage or tech-SME reason as the registry stores it (in English, with
//  the stages' Chinese names; it goes out in events so) in the user's
//  language: its fixed phrases through the catalogue, ages as 4年11个月2天
//  under Chinese. Words it does not know stay as they are. Into buf,
//  which it returns.
const char *
    cli_reason (const char *reason, char *buf, size_t size);

#endif
