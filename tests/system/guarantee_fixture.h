/*  =========================================================================
    guarantee_fixture - kejin-guarantee on a real broker and a fresh
    database for the guarantee system tests: operators (one client each,
    naming its caller), calls by name, a claim brought to any state, and
    counts read straight from the service's schema
    =========================================================================
*/

#ifndef GUARANTEE_FIXTURE_H_INCLUDED
#define GUARANTEE_FIXTURE_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"
#include "guarantee.pb-c.h"

typedef struct {
    kj_broker_t broker;
    char *dsn;
    pid_t daemon [2];
    kj_db_t *db;         //  the test's own look at the schema
    kj_client_t *alice;  //  submits claims
    kj_client_t *bob;    //  reviews
    kj_client_t *carol;  //  approves and pays
    int year;            //  this year, the budget claims pay from
    int loans;           //  loans made so far
} gfx_t;

//  Start a broker and `daemons` copies (1 or 2) of kejin-guarantee on a
//  fresh database, relay off (events stay in kj_outbox to be read), the
//  follower of matching's events off (test_guarantee_follow runs it), with
//  the options "path=value" of `options` (NULL-terminated, or NULL), and
//  `workers` worker threads each.
static inline void
    gfx_start_with (gfx_t *fx, int daemons, int workers,
                    const char *const *options)
{
    memset (fx, 0, sizeof *fx);
    assert_int_equal (kj_broker_start (&fx->broker, 0, NULL), 0);
    fx->dsn = kj_test_db_new ("guarantee");
    const char *extra [32] = { "-s", "guarantee/relay=false", "-s",
                               //  no kejin-events here to follow
                               "guarantee/follow_interval_s=0" };
    int n = 4;
    char threads [48];
    snprintf (threads, sizeof threads, "guarantee/workers=%d", workers);
    extra [n++] = "-s";
    extra [n++] = threads;
    for (int i = 0; options && options [i] && n < 30; i++) {
        extra [n++] = "-s";
        extra [n++] = options [i];
    }
    for (int i = 0; i < daemons; i++) {
        fx->daemon [i] = kj_daemon_start ("guarantee", &fx->broker, fx->dsn,
                                          extra);
        assert_true (fx->daemon [i] > 0);
        assert_true (kj_broker_wait_workers (fx->broker.endpoint, "guarantee",
                                             workers * (i + 1), 20000));
    }
    fx->db = kj_db_new (fx->dsn, "guarantee", 5000);
    assert_non_null (fx->db);
    const char *names [] = { "alice", "bob", "carol" };
    kj_client_t **clients [] = { &fx->alice, &fx->bob, &fx->carol };
    for (int i = 0; i < 3; i++) {
        *clients [i] = kj_client_new (fx->broker.endpoint);
        kj_client_set_caller (*clients [i], names [i]);
    }
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    fx->year = tm.tm_year + 1900;
}

//  ... with 3 workers each and one more option (or NULL)
static inline void
    gfx_start (gfx_t *fx, int daemons, const char *option)
{
    const char *options [] = { option, NULL };
    gfx_start_with (fx, daemons, 3, options);
}

static inline void
    gfx_stop (gfx_t *fx)
{
    kj_client_destroy (&fx->alice);
    kj_client_destroy (&fx->bob);
    kj_client_destroy (&fx->carol);
    kj_db_destroy (&fx->db);
    for (int i = 0; i < 2; i++)
        if (fx->daemon [i] > 0)
            assert_int_equal (kj_test_kill (fx->daemon [i], SIGTERM, 10000), 0);
    assert_int_equal (kj_broker_stop (&fx->broker, SIGTERM), 0);
    free (fx->dsn);
}

//  Call guarantee.method; reads (Get*, List*, LedgerCheck) carry no key,
//  writes carry `key` (NULL: a new one). Returns the status code.
static inline int
    gfx_call (kj_client_t *client, const char *method, const void *request,
              const ProtobufCMessageDescriptor *type, void *reply_p,
              kj_status_t *status, const char *key)
{
    bool read = strncmp (method, "Get", 3) == 0
             || strncmp (method, "List", 4) == 0
             || streq (method, "LedgerCheck");
    kj_call_opts_t opts = { .idempotency_key = key, .read_only = read };
    return kj_client_call (client, "guarantee", method,
                           (const ProtobufCMessage *) request, type,
                           (ProtobufCMessage **) reply_p, status, &opts);
}

//  A call that must succeed; the reply (free it) or NULL when not wanted.
static inline void *
    gfx_ok (kj_client_t *client, const char *method, const void *request,
            const ProtobufCMessageDescriptor *type)
{
    ProtobufCMessage *reply = NULL;
    kj_status_t status;
    int code = gfx_call (client, method, request, type, &reply, &status, NULL);
    if (code != KJ__CODE__OK)
        fprintf (stderr, "%s: %s (%s) %s\n", method, kj_code_name (code),
                 status.field, status.message);
    assert_int_equal (code, KJ__CODE__OK);
    return reply;
}

static inline int64_t
    gfx_count (gfx_t *fx, const char *sql)
{
    PGresult *res = kj_db_exec (fx->db, sql, 0, NULL);
    assert_non_null (res);
    int64_t count = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  Guarantor G1 (qualified, yearly cap 1,000,000 yuan) and its agreement
//  A1: bank 20%, system 80%, rate 40%, per-claim cap 50,000 yuan.
static inline void
    gfx_parties (gfx_t *fx)
{
    Kj__GuarantorAddRequest guarantor = KJ__GUARANTOR_ADD_REQUEST__INIT;
    guarantor.id = "G1";
    guarantor.name = "辽宁科技融资担保";
    guarantor.qualified = true;
    guarantor.yearly_cap_fen = 100000000;
    kj__guarantor__free_unpacked (gfx_ok (fx->carol, "AddGuarantor", &guarantor,
                                          &kj__guarantor__descriptor),
                                  NULL);
    Kj__AgreementAddRequest agreement = KJ__AGREEMENT_ADD_REQUEST__INIT;
    agreement.id = "A1";
    agreement.guarantor_id = "G1";
    agreement.bank = "盛京银行";
    agreement.bank_share_bp = 2000;
    agreement.system_share_bp = 8000;
    agreement.national_share_bp = 4000;
    agreement.provincial_share_bp = 2000;
    agreement.rate_bp = 4000;
    agreement.per_claim_cap_fen = 5000000;
    agreement.valid_from = "2020-01-01";
    agreement.valid_to = "2099-12-31";
    kj__agreement__free_unpacked (gfx_ok (fx->carol, "AddAgreement", &agreement,
                                          &kj__agreement__descriptor),
                                  NULL);
}

static inline void
    gfx_allot (gfx_t *fx, int year, int64_t amount_fen)
{
    Kj__BudgetAllotRequest allot = KJ__BUDGET_ALLOT_REQUEST__INIT;
    allot.year = year;
    allot.amount_fen = amount_fen;
    kj__budget__free_unpacked (gfx_ok (fx->carol, "AllotBudget", &allot,
                                       &kj__budget__descriptor),
                               NULL);
}

//  A 创业类 loan of 10,000,000 fen guaranteed by G1 under A1, its 代偿 of
//  daichang_fen, and a claim by alice; reviewed by bob (reviews >= 1: the
//  city's, 2: the province's too) and approved by carol (approve). The
//  claim's id.
static inline int64_t
    gfx_claim (gfx_t *fx, int64_t daichang_fen, int reviews, bool approve)
{
    char loan [32], enterprise [32];
    snprintf (loan, sizeof loan, "L%d", ++fx->loans);
    snprintf (enterprise, sizeof enterprise, "91210100MA%08d", fx->loans);
    Kj__GuaranteeAddRequest guarantee = KJ__GUARANTEE_ADD_REQUEST__INIT;
    guarantee.loan_id = loan;
    guarantee.guarantor_id = "G1";
    guarantee.agreement_id = "A1";
    guarantee.enterprise = enterprise;
    guarantee.product_category = "创业类";
    guarantee.amount_fen = 10000000;
    guarantee.loan_date = "2026-01-15";
    Kj__LoanGuarantee *made = gfx_ok (fx->carol, "AddGuarantee", &guarantee,
                                      &kj__loan_guarantee__descriptor);
    assert_true (made->qualifies);
    kj__loan_guarantee__free_unpacked (made, NULL);

    Kj__DaichangRecordRequest record = KJ__DAICHANG_RECORD_REQUEST__INIT;
    record.loan_id = loan;
    record.amount_fen = daichang_fen;
    record.paid_on = "2026-06-30";
    Kj__Daichang *daichang = gfx_ok (fx->carol, "RecordDaichang", &record,
                                     &kj__daichang__descriptor);
    Kj__ClaimSubmitRequest submit = KJ__CLAIM_SUBMIT_REQUEST__INIT;
    submit.daichang_id = daichang->id;
    kj__daichang__free_unpacked (daichang, NULL);
    Kj__Claim *claim = gfx_ok (fx->alice, "SubmitClaim", &submit,
                               &kj__claim__descriptor);
    int64_t id = claim->id;
    kj__claim__free_unpacked (claim, NULL);
    for (int level = 0; level < reviews; level++) {
        Kj__ClaimReviewRequest review = KJ__CLAIM_REVIEW_REQUEST__INIT;
        review.claim_id = id;
        review.level = level == 0 ? "city" : "province";
        kj__claim__free_unpacked (gfx_ok (fx->bob, "ReviewClaim", &review,
                                          &kj__claim__descriptor),
                                  NULL);
    }
    if (approve) {
        Kj__ClaimApproveRequest approval = KJ__CLAIM_APPROVE_REQUEST__INIT;
        approval.claim_id = id;
        kj__claim__free_unpacked (gfx_ok (fx->carol, "ApproveClaim", &approval,
                                          &kj__claim__descriptor),
                                  NULL);
    }
    return id;
}

//  The ledger check must say balanced; returns it (free it).
static inline Kj__LedgerReport *
    gfx_ledger (gfx_t *fx)
{
    Kj__LedgerCheckRequest request = KJ__LEDGER_CHECK_REQUEST__INIT;
    Kj__LedgerReport *report = gfx_ok (fx->alice, "LedgerCheck", &request,
                                       &kj__ledger_report__descriptor);
    for (size_t i = 0; i < report->n_problems; i++)
        fprintf (stderr, "ledger: %s\n", report->problems [i]);
    assert_true (report->balanced);
    return report;
}

#endif
