/*  =========================================================================
    test_kj_db - kj_db against a real PostgreSQL: statements, errors,
    transactions, migrations, bootstrap, and surviving lost connections

    Every test works in a schema of its own in one fresh database; the
    restart test runs a private cluster that it stops and starts.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char *s_dsn;  //  the test database, as postgres

//  --------------------------------------------------------------------------
//  Helpers

//  A connection working in schema, with the schema and common tables made.

static kj_db_t *
s_db (const char *schema)
{
    kj_db_t *db = kj_db_new (s_dsn, schema, 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    return db;
}

//  First value of a one-row query as a fresh string, or "(null)" for NULL;
//  fails the test if the query fails.

static char *
s_value (kj_db_t *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *result = kj_db_exec (db, sql, nparams, params);
    if (!result)
        fail_msg ("%s: %s %s", sql, kj_db_sqlstate (db), kj_db_error (db));
    assert_int_equal (PQntuples (result), 1);
    char *value = strdup (
        PQgetisnull (result, 0, 0) ? "(null)" : PQgetvalue (result, 0, 0));
    PQclear (result);
    return value;
}

static void
s_assert_value (kj_db_t *db, const char *sql, const char *param,
                const char *expected)
{
    const char *params [] = { param };
    char *value = s_value (db, sql, param ? 1 : 0, params);
    assert_string_equal (value, expected);
    free (value);
}

//  Ends a backend from another session, and waits until it is gone.

static void
s_terminate (const char *pid)
{
    PGconn *admin = PQconnectdb (s_dsn);
    assert_int_equal (PQstatus (admin), CONNECTION_OK);
    const char *params [] = { pid };
    PGresult *result =
        PQexecParams (admin, "SELECT pg_terminate_backend ($1::int, 5000)", 1,
                      NULL, params, NULL, NULL, 0);
    assert_int_equal (PQresultStatus (result), PGRES_TUPLES_OK);
    assert_string_equal (PQgetvalue (result, 0, 0), "t");
    PQclear (result);
    PQfinish (admin);
}

static char *
s_backend_pid (kj_db_t *db)
{
    return s_value (db, "SELECT pg_backend_pid ()", 0, NULL);
}

static int
s_group_setup (void **state)
{
    kj_log_init ("test_kj_db", NULL);
    s_dsn = kj_test_db_new ("test_kj_db");
    return 0;
}

static int
s_group_teardown (void **state)
{
    zstr_free (&s_dsn);
    return 0;
}

//  --------------------------------------------------------------------------
//  Statements

static void
test_exec_params_and_nulls (void **state)
{
    kj_db_t *db = s_db ("t_exec");
    assert_string_equal (kj_db_schema (db), "t_exec");
    assert_string_equal (kj_db_sqlstate (db), "");
    const char *params [] = { "abc", NULL, "41" };
    PGresult *result =
        kj_db_exec (db,
                    "SELECT $1::text, $2::text, $3::int + 1, $2::text IS NULL",
                    3, params);
    assert_non_null (result);
    assert_int_equal (PQresultStatus (result), PGRES_TUPLES_OK);
    assert_int_equal (PQntuples (result), 1);
    assert_string_equal (PQgetvalue (result, 0, 0), "abc");
    assert_true (PQgetisnull (result, 0, 1));
    assert_string_equal (PQgetvalue (result, 0, 2), "42");
    assert_string_equal (PQgetvalue (result, 0, 3), "t");
    PQclear (result);

    //  search_path is the schema alone
    s_assert_value (db, "SELECT current_schema ()", NULL, "t_exec");
    kj_db_destroy (&db);
    kj_db_destroy (&db);
    assert_null (db);
}

static void
test_run_counts_rows (void **state)
{
    kj_db_t *db = s_db ("t_run");
    assert_int_equal (kj_db_run (db, "CREATE TABLE r (n int)", 0, NULL), 0);
    assert_int_equal (
        kj_db_run (db, "INSERT INTO r SELECT generate_series (1, $1::int)", 1,
                   (const char *[]){ "3" }),
        3);
    assert_int_equal (kj_db_run (db, "UPDATE r SET n = n + 1", 0, NULL), 3);
    assert_int_equal (kj_db_run (db, "DELETE FROM r WHERE n >= 3", 0, NULL), 2);
    assert_int_equal (kj_db_run (db, "SELECT * FROM nowhere", 0, NULL), -1);
    assert_string_equal (kj_db_sqlstate (db), "42P01");
    kj_db_destroy (&db);
}

static void
test_exec_prepares_once (void **state)
{
    kj_db_t *db = s_db ("t_prepare");
    const char *sql = "SELECT $1::int * 2";
    for (int round = 0; round < 3; round++)
        s_assert_value (db, sql, "21", "42");
    s_assert_value (
        db, "SELECT count (*) FROM pg_prepared_statements WHERE statement = $1",
        sql, "1");
    //  A statement that fails to prepare is not cached: same error again.
    assert_null (kj_db_exec (db, "SELEC 1", 0, NULL));
    assert_string_equal (kj_db_sqlstate (db), "42601");
    assert_null (kj_db_exec (db, "SELEC 1", 0, NULL));
    assert_string_equal (kj_db_sqlstate (db), "42601");
    kj_db_destroy (&db);
}

static void
test_exec_unique_violation (void **state)
{
    kj_db_t *db = s_db ("t_unique");
    assert_int_equal (kj_db_run (db, "CREATE TABLE u (k text PRIMARY KEY)", 0,
                                 NULL),
                      0);
    const char *params [] = { "a" };
    const char *insert = "INSERT INTO u VALUES ($1)";
    assert_int_equal (kj_db_run (db, insert, 1, params), 1);
    assert_null (kj_db_exec (db, insert, 1, params));
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_non_null (strstr (kj_db_error (db), "duplicate key"));
    assert_false (kj_db_retryable (db));
    //  The next success clears the error.
    s_assert_value (db, "SELECT count (*) FROM u", NULL, "1");
    assert_string_equal (kj_db_sqlstate (db), "");
    assert_string_equal (kj_db_error (db), "");
    kj_db_destroy (&db);
}

static void
test_retryable_states (void **state)
{
    kj_db_t *db = s_db ("t_retry");
    assert_int_equal (kj_db_run (db,
                                 "CREATE FUNCTION fail_with (code text) "
                                 "RETURNS void LANGUAGE plpgsql"
                                 " AS $$ BEGIN RAISE EXCEPTION 'injected' "
                                 "USING ERRCODE = code; END $$",
                                 0, NULL),
                      0);
    const char *codes [] = { "40001", "40P01", "23505", "22012" };
    bool retryable [] = { true, true, false, false };
    for (int i = 0; i < 4; i++) {
        const char *params [] = { codes [i] };
        assert_null (kj_db_exec (db, "SELECT fail_with ($1)", 1, params));
        assert_string_equal (kj_db_sqlstate (db), codes [i]);
        assert_string_equal (kj_db_error (db), "injected");
        assert_int_equal (kj_db_retryable (db), retryable [i]);
    }
    kj_db_destroy (&db);
}

static void
test_new_refuses_bad_schema (void **state)
{
    assert_null (kj_db_new (s_dsn, "Bad-Name", 0));
    assert_null (kj_db_new (s_dsn, "x; DROP TABLE y", 0));
    assert_null (kj_db_new (s_dsn, "", 0));
    assert_null (kj_db_new (s_dsn, "9lives", 0));
    //  A reserved word is a fine schema name: it is quoted.
    kj_db_t *db = s_db ("select");
    s_assert_value (db, "SELECT current_schema ()", NULL, "select");
    kj_db_destroy (&db);
}

//  --------------------------------------------------------------------------
//  Transactions

static void
test_tx_commit_and_rollback (void **state)
{
    kj_db_t *db = s_db ("t_tx");
    assert_int_equal (kj_db_run (db, "CREATE TABLE t (k int PRIMARY KEY)", 0,
                                 NULL),
                      0);
    const char *insert = "INSERT INTO t VALUES ($1::int)";
    const char *count = "SELECT count (*) FROM t";

    assert_false (kj_db_in_tx (db));
    assert_int_equal (kj_db_begin (db), 0);
    assert_true (kj_db_in_tx (db));
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "1" }), 1);
    kj_db_rollback (db);
    assert_false (kj_db_in_tx (db));
    s_assert_value (db, count, NULL, "0");

    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "1" }), 1);
    assert_int_equal (kj_db_commit (db), 0);
    assert_false (kj_db_in_tx (db));
    s_assert_value (db, count, NULL, "1");

    //  Misuse is refused without harm.
    assert_int_equal (kj_db_commit (db), -1);
    kj_db_rollback (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_begin (db), -1);
    assert_true (kj_db_in_tx (db));
    kj_db_rollback (db);
    assert_false (kj_db_in_tx (db));
    kj_db_destroy (&db);
}

static void
test_tx_failed_statement_fails_commit (void **state)
{
    kj_db_t *db = s_db ("t_txfail");
    assert_int_equal (kj_db_run (db, "CREATE TABLE t (k int PRIMARY KEY)", 0,
                                 NULL),
                      0);
    const char *insert = "INSERT INTO t VALUES ($1::int)";
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "1" }), 1);

    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "2" }), 1);
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "1" }), -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");
    //  Later statements fail too, and the first error is the one kept.
    assert_null (kj_db_exec (db, "SELECT 1", 0, NULL));
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_int_equal (kj_db_commit (db), -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_false (kj_db_in_tx (db));
    s_assert_value (db, "SELECT string_agg (k::text, ',') FROM t", NULL, "1");
    kj_db_destroy (&db);
}

//  A keyed write as kj_worker makes it: BEGIN, the key's lock and look-up,
//  the handler's statement, the audit row, the key's row, COMMIT and the
//  wake-up. Once prepared, that is three round trips (it was eight, one
//  per statement), and it does what the eight did.

//  Notifications the listener gets within ms (delivery is asynchronous),
//  counting until want
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

//  kj_db_notified within ms: polls the session's socket until it answers
//  other than 0
static int
s_notified (kj_db_t *db, int ms)
{
    int64_t deadline = zclock_mono () + ms;
    int rc = 0;
    while (rc == 0 && zclock_mono () < deadline) {
        struct pollfd item = { PQsocket (kj_db_conn (db)), POLLIN, 0 };
        poll (&item, 1, 50);
        rc = kj_db_notified (db);
    }
    return rc;
}

//  The listener's side: nothing before a NOTIFY, 1 after it, then nothing
//  (it was drained); -1 once the session is gone
static void
test_notified (void **state)
{
    (void) state;
    kj_db_t *listener = s_db ("t_notified");
    kj_db_t *db = s_db ("t_notified");
    assert_int_equal (kj_db_run (listener, "LISTEN t_note", 0, NULL), 0);
    assert_int_equal (kj_db_notified (listener), 0);
    assert_int_equal (kj_db_run (db, "NOTIFY t_note", 0, NULL), 0);
    assert_int_equal (s_notified (listener, 5000), 1);
    assert_int_equal (s_notified (listener, 300), 0);  //  drained
    char *pid = s_backend_pid (listener);
    s_terminate (pid);
    free (pid);
    assert_int_equal (s_notified (listener, 5000), -1);
    kj_db_destroy (&listener);
    kj_db_destroy (&db);
}

static int
s_keyed_write (kj_db_t *db, const char *k)
{
    const char *key [] = { k };
    if (kj_db_begin (db)
        || kj_db_defer (db, "SELECT pg_advisory_xact_lock (1, hashtext ($1))",
                        1, key))
        return -1;
    PGresult *seen = kj_db_exec (db, "SELECT 1 FROM t WHERE k = $1::int", 1,
                                 key);
    if (!seen)
        return -1;
    PQclear (seen);
    if (kj_db_run (db, "INSERT INTO t VALUES ($1::int)", 1, key) != 1
        || kj_db_defer (db, "INSERT INTO audit VALUES ($1::int)", 1, key)
        || kj_db_defer (db, "INSERT INTO audit VALUES (-$1::int)", 1, key))
        return -1;
    kj_db_notify_after_commit (db, "t_trips");
    return kj_db_commit (db);
}

static void
test_tx_round_trips (void **state)
{
    kj_db_t *db = s_db ("t_trips");
    assert_int_equal (kj_db_run (db, "CREATE TABLE t (k int PRIMARY KEY)", 0,
                                 NULL),
                      0);
    assert_int_equal (kj_db_run (db, "CREATE TABLE audit (k int PRIMARY KEY)",
                                 0, NULL),
                      0);
    PGconn *listener = PQconnectdb (s_dsn);
    assert_int_equal (PQstatus (listener), CONNECTION_OK);
    PQclear (PQexec (listener, "LISTEN t_trips"));

    assert_int_equal (s_keyed_write (db, "1"), 0);  //  prepares
    uint64_t before = kj_db_round_trips (db);
    assert_int_equal (s_keyed_write (db, "2"), 0);
    assert_int_equal (kj_db_round_trips (db) - before, 3);
    s_assert_value (db,
                    "SELECT string_agg (k::text, ',' ORDER BY k) FROM audit",
                    NULL, "-2,-1,1,2");
    //  The wake-up came, after each commit
    assert_int_equal (s_wakeups (listener, 2, 5000), 2);

    //  A transaction that sends nothing costs nothing
    before = kj_db_round_trips (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_commit (db), 0);
    assert_int_equal (kj_db_begin (db), 0);
    kj_db_rollback (db);
    assert_int_equal (kj_db_round_trips (db) - before, 0);

    //  A deferred row that fails fails the commit, with its own state;
    //  nothing of the transaction stays, no wake-up goes, and the
    //  connection serves on
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, "INSERT INTO t VALUES ($1::int)", 1,
                                 (const char *[]){ "3" }),
                      1);
    assert_int_equal (kj_db_defer (db, "INSERT INTO audit VALUES ($1::int)", 1,
                                   (const char *[]){ "1" }),
                      0);
    kj_db_notify_after_commit (db, "t_trips");
    assert_int_equal (kj_db_commit (db), -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_false (kj_db_in_tx (db));
    s_assert_value (db, "SELECT count (*) FROM t", NULL, "2");
    assert_int_equal (s_wakeups (listener, 1, 300), 0);

    //  ... and fails the next statement that goes with it
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_defer (db, "INSERT INTO audit VALUES ($1::int)", 1,
                                   (const char *[]){ "2" }),
                      0);
    assert_null (kj_db_exec (db, "SELECT count (*) FROM t", 0, NULL));
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_null (kj_db_exec (db, "SELECT 1", 0, NULL));
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_int_equal (kj_db_commit (db), -1);
    assert_false (kj_db_in_tx (db));
    assert_int_equal (s_keyed_write (db, "4"), 0);
    s_assert_value (db, "SELECT count (*) FROM audit", NULL, "6");

    //  Outside a transaction a deferred statement runs at once
    assert_int_equal (kj_db_defer (db, "INSERT INTO audit VALUES ($1::int)", 1,
                                   (const char *[]){ "9" }),
                      0);
    s_assert_value (db, "SELECT count (*) FROM audit", NULL, "7");
    assert_int_equal (kj_db_defer (db, "INSERT INTO audit VALUES ($1::int)", 1,
                                   (const char *[]){ "9" }),
                      -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");

    //  A session lost before the transaction's first statement went: it
    //  runs on a new one, as a lone statement would
    char *pid = s_backend_pid (db);
    s_terminate (pid);
    assert_int_equal (s_keyed_write (db, "5"), 0);
    char *after = s_backend_pid (db);
    assert_string_not_equal (after, pid);
    s_assert_value (db, "SELECT count (*) FROM t WHERE k = 5", NULL, "1");
    free (pid);
    free (after);
    PQfinish (listener);
    kj_db_destroy (&db);
}

//  --------------------------------------------------------------------------
//  A deferred look-up whose result is kept: it goes with the next
//  statement, its result survives a later statement's failure, is dropped
//  when one before it fails, and kj_db_kept sends it when nothing else
//  did, leaving what was deferred after it for COMMIT

static void
test_defer_keep (void **state)
{
    kj_db_t *db = s_db ("t_keep");
    assert_int_equal (kj_db_run (db, "CREATE TABLE t (k int PRIMARY KEY)", 0,
                                 NULL),
                      0);
    assert_int_equal (kj_db_run (db, "INSERT INTO t VALUES (1)", 0, NULL), 1);
    const char *look = "SELECT count (*) FROM t WHERE k = $1::int";
    const char *one [] = { "1" };
    PGresult *kept = NULL, *res = NULL;
    for (int pass = 0; pass < 2; pass++) {  //  the first prepares
        uint64_t before = kj_db_round_trips (db);
        assert_int_equal (kj_db_begin (db), 0);
        assert_int_equal (kj_db_defer (db,
                                       "SELECT pg_advisory_xact_lock (1, 2)", 0,
                                       NULL),
                          0);
        assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
        assert_null (kept);
        res = kj_db_exec (db, "SELECT 2", 0, NULL);
        assert_non_null (res);
        PQclear (res);
        assert_non_null (kept);
        assert_string_equal (PQgetvalue (kept, 0, 0), "1");
        assert_int_equal (kj_db_kept (db, &kept), 0);  //  nothing to send
        PQclear (kept);
        assert_int_equal (kj_db_commit (db), 0);
        if (pass == 1)  //  BEGIN, lock, look-up, SELECT; COMMIT
            assert_int_equal (kj_db_round_trips (db) - before, 2);
    }

    //  A statement after it fails: the result stays, the error is the
    //  statement's
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
    assert_null (kj_db_exec (db, "INSERT INTO t VALUES ($1::int)", 1, one));
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_int_equal (kj_db_kept (db, &kept), 0);
    assert_string_equal (PQgetvalue (kept, 0, 0), "1");
    PQclear (kept);
    kj_db_rollback (db);

    //  A statement before it fails: no result, and its error
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_defer (db, "INSERT INTO t VALUES ($1::int)", 1,
                                   one),
                      0);
    assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
    assert_null (kj_db_exec (db, "SELECT 2", 0, NULL));
    assert_null (kept);
    assert_int_equal (kj_db_kept (db, &kept), -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");
    kj_db_rollback (db);

    //  Nothing sent it: kj_db_kept does, in one round trip with BEGIN and
    //  what was deferred before it; what was deferred after it goes with
    //  COMMIT, and its failure fails the COMMIT
    uint64_t before = kj_db_round_trips (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_defer (db, "SELECT pg_advisory_xact_lock (1, 2)", 0,
                                   NULL),
                      0);
    assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
    assert_int_equal (kj_db_defer (db, "INSERT INTO t VALUES ($1::int)", 1,
                                   one),
                      0);
    assert_int_equal (kj_db_kept (db, &kept), 0);
    assert_int_equal (kj_db_round_trips (db) - before, 1);
    assert_string_equal (PQgetvalue (kept, 0, 0), "1");
    PQclear (kept);
    assert_int_equal (kj_db_commit (db), -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_int_equal (kj_db_round_trips (db) - before, 3);  //  and ROLLBACK

    //  A rollback drops it unsent
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
    kj_db_rollback (db);
    assert_null (kept);
    assert_int_equal (kj_db_kept (db, &kept), -1);
    assert_string_equal (kj_db_sqlstate (db), "XX000");

    //  Outside a transaction it runs at once
    assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
    assert_string_equal (PQgetvalue (kept, 0, 0), "1");
    PQclear (kept);

    //  The session lost before the transaction's first round trip: the
    //  whole of it runs on a new one, the result kept from there
    char *pid = s_backend_pid (db);
    s_terminate (pid);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_defer_keep (db, look, 1, one, &kept), 0);
    res = kj_db_exec (db, "SELECT pg_backend_pid ()", 0, NULL);
    assert_non_null (res);
    assert_string_not_equal (PQgetvalue (res, 0, 0), pid);
    PQclear (res);
    assert_string_equal (PQgetvalue (kept, 0, 0), "1");
    PQclear (kept);
    assert_int_equal (kj_db_commit (db), 0);
    free (pid);
    kj_db_destroy (&db);
}

//  Wake-ups the listener gets on other channels before one on
//  "t_wake_done" (PostgreSQL delivers them in commit order); -1 if that
//  never came
static int
s_wakeups_before_done (PGconn *listener, int ms)
{
    int woken = 0;
    int64_t deadline = zclock_mono () + ms;
    while (zclock_mono () < deadline) {
        struct pollfd item = { PQsocket (listener), POLLIN, 0 };
        poll (&item, 1, 50);
        PQconsumeInput (listener);
        PGnotify *note;
        while ((note = PQnotifies (listener))) {
            bool done = streq (note->relname, "t_wake_done");
            PQfreemem (note);
            if (done)
                return woken;
            woken++;
        }
    }
    return -1;
}

//  A COMMIT that fails (here a deferred key, checked at commit) sends no
//  wake-up; one that succeeds sends one, and the wake-up's setting
//  (synchronous_commit off) does not outlive it. Session 27: the wake-up
//  had a Sync of its own, so it went after a failed COMMIT too.

static void
test_tx_failed_commit_wakes_nobody (void **state)
{
    kj_db_t *db = s_db ("t_wake");
    assert_int_equal (kj_db_run (db,
                                 "CREATE TABLE t (k int UNIQUE "
                                 "DEFERRABLE INITIALLY DEFERRED)",
                                 0, NULL),
                      0);
    const char *insert = "INSERT INTO t VALUES ($1::int)";
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "1" }), 1);
    PGconn *listener = PQconnectdb (s_dsn);
    assert_int_equal (PQstatus (listener), CONNECTION_OK);
    PQclear (PQexec (listener, "LISTEN t_wake"));
    PQclear (PQexec (listener, "LISTEN t_wake_done"));

    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "1" }), 1);
    kj_db_notify_after_commit (db, "t_wake");
    assert_int_equal (kj_db_commit (db), -1);
    assert_string_equal (kj_db_sqlstate (db), "23505");
    assert_false (kj_db_in_tx (db));

    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, insert, 1, (const char *[]){ "2" }), 1);
    kj_db_notify_after_commit (db, "t_wake");
    assert_int_equal (kj_db_commit (db), 0);
    s_assert_value (db, "SELECT string_agg (k::text, ',' ORDER BY k) FROM t",
                    NULL, "1,2");
    s_assert_value (db, "SHOW synchronous_commit", NULL, "on");
    assert_int_equal (kj_db_run (db, "NOTIFY t_wake_done", 0, NULL), 0);
    assert_int_equal (s_wakeups_before_done (listener, 10000), 1);
    PQfinish (listener);
    kj_db_destroy (&db);
}

//  The keys a transaction locked, for the outbox's check; the lock itself
//  goes with the next statement, and is held from there to the end

static void
test_lock_key_held (void **state)
{
    kj_db_t *db = s_db ("t_held");
    kj_db_t *other = s_db ("t_held");
    const char *held = "SELECT count (*) FROM pg_locks WHERE locktype = "
                       "'advisory' AND classid = " KJ_LOCK_ENTITY
                       " AND granted AND pid <> pg_backend_pid ()";
    assert_false (kj_db_holds_key (db, NULL, "D000001"));
    assert_int_equal (kj_db_begin (db), 0);
    assert_false (kj_db_holds_key (db, NULL, "D000001"));
    uint64_t before = kj_db_round_trips (db);
    assert_int_equal (kj_db_lock_key (db, "matching.demand", "D000001"), 0);
    assert_int_equal (kj_db_round_trips (db), before);
    assert_true (kj_db_holds_key (db, NULL, "D000001"));
    assert_false (kj_db_holds_key (db, NULL, "D000002"));
    s_assert_value (db, "SELECT 1", NULL, "1");
    s_assert_value (other, held, NULL, "1");
    assert_int_equal (kj_db_commit (db), 0);
    assert_false (kj_db_holds_key (db, NULL, "D000001"));
    s_assert_value (other, held, NULL, "0");
    //  A rollback forgets them too
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_lock_key (db, "matching.demand", "D000003"), 0);
    kj_db_rollback (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_false (kj_db_holds_key (db, NULL, "D000003"));
    kj_db_rollback (db);
    //  Many keys are each known, and no other one: there is no "too many
    //  to tell" that would let an unlocked key through
    assert_int_equal (kj_db_begin (db), 0);
    char key [16];
    for (int i = 0; i < 100; i++) {
        snprintf (key, sizeof key, "K%03d", i);
        assert_int_equal (kj_db_lock_key (db, "test.many", key), 0);
    }
    assert_true (kj_db_holds_key (db, NULL, "K000"));
    assert_true (kj_db_holds_key (db, NULL, "K099"));
    assert_false (kj_db_holds_key (db, NULL, "K100"));
    //  A topic's lock holds every key of that topic, of no other
    assert_int_equal (kj_db_lock_topic (db, "test.topic", false), 0);
    assert_true (kj_db_holds_key (db, "test.topic", "K100"));
    assert_false (kj_db_holds_key (db, "test.other", "K100"));
    assert_int_equal (kj_db_commit (db), 0);
    kj_db_destroy (&other);
    kj_db_destroy (&db);
}

//  COPY: rows in, or the error recorded and the transaction failed

static void
test_copy_rows_and_errors (void **state)
{
    kj_db_t *db = s_db ("t_copy");
    assert_int_equal (kj_db_run (db, "CREATE TABLE c (k int, v text)", 0, NULL),
                      0);
    const char *rows = "1\tone\n2\t\\N\n3\ttab\\there\n";
    assert_int_equal (kj_db_copy (db, "COPY c FROM STDIN", rows, strlen (rows)),
                      0);
    s_assert_value (db,
                    "SELECT string_agg (k || '=' || coalesce (v, 'NULL'), "
                    "',' ORDER BY k) FROM c",
                    NULL, "1=one,2=NULL,3=tab\there");
    //  A bad row: -1, the SQLSTATE kept, the transaction failed with it
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_copy (db, "COPY c FROM STDIN", "4\tfour\n", 7), 0);
    assert_int_equal (kj_db_copy (db, "COPY c FROM STDIN", "x\ty\n", 4), -1);
    assert_string_equal (kj_db_sqlstate (db), "22P02");
    assert_int_equal (kj_db_commit (db), -1);
    assert_string_equal (kj_db_sqlstate (db), "22P02");
    s_assert_value (db, "SELECT count (*) FROM c", NULL, "3");
    //  Not a COPY, or no such table: -1 with the reason
    assert_int_equal (kj_db_copy (db, "COPY nowhere FROM STDIN", "", 0), -1);
    assert_string_equal (kj_db_sqlstate (db), "42P01");
    //  As a stream: pieces cut anywhere, stored once the COPY ends; a
    //  stream the caller gives up stores nothing
    assert_int_equal (kj_db_copy_begin (db, "COPY c FROM STDIN"), 0);
    assert_int_equal (kj_db_copy_put (db, "5\tfi", 4), 0);
    assert_int_equal (kj_db_copy_put (db, "ve\n6\tsix\n", 9), 0);
    assert_int_equal (kj_db_copy_end (db, false), 0);
    s_assert_value (db,
                    "SELECT string_agg (v, ',' ORDER BY k) FROM c "
                    "WHERE k > 4",
                    NULL, "five,six");
    assert_int_equal (kj_db_copy_begin (db, "COPY c FROM STDIN"), 0);
    assert_int_equal (kj_db_copy_put (db, "7\tseven\n", 8), 0);
    assert_int_equal (kj_db_copy_end (db, true), -1);
    s_assert_value (db, "SELECT count (*) FROM c", NULL, "5");
    assert_int_equal (kj_db_copy_put (db, "8\teight\n", 8), -1);
    assert_int_equal (kj_db_copy_end (db, false), -1);
    kj_db_destroy (&db);
}

//  --------------------------------------------------------------------------
//  Migrations

static const char *
s_versions (kj_db_t *db)
{
    static char versions [64];
    char *value = s_value (
        db,
        "SELECT coalesce (string_agg (version || ':' || name, ',' ORDER BY"
        " version), '') FROM kj_migrations",
        0, NULL);
    kj_strlcpy (versions, value, sizeof versions);
    free (value);
    return versions;
}

static void
test_migrate_applies_once (void **state)
{
    const kj_migration_t migrations [] = {
        { 1, "001_a", "CREATE TABLE a (x int);\nCREATE TABLE b (y int);" },
        { 2, "002_seed", "INSERT INTO a VALUES (1);" },
        { 0, NULL, NULL }
    };
    kj_db_t *db = kj_db_new (s_dsn, "t_migrate", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, migrations), 0);
    assert_string_equal (s_versions (db), "1:001_a,2:002_seed");
    assert_int_equal (kj_db_migrate (db, migrations), 0);
    assert_string_equal (s_versions (db), "1:001_a,2:002_seed");
    s_assert_value (db, "SELECT count (*) FROM a", NULL, "1");
    s_assert_value (db,
                    "SELECT nspname FROM pg_namespace n JOIN pg_class c"
                    " ON c.relnamespace = n.oid WHERE c.relname = 'b'",
                    NULL, "t_migrate");

    //  A later version is applied on its own.
    const kj_migration_t more [] = { migrations [0],
                                     migrations [1],
                                     { 3, "003_more",
                                       "INSERT INTO a VALUES (3);" },
                                     { 0, NULL, NULL } };
    assert_int_equal (kj_db_migrate (db, more), 0);
    assert_string_equal (s_versions (db), "1:001_a,2:002_seed,3:003_more");
    s_assert_value (db, "SELECT sum (x) FROM a", NULL, "4");

    //  Versions out of order are a mistake, refused before any work.
    const kj_migration_t unordered [] = { { 5, "005_x", "SELECT 1;" },
                                          { 4, "004_y", "SELECT 1;" },
                                          { 0, NULL, NULL } };
    assert_int_equal (kj_db_migrate (db, unordered), -1);
    assert_string_equal (s_versions (db), "1:001_a,2:002_seed,3:003_more");
    kj_db_destroy (&db);
}

static void
test_migrate_failure_records_nothing (void **state)
{
    const kj_migration_t migrations [] = {
        { 1, "001_ok", "CREATE TABLE a (x int);" },
        { 2, "002_bad", "CREATE TABLE b (x int);\nSELECT 1 / 0;" },
        { 3, "003_after", "CREATE TABLE c (x int);" },
        { 0, NULL, NULL }
    };
    kj_db_t *db = kj_db_new (s_dsn, "t_migfail", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, migrations), -1);
    assert_string_equal (kj_db_sqlstate (db), "22012");
    assert_false (kj_db_in_tx (db));
    assert_string_equal (s_versions (db), "1:001_ok");
    s_assert_value (db,
                    "SELECT to_regclass ('b') IS NULL"
                    " AND to_regclass ('c') IS NULL",
                    NULL, "t");

    //  Fixed, the same run goes through.
    const kj_migration_t fixed [] = { migrations [0],
                                      { 2, "002_bad",
                                        "CREATE TABLE b (x int);" },
                                      migrations [2],
                                      { 0, NULL, NULL } };
    assert_int_equal (kj_db_migrate (db, fixed), 0);
    assert_string_equal (s_versions (db), "1:001_ok,2:002_bad,3:003_after");
    //  The lock was released after each run.
    s_assert_value (db,
                    "SELECT count (*) FROM pg_locks"
                    " WHERE locktype = 'advisory'",
                    NULL, "0");
    kj_db_destroy (&db);
}

static const kj_migration_t s_race [] = {
    { 1, "001_counter",
      "CREATE TABLE counter (n int);\n"
      "SELECT pg_sleep (0.2);" },
    { 2, "002_two", "INSERT INTO counter VALUES (2);" },
    { 3, "003_three", "INSERT INTO counter VALUES (3);" },
    { 0, NULL, NULL }
};

static void *
s_migrate_thread (void *arg)
{
    kj_db_t *db = kj_db_new (s_dsn, "t_race", 5000);
    intptr_t rc = db ? kj_db_migrate (db, s_race) : -2;
    kj_db_destroy (&db);
    return (void *) rc;
}

static void
test_migrate_concurrently_applies_each_once (void **state)
{
    pthread_t threads [4];
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads [i], NULL, s_migrate_thread,
                                          NULL),
                          0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join (threads [i], &rc);
        assert_int_equal ((intptr_t) rc, 0);
    }
    kj_db_t *db = kj_db_new (s_dsn, "t_race", 0);
    assert_non_null (db);
    assert_string_equal (s_versions (db),
                         "1:001_counter,2:002_two,3:003_three");
    s_assert_value (db, "SELECT count (*) || ' ' || sum (n) FROM counter", NULL,
                    "2 5");
    kj_db_destroy (&db);
}

static void
test_migrate_makes_common_tables (void **state)
{
    kj_db_t *db = s_db ("t_outbox");
    s_assert_value (db,
                    "SELECT string_agg (table_name, ',' ORDER BY"
                    " table_name) FROM information_schema.tables"
                    " WHERE table_schema = $1",
                    "t_outbox", "kj_idempotency,kj_migrations,kj_outbox");
    s_assert_value (db,
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = $1"
                    " AND indexname = 'kj_outbox_txid_id'",
                    "t_outbox",
                    "CREATE INDEX kj_outbox_txid_id ON t_outbox.kj_outbox"
                    " USING btree (txid, id)");

    //  An outbox row carries the id of the transaction that wrote it.
    assert_int_equal (kj_db_begin (db), 0);
    const char *params [] = { "registry.enterprise", "91210100MA0XXXXX1X",
                              "kj.Test", "\\x0102" };
    PGresult *result =
        kj_db_exec (db,
                    "INSERT INTO kj_outbox (topic, key, payload_type, payload)"
                    " VALUES ($1, $2, $3, $4)"
                    " RETURNING txid = pg_current_xact_id (), id",
                    4, params);
    assert_non_null (result);
    assert_string_equal (PQgetvalue (result, 0, 0), "t");
    assert_string_equal (PQgetvalue (result, 0, 1), "1");
    PQclear (result);
    assert_int_equal (kj_db_commit (db), 0);
    s_assert_value (db,
                    "SELECT payload = '\\x0102'::bytea AND txid IS NOT NULL"
                    " AND occurred_at IS NOT NULL FROM kj_outbox",
                    NULL, "t");

    //  kj_idempotency takes a row as documented.
    assert_int_equal (
        kj_db_run (db,
                   "INSERT INTO kj_idempotency (key, method, request_hash)"
                   " VALUES ('k1', 'registry.Register', '\\x00')",
                   0, NULL),
        1);
    kj_db_destroy (&db);
}

//  --------------------------------------------------------------------------
//  Bootstrap

static void *
s_bootstrap_thread (void *arg)
{
    return (void *) (intptr_t) kj_db_bootstrap (s_dsn, "svc_race",
                                                (const char *) arg);
}

static void
test_bootstrap_role_and_schema (void **state)
{
    char role [32];
    snprintf (role, sizeof role, "svc_%d", (int) getpid ());
    assert_int_equal (kj_db_bootstrap (s_dsn, "svc", role), 0);
    assert_int_equal (kj_db_bootstrap (s_dsn, "svc", role), 0);
    assert_int_equal (kj_db_bootstrap (s_dsn, "svc", "Bad Role"), -1);

    kj_db_t *admin = kj_db_new (s_dsn, "public", 0);
    assert_non_null (admin);
    s_assert_value (admin,
                    "SELECT rolcanlogin::text || rolsuper::text"
                    " || array_to_string (rolconfig, ',')"
                    " FROM pg_roles WHERE rolname = $1",
                    role, "truefalsesearch_path=svc");
    s_assert_value (admin,
                    "SELECT nspowner::regrole::text FROM pg_namespace"
                    " WHERE nspname = 'svc'",
                    NULL, role);

    //  The role migrates its own schema and may not create elsewhere. It
    //  logs in by password: the cluster trusts no one but its owner.
    char *sql = zsys_sprintf ("ALTER ROLE %s PASSWORD 'svc-secret'", role);
    assert_int_equal (kj_db_run (admin, sql, 0, NULL), 0);
    zstr_free (&sql);
    char *dsn = zsys_sprintf ("%s user=%s password=svc-secret", s_dsn, role);
    kj_db_t *db = kj_db_new (dsn, "svc", 0);
    assert_non_null (db);
    s_assert_value (db, "SELECT current_user", NULL, role);
    const kj_migration_t migrations [] = {
        { 1, "001_t", "CREATE TABLE t (x int);" }, { 0, NULL, NULL }
    };
    assert_int_equal (kj_db_migrate (db, migrations), 0);
    assert_int_equal (kj_db_migrate (db, migrations), 0);
    s_assert_value (db,
                    "SELECT tableowner FROM pg_tables"
                    " WHERE schemaname = 'svc' AND tablename = 't'",
                    NULL, role);
    assert_int_equal (kj_db_run (db, "CREATE TABLE public.z (x int)", 0, NULL),
                      -1);
    assert_string_equal (kj_db_sqlstate (db), "42501");
    kj_db_destroy (&db);
    zstr_free (&dsn);

    //  Processes bootstrapping together all succeed.
    char racer [32];
    snprintf (racer, sizeof racer, "racer_%d", (int) getpid ());
    pthread_t threads [4];
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads [i], NULL,
                                          s_bootstrap_thread, racer),
                          0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join (threads [i], &rc);
        assert_int_equal ((intptr_t) rc, 0);
    }
    s_assert_value (admin,
                    "SELECT nspowner::regrole::text FROM pg_namespace"
                    " WHERE nspname = 'svc_race'",
                    NULL, racer);
    kj_db_destroy (&admin);
}

//  --------------------------------------------------------------------------
//  Lost connections

static void
test_exec_many_in_one_batch (void **state)
{
    kj_db_t *db = s_db ("t_many");
    assert_int_equal (kj_db_run (db,
                                 "CREATE TABLE t (k int PRIMARY KEY, "
                                 "v text)",
                                 0, NULL),
                      0);
    assert_int_equal (kj_db_run (db,
                                 "INSERT INTO t VALUES (1, 'a'), "
                                 "(2, 'b'), (3, 'c')",
                                 0, NULL),
                      3);
    const char *one [] = { "1" };
    const char *two [] = { "2", "9" };
    kj_db_query_t queries [] = {
        { "SELECT v FROM t WHERE k = $1::int", 1, one },
        { "SELECT count (*) FROM t", 0, NULL },
        { "SELECT v FROM t WHERE k IN ($1::int, $2::int) ORDER BY k", 2, two }
    };
    PGresult *results [3];
    //  Twice: the second time every statement is prepared already
    for (int round = 0; round < 2; round++) {
        assert_int_equal (kj_db_exec_many (db, queries, 3, results), 0);
        assert_string_equal (PQgetvalue (results [0], 0, 0), "a");
        assert_string_equal (PQgetvalue (results [1], 0, 0), "3");
        assert_int_equal (PQntuples (results [2]), 1);
        assert_string_equal (PQgetvalue (results [2], 0, 0), "b");
        for (int i = 0; i < 3; i++)
            PQclear (results [i]);
    }
    //  A connection in pipeline mode is back to normal afterwards
    s_assert_value (db, "SELECT v FROM t WHERE k = $1::int", "3", "c");
    kj_db_destroy (&db);
}

static void
test_exec_many_error_fails_all (void **state)
{
    kj_db_t *db = s_db ("t_many_error");
    const char *bad [] = { "not a number" };
    kj_db_query_t queries [] = { { "SELECT 1", 0, NULL },
                                 { "SELECT $1::int", 1, bad },
                                 { "SELECT 3", 0, NULL } };
    PGresult *results [3];
    assert_int_equal (kj_db_exec_many (db, queries, 3, results), -1);
    for (int i = 0; i < 3; i++)
        assert_null (results [i]);
    //  The first error is the one kept: invalid_text_representation
    assert_string_equal (kj_db_sqlstate (db), "22P02");
    //  And the connection serves on
    s_assert_value (db, "SELECT $1::int + 1", "1", "2");
    //  A batch reconnects after a lost session, as a statement does
    char *pid = s_backend_pid (db);
    s_terminate (pid);
    kj_db_query_t ok [] = { { "SELECT 1", 0, NULL } };
    assert_int_equal (kj_db_exec_many (db, ok, 1, results), 0);
    assert_string_equal (PQgetvalue (results [0], 0, 0), "1");
    PQclear (results [0]);
    char *after = s_backend_pid (db);
    assert_string_not_equal (after, pid);
    free (pid);
    free (after);
    kj_db_destroy (&db);
}

static void
test_exec_reconnects_outside_tx (void **state)
{
    kj_db_t *db = s_db ("t_reconnect");
    char *before = s_backend_pid (db);
    s_terminate (before);
    //  The cached statement meets the dead session, reconnects, re-prepares.
    char *after = s_backend_pid (db);
    assert_string_not_equal (after, before);
    assert_string_equal (kj_db_sqlstate (db), "");
    s_assert_value (db, "SELECT current_schema ()", NULL, "t_reconnect");

    //  And so does a statement not prepared yet.
    s_terminate (after);
    s_assert_value (db, "SELECT $1::int + 1", "1", "2");
    char *third = s_backend_pid (db);
    assert_string_not_equal (third, after);
    free (before);
    free (after);
    free (third);
    kj_db_destroy (&db);
}

static void
test_exec_in_tx_fails_on_lost_connection (void **state)
{
    kj_db_t *db = s_db ("t_lost");
    assert_int_equal (kj_db_run (db, "CREATE TABLE t (k int)", 0, NULL), 0);
    char *pid = s_backend_pid (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, "INSERT INTO t VALUES (1)", 0, NULL), 1);
    s_terminate (pid);

    assert_null (kj_db_exec (db, "SELECT count (*) FROM t", 0, NULL));
    assert_true (kj_db_retryable (db));
    assert_true (kj_db_in_tx (db));
    //  No silent reconnect in the middle of a transaction.
    assert_null (kj_db_exec (db, "SELECT 1", 0, NULL));
    assert_true (kj_db_retryable (db));
    kj_db_rollback (db);
    assert_false (kj_db_in_tx (db));
    assert_true (kj_db_retryable (db));  //  the reason stays for the caller

    //  The retried transaction runs on a new connection.
    s_assert_value (db, "SELECT count (*) FROM t", NULL, "0");
    free (pid);

    //  A commit on a lost connection fails, retryable, and ends the tx.
    pid = s_backend_pid (db);
    assert_int_equal (kj_db_begin (db), 0);
    assert_int_equal (kj_db_run (db, "INSERT INTO t VALUES (2)", 0, NULL), 1);
    s_terminate (pid);
    assert_int_equal (kj_db_commit (db), -1);
    assert_true (kj_db_retryable (db));
    assert_false (kj_db_in_tx (db));
    kj_db_rollback (db);
    s_assert_value (db, "SELECT count (*) FROM t", NULL, "0");
    free (pid);
    kj_db_destroy (&db);
}

//  deploy/pg.sh COMMAND DIR; exit status.

static int
s_pg_sh (const char *command, const char *dir)
{
    const char *root = getenv ("KEJIN_ROOT");
    char *line = zsys_sprintf ("%s/deploy/pg.sh %s %s >/dev/null",
                               root ? root : ".", command, dir);
    int rc = system (line);
    zstr_free (&line);
    return rc;
}

//  Starts the cluster in dir after a second, in the background.

static pid_t
s_pg_start_later (const char *dir)
{
    const char *root = getenv ("KEJIN_ROOT");
    char *script = zsys_sprintf ("sleep 1; exec %s/deploy/pg.sh start %s",
                                 root ? root : ".", dir);
    char *log = zsys_sprintf ("%s/pg-start.log", kj_test_tmpdir ());
    const char *argv [] = { "sh", "-c", script, NULL };
    pid_t pid = kj_test_spawn (argv, NULL, log);
    assert_true (pid > 0);
    zstr_free (&script);
    zstr_free (&log);
    return pid;
}

static char *
s_restart_dir (void)
{
    return zsys_sprintf ("%s/pg", kj_test_tmpdir ());
}

static void
test_exec_survives_cluster_restart (void **state)
{
    setenv ("KEJIN_PG_FAST", "1", 1);
    char *dir = s_restart_dir ();
    assert_int_equal (s_pg_sh ("start", dir), 0);
    char *port_file = zsys_sprintf ("%s/port", dir);
    FILE *file = fopen (port_file, "r");
    assert_non_null (file);
    int port = 0;
    assert_int_equal (fscanf (file, "%d", &port), 1);
    fclose (file);
    char *dsn = zsys_sprintf ("host=%s port=%d user=postgres dbname=postgres",
                              dir, port);
    kj_db_t *db = kj_db_new (dsn, "public", 0);
    assert_non_null (db);
    s_assert_value (db, "SELECT 1", NULL, "1");

    //  Down for good: a statement fails, retryable, after the reconnect
    //  wait of a few seconds; a new connection fails at once.
    assert_int_equal (s_pg_sh ("stop", dir), 0);
    int64_t started = zclock_mono ();
    assert_null (kj_db_exec (db, "SELECT 1", 0, NULL));
    assert_in_range (zclock_mono () - started, 4000, 8000);
    assert_true (kj_db_retryable (db));
    assert_null (kj_db_new (dsn, "public", 0));

    //  Back within the reconnect wait: the statement goes through.
    pid_t starter = s_pg_start_later (dir);
    s_assert_value (db, "SELECT 2", NULL, "2");
    assert_int_equal (kj_test_wait_exit (starter, 30000), 0);

    //  kj_db_new waits for a server that is on its way up.
    assert_int_equal (s_pg_sh ("stop", dir), 0);
    starter = s_pg_start_later (dir);
    kj_db_t *fresh = kj_db_new (dsn, "public", 20000);
    assert_non_null (fresh);
    assert_int_equal (kj_test_wait_exit (starter, 30000), 0);
    s_assert_value (fresh, "SELECT 3", NULL, "3");
    s_assert_value (db, "SELECT 4", NULL, "4");

    kj_db_destroy (&fresh);
    kj_db_destroy (&db);
    zstr_free (&dsn);
    zstr_free (&port_file);
    zstr_free (&dir);
}

//  Stops and removes the private cluster, also when the test failed.

static int
s_restart_teardown (void **state)
{
    char *dir = s_restart_dir ();
    int rc = s_pg_sh ("stop", dir);
    char *line = zsys_sprintf ("rm -rf %s", dir);
    if (rc == 0)
        rc = system (line);
    zstr_free (&line);
    zstr_free (&dir);
    return rc;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_exec_params_and_nulls),
        cmocka_unit_test (test_run_counts_rows),
        cmocka_unit_test (test_exec_prepares_once),
        cmocka_unit_test (test_exec_unique_violation),
        cmocka_unit_test (test_retryable_states),
        cmocka_unit_test (test_new_refuses_bad_schema),
        cmocka_unit_test (test_tx_commit_and_rollback),
        cmocka_unit_test (test_tx_failed_statement_fails_commit),
        cmocka_unit_test (test_tx_round_trips),
        cmocka_unit_test (test_defer_keep),
        cmocka_unit_test (test_tx_failed_commit_wakes_nobody),
        cmocka_unit_test (test_notified),
        cmocka_unit_test (test_lock_key_held),
        cmocka_unit_test (test_copy_rows_and_errors),
        cmocka_unit_test (test_migrate_applies_once),
        cmocka_unit_test (test_migrate_failure_records_nothing),
        cmocka_unit_test (test_migrate_concurrently_applies_each_once),
        cmocka_unit_test (test_migrate_makes_common_tables),
        cmocka_unit_test (test_bootstrap_role_and_schema),
        cmocka_unit_test (test_exec_many_in_one_batch),
        cmocka_unit_test (test_exec_many_error_fails_all),
        cmocka_unit_test (test_exec_reconnects_outside_tx),
        cmocka_unit_test (test_exec_in_tx_fails_on_lost_connection),
        cmocka_unit_test_teardown (test_exec_survives_cluster_restart,
                                   s_restart_teardown),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
