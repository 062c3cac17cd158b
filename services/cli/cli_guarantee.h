/*  =========================================================================
    cli_guarantee - what the files of `kejin guarantee` share: the
    operator named in each request, the fills and shows its verbs of one
    call (cli_verb_call) have in common, and the verbs of
    cli_guarantee_report.c
    =========================================================================
*/

#ifndef CLI_GUARANTEE_H_INCLUDED
#define CLI_GUARANTEE_H_INCLUDED

#include "cli_reg.h"
#include "guarantee.pb-c.h"

//  The usage of `kejin guarantee` (cli_guarantee_node.c), for refusals.
extern const char *cli_guarantee_usage;

//  The operator for the request header: --as, else $KEJIN_OPERATOR, else
//  $USER.
void
    cli_guarantee_operator (cli_t *cli, cli_args_t *args);

//  A verb's fill that only names the operator.
int
    cli_guarantee_fill_operator (cli_t *cli, cli_args_t *args,
                                 ProtobufCMessage *request);

//  The positional YEAR (2000 to 2100) into the request's first field (an
//  int32), and the operator.
int
    cli_guarantee_fill_year (cli_t *cli, cli_args_t *args,
                             ProtobufCMessage *request);

//  True when the reply went out as JSON (--json).
bool
    cli_guarantee_json (cli_t *cli, const ProtobufCMessage *reply);

//  The rest of a verb of the service "guarantee": its method, the types of
//  its request and reply, its fill and its show.
#define CLI_GUARANTEE_CALL(method_, request_, reply_, fill_, show_)            \
    .service = "guarantee", .method = method_,                                 \
    .request_type = &request_##__descriptor,                                   \
    .reply_type = &reply_##__descriptor, .fill = fill_, .show = show_

//  report, and report YEAR (cli_guarantee_report.c)
extern const cli_call_verb_t cli_guarantee_report;
extern const cli_call_verb_t cli_guarantee_report_year;

//  policy show | policy set (cli_guarantee_report.c)
int
    cli_guarantee_policy (cli_t *cli, int argc, char **argv);

#endif
