/*  =========================================================================
    broker_worker - workers: READY, REPLY, heartbeats and going away

    Part of broker_core (broker_core_int.h). A worker registers for a
    service, takes requests up to its credit and replies; when it goes,
    what it held is re-queued where that is safe and answered otherwise.
    =========================================================================
*/

#include "broker_core_int.h"

//  --------------------------------------------------------------------------
//  Workers

int
broker_send_command (broker_core_t *self, zmq_msg_t *id, int command)
{
    zmq_msg_t frames [4];
    zmq_msg_init (&frames [0]);
    zmq_msg_copy (&frames [0], id);
    zmq_msg_init (&frames [1]);
    broker_frame_str (&frames [2], KJ_MDPW);
    broker_frame_mem (&frames [3], &(byte){ (byte) command }, 1);
    return broker_send_frames (self, frames, 4);
}

//  A worker is gone (it said DISCONNECT, fell silent, broke the protocol,
//  or could not be reached). What it held goes back to the front of the
//  queue where that is safe, and is answered with an error otherwise:
//  never dropped. Frees the worker; does not dispatch.

void
broker_worker_remove (broker_core_t *self, worker_t *worker, bool disconnect,
                      const char *reason, int64_t now)
{
    service_t *service = worker->service;
    broker_batch_forget (self, worker);
    if (disconnect)
        broker_send_command (self, &worker->id, KJ_MDPW_DISCONNECT);
    kj_info ("broker.worker_gone",
             "service=%s worker=%s reason=%s "
             "in_flight=%u",
             service->name, worker->key, reason, worker->in_flight);
    broker_ready_remove (service, worker);
    //  From the last, so that they keep their order at the front
    while (worker->requests_tail) {
        request_t *request = worker->requests_tail;
        broker_release_request (worker, request);
        if (request->retry_safe && request->retries < self->limits.max_retries
            && !self->draining) {
            request->retries++;
            service->retried++;
            broker_queue_push (self, service, request, true);
        }
        else
            broker_request_fail (
                self, &request, KJ__CODE__UNAVAILABLE, "502",
                "the worker of service '%s' stopped while holding the "
                "request; %s",
                service->name,
                request->retry_safe
                    ? "it was re-sent too often already"
                    : "it was not re-sent because it may have been done "
                      "(not safe to retry)");
    }
    service->workers--;
    service->peer_workers -= worker->peer;
    service->credit -= worker->credit;
    service->idle_since_us = now;
    zhashx_delete (self->workers, worker->key);
}

//  The same, then what was re-queued goes to the workers left.

void
broker_worker_delete (broker_core_t *self, worker_t *worker, bool disconnect,
                      const char *reason, int64_t now)
{
    service_t *service = worker->service;
    broker_worker_remove (self, worker, disconnect, reason, now);
    broker_dispatch (self, service, now);
}

void
broker_worker_free (void **item)
{
    worker_t *worker = (worker_t *) *item;
    if (worker) {
        zmq_msg_close (&worker->id);
        free (worker);
        *item = NULL;
    }
}
//  --------------------------------------------------------------------------
//  A worker's REPLY: [worker] [] [MDPW01] [0x03] [handle] [] [body]...

void
broker_worker_reply (broker_core_t *self, worker_t *worker, zmq_msg_t *frames,
                     int count, bool cut, int64_t now)
{
    if (count < 6 || zmq_msg_size (&frames [4]) != 8
        || zmq_msg_size (&frames [5]) != 0) {
        self->malformed++;
        broker_close_frames (frames, count);
        return;
    }
    uint64_t handle = kj_get_u64 ((const byte *) zmq_msg_data (&frames [4]));
    uint32_t slot = (uint32_t) handle;
    uint32_t generation = (uint32_t) (handle >> 32);
    request_t *request = slot < self->nslots ? self->slots [slot] : NULL;
    if (!request || request->generation != generation
        || request->worker != worker) {
        //  A reply for something this worker does not hold: stale or made up
        self->malformed++;
        broker_close_frames (frames, count);
        return;
    }
    service_t *service = worker->service;
    //  Out of the worker's list; the worker has one more credit
    broker_release_request (worker, request);
    if (!worker->listed)
        broker_ready_push (service, worker);
    int nbody = count - 6;
    if (cut || nbody > BROKER_MAX_BODY) {
        //  Too long to carry: the client hears so, the worker is free
        broker_close_frames (frames, count);
        broker_request_fail (self, &request, KJ__CODE__OUT_OF_RANGE, "413",
                             "the reply of service '%s' has more than %d body "
                             "frames, the most the broker carries",
                             service->name, BROKER_MAX_BODY);
        broker_dispatch (self, service, now);
        return;
    }
    if (request->refusal && !request->kejin) {
        //  The sink recorded a plain client's refusal: "403", the reason
        broker_close_frames (frames, count);
        broker_send_error (self, &request->client_id, &request->service_frame,
                           NULL, KJ__CODE__PERMISSION_DENIED, NULL, "403",
                           request->refusal, request->compact, request->client);
        service->served++;
        broker_request_destroy (self, &request);
        broker_dispatch (self, service, now);
        return;
    }
    //  To the client, in the framing its request came in
    broker_send_client (self, &request->client_id, &request->service_frame,
                        &frames [6], nbody, request->compact, request->client);
    broker_close_frames (frames, count);
    service->served++;
    kj_hist_record (service->latency, (uint64_t) (now - request->received_us));
    broker_request_destroy (self, &request);
    broker_dispatch (self, service, now);
}

//  READY: [worker] [] [MDPW01] [0x01] [service] ["KJ\x01" WorkerHello]?

static void
s_worker_ready (broker_core_t *self, const char *key, zmq_msg_t *frames,
                int count, const broker_caller_t *caller, int64_t now)
{
    size_t size = count > 4 ? zmq_msg_size (&frames [4]) : 0;
    char name [256];
    if (size == 0 || size > 255
        || memchr (zmq_msg_data (&frames [4]), 0, size)) {
        self->malformed++;
        broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        broker_close_frames (frames, count);
        return;
    }
    memcpy (name, zmq_msg_data (&frames [4]), size);
    name [size] = 0;
    //  Only a service key registers, for the services it names; a peer
    //  key (a link to another city) too, used when no local worker is
    bool peer = self->secure && streq (caller->role, "peer");
    if (self->secure
        && ((!streq (caller->role, "service") && !peer)
            || !broker_serves (caller->services, name))) {
        bool role = !streq (caller->role, "service") && !peer;
        broker_count_refused (self,
                              role ? REFUSED_WORKER_ROLE
                                   : REFUSED_WORKER_SERVICE,
                              caller, name, NULL);
        broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        broker_close_frames (frames, count);
        return;
    }
    //  Names the broker answers itself cannot have workers
    service_t *service = NULL;
    if (strncmp (name, "mmi.", 4) && strncmp (name, "kejin.", 6))
        service = broker_service_require (self, name, NULL, now);
    if (!service) {
        kj_warn ("broker.worker_refused", "service=%s worker=%s", name, key);
        broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        broker_close_frames (frames, count);
        return;
    }
    worker_t *worker = (worker_t *) zmalloc (sizeof (worker_t));
    kj_strlcpy (worker->key, key, sizeof worker->key);
    zmq_msg_init (&worker->id);
    zmq_msg_move (&worker->id, &frames [0]);
    worker->service = service;
    worker->peer = peer;
    worker->credit = 1;
    worker->last_seen_us = now;
    if (count > 5) {
        Kj__WorkerHello *hello = NULL;
        size_t hsize = zmq_msg_size (&frames [5]);
        const byte *data = (const byte *) zmq_msg_data (&frames [5]);
        if (hsize >= KJ_MAGIC_SIZE
            && memcmp (data, KJ_MAGIC, KJ_MAGIC_SIZE) == 0) {
            //  From the network: limits checked before protobuf-c allocates
            kj_status_t bad;
            hello = (Kj__WorkerHello *)
                kj_proto_unpack (&kj__worker_hello__descriptor,
                                 data + KJ_MAGIC_SIZE, hsize - KJ_MAGIC_SIZE,
                                 &bad);
        }
        if (hello) {
            worker->kejin = true;
            worker->credit = hello->credit < 1     ? 1
                           : hello->credit > 10000 ? 10000
                                                   : hello->credit;
            worker->compact = hello->compact;
            worker->pid = hello->pid;
            kj_strlcpy (worker->host, hello->host, sizeof worker->host);
            kj_strlcpy (worker->copy, hello->instance, sizeof worker->copy);
            char *dot = strrchr (worker->copy, '.');
            if (dot)
                *dot = 0;  //  COPY.THREAD -> COPY
            kj__worker_hello__free_unpacked (hello, NULL);
        }
    }
    broker_close_frames (frames, count);
    zhashx_insert (self->workers, worker->key, worker);
    service->had_worker = true;
    broker_service_uncharge (self, service);
    service->workers++;
    service->peer_workers += worker->peer;
    service->credit += worker->credit;
    broker_ready_push (service, worker);
    kj_info ("broker.worker_ready",
             "service=%s worker=%s credit=%u kejin=%d compact=%d peer=%d", name,
             worker->key, worker->credit, worker->kejin, worker->compact,
             worker->peer);
    broker_dispatch (self, service, now);
}

void
broker_worker_message (broker_core_t *self, zmq_msg_t *frames, int count,
                       bool cut, const broker_caller_t *caller, int64_t now)
{
    if (count < 4 || zmq_msg_size (&frames [3]) != 1) {
        self->malformed++;
        broker_close_frames (frames, count);
        return;
    }
    int command = ((const byte *) zmq_msg_data (&frames [3])) [0];
    char key [MAX_KEY];
    broker_hex_key (&frames [0], key);
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
    if (worker)
        worker->last_seen_us = now;
    //  A key revoked while connected: its workers go, within a heartbeat
    if (self->secure && (!caller || caller->revoked)) {
        broker_count_refused (self,
                              caller ? REFUSED_REVOKED
                                     : REFUSED_UNAUTHENTICATED,
                              caller, worker ? worker->service->name : "",
                              NULL);
        if (worker)
            broker_worker_delete (self, worker, true, "revoked", now);
        else
            broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        broker_close_frames (frames, count);
        return;
    }
    if (command == KJ_MDPW_READY) {
        if (worker) {
            //  A second READY breaks the protocol: start again clean
            broker_worker_delete (self, worker, true, "second_ready", now);
            broker_close_frames (frames, count);
        }
        else
            s_worker_ready (self, key, frames, count, caller, now);
    }
    else if (command == KJ_MDPW_REPLY || command == KJ_MDPW_HEARTBEAT) {
        if (!worker) {
            //  Not registered here: after a broker restart, this is how a
            //  worker learns that it must say READY again
            broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
            broker_close_frames (frames, count);
        }
        else if (command == KJ_MDPW_REPLY)
            broker_worker_reply (self, worker, frames, count, cut, now);
        else
            broker_close_frames (frames, count);
    }
    else if (command == KJ_MDPW_DISCONNECT) {
        if (worker)
            broker_worker_delete (self, worker, false, "disconnect", now);
        broker_close_frames (frames, count);
    }
    else {
        //  A command MDP/0.1 does not have: an invalid peer, told to go
        self->malformed++;
        if (worker)
            broker_worker_delete (self, worker, true, "unknown_command", now);
        else
            broker_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        broker_close_frames (frames, count);
    }
}
