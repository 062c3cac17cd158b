/*  =========================================================================
    mdp_rfc - a Majordomo client and worker written from RFC 7/MDP alone

    Deliberately independent of common/: raw libzmq sockets, opaque bodies,
    the RFC's heartbeat and reconnect rules, the way the reference
    mdcliapi/mdwrkapi work. The tests use them to prove that any MDP/0.1
    peer works through kejin-broker unchanged.
    =========================================================================
*/

#ifndef MDP_RFC_H_INCLUDED
#define MDP_RFC_H_INCLUDED

#include <zmq.h>
#include <stdbool.h>
#include <stddef.h>

//  A body: up to MDP_RFC_MAX_FRAMES frames of bytes
#define MDP_RFC_MAX_FRAMES 16
typedef struct {
    int count;
    size_t size [MDP_RFC_MAX_FRAMES];
    unsigned char *data [MDP_RFC_MAX_FRAMES];
} mdp_body_t;

void
    mdp_body_add (mdp_body_t *body, const void *data, size_t size);
void
    mdp_body_add_str (mdp_body_t *body, const char *string);
void
    mdp_body_free (mdp_body_t *body);
//  True if frame i holds exactly string
bool
    mdp_body_is (const mdp_body_t *body, int i, const char *string);

//  --------------------------------------------------------------------------
//  Client: a REQ socket, as RFC 7 allows; on timeout the socket is closed
//  and a new one opened (the "lazy pirate" way), then the request resent.

typedef struct _mdp_client_t mdp_client_t;

mdp_client_t *
    mdp_client_new (void *ctx, const char *endpoint);
void
    mdp_client_destroy (mdp_client_t **self_p);

//  Send body to service, wait up to timeout_ms per attempt, `retries`
//  more attempts. Returns 0 with the reply body, -1 if none came.
int
    mdp_client_request (mdp_client_t *self, const char *service,
                        const mdp_body_t *body, mdp_body_t *reply,
                        int timeout_ms, int retries);

//  --------------------------------------------------------------------------
//  Worker: a DEALER socket; READY, one request at a time, heartbeats every
//  heartbeat_ms, reconnect with a new socket after 3 silent intervals or on
//  DISCONNECT.

typedef struct _mdp_worker_t mdp_worker_t;

mdp_worker_t *
    mdp_worker_new (void *ctx, const char *endpoint, const char *service,
                    int heartbeat_ms);
void
    mdp_worker_destroy (mdp_worker_t **self_p);

//  Wait up to timeout_ms (-1 forever) for a request. Returns 0 with its
//  body, -1 on timeout or interruption. Every message from the broker must
//  have at least 3 frames, as reference workers assert: a shorter one makes
//  this return -2 (a protocol violation by the broker).
int
    mdp_worker_recv (mdp_worker_t *self, mdp_body_t *request, int timeout_ms);

//  Reply to the request last received.
int
    mdp_worker_send (mdp_worker_t *self, const mdp_body_t *reply);

//  Times this worker (re)connected: 1 after the first READY.
int
    mdp_worker_connects (mdp_worker_t *self);

#endif
