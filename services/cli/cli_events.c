/*  =========================================================================
    cli_events - `kejin events tail` and `kejin events stats`

    tail follows the log through kj_subscriber: replay from a stored or
    given offset, then live, every event once, in offset order. The next
    offset is kept in a file after every poll, so that stopping (Ctrl-C)
    and starting again resumes with nothing missed and nothing repeated.
    =========================================================================
*/

#include "cli.h"
#include "kj_json.h"
#include <sys/stat.h>

static const char *s_usage = N_ (
    "Usage: kejin events tail [--from N | --since TIME] [--topic PREFIX]...\n"
    "                         [--json] [--offset-file PATH] [--count N]\n"
    "                         [--pub ENDPOINT] [--city CITY]\n"
    "       kejin events stats [--json] [--city CITY]\n\n"
    "tail   print events as they are appended, one per line: offset, time,\n"
    "       topic, key and a short payload; --json prints each whole event\n"
    "       as a JSON object. Starts at --from N (0: the oldest held), or at\n"
    "       the first event appended at or after --since TIME (UTC, e.g.\n"
    "       2026-12-01T08:00 or 2026-12-01T08:00:30), else\n"
    "       where the offset file says the last run stopped, else with the\n"
    "       next new event. The offset file (default ~/.kejin/tail.offset)\n"
    "       is updated as it goes. --count N stops after N events; --pub\n"
    "       names the node's pub endpoint, the broker's XPUB (default:\n"
    "       env KEJIN_NODE_PUB, else asked from the broker).\n"
    "       At a hub, --city CITY (e.g. anshan) follows that mirrored city's\n"
    "       log, with its offsets (default offset file\n"
    "       ~/.kejin/tail-CITY.offset).\n"
    "stats  head, tail, events and bytes held, append rate, the writer,\n"
    "       retention, and each reporting subscriber's position and lag;\n"
    "       --city CITY: of that mirrored city's copy, at a hub.\n");

typedef struct {
    cli_t *cli;
    uint64_t count;  //  stop after this many (0: never)
    uint64_t printed;
} tail_t;

static void
s_time (int64_t us, char *buf, size_t size)
{
    time_t seconds = (time_t) (us / 1000000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf + n, size - n, ".%03dZ", (int) (us / 1000 % 1000));
}

static int
s_print_event (const Kj__Envelope *event, void *arg)
{
    tail_t *tail = (tail_t *) arg;
    if (tail->cli->json)
        cli_print_json (&event->base);
    else {
        char when [40];
        s_time (event->appended_at_us, when, sizeof when);
        //  The payload as compact JSON, cut to one screen line
        char summary [81] = "";
        json_t *json = kj_json_from_message (&event->base);
        json_t *payload = json ? json_object_get (json, "payload") : NULL;
        if (payload) {
            char *text = json_dumps (payload, JSON_COMPACT | JSON_ENCODE_ANY);
            if (text) {
                kj_strlcpy (summary, text, sizeof summary);
                if (strlen (text) >= sizeof summary)
                    memcpy (summary + sizeof summary - 4, "...", 3);
                free (text);
            }
        }
        json_decref (json);
        printf ("%-8" PRIu64 " %s  %-32s %-20s %s %s\n", event->offset, when,
                event->topic, event->key, event->payload_type, summary);
    }
    fflush (stdout);
    tail->printed++;
    return tail->count && tail->printed >= tail->count;
}

static int
s_read_offset (const char *path, uint64_t *offset)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    unsigned long long value;
    int rc = fscanf (file, "%llu", &value) == 1 ? 0 : -1;
    fclose (file);
    if (rc == 0)
        *offset = value;
    return rc;
}

static int
s_write_offset (const char *path, uint64_t offset)
{
    char temp [1100];
    snprintf (temp, sizeof temp, "%s.tmp", path);
    FILE *file = fopen (temp, "w");
    if (!file)
        return -1;
    fprintf (file, "%" PRIu64 "\n", offset);
    if (fclose (file))
        return -1;
    return rename (temp, path);
}

//  "2026-12-01T08:00[:SS][Z]" or "2026-12-01", UTC, to µs since the
//  epoch. 0 or -1.
static int
s_parse_since (const char *text, int64_t *us)
{
    static const char *layouts [] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                                      "%Y-%m-%d", NULL };
    for (int i = 0; layouts [i]; i++) {
        struct tm tm;
        memset (&tm, 0, sizeof tm);
        const char *end = strptime (text, layouts [i], &tm);
        if (end && (*end == 0 || streq (end, "Z"))) {
            *us = (int64_t) timegm (&tm) * 1000000;
            return 0;
        }
    }
    return -1;
}

//  The first offset appended at or after `since` (Events.OffsetForTime).
static int
s_offset_for_time (cli_t *cli, const char *city, int64_t since, uint64_t *from)
{
    Kj__OffsetForTimeRequest request = KJ__OFFSET_FOR_TIME_REQUEST__INIT;
    request.time_us = since;
    request.city = (char *) city;
    Kj__OffsetForTimeReply *reply = NULL;
    int rc = cli_call (cli, "events", "OffsetForTime", &request.base,
                       &kj__offset_for_time_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    if (rc != CLI_OK)
        return rc;
    *from = reply->offset;
    kj__offset_for_time_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

static int
s_tail (cli_t *cli, int argc, char **argv)
{
    uint64_t from = KJ_SUBSCRIBER_HEAD;
    bool from_given = false;
    int64_t since = -1;
    const char *prefixes [65];
    int n_prefixes = 0;
    char offset_file [1024] = "";
    const char *pub = getenv ("KEJIN_NODE_PUB");
    const char *city = "";
    tail_t tail = { .cli = cli };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        const char *value = i + 1 < argc ? argv [i + 1] : NULL;
        int64_t number;
        if (streq (arg, "--json"))
            continue;
        if (!value)
            return cli_usage (s_usage, true);
        i++;
        if (streq (arg, "--from") && since < 0
            && kj_parse_int64 (value, &number) == 0 && number >= 0) {
            from = (uint64_t) number;
            from_given = true;
        }
        else if (streq (arg, "--since") && !from_given) {
            if (s_parse_since (value, &since)) {
                fprintf (stderr,
                         _ ("kejin: --since: '%s' is not a time like "
                            "2026-12-01T08:00 (UTC)\n"),
                         value);
                return CLI_USAGE;
            }
            from_given = true;
        }
        else if (streq (arg, "--topic") && n_prefixes < 64)
            prefixes [n_prefixes++] = value;
        else if (streq (arg, "--offset-file"))
            kj_strlcpy (offset_file, value, sizeof offset_file);
        else if (streq (arg, "--count") && kj_parse_int64 (value, &number) == 0
                 && number > 0)
            tail.count = (uint64_t) number;
        else if (streq (arg, "--pub"))
            pub = value;
        else if (streq (arg, "--city"))
            city = value;
        else
            return cli_usage (s_usage, true);
    }
    prefixes [n_prefixes] = NULL;
    if (pub && !*pub)
        pub = NULL;
    if (!*offset_file) {
        const char *home = getenv ("HOME");
        char dir [900];
        snprintf (dir, sizeof dir, "%s/.kejin", home ? home : ".");
        mkdir (dir, 0700);
        //  Offsets are a city's own: one file per city followed
        if (*city)
            snprintf (offset_file, sizeof offset_file, "%s/tail-%s.offset", dir,
                      city);
        else
            snprintf (offset_file, sizeof offset_file, "%s/tail.offset", dir);
    }
    if (!from_given)
        s_read_offset (offset_file, &from);
    if (since >= 0) {
        int rc = s_offset_for_time (cli, city, since, &from);
        if (rc != CLI_OK)
            return rc;
    }

    Kj__BrokerStats *stats = NULL;
    char pub_endpoint [256];
    if (pub)
        kj_strlcpy (pub_endpoint, pub, sizeof pub_endpoint);
    else {
        Kj__BrokerStatsRequest request = KJ__BROKER_STATS_REQUEST__INIT;
        int rc = cli_call (cli, "kejin.broker", "Stats", &request.base,
                           &kj__broker_stats__descriptor,
                           (ProtobufCMessage **) &stats, true);
        if (rc != CLI_OK)
            return rc;
        kj_strlcpy (pub_endpoint, stats->pub_endpoint, sizeof pub_endpoint);
        kj__broker_stats__free_unpacked (stats, NULL);
        if (!*pub_endpoint) {
            fprintf (stderr,
                     _ ("kejin: the broker at %s publishes no events "
                        "(no pub endpoint)\n"),
                     cli->broker);
            return CLI_UNAVAILABLE;
        }
    }
    kj_subscriber_config_t config = { .broker = cli->broker,
                                      .pub_endpoint = pub_endpoint,
                                      .prefixes = prefixes,
                                      .from = from,
                                      .city = *city ? city : NULL,
                                      .callback = s_print_event,
                                      .arg = &tail,
                                      .timeout_ms = cli->timeout_ms };
    kj_subscriber_t *subscriber = kj_subscriber_new (&config);
    if (!subscriber)
        return CLI_UNAVAILABLE;
    int rc = 0;
    uint64_t stored = 0;
    while (!kj_stopping () && rc == 0) {
        rc = kj_subscriber_poll (subscriber, 200);
        uint64_t next = kj_subscriber_next (subscriber);
        if (next && next != stored && s_write_offset (offset_file, next) == 0)
            stored = next;
    }
    int exit_code = CLI_OK;
    if (rc < 0) {
        fprintf (stderr, "kejin: %s\n", kj_subscriber_error (subscriber));
        exit_code = CLI_FAILED;
    }
    kj_subscriber_stats_t counters;
    kj_subscriber_stats (subscriber, &counters);
    if (!cli->json)
        fprintf (stderr,
                 _ ("next offset %" PRIu64 " (in %s); gaps found %" PRIu64
                    ", repaired %" PRIu64 "\n"),
                 counters.next, offset_file, counters.gaps_found,
                 counters.gaps_repaired);
    kj_subscriber_destroy (&subscriber);
    return exit_code;
}

static int
s_stats (cli_t *cli, int argc, char **argv)
{
    Kj__EventsInfoRequest request = KJ__EVENTS_INFO_REQUEST__INIT;
    for (int i = 1; i < argc; i++)
        if (streq (argv [i], "--city") && i + 1 < argc)
            request.city = argv [++i];
        else if (!streq (argv [i], "--json"))
            return cli_usage (s_usage, true);
    Kj__EventsInfo *info = NULL;
    int rc = cli_call (cli, "events", "Info", &request.base,
                       &kj__events_info__descriptor,
                       (ProtobufCMessage **) &info, true);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&info->base);
    else {
        char when [40] = "never";
        if (info->head_at_us)
            s_time (info->head_at_us, when, sizeof when);
        printf (_ ("head     %" PRIu64 " (appended %s)\n"), info->head, when);
        printf (_ ("tail     %" PRIu64 "\n"), info->tail);
        printf (_ ("held     %" PRIu64 " events, %" PRIu64 " bytes\n"),
                info->events, info->bytes);
        printf (_ ("rate     %" PRIu64 " events/s (last minute)\n"),
                info->rate_per_s);
        if (request.city && *request.city)
            printf (_ ("copy     of %s, mirrored at this hub\n"), request.city);
        else {
            printf (_ ("writer   %s\n"),
                    *info->writer ? info->writer : "(none)");
            printf (_ ("retain   %u days"), info->retention_days);
            if (info->retention_bytes)
                printf (_ (", at most %" PRIu64 " bytes"),
                        info->retention_bytes);
            printf ("\n");
        }
        if (info->n_subscribers) {
            printf ("\n");
            cli_table_t *table = cli_table_new (N_ ("SUBSCRIBER"),
                                                N_ ("OFFSET"), N_ ("LAG"),
                                                N_ ("SEEN"), NULL);
            for (size_t i = 0; i < info->n_subscribers; i++) {
                Kj__SubscriberStats *s = info->subscribers [i];
                char offset [32], lag [32], seen [40];
                snprintf (offset, sizeof offset, "%" PRIu64, s->offset);
                snprintf (lag, sizeof lag, "%" PRIu64,
                          info->head > s->offset ? info->head - s->offset : 0);
                s_time (s->seen_us, seen, sizeof seen);
                cli_table_row (table, s->name, offset, lag, seen);
            }
            cli_table_print (table, stdout);
            cli_table_destroy (&table);
        }
    }
    kj__events_info__free_unpacked (info, NULL);
    return CLI_OK;
}

int
cli_events (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    if (streq (argv [1], "tail"))
        return s_tail (cli, argc - 1, argv + 1);
    if (streq (argv [1], "stats"))
        return s_stats (cli, argc - 1, argv + 1);
    return cli_usage (s_usage, true);
}
