/*  =========================================================================
    scoring_source - the registry's export rows as a model's inputs

    docs/scoring.md, "What the registry gives": the mapping table s_map is
    the one place where a registry field becomes a model column.
    =========================================================================
*/

#include "scoring_source.h"

//  Columns read from each kind of export, by position in the header
static const char *s_enterprise_columns [] = { "code",
                                               "region",
                                               "status",
                                               "stage",
                                               "dishonest",
                                               "abnormal",
                                               "tax_grade",
                                               "invention_patents",
                                               "round_amount_fen",
                                               "qualifications",
                                               NULL };
enum {
    E_CODE,
    E_REGION,
    E_STATUS,
    E_STAGE,
    E_DISHONEST,
    E_ABNORMAL,
    E_TAX,
    E_PATENTS,
    E_ROUND,
    E_QUALS
};

static const char *s_figure_columns [] = { "code",
                                           "year",
                                           "revenue_fen",
                                           "rnd_fen",
                                           "net_profit_fen",
                                           "total_assets_fen",
                                           "high_tech_revenue_fen",
                                           "total_cost_fen",
                                           "staff",
                                           "tech_staff",
                                           NULL };
enum {
    F_CODE,
    F_YEAR,
    F_REVENUE,
    F_RND,
    F_PROFIT,
    F_ASSETS,
    F_HITECH,
    F_COST,
    F_STAFF,
    F_TECH_STAFF
};

//  The compact export (with_figures_of): the enterprise's columns, then
//  its figures of Y and of Y-1 after them, in the order of F_YEAR ..
static const char *s_combined_columns [] = { "code",
                                             "region",
                                             "status",
                                             "stage",
                                             "dishonest",
                                             "abnormal",
                                             "tax_grade",
                                             "invention_patents",
                                             "round_amount_fen",
                                             "qualifications",
                                             "year",
                                             "revenue_fen",
                                             "rnd_fen",
                                             "net_profit_fen",
                                             "total_assets_fen",
                                             "high_tech_revenue_fen",
                                             "total_cost_fen",
                                             "staff",
                                             "tech_staff",
                                             "prev_year",
                                             "prev_revenue_fen",
                                             "prev_rnd_fen",
                                             "prev_net_profit_fen",
                                             "prev_total_assets_fen",
                                             "prev_high_tech_revenue_fen",
                                             "prev_total_cost_fen",
                                             "prev_staff",
                                             "prev_tech_staff",
                                             NULL };
//  Where each year's figures start among them
enum { C_THIS_YEAR = E_QUALS + 1, C_PREV_YEAR = C_THIS_YEAR + F_TECH_STAFF };

//  --------------------------------------------------------------------------
//  Find each needed column in the header

int
scoring_source_header (scoring_header_t *header, scoring_source_kind_t kind,
                       const char *const *fields, size_t count,
                       const char **missing)
{
    const char **names = kind == SCORING_SOURCE_ENTERPRISES
                           ? s_enterprise_columns
                       : kind == SCORING_SOURCE_FIGURES ? s_figure_columns
                                                        : s_combined_columns;
    header->kind = kind;
    for (int c = 0; names [c]; c++) {
        header->index [c] = -1;
        for (size_t f = 0; f < count; f++)
            if (streq (fields [f], names [c]))
                header->index [c] = (int) f;
        if (header->index [c] < 0) {
            *missing = names [c];
            return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Field c of a row, "" when the row is short

static const char *
s_field (const scoring_header_t *header, int c, const char *const *fields,
         size_t count)
{
    int index = header->index [c];
    return index >= 0 && (size_t) index < count ? fields [index] : "";
}

static int64_t
s_int (const char *text)
{
    return strtoll (text, NULL, 10);
}

static bool
s_yes (const char *text)
{
    return streq (text, "true") || streq (text, "1") || streq (text, "yes")
        || streq (text, "是");
}

const char *
scoring_source_code (const scoring_header_t *header, const char *const *fields,
                     size_t count)
{
    return s_field (header, 0, fields, count);
}

//  --------------------------------------------------------------------------
//  Qualifications "kind:expiry|kind:expiry": held in year if the expiry is
//  on or after its first day

static void
s_qualifications (scoring_facts_t *facts, const char *text, int year)
{
    char first_day [16];
    snprintf (first_day, sizeof first_day, "%04d-01-01", year);
    while (*text) {
        size_t length = strcspn (text, "|");
        char item [64];
        snprintf (item, sizeof item, "%.*s", (int) length, text);
        char *colon = strchr (item, ':');
        if (colon && strcmp (colon + 1, first_day) >= 0) {
            *colon = 0;
            facts->qualifications++;
            if (streq (item, "high_tech"))
                facts->high_tech = true;
            else if (streq (item, "srdi"))
                facts->srdi = true;
            else if (streq (item, "little_giant"))
                facts->little_giant = true;
            else if (streq (item, "tech_sme"))
                facts->tech_sme = true;
        }
        text += length;
        if (*text)
            text++;
    }
}

//  --------------------------------------------------------------------------
//  Take one data row into facts

//  One year's figures, their year column at position base, the others
//  after it in the order of F_YEAR ..; ignored unless of year or year-1
static void
s_figures (const scoring_header_t *header, int base, int year,
           const char *const *fields, size_t count, scoring_facts_t *facts)
{
#define F(c) s_field (header, base - F_YEAR + (c), fields, count)
    int y = (int) s_int (F (F_YEAR));
    if (y != year && y != year - 1)
        return;
    int i = y == year ? 0 : 1;
    facts->has_figures [i] = true;
    facts->reported [i] = 0;
    for (int c = F_REVENUE; c <= F_TECH_STAFF; c++)
        if (*F (c))
            facts->reported [i] |= 1u << c;
    facts->revenue [i] = s_int (F (F_REVENUE));
    facts->rnd [i] = s_int (F (F_RND));
    facts->net_profit [i] = s_int (F (F_PROFIT));
    facts->assets [i] = s_int (F (F_ASSETS));
    facts->hitech [i] = s_int (F (F_HITECH));
    facts->cost [i] = s_int (F (F_COST));
    facts->staff [i] = s_int (F (F_STAFF));
    facts->tech_staff [i] = s_int (F (F_TECH_STAFF));
#undef F
}

void
scoring_source_row (const scoring_header_t *header, int year,
                    const char *const *fields, size_t count,
                    scoring_facts_t *facts)
{
#define F(c) s_field (header, (c), fields, count)
    if (header->kind == SCORING_SOURCE_FIGURES) {
        s_figures (header, F_YEAR, year, fields, count, facts);
        return;
    }
    snprintf (facts->code, sizeof facts->code, "%s", F (E_CODE));
    snprintf (facts->region, sizeof facts->region, "%s", F (E_REGION));
    facts->active = streq (F (E_STATUS), "active");
    facts->stage = scoring_stage_parse (F (E_STAGE));
    facts->dishonest = s_yes (F (E_DISHONEST));
    facts->abnormal = s_yes (F (E_ABNORMAL));
    snprintf (facts->tax_grade, sizeof facts->tax_grade, "%s", F (E_TAX));
    facts->invention_patents = s_int (F (E_PATENTS));
    facts->has_round = *F (E_ROUND) != 0;
    facts->round_fen = s_int (F (E_ROUND));
    s_qualifications (facts, F (E_QUALS), year);
    if (header->kind == SCORING_SOURCE_COMBINED) {
        s_figures (header, C_THIS_YEAR, year, fields, count, facts);
        s_figures (header, C_PREV_YEAR, year, fields, count, facts);
    }
#undef F
}

//  --------------------------------------------------------------------------
//  A member's inputs packed for the member table

void
scoring_source_pack (zchunk_t *out, const int64_t *values, const bool *present,
                     size_t n)
{
    static const char hex [] = "0123456789abcdef";
    char text [3 + SCORING_COLUMNS_MAX * 18 + 18];
    size_t used = 0;
    text [used++] = '\\';
    text [used++] = '\\';
    text [used++] = 'x';
    for (size_t i = 0; i < n; i++) {
        uint64_t value = (uint64_t) values [i];
        text [used++] = '0';
        text [used++] = present [i] ? '1' : '0';
        for (int b = 0; b < 8; b++, value >>= 8) {
            text [used++] = hex [(value >> 4) & 15];
            text [used++] = hex [value & 15];
        }
    }
    zchunk_extend (out, text, used);
}

int
scoring_source_unpack (const char *text, int64_t *values, bool *present,
                       size_t n)
{
    if (strlen (text) != 2 + n * 18 || text [0] != '\\' || text [1] != 'x')
        return -1;
    text += 2;
    for (size_t i = 0; i < n; i++, text += 18) {
        present [i] = text [1] == '1';
        uint64_t value = 0;
        for (int b = 7; b >= 0; b--) {
            const char *digit = text + 2 + 2 * b;
            int high = isdigit ((unsigned char) digit [0])
                         ? digit [0] - '0'
                         : digit [0] - 'a' + 10;
            int low = isdigit ((unsigned char) digit [1])
                        ? digit [1] - '0'
                        : digit [1] - 'a' + 10;
            value = value << 8 | (uint64_t) (high << 4 | low);
        }
        values [i] = (int64_t) value;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The mapping: each returns true with *value when the registry gives it

//  True if the figure of column c (F_REVENUE ..) of year i was reported
static bool
s_reported (const scoring_facts_t *f, int i, int c)
{
    return f->has_figures [i] && (f->reported [i] & (1u << c));
}

//  A year-on-year growth in basis points, when last year's figure is > 0
static bool
s_growth (const scoring_facts_t *f, const int64_t *figure, int c,
          int64_t *value)
{
    if (!s_reported (f, 0, c) || !s_reported (f, 1, c) || figure [1] <= 0)
        return false;
    *value = (figure [0] - figure [1]) * 10000 / figure [1];
    return true;
}

#define S_THIS_YEAR(name, field, column)                                       \
    static bool name (const scoring_facts_t *f, int64_t *value)                \
    {                                                                          \
        *value = f->field [0];                                                 \
        return s_reported (f, 0, column);                                      \
    }
S_THIS_YEAR (s_rd_expense, rnd, F_RND)
S_THIS_YEAR (s_rd_staff, tech_staff, F_TECH_STAFF)
S_THIS_YEAR (s_hitech_revenue, hitech, F_HITECH)
S_THIS_YEAR (s_revenue, revenue, F_REVENUE)

static bool
s_rd_growth (const scoring_facts_t *f, int64_t *value)
{
    return s_growth (f, f->rnd, F_RND, value);
}

static bool
s_revenue_growth (const scoring_facts_t *f, int64_t *value)
{
    return s_growth (f, f->revenue, F_REVENUE, value);
}

static bool
s_staff_growth (const scoring_facts_t *f, int64_t *value)
{
    return s_growth (f, f->staff, F_STAFF, value);
}

static bool
s_rd_intensity (const scoring_facts_t *f, int64_t *value)
{
    if (!s_reported (f, 0, F_RND) || !s_reported (f, 0, F_REVENUE)
        || f->revenue [0] <= 0)
        return false;
    *value = f->rnd [0] * 10000 / f->revenue [0];
    return true;
}

static bool
s_patents (const scoring_facts_t *f, int64_t *value)
{
    *value = f->invention_patents;
    return true;
}

static bool
s_vc (const scoring_facts_t *f, int64_t *value)
{
    *value = f->round_fen;
    return f->has_round;
}

static bool
s_honours (const scoring_facts_t *f, int64_t *value)
{
    *value = f->qualifications;
    return true;
}

static bool
s_tax_a (const scoring_facts_t *f, int64_t *value)
{
    *value = streq (f->tax_grade, "A");
    return f->tax_grade [0] != 0;
}

#define S_FLAG(name, field)                                                    \
    static bool name (const scoring_facts_t *f, int64_t *value)                \
    {                                                                          \
        *value = f->field;                                                     \
        return true;                                                           \
    }
S_FLAG (s_dishonest, dishonest)
S_FLAG (s_abnormal, abnormal)
S_FLAG (s_high_tech, high_tech)
S_FLAG (s_srdi, srdi)
S_FLAG (s_little_giant, little_giant)
S_FLAG (s_tech_sme, tech_sme)

static const struct {
    const char *column;
    bool (*get) (const scoring_facts_t *, int64_t *);
} s_map [] = { { "rd_expense_fen", s_rd_expense },     //  rnd_fen
               { "rd_growth_bp", s_rd_growth },        //  rnd_fen, Y vs Y-1
               { "rd_intensity_bp", s_rd_intensity },  //  rnd / revenue
               { "rd_staff", s_rd_staff },             //  tech_staff
               { "invention_patents", s_patents },     //  ip.invention_patents
               { "hitech_revenue_fen",
                 s_hitech_revenue },          //  high_tech_revenue_fen
               { "revenue_fen", s_revenue },  //  revenue_fen
               { "revenue_growth_bp", s_revenue_growth },  //  revenue, Y vs Y-1
               { "staff_growth_bp", s_staff_growth },      //  staff, Y vs Y-1
               { "vc_raised_fen", s_vc },              //  latest round's amount
               { "honours", s_honours },               //  qualifications held
               { "tax_grade_a", s_tax_a },             //  credit.tax_grade
               { "serious_dishonesty", s_dishonest },  //  credit.dishonest
               { "abnormal_operation", s_abnormal },   //  credit.abnormal
               { "hi_tech", s_high_tech },             //  QUAL_HIGH_TECH
               { "specialized", s_srdi },              //  QUAL_SRDI
               { "little_giant", s_little_giant },     //  QUAL_LITTLE_GIANT
               { "tech_sme", s_tech_sme },             //  QUAL_TECH_SME
               { NULL } };

//  --------------------------------------------------------------------------
//  The cohort's inputs from facts

size_t
scoring_source_plan (scoring_cohort_t *cohort, int *plan)
{
    size_t inputs = scoring_cohort_inputs (cohort);
    for (size_t i = 0; i < inputs; i++) {
        const char *name = scoring_cohort_input_name (cohort, i);
        plan [i] = -1;
        for (int m = 0; s_map [m].column; m++)
            if (streq (s_map [m].column, name)) {
                plan [i] = m;
                break;
            }
    }
    return inputs;
}

void
scoring_source_planned (const scoring_facts_t *facts, const int *plan,
                        size_t inputs, int64_t *values, bool *present)
{
    for (size_t i = 0; i < inputs; i++) {
        values [i] = 0;
        present [i] = plan [i] >= 0
                   && s_map [plan [i]].get (facts, &values [i]);
        if (!present [i])
            values [i] = 0;
    }
}

void
scoring_source_inputs (const scoring_facts_t *facts, scoring_cohort_t *cohort,
                       int64_t *values, bool *present)
{
    int plan [SCORING_COLUMNS_MAX + 1];
    size_t inputs = scoring_source_plan (cohort, plan);
    scoring_source_planned (facts, plan, inputs, values, present);
}

bool
scoring_source_known (const char *column)
{
    for (int m = 0; s_map [m].column; m++)
        if (streq (s_map [m].column, column))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Cutting the export into ranges of codes: codes as numbers of base 36
//  in the order of their characters ("0" .. "9" < "A" .. "Z")

static const char s_digits [] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
#define S_CUT_DIGITS (SCORING_CUT_SIZE - 4)

//  A code's character as a digit (others to the nearest: a cut is checked
//  to fall between the two ends afterwards)
static int
s_digit (char c)
{
    const char *at = c ? strchr (s_digits, c) : NULL;
    if (at)
        return (int) (at - s_digits);
    return c < '0' ? 0 : c > 'Z' ? 35 : 10;
}

bool
scoring_source_cut (const char *lo, const char *hi, char *cut)
{
    //  lo + hi, one digit more at the top for the carry
    int sum [S_CUT_DIGITS + 1] = { 0 };
    size_t lo_size = strlen (lo), hi_size = strlen (hi);
    int carry = 0;
    for (int i = S_CUT_DIGITS - 1; i >= 0; i--) {
        int a = (size_t) i < lo_size ? s_digit (lo [i]) : 0;
        int b = !*hi ? 35 : (size_t) i < hi_size ? s_digit (hi [i]) : 0;
        sum [i + 1] = (a + b + carry) % 36;
        carry = (a + b + carry) / 36;
    }
    sum [0] = carry;
    //  Halved, the top digit gone; trailing zeros cut
    int rest = sum [0];
    for (int i = 1; i <= S_CUT_DIGITS; i++) {
        int value = rest * 36 + sum [i];
        cut [i - 1] = s_digits [value / 2];
        rest = value % 2;
    }
    int size = S_CUT_DIGITS;
    while (size > 1 && cut [size - 1] == '0')
        size--;
    cut [size] = 0;
    return strcmp (lo, cut) < 0 && (!*hi || strcmp (cut, hi) < 0);
}

//  Fractions read and write the first S_FRACTION_DIGITS digits (36^10
//  is below 2^53: a double holds them exactly)
#define S_FRACTION_DIGITS 10

//  36^S_FRACTION_DIGITS, exact in a double
static double
s_whole (void)
{
    double whole = 1;
    for (int i = 0; i < S_FRACTION_DIGITS; i++)
        whole *= 36;
    return whole;
}

double
scoring_source_fraction (const char *key, bool no_end)
{
    uint64_t value = 0;
    size_t size = strlen (key);
    for (size_t i = 0; i < S_FRACTION_DIGITS; i++)
        value = value * 36
              + (uint64_t) (no_end     ? 35
                            : i < size ? s_digit (key [i])
                                       : 0);
    return (double) value / s_whole ();
}

void
scoring_source_at (double fraction, char *cut)
{
    double whole = s_whole ();
    double scaled = fraction <= 0 ? 0
                  : fraction >= 1 ? whole - 1
                                  : fraction * whole + 0.5;
    uint64_t value = (uint64_t) (scaled < whole ? scaled : whole - 1);
    for (int i = S_FRACTION_DIGITS - 1; i >= 0; i--) {
        cut [i] = s_digits [value % 36];
        value /= 36;
    }
    int size = S_FRACTION_DIGITS;
    while (size > 1 && cut [size - 1] == '0')
        size--;
    cut [size] = 0;
}
