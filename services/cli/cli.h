/*  =========================================================================
    cli - the `kejin` command line: shared context and output helpers

    Each noun lives in its own file (cli_status.c, cli_events.c, ...) as
    `int cli_<noun> (cli_t *cli, int argc, char **argv)`, where argv [0] is
    the noun. Commands return an exit code from the table below.
    =========================================================================
*/

#ifndef CLI_H_INCLUDED
#define CLI_H_INCLUDED

#include "kejin.h"
#include <jansson.h>

//  Exit codes, the same for every command
enum {
    CLI_OK = 0,
    CLI_FAILED = 1,       //  the service said no (not found, exists, ...)
    CLI_USAGE = 2,        //  bad arguments or invalid input
    CLI_UNAVAILABLE = 3,  //  no answer: broker or service down, timeout
    CLI_INTERNAL = 4      //  a bug or the database failed
};

typedef struct {
    const char *prog;     //  "kejin"
    const char *broker;   //  broker endpoint
    bool json;            //  --json: JSON lines instead of tables
    int timeout_ms;       //  per attempt
    kj_client_t *client;  //  made on first use
} cli_t;

//  The client, connected on first use.
kj_client_t *
    cli_client (cli_t *cli);

//  Call service.method; on failure print the error (code, field, message,
//  and what to do) to stderr. Returns CLI_OK or the exit code for the
//  failure. read_only: a read (no idempotency key).
int
    cli_call (cli_t *cli, const char *service, const char *method,
              const ProtobufCMessage *request,
              const ProtobufCMessageDescriptor *reply_type,
              ProtobufCMessage **reply_p, bool read_only);

//  Call service.method as cli_call, then show the reply with show (what:
//  the N_ () line shown above it, or NULL) and free it. The exit code.
typedef int (cli_show_fn) (cli_t *cli, const ProtobufCMessage *reply,
                           const char *what);
int
    cli_call_show (cli_t *cli, const char *service, const char *method,
                   const ProtobufCMessage *request,
                   const ProtobufCMessageDescriptor *reply_type, bool read_only,
                   cli_show_fn *show, const char *what);

//  The name a status's field has in the CLI's output and docs/cli.md: the
//  option it came from without its dashes ("enterprise.code" is "code",
//  "figures[0].tech_staff" "tech-staff", "product.max_amount_fen"
//  "max-amount"). Written to buf; "" for no field.
const char *
    cli_field_name (const char *field, char *buf, size_t size);

//  --------------------------------------------------------------------------
//  A verb that is one call: `kejin NOUN VERB ARGS...` parsed against its
//  options, a request filled from them, the call, the reply shown. One
//  row of a table per verb where each verb otherwise repeated the same
//  parse-fill-call-print-free steps.

typedef struct _cli_args_t cli_args_t;

typedef struct {
    const char *spec;       //  options, as cli_args_new ("reason= all!")
    size_t positional;      //  positional arguments after the verb
    const char *required;   //  options that must be given, or NULL
    const char *complaint;  //  said when the arguments do not fit
    const char *service;    //  "registry"
    const char *method;     //  "GetProduct"
    const ProtobufCMessageDescriptor *request_type;
    const ProtobufCMessageDescriptor *reply_type;
    bool read_only;  //  a read (no idempotency key)
    //  The positional arguments go into the request's first fields (by
    //  number), each option into the string field of its name ("--reason"
    //  into reason); fill sets the rest (enums, numbers) from args, and may
    //  set the client's caller: 0, or -1 after saying what is wrong. NULL:
    //  nothing more.
    int (*fill) (cli_t *cli, cli_args_t *args, ProtobufCMessage *request);
    //  Show the reply (JSON under --json, else for people); an exit code.
    //  NULL: the reply as JSON either way.
    int (*show) (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply);
} cli_call_verb_t;

//  Run a verb of one call with argv [0] the noun and argv [1] the verb;
//  the usage is the noun's, for refusals. Returns the exit code.
int
    cli_verb_call (cli_t *cli, int argc, char **argv, const char *usage,
                   const cli_call_verb_t *verb);

//  Exit code for a status code.
int
    cli_exit_code (int code);

//  Print a message as one JSON line on stdout.
void
    cli_print_json (const ProtobufCMessage *message);

//  Print a JSON object on one line (`{"key": value, ...}`, its keys in the
//  order given) and free it. For --json output that is not a message.
void
    cli_print_object (json_t *object);

//  Print "usage: ..." help text to stdout and return CLI_OK, or to stderr
//  and return CLI_USAGE when `error` is set.
int
    cli_usage (const char *text, bool error);

//  True if argv [i] is -h or --help.
bool
    cli_wants_help (int argc, char **argv);

//  Money in fen as yuan text with thousands separators: "¥1,234,567.89".
char *
    cli_yuan (int64_t fen, char *buf, size_t size);

//  A region's Chinese name ("沈阳市") from its table code ("210100",
//  "SFDZ"); "outside Liaoning" for any other text.
const char *
    cli_region_name (const char *code);

//  A city as tables show it: its code and name ("210200 大连市") in buf
//  for a city of the table, the text as given otherwise. Returns buf.
const char *
    cli_city_label (const char *code, char *buf, size_t size);

//  Columns UTF-8 text takes on a terminal (wcwidth of each character
//  mbrtowc decodes: a Chinese character is two), not its bytes. Every
//  column the CLI lines up is measured with it.
int
    cli_width (const char *text);

//  Write text, then spaces up to width display columns.
void
    cli_pad (FILE *out, const char *text, int width);

//  --------------------------------------------------------------------------
//  A table for people: columns sized to their widest cell, counting a
//  Chinese character as two columns.

typedef struct _cli_table_t cli_table_t;

//  Columns named by a NULL-terminated list of headings.
cli_table_t *
    cli_table_new (const char *heading, ...);

void
    cli_table_destroy (cli_table_t **self_p);

//  Add a row of as many cells as there are columns (strings are copied).
void
    cli_table_row (cli_table_t *self, ...);

void
    cli_table_print (cli_table_t *self, FILE *out);

//  --------------------------------------------------------------------------
//  The nouns

int
    cli_status (cli_t *cli, int argc, char **argv);
int
    cli_config (cli_t *cli, int argc, char **argv);
int
    cli_events (cli_t *cli, int argc, char **argv);
int
    cli_enterprise (cli_t *cli, int argc, char **argv);
int
    cli_institution (cli_t *cli, int argc, char **argv);
int
    cli_product (cli_t *cli, int argc, char **argv);
int
    cli_code (cli_t *cli, int argc, char **argv);
int
    cli_demo (cli_t *cli, int argc, char **argv);
int
    cli_score (cli_t *cli, int argc, char **argv);
int
    cli_keys (cli_t *cli, int argc, char **argv);
int
    cli_audit (cli_t *cli, int argc, char **argv);
int
    cli_guarantee (cli_t *cli, int argc, char **argv);
int
    cli_ipo (cli_t *cli, int argc, char **argv);
//  The verbs of `kejin guarantee` that talk to kejin-guarantee (argv [0] is
//  "guarantee", argv [1] the verb).
int
    cli_guarantee_node (cli_t *cli, int argc, char **argv);
int
    cli_demand (cli_t *cli, int argc, char **argv);
int
    cli_match (cli_t *cli, int argc, char **argv);
int
    cli_application (cli_t *cli, int argc, char **argv);
int
    cli_roadshow (cli_t *cli, int argc, char **argv);
int
    cli_mirror (cli_t *cli, int argc, char **argv);
//  The verbs of kejin-ipo (cli_ipo_pipeline.c), handed on by cli_ipo.
int
    cli_ipo_pipeline (cli_t *cli, int argc, char **argv);

//  Bulk CSV of the registry (cli_bulk.c, cli_bulk_export.c): `kejin KIND import|export ...`
//  with kind "enterprise", "institution" or "product"; argv [0] is the
//  verb.
int
    cli_bulk_import (cli_t *cli, const char *kind, int argc, char **argv);
int
    cli_bulk_export (cli_t *cli, const char *kind, int argc, char **argv);

//  The kj.BulkKind of a noun ("enterprise", "institution", "product",
//  "figures"), 0 for none; and what the CLI calls a kind ("enterprises").
int
    cli_bulk_kind_of (const char *noun);
const char *
    cli_bulk_kind_name (int kind);

#endif
