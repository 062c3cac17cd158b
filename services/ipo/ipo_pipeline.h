/*  =========================================================================
    ipo_pipeline - a firm's way from the reserve pool to listing, as a
    state machine

    Pure rules, no I/O. The states of docs/rules/ipo.md, "The pipeline" (candidate, city
    pool, provincial pool, shareholding reform, tutoring filed and
    accepted, application, inquiry, committee, registration, listed; the
    side exits withdrawn, terminated and rejected; the NEEQ track), which
    moves each allows, what a move needs (a board, a date not before the
    last move, six months after a rejection, a tutoring letter and a
    registration still valid, twelve months on the NEEQ before the BSE),
    what lapses with time, and what is due for an alert. kejin-ipo keeps
    each firm's ipo_pipeline_firm_t in its database; docs/rules/ipo.md
    says every rule and every choice made where the sources are silent.
    =========================================================================
*/

#ifndef IPO_PIPELINE_H_INCLUDED
#define IPO_PIPELINE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "ipo_board.h"
#include "kj_proto.h"

//  The states, numbered as kj.IpoState in proto/ipo.proto.
typedef enum {
    IPO_STATE_CANDIDATE = 1,           //  储备
    IPO_STATE_CITY_POOL,               //  市级后备库
    IPO_STATE_PROVINCE_POOL,           //  省级后备库
    IPO_STATE_SHAREHOLDING_REFORMED,   //  完成股改
    IPO_STATE_TUTORING_FILED,          //  辅导备案
    IPO_STATE_TUTORING_ACCEPTED,       //  辅导验收 (完成函, 12 months)
    IPO_STATE_APPLICATION_ACCEPTED,    //  申报受理
    IPO_STATE_UNDER_INQUIRY,           //  审核问询
    IPO_STATE_COMMITTEE_REVIEW,        //  上市委审议
    IPO_STATE_REGISTRATION_SUBMITTED,  //  提交注册
    IPO_STATE_REGISTERED,              //  注册生效 (valid 12 months)
    IPO_STATE_LISTED,                  //  上市
    IPO_STATE_WITHDRAWN,               //  撤回
    IPO_STATE_TERMINATED,              //  终止审核
    IPO_STATE_REJECTED,         //  不予注册 (re-apply after 6 months)
    IPO_STATE_NEEQ_BASIC,       //  新三板基础层
    IPO_STATE_NEEQ_INNOVATION,  //  新三板创新层
    IPO_STATE_END
} ipo_state_t;

//  Months a tutoring letter and a registration stay valid; months after a
//  rejection before the firm may apply again; months on the NEEQ before
//  a BSE application.
#define IPO_LETTER_MONTHS       12
#define IPO_REGISTRATION_MONTHS 12
#define IPO_REAPPLY_MONTHS      6
#define IPO_NEEQ_MONTHS         12
//  Months a firm's file stays fresh after its yearly refresh
#define IPO_REFRESH_MONTHS 12

//  Where one firm stands. Dates are YYYYMMDD, 0 for none.
typedef struct {
    int state;           //  ipo_state_t
    int board;           //  ipo_board_id_t of its listing track;
                         //  -1: none chosen yet
    int32_t since;       //  date it entered state
    int32_t letter;      //  its tutoring acceptance letter
    int32_t registered;  //  its registration took effect
    int32_t rejected;    //  its registration was refused
    int32_t neeq_since;  //  it was listed on the NEEQ
} ipo_pipeline_firm_t;

//  What a move changed, for its event.
typedef struct {
    int from, to;        //  ipo_state_t
    int board;           //  board after the move; -1: none
    bool board_changed;  //  a board was chosen or switched
} ipo_pipeline_step_t;

//  Alerts ipo_pipeline_alert finds.
typedef enum {
    IPO_ALERT_NONE = 0,
    IPO_ALERT_LETTER_EXPIRING,       //  tutoring letter about to expire
    IPO_ALERT_REGISTRATION_LAPSING,  //  registration about to lapse
    IPO_ALERT_STUCK                  //  in a state beyond its usual time
} ipo_alert_t;

//  --------------------------------------------------------------------------
//  A new firm: a candidate since date, no board.

void
    ipo_pipeline_firm_init (ipo_pipeline_firm_t *firm, int32_t date);

//  --------------------------------------------------------------------------
//  The states the firm may move to from where it stands, a bit each
//  (1u << state); LISTED allows none.

unsigned
    ipo_pipeline_allowed (int state);

//  --------------------------------------------------------------------------
//  Move the firm to state `to` on `date`, on `board` (-1: keep its board).
//  Returns 0 with the firm updated and step filled, or -1 with status set
//  and the firm unchanged: FAILED_PRECONDITION naming "state" (and the
//  states allowed from here) for a move the table does not allow, "date"
//  for a letter expired, a registration lapsed or a re-application within
//  6 months, "board" for a BSE application before 12 months on the NEEQ's
//  innovation tier; INVALID_ARGUMENT naming "date" for a date before the
//  last move, "board" for a board missing, not an exchange, or changed
//  where it cannot be.

int
    ipo_pipeline_move (ipo_pipeline_firm_t *firm, int to, int board,
                       int32_t date, ipo_pipeline_step_t *step,
                       kj_status_t *status);

//  --------------------------------------------------------------------------
//  What time did to the firm by `today`: a tutoring letter expired sends it
//  back to TUTORING_FILED, a lapsed registration to WITHDRAWN, both on the
//  day they ended. Returns the state it fell to (the firm updated, step
//  filled), or 0 when nothing lapsed.

int
    ipo_pipeline_expire (ipo_pipeline_firm_t *firm, int32_t today,
                         ipo_pipeline_step_t *step);

//  --------------------------------------------------------------------------
//  The alert due for the firm on `today`, looking `warn_days` ahead, with
//  the date it is about (the letter's or registration's end, or when the
//  state's usual time ran out) in *deadline; IPO_ALERT_NONE if none.

ipo_alert_t
    ipo_pipeline_alert (const ipo_pipeline_firm_t *firm, int32_t today,
                        int warn_days, int32_t *deadline);

//  --------------------------------------------------------------------------
//  True when the file of a firm in `state`, last refreshed on `refreshed`,
//  is stale on `today`: 12 months or more without its yearly review, for
//  a firm still on its way (candidate to registered, or on the NEEQ).

bool
    ipo_pipeline_stale (int state, int32_t refreshed, int32_t today);

//  The day on or before which a refresh is stale on today.
int32_t
    ipo_pipeline_stale_before (int32_t today);

//  --------------------------------------------------------------------------
//  The subsidy event (ipo_event_t) a move into `state` is, and on which
//  board (*board: the firm's board, or IPO_BOARD_NEEQ for a NEEQ listing);
//  0 when the state is no subsidy event.

int
    ipo_pipeline_subsidy_event (int state, int firm_board, int *board);

//  --------------------------------------------------------------------------
//  Names, tiers, dates.

//  "CANDIDATE" ...; "?" if none.
const char *
    ipo_pipeline_state_name (int state);

//  The state of a name; -1 if none.
int
    ipo_pipeline_state_from_name (const char *name);

//  The states in a bit set as "A, B, C" into buf; "none" when empty.
const char *
    ipo_pipeline_states_text (unsigned states, char *buf, size_t size);

//  Tiers (梯度): a name for every state, as configuration gives them:
//  "name=STATE,STATE;name=...", every state in exactly one tier, names of
//  1 to 31 bytes of a-z, 0-9 and '_'. IPO_TIERS_DEFAULT is the built-in
//  rule (the same as ipo_pipeline_tier).
#define IPO_TIERS_DEFAULT                                                      \
    "reserve=CANDIDATE,CITY_POOL,PROVINCE_POOL;"                               \
    "cultivation=SHAREHOLDING_REFORMED,NEEQ_BASIC,NEEQ_INNOVATION;"            \
    "tutoring=TUTORING_FILED,TUTORING_ACCEPTED;"                               \
    "filing=APPLICATION_ACCEPTED,UNDER_INQUIRY,COMMITTEE_REVIEW,"              \
    "REGISTRATION_SUBMITTED,REGISTERED;"                                       \
    "listed=LISTED;exited=WITHDRAWN,TERMINATED,REJECTED"

typedef struct {
    char name [IPO_STATE_END][32];  //  by state
} ipo_pipeline_tiers_t;

//  Parse tiers from text. 0, or -1 with status INVALID_ARGUMENT naming
//  "tiers" and what is wrong (tiers then undefined).
int
    ipo_pipeline_tiers_parse (const char *text, ipo_pipeline_tiers_t *tiers,
                              kj_status_t *status);

//  The tier of a state under tiers; "?" if none.
const char *
    ipo_pipeline_tiers_of (const ipo_pipeline_tiers_t *tiers, int state);

//  The tier (梯度) of a state under the built-in rule: "reserve", "cultivation", "tutoring",
//  "filing", "listed" or "exited".
const char *
    ipo_pipeline_tier (int state);

//  A date YYYYMMDD `months` later, the day cut to the month's end.
int32_t
    ipo_date_add_months (int32_t date, int months);

//  A date YYYYMMDD `days` later (days may be negative).
int32_t
    ipo_date_add_days (int32_t date, int days);

//  A date as "YYYY-MM-DD" into buf (11 bytes).
const char *
    ipo_date_text (int32_t date, char *buf, size_t size);

#endif
