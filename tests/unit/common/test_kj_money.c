/*  =========================================================================
    test_kj_money - fen written as yuan for people, and grouped numbers
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"

static void
test_grouped (void **state)
{
    char buf [32];
    assert_string_equal (kj_money_grouped (0, buf, sizeof buf), "0");
    assert_string_equal (kj_money_grouped (999, buf, sizeof buf), "999");
    assert_string_equal (kj_money_grouped (1000, buf, sizeof buf), "1,000");
    assert_string_equal (kj_money_grouped (1234567, buf, sizeof buf),
                         "1,234,567");
    assert_string_equal (kj_money_grouped (UINT64_MAX, buf, sizeof buf),
                         "18,446,744,073,709,551,615");
    //  A buffer too small: cut, always terminated
    char small [5];
    assert_string_equal (kj_money_grouped (1234567, small, sizeof small),
                         "1,2");
}

static void
test_yuan (void **state)
{
    char buf [48];
    assert_string_equal (kj_money_yuan (0, false, buf, sizeof buf), "¥0");
    assert_string_equal (kj_money_yuan (0, true, buf, sizeof buf), "¥0.00");
    assert_string_equal (kj_money_yuan (123405, false, buf, sizeof buf),
                         "¥1,234.05");
    assert_string_equal (kj_money_yuan (2500000000, false, buf, sizeof buf),
                         "¥25,000,000");
    assert_string_equal (kj_money_yuan (2500000000, true, buf, sizeof buf),
                         "¥25,000,000.00");
    assert_string_equal (kj_money_yuan (-2500000000, false, buf, sizeof buf),
                         "-¥25,000,000");
    assert_string_equal (kj_money_yuan (-5, false, buf, sizeof buf), "-¥0.05");
    assert_string_equal (kj_money_yuan (INT64_MIN, false, buf, sizeof buf),
                         "-¥92,233,720,368,547,758.08");
    assert_string_equal (kj_money_yuan (INT64_MAX, false, buf, sizeof buf),
                         "¥92,233,720,368,547,758.07");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_grouped),
        cmocka_unit_test (test_yuan),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
