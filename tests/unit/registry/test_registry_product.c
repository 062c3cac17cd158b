/*  =========================================================================
    test_registry_product - the product supermarket's rules: regions that
    serve a city (with the 城际 metro rule), product checks, eligibility
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "registry_product.h"

#define BIT(x) (1u << (x))

static bool
s_has (const char **tokens, size_t n, const char *token)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (tokens [i], token) == 0)
            return true;
    return false;
}

static void
test_grades (void **state)
{
    assert_int_equal (registry_product_grade (""), REGISTRY_GRADE_NONE);
    assert_int_equal (registry_product_grade (NULL), REGISTRY_GRADE_NONE);
    assert_int_equal (registry_product_grade ("C"), REGISTRY_GRADE_C);
    assert_int_equal (registry_product_grade ("AAA"), REGISTRY_GRADE_AAA);
    assert_int_equal (registry_product_grade ("aaa"), -1);
    assert_int_equal (registry_product_grade ("BBB"), -1);
    assert_string_equal (registry_product_grade_name (REGISTRY_GRADE_AA), "AA");
    assert_true (REGISTRY_GRADE_AAA > REGISTRY_GRADE_A);
}

static void
test_region_tokens (void **state)
{
    assert_true (kj_region_token_valid ("210100"));
    assert_true (kj_region_token_valid ("211400"));
    assert_true (kj_region_token_valid ("SFDZ"));
    assert_true (kj_region_token_valid ("SHENYANG_METRO"));
    assert_true (kj_region_token_valid ("PROVINCE"));
    assert_false (kj_region_token_valid ("210102"));  //  a district
    assert_false (kj_region_token_valid ("211500"));
    assert_false (kj_region_token_valid ("110000"));
    assert_false (kj_region_token_valid ("province"));
    assert_false (kj_region_token_valid (""));
    assert_false (kj_region_city_valid ("PROVINCE"));
    assert_true (kj_region_city_valid ("SFDZ"));
}

static void
test_check_regions (void **state)
{
    kj_status_t status;
    char *good [] = { "210100", "SFDZ" };
    assert_int_equal (registry_product_check_regions (good, 2, "p.regions",
                                                      &status),
                      0);
    char *bad [] = { "210100", "Shenyang" };
    assert_int_equal (registry_product_check_regions (bad, 2, "p.regions",
                                                      &status),
                      -1);
    assert_string_equal (status.field, "p.regions[1]");
    assert_non_null (strstr (status.message, "'Shenyang' is not a region"));
    assert_int_equal (registry_product_check_regions (NULL, 0, "p.regions",
                                                      &status),
                      -1);
    assert_string_equal (status.field, "p.regions");
    assert_non_null (strstr (status.message, "at least one region"));
}

//  Shenyang: itself, the province, the metro area; with intercity also the
//  six other metro cities and the Shenfu zone
static void
test_serving_metro_city (void **state)
{
    const char *tokens [REGISTRY_PRODUCT_MAX_REGIONS];
    size_t n = kj_region_serving ("210100", false, tokens);
    assert_int_equal (n, 3);
    assert_true (s_has (tokens, n, "210100"));
    assert_true (s_has (tokens, n, "PROVINCE"));
    assert_true (s_has (tokens, n, "SHENYANG_METRO"));

    n = kj_region_serving ("210100", true, tokens);
    assert_int_equal (n, 10);
    const char *metro [] = { "210300", "210400", "210500", "210900",
                             "211000", "211200", "SFDZ" };
    for (size_t i = 0; i < 7; i++)
        assert_true (s_has (tokens, n, metro [i]));
    assert_false (s_has (tokens, n, "210800"));  //  Yingkou is not in it
    assert_false (s_has (tokens, n, "210200"));
}

static void
test_serving_outside_metro (void **state)
{
    const char *tokens [REGISTRY_PRODUCT_MAX_REGIONS];
    //  Dalian is not in the metro area: intercity changes nothing
    size_t n = kj_region_serving ("210200", true, tokens);
    assert_int_equal (n, 2);
    assert_true (s_has (tokens, n, "210200"));
    assert_true (s_has (tokens, n, "PROVINCE"));
    n = kj_region_serving ("SFDZ", true, tokens);
    assert_int_equal (n, 10);
    assert_true (s_has (tokens, n, "210100"));
    assert_true (s_has (tokens, n, "210400"));
    assert_int_equal (kj_region_serving ("PROVINCE", false, tokens), 0);
    assert_int_equal (kj_region_serving ("110000", false, tokens), 0);
}

static void
test_covered (void **state)
{
    const char *regions [15];
    assert_int_equal (kj_region_covered ("SHENYANG_METRO", regions), 8);
    assert_true (s_has (regions, 8, "SFDZ"));
    assert_false (s_has (regions, 8, "210800"));
    assert_int_equal (kj_region_covered ("PROVINCE", regions), 15);
    assert_int_equal (kj_region_covered ("210700", regions), 1);
    assert_string_equal (regions [0], "210700");
    assert_int_equal (kj_region_covered ("nowhere", regions), 0);
}

//  --------------------------------------------------------------------------

static Kj__Product
s_product (void)
{
    static char *regions [] = { "PROVINCE" };
    Kj__Product p = KJ__PRODUCT__INIT;
    p.institution_id = "I000001";
    p.name = "科技信用贷";
    p.type = KJ__PRODUCT_TYPE__PRODUCT_CREDIT;
    p.max_amount_fen = 300000000;
    p.max_term_months = 12;
    p.regions = regions;
    p.n_regions = 1;
    p.valid_from = "2024-01-01";
    p.min_grade = "";
    p.state = KJ__LISTING_STATE__LISTING_LISTED;
    return p;
}

static void
test_product_check (void **state)
{
    kj_status_t status;
    Kj__Product p = s_product ();
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), 0);

    p.type = 0;
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), -1);
    assert_string_equal (status.field, "product.type");
    p.type = KJ__PRODUCT_TYPE__PRODUCT_CREDIT;

    Kj__Collateral collateral [] = { KJ__COLLATERAL__COLLATERAL_IP,
                                     KJ__COLLATERAL__COLLATERAL_NONE };
    p.collateral = collateral;
    p.n_collateral = 2;
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), -1);
    assert_string_equal (status.field, "product.collateral[1]");
    assert_non_null (strstr (status.message, "leave the list empty"));
    p.n_collateral = 1;

    Kj__Stage stages [] = { KJ__STAGE__STAGE_UNKNOWN };
    p.stages = stages;
    p.n_stages = 1;
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), -1);
    assert_string_equal (status.field, "product.stages[0]");
    p.n_stages = 0;

    p.min_grade = "BBB";
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), -1);
    assert_string_equal (status.field, "product.min_grade");
    p.min_grade = "A";

    p.min_amount_fen = -1;
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), -1);
    assert_string_equal (status.field, "product.min_amount_fen");
    //  Only what the mask names is checked
    char *mask [] = { "name" };
    assert_int_equal (registry_product_check (&p, mask, 1, &status), 0);
    p.min_amount_fen = 0;

    p.valid_to = "2023-13-01";
    assert_int_equal (registry_product_check (&p, NULL, 0, &status), -1);
    assert_string_equal (status.field, "product.valid_to");
}

static void
test_product_terms (void **state)
{
    kj_status_t status;
    Kj__Product p = s_product ();
    registry_product_terms_t terms;
    registry_product_terms (&p, &terms);
    assert_int_equal (registry_product_check_terms (&terms, &status), 0);
    assert_int_equal (terms.valid_from.year, 2024);
    assert_int_equal (terms.valid_to.year, 0);
    assert_true (terms.listed);

    p.min_amount_fen = p.max_amount_fen + 1;
    registry_product_terms (&p, &terms);
    assert_int_equal (registry_product_check_terms (&terms, &status), -1);
    assert_string_equal (status.field, "product.max_amount_fen");
    p.min_amount_fen = 0;

    p.max_term_months = 0;
    registry_product_terms (&p, &terms);
    assert_int_equal (registry_product_check_terms (&terms, &status), -1);
    assert_string_equal (status.field, "product.max_term_months");
    p.max_term_months = 12;

    p.valid_to = "2023-12-31";
    registry_product_terms (&p, &terms);
    assert_int_equal (registry_product_check_terms (&terms, &status), -1);
    assert_string_equal (status.field, "product.valid_to");
    assert_non_null (strstr (status.message, "before valid_from 2024-01-01"));
}

//  --------------------------------------------------------------------------
//  Eligibility: one product, one profile, each rule bites alone

static registry_product_terms_t
s_terms (void)
{
    registry_product_terms_t t;
    memset (&t, 0, sizeof t);
    t.type = KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE;
    t.min_amount_fen = 10000000;   //  ¥100k
    t.max_amount_fen = 600000000;  //  ¥6m
    t.min_term_months = 1;
    t.max_term_months = 12;
    t.stages = BIT (KJ__STAGE__STAGE_STARTUP) | BIT (KJ__STAGE__STAGE_GROWTH);
    t.qualifications = BIT (KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH);
    t.collateral = BIT (KJ__COLLATERAL__COLLATERAL_IP);
    t.min_grade = REGISTRY_GRADE_A;
    t.regions [0] = "210300";  //  Anshan
    t.n_regions = 1;
    t.valid_from = (kj_date_t){ 2024, 1, 1 };
    t.valid_to = (kj_date_t){ 2025, 12, 31 };
    t.listed = true;
    return t;
}

static registry_product_profile_t
s_profile (void)
{
    registry_product_profile_t p;
    memset (&p, 0, sizeof p);
    p.region = "210300";
    p.stage = KJ__STAGE__STAGE_GROWTH;
    p.amount_fen = 200000000;
    p.term_months = 12;
    p.has_held = true;
    p.held = BIT (KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH)
           | BIT (KJ__QUALIFICATION_KIND__QUAL_SRDI);
    p.has_offered = true;
    p.offered = BIT (KJ__COLLATERAL__COLLATERAL_IP)
              | BIT (KJ__COLLATERAL__COLLATERAL_RECEIVABLES);
    p.has_grade = true;
    p.grade = REGISTRY_GRADE_AA;
    p.on = (kj_date_t){ 2025, 6, 30 };
    return p;
}

static void
s_assert_no (const registry_product_terms_t *t,
             const registry_product_profile_t *p, const char *fragment)
{
    char why [200] = "";
    assert_false (registry_product_eligible (t, p, why, sizeof why));
    if (!strstr (why, fragment))
        fail_msg ("reason \"%s\" lacks \"%s\"", why, fragment);
}

static void
test_eligible_baseline (void **state)
{
    registry_product_terms_t t = s_terms ();
    registry_product_profile_t p = s_profile ();
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
    //  A profile that filters on nothing takes every listed, valid product
    registry_product_profile_t any;
    memset (&any, 0, sizeof any);
    assert_true (registry_product_eligible (&t, &any, NULL, 0));
}

static void
test_eligible_each_rule (void **state)
{
    registry_product_terms_t t = s_terms ();
    registry_product_profile_t p = s_profile ();

    t.listed = false;
    s_assert_no (&t, &p, "withdrawn");
    t = s_terms ();

    p.on = (kj_date_t){ 2023, 12, 31 };
    s_assert_no (&t, &p, "not valid yet on 2023-12-31");
    p.on = (kj_date_t){ 2026, 1, 1 };
    s_assert_no (&t, &p, "expired before 2026-01-01");
    p.on = (kj_date_t){ 2025, 12, 31 };  //  last day: valid
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
    p = s_profile ();

    p.region = "210100";
    s_assert_no (&t, &p, "does not serve region 210100");
    p.intercity = true;  //  Shenyang -> Anshan, metro
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
    p.region = "210800";  //  Yingkou: never metro
    s_assert_no (&t, &p, "does not serve region 210800");
    p = s_profile ();

    p.stage = KJ__STAGE__STAGE_MATURE;
    s_assert_no (&t, &p, "not for stage");
    p = s_profile ();

    p.amount_fen = 600000001;
    s_assert_no (&t, &p, "amount outside");
    p.amount_fen = 600000000;  //  bounds are inclusive
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
    p.amount_fen = 9999999;
    s_assert_no (&t, &p, "amount outside");
    p = s_profile ();

    p.term_months = 13;
    s_assert_no (&t, &p, "term outside");
    p = s_profile ();

    p.held = BIT (KJ__QUALIFICATION_KIND__QUAL_SRDI);
    s_assert_no (&t, &p, "required qualification is missing");
    p.has_held = false;  //  not filtering on it
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
    p = s_profile ();

    p.offered = BIT (KJ__COLLATERAL__COLLATERAL_RECEIVABLES);
    s_assert_no (&t, &p, "collateral not offered");
    p = s_profile ();

    p.grade = REGISTRY_GRADE_B;
    s_assert_no (&t, &p, "grade A or better");
    p.grade = REGISTRY_GRADE_A;
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
}

static void
test_eligible_any_qualification (void **state)
{
    registry_product_terms_t t = s_terms ();
    registry_product_profile_t p = s_profile ();
    t.qualifications = 0;
    t.any_qualifications = BIT (KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT)
                         | BIT (KJ__QUALIFICATION_KIND__QUAL_GAZELLE);
    s_assert_no (&t, &p, "none of the qualifications");
    p.held |= BIT (KJ__QUALIFICATION_KIND__QUAL_GAZELLE);
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
}

static void
test_eligible_first_loan (void **state)
{
    registry_product_terms_t t = s_terms ();
    registry_product_profile_t p = s_profile ();
    t.type = KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN;
    p.has_first_loan = true;
    p.first_loan = false;
    s_assert_no (&t, &p, "bank loan is on record");
    p.first_loan = true;
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
    //  Other types do not care
    t.type = KJ__PRODUCT_TYPE__PRODUCT_CREDIT;
    p.first_loan = false;
    assert_true (registry_product_eligible (&t, &p, NULL, 0));
}

static void
test_bits (void **state)
{
    int values [] = { 1, 3, 0, 40, -2 };
    assert_int_equal (registry_product_bits (values, 5), BIT (1) | BIT (3));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_grades),
        cmocka_unit_test (test_region_tokens),
        cmocka_unit_test (test_check_regions),
        cmocka_unit_test (test_serving_metro_city),
        cmocka_unit_test (test_serving_outside_metro),
        cmocka_unit_test (test_covered),
        cmocka_unit_test (test_product_check),
        cmocka_unit_test (test_product_terms),
        cmocka_unit_test (test_eligible_baseline),
        cmocka_unit_test (test_eligible_each_rule),
        cmocka_unit_test (test_eligible_any_qualification),
        cmocka_unit_test (test_eligible_first_loan),
        cmocka_unit_test (test_bits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
