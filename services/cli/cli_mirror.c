/*  =========================================================================
    cli_mirror - `kejin mirror links`: a hub's copies of other cities'
    event logs, as kejin-mirror last looked at them (docs/federation.md)
    =========================================================================
*/

#include "cli.h"
#include "mirror.pb-c.h"

static const char *s_usage = N_ (
    "Usage: kejin mirror links [--json]\n"
    "The links of this hub to other cities' event logs, as kejin-mirror\n"
    "last looked at them: the state, the highest offset copied here and\n"
    "the highest at the origin, and what is wrong.\n"
    "  OK           every event of the origin is here\n"
    "  CATCHING_UP  receiving, some events still to come\n"
    "  DOWN         the origin cannot be reached now; nothing is lost,\n"
    "               the link resumes by itself\n"
    "  GAP          the origin dropped events this hub had not copied:\n"
    "               the link is stopped; re-seed it (docs/federation.md)\n"
    "Exit code 0, or 1 when a link is DOWN or in GAP.\n");

static const char *
s_state (Kj__LinkState state)
{
    switch (state) {
        case KJ__LINK_STATE__LINK_OK:
            return "OK";
        case KJ__LINK_STATE__LINK_CATCHING_UP:
            return "CATCHING_UP";
        case KJ__LINK_STATE__LINK_DOWN:
            return "DOWN";
        case KJ__LINK_STATE__LINK_GAP:
            return "GAP";
        default:
            return "UNKNOWN";
    }
}

int
cli_mirror (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv))
        return cli_usage (_ (s_usage), false);
    if (argc != 2 || !streq (argv [1], "links"))
        return cli_usage (_ (s_usage), true);
    Kj__ListLinksRequest request = KJ__LIST_LINKS_REQUEST__INIT;
    Kj__ListLinksReply *reply = NULL;
    int rc = cli_call (cli, "mirror", "ListLinks", &request.base,
                       &kj__list_links_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    if (rc != CLI_OK)
        return rc;
    cli_table_t *table = cli_table_new (_ ("CITY"), _ ("STATE"), _ ("HERE"),
                                        _ ("ORIGIN"), _ ("LAG"), _ ("REASON"),
                                        NULL);
    for (size_t i = 0; i < reply->n_links; i++) {
        Kj__MirrorLink *link = reply->links [i];
        if (link->state == KJ__LINK_STATE__LINK_DOWN
            || link->state == KJ__LINK_STATE__LINK_GAP)
            rc = CLI_FAILED;
        if (cli->json) {
            cli_print_json (&link->base);
            continue;
        }
        //  The lag: events the origin has that this hub has not (as of
        //  the last check; unknown while the origin cannot be asked, DOWN
        //  or GAP)
        char here [24], origin [24], lag [24] = "?";
        snprintf (here, sizeof here, "%" PRIu64, link->hub_head);
        snprintf (origin, sizeof origin, "%" PRIu64, link->origin_head);
        if (link->state == KJ__LINK_STATE__LINK_OK
            || link->state == KJ__LINK_STATE__LINK_CATCHING_UP)
            snprintf (lag, sizeof lag, "%" PRIu64,
                      link->origin_head > link->hub_head
                          ? link->origin_head - link->hub_head
                          : 0);
        cli_table_row (table, link->city, s_state (link->state), here, origin,
                       lag, link->reason);
    }
    if (!cli->json) {
        if (reply->n_links)
            cli_table_print (table, stdout);
        else
            printf ("%s\n", _ ("this node mirrors no city (mirror/links is "
                               "empty)"));
    }
    cli_table_destroy (&table);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}
