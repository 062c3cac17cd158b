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
//  The verbs of kejin-ipo (cli_ipo_pipeline.c), handed on by cli_ipo.
int
    cli_ipo_pipeline (cli_t *cli, int argc, char **argv);

//  Bulk CSV of the registry (cli_bulk.c): `kejin KIND import|export ...`
//  with kind "enterprise", "institution" or "product"; argv [0] is the
//  verb.
int
    cli_bulk_import (cli_t *cli, const char *kind, int argc, char **argv);
int
    cli_bulk_export (cli_t *cli, const char *kind, int argc, char **argv);

#endif
