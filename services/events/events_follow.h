/*  =========================================================================
    events_follow - kejin-events at a hub serving the cities it mirrors

    kejin-mirror copies each linked city's log into kejin_mirror_<city> at
    the hub, with the origin's offsets. With events/follow naming those
    cities, kejin-events serves them to the hub's integrators as it serves
    its own log: while this copy is the writer, a thread publishes each
    city's new rows live as "<city>/<topic>" with the stored envelope and
    the origin's offset, and a marker "<city>/$batch" after each batch and
    every tick; Replay with a city reads that city's copy. Nothing is
    renumbered and nothing is written to the mirrored logs.
    =========================================================================
*/

#ifndef EVENTS_FOLLOW_H_INCLUDED
#define EVENTS_FOLLOW_H_INCLUDED

#include "kejin.h"
#include "events_server.h"

#define EVENTS_FOLLOW_MAX 32  //  cities one copy follows

typedef struct {
    const char *cities;            //  events/follow: names, comma-separated
    const char *dsn;               //  key=value; dbname=... is appended
    const char *publish_endpoint;  //  broker XSUB endpoint
    int pub_hwm;
    int tick_ms;  //  idle marker interval
    int poll_ms;  //  how often each mirrored log is looked at
} events_follow_config_t;

typedef struct _events_follow_t events_follow_t;

//  Parse the cities and start publishing while server is the writer.
//  NULL with status set (INVALID_ARGUMENT naming events/follow) if the
//  list is wrong, or UNAVAILABLE if the thread or the socket failed.
events_follow_t *
    events_follow_new (const events_follow_config_t *config,
                       events_server_t *server, kj_status_t *status);

void
    events_follow_destroy (events_follow_t **self_p);

//  A connection to city's mirrored log for one call, or NULL with the
//  call failed (INVALID_ARGUMENT, NOT_FOUND or UNAVAILABLE naming city).
//  Give it back with events_follow_release.
kj_db_t *
    events_follow_acquire (events_follow_t *self, kj_call_t *call,
                           const char *city);

void
    events_follow_release (events_follow_t *self, const char *city,
                           kj_db_t **db_p);

#endif
