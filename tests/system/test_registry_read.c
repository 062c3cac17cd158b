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
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "registry_fixture.h"
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

static void
s_hand_made (rfx_t *fx)
{
    rfx_code ("210100", 901, s_whole);
    rfx_code ("210200", 902, s_bare);
    const char *params [] = { s_bare };
    assert_int_equal (kj_db_run (fx->db,
                                 "INSERT INTO enterprise (code, name, region) "
                                 "VALUES ($1, 'NULL', '210200')",
                                 1, params),
                      1);
    s_run (fx, "INSERT INTO enterprise (code, name, region, industry, "
               "founded_on, stage, stage_computed, stage_rule, stage_reason, "
               "stage_at, tax_grade, invention_patents) VALUES ($1, "
               "'读取, \"全部\" \\ {x}', '210100', 'C39', '2001-02-03', "
               "'growth', 'startup', 'manual', 'set, by \"hand\"', now (), "
               "'A', 3)");
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

//  --------------------------------------------------------------------------
//  Every enterprise of the demo set and the hand-made ones: the same
//  bytes both ways, and from GetEnterprise

static void
test_one_statement_same_bytes (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "registry_read", NULL);
    cli_t cli = { .prog = "kejin",
                  .broker = fx.broker.endpoint,
                  .timeout_ms = 20000 };
    char *argv [] = { "demo", "load", "--enterprises", "400", "--seed",
                      "5",    NULL };
    assert_int_equal (cli_demo (&cli, 6, argv), CLI_OK);
    kj_client_destroy (&cli.client);
    s_hand_made (&fx);

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
        ProtobufCBinaryData each = s_packed (&fx, code, true);
        ProtobufCBinaryData whole = s_packed (&fx, code, false);
        s_same (code, "one statement against one per part", whole, each);
        Kj__EnterpriseReply *reply = NULL;
        Kj__Enterprise *got = rfx_get (&fx, code, &reply);
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

int
main (void)
{
    kj_log_init ("test_registry_read", "warn");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_one_statement_same_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
