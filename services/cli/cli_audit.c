/*  =========================================================================
    cli_audit - `kejin audit verify [--service S]`: check the audit trails

    Asks a service (or every service the broker knows) for the built-in
    AuditVerify, which kj_service answers: it chains the trail's newest
    rows, then checks the whole chain and names the first row that does
    not match its hash. Exit 0 when every trail checked holds, 1 when one
    does not.
    =========================================================================
*/

#include "cli_reg.h"

static const char *s_usage = N_ (
    "Usage: kejin audit verify [--service SERVICE] [--json]\n"
    "Check the hash chain of the audit trail of SERVICE (default: every\n"
    "service the broker knows). Each service keeps one row per change and\n"
    "per refusal (who, role, city, method, object, result, before and\n"
    "after); a row edited or deleted by hand breaks the chain, and the\n"
    "first such row is named. Exit 1 if any trail is broken.\n");

//  Print one answer; true when the trail holds.
static bool
s_print (cli_t *cli, const Kj__AuditVerify *reply)
{
    if (cli->json)
        cli_print_json (&reply->base);
    else if (reply->ok)
        printf (_ ("%-16s %-20s ok: %" PRIu64 " rows chained, %" PRIu64
                   " waiting\n"),
                reply->service, reply->schema, reply->checked, reply->pending);
    else
        printf (_ ("%-16s %-20s BROKEN at row %" PRId64 ": %s (%" PRIu64
                   " rows before it hold)\n"),
                reply->service, reply->schema, reply->bad_row, reply->reason,
                reply->checked);
    return reply->ok;
}

//  Every Kejin service the broker knows, verified once per trail
static int
s_verify_all (cli_t *cli)
{
    Kj__BrokerStatsRequest request = KJ__BROKER_STATS_REQUEST__INIT;
    Kj__BrokerStats *stats = NULL;
    int rc = cli_call (cli, "kejin.broker", "Stats", &request.base,
                       &kj__broker_stats__descriptor,
                       (ProtobufCMessage **) &stats, true);
    if (rc != CLI_OK)
        return rc;
    zlistx_t *schemas = zlistx_new ();
    zlistx_set_duplicator (schemas, (czmq_duplicator *) strdup);
    zlistx_set_destructor (schemas, (czmq_destructor *) zstr_free);
    zlistx_set_comparator (schemas, (czmq_comparator *) strcmp);
    for (size_t i = 0; i < stats->n_services; i++) {
        const char *name = stats->services [i]->name;
        if (strncmp (name, "kejin.", 6) == 0 || strncmp (name, "mmi.", 4) == 0
            || stats->services [i]->workers == 0)
            continue;
        Kj__AuditVerifyRequest ask = KJ__AUDIT_VERIFY_REQUEST__INIT;
        Kj__AuditVerify *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true };
        int code = kj_client_call (cli_client (cli), name, "AuditVerify",
                                   &ask.base, &kj__audit_verify__descriptor,
                                   (ProtobufCMessage **) &reply, &status,
                                   &opts);
        if (code == KJ__CODE__OK) {
            if (!zlistx_find (schemas, reply->schema)) {
                zlistx_add_end (schemas, reply->schema);
                if (!s_print (cli, reply))
                    rc = CLI_FAILED;
            }
            protobuf_c_message_free_unpacked (&reply->base, NULL);
        }
        else if (code == KJ__CODE__UNIMPLEMENTED) {
            if (!cli->json)
                printf (_ ("%-16s %-20s no audit trail\n"), name, "-");
        }
        else if (code == KJ__CODE__PERMISSION_DENIED) {
            //  A service only other services may call (events.writer):
            //  its daemon's trail is reached through its public service
            if (!cli->json)
                printf (_ ("%-16s %-20s not open to this key\n"), name, "-");
        }
        else {
            fprintf (stderr, "%s: %s: %s: %s\n", cli->prog, name,
                     kj_code_name (code), status.message);
            if (rc == CLI_OK)
                rc = cli_exit_code (code);
        }
    }
    zlistx_destroy (&schemas);
    protobuf_c_message_free_unpacked (&stats->base, NULL);
    return rc;
}

int
cli_audit (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    if (!streq (argv [1], "verify")) {
        fprintf (stderr,
                 _ ("kejin: unknown audit command '%s'\nTry 'kejin audit "
                    "--help'.\n"),
                 argv [1]);
        return CLI_USAGE;
    }
    cli_args_t *args = cli_args_verb (argc, argv, "service=", s_usage, 0, NULL,
                                      N_ ("audit verify takes no NAME"));
    if (!args)
        return CLI_USAGE;
    const char *service = cli_args_get (args, "service");
    int rc;
    if (service) {
        Kj__AuditVerifyRequest ask = KJ__AUDIT_VERIFY_REQUEST__INIT;
        Kj__AuditVerify *reply = NULL;
        rc = cli_call (cli, service, "AuditVerify", &ask.base,
                       &kj__audit_verify__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK && !s_print (cli, reply))
            rc = CLI_FAILED;
        if (reply)
            protobuf_c_message_free_unpacked (&reply->base, NULL);
    }
    else
        rc = s_verify_all (cli);
    cli_args_destroy (&args);
    return rc;
}
