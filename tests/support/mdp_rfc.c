/*  =========================================================================
    mdp_rfc - a Majordomo client and worker written from RFC 7/MDP alone
    =========================================================================
*/

#include "mdp_rfc.h"
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mdp_body_add (mdp_body_t *body, const void *data, size_t size)
{
    assert (body->count < MDP_RFC_MAX_FRAMES);
    body->data [body->count] = (unsigned char *) malloc (size ? size : 1);
    if (size)
        memcpy (body->data [body->count], data, size);
    body->size [body->count++] = size;
}

void
mdp_body_add_str (mdp_body_t *body, const char *string)
{
    mdp_body_add (body, string, strlen (string));
}

void
mdp_body_free (mdp_body_t *body)
{
    for (int i = 0; i < body->count; i++)
        free (body->data [i]);
    body->count = 0;
}

bool
mdp_body_is (const mdp_body_t *body, int i, const char *string)
{
    return i < body->count && body->size [i] == strlen (string)
        && memcmp (body->data [i], string, body->size [i]) == 0;
}

//  Send frames: `count` fixed strings/buffers then a body
static int
s_send (void *sock, const void *const *parts, const size_t *sizes, int count,
        const mdp_body_t *body)
{
    int total = count + (body ? body->count : 0);
    for (int i = 0; i < total; i++) {
        const void *data = i < count ? parts [i] : body->data [i - count];
        size_t size = i < count ? sizes [i] : body->size [i - count];
        if (zmq_send (sock, data, size, i < total - 1 ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    }
    return 0;
}

//  Receive one whole message into a body
static int
s_recv (void *sock, mdp_body_t *msg)
{
    msg->count = 0;
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, sock, 0) < 0) {
            zmq_msg_close (&frame);
            mdp_body_free (msg);
            return -1;
        }
        if (msg->count < MDP_RFC_MAX_FRAMES)
            mdp_body_add (msg, zmq_msg_data (&frame), zmq_msg_size (&frame));
        more = zmq_msg_more (&frame);
        zmq_msg_close (&frame);
    }
    return 0;
}

//  --------------------------------------------------------------------------

struct _mdp_client_t {
    void *ctx;
    char *endpoint;
    void *sock;
};

static void
s_client_connect (mdp_client_t *self)
{
    if (self->sock)
        zmq_close (self->sock);
    self->sock = zmq_socket (self->ctx, ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect (self->sock, self->endpoint);
}

mdp_client_t *
mdp_client_new (void *ctx, const char *endpoint)
{
    mdp_client_t *self = (mdp_client_t *) calloc (1, sizeof (mdp_client_t));
    self->ctx = ctx;
    self->endpoint = strdup (endpoint);
    s_client_connect (self);
    return self;
}

void
mdp_client_destroy (mdp_client_t **self_p)
{
    if (*self_p) {
        zmq_close ((*self_p)->sock);
        free ((*self_p)->endpoint);
        free (*self_p);
        *self_p = NULL;
    }
}

int
mdp_client_request (mdp_client_t *self, const char *service,
                    const mdp_body_t *body, mdp_body_t *reply, int timeout_ms,
                    int retries)
{
    for (int attempt = 0; attempt <= retries; attempt++) {
        //  REQ adds the empty delimiter: [MDPC01] [service] [body]...
        const void *parts [] = { "MDPC01", service };
        size_t sizes [] = { 6, strlen (service) };
        if (s_send (self->sock, parts, sizes, 2, body))
            return -1;
        zmq_pollitem_t item = { self->sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, timeout_ms) == 1) {
            mdp_body_t msg = { 0 };
            if (s_recv (self->sock, &msg))
                return -1;
            //  [MDPC01] [service] [body]...: the RFC's reply, checked
            if (msg.count < 2 || !mdp_body_is (&msg, 0, "MDPC01")
                || !mdp_body_is (&msg, 1, service)) {
                mdp_body_free (&msg);
                return -1;
            }
            reply->count = 0;
            for (int i = 2; i < msg.count; i++)
                mdp_body_add (reply, msg.data [i], msg.size [i]);
            mdp_body_free (&msg);
            return 0;
        }
        s_client_connect (self);
    }
    return -1;
}

//  --------------------------------------------------------------------------

struct _mdp_worker_t {
    void *ctx;
    char *endpoint;
    char *service;
    void *sock;
    int heartbeat_ms;
    int liveness;
    int64_t heartbeat_at;
    int connects;
    mdp_body_t reply_to;  //  address frame of the request in hand
};

static void
s_command (mdp_worker_t *self, char command, const char *option,
           const mdp_body_t *body)
{
    const void *parts [] = { "", "MDPW01", &command, option };
    size_t sizes [] = { 0, 6, 1, option ? strlen (option) : 0 };
    s_send (self->sock, parts, sizes, option ? 4 : 3, body);
}

static void
s_worker_connect (mdp_worker_t *self)
{
    if (self->sock)
        zmq_close (self->sock);
    self->sock = zmq_socket (self->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect (self->sock, self->endpoint);
    s_command (self, 1, self->service, NULL);
    self->liveness = 3;
    self->heartbeat_at = s_now_ms () + self->heartbeat_ms;
    self->connects++;
}

mdp_worker_t *
mdp_worker_new (void *ctx, const char *endpoint, const char *service,
                int heartbeat_ms)
{
    mdp_worker_t *self = (mdp_worker_t *) calloc (1, sizeof (mdp_worker_t));
    self->ctx = ctx;
    self->endpoint = strdup (endpoint);
    self->service = strdup (service);
    self->heartbeat_ms = heartbeat_ms;
    s_worker_connect (self);
    return self;
}

void
mdp_worker_destroy (mdp_worker_t **self_p)
{
    if (*self_p) {
        mdp_worker_t *self = *self_p;
        s_command (self, 5, NULL, NULL);
        zmq_close (self->sock);
        mdp_body_free (&self->reply_to);
        free (self->endpoint);
        free (self->service);
        free (self);
        *self_p = NULL;
    }
}

int
mdp_worker_connects (mdp_worker_t *self)
{
    return self->connects;
}

int
mdp_worker_recv (mdp_worker_t *self, mdp_body_t *request, int timeout_ms)
{
    int64_t end = timeout_ms < 0 ? INT64_MAX : s_now_ms () + timeout_ms;
    while (s_now_ms () < end) {
        zmq_pollitem_t item = { self->sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, self->heartbeat_ms) < 0)
            return -1;  //  interrupted
        if (item.revents & ZMQ_POLLIN) {
            mdp_body_t msg = { 0 };
            if (s_recv (self->sock, &msg))
                return -1;
            self->liveness = 3;
            //  The reference worker asserts on this: never less than 3
            if (msg.count < 3) {
                mdp_body_free (&msg);
                return -2;
            }
            char command = msg.size [2] == 1 ? (char) msg.data [2][0] : 0;
            if (command == 2 && msg.count >= 5 && msg.size [4] == 0) {
                //  [] [MDPW01] [0x02] [client] [] [body]...
                mdp_body_free (&self->reply_to);
                mdp_body_add (&self->reply_to, msg.data [3], msg.size [3]);
                request->count = 0;
                for (int i = 5; i < msg.count; i++)
                    mdp_body_add (request, msg.data [i], msg.size [i]);
                mdp_body_free (&msg);
                return 0;
            }
            if (command == 5)
                s_worker_connect (self);
            mdp_body_free (&msg);
        }
        else if (--self->liveness == 0) {
            //  Silence: the broker is gone; try again with a new identity
            s_worker_connect (self);
        }
        if (s_now_ms () >= self->heartbeat_at) {
            s_command (self, 4, NULL, NULL);
            self->heartbeat_at = s_now_ms () + self->heartbeat_ms;
        }
    }
    return -1;
}

int
mdp_worker_send (mdp_worker_t *self, const mdp_body_t *reply)
{
    //  [] [MDPW01] [0x03] [client] [] [body]...
    mdp_body_t frames = { 0 };
    mdp_body_add (&frames, "", 0);
    for (int i = 0; i < reply->count; i++)
        mdp_body_add (&frames, reply->data [i], reply->size [i]);
    char command = 3;
    const void *parts [] = { "", "MDPW01", &command, self->reply_to.data [0] };
    size_t sizes [] = { 0, 6, 1, self->reply_to.size [0] };
    int rc = s_send (self->sock, parts, sizes, 4, &frames);
    mdp_body_free (&frames);
    return rc;
}
