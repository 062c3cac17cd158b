/*  =========================================================================
    test_guarantee_policy - the layers of a 代偿 (golden splits, the
    remainder to the guarantor, amounts near the int64 limit), an
    agreement's shares and a guarantee's fees against the policy, each
    refusal naming its field and the rule, and a policy's own checks
    =========================================================================
*/

#include "guarantee_policy.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

//  The refusal's field and a piece of its message
static void
s_refused (int rc, const kj_status_t *status, int code, const char *field,
           const char *words)
{
    assert_int_equal (rc, -1);
    assert_int_equal (status->code, code);
    assert_string_equal (status->field, field);
    assert_non_null (strstr (status->message, words));
}

//  --------------------------------------------------------------------------

static void
test_layers_split (void **state)
{
    guarantee_shares_t shares = { 2000, 8000, 4000, 2000 };
    guarantee_layers_t layers;
    //  80,000.00 yuan: half to the national fund, a quarter provincial
    guarantee_layers_split (&shares, 8000000, &layers);
    assert_int_equal (layers.national_fen, 4000000);
    assert_int_equal (layers.provincial_fen, 2000000);
    assert_int_equal (layers.guarantor_fen, 2000000);
    //  Floors each share; the remainder (3 fen here) is the guarantor's
    guarantee_layers_split (&shares, 8000001, &layers);
    assert_int_equal (layers.national_fen, 4000000);
    assert_int_equal (layers.provincial_fen, 2000000);
    assert_int_equal (layers.guarantor_fen, 2000001);
    guarantee_layers_split (&shares, 3, &layers);
    assert_int_equal (layers.national_fen, 1);
    assert_int_equal (layers.provincial_fen, 0);
    assert_int_equal (layers.guarantor_fen, 2);
    //  Thirds: 1/3 and 1/3 of 100 fen floor to 33 each, 34 left
    guarantee_shares_t thirds = { 2500, 7500, 2500, 2500 };
    guarantee_layers_split (&thirds, 100, &layers);
    assert_int_equal (layers.national_fen, 33);
    assert_int_equal (layers.provincial_fen, 33);
    assert_int_equal (layers.guarantor_fen, 34);
    //  Re-guarantors bearing the whole system share: nothing left over
    //  but the rounding
    guarantee_shares_t full = { 2000, 8000, 4000, 4000 };
    guarantee_layers_split (&full, 7, &layers);
    assert_int_equal (layers.national_fen, 3);
    assert_int_equal (layers.provincial_fen, 3);
    assert_int_equal (layers.guarantor_fen, 1);
    //  Exact at INT64_MAX: the products pass 2^63
    guarantee_layers_split (&shares, INT64_MAX, &layers);
    assert_int_equal (layers.national_fen, INT64_MAX / 2);
    assert_int_equal (layers.provincial_fen, INT64_MAX / 4);
    assert_int_equal (layers.guarantor_fen,
                      INT64_MAX - INT64_MAX / 2 - INT64_MAX / 4);
    //  No agreement (no system share): all the guarantor's
    guarantee_shares_t none = { 10000, 0, 0, 0 };
    guarantee_layers_split (&none, 500, &layers);
    assert_int_equal (layers.guarantor_fen, 500);
    assert_int_equal (layers.national_fen + layers.provincial_fen, 0);
}

static void
test_shares (void **state)
{
    guarantee_policy_t policy;
    guarantee_policy_default (&policy);
    kj_status_t status;
    guarantee_shares_t ok = { 2000, 8000, 4000, 2000 };
    assert_int_equal (guarantee_shares_check (&policy, &ok, &status), 0);
    guarantee_shares_t bank = { 1999, 8001, 4000, 2000 };
    s_refused (guarantee_shares_check (&policy, &bank, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "bank_share_bp",
               "at least 2000 bp of the risk (policy 1: bank share)");
    guarantee_shares_t sum = { 3000, 6000, 2000, 2000 };
    s_refused (guarantee_shares_check (&policy, &sum, &status), &status,
               KJ__CODE__INVALID_ARGUMENT, "system_share_bp",
               "add to 9000; the shares must add to 10000");
    guarantee_shares_t national = { 2000, 8000, 4001, 2000 };
    s_refused (guarantee_shares_check (&policy, &national, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "national_share_bp",
               "0 to 4000 bp of the risk (policy 1: national share)");
    guarantee_shares_t provincial = { 2000, 8000, 4000, 1999 };
    s_refused (guarantee_shares_check (&policy, &provincial, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "provincial_share_bp",
               "at least 2000 bp of the risk (policy 1: provincial share)");
    guarantee_shares_t layers = { 4000, 6000, 4000, 2001 };
    s_refused (guarantee_shares_check (&policy, &layers, &status), &status,
               KJ__CODE__INVALID_ARGUMENT, "provincial_share_bp",
               "add to 6001, more than system_share_bp 6000");
    //  A policy of another version is named in its refusals
    policy.version = 7;
    policy.bank_share_min_bp = 3000;
    s_refused (guarantee_shares_check (&policy, &ok, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "bank_share_bp", "(policy 7: bank");
}

static void
test_fees (void **state)
{
    guarantee_policy_t policy;
    guarantee_policy_default (&policy);
    kj_status_t status;
    //  Up to 5 million yuan the re-guarantee fee is at most 0.3%, above
    //  it 0.5%; the guarantee fee at most 1% a year
    assert_int_equal (guarantee_fees_check (&policy, 500000000, 100, 30,
                                            &status),
                      0);
    s_refused (guarantee_fees_check (&policy, 500000000, 100, 31, &status),
               &status, KJ__CODE__OUT_OF_RANGE, "reguarantee_fee_bp",
               "at most 30 bp for a guarantee of at most 500000000 fen "
               "(policy 1: re-guarantee fee cap)");
    assert_int_equal (guarantee_fees_check (&policy, 500000001, 0, 50, &status),
                      0);
    s_refused (guarantee_fees_check (&policy, 500000001, 0, 51, &status),
               &status, KJ__CODE__OUT_OF_RANGE, "reguarantee_fee_bp",
               "at most 50 bp for a guarantee above 500000000 fen");
    s_refused (guarantee_fees_check (&policy, 1000, 101, 0, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "guarantee_fee_bp",
               "at most 100 bp a year (policy 1: guarantee fee cap)");
    s_refused (guarantee_fees_check (&policy, 1000, -1, 0, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "guarantee_fee_bp", "-1");
    //  The balance cap, 30 million yuan
    assert_int_equal (guarantee_fees_check (&policy, 3000000000, 0, 0, &status),
                      0);
    s_refused (guarantee_fees_check (&policy, 3000000001, 0, 0, &status),
               &status, KJ__CODE__OUT_OF_RANGE, "amount_fen", "balance cap");
    s_refused (guarantee_fees_check (&policy, 0, 0, 0, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "amount_fen", "above 0");
}

static void
test_policy_check (void **state)
{
    guarantee_policy_t policy;
    guarantee_policy_default (&policy);
    kj_status_t status;
    assert_int_equal (guarantee_policy_check (&policy, &status), 0);
    policy.guarantee_fee_max_bp = 10001;
    s_refused (guarantee_policy_check (&policy, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "guarantee_fee_max_bp", "0 to 10000");
    guarantee_policy_default (&policy);
    policy.system_share_max_bp = 7000;  //  with the bank's 20%: no 100%
    s_refused (guarantee_policy_check (&policy, &status), &status,
               KJ__CODE__INVALID_ARGUMENT, "system_share_max_bp",
               "leaves no agreement");
    guarantee_policy_default (&policy);
    policy.provincial_share_min_bp = 9000;
    s_refused (guarantee_policy_check (&policy, &status), &status,
               KJ__CODE__INVALID_ARGUMENT, "provincial_share_min_bp",
               "more than the guarantee system may bear");
    guarantee_policy_default (&policy);
    policy.balance_cap_fen = 0;
    s_refused (guarantee_policy_check (&policy, &status), &status,
               KJ__CODE__OUT_OF_RANGE, "balance_cap_fen", "above 0");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_layers_split),
        cmocka_unit_test (test_shares),
        cmocka_unit_test (test_fees),
        cmocka_unit_test (test_policy_check),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
