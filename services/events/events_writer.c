/*  =========================================================================
    events_writer - the MDP service "events.writer" (Append, Cursor),
    served while this copy holds the writer lock

    Concurrent Appends of the EVENTS_WRITERS workers queue, and whoever
    takes the server's lock commits every Append queued by then in one
    transaction (group commit), then publishes each batch and answers each.
    =========================================================================
*/

#include "events_private.h"

//  --------------------------------------------------------------------------
//  Stop serving events.writer (under self->lock). The worker returns after
//  the request in hand; the writer thread then closes the session.

void
events_writer_step_down (events_server_t *self, const char *reason)
{
    if (!self->step_down)
        kj_warn ("events.writer_step_down", "instance=%s reason=\"%s\"",
                 self->config.instance, reason);
    self->step_down = true;
    for (int index = 0; index < EVENTS_WRITERS; index++)
        if (self->writers [index])
            kj_worker_stop (self->writers [index]);
}

//  --------------------------------------------------------------------------
//  One Append of a group: keep the new suffix against the cursor (as the
//  group moved it so far), give it offsets from *next and pack its
//  envelopes. Under self->lock.

static void
s_group_batch (events_server_t *self, events_pending_t *entry, zhashx_t *moved,
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
s_commit_group (events_server_t *self, events_pending_t *group)
{
    size_t n = 0;
    for (events_pending_t *entry = group; entry; entry = entry->next)
        n++;
    events_batch_t *batches = (events_batch_t *)
        calloc (n, sizeof (events_batch_t));
    events_pending_t **owners = (events_pending_t **)
        calloc (n, sizeof (events_pending_t *));
    assert (batches && owners);
    int rc = -1;
    while (self->is_writer && !self->step_down) {
        zhashx_t *moved = zhashx_new ();
        uint64_t next = self->head + 1;
        int64_t now_us = kj_wall_us ();
        size_t count = 0;
        for (events_pending_t *entry = group; entry; entry = entry->next) {
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
        events_pending_t *entry = owners [refused];
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
    //  When the group became durable: the end of the writer's part
    int64_t committed_at = kj_wall_us ();
    if (!self->is_writer || self->step_down)
        rc = -2;
    else if (rc == -2)
        events_writer_step_down (self, "the lock's session ended");
    else if (rc == -1) {
        //  The transaction is gone, and maybe the session with it: start
        //  again from what the database holds
        uint64_t head;
        if (PQbackendPID (kj_db_conn (self->wdb)) != self->lock_pid
            || events_store_load (self->wdb, self->config.instance, &head,
                                  self->cursors))
            events_writer_step_down (
                self, "append failed and state could not reload");
        else
            self->head = head;
    }
    for (events_pending_t *entry = group; entry; entry = entry->next) {
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
            events_publish_batch (self, batch);
            entry->reply->first_offset = batch->first;
            entry->reply->last_offset = self->head;
            entry->reply->appended = (uint32_t) batch->count;
        }
        entry->reply->cursor_txid = batch->cursor.txid;
        entry->reply->cursor_id = batch->cursor.id;
        entry->reply->committed_at_us = committed_at;
    }
    free (batches);
    free (owners);
}

//  --------------------------------------------------------------------------
//  EventsWriter.Append: queue the request, then take the writer's lock.
//  Whoever gets the lock commits every Append queued by then in one
//  transaction (group commit), so concurrent Appends of EVENTS_WRITERS workers
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

    events_pending_t mine = { .call = call,
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
    events_pending_t *group = mine.done ? NULL : self->queue;
    if (group)
        self->queue = self->queue_tail = NULL;
    pthread_mutex_unlock (&self->queue_lock);
    if (group) {
        if (!self->is_writer || self->step_down) {
            for (events_pending_t *entry = group; entry; entry = entry->next)
                kj_status_set (&entry->status, KJ__CODE__UNAVAILABLE, NULL,
                               "this copy of kejin-events is not the writer "
                               "any more; retry");
        }
        else
            s_commit_group (self, group);
        pthread_mutex_lock (&self->queue_lock);
        for (events_pending_t *entry = group; entry; entry = entry->next)
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

const kj_method_t events_writer_methods [] = { { "Append", s_append, 0 },
                                               { "Cursor", s_cursor, 0 },
                                               { NULL } };
