/*  =========================================================================
    events_private - what the files of kejin-events share: the server's
    state, and the calls one part makes into another

    events_server.c runs the threads (writer election, ticker);
    events_writer.c serves "events.writer" (Append with group commit,
    Cursor); events_publish.c sends committed events and markers live;
    events_readers.c serves "events" (Replay, Info, Report, ...). Not for
    use outside services/events.
    =========================================================================
*/

#ifndef EVENTS_PRIVATE_H_INCLUDED
#define EVENTS_PRIVATE_H_INCLUDED

#include "events_server.h"
#include "events_follow.h"
#include "events_log.h"
#include "events_store.h"
#include "events_refusals.h"
#include <pthread.h>
#include <stdatomic.h>

#define EVENTS_WRITERS 4  //  events.writer workers

//  An Append waiting for the group that will commit it: on the stack of
//  its worker's thread, which waits on the writer's lock meanwhile.
typedef struct _events_pending_t {
    kj_call_t *call;
    const Kj__AppendRequest *request;
    Kj__AppendReply *reply;
    events_batch_t batch;  //  its new rows (count 0: duplicates only)
    bool done;             //  answered (reply or status)
    kj_status_t status;    //  code OK, or why it failed
    struct _events_pending_t *next;
} events_pending_t;

struct _events_server_t {
    events_config_t config;  //  copy; strings owned by the caller
    atomic_bool stop;
    pthread_t writer_thread;
    pthread_t ticker_thread;
    bool ticker_running;

    pthread_mutex_t queue_lock;  //  guards queue, and each entry's done
    events_pending_t *queue;     //  Appends waiting for the next group
    events_pending_t *queue_tail;

    pthread_mutex_t lock;                   //  guards everything below
    bool is_writer;                         //  holds the writer lock now
    bool step_down;                         //  lost it: stop serving
    kj_worker_t *writers [EVENTS_WRITERS];  //  events.writer workers
    kj_db_t *wdb;                 //  the lock's connection, while writer
    int lock_pid;                 //  backend holding the lock
    uint64_t head;                //  last offset appended
    uint64_t published;           //  last offset published
    int64_t published_at;         //  when we last published (mono us)
    zhashx_t *cursors;            //  producer -> events_cursor_t
    zsock_t *pub;                 //  XPUB to the broker's XSUB
    kj_audit_t *audit;            //  the log's trail (events_audit)
    events_refusals_t *refusals;  //  the ticker's alone
    events_follow_t *follow;      //  mirrored cities served (or NULL)
};

//  events_publish.c, under self->lock: a batch marker for first..last
//  (counts per topic; none for an idle marker), and a committed batch
//  followed by its marker.
void
    events_publish_marker (events_server_t *self, uint64_t first, uint64_t last,
                           Kj__TopicCount **counts, size_t n_counts);
void
    events_publish_batch (events_server_t *self, const events_batch_t *batch);
//  ... and what events_follow.c shares: one frame without blocking, and a
//  marker under any topic (a mirrored city's "<city>/$batch").
void
    events_publish_frame (zsock_t *sock, const void *data, size_t size,
                          bool more);
void
    events_publish_marker_on (zsock_t *sock, const char *topic, uint64_t first,
                              uint64_t last, uint64_t head,
                              Kj__TopicCount **counts, size_t n_counts);

//  events_writer.c: stop serving events.writer (under self->lock), and
//  the methods of "events.writer" (Append, Cursor).
void
    events_writer_step_down (events_server_t *self, const char *reason);
extern const kj_method_t events_writer_methods [];

//  events_refused.c, by the ticker every pass, outside self->lock: take the
//  broker's reports of refused subscriptions off the XPUB and, as the
//  writer, audit them (coalesced) on *db_p, opened when needed.
void
    events_refused_tick (events_server_t *self, kj_db_t **db_p, int64_t now);

#endif
