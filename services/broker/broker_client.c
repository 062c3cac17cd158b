/*  =========================================================================
    broker_client - a client's request, and what the broker answers itself

    Part of broker_core (broker_core_int.h). A request is checked (name,
    size, hops, key, rights, budget, queue) and queued, or refused with a
    status naming the bound; mmi.* and kejin.broker are answered here.
    =========================================================================
*/

#include "broker_core_int.h"

//  --------------------------------------------------------------------------
//  MMI (RFC 8): mmi.service says 200 when the service has live workers.

static void
s_reply_internal (broker_core_t *self, zmq_msg_t *frames, int count,
                  zmq_msg_t *body, int nbody)
{
    //  frames: [client] [] [MDPC01 or KJC01] [service]
    broker_send_client (self, &frames [0], &frames [3], body, nbody,
                        broker_frame_is (&frames [2], KJ_KJC), NULL);
    broker_close_frames (body, nbody);
    broker_close_frames (frames, count);
}

static void
s_handle_mmi (broker_core_t *self, zmq_msg_t *frames, int count,
              const char *name)
{
    const char *code = "501";
    if (streq (name, "mmi.service")) {
        char wanted [256] = "";
        if (count > 4 && zmq_msg_size (&frames [4]) < sizeof wanted)
            memcpy (wanted, zmq_msg_data (&frames [4]),
                    zmq_msg_size (&frames [4]));
        service_t *service = (service_t *) zhashx_lookup (self->services,
                                                          wanted);
        code = service && service->workers ? "200" : "404";
    }
    zmq_msg_t body;
    broker_frame_str (&body, code);
    s_reply_internal (self, frames, count, &body, 1);
}

//  kejin.broker: Stats, answered in Kejin form.

static void
s_handle_kejin (broker_core_t *self, zmq_msg_t *frames, int count,
                Kj__RequestHeader *header, int64_t now)
{
    zmq_msg_t body [2];
    int nbody = 0;
    zframe_t *head, *payload = NULL;
    if (header && streq (header->method, "Hello")) {
        //  A kj_client asking whether this broker takes KJC01: it does
        kj_status_t ok;
        kj_status_ok (&ok);
        head = kj_proto_reply_frame (header->request_id, &ok);
    }
    else if (header && streq (header->method, "Stats")) {
        Kj__BrokerStats *stats = broker_core_stats (self, now);
        kj_status_t ok;
        kj_status_ok (&ok);
        head = kj_proto_reply_frame (header->request_id, &ok);
        payload = kj_proto_frame (&stats->base, false);
        kj__broker_stats__free_unpacked (stats, NULL);
    }
    else {
        kj_status_t status;
        kj_status_set (&status, KJ__CODE__UNIMPLEMENTED, "method",
                       "kejin.broker has no method '%s'; it has Stats "
                       "and Hello",
                       header ? header->method : "");
        head = kj_proto_reply_frame (header ? header->request_id : 0, &status);
    }
    broker_frame_mem (&body [nbody++], zframe_data (head), zframe_size (head));
    zframe_destroy (&head);
    if (payload) {
        broker_frame_mem (&body [nbody++], zframe_data (payload),
                          zframe_size (payload));
        zframe_destroy (&payload);
    }
    s_reply_internal (self, frames, count, body, nbody);
}

//  --------------------------------------------------------------------------
//  A call refused for the caller's rights that no worker of its own
//  service will record goes to the audit sink (limits.audit_sink, which
//  kejin-events serves): without its body, the refusal stamped, the
//  method named SERVICE/METHOD. The sink writes the row and answers
//  PERMISSION_DENIED; a plain MDP client gets "403" and the reason
//  instead. Bounded in total and per client, so that a stranger's
//  refusals cannot grow a queue; 0 when it went (frames taken), -1 (a
//  refusal counted "unaudited") when the caller must be refused at once.

static int
s_refusal_to_sink (broker_core_t *self, zmq_msg_t *frames, int count,
                   Kj__RequestHeader *header, const char *name,
                   const broker_caller_t *caller, const char *why, int64_t now)
{
    service_t *sink = *self->audit_sink
                        ? (service_t *) zhashx_lookup (self->services,
                                                       self->audit_sink)
                        : NULL;
    size_t cost = sizeof (request_t) + sizeof (zmq_msg_t) + strlen (why) + 1
                + zmq_msg_size (&frames [0]) + zmq_msg_size (&frames [3]);
    char key [MAX_KEY];
    broker_hex_key (&frames [0], key);
    client_t *client = (client_t *) zhashx_lookup (self->clients, key);
    if (!sink || !sink->workers || self->draining
        || self->audit_pending >= self->limits.audit_max
        || (client
            && (client->audit_pending >= self->limits.audit_client_max
                || client->pending >= self->limits.client_max))
        || sink->queued >= self->limits.queue_max
        || self->bytes + cost > self->limits.max_bytes) {
        broker_count_refused (self, REFUSED_UNAUDITED, caller, name,
                              header ? header->method : "");
        return -1;
    }
    client = broker_client_require (self, key);
    request_t *request = broker_request_new (self, 1);
    zmq_msg_init (&request->client_id);
    zmq_msg_move (&request->client_id, &frames [0]);
    zmq_msg_init (&request->service_frame);
    zmq_msg_move (&request->service_frame, &frames [3]);
    zmq_msg_init (&request->body [0]);  //  the stamp goes in its place
    bool compact = broker_frame_is (&frames [2], KJ_KJC);
    broker_close_frames (frames, count);
    request->refusal = strdup (why);
    request->cost = cost;
    self->bytes += cost;
    request->received_us = now;
    request->service = sink;
    request->client = client;
    request->compact = compact;
    request->kejin = header != NULL;
    request->request_id = header ? header->request_id : 0;
    request->retry_safe = true;  //  nothing runs: any worker may take it
    client->pending++;
    client->audit_pending++;
    self->audit_pending++;

    Kj__RequestHeader plain = KJ__REQUEST_HEADER__INIT;
    Kj__RequestHeader *stamp = header ? header : &plain;
    char method [320];
    snprintf (method, sizeof method, "%s/%s", name,
              header ? header->method : "");
    kj_utf8_trim (method);  //  never half a character in the trail
    char *theirs = stamp->method;
    stamp->method = method;
    stamp->retry_safe = true;
    broker_caller_t refused = *caller;
    refused.refused = why;
    broker_stamp (self, request, stamp, &refused);
    stamp->method = theirs;

    //  The client hears within its deadline, and no later than the sink's
    //  own wait: a refusal is not worth waiting on
    int64_t wait_ms = self->limits.default_wait_ms;
    if (header && header->timeout_ms)
        wait_ms = header->timeout_ms;
    if (wait_ms > AUDIT_WAIT_MS)
        wait_ms = AUDIT_WAIT_MS;
    request->expires_us = now + wait_ms * 1000;
    sink->idle_since_us = now;
    broker_queue_push (self, sink, request, false);
    broker_dispatch (self, sink, now);
    return 0;
}

//  --------------------------------------------------------------------------
//  A client request: [client] [] [MDPC01] [service] [body]... `cut` says
//  the receiver dropped frames past `count`. Every refusal names the bound.

void
broker_client_message (broker_core_t *self, zmq_msg_t *frames, int count,
                       bool cut, const broker_caller_t *caller, int64_t now)
{
    if (count < 4) {
        self->malformed++;
        broker_close_frames (frames, count);
        return;
    }
    bool compact = broker_frame_is (&frames [2], KJ_KJC);
    //  A Kejin body starts with a header frame: deadline, retry rule, id
    Kj__RequestHeader *header = NULL;
    if (count > 4)
        header = kj_proto_request_header (zmq_msg_data (&frames [4]),
                                          zmq_msg_size (&frames [4]));
    size_t size = zmq_msg_size (&frames [3]);
    const char *data = (const char *) zmq_msg_data (&frames [3]);
    if (size == 0 || size > 255 || memchr (data, 0, size)) {
        self->malformed++;
        broker_refuse (self, frames, count, header, KJ__CODE__INVALID_ARGUMENT,
                       "service", "400",
                       "the service name must be 1 to 255 "
                       "bytes with no NUL byte; this one has %zu bytes%s",
                       size,
                       size && memchr (data, 0, size) ? " and a NUL" : "");
        goto done;
    }
    char name [256];
    memcpy (name, data, size);
    name [size] = 0;
    int nbody = count - 4;
    if (cut || nbody > BROKER_MAX_BODY) {
        broker_refuse (self, frames, count, header, KJ__CODE__OUT_OF_RANGE,
                       NULL, "413",
                       "the request to '%s' has more than %d body frames, "
                       "the most the broker carries",
                       name, BROKER_MAX_BODY);
        goto done;
    }
    const char *method = header ? header->method : "";
    broker_caller_t carried;
    if (broker_federation_admit (self, frames, count, header, name, &caller,
                                 &carried))
        goto done;
    if (self->secure && (!caller || caller->revoked)) {
        broker_count_refused (self,
                              caller ? REFUSED_REVOKED
                                     : REFUSED_UNAUTHENTICATED,
                              caller, name, method);
        broker_refuse (self, frames, count, header, KJ__CODE__UNAUTHENTICATED,
                       NULL, "401",
                       caller ? "the key %s was revoked; ask the "
                                "node's operator for a new one"
                              : "this broker takes "
                                "only CURVE keys it issued%s",
                       caller ? caller->name : "");
        goto done;
    }
    const char *allowed = NULL;
    //  kejin.broker Hello only says which framing the broker takes
    bool hello = streq (name, "kejin.broker") && streq (method, "Hello");
    broker_caller_t refused;
    char why [512];
    if (self->secure && strncmp (name, "mmi.", 4) && !hello
        && !broker_may_call (self, caller, name, method, &allowed)) {
        broker_count_refused (self, REFUSED_METHOD_ROLE, caller, name, method);
        snprintf (why, sizeof why,
                  "the key %s (role %s) may not call %s%s%s; only %s keys may",
                  caller->name, caller->role, name, *method ? " " : "",
                  *method ? method : "", allowed);
        //  A Kejin call to a service that has workers goes on without its
        //  body, the refusal stamped: the service writes it to its audit
        //  trail and answers PERMISSION_DENIED, so that every refusal the
        //  caller hears of is on record (docs/security.md)
        service_t *target = header
                              ? (service_t *) zhashx_lookup (self->services,
                                                             name)
                              : NULL;
        //  Any other refused call (a service with no worker, a plain MDP
        //  call, a name the broker answers itself) goes to the audit sink
        //  the same way, or is refused at once when none can take it
        if (!target || target->workers == 0) {
            if (s_refusal_to_sink (self, frames, count, header, name, caller,
                                   why, now))
                broker_refuse (self, frames, count, header,
                               KJ__CODE__PERMISSION_DENIED, "method", "403",
                               "%s", why);
            goto done;
        }
        broker_close_frames (frames + 5, count - 5);
        count = 5;
        nbody = 1;
        refused = *caller;
        refused.refused = why;
        caller = &refused;
        header->retry_safe = true;  //  nothing runs: any worker may take it
    }
    if (strncmp (name, "mmi.", 4) == 0) {
        s_handle_mmi (self, frames, count, name);
        goto done;
    }
    if (streq (name, "kejin.broker")) {
        s_handle_kejin (self, frames, count, header, now);
        goto done;
    }
    if (self->draining) {
        broker_refuse (self, frames, count, header, KJ__CODE__UNAVAILABLE, NULL,
                       "503", "the broker is shutting down; retry shortly");
        goto done;
    }
    //  What the request will hold, against the broker's byte budget
    size_t bytes = 0;
    for (int i = 4; i < count; i++)
        bytes += zmq_msg_size (&frames [i]);
    size_t cost = sizeof (request_t) + nbody * sizeof (zmq_msg_t) + bytes
                + zmq_msg_size (&frames [0]) + size;
    if (self->bytes + cost > self->limits.max_bytes) {
        broker_refuse (self, frames, count, header,
                       KJ__CODE__RESOURCE_EXHAUSTED, NULL, "429",
                       "the broker is overloaded: pending requests "
                       "hold %zu bytes, the most it holds is %zu; retry later",
                       self->bytes, self->limits.max_bytes);
        goto done;
    }
    char key [MAX_KEY];
    broker_hex_key (&frames [0], key);
    client_t *client = broker_client_require (self, key);
    if (client->pending >= self->limits.client_max) {
        broker_refuse (self, frames, count, header,
                       KJ__CODE__RESOURCE_EXHAUSTED, NULL, "429",
                       "this client has %zu requests pending, the "
                       "most the broker takes from one client",
                       client->pending);
        goto done;
    }
    service_t *service = broker_service_require (self, name, client, now);
    if (!service) {
        if (client->created >= self->limits.peer_services)
            broker_refuse (self, frames, count, header,
                           KJ__CODE__RESOURCE_EXHAUSTED, NULL, "429",
                           "this client already waits on %zu services that no "
                           "worker serves, the most one client may; '%s' was "
                           "refused",
                           client->created, name);
        else
            broker_refuse (self, frames, count, header,
                           KJ__CODE__RESOURCE_EXHAUSTED, NULL, "429",
                           "the broker knows too many services (%zu); '%s' was "
                           "refused",
                           self->limits.max_services, name);
        broker_client_release (self, client);
        goto done;
    }
    if (service->queued >= self->limits.queue_max
        || service->queued_bytes + bytes > self->limits.queue_max_bytes) {
        broker_refuse (self, frames, count, header,
                       KJ__CODE__RESOURCE_EXHAUSTED, NULL, "429",
                       "the queue of service '%s' is full (%zu "
                       "requests, %zu bytes)",
                       name, service->queued, service->queued_bytes);
        broker_client_release (self, client);
        goto done;
    }
    request_t *request = broker_request_new (self, nbody);
    zmq_msg_init (&request->client_id);
    zmq_msg_move (&request->client_id, &frames [0]);
    zmq_msg_init (&request->service_frame);
    zmq_msg_move (&request->service_frame, &frames [3]);
    for (int i = 0; i < nbody; i++) {
        zmq_msg_init (&request->body [i]);
        zmq_msg_move (&request->body [i], &frames [4 + i]);
    }
    broker_close_frames (frames, count);
    request->bytes = bytes;
    request->cost = cost;
    self->bytes += cost;
    request->received_us = now;
    request->service = service;
    request->client = client;
    request->compact = compact;
    client->pending++;
    //  Any 32-bit timeout_ms is taken, capped to max_wait_ms
    int64_t wait_ms = self->limits.default_wait_ms;
    if (header) {
        //  On an insecure node the broker vouches for nobody: the caller
        //  the client wrote goes through as written (development only)
        if (caller)
            broker_stamp (self, request, header, caller);
        request->kejin = true;
        request->request_id = header->request_id;
        request->retry_safe = header->retry_safe;
        if (header->timeout_ms)
            wait_ms = header->timeout_ms;
    }
    else
        request->retry_safe = service->retry_safe;
    if (wait_ms > self->limits.max_wait_ms)
        wait_ms = self->limits.max_wait_ms;
    request->expires_us = now + wait_ms * 1000;
    service->idle_since_us = now;
    broker_queue_push (self, service, request, false);
    broker_dispatch (self, service, now);
done:
    if (header)
        kj__request_header__free_unpacked (header, NULL);
}
