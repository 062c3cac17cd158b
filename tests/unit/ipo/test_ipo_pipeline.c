/*  =========================================================================
    test_ipo_pipeline - the pipeline's state machine

    Every pair of states, legal and illegal, against a list of the legal
    moves written out here (not read from the class); what a move needs
    (a board, a date in order, six months after a rejection, twelve months
    on the NEEQ before the BSE); the tutoring letter and the registration
    lapsing with time; alerts; date arithmetic.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ipo_pipeline.h"
#include "ipo_subsidy.h"

#define S(name) IPO_STATE_##name

//  The legal moves, as docs/rules/ipo.md ("The pipeline") lists them
static const int s_legal [][2] = {
    { S (CANDIDATE), S (CITY_POOL) },
    { S (CITY_POOL), S (PROVINCE_POOL) },
    { S (CITY_POOL), S (SHAREHOLDING_REFORMED) },
    { S (CITY_POOL), S (NEEQ_BASIC) },
    { S (PROVINCE_POOL), S (SHAREHOLDING_REFORMED) },
    { S (PROVINCE_POOL), S (NEEQ_BASIC) },
    { S (SHAREHOLDING_REFORMED), S (TUTORING_FILED) },
    { S (SHAREHOLDING_REFORMED), S (NEEQ_BASIC) },
    { S (TUTORING_FILED), S (TUTORING_ACCEPTED) },
    { S (TUTORING_FILED), S (WITHDRAWN) },
    { S (TUTORING_ACCEPTED), S (APPLICATION_ACCEPTED) },
    { S (TUTORING_ACCEPTED), S (TUTORING_FILED) },
    { S (TUTORING_ACCEPTED), S (WITHDRAWN) },
    { S (APPLICATION_ACCEPTED), S (UNDER_INQUIRY) },
    { S (APPLICATION_ACCEPTED), S (WITHDRAWN) },
    { S (APPLICATION_ACCEPTED), S (TERMINATED) },
    { S (UNDER_INQUIRY), S (COMMITTEE_REVIEW) },
    { S (UNDER_INQUIRY), S (WITHDRAWN) },
    { S (UNDER_INQUIRY), S (TERMINATED) },
    { S (COMMITTEE_REVIEW), S (REGISTRATION_SUBMITTED) },
    { S (COMMITTEE_REVIEW), S (WITHDRAWN) },
    { S (COMMITTEE_REVIEW), S (TERMINATED) },
    { S (REGISTRATION_SUBMITTED), S (REGISTERED) },
    { S (REGISTRATION_SUBMITTED), S (REJECTED) },
    { S (REGISTRATION_SUBMITTED), S (WITHDRAWN) },
    { S (REGISTRATION_SUBMITTED), S (TERMINATED) },
    { S (REGISTERED), S (LISTED) },
    { S (REGISTERED), S (WITHDRAWN) },
    { S (WITHDRAWN), S (TUTORING_FILED) },
    { S (WITHDRAWN), S (APPLICATION_ACCEPTED) },
    { S (TERMINATED), S (TUTORING_FILED) },
    { S (TERMINATED), S (APPLICATION_ACCEPTED) },
    { S (REJECTED), S (APPLICATION_ACCEPTED) },
    { S (REJECTED), S (WITHDRAWN) },
    { S (NEEQ_BASIC), S (NEEQ_INNOVATION) },
    { S (NEEQ_BASIC), S (TUTORING_FILED) },
    { S (NEEQ_INNOVATION), S (TUTORING_FILED) },
};

static bool
s_is_legal (int from, int to)
{
    for (size_t i = 0; i < sizeof s_legal / sizeof s_legal [0]; i++)
        if (s_legal [i][0] == from && s_legal [i][1] == to)
            return true;
    return false;
}

//  A firm in `state` since 2024-01-10 on STAR, every date recent
static ipo_pipeline_firm_t
s_firm (int state)
{
    ipo_pipeline_firm_t firm;
    ipo_pipeline_firm_init (&firm, 20240110);
    firm.state = state;
    firm.board = IPO_BOARD_STAR;
    firm.letter = 20240110;
    firm.registered = 20240110;
    firm.rejected = 20231001;
    return firm;
}

//  --------------------------------------------------------------------------
//  Every pair of states: legal moves succeed and update the firm, illegal
//  ones fail naming "state" and the moves allowed, the firm unchanged

static void
test_every_pair (void **unused)
{
    int legal = 0, illegal = 0;
    for (int from = 1; from < IPO_STATE_END; from++)
        for (int to = 1; to < IPO_STATE_END; to++) {
            ipo_pipeline_firm_t firm = s_firm (from);
            ipo_pipeline_firm_t before = firm;
            ipo_pipeline_step_t step;
            kj_status_t status;
            int rc = ipo_pipeline_move (&firm, to, -1, 20240601, &step,
                                        &status);
            if (s_is_legal (from, to)) {
                if (rc != 0)
                    fail_msg ("%s -> %s refused: %s",
                              ipo_pipeline_state_name (from),
                              ipo_pipeline_state_name (to), status.message);
                assert_int_equal (firm.state, to);
                assert_int_equal (firm.since, 20240601);
                assert_int_equal (step.from, from);
                assert_int_equal (step.to, to);
                legal++;
            }
            else {
                if (rc != -1)
                    fail_msg ("%s -> %s allowed",
                              ipo_pipeline_state_name (from),
                              ipo_pipeline_state_name (to));
                assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
                assert_string_equal (status.field, "state");
                assert_memory_equal (&firm, &before, sizeof firm);
                illegal++;
            }
        }
    assert_int_equal (legal, 37);
    assert_int_equal (illegal, 17 * 17 - 37);
}

//  The refusal names the moves allowed from here
static void
test_refusal_lists_allowed (void **unused)
{
    ipo_pipeline_firm_t firm = s_firm (S (TUTORING_ACCEPTED));
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (LISTED), -1, 20240601, &step,
                                         &status),
                      -1);
    assert_string_equal (status.message,
                         "state: no move from TUTORING_ACCEPTED to LISTED; "
                         "from here: TUTORING_FILED, APPLICATION_ACCEPTED, "
                         "WITHDRAWN");
    firm = s_firm (S (LISTED));
    assert_int_equal (ipo_pipeline_move (&firm, S (WITHDRAWN), -1, 20240601,
                                         &step, &status),
                      -1);
    assert_non_null (strstr (status.message, "from here: none"));
    assert_int_equal (ipo_pipeline_move (&firm, 0, -1, 20240601, &step,
                                         &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
}

//  --------------------------------------------------------------------------
//  A board is needed from the reform on, must be an exchange, and changes
//  only on reform, tutoring filed or application accepted

static void
test_board (void **unused)
{
    ipo_pipeline_firm_t firm;
    ipo_pipeline_firm_init (&firm, 20240101);
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (CITY_POOL), -1, 20240102,
                                         &step, &status),
                      0);
    assert_int_equal (step.board, -1);
    assert_int_equal (ipo_pipeline_move (&firm, S (SHAREHOLDING_REFORMED), -1,
                                         20240103, &step, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "board");
    assert_int_equal (ipo_pipeline_move (&firm, S (SHAREHOLDING_REFORMED),
                                         IPO_BOARD_NEEQ, 20240103, &step,
                                         &status),
                      -1);
    assert_string_equal (status.field, "board");
    assert_int_equal (ipo_pipeline_move (&firm, S (SHAREHOLDING_REFORMED),
                                         IPO_BOARD_STAR, 20240103, &step,
                                         &status),
                      0);
    assert_true (step.board_changed);
    assert_int_equal (firm.board, IPO_BOARD_STAR);
    assert_int_equal (ipo_pipeline_move (&firm, S (TUTORING_FILED),
                                         IPO_BOARD_CHINEXT, 20240104, &step,
                                         &status),
                      0);
    assert_true (step.board_changed);
    assert_int_equal (ipo_pipeline_move (&firm, S (TUTORING_ACCEPTED),
                                         IPO_BOARD_STAR, 20240105, &step,
                                         &status),
                      -1);
    assert_string_equal (status.field, "board");
    assert_int_equal (firm.board, IPO_BOARD_CHINEXT);
    //  The same board given again is no change
    assert_int_equal (ipo_pipeline_move (&firm, S (TUTORING_ACCEPTED),
                                         IPO_BOARD_CHINEXT, 20240105, &step,
                                         &status),
                      0);
    assert_false (step.board_changed);
}

//  A date before the last move is refused
static void
test_date_order (void **unused)
{
    ipo_pipeline_firm_t firm = s_firm (S (CANDIDATE));
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (CITY_POOL), -1, 20240109,
                                         &step, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "date");
    assert_int_equal (ipo_pipeline_move (&firm, S (CITY_POOL), -1, 20240110,
                                         &step, &status),
                      0);
}

//  --------------------------------------------------------------------------
//  Rejected: a new application 6 months later, not a day before

static void
test_reapply_after_six_months (void **unused)
{
    ipo_pipeline_firm_t firm = s_firm (S (REGISTRATION_SUBMITTED));
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (REJECTED), -1, 20240331,
                                         &step, &status),
                      0);
    assert_int_equal (firm.rejected, 20240331);
    assert_int_equal (ipo_pipeline_move (&firm, S (APPLICATION_ACCEPTED), -1,
                                         20240929, &step, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "date");
    assert_non_null (strstr (status.message, "2024-09-30"));
    assert_int_equal (ipo_pipeline_move (&firm, S (APPLICATION_ACCEPTED), -1,
                                         20240930, &step, &status),
                      0);
}

//  The BSE takes an application after 12 months on the NEEQ
static void
test_bse_needs_neeq (void **unused)
{
    ipo_pipeline_firm_t firm = s_firm (S (TUTORING_ACCEPTED));
    firm.board = IPO_BOARD_BSE;
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (APPLICATION_ACCEPTED), -1,
                                         20240601, &step, &status),
                      -1);
    assert_string_equal (status.field, "board");
    firm.neeq_since = 20230602;
    assert_int_equal (ipo_pipeline_move (&firm, S (APPLICATION_ACCEPTED), -1,
                                         20240601, &step, &status),
                      -1);
    firm.neeq_since = 20230601;
    assert_int_equal (ipo_pipeline_move (&firm, S (APPLICATION_ACCEPTED), -1,
                                         20240601, &step, &status),
                      0);

    //  The NEEQ track: listed, innovation tier, tutoring for the BSE
    ipo_pipeline_firm_init (&firm, 20220101);
    firm.state = S (PROVINCE_POOL);
    assert_int_equal (ipo_pipeline_move (&firm, S (NEEQ_BASIC), -1, 20220301,
                                         &step, &status),
                      0);
    assert_int_equal (firm.neeq_since, 20220301);
    assert_int_equal (ipo_pipeline_move (&firm, S (NEEQ_INNOVATION), -1,
                                         20220901, &step, &status),
                      0);
    assert_int_equal (ipo_pipeline_move (&firm, S (TUTORING_FILED),
                                         IPO_BOARD_BSE, 20221001, &step,
                                         &status),
                      0);
}

//  --------------------------------------------------------------------------
//  The tutoring letter expires 12 months after it was issued: back to
//  tutoring filed; no application on or after that day

static void
test_letter_expiry (void **unused)
{
    ipo_pipeline_firm_t firm = s_firm (S (TUTORING_FILED));
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (TUTORING_ACCEPTED), -1,
                                         20240229, &step, &status),
                      0);
    assert_int_equal (ipo_pipeline_expire (&firm, 20250227, &step), 0);
    assert_int_equal (firm.state, S (TUTORING_ACCEPTED));
    ipo_pipeline_firm_t copy = firm;
    assert_int_equal (ipo_pipeline_move (&copy, S (APPLICATION_ACCEPTED), -1,
                                         20250228, &step, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "date");
    copy = firm;
    assert_int_equal (ipo_pipeline_move (&copy, S (APPLICATION_ACCEPTED), -1,
                                         20250227, &step, &status),
                      0);
    assert_int_equal (ipo_pipeline_expire (&firm, 20250301, &step),
                      S (TUTORING_FILED));
    assert_int_equal (firm.state, S (TUTORING_FILED));
    assert_int_equal (firm.since, 20250228);
    assert_int_equal (step.from, S (TUTORING_ACCEPTED));
    //  Nothing more lapses
    assert_int_equal (ipo_pipeline_expire (&firm, 20300101, &step), 0);
}

//  The registration lapses after a year: withdrawn; no listing after
static void
test_registration_lapse (void **unused)
{
    ipo_pipeline_firm_t firm = s_firm (S (REGISTRATION_SUBMITTED));
    ipo_pipeline_step_t step;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_move (&firm, S (REGISTERED), -1, 20240315,
                                         &step, &status),
                      0);
    ipo_pipeline_firm_t copy = firm;
    assert_int_equal (ipo_pipeline_move (&copy, S (LISTED), -1, 20250315, &step,
                                         &status),
                      -1);
    assert_string_equal (status.field, "date");
    assert_non_null (strstr (status.message, "2025-03-15"));
    assert_int_equal (ipo_pipeline_expire (&firm, 20250314, &step), 0);
    assert_int_equal (ipo_pipeline_expire (&firm, 20250315, &step),
                      S (WITHDRAWN));
    assert_int_equal (firm.since, 20250315);
    //  Withdrawn, it may apply again
    assert_int_equal (ipo_pipeline_move (&firm, S (APPLICATION_ACCEPTED), -1,
                                         20250401, &step, &status),
                      0);
}

//  --------------------------------------------------------------------------
//  Alerts: a letter or a registration within the warning, a state held
//  beyond its usual time

static void
test_alerts (void **unused)
{
    int32_t deadline = 0;
    ipo_pipeline_firm_t firm = s_firm (S (TUTORING_ACCEPTED));
    firm.letter = 20240110;
    assert_int_equal (ipo_pipeline_alert (&firm, 20241210, 30, &deadline),
                      IPO_ALERT_NONE);
    assert_int_equal (ipo_pipeline_alert (&firm, 20241211, 30, &deadline),
                      IPO_ALERT_LETTER_EXPIRING);
    assert_int_equal (deadline, 20250110);
    firm = s_firm (S (REGISTERED));
    assert_int_equal (ipo_pipeline_alert (&firm, 20241220, 30, &deadline),
                      IPO_ALERT_REGISTRATION_LAPSING);
    assert_int_equal (deadline, 20250110);
    firm = s_firm (S (UNDER_INQUIRY));
    assert_int_equal (ipo_pipeline_alert (&firm, 20240709, 30, &deadline),
                      IPO_ALERT_NONE);
    assert_int_equal (ipo_pipeline_alert (&firm, 20240710, 30, &deadline),
                      IPO_ALERT_STUCK);
    assert_int_equal (deadline, 20240710);
    firm = s_firm (S (LISTED));
    assert_int_equal (ipo_pipeline_alert (&firm, 20300101, 30, &deadline),
                      IPO_ALERT_NONE);
}

//  Subsidy events of states, names, tiers and dates
static void
test_names_and_dates (void **unused)
{
    int board;
    assert_int_equal (ipo_pipeline_subsidy_event (S (TUTORING_FILED),
                                                  IPO_BOARD_STAR, &board),
                      IPO_EVENT_TUTORING_FILED);
    assert_int_equal (board, IPO_BOARD_STAR);
    assert_int_equal (ipo_pipeline_subsidy_event (S (NEEQ_BASIC), -1, &board),
                      IPO_EVENT_LISTED);
    assert_int_equal (board, IPO_BOARD_NEEQ);
    assert_int_equal (ipo_pipeline_subsidy_event (S (CITY_POOL), -1, &board),
                      0);
    for (int state = 1; state < IPO_STATE_END; state++)
        assert_int_equal (ipo_pipeline_state_from_name (
                              ipo_pipeline_state_name (state)),
                          state);
    assert_int_equal (ipo_pipeline_state_from_name ("listed"), -1);
    assert_string_equal (ipo_pipeline_tier (S (PROVINCE_POOL)), "reserve");
    assert_string_equal (ipo_pipeline_tier (S (TUTORING_ACCEPTED)), "tutoring");
    assert_string_equal (ipo_pipeline_tier (S (REGISTERED)), "filing");
    assert_string_equal (ipo_pipeline_tier (S (REJECTED)), "exited");
    assert_int_equal (ipo_date_add_months (20240229, 12), 20250228);
    assert_int_equal (ipo_date_add_months (20230831, 6), 20240229);
    assert_int_equal (ipo_date_add_months (20241115, 2), 20250115);
    assert_int_equal (ipo_date_add_days (20241231, 1), 20250101);
    assert_int_equal (ipo_date_add_days (20240301, -1), 20240229);
    //  Stale: 12 months without a refresh, for a firm on its way
    assert_false (ipo_pipeline_stale (S (CITY_POOL), 20240701, 20250630));
    assert_true (ipo_pipeline_stale (S (CITY_POOL), 20240630, 20250630));
    assert_true (ipo_pipeline_stale (S (NEEQ_BASIC), 20240630, 20250630));
    assert_false (ipo_pipeline_stale (S (LISTED), 20200101, 20250630));
    assert_false (ipo_pipeline_stale (S (WITHDRAWN), 20200101, 20250630));
}

//  Tiers: the built-in rule as configuration, a rule of one's own, and
//  every way a rule can be wrong
static void
test_tiers (void **unused)
{
    ipo_pipeline_tiers_t tiers;
    kj_status_t status;
    assert_int_equal (ipo_pipeline_tiers_parse (IPO_TIERS_DEFAULT, &tiers,
                                                &status),
                      0);
    for (int state = 1; state < IPO_STATE_END; state++)
        assert_string_equal (ipo_pipeline_tiers_of (&tiers, state),
                             ipo_pipeline_tier (state));
    assert_int_equal (
        ipo_pipeline_tiers_parse (
            "pool=CANDIDATE,CITY_POOL,PROVINCE_POOL;"
            "track=SHAREHOLDING_REFORMED,TUTORING_FILED,TUTORING_ACCEPTED,"
            "APPLICATION_ACCEPTED,UNDER_INQUIRY,COMMITTEE_REVIEW,"
            "REGISTRATION_SUBMITTED,REGISTERED,NEEQ_BASIC,NEEQ_INNOVATION;"
            "done=LISTED,WITHDRAWN,TERMINATED,REJECTED;",
            &tiers, &status),
        0);
    assert_string_equal (ipo_pipeline_tiers_of (&tiers, S (REGISTERED)),
                         "track");
    static const struct {
        const char *text, *message;
    } bad [] = {
        { "reserve=CANDIDATE", "tiers: CITY_POOL is in no tier" },
        { "a=CANDIDATE;b=CANDIDATE", "tiers: CANDIDATE is in both a and b" },
        { "a=CANDIDATE,NOPE", "tiers: a: unknown state 'NOPE'" },
        { "a=CANDIDATE,", "tiers: a: unknown state ''" },
        { "Big=CANDIDATE",
          "tiers: 'Big=CANDIDATE': a tier is name=STATE,... with a name of 1 "
          "to 31 bytes of a-z, 0-9 and _" },
        { "CANDIDATE", "tiers: 'CANDIDATE': a tier is name=STATE,... with a "
                       "name of 1 to 31 bytes of a-z, 0-9 and _" },
        { "", "tiers: CANDIDATE is in no tier" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        assert_int_equal (ipo_pipeline_tiers_parse (bad [i].text, &tiers,
                                                    &status),
                          -1);
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.field, "tiers");
        assert_string_equal (status.message, bad [i].message);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_pair),
        cmocka_unit_test (test_refusal_lists_allowed),
        cmocka_unit_test (test_board),
        cmocka_unit_test (test_date_order),
        cmocka_unit_test (test_reapply_after_six_months),
        cmocka_unit_test (test_bse_needs_neeq),
        cmocka_unit_test (test_letter_expiry),
        cmocka_unit_test (test_registration_lapse),
        cmocka_unit_test (test_alerts),
        cmocka_unit_test (test_names_and_dates),
        cmocka_unit_test (test_tiers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
