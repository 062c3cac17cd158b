/*  =========================================================================
    cli_audit - `kejin audit verify [--service S]`: check the audit trails

    Reads the newest `audit.sealed` event of each trail from the event log
    (the chain's head, anchored outside the service's database), then asks
    a service (or every service the broker knows) for the built-in
    AuditVerify with those anchors, which kj_service answers: it chains
    the trail's newest rows, checks the whole chain, names the first row
    that does not match its hash, and checks that the chain still holds
    the anchored hash at the anchored place. Exit 0 when every trail checked holds, 1 when one
    does not.
    =========================================================================
*/

#include "cli_reg.h"

static void
s_anchor_destroy (Kj__AuditSealed **anchor_p)
{
    if (*anchor_p) {
        kj__audit_sealed__free_unpacked (*anchor_p, NULL);
        *anchor_p = NULL;
    }
}

//  Anchors kept per trail, the newest: each is checked against the chain
#define ANCHORS_MAX 2000

//  Keep event's anchor, after those of the same trail (dropping the oldest
//  past ANCHORS_MAX)
static void
s_anchor_keep (zlistx_t *anchors, const Kj__Envelope *event)
{
    Kj__AuditSealed *anchor = kj__audit_sealed__unpack (NULL,
                                                        event->payload.len,
                                                        event->payload.data);
    char owner [128];
    snprintf (owner, sizeof owner, "%s_audit",
              event->producer ? event->producer : "");
    if (!anchor || !anchor->schema || !streq (anchor->schema, owner)
        || !event->key || !streq (event->key, owner)) {
        if (anchor)
            kj__audit_sealed__free_unpacked (anchor, NULL);
        return;
    }
    anchor->offset = event->offset;
    void *oldest = NULL;
    size_t count = 0;
    for (Kj__AuditSealed *known = (Kj__AuditSealed *) zlistx_first (anchors);
         known; known = (Kj__AuditSealed *) zlistx_next (anchors))
        if (streq (known->schema, anchor->schema) && count++ == 0)
            oldest = zlistx_cursor (anchors);
    if (count >= ANCHORS_MAX)
        zlistx_delete (anchors, oldest);
    zlistx_add_end (anchors, anchor);
}

static const char *s_usage = N_ (
    "Usage: kejin audit verify [--service SERVICE] [--json]\n"
    "Check the hash chain of the audit trail of SERVICE (default: every\n"
    "service the broker knows). Each service keeps one row per change and\n"
    "per refusal (who, role, city, method, object, result, before and\n"
    "after); a row edited or deleted by hand breaks the chain, and the\n"
    "first such row is named. Each service also publishes its chain's head\n"
    "to the event log (audit.sealed) at every seal; the chain must still\n"
    "hold each, so a trail cut short or rewritten by the database's owner\n"
    "fails too. Exit 1 if any trail is broken.\n");

//  --------------------------------------------------------------------------
//  The `audit.sealed` events of each trail in the event log (the chain's
//  head each time the service sealed it; the newest ANCHORS_MAX), kept
//  only when the producer that put them there owns the trail: "registry"
//  for "registry_audit". Every one is checked, not only the newest: after
//  a rewrite the sealer would anchor the rewritten head, but the anchors
//  from before it no longer match.
//  Returns the anchors (an empty list when the log cannot be read: the
//  chain is then checked on its own, and a note says so).

static zlistx_t *
s_anchors (cli_t *cli)
{
    zlistx_t *anchors = zlistx_new ();
    zlistx_set_destructor (anchors, (czmq_destructor *) s_anchor_destroy);
    char *prefixes [] = { "audit.sealed" };
    uint64_t from = 0;
    while (true) {
        Kj__ReplayRequest ask = KJ__REPLAY_REQUEST__INIT;
        ask.from_offset = from;
        ask.prefixes = prefixes;
        ask.n_prefixes = 1;
        ask.max_events = 10000;
        Kj__ReplayReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true };
        int code = kj_client_call (cli_client (cli), "events", "Replay",
                                   &ask.base, &kj__replay_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &status,
                                   &opts);
        if (code != KJ__CODE__OK) {
            if (!cli->json)
                fprintf (stderr,
                         _ ("kejin: the event log could not be read (%s: "
                            "%s); chains are checked without their "
                            "anchors\n"),
                         kj_code_name (code), status.message);
            break;
        }
        for (size_t i = 0; i < reply->n_events; i++)
            s_anchor_keep (anchors, reply->events [i]);
        bool more = reply->next_offset > from
                 && reply->next_offset <= reply->head;
        from = reply->next_offset;
        kj__replay_reply__free_unpacked (reply, NULL);
        if (!more)
            break;
    }
    return anchors;
}

//  Print one answer; true when the trail holds.
static bool
s_print (cli_t *cli, const Kj__AuditVerify *reply)
{
    if (cli->json)
        cli_print_json (&reply->base);
    else if (reply->ok && reply->anchored_seq)
        printf (_ ("%-16s %-20s ok: %" PRIu64 " rows chained, %" PRIu64
                   " waiting; place %" PRIu64 " holds the hash anchored "
                   "in the event log\n"),
                reply->service, reply->schema, reply->checked, reply->pending,
                reply->anchored_seq);
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
s_verify_all (cli_t *cli, Kj__AuditVerifyRequest *ask)
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
        Kj__AuditVerify *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true };
        int code = kj_client_call (cli_client (cli), name, "AuditVerify",
                                   &ask->base, &kj__audit_verify__descriptor,
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
    //  The anchors go with every request; a service checks those of its
    //  own trail
    zlistx_t *anchors = s_anchors (cli);
    Kj__AuditSealed **list = (Kj__AuditSealed **)
        calloc (zlistx_size (anchors) + 1, sizeof (Kj__AuditSealed *));
    size_t n = 0;
    for (Kj__AuditSealed *anchor = (Kj__AuditSealed *) zlistx_first (anchors);
         anchor; anchor = (Kj__AuditSealed *) zlistx_next (anchors))
        list [n++] = anchor;
    Kj__AuditVerifyRequest ask = KJ__AUDIT_VERIFY_REQUEST__INIT;
    ask.anchors = list;
    ask.n_anchors = n;
    if (service) {
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
        rc = s_verify_all (cli, &ask);
    free (list);
    zlistx_destroy (&anchors);
    cli_args_destroy (&args);
    return rc;
}
