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

int
cli_code (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    cli_args_t *args = cli_args_new (argc, argv, 1, "", s_usage);
    if (!args)
        return CLI_USAGE;
    if (cli_args_count (args) != 2
        || !streq (cli_args_positional (args, 0), "check")) {
        cli_args_destroy (&args);
        return cli_usage (s_usage, true);
    }
    Kj__CheckCodeRequest request = KJ__CHECK_CODE_REQUEST__INIT;
    request.code = (char *) cli_args_positional (args, 1);
    Kj__CheckCodeReply *reply = NULL;
    int rc = cli_call (cli, "registry", "CheckCode", &request.base,
                       &kj__check_code_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    if (rc != CLI_OK) {
        cli_args_destroy (&args);
        return rc;
    }
    rc = reply->valid ? CLI_OK : CLI_USAGE;
    //  An invalid code is shown as typed, so that it can be compared with
    //  the licence (the service gives the normalised code of valid ones)
    char *normal = reply->code;
    if (!*reply->code)
        reply->code = request.code;
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
    kj__check_code_reply__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}
