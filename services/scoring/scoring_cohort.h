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

#endif
