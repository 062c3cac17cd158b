/*  =========================================================================
    ipo_server - the MDP service "ipo" of kejin-ipo: the reserve pool, each
    firm's pipeline and file, board fit, subsidy claims and the budget

    A move is checked by ipo_pipeline; the subsidy it makes due is decided
    then, by ipo_subsidy on the firm's recorded events replayed, and kept
    on the move; a claim files for what a stage made due, once per firm
    and stage, against the year's budget; the city then the province
    approves it, and the province's approval pays it. Every change is an
    event (docs/rules/ipo.md, "The service").
    =========================================================================
*/

#include <time.h>

#include "ipo_server.h"
#include "ipo_fit.h"
#include "ipo_board.h"
#include "ipo_pipeline.h"
#include "ipo_store.h"
#include "ipo_subsidy.h"
#include "registry.pb-c.h"

struct _ipo_server_t {
    int32_t today;  //  fixed by ipo/today; 0: the clock
    int warn_days;
    int64_t city_pool_max, province_pool_max, city_pool_target;
    char broker [256];  //  for the registry's figures
    const ipo_subsidy_table_t *subsidy;
    const ipo_board_rules_t *board;
    ipo_pipeline_tiers_t tiers;  //  ipo/tiers
    ipo_fit_config_t fit;        //  for batch fit (ipo_fit)
};

//  Longest note a person may add to a move, a review or an approval
#define NOTE_MAX 500
//  Most moves one firm's file holds: far above any real history (a dozen
//  or two), and a bound on what a caller can make the file and Get grow to
#define MOVES_MAX 500
//  Largest yearly budget: ¥10bn
#define BUDGET_MAX INT64_C (1000000000000)

//  The subsidy stages a claim names, and the event that reaches each
static const struct {
    const char *name;
    int event;
} s_stages [] = { { "REFORM", IPO_EVENT_SHAREHOLDING_REFORMED },
                  { "TUTORING", IPO_EVENT_TUTORING_FILED },
                  { "APPLICATION", IPO_EVENT_APPLICATION_ACCEPTED },
                  { "REGISTRATION", IPO_EVENT_REGISTERED },
                  { "TOP_UP", 0 },
                  { "NEEQ_LISTING", 0 },
                  { "EQUITY", IPO_EVENT_EQUITY_RAISED },
                  { NULL } };

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
    const Kj__RequestHeader *header = kj_call_header (call);
    if (header && header->caller && header->caller->identity
        && *header->caller->identity)
        return header->caller->identity;
    return "operator";
}

//  --------------------------------------------------------------------------
//  A date of a request into *date: empty is today; never after today
static int
s_date (kj_call_t *call, const char *text, int32_t *date)
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
static int
s_firm (kj_call_t *call, const char *code, bool lock, ipo_store_firm_t *firm)
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

//  Room for one more move in the firm's file, or fail RESOURCE_EXHAUSTED
static int
s_room (kj_call_t *call, const char *firm)
{
    int64_t count;
    if (ipo_store_move_count (kj_call_db (call), firm, &count) < 0)
        return kj_call_fail_db (call);
    if (count >= MOVES_MAX)
        return kj_call_fail (call, KJ__CODE__RESOURCE_EXHAUSTED, "firm",
                             "firm: its file holds %lld moves, the most it "
                             "may",
                             (long long) count);
    return 0;
}

//  --------------------------------------------------------------------------
//  A board's code, "" for none
static const char *
s_board_code (int board)
{
    return board >= 0 && board < IPO_BOARD_COUNT
             ? ipo_board_code ((ipo_board_id_t) board)
             : "";
}

//  A move's message from its record; strings point into rec and date
static void
s_move_fill (Kj__IpoMove *msg, const char *firm, const ipo_store_move_t *rec,
             int64_t id, char *date, size_t size)
{
    msg->id = id;
    msg->firm = (char *) firm;
    msg->from = (Kj__IpoState) rec->from;
    msg->to = (Kj__IpoState) rec->to;
    msg->board = (char *) s_board_code (rec->board);
    msg->date = (char *) ipo_date_text (rec->day, date, size);
    msg->by = (char *) rec->by;
    msg->note = (char *) (rec->note ? rec->note : "");
    msg->stage = (char *) (rec->stage ? rec->stage : "");
    msg->due_fen = rec->due_fen;
    msg->rule = (char *) (rec->rule ? rec->rule : "");
    msg->lapsed = rec->lapsed;
    msg->at_us = rec->at_us;
    msg->amount_raised_fen = rec->raised_fen;
}

//  The stage a subsidy decision makes due, or NULL
static const char *
s_stage_due (const ipo_subsidy_decision_t *decision, int event)
{
    if (decision->payment_fen <= 0)
        return NULL;
    if (decision->rule == IPO_RULE_TOP_UP)
        return "TOP_UP";
    if (decision->rule == IPO_RULE_NEEQ_LISTING)
        return "NEEQ_LISTING";
    if (decision->rule == IPO_RULE_EQUITY
        || decision->rule == IPO_RULE_EQUITY_CAPPED)
        return "EQUITY";
    for (int i = 0; s_stages [i].name; i++)
        if (decision->rule == IPO_RULE_STAGE && s_stages [i].event == event)
            return s_stages [i].name;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Record a move the pipeline made (step), or with raised > 0 an equity
//  raise on the NEEQ (a step that keeps the state): the subsidy it makes
//  due, the firm saved, the move row and its event ("ipo.firm.moved",
//  "ipo.firm.raised"). The record in *rec, its id in *id. 0, or -1 when
//  the database failed.
static int
s_record (ipo_server_t *self, kj_db_t *db, ipo_store_firm_t *firm,
          const ipo_pipeline_step_t *step, int32_t date, const char *by,
          const char *note, bool lapsed, int64_t raised, ipo_store_move_t *rec,
          int64_t *id)
{
    *rec = (ipo_store_move_t){ .from = step->from,
                               .to = step->to,
                               .board = step->board,
                               .day = date,
                               .by = by,
                               .note = note,
                               .lapsed = lapsed,
                               .event_board = -1,
                               .raised_fen = raised };
    int board = IPO_BOARD_NEEQ;
    int event = raised
                  ? IPO_EVENT_EQUITY_RAISED
                  : ipo_pipeline_subsidy_event (step->to, step->board, &board);
    if (event) {
        ipo_subsidy_firm_t subsidy;
        if (ipo_store_subsidy_firm (db, firm->firm, self->subsidy, &subsidy)
            < 0)
            return -1;
        ipo_subsidy_event_t input = { .board = board,
                                      .event = event,
                                      .date = date,
                                      .has_amount = raised > 0,
                                      .amount_raised_fen = raised };
        ipo_subsidy_decision_t decision;
        kj_status_t status;
        if (ipo_subsidy_apply (self->subsidy, &subsidy, &input, &decision,
                               &status)
            == 0) {
            rec->event = event;
            rec->event_board = board;
            rec->due_fen = decision.payment_fen;
            rec->rule = ipo_subsidy_rule_text (decision.rule);
            rec->stage = s_stage_due (&decision, event);
        }
        else
            kj_warn ("ipo.subsidy", "firm %s: %s", firm->firm, status.message);
    }
    if (step->to == IPO_STATE_CITY_POOL)
        firm->pool = 1;
    if (step->to == IPO_STATE_PROVINCE_POOL)
        firm->pool = 2;
    if (ipo_store_firm_save (db, firm) < 0
        || ipo_store_move_add (db, firm->firm, rec, id) < 0)
        return -1;
    Kj__IpoMove msg = KJ__IPO_MOVE__INIT;
    char text [16];
    s_move_fill (&msg, firm->firm, rec, *id, text, sizeof text);
    return kj_outbox_add (db, raised ? "ipo.firm.raised" : "ipo.firm.moved",
                          firm->firm, &msg.base);
}

//  --------------------------------------------------------------------------
//  The firm's whole file for a reply
static Kj__IpoFirm *
s_file (kj_call_t *call, const ipo_store_firm_t *firm)
{
    kj_db_t *db = kj_call_db (call);
    Kj__IpoFirm *out = (Kj__IpoFirm *)
        kj_call_message (call, &kj__ipo_firm__descriptor);
    out->firm = kj_call_strdup (call, firm->firm);
    out->name = kj_call_strdup (call, firm->name);
    out->city = kj_call_strdup (call, firm->city);
    out->advisers = (Kj__IpoAdvisers *)
        kj_call_message (call, &kj__ipo_advisers__descriptor);
    out->advisers->sponsor = kj_call_strdup (call, firm->sponsor);
    out->advisers->auditor = kj_call_strdup (call, firm->auditor);
    out->advisers->law_firm = kj_call_strdup (call, firm->law_firm);
    const ipo_pipeline_firm_t *pipe = &firm->pipe;
    out->state = (Kj__IpoState) pipe->state;
    out->board = (char *) s_board_code (pipe->board);
    out->tier = (char *)
        ipo_pipeline_tiers_of (&((ipo_server_t *) kj_call_state (call))->tiers,
                               pipe->state);
    char text [16];
    out->since = kj_call_strdup (call, ipo_date_text (pipe->since, text,
                                                      sizeof text));
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    out->refreshed = kj_call_strdup (call, ipo_date_text (firm->refreshed, text,
                                                          sizeof text));
    out->stale = ipo_pipeline_stale (pipe->state, firm->refreshed,
                                     ipo_server_today (self));
    if (pipe->state == IPO_STATE_TUTORING_ACCEPTED)
        out->letter_expires = kj_call_strdup (
            call, ipo_date_text (ipo_date_add_months (pipe->letter,
                                                      IPO_LETTER_MONTHS),
                                 text, sizeof text));
    if (pipe->state == IPO_STATE_REGISTERED)
        out->registration_lapses = kj_call_strdup (
            call, ipo_date_text (ipo_date_add_months (pipe->registered,
                                                      IPO_REGISTRATION_MONTHS),
                                 text, sizeof text));

    PGresult *res = ipo_store_moves (db, firm->firm);
    if (!res)
        return NULL;
    out->n_moves = (size_t) PQntuples (res);
    out->moves = (Kj__IpoMove **) kj_call_alloc (call, (out->n_moves + 1)
                                                           * sizeof (void *));
    for (int row = 0; row < PQntuples (res); row++) {
        Kj__IpoMove *move = (Kj__IpoMove *)
            kj_call_message (call, &kj__ipo_move__descriptor);
        const char *stage = PQgetvalue (res, row, 7);
        ipo_store_move_t rec = {
            .from = atoi (PQgetvalue (res, row, 1)),
            .to = atoi (PQgetvalue (res, row, 2)),
            .board = atoi (PQgetvalue (res, row, 3)),
            .day = atoi (PQgetvalue (res, row, 4)),
            .by = kj_call_strdup (call, PQgetvalue (res, row, 5)),
            .note = kj_call_strdup (call, PQgetvalue (res, row, 6)),
            .stage = *stage ? kj_call_strdup (call, stage) : NULL,
            .due_fen = atoll (PQgetvalue (res, row, 8)),
            .rule = kj_call_strdup (call, PQgetvalue (res, row, 9)),
            .lapsed = *PQgetvalue (res, row, 10) == 't',
            .at_us = atoll (PQgetvalue (res, row, 11)),
            .raised_fen = atoll (PQgetvalue (res, row, 12))
        };
        s_move_fill (move, out->firm, &rec, atoll (PQgetvalue (res, row, 0)),
                     (char *) kj_call_alloc (call, 16), 16);
        out->moves [row] = move;
    }
    PQclear (res);

    res = ipo_store_claims (db, firm->firm);
    if (!res)
        return NULL;
    out->n_claims = (size_t) PQntuples (res);
    out->claims = (Kj__IpoClaim **) kj_call_alloc (call, (out->n_claims + 1)
                                                             * sizeof (void *));
    for (int row = 0; row < PQntuples (res); row++) {
        ipo_store_claim_t claim;
        ipo_store_claim_row (res, row, &claim);
        Kj__IpoClaim *msg = (Kj__IpoClaim *)
            kj_call_message (call, &kj__ipo_claim__descriptor);
        msg->id = claim.id;
        msg->firm = out->firm;
        msg->city = out->city;
        msg->stage = kj_call_strdup (call, claim.stage);
        msg->board = (char *) s_board_code (claim.board);
        msg->amount_fen = claim.amount_fen;
        msg->status = kj_call_strdup (call, claim.status);
        msg->filed = kj_call_strdup (call, ipo_date_text (claim.filed, text,
                                                          sizeof text));
        msg->year = claim.year;
        msg->city_by = kj_call_strdup (call, claim.city_by);
        msg->province_by = kj_call_strdup (call, claim.province_by);
        msg->note = kj_call_strdup (call, claim.note);
        msg->move = claim.move;
        out->claims [row] = msg;
    }
    PQclear (res);
    return out;
}

//  --------------------------------------------------------------------------
//  Admit: a new candidate with its file (一企一档)
static int
s_admit (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__IpoAdmitRequest *in = (const Kj__IpoAdmitRequest *) request;
    Kj__IpoAdvisers none = KJ__IPO_ADVISERS__INIT;
    const Kj__IpoAdvisers *advisers = in->advisers ? in->advisers : &none;
    int32_t date;
    if (ipo_server_text (call, "firm", in->firm, 1, 64)
        || ipo_server_text (call, "name", in->name, 1, 200)
        || ipo_server_text (call, "city", in->city, 1, 32)
        || ipo_server_text (call, "advisers.sponsor", advisers->sponsor, 0, 200)
        || ipo_server_text (call, "advisers.auditor", advisers->auditor, 0, 200)
        || ipo_server_text (call, "advisers.law_firm", advisers->law_firm, 0,
                            200)
        || s_date (call, in->date, &date))
        return -1;
    ipo_store_firm_t firm = { .pool = 0 };
    snprintf (firm.firm, sizeof firm.firm, "%s", in->firm);
    snprintf (firm.name, sizeof firm.name, "%s", in->name);
    snprintf (firm.city, sizeof firm.city, "%s", in->city);
    snprintf (firm.sponsor, sizeof firm.sponsor, "%s", advisers->sponsor);
    snprintf (firm.auditor, sizeof firm.auditor, "%s", advisers->auditor);
    snprintf (firm.law_firm, sizeof firm.law_firm, "%s", advisers->law_firm);
    ipo_pipeline_firm_init (&firm.pipe, date);
    firm.refreshed = date;
    kj_db_t *db = kj_call_db (call);
    int added = ipo_store_firm_insert (db, &firm);
    if (added < 0)
        return kj_call_fail_db (call);
    if (!added)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "firm",
                             "firm: %s is in the reserve pool already",
                             in->firm);
    Kj__IpoFirmReply *out = (Kj__IpoFirmReply *) reply;
    out->firm = s_file (call, &firm);
    if (!out->firm
        || kj_outbox_add (db, "ipo.firm.admitted", firm.firm, &out->firm->base))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  The reply of a move: the move recorded and the firm's file
static int
s_move_reply (kj_call_t *call, const ipo_store_firm_t *firm,
              const ipo_store_move_t *rec, int64_t id, Kj__IpoMoveReply *out)
{
    out->move = (Kj__IpoMove *) kj_call_message (call,
                                                 &kj__ipo_move__descriptor);
    s_move_fill (out->move, kj_call_strdup (call, firm->firm), rec, id,
                 (char *) kj_call_alloc (call, 16), 16);
    out->firm = s_file (call, firm);
    return out->firm ? 0 : kj_call_fail_db (call);
}

//  Review: the city admits a candidate to its pool, the province a city
//  pool firm to the provincial pool; a refusal is an event, no move
static int
s_review (kj_call_t *call, const ProtobufCMessage *request,
          ProtobufCMessage *reply)
{
    const Kj__IpoReviewRequest *in = (const Kj__IpoReviewRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    kj_db_t *db = kj_call_db (call);
    ipo_store_firm_t firm;
    int32_t date;
    if (in->level != KJ__IPO_LEVEL__IPO_CITY
        && in->level != KJ__IPO_LEVEL__IPO_PROVINCE)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "level",
                             "level: CITY or PROVINCE");
    if (ipo_server_text (call, "note", in->note, 0, NOTE_MAX)
        || s_date (call, in->date, &date)
        || s_firm (call, in->firm, true, &firm))
        return -1;
    bool city = in->level == KJ__IPO_LEVEL__IPO_CITY;
    int from = city ? IPO_STATE_CANDIDATE : IPO_STATE_CITY_POOL;
    int to = city ? IPO_STATE_CITY_POOL : IPO_STATE_PROVINCE_POOL;
    if (firm.pipe.state != from)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "level",
                             "level: the firm is %s; the %s reviews firms "
                             "in %s",
                             ipo_pipeline_state_name (firm.pipe.state),
                             city ? _ ("city") : _ ("province"),
                             ipo_pipeline_state_name (from));
    ipo_store_move_t rec;
    int64_t id = 0;
    if (!in->approve) {
        rec = (ipo_store_move_t){ .from = from,
                                  .to = from,
                                  .board = firm.pipe.board,
                                  .day = date,
                                  .by = ipo_server_who (call),
                                  .note = in->note,
                                  .at_us = kj_wall_us () };
        Kj__IpoMove msg = KJ__IPO_MOVE__INIT;
        char text [16];
        s_move_fill (&msg, firm.firm, &rec, 0, text, sizeof text);
        if (kj_outbox_add (db, "ipo.firm.review_refused", firm.firm, &msg.base))
            return kj_call_fail_db (call);
        return s_move_reply (call, &firm, &rec, 0, (Kj__IpoMoveReply *) reply);
    }
    int64_t count, most = city ? self->city_pool_max : self->province_pool_max;
    if (ipo_store_pool_count (db, city ? firm.city : NULL, &count) < 0)
        return kj_call_fail_db (call);
    if (count >= most)
        return kj_call_fail (call, KJ__CODE__RESOURCE_EXHAUSTED, "level",
                             "level: the pool holds %lld firms, its most "
                             "(ipo/%s_pool_max); take a firm out first",
                             (long long) count, city ? "city" : "province");
    ipo_pipeline_step_t step;
    kj_status_t status;
    if (ipo_pipeline_move (&firm.pipe, to, -1, date, &step, &status))
        return kj_call_fail_status (call, &status);
    if (s_record (self, db, &firm, &step, date, ipo_server_who (call), in->note,
                  false, 0, &rec, &id))
        return kj_call_fail_db (call);
    return s_move_reply (call, &firm, &rec, id, (Kj__IpoMoveReply *) reply);
}

//  --------------------------------------------------------------------------
//  Move: a firm's next step on its way, checked by ipo_pipeline
static int
s_move (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__IpoMoveRequest *in = (const Kj__IpoMoveRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    int to = (int) in->to;
    if (to <= 0 || to >= IPO_STATE_END)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "to",
                             "to: unknown state %d", to);
    if (to == IPO_STATE_CITY_POOL || to == IPO_STATE_PROVINCE_POOL)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "to",
                             "to: a pool is entered by its review (Review, "
                             "`kejin ipo pool review`)");
    int board = -1;
    if (in->board && *in->board) {
        board = ipo_board_from_code (in->board);
        if (board < 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "board",
                                 "board: unknown '%s'; MAIN, CHINEXT, STAR "
                                 "or BSE",
                                 in->board);
    }
    ipo_store_firm_t firm;
    int32_t date;
    if (ipo_server_text (call, "note", in->note, 0, NOTE_MAX)
        || s_date (call, in->date, &date)
        || s_firm (call, in->firm, true, &firm) || s_room (call, firm.firm))
        return -1;
    ipo_pipeline_step_t step;
    kj_status_t status;
    if (ipo_pipeline_move (&firm.pipe, to, board, date, &step, &status))
        return kj_call_fail_status (call, &status);
    ipo_store_move_t rec;
    int64_t id;
    if (s_record (self, kj_call_db (call), &firm, &step, date,
                  ipo_server_who (call), in->note, false, 0, &rec, &id))
        return kj_call_fail_db (call);
    return s_move_reply (call, &firm, &rec, id, (Kj__IpoMoveReply *) reply);
}

//  Raise: an equity raise of a firm listed on the NEEQ, recorded in its
//  file as a move that keeps its state; the 1% award it makes due (within
//  the year's cap) is decided then, claimed as stage EQUITY
static int
s_raise (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__IpoRaiseRequest *in = (const Kj__IpoRaiseRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    kj_db_t *db = kj_call_db (call);
    if (in->amount_raised_fen < 1 || in->amount_raised_fen > IPO_MONEY_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "amount_raised_fen",
                             "amount_raised_fen: %lld; 1 to %lld",
                             (long long) in->amount_raised_fen,
                             (long long) IPO_MONEY_MAX);
    ipo_store_firm_t firm;
    int32_t date, last;
    if (ipo_server_text (call, "note", in->note, 0, NOTE_MAX)
        || s_date (call, in->date, &date)
        || s_firm (call, in->firm, true, &firm) || s_room (call, firm.firm))
        return -1;
    if (!firm.pipe.neeq_since)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "firm",
                             "firm: %s is not listed on the NEEQ; only "
                             "equity raised there earns the award",
                             firm.firm);
    if (ipo_store_last_day (db, firm.firm, &last) < 0)
        return kj_call_fail_db (call);
    if (date < last) {
        char text [16];
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "date",
                             "date: before the firm's last move on %s",
                             ipo_date_text (last, text, sizeof text));
    }
    ipo_pipeline_step_t step = { .from = firm.pipe.state,
                                 .to = firm.pipe.state,
                                 .board = firm.pipe.board };
    ipo_store_move_t rec;
    int64_t id;
    if (s_record (self, db, &firm, &step, date, ipo_server_who (call), in->note,
                  false, in->amount_raised_fen, &rec, &id))
        return kj_call_fail_db (call);
    return s_move_reply (call, &firm, &rec, id, (Kj__IpoMoveReply *) reply);
}

//  Refresh: the yearly review of a firm's file, with its advisers as they
//  are now
static int
s_refresh (kj_call_t *call, const ProtobufCMessage *request,
           ProtobufCMessage *reply)
{
    const Kj__IpoRefreshRequest *in = (const Kj__IpoRefreshRequest *) request;
    Kj__IpoAdvisers none = KJ__IPO_ADVISERS__INIT;
    const Kj__IpoAdvisers *advisers = in->advisers ? in->advisers : &none;
    ipo_store_firm_t firm;
    int32_t date;
    if (ipo_server_text (call, "advisers.sponsor", advisers->sponsor, 0, 200)
        || ipo_server_text (call, "advisers.auditor", advisers->auditor, 0, 200)
        || ipo_server_text (call, "advisers.law_firm", advisers->law_firm, 0,
                            200)
        || s_date (call, in->date, &date)
        || s_firm (call, in->firm, true, &firm))
        return -1;
    if (date < firm.refreshed) {
        char last [16];
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "date",
                             "date: before the file's last refresh on %s",
                             ipo_date_text (firm.refreshed, last, sizeof last));
    }
    firm.refreshed = date;
    if (*advisers->sponsor)
        snprintf (firm.sponsor, sizeof firm.sponsor, "%s", advisers->sponsor);
    if (*advisers->auditor)
        snprintf (firm.auditor, sizeof firm.auditor, "%s", advisers->auditor);
    if (*advisers->law_firm)
        snprintf (firm.law_firm, sizeof firm.law_firm, "%s",
                  advisers->law_firm);
    kj_db_t *db = kj_call_db (call);
    if (ipo_store_firm_save (db, &firm) < 0)
        return kj_call_fail_db (call);
    Kj__IpoFirmReply *out = (Kj__IpoFirmReply *) reply;
    out->firm = s_file (call, &firm);
    if (!out->firm
        || kj_outbox_add (db, "ipo.firm.refreshed", firm.firm,
                          &out->firm->base))
        return kj_call_fail_db (call);
    return 0;
}

//  Get: one firm's file
static int
s_get (kj_call_t *call, const ProtobufCMessage *request,
       ProtobufCMessage *reply)
{
    const Kj__IpoGetRequest *in = (const Kj__IpoGetRequest *) request;
    ipo_store_firm_t firm;
    if (s_firm (call, in->firm, false, &firm))
        return -1;
    Kj__IpoFirmReply *out = (Kj__IpoFirmReply *) reply;
    out->firm = s_file (call, &firm);
    return out->firm ? 0 : kj_call_fail_db (call);
}

//  List: a page of the reserve pool's firms, by code
static int
s_list (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__IpoListRequest *in = (const Kj__IpoListRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    if (ipo_server_text (call, "city", in->city, 0, 32)
        || ipo_server_text (call, "after", in->after, 0, 64))
        return -1;
    if ((int) in->state < 0 || (int) in->state >= IPO_STATE_END)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "state",
                             "state: unknown state %d", (int) in->state);
    if (in->limit > 1000)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "limit",
                             "limit: %u; at most 1000", in->limit);
    int limit = in->limit ? (int) in->limit : 100;
    ipo_store_firm_t *firms = (ipo_store_firm_t *)
        kj_call_alloc (call, (size_t) limit * sizeof *firms);
    int rows = ipo_store_firm_list (kj_call_db (call), in->city ? in->city : "",
                                    (int) in->state, in->after ? in->after : "",
                                    limit, firms);
    if (rows < 0)
        return kj_call_fail_db (call);
    Kj__IpoListReply *out = (Kj__IpoListReply *) reply;
    out->firms = (Kj__IpoFirm **) kj_call_alloc (call, (size_t) (rows + 1)
                                                           * sizeof (void *));
    char text [16];
    for (int row = 0; row < rows; row++) {
        const ipo_store_firm_t *f = &firms [row];
        Kj__IpoFirm *msg = (Kj__IpoFirm *)
            kj_call_message (call, &kj__ipo_firm__descriptor);
        msg->firm = (char *) f->firm;
        msg->name = (char *) f->name;
        msg->city = (char *) f->city;
        msg->state = (Kj__IpoState) f->pipe.state;
        msg->board = (char *) s_board_code (f->pipe.board);
        msg->tier = (char *) ipo_pipeline_tiers_of (&self->tiers,
                                                    f->pipe.state);
        msg->since = kj_call_strdup (call, ipo_date_text (f->pipe.since, text,
                                                          sizeof text));
        msg->refreshed = kj_call_strdup (call,
                                         ipo_date_text (f->refreshed, text,
                                                        sizeof text));
        msg->stale = ipo_pipeline_stale (f->pipe.state, f->refreshed,
                                         ipo_server_today (self));
        out->firms [out->n_firms++] = msg;
    }
    if (rows == limit)
        out->next = (char *) firms [rows - 1].firm;
    return 0;
}

//  --------------------------------------------------------------------------
//  The yearly figures of a firm from kejin-registry into input: t0 its
//  latest year with figures, t1 and t2 the two before (all three needed)
static int
s_registry_figures (kj_call_t *call, const char *code, ipo_board_input_t *input)
{
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    kj_client_t *client = kj_client_new (self->broker);
    kj_client_set_timeout (client, 3000);
    Kj__GetEnterpriseRequest get = KJ__GET_ENTERPRISE_REQUEST__INIT;
    get.code = (char *) code;
    Kj__EnterpriseReply *got = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true, .retries = -1 };
    int code_rc = kj_client_call (client, "registry", "GetEnterprise",
                                  &get.base, &kj__enterprise_reply__descriptor,
                                  (ProtobufCMessage **) &got, &status, &opts);
    kj_client_destroy (&client);
    if (code_rc != KJ__CODE__OK) {
        //  The registry's refusal of the code is the caller's to fix;
        //  anything else is the registry not answering
        if (code_rc == KJ__CODE__NOT_FOUND)
            return kj_call_fail (call, KJ__CODE__NOT_FOUND, "firm",
                                 "firm: %s is not in the registry", code);
        if (code_rc == KJ__CODE__INVALID_ARGUMENT)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "firm",
                                 "firm: the registry refuses it: %s",
                                 status.message);
        int rc = kj_call_fail (call, KJ__CODE__UNAVAILABLE, "from_registry",
                               "from_registry: the registry did not answer "
                               "(%s); retry later",
                               status.message);
        return rc;
    }
    const Kj__Enterprise *e = got->enterprise;
    int latest = 0;
    for (size_t i = 0; e && i < e->n_figures; i++)
        if (e->figures [i]->year > latest)
            latest = e->figures [i]->year;
    int found = 0;
    for (size_t i = 0; e && i < e->n_figures; i++) {
        const Kj__YearFigures *year = e->figures [i];
        int t = latest - year->year;
        if (t < 0 || t > 2)
            continue;
        input->np_fen [t] = year->net_profit_fen;
        input->rev_fen [t] = year->revenue_fen;
        input->rd_fen [t] = year->rnd_fen;
        input->ocf_fen [t] = year->operating_cash_flow_fen;
        found |= 1 << t;
    }
    kj__enterprise_reply__free_unpacked (got, NULL);
    if (found != 7)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "from_registry",
                             "from_registry: the registry holds no figures "
                             "for three years running up to %d",
                             latest);
    return 0;
}

//  The shortfalls of an outcome for a reply, on the call's memory
static Kj__IpoShort **
s_shorts (kj_call_t *call, const ipo_board_outcome_t *near)
{
    Kj__IpoShort **shorts = (Kj__IpoShort **)
        kj_call_alloc (call, (near->shorts + 1) * sizeof (void *));
    for (size_t i = 0; i < near->shorts; i++) {
        Kj__IpoShort *s = (Kj__IpoShort *)
            kj_call_message (call, &kj__ipo_short__descriptor);
        s->figure = (char *) ipo_board_figure_name (near->short_of [i].figure);
        s->have = near->short_of [i].have;
        s->need = near->short_of [i].need;
        shorts [i] = s;
    }
    return shorts;
}

//  Fit: which standards the firm meets, and what it lacks for the nearest
static int
s_fit (kj_call_t *call, const ProtobufCMessage *request,
       ProtobufCMessage *reply)
{
    const Kj__IpoFitRequest *in = (const Kj__IpoFitRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    if (!in->figures)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "figures",
                             "figures: required (market cap, ROE and NEEQ "
                             "at least)");
    ipo_board_input_t input;
    ipo_fit_input (in->figures, &input);
    int toward = -1;
    if (in->toward && *in->toward) {
        toward = ipo_board_from_code (in->toward);
        if (toward < 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "toward",
                                 "toward: unknown board '%.32s'; STAR, "
                                 "CHINEXT, MAIN, BSE, NEEQ or REGIONAL",
                                 in->toward);
    }
    if (in->from_registry) {
        if (ipo_server_text (call, "firm", in->firm, 1, 64)
            || s_registry_figures (call, in->firm, &input))
            return -1;
    }
    ipo_board_fit_t fit;
    kj_status_t status;
    if (ipo_board_fit (self->board, &input, IPO_BOARD_ALL, &fit, &status)) {
        char field [sizeof status.field];
        memcpy (field, status.field, sizeof field);
        snprintf (status.field, sizeof status.field, "figures.%.48s", field);
        return kj_call_fail_status (call, &status);
    }
    Kj__IpoFitReply *out = (Kj__IpoFitReply *) reply;
    out->version = (char *) self->board->version;
    out->meets = (char **) kj_call_alloc (call,
                                          (fit.count + 1) * sizeof (char *));
    char name [32];
    for (size_t i = 0; i < fit.count; i++)
        if (fit.outcome [i].met)
            out->meets [out->n_meets++] = kj_call_strdup (
                call, ipo_board_standard_name (fit.outcome [i].standard, name,
                                               sizeof name));
    if (fit.nearest >= 0) {
        const ipo_board_outcome_t *near = &fit.outcome [fit.nearest];
        out->nearest = kj_call_strdup (call,
                                       ipo_board_standard_name (near->standard,
                                                                name,
                                                                sizeof name));
        out->n_shorts = near->shorts;
        out->shorts = s_shorts (call, near);
    }
    //  Toward one board: the nearest of its standards, unless one is met
    ipo_board_fit_t board;
    if (toward >= 0
        && ipo_board_fit (self->board, &input, IPO_BOARD_BIT (toward), &board,
                          &status)
               == 0) {
        bool met = false;
        for (size_t i = 0; i < board.count; i++)
            met |= board.outcome [i].met;
        if (!met && board.nearest >= 0) {
            const ipo_board_outcome_t *near = &board.outcome [board.nearest];
            out->toward_nearest =
                kj_call_strdup (call,
                                ipo_board_standard_name (near->standard, name,
                                                         sizeof name));
            out->n_toward_shorts = near->shorts;
            out->toward_shorts = s_shorts (call, near);
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A claim's message for a reply or an event, on the call's memory
static Kj__IpoClaim *
s_claim_msg (kj_call_t *call, const ipo_store_claim_t *claim)
{
    Kj__IpoClaim *msg = (Kj__IpoClaim *)
        kj_call_message (call, &kj__ipo_claim__descriptor);
    char text [16];
    msg->id = claim->id;
    msg->firm = kj_call_strdup (call, claim->firm);
    msg->city = kj_call_strdup (call, claim->city);
    msg->stage = kj_call_strdup (call, claim->stage);
    msg->board = (char *) s_board_code (claim->board);
    msg->amount_fen = claim->amount_fen;
    msg->status = kj_call_strdup (call, claim->status);
    msg->filed = kj_call_strdup (call, ipo_date_text (claim->filed, text,
                                                      sizeof text));
    msg->year = claim->year;
    msg->city_by = kj_call_strdup (call, claim->city_by);
    msg->province_by = kj_call_strdup (call, claim->province_by);
    msg->note = kj_call_strdup (call, claim->note);
    msg->move = claim->move;
    return msg;
}

//  Claim: file for what a stage the firm reached made due (随报随审),
//  once per firm and stage, within the year's budget
static int
s_claim (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__IpoClaimRequest *in = (const Kj__IpoClaimRequest *) request;
    kj_db_t *db = kj_call_db (call);
    int stage = 0;
    while (s_stages [stage].name
           && strcmp (s_stages [stage].name, in->stage ? in->stage : ""))
        stage++;
    if (!s_stages [stage].name)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "stage",
                             "stage: unknown '%s'; REFORM, TUTORING, "
                             "APPLICATION, REGISTRATION, TOP_UP, "
                             "NEEQ_LISTING or EQUITY",
                             in->stage ? in->stage : "");
    bool equity = s_stages [stage].event == IPO_EVENT_EQUITY_RAISED;
    if (equity && in->move <= 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "move",
                             "move: an EQUITY claim names the raise it is "
                             "for (the id of its move in the firm's file)");
    if (!equity && in->move != 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "move",
                             "move: only an EQUITY claim names a move; a "
                             "stage is claimed once");
    ipo_store_firm_t firm;
    int32_t date;
    if (s_date (call, in->date, &date) || s_firm (call, in->firm, true, &firm))
        return -1;
    ipo_store_claim_t claim = { .filed = date,
                                .year = date / 10000,
                                .move = in->move };
    int rc = ipo_store_claim_find (db, firm.firm, in->stage, in->move, &claim);
    if (rc < 0)
        return kj_call_fail_db (call);
    if (rc)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "stage",
                             "stage: claim %lld for %s is %s already; a "
                             "stage is paid once",
                             (long long) claim.id, in->stage, claim.status);
    rc = ipo_store_stage_due (db, firm.firm, in->stage, in->move,
                              &claim.amount_fen, &claim.board);
    if (rc < 0)
        return kj_call_fail_db (call);
    if (!rc)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "stage",
                             "stage: nothing is due for %s: the firm has "
                             "not reached it, or it pays nothing on the "
                             "firm's board",
                             in->stage);
    int64_t budget, committed, paid;
    rc = ipo_store_budget (db, claim.year, true, &budget, &committed, &paid);
    if (rc < 0)
        return kj_call_fail_db (call);
    if (!rc)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "date",
                             "date: no subsidy budget is set for %d; set "
                             "one first (`kejin ipo budget`)",
                             claim.year);
    int64_t left = budget - committed - paid;
    if (claim.amount_fen > left)
        return kj_call_fail (call, KJ__CODE__RESOURCE_EXHAUSTED, "stage",
                             "stage: the claim needs %lld fen, the budget "
                             "of %d has %lld left",
                             (long long) claim.amount_fen, claim.year,
                             (long long) left);
    snprintf (claim.firm, sizeof claim.firm, "%s", firm.firm);
    snprintf (claim.city, sizeof claim.city, "%s", firm.city);
    snprintf (claim.stage, sizeof claim.stage, "%s", in->stage);
    snprintf (claim.status, sizeof claim.status, "FILED");
    rc = ipo_store_claim_insert (db, &claim);
    if (rc < 0)
        return kj_call_fail_db (call);
    if (!rc)
        return kj_call_fail (call, KJ__CODE__ABORTED, "stage",
                             "stage: another claim for %s came first; "
                             "look at the firm's file",
                             in->stage);
    Kj__IpoClaimReply *out = (Kj__IpoClaimReply *) reply;
    out->claim = s_claim_msg (call, &claim);
    if (kj_outbox_add (db, "ipo.claim.filed", firm.firm, &out->claim->base))
        return kj_call_fail_db (call);
    return 0;
}

//  Approve: the city approves or refuses a filed claim, then the province;
//  the province's approval pays it
static int
s_approve (kj_call_t *call, const ProtobufCMessage *request,
           ProtobufCMessage *reply)
{
    const Kj__IpoApproveRequest *in = (const Kj__IpoApproveRequest *) request;
    kj_db_t *db = kj_call_db (call);
    if (in->level != KJ__IPO_LEVEL__IPO_CITY
        && in->level != KJ__IPO_LEVEL__IPO_PROVINCE)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "level",
                             "level: CITY or PROVINCE");
    int32_t date;
    if (ipo_server_text (call, "note", in->note, 0, NOTE_MAX)
        || s_date (call, in->date, &date))
        return -1;
    ipo_store_claim_t claim;
    int rc = ipo_store_claim_load (db, in->claim, true, &claim);
    if (rc < 0)
        return kj_call_fail_db (call);
    if (!rc)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "claim",
                             "claim: no claim %lld", (long long) in->claim);
    bool city = in->level == KJ__IPO_LEVEL__IPO_CITY;
    const char *awaits = city ? "FILED" : "CITY_APPROVED";
    if (strcmp (claim.status, awaits))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "level",
                             "level: claim %lld is %s; the %s reviews "
                             "claims that are %s",
                             (long long) claim.id, claim.status,
                             city ? _ ("city") : _ ("province"), awaits);
    snprintf (claim.status, sizeof claim.status, "%s",
              !in->approve ? "REFUSED"
              : city       ? "CITY_APPROVED"
                           : "PAID");
    snprintf (city ? claim.city_by : claim.province_by, sizeof claim.city_by,
              "%s", ipo_server_who (call));
    if (in->note && *in->note)
        snprintf (claim.note, sizeof claim.note, "%s", in->note);
    if (ipo_store_claim_save (db, &claim) < 0)
        return kj_call_fail_db (call);
    Kj__IpoClaimReply *out = (Kj__IpoClaimReply *) reply;
    out->claim = s_claim_msg (call, &claim);
    const char *topic = !in->approve ? "ipo.claim.refused"
                      : city         ? "ipo.claim.approved"
                                     : "ipo.claim.paid";
    if (kj_outbox_add (db, topic, claim.firm, &out->claim->base))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  A year's budget into a reply; 0, or -1 after failing the call
static int
s_budget_reply (kj_call_t *call, int year, bool lock, Kj__IpoBudgetReply *out)
{
    int64_t budget, committed, paid;
    int rc = ipo_store_budget (kj_call_db (call), year, lock, &budget,
                               &committed, &paid);
    if (rc < 0)
        return kj_call_fail_db (call);
    out->budget = (Kj__IpoBudget *)
        kj_call_message (call, &kj__ipo_budget__descriptor);
    out->budget->year = year;
    out->budget->budget_fen = budget;
    out->budget->committed_fen = committed;
    out->budget->paid_fen = paid;
    out->budget->left_fen = budget - committed - paid;
    return 0;
}

static int
s_year (kj_call_t *call, int year)
{
    if (year < 2000 || year > 2099)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "year",
                             "year: %d; 2000 to 2099", year);
    return 0;
}

//  SetBudget: a year's subsidy budget, never below what it holds already
static int
s_set_budget (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    const Kj__IpoBudgetRequest *in = (const Kj__IpoBudgetRequest *) request;
    Kj__IpoBudgetReply *out = (Kj__IpoBudgetReply *) reply;
    if (s_year (call, in->year))
        return -1;
    if (in->budget_fen < 0 || in->budget_fen > BUDGET_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "budget_fen",
                             "budget_fen: %lld; 0 to %lld",
                             (long long) in->budget_fen,
                             (long long) BUDGET_MAX);
    if (s_budget_reply (call, in->year, true, out))
        return -1;
    int64_t held = out->budget->committed_fen + out->budget->paid_fen;
    if (in->budget_fen < held)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "budget_fen",
                             "budget_fen: below the %lld fen committed and "
                             "paid in %d",
                             (long long) held, in->year);
    if (ipo_store_budget_set (kj_call_db (call), in->year, in->budget_fen) < 0)
        return kj_call_fail_db (call);
    out->budget->budget_fen = in->budget_fen;
    out->budget->left_fen = in->budget_fen - held;
    if (kj_outbox_add (kj_call_db (call), "ipo.budget.set", NULL,
                       &out->budget->base))
        return kj_call_fail_db (call);
    return 0;
}

//  Budget: a year's budget, committed, paid and left
static int
s_budget (kj_call_t *call, const ProtobufCMessage *request,
          ProtobufCMessage *reply)
{
    const Kj__IpoBudgetRequest *in = (const Kj__IpoBudgetRequest *) request;
    if (s_year (call, in->year))
        return -1;
    return s_budget_reply (call, in->year, false, (Kj__IpoBudgetReply *) reply);
}

//  --------------------------------------------------------------------------
//  Report: the funnel per city against its target, subsidies paid per city
//  and board
static int
s_report (kj_call_t *call, const ProtobufCMessage *request,
          ProtobufCMessage *reply)
{
    const Kj__IpoReportRequest *in = (const Kj__IpoReportRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    Kj__IpoReportReply *out = (Kj__IpoReportReply *) reply;
    if (ipo_server_text (call, "city", in->city, 0, 32))
        return -1;
    const char *city = in->city ? in->city : "";
    PGresult *res = ipo_store_funnel (kj_call_db (call), city,
                                      ipo_server_today (self));
    if (!res)
        return kj_call_fail_db (call);
    int rows = PQntuples (res);
    out->funnel = (Kj__IpoFunnel **) kj_call_alloc (call,
                                                    (rows + 1)
                                                        * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__IpoFunnel *f = (Kj__IpoFunnel *)
            kj_call_message (call, &kj__ipo_funnel__descriptor);
        f->city = kj_call_strdup (call, PQgetvalue (res, row, 0));
        f->candidates = atoi (PQgetvalue (res, row, 1));
        f->pool = atoi (PQgetvalue (res, row, 2));
        f->province_pool = atoi (PQgetvalue (res, row, 3));
        f->tutoring = atoi (PQgetvalue (res, row, 4));
        f->filed = atoi (PQgetvalue (res, row, 5));
        f->registered = atoi (PQgetvalue (res, row, 6));
        f->listed = atoi (PQgetvalue (res, row, 7));
        f->avg_days_in_stage = atoll (PQgetvalue (res, row, 8));
        f->stale = atoi (PQgetvalue (res, row, 9));
        f->pool_target = (uint32_t) self->city_pool_target;
        out->funnel [out->n_funnel++] = f;
    }
    PQclear (res);
    res = ipo_store_paid (kj_call_db (call), city);
    if (!res)
        return kj_call_fail_db (call);
    rows = PQntuples (res);
    out->paid = (Kj__IpoPaid **) kj_call_alloc (call,
                                                (rows + 1) * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__IpoPaid *p = (Kj__IpoPaid *)
            kj_call_message (call, &kj__ipo_paid__descriptor);
        p->city = kj_call_strdup (call, PQgetvalue (res, row, 0));
        p->board = (char *) s_board_code (atoi (PQgetvalue (res, row, 1)));
        p->paid_fen = atoll (PQgetvalue (res, row, 2));
        out->paid [out->n_paid++] = p;
    }
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  The names of alerts, for events
static const char *const s_alert_names [] = { "", "LETTER_EXPIRING",
                                              "REGISTRATION_LAPSING", "STUCK" };

//  One firm of a sweep: what lapsed, then the alert due, once per alert.
//  Adds to *lapsed and *alerts; 0, or -1 when the database failed.
static int
s_sweep_firm (ipo_server_t *self, kj_db_t *db, const char *code, int32_t today,
              int warn_days, uint32_t *lapsed, uint32_t *alerts)
{
    ipo_store_firm_t firm;
    int found = ipo_store_firm_load (db, code, true, &firm);
    if (found <= 0)
        return found;
    ipo_pipeline_step_t step;
    if (ipo_pipeline_expire (&firm.pipe, today, &step)) {
        ipo_store_move_t rec;
        int64_t id;
        if (s_record (self, db, &firm, &step, firm.pipe.since, "kejin-ipo", "",
                      true, 0, &rec, &id))
            return -1;
        (*lapsed)++;
    }
    int32_t deadline = 0;
    ipo_alert_t alert = ipo_pipeline_alert (&firm.pipe, today, warn_days,
                                            &deadline);
    char key [64];
    snprintf (key, sizeof key, "%s/%d", s_alert_names [alert], deadline);
    if (alert == IPO_ALERT_NONE || strcmp (key, firm.alerted) == 0)
        return 0;
    snprintf (firm.alerted, sizeof firm.alerted, "%s", key);
    char day [16], until [16];
    Kj__IpoAlert msg = KJ__IPO_ALERT__INIT;
    msg.firm = firm.firm;
    msg.city = firm.city;
    msg.kind = (char *) s_alert_names [alert];
    msg.state = (Kj__IpoState) firm.pipe.state;
    msg.deadline = (char *) ipo_date_text (deadline, until, sizeof until);
    msg.date = (char *) ipo_date_text (today, day, sizeof day);
    if (ipo_store_firm_save (db, &firm) < 0
        || kj_outbox_add (db, "ipo.alert", firm.firm, &msg.base))
        return -1;
    (*alerts)++;
    return 0;
}

//  Every firm a sweep looks at, each in a transaction of its own unless
//  the caller holds one
static int
s_sweep_all (ipo_server_t *self, kj_db_t *db, int32_t today, int warn_days,
             uint32_t *lapsed, uint32_t *alerts)
{
    PGresult *res = ipo_store_sweep_firms (db);
    if (!res)
        return -1;
    bool own = !kj_db_in_tx (db);
    int rc = 0;
    for (int row = 0; row < PQntuples (res) && rc == 0; row++) {
        if (own && kj_db_begin (db)) {
            rc = -1;
            break;
        }
        rc = s_sweep_firm (self, db, PQgetvalue (res, row, 0), today, warn_days,
                           lapsed, alerts);
        if (own && rc == 0)
            rc = kj_db_commit (db);
        if (own && rc)
            kj_db_rollback (db);
    }
    PQclear (res);
    return rc;
}

//  Sweep: the job's work on a day of the caller's (not after today)
static int
s_sweep (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__IpoSweepRequest *in = (const Kj__IpoSweepRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    int32_t date;
    if (s_date (call, in->date, &date))
        return -1;
    int warn = in->warn_days ? in->warn_days : self->warn_days;
    if (warn < 1 || warn > 365)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "warn_days",
                             "warn_days: %d; 1 to 365", warn);
    Kj__IpoSweepReply *out = (Kj__IpoSweepReply *) reply;
    if (s_sweep_all (self, kj_call_db (call), date, warn, &out->lapsed,
                     &out->alerts))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  The job; see the header.
int
ipo_server_sweep (void *state, kj_db_t *db)
{
    ipo_server_t *self = (ipo_server_t *) state;
    uint32_t lapsed = 0, alerts = 0;
    if (s_sweep_all (self, db, ipo_server_today (self), self->warn_days,
                     &lapsed, &alerts))
        return -1;
    return (int) (lapsed + alerts);
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

const kj_method_t ipo_methods [] = { { "Admit", s_admit, KJ_WRITE },
                                     { "Review", s_review, KJ_WRITE },
                                     { "Move", s_move, KJ_WRITE },
                                     { "Refresh", s_refresh, KJ_WRITE },
                                     { "Get", s_get, 0 },
                                     { "List", s_list, 0 },
                                     { "Fit", s_fit, 0 },
                                     { "Claim", s_claim, KJ_WRITE },
                                     { "Approve", s_approve, KJ_WRITE },
                                     { "SetBudget", s_set_budget, KJ_WRITE },
                                     { "Budget", s_budget, 0 },
                                     { "Report", s_report, 0 },
                                     { "Sweep", s_sweep, KJ_WRITE },
                                     { "Raise", s_raise, KJ_WRITE },
                                     { "FitBatch", ipo_fit_batch, KJ_WRITE },
                                     { "FitShow", ipo_fit_show, 0 },
                                     { NULL } };
