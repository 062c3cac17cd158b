/*  =========================================================================
    scoring_cohort - credit portraits of a cohort under one model

    Percentile with the average-rank tie rule (docs/rules/scoring.md):
    s = 100 (rank - 1) / (n - 1), 100 when n = 1, over the members that
    reported the value; with ties, rank is the average of the tied
    positions. Doubled ranks keep it integer: 2 x rank = first + last.
    A member's contribution is kept in micro-points, rounded half up once
    per indicator; stored figures are milli-points, rounded half up from
    the micro-point sums.
    =========================================================================
*/

#include "scoring_cohort.h"
#include <math.h>

//  A member; its inputs and per-column figures are rows of the cohort's
//  arrays (no allocation per member): values and present [inputs],
//  contrib_micro and share_bp [columns], at the member's index
typedef struct {
    char id [64];
    scoring_stage_t stage;
    int64_t *values;
    bool *present;
    int64_t *contrib_micro;  //  per model column
    int16_t *share_bp;       //  per model column
    scoring_portrait_t portrait;
} s_member_t;

struct _scoring_cohort_t {
    scoring_model_t *model;
    size_t columns;  //  model columns
    size_t inputs;   //  columns + the revenue column if extra
    int revenue;     //  input index of revenue
    s_member_t *members;
    int64_t *values;   //  [allocated x inputs]
    bool *present;     //  [allocated x inputs]
    int64_t *contrib;  //  [allocated x columns]
    int16_t *shares;   //  [allocated x columns]
    size_t size, allocated;
};

//  Member m's rows of the cohort's arrays
static void
s_rows (scoring_cohort_t *self, size_t m)
{
    s_member_t *member = &self->members [m];
    member->values = self->values + m * self->inputs;
    member->present = self->present + m * self->inputs;
    member->contrib_micro = self->contrib + m * self->columns;
    member->share_bp = self->shares + m * self->columns;
}

//  a / b rounded half up, for a >= 0, b > 0
static int64_t
s_round (int64_t a, int64_t b)
{
    return (2 * a + b) / (2 * b);
}

scoring_cohort_t *
scoring_cohort_new (scoring_model_t *model)
{
    scoring_cohort_t *self = (scoring_cohort_t *) zmalloc (sizeof *self);
    self->model = model;
    self->columns = scoring_model_columns (model);
    self->inputs = self->columns;
    self->revenue = -1;
    for (size_t i = 0; i < self->columns; i++)
        if (streq (scoring_model_column (model, i)->code,
                   scoring_model_revenue_column (model)))
            self->revenue = (int) i;
    if (self->revenue < 0)
        self->revenue = (int) self->inputs++;
    return self;
}

void
scoring_cohort_destroy (scoring_cohort_t **self_p)
{
    if (*self_p) {
        scoring_cohort_t *self = *self_p;
        free (self->members);
        free (self->values);
        free (self->present);
        free (self->contrib);
        free (self->shares);
        free (self);
        *self_p = NULL;
    }
}

size_t
scoring_cohort_inputs (scoring_cohort_t *self)
{
    return self->inputs;
}

const char *
scoring_cohort_input_name (scoring_cohort_t *self, size_t index)
{
    if (index < self->columns)
        return scoring_model_column (self->model, index)->code;
    return scoring_model_revenue_column (self->model);
}

//  --------------------------------------------------------------------------
//  Room for twice the members: the arrays grown, each member's rows
//  pointed at again (realloc may move them)

static void
s_grow (scoring_cohort_t *self)
{
    size_t allocated = self->allocated ? self->allocated * 2 : 64;
    self->members = (s_member_t *) realloc (self->members,
                                            allocated * sizeof (s_member_t));
    self->values = (int64_t *) realloc (self->values, allocated * self->inputs
                                                          * sizeof (int64_t));
    self->present = (bool *) realloc (self->present,
                                      allocated * self->inputs * sizeof (bool));
    self->contrib = (int64_t *) realloc (self->contrib, allocated
                                                            * self->columns
                                                            * sizeof (int64_t));
    self->shares = (int16_t *) realloc (self->shares, allocated * self->columns
                                                          * sizeof (int16_t));
    assert (self->members && self->values && self->present && self->contrib
            && self->shares);
    self->allocated = allocated;
    for (size_t m = 0; m < allocated; m++)
        s_rows (self, m);
}

int
scoring_cohort_add (scoring_cohort_t *self, const char *id,
                    scoring_stage_t stage, const int64_t *values,
                    const bool *present, kj_status_t *status)
{
    kj_status_ok (status);
    for (size_t i = 0; i < self->inputs; i++) {
        if (!present [i])
            continue;
        const char *name = scoring_cohort_input_name (self, i);
        size_t size = strlen (name);
        bool may_be_negative = size > 3 && streq (name + size - 3, "_bp");
        const scoring_column_t *column = i < self->columns
                                           ? scoring_model_column (self->model,
                                                                   i)
                                           : NULL;
        bool binary = column
                   && (column->kind == SCORING_FLAG
                       || column->kind == SCORING_STOP);
        if (binary && values [i] != 0 && values [i] != 1)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, name,
                                  "%s is 1 (yes) or 0 (no), not %" PRId64, name,
                                  values [i]);
        if (values [i] < 0 && !may_be_negative)
            return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, name,
                                  "%s cannot be negative (%" PRId64 "); only "
                                  "rates (_bp) can",
                                  name, values [i]);
    }
    if (self->size == self->allocated)
        s_grow (self);
    s_member_t *member = &self->members [self->size];
    memset (member, 0, sizeof *member);
    s_rows (self, self->size++);
    kj_strlcpy (member->id, id, sizeof member->id);
    member->stage = stage;
    memcpy (member->values, values, self->inputs * sizeof (int64_t));
    memcpy (member->present, present, self->inputs * sizeof (bool));
    return 0;
}

//  --------------------------------------------------------------------------
//  Percentiles: members of one stage with a value, sorted by it

typedef struct {
    int64_t value;
    size_t member;
} s_rank_t;

static int
s_by_value (const void *a, const void *b)
{
    const s_rank_t *x = (const s_rank_t *) a, *y = (const s_rank_t *) b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->member < y->member ? -1 : x->member > y->member;
}

//  For each ranked entry, call fn with its doubled average rank and n
typedef void (s_rank_fn) (scoring_cohort_t *self, size_t member, int64_t rank2,
                          int64_t n, void *arg);

static void
s_rank (scoring_cohort_t *self, s_rank_t *ranks, size_t n, s_rank_fn *fn,
        void *arg)
{
    qsort (ranks, n, sizeof *ranks, s_by_value);
    for (size_t first = 0; first < n;) {
        size_t last = first;
        while (last + 1 < n && ranks [last + 1].value == ranks [first].value)
            last++;
        //  positions first+1 .. last+1; doubled average rank
        int64_t rank2 = (int64_t) (first + 1) + (int64_t) (last + 1);
        for (size_t k = first; k <= last; k++)
            fn (self, ranks [k].member, rank2, (int64_t) n, arg);
        first = last + 1;
    }
}

//  Indicator i: contribution = weight x s / 100, in micro-points
static void
s_indicator_fn (scoring_cohort_t *self, size_t m, int64_t rank2, int64_t n,
                void *arg)
{
    size_t i = *(size_t *) arg;
    const scoring_column_t *column = scoring_model_column (self->model, i);
    s_member_t *member = &self->members [m];
    int64_t weight = column->weight [member->stage];
    //  s / 100 = (rank2 - 2) / (2 (n - 1)); inverted when lower is better
    int64_t num = rank2 - 2, den = 2 * (n - 1);
    if (n == 1)
        num = den = 1;
    else if (column->lower_better)
        num = den - num;
    member->contrib_micro [i] = s_round (weight * 1000000 * num, den);
    member->share_bp [i] = (int16_t) (10000 * num / den);
}

static void
s_percentile_fn (scoring_cohort_t *self, size_t m, int64_t rank2, int64_t n,
                 void *arg)
{
    s_member_t *member = &self->members [m];
    member->portrait.percentile_milli = n == 1 ? 100000
                                               : s_round (100000 * (rank2 - 2),
                                                          2 * (n - 1));
}

//  The step a value falls in: the last with at <= value, or -1
static int
s_step (const scoring_column_t *column, int64_t value)
{
    int step = -1;
    for (int k = 0; k < column->steps; k++)
        if (value >= column->at [k])
            step = k;
    return step;
}

//  Everything that needs no other member
static void
s_own (scoring_cohort_t *self, s_member_t *member)
{
    scoring_portrait_t *p = &member->portrait;
    int64_t bonus_micro = 0;
    p->stop = -1;
    p->scorecard_milli = scoring_model_intercept_milli (self->model);
    for (size_t i = 0; i < self->columns; i++) {
        const scoring_column_t *column = scoring_model_column (self->model, i);
        bool present = member->present [i];
        int64_t value = member->values [i];
        p->missing_count += !present;
        member->share_bp [i] = column->kind == SCORING_INDICATOR
                                    || column->kind == SCORING_BONUS
                                 ? SCORING_SHARE_MISSING
                                 : SCORING_SHARE_NONE;
        if (column->kind == SCORING_BONUS && present) {
            int step = s_step (column, value);
            int64_t micro = step < 0 ? 0
                                     : column->points
                                           * column->step_value [step] * 10000;
            member->contrib_micro [i] = micro;
            member->share_bp [i] = (int16_t) (step < 0
                                                  ? 0
                                                  : column->step_value [step]
                                                        * 100);
            bonus_micro += micro;
        }
        else if (column->kind == SCORING_CARD) {
            int64_t milli = present
                              ? column->step_value [s_step (column, value)]
                          : column->has_missing ? column->missing_value
                                                : 0;
            member->contrib_micro [i] = milli * 1000;
            p->scorecard_milli += milli;
        }
        else if (column->kind == SCORING_FLAG && present && value == 1)
            p->flags_milli += column->points * 1000;
        else if (column->kind == SCORING_STOP && present && value == 1
                 && p->stop < 0)
            p->stop = (int) i;
    }
    int64_t cap = (int64_t) scoring_model_bonus_cap (self->model) * 1000000;
    if (bonus_micro > cap)
        bonus_micro = cap;
    p->bonus_milli = s_round (bonus_micro, 1000);
}

//  Reasons: the columns that cost the most points, missing ones flagged
static void
s_reasons (scoring_cohort_t *self, s_member_t *member)
{
    scoring_portrait_t *p = &member->portrait;
    p->reason_count = 0;
    for (size_t i = 0; i < self->columns; i++) {
        const scoring_column_t *column = scoring_model_column (self->model, i);
        int64_t lost = 0;
        if (column->kind == SCORING_INDICATOR)
            lost = column->weight [member->stage] * (int64_t) 1000000
                 - member->contrib_micro [i];
        else if (column->kind == SCORING_CARD) {
            int64_t best = column->has_missing ? column->missing_value
                                               : INT64_MIN;
            for (int k = 0; k < column->steps; k++)
                if (column->step_value [k] > best)
                    best = column->step_value [k];
            lost = best * 1000 - member->contrib_micro [i];
        }
        if (lost <= 0)
            continue;
        //  Insert in order: most lost first, then the model's order
        int at = p->reason_count;
        while (at > 0 && p->reasons [at - 1].lost_micro < lost)
            at--;
        if (at >= SCORING_REASONS)
            continue;
        int end = p->reason_count < SCORING_REASONS ? p->reason_count
                                                    : SCORING_REASONS - 1;
        memmove (&p->reasons [at + 1], &p->reasons [at],
                 (end - at) * sizeof p->reasons [0]);
        p->reasons [at] = (scoring_reason_t){ .column = (int) i,
                                              .lost_micro = lost,
                                              .missing = !member->present [i] };
        if (p->reason_count < SCORING_REASONS)
            p->reason_count++;
    }
}

static void
s_grade_and_line (scoring_cohort_t *self, s_member_t *member)
{
    scoring_portrait_t *p = &member->portrait;
    scoring_model_t *model = self->model;
    int64_t measure = scoring_model_grades_by_percentile (model)
                        ? p->percentile_milli
                        : p->score_milli;
    p->grade = SCORING_C;
    for (int grade = SCORING_B; grade >= SCORING_AAA; grade--)
        if (measure >= scoring_model_grade_at (model, grade) * 1000)
            p->grade = (scoring_grade_t) grade;
    if (p->stop >= 0)
        p->grade = SCORING_C;
    p->line_known = true;
    p->line_fen = 0;
    if (p->stop >= 0 || p->grade > scoring_model_line_min_grade (model))
        return;
    if (!member->present [self->revenue]) {
        p->line_known = false;
        return;
    }
    //  rate x revenue can pass int64 for the largest revenues
    int64_t line = (int64_t) ((__int128) member->values [self->revenue]
                              * scoring_model_line_rate_bp (model) / 10000);
    int64_t cap = scoring_model_line_cap (model, member->stage);
    int64_t max = scoring_model_line_max (model);
    p->line_fen = line < cap ? line : cap;
    if (max < p->line_fen)
        p->line_fen = max;
}

void
scoring_cohort_score (scoring_cohort_t *self)
{
    s_rank_t *ranks = (s_rank_t *) malloc ((self->size + 1) * sizeof *ranks);
    assert (ranks);
    for (size_t m = 0; m < self->size; m++) {
        memset (&self->members [m].portrait, 0, sizeof (scoring_portrait_t));
        memset (self->members [m].contrib_micro, 0,
                self->columns * sizeof (int64_t));
        s_own (self, &self->members [m]);
    }
    for (int stage = 0; stage < SCORING_STAGES; stage++) {
        //  Each indicator, over the stage's members that reported it
        for (size_t i = 0; i < self->columns; i++) {
            if (scoring_model_column (self->model, i)->kind
                != SCORING_INDICATOR)
                continue;
            size_t n = 0;
            for (size_t m = 0; m < self->size; m++)
                if (self->members [m].stage == (scoring_stage_t) stage
                    && self->members [m].present [i])
                    ranks [n++] = (s_rank_t){ self->members [m].values [i], m };
            s_rank (self, ranks, n, s_indicator_fn, &i);
        }
        //  Final scores, then their percentile within the stage
        size_t n = 0;
        for (size_t m = 0; m < self->size; m++) {
            s_member_t *member = &self->members [m];
            if (member->stage != (scoring_stage_t) stage)
                continue;
            int64_t micro = 0;
            for (size_t i = 0; i < self->columns; i++)
                if (scoring_model_column (self->model, i)->kind
                    == SCORING_INDICATOR)
                    micro += member->contrib_micro [i];
            scoring_portrait_t *p = &member->portrait;
            p->points_milli = s_round (micro, 1000);
            p->score_milli = p->scorecard_milli + p->flags_milli
                           + scoring_model_combine (self->model)
                                 * (p->points_milli + p->bonus_milli);
            ranks [n++] = (s_rank_t){ p->score_milli, m };
        }
        s_rank (self, ranks, n, s_percentile_fn, NULL);
    }
    for (size_t m = 0; m < self->size; m++) {
        s_reasons (self, &self->members [m]);
        s_grade_and_line (self, &self->members [m]);
    }
    free (ranks);
}

size_t
scoring_cohort_size (scoring_cohort_t *self)
{
    return self->size;
}

scoring_model_t *
scoring_cohort_model (scoring_cohort_t *self)
{
    return self->model;
}

const char *
scoring_cohort_id (scoring_cohort_t *self, size_t index)
{
    return self->members [index].id;
}

scoring_stage_t
scoring_cohort_stage (scoring_cohort_t *self, size_t index)
{
    return self->members [index].stage;
}

const scoring_portrait_t *
scoring_cohort_portrait (scoring_cohort_t *self, size_t index)
{
    return &self->members [index].portrait;
}

bool
scoring_cohort_present (scoring_cohort_t *self, size_t index, size_t column)
{
    return self->members [index].present [column];
}

int
scoring_cohort_share_bp (scoring_cohort_t *self, size_t index, size_t column)
{
    return self->members [index].share_bp [column];
}

//  --------------------------------------------------------------------------
//  The band of a share: 0 .. 9 for each 10 %, 100 % in the top one; the
//  last band for a value not reported; -1 for a column with no share

int
scoring_share_band (int share_bp)
{
    if (share_bp == SCORING_SHARE_MISSING)
        return SCORING_BANDS - 1;
    if (share_bp < 0)
        return -1;
    return share_bp >= 9000 ? 9 : share_bp / 1000;
}

//  The population stability index of two count vectors, x 10,000: the
//  sum of (b - a) ln (b / a) over the shares a and b of each bin, an
//  empty bin counted as half an enterprise so that ln stays finite. A
//  statistic for people, not money: floating point is fine here.
int64_t
scoring_psi_e4 (const uint64_t *a, const uint64_t *b, size_t n)
{
    double total_a = 0, total_b = 0, psi = 0;
    for (size_t i = 0; i < n; i++) {
        total_a += a [i] ? (double) a [i] : 0.5;
        total_b += b [i] ? (double) b [i] : 0.5;
    }
    for (size_t i = 0; i < n; i++) {
        double pa = (a [i] ? (double) a [i] : 0.5) / total_a;
        double pb = (b [i] ? (double) b [i] : 0.5) / total_b;
        psi += (pb - pa) * log (pb / pa);
    }
    return (int64_t) llround (psi * 10000);
}
