/*  =========================================================================
    test_registry_stage - life-cycle stage rules at every boundary, their
    precedence, the fallback, and the rule-set parser
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "registry_stage.h"

#define D(y, m, d) ((kj_date_t){ (y), (m), (d) })

//  An enterprise founded 2020-01-01, evaluated 2024-01-01 (4 years), with
//  nothing else: no revenue, no flags, no round.
static registry_stage_input_t
s_input (void)
{
    registry_stage_input_t input = {
        .founded_on = D (2020, 1, 1),
        .evaluated_on = D (2024, 1, 1),
    };
    return input;
}

//  --------------------------------------------------------------------------
//  Classify under rules (NULL: default), expecting success.

static registry_stage_result_t
s_classify (const registry_stage_rules_t *rules, registry_stage_input_t input)
{
    registry_stage_result_t result;
    kj_status_t status;
    assert_int_equal (registry_stage_classify (rules, &input, &result, &status),
                      0);
    assert_int_equal (status.code, KJ__CODE__OK);
    return result;
}

//  --------------------------------------------------------------------------
//  Classify, expecting a stage, a rule, a sentence and no review flag.

static void
s_assert_stage (const registry_stage_rules_t *rules,
                registry_stage_input_t input, registry_stage_t stage,
                const char *rule, const char *reason)
{
    registry_stage_result_t result = s_classify (rules, input);
    assert_int_equal (result.stage, stage);
    assert_string_equal (result.rule, rule);
    if (reason)
        assert_string_equal (result.reason, reason);
    assert_int_equal (result.needs_review, strncmp (rule, "fallback.", 9) == 0);
}

//  --------------------------------------------------------------------------
//  Classify, expecting input refused (INVALID_ARGUMENT) naming field, and
//  saying message when that is not NULL.

static void
s_assert_refused (registry_stage_input_t input, const char *field,
                  const char *message)
{
    registry_stage_result_t result;
    kj_status_t status;
    assert_int_equal (registry_stage_classify (NULL, &input, &result, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, field);
    if (message)
        assert_string_equal (status.message, message);
}

//  --------------------------------------------------------------------------
//  Parse text, expecting failure on field with message.

static void
s_assert_parse_fails (const char *text, const char *field, const char *message)
{
    registry_stage_rules_t rules, before;
    memset (&rules, 0x5A, sizeof rules);
    memcpy (&before, &rules, sizeof rules);
    kj_status_t status;
    assert_int_equal (registry_stage_rules_parse (&rules, text, &status), -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, field);
    assert_string_equal (status.message, message);
    assert_memory_equal (&rules, &before, sizeof rules);
}

static const char
    *s_default_text = "version = 2023.1\n"
                      "mature.board_standard = 1\n"
                      "mature.revenue_fen = 40000000000\n"
                      "mature.net_profit_fen = 5000000000\n"
                      "mature.listing_tutoring = 1\n"
                      "growth.min_age_months = 36\n"
                      "growth.revenue_fen = 2000000000\n"
                      "growth.cagr_bp = 2000\n"
                      "growth.qualification = 1\n"
                      "growth.min_round = b\n"
                      "startup.max_age_months = 60\n"
                      "startup.min_round = seed\n"
                      "incubation.max_age_months = 24\n"
                      "incubation.resident_revenue_fen = 500000000\n";

static void
test_rules_default (void **state)
{
    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    assert_string_equal (rules.version, "2023.1");
    assert_true (rules.mature_board_standard);
    assert_true (rules.mature_revenue_fen == INT64_C (40000000000));
    assert_true (rules.mature_net_profit_fen == INT64_C (5000000000));
    assert_true (rules.mature_listing_tutoring);
    assert_int_equal (rules.growth_min_age_months, 36);
    assert_true (rules.growth_revenue_fen == INT64_C (2000000000));
    assert_int_equal (rules.growth_cagr_bp, 2000);
    assert_true (rules.growth_qualification);
    assert_int_equal (rules.growth_min_round, REGISTRY_ROUND_B);
    assert_int_equal (rules.startup_max_age_months, 60);
    assert_int_equal (rules.startup_min_round, REGISTRY_ROUND_SEED);
    assert_int_equal (rules.incubation_max_age_months, 24);
    assert_true (rules.incubation_resident_revenue_fen == 500000000);
}

static void
test_rules_format_default (void **state)
{
    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    char text [1024];
    int length = registry_stage_rules_format (&rules, text, sizeof text);
    assert_string_equal (text, s_default_text);
    assert_int_equal (length, (int) strlen (s_default_text));
    //  Too small a buffer: truncated, the full length returned.
    char small [16];
    assert_int_equal (registry_stage_rules_format (&rules, small, sizeof small),
                      length);
    assert_string_equal (small, "version = 2023.");
}

static void
test_rules_parse_round_trip (void **state)
{
    const char *text = "version = 2025.2-beta\n"
                       "mature.board_standard = 0\n"
                       "mature.revenue_fen = 50000000000\n"
                       "mature.net_profit_fen = 6000000000\n"
                       "mature.listing_tutoring = 0\n"
                       "growth.min_age_months = 30\n"
                       "growth.revenue_fen = 1000000000\n"
                       "growth.cagr_bp = 1550\n"
                       "growth.qualification = 0\n"
                       "growth.min_round = c_plus\n"
                       "startup.max_age_months = 72\n"
                       "startup.min_round = none\n"
                       "incubation.max_age_months = 18\n"
                       "incubation.resident_revenue_fen = 300000000\n";
    registry_stage_rules_t rules;
    kj_status_t status;
    assert_int_equal (registry_stage_rules_parse (&rules, text, &status), 0);
    assert_int_equal (status.code, KJ__CODE__OK);
    assert_string_equal (rules.version, "2025.2-beta");
    assert_false (rules.mature_board_standard);
    assert_true (rules.mature_revenue_fen == INT64_C (50000000000));
    assert_int_equal (rules.growth_cagr_bp, 1550);
    assert_int_equal (rules.growth_min_round, REGISTRY_ROUND_C_PLUS);
    assert_int_equal (rules.startup_min_round, REGISTRY_ROUND_NONE);
    assert_int_equal (rules.incubation_max_age_months, 18);
    char again [1024];
    registry_stage_rules_format (&rules, again, sizeof again);
    assert_string_equal (again, text);
}

static void
test_rules_parse_partial_over_defaults (void **state)
{
    const char *text = "# Liaoning 2024 pilot\r\n"
                       "\n"
                       "   version=2024.1   # set by the province\r\n"
                       "\tgrowth.revenue_fen =   1500000000\t\n"
                       "growth.qualification = No";  //  no final newline
    registry_stage_rules_t rules, expected;
    registry_stage_rules_default (&expected);
    snprintf (expected.version, sizeof expected.version, "2024.1");
    expected.growth_revenue_fen = 1500000000;
    expected.growth_qualification = false;
    kj_status_t status;
    assert_int_equal (registry_stage_rules_parse (&rules, text, &status), 0);
    char a [1024], b [1024];
    registry_stage_rules_format (&rules, a, sizeof a);
    registry_stage_rules_format (&expected, b, sizeof b);
    assert_string_equal (a, b);
}

static void
test_rules_parse_booleans (void **state)
{
    static const struct {
        const char *text;
        bool value;
    } rows [] = {
        { "1", true },      { "true", true }, { "TRUE", true },
        { "yes", true },    { "On", true },   { "0", false },
        { "false", false }, { "no", false },  { "OFF", false },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        char text [128];
        snprintf (text, sizeof text, "version = x\nmature.board_standard = %s",
                  rows [i].text);
        registry_stage_rules_t rules;
        kj_status_t status;
        assert_int_equal (registry_stage_rules_parse (&rules, text, &status),
                          0);
        assert_int_equal (rules.mature_board_standard, rows [i].value);
    }
}

static void
test_rules_parse_requires_version (void **state)
{
    s_assert_parse_fails ("growth.cagr_bp = 1000\n", "version",
                          "version: missing; a rule set must say which "
                          "version it is");
    s_assert_parse_fails ("", "version",
                          "version: missing; a rule set must say which "
                          "version it is");
    s_assert_parse_fails ("version = 2023 1", "version",
                          "line 1: version: '2023 1' must be 1 to 31 letters, "
                          "digits, '.', '-' or '_'");
    s_assert_parse_fails ("version = 12345678901234567890123456789012",
                          "version",
                          "line 1: version: '12345678901234567890123456789012' "
                          "must be 1 to 31 letters, digits, '.', '-' or '_'");
    s_assert_parse_fails ("version =  # none", "version",
                          "line 1: version: no value");
}

static void
test_rules_parse_unknown_key (void **state)
{
    s_assert_parse_fails ("version = 1\ngrowth.revenu_fen = 5\n",
                          "growth.revenu_fen",
                          "line 2: unknown key 'growth.revenu_fen'");
    s_assert_parse_fails ("version = 1\n\n# x\nVERSION = 2\n", "VERSION",
                          "line 4: unknown key 'VERSION'");
}

static void
test_rules_parse_bad_numbers (void **state)
{
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = abc",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: 'abc' is not a whole "
                          "number");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = 12.5",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: '12.5' is not a whole "
                          "number");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = 1e6",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: '1e6' is not a whole "
                          "number");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = 2,000",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: '2,000' is not a whole "
                          "number");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = +5",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: '+5' is not a whole "
                          "number");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = -",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: '-' is not a whole "
                          "number");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen =",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: no value");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = "
                          "99999999999999999999",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: '99999999999999999999' "
                          "is not a whole number that fits in 64 bits");
    s_assert_parse_fails ("version = 1\ngrowth.revenue_fen = -5",
                          "growth.revenue_fen",
                          "line 2: growth.revenue_fen: -5 is out of range (0 "
                          "or more)");
    s_assert_parse_fails ("version = 1\nmature.revenue_fen = 0",
                          "mature.revenue_fen",
                          "line 2: mature.revenue_fen: 0 is out of range (1 "
                          "or more)");
    s_assert_parse_fails ("version = 1\ngrowth.cagr_bp = 100001",
                          "growth.cagr_bp",
                          "line 2: growth.cagr_bp: 100001 is out of range (0 "
                          "to 100000)");
    s_assert_parse_fails ("version = 1\nstartup.max_age_months = 1201",
                          "startup.max_age_months",
                          "line 2: startup.max_age_months: 1201 is out of "
                          "range (0 to 1200)");
}

static void
test_rules_parse_bad_values (void **state)
{
    s_assert_parse_fails ("version = 1\nmature.board_standard = maybe",
                          "mature.board_standard",
                          "line 2: mature.board_standard: 'maybe' is not a "
                          "boolean (use 1 or 0, true or false, yes or no, on "
                          "or off)");
    s_assert_parse_fails ("version = 1\ngrowth.min_round = D",
                          "growth.min_round",
                          "line 2: growth.min_round: 'D' is not a round "
                          "(none, seed, angel, a, b, c_plus, pre_ipo)");
    s_assert_parse_fails ("version = 1\ngrowth.min_round = B",
                          "growth.min_round",
                          "line 2: growth.min_round: 'B' is not a round "
                          "(none, seed, angel, a, b, c_plus, pre_ipo)");
}

static void
test_rules_parse_bad_lines (void **state)
{
    s_assert_parse_fails ("version = 1\ngrowth.cagr_bp 2000\n", "",
                          "line 2: expected key = value, found "
                          "'growth.cagr_bp 2000'");
    s_assert_parse_fails ("version = 1\n= 5\n", "", "line 2: unknown key ''");
    s_assert_parse_fails ("version = 1\ngrowth.cagr_bp = 1\n"
                          "growth.cagr_bp = 2\n",
                          "growth.cagr_bp",
                          "line 3: growth.cagr_bp: already set on line 2");
    char text [400];
    memset (text, 'x', sizeof text - 1);
    text [sizeof text - 1] = 0;
    s_assert_parse_fails (text, "", "line 1: longer than 255 characters");
}

static void
test_age (void **state)
{
    static const struct {
        kj_date_t from, to;
        int months, days;
    } rows [] = {
        { D (2020, 1, 15), D (2020, 1, 15), 0, 0 },
        { D (2020, 1, 15), D (2020, 2, 14), 0, 30 },
        { D (2020, 1, 15), D (2020, 2, 15), 1, 0 },
        { D (2020, 1, 31), D (2020, 2, 28), 0, 28 },  //  leap: 29 days
        { D (2020, 1, 31), D (2020, 2, 29), 1, 0 },
        { D (2021, 1, 31), D (2021, 2, 28), 1, 0 },
        { D (2021, 1, 29), D (2021, 2, 28), 1, 0 },
        { D (2021, 1, 28), D (2021, 2, 27), 0, 30 },
        { D (2021, 1, 31), D (2021, 3, 1), 1, 1 },  //  from Feb 28
        { D (2021, 1, 31), D (2021, 3, 30), 1, 30 },
        { D (2021, 1, 31), D (2021, 3, 31), 2, 0 },
        { D (2019, 3, 31), D (2019, 4, 29), 0, 29 },
        { D (2019, 3, 31), D (2019, 4, 30), 1, 0 },
        { D (2020, 2, 29), D (2021, 2, 28), 12, 0 },
        { D (2020, 2, 29), D (2024, 2, 28), 47, 30 },  //  from Jan 29
        { D (2020, 2, 29), D (2024, 2, 29), 48, 0 },
        { D (2020, 12, 31), D (2023, 12, 30), 35, 30 },
        { D (2020, 12, 31), D (2023, 12, 31), 36, 0 },
        { D (2020, 12, 31), D (2024, 1, 1), 36, 1 },
        { D (1900, 2, 28), D (1900, 3, 27), 0, 27 },  //  1900 not leap
        { D (2000, 1, 1), D (2099, 12, 31), 1199, 30 },
        { D (1, 1, 1), D (9999, 12, 31), 119987, 30 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        kj_status_t status;
        int months = -1, days = -1;
        assert_int_equal (registry_stage_age (rows [i].from, rows [i].to,
                                              &months, &days, &status),
                          0);
        if (months != rows [i].months || days != rows [i].days)
            fail_msg ("row %zu: %d months %d days, expected %d and %d", i,
                      months, days, rows [i].months, rows [i].days);
        assert_int_equal (status.code, KJ__CODE__OK);
    }
}

static void
test_age_months_rejects_bad_dates (void **state)
{
    static const struct {
        kj_date_t from, to;
        const char *field, *message;
    } rows [] = {
        { D (2023, 2, 29), D (2024, 1, 1), "founded_on",
          "founded_on: 2023-02-29 is not a date" },
        { D (1900, 2, 29), D (2024, 1, 1), "founded_on",
          "founded_on: 1900-02-29 is not a date" },
        { D (2020, 13, 1), D (2024, 1, 1), "founded_on",
          "founded_on: 2020-13-01 is not a date" },
        { D (2020, 4, 31), D (2024, 1, 1), "founded_on",
          "founded_on: 2020-04-31 is not a date" },
        { D (0, 1, 1), D (2024, 1, 1), "founded_on",
          "founded_on: 0000-01-01 is not a date" },
        { D (2020, 1, 1), D (2024, 1, 0), "evaluated_on",
          "evaluated_on: 2024-01-00 is not a date" },
        { D (2020, 1, 1), D (2024, 0, 1), "evaluated_on",
          "evaluated_on: 2024-00-01 is not a date" },
        { D (2024, 1, 2), D (2024, 1, 1), "founded_on",
          "founded_on: 2024-01-02 is after the evaluation date 2024-01-01" },
        { D (2024, 2, 1), D (2024, 1, 31), "founded_on",
          "founded_on: 2024-02-01 is after the evaluation date 2024-01-31" },
        { D (2025, 1, 1), D (2024, 12, 31), "founded_on",
          "founded_on: 2025-01-01 is after the evaluation date 2024-12-31" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        kj_status_t status;
        int months, days;
        assert_int_equal (registry_stage_age (rows [i].from, rows [i].to,
                                              &months, &days, &status),
                          -1);
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.field, rows [i].field);
        assert_string_equal (status.message, rows [i].message);
    }
}

static void
test_classify_rejects_bad_input (void **state)
{
    registry_stage_input_t input = s_input ();
    input.revenue_prev_fen = -1;
    s_assert_refused (input, "revenue_prev_fen",
                      "revenue_prev_fen: must be 0 or more, found -1");

    input = s_input ();
    input.revenue_fen = -100;
    s_assert_refused (input, "revenue_fen", NULL);

    input = s_input ();
    input.revenue_prev2_fen = -1;
    s_assert_refused (input, "revenue_prev2_fen", NULL);

    input = s_input ();
    input.round = (registry_round_t) 7;
    s_assert_refused (input, "round", "round: 7 is not a round");

    input = s_input ();
    input.evaluated_on = D (2019, 12, 31);
    s_assert_refused (input, "founded_on", NULL);

    //  Net profit may be negative.
    input = s_input ();
    input.net_profit_fen = -500;
    input.net_profit_prev_fen = -500;
    registry_stage_result_t result;
    kj_status_t status;
    assert_int_equal (registry_stage_classify (NULL, &input, &result, &status),
                      0);
}

static void
test_classify_result_fields (void **state)
{
    registry_stage_input_t input = s_input ();
    input.evaluated_on = D (2024, 7, 15);
    registry_stage_result_t result = s_classify (NULL, input);
    assert_int_equal (result.age_months, 54);
    assert_int_equal (result.age_days, 14);
    assert_string_equal (result.version, "2023.1");

    registry_stage_rules_t rules;
    kj_status_t status;
    assert_int_equal (registry_stage_rules_parse (&rules, "version = 9.9",
                                                  &status),
                      0);
    result = s_classify (&rules, input);
    assert_string_equal (result.version, "9.9");
}

static void
test_classify_mature_board_standard (void **state)
{
    registry_stage_input_t input = s_input ();
    input.board_standard = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.board_standard",
                    "成熟期: meets a board's listing standard");
    //  Even a very young firm.
    input.founded_on = D (2024, 1, 1);
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.board_standard",
                    NULL);

    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    rules.mature_board_standard = false;
    s_assert_stage (&rules, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    NULL);
}

static void
test_classify_mature_revenue (void **state)
{
    registry_stage_input_t input = s_input ();
    input.revenue_fen = INT64_C (40000000000);
    input.revenue_prev2_fen = INT64_C (40000000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.revenue",
                    "成熟期: revenue ¥400,000,000 >= ¥400,000,000");
    input.revenue_fen = INT64_C (39999999999);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);
}

static void
test_classify_mature_net_profit (void **state)
{
    registry_stage_input_t input = s_input ();
    input.net_profit_fen = INT64_C (5500000000);
    input.net_profit_prev_fen = INT64_C (5000000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.net_profit",
                    "成熟期: net profit ¥50,000,000 and ¥55,000,000 >= "
                    "¥50,000,000 in each of the last 2 years");
    input.net_profit_prev_fen = INT64_C (4999999999);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "fallback.flat", NULL);
    input.net_profit_prev_fen = INT64_C (5000000000);
    input.net_profit_fen = INT64_C (4999999999);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "fallback.flat", NULL);
}

static void
test_classify_mature_listing_tutoring (void **state)
{
    registry_stage_input_t input = s_input ();
    input.listing_tutoring = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE,
                    "mature.listing_tutoring",
                    "成熟期: in the listing reserve pool at tutoring filed "
                    "(辅导备案) or later");
    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    rules.mature_listing_tutoring = false;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    NULL);
}

static void
test_classify_mature_precedence (void **state)
{
    registry_stage_input_t input = s_input ();
    input.board_standard = true;
    input.listing_tutoring = true;
    input.revenue_fen = INT64_C (50000000000);
    input.net_profit_fen = INT64_C (9000000000);
    input.net_profit_prev_fen = INT64_C (9000000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.board_standard",
                    NULL);
    input.board_standard = false;
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.revenue", NULL);
    input.revenue_fen = INT64_C (3000000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE, "mature.net_profit",
                    NULL);
    input.net_profit_fen = 0;
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE,
                    "mature.listing_tutoring", NULL);
}

//  An enterprise just inside growth: 3 years, ¥20m, HIGH_TECH.
static registry_stage_input_t
s_growth_input (void)
{
    registry_stage_input_t input = s_input ();
    input.founded_on = D (2021, 1, 1);
    input.revenue_fen = INT64_C (2000000000);
    input.revenue_prev_fen = INT64_C (2000000000);
    input.revenue_prev2_fen = INT64_C (2000000000);
    input.high_tech = true;
    return input;
}

static void
test_classify_growth_age_and_revenue (void **state)
{
    registry_stage_input_t input = s_growth_input ();
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.qualification",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, holds HIGH_TECH");
    //  One day short of 3 years.
    input.evaluated_on = D (2023, 12, 31);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    "初创期: age 2y11m30d <= 5y, revenue ¥20,000,000 > ¥0");
    //  One fen short of ¥20m.
    input = s_growth_input ();
    input.revenue_fen = INT64_C (1999999999);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);
}

static void
test_classify_growth_cagr (void **state)
{
    //  ¥36m now on ¥25m two years before: exactly 1.2^2 = 1.44.
    registry_stage_input_t input = s_growth_input ();
    input.high_tech = false;
    input.revenue_fen = INT64_C (3600000000);
    input.revenue_prev2_fen = INT64_C (2500000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.cagr",
                    "成长期: age 3y >= 3y, revenue ¥36,000,000 >= "
                    "¥20,000,000, grown from ¥25,000,000 two years before "
                    "(>= 20% a year)");
    input.revenue_prev2_fen = INT64_C (2500000001);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);
    //  And from below: one fen less now.
    input.revenue_prev2_fen = INT64_C (2500000000);
    input.revenue_fen = INT64_C (3599999999);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);
}

static void
test_classify_growth_cagr_from_zero (void **state)
{
    registry_stage_input_t input = s_growth_input ();
    input.high_tech = false;
    input.revenue_prev2_fen = 0;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.cagr",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, grown from ¥0 two years before (>= 20% a "
                    "year)");
    //  No revenue now and none before is not growth, even with the revenue
    //  threshold at 0.
    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    rules.growth_revenue_fen = 0;
    input.revenue_fen = 0;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    NULL);
}

static void
test_classify_growth_cagr_configured (void **state)
{
    registry_stage_rules_t rules;
    kj_status_t status;
    assert_int_equal (
        registry_stage_rules_parse (
            &rules,
            "version = t\ngrowth.cagr_bp = 1000\ngrowth.revenue_fen = 0\n",
            &status),
        0);
    registry_stage_input_t input = s_growth_input ();
    input.high_tech = false;
    input.revenue_fen = 121;  //  1.1^2 on 100
    input.revenue_prev2_fen = 100;
    s_assert_stage (&rules, input, REGISTRY_STAGE_GROWTH, "growth.cagr",
                    "成长期: age 3y >= 3y, revenue ¥1.21 >= ¥0, grown from "
                    "¥1 two years before (>= 10% a year)");
    input.revenue_fen = 120;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);

    rules.growth_cagr_bp = 1550;
    input.revenue_fen = INT64_C (13340250);  //  1.155^2 = 1.334025
    input.revenue_prev2_fen = INT64_C (10000000);
    registry_stage_result_t result = s_classify (&rules, input);
    assert_string_equal (result.rule, "growth.cagr");
    assert_non_null (strstr (result.reason, "(>= 15.5% a year)"));
    input.revenue_fen = INT64_C (13340249);
    assert_string_equal (s_classify (&rules, input).rule, "startup.revenue");

    rules.growth_cagr_bp = 5;
    input.revenue_fen = INT64_C (100100025);  //  1.0005^2
    input.revenue_prev2_fen = INT64_C (100000000);
    result = s_classify (&rules, input);
    assert_string_equal (result.rule, "growth.cagr");
    assert_non_null (strstr (result.reason, "(>= 0.05% a year)"));

    //  Amounts near INT64_MAX do not overflow.
    rules.growth_cagr_bp = 2000;
    rules.mature_revenue_fen = INT64_MAX;
    input.revenue_fen = INT64_MAX - 1;
    input.revenue_prev2_fen = INT64_MAX / 144 * 100;
    assert_string_equal (s_classify (&rules, input).rule, "growth.cagr");
    input.revenue_prev2_fen = INT64_MAX / 100 * 70;
    assert_string_equal (s_classify (&rules, input).rule, "startup.revenue");
}

static void
test_classify_growth_qualifications (void **state)
{
    registry_stage_input_t input = s_growth_input ();
    input.high_tech = false;
    input.srdi = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.qualification",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, holds SRDI");
    input.srdi = false;
    input.little_giant = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.qualification",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, holds LITTLE_GIANT");
    input.little_giant = false;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);

    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    rules.growth_qualification = false;
    input = s_growth_input ();
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);
}

static void
test_classify_growth_round (void **state)
{
    registry_stage_input_t input = s_growth_input ();
    input.high_tech = false;
    input.round = REGISTRY_ROUND_B;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.round",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, latest round Series B >= Series B");
    input.round = REGISTRY_ROUND_C_PLUS;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.round",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, latest round Series C or later >= "
                    "Series B");
    input.round = REGISTRY_ROUND_PRE_IPO;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.round", NULL);
    input.round = REGISTRY_ROUND_A;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);

    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    rules.growth_min_round = REGISTRY_ROUND_NONE;
    input.round = REGISTRY_ROUND_PRE_IPO;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    NULL);
}

static void
test_classify_growth_precedence (void **state)
{
    registry_stage_input_t input = s_growth_input ();
    input.revenue_prev2_fen = 0;
    input.round = REGISTRY_ROUND_C_PLUS;
    input.srdi = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.cagr", NULL);
    input.revenue_prev2_fen = input.revenue_fen;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.qualification",
                    "成长期: age 3y >= 3y, revenue ¥20,000,000 >= "
                    "¥20,000,000, holds HIGH_TECH");
    input.high_tech = false;
    input.srdi = false;
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "growth.round", NULL);
    //  Mature outranks growth.
    input.listing_tutoring = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_MATURE,
                    "mature.listing_tutoring", NULL);
}

static void
test_classify_startup_revenue (void **state)
{
    //  Exactly 5 years, one fen of revenue.
    registry_stage_input_t input = s_input ();
    input.founded_on = D (2019, 1, 1);
    input.revenue_fen = 1;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    "初创期: age 5y <= 5y, revenue ¥0.01 > ¥0");
    //  One day past 5 years: the fallback.
    input.evaluated_on = D (2024, 1, 2);
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "fallback.growing",
                    "成长期: fallback, needs review: age 5y1d matched no "
                    "rule, revenue ¥0.01 > ¥0 the year before");
    input.evaluated_on = D (2024, 2, 1);
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "fallback.growing",
                    "成长期: fallback, needs review: age 5y1m matched no "
                    "rule, revenue ¥0.01 > ¥0 the year before");
    //  Start-up outranks incubation for a young firm with revenue.
    input = s_input ();
    input.founded_on = D (2023, 7, 1);
    input.revenue_fen = 100;
    input.incubator_resident = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    "初创期: age 6m <= 5y, revenue ¥1 > ¥0");
}

static void
test_classify_startup_round (void **state)
{
    registry_stage_input_t input = s_input ();
    input.round = REGISTRY_ROUND_SEED;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.round",
                    "初创期: age 4y <= 5y, latest round seed >= seed");
    input.round = REGISTRY_ROUND_ANGEL;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.round",
                    "初创期: age 4y <= 5y, latest round angel >= seed");
    input.round = REGISTRY_ROUND_A;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.round",
                    "初创期: age 4y <= 5y, latest round Series A >= seed");
    //  A later round without the revenue growth needs is still start-up.
    input.round = REGISTRY_ROUND_B;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "startup.round",
                    "初创期: age 4y <= 5y, latest round Series B >= seed");
    input.round = REGISTRY_ROUND_NONE;
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "fallback.flat", NULL);

    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    rules.startup_min_round = REGISTRY_ROUND_A;
    input.round = REGISTRY_ROUND_ANGEL;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    NULL);
    rules.startup_min_round = REGISTRY_ROUND_NONE;
    input.round = REGISTRY_ROUND_PRE_IPO;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    NULL);
}

static void
test_classify_incubation_age (void **state)
{
    registry_stage_input_t input = s_input ();
    input.founded_on = D (2022, 1, 1);
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    "孵化期: age 2y <= 2y");
    input.founded_on = D (2022, 1, 2);
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    "孵化期: age 1y11m30d <= 2y");
    input.founded_on = D (2021, 12, 31);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    "初创期: fallback, needs review: age 2y1d matched no "
                    "rule, revenue ¥0 <= ¥0 the year before");
    input.founded_on = D (2023, 8, 1);
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    "孵化期: age 5m <= 2y");
    input.founded_on = D (2023, 7, 29);
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    "孵化期: age 5m3d <= 2y");
    input.founded_on = D (2024, 1, 1);
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    "孵化期: age 0d <= 2y");
}

static void
test_classify_incubation_resident (void **state)
{
    registry_stage_input_t input = s_input ();
    input.founded_on = D (2018, 1, 1);
    input.incubator_resident = true;
    input.revenue_fen = INT64_C (499999999);
    input.revenue_prev_fen = INT64_C (499999999);
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION,
                    "incubation.resident",
                    "孵化期: incubator resident, revenue ¥4,999,999.99 < "
                    "¥5,000,000");
    input.revenue_fen = INT64_C (500000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "fallback.growing",
                    NULL);
    //  A resident of 3 years with no revenue and no round.
    input = s_input ();
    input.founded_on = D (2021, 1, 1);
    input.incubator_resident = true;
    s_assert_stage (NULL, input, REGISTRY_STAGE_INCUBATION,
                    "incubation.resident",
                    "孵化期: incubator resident, revenue ¥0 < ¥5,000,000");
}

static void
test_classify_fallback (void **state)
{
    //  7 years, ¥12m (under growth's ¥20m), up from ¥10m.
    registry_stage_input_t input = s_input ();
    input.founded_on = D (2017, 1, 1);
    input.revenue_fen = INT64_C (1200000000);
    input.revenue_prev_fen = INT64_C (1000000000);
    input.revenue_prev2_fen = INT64_C (100000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_GROWTH, "fallback.growing",
                    "成长期: fallback, needs review: age 7y matched no rule, "
                    "revenue ¥12,000,000 > ¥10,000,000 the year before");
    input.revenue_fen = INT64_C (1000000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    "初创期: fallback, needs review: age 7y matched no rule, "
                    "revenue ¥10,000,000 <= ¥10,000,000 the year before");
    input.revenue_fen = INT64_C (900000000);
    s_assert_stage (NULL, input, REGISTRY_STAGE_STARTUP, "fallback.flat", NULL);
}

static void
test_classify_configured_ages (void **state)
{
    registry_stage_rules_t rules;
    kj_status_t status;
    assert_int_equal (
        registry_stage_rules_parse (&rules,
                                    "version = t\n"
                                    "growth.min_age_months = 30\n"
                                    "startup.max_age_months = 40\n"
                                    "incubation.max_age_months = 6\n",
                                    &status),
        0);
    registry_stage_input_t input = s_growth_input ();
    input.founded_on = D (2021, 7, 1);  //  2y6m
    s_assert_stage (&rules, input, REGISTRY_STAGE_GROWTH,
                    "growth.qualification",
                    "成长期: age 2y6m >= 2y6m, revenue ¥20,000,000 >= "
                    "¥20,000,000, holds HIGH_TECH");
    input = s_input ();
    input.founded_on = D (2020, 9, 1);  //  3y4m = 40 months
    input.revenue_fen = 1;
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "startup.revenue",
                    "初创期: age 3y4m <= 3y4m, revenue ¥0.01 > ¥0");
    input.founded_on = D (2020, 8, 31);
    s_assert_stage (&rules, input, REGISTRY_STAGE_GROWTH, "fallback.growing",
                    NULL);
    input = s_input ();
    input.founded_on = D (2023, 7, 1);
    s_assert_stage (&rules, input, REGISTRY_STAGE_INCUBATION, "incubation.age",
                    "孵化期: age 6m <= 6m");
    input.founded_on = D (2023, 6, 30);
    s_assert_stage (&rules, input, REGISTRY_STAGE_STARTUP, "fallback.flat",
                    NULL);
}

static void
test_stage_names (void **state)
{
    static const struct {
        registry_stage_t stage;
        const char *name, *label;
    } rows [] = {
        { REGISTRY_STAGE_UNKNOWN, "unknown", "未分类" },
        { REGISTRY_STAGE_INCUBATION, "incubation", "孵化期" },
        { REGISTRY_STAGE_STARTUP, "startup", "初创期" },
        { REGISTRY_STAGE_GROWTH, "growth", "成长期" },
        { REGISTRY_STAGE_MATURE, "mature", "成熟期" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        assert_string_equal (registry_stage_name (rows [i].stage),
                             rows [i].name);
        assert_string_equal (registry_stage_label (rows [i].stage),
                             rows [i].label);
        assert_int_equal (registry_stage_from_name (rows [i].name),
                          rows [i].stage);
    }
    assert_int_equal (registry_stage_from_name ("GROWTH"), -1);
    assert_int_equal (registry_stage_from_name ("成长期"), -1);
    assert_int_equal (registry_stage_from_name (""), -1);
}

static void
test_round_names (void **state)
{
    static const char *names [] = { "none", "seed",   "angel",  "a",
                                    "b",    "c_plus", "pre_ipo" };
    for (int i = 0; i < 7; i++) {
        assert_string_equal (registry_stage_round_name ((registry_round_t) i),
                             names [i]);
        assert_int_equal (registry_stage_round_from_name (names [i]), i);
    }
    assert_int_equal (registry_stage_round_from_name ("c"), -1);
    assert_int_equal (registry_stage_round_from_name ("A"), -1);
}

//  --------------------------------------------------------------------------
//  Years not reported are unknown, not zero. The old rules read a firm
//  with one year of figures (¥30m, 4 years old) as grown from ¥0 two years
//  before: 成长期 by growth.cagr. Now growth over two years is not judged,
//  the reason names the year it needed, and the stage is what the figures
//  given support.

static void
test_classify_missing_years_are_unknown (void **state)
{
    registry_stage_input_t input = s_input ();
    input.year = 2023;
    input.revenue_fen = 3000000000;  //  ¥30m: over growth's ¥20m
    input.missing = REGISTRY_STAGE_MISSING_PREV | REGISTRY_STAGE_MISSING_PREV2;
    registry_stage_result_t result = s_classify (NULL, input);
    assert_int_equal (result.stage, REGISTRY_STAGE_STARTUP);
    assert_string_equal (result.rule, "startup.revenue");
    assert_string_equal (result.reason,
                         "初创期: age 4y <= 5y, revenue ¥30,000,000 > ¥0; "
                         "not reported: figures of 2021, so not judged: "
                         "成长期 by revenue growth over two years");
    assert_false (result.needs_review);

    //  Only two years before missing: the same, naming that year
    input.missing = REGISTRY_STAGE_MISSING_PREV2;
    input.revenue_prev_fen = 2500000000;
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.revenue");
    assert_non_null (strstr (result.reason, "; not reported: figures of 2021, "
                                            "so not judged: 成长期 by revenue "
                                            "growth over two years"));

    //  A qualification decides growth without the missing years
    input.high_tech = true;
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "growth.qualification");
    assert_null (strstr (result.reason, "not reported"));
    input.high_tech = false;

    //  All three years: growth over two years is judged again
    input.missing = 0;
    input.revenue_prev2_fen = 1000000000;
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "growth.cagr");

    //  Net profit of the year before not reported: not taken as ¥0, and
    //  said (¥60m >= ¥50m in the latest year)
    input = s_input ();
    input.year = 2023;
    input.revenue_fen = 100000;
    input.net_profit_fen = 6000000000;
    input.missing = REGISTRY_STAGE_MISSING_PREV | REGISTRY_STAGE_MISSING_PREV2;
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.revenue");
    assert_non_null (strstr (result.reason,
                             "so not judged: 成熟期 by net profit in two "
                             "years"));
}

//  No figures at all: never "revenue ¥0"; young firms are placed by age or
//  round, old ones are not placed on figures nobody gave.
static void
test_classify_no_figures (void **state)
{
    registry_stage_input_t input = s_input ();
    input.missing = REGISTRY_STAGE_MISSING_LATEST;
    //  4 years old, no round: the old rules said 初创期 "fallback ...
    //  revenue ¥0.00 <= ¥0.00 the year before"
    registry_stage_result_t result = s_classify (NULL, input);
    assert_int_equal (result.stage, REGISTRY_STAGE_UNKNOWN);
    assert_string_equal (result.rule, "unknown.missing_figures");
    assert_string_equal (result.reason,
                         "未分类: age 4y matched no rule on the figures "
                         "given, and the fallback needs two years of "
                         "revenue; review by hand; no figures reported");
    assert_true (result.needs_review);
    assert_null (strstr (result.reason, "¥0"));

    //  A seed round places it in 初创期, saying revenue was not judged
    input.round = REGISTRY_ROUND_SEED;
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.round");
    assert_string_equal (
        result.reason, "初创期: age 4y <= 5y, latest round seed >= seed; "
                       "no figures reported, so not judged: "
                       "成熟期 by revenue, 成熟期 by net profit in two years, "
                       "成长期 by revenue");
    assert_null (strstr (result.reason, "¥0"));

    //  Under two years: incubation by age, whatever the figures
    input = s_input ();
    input.missing = REGISTRY_STAGE_MISSING_LATEST;
    input.evaluated_on = D (2021, 6, 1);
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "incubation.age");

    //  One year of figures, old firm, flat: the fallback needs the year
    //  before, which is not reported
    input = s_input ();
    input.evaluated_on = D (2027, 1, 1);
    input.year = 2026;
    input.revenue_fen = 100000;
    input.missing = REGISTRY_STAGE_MISSING_PREV | REGISTRY_STAGE_MISSING_PREV2;
    result = s_classify (NULL, input);
    assert_int_equal (result.stage, REGISTRY_STAGE_UNKNOWN);
    assert_non_null (strstr (result.reason, "; not reported: figures of "
                                            "2025"));
}

//  A figure a reported year left out (figures.not_reported) is unknown,
//  not zero: the old rules read net profit not reported as ¥0 and revenue
//  not reported as ¥0. A rule needing it is not judged, and the reason
//  names the figure and its year.
static void
test_classify_figures_not_reported (void **state)
{
    //  Revenue given, net profit not, in 2023; ¥60m net profit in 2022:
    //  mature by net profit in two years is not judged, not "no"
    registry_stage_input_t input = s_input ();
    input.year = 2023;
    input.revenue_fen = 3000000000;
    input.revenue_prev_fen = 2900000000;
    input.revenue_prev2_fen = 2900000000;
    input.net_profit_prev_fen = 6000000000;
    input.not_reported = REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 0);
    registry_stage_result_t result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.revenue");
    assert_string_equal (result.reason,
                         "初创期: age 4y <= 5y, revenue ¥30,000,000 > ¥0; "
                         "not reported: net profit of 2023, so not judged: "
                         "成熟期 by net profit in two years");

    //  The year before ¥40m: below the floor, so judged no whatever 2023
    //  was, and nothing to say
    input.net_profit_prev_fen = 4000000000;
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.revenue");
    assert_null (strstr (result.reason, "not reported"));

    //  Net profit of the year before left out, ¥60m in 2023: not judged
    input.not_reported = REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 1);
    input.net_profit_fen = 6000000000;
    input.net_profit_prev_fen = 0;
    result = s_classify (NULL, input);
    assert_non_null (strstr (result.reason,
                             "; not reported: net profit of 2022, so not "
                             "judged: 成熟期 by net profit in two years"));

    //  Revenue two years before left out: growth over two years not
    //  judged (the old rules read it as grown from ¥0: 成长期)
    input = s_input ();
    input.year = 2023;
    input.revenue_fen = 3000000000;
    input.revenue_prev_fen = 2500000000;
    input.not_reported = REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 2);
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.revenue");
    assert_string_equal (result.reason,
                         "初创期: age 4y <= 5y, revenue ¥30,000,000 > ¥0; "
                         "not reported: revenue of 2021, so not judged: "
                         "成长期 by revenue growth over two years");

    //  Latest revenue left out, a seed round: 初创期 by the round, and
    //  every rule on revenue named as not judged
    input = s_input ();
    input.year = 2023;
    input.revenue_prev_fen = 100000;
    input.round = REGISTRY_ROUND_SEED;
    input.not_reported = REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 0);
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.round");
    assert_string_equal (result.reason,
                         "初创期: age 4y <= 5y, latest round seed >= seed; "
                         "not reported: revenue of 2023, so not judged: "
                         "成熟期 by revenue, 成长期 by revenue");

    //  An old firm whose latest revenue was left out: the fallback cannot
    //  compare (the old rules said "revenue ¥0.00 <= ¥1,000.00")
    input = s_input ();
    input.evaluated_on = D (2027, 1, 1);
    input.year = 2026;
    input.net_profit_fen = 100000;
    input.revenue_prev_fen = 100000;
    input.revenue_prev2_fen = 100000;
    input.not_reported = REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 0)
                       | REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 1);
    result = s_classify (NULL, input);
    assert_int_equal (result.stage, REGISTRY_STAGE_UNKNOWN);
    assert_string_equal (result.rule, "unknown.missing_figures");
    assert_string_equal (result.reason,
                         "未分类: age 7y matched no rule on the figures "
                         "given, and the fallback needs two years of "
                         "revenue; review by hand; not reported: revenue of "
                         "2026");
    assert_true (result.needs_review);

    //  Several figures and a whole year: each named once, in year order
    input = s_input ();
    input.year = 2023;
    input.revenue_fen = 3000000000;
    input.net_profit_fen = 6000000000;
    input.missing = REGISTRY_STAGE_MISSING_PREV2;
    input.not_reported = REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, 1)
                       | REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, 1);
    result = s_classify (NULL, input);
    assert_string_equal (result.rule, "startup.revenue");
    assert_non_null (strstr (result.reason,
                             "; not reported: net profit of 2022 and "
                             "figures of 2021, so not judged: "
                             "成熟期 by net profit in two years, 成长期 by "
                             "revenue growth over two years"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rules_default),
        cmocka_unit_test (test_rules_format_default),
        cmocka_unit_test (test_rules_parse_round_trip),
        cmocka_unit_test (test_rules_parse_partial_over_defaults),
        cmocka_unit_test (test_rules_parse_booleans),
        cmocka_unit_test (test_rules_parse_requires_version),
        cmocka_unit_test (test_rules_parse_unknown_key),
        cmocka_unit_test (test_rules_parse_bad_numbers),
        cmocka_unit_test (test_rules_parse_bad_values),
        cmocka_unit_test (test_rules_parse_bad_lines),
        cmocka_unit_test (test_age),
        cmocka_unit_test (test_age_months_rejects_bad_dates),
        cmocka_unit_test (test_classify_rejects_bad_input),
        cmocka_unit_test (test_classify_result_fields),
        cmocka_unit_test (test_classify_mature_board_standard),
        cmocka_unit_test (test_classify_mature_revenue),
        cmocka_unit_test (test_classify_mature_net_profit),
        cmocka_unit_test (test_classify_mature_listing_tutoring),
        cmocka_unit_test (test_classify_mature_precedence),
        cmocka_unit_test (test_classify_growth_age_and_revenue),
        cmocka_unit_test (test_classify_growth_cagr),
        cmocka_unit_test (test_classify_growth_cagr_from_zero),
        cmocka_unit_test (test_classify_growth_cagr_configured),
        cmocka_unit_test (test_classify_growth_qualifications),
        cmocka_unit_test (test_classify_growth_round),
        cmocka_unit_test (test_classify_growth_precedence),
        cmocka_unit_test (test_classify_startup_revenue),
        cmocka_unit_test (test_classify_startup_round),
        cmocka_unit_test (test_classify_missing_years_are_unknown),
        cmocka_unit_test (test_classify_no_figures),
        cmocka_unit_test (test_classify_figures_not_reported),
        cmocka_unit_test (test_classify_incubation_age),
        cmocka_unit_test (test_classify_incubation_resident),
        cmocka_unit_test (test_classify_fallback),
        cmocka_unit_test (test_classify_configured_ages),
        cmocka_unit_test (test_stage_names),
        cmocka_unit_test (test_round_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
