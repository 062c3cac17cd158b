/*  =========================================================================
    cli_score - `kejin score`: the usage, and the verbs of kejin-scoring
    through the broker (run, show, whatif, dist, compare); model and
    cohort, which need no node, are cli_score_offline.c's
    =========================================================================
*/

#include "cli_score_private.h"
#include "scoring_cohort.h"
#include "kj_region.h"

const char *const cli_score_usage = N_ (
    "Usage: kejin score model list\n"
    "       kejin score model show MODEL\n"
    "       kejin score model validate MODEL\n"
    "       kejin score cohort --csv FILE --model MODEL [--json]\n"
    "       kejin score run [--year Y] [--model M] [--no-wait] [--json]\n"
    "       kejin score show CODE [--year Y] [--model M] [--json]\n"
    "       kejin score whatif --stage STAGE [--model M] COLUMN=VALUE...\n"
    "       kejin score dist [--year Y] [--model M] [--by city|stage]\n"
    "       kejin score compare M1 M2 [--year Y]\n"
    "Scoring models and credit portraits (信用画像). model and cohort run\n"
    "offline: the same rules as the scoring service, nothing stored, no\n"
    "node needed. run, show, whatif and dist ask kejin-scoring.\n"
    "MODEL is a shipped model's name (kejin score model list) or a file's\n"
    "path (with a /, e.g. ./my.model); docs/rules/scoring.md has the format.\n"
    "\n"
    "  model list       the shipped models\n"
    "  model show       a model's indicators, weights per stage, scorecard,\n"
    "                   flags, grades and credit-line formula\n"
    "  model validate   check a model: exit 0, or 2 with the line at fault\n"
    "  cohort           score the firms of FILE, one a row: id, stage\n"
    "                   (孵化期 初创期 成长期 成熟期, or incubation startup\n"
    "                   growth mature) and one column per input the model\n"
    "                   reads (model show lists them); an empty cell is not\n"
    "                   reported (scores 0 and is flagged, never taken as 0).\n"
    "                   Percentiles are within each stage of the file.\n"
    "  run              score every active enterprise of year Y (default:\n"
    "                   last year) under M (default: the service's), and\n"
    "                   follow the batch until it is finished\n"
    "  show             one enterprise's stored portrait, with the reasons\n"
    "                   that cost it the most points\n"
    "  whatif           score figures given here, nothing stored: a cohort\n"
    "                   of one (each indicator counts as the best)\n"
    "  dist             counts per grade of a year's portraits\n"
    "  compare          two models over one year: counts per grade, how\n"
    "                   firms move between grades, the grades' PSI\n"
    "\n"
    "Exit code 0 when every row was scored, 2 when a row or the model was\n"
    "refused (each refusal names the row and the column).\n");

//  "62.345" from milli-units
char *
cli_score_milli (int64_t milli, char *buf, size_t size)
{
    uint64_t magnitude = milli < 0 ? 0 - (uint64_t) milli : (uint64_t) milli;
    snprintf (buf, size, "%s%" PRIu64 ".%03" PRIu64, milli < 0 ? "-" : "",
              magnitude / 1000, magnitude % 1000);
    return buf;
}

//  --------------------------------------------------------------------------
//  The service's verbs

//  "--year Y" into *year (0 if not given); -1 if it is not a number
static int
s_year (cli_args_t *args, int32_t *year)
{
    const char *text = cli_args_get (args, "year");
    *year = 0;
    if (!text)
        return 0;
    char *end;
    long value = strtol (text, &end, 10);
    if (*end || end == text || value < 0 || value > 9999) {
        fprintf (stderr, _ ("kejin: --year %s is not a year\n"), text);
        return -1;
    }
    *year = (int32_t) value;
    return 0;
}

//  A batch's state as people read it: fetching, scoring, finished

static const char *
s_state_name (const char *state)
{
    if (streq (state, "fetching"))
        return _ ("fetching");
    if (streq (state, "scoring"))
        return _ ("scoring");
    if (streq (state, "finished"))
        return _ ("finished");
    return state;
}

static void
s_print_grades (const char *key, const uint64_t *grades, size_t n,
                uint64_t total, cli_table_t *table)
{
    char cells [SCORING_GRADES][24], all [24];
    for (size_t g = 0; g < SCORING_GRADES; g++)
        snprintf (cells [g], sizeof cells [g], "%" PRIu64,
                  g < n ? grades [g] : 0);
    snprintf (all, sizeof all, "%" PRIu64, total);
    cli_table_row (table, key, cells [0], cells [1], cells [2], cells [3],
                   cells [4], all);
}

static int
s_run_cmd (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "year= model= no-wait!",
                                      cli_score_usage, 0, NULL, NULL);
    if (!args)
        return CLI_USAGE;
    Kj__ScoringRunRequest request = KJ__SCORING_RUN_REQUEST__INIT;
    request.model = cli_args_text (args, "model");
    bool wait = !cli_args_flag (args, "no-wait");
    Kj__ScoringRunReply *reply = NULL;
    int rc = s_year (args, &request.year)
               ? CLI_USAGE
               : cli_call (cli, "scoring", "Run", &request.base,
                           &kj__scoring_run_reply__descriptor,
                           (ProtobufCMessage **) &reply, false);
    cli_args_destroy (&args);
    if (rc)
        return rc;
    Kj__ScoringProgressRequest progress = KJ__SCORING_PROGRESS_REQUEST__INIT;
    progress.batch_id = reply->batch->id;
    fprintf (stderr,
             reply->joined
                 ? _ ("batch %" PRIu64 ": joined the scoring of %d under "
                      "%s v%d (already running)\n")
                 : _ ("batch %" PRIu64 ": scoring %d under %s v%d\n"),
             reply->batch->id, reply->batch->year, reply->batch->model,
             reply->batch->version);
    kj__scoring_run_reply__free_unpacked (reply, NULL);
    Kj__ScoringProgressReply *seen = NULL;
    uint64_t shown = UINT64_MAX;
    while (true) {
        seen = NULL;
        rc = cli_call (cli, "scoring", "Progress", &progress.base,
                       &kj__scoring_progress_reply__descriptor,
                       (ProtobufCMessage **) &seen, true);
        if (rc)
            return rc;
        Kj__ScoringBatch *batch = seen->batch;
        bool done = streq (batch->state, "finished");
        if (batch->scored != shown || done || !wait) {
            fputs ("  ", stderr);
            cli_pad (stderr, s_state_name (batch->state), 10);
            fprintf (stderr,
                     _ ("%" PRIu64 " of %" PRIu64 " scored, %" PRIu64
                        " new, %" PRIu64 " changed grade\n"),
                     batch->scored, batch->total, batch->stored,
                     batch->changed);
            shown = batch->scored;
        }
        if (done || !wait)
            break;
        kj__scoring_progress_reply__free_unpacked (seen, NULL);
        zclock_sleep (500);
    }
    Kj__ScoringBatch *batch = seen->batch;
    if (cli->json)
        cli_print_json (&batch->base);
    else if (streq (batch->state, "finished")) {
        printf (_ ("batch %" PRIu64 " finished in %.1f s\n"), batch->id,
                (double) (batch->finished_at_us - batch->started_at_us) / 1e6);
        cli_table_t *table = cli_table_new ("", "AAA", "AA", "A", "B", "C",
                                            _ ("TOTAL"), NULL);
        s_print_grades (_ ("all"), batch->grades, batch->n_grades, batch->total,
                        table);
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    kj__scoring_progress_reply__free_unpacked (seen, NULL);
    return CLI_OK;
}

static void
s_print_stored (const Kj__ScoringPortrait *p)
{
    char score [32], points [32], bonus [32], card [32], flags [32];
    char percentile [32], line [48];
    printf (_ ("%s  %d  %s v%d  stage %s  region %s\n"), p->id, p->year,
            p->model, p->version, p->stage, *p->region ? p->region : "-");
    printf (_ ("grade %s  score %s  (percentile %s)%s%s\n"), p->grade,
            cli_score_milli (p->score_milli, score, sizeof score),
            cli_score_milli (p->percentile_milli, percentile,
                             sizeof percentile),
            *p->previous_grade ? _ ("  previous grade ") : "",
            p->previous_grade);
    printf (_ ("points %s  bonus %s  scorecard %s  flags %s\n"),
            cli_score_milli (p->points_milli, points, sizeof points),
            cli_score_milli (p->bonus_milli, bonus, sizeof bonus),
            cli_score_milli (p->scorecard_milli, card, sizeof card),
            cli_score_milli (p->flags_milli, flags, sizeof flags));
    if (*p->stop)
        printf (_ ("stopped by the negative list: %s\n"), p->stop);
    printf (_ ("pre-approved collateral-free line: %s\n"),
            p->line_known ? cli_yuan (p->line_fen, line, sizeof line)
                          : _ ("revenue not reported"));
    printf (_ ("%d inputs not reported\n"), p->missing_count);
    if (p->n_reasons) {
        printf ("%s", _ ("why (most points lost first):\n"));
        for (size_t r = 0; r < p->n_reasons; r++) {
            char lost [32];
            const Kj__ScoringReason *reason = p->reasons [r];
            cli_score_milli ((reason->lost_micro + 500) / 1000, lost,
                             sizeof lost);
            printf ("  %-20s ", reason->code);
            cli_pad (stdout, reason->label, 24);
            printf (" -%s%s\n", lost,
                    reason->missing ? _ ("  (not reported)") : "");
        }
    }
}

//  A portrait as JSON or for people
static void
s_print_answer (cli_t *cli, const Kj__ScoringPortrait *portrait)
{
    if (cli->json)
        cli_print_json (&portrait->base);
    else
        s_print_stored (portrait);
}

static int
s_show_cmd (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "year= model=", cli_score_usage, 1, NULL,
                                      N_ ("score show needs a credit code"));
    if (!args)
        return CLI_USAGE;
    Kj__ScoringShowRequest request = KJ__SCORING_SHOW_REQUEST__INIT;
    request.code = (char *) cli_args_positional (args, 0);
    request.model = cli_args_text (args, "model");
    Kj__ScoringShowReply *reply = NULL;
    int rc = s_year (args, &request.year)
               ? CLI_USAGE
               : cli_call (cli, "scoring", "Show", &request.base,
                           &kj__scoring_show_reply__descriptor,
                           (ProtobufCMessage **) &reply, true);
    if (rc == CLI_OK) {
        s_print_answer (cli, reply->portrait);
        kj__scoring_show_reply__free_unpacked (reply, NULL);
    }
    cli_args_destroy (&args);
    return rc;
}

static int
s_whatif_cmd (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
                                     "stage= model=", cli_score_usage);
    if (!args)
        return CLI_USAGE;
    size_t n = cli_args_count (args);
    if (!cli_args_get (args, "stage") || n == 0 || n > SCORING_COLUMNS_MAX) {
        fprintf (stderr,
                 _ ("kejin: score whatif needs --stage and 1 to %d "
                    "COLUMN=VALUE\n"),
                 SCORING_COLUMNS_MAX);
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    Kj__ScoringValue values [SCORING_COLUMNS_MAX];
    Kj__ScoringValue *pointers [SCORING_COLUMNS_MAX];
    char names [SCORING_COLUMNS_MAX][SCORING_CODE_MAX];
    int rc = CLI_OK;
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        const char *item = cli_args_positional (args, i);
        const char *equals = strchr (item, '=');
        char *end = NULL;
        kj__scoring_value__init (&values [i]);
        if (equals && equals - item < SCORING_CODE_MAX)
            values [i].value = strtoll (equals + 1, &end, 10);
        if (!equals || equals == item || equals - item >= SCORING_CODE_MAX
            || !end || end == equals + 1 || *end) {
            fprintf (stderr,
                     _ ("kejin: '%s' is not COLUMN=VALUE (a whole "
                        "number)\n"),
                     item);
            rc = CLI_USAGE;
            break;
        }
        snprintf (names [i], sizeof names [i], "%.*s", (int) (equals - item),
                  item);
        values [i].column = names [i];
        pointers [i] = &values [i];
    }
    Kj__ScoringMember member = KJ__SCORING_MEMBER__INIT;
    member.id = "whatif";
    member.stage = (char *) cli_args_get (args, "stage");
    member.values = pointers;
    member.n_values = n;
    Kj__ScoringMember *members [] = { &member };
    Kj__ScoringWhatIfRequest request = KJ__SCORING_WHAT_IF_REQUEST__INIT;
    request.model = cli_args_text (args, "model");
    request.members = members;
    request.n_members = 1;
    Kj__ScoringWhatIfReply *reply = NULL;
    if (rc == CLI_OK)
        rc = cli_call (cli, "scoring", "WhatIf", &request.base,
                       &kj__scoring_what_if_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    if (rc == CLI_OK) {
        s_print_answer (cli, reply->portrait);
        kj__scoring_what_if_reply__free_unpacked (reply, NULL);
    }
    cli_args_destroy (&args);
    return rc;
}

static int
s_dist_cmd (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "year= model= by=", cli_score_usage, 0,
                                      NULL, NULL);
    if (!args)
        return CLI_USAGE;
    Kj__ScoringDistRequest request = KJ__SCORING_DIST_REQUEST__INIT;
    request.model = cli_args_text (args, "model");
    request.by = cli_args_text (args, "by");
    Kj__ScoringDistReply *reply = NULL;
    int rc = s_year (args, &request.year)
               ? CLI_USAGE
               : cli_call (cli, "scoring", "Dist", &request.base,
                           &kj__scoring_dist_reply__descriptor,
                           (ProtobufCMessage **) &reply, true);
    cli_args_destroy (&args);
    if (rc)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else if (reply->n_rows == 0)
        printf (_ ("no portraits under %s yet: kejin score run scores a "
                   "year\n"),
                reply->model);
    else {
        printf (_ ("%d under %s v%d\n"), reply->year, reply->model,
                reply->version);
        cli_table_t *table = cli_table_new (*request.by ? request.by : "",
                                            "AAA", "AA", "A", "B", "C",
                                            _ ("TOTAL"), NULL);
        for (size_t r = 0; r < reply->n_rows; r++) {
            const char *key = reply->rows [r]->key;
            char city [64];
            if (streq (request.by, "city"))
                key = cli_city_label (key, city, sizeof city);
            s_print_grades (*key ? key : _ ("all"), reply->rows [r]->grades,
                            reply->rows [r]->n_grades, reply->rows [r]->total,
                            table);
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    kj__scoring_dist_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

//  Counts per band as "1 0 2 ..."
static char *
s_bands (const uint64_t *bands, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (size_t b = 0; b < n && used < size; b++)
        used += (size_t) snprintf (buf + used, size - used, "%s%" PRIu64,
                                   b ? " " : "", bands [b]);
    return buf;
}

//  One indicator's PSI as a table row
static void
s_print_psi (const Kj__ScoringIndicatorPsi *psi, cli_table_t *table)
{
    char value [32], a [256], b [256];
    cli_score_milli ((psi->psi_e4 + 5) / 10, value, sizeof value);
    cli_table_row (table, psi->code, psi->label, value,
                   s_bands (psi->bands_a, psi->n_bands_a, a, sizeof a),
                   s_bands (psi->bands_b, psi->n_bands_b, b, sizeof b));
}

static int
s_compare_cmd (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "year=", cli_score_usage, 2,
                                      NULL,
                                      N_ ("score compare needs two models"));
    if (!args)
        return CLI_USAGE;
    Kj__ScoringCompareRequest request = KJ__SCORING_COMPARE_REQUEST__INIT;
    request.model_a = (char *) cli_args_positional (args, 0);
    request.model_b = (char *) cli_args_positional (args, 1);
    Kj__ScoringCompareReply *reply = NULL;
    int rc = s_year (args, &request.year)
               ? CLI_USAGE
               : cli_call (cli, "scoring", "Compare", &request.base,
                           &kj__scoring_compare_reply__descriptor,
                           (ProtobufCMessage **) &reply, true);
    cli_args_destroy (&args);
    if (rc)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        printf (_ ("%d: %s v%d (rows) against %s v%d (columns)\n"), reply->year,
                reply->model_a, reply->version_a, reply->model_b,
                reply->version_b);
        cli_table_t *table = cli_table_new ("", "AAA", "AA", "A", "B", "C",
                                            _ ("TOTAL"), NULL);
        for (int g = 0; g < SCORING_GRADES; g++) {
            uint64_t total = 0;
            for (int h = 0; h < SCORING_GRADES; h++)
                total += reply->migration [g * SCORING_GRADES + h];
            s_print_grades (scoring_grade_name ((scoring_grade_t) g),
                            reply->migration + g * SCORING_GRADES,
                            SCORING_GRADES, total, table);
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
        char psi [32];
        printf (_ ("scored under one model only: %" PRIu64 " and %" PRIu64
                   "\nPSI of the grade distributions: %s\n"),
                reply->only_a, reply->only_b,
                cli_score_milli ((reply->grade_psi_e4 + 5) / 10, psi,
                                 sizeof psi));
        if (reply->n_indicators) {
            printf ("%s", _ ("\nPSI per indicator (firms per tenth of the "
                             "share of the best, lowest first, then not "
                             "reported):\n"));
            table = cli_table_new (_ ("COLUMN"), _ ("LABEL"), "PSI",
                                   _ ("BANDS (first model)"),
                                   _ ("BANDS (second model)"), NULL);
            for (size_t i = 0; i < reply->n_indicators; i++)
                s_print_psi (reply->indicators [i], table);
            cli_table_print (table, stdout);
            cli_table_destroy (&table);
        }
    }
    kj__scoring_compare_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

int
cli_score (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (cli_score_usage, argc < 2);
    if (streq (argv [1], "model"))
        return cli_score_model (cli, argc, argv);
    if (streq (argv [1], "cohort"))
        return cli_score_cohort (cli, argc, argv);
    if (streq (argv [1], "run"))
        return s_run_cmd (cli, argc, argv);
    if (streq (argv [1], "show"))
        return s_show_cmd (cli, argc, argv);
    if (streq (argv [1], "whatif"))
        return s_whatif_cmd (cli, argc, argv);
    if (streq (argv [1], "dist"))
        return s_dist_cmd (cli, argc, argv);
    if (streq (argv [1], "compare"))
        return s_compare_cmd (cli, argc, argv);
    fprintf (stderr,
             _ ("kejin: unknown score command '%s'\nTry 'kejin score "
                "--help'.\n"),
             argv [1]);
    return CLI_USAGE;
}
