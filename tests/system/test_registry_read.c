/*  =========================================================================
    test_registry_read - an enterprise read whole in one statement gives
    the very bytes that the read of one statement per part gave

    GetEnterprise (and every reader of an enterprise with its parts) reads
    the enterprise and its seven parts in one statement
    (registry_store_enterprise_load). The read it replaced, one statement
    per part, stays as registry_store_enterprise_load_each: here both read
    every enterprise of the demo set, and of a few made by hand to reach
    what the demo does not (many years, figures not reported, awards,
    rounds, loans, chain links, text that needs quoting, no figures and no
    stage), and the packed messages must be equal byte for byte, and equal
    to GetEnterprise's reply over the broker.

    The read is one row of one table because the parts are stored in the
    enterprise's row at write time (014_enterprise_parts.sql): after every
    kind of write (import and its restage, register, update of each part,
    figures, qualify, stage override and recompute, transition, SQL by
    hand with several writes, a delete, a savepoint rolled back) the
    stored values must equal a fresh computation (the view
    enterprise_read) byte for byte,
    and a write rolled back must leave them as they were.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "registry_fixture.h"
#include "registry_bulk.pb-c.h"
#include "registry_store.h"
#include "cli.h"

int
cli_demo (cli_t *cli, int argc, char **argv);

//  The enterprises made by hand: one with every part, several rows each
//  and text to quote ($1 in the statements); one with nothing but its row
static char s_whole [19], s_bare [19];

static void
s_run (rfx_t *fx, const char *sql)
{
    const char *params [] = { s_whole };
    if (kj_db_run (fx->db, sql, 1, params) < 0)
        fail_msg ("%s: %s", sql, kj_db_error (fx->db));
}

//  The rule set in force: the restage job leaves such rows alone (it
//  would recompute the stage and tech-SME score made by hand)
#define S_RULES_IN_FORCE                                                       \
    "(SELECT version FROM stage_rules ORDER BY first_used_at DESC LIMIT 1)"

static void
s_hand_made (rfx_t *fx)
{
    rfx_code ("210100", 901, s_whole);
    rfx_code ("210200", 902, s_bare);
    const char *params [] = { s_bare };
    assert_int_equal (kj_db_run (fx->db,
                                 "INSERT INTO enterprise (code, name, region, "
                                 "stage_version) VALUES ($1, 'NULL', "
                                 "'210200', " S_RULES_IN_FORCE ")",
                                 1, params),
                      1);
    s_run (fx, "INSERT INTO enterprise (code, name, region, industry, "
               "founded_on, stage, stage_computed, stage_rule, stage_reason, "
               "stage_at, tax_grade, invention_patents, stage_version) "
               "VALUES ($1, '读取, \"全部\" \\ {x}', '210100', 'C39', "
               "'2001-02-03', 'growth', 'startup', 'manual', "
               "'set, by \"hand\"', now (), 'A', 3, " S_RULES_IN_FORCE ")");
    //  Eight years, one with figures not reported, out of order
    s_run (fx, "INSERT INTO figures (code, year, revenue_fen, rnd_fen, "
               "net_profit_fen, staff, tech_staff, not_reported) "
               "SELECT $1, y, y * 1000, y, -y, 10, 2, "
               "CASE WHEN y = 2019 THEN '{staff,tech-staff}'::text[] "
               "ELSE '{}' END FROM generate_series (2024, 2017, -1) y");
    s_run (fx, "INSERT INTO qualification (code, kind, level, certificate, "
               "granted_on, expires_on) VALUES "
               "($1, 'tech_sme', '', '', NULL, '2000-01-01'), "
               "($1, 'high_tech', 'national', 'GR, \"1\"', "
               "'2020-05-06', '2099-12-31')");
    s_run (fx, "INSERT INTO award (code, name, level, year, rank) VALUES "
               "($1, '二等奖', 'city', 2020, ''), "
               "($1, 'a, b', 'national', 2018, '1st'), "
               "($1, 'NULL', 'provincial', 2019, '\\')");
    s_run (fx, "INSERT INTO equity_round (code, round, amount_fen, closed_on, "
               "investors) VALUES "
               "($1, 'b', 5000, '2022-01-01', 'x, \"y\"'), "
               "($1, 'seed', 100, '2019-01-01', ''), "
               "($1, 'a', 900, '2019-01-01', '{}')");
    s_run (fx, "INSERT INTO loan (code, lender, amount_fen, drawn_on, "
               "matures_on, outstanding) VALUES "
               "($1, '银行', 7, '2021-01-01', NULL, false), "
               "($1, 'bank', 9, '2020-01-01', '2030-01-01', true)");
    s_run (fx, "INSERT INTO chain_link (code, leader_code, chain) VALUES "
               "($1, '91210100READ000009', ''), "
               "($1, '91210100READ000003', '链, 1')");
    s_run (fx, "INSERT INTO techsme_score (code, year, tech_staff_bp, "
               "rnd_sales_bp, rnd_cost_bp, tech_staff_score, rnd_sales_score, "
               "rnd_cost_score, rnd_score, ip_score, total, eligible, reasons, "
               "reason) VALUES ($1, 2024, -1, 250, 0, 0, 5, 0, 5, "
               "30, 35, false, 6, 'undecided, \"staff\"')");
}

//  An enterprise as packed bytes, from either read.
static ProtobufCBinaryData
s_packed (rfx_t *fx, const char *code, bool each)
{
    Kj__Enterprise *e = NULL;
    int rc = each ? registry_store_enterprise_load_each (fx->db, code,
                                                         rfx_mem (), &e)
                  : registry_store_enterprise_load (fx->db, code, true,
                                                    rfx_mem (), &e);
    assert_int_equal (rc, 1);
    ProtobufCBinaryData data;
    data.len = kj__enterprise__get_packed_size (e);
    data.data = (uint8_t *) malloc (data.len + 1);
    kj__enterprise__pack (e, data.data);
    kj__enterprise__free_unpacked (e, rfx_mem ());
    return data;
}

static void
s_same (const char *code, const char *what, ProtobufCBinaryData a,
        ProtobufCBinaryData b)
{
    if (a.len != b.len || memcmp (a.data, b.data, a.len))
        fail_msg ("%s: %s: %zu bytes against %zu, not the same", code, what,
                  a.len, b.len);
}

//  Every enterprise's stored parts against a fresh computation, byte for
//  byte; fails naming the first that differs and the write before.
static void
s_stored_fresh (rfx_t *fx, const char *after)
{
    PGresult *res = kj_db_exec (
        fx->db,
        "SELECT e.code, e.parts_format, e.parts::text || ' ' || e.facts_parts "
        "|| ' ' || coalesce (e.facts_years, ''), v.parts::text || ' ' "
        "|| v.facts_parts || ' ' || coalesce (v.facts_years, '') "
        "FROM enterprise e JOIN enterprise_read v ON v.code = e.code "
        "WHERE e.parts_format IS DISTINCT FROM enterprise_parts_format () "
        "OR e.parts::text IS DISTINCT FROM v.parts::text "
        "OR e.facts_parts IS DISTINCT FROM v.facts_parts "
        "OR e.facts_years IS DISTINCT FROM v.facts_years "
        "ORDER BY e.code LIMIT 1",
        0, NULL);
    assert_non_null (res);
    if (PQntuples (res) == 1)
        fail_msg ("after %s: %s stored (format %s) %s, fresh %s", after,
                  PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1),
                  PQgetvalue (res, 0, 2), PQgetvalue (res, 0, 3));
    PQclear (res);
}

//  The stored parts of code, as text (the caller frees it).
static char *
s_stored (rfx_t *fx, const char *code)
{
    const char *params [] = { code };
    PGresult *res = kj_db_exec (fx->db,
                                "SELECT parts::text FROM enterprise "
                                "WHERE code = $1",
                                1, params);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), 1);
    char *text = strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    return text;
}

//  One enterprise: one read against the other, and against GetEnterprise
static void
s_code_same (rfx_t *fx, const char *code)
{
    ProtobufCBinaryData each = s_packed (fx, code, true);
    ProtobufCBinaryData whole = s_packed (fx, code, false);
    s_same (code, "stored against one per part", whole, each);
    Kj__EnterpriseReply *reply = NULL;
    Kj__Enterprise *got = rfx_get (fx, code, &reply);
    ProtobufCBinaryData served = { kj__enterprise__get_packed_size (got),
                                   NULL };
    served.data = (uint8_t *) malloc (served.len + 1);
    kj__enterprise__pack (got, served.data);
    s_same (code, "GetEnterprise against one per part", served, each);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    free (each.data);
    free (whole.data);
    free (served.data);
}

//  Every enterprise: one read against the other, and against GetEnterprise
static void
s_all_same (rfx_t *fx, int expected)
{
    PGresult *res = kj_db_exec (fx->db,
                                "SELECT code FROM enterprise ORDER BY code", 0,
                                NULL);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), expected);
    for (int row = 0; row < PQntuples (res); row++) {
        const char *code = PQgetvalue (res, row, 0);
        s_code_same (fx, code);
    }
    PQclear (res);
}

//  The whole compact export for year over the broker, pages of 7, against
//  the reference in one page; returns the rows.
static int
s_export_same (rfx_t *fx, int year)
{
    char text [16];
    snprintf (text, sizeof text, "%d", year);
    const char *params [] = { "", "", "", "100000", text };
    PGresult *res = kj_db_exec (fx->db, rfx_facts_of_tables, 5, params);
    assert_non_null (res);
    size_t size = 0;
    for (int row = 0; row < PQntuples (res); row++)
        size += (size_t) PQgetlength (res, row, 0) + 1;
    char *expected = (char *) malloc (size + 1);
    size = 0;
    for (int row = 0; row < PQntuples (res); row++) {
        memcpy (expected + size, PQgetvalue (res, row, 0),
                (size_t) PQgetlength (res, row, 0));
        size += (size_t) PQgetlength (res, row, 0);
        expected [size++] = '\n';
    }
    expected [size] = 0;
    int rows = PQntuples (res);
    PQclear (res);

    char *got = (char *) malloc (size + 1);
    size_t at = 0;
    char after [64] = "";
    kj_call_opts_t opts = { .timeout_ms = 20000 };
    do {
        Kj__BulkExportRequest request = KJ__BULK_EXPORT_REQUEST__INIT;
        request.kind = KJ__BULK_KIND__BULK_ENTERPRISES;
        request.with_figures_of = year;
        request.after = after;
        request.limit = 7;
        Kj__BulkExportReply *reply = NULL;
        kj_status_t status;
        int rc = kj_client_call (fx->client, "registry.bulk", "Export",
                                 &request.base,
                                 &kj__bulk_export_reply__descriptor,
                                 (ProtobufCMessage **) &reply, &status, &opts);
        if (rc)
            fail_msg ("export: %s %s", kj_code_name (rc), status.message);
        //  The first page starts with the header
        const uint8_t *data = reply->data.data;
        size_t length = reply->data.len;
        if (!*after) {
            const uint8_t *line = memchr (data, '\n', length);
            assert_non_null (line);
            length -= (size_t) (line + 1 - data);
            data = line + 1;
        }
        if (at + length > size)
            fail_msg ("export of %d: more than %zu bytes", year, size);
        memcpy (got + at, data, length);
        at += length;
        snprintf (after, sizeof after, "%s", reply->next ? reply->next : "");
        kj__bulk_export_reply__free_unpacked (reply, NULL);
    } while (*after);
    got [at] = 0;
    if (at != size || memcmp (got, expected, size)) {
        size_t i = 0;
        while (i < at && i < size && got [i] == expected [i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        fail_msg ("export of %d differs at byte %zu: stored ...%.300s "
                  "against ...%.300s",
                  year, i, got + from, expected + from);
    }
    free (got);
    free (expected);
    return rows;
}

//  An enterprise as packed bytes (the caller frees data).
static ProtobufCBinaryData
s_pack (const Kj__Enterprise *e)
{
    ProtobufCBinaryData data = { kj__enterprise__get_packed_size (e), NULL };
    data.data = (uint8_t *) malloc (data.len + 1);
    kj__enterprise__pack (e, data.data);
    return data;
}

//  A write over the broker that must succeed: its reply (read inside the
//  write, before the stored parts are refreshed at its commit) is what
//  GetEnterprise reads after, and the stored parts are fresh
static void
s_write (rfx_t *fx, const char *method, const ProtobufCMessage *request,
         const char *code)
{
    Kj__EnterpriseReply *reply = NULL;
    kj_status_t status;
    int rc = rfx_call (fx, method, request, &kj__enterprise_reply__descriptor,
                       &reply, &status, NULL, false);
    if (rc)
        fail_msg ("%s: %s %s", method, kj_code_name (rc), status.message);
    //  A stage moved by the write: the reply says when by the registry's
    //  clock, the row by the database's now (), a few ms apart
    reply->enterprise->stage->changed_at_us = 0;
    ProtobufCBinaryData written = s_pack (reply->enterprise);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    Kj__Enterprise *got = rfx_get (fx, code, &reply);
    got->stage->changed_at_us = 0;
    ProtobufCBinaryData read = s_pack (got);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    s_same (method, "the write's reply against GetEnterprise after", written,
            read);
    free (written.data);
    free (read.data);
    s_stored_fresh (fx, method);
}

//  The demo set of count enterprises loaded (imports and restage); the
//  stored parts fresh after it
static void
s_demo (rfx_t *fx, const char *count, const char *seed)
{
    cli_t cli = { .prog = "kejin",
                  .broker = fx->broker.endpoint,
                  .timeout_ms = 20000 };
    char *argv [] = {
        "demo",        "load", "--enterprises", (char *) count, "--seed",
        (char *) seed, NULL
    };
    assert_int_equal (cli_demo (&cli, 6, argv), CLI_OK);
    kj_client_destroy (&cli.client);
    s_stored_fresh (fx, "demo load (import, restage)");
}

//  --------------------------------------------------------------------------
//  Every enterprise of the demo set and the hand-made ones: the same
//  bytes both ways, and from GetEnterprise

static void
test_one_statement_same_bytes (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "registry_read", NULL);
    s_demo (&fx, "400", "5");
    s_hand_made (&fx);
    s_stored_fresh (&fx, "SQL by hand");
    //  The compact export, of a year with figures, the year of the figures
    //  not reported (2019), and a year with none
    int year = rfx_year (&fx) - 1;
    assert_int_equal (s_export_same (&fx, year), 402);
    assert_int_equal (s_export_same (&fx, 2019), 402);
    assert_int_equal (s_export_same (&fx, 1990), 402);

    PGresult *res = kj_db_exec (fx.db,
                                "SELECT code, (SELECT count (*) FROM figures f "
                                "WHERE f.code = e.code) FROM enterprise e "
                                "ORDER BY code",
                                0, NULL);
    assert_non_null (res);
    int rows = PQntuples (res);
    assert_int_equal (rows, 402);
    int without_figures = 0, many_years = 0;
    for (int row = 0; row < rows; row++) {
        const char *code = PQgetvalue (res, row, 0);
        int years = atoi (PQgetvalue (res, row, 1));
        without_figures += years == 0;
        many_years += years >= 3;
        s_code_same (&fx, code);
    }
    PQclear (res);
    //  The cases the test is for were there
    assert_true (without_figures >= 1);
    assert_true (many_years >= 2);

    //  The hand-made one has every part, in each part's order
    Kj__EnterpriseReply *reply = NULL;
    Kj__Enterprise *e = rfx_get (&fx, s_whole, &reply);
    assert_int_equal (e->n_figures, 8);
    assert_int_equal (e->figures [0]->year, 2017);
    assert_int_equal (e->figures [7]->year, 2024);
    assert_int_equal (e->figures [2]->n_not_reported, 2);
    assert_string_equal (e->figures [2]->not_reported [1], "tech-staff");
    assert_int_equal (e->figures [0]->net_profit_fen, -2017);
    assert_int_equal (e->n_qualifications, 2);
    assert_int_equal (e->qualifications [0]->kind,
                      KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH);
    assert_string_equal (e->qualifications [0]->certificate, "GR, \"1\"");
    assert_true (e->qualifications [1]->expired);
    assert_string_equal (e->qualifications [1]->granted_on, "");
    assert_int_equal (e->n_awards, 3);
    assert_string_equal (e->awards [2]->rank, "\\");
    assert_int_equal (e->n_rounds, 3);
    assert_int_equal (e->rounds [0]->round, KJ__ROUND__ROUND_SEED);
    assert_int_equal (e->rounds [2]->amount_fen, 5000);
    assert_int_equal (e->n_loans, 2);
    assert_string_equal (e->loans [0]->lender, "bank");
    assert_string_equal (e->loans [1]->matures_on, "");
    assert_false (e->loans [1]->outstanding);
    assert_int_equal (e->n_chain_links, 2);
    assert_string_equal (e->chain_links [0]->chain, "链, 1");
    assert_non_null (e->techsme);
    assert_int_equal (e->techsme->tech_staff_bp, -1);
    assert_string_equal (e->techsme->reason, "undecided, \"staff\"");
    assert_false (e->first_loan);
    assert_int_equal (e->latest_round, KJ__ROUND__ROUND_B);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  The bare one: its row only
    e = rfx_get (&fx, s_bare, &reply);
    assert_string_equal (e->name, "NULL");
    assert_int_equal (e->n_figures + e->n_qualifications + e->n_awards
                          + e->n_rounds + e->n_loans + e->n_chain_links,
                      0);
    assert_null (e->techsme);
    assert_int_equal (e->stage->stage, KJ__STAGE__STAGE_UNKNOWN);
    assert_true (e->first_loan);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  Not there: 0 both ways
    Kj__Enterprise *none = NULL;
    assert_int_equal (registry_store_enterprise_load (fx.db,
                                                      "91210100READ000004",
                                                      true, rfx_mem (), &none),
                      0);
    assert_int_equal (registry_store_enterprise_load_each (fx.db,
                                                           "91210100READ000004",
                                                           rfx_mem (), &none),
                      0);
    assert_null (none);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  After every kind of write the stored parts are a fresh computation's,
//  and a write rolled back leaves them as they were

static void
test_stored_after_every_write (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "registry_stored", NULL);
    s_demo (&fx, "100", "7");

    char code [19];
    rfx_code ("210100", 931, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code,
                                               "存储测试科技有限公司",
                                               "2015-03-04");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    s_stored_fresh (&fx, "RegisterEnterprise");

    //  Figures of three years, in one write
    int year = rfx_year (&fx) - 1;
    Kj__YearFigures f [3];
    Kj__YearFigures *list [3];
    for (int i = 0; i < 3; i++) {
        kj__year_figures__init (&f [i]);
        f [i].year = year - 2 + i;
        f [i].revenue_fen = (i + 1) * 300000000;
        f [i].total_cost_fen = (i + 1) * 200000000;
        f [i].rnd_fen = (i + 1) * 30000000;
        f [i].total_assets_fen = 900000000;
        f [i].staff = 100;
        f [i].tech_staff = 30;
        list [i] = &f [i];
    }
    Kj__SetFiguresRequest figures = KJ__SET_FIGURES_REQUEST__INIT;
    figures.code = code;
    figures.figures = list;
    figures.n_figures = 3;
    s_write (&fx, "SetFigures", &figures.base, code);

    kj_status_t status;
    assert_int_equal (rfx_qualify (&fx, code,
                                   KJ__QUALIFICATION_KIND__QUAL_TECH_SME, 0,
                                   "2099-06-30", &status, NULL),
                      0);
    s_stored_fresh (&fx, "Qualify");

    //  Each part by UpdateEnterprise
    Kj__Award award = KJ__AWARD__INIT;
    award.name = "创新大赛";
    award.level = KJ__LEVEL__LEVEL_PROVINCIAL;
    award.year = year;
    Kj__Award *awards [] = { &award };
    Kj__EquityRound round = KJ__EQUITY_ROUND__INIT;
    round.round = KJ__ROUND__ROUND_ANGEL;
    round.amount_fen = 500000000;
    round.closed_on = "2020-01-02";
    round.investors = "x, \"y\"";
    Kj__EquityRound *rounds [] = { &round };
    Kj__BankLoan loan = KJ__BANK_LOAN__INIT;
    loan.lender = "银行";
    loan.amount_fen = 100000000;
    loan.drawn_on = "2021-05-06";
    loan.outstanding = true;
    Kj__BankLoan *loans [] = { &loan };
    Kj__Enterprise changes = KJ__ENTERPRISE__INIT;
    changes.code = code;
    changes.name = "存储测试科技股份有限公司";
    changes.awards = awards;
    changes.n_awards = 1;
    changes.rounds = rounds;
    changes.n_rounds = 1;
    changes.loans = loans;
    changes.n_loans = 1;
    char *mask [] = { "name", "awards", "rounds", "loans" };
    Kj__UpdateEnterpriseRequest update = KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
    update.enterprise = &changes;
    update.update_mask = mask;
    update.n_update_mask = 4;
    s_write (&fx, "UpdateEnterprise", &update.base, code);
    char *before = s_stored (&fx, code);
    assert_non_null (strstr (before, "创新大赛"));
    assert_non_null (strstr (before, "银行"));
    free (before);

    Kj__OverrideStageRequest override = KJ__OVERRIDE_STAGE_REQUEST__INIT;
    override.code = code;
    override.stage = KJ__STAGE__STAGE_MATURE;
    override.reason = "test";
    s_write (&fx, "OverrideStage", &override.base, code);
    Kj__RecomputeStageRequest recompute = KJ__RECOMPUTE_STAGE_REQUEST__INIT;
    recompute.code = code;
    s_write (&fx, "RecomputeStage", &recompute.base, code);
    Kj__TransitionRequest submit = KJ__TRANSITION_REQUEST__INIT;
    submit.code = code;
    submit.action = KJ__ENTRY_ACTION__ACTION_SUBMIT;
    s_write (&fx, "Transition", &submit.base, code);

    //  Several writes of several parts in one transaction, a delete, and
    //  a savepoint rolled back
    const char *params [] = { code };
    assert_int_equal (kj_db_begin (fx.db), 0);
    assert_int_equal (kj_db_run (fx.db,
                                 "UPDATE figures SET staff = staff + 1 "
                                 "WHERE code = $1",
                                 1, params),
                      3);
    assert_int_equal (kj_db_run (fx.db, "DELETE FROM loan WHERE code = $1", 1,
                                 params),
                      1);
    assert_int_equal (kj_db_run (fx.db, "SAVEPOINT s", 0, NULL), 0);
    assert_int_equal (kj_db_run (fx.db, "DELETE FROM award WHERE code = $1", 1,
                                 params),
                      1);
    assert_int_equal (kj_db_run (fx.db, "ROLLBACK TO SAVEPOINT s", 0, NULL), 0);
    assert_int_equal (kj_db_run (fx.db,
                                 "INSERT INTO chain_link (code, leader_code, "
                                 "chain) VALUES ($1, '91210100READ000009', "
                                 "'链')",
                                 1, params),
                      1);
    assert_int_equal (kj_db_commit (fx.db), 0);
    s_stored_fresh (&fx, "SQL by hand in one transaction");
    char *stored = s_stored (&fx, code);
    assert_null (strstr (stored, "银行"));
    assert_non_null (strstr (stored, "创新大赛"));
    assert_non_null (strstr (stored, "链"));

    //  Rolled back: as it was, byte for byte
    assert_int_equal (kj_db_begin (fx.db), 0);
    assert_int_equal (kj_db_run (fx.db, "DELETE FROM figures WHERE code = $1",
                                 1, params),
                      3);
    assert_int_equal (kj_db_run (fx.db,
                                 "INSERT INTO award (code, name, level, year, "
                                 "rank) VALUES ($1, '撤销', 'city', 2020, '')",
                                 1, params),
                      1);
    kj_db_rollback (fx.db);
    char *after = s_stored (&fx, code);
    assert_string_equal (after, stored);
    free (after);
    free (stored);
    s_stored_fresh (&fx, "a transaction rolled back");

    //  A row stored in another format is read live, never stale
    assert_int_equal (kj_db_run (fx.db,
                                 "UPDATE enterprise SET parts = '[]', "
                                 "parts_format = 0 WHERE code = $1",
                                 1, params),
                      1);
    s_all_same (&fx, 101);
    assert_int_equal (s_export_same (&fx, year), 101);
    rfx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_registry_read", "warn");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_one_statement_same_bytes),
        cmocka_unit_test (test_stored_after_every_write),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
