/*  =========================================================================
    test_ipo - kejin-ipo through a real broker and a fresh database

    End to end: a budget, a firm admitted and reviewed by its city, moved
    to tutoring filed, its claim filed, approved by the city and paid by
    the province, each step an event in the outbox attributed to the
    caller; a claim for a stage not reached and a second claim for the
    same stage refused; moves from the wrong state refused with the states
    allowed. Time, with the daemon's today fixed by ipo/today and the
    sweep's date in the request: a tutoring letter warned of once and then
    expired, a registration lapsed, dates after today refused. The report
    counts the funnel.
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"
#include "ipo.pb-c.h"
#include "registry.pb-c.h"
#include "registry_fixture.h"

//  ¥1m in fen
#define M INT64_C (100000000)

typedef struct {
    char *dsn;
    kj_broker_t broker;
    pid_t ipo;
    pid_t registry;  //  for Fit's figures from the registry
    kj_client_t *client;
    kj_db_t *db;  //  on schema ipo, for looking in
} s_fx_t;

static int
s_setup (void **state)
{
    s_fx_t *fx = (s_fx_t *) calloc (1, sizeof (s_fx_t));
    assert_int_equal (kj_broker_start (&fx->broker, 0, NULL), 0);
    fx->dsn = kj_test_db_new ("ipo");
    const char *extra [] = { "-s", "ipo/relay=false",
                             "-s", "ipo/today=2025-06-30",
                             "-s", "ipo/sweep_interval_s=0",
                             "-s", "ipo/city_pool_max=2",
                             NULL };
    fx->ipo = kj_daemon_start ("ipo", &fx->broker, fx->dsn, extra);
    assert_true (fx->ipo > 0);
    assert_true (kj_broker_wait_workers (fx->broker.endpoint, "ipo", 2, 20000));
    const char *registry [] = { "-s", "registry/relay=false", NULL };
    fx->registry = kj_daemon_start ("registry", &fx->broker, fx->dsn, registry);
    assert_true (fx->registry > 0);
    assert_true (
        kj_broker_wait_workers (fx->broker.endpoint, "registry", 2, 20000));
    fx->client = kj_client_new (fx->broker.endpoint);
    kj_client_set_timeout (fx->client, 10000);
    fx->db = kj_db_new (fx->dsn, "ipo", 5000);
    assert_non_null (fx->db);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    kj_db_destroy (&fx->db);
    kj_client_destroy (&fx->client);
    assert_int_equal (kj_test_kill (fx->ipo, SIGTERM, 5000), 0);
    assert_int_equal (kj_test_kill (fx->registry, SIGTERM, 5000), 0);
    assert_int_equal (kj_broker_stop (&fx->broker, SIGTERM), 0);
    free (fx->dsn);
    free (fx);
    return 0;
}

//  One call; its code, the reply (free it) in *reply when OK
static int
s_call (s_fx_t *fx, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *type, void *reply,
        kj_status_t *status)
{
    ProtobufCMessage **out = (ProtobufCMessage **) reply;
    if (out)
        *out = NULL;
    return kj_client_call (fx->client, "ipo", method, request, type, out,
                           status, NULL);
}

//  Registers an enterprise with the registry, or fails the test
static void
s_register_enterprise (s_fx_t *fx, Kj__Enterprise *e)
{
    Kj__RegisterEnterpriseRequest add = KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    add.enterprise = e;
    kj_status_t status;
    int rc = kj_client_call (fx->client, "registry", "RegisterEnterprise",
                             &add.base, &kj__enterprise_reply__descriptor, NULL,
                             &status, NULL);
    if (rc != KJ__CODE__OK)
        fail_msg ("register %s: %s %s", e->code, kj_code_name (rc),
                  status.message);
}

static void
s_admit (s_fx_t *fx, const char *firm, const char *city, const char *date)
{
    Kj__IpoAdvisers advisers = KJ__IPO_ADVISERS__INIT;
    advisers.sponsor = "中信证券";
    advisers.auditor = "容诚会计师事务所";
    advisers.law_firm = "北京德恒律师事务所";
    Kj__IpoAdmitRequest admit = KJ__IPO_ADMIT_REQUEST__INIT;
    admit.firm = (char *) firm;
    admit.name = "沈阳测试科技有限公司";
    admit.city = (char *) city;
    admit.advisers = &advisers;
    admit.date = (char *) date;
    kj_status_t status;
    Kj__IpoFirmReply *reply;
    assert_int_equal (s_call (fx, "Admit", &admit.base,
                              &kj__ipo_firm_reply__descriptor, &reply, &status),
                      KJ__CODE__OK);
    assert_int_equal (reply->firm->state, KJ__IPO_STATE__IPO_CANDIDATE);
    assert_string_equal (reply->firm->advisers->sponsor, "中信证券");
    assert_string_equal (reply->firm->tier, "reserve");
    kj__ipo_firm_reply__free_unpacked (reply, NULL);
}

static int
s_review (s_fx_t *fx, const char *firm, Kj__IpoLevel level, bool approve,
          const char *date, kj_status_t *status)
{
    Kj__IpoReviewRequest review = KJ__IPO_REVIEW_REQUEST__INIT;
    review.firm = (char *) firm;
    review.level = level;
    review.approve = approve;
    review.date = (char *) date;
    return s_call (fx, "Review", &review.base, &kj__ipo_move_reply__descriptor,
                   NULL, status);
}

//  A move; its code, and the subsidy it made due in *due
static int
s_move (s_fx_t *fx, const char *firm, Kj__IpoState to, const char *board,
        const char *date, int64_t *due, kj_status_t *status)
{
    Kj__IpoMoveRequest move = KJ__IPO_MOVE_REQUEST__INIT;
    move.firm = (char *) firm;
    move.to = to;
    move.board = (char *) board;
    move.date = (char *) date;
    Kj__IpoMoveReply *reply;
    int code = s_call (fx, "Move", &move.base, &kj__ipo_move_reply__descriptor,
                       &reply, status);
    if (code == KJ__CODE__OK) {
        assert_int_equal (reply->move->to, to);
        assert_int_equal (reply->firm->state, to);
        if (due)
            *due = reply->move->due_fen;
        kj__ipo_move_reply__free_unpacked (reply, NULL);
    }
    return code;
}

static int
s_claim (s_fx_t *fx, const char *firm, const char *stage,
         Kj__IpoClaimReply **reply, kj_status_t *status)
{
    Kj__IpoClaimRequest claim = KJ__IPO_CLAIM_REQUEST__INIT;
    claim.firm = (char *) firm;
    claim.stage = (char *) stage;
    return s_call (fx, "Claim", &claim.base, &kj__ipo_claim_reply__descriptor,
                   reply, status);
}

static int
s_approve (s_fx_t *fx, int64_t id, Kj__IpoLevel level, bool approve,
           Kj__IpoClaimReply **reply, kj_status_t *status)
{
    Kj__IpoApproveRequest approve_rq = KJ__IPO_APPROVE_REQUEST__INIT;
    approve_rq.claim = id;
    approve_rq.level = level;
    approve_rq.approve = approve;
    return s_call (fx, "Approve", &approve_rq.base,
                   &kj__ipo_claim_reply__descriptor, reply, status);
}

//  Sweep on a date; lapses and alerts
static void
s_sweep (s_fx_t *fx, const char *date, uint32_t lapsed, uint32_t alerts)
{
    Kj__IpoSweepRequest sweep = KJ__IPO_SWEEP_REQUEST__INIT;
    sweep.date = (char *) date;
    sweep.warn_days = 30;
    Kj__IpoSweepReply *reply;
    kj_status_t status;
    assert_int_equal (s_call (fx, "Sweep", &sweep.base,
                              &kj__ipo_sweep_reply__descriptor, &reply,
                              &status),
                      KJ__CODE__OK);
    assert_int_equal (reply->lapsed, lapsed);
    assert_int_equal (reply->alerts, alerts);
    kj__ipo_sweep_reply__free_unpacked (reply, NULL);
}

static Kj__IpoFirmReply *
s_get (s_fx_t *fx, const char *firm)
{
    Kj__IpoGetRequest get = KJ__IPO_GET_REQUEST__INIT;
    get.firm = (char *) firm;
    Kj__IpoFirmReply *reply;
    kj_status_t status;
    assert_int_equal (s_call (fx, "Get", &get.base,
                              &kj__ipo_firm_reply__descriptor, &reply, &status),
                      KJ__CODE__OK);
    return reply;
}

//  Events of a topic for a firm (NULL: any) in the outbox
static int
s_events (s_fx_t *fx, const char *topic, const char *key)
{
    const char *params [] = { topic, key };
    PGresult
        *res = kj_db_exec (fx->db,
                           "SELECT count (*) FROM kj_outbox WHERE topic = $1 "
                           "AND ($2::text IS NULL OR key = $2)",
                           2, params);
    assert_non_null (res);
    int count = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  --------------------------------------------------------------------------
//  Admit a firm, move it to tutoring filed, file the claim, approve it as
//  the finance bureaus, and see each event

static void
test_end_to_end (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210100MA0IPO0001";
    kj_status_t status;

    Kj__IpoBudgetRequest budget = KJ__IPO_BUDGET_REQUEST__INIT;
    budget.year = 2025;
    budget.budget_fen = 50 * M;
    assert_int_equal (s_call (fx, "SetBudget", &budget.base,
                              &kj__ipo_budget_reply__descriptor, NULL, &status),
                      KJ__CODE__OK);

    s_admit (fx, firm, "210100", "2024-01-05");
    Kj__IpoAdmitRequest again = KJ__IPO_ADMIT_REQUEST__INIT;
    again.firm = (char *) firm;
    again.name = "x";
    again.city = "210100";
    assert_int_equal (s_call (fx, "Admit", &again.base,
                              &kj__ipo_firm_reply__descriptor, NULL, &status),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "firm");

    //  The province reviews only city pool firms; the city first
    assert_int_equal (s_review (fx, firm, KJ__IPO_LEVEL__IPO_PROVINCE, true,
                                "2024-02-01", &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "level");
    assert_int_equal (s_review (fx, firm, KJ__IPO_LEVEL__IPO_CITY, true,
                                "2024-02-01", &status),
                      KJ__CODE__OK);
    //  Pools are entered by review only
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_PROVINCE_POOL, "",
                              "2024-02-02", NULL, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "to");

    //  A board is needed from the reform on
    int64_t due = -1;
    assert_int_equal (s_move (fx, firm,
                              KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED, "",
                              "2024-03-01", &due, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "board");
    assert_int_equal (s_move (fx, firm,
                              KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED, "STAR",
                              "2024-03-01", &due, &status),
                      KJ__CODE__OK);
    assert_int_equal (due, 1 * M);
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_TUTORING_FILED, "",
                              "2024-04-01", &due, &status),
                      KJ__CODE__OK);
    assert_int_equal (due, 3 * M);

    //  From the wrong state: refused with the states allowed
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_LISTED, "",
                              "2024-04-02", NULL, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "state");
    assert_string_equal (status.message,
                         "state: no move from TUTORING_FILED to LISTED; from "
                         "here: TUTORING_ACCEPTED, WITHDRAWN");

    //  A claim for a stage not reached; an unknown stage
    Kj__IpoClaimReply *claim;
    assert_int_equal (s_claim (fx, firm, "APPLICATION", &claim, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "stage");
    assert_int_equal (s_claim (fx, firm, "IPO", &claim, &status),
                      KJ__CODE__INVALID_ARGUMENT);

    //  The tutoring claim, filed today (2025-06-30), in the 2025 budget
    assert_int_equal (s_claim (fx, firm, "TUTORING", &claim, &status),
                      KJ__CODE__OK);
    int64_t id = claim->claim->id;
    assert_int_equal (claim->claim->amount_fen, 3 * M);
    assert_string_equal (claim->claim->status, "FILED");
    assert_string_equal (claim->claim->board, "STAR");
    assert_int_equal (claim->claim->year, 2025);
    kj__ipo_claim_reply__free_unpacked (claim, NULL);
    //  A second claim for the same stage
    assert_int_equal (s_claim (fx, firm, "TUTORING", &claim, &status),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "stage");

    //  The province approves only what the city approved
    assert_int_equal (s_approve (fx, id, KJ__IPO_LEVEL__IPO_PROVINCE, true,
                                 &claim, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (s_approve (fx, id, KJ__IPO_LEVEL__IPO_CITY, true, &claim,
                                 &status),
                      KJ__CODE__OK);
    assert_string_equal (claim->claim->status, "CITY_APPROVED");
    assert_string_equal (claim->claim->city_by, "operator");
    kj__ipo_claim_reply__free_unpacked (claim, NULL);
    assert_int_equal (s_approve (fx, id, KJ__IPO_LEVEL__IPO_PROVINCE, true,
                                 &claim, &status),
                      KJ__CODE__OK);
    assert_string_equal (claim->claim->status, "PAID");
    kj__ipo_claim_reply__free_unpacked (claim, NULL);
    assert_int_equal (s_approve (fx, id, KJ__IPO_LEVEL__IPO_PROVINCE, true,
                                 &claim, &status),
                      KJ__CODE__FAILED_PRECONDITION);

    //  The reform claim, sent twice with one idempotency key (a retry):
    //  the same answer, one claim; then the budget: committed, paid, left
    Kj__IpoClaimRequest reform = KJ__IPO_CLAIM_REQUEST__INIT;
    reform.firm = (char *) firm;
    reform.stage = "REFORM";
    kj_call_opts_t retry = { .idempotency_key = "ipo-test-reform-1" };
    int64_t first = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        assert_int_equal (kj_client_call (fx->client, "ipo", "Claim",
                                          &reform.base,
                                          &kj__ipo_claim_reply__descriptor,
                                          (ProtobufCMessage **) &claim, &status,
                                          &retry),
                          KJ__CODE__OK);
        if (attempt == 0)
            first = claim->claim->id;
        assert_int_equal (claim->claim->id, first);
        assert_int_equal (claim->claim->amount_fen, 1 * M);
        kj__ipo_claim_reply__free_unpacked (claim, NULL);
    }
    Kj__IpoBudgetReply *left;
    assert_int_equal (s_call (fx, "Budget", &budget.base,
                              &kj__ipo_budget_reply__descriptor, &left,
                              &status),
                      KJ__CODE__OK);
    assert_int_equal (left->budget->budget_fen, 50 * M);
    assert_int_equal (left->budget->committed_fen, 1 * M);
    assert_int_equal (left->budget->paid_fen, 3 * M);
    assert_int_equal (left->budget->left_fen, 46 * M);
    kj__ipo_budget_reply__free_unpacked (left, NULL);
    //  Below what it holds: refused
    budget.budget_fen = 3 * M;
    assert_int_equal (s_call (fx, "SetBudget", &budget.base,
                              &kj__ipo_budget_reply__descriptor, NULL, &status),
                      KJ__CODE__FAILED_PRECONDITION);

    //  The file: moves with who and when, claims
    Kj__IpoFirmReply *file = s_get (fx, firm);
    assert_int_equal (file->firm->state, KJ__IPO_STATE__IPO_TUTORING_FILED);
    assert_string_equal (file->firm->board, "STAR");
    assert_string_equal (file->firm->tier, "tutoring");
    assert_int_equal (file->firm->n_moves, 3);
    assert_int_equal (file->firm->moves [0]->to, KJ__IPO_STATE__IPO_CITY_POOL);
    assert_string_equal (file->firm->moves [1]->date, "2024-03-01");
    assert_string_equal (file->firm->moves [1]->stage, "REFORM");
    assert_string_equal (file->firm->moves [2]->by, "operator");
    assert_true (file->firm->moves [2]->at_us > kj_wall_us () - 60000000);
    assert_true (file->firm->moves [2]->at_us <= kj_wall_us ());
    assert_int_equal (file->firm->n_claims, 2);
    kj__ipo_firm_reply__free_unpacked (file, NULL);

    //  Each step an event
    assert_int_equal (s_events (fx, "ipo.firm.admitted", firm), 1);
    assert_int_equal (s_events (fx, "ipo.firm.moved", firm), 3);
    assert_int_equal (s_events (fx, "ipo.claim.filed", firm), 2);
    assert_int_equal (s_events (fx, "ipo.claim.approved", firm), 1);
    assert_int_equal (s_events (fx, "ipo.claim.paid", firm), 1);
    assert_int_equal (s_events (fx, "ipo.budget.set", NULL), 1);

    //  The pool of a city is bounded (ipo/city_pool_max=2 here)
    s_admit (fx, "91210100MA0IPO0002", "210100", "2024-01-05");
    s_admit (fx, "91210100MA0IPO0003", "210100", "2024-01-05");
    assert_int_equal (s_review (fx, "91210100MA0IPO0002",
                                KJ__IPO_LEVEL__IPO_CITY, true, "2024-02-01",
                                &status),
                      KJ__CODE__OK);
    assert_int_equal (s_review (fx, "91210100MA0IPO0003",
                                KJ__IPO_LEVEL__IPO_CITY, true, "2024-02-01",
                                &status),
                      KJ__CODE__RESOURCE_EXHAUSTED);
    assert_int_equal (s_review (fx, "91210100MA0IPO0003",
                                KJ__IPO_LEVEL__IPO_CITY, false, "2024-02-01",
                                &status),
                      KJ__CODE__OK);
    assert_int_equal (s_events (fx, "ipo.firm.review_refused",
                                "91210100MA0IPO0003"),
                      1);

    //  The report: the funnel of the city
    Kj__IpoReportRequest report = KJ__IPO_REPORT_REQUEST__INIT;
    Kj__IpoReportReply *funnel;
    assert_int_equal (s_call (fx, "Report", &report.base,
                              &kj__ipo_report_reply__descriptor, &funnel,
                              &status),
                      KJ__CODE__OK);
    assert_int_equal (funnel->n_funnel, 1);
    assert_string_equal (funnel->funnel [0]->city, "210100");
    assert_int_equal (funnel->funnel [0]->candidates, 1);
    assert_int_equal (funnel->funnel [0]->pool, 2);
    assert_int_equal (funnel->funnel [0]->tutoring, 1);
    assert_int_equal (funnel->n_paid, 1);
    assert_string_equal (funnel->paid [0]->board, "STAR");
    assert_int_equal (funnel->paid [0]->paid_fen, 3 * M);
    kj__ipo_report_reply__free_unpacked (funnel, NULL);
}

//  --------------------------------------------------------------------------
//  Fit of given figures: the standards met and what the nearest lacks
//  (the example of docs/rules/ipo.md); a figure out of range named

static void
test_fit (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    Kj__IpoFigures figures = KJ__IPO_FIGURES__INIT;
    figures.market_cap_fen = 3000 * M;
    figures.rev_t0_fen = 297 * M;
    figures.np_t1_fen = 25 * M;
    figures.np_t0_fen = 25 * M;
    Kj__IpoFitRequest fit = KJ__IPO_FIT_REQUEST__INIT;
    fit.figures = &figures;
    Kj__IpoFitReply *reply;
    kj_status_t status;
    assert_int_equal (s_call (fx, "Fit", &fit.base,
                              &kj__ipo_fit_reply__descriptor, &reply, &status),
                      KJ__CODE__OK);
    assert_int_equal (reply->n_meets, 1);
    assert_string_equal (reply->meets [0], "STAR-1");
    assert_string_equal (reply->nearest, "STAR-4");
    assert_int_equal (reply->n_shorts, 1);
    assert_string_equal (reply->shorts [0]->figure, "rev_t0_fen");
    assert_int_equal (reply->shorts [0]->have, 297 * M);
    assert_int_equal (reply->shorts [0]->need, 300 * M);
    assert_string_equal (reply->version, "2024");
    kj__ipo_fit_reply__free_unpacked (reply, NULL);

    figures.np_t0_fen = INT64_C (1000000000000000000);
    assert_int_equal (s_call (fx, "Fit", &fit.base,
                              &kj__ipo_fit_reply__descriptor, NULL, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "figures.np_t0_fen");
    fit.figures = NULL;
    assert_int_equal (s_call (fx, "Fit", &fit.base,
                              &kj__ipo_fit_reply__descriptor, NULL, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "figures");

    //  The yearly figures from kejin-registry, the rest as given: the
    //  same firm, registered with three years of figures
    const char *code = "91210100MA0QEK7B6N";
    Kj__YearFigures years [3] = { KJ__YEAR_FIGURES__INIT,
                                  KJ__YEAR_FIGURES__INIT,
                                  KJ__YEAR_FIGURES__INIT };
    Kj__YearFigures *list [3] = { &years [0], &years [1], &years [2] };
    for (int i = 0; i < 3; i++) {
        years [i].year = 2022 + i;
        years [i].revenue_fen = (100 + 100 * i) * M - (i == 2 ? 3 * M : 0);
        years [i].net_profit_fen = i == 0 ? 1 * M : 25 * M;
        years [i].total_assets_fen = 500 * M;
        years [i].total_cost_fen = 50 * M;
        years [i].staff = 100;
    }
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = (char *) code;
    e.name = "沈阳拟上市科技";
    e.founded_on = "2015-03-01";
    e.figures = list;
    e.n_figures = 3;
    s_register_enterprise (fx, &e);
    Kj__IpoFigures given = KJ__IPO_FIGURES__INIT;
    given.market_cap_fen = 3000 * M;
    given.np_t0_fen = 1;  //  replaced by the registry's
    fit.figures = &given;
    fit.firm = (char *) code;
    fit.from_registry = true;
    assert_int_equal (s_call (fx, "Fit", &fit.base,
                              &kj__ipo_fit_reply__descriptor, &reply, &status),
                      KJ__CODE__OK);
    assert_int_equal (reply->n_meets, 1);
    assert_string_equal (reply->meets [0], "STAR-1");
    assert_string_equal (reply->nearest, "STAR-4");
    assert_int_equal (reply->shorts [0]->have, 297 * M);
    kj__ipo_fit_reply__free_unpacked (reply, NULL);
    //  A code with a wrong check digit, refused by the registry
    fit.firm = "91210100MA0QEK7B6P";
    assert_int_equal (s_call (fx, "Fit", &fit.base,
                              &kj__ipo_fit_reply__descriptor, NULL, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "firm");
}

//  --------------------------------------------------------------------------
//  Walk a firm up to a state through its review and moves

static void
s_walk (s_fx_t *fx, const char *firm, const Kj__IpoState *path,
        const char *const *dates)
{
    kj_status_t status;
    s_admit (fx, firm, firm + 2, dates [0]);  //  a city pool of its own
    assert_int_equal (s_review (fx, firm, KJ__IPO_LEVEL__IPO_CITY, true,
                                dates [0], &status),
                      KJ__CODE__OK);
    for (int i = 0; path [i]; i++)
        if (s_move (fx, firm, path [i], i == 0 ? "STAR" : "", dates [i + 1],
                    NULL, &status)
            != KJ__CODE__OK)
            fail_msg ("step %d: %s", i, status.message);
}

//  The tutoring letter: warned of once, then expired back to tutoring
//  filed by the sweep; no application after
static void
test_letter_expiry (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210100MA0IPO0010";
    const Kj__IpoState path [] = { KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED,
                                   KJ__IPO_STATE__IPO_TUTORING_FILED,
                                   KJ__IPO_STATE__IPO_TUTORING_ACCEPTED, 0 };
    const char *dates [] = { "2023-01-02", "2023-01-03", "2023-02-01",
                             "2023-06-15" };
    s_walk (fx, firm, path, dates);
    //  Nothing else is due yet: the other firms of this database are
    //  in states whose usual time has not run out on this date
    s_sweep (fx, "2024-05-15", 0, 0);
    s_sweep (fx, "2024-05-16", 0, 1);
    assert_int_equal (s_events (fx, "ipo.alert", firm), 1);
    s_sweep (fx, "2024-05-20", 0, 0);  //  the same alert once
    s_sweep (fx, "2024-06-15", 1, 0);
    Kj__IpoFirmReply *file = s_get (fx, firm);
    assert_int_equal (file->firm->state, KJ__IPO_STATE__IPO_TUTORING_FILED);
    Kj__IpoMove *last = file->firm->moves [file->firm->n_moves - 1];
    assert_true (last->lapsed);
    assert_string_equal (last->by, "kejin-ipo");
    assert_string_equal (last->date, "2024-06-15");
    assert_int_equal (last->from, KJ__IPO_STATE__IPO_TUTORING_ACCEPTED);
    kj__ipo_firm_reply__free_unpacked (file, NULL);
    kj_status_t status;
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_APPLICATION_ACCEPTED,
                              "", "2024-06-16", NULL, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    //  Tutoring filed again pays nothing twice
    int64_t due = -1;
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_TUTORING_ACCEPTED,
                              "", "2024-07-01", &due, &status),
                      KJ__CODE__OK);
    assert_int_equal (due, 0);
    //  A date after today (2025-06-30) is refused
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_APPLICATION_ACCEPTED,
                              "", "2025-07-01", NULL, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "date");
}

//  A board switch through the service: ChiNext's reform and tutoring paid
//  as due, withdrawn, then STAR: no stage pays after the switch, and the
//  registration makes due the top-up to STAR's total (¥15m - ¥4m)
static void
test_board_switch (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210100MA0IPO0040";
    kj_status_t status;
    s_admit (fx, firm, "210800", "2023-01-02");
    assert_int_equal (s_review (fx, firm, KJ__IPO_LEVEL__IPO_CITY, true,
                                "2023-01-02", &status),
                      KJ__CODE__OK);
    static const struct {
        Kj__IpoState to;
        const char *board, *date;
        int64_t due;
    } steps [] = {
        { KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED, "CHINEXT", "2023-01-03",
          1 * M },
        { KJ__IPO_STATE__IPO_TUTORING_FILED, "", "2023-02-01", 3 * M },
        { KJ__IPO_STATE__IPO_WITHDRAWN, "", "2023-03-01", 0 },
        { KJ__IPO_STATE__IPO_TUTORING_FILED, "STAR", "2023-04-01", 0 },
        { KJ__IPO_STATE__IPO_TUTORING_ACCEPTED, "", "2023-07-01", 0 },
        { KJ__IPO_STATE__IPO_APPLICATION_ACCEPTED, "", "2023-08-01", 0 },
        { KJ__IPO_STATE__IPO_UNDER_INQUIRY, "", "2023-09-01", 0 },
        { KJ__IPO_STATE__IPO_COMMITTEE_REVIEW, "", "2023-10-01", 0 },
        { KJ__IPO_STATE__IPO_REGISTRATION_SUBMITTED, "", "2023-11-01", 0 },
        { KJ__IPO_STATE__IPO_REGISTERED, "", "2023-12-01", 11 * M },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps [0]; i++) {
        int64_t due = -1;
        if (s_move (fx, firm, steps [i].to, steps [i].board, steps [i].date,
                    &due, &status)
            != KJ__CODE__OK)
            fail_msg ("step %zu: %s", i, status.message);
        if (due != steps [i].due)
            fail_msg ("step %zu: due %lld, expected %lld", i, (long long) due,
                      (long long) steps [i].due);
    }
    Kj__IpoClaimReply *claim;
    //  Reached, but nothing due after the switch
    assert_int_equal (s_claim (fx, firm, "APPLICATION", &claim, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (s_claim (fx, firm, "REGISTRATION", &claim, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (s_claim (fx, firm, "TOP_UP", &claim, &status),
                      KJ__CODE__OK);
    assert_int_equal (claim->claim->amount_fen, 11 * M);
    assert_string_equal (claim->claim->board, "STAR");
    kj__ipo_claim_reply__free_unpacked (claim, NULL);
}

//  The registration lapses after a year: withdrawn, no listing
static void
test_registration_lapse (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210100MA0IPO0020";
    const Kj__IpoState path [] = { KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED,
                                   KJ__IPO_STATE__IPO_TUTORING_FILED,
                                   KJ__IPO_STATE__IPO_TUTORING_ACCEPTED,
                                   KJ__IPO_STATE__IPO_APPLICATION_ACCEPTED,
                                   KJ__IPO_STATE__IPO_UNDER_INQUIRY,
                                   KJ__IPO_STATE__IPO_COMMITTEE_REVIEW,
                                   KJ__IPO_STATE__IPO_REGISTRATION_SUBMITTED,
                                   KJ__IPO_STATE__IPO_REGISTERED,
                                   0 };
    const char *dates [] = { "2023-01-02", "2023-01-03", "2023-02-01",
                             "2023-05-01", "2023-06-01", "2023-06-10",
                             "2023-09-01", "2023-10-01", "2023-11-10" };
    s_walk (fx, firm, path, dates);
    Kj__IpoFirmReply *file = s_get (fx, firm);
    assert_string_equal (file->firm->registration_lapses, "2024-11-10");
    assert_int_equal (file->firm->moves [file->firm->n_moves - 1]->due_fen,
                      5 * M);
    kj__ipo_firm_reply__free_unpacked (file, NULL);
    s_sweep (fx, "2024-11-10", 1, 0);
    file = s_get (fx, firm);
    assert_int_equal (file->firm->state, KJ__IPO_STATE__IPO_WITHDRAWN);
    kj__ipo_firm_reply__free_unpacked (file, NULL);
    kj_status_t status;
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_LISTED, "",
                              "2024-11-11", NULL, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "state");
}

//  --------------------------------------------------------------------------
//  Run bin/kejin ARGS... against the fixture's broker under locale lang;
//  its exit code, stdout and stderr together in out

static int
s_cli (s_fx_t *fx, const char *lang, char *out, size_t size, ...)
{
    static int runs;
    char log [512], lang_env [64];
    snprintf (log, sizeof log, "%s/cli-%d.log", kj_test_tmpdir (), runs++);
    snprintf (lang_env, sizeof lang_env, "LANG=%s", lang);
    const char *argv [20] = { kj_test_bin ("kejin"), "--broker",
                              fx->broker.endpoint };
    int argc = 3;
    va_list args;
    va_start (args, size);
    for (const char *arg = va_arg (args, const char *); arg && argc < 19;
         arg = va_arg (args, const char *))
        argv [argc++] = arg;
    va_end (args);
    argv [argc] = NULL;
    const char *env [] = { lang_env,
                           "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", NULL };
    pid_t pid = kj_test_spawn (argv, env, log);
    assert_true (pid > 0);
    int rc = kj_test_wait_exit (pid, 20000);
    FILE *file = fopen (log, "r");
    assert_non_null (file);
    size_t length = fread (out, 1, size - 1, file);
    out [length] = 0;
    fclose (file);
    return rc;
}

//  The new user's walk through the CLI: admit, review, stages, claim,
//  approval as both finance bureaus, the file and the report
static void
test_cli (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210200MA0IPO0030";
    char out [8192];
    const char *en = "C.UTF-8";
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "pool", "admit",
                             firm, "--name", "大连测试", "--city", "210200",
                             "--sponsor", "中信证券", "--date", "2024-01-02",
                             NULL),
                      0);
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "pool", "review",
                             firm, "--level", "city", "--date", "2024-01-03",
                             NULL),
                      0);
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "stage", firm,
                             "shareholding_reformed", "--board", "CHINEXT",
                             "--date", "2024-01-04", NULL),
                      0);
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "stage", firm,
                             "tutoring_filed", "--date", "2024-02-01", NULL),
                      0);
    assert_non_null (strstr (out, "tutoring_filed"));
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "stage", firm,
                             "listed", NULL),
                      1);
    assert_string_equal (out, "kejin: FAILED_PRECONDITION (state): state: no "
                              "move from TUTORING_FILED to LISTED; from "
                              "here: TUTORING_ACCEPTED, WITHDRAWN\n");
    //  A verb with an argument missing says which (it said "(null)")
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "stage", firm,
                             NULL),
                      2);
    assert_string_equal (out, "kejin: stage takes a FIRM and a STATE\n");
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "pool", "admit",
                             firm, "--name", "大连测试", NULL),
                      2);
    assert_string_equal (out, "kejin: pool admit takes one FIRM, with --name "
                              "and --city\n");
    //  The same refusal for centre staff, in Chinese
    assert_int_equal (s_cli (fx, "zh_CN.UTF-8", out, sizeof out, "ipo", "stage",
                             firm, "listed", NULL),
                      1);
    assert_non_null (strstr (out, "状态（state）：不能从 TUTORING_FILED 转到 "
                                  "LISTED；当前可转到：TUTORING_ACCEPTED, "
                                  "WITHDRAWN"));
    assert_int_equal (s_cli (fx, en, out, sizeof out, "--json", "ipo", "claim",
                             firm, "TUTORING", NULL),
                      0);
    const char *id = strstr (out, "\"id\":");
    assert_non_null (id);
    char claim [24];
    snprintf (claim, sizeof claim, "%lld", atoll (id + 5));
    assert_non_null (strstr (out, "\"status\":\"FILED\""));
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "approve", claim,
                             "--level", "city", NULL),
                      0);
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "approve", claim,
                             "--level", "province", NULL),
                      0);
    assert_non_null (strstr (out, "PAID"));
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "pool", "show",
                             firm, NULL),
                      0);
    assert_non_null (strstr (out, "CHINEXT"));
    assert_non_null (strstr (out, "refreshed 2024-01-02, stale"));
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "pool", "refresh",
                             firm, "--date", "2025-06-02", NULL),
                      0);
    assert_non_null (strstr (out, "refreshed 2025-06-02\n"));
    assert_int_equal (s_cli (fx, en, out, sizeof out, "--json", "ipo", "report",
                             "--city", "210200", NULL),
                      0);
    assert_non_null (strstr (out, "\"tutoring\":1"));
    //  The report names each city beside its code, as score dist does
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "report", "--city",
                             "210200", NULL),
                      0);
    assert_non_null (strstr (out, "\n210200 大连市  "));
    assert_non_null (strstr (out, "paid 210200 大连市 "));
    //  Bad input: the usage, exit 2
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "approve", "x",
                             "--level", "city", NULL),
                      2);
}

//  The sweep as a job, on a copy of its own (no workers, a sweep a
//  second): each firm in a transaction of its own; firm 0010's second
//  tutoring letter (2024-07-01) is warned of on today, 2025-06-30
static bool
s_second_alert (void *arg)
{
    s_fx_t *fx = (s_fx_t *) arg;
    return s_events (fx, "ipo.alert", "91210100MA0IPO0010") == 2;
}

static void
test_sweep_job (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *extra [] = { "-s", "ipo/workers=0",
                             "-s", "ipo/relay=false",
                             "-s", "ipo/today=2025-06-30",
                             "-s", "ipo/sweep_interval_s=1",
                             "-s", "ipo/instance=ipo.sweeper",
                             NULL };
    pid_t sweeper = kj_daemon_start ("ipo", &fx->broker, fx->dsn, extra);
    assert_true (sweeper > 0);
    assert_true (kj_test_wait_for (s_second_alert, fx, 20000));
    Kj__IpoFirmReply *file = s_get (fx, "91210100MA0IPO0010");
    assert_int_equal (file->firm->state, KJ__IPO_STATE__IPO_TUTORING_ACCEPTED);
    assert_string_equal (file->firm->letter_expires, "2025-07-01");
    kj__ipo_firm_reply__free_unpacked (file, NULL);
    zclock_sleep (2500);  //  the job runs twice more
    assert_int_equal (kj_test_kill (sweeper, SIGTERM, 5000), 0);
    //  Raised once, however often the job ran
    assert_int_equal (s_events (fx, "ipo.alert", "91210100MA0IPO0010"), 2);
}

//  A bad option stops the daemon at start with exit 2: tiers that leave a
//  state out, a today that is no date
static void
test_bad_options (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *tiers [] = { "-s", "ipo/tiers=reserve=CANDIDATE", NULL };
    pid_t pid = kj_daemon_start ("ipo", &fx->broker, fx->dsn, tiers);
    assert_true (pid > 0);
    assert_int_equal (kj_test_wait_exit (pid, 10000), 2);
    const char *today [] = { "-s", "ipo/today=2025-02-30", NULL };
    pid = kj_daemon_start ("ipo", &fx->broker, fx->dsn, today);
    assert_true (pid > 0);
    assert_int_equal (kj_test_wait_exit (pid, 10000), 2);
}

//  The yearly refresh: a file not reviewed for 12 months is stale (in the
//  file and the report) until refreshed; a refresh never goes back
static void
test_refresh (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210100MA0IPO0002";
    Kj__IpoFirmReply *file = s_get (fx, firm);
    assert_string_equal (file->firm->refreshed, "2024-01-05");
    assert_true (file->firm->stale);  //  today is 2025-06-30
    kj__ipo_firm_reply__free_unpacked (file, NULL);

    Kj__IpoReportRequest report = KJ__IPO_REPORT_REQUEST__INIT;
    report.city = "210100";
    Kj__IpoReportReply *funnel;
    kj_status_t status;
    assert_int_equal (s_call (fx, "Report", &report.base,
                              &kj__ipo_report_reply__descriptor, &funnel,
                              &status),
                      KJ__CODE__OK);
    uint32_t stale = funnel->funnel [0]->stale;
    assert_true (stale >= 1);
    kj__ipo_report_reply__free_unpacked (funnel, NULL);

    Kj__IpoAdvisers advisers = KJ__IPO_ADVISERS__INIT;
    advisers.auditor = "天健会计师事务所";
    Kj__IpoRefreshRequest refresh = KJ__IPO_REFRESH_REQUEST__INIT;
    refresh.firm = (char *) firm;
    refresh.date = "2025-06-01";
    refresh.advisers = &advisers;
    assert_int_equal (s_call (fx, "Refresh", &refresh.base,
                              &kj__ipo_firm_reply__descriptor, &file, &status),
                      KJ__CODE__OK);
    assert_false (file->firm->stale);
    assert_string_equal (file->firm->refreshed, "2025-06-01");
    assert_string_equal (file->firm->advisers->auditor, "天健会计师事务所");
    assert_string_equal (file->firm->advisers->sponsor, "中信证券");
    assert_int_equal (file->firm->state, KJ__IPO_STATE__IPO_CITY_POOL);
    kj__ipo_firm_reply__free_unpacked (file, NULL);
    assert_int_equal (s_events (fx, "ipo.firm.refreshed", firm), 1);

    refresh.date = "2025-05-31";
    assert_int_equal (s_call (fx, "Refresh", &refresh.base,
                              &kj__ipo_firm_reply__descriptor, NULL, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "date");
    assert_int_equal (s_call (fx, "Report", &report.base,
                              &kj__ipo_report_reply__descriptor, &funnel,
                              &status),
                      KJ__CODE__OK);
    assert_int_equal (funnel->funnel [0]->stale, stale - 1);
    kj__ipo_report_reply__free_unpacked (funnel, NULL);
}

//  --------------------------------------------------------------------------
//  The NEEQ programme in the daemon: the listing award when the firm is
//  listed on the NEEQ, then 1% of each equity raise within the ¥5m cap
//  of its calendar year, each raise claimed on its own (stage EQUITY)

static int
s_raise (s_fx_t *fx, const char *firm, int64_t amount, const char *date,
         Kj__IpoMoveReply **reply, kj_status_t *status)
{
    Kj__IpoRaiseRequest raise = KJ__IPO_RAISE_REQUEST__INIT;
    raise.firm = (char *) firm;
    raise.amount_raised_fen = amount;
    raise.date = (char *) date;
    return s_call (fx, "Raise", &raise.base, &kj__ipo_move_reply__descriptor,
                   reply, status);
}

//  A raise of amount on date that makes due `due` at stage `stage`; its id
static int64_t
s_raise_due (s_fx_t *fx, const char *firm, int64_t amount, const char *date,
             int64_t due, const char *stage)
{
    Kj__IpoMoveReply *reply;
    kj_status_t status;
    int code = s_raise (fx, firm, amount, date, &reply, &status);
    if (code != KJ__CODE__OK)
        fail_msg ("raise on %s: %s %s", date, kj_code_name (code),
                  status.message);
    assert_int_equal (reply->move->amount_raised_fen, amount);
    assert_int_equal (reply->move->due_fen, due);
    assert_string_equal (reply->move->stage, stage);
    assert_int_equal (reply->move->from, reply->move->to);
    assert_int_equal (reply->firm->state, KJ__IPO_STATE__IPO_NEEQ_BASIC);
    int64_t id = reply->move->id;
    kj__ipo_move_reply__free_unpacked (reply, NULL);
    return id;
}

static int
s_claim_move (s_fx_t *fx, const char *firm, const char *stage, int64_t move,
              int64_t *amount, kj_status_t *status)
{
    Kj__IpoClaimRequest claim = KJ__IPO_CLAIM_REQUEST__INIT;
    claim.firm = (char *) firm;
    claim.stage = (char *) stage;
    claim.move = move;
    Kj__IpoClaimReply *reply;
    int code = s_call (fx, "Claim", &claim.base,
                       &kj__ipo_claim_reply__descriptor, &reply, status);
    if (code == KJ__CODE__OK) {
        *amount = reply->claim->amount_fen;
        assert_int_equal (reply->claim->move, move);
        kj__ipo_claim_reply__free_unpacked (reply, NULL);
    }
    return code;
}

static void
test_neeq_equity (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    const char *firm = "91210900MA0IPO0040";
    kj_status_t status;
    s_admit (fx, firm, "210900", "2024-01-05");
    assert_int_equal (s_review (fx, firm, KJ__IPO_LEVEL__IPO_CITY, true,
                                "2024-01-06", &status),
                      KJ__CODE__OK);
    //  Not on the NEEQ: its raises earn nothing, and are not taken
    assert_int_equal (s_raise (fx, firm, 100 * M, "2024-02-01", NULL, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "firm");
    int64_t due = -1;
    assert_int_equal (s_move (fx, firm, KJ__IPO_STATE__IPO_NEEQ_BASIC, "",
                              "2024-03-01", &due, &status),
                      KJ__CODE__OK);
    assert_int_equal (due, 150000000);  //  the listing award, ¥1.5m
    //  ¥300m raised: ¥3m; again ¥300m: cut to the ¥2m left of 2024's ¥5m;
    //  then nothing left in 2024; a new year starts again
    int64_t first = s_raise_due (fx, firm, 300 * M, "2024-04-01", 3 * M,
                                 "EQUITY");
    int64_t second = s_raise_due (fx, firm, 300 * M, "2024-05-01", 2 * M,
                                  "EQUITY");
    int64_t none = s_raise_due (fx, firm, 100 * M, "2024-06-01", 0, "");
    int64_t next = s_raise_due (fx, firm, 100 * M + 99, "2025-01-10", 1 * M,
                                "EQUITY");
    assert_true (first < second && second < none && none < next);
    //  Bad raises: a date before the last move, an amount out of range
    assert_int_equal (s_raise (fx, firm, 100 * M, "2024-12-01", NULL, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "date");
    assert_int_equal (s_raise (fx, firm, 0, "2025-02-01", NULL, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "amount_raised_fen");

    //  Claims: each raise on its own, once; the listing award once
    int64_t amount = 0;
    assert_int_equal (s_claim_move (fx, firm, "EQUITY", 0, &amount, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "move");
    assert_int_equal (s_claim_move (fx, firm, "NEEQ_LISTING", first, &amount,
                                    &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "move");
    assert_int_equal (s_claim_move (fx, firm, "EQUITY", first, &amount,
                                    &status),
                      KJ__CODE__OK);
    assert_int_equal (amount, 3 * M);
    assert_int_equal (s_claim_move (fx, firm, "EQUITY", first, &amount,
                                    &status),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "stage");
    assert_int_equal (s_claim_move (fx, firm, "EQUITY", second, &amount,
                                    &status),
                      KJ__CODE__OK);
    assert_int_equal (amount, 2 * M);
    assert_int_equal (s_claim_move (fx, firm, "EQUITY", none, &amount, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "stage");
    //  A raise of another firm is not this firm's
    assert_int_equal (s_claim_move (fx, "91210100MA0IPO0001", "EQUITY", next,
                                    &amount, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (s_claim_move (fx, firm, "NEEQ_LISTING", 0, &amount,
                                    &status),
                      KJ__CODE__OK);
    assert_int_equal (amount, 150000000);
    assert_int_equal (s_events (fx, "ipo.firm.raised", firm), 4);
    Kj__IpoFirmReply *file = s_get (fx, firm);
    assert_int_equal (file->firm->n_claims, 3);
    assert_int_equal (file->firm->claims [0]->move, first);
    assert_int_equal (file->firm->moves [2]->amount_raised_fen, 300 * M);
    kj__ipo_firm_reply__free_unpacked (file, NULL);
}

//  --------------------------------------------------------------------------
//  Batch fit of firms sent in pages: stored, newly fit against the
//  previous batch, an event each; bad pages refused whole

static Kj__IpoFitFirm *
s_fit_firm (Kj__IpoFitFirm *f, Kj__IpoFigures *g, const char *firm, int64_t np)
{
    kj__ipo_fit_firm__init (f);
    kj__ipo_figures__init (g);
    f->firm = (char *) firm;
    f->city = "210100";
    f->figures = g;
    g->market_cap_fen = 3000 * M;
    g->rev_t0_fen = 297 * M;
    g->np_t1_fen = np;
    g->np_t0_fen = np;
    return f;
}

//  One FitBatch call of n firms (names and net profits); its code, the
//  batch in *batch
static int
s_fit_batch (s_fx_t *fx, uint64_t id, size_t n, const char *const *firms,
             const int64_t *np, bool last, Kj__IpoFitBatch *batch,
             kj_status_t *status)
{
    Kj__IpoFitFirm f [8];
    Kj__IpoFigures g [8];
    Kj__IpoFitFirm *list [8];
    for (size_t i = 0; i < n; i++)
        list [i] = s_fit_firm (&f [i], &g [i], firms [i], np [i]);
    Kj__IpoFitBatchRequest request = KJ__IPO_FIT_BATCH_REQUEST__INIT;
    request.batch = id;
    request.firms = list;
    request.n_firms = n;
    request.last = last;
    Kj__IpoFitBatchReply *reply;
    int code = s_call (fx, "FitBatch", &request.base,
                       &kj__ipo_fit_batch_reply__descriptor, &reply, status);
    if (code == KJ__CODE__OK) {
        *batch = *reply->batch;
        batch->source = batch->state = batch->error = batch->version = NULL;
        batch->by = NULL;
        assert_string_equal (reply->batch->source, "UPLOAD");
        assert_string_equal (reply->batch->state,
                             last ? "FINISHED" : "RECEIVING");
        kj__ipo_fit_batch_reply__free_unpacked (reply, NULL);
    }
    return code;
}

//  FitShow of a batch: its firms as "FIRM:A,B/NEWLY,..;" into out
static Kj__IpoFitShowReply *
s_fit_show (s_fx_t *fx, uint64_t id, bool all, char *out, size_t size)
{
    Kj__IpoFitShowRequest show = KJ__IPO_FIT_SHOW_REQUEST__INIT;
    show.batch = id;
    show.all = all;
    Kj__IpoFitShowReply *reply;
    kj_status_t status;
    int code = s_call (fx, "FitShow", &show.base,
                       &kj__ipo_fit_show_reply__descriptor, &reply, &status);
    if (code != KJ__CODE__OK)
        fail_msg ("FitShow: %s %s", kj_code_name (code), status.message);
    *out = 0;
    for (size_t i = 0; i < reply->n_firms; i++) {
        const Kj__IpoFitNew *f = reply->firms [i];
        snprintf (out + strlen (out), size - strlen (out), "%s:", f->firm);
        for (size_t k = 0; k < f->n_meets; k++)
            snprintf (out + strlen (out), size - strlen (out), "%s%s",
                      k ? "," : "", f->meets [k]);
        snprintf (out + strlen (out), size - strlen (out), "/");
        for (size_t k = 0; k < f->n_newly; k++)
            snprintf (out + strlen (out), size - strlen (out), "%s%s",
                      k ? "," : "", f->newly [k]);
        snprintf (out + strlen (out), size - strlen (out), ";");
    }
    return reply;
}

static void
test_fit_batch_upload (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    kj_status_t status;
    Kj__IpoFitBatch batch;
    const char *ab [] = { "FIT-A", "FIT-B" }, *c [] = { "FIT-C" };
    const int64_t np_ab [] = { 25 * M, 0 }, np_c [] = { 70 * M };
    //  Batch 1 in two calls: A meets STAR-1, B nothing, C STAR-1 and
    //  ChiNext-1; all newly (no batch before)
    assert_int_equal (s_fit_batch (fx, 0, 2, ab, np_ab, false, &batch, &status),
                      KJ__CODE__OK);
    uint64_t first = batch.id;
    assert_int_equal (batch.firms, 2);
    assert_int_equal (batch.meeting, 1);
    //  A firm of an earlier call again, in the first batch (its pages go
    //  in by COPY): refused whole, naming it
    assert_int_equal (s_fit_batch (fx, first, 1, ab, np_ab, false, &batch,
                                   &status),
                      KJ__CODE__ALREADY_EXISTS);
    assert_non_null (strstr (status.message, "FIT-A"));
    assert_int_equal (s_fit_batch (fx, first, 1, c, np_c, true, &batch,
                                   &status),
                      KJ__CODE__OK);
    assert_int_equal (batch.firms, 3);
    assert_int_equal (batch.meeting, 2);
    assert_int_equal (batch.newly, 2);
    assert_int_equal (batch.pages, 2);
    assert_int_equal (batch.previous, 0);
    assert_true (batch.finished_us > 0);
    char out [1024];
    Kj__IpoFitShowReply *show = s_fit_show (fx, first, false, out, sizeof out);
    assert_string_equal (out, "FIT-A:STAR-1/STAR-1;"
                              "FIT-C:STAR-1,ChiNext-1/STAR-1,ChiNext-1;");
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);

    //  Batch 2 in one call: A newly meets ChiNext-1, B STAR-1; C the same
    const char *abc [] = { "FIT-A", "FIT-B", "FIT-C" };
    const int64_t np_abc [] = { 70 * M, 25 * M, 70 * M };
    assert_int_equal (s_fit_batch (fx, 0, 3, abc, np_abc, true, &batch,
                                   &status),
                      KJ__CODE__OK);
    uint64_t second = batch.id;
    assert_int_equal (batch.previous, first);
    assert_int_equal (batch.meeting, 3);
    assert_int_equal (batch.newly, 2);
    show = s_fit_show (fx, 0, false, out, sizeof out);  //  the latest
    assert_int_equal (show->batch->id, second);
    assert_string_equal (out, "FIT-A:STAR-1,ChiNext-1/ChiNext-1;"
                              "FIT-B:STAR-1/STAR-1;");
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);
    show = s_fit_show (fx, second, true, out, sizeof out);
    assert_int_equal (show->n_firms, 3);
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);
    //  An event per firm whose fit changed against batch 1 (A and B);
    //  batch 1, the first, changed nothing: its pages' progress and its
    //  finish are its events, FitShow its list
    assert_int_equal (s_events (fx, "ipo.fit.newly", "FIT-A"), 1);
    assert_int_equal (s_events (fx, "ipo.fit.newly", "FIT-B"), 1);
    assert_int_equal (s_events (fx, "ipo.fit.newly", "FIT-C"), 0);
    assert_int_equal (s_events (fx, "ipo.fit.finished", "UPLOAD"), 2);
    assert_int_equal (s_events (fx, "ipo.fit.progress", "UPLOAD"), 3);

    //  Refused whole: a firm twice in one call, a firm of an earlier call,
    //  a call to a finished batch, a figure out of range
    const char *twice [] = { "FIT-D", "FIT-D" };
    assert_int_equal (s_fit_batch (fx, 0, 2, twice, np_ab, false, &batch,
                                   &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "firms[1].firm");
    assert_int_equal (s_fit_batch (fx, 0, 1, c, np_c, false, &batch, &status),
                      KJ__CODE__OK);
    uint64_t third = batch.id;
    assert_int_equal (s_fit_batch (fx, third, 1, c, np_c, false, &batch,
                                   &status),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "firms");
    assert_non_null (strstr (status.message, "FIT-C"));
    assert_int_equal (s_fit_batch (fx, second, 1, c, np_c, false, &batch,
                                   &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "batch");
    const int64_t huge [] = { INT64_C (1000000000000000000) };
    assert_int_equal (s_fit_batch (fx, third, 1, ab, huge, false, &batch,
                                   &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "firms[0].figures.np_t1_fen");
    assert_int_equal (s_fit_batch (fx, 99999, 1, ab, np_ab, false, &batch,
                                   &status),
                      KJ__CODE__NOT_FOUND);
    Kj__IpoFitShowRequest missing = KJ__IPO_FIT_SHOW_REQUEST__INIT;
    missing.batch = 99999;
    assert_int_equal (s_call (fx, "FitShow", &missing.base,
                              &kj__ipo_fit_show_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__NOT_FOUND);
    //  The batch still takes a good call
    assert_int_equal (s_fit_batch (fx, third, 1, ab, np_ab, true, &batch,
                                   &status),
                      KJ__CODE__OK);
    assert_int_equal (batch.firms, 2);
    //  Its finish dropped the batches before its previous (the first),
    //  their results with them (no foreign key cascades them)
    char id [24];
    snprintf (id, sizeof id, "%llu", (unsigned long long) first);
    const char *params [] = { id };
    PGresult *res = kj_db_exec (fx->db,
                                "SELECT (SELECT count (*) FROM ipo.fit_batch "
                                "WHERE id = $1), (SELECT count (*) FROM "
                                "ipo.fit_result WHERE batch = $1)",
                                1, params);
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "0");
    assert_string_equal (PQgetvalue (res, 0, 1), "0");
    PQclear (res);
}

//  --------------------------------------------------------------------------
//  kejin ipo fit run --csv: a file of 1,000 firms sent 100 a call, three
//  calls in flight at once, every fourth firm meeting ChiNext-1. Sent
//  again, none is newly fit. A firm of an early call sent again in a
//  later one (in flight) is refused, ALREADY_EXISTS naming it; a page
//  past the service's limit is refused before anything is sent.

static void
s_fit_csv (const char *path, int firms, int dup_at)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "id,market_cap_fen,np_t2_fen,np_t1_fen,np_t0_fen,"
                   "rev_t2_fen,rev_t1_fen,rev_t0_fen,rd_t2_fen,rd_t1_fen,"
                   "rd_t0_fen,ocf_t2_fen,ocf_t1_fen,ocf_t0_fen,roe_t1_bp,"
                   "roe_t0_bp,rev_growth_t0_bp,neeq_tier,"
                   "neeq_listed_months\n");
    for (int i = 0; i < firms; i++) {
        int64_t np = i % 4 == 0 ? 1 : 0;
        fprintf (file,
                 "CSV-%04d,0,0,%" PRId64 ",%" PRId64 ",0,0,0,0,0,0,0,0,0,0,0,"
                 "0,NONE,0\n",
                 i == dup_at ? 4 : i, np * 50 * M, np * 60 * M);
    }
    fclose (file);
}

//  The latest batch
static Kj__IpoFitShowReply *
s_latest (s_fx_t *fx)
{
    Kj__IpoFitShowRequest show = KJ__IPO_FIT_SHOW_REQUEST__INIT;
    show.limit = 1;
    Kj__IpoFitShowReply *reply;
    kj_status_t status;
    assert_int_equal (s_call (fx, "FitShow", &show.base,
                              &kj__ipo_fit_show_reply__descriptor, &reply,
                              &status),
                      KJ__CODE__OK);
    return reply;
}

static void
test_fit_batch_csv (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    char path [600], out [8192];
    snprintf (path, sizeof path, "%s/firms.csv", kj_test_tmpdir ());
    s_fit_csv (path, 1000, -1);
    const char *en = "C.UTF-8";
    assert_int_equal (s_cli (fx, en, out, sizeof out, "--json", "ipo", "fit",
                             "run", "--csv", path, "--page", "100", NULL),
                      0);
    Kj__IpoFitShowReply *show = s_latest (fx);
    uint64_t first = show->batch->id;
    assert_string_equal (show->batch->state, "FINISHED");
    assert_int_equal (show->batch->firms, 1000);
    assert_int_equal (show->batch->meeting, 250);
    assert_int_equal (show->batch->newly, 250);
    assert_int_equal (show->batch->pages, 10);
    assert_int_equal (show->n_firms, 1);
    assert_string_equal (show->firms [0]->firm, "CSV-0000");
    assert_string_equal (show->firms [0]->newly [0], "ChiNext-1");
    //  Against the previous UPLOAD batch (test_fit_batch_upload's last),
    //  which lacked these firms: an event per newly fit firm
    assert_true (show->batch->previous > 0);
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);
    assert_int_equal (s_events (fx, "ipo.fit.newly", "CSV-0996"), 1);
    assert_int_equal (s_events (fx, "ipo.fit.newly", "CSV-0997"), 0);

    //  The same firms again: nothing newly fit, no event
    assert_int_equal (s_cli (fx, en, out, sizeof out, "--json", "ipo", "fit",
                             "run", "--csv", path, "--page", "100", NULL),
                      0);
    show = s_latest (fx);
    assert_int_equal (show->batch->previous, first);
    assert_int_equal (show->batch->meeting, 250);
    assert_int_equal (show->batch->newly, 0);
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);
    assert_int_equal (s_events (fx, "ipo.fit.newly", "CSV-0996"), 1);

    //  CSV-0004 again in the ninth call
    s_fit_csv (path, 1000, 804);
    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "fit", "run",
                             "--csv", path, "--page", "100", NULL),
                      1);
    assert_non_null (strstr (out, "ALREADY_EXISTS"));
    assert_non_null (strstr (out, "CSV-0004 was sent in an earlier call"));
    show = s_latest (fx);
    assert_string_equal (show->batch->state, "RECEIVING");
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);

    assert_int_equal (s_cli (fx, en, out, sizeof out, "ipo", "fit", "run",
                             "--csv", path, "--page", "25001", NULL),
                      2);
    assert_non_null (strstr (out, "page"));
}

//  --------------------------------------------------------------------------
//  Batch fit of the whole registry by the fit job: the registry's yearly
//  figures and flags, newly fit firms listed with an event each

static void
s_register (s_fx_t *fx, const char *code, int64_t np, bool srdi)
{
    Kj__YearFigures years [3] = { KJ__YEAR_FIGURES__INIT,
                                  KJ__YEAR_FIGURES__INIT,
                                  KJ__YEAR_FIGURES__INIT };
    Kj__YearFigures *list [3] = { &years [0], &years [1], &years [2] };
    for (int i = 0; i < 3; i++) {
        years [i].year = 2022 + i;
        years [i].revenue_fen = 500 * M;
        years [i].net_profit_fen = np;
        years [i].total_assets_fen = 900 * M;
        years [i].total_cost_fen = 400 * M;
        years [i].staff = 300;
    }
    Kj__Qualification qualification = KJ__QUALIFICATION__INIT;
    qualification.kind = KJ__QUALIFICATION_KIND__QUAL_SRDI;
    qualification.level = KJ__LEVEL__LEVEL_PROVINCIAL;
    qualification.expires_on = "2027-12-31";
    Kj__Qualification *quals [1] = { &qualification };
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = (char *) code;
    e.name = "沈阳批量拟合科技";
    e.founded_on = "2012-03-01";
    e.figures = srdi ? NULL : list;
    e.n_figures = srdi ? 0 : 3;
    e.qualifications = srdi ? quals : NULL;
    e.n_qualifications = srdi ? 1 : 0;
    s_register_enterprise (fx, &e);
}

//  A firm whose cash flow (and revenue) of its earliest year was not
//  reported: net profit fits Main-1, and the cash flow of the two years
//  it reported reaches Main-1's ¥200m alone. Unknown is not 0: Main-1 is
//  not met, and Fit says the figure is missing.
static void
s_register_unreported (s_fx_t *fx, const char *code)
{
    Kj__YearFigures years [3] = { KJ__YEAR_FIGURES__INIT,
                                  KJ__YEAR_FIGURES__INIT,
                                  KJ__YEAR_FIGURES__INIT };
    Kj__YearFigures *list [3] = { &years [0], &years [1], &years [2] };
    char *unreported [2] = { "revenue", "cash-flow" };
    for (int i = 0; i < 3; i++) {
        years [i].year = 2022 + i;
        years [i].revenue_fen = i == 0 ? 0 : 400 * M;
        years [i].net_profit_fen = 110 * M;
        years [i].operating_cash_flow_fen = i == 0 ? 0 : (50 + 50 * i) * M;
        years [i].total_assets_fen = 900 * M;
        years [i].total_cost_fen = 250 * M;
        years [i].staff = 300;
    }
    years [0].not_reported = unreported;
    years [0].n_not_reported = 2;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = (char *) code;
    e.name = "沈阳未报现金流科技";
    e.founded_on = "2012-03-01";
    e.figures = list;
    e.n_figures = 3;
    s_register_enterprise (fx, &e);
}

static int
s_by_code (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
test_fit_batch_registry (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    char profit [19], flagged [19], small [19];
    rfx_code ("210100", 7001, profit);
    rfx_code ("210200", 7002, flagged);
    rfx_code ("210300", 7003, small);
    s_register (fx, profit, 70 * M, false);  //  ChiNext-1
    s_register (fx, flagged, 0, true);       //  Regional-1 (专精特新)
    s_register (fx, small, 1 * M, false);    //  nothing
    char unknown [19];
    rfx_code ("210400", 7004, unknown);
    s_register_unreported (fx, unknown);  //  ChiNext-1, not Main-1
    Kj__IpoFitBatchRequest start = KJ__IPO_FIT_BATCH_REQUEST__INIT;
    start.from_registry = true;
    Kj__IpoFitBatchReply *started;
    kj_status_t status;
    assert_int_equal (s_call (fx, "FitBatch", &start.base,
                              &kj__ipo_fit_batch_reply__descriptor, &started,
                              &status),
                      KJ__CODE__OK);
    uint64_t id = started->batch->id;
    assert_string_equal (started->batch->source, "REGISTRY");
    assert_string_equal (started->batch->state, "FETCHING");
    kj__ipo_fit_batch_reply__free_unpacked (started, NULL);
    //  The fit job (every 2 s) fetches, fits and finishes it
    char out [1024];
    Kj__IpoFitShowReply *show = NULL;
    for (int wait = 0; wait < 300; wait++) {
        show = s_fit_show (fx, id, false, out, sizeof out);
        if (!streq (show->batch->state, "FETCHING"))
            break;
        kj__ipo_fit_show_reply__free_unpacked (show, NULL);
        show = NULL;
        zclock_sleep (100);
    }
    assert_non_null (show);
    assert_string_equal (show->batch->state, "FINISHED");
    assert_true (show->batch->firms >= 4);  //  test_fit's firm too
    assert_int_equal (show->batch->meeting, 3);
    assert_int_equal (show->batch->newly, 3);
    char rows [3][64], expect [256] = "";
    snprintf (rows [0], sizeof rows [0], "%s:ChiNext-1/ChiNext-1;", profit);
    snprintf (rows [1], sizeof rows [1], "%s:Regional-1/Regional-1;", flagged);
    snprintf (rows [2], sizeof rows [2], "%s:ChiNext-1/ChiNext-1;", unknown);
    const char *sorted [3] = { rows [0], rows [1], rows [2] };
    qsort (sorted, 3, sizeof sorted [0], s_by_code);
    for (int i = 0; i < 3; i++)
        strcat (expect, sorted [i]);
    assert_string_equal (out, expect);
    uint64_t show_previous = show->batch->previous;
    kj__ipo_fit_show_reply__free_unpacked (show, NULL);
    //  The first REGISTRY batch changed no firm's fit: no event per firm
    assert_int_equal (show_previous, 0);
    assert_int_equal (s_events (fx, "ipo.fit.newly", profit), 0);
    assert_int_equal (s_events (fx, "ipo.fit.newly", flagged), 0);
    assert_int_equal (s_events (fx, "ipo.fit.newly", small), 0);
    assert_true (s_events (fx, "ipo.fit.progress", "REGISTRY") >= 1);
    //  One firm's Fit from the registry says the same, and toward the
    //  main board what it lacks: the cash flow not reported
    Kj__IpoFigures given = KJ__IPO_FIGURES__INIT;
    Kj__IpoFitRequest fit = KJ__IPO_FIT_REQUEST__INIT;
    fit.figures = &given;
    fit.firm = unknown;
    fit.from_registry = true;
    fit.toward = "MAIN";
    Kj__IpoFitReply *fitted;
    assert_int_equal (s_call (fx, "Fit", &fit.base,
                              &kj__ipo_fit_reply__descriptor, &fitted, &status),
                      KJ__CODE__OK);
    assert_int_equal (fitted->n_meets, 1);
    assert_string_equal (fitted->meets [0], "ChiNext-1");
    assert_string_equal (fitted->toward_nearest, "Main-1");
    assert_int_equal (fitted->n_toward_shorts, 1);
    assert_string_equal (fitted->toward_shorts [0]->figure, "ocf_t2_t0_fen");
    assert_true (fitted->toward_shorts [0]->missing);
    assert_int_equal (fitted->toward_shorts [0]->have, 0);
    kj__ipo_fit_reply__free_unpacked (fitted, NULL);
    assert_int_equal (s_events (fx, "ipo.fit.finished", "REGISTRY"), 1);
    //  A registry batch carries no firms
    start.last = true;
    assert_int_equal (s_call (fx, "FitBatch", &start.base,
                              &kj__ipo_fit_batch_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "firms");
}

//  --------------------------------------------------------------------------
//  Fuzz: every method gets requests with random values in every field
//  (random bytes for text, invalid UTF-8 included, numbers at and past
//  every edge, unknown enum values), with a fixed seed. Each gets a status
//  that is the caller's (never INTERNAL, UNAVAILABLE or silence), and the
//  daemon keeps answering. Fit never asks the registry here: test_fit
//  does, and the fuzz is about kejin-ipo's own checks.

static uint64_t s_seed = 0x1F0C0FFEEu;

static uint64_t
s_random (void)
{
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 7;
    s_seed ^= s_seed << 17;
    return s_seed;
}

//  Fill every field of message with random values; nested ones to depth 1
static void
s_fuzz_fill (ProtobufCMessage *message, char *pool, size_t *used, int depth)
{
    const ProtobufCMessageDescriptor *type = message->descriptor;
    static const int64_t edges [] = { 0,         1,         -1,
                                      INT64_MAX, INT64_MIN, 100000000000000000,
                                      2024,      20240101 };
    for (unsigned i = 0; i < type->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &type->fields [i];
        void *at = (char *) message + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        switch (field->type) {
            case PROTOBUF_C_TYPE_INT64:
                *(int64_t *) at = s_random () % 2 ? edges [s_random () % 8]
                                                  : (int64_t) s_random ();
                break;
            case PROTOBUF_C_TYPE_INT32:
            case PROTOBUF_C_TYPE_ENUM:
                *(int32_t *) at = (int32_t) (s_random () % 40) - 5;
                break;
            case PROTOBUF_C_TYPE_BOOL:
                *(protobuf_c_boolean *) at = s_random () % 2
                                          && !streq (field->name,
                                                     "from_registry");
                break;
            case PROTOBUF_C_TYPE_STRING: {
                size_t length = s_random () % 4 == 0 ? 300 : s_random () % 12;
                char *text = pool + *used;
                for (size_t k = 0; k < length; k++)
                    text [k] = s_random () % 3 ? 'A' + (char) (s_random () % 26)
                                               : (char) (1 + s_random () % 255);
                text [length] = 0;
                *used += length + 1;
                *(char **) at = text;
                break;
            }
            case PROTOBUF_C_TYPE_MESSAGE:
                if (depth == 0 && s_random () % 4) {
                    ProtobufCMessage *inner = (ProtobufCMessage *) (pool
                                                                    + *used);
                    *used += (field->descriptor
                                  ? ((const ProtobufCMessageDescriptor *)
                                         field->descriptor)
                                        ->sizeof_message
                                  : 0)
                           + 16;
                    protobuf_c_message_init ((const ProtobufCMessageDescriptor
                                                  *) field->descriptor,
                                             inner);
                    s_fuzz_fill (inner, pool, used, depth + 1);
                    *(ProtobufCMessage **) at = inner;
                }
                break;
            default:
                break;
        }
    }
}

static void
test_fuzz (void **state)
{
    s_fx_t *fx = (s_fx_t *) *state;
    static _Alignas(16) char pool [64 * 1024];
    const ProtobufCServiceDescriptor *service = &kj__ipo__descriptor;
    kj_call_opts_t opts = { .retries = -1 };
    int answered [KJ__CODE__UNAUTHENTICATED + 1] = { 0 };
    for (unsigned m = 0; m < service->n_methods; m++) {
        const ProtobufCMethodDescriptor *method = &service->methods [m];
        for (int round = 0; round < 60; round++) {
            size_t used = 0;
            ProtobufCMessage *request = (ProtobufCMessage *) pool;
            used = (method->input->sizeof_message + 15) / 16 * 16;
            protobuf_c_message_init (method->input, request);
            s_fuzz_fill (request, pool, &used, 0);
            used = (used + 15) / 16 * 16;
            assert_true (used < sizeof pool);
            kj_status_t status;
            int code = kj_client_call (fx->client, "ipo", method->name, request,
                                       method->output, NULL, &status, &opts);
            if (code == KJ__CODE__INTERNAL || code == KJ__CODE__UNAVAILABLE
                || code == KJ__CODE__DEADLINE_EXCEEDED || code < 0)
                fail_msg ("%s round %d: %s %s", method->name, round,
                          kj_code_name (code), status.message);
            answered [code]++;
        }
    }
    //  Both answers and refusals came back, of several kinds
    assert_true (answered [KJ__CODE__OK] > 0);
    assert_true (answered [KJ__CODE__INVALID_ARGUMENT] > 100);
    assert_true (
        answered [KJ__CODE__NOT_FOUND] + answered [KJ__CODE__OUT_OF_RANGE] > 0);
    //  Still answering
    Kj__IpoReportRequest report = KJ__IPO_REPORT_REQUEST__INIT;
    kj_status_t status;
    assert_int_equal (s_call (fx, "Report", &report.base,
                              &kj__ipo_report_reply__descriptor, NULL, &status),
                      KJ__CODE__OK);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_end_to_end),
        cmocka_unit_test (test_letter_expiry),
        cmocka_unit_test (test_registration_lapse),
        cmocka_unit_test (test_cli),
        cmocka_unit_test (test_fit),
        cmocka_unit_test (test_board_switch),
        cmocka_unit_test (test_sweep_job),
        cmocka_unit_test (test_bad_options),
        cmocka_unit_test (test_refresh),
        cmocka_unit_test (test_neeq_equity),
        cmocka_unit_test (test_fit_batch_upload),
        cmocka_unit_test (test_fit_batch_csv),
        cmocka_unit_test (test_fit_batch_registry),
        cmocka_unit_test (test_fuzz),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
