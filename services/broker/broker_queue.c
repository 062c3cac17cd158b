/*  =========================================================================
    broker_queue - clients, services, their queues and requests

    Part of broker_core (broker_core_int.h). Requests live in a slot table;
    each service has a FIFO of queued requests and a FIFO of workers with
    credit left. Here a request is made, queued, answered with an error, or
    handed to a worker (broker_dispatch).
    =========================================================================
*/

#include "broker_core_int.h"

//  --------------------------------------------------------------------------
//  Clients: one entry per peer with requests pending or services it made.
//  A client is looked up by the hex of its routing id.

client_t *
broker_client_require (broker_core_t *self, const char *key)
{
    client_t *client = (client_t *) zhashx_lookup (self->clients, key);
    if (!client) {
        client = (client_t *) zmalloc (sizeof (client_t));
        kj_strlcpy (client->key, key, sizeof client->key);
        zhashx_insert (self->clients, client->key, client);
    }
    return client;
}

//  Forget a client that holds nothing any more.

void
broker_client_release (broker_core_t *self, client_t *client)
{
    if (client && client->pending == 0 && client->created == 0)
        zhashx_delete (self->clients, client->key);
}

//  --------------------------------------------------------------------------
//  Services

//  The service no longer counts against the client that created it: a
//  worker came, or the service goes away.

void
broker_service_uncharge (broker_core_t *self, service_t *service)
{
    client_t *creator = service->creator;
    if (creator) {
        service->creator = NULL;
        creator->created--;
        broker_client_release (self, creator);
    }
}

//  The service of that name, created if need be; NULL when the table is
//  full. A client creating one is charged for it until a worker comes, so
//  that one peer cannot fill the table with names nobody serves.

service_t *
broker_service_require (broker_core_t *self, const char *name,
                        client_t *creator, int64_t now)
{
    service_t *service = (service_t *) zhashx_lookup (self->services, name);
    if (service)
        return service;
    if (zhashx_size (self->services) >= self->limits.max_services
        || (creator && creator->created >= self->limits.peer_services))
        return NULL;
    service = (service_t *) zmalloc (sizeof (service_t));
    if (creator) {
        service->creator = creator;
        creator->created++;
    }
    kj_strlcpy (service->name, name, sizeof service->name);
    service->latency = kj_hist_new ();
    service->latency_prev = kj_hist_new ();
    service->window_us = now;
    service->idle_since_us = now;
    //  Plain MDP requests carry no retry rule: config names the services
    //  whose requests may be re-sent.
    char *list = self->retry_safe;
    size_t len = strlen (name);
    for (char *at = strstr (list, name); at; at = strstr (at + 1, name))
        if ((at == list || at [-1] == ',')
            && (at [len] == 0 || at [len] == ','))
            service->retry_safe = true;
    zhashx_insert (self->services, name, service);
    kj_debug ("broker.service_new", "service=%s", name);
    return service;
}

void
broker_service_destroy (service_t **service_p)
{
    if (*service_p) {
        service_t *service = *service_p;
        kj_hist_destroy (&service->latency);
        kj_hist_destroy (&service->latency_prev);
        free (service);
        *service_p = NULL;
    }
}
void
broker_queue_push (broker_core_t *self, service_t *service, request_t *request,
                   bool front)
{
    if (request->expires_us < self->expiry_at)
        self->expiry_at = request->expires_us;
    if (front)
        LIST_PREPEND (service->head, service->tail, request);
    else
        LIST_APPEND (service->head, service->tail, request);
    service->queued++;
    service->queued_bytes += request->bytes;
}

void
broker_queue_remove (service_t *service, request_t *request)
{
    LIST_UNLINK (service->head, service->tail, request);
    service->queued--;
    service->queued_bytes -= request->bytes;
}

void
broker_ready_push (service_t *service, worker_t *worker)
{
    assert (!worker->listed);
    LIST_APPEND (service->ready_head, service->ready_tail, worker);
    worker->listed = true;
}

void
broker_ready_remove (service_t *service, worker_t *worker)
{
    if (worker->listed) {
        LIST_UNLINK (service->ready_head, service->ready_tail, worker);
        worker->listed = false;
    }
}

//  A worker takes a request, or gives one back: its list and the counts.
static void
s_hold (worker_t *worker, request_t *request)
{
    request->worker = worker;
    LIST_APPEND (worker->requests, worker->requests_tail, request);
    worker->in_flight++;
    worker->service->in_flight++;
}

void
broker_release_request (worker_t *worker, request_t *request)
{
    LIST_UNLINK (worker->requests, worker->requests_tail, request);
    request->worker = NULL;
    worker->in_flight--;
    worker->service->in_flight--;
}

//  --------------------------------------------------------------------------
//  Requests

request_t *
broker_request_new (broker_core_t *self, int nbody)
{
    request_t *request = (request_t *) zmalloc (sizeof (request_t)
                                                + nbody * sizeof (zmq_msg_t));
    if (self->nfree == 0) {
        uint32_t grow = self->nslots ? self->nslots : 1024;
        self->slots = (request_t **) realloc (self->slots,
                                              (self->nslots + grow)
                                                  * sizeof (request_t *));
        self->generations = (uint32_t *) realloc (self->generations,
                                                  (self->nslots + grow)
                                                      * sizeof (uint32_t));
        self->free_slots = (uint32_t *) realloc (self->free_slots,
                                                 (self->nslots + grow)
                                                     * sizeof (uint32_t));
        assert (self->slots && self->generations && self->free_slots);
        for (uint32_t i = 0; i < grow; i++) {
            self->generations [self->nslots + i] = 1;
            self->slots [self->nslots + i] = NULL;
            self->free_slots [self->nfree++] = self->nslots + grow - 1 - i;
        }
        self->nslots += grow;
    }
    request->slot = self->free_slots [--self->nfree];
    request->generation = self->generations [request->slot];
    self->slots [request->slot] = request;
    request->nbody = nbody;
    self->pending++;
    return request;
}

void
broker_request_destroy (broker_core_t *self, request_t **request_p)
{
    request_t *request = *request_p;
    if (!request)
        return;
    zmq_msg_close (&request->client_id);
    zmq_msg_close (&request->service_frame);
    broker_close_frames (request->body, request->nbody);
    if (request->has_stamp)
        zmq_msg_close (&request->stamped);
    self->slots [request->slot] = NULL;
    self->generations [request->slot]++;
    self->free_slots [self->nfree++] = request->slot;
    if (request->refusal) {
        free (request->refusal);
        self->audit_pending--;
        if (request->client)
            request->client->audit_pending--;
    }
    if (request->client) {
        request->client->pending--;
        broker_client_release (self, request->client);
    }
    request->service->idle_since_us = request->received_us;
    self->pending--;
    self->bytes -= request->cost;
    free (request);
    *request_p = NULL;
}

//  To a client: [client] [] [MDPC01] [service] [body]..., or when compact
//  [client] ["KJC01" record] (kj_mdp.h), into the client's batch when
//  `client` is known. Takes the id, service and body frames, and leaves
//  them empty.

int
broker_send_client (broker_core_t *self, zmq_msg_t *client_id,
                    zmq_msg_t *service_frame, zmq_msg_t *body, int nbody,
                    bool compact, client_t *client)
{
    zmq_msg_t out [4 + BROKER_MAX_BODY];
    zmq_msg_init (&out [0]);
    zmq_msg_move (&out [0], client_id);
    if (compact) {
        size_t service_size = zmq_msg_size (service_frame);
        if (service_size > 255)
            service_size = 0;  //  never: compact names have a size byte
        size_t size = 4 + 1 + service_size;
        for (int i = 0; i < nbody; i++)
            size += KJ_PART_HEAD + zmq_msg_size (&body [i]);
        uint8_t *at;
        if (client)
            at = broker_batch_room (self, &out [0], NULL, &client->batch_epoch,
                                    &client->batch, KJ_KJC, size);
        else {
            zmq_msg_init_size (&out [1], KJ_KJX_SIZE + size);
            at = (uint8_t *) zmq_msg_data (&out [1]);
            memcpy (at, KJ_KJC, KJ_KJX_SIZE);
            at += KJ_KJX_SIZE;
        }
        kj_put_u32 (at, (uint32_t) (size - 4));
        at += 4;
        *at++ = (uint8_t) service_size;
        memcpy (at, zmq_msg_data (service_frame), service_size);
        at += service_size;
        for (int i = 0; i < nbody; i++) {
            at += kj_compact_put_part (at, zmq_msg_data (&body [i]),
                                       zmq_msg_size (&body [i]));
            zmq_msg_close (&body [i]);
            zmq_msg_init (&body [i]);
        }
        zmq_msg_close (service_frame);
        zmq_msg_init (service_frame);
        if (client) {
            zmq_msg_close (&out [0]);
            return 0;
        }
        return broker_send_frames (self, out, 2);
    }
    zmq_msg_init (&out [1]);
    broker_frame_str (&out [2], KJ_MDPC);
    zmq_msg_init (&out [3]);
    zmq_msg_move (&out [3], service_frame);
    for (int i = 0; i < nbody; i++) {
        zmq_msg_init (&out [4 + i]);
        zmq_msg_move (&out [4 + i], &body [i]);
    }
    return broker_send_frames (self, out, 4 + nbody);
}

//  An error to a client: a Kejin reply header when `header` (the
//  request's, or NULL for a plain client), else [plain code] [message], in
//  the framing the request came in. Takes the client id and service
//  frames.

void
broker_send_error (broker_core_t *self, zmq_msg_t *client_id,
                   zmq_msg_t *service_frame, Kj__RequestHeader *header,
                   int code, const char *field, const char *plain_code,
                   const char *message, bool compact, client_t *client)
{
    zmq_msg_t body [2];
    int count = 0;
    if (header) {
        kj_status_t status;
        kj_status_set (&status, code, field, "%s", message);
        zframe_t *reply = kj_proto_reply_frame (header->request_id, &status);
        broker_frame_mem (&body [count++], zframe_data (reply),
                          zframe_size (reply));
        zframe_destroy (&reply);
    }
    else {
        broker_frame_str (&body [count++], plain_code);
        broker_frame_str (&body [count++], message);
    }
    broker_send_client (self, client_id, service_frame, body, count, compact,
                        client);
    broker_close_frames (body, count);
}

void
broker_request_fail (broker_core_t *self, request_t **request_p, int code,
                     const char *plain_code, const char *format, ...)
{
    request_t *request = *request_p;
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    if (request->refusal) {
        //  A refusal the sink did not take in time: the client hears the
        //  refusal all the same, never "unavailable" (counted and logged
        //  as "unaudited")
        broker_count_refused (self, REFUSED_UNAUDITED, NULL,
                              request->service->name, "");
        code = KJ__CODE__PERMISSION_DENIED;
        plain_code = "403";
        kj_strlcpy (message, request->refusal, sizeof message);
    }

    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = request->request_id;
    broker_send_error (self, &request->client_id, &request->service_frame,
                       request->kejin ? &header : NULL, code, NULL, plain_code,
                       message, request->compact, request->client);
    request->service->failed++;
    kj_debug ("broker.request_failed", "service=%s code=%s message=\"%s\"",
              request->service->name, kj_code_name (code), message);
    broker_request_destroy (self, request_p);
}

//  Refuse a client message before it became a request: frames are
//  [client] [] [MDPC01] [service] ... (KJC01 in place of MDPC01 for one
//  that came compact); closes them.

void
broker_refuse (broker_core_t *self, zmq_msg_t *frames, int count,
               Kj__RequestHeader *header, int code, const char *field,
               const char *plain_code, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    broker_send_error (self, &frames [0], &frames [3], header, code, field,
                       plain_code, message,
                       broker_frame_is (&frames [2], KJ_KJC), NULL);
    broker_close_frames (frames, count);
    kj_debug ("broker.request_refused", "code=%s message=\"%s\"",
              kj_code_name (code), message);
}
//  --------------------------------------------------------------------------
//  A request as a plain or Kejin MDP worker gets it: [worker] [] [MDPW01]
//  [0x02] [handle] [] [body]...; returns the frame count. The body goes as
//  copies (zmq_msg_copy shares large frames); a Kejin worker gets the
//  header with the caller stamped.

static int
s_request_frames (request_t *request, worker_t *worker, zmq_msg_t *frames)
{
    uint64_t handle = ((uint64_t) request->generation << 32) | request->slot;
    zmq_msg_init (&frames [0]);
    zmq_msg_copy (&frames [0], &worker->id);
    zmq_msg_init (&frames [1]);
    broker_frame_str (&frames [2], KJ_MDPW);
    broker_frame_mem (&frames [3], &(byte){ KJ_MDPW_REQUEST }, 1);
    byte bytes [8];
    kj_put_u64 (bytes, handle);
    broker_frame_mem (&frames [4], bytes, 8);
    zmq_msg_init (&frames [5]);
    for (int i = 0; i < request->nbody; i++) {
        zmq_msg_init (&frames [6 + i]);
        zmq_msg_copy (&frames [6 + i],
                      i == 0 && request->has_stamp && worker->kejin
                          ? &request->stamped
                          : &request->body [i]);
    }
    return 6 + request->nbody;
}

//  --------------------------------------------------------------------------
//  Send the head of the queue to the least recently used worker with
//  credit, while both exist. The body goes out as copies (zmq_msg_copy
//  shares large frames), so that a hand-off that fails loses nothing; a
//  request that may not be re-sent drops its copy once it went out.

void
broker_dispatch (broker_core_t *self, service_t *service, int64_t now)
{
    worker_t *worker;
    while (service->head && (worker = broker_next_worker (service))) {
        request_t *request = service->head;
        broker_queue_remove (service, request);
        if (now >= request->expires_us) {
            service->expired++;
            broker_request_fail (self, &request, KJ__CODE__DEADLINE_EXCEEDED,
                                 "504",
                                 "request expired in the queue of service '%s'",
                                 service->name);
            continue;
        }
        broker_ready_remove (service, worker);
        if (worker->compact) {
            //  Goes at the next flush; its body stays until then
            broker_batch_request (self, request, worker);
            s_hold (worker, request);
            if (worker->in_flight < worker->credit)
                broker_ready_push (service, worker);
            continue;
        }

        zmq_msg_t frames [BROKER_MAX_FRAMES];
        int count = s_request_frames (request, worker, frames);
        int rc = broker_send_frames (self, frames, count);
        if (rc) {
            //  Not delivered, so not done: the request goes back to the
            //  head of the queue whatever its retry rule, for the next
            //  worker or to wait as for a service with no worker. A worker
            //  that is gone is done with; one whose pipe is full gets
            //  nothing more until it replies.
            broker_queue_push (self, service, request, true);
            if (rc == BROKER_GONE || worker->in_flight == 0)
                broker_worker_remove (self, worker, false, "unreachable", now);
            continue;
        }
        if (!request->retry_safe) {
            broker_close_frames (request->body, request->nbody);
            request->nbody = 0;
            if (request->has_stamp)
                zmq_msg_close (&request->stamped);
            request->has_stamp = false;
        }
        s_hold (worker, request);
        if (worker->in_flight < worker->credit)
            broker_ready_push (service, worker);
    }
}
