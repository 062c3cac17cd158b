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
    //  Per input, looked up once: may it be negative (a rate, _bp), is
    //  it 0 or 1 only (a flag or a stop)
    bool signed_ [SCORING_COLUMNS_MAX + 1];
    bool binary [SCORING_COLUMNS_MAX + 1];
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
    for (size_t i = 0; i < self->inputs; i++) {
        const char *name = scoring_cohort_input_name (self, i);
        size_t size = strlen (name);
        self->signed_ [i] = size > 3 && streq (name + size - 3, "_bp");
        const scoring_column_t *column = i < self->columns
                                           ? scoring_model_column (model, i)
                                           : NULL;
        self->binary [i] = column
                        && (column->kind == SCORING_FLAG
                            || column->kind == SCORING_STOP);
    }
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
        bool bad_flag = self->binary [i] && values [i] != 0 && values [i] != 1;
        if (!present [i]
            || (!bad_flag && (values [i] >= 0 || self->signed_ [i])))
            continue;
        const char *name = scoring_cohort_input_name (self, i);
        if (bad_flag)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, name,
                                  "%s is 1 (yes) or 0 (no), not %" PRId64, name,
                                  values [i]);
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
//  Percentiles: members of one stage with a value, sorted by it. A radix
//  sort (stable, so ties stay in member order, as the tie rule needs no
//  order at all) of the value's bytes, skipping the bytes every value
//  shares: sorted once per indicator per stage, no comparison callback

typedef struct {
    uint64_t key;  //  the value, its sign bit flipped: unsigned order
    uint32_t member;
} s_rank_t;

static s_rank_t
s_ranked (int64_t value, size_t member)
{
    return (s_rank_t){ (uint64_t) value ^ ((uint64_t) 1 << 63),
                       (uint32_t) member };
}

//  ranks [0 .. n) sorted by key, with room [n] to sort through; returns
//  the sorted array (ranks or room)
static s_rank_t *
s_sort (s_rank_t *ranks, s_rank_t *room, size_t n)
{
    size_t counts [8][256];
    memset (counts, 0, sizeof counts);
    for (size_t k = 0; k < n; k++)
        for (int byte = 0; byte < 8; byte++)
            counts [byte][(ranks [k].key >> (8 * byte)) & 255]++;
    for (int byte = 0; byte < 8; byte++) {
        size_t *count = counts [byte];
        if (n == 0 || count [(ranks [0].key >> (8 * byte)) & 255] == n)
            continue;  //  every key has this byte
        size_t at = 0;
        for (int b = 0; b < 256; b++) {
            size_t here = count [b];
            count [b] = at;
            at += here;
        }
        for (size_t k = 0; k < n; k++)
            room [count [(ranks [k].key >> (8 * byte)) & 255]++] = ranks [k];
        s_rank_t *swap = ranks;
        ranks = room;
        room = swap;
    }
    return ranks;
}

//  The next group of equal keys from first: its doubled average rank
//  (positions first+1 .. last+1), *last set
static int64_t
s_ties (const s_rank_t *ranks, size_t n, size_t first, size_t *last)
{
    size_t end = first;
    while (end + 1 < n && ranks [end + 1].key == ranks [first].key)
        end++;
    *last = end;
    return (int64_t) (first + 1) + (int64_t) (end + 1);
}

//  Indicator i over the n ranked members of one stage (weight its
//  weight there): contribution = weight x s / 100, in micro-points, and
//  the share of the best; once per group of ties
static void
s_indicator (scoring_cohort_t *self, size_t i, int64_t weight,
             const s_rank_t *ranks, size_t n)
{
    const scoring_column_t *column = scoring_model_column (self->model, i);
    for (size_t first = 0, last; first < n; first = last + 1) {
        int64_t rank2 = s_ties (ranks, n, first, &last);
        //  s / 100 = (rank2 - 2) / (2 (n - 1)); inverted when lower is
        //  better
        int64_t num = rank2 - 2, den = 2 * ((int64_t) n - 1);
        if (n == 1)
            num = den = 1;
        else if (column->lower_better)
            num = den - num;
        int64_t contrib = s_round (weight * 1000000 * num, den);
        int16_t share = (int16_t) (10000 * num / den);
        for (size_t k = first; k <= last; k++) {
            size_t m = ranks [k].member;
            self->contrib [m * self->columns + i] = contrib;
            self->shares [m * self->columns + i] = share;
        }
    }
}

//  The final scores' percentiles over the n ranked members of one stage
static void
s_percentiles (scoring_cohort_t *self, const s_rank_t *ranks, size_t n)
{
    for (size_t first = 0, last; first < n; first = last + 1) {
        int64_t rank2 = s_ties (ranks, n, first, &last);
        int64_t milli = n == 1 ? 100000
                               : s_round (100000 * (rank2 - 2),
                                          2 * ((int64_t) n - 1));
        for (size_t k = first; k <= last; k++)
            self->members [ranks [k].member].portrait.percentile_milli = milli;
    }
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

//  A member of one of the stages (any other is ranked in none)
static bool
s_staged (const s_member_t *member)
{
    return member->stage >= 0 && member->stage < SCORING_STAGES;
}

void
scoring_cohort_score (scoring_cohort_t *self)
{
    size_t size = self->size;
    s_rank_t *ranks = (s_rank_t *) malloc ((size + 1) * sizeof *ranks);
    s_rank_t *room = (s_rank_t *) malloc ((size + 1) * sizeof *room);
    //  Members by stage, in their order: first [stage] .. first [stage+1]
    size_t *order = (size_t *) malloc ((size + 1) * sizeof *order);
    size_t first [SCORING_STAGES + 1] = { 0 };
    assert (ranks && room && order);
    memset (self->contrib, 0, size * self->columns * sizeof (int64_t));
    for (size_t m = 0; m < size; m++) {
        memset (&self->members [m].portrait, 0, sizeof (scoring_portrait_t));
        s_own (self, &self->members [m]);
        if (s_staged (&self->members [m]))
            first [self->members [m].stage + 1]++;
    }
    for (int stage = 0; stage < SCORING_STAGES; stage++)
        first [stage + 1] += first [stage];
    size_t at [SCORING_STAGES];
    memcpy (at, first, sizeof at);
    for (size_t m = 0; m < size; m++)
        if (s_staged (&self->members [m]))
            order [at [self->members [m].stage]++] = m;
    for (int stage = 0; stage < SCORING_STAGES; stage++) {
        const size_t *members = order + first [stage];
        size_t count = first [stage + 1] - first [stage];
        //  Each indicator, over the stage's members that reported it
        for (size_t i = 0; count && i < self->columns; i++) {
            const scoring_column_t *column = scoring_model_column (self->model,
                                                                   i);
            if (column->kind != SCORING_INDICATOR)
                continue;
            size_t n = 0;
            for (size_t k = 0; k < count; k++) {
                size_t m = members [k];
                if (self->present [m * self->inputs + i])
                    ranks [n++] = s_ranked (self->values [m * self->inputs + i],
                                            m);
            }
            s_indicator (self, i, column->weight [stage],
                         s_sort (ranks, room, n), n);
        }
        //  Final scores, then their percentile within the stage
        for (size_t k = 0; k < count; k++) {
            size_t m = members [k];
            const int64_t *contrib = self->contrib + m * self->columns;
            int64_t micro = 0;
            for (size_t i = 0; i < self->columns; i++)
                if (scoring_model_column (self->model, i)->kind
                    == SCORING_INDICATOR)
                    micro += contrib [i];
            scoring_portrait_t *p = &self->members [m].portrait;
            p->points_milli = s_round (micro, 1000);
            p->score_milli = p->scorecard_milli + p->flags_milli
                           + scoring_model_combine (self->model)
                                 * (p->points_milli + p->bonus_milli);
            ranks [k] = s_ranked (p->score_milli, m);
        }
        s_percentiles (self, s_sort (ranks, room, count), count);
    }
    for (size_t m = 0; m < size; m++) {
        s_reasons (self, &self->members [m]);
        s_grade_and_line (self, &self->members [m]);
    }
    free (ranks);
    free (room);
    free (order);
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
//  A number as text, for the rows a batch stores (scoring_cohort.h)

char *
scoring_put_int (char *at, int64_t value)
{
    char digits [20];
    int count = 0;
    uint64_t rest = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
    do {
        digits [count++] = (char) ('0' + rest % 10);
        rest /= 10;
    } while (rest);
    if (value < 0)
        *at++ = '-';
    while (count)
        *at++ = digits [--count];
    return at;
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
