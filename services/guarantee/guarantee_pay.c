/*  =========================================================================
    guarantee_pay - PayClaim: an approved claim paid within its year's
    budget under the configured guard, or queued for the next year's, or
    paid pro rata (docs/rules/guarantee.md, "Payment and the budget
    guard"). Split from guarantee_claims.c, which keeps the claim's other
    steps.
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_claim.h"
#include "guarantee_ledger.h"
#include "guarantee_store.h"

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
//  The commit guard's writes (the payment's statement and its event) go
//  with the worker's audit row, key row and COMMIT, in its round trip
//  (kj_db_defer): a payment is two round trips (the reads, with the
//  worker's key; the writes, with COMMIT), not three, and the backend and
//  the worker wake once less. Nothing is read back: the claim is held FOR
//  UPDATE since the reads, so the statement updates it, and inserts its
//  two entries (ledger_balanced checks them at commit); any error fails
//  the COMMIT, and the worker answers it or runs the payment again, as
//  for a short budget (40001).

static int
s_pay_at_commit (kj_call_t *call, const kj_db_query_t writes [2],
                 kj_outbox_row_t *event)
{
    kj_db_t *db = kj_call_db (call);
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = kj_db_defer (db, writes [i].sql, writes [i].nparams,
                          writes [i].params);
    kj_outbox_row_free (event);
    return rc ? kj_call_fail_db (call) : 0;
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
//  waits for is held only until the commit (with the slice guard, in the
//  pipeline before). With the commit guard a trigger takes the budget at
//  commit, and the writes go with the COMMIT (s_pay_at_commit).

int
guarantee_pay_claim (kj_call_t *call, const ProtobufCMessage *request,
                     ProtobufCMessage *reply)
{
    const Kj__ClaimPayRequest *in = (const Kj__ClaimPayRequest *) request;
    kj_audit_object_n (call, "claim", in->claim_id);
    const char *caller = guarantee_server_caller (call);
    if (!caller || guarantee_check_claim_id (call, in->claim_id))
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
        { GUARANTEE_PAY_AHEAD_SQL, 1, params },
        //  after the guarantor's lock: every payment of it committed
        //  before is seen. One row, the running total the schema keeps
        //  (sql/008_guarantor_paid.sql), not a sum that grows with them
        { "SELECT coalesce ((SELECT t.paid_fen FROM claim c"
          " JOIN guarantor_paid t ON t.guarantor_id = c.guarantor_id"
          " AND t.year = c.budget_year WHERE c.id = $1::bigint), 0)"
          " AS paid_fen",
          1, params }
    };
    PGresult *res [4];
    if (kj_db_exec_many (db, reads, 4, res))
        return kj_call_fail_db (call);
    bool found = PQntuples (res [1]) == 1 && PQntuples (res [2]) == 1;
    Kj__Claim *claim = found ? guarantee_store_claim_row (call, res [1], 0)
                             : NULL;
    bool read = !found || claim;  //  a row the schema rules out: failed
    const char *ahead_text = found ? kj_sql_text (res [2], 0, "ahead") : NULL;
    char *ahead = ahead_text ? kj_call_strdup (call, ahead_text) : NULL;
    bool budgeted = found && !kj_sql_is_null (res [2], 0, "remaining_fen");
    int64_t left = 0, cap = 0, paid = 0;
    if (read && found
        && ((budgeted && kj_sql_int64 (res [2], 0, "remaining_fen", &left))
            || kj_sql_int64 (res [2], 0, "yearly_cap_fen", &cap)
            || kj_sql_int64 (res [3], 0, "paid_fen", &paid)))
        read = false;
    for (int i = 0; i < 4; i++)
        PQclear (res [i]);
    if (!found)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "claim_id",
                             "claim_id: no claim %s", id);
    if (!read)  //  logged; the claim's own read has failed the call
        return claim ? guarantee_store_bad_row (call) : -1;
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
    if (at_commit)
        return s_pay_at_commit (call, writes + 1, &event);
    int count = sliced ? 4 : 3;
    PGresult *done [4];
    int rc = kj_db_exec_many (db, writes, count, done);
    kj_outbox_row_free (&event);
    if (rc)
        return kj_call_fail_db (call);
    bool posted = PQntuples (done [1]) == 1
               && streq (PQgetvalue (done [1], 0, 0), "2")
               && streq (PQcmdTuples (done [2]), "1");
    bool short_slices = sliced && !streq (PQgetvalue (done [3], 0, 0), "t");
    for (int i = 0; i < count; i++)
        PQclear (done [i]);
    if (!posted)
        return kj_call_fail (call, KJ__CODE__INTERNAL, "claim_id",
                             "claim_id: claim %" PRId64 " was not written",
                             claim->id);
    if (short_slices)
        return s_claim_queue (call, claim, left, amount, true, reply);
    if (sliced)
        return 0;  //  taken above
    int taken = guarantee_budget_take (db, guard, claim->budget_year, amount,
                                       left);
    if (taken < 0)
        return kj_call_fail_db (call);
    if (taken == 1)
        return 0;
    return s_claim_queue (call, claim, left, amount, true, reply);
}
