/*  =========================================================================
    events_log - the writer's rules, with no I/O: which events of an
    Append are new, and how much retention cuts

    A producer's outbox rows are ordered by (txid, id), and the log holds
    for each producer the highest pair it appended (its cursor). A row at
    or below the cursor is a duplicate: the relay sent it again after a
    crash or a lost reply. So an Append, whose rows must increase strictly,
    splits into a duplicate prefix and a new suffix.
    =========================================================================
*/

#ifndef EVENTS_LOG_H_INCLUDED
#define EVENTS_LOG_H_INCLUDED

#include "kejin.h"

typedef struct {
    uint64_t txid;
    uint64_t id;
} events_cursor_t;

//  Longest producer name and topic accepted.
#define EVENTS_NAME_MAX  128
#define EVENTS_TOPIC_MAX 256

//  -1, 0, 1 as a is below, equal to, above b.
int
    events_cursor_cmp (events_cursor_t a, events_cursor_t b);

//  Check an Append: a producer name, each event present with a topic that
//  does not start with '$', (txid, id) below 2^63 and strictly increasing.
//  0, or -1 with the status naming the field.
int
    events_log_check (const Kj__AppendRequest *request, kj_status_t *status);

//  Check that the new events (from index fresh on) name transactions
//  that have finished: each txid below xmin, the oldest transaction still
//  running in the cluster when the writer asked. A relay sends only rows
//  of such transactions, so a txid at or above xmin is not an outbox row,
//  and taking it as the cursor would make the log drop real rows later.
//  0, or -1 with OUT_OF_RANGE naming the event.
int
    events_log_check_finished (const Kj__AppendRequest *request, size_t fresh,
                               uint64_t xmin, kj_status_t *status);

//  Index of the first event above cursor (n_events if none is).
size_t
    events_log_fresh (const Kj__AppendRequest *request, events_cursor_t cursor);

//  Last offset that size retention removes so that bytes fall to limit,
//  estimating from the average event: 0 if nothing goes. At most
//  max_chunk events per call.
uint64_t
    events_log_cut_by_bytes (uint64_t head, uint64_t tail, uint64_t bytes,
                             uint64_t limit, uint64_t max_chunk);

//  True if topic starts with one of the prefixes (true when there are
//  none).
bool
    events_log_matches (const char *topic, char *const *prefixes,
                        size_t n_prefixes);

#endif
