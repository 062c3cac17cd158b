/*  =========================================================================
    link - a city's requests to the services of other cities

    One route_t per route: a DEALER to the peer's broker (an MDP client,
    CURVE with the peer key that broker issued) and, while the peer has
    workers for the service, a DEALER to the local broker (an MDP worker
    with credit). Requests held are kept by the link's own request id,
    with the local broker's handle and the caller's request id, so that
    the answer goes back to the right place unchanged. The counts of
    each heartbeat are served by a worker of their own, on a thread, as
    the MDP service link/stats_service (Link.Stats, for `kejin status`).
    =========================================================================
*/

#include "link.h"
#include "link.pb-c.h"
#include <pthread.h>

//  A request held: sent to the peer, not answered yet
typedef struct {
    char key [24];        //  the link's request id, decimal
    byte handle [8];      //  the local broker's, echoed in the REPLY
    uint64_t request_id;  //  the caller's
    int64_t expires_us;   //  answered DEADLINE_EXCEEDED past it
} held_t;

typedef struct {
    link_route_t route;
    zsock_t *far;            //  client of the peer's broker
    zsock_t *local;          //  worker at the local broker, NULL while not one
    bool alive;              //  the peer answered within the liveness
    bool served;             //  its last answer: it has workers for the service
    int64_t heard_us;        //  the peer's last answer
    int64_t local_heard_us;  //  the local broker's last message
    int64_t local_beat_us;   //  our last heartbeat to it
    zhashx_t *held;          //  key -> held_t
    uint64_t next_id;
    uint64_t forwarded, answered, failed;
    char refused [256];  //  why the peer refused our mmi, if it did
} route_t;

struct _link_t {
    link_config_t config;
    route_t *routes;
    int nroutes;
    pthread_mutex_t stats_lock;  //  guards counts, the last heartbeat's
    Kj__LinkRoute *counts;       //  one per route, for the Stats worker
    char (*refusals) [256];      //  their refused texts
    kj_worker_t *stats;          //  the MDP service link/stats_service
    pthread_t stats_thread;
};

//  --------------------------------------------------------------------------
//  Is name a word of a space-separated list of NAME=VALUE items? Copies
//  its value.

static bool
s_lookup (const char *list, const char *name, char *value, size_t size)
{
    size_t length = strlen (name);
    for (const char *item = list; *item;) {
        item += strspn (item, " \t");
        size_t n = strcspn (item, " \t");
        if (n > length && item [length] == '='
            && memcmp (item, name, length) == 0) {
            size_t v = n - length - 1;
            if (v >= size)
                return false;
            memcpy (value, item + length + 1, v);
            value [v] = 0;
            return true;
        }
        item += n;
    }
    return false;
}

int
link_routes_parse (const char *routes, const char *peers, link_route_t *list,
                   int max, char *error, size_t size)
{
    int count = 0;
    *error = 0;
    for (const char *item = peers; *item;) {
        item += strspn (item, " \t");
        size_t n = strcspn (item, " \t");
        const char *equals = memchr (item, '=', n);
        if (n
            && (!equals || equals == item || equals == item + n - 1
                || equals - item > 63)) {
            snprintf (error, size,
                      "link/peers: \"%.*s\" is not PEER=ENDPOINT (PEER "
                      "up to 63 characters)",
                      (int) n, item);
            return -1;
        }
        item += n;
    }
    for (const char *item = routes; *item;) {
        item += strspn (item, " \t");
        size_t n = strcspn (item, " \t");
        if (!n)
            break;
        const char *equals = memchr (item, '=', n);
        if (!equals || equals == item || equals == item + n - 1
            || equals - item > 255 || item + n - equals > 64) {
            snprintf (error, size, "link/routes: \"%.*s\" is not SERVICE=PEER",
                      (int) n, item);
            return -1;
        }
        if (count == max) {
            snprintf (error, size, "link/routes: more than %d routes", max);
            return -1;
        }
        link_route_t *route = &list [count];
        memset (route, 0, sizeof *route);
        memcpy (route->service, item, equals - item);
        memcpy (route->peer, equals + 1, item + n - equals - 1);
        item += n;
        if (strncmp (route->service, "mmi.", 4) == 0
            || strncmp (route->service, "kejin.", 6) == 0) {
            snprintf (error, size,
                      "link/routes: %s is answered by each broker itself; "
                      "it cannot be routed",
                      route->service);
            return -1;
        }
        //  A service may go to two peers (each route a worker: the local
        //  broker shares the requests, and one peer that dies leaves the
        //  other), but to one peer once
        for (int i = 0; i < count; i++)
            if (streq (list [i].service, route->service)
                && streq (list [i].peer, route->peer)) {
                snprintf (error, size, "link/routes: %s=%s is given twice",
                          route->service, route->peer);
                return -1;
            }
        if (!s_lookup (peers, route->peer, route->endpoint,
                       sizeof route->endpoint)) {
            snprintf (error, size,
                      "link/routes: %s goes to peer %s, which link/peers "
                      "does not name (PEER=ENDPOINT)",
                      route->service, route->peer);
            return -1;
        }
        count++;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Sockets

static int
s_send_frames (zsock_t *sock, zmsg_t **msg_p)
{
    //  Never block: a peer that cannot take it is one that is not there
    //  (ZMQ_IMMEDIATE: nothing queues for a broker not connected)
    zmsg_t *msg = *msg_p;
    size_t count = zmsg_size (msg);
    size_t i = 0;
    int rc = 0;
    for (zframe_t *frame = zmsg_pop (msg); frame; frame = zmsg_pop (msg)) {
        int flags = ZFRAME_DONTWAIT | (++i < count ? ZFRAME_MORE : 0);
        if (zframe_send (&frame, sock, flags)) {
            zframe_destroy (&frame);
            rc = -1;
            break;
        }
    }
    zmsg_destroy (msg_p);
    return rc;
}

static void
s_local_command (route_t *route, int command)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, KJ_MDPW);
    zmsg_addmem (msg, &(byte){ (byte) command }, 1);
    if (command == KJ_MDPW_READY)
        zmsg_addstr (msg, route->route.service);
    s_send_frames (route->local, &msg);
}

//  A worker REPLY to the local broker: handle, then the body frames

static void
s_local_reply (route_t *route, const byte *handle, zmsg_t **body_p)
{
    zmsg_t *body = *body_p;
    zmsg_pushmem (body, "", 0);
    zmsg_pushmem (body, handle, 8);
    zmsg_pushmem (body, &(byte){ KJ_MDPW_REPLY }, 1);
    zmsg_pushstr (body, KJ_MDPW);
    zmsg_pushmem (body, "", 0);
    if (route->local)
        s_send_frames (route->local, body_p);
    else
        zmsg_destroy (body_p);
}

//  Answer a request the link cannot carry, in Kejin form

static void
s_local_fail (route_t *route, const byte *handle, uint64_t request_id, int code,
              const char *field, const char *message)
{
    kj_status_t status;
    kj_status_set (&status, code, field, "%s", message);
    zmsg_t *body = zmsg_new ();
    zframe_t *head = kj_proto_reply_frame (request_id, &status);
    zmsg_append (body, &head);
    route->failed++;
    s_local_reply (route, handle, &body);
}

//  Be a worker for the route's service at the local broker

static int
s_register (link_t *self, route_t *route, int64_t now)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    if (kj_keys_client_env (sock, "link") < 0) {
        zsock_destroy (&sock);
        return -1;
    }
    if (zsock_connect (sock, "%s", self->config.broker)) {
        kj_error ("link.bad_endpoint", "endpoint=%s", self->config.broker);
        zsock_destroy (&sock);
        return -1;
    }
    route->local = sock;
    route->local_heard_us = route->local_beat_us = now;
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, KJ_MDPW);
    zmsg_addmem (msg, &(byte){ KJ_MDPW_READY }, 1);
    zmsg_addstr (msg, route->route.service);
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    hello.credit = (uint32_t) self->config.credit;
    hello.version = (char *) KEJIN_VERSION;
    hello.pid = (uint32_t) getpid ();
    char instance [128];
    snprintf (instance, sizeof instance, "link-%s.1", route->route.peer);
    hello.instance = instance;
    char host [64] = "";
    gethostname (host, sizeof host - 1);
    hello.host = host;
    zframe_t *frame = kj_proto_frame (&hello.base, true);
    zmsg_append (msg, &frame);
    s_send_frames (sock, &msg);
    kj_info ("link.registered", "service=%s peer=%s", route->route.service,
             route->route.peer);
    return 0;
}

//  Stop being a worker: what is held is answered UNAVAILABLE first

static void
s_unregister (route_t *route, const char *why)
{
    for (held_t *held = (held_t *) zhashx_first (route->held); held;
         held = (held_t *) zhashx_next (route->held)) {
        char message [384];
        snprintf (message, sizeof message,
                  "the link to city %s lost the request to %s: %s; retry",
                  route->route.peer, route->route.service, why);
        s_local_fail (route, held->handle, held->request_id,
                      KJ__CODE__UNAVAILABLE, NULL, message);
    }
    zhashx_purge (route->held);
    if (route->local) {
        s_local_command (route, KJ_MDPW_DISCONNECT);
        zsock_destroy (&route->local);
        kj_info ("link.unregistered", "service=%s peer=%s reason=\"%s\"",
                 route->route.service, route->route.peer, why);
    }
}

//  --------------------------------------------------------------------------
//  A request from the local broker: to the peer with one more hop and
//  the link's request id

static void
s_forward (link_t *self, route_t *route, zmsg_t *msg, int64_t now)
{
    //  [] [MDPW01] [0x02] [handle] [] [body]...
    zframe_t *handle = zmsg_first (msg);  //  frames 0..2 checked by caller
    handle = zmsg_next (msg);
    handle = zmsg_next (msg);
    handle = zmsg_next (msg);
    zframe_t *empty = zmsg_next (msg);
    zframe_t *head = zmsg_next (msg);
    if (!handle || zframe_size (handle) != 8 || !empty || !head)
        return;  //  not a request this broker would send: dropped
    byte key [8];
    memcpy (key, zframe_data (handle), 8);
    Kj__RequestHeader *header = kj_proto_request_header (zframe_data (head),
                                                         zframe_size (head));
    if (!header) {
        //  A plain MDP request is refused, not carried: it has no id to
        //  match its answer by (the peer's broker answers a client's
        //  requests in any order), and no caller stamped that the far
        //  city could check (docs/federation.md, "Plain MDP requests")
        char message [1024];
        snprintf (message, sizeof message,
                  "%s is served in city %s, and the link between cities "
                  "carries Kejin requests only (a request header: its id "
                  "matches the answer, its caller is checked there); send "
                  "it as a Kejin request (docs/protocol.md)",
                  route->route.service, route->route.peer);
        zmsg_t *body = zmsg_new ();
        zmsg_addstr (body, "501");
        zmsg_addstr (body, message);
        route->failed++;
        s_local_reply (route, key, &body);
        return;
    }
    if (zhashx_size (route->held) >= (size_t) self->config.credit * 2) {
        s_local_fail (route, key, header->request_id,
                      KJ__CODE__RESOURCE_EXHAUSTED, NULL,
                      "the link between cities holds as many requests as "
                      "it takes; retry later");
        kj__request_header__free_unpacked (header, NULL);
        return;
    }
    held_t *held = (held_t *) zmalloc (sizeof (held_t));
    memcpy (held->handle, key, 8);
    held->request_id = header->request_id;
    int64_t wait_ms = header->timeout_ms ? header->timeout_ms : 10000;
    if (wait_ms > 60000)
        wait_ms = 60000;
    held->expires_us = now + wait_ms * 1000
                     + (int64_t) self->config.heartbeat_ms * 1000
                           * self->config.liveness;
    header->request_id = ++route->next_id;
    header->hops++;
    snprintf (held->key, sizeof held->key, "%" PRIu64, header->request_id);
    zframe_t *frame = kj_proto_frame (&header->base, true);
    kj__request_header__free_unpacked (header, NULL);

    zmsg_t *out = zmsg_new ();
    zmsg_addmem (out, "", 0);
    zmsg_addstr (out, KJ_MDPC);
    zmsg_addstr (out, route->route.service);
    zmsg_append (out, &frame);
    for (zframe_t *rest = zmsg_next (msg); rest; rest = zmsg_next (msg))
        zmsg_addmem (out, zframe_data (rest), zframe_size (rest));
    if (s_send_frames (route->far, &out)) {
        char message [384];
        snprintf (message, sizeof message,
                  "the link cannot reach the broker of city %s now; retry",
                  route->route.peer);
        s_local_fail (route, key, held->request_id, KJ__CODE__UNAVAILABLE, NULL,
                      message);
        free (held);
        return;
    }
    zhashx_insert (route->held, held->key, held);
    route->forwarded++;
}

//  An answer from the peer: a forwarded request's, or MMI's

static void
s_answer (route_t *route, zmsg_t *msg, int64_t now)
{
    //  [] [MDPC01] [service] [body]...
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *protocol = zmsg_pop (msg);
    zframe_t *service = zmsg_pop (msg);
    zframe_t *head = zmsg_first (msg);
    if (!service || !head || !zframe_streq (protocol, KJ_MDPC))
        ;  //  not from a broker: dropped
    else if (zframe_streq (service, "mmi.service")) {
        route->heard_us = now;
        if (!route->alive)
            kj_info ("link.peer_alive", "peer=%s endpoint=%s",
                     route->route.peer, route->route.endpoint);
        route->alive = true;
        route->served = zframe_streq (head, "200");
        zframe_t *why = zmsg_next (msg);
        char text [256] = "";
        if (!route->served && !zframe_streq (head, "404") && why)
            snprintf (text, sizeof text, "%.*s", (int) zframe_size (why),
                      (char *) zframe_data (why));
        if (*text && !streq (text, route->refused))
            kj_warn ("link.refused", "peer=%s service=%s reason=\"%s\"",
                     route->route.peer, route->route.service, text);
        kj_strlcpy (route->refused, text, sizeof route->refused);
    }
    else if (zframe_streq (service, route->route.service)) {
        route->heard_us = now;
        Kj__ReplyHeader *header = kj_proto_reply_header (zframe_data (head),
                                                         zframe_size (head));
        char key [24] = "";
        if (header)
            snprintf (key, sizeof key, "%" PRIu64, header->request_id);
        held_t *held = header ? (held_t *) zhashx_lookup (route->held, key)
                              : NULL;
        if (held) {
            header->request_id = held->request_id;
            zframe_t *frame = kj_proto_frame (&header->base, true);
            zframe_t *old = zmsg_pop (msg);
            zframe_destroy (&old);
            zmsg_prepend (msg, &frame);
            zmsg_t *body = zmsg_dup (msg);
            s_local_reply (route, held->handle, &body);
            route->answered++;
            zhashx_delete (route->held, key);
        }
        if (header)
            kj__reply_header__free_unpacked (header, NULL);
    }
    zframe_destroy (&empty);
    zframe_destroy (&protocol);
    zframe_destroy (&service);
}

//  A message from the local broker

static void
s_local_message (link_t *self, route_t *route, zmsg_t *msg, int64_t now)
{
    route->local_heard_us = now;
    zframe_t *empty = zmsg_first (msg);
    zframe_t *protocol = zmsg_next (msg);
    zframe_t *command = zmsg_next (msg);
    if (!empty || !protocol || !command || !zframe_streq (protocol, KJ_MDPW)
        || zframe_size (command) != 1)
        return;
    int code = zframe_data (command) [0];
    if (code == KJ_MDPW_REQUEST)
        s_forward (self, route, msg, now);
    else if (code == KJ_MDPW_DISCONNECT) {
        //  The broker forgot us (it restarted): say READY again
        kj_info ("link.disconnected", "service=%s", route->route.service);
        zhashx_purge (route->held);
        zsock_destroy (&route->local);
    }
}

//  --------------------------------------------------------------------------
//  Each heartbeat: ask the peer, follow its answer, beat to the broker

static void
s_beat (link_t *self, route_t *route, int64_t now)
{
    int64_t interval = (int64_t) self->config.heartbeat_ms * 1000;
    zmsg_t *ask = zmsg_new ();
    zmsg_addmem (ask, "", 0);
    zmsg_addstr (ask, KJ_MDPC);
    zmsg_addstr (ask, "mmi.service");
    zmsg_addstr (ask, route->route.service);
    s_send_frames (route->far, &ask);

    if (route->alive
        && now - route->heard_us > interval * self->config.liveness) {
        route->alive = false;
        route->served = false;
        kj_warn ("link.peer_dead", "peer=%s endpoint=%s silent_ms=%" PRId64,
                 route->route.peer, route->route.endpoint,
                 (now - route->heard_us) / 1000);
    }
    bool wanted = route->alive && route->served;
    if (!wanted && route->local)
        s_unregister (route, route->alive
                                 ? "the peer has no worker for it any more"
                                 : "the peer city does not answer");
    if (route->local
        && now - route->local_heard_us
               > (int64_t) self->config.broker_silence_ms * 1000) {
        kj_warn ("link.broker_silent", "service=%s", route->route.service);
        zhashx_purge (route->held);
        zsock_destroy (&route->local);
    }
    if (wanted && !route->local)
        s_register (self, route, now);
    else if (route->local) {
        s_local_command (route, KJ_MDPW_HEARTBEAT);
        route->local_beat_us = now;
    }
    //  Requests the peer never answered (it lost them)
    zlistx_t *late = zlistx_new ();
    for (held_t *held = (held_t *) zhashx_first (route->held); held;
         held = (held_t *) zhashx_next (route->held))
        if (now > held->expires_us)
            zlistx_add_end (late, held);
    for (held_t *held = (held_t *) zlistx_first (late); held;
         held = (held_t *) zlistx_next (late)) {
        s_local_fail (route, held->handle, held->request_id,
                      KJ__CODE__DEADLINE_EXCEEDED, NULL,
                      "the peer city did not answer within the request's "
                      "deadline");
        zhashx_delete (route->held, held->key);
    }
    zlistx_destroy (&late);
}

//  The state of every route, for `kejin status` (the counts the Stats
//  worker serves) and `deploy/kejin-cities status` (the status file)

static void
s_write_status (link_t *self)
{
    pthread_mutex_lock (&self->stats_lock);
    for (int i = 0; i < self->nroutes; i++) {
        route_t *route = &self->routes [i];
        Kj__LinkRoute *counts = &self->counts [i];
        counts->alive = route->alive;
        counts->served = route->served;
        counts->registered = route->local != NULL;
        counts->held = (uint32_t) zhashx_size (route->held);
        counts->forwarded = route->forwarded;
        counts->answered = route->answered;
        counts->failed = route->failed;
        kj_strlcpy (self->refusals [i], route->refused, 256);
    }
    pthread_mutex_unlock (&self->stats_lock);
    if (!*self->config.status_file)
        return;
    char *temp = zsys_sprintf ("%s.tmp", self->config.status_file);
    FILE *file = fopen (temp, "w");
    if (file) {
        for (int i = 0; i < self->nroutes; i++) {
            route_t *route = &self->routes [i];
            fprintf (file,
                     "route=%s peer=%s endpoint=%s alive=%s served=%s "
                     "registered=%s held=%zu forwarded=%" PRIu64
                     " answered=%" PRIu64 " failed=%" PRIu64 "\n",
                     route->route.service, route->route.peer,
                     route->route.endpoint, route->alive ? "yes" : "no",
                     route->served ? "yes" : "no", route->local ? "yes" : "no",
                     zhashx_size (route->held), route->forwarded,
                     route->answered, route->failed);
        }
        if (fclose (file) == 0)
            rename (temp, self->config.status_file);
    }
    zstr_free (&temp);
}

//  --------------------------------------------------------------------------

link_t *
link_new (const link_config_t *config)
{
    link_t *self = (link_t *) zmalloc (sizeof (link_t));
    self->config = *config;
    self->nroutes = config->nroutes;
    self->routes = (route_t *) calloc (config->nroutes + 1, sizeof (route_t));
    self->counts = (Kj__LinkRoute *) calloc (config->nroutes + 1,
                                             sizeof (Kj__LinkRoute));
    self->refusals = (char (*) [256]) calloc (config->nroutes + 1, 256);
    assert (self->routes && self->counts && self->refusals);
    pthread_mutex_init (&self->stats_lock, NULL);
    if (!self->config.stats_service)
        self->config.stats_service = "";
    for (int i = 0; i < self->nroutes; i++) {
        route_t *route = &self->routes [i];
        route->route = config->routes [i];
        kj__link_route__init (&self->counts [i]);
        self->counts [i].service = route->route.service;
        self->counts [i].peer = route->route.peer;
        self->counts [i].endpoint = route->route.endpoint;
        route->held = zhashx_new ();
        zhashx_set_destructor (route->held, (zhashx_destructor_fn *) zstr_free);
        route->far = zsock_new (ZMQ_DEALER);
        zsock_set_linger (route->far, 0);
        zsock_set_immediate (route->far, 1);
        if (config->keys && *config->keys) {
            //  Ours at that peer (PEER.key, PEER.key_secret) and its
            //  broker's public certificate (PEER.broker.key)
            char *mine = zsys_sprintf ("%s/%s.key", config->keys,
                                       route->route.peer);
            char *theirs = zsys_sprintf ("%s/%s.broker.key", config->keys,
                                         route->route.peer);
            zcert_t *cert = zcert_load (mine);
            zcert_t *server = zcert_load (theirs);
            int rc = cert && server ? kj_keys_client (route->far, cert,
                                                      zcert_public_txt (server))
                                    : -1;
            if (rc)
                kj_error ("link.no_keys",
                          "peer=%s mine=%s theirs=%s reason=\"both "
                          "certificates are needed, ours with its secret\"",
                          route->route.peer, mine, theirs);
            zcert_destroy (&cert);
            zcert_destroy (&server);
            zstr_free (&mine);
            zstr_free (&theirs);
            if (rc) {
                link_destroy (&self);
                return NULL;
            }
        }
        if (zsock_connect (route->far, "%s", route->route.endpoint)) {
            kj_error ("link.bad_endpoint", "peer=%s endpoint=%s",
                      route->route.peer, route->route.endpoint);
            link_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
link_destroy (link_t **self_p)
{
    if (*self_p) {
        link_t *self = *self_p;
        for (int i = 0; i < self->nroutes; i++) {
            route_t *route = &self->routes [i];
            if (route->held)
                s_unregister (route, "the link stops");
            zhashx_destroy (&route->held);
            zsock_destroy (&route->far);
        }
        free (self->routes);
        free (self->counts);
        free (self->refusals);
        pthread_mutex_destroy (&self->stats_lock);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Link.Stats, on the Stats worker's thread: the routes as of the last
//  heartbeat.

static int
s_stats (kj_call_t *call, const ProtobufCMessage *input,
         ProtobufCMessage *output)
{
    link_t *self = (link_t *) kj_call_state (call);
    Kj__LinkStats *reply = (Kj__LinkStats *) output;
    reply->routes = (Kj__LinkRoute **)
        kj_call_alloc (call,
                       ((size_t) self->nroutes + 1) * sizeof (Kj__LinkRoute *));
    pthread_mutex_lock (&self->stats_lock);
    for (int i = 0; i < self->nroutes; i++) {
        Kj__LinkRoute *route = (Kj__LinkRoute *)
            kj_call_alloc (call, sizeof (Kj__LinkRoute));
        *route = self->counts [i];
        route->refused = kj_call_strdup (call, self->refusals [i]);
        reply->routes [i] = route;
    }
    pthread_mutex_unlock (&self->stats_lock);
    reply->n_routes = (size_t) self->nroutes;
    reply->instance = (char *) self->config.instance;
    return 0;
}

static const kj_method_t s_stats_methods [] = { { "Stats", s_stats, 0 },
                                                { NULL } };

static void *
s_stats_thread (void *arg)
{
    kj_worker_run ((kj_worker_t *) arg);
    return NULL;
}

int
link_run (link_t *self)
{
    if (*self->config.stats_service) {
        kj_worker_config_t wc = { .endpoint = self->config.broker,
                                  .service = self->config.stats_service,
                                  .descriptor = &kj__link__descriptor,
                                  .methods = s_stats_methods,
                                  .state = self,
                                  .instance = self->config.instance };
        self->stats = kj_worker_new (&wc);
        if (pthread_create (&self->stats_thread, NULL, s_stats_thread,
                            self->stats)) {
            kj_error ("link.stats_failed", "reason=\"no thread\"");
            kj_worker_destroy (&self->stats);
        }
    }
    int n = self->nroutes;
    zmq_pollitem_t *items = (zmq_pollitem_t *) calloc (2 * n + 1,
                                                       sizeof *items);
    route_t **owner = (route_t **) calloc (2 * n + 1, sizeof *owner);
    int64_t beat_at = 0;
    while (!kj_stopping ()) {
        int64_t now = kj_mono_us ();
        if (now >= beat_at) {
            for (int i = 0; i < n; i++)
                s_beat (self, &self->routes [i], now);
            s_write_status (self);
            beat_at = now + (int64_t) self->config.heartbeat_ms * 1000;
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            route_t *route = &self->routes [i];
            owner [count] = route;
            items [count++] = (zmq_pollitem_t){ zsock_resolve (route->far), 0,
                                                ZMQ_POLLIN, 0 };
            if (route->local) {
                owner [count] = route;
                items [count++] = (zmq_pollitem_t){
                    zsock_resolve (route->local), 0, ZMQ_POLLIN, 0
                };
            }
        }
        long wait = (long) ((beat_at - now) / 1000) + 1;
        if (zmq_poll (items, count, wait) < 0)
            continue;  //  a signal: kj_stopping says whether to go
        now = kj_mono_us ();
        for (int i = 0; i < count; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            route_t *route = owner [i];
            bool far = items [i].socket == zsock_resolve (route->far);
            //  A batch per socket, so that one busy route cannot starve
            //  the others
            for (int k = 0; k < 1000; k++) {
                zsock_t *sock = far ? route->far : route->local;
                if (!sock)
                    break;
                zmsg_t *msg = NULL;
                if (zsock_events (sock) & ZMQ_POLLIN)
                    msg = zmsg_recv (sock);
                if (!msg)
                    break;
                if (far)
                    s_answer (route, msg, now);
                else
                    s_local_message (self, route, msg, now);
                zmsg_destroy (&msg);
            }
        }
    }
    for (int i = 0; i < n; i++)
        s_unregister (&self->routes [i], "the link stops");
    s_write_status (self);
    free (items);
    free (owner);
    if (self->stats) {
        kj_worker_stop (self->stats);
        pthread_join (self->stats_thread, NULL);
        kj_worker_destroy (&self->stats);
    }
    return 0;
}
