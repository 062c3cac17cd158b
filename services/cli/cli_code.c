/*  =========================================================================
    cli_code - `kejin code check CODE`: validate a unified social credit
    code (GB 32100-2015) and explain it, without registering anything

    The registry service checks it, so that the node's exception list of
    early pilot codes and its registry/allow_outside apply, and it says
    whether the code is registered already.
    =========================================================================
*/

#include "cli_reg.h"

static const char *s_usage = N_ (
    "Usage: kejin code check CODE [--json]\n"
    "Validate a unified social credit code (统一社会信用代码,\n"
    "GB 32100-2015) and explain it: registration authority, entity type,\n"
    "region, organisation code, whether this node would register it and\n"
    "whether it is registered.\n"
    "An invalid code gets the position at fault and what was expected there.\n"
    "Exit code 0 for a valid code, 2 for an invalid one.\n");

//  --------------------------------------------------------------------------
//  The reply for people or as JSON, the code as typed when it is invalid
//  (the service gives the normalised code of valid ones only). Exit code 0
//  for a valid code, 2 for an invalid one.

static int
s_show (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    Kj__CheckCodeReply *reply = (Kj__CheckCodeReply *) message;
    char *code = (char *) cli_args_positional (args, 0);
    int rc = reply->valid ? CLI_OK : CLI_USAGE;
    char *normal = reply->code;
    if (!*reply->code)
        reply->code = code;
    if (cli->json)
        cli_print_json (&reply->base);
    else if (!reply->valid) {
        printf (_ ("%s  invalid: %s\n"), reply->code,
                reply->problem ? reply->problem->message : "");
        printf ("%s\n", reply->note);
    }
    else {
        printf (_ ("%s  valid\n"), reply->code);
        printf (_ ("  authority     %c %s\n"), reply->code [0],
                reply->authority);
        printf (_ ("  entity type   %c %s\n"), reply->code [1],
                reply->entity_type);
        printf (_ ("  region        %s %s%s\n"), reply->region_code,
                *reply->region_name ? reply->region_name
                : reply->liaoning   ? _ ("(Liaoning, no city)")
                                    : _ ("(outside Liaoning)"),
                reply->in_shenyang_metro ? _ (", Shenyang metro area") : "");
        printf (_ ("  organisation  %s\n"), reply->organisation_code);
        printf (_ ("  this node     %s\n"), reply->accepted
                                                ? _ ("would register it")
                                                : _ ("would not register it"));
        printf (_ ("  registered    %s\n"),
                reply->registered ? _ ("yes") : _ ("no"));
        if (*reply->note)
            printf (_ ("  note          %s\n"), reply->note);
    }
    reply->code = normal;
    return rc;
}

static const cli_call_verb_t s_check = {
    .positional = 1,
    .complaint = N_ ("code check takes one credit code, e.g.\n  kejin code "
                     "check 91210100MA0QEK7B6N"),
    .service = "registry",
    .method = "CheckCode",
    .request_type = &kj__check_code_request__descriptor,
    .reply_type = &kj__check_code_reply__descriptor,
    .read_only = true,
    .show = s_show,
};

//  --------------------------------------------------------------------------
//  kejin code check CODE

int
cli_code (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    if (argc < 2 || !streq (argv [1], "check"))
        return cli_usage (s_usage, true);
    return cli_verb_call (cli, argc, argv, s_usage, &s_check);
}
