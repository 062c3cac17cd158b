/*  =========================================================================
    test_scoring_cohort - credit portraits computed by hand: percentiles
    with ties, single-member cohorts, missing values, stops, bonus caps,
    scorecard bins, grade band boundaries, the credit line
    =========================================================================
*/

#include "scoring_cohort.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

//  x (higher better) and y (lower better); weights 60/40 at growth
static const char *s_model_text = "model t-1\nversion 1\ngroup g G\n"
                                  "indicator x g higher 60 60 60  X\n"
                                  "indicator y g lower  40 40 40  Y\n"
                                  "bonus_cap 10\n"
                                  "bonus b 8 0:0 1:50 3:100  B\n"
                                  "bonus e 8 1:100  E\n"
                                  "scorecard 600 50 20 3.912023\n"
                                  "card c *:0 100:-0.693147  C\n"
                                  "flag f 20  F\n"
                                  "stop s  S\n"
                                  "combine 2\n"
                                  "grades percentile 90 75 50 25\n"
                                  "line 2000 300 1000 500 400 A revenue_fen\n";

//  Columns: x y b e c f s, then revenue_fen (extra input)
enum { X, Y, B, E, C, F, S, REV, INPUTS };
#define NA INT64_MIN

static scoring_model_t *s_model;

//  test_fixed_cohort_same_as_before: its digest under the code of main
#define S_FIXED_DIGEST 9093295345937867415u

static int
s_setup (void **state)
{
    kj_status_t status;
    s_model = scoring_model_parse (s_model_text, "t", &status);
    assert_non_null (s_model);
    return 0;
}

static int
s_teardown (void **state)
{
    scoring_model_destroy (&s_model);
    return 0;
}

static void
s_add (scoring_cohort_t *cohort, const char *id, scoring_stage_t stage,
       const int64_t values [INPUTS])
{
    bool present [INPUTS];
    int64_t copy [INPUTS];
    for (int i = 0; i < INPUTS; i++) {
        present [i] = values [i] != NA;
        copy [i] = present [i] ? values [i] : 0;
    }
    kj_status_t status;
    assert_int_equal (scoring_cohort_add (cohort, id, stage, copy, present,
                                          &status),
                      0);
}

static void
test_percentiles_with_ties_and_direction (void **state)
{
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    assert_int_equal (scoring_cohort_inputs (cohort), INPUTS);
    //  x: 10, 20, 20, 30 -> ranks 1, 2.5, 2.5, 4 -> 0, 50, 50, 100 %
    //  y (lower better): 5, 5, 5, 9 -> ranks 2, 2, 2, 4 -> s = 33.3, 33.3,
    //  33.3, 100 %, inverted: 66.7, 66.7, 66.7, 0 %
    s_add (cohort, "a", SCORING_GROWTH,
           (int64_t []){ 10, 5, 0, 0, 0, 0, 0, 1000 });
    s_add (cohort, "b", SCORING_GROWTH,
           (int64_t []){ 20, 5, 0, 0, 0, 0, 0, 1000 });
    s_add (cohort, "c", SCORING_GROWTH,
           (int64_t []){ 20, 5, 0, 0, 0, 0, 0, 1000 });
    s_add (cohort, "d", SCORING_GROWTH,
           (int64_t []){ 30, 9, 0, 0, 0, 0, 0, 1000 });
    scoring_cohort_score (cohort);
    //  a: 0 + 40 x 2/3 = 26.667; b, c: 30 + 26.667 = 56.667; d: 60 + 0
    const scoring_portrait_t *p = scoring_cohort_portrait (cohort, 0);
    assert_int_equal (p->points_milli, 26667);
    assert_int_equal (scoring_cohort_portrait (cohort, 1)->points_milli, 56667);
    assert_int_equal (scoring_cohort_portrait (cohort, 2)->points_milli, 56667);
    assert_int_equal (scoring_cohort_portrait (cohort, 3)->points_milli, 60000);
    //  Final score = 600 + 2 x points; percentiles of it: a 0, b and c
    //  tied at ranks 2-3 (50 %), d 100 %
    assert_int_equal (p->score_milli, 600000 + 2 * 26667);
    assert_int_equal (p->percentile_milli, 0);
    assert_int_equal (scoring_cohort_portrait (cohort, 1)->percentile_milli,
                      50000);
    assert_int_equal (scoring_cohort_portrait (cohort, 3)->percentile_milli,
                      100000);
    //  Grades at the band edges: 100 % AAA, 50 % exactly A, 0 % C
    assert_int_equal (scoring_cohort_portrait (cohort, 3)->grade, SCORING_AAA);
    assert_int_equal (scoring_cohort_portrait (cohort, 1)->grade, SCORING_A);
    assert_int_equal (p->grade, SCORING_C);
    //  Reasons: a lost 60 on x (all of it) and 13.333 on y
    assert_int_equal (p->reason_count, 2);
    assert_int_equal (p->reasons [0].column, X);
    assert_int_equal (p->reasons [0].lost_micro, 60000000);
    assert_int_equal (p->reasons [1].column, Y);
    assert_int_equal (p->reasons [1].lost_micro, 13333333);
    scoring_cohort_destroy (&cohort);
}

static void
test_single_member_and_stages_apart (void **state)
{
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    //  One startup alone: every indicator at 100 %; the growth pair ranks
    //  only among itself
    s_add (cohort, "s", SCORING_STARTUP,
           (int64_t []){ 1, 99, 0, 0, 0, 0, 0, 10 });
    s_add (cohort, "g1", SCORING_GROWTH,
           (int64_t []){ 5, 1, 0, 0, 0, 0, 0, 10 });
    s_add (cohort, "g2", SCORING_GROWTH,
           (int64_t []){ 9, 2, 0, 0, 0, 0, 0, 10 });
    scoring_cohort_score (cohort);
    const scoring_portrait_t *s = scoring_cohort_portrait (cohort, 0);
    assert_int_equal (s->points_milli, 100000);
    assert_int_equal (s->percentile_milli, 100000);
    assert_int_equal (s->grade, SCORING_AAA);
    assert_int_equal (s->reason_count, 0);
    //  g1: x 0 %, y (lower) 100 % -> 40; g2: 60 + 0
    assert_int_equal (scoring_cohort_portrait (cohort, 1)->points_milli, 40000);
    assert_int_equal (scoring_cohort_portrait (cohort, 2)->points_milli, 60000);
    scoring_cohort_destroy (&cohort);
}

static void
test_missing_scores_zero_and_is_flagged (void **state)
{
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    //  m has no x: it scores 0 on x and is not ranked; n alone has x: 100 %
    s_add (cohort, "m", SCORING_GROWTH,
           (int64_t []){ NA, 1, NA, NA, NA, NA, NA, NA });
    s_add (cohort, "n", SCORING_GROWTH,
           (int64_t []){ 7, 2, 0, 0, 0, 0, 0, 1000 });
    scoring_cohort_score (cohort);
    const scoring_portrait_t *m = scoring_cohort_portrait (cohort, 0);
    assert_int_equal (m->points_milli, 40000);
    assert_int_equal (m->missing_count, 6);
    assert_int_equal (m->reasons [0].column, X);
    assert_true (m->reasons [0].missing);
    assert_int_equal (scoring_cohort_portrait (cohort, 1)->points_milli, 60000);
    assert_int_equal (m->grade, SCORING_C);
    //  Alone, a firm is AAA; its revenue unknown, it gets no line, never
    //  a line computed from a zero
    scoring_cohort_destroy (&cohort);
    cohort = scoring_cohort_new (s_model);
    s_add (cohort, "alone", SCORING_GROWTH,
           (int64_t []){ 1, 1, 0, 0, 0, 0, 0, NA });
    scoring_cohort_score (cohort);
    const scoring_portrait_t *a = scoring_cohort_portrait (cohort, 0);
    assert_int_equal (a->grade, SCORING_AAA);
    assert_false (a->line_known);
    scoring_cohort_destroy (&cohort);
}

static void
test_bonus_scorecard_flags_and_stop (void **state)
{
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    //  b = 3 -> 100 % of 8; e = 1 -> 8: 16, capped at 10. c >= 100 ->
    //  -0.693147 log-odds = -20 points. f held: +20.
    s_add (cohort, "p", SCORING_STABLE,
           (int64_t []){ 1, 1, 3, 1, 150, 1, 0, 10000 });
    //  b = 2 -> 50 % of 8 = 4; e = 0 -> below the first step: 0
    s_add (cohort, "q", SCORING_GROWTH,
           (int64_t []){ 1, 1, 2, 0, 99, 0, 0, 10000 });
    //  A stop: grade C and no line, whatever the points
    s_add (cohort, "r", SCORING_STARTUP,
           (int64_t []){ 1, 1, 0, 0, 0, 0, 1, 10000 });
    scoring_cohort_score (cohort);
    const scoring_portrait_t *p = scoring_cohort_portrait (cohort, 0);
    assert_int_equal (p->bonus_milli, 10000);
    assert_int_equal (p->scorecard_milli, 580000);
    assert_int_equal (p->flags_milli, 20000);
    //  580 + 20 + 2 x (100 + 10) = 820
    assert_int_equal (p->score_milli, 820000);
    //  The card cost 20 points against its best bin
    assert_int_equal (p->reasons [0].column, C);
    assert_int_equal (p->reasons [0].lost_micro, 20000000);
    //  Line: min (20 % of 10,000 = 2,000, stable cap 500, max 400) = 400
    assert_int_equal (p->grade, SCORING_AAA);
    assert_true (p->line_known);
    assert_int_equal (p->line_fen, 400);
    const scoring_portrait_t *q = scoring_cohort_portrait (cohort, 1);
    assert_int_equal (q->bonus_milli, 4000);
    assert_int_equal (q->scorecard_milli, 600000);
    //  growth cap 1000, max 400: 400
    assert_int_equal (q->line_fen, 400);
    const scoring_portrait_t *r = scoring_cohort_portrait (cohort, 2);
    assert_int_equal (r->stop, S);
    assert_int_equal (r->grade, SCORING_C);
    assert_int_equal (r->line_fen, 0);
    assert_true (r->line_known);
    scoring_cohort_destroy (&cohort);
}

static void
test_grade_bands_on_both_sides (void **state)
{
    //  Eleven members, x = 0..10: percentiles 0, 10, ..., 100 % exactly
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    for (int i = 0; i <= 10; i++) {
        char id [8];
        snprintf (id, sizeof id, "m%d", i);
        s_add (cohort, id, SCORING_GROWTH,
               (int64_t []){ i, 0, 0, 0, 0, 0, 0, 100 });
    }
    scoring_cohort_score (cohort);
    scoring_grade_t want [] = { SCORING_C,  SCORING_C,   SCORING_C,  SCORING_B,
                                SCORING_B,  SCORING_A,   SCORING_A,  SCORING_A,
                                SCORING_AA, SCORING_AAA, SCORING_AAA };
    for (int i = 0; i <= 10; i++) {
        const scoring_portrait_t *p = scoring_cohort_portrait (cohort, i);
        assert_int_equal (p->percentile_milli, i * 10000);
        assert_int_equal (p->grade, want [i]);
        //  A or better gets a line: 20 % of 100 fen
        assert_int_equal (p->line_fen, want [i] <= SCORING_A ? 20 : 0);
    }
    scoring_cohort_destroy (&cohort);
}

//  Shares of the best per column and their bands: x (percentiles with a
//  tie), y lower better, a bonus step, a missing value, columns without a
//  share; then the PSI of two band distributions, by hand
static void
test_shares_bands_and_psi (void **state)
{
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    //  x: 10, 20, 20, NA -> 0, 75, 75 %, missing; y: 1, 2, 3, 4 (lower
    //  better) -> 100, 66.66 (6666 bp, rounded down), 33.33, 0 %;
    //  b: 0, 1, 3, NA -> 0, 50, 100 %, missing
    s_add (cohort, "a", SCORING_GROWTH,
           (int64_t []){ 10, 1, 0, 0, 0, 0, 0, 1000 });
    s_add (cohort, "b", SCORING_GROWTH,
           (int64_t []){ 20, 2, 1, 0, 0, 0, 0, 1000 });
    s_add (cohort, "c", SCORING_GROWTH,
           (int64_t []){ 20, 3, 3, 0, 0, 0, 0, 1000 });
    s_add (cohort, "d", SCORING_GROWTH,
           (int64_t []){ NA, 4, NA, 0, 0, 0, 0, 1000 });
    scoring_cohort_score (cohort);
    int x [] = { 0, 7500, 7500, SCORING_SHARE_MISSING };
    int y [] = { 10000, 6666, 3333, 0 };
    int b [] = { 0, 5000, 10000, SCORING_SHARE_MISSING };
    for (size_t m = 0; m < 4; m++) {
        assert_int_equal (scoring_cohort_share_bp (cohort, m, X), x [m]);
        assert_int_equal (scoring_cohort_share_bp (cohort, m, Y), y [m]);
        assert_int_equal (scoring_cohort_share_bp (cohort, m, B), b [m]);
        assert_int_equal (scoring_cohort_share_bp (cohort, m, C),
                          SCORING_SHARE_NONE);
        assert_int_equal (scoring_cohort_share_bp (cohort, m, F),
                          SCORING_SHARE_NONE);
    }
    scoring_cohort_destroy (&cohort);
    //  Bands: each 10 %, 100 % in the top one, missing last
    assert_int_equal (scoring_share_band (0), 0);
    assert_int_equal (scoring_share_band (999), 0);
    assert_int_equal (scoring_share_band (1000), 1);
    assert_int_equal (scoring_share_band (8999), 8);
    assert_int_equal (scoring_share_band (9000), 9);
    assert_int_equal (scoring_share_band (10000), 9);
    assert_int_equal (scoring_share_band (SCORING_SHARE_MISSING), 10);
    assert_int_equal (scoring_share_band (SCORING_SHARE_NONE), -1);
    //  Equal distributions: 0. Two bins of three, the others empty (half
    //  a firm each, 9 x 0.5 + 3 = 7.5 on each side): band 2 has 2 under
    //  b, 0 (0.5) under a; band 5 the other way round. Each term is
    //  (1.5 / 7.5) ln 4 = 0.277259: PSI 0.554518 -> 5545
    uint64_t same [SCORING_BANDS] = { 1, 0, 0, 0, 0, 2 };
    assert_int_equal (scoring_psi_e4 (same, same, SCORING_BANDS), 0);
    uint64_t pa [SCORING_BANDS] = { [5] = 2, [9] = 1 };
    uint64_t pb [SCORING_BANDS] = { [2] = 2, [9] = 1 };
    assert_int_equal (scoring_psi_e4 (pa, pb, SCORING_BANDS), 5545);
    assert_int_equal (scoring_psi_e4 (pb, pa, SCORING_BANDS), 5545);
    //  Grades 0 1 0 0 2 against 1 0 1 0 1 (the system test's): 0.5 for
    //  each empty grade, totals 4.5 and 4.5, PSI 0.394709
    uint64_t ga [5] = { 0, 1, 0, 0, 2 }, gb [5] = { 1, 0, 1, 0, 1 };
    assert_int_equal (scoring_psi_e4 (ga, gb, 5), 3947);
}

static void
test_refuses_impossible_values (void **state)
{
    scoring_cohort_t *cohort = scoring_cohort_new (s_model);
    bool present [INPUTS] = { true, true, true, true, true, true, true, true };
    kj_status_t status;
    int64_t negative [INPUTS] = { -1, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal (scoring_cohort_add (cohort, "z", SCORING_GROWTH, negative,
                                          present, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "x");
    int64_t flag [INPUTS] = { 0, 0, 0, 0, 0, 2, 0, 0 };
    assert_int_equal (scoring_cohort_add (cohort, "z", SCORING_GROWTH, flag,
                                          present, &status),
                      -1);
    assert_string_equal (status.field, "f");
    int64_t revenue [INPUTS] = { 0, 0, 0, 0, 0, 0, 0, -5 };
    assert_int_equal (scoring_cohort_add (cohort, "z", SCORING_GROWTH, revenue,
                                          present, &status),
                      -1);
    assert_string_equal (status.field, "revenue_fen");
    assert_int_equal (scoring_cohort_size (cohort), 0);
    scoring_cohort_destroy (&cohort);
}

//  --------------------------------------------------------------------------
//  A fixed cohort under the shipped most-2024 model: every figure stored
//  and sent (grades, points, reasons, shares) folded into one digest, the
//  one the code gave before its memory was laid out per cohort (issue 13:
//  faster, the same results). Values from small ranges, so that ties are
//  many; about one value in six not reported.

static uint64_t
s_fold (uint64_t hash, int64_t value)
{
    for (int b = 0; b < 8; b++, value >>= 8)
        hash = (hash ^ (uint64_t) (value & 0xff)) * 1099511628211u;
    return hash;
}

static void
test_fixed_cohort_same_as_before (void **state)
{
    kj_status_t status;
    scoring_model_t *model = scoring_model_load ("most-2024", &status);
    assert_non_null (model);
    uint64_t digest = 14695981039346656037u;
    uint64_t grades [5] = { 0 };
    uint64_t seed = 42;
    for (int stage = 0; stage < SCORING_STAGES; stage++) {
        scoring_cohort_t *cohort = scoring_cohort_new (model);
        size_t inputs = scoring_cohort_inputs (cohort);
        size_t columns = scoring_model_columns (model);
        for (int m = 0; m < 3000; m++) {
            int64_t values [SCORING_COLUMNS_MAX + 1];
            bool present [SCORING_COLUMNS_MAX + 1];
            for (size_t i = 0; i < inputs; i++) {
                seed = seed * 6364136223846793005u + 1442695040888963407u;
                uint64_t draw = seed >> 33;
                const scoring_column_t *column =
                    i < columns ? scoring_model_column (model, i) : NULL;
                bool binary = column
                           && (column->kind == SCORING_FLAG
                               || column->kind == SCORING_STOP);
                present [i] = draw % 6 != 0;
                values [i] = binary ? (int64_t) (draw % 23 == 0)
                                    : (int64_t) (draw % 97) * 100000;
            }
            char id [24];
            snprintf (id, sizeof id, "m%d-%d", stage, m);
            assert_int_equal (scoring_cohort_add (cohort, id,
                                                  (scoring_stage_t) stage,
                                                  values, present, &status),
                              0);
        }
        scoring_cohort_score (cohort);
        for (size_t m = 0; m < scoring_cohort_size (cohort); m++) {
            const scoring_portrait_t *p = scoring_cohort_portrait (cohort, m);
            int64_t fields [] = { p->points_milli,    p->bonus_milli,
                                  p->scorecard_milli, p->flags_milli,
                                  p->score_milli,     p->percentile_milli,
                                  p->grade,           p->stop,
                                  p->line_known,      p->line_fen,
                                  p->reason_count,    p->missing_count };
            for (size_t f = 0; f < sizeof fields / sizeof fields [0]; f++)
                digest = s_fold (digest, fields [f]);
            for (int r = 0; r < p->reason_count; r++) {
                digest = s_fold (digest, p->reasons [r].column);
                digest = s_fold (digest, p->reasons [r].lost_micro);
                digest = s_fold (digest, p->reasons [r].missing);
            }
            for (size_t i = 0; i < columns; i++)
                digest = s_fold (digest,
                                 scoring_cohort_share_bp (cohort, m, i));
            grades [p->grade]++;
        }
        scoring_cohort_destroy (&cohort);
    }
    print_message ("digest %" PRIu64 ", grades %" PRIu64 " %" PRIu64 " %" PRIu64
                   " %" PRIu64 " %" PRIu64 "\n",
                   digest, grades [0], grades [1], grades [2], grades [3],
                   grades [4]);
    assert_int_equal (digest, S_FIXED_DIGEST);
    scoring_model_destroy (&model);
}

//  --------------------------------------------------------------------------
//  Rates below zero rank below zero (the sort reads values as signed),
//  ties share their rank whatever their order; numbers as stored text

static void
test_negative_rates_and_numbers (void **state)
{
    kj_status_t status;
    scoring_model_t *model = scoring_model_load ("most-2024", &status);
    assert_non_null (model);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    size_t inputs = scoring_cohort_inputs (cohort);
    size_t rate = SIZE_MAX;
    for (size_t i = 0; i < inputs; i++)
        if (streq (scoring_cohort_input_name (cohort, i), "rd_growth_bp"))
            rate = i;
    assert_true (rate < inputs);
    //  Added out of order, two tied at -1
    const int64_t rates [] = { 7, -500, INT64_MAX, -1, 0, -1, INT64_MIN };
    const int expected [] = { 8333, 1666, 10000, 4166, 6666, 4166, 0 };
    for (size_t m = 0; m < 7; m++) {
        int64_t values [SCORING_COLUMNS_MAX + 1] = { 0 };
        bool present [SCORING_COLUMNS_MAX + 1] = { false };
        values [rate] = rates [m];
        present [rate] = true;
        char id [8];
        snprintf (id, sizeof id, "r%zu", m);
        assert_int_equal (scoring_cohort_add (cohort, id, SCORING_GROWTH,
                                              values, present, &status),
                          0);
    }
    scoring_cohort_score (cohort);
    for (size_t m = 0; m < 7; m++)
        assert_int_equal (scoring_cohort_share_bp (cohort, m, rate),
                          expected [m]);
    scoring_cohort_destroy (&cohort);
    scoring_model_destroy (&model);
    const int64_t numbers [] = { 0,         7,        -1,
                                 10,        -10,      1234567890123,
                                 INT64_MAX, INT64_MIN };
    for (size_t k = 0; k < sizeof numbers / sizeof numbers [0]; k++) {
        char text [24], expect [24];
        *scoring_put_int (text, numbers [k]) = 0;
        snprintf (expect, sizeof expect, "%" PRId64, numbers [k]);
        assert_string_equal (text, expect);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_percentiles_with_ties_and_direction),
        cmocka_unit_test (test_single_member_and_stages_apart),
        cmocka_unit_test (test_missing_scores_zero_and_is_flagged),
        cmocka_unit_test (test_bonus_scorecard_flags_and_stop),
        cmocka_unit_test (test_grade_bands_on_both_sides),
        cmocka_unit_test (test_refuses_impossible_values),
        cmocka_unit_test (test_shares_bands_and_psi),
        cmocka_unit_test (test_fixed_cohort_same_as_before),
        cmocka_unit_test (test_negative_rates_and_numbers),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
