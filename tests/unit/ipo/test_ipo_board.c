/*  =========================================================================
    test_ipo_board - every listing standard at its boundary

    For each standard a firm that just meets it (every figure the
    standard reads exactly at its threshold, where the figures allow),
    then the same firm one fen, one basis point or one month short on
    each figure in turn, which must miss that standard on exactly that
    figure by exactly one. Then which years each standard reads, the BSE
    prerequisite, what "nearest" means, and input out of range.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ipo_board.h"

//  ¥1m in fen
#define M INT64_C (100000000)

//  --------------------------------------------------------------------------
//  How a firm stands against every standard of every board; the batch
//  fit's bits (ipo_board_meets) must say the same, so every boundary
//  below checks both.

static ipo_board_fit_t
s_fit (ipo_board_input_t input)
{
    ipo_board_fit_t fit;
    kj_status_t status;
    assert_int_equal (ipo_board_fit (ipo_board_rules (NULL), &input,
                                     IPO_BOARD_ALL, &fit, &status),
                      0);
    uint32_t meets, expected = 0;
    for (size_t i = 0; i < fit.count; i++)
        if (fit.outcome [i].met)
            expected |= UINT32_C (1) << i;
    assert_int_equal (ipo_board_meets (ipo_board_rules (NULL), &input,
                                       IPO_BOARD_ALL, &meets, &status),
                      0);
    assert_int_equal (meets, expected);
    return fit;
}

//  --------------------------------------------------------------------------
//  The outcome of the standard named name ("STAR-1") in fit.

static const ipo_board_outcome_t *
s_outcome (const ipo_board_fit_t *fit, const char *name)
{
    char buf [32];
    for (size_t i = 0; i < fit->count; i++)
        if (strcmp (ipo_board_standard_name (fit->outcome [i].standard, buf,
                                             sizeof buf),
                    name)
            == 0)
            return &fit->outcome [i];
    fail_msg ("no standard %s", name);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The firm meets the standard.

static void
s_meets (ipo_board_input_t input, const char *name)
{
    ipo_board_fit_t fit = s_fit (input);
    const ipo_board_outcome_t *outcome = s_outcome (&fit, name);
    if (!outcome->met)
        fail_msg ("%s: missed on %s (have %lld, need %lld)", name,
                  ipo_board_figure_name (outcome->short_of [0].figure),
                  (long long) outcome->short_of [0].have,
                  (long long) outcome->short_of [0].need);
    assert_int_equal (outcome->unmet, 0);
    assert_int_equal (outcome->shorts, 0);
}

//  --------------------------------------------------------------------------
//  The firm misses the standard on exactly one figure, having `have` where
//  it needs `need`.

static void
s_misses (ipo_board_input_t input, const char *name, const char *figure,
          int64_t have, int64_t need)
{
    ipo_board_fit_t fit = s_fit (input);
    const ipo_board_outcome_t *outcome = s_outcome (&fit, name);
    assert_false (outcome->met);
    assert_int_equal (outcome->unmet, 1);
    assert_int_equal (outcome->shorts, 1);
    assert_string_equal (ipo_board_figure_name (outcome->short_of [0].figure),
                         figure);
    assert_int_equal (outcome->short_of [0].have, have);
    assert_int_equal (outcome->short_of [0].need, need);
}

//  A firm that fits nothing: every figure 0 except t2's, which no standard
//  of two years reads and which are set far off to show it.
static ipo_board_input_t
s_nothing (void)
{
    ipo_board_input_t in;
    memset (&in, 0, sizeof in);
    in.np_fen [2] = -999 * M;
    in.ocf_fen [2] = -999 * M;
    return in;
}

//  --------------------------------------------------------------------------
//  A figure not reported is unknown, never 0: a criterion that reads it,
//  or a sum or ratio that holds it, is not met, and the shortfall says it
//  is missing. Counted as 0 (the old batch), cash flow of two years could
//  pass a three-year sum that a loss-making third year would fail, and a
//  revenue left out would shrink the denominator of the R&D ratio.

static void
s_misses_unknown (ipo_board_input_t input, const char *name, const char *figure)
{
    ipo_board_fit_t fit = s_fit (input);
    const ipo_board_outcome_t *outcome = s_outcome (&fit, name);
    assert_false (outcome->met);
    assert_int_equal (outcome->unmet, 1);
    assert_int_equal (outcome->gap_bp, 10000);
    assert_int_equal (outcome->shorts, 1);
    assert_string_equal (ipo_board_figure_name (outcome->short_of [0].figure),
                         figure);
    assert_true (outcome->short_of [0].missing);
    assert_int_equal (outcome->short_of [0].have, 0);
}

static void
test_not_reported_is_not_zero (void **state)
{
    //  Main-1 by cash flow: t0 and t1 reach the ¥200m alone
    ipo_board_input_t base = s_nothing (), in;
    for (int t = 0; t < 3; t++)
        base.np_fen [t] = 110 * M;
    base.rev_fen [0] = 400 * M;
    base.rev_fen [1] = 400 * M;
    base.ocf_fen [0] = 150 * M;
    base.ocf_fen [1] = 100 * M;
    base.ocf_fen [2] = 0;
    s_meets (base, "Main-1");
    //  t2's cash flow not reported (nor its revenue, the other branch)
    in = base;
    in.missing = IPO_MISSING_OCF (2) | IPO_MISSING_REV (2);
    s_misses_unknown (in, "Main-1", "ocf_t2_t0_fen");
    //  A net profit not reported: each year must be positive, unknown
    //  is not
    in = base;
    in.missing = IPO_MISSING_NP (1);
    ipo_board_fit_t fit = s_fit (in);
    assert_false (s_outcome (&fit, "Main-1")->met);
    assert_false (s_outcome (&fit, "ChiNext-1")->met);
    //  STAR-2: a revenue of t1 not reported is no smaller denominator
    base = s_nothing ();
    base.market_cap_fen = 1500 * M;
    base.rev_fen [0] = 200 * M;
    base.rev_fen [1] = 0;
    base.rev_fen [2] = 100 * M;
    base.rd_fen [0] = 20 * M;
    base.rd_fen [1] = 20 * M;
    base.rd_fen [2] = 5 * M;
    s_meets (base, "STAR-2");
    in = base;
    in.missing = IPO_MISSING_REV (1);
    s_misses_unknown (in, "STAR-2", "rd_t2_t0_fen");
    //  R&D of t0 not reported: the same
    in = base;
    in.missing = IPO_MISSING_RD (0);
    s_misses_unknown (in, "STAR-2", "rd_t2_t0_fen");
    //  A figure no criterion of the standard reads changes nothing
    in = base;
    in.missing = IPO_MISSING_OCF (0) | IPO_MISSING_NP (2);
    s_meets (in, "STAR-2");
}

//  --------------------------------------------------------------------------
//  STAR

static void
test_star_1_profit_branch (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 1000 * M;
    base.np_fen [1] = 25 * M;
    base.np_fen [0] = 25 * M;
    s_meets (base, "STAR-1");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "STAR-1", "market_cap_fen", 1000 * M - 1, 1000 * M);
    in = base;
    in.np_fen [0]--;
    s_misses (in, "STAR-1", "np_t1_t0_fen", 50 * M - 1, 50 * M);
    in = base;
    in.np_fen [1]--;
    s_misses (in, "STAR-1", "np_t1_t0_fen", 50 * M - 1, 50 * M);

    //  Each year must be positive, whatever the sum
    base.np_fen [1] = 1;
    base.np_fen [0] = 60 * M;
    s_meets (base, "STAR-1");
    in = base;
    in.np_fen [1] = 0;
    s_misses (in, "STAR-1", "np_t1_fen", 0, 1);
    //  ... and t0 too (the revenue branch, with no revenue, is further)
    base.np_fen [1] = 60 * M;
    base.np_fen [0] = 1;
    s_meets (base, "STAR-1");
    in = base;
    in.np_fen [0] = 0;
    s_misses (in, "STAR-1", "np_t0_fen", 0, 1);
}

static void
test_star_1_revenue_branch (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 1000 * M;
    base.np_fen [1] = -5;  //  the profit branch fails
    base.np_fen [0] = 1;
    base.rev_fen [0] = 100 * M;
    s_meets (base, "STAR-1");

    in = base;
    in.np_fen [0] = 0;
    s_misses (in, "STAR-1", "np_t0_fen", 0, 1);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "STAR-1", "rev_t0_fen", 100 * M - 1, 100 * M);
}

static void
test_star_2 (void **state)
{
    //  R&D over three years exactly 15% of revenue over three years
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 1500 * M;
    base.rev_fen [0] = 200 * M;
    base.rev_fen [1] = 100 * M;
    base.rev_fen [2] = 100 * M;
    base.rd_fen [0] = 20 * M;
    base.rd_fen [1] = 20 * M;
    base.rd_fen [2] = 20 * M;
    s_meets (base, "STAR-2");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "STAR-2", "market_cap_fen", 1500 * M - 1, 1500 * M);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "STAR-2", "rev_t0_fen", 200 * M - 1, 200 * M);
    in = base;
    in.rd_fen [2]--;
    s_misses (in, "STAR-2", "rd_t2_t0_fen", 60 * M - 1, 60 * M);
    //  One fen more revenue two years back: the ratio is 14.99999996%,
    //  short of 15% by less than a millionth of a basis point
    in = base;
    in.rev_fen [2]++;
    s_misses (in, "STAR-2", "rd_t2_t0_fen", 60 * M, 60 * M + 1);
}

static void
test_star_3 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 2000 * M;
    base.rev_fen [0] = 300 * M;
    base.ocf_fen [0] = 40 * M;
    base.ocf_fen [1] = 30 * M;
    base.ocf_fen [2] = 30 * M;
    s_meets (base, "STAR-3");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "STAR-3", "market_cap_fen", 2000 * M - 1, 2000 * M);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "STAR-3", "rev_t0_fen", 300 * M - 1, 300 * M);
    in = base;
    in.ocf_fen [2]--;
    s_misses (in, "STAR-3", "ocf_t2_t0_fen", 100 * M - 1, 100 * M);
}

static void
test_star_4 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 3000 * M;
    base.rev_fen [0] = 300 * M;
    s_meets (base, "STAR-4");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "STAR-4", "market_cap_fen", 3000 * M - 1, 3000 * M);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "STAR-4", "rev_t0_fen", 300 * M - 1, 300 * M);
}

//  --------------------------------------------------------------------------
//  ChiNext, as revised in 2024

static void
test_chinext_1 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.np_fen [0] = 60 * M;
    base.np_fen [1] = 40 * M;
    s_meets (base, "ChiNext-1");
    in = base;
    in.np_fen [1]--;
    s_misses (in, "ChiNext-1", "np_t1_t0_fen", 100 * M - 1, 100 * M);

    //  ¥60m in the last year, on its own
    base.np_fen [1] = 50 * M;
    s_meets (base, "ChiNext-1");
    in = base;
    in.np_fen [0]--;
    s_misses (in, "ChiNext-1", "np_t0_fen", 60 * M - 1, 60 * M);

    //  The year before must be positive
    base.np_fen [0] = 100 * M;
    base.np_fen [1] = 1;
    s_meets (base, "ChiNext-1");
    in = base;
    in.np_fen [1] = 0;
    s_misses (in, "ChiNext-1", "np_t1_fen", 0, 1);

    //  The pre-2024 threshold (¥50m over two years) is not met any more
    in = s_nothing ();
    in.np_fen [0] = 30 * M;
    in.np_fen [1] = 20 * M;
    ipo_board_fit_t fit = s_fit (in);
    assert_int_equal (s_outcome (&fit, "ChiNext-1")->unmet, 2);
}

static void
test_chinext_2 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 1500 * M;
    base.np_fen [0] = 1;
    base.rev_fen [0] = 400 * M;
    s_meets (base, "ChiNext-2");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "ChiNext-2", "market_cap_fen", 1500 * M - 1, 1500 * M);
    in = base;
    in.np_fen [0]--;
    s_misses (in, "ChiNext-2", "np_t0_fen", 0, 1);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "ChiNext-2", "rev_t0_fen", 400 * M - 1, 400 * M);
}

static void
test_chinext_3 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 5000 * M;
    base.rev_fen [0] = 300 * M;
    base.np_fen [0] = -100 * M;  //  losses are fine here
    s_meets (base, "ChiNext-3");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "ChiNext-3", "market_cap_fen", 5000 * M - 1, 5000 * M);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "ChiNext-3", "rev_t0_fen", 300 * M - 1, 300 * M);
}

//  --------------------------------------------------------------------------
//  Main board, as revised in 2024

static void
test_main_1 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.np_fen [0] = 100 * M;
    base.np_fen [1] = 50 * M;
    base.np_fen [2] = 50 * M;
    base.ocf_fen [0] = 100 * M;
    base.ocf_fen [1] = 50 * M;
    base.ocf_fen [2] = 50 * M;
    s_meets (base, "Main-1");

    in = base;
    in.np_fen [2]--;
    s_misses (in, "Main-1", "np_t2_t0_fen", 200 * M - 1, 200 * M);
    //  The cash flow branch; the revenue branch (0) is further away
    in = base;
    in.ocf_fen [2]--;
    s_misses (in, "Main-1", "ocf_t2_t0_fen", 200 * M - 1, 200 * M);

    //  The revenue branch instead of cash flow
    base.ocf_fen [0] = base.ocf_fen [1] = base.ocf_fen [2] = 0;
    base.rev_fen [0] = base.rev_fen [1] = base.rev_fen [2] = 500 * M;
    s_meets (base, "Main-1");
    in = base;
    in.rev_fen [2]--;
    s_misses (in, "Main-1", "rev_t2_t0_fen", 1500 * M - 1, 1500 * M);

    //  Last year ¥100m, on its own
    base.np_fen [1] = base.np_fen [2] = 60 * M;
    in = base;
    in.np_fen [0]--;
    s_misses (in, "Main-1", "np_t0_fen", 100 * M - 1, 100 * M);

    //  Each of the three years positive
    base.np_fen [0] = 200 * M;
    base.np_fen [1] = base.np_fen [2] = 1;
    s_meets (base, "Main-1");
    in = base;
    in.np_fen [1] = 0;
    s_misses (in, "Main-1", "np_t1_fen", 0, 1);
    in = base;
    in.np_fen [2] = 0;
    s_misses (in, "Main-1", "np_t2_fen", 0, 1);
}

static void
test_main_2 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 5000 * M;
    base.np_fen [0] = 1;
    base.rev_fen [0] = 600 * M;
    base.ocf_fen [0] = 100 * M;
    base.ocf_fen [1] = 100 * M;
    base.ocf_fen [2] = 50 * M;
    s_meets (base, "Main-2");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "Main-2", "market_cap_fen", 5000 * M - 1, 5000 * M);
    in = base;
    in.np_fen [0]--;
    s_misses (in, "Main-2", "np_t0_fen", 0, 1);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "Main-2", "rev_t0_fen", 600 * M - 1, 600 * M);
    in = base;
    in.ocf_fen [2]--;
    s_misses (in, "Main-2", "ocf_t2_t0_fen", 250 * M - 1, 250 * M);
}

static void
test_main_3 (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.market_cap_fen = 10000 * M;
    base.np_fen [0] = 1;
    base.rev_fen [0] = 1000 * M;
    s_meets (base, "Main-3");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "Main-3", "market_cap_fen", 10000 * M - 1, 10000 * M);
    in = base;
    in.np_fen [0]--;
    s_misses (in, "Main-3", "np_t0_fen", 0, 1);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "Main-3", "rev_t0_fen", 1000 * M - 1, 1000 * M);
}

//  --------------------------------------------------------------------------
//  Beijing Stock Exchange: each standard after the NEEQ prerequisite

static ipo_board_input_t
s_neeq_innovation (void)
{
    ipo_board_input_t in = s_nothing ();
    in.neeq_tier = IPO_NEEQ_INNOVATION;
    in.neeq_listed_months = 12;
    return in;
}

static void
test_bse_1_two_year_branch (void **state)
{
    ipo_board_input_t base = s_neeq_innovation (), in;
    base.market_cap_fen = 200 * M;
    base.np_fen [0] = 15 * M;
    base.np_fen [1] = 15 * M;
    base.roe_bp [0] = 800;
    base.roe_bp [1] = 800;
    s_meets (base, "BSE-1");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "BSE-1", "market_cap_fen", 200 * M - 1, 200 * M);
    in = base;
    in.np_fen [1]--;
    s_misses (in, "BSE-1", "np_t1_fen", 15 * M - 1, 15 * M);
    in = base;
    in.np_fen [0]--;
    s_misses (in, "BSE-1", "np_t0_fen", 15 * M - 1, 15 * M);
    //  The average of the two ROEs: 7.99% and 8% average 7.995%
    in = base;
    in.roe_bp [1]--;
    s_misses (in, "BSE-1", "roe_t1_t0_bp", 1599, 1600);
    //  7% and 9% average exactly 8%
    in = base;
    in.roe_bp [0] = 700;
    in.roe_bp [1] = 900;
    s_meets (in, "BSE-1");
}

static void
test_bse_1_last_year_branch (void **state)
{
    ipo_board_input_t base = s_neeq_innovation (), in;
    base.market_cap_fen = 200 * M;
    base.np_fen [0] = 25 * M;
    base.roe_bp [0] = 800;  //  average with t1's 0 is 4%
    s_meets (base, "BSE-1");

    in = base;
    in.np_fen [0]--;
    s_misses (in, "BSE-1", "np_t0_fen", 25 * M - 1, 25 * M);
    in = base;
    in.roe_bp [0]--;
    s_misses (in, "BSE-1", "roe_t0_bp", 799, 800);
}

static void
test_bse_2 (void **state)
{
    ipo_board_input_t base = s_neeq_innovation (), in;
    base.market_cap_fen = 400 * M;
    base.rev_fen [0] = 130 * M;  //  average of two years ¥100m
    base.rev_fen [1] = 70 * M;
    base.rev_growth_t0_bp = 3000;
    base.ocf_fen [0] = 1;
    s_meets (base, "BSE-2");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "BSE-2", "market_cap_fen", 400 * M - 1, 400 * M);
    in = base;
    in.rev_fen [1]--;
    s_misses (in, "BSE-2", "rev_t1_t0_fen", 200 * M - 1, 200 * M);
    in = base;
    in.rev_growth_t0_bp--;
    s_misses (in, "BSE-2", "rev_growth_t0_bp", 2999, 3000);
    in = base;
    in.ocf_fen [0]--;
    s_misses (in, "BSE-2", "ocf_t0_fen", 0, 1);
}

static void
test_bse_3 (void **state)
{
    //  R&D over two years exactly 8% of revenue over two years
    ipo_board_input_t base = s_neeq_innovation (), in;
    base.market_cap_fen = 800 * M;
    base.rev_fen [0] = 200 * M;
    base.rev_fen [1] = 100 * M;
    base.rd_fen [0] = 12 * M;
    base.rd_fen [1] = 12 * M;
    s_meets (base, "BSE-3");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "BSE-3", "market_cap_fen", 800 * M - 1, 800 * M);
    in = base;
    in.rev_fen [0]--;
    s_misses (in, "BSE-3", "rev_t0_fen", 200 * M - 1, 200 * M);
    in = base;
    in.rd_fen [1]--;
    s_misses (in, "BSE-3", "rd_t1_t0_fen", 24 * M - 1, 24 * M);
    //  13 fen more revenue needs 2 fen more R&D: 8% of 13 fen is 1.04
    //  fen, and the least whole amount that reaches it is 2
    in = base;
    in.rev_fen [1] += 13;
    s_misses (in, "BSE-3", "rd_t1_t0_fen", 24 * M, 24 * M + 2);
}

static void
test_bse_4 (void **state)
{
    ipo_board_input_t base = s_neeq_innovation (), in;
    base.market_cap_fen = 1500 * M;
    base.rd_fen [0] = 30 * M;
    base.rd_fen [1] = 20 * M;
    s_meets (base, "BSE-4");

    in = base;
    in.market_cap_fen--;
    s_misses (in, "BSE-4", "market_cap_fen", 1500 * M - 1, 1500 * M);
    in = base;
    in.rd_fen [1]--;
    s_misses (in, "BSE-4", "rd_t1_t0_fen", 50 * M - 1, 50 * M);
}

//  The prerequisite holds for every BSE standard: innovation tier and at
//  least 12 months listed in total.
static void
test_bse_prerequisite (void **state)
{
    ipo_board_input_t base = s_neeq_innovation (), in;
    base.market_cap_fen = 1500 * M;
    base.rd_fen [0] = 50 * M;
    s_meets (base, "BSE-4");

    in = base;
    in.neeq_listed_months = 11;
    s_misses (in, "BSE-4", "neeq_listed_months", 11, 12);
    in = base;
    in.neeq_tier = IPO_NEEQ_BASIC;
    s_misses (in, "BSE-4", "neeq_tier", IPO_NEEQ_BASIC, IPO_NEEQ_INNOVATION);
    in = base;
    in.neeq_listed_months = 240;
    s_meets (in, "BSE-4");

    //  Not on the NEEQ at all: two criteria missed
    in = base;
    in.neeq_tier = IPO_NEEQ_NONE;
    in.neeq_listed_months = 0;
    ipo_board_fit_t fit = s_fit (in);
    const ipo_board_outcome_t *outcome = s_outcome (&fit, "BSE-4");
    assert_int_equal (outcome->unmet, 2);
    assert_int_equal (outcome->short_of [0].figure, IPO_FIG_NEEQ_TIER);
    assert_int_equal (outcome->short_of [1].figure, IPO_FIG_NEEQ_MONTHS);
    //  Other boards need no NEEQ listing
    in.market_cap_fen = 3000 * M;
    in.rev_fen [0] = 300 * M;
    s_meets (in, "STAR-4");
}

//  --------------------------------------------------------------------------
//  NEEQ innovation tier and the regional board, which the service reads

static void
test_neeq_and_regional (void **state)
{
    ipo_board_input_t base = s_nothing (), in;
    base.np_fen [0] = 10 * M;
    base.np_fen [1] = 10 * M;
    base.roe_bp [0] = 600;
    base.roe_bp [1] = 600;
    base.share_capital_fen = 20 * M;
    s_meets (base, "NEEQ-1");
    in = base;
    in.share_capital_fen--;
    s_misses (in, "NEEQ-1", "share_capital_fen", 20 * M - 1, 20 * M);
    in = base;
    in.roe_bp [0]--;
    s_misses (in, "NEEQ-1", "roe_t1_t0_bp", 1199, 1200);

    in = s_nothing ();
    s_misses (in, "Regional-1", "specialized", 0, 1);
    in.specialized = 1;
    s_meets (in, "Regional-1");
    s_misses (in, "Regional-2", "innovative_sme", 0, 1);
}

//  --------------------------------------------------------------------------
//  Which years each standard reads: t2 only for three-year figures

static void
test_years_read (void **state)
{
    //  Two-year and one-year standards ignore t2 entirely
    ipo_board_input_t in = s_neeq_innovation ();
    in.market_cap_fen = 1500 * M;
    in.np_fen [0] = 60 * M;
    in.np_fen [1] = 40 * M;
    in.rev_fen [0] = 200 * M;
    in.rev_fen [1] = 100 * M;
    in.rd_fen [0] = 12 * M;
    in.rd_fen [1] = 12 * M;
    in.rev_fen [2] = 900000 * M;  //  t2: would sink any 3-year ratio
    in.rd_fen [2] = 0;
    in.np_fen [2] = -900000 * M;
    s_meets (in, "ChiNext-1");
    s_meets (in, "BSE-3");
    s_meets (in, "STAR-1");
    //  ... while the three-year ones read it
    ipo_board_fit_t fit = s_fit (in);
    assert_false (s_outcome (&fit, "STAR-2")->met);
    assert_false (s_outcome (&fit, "Main-1")->met);

    //  t1 matters to the two-year figures, not to the one-year ones
    in = s_nothing ();
    in.market_cap_fen = 5000 * M;
    in.rev_fen [0] = 300 * M;
    in.rev_fen [1] = 0;
    in.np_fen [1] = -900000 * M;
    s_meets (in, "STAR-4");
    s_meets (in, "ChiNext-3");
}

//  --------------------------------------------------------------------------
//  Nearest: fewest criteria missed, then the smallest sum of relative
//  shortfalls, then the first in board order.

static void
test_nearest (void **state)
{
    char name [32];
    //  Misses STAR-4 on revenue by 1%, ChiNext-3 on market cap and on
    //  nothing else; one criterion each. Market cap is 40% short of
    //  ChiNext-3's ¥5bn, revenue 1% short of STAR-4's ¥300m.
    ipo_board_input_t in = s_nothing ();
    in.market_cap_fen = 3000 * M;
    in.rev_fen [0] = 297 * M;
    ipo_board_fit_t fit = s_fit (in);
    assert_true (fit.nearest >= 0);
    const ipo_board_outcome_t *nearest = &fit.outcome [fit.nearest];
    assert_string_equal (ipo_board_standard_name (nearest->standard, name,
                                                  sizeof name),
                         "STAR-4");
    assert_int_equal (nearest->unmet, 1);
    assert_int_equal (nearest->gap_bp, 100);

    //  Two criteria a fen short each (STAR-4) are further than one
    //  criterion missed entirely (STAR-1: a loss in t0): fewest criteria
    //  first. Boards left out are not considered: with every board, the
    //  regional board's one missing flag comes first instead.
    in = s_nothing ();
    in.market_cap_fen = 3000 * M - 1;
    in.rev_fen [0] = 300 * M - 1;
    kj_status_t status;
    assert_int_equal (ipo_board_fit (ipo_board_rules (NULL), &in,
                                     IPO_BOARD_EXCHANGES, &fit, &status),
                      0);
    assert_int_equal (fit.count, 14);
    nearest = &fit.outcome [fit.nearest];
    assert_string_equal (ipo_board_standard_name (nearest->standard, name,
                                                  sizeof name),
                         "STAR-1");
    assert_int_equal (nearest->unmet, 1);
    assert_int_equal (nearest->gap_bp, 10000);
    assert_int_equal (s_outcome (&fit, "STAR-4")->gap_bp, 2);
    fit = s_fit (in);
    nearest = &fit.outcome [fit.nearest];
    assert_string_equal (ipo_board_standard_name (nearest->standard, name,
                                                  sizeof name),
                         "STAR-1");

    //  A tie goes to the first in board order: with nothing at all,
    //  STAR-2 (its ratio over no revenue holds), STAR-4 and ChiNext-3
    //  each miss market cap and revenue entirely
    in = s_nothing ();
    assert_int_equal (ipo_board_fit (ipo_board_rules (NULL), &in,
                                     IPO_BOARD_EXCHANGES, &fit, &status),
                      0);
    nearest = &fit.outcome [fit.nearest];
    assert_string_equal (ipo_board_standard_name (nearest->standard, name,
                                                  sizeof name),
                         "STAR-2");
    assert_int_equal (nearest->unmet, 2);
    assert_int_equal (nearest->gap_bp, 20000);
    assert_int_equal (s_outcome (&fit, "STAR-4")->gap_bp, 20000);

    //  A firm that meets every standard asked for has no nearest
    in = s_neeq_innovation ();
    in.market_cap_fen = 10000 * M;
    in.np_fen [0] = in.np_fen [1] = in.np_fen [2] = 200 * M;
    in.rev_fen [0] = in.rev_fen [1] = in.rev_fen [2] = 1000 * M;
    in.rd_fen [0] = in.rd_fen [1] = in.rd_fen [2] = 200 * M;
    in.ocf_fen [0] = in.ocf_fen [1] = in.ocf_fen [2] = 100 * M;
    in.roe_bp [0] = in.roe_bp [1] = 1000;
    in.rev_growth_t0_bp = 3000;
    assert_int_equal (ipo_board_fit (ipo_board_rules (NULL), &in,
                                     IPO_BOARD_EXCHANGES, &fit, &status),
                      0);
    for (size_t i = 0; i < fit.count; i++)
        assert_true (fit.outcome [i].met);
    assert_int_equal (fit.nearest, -1);
}

//  --------------------------------------------------------------------------
//  Standards are listed in board order, then number; no standard reads
//  one figure twice on one path (the shortfalls are keyed by figure).

static void
test_table_order_and_keys (void **state)
{
    const ipo_board_rules_t *rules = ipo_board_rules (NULL);
    assert_non_null (rules);
    assert_ptr_equal (ipo_board_rules ("2024"), rules);
    assert_null (ipo_board_rules ("1999"));
    assert_true (rules->count <= IPO_BOARD_MAX_STANDARDS);
    static const char *const names [] = {
        "STAR-1",    "STAR-2", "STAR-3", "STAR-4", "ChiNext-1",  "ChiNext-2",
        "ChiNext-3", "Main-1", "Main-2", "Main-3", "BSE-1",      "BSE-2",
        "BSE-3",     "BSE-4",  "NEEQ-1", "NEEQ-2", "Regional-1", "Regional-2"
    };
    assert_int_equal (rules->count, sizeof names / sizeof names [0]);
    char name [32];
    for (size_t i = 0; i < rules->count; i++) {
        const ipo_standard_t *s = &rules->standards [i];
        assert_string_equal (ipo_board_standard_name (s, name, sizeof name),
                             names [i]);
        for (int b = -1; b < IPO_BOARD_MAX_BRANCHES; b++) {
            int seen [IPO_FIG_COUNT] = { 0 };
            const ipo_criterion_t *lists [3] = { rules->prerequisite [s->board],
                                                 s->all,
                                                 b >= 0 ? s->any [b] : NULL };
            for (int l = 0; l < 3; l++)
                for (int c = 0; lists [l] && c < IPO_BOARD_MAX_CRITERIA
                                && lists [l][c].figure;
                     c++)
                    assert_int_equal (seen [lists [l][c].figure]++, 0);
        }
    }
}

//  --------------------------------------------------------------------------
//  Input out of range is refused, naming the field

static void
test_input_out_of_range (void **state)
{
    ipo_board_input_t in = s_nothing ();
    ipo_board_fit_t fit;
    kj_status_t status;
    in.rev_fen [1] = -1;
    assert_int_equal (ipo_board_fit (ipo_board_rules (NULL), &in, IPO_BOARD_ALL,
                                     &fit, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "rev_t1_fen");
    assert_string_equal (status.message, "rev_t1_fen: -1 is out of range; "
                                         "expected 0 to 100000000000000000");

    in = s_nothing ();
    in.neeq_tier = 3;
    assert_int_equal (ipo_board_input_check (&in, &status), -1);
    assert_string_equal (status.field, "neeq_tier");
    in = s_nothing ();
    in.market_cap_fen = IPO_MONEY_MAX + 1;
    assert_int_equal (ipo_board_input_check (&in, &status), -1);
    assert_string_equal (status.field, "market_cap_fen");

    //  The largest figures allowed compare without overflow
    in = s_nothing ();
    in.market_cap_fen = IPO_MONEY_MAX;
    in.rev_fen [0] = in.rev_fen [1] = in.rev_fen [2] = IPO_MONEY_MAX;
    in.rd_fen [0] = in.rd_fen [1] = in.rd_fen [2] = IPO_MONEY_MAX;
    in.np_fen [2] = 0;
    in.ocf_fen [2] = 0;
    s_meets (in, "STAR-2");
    s_meets (in, "STAR-4");
    in.rd_fen [0] = in.rd_fen [1] = in.rd_fen [2] = 0;
    s_misses (in, "STAR-2", "rd_t2_t0_fen", 0,
              3 * IPO_MONEY_MAX / 10000 * 1500);
}

//  --------------------------------------------------------------------------
//  ipo_board_meets agrees with ipo_board_fit on random firms around the
//  thresholds, for every board and for the exchanges alone; and refuses
//  what ipo_board_fit refuses.

static uint64_t s_state = 88172645463325252ULL;

static int64_t
s_random (int64_t lo, int64_t hi)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return lo + (int64_t) (s_state % (uint64_t) (hi - lo + 1));
}

static void
test_meets_agrees_with_fit (void **state)
{
    (void) state;
    const ipo_board_rules_t *rules = ipo_board_rules (NULL);
    for (int n = 0; n < 200000; n++) {
        ipo_board_input_t in;
        memset (&in, 0, sizeof in);
        in.market_cap_fen = s_random (0, 12000 * M);
        for (int y = 0; y < 3; y++) {
            in.np_fen [y] = s_random (-50 * M, 150 * M);
            in.rev_fen [y] = s_random (0, 1200 * M);
            in.rd_fen [y] = s_random (0, 150 * M);
            in.ocf_fen [y] = s_random (-50 * M, 150 * M);
        }
        in.roe_bp [0] = s_random (-500, 1500);
        in.roe_bp [1] = s_random (-500, 1500);
        in.rev_growth_t0_bp = s_random (-5000, 8000);
        in.neeq_tier = s_random (0, 2);
        in.neeq_listed_months = s_random (0, 30);
        in.share_capital_fen = s_random (0, 40 * M);
        in.specialized = s_random (0, 1);
        in.innovative_sme = s_random (0, 1);
        unsigned sets [] = { IPO_BOARD_ALL, IPO_BOARD_EXCHANGES };
        for (int k = 0; k < 2; k++) {
            ipo_board_fit_t fit;
            kj_status_t status;
            assert_int_equal (ipo_board_fit (rules, &in, sets [k], &fit,
                                             &status),
                              0);
            uint32_t meets, expected = 0;
            for (size_t i = 0; i < fit.count; i++)
                if (fit.outcome [i].met)
                    expected |= UINT32_C (1)
                             << (fit.outcome [i].standard - rules->standards);
            assert_int_equal (ipo_board_meets (rules, &in, sets [k], &meets,
                                               &status),
                              0);
            assert_int_equal (meets, expected);
        }
    }
    ipo_board_input_t bad;
    memset (&bad, 0, sizeof bad);
    bad.rev_fen [0] = -1;
    uint32_t meets = 7;
    kj_status_t status;
    assert_int_equal (ipo_board_meets (rules, &bad, IPO_BOARD_ALL, &meets,
                                       &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "rev_t0_fen");
    assert_int_equal (meets, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_star_1_profit_branch),
        cmocka_unit_test (test_meets_agrees_with_fit),
        cmocka_unit_test (test_star_1_revenue_branch),
        cmocka_unit_test (test_star_2),
        cmocka_unit_test (test_star_3),
        cmocka_unit_test (test_star_4),
        cmocka_unit_test (test_chinext_1),
        cmocka_unit_test (test_chinext_2),
        cmocka_unit_test (test_chinext_3),
        cmocka_unit_test (test_main_1),
        cmocka_unit_test (test_main_2),
        cmocka_unit_test (test_main_3),
        cmocka_unit_test (test_bse_1_two_year_branch),
        cmocka_unit_test (test_bse_1_last_year_branch),
        cmocka_unit_test (test_bse_2),
        cmocka_unit_test (test_bse_3),
        cmocka_unit_test (test_bse_4),
        cmocka_unit_test (test_bse_prerequisite),
        cmocka_unit_test (test_neeq_and_regional),
        cmocka_unit_test (test_years_read),
        cmocka_unit_test (test_nearest),
        cmocka_unit_test (test_not_reported_is_not_zero),
        cmocka_unit_test (test_table_order_and_keys),
        cmocka_unit_test (test_input_out_of_range),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
