/*  =========================================================================
    test_broker_core - the broker's queues, dispatch, expiry and retries,
    driven with made-up frames and a made-up clock
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "broker_core.h"

//  Everything the core sends, as CZMQ messages, oldest first
static zlist_t *s_sent;
static int s_fail_sends;    //  make the next sends fail, as a full pipe
static const char *s_gone;  //  peers whose connection is gone: every
                            //  id that starts with this

static int
s_capture (void *arg, zmq_msg_t *frames, int count)
{
    zmsg_t *msg = zmsg_new ();
    for (int i = 0; i < count; i++) {
        zmsg_addmem (msg, zmq_msg_data (&frames [i]),
                     zmq_msg_size (&frames [i]));
        zmq_msg_close (&frames [i]);
    }
    if (s_fail_sends > 0) {
        s_fail_sends--;
        zmsg_destroy (&msg);
        return -1;
    }
    zframe_t *peer = zmsg_first (msg);
    if (s_gone && zframe_size (peer) >= strlen (s_gone)
        && memcmp (zframe_data (peer), s_gone, strlen (s_gone)) == 0) {
        zmsg_destroy (&msg);
        return BROKER_GONE;
    }
    zlist_append (s_sent, msg);
    return 0;
}

static zmsg_t *
s_next_sent (void)
{
    return (zmsg_t *) zlist_pop (s_sent);
}

//  The next message sent to peer; those to others before it are dropped
static zmsg_t *
s_next_to (const char *peer)
{
    zmsg_t *msg;
    while ((msg = s_next_sent ())) {
        if (zframe_streq (zmsg_first (msg), peer))
            return msg;
        zmsg_destroy (&msg);
    }
    return NULL;
}

static void
s_clear_sent (void)
{
    zmsg_t *msg;
    while ((msg = s_next_sent ()))
        zmsg_destroy (&msg);
}

//  Feed one message of string frames (NULL-terminated) from peer
static void
s_feed (broker_core_t *core, int64_t now, const char *peer, ...)
{
    zmq_msg_t frames [32];
    int count = 0;
    zmq_msg_init_size (&frames [count], strlen (peer));
    memcpy (zmq_msg_data (&frames [count++]), peer, strlen (peer));
    va_list args;
    va_start (args, peer);
    for (const char *s = va_arg (args, const char *); s;
         s = va_arg (args, const char *)) {
        zmq_msg_init_size (&frames [count], strlen (s));
        memcpy (zmq_msg_data (&frames [count++]), s, strlen (s));
    }
    va_end (args);
    broker_core_message (core, frames, count, now);
}

//  Feed a worker REPLY for a REQUEST it got, echoing the handle
static void
s_reply (broker_core_t *core, int64_t now, const char *worker, zmsg_t *request,
         const char *body)
{
    //  request: [worker] [] [MDPW01] [0x02] [handle] [] [body]...
    zframe_t *handle = zmsg_first (request);
    for (int i = 0; i < 4; i++)
        handle = zmsg_next (request);
    zmq_msg_t frames [8];
    const char *parts [] = { worker, "", "MDPW01", "\003" };
    for (int i = 0; i < 4; i++) {
        zmq_msg_init_size (&frames [i], strlen (parts [i]));
        memcpy (zmq_msg_data (&frames [i]), parts [i], strlen (parts [i]));
    }
    zmq_msg_init_size (&frames [4], zframe_size (handle));
    memcpy (zmq_msg_data (&frames [4]), zframe_data (handle),
            zframe_size (handle));
    zmq_msg_init (&frames [5]);
    zmq_msg_init_size (&frames [6], strlen (body));
    memcpy (zmq_msg_data (&frames [6]), body, strlen (body));
    broker_core_message (core, frames, 7, now);
}

//  Feed [peer] + the `nhead` frames in head + `nbody` frames "b"; through
//  broker_core_message_cut when `cut`, as broker_server does for a message
//  longer than it keeps
static void
s_feed_long (broker_core_t *core, int64_t now, bool cut, const char *peer,
             const char **head, int nhead, int nbody)
{
    int count = 1 + nhead + nbody;
    zmq_msg_t *frames = (zmq_msg_t *) malloc (count * sizeof (zmq_msg_t));
    for (int i = 0; i < count; i++) {
        const char *text = i == 0 ? peer : i <= nhead ? head [i - 1] : "b";
        zmq_msg_init_size (&frames [i], strlen (text));
        memcpy (zmq_msg_data (&frames [i]), text, strlen (text));
    }
    if (cut)
        broker_core_message_cut (core, frames, count, now);
    else
        broker_core_message (core, frames, count, now);
    free (frames);
}

//  Feed a Kejin request: [peer] [] [MDPC01] [service] [header] [""]
static void
s_feed_kejin (broker_core_t *core, int64_t now, const char *peer,
              const char *service, uint32_t timeout_ms, bool retry_safe)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = 42;
    header.method = "Echo";
    header.timeout_ms = timeout_ms;
    header.retry_safe = retry_safe;
    zframe_t *frame = kj_proto_frame (&header.base, true);
    zmq_msg_t frames [6];
    const char *parts [] = { peer, "", "MDPC01", service };
    for (int i = 0; i < 4; i++) {
        zmq_msg_init_size (&frames [i], strlen (parts [i]));
        memcpy (zmq_msg_data (&frames [i]), parts [i], strlen (parts [i]));
    }
    zmq_msg_init_size (&frames [4], zframe_size (frame));
    memcpy (zmq_msg_data (&frames [4]), zframe_data (frame),
            zframe_size (frame));
    zmq_msg_init (&frames [5]);
    zframe_destroy (&frame);
    broker_core_message (core, frames, 6, now);
}

//  The status code of a Kejin error reply (its last frame)
static int
s_kejin_code (zmsg_t *msg)
{
    zframe_t *head = zmsg_last (msg);
    Kj__ReplyHeader *reply = kj_proto_reply_header (zframe_data (head),
                                                    zframe_size (head));
    assert_non_null (reply);
    int code = reply->status->code;
    kj__reply_header__free_unpacked (reply, NULL);
    return code;
}

static uint32_t
s_workers_of (broker_core_t *core, const char *service)
{
    Kj__BrokerStats *stats = broker_core_stats (core, 0);
    uint32_t workers = 0;
    for (size_t i = 0; i < stats->n_services; i++)
        if (streq (stats->services [i]->name, service))
            workers = stats->services [i]->workers;
    kj__broker_stats__free_unpacked (stats, NULL);
    return workers;
}

//  Feed a worker REPLY with `nbody` body frames "b" for a REQUEST it got
static void
s_reply_long (broker_core_t *core, int64_t now, const char *worker,
              zmsg_t *request, int nbody)
{
    zframe_t *handle = zmsg_first (request);
    for (int i = 0; i < 4; i++)
        handle = zmsg_next (request);
    int count = 6 + nbody;
    zmq_msg_t *frames = (zmq_msg_t *) malloc (count * sizeof (zmq_msg_t));
    const char *parts [] = { worker, "", "MDPW01", "\003" };
    for (int i = 0; i < count; i++) {
        const void *data = i < 4  ? (const void *) parts [i]
                         : i == 4 ? (const void *) zframe_data (handle)
                         : i == 5 ? ""
                                  : "b";
        size_t size = i < 4  ? strlen (parts [i])
                    : i == 4 ? zframe_size (handle)
                    : i == 5 ? 0
                             : 1;
        zmq_msg_init_size (&frames [i], size);
        memcpy (zmq_msg_data (&frames [i]), data, size);
    }
    broker_core_message (core, frames, count, now);
    free (frames);
}

static bool
s_frame_is (zmsg_t *msg, int index, const char *text)
{
    zframe_t *frame = zmsg_first (msg);
    for (int i = 0; i < index && frame; i++)
        frame = zmsg_next (msg);
    return frame && zframe_streq (frame, text);
}

static broker_core_t *
s_core (broker_limits_t *limits)
{
    broker_limits_t defaults;
    broker_limits_default (&defaults);
    if (!s_sent)
        s_sent = zlist_new ();
    s_clear_sent ();
    s_fail_sends = 0;
    s_gone = NULL;
    return broker_core_new (limits ? limits : &defaults, s_capture, NULL);
}

#define READY      "\001"
#define HEARTBEAT  "\004"
#define DISCONNECT "\005"
#define MS         1000LL

//  --------------------------------------------------------------------------

static void
test_dispatch_plain_request_and_reply (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "echo", NULL);
    s_feed (core, 1, "C1", "", "MDPC01", "echo", "hello", "", "world", NULL);
    zmsg_t *request = s_next_sent ();
    assert_non_null (request);
    //  [W1] [] [MDPW01] [0x02] [handle] [] [hello] [] [world]
    assert_int_equal (zmsg_size (request), 9);
    assert_true (s_frame_is (request, 0, "W1"));
    assert_true (s_frame_is (request, 2, "MDPW01"));
    assert_true (s_frame_is (request, 3, "\002"));
    assert_true (s_frame_is (request, 5, ""));
    assert_true (s_frame_is (request, 6, "hello"));
    assert_true (s_frame_is (request, 7, ""));
    assert_true (s_frame_is (request, 8, "world"));
    s_reply (core, 10, "W1", request, "HELLO");
    zmsg_destroy (&request);
    zmsg_t *reply = s_next_sent ();
    assert_non_null (reply);
    assert_int_equal (zmsg_size (reply), 5);
    assert_true (s_frame_is (reply, 0, "C1"));
    assert_true (s_frame_is (reply, 1, ""));
    assert_true (s_frame_is (reply, 2, "MDPC01"));
    assert_true (s_frame_is (reply, 3, "echo"));
    assert_true (s_frame_is (reply, 4, "HELLO"));
    zmsg_destroy (&reply);
    assert_int_equal (broker_core_pending (core), 0);
    broker_core_destroy (&core);
}

static void
test_dispatch_least_recently_used (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "echo", NULL);
    s_feed (core, 0, "W2", "", "MDPW01", READY, "echo", NULL);
    s_feed (core, 0, "W3", "", "MDPW01", READY, "echo", NULL);
    for (int i = 0; i < 3; i++)
        s_feed (core, 1, "C1", "", "MDPC01", "echo", "x", NULL);
    const char *expected [] = { "W1", "W2", "W3" };
    zmsg_t *requests [3];
    for (int i = 0; i < 3; i++) {
        requests [i] = s_next_sent ();
        assert_true (s_frame_is (requests [i], 0, expected [i]));
    }
    //  A fourth request waits: every plain worker holds one already
    s_feed (core, 2, "C1", "", "MDPC01", "echo", "x", NULL);
    assert_null (s_next_sent ());
    //  W2 answers first, so W2 gets the fourth
    s_reply (core, 3, "W2", requests [1], "y");
    zmsg_t *reply = s_next_sent ();
    assert_true (s_frame_is (reply, 0, "C1"));
    zmsg_destroy (&reply);
    zmsg_t *fourth = s_next_sent ();
    assert_true (s_frame_is (fourth, 0, "W2"));
    zmsg_destroy (&fourth);
    for (int i = 0; i < 3; i++)
        zmsg_destroy (&requests [i]);
    broker_core_destroy (&core);
}

static void
test_credit_worker_holds_many (void **state)
{
    broker_core_t *core = s_core (NULL);
    //  READY with the Kejin extension: credit 3
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    hello.credit = 3;
    zframe_t *frame = kj_proto_frame (&hello.base, true);
    char *ext = (char *) zmalloc (zframe_size (frame) + 1);
    memcpy (ext, zframe_data (frame), zframe_size (frame));
    //  the encoded hello has no zero byte for credit 3, so a string is fine
    assert_int_equal (strlen (ext), zframe_size (frame));
    s_feed (core, 0, "K1", "", "MDPW01", READY, "calc", ext, NULL);
    zframe_destroy (&frame);
    free (ext);
    for (int i = 0; i < 5; i++)
        s_feed (core, 1, "C1", "", "MDPC01", "calc", "x", NULL);
    //  three go out at once, two wait
    for (int i = 0; i < 3; i++) {
        zmsg_t *request = s_next_sent ();
        assert_non_null (request);
        assert_true (s_frame_is (request, 0, "K1"));
        zmsg_destroy (&request);
    }
    assert_null (s_next_sent ());
    Kj__BrokerStats *stats = broker_core_stats (core, 2);
    assert_int_equal (stats->n_services, 1);
    assert_int_equal (stats->services [0]->credit, 3);
    assert_int_equal (stats->services [0]->in_flight, 3);
    assert_int_equal (stats->services [0]->queued, 2);
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

static void
test_mmi_service (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "echo", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "mmi.service", "echo", NULL);
    zmsg_t *reply = s_next_sent ();
    assert_true (s_frame_is (reply, 3, "mmi.service"));
    assert_true (s_frame_is (reply, 4, "200"));
    zmsg_destroy (&reply);
    s_feed (core, 0, "C1", "", "MDPC01", "mmi.service", "nothing", NULL);
    reply = s_next_sent ();
    assert_true (s_frame_is (reply, 4, "404"));
    zmsg_destroy (&reply);
    s_feed (core, 0, "C1", "", "MDPC01", "mmi.unknown", "x", NULL);
    reply = s_next_sent ();
    assert_true (s_frame_is (reply, 3, "mmi.unknown"));
    assert_true (s_frame_is (reply, 4, "501"));
    zmsg_destroy (&reply);
    //  A worker may not register for mmi.* or kejin.*
    s_feed (core, 0, "W2", "", "MDPW01", READY, "mmi.service", NULL);
    reply = s_next_sent ();
    assert_true (s_frame_is (reply, 0, "W2"));
    assert_true (s_frame_is (reply, 3, DISCONNECT));
    zmsg_destroy (&reply);
    broker_core_destroy (&core);
}

static void
test_malformed_dropped_and_counted (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "X", NULL);                            //  peer only
    s_feed (core, 0, "X", "garbage", NULL);                 //  no empty
    s_feed (core, 0, "X", "", "MDPX01", "echo", NULL);      //  bad header
    s_feed (core, 0, "X", "", "MDPC01", NULL);              //  no service
    s_feed (core, 0, "X", "", "MDPW01", "\011", NULL);      //  bad command
    s_feed (core, 0, "X", "", "MDPW01", "\001\002", NULL);  //  2-byte command
    s_feed (core, 0, "X", "", "MDPW01", READY, NULL);  //  READY, no service
    assert_int_equal (broker_core_malformed (core), 7);
    //  The unknown command and the bad READY got a DISCONNECT (invalid
    //  peers); nothing else was sent
    zmsg_t *msg;
    for (int i = 0; i < 2; i++) {
        msg = s_next_sent ();
        assert_true (s_frame_is (msg, 0, "X"));
        assert_true (s_frame_is (msg, 3, DISCONNECT));
        zmsg_destroy (&msg);
    }
    assert_null (s_next_sent ());
    //  Still serving
    s_feed (core, 0, "W1", "", "MDPW01", READY, "echo", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "echo", "x", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

static void
test_unknown_worker_gets_disconnect (void **state)
{
    broker_core_t *core = s_core (NULL);
    //  After a broker restart: a heartbeat from a worker we do not know
    s_feed (core, 0, "W9", "", "MDPW01", HEARTBEAT, NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W9"));
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    //  A second READY from a known worker also gets DISCONNECT
    s_feed (core, 0, "W1", "", "MDPW01", READY, "echo", NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "echo", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    s_feed (core, 0, "C1", "", "MDPC01", "mmi.service", "echo", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "404"));
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

static void
test_no_worker_waits_then_fails (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.default_wait_ms = 1000;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "C1", "", "MDPC01", "later", "x", NULL);
    broker_core_tick (core, 500 * MS);
    //  ticks send nothing but heartbeats, and there are no workers
    assert_null (s_next_sent ());
    //  A worker that comes within the deadline gets the request
    s_feed (core, 600 * MS, "W1", "", "MDPW01", READY, "later", NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    assert_true (s_frame_is (msg, 3, "\002"));
    zmsg_destroy (&msg);
    //  Without one, the client gets a clear error at the deadline
    s_feed (core, 700 * MS, "C2", "", "MDPC01", "nobody", "x", NULL);
    broker_core_tick (core, 1600 * MS);
    assert_null (s_next_sent ());
    broker_core_tick (core, 1701 * MS);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C2"));
    assert_true (s_frame_is (msg, 3, "nobody"));
    assert_true (s_frame_is (msg, 4, "503"));
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

static void
test_kejin_deadline_and_error_header (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed_kejin (core, 0, "C1", "svc", 200, false);
    broker_core_tick (core, 199 * MS);
    assert_null (s_next_sent ());
    broker_core_tick (core, 201 * MS);
    zmsg_t *msg = s_next_sent ();
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 5);
    zframe_t *head = zmsg_last (msg);
    Kj__ReplyHeader *reply = kj_proto_reply_header (zframe_data (head),
                                                    zframe_size (head));
    assert_non_null (reply);
    assert_int_equal (reply->request_id, 42);
    assert_int_equal (reply->status->code, KJ__CODE__UNAVAILABLE);
    assert_non_null (strstr (reply->status->message, "svc"));
    kj__reply_header__free_unpacked (reply, NULL);
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

static void
test_dead_worker_request_retried_or_failed (void **state)
{
    broker_core_t *core = s_core (NULL);
    //  A plain service listed as retry-safe, and one that is not
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.retry_safe = "safe,other";
    broker_core_destroy (&core);
    core = s_core (&limits);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "safe", NULL);
    s_feed (core, 0, "W2", "", "MDPW01", READY, "unsafe", NULL);
    s_feed (core, 1, "C1", "", "MDPC01", "safe", "a", NULL);
    s_feed (core, 1, "C1", "", "MDPC01", "unsafe", "b", NULL);
    zmsg_t *msg;
    while ((msg = s_next_sent ()))
        zmsg_destroy (&msg);
    //  Both workers die holding their request
    s_feed (core, 2, "W1", "", "MDPW01", DISCONNECT, NULL);
    s_feed (core, 2, "W2", "", "MDPW01", DISCONNECT, NULL);
    //  The unsafe one is answered with an error at once
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 3, "unsafe"));
    assert_true (s_frame_is (msg, 4, "502"));
    zmsg_destroy (&msg);
    assert_null (s_next_sent ());
    //  The safe one goes to the next worker, body intact
    s_feed (core, 3, "W3", "", "MDPW01", READY, "safe", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W3"));
    assert_true (s_frame_is (msg, 6, "a"));
    s_reply (core, 4, "W3", msg, "A");
    zmsg_destroy (&msg);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 4, "A"));
    zmsg_destroy (&msg);
    Kj__BrokerStats *stats = broker_core_stats (core, 5);
    for (size_t i = 0; i < stats->n_services; i++)
        if (streq (stats->services [i]->name, "safe")) {
            assert_int_equal (stats->services [i]->retried, 1);
            assert_int_equal (stats->services [i]->served, 1);
        }
        else {
            assert_int_equal (stats->services [i]->failed, 1);
        }
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

static void
test_heartbeats_and_expiry (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.heartbeat_ms = 100;
    limits.liveness = 3;
    limits.busy_timeout_ms = 1000;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "IDLE", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "BUSY", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
    zmsg_t *msg = s_next_sent ();  //  the request, to IDLE (LRU)
    assert_true (s_frame_is (msg, 0, "IDLE"));
    zmsg_destroy (&msg);
    //  Swap names in our heads: "IDLE" is now busy. Tick: heartbeats to both
    broker_core_tick (core, 1);
    int beats = 0;
    while ((msg = s_next_sent ())) {
        assert_true (s_frame_is (msg, 3, HEARTBEAT));
        beats++;
        zmsg_destroy (&msg);
    }
    assert_int_equal (beats, 2);
    //  After 3 silent intervals the idle one (BUSY) is dead, the busy one not
    broker_core_tick (core, 301 * MS);
    bool disconnected = false;
    while ((msg = s_next_sent ())) {
        if (s_frame_is (msg, 3, DISCONNECT)) {
            assert_true (s_frame_is (msg, 0, "BUSY"));
            disconnected = true;
        }
        zmsg_destroy (&msg);
    }
    assert_true (disconnected);
    //  The busy one goes only after busy_timeout; its request (plain,
    //  not retry-safe) is answered with an error
    broker_core_tick (core, 999 * MS);
    s_clear_sent ();
    broker_core_tick (core, 1001 * MS);
    bool failed = false;
    while ((msg = s_next_sent ())) {
        if (s_frame_is (msg, 0, "C1")) {
            assert_true (s_frame_is (msg, 4, "502"));
            failed = true;
        }
        zmsg_destroy (&msg);
    }
    assert_true (failed);
    assert_int_equal (broker_core_pending (core), 0);
    broker_core_destroy (&core);
}

static void
test_queue_and_client_limits (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.queue_max = 2;
    limits.client_max = 3;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "C1", "", "MDPC01", "q", "1", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "q", "2", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "q", "3", NULL);  //  queue full
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "429"));
    zmsg_destroy (&msg);
    s_feed (core, 0, "C2", "", "MDPC01", "r", "1", NULL);
    s_feed (core, 0, "C2", "", "MDPC01", "r", "2", NULL);
    s_feed (core, 0, "C2", "", "MDPC01", "s", "3", NULL);
    s_feed (core, 0, "C2", "", "MDPC01", "s", "4", NULL);  //  client full
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C2"));
    assert_true (s_frame_is (msg, 4, "429"));
    zmsg_destroy (&msg);
    assert_int_equal (broker_core_pending (core), 5);
    broker_core_destroy (&core);
}

static void
test_drain_refuses_then_close_fails_all (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "held", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "queued", NULL);
    zmsg_t *request = s_next_sent ();
    broker_core_drain (core);
    s_feed (core, 1, "C2", "", "MDPC01", "svc", "new", NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C2"));
    assert_true (s_frame_is (msg, 4, "503"));
    zmsg_destroy (&msg);
    //  Work in hand goes on while draining
    s_reply (core, 2, "W1", request, "done");
    zmsg_destroy (&request);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "done"));
    zmsg_destroy (&msg);
    request = s_next_sent ();  //  "queued" went to W1
    assert_true (s_frame_is (request, 6, "queued"));
    zmsg_destroy (&request);
    assert_int_equal (broker_core_pending (core), 1);
    broker_core_close (core, 3);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 4, "503"));
    zmsg_destroy (&msg);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    assert_int_equal (broker_core_pending (core), 0);
    broker_core_destroy (&core);
}

static void
test_stale_reply_dropped (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "W2", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
    zmsg_t *request = s_next_sent ();
    assert_true (s_frame_is (request, 0, "W1"));
    //  W2 answers a request it does not hold: dropped, counted
    s_reply (core, 1, "W2", request, "forged");
    assert_null (s_next_sent ());
    assert_int_equal (broker_core_malformed (core), 1);
    s_reply (core, 1, "W1", request, "real");
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "real"));
    zmsg_destroy (&msg);
    //  Answering twice: the second is stale
    s_reply (core, 2, "W1", request, "again");
    assert_null (s_next_sent ());
    assert_int_equal (broker_core_malformed (core), 2);
    zmsg_destroy (&request);
    broker_core_destroy (&core);
}

static void
test_failed_send_counted (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
    zmsg_t *request = s_next_sent ();
    s_fail_sends = 1;  //  the client is gone
    s_reply (core, 1, "W1", request, "y");
    zmsg_destroy (&request);
    assert_int_equal (broker_core_dropped (core), 1);
    assert_int_equal (broker_core_pending (core), 0);
    broker_core_destroy (&core);
}

static void
test_gone_worker_found_by_heartbeat (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.retry_safe = "svc";
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
    zmsg_t *msg = s_next_sent ();
    zmsg_destroy (&msg);
    //  W1's process dies holding the request: the next heartbeat cannot be
    //  routed, long before the busy timeout
    s_gone = "W1";
    broker_core_tick (core, 1);
    assert_null (s_next_sent ());
    s_feed (core, 2, "W2", "", "MDPW01", READY, "svc", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W2"));
    assert_true (s_frame_is (msg, 6, "x"));
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

static void
test_request_to_gone_worker_requeued (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.retry_safe = "svc";
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "W2", "", "MDPW01", READY, "svc", NULL);
    s_gone = "W1";
    s_feed (core, 1, "C1", "", "MDPC01", "svc", "x", NULL);
    //  W1 could not take it; W2 got it
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W2"));
    zmsg_destroy (&msg);
    assert_null (s_next_sent ());
    s_feed (core, 1, "C1", "", "MDPC01", "mmi.service", "svc", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "200"));
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

static void
test_stats_latency (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    for (int i = 0; i < 100; i++) {
        s_feed (core, i * MS, "C1", "", "MDPC01", "svc", "x", NULL);
        zmsg_t *request = s_next_sent ();
        //  latency i+1 ms, 1 .. 100 ms
        s_reply (core, i * MS + (i + 1) * MS, "W1", request, "y");
        zmsg_destroy (&request);
        zmsg_t *reply = s_next_sent ();
        zmsg_destroy (&reply);
    }
    Kj__BrokerStats *stats = broker_core_stats (core, 200 * MS);
    assert_int_equal (stats->services [0]->served, 100);
    //  within the histogram's 3%
    assert_in_range (stats->services [0]->p50_us, 50 * MS, 52 * MS);
    assert_in_range (stats->services [0]->p99_us, 99 * MS, 100 * MS);
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  A plain request whose hand-off fails (the worker died without a word)
//  goes to the next worker, or waits as for a service with no worker:
//  never 503 at once

static void
test_failed_handoff_requeues_plain (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.default_wait_ms = 1000;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "W2", "", "MDPW01", READY, "svc", NULL);
    s_gone = "W1";
    s_feed (core, 1, "C1", "", "MDPC01", "svc", "x", NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W2"));
    assert_true (s_frame_is (msg, 6, "x"));
    zmsg_destroy (&msg);
    assert_null (s_next_sent ());
    assert_int_equal (s_workers_of (core, "svc"), 1);

    //  The only worker gone: the request waits for the next one
    s_gone = "W2";
    s_feed (core, 2, "C2", "", "MDPC01", "other", "y", NULL);
    s_feed (core, 3, "W2x", "", "MDPW01", READY, "other", NULL);
    assert_null (s_next_sent ());
    assert_int_equal (broker_core_pending (core), 2);
    s_gone = NULL;
    s_feed (core, 4, "W3", "", "MDPW01", READY, "other", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W3"));
    assert_true (s_frame_is (msg, 6, "y"));
    zmsg_destroy (&msg);

    //  No worker comes: 503 at the deadline, not before
    s_gone = "W3";
    s_feed (core, 5, "W4", "", "MDPW01", READY, "third", NULL);
    s_gone = "W4";
    s_feed (core, 10 * MS, "C3", "", "MDPC01", "third", "z", NULL);
    assert_null (s_next_sent ());
    broker_core_tick (core, 1009 * MS);
    assert_null (s_next_to ("C3"));
    broker_core_tick (core, 1011 * MS);
    msg = s_next_to ("C3");
    assert_true (s_frame_is (msg, 4, "503"));
    zmsg_destroy (&msg);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  Two or more workers of one process die while one holds a retry-safe
//  request: the tick deletes each once (it used to free one, then read it)

static void
test_tick_many_dead_workers_of_one_process (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.retry_safe = "svc";
    limits.heartbeat_ms = 100;
    for (int round = 0; round < 8; round++) {
        broker_core_t *core = s_core (&limits);
        char prefix [16];
        snprintf (prefix, sizeof prefix, "P%d.", round);
        char names [4][24];
        for (int i = 0; i < 4; i++) {
            snprintf (names [i], sizeof names [i], "%s%c", prefix, 'a' + i);
            s_feed (core, 0, names [i], "", "MDPW01", READY, "svc", NULL);
        }
        //  names [0] holds the request, the others are idle
        s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
        s_clear_sent ();
        s_gone = prefix;
        broker_core_tick (core, 1);
        assert_int_equal (s_workers_of (core, "svc"), 0);
        assert_int_equal (broker_core_pending (core), 1);
        s_gone = NULL;
        s_feed (core, 2, "W9", "", "MDPW01", READY, "svc", NULL);
        zmsg_t *msg = s_next_sent ();
        assert_true (s_frame_is (msg, 0, "W9"));
        assert_true (s_frame_is (msg, 6, "x"));
        zmsg_destroy (&msg);
        assert_int_equal (s_workers_of (core, "svc"), 1);
        broker_core_destroy (&core);
    }
}

//  --------------------------------------------------------------------------
//  A retry-safe request is re-sent exactly max_retries times; the next
//  worker death fails it as re-sent too often

static void
test_retry_limit_exact (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.retry_safe = "svc";
    limits.max_retries = 3;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
    for (int death = 0; death <= limits.max_retries; death++) {
        char name [16];
        snprintf (name, sizeof name, "W%d", death);
        s_feed (core, death + 1, name, "", "MDPW01", READY, "svc", NULL);
        zmsg_t *msg = s_next_sent ();
        assert_true (s_frame_is (msg, 0, name));
        assert_true (s_frame_is (msg, 6, "x"));
        zmsg_destroy (&msg);
        s_feed (core, death + 1, name, "", "MDPW01", DISCONNECT, NULL);
        if (death < limits.max_retries) {
            assert_null (s_next_sent ());
            assert_int_equal (broker_core_pending (core), 1);
        }
    }
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 4, "502"));
    zframe_t *text = zmsg_last (msg);
    char *message = zframe_strdup (text);
    assert_non_null (strstr (message, "re-sent too often"));
    free (message);
    zmsg_destroy (&msg);
    assert_int_equal (broker_core_pending (core), 0);
    Kj__BrokerStats *stats = broker_core_stats (core, 10);
    assert_int_equal (stats->services [0]->retried, 3);
    assert_int_equal (stats->services [0]->failed, 1);
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  Liveness boundaries: an idle worker silent for exactly liveness
//  intervals is alive, a microsecond later dead; a busy one the same at
//  busy_timeout

static bool
s_disconnected (const char *peer)
{
    bool found = false;
    zmsg_t *msg;
    while ((msg = s_next_sent ())) {
        if (s_frame_is (msg, 0, peer) && s_frame_is (msg, 3, DISCONNECT))
            found = true;
        zmsg_destroy (&msg);
    }
    return found;
}

static void
test_liveness_boundaries (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.heartbeat_ms = 100;
    limits.liveness = 3;
    limits.busy_timeout_ms = 1000;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "IDLE", "", "MDPW01", READY, "svc", NULL);
    broker_core_tick (core, 300 * MS);
    assert_false (s_disconnected ("IDLE"));
    assert_int_equal (s_workers_of (core, "svc"), 1);
    broker_core_tick (core, 300 * MS + 1);
    assert_true (s_disconnected ("IDLE"));
    assert_int_equal (s_workers_of (core, "svc"), 0);

    s_feed (core, 400 * MS, "BUSY", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 400 * MS, "C1", "", "MDPC01", "svc", "x", NULL);
    s_clear_sent ();
    broker_core_tick (core, 1400 * MS);
    assert_false (s_disconnected ("BUSY"));
    broker_core_tick (core, 1400 * MS + 1);
    assert_true (s_disconnected ("BUSY"));
    assert_int_equal (broker_core_pending (core), 0);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  At most BROKER_MAX_BODY body frames each way; past it the sender's
//  request gets OUT_OF_RANGE / 413, and a worker is never left busy

static void
test_frame_count_limit (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    const char *head [] = { "", "MDPC01", "svc" };
    //  Exactly the most: carried, all 64 body frames
    s_feed_long (core, 1, false, "C1", head, 3, BROKER_MAX_BODY);
    zmsg_t *request = s_next_sent ();
    assert_int_equal (zmsg_size (request), 6 + BROKER_MAX_BODY);
    //  The reply with exactly the most body frames reaches the client
    s_reply_long (core, 2, "W1", request, BROKER_MAX_BODY);
    zmsg_destroy (&request);
    zmsg_t *reply = s_next_sent ();
    assert_true (s_frame_is (reply, 0, "C1"));
    assert_int_equal (zmsg_size (reply), 4 + BROKER_MAX_BODY);
    zmsg_destroy (&reply);

    //  One more body frame: refused, plain and Kejin, cut or not
    s_feed_long (core, 3, false, "C1", head, 3, BROKER_MAX_BODY + 1);
    reply = s_next_sent ();
    assert_true (s_frame_is (reply, 0, "C1"));
    assert_true (s_frame_is (reply, 3, "svc"));
    assert_true (s_frame_is (reply, 4, "413"));
    zmsg_destroy (&reply);
    s_feed_long (core, 3, true, "C1", head, 3, 10);
    reply = s_next_sent ();
    assert_true (s_frame_is (reply, 4, "413"));
    zmsg_destroy (&reply);
    assert_null (s_next_sent ());
    assert_int_equal (broker_core_pending (core), 0);

    //  A reply one frame too long: the client hears OUT_OF_RANGE, the
    //  worker takes the next request
    s_feed_kejin (core, 4, "C2", "svc", 0, false);
    request = s_next_sent ();
    assert_true (s_frame_is (request, 0, "W1"));
    s_reply_long (core, 5, "W1", request, BROKER_MAX_BODY + 1);
    zmsg_destroy (&request);
    reply = s_next_sent ();
    assert_true (s_frame_is (reply, 0, "C2"));
    assert_int_equal (s_kejin_code (reply), KJ__CODE__OUT_OF_RANGE);
    zmsg_destroy (&reply);
    s_feed (core, 6, "C1", "", "MDPC01", "svc", "next", NULL);
    request = s_next_sent ();
    assert_true (s_frame_is (request, 0, "W1"));
    assert_true (s_frame_is (request, 6, "next"));
    zmsg_destroy (&request);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  Service names over 255 bytes or with a NUL byte are refused with a
//  status; a worker's READY for such a name gets DISCONNECT

static void
test_bad_service_names (void **state)
{
    broker_core_t *core = s_core (NULL);
    char long_name [257];
    memset (long_name, 'n', 256);
    long_name [256] = 0;
    s_feed (core, 0, "C1", "", "MDPC01", long_name, "x", NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 4, "400"));
    zmsg_destroy (&msg);
    //  255 bytes is a name
    long_name [255] = 0;
    s_feed (core, 0, "W1", "", "MDPW01", READY, long_name, NULL);
    s_feed (core, 0, "C1", "", "MDPC01", long_name, "x", NULL);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    zmsg_destroy (&msg);
    //  "echo\0x": its own name, not "echo"
    zmq_msg_t frames [5];
    const char *parts [] = { "C1", "", "MDPC01", "echo\0x", "x" };
    size_t sizes [] = { 2, 0, 6, 6, 1 };
    for (int i = 0; i < 5; i++) {
        zmq_msg_init_size (&frames [i], sizes [i]);
        memcpy (zmq_msg_data (&frames [i]), parts [i], sizes [i]);
    }
    broker_core_message (core, frames, 5, 1);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "400"));
    char *text = zframe_strdup (zmsg_last (msg));
    assert_non_null (strstr (text, "NUL"));
    free (text);
    zmsg_destroy (&msg);
    const char *ready [] = { "W2", "", "MDPW01", READY, "echo\0x" };
    size_t ready_sizes [] = { 2, 0, 6, 1, 6 };
    for (int i = 0; i < 5; i++) {
        zmq_msg_init_size (&frames [i], ready_sizes [i]);
        memcpy (zmq_msg_data (&frames [i]), ready [i], ready_sizes [i]);
    }
    broker_core_message (core, frames, 5, 1);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W2"));
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    assert_int_equal (s_workers_of (core, "echo"), 0);
    assert_int_equal (broker_core_pending (core), 1);  //  held by W1
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  A registered worker sending a command MDP/0.1 does not have is an
//  invalid peer: DISCONNECT, gone, what it held handled by its retry rule

static void
test_unknown_command_disconnects (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_feed (core, 0, "W1", "", "MDPW01", READY, "svc", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "svc", "x", NULL);
    s_clear_sent ();
    s_feed (core, 1, "W1", "", "MDPW01", "\011", NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 4, "502"));
    zmsg_destroy (&msg);
    assert_int_equal (s_workers_of (core, "svc"), 0);
    assert_int_equal (broker_core_malformed (core), 1);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  Any 32-bit timeout_ms is taken and capped to max_wait_ms (2^31 and more
//  used to expire at once)

static void
test_timeout_any_32_bits (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.max_wait_ms = 5000;
    broker_core_t *core = s_core (&limits);
    s_feed_kejin (core, 0, "C1", "svc", 0x80000000u, true);
    s_feed_kejin (core, 0, "C2", "svc", 0xFFFFFFFFu, true);
    s_feed_kejin (core, 0, "C3", "svc", 4999, true);
    broker_core_tick (core, 1);
    assert_null (s_next_sent ());
    broker_core_tick (core, 4999 * MS);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C3"));
    zmsg_destroy (&msg);
    broker_core_tick (core, 5000 * MS - 1);
    assert_null (s_next_sent ());
    broker_core_tick (core, 5000 * MS);
    for (int i = 0; i < 2; i++) {
        msg = s_next_sent ();
        assert_non_null (msg);
        assert_int_equal (s_kejin_code (msg), KJ__CODE__UNAVAILABLE);
        zmsg_destroy (&msg);
    }
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  Past the global byte budget new requests are refused as overloaded;
//  what is queued goes on, and the budget comes back as it is answered

static void
test_byte_budget (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.max_bytes = 8192;
    broker_core_t *core = s_core (&limits);
    char body [1001];
    memset (body, 'b', 1000);
    body [1000] = 0;
    int taken = 0;
    zmsg_t *msg = NULL;
    for (int i = 0; i < 20 && !msg; i++) {
        char service [16];
        snprintf (service, sizeof service, "made-up-%d", i % 4);
        s_feed (core, 0, "C1", "", "MDPC01", service, body, NULL);
        msg = s_next_sent ();
        if (!msg)
            taken++;
    }
    //  Some fit, then one is refused with a clear status
    assert_in_range (taken, 4, 8);
    assert_true (s_frame_is (msg, 4, "429"));
    char *text = zframe_strdup (zmsg_last (msg));
    assert_non_null (strstr (text, "overloaded"));
    free (text);
    zmsg_destroy (&msg);
    //  A Kejin client is refused the same way once the room left (less
    //  than one plain request, maybe more than a small Kejin one) is gone
    for (int i = 0; i < 10 && !msg; i++) {
        s_feed_kejin (core, 0, "C2", "made-up-0", 0, true);
        msg = s_next_sent ();
        if (!msg)
            taken++;
    }
    assert_non_null (msg);
    assert_int_equal (s_kejin_code (msg), KJ__CODE__RESOURCE_EXHAUSTED);
    zmsg_destroy (&msg);
    //  Existing work goes on: a worker takes a queued request, answers it
    s_feed (core, 1, "W1", "", "MDPW01", READY, "made-up-0", NULL);
    zmsg_t *request = s_next_sent ();
    assert_true (s_frame_is (request, 0, "W1"));
    s_reply (core, 2, "W1", request, "done");
    zmsg_destroy (&request);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 4, "done"));
    zmsg_destroy (&msg);
    //  ... and frees room for a new one
    s_clear_sent ();
    s_feed (core, 3, "C3", "", "MDPC01", "made-up-1", body, NULL);
    assert_null (s_next_sent ());
    assert_int_equal (broker_core_pending (core), (size_t) taken);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  One client may create only peer_services services that no worker
//  serves; they go away once nobody waits on them

static void
test_peer_service_cap (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.peer_services = 3;
    limits.default_wait_ms = 100;
    broker_core_t *core = s_core (&limits);
    s_feed (core, 0, "C1", "", "MDPC01", "a", "x", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "b", "x", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "c", "x", NULL);
    s_feed (core, 0, "C1", "", "MDPC01", "a", "x", NULL);  //  exists
    assert_null (s_next_sent ());
    s_feed (core, 0, "C1", "", "MDPC01", "d", "x", NULL);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_true (s_frame_is (msg, 3, "d"));
    assert_true (s_frame_is (msg, 4, "429"));
    zmsg_destroy (&msg);
    //  Another client may
    s_feed (core, 0, "C2", "", "MDPC01", "d", "x", NULL);
    assert_null (s_next_sent ());
    //  A worker for "a": no longer charged to C1
    s_feed (core, 1, "W1", "", "MDPW01", READY, "a", NULL);
    s_clear_sent ();
    s_feed (core, 2, "C1", "", "MDPC01", "e", "x", NULL);
    assert_null (s_next_sent ());
    //  All expire; services nobody serves or waits on go at the next tick
    broker_core_tick (core, 200 * MS);
    s_clear_sent ();
    broker_core_tick (core, 201 * MS);
    Kj__BrokerStats *stats = broker_core_stats (core, 201 * MS);
    assert_int_equal (stats->n_services, 1);
    assert_string_equal (stats->services [0]->name, "a");
    assert_int_equal (stats->clients, 1);  //  W1 holds C1's first "a"
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  Rights on: a Kejin worker gets the caller stamped over the client's
//  claim; a plain worker the body as sent; a role refused is answered and
//  counted; a worker registration by a non-service key is refused; a
//  revoked key or none is refused as unauthenticated

//  Feed [peer] [] [protocol] [name] [data]? as caller
static void
s_feed_as (broker_core_t *core, const broker_caller_t *caller, const char *peer,
           const char *protocol, const char *command, const char *name,
           zframe_t *data)
{
    zmq_msg_t frames [6];
    int count = 0;
    const char *parts [] = { peer, "", protocol, command, name };
    for (int i = 0; i < 5; i++) {
        if (!parts [i])
            continue;
        zmq_msg_init_size (&frames [count], strlen (parts [i]));
        memcpy (zmq_msg_data (&frames [count++]), parts [i],
                strlen (parts [i]));
    }
    if (data) {
        zmq_msg_init_size (&frames [count], zframe_size (data));
        memcpy (zmq_msg_data (&frames [count++]), zframe_data (data),
                zframe_size (data));
    }
    broker_core_message_as (core, frames, count, false, caller, 0);
}

static zframe_t *
s_header (const char *method, const char *claim)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    Kj__Caller caller = KJ__CALLER__INIT;
    header.request_id = 7;
    header.method = (char *) method;
    caller.identity = (char *) claim;
    caller.role = "operator";
    header.caller = &caller;
    return kj_proto_frame (&header.base, true);
}

static uint64_t
s_refusal (broker_core_t *core, const char *reason)
{
    Kj__BrokerStats *stats = broker_core_stats (core, 0);
    uint64_t count = 0;
    for (size_t i = 0; i < stats->n_refusals; i++)
        if (streq (stats->refusals [i]->reason, reason))
            count = stats->refusals [i]->count;
    kj__broker_stats__free_unpacked (stats, NULL);
    return count;
}

static void
test_rights_and_stamp (void **state)
{
    broker_core_t *core = s_core (NULL);
    assert_int_equal (broker_core_set_rights (core, "bad-rule", ""), -1);
    assert_int_equal (broker_core_set_rights (core, "events.writer/*=service",
                                              "Get,List"),
                      0);
    broker_caller_t svc = { "svc", "service", "210100", "kjsvc,plainsvc",
                            false };
    broker_caller_t bank = { "bank", "integrator", "210300", "", false };
    broker_caller_t gone = { "old", "", "", "", true };
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    zframe_t *ext = kj_proto_frame (&hello.base, true);
    s_feed_as (core, &svc, "K1", "MDPW01", READY, "kjsvc", ext);
    s_feed_as (core, &svc, "P1", "MDPW01", READY, "plainsvc", NULL);
    zframe_destroy (&ext);
    assert_null (s_next_sent ());

    //  The Kejin worker reads the broker's caller, not the claim
    zframe_t *head = s_header ("GetThing", "ops");
    s_feed_as (core, &bank, "C1", "MDPC01", NULL, "kjsvc", head);
    zmsg_t *request = s_next_to ("K1");
    assert_non_null (request);
    zframe_t *frame = zmsg_first (request);
    for (int i = 0; i < 6; i++)
        frame = zmsg_next (request);
    Kj__RequestHeader *seen = kj_proto_request_header (zframe_data (frame),
                                                       zframe_size (frame));
    assert_non_null (seen);
    assert_string_equal (seen->caller->identity, "bank");
    assert_string_equal (seen->caller->role, "integrator");
    assert_string_equal (seen->caller->city, "210300");
    assert_string_equal (seen->method, "GetThing");
    kj__request_header__free_unpacked (seen, NULL);
    zmsg_destroy (&request);

    //  The plain worker gets the bytes the client sent
    s_feed_as (core, &bank, "C1", "MDPC01", NULL, "plainsvc", head);
    request = s_next_to ("P1");
    assert_non_null (request);
    frame = zmsg_last (request);
    assert_true (zframe_eq (frame, head));
    zmsg_destroy (&request);
    zframe_destroy (&head);

    //  A change by an integrator: counted, and not answered by the broker
    //  but sent on to the service, which records the refusal (its worker
    //  is busy here, so it waits in the queue; test_security follows it
    //  to the worker)
    head = s_header ("SetThing", "ops");
    s_feed_as (core, &bank, "C1", "MDPC01", NULL, "kjsvc", head);
    assert_null (s_next_sent ());
    zframe_destroy (&head);
    //  Append by anyone but a service, to a service with no worker:
    //  refused by the broker at once
    head = s_header ("Append", "");
    s_feed_as (core, &bank, "C1", "MDPC01", NULL, "events.writer", head);
    zmsg_t *reply = s_next_to ("C1");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__PERMISSION_DENIED);
    zmsg_destroy (&reply);
    assert_int_equal (s_refusal (core, "method_role"), 2);

    //  No caller, or a revoked one: unauthenticated
    s_feed_as (core, NULL, "C2", "MDPC01", NULL, "kjsvc", head);
    reply = s_next_to ("C2");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__UNAUTHENTICATED);
    zmsg_destroy (&reply);
    s_feed_as (core, &gone, "C3", "MDPC01", NULL, "kjsvc", head);
    reply = s_next_to ("C3");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__UNAUTHENTICATED);
    zmsg_destroy (&reply);
    zframe_destroy (&head);
    assert_int_equal (s_refusal (core, "unauthenticated"), 1);
    assert_int_equal (s_refusal (core, "revoked"), 1);

    //  Workers: an integrator's key, a service key for other services, a
    //  registered worker whose key is revoked
    s_feed_as (core, &bank, "W1", "MDPW01", READY, "kjsvc", NULL);
    zmsg_t *command = s_next_to ("W1");
    assert_true (s_frame_is (command, 3, "\005"));
    zmsg_destroy (&command);
    s_feed_as (core, &svc, "W2", "MDPW01", READY, "registry", NULL);
    command = s_next_to ("W2");
    assert_true (s_frame_is (command, 3, "\005"));
    zmsg_destroy (&command);
    s_feed_as (core, &gone, "P1", "MDPW01", "\004", NULL, NULL);
    command = s_next_to ("P1");
    assert_true (s_frame_is (command, 3, "\005"));
    zmsg_destroy (&command);
    assert_int_equal (s_refusal (core, "worker_role"), 1);
    assert_int_equal (s_refusal (core, "worker_service"), 1);
    Kj__BrokerStats *stats = broker_core_stats (core, 0);
    for (size_t i = 0; i < stats->n_services; i++)
        if (streq (stats->services [i]->name, "plainsvc"))
            assert_int_equal (stats->services [i]->workers, 0);
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

int
main (void)
{
    kj_log_init ("test_broker_core", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_dispatch_plain_request_and_reply),
        cmocka_unit_test (test_dispatch_least_recently_used),
        cmocka_unit_test (test_credit_worker_holds_many),
        cmocka_unit_test (test_mmi_service),
        cmocka_unit_test (test_malformed_dropped_and_counted),
        cmocka_unit_test (test_unknown_worker_gets_disconnect),
        cmocka_unit_test (test_no_worker_waits_then_fails),
        cmocka_unit_test (test_kejin_deadline_and_error_header),
        cmocka_unit_test (test_dead_worker_request_retried_or_failed),
        cmocka_unit_test (test_heartbeats_and_expiry),
        cmocka_unit_test (test_queue_and_client_limits),
        cmocka_unit_test (test_drain_refuses_then_close_fails_all),
        cmocka_unit_test (test_stale_reply_dropped),
        cmocka_unit_test (test_failed_send_counted),
        cmocka_unit_test (test_gone_worker_found_by_heartbeat),
        cmocka_unit_test (test_request_to_gone_worker_requeued),
        cmocka_unit_test (test_stats_latency),
        cmocka_unit_test (test_failed_handoff_requeues_plain),
        cmocka_unit_test (test_tick_many_dead_workers_of_one_process),
        cmocka_unit_test (test_retry_limit_exact),
        cmocka_unit_test (test_liveness_boundaries),
        cmocka_unit_test (test_frame_count_limit),
        cmocka_unit_test (test_bad_service_names),
        cmocka_unit_test (test_unknown_command_disconnects),
        cmocka_unit_test (test_timeout_any_32_bits),
        cmocka_unit_test (test_byte_budget),
        cmocka_unit_test (test_peer_service_cap),
        cmocka_unit_test (test_rights_and_stamp),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    s_clear_sent ();
    zlist_destroy (&s_sent);
    return rc;
}
