/*  =========================================================================
    test_ipo_fit - a firm's rows of yearly figures from the registry's
    export as the batch fit reads them (ipo_fit_years): which year is t0,
    t1 and t2, a figure not reported and a year with no row at all both
    missing, never 0 (docs/rules/ipo.md, "Batch fit")
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ipo_fit.h"

//  ¥1m in fen
#define M INT64_C (100000000)

//  Every figure of year t missing
#define S_YEAR_MISSING(t)                                                      \
    (IPO_MISSING_NP (t) | IPO_MISSING_REV (t) | IPO_MISSING_RD (t)             \
     | IPO_MISSING_OCF (t))

static ipo_fit_year_t
s_year (int year, int64_t np)
{
    ipo_fit_year_t row = { .year = year,
                           .np_fen = np,
                           .rev_fen = 4 * np,
                           .rd_fen = np / 2,
                           .ocf_fen = np };
    return row;
}

static ipo_board_input_t
s_input (const ipo_fit_year_t years [3])
{
    ipo_board_input_t input;
    memset (&input, 0, sizeof input);
    ipo_fit_years (years, &input);
    return input;
}

//  Three years running: each in its place, nothing missing
static void
test_three_years (void **state)
{
    (void) state;
    ipo_fit_year_t years [3] = { s_year (2024, 30 * M), s_year (2023, 20 * M),
                                 s_year (2022, 10 * M) };
    ipo_board_input_t in = s_input (years);
    assert_int_equal (in.np_fen [0], 30 * M);
    assert_int_equal (in.np_fen [1], 20 * M);
    assert_int_equal (in.np_fen [2], 10 * M);
    assert_int_equal (in.rev_fen [2], 40 * M);
    assert_int_equal (in.rd_fen [1], 10 * M);
    assert_int_equal (in.ocf_fen [0], 30 * M);
    assert_int_equal (in.missing, 0);
    //  120m over 80m: +50 %
    assert_int_equal (in.rev_growth_t0_bp, 5000);
}

//  A figure not reported is missing in its year
static void
test_figure_not_reported (void **state)
{
    (void) state;
    ipo_fit_year_t years [3] = { s_year (2024, 30 * M), s_year (2023, 20 * M),
                                 s_year (2022, 10 * M) };
    years [1].missing = IPO_MISSING_OCF (0);
    years [2].missing = IPO_MISSING_NP (0) | IPO_MISSING_RD (0);
    ipo_board_input_t in = s_input (years);
    assert_int_equal (in.missing, IPO_MISSING_OCF (1) | IPO_MISSING_NP (2)
                                      | IPO_MISSING_RD (2));
}

//  A year with no row is missing, every figure of it, like a figure not
//  reported: t1 skipped (2024 and 2022), t2 beyond the rows (two years),
//  a row older than t2 left out, and no rows at all
static void
test_year_without_row (void **state)
{
    (void) state;
    ipo_fit_year_t gap [3] = { s_year (2024, 30 * M),
                               s_year (2022, 10 * M),
                               { 0 } };
    ipo_board_input_t in = s_input (gap);
    assert_int_equal (in.np_fen [0], 30 * M);
    assert_int_equal (in.np_fen [1], 0);
    assert_int_equal (in.np_fen [2], 10 * M);
    assert_int_equal (in.missing, S_YEAR_MISSING (1));
    //  Growth reads t1's revenue: 0 here, and missing for the rules
    assert_int_equal (in.rev_growth_t0_bp, 0);

    ipo_fit_year_t two [3] = { s_year (2024, 30 * M),
                               s_year (2023, 20 * M),
                               { 0 } };
    in = s_input (two);
    assert_int_equal (in.missing, S_YEAR_MISSING (2));

    ipo_fit_year_t old [3] = { s_year (2024, 30 * M), s_year (2023, 20 * M),
                               s_year (2019, 10 * M) };
    in = s_input (old);
    assert_int_equal (in.np_fen [2], 0);
    assert_int_equal (in.missing, S_YEAR_MISSING (2));

    ipo_fit_year_t none [3] = { { 0 } };
    in = s_input (none);
    assert_int_equal (in.missing, S_YEAR_MISSING (0) | S_YEAR_MISSING (1)
                                      | S_YEAR_MISSING (2));
}

//  What the rules make of it: a year with no row fails what reads it as
//  missing, not as a figure of 0 (ChiNext-1 reads t1's net profit)
static void
test_rules_read_missing (void **state)
{
    (void) state;
    ipo_fit_year_t gap [3] = { s_year (2024, 70 * M),
                               s_year (2022, 70 * M),
                               { 0 } };
    ipo_board_input_t in = s_input (gap);
    ipo_board_fit_t fit;
    kj_status_t status;
    assert_int_equal (ipo_board_fit (ipo_board_rules (NULL), &in, IPO_BOARD_ALL,
                                     &fit, &status),
                      0);
    const ipo_board_outcome_t *chinext = NULL;
    for (size_t i = 0; i < fit.count; i++) {
        char name [32];
        ipo_board_standard_name (fit.outcome [i].standard, name, sizeof name);
        if (strcmp (name, "ChiNext-1") == 0)
            chinext = &fit.outcome [i];
    }
    assert_non_null (chinext);
    assert_false (chinext->met);
    bool missing = false;
    for (size_t s = 0; s < chinext->shorts; s++)
        missing |= chinext->short_of [s].missing;
    assert_true (missing);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_three_years),
        cmocka_unit_test (test_figure_not_reported),
        cmocka_unit_test (test_year_without_row),
        cmocka_unit_test (test_rules_read_missing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
