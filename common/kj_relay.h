/*  =========================================================================
    kj_relay - hands a service's committed outbox rows to kejin-events

    A thread inside each service daemon, with its own database connection
    and MDP client. Only one relay per producer (service schema) works at a
    time: it holds an advisory lock on its session; the others try again
    every lock_retry_ms and take over when that session ends.

    The relay reads rows in (txid, id) order above its cursor, and only
    rows of transactions older than every running one:
        txid < pg_snapshot_xmin (pg_current_snapshot ())
    so a transaction that took its ids early and commits late can never be
    passed over. The cursor is the last (txid, id) the log holds for this
    producer: asked from kejin-events at start (Cursor) and returned by
    every Append. Rows at or below it are deleted from the outbox. A crash
    at any step costs at most sending rows again, which the log drops as
    duplicates. One consequence: a long transaction anywhere in the
    cluster holds the relay back until it ends.

    Idle, the relay waits on its session for the NOTIFY that each
    producer transaction sends after its commit (kj_outbox), and polls
    every idle_ms in case one was lost or skipped.
    =========================================================================
*/

#ifndef KJ_RELAY_H_INCLUDED
#define KJ_RELAY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

//  One batch's times (wall clock, us), for measuring where an event's
//  time goes (bench_events): when the relay began and ended reading it,
//  when the writer's group committed it, when the relay had the reply.
//  A read that found nothing is reported too (rows 0, no reply), and
//  whether the relay's own DELETE was still running when the read began
//  (it holds xmin, and so every later transaction's rows, back)
typedef struct {
    size_t rows;
    const char *const *keys;  //  each row's key, in the batch's order
    int64_t read_at_us;
    int64_t read_done_us;
    int64_t committed_at_us;
    int64_t reply_at_us;
    bool deleting;
} kj_relay_trace_t;

typedef void (kj_relay_trace_fn) (const kj_relay_trace_t *trace, void *arg);

typedef struct {
    const char *dsn;           //  the service's connection string
    const char *schema;        //  its schema: also the producer name
    const char *broker;        //  broker endpoint
    const char *city;          //  origin_city of the events
    int batch;                 //  rows per Append (1000)
    int idle_ms;               //  poll when no NOTIFY wakes the relay (200)
    int timeout_ms;            //  wait for one Append (5000)
    int lock_retry_ms;         //  stand-by's interval (500)
    int sweep_ms;              //  delete from the outbox's start (60000)
    kj_relay_trace_fn *trace;  //  if set, called with each read (rows or
    void *trace_arg;           //  none), on the relay's thread
} kj_relay_config_t;

typedef struct {
    bool active;           //  holds the producer's relay lock
    uint64_t batches;      //  Appends answered
    uint64_t appended;     //  rows the log took as new
    uint64_t duplicates;   //  rows the log already held
    uint64_t failures;     //  Appends or reads that failed
    uint64_t cursor_txid;  //  where the log is for this producer
    uint64_t cursor_id;
} kj_relay_stats_t;

typedef struct _kj_relay_t kj_relay_t;

//  Start the relay thread (strings are copied). NULL only on bad config.
kj_relay_t *
    kj_relay_new (const kj_relay_config_t *config);

//  Stop after the batch in hand, release the lock, join the thread.
void
    kj_relay_destroy (kj_relay_t **self_p);

void
    kj_relay_stats (kj_relay_t *self, kj_relay_stats_t *stats);

#endif
