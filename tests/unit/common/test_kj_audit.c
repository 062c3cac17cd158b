/*  =========================================================================
    test_kj_audit - the audit trail: rows chained in order, verified, a
    row edited or deleted by hand named; the service's role may insert and
    read its trail, never update, delete or truncate it (X7)
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char *s_dsn;

//  One row written by a made-up call
static void
s_write (kj_audit_t *audit, kj_db_t *db, const char *object, int code)
{
    kj_audit_row_t row = { .service = "thing",
                           .method = "Change",
                           .key = "ops-1",
                           .role = "operator",
                           .city = "210100",
                           .object = object,
                           .request_id = "7",
                           .code = code,
                           .message = code ? "refused" : "",
                           .before = "{\"name\": \"old\"}",
                           .after = code ? NULL : "{\"name\": \"new\"}" };
    assert_int_equal (kj_audit_write (audit, db, &row), 0);
}

//  Verify, with a scratch reply
static Kj__AuditVerify
s_verify (kj_audit_t *audit, kj_db_t *db)
{
    //  kj_audit_verify copies strings with kj_call_strdup: a call is
    //  needed, so go through the SQL function the hook uses instead
    Kj__AuditVerify reply = KJ__AUDIT_VERIFY__INIT;
    assert_true (kj_audit_seal (audit, db) >= 0);
    char sql [200];
    snprintf (sql, sizeof sql,
              "SELECT checked, pending, bad_row, reason FROM %s.verify ()",
              kj_audit_schema (audit));
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    assert_non_null (res);
    reply.checked = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    reply.pending = strtoull (PQgetvalue (res, 0, 1), NULL, 10);
    reply.bad_row = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    static char reason [256];
    kj_strlcpy (reason, PQgetvalue (res, 0, 3), sizeof reason);
    reply.reason = reason;
    reply.ok = reply.bad_row == 0;
    PQclear (res);
    return reply;
}

//  Run sql; the SQLSTATE it failed with ("" when it did not)
static const char *
s_try (kj_db_t *db, const char *sql)
{
    static char state [8];
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    kj_strlcpy (state, res ? "" : kj_db_sqlstate (db), sizeof state);
    PQclear (res);
    return state;
}

static void
test_chain_verifies_and_names_an_edited_row (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "aud_chain", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    kj_audit_t *audit = kj_audit_new ("aud_chain");
    assert_non_null (audit);
    assert_string_equal (kj_audit_schema (audit), "aud_chain_audit");
    assert_false (kj_audit_installed (audit, db));
    assert_int_equal (kj_audit_install (audit, db, NULL), 0);
    assert_true (kj_audit_installed (audit, db));
    //  Installing again changes nothing
    assert_int_equal (kj_audit_install (audit, db, NULL), 0);

    //  Written in a transaction: a rollback leaves no row
    assert_int_equal (kj_db_begin (db), 0);
    s_write (audit, db, "gone", 0);
    kj_db_rollback (db);
    for (int i = 0; i < 5; i++)
        s_write (audit, db, "enterprise 1", i == 3 ? 7 : 0);
    //  An image above KJ_AUDIT_IMAGE_MAX is kept as its size
    char *big = (char *) zmalloc (KJ_AUDIT_IMAGE_MAX + 20);
    memset (big, 'x', KJ_AUDIT_IMAGE_MAX + 10);
    char *json = zsys_sprintf ("\"%s\"", big);
    kj_audit_row_t row = { .service = "thing",
                           .method = "Import",
                           .key = "ops-1",
                           .role = "operator",
                           .city = "",
                           .object = "chunk",
                           .request_id = "8",
                           .code = 0,
                           .message = "",
                           .before = json,
                           .after = NULL };
    assert_int_equal (kj_audit_write (audit, db, &row), 0);
    PGresult *res = kj_db_exec (db,
                                "SELECT before::text FROM "
                                "aud_chain_audit.trail WHERE method = 'Import'",
                                0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "{\"omitted_bytes\": 16396}");
    PQclear (res);
    free (json);
    free (big);
    Kj__AuditVerify v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 6);
    assert_int_equal (v.pending, 0);
    //  A second seal chains nothing more; new rows extend the chain
    assert_int_equal (kj_audit_seal (audit, db), 0);
    s_write (audit, db, "enterprise 2", 0);
    v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 7);

    //  Edited by hand, as the owner: the row is named
    res = kj_db_exec (db,
                      "SELECT min (id) + 2 FROM "
                      "aud_chain_audit.trail",
                      0, NULL);
    int64_t third = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    char sql [200];
    snprintf (sql, sizeof sql,
              "UPDATE aud_chain_audit.trail SET code = 99 "
              "WHERE id = %" PRId64,
              third);
    assert_string_equal (s_try (db, sql), "");
    v = s_verify (audit, db);
    assert_false (v.ok);
    assert_int_equal (v.bad_row, third);
    assert_int_equal (v.checked, 2);
    char want [100];
    snprintf (want, sizeof want, "row %" PRId64 " does not match its hash",
              third);
    assert_non_null (strstr (v.reason, want));

    //  Deleted by hand: named too
    snprintf (sql, sizeof sql,
              "DELETE FROM aud_chain_audit.trail WHERE id = %" PRId64, third);
    assert_string_equal (s_try (db, sql), "");
    v = s_verify (audit, db);
    assert_false (v.ok);
    assert_int_equal (v.bad_row, third);
    snprintf (want, sizeof want, "row %" PRId64 " was deleted", third);
    assert_string_equal (v.reason, want);
    kj_audit_destroy (&audit);
    kj_db_destroy (&db);
}

//  X7: the service's role, as kj_service bootstraps it with db/admin_dsn
static void
test_service_role_may_not_change_its_trail (void **state)
{
    char role [64];
    snprintf (role, sizeof role, "kj_audit_role_%d", (int) getpid ());
    assert_int_equal (kj_db_bootstrap (s_dsn, "aud_role", role), 0);
    kj_db_t *admin = kj_db_new (s_dsn, "aud_role", 0);
    assert_non_null (admin);
    kj_audit_t *audit = kj_audit_new ("aud_role");
    assert_int_equal (kj_audit_install (audit, admin, role), 0);
    s_write (audit, admin, "by the owner", 0);

    kj_db_t *db = kj_db_new (s_dsn, "aud_role", 0);
    assert_non_null (db);
    char sql [200];
    snprintf (sql, sizeof sql, "SET ROLE %s", role);
    assert_string_equal (s_try (db, sql), "");
    //  It may write and read, and seal and verify
    s_write (audit, db, "by the service", 0);
    assert_int_equal (kj_audit_seal (audit, db), 2);
    Kj__AuditVerify v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 2);
    //  Never change or remove a row, of the trail or the chain
    assert_string_equal (s_try (db, "UPDATE aud_role_audit.trail SET code = 1"),
                         "42501");
    assert_string_equal (s_try (db, "DELETE FROM aud_role_audit.trail"),
                         "42501");
    assert_string_equal (s_try (db, "TRUNCATE aud_role_audit.trail"), "42501");
    assert_string_equal (s_try (db, "UPDATE aud_role_audit.chain SET seq = 9"),
                         "42501");
    assert_string_equal (s_try (db, "DELETE FROM aud_role_audit.chain"),
                         "42501");
    assert_string_equal (s_try (db, "TRUNCATE aud_role_audit.chain"), "42501");
    assert_string_equal (s_try (db, "DROP TABLE aud_role_audit.trail"),
                         "42501");
    assert_string_equal (s_try (db, "ALTER TABLE aud_role_audit.trail "
                                    "DISABLE TRIGGER ALL"),
                         "42501");
    //  Nor make the functions say something else
    assert_string_equal (s_try (db, "CREATE OR REPLACE FUNCTION "
                                    "aud_role_audit.seal (integer) RETURNS "
                                    "integer LANGUAGE sql AS 'SELECT 0'"),
                         "42501");
    v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 2);
    kj_audit_destroy (&audit);
    kj_db_destroy (&db);
    kj_db_destroy (&admin);
}

int
main (void)
{
    kj_log_init ("test_kj_audit", getenv ("KEJIN_LOG_LEVEL"));
    s_dsn = kj_test_db_new ("audit");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_chain_verifies_and_names_an_edited_row),
        cmocka_unit_test (test_service_role_may_not_change_its_trail),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    free (s_dsn);
    return rc;
}
