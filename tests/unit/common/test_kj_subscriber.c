/*  =========================================================================
    test_kj_subscriber - every event once, in order: replay from a stored
    offset, live batches proved by their markers, a lost event repaired by
    replay, and garbage on the live stream dropped

    The stand-ins: kj_stub answering the subscriber's Replay requests (as
    broker and kejin-events together) from an in-memory log, and a PUB
    socket in the test for the live stream.
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include "kejin.h"
#include "kj_stub.h"

#define LOG_MAX 16

//  The log: offset i has topic s_topics [i]; offsets 1 .. s_head
static const char *s_topics [LOG_MAX];
static uint64_t s_head;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zsock_t *s_pub;
static char s_pub_endpoint [64];

//  Offsets delivered, in order
static uint64_t s_delivered [LOG_MAX];
static size_t s_count;

static void
s_envelope (Kj__Envelope *envelope, uint64_t offset, const char *topic)
{
    kj__envelope__init (envelope);
    envelope->topic = (char *) topic;
    envelope->offset = offset;
    envelope->payload_type = "kj.EchoRequest";
    envelope->producer = "test";
}

static bool
s_prefixed (const char *topic, Kj__ReplayRequest *request)
{
    if (request->n_prefixes == 0)
        return true;
    for (size_t i = 0; i < request->n_prefixes; i++)
        if (strncmp (topic, request->prefixes [i],
                     strlen (request->prefixes [i]))
            == 0)
            return true;
    return false;
}

//  Answer one Replay: the matching events of [from, to or head]
static zframe_t *
s_answer (const char *service, const Kj__RequestHeader *header, zframe_t *body,
          kj_status_t *status, void *arg)
{
    assert_string_equal (service, "events");
    assert_string_equal (header->method, "Replay");
    Kj__ReplayRequest *request = (Kj__ReplayRequest *)
        kj_proto_unpack (&kj__replay_request__descriptor, zframe_data (body),
                         zframe_size (body), NULL);
    assert_non_null (request);

    pthread_mutex_lock (&s_lock);
    uint64_t last = request->to_offset && request->to_offset < s_head
                      ? request->to_offset
                      : s_head;
    Kj__Envelope envelopes [LOG_MAX], *list [LOG_MAX];
    size_t n = 0;
    uint64_t from = request->from_offset ? request->from_offset : 1;
    for (uint64_t offset = from; offset <= last; offset++)
        if (s_prefixed (s_topics [offset], request)) {
            s_envelope (&envelopes [n], offset, s_topics [offset]);
            list [n] = &envelopes [n];
            n++;
        }
    Kj__ReplayReply reply = KJ__REPLAY_REPLY__INIT;
    reply.events = list;
    reply.n_events = n;
    reply.next_offset = last + 1;
    reply.head = s_head;
    reply.tail = 1;
    zframe_t *payload = kj_proto_frame (&reply.base, false);
    pthread_mutex_unlock (&s_lock);
    kj__replay_request__free_unpacked (request, NULL);
    return payload;
}

//  Append to the log; publish it live unless `lost`
static void
s_append (const char *topic, bool lost)
{
    pthread_mutex_lock (&s_lock);
    uint64_t offset = ++s_head;
    s_topics [offset] = topic;
    pthread_mutex_unlock (&s_lock);
    if (lost)
        return;
    Kj__Envelope envelope;
    s_envelope (&envelope, 0, topic);  //  the offset travels in frame 2
    unsigned char be [8];
    kj_put_u64 (be, offset);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    zmsg_addmem (msg, be, 8);
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (&envelope.base, false) });
    zmsg_send (&msg, s_pub);
}

//  The marker of the batch first .. head with count events of `topic`
static void
s_marker (uint64_t first, const char *topic, uint32_t count)
{
    Kj__TopicCount tc = KJ__TOPIC_COUNT__INIT;
    tc.topic = (char *) topic;
    tc.count = count;
    Kj__TopicCount *counts [] = { &tc };
    Kj__BatchMarker marker = KJ__BATCH_MARKER__INIT;
    marker.first = first;
    marker.last = s_head;
    marker.head = s_head;
    marker.counts = counts;
    marker.n_counts = count ? 1 : 0;
    unsigned char be [8];
    kj_put_u64 (be, s_head);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "$batch");
    zmsg_addmem (msg, be, 8);
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (&marker.base, false) });
    zmsg_send (&msg, s_pub);
}

//  Raw frames on the live stream
static void
s_publish (const char *topic, const void *offset, size_t offset_size,
           const void *body, size_t body_size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    zmsg_addmem (msg, offset, offset_size);
    zmsg_addmem (msg, body, body_size);
    zmsg_send (&msg, s_pub);
}

static int
s_on_event (const Kj__Envelope *event, void *arg)
{
    assert_true (s_count < LOG_MAX);
    assert_string_equal (event->topic, s_topics [event->offset]);
    s_delivered [s_count++] = event->offset;
    return 0;
}

//  Poll until count events were delivered (or 5 s)
static void
s_poll_until (kj_subscriber_t *sub, size_t count)
{
    int64_t deadline = kj_mono_us () + 5000000;
    while (s_count < count && kj_mono_us () < deadline)
        assert_int_equal (kj_subscriber_poll (sub, 20), 0);
    assert_int_equal (s_count, count);
}

static void
test_replay_live_gap_and_garbage (void **state)
{
    kj_log_init ("test_kj_subscriber", "error");
    s_pub = zsock_new (ZMQ_PUB);
    int port = zsock_bind (s_pub, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    snprintf (s_pub_endpoint, sizeof s_pub_endpoint, "tcp://127.0.0.1:%d",
              port);
    //  Three events before the subscriber starts; one is not for it
    s_append ("registry.a", true);
    s_append ("other.b", true);
    s_append ("registry.c", true);
    kj_stub_t *events = kj_stub_new (s_answer, NULL);

    kj_subscriber_config_t config = { .broker = kj_stub_endpoint (events),
                                      .pub_endpoint = s_pub_endpoint,
                                      .prefixes = (const char *[]){ "registry.",
                                                                    NULL },
                                      .from = 1,
                                      .callback = s_on_event,
                                      .timeout_ms = 2000 };
    kj_subscriber_t *sub = kj_subscriber_new (&config);
    assert_non_null (sub);

    //  Replay from 1: the two of ours, in order
    s_poll_until (sub, 2);
    assert_int_equal (s_delivered [0], 1);
    assert_int_equal (s_delivered [1], 3);
    assert_int_equal (kj_subscriber_next (sub), 4);

    //  Live: the subscription needs a moment to reach the PUB socket
    zclock_sleep (500);
    s_append ("registry.a", false);
    s_marker (4, "registry.a", 1);
    s_poll_until (sub, 3);
    assert_int_equal (s_delivered [2], 4);

    //  Garbage on the stream: dropped without a word or a delivery
    unsigned char be [8];
    kj_put_u64 (be, 5);
    s_publish ("registry.x", be, 7, "", 0);                //  short offset
    s_publish ("registry.x", be, 8, "\x0a\x09x", 3);       //  cut short
    s_publish ("registry.x", be, 8, "\x82\x00\x02x0", 5);  //  field 0
    s_publish ("$batch", be, 8, "\x08\xff", 2);            //  bad marker
    for (int i = 0; i < 10; i++)
        assert_int_equal (kj_subscriber_poll (sub, 10), 0);
    assert_int_equal (s_count, 3);

    //  Offset 5 lost on the way: the marker of 5 .. 6 proves the batch
    //  incomplete, replay fills it, nothing twice, nothing out of order
    s_append ("registry.a", true);
    s_append ("registry.b", false);
    s_marker (5, "registry.a", 2);
    s_poll_until (sub, 5);
    assert_int_equal (s_delivered [3], 5);
    assert_int_equal (s_delivered [4], 6);
    kj_subscriber_stats_t stats;
    kj_subscriber_stats (sub, &stats);
    assert_int_equal (stats.next, 7);
    assert_int_equal (stats.delivered, 5);
    assert_int_equal (stats.live, 1);
    assert_int_equal (stats.replayed, 4);
    assert_int_equal (stats.gaps_found, 1);
    assert_int_equal (stats.gaps_repaired, 1);
    assert_int_equal (stats.markers, 2);
    assert_string_equal (kj_subscriber_error (sub), "");

    //  More polls deliver nothing again
    for (int i = 0; i < 5; i++)
        assert_int_equal (kj_subscriber_poll (sub, 10), 0);
    assert_int_equal (s_count, 5);

    kj_subscriber_destroy (&sub);
    kj_stub_destroy (&events);
    zsock_destroy (&s_pub);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_replay_live_gap_and_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
