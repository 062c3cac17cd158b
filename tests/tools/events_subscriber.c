/*  =========================================================================
    events_subscriber - a kj_subscriber in a process of its own, for the
    event log's tests (one can be stopped with SIGSTOP)

    events_subscriber --broker ENDPOINT --pub ENDPOINT [--from N]
        [--until N]      exit once offset N was delivered
        [--topic P]...   topic prefixes
        [--drop N]       drop N per mille of live messages
        [--name NAME]    report the position under this name
        [--city CITY]    a mirrored city's log, at a hub
        [--origin CODE]  count events whose origin_city is not CODE

    Checks order itself: with no prefixes every offset must follow the one
    before. Prints one line at the end:
        delivered=N first=F last=L disorder=D gaps_found=G gaps_repaired=R
    =========================================================================
*/

#include "kejin.h"

typedef struct {
    uint64_t first, last, delivered, disorder;
    bool check_contiguous;
    uint64_t until;
    const char *origin;
    uint64_t foreign;
} state_t;

static int
s_on_event (const Kj__Envelope *event, void *arg)
{
    state_t *state = (state_t *) arg;
    if (state->delivered == 0)
        state->first = event->offset;
    else if (event->offset <= state->last
             || (state->check_contiguous && event->offset != state->last + 1))
        state->disorder++;
    state->last = event->offset;
    if (state->origin
        && (!event->origin_city || !streq (event->origin_city, state->origin)))
        state->foreign++;
    state->delivered++;
    return state->until && event->offset >= state->until;
}

int
main (int argc, char **argv)
{
    kj_subscriber_config_t config = { .from = 1 };
    const char *prefixes [17] = { NULL };
    int n_prefixes = 0, drop = 0;
    state_t state = { .check_contiguous = true };
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *arg = argv [i], *value = argv [i + 1];
        if (streq (arg, "--broker"))
            config.broker = value;
        else if (streq (arg, "--pub"))
            config.pub_endpoint = value;
        else if (streq (arg, "--from"))
            config.from = strtoull (value, NULL, 10);
        else if (streq (arg, "--until"))
            state.until = strtoull (value, NULL, 10);
        else if (streq (arg, "--topic") && n_prefixes < 16)
            prefixes [n_prefixes++] = value;
        else if (streq (arg, "--drop"))
            drop = atoi (value);
        else if (streq (arg, "--name"))
            config.name = value;
        else if (streq (arg, "--city"))
            config.city = value;
        else if (streq (arg, "--origin"))
            state.origin = value;
    }
    kj_log_init ("events_subscriber", getenv ("KEJIN_LOG_LEVEL"));
    kj_signals_init ();
    state.check_contiguous = n_prefixes == 0;
    config.prefixes = prefixes;
    config.callback = s_on_event;
    config.arg = &state;
    kj_subscriber_t *subscriber = kj_subscriber_new (&config);
    if (!subscriber)
        return 2;
    kj_subscriber_set_drop (subscriber, drop);
    int rc = kj_subscriber_run (subscriber);
    kj_subscriber_stats_t stats;
    kj_subscriber_stats (subscriber, &stats);
    printf ("delivered=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64
            " disorder=%" PRIu64 " gaps_found=%" PRIu64
            " gaps_repaired=%" PRIu64 " replayed=%" PRIu64 " live=%" PRIu64
            " foreign=%" PRIu64 "\n",
            state.delivered, state.first, state.last, state.disorder,
            stats.gaps_found, stats.gaps_repaired, stats.replayed, stats.live,
            state.foreign);
    fflush (stdout);
    if (rc < 0)
        fprintf (stderr, "events_subscriber: %s\n",
                 kj_subscriber_error (subscriber));
    kj_subscriber_destroy (&subscriber);
    return rc < 0 ? 1 : 0;
}
