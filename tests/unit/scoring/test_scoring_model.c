/*  =========================================================================
    test_scoring_model - model files: the shipped models load, scorecard
    scaling is the standard one, and every kind of bad file is refused with
    its line and the reason
    =========================================================================
*/

#include "scoring_model.h"
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

//  A small valid model; tests change one line of it
static const char *s_good = "model t-1\n"
                            "version 3\n"
                            "title A test model\n"
                            "group g  Group\n"
                            "indicator x g higher 60 50 40  X\n"
                            "indicator y g lower  40 50 60  Y\n"
                            "scorecard 600 50 20 3.912023\n"
                            "card c *:0.5 10:-0.5 ?:0  C\n"
                            "flag f 20  F\n"
                            "stop s  S\n"
                            "combine 2\n"
                            "grades percentile 90 75 50 25\n"
                            "line 2000 300 1000 1000 1000 A revenue_fen\n";

//  The model with line `line` (1-based) replaced by `with`; status message
//  of the refusal, or "" if it loaded
static const char *
s_refusal (int line, const char *with)
{
    static char message [600];
    char text [2048] = "";
    const char *at = s_good;
    for (int n = 1; *at; n++) {
        size_t size = strcspn (at, "\n");
        if (n == line)
            strcat (text, with);
        else
            strncat (text, at, size);
        strcat (text, "\n");
        at += size + 1;
    }
    kj_status_t status;
    scoring_model_t *model = scoring_model_parse (text, "t.model", &status);
    message [0] = 0;
    if (!model) {
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.field, "model");
        snprintf (message, sizeof message, "%s", status.message);
    }
    scoring_model_destroy (&model);
    return message;
}

static void
test_shipped_models_load (void **state)
{
    const char *const *names = scoring_model_shipped ();
    assert_string_equal (names [0], "most-2024");
    assert_string_equal (names [1], "v2-2025");
    assert_null (names [2]);
    kj_status_t status;
    scoring_model_t *most = scoring_model_load ("most-2024", &status);
    assert_non_null (most);
    size_t indicators = 0, groups [3] = { 0 };
    for (size_t i = 0; i < scoring_model_columns (most); i++) {
        const scoring_column_t *c = scoring_model_column (most, i);
        if (c->kind == SCORING_INDICATOR) {
            indicators++;
            groups [c->group]++;
        }
    }
    //  three groups, 18 indicators: 7 + 6 + 5
    assert_int_equal (indicators, 18);
    assert_int_equal (groups [0], 7);
    assert_int_equal (groups [1], 6);
    assert_int_equal (groups [2], 5);
    assert_true (scoring_model_has_scorecard (most));
    scoring_model_destroy (&most);
    scoring_model_t *v2 = scoring_model_load ("v2-2025", &status);
    assert_non_null (v2);
    assert_int_equal (scoring_model_bonus_cap (v2), 30);
    assert_false (scoring_model_has_scorecard (v2));
    scoring_model_destroy (&v2);
    assert_null (scoring_model_load ("nope", &status));
    assert_int_equal (status.code, KJ__CODE__NOT_FOUND);
    assert_string_equal (status.message,
                         "no model is called 'nope' "
                         "(shipped: most-2024, v2-2025; or give a file's "
                         "path)");
}

static void
test_scorecard_scaling (void **state)
{
    kj_status_t status;
    scoring_model_t *model = scoring_model_parse (s_good, "t", &status);
    assert_non_null (model);
    //  600 at 50:1, 20 points to double the odds
    assert_int_equal (scoring_model_scale_milli (model, log (50)), 600000);
    assert_int_equal (scoring_model_scale_milli (model, log (100)), 620000);
    assert_int_equal (scoring_model_scale_milli (model, log (25)), 580000);
    assert_int_equal (scoring_model_intercept_milli (model), 600000);
    //  A bin's log-odds 0.5 is 20 x 0.5 / ln 2 = 14.427 points
    const scoring_column_t *card = scoring_model_column (model, 2);
    assert_int_equal (card->kind, SCORING_CARD);
    assert_int_equal (card->step_value [0], 14427);
    assert_int_equal (card->step_value [1], -14427);
    assert_true (card->open_low && card->has_missing);
    assert_int_equal (card->missing_value, 0);
    scoring_model_destroy (&model);
}

static void
test_bad_files_name_line_and_reason (void **state)
{
    assert_string_equal (s_refusal (0, ""), "");
    assert_string_equal (s_refusal (5, "indicator x g higher 60 50 41  X"),
                         "t.model: the weights of stage 稳定 add up to 101, "
                         "not 100");
    assert_string_equal (s_refusal (6, "indicator x g lower 40 50 60  Y"),
                         "t.model:6: 'x' is declared twice");
    assert_string_equal (s_refusal (5, "indicator x h higher 60 50 40  X"),
                         "t.model:5: group 'h' is not declared (declare it "
                         "with `group` before)");
    assert_string_equal (s_refusal (5, "indicator x g better 60 50 40  X"),
                         "t.model:5: after the group: higher or lower (which "
                         "is better)");
    assert_string_equal (s_refusal (5, "indicator x g higher 60 50 -1  X"),
                         "t.model:5: a weight must be a whole number from 0 "
                         "to 100, not '-1'");
    assert_string_equal (s_refusal (5, "indicator x g higher 60 50 40"),
                         "t.model:5: a label for people is missing at the "
                         "end");
    assert_string_equal (s_refusal (8, "card c 0:0.5 10:-0.5  C"),
                         "t.model:8: a card's first bin must be '*:' (every "
                         "value below the next threshold)");
    assert_string_equal (s_refusal (8, "card c *:0.5 10:-0.5 5:1  C"),
                         "t.model:8: thresholds must rise: 5 after 10");
    assert_string_equal (s_refusal (8, "card c *:0.5 10:lots  C"),
                         "t.model:8: a bin's log-odds must be a number, not "
                         "'lots'");
    assert_string_equal (s_refusal (12, "grades percentile 90 75 80 25"),
                         "t.model:12: grade thresholds must fall from AAA to "
                         "B");
    assert_string_equal (s_refusal (13, "line 2000 300 1000 1000 1000 D "
                                        "revenue_fen"),
                         "t.model:13: 'D' is not a grade (AAA, AA, A, B, C)");
    assert_string_equal (s_refusal (2, "versoin 3"),
                         "t.model:2: unknown directive 'versoin' (model, "
                         "version, title, group, indicator, bonus_cap, bonus, "
                         "stop, scorecard, card, flag, combine, grades, "
                         "line)");
    assert_string_equal (s_refusal (2, "# no version"),
                         "t.model: no `version N` line");
    assert_string_equal (s_refusal (7, "# no scorecard"),
                         "t.model:8: card before scorecard (which sets the "
                         "scaling)");
}

static void
test_bonus_needs_a_cap_it_can_reach (void **state)
{
    assert_string_equal (s_refusal (9, "bonus b 10 0:0 2:100  B"),
                         "t.model: bonus indicators need a `bonus_cap`");
    char text [2048];
    snprintf (text, sizeof text, "%sbonus_cap 30\nbonus b 10 0:0 2:100  B\n",
              s_good);
    kj_status_t status;
    assert_null (scoring_model_parse (text, "t.model", &status));
    assert_string_equal (status.message,
                         "t.model: the bonus indicators "
                         "give 10 points at most, below bonus_cap 30");
    snprintf (text, sizeof text, "%sbonus_cap 10\nbonus b 10 0:0 2:101  B\n",
              s_good);
    assert_null (scoring_model_parse (text, "t.model", &status));
    assert_string_equal (status.message,
                         "t.model:15: a step's share must be "
                         "0 to 100 (percent of the points), not '101'");
}

static void
test_stage_names (void **state)
{
    assert_int_equal (scoring_stage_parse ("孵化期"), SCORING_STARTUP);
    assert_int_equal (scoring_stage_parse ("初创期"), SCORING_STARTUP);
    assert_int_equal (scoring_stage_parse ("成长期"), SCORING_GROWTH);
    assert_int_equal (scoring_stage_parse ("成熟期"), SCORING_STABLE);
    assert_int_equal (scoring_stage_parse ("growth"), SCORING_GROWTH);
    assert_int_equal (scoring_stage_parse ("STAGE_MATURE"), SCORING_STABLE);
    assert_int_equal (scoring_stage_parse ("Growth"), -1);
    assert_int_equal (scoring_stage_parse (""), -1);
    assert_int_equal (scoring_grade_by_name ("AA"), SCORING_AA);
    assert_int_equal (scoring_grade_by_name ("aa"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_shipped_models_load),
        cmocka_unit_test (test_scorecard_scaling),
        cmocka_unit_test (test_bad_files_name_line_and_reason),
        cmocka_unit_test (test_bonus_needs_a_cap_it_can_reach),
        cmocka_unit_test (test_stage_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
