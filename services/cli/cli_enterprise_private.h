/*  =========================================================================
    cli_enterprise_private - what the files of `kejin enterprise` share

    cli_enterprise.c (usage, add, list, stage, transition, qualify and the
    verb table), cli_enterprise_show.c (show, and printing an enterprise),
    cli_enterprise_update.c (update), cli_enterprise_figures.c (figures).
    =========================================================================
*/

#ifndef CLI_ENTERPRISE_PRIVATE_H_INCLUDED
#define CLI_ENTERPRISE_PRIVATE_H_INCLUDED

#include "cli_reg.h"
#include "registry_check.h"

//  The noun's usage (N_ () text), for refusals and --help.
//  The usage text, translated, its field options from the registry's
//  field tables
const char *
    cli_enterprise_usage (void);

//  The verb show.
extern const cli_call_verb_t cli_enterprise_show;

//  An enterprise for people: its fields, figures, lists and stage.
void
    cli_enterprise_print (const Kj__Enterprise *e);

//  Its stage, the rule and the reason.
void
    cli_enterprise_print_stage (const Kj__Enterprise *e);

//  Whether the yearly figure name (docs/cli.md's) was reported.
bool
    cli_enterprise_reported (const Kj__YearFigures *f, const char *name);

//  A message as a JSON value.
json_t *
    cli_enterprise_json (const ProtobufCMessage *message);

//  --json of a part of an enterprise: {"code": CODE, "<key>": value}.
void
    cli_enterprise_print_coded (const char *code, const char *key,
                                json_t *value);

//  Call a method of the registry that changes an enterprise and answers
//  with it; print it under the line what (N_ () text, %s the code).
int
    cli_enterprise_call (cli_t *cli, const char *method,
                         const ProtobufCMessage *request, const char *what);

//  GetEnterprise: CLI_OK with *reply, or the exit code.
int
    cli_enterprise_get (cli_t *cli, const char *code,
                        Kj__EnterpriseReply **reply);

//  The option spec (cli_args_verb's) of the enterprise's own fields, the
//  flags and counts from the registry's field table; flags are switches
//  (add) or take yes|no (update). Into buf, which it returns.
const char *
    cli_enterprise_own_spec (bool flags_are_switches, char *buf, size_t size);

//  Options shared by add and update: the enterprise's own fields. Sets
//  what is given in e (strings point into args) and names it in mask.
int
    cli_enterprise_own_fields (cli_args_t *args, Kj__Enterprise *e,
                               Kj__CreditFlags *credit, Kj__IpAssets *ip,
                               cli_mask_t *mask, bool flags_are_switches);

//  The verbs update and figures.
int
    cli_enterprise_update (cli_t *cli, int argc, char **argv);
int
    cli_enterprise_figures (cli_t *cli, int argc, char **argv);

#endif
