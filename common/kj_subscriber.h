/*  =========================================================================
    kj_subscriber - every event of the log once, in offset order, from any
    offset, live

    Starts from a stored offset: replays until caught up, then follows the
    live stream through the broker's XPUB endpoint. Live events wait in a
    bounded buffer until the marker of their batch proves the batch
    complete (its first offset is the next one expected and its counts per
    topic match what arrived); a batch that is not complete, lost markers,
    or an idle marker showing a head beyond what we have, is a gap: the
    subscriber replays it. Nothing is delivered twice or out of order;
    counters show the gaps found and repaired.

    At a hub, `.city` follows one mirrored city's log instead, with the
    same rules and that city's offsets (its stream is "<city>/<topic>");
    the whole province is one subscriber per city, each with its own
    next offset.

        kj_subscriber_config_t config = {
            .broker = "tcp://127.0.0.1:5555",
            .pub_endpoint = "tcp://127.0.0.1:5557",
            .prefixes = (const char *[]) { "registry.", NULL },
            .from = stored_offset,          //  next offset wanted
            .callback = on_event, .arg = app
        };
        kj_subscriber_t *sub = kj_subscriber_new (&config);
        while (kj_subscriber_poll (sub, 500) == 0)
            store (kj_subscriber_next (sub));
        kj_subscriber_destroy (&sub);
    =========================================================================
*/

#ifndef KJ_SUBSCRIBER_H_INCLUDED
#define KJ_SUBSCRIBER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "events.pb-c.h"

//  Called with each event once, in offset order; return nonzero to stop
//  (the event counts as delivered).
typedef int (kj_subscriber_fn) (const Kj__Envelope *event, void *arg);

//  `from` for "only events appended from now on".
#define KJ_SUBSCRIBER_HEAD UINT64_MAX

typedef struct {
    const char *broker;           //  broker ROUTER endpoint, for Replay
    const char *pub_endpoint;     //  broker XPUB endpoint, for live events
    const char *const *prefixes;  //  NULL-ended topic prefixes; NULL: all
    uint64_t from;                //  first offset wanted; 0: the oldest held
    kj_subscriber_fn *callback;
    void *arg;
    const char *name;  //  report our position under this name
                       //  (shown as lag in stats; with .city, in that
                       //  city's stats at the hub); NULL: never
    int replay_batch;  //  events per Replay request (1000)
    int timeout_ms;    //  per Replay attempt (3000)
    int buffer_max;    //  live events held at most (100000)
    int rcvhwm;        //  live messages queued at most (100000)
    const char *city;  //  at a hub: a mirrored city's log (its name,
                       //  "anshan"), with that city's offsets; NULL:
                       //  the node's own log
} kj_subscriber_config_t;

typedef struct {
    uint64_t next;           //  next offset to deliver
    uint64_t delivered;      //  events given to the callback
    uint64_t live;           //  ... of them from the live stream
    uint64_t replayed;       //  ... of them from replay
    uint64_t gaps_found;     //  incomplete batches, lost markers
    uint64_t gaps_repaired;  //  ... filled by replay
    uint64_t markers;        //  markers received
    uint64_t overflows;      //  live events dropped: buffer full
    uint64_t dropped;        //  live messages dropped by set_drop
} kj_subscriber_stats_t;

typedef struct _kj_subscriber_t kj_subscriber_t;

//  Connect (strings and prefixes are copied). NULL on bad config.
kj_subscriber_t *
    kj_subscriber_new (const kj_subscriber_config_t *config);

void
    kj_subscriber_destroy (kj_subscriber_t **self_p);

//  Do what is due, waiting up to timeout_ms for live messages. Returns 0
//  (go on), 1 when the callback asked to stop, -1 on an error that replay
//  cannot fix (the next offset fell behind retention, a prefix or city
//  the key may not read, a city the node does not mirror): see
//  kj_subscriber_error. A replay that fails for lack of an answer is tried
//  again on the next poll.
int
    kj_subscriber_poll (kj_subscriber_t *self, int timeout_ms);

//  Poll until the callback stops, an error, or SIGINT/SIGTERM (0).
int
    kj_subscriber_run (kj_subscriber_t *self);

//  The next offset to deliver: store it to resume later with nothing
//  missed and nothing repeated.
uint64_t
    kj_subscriber_next (kj_subscriber_t *self);

void
    kj_subscriber_stats (kj_subscriber_t *self, kj_subscriber_stats_t *stats);

//  Why poll returned -1.
const char *
    kj_subscriber_error (kj_subscriber_t *self);

//  For tests: drop this many per thousand live messages on receipt.
void
    kj_subscriber_set_drop (kj_subscriber_t *self, int permille);

#endif
