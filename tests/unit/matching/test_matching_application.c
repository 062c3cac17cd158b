/*  =========================================================================
    test_matching_application - every legal and every illegal move of the
    application state machine, the refusal naming the states allowed, and
    what approvals and rejections must carry
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "matching_application.h"

#define N       (KJ__APPLICATION_STATE__APP_DEFAULTED + 1)
#define A(name) KJ__APPLICATION_STATE__APP_##name

//  The legal moves of domain §3.3, written out once more by hand
static const int s_legal [][2] = {
    { A (DEMAND_POSTED), A (MATCHED) },
    { A (MATCHED), A (APPLIED) },
    { A (APPLIED), A (UNDER_REVIEW) },
    { A (APPLIED), A (WITHDRAWN) },
    { A (UNDER_REVIEW), A (APPROVED) },
    { A (UNDER_REVIEW), A (REJECTED) },
    { A (APPROVED), A (ACTIVE) },
    { A (APPROVED), A (EXPIRED) },
    { A (ACTIVE), A (OVERDUE_1_30) },
    { A (ACTIVE), A (RENEWED) },
    { A (ACTIVE), A (CLOSED) },
    { A (OVERDUE_1_30), A (OVERDUE_31_60) },
    { A (OVERDUE_1_30), A (ACTIVE) },
    { A (OVERDUE_31_60), A (OVERDUE_61_90) },
    { A (OVERDUE_31_60), A (ACTIVE) },
    { A (OVERDUE_61_90), A (OVERDUE_90_PLUS) },
    { A (OVERDUE_61_90), A (ACTIVE) },
    { A (OVERDUE_90_PLUS), A (DEFAULTED) },
    { A (OVERDUE_90_PLUS), A (ACTIVE) },
};
#define LEGAL (sizeof s_legal / sizeof s_legal [0])

static bool
s_is_legal (int from, int to)
{
    for (size_t i = 0; i < LEGAL; i++)
        if (s_legal [i][0] == from && s_legal [i][1] == to)
            return true;
    return false;
}

static void
test_every_pair (void **state)
{
    int legal = 0;
    for (int from = 0; from < N + 1; from++)
        for (int to = 0; to < N + 1; to++) {
            bool expect = s_is_legal (from, to);
            assert_int_equal (matching_application_allowed (from, to), expect);
            Kj__ActRequest act = KJ__ACT_REQUEST__INIT;
            act.to = to;
            act.amount_fen = 100;
            act.rate_bp = 400;
            act.term_months = 12;
            act.reason = "thin file";
            kj_status_t status;
            int rc = matching_application_check (from, &act, 1000, &status);
            assert_int_equal (rc, expect ? 0 : -1);
            if (!expect && to > 0 && to < N) {
                assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
                assert_string_equal (status.field, "to");
            }
            legal += expect;
        }
    assert_int_equal (legal, (int) LEGAL);
    assert_true (matching_application_final (A (REJECTED)));
    assert_true (matching_application_final (A (CLOSED)));
    assert_false (matching_application_final (A (ACTIVE)));
}

static void
test_refusal_names_states_allowed (void **state)
{
    Kj__ActRequest act = KJ__ACT_REQUEST__INIT;
    act.to = A (ACTIVE);
    kj_status_t status;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      -1);
    assert_string_equal (status.message,
                         "to: the application is UNDER_REVIEW; from "
                         "UNDER_REVIEW it may go to APPROVED, REJECTED, "
                         "not ACTIVE");
    assert_int_equal (matching_application_check (A (CLOSED), &act, 1000,
                                                  &status),
                      -1);
    assert_non_null (strstr (status.message, "may go to none"));
    act.to = 99;
    assert_int_equal (matching_application_check (A (APPLIED), &act, 1000,
                                                  &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
}

static void
test_approval_and_rejection_carry_terms (void **state)
{
    Kj__ActRequest act = KJ__ACT_REQUEST__INIT;
    kj_status_t status;
    act.to = A (APPROVED);
    act.amount_fen = 1000;
    act.rate_bp = 1;
    act.term_months = 360;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      0);
    act.amount_fen = 1001;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      -1);
    assert_string_equal (status.field, "amount_fen");
    act.amount_fen = 0;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      -1);
    act.amount_fen = 1;
    act.rate_bp = 0;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      -1);
    assert_string_equal (status.field, "rate_bp");
    act.rate_bp = 10001;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      -1);
    act.rate_bp = 400;
    act.term_months = 361;
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &act, 1000,
                                                  &status),
                      -1);
    assert_string_equal (status.field, "term_months");

    Kj__ActRequest reject = KJ__ACT_REQUEST__INIT;
    reject.to = A (REJECTED);
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &reject,
                                                  1000, &status),
                      -1);
    assert_string_equal (status.field, "reason");
    reject.reason = "cash flow too thin";
    assert_int_equal (matching_application_check (A (UNDER_REVIEW), &reject,
                                                  1000, &status),
                      0);
}

static void
test_names (void **state)
{
    assert_string_equal (matching_application_state_name (A (OVERDUE_31_60)),
                         "OVERDUE_31_60");
    assert_int_equal (matching_application_state ("approved"), A (APPROVED));
    assert_int_equal (matching_application_state ("APP_ACTIVE"), A (ACTIVE));
    assert_int_equal (matching_application_state ("paid"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_pair),
        cmocka_unit_test (test_refusal_names_states_allowed),
        cmocka_unit_test (test_approval_and_rejection_carry_terms),
        cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
