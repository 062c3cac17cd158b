/*  =========================================================================
    test_ipo_subsidy - listing subsidies, event by event

    Each case is one firm's events in order, with the payment, the running
    total and the rule each must give: the stage paths of every board,
    duplicate stages, withdrawal and re-entry, board switches with and
    without withdrawal and their top-up, the NEEQ awards and the 1% cap
    across a year boundary, and events refused with the firm unchanged.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ipo_subsidy.h"

//  ¥1m and ¥0.1m in fen
#define M       INT64_C (100000000)
#define TENTH_M INT64_C (10000000)

//  One event and what it must decide; amount -1: none given.
typedef struct {
    int board;
    int event;
    const char *date;
    int64_t amount;
    int64_t payment;
    int64_t paid_total;
    ipo_subsidy_rule_t rule;
} s_step_t;

#define STAR    IPO_BOARD_STAR
#define CHINEXT IPO_BOARD_CHINEXT
#define MAIN    IPO_BOARD_MAIN
#define BSE     IPO_BOARD_BSE
#define NEEQ    IPO_BOARD_NEEQ
#define E(name) IPO_EVENT_##name
#define R(name) IPO_RULE_##name

//  --------------------------------------------------------------------------
//  Replay steps on a new firm, checking each decision; the firm after.

static ipo_subsidy_firm_t
s_replay (const s_step_t *steps, size_t count)
{
    const ipo_subsidy_table_t *table = ipo_subsidy_table (NULL);
    ipo_subsidy_firm_t firm;
    ipo_subsidy_firm_init (&firm);
    for (size_t i = 0; i < count; i++) {
        const s_step_t *step = &steps [i];
        ipo_subsidy_event_t event = { .board = step->board,
                                      .event = step->event,
                                      .has_amount = step->amount >= 0,
                                      .amount_raised_fen = step->amount };
        assert_int_equal (ipo_subsidy_date_parse (step->date, &event.date), 0);
        ipo_subsidy_decision_t decision;
        kj_status_t status;
        if (ipo_subsidy_apply (table, &firm, &event, &decision, &status))
            fail_msg ("step %zu: refused: %s", i + 1, status.message);
        if (decision.payment_fen != step->payment
            || decision.paid_total_fen != step->paid_total
            || decision.rule != step->rule)
            fail_msg ("step %zu (%s): paid %lld, total %lld, rule %d (%s); "
                      "expected %lld, %lld, rule %d",
                      i + 1, ipo_subsidy_event_name (step->event),
                      (long long) decision.payment_fen,
                      (long long) decision.paid_total_fen, decision.rule,
                      ipo_subsidy_rule_text (decision.rule),
                      (long long) step->payment, (long long) step->paid_total,
                      step->rule);
    }
    return firm;
}

#define REPLAY(steps) s_replay (steps, sizeof steps / sizeof steps [0])

//  --------------------------------------------------------------------------
//  Each board's path without a switch pays its stages and its total

static void
test_star_path (void **state)
{
    static const s_step_t steps [] = {
        { STAR, E (SHAREHOLDING_REFORMED), "2023-01-10", -1, M, M, R (STAGE) },
        { STAR, E (TUTORING_FILED), "2023-02-01", -1, 3 * M, 4 * M, R (STAGE) },
        { STAR, E (TUTORING_ACCEPTED), "2023-06-01", -1, 0, 4 * M,
          R (NO_SUBSIDY) },
        { STAR, E (APPLICATION_ACCEPTED), "2023-07-01", -1, 6 * M, 10 * M,
          R (STAGE) },
        { STAR, E (UNDER_INQUIRY), "2023-07-20", -1, 0, 10 * M,
          R (NO_SUBSIDY) },
        { STAR, E (COMMITTEE_REVIEW), "2023-10-01", -1, 0, 10 * M,
          R (NO_SUBSIDY) },
        { STAR, E (REGISTRATION_SUBMITTED), "2023-10-02", -1, 0, 10 * M,
          R (NO_SUBSIDY) },
        { STAR, E (REGISTERED), "2023-11-01", -1, 5 * M, 15 * M, R (STAGE) },
        { STAR, E (LISTED), "2023-12-01", -1, 0, 15 * M, R (NO_SUBSIDY) },
    };
    ipo_subsidy_firm_t firm = REPLAY (steps);
    assert_false (firm.switched);
    assert_int_equal (firm.board_paid_fen, 15 * M);
}

static void
test_main_chinext_bse_paths (void **state)
{
    static const s_step_t main_path [] = {
        { MAIN, E (SHAREHOLDING_REFORMED), "2023-01-10", -1, M, M, R (STAGE) },
        { MAIN, E (TUTORING_FILED), "2023-02-01", -1, 3 * M, 4 * M, R (STAGE) },
        { MAIN, E (APPLICATION_ACCEPTED), "2023-07-01", -1, 6 * M, 10 * M,
          R (STAGE) },
        { MAIN, E (REGISTERED), "2023-11-01", -1, 0, 10 * M, R (STAGE_NONE) },
    };
    REPLAY (main_path);
    static const s_step_t chinext_path [] = {
        { CHINEXT, E (SHAREHOLDING_REFORMED), "2023-01-10", -1, M, M,
          R (STAGE) },
        { CHINEXT, E (TUTORING_FILED), "2023-02-01", -1, 3 * M, 4 * M,
          R (STAGE) },
        { CHINEXT, E (APPLICATION_ACCEPTED), "2023-07-01", -1, 6 * M, 10 * M,
          R (STAGE) },
        { CHINEXT, E (REGISTERED), "2023-11-01", -1, 0, 10 * M,
          R (STAGE_NONE) },
    };
    REPLAY (chinext_path);
    static const s_step_t bse_path [] = {
        { BSE, E (SHAREHOLDING_REFORMED), "2023-05-10", -1, 0, 0,
          R (STAGE_NONE) },
        { BSE, E (TUTORING_FILED), "2023-06-01", -1, 2 * M, 2 * M, R (STAGE) },
        { BSE, E (APPLICATION_ACCEPTED), "2023-09-01", -1, 2 * M, 4 * M,
          R (STAGE) },
        { BSE, E (REGISTERED), "2023-12-01", -1, 4 * M, 8 * M, R (STAGE) },
    };
    REPLAY (bse_path);

    const ipo_subsidy_table_t *table = ipo_subsidy_table ("2023");
    assert_ptr_equal (table, ipo_subsidy_table (NULL));
    assert_null (ipo_subsidy_table ("2010"));
    assert_int_equal (ipo_subsidy_board_total (table, STAR), 15 * M);
    assert_int_equal (ipo_subsidy_board_total (table, MAIN), 10 * M);
    assert_int_equal (ipo_subsidy_board_total (table, CHINEXT), 10 * M);
    assert_int_equal (ipo_subsidy_board_total (table, BSE), 8 * M);
    assert_int_equal (ipo_subsidy_board_total (table, NEEQ), 0);
}

//  --------------------------------------------------------------------------
//  A stage pays once per firm, also after withdrawal or 不予注册 and a new
//  application on the same board

static void
test_duplicate_stages_and_reentry (void **state)
{
    static const s_step_t steps [] = {
        { STAR, E (TUTORING_FILED), "2023-02-01", -1, 3 * M, 3 * M, R (STAGE) },
        //  letter expired, tutoring filed again
        { STAR, E (TUTORING_FILED), "2024-03-01", -1, 0, 3 * M,
          R (STAGE_PAID) },
        { STAR, E (APPLICATION_ACCEPTED), "2024-07-01", -1, 6 * M, 9 * M,
          R (STAGE) },
        { STAR, E (WITHDRAWN), "2024-08-01", -1, 0, 9 * M, R (NO_SUBSIDY) },
        { STAR, E (APPLICATION_ACCEPTED), "2024-12-01", -1, 0, 9 * M,
          R (STAGE_PAID) },
        { STAR, E (REJECTED), "2025-03-01", -1, 0, 9 * M, R (NO_SUBSIDY) },
        { STAR, E (APPLICATION_ACCEPTED), "2025-10-01", -1, 0, 9 * M,
          R (STAGE_PAID) },
        //  the same board throughout: no switch, the stage amount
        { STAR, E (REGISTERED), "2026-02-01", -1, 5 * M, 14 * M, R (STAGE) },
        { STAR, E (REGISTERED), "2026-03-01", -1, 0, 14 * M, R (STAGE_PAID) },
    };
    ipo_subsidy_firm_t firm = REPLAY (steps);
    assert_false (firm.switched);
}

//  --------------------------------------------------------------------------
//  A switch after withdrawal: no stage payments, top-up at registration
//  to the final board's total

static void
test_switch_to_larger_board (void **state)
{
    static const s_step_t steps [] = {
        { CHINEXT, E (SHAREHOLDING_REFORMED), "2022-01-10", -1, M, M,
          R (STAGE) },
        { CHINEXT, E (TUTORING_FILED), "2022-02-01", -1, 3 * M, 4 * M,
          R (STAGE) },
        { CHINEXT, E (TERMINATED), "2022-09-01", -1, 0, 4 * M, R (NO_SUBSIDY) },
        { STAR, E (APPLICATION_ACCEPTED), "2023-03-01", -1, 0, 4 * M,
          R (SWITCHED) },
        { STAR, E (COMMITTEE_REVIEW), "2023-06-01", -1, 0, 4 * M,
          R (NO_SUBSIDY) },
        { STAR, E (REGISTERED), "2023-08-01", -1, 11 * M, 15 * M, R (TOP_UP) },
        //  once per firm: a second registration pays nothing
        { STAR, E (REGISTERED), "2024-09-01", -1, 0, 15 * M, R (TOP_UP_PAID) },
    };
    ipo_subsidy_firm_t firm = REPLAY (steps);
    assert_true (firm.switched);
    assert_true (firm.topped_up);
    assert_int_equal (firm.board_paid_fen, 15 * M);
}

//  Registered on the main board (which pays nothing for registration),
//  the registration lapsed, then a switch to STAR: the top-up comes at
//  the STAR registration, once
static void
test_switch_after_lapsed_registration (void **state)
{
    static const s_step_t steps [] = {
        { MAIN, E (SHAREHOLDING_REFORMED), "2021-01-10", -1, M, M, R (STAGE) },
        { MAIN, E (TUTORING_FILED), "2021-02-01", -1, 3 * M, 4 * M, R (STAGE) },
        { MAIN, E (APPLICATION_ACCEPTED), "2021-07-01", -1, 6 * M, 10 * M,
          R (STAGE) },
        { MAIN, E (REGISTERED), "2022-01-01", -1, 0, 10 * M, R (STAGE_NONE) },
        { MAIN, E (WITHDRAWN), "2023-02-01", -1, 0, 10 * M, R (NO_SUBSIDY) },
        { STAR, E (APPLICATION_ACCEPTED), "2023-06-01", -1, 0, 10 * M,
          R (SWITCHED) },
        { STAR, E (REGISTERED), "2024-01-01", -1, 5 * M, 15 * M, R (TOP_UP) },
        { STAR, E (REGISTERED), "2025-03-01", -1, 0, 15 * M, R (TOP_UP_PAID) },
    };
    REPLAY (steps);
}

//  Already paid more than the final board's total: nothing more, nothing
//  clawed back
static void
test_switch_to_smaller_board (void **state)
{
    static const s_step_t steps [] = {
        { STAR, E (SHAREHOLDING_REFORMED), "2022-01-10", -1, M, M, R (STAGE) },
        { STAR, E (TUTORING_FILED), "2022-02-01", -1, 3 * M, 4 * M, R (STAGE) },
        { STAR, E (APPLICATION_ACCEPTED), "2022-07-01", -1, 6 * M, 10 * M,
          R (STAGE) },
        { STAR, E (WITHDRAWN), "2023-01-05", -1, 0, 10 * M, R (NO_SUBSIDY) },
        { BSE, E (TUTORING_FILED), "2023-04-01", -1, 0, 10 * M, R (SWITCHED) },
        { BSE, E (REGISTERED), "2024-04-01", -1, 0, 10 * M, R (TOP_UP_NONE) },
    };
    REPLAY (steps);
    //  Equal to the final total: nothing more either
    static const s_step_t equal [] = {
        { MAIN, E (SHAREHOLDING_REFORMED), "2022-01-10", -1, M, M, R (STAGE) },
        { MAIN, E (TUTORING_FILED), "2022-02-01", -1, 3 * M, 4 * M, R (STAGE) },
        { MAIN, E (APPLICATION_ACCEPTED), "2022-07-01", -1, 6 * M, 10 * M,
          R (STAGE) },
        { MAIN, E (TERMINATED), "2023-01-05", -1, 0, 10 * M, R (NO_SUBSIDY) },
        { CHINEXT, E (APPLICATION_ACCEPTED), "2023-06-01", -1, 0, 10 * M,
          R (SWITCHED) },
        { CHINEXT, E (REGISTERED), "2024-01-01", -1, 0, 10 * M,
          R (TOP_UP_NONE) },
    };
    REPLAY (equal);
}

//  A change of board with no withdrawal counts as a switch, and going
//  back to the first board does not undo it
static void
test_switch_without_withdrawal (void **state)
{
    static const s_step_t steps [] = {
        { STAR, E (SHAREHOLDING_REFORMED), "2022-01-10", -1, M, M, R (STAGE) },
        { CHINEXT, E (TUTORING_FILED), "2022-02-01", -1, 0, M, R (SWITCHED) },
        { STAR, E (APPLICATION_ACCEPTED), "2022-07-01", -1, 0, M,
          R (SWITCHED) },
        { STAR, E (REGISTERED), "2023-01-01", -1, 14 * M, 15 * M, R (TOP_UP) },
    };
    ipo_subsidy_firm_t firm = REPLAY (steps);
    assert_true (firm.switched);
}

//  --------------------------------------------------------------------------
//  NEEQ: listing award once, 1% of equity raised (rounded down to the
//  fen) capped at ¥5m per calendar year, apart from the board's total

static void
test_neeq_awards_and_year_cap (void **state)
{
    static const s_step_t steps [] = {
        //  before listing on the NEEQ, raising equity earns nothing
        { NEEQ, E (EQUITY_RAISED), "2024-01-05", 100 * M, 0, 0,
          R (EQUITY_NOT_LISTED) },
        { NEEQ, E (LISTED), "2024-02-01", -1, 15 * TENTH_M, 15 * TENTH_M,
          R (NEEQ_LISTING) },
        { NEEQ, E (LISTED), "2024-02-02", -1, 0, 15 * TENTH_M,
          R (NEEQ_LISTING_PAID) },
        //  ¥100m: ¥1m
        { NEEQ, E (EQUITY_RAISED), "2024-03-01", 100 * M, M, 25 * TENTH_M,
          R (EQUITY) },
        //  199 fen: 1.99 fen, rounded down
        { NEEQ, E (EQUITY_RAISED), "2024-04-01", 199, 1, 25 * TENTH_M + 1,
          R (EQUITY) },
        //  ¥450m: ¥4.5m, but only ¥4m - 1 fen is left of 2024's ¥5m
        { NEEQ, E (EQUITY_RAISED), "2024-06-30", 450 * M, 4 * M - 1,
          65 * TENTH_M, R (EQUITY_CAPPED) },
        { NEEQ, E (EQUITY_RAISED), "2024-12-31", 10 * M, 0, 65 * TENTH_M,
          R (EQUITY_CAPPED) },
        //  a new calendar year, a new cap
        { NEEQ, E (EQUITY_RAISED), "2025-01-01", 10 * M, TENTH_M, 66 * TENTH_M,
          R (EQUITY) },
        { NEEQ, E (EQUITY_RAISED), "2025-05-01", 600 * M, 49 * TENTH_M,
          115 * TENTH_M, R (EQUITY_CAPPED) },
        //  on another board, no NEEQ award
        { STAR, E (EQUITY_RAISED), "2025-06-01", 100 * M, 0, 115 * TENTH_M,
          R (EQUITY_OFF_NEEQ) },
        //  other NEEQ events carry no subsidy
        { NEEQ, E (TUTORING_FILED), "2025-07-01", -1, 0, 115 * TENTH_M,
          R (NO_SUBSIDY) },
    };
    ipo_subsidy_firm_t firm = REPLAY (steps);
    assert_int_equal (firm.board_paid_fen, 0);
    assert_int_equal (firm.board, -1);
}

//  The NEEQ awards do not count toward the board's total: a top-up after
//  a switch reads only the listing track's payments. Going from the NEEQ
//  to the BSE is no switch.
static void
test_neeq_apart_from_board_total (void **state)
{
    static const s_step_t steps [] = {
        { NEEQ, E (LISTED), "2022-02-01", -1, 15 * TENTH_M, 15 * TENTH_M,
          R (NEEQ_LISTING) },
        { NEEQ, E (EQUITY_RAISED), "2022-03-01", 200 * M, 2 * M, 35 * TENTH_M,
          R (EQUITY) },
        { STAR, E (SHAREHOLDING_REFORMED), "2022-04-01", -1, M, 45 * TENTH_M,
          R (STAGE) },
        { BSE, E (TUTORING_FILED), "2022-06-01", -1, 0, 45 * TENTH_M,
          R (SWITCHED) },
        { BSE, E (REGISTERED), "2023-06-01", -1, 7 * M, 115 * TENTH_M,
          R (TOP_UP) },
    };
    REPLAY (steps);
    static const s_step_t no_switch [] = {
        { NEEQ, E (LISTED), "2022-02-01", -1, 15 * TENTH_M, 15 * TENTH_M,
          R (NEEQ_LISTING) },
        { BSE, E (TUTORING_FILED), "2023-02-01", -1, 2 * M, 35 * TENTH_M,
          R (STAGE) },
        { BSE, E (APPLICATION_ACCEPTED), "2023-05-01", -1, 2 * M, 55 * TENTH_M,
          R (STAGE) },
        { BSE, E (REGISTERED), "2023-08-01", -1, 4 * M, 95 * TENTH_M,
          R (STAGE) },
    };
    ipo_subsidy_firm_t firm = REPLAY (no_switch);
    assert_false (firm.switched);
    assert_int_equal (firm.board_paid_fen, 8 * M);
}

//  --------------------------------------------------------------------------
//  Events that cannot be are refused, naming the field, the firm unchanged

static void
s_refused (ipo_subsidy_firm_t *firm, ipo_subsidy_event_t event, int code,
           const char *field, const char *message)
{
    ipo_subsidy_firm_t before = *firm;
    ipo_subsidy_decision_t decision;
    kj_status_t status;
    assert_int_equal (ipo_subsidy_apply (ipo_subsidy_table (NULL), firm, &event,
                                         &decision, &status),
                      -1);
    assert_int_equal (status.code, code);
    assert_string_equal (status.field, field);
    assert_string_equal (status.message, message);
    assert_memory_equal (&before, firm, sizeof before);
}

static void
test_refused_events (void **state)
{
    static const s_step_t steps [] = {
        { STAR, E (TUTORING_FILED), "2024-05-01", -1, 3 * M, 3 * M, R (STAGE) },
    };
    ipo_subsidy_firm_t firm = REPLAY (steps);
    ipo_subsidy_event_t event = { .board = STAR,
                                  .event = E (APPLICATION_ACCEPTED),
                                  .date = 20240601,
                                  .has_amount = true,
                                  .amount_raised_fen = 5 };
    s_refused (&firm, event, KJ__CODE__INVALID_ARGUMENT, "amount_raised_fen",
               "amount_raised_fen: only for EQUITY_RAISED; leave it empty "
               "for APPLICATION_ACCEPTED");
    event.event = E (EQUITY_RAISED);
    event.has_amount = false;
    s_refused (&firm, event, KJ__CODE__INVALID_ARGUMENT, "amount_raised_fen",
               "amount_raised_fen: required for EQUITY_RAISED");
    event.has_amount = true;
    event.amount_raised_fen = 0;
    s_refused (&firm, event, KJ__CODE__OUT_OF_RANGE, "amount_raised_fen",
               "amount_raised_fen: 0 is out of range; expected 1 to "
               "100000000000000000");
    event.event = E (REGISTERED);
    event.has_amount = false;
    event.date = 20240430;
    s_refused (&firm, event, KJ__CODE__OUT_OF_RANGE, "date",
               "date: 2024-04-30 is before the firm's previous event on "
               "2024-05-01");
    event.date = 20240501;
    event.board = IPO_BOARD_REGIONAL;
    s_refused (&firm, event, KJ__CODE__INVALID_ARGUMENT, "board",
               "board: expected one of MAIN, CHINEXT, STAR, BSE, NEEQ");
    event.board = STAR;
    event.event = IPO_EVENT_END;
    s_refused (&firm, event, KJ__CODE__INVALID_ARGUMENT, "event",
               "event: unknown event 14");
}

//  --------------------------------------------------------------------------
//  Names and dates

static void
test_names_and_dates (void **state)
{
    assert_int_equal (ipo_subsidy_event_from_name ("SHAREHOLDING_REFORMED"),
                      E (SHAREHOLDING_REFORMED));
    assert_int_equal (ipo_subsidy_event_from_name ("EQUITY_RAISED"),
                      E (EQUITY_RAISED));
    assert_int_equal (ipo_subsidy_event_from_name ("registered"), -1);
    assert_int_equal (ipo_subsidy_event_from_name (""), -1);
    for (int event = 1; event < IPO_EVENT_END; event++)
        assert_int_equal (ipo_subsidy_event_from_name (
                              ipo_subsidy_event_name (event)),
                          event);
    assert_int_equal (ipo_subsidy_board_from_code ("MAIN"), MAIN);
    assert_int_equal (ipo_subsidy_board_from_code ("CHINEXT"), CHINEXT);
    assert_int_equal (ipo_subsidy_board_from_code ("STAR"), STAR);
    assert_int_equal (ipo_subsidy_board_from_code ("BSE"), BSE);
    assert_int_equal (ipo_subsidy_board_from_code ("NEEQ"), NEEQ);
    assert_int_equal (ipo_subsidy_board_from_code ("REGIONAL"), -1);
    assert_int_equal (ipo_subsidy_board_from_code ("star"), -1);

    int32_t date;
    assert_int_equal (ipo_subsidy_date_parse ("2024-02-29", &date), 0);
    assert_int_equal (date, 20240229);
    assert_int_equal (ipo_subsidy_date_parse ("2000-02-29", &date), 0);
    assert_int_equal (ipo_subsidy_date_parse ("2099-12-31", &date), 0);
    static const char *const bad [] = {
        "2023-02-29",    "2024-13-01", "2024-00-10",  "2024-04-31",
        "2024-01-00",    "1999-12-31", "2100-01-01",  "2024-1-01",
        "2024/01/01",    "20240101",   "2024-01-01 ", "",
        "２０２４-01-01"
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_int_equal (ipo_subsidy_date_parse (bad [i], &date), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_star_path),
        cmocka_unit_test (test_main_chinext_bse_paths),
        cmocka_unit_test (test_duplicate_stages_and_reentry),
        cmocka_unit_test (test_switch_to_larger_board),
        cmocka_unit_test (test_switch_after_lapsed_registration),
        cmocka_unit_test (test_switch_to_smaller_board),
        cmocka_unit_test (test_switch_without_withdrawal),
        cmocka_unit_test (test_neeq_awards_and_year_cap),
        cmocka_unit_test (test_neeq_apart_from_board_total),
        cmocka_unit_test (test_refused_events),
        cmocka_unit_test (test_names_and_dates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
