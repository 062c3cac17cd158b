/*  =========================================================================
    guarantee_pay_batch - PayClaims that reach a worker together, paid in
    one transaction (KJ_BATCH, common/kj_worker_batch.c)

    Under the commit guard with queueing only. What a batch pays, it pays
    as guarantee_pay.c would have paid each claim alone, one after the
    other in the order of their ids; everything else is left to run alone
    after the batch's commit, with guarantee_pay_claim, which then decides
    it on what the batch wrote: a claim not found, not APPROVED (a QUEUED
    one too: the queue's order is that handler's), with a claim queued
    ahead of it, in a year with no budget, with nothing to pay, or one the
    budget left (as read) cannot pay. The rules: docs/rules/guarantee.md,
    "PayClaims together".

    Two round trips for all of them, beside the worker's two:
    - the claims' locks (in id order, as every payer takes them: no wait
      in a circle), their rows, and for each its guarantor's cap and
      running total, the budget left and the queue ahead;
    - with the COMMIT (kj_db_defer): the ledger transactions with their
      entries, the payments and the claims in one statement, and an event
      per claim. The guarantors' rows are not locked: the trigger that
      adds a payment to the guarantor's running total refuses (40001) a
      total over the guarantor's cap (sql/011_pay_batch.sql), and the
      budget's trigger a budget gone short, so a batch that raced another
      payer fails its COMMIT, and its calls run alone.
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_claim.h"
#include "guarantee_store.h"

//  The reads, each claim's row by id (the claims are locked first, then
//  read, so every read sees every payer committed before the locks)
#define S_LOCKS_SQL                                                            \
    "SELECT count (pg_advisory_xact_lock (" KJ_LOCK_ENTITY                     \
    ", hashtext ('guarantee.claim:' || id))) FROM"                             \
    " (SELECT unnest ($1::bigint[]) AS id ORDER BY 1 OFFSET 0) AS ids"

#define S_TERMS_SQL                                                            \
    "SELECT c.id, " GUARANTEE_QUEUE_AHEAD_SQL ","                              \
    " b.remaining_fen, r.yearly_cap_fen, coalesce (t.paid_fen, 0) AS paid_fen" \
    " FROM claim c JOIN guarantor r ON r.id = c.guarantor_id"                  \
    " LEFT JOIN budget_left b ON b.year = c.budget_year"                       \
    " LEFT JOIN guarantor_paid t ON t.guarantor_id = c.guarantor_id"           \
    " AND t.year = c.budget_year"                                              \
    " WHERE c.id = ANY ($1::bigint[]) ORDER BY c.id"

//  The writes: one ledger transaction per claim, its two entries (the
//  guarantor's compensation debited, the budget credited, as
//  guarantee_pay.c posts them), the payment (taken from the budget at
//  commit; inserted in guarantor order, so two batches add to the
//  guarantors' running totals in one order) and the claim
#define S_PAY_SQL                                                              \
    "WITH p AS (SELECT * FROM unnest ($1::bigint[], $2::int[], $3::text[],"    \
    "  $4::bigint[], $5::text[])"                                              \
    "  AS p (claim_id, year, guarantor_id, amount, paid_by)),"                 \
    " txn AS (INSERT INTO ledger_txn (kind, claim_id, year)"                   \
    "  SELECT 'pay', claim_id, year FROM p ORDER BY claim_id"                  \
    "  RETURNING id, claim_id),"                                               \
    " entry AS (INSERT INTO ledger_entry (txn_id, account, debit_fen,"         \
    "  credit_fen) SELECT t.id, e.account, e.debit, e.credit"                  \
    "  FROM txn t JOIN p USING (claim_id) CROSS JOIN LATERAL (VALUES"          \
    "  (1, 'compensation:' || p.guarantor_id, p.amount, 0::bigint),"           \
    "  (2, 'budget:' || p.year, 0::bigint, p.amount))"                         \
    "  AS e (n, account, debit, credit) ORDER BY t.id, e.n),"                  \
    " pay AS (INSERT INTO payment (claim_id, year, guarantor_id, amount_fen,"  \
    "  paid_by, take_at_commit) SELECT claim_id, year, guarantor_id, amount,"  \
    "  paid_by, true FROM p ORDER BY guarantor_id, claim_id) "                 \
    "UPDATE claim c SET state = 'PAID', paid_fen = p.amount, reason = ''"      \
    " FROM p WHERE c.id = p.claim_id"

//  The claims the budget left cannot pay wait for the next year's, as
//  guarantee_pay.c queues one
#define S_QUEUE_SQL                                                            \
    "WITH q AS (SELECT * FROM unnest ($1::bigint[], $2::text[]) AS q (id,"     \
    "  reason))"                                                               \
    " UPDATE claim c SET state = 'QUEUED', budget_year = c.budget_year + 1,"   \
    " queued_at = coalesce (c.queued_at, now ()), reason = q.reason"           \
    " FROM q WHERE c.id = q.id"

//  One claim of the batch
typedef struct {
    int call;  //  index in the batch
    int64_t id;
    const char *caller;
    Kj__Claim *claim;  //  as read
    int64_t amount;    //  paid, when > 0; or what it needs, when queued
    int64_t left;      //  when queued: the budget left it met
    bool queued;
} s_claim_t;

static int
s_by_id (const void *a, const void *b)
{
    const s_claim_t *x = (const s_claim_t *) a, *y = (const s_claim_t *) b;
    return x->id < y->id ? -1 : x->id > y->id;
}

//  A PostgreSQL array literal of n numbers
static char *
s_numbers (kj_call_t *call, const int64_t *numbers, int n)
{
    char *array = (char *) kj_call_alloc (call, 2 + 21 * (size_t) n + 1);
    char *at = array;
    *at++ = '{';
    for (int i = 0; i < n; i++)
        at += sprintf (at, i ? ",%" PRId64 : "%" PRId64, numbers [i]);
    *at++ = '}';
    *at = 0;
    return array;
}

//  What each guarantor's claims of the batch took of its cap, so far
typedef struct {
    const char *guarantor;
    int year;
    int64_t taken;
} s_taken_t;

static int64_t *
s_taken (s_taken_t *taken, int *n, const Kj__Claim *claim)
{
    for (int i = 0; i < *n; i++)
        if (taken [i].year == claim->budget_year
            && streq (taken [i].guarantor, claim->guarantor_id))
            return &taken [i].taken;
    taken [*n] = (s_taken_t){ claim->guarantor_id, claim->budget_year, 0 };
    return &taken [(*n)++].taken;
}

//  Decide each claim from what was read, in id order: its amount, or 0
//  to leave it to run alone
static void
s_decide (kj_call_t *call, s_claim_t *claims, int n, PGresult *rows,
          PGresult *terms)
{
    s_taken_t *taken = (s_taken_t *) kj_call_alloc (call,
                                                    (size_t) n
                                                        * sizeof (s_taken_t));
    int guarantors = 0;
    int64_t budget_taken = 0;
    int year = 0;
    for (int i = 0, row = 0, term = 0; i < n; i++) {
        s_claim_t *one = &claims [i];
        char id [24];
        snprintf (id, sizeof id, "%" PRId64, one->id);
        //  Both results are in id order, a row a claim found
        if (row >= PQntuples (rows) || term >= PQntuples (terms)
            || !streq (kj_sql_text (rows, row, "id"), id)
            || !streq (kj_sql_text (terms, term, "id"), id))
            continue;  //  not found: alone
        one->claim = guarantee_store_claim_row (call, rows, row++);
        term++;
        int64_t left, cap, paid;
        if (!one->claim || !streq (one->claim->state, "APPROVED")
            || !kj_sql_is_null (terms, term - 1, "ahead")
            || kj_sql_is_null (terms, term - 1, "remaining_fen")
            || kj_sql_int64 (terms, term - 1, "remaining_fen", &left)
            || kj_sql_int64 (terms, term - 1, "yearly_cap_fen", &cap)
            || kj_sql_int64 (terms, term - 1, "paid_fen", &paid))
            continue;
        //  One year's budget a batch: a claim of another year runs alone
        if (year && one->claim->budget_year != year)
            continue;
        int64_t *by_guarantor = s_taken (taken, &guarantors, one->claim);
        int64_t cap_left = cap - paid - *by_guarantor;
        guarantee_comp_t comp = { .daichang_fen = one->claim->daichang_fen,
                                  .rate_bp = one->claim->rate_bp,
                                  .per_claim_cap_fen = one->claim->entitled_fen,
                                  .guarantor_cap_left_fen = cap_left > 0
                                                              ? cap_left
                                                              : 0,
                                  .budget_left_fen = INT64_MAX };
        int64_t amount = guarantee_comp_payable (&comp, NULL);
        if (amount == 0)
            continue;  //  nothing to pay: refused alone
        year = one->claim->budget_year;
        one->amount = amount;
        if (left - budget_taken < amount) {
            //  Too little left after the payments before it: it waits
            one->queued = true;
            one->left = left - budget_taken;
            continue;
        }
        *by_guarantor += amount;
        budget_taken += amount;
    }
}

int
guarantee_pay_batch (kj_call_t **calls, const ProtobufCMessage **requests,
                     ProtobufCMessage **replies, bool *done, int count)
{
    const guarantee_config_t *config = kj_call_state (calls [0]);
    if (!config || config->guard != GUARANTEE_GUARD_COMMIT || config->pro_rata)
        return 0;                 //  every claim alone
    kj_call_t *call = calls [0];  //  the batch's memory
    kj_db_t *db = kj_call_db (call);
    s_claim_t *claims = (s_claim_t *) kj_call_alloc (call,
                                                     (size_t) count
                                                         * sizeof (s_claim_t));
    int n = 0;
    for (int i = 0; i < count; i++) {
        const Kj__ClaimPayRequest *in = (const Kj__ClaimPayRequest *)
            requests [i];
        const char *caller = guarantee_server_caller (calls [i]);
        if (!caller || guarantee_check_claim_id (calls [i], in->claim_id))
            continue;  //  refused alone
        claims [n++] = (s_claim_t){ i, in->claim_id, caller, NULL, 0 };
    }
    qsort (claims, (size_t) n, sizeof *claims, s_by_id);
    //  A claim twice: the later call runs alone, after the commit
    int unique = 0;
    for (int i = 0; i < n; i++)
        if (!unique || claims [unique - 1].id != claims [i].id)
            claims [unique++] = claims [i];
    n = unique;
    if (n == 0)
        return 0;
    int64_t *ids = (int64_t *) kj_call_alloc (call,
                                              (size_t) n * sizeof (int64_t));
    for (int i = 0; i < n; i++)
        ids [i] = claims [i].id;
    const char *params [] = { s_numbers (call, ids, n) };
    const kj_db_query_t reads [] = {
        { S_LOCKS_SQL, 1, params },
        { "SELECT " GUARANTEE_CLAIM_FIELDS " FROM claim"
          " WHERE id = ANY ($1::bigint[]) ORDER BY id FOR UPDATE",
          1, params },
        { S_TERMS_SQL, 1, params }
    };
    PGresult *res [3];
    if (kj_db_exec_many (db, reads, 3, res))
        return -1;
    s_decide (call, claims, n, res [1], res [2]);
    for (int i = 0; i < 3; i++)
        PQclear (res [i]);

    //  The payments and the claims queued, deferred to the COMMIT: an
    //  error there fails it, and every call runs alone
    int paying = 0, queueing = 0;
    int64_t *amounts = (int64_t *) kj_call_alloc (call, (size_t) n
                                                            * sizeof (int64_t));
    int64_t *years = (int64_t *) kj_call_alloc (call,
                                                (size_t) n * sizeof (int64_t));
    int64_t *waiting = (int64_t *) kj_call_alloc (call, (size_t) n
                                                            * sizeof (int64_t));
    const char **texts = (const char **) kj_call_alloc (call,
                                                        3 * (size_t) n
                                                            * sizeof (char *));
    const char **guarantors = texts, **callers = texts + n,
               **reasons = texts + 2 * n;
    for (int i = 0; i < n; i++) {
        s_claim_t *one = &claims [i];
        if (one->queued) {
            waiting [queueing] = one->id;
            reasons [queueing++] =
                kj_call_printf (calls [one->call],
                                "the %d budget has %" PRId64
                                " fen left, the claim needs "
                                "%" PRId64 "; it waits for the %d budget",
                                one->claim->budget_year, one->left, one->amount,
                                one->claim->budget_year + 1);
        }
        else if (one->amount > 0) {
            ids [paying] = one->id;
            years [paying] = one->claim->budget_year;
            guarantors [paying] = one->claim->guarantor_id;
            amounts [paying] = one->amount;
            callers [paying++] = one->caller;
        }
    }
    kj_params_t pay = { 0 }, queue = { 0 };
    kj_params_add (&pay, s_numbers (call, ids, paying));
    kj_params_add (&pay, s_numbers (call, years, paying));
    kj_params_add_array (&pay, guarantors, (size_t) paying);
    kj_params_add (&pay, s_numbers (call, amounts, paying));
    kj_params_add_array (&pay, callers, (size_t) paying);
    kj_params_add (&queue, s_numbers (call, waiting, queueing));
    kj_params_add_array (&queue, reasons, (size_t) queueing);
    int rc = (paying && kj_db_defer (db, S_PAY_SQL, pay.count, pay.values))
          || (queueing
              && kj_db_defer (db, S_QUEUE_SQL, queue.count, queue.values));
    kj_params_reset (&pay);
    kj_params_reset (&queue);
    if (rc)
        return -1;
    //  Each claim is the claim as read with the fields its UPDATE sets:
    //  its reply, and its event's payload
    for (int i = 0, queued = 0; i < n; i++) {
        s_claim_t *one = &claims [i];
        if (one->amount == 0)
            continue;
        Kj__Claim *reply = (Kj__Claim *) replies [one->call];
        *reply = *one->claim;
        if (one->queued) {
            reply->state = "QUEUED";
            reply->budget_year = one->claim->budget_year + 1;
            reply->reason = (char *) reasons [queued++];
        }
        else {
            reply->state = "PAID";
            reply->paid_fen = one->amount;
            reply->reason = "";
        }
        char id [24];
        snprintf (id, sizeof id, "%" PRId64, one->id);
        kj_audit_object_n (calls [one->call], "claim", one->id);
        kj_db_locked_key (db, id);  //  S_LOCKS_SQL took it
        if (kj_outbox_add (db,
                           one->queued ? "guarantee.claim.queued"
                                       : "guarantee.claim.paid",
                           id, &reply->base))
            return -1;
        done [one->call] = true;
    }
    return 0;
}
