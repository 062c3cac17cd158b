/*  =========================================================================
    test_kj_outbox - events written in the caller's transaction: committed
    with it, rolled back with it, typed by their message
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>

static char *s_dsn;

static int64_t
s_count (kj_db_t *db)
{
    PGresult *res = kj_db_exec (db, "SELECT count (*) FROM kj_outbox", 0, NULL);
    assert_non_null (res);
    int64_t count = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  The one value a query answers
static void
s_assert_rows (kj_db_t *db, const char *sql, const char *want)
{
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), want);
    PQclear (res);
}

static void
test_add_commits_with_the_change (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "outbox_commit", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    Kj__EchoRequest payload = KJ__ECHO_REQUEST__INIT;
    payload.data.data = (uint8_t *) "\x00\x01\xfe\xff";
    payload.data.len = 4;
    payload.sleep_ms = 7;
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.thing", "91210100MA0000000X"),
                      0);
    assert_int_equal (kj_outbox_add (db, "test.thing.done",
                                     "91210100MA0000000X", &payload.base),
                      0);
    assert_int_equal (kj_db_commit (db), 0);
    assert_int_equal (s_count (db), 1);

    PGresult *res =
        kj_db_exec (db,
                    "SELECT topic, key, payload_type, encode (payload, 'hex'), "
                    "txid = pg_current_xact_id () FROM kj_outbox",
                    0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "test.thing.done");
    assert_string_equal (PQgetvalue (res, 0, 1), "91210100MA0000000X");
    assert_string_equal (PQgetvalue (res, 0, 2), "kj.EchoRequest");
    //  The payload is the message, encoded, and decodes back
    const char *hex = PQgetvalue (res, 0, 3);
    uint8_t bytes [64];
    size_t size = strlen (hex) / 2;
    for (size_t i = 0; i < size; i++)
        sscanf (hex + 2 * i, "%2hhx", &bytes [i]);
    Kj__EchoRequest *back = kj__echo_request__unpack (NULL, size, bytes);
    assert_non_null (back);
    assert_int_equal (back->sleep_ms, 7);
    assert_int_equal (back->data.len, 4);
    assert_memory_equal (back->data.data, "\x00\x01\xfe\xff", 4);
    kj__echo_request__free_unpacked (back, NULL);
    //  txid is the writing transaction's, not this later one's
    assert_string_equal (PQgetvalue (res, 0, 4), "f");
    PQclear (res);
    kj_db_destroy (&db);
}

static void
test_add_rolls_back_with_the_change (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "outbox_rollback", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.thing", "k"), 0);
    assert_int_equal (kj_outbox_add (db, "test.thing.done", "k", NULL), 0);
    assert_int_equal (kj_outbox_add (db, "test.thing.undone", NULL, NULL), 0);
    kj_db_rollback (db);
    assert_int_equal (s_count (db), 0);

    //  Two events of one transaction share its txid, ids in order
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.n", "1"), 0);
    assert_int_equal (kj_db_lock_key (db, "test.n", "2"), 0);
    assert_int_equal (kj_outbox_add (db, "test.a", "1", NULL), 0);
    assert_int_equal (kj_outbox_add (db, "test.b", "2", NULL), 0);
    assert_int_equal (kj_db_commit (db), 0);
    PGresult *res = kj_db_exec (
        db,
        "SELECT count (DISTINCT txid), min (topic), max (payload_type) "
        "FROM kj_outbox",
        0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "1");
    assert_string_equal (PQgetvalue (res, 0, 2), "");
    PQclear (res);
    kj_db_destroy (&db);
}

//  Many events with one COPY: in the order given, keys escaped, payloads
//  whole, in the caller's transaction
static void
test_add_many_copies_in_order (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "outbox_many", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    enum { N = 3000 };
    Kj__EchoRequest *payloads = calloc (N, sizeof *payloads);
    const ProtobufCMessage **messages = calloc (N, sizeof *messages);
    char (*keys) [32] = calloc (N, 32);
    const char **key_p = calloc (N, sizeof *key_p);
    assert_true (payloads && messages && keys && key_p);
    for (int i = 0; i < N; i++) {
        kj__echo_request__init (&payloads [i]);
        payloads [i].sleep_ms = (uint32_t) i;
        payloads [i].data.data = (uint8_t *) "\\\t\n\x00";
        payloads [i].data.len = 4;
        snprintf (keys [i], 32, "k%04d", i);
        key_p [i] = keys [i];
        messages [i] = &payloads [i].base;
    }
    //  COPY's text format: these must come back as they went
    key_p [1] = "tab\there\\back\nline\rcr";
    messages [2] = NULL;
    key_p [3] = NULL;

    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.before", "b"), 0);
    assert_int_equal (kj_db_lock_topic (db, "test.many", false), 0);
    assert_int_equal (kj_outbox_add (db, "test.before", "b", NULL), 0);
    assert_int_equal (kj_outbox_add_many (db, "test.many", N, key_p, messages),
                      0);
    kj_db_rollback (db);
    assert_int_equal (s_count (db), 0);

    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.before", "b"), 0);
    assert_int_equal (kj_db_lock_topic (db, "test.many", false), 0);
    assert_int_equal (kj_outbox_add (db, "test.before", "b", NULL), 0);
    assert_int_equal (kj_outbox_add_many (db, "test.many", N, key_p, messages),
                      0);
    assert_int_equal (kj_outbox_add_many (db, "test.none", 0, NULL, NULL), 0);
    assert_int_equal (kj_db_commit (db), 0);
    assert_int_equal (s_count (db), N + 1);

    PGresult *res =
        kj_db_exec (db,
                    "SELECT topic, key, payload_type, payload, count (*) OVER "
                    "(PARTITION BY txid) FROM kj_outbox ORDER BY txid, id",
                    0, NULL);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), N + 1);
    assert_string_equal (PQgetvalue (res, 0, 0), "test.before");
    for (int i = 0; i < N; i++) {
        int row = i + 1;
        assert_string_equal (PQgetvalue (res, row, 0), "test.many");
        assert_string_equal (PQgetvalue (res, row, 1),
                             key_p [i] ? key_p [i] : "");
        assert_string_equal (PQgetvalue (res, row, 4), "3001");
        if (!messages [i]) {
            assert_string_equal (PQgetvalue (res, row, 2), "");
            continue;
        }
        assert_string_equal (PQgetvalue (res, row, 2), "kj.EchoRequest");
        size_t size;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *)
                                                    PQgetvalue (res, row, 3),
                                                &size);
        Kj__EchoRequest *back = kj__echo_request__unpack (NULL, size, bytes);
        PQfreemem (bytes);
        assert_non_null (back);
        assert_int_equal (back->sleep_ms, i);
        assert_int_equal (back->data.len, 4);
        assert_memory_equal (back->data.data, "\\\t\n\x00", 4);
        kj__echo_request__free_unpacked (back, NULL);
    }
    PQclear (res);
    free (payloads);
    free (messages);
    free (keys);
    free (key_p);
    kj_db_destroy (&db);
}

//  A keyed event whose entity this transaction has not locked is refused,
//  and the transaction with it: kj_outbox_add, a row of a batch and
//  add_many alike. Events without a key need no lock.
static void
test_unlocked_key_refused (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "outbox_unlocked", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    assert_int_equal (kj_db_run (db, "CREATE TABLE t (k text)", 0, NULL), 0);

    //  kj_outbox_add: -1, and the change before it does not commit
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, "INSERT INTO t VALUES ('x')", 0, NULL), 1);
    assert_int_equal (kj_outbox_add (db, "test.none", NULL, NULL), 0);
    assert_int_equal (kj_db_lock_key (db, "test.thing", "held"), 0);
    assert_int_equal (kj_outbox_add (db, "test.thing.done", "held", NULL), 0);
    assert_int_equal (kj_outbox_add (db, "test.thing.done", "other", NULL), -1);
    assert_string_equal (kj_db_sqlstate (db), "XX000");
    //  What follows fails without reaching the server, and so does COMMIT
    assert_null (kj_db_exec (db, "SELECT 1", 0, NULL));
    assert_int_equal (kj_db_status_code (kj_db_sqlstate (db)),
                      KJ__CODE__INTERNAL);
    assert_int_equal (kj_db_commit (db), -1);
    assert_false (kj_db_in_tx (db));
    assert_int_equal (s_count (db), 0);
    s_assert_rows (db, "SELECT count (*) FROM t", "0");

    //  A row of the caller's batch: the batch fails
    assert_int_equal (kj_db_begin (db), 0);
    kj_outbox_row_t row;
    kj_db_query_t batch [] = {
        { "INSERT INTO t VALUES ('y')", 0, NULL },
        kj_outbox_row (db, "test.thing.done", "other", NULL, &row),
    };
    PGresult *results [2];
    assert_int_equal (kj_db_exec_many (db, batch, 2, results), -1);
    kj_outbox_row_free (&row);
    assert_int_equal (kj_db_commit (db), -1);

    //  add_many: one unlocked key among locked ones refuses them all; the
    //  topic's lock orders them all
    const char *keys [] = { "held", NULL, "other" };
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.thing", "held"), 0);
    assert_int_equal (kj_outbox_add_many (db, "test.thing.done", 3, keys, NULL),
                      -1);
    kj_db_rollback (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_topic (db, "test.thing.done", false), 0);
    assert_int_equal (kj_outbox_add_many (db, "test.thing.done", 3, keys, NULL),
                      0);
    //  ...of that topic only
    assert_int_equal (kj_outbox_add (db, "test.thing.undone", "other", NULL),
                      -1);
    kj_db_rollback (db);

    //  A new transaction starts clean: nothing held, nothing refused
    assert_int_equal (kj_db_begin (db), 0);
    assert_false (kj_db_holds_key (db, "test.thing.done", "held"));
    assert_int_equal (kj_db_run (db, "INSERT INTO t VALUES ('z')", 0, NULL), 1);
    assert_int_equal (kj_db_commit (db), 0);
    s_assert_rows (db, "SELECT count (*) FROM t", "1");
    kj_db_destroy (&db);
}

//  A chunk of 50,000 keyed events takes one lock, the topic's, not one per
//  key (PostgreSQL's lock table holds max_locks_per_transaction x
//  connections, 6,400 by default); a second writer of the topic waits
static void
test_topic_lock_for_a_chunk (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "outbox_chunk", 0);
    kj_db_t *other = kj_db_new (s_dsn, "outbox_chunk", 0);
    assert_true (db && other);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    enum { N = 50000 };
    char (*keys) [16] = calloc (N, 16);
    const char **key_p = calloc (N, sizeof *key_p);
    assert_true (keys && key_p);
    for (int i = 0; i < N; i++) {
        snprintf (keys [i], 16, "F%07d", i);
        key_p [i] = keys [i];
    }
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_topic (db, "test.chunk.scored", false), 0);
    assert_int_equal (kj_db_lock_topic (db, "test.chunk.scored", false), 0);
    assert_int_equal (kj_outbox_add_many (db, "test.chunk.scored", N, key_p,
                                          NULL),
                      0);
    PGresult *res = kj_db_exec (db, "SELECT pg_backend_pid ()", 0, NULL);
    assert_non_null (res);
    char pid [16];
    snprintf (pid, sizeof pid, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    const char *pid_p [] = { pid };
    res = kj_db_exec (
        other,
        "SELECT count (*), count (*) FILTER (WHERE classid = " KJ_LOCK_TOPIC
        " AND objid::int = hashtext "
        "('test.chunk.scored')) FROM pg_locks WHERE locktype = "
        "'advisory' AND granted AND pid = $1::int",
        1, pid_p);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "1");
    assert_string_equal (PQgetvalue (res, 0, 1), "1");
    PQclear (res);
    //  Another writer of the topic cannot take it meanwhile
    assert_int_equal (kj_db_begin (other), 0);
    assert_int_equal (kj_db_run (other, "SET LOCAL lock_timeout = '50ms'", 0,
                                 NULL),
                      0);
    assert_int_equal (kj_db_lock_topic (other, "test.chunk.scored", true), 0);
    assert_int_equal (kj_outbox_add (other, "test.chunk.scored", "F0000001",
                                     NULL),
                      0);
    assert_int_equal (kj_db_commit (other), -1);
    assert_string_equal (kj_db_sqlstate (other), "55P03");
    assert_int_equal (kj_db_commit (db), 0);
    assert_int_equal (s_count (db), N);
    free (keys);
    free (key_p);
    kj_db_destroy (&other);
    kj_db_destroy (&db);
}

//  --------------------------------------------------------------------------
//  The relay's wake-up: asked for at most once per window a channel in a
//  process (each is a transaction of its own after COMMIT). Three commits
//  with events in one window wake the listener once; with the window 0,
//  the next commit wakes it again. Notifications arrive in commit order,
//  so when that last one has come, every one before it has.

//  Notifications on listener until `want` came or ms passed: how many
static int
s_wakeups (PGconn *listener, int want, int ms)
{
    int woken = 0;
    int64_t deadline = zclock_mono () + ms;
    while (woken < want && zclock_mono () < deadline) {
        struct pollfd item = { PQsocket (listener), POLLIN, 0 };
        poll (&item, 1, 50);
        PQconsumeInput (listener);
        PGnotify *note;
        while ((note = PQnotifies (listener))) {
            woken++;
            PQfreemem (note);
        }
    }
    return woken;
}

static void
s_event (kj_db_t *db, int n)
{
    char key [16];
    snprintf (key, sizeof key, "K%d", n);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.thing", key), 0);
    assert_int_equal (kj_outbox_add (db, "test.thing.done", key, NULL), 0);
    assert_int_equal (kj_db_commit (db), 0);
}

static void
test_wake_once_a_window (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "outbox_wake", 0);
    kj_db_t *listener = kj_db_new (s_dsn, "outbox_wake", 0);
    assert_non_null (db);
    assert_non_null (listener);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    char channel [64], sql [96];
    kj_outbox_channel ("outbox_wake", channel);
    snprintf (sql, sizeof sql, "LISTEN %s", channel);
    assert_int_equal (kj_db_run (listener, sql, 0, NULL), 0);

    kj_outbox_set_wake_window (3600 * 1000000LL);
    for (int n = 0; n < 3; n++)
        s_event (db, n);
    kj_outbox_set_wake_window (0);
    s_event (db, 3);
    //  The first commit's and the last's; 4 before the window
    assert_int_equal (s_wakeups (kj_db_conn (listener), 2, 10000), 2);
    assert_int_equal (s_wakeups (kj_db_conn (listener), 1, 300), 0);
    assert_int_equal (s_count (db), 4);
    kj_outbox_set_wake_window (-1);
    kj_db_destroy (&listener);
    kj_db_destroy (&db);
}

int
main (void)
{
    kj_log_init ("test_kj_outbox", getenv ("KEJIN_LOG_LEVEL"));
    s_dsn = kj_test_db_new ("outbox");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_add_commits_with_the_change),
        cmocka_unit_test (test_add_rolls_back_with_the_change),
        cmocka_unit_test (test_add_many_copies_in_order),
        cmocka_unit_test (test_unlocked_key_refused),
        cmocka_unit_test (test_topic_lock_for_a_chunk),
        cmocka_unit_test (test_wake_once_a_window),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    free (s_dsn);
    return rc;
}
