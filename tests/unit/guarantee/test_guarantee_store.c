/*  =========================================================================
    test_guarantee_store - a claim row read by column name: the columns in
    another order (two swapped, all reversed), and one more, give the same
    claim; a NULL where the
    schema allows none, or a column missing, fails the call INTERNAL
    instead of reading as 0 or ""
    =========================================================================
*/

#include "guarantee_store.h"
#include "kj_worker_private.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

//  The claim's columns and one row of values, in GUARANTEE_CLAIM_FIELDS'
//  order
static const char *s_names [] = { "id",
                                  "daichang_id",
                                  "loan_id",
                                  "guarantor_id",
                                  "state",
                                  "daichang_fen",
                                  "rate_bp",
                                  "entitled_fen",
                                  "payable_fen",
                                  "binding",
                                  "paid_fen",
                                  "budget_year",
                                  "submitted_by",
                                  "city_reviewed_by",
                                  "province_reviewed_by",
                                  "approved_by",
                                  "city_due",
                                  "province_due",
                                  "reason",
                                  "refunded_fen",
                                  "recovered_fen" };
static const char *s_values [] = {
    "7",      "70",     "L-1",         "G-1",        "PAID", "1000000", "4000",
    "400000", "300000", "rate,budget", "300000",     "2026", "alice",   "bob",
    "carol",  "dave",   "2026-03-09",  "2026-04-13", "ok",   "1200",    "5000"
};
#define FIELDS 21

//  A result made without a server: the claim's columns in the order of
//  `order` (indexes into s_names; -1 an extra column "extra"), one row;
//  the column named `null_name` is SQL NULL.
static PGresult *
s_result (const int order [], int count, const char *null_name)
{
    PGresult *res = PQmakeEmptyPGresult (NULL, PGRES_TUPLES_OK);
    assert_non_null (res);
    PGresAttDesc attrs [FIELDS + 1];
    for (int c = 0; c < count; c++)
        attrs [c] = (PGresAttDesc){
            .name = (char *) (order [c] < 0 ? "extra" : s_names [order [c]]),
            .typid = 25,
            .typlen = -1,
            .atttypmod = -1
        };
    assert_int_equal (PQsetResultAttrs (res, count, attrs), 1);
    for (int c = 0; c < count; c++) {
        const char *value = order [c] < 0 ? "99" : s_values [order [c]];
        if (null_name && streq (attrs [c].name, null_name))
            value = NULL;
        assert_int_equal (PQsetvalue (res, 0, c, (char *) value,
                                      value ? (int) strlen (value) : -1),
                          1);
    }
    return res;
}

static void
s_check_claim (const Kj__Claim *claim)
{
    assert_non_null (claim);
    assert_int_equal (claim->id, 7);
    assert_int_equal (claim->daichang_id, 70);
    assert_string_equal (claim->loan_id, "L-1");
    assert_string_equal (claim->guarantor_id, "G-1");
    assert_string_equal (claim->state, "PAID");
    assert_int_equal (claim->daichang_fen, 1000000);
    assert_int_equal (claim->rate_bp, 4000);
    assert_int_equal (claim->entitled_fen, 400000);
    assert_int_equal (claim->payable_fen, 300000);
    assert_int_equal (claim->n_binding, 2);
    assert_string_equal (claim->binding [0], "rate");
    assert_string_equal (claim->binding [1], "budget");
    assert_int_equal (claim->paid_fen, 300000);
    assert_int_equal (claim->budget_year, 2026);
    assert_string_equal (claim->submitted_by, "alice");
    assert_string_equal (claim->city_reviewed_by, "bob");
    assert_string_equal (claim->province_reviewed_by, "carol");
    assert_string_equal (claim->approved_by, "dave");
    assert_string_equal (claim->city_due, "2026-03-09");
    assert_string_equal (claim->province_due, "2026-04-13");
    assert_string_equal (claim->reason, "ok");
    assert_int_equal (claim->refunded_fen, 1200);
    assert_int_equal (claim->recovered_fen, 5000);
}

static void
test_claim_by_name (void **state)
{
    kj_worker_t worker = { 0 };
    kj_call_t call = { .worker = &worker };
    //  As the query gives them
    int order [FIELDS + 1];
    for (int c = 0; c < FIELDS; c++)
        order [c] = c;
    PGresult *res = s_result (order, FIELDS, NULL);
    s_check_claim (guarantee_store_claim_row (&call, res, 0));
    PQclear (res);
    //  Two money columns swapped, the count the same: the same claim
    order [10] = 19;  //  refunded_fen where paid_fen was
    order [19] = 10;
    res = s_result (order, FIELDS, NULL);
    s_check_claim (guarantee_store_claim_row (&call, res, 0));
    PQclear (res);
    //  Reversed, with a column added in front: the same claim
    order [0] = -1;
    for (int c = 0; c < FIELDS; c++)
        order [c + 1] = FIELDS - 1 - c;
    res = s_result (order, FIELDS + 1, NULL);
    s_check_claim (guarantee_store_claim_row (&call, res, 0));
    assert_int_equal (call.status.code, KJ__CODE__OK);
    PQclear (res);
    kj_call_reset (&call);
    free (worker.spare);
}

static void
test_claim_refused (void **state)
{
    kj_worker_t worker = { 0 };
    kj_call_t call = { .worker = &worker };
    int order [FIELDS];
    for (int c = 0; c < FIELDS; c++)
        order [c] = c;
    //  A NULL money column is not 0 fen
    PGresult *res = s_result (order, FIELDS, "paid_fen");
    assert_null (guarantee_store_claim_row (&call, res, 0));
    assert_int_equal (call.status.code, KJ__CODE__INTERNAL);
    PQclear (res);
    kj_call_reset (&call);
    //  Nor is a column the query lost
    res = s_result (order, FIELDS - 1, NULL);  //  no recovered_fen
    assert_null (guarantee_store_claim_row (&call, res, 0));
    assert_int_equal (call.status.code, KJ__CODE__INTERNAL);
    PQclear (res);
    kj_call_reset (&call);
    free (worker.spare);
}

int
main (void)
{
    kj_log_init ("test_guarantee_store", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_claim_by_name),
        cmocka_unit_test (test_claim_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
