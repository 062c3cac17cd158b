/*  =========================================================================
    broker_compact - the compact framing (KJC01, KJW01) and its batches

    Part of broker_core (broker_core_int.h). What goes to a compact peer is
    gathered per peer and sent as one frame at broker_core_flush; each
    record that comes in becomes the frames its MDP form would have had,
    and goes the same way as those: one set of rules, whatever the framing.
    =========================================================================
*/

#include "broker_core_int.h"

//  --------------------------------------------------------------------------
//  Batches: room for a record of `room` bytes in the peer's batch, opened
//  if it has none since the last flush or its batch is full. *epoch and
//  *index are the peer's note of its batch.

uint8_t *
broker_batch_room (broker_core_t *self, zmq_msg_t *id, worker_t *worker,
                   uint64_t *epoch, size_t *index, const char *protocol,
                   size_t room)
{
    batch_t *batch = *epoch == self->epoch && *index < self->nbatches
                       ? &self->batches [*index]
                       : NULL;
    if (!batch || !batch->data || batch->dead
        || batch->size + room > BATCH_BYTES) {
        if (self->nbatches == self->batches_cap) {
            self->batches_cap = self->batches_cap ? 2 * self->batches_cap : 64;
            self->batches = (batch_t *) realloc (self->batches,
                                                 self->batches_cap
                                                     * sizeof (batch_t));
            assert (self->batches);
        }
        *epoch = self->epoch;
        *index = self->nbatches++;
        batch = &self->batches [*index];
        memset (batch, 0, sizeof *batch);
        zmq_msg_init (&batch->id);
        zmq_msg_copy (&batch->id, id);
        batch->worker = worker;
        batch->cap = KJ_KJX_SIZE + room > 4096 ? KJ_KJX_SIZE + room : 4096;
        batch->data = (uint8_t *) malloc (batch->cap);
        assert (batch->data);
        memcpy (batch->data, protocol, KJ_KJX_SIZE);
        batch->size = KJ_KJX_SIZE;
    }
    if (batch->size + room > batch->cap) {
        batch->cap = batch->size + room > 2 * batch->cap ? batch->size + room
                                                         : 2 * batch->cap;
        batch->data = (uint8_t *) realloc (batch->data, batch->cap);
        assert (batch->data);
    }
    uint8_t *at = batch->data + batch->size;
    batch->size += room;
    return at;
}

//  The request a handle names, if it is still the same one
static request_t *
s_request_of (broker_core_t *self, uint64_t handle)
{
    uint32_t slot = (uint32_t) handle;
    request_t *request = slot < self->nslots ? self->slots [slot] : NULL;
    return request && request->generation == (uint32_t) (handle >> 32) ? request
                                                                       : NULL;
}

//  The requests of a worker's batch that did not go return to the head of
//  their queue, in their order; the batch is done with.

static void
s_batch_unsend (broker_core_t *self, batch_t *batch)
{
    for (size_t i = batch->nhandles; i-- > 0;) {
        request_t *request = s_request_of (self, batch->handles [i]);
        if (request && request->worker == batch->worker) {
            broker_release_request (batch->worker, request);
            broker_queue_push (self, request->service, request, true);
        }
    }
    batch->nhandles = 0;
    batch->dead = true;
}

//  A worker goes: what it was about to be sent was not sent.
void
broker_batch_forget (broker_core_t *self, worker_t *worker)
{
    if (worker->batch_epoch != self->epoch)
        return;
    for (size_t i = self->nbatches; i-- > 0;)
        if (self->batches [i].worker == worker && !self->batches [i].dead
            && self->batches [i].data)
            s_batch_unsend (self, &self->batches [i]);
}

static void
s_free_data (void *data, void *hint)
{
    free (data);
}
//  --------------------------------------------------------------------------
//  Body frame i as a Kejin worker gets it: the header with the caller the
//  broker stamped, in place of the client's.

static zmq_msg_t *
s_stamped_part (request_t *request, int i)
{
    return i == 0 && request->has_stamp ? &request->stamped
                                        : &request->body [i];
}

//  --------------------------------------------------------------------------
//  A request into a compact worker's batch: [0x02] [handle] [part]...,
//  the header with the caller stamped.

void
broker_batch_request (broker_core_t *self, request_t *request, worker_t *worker)
{
    uint64_t handle = ((uint64_t) request->generation << 32) | request->slot;
    size_t size = KJ_KJW_HEAD;
    for (int i = 0; i < request->nbody; i++)
        size += KJ_PART_HEAD + zmq_msg_size (s_stamped_part (request, i));
    uint8_t *at = broker_batch_room (self, &worker->id, worker,
                                     &worker->batch_epoch, &worker->batch,
                                     KJ_KJW, size);
    kj_put_u32 (at, (uint32_t) (size - 4));
    at [4] = KJ_MDPW_REQUEST;
    kj_put_u64 (at + 5, handle);
    at += KJ_KJW_HEAD;
    for (int i = 0; i < request->nbody; i++) {
        zmq_msg_t *part = s_stamped_part (request, i);
        at += kj_compact_put_part (at, zmq_msg_data (part),
                                   zmq_msg_size (part));
    }
    batch_t *batch = &self->batches [worker->batch];
    if (batch->nhandles == batch->handles_cap) {
        batch->handles_cap = batch->handles_cap ? 2 * batch->handles_cap : 16;
        batch->handles = (uint64_t *) realloc (batch->handles,
                                               batch->handles_cap
                                                   * sizeof (uint64_t));
        assert (batch->handles);
    }
    batch->handles [batch->nhandles++] = handle;
}
//  --------------------------------------------------------------------------
//  Compact framing (kj_mdp.h). Each record becomes the frames its MDP form
//  would have had, and goes the same way as those: one set of rules, one
//  set of refusals, whichever framing a peer speaks.

//  A KJC01 message the broker cannot read to its end: the client hears
//  where it broke (request id 0: no record can be trusted past there).

static void
s_compact_refuse (broker_core_t *self, zmq_msg_t *id, const char *format, ...)
{
    char message [256];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    self->malformed++;
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    zmq_msg_t client_id, service;
    zmq_msg_init (&client_id);
    zmq_msg_copy (&client_id, id);
    zmq_msg_init (&service);
    broker_send_error (self, &client_id, &service, &header,
                       KJ__CODE__INVALID_ARGUMENT, NULL, "400", message, true,
                       NULL);
    zmq_msg_close (&client_id);
    zmq_msg_close (&service);
}

//  A record as the MDP message it stands for, into frames: [peer], the
//  `nlead` frames of lead, then the parts of tail. Returns the frame
//  count, or -1 when a part runs past the end; *cut when there were more
//  parts than BROKER_MAX_BODY (those are not kept).

static int
s_record_frames (zmq_msg_t *peer, const kj_part_t *lead, int nlead,
                 const uint8_t *tail, size_t size, zmq_msg_t *frames, bool *cut)
{
    kj_part_t parts [BROKER_MAX_BODY];
    int nparts = kj_compact_parts (tail, size, parts, BROKER_MAX_BODY);
    if (nparts < 0)
        return -1;
    *cut = nparts > BROKER_MAX_BODY;
    int count = 0;
    zmq_msg_init (&frames [count]);
    zmq_msg_copy (&frames [count++], peer);
    for (int i = 0; i < nlead; i++)
        broker_frame_mem (&frames [count++], lead [i].data, lead [i].size);
    for (int i = 0; i < nparts && i < BROKER_MAX_BODY; i++)
        broker_frame_mem (&frames [count++], parts [i].data, parts [i].size);
    return count;
}

//  [client] ["KJC01" record...]: each record a request
//  [service-size] [service] [part]...

void
broker_client_compact (broker_core_t *self, zmq_msg_t *frames, int count,
                       bool cut, const broker_caller_t *caller, int64_t now)
{
    if (count != 2 || cut) {
        s_compact_refuse (self, &frames [0],
                          "a KJC01 message is one frame; this one has %s%d",
                          cut ? "more than " : "", count - 1);
        broker_close_frames (frames, count);
        return;
    }
    const uint8_t *data = (const uint8_t *) zmq_msg_data (&frames [1]);
    const uint8_t *at = data + KJ_KJX_SIZE;
    const uint8_t *end = data + zmq_msg_size (&frames [1]);
    const uint8_t *record;
    size_t size;
    int rc;
    while ((rc = kj_compact_next (&at, end, &record, &size)) == 1) {
        //  [client] [] [KJC01] [service] [part]...
        kj_part_t lead [3] = { { NULL, 0 },
                               { (const uint8_t *) KJ_KJC, KJ_KJX_SIZE },
                               { record + 1, size >= 1 ? record [0] : 0 } };
        zmq_msg_t request [4 + BROKER_MAX_BODY];
        bool over = false;
        int nframes = size >= 1 && size - 1 >= record [0]
                        ? s_record_frames (&frames [0], lead, 3,
                                           record + 1 + record [0],
                                           size - 1 - record [0], request,
                                           &over)
                        : -1;
        if (nframes < 0) {
            rc = -1;
            break;
        }
        broker_client_message (self, request, nframes, over, caller, now);
    }
    if (rc < 0)
        s_compact_refuse (self, &frames [0],
                          "the KJC01 message breaks at byte %zu: a size runs "
                          "past its end",
                          (size_t) (at - data));
    broker_close_frames (frames, count);
}

//  [worker] ["KJW01" record...]: each record a REPLY
//  [0x03] [handle] [part]...; a worker that breaks the framing is an
//  invalid peer, told to go.

void
broker_worker_compact (broker_core_t *self, zmq_msg_t *frames, int count,
                       bool cut, const broker_caller_t *caller, int64_t now)
{
    char key [MAX_KEY];
    broker_hex_key (&frames [0], key);
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
    if (!worker) {
        //  Not registered here: READY again, as for MDP
        broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        broker_close_frames (frames, count);
        return;
    }
    worker->last_seen_us = now;
    if (self->secure && (!caller || caller->revoked)) {
        broker_count_refused (self,
                              caller ? REFUSED_REVOKED
                                     : REFUSED_UNAUTHENTICATED,
                              caller, worker->service->name, NULL);
        broker_worker_delete (self, worker, true, "revoked", now);
        broker_close_frames (frames, count);
        return;
    }
    int rc = count == 2 && !cut && worker->compact ? 0 : -1;
    const uint8_t *data = (const uint8_t *) zmq_msg_data (&frames [1]);
    const uint8_t *at = data + KJ_KJX_SIZE;
    const uint8_t *end = data + zmq_msg_size (&frames [1]);
    const uint8_t *record;
    size_t size;
    while (rc == 0 && (rc = kj_compact_next (&at, end, &record, &size)) == 1) {
        //  [worker] [] [] [0x03] [handle] [] [part]...
        kj_part_t lead [5] = { { NULL, 0 },
                               { NULL, 0 },
                               { record, 1 },
                               { record + 1, 8 },
                               { NULL, 0 } };
        zmq_msg_t reply [6 + BROKER_MAX_BODY];
        bool over = false;
        int nframes = size >= 9 && record [0] == KJ_MDPW_REPLY
                        ? s_record_frames (&frames [0], lead, 5, record + 9,
                                           size - 9, reply, &over)
                        : -1;
        if (nframes < 0) {
            rc = -1;
            break;
        }
        broker_worker_reply (self, worker, reply, nframes, over, now);
        //  Handing on work may have found the worker gone
        if (at != end
            && !(worker = (worker_t *) zhashx_lookup (self->workers, key)))
            break;
        rc = 0;
    }
    if (rc < 0) {
        self->malformed++;
        broker_worker_delete (self, worker, true, "malformed", now);
    }
    broker_close_frames (frames, count);
}
//  --------------------------------------------------------------------------
//  Send what was gathered. A worker's batch that went: the requests in it
//  that may not be re-sent drop their body. One that could not go: its
//  requests return to the head of their queue, the worker gets nothing
//  more until it replies (or is dropped, when gone or holding nothing),
//  and the queue goes to the others. Batches opened meanwhile are sent in
//  the same call.

void
broker_core_flush (broker_core_t *self, int64_t now)
{
    for (size_t i = 0; i < self->nbatches; i++) {
        batch_t *batch = &self->batches [i];
        if (batch->data && !batch->dead) {
            zmq_msg_t frames [2];
            zmq_msg_init (&frames [0]);
            zmq_msg_copy (&frames [0], &batch->id);
            zmq_msg_init_data (&frames [1], batch->data, batch->size,
                               s_free_data, NULL);
            batch->data = NULL;
            int rc = broker_send_frames (self, frames, 2);
            worker_t *worker = batch->worker;
            if (worker && rc == 0)
                for (size_t h = 0; h < batch->nhandles; h++) {
                    request_t *request = s_request_of (self,
                                                       batch->handles [h]);
                    if (request && !request->retry_safe) {
                        broker_close_frames (request->body, request->nbody);
                        request->nbody = 0;
                        if (request->has_stamp)
                            zmq_msg_close (&request->stamped);
                        request->has_stamp = false;
                    }
                }
            else if (worker) {
                service_t *service = worker->service;
                s_batch_unsend (self, batch);
                broker_ready_remove (service, worker);
                if (rc == BROKER_GONE || worker->in_flight == 0)
                    broker_worker_remove (self, worker, false, "unreachable",
                                          now);
                broker_dispatch (self, service, now);
            }
        }
        batch = &self->batches [i];  //  dispatch may have moved them
        free (batch->data);
        batch->data = NULL;
        free (batch->handles);
        batch->handles = NULL;
        zmq_msg_close (&batch->id);
    }
    self->nbatches = 0;
    self->epoch++;
}

bool
broker_core_gathered (broker_core_t *self)
{
    return self->nbatches > 0;
}
