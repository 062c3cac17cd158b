/*  =========================================================================
    guarantee_claims - the money path of kejin-guarantee: a claim per
    代偿, its city and provincial reviews, approval by a second operator,
    payment (guarantee_pay.c), recoveries shared back (the budget's
    allotment and reads: guarantee_budget.c)

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

//  A claim id from a request: above 0 (guarantee_server.h).
int
guarantee_check_claim_id (kj_call_t *call, int64_t id)
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
        "SELECT 'guarantor ' || me.guarantor_id AS party,"
        "  (SELECT sum (lost) FROM book WHERE book.guarantor_id"
        "   = me.guarantor_id)::bigint AS lost,"
        "  (SELECT sum (amount_fen) FROM book WHERE book.guarantor_id"
        "   = me.guarantor_id)::bigint AS guaranteed FROM me "
        "UNION ALL "
        "SELECT 'bank ' || me.bank,"
        "  (SELECT sum (lost) FROM book WHERE book.bank = me.bank)::bigint,"
        "  (SELECT sum (amount_fen) FROM book WHERE book.bank = me.bank)"
        "  ::bigint FROM me WHERE me.bank IS NOT NULL",
        1, (const char *[]){ loan });
    if (!res)
        return kj_call_fail_db (call);
    //  A party's sums are over its own guarantees, at least this one's:
    //  never NULL
    enum { PARTY, LOST, GUARANTEED };
    int col [3];
    int rc = kj_sql_columns (res,
                             (const char *[]){ "party", "lost", "guaranteed" },
                             col, 3);
    for (int row = 0; row < PQntuples (res) && rc == 0; row++) {
        if (kj_sql_required (res, row, col, 3)) {
            rc = -1;
            break;
        }
        int64_t lost = atoll (PQgetvalue (res, row, col [LOST]));
        int64_t guaranteed = atoll (PQgetvalue (res, row, col [GUARANTEED]));
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
                           PQgetvalue (res, row, col [PARTY]), lost, ratio,
                           guaranteed, config->suspend_loss_ratio_bp);
    }
    PQclear (res);
    if (rc && kj_call_status (call)->code == KJ__CODE__OK)
        return guarantee_store_bad_row (call);
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
        "  g.reason, coalesce (a.rate_bp, 0) AS rate_bp,"
        "  coalesce (a.per_claim_cap_fen, 0) AS per_claim_cap_fen,"
        "  greatest (r.yearly_cap_fen - (SELECT coalesce (sum (amount_fen), 0)"
        "    FROM payment p WHERE p.guarantor_id = g.guarantor_id"
        "    AND p.year = y.year), 0) AS guarantor_cap_left_fen,"
        "  coalesce ((SELECT remaining_fen FROM budget_left b"
        "             WHERE b.year = y.year), 0) AS budget_left_fen,"
        "  y.year, (SELECT id FROM claim WHERE daichang_id = d.id) AS claim_id "
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
    //  Every column NOT NULL but claim_id (NULL: the 代偿 has no claim yet)
    guarantee_comp_t comp = { 0 };
    bool qualifies;
    const char *texts [4] = { kj_sql_text (res, 0, "loan_id"),
                              kj_sql_text (res, 0, "guarantor_id"),
                              kj_sql_text (res, 0, "reason"),
                              kj_sql_text (res, 0, "year") };
    bool readable = texts [0] && texts [1] && texts [2] && texts [3]
                 && kj_sql_int64 (res, 0, "amount_fen", &comp.daichang_fen) == 0
                 && kj_sql_int64 (res, 0, "rate_bp", &comp.rate_bp) == 0
                 && kj_sql_int64 (res, 0, "per_claim_cap_fen",
                                  &comp.per_claim_cap_fen)
                        == 0
                 && kj_sql_int64 (res, 0, "guarantor_cap_left_fen",
                                  &comp.guarantor_cap_left_fen)
                        == 0
                 && kj_sql_int64 (res, 0, "budget_left_fen",
                                  &comp.budget_left_fen)
                        == 0
                 && kj_sql_bool (res, 0, "qualifies", &qualifies) == 0;
    const char *claim_id = kj_sql_text (res, 0, "claim_id");
    char *loan = readable ? kj_call_strdup (call, texts [0]) : NULL;
    char *guarantor = readable ? kj_call_strdup (call, texts [1]) : NULL;
    char *reason = readable ? kj_call_strdup (call, texts [2]) : NULL;
    char *year = readable ? kj_call_strdup (call, texts [3]) : NULL;
    char *existing = claim_id ? kj_call_strdup (call, claim_id) : NULL;
    PQclear (res);
    if (!readable) {
        kj_error ("sql.null", "代偿 %s: a column is missing or NULL", daichang);
        return guarantee_store_bad_row (call);
    }
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
    if (!caller || guarantee_check_claim_id (call, in->claim_id))
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
    if (!caller || guarantee_check_claim_id (call, in->claim_id))
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
//  Recover: a net recovery (追偿) on a paid claim. The province's refund is
//  computed on the cumulative figures, so rounding never drifts.

int
guarantee_recover (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply)
{
    const Kj__RecoverRequest *in = (const Kj__RecoverRequest *) request;
    kj_audit_object_n (call, "claim", in->claim_id);
    if (guarantee_server_caller (call) == NULL
        || guarantee_check_claim_id (call, in->claim_id))
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
    if (guarantee_check_claim_id (call, in->claim_id)
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
