/*  =========================================================================
    events_log - the writer's rules, with no I/O
    =========================================================================
*/

#include "events_log.h"

int
events_cursor_cmp (events_cursor_t a, events_cursor_t b)
{
    if (a.txid != b.txid)
        return a.txid < b.txid ? -1 : 1;
    if (a.id != b.id)
        return a.id < b.id ? -1 : 1;
    return 0;
}

int
events_log_check (const Kj__AppendRequest *request, kj_status_t *status)
{
    if (!request->producer || !*request->producer)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "producer",
                              "producer is empty: name the producing service");
    if (strlen (request->producer) > EVENTS_NAME_MAX)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "producer",
                              "producer is longer than %d bytes",
                              EVENTS_NAME_MAX);
    //  Text columns take only UTF-8: refused here, not by the COPY (which
    //  would answer UNAVAILABLE, and the relay would retry for ever)
    if (!kj_utf8_valid (request->producer))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "producer",
                              "producer is not UTF-8 text without control "
                              "characters");
    events_cursor_t last = { 0, 0 };
    for (size_t i = 0; i < request->n_events; i++) {
        const Kj__OutboxEvent *event = request->events [i];
        if (!event->event)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "events.event", "event %zu has no envelope",
                                  i);
        const char *topic = event->event->topic;
        //  '/' is kept for a hub's mirrored cities ("anshan/registry.")
        if (!topic || !*topic || *topic == '$' || strchr (topic, '/')
            || strlen (topic) > EVENTS_TOPIC_MAX)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "events.event.topic",
                                  "event %zu: a topic is 1 to %d bytes, "
                                  "does not start with '$' and has no '/'",
                                  i, EVENTS_TOPIC_MAX);
        if (!kj_utf8_valid (topic))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "events.event.topic",
                                  "event %zu: the topic is not UTF-8 text "
                                  "without control characters",
                                  i);
        if (event->txid > INT64_MAX || event->id > INT64_MAX)
            return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                                  event->txid > INT64_MAX ? "events.txid"
                                                          : "events.id",
                                  "event %zu: a txid and an id are below "
                                  "2^63",
                                  i);
        events_cursor_t here = { event->txid, event->id };
        if (i > 0 && events_cursor_cmp (here, last) <= 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "events.txid",
                                  "event %zu: (txid, id) = (%" PRIu64
                                  ", %" PRIu64
                                  ") does not increase; send outbox "
                                  "rows in (txid, id) order",
                                  i, here.txid, here.id);
        last = here;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The txids increase, so the last event's is the highest; the message
//  names the first event that is too high.

int
events_log_check_finished (const Kj__AppendRequest *request, size_t fresh,
                           uint64_t xmin, kj_status_t *status)
{
    if (fresh >= request->n_events
        || request->events [request->n_events - 1]->txid < xmin)
        return 0;
    size_t index = fresh;
    while (request->events [index]->txid < xmin)
        index++;
    return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "events.txid",
                          "event %zu: txid %" PRIu64 " is not a finished "
                          "transaction of this PostgreSQL cluster (all "
                          "below %" PRIu64 " are); send only committed "
                          "outbox rows",
                          index, request->events [index]->txid, xmin);
}

//  --------------------------------------------------------------------------
//  The events at or below the cursor are the duplicate prefix.

size_t
events_log_fresh (const Kj__AppendRequest *request, events_cursor_t cursor)
{
    size_t index = 0;
    while (index < request->n_events) {
        events_cursor_t here = { request->events [index]->txid,
                                 request->events [index]->id };
        if (events_cursor_cmp (here, cursor) > 0)
            break;
        index++;
    }
    return index;
}

uint64_t
events_log_cut_by_bytes (uint64_t head, uint64_t tail, uint64_t bytes,
                         uint64_t limit, uint64_t max_chunk)
{
    if (limit == 0 || bytes <= limit || head < tail)
        return 0;
    uint64_t held = head - tail + 1;
    uint64_t average = bytes / held;
    if (average == 0)
        average = 1;
    uint64_t count = (bytes - limit + average - 1) / average;
    if (count > max_chunk)
        count = max_chunk;
    if (count > held)
        count = held;
    if (count == 0)
        return 0;
    return tail + count - 1;
}

bool
events_log_matches (const char *topic, char *const *prefixes, size_t n_prefixes)
{
    if (n_prefixes == 0)
        return true;
    for (size_t i = 0; i < n_prefixes; i++)
        if (strncmp (topic, prefixes [i], strlen (prefixes [i])) == 0)
            return true;
    return false;
}
