/*  =========================================================================
    ipo_pipeline - a firm's way from the reserve pool to listing, as a
    state machine

    The table of moves is docs/rules/ipo.md ("The
    pipeline") gives each row and the choices made where it is silent.
    =========================================================================
*/

#include <stdio.h>
#include <string.h>

#include "kj_check.h"
#include "kj_i18n.h"
#include "ipo_pipeline.h"
#include "ipo_subsidy.h"

#define BIT(state) (1u << (state))

static const char *const s_names [IPO_STATE_END] = { NULL,
                                                     "CANDIDATE",
                                                     "CITY_POOL",
                                                     "PROVINCE_POOL",
                                                     "SHAREHOLDING_REFORMED",
                                                     "TUTORING_FILED",
                                                     "TUTORING_ACCEPTED",
                                                     "APPLICATION_ACCEPTED",
                                                     "UNDER_INQUIRY",
                                                     "COMMITTEE_REVIEW",
                                                     "REGISTRATION_SUBMITTED",
                                                     "REGISTERED",
                                                     "LISTED",
                                                     "WITHDRAWN",
                                                     "TERMINATED",
                                                     "REJECTED",
                                                     "NEEQ_BASIC",
                                                     "NEEQ_INNOVATION" };

//  The review exits every state of the application takes
#define EXITS (BIT (IPO_STATE_WITHDRAWN) | BIT (IPO_STATE_TERMINATED))

//  Moves allowed from each state (docs/rules/ipo.md, "The pipeline")
static const unsigned s_moves [IPO_STATE_END] = {
    [IPO_STATE_CANDIDATE] = BIT (IPO_STATE_CITY_POOL),
    [IPO_STATE_CITY_POOL] = BIT (IPO_STATE_PROVINCE_POOL)
                          | BIT (IPO_STATE_SHAREHOLDING_REFORMED)
                          | BIT (IPO_STATE_NEEQ_BASIC),
    [IPO_STATE_PROVINCE_POOL] = BIT (IPO_STATE_SHAREHOLDING_REFORMED)
                              | BIT (IPO_STATE_NEEQ_BASIC),
    [IPO_STATE_SHAREHOLDING_REFORMED] = BIT (IPO_STATE_TUTORING_FILED)
                                      | BIT (IPO_STATE_NEEQ_BASIC),
    [IPO_STATE_TUTORING_FILED] = BIT (IPO_STATE_TUTORING_ACCEPTED)
                               | BIT (IPO_STATE_WITHDRAWN),
    [IPO_STATE_TUTORING_ACCEPTED] = BIT (IPO_STATE_APPLICATION_ACCEPTED)
                                  | BIT (IPO_STATE_TUTORING_FILED)
                                  | BIT (IPO_STATE_WITHDRAWN),
    [IPO_STATE_APPLICATION_ACCEPTED] = BIT (IPO_STATE_UNDER_INQUIRY) | EXITS,
    [IPO_STATE_UNDER_INQUIRY] = BIT (IPO_STATE_COMMITTEE_REVIEW) | EXITS,
    [IPO_STATE_COMMITTEE_REVIEW] = BIT (IPO_STATE_REGISTRATION_SUBMITTED)
                                 | EXITS,
    [IPO_STATE_REGISTRATION_SUBMITTED] = BIT (IPO_STATE_REGISTERED)
                                       | BIT (IPO_STATE_REJECTED) | EXITS,
    [IPO_STATE_REGISTERED] = BIT (IPO_STATE_LISTED) | BIT (IPO_STATE_WITHDRAWN),
    [IPO_STATE_LISTED] = 0,
    [IPO_STATE_WITHDRAWN] = BIT (IPO_STATE_TUTORING_FILED)
                          | BIT (IPO_STATE_APPLICATION_ACCEPTED),
    [IPO_STATE_TERMINATED] = BIT (IPO_STATE_TUTORING_FILED)
                           | BIT (IPO_STATE_APPLICATION_ACCEPTED),
    [IPO_STATE_REJECTED] = BIT (IPO_STATE_APPLICATION_ACCEPTED)
                         | BIT (IPO_STATE_WITHDRAWN),
    [IPO_STATE_NEEQ_BASIC] = BIT (IPO_STATE_NEEQ_INNOVATION)
                           | BIT (IPO_STATE_TUTORING_FILED),
    [IPO_STATE_NEEQ_INNOVATION] = BIT (IPO_STATE_TUTORING_FILED)
};

//  Usual months in a state before an alert says the firm is stuck; 0:
//  none (the letter and the registration have their own alerts)
static const int s_usual_months [IPO_STATE_END] = {
    [IPO_STATE_CANDIDATE] = 12,
    [IPO_STATE_CITY_POOL] = 12,
    [IPO_STATE_PROVINCE_POOL] = 24,
    [IPO_STATE_SHAREHOLDING_REFORMED] = 12,
    [IPO_STATE_TUTORING_FILED] = 12,
    [IPO_STATE_APPLICATION_ACCEPTED] = 1,
    [IPO_STATE_UNDER_INQUIRY] = 6,
    [IPO_STATE_COMMITTEE_REVIEW] = 3,
    [IPO_STATE_REGISTRATION_SUBMITTED] = 2
};

//  --------------------------------------------------------------------------
//  A new firm; see the header.
void
ipo_pipeline_firm_init (ipo_pipeline_firm_t *firm, int32_t date)
{
    memset (firm, 0, sizeof *firm);
    firm->state = IPO_STATE_CANDIDATE;
    firm->board = -1;
    firm->since = date;
}

//  --------------------------------------------------------------------------
//  Moves from a state; see the header.
unsigned
ipo_pipeline_allowed (int state)
{
    return state > 0 && state < IPO_STATE_END ? s_moves [state] : 0;
}

//  --------------------------------------------------------------------------
//  True for the states of the listing track that need a board
static bool
s_needs_board (int state)
{
    return state >= IPO_STATE_SHAREHOLDING_REFORMED
        && state <= IPO_STATE_REJECTED;
}

//  --------------------------------------------------------------------------
//  Check the board of a move into `to`; the board after it in *after.
static int
s_board (const ipo_pipeline_firm_t *firm, int to, int board, int *after,
         kj_status_t *status)
{
    *after = firm->board;
    if (board >= 0) {
        if (board > IPO_BOARD_BSE)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "board",
                                  "board: %s is no exchange; MAIN, CHINEXT, "
                                  "STAR or BSE",
                                  ipo_board_code (board));
        bool may_change = to == IPO_STATE_SHAREHOLDING_REFORMED
                       || to == IPO_STATE_TUTORING_FILED
                       || to == IPO_STATE_APPLICATION_ACCEPTED;
        if (board != firm->board && !may_change)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "board",
                                  "board: chosen or changed only on "
                                  "reform, tutoring filed or application "
                                  "accepted");
        *after = board;
    }
    if (s_needs_board (to) && *after < 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "board",
                              "board: required from %s on: MAIN, CHINEXT, "
                              "STAR or BSE",
                              ipo_pipeline_state_name (to));
    return 0;
}

//  --------------------------------------------------------------------------
//  Check what time allows for a move on `date`.
static int
s_timing (const ipo_pipeline_firm_t *firm, int to, int board, int32_t date,
          kj_status_t *status)
{
    char end [16];
    if (date < firm->since)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "date",
                              "date: before the firm's last move on %s",
                              ipo_date_text (firm->since, end, sizeof end));
    int32_t until = 0;
    if (firm->state == IPO_STATE_TUTORING_ACCEPTED
        && to == IPO_STATE_APPLICATION_ACCEPTED)
        until = ipo_date_add_months (firm->letter, IPO_LETTER_MONTHS);
    if (firm->state == IPO_STATE_REGISTERED && to == IPO_STATE_LISTED)
        until = ipo_date_add_months (firm->registered, IPO_REGISTRATION_MONTHS);
    if (until && date >= until)
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "date",
                              "date: the %s lapsed on %s",
                              to == IPO_STATE_LISTED ? _ ("registration")
                                                     : _ ("tutoring letter"),
                              ipo_date_text (until, end, sizeof end));
    if (firm->state == IPO_STATE_REJECTED
        && to == IPO_STATE_APPLICATION_ACCEPTED) {
        int32_t from = ipo_date_add_months (firm->rejected, IPO_REAPPLY_MONTHS);
        if (date < from)
            return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "date",
                                  "date: rejected; may apply again from %s",
                                  ipo_date_text (from, end, sizeof end));
    }
    if (to == IPO_STATE_APPLICATION_ACCEPTED && board == IPO_BOARD_BSE) {
        int32_t from = firm->neeq_since ? ipo_date_add_months (firm->neeq_since,
                                                               IPO_NEEQ_MONTHS)
                                        : 0;
        if (!from || date < from)
            return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION,
                                  "board",
                                  "board: BSE needs 12 months on the NEEQ "
                                  "first (from %s)",
                                  from ? ipo_date_text (from, end, sizeof end)
                                       : _ ("not listed"));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Move the firm; see the header.
int
ipo_pipeline_move (ipo_pipeline_firm_t *firm, int to, int board, int32_t date,
                   ipo_pipeline_step_t *step, kj_status_t *status)
{
    if (to <= 0 || to >= IPO_STATE_END)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "state",
                              "state: unknown");
    unsigned allowed = ipo_pipeline_allowed (firm->state);
    if (!(allowed & BIT (to))) {
        char list [400];
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "state",
                              "state: no move from %s to %s; from here: %s",
                              ipo_pipeline_state_name (firm->state),
                              ipo_pipeline_state_name (to),
                              ipo_pipeline_states_text (allowed, list,
                                                        sizeof list));
    }
    int after;
    if (s_board (firm, to, board, &after, status)
        || s_timing (firm, to, after, date, status))
        return -1;
    step->from = firm->state;
    step->to = to;
    step->board = after;
    step->board_changed = after != firm->board;
    firm->state = to;
    firm->board = after;
    firm->since = date;
    if (to == IPO_STATE_TUTORING_ACCEPTED)
        firm->letter = date;
    else if (to == IPO_STATE_REGISTERED)
        firm->registered = date;
    else if (to == IPO_STATE_REJECTED)
        firm->rejected = date;
    else if (to == IPO_STATE_NEEQ_BASIC)
        firm->neeq_since = date;
    return 0;
}

//  --------------------------------------------------------------------------
//  Apply what lapsed by today; see the header.
int
ipo_pipeline_expire (ipo_pipeline_firm_t *firm, int32_t today,
                     ipo_pipeline_step_t *step)
{
    int32_t end = 0;
    int to = 0;
    if (firm->state == IPO_STATE_TUTORING_ACCEPTED) {
        end = ipo_date_add_months (firm->letter, IPO_LETTER_MONTHS);
        to = IPO_STATE_TUTORING_FILED;
    }
    else if (firm->state == IPO_STATE_REGISTERED) {
        end = ipo_date_add_months (firm->registered, IPO_REGISTRATION_MONTHS);
        to = IPO_STATE_WITHDRAWN;
    }
    if (!to || today < end)
        return 0;
    step->from = firm->state;
    step->to = to;
    step->board = firm->board;
    step->board_changed = false;
    firm->state = to;
    firm->since = end;
    return to;
}

//  --------------------------------------------------------------------------
//  The alert due; see the header.
ipo_alert_t
ipo_pipeline_alert (const ipo_pipeline_firm_t *firm, int32_t today,
                    int warn_days, int32_t *deadline)
{
    int32_t horizon = ipo_date_add_days (today, warn_days);
    if (firm->state == IPO_STATE_TUTORING_ACCEPTED) {
        *deadline = ipo_date_add_months (firm->letter, IPO_LETTER_MONTHS);
        return *deadline <= horizon ? IPO_ALERT_LETTER_EXPIRING
                                    : IPO_ALERT_NONE;
    }
    if (firm->state == IPO_STATE_REGISTERED) {
        *deadline = ipo_date_add_months (firm->registered,
                                         IPO_REGISTRATION_MONTHS);
        return *deadline <= horizon ? IPO_ALERT_REGISTRATION_LAPSING
                                    : IPO_ALERT_NONE;
    }
    int months = firm->state > 0 && firm->state < IPO_STATE_END
                   ? s_usual_months [firm->state]
                   : 0;
    if (months == 0)
        return IPO_ALERT_NONE;
    *deadline = ipo_date_add_months (firm->since, months);
    return *deadline <= today ? IPO_ALERT_STUCK : IPO_ALERT_NONE;
}

//  --------------------------------------------------------------------------
//  Stale files; see the header.
int32_t
ipo_pipeline_stale_before (int32_t today)
{
    return ipo_date_add_months (today, -IPO_REFRESH_MONTHS);
}

bool
ipo_pipeline_stale (int state, int32_t refreshed, int32_t today)
{
    bool on_way = (state >= IPO_STATE_CANDIDATE
                   && state <= IPO_STATE_REGISTERED)
               || state == IPO_STATE_NEEQ_BASIC
               || state == IPO_STATE_NEEQ_INNOVATION;
    return on_way && refreshed <= ipo_pipeline_stale_before (today);
}

//  --------------------------------------------------------------------------
//  The subsidy event of a state; see the header.
int
ipo_pipeline_subsidy_event (int state, int firm_board, int *board)
{
    *board = firm_board;
    if (state == IPO_STATE_NEEQ_BASIC) {
        *board = IPO_BOARD_NEEQ;
        return IPO_EVENT_LISTED;
    }
    if (!s_needs_board (state) && state != IPO_STATE_LISTED)
        return 0;
    return ipo_subsidy_event_from_name (s_names [state]);
}

//  --------------------------------------------------------------------------
//  Names; see the header.
const char *
ipo_pipeline_state_name (int state)
{
    return state > 0 && state < IPO_STATE_END ? s_names [state] : "?";
}

int
ipo_pipeline_state_from_name (const char *name)
{
    for (int state = 1; state < IPO_STATE_END; state++)
        if (strcmp (s_names [state], name) == 0)
            return state;
    return -1;
}

const char *
ipo_pipeline_states_text (unsigned states, char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (int state = 1; state < IPO_STATE_END; state++)
        if (states & BIT (state)) {
            int n = snprintf (buf + used, size - used, "%s%s", used ? ", " : "",
                              s_names [state]);
            if (n < 0 || (size_t) n >= size - used)
                break;
            used += n;
        }
    return used ? buf : "none";
}

//  --------------------------------------------------------------------------
//  Parse tiers; see the header.
int
ipo_pipeline_tiers_parse (const char *text, ipo_pipeline_tiers_t *tiers,
                          kj_status_t *status)
{
    memset (tiers, 0, sizeof *tiers);
    const char *at = text;
    while (*at) {
        const char *equals = strchr (at, '=');
        size_t length = equals ? (size_t) (equals - at) : 0;
        if (!equals || length == 0 || length >= sizeof tiers->name [0]
            || strspn (at, "abcdefghijklmnopqrstuvwxyz0123456789_") != length)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "tiers",
                                  "tiers: '%.40s': a tier is name=STATE,... "
                                  "with a name of 1 to 31 bytes of a-z, 0-9 "
                                  "and _",
                                  at);
        char name [32];
        memcpy (name, at, length);
        name [length] = 0;
        at = equals + 1;
        for (;;) {
            size_t word = strcspn (at, ",;");
            char state_name [40];
            snprintf (state_name, sizeof state_name, "%.*s",
                      (int) (word < 39 ? word : 39), at);
            int state = ipo_pipeline_state_from_name (state_name);
            if (state < 0 || word >= sizeof state_name)
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                      "tiers", "tiers: %s: unknown state '%s'",
                                      name, state_name);
            if (*tiers->name [state])
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                      "tiers", "tiers: %s is in both %s and %s",
                                      state_name, tiers->name [state], name);
            memcpy (tiers->name [state], name, length + 1);
            at += word;
            if (*at != ',')
                break;
            at++;
        }
        if (*at == ';')
            at++;
    }
    for (int state = 1; state < IPO_STATE_END; state++)
        if (!*tiers->name [state])
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "tiers",
                                  "tiers: %s is in no tier", s_names [state]);
    return 0;
}

const char *
ipo_pipeline_tiers_of (const ipo_pipeline_tiers_t *tiers, int state)
{
    return state > 0 && state < IPO_STATE_END ? tiers->name [state] : "?";
}

//  --------------------------------------------------------------------------
//  The tier of a state; see the header.
const char *
ipo_pipeline_tier (int state)
{
    if (state >= IPO_STATE_CANDIDATE && state <= IPO_STATE_PROVINCE_POOL)
        return "reserve";
    if (state == IPO_STATE_SHAREHOLDING_REFORMED
        || state == IPO_STATE_NEEQ_BASIC || state == IPO_STATE_NEEQ_INNOVATION)
        return "cultivation";
    if (state == IPO_STATE_TUTORING_FILED
        || state == IPO_STATE_TUTORING_ACCEPTED)
        return "tutoring";
    if (state >= IPO_STATE_APPLICATION_ACCEPTED
        && state <= IPO_STATE_REGISTERED)
        return "filing";
    if (state == IPO_STATE_LISTED)
        return "listed";
    return "exited";
}

//  --------------------------------------------------------------------------
//  Days since 1970-01-01 of a date YYYYMMDD, and back (kj_check's)

static int64_t
s_days (int32_t date)
{
    return kj_check_date_days (
        (kj_date_t){ date / 10000, date / 100 % 100, date % 100 });
}

static int32_t
s_date (int64_t days)
{
    kj_date_t date = kj_check_date_from_days (days);
    return (int32_t) (date.year * 10000 + date.month * 100 + date.day);
}

//  --------------------------------------------------------------------------
//  Date arithmetic; see the header.
int32_t
ipo_date_add_months (int32_t date, int months)
{
    static const int days [] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    int index = date / 10000 * 12 + date / 100 % 100 - 1 + months;
    int year = index / 12, month = index % 12 + 1, day = date % 100;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = days [month - 1] + (month == 2 && leap);
    return year * 10000 + month * 100 + (day > last ? last : day);
}

int32_t
ipo_date_add_days (int32_t date, int days)
{
    return s_date (s_days (date) + days);
}

const char *
ipo_date_text (int32_t date, char *buf, size_t size)
{
    snprintf (buf, size, "%04d-%02d-%02d", date / 10000, date / 100 % 100,
              date % 100);
    return buf;
}
