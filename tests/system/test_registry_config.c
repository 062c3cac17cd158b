/*  =========================================================================
    test_registry_config - kejin-registry's start on kj_service: the stage
    rules file is read whole (a rule after 64 KB counts, an error after
    64 KB is refused; the daemon used to stop reading there without a
    word) or refused when over 1 MiB, with exit 2; a new version of the
    stage rules recomputes every enterprise's stage as a resumable batch,
    killed with -9 half way and finished by the next start, each enterprise
    once
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"
#include "registry.pb-c.h"

//  A rules file: a version, `padding` bytes of comment lines, then tail
static char *
s_rules_file (const char *name, const char *version, size_t padding,
              const char *tail)
{
    char *path = zsys_sprintf ("%s/%s", kj_test_tmpdir (), name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "version = %s\n", version);
    for (size_t written = 0; written < padding; written += 64)
        fprintf (file, "# %061d\n", 0);
    fputs (tail, file);
    fclose (file);
    return path;
}

static pid_t
s_start (const kj_broker_t *broker, const char *dsn, const char *path)
{
    char set_file [600];
    snprintf (set_file, sizeof set_file, "registry/stage_rules_file=%s", path);
    const char *extra [] = { "-s", "registry/relay=false",
                             "-s", set_file,
                             "-s", "registry/expiry_interval_s=0",
                             NULL };
    return kj_daemon_start ("registry", broker, dsn, extra);
}

static void
test_rules_file_read_whole (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, NULL), 0);
    char *dsn = kj_test_db_new ("registry_config");

    //  A rule after 64 KB takes effect: it is in the recorded set
    char *path = s_rules_file ("long.rules", "long.1", 70000,
                               "growth.cagr_bp = 2500\n");
    pid_t registry = s_start (&broker, dsn, path);
    assert_true (
        kj_broker_wait_workers (broker.endpoint, "registry", 2, 20000));
    kj_db_t *db = kj_db_new (dsn, "registry", 0);
    assert_non_null (db);
    PGresult *res = kj_db_exec (db,
                                "SELECT rules FROM stage_rules "
                                "WHERE version = 'long.1'",
                                0, NULL);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), 1);
    assert_non_null (strstr (PQgetvalue (res, 0, 0), "2500"));
    PQclear (res);
    kj_db_destroy (&db);
    assert_int_equal (kj_test_kill (registry, SIGTERM, 10000), 0);
    zstr_free (&path);

    //  An error after 64 KB is found, and refused
    path = s_rules_file ("bad.rules", "bad.1", 70000, "no such line\n");
    registry = s_start (&broker, dsn, path);
    assert_int_equal (kj_test_wait_exit (registry, 20000), 2);
    zstr_free (&path);

    //  Over 1 MiB: refused, not cut
    path = s_rules_file ("huge.rules", "huge.1", 1100000, "");
    registry = s_start (&broker, dsn, path);
    assert_int_equal (kj_test_wait_exit (registry, 20000), 2);
    zstr_free (&path);

    free (dsn);
    assert_int_equal (kj_broker_stop (&broker, SIGTERM), 0);
}

//  --------------------------------------------------------------------------
//  New stage rules: the restage job recomputes every enterprise computed
//  by older rules, each move one stage_changed event naming the new
//  version. Killed with -9 half way, the next start finishes the batch and
//  no enterprise is done twice. The old code recomputed nothing: only new
//  writes used the new rules.

#define RESTAGE_FIRMS 600

//  One value of a one-row query
static int64_t
s_count (kj_db_t *db, const char *sql)
{
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), 1);
    int64_t value = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return value;
}

static void
test_restage_resumes_after_kill (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, NULL), 0);
    char *dsn = kj_test_db_new ("registry_restage");

    //  Rules r.1 (the defaults): the schema, and RESTAGE_FIRMS growth
    //  firms computed by r.1 (¥10m, ¥15m, ¥25m)
    char *path = s_rules_file ("r1.rules", "r.1", 0, "");
    pid_t registry = s_start (&broker, dsn, path);
    assert_true (
        kj_broker_wait_workers (broker.endpoint, "registry", 2, 20000));
    assert_int_equal (kj_test_kill (registry, SIGTERM, 10000), 0);
    zstr_free (&path);
    kj_db_t *db = kj_db_new (dsn, "registry", 0);
    assert_non_null (db);
    char sql [1024];
    snprintf (sql, sizeof sql,
              "INSERT INTO enterprise (code, name, region, founded_on, stage, "
              "stage_computed, stage_rule, stage_version) "
              "SELECT '91210100' || lpad (i::text, 9, '0') || 'X', "
              "'重算测试' || i, '210100', '2015-01-01', 'growth', 'growth', "
              "'growth.cagr', 'r.1' FROM generate_series (1, %d) i",
              RESTAGE_FIRMS);
    assert_true (kj_db_run (db, sql, 0, NULL) == RESTAGE_FIRMS);
    assert_true (kj_db_run (db,
                            "INSERT INTO figures (code, year, revenue_fen) "
                            "SELECT code, y.year, y.revenue FROM enterprise, "
                            "(VALUES (2021, 1000000000), (2022, 1500000000), "
                            "(2023, 2500000000)) AS y (year, revenue)",
                            0, NULL)
                 == 3 * RESTAGE_FIRMS);

    //  Rules r.2: mature from ¥20m, so every firm moves. The last five
    //  firms are locked by another session, so the batch cannot finish
    //  before the kill.
    kj_db_t *holder = kj_db_new (dsn, "registry", 0);
    assert_non_null (holder);
    assert_int_equal (kj_db_begin (holder), 0);
    PGresult *res = kj_db_exec (holder,
                                "SELECT code FROM enterprise ORDER BY code "
                                "DESC LIMIT 5 FOR UPDATE",
                                0, NULL);
    assert_non_null (res);
    PQclear (res);
    path = s_rules_file ("r2.rules", "r.2", 0,
                         "mature.revenue_fen = 2000000000\n");
    registry = s_start (&broker, dsn, path);
    const char *done_sql = "SELECT count (*) FROM enterprise "
                           "WHERE stage_version = 'r.2'";
    int64_t end = kj_mono_us () + 30000000;
    while (kj_mono_us () < end && s_count (db, done_sql) == 0)
        zclock_sleep (5);
    assert_int_equal (kj_test_kill (registry, SIGKILL, 10000), 128 + SIGKILL);
    int64_t done = s_count (db, done_sql);
    assert_true (done > 0);
    assert_true (done < RESTAGE_FIRMS);
    //  Progress counts what committed, no more
    assert_int_equal (s_count (db, "SELECT done FROM restage "
                                   "WHERE version = 'r.2'"),
                      s_count (db, done_sql));
    assert_int_equal (s_count (db, "SELECT total FROM restage "
                                   "WHERE version = 'r.2'"),
                      RESTAGE_FIRMS);
    assert_int_equal (kj_db_commit (holder), 0);
    kj_db_destroy (&holder);

    //  The next start finishes the batch
    registry = s_start (&broker, dsn, path);
    end = kj_mono_us () + 60000000;
    while (kj_mono_us () < end
           && s_count (db, "SELECT count (*) FROM restage WHERE version = "
                           "'r.2' AND finished_at IS NOT NULL")
                  == 0)
        zclock_sleep (100);
    assert_int_equal (kj_test_kill (registry, SIGTERM, 10000), 0);
    zstr_free (&path);
    assert_int_equal (s_count (db, "SELECT count (*) FROM enterprise WHERE "
                                   "stage = 'mature' AND stage_version = "
                                   "'r.2' AND stage_rule = 'mature.revenue'"),
                      RESTAGE_FIRMS);
    assert_int_equal (s_count (db, "SELECT done * 1000000 + moved FROM "
                                   "restage WHERE version = 'r.2'"),
                      (int64_t) RESTAGE_FIRMS * 1000000 + RESTAGE_FIRMS);

    //  Each enterprise once: one stage_changed each, naming r.2
    res = kj_db_exec (db,
                      "SELECT key, payload FROM kj_outbox WHERE topic = "
                      "'registry.enterprise.stage_changed' ORDER BY key",
                      0, NULL);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), RESTAGE_FIRMS);
    for (int i = 0; i < PQntuples (res); i++) {
        if (i > 0)
            assert_string_not_equal (PQgetvalue (res, i, 0),
                                     PQgetvalue (res, i - 1, 0));
        size_t size;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *)
                                                    PQgetvalue (res, i, 1),
                                                &size);
        Kj__StageChanged *event = kj__stage_changed__unpack (NULL, size, bytes);
        PQfreemem (bytes);
        assert_non_null (event);
        assert_string_equal (event->code, PQgetvalue (res, i, 0));
        assert_int_equal (event->from, KJ__STAGE__STAGE_GROWTH);
        assert_int_equal (event->to, KJ__STAGE__STAGE_MATURE);
        assert_string_equal (event->version, "r.2");
        assert_string_equal (event->by, "restage");
        kj__stage_changed__free_unpacked (event, NULL);
    }
    PQclear (res);
    kj_db_destroy (&db);
    free (dsn);
    assert_int_equal (kj_broker_stop (&broker, SIGTERM), 0);
}

//  --------------------------------------------------------------------------
//  registry/allow_authorities is checked at start: 9 (always taken) or a
//  character that is no authority stops the daemon with exit 2

static void
test_allow_authorities_checked_at_start (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, NULL), 0);
    char *dsn = kj_test_db_new ("registry_authorities");
    const char *values [] = { "registry/allow_authorities=1,9",
                              "registry/allow_authorities=B",
                              "registry/allow_authorities=1,5" };
    for (int i = 0; i < 3; i++) {
        const char *extra [] = { "-s", "registry/relay=false", "-s", values [i],
                                 NULL };
        pid_t registry = kj_daemon_start ("registry", &broker, dsn, extra);
        if (i < 2)
            assert_int_equal (kj_test_wait_exit (registry, 20000), 2);
        else {
            assert_true (
                kj_broker_wait_workers (broker.endpoint, "registry", 2, 20000));
            assert_int_equal (kj_test_kill (registry, SIGTERM, 10000), 0);
        }
    }
    free (dsn);
    assert_int_equal (kj_broker_stop (&broker, SIGTERM), 0);
}

int
main (void)
{
    kj_log_init ("test_registry_config", "warn");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rules_file_read_whole),
        cmocka_unit_test (test_restage_resumes_after_kill),
        cmocka_unit_test (test_allow_authorities_checked_at_start),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
