/*  =========================================================================
    scoring_cohort - credit portraits of a cohort of enterprises under one
    model: percentiles within the cohort, points, scorecard, grade, reasons
    and the pre-approved credit line

    Percentiles depend on the whole cohort, so a cohort is scored at once:
    add every member, then score. A cohort is the members of one scoring
    stage (初创, 成长, 稳定) among those added (the caller adds one year's).
    Pure rules, no I/O; integer arithmetic throughout.
    =========================================================================
*/

#ifndef SCORING_COHORT_H_INCLUDED
#define SCORING_COHORT_H_INCLUDED

#include "scoring_model.h"

#define SCORING_REASONS 4

//  A column's share of its best, in basis points (rounded down): an
//  indicator's percentile s, a bonus's percent of its points (before the
//  cap); these two for a value not reported, or a column of another kind
#define SCORING_SHARE_MISSING (-1)
#define SCORING_SHARE_NONE    (-2)

//  Bands of shares for the PSI per indicator: ten of 10 % each, then one
//  for a value not reported
#define SCORING_BANDS 11

//  Why points were lost: the column and how many micro-points
typedef struct {
    int column;          //  index in the model's columns
    int64_t lost_micro;  //  points below the best, x 1,000,000
    bool missing;        //  the value was not reported
} scoring_reason_t;

typedef struct {
    int64_t points_milli;      //  innovation points (indicators), x 1000
    int64_t bonus_milli;       //  bonus points, after the cap
    int64_t scorecard_milli;   //  scorecard score (0 without one)
    int64_t flags_milli;       //  qualification flags' points
    int64_t score_milli;       //  final: scorecard + combine x (points +
                               //  bonus) + flags
    int64_t percentile_milli;  //  of the final score within the cohort
    scoring_grade_t grade;
    int stop;          //  column of the negative-list stop, or -1
    bool line_known;   //  false: revenue not reported
    int64_t line_fen;  //  pre-approved collateral-free line
    scoring_reason_t reasons [SCORING_REASONS];
    int reason_count;
    int missing_count;  //  columns not reported
} scoring_portrait_t;

typedef struct _scoring_cohort_t scoring_cohort_t;

scoring_cohort_t *
    scoring_cohort_new (scoring_model_t *model);

void
    scoring_cohort_destroy (scoring_cohort_t **self_p);

//  Add a member. values [i] and present [i] for each model column i, then
//  one more for the revenue column when it is not a model column
//  (scoring_cohort_inputs says how many). -1 with status naming the
//  column if a value cannot be right (negative where only _bp columns may
//  be, a flag or stop other than 0 or 1).
int
    scoring_cohort_add (scoring_cohort_t *self, const char *id,
                        scoring_stage_t stage, const int64_t *values,
                        const bool *present, kj_status_t *status);

//  How many values a member has, and the name of input i
size_t
    scoring_cohort_inputs (scoring_cohort_t *self);
const char *
    scoring_cohort_input_name (scoring_cohort_t *self, size_t index);

//  Score every member; then portraits are ready.
void
    scoring_cohort_score (scoring_cohort_t *self);

size_t
    scoring_cohort_size (scoring_cohort_t *self);

//  The model the cohort is scored under
scoring_model_t *
    scoring_cohort_model (scoring_cohort_t *self);

const char *
    scoring_cohort_id (scoring_cohort_t *self, size_t index);

scoring_stage_t
    scoring_cohort_stage (scoring_cohort_t *self, size_t index);

const scoring_portrait_t *
    scoring_cohort_portrait (scoring_cohort_t *self, size_t index);

//  Was input column of member index reported?
bool
    scoring_cohort_present (scoring_cohort_t *self, size_t index,
                            size_t column);

//  Column's share of its best for member index (after scoring): 0 to
//  10000, or SCORING_SHARE_MISSING, or SCORING_SHARE_NONE
int
    scoring_cohort_share_bp (scoring_cohort_t *self, size_t index,
                             size_t column);

//  value in decimal at `at` (room for 20 characters), not NUL-ended;
//  returns the end. No printf in the loops that store a million rows.
char *
    scoring_put_int (char *at, int64_t value);

//  The band of a share (0 .. SCORING_BANDS - 1), or -1 for SHARE_NONE
int
    scoring_share_band (int share_bp);

//  The population stability index of two distributions given as counts
//  per bin, x 10,000, rounded; an empty bin counts as half an enterprise.
int64_t
    scoring_psi_e4 (const uint64_t *a, const uint64_t *b, size_t n);

#endif
