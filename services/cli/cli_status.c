/*  =========================================================================
    cli_status - `kejin status`: the broker, its services and their workers
    =========================================================================
*/

#include "cli.h"
#include "link.pb-c.h"

static const char *s_usage = N_ (
    "Usage: kejin status [--json]\n"
    "Show the broker (endpoints, uptime) and, for every service it knows,\n"
    "its workers, credit, queue, requests in flight, counters and latency\n"
    "(p50/p99 over the last one to two minutes); then each copy of each\n"
    "service: the daemon process (instance, host, pid) and its workers;\n"
    "then, where kejin-link runs, each route to another city: whether the\n"
    "peer answers and serves it, and the requests forwarded and failed.\n");

//  --------------------------------------------------------------------------
//  Each copy of each service: the process behind its workers, so that an
//  operator sees what scaling did (WORKERS above counts threads).

static void
s_print_copies (const Kj__BrokerStats *stats)
{
    cli_table_t *table = cli_table_new (N_ ("SERVICE"), N_ ("COPY"),
                                        N_ ("HOST"), "PID", N_ ("WORKERS"),
                                        NULL);
    for (size_t i = 0; i < stats->n_services; i++) {
        const Kj__ServiceStats *s = stats->services [i];
        for (size_t c = 0; c < s->n_copies; c++) {
            const Kj__WorkerCopy *copy = s->copies [c];
            char pid [16], workers [16];
            snprintf (pid, sizeof pid, "%u", copy->pid);
            snprintf (workers, sizeof workers, "%u", copy->workers);
            cli_table_row (table, s->name,
                           *copy->instance ? copy->instance : "-",
                           *copy->host ? copy->host : "-",
                           copy->pid ? pid : "-", workers);
        }
    }
    printf ("\n");
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
}

//  --------------------------------------------------------------------------
//  Each route of the city's kejin-link (Link.Stats, when the broker has a
//  worker for "link"): the counts of its last heartbeat.

static void
s_print_links (cli_t *cli, const Kj__BrokerStats *stats)
{
    bool linked = false;
    for (size_t i = 0; i < stats->n_services; i++)
        linked = linked
              || (streq (stats->services [i]->name, "link")
                  && stats->services [i]->workers > 0);
    if (!linked)
        return;
    Kj__LinkStatsRequest request = KJ__LINK_STATS_REQUEST__INIT;
    Kj__LinkStats *links = NULL;
    if (cli_call (cli, "link", "Stats", &request.base,
                  &kj__link_stats__descriptor, (ProtobufCMessage **) &links,
                  true)
        != CLI_OK)
        return;  //  said why
    cli_table_t *table = cli_table_new (N_ ("ROUTE"), N_ ("PEER"), N_ ("ALIVE"),
                                        N_ ("REGISTERED"), N_ ("HELD"),
                                        N_ ("FORWARDED"), N_ ("ANSWERED"),
                                        N_ ("FAILED"), NULL);
    for (size_t i = 0; i < links->n_routes; i++) {
        const Kj__LinkRoute *route = links->routes [i];
        char held [16], forwarded [24], answered [24], failed [24];
        snprintf (held, sizeof held, "%u", route->held);
        snprintf (forwarded, sizeof forwarded, "%" PRIu64, route->forwarded);
        snprintf (answered, sizeof answered, "%" PRIu64, route->answered);
        snprintf (failed, sizeof failed, "%" PRIu64, route->failed);
        cli_table_row (table, route->service, route->peer,
                       route->alive
                           ? (route->served ? _ ("yes") : _ ("no workers"))
                           : _ ("no"),
                       route->registered ? _ ("yes") : _ ("no"), held,
                       forwarded, answered, failed);
    }
    printf ("\n");
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    kj__link_stats__free_unpacked (links, NULL);
}

int
cli_status (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    for (int i = 1; i < argc; i++)
        if (!streq (argv [i], "--json"))
            return cli_usage (s_usage, true);

    Kj__BrokerStatsRequest request = KJ__BROKER_STATS_REQUEST__INIT;
    Kj__BrokerStats *stats = NULL;
    int rc = cli_call (cli, "kejin.broker", "Stats", &request.base,
                       &kj__broker_stats__descriptor,
                       (ProtobufCMessage **) &stats, true);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&stats->base);
    else {
        int64_t up = (kj_wall_us () - stats->started_us) / 1000000;
        printf (_ ("broker   %s  pid %u  city %s  up %" PRId64 "h%02" PRId64 "m"
                   "%02" PRId64 "s\n"),
                stats->endpoint, stats->pid, stats->city, up / 3600,
                up / 60 % 60, up % 60);
        printf (_ ("pub      %s  (KEJIN_NODE_PUB: event subscribers connect "
                   "here)\n"),
                *stats->pub_endpoint ? stats->pub_endpoint : _ ("(none)"));
        printf (_ ("sub      %s  (KEJIN_NODE_SUB: kejin-events publishes "
                   "here)\n"),
                *stats->sub_endpoint ? stats->sub_endpoint : _ ("(none)"));
        printf (_ ("clients  %" PRIu64 " with requests pending; malformed "
                   "messages %" PRIu64 ", dropped %" PRIu64 "\n\n"),
                stats->clients, stats->malformed, stats->dropped);
        if (stats->insecure)
            printf (_ ("WARNING  keys off (broker/insecure = true): anyone "
                       "who reaches the ports may register workers, call "
                       "every method and publish events\n\n"));
        else {
            printf (_ ("keys     on; refused:"));
            for (size_t i = 0; i < stats->n_refusals; i++)
                printf (" %s %" PRIu64, stats->refusals [i]->reason,
                        stats->refusals [i]->count);
            printf ("\n\n");
        }
        cli_table_t *table = cli_table_new (N_ ("SERVICE"), N_ ("WORKERS"),
                                            N_ ("IDLE"), N_ ("CREDIT"),
                                            N_ ("QUEUED"), N_ ("IN FLIGHT"),
                                            N_ ("SERVED"), N_ ("FAILED"),
                                            N_ ("EXPIRED"), N_ ("RETRIED"),
                                            "P50", "P99", NULL);
        for (size_t i = 0; i < stats->n_services; i++) {
            Kj__ServiceStats *s = stats->services [i];
            char c [10][32];
            snprintf (c [0], 32, "%u", s->workers);
            snprintf (c [1], 32, "%u", s->idle);
            snprintf (c [2], 32, "%u", s->credit);
            snprintf (c [3], 32, "%u", s->queued);
            snprintf (c [4], 32, "%u", s->in_flight);
            snprintf (c [5], 32, "%" PRIu64, s->served);
            snprintf (c [6], 32, "%" PRIu64, s->failed);
            snprintf (c [7], 32, "%" PRIu64, s->expired);
            snprintf (c [8], 32, "%" PRIu64, s->retried);
            snprintf (c [9], 32, "%" PRIu64 "us", s->p50_us);
            char p99 [32];
            snprintf (p99, sizeof p99, "%" PRIu64 "us", s->p99_us);
            cli_table_row (table, s->name, c [0], c [1], c [2], c [3], c [4],
                           c [5], c [6], c [7], c [8], c [9], p99);
        }
        if (stats->n_services == 0)
            printf (_ ("no services yet: start a service daemon (make up)\n"));
        else {
            cli_table_print (table, stdout);
            s_print_copies (stats);
            s_print_links (cli, stats);
        }
        cli_table_destroy (&table);
    }
    kj__broker_stats__free_unpacked (stats, NULL);
    return CLI_OK;
}
