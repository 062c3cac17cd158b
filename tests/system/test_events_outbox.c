/*  =========================================================================
    test_events_outbox - the outbox and its relay against the commit-order
    trap (O1) and against rollbacks and a service killed mid-transaction
    (O2)
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
    const char *args [] = { "--writers", "16", "--count", "150",
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
        PGresult *res = kj_db_exec (db,
            "SELECT id FROM items WHERE id > $1 ORDER BY id", 1, params);
        if (!res) {             //  the producer has not made its table yet
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
        &&  strtoull (PQgetvalue (res, row, 0), NULL, 10) <= last)
            skipped++;
    PQclear (res);
    zhashx_destroy (&seen);
    kj_db_destroy (&db);
    kj_info ("test.o1", "committed=%" PRIu64 " naive_polls=%" PRIu64
             " naive_skipped=%" PRIu64, committed, polls, skipped);
    assert_int_equal (committed, 2400);
    assert_true (skipped > 0);          //  the trap is real in this test

    fx_check_t check;
    fx_check (&fx, (const char *[]) { "omega", NULL }, &check);
    fx_assert_whole (&check);           //  and the relay skipped nothing
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
    const char *args [] = { "--writers", "8", "--count", "100000",
                            "--sleep-ms", "50", "--rollback", "333", NULL };
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
    PGresult *res = kj_db_exec (db, "SELECT last_value FROM items_id_seq",
                                0, NULL);
    assert_non_null (res);
    uint64_t taken = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    kj_db_destroy (&db);

    fx_check_t check;
    fx_check (&fx, (const char *[]) { "sigma", NULL }, &check);
    fx_assert_whole (&check);
    //  Ids were taken by transactions that never committed
    kj_info ("test.o2", "ids_taken=%" PRIu64 " committed=%" PRIu64, taken,
             check.items);
    assert_true (taken > check.items + 50);
    fx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_events_outbox", getenv ("KEJIN_LOG_LEVEL"));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_o1_commit_order),
        cmocka_unit_test (test_o2_rollback_and_kill),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
