/*  =========================================================================
    test_kj_client_worker - kj_worker and kj_client against a stand-in
    broker: a ROUTER socket on a loopback port that this test drives frame
    by frame, so every frame each class sends is checked exactly
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include "kejin.h"
#include "kj_test.h"

static zsock_t *s_router;
static char s_endpoint [64];

//  --------------------------------------------------------------------------
//  The stand-in broker

static int
s_setup (void **state)
{
    kj_log_init ("test_kj_client_worker", "error");
    s_router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (s_router, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    snprintf (s_endpoint, sizeof s_endpoint, "tcp://127.0.0.1:%d", port);
    zsock_set_rcvtimeo (s_router, 5000);
    return 0;
}

static int
s_teardown (void **state)
{
    zsock_destroy (&s_router);
    return 0;
}

static zframe_t *
s_frame (zmsg_t *msg, size_t index)
{
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; i < index && frame; i++)
        frame = zmsg_next (msg);
    assert_non_null (frame);
    return frame;
}

//  --------------------------------------------------------------------------
//  The worker: kj.Diag Echo, on a thread of its own

static int
s_echo (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__EchoRequest *echo = (const Kj__EchoRequest *) request;
    Kj__EchoReply *out = (Kj__EchoReply *) reply;
    if (echo->fail)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "fail",
                             "asked to fail");
    out->data.len = echo->data.len;
    out->data.data = (uint8_t *) kj_call_alloc (call, echo->data.len + 1);
    memcpy (out->data.data, echo->data.data, echo->data.len);
    out->served_by = kj_call_strdup (call, kj_call_instance (call));
    return 0;
}

static const kj_method_t s_methods [] = { { "Echo", s_echo, 0 }, { NULL } };

static void *
s_worker_thread (void *arg)
{
    kj_worker_run ((kj_worker_t *) arg);
    return NULL;
}

//  Send the worker a REQUEST from client address "C1"
static void
s_request (zframe_t *worker_id, zframe_t *header, zframe_t *payload)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (worker_id) });
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, KJ_MDPW);
    zmsg_addmem (msg, &(byte){ KJ_MDPW_REQUEST }, 1);
    zmsg_addstr (msg, "C1");
    zmsg_addmem (msg, NULL, 0);
    if (header)
        zmsg_append (msg, &header);
    if (payload)
        zmsg_append (msg, &payload);
    assert_int_equal (zmsg_send (&msg, s_router), 0);
}

static zframe_t *
s_header (uint64_t id, const char *method)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = id;
    header.method = (char *) method;
    return kj_proto_frame (&header.base, true);
}

//  Expect a REPLY to "C1" for request id with code; returns the message
//  (the reply header is frame 6, the payload frame 7).
static zmsg_t *
s_expect_reply (uint64_t id, int code, Kj__ReplyHeader **header_p)
{
    zmsg_t *msg = kj_test_recv_skipping_heartbeats (s_router);
    assert_true (zframe_streq (s_frame (msg, 2), KJ_MDPW));
    assert_int_equal (zframe_data (s_frame (msg, 3)) [0], KJ_MDPW_REPLY);
    assert_true (zframe_streq (s_frame (msg, 4), "C1"));
    assert_int_equal (zframe_size (s_frame (msg, 5)), 0);
    zframe_t *head = s_frame (msg, 6);
    Kj__ReplyHeader *header = kj_proto_reply_header (zframe_data (head),
                                                     zframe_size (head));
    assert_non_null (header);
    assert_int_equal (header->request_id, id);
    assert_int_equal (header->status ? header->status->code : 0, code);
    *header_p = header;
    return msg;
}

//  A diag worker with credit 3 on a thread of its own
static kj_worker_t *
s_worker_start (const char *instance, pthread_t *thread)
{
    kj_worker_config_t config = { .endpoint = s_endpoint,
                                  .service = "diag",
                                  .descriptor = &kj__diag__descriptor,
                                  .methods = s_methods,
                                  .credit = 3,
                                  .heartbeat_ms = 200,
                                  .instance = instance };
    kj_worker_t *worker = kj_worker_new (&config);
    assert_int_equal (pthread_create (thread, NULL, s_worker_thread, worker),
                      0);
    return worker;
}

static void
test_worker_serves_and_refuses (void **state)
{
    pthread_t thread;
    kj_worker_t *worker = s_worker_start ("diag.7", &thread);

    //  READY with the service name and a Kejin hello carrying the credit
    zmsg_t *ready = kj_test_recv_skipping_heartbeats (s_router);
    assert_int_equal (zmsg_size (ready), 6);
    zframe_t *worker_id = zframe_dup (s_frame (ready, 0));
    assert_int_equal (zframe_size (s_frame (ready, 1)), 0);
    assert_true (zframe_streq (s_frame (ready, 2), KJ_MDPW));
    assert_int_equal (zframe_data (s_frame (ready, 3)) [0], KJ_MDPW_READY);
    assert_true (zframe_streq (s_frame (ready, 4), "diag"));
    zframe_t *hello_frame = s_frame (ready, 5);
    assert_memory_equal (zframe_data (hello_frame), KJ_MAGIC, KJ_MAGIC_SIZE);
    Kj__WorkerHello *hello = (Kj__WorkerHello *)
        kj_proto_unpack (&kj__worker_hello__descriptor,
                         zframe_data (hello_frame) + 3,
                         zframe_size (hello_frame) - 3, NULL);
    assert_non_null (hello);
    assert_int_equal (hello->credit, 3);
    assert_string_equal (hello->instance, "diag.7");
    kj__worker_hello__free_unpacked (hello, NULL);
    zmsg_destroy (&ready);

    //  A request served: the payload echoed, the instance named
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = (uint8_t *) "ping";
    echo.data.len = 4;
    s_request (worker_id, s_header (1, "Echo"),
               kj_proto_frame (&echo.base, false));
    Kj__ReplyHeader *header;
    zmsg_t *reply = s_expect_reply (1, KJ__CODE__OK, &header);
    assert_int_equal (zmsg_size (reply), 8);
    zframe_t *payload = s_frame (reply, 7);
    Kj__EchoReply *out = (Kj__EchoReply *)
        kj_proto_unpack (&kj__echo_reply__descriptor, zframe_data (payload),
                         zframe_size (payload), NULL);
    assert_non_null (out);
    assert_int_equal (out->data.len, 4);
    assert_memory_equal (out->data.data, "ping", 4);
    assert_string_equal (out->served_by, "diag.7");
    kj__echo_reply__free_unpacked (out, NULL);
    kj__reply_header__free_unpacked (header, NULL);
    zmsg_destroy (&reply);

    //  The handler's own failure, with its field
    echo.fail = true;
    s_request (worker_id, s_header (2, "Echo"),
               kj_proto_frame (&echo.base, false));
    reply = s_expect_reply (2, KJ__CODE__FAILED_PRECONDITION, &header);
    assert_int_equal (zmsg_size (reply), 7);
    assert_string_equal (header->status->field, "fail");
    assert_string_equal (header->status->message, "asked to fail");
    kj__reply_header__free_unpacked (header, NULL);
    zmsg_destroy (&reply);

    //  An unknown method
    s_request (worker_id, s_header (3, "Nope"), zframe_new (NULL, 0));
    reply = s_expect_reply (3, KJ__CODE__UNIMPLEMENTED, &header);
    assert_string_equal (header->status->field, "method");
    assert_string_equal (header->status->message,
                         "service 'diag' has no method 'Nope'");
    kj__reply_header__free_unpacked (header, NULL);
    zmsg_destroy (&reply);

    //  A body that does not decode, then one kj_proto_unpack refuses
    s_request (worker_id, s_header (4, "Echo"), zframe_new ("\x0a\x09x", 3));
    reply = s_expect_reply (4, KJ__CODE__INVALID_ARGUMENT, &header);
    assert_string_equal (header->status->message,
                         "request body: not a valid kj.EchoRequest");
    kj__reply_header__free_unpacked (header, NULL);
    zmsg_destroy (&reply);
    s_request (worker_id, s_header (5, "Echo"),
               zframe_new ("\x82\x00\x02x0", 5));
    reply = s_expect_reply (5, KJ__CODE__INVALID_ARGUMENT, &header);
    assert_string_equal (header->status->message,
                         "request body: not a valid kj.EchoRequest: "
                         "field number 0");
    kj__reply_header__free_unpacked (header, NULL);
    zmsg_destroy (&reply);

    //  A body without the Kejin header: plain MDP frames, 400
    s_request (worker_id, zframe_new ("hello", 5), NULL);
    reply = kj_test_recv_skipping_heartbeats (s_router);
    assert_int_equal (zmsg_size (reply), 8);
    assert_true (zframe_streq (s_frame (reply, 6), "400"));
    zmsg_destroy (&reply);

    //  Stopping says DISCONNECT
    kj_worker_stop (worker);
    zmsg_t *bye = kj_test_recv_skipping_heartbeats (s_router);
    assert_int_equal (zmsg_size (bye), 4);
    assert_int_equal (zframe_data (s_frame (bye, 3)) [0], KJ_MDPW_DISCONNECT);
    zmsg_destroy (&bye);
    pthread_join (thread, NULL);
    //  Kejin replies count, the plain 400 to a non-Kejin body does not
    assert_int_equal (kj_worker_served (worker), 5);
    kj_worker_destroy (&worker);
    zframe_destroy (&worker_id);
}

//  --------------------------------------------------------------------------
//  The client

//  Receive a client's request: [id] [] [MDPC01] [service] [header] [payload]
static zmsg_t *
s_client_request (const char *service, Kj__RequestHeader **header_p)
{
    zmsg_t *msg = kj_test_recv_skipping_heartbeats (s_router);
    assert_int_equal (zmsg_size (msg), 6);
    assert_int_equal (zframe_size (s_frame (msg, 1)), 0);
    assert_true (zframe_streq (s_frame (msg, 2), KJ_MDPC));
    assert_true (zframe_streq (s_frame (msg, 3), service));
    zframe_t *head = s_frame (msg, 4);
    *header_p = kj_proto_request_header (zframe_data (head),
                                         zframe_size (head));
    assert_non_null (*header_p);
    return msg;
}

//  Answer it: the given reply header status and payload frame
static void
s_client_reply (zmsg_t *request, uint64_t id, const kj_status_t *status,
                zframe_t *payload)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (s_frame (request, 0)) });
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, KJ_MDPC);
    zmsg_addstr (msg, "diag");
    zmsg_append (msg, &(zframe_t *){ kj_proto_reply_frame (id, status) });
    if (payload)
        zmsg_append (msg, &payload);
    assert_int_equal (zmsg_send (&msg, s_router), 0);
}

static void
test_client_calls (void **state)
{
    kj_client_t *client = kj_client_new (s_endpoint);
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = (uint8_t *) "abc";
    echo.data.len = 3;

    //  A write: a fresh idempotency key, the deadline a tenth early
    kj_call_opts_t opts = { .timeout_ms = 1000 };
    uint64_t id = kj_client_send (client, "diag", "Echo", &echo.base, &opts);
    assert_true (id != 0);
    Kj__RequestHeader *header;
    //  First the client asks whether the broker takes KJC01; this one
    //  does not know the method, as a broker before it would say
    zmsg_t *request = s_client_request ("kejin.broker", &header);
    assert_string_equal (header->method, "Hello");
    kj_status_t unknown;
    kj_status_set (&unknown, KJ__CODE__UNIMPLEMENTED, "method",
                   "kejin.broker has no method 'Hello'; it has Stats");
    s_client_reply (request, header->request_id, &unknown, NULL);
    kj__request_header__free_unpacked (header, NULL);
    zmsg_destroy (&request);
    request = s_client_request ("diag", &header);
    assert_int_equal (header->request_id, id);
    assert_string_equal (header->method, "Echo");
    assert_int_equal (header->timeout_ms, 900);
    assert_int_equal (strlen (header->idempotency_key), 36);
    assert_true (header->retry_safe);
    kj__request_header__free_unpacked (header, NULL);

    Kj__EchoReply out = KJ__ECHO_REPLY__INIT;
    out.served_by = "stand-in";
    kj_status_t ok;
    kj_status_ok (&ok);
    s_client_reply (request, id, &ok, kj_proto_frame (&out.base, false));
    uint64_t got_id;
    ProtobufCMessage *reply;
    kj_status_t status;
    assert_int_equal (kj_client_recv (client, 5000, &got_id,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status),
                      KJ__CODE__OK);
    assert_int_equal (got_id, id);
    assert_string_equal (((Kj__EchoReply *) reply)->served_by, "stand-in");
    protobuf_c_message_free_unpacked (reply, NULL);

    //  A status from the service reaches the caller whole
    id = kj_client_send (client, "diag", "Echo", &echo.base, &opts);
    zmsg_destroy (&request);
    request = s_client_request ("diag", &header);
    kj__request_header__free_unpacked (header, NULL);
    kj_status_t bad;
    kj_status_set (&bad, KJ__CODE__NOT_FOUND, "code", "no such thing");
    s_client_reply (request, id, &bad, NULL);
    assert_int_equal (kj_client_recv (client, 5000, &got_id,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status),
                      KJ__CODE__NOT_FOUND);
    assert_null (reply);
    assert_string_equal (status.field, "code");
    assert_string_equal (status.message, "no such thing");

    //  A reply payload that does not decode: INTERNAL, said so
    id = kj_client_send (client, "diag", "Echo", &echo.base, &opts);
    zmsg_destroy (&request);
    request = s_client_request ("diag", &header);
    kj__request_header__free_unpacked (header, NULL);
    s_client_reply (request, id, &ok, zframe_new ("\x0a\x09x", 3));
    assert_int_equal (kj_client_recv (client, 5000, &got_id,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status),
                      KJ__CODE__INTERNAL);
    assert_null (reply);
    assert_string_equal (status.message, "reply: not a valid kj.EchoReply");
    zmsg_destroy (&request);

    //  A read carries no key; nothing answers: DEADLINE_EXCEEDED after
    //  the one retry, the same request id both times
    kj_call_opts_t read = { .timeout_ms = 100,
                            .retries = 1,
                            .read_only = true };
    int64_t start = kj_mono_us ();
    assert_int_equal (kj_client_call (client, "diag", "Echo", &echo.base,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status, &read),
                      KJ__CODE__DEADLINE_EXCEEDED);
    assert_true (kj_mono_us () - start >= 200000);
    Kj__RequestHeader *second;
    request = s_client_request ("diag", &header);
    zmsg_t *again = s_client_request ("diag", &second);
    assert_string_equal (header->idempotency_key, "");
    assert_int_equal (second->request_id, header->request_id);
    kj__request_header__free_unpacked (header, NULL);
    kj__request_header__free_unpacked (second, NULL);
    zmsg_destroy (&request);
    zmsg_destroy (&again);

    //  No retries set on the client (a negative count): one attempt, not
    //  none (it used to send nothing at all)
    kj_client_set_retries (client, -1);
    kj_client_set_timeout (client, 100);
    assert_int_equal (kj_client_call (client, "diag", "Echo", &echo.base,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status, NULL),
                      KJ__CODE__DEADLINE_EXCEEDED);
    request = s_client_request ("diag", &header);
    kj__request_header__free_unpacked (header, NULL);
    zmsg_destroy (&request);
    assert_false (zsock_events (s_router) & ZMQ_POLLIN);  //  just the one
    kj_client_destroy (&client);
}

//  --------------------------------------------------------------------------
//  The compact framing (kj_mdp.h)

//  A KJW01 or KJC01 record: [size] [lead, lead_size bytes] [part]...
static size_t
s_record (uint8_t *at, const void *lead, size_t lead_size, zframe_t *head,
          zframe_t *payload)
{
    size_t size = lead_size + KJ_PART_HEAD + zframe_size (head)
                + (payload ? KJ_PART_HEAD + zframe_size (payload) : 0);
    kj_put_u32 (at, (uint32_t) size);
    memcpy (at + 4, lead, lead_size);
    uint8_t *part = at + 4 + lead_size;
    part += kj_compact_put_part (part, zframe_data (head), zframe_size (head));
    if (payload)
        kj_compact_put_part (part, zframe_data (payload),
                             zframe_size (payload));
    zframe_destroy (&head);
    zframe_destroy (&payload);
    return 4 + size;
}

static void
test_worker_compact (void **state)
{
    pthread_t thread;
    kj_worker_t *worker = s_worker_start ("diag.8", &thread);
    //  The hello asks for the compact framing
    zmsg_t *ready = kj_test_recv_skipping_heartbeats (s_router);
    zframe_t *worker_id = zframe_dup (s_frame (ready, 0));
    zframe_t *hello_frame = s_frame (ready, 5);
    Kj__WorkerHello *hello = (Kj__WorkerHello *)
        kj_proto_unpack (&kj__worker_hello__descriptor,
                         zframe_data (hello_frame) + 3,
                         zframe_size (hello_frame) - 3, NULL);
    assert_non_null (hello);
    assert_true (hello->compact);
    kj__worker_hello__free_unpacked (hello, NULL);
    zmsg_destroy (&ready);

    //  Two requests in one KJW01 frame: both replies in one KJW01 frame,
    //  each with its handle, in order
    uint8_t frame [512];
    size_t size = KJ_KJX_SIZE;
    memcpy (frame, KJ_KJW, KJ_KJX_SIZE);
    const char *words [] = { "one", "two" };
    for (int i = 0; i < 2; i++) {
        Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
        echo.data.data = (uint8_t *) words [i];
        echo.data.len = 3;
        uint8_t lead [9] = { KJ_MDPW_REQUEST, 0, 0, 0, 0, 0, 0, 0, 0 };
        lead [8] = (uint8_t) (10 + i);
        size += s_record (frame + size, lead, 9, s_header (10 + i, "Echo"),
                          kj_proto_frame (&echo.base, false));
    }
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (worker_id) });
    zmsg_addmem (msg, frame, size);
    assert_int_equal (zmsg_send (&msg, s_router), 0);
    zmsg_t *reply = kj_test_recv_skipping_heartbeats (s_router);
    assert_int_equal (zmsg_size (reply), 2);
    zframe_t *batch = s_frame (reply, 1);
    const uint8_t *at = zframe_data (batch);
    const uint8_t *end = at + zframe_size (batch);
    assert_true (kj_compact_is (at, zframe_size (batch), KJ_KJW));
    at += KJ_KJX_SIZE;
    for (int i = 0; i < 2; i++) {
        const uint8_t *record = NULL;
        size_t length = 0;
        assert_int_equal (kj_compact_next (&at, end, &record, &length), 1);
        assert_int_equal (record [0], KJ_MDPW_REPLY);
        assert_int_equal (kj_get_u64 (record + 1), (uint64_t) (10 + i));
        kj_part_t parts [2];
        assert_int_equal (kj_compact_parts (record + 9, length - 9, parts, 2),
                          2);
        Kj__ReplyHeader *header = kj_proto_reply_header (parts [0].data,
                                                         parts [0].size);
        assert_non_null (header);
        assert_int_equal (header->request_id, (uint64_t) (10 + i));
        assert_int_equal (header->status ? header->status->code : 0,
                          KJ__CODE__OK);
        kj__reply_header__free_unpacked (header, NULL);
        Kj__EchoReply *out = (Kj__EchoReply *)
            kj_proto_unpack (&kj__echo_reply__descriptor, parts [1].data,
                             parts [1].size, NULL);
        assert_non_null (out);
        assert_memory_equal (out->data.data, words [i], 3);
        kj__echo_reply__free_unpacked (out, NULL);
    }
    assert_true (at == end);
    zmsg_destroy (&reply);

    //  A KJW01 frame that breaks off: nothing served, and MDP still works
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (worker_id) });
    zmsg_addmem (msg, "KJW01\x00\x00\x01\x00\x02", 10);
    assert_int_equal (zmsg_send (&msg, s_router), 0);
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    s_request (worker_id, s_header (12, "Echo"),
               kj_proto_frame (&echo.base, false));
    Kj__ReplyHeader *header;
    reply = s_expect_reply (12, KJ__CODE__OK, &header);
    kj__reply_header__free_unpacked (header, NULL);
    zmsg_destroy (&reply);

    kj_worker_stop (worker);
    zmsg_t *bye = kj_test_recv_skipping_heartbeats (s_router);
    zmsg_destroy (&bye);
    pthread_join (thread, NULL);
    assert_int_equal (kj_worker_served (worker), 3);
    kj_worker_destroy (&worker);
    zframe_destroy (&worker_id);
}

static void
test_client_compact (void **state)
{
    kj_client_t *client = kj_client_new (s_endpoint);
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    kj_call_opts_t opts = { .timeout_ms = 2000, .read_only = true };
    uint64_t first = kj_client_send (client, "diag", "Echo", &echo.base, &opts);
    //  Hello, answered OK: the request sent beside it was MDP
    Kj__RequestHeader *header;
    zmsg_t *hello = s_client_request ("kejin.broker", &header);
    assert_string_equal (header->method, "Hello");
    kj_status_t ok;
    kj_status_ok (&ok);
    s_client_reply (hello, header->request_id, &ok, NULL);
    kj__request_header__free_unpacked (header, NULL);
    zmsg_destroy (&hello);
    zmsg_t *request = s_client_request ("diag", &header);
    kj__request_header__free_unpacked (header, NULL);
    Kj__EchoReply out = KJ__ECHO_REPLY__INIT;
    s_client_reply (request, first, &ok, kj_proto_frame (&out.base, false));
    uint64_t got;
    kj_status_t status;
    assert_int_equal (kj_client_recv (client, 5000, &got, NULL, NULL, &status),
                      KJ__CODE__OK);
    assert_int_equal (got, first);

    //  From now on one KJC01 frame per request, exactly
    uint64_t ids [2];
    for (int i = 0; i < 2; i++) {
        ids [i] = kj_client_send (client, "diag", "Echo", &echo.base, &opts);
        zmsg_t *msg = kj_test_recv_skipping_heartbeats (s_router);
        assert_int_equal (zmsg_size (msg), 2);
        zframe_t *frame = s_frame (msg, 1);
        const uint8_t *at = zframe_data (frame);
        const uint8_t *end = at + zframe_size (frame);
        assert_true (kj_compact_is (at, zframe_size (frame), KJ_KJC));
        at += KJ_KJX_SIZE;
        const uint8_t *record = NULL;
        size_t length = 0;
        assert_int_equal (kj_compact_next (&at, end, &record, &length), 1);
        assert_true (at == end);
        assert_int_equal (record [0], 4);
        assert_memory_equal (record + 1, "diag", 4);
        kj_part_t parts [2];
        assert_int_equal (kj_compact_parts (record + 5, length - 5, parts, 2),
                          2);
        header = kj_proto_request_header (parts [0].data, parts [0].size);
        assert_non_null (header);
        assert_int_equal (header->request_id, ids [i]);
        assert_string_equal (header->method, "Echo");
        kj__request_header__free_unpacked (header, NULL);
        if (i == 0)
            zmsg_destroy (&request);
        else
            zmsg_destroy (&msg);
        if (i == 0)
            request = msg;
    }
    //  Both replies in one frame, then a record that breaks off: the two
    //  come in order, the broken one is dropped (and logged)
    uint8_t frame [512];
    size_t size = KJ_KJX_SIZE;
    memcpy (frame, KJ_KJC, KJ_KJX_SIZE);
    kj_status_t bad;
    kj_status_set (&bad, KJ__CODE__NOT_FOUND, "code", "no such thing");
    size += s_record (frame + size,
                      "\x04"
                      "diag",
                      5, kj_proto_reply_frame (ids [0], &ok),
                      kj_proto_frame (&out.base, false));
    size += s_record (frame + size,
                      "\x04"
                      "diag",
                      5, kj_proto_reply_frame (ids [1], &bad), NULL);
    memcpy (frame + size, "\x00\x00\x00\x09\x04", 5);
    size += 5;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (s_frame (request, 0)) });
    zmsg_addmem (msg, frame, size);
    assert_int_equal (zmsg_send (&msg, s_router), 0);
    ProtobufCMessage *reply;
    assert_int_equal (kj_client_recv (client, 5000, &got,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status),
                      KJ__CODE__OK);
    assert_int_equal (got, ids [0]);
    assert_non_null (reply);
    protobuf_c_message_free_unpacked (reply, NULL);
    assert_int_equal (kj_client_recv (client, 5000, &got,
                                      &kj__echo_reply__descriptor, &reply,
                                      &status),
                      KJ__CODE__NOT_FOUND);
    assert_int_equal (got, ids [1]);
    assert_string_equal (status.message, "no such thing");
    assert_int_equal (kj_client_recv (client, 100, &got, NULL, NULL, &status),
                      -1);
    zmsg_destroy (&request);
    kj_client_destroy (&client);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_worker_serves_and_refuses),
        cmocka_unit_test (test_client_calls),
        cmocka_unit_test (test_worker_compact),
        cmocka_unit_test (test_client_compact),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
