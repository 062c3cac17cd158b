/*  =========================================================================
    test_matching_grades - scoring's ListGrades (paged by credit code, the
    latest portrait of a model's year, bad input refused naming the
    field), and matching's read model loading its grades from it at start,
    then following scoring.portrait.scored of that model only
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "registry_fixture.h"
#include "kj_calls.h"
#include "registry_bulk.pb-c.h"
#include "scoring.pb-c.h"
#include "matching_model.h"
#include "matching_registry.h"

//  --------------------------------------------------------------------------
//  Helpers

static void
s_import (rfx_t *fx, Kj__BulkKind kind, const char *header, const char *rows,
          uint32_t count)
{
    char error [512];
    if (kj_calls_import (fx->client, kind, header, rows, count, error,
                         sizeof error))
        fail_msg ("%s", error);
}

static int
s_call (rfx_t *fx, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *type, void *reply,
        kj_status_t *status)
{
    kj_call_opts_t opts = { .timeout_ms = 10000 };
    return kj_client_call (fx->client, "scoring", method, request, type,
                           (ProtobufCMessage **) reply, status, &opts);
}

//  Run a year under a model until its batch is finished
static void
s_run (rfx_t *fx, int year, const char *model)
{
    char error [512];
    Kj__ScoringProgressReply *reply = kj_calls_score_run (fx->client, year,
                                                          model, 120000, error,
                                                          sizeof error);
    if (!reply)
        fail_msg ("%s", error);
    kj__scoring_progress_reply__free_unpacked (reply, NULL);
}

//  ListGrades; the status code
static int
s_list (rfx_t *fx, int year, const char *after, uint32_t limit,
        Kj__ScoringListGradesReply **reply, kj_status_t *status)
{
    Kj__ScoringListGradesRequest request =
        KJ__SCORING_LIST_GRADES_REQUEST__INIT;
    request.year = year;
    request.after = (char *) after;
    request.limit = limit;
    *reply = NULL;
    return s_call (fx, "ListGrades", &request.base,
                   &kj__scoring_list_grades_reply__descriptor, reply, status);
}

//  True once the model holds, for each of the n codes, the grade that
//  ListGrades gives now for the default model's latest year
static bool
s_model_has (rfx_t *fx, matching_model_t *model, int wait_ms)
{
    int64_t end = kj_mono_us () + (int64_t) wait_ms * 1000;
    while (true) {
        Kj__ScoringListGradesReply *reply;
        kj_status_t status;
        assert_int_equal (s_list (fx, 0, "", 0, &reply, &status), 0);
        bool same = reply->n_grades == 3;
        for (size_t i = 0; i < reply->n_grades && same; i++)
            same = matching_model_grade (model, reply->grades [i]->code)
                == matching_registry_grade (reply->grades [i]->grade);
        kj__scoring_list_grades_reply__free_unpacked (reply, NULL);
        if (same || kj_mono_us () > end)
            return same;
        zclock_sleep (50);
    }
}

static const char *s_enterprise_header =
    "code,name,founded_on,status,dishonest,invention_patents,round,"
    "round_closed_on,round_amount_fen,qualifications";
static const char *s_figure_header =
    "code,year,revenue_fen,rnd_fen,net_profit_fen,total_assets_fen,"
    "high_tech_revenue_fen,total_cost_fen,staff,tech_staff";

//  --------------------------------------------------------------------------

static void
test_list_grades_and_model (void **state)
{
    (void) state;
    rfx_t fx;
    const char *relay [] = { "-s", "registry/relay=true", NULL };
    rfx_start (&fx, "matching_grades", relay);
    assert_true (rfx_events_start (&fx) > 0);
    char a [19], b [19], c [19];
    rfx_code ("210100", 21, a);
    rfx_code ("210200", 22, b);
    rfx_code ("210300", 23, c);
    char rows [2048];
    snprintf (rows, sizeof rows,
              "%s,甲,2015-01-01,active,no,10,a,2024-03-01,100000000,"
              "high_tech:2027-12-31|tech_sme:2026-12-31\n"
              "%s,乙,2015-01-01,active,no,5,,,,srdi:2026-12-31\n"
              "%s,丙,2015-01-01,active,no,1,,,,tech_sme:2026-12-31\n",
              a, b, c);
    s_import (&fx, KJ__BULK_KIND__BULK_ENTERPRISES, s_enterprise_header, rows,
              3);
    //  2025: a falls behind the others
    snprintf (rows, sizeof rows,
              "%s,2024,50000000,3000000,1,1,20000000,30000000,50,30\n"
              "%s,2024,20000000,1000000,1,1,10000000,15000000,30,10\n"
              "%s,2024,10000000,200000,1,1,1000000,9000000,10,2\n"
              "%s,2025,1000000,0,1,1,0,9000000,5,0\n"
              "%s,2025,60000000,6000000,1,1,30000000,30000000,60,40\n"
              "%s,2025,30000000,3000000,1,1,20000000,15000000,30,20\n",
              a, b, c, a, b, c);
    s_import (&fx, KJ__BULK_KIND__BULK_FIGURES, s_figure_header, rows, 6);
    const char *scoring_extra [] = { "-s", "scoring/relay=true", "-s",
                                     "scoring/pause_ms=0", NULL };
    pid_t scoring = kj_daemon_start ("scoring", &fx.broker, fx.dsn,
                                     scoring_extra);
    assert_true (scoring > 0);
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "scoring", 2, 20000));

    //  Nothing scored yet: year 0, no grades
    Kj__ScoringListGradesReply *page;
    kj_status_t status;
    assert_int_equal (s_list (&fx, 0, "", 0, &page, &status), 0);
    assert_int_equal (page->year, 0);
    assert_int_equal (page->n_grades, 0);
    assert_string_equal (page->next, "");
    kj__scoring_list_grades_reply__free_unpacked (page, NULL);

    s_run (&fx, 2024, "");
    //  Paged by code: 2, then 1 asking for the year the first page named
    assert_int_equal (s_list (&fx, 0, "", 2, &page, &status), 0);
    assert_int_equal (page->year, 2024);
    assert_string_equal (page->model, "most-2024");
    assert_int_equal (page->n_grades, 2);
    assert_string_equal (page->grades [0]->code, a);
    assert_string_equal (page->grades [1]->code, b);
    assert_string_equal (page->next, b);
    for (size_t i = 0; i < page->n_grades; i++) {
        assert_true (matching_registry_grade (page->grades [i]->grade) > 0);
        assert_int_equal (page->grades [i]->version, 1);
    }
    Kj__ScoringListGradesReply *rest;
    assert_int_equal (s_list (&fx, 2024, b, 2, &rest, &status), 0);
    assert_int_equal (rest->n_grades, 1);
    assert_string_equal (rest->grades [0]->code, c);
    assert_string_equal (rest->next, "");
    kj__scoring_list_grades_reply__free_unpacked (rest, NULL);
    kj__scoring_list_grades_reply__free_unpacked (page, NULL);

    //  Bad input, each naming its field
    assert_int_equal (s_list (&fx, 0, "", 10001, &page, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "limit");
    assert_int_equal (s_list (&fx, 1999, "", 0, &page, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "year");
    assert_int_equal (s_list (&fx, 0, "\xff", 0, &page, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "after");

    //  The read model loads the grades from ListGrades at start
    matching_model_t *model = matching_model_new (fx.broker.endpoint,
                                                  fx.broker.pub, 10);
    matching_model_start (model);
    assert_true (matching_model_wait (model, 30000));
    assert_true (s_model_has (&fx, model, 0));
    matching_model_stats_t stats;
    matching_model_stats (model, &stats);
    assert_int_equal (stats.grades, 3);
    assert_string_equal (stats.grade_model, "most-2024");
    assert_int_equal (stats.grade_year, 2024);

    //  Then follows the events: the default model's next year replaces
    //  them; another model's portraits, applied after, change nothing
    s_run (&fx, 2025, "");
    assert_true (s_model_has (&fx, model, 15000));
    assert_int_equal (s_list (&fx, 0, "", 0, &page, &status), 0);
    assert_int_equal (page->year, 2025);
    kj__scoring_list_grades_reply__free_unpacked (page, NULL);
    matching_model_stats (model, &stats);
    uint64_t events = stats.events;
    s_run (&fx, 2024, "v2-2025");
    int64_t end = kj_mono_us () + 15 * INT64_C (1000000);
    while (stats.events < events + 3 && kj_mono_us () < end) {
        zclock_sleep (50);
        matching_model_stats (model, &stats);
    }
    assert_true (stats.events >= events + 3);
    assert_true (s_model_has (&fx, model, 0));
    assert_string_equal (stats.grade_model, "most-2024");
    assert_int_equal (stats.grade_year, 2025);

    matching_model_destroy (&model);
    kj_test_kill (scoring, SIGTERM, 10000);
    rfx_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_list_grades_and_model),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
