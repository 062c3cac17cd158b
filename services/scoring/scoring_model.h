/*  =========================================================================
    scoring_model - a scoring model as data: indicators and their weights
    per stage, bonus grids, negative-list stops, the scorecard, flags,
    grade bands and the credit-line formula

    A model is a text file (docs/rules/scoring.md: one directive a line),
    versioned by its name and version, loaded and checked whole: a file
    with any error is refused with its line and the reason, so that a new
    model needs no new code. The models Kejin ships are carried in the
    binary (services/scoring/data/, scoring_files[]).
    =========================================================================
*/

#ifndef SCORING_MODEL_H_INCLUDED
#define SCORING_MODEL_H_INCLUDED

#include "kejin.h"

//  The scoring stages, mapped from the platform's four (孵化 and 初创 ->
//  初创, 成长 -> 成长, 成熟 -> 稳定)
typedef enum {
    SCORING_STARTUP = 0,  //  初创
    SCORING_GROWTH = 1,   //  成长
    SCORING_STABLE = 2,   //  稳定
    SCORING_STAGES = 3
} scoring_stage_t;

//  Grades, best first
typedef enum {
    SCORING_AAA,
    SCORING_AA,
    SCORING_A,
    SCORING_B,
    SCORING_C,
    SCORING_GRADES
} scoring_grade_t;

#define SCORING_CODE_MAX    48
#define SCORING_LABEL_MAX   96
#define SCORING_STEPS_MAX   12
#define SCORING_COLUMNS_MAX 96

//  What a column of the input is to the model
typedef enum {
    SCORING_INDICATOR,  //  percentile within the cohort, weighted
    SCORING_BONUS,      //  threshold grid, bonus points
    SCORING_CARD,       //  scorecard characteristic, binned
    SCORING_FLAG,       //  qualification held (1) or not (0)
    SCORING_STOP        //  negative-list event (1) stops the portrait
} scoring_kind_t;

typedef struct {
    scoring_kind_t kind;
    char code [SCORING_CODE_MAX];    //  the CSV column, the reason code
    char label [SCORING_LABEL_MAX];  //  for people
    int group;                       //  indicator: index into the groups
    bool lower_better;               //  indicator: invert the percentile
    int weight [SCORING_STAGES];     //  indicator: points per stage
    int points;                      //  bonus: most points; flag: points
    int steps;                       //  bonus and card: how many steps
    int64_t at [SCORING_STEPS_MAX];  //  value >= at [i] -> step i
    int64_t step_value [SCORING_STEPS_MAX];  //  bonus: percent of points;
                                             //  card: milli-points of that bin
    bool open_low;          //  card: the first bin has no lower end
    bool has_missing;       //  card: a bin for a missing value
    int64_t missing_value;  //  card: its milli-points
} scoring_column_t;

typedef struct _scoring_model_t scoring_model_t;

//  Parse a model from text; source names it in errors ("FILE:LINE: ...").
//  NULL with status (INVALID_ARGUMENT, field "model", the message naming
//  the line) if anything is wrong.
scoring_model_t *
    scoring_model_parse (const char *text, const char *source,
                         kj_status_t *status);

//  Load a model from a file, or, when path has no '/', one of the shipped
//  models by name ("most-2024"). NULL with status if it cannot.
scoring_model_t *
    scoring_model_load (const char *path, kj_status_t *status);

void
    scoring_model_destroy (scoring_model_t **self_p);

//  The shipped models' names, { NULL } ended (static).
const char *const *
    scoring_model_shipped (void);

//  The text of a shipped model, or NULL.
const char *
    scoring_model_shipped_text (const char *name);

const char *
    scoring_model_name (scoring_model_t *self);
int
    scoring_model_version (scoring_model_t *self);
const char *
    scoring_model_title (scoring_model_t *self);

//  The columns the model reads, in file order, and the line's revenue
//  column (may be one of them).
size_t
    scoring_model_columns (scoring_model_t *self);
const scoring_column_t *
    scoring_model_column (scoring_model_t *self, size_t index);
const char *
    scoring_model_revenue_column (scoring_model_t *self);
const char *
    scoring_model_group_label (scoring_model_t *self, int group);

//  Points of a stage's indicators (100), the bonus cap (0 if none)
int
    scoring_model_bonus_cap (scoring_model_t *self);
bool
    scoring_model_has_scorecard (scoring_model_t *self);

//  The scorecard's points for ln(odds) in milli-points: Offset + Factor x
//  ln(odds), with Factor = PDO / ln 2 and Offset = base - Factor x
//  ln(base odds). For tests of the scaling and for the intercept.
int64_t
    scoring_model_scale_milli (scoring_model_t *self, double ln_odds);

//  The intercept's milli-points (the scorecard's start)
int64_t
    scoring_model_intercept_milli (scoring_model_t *self);

//  Final score = scorecard + combine x innovation points + flags
int
    scoring_model_combine (scoring_model_t *self);

//  Grades: by percentile within the cohort (true) or by final score;
//  thresholds for AAA, AA, A, B (percent, or whole points).
bool
    scoring_model_grades_by_percentile (scoring_model_t *self);
int64_t
    scoring_model_grade_at (scoring_model_t *self, scoring_grade_t grade);

//  Credit line: rate in bp of revenue, cap per stage (fen), product
//  maximum (fen), the lowest grade that gets one.
int
    scoring_model_line_rate_bp (scoring_model_t *self);
int64_t
    scoring_model_line_cap (scoring_model_t *self, scoring_stage_t stage);
int64_t
    scoring_model_line_max (scoring_model_t *self);
scoring_grade_t
    scoring_model_line_min_grade (scoring_model_t *self);

//  "AAA" ... "C"; a grade by its name, or -1
const char *
    scoring_grade_name (scoring_grade_t grade);
int
    scoring_grade_by_name (const char *name);

//  A platform or scoring stage as people type it - 孵化期, 初创期,
//  成长期, 成熟期 (and without 期), incubation, startup, growth, mature,
//  STAGE_GROWTH - as a scoring stage, or -1.
int
    scoring_stage_parse (const char *text);

//  初创, 成长, 稳定
const char *
    scoring_stage_name (scoring_stage_t stage);

#endif
