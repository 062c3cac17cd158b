/*  =========================================================================
    events_server - kejin-events: the writer election, the writer (MDP
    service "events.writer": Append, Cursor), live publication, retention,
    and the readers (MDP service "events": Replay, Info, Report)

    Every copy runs the readers (kj_service's worker threads). One copy at
    a time holds the writer lock (an advisory lock on its own PostgreSQL
    session) and only that copy registers "events.writer"; the others try
    again every lock_retry_ms and take over when the holder's session
    ends.
    =========================================================================
*/

#ifndef EVENTS_SERVER_H_INCLUDED
#define EVENTS_SERVER_H_INCLUDED

#include "kejin.h"

//  Every option of kejin-events (events_options.c), { NULL } ended; the
//  CLI's `kejin config` knows it too.
extern const kj_option_t events_options [];

typedef struct {
    const char *broker;            //  broker ROUTER endpoint (MDP)
    const char *publish_endpoint;  //  broker XSUB endpoint for live events
    const char *dsn;               //  PostgreSQL
    const char *instance;          //  name in logs and in Info.writer
    int pub_hwm;                   //  messages queued to the broker at most
    int tick_ms;                   //  idle marker interval
    int lock_retry_ms;             //  stand-by's interval between tries
    int64_t retention_s;           //  drop events older than this (0: never)
    uint64_t retention_bytes;      //  keep the log below this (0: no limit)
    int retention_check_ms;        //  how often retention runs
    uint32_t retention_days;       //  as configured, for Info
} events_config_t;

typedef struct _events_server_t events_server_t;

//  Start the writer and the ticker (kj_service has migrated the schema).
//  NULL (logged) if the publish endpoint or a thread failed.
events_server_t *
    events_server_new (const events_config_t *config);

//  Stop: the writer finishes the batch in hand and says DISCONNECT, the
//  lock is released with the session.
void
    events_server_destroy (events_server_t **self_p);

//  Serve the mirrored cities of follow too (events_follow.h); the server
//  owns it from now on and destroys it first.
typedef struct _events_follow_t events_follow_t;
void
    events_server_set_follow (events_server_t *self, events_follow_t *follow);

//  True while this copy holds the writer lock.
bool
    events_server_is_writer (events_server_t *self);

//  The methods of the service "events" (Replay, Info, Report), served by
//  kj_service's reader threads, each with its own connection; every
//  handler gets the server as kj_call_state.
extern const kj_method_t events_reader_methods [];

//  The audit sink's one method (events_audit_sink.c, the MDP service
//  "events.audit"): the broker's refusals, recorded by kj_worker.
extern const kj_method_t events_audit_sink_methods [];

#endif
