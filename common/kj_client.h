/*  =========================================================================
    kj_client - MDP/0.1 client with Kejin bodies

    Synchronous calls with a timeout and retries for people and services;
    asynchronous sends with many requests in flight, replies matched by
    request id, for batch work and benchmarks. One client per thread.

    Every call carries a request id and a deadline. A write carries an
    idempotency key (generated unless given), so a retry after a timeout is
    done once by the service; a read is safe to retry as it is.
    =========================================================================
*/

#ifndef KJ_CLIENT_H_INCLUDED
#define KJ_CLIENT_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>
#include "kj_proto.h"

typedef struct _kj_client_t kj_client_t;

//  Per-call options; pass NULL for the client's defaults (a write).
typedef struct {
    int timeout_ms;               //  per attempt; 0: the client's default
    int retries;                  //  attempts after the first; 0: the
                                  //  client's default, -1: none
    const char *idempotency_key;  //  NULL: a new one for a write
    bool read_only;               //  a read: no key, always safe to retry
} kj_call_opts_t;

//  Connect to a broker (e.g. "tcp://127.0.0.1:5555"). Never fails for a
//  broker that is down: calls time out until it is up.
kj_client_t *
    kj_client_new (const char *endpoint);

void
    kj_client_destroy (kj_client_t **self_p);

//  Defaults for calls without their own: 5000 ms per attempt, 2 retries
//  (a negative count: none).
void
    kj_client_set_timeout (kj_client_t *self, int timeout_ms);
void
    kj_client_set_retries (kj_client_t *self, int retries);

//  The identity to claim as caller in every request's header (NULL: none).
//  On an open node services take it as said; with CURVE the broker will
//  stamp the identity it vouches for instead.
void
    kj_client_set_caller (kj_client_t *self, const char *identity);

//  Call service.method with request. Returns the status code (kj.Code);
//  the status is filled in either way (DEADLINE_EXCEEDED when no answer
//  came in time, after the retries). On OK, *reply_p is the decoded reply
//  of type reply_type: free it with protobuf_c_message_free_unpacked.
int
    kj_client_call (kj_client_t *self, const char *service, const char *method,
                    const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *reply_type,
                    ProtobufCMessage **reply_p, kj_status_t *status,
                    const kj_call_opts_t *opts);

//  Send without waiting; returns the request id (never 0), or 0 if the
//  message could not be queued.
uint64_t
    kj_client_send (kj_client_t *self, const char *service, const char *method,
                    const ProtobufCMessage *request,
                    const kj_call_opts_t *opts);

//  Wait up to timeout_ms (-1 forever) for the next reply to any request
//  sent with kj_client_send. Returns its status code and request id, with
//  the decoded reply on OK as kj_client_call does; returns -1 if nothing
//  came in time. Replies come in any order.
int
    kj_client_recv (kj_client_t *self, int timeout_ms, uint64_t *request_id,
                    const ProtobufCMessageDescriptor *reply_type,
                    ProtobufCMessage **reply_p, kj_status_t *status);

//  The socket, to poll it beside others (readable: a reply is waiting).
zsock_t *
    kj_client_sock (kj_client_t *self);

#endif
