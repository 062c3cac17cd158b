/*  =========================================================================
    events_store - every SQL statement of kejin-events

    Schema "events" (services/events/sql): log, producers, meta,
    subscribers. The writer appends on the connection that holds the
    writer lock: a small group in one statement (one round trip, one
    fsync), a large one with binary COPY in a transaction; readers serve replay with binary results, so an
    envelope goes from the table to the wire without hex on the way.
    =========================================================================
*/

#ifndef EVENTS_STORE_H_INCLUDED
#define EVENTS_STORE_H_INCLUDED

#include "kejin.h"
#include "events_log.h"

extern const kj_migration_t events_migrations [];

//  Try to take the writer lock on db's session. 1 taken (*pid_p is the
//  backend that holds it: the lock lives as long as that backend), 0 held
//  by another copy, -1 on a database error.
int
    events_store_try_lock (kj_db_t *db, int *pid_p);

//  Load what the writer keeps in memory: the head and every producer's
//  cursor (cursors: producer -> events_cursor_t, values malloc'd). Names
//  instance as the writer. 0 or -1.
int
    events_store_load (kj_db_t *db, const char *instance, uint64_t *head_p,
                       zhashx_t *cursors);

//  One batch for the log: count events with offsets first.., their topics
//  and encoded envelopes, and the producer's cursor after it.
typedef struct {
    const char *producer;
    events_cursor_t cursor;
    uint64_t first;
    size_t count;
    char **topics;
    uint8_t **envelopes;
    size_t *sizes;
    int64_t appended_at_us;
} events_batch_t;

//  Append n batches (of one producer or several, offsets following each
//  other) in one transaction, on the connection whose backend is
//  lock_pid: one COPY, one fsync at commit (group commit). The same
//  transaction moves each producer's cursor only to a txid below the
//  cluster's xmin (the oldest transaction still running; *xmin_p): a
//  relay sends only rows of finished transactions. 0 committed; -1 failed
//  and rolled back (the caller reloads its state); -2 the connection is
//  not the lock holder's any more (the caller steps down); -3 batch
//  *refused_p's txid is not below *xmin_p: all rolled back.
//  Groups of at most this many events go in one statement (one round
//  trip), larger ones by COPY in a transaction (the faster per event).
#define EVENTS_APPEND_ONE_MAX 256

int
    events_store_append (kj_db_t *db, int lock_pid,
                         const events_batch_t *batches, size_t n,
                         uint64_t *xmin_p, size_t *refused_p);

//  Events for a replay, in offset order: each the encoded envelope the log
//  holds, preceded by its length as a protobuf varint (the body of a
//  length-delimited field; memory from the allocator).
typedef struct {
    uint64_t head;         //  last offset (0 when empty)
    uint64_t tail;         //  first offset held
    uint64_t next_offset;  //  scanned up to here
    uint8_t **envelopes;
    size_t *sizes;
    size_t n_events;
} events_replay_t;

//  Read up to max_events matching events from `from` (0: the tail) to
//  `to` (0: the head), scanning at most scan offsets and stopping past
//  max_bytes. If from is before the tail, returns no events and
//  out->tail says where the log starts. mirror: db is a hub's copy of a
//  city's log (kejin_mirror_<city>), whose meta is not copied: head and
//  tail are then the log's own last and first offsets. 0 or -1.
int
    events_store_replay (kj_db_t *db, bool mirror, uint64_t from, uint64_t to,
                         char **prefixes, size_t n_prefixes,
                         uint32_t max_events, uint64_t scan, size_t max_bytes,
                         ProtobufCAllocator *allocator, events_replay_t *out);

//  Fill info from meta and subscribers; strings and the subscriber list
//  from allocator. 0 or -1.
int
    events_store_info (kj_db_t *db, Kj__EventsInfo *info,
                       ProtobufCAllocator *allocator);

//  At a hub: fill info from a city's mirrored log (head, tail, events,
//  bytes, the rate of the last minute, head_at_us; no writer). 0 or -1.
int
    events_store_mirror_info (kj_db_t *db, Kj__EventsInfo *info);

//  Add to info the subscribers that reported on city's log ("": this
//  node's own), from the node's own db; names without the city. 0 or -1.
int
    events_store_subscribers (kj_db_t *db, const char *city,
                              Kj__EventsInfo *info,
                              ProtobufCAllocator *allocator);

//  Record a subscriber's reported position. 0 or -1.
int
    events_store_report (kj_db_t *db, const char *name, uint64_t offset);

//  Remove events older than max_age_s (0: no age limit) and, oldest first,
//  while the log holds more than max_bytes (0: no size limit); at most
//  max_chunk events per call. *tail_p is the tail after. Returns the
//  events removed, or -1.
int64_t
    events_store_retain (kj_db_t *db, int64_t max_age_s, uint64_t max_bytes,
                         uint64_t max_chunk, uint64_t *tail_p);

//  The first offset held appended at or after time_us (µs since the
//  epoch): a binary search on the primary key, as appended_at grows with
//  the offset. *offset_p is head + 1 when every event is older, and
//  *at_us_p that event's appended_at (0 for none). 0 or -1.
//  mirror: db is a hub's copy of a city's log (no meta table).
int
    events_store_offset_for_time (kj_db_t *db, bool mirror, int64_t time_us,
                                  uint64_t *offset_p, int64_t *at_us_p,
                                  uint64_t *head_p, uint64_t *tail_p);

//  Store the append rate that Info shows. 0 or -1.
int
    events_store_set_rate (kj_db_t *db, uint64_t rate_per_s);

//  A hub's copy of a city's log (events_follow): its last offset (0 when
//  empty). 0 or -1.
int
    events_store_mirror_head (kj_db_t *db, uint64_t *head);

//  Its rows from..to, (off, topic, envelope) in binary, in offset order;
//  NULL (logged) on failure. PQclear it.
PGresult *
    events_store_mirror_rows (kj_db_t *db, uint64_t from, uint64_t to);

//  For events_store*.c only: microseconds from the Unix epoch to
//  PostgreSQL's (2000-01-01), and a text column as a uint64 (NULL: 0).
#define PG_EPOCH_US INT64_C (946684800000000)

static inline uint64_t
    s_text_u64 (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col)
             ? 0
             : strtoull (PQgetvalue (res, row, col), NULL, 10);
}

//  A bigint column by name that may not be NULL, into *value: 0, or -1
//  (logged) when it is NULL, missing or not a number.
static inline int
    s_named_u64 (const PGresult *res, int row, const char *name,
                 uint64_t *value)
{
    int64_t number;
    if (kj_sql_int64 (res, row, name, &number))
        return -1;
    *value = (uint64_t) number;
    return 0;
}

#endif
