/*  =========================================================================
    ipo_pool - kejin-ipo's reserve pool: admission and review, each firm's
    moves through the pipeline and its file, and the sweep that lapses
    letters and registrations and raises alerts

    Each move is checked by ipo_pipeline, recorded with the subsidy it
    makes due (ipo_subsidy on the firm's events replayed) and an event, in
    the handler's transaction (docs/rules/ipo.md, "The service").
    =========================================================================
*/

#include "ipo_server.h"
#include "ipo_board.h"
#include "ipo_pipeline.h"
#include "ipo_store.h"
#include "ipo_subsidy.h"

//  Most moves one firm's file holds: far above any real history (a dozen
//  or two), and a bound on what a caller can make the file and Get grow to
#define MOVES_MAX 500

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

//  A move's message from its record; strings point into rec and date
static void
s_move_fill (Kj__IpoMove *msg, const char *firm, const ipo_store_move_t *rec,
             int64_t id, char *date, size_t size)
{
    msg->id = id;
    msg->firm = (char *) firm;
    msg->from = (Kj__IpoState) rec->from;
    msg->to = (Kj__IpoState) rec->to;
    msg->board = (char *) ipo_server_board_code (rec->board);
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
    for (int i = 0; ipo_server_stages [i].name; i++)
        if (decision->rule == IPO_RULE_STAGE
            && ipo_server_stages [i].event == event)
            return ipo_server_stages [i].name;
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
//  The firm's moves into its file, read by name (ipo_store_moves): 0, or
//  -1 when the database failed or a column that may not be NULL is
static int
s_file_moves (kj_call_t *call, const char *firm, Kj__IpoFirm *out)
{
    PGresult *res = ipo_store_moves (kj_call_db (call), firm);
    if (!res)
        return -1;
    enum {
        ID,
        FROM,
        TO,
        BOARD,
        DAY,
        BY,
        NOTE,
        STAGE,
        DUE,
        RULE,
        LAPSED,
        AT,
        RAISED,
        COLUMNS
    };
    const char *const names [COLUMNS] = { [ID] = "id",
                                          [FROM] = "from_state",
                                          [TO] = "to_state",
                                          [BOARD] = "board",
                                          [DAY] = "day",
                                          [BY] = "by_whom",
                                          [NOTE] = "note",
                                          [STAGE] = "stage",
                                          [DUE] = "due_fen",
                                          [RULE] = "rule",
                                          [LAPSED] = "lapsed",
                                          [AT] = "at_us",
                                          [RAISED] = "amount_fen" };
    int col [COLUMNS];
    int rc = kj_sql_columns (res, names, col, COLUMNS);
    out->n_moves = (size_t) PQntuples (res);
    out->moves = (Kj__IpoMove **) kj_call_alloc (call, (out->n_moves + 1)
                                                           * sizeof (void *));
    for (int row = 0; row < PQntuples (res) && rc == 0; row++) {
        Kj__IpoMove *move = (Kj__IpoMove *)
            kj_call_message (call, &kj__ipo_move__descriptor);
        const char *stage = PQgetvalue (res, row, col [STAGE]);
        ipo_store_move_t rec = {
            .by = kj_call_strdup (call, PQgetvalue (res, row, col [BY])),
            .note = kj_call_strdup (call, PQgetvalue (res, row, col [NOTE])),
            .stage = *stage ? kj_call_strdup (call, stage) : NULL,
            .rule = kj_call_strdup (call, PQgetvalue (res, row, col [RULE]))
        };
        int64_t id;
        if (kj_sql_int64_at (res, row, col [ID], &id)
            || kj_sql_int_at (res, row, col [FROM], &rec.from)
            || kj_sql_int_at (res, row, col [TO], &rec.to)
            || kj_sql_int_at (res, row, col [BOARD], &rec.board)
            || kj_sql_int_at (res, row, col [DAY], &rec.day)
            || kj_sql_int64_at (res, row, col [DUE], &rec.due_fen)
            || kj_sql_bool_at (res, row, col [LAPSED], &rec.lapsed)
            || kj_sql_int64_at (res, row, col [AT], &rec.at_us)
            || kj_sql_int64_at (res, row, col [RAISED], &rec.raised_fen)) {
            rc = -1;
            break;
        }
        s_move_fill (move, out->firm, &rec, id,
                     (char *) kj_call_alloc (call, 16), 16);
        out->moves [row] = move;
    }
    PQclear (res);
    return rc;
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
    out->board = (char *) ipo_server_board_code (pipe->board);
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

    if (s_file_moves (call, firm->firm, out))
        return NULL;

    PGresult *res = ipo_store_claims (db, firm->firm);
    if (!res)
        return NULL;
    int col [IPO_STORE_CLAIM_COLUMNS];
    if (ipo_store_claim_columns (res, col)) {
        PQclear (res);
        return NULL;
    }
    out->n_claims = (size_t) PQntuples (res);
    out->claims = (Kj__IpoClaim **) kj_call_alloc (call, (out->n_claims + 1)
                                                             * sizeof (void *));
    for (int row = 0; row < PQntuples (res); row++) {
        ipo_store_claim_t claim;
        if (ipo_store_claim_row (res, row, col, &claim)) {
            PQclear (res);
            return NULL;
        }
        Kj__IpoClaim *msg = (Kj__IpoClaim *)
            kj_call_message (call, &kj__ipo_claim__descriptor);
        msg->id = claim.id;
        msg->firm = out->firm;
        msg->city = out->city;
        msg->stage = kj_call_strdup (call, claim.stage);
        msg->board = (char *) ipo_server_board_code (claim.board);
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
int
ipo_pool_admit (kj_call_t *call, const ProtobufCMessage *request,
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
        || ipo_server_date (call, in->date, &date))
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
    int added = kj_db_lock_key (db, "ipo.firm", firm.firm)
                  ? -1
                  : ipo_store_firm_insert (db, &firm);
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
int
ipo_pool_review (kj_call_t *call, const ProtobufCMessage *request,
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
    if (ipo_server_text (call, "note", in->note, 0, IPO_NOTE_MAX)
        || ipo_server_date (call, in->date, &date)
        || ipo_server_firm (call, in->firm, true, &firm))
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
int
ipo_pool_move (kj_call_t *call, const ProtobufCMessage *request,
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
    if (ipo_server_text (call, "note", in->note, 0, IPO_NOTE_MAX)
        || ipo_server_date (call, in->date, &date)
        || ipo_server_firm (call, in->firm, true, &firm)
        || s_room (call, firm.firm))
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
int
ipo_pool_raise (kj_call_t *call, const ProtobufCMessage *request,
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
    if (ipo_server_text (call, "note", in->note, 0, IPO_NOTE_MAX)
        || ipo_server_date (call, in->date, &date)
        || ipo_server_firm (call, in->firm, true, &firm)
        || s_room (call, firm.firm))
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
int
ipo_pool_refresh (kj_call_t *call, const ProtobufCMessage *request,
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
        || ipo_server_date (call, in->date, &date)
        || ipo_server_firm (call, in->firm, true, &firm))
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
int
ipo_pool_get (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    const Kj__IpoGetRequest *in = (const Kj__IpoGetRequest *) request;
    ipo_store_firm_t firm;
    if (ipo_server_firm (call, in->firm, false, &firm))
        return -1;
    Kj__IpoFirmReply *out = (Kj__IpoFirmReply *) reply;
    out->firm = s_file (call, &firm);
    return out->firm ? 0 : kj_call_fail_db (call);
}

//  List: a page of the reserve pool's firms, by code
int
ipo_pool_list (kj_call_t *call, const ProtobufCMessage *request,
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
        msg->board = (char *) ipo_server_board_code (f->pipe.board);
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
    const char *const names [] = { "firm" };
    int firm;
    int rc = kj_sql_columns (res, names, &firm, 1);
    for (int row = 0; row < PQntuples (res) && rc == 0; row++) {
        if (own && kj_db_begin (db)) {
            rc = -1;
            break;
        }
        rc = s_sweep_firm (self, db, PQgetvalue (res, row, firm), today,
                           warn_days, lapsed, alerts);
        if (own && rc == 0)
            rc = kj_db_commit (db);
        if (own && rc)
            kj_db_rollback (db);
    }
    PQclear (res);
    return rc;
}

//  Sweep: the job's work on a day of the caller's (not after today)
int
ipo_pool_sweep (kj_call_t *call, const ProtobufCMessage *request,
                ProtobufCMessage *reply)
{
    const Kj__IpoSweepRequest *in = (const Kj__IpoSweepRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    int32_t date;
    if (ipo_server_date (call, in->date, &date))
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
