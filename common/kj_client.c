/*  =========================================================================
    kj_client - MDP/0.1 client with Kejin bodies

    One DEALER socket to the broker. A request is
        [] ["MDPC01"] [service] ["KJ\x01" RequestHeader] [payload]
    and its reply
        [] ["MDPC01"] [service] ["KJ\x01" ReplyHeader] [payload, on OK]
    Replies are matched by the request id in their header, so a late reply
    to an attempt that timed out is recognised and dropped.

    Before its first request the client asks kejin.broker Hello; once a
    broker answers OK, requests go in the compact framing (kj_mdp.h), one
    frame each, ["KJC01" [size] [service-size] [service] [header]
    [payload]], and replies may come several to a frame. A broker that
    does not know Hello answers UNIMPLEMENTED, and MDP goes on.
    =========================================================================
*/

#include "kejin.h"

struct _kj_client_t {
    char *endpoint;    //  broker endpoint
    zsock_t *sock;     //  DEALER to the broker
    uint64_t next_id;  //  next request id (never 0)
    int timeout_ms;    //  default per attempt
    int retries;       //  default attempts after the first
    char *caller;      //  identity claimed in each header, or NULL
    bool compact;      //  the broker takes KJC01
    uint64_t hello;    //  request id of the Hello in flight, or 0
    bool asked;        //  the Hello went out
    zframe_t *batch;   //  a KJC01 reply frame being read, or NULL
    size_t read;       //  how far into batch
};

static zsock_t *
s_connect (const char *endpoint)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert (sock);
    zsock_set_linger (sock, 0);
    zsock_set_maxmsgsize (sock, KJ_MAX_MSG_SIZE);
    zsock_set_sndhwm (sock, 100000);
    zsock_set_rcvhwm (sock, 100000);
    //  With the node's keys: the process's own, the CLI's "operator"
    kj_keys_client_env (sock, "operator");
    if (zsock_connect (sock, "%s", endpoint)) {
        kj_error ("client.connect_failed", "endpoint=%s reason=\"%s\"",
                  endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

kj_client_t *
kj_client_new (const char *endpoint)
{
    kj_client_t *self = (kj_client_t *) zmalloc (sizeof (kj_client_t));
    self->endpoint = strdup (endpoint);
    self->sock = s_connect (endpoint);
    if (!self->sock) {
        kj_client_destroy (&self);
        return NULL;
    }
    //  Random start, so that two clients' ids rarely meet in one log
    self->next_id = ((uint64_t) randof (0x7fffffff) << 24) + 1;
    self->timeout_ms = 5000;
    self->retries = 2;
    return self;
}

void
kj_client_destroy (kj_client_t **self_p)
{
    if (*self_p) {
        kj_client_t *self = *self_p;
        zsock_destroy (&self->sock);
        zframe_destroy (&self->batch);
        free (self->caller);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

void
kj_client_set_timeout (kj_client_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms;
}

void
kj_client_set_retries (kj_client_t *self, int retries)
{
    self->retries = retries < 0 ? 0 : retries;  //  as a call's < 0: none
}

void
kj_client_set_caller (kj_client_t *self, const char *identity)
{
    free (self->caller);
    self->caller = identity && *identity ? strdup (identity) : NULL;
}

zsock_t *
kj_client_sock (kj_client_t *self)
{
    return self->sock;
}

//  --------------------------------------------------------------------------
//  Send one attempt of a request. The header carries the time left, so that
//  the broker drops the request rather than deliver it after we gave up.

static int
s_send (kj_client_t *self, uint64_t request_id, const char *service,
        const char *method, const ProtobufCMessage *request, int timeout_ms,
        const char *key, bool retry_safe)
{
    if (!self->asked) {
        //  Does the broker take KJC01? Its answer comes with the replies
        self->asked = true;
        self->hello = self->next_id++;
        Kj__BrokerStatsRequest hello = KJ__BROKER_STATS_REQUEST__INIT;
        if (s_send (self, self->hello, "kejin.broker", "Hello", &hello.base,
                    timeout_ms, NULL, true))
            self->hello = 0;
    }
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = request_id;
    header.method = (char *) method;
    //  The broker's deadline comes a little before ours, so that its clear
    //  error ("no worker came") reaches us before we give up waiting
    header.timeout_ms = timeout_ms > 0
                          ? (uint32_t) (timeout_ms - timeout_ms / 10)
                          : 0;
    header.idempotency_key = (char *) (key ? key : "");
    header.retry_safe = retry_safe;
    header.lang = (char *) kj_i18n_lang ();
    Kj__Caller caller = KJ__CALLER__INIT;
    if (self->caller) {
        caller.identity = self->caller;
        header.caller = &caller;
    }

    zframe_t *head = kj_proto_frame (&header.base, true);
    zframe_t *body = kj_proto_frame (request, false);
    zmsg_t *msg = zmsg_new ();
    size_t service_size = strlen (service);
    if (self->compact && service_size <= 255) {
        //  ["KJC01" [size] [service-size] [service] [header] [payload]]
        size_t size = KJ_KJX_SIZE + 4 + 1 + service_size + 2 * KJ_PART_HEAD
                    + zframe_size (head) + zframe_size (body);
        zframe_t *frame = zframe_new (NULL, size);
        uint8_t *at = zframe_data (frame);
        memcpy (at, KJ_KJC, KJ_KJX_SIZE);
        kj_put_u32 (at + KJ_KJX_SIZE, (uint32_t) (size - KJ_KJX_SIZE - 4));
        at += KJ_KJX_SIZE + 4;
        *at++ = (uint8_t) service_size;
        memcpy (at, service, service_size);
        at += service_size;
        at += kj_compact_put_part (at, zframe_data (head), zframe_size (head));
        kj_compact_put_part (at, zframe_data (body), zframe_size (body));
        zmsg_append (msg, &frame);
        zframe_destroy (&head);
        zframe_destroy (&body);
    }
    else {
        zmsg_addmem (msg, NULL, 0);
        zmsg_addstr (msg, KJ_MDPC);
        zmsg_addstr (msg, service);
        zmsg_append (msg, &head);
        zmsg_append (msg, &body);
    }
    //  A broker that refused our handshake (no key, or the wrong one)
    //  leaves no pipe to queue in: give up after the call's timeout
    zsock_set_sndtimeo (self->sock, timeout_ms > 0 ? timeout_ms : -1);
    if (zmsg_send (&msg, self->sock) == 0)
        return 0;
    //  zmsg_send keeps the message when it fails
    kj_warn ("client.send_failed", "service=%s method=%s reason=\"%s\"",
             service, method, zmq_strerror (zmq_errno ()));
    zmsg_destroy (&msg);
    return -1;
}

//  The idempotency key of a call: the caller's, none for a read, else a
//  new one written to key.

static const char *
s_idempotency_key (const kj_call_opts_t *opts, char key [37])
{
    if (opts && opts->idempotency_key)
        return opts->idempotency_key;
    if (opts && opts->read_only)
        return NULL;
    kj_uuid (key);
    return key;
}

uint64_t
kj_client_send (kj_client_t *self, const char *service, const char *method,
                const ProtobufCMessage *request, const kj_call_opts_t *opts)
{
    uint64_t request_id = self->next_id++;
    char key [37];
    const char *idem = s_idempotency_key (opts, key);
    int timeout = opts && opts->timeout_ms ? opts->timeout_ms
                                           : self->timeout_ms;
    if (s_send (self, request_id, service, method, request, timeout, idem,
                true))
        return 0;
    return request_id;
}

//  --------------------------------------------------------------------------
//  Decode one reply message. Returns 0 with the request id, status and
//  decoded payload; -1 if the message is not a Kejin reply (logged).

static int
s_decode (zmsg_t *msg, uint64_t *request_id,
          const ProtobufCMessageDescriptor *reply_type,
          ProtobufCMessage **reply_p, kj_status_t *status)
{
    if (reply_p)
        *reply_p = NULL;
    //  [] [MDPC01] [service] [header] [payload?]
    zframe_t *empty = zmsg_first (msg);
    zframe_t *proto = zmsg_next (msg);
    zframe_t *service = zmsg_next (msg);
    zframe_t *head = zmsg_next (msg);
    if (!empty || zframe_size (empty) || !proto
        || !zframe_streq (proto, KJ_MDPC) || !service || !head) {
        kj_warn ("client.bad_reply", "frames=%zu", zmsg_size (msg));
        return -1;
    }
    Kj__ReplyHeader *header = kj_proto_reply_header (zframe_data (head),
                                                     zframe_size (head));
    if (!header) {
        //  Not a Kejin body: a plain MDP error from the broker, ["503",
        //  "message"], or a worker that does not speak Kejin.
        zframe_t *text = zmsg_next (msg);
        char *code = zframe_strdup (head);
        char *message = text ? zframe_strdup (text) : strdup ("");
        *request_id = 0;
        kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL, "%s %s", code,
                       message);
        free (code);
        free (message);
        return 0;
    }
    *request_id = header->request_id;
    if (header->status && header->status->code != KJ__CODE__OK) {
        kj_status_set (status, header->status->code, header->status->field,
                       "%s", header->status->message);
        kj__reply_header__free_unpacked (header, NULL);
        return 0;
    }
    kj__reply_header__free_unpacked (header, NULL);
    kj_status_ok (status);
    if (reply_p && reply_type) {
        zframe_t *payload = zmsg_next (msg);
        size_t size = payload ? zframe_size (payload) : 0;
        const uint8_t *data = payload ? zframe_data (payload) : NULL;
        kj_status_t bad;
        *reply_p = kj_proto_unpack (reply_type, data, size, &bad);
        if (!*reply_p)
            kj_status_set (status, KJ__CODE__INTERNAL, bad.field, "reply: %s",
                           bad.message);
    }
    return 0;
}

//  The next record of the KJC01 frame being read, as the MDP message it
//  stands for ([] [MDPC01] [service] [part]...); NULL when none is left.
//  A frame that breaks off is logged and left.

static zmsg_t *
s_next_record (kj_client_t *self)
{
    if (!self->batch)
        return NULL;
    const uint8_t *data = zframe_data (self->batch);
    const uint8_t *at = data + self->read;
    const uint8_t *end = data + zframe_size (self->batch);
    const uint8_t *record;
    size_t size;
    int rc = kj_compact_next (&at, end, &record, &size);
    kj_part_t parts [4];
    int nparts = rc == 1 && size >= 1 && size - 1 >= record [0]
                   ? kj_compact_parts (record + 1 + record [0],
                                       size - 1 - record [0], parts, 4)
                   : -1;
    if (rc != 1 || nparts < 0) {
        if (rc != 0)
            kj_warn ("client.bad_reply", "framing=KJC01 at=%zu", self->read);
        zframe_destroy (&self->batch);
        return NULL;
    }
    self->read = (size_t) (at - data);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, KJ_MDPC);
    zmsg_addmem (msg, record + 1, record [0]);
    for (int i = 0; i < nparts && i < 4; i++)
        zmsg_addmem (msg, parts [i].data, parts [i].size);
    return msg;
}

int
kj_client_recv (kj_client_t *self, int timeout_ms, uint64_t *request_id,
                const ProtobufCMessageDescriptor *reply_type,
                ProtobufCMessage **reply_p, kj_status_t *status)
{
    //  A blocking receive with what is left of the timeout: a reply
    //  already waiting costs no system call (zmq_poll, then a receive,
    //  cost two or three)
    int64_t deadline = kj_mono_us () + (int64_t) timeout_ms * 1000;
    while (true) {
        int wait = timeout_ms < 0
                     ? -1
                     : (int) ((deadline - kj_mono_us () + 999) / 1000);
        if (timeout_ms >= 0 && wait < 0)
            wait = 0;
        zmsg_t *msg = s_next_record (self);
        if (!msg) {
            zsock_set_rcvtimeo (self->sock, wait);
            msg = zmsg_recv (self->sock);
        }
        if (!msg && zmq_errno () == EINTR && !kj_stopping ())
            continue;
        if (!msg)
            return -1;
        zframe_t *first = zmsg_first (msg);
        if (zmsg_size (msg) == 1
            && kj_compact_is (zframe_data (first), zframe_size (first),
                              KJ_KJC)) {
            zframe_destroy (&self->batch);
            self->batch = zmsg_pop (msg);
            self->read = KJ_KJX_SIZE;
            zmsg_destroy (&msg);
            continue;
        }
        int rc = s_decode (msg, request_id, reply_type, reply_p, status);
        zmsg_destroy (&msg);
        if (rc == 0 && self->hello && *request_id == self->hello) {
            //  The broker's answer to Hello, not a caller's reply
            self->hello = 0;
            self->compact = status->code == KJ__CODE__OK;
            if (reply_p && *reply_p)
                protobuf_c_message_free_unpacked (*reply_p, NULL);
            if (reply_p)
                *reply_p = NULL;
            continue;
        }
        if (rc == 0)
            return status->code;
    }
}

//  --------------------------------------------------------------------------
//  One call: send, wait, resend on timeout while attempts are left. The
//  same request id goes out each time, so whichever attempt answers first
//  is the answer; replies to earlier calls are dropped by their id.

int
kj_client_call (kj_client_t *self, const char *service, const char *method,
                const ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *reply_type,
                ProtobufCMessage **reply_p, kj_status_t *status,
                const kj_call_opts_t *opts)
{
    if (reply_p)
        *reply_p = NULL;
    uint64_t request_id = self->next_id++;
    char key [37];
    const char *idem = s_idempotency_key (opts, key);
    int timeout = opts && opts->timeout_ms ? opts->timeout_ms
                                           : self->timeout_ms;
    int retries = !opts || opts->retries == 0 ? self->retries
                : opts->retries < 0           ? 0
                                              : opts->retries;

    for (int attempt = 0; attempt <= retries; attempt++) {
        if (attempt)
            kj_debug ("client.retry", "service=%s method=%s attempt=%d",
                      service, method, attempt + 1);
        if (s_send (self, request_id, service, method, request, timeout, idem,
                    true)) {
            kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL,
                           "cannot send to the broker at %s", self->endpoint);
            return status->code;
        }
        int64_t deadline = kj_mono_us () + (int64_t) timeout * 1000;
        while (true) {
            int wait = (int) ((deadline - kj_mono_us () + 999) / 1000);
            if (wait <= 0)
                break;
            uint64_t id;
            ProtobufCMessage *reply = NULL;
            int code = kj_client_recv (self, wait, &id, reply_type, &reply,
                                       status);
            if (code < 0) {
                if (kj_stopping ()) {
                    kj_status_set (status, KJ__CODE__CANCELLED, NULL,
                                   "interrupted");
                    return status->code;
                }
                break;
            }
            if (id == request_id || id == 0) {
                if (reply_p)
                    *reply_p = reply;
                else if (reply)
                    protobuf_c_message_free_unpacked (reply, NULL);
                return code;
            }
            if (reply)  //  a late answer to an earlier call
                protobuf_c_message_free_unpacked (reply, NULL);
        }
    }
    kj_status_set (status, KJ__CODE__DEADLINE_EXCEEDED, NULL,
                   "no answer from service '%s' within %d ms (%d attempt%s); "
                   "is the broker at %s up and does the service have "
                   "workers?",
                   service, timeout, retries + 1, retries ? "s" : "",
                   self->endpoint);
    return status->code;
}
