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

//  Feed a worker REPLY for a REQUEST it got, echoing the handle, from
//  caller (NULL: none, rights off)
static void
s_reply_as (broker_core_t *core, int64_t now, const broker_caller_t *caller,
            const char *worker, zmsg_t *request, const char *body)
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
    broker_core_message_as (core, frames, 7, false, caller, now);
}

static void
s_reply (broker_core_t *core, int64_t now, const char *worker, zmsg_t *request,
         const char *body)
{
    s_reply_as (core, now, NULL, worker, request, body);
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

//  A refusal no service of its own records goes to the audit sink,
//  stamped and bodyless, named SERVICE/METHOD; a plain client hears "403"
//  once the sink answered; past the sink's bound per client, or when the
//  sink does not answer in time, PERMISSION_DENIED all the same, counted
//  "unaudited"

static void
test_refusals_to_audit_sink (void **state)
{
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.audit_client_max = 2;
    broker_core_t *core = s_core (&limits);
    assert_int_equal (broker_core_set_rights (core, "", "Get"), 0);
    broker_caller_t events = { "events", "service", "210100", "events", false };
    broker_caller_t bank = { "bank", "integrator", "210300", "", false };
    //  No sink yet: refused at once
    zframe_t *head = s_header ("SetThing", "ops");
    s_feed_as (core, &bank, "C1", "MDPC01", NULL, "nobody", head);
    zmsg_t *reply = s_next_to ("C1");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__PERMISSION_DENIED);
    zmsg_destroy (&reply);
    assert_int_equal (s_refusal (core, "unaudited"), 1);

    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    zframe_t *ext = kj_proto_frame (&hello.base, true);
    s_feed_as (core, &events, "S1", "MDPW01", READY, "events.audit", ext);
    zframe_destroy (&ext);
    assert_null (s_next_sent ());

    //  A plain call: to the sink, then "403" and the reason to the client
    zframe_t *body = zframe_new ("hello", 5);
    s_feed_as (core, &bank, "C1", "MDPC01", NULL, "plainsvc", body);
    zframe_destroy (&body);
    zmsg_t *request = s_next_to ("S1");
    assert_non_null (request);
    assert_int_equal (zmsg_size (request), 7);  //  the stamp, no body
    Kj__RequestHeader *seen = kj_proto_request_header (zframe_data (
                                                           zmsg_last (request)),
                                                       zframe_size (zmsg_last (
                                                           request)));
    assert_non_null (seen);
    assert_string_equal (seen->method, "plainsvc/");
    assert_string_equal (seen->caller->identity, "bank");
    assert_non_null (strstr (seen->caller->refused,
                             "bank (role integrator) may not call plainsvc"));
    assert_true (seen->retry_safe);
    kj__request_header__free_unpacked (seen, NULL);
    assert_null (s_next_sent ());
    s_reply_as (core, 0, &events, "S1", request, "recorded");
    zmsg_destroy (&request);
    reply = s_next_to ("C1");
    assert_non_null (reply);
    assert_int_equal (zmsg_size (reply), 6);
    assert_true (s_frame_is (reply, 3, "plainsvc"));
    assert_true (s_frame_is (reply, 4, "403"));
    zmsg_destroy (&reply);

    //  Three Kejin calls from one client: the sink holds one, one waits,
    //  the third is past audit_client_max and refused at once
    for (int i = 0; i < 3; i++)
        s_feed_as (core, &bank, "C2", "MDPC01", NULL, "nobody", head);
    request = s_next_to ("S1");
    assert_non_null (request);
    reply = s_next_to ("C2");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__PERMISSION_DENIED);
    zmsg_destroy (&reply);
    assert_null (s_next_sent ());
    assert_int_equal (s_refusal (core, "unaudited"), 2);
    //  The one waiting is refused when the sink's 2 s are up, not 503
    broker_core_tick (core, 1900 * MS);
    assert_null (s_next_to ("C2"));
    broker_core_tick (core, 2100 * MS);
    reply = s_next_to ("C2");
    assert_non_null (reply);
    assert_int_equal (s_kejin_code (reply), KJ__CODE__PERMISSION_DENIED);
    zmsg_destroy (&reply);
    assert_int_equal (s_refusal (core, "unaudited"), 3);
    //  The sink answers the one it held: passed on as it is
    s_reply_as (core, 2100 * MS, &events, "S1", request, "as recorded");
    zmsg_destroy (&request);
    reply = s_next_to ("C2");
    assert_non_null (reply);
    assert_true (zframe_streq (zmsg_last (reply), "as recorded"));
    zmsg_destroy (&reply);
    assert_int_equal (broker_core_pending (core), 0);
    zframe_destroy (&head);
    broker_core_destroy (&core);
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

//  Federation: a peer key's worker serves only while no local worker
//  does (even a busy one); a peer's carried caller is kept when its city
//  is the peer's own or federation/carry gives it, refused otherwise;
//  hops past federation/max_hops are refused

static zframe_t *
s_header_from (const char *method, const char *who, const char *role,
               const char *city, uint32_t hops)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    Kj__Caller caller = KJ__CALLER__INIT;
    header.request_id = 9;
    header.method = (char *) method;
    header.hops = hops;
    caller.identity = (char *) who;
    caller.role = (char *) role;
    caller.city = (char *) city;
    header.caller = &caller;
    return kj_proto_frame (&header.base, true);
}

//  The caller a worker got in the request sent to it
static void
s_assert_caller (zmsg_t *request, const char *who, const char *role,
                 const char *city)
{
    assert_non_null (request);
    zframe_t *frame = zmsg_first (request);
    for (int i = 0; i < 6; i++)
        frame = zmsg_next (request);
    Kj__RequestHeader *seen = kj_proto_request_header (zframe_data (frame),
                                                       zframe_size (frame));
    assert_non_null (seen);
    assert_string_equal (seen->caller->identity, who);
    assert_string_equal (seen->caller->role, role);
    assert_string_equal (seen->caller->city, city);
    kj__request_header__free_unpacked (seen, NULL);
}

static void
test_federation (void **state)
{
    broker_core_t *core = s_core (NULL);
    assert_int_equal (broker_core_set_rights (core, "", "Get"), 0);
    assert_int_equal (broker_core_set_federation (core, 2, "bad"), -1);
    assert_int_equal (broker_core_set_federation (core, 2, "dalian=210300"), 0);
    broker_caller_t link = { "link", "peer", "210100", "match", false };
    broker_caller_t other = { "link2", "peer", "210100", "", false };
    broker_caller_t svc = { "svc", "service", "210100", "match", false };
    broker_caller_t anshan = { "anshan", "peer", "210300", "", false };
    broker_caller_t dalian = { "dalian", "peer", "210200", "", false };
    broker_caller_t ops = { "ops", "operator", "210100", "", false };
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    hello.credit = 1;
    zframe_t *ext = kj_proto_frame (&hello.base, true);

    //  A peer key registers only for the services it names
    s_feed_as (core, &other, "X1", "MDPW01", READY, "match", ext);
    zmsg_t *command = s_next_to ("X1");
    assert_true (s_frame_is (command, 3, "\005"));
    zmsg_destroy (&command);
    s_feed_as (core, &link, "L1", "MDPW01", READY, "match", ext);
    assert_null (s_next_sent ());

    //  Alone, the link's worker serves
    zframe_t *head = s_header_from ("SetThing", "", "", "", 0);
    s_feed_as (core, &ops, "C1", "MDPC01", NULL, "match", head);
    zmsg_t *request = s_next_to ("L1");
    assert_non_null (request);
    s_reply_as (core, 0, &link, "L1", request, "ok");
    zmsg_destroy (&request);
    zmsg_t *reply = s_next_to ("C1");
    assert_non_null (reply);
    zmsg_destroy (&reply);

    //  A local worker comes: it gets every request, even while busy
    s_feed_as (core, &svc, "S1", "MDPW01", READY, "match", ext);
    s_feed_as (core, &ops, "C1", "MDPC01", NULL, "match", head);
    s_feed_as (core, &ops, "C1", "MDPC01", NULL, "match", head);
    request = s_next_to ("S1");
    assert_non_null (request);
    assert_null (s_next_sent ());  //  the second waits for S1, not L1
    s_reply_as (core, 0, &svc, "S1", request, "ok");
    zmsg_destroy (&request);
    reply = s_next_to ("C1");
    zmsg_destroy (&reply);
    request = s_next_to ("S1");
    assert_non_null (request);
    s_reply_as (core, 0, &svc, "S1", request, "ok");
    zmsg_destroy (&request);
    s_clear_sent ();
    //  The local worker leaves: the link serves again
    s_feed_as (core, &svc, "S1", "MDPW01", "\005", NULL, NULL);
    s_feed_as (core, &ops, "C1", "MDPC01", NULL, "match", head);
    request = s_next_to ("L1");
    assert_non_null (request);
    s_reply_as (core, 0, &link, "L1", request, "ok");
    zmsg_destroy (&request);
    s_clear_sent ();
    zframe_destroy (&head);

    //  Carried callers: Anshan's peer carries Anshan's, kept as carried
    head = s_header_from ("GetThing", "bank", "integrator", "210300", 1);
    s_feed_as (core, &anshan, "A1", "MDPC01", NULL, "match", head);
    request = s_next_to ("L1");
    s_assert_caller (request, "bank", "integrator", "210300");
    s_reply_as (core, 0, &link, "L1", request, "ok");
    zmsg_destroy (&request);
    s_clear_sent ();
    //  ... and rights follow the carried role: no change by an integrator.
    //  Refused, and sent on without its body so that the service records
    //  the refusal (docs/security.md): the link is that service here
    zframe_destroy (&head);
    head = s_header_from ("SetThing", "bank", "integrator", "210300", 1);
    s_feed_as (core, &anshan, "A1", "MDPC01", NULL, "match", head);
    request = s_next_sent ();  //  to the link, not answered by the broker
    assert_non_null (request);
    assert_true (zframe_streq (zmsg_first (request), "L1"));
    assert_int_equal (zmsg_size (request), 7);  //  no body
    s_assert_caller (request, "bank", "integrator", "210300");
    Kj__RequestHeader
        *stamped = kj_proto_request_header (zframe_data (zmsg_last (request)),
                                            zframe_size (zmsg_last (request)));
    assert_non_null (stamped);
    assert_non_null (stamped->caller);
    assert_non_null (strstr (stamped->caller->refused, "may not call"));
    kj__request_header__free_unpacked (stamped, NULL);
    s_reply_as (core, 0, &link, "L1", request, "ok");
    zmsg_destroy (&request);
    s_clear_sent ();
    zframe_destroy (&head);
    //  Anshan's peer carrying a Shenyang caller: refused
    head = s_header_from ("GetThing", "ops", "operator", "210100", 1);
    s_feed_as (core, &anshan, "A1", "MDPC01", NULL, "match", head);
    reply = s_next_to ("A1");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__PERMISSION_DENIED);
    zmsg_destroy (&reply);
    zframe_destroy (&head);
    assert_int_equal (s_refusal (core, "peer_city"), 1);
    //  Dalian's carries Anshan's by federation/carry, not a made-up role
    head = s_header_from ("GetThing", "bank", "integrator", "210300", 1);
    s_feed_as (core, &dalian, "D1", "MDPC01", NULL, "match", head);
    request = s_next_to ("L1");
    s_assert_caller (request, "bank", "integrator", "210300");
    s_reply_as (core, 0, &link, "L1", request, "ok");
    zmsg_destroy (&request);
    s_clear_sent ();
    zframe_destroy (&head);
    head = s_header_from ("GetThing", "x", "admin", "210300", 1);
    s_feed_as (core, &dalian, "D1", "MDPC01", NULL, "match", head);
    reply = s_next_to ("D1");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__PERMISSION_DENIED);
    zmsg_destroy (&reply);
    zframe_destroy (&head);

    //  Hops: 2 pass, 3 are refused, whoever asks
    head = s_header_from ("GetThing", "bank", "integrator", "210300", 2);
    s_feed_as (core, &anshan, "A1", "MDPC01", NULL, "match", head);
    request = s_next_to ("L1");
    assert_non_null (request);
    s_reply_as (core, 0, &link, "L1", request, "ok");
    zmsg_destroy (&request);
    s_clear_sent ();
    zframe_destroy (&head);
    head = s_header_from ("GetThing", "bank", "integrator", "210300", 3);
    s_feed_as (core, &anshan, "A1", "MDPC01", NULL, "match", head);
    reply = s_next_to ("A1");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__FAILED_PRECONDITION);
    zmsg_destroy (&reply);
    s_feed_as (core, &ops, "C1", "MDPC01", NULL, "match", head);
    reply = s_next_to ("C1");
    assert_int_equal (s_kejin_code (reply), KJ__CODE__FAILED_PRECONDITION);
    zmsg_destroy (&reply);
    zframe_destroy (&head);
    assert_int_equal (s_refusal (core, "hops"), 2);
    zframe_destroy (&ext);
    broker_core_destroy (&core);
}

//  --------------------------------------------------------------------------
//  The compact framing (kj_mdp.h)

//  Feed [peer] [data]
static void
s_feed_raw (broker_core_t *core, int64_t now, const char *peer,
            const void *data, size_t size)
{
    zmq_msg_t frames [2];
    zmq_msg_init_size (&frames [0], strlen (peer));
    memcpy (zmq_msg_data (&frames [0]), peer, strlen (peer));
    zmq_msg_init_size (&frames [1], size);
    memcpy (zmq_msg_data (&frames [1]), data, size);
    broker_core_message (core, frames, 2, now);
}

//  A KJC01 record to service with a Kejin header (request id, retry rule)
//  and the payload text; returns its size
static size_t
s_kjc_record (uint8_t *at, const char *service, uint64_t id, bool retry_safe,
              const char *payload)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = id;
    header.method = "Echo";
    header.retry_safe = retry_safe;
    zframe_t *head = kj_proto_frame (&header.base, true);
    size_t size = 1 + strlen (service) + 2 * KJ_PART_HEAD + zframe_size (head)
                + strlen (payload);
    kj_put_u32 (at, (uint32_t) size);
    at [4] = (uint8_t) strlen (service);
    memcpy (at + 5, service, strlen (service));
    uint8_t *part = at + 5 + strlen (service);
    part += kj_compact_put_part (part, zframe_data (head), zframe_size (head));
    kj_compact_put_part (part, payload, strlen (payload));
    zframe_destroy (&head);
    return 4 + size;
}

//  READY of a Kejin worker asking for the compact framing
static void
s_ready_compact (broker_core_t *core, int64_t now, const char *worker,
                 const char *service, uint32_t credit)
{
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    hello.credit = credit;
    hello.compact = true;
    zframe_t *frame = kj_proto_frame (&hello.base, true);
    char *ext = (char *) zmalloc (zframe_size (frame) + 1);
    memcpy (ext, zframe_data (frame), zframe_size (frame));
    assert_int_equal (strlen (ext), zframe_size (frame));
    s_feed (core, now, worker, "", "MDPW01", READY, service, ext, NULL);
    zframe_destroy (&frame);
    free (ext);
}

//  The records of a compact frame (frame 1 of msg), each checked to be of
//  that protocol; returns how many, their contents in records
static int
s_records (zmsg_t *msg, const char *protocol, const uint8_t **records,
           size_t *sizes, int max)
{
    assert_int_equal (zmsg_size (msg), 2);
    zframe_t *frame = zmsg_last (msg);
    const uint8_t *at = zframe_data (frame);
    const uint8_t *end = at + zframe_size (frame);
    assert_true (kj_compact_is (at, zframe_size (frame), protocol));
    at += KJ_KJX_SIZE;
    int count = 0, rc;
    const uint8_t *record = NULL;
    size_t size = 0;
    while ((rc = kj_compact_next (&at, end, &record, &size)) == 1) {
        assert_true (count < max);
        records [count] = record;
        sizes [count++] = size;
    }
    assert_int_equal (rc, 0);
    return count;
}

//  The request id of a compact reply record ([4] "echo" [header] ...)
static uint64_t
s_reply_id (const uint8_t *record, size_t size, int *code)
{
    kj_part_t parts [2];
    assert_true (kj_compact_parts (record + 1 + record [0],
                                   size - 1 - record [0], parts, 2)
                 >= 1);
    Kj__ReplyHeader *header = kj_proto_reply_header (parts [0].data,
                                                     parts [0].size);
    assert_non_null (header);
    uint64_t id = header->request_id;
    *code = header->status ? header->status->code : 0;
    kj__reply_header__free_unpacked (header, NULL);
    return id;
}

static void
test_compact_batches_both_ways (void **state)
{
    broker_core_t *core = s_core (NULL);
    s_ready_compact (core, 0, "K1", "echo", 3);
    //  Four requests in one KJC01 frame: three go to the worker in one
    //  KJW01 frame at the flush, not before; one waits
    uint8_t frame [2048];
    size_t size = KJ_KJX_SIZE;
    memcpy (frame, KJ_KJC, KJ_KJX_SIZE);
    for (int i = 0; i < 4; i++)
        size += s_kjc_record (frame + size, "echo", 100 + i, false, "x");
    s_feed_raw (core, 1, "C1", frame, size);
    assert_null (s_next_sent ());
    assert_true (broker_core_gathered (core));
    broker_core_flush (core, 1);
    assert_false (broker_core_gathered (core));
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "K1"));
    assert_null (s_next_sent ());
    const uint8_t *records [8];
    size_t sizes [8];
    assert_int_equal (s_records (msg, KJ_KJW, records, sizes, 8), 3);
    //  The worker answers all three in one frame, the last first
    uint8_t reply [1024];
    size_t rsize = KJ_KJX_SIZE;
    memcpy (reply, KJ_KJW, KJ_KJX_SIZE);
    for (int i = 2; i >= 0; i--) {
        assert_int_equal (records [i][0], KJ_MDPW_REQUEST);
        kj_part_t parts [2];
        assert_int_equal (kj_compact_parts (records [i] + 9, sizes [i] - 9,
                                            parts, 2),
                          2);
        Kj__RequestHeader *header = kj_proto_request_header (parts [0].data,
                                                             parts [0].size);
        assert_int_equal (header->request_id, (uint64_t) (100 + i));
        kj_status_t ok;
        kj_status_ok (&ok);
        zframe_t *head = kj_proto_reply_frame (header->request_id, &ok);
        kj__request_header__free_unpacked (header, NULL);
        size_t length = 9 + 2 * KJ_PART_HEAD + zframe_size (head) + 1;
        kj_put_u32 (reply + rsize, (uint32_t) length);
        reply [rsize + 4] = KJ_MDPW_REPLY;
        memcpy (reply + rsize + 5, records [i] + 1, 8);
        uint8_t *part = reply + rsize + 13;
        part += kj_compact_put_part (part, zframe_data (head),
                                     zframe_size (head));
        kj_compact_put_part (part, "y", 1);
        rsize += 4 + length;
        zframe_destroy (&head);
    }
    zmsg_destroy (&msg);
    s_feed_raw (core, 2, "K1", reply, rsize);
    broker_core_flush (core, 2);
    //  The three replies to the client, the fourth request to the worker:
    //  one frame each
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "C1"));
    assert_int_equal (s_records (msg, KJ_KJC, records, sizes, 8), 3);
    for (int i = 0; i < 3; i++) {
        int code;
        assert_int_equal (s_reply_id (records [i], sizes [i], &code),
                          (uint64_t) (102 - i));
        assert_int_equal (code, KJ__CODE__OK);
        assert_int_equal (records [i][0], 4);
        assert_memory_equal (records [i] + 1, "echo", 4);
    }
    zmsg_destroy (&msg);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "K1"));
    assert_int_equal (s_records (msg, KJ_KJW, records, sizes, 8), 1);
    zmsg_destroy (&msg);
    assert_null (s_next_sent ());
    broker_core_destroy (&core);
}

static void
test_compact_unsent_requests_return (void **state)
{
    broker_core_t *core = s_core (NULL);
    //  Two requests not safe to retry, gathered for K1; K1 says
    //  DISCONNECT before the flush: they were never sent, so they wait
    //  for the next worker instead of failing
    s_ready_compact (core, 0, "K1", "echo", 2);
    uint8_t frame [1024];
    size_t size = KJ_KJX_SIZE;
    memcpy (frame, KJ_KJC, KJ_KJX_SIZE);
    for (int i = 0; i < 2; i++)
        size += s_kjc_record (frame + size, "echo", 200 + i, false, "x");
    s_feed_raw (core, 1, "C1", frame, size);
    s_feed (core, 1, "K1", "", "MDPW01", DISCONNECT, NULL);
    broker_core_flush (core, 1);
    assert_null (s_next_sent ());
    s_ready_compact (core, 2, "K2", "echo", 2);
    broker_core_flush (core, 2);
    zmsg_t *msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "K2"));
    const uint8_t *records [4];
    size_t sizes [4];
    assert_int_equal (s_records (msg, KJ_KJW, records, sizes, 4), 2);
    zmsg_destroy (&msg);

    //  A batch that cannot go: back to the queue, and a worker that holds
    //  nothing more is dropped as unreachable
    s_feed (core, 3, "K2", "", "MDPW01", DISCONNECT, NULL);
    broker_core_flush (core, 3);
    s_clear_sent ();  //  the two are failed: they had gone out
    s_ready_compact (core, 4, "K3", "echo", 2);
    size = KJ_KJX_SIZE;
    size += s_kjc_record (frame + size, "echo", 300, false, "x");
    s_feed_raw (core, 5, "C1", frame, size);
    s_fail_sends = 1;
    broker_core_flush (core, 5);
    assert_null (s_next_sent ());
    assert_int_equal (s_workers_of (core, "echo"), 0);
    s_ready_compact (core, 6, "K4", "echo", 2);
    broker_core_flush (core, 6);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "K4"));
    assert_int_equal (s_records (msg, KJ_KJW, records, sizes, 4), 1);
    zmsg_destroy (&msg);
    Kj__BrokerStats *stats = broker_core_stats (core, 7);
    assert_int_equal (stats->services [0]->retried, 0);
    assert_int_equal (stats->services [0]->failed, 2);
    kj__broker_stats__free_unpacked (stats, NULL);
    broker_core_destroy (&core);
}

static void
test_compact_refusals (void **state)
{
    broker_core_t *core = s_core (NULL);
    //  A record that runs past the frame: the one before it is taken, the
    //  client hears where the frame broke (request id 0)
    uint8_t frame [4096];
    size_t size = KJ_KJX_SIZE;
    memcpy (frame, KJ_KJC, KJ_KJX_SIZE);
    size += s_kjc_record (frame + size, "mmi.service", 7, true, "echo");
    memcpy (frame + size, "\x00\x00\x01\x00\x04", 5);
    size += 5;
    s_feed_raw (core, 1, "C1", frame, size);
    zmsg_t *msg = s_next_sent ();
    const uint8_t *records [4];
    size_t sizes [4];
    assert_int_equal (s_records (msg, KJ_KJC, records, sizes, 4), 1);
    kj_part_t parts [2];
    assert_int_equal (kj_compact_parts (records [0] + 12, sizes [0] - 12, parts,
                                        2),
                      1);
    assert_int_equal (parts [0].size, 3);
    assert_memory_equal (parts [0].data, "404", 3);
    zmsg_destroy (&msg);
    msg = s_next_sent ();
    assert_int_equal (s_records (msg, KJ_KJC, records, sizes, 4), 1);
    int code;
    assert_int_equal (s_reply_id (records [0], sizes [0], &code), 0);
    assert_int_equal (code, KJ__CODE__INVALID_ARGUMENT);
    zmsg_destroy (&msg);
    assert_int_equal (broker_core_malformed (core), 1);

    //  More body parts than the broker carries: OUT_OF_RANGE, in KJC01
    size = KJ_KJX_SIZE;
    size_t length = 1 + 4 + (BROKER_MAX_BODY + 1) * KJ_PART_HEAD;
    kj_put_u32 (frame + size, (uint32_t) length);
    frame [size + 4] = 4;
    memcpy (frame + size + 5, "echo", 4);
    memset (frame + size + 9, 0, (BROKER_MAX_BODY + 1) * KJ_PART_HEAD);
    size += 4 + length;
    s_feed_raw (core, 2, "C1", frame, size);
    msg = s_next_sent ();
    assert_int_equal (s_records (msg, KJ_KJC, records, sizes, 4), 1);
    assert_int_equal (kj_compact_parts (records [0] + 5, sizes [0] - 5, parts,
                                        2),
                      2);
    assert_int_equal (parts [0].size, 3);
    assert_memory_equal (parts [0].data, "413", 3);
    zmsg_destroy (&msg);

    //  KJW01 from a worker that never asked for it: an invalid peer
    s_feed (core, 3, "W1", "", "MDPW01", READY, "echo", NULL);
    s_feed_raw (core, 4, "W1", "KJW01", 5);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 0, "W1"));
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    assert_int_equal (s_workers_of (core, "echo"), 0);
    //  ... and one that asked but breaks the framing
    s_ready_compact (core, 5, "K1", "echo", 2);
    s_feed_raw (core, 6, "K1", "KJW01\x00\x00\x00\x01", 9);
    msg = s_next_sent ();
    assert_true (s_frame_is (msg, 3, DISCONNECT));
    zmsg_destroy (&msg);
    assert_int_equal (s_workers_of (core, "echo"), 0);
    assert_int_equal (broker_core_malformed (core), 3);
    broker_core_destroy (&core);
}

int
main (void)
{
    kj_log_init ("test_broker_core", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_dispatch_plain_request_and_reply),
        cmocka_unit_test (test_federation),
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
        cmocka_unit_test (test_refusals_to_audit_sink),
        cmocka_unit_test (test_compact_batches_both_ways),
        cmocka_unit_test (test_compact_unsent_requests_return),
        cmocka_unit_test (test_compact_refusals),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    s_clear_sent ();
    zlist_destroy (&s_sent);
    return rc;
}
