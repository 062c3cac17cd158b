/*  =========================================================================
    test_registry_techsme - the 科技型中小企业 grid at every boundary
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "registry_techsme.h"

//  An enterprise that passes comfortably: 20 + 50 + 30 = 100.
static registry_techsme_input_t
s_good (void)
{
    registry_techsme_input_t input = {
        .staff = 100,
        .tech_staff = 40,
        .sales_fen = INT64_C (5000000000),         //  ¥50m
        .rnd_fen = INT64_C (400000000),            //  ¥4m, 8% of sales
        .cost_fen = INT64_C (4000000000),          //  ¥40m, R&D 10%
        .total_assets_fen = INT64_C (8000000000),  //  ¥80m
        .ip_class1 = 2,
        .ip_class2 = 0,
    };
    return input;
}

//  --------------------------------------------------------------------------
//  Evaluate, expecting success.

static registry_techsme_result_t
s_evaluate (registry_techsme_input_t input)
{
    registry_techsme_result_t result;
    kj_status_t status;
    assert_int_equal (registry_techsme_evaluate (&input, &result, &status), 0);
    assert_int_equal (status.code, KJ__CODE__OK);
    return result;
}

//  --------------------------------------------------------------------------
//  Evaluate, expecting the R&D part from sales (a), from cost (b) and the
//  better of the two.

static void
s_assert_rnd (registry_techsme_input_t input, int sales_score, int cost_score,
              int rnd_score)
{
    registry_techsme_result_t result = s_evaluate (input);
    assert_int_equal (result.rnd_sales_score, sales_score);
    assert_int_equal (result.rnd_cost_score, cost_score);
    assert_int_equal (result.rnd_score, rnd_score);
}

//  --------------------------------------------------------------------------
//  Evaluate, expecting the enterprise not eligible for exactly reasons,
//  said as reason; the result.

static registry_techsme_result_t
s_assert_ineligible (registry_techsme_input_t input, unsigned reasons,
                     const char *reason)
{
    registry_techsme_result_t result = s_evaluate (input);
    assert_false (result.eligible);
    assert_int_equal (result.reasons, reasons);
    assert_string_equal (result.reason, reason);
    return result;
}

//  --------------------------------------------------------------------------
//  Evaluate, expecting input refused (INVALID_ARGUMENT) naming field.

static void
s_assert_rejected (registry_techsme_input_t input, const char *field,
                   const char *message)
{
    registry_techsme_result_t result;
    kj_status_t status;
    assert_int_equal (registry_techsme_evaluate (&input, &result, &status), -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, field);
    assert_string_equal (status.message, message);
}

static void
test_evaluate_good_enterprise (void **state)
{
    registry_techsme_result_t result = s_evaluate (s_good ());
    assert_int_equal (result.tech_staff_bp, 4000);
    assert_int_equal (result.rnd_sales_bp, 800);
    assert_int_equal (result.rnd_cost_bp, 1000);
    assert_int_equal (result.tech_staff_score, 20);
    assert_int_equal (result.rnd_sales_score, 50);
    assert_int_equal (result.rnd_cost_score, 10);
    assert_int_equal (result.rnd_score, 50);
    assert_int_equal (result.ip_score, 30);
    assert_int_equal (result.total, 100);
    assert_true (result.eligible);
    assert_int_equal (result.reasons, 0);
    assert_string_equal (result.reason, "");
}

//  Each row: tech staff out of 10000 staff, and the points.
static void
test_evaluate_tech_staff_bands (void **state)
{
    static const struct {
        int64_t tech;
        int points;
    } rows [] = {
        { 10000, 20 }, { 3001, 20 }, { 3000, 20 }, { 2999, 16 }, { 2500, 16 },
        { 2499, 12 },  { 2000, 12 }, { 1999, 8 },  { 1500, 8 },  { 1499, 4 },
        { 1000, 4 },   { 999, 0 },   { 1, 0 },     { 0, 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        registry_techsme_input_t input = s_good ();
        input.staff = 10000;
        input.tech_staff = rows [i].tech;
        registry_techsme_result_t result = s_evaluate (input);
        assert_int_equal (result.tech_staff_score, rows [i].points);
        assert_int_equal (result.tech_staff_bp, rows [i].tech);
    }
}

//  The same bands on small staff counts, where ratios are not whole bp.
static void
test_evaluate_tech_staff_small_counts (void **state)
{
    static const struct {
        int64_t tech, staff;
        int points;
    } rows [] = {
        { 3, 10, 20 },  //  30%
        { 2, 7, 16 },   //  28.57%
        { 1, 4, 16 },   //  25%
        { 6, 25, 12 },  //  24%
        { 1, 5, 12 },   //  20%
        { 3, 20, 8 },   //  15%
        { 1, 7, 4 },    //  14.29%
        { 1, 10, 4 },   //  10%
        { 1, 11, 0 },   //  9.09%
        { 1, 1, 20 },   //  100%
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        registry_techsme_input_t input = s_good ();
        input.staff = rows [i].staff;
        input.tech_staff = rows [i].tech;
        assert_int_equal (s_evaluate (input).tech_staff_score, rows [i].points);
    }
}

static void
test_evaluate_no_staff_scores_zero (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.staff = 0;
    input.tech_staff = 0;
    registry_techsme_result_t result =
        s_assert_ineligible (input, REGISTRY_TECHSME_NO_TECH_STAFF_SCORE,
                             "tech staff part scores 0 (no staff)");
    assert_int_equal (result.tech_staff_bp, -1);
    assert_int_equal (result.tech_staff_score, 0);
    assert_int_equal (result.total, 80);
}

//  Option (a) alone (no cost, so option (b) scores 0): R&D out of ¥1m sales.
static void
test_evaluate_rnd_sales_bands (void **state)
{
    static const struct {
        int64_t rnd;
        int points;
    } rows [] = {
        { 100000000, 50 }, { 6000001, 50 }, { 6000000, 50 }, { 5999999, 40 },
        { 5000000, 40 },   { 4999999, 30 }, { 4000000, 30 }, { 3999999, 20 },
        { 3000000, 20 },   { 2999999, 10 }, { 2000000, 10 }, { 1999999, 0 },
        { 0, 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        registry_techsme_input_t input = s_good ();
        input.sales_fen = 100000000;
        input.cost_fen = 0;
        input.rnd_fen = rows [i].rnd;
        registry_techsme_result_t result = s_evaluate (input);
        assert_int_equal (result.rnd_sales_score, rows [i].points);
        assert_int_equal (result.rnd_cost_score, 0);
        assert_int_equal (result.rnd_cost_bp, -1);
        assert_int_equal (result.rnd_score, rows [i].points);
    }
}

//  Option (b) alone (no sales, so option (a) scores 0): R&D out of ¥1m cost.
static void
test_evaluate_rnd_cost_bands (void **state)
{
    static const struct {
        int64_t rnd;
        int points;
    } rows [] = {
        { 100000000, 50 }, { 30000001, 50 }, { 30000000, 50 }, { 29999999, 40 },
        { 25000000, 40 },  { 24999999, 30 }, { 20000000, 30 }, { 19999999, 20 },
        { 15000000, 20 },  { 14999999, 10 }, { 10000000, 10 }, { 9999999, 0 },
        { 0, 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        registry_techsme_input_t input = s_good ();
        input.sales_fen = 0;
        input.cost_fen = 100000000;
        input.rnd_fen = rows [i].rnd;
        registry_techsme_result_t result = s_evaluate (input);
        assert_int_equal (result.rnd_cost_score, rows [i].points);
        assert_int_equal (result.rnd_sales_score, 0);
        assert_int_equal (result.rnd_sales_bp, -1);
        assert_int_equal (result.rnd_score, rows [i].points);
    }
}

static void
test_evaluate_rnd_better_of_two (void **state)
{
    //  4% of sales (30) and 25% of cost (40): (b) wins.
    registry_techsme_input_t input = s_good ();
    input.rnd_fen = 4000000;
    input.sales_fen = 100000000;
    input.cost_fen = 16000000;
    s_assert_rnd (input, 30, 40, 40);

    //  6% of sales (50) and 10% of cost (10): (a) wins.
    input.rnd_fen = 6000000;
    input.cost_fen = 60000000;
    s_assert_rnd (input, 50, 10, 50);

    //  Equal: 3% of sales and 15% of cost both score 20.
    input.rnd_fen = 3000000;
    input.cost_fen = 20000000;
    s_assert_rnd (input, 20, 20, 20);

    //  No sales: option (b) still scores.
    input.sales_fen = 0;
    input.cost_fen = 10000000;
    s_assert_rnd (input, 0, 50, 50);

    //  Neither: 0.
    input.cost_fen = 0;
    registry_techsme_result_t result = s_evaluate (input);
    assert_int_equal (result.rnd_score, 0);
}

//  Ratios on amounts near INT64_MAX, where a * 10000 overflows 64 bits.
static void
test_evaluate_rnd_huge_amounts (void **state)
{
    int64_t k = INT64_MAX / 100;
    registry_techsme_input_t input = s_good ();
    input.sales_fen = 100 * k;
    input.cost_fen = 0;
    input.rnd_fen = 6 * k;
    registry_techsme_result_t result = s_evaluate (input);
    assert_int_equal (result.rnd_sales_score, 50);
    assert_int_equal (result.rnd_sales_bp, 600);
    input.rnd_fen = 6 * k - 1;
    result = s_evaluate (input);
    assert_int_equal (result.rnd_sales_score, 40);
    assert_int_equal (result.rnd_sales_bp, 599);

    //  R&D far above a tiny denominator saturates the ratio shown.
    input.sales_fen = 1;
    input.rnd_fen = INT64_MAX;
    result = s_evaluate (input);
    assert_int_equal (result.rnd_sales_score, 50);
    assert_true (result.rnd_sales_bp == INT64_MAX);

    input.cost_fen = INT64_MAX;
    //  30% of INT64_MAX is ...742.1: ...743 reaches it, ...742 does not.
    input.rnd_fen = INT64_MAX / 10 * 3 + 3;
    result = s_evaluate (input);
    assert_int_equal (result.rnd_cost_score, 50);
    input.rnd_fen = INT64_MAX / 10 * 3 + 2;
    result = s_evaluate (input);
    assert_int_equal (result.rnd_cost_score, 40);
}

static void
test_evaluate_ip_points (void **state)
{
    static const struct {
        int64_t class1, class2;
        int points;
    } rows [] = {
        { 1, 0, 30 }, { 2, 0, 30 }, { 1, 9, 30 }, { 0, 100, 24 }, { 0, 5, 24 },
        { 0, 4, 24 }, { 0, 3, 18 }, { 0, 2, 12 }, { 0, 1, 6 },    { 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        registry_techsme_input_t input = s_good ();
        input.ip_class1 = rows [i].class1;
        input.ip_class2 = rows [i].class2;
        assert_int_equal (s_evaluate (input).ip_score, rows [i].points);
    }
}

static void
test_evaluate_pass_mark (void **state)
{
    //  12 + 30 + 18 = 60: eligible.
    registry_techsme_input_t input = s_good ();
    input.tech_staff = 20;      //  20% -> 12
    input.rnd_fen = 200000000;  //  4% of sales -> 30, 5% of cost -> 0
    input.ip_class1 = 0;
    input.ip_class2 = 3;  //  18
    registry_techsme_result_t result = s_evaluate (input);
    assert_int_equal (result.total, 60);
    assert_true (result.eligible);
    assert_int_equal (result.reasons, 0);

    //  12 + 30 + 12 = 54: not.
    input.ip_class2 = 2;
    result = s_assert_ineligible (input, REGISTRY_TECHSME_SCORE_TOO_LOW,
                                  "score 54 is below 60 (tech staff 12, R&D "
                                  "30, IP 12)");
    assert_int_equal (result.total, 54);

    //  16 + 30 + 12 = 58: not, the highest failing total.
    input.tech_staff = 25;
    result = s_evaluate (input);
    assert_int_equal (result.total, 58);
    assert_false (result.eligible);
}

static void
test_evaluate_tech_staff_part_must_score (void **state)
{
    //  0 + 50 + 30 = 80, but the tech staff part is 0.
    registry_techsme_input_t input = s_good ();
    input.tech_staff = 9;  //  9%
    registry_techsme_result_t result = s_assert_ineligible (
        input, REGISTRY_TECHSME_NO_TECH_STAFF_SCORE,
        "tech staff part scores 0 (tech staff 9 of 100 is below 10%)");
    assert_int_equal (result.total, 80);
    //  10%: 4 + 50 + 30.
    input.tech_staff = 10;
    result = s_evaluate (input);
    assert_int_equal (result.total, 84);
    assert_true (result.eligible);
}

static void
test_evaluate_staff_limit (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.staff = 500;
    input.tech_staff = 160;
    assert_true (s_evaluate (input).eligible);
    input.staff = 501;
    registry_techsme_result_t result =
        s_assert_ineligible (input, REGISTRY_TECHSME_STAFF_OVER_LIMIT,
                             "staff 501 is over the limit of 500");
    assert_int_equal (result.total, 100);
}

static void
test_evaluate_sales_limit (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.sales_fen = INT64_C (20000000000);
    input.rnd_fen = INT64_C (1200000000);
    assert_true (s_evaluate (input).eligible);
    input.sales_fen = INT64_C (20000000001);
    s_assert_ineligible (input, REGISTRY_TECHSME_SALES_OVER_LIMIT,
                         "sales ¥200,000,000.01 are over the limit of "
                         "¥200,000,000");
}

static void
test_evaluate_assets_limit (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.total_assets_fen = INT64_C (20000000000);
    assert_true (s_evaluate (input).eligible);
    input.total_assets_fen = INT64_C (30000000000);
    s_assert_ineligible (input, REGISTRY_TECHSME_ASSETS_OVER_LIMIT,
                         "total assets ¥300,000,000 are over the limit of "
                         "¥200,000,000");
}

static void
test_evaluate_credit_flags (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.abnormal = true;
    registry_techsme_result_t result = s_assert_ineligible (
        input, REGISTRY_TECHSME_ABNORMAL,
        "on the list of abnormal operations (经营异常名录)");
    assert_int_equal (result.total, 100);
    input.abnormal = false;
    input.dishonest = true;
    s_assert_ineligible (input, REGISTRY_TECHSME_DISHONEST,
                         "on the list of serious violations and dishonesty "
                         "(严重违法失信名单)");
}

static void
test_evaluate_every_reason_at_once (void **state)
{
    registry_techsme_input_t input = {
        .staff = 600,
        .tech_staff = 0,
        .sales_fen = INT64_C (123456789012),
        .rnd_fen = 0,
        .cost_fen = 0,
        .total_assets_fen = INT64_C (20000000100),
        .ip_class1 = 0,
        .ip_class2 = 1,
        .abnormal = true,
        .dishonest = true,
    };
    registry_techsme_result_t result = s_evaluate (input);
    assert_false (result.eligible);
    assert_int_equal (result.total, 6);
    assert_int_equal (result.reasons, 0x7F);
    assert_string_equal (
        result.reason,
        "staff 600 is over the limit of 500; "
        "sales ¥1,234,567,890.12 are over the limit of ¥200,000,000; "
        "total assets ¥200,000,001 are over the limit of ¥200,000,000; "
        "on the list of abnormal operations (经营异常名录); "
        "on the list of serious violations and dishonesty (严重违法失信名单); "
        "tech staff part scores 0 (tech staff 0 of 600 is below 10%); "
        "score 6 is below 60 (tech staff 0, R&D 0, IP 6)");
}

static void
test_evaluate_all_zero (void **state)
{
    registry_techsme_input_t input = { 0 };
    registry_techsme_result_t result = s_evaluate (input);
    assert_int_equal (result.total, 0);
    assert_int_equal (result.tech_staff_bp, -1);
    assert_int_equal (result.rnd_sales_bp, -1);
    assert_int_equal (result.rnd_cost_bp, -1);
    assert_int_equal (result.reasons, REGISTRY_TECHSME_NO_TECH_STAFF_SCORE
                                          | REGISTRY_TECHSME_SCORE_TOO_LOW);
}

static void
test_evaluate_rejects_negative_values (void **state)
{
    static const char *fields [] = { "staff",     "tech_staff",
                                     "sales_fen", "rnd_fen",
                                     "cost_fen",  "total_assets_fen",
                                     "ip_class1", "ip_class2" };
    for (size_t i = 0; i < 8; i++) {
        registry_techsme_input_t input = s_good ();
        int64_t *values [] = { &input.staff,     &input.tech_staff,
                               &input.sales_fen, &input.rnd_fen,
                               &input.cost_fen,  &input.total_assets_fen,
                               &input.ip_class1, &input.ip_class2 };
        *values [i] = -1;
        char expected [128];
        snprintf (expected, sizeof expected, "%s: must be 0 or more, found -1",
                  fields [i]);
        s_assert_rejected (input, fields [i], expected);
    }
}

static void
test_evaluate_rejects_more_tech_staff_than_staff (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.tech_staff = 101;
    s_assert_rejected (input, "tech_staff",
                       "tech_staff: 101 tech staff is "
                       "more than the total staff of 100");
    input.tech_staff = 100;
    registry_techsme_result_t result;
    kj_status_t status;
    assert_int_equal (registry_techsme_evaluate (&input, &result, &status), 0);
}

//  --------------------------------------------------------------------------
//  R&D not reported is unknown, not 0: the R&D part is not judged, so the
//  grid is neither met nor failed, and the reason says what to supply.
//  The old grid scored it 0 and said "score 50 is below 60".

static void
test_evaluate_rnd_not_reported (void **state)
{
    registry_techsme_input_t input = s_good ();
    input.rnd_fen = 0;
    input.unknown = REGISTRY_TECHSME_UNKNOWN_RND;
    registry_techsme_result_t result = s_evaluate (input);
    assert_false (result.eligible);
    assert_true (result.undecided);
    assert_int_equal (result.reasons, REGISTRY_TECHSME_NOT_JUDGED);
    assert_true (REGISTRY_TECHSME_UNDECIDED (result.reasons));
    assert_int_equal (result.rnd_sales_bp, -1);
    assert_int_equal (result.rnd_cost_bp, -1);
    assert_int_equal (result.rnd_score, 0);
    assert_int_equal (result.total, 50);
    assert_string_equal (result.reason,
                         "not reported: R&D expense, so not judged: the R&D "
                         "part (研发投入); supply it to decide");

    //  A failure that holds whatever R&D is stays a failure, and the
    //  unknown part is still named
    input.dishonest = true;
    result = s_evaluate (input);
    assert_false (result.eligible);
    assert_false (result.undecided);
    assert_int_equal (result.reasons,
                      REGISTRY_TECHSME_DISHONEST | REGISTRY_TECHSME_NOT_JUDGED);

    //  Without IP and tech staff, even the best R&D cannot reach 60:
    //  failed, on the best it could score
    input = s_good ();
    input.unknown = REGISTRY_TECHSME_UNKNOWN_RND;
    input.ip_class1 = 0;
    input.tech_staff = 10;  //  10% -> 4
    result = s_evaluate (input);
    assert_false (result.undecided);
    assert_int_equal (result.reasons, REGISTRY_TECHSME_SCORE_TOO_LOW
                                          | REGISTRY_TECHSME_NOT_JUDGED);
    assert_string_equal (result.reason,
                         "score at most 54 is below 60 (tech staff 4, R&D 0, "
                         "IP 0); not reported: R&D expense, so not judged: "
                         "the R&D part (研发投入); supply it to decide");

    //  Cost unknown but R&D / sales at the top band: the part is judged
    input = s_good ();
    input.unknown = REGISTRY_TECHSME_UNKNOWN_COST;
    result = s_evaluate (input);
    assert_true (result.eligible);
    assert_false (result.undecided);
    assert_int_equal (result.rnd_score, 50);
    assert_int_equal (result.rnd_cost_bp, -1);

    //  Staff unknown: the staff limit and the tech staff part
    input = s_good ();
    input.unknown = REGISTRY_TECHSME_UNKNOWN_STAFF;
    result = s_evaluate (input);
    assert_true (result.undecided);
    assert_int_equal (result.tech_staff_bp, -1);
    assert_string_equal (result.reason,
                         "not reported: staff, so not judged: the staff "
                         "limit, the tech staff part (科技人员); supply it "
                         "to decide");
}

//  The grid's unknown figures from a year's not_reported names
static void
test_unknown_from_figures (void **state)
{
    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    char *names [] = { "rnd", "net-profit", "cost" };
    f.not_reported = names;
    f.n_not_reported = 3;
    assert_int_equal (registry_techsme_unknown (&f),
                      REGISTRY_TECHSME_UNKNOWN_RND
                          | REGISTRY_TECHSME_UNKNOWN_COST);
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    registry_techsme_input_t input = registry_techsme_input (&e, &f);
    assert_int_equal (input.unknown, REGISTRY_TECHSME_UNKNOWN_RND
                                         | REGISTRY_TECHSME_UNKNOWN_COST);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_evaluate_good_enterprise),
        cmocka_unit_test (test_evaluate_tech_staff_bands),
        cmocka_unit_test (test_evaluate_tech_staff_small_counts),
        cmocka_unit_test (test_evaluate_no_staff_scores_zero),
        cmocka_unit_test (test_evaluate_rnd_sales_bands),
        cmocka_unit_test (test_evaluate_rnd_cost_bands),
        cmocka_unit_test (test_evaluate_rnd_better_of_two),
        cmocka_unit_test (test_evaluate_rnd_huge_amounts),
        cmocka_unit_test (test_evaluate_ip_points),
        cmocka_unit_test (test_evaluate_pass_mark),
        cmocka_unit_test (test_evaluate_tech_staff_part_must_score),
        cmocka_unit_test (test_evaluate_staff_limit),
        cmocka_unit_test (test_evaluate_sales_limit),
        cmocka_unit_test (test_evaluate_assets_limit),
        cmocka_unit_test (test_evaluate_credit_flags),
        cmocka_unit_test (test_evaluate_every_reason_at_once),
        cmocka_unit_test (test_evaluate_all_zero),
        cmocka_unit_test (test_evaluate_rejects_negative_values),
        cmocka_unit_test (test_evaluate_rejects_more_tech_staff_than_staff),
        cmocka_unit_test (test_evaluate_rnd_not_reported),
        cmocka_unit_test (test_unknown_from_figures),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
