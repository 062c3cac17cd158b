/*  =========================================================================
    test_kj_worker_write - a KJ_WRITE method's call (kj_worker_write.c)
    against a real PostgreSQL and a stand-in broker: the idempotency key
    looked up in the handler's first round trip, and every way a replay can
    meet the handler (failed, succeeded, refused before any statement, its
    first round trip failed in SQL), the whole write run again on 40001,
    and a key's lock that fails

    The method is kj.Diag's Echo, flagged KJ_WRITE; the request's data is a
    command "VERB:K" for the handler below.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static zsock_t *s_router;      //  the stand-in broker
static zframe_t *s_worker;     //  the worker's identity at the router
static kj_worker_t *s_server;  //  the worker
static pthread_t s_thread;
static kj_db_t *s_db;     //  the worker's connection
static kj_db_t *s_check;  //  the test's own
static char *s_dsn;
static bool s_refuse_early;  //  the handler refuses before any statement
static uint64_t s_id;        //  the last request id

//  --------------------------------------------------------------------------
//  The handler. VERB:K, K a number:
//  - add: fails "K already added" when t holds K (as PayClaim fails
//    "already paid"), else adds it (deferred, with COMMIT)
//  - log: always succeeds, adding a row to log; the reply names a number
//    from a sequence, so that a run again would answer another
//  - div: its first statement divides by zero when t holds K, else adds K
//  - flaky: its first statement fails with 40001 every other time
//  - none: sends no statement

static int
s_reply (kj_call_t *call, ProtobufCMessage *reply, const char *text)
{
    Kj__EchoReply *out = (Kj__EchoReply *) reply;
    out->data.data = (uint8_t *) kj_call_strdup (call, text);
    out->data.len = strlen (text);
    return 0;
}

//  The first row's first value of sql (K its one parameter), or NULL with
//  the call failed as its database
static const char *
s_first (kj_call_t *call, const char *sql, const char *k)
{
    PGresult *res = kj_db_exec (kj_call_db (call), sql, 1,
                                (const char *[]){ k });
    if (!res) {
        kj_call_fail (call,
                      kj_db_status_code (kj_db_sqlstate (kj_call_db (call))),
                      "data", "%s", kj_db_sqlstate (kj_call_db (call)));
        return NULL;
    }
    const char *value = kj_call_strdup (call, PQgetvalue (res, 0, 0));
    PQclear (res);
    return value;
}

static int
s_write (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__EchoRequest *in = (const Kj__EchoRequest *) request;
    char command [64] = "";
    memcpy (command, in->data.data,
            in->data.len < sizeof command ? in->data.len : sizeof command - 1);
    char *k = strchr (command, ':');
    if (s_refuse_early || !k)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "data",
                             "refused before any statement");
    *k++ = 0;
    kj_db_t *db = kj_call_db (call);
    const char *params [] = { k };
    if (streq (command, "none"))
        return s_reply (call, reply, "nothing sent");
    if (streq (command, "add")) {
        const char *here = s_first (call,
                                    "SELECT count (*) FROM t WHERE k = $1::int",
                                    k);
        if (!here)
            return -1;
        if (!streq (here, "0"))
            return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "data",
                                 "%s already added", k);
        if (kj_db_defer (db, "INSERT INTO t VALUES ($1::int)", 1, params))
            return kj_call_fail_db (call);
        return s_reply (call, reply, kj_call_printf (call, "added %s", k));
    }
    if (streq (command, "log")) {
        const char *n = s_first (call, "SELECT nextval ('n') + 0 * $1::int", k);
        if (!n
            || kj_db_defer (db, "INSERT INTO log VALUES ($1::int)", 1, params))
            return -1;
        return s_reply (call, reply, kj_call_printf (call, "logged %s", n));
    }
    if (streq (command, "div")) {
        if (!s_first (call,
                      "SELECT 1 / (1 - (SELECT count (*) FROM t"
                      " WHERE k = $1::int))::int",
                      k)
            || kj_db_defer (db, "INSERT INTO t VALUES ($1::int)", 1, params))
            return -1;
        return s_reply (call, reply, kj_call_printf (call, "divided %s", k));
    }
    if (streq (command, "flaky")) {
        const char *n = s_first (call, "SELECT flaky ($1::int)", k);
        if (!n)
            return -1;
        return s_reply (call, reply, kj_call_printf (call, "flaky %s", n));
    }
    return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "data", "no verb");
}

static const kj_method_t s_methods [] = { { "Echo", s_write, KJ_WRITE },
                                          { NULL } };

//  --------------------------------------------------------------------------
//  The stand-in broker and the worker

static void *
s_worker_thread (void *arg)
{
    kj_worker_run ((kj_worker_t *) arg);
    return NULL;
}

static void
s_exec (kj_db_t *db, const char *sql)
{
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    if (!res)
        fail_msg ("%s: %s %s", sql, kj_db_sqlstate (db), kj_db_error (db));
    PQclear (res);
}

static int
s_setup (void **state)
{
    kj_log_init ("test_kj_worker_write", "error");
    //  A wait for a lock fails after a while instead of hanging the test
    char *dsn = kj_test_db_new ("test_kj_worker_write");
    s_dsn = zsys_sprintf ("%s options='-c lock_timeout=500'", dsn);
    zstr_free (&dsn);
    s_check = kj_db_new (s_dsn, "t_write", 0);
    assert_non_null (s_check);
    assert_int_equal (kj_db_migrate (s_check, NULL), 0);
    s_exec (s_check, "CREATE TABLE t (k int PRIMARY KEY)");
    s_exec (s_check, "CREATE TABLE log (k int)");
    s_exec (s_check, "CREATE SEQUENCE n");
    s_exec (s_check, "CREATE SEQUENCE tries");
    s_exec (s_check,
            "CREATE FUNCTION flaky (k int) RETURNS bigint LANGUAGE plpgsql"
            " AS $$ DECLARE n bigint := nextval ('tries'); BEGIN"
            " IF n % 2 = 1 THEN RAISE EXCEPTION 'try again'"
            " USING ERRCODE = '40001'; END IF; RETURN n; END $$");
    s_db = kj_db_new (s_dsn, "t_write", 0);
    assert_non_null (s_db);

    s_router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (s_router, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    zsock_set_rcvtimeo (s_router, 10000);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    kj_worker_config_t config = { .endpoint = endpoint,
                                  .service = "diag",
                                  .descriptor = &kj__diag__descriptor,
                                  .methods = s_methods,
                                  .db = s_db,
                                  .heartbeat_ms = 60000,  //  none expected
                                  .instance = "diag.1" };
    s_server = kj_worker_new (&config);
    assert_int_equal (pthread_create (&s_thread, NULL, s_worker_thread,
                                      s_server),
                      0);
    zmsg_t *ready = kj_test_recv_skipping_heartbeats (s_router);
    s_worker = zframe_dup (zmsg_first (ready));
    zmsg_destroy (&ready);
    return 0;
}

static int
s_teardown (void **state)
{
    kj_worker_stop (s_server);
    pthread_join (s_thread, NULL);
    kj_worker_destroy (&s_server);
    zframe_destroy (&s_worker);
    zsock_destroy (&s_router);
    kj_db_destroy (&s_db);
    kj_db_destroy (&s_check);
    zstr_free (&s_dsn);
    return 0;
}

//  One call of Echo with command and idempotency key (NULL: none); the
//  reply's code, its status in *status, and its data (or "" when it has
//  no payload) in reply, at most size bytes.
static int
s_call (const char *command, const char *key, kj_status_t *status, char *reply,
        size_t size)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = ++s_id;
    header.method = "Echo";
    header.idempotency_key = (char *) (key ? key : "");
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = (uint8_t *) command;
    echo.data.len = strlen (command);
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (s_worker) });
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, KJ_MDPW);
    zmsg_addmem (msg, &(byte){ KJ_MDPW_REQUEST }, 1);
    zmsg_addstr (msg, "C1");
    zmsg_addmem (msg, NULL, 0);
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (&header.base, true) });
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (&echo.base, false) });
    assert_int_equal (zmsg_send (&msg, s_router), 0);

    //  [worker] [] MDPW01 REPLY C1 [] [reply header] [payload]
    msg = kj_test_recv_skipping_heartbeats (s_router);
    assert_true (zmsg_size (msg) == 7 || zmsg_size (msg) == 8);
    zframe_t *frame = zmsg_first (msg);
    for (int i = 0; i < 6; i++)
        frame = zmsg_next (msg);
    Kj__ReplyHeader *head = kj_proto_reply_header (zframe_data (frame),
                                                   zframe_size (frame));
    assert_non_null (head);
    assert_int_equal (head->request_id, s_id);
    kj_status_ok (status);
    if (head->status) {
        status->code = head->status->code;
        kj_strlcpy (status->field, head->status->field, sizeof status->field);
        kj_strlcpy (status->message, head->status->message,
                    sizeof status->message);
    }
    kj__reply_header__free_unpacked (head, NULL);
    *reply = 0;
    frame = zmsg_next (msg);
    if (frame) {
        Kj__EchoReply *out = (Kj__EchoReply *)
            kj_proto_unpack (&kj__echo_reply__descriptor, zframe_data (frame),
                             zframe_size (frame), NULL);
        assert_non_null (out);
        size_t length = out->data.len < size ? out->data.len : size - 1;
        memcpy (reply, out->data.data, length);
        reply [length] = 0;
        kj__echo_reply__free_unpacked (out, NULL);
    }
    zmsg_destroy (&msg);
    return status->code;
}

//  A call that must succeed with expected as its reply
static void
s_ok (const char *command, const char *key, const char *expected)
{
    kj_status_t status;
    char reply [128];
    int code = s_call (command, key, &status, reply, sizeof reply);
    if (code != KJ__CODE__OK)
        fail_msg ("%s: %d %s %s", command, code, status.field, status.message);
    assert_string_equal (reply, expected);
}

static void
s_assert_value (const char *sql, const char *expected)
{
    PGresult *res = kj_db_exec (s_check, sql, 0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), expected);
    PQclear (res);
}

//  The worker's round trips so far (it waits for the next request: its
//  last reply left after its last round trip)
static uint64_t
s_trips (void)
{
    return kj_db_round_trips (s_db);
}

//  --------------------------------------------------------------------------
//  A keyed write: the key's lock and look-up go in the handler's first
//  round trip (two round trips in all: the handler's read, then its write
//  with the key's row and COMMIT), and a replay answers the first reply
//  whatever the handler does when it runs again

static void
test_replay_whatever_the_handler_does (void **state)
{
    s_ok ("add:1", "k-add-1", "added 1");  //  prepares
    uint64_t before = s_trips ();
    s_ok ("add:2", "k-add-2", "added 2");
    assert_int_equal (s_trips () - before, 2);
    //  Without a key: the same two
    before = s_trips ();
    s_ok ("add:3", NULL, "added 3");
    assert_int_equal (s_trips () - before, 2);

    //  Seen while the handler failed ("already added"): the first reply,
    //  in the handler's round trip and a ROLLBACK
    before = s_trips ();
    s_ok ("add:1", "k-add-1", "added 1");
    assert_int_equal (s_trips () - before, 2);

    //  Seen while the handler succeeded: the first reply, and the
    //  handler's row rolled back
    s_ok ("log:1", "k-log-1", "logged 1");
    s_ok ("log:1", "k-log-1", "logged 1");
    s_assert_value ("SELECT count (*) FROM log", "1");

    //  The key with another request: refused, whatever the handler did
    kj_status_t status;
    char reply [128];
    assert_int_equal (s_call ("add:4", "k-add-1", &status, reply, sizeof reply),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "idempotency_key");
    assert_string_equal (status.message,
                         "idempotency key 'k-add-1' was already used for "
                         "another request (Echo); use a new key");
    assert_string_equal (reply, "");
    s_assert_value ("SELECT string_agg (k::text, ',' ORDER BY k) FROM t",
                    "1,2,3");

    //  Seen while the handler's first round trip failed in SQL (division
    //  by zero after the look-up): the first reply
    s_ok ("div:9", "k-div-9", "divided 9");
    s_ok ("div:9", "k-div-9", "divided 9");
    //  ... not seen: the handler's failure
    assert_int_equal (s_call ("div:9", "k-div-9b", &status, reply,
                              sizeof reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.message, "22012");

    //  Only the first runs stored their keys
    s_assert_value ("SELECT string_agg (key, ',' ORDER BY key)"
                    " FROM kj_idempotency",
                    "k-add-1,k-add-2,k-div-9,k-log-1");
}

//  A handler that sends no statement: the key's look-up goes on its own
//  after it, and a replay still answers the first reply

static void
test_replay_handler_sends_nothing (void **state)
{
    uint64_t before = s_trips ();
    s_ok ("none:1", "k-none-1", "nothing sent");  //  prepared already
    //  BEGIN, the lock and the look-up; the key's row and COMMIT
    assert_int_equal (s_trips () - before, 2);
    s_ok ("none:1", "k-none-1", "nothing sent");

    //  A handler that refuses before any statement: a replay gets the
    //  first reply, a new key the refusal, in one round trip and a
    //  ROLLBACK, and nothing is stored for it
    s_ok ("add:20", "k-add-20", "added 20");
    s_refuse_early = true;
    s_ok ("add:20", "k-add-20", "added 20");
    kj_status_t status;
    char reply [128];
    before = s_trips ();
    assert_int_equal (s_call ("add:21", "k-add-21", &status, reply,
                              sizeof reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (s_trips () - before, 2);
    assert_string_equal (status.field, "data");
    assert_string_equal (status.message, "refused before any statement");
    s_refuse_early = false;
    s_ok ("add:21", "k-add-21", "added 21");
}

//  A serialization failure in the handler's first round trip runs the
//  whole write again, the key's look-up with it; the reply stored is the
//  second run's

static void
test_retry_runs_the_lookup_again (void **state)
{
    s_ok ("flaky:1", "k-flaky-1", "flaky 2");
    s_ok ("flaky:1", "k-flaky-1", "flaky 2");
    s_assert_value ("SELECT last_value FROM tries", "3");
    s_assert_value ("SELECT count (*) FROM kj_idempotency"
                    " WHERE key = 'k-flaky-1'",
                    "1");
}

//  The key's lock fails (here its wait times out, 55P03, which no retry
//  cures): the call fails as its database did, never OK without a reply

static void
test_key_lock_fails (void **state)
{
    PGconn *holder = PQconnectdb (s_dsn);
    assert_int_equal (PQstatus (holder), CONNECTION_OK);
    PGresult *res = PQexec (holder,
                            "SELECT pg_advisory_lock (" KJ_LOCK_IDEMPOTENCY
                            ", hashtext ('k-held'))");
    assert_int_equal (PQresultStatus (res), PGRES_TUPLES_OK);
    PQclear (res);
    kj_status_t status;
    char reply [128];
    assert_int_equal (s_call ("add:30", "k-held", &status, reply, sizeof reply),
                      KJ__CODE__UNAVAILABLE);
    assert_string_equal (reply, "");
    assert_non_null (strstr (status.message, "55P03"));
    PQfinish (holder);
    //  Free again: the write goes through, once
    s_ok ("add:30", "k-held", "added 30");
    s_assert_value ("SELECT count (*) FROM t WHERE k = 30", "1");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_replay_whatever_the_handler_does),
        cmocka_unit_test (test_replay_handler_sends_nothing),
        cmocka_unit_test (test_retry_runs_the_lookup_again),
        cmocka_unit_test (test_key_lock_fails),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
