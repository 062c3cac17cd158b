/*  =========================================================================
    broker_core - the Majordomo broker's state and rules, without sockets

    Requests live in a slot table; a request sent to a worker carries its
    slot handle as the "client address" frame, which MDP workers echo back
    in their REPLY. That is how one worker can hold many requests (Kejin's
    credit) and how a reply finds its request in O(1).

    Each service has a FIFO of queued requests and a FIFO of workers with
    credit left (least recently used first). A request goes out as soon as
    both are non-empty; it waits in the queue, bounded, until its deadline
    otherwise.

    With rights on (broker_core_set_rights), every message comes with the
    caller its CURVE key proves: only service keys register workers, for
    the services their certificate names; each method is open to the roles
    the rules give it; a revoked key is refused and its workers dropped;
    and every request to a Kejin worker carries the caller in its header,
    written here over whatever the client put there.

    Kejin's own clients and workers may speak the compact framing
    (kj_mdp.h): one frame per message, several requests or replies to a
    frame. What the broker sends them is gathered per peer while it takes
    the messages waiting, and goes out when broker_core_flush is called
    (the server calls it before it waits): a worker sent ten requests in
    one wake-up gets one frame. A request in a batch is the worker's as if
    sent; if the batch cannot go, or the worker goes first, the requests
    in it return to the head of their queue, never counted as re-sent.

    The class is split by concern into the files broker_core_int.h lists;
    this one holds the frames, the class itself, the message switch and
    the passing of time.
    =========================================================================
*/

#include "broker_core_int.h"

//  --------------------------------------------------------------------------
//  Frames

void
broker_frame_str (zmq_msg_t *frame, const char *string)
{
    size_t size = strlen (string);
    zmq_msg_init_size (frame, size);
    memcpy (zmq_msg_data (frame), string, size);
}

void
broker_frame_mem (zmq_msg_t *frame, const void *data, size_t size)
{
    zmq_msg_init_size (frame, size);
    if (size)
        memcpy (zmq_msg_data (frame), data, size);
}

bool
broker_frame_is (zmq_msg_t *frame, const char *string)
{
    size_t size = strlen (string);
    return zmq_msg_size (frame) == size
        && memcmp (zmq_msg_data (frame), string, size) == 0;
}

void
broker_close_frames (zmq_msg_t *frames, int count)
{
    for (int i = 0; i < count; i++)
        zmq_msg_close (&frames [i]);
}

void
broker_hex_key (zmq_msg_t *id, char *key)
{
    size_t size = zmq_msg_size (id);
    if (size > (MAX_KEY - 1) / 2)
        size = (MAX_KEY - 1) / 2;
    kj_hex_write (zmq_msg_data (id), size, key);
}

int
broker_send_frames (broker_core_t *self, zmq_msg_t *frames, int count)
{
    int rc = self->send (self->arg, frames, count);
    if (rc)
        self->dropped++;
    return rc;
}
//  --------------------------------------------------------------------------

void
broker_limits_default (broker_limits_t *limits)
{
    memset (limits, 0, sizeof *limits);
    limits->heartbeat_ms = 2500;
    limits->liveness = 3;
    limits->busy_timeout_ms = 120000;
    limits->default_wait_ms = 10000;
    limits->max_wait_ms = 60000;
    limits->queue_max = 100000;
    limits->queue_max_bytes = 256 * 1024 * 1024;
    limits->client_max = 10000;
    limits->max_services = 10000;
    limits->peer_services = 100;
    limits->max_bytes = 1024 * 1024 * 1024;
    limits->max_retries = 3;
    limits->retry_safe = "";
    limits->audit_sink = "events.audit";
    limits->audit_max = 10000;
    limits->audit_client_max = 100;
}

broker_core_t *
broker_core_new (const broker_limits_t *limits, broker_send_fn *send, void *arg)
{
    broker_core_t *self = (broker_core_t *) zmalloc (sizeof (broker_core_t));
    self->limits = *limits;
    self->retry_safe = strdup (limits->retry_safe ? limits->retry_safe : "");
    self->limits.retry_safe = self->retry_safe;
    self->audit_sink = strdup (limits->audit_sink ? limits->audit_sink : "");
    self->limits.audit_sink = self->audit_sink;
    self->send = send;
    self->arg = arg;
    self->services = zhashx_new ();
    zhashx_set_destructor (self->services,
                           (zhashx_destructor_fn *) broker_service_destroy);
    self->workers = zhashx_new ();
    zhashx_set_destructor (self->workers, broker_worker_free);
    self->clients = zhashx_new ();
    zhashx_set_destructor (self->clients, (zhashx_destructor_fn *) zstr_free);
    self->expiry_at = INT64_MAX;
    self->max_hops = 2;
    self->carry = strdup ("");
    self->epoch = 1;
    return self;
}

void
broker_core_destroy (broker_core_t **self_p)
{
    if (*self_p) {
        broker_core_t *self = *self_p;
        for (size_t i = 0; i < self->nbatches; i++) {
            free (self->batches [i].data);
            free (self->batches [i].handles);
            zmq_msg_close (&self->batches [i].id);
        }
        free (self->batches);
        //  Requests first: they point at services and clients
        for (uint32_t slot = 0; slot < self->nslots; slot++) {
            request_t *request = self->slots [slot];
            if (request) {
                request->client = NULL;
                broker_request_destroy (self, &request);
            }
        }
        zhashx_destroy (&self->workers);
        zhashx_destroy (&self->clients);
        zhashx_destroy (&self->services);
        free (self->slots);
        free (self->generations);
        free (self->free_slots);
        free (self->retry_safe);
        free (self->audit_sink);
        free (self->rules);
        free (self->read_methods);
        free (self->carry);
        if (self->info)
            kj__broker_stats__free_unpacked (self->info, NULL);
        free (self);
        *self_p = NULL;
    }
}

static void
s_message (broker_core_t *self, zmq_msg_t *frames, int count, bool cut,
           const broker_caller_t *caller, int64_t now)
{
    //  [peer] [] [protocol] ..., or [peer] ["KJC01" or "KJW01" records]
    size_t size = count >= 2 ? zmq_msg_size (&frames [1]) : 0;
    const void *data = count >= 2 ? zmq_msg_data (&frames [1]) : NULL;
    if (kj_compact_is (data, size, KJ_KJC))
        broker_client_compact (self, frames, count, cut, caller, now);
    else if (kj_compact_is (data, size, KJ_KJW))
        broker_worker_compact (self, frames, count, cut, caller, now);
    else if (count < 3 || size != 0) {
        self->malformed++;
        broker_close_frames (frames, count);
    }
    else if (broker_frame_is (&frames [2], KJ_MDPC))
        broker_client_message (self, frames, count, cut, caller, now);
    else if (broker_frame_is (&frames [2], KJ_MDPW))
        broker_worker_message (self, frames, count, cut, caller, now);
    else {
        self->malformed++;
        broker_close_frames (frames, count);
    }
}

void
broker_core_message (broker_core_t *self, zmq_msg_t *frames, int count,
                     int64_t now)
{
    //  Callers other than broker_server may pass more than the broker
    //  carries: keep what it takes, as a receiver would
    if (count > BROKER_MAX_FRAMES) {
        broker_close_frames (frames + BROKER_MAX_FRAMES,
                             count - BROKER_MAX_FRAMES);
        s_message (self, frames, BROKER_MAX_FRAMES, true, NULL, now);
    }
    else
        s_message (self, frames, count, false, NULL, now);
}

void
broker_core_message_as (broker_core_t *self, zmq_msg_t *frames, int count,
                        bool cut, const broker_caller_t *caller, int64_t now)
{
    if (count > BROKER_MAX_FRAMES) {
        broker_close_frames (frames + BROKER_MAX_FRAMES,
                             count - BROKER_MAX_FRAMES);
        count = BROKER_MAX_FRAMES;
        cut = true;
    }
    s_message (self, frames, count, cut, caller, now);
}
//  --------------------------------------------------------------------------
//  Rights on: the rules parsed once, here

void
broker_core_set_insecure (broker_core_t *self, bool insecure)
{
    self->insecure = insecure;
}

void
broker_core_message_cut (broker_core_t *self, zmq_msg_t *frames, int count,
                         int64_t now)
{
    s_message (self, frames, count, true, NULL, now);
}
//  --------------------------------------------------------------------------
//  Time passes: heartbeats to every worker once an interval; workers
//  silent too long are dead; queued requests past their deadline are
//  answered; latency windows roll over; services nobody uses go away.

void
broker_core_tick (broker_core_t *self, int64_t now)
{
    int64_t interval = (int64_t) self->limits.heartbeat_ms * 1000;
    int64_t idle_limit = interval * self->limits.liveness;
    int64_t busy_limit = (int64_t) self->limits.busy_timeout_ms * 1000;
    bool beat = now >= self->heartbeat_at;
    if (beat)
        self->heartbeat_at = now + interval;

    //  Dead workers by key, not pointer: deleting one re-queues what it
    //  held, and handing that on may find another dead worker and free it
    //  first (two workers of one process that died)
    zlistx_t *dead = zlistx_new ();
    zlistx_set_destructor (dead, (zlistx_destructor_fn *) zstr_free);
    for (worker_t *worker = (worker_t *) zhashx_first (self->workers); worker;
         worker = (worker_t *) zhashx_next (self->workers)) {
        int64_t silent = now - worker->last_seen_us;
        //  A heartbeat the ROUTER cannot route means the worker's
        //  connection is gone (its process died): no need to wait for
        //  silence, which for a busy worker is long
        if (silent > (worker->in_flight ? busy_limit : idle_limit)
            || (beat
                && broker_send_command (self, &worker->id, KJ_MDPW_HEARTBEAT)
                       == BROKER_GONE))
            zlistx_add_end (dead, strdup (worker->key));
    }
    for (char *key = (char *) zlistx_first (dead); key;
         key = (char *) zlistx_next (dead)) {
        worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
        if (worker)
            broker_worker_delete (self, worker, true, "expired", now);
    }
    zlistx_destroy (&dead);

    zlistx_t *idle = zlistx_new ();
    self->expiry_at = INT64_MAX;
    for (service_t *service = (service_t *) zhashx_first (self->services);
         service; service = (service_t *) zhashx_next (self->services)) {
        request_t *request = service->head;
        while (request) {
            request_t *next = request->next;
            if (now < request->expires_us) {
                if (request->expires_us < self->expiry_at)
                    self->expiry_at = request->expires_us;
            }
            else {
                broker_queue_remove (service, request);
                service->expired++;
                if (service->workers)
                    broker_request_fail (
                        self, &request, KJ__CODE__DEADLINE_EXCEEDED, "504",
                        "no worker of service '%s' was free within the "
                        "request's deadline (%u workers, all busy)",
                        service->name, service->workers);
                else
                    broker_request_fail (
                        self, &request, KJ__CODE__UNAVAILABLE, "503",
                        "service '%s' has no worker; none came within "
                        "the request's deadline",
                        service->name);
            }
            request = next;
        }
        if (now - service->window_us >= LATENCY_WINDOW_US) {
            kj_hist_t *old = service->latency_prev;
            service->latency_prev = service->latency;
            kj_hist_reset (old);
            service->latency = old;
            service->window_us = now;
        }
        //  Every request is queued or held by a worker, so these three
        //  zeros mean nobody uses the service. One that never had a worker
        //  goes at once, one that had keeps its statistics a while.
        if (!service->workers && !service->queued && !service->in_flight
            && (!service->had_worker
                || now - service->idle_since_us > SERVICE_IDLE_US))
            zlistx_add_end (idle, service);
    }
    for (service_t *service = (service_t *) zlistx_first (idle); service;
         service = (service_t *) zlistx_next (idle)) {
        broker_service_uncharge (self, service);
        zhashx_delete (self->services, service->name);
    }
    zlistx_destroy (&idle);
    self->tick_at = now + (interval < 100000 ? interval / 2 : 50000);
}

int64_t
broker_core_next_tick (broker_core_t *self)
{
    return self->tick_at < self->expiry_at ? self->tick_at : self->expiry_at;
}
void
broker_core_drain (broker_core_t *self)
{
    self->draining = true;
}

size_t
broker_core_pending (broker_core_t *self)
{
    return self->pending;
}

void
broker_core_close (broker_core_t *self, int64_t now)
{
    self->draining = true;
    for (uint32_t slot = 0; slot < self->nslots; slot++) {
        request_t *request = self->slots [slot];
        if (!request)
            continue;
        if (request->worker)
            broker_release_request (request->worker, request);
        else
            broker_queue_remove (request->service, request);
        broker_request_fail (
            self, &request, KJ__CODE__UNAVAILABLE, "503",
            "the broker stopped before the request was answered; "
            "retry");
    }
    broker_core_flush (self, now);
    for (worker_t *worker = (worker_t *) zhashx_first (self->workers); worker;
         worker = (worker_t *) zhashx_next (self->workers))
        broker_send_command (self, &worker->id, KJ_MDPW_DISCONNECT);
}

void
broker_core_count_malformed (broker_core_t *self)
{
    self->malformed++;
}

uint64_t
broker_core_malformed (broker_core_t *self)
{
    return self->malformed;
}

uint64_t
broker_core_dropped (broker_core_t *self)
{
    return self->dropped;
}

void
broker_core_set_info (broker_core_t *self, const Kj__BrokerStats *info)
{
    if (self->info)
        kj__broker_stats__free_unpacked (self->info, NULL);
    size_t size = kj__broker_stats__get_packed_size (info);
    uint8_t *buffer = (uint8_t *) malloc (size);
    kj__broker_stats__pack (info, buffer);
    self->info = kj__broker_stats__unpack (NULL, size, buffer);
    free (buffer);
}
