/*  =========================================================================
    test_kj_db_codes - what a database error means for the request: a
    value the database refuses gets a status that says "do not retry",
    everything else UNAVAILABLE
    =========================================================================
*/

#include "kejin.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void
test_refused_values_are_not_unavailable (void **state)
{
    assert_int_equal (kj_db_status_code ("22007"), KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (kj_db_status_code ("22P02"), KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (kj_db_status_code ("22021"), KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (kj_db_status_code ("22003"), KJ__CODE__OUT_OF_RANGE);
    assert_int_equal (kj_db_status_code ("22008"), KJ__CODE__OUT_OF_RANGE);
    assert_int_equal (kj_db_status_code ("23514"), KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (kj_db_status_code ("23502"), KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (kj_db_status_code ("23505"), KJ__CODE__ALREADY_EXISTS);
    assert_int_equal (kj_db_status_code ("23503"),
                      KJ__CODE__FAILED_PRECONDITION);
}

static void
test_the_rest_is_unavailable (void **state)
{
    //  Serialization failure, deadlock, a lost connection, the unknown
    assert_int_equal (kj_db_status_code ("40001"), KJ__CODE__UNAVAILABLE);
    assert_int_equal (kj_db_status_code ("40P01"), KJ__CODE__UNAVAILABLE);
    assert_int_equal (kj_db_status_code ("08006"), KJ__CODE__UNAVAILABLE);
    assert_int_equal (kj_db_status_code ("57P01"), KJ__CODE__UNAVAILABLE);
    assert_int_equal (kj_db_status_code (""), KJ__CODE__UNAVAILABLE);
    assert_int_equal (kj_db_status_code (NULL), KJ__CODE__UNAVAILABLE);
    //  Not classified (an exclusion constraint): UNAVAILABLE, as before
    assert_int_equal (kj_db_status_code ("23P01"), KJ__CODE__UNAVAILABLE);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_refused_values_are_not_unavailable),
        cmocka_unit_test (test_the_rest_is_unavailable),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
