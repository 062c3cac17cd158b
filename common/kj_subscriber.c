/*  =========================================================================
    kj_subscriber - every event of the log once, in offset order, from any
    offset, live

    State: `next` is the next offset to deliver; everything below it was
    delivered. Live events above it wait in `buffer` (offset order);
    markers wait in `markers` while a replay is due. A marker [first,
    last] is checked against the buffer:
    - last < next: old news, dropped (this covers idle ticks when we are
      up to date)
    - an idle tick with head >= next: markers were lost: gap
    - first > next: the markers of first..next-1 were lost: gap
    - first < next: we caught up by replay into the middle of the batch:
      replay the rest (a seam, not a gap)
    - first = next: count the buffered events of [first, last] and compare
      with the marker's counts for our topics: equal, deliver them; not
      equal, gap
    A gap sets repair_to; the repair replays [next, repair_to] and only
    then are later markers looked at. A SUB socket with a bounded queue and
    a bounded buffer mean a slow subscriber loses live messages, never
    memory: the gap that follows is repaired by replay.
    =========================================================================
*/

#include "kejin.h"

#define MARKERS_MAX    10000
#define SILENCE_US     3000000  //  no marker this long: check the head
#define NO_MARKER_US   5000000  //  no marker ever, this long: say so
#define REPORT_US      1000000
#define REPAIR_TO_HEAD UINT64_MAX

typedef struct {
    uint64_t offset;
    Kj__Envelope *event;
} entry_t;

struct _kj_subscriber_t {
    kj_subscriber_config_t config;
    char **prefixes;  //  our copies, n_prefixes of them
    size_t n_prefixes;
    char *name;
    char *city;    //  a mirrored city's log, or NULL
    char *stream;  //  "<city>/", its stream's prefix, or NULL
    size_t stream_size;
    char *pub;              //  the pub endpoint, for the warning
    zsock_t *sub;           //  SUB to the broker's XPUB
    kj_client_t *client;    //  for Replay and Report
    bool started;           //  next is known
    uint64_t next;          //  next offset to deliver
    uint64_t repair_to;     //  replay up to here is due (0: none)
    uint64_t pending_gaps;  //  gaps found, not yet repaired
    bool probing;           //  replay after silence: a gap if it finds
                            //  anything
    zlistx_t *buffer;       //  entry_t, increasing offsets
    zlistx_t *markers;      //  Kj__BatchMarker, in arrival order
    int64_t marker_at;      //  last marker received (mono us)
    int64_t created_at;     //  mono us
    bool warned;            //  said that no marker ever came
    int64_t report_at;      //  next Report (mono us)
    int64_t retry_at;       //  next replay attempt after a failure
    int drop_permille;
    bool stopped;  //  the callback asked to stop
    bool failed;
    char error [512];
    kj_subscriber_stats_t stats;
};

static void
s_entry_destroy (void **item_p)
{
    entry_t *entry = (entry_t *) *item_p;
    if (entry) {
        kj__envelope__free_unpacked (entry->event, NULL);
        free (entry);
        *item_p = NULL;
    }
}

static void
s_marker_destroy (void **item_p)
{
    if (*item_p) {
        kj__batch_marker__free_unpacked ((Kj__BatchMarker *) *item_p, NULL);
        *item_p = NULL;
    }
}

static bool
s_matches (kj_subscriber_t *self, const char *topic)
{
    if (self->n_prefixes == 0)
        return true;
    for (size_t i = 0; i < self->n_prefixes; i++)
        if (strncmp (topic, self->prefixes [i], strlen (self->prefixes [i]))
            == 0)
            return true;
    return false;
}

//  Subscribe to topic, in the mirrored city's stream when we follow one.

static void
s_subscribe (kj_subscriber_t *self, const char *topic)
{
    char *full = zsys_sprintf ("%s%s", self->stream ? self->stream : "", topic);
    zsock_set_subscribe (self->sub, full);
    zstr_free (&full);
}

kj_subscriber_t *
kj_subscriber_new (const kj_subscriber_config_t *config)
{
    if (!config->broker || !config->pub_endpoint || !config->callback) {
        kj_error ("subscriber.bad_config", "reason=\"broker, pub_endpoint "
                                           "and callback are required\"");
        return NULL;
    }
    kj_subscriber_t *self = (kj_subscriber_t *) zmalloc (
        sizeof (kj_subscriber_t));
    self->config = *config;
    if (self->config.replay_batch <= 0)
        self->config.replay_batch = 1000;
    if (self->config.timeout_ms <= 0)
        self->config.timeout_ms = 3000;
    if (self->config.buffer_max <= 0)
        self->config.buffer_max = 100000;
    if (self->config.rcvhwm <= 0)
        self->config.rcvhwm = 100000;
    size_t count = 0;
    while (config->prefixes && config->prefixes [count])
        count++;
    self->prefixes = (char **) zmalloc ((count + 1) * sizeof (char *));
    for (size_t i = 0; i < count; i++)
        if (*config->prefixes [i])
            self->prefixes [self->n_prefixes++] = strdup (config->prefixes [i]);
    self->name = config->name ? strdup (config->name) : NULL;
    if (config->city && *config->city) {
        self->city = strdup (config->city);
        self->stream = zsys_sprintf ("%s/", config->city);
        self->stream_size = strlen (self->stream);
        //  Its position is reported with the city (ReportRequest.city)
    }
    self->config.city = NULL;
    self->pub = strdup (config->pub_endpoint);
    self->config.pub_endpoint = self->pub;
    self->config.prefixes = NULL;
    self->config.name = NULL;
    self->buffer = zlistx_new ();
    zlistx_set_destructor (self->buffer, s_entry_destroy);
    self->markers = zlistx_new ();
    zlistx_set_destructor (self->markers, s_marker_destroy);

    self->sub = zsock_new (ZMQ_SUB);
    assert (self->sub);
    zsock_set_rcvhwm (self->sub, self->config.rcvhwm);
    zsock_set_maxmsgsize (self->sub, KJ_MAX_MSG_SIZE);
    zsock_set_linger (self->sub, 0);
    s_subscribe (self, "$batch");
    if (self->n_prefixes == 0)
        s_subscribe (self, "");
    for (size_t i = 0; i < self->n_prefixes; i++)
        s_subscribe (self, self->prefixes [i]);
    //  With the node's keys, the same key as the process's requests
    kj_keys_client_env (self->sub, "operator");
    self->client = kj_client_new (config->broker);
    if (zsock_connect (self->sub, "%s", config->pub_endpoint)
        || !self->client) {
        kj_error ("subscriber.connect_failed", "pub=%s broker=%s",
                  config->pub_endpoint, config->broker);
        kj_subscriber_destroy (&self);
        return NULL;
    }
    kj_client_set_timeout (self->client, self->config.timeout_ms);
    self->marker_at = self->created_at = kj_mono_us ();
    return self;
}

void
kj_subscriber_destroy (kj_subscriber_t **self_p)
{
    if (*self_p) {
        kj_subscriber_t *self = *self_p;
        zsock_destroy (&self->sub);
        kj_client_destroy (&self->client);
        zlistx_destroy (&self->buffer);
        zlistx_destroy (&self->markers);
        for (size_t i = 0; i < self->n_prefixes; i++)
            free (self->prefixes [i]);
        free (self->prefixes);
        free (self->name);
        zstr_free (&self->city);
        zstr_free (&self->stream);
        free (self->pub);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Delivery: the one place that calls the application. Returns 1 if it
//  asked to stop.

static int
s_deliver (kj_subscriber_t *self, const Kj__Envelope *event, bool live)
{
    if (event->offset < self->next)
        return 0;
    self->next = event->offset + 1;
    self->stats.delivered++;
    if (live)
        self->stats.live++;
    else
        self->stats.replayed++;
    if (self->config.callback (event, self->config.arg)) {
        self->stopped = true;
        return 1;
    }
    return 0;
}

static void
s_prune (kj_subscriber_t *self)
{
    entry_t *entry;
    while ((entry = (entry_t *) zlistx_first (self->buffer))
           && entry->offset < self->next)
        zlistx_delete (self->buffer, zlistx_cursor (self->buffer));
}

static int
s_fail (kj_subscriber_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    self->failed = true;
    kj_error ("subscriber.failed", "reason=\"%s\"", self->error);
    return -1;
}

//  --------------------------------------------------------------------------
//  Replay [next, repair_to] (repair_to REPAIR_TO_HEAD: up to the head as
//  the log tells). 0 done, 1 the callback stopped, -1 fatal, -2 no answer:
//  try again later.

static int
s_repair (kj_subscriber_t *self)
{
    while (self->repair_to) {
        Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
        request.from_offset = self->started ? self->next : self->config.from;
        request.to_offset = self->repair_to == REPAIR_TO_HEAD ? 0
                                                              : self->repair_to;
        request.prefixes = self->prefixes;
        request.n_prefixes = self->n_prefixes;
        request.max_events = (uint32_t) self->config.replay_batch;
        request.city = self->city ? self->city : "";
        Kj__ReplayReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true, .retries = -1 };
        int code = kj_client_call (self->client, "events", "Replay",
                                   &request.base, &kj__replay_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &status,
                                   &opts);
        //  What can never succeed ends the subscription: gone past
        //  retention, a revoked key, a prefix or a city the key may not
        //  read, a city the node does not serve. Only UNAVAILABLE and no
        //  answer are retried.
        if (code == KJ__CODE__OUT_OF_RANGE)
            return s_fail (self, "%s", status.message);
        if (code == KJ__CODE__UNAUTHENTICATED
            || code == KJ__CODE__PERMISSION_DENIED
            || code == KJ__CODE__INVALID_ARGUMENT
            || code == KJ__CODE__NOT_FOUND)
            return s_fail (self, "%s: %s", kj_code_name (code), status.message);
        if (code != KJ__CODE__OK) {
            kj_warn ("subscriber.replay_failed",
                     "from=%" PRIu64 " code=%s "
                     "reason=\"%s\"",
                     request.from_offset, kj_code_name (code), status.message);
            return -2;
        }
        if (!self->started) {
            self->next = request.from_offset ? request.from_offset
                                             : reply->tail;
            self->started = true;
        }
        int rc = 0;
        if (self->probing && reply->n_events) {
            //  Silence hid events from us: that was a gap
            self->probing = false;
            self->stats.gaps_found++;
            self->pending_gaps++;
        }
        for (size_t i = 0; i < reply->n_events && rc == 0; i++)
            rc = s_deliver (self, reply->events [i], false);
        if (rc == 0 && reply->next_offset > self->next)
            self->next = reply->next_offset;
        uint64_t head = reply->head;
        kj__replay_reply__free_unpacked (reply, NULL);
        //  Done when we passed the target, or the head (a target beyond
        //  the head would be a marker from a log that lost events)
        bool done = self->next > head
                 || (self->repair_to != REPAIR_TO_HEAD
                     && self->next > self->repair_to);
        if (rc && !done)
            return 1;  //  the rest when polled again
        if (done) {
            self->repair_to = 0;
            self->probing = false;
            self->stats.gaps_repaired += self->pending_gaps;
            self->pending_gaps = 0;
            s_prune (self);
            return rc;
        }
        //  Keep the live queue moving while a long replay runs
        kj_subscriber_poll (self, -2);
    }
    return 0;
}

//  A gap (or a seam, when gap is false) up to `last`.

static void
s_need_replay (kj_subscriber_t *self, uint64_t last, bool gap)
{
    if (gap) {
        self->stats.gaps_found++;
        self->pending_gaps++;
    }
    if (self->repair_to != REPAIR_TO_HEAD && last > self->repair_to)
        self->repair_to = last;
}

//  Check one marker against the buffer; deliver its batch when complete.
//  Returns 1 if the callback stopped.

static int
s_on_marker (kj_subscriber_t *self, const Kj__BatchMarker *marker)
{
    if (marker->last < self->next)
        return 0;
    if (marker->first == marker->last + 1) {
        s_need_replay (self, marker->last, true);
        return 0;
    }
    if (marker->first != self->next) {
        s_need_replay (self, marker->last, marker->first > self->next);
        return 0;
    }
    uint64_t expected = 0;
    for (size_t i = 0; i < marker->n_counts; i++)
        if (marker->counts [i]->topic
            && s_matches (self, marker->counts [i]->topic))
            expected += marker->counts [i]->count;
    s_prune (self);
    uint64_t have = 0;
    for (entry_t *entry = (entry_t *) zlistx_first (self->buffer);
         entry && entry->offset <= marker->last;
         entry = (entry_t *) zlistx_next (self->buffer))
        have++;
    if (have != expected) {
        s_need_replay (self, marker->last, true);
        return 0;
    }
    entry_t *entry;
    while ((entry = (entry_t *) zlistx_first (self->buffer))
           && entry->offset <= marker->last) {
        int rc = s_deliver (self, entry->event, true);
        zlistx_delete (self->buffer, zlistx_cursor (self->buffer));
        if (rc) {
            //  The rest of the batch comes by replay if polled again
            if (self->next <= marker->last)
                s_need_replay (self, marker->last, false);
            return 1;
        }
    }
    self->next = marker->last + 1;
    return 0;
}

//  Markers in arrival order, as long as no replay is due.

static int
s_process_markers (kj_subscriber_t *self)
{
    while (!self->repair_to && zlistx_size (self->markers)) {
        Kj__BatchMarker *marker = (Kj__BatchMarker *) zlistx_first (
            self->markers);
        int rc = s_on_marker (self, marker);
        zlistx_delete (self->markers, zlistx_cursor (self->markers));
        if (rc)
            return rc;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  One live message: [topic] [offset] [Envelope] or ["$batch"] [last]
//  [BatchMarker]. Anything else is dropped: it came over the network.

static void
s_on_message (kj_subscriber_t *self, zmsg_t *msg)
{
    zframe_t *topic = zmsg_first (msg);
    zframe_t *offset = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    if (zmsg_size (msg) != 3 || zframe_size (offset) != 8) {
        kj_debug ("subscriber.bad_message", "frames=%zu", zmsg_size (msg));
        return;
    }
    if (self->drop_permille > 0 && randof (1000) < self->drop_permille) {
        self->stats.dropped++;
        return;
    }
    uint64_t off = kj_get_u64 (zframe_data (offset));
    //  Only our log's: the node's own (no city prefix), or the one city's
    //  we follow. A subscription to everything at a hub gets all cities.
    const char *name = (const char *) zframe_data (topic);
    size_t size = zframe_size (topic);
    size_t city = kj_keys_topic_city (name, size);
    if (city != self->stream_size
        || (city && memcmp (name, self->stream, city) != 0))
        return;
    if (size - city == 6 && memcmp (name + city, "$batch", 6) == 0) {
        Kj__BatchMarker *marker = (Kj__BatchMarker *)
            kj_proto_unpack (&kj__batch_marker__descriptor, zframe_data (body),
                             zframe_size (body), NULL);
        if (!marker)
            return;
        self->stats.markers++;
        self->marker_at = kj_mono_us ();
        if (zlistx_size (self->markers) >= MARKERS_MAX) {
            //  Too far behind to check batch by batch: replay it all
            s_need_replay (self, marker->last, true);
            kj__batch_marker__free_unpacked (marker, NULL);
        }
        else
            zlistx_add_end (self->markers, marker);
        return;
    }
    if (!self->started || off < self->next)
        return;
    entry_t *last = (entry_t *) zlistx_last (self->buffer);
    if (last && last->offset >= off)
        return;  //  not in order: the marker check replays
    if (zlistx_size (self->buffer) >= (size_t) self->config.buffer_max) {
        self->stats.overflows++;
        return;
    }
    Kj__Envelope *event = (Kj__Envelope *)
        kj_proto_unpack (&kj__envelope__descriptor, zframe_data (body),
                         zframe_size (body), NULL);
    if (!event)
        return;
    if (!event->topic || !s_matches (self, event->topic)) {
        kj__envelope__free_unpacked (event, NULL);
        return;
    }
    event->offset = off;
    entry_t *entry = (entry_t *) zmalloc (sizeof (entry_t));
    entry->offset = off;
    entry->event = event;
    zlistx_add_end (self->buffer, entry);
}

static void
s_report (kj_subscriber_t *self)
{
    int64_t now = kj_mono_us ();
    //  Drop the answers to earlier reports
    uint64_t id;
    kj_status_t status;
    while (kj_client_recv (self->client, 0, &id, NULL, NULL, &status) >= 0)
        ;
    if (!self->name || !self->started || now < self->report_at)
        return;
    self->report_at = now + REPORT_US;
    Kj__ReportRequest request = KJ__REPORT_REQUEST__INIT;
    request.name = self->name;
    request.offset = self->next ? self->next - 1 : 0;
    request.city = self->city ? self->city : "";  //  its offsets, at a hub
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 2000 };
    kj_client_send (self->client, "events", "Report", &request.base, &opts);
}

//  --------------------------------------------------------------------------
//  The log's head: from Info, or for a mirrored city, from a Replay of one
//  event (Info tells of the node's own log). 0 or -1 with status set.

static int
s_head (kj_subscriber_t *self, uint64_t *head, kj_status_t *status)
{
    kj_call_opts_t opts = { .read_only = true, .retries = -1 };
    if (self->city) {
        Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
        request.max_events = 1;
        request.city = self->city;
        request.prefixes = self->prefixes;
        request.n_prefixes = self->n_prefixes;
        Kj__ReplayReply *reply = NULL;
        if (kj_client_call (self->client, "events", "Replay", &request.base,
                            &kj__replay_reply__descriptor,
                            (ProtobufCMessage **) &reply, status, &opts))
            return -1;
        *head = reply->head;
        kj__replay_reply__free_unpacked (reply, NULL);
        return 0;
    }
    Kj__EventsInfoRequest request = KJ__EVENTS_INFO_REQUEST__INIT;
    Kj__EventsInfo *info = NULL;
    if (kj_client_call (self->client, "events", "Info", &request.base,
                        &kj__events_info__descriptor,
                        (ProtobufCMessage **) &info, status, &opts))
        return -1;
    *head = info->head;
    kj__events_info__free_unpacked (info, NULL);
    return 0;
}

//  --------------------------------------------------------------------------

int
kj_subscriber_poll (kj_subscriber_t *self, int timeout_ms)
{
    //  timeout -2: called from inside a repair, only to drain the socket
    bool inner = timeout_ms == -2;
    if (self->failed)
        return -1;
    if (!inner) {
        if (self->stopped)
            self->stopped = false;  //  the application goes on
        if (!self->started && self->config.from == KJ_SUBSCRIBER_HEAD) {
            uint64_t head;
            kj_status_t status;
            if (s_head (self, &head, &status)) {
                kj_warn ("subscriber.info_failed", "reason=\"%s\"",
                         status.message);
                zclock_sleep (timeout_ms > 0 ? timeout_ms : 0);
                return 0;
            }
            self->next = head + 1;
            self->started = true;
        }
        if (!self->started)
            self->repair_to = REPAIR_TO_HEAD;
        int64_t now = kj_mono_us ();
        if (!self->warned && self->stats.markers == 0
            && now - self->created_at > NO_MARKER_US) {
            //  kejin-events sends a marker a second: none at all means
            //  the wrong endpoint, most often the broker's XSUB
            kj_warn ("subscriber.no_marker",
                     "pub=%s seconds=%d reason=\"no "
                     "live marker from %s in %ds: is it the broker's XPUB "
                     "endpoint, the node's pub (KEJIN_NODE_PUB, "
                     "broker/pub_endpoint, 'pub' in kejin status), and does "
                     "kejin-events run? Until then events come by replay "
                     "only\"",
                     self->pub, NO_MARKER_US / 1000000, self->pub,
                     NO_MARKER_US / 1000000);
            self->warned = true;
        }
        if (self->started && !self->repair_to
            && now - self->marker_at > SILENCE_US) {
            //  No marker for a while: the stream may be cut off; ask
            self->repair_to = REPAIR_TO_HEAD;
            self->probing = true;
            self->marker_at = now;
        }
        if (self->repair_to && now >= self->retry_at) {
            int rc = s_repair (self);
            if (rc == -1 || rc == 1)
                return rc;
            if (rc == -2)
                self->retry_at = kj_mono_us () + 500000;
        }
        int rc = s_process_markers (self);
        if (rc)
            return rc;
    }
    //  Live messages: wait for the first, then take what is waiting, each
    //  with a receive (one that finds a message waiting costs no system
    //  call; a look at the socket's events before each cost one)
    zsock_set_rcvtimeo (self->sub, inner ? 0 : timeout_ms);
    for (int count = 0; count < 10000; count++) {
        zmsg_t *msg = zmsg_recv (self->sub);
        if (!msg)
            break;
        if (count == 0 && !inner && timeout_ms)
            zsock_set_rcvtimeo (self->sub, 0);
        s_on_message (self, msg);
        zmsg_destroy (&msg);
    }
    if (inner)
        return 0;
    int rc;
    if (self->repair_to && kj_mono_us () >= self->retry_at) {
        int rc = s_repair (self);
        if (rc == -1 || rc == 1)
            return rc;
        if (rc == -2)
            self->retry_at = kj_mono_us () + 500000;
    }
    rc = s_process_markers (self);
    if (rc)
        return rc;
    if (self->repair_to && kj_mono_us () >= self->retry_at) {
        rc = s_repair (self);
        if (rc == -1 || rc == 1)
            return rc;
        if (rc == -2)
            self->retry_at = kj_mono_us () + 500000;
    }
    s_report (self);
    return 0;
}

int
kj_subscriber_run (kj_subscriber_t *self)
{
    while (!kj_stopping ()) {
        int rc = kj_subscriber_poll (self, 200);
        if (rc)
            return rc;
    }
    return 0;
}

uint64_t
kj_subscriber_next (kj_subscriber_t *self)
{
    return self->next;
}

void
kj_subscriber_stats (kj_subscriber_t *self, kj_subscriber_stats_t *stats)
{
    *stats = self->stats;
    stats->next = self->next;
}

const char *
kj_subscriber_error (kj_subscriber_t *self)
{
    return self->error;
}

void
kj_subscriber_set_drop (kj_subscriber_t *self, int permille)
{
    self->drop_permille = permille;
}
