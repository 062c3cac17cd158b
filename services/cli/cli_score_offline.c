/*  =========================================================================
    cli_score_offline - `kejin score model list|show|validate` and `kejin
    score cohort --csv FILE --model M`: scoring models and credit
    portraits, offline, with the scoring service's own rules classes
    =========================================================================
*/

#include "cli_score_private.h"
#include "scoring_cohort.h"
#include "kj_region.h"

static scoring_model_t *
s_model (const char *name)
{
    kj_status_t status;
    scoring_model_t *model = scoring_model_load (name, &status);
    if (!model)
        fprintf (stderr, "kejin: %s\n", status.message);
    return model;
}

//  --------------------------------------------------------------------------
//  score model ...

static const char *s_kinds [] = { "indicator", "bonus", "card", "flag",
                                  "stop" };

int
cli_score_model (cli_t *cli, int argc, char **argv)
{
    const char *verb = argc > 2 ? argv [2] : "";
    if (streq (verb, "list") && argc == 3) {
        for (const char *const *name = scoring_model_shipped (); *name;
             name++) {
            scoring_model_t *model = s_model (*name);
            if (!model)
                return CLI_INTERNAL;
            if (cli->json)
                cli_print_object (
                    json_pack ("{s:s, s:i, s:s}", "name", *name, "version",
                               scoring_model_version (model), "title",
                               scoring_model_title (model)));
            else
                printf ("%-12s v%-3d %s\n", *name,
                        scoring_model_version (model),
                        scoring_model_title (model));
            scoring_model_destroy (&model);
        }
        return CLI_OK;
    }
    if ((!streq (verb, "show") && !streq (verb, "validate")) || argc != 4) {
        fprintf (stderr, "%s",
                 _ ("kejin: score model takes list, show MODEL "
                    "or validate MODEL\n"));
        return CLI_USAGE;
    }
    scoring_model_t *model = s_model (argv [3]);
    if (!model)
        return CLI_USAGE;
    size_t columns = scoring_model_columns (model);
    if (streq (verb, "validate")) {
        printf (_ ("%s: valid, model %s version %d, %zu columns\n"), argv [3],
                scoring_model_name (model), scoring_model_version (model),
                columns);
        scoring_model_destroy (&model);
        return CLI_OK;
    }
    printf ("%s v%d  %s\n\n", scoring_model_name (model),
            scoring_model_version (model), scoring_model_title (model));
    cli_table_t *table = cli_table_new (_ ("COLUMN"), _ ("KIND"), _ ("GROUP"),
                                        "初创/成长/稳定", _ ("LABEL"), NULL);
    for (size_t i = 0; i < columns; i++) {
        const scoring_column_t *c = scoring_model_column (model, i);
        char weights [32] = "";
        if (c->kind == SCORING_INDICATOR)
            snprintf (weights, sizeof weights, "%d/%d/%d%s", c->weight [0],
                      c->weight [1], c->weight [2],
                      c->lower_better ? " (low)" : "");
        else if (c->kind == SCORING_BONUS || c->kind == SCORING_FLAG)
            snprintf (weights, sizeof weights, "+%d", c->points);
        cli_table_row (table, c->code, s_kinds [c->kind],
                       c->kind == SCORING_INDICATOR
                           ? scoring_model_group_label (model, c->group)
                           : "",
                       weights, c->label);
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    char a [32], b [32];
    printf (_ ("\nfinal score = scorecard (%s at the start) + %d x (points + "
               "bonus, bonus at most %d) + flags\n"),
            cli_score_milli (scoring_model_intercept_milli (model), a,
                             sizeof a),
            scoring_model_combine (model), scoring_model_bonus_cap (model));
    printf (_ ("grades by %s: AAA >= %" PRId64 ", AA >= %" PRId64
               ", A >= %" PRId64 ", B >= %" PRId64 ", else C\n"),
            scoring_model_grades_by_percentile (model)
                ? _ ("percentile within the cohort")
                : _ ("final score"),
            scoring_model_grade_at (model, SCORING_AAA),
            scoring_model_grade_at (model, SCORING_AA),
            scoring_model_grade_at (model, SCORING_A),
            scoring_model_grade_at (model, SCORING_B));
    printf (_ ("credit line (grade %s or better, no stop): min (%d bp of %s, "
               "stage cap %s / %s / "),
            scoring_grade_name (scoring_model_line_min_grade (model)),
            scoring_model_line_rate_bp (model),
            scoring_model_revenue_column (model),
            cli_yuan (scoring_model_line_cap (model, SCORING_STARTUP), a,
                      sizeof a),
            cli_yuan (scoring_model_line_cap (model, SCORING_GROWTH), b,
                      sizeof b));
    printf (_ ("%s, at most %s)\n"),
            cli_yuan (scoring_model_line_cap (model, SCORING_STABLE), a,
                      sizeof a),
            cli_yuan (scoring_model_line_max (model), b, sizeof b));
    scoring_model_destroy (&model);
    return CLI_OK;
}

//  --------------------------------------------------------------------------
//  score cohort

typedef struct {
    const char *path;
    scoring_model_t *model;
    scoring_cohort_t *cohort;
    int id_at, stage_at;  //  header positions
    int *input_at;        //  header position of each input
    size_t fields;
    int refused;
    int64_t *values;
    bool *present;
    cli_table_t *table;  //  without --json
} s_run_t;

static int
s_refuse (s_run_t *self, uint32_t row, const char *column, const char *message)
{
    if (column)
        fprintf (stderr, _ ("kejin: %s row %u, column %s: %s\n"), self->path,
                 row, column, message);
    else
        fprintf (stderr, _ ("kejin: %s row %u: %s\n"), self->path, row,
                 message);
    self->refused++;
    return 0;
}

static int
s_header (s_run_t *self, const char *const *fields, size_t count)
{
    size_t inputs = scoring_cohort_inputs (self->cohort);
    self->fields = count;
    self->id_at = self->stage_at = -1;
    for (size_t i = 0; i < inputs; i++)
        self->input_at [i] = -1;
    for (size_t f = 0; f < count; f++) {
        int known = 0;
        if (streq (fields [f], "id"))
            self->id_at = (int) f, known = 1;
        if (streq (fields [f], "stage"))
            self->stage_at = (int) f, known = 1;
        for (size_t i = 0; i < inputs; i++)
            if (streq (fields [f],
                       scoring_cohort_input_name (self->cohort, i))) {
                if (self->input_at [i] >= 0) {
                    fprintf (stderr,
                             _ ("kejin: %s row 1: column %s is there "
                                "twice\n"),
                             self->path, fields [f]);
                    return 1;
                }
                self->input_at [i] = (int) f, known = 1;
            }
        if (!known) {
            fprintf (stderr,
                     _ ("kejin: %s row 1: model %s reads no column "
                        "'%s' (kejin score model show %s lists them)\n"),
                     self->path, scoring_model_name (self->model), fields [f],
                     scoring_model_name (self->model));
            return 1;
        }
    }
    const char *missing = self->id_at < 0    ? "id"
                        : self->stage_at < 0 ? "stage"
                                             : NULL;
    for (size_t i = 0; !missing && i < inputs; i++)
        if (self->input_at [i] < 0)
            missing = scoring_cohort_input_name (self->cohort, i);
    if (missing) {
        fprintf (stderr,
                 _ ("kejin: %s row 1: no column %s, which model %s "
                    "reads\n"),
                 self->path, missing, scoring_model_name (self->model));
        return 1;
    }
    return 0;
}

static int
s_each_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    s_run_t *self = (s_run_t *) arg;
    if (row == 1)
        return s_header (self, fields, count);
    if (count != self->fields) {
        char why [96];
        snprintf (why, sizeof why, _ ("%zu fields where the header has %zu"),
                  count, self->fields);
        return s_refuse (self, row, NULL, why);
    }
    const char *id = fields [self->id_at];
    if (!*id)
        return s_refuse (self, row, "id", _ ("is empty; give each row an id"));
    int stage = scoring_stage_parse (fields [self->stage_at]);
    if (stage < 0)
        return s_refuse (self, row, "stage",
                         _ ("is not a stage: 孵化期, 初创期, "
                            "成长期, 成熟期 (or incubation, startup, growth, "
                            "mature)"));
    size_t inputs = scoring_cohort_inputs (self->cohort);
    for (size_t i = 0; i < inputs; i++) {
        const char *text = fields [self->input_at [i]];
        const char *name = scoring_cohort_input_name (self->cohort, i);
        self->present [i] = *text != 0;
        if (!*text)
            continue;
        const char *digits = *text == '-' ? text + 1 : text;
        bool ok = *digits != 0;
        for (const char *c = digits; *c; c++)
            ok = ok && *c >= '0' && *c <= '9';
        char why [160];
        if (!ok || kj_parse_int64 (text, &self->values [i])) {
            snprintf (why, sizeof why,
                      _ ("'%.40s' is not a whole number "
                         "(amounts in fen, rates in basis points)"),
                      text);
            return s_refuse (self, row, name, why);
        }
    }
    kj_status_t status;
    if (scoring_cohort_add (self->cohort, id, (scoring_stage_t) stage,
                            self->values, self->present, &status))
        return s_refuse (self, row, status.field, status.message);
    return 0;
}

static void
s_print_portrait (cli_t *cli, s_run_t *self, size_t m)
{
    const scoring_portrait_t *p = scoring_cohort_portrait (self->cohort, m);
    const char *stop = p->stop >= 0
                         ? scoring_model_column (self->model, (size_t) p->stop)
                               ->code
                         : NULL;
    if (cli->json) {
        json_t *reasons = json_array ();
        for (int r = 0; r < p->reason_count; r++) {
            const scoring_column_t
                *c = scoring_model_column (self->model,
                                           (size_t) p->reasons [r].column);
            json_array_append_new (
                reasons,
                json_pack ("{s:s, s:s, s:I, s:b}", "code", c->code, "label",
                           c->label, "lost_milli",
                           (json_int_t) ((p->reasons [r].lost_micro + 500)
                                         / 1000),
                           "missing", p->reasons [r].missing));
        }
        json_t *object = json_pack (
            "{s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, "
            "s:o, s:i, s:o}",
            "id", scoring_cohort_id (self->cohort, m), "stage",
            scoring_stage_name (scoring_cohort_stage (self->cohort, m)),
            "model", scoring_model_name (self->model), "model_version",
            scoring_model_version (self->model), "points_milli",
            (json_int_t) p->points_milli, "bonus_milli",
            (json_int_t) p->bonus_milli, "scorecard_milli",
            (json_int_t) p->scorecard_milli, "flags_milli",
            (json_int_t) p->flags_milli, "score_milli",
            (json_int_t) p->score_milli, "percentile_milli",
            (json_int_t) p->percentile_milli, "grade",
            scoring_grade_name (p->grade), "stop",
            stop ? json_string (stop) : json_null (), "credit_line_fen",
            p->line_known ? json_integer (p->line_fen) : json_null (),
            "missing", p->missing_count, "reasons", reasons);
        cli_print_object (object);
        return;
    }
    char points [32], score [32], line [48], why [512] = "";
    if (stop)
        snprintf (why, sizeof why, "STOP %s",
                  scoring_model_column (self->model, (size_t) p->stop)->label);
    for (int r = 0; r < p->reason_count && !stop; r++) {
        const scoring_column_t *c =
            scoring_model_column (self->model, (size_t) p->reasons [r].column);
        snprintf (why + strlen (why), sizeof why - strlen (why), "%s%s%s",
                  r ? ", " : "", c->label,
                  p->reasons [r].missing ? _ (" (not reported)") : "");
    }
    if (p->line_known)
        cli_yuan (p->line_fen, line, sizeof line);
    else
        snprintf (line, sizeof line, "%s", _ ("(revenue not reported)"));
    cli_table_row (self->table, scoring_cohort_id (self->cohort, m),
                   scoring_stage_name (scoring_cohort_stage (self->cohort, m)),
                   cli_score_milli (p->points_milli + p->bonus_milli, points,
                                    sizeof points),
                   cli_score_milli (p->score_milli, score, sizeof score),
                   scoring_grade_name (p->grade), line, why);
}

int
cli_score_cohort (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "csv= model=", cli_score_usage, 0,
                                      "csv model",
                                      N_ ("score cohort needs --csv "
                                          "FILE and --model MODEL"));
    if (!args)
        return CLI_USAGE;
    s_run_t self = { .path = cli_args_get (args, "csv") };
    self.model = s_model (cli_args_get (args, "model"));
    FILE *file = NULL;
    if (self.model) {
        file = streq (self.path, "-") ? stdin : fopen (self.path, "r");
        if (!file)
            fprintf (stderr, _ ("kejin: cannot read %s: %s\n"), self.path,
                     strerror (errno));
    }
    int rc = CLI_USAGE;
    if (file) {
        self.cohort = scoring_cohort_new (self.model);
        size_t inputs = scoring_cohort_inputs (self.cohort);
        self.input_at = (int *) zmalloc (inputs * sizeof (int));
        self.values = (int64_t *) zmalloc (inputs * sizeof (int64_t));
        self.present = (bool *) zmalloc (inputs * sizeof (bool));
        char error [256];
        int read = kj_csv_read (file, s_each_row, &self, error, sizeof error);
        if (read < 0)
            fprintf (stderr, "kejin: %s %s\n", self.path, error);
        size_t size = scoring_cohort_size (self.cohort);
        if (read == 0 && size + self.refused == 0)
            fprintf (stderr, _ ("kejin: %s has no rows below its header\n"),
                     self.path);
        if (read == 0 && size) {
            scoring_cohort_score (self.cohort);
            if (!cli->json)
                self.table = cli_table_new (_ ("ID"), _ ("STAGE"), _ ("POINTS"),
                                            _ ("SCORE"), _ ("GRADE"),
                                            _ ("LINE"),
                                            _ ("WHY (most points lost first)"),
                                            NULL);
            for (size_t m = 0; m < size; m++)
                s_print_portrait (cli, &self, m);
            if (self.table) {
                cli_table_print (self.table, stdout);
                cli_table_destroy (&self.table);
            }
        }
        rc = read || self.refused || !size ? CLI_USAGE : CLI_OK;
        if (file != stdin)
            fclose (file);
        free (self.input_at);
        free (self.values);
        free (self.present);
        scoring_cohort_destroy (&self.cohort);
    }
    scoring_model_destroy (&self.model);
    cli_args_destroy (&args);
    return rc;
}
