/*  =========================================================================
    ipo_claims - kejin-ipo's subsidies and reports: claims filed for what
    a stage made due, approved by the city then the province (the
    province's approval pays), the yearly budget, and the funnel per city

    A claim is filed once per firm and stage against the year's budget;
    docs/rules/ipo.md, "Subsidies", says the rules.
    =========================================================================
*/

#include "ipo_server.h"
#include "ipo_board.h"
#include "ipo_pipeline.h"
#include "ipo_store.h"
#include "ipo_subsidy.h"

//  Largest yearly budget: ¥10bn
#define BUDGET_MAX INT64_C (1000000000000)

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
    msg->board = (char *) ipo_server_board_code (claim->board);
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
int
ipo_claims_claim (kj_call_t *call, const ProtobufCMessage *request,
                  ProtobufCMessage *reply)
{
    const Kj__IpoClaimRequest *in = (const Kj__IpoClaimRequest *) request;
    kj_db_t *db = kj_call_db (call);
    int stage = 0;
    while (
        ipo_server_stages [stage].name
        && strcmp (ipo_server_stages [stage].name, in->stage ? in->stage : ""))
        stage++;
    if (!ipo_server_stages [stage].name)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "stage",
                             "stage: unknown '%s'; REFORM, TUTORING, "
                             "APPLICATION, REGISTRATION, TOP_UP, "
                             "NEEQ_LISTING or EQUITY",
                             in->stage ? in->stage : "");
    bool equity = ipo_server_stages [stage].event == IPO_EVENT_EQUITY_RAISED;
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
    if (ipo_server_date (call, in->date, &date)
        || ipo_server_firm (call, in->firm, true, &firm))
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
int
ipo_claims_approve (kj_call_t *call, const ProtobufCMessage *request,
                    ProtobufCMessage *reply)
{
    const Kj__IpoApproveRequest *in = (const Kj__IpoApproveRequest *) request;
    kj_db_t *db = kj_call_db (call);
    if (in->level != KJ__IPO_LEVEL__IPO_CITY
        && in->level != KJ__IPO_LEVEL__IPO_PROVINCE)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "level",
                             "level: CITY or PROVINCE");
    int32_t date;
    if (ipo_server_text (call, "note", in->note, 0, IPO_NOTE_MAX)
        || ipo_server_date (call, in->date, &date))
        return -1;
    ipo_store_claim_t claim;
    //  The claim's events are its firm's: the firm's lock before the
    //  claim's row lock, which gives the transaction its id (kj_db_lock_key),
    //  so the firm is read first
    int rc = ipo_store_claim_load (db, in->claim, false, &claim);
    if (rc == 1
        && (kj_db_lock_key (db, "ipo.firm", claim.firm)
            || (rc = ipo_store_claim_load (db, in->claim, true, &claim)) < 0))
        rc = -1;
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
int
ipo_claims_set_budget (kj_call_t *call, const ProtobufCMessage *request,
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
int
ipo_claims_budget (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply)
{
    const Kj__IpoBudgetRequest *in = (const Kj__IpoBudgetRequest *) request;
    if (s_year (call, in->year))
        return -1;
    return s_budget_reply (call, in->year, false, (Kj__IpoBudgetReply *) reply);
}

//  --------------------------------------------------------------------------
//  The funnel's rows into the report, by name (ipo_store_funnel; counts
//  are never NULL): 0, or -1 logged
static int
s_report_funnel (kj_call_t *call, const PGresult *res, Kj__IpoReportReply *out)
{
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    enum {
        CITY,
        CANDIDATES,
        POOL,
        PROVINCE,
        TUTORING,
        FILED,
        REGISTERED,
        LISTED,
        AVG_DAYS,
        STALE,
        COLUMNS
    };
    const char *const names [COLUMNS] = { [CITY] = "city",
                                          [CANDIDATES] = "candidates",
                                          [POOL] = "pool",
                                          [PROVINCE] = "province_pool",
                                          [TUTORING] = "tutoring",
                                          [FILED] = "filed",
                                          [REGISTERED] = "registered",
                                          [LISTED] = "listed",
                                          [AVG_DAYS] = "avg_days",
                                          [STALE] = "stale" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS))
        return -1;
    int rows = PQntuples (res);
    out->funnel = (Kj__IpoFunnel **) kj_call_alloc (call,
                                                    (rows + 1)
                                                        * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__IpoFunnel *f = (Kj__IpoFunnel *)
            kj_call_message (call, &kj__ipo_funnel__descriptor);
        f->city = kj_call_strdup (call, PQgetvalue (res, row, col [CITY]));
        int candidates, pool, province, tutoring, filed, registered, listed,
            stale;
        int64_t avg_days;
        if (kj_sql_int_at (res, row, col [CANDIDATES], &candidates)
            || kj_sql_int_at (res, row, col [POOL], &pool)
            || kj_sql_int_at (res, row, col [PROVINCE], &province)
            || kj_sql_int_at (res, row, col [TUTORING], &tutoring)
            || kj_sql_int_at (res, row, col [FILED], &filed)
            || kj_sql_int_at (res, row, col [REGISTERED], &registered)
            || kj_sql_int_at (res, row, col [LISTED], &listed)
            || kj_sql_int64_at (res, row, col [AVG_DAYS], &avg_days)
            || kj_sql_int_at (res, row, col [STALE], &stale))
            return -1;
        f->candidates = (uint32_t) candidates;
        f->pool = (uint32_t) pool;
        f->province_pool = (uint32_t) province;
        f->tutoring = (uint32_t) tutoring;
        f->filed = (uint32_t) filed;
        f->registered = (uint32_t) registered;
        f->listed = (uint32_t) listed;
        f->avg_days_in_stage = avg_days;
        f->stale = (uint32_t) stale;
        f->pool_target = (uint32_t) self->city_pool_target;
        out->funnel [out->n_funnel++] = f;
    }
    return 0;
}

//  Subsidies paid per city and board into the report, by name: 0, or -1
static int
s_report_paid (kj_call_t *call, const PGresult *res, Kj__IpoReportReply *out)
{
    const char *const names [] = { "city", "board", "paid_fen" };
    int col [3];
    if (kj_sql_columns (res, names, col, 3))
        return -1;
    int rows = PQntuples (res);
    out->paid = (Kj__IpoPaid **) kj_call_alloc (call,
                                                (rows + 1) * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__IpoPaid *p = (Kj__IpoPaid *)
            kj_call_message (call, &kj__ipo_paid__descriptor);
        int board;
        p->city = kj_call_strdup (call, PQgetvalue (res, row, col [0]));
        if (kj_sql_int_at (res, row, col [1], &board)
            || kj_sql_int64_at (res, row, col [2], &p->paid_fen))
            return -1;
        p->board = (char *) ipo_server_board_code (board);
        out->paid [out->n_paid++] = p;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Report: the funnel per city against its target, subsidies paid per city
//  and board
int
ipo_claims_report (kj_call_t *call, const ProtobufCMessage *request,
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
    int rc = s_report_funnel (call, res, out);
    PQclear (res);
    if (rc)
        return kj_call_fail_db (call);
    res = ipo_store_paid (kj_call_db (call), city);
    if (!res)
        return kj_call_fail_db (call);
    rc = s_report_paid (call, res, out);
    PQclear (res);
    return rc ? kj_call_fail_db (call) : 0;
}
