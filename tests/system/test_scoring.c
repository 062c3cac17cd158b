/*  =========================================================================
    test_scoring - kejin-scoring through a real broker, beside a real
    kejin-registry on a fresh database: a batch over a small registry with
    grades computed by hand, an idempotent rerun, what-if and its refusals,
    and a batch that survives one of its two daemons killed mid-way
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include "registry_fixture.h"
#include "kj_calls.h"
#include "registry_bulk.pb-c.h"
#include "scoring.pb-c.h"

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

static void
s_override (rfx_t *fx, const char *code, Kj__Stage stage)
{
    Kj__OverrideStageRequest request = KJ__OVERRIDE_STAGE_REQUEST__INIT;
    request.code = (char *) code;
    request.stage = stage;
    request.reason = "test cohort";
    Kj__EnterpriseReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (fx, "OverrideStage", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
}

static pid_t
s_scoring_start (rfx_t *fx, const char *instance, const char *chunk,
                 const char *pause)
{
    const char *extra [] = {
        "-s", "scoring/relay=false", "-s", instance, "-s", chunk, "-s", pause,
        "-s", "scoring/page=100",    NULL
    };
    return kj_daemon_start ("scoring", &fx->broker, fx->dsn, extra);
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

//  Run a year under a model and wait until its batch is finished
static Kj__ScoringBatch *
s_run (rfx_t *fx, int year, const char *model, Kj__ScoringProgressReply **hold)
{
    char error [512];
    *hold = kj_calls_score_run (fx->client, year, model, 120000, error,
                                sizeof error);
    if (!*hold)
        fail_msg ("%s", error);
    return (*hold)->batch;
}

static Kj__ScoringShowReply *
s_show (rfx_t *fx, const char *code, const char *model)
{
    Kj__ScoringShowRequest show = KJ__SCORING_SHOW_REQUEST__INIT;
    show.code = (char *) code;
    show.model = (char *) model;
    Kj__ScoringShowReply *reply = NULL;
    kj_status_t status;
    int rc = s_call (fx, "Show", &show.base,
                     &kj__scoring_show_reply__descriptor, &reply, &status);
    if (rc)
        fail_msg ("show %s: %s", code, status.message);
    return reply;
}

//  Run `kejin --broker ... ARGS` (a shell word list); its stdout in out,
//  returns its exit code
static int
s_cli (rfx_t *fx, const char *args, char *out, size_t size)
{
    char command [1024];
    snprintf (command, sizeof command, "LANG=C.UTF-8 %s --broker %s %s",
              kj_test_bin ("kejin"), fx->broker.endpoint, args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    size_t used = fread (out, 1, size - 1, pipe);
    out [used] = 0;
    int status = pclose (pipe);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
s_count (kj_db_t *db, const char *sql)
{
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    assert_non_null (res);
    int count = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  --------------------------------------------------------------------------
//  Three firms of stage 成长 under v2-2025, year 2024, computed by hand
//  (docs/scoring.md, "A worked batch"): a best on every column the
//  registry gives, b in the middle, c last and on the negative list; d a
//  draft entry, not scored.

static const char *s_enterprise_header =
    "code,name,founded_on,status,dishonest,invention_patents,round,"
    "round_closed_on,round_amount_fen,qualifications";
static const char *s_figure_header =
    "code,year,revenue_fen,rnd_fen,net_profit_fen,total_assets_fen,"
    "high_tech_revenue_fen,total_cost_fen,staff,tech_staff";

//  The registry's compact export for scoring (with_figures_of): the row of
//  each code, NULL if none; the caller frees
static char *
s_compact_row (rfx_t *fx, int year, const char *code, kj_status_t *status)
{
    Kj__BulkExportRequest request = KJ__BULK_EXPORT_REQUEST__INIT;
    request.kind = KJ__BULK_KIND__BULK_ENTERPRISES;
    request.with_figures_of = year;
    Kj__BulkExportReply *reply = NULL;
    kj_call_opts_t opts = { .timeout_ms = 20000 };
    if (kj_client_call (fx->client, "registry.bulk", "Export", &request.base,
                        &kj__bulk_export_reply__descriptor,
                        (ProtobufCMessage **) &reply, status, &opts))
        return NULL;
    char *text = strndup ((char *) reply->data.data, reply->data.len);
    assert_non_null (text);
    assert_string_equal (reply->next, "");
    kj__bulk_export_reply__free_unpacked (reply, NULL);
    //  The header first, then a row per enterprise
    assert_true (strncmp (text, "code,region,status,stage,", 25) == 0);
    char *row = NULL;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
        if (strncmp (line, code, strlen (code)) == 0
            && line [strlen (code)] == ',')
            row = strdup (line);
    free (text);
    return row;
}

static void
test_batch_golden_and_rerun (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "scoring_golden", NULL);
    char a [19], b [19], c [19], d [19];
    rfx_code ("210100", 11, a);
    rfx_code ("210200", 12, b);
    rfx_code ("210200", 13, c);
    rfx_code ("210100", 14, d);
    char rows [2048];
    snprintf (rows, sizeof rows,
              "%s,甲,2015-01-01,active,no,10,a,2024-03-01,100000000,"
              "high_tech:2027-12-31|tech_sme:2026-12-31\n"
              "%s,乙,2015-01-01,active,no,5,,,,srdi:2026-12-31\n"
              "%s,丙,2015-01-01,active,yes,1,,,,tech_sme:2026-12-31\n"
              "%s,丁,2015-01-01,draft,no,50,,,,\n",
              a, b, c, d);
    s_import (&fx, KJ__BULK_KIND__BULK_ENTERPRISES, s_enterprise_header, rows,
              4);
    snprintf (rows, sizeof rows,
              "%s,2024,50000000,3000000,1,1,20000000,30000000,50,30\n"
              "%s,2023,40000000,2000000,1,1,10000000,30000000,50,30\n"
              "%s,2024,20000000,1000000,1,1,10000000,15000000,30,10\n"
              "%s,2023,20000000,1000000,1,1,10000000,15000000,30,10\n"
              "%s,2024,10000000,200000,1,1,1000000,9000000,10,2\n"
              "%s,2023,12000000,200000,1,1,1000000,9000000,10,2\n"
              "%s,2024,90000000,9000000,1,1,90000000,9000000,90,90\n",
              a, a, b, b, c, c, d);
    s_import (&fx, KJ__BULK_KIND__BULK_FIGURES, s_figure_header, rows, 7);
    s_override (&fx, a, KJ__STAGE__STAGE_GROWTH);
    s_override (&fx, b, KJ__STAGE__STAGE_GROWTH);
    s_override (&fx, c, KJ__STAGE__STAGE_GROWTH);

    //  What the batch reads: each enterprise in one row with its figures
    //  of the year and the year before (empty where none is on file)
    kj_status_t status;
    char expected [512];
    snprintf (expected, sizeof expected,
              "%s,210100,active,growth,false,false,,10,100000000,"
              "high_tech:2027-12-31|tech_sme:2026-12-31,"
              "2024,50000000,3000000,1,1,20000000,30000000,50,30,"
              "2023,40000000,2000000,1,1,10000000,30000000,50,30",
              a);
    char *compact = s_compact_row (&fx, 2024, a, &status);
    assert_non_null (compact);
    assert_string_equal (compact, expected);
    free (compact);
    compact = s_compact_row (&fx, 2024, d, &status);
    assert_non_null (compact);
    snprintf (expected, sizeof expected, "%s,210100,draft,", d);
    assert_true (strncmp (compact, expected, strlen (expected)) == 0);
    assert_non_null (strstr (compact, ",,50,,,2024,90000000,"));
    const char *tail = ",90,90,,,,,,,,,";  //  no figures of 2023
    assert_true (strlen (compact) > strlen (tail));
    assert_string_equal (compact + strlen (compact) - strlen (tail), tail);
    free (compact);
    //  Only for enterprises, only a year
    Kj__BulkExportRequest refused = KJ__BULK_EXPORT_REQUEST__INIT;
    refused.kind = KJ__BULK_KIND__BULK_FIGURES;
    refused.with_figures_of = 2024;
    kj_call_opts_t opts = { .timeout_ms = 20000 };
    assert_int_equal (kj_client_call (fx.client, "registry.bulk", "Export",
                                      &refused.base,
                                      &kj__bulk_export_reply__descriptor, NULL,
                                      &status, &opts),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "with_figures_of");
    refused.kind = KJ__BULK_KIND__BULK_ENTERPRISES;
    refused.with_figures_of = 24;
    assert_int_equal (kj_client_call (fx.client, "registry.bulk", "Export",
                                      &refused.base,
                                      &kj__bulk_export_reply__descriptor, NULL,
                                      &status, &opts),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "with_figures_of");
    //  A range of it: the codes after `after` up to and including `until`
    //  (four firms: those of a .. d in code order that lie in it)
    const char *codes [] = { a, b, c, d };
    const char *lo = a, *hi = a;
    for (int i = 0; i < 4; i++) {
        if (strcmp (codes [i], lo) < 0)
            lo = codes [i];
        if (strcmp (codes [i], hi) > 0)
            hi = codes [i];
    }
    Kj__BulkExportRequest range = KJ__BULK_EXPORT_REQUEST__INIT;
    range.kind = KJ__BULK_KIND__BULK_ENTERPRISES;
    range.with_figures_of = 2024;
    range.after = (char *) lo;
    range.until = (char *) hi;
    Kj__BulkExportReply *page = NULL;
    assert_int_equal (kj_client_call (fx.client, "registry.bulk", "Export",
                                      &range.base,
                                      &kj__bulk_export_reply__descriptor,
                                      (ProtobufCMessage **) &page, &status,
                                      &opts),
                      0);
    assert_int_equal (page->rows, 3);  //  not lo, up to hi
    assert_string_equal (page->next, "");
    kj__bulk_export_reply__free_unpacked (page, NULL);
    range.until = (char *) lo;  //  nothing after lo up to lo
    assert_int_equal (kj_client_call (fx.client, "registry.bulk", "Export",
                                      &range.base,
                                      &kj__bulk_export_reply__descriptor,
                                      (ProtobufCMessage **) &page, &status,
                                      &opts),
                      0);
    assert_int_equal (page->rows, 0);
    kj__bulk_export_reply__free_unpacked (page, NULL);
    //  An end of a range is for the compact export only
    refused.with_figures_of = 0;
    refused.until = (char *) hi;
    assert_int_equal (kj_client_call (fx.client, "registry.bulk", "Export",
                                      &refused.base,
                                      &kj__bulk_export_reply__descriptor, NULL,
                                      &status, &opts),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "until");

    pid_t scoring = s_scoring_start (&fx, "scoring/instance=scoring.t1",
                                     "scoring/chunk=2", "scoring/pause_ms=0");
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "scoring", 2, 20000));
    Kj__ScoringProgressReply *hold;
    Kj__ScoringBatch *batch = s_run (&fx, 2024, "v2-2025", &hold);
    assert_int_equal (batch->total, 3);
    assert_int_equal (batch->scored, 3);
    assert_int_equal (batch->stored, 3);
    assert_int_equal (batch->changed, 0);
    assert_int_equal (batch->chunks, 2);
    assert_int_equal (batch->n_grades, 5);
    uint64_t grades [5] = { 0, 1, 0, 0, 2 };  //  AAA AA A B C
    assert_memory_equal (batch->grades, grades, sizeof grades);
    uint64_t first_id = batch->id;
    kj__scoring_progress_reply__free_unpacked (hold, NULL);

    //  a: 12 + 11 x 6 (vc: the only one reported) = 78, honours 2 -> 10
    Kj__ScoringShowReply *shown = s_show (&fx, a, "v2-2025");
    Kj__ScoringPortrait *p = shown->portrait;
    assert_int_equal (p->year, 2024);
    assert_string_equal (p->stage, "成长");
    assert_string_equal (p->region, "210100");
    assert_int_equal (p->points_milli, 78000);
    assert_int_equal (p->bonus_milli, 10000);
    assert_int_equal (p->score_milli, 88000);
    assert_string_equal (p->grade, "AA");
    assert_string_equal (p->stop, "");
    assert_true (p->line_known);
    assert_int_equal (p->line_fen, 10000000);  //  20 % of ¥500,000
    assert_string_equal (p->previous_grade, "");
    //  Lost: tech_contract_fen and roe_bp, not given by the registry
    assert_true (p->n_reasons >= 2);
    assert_string_equal (p->reasons [0]->code, "tech_contract_fen");
    assert_true (p->reasons [0]->missing);
    assert_int_equal (p->reasons [0]->lost_micro, 11000000);
    kj__scoring_show_reply__free_unpacked (shown, NULL);

    //  The same through the command line, as people read it
    char out [4096], args [256];
    snprintf (args, sizeof args, "score show %s --model v2-2025", a);
    assert_int_equal (s_cli (&fx, args, out, sizeof out), 0);
    assert_non_null (strstr (out, "grade AA  score 88.000"));
    assert_non_null (strstr (out, "line: ¥100,000.00"));
    assert_non_null (strstr (out, "tech_contract_fen"));
    assert_int_equal (s_cli (&fx, "score dist --by city --model v2-2025", out,
                             sizeof out),
                      0);
    assert_non_null (strstr (out, "\n210200 大连市  "));
    assert_int_equal (s_cli (&fx,
                             "score whatif --stage growth --model "
                             "v2-2025 rd_expense_fen=100 awards=2",
                             out, sizeof out),
                      0);
    assert_non_null (strstr (out, "points 12.000  bonus 10.000"));
    assert_int_equal (s_cli (&fx, "score whatif --stage growth nope=1 2>&1",
                             out, sizeof out),
                      2);

    //  b: every column at 50 %: 6 + 5 x 5.5 = 33.5, honours 1 -> 5
    shown = s_show (&fx, b, "v2-2025");
    assert_int_equal (shown->portrait->points_milli, 33500);
    assert_int_equal (shown->portrait->score_milli, 38500);
    assert_string_equal (shown->portrait->grade, "C");
    kj__scoring_show_reply__free_unpacked (shown, NULL);

    //  c: last everywhere, and 严重失信: stopped
    shown = s_show (&fx, c, "v2-2025");
    assert_int_equal (shown->portrait->points_milli, 0);
    assert_string_equal (shown->portrait->grade, "C");
    assert_string_equal (shown->portrait->stop, "serious_dishonesty");
    assert_int_equal (shown->portrait->line_fen, 0);
    kj__scoring_show_reply__free_unpacked (shown, NULL);

    //  d is a draft: no portrait
    Kj__ScoringShowRequest show = KJ__SCORING_SHOW_REQUEST__INIT;
    show.code = d;
    show.model = "v2-2025";
    assert_int_equal (s_call (&fx, "Show", &show.base,
                              &kj__scoring_show_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "code");

    //  Dist by city: 210100 a (AA); 210200 b, c (C, C)
    Kj__ScoringDistRequest dist = KJ__SCORING_DIST_REQUEST__INIT;
    dist.model = "v2-2025";
    dist.by = "city";
    Kj__ScoringDistReply *counted = NULL;
    assert_int_equal (s_call (&fx, "Dist", &dist.base,
                              &kj__scoring_dist_reply__descriptor, &counted,
                              &status),
                      0);
    assert_int_equal (counted->year, 2024);
    assert_int_equal (counted->n_rows, 2);
    assert_string_equal (counted->rows [0]->key, "210100");
    assert_int_equal (counted->rows [0]->grades [1], 1);
    assert_string_equal (counted->rows [1]->key, "210200");
    assert_int_equal (counted->rows [1]->grades [4], 2);
    assert_int_equal (counted->rows [1]->total, 2);
    kj__scoring_dist_reply__free_unpacked (counted, NULL);
    dist.by = "sector";
    assert_int_equal (s_call (&fx, "Dist", &dist.base,
                              &kj__scoring_dist_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "by");

    //  Events: one per portrait, a start and a finish
    kj_db_t *db = kj_db_new (fx.dsn, "scoring", 5000);
    assert_non_null (db);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.portrait.scored'"),
                      3);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.batch.started'"),
                      1);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.batch.finished'"),
                      1);

    //  The same version again: a new batch, nothing stored, no event
    batch = s_run (&fx, 2024, "v2-2025", &hold);
    assert_true (batch->id > first_id);
    assert_int_equal (batch->scored, 3);
    assert_int_equal (batch->stored, 0);
    assert_memory_equal (batch->grades, grades, sizeof grades);
    kj__scoring_progress_reply__free_unpacked (hold, NULL);
    assert_int_equal (s_count (db, "SELECT count (*) FROM portrait"), 3);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.portrait.scored'"),
                      3);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.batch.finished'"),
                      2);
    //  The portrait's indexes: the primary key and one block-range index
    //  of (model, year, version), no second B-tree (005_portrait_brin.sql)
    assert_int_equal (s_count (db, "SELECT count (*) FROM pg_index i "
                                   "JOIN pg_class c ON c.oid = i.indexrelid "
                                   "JOIN pg_am a ON a.oid = c.relam "
                                   "WHERE i.indrelid = 'portrait'::regclass "
                                   "AND a.amname = 'btree'"),
                      1);
    assert_int_equal (s_count (db,
                               "SELECT count (*) FROM pg_indexes WHERE "
                               "indexname = 'portrait_year' AND indexdef "
                               "LIKE '%USING brin (model, year, version)%'"),
                      1);

    //  The next year under the same model: a's grade compared with 2024's
    snprintf (rows, sizeof rows,
              "%s,2025,50000000,3000000,1,1,20000000,30000000,50,30\n"
              "%s,2025,20000000,1000000,1,1,10000000,15000000,30,10\n",
              a, b);
    s_import (&fx, KJ__BULK_KIND__BULK_FIGURES, s_figure_header, rows, 2);
    batch = s_run (&fx, 2025, "v2-2025", &hold);
    assert_int_equal (batch->total, 3);
    kj__scoring_progress_reply__free_unpacked (hold, NULL);
    shown = s_show (&fx, a, "v2-2025");
    assert_int_equal (shown->portrait->year, 2025);
    assert_string_equal (shown->portrait->previous_grade, "AA");
    kj__scoring_show_reply__free_unpacked (shown, NULL);

    //  most-2024 beside v2-2025 on 2024: a first (AAA), b at 50 % (A),
    //  c stopped (C); the migration matrix and the grades' PSI
    batch = s_run (&fx, 2024, "most-2024", &hold);
    assert_int_equal (batch->stored, 3);
    kj__scoring_progress_reply__free_unpacked (hold, NULL);
    //  Fresh, their chunks looking nothing up (006_batch_fresh.sql): the
    //  first batch of each model on 2024 only, not the rerun (its
    //  portraits are there) nor 2025 (its previous grades are)
    assert_int_equal (s_count (db, "SELECT count (*) FROM batch"), 4);
    assert_int_equal (s_count (db, "SELECT count (*) FROM batch WHERE fresh"),
                      2);
    assert_int_equal (s_count (db, "SELECT count (*) FROM batch b WHERE fresh "
                                   "AND year = 2024 AND id = (SELECT min (id) "
                                   "FROM batch o WHERE o.model = b.model)"),
                      2);
    Kj__ScoringCompareRequest compare = KJ__SCORING_COMPARE_REQUEST__INIT;
    compare.year = 2024;
    compare.model_a = "v2-2025";
    compare.model_b = "";  //  the default: most-2024
    Kj__ScoringCompareReply *compared = NULL;
    assert_int_equal (s_call (&fx, "Compare", &compare.base,
                              &kj__scoring_compare_reply__descriptor, &compared,
                              &status),
                      0);
    assert_string_equal (compared->model_b, "most-2024");
    uint64_t most [5] = { 1, 0, 1, 0, 1 };
    assert_memory_equal (compared->grades_a, grades, sizeof grades);
    assert_memory_equal (compared->grades_b, most, sizeof most);
    assert_int_equal (compared->n_migration, 25);
    assert_int_equal (compared->migration [1 * 5 + 0], 1);  //  AA -> AAA
    assert_int_equal (compared->migration [4 * 5 + 2], 1);  //  C -> A
    assert_int_equal (compared->migration [4 * 5 + 4], 1);  //  C -> C
    assert_int_equal (compared->only_a + compared->only_b, 0);
    assert_int_equal (compared->grade_psi_e4, 3947);
    //  PSI per indicator: the nine indicators of v2-2025 are indicators
    //  of most-2024 too, percentiles in the same cohort: equal bands,
    //  PSI 0. Its three bonuses are percentile indicators of most-2024:
    //  awards and standards not reported by anyone (equal, 0); honours
    //  a 2, b 1, c 1 is 100, 50, 50 % of the bonus under v2-2025 (bands
    //  9, 5, 5) but percentiles 100, 25, 25 under most-2024 (bands 9, 2,
    //  2): (1.5 / 7.5) ln 4 twice = 0.554518 -> 5545
    assert_int_equal (compared->n_indicators, 12);
    for (size_t i = 0; i < compared->n_indicators; i++) {
        Kj__ScoringIndicatorPsi *psi = compared->indicators [i];
        assert_int_equal (psi->n_bands_a, 11);
        assert_int_equal (psi->n_bands_b, 11);
        if (i < 11)
            assert_int_equal (psi->psi_e4, 0);
    }
    assert_string_equal (compared->indicators [0]->code, "rd_expense_fen");
    Kj__ScoringIndicatorPsi *honours = compared->indicators [11];
    assert_string_equal (honours->code, "honours");
    uint64_t bands_v2 [11] = { [5] = 2, [9] = 1 };
    uint64_t bands_most [11] = { [2] = 2, [9] = 1 };
    assert_memory_equal (honours->bands_a, bands_v2, sizeof bands_v2);
    assert_memory_equal (honours->bands_b, bands_most, sizeof bands_most);
    assert_int_equal (honours->psi_e4, 5545);
    kj__scoring_compare_reply__free_unpacked (compared, NULL);
    compare.year = 2023;
    assert_int_equal (s_call (&fx, "Compare", &compare.base,
                              &kj__scoring_compare_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "year");
    assert_int_equal (s_cli (&fx,
                             "score compare v2-2025 most-2024 --year "
                             "2024",
                             out, sizeof out),
                      0);
    assert_non_null (strstr (out, "PSI"));
    assert_non_null (strstr (out, "0.555  0 0 0 0 0 2 0 0 0 1 0  "
                                  "0 0 2 0 0 0 0 0 0 1 0"));

    //  kejin score run: says what it scores, follows the batch with its
    //  progress to its end (a rerun: nothing new), then the grades
    assert_int_equal (s_cli (&fx, "score run --year 2024 --model v2-2025 2>&1",
                             out, sizeof out),
                      0);
    assert_non_null (strstr (out, ": scoring 2024 under v2-2025 v1\n"));
    assert_non_null (strstr (out, "  finished  3 of 3 scored, 0 new, 0 "
                                  "changed grade\n"));
    assert_non_null (strstr (out, "finished in"));
    assert_non_null (strstr (out, "all  0    1   0  0  2  3"));

    kj_db_destroy (&db);
    assert_int_equal (kj_test_kill (scoring, SIGTERM, 10000), 0);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  WhatIf: a cohort of one, nothing stored; refusals name the field

static void
test_whatif (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "scoring_whatif", NULL);
    pid_t scoring = s_scoring_start (&fx, "scoring/instance=scoring.w",
                                     "scoring/chunk=100", "scoring/pause_ms=0");
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "scoring", 2, 20000));
    Kj__ScoringValue rd = KJ__SCORING_VALUE__INIT;
    rd.column = "rd_expense_fen";
    rd.value = 100;
    Kj__ScoringValue awards = KJ__SCORING_VALUE__INIT;
    awards.column = "awards";
    awards.value = 2;
    Kj__ScoringValue *values [] = { &rd, &awards };
    Kj__ScoringMember member = KJ__SCORING_MEMBER__INIT;
    member.id = "firm";
    member.stage = "成长期";
    member.values = values;
    member.n_values = 2;
    Kj__ScoringMember *members [] = { &member };
    Kj__ScoringWhatIfRequest request = KJ__SCORING_WHAT_IF_REQUEST__INIT;
    request.model = "v2-2025";
    request.members = members;
    request.n_members = 1;
    Kj__ScoringWhatIfReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, &reply,
                              &status),
                      0);
    //  A cohort of one: 100 % of rd_expense (12), awards 2 -> 10 bonus
    assert_int_equal (reply->portrait->points_milli, 12000);
    assert_int_equal (reply->portrait->bonus_milli, 10000);
    assert_string_equal (reply->portrait->grade, "C");
    assert_true (reply->portrait->line_known);  //  grade C: no line
    assert_int_equal (reply->portrait->line_fen, 0);
    assert_int_equal (reply->portrait->missing_count, 12);
    kj__scoring_what_if_reply__free_unpacked (reply, NULL);

    awards.column = "staff_growth_bp";
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "column");
    assert_non_null (strstr (status.message, "members[0].values[1].column"));
    awards.column = "awards";
    member.stage = "adult";
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "stage");
    member.stage = "growth";
    rd.value = -5;
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_non_null (strstr (status.message, "rd_expense_fen"));
    rd.value = 100;
    request.model = "v9";
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "model");
    request.model = "../etc/passwd";
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__NOT_FOUND);
    request.n_members = 0;
    assert_int_equal (s_call (&fx, "WhatIf", &request.base,
                              &kj__scoring_what_if_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "members");
    Kj__ScoringRunRequest run = KJ__SCORING_RUN_REQUEST__INIT;
    run.year = 1999;
    assert_int_equal (s_call (&fx, "Run", &run.base,
                              &kj__scoring_run_reply__descriptor, NULL,
                              &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "year");
    assert_int_equal (kj_test_kill (scoring, SIGTERM, 10000), 0);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Two daemons share a batch; one is killed (SIGKILL) mid-way; the batch
//  finishes once, every enterprise scored exactly once

#define S_FIRMS 200

//  count firms of 2016 with figures of 2024 and 2023, codes 1000 on
static void
s_firms (rfx_t *fx, unsigned count)
{
    size_t size = count * 160;
    char *enterprises = calloc (1, size), *figures = calloc (1, size);
    size_t e_at = 0, f_at = 0;
    for (unsigned i = 0; i < count; i++) {
        char code [19];
        rfx_code ("210100", 1000 + i, code);
        e_at += (size_t) snprintf (enterprises + e_at, size - e_at,
                                   "%s,企业%u,2016-05-01,active,no,%u,,,,\n",
                                   code, i, i % 7);
        f_at += (size_t) snprintf (figures + f_at, size - f_at,
                                   "%s,2024,%u,%u,1,1,0,%u,20,%u\n", code,
                                   1000000 + i * 7919 % 5000000,
                                   100000 + i * 104729 % 900000, 2000000,
                                   1 + i % 19);
        //  The year before, smaller: a year not reported is unknown, and
        //  a firm of 2016 needs two years for a stage (docs/rules/stages.md)
        f_at += (size_t) snprintf (figures + f_at, size - f_at,
                                   "%s,2023,%u,0,0,0,0,0,0,0\n", code, 500000);
    }
    s_import (fx, KJ__BULK_KIND__BULK_ENTERPRISES, s_enterprise_header,
              enterprises, count);
    s_import (fx, KJ__BULK_KIND__BULK_FIGURES, s_figure_header, figures,
              2 * count);
    free (enterprises);
    free (figures);
}

static void
test_worker_killed_mid_batch (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "scoring_kill", NULL);
    s_firms (&fx, S_FIRMS);
    pid_t one = s_scoring_start (&fx, "scoring/instance=scoring.k1",
                                 "scoring/chunk=10", "scoring/pause_ms=150");
    pid_t two = s_scoring_start (&fx, "scoring/instance=scoring.k2",
                                 "scoring/chunk=10", "scoring/pause_ms=150");
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "scoring", 4, 20000));
    Kj__ScoringRunRequest run = KJ__SCORING_RUN_REQUEST__INIT;
    run.year = 2024;
    Kj__ScoringRunReply *started = NULL;
    kj_status_t status;
    assert_int_equal (s_call (&fx, "Run", &run.base,
                              &kj__scoring_run_reply__descriptor, &started,
                              &status),
                      0);
    Kj__ScoringProgressRequest progress = KJ__SCORING_PROGRESS_REQUEST__INIT;
    progress.batch_id = started->batch->id;
    kj__scoring_run_reply__free_unpacked (started, NULL);
    //  Kill one daemon once a few chunks are done, well before the end
    bool killed = false;
    Kj__ScoringProgressReply *seen = NULL;
    int64_t end = kj_mono_us () + 120 * 1000000LL;
    while (kj_mono_us () < end) {
        seen = NULL;
        assert_int_equal (s_call (&fx, "Progress", &progress.base,
                                  &kj__scoring_progress_reply__descriptor,
                                  &seen, &status),
                          0);
        Kj__ScoringBatch *batch = seen->batch;
        if (!killed && batch->chunks_done >= 3) {
            assert_true (batch->chunks_done + 5 < batch->chunks);
            assert_int_equal (kj_test_kill (one, SIGKILL, 5000), 128 + SIGKILL);
            killed = true;
        }
        if (streq (batch->state, "finished"))
            break;
        kj__scoring_progress_reply__free_unpacked (seen, NULL);
        seen = NULL;
        zclock_sleep (50);
    }
    assert_true (killed);
    assert_non_null (seen);
    assert_string_equal (seen->batch->state, "finished");
    assert_int_equal (seen->batch->total, S_FIRMS);
    assert_int_equal (seen->batch->scored, S_FIRMS);
    assert_int_equal (seen->batch->stored, S_FIRMS);
    assert_int_equal (seen->batch->chunks_done, seen->batch->chunks);
    kj__scoring_progress_reply__free_unpacked (seen, NULL);
    kj_db_t *db = kj_db_new (fx.dsn, "scoring", 5000);
    assert_non_null (db);
    assert_int_equal (s_count (db, "SELECT count (*) FROM portrait"), S_FIRMS);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.portrait.scored'"),
                      S_FIRMS);
    assert_int_equal (s_count (db, "SELECT count (DISTINCT key) FROM "
                                   "kj_outbox WHERE topic = "
                                   "'scoring.portrait.scored'"),
                      S_FIRMS);
    assert_int_equal (s_count (db, "SELECT count (*) FROM kj_outbox WHERE "
                                   "topic = 'scoring.batch.finished'"),
                      1);
    //  Members refer to their batch without a foreign key
    //  (004_member_no_fk.sql): each has its batch, and a batch deleted
    //  takes its members (and chunks) with it
    assert_int_equal (s_count (db, "SELECT count (*) FROM member"), S_FIRMS);
    assert_int_equal (s_count (db, "SELECT count (*) FROM member m WHERE "
                                   "NOT EXISTS (SELECT 1 FROM batch b "
                                   "WHERE b.id = m.batch_id)"),
                      0);
    assert_int_equal (kj_db_run (db, "DELETE FROM batch", 0, NULL), 1);
    assert_int_equal (s_count (db, "SELECT count (*) FROM member"), 0);
    assert_int_equal (s_count (db, "SELECT count (*) FROM chunk"), 0);
    kj_db_destroy (&db);
    assert_int_equal (kj_test_kill (two, SIGTERM, 10000), 0);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Two daemons share a batch of three stages, chunks of 10: a stage's
//  cohort is scored by the one that holds its lock only (its log line
//  "stage S: a cohort of N scored" appears once per stage over both
//  daemons' logs); a daemon with no stage left may score a stage again
//  to help its holder store it ("... to help its holder", once at most
//  per daemon and stage, and never by the holder itself), and every chunk
//  is stored once (its line "chunk N: 10 members" once over both logs)

#define S_STAGES 3  //  the scoring stages: 初创, 成长, 稳定

//  150 firms, a third in each scoring stage
static void
s_firms_in_stages (rfx_t *fx)
{
    s_firms (fx, 150);
    const Kj__Stage stages [] = { KJ__STAGE__STAGE_STARTUP,
                                  KJ__STAGE__STAGE_GROWTH,
                                  KJ__STAGE__STAGE_MATURE };
    for (unsigned i = 0; i < 150; i++) {
        char code [19];
        rfx_code ("210100", 1000 + i, code);
        s_override (fx, code, stages [i % 3]);
    }
}

//  The daemons' log (every kejin-scoring of this run appends to it) in
//  path: its size now, where a test's own lines will start
static off_t
s_log_end (char *path, size_t size)
{
    snprintf (path, size, "%s/kejin-scoring.log", kj_test_tmpdir ());
    struct stat now;
    return stat (path, &now) == 0 ? now.st_size : 0;
}

static void
test_stage_scored_once (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "scoring_stages", NULL);
    s_firms_in_stages (&fx);
    //  The daemons' log, read from its end as it is now
    char path [512];
    off_t from = s_log_end (path, sizeof path);
    pid_t daemons [2];
    for (int d = 0; d < 2; d++) {
        const char *extra [] = {
            "-s",
            "scoring/relay=false",
            "-s",
            d ? "scoring/instance=scoring.s2" : "scoring/instance=scoring.s1",
            "-s",
            "scoring/chunk=10",
            "-s",
            "scoring/pause_ms=100",
            "-s",
            "log/level=info",
            "-s",
            "scoring/batch_interval_s=60",
            NULL
        };
        daemons [d] = kj_daemon_start ("scoring", &fx.broker, fx.dsn, extra);
    }
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "scoring", 4, 20000));
    //  The jobs pass every 60 s, and have passed at their start: the Run
    //  and then the fetch's commit wake them (SCORING_BATCH_CHANNEL), so
    //  the batch is done in seconds and both daemons take stages of it
    int64_t started = kj_mono_us ();
    Kj__ScoringProgressReply *hold = NULL;
    Kj__ScoringBatch *batch = s_run (&fx, 2024, "most-2024", &hold);
    assert_true (kj_mono_us () - started < 30 * 1000000);
    assert_string_equal (batch->state, "finished");
    assert_int_equal (batch->total, 150);
    assert_int_equal (batch->stored, 150);
    assert_int_equal (batch->chunks, 15);
    char wanted [64];
    snprintf (wanted, sizeof wanted, "batch %" PRIu64 " stage ", batch->id);
    kj__scoring_progress_reply__free_unpacked (hold, NULL);
    for (int d = 0; d < 2; d++)
        assert_int_equal (kj_test_kill (daemons [d], SIGTERM, 10000), 0);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_int_equal (fseeko (file, from, SEEK_SET), 0);
    int scored [S_STAGES] = { 0 };
    int helped [2][S_STAGES] = { { 0 } };  //  by daemon and stage
    int holder [S_STAGES] = { -1, -1, -1 };
    int kept = 0;                    //  scored from the cohorts its fetch kept
    bool by [2] = { false, false };  //  a stage scored by each daemon
    int chunks [15] = { 0 };         //  each chunk's stored line
    char chunk_wanted [64];
    snprintf (chunk_wanted, sizeof chunk_wanted, "batch %" PRIu64 " chunk ",
              batch->id);
    char line [1024];
    while (fgets (line, sizeof line, file)) {
        const char *pid = strstr (line, "kejin-scoring[");
        int daemon = -1;
        for (int d = 0; pid && d < 2; d++)
            if (atoi (pid + strlen ("kejin-scoring[")) == daemons [d])
                daemon = d;
        char *at = strstr (line, chunk_wanted);
        if (at && strstr (at, ": 10 members;")) {
            int no = atoi (at + strlen (chunk_wanted));
            assert_true (no >= 0 && no < 15);
            chunks [no]++;
            continue;
        }
        at = strstr (line, wanted);
        if (!at || !strstr (at, ": a cohort of 50 scored"))
            continue;
        int stage = atoi (at + strlen (wanted));
        assert_true (stage >= 0 && stage < S_STAGES);
        assert_true (daemon >= 0);
        if (strstr (at, "to help its holder")) {
            helped [daemon][stage]++;
            continue;
        }
        scored [stage]++;
        holder [stage] = daemon;
        kept += strstr (at, "kept from its fetch") != NULL;
        by [daemon] = true;
    }
    fclose (file);
    for (int stage = 0; stage < S_STAGES; stage++) {
        assert_int_equal (scored [stage], 1);
        for (int d = 0; d < 2; d++) {
            assert_true (helped [d][stage] <= 1);
            assert_true (helped [d][stage] == 0 || holder [stage] != d);
        }
    }
    for (int no = 0; no < 15; no++)
        assert_int_equal (chunks [no], 1);
    print_message ("stages scored again to help their holders: %d\n",
                   helped [0][0] + helped [0][1] + helped [0][2] + helped [1][0]
                       + helped [1][1] + helped [1][2]);
    assert_true (by [0] && by [1]);
    //  The fetching daemon scores the first stage it takes from what it
    //  read (a worker holds one stage at a time, so it gets one of the
    //  three); the others read theirs back from the members
    assert_true (kept >= 1);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A stage held by a worker that stores nothing (this test's session holds
//  its lock): the one daemon, which fetched the batch and kept its
//  members, scores its other stages, then helps the holder: it stores
//  every chunk of the held stage from what it kept, and the batch
//  finishes, each chunk stored once. Without helping the batch waits for
//  the stage's holder forever.

static void
test_stage_helped (void **state)
{
    (void) state;
    rfx_t fx;
    rfx_start (&fx, "scoring_helped", NULL);
    s_firms_in_stages (&fx);
    char path [512];
    off_t from = s_log_end (path, sizeof path);
    const char *extra [] = { "-s", "scoring/relay=false",
                             "-s", "scoring/instance=scoring.h1",
                             "-s", "scoring/chunk=10",
                             "-s", "log/level=info",
                             NULL };
    pid_t daemon = kj_daemon_start ("scoring", &fx.broker, fx.dsn, extra);
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "scoring", 2, 20000));
    //  The next batch's stage 0 (its members are every third firm from the
    //  first) held by this session, as by a worker that stores nothing
    kj_db_t *db = kj_db_new (fx.dsn, "scoring", 5000);
    assert_non_null (db);
    int64_t next = s_count (db, "SELECT last_value + is_called::int "
                                "FROM batch_id_seq");
    assert_true (next >= 1);
    char key [32];
    snprintf (key, sizeof key, "%lld", (long long) (next % 500000000 * 4));
    PGresult *res = kj_db_exec (db,
                                "SELECT pg_try_advisory_lock "
                                "(" KJ_LOCK_SCORING_STAGE ", $1::int)",
                                1, (const char *[]){ key });
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "t");
    PQclear (res);
    char error [512];
    Kj__ScoringProgressReply *hold = kj_calls_score_run (fx.client, 2024,
                                                         "most-2024", 60000,
                                                         error, sizeof error);
    if (!hold)
        fail_msg ("%s", error);
    Kj__ScoringBatch *batch = hold->batch;
    assert_int_equal ((int64_t) batch->id, next);
    assert_string_equal (batch->state, "finished");
    assert_int_equal (batch->stored, 150);
    assert_int_equal (batch->chunks, 15);
    assert_int_equal (s_count (db, "SELECT count (*) FROM portrait"), 150);
    assert_int_equal (s_count (db, "SELECT count (DISTINCT key) FROM "
                                   "kj_outbox WHERE topic = "
                                   "'scoring.portrait.scored'"),
                      150);
    char helped [64], chunk [64];
    snprintf (helped, sizeof helped, "batch %" PRIu64 " stage 0: ", batch->id);
    snprintf (chunk, sizeof chunk, "batch %" PRIu64 " chunk ", batch->id);
    kj__scoring_progress_reply__free_unpacked (hold, NULL);
    kj_db_destroy (&db);
    assert_int_equal (kj_test_kill (daemon, SIGTERM, 10000), 0);
    //  Stage 0 scored once, to help its holder; every chunk stored once
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_int_equal (fseeko (file, from, SEEK_SET), 0);
    int scored = 0, helping = 0, chunks [15] = { 0 };
    char line [1024];
    while (fgets (line, sizeof line, file)) {
        char *at = strstr (line, helped);
        if (at && strstr (at, "a cohort of 50 scored")) {
            scored++;
            helping += strstr (at, "to help its holder") != NULL;
        }
        at = strstr (line, chunk);
        if (at && strstr (at, ": 10 members;")) {
            int no = atoi (at + strlen (chunk));
            assert_true (no >= 0 && no < 15);
            chunks [no]++;
        }
    }
    fclose (file);
    assert_int_equal (scored, 1);
    assert_int_equal (helping, 1);
    for (int no = 0; no < 15; no++)
        assert_int_equal (chunks [no], 1);
    rfx_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_batch_golden_and_rerun),
        cmocka_unit_test (test_whatif),
        cmocka_unit_test (test_worker_killed_mid_batch),
        cmocka_unit_test (test_stage_scored_once),
        cmocka_unit_test (test_stage_helped),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
