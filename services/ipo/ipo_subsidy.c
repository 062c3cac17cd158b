/*  =========================================================================
    ipo_subsidy - Liaoning's listing subsidies, decided event by event

    Pure rules, no I/O. The amounts are the built-in version of the table
    (docs/rules/ipo.md, "Listing subsidies": the 2022 press conference of the provincial finance
    bureau, with the BSE stages of the 2023 amendment); a new version is a
    new table, never an edit of the rules.

    Two programmes, kept apart: the listing track (main board, ChiNext,
    STAR, BSE), paid stage by stage once per firm and stage, and after a
    change of board only as a top-up at registration; and the NEEQ awards
    (listing, and 1% of equity raised), which never count toward a board's
    total.
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ipo_subsidy.h"

//  ¥1m and ¥0.5m in fen
#define M      INT64_C (100000000)
#define HALF_M INT64_C (50000000)

static const ipo_subsidy_table_t s_tables [] = {
    { "2023",
      "2023-04-14",
      { [IPO_BOARD_MAIN] = { 1 * M, 3 * M, 6 * M, 0 },
        [IPO_BOARD_CHINEXT] = { 1 * M, 3 * M, 6 * M, 0 },
        [IPO_BOARD_STAR] = { 1 * M, 3 * M, 6 * M, 5 * M },
        [IPO_BOARD_BSE] = { 0, 2 * M, 2 * M, 4 * M } },
      3 * HALF_M,
      100,
      5 * M },
};
#define TABLES (sizeof s_tables / sizeof s_tables [0])

static const char *const s_event_names [IPO_EVENT_END] = {
    [IPO_EVENT_SHAREHOLDING_REFORMED] = "SHAREHOLDING_REFORMED",
    [IPO_EVENT_TUTORING_FILED] = "TUTORING_FILED",
    [IPO_EVENT_TUTORING_ACCEPTED] = "TUTORING_ACCEPTED",
    [IPO_EVENT_APPLICATION_ACCEPTED] = "APPLICATION_ACCEPTED",
    [IPO_EVENT_UNDER_INQUIRY] = "UNDER_INQUIRY",
    [IPO_EVENT_COMMITTEE_REVIEW] = "COMMITTEE_REVIEW",
    [IPO_EVENT_REGISTRATION_SUBMITTED] = "REGISTRATION_SUBMITTED",
    [IPO_EVENT_REGISTERED] = "REGISTERED",
    [IPO_EVENT_LISTED] = "LISTED",
    [IPO_EVENT_WITHDRAWN] = "WITHDRAWN",
    [IPO_EVENT_TERMINATED] = "TERMINATED",
    [IPO_EVENT_REJECTED] = "REJECTED",
    [IPO_EVENT_EQUITY_RAISED] = "EQUITY_RAISED",
};

static const char *const s_rule_texts [] = {
    [IPO_RULE_NO_SUBSIDY] = "no subsidy for this event",
    [IPO_RULE_STAGE] = "stage subsidy of the board",
    [IPO_RULE_STAGE_NONE] = "the board has no subsidy for this stage",
    [IPO_RULE_STAGE_PAID] = "stage already decided once",
    [IPO_RULE_SWITCHED] = "switched board: no stage payment, top-up at "
                          "registration",
    [IPO_RULE_TOP_UP] = "top-up to the final board's total",
    [IPO_RULE_TOP_UP_NONE] = "paid the final board's total already",
    [IPO_RULE_TOP_UP_PAID] = "top-up already decided once",
    [IPO_RULE_NEEQ_LISTING] = "NEEQ listing award",
    [IPO_RULE_NEEQ_LISTING_PAID] = "NEEQ listing award already paid",
    [IPO_RULE_EQUITY] = "1% of equity raised on the NEEQ",
    [IPO_RULE_EQUITY_CAPPED] = "1% of equity raised, cut to the year's cap",
    [IPO_RULE_EQUITY_NOT_LISTED] = "equity raised before NEEQ listing",
    [IPO_RULE_EQUITY_OFF_NEEQ] = "equity raised off the NEEQ",
};

//  --------------------------------------------------------------------------
//  The amounts of a version; see the header.

const ipo_subsidy_table_t *
ipo_subsidy_table (const char *version)
{
    if (!version)
        return &s_tables [TABLES - 1];
    for (size_t i = 0; i < TABLES; i++)
        if (strcmp (s_tables [i].version, version) == 0)
            return &s_tables [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  A board's total of stage amounts.

int64_t
ipo_subsidy_board_total (const ipo_subsidy_table_t *table, int board)
{
    assert (board >= 0 && board < IPO_BOARD_COUNT);
    int64_t total = 0;
    for (int stage = 0; stage < IPO_STAGE_COUNT; stage++)
        total += table->stage_fen [board][stage];
    return total;
}

//  --------------------------------------------------------------------------
//  A firm with no events yet.

void
ipo_subsidy_firm_init (ipo_subsidy_firm_t *firm)
{
    memset (firm, 0, sizeof *firm);
    firm->board = -1;
}

//  --------------------------------------------------------------------------
//  The stage an event reaches, or -1 for an event that reaches none.

static int
s_stage (int event)
{
    switch (event) {
        case IPO_EVENT_SHAREHOLDING_REFORMED:
            return IPO_STAGE_REFORM;
        case IPO_EVENT_TUTORING_FILED:
            return IPO_STAGE_TUTORING;
        case IPO_EVENT_APPLICATION_ACCEPTED:
            return IPO_STAGE_APPLICATION;
        case IPO_EVENT_REGISTERED:
            return IPO_STAGE_REGISTRATION;
        default:
            return -1;
    }
}

//  --------------------------------------------------------------------------
//  Refuse an event that cannot be, before anything is decided.

static int
s_check (const ipo_subsidy_firm_t *firm, const ipo_subsidy_event_t *event,
         kj_status_t *status)
{
    if (event->board < 0 || event->board >= IPO_BOARD_COUNT
        || event->board == IPO_BOARD_REGIONAL)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "board",
                              "board: expected one of MAIN, CHINEXT, STAR, "
                              "BSE, NEEQ");
    if (event->event < 1 || event->event >= IPO_EVENT_END)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "event",
                              "event: unknown event %d", event->event);
    if (event->date < firm->last_date)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "date",
                              "date: %04d-%02d-%02d is before the firm's "
                              "previous event on %04d-%02d-%02d",
                              event->date / 10000, event->date / 100 % 100,
                              event->date % 100, firm->last_date / 10000,
                              firm->last_date / 100 % 100,
                              firm->last_date % 100);
    bool equity = event->event == IPO_EVENT_EQUITY_RAISED;
    if (equity && !event->has_amount)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "amount_raised_fen",
                              "amount_raised_fen: "
                              "required for EQUITY_RAISED");
    if (!equity && event->has_amount)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "amount_raised_fen",
                              "amount_raised_fen: "
                              "only for EQUITY_RAISED; leave it empty for "
                              "%s",
                              ipo_subsidy_event_name (event->event));
    if (equity
        && (event->amount_raised_fen < 1
            || event->amount_raised_fen > IPO_MONEY_MAX))
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "amount_raised_fen",
                              "amount_raised_fen: %" PRId64
                              " is out of range; expected 1 to %" PRId64,
                              event->amount_raised_fen, IPO_MONEY_MAX);
    return 0;
}

//  --------------------------------------------------------------------------
//  The NEEQ programme: listing award once, then 1% of each equity raise
//  (rounded down to the fen) within the cap of its calendar year.

static void
s_neeq (const ipo_subsidy_table_t *table, ipo_subsidy_firm_t *firm,
        const ipo_subsidy_event_t *event, ipo_subsidy_decision_t *decision)
{
    if (event->event == IPO_EVENT_LISTED && event->board == IPO_BOARD_NEEQ) {
        firm->neeq_listed = true;
        if (firm->neeq_award_paid)
            decision->rule = IPO_RULE_NEEQ_LISTING_PAID;
        else {
            firm->neeq_award_paid = true;
            decision->payment_fen = table->neeq_listing_fen;
            decision->rule = IPO_RULE_NEEQ_LISTING;
        }
        return;
    }
    assert (event->event == IPO_EVENT_EQUITY_RAISED);
    if (event->board != IPO_BOARD_NEEQ) {
        decision->rule = IPO_RULE_EQUITY_OFF_NEEQ;
        return;
    }
    if (!firm->neeq_listed) {
        decision->rule = IPO_RULE_EQUITY_NOT_LISTED;
        return;
    }
    int32_t year = event->date / 10000;
    if (year != firm->equity_year) {
        firm->equity_year = year;
        firm->equity_paid_fen = 0;
    }
    int64_t award = (int64_t) ((__int128) event->amount_raised_fen
                               * table->equity_bp / 10000);
    int64_t left = table->equity_cap_fen - firm->equity_paid_fen;
    if (left < 0)
        left = 0;
    decision->payment_fen = award < left ? award : left;
    decision->rule = award <= left ? IPO_RULE_EQUITY : IPO_RULE_EQUITY_CAPPED;
    firm->equity_paid_fen += decision->payment_fen;
}

//  --------------------------------------------------------------------------
//  The listing track: a stage is decided once; before any change of board
//  it pays the board's amount, after one nothing, except the first
//  registration after it, which tops the firm up to the final board's
//  total (also when the firm registered on an earlier board, whose
//  registration lapsed).

static void
s_listing (const ipo_subsidy_table_t *table, ipo_subsidy_firm_t *firm,
           const ipo_subsidy_event_t *event, ipo_subsidy_decision_t *decision)
{
    if (firm->board >= 0 && firm->board != event->board)
        firm->switched = true;
    firm->board = event->board;
    int stage = s_stage (event->event);
    if (stage < 0) {
        decision->rule = IPO_RULE_NO_SUBSIDY;
        return;
    }
    if (firm->switched) {
        firm->stages |= 1u << stage;
        if (stage != IPO_STAGE_REGISTRATION)
            decision->rule = IPO_RULE_SWITCHED;
        else if (firm->topped_up)
            decision->rule = IPO_RULE_TOP_UP_PAID;
        else {
            firm->topped_up = true;
            int64_t total = ipo_subsidy_board_total (table, event->board);
            int64_t due = total - firm->board_paid_fen;
            decision->payment_fen = due > 0 ? due : 0;
            decision->rule = due > 0 ? IPO_RULE_TOP_UP : IPO_RULE_TOP_UP_NONE;
        }
    }
    else if (firm->stages & (1u << stage))
        decision->rule = IPO_RULE_STAGE_PAID;
    else {
        firm->stages |= 1u << stage;
        decision->payment_fen = table->stage_fen [event->board][stage];
        decision->rule = decision->payment_fen ? IPO_RULE_STAGE
                                               : IPO_RULE_STAGE_NONE;
    }
    firm->board_paid_fen += decision->payment_fen;
}

//  --------------------------------------------------------------------------
//  Decide one event; see the header.

int
ipo_subsidy_apply (const ipo_subsidy_table_t *table, ipo_subsidy_firm_t *firm,
                   const ipo_subsidy_event_t *event,
                   ipo_subsidy_decision_t *decision, kj_status_t *status)
{
    assert (table);
    assert (firm);
    assert (event);
    assert (decision);
    assert (status);
    memset (decision, 0, sizeof *decision);
    if (s_check (firm, event, status))
        return -1;
    if (event->event == IPO_EVENT_EQUITY_RAISED
        || (event->event == IPO_EVENT_LISTED && event->board == IPO_BOARD_NEEQ))
        s_neeq (table, firm, event, decision);
    else if (event->board == IPO_BOARD_NEEQ)
        decision->rule = IPO_RULE_NO_SUBSIDY;
    else
        s_listing (table, firm, event, decision);
    firm->last_date = event->date;
    firm->paid_total_fen += decision->payment_fen;
    decision->paid_total_fen = firm->paid_total_fen;
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Names and text; see the header.

const char *
ipo_subsidy_event_name (int event)
{
    return event >= 1 && event < IPO_EVENT_END ? s_event_names [event] : "?";
}

//  --------------------------------------------------------------------------
//  The event of a name; see the header.
int
ipo_subsidy_event_from_name (const char *name)
{
    for (int event = 1; event < IPO_EVENT_END; event++)
        if (strcmp (s_event_names [event], name) == 0)
            return event;
    return -1;
}

//  --------------------------------------------------------------------------
//  A board a subsidy may name; see the header.
int
ipo_subsidy_board_from_code (const char *code)
{
    int board = ipo_board_from_code (code);
    return board == IPO_BOARD_REGIONAL ? -1 : board;
}

//  --------------------------------------------------------------------------
//  A date YYYY-MM-DD; see the header.
int
ipo_subsidy_date_parse (const char *text, int32_t *date)
{
    static const int days [] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    if (strlen (text) != 10 || text [4] != '-' || text [7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text [i] < '0' || text [i] > '9'))
            return -1;
    int year = (text [0] - '0') * 1000 + (text [1] - '0') * 100
             + (text [2] - '0') * 10 + (text [3] - '0');
    int month = (text [5] - '0') * 10 + (text [6] - '0');
    int day = (text [8] - '0') * 10 + (text [9] - '0');
    if (year < 2000 || year > 2099 || month < 1 || month > 12 || day < 1)
        return -1;
    bool leap = year % 4 == 0;  //  true for every year 2000..2099
    if (day > days [month - 1] + (month == 2 && leap))
        return -1;
    *date = year * 10000 + month * 100 + day;
    return 0;
}

//  --------------------------------------------------------------------------
//  A rule for people; see the header.
const char *
ipo_subsidy_rule_text (ipo_subsidy_rule_t rule)
{
    return rule >= IPO_RULE_NO_SUBSIDY && rule <= IPO_RULE_EQUITY_OFF_NEEQ
             ? s_rule_texts [rule]
             : "?";
}
