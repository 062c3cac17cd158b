/*  =========================================================================
    test_events_outbox - the outbox and its relay against the commit-order
    trap (O1) and against rollbacks and a service killed mid-transaction
    (O2); the relay woken by NOTIFY, and its backoff without a writer
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "events_fixture.h"

//  --------------------------------------------------------------------------
//  O1: sixteen writers that sleep between insert and commit. A naive
//  reader of `id > last` (what a relay on bigserial ids would do) visibly
//  skips rows that committed late; Kejin's relay skips none.

static void
test_o1_commit_order (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_o1", 1, NULL);
    const char *args [] = { "--writers",  "16", "--count", "150",
                            "--sleep-ms", "20", NULL };
    pid_t producer = fx_producer (&fx, "omega", args);

    //  The naive reader, polling as fast as it can while the writers run
    kj_db_t *db = kj_db_new (fx.dsn, "omega", 5000);
    assert_non_null (db);
    zhashx_t *seen = zhashx_new ();
    uint64_t last = 0, polls = 0;
    while (kj_test_wait_exit (producer, 0) == -1) {
        char after [24];
        snprintf (after, sizeof after, "%" PRIu64, last);
        const char *params [] = { after };
        PGresult *res =
            kj_db_exec (db, "SELECT id FROM items WHERE id > $1 ORDER BY id", 1,
                        params);
        if (!res) {  //  the producer has not made its table yet
            zclock_sleep (10);
            continue;
        }
        for (int row = 0; row < PQntuples (res); row++) {
            zhashx_update (seen, PQgetvalue (res, row, 0), (void *) 1);
            last = strtoull (PQgetvalue (res, row, 0), NULL, 10);
        }
        PQclear (res);
        polls++;
        zclock_sleep (1);
    }
    //  Kejin's relay drained the outbox before the producer exited 0
    PGresult *res = kj_db_exec (db, "SELECT id FROM items", 0, NULL);
    assert_non_null (res);
    uint64_t committed = (uint64_t) PQntuples (res), skipped = 0;
    for (int row = 0; row < PQntuples (res); row++)
        if (!zhashx_lookup (seen, PQgetvalue (res, row, 0))
            && strtoull (PQgetvalue (res, row, 0), NULL, 10) <= last)
            skipped++;
    PQclear (res);
    zhashx_destroy (&seen);
    kj_db_destroy (&db);
    kj_info ("test.o1",
             "committed=%" PRIu64 " naive_polls=%" PRIu64
             " naive_skipped=%" PRIu64,
             committed, polls, skipped);
    assert_int_equal (committed, 2400);
    assert_true (skipped > 0);  //  the trap is real in this test

    fx_check_t check;
    fx_check (&fx, (const char *[]){ "omega", NULL }, &check);
    fx_assert_whole (&check);  //  and the relay skipped nothing
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  O2: a third of the transactions roll back, and the service is killed
//  (SIGKILL) while transactions are between change and commit, twice.
//  Restarted, its relay hands over the rest: every committed row has its
//  event once, no rolled-back or unfinished row has one.

static void
test_o2_rollback_and_kill (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_o2", 1, NULL);
    const char *args [] = { "--writers",  "8",          "--count",
                            "100000",     "--sleep-ms", "50",
                            "--rollback", "333",        NULL };
    for (int round = 0; round < 2; round++) {
        pid_t producer = fx_producer (&fx, "sigma", args);
        zclock_sleep (2000 + randof (1000));
        assert_int_equal (kj_test_kill (producer, SIGKILL, 5000),
                          128 + SIGKILL);
    }
    //  What committed is in the outbox; a restarted service relays it
    const char *drain [] = { "--count", "0", NULL };
    fx_wait_ok (fx_producer (&fx, "sigma", drain), 60000);

    kj_db_t *db = kj_db_new (fx.dsn, "sigma", 5000);
    PGresult *res = kj_db_exec (db, "SELECT last_value FROM items_id_seq", 0,
                                NULL);
    assert_non_null (res);
    uint64_t taken = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    kj_db_destroy (&db);

    fx_check_t check;
    fx_check (&fx, (const char *[]){ "sigma", NULL }, &check);
    fx_assert_whole (&check);
    //  Ids were taken by transactions that never committed
    kj_info ("test.o2", "ids_taken=%" PRIu64 " committed=%" PRIu64, taken,
             check.items);
    assert_true (taken > check.items + 50);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  One transaction with one outbox row, as a service's handler writes it.

static void
s_commit_one (kj_db_t *db, int key)
{
    char text [24];
    snprintf (text, sizeof text, "%d", key);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.item", text), 0);
    assert_int_equal (kj_outbox_add (db, "test.item.created", text, NULL), 0);
    assert_int_equal (kj_db_commit (db), 0);
}

//  Milliseconds until the log's head reaches head (-1 after timeout_ms).

static int64_t
s_head_after (fx_t *fx, uint64_t head, int timeout_ms)
{
    int64_t start = kj_mono_us ();
    while (kj_mono_us () - start < (int64_t) timeout_ms * 1000) {
        uint64_t now, tail;
        if (fx_info (fx, &now, &tail) == 0 && now >= head)
            return (kj_mono_us () - start) / 1000;
        zclock_sleep (2);
    }
    return -1;
}

//  A session on a producer's schema, with its kj_outbox made.

static kj_db_t *
s_schema_db (fx_t *fx, const char *schema)
{
    kj_db_t *db = kj_db_new (fx->dsn, schema, 5000);
    static const kj_migration_t none [] = { { 0, NULL, NULL } };
    assert_int_equal (kj_db_migrate (db, none), 0);
    return db;
}

static kj_relay_t *
s_relay_start (fx_t *fx, const char *schema, int idle_ms, int timeout_ms)
{
    kj_db_t *db = s_schema_db (fx, schema);
    kj_db_destroy (&db);
    kj_relay_config_t rc = { .dsn = fx->dsn,
                             .schema = schema,
                             .broker = fx->broker.endpoint,
                             .city = "210100",
                             .idle_ms = idle_ms,
                             .timeout_ms = timeout_ms };
    return kj_relay_new (&rc);
}

//  --------------------------------------------------------------------------
//  An idle relay is woken by the producer's commit (NOTIFY), not by its
//  poll: with a 10 s poll, each of five single commits reaches the log
//  within a second.

static void
test_relay_woken_by_notify (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_notify", 1, NULL);
    kj_relay_t *relay = s_relay_start (&fx, "nu", 10000, 0);
    kj_relay_stats_t stats = { 0 };
    for (int i = 0; i < 500 && !stats.active; i++) {
        zclock_sleep (20);
        kj_relay_stats (relay, &stats);
    }
    assert_true (stats.active);
    zclock_sleep (500);  //  past its first read, into the wait
    kj_db_t *db = kj_db_new (fx.dsn, "nu", 5000);
    for (int round = 1; round <= 5; round++) {
        s_commit_one (db, round);
        int64_t msecs = s_head_after (&fx, (uint64_t) round, 5000);
        kj_info ("test.notify", "round=%d commit_to_log_ms=%" PRId64, round,
                 msecs);
        assert_true (msecs >= 0 && msecs < 1000);
        zclock_sleep (200);
    }
    //  A rolled-back transaction sends no wake-up and no event
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "test.item", "x"), 0);
    assert_int_equal (kj_outbox_add (db, "test.item.created", "x", NULL), 0);
    kj_db_rollback (db);
    assert_int_equal (s_head_after (&fx, 6, 500), -1);
    kj_db_destroy (&db);
    kj_relay_destroy (&relay);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  With no writer, the relay backs off: each retry waits at least twice the
//  last wait, from 100 ms up to 2 s and no further; when a writer comes
//  back, the relay goes on by itself and nothing is lost.

static void
test_relay_backoff (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_backoff", 1, NULL);
    assert_int_equal (kj_test_kill (fx.events [0], SIGTERM, 10000), 0);
    fx.events [0] = 0;
    kj_relay_t *relay = s_relay_start (&fx, "beta", 0, 100);
    int64_t at [9];
    uint64_t seen = 0;
    int64_t end = kj_mono_us () + 20000000;
    while (seen < 8 && kj_mono_us () < end) {
        kj_relay_stats_t stats;
        kj_relay_stats (relay, &stats);
        while (seen < stats.failures && seen < 8)
            at [seen++] = kj_mono_us ();
        zclock_sleep (5);
    }
    assert_int_equal (seen, 8);
    int waits [] = { 100, 200, 400, 800, 1600, 2000, 2000 };
    for (int i = 0; i < 7; i++) {
        int64_t gap = (at [i + 1] - at [i]) / 1000;
        kj_info ("test.backoff", "retry=%d gap_ms=%" PRId64, i + 1, gap);
        assert_true (gap >= waits [i] - 5);
    }
    //  The cap: no wait beyond 2 s (a doubling would be 3.2 s)
    assert_true ((at [7] - at [6]) / 1000 < 3200);
    assert_true ((at [6] - at [5]) / 1000 < 3200);

    fx_events_start (&fx, 0, NULL);
    assert_true (fx_writer_up (&fx, 15000));
    kj_db_t *db = kj_db_new (fx.dsn, "beta", 5000);
    s_commit_one (db, 1);
    assert_true (s_head_after (&fx, 1, 10000) >= 0);
    //  The log holds the row once the writer commits; the relay counts it
    //  when the reply reaches it, a moment later
    kj_relay_stats_t stats;
    int64_t until = kj_mono_us () + 5000000;
    do {
        kj_relay_stats (relay, &stats);
        if (stats.appended >= 1)
            break;
        zclock_sleep (10);
    } while (kj_mono_us () < until);
    assert_true (stats.active);
    assert_int_equal (stats.appended, 1);
    assert_int_equal (stats.duplicates, 0);
    kj_db_destroy (&db);
    kj_relay_destroy (&relay);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Rows in the outbox, and those of them at or below (txid, id).

static int
s_outbox_rows (kj_db_t *db, const char *txid, const char *id, int *below)
{
    const char *params [] = { txid, id };
    PGresult *res = kj_db_exec (db,
                                "SELECT count (*), count (*) FILTER (WHERE "
                                "(txid, id) <= ($1::xid8, $2::bigint)) "
                                "FROM kj_outbox",
                                2, params);
    assert_non_null (res);
    int rows = atoi (PQgetvalue (res, 0, 0));
    *below = atoi (PQgetvalue (res, 0, 1));
    PQclear (res);
    return rows;
}

//  The relay deletes only above its last delete (docs/events-design.md,
//  "Session 24"), and from the start every sweep_ms: relayed rows all go,
//  and a row left below an old cursor (a delete lost in a crash leaves
//  such rows) goes at the next sweep. It is never sent to the log.

static void
test_relay_deletes_and_sweeps (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_sweep", 1, NULL);
    kj_db_t *db = s_schema_db (&fx, "sw");
    kj_relay_config_t rc = { .dsn = fx.dsn,
                             .schema = "sw",
                             .broker = fx.broker.endpoint,
                             .city = "210100",
                             .sweep_ms = 1500 };
    kj_relay_t *relay = kj_relay_new (&rc);
    for (int key = 1; key <= 50; key++)
        s_commit_one (db, key);
    assert_true (s_head_after (&fx, 50, 10000) >= 0);
    //  A row below every cursor, as a lost delete would leave it
    assert_int_equal (kj_db_run (db,
                                 "INSERT INTO kj_outbox (txid, topic, key, "
                                 "payload_type, payload) VALUES ('3', "
                                 "'test.item.created', 'left', '', '')",
                                 0, NULL),
                      1);
    //  Relayed rows go by the bounded deletes, the leftover by a sweep
    int rows = -1, below = -1, commits = 50;
    int64_t end = kj_mono_us () + 10000000;
    while (kj_mono_us () < end) {
        s_commit_one (db, ++commits);
        zclock_sleep (20);
        kj_relay_stats_t stats;
        kj_relay_stats (relay, &stats);
        char txid [24], id [24];
        snprintf (txid, sizeof txid, "%" PRIu64, stats.cursor_txid);
        snprintf (id, sizeof id, "%" PRIu64, stats.cursor_id);
        rows = s_outbox_rows (db, txid, id, &below);
        if (rows <= 1 && below == 0)
            break;
    }
    kj_info ("test.sweep", "commits=%d rows=%d below_cursor=%d", commits, rows,
             below);
    assert_int_equal (below, 0);
    assert_true (rows <= 1);
    //  Every committed row in the log once, the leftover never
    assert_true (s_head_after (&fx, (uint64_t) commits, 10000) >= 0);
    zclock_sleep (300);
    uint64_t head, tail;
    assert_int_equal (fx_info (&fx, &head, &tail), 0);
    assert_int_equal (head, (uint64_t) commits);
    kj_db_destroy (&db);
    kj_relay_destroy (&relay);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The relay's own DELETE holds back the rows of every transaction that
//  began after it, and sends no NOTIFY: when it ends, the relay reads
//  again at once. Here a trigger makes one delete take a second; a row
//  committed meanwhile reaches the log when it ends, not at the next
//  poll (10 s). The old relay took the poll: about 10 s.

static void
test_relay_reads_when_delete_ends (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_delete_end", 1, NULL);
    kj_db_t *db = s_schema_db (&fx, "de");
    assert_int_equal (kj_db_run (db,
                                 "CREATE FUNCTION slow_delete () RETURNS "
                                 "trigger LANGUAGE plpgsql AS $$ BEGIN IF "
                                 "OLD.key = '1' THEN PERFORM pg_sleep (1); "
                                 "END IF; RETURN OLD; END $$",
                                 0, NULL),
                      0);
    assert_int_equal (kj_db_run (db,
                                 "CREATE TRIGGER slow_delete AFTER DELETE ON "
                                 "kj_outbox FOR EACH ROW EXECUTE FUNCTION "
                                 "slow_delete ()",
                                 0, NULL),
                      0);
    kj_relay_t *relay = s_relay_start (&fx, "de", 10000, 0);
    s_commit_one (db, 1);
    assert_true (s_head_after (&fx, 1, 10000) >= 0);
    zclock_sleep (300);  //  its delete is running, for a second
    s_commit_one (db, 2);
    int64_t msecs = s_head_after (&fx, 2, 15000);
    kj_info ("test.delete_end", "commit_to_log_ms=%" PRId64, msecs);
    assert_true (msecs >= 0 && msecs < 3000);
    kj_db_destroy (&db);
    kj_relay_destroy (&relay);
    fx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_events_outbox", getenv ("KEJIN_LOG_LEVEL"));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_o1_commit_order),
        cmocka_unit_test (test_o2_rollback_and_kill),
        cmocka_unit_test (test_relay_woken_by_notify),
        cmocka_unit_test (test_relay_backoff),
        cmocka_unit_test (test_relay_deletes_and_sweeps),
        cmocka_unit_test (test_relay_reads_when_delete_ends),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
