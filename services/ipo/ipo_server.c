/*  =========================================================================
    ipo_server - the MDP service "ipo" of kejin-ipo: its state, the checks
    its handlers share, and its table of methods

    The handlers live by concern: the reserve pool and each firm's
    pipeline, file and sweep in ipo_pool.c; subsidy claims, the budget and
    the report in ipo_claims.c; board fit of one firm in ipo_fit_firm.c;
    batch fit in ipo_fit.c. A move is checked by ipo_pipeline; the subsidy
    it makes due is decided then, by ipo_subsidy on the firm's recorded
    events replayed, and kept on the move; a claim files for what a stage
    made due, once per firm and stage, against the year's budget; the city
    then the province approves it, and the province's approval pays it.
    Every change is an event (docs/rules/ipo.md, "The service").
    =========================================================================
*/

#include <time.h>

#include "ipo_server.h"
#include "ipo_fit.h"
#include "ipo_subsidy.h"

//  The subsidy stages a claim names, and the event that reaches each
const ipo_server_stage_t ipo_server_stages [] = {
    { "REFORM", IPO_EVENT_SHAREHOLDING_REFORMED },
    { "TUTORING", IPO_EVENT_TUTORING_FILED },
    { "APPLICATION", IPO_EVENT_APPLICATION_ACCEPTED },
    { "REGISTRATION", IPO_EVENT_REGISTERED },
    { "TOP_UP", 0 },
    { "NEEQ_LISTING", 0 },
    { "EQUITY", IPO_EVENT_EQUITY_RAISED },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Today as YYYYMMDD: ipo/today, else the clock's date in China Standard
//  Time (UTC+8), the province's day whatever the host's time zone: a date
//  a person types in Shenyang before 08:00 is not "after today"
int32_t
ipo_server_today (void *state)
{
    ipo_server_t *self = (ipo_server_t *) state;
    if (self->today)
        return self->today;
    time_t now = time (NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r (&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

//  The caller, as the request header names it; see the header.
const char *
ipo_server_who (kj_call_t *call)
{
    return kj_call_who (call, "operator");
}

//  --------------------------------------------------------------------------
//  A date of a request into *date: empty is today; never after today
int
ipo_server_date (kj_call_t *call, const char *text, int32_t *date)
{
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    int32_t today = ipo_server_today (self);
    if (!text || !*text) {
        *date = today;
        return 0;
    }
    if (ipo_subsidy_date_parse (text, date))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "date",
                             "date: '%s' is no date YYYY-MM-DD from 2000 to "
                             "2099",
                             text);
    if (*date > today) {
        char buf [16];
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "date",
                             "date: after today (%s)",
                             ipo_date_text (today, buf, sizeof buf));
    }
    return 0;
}

//  True if text is valid UTF-8 without control characters
static bool
s_clean (const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    while (*s) {
        int more = *s < 0x80           ? 0
                 : (*s & 0xE0) == 0xC0 ? 1
                 : (*s & 0xF0) == 0xE0 ? 2
                 : (*s & 0xF8) == 0xF0 ? 3
                                       : -1;
        if (more < 0 || (*s < 0x80 && (*s < 0x20 || *s == 0x7F))
            || (more == 1 && *s < 0xC2))
            return false;
        s++;
        for (int i = 0; i < more; i++, s++)
            if ((*s & 0xC0) != 0x80)
                return false;
    }
    return true;
}

//  A text field: min to max bytes of clean UTF-8; see the header.
int
ipo_server_text (kj_call_t *call, const char *field, const char *text,
                 size_t min, size_t max)
{
    size_t length = strlen (text ? text : "");
    if (!call)
        return length < min || length > max || !s_clean (text ? text : "") ? -1
                                                                           : 0;
    if (length < min || length > max)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                             "%s: %zu bytes; %zu to %zu", field, length, min,
                             max);
    if (!s_clean (text ? text : ""))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                             "%s: not UTF-8 text, or holds control "
                             "characters",
                             field);
    return 0;
}

//  Load a firm (locked with lock) or fail NOT_FOUND
int
ipo_server_firm (kj_call_t *call, const char *code, bool lock,
                 ipo_store_firm_t *firm)
{
    if (ipo_server_text (call, "firm", code, 1, 64))
        return -1;
    int found = ipo_store_firm_load (kj_call_db (call), code, lock, firm);
    if (found < 0)
        return kj_call_fail_db (call);
    if (!found)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "firm",
                             "firm: %s is not in the reserve pool; admit it "
                             "first",
                             code);
    return 0;
}

//  --------------------------------------------------------------------------
//  A board's code, "" for none
const char *
ipo_server_board_code (int board)
{
    return board >= 0 && board < IPO_BOARD_COUNT
             ? ipo_board_code ((ipo_board_id_t) board)
             : "";
}
//  --------------------------------------------------------------------------
//  Make the state from the options; see the header.
void *
ipo_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    kj_config_t *config = kj_service_config (service);
    ipo_server_t *self = (ipo_server_t *) zmalloc (sizeof (ipo_server_t));
    const char *today = kj_config_get (config, "ipo/today");
    if (*today && ipo_subsidy_date_parse (today, &self->today)) {
        free (self);
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "today",
                       "ipo/today: '%s' is no date YYYY-MM-DD from 2000 to "
                       "2099",
                       today);
        return NULL;
    }
    if (ipo_pipeline_tiers_parse (kj_config_get (config, "ipo/tiers"),
                                  &self->tiers, status)) {
        free (self);
        return NULL;
    }
    self->warn_days = (int) kj_config_int (config, "ipo/warn_days");
    self->city_pool_max = kj_config_int (config, "ipo/city_pool_max");
    self->province_pool_max = kj_config_int (config, "ipo/province_pool_max");
    self->city_pool_target = kj_config_int (config, "ipo/city_pool_target");
    snprintf (self->broker, sizeof self->broker, "%s",
              kj_config_get (config, "node/broker"));
    self->subsidy = ipo_subsidy_table (NULL);
    self->board = ipo_board_rules (NULL);
    snprintf (self->fit.broker, sizeof self->fit.broker, "%s", self->broker);
    self->fit.page = (int) kj_config_int (config, "ipo/fit_page");
    self->fit.board = self->board;
    return self;
}

void
ipo_server_destroy (void *self)
{
    free (self);
}

//  The batch fit's part of the state; see the header.
const ipo_fit_config_t *
ipo_server_fit_config (void *state)
{
    return &((ipo_server_t *) state)->fit;
}

const kj_method_t ipo_methods [] = {
    { "Admit", ipo_pool_admit, KJ_WRITE },
    { "Review", ipo_pool_review, KJ_WRITE },
    { "Move", ipo_pool_move, KJ_WRITE },
    { "Refresh", ipo_pool_refresh, KJ_WRITE },
    { "Get", ipo_pool_get, 0 },
    { "List", ipo_pool_list, 0 },
    { "Fit", ipo_fit_firm, 0 },
    { "Claim", ipo_claims_claim, KJ_WRITE },
    { "Approve", ipo_claims_approve, KJ_WRITE },
    { "SetBudget", ipo_claims_set_budget, KJ_WRITE },
    { "Budget", ipo_claims_budget, 0 },
    { "Report", ipo_claims_report, 0 },
    { "Sweep", ipo_pool_sweep, KJ_WRITE },
    { "Raise", ipo_pool_raise, KJ_WRITE },
    { "FitBatch", ipo_fit_batch, KJ_WRITE },
    { "FitShow", ipo_fit_show, 0 },
    { NULL }
};
