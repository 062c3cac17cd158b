/*  =========================================================================
    test_guarantee - kejin-guarantee through a real broker and a fresh
    database: one start-up loan from guarantee to 代偿, claim, city and
    provincial review, approval by a second operator, payment and
    recoveries, with exact amounts, budget, ledger and events; four eyes;
    bad input refused with the field named and nothing moved
    =========================================================================
*/

#include "guarantee_fixture.h"

//  The topics in the outbox, in order, as one string "a b c"
static void
s_topics (gfx_t *fx, char *buf, size_t size)
{
    PGresult *res =
        kj_db_exec (fx->db,
                    "SELECT string_agg (topic, ' ' ORDER BY id) FROM kj_outbox",
                    0, NULL);
    assert_non_null (res);
    kj_strlcpy (buf, PQgetvalue (res, 0, 0), size);
    PQclear (res);
}

static Kj__Budget *
s_budget (gfx_t *fx, int year)
{
    Kj__BudgetGetRequest get = KJ__BUDGET_GET_REQUEST__INIT;
    get.year = year;
    return gfx_ok (fx->alice, "GetBudget", &get, &kj__budget__descriptor);
}

static Kj__Recovery *
s_recover (gfx_t *fx, int64_t claim, int64_t net_fen)
{
    Kj__RecoverRequest recover = KJ__RECOVER_REQUEST__INIT;
    recover.claim_id = claim;
    recover.net_recovery_fen = net_fen;
    return gfx_ok (fx->carol, "Recover", &recover, &kj__recovery__descriptor);
}

//  The reply, the claim read back and the event's payload under `topic`
//  (the only one): the same bytes (PayClaim makes the event and the reply
//  from the claim it read, paid or queued, without reading it back)
static void
s_as_stored (gfx_t *fx, Kj__Claim *reply, const char *topic)
{
    Kj__ClaimGetRequest read = KJ__CLAIM_GET_REQUEST__INIT;
    read.claim_id = reply->id;
    Kj__Claim *stored = gfx_ok (fx->alice, "GetClaim", &read,
                                &kj__claim__descriptor);
    char *hex [2];
    for (int i = 0; i < 2; i++) {
        Kj__Claim *c = i ? stored : reply;
        size_t size = kj__claim__get_packed_size (c);
        uint8_t *bytes = malloc (size + 1);
        kj__claim__pack (c, bytes);
        hex [i] = malloc (2 * size + 1);
        for (size_t b = 0; b < size; b++)
            sprintf (hex [i] + 2 * b, "%02x", bytes [b]);
        hex [i][2 * size] = 0;
        free (bytes);
    }
    assert_string_equal (hex [0], hex [1]);
    PGresult *event = kj_db_exec (fx->db,
                                  "SELECT encode (payload, 'hex') FROM "
                                  "kj_outbox WHERE topic = $1",
                                  1, (const char *[]){ topic });
    assert_non_null (event);
    assert_int_equal (PQntuples (event), 1);
    assert_string_equal (PQgetvalue (event, 0, 0), hex [0]);
    PQclear (event);
    free (hex [0]);
    free (hex [1]);
    kj__claim__free_unpacked (stored, NULL);
}

//  --------------------------------------------------------------------------

static void
test_happy_path (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 10000000);
    kj_status_t status;

    //  Loan, 代偿 of 80,000 yuan, claim: 40% = 32,000 yuan, the rate binds
    int64_t id = gfx_claim (&fx, 8000000, 0, false);
    Kj__ClaimGetRequest get = KJ__CLAIM_GET_REQUEST__INIT;
    get.claim_id = id;
    Kj__Claim *claim = gfx_ok (fx.alice, "GetClaim", &get,
                               &kj__claim__descriptor);
    assert_string_equal (claim->state, "SUBMITTED");
    assert_int_equal (claim->daichang_fen, 8000000);
    assert_int_equal (claim->entitled_fen, 3200000);
    assert_int_equal (claim->payable_fen, 3200000);
    assert_int_equal (claim->n_binding, 1);
    assert_string_equal (claim->binding [0], "rate");
    assert_string_equal (claim->submitted_by, "alice");
    assert_int_equal (strlen (claim->city_due), 10);
    assert_int_equal (claim->budget_year, fx.year);
    kj__claim__free_unpacked (claim, NULL);

    //  One claim per 代偿
    Kj__ClaimSubmitRequest submit = KJ__CLAIM_SUBMIT_REQUEST__INIT;
    submit.daichang_id = gfx_count (&fx, "SELECT max (id) FROM daichang");
    assert_int_equal (gfx_call (fx.bob, "SubmitClaim", &submit,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "daichang_id");

    //  Reviews: the submitter cannot review; the city, then the province
    Kj__ClaimReviewRequest review = KJ__CLAIM_REVIEW_REQUEST__INIT;
    review.claim_id = id;
    review.level = "province";
    assert_int_equal (gfx_call (fx.bob, "ReviewClaim", &review,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    review.level = "city";
    assert_int_equal (gfx_call (fx.alice, "ReviewClaim", &review,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__PERMISSION_DENIED);
    assert_string_equal (status.field, "caller");
    claim = gfx_ok (fx.bob, "ReviewClaim", &review, &kj__claim__descriptor);
    assert_string_equal (claim->state, "CITY_REVIEWED");
    assert_string_equal (claim->city_reviewed_by, "bob");
    assert_int_equal (strlen (claim->province_due), 10);
    assert_true (strcmp (claim->province_due, claim->city_due) > 0);
    kj__claim__free_unpacked (claim, NULL);

    //  Not paid before approval
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = id;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    review.level = "province";
    claim = gfx_ok (fx.bob, "ReviewClaim", &review, &kj__claim__descriptor);
    assert_string_equal (claim->state, "PROVINCE_REVIEWED");
    kj__claim__free_unpacked (claim, NULL);

    //  Four eyes: alice submitted, so alice cannot approve; carol can,
    //  once; bob is then told it is already approved
    Kj__ClaimApproveRequest approve = KJ__CLAIM_APPROVE_REQUEST__INIT;
    approve.claim_id = id;
    assert_int_equal (gfx_call (fx.alice, "ApproveClaim", &approve,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__PERMISSION_DENIED);
    assert_string_equal (status.field, "caller");
    assert_non_null (strstr (status.message, "four eyes"));
    claim = gfx_ok (fx.carol, "ApproveClaim", &approve, &kj__claim__descriptor);
    assert_string_equal (claim->state, "APPROVED");
    assert_string_equal (claim->approved_by, "carol");
    kj__claim__free_unpacked (claim, NULL);
    assert_int_equal (gfx_call (fx.bob, "ApproveClaim", &approve,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, "already approved by carol"));

    //  Payment: from the budget, once; a retry under the same key gets the
    //  first answer, a new request is told it is paid
    Kj__Claim *paid = NULL;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, &paid, &status,
                                "pay-1"),
                      KJ__CODE__OK);
    assert_string_equal (paid->state, "PAID");
    assert_int_equal (paid->paid_fen, 3200000);
    s_as_stored (&fx, paid, "guarantee.claim.paid");
    kj__claim__free_unpacked (paid, NULL);
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, &paid, &status,
                                "pay-1"),
                      KJ__CODE__OK);
    assert_int_equal (paid->paid_fen, 3200000);
    kj__claim__free_unpacked (paid, NULL);
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, NULL, &status, "pay-2"),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, "already paid"));
    Kj__Budget *budget = s_budget (&fx, fx.year);
    assert_int_equal (budget->total_fen, 10000000);
    assert_int_equal (budget->remaining_fen, 6800000);
    assert_int_equal (budget->paid_fen, 3200000);
    kj__budget__free_unpacked (budget, NULL);

    //  Recoveries: the province's share, 3,200,000 / 8,000,000 = 40% of
    //  the cumulative net recovery, rounded down, never drifting
    Kj__Recovery *recovery = s_recover (&fx, id, 1000000);
    assert_int_equal (recovery->refund_fen, 400000);
    assert_int_equal (recovery->cumulative_refund_fen, 400000);
    kj__recovery__free_unpacked (recovery, NULL);
    recovery = s_recover (&fx, id, 1);  //  400,000.4: nothing now
    assert_int_equal (recovery->refund_fen, 0);
    assert_int_equal (recovery->cumulative_recovery_fen, 1000001);
    kj__recovery__free_unpacked (recovery, NULL);
    recovery = s_recover (&fx, id, 2);  //  400,001.2: one fen
    assert_int_equal (recovery->refund_fen, 1);
    assert_int_equal (recovery->cumulative_refund_fen, 400001);
    kj__recovery__free_unpacked (recovery, NULL);
    Kj__RecoverRequest recover = KJ__RECOVER_REQUEST__INIT;
    recover.claim_id = id;
    recover.net_recovery_fen = 8000000;  //  more than the 代偿 left
    assert_int_equal (gfx_call (fx.carol, "Recover", &recover,
                                &kj__recovery__descriptor, NULL, &status, NULL),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "net_recovery_fen");
    budget = s_budget (&fx, fx.year);
    assert_int_equal (budget->refunded_fen, 400001);
    kj__budget__free_unpacked (budget, NULL);

    //  The ledger: allot, pay, two refunds; every one balanced
    Kj__LedgerReport *report = gfx_ledger (&fx);
    assert_int_equal (report->transactions, 4);
    assert_int_equal (report->entries, 8);
    kj__ledger_report__free_unpacked (report, NULL);
    assert_int_equal (gfx_count (&fx, "SELECT sum (debit_fen) FROM "
                                      "ledger_entry WHERE account = "
                                      "'compensation:G1'"),
                      3200000);
    assert_int_equal (gfx_count (&fx, "SELECT sum (credit_fen) FROM "
                                      "ledger_entry WHERE account = "
                                      "'compensation:G1'"),
                      400001);

    //  Every step an event, in order
    char topics [2048];
    s_topics (&fx, topics, sizeof topics);
    assert_string_equal (
        topics,
        "guarantee.guarantor.added guarantee.agreement.added "
        "guarantee.budget.allotted guarantee.guarantee.added "
        "guarantee.daichang.recorded guarantee.claim.submitted "
        "guarantee.claim.city_reviewed guarantee.claim.province_reviewed "
        "guarantee.claim.approved guarantee.claim.paid "
        "guarantee.claim.recovered guarantee.claim.recovered "
        "guarantee.claim.recovered");
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Qualification is decided and explained when a guarantee is made; a
//  guarantee that does not qualify has no claim

static void
test_qualification (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    kj_status_t status;
    Kj__GuaranteeAddRequest guarantee = KJ__GUARANTEE_ADD_REQUEST__INIT;
    guarantee.loan_id = "L-growth";
    guarantee.guarantor_id = "G1";
    guarantee.agreement_id = "A1";
    guarantee.enterprise = "91210100MA00000001";
    guarantee.product_category = "成长类";
    guarantee.amount_fen = 10000000;
    guarantee.loan_date = "2026-03-01";
    Kj__LoanGuarantee *made = gfx_ok (fx.carol, "AddGuarantee", &guarantee,
                                      &kj__loan_guarantee__descriptor);
    assert_false (made->qualifies);
    assert_string_equal (made->reason,
                         "does not qualify: product 成长类 is "
                         "not 创业类; guarantor G1 is qualified; agreement A1 "
                         "version 1 in force on 2026-03-01");
    kj__loan_guarantee__free_unpacked (made, NULL);

    //  Agreement not in force on the loan date
    guarantee.loan_id = "L-old";
    guarantee.product_category = "创业类";
    guarantee.loan_date = "2019-05-01";
    made = gfx_ok (fx.carol, "AddGuarantee", &guarantee,
                   &kj__loan_guarantee__descriptor);
    assert_false (made->qualifies);
    assert_non_null (strstr (made->reason, "agreement A1 not in force on "
                                           "2019-05-01"));
    kj__loan_guarantee__free_unpacked (made, NULL);

    //  Its 代偿 is recorded, its claim refused with the reason
    Kj__DaichangRecordRequest record = KJ__DAICHANG_RECORD_REQUEST__INIT;
    record.loan_id = "L-growth";
    record.amount_fen = 1000000;
    record.paid_on = "2026-06-30";
    Kj__Daichang *daichang = gfx_ok (fx.carol, "RecordDaichang", &record,
                                     &kj__daichang__descriptor);
    Kj__ClaimSubmitRequest submit = KJ__CLAIM_SUBMIT_REQUEST__INIT;
    submit.daichang_id = daichang->id;
    kj__daichang__free_unpacked (daichang, NULL);
    assert_int_equal (gfx_call (fx.alice, "SubmitClaim", &submit,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "daichang_id");
    assert_non_null (strstr (status.message, "not 创业类"));
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM claim"), 0);

    //  The per-enterprise balance cap: 30 million yuan in all, of active
    //  guarantees (L-growth's was paid out by its 代偿, L-old's holds
    //  10 million yuan)
    guarantee.loan_id = "L-big";
    guarantee.amount_fen = 3000000000 - 10000000 + 1;
    assert_int_equal (gfx_call (fx.carol, "AddGuarantee", &guarantee,
                                &kj__loan_guarantee__descriptor, NULL, &status,
                                NULL),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "amount_fen");
    guarantee.amount_fen--;
    guarantee.loan_date = "2026-03-01";
    made = gfx_ok (fx.carol, "AddGuarantee", &guarantee,
                   &kj__loan_guarantee__descriptor);
    assert_true (made->qualifies);
    kj__loan_guarantee__free_unpacked (made, NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Bad input: a status naming the field, nothing moved

static void
s_refused (gfx_t *fx, kj_client_t *client, const char *method,
           const void *request, const ProtobufCMessageDescriptor *type,
           int code, const char *field)
{
    kj_status_t status;
    int got = gfx_call (client, method, request, type, NULL, &status, NULL);
    if (got != code || !streq (status.field, field))
        fprintf (stderr, "%s: %s (%s) %s\n", method, kj_code_name (got),
                 status.field, status.message);
    assert_int_equal (got, code);
    assert_string_equal (status.field, field);
}

static void
test_bad_input (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 1000000);
    int64_t id = gfx_claim (&fx, 1000000, 2, false);
    int64_t events = gfx_count (&fx, "SELECT count (*) FROM kj_outbox");

    Kj__AgreementAddRequest agreement = KJ__AGREEMENT_ADD_REQUEST__INIT;
    agreement.id = "A2";
    agreement.guarantor_id = "G1";
    agreement.bank = "bank";
    agreement.bank_share_bp = 1500;
    agreement.system_share_bp = 8500;
    agreement.rate_bp = 4000;
    agreement.valid_from = "2026-01-01";
    agreement.valid_to = "2026-12-31";
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__OUT_OF_RANGE,
               "bank_share_bp");
    agreement.bank_share_bp = 2500;
    agreement.system_share_bp = 7000;  //  shares add to 95%
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__INVALID_ARGUMENT,
               "system_share_bp");
    agreement.system_share_bp = 7500;
    agreement.provincial_share_bp = 1500;  //  below 20%
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__OUT_OF_RANGE,
               "provincial_share_bp");
    agreement.provincial_share_bp = 2000;
    agreement.national_share_bp = 4500;  //  above 40%
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__OUT_OF_RANGE,
               "national_share_bp");
    agreement.national_share_bp = 4000;
    agreement.provincial_share_bp = 4000;  //  layers pass the system's 75%
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__INVALID_ARGUMENT,
               "provincial_share_bp");
    agreement.national_share_bp = 3000;
    agreement.provincial_share_bp = 2500;
    agreement.rate_bp = 4001;  //  above 40%
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__OUT_OF_RANGE, "rate_bp");
    agreement.rate_bp = 3000;
    agreement.valid_to = "2026-02-30";
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__INVALID_ARGUMENT,
               "valid_to");
    agreement.valid_to = "2026-12-31";
    agreement.guarantor_id = "nobody";
    s_refused (&fx, fx.carol, "AddAgreement", &agreement,
               &kj__agreement__descriptor, KJ__CODE__NOT_FOUND, "guarantor_id");

    Kj__DaichangRecordRequest record = KJ__DAICHANG_RECORD_REQUEST__INIT;
    record.loan_id = "L1";
    record.amount_fen = -5;
    record.paid_on = "2026-06-30";
    s_refused (&fx, fx.carol, "RecordDaichang", &record,
               &kj__daichang__descriptor, KJ__CODE__OUT_OF_RANGE, "amount_fen");
    record.amount_fen = INT64_MAX;  //  more than the guarantee left
    s_refused (&fx, fx.carol, "RecordDaichang", &record,
               &kj__daichang__descriptor, KJ__CODE__OUT_OF_RANGE, "amount_fen");

    Kj__BudgetAllotRequest allot = KJ__BUDGET_ALLOT_REQUEST__INIT;
    allot.year = fx.year;
    allot.amount_fen = INT64_MAX;  //  would overflow the total
    s_refused (&fx, fx.carol, "AllotBudget", &allot, &kj__budget__descriptor,
               KJ__CODE__OUT_OF_RANGE, "amount_fen");
    allot.year = 1999;
    allot.amount_fen = 1;
    s_refused (&fx, fx.carol, "AllotBudget", &allot, &kj__budget__descriptor,
               KJ__CODE__OUT_OF_RANGE, "year");

    //  Claims: unapproved payment, unknown claim, bad level, no caller,
    //  rejection without a reason
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = id;
    s_refused (&fx, fx.carol, "PayClaim", &pay, &kj__claim__descriptor,
               KJ__CODE__FAILED_PRECONDITION, "claim_id");
    pay.claim_id = id + 100;
    s_refused (&fx, fx.carol, "PayClaim", &pay, &kj__claim__descriptor,
               KJ__CODE__NOT_FOUND, "claim_id");
    pay.claim_id = -1;
    s_refused (&fx, fx.carol, "PayClaim", &pay, &kj__claim__descriptor,
               KJ__CODE__INVALID_ARGUMENT, "claim_id");
    Kj__ClaimReviewRequest review = KJ__CLAIM_REVIEW_REQUEST__INIT;
    review.claim_id = id;
    review.level = "county";
    s_refused (&fx, fx.bob, "ReviewClaim", &review, &kj__claim__descriptor,
               KJ__CODE__INVALID_ARGUMENT, "level");
    review.level = "city";
    review.reject = true;
    s_refused (&fx, fx.bob, "ReviewClaim", &review, &kj__claim__descriptor,
               KJ__CODE__INVALID_ARGUMENT, "reason");
    kj_client_t *anonymous = kj_client_new (fx.broker.endpoint);
    Kj__ClaimApproveRequest approve = KJ__CLAIM_APPROVE_REQUEST__INIT;
    approve.claim_id = id;
    s_refused (&fx, anonymous, "ApproveClaim", &approve, &kj__claim__descriptor,
               KJ__CODE__PERMISSION_DENIED, "caller");
    char long_name [200];
    memset (long_name, 'x', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    kj_client_set_caller (anonymous, long_name);
    s_refused (&fx, anonymous, "ApproveClaim", &approve, &kj__claim__descriptor,
               KJ__CODE__INVALID_ARGUMENT, "caller");
    kj_client_destroy (&anonymous);
    Kj__ClaimListRequest list = KJ__CLAIM_LIST_REQUEST__INIT;
    list.limit = 1001;
    s_refused (&fx, fx.bob, "ListClaims", &list, &kj__claim_list__descriptor,
               KJ__CODE__OUT_OF_RANGE, "limit");

    //  The same idempotency key with other content is refused
    kj_status_t status;
    approve.claim_id = id;
    assert_int_equal (gfx_call (fx.carol, "ApproveClaim", &approve,
                                &kj__claim__descriptor, NULL, &status, "k1"),
                      KJ__CODE__OK);
    pay.claim_id = id;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, NULL, &status, "k1"),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "idempotency_key");
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 0);

    //  A rejection is final
    gfx_claim (&fx, 1000000, 0, false);
    review.claim_id = id + 1;
    review.reason = "代偿 proof missing";
    Kj__Claim *claim = gfx_ok (fx.bob, "ReviewClaim", &review,
                               &kj__claim__descriptor);
    assert_string_equal (claim->state, "REJECTED");
    assert_string_equal (claim->reason, "代偿 proof missing");
    kj__claim__free_unpacked (claim, NULL);

    //  Nothing else moved: the allotment alone in the ledger, the budget
    //  whole, no payment; events for the approval, the second loan's
    //  four steps and the rejection only
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM ledger_entry"), 2);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget_left"),
                      1000000);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 0);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_outbox"),
                      events + 1 + 4);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    kj__ledger_report__free_unpacked (report, NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A new version of an agreement binds the guarantees made after it; the
//  per-claim cap binds the entitlement, the budget left the payable; a
//  claim that meets too little budget waits for next year's

static void
test_versions_binding_and_queue (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    Kj__AgreementAddRequest agreement = KJ__AGREEMENT_ADD_REQUEST__INIT;
    agreement.id = "A1";
    agreement.guarantor_id = "G1";
    agreement.bank = "盛京银行";
    agreement.bank_share_bp = 3000;
    agreement.system_share_bp = 7000;
    agreement.provincial_share_bp = 2000;
    agreement.rate_bp = 4000;
    agreement.per_claim_cap_fen = 3000000;
    agreement.valid_from = "2026-01-01";
    agreement.valid_to = "2099-12-31";
    Kj__Agreement *added = gfx_ok (fx.carol, "AddAgreement", &agreement,
                                   &kj__agreement__descriptor);
    assert_int_equal (added->version, 2);
    kj__agreement__free_unpacked (added, NULL);
    gfx_allot (&fx, fx.year, 1000000);

    int64_t id = gfx_claim (&fx, 10000000, 2, true);
    assert_int_equal (gfx_count (&fx, "SELECT agreement_version FROM "
                                      "guarantee WHERE loan_id = 'L1'"),
                      2);
    Kj__ClaimGetRequest get = KJ__CLAIM_GET_REQUEST__INIT;
    get.claim_id = id;
    Kj__Claim *claim = gfx_ok (fx.alice, "GetClaim", &get,
                               &kj__claim__descriptor);
    assert_int_equal (claim->entitled_fen, 3000000);  //  per-claim cap
    assert_int_equal (claim->payable_fen, 1000000);   //  the budget left
    assert_int_equal (claim->n_binding, 1);
    assert_string_equal (claim->binding [0], "budget");
    kj__claim__free_unpacked (claim, NULL);

    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = id;
    claim = gfx_ok (fx.carol, "PayClaim", &pay, &kj__claim__descriptor);
    assert_string_equal (claim->state, "QUEUED");
    assert_int_equal (claim->paid_fen, 0);
    assert_int_equal (claim->budget_year, fx.year + 1);
    char reason [160];
    snprintf (reason, sizeof reason,
              "the %d budget has 1000000 fen left, the "
              "claim needs 3000000; it waits for the %d budget",
              fx.year, fx.year + 1);
    assert_string_equal (claim->reason, reason);
    s_as_stored (&fx, claim, "guarantee.claim.queued");
    kj__claim__free_unpacked (claim, NULL);
    //  Next year has no budget yet: nothing moves
    kj_status_t status;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, "no budget is allotted"));
    gfx_allot (&fx, fx.year + 1, 5000000);
    Kj__BudgetGetRequest budget_get = KJ__BUDGET_GET_REQUEST__INIT;
    budget_get.year = fx.year + 1;
    Kj__Budget *budget = gfx_ok (fx.alice, "GetBudget", &budget_get,
                                 &kj__budget__descriptor);
    assert_int_equal (budget->queued_fen, 3000000);
    kj__budget__free_unpacked (budget, NULL);
    claim = gfx_ok (fx.carol, "PayClaim", &pay, &kj__claim__descriptor);
    assert_string_equal (claim->state, "PAID");
    assert_int_equal (claim->paid_fen, 3000000);
    kj__claim__free_unpacked (claim, NULL);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget_left "
                                      "ORDER BY year LIMIT 1"),
                      1000000);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    kj__ledger_report__free_unpacked (report, NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Suspension: past 50% of its book in 代偿, a guarantor (then a bank)
//  takes no new claim; a threshold that is not a number stops the start

static int64_t
s_loan (gfx_t *fx, const char *loan, const char *guarantor,
        const char *agreement, int64_t amount_fen, int64_t daichang_fen)
{
    Kj__GuaranteeAddRequest guarantee = KJ__GUARANTEE_ADD_REQUEST__INIT;
    guarantee.loan_id = (char *) loan;
    guarantee.guarantor_id = (char *) guarantor;
    guarantee.agreement_id = (char *) agreement;
    guarantee.enterprise = (char *) loan;
    guarantee.product_category = "创业类";
    guarantee.amount_fen = amount_fen;
    guarantee.loan_date = "2026-01-15";
    kj__loan_guarantee__free_unpacked (gfx_ok (fx->carol, "AddGuarantee",
                                               &guarantee,
                                               &kj__loan_guarantee__descriptor),
                                       NULL);
    Kj__DaichangRecordRequest record = KJ__DAICHANG_RECORD_REQUEST__INIT;
    record.loan_id = (char *) loan;
    record.amount_fen = daichang_fen;
    record.paid_on = "2026-06-30";
    Kj__Daichang *daichang = gfx_ok (fx->carol, "RecordDaichang", &record,
                                     &kj__daichang__descriptor);
    int64_t id = daichang->id;
    kj__daichang__free_unpacked (daichang, NULL);
    return id;
}

static void
test_suspension (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, "guarantee/suspend_loss_ratio_bp=5000");
    gfx_parties (&fx);
    kj_status_t status;
    Kj__ClaimSubmitRequest submit = KJ__CLAIM_SUBMIT_REQUEST__INIT;
    submit.daichang_id = s_loan (&fx, "L1", "G1", "A1", 10000000, 4000000);
    kj__claim__free_unpacked (gfx_ok (fx.alice, "SubmitClaim", &submit,
                                      &kj__claim__descriptor),
                              NULL);
    //  G1: 12 of 20 million fen lost, 6000 bp
    submit.daichang_id = s_loan (&fx, "L2", "G1", "A1", 10000000, 8000000);
    assert_int_equal (gfx_call (fx.alice, "SubmitClaim", &submit,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.message,
                         "daichang_id: guarantor G1 is "
                         "suspended from new claims: its 代偿 of 12000000 fen "
                         "are 6000 bp of the 20000000 fen it guaranteed, past "
                         "the threshold of 5000 bp");
    //  G2 with the same bank: G2 at 1000 bp, the bank at 5545 bp
    Kj__GuarantorAddRequest guarantor = KJ__GUARANTOR_ADD_REQUEST__INIT;
    guarantor.id = "G2";
    guarantor.name = "another";
    guarantor.qualified = true;
    guarantor.yearly_cap_fen = 100000000;
    kj__guarantor__free_unpacked (gfx_ok (fx.carol, "AddGuarantor", &guarantor,
                                          &kj__guarantor__descriptor),
                                  NULL);
    Kj__AgreementAddRequest agreement = KJ__AGREEMENT_ADD_REQUEST__INIT;
    agreement.id = "A2";
    agreement.guarantor_id = "G2";
    agreement.bank = "盛京银行";
    agreement.bank_share_bp = 2000;
    agreement.system_share_bp = 8000;
    agreement.national_share_bp = 4000;
    agreement.provincial_share_bp = 2000;
    agreement.rate_bp = 4000;
    agreement.per_claim_cap_fen = 5000000;
    agreement.valid_from = "2020-01-01";
    agreement.valid_to = "2099-12-31";
    kj__agreement__free_unpacked (gfx_ok (fx.carol, "AddAgreement", &agreement,
                                          &kj__agreement__descriptor),
                                  NULL);
    submit.daichang_id = s_loan (&fx, "L3", "G2", "A2", 2000000, 200000);
    assert_int_equal (gfx_call (fx.alice, "SubmitClaim", &submit,
                                &kj__claim__descriptor, NULL, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, "bank 盛京银行 is suspended"));
    assert_non_null (strstr (status.message, "are 5545 bp"));
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM claim"), 1);
    gfx_stop (&fx);

    //  Not a number: the daemon stops at start, exit 2
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, NULL), 0);
    char *dsn = kj_test_db_new ("guarantee");
    pid_t daemon = kj_daemon_start ("guarantee", &broker, dsn,
                                    (const char *[]){
                                        "-s",
                                        "guarantee/suspend_loss_ratio_bp=5%",
                                        NULL });
    assert_int_equal (kj_test_wait_exit (daemon, 20000), 2);
    assert_int_equal (kj_broker_stop (&broker, SIGTERM), 0);
    free (dsn);
}

//  --------------------------------------------------------------------------
//  Pro rata (guarantee/shortfall=pro_rata): three approved claims of
//  800,000 fen against a budget of 1,000,000 are each paid the budget's
//  share of the demand, the last one the rounding's remainder, and never
//  more than the budget; a claim approved after it is spent waits.

static void
test_pro_rata (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, "guarantee/shortfall=pro_rata");
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 1000000);
    int64_t ids [3];
    for (int i = 0; i < 3; i++)
        ids [i] = gfx_claim (&fx, 2000000, 2, true);  //  entitled 800,000
    const int64_t expected [] = { 333333, 333333, 333334 };
    for (int i = 0; i < 3; i++) {
        Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
        pay.claim_id = ids [i];
        Kj__Claim *claim = gfx_ok (fx.carol, "PayClaim", &pay,
                                   &kj__claim__descriptor);
        assert_string_equal (claim->state, "PAID");
        assert_int_equal (claim->paid_fen, expected [i]);
        assert_non_null (strstr (claim->reason, "paid pro rata"));
        kj__claim__free_unpacked (claim, NULL);
    }
    Kj__Budget *budget = s_budget (&fx, fx.year);
    assert_int_equal (budget->remaining_fen, 0);
    assert_int_equal (budget->paid_fen, 1000000);
    kj__budget__free_unpacked (budget, NULL);
    //  Nothing left: the next claim waits for next year's budget
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = gfx_claim (&fx, 2000000, 2, true);
    Kj__Claim *claim = gfx_ok (fx.carol, "PayClaim", &pay,
                               &kj__claim__descriptor);
    assert_string_equal (claim->state, "QUEUED");
    assert_int_equal (claim->budget_year, fx.year + 1);
    kj__claim__free_unpacked (claim, NULL);
    kj__ledger_report__free_unpacked (gfx_ledger (&fx), NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The command line, on the same node: run `kejin --broker EP ARGS`, its
//  stdout into out; returns its exit code

static int
s_kejin_env (gfx_t *fx, const char *env, char *out, size_t size,
             const char *args)
{
    char command [1024];
    snprintf (command, sizeof command, "%s %s --broker %s %s 2>&1", env,
              kj_test_bin ("kejin"), fx->broker.endpoint, args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    size_t length = fread (out, 1, size - 1, pipe);
    out [length] = 0;
    int status = pclose (pipe);
    fprintf (stderr, "kejin %s\n%s", args, out);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
s_kejin (gfx_t *fx, char *out, size_t size, const char *args)
{
    return s_kejin_env (fx, "", out, size, args);
}

//  The "Done when", by the command line as a new user would: one
//  start-up loan from guarantee to default, 代偿 split across the layers,
//  claim, both reviews, approval by a second operator, payment and a
//  later recovery, with the budget shown after every step, then every
//  step found in the events and the ledger, the report, and the policy.

static void
s_budget_says (gfx_t *fx, const char *expected)
{
    char out [1024], args [64], line [512];
    snprintf (args, sizeof args, "guarantee budget show %d", fx->year);
    assert_int_equal (s_kejin (fx, out, sizeof out, args), 0);
    snprintf (line, sizeof line, "budget %d: %s\n", fx->year, expected);
    assert_string_equal (out, line);
}

static void
test_cli (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    char out [8192], args [512];
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee guarantor add "
                               "G9 --name 科担 --yearly-cap 100万 --qualified "
                               "--as ops"),
                      0);
    assert_string_equal (out, "guarantor G9 added (qualified)\n");
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee agreement add "
                               "A9 --guarantor G9 --bank 银行 --bank-share 20 "
                               "--system-share 80 --national-share 40 "
                               "--provincial-share 20 --rate 40 "
                               "--per-claim-cap 50000 --from 2020-01-01 "
                               "--to 2099-12-31 --as ops"),
                      0);
    assert_string_equal (out, "agreement A9 version 1 added\n");
    snprintf (args, sizeof args,
              "guarantee budget allot %d --amount 10万 --as ops", fx.year);
    assert_int_equal (s_kejin (&fx, out, sizeof out, args), 0);
    s_budget_says (&fx, "allotted ¥100,000.00, left ¥100,000.00, paid ¥0.00, "
                        "refunded ¥0.00, queued for it ¥0.00");
    //  Every year's budget: the one allotted, read as GetBudget reads it
    assert_int_equal (s_kejin (&fx, out, sizeof out, "guarantee budget list"),
                      0);
    snprintf (args, sizeof args,
              "budget %d: allotted ¥100,000.00, left ¥100,000.00, paid "
              "¥0.00, refunded ¥0.00, queued for it ¥0.00\n",
              fx.year);
    assert_string_equal (out, args);
    //  A fee above the policy's cap names the field and the rule
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee guarantee add "
                               "L8 --guarantor G9 --agreement A9 --enterprise "
                               "91210100MA0000009X --category 创业类 --amount "
                               "100000 --date 2026-02-01 --fee 1.5 --as ops"),
                      2);
    assert_non_null (strstr (out, "OUT_OF_RANGE (guarantee_fee_bp)"));
    assert_non_null (strstr (out, "policy 1: guarantee fee cap"));
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee guarantee add "
                               "L9 --guarantor G9 --agreement A9 --enterprise "
                               "91210100MA0000009X --category 创业类 --amount "
                               "100000 --date 2026-02-01 --fee 0.8 "
                               "--reguarantee-fee 0.3 --city 210200 --as ops"),
                      0);
    assert_non_null (strstr (out, "qualifies"));
    //  The 代偿 across the layers: 40/80 and 20/80 of it, the rest the
    //  guarantor's
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee default L9 "
                               "--amount 80000.01 --paid-on 2026-07-01 "
                               "--as ops"),
                      0);
    assert_string_equal (out, "代偿 1 of ¥80,000.01 recorded on loan L9: "
                              "national fund ¥40,000.00, provincial "
                              "re-guarantee ¥20,000.00, guarantor "
                              "¥20,000.01\n");
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee claim submit 1 --as alice"),
                      0);
    assert_non_null (strstr (out, "claim 1  SUBMITTED"));
    assert_non_null (strstr (out, "entitled ¥32,000.00 at 40"));
    s_budget_says (&fx, "allotted ¥100,000.00, left ¥100,000.00, paid ¥0.00, "
                        "refunded ¥0.00, queued for it ¥0.00");
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee claim review 1 "
                               "--level city --as bob"),
                      0);
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee claim review 1 "
                               "--level province --as bob"),
                      0);
    //  Four eyes, then approval by a second operator
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee approve 1 "
                               "--as alice"),
                      1);
    assert_non_null (
        strstr (out, "PERMISSION_DENIED: caller: alice submitted claim 1 and "
                     "cannot approve it (four eyes)"));
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee approve 1 "
                               "--as carol"),
                      0);
    snprintf (args, sizeof args, "guarantee report %d", fx.year);
    assert_int_equal (s_kejin (&fx, out, sizeof out, args), 0);
    assert_non_null (strstr (out, "¥32,000.00"));  //  committed
    assert_non_null (strstr (out, "210200"));
    s_budget_says (&fx, "allotted ¥100,000.00, left ¥100,000.00, paid ¥0.00, "
                        "refunded ¥0.00, queued for it ¥0.00");
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee pay 1 "
                               "--as carol"),
                      0);
    assert_non_null (strstr (out, "claim 1  PAID"));
    assert_non_null (strstr (out, "paid ¥32,000.00"));
    s_budget_says (&fx, "allotted ¥100,000.00, left ¥68,000.00, paid "
                        "¥32,000.00, refunded ¥0.00, queued for it ¥0.00");
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee recover 1 "
                               "--net 10000 --as ops"),
                      0);
    //  floor (10000 x 32000 / 80000.01) yuan, in fen
    assert_non_null (strstr (out, "refund to the province now ¥3,999.99"));
    s_budget_says (&fx, "allotted ¥100,000.00, left ¥68,000.00, paid "
                        "¥32,000.00, refunded ¥3,999.99, queued for it ¥0.00");
    //  Every step in the ledger and the events
    assert_int_equal (s_kejin (&fx, out, sizeof out, "guarantee ledger check"),
                      0);
    assert_string_equal (out, "ledger balanced: 3 transactions, 6 entries\n");
    char topics [2048];
    s_topics (&fx, topics, sizeof topics);
    assert_string_equal (
        topics,
        "guarantee.guarantor.added guarantee.agreement.added "
        "guarantee.budget.allotted guarantee.guarantee.added "
        "guarantee.daichang.recorded guarantee.claim.submitted "
        "guarantee.claim.city_reviewed guarantee.claim.province_reviewed "
        "guarantee.claim.approved guarantee.claim.paid "
        "guarantee.claim.recovered");
    //  The report: paid and recovered, the guarantor's loss ratio
    assert_int_equal (s_kejin (&fx, out, sizeof out, args), 0);
    assert_non_null (strstr (out, "compensation paid ¥32,000.00, net "
                                  "recoveries ¥10,000.00, refunded to the "
                                  "province ¥3,999.99; 代偿 ¥80,000.01"));
    assert_non_null (strstr (out, "1 80%"));  //  G9's and the bank's ratio
    assert_int_equal (s_kejin (&fx, out, sizeof out, "guarantee claim list"),
                      0);
    assert_non_null (strstr (out, "PAID"));
    assert_int_equal (s_kejin (&fx, out, sizeof out, "guarantee pay x"), 2);
    //  The policy: shown, its next version set, and applied
    assert_int_equal (s_kejin (&fx, out, sizeof out, "guarantee policy show"),
                      0);
    assert_non_null (strstr (out, "policy 1 "));
    assert_non_null (strstr (out, "guarantee fee at most 1% a year"));
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee policy set --fee-max 0.5 --as ops"),
                      0);
    assert_non_null (strstr (out, "policy 2 (set by ops)"));
    assert_non_null (strstr (out, "guarantee fee at most 0.50% a year"));
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee guarantee add "
                               "L7 --guarantor G9 --agreement A9 --enterprise "
                               "91210100MA0000007X --category 创业类 --amount "
                               "1000 --date 2026-02-01 --fee 0.8 --as ops"),
                      2);
    assert_non_null (strstr (out, "at most 50 bp a year (policy 2"));
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Every node verb in Chinese under a Chinese locale: its output, its
//  refusals and its usage; no English sentence of the CLI's own left

#define ZH "LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8"

static void
s_zh (gfx_t *fx, int code, const char *args, const char *expected)
{
    char out [8192];
    assert_int_equal (s_kejin_env (fx, ZH, out, sizeof out, args), code);
    if (!strstr (out, expected))
        fail_msg ("kejin %s: no '%s' in\n%s", args, expected, out);
    const char *english [] = { " added",
                               "recorded on",
                               "entitled ",
                               "submitted by",
                               "ledger balanced",
                               "compensation paid",
                               "bank share at least",
                               "budget by year",
                               "Usage:",
                               "unknown",
                               NULL };
    for (int i = 0; english [i]; i++)
        if (strstr (out, english [i]))
            fail_msg ("kejin %s: '%s' in\n%s", args, english [i], out);
}

static void
test_cli_chinese (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    char args [256];
    s_zh (&fx, 0,
          "guarantee guarantor add G9 --name 科担 --yearly-cap 100万 "
          "--qualified --as ops",
          "已添加担保机构 G9（合格）\n");
    s_zh (&fx, 0,
          "guarantee agreement add A9 --guarantor G9 --bank 银行 "
          "--bank-share 20 --system-share 80 --national-share 40 "
          "--provincial-share 20 --rate 40 --per-claim-cap 50000 "
          "--from 2020-01-01 --to 2099-12-31 --as ops",
          "已添加协议 A9 第 1 版\n");
    snprintf (args, sizeof args,
              "guarantee budget allot %d --amount 10万 --as ops", fx.year);
    s_zh (&fx, 0, args, "年度预算：已拨付 ¥100,000.00，剩余 ¥100,000.00");
    s_zh (&fx, 0,
          "guarantee guarantee add L9 --guarantor G9 --agreement A9 "
          "--enterprise 91210100MA0000009X --category 创业类 --amount 100000 "
          "--date 2026-02-01 --as ops",
          "已添加贷款 L9 的担保：");
    s_zh (&fx, 0, "guarantee guarantee pending", "没有担保登记\n");
    s_zh (&fx, 0,
          "guarantee guarantee back APP9 --guarantor G9 --agreement A9 "
          "--category 创业类 --as ops",
          "已登记为申请 APP9 担保：撮合报告贷款已发放时担保生效");
    s_zh (&fx, 0, "guarantee guarantee pending", "登记人");
    s_zh (&fx, 2, "guarantee guarantee nope",
          "没有动词“nope”；动词为 add, back, pending");
    s_zh (&fx, 0,
          "guarantee default L9 --amount 80000.01 --paid-on 2026-07-01 "
          "--as ops",
          "已记录代偿 1，金额 ¥80,000.01，贷款 L9：国家融资担保基金 "
          "¥40,000.00，省级再担保 ¥20,000.00，担保机构 ¥20,000.01\n");
    s_zh (&fx, 0, "guarantee claim submit 1 --as alice",
          "补偿申请 1  SUBMITTED\n  代偿 1，贷款 L9，担保机构 G9：¥80,000.01\n"
          "  应补偿 ¥32,000.00");
    s_zh (&fx, 0, "guarantee claim review 1 --level city --as bob",
          "市级审核 bob");
    s_zh (&fx, 0, "guarantee claim review 1 --level province --as bob",
          "省级审核 bob");
    s_zh (&fx, 0, "guarantee approve 1 --as carol", "批准人 carol");
    s_zh (&fx, 0, "guarantee pay 1 --as carol", "已支付 ¥32,000.00，来自 ");
    s_zh (&fx, 0, "guarantee recover 1 --net 10000 --as ops",
          "补偿申请 1：累计追偿 ¥10,000.00；本次返还省级 ¥3,999.99");
    s_zh (&fx, 0, "guarantee ledger check", "账簿平衡：3 笔交易，6 条分录\n");
    s_zh (&fx, 0, "guarantee report", "已付补偿 ¥32,000.00，净追偿");
    s_zh (&fx, 0, "guarantee report", "按银行的损失率");
    s_zh (&fx, 0, "guarantee claim list", "补偿申请");
    s_zh (&fx, 0, "guarantee policy show", "政策第 1 版（设定人 ");
    s_zh (&fx, 0, "guarantee --help", "用法：kejin guarantee 动词");
    //  The operator on a node with keys: the key's, and how to have one
    s_zh (&fx, 0, "guarantee --help",
          "每位操作员一把密钥（kejin keys new 名称 --role\noperator），然后 "
          "KEJIN_KEY=名称 kejin guarantee ...");
    char out [8192];
    assert_int_equal (s_kejin (&fx, out, sizeof out, "guarantee --help"), 0);
    assert_non_null (strstr (out, "the name of the caller's key, whatever --as "
                                  "says"));
    s_zh (&fx, 2, "guarantee budget nope",
          "kejin：guarantee budget：没有动词“nope”；动词为 allot, show, list");
    s_zh (&fx, 2, "guarantee ledger nope", "动词为 check");
    s_zh (&fx, 2, "guarantee nope", "未知的 guarantee 命令 'nope'");
    s_zh (&fx, 2, "guarantee pay", "pay 需要一个申请 id");
    //  A ledger that disagrees: each disagreement in Chinese, in yuan
    assert_int_equal (kj_db_run (fx.db,
                                 "UPDATE guarantor_paid SET paid_fen = 1", 0,
                                 NULL),
                      1);
    snprintf (args, sizeof args,
              "担保机构 G9：已支付 ¥32,000.00（%d 年），累计记录 ¥0.01\n",
              fx.year);
    s_zh (&fx, 1, "guarantee ledger check", args);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The demo for a node after make up (deploy/demo-guarantee.sh): a
//  guarantor, its agreement and this year's budget, once however often it
//  runs; a 创业类 loan under them qualifies, so the walk above can be
//  followed by hand.

static void
test_demo_data (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    const char *root = getenv ("KEJIN_ROOT");
    char command [2048], bin [1024], out [1024], expected [128];
    kj_strlcpy (bin, kj_test_bin ("kejin"), sizeof bin);
    *strrchr (bin, '/') = 0;
    snprintf (command, sizeof command,
              "KEJIN_NODE_BROKER=%s KEJIN_BIN=%s %s/deploy/demo-guarantee.sh "
              "2>&1",
              fx.broker.endpoint, bin, root ? root : ".");
    snprintf (expected, sizeof expected,
              "guarantee demo: guarantor DEMO-G, agreement DEMO-A, budget "
              "%d\n",
              fx.year);
    for (int run = 0; run < 2; run++) {
        FILE *pipe = popen (command, "r");
        assert_non_null (pipe);
        size_t length = fread (out, 1, sizeof out - 1, pipe);
        out [length] = 0;
        assert_int_equal (pclose (pipe), 0);
        assert_string_equal (out, expected);
    }
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM guarantor"), 1);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM agreement "
                                      "WHERE id = 'DEMO-A' AND "
                                      "national_share_bp = 4000 AND "
                                      "provincial_share_bp = 2000"),
                      1);
    assert_int_equal (gfx_count (&fx, "SELECT sum (total_fen) FROM budget"),
                      1000000000);
    char args [512];
    assert_int_equal (s_kejin (&fx, out, sizeof out,
                               "guarantee guarantee add L1 --guarantor DEMO-G "
                               "--agreement DEMO-A --enterprise "
                               "91210100MA0000001X --category 创业类 "
                               "--amount 100万 --date 2026-02-01 --as ops"),
                      0);
    assert_non_null (strstr (out, "qualifies: "));
    snprintf (args, sizeof args, "guarantee budget show %d", fx.year);
    assert_int_equal (s_kejin (&fx, out, sizeof out, args), 0);
    assert_non_null (strstr (out, "left ¥10,000,000.00"));
    gfx_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_happy_path),
        cmocka_unit_test (test_qualification),
        cmocka_unit_test (test_bad_input),
        cmocka_unit_test (test_versions_binding_and_queue),
        cmocka_unit_test (test_suspension),
        cmocka_unit_test (test_pro_rata),
        cmocka_unit_test (test_cli),
        cmocka_unit_test (test_cli_chinese),
        cmocka_unit_test (test_demo_data),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
