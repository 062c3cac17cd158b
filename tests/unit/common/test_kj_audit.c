/*  =========================================================================
    test_kj_audit - the audit trail: rows chained in order, verified, a
    row edited or deleted by hand named; the service's role may insert and
    read its trail, never update, delete or truncate it (X7); a chain
    sealed by the functions of before session 24 verifies after them
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

//  The trail's functions as session 23 made them: content with SET
//  search_path (not inlinable) and a seal that INSERTs row by row, and
//  looks back over the whole window each time. %1$s is the trail's
//  schema.
static const char *s_old_functions =
    "DROP FUNCTION IF EXISTS %1$s.seal (integer, boolean);"
    "CREATE OR REPLACE FUNCTION %1$s.content (r %1$s.trail) RETURNS bytea"
    "  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $f$"
    "  SELECT convert_to (jsonb_build_array (r.id,"
    "    (extract (epoch FROM r.at) * 1000000)::bigint, r.service, r.method,"
    "    r.key, r.role, r.city, r.object, r.request_id, r.code, r.message,"
    "    r.before, r.after)::text, 'UTF8') $f$;"
    "CREATE OR REPLACE FUNCTION %1$s.seal (batch integer) RETURNS integer"
    "  LANGUAGE plpgsql SET search_path = pg_catalog AS $f$"
    "DECLARE prev bytea; last_seq bigint; last_id bigint; n integer := 0;"
    "  r %1$s.trail;"
    "BEGIN"
    "  SELECT c.seq, c.hash INTO last_seq, prev FROM %1$s.chain c"
    "    ORDER BY c.seq DESC LIMIT 1;"
    "  IF NOT FOUND THEN last_seq := 0; prev := ''::bytea; END IF;"
    "  SELECT coalesce (max (c.id), 0) INTO last_id FROM %1$s.chain c;"
    "  FOR r IN SELECT t.* FROM %1$s.trail t"
    "      WHERE t.id > last_id - 100000"
    "      AND NOT EXISTS (SELECT 1 FROM %1$s.chain c WHERE c.id = t.id)"
    "      ORDER BY t.id LIMIT batch LOOP"
    "    last_seq := last_seq + 1;"
    "    prev := sha256 (prev || %1$s.content (r));"
    "    INSERT INTO %1$s.chain VALUES (last_seq, r.id, prev);"
    "    n := n + 1;"
    "  END LOOP;"
    "  RETURN n;"
    "END $f$";

//  Rows of every kind of content: text that JSON escapes, Chinese, no
//  image after, numbers in JSON, a negative code, an image of its size
static void
s_write_mixed (kj_audit_t *audit, kj_db_t *db, int from, int count)
{
    for (int i = from; i < from + count; i++) {
        char object [64], before [160];
        snprintf (object, sizeof object, "claim %d \"q\" \\ 代偿", i);
        snprintf (before, sizeof before,
                  "{\"claim_id\": %d, \"amount_fen\": 400000, "
                  "\"rate\": 1.50e3, \"note\": \"中文\\u0001\", \"x\": [null]}",
                  i);
        kj_audit_row_t row = { .service = "guarantee",
                               .method = "PayClaim",
                               .key = i % 2 ? "ops-1" : "",
                               .role = "operator",
                               .city = "210100",
                               .object = object,
                               .request_id = "42",
                               .code = i % 3 ? 0 : -7,
                               .message = i % 3 ? "" : "拒绝: \"why\"\n",
                               .before = before,
                               .after = i % 4 ? "{\"paid\": true}" : NULL };
        assert_int_equal (kj_audit_write (audit, db, &row), 0);
    }
}

//  A chain sealed by the old functions verifies after the upgrade, and
//  the new seal goes on from its head: the bytes a hash covers are the
//  same, and the new content is inlined (no SQL function call per row)
static void
test_old_chain_verifies_after_upgrade (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "aud_old", 0);
    assert_non_null (db);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    kj_audit_t *audit = kj_audit_new ("aud_old");
    assert_int_equal (kj_audit_install (audit, db, NULL), 0);
    char *sql = zsys_sprintf (s_old_functions, kj_audit_schema (audit));
    PGresult *res = PQexec (kj_db_conn (db), sql);
    assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
    PQclear (res);
    zstr_free (&sql);
    s_write_mixed (audit, db, 1, 40);
    res = kj_db_exec (db, "SELECT aud_old_audit.seal (1000)", 0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "40");
    PQclear (res);
    //  The old content is not inlined, the new one is
    res = kj_db_exec (db,
                      "EXPLAIN VERBOSE SELECT aud_old_audit.content (t) "
                      "FROM aud_old_audit.trail t",
                      0, NULL);
    assert_non_null (res);
    assert_non_null (strstr (PQgetvalue (res, 1, 0), "content"));
    PQclear (res);

    assert_int_equal (kj_audit_install (audit, db, NULL), 0);
    res = kj_db_exec (db,
                      "EXPLAIN VERBOSE SELECT aud_old_audit.content (t) "
                      "FROM aud_old_audit.trail t",
                      0, NULL);
    assert_non_null (res);
    assert_null (strstr (PQgetvalue (res, 1, 0), "content"));
    assert_non_null (strstr (PQgetvalue (res, 1, 0), "jsonb_build_array"));
    PQclear (res);
    Kj__AuditVerify v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 40);
    s_write_mixed (audit, db, 41, 25);
    assert_int_equal (kj_audit_seal (audit, db), 25);
    v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 65);
    assert_int_equal (v.pending, 0);
    //  The places go on from the old head, one each
    res = kj_db_exec (db,
                      "SELECT count (*), min (seq), max (seq) FROM "
                      "aud_old_audit.chain",
                      0, NULL);
    assert_string_equal (PQgetvalue (res, 0, 0), "65");
    assert_string_equal (PQgetvalue (res, 0, 1), "1");
    assert_string_equal (PQgetvalue (res, 0, 2), "65");
    PQclear (res);
    //  Going back to the old functions, the new seal's rows verify as well
    sql = zsys_sprintf (s_old_functions, kj_audit_schema (audit));
    res = PQexec (kj_db_conn (db), sql);
    assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
    PQclear (res);
    zstr_free (&sql);
    res = kj_db_exec (db,
                      "SELECT count (*) FROM aud_old_audit.chain k JOIN "
                      "aud_old_audit.trail t USING (id) WHERE k.hash = sha256 "
                      "(coalesce ((SELECT p.hash FROM aud_old_audit.chain p "
                      "WHERE p.seq = k.seq - 1), '') || "
                      "aud_old_audit.content (t))",
                      0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "65");
    PQclear (res);
    kj_audit_destroy (&audit);
    kj_db_destroy (&db);
}

//  A row that commits after a seal chained rows with higher ids (its
//  transaction took its id first) is chained by a later seal of the job
//  that looks back, after them; a seal with nothing new chains nothing
static void
test_late_row_is_chained_by_a_look_back (void **state)
{
    kj_db_t *db = kj_db_new (s_dsn, "aud_late", 0);
    kj_db_t *slow = kj_db_new (s_dsn, "aud_late", 0);
    assert_non_null (db);
    assert_non_null (slow);
    assert_int_equal (kj_db_migrate (db, NULL), 0);
    kj_audit_t *audit = kj_audit_new ("aud_late");
    assert_int_equal (kj_audit_install (audit, db, NULL), 0);
    s_write (audit, db, "before", 0);
    assert_int_equal (kj_audit_seal (audit, db), 1);
    //  The slow writer takes its id, then others commit theirs
    assert_int_equal (kj_db_begin (slow), 0);
    s_write (audit, slow, "late", 0);
    PGresult *res = kj_db_exec (slow, "SELECT 1", 0, NULL);  //  sends it
    assert_non_null (res);
    PQclear (res);
    for (int i = 0; i < 3; i++)
        s_write (audit, db, "after", 0);
    assert_int_equal (kj_audit_seal (audit, db), 3);
    assert_int_equal (kj_audit_seal (audit, db), 0);
    assert_int_equal (kj_db_commit (slow), 0);
    //  The job's seals look back now and then, not every time (the first
    //  of the process did): within SEAL_LOOK_BACK (30) seals
    int seals = 1, chained = 0;
    while (seals < 30 && (chained = kj_audit_seal (audit, db)) == 0)
        seals++;
    assert_int_equal (chained, 1);
    assert_true (seals > 1);
    assert_int_equal (kj_audit_seal (audit, db), 0);
    s_write (audit, db, "last", 0);
    Kj__AuditVerify v = s_verify (audit, db);
    assert_true (v.ok);
    assert_int_equal (v.checked, 6);
    assert_int_equal (v.pending, 0);
    //  The late row took the place after the three, the last one after it
    res = kj_db_exec (db,
                      "SELECT string_agg (t.object, ',' ORDER BY k.seq) "
                      "FROM aud_late_audit.chain k JOIN aud_late_audit.trail "
                      "t USING (id)",
                      0, NULL);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0),
                         "before,after,after,after,late,last");
    PQclear (res);
    kj_audit_destroy (&audit);
    kj_db_destroy (&slow);
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
        cmocka_unit_test (test_old_chain_verifies_after_upgrade),
        cmocka_unit_test (test_late_row_is_chained_by_a_look_back),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    free (s_dsn);
    return rc;
}
