/*  =========================================================================
    test_kj_relay - committed outbox rows reach the log once, in order, and
    leave the outbox; a failed Append is retried; one relay per producer

    PostgreSQL is the runner's scratch cluster; kejin-events is a stand-in
    (kj_stub) that answers events.writer Cursor and Append from a cursor
    it keeps, as the real log does.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include "kj_stub.h"
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char *s_dsn;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

//  The stand-in log's state
static uint64_t s_cursor_txid, s_cursor_id;
static int s_fail_appends;      //  answer this many with UNAVAILABLE
static uint64_t s_logged;       //  events taken as new
static char s_topics [16][64];  //  their topics, in order
static char s_producer [64], s_city [16], s_payload_type [64];

static zframe_t *
s_answer (const char *service, const Kj__RequestHeader *header, zframe_t *body,
          kj_status_t *status, void *arg)
{
    assert_string_equal (service, "events.writer");
    zframe_t *payload = NULL;
    pthread_mutex_lock (&s_lock);
    if (streq (header->method, "Cursor")) {
        Kj__CursorReply reply = KJ__CURSOR_REPLY__INIT;
        reply.txid = s_cursor_txid;
        reply.id = s_cursor_id;
        payload = kj_proto_frame (&reply.base, false);
    }
    else if (s_fail_appends > 0) {
        s_fail_appends--;
        kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL, "log down");
    }
    else {
        assert_string_equal (header->method, "Append");
        Kj__AppendRequest *request = (Kj__AppendRequest *)
            kj_proto_unpack (&kj__append_request__descriptor,
                             zframe_data (body), zframe_size (body), NULL);
        assert_non_null (request);
        Kj__AppendReply reply = KJ__APPEND_REPLY__INIT;
        kj_strlcpy (s_producer, request->producer, sizeof s_producer);
        for (size_t i = 0; i < request->n_events; i++) {
            Kj__OutboxEvent *item = request->events [i];
            bool above = item->txid > s_cursor_txid
                      || (item->txid == s_cursor_txid
                          && item->id > s_cursor_id);
            if (!above) {
                reply.duplicates++;
                continue;
            }
            s_cursor_txid = item->txid;
            s_cursor_id = item->id;
            kj_strlcpy (s_topics [s_logged % 16], item->event->topic, 64);
            kj_strlcpy (s_city, item->event->origin_city, sizeof s_city);
            kj_strlcpy (s_payload_type, item->event->payload_type,
                        sizeof s_payload_type);
            s_logged++;
            reply.appended++;
        }
        reply.cursor_txid = s_cursor_txid;
        reply.cursor_id = s_cursor_id;
        payload = kj_proto_frame (&reply.base, false);
        kj__append_request__free_unpacked (request, NULL);
    }
    pthread_mutex_unlock (&s_lock);
    return payload;
}

static int64_t
s_outbox_rows (kj_db_t *db)
{
    PGresult *res = kj_db_exec (db, "SELECT count (*) FROM kj_outbox", 0, NULL);
    assert_non_null (res);
    int64_t count = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

static void
s_add (kj_db_t *db, const char **topics, int count)
{
    Kj__EchoRequest payload = KJ__ECHO_REQUEST__INIT;
    payload.sleep_ms = 1;
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test", "k"), 0);
    for (int i = 0; i < count; i++)
        assert_int_equal (kj_outbox_add (db, topics [i], "k", &payload.base),
                          0);
    assert_int_equal (kj_db_commit (db), 0);
}

typedef struct {
    kj_relay_t *relay;
    kj_db_t *db;
    uint64_t appended;
    uint64_t failures;
} wait_t;

//  Appended and failures reached, and the outbox empty
static bool
s_reached (void *arg)
{
    wait_t *wait = (wait_t *) arg;
    kj_relay_stats_t stats;
    kj_relay_stats (wait->relay, &stats);
    return stats.appended == wait->appended && stats.failures >= wait->failures
        && s_outbox_rows (wait->db) == 0;
}

static bool
s_active (void *arg)
{
    kj_relay_stats_t stats;
    kj_relay_stats ((kj_relay_t *) arg, &stats);
    return stats.active;
}

static void
test_relay (void **state)
{
    kj_log_init ("test_kj_relay", "error");
    kj_stub_t *events = kj_stub_new (s_answer, NULL);

    kj_db_t *db = kj_db_new (s_dsn, "relaytest", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    const char *first [] = { "test.a", "test.b", "test.c" };
    s_add (db, first, 3);

    kj_relay_config_t config = { .dsn = s_dsn,
                                 .schema = "relaytest",
                                 .broker = kj_stub_endpoint (events),
                                 .city = "210100",
                                 .batch = 1000,
                                 .idle_ms = 5,
                                 .timeout_ms = 2000,
                                 .lock_retry_ms = 50 };
    kj_relay_t *relay = kj_relay_new (&config);
    assert_non_null (relay);
    wait_t wait = { relay, db, 3, 0 };
    assert_true (kj_test_wait_for (s_reached, &wait, 10000));
    pthread_mutex_lock (&s_lock);
    assert_int_equal (s_logged, 3);
    assert_string_equal (s_topics [0], "test.a");
    assert_string_equal (s_topics [1], "test.b");
    assert_string_equal (s_topics [2], "test.c");
    assert_string_equal (s_producer, "relaytest");
    assert_string_equal (s_city, "210100");
    assert_string_equal (s_payload_type, "kj.EchoRequest");
    uint64_t cursor_txid = s_cursor_txid, cursor_id = s_cursor_id;
    pthread_mutex_unlock (&s_lock);
    kj_relay_stats_t stats;
    kj_relay_stats (relay, &stats);
    assert_true (stats.active);
    assert_int_equal (stats.duplicates, 0);
    assert_int_equal (stats.failures, 0);
    assert_true (stats.cursor_txid == cursor_txid);
    assert_true (stats.cursor_id == cursor_id);

    //  The log fails one Append: the relay asks for the cursor again and
    //  sends the row once more; the log holds it once
    pthread_mutex_lock (&s_lock);
    s_fail_appends = 1;
    pthread_mutex_unlock (&s_lock);
    const char *second [] = { "test.d" };
    s_add (db, second, 1);
    wait.appended = 4;
    wait.failures = 1;
    assert_true (kj_test_wait_for (s_reached, &wait, 10000));
    kj_relay_stats (relay, &stats);
    assert_int_equal (stats.failures, 1);
    pthread_mutex_lock (&s_lock);
    assert_int_equal (s_logged, 4);
    assert_string_equal (s_topics [3], "test.d");
    pthread_mutex_unlock (&s_lock);

    //  A second relay of the producer stands by until the first stops
    kj_relay_t *standby = kj_relay_new (&config);
    zclock_sleep (200);
    kj_relay_stats (standby, &stats);
    assert_false (stats.active);
    kj_relay_destroy (&relay);
    assert_true (kj_test_wait_for (s_active, standby, 5000));
    const char *third [] = { "test.e" };
    s_add (db, third, 1);
    wait.relay = standby;
    wait.appended = 1;
    wait.failures = 0;
    assert_true (kj_test_wait_for (s_reached, &wait, 10000));
    pthread_mutex_lock (&s_lock);
    assert_int_equal (s_logged, 5);
    assert_string_equal (s_topics [4], "test.e");
    pthread_mutex_unlock (&s_lock);
    kj_relay_destroy (&standby);

    kj_db_destroy (&db);
    kj_stub_destroy (&events);
}

int
main (void)
{
    s_dsn = kj_test_db_new ("relay");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_relay),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    free (s_dsn);
    return rc;
}
