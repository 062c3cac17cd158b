/*  =========================================================================
    scoring_model - a scoring model as data

    The file is one directive a line (docs/rules/scoring.md):
        model NAME / version N / title TEXT
        group CODE LABEL
        indicator CODE GROUP higher|lower W_STARTUP W_GROWTH W_STABLE LABEL
        bonus_cap POINTS / bonus CODE POINTS T:PCT ... LABEL
        stop CODE LABEL
        scorecard BASE ODDS PDO INTERCEPT / card CODE *:L T:L ... [?:L] LABEL
        flag CODE POINTS LABEL
        combine N
        grades percentile|score AAA AA A B
        line RATE_BP CAP_STARTUP CAP_GROWTH CAP_STABLE MAX MIN_GRADE COLUMN
    Floating point appears only here, turning the scorecard's log-odds into
    whole milli-points once; scoring itself is integer arithmetic.
    =========================================================================
*/

#include "scoring_model.h"
#include <math.h>

extern const kj_file_t scoring_files [];

#define GROUPS_MAX 8

struct _scoring_model_t {
    char name [64];
    int version;
    char title [160];
    char groups [GROUPS_MAX][SCORING_CODE_MAX];
    char group_labels [GROUPS_MAX][SCORING_LABEL_MAX];
    int group_count;
    scoring_column_t columns [SCORING_COLUMNS_MAX];
    size_t column_count;
    int bonus_cap;
    bool has_card;
    double factor, offset;  //  scorecard scaling
    int64_t intercept_milli;
    int combine;
    bool grade_percentile;
    int64_t grade_at [4];  //  AAA, AA, A, B
    int line_rate_bp;
    int64_t line_cap [SCORING_STAGES];
    int64_t line_max;
    scoring_grade_t line_min_grade;
    char revenue_column [SCORING_CODE_MAX];
};

static const char *s_grades [] = { "AAA", "AA", "A", "B", "C" };

//  --------------------------------------------------------------------------
//  The parser: one line in hand, its words, and where the label starts

typedef struct {
    const char *source;
    int line;
    char *words [40];
    int count;
    const char *rest [40];  //  the line from each word on
    kj_status_t *status;
} s_parser_t;

static int
s_fail (s_parser_t *p, const char *format, ...)
{
    char why [400];
    va_list args;
    va_start (args, format);
    vsnprintf (why, sizeof why, format, args);
    va_end (args);
    //  Line 0: a rule of the whole file
    if (p->line == 0)
        return kj_status_set (p->status, KJ__CODE__INVALID_ARGUMENT, "model",
                              "%s: %s", p->source, why);
    return kj_status_set (p->status, KJ__CODE__INVALID_ARGUMENT, "model",
                          "%s:%d: %s", p->source, p->line, why);
}

//  Split line (modified) into words, remembering where each starts
static void
s_split (s_parser_t *p, char *line, const char *original)
{
    p->count = 0;
    char *at = line;
    while (*at && p->count < 40) {
        while (*at == ' ' || *at == '\t')
            at++;
        if (!*at)
            break;
        p->rest [p->count] = original + (at - line);
        p->words [p->count++] = at;
        while (*at && *at != ' ' && *at != '\t')
            at++;
        if (*at)
            *at++ = 0;
    }
}

//  A whole number in [min, max] from word index, named what
static int
s_int (s_parser_t *p, int index, const char *what, int64_t min, int64_t max,
       int64_t *value)
{
    if (index >= p->count)
        return s_fail (p, "%s is missing", what);
    if (kj_parse_int64 (p->words [index], value) || *value < min
        || *value > max)
        return s_fail (p,
                       "%s must be a whole number from %" PRId64 " to %" PRId64
                       ", not '%s'",
                       what, min, max, p->words [index]);
    return 0;
}

static int
s_real (s_parser_t *p, const char *word, const char *what, double *value)
{
    char *end;
    errno = 0;
    *value = strtod (word, &end);
    if (errno || *end || end == word || !isfinite (*value))
        return s_fail (p, "%s must be a number, not '%s'", what, word);
    return 0;
}

static bool
s_valid_code (const char *code)
{
    if (!*code || strlen (code) >= SCORING_CODE_MAX || !islower (*code))
        return false;
    for (const char *c = code; *c; c++)
        if (!islower (*c) && !isdigit (*c) && *c != '_')
            return false;
    return true;
}

//  The label: the rest of the line from word index (required)
static int
s_label (s_parser_t *p, int index, char *label)
{
    if (index >= p->count)
        return s_fail (p, "a label for people is missing at the end");
    kj_strlcpy (label, p->rest [index], SCORING_LABEL_MAX);
    size_t size = strlen (label);
    while (size && (label [size - 1] == ' ' || label [size - 1] == '\r'))
        label [--size] = 0;
    return 0;
}

//  A new column with a fresh, unique code
static scoring_column_t *
s_column (scoring_model_t *self, s_parser_t *p, scoring_kind_t kind)
{
    if (p->count < 2) {
        s_fail (p, "%s needs a code", p->words [0]);
        return NULL;
    }
    const char *code = p->words [1];
    if (!s_valid_code (code)) {
        s_fail (p,
                "'%s' is not a code: a-z, 0-9 and _, starting with a "
                "letter, at most %d",
                code, SCORING_CODE_MAX - 1);
        return NULL;
    }
    for (size_t i = 0; i < self->column_count; i++)
        if (streq (self->columns [i].code, code)) {
            s_fail (p, "'%s' is declared twice", code);
            return NULL;
        }
    if (self->column_count == SCORING_COLUMNS_MAX) {
        s_fail (p, "more than %d columns", SCORING_COLUMNS_MAX);
        return NULL;
    }
    scoring_column_t *column = &self->columns [self->column_count++];
    memset (column, 0, sizeof *column);
    column->kind = kind;
    kj_strlcpy (column->code, code, sizeof column->code);
    return column;
}

//  Steps "T:V" from word index on, ascending; returns the index after
//  them. card: V is log-odds (to milli-points), '*' and '?' allowed.
static int
s_steps (scoring_model_t *self, s_parser_t *p, int index,
         scoring_column_t *column, bool card)
{
    for (; index < p->count; index++) {
        char *word = p->words [index];
        char *colon = strchr (word, ':');
        if (!colon)
            break;
        *colon = 0;
        const char *at = word, *value = colon + 1;
        int64_t number;
        if (card && streq (at, "?")) {
            double ln;
            if (s_real (p, value, "a bin's log-odds", &ln))
                return -1;
            column->has_missing = true;
            column->missing_value = llround (self->factor * ln * 1000);
            continue;
        }
        if (column->steps == SCORING_STEPS_MAX)
            return s_fail (p, "more than %d steps", SCORING_STEPS_MAX);
        int step = column->steps;
        if (card && streq (at, "*")) {
            if (step > 0)
                return s_fail (p, "'*' (the lowest bin) must come first");
            column->open_low = true;
            column->at [step] = INT64_MIN;
        }
        else if (kj_parse_int64 (at, &number))
            return s_fail (p, "'%s' is not a whole-number threshold", at);
        else if (step > 0 && number <= column->at [step - 1])
            return s_fail (p, "thresholds must rise: %s after %" PRId64, at,
                           column->at [step - 1]);
        else
            column->at [step] = number;
        if (card) {
            double ln;
            if (s_real (p, value, "a bin's log-odds", &ln))
                return -1;
            column->step_value [step] = llround (self->factor * ln * 1000);
        }
        else if (kj_parse_int64 (value, &number) || number < 0 || number > 100)
            return s_fail (p,
                           "a step's share must be 0 to 100 (percent of "
                           "the points), not '%s'",
                           value);
        else
            column->step_value [step] = number;
        column->steps++;
    }
    if (column->steps == 0)
        return s_fail (p, "%s needs at least one step THRESHOLD:VALUE",
                       column->code);
    if (card && !column->open_low)
        return s_fail (p, "a card's first bin must be '*:' (every value "
                          "below the next threshold)");
    return index;
}

//  --------------------------------------------------------------------------
//  One directive

static int
s_directive (scoring_model_t *self, s_parser_t *p)
{
    const char *what = p->words [0];
    int64_t number;
    if (streq (what, "model")) {
        if (p->count != 2)
            return s_fail (p, "model takes one name");
        for (const char *c = p->words [1]; *c; c++)
            if (!islower (*c) && !isdigit (*c) && *c != '-' && *c != '.')
                return s_fail (p,
                               "a model's name is a-z 0-9 - . only, not "
                               "'%s'",
                               p->words [1]);
        kj_strlcpy (self->name, p->words [1], sizeof self->name);
    }
    else if (streq (what, "version")) {
        if (s_int (p, 1, "version", 1, 1000000, &number))
            return -1;
        self->version = (int) number;
    }
    else if (streq (what, "title")) {
        if (p->count < 2)
            return s_fail (p, "title needs a text");
        kj_strlcpy (self->title, p->rest [1], sizeof self->title);
    }
    else if (streq (what, "group")) {
        if (p->count < 2 || !s_valid_code (p->words [1]))
            return s_fail (p, "group needs a code (a-z 0-9 _)");
        if (self->group_count == GROUPS_MAX)
            return s_fail (p, "more than %d groups", GROUPS_MAX);
        for (int i = 0; i < self->group_count; i++)
            if (streq (self->groups [i], p->words [1]))
                return s_fail (p, "group '%s' is declared twice", p->words [1]);
        kj_strlcpy (self->groups [self->group_count], p->words [1],
                    SCORING_CODE_MAX);
        if (s_label (p, 2, self->group_labels [self->group_count]))
            return -1;
        self->group_count++;
    }
    else if (streq (what, "indicator")) {
        scoring_column_t *column = s_column (self, p, SCORING_INDICATOR);
        if (!column)
            return -1;
        if (p->count < 3)
            return s_fail (p, "indicator %s needs its group", column->code);
        column->group = -1;
        for (int i = 0; i < self->group_count; i++)
            if (streq (self->groups [i], p->words [2]))
                column->group = i;
        if (column->group < 0)
            return s_fail (p,
                           "group '%s' is not declared (declare it with "
                           "`group` before)",
                           p->words [2]);
        if (p->count < 4
            || (!streq (p->words [3], "higher")
                && !streq (p->words [3], "lower")))
            return s_fail (p, "after the group: higher or lower (which is "
                              "better)");
        column->lower_better = streq (p->words [3], "lower");
        for (int stage = 0; stage < SCORING_STAGES; stage++) {
            if (s_int (p, 4 + stage, "a weight", 0, 100, &number))
                return -1;
            column->weight [stage] = (int) number;
        }
        if (s_label (p, 7, column->label))
            return -1;
    }
    else if (streq (what, "bonus_cap")) {
        if (s_int (p, 1, "bonus_cap", 1, 1000, &number))
            return -1;
        self->bonus_cap = (int) number;
    }
    else if (streq (what, "bonus")) {
        scoring_column_t *column = s_column (self, p, SCORING_BONUS);
        if (!column || s_int (p, 2, "a bonus's points", 1, 1000, &number))
            return -1;
        column->points = (int) number;
        int index = s_steps (self, p, 3, column, false);
        if (index < 0 || s_label (p, index, column->label))
            return -1;
    }
    else if (streq (what, "stop")) {
        scoring_column_t *column = s_column (self, p, SCORING_STOP);
        if (!column || s_label (p, 2, column->label))
            return -1;
    }
    else if (streq (what, "scorecard")) {
        double base, odds, pdo, intercept;
        if (p->count != 5)
            return s_fail (p, "scorecard takes BASE ODDS PDO INTERCEPT "
                              "(e.g. 600 50 20 3.912)");
        if (s_real (p, p->words [1], "the base score", &base)
            || s_real (p, p->words [2], "the base odds", &odds)
            || s_real (p, p->words [3], "PDO", &pdo)
            || s_real (p, p->words [4], "the intercept", &intercept))
            return -1;
        if (odds <= 0 || pdo <= 0)
            return s_fail (p, "the base odds and PDO must be above 0");
        self->has_card = true;
        self->factor = pdo / log (2);
        self->offset = base - self->factor * log (odds);
        self->intercept_milli = llround (
            (self->offset + self->factor * intercept) * 1000);
    }
    else if (streq (what, "card")) {
        if (!self->has_card)
            return s_fail (p, "card before scorecard (which sets the "
                              "scaling)");
        scoring_column_t *column = s_column (self, p, SCORING_CARD);
        if (!column)
            return -1;
        int index = s_steps (self, p, 2, column, true);
        if (index < 0 || s_label (p, index, column->label))
            return -1;
    }
    else if (streq (what, "flag")) {
        scoring_column_t *column = s_column (self, p, SCORING_FLAG);
        if (!column || s_int (p, 2, "a flag's points", 0, 1000, &number))
            return -1;
        column->points = (int) number;
        if (s_label (p, 3, column->label))
            return -1;
    }
    else if (streq (what, "combine")) {
        if (s_int (p, 1, "combine", 1, 100, &number))
            return -1;
        self->combine = (int) number;
    }
    else if (streq (what, "grades")) {
        if (p->count != 6
            || (!streq (p->words [1], "percentile")
                && !streq (p->words [1], "score")))
            return s_fail (p, "grades takes percentile|score and the lowest "
                              "value of AAA, AA, A and B");
        self->grade_percentile = streq (p->words [1], "percentile");
        for (int i = 0; i < 4; i++) {
            if (s_int (p, 2 + i, "a grade's threshold", 0,
                       self->grade_percentile ? 100 : 100000, &number))
                return -1;
            if (i > 0 && number >= self->grade_at [i - 1])
                return s_fail (p, "grade thresholds must fall from AAA to "
                                  "B");
            self->grade_at [i] = number;
        }
    }
    else if (streq (what, "line")) {
        if (p->count != 8)
            return s_fail (p, "line takes RATE_BP CAP_STARTUP CAP_GROWTH "
                              "CAP_STABLE MAX_FEN MIN_GRADE REVENUE_COLUMN");
        if (s_int (p, 1, "the line's rate (bp)", 0, 10000, &number))
            return -1;
        self->line_rate_bp = (int) number;
        for (int stage = 0; stage < SCORING_STAGES; stage++)
            if (s_int (p, 2 + stage, "a stage cap (fen)", 0, INT64_MAX,
                       &self->line_cap [stage]))
                return -1;
        if (s_int (p, 5, "the product maximum (fen)", 0, INT64_MAX,
                   &self->line_max))
            return -1;
        int grade = scoring_grade_by_name (p->words [6]);
        if (grade < 0)
            return s_fail (p, "'%s' is not a grade (AAA, AA, A, B, C)",
                           p->words [6]);
        self->line_min_grade = (scoring_grade_t) grade;
        if (!s_valid_code (p->words [7]))
            return s_fail (p, "'%s' is not a column code", p->words [7]);
        kj_strlcpy (self->revenue_column, p->words [7],
                    sizeof self->revenue_column);
    }
    else
        return s_fail (p,
                       "unknown directive '%s' (model, version, title, "
                       "group, indicator, bonus_cap, bonus, stop, scorecard, "
                       "card, flag, combine, grades, line)",
                       what);
    return 0;
}

//  The whole model, once every line is read
static int
s_check (scoring_model_t *self, s_parser_t *p)
{
    p->line = 0;
    if (!*self->name)
        return s_fail (p, "no `model NAME` line");
    if (!self->version)
        return s_fail (p, "no `version N` line");
    if (!self->grade_at [0] && !self->grade_at [3])
        return s_fail (p, "no `grades` line");
    if (!*self->revenue_column)
        return s_fail (p, "no `line` line (the credit-line formula)");
    if (!self->combine)
        return s_fail (p, "no `combine N` line");
    int bonus = 0;
    size_t indicators = 0;
    for (size_t i = 0; i < self->column_count; i++) {
        indicators += self->columns [i].kind == SCORING_INDICATOR;
        if (self->columns [i].kind == SCORING_BONUS)
            bonus += self->columns [i].points;
    }
    if (!indicators)
        return s_fail (p, "no indicator");
    for (int stage = 0; stage < SCORING_STAGES; stage++) {
        int sum = 0;
        for (size_t i = 0; i < self->column_count; i++)
            if (self->columns [i].kind == SCORING_INDICATOR)
                sum += self->columns [i].weight [stage];
        if (sum != 100)
            return s_fail (p,
                           "the weights of stage %s add up to %d, not "
                           "100",
                           scoring_stage_name (stage), sum);
    }
    if (bonus && !self->bonus_cap)
        return s_fail (p, "bonus indicators need a `bonus_cap`");
    if (bonus && bonus < self->bonus_cap)
        return s_fail (p,
                       "the bonus indicators give %d points at most, "
                       "below bonus_cap %d",
                       bonus, self->bonus_cap);
    return 0;
}

scoring_model_t *
scoring_model_parse (const char *text, const char *source, kj_status_t *status)
{
    kj_status_ok (status);
    scoring_model_t *self = (scoring_model_t *) zmalloc (sizeof *self);
    s_parser_t p = { .source = source, .status = status };
    int rc = 0;
    const char *at = text;
    while (*at && rc == 0) {
        p.line++;
        size_t size = strcspn (at, "\n");
        char *original = strndup (at, size);
        char *line = strdup (original);
        at += size + (at [size] == '\n');
        char *start = line + strspn (line, " \t\r");
        if (*start && *start != '#') {
            size_t end = strlen (line);
            while (end && (line [end - 1] == '\r' || line [end - 1] == ' ')) {
                end--;
                line [end] = original [end] = 0;
            }
            s_split (&p, line, original);
            rc = s_directive (self, &p);
        }
        free (line);
        free (original);
    }
    if (rc == 0)
        rc = s_check (self, &p);
    if (rc)
        scoring_model_destroy (&self);
    return self;
}

scoring_model_t *
scoring_model_load (const char *path, kj_status_t *status)
{
    if (!strchr (path, '/')) {
        const char *text = scoring_model_shipped_text (path);
        if (!text) {
            char names [256] = "";
            for (const char *const *n = scoring_model_shipped (); *n; n++)
                snprintf (names + strlen (names), sizeof names - strlen (names),
                          "%s%s", *names ? ", " : "", *n);
            kj_status_set (status, KJ__CODE__NOT_FOUND, "model",
                           "no model is called '%s' (shipped: %s; or give a "
                           "file's path)",
                           path, names);
            return NULL;
        }
        return scoring_model_parse (text, path, status);
    }
    FILE *file = fopen (path, "r");
    if (!file) {
        kj_status_set (status, KJ__CODE__NOT_FOUND, "model",
                       "cannot read %s: %s", path, strerror (errno));
        return NULL;
    }
    //  A model is small; a file past 1 MiB is refused, never cut
    char *text = (char *) zmalloc (1024 * 1024 + 1);
    size_t size = fread (text, 1, 1024 * 1024 + 1, file);
    fclose (file);
    scoring_model_t *self = NULL;
    if (size > 1024 * 1024)
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "model",
                       "%s is larger than 1 MiB: not a model", path);
    else {
        text [size] = 0;
        self = scoring_model_parse (text, path, status);
    }
    free (text);
    return self;
}

void
scoring_model_destroy (scoring_model_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Shipped models: services/scoring/data/NAME.model

const char *const *
scoring_model_shipped (void)
{
    static const char *names [16];
    static char storage [16][64];
    if (!names [0]) {
        size_t count = 0;
        for (const kj_file_t *f = scoring_files; f->name && count < 15; f++) {
            size_t size = strlen (f->name);
            if (size > 6 && streq (f->name + size - 6, ".model")) {
                snprintf (storage [count], 64, "%.*s", (int) size - 6, f->name);
                names [count] = storage [count];
                count++;
            }
        }
    }
    return names;
}

const char *
scoring_model_shipped_text (const char *name)
{
    char file [80];
    snprintf (file, sizeof file, "%s.model", name);
    for (const kj_file_t *f = scoring_files; f->name; f++)
        if (streq (f->name, file))
            return f->text;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Accessors

const char *
scoring_model_name (scoring_model_t *self)
{
    return self->name;
}

int
scoring_model_version (scoring_model_t *self)
{
    return self->version;
}

const char *
scoring_model_title (scoring_model_t *self)
{
    return self->title;
}

size_t
scoring_model_columns (scoring_model_t *self)
{
    return self->column_count;
}

const scoring_column_t *
scoring_model_column (scoring_model_t *self, size_t index)
{
    return index < self->column_count ? &self->columns [index] : NULL;
}

const char *
scoring_model_revenue_column (scoring_model_t *self)
{
    return self->revenue_column;
}

const char *
scoring_model_group_label (scoring_model_t *self, int group)
{
    return group >= 0 && group < self->group_count ? self->group_labels [group]
                                                   : "";
}

int
scoring_model_bonus_cap (scoring_model_t *self)
{
    return self->bonus_cap;
}

bool
scoring_model_has_scorecard (scoring_model_t *self)
{
    return self->has_card;
}

int64_t
scoring_model_scale_milli (scoring_model_t *self, double ln_odds)
{
    return llround ((self->offset + self->factor * ln_odds) * 1000);
}

int64_t
scoring_model_intercept_milli (scoring_model_t *self)
{
    return self->has_card ? self->intercept_milli : 0;
}

int
scoring_model_combine (scoring_model_t *self)
{
    return self->combine;
}

bool
scoring_model_grades_by_percentile (scoring_model_t *self)
{
    return self->grade_percentile;
}

int64_t
scoring_model_grade_at (scoring_model_t *self, scoring_grade_t grade)
{
    return grade < SCORING_C ? self->grade_at [grade] : 0;
}

int
scoring_model_line_rate_bp (scoring_model_t *self)
{
    return self->line_rate_bp;
}

int64_t
scoring_model_line_cap (scoring_model_t *self, scoring_stage_t stage)
{
    return self->line_cap [stage];
}

int64_t
scoring_model_line_max (scoring_model_t *self)
{
    return self->line_max;
}

scoring_grade_t
scoring_model_line_min_grade (scoring_model_t *self)
{
    return self->line_min_grade;
}

const char *
scoring_grade_name (scoring_grade_t grade)
{
    return grade < SCORING_GRADES ? s_grades [grade] : "?";
}

int
scoring_grade_by_name (const char *name)
{
    for (int grade = 0; grade < SCORING_GRADES; grade++)
        if (streq (s_grades [grade], name))
            return grade;
    return -1;
}

int
scoring_stage_parse (const char *text)
{
    static const struct {
        const char *name;
        scoring_stage_t stage;
    } names [] = {
        { "孵化期", SCORING_STARTUP },
        { "孵化", SCORING_STARTUP },
        { "初创期", SCORING_STARTUP },
        { "初创", SCORING_STARTUP },
        { "成长期", SCORING_GROWTH },
        { "成长", SCORING_GROWTH },
        { "成熟期", SCORING_STABLE },
        { "成熟", SCORING_STABLE },
        { "稳定期", SCORING_STABLE },
        { "稳定", SCORING_STABLE },
        { "incubation", SCORING_STARTUP },
        { "startup", SCORING_STARTUP },
        { "growth", SCORING_GROWTH },
        { "mature", SCORING_STABLE },
        { "stable", SCORING_STABLE },
        { "STAGE_INCUBATION", SCORING_STARTUP },
        { "STAGE_STARTUP", SCORING_STARTUP },
        { "STAGE_GROWTH", SCORING_GROWTH },
        { "STAGE_MATURE", SCORING_STABLE },
    };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        if (streq (names [i].name, text))
            return names [i].stage;
    return -1;
}

const char *
scoring_stage_name (scoring_stage_t stage)
{
    static const char *names [] = { "初创", "成长", "稳定" };
    return stage < SCORING_STAGES ? names [stage] : "?";
}
