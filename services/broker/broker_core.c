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
    =========================================================================
*/

#include "kejin.h"
#include "broker_core.h"
#include <stdatomic.h>

#define MAX_KEY           512  //  hex of a routing id (up to 255 bytes)
#define BATCH_BYTES       (256 * 1024)  //  a gathered frame, at most
#define LATENCY_WINDOW_US (60 * 1000000LL)
#define SERVICE_IDLE_US   (60 * 1000000LL)

typedef struct _service_t service_t;
typedef struct _worker_t worker_t;
typedef struct _client_t client_t;
typedef struct _request_t request_t;

//  Compact messages gathered for one peer until broker_core_flush
typedef struct {
    zmq_msg_t id;      //  the peer's routing id
    worker_t *worker;  //  a worker's batch: its requests are held
    uint8_t *data;     //  "KJC01" or "KJW01", then records; NULL once sent
    size_t size, cap;
    uint64_t *handles;  //  a worker's batch: the requests in it, in order
    size_t nhandles, handles_cap;
    bool dead;  //  its worker went: not sent
} batch_t;

//  One rule of broker/rights: SERVICE/METHOD=ROLE,ROLE
typedef struct {
    char service [256];
    char method [64];  //  or "*"
    char roles [64];
} rule_t;

//  Why the broker refused a caller, counted in Stats
static const char *s_reasons [] = {
    "unauthenticated", "revoked",     "worker_role",
    "worker_service",  "method_role", "topic",
    "publisher",       "peer_city",   "hops"
};
#define REFUSAL_REASONS 9
enum {
    REFUSED_UNAUTHENTICATED,
    REFUSED_REVOKED,
    REFUSED_WORKER_ROLE,
    REFUSED_WORKER_SERVICE,
    REFUSED_METHOD_ROLE,
    REFUSED_TOPIC,
    REFUSED_PUBLISHER,
    REFUSED_PEER_CITY,
    REFUSED_HOPS
};

struct _request_t {
    uint32_t slot;            //  index in the slot table
    uint32_t generation;      //  with slot, the handle workers echo
    zmq_msg_t client_id;      //  routing id of the client
    zmq_msg_t service_frame;  //  as received, echoed in the reply
    service_t *service;
    client_t *client;
    worker_t *worker;  //  holding it, or NULL while queued
    int64_t received_us;
    int64_t expires_us;      //  deadline while queued
    uint64_t request_id;     //  Kejin request id (0 for plain MDP)
    bool kejin;              //  body starts with a Kejin header
    bool compact;            //  came, and is answered, in KJC01 framing
    bool retry_safe;         //  may go to another worker
    int retries;             //  times re-sent after a worker died
    size_t bytes;            //  of the body
    size_t cost;             //  charged to the broker's byte budget
    request_t *prev, *next;  //  in the service queue or the worker's list
    bool has_stamp;          //  stamped holds the header with the caller
    zmq_msg_t stamped;       //  body [0] as Kejin workers get it
    int nbody;               //  body frames, kept while retry is possible
    zmq_msg_t body [];
};

struct _worker_t {
    char key [MAX_KEY];  //  hex routing id, key of the worker table
    zmq_msg_t id;        //  routing id frame
    service_t *service;
    uint32_t credit;  //  requests it may hold (1 for plain MDP)
    uint32_t in_flight;
    bool kejin;    //  sent the credit extension
    bool compact;  //  takes requests in KJW01 framing
    bool listed;   //  in the service's list of workers with credit
    bool peer;     //  another city's, by a link (used when no local one)
    int64_t last_seen_us;
    request_t *requests;  //  held, doubly linked
    request_t *requests_tail;
    worker_t *prev, *next;  //  in the service's list of workers with credit
    uint32_t pid;           //  from its WorkerHello, for Stats' copies
    char host [64];
    char copy [64];        //  its instance name up to the last '.'
    uint64_t batch_epoch;  //  its batch, if batch_epoch is the core's
    size_t batch;
};

struct _client_t {
    char key [MAX_KEY];
    size_t pending;        //  its requests queued or in flight
    size_t created;        //  services it created that have no worker
                           //  yet; it is kept while either is not 0
    uint64_t batch_epoch;  //  its batch, if batch_epoch is the core's
    size_t batch;
};

struct _service_t {
    char name [256];
    request_t *head, *tail;  //  queue
    size_t queued;
    size_t queued_bytes;
    worker_t *ready_head, *ready_tail;  //  workers with credit left, LRU
    uint32_t workers;
    uint32_t peer_workers;  //  of them, links to other cities
    uint32_t credit;
    uint32_t in_flight;
    bool retry_safe;    //  plain requests may be re-sent
    bool had_worker;    //  a worker served it once
    client_t *creator;  //  the client that made it, until a worker
                        //  comes
    uint64_t served, failed, expired, retried;
    kj_hist_t *latency;       //  this window
    kj_hist_t *latency_prev;  //  the window before
    int64_t window_us;        //  start of this window
    int64_t idle_since_us;    //  no worker, queue or request since then
};

struct _broker_core_t {
    broker_limits_t limits;
    char *retry_safe;  //  copy of limits.retry_safe
    broker_send_fn *send;
    void *arg;
    zhashx_t *services;  //  name -> service_t
    zhashx_t *workers;   //  hex id -> worker_t
    zhashx_t *clients;   //  hex id -> client_t
    request_t **slots;   //  slot table
    uint32_t *generations;
    uint32_t *free_slots;  //  stack of free slot numbers
    uint32_t nslots, nfree;
    size_t pending;  //  requests queued or in flight
    size_t bytes;    //  their cost, against limits.max_bytes
    bool draining;
    int64_t heartbeat_at;  //  next round of heartbeats
    int64_t tick_at;
    int64_t expiry_at;  //  earliest deadline of a queued request
    uint64_t malformed;
    uint64_t dropped;
    Kj__BrokerStats *info;
    bool secure;    //  rights on: every message needs a caller
    bool insecure;  //  CURVE off, said in Stats
    rule_t *rules;  //  broker/rights, in order
    size_t nrules;
    char *read_methods;  //  method name prefixes that only read
    int max_hops;        //  federation/max_hops
    char *carry;         //  federation/carry: PEER=CITY,CITY ...
    atomic_uint_fast64_t refusals [REFUSAL_REASONS];
    batch_t *batches;  //  gathered since the last flush
    size_t nbatches, batches_cap;
    uint64_t epoch;  //  changes at every flush
};

//  --------------------------------------------------------------------------
//  Frames

static void
s_frame_str (zmq_msg_t *frame, const char *string)
{
    size_t size = strlen (string);
    zmq_msg_init_size (frame, size);
    memcpy (zmq_msg_data (frame), string, size);
}

static void
s_frame_mem (zmq_msg_t *frame, const void *data, size_t size)
{
    zmq_msg_init_size (frame, size);
    if (size)
        memcpy (zmq_msg_data (frame), data, size);
}

static bool
s_frame_is (zmq_msg_t *frame, const char *string)
{
    size_t size = strlen (string);
    return zmq_msg_size (frame) == size
        && memcmp (zmq_msg_data (frame), string, size) == 0;
}

static void
s_close_frames (zmq_msg_t *frames, int count)
{
    for (int i = 0; i < count; i++)
        zmq_msg_close (&frames [i]);
}

static void
s_hex_key (zmq_msg_t *id, char *key)
{
    static const char hex [] = "0123456789abcdef";
    const byte *data = (const byte *) zmq_msg_data (id);
    size_t size = zmq_msg_size (id);
    if (size > (MAX_KEY - 1) / 2)
        size = (MAX_KEY - 1) / 2;
    for (size_t i = 0; i < size; i++) {
        key [2 * i] = hex [data [i] >> 4];
        key [2 * i + 1] = hex [data [i] & 15];
    }
    key [2 * size] = 0;
}

static int
s_send (broker_core_t *self, zmq_msg_t *frames, int count)
{
    int rc = self->send (self->arg, frames, count);
    if (rc)
        self->dropped++;
    return rc;
}

//  --------------------------------------------------------------------------
//  Clients: one entry per peer with requests pending or services it made.
//  A client is looked up by the hex of its routing id.

static client_t *
s_client_require (broker_core_t *self, const char *key)
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

static void
s_client_release (broker_core_t *self, client_t *client)
{
    if (client && client->pending == 0 && client->created == 0)
        zhashx_delete (self->clients, client->key);
}

//  --------------------------------------------------------------------------
//  Services

//  The service no longer counts against the client that created it: a
//  worker came, or the service goes away.

static void
s_service_uncharge (broker_core_t *self, service_t *service)
{
    client_t *creator = service->creator;
    if (creator) {
        service->creator = NULL;
        creator->created--;
        s_client_release (self, creator);
    }
}

//  The service of that name, created if need be; NULL when the table is
//  full. A client creating one is charged for it until a worker comes, so
//  that one peer cannot fill the table with names nobody serves.

static service_t *
s_service_require (broker_core_t *self, const char *name, client_t *creator,
                   int64_t now)
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

static void
s_service_destroy (service_t **service_p)
{
    if (*service_p) {
        service_t *service = *service_p;
        kj_hist_destroy (&service->latency);
        kj_hist_destroy (&service->latency_prev);
        free (service);
        *service_p = NULL;
    }
}

//  Intrusive doubly linked lists: an item has prev and next, a list has a
//  head and a tail. The queue of a service and its workers with credit
//  left are such lists.

#define LIST_APPEND(head, tail, item)                                          \
    do {                                                                       \
        (item)->prev = (tail);                                                 \
        (item)->next = NULL;                                                   \
        if (tail)                                                              \
            (tail)->next = (item);                                             \
        else                                                                   \
            (head) = (item);                                                   \
        (tail) = (item);                                                       \
    } while (0)

#define LIST_PREPEND(head, tail, item)                                         \
    do {                                                                       \
        (item)->prev = NULL;                                                   \
        (item)->next = (head);                                                 \
        if (head)                                                              \
            (head)->prev = (item);                                             \
        else                                                                   \
            (tail) = (item);                                                   \
        (head) = (item);                                                       \
    } while (0)

#define LIST_UNLINK(head, tail, item)                                          \
    do {                                                                       \
        if ((item)->prev)                                                      \
            (item)->prev->next = (item)->next;                                 \
        else                                                                   \
            (head) = (item)->next;                                             \
        if ((item)->next)                                                      \
            (item)->next->prev = (item)->prev;                                 \
        else                                                                   \
            (tail) = (item)->prev;                                             \
        (item)->prev = (item)->next = NULL;                                    \
    } while (0)

static void
s_queue_push (broker_core_t *self, service_t *service, request_t *request,
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

static void
s_queue_remove (service_t *service, request_t *request)
{
    LIST_UNLINK (service->head, service->tail, request);
    service->queued--;
    service->queued_bytes -= request->bytes;
}

static void
s_ready_push (service_t *service, worker_t *worker)
{
    assert (!worker->listed);
    LIST_APPEND (service->ready_head, service->ready_tail, worker);
    worker->listed = true;
}

static void
s_ready_remove (service_t *service, worker_t *worker)
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

static void
s_release (worker_t *worker, request_t *request)
{
    LIST_UNLINK (worker->requests, worker->requests_tail, request);
    request->worker = NULL;
    worker->in_flight--;
    worker->service->in_flight--;
}

//  --------------------------------------------------------------------------
//  Requests

static request_t *
s_request_new (broker_core_t *self, int nbody)
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

static void
s_request_destroy (broker_core_t *self, request_t **request_p)
{
    request_t *request = *request_p;
    if (!request)
        return;
    zmq_msg_close (&request->client_id);
    zmq_msg_close (&request->service_frame);
    s_close_frames (request->body, request->nbody);
    if (request->has_stamp)
        zmq_msg_close (&request->stamped);
    self->slots [request->slot] = NULL;
    self->generations [request->slot]++;
    self->free_slots [self->nfree++] = request->slot;
    if (request->client) {
        request->client->pending--;
        s_client_release (self, request->client);
    }
    request->service->idle_since_us = request->received_us;
    self->pending--;
    self->bytes -= request->cost;
    free (request);
    *request_p = NULL;
}

//  Answer a request with an error from the broker itself, in the form its
//  client understands: a Kejin reply header, or two text frames for a
//  plain MDP client.

//  --------------------------------------------------------------------------
//  Batches: room for a record of `room` bytes in the peer's batch, opened
//  if it has none since the last flush or its batch is full. *epoch and
//  *index are the peer's note of its batch.

static uint8_t *
s_batch_room (broker_core_t *self, zmq_msg_t *id, worker_t *worker,
              uint64_t *epoch, size_t *index, const char *protocol, size_t room)
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
            s_release (batch->worker, request);
            s_queue_push (self, request->service, request, true);
        }
    }
    batch->nhandles = 0;
    batch->dead = true;
}

//  A worker goes: what it was about to be sent was not sent.
static void
s_batch_forget (broker_core_t *self, worker_t *worker)
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

//  To a client: [client] [] [MDPC01] [service] [body]..., or when compact
//  [client] ["KJC01" record] (kj_mdp.h), into the client's batch when
//  `client` is known. Takes the id, service and body frames, and leaves
//  them empty.

static int
s_send_client (broker_core_t *self, zmq_msg_t *client_id,
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
            at = s_batch_room (self, &out [0], NULL, &client->batch_epoch,
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
        return s_send (self, out, 2);
    }
    zmq_msg_init (&out [1]);
    s_frame_str (&out [2], KJ_MDPC);
    zmq_msg_init (&out [3]);
    zmq_msg_move (&out [3], service_frame);
    for (int i = 0; i < nbody; i++) {
        zmq_msg_init (&out [4 + i]);
        zmq_msg_move (&out [4 + i], &body [i]);
    }
    return s_send (self, out, 4 + nbody);
}

//  An error to a client: a Kejin reply header when `header` (the
//  request's, or NULL for a plain client), else [plain code] [message], in
//  the framing the request came in. Takes the client id and service
//  frames.

static void
s_send_error (broker_core_t *self, zmq_msg_t *client_id,
              zmq_msg_t *service_frame, Kj__RequestHeader *header, int code,
              const char *field, const char *plain_code, const char *message,
              bool compact, client_t *client)
{
    zmq_msg_t body [2];
    int count = 0;
    if (header) {
        kj_status_t status;
        kj_status_set (&status, code, field, "%s", message);
        zframe_t *reply = kj_proto_reply_frame (header->request_id, &status);
        s_frame_mem (&body [count++], zframe_data (reply), zframe_size (reply));
        zframe_destroy (&reply);
    }
    else {
        s_frame_str (&body [count++], plain_code);
        s_frame_str (&body [count++], message);
    }
    s_send_client (self, client_id, service_frame, body, count, compact,
                   client);
    s_close_frames (body, count);
}

static void
s_request_fail (broker_core_t *self, request_t **request_p, int code,
                const char *plain_code, const char *format, ...)
{
    request_t *request = *request_p;
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);

    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = request->request_id;
    s_send_error (self, &request->client_id, &request->service_frame,
                  request->kejin ? &header : NULL, code, NULL, plain_code,
                  message, request->compact, request->client);
    request->service->failed++;
    kj_debug ("broker.request_failed", "service=%s code=%s message=\"%s\"",
              request->service->name, kj_code_name (code), message);
    s_request_destroy (self, request_p);
}

//  Refuse a client message before it became a request: frames are
//  [client] [] [MDPC01] [service] ... (KJC01 in place of MDPC01 for one
//  that came compact); closes them.

static void
s_refuse (broker_core_t *self, zmq_msg_t *frames, int count,
          Kj__RequestHeader *header, int code, const char *field,
          const char *plain_code, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    s_send_error (self, &frames [0], &frames [3], header, code, field,
                  plain_code, message, s_frame_is (&frames [2], KJ_KJC), NULL);
    s_close_frames (frames, count);
    kj_debug ("broker.request_refused", "code=%s message=\"%s\"",
              kj_code_name (code), message);
}

//  --------------------------------------------------------------------------
//  Workers

static int
s_send_command (broker_core_t *self, zmq_msg_t *id, int command)
{
    zmq_msg_t frames [4];
    zmq_msg_init (&frames [0]);
    zmq_msg_copy (&frames [0], id);
    zmq_msg_init (&frames [1]);
    s_frame_str (&frames [2], KJ_MDPW);
    s_frame_mem (&frames [3], &(byte){ (byte) command }, 1);
    return s_send (self, frames, 4);
}

static void
s_dispatch (broker_core_t *self, service_t *service, int64_t now);
static worker_t *
s_next_worker (service_t *service);

//  A worker is gone (it said DISCONNECT, fell silent, broke the protocol,
//  or could not be reached). What it held goes back to the front of the
//  queue where that is safe, and is answered with an error otherwise:
//  never dropped. Frees the worker; does not dispatch.

static void
s_worker_remove (broker_core_t *self, worker_t *worker, bool disconnect,
                 const char *reason, int64_t now)
{
    service_t *service = worker->service;
    s_batch_forget (self, worker);
    if (disconnect)
        s_send_command (self, &worker->id, KJ_MDPW_DISCONNECT);
    kj_info ("broker.worker_gone",
             "service=%s worker=%s reason=%s "
             "in_flight=%u",
             service->name, worker->key, reason, worker->in_flight);
    s_ready_remove (service, worker);
    //  From the last, so that they keep their order at the front
    while (worker->requests_tail) {
        request_t *request = worker->requests_tail;
        s_release (worker, request);
        if (request->retry_safe && request->retries < self->limits.max_retries
            && !self->draining) {
            request->retries++;
            service->retried++;
            s_queue_push (self, service, request, true);
        }
        else
            s_request_fail (
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

static void
s_worker_delete (broker_core_t *self, worker_t *worker, bool disconnect,
                 const char *reason, int64_t now)
{
    service_t *service = worker->service;
    s_worker_remove (self, worker, disconnect, reason, now);
    s_dispatch (self, service, now);
}

static void
s_worker_free (void **item)
{
    worker_t *worker = (worker_t *) *item;
    if (worker) {
        zmq_msg_close (&worker->id);
        free (worker);
        *item = NULL;
    }
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

static void
s_batch_request (broker_core_t *self, request_t *request, worker_t *worker)
{
    uint64_t handle = ((uint64_t) request->generation << 32) | request->slot;
    size_t size = KJ_KJW_HEAD;
    for (int i = 0; i < request->nbody; i++)
        size += KJ_PART_HEAD + zmq_msg_size (s_stamped_part (request, i));
    uint8_t *at = s_batch_room (self, &worker->id, worker, &worker->batch_epoch,
                                &worker->batch, KJ_KJW, size);
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
    s_frame_str (&frames [2], KJ_MDPW);
    s_frame_mem (&frames [3], &(byte){ KJ_MDPW_REQUEST }, 1);
    byte bytes [8];
    kj_put_u64 (bytes, handle);
    s_frame_mem (&frames [4], bytes, 8);
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

static void
s_dispatch (broker_core_t *self, service_t *service, int64_t now)
{
    worker_t *worker;
    while (service->head && (worker = s_next_worker (service))) {
        request_t *request = service->head;
        s_queue_remove (service, request);
        if (now >= request->expires_us) {
            service->expired++;
            s_request_fail (self, &request, KJ__CODE__DEADLINE_EXCEEDED, "504",
                            "request expired in the queue of service '%s'",
                            service->name);
            continue;
        }
        s_ready_remove (service, worker);
        if (worker->compact) {
            //  Goes at the next flush; its body stays until then
            s_batch_request (self, request, worker);
            s_hold (worker, request);
            if (worker->in_flight < worker->credit)
                s_ready_push (service, worker);
            continue;
        }

        zmq_msg_t frames [BROKER_MAX_FRAMES];
        int count = s_request_frames (request, worker, frames);
        int rc = s_send (self, frames, count);
        if (rc) {
            //  Not delivered, so not done: the request goes back to the
            //  head of the queue whatever its retry rule, for the next
            //  worker or to wait as for a service with no worker. A worker
            //  that is gone is done with; one whose pipe is full gets
            //  nothing more until it replies.
            s_queue_push (self, service, request, true);
            if (rc == BROKER_GONE || worker->in_flight == 0)
                s_worker_remove (self, worker, false, "unreachable", now);
            continue;
        }
        if (!request->retry_safe) {
            s_close_frames (request->body, request->nbody);
            request->nbody = 0;
            if (request->has_stamp)
                zmq_msg_close (&request->stamped);
            request->has_stamp = false;
        }
        s_hold (worker, request);
        if (worker->in_flight < worker->credit)
            s_ready_push (service, worker);
    }
}

//  --------------------------------------------------------------------------
//  MMI (RFC 8): mmi.service says 200 when the service has live workers.

static void
s_reply_internal (broker_core_t *self, zmq_msg_t *frames, int count,
                  zmq_msg_t *body, int nbody)
{
    //  frames: [client] [] [MDPC01 or KJC01] [service]
    s_send_client (self, &frames [0], &frames [3], body, nbody,
                   s_frame_is (&frames [2], KJ_KJC), NULL);
    s_close_frames (body, nbody);
    s_close_frames (frames, count);
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
    s_frame_str (&body, code);
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
    s_frame_mem (&body [nbody++], zframe_data (head), zframe_size (head));
    zframe_destroy (&head);
    if (payload) {
        s_frame_mem (&body [nbody++], zframe_data (payload),
                     zframe_size (payload));
        zframe_destroy (&payload);
    }
    s_reply_internal (self, frames, count, body, nbody);
}

//  --------------------------------------------------------------------------
//  Rights: is name in a comma-separated list (or is the list "*")?

static bool
s_listed (const char *list, const char *name)
{
    if (!list || !name || !*name)
        return false;
    if (streq (list, "*"))
        return true;
    size_t size = strlen (name);
    for (const char *item = list; item && *item;) {
        const char *end = strchr (item, ',');
        size_t length = end ? (size_t) (end - item) : strlen (item);
        if (length == size && memcmp (item, name, size) == 0)
            return true;
        item = end ? end + 1 : NULL;
    }
    return false;
}

//  May a service key whose certificate lists services serve name? A listed
//  X covers X and its sub-services X.<anything> (registry.bulk,
//  events.writer), the names one daemon serves.

static bool
s_serves (const char *services, const char *name)
{
    if (s_listed (services, name))
        return true;
    char base [256];
    kj_strlcpy (base, name, sizeof base);
    for (char *dot = strrchr (base, '.'); dot; dot = strrchr (base, '.')) {
        *dot = 0;
        if (s_listed (services, base))
            return true;
    }
    return false;
}

//  Does method only read: does it start with one of the read prefixes, the
//  prefix followed by the end or a capital ("GetEnterprise", "Stats")?

static bool
s_is_read (broker_core_t *self, const char *method)
{
    for (const char *item = self->read_methods;
         method && *method && item && *item;) {
        const char *end = strchr (item, ',');
        size_t length = end ? (size_t) (end - item) : strlen (item);
        if (length && strncmp (method, item, length) == 0
            && (method [length] == 0
                || (method [length] >= 'A' && method [length] <= 'Z')))
            return true;
        item = end ? end + 1 : NULL;
    }
    return false;
}

//  May caller call method of service? *allowed says which roles may.

static bool
s_may_call (broker_core_t *self, const broker_caller_t *caller,
            const char *service, const char *method, const char **allowed)
{
    for (size_t i = 0; i < self->nrules; i++) {
        rule_t *rule = &self->rules [i];
        if (streq (rule->service, service)
            && (streq (rule->method, "*") || streq (rule->method, method))) {
            *allowed = rule->roles;
            return s_listed (rule->roles, caller->role);
        }
    }
    if (s_is_read (self, method)) {
        *allowed = "service,operator,integrator,peer";
        return true;
    }
    *allowed = "service,operator";
    return s_listed (*allowed, caller->role);
}

//  Count and log a refusal; the log says the first 100 of each reason,
//  then one in 1000, so that a flood of refusals cannot flood the log.

static void
s_refused (broker_core_t *self, int reason, const broker_caller_t *caller,
           const char *service, const char *method)
{
    uint64_t count = atomic_fetch_add (&self->refusals [reason], 1) + 1;
    if (count <= 100 || count % 1000 == 0)
        kj_warn ("broker.refused",
                 "reason=%s key=%s role=%s service=%s "
                 "method=%s count=%" PRIu64,
                 s_reasons [reason], caller && caller->name ? caller->name : "",
                 caller && caller->role ? caller->role : "", service,
                 method ? method : "", count);
}

//  body [0] as Kejin workers get it: the client's header with the caller
//  the broker vouches for in place of whatever the client wrote.

static void
s_stamp (broker_core_t *self, request_t *request, Kj__RequestHeader *header,
         const broker_caller_t *caller)
{
    Kj__Caller stamp = KJ__CALLER__INIT;
    if (caller) {
        stamp.identity = (char *) (caller->name ? caller->name : "");
        stamp.role = (char *) (caller->role ? caller->role : "");
        stamp.city = (char *) (caller->city ? caller->city : "");
        stamp.refused = (char *) (caller->refused ? caller->refused : "");
    }
    Kj__Caller *theirs = header->caller;
    header->caller = &stamp;
    size_t size = kj__request_header__get_packed_size (header);
    zmq_msg_init_size (&request->stamped, KJ_MAGIC_SIZE + size);
    byte *data = (byte *) zmq_msg_data (&request->stamped);
    memcpy (data, KJ_MAGIC, KJ_MAGIC_SIZE);
    kj__request_header__pack (header, data + KJ_MAGIC_SIZE);
    header->caller = theirs;
    request->has_stamp = true;
    request->cost += KJ_MAGIC_SIZE + size;
    self->bytes += KJ_MAGIC_SIZE + size;
}

//  --------------------------------------------------------------------------
//  Federation (docs/federation.md): requests of other cities come through
//  kejin-link, which holds a peer key here. The rules, all in this section:
//  - a request that crossed more links than federation/max_hops allows is
//    refused, so routes that make a loop cannot bounce a request forever;
//  - a peer key's request keeps the caller it carries (stamped by the
//    first broker) if the peer may carry callers of that city: its own
//    city, or the cities federation/carry gives its name; rights are then
//    checked against the carried caller's role;
//  - a peer key's workers get requests only while the service has no
//    local worker (s_next_worker).

static worker_t *
s_next_worker (service_t *service)
{
    worker_t *worker = service->ready_head;
    if (!service->peer_workers || service->peer_workers == service->workers)
        return worker;
    //  Local workers exist: only they get requests, even when all are busy
    while (worker && worker->peer)
        worker = worker->next;
    return worker;
}

//  May the peer key carry callers of city: its own city, or one that
//  federation/carry ("PEER=CITY,CITY PEER=*") gives its name?

static bool
s_may_carry (broker_core_t *self, const broker_caller_t *peer, const char *city)
{
    if (!*city)
        return false;
    if (peer->city && streq (peer->city, city))
        return true;
    size_t size = strlen (peer->name);
    for (const char *item = self->carry; item && *item;) {
        item += strspn (item, " \t");
        size_t length = strcspn (item, " \t");
        char cities [256];
        if (length > size + 1 && length - size - 1 < sizeof cities
            && item [size] == '=' && memcmp (item, peer->name, size) == 0) {
            memcpy (cities, item + size + 1, length - size - 1);
            cities [length - size - 1] = 0;
            if (s_listed (cities, city))
                return true;
        }
        item += length;
    }
    return false;
}

//  Before the rights: the hop limit, and the caller a peer carries. 0 to
//  go on (*caller_p is then the carried caller, in *carried, when a peer
//  carries one), -1 when refused (frames closed).

static int
s_federation_admit (broker_core_t *self, zmq_msg_t *frames, int count,
                    Kj__RequestHeader *header, const char *name,
                    const broker_caller_t **caller_p, broker_caller_t *carried)
{
    const broker_caller_t *caller = *caller_p;
    if (header && header->hops > (uint32_t) self->max_hops) {
        s_refused (self, REFUSED_HOPS, caller, name, header->method);
        s_refuse (self, frames, count, header, KJ__CODE__FAILED_PRECONDITION,
                  "hops", "508",
                  "the request to %s crossed %u links between cities, more "
                  "than federation/max_hops (%d) allows: the cities' link "
                  "routes make a loop or too long a chain",
                  name, header->hops, self->max_hops);
        return -1;
    }
    if (!self->secure || !caller || caller->revoked
        || !streq (caller->role, "peer") || !header || !header->caller
        || !*header->caller->identity)
        return 0;
    Kj__Caller *theirs = header->caller;
    if (!s_listed ("service,operator,integrator,peer", theirs->role)
        || !s_may_carry (self, caller, theirs->city)) {
        s_refused (self, REFUSED_PEER_CITY, caller, name, header->method);
        s_refuse (self, frames, count, header, KJ__CODE__PERMISSION_DENIED,
                  "caller.city", "403",
                  "the peer key %s (city %s) may not carry the caller %s "
                  "(role %s, city %s): a peer carries callers of its own "
                  "city and of those federation/carry gives it",
                  caller->name, caller->city ? caller->city : "",
                  theirs->identity, theirs->role, theirs->city);
        return -1;
    }
    memset (carried, 0, sizeof *carried);
    carried->name = theirs->identity;
    carried->role = theirs->role;
    carried->city = theirs->city;
    carried->services = "";
    *caller_p = carried;
    return 0;
}

int
broker_core_set_federation (broker_core_t *self, int max_hops,
                            const char *carry)
{
    self->max_hops = max_hops;
    free (self->carry);
    self->carry = strdup (carry ? carry : "");
    for (const char *item = self->carry; *item;) {
        item += strspn (item, " \t");
        size_t length = strcspn (item, " \t");
        const char *equals = memchr (item, '=', length);
        if (length
            && (!equals || equals == item || equals == item + length - 1)) {
            kj_error ("broker.bad_carry",
                      "rule=\"%.*s\" reason=\"a rule is PEER=CITY,CITY "
                      "(or PEER=*)\"",
                      (int) length, item);
            return -1;
        }
        item += length;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A client request: [client] [] [MDPC01] [service] [body]... `cut` says
//  the receiver dropped frames past `count`. Every refusal names the bound.

static void
s_client_message (broker_core_t *self, zmq_msg_t *frames, int count, bool cut,
                  const broker_caller_t *caller, int64_t now)
{
    if (count < 4) {
        self->malformed++;
        s_close_frames (frames, count);
        return;
    }
    bool compact = s_frame_is (&frames [2], KJ_KJC);
    //  A Kejin body starts with a header frame: deadline, retry rule, id
    Kj__RequestHeader *header = NULL;
    if (count > 4)
        header = kj_proto_request_header (zmq_msg_data (&frames [4]),
                                          zmq_msg_size (&frames [4]));
    size_t size = zmq_msg_size (&frames [3]);
    const char *data = (const char *) zmq_msg_data (&frames [3]);
    if (size == 0 || size > 255 || memchr (data, 0, size)) {
        self->malformed++;
        s_refuse (self, frames, count, header, KJ__CODE__INVALID_ARGUMENT,
                  "service", "400",
                  "the service name must be 1 to 255 "
                  "bytes with no NUL byte; this one has %zu bytes%s",
                  size, size && memchr (data, 0, size) ? " and a NUL" : "");
        goto done;
    }
    char name [256];
    memcpy (name, data, size);
    name [size] = 0;
    int nbody = count - 4;
    if (cut || nbody > BROKER_MAX_BODY) {
        s_refuse (self, frames, count, header, KJ__CODE__OUT_OF_RANGE, NULL,
                  "413",
                  "the request to '%s' has more than %d body frames, "
                  "the most the broker carries",
                  name, BROKER_MAX_BODY);
        goto done;
    }
    const char *method = header ? header->method : "";
    broker_caller_t carried;
    if (s_federation_admit (self, frames, count, header, name, &caller,
                            &carried))
        goto done;
    if (self->secure && (!caller || caller->revoked)) {
        s_refused (self, caller ? REFUSED_REVOKED : REFUSED_UNAUTHENTICATED,
                   caller, name, method);
        s_refuse (self, frames, count, header, KJ__CODE__UNAUTHENTICATED, NULL,
                  "401",
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
        && !s_may_call (self, caller, name, method, &allowed)) {
        s_refused (self, REFUSED_METHOD_ROLE, caller, name, method);
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
        if (!target || target->workers == 0) {
            s_refuse (self, frames, count, header, KJ__CODE__PERMISSION_DENIED,
                      "method", "403", "%s", why);
            goto done;
        }
        s_close_frames (frames + 5, count - 5);
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
        s_refuse (self, frames, count, header, KJ__CODE__UNAVAILABLE, NULL,
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
        s_refuse (self, frames, count, header, KJ__CODE__RESOURCE_EXHAUSTED,
                  NULL, "429",
                  "the broker is overloaded: pending requests "
                  "hold %zu bytes, the most it holds is %zu; retry later",
                  self->bytes, self->limits.max_bytes);
        goto done;
    }
    char key [MAX_KEY];
    s_hex_key (&frames [0], key);
    client_t *client = s_client_require (self, key);
    if (client->pending >= self->limits.client_max) {
        s_refuse (self, frames, count, header, KJ__CODE__RESOURCE_EXHAUSTED,
                  NULL, "429",
                  "this client has %zu requests pending, the "
                  "most the broker takes from one client",
                  client->pending);
        goto done;
    }
    service_t *service = s_service_require (self, name, client, now);
    if (!service) {
        if (client->created >= self->limits.peer_services)
            s_refuse (self, frames, count, header, KJ__CODE__RESOURCE_EXHAUSTED,
                      NULL, "429",
                      "this client already waits on %zu services that no "
                      "worker serves, the most one client may; '%s' was "
                      "refused",
                      client->created, name);
        else
            s_refuse (self, frames, count, header, KJ__CODE__RESOURCE_EXHAUSTED,
                      NULL, "429",
                      "the broker knows too many services (%zu); '%s' was "
                      "refused",
                      self->limits.max_services, name);
        s_client_release (self, client);
        goto done;
    }
    if (service->queued >= self->limits.queue_max
        || service->queued_bytes + bytes > self->limits.queue_max_bytes) {
        s_refuse (self, frames, count, header, KJ__CODE__RESOURCE_EXHAUSTED,
                  NULL, "429",
                  "the queue of service '%s' is full (%zu "
                  "requests, %zu bytes)",
                  name, service->queued, service->queued_bytes);
        s_client_release (self, client);
        goto done;
    }
    request_t *request = s_request_new (self, nbody);
    zmq_msg_init (&request->client_id);
    zmq_msg_move (&request->client_id, &frames [0]);
    zmq_msg_init (&request->service_frame);
    zmq_msg_move (&request->service_frame, &frames [3]);
    for (int i = 0; i < nbody; i++) {
        zmq_msg_init (&request->body [i]);
        zmq_msg_move (&request->body [i], &frames [4 + i]);
    }
    s_close_frames (frames, count);
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
            s_stamp (self, request, header, caller);
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
    s_queue_push (self, service, request, false);
    s_dispatch (self, service, now);
done:
    if (header)
        kj__request_header__free_unpacked (header, NULL);
}

//  --------------------------------------------------------------------------
//  A worker's REPLY: [worker] [] [MDPW01] [0x03] [handle] [] [body]...

static void
s_worker_reply (broker_core_t *self, worker_t *worker, zmq_msg_t *frames,
                int count, bool cut, int64_t now)
{
    if (count < 6 || zmq_msg_size (&frames [4]) != 8
        || zmq_msg_size (&frames [5]) != 0) {
        self->malformed++;
        s_close_frames (frames, count);
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
        s_close_frames (frames, count);
        return;
    }
    service_t *service = worker->service;
    //  Out of the worker's list; the worker has one more credit
    s_release (worker, request);
    if (!worker->listed)
        s_ready_push (service, worker);
    int nbody = count - 6;
    if (cut || nbody > BROKER_MAX_BODY) {
        //  Too long to carry: the client hears so, the worker is free
        s_close_frames (frames, count);
        s_request_fail (self, &request, KJ__CODE__OUT_OF_RANGE, "413",
                        "the reply of service '%s' has more than %d body "
                        "frames, the most the broker carries",
                        service->name, BROKER_MAX_BODY);
        s_dispatch (self, service, now);
        return;
    }
    //  To the client, in the framing its request came in
    s_send_client (self, &request->client_id, &request->service_frame,
                   &frames [6], nbody, request->compact, request->client);
    s_close_frames (frames, count);
    service->served++;
    kj_hist_record (service->latency, (uint64_t) (now - request->received_us));
    s_request_destroy (self, &request);
    s_dispatch (self, service, now);
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
        s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        s_close_frames (frames, count);
        return;
    }
    memcpy (name, zmq_msg_data (&frames [4]), size);
    name [size] = 0;
    //  Only a service key registers, for the services it names; a peer
    //  key (a link to another city) too, used when no local worker is
    bool peer = self->secure && streq (caller->role, "peer");
    if (self->secure
        && ((!streq (caller->role, "service") && !peer)
            || !s_serves (caller->services, name))) {
        bool role = !streq (caller->role, "service") && !peer;
        s_refused (self, role ? REFUSED_WORKER_ROLE : REFUSED_WORKER_SERVICE,
                   caller, name, NULL);
        s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        s_close_frames (frames, count);
        return;
    }
    //  Names the broker answers itself cannot have workers
    service_t *service = NULL;
    if (strncmp (name, "mmi.", 4) && strncmp (name, "kejin.", 6))
        service = s_service_require (self, name, NULL, now);
    if (!service) {
        kj_warn ("broker.worker_refused", "service=%s worker=%s", name, key);
        s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        s_close_frames (frames, count);
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
    s_close_frames (frames, count);
    zhashx_insert (self->workers, worker->key, worker);
    service->had_worker = true;
    s_service_uncharge (self, service);
    service->workers++;
    service->peer_workers += worker->peer;
    service->credit += worker->credit;
    s_ready_push (service, worker);
    kj_info ("broker.worker_ready",
             "service=%s worker=%s credit=%u kejin=%d compact=%d peer=%d", name,
             worker->key, worker->credit, worker->kejin, worker->compact,
             worker->peer);
    s_dispatch (self, service, now);
}

static void
s_worker_message (broker_core_t *self, zmq_msg_t *frames, int count, bool cut,
                  const broker_caller_t *caller, int64_t now)
{
    if (count < 4 || zmq_msg_size (&frames [3]) != 1) {
        self->malformed++;
        s_close_frames (frames, count);
        return;
    }
    int command = ((const byte *) zmq_msg_data (&frames [3])) [0];
    char key [MAX_KEY];
    s_hex_key (&frames [0], key);
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
    if (worker)
        worker->last_seen_us = now;
    //  A key revoked while connected: its workers go, within a heartbeat
    if (self->secure && (!caller || caller->revoked)) {
        s_refused (self, caller ? REFUSED_REVOKED : REFUSED_UNAUTHENTICATED,
                   caller, worker ? worker->service->name : "", NULL);
        if (worker)
            s_worker_delete (self, worker, true, "revoked", now);
        else
            s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        s_close_frames (frames, count);
        return;
    }
    if (command == KJ_MDPW_READY) {
        if (worker) {
            //  A second READY breaks the protocol: start again clean
            s_worker_delete (self, worker, true, "second_ready", now);
            s_close_frames (frames, count);
        }
        else
            s_worker_ready (self, key, frames, count, caller, now);
    }
    else if (command == KJ_MDPW_REPLY || command == KJ_MDPW_HEARTBEAT) {
        if (!worker) {
            //  Not registered here: after a broker restart, this is how a
            //  worker learns that it must say READY again
            s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
            s_close_frames (frames, count);
        }
        else if (command == KJ_MDPW_REPLY)
            s_worker_reply (self, worker, frames, count, cut, now);
        else
            s_close_frames (frames, count);
    }
    else if (command == KJ_MDPW_DISCONNECT) {
        if (worker)
            s_worker_delete (self, worker, false, "disconnect", now);
        s_close_frames (frames, count);
    }
    else {
        //  A command MDP/0.1 does not have: an invalid peer, told to go
        self->malformed++;
        if (worker)
            s_worker_delete (self, worker, true, "unknown_command", now);
        else
            s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        s_close_frames (frames, count);
    }
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
    s_send_error (self, &client_id, &service, &header,
                  KJ__CODE__INVALID_ARGUMENT, NULL, "400", message, true, NULL);
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
        s_frame_mem (&frames [count++], lead [i].data, lead [i].size);
    for (int i = 0; i < nparts && i < BROKER_MAX_BODY; i++)
        s_frame_mem (&frames [count++], parts [i].data, parts [i].size);
    return count;
}

//  [client] ["KJC01" record...]: each record a request
//  [service-size] [service] [part]...

static void
s_client_compact (broker_core_t *self, zmq_msg_t *frames, int count, bool cut,
                  const broker_caller_t *caller, int64_t now)
{
    if (count != 2 || cut) {
        s_compact_refuse (self, &frames [0],
                          "a KJC01 message is one frame; this one has %s%d",
                          cut ? "more than " : "", count - 1);
        s_close_frames (frames, count);
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
        s_client_message (self, request, nframes, over, caller, now);
    }
    if (rc < 0)
        s_compact_refuse (self, &frames [0],
                          "the KJC01 message breaks at byte %zu: a size runs "
                          "past its end",
                          (size_t) (at - data));
    s_close_frames (frames, count);
}

//  [worker] ["KJW01" record...]: each record a REPLY
//  [0x03] [handle] [part]...; a worker that breaks the framing is an
//  invalid peer, told to go.

static void
s_worker_compact (broker_core_t *self, zmq_msg_t *frames, int count, bool cut,
                  const broker_caller_t *caller, int64_t now)
{
    char key [MAX_KEY];
    s_hex_key (&frames [0], key);
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
    if (!worker) {
        //  Not registered here: READY again, as for MDP
        s_send_command (self, &frames [0], KJ_MDPW_DISCONNECT);
        s_close_frames (frames, count);
        return;
    }
    worker->last_seen_us = now;
    if (self->secure && (!caller || caller->revoked)) {
        s_refused (self, caller ? REFUSED_REVOKED : REFUSED_UNAUTHENTICATED,
                   caller, worker->service->name, NULL);
        s_worker_delete (self, worker, true, "revoked", now);
        s_close_frames (frames, count);
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
        s_worker_reply (self, worker, reply, nframes, over, now);
        //  Handing on work may have found the worker gone
        if (at != end
            && !(worker = (worker_t *) zhashx_lookup (self->workers, key)))
            break;
        rc = 0;
    }
    if (rc < 0) {
        self->malformed++;
        s_worker_delete (self, worker, true, "malformed", now);
    }
    s_close_frames (frames, count);
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
}

broker_core_t *
broker_core_new (const broker_limits_t *limits, broker_send_fn *send, void *arg)
{
    broker_core_t *self = (broker_core_t *) zmalloc (sizeof (broker_core_t));
    self->limits = *limits;
    self->retry_safe = strdup (limits->retry_safe ? limits->retry_safe : "");
    self->limits.retry_safe = self->retry_safe;
    self->send = send;
    self->arg = arg;
    self->services = zhashx_new ();
    zhashx_set_destructor (self->services,
                           (zhashx_destructor_fn *) s_service_destroy);
    self->workers = zhashx_new ();
    zhashx_set_destructor (self->workers, s_worker_free);
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
                s_request_destroy (self, &request);
            }
        }
        zhashx_destroy (&self->workers);
        zhashx_destroy (&self->clients);
        zhashx_destroy (&self->services);
        free (self->slots);
        free (self->generations);
        free (self->free_slots);
        free (self->retry_safe);
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
        s_client_compact (self, frames, count, cut, caller, now);
    else if (kj_compact_is (data, size, KJ_KJW))
        s_worker_compact (self, frames, count, cut, caller, now);
    else if (count < 3 || size != 0) {
        self->malformed++;
        s_close_frames (frames, count);
    }
    else if (s_frame_is (&frames [2], KJ_MDPC))
        s_client_message (self, frames, count, cut, caller, now);
    else if (s_frame_is (&frames [2], KJ_MDPW))
        s_worker_message (self, frames, count, cut, caller, now);
    else {
        self->malformed++;
        s_close_frames (frames, count);
    }
}

void
broker_core_message (broker_core_t *self, zmq_msg_t *frames, int count,
                     int64_t now)
{
    //  Callers other than broker_server may pass more than the broker
    //  carries: keep what it takes, as a receiver would
    if (count > BROKER_MAX_FRAMES) {
        s_close_frames (frames + BROKER_MAX_FRAMES, count - BROKER_MAX_FRAMES);
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
        s_close_frames (frames + BROKER_MAX_FRAMES, count - BROKER_MAX_FRAMES);
        count = BROKER_MAX_FRAMES;
        cut = true;
    }
    s_message (self, frames, count, cut, caller, now);
}

//  --------------------------------------------------------------------------
//  Rights on: the rules parsed once, here

int
broker_core_set_rights (broker_core_t *self, const char *rights,
                        const char *read_methods)
{
    free (self->rules);
    self->rules = NULL;
    self->nrules = 0;
    free (self->read_methods);
    self->read_methods = strdup (read_methods ? read_methods : "");
    char *copy = strdup (rights ? rights : "");
    char *save = NULL;
    int rc = 0;
    for (char *item = strtok_r (copy, " \t", &save); item && rc == 0;
         item = strtok_r (NULL, " \t", &save)) {
        char *slash = strchr (item, '/');
        char *equals = slash ? strchr (slash, '=') : NULL;
        if (!slash || !equals || slash == item || equals == slash + 1
            || !equals [1] || slash - item > 255 || equals - slash > 64
            || strlen (equals + 1) > 63) {
            kj_error ("broker.bad_rights",
                      "rule=\"%s\" reason=\"a rule is "
                      "SERVICE/METHOD=ROLE,ROLE (METHOD may be *)\"",
                      item);
            rc = -1;
            break;
        }
        self->rules = (rule_t *) realloc (self->rules,
                                          (self->nrules + 1) * sizeof (rule_t));
        rule_t *rule = &self->rules [self->nrules++];
        *slash = *equals = 0;
        kj_strlcpy (rule->service, item, sizeof rule->service);
        kj_strlcpy (rule->method, slash + 1, sizeof rule->method);
        kj_strlcpy (rule->roles, equals + 1, sizeof rule->roles);
    }
    free (copy);
    self->secure = rc == 0;
    return rc;
}

void
broker_core_count_refusal (broker_core_t *self, const char *reason)
{
    for (int i = 0; i < REFUSAL_REASONS; i++)
        if (streq (s_reasons [i], reason))
            atomic_fetch_add (&self->refusals [i], 1);
}

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
                && s_send_command (self, &worker->id, KJ_MDPW_HEARTBEAT)
                       == BROKER_GONE))
            zlistx_add_end (dead, strdup (worker->key));
    }
    for (char *key = (char *) zlistx_first (dead); key;
         key = (char *) zlistx_next (dead)) {
        worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
        if (worker)
            s_worker_delete (self, worker, true, "expired", now);
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
                s_queue_remove (service, request);
                service->expired++;
                if (service->workers)
                    s_request_fail (
                        self, &request, KJ__CODE__DEADLINE_EXCEEDED, "504",
                        "no worker of service '%s' was free within the "
                        "request's deadline (%u workers, all busy)",
                        service->name, service->workers);
                else
                    s_request_fail (
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
        s_service_uncharge (self, service);
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
            int rc = s_send (self, frames, 2);
            worker_t *worker = batch->worker;
            if (worker && rc == 0)
                for (size_t h = 0; h < batch->nhandles; h++) {
                    request_t *request = s_request_of (self,
                                                       batch->handles [h]);
                    if (request && !request->retry_safe) {
                        s_close_frames (request->body, request->nbody);
                        request->nbody = 0;
                        if (request->has_stamp)
                            zmq_msg_close (&request->stamped);
                        request->has_stamp = false;
                    }
                }
            else if (worker) {
                service_t *service = worker->service;
                s_batch_unsend (self, batch);
                s_ready_remove (service, worker);
                if (rc == BROKER_GONE || worker->in_flight == 0)
                    s_worker_remove (self, worker, false, "unreachable", now);
                s_dispatch (self, service, now);
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
            s_release (request->worker, request);
        else
            s_queue_remove (request->service, request);
        s_request_fail (self, &request, KJ__CODE__UNAVAILABLE, "503",
                        "the broker stopped before the request was answered; "
                        "retry");
    }
    broker_core_flush (self, now);
    for (worker_t *worker = (worker_t *) zhashx_first (self->workers); worker;
         worker = (worker_t *) zhashx_next (self->workers))
        s_send_command (self, &worker->id, KJ_MDPW_DISCONNECT);
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

//  --------------------------------------------------------------------------
//  The copies serving a service: its workers grouped by host and pid, in
//  item->copies (each copy and the array freed by the caller; strings
//  point into the workers).

static void
s_stats_copies (broker_core_t *self, service_t *service, Kj__ServiceStats *item)
{
    item->copies = (Kj__WorkerCopy **) calloc (service->workers + 1,
                                               sizeof (Kj__WorkerCopy *));
    for (worker_t *w = (worker_t *) zhashx_first (self->workers); w;
         w = (worker_t *) zhashx_next (self->workers)) {
        if (w->service != service)
            continue;
        size_t c = 0;
        while (c < item->n_copies
               && (item->copies [c]->pid != w->pid
                   || !streq (item->copies [c]->host, w->host)))
            c++;
        if (c == item->n_copies) {
            if (c == service->workers)
                continue;  //  never: the service counts its workers
            Kj__WorkerCopy *copy = (Kj__WorkerCopy *) malloc (sizeof *copy);
            kj__worker_copy__init (copy);
            copy->pid = w->pid;
            copy->host = w->host;
            copy->instance = w->copy;
            item->copies [item->n_copies++] = copy;
        }
        item->copies [c]->workers++;
    }
}

//  --------------------------------------------------------------------------
//  Statistics: built by encoding the parts we own and decoding the whole,
//  so the result is one unpacked message the caller frees in one call.

Kj__BrokerStats *
broker_core_stats (broker_core_t *self, int64_t now)
{
    Kj__BrokerStats stats = KJ__BROKER_STATS__INIT;
    if (self->info)
        stats = *self->info;
    stats.malformed = self->malformed;
    stats.dropped = self->dropped;
    stats.clients = zhashx_size (self->clients);
    size_t n = zhashx_size (self->services);
    Kj__ServiceStats *items = (Kj__ServiceStats *)
        calloc (n + 1, sizeof (Kj__ServiceStats));
    Kj__ServiceStats **list = (Kj__ServiceStats **)
        calloc (n + 1, sizeof (Kj__ServiceStats *));
    kj_hist_t *both = kj_hist_new ();
    size_t i = 0;
    for (service_t *service = (service_t *) zhashx_first (self->services);
         service; service = (service_t *) zhashx_next (self->services)) {
        Kj__ServiceStats *item = &items [i];
        kj__service_stats__init (item);
        item->name = service->name;
        item->workers = service->workers;
        uint32_t idle = 0;
        for (worker_t *w = service->ready_head; w; w = w->next)
            idle++;
        item->idle = idle;
        item->credit = service->credit;
        item->queued = (uint32_t) service->queued;
        item->queued_bytes = service->queued_bytes;
        item->in_flight = service->in_flight;
        item->served = service->served;
        item->failed = service->failed;
        item->expired = service->expired;
        item->retried = service->retried;
        kj_hist_reset (both);
        kj_hist_merge (both, service->latency);
        kj_hist_merge (both, service->latency_prev);
        item->p50_us = kj_hist_percentile (both, 500);
        item->p99_us = kj_hist_percentile (both, 990);
        s_stats_copies (self, service, item);
        list [i++] = item;
    }
    kj_hist_destroy (&both);
    stats.n_services = i;
    stats.services = list;
    stats.insecure = self->insecure;
    Kj__Refusal refusals [REFUSAL_REASONS], *refusal_list [REFUSAL_REASONS];
    for (int r = 0; r < REFUSAL_REASONS; r++) {
        kj__refusal__init (&refusals [r]);
        refusals [r].reason = (char *) s_reasons [r];
        refusals [r].count = atomic_load (&self->refusals [r]);
        refusal_list [r] = &refusals [r];
    }
    stats.n_refusals = REFUSAL_REASONS;
    stats.refusals = refusal_list;
    size_t size = kj__broker_stats__get_packed_size (&stats);
    uint8_t *buffer = (uint8_t *) malloc (size ? size : 1);
    kj__broker_stats__pack (&stats, buffer);
    Kj__BrokerStats *result = kj__broker_stats__unpack (NULL, size, buffer);
    free (buffer);
    for (size_t k = 0; k < i; k++) {
        for (size_t c = 0; c < items [k].n_copies; c++)
            free (items [k].copies [c]);
        free (items [k].copies);
    }
    free (items);
    free (list);
    return result;
}
