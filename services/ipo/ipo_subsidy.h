/*  =========================================================================
    ipo_subsidy - Liaoning's listing subsidies, decided event by event

    Pure rules, no I/O. A firm's pipeline events, in order, each decide one
    payment (often nothing): the stage subsidies of the firm's board, the
    top-up at registration of a firm that switched boards, the NEEQ
    listing award and 1% of equity raised on the NEEQ (docs/rules/ipo.md, "Listing subsidies";
    辽财金规〔2019〕4号 as amended). The amounts are a versioned table. The
    caller keeps each firm's state between events: kejin-ipo in its
    database, `kejin ipo subsidy replay` in memory. docs/rules/ipo.md says
    every rule and every choice made where the sources are silent.
    =========================================================================
*/

#ifndef IPO_SUBSIDY_H_INCLUDED
#define IPO_SUBSIDY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipo_board.h"
#include "kj_proto.h"

//  Pipeline events (docs/rules/ipo.md, "The pipeline"), numbered from 1.
typedef enum {
    IPO_EVENT_SHAREHOLDING_REFORMED = 1,
    IPO_EVENT_TUTORING_FILED,
    IPO_EVENT_TUTORING_ACCEPTED,
    IPO_EVENT_APPLICATION_ACCEPTED,
    IPO_EVENT_UNDER_INQUIRY,
    IPO_EVENT_COMMITTEE_REVIEW,
    IPO_EVENT_REGISTRATION_SUBMITTED,
    IPO_EVENT_REGISTERED,
    IPO_EVENT_LISTED,
    IPO_EVENT_WITHDRAWN,
    IPO_EVENT_TERMINATED,
    IPO_EVENT_REJECTED,
    IPO_EVENT_EQUITY_RAISED,
    IPO_EVENT_END
} ipo_event_t;

//  The stages that carry a subsidy.
typedef enum {
    IPO_STAGE_REFORM = 0,    //  完成股改
    IPO_STAGE_TUTORING,      //  辅导备案
    IPO_STAGE_APPLICATION,   //  正式申报 (受理)
    IPO_STAGE_REGISTRATION,  //  完成注册
    IPO_STAGE_COUNT
} ipo_stage_t;

//  A version of the amounts, in fen.
typedef struct {
    const char *version;    //  "2023"
    const char *effective;  //  "2023-04-14"
    int64_t stage_fen [IPO_BOARD_COUNT][IPO_STAGE_COUNT];
    int64_t neeq_listing_fen;  //  NEEQ listing award, once per firm
    int64_t equity_bp;         //  of equity raised on the NEEQ
    int64_t equity_cap_fen;    //  per firm per calendar year
} ipo_subsidy_table_t;

//  What one firm has been paid and where it stands, between events.
//  Start with ipo_subsidy_firm_init.
typedef struct {
    int board;               //  board of its listing track; -1: none
    bool switched;           //  has changed board at least once
    unsigned stages;         //  bit per ipo_stage_t: stage decided
    bool topped_up;          //  the top-up after a switch decided
    int64_t board_paid_fen;  //  stage payments and top-up
    bool neeq_listed;
    bool neeq_award_paid;
    int32_t equity_year;      //  calendar year of equity_paid_fen
    int64_t equity_paid_fen;  //  equity awards paid in that year
    int32_t last_date;        //  YYYYMMDD of its latest event; 0
    int64_t paid_total_fen;   //  everything paid, both programmes
} ipo_subsidy_firm_t;

//  One pipeline event of a firm.
typedef struct {
    int board;                  //  ipo_board_id_t
    int event;                  //  ipo_event_t
    int32_t date;               //  YYYYMMDD
    bool has_amount;            //  amount_raised_fen was given
    int64_t amount_raised_fen;  //  EQUITY_RAISED only
} ipo_subsidy_event_t;

//  Why a payment is what it is.
typedef enum {
    IPO_RULE_NO_SUBSIDY = 1,     //  the event carries no subsidy
    IPO_RULE_STAGE,              //  the stage amount of the board
    IPO_RULE_STAGE_NONE,         //  the board pays nothing for the stage
    IPO_RULE_STAGE_PAID,         //  the stage was decided before
    IPO_RULE_SWITCHED,           //  no stage payments after a switch
    IPO_RULE_TOP_UP,             //  top-up to the final board's total
    IPO_RULE_TOP_UP_NONE,        //  paid the final board's total already
    IPO_RULE_TOP_UP_PAID,        //  the top-up was decided before
    IPO_RULE_NEEQ_LISTING,       //  the NEEQ listing award
    IPO_RULE_NEEQ_LISTING_PAID,  //  the award was paid before
    IPO_RULE_EQUITY,             //  1% of equity raised
    IPO_RULE_EQUITY_CAPPED,      //  1%, cut to the year's cap left
    IPO_RULE_EQUITY_NOT_LISTED,  //  raised before listing on the NEEQ
    IPO_RULE_EQUITY_OFF_NEEQ     //  raised on another board
} ipo_subsidy_rule_t;

//  What one event decided.
typedef struct {
    int64_t payment_fen;
    int64_t paid_total_fen;  //  the firm's paid_total_fen after it
    ipo_subsidy_rule_t rule;
} ipo_subsidy_decision_t;

//  --------------------------------------------------------------------------
//  The amounts of a version ("2023"), or the newest for NULL; NULL if
//  there is no such version.

const ipo_subsidy_table_t *
    ipo_subsidy_table (const char *version);

//  A board's total of stage amounts: what a switched firm is topped up to.
int64_t
    ipo_subsidy_board_total (const ipo_subsidy_table_t *table, int board);

//  --------------------------------------------------------------------------
//  A firm with no events yet.

void
    ipo_subsidy_firm_init (ipo_subsidy_firm_t *firm);

//  --------------------------------------------------------------------------
//  Decide the payment of one event of a firm and update the firm. Returns
//  0, or -1 with status set (naming "board", "event", "date" or
//  "amount_raised_fen") and the firm unchanged when the event cannot be:
//  a board without subsidies, an unknown event, a date before the firm's
//  previous event, an amount missing on EQUITY_RAISED or given on any
//  other event.

int
    ipo_subsidy_apply (const ipo_subsidy_table_t *table,
                       ipo_subsidy_firm_t *firm,
                       const ipo_subsidy_event_t *event,
                       ipo_subsidy_decision_t *decision, kj_status_t *status);

//  --------------------------------------------------------------------------
//  Names and text.

//  "SHAREHOLDING_REFORMED" ...; "?" if none.
const char *
    ipo_subsidy_event_name (int event);

//  The event of a name; -1 if none.
int
    ipo_subsidy_event_from_name (const char *name);

//  The board of a code a subsidy may name (MAIN, CHINEXT, STAR, BSE,
//  NEEQ); -1 if none.
int
    ipo_subsidy_board_from_code (const char *code);

//  A date "YYYY-MM-DD" (a real day from 2000 to 2099) as YYYYMMDD into
//  *date. 0, or -1 if text is no such date.
int
    ipo_subsidy_date_parse (const char *text, int32_t *date);

//  A rule in a few words, for people.
const char *
    ipo_subsidy_rule_text (ipo_subsidy_rule_t rule);

#endif
