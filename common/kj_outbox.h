/*  =========================================================================
    kj_outbox - a service's events, written in the same transaction as the
    change they describe

    A handler that changes state calls kj_outbox_add inside its transaction
    (a KJ_WRITE method's, or its own kj_db_begin): the event is a row of
    the service's kj_outbox table, so it commits or rolls back with the
    change. kj_relay hands committed rows to kejin-events later.

    So that one key's events reach the log in the order of its changes, the
    transaction takes the key's lock (kj_db_lock_key) before its first
    write, or, for a batch of thousands of one topic's events, the topic's
    lock (kj_db_lock_topic) that every writer of that topic takes. A keyed
    event without either is refused, and its transaction with it
    (docs/events-design.md, "Which lock orders an event").
    =========================================================================
*/

#ifndef KJ_OUTBOX_H_INCLUDED
#define KJ_OUTBOX_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include "kj_db.h"

//  Add one event: topic (e.g. "registry.enterprise.registered", never
//  starting with '$'), key (the entity, e.g. a credit code; NULL for none)
//  and payload, a message of proto/ (payload_type is its full name, e.g.
//  "kj.Enterprise"; NULL for an empty payload). Must be called inside a
//  transaction of db. The row goes to the server with the transaction's
//  next statement or its COMMIT (kj_db_defer), so that a failure of the
//  insert fails that statement or the commit. 0, or -1 when it failed
//  already (the transaction is then failed too: roll it back, and retry
//  it if kj_db_retryable), or was refused: a key whose lock this
//  transaction does not hold (kj_db_holds_key), logged once per topic
//  (outbox.unlocked), the transaction refused (kj_db_refuse).
int
    kj_outbox_add (kj_db_t *db, const char *topic, const char *key,
                   const ProtobufCMessage *payload);

//  The same event as one statement of the caller's batch
//  (kj_db_exec_many), so that it costs no round trip of its own: the
//  statement (its parameters in *row), to run in db's transaction, the
//  relay woken after the commit. Its result is the insert's (PGRES_COMMAND_OK,
//  one row). An unlocked key refuses the transaction as kj_outbox_add
//  does, so that the batch fails. kj_outbox_row_free (row) after the batch
//  ran.
typedef struct {
    const char *params [4];
    char *hex;
} kj_outbox_row_t;

kj_db_query_t
    kj_outbox_row (kj_db_t *db, const char *topic, const char *key,
                   const ProtobufCMessage *payload, kj_outbox_row_t *row);

void
    kj_outbox_row_free (kj_outbox_row_t *row);

//  Add n events of one topic at COPY speed, for bulk changes that emit an
//  event per row: keys [i] (NULL for none) and payloads [i] (NULL for an
//  empty one) as kj_outbox_add takes them, written with one COPY in the
//  order given (ids, and so the log, follow it). Must be called inside a
//  transaction of db. 0, or -1 when the COPY failed (the transaction is
//  then failed too) or a key is not locked (as kj_outbox_add; a batch
//  takes the topic's lock, kj_db_lock_topic).
int
    kj_outbox_add_many (kj_db_t *db, const char *topic, size_t n,
                        const char *const *keys,
                        const ProtobufCMessage *const *payloads);

//  The channel that wakes a producer's relay: "kj_outbox_" and the schema,
//  cut to PostgreSQL's 63 bytes. kj_outbox_add and kj_outbox_row ask kj_db
//  for a NOTIFY on it after the transaction commits, at most once per
//  window (5 ms) a channel in this process; kj_outbox_add_many at every
//  transaction. kj_relay LISTENs to it.
void
    kj_outbox_channel (const char *schema, char channel [64]);

//  The window of the wake-ups (microseconds; 0: every transaction's, -1:
//  the default), for tests. Forgets when each channel was last woken.
void
    kj_outbox_set_wake_window (int64_t us);

#endif
