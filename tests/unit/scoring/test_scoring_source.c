/*  =========================================================================
    test_scoring_source - the registry's export rows as a model's inputs:
    headers, years Y and Y-1, growth and intensity, qualifications held in
    the year, columns the registry does not give left unreported
    =========================================================================
*/

#include "scoring_source.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static const char *s_enterprise_header [] = { "code",
                                              "name",
                                              "region",
                                              "status",
                                              "stage",
                                              "dishonest",
                                              "abnormal",
                                              "tax_grade",
                                              "invention_patents",
                                              "round_amount_fen",
                                              "qualifications" };
static const char *s_figure_header [] = { "code",
                                          "year",
                                          "revenue_fen",
                                          "rnd_fen",
                                          "net_profit_fen",
                                          "total_assets_fen",
                                          "high_tech_revenue_fen",
                                          "total_cost_fen",
                                          "staff",
                                          "tech_staff" };

//  The index of input `name` of the cohort
static size_t
s_input (scoring_cohort_t *cohort, const char *name)
{
    for (size_t i = 0; i < scoring_cohort_inputs (cohort); i++)
        if (streq (scoring_cohort_input_name (cohort, i), name))
            return i;
    fail_msg ("no input %s", name);
    return 0;
}

static void
test_rows_to_inputs (void **state)
{
    (void) state;
    scoring_header_t header;
    const char *missing = NULL;
    assert_int_equal (scoring_source_header (&header,
                                             SCORING_SOURCE_ENTERPRISES,
                                             s_enterprise_header, 11, &missing),
                      0);
    scoring_facts_t facts = { 0 };
    const char *row [] = {
        "91210100X",
        "甲",
        "210100",
        "active",
        "growth",
        "true",
        "false",
        "A",
        "7",
        "500",
        "high_tech:2024-06-30|srdi:2023-12-31|tech_sme:2025-01-01"
    };
    scoring_source_row (&header, 2024, row, 11, &facts);
    assert_string_equal (facts.code, "91210100X");
    assert_string_equal (facts.region, "210100");
    assert_true (facts.active);
    assert_int_equal (facts.stage, SCORING_GROWTH);
    assert_true (facts.dishonest);
    assert_false (facts.abnormal);
    assert_true (facts.high_tech);  //  held during 2024
    assert_false (facts.srdi);      //  expired before 2024
    assert_true (facts.tech_sme);
    assert_int_equal (facts.qualifications, 2);

    assert_int_equal (scoring_source_header (&header, SCORING_SOURCE_FIGURES,
                                             s_figure_header, 10, &missing),
                      0);
    const char *y [] = { "91210100X", "2024", "20000", "3000", "1",
                         "1",         "5000", "1",     "12",   "4" };
    const char *y1 [] = { "91210100X", "2023", "16000", "4000", "1",
                          "1",         "5000", "1",     "0",    "4" };
    const char *old [] = { "91210100X", "2020", "1", "1", "1",
                           "1",         "1",    "1", "1", "1" };
    scoring_source_row (&header, 2024, y, 10, &facts);
    scoring_source_row (&header, 2024, y1, 10, &facts);
    scoring_source_row (&header, 2024, old, 10, &facts);

    kj_status_t status;
    scoring_model_t *model = scoring_model_load ("most-2024", &status);
    assert_non_null (model);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    int64_t values [SCORING_COLUMNS_MAX + 1];
    bool present [SCORING_COLUMNS_MAX + 1];
    scoring_source_inputs (&facts, cohort, values, present);
#define EXPECT(name, value)                                                    \
    do {                                                                       \
        size_t i = s_input (cohort, name);                                     \
        assert_true (present [i]);                                             \
        assert_int_equal (values [i], value);                                  \
    } while (0)
#define ABSENT(name) assert_false (present [s_input (cohort, name)])
    EXPECT ("rd_expense_fen", 3000);
    EXPECT ("rd_growth_bp", -2500);    //  3000 against 4000
    EXPECT ("rd_intensity_bp", 1500);  //  3000 / 20000
    EXPECT ("rd_staff", 4);
    EXPECT ("revenue_fen", 20000);
    EXPECT ("revenue_growth_bp", 2500);
    ABSENT ("staff_growth_bp");  //  no staff in 2023
    EXPECT ("invention_patents", 7);
    EXPECT ("vc_raised_fen", 500);
    EXPECT ("honours", 2);
    EXPECT ("tax_grade_a", 1);
    EXPECT ("serious_dishonesty", 1);
    EXPECT ("abnormal_operation", 0);
    EXPECT ("hi_tech", 1);
    EXPECT ("specialized", 0);
    ABSENT ("tech_contract_fen");  //  not in the registry
    ABSENT ("debt_ratio_bp");
    assert_false (scoring_source_known ("tech_contract_fen"));
    assert_true (scoring_source_known ("rd_expense_fen"));
    //  The inputs are what the cohort takes
    assert_int_equal (scoring_cohort_add (cohort, facts.code, SCORING_GROWTH,
                                          values, present, &status),
                      0);
    scoring_cohort_destroy (&cohort);
    scoring_model_destroy (&model);
}

//  The compact export (with_figures_of 2024): the same enterprise as above
//  in one row, its figures of 2024 and 2023 beside it; read through a plan
static void
test_combined_row (void **state)
{
    (void) state;
    const char *names [] = { "code",
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
                             "prev_tech_staff" };
    scoring_header_t header;
    const char *missing = NULL;
    assert_int_equal (scoring_source_header (&header, SCORING_SOURCE_COMBINED,
                                             names, 28, &missing),
                      0);
    assert_int_equal (scoring_source_header (&header, SCORING_SOURCE_COMBINED,
                                             names, 27, &missing),
                      -1);
    assert_string_equal (missing, "prev_tech_staff");
    assert_int_equal (scoring_source_header (&header, SCORING_SOURCE_COMBINED,
                                             names, 28, &missing),
                      0);
    const char *row [] = {
        "91210100X", "210100",
        "active",    "growth",
        "true",      "false",
        "A",         "7",
        "500",       "high_tech:2024-06-30|srdi:2023-12-31|tech_sme:2025-01-01",
        "2024",      "20000",
        "3000",      "1",
        "1",         "5000",
        "1",         "12",
        "4",         "2023",
        "16000",     "4000",
        "1",         "1",
        "5000",      "1",
        "0",         "4"
    };
    scoring_facts_t facts = { 0 };
    scoring_source_row (&header, 2024, row, 28, &facts);
    assert_string_equal (facts.code, "91210100X");
    assert_true (facts.active);
    assert_int_equal (facts.stage, SCORING_GROWTH);
    assert_true (facts.has_figures [0] && facts.has_figures [1]);

    kj_status_t status;
    scoring_model_t *model = scoring_model_load ("most-2024", &status);
    assert_non_null (model);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    int plan [SCORING_COLUMNS_MAX + 1];
    size_t inputs = scoring_source_plan (cohort, plan);
    assert_int_equal (inputs, scoring_cohort_inputs (cohort));
    int64_t values [SCORING_COLUMNS_MAX + 1];
    bool present [SCORING_COLUMNS_MAX + 1];
    scoring_source_planned (&facts, plan, inputs, values, present);
    EXPECT ("rd_expense_fen", 3000);
    EXPECT ("rd_growth_bp", -2500);
    EXPECT ("rd_intensity_bp", 1500);
    EXPECT ("revenue_growth_bp", 2500);
    ABSENT ("staff_growth_bp");
    EXPECT ("vc_raised_fen", 500);
    EXPECT ("honours", 2);
    EXPECT ("serious_dishonesty", 1);
    ABSENT ("tech_contract_fen");

    //  No figures on file for either year, no round: empty columns
    const char *bare [] = {
        "C", "210200", "active", "startup", "false", "false", "", "0", "", "",
        "",  "",       "",       "",        "",      "",      "", "",  "", "",
        "",  "",       "",       "",        "",      "",      "", ""
    };
    scoring_facts_t none = { 0 };
    scoring_source_row (&header, 2024, bare, 28, &none);
    assert_false (none.has_figures [0] || none.has_figures [1]);
    scoring_source_planned (&none, plan, inputs, values, present);
    ABSENT ("rd_expense_fen");
    ABSENT ("revenue_growth_bp");
    ABSENT ("vc_raised_fen");
    ABSENT ("tax_grade_a");
    EXPECT ("honours", 0);

    //  A year on file whose R&D was not reported (an empty cell): unknown,
    //  not 0, in every input read from it; the old reader took 0
    row [12] = "";
    scoring_facts_t unreported = { 0 };
    scoring_source_row (&header, 2024, row, 28, &unreported);
    assert_true (unreported.has_figures [0]);
    scoring_source_planned (&unreported, plan, inputs, values, present);
    ABSENT ("rd_expense_fen");
    ABSENT ("rd_growth_bp");
    ABSENT ("rd_intensity_bp");
    EXPECT ("revenue_fen", 20000);
    EXPECT ("revenue_growth_bp", 2500);
    scoring_cohort_destroy (&cohort);
    scoring_model_destroy (&model);
}

static void
test_no_figures_no_round (void **state)
{
    (void) state;
    scoring_header_t header;
    const char *missing = NULL;
    assert_int_equal (scoring_source_header (&header,
                                             SCORING_SOURCE_ENTERPRISES,
                                             s_enterprise_header, 11, &missing),
                      0);
    scoring_facts_t facts = { 0 };
    const char *row [] = { "C",   "乙", "210200", "draft", "unknown", "no",
                           "yes", "",   "0",      "",      "" };
    scoring_source_row (&header, 2024, row, 11, &facts);
    assert_false (facts.active);
    assert_int_equal (facts.stage, -1);
    assert_true (facts.abnormal);
    kj_status_t status;
    scoring_model_t *model = scoring_model_load ("v2-2025", &status);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    int64_t values [SCORING_COLUMNS_MAX + 1];
    bool present [SCORING_COLUMNS_MAX + 1];
    scoring_source_inputs (&facts, cohort, values, present);
    ABSENT ("rd_expense_fen");
    ABSENT ("rd_intensity_bp");
    ABSENT ("vc_raised_fen");
    ABSENT ("revenue_fen");
    EXPECT ("honours", 0);
    EXPECT ("abnormal_operation", 1);
    scoring_cohort_destroy (&cohort);
    scoring_model_destroy (&model);
}

static void
test_header_missing_column (void **state)
{
    (void) state;
    scoring_header_t header;
    const char *missing = NULL;
    assert_int_equal (scoring_source_header (&header, SCORING_SOURCE_FIGURES,
                                             s_figure_header, 9, &missing),
                      -1);
    assert_string_equal (missing, "tech_staff");
}

//  Inputs packed for the member table and read back as the server sends
//  a bytea: negative and extreme values, reported or not
static void
test_pack_and_unpack (void **state)
{
    (void) state;
    int64_t values [4] = { 0, -1, INT64_MIN, INT64_MAX };
    bool present [4] = { true, false, true, true };
    zchunk_t *out = zchunk_new (NULL, 0);
    scoring_source_pack (out, values, present, 4);
    //  COPY text: the backslash doubled; the server sends it once
    assert_int_equal (zchunk_size (out), 3 + 4 * 18);
    char text [128];
    snprintf (text, sizeof text, "%.*s", (int) zchunk_size (out) - 1,
              (char *) zchunk_data (out) + 1);
    assert_string_equal (text, "\\x"
                               "010000000000000000"
                               "00ffffffffffffffff"
                               "010000000000000080"
                               "01ffffffffffffff7f");
    int64_t back [4];
    bool reported [4];
    assert_int_equal (scoring_source_unpack (text, back, reported, 4), 0);
    assert_memory_equal (back, values, sizeof values);
    assert_memory_equal (reported, present, sizeof present);
    assert_int_equal (scoring_source_unpack (text, back, reported, 3), -1);
    zchunk_destroy (&out);
}

//  Cuts of the export's ranges: strictly between their ends, halving
//  again and again down to neighbours that have nothing between them
static void
test_cuts_between_codes (void **state)
{
    char cut [SCORING_CUT_SIZE];
    //  The whole export: half-way through the digits and letters
    assert_true (scoring_source_cut ("", "", cut));
    assert_string_equal (cut, "HZZZZZZZZZZZZZZZZZZZ");
    assert_true (scoring_source_cut ("A", "C", cut));
    assert_string_equal (cut, "B");
    assert_true (scoring_source_cut ("91210100", "", cut));
    assert_true (strcmp (cut, "91210100") > 0);
    //  Nothing lies between a code and itself, or itself and a "0" more
    assert_false (scoring_source_cut ("A", "A", cut));
    assert_false (scoring_source_cut ("A", "A0", cut));
    assert_false (scoring_source_cut ("B", "A", cut));
    //  Halving a range of two real codes converges, always in between
    const char *lo = "91210100MA0QEK7B6N", *hi = "91210102MA0P5LNA6X";
    char from [SCORING_CUT_SIZE], to [SCORING_CUT_SIZE];
    snprintf (from, sizeof from, "%s", lo);
    snprintf (to, sizeof to, "%s", hi);
    int cuts = 0;
    while (scoring_source_cut (from, to, cut)) {
        assert_true (strcmp (from, cut) < 0 && strcmp (cut, to) < 0);
        snprintf (to, sizeof to, "%s", cut);
        cuts++;
    }
    assert_true (cuts > 10 && cuts < 200);
    //  Fractions order the codes; no end is (almost) the whole
    assert_true (scoring_source_fraction ("9121", false)
                 < scoring_source_fraction ("9122", false));
    assert_true (scoring_source_fraction ("", true) > 0.99);
    assert_true (scoring_source_fraction ("", false) == 0);
    //  And back: a code at a fraction, as far as its first ten digits
    scoring_source_at (scoring_source_fraction ("91210102MA", false), cut);
    assert_string_equal (cut, "91210102MA");
    scoring_source_at (scoring_source_fraction ("9121", false), cut);
    assert_string_equal (cut, "9121");
    scoring_source_at (0, cut);
    assert_string_equal (cut, "0");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rows_to_inputs),
        cmocka_unit_test (test_combined_row),
        cmocka_unit_test (test_no_figures_no_round),
        cmocka_unit_test (test_header_missing_column),
        cmocka_unit_test (test_pack_and_unpack),
        cmocka_unit_test (test_cuts_between_codes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
