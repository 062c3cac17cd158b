/*  =========================================================================
    test_guarantee_claim - provincial compensation and recovery refunds:
    golden arithmetic, every cap binding in turn, ties, rounding, amounts
    near the int64 limit, and each refusal naming its field
    =========================================================================
*/

#include "guarantee_claim.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define BIG INT64_MAX

static guarantee_comp_t
s_comp (int64_t daichang, int64_t rate, int64_t per_claim, int64_t guarantor,
        int64_t budget)
{
    guarantee_comp_t comp = { daichang, rate, per_claim, guarantor, budget };
    return comp;
}

//  payable and binding of comp, after checking it passes
static int64_t
s_payable (guarantee_comp_t comp, unsigned *binding)
{
    kj_status_t status;
    assert_int_equal (guarantee_comp_check (&comp, &status), 0);
    return guarantee_comp_payable (&comp, binding);
}

static void
test_comp_rate_binds (void **state)
{
    unsigned binding;
    //  40% of ¥1,000,000.00 is ¥400,000.00, below every cap
    assert_int_equal (s_payable (s_comp (100000000, 4000, BIG, BIG, BIG),
                                 &binding),
                      40000000);
    assert_int_equal (binding, GUARANTEE_BIND_RATE);
}

static void
test_comp_each_cap_binds_in_turn (void **state)
{
    unsigned binding;
    assert_int_equal (s_payable (s_comp (1000, 4000, 399, 500, 500), &binding),
                      399);
    assert_int_equal (binding, GUARANTEE_BIND_PER_CLAIM);
    assert_int_equal (s_payable (s_comp (1000, 4000, 500, 398, 500), &binding),
                      398);
    assert_int_equal (binding, GUARANTEE_BIND_GUARANTOR);
    assert_int_equal (s_payable (s_comp (1000, 4000, 500, 500, 397), &binding),
                      397);
    assert_int_equal (binding, GUARANTEE_BIND_BUDGET);
}

static void
test_comp_ties_name_every_binding_term (void **state)
{
    unsigned binding;
    assert_int_equal (s_payable (s_comp (1000, 4000, 400, 400, 400), &binding),
                      400);
    assert_int_equal (binding, GUARANTEE_BIND_RATE | GUARANTEE_BIND_PER_CLAIM
                                   | GUARANTEE_BIND_GUARANTOR
                                   | GUARANTEE_BIND_BUDGET);
    assert_int_equal (s_payable (s_comp (1000, 4000, 300, 900, 300), &binding),
                      300);
    assert_int_equal (binding,
                      GUARANTEE_BIND_PER_CLAIM | GUARANTEE_BIND_BUDGET);
}

static void
test_comp_rounds_down_to_the_fen (void **state)
{
    //  40% of 1 fen is 0.4 fen: nothing; of 3 fen, 1.2: 1 fen
    assert_int_equal (s_payable (s_comp (1, 4000, BIG, BIG, BIG), NULL), 0);
    assert_int_equal (s_payable (s_comp (3, 4000, BIG, BIG, BIG), NULL), 1);
    //  33.33% of 10,000 fen is 3,333 fen exactly; of 10,001, 3,333.33
    assert_int_equal (s_payable (s_comp (10000, 3333, BIG, BIG, BIG), NULL),
                      3333);
    assert_int_equal (s_payable (s_comp (10001, 3333, BIG, BIG, BIG), NULL),
                      3333);
    //  0.01% of 9,999 fen is 0.9999 fen: nothing
    assert_int_equal (s_payable (s_comp (9999, 1, BIG, BIG, BIG), NULL), 0);
}

static void
test_comp_budget_exhausted (void **state)
{
    unsigned binding;
    assert_int_equal (s_payable (s_comp (1000, 4000, 500, 500, 0), &binding),
                      0);
    assert_int_equal (binding, GUARANTEE_BIND_BUDGET);
}

static void
test_comp_exact_near_int64_limit (void **state)
{
    //  INT64_MAX x 4000 overflows int64; the exact floor is
    //  3689348814741910322 (INT64_MAX x 0.4 = ...322.8)
    assert_int_equal (s_payable (s_comp (BIG, 4000, BIG, BIG, BIG), NULL),
                      3689348814741910322LL);
    //  rate 0 pays nothing, even on the largest 代偿
    unsigned binding;
    assert_int_equal (s_payable (s_comp (BIG, 0, BIG, BIG, BIG), &binding), 0);
    assert_int_equal (binding, GUARANTEE_BIND_RATE);
}

static void
test_comp_refusals_name_the_field (void **state)
{
    kj_status_t status;
    guarantee_comp_t comp = s_comp (1000, 4001, 1, 1, 1);
    assert_int_equal (guarantee_comp_check (&comp, &status), -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "rate_bp");
    comp = s_comp (1000, -1, 1, 1, 1);
    assert_int_equal (guarantee_comp_check (&comp, &status), -1);
    assert_string_equal (status.field, "rate_bp");
    comp = s_comp (0, 4000, 1, 1, 1);
    assert_int_equal (guarantee_comp_check (&comp, &status), -1);
    assert_string_equal (status.field, "daichang_fen");
    comp = s_comp (1000, 4000, -1, 1, 1);
    assert_int_equal (guarantee_comp_check (&comp, &status), -1);
    assert_string_equal (status.field, "per_claim_cap_fen");
    comp = s_comp (1000, 4000, 1, -1, 1);
    assert_int_equal (guarantee_comp_check (&comp, &status), -1);
    assert_string_equal (status.field, "guarantor_cap_left_fen");
    comp = s_comp (1000, 4000, 1, 1, INT64_MIN);
    assert_int_equal (guarantee_comp_check (&comp, &status), -1);
    assert_string_equal (status.field, "budget_left_fen");
    //  The boundaries themselves are fine
    comp = s_comp (1, 4000, 0, 0, 0);
    assert_int_equal (guarantee_comp_check (&comp, &status), 0);
    comp = s_comp (1, 0, 0, 0, 0);
    assert_int_equal (guarantee_comp_check (&comp, &status), 0);
}

//  --------------------------------------------------------------------------

static int64_t
s_refund (int64_t daichang, int64_t comp_paid, int64_t net)
{
    guarantee_recovery_t recovery = { daichang, comp_paid, net };
    kj_status_t status;
    assert_int_equal (guarantee_recovery_check (&recovery, &status), 0);
    return guarantee_recovery_refund (&recovery);
}

static void
test_recovery_refund_in_proportion (void **state)
{
    //  代偿 ¥10,000, province paid ¥4,000 (40%), ¥2,500 recovered: ¥1,000
    assert_int_equal (s_refund (1000000, 400000, 250000), 100000);
    //  Rounds down: 333,333 x 0.4 = 133,333.2
    assert_int_equal (s_refund (1000000, 400000, 333333), 133333);
    //  Nothing recovered, nothing refunded; all recovered, all refunded
    assert_int_equal (s_refund (1000000, 400000, 0), 0);
    assert_int_equal (s_refund (1000000, 400000, 1000000), 400000);
    //  Cumulative figures: refunds due in total never drift
    int64_t first = s_refund (3, 1, 1);  //  1/3: 0
    int64_t both = s_refund (3, 1, 2);   //  2/3: 0
    int64_t all = s_refund (3, 1, 3);    //  3/3: 1
    assert_int_equal (first, 0);
    assert_int_equal (both, 0);
    assert_int_equal (all, 1);
}

static void
test_recovery_exact_near_int64_limit (void **state)
{
    //  The product (~2^125) is formed before dividing
    assert_int_equal (s_refund (BIG, 3689348814741910322LL, BIG - 1),
                      3689348814741910321LL);
    assert_int_equal (s_refund (BIG, BIG, BIG), BIG);
}

static void
test_recovery_refusals_name_the_field (void **state)
{
    kj_status_t status;
    guarantee_recovery_t recovery = { 0, 0, 0 };
    assert_int_equal (guarantee_recovery_check (&recovery, &status), -1);
    assert_string_equal (status.field, "daichang_fen");
    recovery = (guarantee_recovery_t){ 100, 101, 0 };
    assert_int_equal (guarantee_recovery_check (&recovery, &status), -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "comp_paid_fen");
    recovery = (guarantee_recovery_t){ 100, 40, 101 };
    assert_int_equal (guarantee_recovery_check (&recovery, &status), -1);
    assert_string_equal (status.field, "net_recovery_fen");
    recovery = (guarantee_recovery_t){ 100, -1, 1 };
    assert_int_equal (guarantee_recovery_check (&recovery, &status), -1);
    assert_string_equal (status.field, "comp_paid_fen");
    recovery = (guarantee_recovery_t){ 100, 40, -1 };
    assert_int_equal (guarantee_recovery_check (&recovery, &status), -1);
    assert_string_equal (status.field, "net_recovery_fen");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_comp_rate_binds),
        cmocka_unit_test (test_comp_each_cap_binds_in_turn),
        cmocka_unit_test (test_comp_ties_name_every_binding_term),
        cmocka_unit_test (test_comp_rounds_down_to_the_fen),
        cmocka_unit_test (test_comp_budget_exhausted),
        cmocka_unit_test (test_comp_exact_near_int64_limit),
        cmocka_unit_test (test_comp_refusals_name_the_field),
        cmocka_unit_test (test_recovery_refund_in_proportion),
        cmocka_unit_test (test_recovery_exact_near_int64_limit),
        cmocka_unit_test (test_recovery_refusals_name_the_field),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
