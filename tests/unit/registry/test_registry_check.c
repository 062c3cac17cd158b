/*  =========================================================================
    test_registry_check - validation of the registry's input: each refusal
    names the field and says what was expected
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry_check.h"

//  Assert a refusal: code, field, and a piece of the message.
static void
s_assert_refused (int rc, const kj_status_t *status, int code,
                  const char *field, const char *fragment)
{
    assert_int_equal (rc, -1);
    assert_int_equal (status->code, code);
    assert_string_equal (status->field, field);
    if (!strstr (status->message, fragment))
        fail_msg ("message \"%s\" lacks \"%s\"", status->message, fragment);
}

//  --------------------------------------------------------------------------

static void
test_date_valid (void **state)
{
    kj_date_t date;
    kj_status_t status;
    assert_int_equal (kj_check_date ("2024-02-29", "d", &date, &status), 0);
    assert_int_equal (date.year, 2024);
    assert_int_equal (date.month, 2);
    assert_int_equal (date.day, 29);
    char text [11];
    kj_check_date_format (date, text);
    assert_string_equal (text, "2024-02-29");
}

static void
test_date_refused (void **state)
{
    kj_date_t date;
    kj_status_t status;
    s_assert_refused (kj_check_date ("2023-02-29", "founded_on", &date,
                                     &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "founded_on",
                      "2023-02 has 28 days");
    s_assert_refused (kj_check_date ("2023-13-01", "x", &date, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "x", "no month 13");
    s_assert_refused (kj_check_date ("2023/01/01", "x", &date, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "x", "YYYY-MM-DD");
    //  A long Chinese value is quoted cut on a character boundary: 13
    //  whole characters of the 40 bytes, never half of the 14th
    s_assert_refused (kj_check_date ("二〇二三年一月一日二〇二三年一月一日",
                                     "x", &date, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "x",
                      "'二〇二三年一月一日二〇二三' is not a date");
    s_assert_refused (kj_check_date ("1899-12-31", "x", &date, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "x", "out of range");
    s_assert_refused (kj_check_date ("", "x", &date, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "x", "not a date");
    s_assert_refused (kj_check_date (NULL, "x", &date, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "x", "not a date");
}

static void
test_date_compare (void **state)
{
    kj_date_t a = { 2024, 1, 31 }, b = { 2024, 2, 1 };
    assert_true (kj_check_date_compare (a, b) < 0);
    assert_true (kj_check_date_compare (b, a) > 0);
    assert_int_equal (kj_check_date_compare (a, a), 0);
}

static void
test_text (void **state)
{
    kj_status_t status;
    assert_int_equal (kj_check_text ("沈阳新松", "name", 4, true, &status), 0);
    s_assert_refused (kj_check_text ("沈阳新松机", "name", 4, true, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "name",
                      "5 characters, at most 4");
    s_assert_refused (kj_check_text ("", "name", 4, true, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "name", "required");
    assert_int_equal (kj_check_text ("", "name", 4, false, &status), 0);
    s_assert_refused (kj_check_text ("a\xff", "name", 10, true, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "name",
                      "not valid UTF-8");
    //  An overlong encoding of '/' and a surrogate are not UTF-8 either
    s_assert_refused (kj_check_text ("\xc0\xaf", "n", 10, true, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "n",
                      "not valid UTF-8");
    s_assert_refused (kj_check_text ("\xed\xa0\x80", "n", 10, true, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "n",
                      "not valid UTF-8");
    s_assert_refused (kj_check_text ("a\tb", "n", 10, true, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "n",
                      "control character 0x09");
}

static void
test_id_money_count (void **state)
{
    kj_status_t status;
    assert_int_equal (kj_check_id ("I000001", "id", &status), 0);
    assert_int_equal (kj_check_id ("bank-of.x_1", "id", &status), 0);
    s_assert_refused (kj_check_id ("-x", "id", &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "id", "not an id");
    s_assert_refused (kj_check_id ("a b", "id", &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "id", "not an id");
    s_assert_refused (kj_check_id ("12345678901234567890123456789012345678901",
                                   "id", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "id", "1 to 40");
    assert_int_equal (kj_check_money (-1, "net", true, &status), 0);
    s_assert_refused (kj_check_money (-1, "revenue_fen", false, &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "revenue_fen",
                      "negative");
    s_assert_refused (kj_check_count (11, "staff", 10, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "staff",
                      "out of range (0 to 10)");
}

static void
test_trim (void **state)
{
    char *text = kj_check_trim ("  沈阳 \t\n");
    assert_string_equal (text, "沈阳");
    free (text);
    text = kj_check_trim (NULL);
    assert_string_equal (text, "");
    free (text);
}

static void
test_enum_names (void **state)
{
    char buffer [48];
    assert_string_equal (
        kj_check_enum_name (&kj__qualification_kind__descriptor, "QUAL_",
                            KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH, buffer,
                            sizeof buffer),
        "high_tech");
    assert_string_equal (
        kj_check_enum_name (&kj__entry_status__descriptor, "ENTRY_",
                            KJ__ENTRY_STATUS__ENTRY_CITY_APPROVED, buffer,
                            sizeof buffer),
        "city_approved");
    assert_null (kj_check_enum_name (&kj__stage__descriptor, "STAGE_", 99,
                                     buffer, sizeof buffer));
    assert_int_equal (kj_check_enum_value (&kj__product_type__descriptor,
                                           "PRODUCT_", "invest_loan_linkage"),
                      KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE);
    assert_int_equal (kj_check_enum_value (&kj__stage__descriptor, "STAGE_",
                                           "Growth"),
                      KJ__STAGE__STAGE_GROWTH);
    assert_int_equal (kj_check_enum_value (&kj__stage__descriptor, "STAGE_",
                                           "adult"),
                      -1);
    assert_int_equal (kj_check_enum_value (&kj__stage__descriptor, "STAGE_",
                                           ""),
                      -1);
}

static void
test_mask (void **state)
{
    kj_status_t status;
    char *good [] = { "name", "credit.tax_grade" };
    assert_int_equal (kj_check_mask (good, 2, registry_check_enterprise_fields,
                                     &status),
                      0);
    char *bad [] = { "name", "stage" };
    s_assert_refused (kj_check_mask (bad, 2, registry_check_enterprise_fields,
                                     &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "update_mask[1]",
                      "'stage' is not a field that can be updated");
    //  The names it lists, as they always were (the mask list is made
    //  from the field tables' rows)
    assert_string_equal (status.message,
                         "update_mask[1]: 'stage' is not a field that can be "
                         "updated; one of: name, region, industry, "
                         "founded_on, size_class, listing_tutoring, "
                         "board_standard, chain_leader, credit, ip, awards, "
                         "rounds, loans, chain_links");
    s_assert_refused (kj_check_mask (NULL, 0, registry_check_enterprise_fields,
                                     &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "update_mask",
                      "empty");
    char *credit [] = { "credit" };
    assert_true (kj_check_masked (credit, 1, "credit.dishonest"));
    assert_true (kj_check_masked (credit, 1, "credit"));
    assert_false (kj_check_masked (credit, 1, "creditor"));
    char *sub [] = { "ip.class2_ip" };
    assert_true (kj_check_masked (sub, 1, "ip.class2_ip"));
    assert_false (kj_check_masked (sub, 1, "ip.pledged_ip"));
}

//  --------------------------------------------------------------------------
//  Figures: each money field and each count, by its own name

static void
test_figures (void **state)
{
    kj_status_t status;
    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    f.year = 2024;
    f.revenue_fen = 100;
    f.net_profit_fen = -50;  //  a loss is fine
    f.operating_cash_flow_fen = -10;
    f.staff = 10;
    f.tech_staff = 10;
    assert_int_equal (registry_check_figures (&f, "figures[0]", &status), 0);

    f.rnd_fen = -1;
    s_assert_refused (registry_check_figures (&f, "enterprise.figures[2]",
                                              &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.figures[2].rnd_fen", "negative");
    f.rnd_fen = 0;
    f.tech_staff = 11;
    s_assert_refused (registry_check_figures (&f, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].tech_staff",
                      "figures[0].tech_staff: 2024: 11 tech staff, more than "
                      "the 10 staff");
    f.tech_staff = 1;
    f.high_tech_revenue_fen = 101;
    s_assert_refused (registry_check_figures (&f, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].high_tech_revenue_fen",
                      "figures[0].high_tech_revenue_fen: 2024: high-tech "
                      "revenue ¥1.01, more than the revenue of ¥1.00");
    f.high_tech_revenue_fen = 0;
    f.year = 1800;
    s_assert_refused (registry_check_figures (&f, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "figures[0].year",
                      "out of range");
}

//  Figures not reported: known names, once each, and never with a value

static void
test_figures_not_reported (void **state)
{
    kj_status_t status;
    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    f.year = 2024;
    f.revenue_fen = 100;
    char *names [] = { "rnd", "tech-staff", "x" };
    f.not_reported = names;
    f.n_not_reported = 2;
    assert_int_equal (registry_check_figures (&f, "figures[0]", &status), 0);
    names [1] = "revenue";
    s_assert_refused (registry_check_figures (&f, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].not_reported",
                      "2024: 'revenue' is given and not reported at once");
    names [1] = "rnd";
    s_assert_refused (registry_check_figures (&f, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].not_reported", "'rnd' is named twice");
    names [1] = "profit";
    s_assert_refused (registry_check_figures (&f, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].not_reported", "'profit' is no figure");
    assert_int_equal (registry_check_figure ("tech-staff"), 8);
    assert_int_equal (registry_check_figure ("tech_staff"), -1);

    //  A bound not reported is unknown, not 0: nothing to exceed
    Kj__YearFigures g = KJ__YEAR_FIGURES__INIT;
    g.year = 2024;
    g.tech_staff = 5;
    g.high_tech_revenue_fen = 100;
    char *unknown [] = { "staff", "revenue" };
    g.not_reported = unknown;
    g.n_not_reported = 2;
    assert_int_equal (registry_check_figures (&g, "figures[0]", &status), 0);
    g.n_not_reported = 1;
    s_assert_refused (registry_check_figures (&g, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].high_tech_revenue_fen",
                      "more than the revenue");
    unknown [0] = "revenue";
    s_assert_refused (registry_check_figures (&g, "figures[0]", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "figures[0].tech_staff", "more than the 0 staff");
}

//  The figure table reaches each field of YearFigures once, in the order
//  of the message, counts as int32 and money as int64
static void
test_figure_table (void **state)
{
    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    for (int i = 0; i < REGISTRY_FIGURES; i++)
        registry_check_figure_set (&f, i, 100 + i);
    assert_int_equal (f.revenue_fen, 100);
    assert_int_equal (f.rnd_fen, 101);
    assert_int_equal (f.net_profit_fen, 102);
    assert_int_equal (f.total_assets_fen, 103);
    assert_int_equal (f.operating_cash_flow_fen, 104);
    assert_int_equal (f.high_tech_revenue_fen, 105);
    assert_int_equal (f.total_cost_fen, 106);
    assert_int_equal (f.staff, 107);
    assert_int_equal (f.tech_staff, 108);
    char *names [] = { "cost" };
    f.not_reported = names;
    f.n_not_reported = 1;
    for (int i = 0; i < REGISTRY_FIGURES; i++) {
        assert_int_equal (registry_check_figure_value (&f, i), 100 + i);
        assert_int_equal (registry_check_figure (
                              registry_check_figure_table [i].name),
                          i);
        assert_int_equal (registry_check_figure_reported (&f, i), i != 6);
    }
    assert_string_equal (registry_check_figure_table [4].column,
                         "operating_cash_flow_fen");
    assert_true (registry_check_figure_table [4].may_be_negative);
    assert_true (registry_check_figure_table [8].count);
}

static void
test_figures_list_twice (void **state)
{
    kj_status_t status;
    Kj__YearFigures a = KJ__YEAR_FIGURES__INIT, b = KJ__YEAR_FIGURES__INIT;
    a.year = b.year = 2023;
    Kj__YearFigures *list [] = { &a, &b };
    s_assert_refused (registry_check_figures_list (list, 2, "figures", &status),
                      &status, KJ__CODE__INVALID_ARGUMENT, "figures[1].year",
                      "2023 is given twice (also figures[0])");
    b.year = 2024;
    assert_int_equal (registry_check_figures_list (list, 2, "figures", &status),
                      0);
}

static void
test_qualification (void **state)
{
    kj_status_t status;
    Kj__Qualification q = KJ__QUALIFICATION__INIT;
    q.kind = KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH;
    q.expires_on = "2027-12-31";
    assert_int_equal (registry_check_qualification (&q, "qualification",
                                                    &status),
                      0);
    q.expires_on = "";
    s_assert_refused (registry_check_qualification (&q, "qualification",
                                                    &status),
                      &status, KJ__CODE__INVALID_ARGUMENT,
                      "qualification.expires_on",
                      "every qualification has an expiry date");
    q.expires_on = "2027-12-31";
    q.granted_on = "2028-01-01";
    s_assert_refused (registry_check_qualification (&q, "q", &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "q.granted_on",
                      "after the expiry date");
    q.granted_on = "";
    q.kind = 0;
    s_assert_refused (registry_check_qualification (&q, "q", &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "q.kind", "must be set");
    q.kind = 77;
    s_assert_refused (registry_check_qualification (&q, "q", &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "q.kind",
                      "77 is not a QualificationKind");
}

//  --------------------------------------------------------------------------
//  The dates the check read, given back so that no one parses them again:
//  the founding date when the mask names it, each qualification's expiry

static void
test_enterprise_dates (void **state)
{
    kj_status_t status;
    registry_check_dates_t dates;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__Qualification q [2] = { KJ__QUALIFICATION__INIT,
                                KJ__QUALIFICATION__INIT };
    Kj__Qualification *quals [] = { &q [0], &q [1] };
    q [0].kind = KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH;
    q [0].expires_on = "2027-10-31";
    q [1].kind = KJ__QUALIFICATION_KIND__QUAL_SRDI;
    q [1].expires_on = "2026-02-28";
    e.name = "x";
    e.founded_on = "2018-03-15";
    e.qualifications = quals;
    e.n_qualifications = 2;
    assert_int_equal (registry_check_enterprise_dated (&e, NULL, 0, &dates,
                                                       &status),
                      0);
    assert_int_equal (dates.founded_on.year, 2018);
    assert_int_equal (dates.founded_on.month, 3);
    assert_int_equal (dates.founded_on.day, 15);
    assert_int_equal (dates.expires_on [0].year, 2027);
    assert_int_equal (dates.expires_on [0].day, 31);
    assert_int_equal (dates.expires_on [1].month, 2);
    //  Not named by the mask, or not given: year 0
    char *mask [] = { "industry" };
    assert_int_equal (registry_check_enterprise_dated (&e, mask, 1, &dates,
                                                       &status),
                      0);
    assert_int_equal (dates.founded_on.year, 0);
    e.founded_on = "";
    assert_int_equal (registry_check_enterprise_dated (&e, NULL, 0, &dates,
                                                       &status),
                      0);
    assert_int_equal (dates.founded_on.year, 0);
}

//  --------------------------------------------------------------------------
//  A whole enterprise, and the lists by item

static void
test_enterprise (void **state)
{
    kj_status_t status;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = "91210100MA0QEK7B6N";
    e.name = "沈阳新松科技有限公司";
    e.founded_on = "2018-03-15";
    assert_int_equal (registry_check_enterprise (&e, NULL, 0, &status), 0);

    e.name = "";
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "enterprise.name",
                      "required");
    //  Not in the mask: not checked
    char *mask [] = { "industry" };
    assert_int_equal (registry_check_enterprise (&e, mask, 1, &status), 0);
    e.name = "x";

    e.size_class = 9;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "enterprise.size_class",
                      "not a SizeClass");
    e.size_class = 0;

    Kj__CreditFlags credit = KJ__CREDIT_FLAGS__INIT;
    credit.tax_grade = "AA";
    e.credit = &credit;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "enterprise.credit.tax_grade",
                      "not a tax credit grade");
    credit.tax_grade = "M";
    assert_int_equal (registry_check_enterprise (&e, NULL, 0, &status), 0);

    Kj__IpAssets ip = KJ__IP_ASSETS__INIT;
    ip.class2_ip = -3;
    e.ip = &ip;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "enterprise.ip.class2_ip",
                      "out of range");
    ip.class2_ip = 3;

    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    f.year = 2024;
    f.total_cost_fen = -7;
    Kj__YearFigures *figures [] = { &f };
    e.figures = figures;
    e.n_figures = 1;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.figures[0].total_cost_fen", "negative");
    f.total_cost_fen = 7;
    assert_int_equal (registry_check_enterprise (&e, NULL, 0, &status), 0);
}

static void
test_enterprise_lists (void **state)
{
    kj_status_t status;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.name = "x";
    Kj__Award award = KJ__AWARD__INIT;
    award.name = "中国创新创业大赛";
    award.level = KJ__LEVEL__LEVEL_NATIONAL;
    award.year = 2023;
    Kj__Award *awards [] = { &award };
    e.awards = awards;
    e.n_awards = 1;
    assert_int_equal (registry_check_enterprise (&e, NULL, 0, &status), 0);
    award.level = 0;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT, "enterprise.awards[0].level",
                      "must be set");
    award.level = KJ__LEVEL__LEVEL_NATIONAL;

    Kj__EquityRound round = KJ__EQUITY_ROUND__INIT;
    round.round = KJ__ROUND__ROUND_A;
    round.amount_fen = 100;
    round.closed_on = "2023-02-30";
    Kj__EquityRound *rounds [] = { &round };
    e.rounds = rounds;
    e.n_rounds = 1;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.rounds[0].closed_on", "28 days");
    round.closed_on = "2023-02-28";

    Kj__BankLoan loan = KJ__BANK_LOAN__INIT;
    loan.lender = "中国银行";
    loan.amount_fen = 0;
    loan.drawn_on = "2024-01-15";
    Kj__BankLoan *loans [] = { &loan };
    e.loans = loans;
    e.n_loans = 1;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.loans[0].amount_fen", "more than ¥0");
    loan.amount_fen = 500;
    loan.matures_on = "2023-01-01";
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.loans[0].matures_on", "before the loan");
    loan.matures_on = "";

    Kj__ChainLink link = KJ__CHAIN_LINK__INIT;
    link.leader_code = "91210100MA0QEK7B7N";
    Kj__ChainLink *links [] = { &link };
    e.chain_links = links;
    e.n_chain_links = 1;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.chain_links[0].leader_code", "position 17");
    link.leader_code = " 91210200241281739m ";
    assert_int_equal (registry_check_enterprise (&e, NULL, 0, &status), 0);

    Kj__Qualification a = KJ__QUALIFICATION__INIT, b = KJ__QUALIFICATION__INIT;
    a.kind = b.kind = KJ__QUALIFICATION_KIND__QUAL_SRDI;
    a.expires_on = b.expires_on = "2030-01-01";
    Kj__Qualification *quals [] = { &a, &b };
    e.qualifications = quals;
    e.n_qualifications = 2;
    s_assert_refused (registry_check_enterprise (&e, NULL, 0, &status), &status,
                      KJ__CODE__INVALID_ARGUMENT,
                      "enterprise.qualifications[1].kind", "given twice");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_date_valid),
        cmocka_unit_test (test_date_refused),
        cmocka_unit_test (test_date_compare),
        cmocka_unit_test (test_text),
        cmocka_unit_test (test_id_money_count),
        cmocka_unit_test (test_trim),
        cmocka_unit_test (test_enum_names),
        cmocka_unit_test (test_mask),
        cmocka_unit_test (test_figures),
        cmocka_unit_test (test_figures_not_reported),
        cmocka_unit_test (test_figure_table),
        cmocka_unit_test (test_figures_list_twice),
        cmocka_unit_test (test_qualification),
        cmocka_unit_test (test_enterprise),
        cmocka_unit_test (test_enterprise_dates),
        cmocka_unit_test (test_enterprise_lists),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
