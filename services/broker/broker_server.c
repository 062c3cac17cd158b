/*  =========================================================================
    broker_server - the broker's sockets and loop around broker_core

    The request loop waits on the ROUTER with a blocking receive and a
    timeout (the next tick), and goes on taking messages the same way until
    the tick is due: a message already waiting costs no system call, so
    under load the broker pays one wait per batch instead of one per
    message, and the timers are looked at only when due. What the core
    gathered for compact peers goes out when nothing more is waiting, just
    before the loop would wait, and after every tick. Events go through a
    thread of their own.

    With a certificate every socket is a CURVE server (kj_keys_server) and
    each message's User-Id (the key's name, from the ZAP handler) is looked
    up in the key directory, cached and read again when public/ changes: a
    key revoked since its peer connected is refused from its next message.
    The event thread then lets only service keys publish, and an
    integrator's subscription through only for the topics its certificate
    names; when a key is revoked it binds the XPUB afresh, so that every
    subscriber reconnects through the ZAP handler and the revoked one
    cannot.
    =========================================================================
*/

#include "kejin.h"
#include "broker_server.h"
#include <pthread.h>
#include <sys/stat.h>

#define HANDSHAKE_MS 5000  //  to finish a ZMTP/CURVE handshake

#define BATCH         4096    //  messages taken per socket per poll
#define GATHER        128     //  taken at most while a batch waits
#define KEYS_CHECK_US 250000  //  how often public/ is looked at

//  The valid keys of the key directory by name, read again when public/
//  changes (an issue or a revocation renames a file in it)
typedef struct {
    kj_keys_t *keys;
    char *public_dir;
    zhashx_t *valid;  //  name -> kj_key_info_t
    struct timespec mtime;
    int64_t checked_us;
    char unknown [64];  //  the name of the last key not found
} s_keycache_t;

struct _broker_server_t {
    broker_config_t config;
    void *router;
    void *xpub;
    void *xsub;
    void *control;    //  PAIR to stop the event proxy thread
    pthread_t proxy;  //  forwards events, XSUB -> XPUB
    bool proxying;
    broker_core_t *core;
    char endpoint [256];  //  as bound (resolved port)
    char pub_endpoint [256];
    char sub_endpoint [256];
    s_keycache_t *cache;  //  the request loop's (NULL: insecure)
};

//  --------------------------------------------------------------------------
//  The key cache

static void
s_keycache_add (const kj_key_info_t *info, bool revoked, void *arg)
{
    if (!revoked) {
        kj_key_info_t *copy = (kj_key_info_t *) malloc (sizeof *copy);
        *copy = *info;
        zhashx_update ((zhashx_t *) arg, info->name, copy);
    }
}

//  Read public/ again if it changed; returns how many keys that were valid
//  are not any more.

static size_t
s_keycache_refresh (s_keycache_t *self, int64_t now)
{
    if (self->valid && self->checked_us
        && now - self->checked_us < KEYS_CHECK_US)
        return 0;
    self->checked_us = now;
    struct stat st;
    if (stat (self->public_dir, &st))
        memset (&st, 0, sizeof st);
    if (self->valid && st.st_mtim.tv_sec == self->mtime.tv_sec
        && st.st_mtim.tv_nsec == self->mtime.tv_nsec)
        return 0;
    self->mtime = st.st_mtim;
    zhashx_t *valid = zhashx_new ();
    zhashx_set_destructor (valid, (zhashx_destructor_fn *) zstr_free);
    kj_keys_list (self->keys, s_keycache_add, valid);
    size_t gone = 0;
    for (void *item = self->valid ? zhashx_first (self->valid) : NULL; item;
         item = zhashx_next (self->valid))
        if (!zhashx_lookup (valid, zhashx_cursor (self->valid)))
            gone++;
    zhashx_destroy (&self->valid);
    self->valid = valid;
    kj_info ("broker.keys_loaded", "valid=%zu gone=%zu", zhashx_size (valid),
             gone);
    return gone;
}

static s_keycache_t *
s_keycache_new (const char *dir)
{
    s_keycache_t *self = (s_keycache_t *) zmalloc (sizeof (s_keycache_t));
    self->keys = kj_keys_new (dir);
    self->public_dir = zsys_sprintf ("%s/public", dir);
    if (self->keys)
        s_keycache_refresh (self, kj_mono_us ());
    return self;
}

static void
s_keycache_destroy (s_keycache_t **self_p)
{
    if (*self_p) {
        s_keycache_t *self = *self_p;
        kj_keys_destroy (&self->keys);
        zstr_free (&self->public_dir);
        zhashx_destroy (&self->valid);
        free (self);
        *self_p = NULL;
    }
}

//  Who sent frame (any frame that came over the wire): its key's name is
//  the User-Id the ZAP handler gave it. NULL when it has none. The strings
//  live until the next refresh.

static const broker_caller_t *
s_caller_of (s_keycache_t *self, zmq_msg_t *frame, broker_caller_t *caller)
{
    const char *name = zmq_msg_gets (frame, "User-Id");
    if (!name || !*name)
        return NULL;
    kj_key_info_t *info = (kj_key_info_t *) zhashx_lookup (self->valid, name);
    if (!info) {
        //  Issued since the last look, maybe: the ZAP handler let it in
        self->checked_us = 0;
        s_keycache_refresh (self, kj_mono_us ());
        info = (kj_key_info_t *) zhashx_lookup (self->valid, name);
    }
    memset (caller, 0, sizeof *caller);
    if (info) {
        caller->name = info->name;
        caller->role = info->role;
        caller->city = info->city;
        caller->services = info->services;
    }
    else {
        kj_strlcpy (self->unknown, name, sizeof self->unknown);
        caller->name = self->unknown;
        caller->role = caller->city = caller->services = "";
        caller->revoked = true;
    }
    return caller;
}

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
            && zmq_msg_send (&frames [i], self->router,
                             ZMQ_DONTWAIT | (i < count - 1 ? ZMQ_SNDMORE : 0))
                   < 0)
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
    //  CZMQ's option setters take a bare libzmq socket as well (zsock_resolve)
    //  Only services publish: other keys are refused at the XSUB's handshake
    const char *domain = type == ZMQ_XSUB ? KJ_ZAP_DOMAIN_SERVICE
                                          : KJ_ZAP_DOMAIN;
    if (config->cert
        && kj_keys_server_domain ((zsock_t *) sock, config->cert, domain)) {
        zmq_close (sock);
        return NULL;
    }
    if (config->cert && type == ZMQ_XPUB) {
        //  Subscriptions come to the event thread, which lets them in
        int manual = 1;
        zmq_setsockopt (sock, ZMQ_XPUB_MANUAL, &manual, sizeof manual);
    }
    if (type == ZMQ_ROUTER) {
        //  ZMTP heartbeats find peers that vanished without a word (a
        //  host gone, a process stopped): a connection that answers no
        //  PING for liveness - 1 intervals after the one that sent it is
        //  closed, so the next MDP heartbeat to a worker on it cannot be
        //  routed: the broker knows the worker is dead within liveness + 1
        //  intervals of its going silent, busy or idle. A busy worker's
        //  process still answers PINGs from ZeroMQ's own thread.
        int ivl = config->limits.heartbeat_ms;
        int timeout = ivl
                    * (config->limits.liveness > 2 ? config->limits.liveness - 1
                                                   : 1);
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
        zmq_setsockopt (sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout);
    }
    //  A peer that does not finish its handshake (CURVE or not) within
    //  5 s is disconnected: half-open handshakes cannot pile up
    int handshake = HANDSHAKE_MS;
    zmq_setsockopt (sock, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake);
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
    broker_server_t *self = (broker_server_t *) zmalloc (
        sizeof (broker_server_t));
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
    if (broker_core_set_federation (self->core, config->max_hops,
                                    config->carry)) {
        broker_server_destroy (&self);
        return NULL;
    }
    if (config->cert) {
        self->cache = s_keycache_new (config->keys);
        if (!self->cache->keys
            || broker_core_set_rights (self->core, config->rights,
                                       config->read_methods)) {
            broker_server_destroy (&self);
            return NULL;
        }
    }
    else
        broker_core_set_insecure (self->core, true);
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
    kj_info ("broker.listening",
             "endpoint=%s pub=%s sub=%s heartbeat_ms=%d "
             "liveness=%d",
             self->endpoint, self->pub_endpoint, self->sub_endpoint,
             config->limits.heartbeat_ms, config->limits.liveness);
    return self;
}

void
broker_server_destroy (broker_server_t **self_p)
{
    if (*self_p) {
        broker_server_t *self = *self_p;
        broker_core_destroy (&self->core);
        s_keycache_destroy (&self->cache);
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

//  Take messages off the ROUTER until `until` (the next tick), a batch
//  was taken, or nothing came. Every receive is a blocking one with what
//  is left of the wait as its timeout: libzmq hands over a waiting message
//  without a system call, and waits with one poll when there is none (a
//  non-blocking receive that finds nothing costs a poll of its own, then
//  the wait another). Returns -1 if the socket failed for good.

static int
s_drain_router (broker_server_t *self, int64_t until)
{
    zmq_msg_t frames [BROKER_MAX_FRAMES + 1];
    int timeout = -2;  //  as last set on the socket
    int rc = 0;
    int since_flush = 0;
    for (int taken = 0; taken < BATCH; taken++) {
        int64_t now = kj_mono_us ();
        int wait = until > now ? (int) ((until - now + 999) / 1000) : 0;
        if (wait > 100)
            wait = 100;
        if (taken && (wait == 0 || kj_stopping ()))
            break;  //  the tick is due, or the loop has a stop to see
        //  With something gathered, look without waiting first; under a
        //  steady stream, send it every GATHER messages all the same
        bool gathered = broker_core_gathered (self->core);
        if (gathered && ++since_flush > GATHER) {
            broker_core_flush (self->core, now);
            gathered = false;
        }
        if (!gathered)
            since_flush = 0;
        int want = gathered ? 0 : wait;
        if (want != timeout) {
            zmq_setsockopt (self->router, ZMQ_RCVTIMEO, &want, sizeof want);
            timeout = want;
        }
        bool oversized;
        int count = s_recv_message (self->router, frames, &oversized, 0);
        if (count == 0 && gathered && zmq_errno () == EAGAIN) {
            broker_core_flush (self->core, kj_mono_us ());
            taken--;  //  nothing taken: now wait
            continue;
        }
        if (count == 0) {
            rc = taken == 0 && zmq_errno () != EAGAIN && zmq_errno () != EINTR
                   ? -1
                   : 0;
            break;
        }
        //  A message too long to carry is still answered: the core
        //  refuses the request, or fails the one a reply was for
        now = kj_mono_us ();
        broker_caller_t caller;
        const broker_caller_t *from = NULL;
        if (self->cache) {
            s_keycache_refresh (self->cache, now);
            from = count > 1 ? s_caller_of (self->cache, &frames [1], &caller)
                             : NULL;
        }
        broker_core_message_as (self->core, frames, count, oversized, from,
                                now);
    }
    broker_core_flush (self->core, kj_mono_us ());
    return rc;
}

//  The event stream has a thread of its own, so that fanning events out to
//  subscribers never delays a request, and the request loop polls one
//  socket. zmq_proxy_steerable forwards events out and subscriptions in,
//  frames as they are, until the control socket says TERMINATE.

//  With keys, the thread forwards by hand instead (s_proxy_secure).

//  May an integrator whose certificate names topics (prefixes,
//  comma-separated, or *) subscribe to topic? The batch markers carry
//  offsets only, and every subscriber needs them, a mirrored city's too
//  ("anshan/$batch", at a hub).

static bool
s_topic_allowed (const char *topics, const byte *topic, size_t size)
{
    size_t city = kj_keys_topic_city ((const char *) topic, size);
    if (topics && size - city == 6 && memcmp (topic + city, "$batch", 6) == 0)
        return true;
    return kj_keys_topic_allowed (topics, (const char *) topic, size);
}

//  Bind the XPUB afresh on the same endpoint: every subscriber reconnects
//  through the ZAP handler, and a revoked key no more gets in.

static void
s_xpub_rebind (broker_server_t *self)
{
    int zero = 0;
    zmq_setsockopt (self->xpub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (self->xpub);
    self->xpub = NULL;
    for (int tries = 0; !self->xpub && tries < 200; tries++) {
        char bound [256];
        self->xpub = s_socket (zsys_init (), ZMQ_XPUB, self->pub_endpoint,
                               bound, sizeof bound, &self->config,
                               self->config.pub_hwm);
        if (!self->xpub)
            zclock_sleep (10);
    }
    kj_warn ("broker.subscribers_cut",
             "pub=%s reason=\"a key was revoked\" "
             "rebound=%d",
             self->pub_endpoint, self->xpub != NULL);
}

//  One message of a publisher: through to the subscribers if it comes
//  from a valid service key, else dropped and counted.

static void
s_proxy_event (broker_server_t *self, s_keycache_t *cache)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, self->xsub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&frame);
        return;
    }
    broker_caller_t caller;
    const broker_caller_t *from = s_caller_of (cache, &frame, &caller);
    bool pass = from && !from->revoked && streq (from->role, "service")
             && self->xpub;
    if (!pass) {
        broker_core_count_refusal (self->core, "publisher");
        kj_warn ("broker.publisher_refused", "key=%s role=%s",
                 from ? from->name : "", from ? from->role : "");
    }
    while (true) {
        bool more = zmq_msg_more (&frame);
        if (pass)
            zmq_msg_send (&frame, self->xpub, more ? ZMQ_SNDMORE : 0);
        zmq_msg_close (&frame);
        if (!more)
            break;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, self->xsub, 0) < 0) {
            zmq_msg_close (&frame);
            break;
        }
    }
}

//  Tell the event log of a refused subscription, so that it is audited:
//  up the XSUB, where only the log's publishers are, one frame, the byte
//  KJ_REFUSAL_FRAME and a SubscriptionRefused. A full pipe drops it (the
//  refusal is still counted and logged here).

static void
s_report_refusal (broker_server_t *self, const broker_caller_t *from,
                  const char *topics, const byte *data, size_t size)
{
    char topic [KJ_REFUSAL_TOPIC_MAX + 1] = "";
    size_t length = size > 1 ? size - 1 : 0;
    if (length > KJ_REFUSAL_TOPIC_MAX)
        length = KJ_REFUSAL_TOPIC_MAX;
    memcpy (topic, data + 1, length);
    topic [length] = 0;
    topic [kj_utf8_cut (topic, length)] = 0;  //  never half a character
    Kj__SubscriptionRefused report = KJ__SUBSCRIPTION_REFUSED__INIT;
    report.key = (char *) (from ? from->name : "");
    report.role = (char *) (from ? from->role : "");
    report.city = (char *) (from ? from->city : "");
    report.topic = topic;
    report.allowed = (char *) (topics ? topics : "");
    size_t packed = kj__subscription_refused__get_packed_size (&report);
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, packed + 1);
    byte *out = (byte *) zmq_msg_data (&msg);
    out [0] = KJ_REFUSAL_FRAME;
    kj__subscription_refused__pack (&report, out + 1);
    if (zmq_msg_send (&msg, self->xsub, ZMQ_DONTWAIT) < 0)
        zmq_msg_close (&msg);
}

//  One subscription message ([1|0] topic) of a subscriber.

static void
s_proxy_subscription (broker_server_t *self, s_keycache_t *cache)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, self->xpub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        return;
    }
    const byte *data = (const byte *) zmq_msg_data (&msg);
    size_t size = zmq_msg_size (&msg);
    broker_caller_t caller;
    const broker_caller_t *from = s_caller_of (cache, &msg, &caller);
    const char *topics = zmq_msg_gets (&msg, "kj-topics");
    bool subscribe = size > 0 && data [0] == 1;
    bool allowed = size > 0 && (data [0] == 0 || data [0] == 1) && from
                && !from->revoked
                && (!streq (from->role, "integrator")
                    || s_topic_allowed (topics, data + 1, size - 1));
    if (allowed || (size > 0 && data [0] == 0)) {
        zmq_setsockopt (self->xpub, subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE,
                        data + 1, size - 1);
        zmq_msg_send (&msg, self->xsub, 0);
    }
    else {
        broker_core_count_refusal (self->core, "topic");
        s_report_refusal (self, from, topics, data, size);
        kj_warn ("broker.subscription_refused",
                 "key=%s role=%s topic=%.*s "
                 "allowed=%s",
                 from ? from->name : "", from ? from->role : "",
                 size > 1 ? (int) (size - 1 > 100 ? 100 : size - 1) : 0,
                 size > 1 ? (const char *) data + 1 : "", topics ? topics : "");
    }
    zmq_msg_close (&msg);
}

static void
s_proxy_secure (broker_server_t *self, void *control)
{
    s_keycache_t *cache = s_keycache_new (self->config.keys);
    while (true) {
        zmq_pollitem_t items [] = { { control, 0, ZMQ_POLLIN, 0 },
                                    { self->xsub, 0, ZMQ_POLLIN, 0 },
                                    { self->xpub, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, self->xpub ? 3 : 2, KEYS_CHECK_US / 1000) < 0
            && zmq_errno () != EINTR)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            break;  //  TERMINATE
        if (s_keycache_refresh (cache, kj_mono_us ()) && self->xpub) {
            s_xpub_rebind (self);
            continue;  //  items name the XPUB that is gone
        }
        for (int i = 0; i < BATCH && (items [1].revents & ZMQ_POLLIN)
                        && (zmq_poll (items + 1, 1, 0) > 0);
             i++)
            s_proxy_event (self, cache);
        if (self->xpub)
            for (int i = 0; i < BATCH && zmq_poll (items + 2, 1, 0) > 0
                            && (items [2].revents & ZMQ_POLLIN);
                 i++)
                s_proxy_subscription (self, cache);
    }
    s_keycache_destroy (&cache);
}

static void *
s_proxy_thread (void *arg)
{
    broker_server_t *self = (broker_server_t *) arg;
    void *control = zmq_socket (zsys_init (), ZMQ_PAIR);
    zmq_connect (control, "inproc://kejin-broker-proxy");
    if (self->config.cert)
        s_proxy_secure (self, control);
    else
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
            && (broker_core_pending (self->core) == 0 || now >= drain_until))
            break;
        if (s_drain_router (self, broker_core_next_tick (self->core) + 1000))
            break;
        now = kj_mono_us ();
        if (now >= broker_core_next_tick (self->core)) {
            broker_core_tick (self->core, now);
            broker_core_flush (self->core, now);
        }
    }
    size_t left = broker_core_pending (self->core);
    broker_core_close (self->core, kj_mono_us ());
    s_proxy_stop (self);
    kj_info ("broker.stopped",
             "failed_at_stop=%zu malformed=%" PRIu64 " dropped=%" PRIu64, left,
             broker_core_malformed (self->core),
             broker_core_dropped (self->core));
    if (self->config.endpoints_file && *self->config.endpoints_file)
        unlink (self->config.endpoints_file);
    return 0;
}
