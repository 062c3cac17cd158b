/*  =========================================================================
    test_matching_filter - every hard filter at its boundary: region (metro
    to metro, metro to Dalian only province-wide), renewal per size and
    the 2027-09-30 cut-off, IP pledge caps per loan and per year, amount,
    term, grade, points, qualifications, collateral, stage map, first
    loan, negative list; all reasons of a why-not
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "matching_filter.h"
#include "registry.pb-c.h"

#define BIT(v) (1u << (v))
#define WAN    INT64_C (1000000)  //  10,000 yuan in fen

//  The products' region tokens: s_product points to them, a test may
//  change them (each test starts from "210100" alone)
static const char *s_tokens [MATCHING_MAX_REGIONS];

static matching_product_t
s_product (void)
{
    memset (s_tokens, 0, sizeof s_tokens);
    s_tokens [0] = "210100";
    matching_product_t p = { .id = "P1",
                             .institution_id = "I1",
                             .type = KJ__PRODUCT_TYPE__PRODUCT_CREDIT,
                             .min_amount_fen = 10 * WAN,
                             .max_amount_fen = 500 * WAN,
                             .min_term_months = 6,
                             .max_term_months = 36,
                             .rate_bp = 400,
                             .regions = s_tokens,
                             .n_regions = 1,
                             .valid_from = 20260101,
                             .valid_to = 20271231,
                             .listed = true };
    return p;
}

static matching_enterprise_t
s_enterprise (void)
{
    matching_enterprise_t e = { .code = "91210300MA0XXXXX0X",
                                .region = "210300",
                                .size = KJ__SIZE_CLASS__SIZE_SMALL,
                                .stage = KJ__STAGE__STAGE_STARTUP,
                                .grade = 3,
                                .points = 60,
                                .first_loan = true };
    return e;
}

static matching_demand_t
s_demand (void)
{
    matching_demand_t d = { .amount_fen = 100 * WAN,
                            .term_months = 12,
                            .instrument = MATCHING_INSTRUMENT_LOAN,
                            .on = 20261203 };
    return d;
}

//  The reasons' codes of a verdict, comma-separated
static const char *
s_codes (const matching_product_t *p, const matching_enterprise_t *e,
         const matching_demand_t *d)
{
    static char buf [256];
    matching_verdict_t verdict;
    bool ok = matching_filter_check (p, e, d, &verdict);
    buf [0] = 0;
    for (size_t i = 0; i < verdict.count; i++) {
        if (i)
            strcat (buf, ",");
        strcat (buf, matching_filter_code_name (verdict.reasons [i].code));
        assert_true (strlen (verdict.reasons [i].text) > 0);
    }
    assert_int_equal (ok, verdict.count == 0);
    return buf;
}

static void
test_baseline_passes (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    assert_string_equal (s_codes (&p, &e, &d), "");
}

static void
test_region_rule (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    //  metro to metro: an Anshan firm, a Shenyang-only product; and the zone
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.region = "SFDZ";
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.region = "211200";      //  Tieling
    s_tokens [0] = "210900";  //  Fuxin
    assert_string_equal (s_codes (&p, &e, &d), "");
    //  metro to Dalian: only province-wide products
    e.region = "210300";
    s_tokens [0] = "210200";
    assert_string_equal (s_codes (&p, &e, &d), "region");
    s_tokens [1] = "PROVINCE";
    p.n_regions = 2;
    assert_string_equal (s_codes (&p, &e, &d), "");
    //  Yingkou is not metro: a Shenyang product does not serve it
    e.region = "210800";
    s_tokens [0] = "210100";
    p.n_regions = 1;
    assert_string_equal (s_codes (&p, &e, &d), "region");
    s_tokens [0] = "SHENYANG_METRO";
    assert_string_equal (s_codes (&p, &e, &d), "region");
    s_tokens [0] = "210800";
    assert_string_equal (s_codes (&p, &e, &d), "");
    //  Dalian firm: Dalian or province-wide products only
    e.region = "210200";
    s_tokens [0] = "SHENYANG_METRO";
    assert_string_equal (s_codes (&p, &e, &d), "region");
    s_tokens [0] = "PROVINCE";
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.region = "";
    assert_string_equal (s_codes (&p, &e, &d), "region");
}

static void
test_amount_and_term_bounds (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    d.amount_fen = p.min_amount_fen;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.amount_fen = p.min_amount_fen - 1;
    assert_string_equal (s_codes (&p, &e, &d), "amount");
    d.amount_fen = p.max_amount_fen;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.amount_fen = p.max_amount_fen + 1;
    assert_string_equal (s_codes (&p, &e, &d), "amount");
    d = s_demand ();
    d.term_months = 6;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.term_months = 5;
    assert_string_equal (s_codes (&p, &e, &d), "term");
    d.term_months = 36;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.term_months = 37;
    assert_string_equal (s_codes (&p, &e, &d), "term");
}

static void
test_active_and_valid (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    d.on = 20260101;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.on = 20251231;
    assert_string_equal (s_codes (&p, &e, &d), "not_valid");
    d.on = 20271231;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.on = 20280101;
    assert_string_equal (s_codes (&p, &e, &d), "not_valid");
    d.on = 20261203;
    p.listed = false;
    assert_string_equal (s_codes (&p, &e, &d), "inactive");
}

static void
test_stage_and_map (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    p.stages = BIT (KJ__STAGE__STAGE_GROWTH);
    assert_string_equal (s_codes (&p, &e, &d), "stage");
    p.stages |= BIT (KJ__STAGE__STAGE_STARTUP);
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.stage = KJ__STAGE__STAGE_UNKNOWN;
    assert_string_equal (s_codes (&p, &e, &d), "stage");
    //  measure 1: leasing is growth-stage supply, not start-up
    p = s_product ();
    e = s_enterprise ();
    p.type = KJ__PRODUCT_TYPE__PRODUCT_LEASING;
    d.instrument = MATCHING_INSTRUMENT_LEASING;
    assert_string_equal (s_codes (&p, &e, &d), "stage_map");
    e.stage = KJ__STAGE__STAGE_GROWTH;
    assert_string_equal (s_codes (&p, &e, &d), "");
    //  linkage for start-up and growth, not incubation or mature
    assert_true (matching_filter_stage_offers (
        KJ__STAGE__STAGE_STARTUP,
        KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE));
    assert_true (matching_filter_stage_offers (
        KJ__STAGE__STAGE_GROWTH,
        KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE));
    assert_false (matching_filter_stage_offers (
        KJ__STAGE__STAGE_INCUBATION,
        KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE));
    assert_false (matching_filter_stage_offers (
        KJ__STAGE__STAGE_MATURE,
        KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE));
    assert_true (matching_filter_stage_offers (KJ__STAGE__STAGE_MATURE,
                                               KJ__PRODUCT_TYPE__PRODUCT_BOND));
    assert_false (matching_filter_stage_offers (9, 1));
    //  instrument: an equity demand does not match a loan
    d = s_demand ();
    e = s_enterprise ();
    p = s_product ();
    d.instrument = MATCHING_INSTRUMENT_EQUITY;
    assert_string_equal (s_codes (&p, &e, &d), "instrument");
    p.type = KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED;
    d.instrument = MATCHING_INSTRUMENT_GUARANTEE;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.instrument = MATCHING_INSTRUMENT_LOAN;
    assert_string_equal (s_codes (&p, &e, &d), "");
}

static void
test_qualifications_grade_points_collateral (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    p.qualifications = BIT (KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH);
    assert_string_equal (s_codes (&p, &e, &d), "qualification");
    e.qualifications = BIT (KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH);
    assert_string_equal (s_codes (&p, &e, &d), "");
    p.any_qualifications = BIT (KJ__QUALIFICATION_KIND__QUAL_SRDI)
                         | BIT (KJ__QUALIFICATION_KIND__QUAL_GAZELLE);
    assert_string_equal (s_codes (&p, &e, &d), "qualification");
    e.qualifications |= BIT (KJ__QUALIFICATION_KIND__QUAL_GAZELLE);
    assert_string_equal (s_codes (&p, &e, &d), "");

    p = s_product ();
    e = s_enterprise ();
    p.min_grade = 3;  //  A
    assert_string_equal (s_codes (&p, &e, &d), "");
    p.min_grade = 4;
    assert_string_equal (s_codes (&p, &e, &d), "grade");
    e.grade = 0;
    p.min_grade = 1;
    assert_string_equal (s_codes (&p, &e, &d), "grade");
    e = s_enterprise ();
    p.min_grade = 0;
    p.min_points = 60;
    assert_string_equal (s_codes (&p, &e, &d), "");
    p.min_points = 61;
    assert_string_equal (s_codes (&p, &e, &d), "points");

    p = s_product ();
    p.collateral = BIT (KJ__COLLATERAL__COLLATERAL_IP)
                 | BIT (KJ__COLLATERAL__COLLATERAL_GUARANTEE);
    d.collateral = BIT (KJ__COLLATERAL__COLLATERAL_IP);
    assert_string_equal (s_codes (&p, &e, &d), "collateral");
    d.collateral |= BIT (KJ__COLLATERAL__COLLATERAL_GUARANTEE)
                  | BIT (KJ__COLLATERAL__COLLATERAL_REAL_ESTATE);
    assert_string_equal (s_codes (&p, &e, &d), "");
}

static void
test_first_loan_and_negative_list (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    p.type = KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN;
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.first_loan = false;
    assert_string_equal (s_codes (&p, &e, &d), "first_loan");
    p.type = KJ__PRODUCT_TYPE__PRODUCT_CREDIT;
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.dishonest = true;
    assert_string_equal (s_codes (&p, &e, &d), "negative_list");
    e.dishonest = false;
    e.abnormal = true;
    assert_string_equal (s_codes (&p, &e, &d), "negative_list");
    e.abnormal = false;
    e.tax_grade_d = true;
    assert_string_equal (s_codes (&p, &e, &d), "negative_list");
}

static void
test_renewal_predicate_per_size_and_cutoff (void **state)
{
    int on = 20261203;
    //  micro and small: any maturity after today
    assert_true (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_MICRO,
                                                   20301231, on, false, false));
    assert_true (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_SMALL,
                                                   20301231, on, false, false));
    //  medium: maturing on or before 2027-09-30
    assert_true (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_MEDIUM,
                                                   20270930, on, false, false));
    assert_false (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_MEDIUM,
                                                    20271001, on, false,
                                                    false));
    //  large and unknown: never
    assert_false (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_LARGE,
                                                    20270101, on, false,
                                                    false));
    assert_false (
        matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_UNKNOWN,
                                          20270101, on, false, false));
    //  before maturity, no arrears, not blacklisted
    assert_true (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_SMALL,
                                                   20261204, on, false, false));
    assert_false (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_SMALL,
                                                    20261203, on, false,
                                                    false));
    assert_false (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_SMALL,
                                                    20270101, on, true, false));
    assert_false (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_SMALL,
                                                    20270101, on, false, true));
    assert_false (matching_filter_renewal_eligible (KJ__SIZE_CLASS__SIZE_SMALL,
                                                    0, on, false, false));

    //  through the filter: a renewal product wants a renewal demand
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    p.type = KJ__PRODUCT_TYPE__PRODUCT_RENEWAL;
    assert_string_equal (s_codes (&p, &e, &d), "renewal");
    d.renewal = true;
    d.renew_maturity = 20270930;
    assert_string_equal (s_codes (&p, &e, &d), "");
    e.size = KJ__SIZE_CLASS__SIZE_MEDIUM;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.renew_maturity = 20271001;
    assert_string_equal (s_codes (&p, &e, &d), "renewal");
    e.size = KJ__SIZE_CLASS__SIZE_LARGE;
    d.renew_maturity = 20270101;
    assert_string_equal (s_codes (&p, &e, &d), "renewal");
    //  a renewal demand does not match an ordinary loan
    e = s_enterprise ();
    p.type = KJ__PRODUCT_TYPE__PRODUCT_CREDIT;
    assert_string_equal (s_codes (&p, &e, &d), "renewal");
}

static void
test_ip_pledge_caps (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    p.type = KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE;
    p.max_amount_fen = 1000 * WAN;
    p.max_term_months = 24;
    //  small: 6,000,000 yuan per loan
    d.amount_fen = 600 * WAN;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.amount_fen = 600 * WAN + 1;
    assert_string_equal (s_codes (&p, &e, &d), "ip_cap");
    //  medium the same
    e.size = KJ__SIZE_CLASS__SIZE_MEDIUM;
    d.amount_fen = 600 * WAN;
    assert_string_equal (s_codes (&p, &e, &d), "");
    //  micro: 2,000,000
    e.size = KJ__SIZE_CLASS__SIZE_MICRO;
    d.amount_fen = 200 * WAN;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.amount_fen = 200 * WAN + 1;
    assert_string_equal (s_codes (&p, &e, &d), "ip_cap");
    //  large: not served
    e.size = KJ__SIZE_CLASS__SIZE_LARGE;
    d.amount_fen = 100 * WAN;
    assert_string_equal (s_codes (&p, &e, &d), "ip_cap");
    //  8,000,000 a year per enterprise
    e.size = KJ__SIZE_CLASS__SIZE_SMALL;
    e.ip_pledged_year_fen = 300 * WAN;
    d.amount_fen = 500 * WAN;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.amount_fen = 500 * WAN + 1;
    assert_string_equal (s_codes (&p, &e, &d), "ip_cap");
    e.ip_pledged_year_fen = 800 * WAN;
    d.amount_fen = 10 * WAN;
    assert_string_equal (s_codes (&p, &e, &d), "ip_cap");
    //  at most 12 months
    e.ip_pledged_year_fen = 0;
    d.term_months = 12;
    assert_string_equal (s_codes (&p, &e, &d), "");
    d.term_months = 13;
    assert_string_equal (s_codes (&p, &e, &d), "ip_cap");
}

static void
test_why_not_lists_every_reason (void **state)
{
    matching_product_t p = s_product ();
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    s_tokens [0] = "210200";
    p.min_grade = 5;
    d.amount_fen = 1;
    d.term_months = 60;
    assert_string_equal (s_codes (&p, &e, &d), "grade,amount,term,region");
    matching_verdict_t verdict;
    matching_filter_check (&p, &e, &d, &verdict);
    assert_non_null (strstr (verdict.reasons [0].text, "AAA"));
    assert_non_null (strstr (verdict.reasons [3].text, "210300"));
    assert_int_equal (matching_filter_instrument ("bond"),
                      MATCHING_INSTRUMENT_BOND);
    assert_int_equal (matching_filter_instrument ("cash"),
                      MATCHING_INSTRUMENT_NONE);
}

//  Serving tokens worked out once give the same verdicts as each time
static void
test_region_prepared (void **state)
{
    const char *cities [] = { "210100", "210200", "210300", "210800",
                              "SFDZ",   "211200", "" };
    const char *tokens [] = { "210100", "210200",         "210300",  "210800",
                              "SFDZ",   "SHENYANG_METRO", "PROVINCE" };
    for (size_t c = 0; c < 7; c++)
        for (size_t t = 0; t < 7; t++) {
            matching_product_t p = s_product ();
            matching_enterprise_t e = s_enterprise ();
            matching_demand_t d = s_demand ();
            s_tokens [0] = tokens [t];
            e.region = cities [c];
            bool each = matching_filter_check (&p, &e, &d, NULL);
            e.n_serving = kj_region_serving (e.region, true, e.serving);
            assert_int_equal (matching_filter_check (&p, &e, &d, NULL), each);
            //  ... and as bits: the same again
            p.region_bits = matching_filter_region_bits (p.regions,
                                                         p.n_regions);
            e.serving_bits = matching_filter_region_bits (e.serving,
                                                          e.n_serving);
            assert_int_equal (matching_filter_check (&p, &e, &d, NULL), each);
        }
    //  A district code or a lower-case zone is no token: no bit
    const char *odd [] = { "210102", "sfdz", "NOWHERE" };
    assert_int_equal (matching_filter_region_bits (odd, 3), 0);
}

//  matching_filter_all over a catalogue: exactly the products that
//  matching_filter_check passes, in order, and the listed ones counted
static void
test_filter_all_as_each (void **state)
{
    matching_enterprise_t e = s_enterprise ();
    matching_demand_t d = s_demand ();
    matching_product_t c [12];
    for (size_t i = 0; i < 12; i++)
        c [i] = s_product ();
    c [1].listed = false;
    c [2].min_amount_fen = d.amount_fen + 1;  //  one fen short
    c [3].max_amount_fen = d.amount_fen;      //  at its bound: passes
    c [4].max_term_months = d.term_months - 1;
    c [5].min_grade = e.grade + 1;
    c [6].min_grade = e.grade;  //  at its bound: passes
    c [7].type = KJ__PRODUCT_TYPE__PRODUCT_RENEWAL;
    c [8].valid_to = d.on - 1;
    c [9].collateral = 1;
    c [10].type = KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE;
    c [10].max_amount_fen = 1000 * WAN;
    d.amount_fen = 100 * WAN;  //  IP pledge: under the small firm's cap
    uint32_t passing [12];
    size_t listed = 0;
    size_t n = matching_filter_all (c, 12, &e, &d, passing, &listed);
    uint32_t expected [] = { 0, 3, 6, 10, 11 };
    assert_int_equal (n, 5);
    assert_memory_equal (passing, expected, sizeof expected);
    assert_int_equal (listed, 11);
    size_t each = 0;
    for (size_t i = 0; i < 12; i++)
        if (matching_filter_check (&c [i], &e, &d, NULL))
            assert_int_equal (passing [each++], i);
    assert_int_equal (each, n);
    //  None at all, and no count asked for
    e.dishonest = true;
    assert_int_equal (matching_filter_all (c, 12, &e, &d, passing, NULL), 0);
    assert_int_equal (matching_filter_all (c, 0, &e, &d, passing, &listed), 0);
    assert_int_equal (listed, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_baseline_passes),
        cmocka_unit_test (test_region_rule),
        cmocka_unit_test (test_region_prepared),
        cmocka_unit_test (test_amount_and_term_bounds),
        cmocka_unit_test (test_active_and_valid),
        cmocka_unit_test (test_stage_and_map),
        cmocka_unit_test (test_qualifications_grade_points_collateral),
        cmocka_unit_test (test_first_loan_and_negative_list),
        cmocka_unit_test (test_renewal_predicate_per_size_and_cutoff),
        cmocka_unit_test (test_ip_pledge_caps),
        cmocka_unit_test (test_why_not_lists_every_reason),
        cmocka_unit_test (test_filter_all_as_each),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
