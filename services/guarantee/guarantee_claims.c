/*  =========================================================================
    guarantee_claims - the money path of kejin-guarantee: a claim per
    代偿, its city and provincial reviews, approval by a second operator,
    payment within the year's budget (or a place in the queue for the next
    year's), recoveries shared back (the budget's allotment and reads:
    guarantee_budget.c)

    The amounts come from the rules class guarantee_claim (payable with its
    binding terms, the recovery refund); this file decides the states and
    guards the money (docs/rules/guarantee.md):
    - every write runs in the worker's transaction under an idempotency
      key; a claim's writers take its lock first, then its row;
    - four eyes: whoever submitted a claim can neither review nor approve
      it; a second approval is told "already approved";
    - the budget is taken with one conditional UPDATE; a claim that meets
      a budget with too little left waits, QUEUED, for the next year's;
    - each payment and refund is a balanced ledger transaction; each state
      change and movement an event, in the same transaction.
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_claim.h"
#include "guarantee_ledger.h"
#include "guarantee_store.h"
#include "kj_check.h"

//  Review deadlines in working days (docs/rules/guarantee.md)
#define GUARANTEE_CITY_DAYS     "5"
#define GUARANTEE_PROVINCE_DAYS "25"

//  --------------------------------------------------------------------------
//  The binding terms as text, "rate,per_claim" (as the rules class names
//  them in `kejin guarantee calc --json`).

static void
s_binding_text (unsigned binding, char *buf, size_t size)
{
    static const char *names [] = { "rate", "per_claim", "guarantor",
                                    "budget" };
    *buf = 0;
    for (int term = 0; term < 4; term++)
        if (binding & (1u << term)) {
            if (*buf)
                strncat (buf, ",", size - strlen (buf) - 1);
            strncat (buf, names [term], size - strlen (buf) - 1);
        }
}

//  A claim id from a request: above 0.
static int
s_check_claim_id (kj_call_t *call, int64_t id)
{
    if (id <= 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "claim_id",
                             "claim_id: %" PRId64 "; a claim id is above 0",
                             id);
    return 0;
}

//  Take the claim's lock, then its row, for a change: the claim into
//  *claim_p. 0, or -1 with the call failed.
static int
s_claim_for_change (kj_call_t *call, int64_t id, Kj__Claim **claim_p)
{
    char key [24];
    snprintf (key, sizeof key, "%" PRId64, id);
    if (kj_db_lock_key (kj_call_db (call), "guarantee.claim", key))
        return kj_call_fail_db (call);
    return guarantee_store_claim (call, id, true, "claim_id", claim_p);
}

//  Read the claim back into the reply and announce it under `topic`.
static int
s_claim_changed (kj_call_t *call, int64_t id, const char *topic,
                 ProtobufCMessage *reply)
{
    Kj__Claim *claim;
    if (guarantee_store_claim (call, id, false, "claim_id", &claim))
        return -1;
    *(Kj__Claim *) reply = *claim;
    char key [24];
    snprintf (key, sizeof key, "%" PRId64, id);
    return guarantee_server_event (call, topic, key, reply);
}

//  --------------------------------------------------------------------------
//  Suspension: a guarantor, or the bank of the guarantee's agreement, whose
//  代偿 pass the configured share of what it guaranteed takes no new claim.
//  0, or -1 with the call failed.

static int
s_check_suspension (kj_call_t *call, const char *loan)
{
    const guarantee_config_t *config = kj_call_state (call);
    if (!config || config->suspend_loss_ratio_bp == 0)
        return 0;
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "WITH me AS (SELECT g.guarantor_id, a.bank FROM guarantee g"
        "  LEFT JOIN agreement a ON a.id = g.agreement_id"
        "   AND a.version = g.agreement_version WHERE g.loan_id = $1),"
        " book AS (SELECT g.guarantor_id, a.bank, g.amount_fen,"
        "  (SELECT coalesce (sum (amount_fen), 0) FROM daichang d"
        "   WHERE d.loan_id = g.loan_id) AS lost FROM guarantee g"
        "  LEFT JOIN agreement a ON a.id = g.agreement_id"
        "   AND a.version = g.agreement_version) "
        "SELECT 'guarantor ' || me.guarantor_id,"
        "  (SELECT sum (lost) FROM book WHERE book.guarantor_id"
        "   = me.guarantor_id)::bigint,"
        "  (SELECT sum (amount_fen) FROM book WHERE book.guarantor_id"
        "   = me.guarantor_id)::bigint FROM me "
        "UNION ALL "
        "SELECT 'bank ' || me.bank,"
        "  (SELECT sum (lost) FROM book WHERE book.bank = me.bank)::bigint,"
        "  (SELECT sum (amount_fen) FROM book WHERE book.bank = me.bank)"
        "  ::bigint FROM me WHERE me.bank IS NOT NULL",
        1, (const char *[]){ loan });
    if (!res)
        return kj_call_fail_db (call);
    int rc = 0;
    for (int row = 0; row < PQntuples (res) && rc == 0; row++) {
        int64_t lost = atoll (PQgetvalue (res, row, 1));
        int64_t guaranteed = atoll (PQgetvalue (res, row, 2));
        if (guaranteed <= 0
            || (__int128) lost * 10000
                   <= (__int128) config->suspend_loss_ratio_bp * guaranteed)
            continue;
        int64_t ratio = (int64_t) ((__int128) lost * 10000 / guaranteed);
        rc = kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "daichang_id",
                           "daichang_id: %s is suspended from new claims: its "
                           "代偿 of %" PRId64 " fen are %" PRId64 " bp of the "
                           "%" PRId64 " fen it guaranteed, past the threshold "
                           "of %" PRId64 " bp",
                           PQgetvalue (res, row, 0), lost, ratio, guaranteed,
                           config->suspend_loss_ratio_bp);
    }
    PQclear (res);
    return rc;
}

//  --------------------------------------------------------------------------
//  SubmitClaim: one claim per 代偿, for a guarantee that qualifies. The
//  entitlement is what the rules give within the rate, the per-claim cap
//  and the guarantor's yearly cap left; payable_fen is that within the
//  budget left now as well, with the terms that bind.

int
guarantee_submit_claim (kj_call_t *call, const ProtobufCMessage *request,
                        ProtobufCMessage *reply)
{
    const Kj__ClaimSubmitRequest *in = (const Kj__ClaimSubmitRequest *) request;
    kj_audit_object_n (call, "daichang", in->daichang_id);
    const char *caller = guarantee_server_caller (call);
    if (!caller)
        return -1;
    if (in->daichang_id <= 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "daichang_id",
                             "daichang_id: %" PRId64 "; a 代偿 id is above 0",
                             in->daichang_id);
    kj_db_t *db = kj_call_db (call);
    char daichang [24];
    snprintf (daichang, sizeof daichang, "%" PRId64, in->daichang_id);
    if (kj_db_lock_key (db, "guarantee.daichang", daichang))
        return kj_call_fail_db (call);
    PGresult *res = kj_db_exec (
        db,
        "SELECT d.amount_fen, g.loan_id, g.guarantor_id, g.qualifies,"
        "  g.reason, coalesce (a.rate_bp, 0),"
        "  coalesce (a.per_claim_cap_fen, 0),"
        "  greatest (r.yearly_cap_fen - (SELECT coalesce (sum (amount_fen), 0)"
        "    FROM payment p WHERE p.guarantor_id = g.guarantor_id"
        "    AND p.year = y.year), 0),"
        "  coalesce ((SELECT remaining_fen FROM budget_left b"
        "             WHERE b.year = y.year), 0),"
        "  y.year, (SELECT id FROM claim WHERE daichang_id = d.id) "
        "FROM daichang d JOIN guarantee g ON g.loan_id = d.loan_id "
        "JOIN guarantor r ON r.id = g.guarantor_id "
        "LEFT JOIN agreement a ON a.id = g.agreement_id"
        "  AND a.version = g.agreement_version "
        "CROSS JOIN (SELECT extract (year FROM current_date)::int AS year) y "
        "WHERE d.id = $1::bigint",
        1, (const char *[]){ daichang });
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "daichang_id",
                             "daichang_id: no 代偿 %s", daichang);
    }
    guarantee_comp_t comp = {
        .daichang_fen = atoll (PQgetvalue (res, 0, 0)),
        .rate_bp = atoll (PQgetvalue (res, 0, 5)),
        .per_claim_cap_fen = atoll (PQgetvalue (res, 0, 6)),
        .guarantor_cap_left_fen = atoll (PQgetvalue (res, 0, 7)),
        .budget_left_fen = atoll (PQgetvalue (res, 0, 8))
    };
    char *loan = kj_call_strdup (call, PQgetvalue (res, 0, 1));
    char *guarantor = kj_call_strdup (call, PQgetvalue (res, 0, 2));
    bool qualifies = streq (PQgetvalue (res, 0, 3), "t");
    char *reason = kj_call_strdup (call, PQgetvalue (res, 0, 4));
    char *year = kj_call_strdup (call, PQgetvalue (res, 0, 9));
    char *existing = PQgetisnull (res, 0, 10)
                       ? NULL
                       : kj_call_strdup (call, PQgetvalue (res, 0, 10));
    PQclear (res);
    if (existing)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "daichang_id",
                             "daichang_id: 代偿 %s already has claim %s; "
                             "one claim per 代偿",
                             daichang, existing);
    if (!qualifies)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "daichang_id",
                             "daichang_id: the guarantee of "
                             "loan %s %s",
                             loan, reason);
    if (s_check_suspension (call, loan))
        return -1;
    kj_status_t status;
    if (guarantee_comp_check (&comp, &status))
        return kj_call_fail_status (call, &status);
    unsigned binding;
    int64_t payable = guarantee_comp_payable (&comp, &binding);
    guarantee_comp_t unbounded = comp;
    unbounded.budget_left_fen = INT64_MAX;
    int64_t entitled = guarantee_comp_payable (&unbounded, NULL);

    char text [5][24], binding_text [48];
    snprintf (text [0], 24, "%" PRId64, comp.daichang_fen);
    snprintf (text [1], 24, "%" PRId64, comp.rate_bp);
    snprintf (text [2], 24, "%" PRId64, entitled);
    snprintf (text [3], 24, "%" PRId64, payable);
    s_binding_text (binding, binding_text, sizeof binding_text);
    res = kj_db_exec (
        db,
        "INSERT INTO claim (daichang_id, loan_id, guarantor_id, state, "
        "daichang_fen, rate_bp, entitled_fen, payable_fen, binding, "
        "budget_year, submitted_by, city_due) VALUES ($1::bigint, $2, $3, "
        "'SUBMITTED', $4::bigint, $5::int, $6::bigint, $7::bigint, $8, "
        "$9::int, $10, add_working_days (current_date, " GUARANTEE_CITY_DAYS
        ")) RETURNING id",
        10,
        (const char *[]){ daichang, loan, guarantor, text [0], text [1],
                          text [2], text [3], binding_text, year, caller });
    if (!res) {
        if (streq (kj_db_sqlstate (db), "23505"))
            return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "daichang_id",
                                 "daichang_id: 代偿 %s "
                                 "already has a claim",
                                 daichang);
        return kj_call_fail_db (call);
    }
    int64_t id = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    //  A new claim: no transaction can know its id before this one
    //  commits, so its lock, taken now, still comes before any other
    //  transaction's change of it (kj_db_lock_key)
    char key [24];
    snprintf (key, sizeof key, "%" PRId64, id);
    if (kj_db_lock_key (db, "guarantee.claim", key))
        return kj_call_fail_db (call);
    return s_claim_changed (call, id, "guarantee.claim.submitted", reply);
}

//  --------------------------------------------------------------------------
//  ReviewClaim: the city's review of a submitted claim, then the
//  province's; either may reject it with a reason. The province's
//  deadline is set when the city's review is done.

int
guarantee_review_claim (kj_call_t *call, const ProtobufCMessage *request,
                        ProtobufCMessage *reply)
{
    const Kj__ClaimReviewRequest *in = (const Kj__ClaimReviewRequest *) request;
    kj_audit_object_n (call, "claim", in->claim_id);
    const char *caller = guarantee_server_caller (call);
    if (!caller || s_check_claim_id (call, in->claim_id))
        return -1;
    bool city = streq (in->level, "city");
    if (!city && !streq (in->level, "province"))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "level",
                             "level: '%.20s'; \"city\" or \"province\"",
                             in->level);
    kj_status_t status;
    if (kj_check_text (in->reason, "reason", 500, in->reject, &status))
        return kj_call_fail_status (call, &status);
    Kj__Claim *claim;
    if (s_claim_for_change (call, in->claim_id, &claim))
        return -1;
    const char *expected = city ? "SUBMITTED" : "CITY_REVIEWED";
    if (!streq (claim->state, expected))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " is %s; a %s review "
                             "takes a claim that is %s",
                             claim->id, claim->state, in->level, expected);
    if (streq (caller, claim->submitted_by))
        return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "caller",
                             "caller: %s submitted claim %" PRId64 " and "
                             "cannot review it (four eyes)",
                             caller, claim->id);
    const char *state = in->reject ? "REJECTED"
                      : city       ? "CITY_REVIEWED"
                                   : "PROVINCE_REVIEWED";
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, claim->id);
    if (kj_db_run (
            kj_call_db (call),
            "UPDATE claim SET state = $2, reason = $3,"
            " city_reviewed_by = CASE WHEN $4 THEN $5 ELSE city_reviewed_by "
            "END,"
            " city_reviewed_at = CASE WHEN $4 THEN now ()"
            "                    ELSE city_reviewed_at END,"
            " province_due = CASE WHEN $4 AND $2 <> 'REJECTED'"
            "   THEN add_working_days (current_date, " GUARANTEE_PROVINCE_DAYS
            ")"
            "   ELSE province_due END,"
            " province_reviewed_by = CASE WHEN $4 THEN province_reviewed_by"
            "                        ELSE $5 END,"
            " province_reviewed_at = CASE WHEN $4 THEN province_reviewed_at"
            "                        ELSE now () END "
            "WHERE id = $1::bigint",
            5,
            (const char *[]){ id, state, in->reason, city ? "t" : "f", caller })
        != 1)
        return kj_call_fail_db (call);
    return s_claim_changed (call, claim->id,
                            in->reject ? "guarantee.claim.rejected"
                            : city     ? "guarantee.claim.city_reviewed"
                                       : "guarantee.claim.province_reviewed",
                            reply);
}

//  --------------------------------------------------------------------------
//  ApproveClaim: once, by an operator who did not submit the claim, after
//  both reviews.

int
guarantee_approve_claim (kj_call_t *call, const ProtobufCMessage *request,
                         ProtobufCMessage *reply)
{
    const Kj__ClaimApproveRequest *in = (const Kj__ClaimApproveRequest *)
        request;
    kj_audit_object_n (call, "claim", in->claim_id);
    const char *caller = guarantee_server_caller (call);
    if (!caller || s_check_claim_id (call, in->claim_id))
        return -1;
    Kj__Claim *claim;
    if (s_claim_for_change (call, in->claim_id, &claim))
        return -1;
    if (*claim->approved_by)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " already approved "
                             "by %s",
                             claim->id, claim->approved_by);
    if (!streq (claim->state, "PROVINCE_REVIEWED"))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " is %s; it is "
                             "approved after the city's and the province's "
                             "reviews",
                             claim->id, claim->state);
    if (streq (caller, claim->submitted_by))
        return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "caller",
                             "caller: %s submitted claim %" PRId64 " and "
                             "cannot approve it (four eyes)",
                             caller, claim->id);
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, claim->id);
    if (kj_db_run (kj_call_db (call),
                   "UPDATE claim SET state = 'APPROVED', approved_by = $2,"
                   " approved_at = now () WHERE id = $1::bigint",
                   2, (const char *[]){ id, caller })
        != 1)
        return kj_call_fail_db (call);
    return s_claim_changed (call, claim->id, "guarantee.claim.approved", reply);
}

//  --------------------------------------------------------------------------
//  Queue a claim the budget of its year cannot pay: it waits, keeping its
//  place, for the next year's. Any writes of the payment are undone first
//  (to the savepoint, when `undo`). One round trip: the claim queued is the
//  claim as read with the three fields the UPDATE sets (state, budget_year,
//  reason), the reply and the event's payload, nothing read back.

static int
s_claim_queue (kj_call_t *call, const Kj__Claim *claim, int64_t left,
               int64_t amount, bool undo, ProtobufCMessage *reply)
{
    kj_db_t *db = kj_call_db (call);
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, claim->id);
    char *reason = kj_call_printf (call,
                                   "the %d budget has %" PRId64
                                   " fen left, the claim needs %" PRId64
                                   "; it waits for the %d budget",
                                   claim->budget_year, left, amount,
                                   claim->budget_year + 1);
    Kj__Claim *queued = (Kj__Claim *) reply;
    *queued = *claim;
    queued->state = "QUEUED";
    queued->budget_year = claim->budget_year + 1;
    queued->reason = reason;
    kj_outbox_row_t event;
    const kj_db_query_t writes [] = {
        { "ROLLBACK TO SAVEPOINT guarantee_pay", 0, NULL },
        { "UPDATE claim SET state = 'QUEUED', budget_year = budget_year + 1,"
          " queued_at = coalesce (queued_at, now ()), reason = $2 "
          "WHERE id = $1::bigint",
          2, (const char *[]){ id, reason } },
        kj_outbox_row (db, "guarantee.claim.queued", id, reply, &event)
    };
    int count = undo ? 3 : 2;
    PGresult *done [3];
    int rc = kj_db_exec_many (db, undo ? writes : writes + 1, count, done);
    kj_outbox_row_free (&event);
    if (rc)
        return kj_call_fail_db (call);
    bool written = streq (PQcmdTuples (done [count - 2]), "1")
                && streq (PQcmdTuples (done [count - 1]), "1");
    for (int i = 0; i < count; i++)
        PQclear (done [i]);
    if (!written)
        return kj_call_fail (call, KJ__CODE__INTERNAL, "claim_id",
                             "claim_id: claim %" PRId64 " was not queued",
                             claim->id);
    return 0;
}

//  Pro rata: with the budget row locked, the amount is the claim's share
//  of what is left in proportion to the entitlements approved and unpaid
//  for the year (this claim's among them): floor (amount x left / demand),
//  the product formed in 128 bits. Paying every such claim in turn keeps
//  the same ratio, and never more than is left. 0, or -1 with the call
//  failed; *amount_p and *left_p updated, *reason_p says why it is less.

static int
s_pro_rata (kj_call_t *call, const Kj__Claim *claim, int64_t *amount_p,
            int64_t *left_p, const char **reason_p)
{
    char year [16];
    snprintf (year, sizeof year, "%d", claim->budget_year);
    const char *params [] = { year };
    const kj_db_query_t queries [] = {
        { "SELECT remaining_fen FROM budget WHERE year = $1::int FOR UPDATE", 1,
          params },
        //  after the lock: every payer's commit before it is seen
        { "SELECT coalesce (sum (entitled_fen), 0)::text FROM claim"
          " WHERE budget_year = $1::int AND state IN ('APPROVED', 'QUEUED')",
          1, params }
    };
    PGresult *res [2];
    if (kj_db_exec_many (kj_call_db (call), queries, 2, res))
        return kj_call_fail_db (call);
    *left_p = PQntuples (res [0]) ? atoll (PQgetvalue (res [0], 0, 0)) : 0;
    int64_t demand = atoll (PQgetvalue (res [1], 0, 0));
    PQclear (res [0]);
    PQclear (res [1]);
    if (demand > *left_p && demand > 0) {
        int64_t share = (int64_t) ((__int128) *amount_p * *left_p / demand);
        *reason_p = kj_call_printf (call,
                                    "paid pro rata: the %d budget had %" PRId64
                                    " fen left for %" PRId64 " fen of "
                                    "approved claims",
                                    claim->budget_year, *left_p, demand);
        *amount_p = share < *amount_p ? share : *amount_p;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  PayClaim: an approved (or queued) claim, from the budget of its year.
//  Claims queued for a year go first, in the order they were queued. The
//  amount is the entitlement within the guarantor's yearly cap left (its
//  row locked, so its payments are summed by one payer at a time); the
//  budget is guarded as guarantee/budget_guard says. Too little left: the
//  claim waits, QUEUED, for the next year's budget, or with
//  guarantee/shortfall=pro_rata is paid its share of what is left.
//
//  Round trips: the claim's lock, its row, its guarantor's and the
//  budget's in one pipeline; the payment, the claim, the ledger and the
//  event in one pipeline; the budget, last, so that the row every payer
//  waits for is held only until the commit (with the commit guard, not
//  even that: a trigger takes it at commit; with the slice guard, in the
//  pipeline before).

int
guarantee_pay_claim (kj_call_t *call, const ProtobufCMessage *request,
                     ProtobufCMessage *reply)
{
    const Kj__ClaimPayRequest *in = (const Kj__ClaimPayRequest *) request;
    kj_audit_object_n (call, "claim", in->claim_id);
    const char *caller = guarantee_server_caller (call);
    if (!caller || s_check_claim_id (call, in->claim_id))
        return -1;
    const guarantee_config_t *config = kj_call_state (call);
    int guard = config ? (int) config->guard : GUARANTEE_GUARD_SLICE;
    bool pro_rata = config && config->pro_rata;
    kj_db_t *db = kj_call_db (call);
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, in->claim_id);
    const char *params [] = { id };
    kj_db_locked_key (db, id);  //  the first statement below takes it
    const kj_db_query_t reads [] = {
        //  The claim's lock (kj_db_lock_key's), before its row
        { "SELECT pg_advisory_xact_lock (" KJ_LOCK_ENTITY
          ", hashtext ('guarantee.claim:' || $1))",
          1, params },
        { "SELECT " GUARANTEE_CLAIM_FIELDS " FROM claim"
          " WHERE id = $1::bigint FOR UPDATE",
          1, params },
        { "SELECT (SELECT q.id FROM claim q WHERE q.state = 'QUEUED'"
          "   AND q.budget_year = c.budget_year AND q.id <> c.id"
          "   AND (q.queued_at, q.id) < (coalesce (c.queued_at, 'infinity'),"
          "   c.id) ORDER BY q.queued_at, q.id LIMIT 1),"
          " b.remaining_fen, r.yearly_cap_fen "
          "FROM claim c JOIN guarantor r ON r.id = c.guarantor_id"
          " LEFT JOIN budget_left b ON b.year = c.budget_year "
          "WHERE c.id = $1::bigint FOR UPDATE OF r",
          1, params },
        //  after the guarantor's lock: every payment of it committed
        //  before is seen
        { "SELECT coalesce (sum (p.amount_fen), 0) FROM claim c"
          " JOIN payment p ON p.guarantor_id = c.guarantor_id"
          " AND p.year = c.budget_year WHERE c.id = $1::bigint",
          1, params }
    };
    PGresult *res [4];
    if (kj_db_exec_many (db, reads, 4, res))
        return kj_call_fail_db (call);
    bool found = PQntuples (res [1]) == 1 && PQntuples (res [2]) == 1;
    Kj__Claim *claim = found ? guarantee_store_claim_row (call, res [1], 0)
                             : NULL;
    char *ahead = found && !PQgetisnull (res [2], 0, 0)
                    ? kj_call_strdup (call, PQgetvalue (res [2], 0, 0))
                    : NULL;
    bool budgeted = found && !PQgetisnull (res [2], 0, 1);
    int64_t left = budgeted ? atoll (PQgetvalue (res [2], 0, 1)) : 0;
    int64_t cap = found ? atoll (PQgetvalue (res [2], 0, 2)) : 0;
    int64_t paid = atoll (PQgetvalue (res [3], 0, 0));
    for (int i = 0; i < 4; i++)
        PQclear (res [i]);
    if (!found)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "claim_id",
                             "claim_id: no claim %s", id);
    if (streq (claim->state, "PAID"))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " is already paid "
                             "(%" PRId64 " fen)",
                             claim->id, claim->paid_fen);
    if (!streq (claim->state, "APPROVED") && !streq (claim->state, "QUEUED"))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " is %s; only an "
                             "approved claim is paid",
                             claim->id, claim->state);
    if (ahead)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %s waits for the %d budget "
                             "ahead of claim %" PRId64 "; pay it first",
                             ahead, claim->budget_year, claim->id);
    if (!budgeted)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: no budget is allotted for %d, the "
                             "year that pays claim %" PRId64,
                             claim->budget_year, claim->id);
    guarantee_comp_t comp = {
        .daichang_fen = claim->daichang_fen,
        .rate_bp = claim->rate_bp,
        .per_claim_cap_fen = claim->entitled_fen,
        .guarantor_cap_left_fen = cap > paid ? cap - paid : 0,
        .budget_left_fen = INT64_MAX  //  guarded below
    };
    int64_t amount = guarantee_comp_payable (&comp, NULL);
    if (amount == 0)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " has nothing to pay: "
                             "its entitlement is %" PRId64 " fen and guarantor "
                             "%s has %" PRId64 " fen of its %d cap left",
                             claim->id, claim->entitled_fen,
                             claim->guarantor_id, comp.guarantor_cap_left_fen,
                             claim->budget_year);
    //  What is left: read under the budget's lock (the lock guard, and pro
    //  rata, which needs the demand beside it), else the hint read above
    const char *reason = "";
    int64_t needed = amount;
    if (pro_rata) {
        if (s_pro_rata (call, claim, &amount, &left, &reason))
            return -1;
        guard = GUARANTEE_GUARD_LOCK;
    }
    else if (guard == GUARANTEE_GUARD_LOCK) {
        char year [16];
        snprintf (year, sizeof year, "%d", claim->budget_year);
        PGresult *locked =
            kj_db_exec (db,
                        "SELECT remaining_fen FROM budget WHERE year = $1::int "
                        "FOR UPDATE",
                        1, (const char *[]){ year });
        if (!locked)
            return kj_call_fail_db (call);
        left = atoll (PQgetvalue (locked, 0, 0));
        PQclear (locked);
    }
    if (amount == 0 || left < amount)
        return s_claim_queue (call, claim, left, needed, false, reply);

    //  The payment, the ledger, the claim and its event in one round trip,
    //  the first three in one statement; the savepoint lets a conditional
    //  UPDATE that finds too little undo them (the commit guard needs none:
    //  a short budget fails the commit, and the worker runs the payment
    //  again). The claim paid is the claim read above with the three
    //  fields the UPDATE sets: the reply and the event's payload
    char year [16], amount_text [24], account [80], budget_account [24];
    snprintf (year, sizeof year, "%d", claim->budget_year);
    snprintf (amount_text, sizeof amount_text, "%" PRId64, amount);
    snprintf (account, sizeof account, "compensation:%s", claim->guarantor_id);
    snprintf (budget_account, sizeof budget_account, "budget:%d",
              claim->budget_year);
    bool at_commit = guard == GUARANTEE_GUARD_COMMIT;
    //  The slice guard takes in the same round trip: its rows are many,
    //  so holding one a round trip longer costs no other payer a wait
    bool sliced = guard == GUARANTEE_GUARD_SLICE;
    const char *pay [] = { id,          year,    claim->guarantor_id,
                           amount_text, caller,  at_commit ? "t" : "f",
                           reason,      account, budget_account };
    char slices [16], hint [16];
    snprintf (slices, sizeof slices, "%d", config ? config->slices : 1);
    snprintf (hint, sizeof hint, "%d",
              (int) (claim->id % (config ? config->slices : 1)));
    const char *take [] = { year, amount_text, slices, hint };
    Kj__Claim *paid_claim = (Kj__Claim *) reply;
    *paid_claim = *claim;
    paid_claim->state = "PAID";
    paid_claim->paid_fen = amount;
    paid_claim->reason = (char *) reason;
    kj_outbox_row_t event;
    const kj_db_query_t writes [] = {
        { "SAVEPOINT guarantee_pay", 0, NULL },
        //  The ledger's transaction (as GUARANTEE_LEDGER_POST_SQL posts
        //  it: the guarantor's compensation debited, the budget credited),
        //  the payment and the claim; one row, the entries posted
        { "WITH txn AS (INSERT INTO ledger_txn (kind, claim_id, year)"
          "  VALUES ('pay', $1::bigint, $2::int) RETURNING id),"
          " entry AS (INSERT INTO ledger_entry (txn_id, account, debit_fen,"
          "  credit_fen) SELECT id, $8, $4::bigint, 0 FROM txn"
          "  UNION ALL SELECT id, $9, 0, $4::bigint FROM txn RETURNING id),"
          " pay AS (INSERT INTO payment (claim_id, year, guarantor_id,"
          "  amount_fen, paid_by, take_at_commit) VALUES ($1::bigint, $2::int,"
          "  $3, $4::bigint, $5, $6::boolean)) "
          "UPDATE claim SET state = 'PAID', paid_fen = $4::bigint, reason = $7"
          " WHERE id = $1::bigint RETURNING (SELECT count (*) FROM entry)",
          9, pay },
        kj_outbox_row (db, "guarantee.claim.paid", id, reply, &event),
        { GUARANTEE_BUDGET_TAKE_SLICE_SQL, 4, take }
    };
    //  From the savepoint, or (commit guard) from the payment
    const kj_db_query_t *from = at_commit ? writes + 1 : writes;
    int count = at_commit ? 2 : sliced ? 4 : 3;
    PGresult *done [4];
    int rc = kj_db_exec_many (db, from, count, done);
    kj_outbox_row_free (&event);
    if (rc)
        return kj_call_fail_db (call);
    PGresult **paid_res = at_commit ? done : done + 1;
    bool posted = PQntuples (paid_res [0]) == 1
               && streq (PQgetvalue (paid_res [0], 0, 0), "2")
               && streq (PQcmdTuples (paid_res [1]), "1");
    bool short_slices = sliced && !streq (PQgetvalue (done [3], 0, 0), "t");
    for (int i = 0; i < count; i++)
        PQclear (done [i]);
    if (!posted)
        return kj_call_fail (call, KJ__CODE__INTERNAL, "claim_id",
                             "claim_id: claim %" PRId64 " was not written",
                             claim->id);
    if (short_slices)
        return s_claim_queue (call, claim, left, amount, true, reply);
    if (at_commit || sliced)
        return 0;  //  taken above, or by the trigger at commit
    int taken = guarantee_budget_take (db, guard, claim->budget_year, amount,
                                       left);
    if (taken < 0)
        return kj_call_fail_db (call);
    if (taken == 1)
        return 0;
    return s_claim_queue (call, claim, left, amount, true, reply);
}

//  --------------------------------------------------------------------------
//  Recover: a net recovery (追偿) on a paid claim. The province's refund is
//  computed on the cumulative figures, so rounding never drifts.

int
guarantee_recover (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply)
{
    const Kj__RecoverRequest *in = (const Kj__RecoverRequest *) request;
    kj_audit_object_n (call, "claim", in->claim_id);
    if (guarantee_server_caller (call) == NULL
        || s_check_claim_id (call, in->claim_id))
        return -1;
    if (in->net_recovery_fen <= 0)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "net_recovery_fen",
                             "net_recovery_fen: %" PRId64 "; a net recovery "
                             "is above 0",
                             in->net_recovery_fen);
    Kj__Claim *claim;
    if (s_claim_for_change (call, in->claim_id, &claim))
        return -1;
    if (!streq (claim->state, "PAID"))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "claim_id",
                             "claim_id: claim %" PRId64 " is %s; recoveries "
                             "are shared on a paid claim",
                             claim->id, claim->state);
    if (in->net_recovery_fen > claim->daichang_fen - claim->recovered_fen)
        return kj_call_fail (
            call, KJ__CODE__OUT_OF_RANGE, "net_recovery_fen",
            "net_recovery_fen: %" PRId64 "; with %" PRId64
            " recovered before, it would pass the 代偿 of %" PRId64 " fen",
            in->net_recovery_fen, claim->recovered_fen, claim->daichang_fen);
    guarantee_recovery_t recovery = {
        .daichang_fen = claim->daichang_fen,
        .comp_paid_fen = claim->paid_fen,
        .net_recovery_fen = claim->recovered_fen + in->net_recovery_fen
    };
    kj_status_t status;
    if (guarantee_recovery_check (&recovery, &status))
        return kj_call_fail_status (call, &status);
    int64_t due = guarantee_recovery_refund (&recovery);
    int64_t refund = due - claim->refunded_fen;

    kj_db_t *db = kj_call_db (call);
    char id [24], net [24], refund_text [24], account [80];
    snprintf (id, sizeof id, "%" PRId64, claim->id);
    snprintf (net, sizeof net, "%" PRId64, in->net_recovery_fen);
    snprintf (refund_text, sizeof refund_text, "%" PRId64, refund);
    if (kj_db_run (
            db,
            "INSERT INTO recovery (claim_id, net_recovery_fen, refund_fen) "
            "VALUES ($1::bigint, $2::bigint, $3::bigint)",
            3, (const char *[]){ id, net, refund_text })
            != 1
        || kj_db_run (
               db,
               "UPDATE claim SET recovered_fen = recovered_fen + $2::bigint,"
               " refunded_fen = refunded_fen + $3::bigint WHERE id = "
               "$1::bigint",
               3, (const char *[]){ id, net, refund_text })
               != 1)
        return kj_call_fail_db (call);
    snprintf (account, sizeof account, "compensation:%s", claim->guarantor_id);
    if (refund > 0
        && guarantee_ledger_post (db, "refund", claim->id, claim->budget_year,
                                  kj_call_printf (call, "refunds:%d",
                                                  claim->budget_year),
                                  account, refund))
        return kj_call_fail_db (call);
    Kj__Recovery *out = (Kj__Recovery *) reply;
    out->claim_id = claim->id;
    out->net_recovery_fen = in->net_recovery_fen;
    out->cumulative_recovery_fen = recovery.net_recovery_fen;
    out->refund_fen = refund;
    out->cumulative_refund_fen = due;
    return guarantee_server_event (call, "guarantee.claim.recovered", id,
                                   reply);
}

//  --------------------------------------------------------------------------
//  The reads

int
guarantee_get_claim (kj_call_t *call, const ProtobufCMessage *request,
                     ProtobufCMessage *reply)
{
    const Kj__ClaimGetRequest *in = (const Kj__ClaimGetRequest *) request;
    Kj__Claim *claim;
    if (s_check_claim_id (call, in->claim_id)
        || guarantee_store_claim (call, in->claim_id, false, "claim_id",
                                  &claim))
        return -1;
    *(Kj__Claim *) reply = *claim;
    return 0;
}

int
guarantee_list_claims (kj_call_t *call, const ProtobufCMessage *request,
                       ProtobufCMessage *reply)
{
    const Kj__ClaimListRequest *in = (const Kj__ClaimListRequest *) request;
    static const char *states [] = {
        "SUBMITTED", "CITY_REVIEWED", "PROVINCE_REVIEWED", "APPROVED",
        "QUEUED",    "PAID",          "REJECTED",          NULL
    };
    bool known = !*in->state;
    for (int i = 0; states [i] && !known; i++)
        known = streq (in->state, states [i]);
    if (!known)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "state",
                             "state: '%.20s'; one of SUBMITTED, CITY_REVIEWED, "
                             "PROVINCE_REVIEWED, APPROVED, QUEUED, PAID, "
                             "REJECTED, or empty for all",
                             in->state);
    if (in->limit > GUARANTEE_LIST_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "limit",
                             "limit: %u; at most %d claims a page", in->limit,
                             GUARANTEE_LIST_MAX);
    return guarantee_store_claims (call, in->state, in->after_id,
                                   in->limit ? in->limit
                                             : GUARANTEE_LIST_DEFAULT,
                                   (Kj__ClaimList *) reply);
}
