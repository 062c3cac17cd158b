/*  =========================================================================
    kj_worker - MDP/0.1 worker that serves one protobuf service

    Frames, as the broker sees them (RFC 7/MDP):
        READY       [] ["MDPW01"] [0x01] [service] ["KJ\x01" WorkerHello]
        REQUEST     [] ["MDPW01"] [0x02] [address] [] [header] [payload]
        REPLY       [] ["MDPW01"] [0x03] [address] [] [header] [payload]
        HEARTBEAT   [] ["MDPW01"] [0x04]
        DISCONNECT  [] ["MDPW01"] [0x05]
    The extra READY frame is Kejin's credit extension; the broker answers a
    worker that sent it exactly as it answers any other. Its WorkerHello
    also asks for the compact framing (kj_mdp.h): a broker that takes it
    sends REQUEST as ["KJW01" record...], one frame holding one or more
    requests, and this worker answers them the same way, every reply of
    one message in one frame; HEARTBEAT, DISCONNECT and anything from a
    broker that sends MDP stay as above.

    This file is the call path: the broker's frames, a request decoded
    and dispatched, the reply sent. A call's memory and what a handler
    reads of it are in kj_call.c; a KJ_WRITE method's transaction and
    idempotency in kj_worker_write.c.
    =========================================================================
*/

#include "kejin.h"
#include "kj_worker_private.h"

#define FLUSH_REPLIES 16   //  KJW01 replies sent together, at most
#define FLUSH_US      250  //  time a gathered reply waits, at most
#define BATCH_MAX     32   //  KJ_BATCH calls served together, at most

//  --------------------------------------------------------------------------
//  Connection to the broker

//  Send a command; 0, or -1 (logged) when the socket refused it, which the
//  heartbeat then repairs by reconnecting if the broker is gone.
static int
s_send_command (kj_worker_t *self, int command, zmsg_t *extra)
{
    zmsg_t *msg = extra ? extra : zmsg_new ();
    zmsg_pushmem (msg, &(byte){ (byte) command }, 1);
    zmsg_pushstr (msg, KJ_MDPW);
    zmsg_pushmem (msg, NULL, 0);
    if (zmsg_send (&msg, self->sock) == 0)
        return 0;
    kj_warn ("worker.send_failed", "service=%s command=%d reason=\"%s\"",
             self->config.service, command, zmq_strerror (zmq_errno ()));
    zmsg_destroy (&msg);  //  zmsg_send keeps it when it fails
    return -1;
}

static void
s_connect (kj_worker_t *self)
{
    zsock_destroy (&self->sock);
    self->sock = zsock_new (ZMQ_DEALER);
    assert (self->sock);
    zsock_set_linger (self->sock, 0);
    zsock_set_maxmsgsize (self->sock, KJ_MAX_MSG_SIZE);
    zsock_set_sndhwm (self->sock, 100000);
    zsock_set_rcvhwm (self->sock, 100000);
    //  With the node's keys: the daemon's service key (KEJIN_KEY, else
    //  named as the service up to its first '.': events.writer -> events)
    char name [64];
    kj_strlcpy (name, self->config.service, sizeof name);
    name [strcspn (name, ".")] = 0;
    kj_keys_client_env (self->sock, name);
    if (zsock_connect (self->sock, "%s", self->config.endpoint)) {
        kj_error ("worker.connect_failed", "endpoint=%s reason=\"%s\"",
                  self->config.endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->sock);
        self->reconnect_at = kj_mono_us () + 1000000;
        return;
    }
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    hello.credit = (uint32_t) self->config.credit;
    hello.version = (char *) KEJIN_VERSION;
    hello.pid = (uint32_t) getpid ();
    hello.instance = self->instance;
    char host [64] = "";
    gethostname (host, sizeof host - 1);
    host [strcspn (host, ".")] = 0;  //  the short name, as `hostname -s`
    hello.host = host;
    hello.compact = true;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, self->config.service);
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (&hello.base, true) });
    s_send_command (self, KJ_MDPW_READY, msg);

    int64_t now = kj_mono_us ();
    int64_t interval = (int64_t) self->config.heartbeat_ms * 1000;
    self->heartbeat_at = now + interval;
    self->expiry_at = now + interval * self->config.liveness;
    kj_info ("worker.ready", "service=%s instance=%s endpoint=%s credit=%d",
             self->config.service, self->instance, self->config.endpoint,
             self->config.credit);
}

kj_worker_t *
kj_worker_new (const kj_worker_config_t *config)
{
    assert (config->endpoint && config->service && config->descriptor);
    kj_worker_t *self = (kj_worker_t *) zmalloc (sizeof (kj_worker_t));
    self->config = *config;
    if (self->config.credit < 1)
        self->config.credit = 1;
    if (self->config.heartbeat_ms <= 0)
        self->config.heartbeat_ms = 2500;
    if (self->config.liveness <= 0)
        self->config.liveness = 3;
    kj_strlcpy (self->instance,
                config->instance ? config->instance : config->service,
                sizeof self->instance);
    self->started_us = kj_mono_us ();

    //  Every method of the service has its handler: adding a method to the
    //  .proto file without one is a programming mistake.
    const ProtobufCServiceDescriptor *desc = config->descriptor;
    self->handlers = (kj_handler_fn **) zmalloc (desc->n_methods
                                                 * sizeof (kj_handler_fn *));
    self->flags = (int *) zmalloc (desc->n_methods * sizeof (int));
    self->batches = (kj_batch_fn **) zmalloc (desc->n_methods
                                              * sizeof (kj_batch_fn *));
    for (const kj_method_t *method = config->methods; method && method->name;
         method++) {
        const ProtobufCMethodDescriptor *md =
            protobuf_c_service_descriptor_get_method_by_name (desc,
                                                              method->name);
        assert (md);
        unsigned index = (unsigned) (md - desc->methods);
        self->handlers [index] = method->handler;
        self->flags [index] = method->flags;
        assert (!(method->flags & KJ_WRITE) || config->db);
        //  A batch is a write's: one transaction, keyed calls
        assert (!(method->flags & KJ_BATCH)
                || ((method->flags & KJ_WRITE) && method->batch));
        self->batches [index] = method->flags & KJ_BATCH ? method->batch : NULL;
    }
    for (unsigned index = 0; index < desc->n_methods; index++)
        if (!self->handlers [index]) {
            kj_error ("worker.no_handler", "service=%s method=%s", desc->name,
                      desc->methods [index].name);
            assert (false);
        }
    return self;
}

void
kj_worker_destroy (kj_worker_t **self_p)
{
    if (*self_p) {
        kj_worker_t *self = *self_p;
        zsock_destroy (&self->sock);
        free (self->spare);
        zchunk_destroy (&self->batch);
        free (self->handlers);
        free (self->flags);
        free (self->batches);
        free (self);
        *self_p = NULL;
    }
}

void
kj_worker_stop (kj_worker_t *self)
{
    atomic_store (&self->stop, true);
}

uint64_t
kj_worker_served (kj_worker_t *self)
{
    return self->served;
}

void
kj_call_keepalive (kj_call_t *call)
{
    kj_worker_t *self = call->worker;
    int64_t now = kj_mono_us ();
    if (self->sock && now >= self->heartbeat_at) {
        s_send_command (self, KJ_MDPW_HEARTBEAT, NULL);
        self->heartbeat_at = now + (int64_t) self->config.heartbeat_ms * 1000;
    }
}

//  --------------------------------------------------------------------------
//  Replies

//  Send the KJW01 replies gathered so far, as one frame.

static void
s_batch_flush (kj_worker_t *self)
{
    if (zchunk_size (self->batch) <= KJ_KJX_SIZE)
        return;
    if (zmq_send (zsock_resolve (self->sock), zchunk_data (self->batch),
                  zchunk_size (self->batch), 0)
        < 0)
        kj_warn ("worker.send_failed", "service=%s command=%d reason=\"%s\"",
                 self->config.service, KJ_MDPW_REPLY,
                 zmq_strerror (zmq_errno ()));
    zchunk_set (self->batch, KJ_KJW, KJ_KJX_SIZE);
}

//  A reply: into the KJW01 batch while one is open, else an MDP REPLY.
//  Takes the frames.

static void
s_send_reply (kj_worker_t *self, zframe_t **address_p, zframe_t *header,
              zframe_t *payload)
{
    if (self->batching) {
        size_t hsize = zframe_size (header);
        size_t psize = payload ? zframe_size (payload) : 0;
        size_t size = 1 + 8 + KJ_PART_HEAD + hsize
                    + (payload ? KJ_PART_HEAD + psize : 0);
        uint8_t head [4 + 1 + 8 + KJ_PART_HEAD];
        kj_put_u32 (head, (uint32_t) size);
        head [4] = KJ_MDPW_REPLY;
        memcpy (head + 5, zframe_data (*address_p), 8);
        kj_put_u32 (head + 13, (uint32_t) hsize);
        zchunk_extend (self->batch, head, sizeof head);
        zchunk_extend (self->batch, zframe_data (header), hsize);
        if (payload) {
            uint8_t psize_bytes [KJ_PART_HEAD];
            kj_put_u32 (psize_bytes, (uint32_t) psize);
            zchunk_extend (self->batch, psize_bytes, KJ_PART_HEAD);
            zchunk_extend (self->batch, zframe_data (payload), psize);
        }
        zframe_destroy (address_p);
        zframe_destroy (&header);
        zframe_destroy (&payload);
        self->served++;
        return;
    }
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, address_p);
    zmsg_addmem (msg, NULL, 0);
    zmsg_append (msg, &header);
    if (payload)
        zmsg_append (msg, &payload);
    s_send_command (self, KJ_MDPW_REPLY, msg);
    self->served++;
}

static void
s_reply_status (kj_worker_t *self, zframe_t **address_p, uint64_t request_id,
                const kj_status_t *status)
{
    s_send_reply (self, address_p, kj_proto_reply_frame (request_id, status),
                  NULL);
}

void
kj_worker_reply (kj_worker_t *self, zframe_t **address_p, uint64_t request_id,
                 zframe_t *payload)
{
    kj_status_t ok;
    kj_status_ok (&ok);
    s_send_reply (self, address_p, kj_proto_reply_frame (request_id, &ok),
                  payload);
}

//  --------------------------------------------------------------------------
//  Run the handler once. Returns the packed reply payload, or NULL with
//  call->status saying why.

zframe_t *
kj_worker_invoke (kj_call_t *call, const ProtobufCMethodDescriptor *md,
                  kj_handler_fn *handler, const ProtobufCMessage *input)
{
    ProtobufCMessage *output = (ProtobufCMessage *)
        kj_call_message (call, md->output);
    if (handler (call, input, output) != 0) {
        if (call->status.code == KJ__CODE__OK)
            kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                          "%s failed without saying why", md->name);
        return NULL;
    }
    call->status.code = KJ__CODE__OK;
    call->reply = output;
    return kj_proto_frame (output, false);
}

//  Record the call in the daemon's audit trail, if it keeps one: 0 or -1.
int
kj_worker_audit (kj_call_t *call, const ProtobufCMethodDescriptor *md,
                 const ProtobufCMessage *input, int code)
{
    kj_worker_t *self = call->worker;
    if (!self->config.audit)
        return 0;
    return self->config.audit (self->config.hooks, call, md, input,
                               code == KJ__CODE__OK ? call->reply : NULL, code);
}

//  --------------------------------------------------------------------------
//  One request: [address] [] [header] [payload]

//  --------------------------------------------------------------------------
//  The built-in Health: what the worker knows, then the daemon's hook.

static zframe_t *
s_health (kj_call_t *call)
{
    kj_worker_t *self = call->worker;
    Kj__Health *health = (Kj__Health *)
        kj_call_message (call, &kj__health__descriptor);
    health->service = (char *) self->config.service;
    health->instance = self->instance;
    health->worker = self->instance;
    health->pid = (uint32_t) getpid ();
    health->uptime_us = (uint64_t) (kj_mono_us () - self->started_us);
    health->version = (char *) KEJIN_VERSION;
    health->workers = 1;
    if (self->config.health
        && self->config.health (self->config.hooks, call, health)) {
        if (call->status.code == KJ__CODE__OK)
            kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                          "Health failed without saying why");
        return NULL;
    }
    return kj_proto_frame (&health->base, false);
}

//  A refusal of who called, audited whatever the method
static bool
s_refused (int code)
{
    return code == KJ__CODE__PERMISSION_DENIED
        || code == KJ__CODE__UNAUTHENTICATED;
}

//  Decode the payload and run the method's handler, or the built-in
//  Health; sets *index for the done hook. The reply payload, or NULL with
//  call->status saying why.

static zframe_t *
s_dispatch (kj_worker_t *self, kj_call_t *call, zframe_t *payload, int *index)
{
    const Kj__RequestHeader *header = call->header;
    const ProtobufCServiceDescriptor *desc = self->config.descriptor;
    const ProtobufCMethodDescriptor *md =
        protobuf_c_service_descriptor_get_method_by_name (desc, header->method);
    *index = -1;
    //  A call the broker refused for the caller's rights comes without a
    //  body: it is recorded, as a refusal, and answered with the broker's
    //  reason; nothing runs, whatever the method
    const char *refused = kj_call_caller (call)->refused;
    if (refused && *refused) {
        ProtobufCMethodDescriptor named = { header->method, NULL, NULL };
        if (md)
            *index = (int) (md - desc->methods);
        kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "method", "%s",
                      refused);
        if (kj_worker_audit (call, md ? md : &named, NULL, call->status.code))
            kj_warn ("worker.audit_failed", "method=%s code=%s", header->method,
                     kj_code_name (call->status.code));
        return NULL;
    }
    if (!md && streq (header->method, "Health")) {
        *index = (int) desc->n_methods;
        return s_health (call);
    }
    if (!md && streq (header->method, "AuditVerify") && self->config.verify) {
        kj_status_t bad;
        Kj__AuditVerifyRequest *ask = (Kj__AuditVerifyRequest *)
            kj_proto_unpack (&kj__audit_verify_request__descriptor,
                             payload ? zframe_data (payload) : NULL,
                             payload ? zframe_size (payload) : 0, &bad);
        if (!ask) {
            kj_call_fail (call, bad.code, bad.field, "request body: %s",
                          bad.message);
            return NULL;
        }
        Kj__AuditVerify *verify = (Kj__AuditVerify *)
            kj_call_message (call, &kj__audit_verify__descriptor);
        int rc = self->config.verify (self->config.hooks, call, ask, verify);
        protobuf_c_message_free_unpacked (&ask->base, NULL);
        if (rc) {
            if (call->status.code == KJ__CODE__OK)
                kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                              "AuditVerify failed without saying why");
            return NULL;
        }
        return kj_proto_frame (&verify->base, false);
    }
    if (!md) {
        kj_call_fail (call, KJ__CODE__UNIMPLEMENTED, "method",
                      "service '%s' has no method '%s'", self->config.service,
                      header->method);
        return NULL;
    }
    *index = (int) (md - desc->methods);
    if (self->config.admit
        && self->config.admit (self->config.hooks, call, md)) {
        if (call->status.code == KJ__CODE__OK)
            kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, NULL, "%s refused",
                          md->name);
        if (kj_worker_audit (call, md, NULL, call->status.code))
            kj_warn ("worker.audit_failed", "method=%s code=%s", md->name,
                     kj_code_name (call->status.code));
        return NULL;
    }
    //  Size, depth and count limits checked before protobuf-c allocates
    kj_status_t bad;
    ProtobufCMessage *input = kj_proto_unpack (md->input,
                                               payload ? zframe_data (payload)
                                                       : NULL,
                                               payload ? zframe_size (payload)
                                                       : 0,
                                               &bad);
    if (!input) {
        kj_call_fail (call, bad.code, bad.field, "request body: %s",
                      bad.message);
        return NULL;
    }
    zframe_t *reply;
    bool write = self->flags [*index] & KJ_WRITE;
    if (write)
        reply = kj_worker_invoke_write (call, md, self->handlers [*index],
                                        input, payload);
    else {
        kj_db_t *db = self->config.db;
        uint64_t trips = db ? kj_db_round_trips (db) : 0;
        int64_t at = kj_mono_us ();
        reply = kj_worker_invoke (call, md, self->handlers [*index], input);
        kj_debug ("worker.read",
                  "method=%s handler_us=%" PRId64 " handler_trips=%" PRIu64,
                  md->name, kj_mono_us () - at,
                  db ? kj_db_round_trips (db) - trips : 0);
    }
    //  A failed write is recorded after its rollback, on its own
    if (!reply && (write || s_refused (call->status.code))
        && kj_worker_audit (call, md, input, call->status.code))
        kj_warn ("worker.audit_failed", "method=%s code=%s", md->name,
                 kj_code_name (call->status.code));
    protobuf_c_message_free_unpacked (input, NULL);
    return reply;
}

//  One request, its header decoded: run it and send the reply
void
kj_worker_serve (kj_worker_t *self, zframe_t **address_p,
                 const Kj__RequestHeader *header, zframe_t *payload,
                 int64_t arrived)
{
    //  Messages in the caller's language, for this request only
    locale_t previous_locale = kj_i18n_use (header->lang);
    kj_call_t call = { .worker = self, .header = header };
    kj_status_ok (&call.status);
    int index;
    zframe_t *reply = s_dispatch (self, &call, payload, &index);
    //  Counted before it leaves, so that whoever saw the reply finds it
    //  counted
    if (self->config.done)
        self->config.done (self->config.hooks, &call, index,
                           reply ? KJ__CODE__OK : call.status.code,
                           kj_mono_us () - arrived);
    if (reply)
        kj_worker_reply (self, address_p, header->request_id, reply);
    else {
        if (call.status.code == KJ__CODE__INTERNAL
            || call.status.code == KJ__CODE__UNAVAILABLE)
            kj_warn ("worker.failed", "method=%s code=%s message=\"%s\"",
                     header->method, kj_code_name (call.status.code),
                     call.status.message);
        s_reply_status (self, address_p, header->request_id, &call.status);
    }
    kj_call_reset (&call);
    kj_i18n_restore (previous_locale);
}

static void
s_handle_request (kj_worker_t *self, zmsg_t *msg)
{
    int64_t arrived = kj_mono_us ();
    zframe_t *address = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *head = zmsg_pop (msg);
    zframe_t *payload = zmsg_pop (msg);
    if (!address || !empty || zframe_size (empty) || !head) {
        kj_warn ("worker.bad_request", "frames=%zu", zmsg_size (msg) + 4);
        if (address && empty && !zframe_size (empty)) {
            zmsg_t *reply = zmsg_new ();
            zmsg_append (reply, &address);
            zmsg_addmem (reply, NULL, 0);
            zmsg_addstr (reply, "400");
            zmsg_addstr (reply, "empty request body");
            s_send_command (self, KJ_MDPW_REPLY, reply);
        }
        goto done;
    }
    Kj__RequestHeader *header = kj_proto_request_header (zframe_data (head),
                                                         zframe_size (head));
    if (!header) {
        //  A plain MDP client: answer in plain text frames
        zmsg_t *reply = zmsg_new ();
        zmsg_append (reply, &address);
        zmsg_addmem (reply, NULL, 0);
        zmsg_addstr (reply, "400");
        zmsg_addstr (reply, "not a Kejin request: the first body frame must "
                            "be \"KJ\\x01\" and a kj.RequestHeader");
        s_send_command (self, KJ_MDPW_REPLY, reply);
        goto done;
    }

    kj_worker_serve (self, &address, header, payload, arrived);
    kj__request_header__free_unpacked (header, NULL);
done:
    zframe_destroy (&address);
    zframe_destroy (&empty);
    zframe_destroy (&head);
    zframe_destroy (&payload);
}

//  --------------------------------------------------------------------------
//  Take one message from the broker. Anything malformed is logged and
//  dropped: the broker is trusted, but not to the point of asserting.

//  ["KJW01" record...]: each record a REQUEST [0x02] [handle] [part]...,
//  served as its MDP form would be; the replies go back gathered, sent
//  when the message is done, and every FLUSH_REPLIES replies or
//  FLUSH_US of a long one, so that the broker and the clients work on
//  the first replies while this worker serves the rest.

//  A request whose method runs its calls together (KJ_BATCH), with a key
//  and not refused by the broker: its method's index, else -1
static int
s_batchable (kj_worker_t *self, const Kj__RequestHeader *header)
{
    const ProtobufCServiceDescriptor *desc = self->config.descriptor;
    const ProtobufCMethodDescriptor *md =
        protobuf_c_service_descriptor_get_method_by_name (desc, header->method);
    if (!md || !self->batches [md - desc->methods] || !header->idempotency_key
        || !*header->idempotency_key)
        return -1;
    const char *refused = header->caller ? header->caller->refused : NULL;
    return refused && *refused ? -1 : (int) (md - desc->methods);
}

//  Serve the requests gathered for a batch: together when there are two
//  or more; then free them
static void
s_batch_run (kj_worker_t *self, int index, kj_batch_item_t *items, int *n_p)
{
    int n = *n_p;
    if (n == 1)
        kj_worker_serve (self, &items [0].address, items [0].header,
                         items [0].payload, items [0].arrived);
    else if (n > 1)
        kj_worker_batch (self, index, items, n);
    for (int i = 0; i < n; i++) {
        zframe_destroy (&items [i].address);
        zframe_destroy (&items [i].payload);
        kj__request_header__free_unpacked (items [i].header, NULL);
    }
    *n_p = 0;
}

//  ["KJW01" record...]: each record a REQUEST [0x02] [handle] [part]...,
//  served as its MDP form would be; the replies go back gathered, sent
//  when the message is done, and every FLUSH_REPLIES replies or
//  FLUSH_US of a long one, so that the broker and the clients work on
//  the first replies while this worker serves the rest. Requests of a
//  KJ_BATCH method that come one after another are served together
//  (kj_worker_batch.c), BATCH_MAX at most.

//  A message already waiting on the socket, without waiting for one
static zmsg_t *
s_recv_waiting (kj_worker_t *self)
{
    zsock_set_rcvtimeo (self->sock, 0);
    return zmsg_recv (self->sock);
}

//  Returns a message it received and did not handle (not a KJW01 one),
//  for the caller to handle next, or NULL
static zmsg_t *
s_handle_compact (kj_worker_t *self, zframe_t *frame)
{
    if (!self->batch)
        self->batch = zchunk_new (NULL, 4096);
    zchunk_set (self->batch, KJ_KJW, KJ_KJX_SIZE);
    self->batch_from = kj_mono_us ();
    self->batching = true;
    int gathered = 0;
    kj_batch_item_t items [BATCH_MAX];
    int n = 0, index = -1;
    zmsg_t *more = NULL, *next = NULL;
    while (frame) {
        const uint8_t *data = zframe_data (frame);
        const uint8_t *at = data + KJ_KJX_SIZE,
                      *end = data + zframe_size (frame);
        const uint8_t *record;
        size_t size;
        int rc;
        while ((rc = kj_compact_next (&at, end, &record, &size)) == 1) {
            kj_part_t parts [2];
            int nparts = size >= 9 && record [0] == KJ_MDPW_REQUEST
                           ? kj_compact_parts (record + 9, size - 9, parts, 2)
                           : -1;
            if (nparts < 0) {
                rc = -1;
                break;
            }
            Kj__RequestHeader *header =
                nparts > 0
                    ? kj_proto_request_header (parts [0].data, parts [0].size)
                    : NULL;
            int batchable = header ? s_batchable (self, header) : -1;
            if (n && (batchable != index || n == BATCH_MAX)) {
                gathered += n;
                s_batch_run (self, index, items, &n);
            }
            if (header) {
                kj_batch_item_t item = {
                    zframe_new (record + 1, 8), header,
                    nparts > 1 ? zframe_new (parts [1].data, parts [1].size)
                               : NULL,
                    kj_mono_us ()
                };
                items [n++] = item;
                index = batchable;
                if (batchable < 0) {
                    gathered += n;
                    s_batch_run (self, index, items, &n);  //  alone
                }
            }
            else {
                //  As MDP has it: [address] [] [header] [payload]; the
                //  request path answers what is not a Kejin request
                zmsg_t *msg = zmsg_new ();
                zmsg_addmem (msg, record + 1, 8);
                zmsg_addmem (msg, NULL, 0);
                for (int i = 0; i < nparts && i < 2; i++)
                    zmsg_addmem (msg, parts [i].data, parts [i].size);
                s_handle_request (self, msg);
                zmsg_destroy (&msg);
                gathered++;
            }
            if (n == 0
                && (gathered >= FLUSH_REPLIES
                    || kj_mono_us () - self->batch_from > FLUSH_US)) {
                s_batch_flush (self);
                self->batch_from = kj_mono_us ();
                gathered = 0;
            }
        }
        if (rc < 0)
            kj_warn ("worker.bad_message", "service=%s framing=KJW01 at=%zu",
                     self->config.service, (size_t) (at - data));
        //  Calls that may run together: those that waited behind this
        //  message join them (the broker sends what reached a worker with
        //  credit as it comes, a message a call)
        zmsg_destroy (&more);
        frame = NULL;
        if (n > 0 && n < BATCH_MAX && (more = s_recv_waiting (self))) {
            zframe_t *first = zmsg_first (more);
            if (zmsg_size (more) == 1
                && kj_compact_is (zframe_data (first), zframe_size (first),
                                  KJ_KJW))
                frame = first;
            else {
                next = more;  //  the caller's to handle
                more = NULL;
            }
        }
    }
    gathered += n;
    s_batch_run (self, index, items, &n);
    s_batch_flush (self);
    self->batching = false;
    return next;
}

static void
s_handle_message (kj_worker_t *self, zmsg_t *msg)
{
    int64_t now = kj_mono_us ();
    self->expiry_at = now
                    + (int64_t) self->config.heartbeat_ms * 1000
                          * self->config.liveness;
    zframe_t *first = zmsg_first (msg);
    if (zmsg_size (msg) == 1
        && kj_compact_is (zframe_data (first), zframe_size (first), KJ_KJW)) {
        zmsg_t *next = s_handle_compact (self, first);
        self->expiry_at = kj_mono_us ()
                        + (int64_t) self->config.heartbeat_ms * 1000
                              * self->config.liveness;
        if (next) {
            s_handle_message (self, next);
            zmsg_destroy (&next);
        }
        return;
    }
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *proto = zmsg_pop (msg);
    zframe_t *command = zmsg_pop (msg);
    if (!empty || zframe_size (empty) || !proto
        || !zframe_streq (proto, KJ_MDPW) || !command
        || zframe_size (command) != 1)
        kj_warn ("worker.bad_message", "service=%s", self->config.service);
    else
        switch (zframe_data (command) [0]) {
            case KJ_MDPW_REQUEST:
                s_handle_request (self, msg);
                //  The broker may have said nothing while we were busy
                self->expiry_at = kj_mono_us ()
                                + (int64_t) self->config.heartbeat_ms * 1000
                                      * self->config.liveness;
                break;
            case KJ_MDPW_HEARTBEAT:
                break;
            case KJ_MDPW_DISCONNECT:
                kj_info ("worker.disconnected", "service=%s reason=broker",
                         self->config.service);
                s_connect (self);
                break;
            default:
                kj_warn ("worker.bad_command", "command=%d",
                         zframe_data (command) [0]);
        }
    zframe_destroy (&empty);
    zframe_destroy (&proto);
    zframe_destroy (&command);
}

int
kj_worker_run (kj_worker_t *self)
{
    s_connect (self);
    while (!atomic_load (&self->stop) && !kj_stopping ()) {
        int64_t now = kj_mono_us ();
        if (!self->sock) {
            if (now >= self->reconnect_at)
                s_connect (self);
            else
                zclock_sleep (100);
            continue;
        }
        //  A blocking receive with what is left until the next heartbeat
        //  as its timeout: a request already waiting costs no system call
        //  (a poll, then a look at the socket's events before each
        //  receive, cost two or three per request)
        int64_t wake = self->heartbeat_at < self->expiry_at ? self->heartbeat_at
                                                            : self->expiry_at;
        int timeout = wake > now ? (int) ((wake - now) / 1000) + 1 : 0;
        if (timeout > 200)
            timeout = 200;  //  see a stop request soon enough
        zsock_set_rcvtimeo (self->sock, timeout);
        zmsg_t *msg = zmsg_recv (self->sock);
        if (msg) {
            s_handle_message (self, msg);
            zmsg_destroy (&msg);
        }
        else if (zmq_errno () != EAGAIN && zmq_errno () != EINTR)
            break;
        now = kj_mono_us ();
        if (now >= self->expiry_at) {
            kj_warn ("worker.broker_silent",
                     "service=%s endpoint=%s "
                     "action=reconnect",
                     self->config.service, self->config.endpoint);
            s_connect (self);
        }
        else if (now >= self->heartbeat_at) {
            s_send_command (self, KJ_MDPW_HEARTBEAT, NULL);
            self->heartbeat_at = now
                               + (int64_t) self->config.heartbeat_ms * 1000;
        }
    }
    if (self->sock) {
        s_send_command (self, KJ_MDPW_DISCONNECT, NULL);
        //  Give the DISCONNECT a moment to leave before the socket closes
        zsock_set_linger (self->sock, 500);
        zsock_destroy (&self->sock);
    }
    kj_info ("worker.stopped", "service=%s instance=%s served=%" PRIu64,
             self->config.service, self->instance, self->served);
    return 0;
}
