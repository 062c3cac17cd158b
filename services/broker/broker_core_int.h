/*  =========================================================================
    broker_core_int - what the files of broker_core share, inside the broker

    broker_core is one class in several files, split by concern:
    - broker_core.c     frames, new/destroy, the message switch, tick, close
    - broker_queue.c    clients, services, queues, requests, errors, dispatch
    - broker_compact.c  the compact framing (KJC01/KJW01) and its batches
    - broker_rights.c   rights, refusals, the caller stamp, federation
    - broker_client.c   a client's request, MMI and kejin.broker
    - broker_worker.c   a worker's READY, REPLY, heartbeat and going away
    - broker_stats.c    kejin.broker Stats
    The state and its types are here; nothing outside services/broker
    includes this header (broker_core.h is the class's interface).
    =========================================================================
*/

#ifndef BROKER_CORE_INT_H_INCLUDED
#define BROKER_CORE_INT_H_INCLUDED

#include "kejin.h"
#include "broker_core.h"
#include <stdatomic.h>

#define MAX_KEY           512  //  hex of a routing id (up to 255 bytes)
#define BATCH_BYTES       (256 * 1024)  //  a gathered frame, at most
#define LATENCY_WINDOW_US (60 * 1000000LL)
#define SERVICE_IDLE_US   (60 * 1000000LL)
#define AUDIT_WAIT_MS     2000  //  longest a refusal waits for the sink

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

//  Why the broker refused a caller, counted in Stats (broker_rights.c)
extern const char *broker_reasons [];
#define REFUSAL_REASONS 10
enum {
    REFUSED_UNAUTHENTICATED,
    REFUSED_REVOKED,
    REFUSED_WORKER_ROLE,
    REFUSED_WORKER_SERVICE,
    REFUSED_METHOD_ROLE,
    REFUSED_TOPIC,
    REFUSED_PUBLISHER,
    REFUSED_PEER_CITY,
    REFUSED_HOPS,
    REFUSED_UNAUDITED  //  a refusal the audit sink could not take
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
    char *refusal;           //  a refusal on its way to the audit sink:
                             //  the broker's reason, what the client
                             //  hears whatever happens
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
    size_t audit_pending;  //  of pending, refusals going to the sink
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
    char *retry_safe;      //  copy of limits.retry_safe
    char *audit_sink;      //  copy of limits.audit_sink
    size_t audit_pending;  //  requests on their way to the audit sink
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

//  --------------------------------------------------------------------------
//  broker_core.c: frames, the core itself, time

//  Frames
void
    broker_frame_str (zmq_msg_t *frame, const char *string);

void
    broker_frame_mem (zmq_msg_t *frame, const void *data, size_t size);

bool
    broker_frame_is (zmq_msg_t *frame, const char *string);

void
    broker_close_frames (zmq_msg_t *frames, int count);

void
    broker_hex_key (zmq_msg_t *id, char *key);

int
    broker_send_frames (broker_core_t *self, zmq_msg_t *frames, int count);

//  --------------------------------------------------------------------------
//  broker_queue.c: clients, services, queues, requests, answers, dispatch

//  Clients: one entry per peer with requests pending or services it made.
//  A client is looked up by the hex of its routing id.
client_t *
    broker_client_require (broker_core_t *self, const char *key);

//  Forget a client that holds nothing any more.
void
    broker_client_release (broker_core_t *self, client_t *client);

//  The service no longer counts against the client that created it: a
//  worker came, or the service goes away.
void
    broker_service_uncharge (broker_core_t *self, service_t *service);

//  The service of that name, created if need be; NULL when the table is
//  full. A client creating one is charged for it until a worker comes, so
//  that one peer cannot fill the table with names nobody serves.
service_t *
    broker_service_require (broker_core_t *self, const char *name,
                            client_t *creator, int64_t now);

void
    broker_service_destroy (service_t **service_p);

void
    broker_queue_push (broker_core_t *self, service_t *service,
                       request_t *request, bool front);

void
    broker_queue_remove (service_t *service, request_t *request);

void
    broker_ready_push (service_t *service, worker_t *worker);

void
    broker_ready_remove (service_t *service, worker_t *worker);

void
    broker_release_request (worker_t *worker, request_t *request);

//  Requests
request_t *
    broker_request_new (broker_core_t *self, int nbody);

void
    broker_request_destroy (broker_core_t *self, request_t **request_p);

//  To a client: [client] [] [MDPC01] [service] [body]..., or when compact
//  [client] ["KJC01" record] (kj_mdp.h), into the client's batch when
//  `client` is known. Takes the id, service and body frames, and leaves
//  them empty.
int
    broker_send_client (broker_core_t *self, zmq_msg_t *client_id,
                        zmq_msg_t *service_frame, zmq_msg_t *body, int nbody,
                        bool compact, client_t *client);

//  An error to a client: a Kejin reply header when `header` (the
//  request's, or NULL for a plain client), else [plain code] [message], in
//  the framing the request came in. Takes the client id and service
//  frames.
void
    broker_send_error (broker_core_t *self, zmq_msg_t *client_id,
                       zmq_msg_t *service_frame, Kj__RequestHeader *header,
                       int code, const char *field, const char *plain_code,
                       const char *message, bool compact, client_t *client);

void
    broker_request_fail (broker_core_t *self, request_t **request_p, int code,
                         const char *plain_code, const char *format, ...);

//  Refuse a client message before it became a request: frames are
//  [client] [] [MDPC01] [service] ... (KJC01 in place of MDPC01 for one
//  that came compact); closes them.
void
    broker_refuse (broker_core_t *self, zmq_msg_t *frames, int count,
                   Kj__RequestHeader *header, int code, const char *field,
                   const char *plain_code, const char *format, ...);

//  Send the head of the queue to the least recently used worker with
//  credit, while both exist. The body goes out as copies (zmq_msg_copy
//  shares large frames), so that a hand-off that fails loses nothing; a
//  request that may not be re-sent drops its copy once it went out.
void
    broker_dispatch (broker_core_t *self, service_t *service, int64_t now);

//  --------------------------------------------------------------------------
//  broker_compact.c: the compact framing (KJC01/KJW01) and its batches

//  Batches: room for a record of `room` bytes in the peer's batch, opened
//  if it has none since the last flush or its batch is full. *epoch and
//  *index are the peer's note of its batch.
uint8_t *
    broker_batch_room (broker_core_t *self, zmq_msg_t *id, worker_t *worker,
                       uint64_t *epoch, size_t *index, const char *protocol,
                       size_t room);

//  A worker goes: what it was about to be sent was not sent.
void
    broker_batch_forget (broker_core_t *self, worker_t *worker);

//  A request into a compact worker's batch: [0x02] [handle] [part]...,
//  the header with the caller stamped.
void
    broker_batch_request (broker_core_t *self, request_t *request,
                          worker_t *worker);

//  [client] ["KJC01" record...]: each record a request
//  [service-size] [service] [part]...
void
    broker_client_compact (broker_core_t *self, zmq_msg_t *frames, int count,
                           bool cut, const broker_caller_t *caller,
                           int64_t now);

//  [worker] ["KJW01" record...]: each record a REPLY
//  [0x03] [handle] [part]...; a worker that breaks the framing is an
//  invalid peer, told to go.
void
    broker_worker_compact (broker_core_t *self, zmq_msg_t *frames, int count,
                           bool cut, const broker_caller_t *caller,
                           int64_t now);

//  --------------------------------------------------------------------------
//  broker_rights.c: rights, refusals, the caller stamp, federation

//  May a service key whose certificate lists services serve name? A listed
//  X covers X and its sub-services X.<anything> (registry.bulk,
//  events.writer), the names one daemon serves.
bool
    broker_serves (const char *services, const char *name);

//  May caller call method of service? *allowed says which roles may.
bool
    broker_may_call (broker_core_t *self, const broker_caller_t *caller,
                     const char *service, const char *method,
                     const char **allowed);

//  Count and log a refusal; the log says the first 100 of each reason,
//  then one in 1000, so that a flood of refusals cannot flood the log.
void
    broker_count_refused (broker_core_t *self, int reason,
                          const broker_caller_t *caller, const char *service,
                          const char *method);

//  body [0] as Kejin workers get it: the client's header with the caller
//  the broker vouches for in place of whatever the client wrote.
void
    broker_stamp (broker_core_t *self, request_t *request,
                  Kj__RequestHeader *header, const broker_caller_t *caller);

//  Federation (docs/federation.md): requests of other cities come through
//  kejin-link, which holds a peer key here. The rules, all in this section:
//  - a request that crossed more links than federation/max_hops allows is
//    refused, so routes that make a loop cannot bounce a request forever;
//  - a peer key's request keeps the caller it carries (stamped by the
//    first broker) if the peer may carry callers of that city: its own
//    city, or the cities federation/carry gives its name; rights are then
//    checked against the carried caller's role;
//  - a peer key's workers get requests only while the service has no
//    local worker (broker_next_worker).
worker_t *
    broker_next_worker (service_t *service);

//  Before the rights: the hop limit, and the caller a peer carries. 0 to
//  go on (*caller_p is then the carried caller, in *carried, when a peer
//  carries one), -1 when refused (frames closed).
int
    broker_federation_admit (broker_core_t *self, zmq_msg_t *frames, int count,
                             Kj__RequestHeader *header, const char *name,
                             const broker_caller_t **caller_p,
                             broker_caller_t *carried);

//  --------------------------------------------------------------------------
//  broker_client.c: client requests, MMI and kejin.broker

//  A client request: [client] [] [MDPC01] [service] [body]... `cut` says
//  the receiver dropped frames past `count`. Every refusal names the bound.
void
    broker_client_message (broker_core_t *self, zmq_msg_t *frames, int count,
                           bool cut, const broker_caller_t *caller,
                           int64_t now);

//  --------------------------------------------------------------------------
//  broker_worker.c: workers: READY, REPLY, heartbeats, going away

//  Workers
int
    broker_send_command (broker_core_t *self, zmq_msg_t *id, int command);

//  A worker is gone (it said DISCONNECT, fell silent, broke the protocol,
//  or could not be reached). What it held goes back to the front of the
//  queue where that is safe, and is answered with an error otherwise:
//  never dropped. Frees the worker; does not dispatch.
void
    broker_worker_remove (broker_core_t *self, worker_t *worker,
                          bool disconnect, const char *reason, int64_t now);

//  The same, then what was re-queued goes to the workers left.
void
    broker_worker_delete (broker_core_t *self, worker_t *worker,
                          bool disconnect, const char *reason, int64_t now);

void
    broker_worker_free (void **item);

//  A worker's REPLY: [worker] [] [MDPW01] [0x03] [handle] [] [body]...
void
    broker_worker_reply (broker_core_t *self, worker_t *worker,
                         zmq_msg_t *frames, int count, bool cut, int64_t now);

void
    broker_worker_message (broker_core_t *self, zmq_msg_t *frames, int count,
                           bool cut, const broker_caller_t *caller,
                           int64_t now);

#endif
