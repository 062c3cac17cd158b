/*  =========================================================================
    kj_worker - MDP/0.1 worker that serves one protobuf service

    Registers with the broker (READY, with a Kejin credit extension),
    heartbeats both ways, re-registers by itself after a broker restart
    (DISCONNECT, or silence for `liveness` intervals), and says DISCONNECT
    when it stops. For each request it decodes the header and payload,
    finds the handler of the method through the service descriptor, calls
    it, encodes the reply. An unknown method, an undecodable body or a
    failing handler gets a status reply, never silence. Every service
    also answers "Health" (kj.HealthRequest -> kj.Health) unless its
    .proto has a method of that name.

    A method flagged KJ_WRITE runs inside a database transaction on the
    worker's connection, with idempotency: a request whose key was seen
    before gets the first answer again, whatever the handler (which runs,
    its key looked up in its first round trip) did: its transaction is
    rolled back; the same key with other content is refused. Handlers add their events with
    kj_outbox_add in that same transaction.

    One worker runs on one thread and handles one request at a time; a
    daemon runs several worker threads for concurrency.
    =========================================================================
*/

#ifndef KJ_WORKER_H_INCLUDED
#define KJ_WORKER_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>
#include "kj_db.h"
#include "kj_proto.h"

typedef struct _kj_worker_t kj_worker_t;
typedef struct _kj_call_t kj_call_t;

//  A handler fills `reply` (already initialised to its type) from
//  `request` and returns 0, or returns kj_call_fail (...). Memory the
//  reply points to comes from kj_call_alloc and friends, freed after the
//  reply is sent.
typedef int (kj_handler_fn) (kj_call_t *call, const ProtobufCMessage *request,
                             ProtobufCMessage *reply);

#define KJ_WRITE 1  //  transaction + idempotency
#define KJ_BATCH 2  //  with KJ_WRITE: calls that come together run together

//  A KJ_BATCH method's calls that reach a worker in one message (the
//  broker sends a worker with credit what waited for it in one KJW01
//  frame) run in one transaction (kj_worker_batch.c): their keys claimed
//  in one round trip, then this handler for every call whose key is new,
//  then their audit and key rows with one COMMIT. For each call it either
//  fills replies [i] and sets done [i] (its writes are in the
//  transaction), or leaves done [i] false: that call then runs alone with
//  the method's handler, after the commit, as if it had come alone. So it
//  never refuses a call itself: every refusal stays the handler's. 0, or
//  -1 when the transaction cannot go on: every call then runs alone.
typedef int (kj_batch_fn) (kj_call_t **calls, const ProtobufCMessage **requests,
                           ProtobufCMessage **replies, bool *done, int count);

typedef struct {
    const char *name;  //  method name, as in the .proto service
    kj_handler_fn *handler;
    int flags;           //  0, KJ_WRITE, or KJ_WRITE | KJ_BATCH
    kj_batch_fn *batch;  //  with KJ_BATCH: its calls together
} kj_method_t;

//  Hooks of the daemon around every call, each given the config's `hooks`
//  first (kj_service sets them; a bare worker leaves them NULL):
//  - admit runs before the handler and may refuse the call (return
//    kj_call_fail (...)): the place for rights checks on the caller;
//  - done sees every reply just before it is sent (the call's header
//    still readable, for an audit trail): the method's index in the
//    descriptor (n_methods for the built-in Health, -1 when no method was
//    found), the status code and the time from arrival to reply;
//  - health adds to the built-in Health answer, which the worker has
//    filled with what it knows (service, worker, pid, version, uptime).
typedef int (kj_admit_fn) (void *hooks, kj_call_t *call,
                           const ProtobufCMethodDescriptor *method);
typedef void (kj_done_fn) (void *hooks, kj_call_t *call, int index, int code,
                           int64_t latency_us);
typedef int (kj_health_fn) (void *hooks, kj_call_t *call, Kj__Health *reply);
//  - audit records a call: every call of a KJ_WRITE method (inside its
//    transaction before the commit when it succeeds, with the decoded
//    request and reply; on its own after the rollback when it fails), and
//    every call refused with PERMISSION_DENIED or UNAUTHENTICATED (request
//    NULL when refused before decoding). 0, or -1 when the database
//    failed: a write is then rolled back and answered UNAVAILABLE;
//  - verify answers the built-in "AuditVerify" (unless the .proto has a
//    method of that name); NULL: the worker answers UNIMPLEMENTED.
typedef int (kj_audit_fn) (void *hooks, kj_call_t *call,
                           const ProtobufCMethodDescriptor *method,
                           const ProtobufCMessage *request,
                           const ProtobufCMessage *reply, int code);
typedef int (kj_verify_fn) (void *hooks, kj_call_t *call,
                            const Kj__AuditVerifyRequest *request,
                            Kj__AuditVerify *reply);

typedef struct {
    const char *endpoint;  //  broker ROUTER endpoint
    const char *service;   //  MDP service name, e.g. "registry"
    const ProtobufCServiceDescriptor *descriptor;
    const kj_method_t *methods;  //  one per descriptor method, { NULL } ends
    void *state;                 //  given to handlers by kj_call_state
    kj_db_t *db;                 //  connection for KJ_WRITE methods
    int credit;                  //  requests the broker may send ahead (1)
    int heartbeat_ms;            //  2500 unless set
    int liveness;                //  3 unless set
    const char *instance;        //  name in logs and replies, e.g. "registry.1"
    void *hooks;                 //  given to the hooks below
    kj_admit_fn *admit;          //  NULL: every call is admitted
    kj_done_fn *done;            //  NULL: nothing counts replies
    kj_health_fn *health;        //  NULL: Health says what the worker knows
    kj_audit_fn *audit;          //  NULL: no audit trail
    kj_verify_fn *verify;        //  NULL: no AuditVerify
} kj_worker_config_t;

//  Create a worker; it connects when kj_worker_run starts. Asserts that
//  every method of the descriptor has a handler.
kj_worker_t *
    kj_worker_new (const kj_worker_config_t *config);

void
    kj_worker_destroy (kj_worker_t **self_p);

//  Serve until kj_stopping () or kj_worker_stop; then send DISCONNECT and
//  return 0.
int
    kj_worker_run (kj_worker_t *self);

//  Ask a running worker to return from kj_worker_run (any thread).
void
    kj_worker_stop (kj_worker_t *self);

//  Requests served so far (replies sent, errors included).
uint64_t
    kj_worker_served (kj_worker_t *self);

//  --------------------------------------------------------------------------
//  Inside a handler

void *
    kj_call_state (kj_call_t *call);

kj_db_t *
    kj_call_db (kj_call_t *call);

//  The request's header: method, request id, idempotency key, caller.
const Kj__RequestHeader *
    kj_call_header (kj_call_t *call);

//  Who called, as the broker vouches for it: on a node with keys the
//  broker writes the caller's key name, role and city into the header of
//  every request to a Kejin worker, over whatever the client put there, so
//  this is never taken from the payload. Empty strings on an open node;
//  never NULL.
const Kj__Caller *
    kj_call_caller (kj_call_t *call);

//  The caller's identity (kj_call_caller), or fallback when it names none.
const char *
    kj_call_who (kj_call_t *call, const char *fallback);

const char *
    kj_call_instance (kj_call_t *call);

//  The call's status so far (what a failed call will answer).
const kj_status_t *
    kj_call_status (kj_call_t *call);

//  A pointer the daemon's hooks keep with the call (kj_audit_object sets
//  it); NULL at the start of every call and of every retry of a write.
void
    kj_call_set_note (kj_call_t *call, void *note);
void *
    kj_call_note (kj_call_t *call);

//  Fail the call with code (kj.Code), the field at fault (or NULL) and a
//  message, translated into the language of the request (kj_i18n);
//  returns -1 for `return kj_call_fail (...)`.
int
    kj_call_fail (kj_call_t *call, int code, const char *field,
                  const char *format, ...)
        __attribute__ ((format (printf, 4, 5)));

//  Fail the call because its database failed: UNAVAILABLE (retry), with
//  the connection's SQLSTATE and error; a KJ_WRITE method's transaction is
//  retried by the worker when PostgreSQL says it may be.
int
    kj_call_fail_db (kj_call_t *call);

//  Fail the call with the status already filled in (from a rules class).
int
    kj_call_fail_status (kj_call_t *call, const kj_status_t *status);

//  Zeroed memory that lives until the reply is sent.
void *
    kj_call_alloc (kj_call_t *call, size_t size);
char *
    kj_call_strdup (kj_call_t *call, const char *string);
char *
    kj_call_printf (kj_call_t *call, const char *format, ...)
        __attribute__ ((format (printf, 2, 3)));

//  A new message of `type`, initialised, living until the reply is sent.
void *
    kj_call_message (kj_call_t *call, const ProtobufCMessageDescriptor *type);

//  A protobuf allocator on the call's memory, for protobuf_c_message_unpack
//  and the like: what it gives lives until the reply is sent; its free
//  does nothing.
void
    kj_call_allocator (kj_call_t *call, ProtobufCAllocator *allocator);

//  Long handlers call this now and then: it sends the broker a heartbeat
//  when one is due, so that the worker is not taken for dead.
void
    kj_call_keepalive (kj_call_t *call);

#endif
