/*  =========================================================================
    events_server - kejin-events: writer election, appending, live
    publication, retention and replay

    Threads:
    - writer: competes for the writer lock; while it holds it, serves
      "events.writer" with the head and the producers' cursors in memory,
      on WRITERS workers (this thread and WRITERS - 1 more) whose
      concurrent Appends commit together (group commit).
    - ticker: while this copy is the writer, publishes an idle marker when
      nothing was appended for tick_ms, checks that the lock's session is
      alive, runs retention and records the append rate.
    - readers: kj_service's worker threads on "events" (Replay, Info,
      Report, events_reader_methods), each on its own connection; the
      daemon's table is in events_main.c.
    The writer and the ticker share the lock's connection and the PUB
    socket under `lock`: a marker always follows every event it counts.
    =========================================================================
*/

#include "events_server.h"
#include "events_follow.h"
#include "events_log.h"
#include "events_store.h"
#include <pthread.h>
#include <stdatomic.h>

#define REPLAY_DEFAULT 1000
#define REPLAY_MAX     10000
#define REPLAY_SCAN    1000000            //  offsets scanned per replay
#define REPLAY_BYTES   (4 * 1024 * 1024)  //  envelope bytes per reply
#define PREFIXES_MAX   64
#define RETAIN_CHUNK   50000
#define RATE_WINDOW    60

#define WRITERS 4  //  events.writer workers

//  An Append waiting for the group that will commit it: on the stack of
//  its worker's thread, which waits on the writer's lock meanwhile.
typedef struct _s_pending_t {
    kj_call_t *call;
    const Kj__AppendRequest *request;
    Kj__AppendReply *reply;
    events_batch_t batch;  //  its new rows (count 0: duplicates only)
    bool done;             //  answered (reply or status)
    kj_status_t status;    //  code OK, or why it failed
    struct _s_pending_t *next;
} s_pending_t;

struct _events_server_t {
    events_config_t config;  //  copy; strings owned by the caller
    atomic_bool stop;
    pthread_t writer_thread;
    pthread_t ticker_thread;
    bool ticker_running;

    pthread_mutex_t queue_lock;  //  guards queue, and each entry's done
    s_pending_t *queue;          //  Appends waiting for the next group
    s_pending_t *queue_tail;

    pthread_mutex_t lock;            //  guards everything below
    bool is_writer;                  //  holds the writer lock now
    bool step_down;                  //  lost it: stop serving events.writer
    kj_worker_t *writers [WRITERS];  //  events.writer workers, while writer
    kj_db_t *wdb;                    //  the lock's connection, while writer
    int lock_pid;                    //  backend holding the lock
    uint64_t head;                   //  last offset appended
    uint64_t published;              //  last offset published
    int64_t published_at;            //  when we last published (mono us)
    zhashx_t *cursors;               //  producer -> events_cursor_t
    zsock_t *pub;                    //  PUB to the broker's XSUB
    events_follow_t *follow;         //  mirrored cities served (or NULL)
};

//  --------------------------------------------------------------------------
//  Live publication, under self->lock

static void
s_send_frame (zsock_t *sock, const void *data, size_t size, bool more)
{
    zmq_send (zsock_resolve (sock), data, size,
              ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
}

static void
s_publish_marker (events_server_t *self, uint64_t first, uint64_t last,
                  Kj__TopicCount **counts, size_t n_counts)
{
    Kj__BatchMarker marker = KJ__BATCH_MARKER__INIT;
    marker.first = first;
    marker.last = last;
    marker.head = self->head;
    marker.counts = counts;
    marker.n_counts = n_counts;
    size_t size = kj__batch_marker__get_packed_size (&marker);
    uint8_t *packed = (uint8_t *) malloc (size + 1);
    assert (packed);
    kj__batch_marker__pack (&marker, packed);
    uint8_t offset [8];
    kj_put_u64 (offset, last);
    s_send_frame (self->pub, "$batch", 6, true);
    s_send_frame (self->pub, offset, 8, true);
    s_send_frame (self->pub, packed, size, false);
    free (packed);
    self->published_at = kj_mono_us ();
}

static void
s_publish_batch (events_server_t *self, const events_batch_t *batch)
{
    zhashx_t *counts = zhashx_new ();
    zlistx_t *topics = zlistx_new ();
    for (size_t i = 0; i < batch->count; i++) {
        const char *topic = batch->topics [i];
        uint8_t offset [8];
        kj_put_u64 (offset, batch->first + i);
        s_send_frame (self->pub, topic, strlen (topic), true);
        s_send_frame (self->pub, offset, 8, true);
        s_send_frame (self->pub, batch->envelopes [i], batch->sizes [i], false);
        size_t count = (size_t) zhashx_lookup (counts, topic);
        if (count == 0)
            zlistx_add_end (topics, (void *) topic);
        zhashx_update (counts, topic, (void *) (count + 1));
    }
    size_t n_counts = zlistx_size (topics);
    Kj__TopicCount *items = (Kj__TopicCount *) calloc (n_counts + 1,
                                                       sizeof (Kj__TopicCount));
    Kj__TopicCount **pointers = (Kj__TopicCount **)
        calloc (n_counts + 1, sizeof (Kj__TopicCount *));
    assert (items && pointers);
    size_t index = 0;
    for (char *topic = (char *) zlistx_first (topics); topic;
         topic = (char *) zlistx_next (topics), index++) {
        kj__topic_count__init (&items [index]);
        items [index].topic = topic;
        items [index].count = (uint32_t) (size_t) zhashx_lookup (counts, topic);
        pointers [index] = &items [index];
    }
    uint64_t last = batch->first + batch->count - 1;
    s_publish_marker (self, batch->first, last, pointers, n_counts);
    self->published = last;
    free (items);
    free (pointers);
    zlistx_destroy (&topics);
    zhashx_destroy (&counts);
}

//  --------------------------------------------------------------------------
//  Stop serving events.writer (under self->lock). The worker returns after
//  the request in hand; the writer thread then closes the session.

static void
s_step_down (events_server_t *self, const char *reason)
{
    if (!self->step_down)
        kj_warn ("events.writer_step_down", "instance=%s reason=\"%s\"",
                 self->config.instance, reason);
    self->step_down = true;
    for (int index = 0; index < WRITERS; index++)
        if (self->writers [index])
            kj_worker_stop (self->writers [index]);
}

//  --------------------------------------------------------------------------
//  One Append of a group: keep the new suffix against the cursor (as the
//  group moved it so far), give it offsets from *next and pack its
//  envelopes. Under self->lock.

static void
s_group_batch (events_server_t *self, s_pending_t *entry, zhashx_t *moved,
               uint64_t *next, int64_t now_us)
{
    const Kj__AppendRequest *request = entry->request;
    events_cursor_t cursor = { 0, 0 };
    events_cursor_t *known = (events_cursor_t *)
        zhashx_lookup (moved, request->producer);
    if (!known)
        known = (events_cursor_t *) zhashx_lookup (self->cursors,
                                                   request->producer);
    if (known)
        cursor = *known;
    size_t fresh = events_log_fresh (request, cursor);
    size_t count = request->n_events - fresh;
    events_batch_t *batch = &entry->batch;
    *batch = (events_batch_t){ .producer = request->producer,
                               .cursor = cursor,
                               .first = *next,
                               .count = count,
                               .appended_at_us = now_us };
    entry->reply->duplicates = (uint32_t) fresh;
    if (count == 0)
        return;
    kj_call_t *call = entry->call;
    batch->topics = (char **) kj_call_alloc (call, count * sizeof (char *));
    batch->envelopes = (uint8_t **) kj_call_alloc (call,
                                                   count * sizeof (uint8_t *));
    batch->sizes = (size_t *) kj_call_alloc (call, count * sizeof (size_t));
    for (size_t i = 0; i < count; i++) {
        const Kj__OutboxEvent *event = request->events [fresh + i];
        Kj__Envelope envelope = *event->event;
        envelope.offset = batch->first + i;
        envelope.appended_at_us = now_us;
        envelope.producer = request->producer;
        batch->topics [i] = envelope.topic;
        batch->sizes [i] = kj__envelope__get_packed_size (&envelope);
        batch->envelopes [i] = (uint8_t *) kj_call_alloc (call,
                                                          batch->sizes [i]);
        kj__envelope__pack (&envelope, batch->envelopes [i]);
    }
    const Kj__OutboxEvent *last = request->events [request->n_events - 1];
    batch->cursor.txid = last->txid;
    batch->cursor.id = last->id;
    *next += count;
    zhashx_update (moved, request->producer, &batch->cursor);
}

//  --------------------------------------------------------------------------
//  Commit a group of Appends in one transaction (group commit: one fsync
//  for all), then publish each batch in order and answer each. An Append
//  whose position is refused is answered and the rest tried again; if the
//  transaction fails, every one gets UNAVAILABLE, even those that were
//  duplicates only (their cursor may have come from a batch that failed).
//  Under self->lock.

static void
s_commit_group (events_server_t *self, s_pending_t *group)
{
    size_t n = 0;
    for (s_pending_t *entry = group; entry; entry = entry->next)
        n++;
    events_batch_t *batches = (events_batch_t *)
        calloc (n, sizeof (events_batch_t));
    s_pending_t **owners = (s_pending_t **) calloc (n, sizeof (s_pending_t *));
    assert (batches && owners);
    int rc = -1;
    while (self->is_writer && !self->step_down) {
        zhashx_t *moved = zhashx_new ();
        uint64_t next = self->head + 1;
        int64_t now_us = kj_wall_us ();
        size_t count = 0;
        for (s_pending_t *entry = group; entry; entry = entry->next) {
            if (entry->status.code != KJ__CODE__OK)
                continue;  //  refused in an earlier round
            s_group_batch (self, entry, moved, &next, now_us);
            if (entry->batch.count) {
                batches [count] = entry->batch;
                owners [count++] = entry;
            }
        }
        zhashx_destroy (&moved);
        if (count == 0) {
            rc = 0;
            break;
        }
        uint64_t xmin = 0;
        size_t refused = 0;
        rc = events_store_append (self->wdb, self->lock_pid, batches, count,
                                  &xmin, &refused);
        if (rc != -3)
            break;
        //  A position the relay cannot have read (not a finished
        //  transaction) would move the cursor past rows still to come
        s_pending_t *entry = owners [refused];
        size_t fresh = entry->reply->duplicates;
        if (events_log_check_finished (entry->request, fresh, xmin,
                                       &entry->status)
            == 0)
            kj_status_set (&entry->status, KJ__CODE__OUT_OF_RANGE,
                           "events.txid",
                           "a txid is not a finished "
                           "transaction");
        kj_warn ("events.append_refused", "producer=%s reason=\"%s\"",
                 entry->request->producer, entry->status.message);
    }
    if (!self->is_writer || self->step_down)
        rc = -2;
    else if (rc == -2)
        s_step_down (self, "the lock's session ended");
    else if (rc == -1) {
        //  The transaction is gone, and maybe the session with it: start
        //  again from what the database holds
        uint64_t head;
        if (PQbackendPID (kj_db_conn (self->wdb)) != self->lock_pid
            || events_store_load (self->wdb, self->config.instance, &head,
                                  self->cursors))
            s_step_down (self, "append failed and state could not reload");
        else
            self->head = head;
    }
    for (s_pending_t *entry = group; entry; entry = entry->next) {
        if (entry->status.code != KJ__CODE__OK)
            continue;
        if (rc) {
            kj_status_set (&entry->status, KJ__CODE__UNAVAILABLE, NULL,
                           rc == -2 ? "this copy of kejin-events is not "
                                      "the writer any more; retry"
                                    : "the log could not append: %s; retry",
                           kj_db_error (self->wdb));
            continue;
        }
        events_batch_t *batch = &entry->batch;
        if (batch->count) {
            events_cursor_t *known = (events_cursor_t *)
                zhashx_lookup (self->cursors, batch->producer);
            if (!known) {
                known = (events_cursor_t *) zmalloc (sizeof *known);
                zhashx_update (self->cursors, batch->producer, known);
            }
            *known = batch->cursor;
            self->head = batch->first + batch->count - 1;
            s_publish_batch (self, batch);
            entry->reply->first_offset = batch->first;
            entry->reply->last_offset = self->head;
            entry->reply->appended = (uint32_t) batch->count;
        }
        entry->reply->cursor_txid = batch->cursor.txid;
        entry->reply->cursor_id = batch->cursor.id;
    }
    free (batches);
    free (owners);
}

//  --------------------------------------------------------------------------
//  EventsWriter.Append: queue the request, then take the writer's lock.
//  Whoever gets the lock commits every Append queued by then in one
//  transaction (group commit), so concurrent Appends of WRITERS workers
//  share one fsync; an Append already committed by another's group just
//  returns its answer. Each is published only once its group committed.

static int
s_append (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    events_server_t *self = (events_server_t *) kj_call_state (call);
    const Kj__AppendRequest *request = (const Kj__AppendRequest *) input;
    kj_status_t status;
    if (events_log_check (request, &status))
        return kj_call_fail_status (call, &status);

    s_pending_t mine = { .call = call,
                         .request = request,
                         .reply = (Kj__AppendReply *) output };
    kj_status_ok (&mine.status);
    pthread_mutex_lock (&self->queue_lock);
    if (self->queue_tail)
        self->queue_tail->next = &mine;
    else
        self->queue = &mine;
    self->queue_tail = &mine;
    pthread_mutex_unlock (&self->queue_lock);

    pthread_mutex_lock (&self->lock);
    pthread_mutex_lock (&self->queue_lock);
    //  A group commits and answers every entry before it lets the lock go:
    //  not done yet means still queued
    s_pending_t *group = mine.done ? NULL : self->queue;
    if (group)
        self->queue = self->queue_tail = NULL;
    pthread_mutex_unlock (&self->queue_lock);
    if (group) {
        if (!self->is_writer || self->step_down) {
            for (s_pending_t *entry = group; entry; entry = entry->next)
                kj_status_set (&entry->status, KJ__CODE__UNAVAILABLE, NULL,
                               "this copy of kejin-events is not the writer "
                               "any more; retry");
        }
        else
            s_commit_group (self, group);
        pthread_mutex_lock (&self->queue_lock);
        for (s_pending_t *entry = group; entry; entry = entry->next)
            entry->done = true;
        pthread_mutex_unlock (&self->queue_lock);
    }
    pthread_mutex_unlock (&self->lock);
    if (mine.status.code != KJ__CODE__OK)
        return kj_call_fail_status (call, &mine.status);
    return 0;
}

static int
s_cursor (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    events_server_t *self = (events_server_t *) kj_call_state (call);
    const Kj__CursorRequest *request = (const Kj__CursorRequest *) input;
    Kj__CursorReply *reply = (Kj__CursorReply *) output;
    if (!request->producer || !*request->producer)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "producer",
                             "producer is empty");
    pthread_mutex_lock (&self->lock);
    bool writer = self->is_writer && !self->step_down;
    events_cursor_t *cursor = (events_cursor_t *)
        zhashx_lookup (self->cursors, request->producer);
    if (cursor) {
        reply->txid = cursor->txid;
        reply->id = cursor->id;
    }
    pthread_mutex_unlock (&self->lock);
    if (!writer)
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "this copy of kejin-events is not the writer "
                             "any more; retry");
    return 0;
}

static const kj_method_t s_writer_methods [] = { { "Append", s_append, 0 },
                                                 { "Cursor", s_cursor, 0 },
                                                 { NULL } };

//  --------------------------------------------------------------------------
//  Events.Replay, Info, Report, on the reader's own connection

//  The topic prefixes an integrator may replay, as the live stream allows
//  it: its certificate's topics (from the node's key directory,
//  KEJIN_NODE_KEYS, by the name the broker stamped) narrow what it asked.
//  A prefix wider than its topics becomes the topics within it; one
//  outside them is refused. Other roles read every topic. 0 with
//  *prefixes_p and *count_p set, or -1 (the call failed).

static int
s_replay_topics (kj_call_t *call, const Kj__ReplayRequest *request,
                 const char *city, char ***prefixes_p, size_t *count_p)
{
    *prefixes_p = request->prefixes;
    *count_p = request->n_prefixes;
    const Kj__Caller *caller = kj_call_caller (call);
    if (!caller->role || !streq (caller->role, "integrator"))
        return 0;
    const char *dir = getenv ("KEJIN_NODE_KEYS");
    kj_keys_t *keys = dir && *dir ? kj_keys_new (dir) : NULL;
    kj_key_info_t info;
    int found = keys ? kj_keys_find (keys, caller->identity, &info) : -1;
    kj_keys_destroy (&keys);
    if (found)
        return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, NULL,
                             "the event log does not find the key %s among "
                             "the node's keys",
                             caller->identity);
    if (streq (info.topics, "*"))
        return 0;
    //  Its topics, split in the call's memory; those of one mirrored city
    //  ("anshan/registry.") count for that city's log only
    char *allowed [PREFIXES_MAX];
    size_t n_allowed = 0;
    char *list = kj_call_strdup (call, info.topics), *rest = NULL;
    for (char *item = strtok_r (list, ",", &rest);
         item && n_allowed < PREFIXES_MAX; item = strtok_r (NULL, ",", &rest)) {
        size_t named = kj_keys_topic_city (item, strlen (item));
        if (named == 0)
            allowed [n_allowed++] = item;
        else if (city && named == strlen (city) + 1
                 && strncmp (item, city, named - 1) == 0)
            allowed [n_allowed++] = item + named;
    }
    char **prefixes = (char **) kj_call_alloc (call,
                                               PREFIXES_MAX * sizeof (char *));
    size_t count = 0;
    if (request->n_prefixes == 0) {
        memcpy (prefixes, allowed, n_allowed * sizeof (char *));
        count = n_allowed;
    }
    for (size_t i = 0; i < request->n_prefixes; i++) {
        const char *prefix = request->prefixes [i];
        size_t size = strlen (prefix);
        bool kept = false;
        for (size_t a = 0; !kept && a < n_allowed; a++)
            kept = strncmp (prefix, allowed [a], strlen (allowed [a])) == 0;
        if (kept && count < PREFIXES_MAX)
            prefixes [count++] = (char *) prefix;
        for (size_t a = 0; !kept && a < n_allowed; a++)
            if (strncmp (allowed [a], prefix, size) == 0) {
                if (count < PREFIXES_MAX)
                    prefixes [count++] = allowed [a];
                kept = true;
            }
        if (!kept)
            return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "prefixes",
                                 "prefix %zu '%s' is outside the topics the "
                                 "key %s may read (%s)",
                                 i, prefix, caller->identity, info.topics);
    }
    if (count == 0)
        return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "prefixes",
                             "the key %s may read no topic", caller->identity);
    *prefixes_p = prefixes;
    *count_p = count;
    return 0;
}

static int
s_replay (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    const Kj__ReplayRequest *request = (const Kj__ReplayRequest *) input;
    Kj__ReplayReply *reply = (Kj__ReplayReply *) output;
    if (request->n_prefixes > PREFIXES_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "prefixes",
                             "at most %d topic prefixes per replay",
                             PREFIXES_MAX);
    for (size_t i = 0; i < request->n_prefixes; i++)
        if (strlen (request->prefixes [i]) > EVENTS_TOPIC_MAX
            || !kj_utf8_valid (request->prefixes [i]))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "prefixes",
                                 "prefix %zu is not a topic's start: UTF-8 "
                                 "text of at most %d bytes",
                                 i, EVENTS_TOPIC_MAX);
    //  A mirrored city's log, at a hub (events_follow)
    events_server_t *self = (events_server_t *) kj_call_state (call);
    const char *city = request->city && *request->city ? request->city : NULL;
    char **prefixes;
    size_t n_prefixes;
    if (s_replay_topics (call, request, city, &prefixes, &n_prefixes))
        return -1;
    kj_db_t *db = city ? events_follow_acquire (self->follow, call, city)
                       : kj_call_db (call);
    if (!db)
        return -1;
    uint32_t max = request->max_events ? request->max_events : REPLAY_DEFAULT;
    if (max > REPLAY_MAX)
        max = REPLAY_MAX;

    ProtobufCAllocator allocator;
    kj_call_allocator (call, &allocator);
    events_replay_t replay;
    int rc = events_store_replay (db, city != NULL, request->from_offset,
                                  request->to_offset, prefixes, n_prefixes, max,
                                  REPLAY_SCAN, REPLAY_BYTES, &allocator,
                                  &replay);
    if (city)
        events_follow_release (self->follow, city, &db);
    if (rc)
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    if (request->from_offset && request->from_offset < replay.tail)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "from_offset",
                             "offset %" PRIu64 " is before retention: the "
                             "log now starts at tail %" PRIu64 " (head %" PRIu64
                             "); replay from %" PRIu64 " and treat "
                             "the events before it as lost to you",
                             request->from_offset, replay.tail, replay.head,
                             replay.tail);
    //  The stored envelopes go out as they are, as unknown fields numbered
    //  1 whose data is a length and the envelope (protobuf-c writes an
    //  unknown field as its tag and its data): on the wire exactly
    //  `repeated Envelope events = 1`. Decoding each envelope only to
    //  encode it again took most of replay's time.
    ProtobufCMessageUnknownField *fields = (ProtobufCMessageUnknownField *)
        kj_call_alloc (call, (replay.n_events + 1)
                                 * sizeof (ProtobufCMessageUnknownField));
    for (size_t i = 0; i < replay.n_events; i++) {
        fields [i].tag = 1;
        fields [i].wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        fields [i].len = replay.sizes [i];
        fields [i].data = replay.envelopes [i];
    }
    reply->base.unknown_fields = fields;
    reply->base.n_unknown_fields = (unsigned) replay.n_events;
    reply->next_offset = replay.next_offset;
    reply->head = replay.head;
    reply->tail = replay.tail;
    return 0;
}

static int
s_info (kj_call_t *call, const ProtobufCMessage *input,
        ProtobufCMessage *output)
{
    events_server_t *self = (events_server_t *) kj_call_state (call);
    Kj__EventsInfo *info = (Kj__EventsInfo *) output;
    ProtobufCAllocator allocator;
    kj_call_allocator (call, &allocator);
    if (events_store_info (kj_call_db (call), info, &allocator))
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    info->retention_days = self->config.retention_days;
    info->retention_bytes = self->config.retention_bytes;
    return 0;
}

static int
s_report (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    const Kj__ReportRequest *request = (const Kj__ReportRequest *) input;
    if (!request->name || !*request->name
        || strlen (request->name) > EVENTS_NAME_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "name",
                             "name is 1 to %d bytes", EVENTS_NAME_MAX);
    if (events_store_report (kj_call_db (call), request->name, request->offset))
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    return 0;
}

//  Where to replay from for a point in time (Kafka's offsets for times).
static int
s_offset_for_time (kj_call_t *call, const ProtobufCMessage *input,
                   ProtobufCMessage *output)
{
    const Kj__OffsetForTimeRequest *request = (const Kj__OffsetForTimeRequest *)
        input;
    Kj__OffsetForTimeReply *reply = (Kj__OffsetForTimeReply *) output;
    if (request->time_us < 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "time_us",
                             "time_us: %" PRId64 " is before 1970; give "
                             "microseconds since the epoch",
                             request->time_us);
    if (events_store_offset_for_time (kj_call_db (call), request->time_us,
                                      &reply->offset, &reply->appended_at_us,
                                      &reply->head, &reply->tail))
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    return 0;
}

//  The descriptor set of every proto file of this build (Makefile:
//  build/gen/kj_schemas.c)
extern const unsigned char kj_schemas [];
extern const size_t kj_schemas_size;
extern const char *const kj_schema_files [];

static int
s_schemas (kj_call_t *call, const ProtobufCMessage *input,
           ProtobufCMessage *output)
{
    Kj__SchemasReply *reply = (Kj__SchemasReply *) output;
    reply->descriptor_set.data = (uint8_t *) kj_schemas;
    reply->descriptor_set.len = kj_schemas_size;
    size_t n = 0;
    while (kj_schema_files [n])
        n++;
    reply->files = (char **) kj_schema_files;
    reply->n_files = n;
    return 0;
}

const kj_method_t events_reader_methods [] = {
    { "Replay", s_replay, 0 },   { "Info", s_info, 0 },
    { "Report", s_report, 0 },   { "OffsetForTime", s_offset_for_time, 0 },
    { "Schemas", s_schemas, 0 }, { NULL }
};

//  --------------------------------------------------------------------------
//  Threads

static void
s_sleep (events_server_t *self, int msecs)
{
    for (int slept = 0;
         slept < msecs && !atomic_load (&self->stop) && !kj_stopping ();
         slept += 50)
        zclock_sleep (msecs - slept < 50 ? msecs - slept : 50);
}

static bool
s_stopping (events_server_t *self)
{
    return atomic_load (&self->stop) || kj_stopping ();
}

static void *
s_writer_worker (void *arg)
{
    kj_worker_run ((kj_worker_t *) arg);
    return NULL;
}

static void *
s_writer_thread (void *arg)
{
    events_server_t *self = (events_server_t *) arg;
    bool said_standby = false;
    while (!s_stopping (self)) {
        kj_db_t *db = kj_db_new (self->config.dsn, "events", 0);
        if (!db) {
            s_sleep (self, self->config.lock_retry_ms);
            continue;
        }
        int pid = 0, taken = 0;
        while (!s_stopping (self)
               && (taken = events_store_try_lock (db, &pid)) == 0) {
            if (!said_standby)
                kj_info ("events.standby", "instance=%s",
                         self->config.instance);
            said_standby = true;
            s_sleep (self, self->config.lock_retry_ms);
        }
        uint64_t head = 0;
        pthread_mutex_lock (&self->lock);
        if (taken == 1 && !s_stopping (self)
            && events_store_load (db, self->config.instance, &head,
                                  self->cursors)
                   == 0) {
            kj_worker_config_t wc = {
                .endpoint = self->config.broker,
                .service = "events.writer",
                .descriptor = &kj__events_writer__descriptor,
                .methods = s_writer_methods,
                .state = self,
                .credit = 1,
                .instance = self->config.instance
            };
            for (int index = 0; index < WRITERS; index++)
                self->writers [index] = kj_worker_new (&wc);
            self->wdb = db;
            self->lock_pid = pid;
            self->head = head;
            self->published = head;
            self->published_at = 0;  //  a marker at once: here is the head
            self->is_writer = true;
            self->step_down = false;
            said_standby = false;
            kj_info ("events.writer",
                     "instance=%s head=%" PRIu64 " producers=%zu",
                     self->config.instance, head, zhashx_size (self->cursors));
            pthread_mutex_unlock (&self->lock);

            //  WRITERS workers, so that Appends can meet in one group;
            //  this thread runs the first, and the rest stop with it
            pthread_t threads [WRITERS];
            for (int index = 1; index < WRITERS; index++)
                pthread_create (&threads [index], NULL, s_writer_worker,
                                self->writers [index]);
            kj_worker_run (self->writers [0]);

            pthread_mutex_lock (&self->lock);
            for (int index = 1; index < WRITERS; index++)
                kj_worker_stop (self->writers [index]);
            pthread_mutex_unlock (&self->lock);
            for (int index = 1; index < WRITERS; index++)
                pthread_join (threads [index], NULL);
            pthread_mutex_lock (&self->lock);
            for (int index = 0; index < WRITERS; index++)
                kj_worker_destroy (&self->writers [index]);
            self->is_writer = false;
            self->wdb = NULL;
        }
        pthread_mutex_unlock (&self->lock);
        //  Closing the session releases the lock for a stand-by
        kj_db_destroy (&db);
        if (!s_stopping (self))
            s_sleep (self, self->config.lock_retry_ms);
    }
    return NULL;
}

static void *
s_ticker_thread (void *arg)
{
    events_server_t *self = (events_server_t *) arg;
    kj_db_t *db = NULL;  //  for retention and the rate
    int64_t health_at = 0, retain_at = 0, rate_at = 0;
    uint64_t samples [RATE_WINDOW];
    int64_t sampled_at = 0;
    size_t n_samples = 0;
    while (!s_stopping (self)) {
        zclock_sleep (20);
        int64_t now = kj_mono_us ();
        pthread_mutex_lock (&self->lock);
        bool writer = self->is_writer && !self->step_down;
        if (writer
            && now - self->published_at
                   >= (int64_t) self->config.tick_ms * 1000)
            s_publish_marker (self, self->published + 1, self->published, NULL,
                              0);
        if (writer && now >= health_at) {
            //  A session that dropped took the lock with it; kj_db would
            //  reconnect quietly, so compare the backend
            PGresult *res = kj_db_exec (self->wdb, "SELECT 1", 0, NULL);
            if (!res || PQbackendPID (kj_db_conn (self->wdb)) != self->lock_pid)
                s_step_down (self, "the lock's session ended");
            PQclear (res);
            health_at = now + 1000000;
        }
        uint64_t head = self->head;
        pthread_mutex_unlock (&self->lock);
        if (!writer) {
            n_samples = 0;
            continue;
        }
        if (now - sampled_at >= 1000000) {
            if (n_samples == RATE_WINDOW) {
                memmove (samples, samples + 1,
                         (RATE_WINDOW - 1) * sizeof samples [0]);
                n_samples--;
            }
            samples [n_samples++] = head;
            sampled_at = now;
        }
        if (now >= retain_at) {
            retain_at = now + (int64_t) self->config.retention_check_ms * 1000;
            if (!db)
                db = kj_db_new (self->config.dsn, "events", 0);
            if (db
                && (self->config.retention_s > 0
                    || self->config.retention_bytes > 0)) {
                uint64_t tail;
                int64_t removed =
                    events_store_retain (db, self->config.retention_s,
                                         self->config.retention_bytes,
                                         RETAIN_CHUNK, &tail);
                if (removed > 0) {
                    kj_info ("events.retained",
                             "removed=%" PRId64 " tail=%" PRIu64, removed,
                             tail);
                    retain_at = now;  //  more may be due: go on at once
                }
            }
        }
        if (db && now >= rate_at && n_samples > 1) {
            uint64_t rate = (samples [n_samples - 1] - samples [0])
                          / (n_samples - 1);
            events_store_set_rate (db, rate);
            rate_at = now + 5000000;
        }
    }
    kj_db_destroy (&db);
    return NULL;
}

//  --------------------------------------------------------------------------

static void
s_cursor_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

events_server_t *
events_server_new (const events_config_t *config)
{
    events_server_t *self = (events_server_t *) zmalloc (
        sizeof (events_server_t));
    self->config = *config;
    atomic_init (&self->stop, false);
    if (self->config.tick_ms < 10)
        self->config.tick_ms = 1000;
    if (self->config.lock_retry_ms < 10)
        self->config.lock_retry_ms = 500;
    if (self->config.retention_check_ms < 10)
        self->config.retention_check_ms = 10000;
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->queue_lock, NULL);
    self->cursors = zhashx_new ();
    zhashx_set_destructor (self->cursors, s_cursor_destroy);

    self->pub = zsock_new (ZMQ_PUB);
    assert (self->pub);
    zsock_set_sndhwm (self->pub,
                      config->pub_hwm > 0 ? config->pub_hwm : 100000);
    zsock_set_linger (self->pub, 1000);
    //  Only a service key may publish: the daemon's (KEJIN_KEY, "events")
    kj_keys_client_env (self->pub, "events");
    if (zsock_connect (self->pub, "%s", config->publish_endpoint)) {
        kj_error ("events.publish_endpoint", "endpoint=%s reason=\"%s\"",
                  config->publish_endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->pub);
        zhashx_destroy (&self->cursors);
        free (self);
        return NULL;
    }
    int rc = pthread_create (&self->ticker_thread, NULL, s_ticker_thread, self);
    self->ticker_running = rc == 0;
    if (rc == 0)
        rc = pthread_create (&self->writer_thread, NULL, s_writer_thread, self);
    if (rc) {
        kj_error ("events.thread_failed", "reason=\"%s\"", strerror (rc));
        atomic_store (&self->stop, true);
        if (self->ticker_running)
            pthread_join (self->ticker_thread, NULL);
        zsock_destroy (&self->pub);
        zhashx_destroy (&self->cursors);
        pthread_mutex_destroy (&self->lock);
        free (self);
        return NULL;
    }
    kj_info ("events.started", "instance=%s publish=%s", self->config.instance,
             config->publish_endpoint);
    return self;
}

void
events_server_destroy (events_server_t **self_p)
{
    if (*self_p) {
        events_server_t *self = *self_p;
        events_follow_destroy (&self->follow);
        pthread_mutex_lock (&self->lock);
        atomic_store (&self->stop, true);
        for (int index = 0; index < WRITERS; index++)
            if (self->writers [index])
                kj_worker_stop (self->writers [index]);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->writer_thread, NULL);
        pthread_join (self->ticker_thread, NULL);
        zsock_destroy (&self->pub);
        zhashx_destroy (&self->cursors);
        pthread_mutex_destroy (&self->lock);
        pthread_mutex_destroy (&self->queue_lock);
        free (self);
        *self_p = NULL;
    }
}

void
events_server_set_follow (events_server_t *self, events_follow_t *follow)
{
    self->follow = follow;
}

bool
events_server_is_writer (events_server_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool writer = self->is_writer && !self->step_down;
    pthread_mutex_unlock (&self->lock);
    return writer;
}
