/*  =========================================================================
    test_matching - kejin-matching through a real broker, with a real
    kejin-registry and a fresh database: an Anshan start-up posts a
    demand, gets products of Shenyang institutions ranked with reasons,
    asks why a Dalian-only product is excluded, applies, is reviewed and
    approved; bad input refused naming the field; two actors approving at
    once: one wins, the other is told why; each step an event
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/wait.h>

#include "registry_fixture.h"
#include "matching.pb-c.h"

#define WAN       INT64_C (1000000)
#define APP(name) KJ__APPLICATION_STATE__APP_##name

typedef struct {
    rfx_t fx;
    pid_t matching;
    kj_client_t *client;
    kj_db_t *db;  //  on schema matching
} mfx_t;

//  Call matching.method; returns the status code
static int
s_call (mfx_t *m, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *reply_type, void *reply_p,
        kj_status_t *status)
{
    kj_call_opts_t opts = { .timeout_ms = 10000 };
    return kj_client_call (m->client, "matching", method, request, reply_type,
                           (ProtobufCMessage **) reply_p, status, &opts);
}

static void
s_institution_of (mfx_t *m, const char *id, const char *name,
                  Kj__InstitutionType type)
{
    Kj__AddInstitutionRequest request = KJ__ADD_INSTITUTION_REQUEST__INIT;
    Kj__Institution i = KJ__INSTITUTION__INIT;
    char *regions [] = { "PROVINCE" };
    i.id = (char *) id;
    i.name = (char *) name;
    i.type = type;
    i.regions = regions;
    i.n_regions = 1;
    request.institution = &i;
    Kj__InstitutionReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (&m->fx, "AddInstitution", &request.base,
                                &kj__institution_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    kj__institution_reply__free_unpacked (reply, NULL);
}

static void
s_institution (mfx_t *m, const char *id, const char *name)
{
    s_institution_of (m, id, name, KJ__INSTITUTION_TYPE__INSTITUTION_BANK);
}

//  A product of 100..500 万, 6..36 months, at rate_bp, for regions
//  (one or two tokens)
static void
s_product (mfx_t *m, const char *id, const char *institution,
           Kj__ProductType type, int rate_bp, const char *region1,
           const char *region2, const char *min_grade)
{
    Kj__AddProductRequest request = KJ__ADD_PRODUCT_REQUEST__INIT;
    Kj__Product p = KJ__PRODUCT__INIT;
    char *regions [] = { (char *) region1, (char *) region2 };
    p.id = (char *) id;
    p.institution_id = (char *) institution;
    p.name = (char *) id;
    p.type = type;
    p.min_amount_fen = 100 * WAN;
    p.max_amount_fen = 500 * WAN;
    p.min_term_months = 6;
    p.max_term_months = 36;
    p.rate_bp = rate_bp;
    p.regions = regions;
    p.n_regions = region2 ? 2 : 1;
    p.min_grade = (char *) min_grade;
    p.valid_from = "2020-01-01";
    request.product = &p;
    Kj__ProductReply *reply = NULL;
    kj_status_t status;
    int rc = rfx_call (&m->fx, "AddProduct", &request.base,
                       &kj__product_reply__descriptor, &reply, &status, NULL,
                       false);
    if (rc)
        fail_msg ("product %s: %s", id, status.message);
    kj__product_reply__free_unpacked (reply, NULL);
}

//  A small enterprise of region at the start-up stage; code written
static void
s_enterprise_in (mfx_t *m, const char *region, unsigned number, char code [19])
{
    rfx_code (region, number, code);
    Kj__RegisterEnterpriseRequest request =
        KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = code;
    e.name = "鞍山初创科技";
    e.founded_on = "2024-03-01";
    e.size_class = KJ__SIZE_CLASS__SIZE_SMALL;
    request.enterprise = &e;
    Kj__EnterpriseReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (&m->fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    Kj__OverrideStageRequest stage = KJ__OVERRIDE_STAGE_REQUEST__INIT;
    stage.code = code;
    stage.stage = KJ__STAGE__STAGE_STARTUP;
    stage.reason = "first customers, no revenue yet";
    reply = NULL;
    assert_int_equal (rfx_call (&m->fx, "OverrideStage", &stage.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
}

//  The Anshan start-up of most tests
static void
s_enterprise (mfx_t *m, char code [19])
{
    s_enterprise_in (m, "210300", 4242, code);
}

//  relay: "matching/relay=true" to hand matching's events to kejin-events
static void
s_start_with (mfx_t *m, const char *relay_option)
{
    memset (m, 0, sizeof *m);
    //  The registry's events reach matching's read model through
    //  kejin-events and the broker's pub
    const char *relay [] = { "-s", "registry/relay=true", NULL };
    rfx_start (&m->fx, "matching", relay);
    assert_true (rfx_events_start (&m->fx) > 0);
    char pub [200];
    snprintf (pub, sizeof pub, "node/pub=%s", m->fx.broker.pub);
    const char *extra [] = { "-s", relay_option, "-s", pub, NULL };
    m->matching = kj_daemon_start ("matching", &m->fx.broker, m->fx.dsn, extra);
    assert_true (m->matching > 0);
    assert_true (
        kj_broker_wait_workers (m->fx.broker.endpoint, "matching", 2, 20000));
    m->client = kj_client_new (m->fx.broker.endpoint);
    m->db = kj_db_new (m->fx.dsn, "matching", 5000);
    assert_non_null (m->db);
}

static void
s_start (mfx_t *m)
{
    s_start_with (m, "matching/relay=false");
}

static void
s_stop (mfx_t *m)
{
    kj_db_destroy (&m->db);
    kj_client_destroy (&m->client);
    assert_int_equal (kj_test_kill (m->matching, SIGTERM, 10000), 0);
    rfx_stop (&m->fx);
}

static int
s_events (mfx_t *m, const char *topic)
{
    PGresult *res =
        kj_db_exec (m->db, "SELECT count (*) FROM kj_outbox WHERE topic = $1",
                    1, (const char *[]){ topic });
    assert_non_null (res);
    int count = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

static int
s_rows (mfx_t *m, const char *sql)
{
    PGresult *res = kj_db_exec (m->db, sql, 0, NULL);
    assert_non_null (res);
    int count = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  Act on an application; returns the code, *version updated on OK
//  A count (the first column of one row) of sql with $1 and $2
static int
s_text_count (mfx_t *m, const char *sql, const char *one, const char *two)
{
    PGresult *res = kj_db_exec (m->db, sql, 2, (const char *[]){ one, two });
    assert_non_null (res);
    int count = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

static int
s_act (mfx_t *m, const char *id, Kj__ApplicationState to, uint64_t *version,
       kj_status_t *status)
{
    Kj__ActRequest act = KJ__ACT_REQUEST__INIT;
    act.id = (char *) id;
    act.to = to;
    act.expected_version = *version;
    act.amount_fen = 200 * WAN;
    act.rate_bp = 350;
    act.term_months = 12;
    Kj__ApplicationReply *reply = NULL;
    int rc = s_call (m, "Act", &act.base, &kj__application_reply__descriptor,
                     &reply, status);
    if (rc == 0) {
        assert_int_equal (reply->application->state, to);
        *version = reply->application->version;
        kj__application_reply__free_unpacked (reply, NULL);
    }
    return rc;
}

//  Run the CLI against the test's broker; its output (caller frees) and
//  exit code
static char *
s_cli_in (mfx_t *m, const char *locale, const char *args, int *exit_code)
{
    char command [1024];
    snprintf (command, sizeof command, "LC_ALL=%s %s --broker %s %s 2>&1",
              locale, kj_test_bin ("kejin"), m->fx.broker.endpoint, args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    char *output = calloc (1, 65536);
    size_t used = fread (output, 1, 65535, pipe);
    output [used] = 0;
    int status = pclose (pipe);
    *exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    return output;
}

static char *
s_cli (mfx_t *m, const char *args, int *exit_code)
{
    return s_cli_in (m, "C", args, exit_code);
}

//  Wait until matching's read model holds `products` products (the
//  registry's events relayed and applied); the last Model reply
static void
s_model_wait (mfx_t *m, uint64_t products)
{
    int64_t until = kj_mono_us () + 20000000;
    uint64_t held = 0;
    while (kj_mono_us () < until) {
        Kj__ModelRequest request = KJ__MODEL_REQUEST__INIT;
        Kj__ModelReply *reply = NULL;
        kj_status_t status;
        if (s_call (m, "Model", &request.base, &kj__model_reply__descriptor,
                    &reply, &status)
            == 0) {
            held = reply->products;
            bool ready = reply->ready;
            kj__model_reply__free_unpacked (reply, NULL);
            if (ready && held >= products)
                return;
        }
        zclock_sleep (20);
    }
    fail_msg ("matching's model holds %" PRIu64 " products, not %" PRIu64, held,
              products);
}

//  Two banks, their products (SY1-SY3 of Shenyang, DL1-DL2 of Dalian,
//  RN1 a Shenyang renewal product), the Anshan start-up; code written
static void
s_world (mfx_t *m, char code [19])
{
    s_institution (m, "SYB", "沈阳银行");
    s_institution (m, "DLB", "大连银行");
    s_product (m, "SY1", "SYB", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 400, "210100",
               NULL, "");
    s_product (m, "SY2", "SYB", KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN, 350,
               "SHENYANG_METRO", NULL, "");
    s_product (m, "SY3", "SYB", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 300, "210100",
               NULL, "AA");
    s_product (m, "DL1", "DLB", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 300, "210200",
               NULL, "");
    s_product (m, "DL2", "DLB", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 450, "210200",
               "PROVINCE", "");
    s_product (m, "RN1", "SYB", KJ__PRODUCT_TYPE__PRODUCT_RENEWAL, 380,
               "SHENYANG_METRO", NULL, "");
    s_enterprise (m, code);
    s_model_wait (m, 6);
}

//  A demand of 200万 over 12 months; its id written. renews: the maturity
//  of a loan renewed, or NULL
static void
s_demand (mfx_t *m, const char *code, const char *renews, char id [16])
{
    Kj__AddDemandRequest add = KJ__ADD_DEMAND_REQUEST__INIT;
    Kj__Demand d = KJ__DEMAND__INIT;
    d.enterprise_code = (char *) code;
    d.amount_fen = 200 * WAN;
    d.term_months = 12;
    d.instrument = KJ__MATCHING_INSTRUMENT__MATCHING_LOAN;
    d.renewal = renews != NULL;
    d.renews_matures_on = (char *) (renews ? renews : "");
    add.demand = &d;
    Kj__DemandReply *reply = NULL;
    kj_status_t status;
    if (s_call (m, "AddDemand", &add.base, &kj__demand_reply__descriptor,
                &reply, &status))
        fail_msg ("AddDemand: %s", status.message);
    snprintf (id, 16, "%s", reply->demand->id);
    kj__demand_reply__free_unpacked (reply, NULL);
}

//  Apply demand to product; the application's id and version written
static int
s_apply (mfx_t *m, const char *demand, const char *product, const char *renews,
         char id [16], uint64_t *version, kj_status_t *status)
{
    Kj__ApplyRequest apply = KJ__APPLY_REQUEST__INIT;
    apply.demand_id = (char *) demand;
    apply.product_id = (char *) product;
    apply.renews_id = (char *) (renews ? renews : "");
    Kj__ApplicationReply *reply = NULL;
    int rc = s_call (m, "Apply", &apply.base,
                     &kj__application_reply__descriptor, &reply, status);
    if (rc == 0) {
        snprintf (id, 16, "%s", reply->application->id);
        *version = reply->application->version;
        kj__application_reply__free_unpacked (reply, NULL);
    }
    return rc;
}

static void
test_demand_match_apply_approve (void **state)
{
    mfx_t m;
    s_start (&m);
    char code [19];
    s_world (&m, code);

    //  Bad demands: refused naming the field, nothing stored
    Kj__AddDemandRequest add = KJ__ADD_DEMAND_REQUEST__INIT;
    Kj__Demand d = KJ__DEMAND__INIT;
    d.enterprise_code = code;
    d.term_months = 12;
    d.instrument = KJ__MATCHING_INSTRUMENT__MATCHING_LOAN;
    d.purpose = "研发设备";
    add.demand = &d;
    Kj__DemandReply *demand = NULL;
    kj_status_t status;
    d.amount_fen = 0;
    assert_int_equal (s_call (&m, "AddDemand", &add.base,
                              &kj__demand_reply__descriptor, &demand, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "demand.amount_fen");
    d.amount_fen = 500 * WAN + 1;
    assert_int_equal (s_call (&m, "AddDemand", &add.base,
                              &kj__demand_reply__descriptor, &demand, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "demand.amount_fen");
    d.amount_fen = 200 * WAN;
    d.term_months = 361;
    assert_int_equal (s_call (&m, "AddDemand", &add.base,
                              &kj__demand_reply__descriptor, &demand, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "demand.term_months");
    d.term_months = 12;
    char unknown [19];
    rfx_code ("210300", 9999, unknown);
    d.enterprise_code = unknown;
    assert_int_equal (s_call (&m, "AddDemand", &add.base,
                              &kj__demand_reply__descriptor, &demand, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "demand.enterprise_code");
    d.enterprise_code = code;
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM demand"), 0);

    assert_int_equal (s_call (&m, "AddDemand", &add.base,
                              &kj__demand_reply__descriptor, &demand, &status),
                      0);
    char demand_id [16];
    snprintf (demand_id, sizeof demand_id, "%s", demand->demand->id);
    assert_string_equal (demand_id, "D000001");
    assert_int_equal (demand->demand->state, APP (DEMAND_POSTED));
    kj__demand_reply__free_unpacked (demand, NULL);

    //  Match: Shenyang products (metro to metro) and the province-wide
    //  Dalian one, ranked; SY3 wants grade AA, DL1 serves Dalian only
    Kj__MatchRequest match = KJ__MATCH_REQUEST__INIT;
    match.demand_id = demand_id;
    match.why_not = "DL1";
    Kj__MatchReply *matched = NULL;
    assert_int_equal (s_call (&m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      0);
    assert_int_equal (matched->n_products, 3);
    assert_string_equal (matched->products [0]->product_id, "SY2");
    assert_string_equal (matched->products [1]->product_id, "SY1");
    assert_string_equal (matched->products [2]->product_id, "DL2");
    //  SY2: every component full, decision time (30 - 10) / 30
    assert_int_equal (matched->products [0]->score,
                      INT64_C (3000) * 10000 + 2000 * 10000 + 2000 * 10000
                          + 2000 * 10000 + 1000 * 6666);
    assert_string_equal (matched->products [0]->institution_name, "沈阳银行");
    assert_true (strlen (matched->products [0]->explanation) > 0);
    assert_true (matched->products [0]->product_version > 0);
    assert_int_equal (matched->candidates, 6);
    assert_string_equal (matched->rules_version, "matching-1");
    assert_false (matched->why_not_eligible);
    assert_int_equal (matched->n_why_not_reasons, 1);
    assert_string_equal (matched->why_not_reasons [0]->code, "region");
    assert_non_null (strstr (matched->why_not_reasons [0]->text, "210300"));
    kj__match_reply__free_unpacked (matched, NULL);
    match.why_not = "SY3";
    assert_int_equal (s_call (&m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      0);
    assert_int_equal (matched->n_why_not_reasons, 1);
    assert_string_equal (matched->why_not_reasons [0]->code, "grade");
    kj__match_reply__free_unpacked (matched, NULL);
    match.why_not = "NOPE";
    assert_int_equal (s_call (&m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "why_not");
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM match_product"), 6);

    //  The same through the CLI, for people
    int exit_code;
    char *output = s_cli (&m, "match D000001 --why-not DL1", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (output, " 1. SY2  SY2  沈阳银行 (SYB)"));
    assert_non_null (strstr (output, "Why not DL1:\n  - does not serve "
                                     "210300"));
    assert_non_null (strstr (output, "(region)"));
    assert_non_null (strstr (output, "\n    rate 100.0%, amount 100.0%, "));
    free (output);
    output = s_cli (&m, "demand show D000001", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (output, "over 12 months"));
    free (output);
    //  At the desk, in Chinese: the instrument and the state by their
    //  Chinese names
    output = s_cli_in (&m, "zh_CN.UTF-8", "demand show D000001", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (output, "  融资方式    贷款\n"));
    assert_non_null (strstr (output, "  状态        推荐产品，版本 "));
    free (output);
    output = s_cli (&m, "demand add --enterprise X --amount 0 --term 12",
                    &exit_code);
    if (exit_code != 2)
        fail_msg ("demand add: %d %s", exit_code, output);
    free (output);

    //  Apply: not to DL1, to SY2
    Kj__ApplyRequest apply = KJ__APPLY_REQUEST__INIT;
    apply.demand_id = demand_id;
    apply.product_id = "DL1";
    Kj__ApplicationReply *application = NULL;
    assert_int_equal (s_call (&m, "Apply", &apply.base,
                              &kj__application_reply__descriptor, &application,
                              &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "product_id");
    apply.product_id = "SY2";
    assert_int_equal (s_call (&m, "Apply", &apply.base,
                              &kj__application_reply__descriptor, &application,
                              &status),
                      0);
    char id [16];
    snprintf (id, sizeof id, "%s", application->application->id);
    uint64_t version = application->application->version;
    assert_int_equal (application->application->state, APP (APPLIED));
    assert_string_equal (application->application->institution_id, "SYB");
    kj__application_reply__free_unpacked (application, NULL);
    assert_int_equal (s_call (&m, "Apply", &apply.base,
                              &kj__application_reply__descriptor, &application,
                              &status),
                      KJ__CODE__ALREADY_EXISTS);

    //  Review; an illegal move names the states allowed
    assert_int_equal (s_act (&m, id, APP (ACTIVE), &version, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.message,
                         "to: the application is APPLIED; from APPLIED it "
                         "may go to UNDER_REVIEW, WITHDRAWN, not ACTIVE");
    assert_int_equal (s_act (&m, id, APP (UNDER_REVIEW), &version, &status), 0);

    //  Two bankers approve at once, from the same version: one wins
    kj_client_t *other = kj_client_new (m.fx.broker.endpoint);
    Kj__ActRequest act = KJ__ACT_REQUEST__INIT;
    act.id = id;
    act.to = APP (APPROVED);
    act.expected_version = version;
    act.rate_bp = 350;
    act.term_months = 12;
    act.amount_fen = 200 * WAN;
    uint64_t first = kj_client_send (m.client, "matching", "Act", &act.base,
                                     NULL);
    act.amount_fen = 150 * WAN;
    uint64_t second = kj_client_send (other, "matching", "Act", &act.base,
                                      NULL);
    assert_true (first && second);
    kj_status_t one, two;
    uint64_t request_id;
    Kj__ApplicationReply *r1 = NULL, *r2 = NULL;
    int rc1 = kj_client_recv (m.client, 10000, &request_id,
                              &kj__application_reply__descriptor,
                              (ProtobufCMessage **) &r1, &one);
    assert_int_equal (rc1, one.code);
    assert_int_equal (request_id, first);
    int rc2 = kj_client_recv (other, 10000, &request_id,
                              &kj__application_reply__descriptor,
                              (ProtobufCMessage **) &r2, &two);
    assert_int_equal (rc2, two.code);
    assert_int_equal (request_id, second);
    assert_true ((one.code == 0) != (two.code == 0));
    kj_status_t *loser = one.code ? &one : &two;
    assert_int_equal (loser->code, KJ__CODE__ABORTED);
    assert_string_equal (loser->field, "expected_version");
    assert_non_null (strstr (loser->message, "it is now APPROVED"));
    Kj__ApplicationReply *winner = r1 ? r1 : r2;
    assert_non_null (winner);
    version = winner->application->version;
    assert_int_equal (winner->application->amount_fen,
                      r1 ? 200 * WAN : 150 * WAN);
    if (r1)
        kj__application_reply__free_unpacked (r1, NULL);
    if (r2)
        kj__application_reply__free_unpacked (r2, NULL);
    kj_client_destroy (&other);

    //  Disbursed: an event for the guarantee service
    assert_int_equal (s_act (&m, id, APP (ACTIVE), &version, &status), 0);
    assert_int_equal (s_events (&m, "matching.demand.posted"), 1);
    assert_int_equal (s_events (&m, "matching.match.proposed"), 3);
    assert_int_equal (s_events (&m, "matching.application.changed"), 4);
    assert_int_equal (s_events (&m, "matching.loan.disbursed"), 1);

    //  Reports: per city, the Anshan row; per institution, SYB's; the
    //  grouping named wrong refused
    Kj__MatchingReportRequest report = KJ__MATCHING_REPORT_REQUEST__INIT;
    Kj__MatchingReportReply *figures = NULL;
    assert_int_equal (s_call (&m, "Report", &report.base,
                              &kj__matching_report_reply__descriptor, &figures,
                              &status),
                      0);
    assert_int_equal (figures->n_rows, 1);
    Kj__MatchingReportRow *row = figures->rows [0];
    assert_string_equal (row->key, "210300");
    assert_int_equal (row->matches,
                      s_rows (&m, "SELECT count (*) FROM match_product"));
    assert_int_equal (row->intercity,
                      s_rows (&m, "SELECT count (*) FROM match_product "
                                  "WHERE product_id IN ('SY1', 'SY2')"));
    assert_true (row->intercity > 0 && row->intercity < row->matches);
    assert_int_equal (row->applications, 1);
    assert_int_equal (row->approvals, 1);
    assert_int_equal (row->disbursed, 1);
    assert_int_equal (row->first_loans, 1);  //  SY2 is a first loan
    assert_int_equal (row->first_loan_bp, 10000);
    assert_int_equal (row->decisions, 1);
    assert_int_equal (row->within_sla, 1);
    assert_int_equal (figures->total->applications, 1);
    kj__matching_report_reply__free_unpacked (figures, NULL);
    report.by = "institution";
    assert_int_equal (s_call (&m, "Report", &report.base,
                              &kj__matching_report_reply__descriptor, &figures,
                              &status),
                      0);
    assert_int_equal (figures->n_rows, 2);
    assert_string_equal (figures->rows [1]->key, "SYB");
    assert_int_equal (figures->rows [1]->approvals, 1);
    assert_string_equal (figures->rows [0]->key, "DLB");
    assert_int_equal (figures->rows [0]->applications, 0);
    kj__matching_report_reply__free_unpacked (figures, NULL);
    report.by = "planet";
    assert_int_equal (s_call (&m, "Report", &report.base,
                              &kj__matching_report_reply__descriptor, &figures,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "by");
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM application_move"), 4);
    s_stop (&m);
}

//  Bad input through the daemon: a status naming the field, nothing
//  stored; a renewal links to the loan it renews
static void
test_bad_input_and_renewal (void **state)
{
    mfx_t m;
    s_start (&m);
    char code [19], demand [16], id [16], renewal [16];
    s_world (&m, code);
    kj_status_t status;

    //  Demands
    Kj__AddDemandRequest add = KJ__ADD_DEMAND_REQUEST__INIT;
    Kj__Demand d = KJ__DEMAND__INIT;
    d.enterprise_code = code;
    d.amount_fen = 200 * WAN;
    d.term_months = 12;
    add.demand = &d;
    struct {
        const char *field;
        int code;
    } expect [5] = {
        { "demand.instrument", KJ__CODE__INVALID_ARGUMENT },
        { "demand.collateral", KJ__CODE__INVALID_ARGUMENT },
        { "demand.renews_matures_on", KJ__CODE__INVALID_ARGUMENT },
        { "demand.purpose", KJ__CODE__INVALID_ARGUMENT },
        { "demand", KJ__CODE__INVALID_ARGUMENT },
    };
    Kj__Collateral nine [] = { (Kj__Collateral) 9 };
    char long_purpose [202];
    memset (long_purpose, 'x', 201);
    long_purpose [201] = 0;
    for (int i = 0; i < 5; i++) {
        d.instrument = i == 0 ? 0 : KJ__MATCHING_INSTRUMENT__MATCHING_LOAN;
        d.collateral = i == 1 ? nine : NULL;
        d.n_collateral = i == 1;
        d.renewal = i == 2;
        d.purpose = i == 3 ? long_purpose : "";
        add.demand = i == 4 ? NULL : &d;
        Kj__DemandReply *reply = NULL;
        assert_int_equal (s_call (&m, "AddDemand", &add.base,
                                  &kj__demand_reply__descriptor, &reply,
                                  &status),
                          expect [i].code);
        assert_string_equal (status.field, expect [i].field);
    }
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM demand"), 0);
    Kj__GetDemandRequest get = KJ__GET_DEMAND_REQUEST__INIT;
    get.id = "D999999";
    Kj__DemandReply *got = NULL;
    assert_int_equal (s_call (&m, "GetDemand", &get.base,
                              &kj__demand_reply__descriptor, &got, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "id");

    //  Match and Apply
    s_demand (&m, code, NULL, demand);
    Kj__MatchRequest match = KJ__MATCH_REQUEST__INIT;
    match.demand_id = "";
    Kj__MatchReply *matched = NULL;
    assert_int_equal (s_call (&m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "demand_id");
    match.demand_id = demand;
    match.limit = 101;
    assert_int_equal (s_call (&m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "limit");
    uint64_t version;
    assert_int_equal (s_apply (&m, demand, "NOPE", NULL, id, &version, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "product_id");
    //  RN1 is for renewal demands only
    assert_int_equal (s_apply (&m, demand, "RN1", NULL, id, &version, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "product_id");
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM application"), 0);

    //  Moves: unknown id, no state, approval beyond the product, rejection
    //  without a reason
    assert_int_equal (s_apply (&m, demand, "SY1", NULL, id, &version, &status),
                      0);
    uint64_t none = 0;
    assert_int_equal (s_act (&m, "A999999", APP (UNDER_REVIEW), &none, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "id");
    assert_int_equal (s_act (&m, id, 0, &version, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "to");
    assert_int_equal (s_act (&m, id, APP (UNDER_REVIEW), &version, &status), 0);
    Kj__ActRequest act = KJ__ACT_REQUEST__INIT;
    act.id = id;
    act.to = APP (APPROVED);
    act.amount_fen = 500 * WAN + 1;
    act.rate_bp = 400;
    act.term_months = 12;
    Kj__ApplicationReply *reply = NULL;
    assert_int_equal (s_call (&m, "Act", &act.base,
                              &kj__application_reply__descriptor, &reply,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "amount_fen");
    act.to = APP (REJECTED);
    assert_int_equal (s_call (&m, "Act", &act.base,
                              &kj__application_reply__descriptor, &reply,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "reason");
    //  A stale version is refused, naming the state now
    uint64_t stale = version - 1;
    assert_int_equal (s_act (&m, id, APP (APPROVED), &stale, &status),
                      KJ__CODE__ABORTED);
    assert_non_null (strstr (status.message, "it is now UNDER_REVIEW"));
    assert_int_equal (s_act (&m, id, APP (APPROVED), &version, &status), 0);

    //  A renewal renews an ACTIVE loan: not yet, then yes
    s_demand (&m, code, "2027-06-30", renewal);
    char renewed [16];
    uint64_t renewed_version;
    assert_int_equal (s_apply (&m, renewal, "RN1", id, renewed,
                               &renewed_version, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "renews_id");
    assert_int_equal (s_act (&m, id, APP (ACTIVE), &version, &status), 0);
    assert_int_equal (s_apply (&m, renewal, "RN1", id, renewed,
                               &renewed_version, &status),
                      0);
    Kj__GetApplicationRequest show = KJ__GET_APPLICATION_REQUEST__INIT;
    show.id = renewed;
    assert_int_equal (s_call (&m, "GetApplication", &show.base,
                              &kj__application_reply__descriptor, &reply,
                              &status),
                      0);
    assert_string_equal (reply->application->renews_id, id);
    kj__application_reply__free_unpacked (reply, NULL);
    assert_int_equal (s_act (&m, id, APP (RENEWED), &version, &status), 0);

    //  The registry gone: Match goes on from the read model; Apply, which
    //  decides on the registry's records as they are now, is UNAVAILABLE
    //  (retry) and records nothing
    assert_int_equal (kj_test_kill (m.fx.registry, SIGTERM, 10000), 0);
    m.fx.registry = 0;
    match.limit = 0;
    assert_int_equal (s_call (&m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      0);
    assert_int_equal (matched->candidates, 6);
    kj__match_reply__free_unpacked (matched, NULL);
    int applications = s_rows (&m, "SELECT count (*) FROM application");
    assert_int_equal (s_apply (&m, renewal, "RN1", NULL, renewed,
                               &renewed_version, &status),
                      KJ__CODE__UNAVAILABLE);
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM application"),
                      applications);
    s_stop (&m);
}

//  One row of SQL as text (caller frees); "" if none
static char *
s_text (mfx_t *m, const char *sql, const char *param)
{
    PGresult *res = kj_db_exec (m->db, sql, 1, (const char *[]){ param });
    assert_non_null (res);
    char *text = strdup (PQntuples (res) ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    return text;
}

//  Queue a batch and wait until it is done; the reply (caller frees)
static Kj__BatchReply *
s_batch (mfx_t *m, const char *region)
{
    Kj__BatchRequest request = KJ__BATCH_REQUEST__INIT;
    Kj__Batch batch = KJ__BATCH__INIT;
    batch.region = (char *) region;
    request.batch = &batch;
    Kj__BatchReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (s_call (m, "MatchBatch", &request.base,
                              &kj__batch_reply__descriptor, &reply, &status),
                      0);
    assert_int_equal (reply->batch->state, KJ__BATCH_STATE__BATCH_QUEUED);
    Kj__GetBatchRequest get = KJ__GET_BATCH_REQUEST__INIT;
    get.id = strdup (reply->batch->id);
    kj__batch_reply__free_unpacked (reply, NULL);
    int64_t until = kj_mono_us () + 20000000;
    while (kj_mono_us () < until) {
        assert_int_equal (s_call (m, "GetBatch", &get.base,
                                  &kj__batch_reply__descriptor, &reply,
                                  &status),
                          0);
        if (reply->batch->state == KJ__BATCH_STATE__BATCH_DONE)
            break;
        kj__batch_reply__free_unpacked (reply, NULL);
        reply = NULL;
        zclock_sleep (50);
    }
    free (get.id);
    assert_non_null (reply);
    return reply;
}

//  Wait until demand's proposals come from a source starting with
//  prefix; its products then (caller frees)
static char *
s_rematched (mfx_t *m, const char *demand, const char *prefix)
{
    int64_t until = kj_mono_us () + 20000000;
    while (kj_mono_us () < until) {
        char *source = s_text (m,
                               "SELECT source FROM demand_match "
                               "WHERE demand_id = $1",
                               demand);
        bool done = strncmp (source, prefix, strlen (prefix)) == 0;
        free (source);
        if (done)
            return s_text (m,
                           "SELECT products FROM demand_match "
                           "WHERE demand_id = $1",
                           demand);
        zclock_sleep (50);
    }
    fail_msg ("demand %s was not re-matched by %s", demand, prefix);
    return NULL;
}

//  Wait until no event arrives and no re-matching is due for 1.5 s
static void
s_quiet (mfx_t *m)
{
    int64_t until = kj_mono_us () + 30000000;
    int64_t since = kj_mono_us ();
    uint64_t events = UINT64_MAX;
    while (kj_mono_us () < until) {
        Kj__ModelRequest request = KJ__MODEL_REQUEST__INIT;
        Kj__ModelReply *reply = NULL;
        kj_status_t status;
        assert_int_equal (s_call (m, "Model", &request.base,
                                  &kj__model_reply__descriptor, &reply,
                                  &status),
                          0);
        if (reply->events != events || reply->rematch_pending) {
            events = reply->events;
            since = kj_mono_us ();
        }
        kj__model_reply__free_unpacked (reply, NULL);
        if (kj_mono_us () - since > 1500000)
            return;
        zclock_sleep (50);
    }
    fail_msg ("matching never went quiet");
}

//  Match's ranking of a demand as "P1,P2" (caller frees)
static char *
s_match_list (mfx_t *m, const char *demand)
{
    Kj__MatchRequest match = KJ__MATCH_REQUEST__INIT;
    match.demand_id = (char *) demand;
    Kj__MatchReply *matched = NULL;
    kj_status_t status;
    assert_int_equal (s_call (m, "Match", &match.base,
                              &kj__match_reply__descriptor, &matched, &status),
                      0);
    char *list = calloc (1, 400);
    for (size_t i = 0; i < matched->n_products; i++)
        snprintf (list + strlen (list), 400 - strlen (list), "%s%s",
                  i ? "," : "", matched->products [i]->product_id);
    kj__match_reply__free_unpacked (matched, NULL);
    return list;
}

//  Batch matching of a region and of every city; re-matching of only the
//  demands a product's or an enterprise's change affects, driven by the
//  registry's events through the read model
static void
test_batch_and_rematch (void **state)
{
    (void) state;
    mfx_t m;
    s_start (&m);
    char anshan [19], dalian [19];
    s_world (&m, anshan);
    s_enterprise_in (&m, "210200", 5151, dalian);
    char d1 [16], d2 [16];
    s_demand (&m, anshan, NULL, d1);
    s_demand (&m, dalian, NULL, d2);
    s_quiet (&m);  //  the setup's own events re-matched, if at all

    //  Bad input: a district code, too many per demand
    Kj__BatchRequest bad = KJ__BATCH_REQUEST__INIT;
    Kj__Batch batch = KJ__BATCH__INIT;
    batch.region = "210102";
    bad.batch = &batch;
    Kj__BatchReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (s_call (&m, "MatchBatch", &bad.base,
                              &kj__batch_reply__descriptor, &reply, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "batch.region");
    batch.region = "";
    batch.top = 21;
    assert_int_equal (s_call (&m, "MatchBatch", &bad.base,
                              &kj__batch_reply__descriptor, &reply, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "batch.top");

    //  The metro area: the Anshan demand only, with Match's ranking
    reply = s_batch (&m, "SHENYANG_METRO");
    assert_int_equal (reply->batch->demands, 1);
    assert_int_equal (reply->batch->matched, 1);
    kj__batch_reply__free_unpacked (reply, NULL);
    char *products = s_text (&m,
                             "SELECT products FROM demand_match "
                             "WHERE demand_id = $1",
                             d1);
    char *ranking = s_match_list (&m, d1);
    assert_string_equal (ranking, "SY2,SY1,DL2");
    assert_string_equal (products, ranking);
    free (ranking);
    free (products);
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM demand_match "
                                  "WHERE source = 'B000001'"),
                      1);
    //  Every city: both
    reply = s_batch (&m, "");
    assert_int_equal (reply->batch->demands, 2);
    kj__batch_reply__free_unpacked (reply, NULL);
    products = s_text (&m,
                       "SELECT products FROM demand_match WHERE demand_id = $1",
                       d2);
    ranking = s_match_list (&m, d2);
    assert_string_equal (products, ranking);
    assert_int_equal (strlen (ranking), strlen ("DL1,DL2"));
    free (ranking);
    free (products);
    assert_int_equal (s_events (&m, "matching.batch.finished"), 2);

    //  SY1 withdrawn: the Anshan demand re-matched without it, the Dalian
    //  one (never served by SY1) left alone; Match sees it too
    Kj__WithdrawProductRequest withdraw = KJ__WITHDRAW_PRODUCT_REQUEST__INIT;
    withdraw.id = "SY1";
    withdraw.reason = "test";
    Kj__ProductReply *product = NULL;
    assert_int_equal (rfx_call (&m.fx, "WithdrawProduct", &withdraw.base,
                                &kj__product_reply__descriptor, &product,
                                &status, NULL, false),
                      0);
    kj__product_reply__free_unpacked (product, NULL);
    //  How fresh: the withdrawal in Match's read model, then re-matched
    int64_t withdrawn_at = kj_mono_us ();
    char *seen = s_match_list (&m, d1);
    while (strstr (seen, "SY1")) {
        free (seen);
        assert_true (kj_mono_us () - withdrawn_at < 20000000);
        zclock_sleep (5);
        seen = s_match_list (&m, d1);
    }
    free (seen);
    printf ("model: the withdrawal seen by Match after %.0f ms\n",
            (kj_mono_us () - withdrawn_at) / 1000.0);
    products = s_rematched (&m, d1, "product SY1");
    printf ("model: the demand re-matched after %.0f ms\n",
            (kj_mono_us () - withdrawn_at) / 1000.0);
    assert_string_equal (products, "SY2,DL2");
    free (products);
    char *source = s_text (&m,
                           "SELECT source FROM demand_match "
                           "WHERE demand_id = $1",
                           d2);
    assert_string_equal (source, "B000002");
    free (source);
    ranking = s_match_list (&m, d1);
    assert_string_equal (ranking, "SY2,DL2");
    free (ranking);

    //  The Dalian firm put on the dishonest list: its demand re-matched
    //  to nothing, the Anshan one left alone
    Kj__UpdateEnterpriseRequest update = KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__CreditFlags credit = KJ__CREDIT_FLAGS__INIT;
    credit.dishonest = true;
    e.code = dalian;
    e.credit = &credit;
    char *mask [] = { "credit.dishonest" };
    update.enterprise = &e;
    update.update_mask = mask;
    update.n_update_mask = 1;
    Kj__EnterpriseReply *updated = NULL;
    assert_int_equal (rfx_call (&m.fx, "UpdateEnterprise", &update.base,
                                &kj__enterprise_reply__descriptor, &updated,
                                &status, NULL, false),
                      0);
    kj__enterprise_reply__free_unpacked (updated, NULL);
    char prefix [40];
    snprintf (prefix, sizeof prefix, "enterprise %s", dalian);
    products = s_rematched (&m, d2, prefix);
    assert_string_equal (products, "");
    free (products);
    source = s_text (&m, "SELECT source FROM demand_match WHERE demand_id = $1",
                     d1);
    assert_string_equal (source, "product SY1");
    free (source);
    assert_true (s_events (&m, "matching.demands.rematched") >= 2);
    s_stop (&m);
}

//  Link application to investor; the status code
static int
s_link (mfx_t *m, const char *application, const char *investor, int stake,
        kj_status_t *status)
{
    Kj__LinkRequest request = KJ__LINK_REQUEST__INIT;
    Kj__Linkage l = KJ__LINKAGE__INIT;
    l.application_id = (char *) application;
    l.investor_id = (char *) investor;
    l.equity_fen = 500 * WAN;
    l.stake_bp = stake;
    request.linkage = &l;
    Kj__LinkageReply *reply = NULL;
    int rc = s_call (m, "Link", &request.base, &kj__linkage_reply__descriptor,
                     &reply, status);
    if (reply)
        kj__linkage_reply__free_unpacked (reply, NULL);
    return rc;
}

//  Respond to a roadshow; the status code
static int
s_respond (mfx_t *m, const char *roadshow, const char *institution,
           Kj__RoadshowResponse response, kj_status_t *status)
{
    Kj__RespondRequest request = KJ__RESPOND_REQUEST__INIT;
    request.roadshow_id = (char *) roadshow;
    request.institution_id = (char *) institution;
    request.response = response;
    request.note = "send the audited accounts";
    Kj__RoadshowReply *reply = NULL;
    int rc = s_call (m, "Respond", &request.base,
                     &kj__roadshow_reply__descriptor, &reply, status);
    if (reply)
        kj__roadshow_reply__free_unpacked (reply, NULL);
    return rc;
}

//  Investment-loan linkage on a start-up's loan, and a roadshow before
//  two banks with their responses; bad input named, nothing stored
static void
test_linkage_and_roadshow (void **state)
{
    (void) state;
    mfx_t m;
    s_start (&m);
    char code [19];
    s_world (&m, code);
    s_institution_of (&m, "VC1", "盛京创投",
                      KJ__INSTITUTION_TYPE__INSTITUTION_VC);
    //  A demand seeking linkage, and one that does not
    Kj__AddDemandRequest add = KJ__ADD_DEMAND_REQUEST__INIT;
    Kj__Demand d = KJ__DEMAND__INIT;
    d.enterprise_code = code;
    d.amount_fen = 200 * WAN;
    d.term_months = 12;
    d.instrument = KJ__MATCHING_INSTRUMENT__MATCHING_LOAN;
    d.linkage = true;
    add.demand = &d;
    Kj__DemandReply *posted = NULL;
    kj_status_t status;
    assert_int_equal (s_call (&m, "AddDemand", &add.base,
                              &kj__demand_reply__descriptor, &posted, &status),
                      0);
    char linked [16], plain [16], a1 [16], a2 [16];
    snprintf (linked, sizeof linked, "%s", posted->demand->id);
    kj__demand_reply__free_unpacked (posted, NULL);
    s_demand (&m, code, NULL, plain);
    uint64_t version;
    assert_int_equal (s_apply (&m, linked, "SY2", NULL, a1, &version, &status),
                      0);
    assert_int_equal (s_apply (&m, plain, "SY2", NULL, a2, &version, &status),
                      0);

    //  Linkage: a bank is no investor; a stake out of range; a demand
    //  that did not ask; then the offer, once
    assert_int_equal (s_link (&m, a1, "SYB", 1000, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "linkage.investor_id");
    assert_int_equal (s_link (&m, a1, "VC1", 10001, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "linkage.stake_bp");
    assert_int_equal (s_link (&m, a1, "NOSUCH", 1000, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "linkage.investor_id");
    assert_int_equal (s_link (&m, a2, "VC1", 1000, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "linkage.application_id");
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM linkage"), 0);
    assert_int_equal (s_link (&m, a1, "VC1", 1000, &status), 0);
    assert_int_equal (s_link (&m, a1, "VC1", 1000, &status),
                      KJ__CODE__ALREADY_EXISTS);
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM linkage"), 1);
    assert_int_equal (s_events (&m, "matching.linkage.offered"), 1);

    //  A roadshow: a past date, an unknown institution, one named twice
    Kj__AddRoadshowRequest request = KJ__ADD_ROADSHOW_REQUEST__INIT;
    Kj__Roadshow r = KJ__ROADSHOW__INIT;
    Kj__RoadshowInvitee syb = KJ__ROADSHOW_INVITEE__INIT,
                        dlb = KJ__ROADSHOW_INVITEE__INIT;
    syb.institution_id = "SYB";
    dlb.institution_id = "DLB";
    Kj__RoadshowInvitee *invitees [] = { &syb, &dlb };
    r.demand_id = plain;
    r.on_date = "2020-01-01";
    r.invitees = invitees;
    r.n_invitees = 2;
    request.roadshow = &r;
    Kj__RoadshowReply *shown = NULL;
    assert_int_equal (s_call (&m, "AddRoadshow", &request.base,
                              &kj__roadshow_reply__descriptor, &shown, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "roadshow.on_date");
    r.on_date = "2099-06-01";
    dlb.institution_id = "NOSUCH";
    assert_int_equal (s_call (&m, "AddRoadshow", &request.base,
                              &kj__roadshow_reply__descriptor, &shown, &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "roadshow.invitees.institution_id");
    dlb.institution_id = "SYB";
    assert_int_equal (s_call (&m, "AddRoadshow", &request.base,
                              &kj__roadshow_reply__descriptor, &shown, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM roadshow"), 0);
    dlb.institution_id = "DLB";
    assert_int_equal (s_call (&m, "AddRoadshow", &request.base,
                              &kj__roadshow_reply__descriptor, &shown, &status),
                      0);
    char roadshow [16];
    snprintf (roadshow, sizeof roadshow, "%s", shown->roadshow->id);
    assert_int_equal (shown->roadshow->n_invitees, 2);
    assert_int_equal (shown->roadshow->invitees [0]->response,
                      KJ__ROADSHOW_RESPONSE__ROADSHOW_RESPONSE_UNSPECIFIED);
    kj__roadshow_reply__free_unpacked (shown, NULL);

    //  Responses: only from those invited, only a real answer
    assert_int_equal (s_respond (&m, roadshow, "VC1",
                                 KJ__ROADSHOW_RESPONSE__ROADSHOW_INTERESTED,
                                 &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "institution_id");
    assert_int_equal (
        s_respond (&m, roadshow, "SYB",
                   KJ__ROADSHOW_RESPONSE__ROADSHOW_RESPONSE_UNSPECIFIED,
                   &status),
        KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (s_respond (&m, roadshow, "SYB",
                                 KJ__ROADSHOW_RESPONSE__ROADSHOW_NEEDS_INFO,
                                 &status),
                      0);
    Kj__GetRoadshowRequest get = KJ__GET_ROADSHOW_REQUEST__INIT;
    get.id = roadshow;
    assert_int_equal (s_call (&m, "GetRoadshow", &get.base,
                              &kj__roadshow_reply__descriptor, &shown, &status),
                      0);
    assert_string_equal (shown->roadshow->invitees [1]->institution_id, "SYB");
    assert_int_equal (shown->roadshow->invitees [1]->response,
                      KJ__ROADSHOW_RESPONSE__ROADSHOW_NEEDS_INFO);
    assert_true (shown->roadshow->invitees [1]->responded_at_us > 0);
    assert_int_equal (shown->roadshow->invitees [0]->response,
                      KJ__ROADSHOW_RESPONSE__ROADSHOW_RESPONSE_UNSPECIFIED);
    kj__roadshow_reply__free_unpacked (shown, NULL);
    assert_int_equal (s_events (&m, "matching.roadshow.scheduled"), 1);
    assert_int_equal (s_events (&m, "matching.roadshow.responded"), 1);

    //  The same through the CLI
    int exit_code;
    char args [120];
    snprintf (args, sizeof args, "roadshow show %s", roadshow);
    char *out = s_cli (&m, args, &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "needs_info"));
    free (out);
    snprintf (args, sizeof args, "roadshow respond %s DLB declined", roadshow);
    out = s_cli (&m, args, &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "declined"));
    free (out);
    out = s_cli (&m, "match report --by institution", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "SYB"));
    free (out);
    out = s_cli (&m, "match model", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "6 products"));
    free (out);
    out = s_cli (&m, "match batch SHENYANG_METRO", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "B000001"));
    free (out);
    out = s_cli (&m, "match batch 210102", &exit_code);
    assert_int_not_equal (exit_code, 0);
    free (out);
    s_stop (&m);
}

//  --------------------------------------------------------------------------
//  Hostile requests: every request message of proto/matching.proto filled
//  field by field, nested messages and repeated fields too, with values
//  that exist (ids of the world below) and values that cannot

#define FUZZ_CALLS 1500

static const char *s_fuzz_strings [] = { "",
                                         "D000001",
                                         "D000002",
                                         "A000001",
                                         "A000002",
                                         "B000001",
                                         "R000001",
                                         "L000001",
                                         "SY1",
                                         "SY2",
                                         "DL1",
                                         "RN1",
                                         "SYB",
                                         "DLB",
                                         "VC1",
                                         "NOPE",
                                         "210300",
                                         "210102",
                                         "SFDZ",
                                         "SHENYANG_METRO",
                                         "PROVINCE",
                                         "city",
                                         "stage",
                                         "institution",
                                         "2026-12-31",
                                         "2099-06-01",
                                         "2020-01-01",
                                         "2026-02-30",
                                         "9999-99-99",
                                         "x'); DROP "
                                         "TABLE demand; --",
                                         "\xff\xfe",
                                         "a\x01b",
                                         "鞍山初创科技",
                                         NULL,
                                         /* the code */ NULL };
static const int64_t s_fuzz_numbers [] = {
    0,         1,         -1,        12,        360,     361,
    10000,     10001,     100,       1000000,   5000000, 500000000,
    INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 20,      21
};

//  Freed after each call
typedef struct {
    void *blocks [4096];
    size_t n;
} s_arena_t;

static void *
s_arena_alloc (s_arena_t *arena, size_t size)
{
    void *block = calloc (1, size ? size : 1);
    assert_non_null (block);
    if (arena->n < 4096)
        arena->blocks [arena->n++] = block;
    return block;
}

static const char *
s_fuzz_string (s_arena_t *arena, const char *code)
{
    size_t known = sizeof s_fuzz_strings / sizeof s_fuzz_strings [0] - 1;
    int pick = randof ((int) known + 4);
    if ((size_t) pick < known)
        return s_fuzz_strings [pick] ? s_fuzz_strings [pick] : code;
    size_t length = pick == (int) known + 3 ? 5000 : (size_t) randof (300);
    char *junk = s_arena_alloc (arena, length + 1);
    for (size_t i = 0; i < length; i++)
        junk [i] = (char) (pick == (int) known + 2 ? 0x80 + randof (0x7F)
                                                   : 0x20 + randof (0x5F));
    return junk;
}

static int64_t
s_fuzz_number (void)
{
    size_t known = sizeof s_fuzz_numbers / sizeof s_fuzz_numbers [0];
    int pick = randof ((int) known + 4);
    return (size_t) pick < known ? s_fuzz_numbers [pick]
                                 : (int64_t) randof (40) - 5;
}

static void
s_fuzz_fill (ProtobufCMessage *message, s_arena_t *arena, const char *code,
             int depth);

//  One value of a field's type at at (a message in a list never NULL)
static void
s_fuzz_value (const ProtobufCFieldDescriptor *field, void *at, s_arena_t *arena,
              const char *code, int depth)
{
    bool listed = field->label == PROTOBUF_C_LABEL_REPEATED;
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_ENUM:
            *(int32_t *) at = field->type == PROTOBUF_C_TYPE_ENUM
                                ? randof (24) - 2
                                : (int32_t) s_fuzz_number ();
            break;
        case PROTOBUF_C_TYPE_UINT32:
            *(uint32_t *) at = (uint32_t) s_fuzz_number ();
            break;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_UINT64:
            *(int64_t *) at = s_fuzz_number ();
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *) at = randof (2);
            break;
        case PROTOBUF_C_TYPE_STRING:
            *(const char **) at = s_fuzz_string (arena, code);
            break;
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessageDescriptor *type = field->descriptor;
            ProtobufCMessage *inner = NULL;
            if (listed || (depth < 3 && randof (8))) {
                inner = s_arena_alloc (arena, type->sizeof_message);
                protobuf_c_message_init (type, inner);
                s_fuzz_fill (inner, arena, code, depth + 1);
            }
            *(ProtobufCMessage **) at = inner;
            break;
        }
        default:
            break;
    }
}

//  Every field of message: scalars, nested messages, repeated ones (0
//  to 3 values, sometimes 60)
static void
s_fuzz_fill (ProtobufCMessage *message, s_arena_t *arena, const char *code,
             int depth)
{
    const ProtobufCMessageDescriptor *type = message->descriptor;
    for (unsigned i = 0; i < type->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &type->fields [i];
        void *at = (char *) message + field->offset;
        if (field->label != PROTOBUF_C_LABEL_REPEATED) {
            if (randof (6))
                s_fuzz_value (field, at, arena, code, depth);
            continue;
        }
        size_t n = randof (10) == 0 ? 60 : (size_t) randof (4);
        size_t size = field->type == PROTOBUF_C_TYPE_STRING
                           || field->type == PROTOBUF_C_TYPE_MESSAGE
                        ? sizeof (void *)
                    : field->type == PROTOBUF_C_TYPE_INT64
                              || field->type == PROTOBUF_C_TYPE_UINT64
                        ? 8
                        : 4;
        char *values = s_arena_alloc (arena, n * size);
        for (size_t v = 0; v < n; v++)
            s_fuzz_value (field, values + v * size, arena, code, depth);
        *(size_t *) ((char *) message + field->quantifier_offset) = n;
        *(void **) at = values;
    }
}

static void
test_hostile_requests (void **state)
{
    (void) state;
    mfx_t m;
    s_start (&m);
    char code [19];
    s_world (&m, code);
    char demand [16], application [16];
    uint64_t version;
    kj_status_t status;
    s_demand (&m, code, NULL, demand);
    assert_int_equal (s_apply (&m, demand, "SY2", NULL, application, &version,
                               &status),
                      0);
    const ProtobufCServiceDescriptor *service = &kj__matching__descriptor;
    int codes [17] = { 0 };
    for (int n = 0; n < FUZZ_CALLS; n++) {
        //  Each method once with nothing set, then at random
        const ProtobufCMethodDescriptor *method =
            &service->methods [n < (int) service->n_methods
                                   ? (unsigned) n
                                   : (unsigned) randof (service->n_methods)];
        s_arena_t arena = { .n = 0 };
        ProtobufCMessage
            *request = s_arena_alloc (&arena, method->input->sizeof_message);
        protobuf_c_message_init (method->input, request);
        if (n >= (int) service->n_methods)
            s_fuzz_fill (request, &arena, code, 0);
        ProtobufCMessage *reply = NULL;
        int rc = s_call (&m, method->name, request, method->output, &reply,
                         &status);
        if (reply)
            protobuf_c_message_free_unpacked (reply, NULL);
        for (size_t i = 0; i < arena.n; i++)
            free (arena.blocks [i]);
        if (rc == KJ__CODE__INTERNAL || rc == KJ__CODE__UNAVAILABLE
            || rc == KJ__CODE__DEADLINE_EXCEEDED || rc < 0 || rc > 16)
            fprintf (stderr, "%s: %s (%s) %s\n", method->name,
                     kj_code_name (rc), status.field, status.message);
        assert_true (rc >= 0 && rc <= 16);
        assert_int_not_equal (rc, KJ__CODE__INTERNAL);
        assert_int_not_equal (rc, KJ__CODE__UNAVAILABLE);
        assert_int_not_equal (rc, KJ__CODE__DEADLINE_EXCEEDED);
        if (rc == KJ__CODE__INVALID_ARGUMENT || rc == KJ__CODE__OUT_OF_RANGE)
            assert_true (*status.field);
        codes [rc]++;
    }
    printf ("fuzz: %d calls: OK %d, INVALID_ARGUMENT %d, OUT_OF_RANGE %d, "
            "NOT_FOUND %d, ALREADY_EXISTS %d, FAILED_PRECONDITION %d, "
            "ABORTED %d\n",
            FUZZ_CALLS, codes [0], codes [3], codes [11], codes [5], codes [6],
            codes [9], codes [10]);
    //  Still serving, and what was there still there
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM application "
                                  "WHERE id = 'A000001'"),
                      1);
    char *ranking = s_match_list (&m, demand);
    assert_true (strlen (ranking) > 0);
    free (ranking);
    s_stop (&m);
}

//  Issue 14's "done when", through the CLI: a demand for an Anshan
//  start-up, ranked products of Shenyang institutions with reasons, why
//  a Dalian-only product is excluded, applied, approved as the bank, and
//  each step in `kejin events tail`
static void
test_done_when (void **state)
{
    (void) state;
    mfx_t m;
    s_start_with (&m, "matching/relay=true");
    char code [19];
    s_world (&m, code);
    //  The world's records applied and re-matched before the walk, so the
    //  walk's five events are the only matching.* ones after the demand
    s_quiet (&m);
    int exit_code;
    char args [300];
    snprintf (args, sizeof args,
              "demand add --enterprise %s --amount 200万 --term 12", code);
    char *out = s_cli (&m, args, &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "D000001"));
    free (out);
    out = s_cli (&m, "match D000001 --why-not DL1", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "沈阳银行"));
    assert_non_null (strstr (out, "(region)"));
    free (out);
    out = s_cli (&m, "application apply D000001 SY2", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "A000001"));
    free (out);
    out = s_cli (&m, "application move A000001 under_review", &exit_code);
    assert_int_equal (exit_code, 0);
    free (out);
    out = s_cli (&m,
                 "application move A000001 approved --amount 200万 "
                 "--rate 3.5 --term 12",
                 &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (out, "approved"));
    free (out);
    //  Every step in the log: posted, proposed, applied, reviewed,
    //  approved
    snprintf (args, sizeof args,
              "events tail --from 0 --topic matching. --count 5 --pub %s "
              "--offset-file %s/tail.offset",
              m.fx.broker.pub, kj_test_tmpdir ());
    out = s_cli (&m, args, &exit_code);
    assert_int_equal (exit_code, 0);
    const char *steps [] = { "matching.demand.posted",
                             "matching.match.proposed",
                             "matching.application.changed", NULL };
    for (int i = 0; steps [i]; i++)
        if (!strstr (out, steps [i]))
            fail_msg ("no %s in:\n%s", steps [i], out);
    int changes = 0;
    for (const char *at = strstr (out, "matching.application.changed"); at;
         at = strstr (at + 1, "matching.application.changed"))
        changes++;
    assert_int_equal (changes, 3);
    free (out);
    s_stop (&m);
}

//  --------------------------------------------------------------------------
//  A Match is stored before it is answered: kejin-matching killed (-9)
//  the moment the answer arrives loses nothing of it - the match, its
//  rows in rank order, the demand MATCHED, its event and its idempotency
//  key, whose replay after a restart is the same answer. (Only a crash of
//  PostgreSQL itself could lose a Match whose commit was not yet flushed:
//  docs/rules/matching.md §6.1.)

static void
test_match_killed_after_answer (void **state)
{
    (void) state;
    mfx_t m;
    s_start (&m);
    char code [19], demand [16];
    s_world (&m, code);
    s_demand (&m, code, NULL, demand);
    Kj__MatchRequest request = KJ__MATCH_REQUEST__INIT;
    request.demand_id = demand;
    const char *key = "test-match-killed-after-answer";
    kj_call_opts_t opts = { .timeout_ms = 10000, .idempotency_key = key };
    Kj__MatchReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (kj_client_call (m.client, "matching", "Match",
                                      &request.base,
                                      &kj__match_reply__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      &opts),
                      0);
    kj_test_kill (m.matching, SIGKILL, 10000);
    assert_true (reply->n_products >= 2);

    const char *id = reply->match_id;
    PGresult *res = kj_db_exec (m.db,
                                "SELECT product_id FROM match_product "
                                "WHERE match_id = $1 ORDER BY rank",
                                1, (const char *[]){ id });
    assert_non_null (res);
    assert_int_equal (PQntuples (res), (int) reply->n_products);
    for (size_t i = 0; i < reply->n_products; i++)
        assert_string_equal (PQgetvalue (res, (int) i, 0),
                             reply->products [i]->product_id);
    PQclear (res);
    assert_int_equal (s_text_count (&m,
                                    "SELECT count (*) FROM match WHERE id = $1 "
                                    "AND demand_id = $2",
                                    id, demand),
                      1);
    assert_int_equal (s_text_count (&m,
                                    "SELECT count (*) FROM demand WHERE id = "
                                    "$1 AND state = 2 AND $2 <> ''",
                                    demand, id),
                      1);
    assert_int_equal (s_text_count (&m,
                                    "SELECT count (*) FROM kj_outbox WHERE "
                                    "topic = 'matching.match.proposed' AND "
                                    "key = $1 AND $2 <> ''",
                                    demand, id),
                      1);

    //  Started again: the same key gives the first answer, nothing new
    char pub [200];
    snprintf (pub, sizeof pub, "node/pub=%s", m.fx.broker.pub);
    const char *extra [] = { "-s", "matching/relay=false", "-s", pub, NULL };
    m.matching = kj_daemon_start ("matching", &m.fx.broker, m.fx.dsn, extra);
    assert_true (m.matching > 0);
    Kj__MatchReply *again = NULL;
    assert_int_equal (kj_client_call (m.client, "matching", "Match",
                                      &request.base,
                                      &kj__match_reply__descriptor,
                                      (ProtobufCMessage **) &again, &status,
                                      &opts),
                      0);
    assert_string_equal (again->match_id, id);
    assert_int_equal (s_rows (&m, "SELECT count (*) FROM match"), 1);
    kj__match_reply__free_unpacked (again, NULL);
    kj__match_reply__free_unpacked (reply, NULL);
    s_stop (&m);
}

//  What a Match stores, row for row, for the world of s_world (the
//  golden rows below were those of the code before the ranking read its
//  compact candidates, and before the audit image), and its audit row:
//  the decision and its versions, not the reply's text
static void
test_match_stored_rows (void **state)
{
    (void) state;
    mfx_t m;
    s_start (&m);
    char code [19], demand [16];
    s_world (&m, code);
    s_demand (&m, code, NULL, demand);
    Kj__MatchRequest request = KJ__MATCH_REQUEST__INIT;
    request.demand_id = demand;
    request.why_not = "DL1";
    Kj__MatchReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (s_call (&m, "Match", &request.base,
                              &kj__match_reply__descriptor, &reply, &status),
                      0);
    static const char *golden [] = {
        "1|SY2|1|96666000|rate 100.0%, amount 100.0%, collateral-free "
        "100.0%, policy 100.0%, decision time 66.6%|SYB|t",
        "2|SY1|1|61666000|rate 50.0%, amount 100.0%, collateral-free 100.0%, "
        "policy 0.0%, decision time 66.6%|SYB|t",
        "3|DL2|1|46666000|rate 0.0%, amount 100.0%, collateral-free 100.0%, "
        "policy 0.0%, decision time 66.6%|DLB|f"
    };
    size_t rows = sizeof golden / sizeof golden [0];
    PGresult *res = kj_db_exec (
        m.db,
        "SELECT concat_ws ('|', rank, product_id, product_version, score, "
        "explanation, institution_id, intercity) FROM match_product "
        "WHERE match_id = $1 ORDER BY rank",
        1, (const char *[]){ reply->match_id });
    assert_non_null (res);
    for (int i = 0; i < PQntuples (res); i++)
        printf ("  stored: %s\n", PQgetvalue (res, i, 0));
    assert_int_equal (PQntuples (res), (int) rows);
    for (size_t i = 0; i < rows; i++)
        assert_string_equal (PQgetvalue (res, (int) i, 0), golden [i]);
    PQclear (res);

    //  The audit row: the same decision, 3 fields a product
    char expected [2048];
    size_t at = (size_t) snprintf (
        expected, sizeof expected,
        "{\"match_id\": \"%s\", \"demand_id\": \"%s\", \"candidates\": %u, "
        "\"rules_version\": \"matching-1\", \"enterprise_version\": %" PRIu64
        ", \"why_not\": \"DL1\", \"why_not_eligible\": false, "
        "\"why_not_codes\": [\"region\"], \"products\": [",
        reply->match_id, demand, reply->candidates, reply->enterprise_version);
    for (size_t i = 0; i < reply->n_products; i++)
        at += (size_t) snprintf (expected + at, sizeof expected - at,
                                 "%s{\"product_id\": \"%s\", "
                                 "\"product_version\": %" PRIu64
                                 ", \"score\": %" PRId64 "}",
                                 i ? ", " : "", reply->products [i]->product_id,
                                 reply->products [i]->product_version,
                                 reply->products [i]->score);
    snprintf (expected + at, sizeof expected - at, "]}");
    char object [40];
    snprintf (object, sizeof object, "demand %s", demand);
    res = kj_db_exec (m.db,
                      "SELECT after::text, after = $1::jsonb, object FROM "
                      "matching_audit.trail WHERE method = 'Match' "
                      "ORDER BY id DESC LIMIT 1",
                      1, (const char *[]){ expected });
    assert_non_null (res);
    assert_int_equal (PQntuples (res), 1);
    printf ("  audit after: %s\n", PQgetvalue (res, 0, 0));
    assert_string_equal (PQgetvalue (res, 0, 1), "t");
    assert_string_equal (PQgetvalue (res, 0, 2), object);
    PQclear (res);

    //  The rows are arrays of the match's row (sql/005): one length for
    //  all and no NULL element, or the match is refused, so that the view
    //  match_product gives whole rows only
    static const char *broken [] = { "'{P1,P2}', '{1,1}', '{1}'",
                                     "'{P1,P2}', '{1,NULL}', '{1,1}'" };
    for (size_t i = 0; i < 2; i++) {
        char *sql = zsys_sprintf (
            "INSERT INTO match (id, demand_id, rules_version, "
            "enterprise_version, weights, candidates, product_ids, "
            "product_versions, scores, explanations, institution_ids, "
            "intercity) VALUES ('MX', $1, 'r', 1, 'w', 2, %s, '{a,b}', "
            "'{I,I}', '{t,t}')",
            broken [i]);
        res = kj_db_exec (m.db, sql, 1, (const char *[]){ demand });
        assert_null (res);
        assert_string_equal (kj_db_sqlstate (m.db), "23514");
        zstr_free (&sql);
    }
    kj__match_reply__free_unpacked (reply, NULL);
    s_stop (&m);
}

//  The matched product SY1 of a Match of demand: its version and rate
static void
s_match_sy1 (mfx_t *m, const char *demand, uint64_t *version, int *rate_bp,
             char match_id [16])
{
    Kj__MatchRequest request = KJ__MATCH_REQUEST__INIT;
    request.demand_id = (char *) demand;
    Kj__MatchReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (s_call (m, "Match", &request.base,
                              &kj__match_reply__descriptor, &reply, &status),
                      0);
    *version = 0;
    for (size_t i = 0; i < reply->n_products; i++)
        if (streq (reply->products [i]->product_id, "SY1")) {
            *version = reply->products [i]->product_version;
            *rate_bp = reply->products [i]->rate_bp;
        }
    snprintf (match_id, 16, "%s", reply->match_id);
    kj__match_reply__free_unpacked (reply, NULL);
    assert_true (*version > 0);
}

//  The log's head now (events Info)
static uint64_t
s_head (mfx_t *m)
{
    Kj__EventsInfoRequest request = KJ__EVENTS_INFO_REQUEST__INIT;
    Kj__EventsInfo *info = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .timeout_ms = 10000 };
    assert_int_equal (kj_client_call (m->client, "events", "Info",
                                      &request.base,
                                      &kj__events_info__descriptor,
                                      (ProtobufCMessage **) &info, &status,
                                      &opts),
                      0);
    uint64_t head = info->head;
    kj__events_info__free_unpacked (info, NULL);
    return head;
}

//  The offset of the first event after `after` with key `key` under
//  prefix, once kejin-events has it (waits up to 20 s)
static uint64_t
s_event_offset (mfx_t *m, uint64_t after, const char *prefix, const char *key)
{
    int64_t until = kj_mono_us () + 20000000;
    char *prefixes [] = { (char *) prefix };
    while (kj_mono_us () < until) {
        Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
        request.from_offset = after + 1;
        request.prefixes = prefixes;
        request.n_prefixes = 1;
        Kj__ReplayReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .timeout_ms = 10000 };
        assert_int_equal (kj_client_call (m->client, "events", "Replay",
                                          &request.base,
                                          &kj__replay_reply__descriptor,
                                          (ProtobufCMessage **) &reply, &status,
                                          &opts),
                          0);
        uint64_t offset = 0;
        for (size_t i = 0; i < reply->n_events && !offset; i++)
            if (streq (reply->events [i]->key, key))
                offset = reply->events [i]->offset;
        kj__replay_reply__free_unpacked (reply, NULL);
        if (offset)
            return offset;
        zclock_sleep (5);
    }
    fail_msg ("no %s event for %s in the log", prefix, key);
    return 0;
}

//  Freshness (docs/rules/matching.md §6): a product changed in the
//  registry is in Match's decision, with its new version recorded, by the
//  first Match after the read model reports the change's event applied
//  (Model's registry_next beyond its offset); nothing in between serves
//  an older copy
static void
test_match_sees_a_change (void **state)
{
    (void) state;
    mfx_t m;
    s_start (&m);
    char code [19], demand [16], match_id [16];
    s_world (&m, code);
    s_demand (&m, code, NULL, demand);
    uint64_t version = 0;
    int rate = 0;
    s_match_sy1 (&m, demand, &version, &rate, match_id);
    assert_int_equal (rate, 400);

    //  SY1's rate changed, and Match asked again as soon as the model
    //  has the change's offset: the new version, the new rate, recorded
    uint64_t head = s_head (&m);
    Kj__UpdateProductRequest update = KJ__UPDATE_PRODUCT_REQUEST__INIT;
    Kj__Product changes = KJ__PRODUCT__INIT;
    char *mask [] = { "rate_bp" };
    changes.id = "SY1";
    changes.rate_bp = 250;
    update.product = &changes;
    update.update_mask = mask;
    update.n_update_mask = 1;
    update.expected_version = version;
    Kj__ProductReply *product = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (&m.fx, "UpdateProduct", &update.base,
                                &kj__product_reply__descriptor, &product,
                                &status, NULL, false),
                      0);
    uint64_t changed = product->product->version;
    kj__product_reply__free_unpacked (product, NULL);
    assert_true (changed > version);
    int64_t updated_at = kj_mono_us ();
    uint64_t offset = s_event_offset (&m, head, "registry.product.", "SY1");
    uint64_t next = 0;
    while (next <= offset) {
        assert_true (kj_mono_us () - updated_at < 20000000);
        Kj__ModelRequest ask = KJ__MODEL_REQUEST__INIT;
        Kj__ModelReply *model = NULL;
        assert_int_equal (s_call (&m, "Model", &ask.base,
                                  &kj__model_reply__descriptor, &model,
                                  &status),
                          0);
        next = model->registry_next;
        kj__model_reply__free_unpacked (model, NULL);
    }
    printf ("model: SY1's change (offset %" PRIu64 ") applied %.0f ms after "
            "the registry answered\n",
            offset, (kj_mono_us () - updated_at) / 1000.0);
    s_match_sy1 (&m, demand, &version, &rate, match_id);
    assert_int_equal (version, changed);
    assert_int_equal (rate, 250);
    char text [24];
    snprintf (text, sizeof text, "%" PRIu64, changed);
    assert_int_equal (s_text_count (&m,
                                    "SELECT count (*) FROM match_product "
                                    "WHERE match_id = $1 AND product_id = "
                                    "'SY1' AND product_version = $2",
                                    match_id, text),
                      1);
    s_stop (&m);
}

int
main (void)
{
    unsigned seed = (unsigned) getpid ();
    printf ("fuzz: seed %u\n", seed);
    srandom (seed);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_demand_match_apply_approve),
        cmocka_unit_test (test_bad_input_and_renewal),
        cmocka_unit_test (test_batch_and_rematch),
        cmocka_unit_test (test_linkage_and_roadshow),
        cmocka_unit_test (test_hostile_requests),
        cmocka_unit_test (test_done_when),
        cmocka_unit_test (test_match_killed_after_answer),
        cmocka_unit_test (test_match_stored_rows),
        cmocka_unit_test (test_match_sees_a_change),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
