/*  =========================================================================
    test_registry_config - kejin-registry's start on kj_service: the stage
    rules file is read whole (a rule after 64 KB counts, an error after
    64 KB is refused; the daemon used to stop reading there without a
    word) or refused when over 1 MiB, with exit 2
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"

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

int
main (void)
{
    kj_log_init ("test_registry_config", "warn");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rules_file_read_whole),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
