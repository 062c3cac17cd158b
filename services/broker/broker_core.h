/*  =========================================================================
    broker_core - the Majordomo broker's state and rules, without sockets

    Takes each message the ROUTER socket received (frame 0 is the peer's
    routing id) and the passing of time; produces messages to send through a
    callback. Services, their queues, their workers, requests in flight,
    heartbeats, expiry, retries and statistics all live here, so tests drive
    the broker with made-up frames and a made-up clock.
    =========================================================================
*/

#ifndef BROKER_CORE_H_INCLUDED
#define BROKER_CORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>
#include "broker.pb-c.h"

//  A request or a reply carries at most BROKER_MAX_BODY body frames; the
//  longest message the broker takes, a worker's REPLY with a full body, is
//  BROKER_MAX_FRAMES frames counting the peer's routing id. A receiver cuts
//  anything longer and hands it over with broker_core_message_cut, so that
//  the sender still gets an answer.
#define BROKER_MAX_BODY   64
#define BROKER_MAX_FRAMES (6 + BROKER_MAX_BODY)

//  The longest deadline a request may ask for is max_wait_ms; any 32-bit
//  timeout_ms is taken and capped to it.

typedef struct {
    int heartbeat_ms;         //  interval of heartbeats both ways
    int liveness;             //  silent intervals before an idle worker
                              //  is dead
    int busy_timeout_ms;      //  silence before a busy worker is dead
    int default_wait_ms;      //  deadline of a request that names none
    int max_wait_ms;          //  cap on any request's deadline
    size_t queue_max;         //  requests queued per service
    size_t queue_max_bytes;   //  bytes queued per service
    size_t client_max;        //  requests pending per client
    size_t max_services;      //  services known at once
    size_t peer_services;     //  services one client may have created
                              //  that no worker serves yet
    size_t max_bytes;         //  bytes held for every pending request
                              //  together; past it new ones are refused
    int max_retries;          //  re-sends of one request after worker deaths
    const char *retry_safe;   //  plain MDP services that may be re-sent,
                              //  comma-separated ("" none)
    const char *audit_sink;   //  service that records the refusals no
                              //  service of their own records ("" none)
    size_t audit_max;         //  refusals on their way to it, in total
    size_t audit_client_max;  //  and from one client
} broker_limits_t;

//  Fill limits with the defaults.
void
    broker_limits_default (broker_limits_t *limits);

//  Send one message of `count` frames; frame 0 is the peer's routing id.
//  Takes ownership of the frames (closes them). Returns 0 when sent,
//  BROKER_GONE when the peer is not connected, -1 when it could not be sent
//  for another reason (its pipe is full). Nothing of a failed message went
//  out.
#define BROKER_GONE (-2)
typedef int (broker_send_fn) (void *arg, zmq_msg_t *frames, int count);

typedef struct _broker_core_t broker_core_t;

broker_core_t *
    broker_core_new (const broker_limits_t *limits, broker_send_fn *send,
                     void *arg);

void
    broker_core_destroy (broker_core_t **self_p);

//  One message from the ROUTER socket: frames [0] is the peer's routing
//  id. Takes ownership of the frames. Malformed input is counted and
//  dropped, never asserted on.
void
    broker_core_message (broker_core_t *self, zmq_msg_t *frames, int count,
                         int64_t now_us);

//  Who sent a message, from its CURVE key (the ZAP handler's User-Id and
//  the key directory): the rights the broker checks and the caller it
//  stamps on requests to Kejin workers. revoked: the key was taken back
//  since the peer connected.
typedef struct {
    const char *name;
    const char *role;  //  service, operator, integrator, peer
    const char *city;
    const char *services;  //  a service key's services, "a,b" or "*"
    bool revoked;
    const char *refused;  //  set by broker_core only: why it refused
} broker_caller_t;

//  Turn rights on: from now on every message needs a caller (NULL is
//  refused as unauthenticated). rights is the broker/rights option
//  (space-separated SERVICE/METHOD=ROLE,ROLE rules, METHOD may be *; the
//  first that matches decides), read_methods the method name prefixes that
//  only read (any role may call them; other methods need service or
//  operator). Returns -1 (logged) for a rule it cannot parse.
int
    broker_core_set_rights (broker_core_t *self, const char *rights,
                            const char *read_methods);

//  Federation (docs/federation.md): a request that crossed more than
//  max_hops links between cities is refused; a peer key's request keeps
//  the caller it carries when the caller's city is the peer's own or one
//  carry ("PEER=CITY,CITY PEER=*", space-separated) gives it. Returns -1
//  (logged) for a rule it cannot parse. Defaults: 2 hops, no carry rules.
int
    broker_core_set_federation (broker_core_t *self, int max_hops,
                                const char *carry);

//  broker_core_message with the sender's caller (NULL: none known).
void
    broker_core_message_as (broker_core_t *self, zmq_msg_t *frames, int count,
                            bool cut, const broker_caller_t *caller,
                            int64_t now_us);

//  Count a refusal made outside the core (the event proxy's "topic");
//  safe from any thread.
void
    broker_core_count_refusal (broker_core_t *self, const char *reason);

//  Say in Stats that CURVE is off.
void
    broker_core_set_insecure (broker_core_t *self, bool insecure);

//  The same for a message that had more frames than the receiver kept:
//  `count` frames were kept, the rest dropped. A request is refused with
//  OUT_OF_RANGE, a worker's reply fails its request the same way.
void
    broker_core_message_cut (broker_core_t *self, zmq_msg_t *frames, int count,
                             int64_t now_us);

//  Send what was gathered for peers that speak the compact framing: call
//  before waiting for more messages, and after broker_core_tick.
void
    broker_core_flush (broker_core_t *self, int64_t now_us);

//  Is something gathered and not sent yet?
bool
    broker_core_gathered (broker_core_t *self);

//  Heartbeats, dead workers, expired requests. Call at least every
//  broker_core_next_tick.
void
    broker_core_tick (broker_core_t *self, int64_t now_us);

//  When tick next has work to do.
int64_t
    broker_core_next_tick (broker_core_t *self);

//  Start a shutdown: new requests are refused with UNAVAILABLE, queued and
//  in-flight ones go on.
void
    broker_core_drain (broker_core_t *self);

//  Requests queued plus in flight.
size_t
    broker_core_pending (broker_core_t *self);

//  Fail every pending request with UNAVAILABLE and say DISCONNECT to every
//  worker. The last step of a shutdown.
void
    broker_core_close (broker_core_t *self, int64_t now_us);

//  Count a message that could not be received whole (e.g. too many frames).
void
    broker_core_count_malformed (broker_core_t *self);

//  Describe the broker in the reply of kejin.broker Stats: fields not about
//  the core (endpoints, pid) come from `info`, copied.
void
    broker_core_set_info (broker_core_t *self, const Kj__BrokerStats *info);

//  Statistics as a new message; free with kj__broker_stats__free_unpacked
//  (NULL allocator).
Kj__BrokerStats *
    broker_core_stats (broker_core_t *self, int64_t now_us);

//  Counters for tests and the shutdown log line.
uint64_t
    broker_core_malformed (broker_core_t *self);
uint64_t
    broker_core_dropped (broker_core_t *self);

#endif
