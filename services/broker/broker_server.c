/*  =========================================================================
    broker_server - the broker's sockets and loop around broker_core

    The request loop waits on the ROUTER with a blocking receive and a
    timeout (the next tick). After a wake-up it takes every message
    waiting, not one, so that under load the broker pays one wait per batch
    instead of one per message. Events go through a thread of their own.
    =========================================================================
*/

#include "kejin.h"
#include "broker_server.h"
#include <pthread.h>

#define BATCH      4096         //  messages taken per socket per poll

struct _broker_server_t {
    broker_config_t config;
    void *router;
    void *xpub;
    void *xsub;
    void *control;              //  PAIR to stop the event proxy thread
    pthread_t proxy;            //  forwards events, XSUB -> XPUB
    bool proxying;
    broker_core_t *core;
    char endpoint [256];        //  as bound (resolved port)
    char pub_endpoint [256];
    char sub_endpoint [256];
};

//  --------------------------------------------------------------------------
//  broker_core's send: one multipart message out of the ROUTER. With
//  ZMQ_ROUTER_MANDATORY a peer that is gone or full fails the first frame,
//  so the message is dropped whole and counted, never cut.

static int
s_router_send (void *arg, zmq_msg_t *frames, int count)
{
    broker_server_t *self = (broker_server_t *) arg;
    int rc = 0;
    for (int i = 0; i < count; i++) {
        if (rc == 0
        &&  zmq_msg_send (&frames [i], self->router,
                          ZMQ_DONTWAIT | (i < count - 1 ? ZMQ_SNDMORE : 0)) < 0)
            rc = zmq_errno () == EHOSTUNREACH ? BROKER_GONE : -1;
        zmq_msg_close (&frames [i]);
    }
    return rc;
}

//  A socket bound to spec. Options that ZeroMQ copies to each connection
//  (heartbeats among them) must be set before the bind, or they never
//  apply; the ROUTER gets its ZMTP heartbeats here.

static void *
s_socket (void *ctx, int type, const char *spec, char *bound, size_t size,
          const broker_config_t *config, int hwm)
{
    void *sock = zmq_socket (ctx, type);
    if (type == ZMQ_ROUTER) {
        //  ZMTP heartbeats find peers that vanished without a word (a
        //  host gone, a process stopped): a connection that answers no
        //  PING for liveness - 1 intervals after the one that sent it is
        //  closed, so the next MDP heartbeat to a worker on it cannot be
        //  routed: the broker knows the worker is dead within liveness + 1
        //  intervals of its going silent, busy or idle. A busy worker's
        //  process still answers PINGs from ZeroMQ's own thread.
        int ivl = config->limits.heartbeat_ms;
        int timeout = ivl * (config->limits.liveness > 2
                             ? config->limits.liveness - 1 : 1);
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout,
                        sizeof timeout);
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout);
    }
    int linger = 1000;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &config->max_message,
                    sizeof config->max_message);
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind (sock, spec)) {
        kj_error ("broker.bind_failed", "endpoint=%s reason=\"%s\"", spec,
                  zmq_strerror (zmq_errno ()));
        zmq_close (sock);
        return NULL;
    }
    zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, bound, &size);
    return sock;
}

static int
s_write_endpoints (broker_server_t *self)
{
    const char *path = self->config.endpoints_file;
    if (!path || !*path)
        return 0;
    char temp [1024];
    snprintf (temp, sizeof temp, "%s.tmp", path);
    FILE *file = fopen (temp, "w");
    if (!file) {
        kj_error ("broker.endpoints_file", "path=%s reason=\"%s\"", temp,
                  strerror (errno));
        return -1;
    }
    fprintf (file, "endpoint=%s\npub=%s\nsub=%s\npid=%d\n", self->endpoint,
             self->pub_endpoint, self->sub_endpoint, (int) getpid ());
    fclose (file);
    return rename (temp, path);
}

broker_server_t *
broker_server_new (const broker_config_t *config)
{
    broker_server_t *self =
        (broker_server_t *) zmalloc (sizeof (broker_server_t));
    self->config = *config;
    void *ctx = zsys_init ();
    self->router = s_socket (ctx, ZMQ_ROUTER, config->endpoint, self->endpoint,
                             sizeof self->endpoint, config, config->sndhwm);
    if (!self->router) {
        broker_server_destroy (&self);
        return NULL;
    }
    int on = 1;
    zmq_setsockopt (self->router, ZMQ_ROUTER_MANDATORY, &on, sizeof on);

    if (config->pub_endpoint && *config->pub_endpoint) {
        self->xpub = s_socket (ctx, ZMQ_XPUB, config->pub_endpoint,
                               self->pub_endpoint, sizeof self->pub_endpoint,
                               config, config->pub_hwm);
        if (!self->xpub) {
            broker_server_destroy (&self);
            return NULL;
        }
    }
    if (config->sub_endpoint && *config->sub_endpoint) {
        self->xsub = s_socket (ctx, ZMQ_XSUB, config->sub_endpoint,
                               self->sub_endpoint, sizeof self->sub_endpoint,
                               config, config->pub_hwm);
        if (!self->xsub) {
            broker_server_destroy (&self);
            return NULL;
        }
    }
    self->core = broker_core_new (&config->limits, s_router_send, self);
    Kj__BrokerStats info = KJ__BROKER_STATS__INIT;
    info.version = (char *) KEJIN_VERSION;
    info.pid = (uint32_t) getpid ();
    info.started_us = kj_wall_us ();
    info.endpoint = self->endpoint;
    info.pub_endpoint = self->pub_endpoint;
    info.sub_endpoint = self->sub_endpoint;
    info.city = (char *) (config->city ? config->city : "");
    broker_core_set_info (self->core, &info);
    if (s_write_endpoints (self)) {
        broker_server_destroy (&self);
        return NULL;
    }
    kj_info ("broker.listening", "endpoint=%s pub=%s sub=%s heartbeat_ms=%d "
             "liveness=%d", self->endpoint, self->pub_endpoint,
             self->sub_endpoint, config->limits.heartbeat_ms,
             config->limits.liveness);
    return self;
}

void
broker_server_destroy (broker_server_t **self_p)
{
    if (*self_p) {
        broker_server_t *self = *self_p;
        broker_core_destroy (&self->core);
        if (self->router)
            zmq_close (self->router);
        if (self->xpub)
            zmq_close (self->xpub);
        if (self->xsub)
            zmq_close (self->xsub);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Receive one whole message into frames (room for BROKER_MAX_FRAMES + 1);
//  returns its frame count, 0 if nothing is waiting. Frames past
//  BROKER_MAX_FRAMES are read into the last and dropped, and *oversized
//  says so. Parts of a message arrive together, so reading them without
//  waiting is safe.

static int
s_recv_message (void *sock, zmq_msg_t *frames, bool *oversized, int flags)
{
    int count = 0;
    *oversized = false;
    while (true) {
        zmq_msg_t *frame = &frames [count];
        zmq_msg_init (frame);
        if (zmq_msg_recv (frame, sock, count ? ZMQ_DONTWAIT : flags) < 0) {
            zmq_msg_close (frame);
            return count;
        }
        bool more = zmq_msg_more (frame);
        if (count < BROKER_MAX_FRAMES)
            count++;
        else {
            zmq_msg_close (frame);
            *oversized = true;
        }
        if (!more)
            return count;
    }
}

//  Wait up to wait_ms for a message on the ROUTER (a blocking receive
//  with a timeout costs fewer calls per wake-up than a poll, then a
//  receive), then take every message waiting, up to a batch. Returns -1
//  if the socket failed for good.

static int
s_drain_router (broker_server_t *self, int wait_ms)
{
    zmq_msg_t frames [BROKER_MAX_FRAMES + 1];
    zmq_setsockopt (self->router, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms);
    for (int taken = 0; taken < BATCH; taken++) {
        bool oversized;
        int count = s_recv_message (self->router, frames, &oversized,
                                    taken ? ZMQ_DONTWAIT : 0);
        if (count == 0)
            return taken == 0 && zmq_errno () != EAGAIN
                && zmq_errno () != EINTR ? -1 : 0;
        //  A message too long to carry is still answered: the core
        //  refuses the request, or fails the one a reply was for
        if (oversized)
            broker_core_message_cut (self->core, frames, count,
                                     kj_mono_us ());
        else
            broker_core_message (self->core, frames, count, kj_mono_us ());
    }
    return 0;
}

//  The event stream has a thread of its own, so that fanning events out to
//  subscribers never delays a request, and the request loop polls one
//  socket. zmq_proxy_steerable forwards events out and subscriptions in,
//  frames as they are, until the control socket says TERMINATE.

static void *
s_proxy_thread (void *arg)
{
    broker_server_t *self = (broker_server_t *) arg;
    void *control = zmq_socket (zsys_init (), ZMQ_PAIR);
    zmq_connect (control, "inproc://kejin-broker-proxy");
    zmq_proxy_steerable (self->xsub, self->xpub, NULL, control);
    zmq_close (control);
    return NULL;
}

static int
s_proxy_start (broker_server_t *self)
{
    self->control = zmq_socket (zsys_init (), ZMQ_PAIR);
    zmq_bind (self->control, "inproc://kejin-broker-proxy");
    if (pthread_create (&self->proxy, NULL, s_proxy_thread, self))
        return -1;
    self->proxying = true;
    return 0;
}

static void
s_proxy_stop (broker_server_t *self)
{
    if (self->proxying) {
        zmq_send (self->control, "TERMINATE", 9, 0);
        pthread_join (self->proxy, NULL);
        self->proxying = false;
    }
    if (self->control)
        zmq_close (self->control);
    self->control = NULL;
}

int
broker_server_run (broker_server_t *self)
{
    if (self->xsub && self->xpub && s_proxy_start (self)) {
        kj_error ("broker.proxy_failed", "reason=\"cannot start thread\"");
        return -1;
    }
    int64_t drain_until = 0;
    broker_core_tick (self->core, kj_mono_us ());
    while (true) {
        int64_t now = kj_mono_us ();
        if (kj_stopping () && !drain_until) {
            drain_until = now + (int64_t) self->config.drain_ms * 1000;
            broker_core_drain (self->core);
            kj_info ("broker.draining", "pending=%zu drain_ms=%d",
                     broker_core_pending (self->core), self->config.drain_ms);
        }
        if (drain_until
        &&  (broker_core_pending (self->core) == 0 || now >= drain_until))
            break;
        int64_t wait = (broker_core_next_tick (self->core) - now) / 1000 + 1;
        if (wait < 0)
            wait = 0;
        if (wait > 100)
            wait = 100;
        if (s_drain_router (self, (int) wait))
            break;
        now = kj_mono_us ();
        if (now >= broker_core_next_tick (self->core))
            broker_core_tick (self->core, now);
    }
    size_t left = broker_core_pending (self->core);
    broker_core_close (self->core, kj_mono_us ());
    s_proxy_stop (self);
    kj_info ("broker.stopped", "failed_at_stop=%zu malformed=%" PRIu64
             " dropped=%" PRIu64, left, broker_core_malformed (self->core),
             broker_core_dropped (self->core));
    if (self->config.endpoints_file && *self->config.endpoints_file)
        unlink (self->config.endpoints_file);
    return 0;
}
