/*  =========================================================================
    test_kj_region - the region table and the region rule shared by the
    registry's search and matching: metro cities serve each other only
    with intercity, every other city only its own or province-wide
    products, district codes are no region token
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "kj_region.h"

static bool
s_serves (const char *token, const char *city, bool intercity)
{
    const char *tokens [] = { token };
    return kj_region_serves (tokens, 1, city, intercity);
}

static void
test_table (void **state)
{
    assert_int_equal (kj_region_by_code ("210300"), KJ_REGION_ANSHAN);
    assert_int_equal (kj_region_by_code ("210302"), KJ_REGION_ANSHAN);
    assert_int_equal (kj_region_by_code ("sfdz"), KJ_REGION_SHENFU);
    assert_int_equal (kj_region_by_code ("220100"), KJ_REGION_NONE);
    assert_int_equal (kj_region_by_name ("鞍山"), KJ_REGION_ANSHAN);
    assert_int_equal (kj_region_by_name ("Dalian"), KJ_REGION_DALIAN);
    assert_false (kj_region_info (KJ_REGION_YINGKOU)->in_shenyang_metro);
    assert_true (kj_region_info (KJ_REGION_TIELING)->in_shenyang_metro);
    assert_null (kj_region_info (KJ_REGION_COUNT));
    assert_true (kj_region_city_valid ("SFDZ"));
    assert_false (kj_region_city_valid ("210302"));
    assert_true (kj_region_token_valid ("PROVINCE"));
    assert_false (kj_region_token_valid ("LIAONING"));
}

static void
test_rule (void **state)
{
    //  metro to metro: with intercity only
    assert_true (s_serves ("210100", "210300", true));
    assert_false (s_serves ("210100", "210300", false));
    assert_true (s_serves ("210100", "SFDZ", true));
    assert_true (s_serves ("SHENYANG_METRO", "210300", false));
    //  metro to Dalian: only province-wide
    assert_false (s_serves ("210200", "210300", true));
    assert_true (s_serves ("PROVINCE", "210300", true));
    //  outside the metro area: own city or province
    assert_true (s_serves ("210200", "210200", true));
    assert_false (s_serves ("210100", "210800", true));
    assert_false (s_serves ("SHENYANG_METRO", "210800", true));
    assert_true (s_serves ("PROVINCE", "210800", false));
    //  no region, a district code: nothing
    assert_false (s_serves ("PROVINCE", "", true));
    assert_false (s_serves ("PROVINCE", "210302", true));
    const char *tokens [KJ_REGION_MAX_SERVING];
    assert_int_equal (kj_region_serving ("210300", true, tokens), 10);
    assert_int_equal (kj_region_serving ("210200", true, tokens), 2);
    const char *covered [15];
    assert_int_equal (kj_region_covered ("SHENYANG_METRO", covered), 8);
    assert_int_equal (kj_region_covered ("PROVINCE", covered), 15);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_rule),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
