/*  =========================================================================
    guarantee_store - claims and budgets of kejin-guarantee as rows and
    as messages

    Reads a claim (locked for the transaction's write, or not), pages of
    claims, and a year's budget with what was paid, refunded and queued
    against it, into messages on the call's memory. Each function fails
    the call itself (NOT_FOUND naming the field, the database's
    UNAVAILABLE, or INTERNAL for a row the schema rules out) and returns
    -1, so a handler only returns. Rows are read by column name, never by
    position (issue 8).
    =========================================================================
*/

#ifndef GUARANTEE_STORE_H_INCLUDED
#define GUARANTEE_STORE_H_INCLUDED

#include "kejin.h"
#include "guarantee.pb-c.h"
#include "guarantee_policy.h"

//  Most claims one ListClaims page returns, and its default.
#define GUARANTEE_LIST_MAX     1000
#define GUARANTEE_LIST_DEFAULT 100

//  A claim's columns, for SELECT and RETURNING, each named as
//  guarantee_store_claim_row reads them.
#define GUARANTEE_CLAIM_FIELDS                                                 \
    "id, daichang_id, loan_id, guarantor_id, state, daichang_fen, "            \
    "rate_bp, entitled_fen, payable_fen, binding, paid_fen, budget_year, "     \
    "submitted_by, coalesce (city_reviewed_by, '') AS city_reviewed_by, "      \
    "coalesce (province_reviewed_by, '') AS province_reviewed_by, "            \
    "coalesce (approved_by, '') AS approved_by, city_due::text AS city_due, "  \
    "coalesce (province_due::text, '') AS province_due, reason, "              \
    "refunded_fen, recovered_fen"

//  PayClaim's read of claim $1's year: the claim queued ahead of it (NULL:
//  none), the budget left (NULL: no budget), its guarantor's yearly cap,
//  the guarantor's row locked. The queue through claim_queue, never
//  claim_state (sql/007_queue_index.sql; test_guarantee_money explains it).
//  The claim queued for claim c's year ahead of c (NULL: none), read
//  through the index claim_queue (sql/007_queue_index.sql), as "ahead"
#define GUARANTEE_QUEUE_AHEAD_SQL                                              \
    "(SELECT q.id FROM claim q"                                                \
    "   WHERE q.state COLLATE \"C\" = 'QUEUED'"                                \
    "   AND q.budget_year = c.budget_year AND q.id <> c.id"                    \
    "   AND (q.queued_at, q.id) < (coalesce (c.queued_at, 'infinity'),"        \
    "   c.id) ORDER BY q.queued_at, q.id LIMIT 1) AS ahead"

#define GUARANTEE_PAY_AHEAD_SQL                                                \
    "SELECT " GUARANTEE_QUEUE_AHEAD_SQL ","                                    \
    " b.remaining_fen, r.yearly_cap_fen "                                      \
    "FROM claim c JOIN guarantor r ON r.id = c.guarantor_id"                   \
    " LEFT JOIN budget_left b ON b.year = c.budget_year "                      \
    "WHERE c.id = $1::bigint FOR UPDATE OF r"

//  One row of GUARANTEE_CLAIM_FIELDS, read by column name, into a message
//  on the call's memory; NULL with the call failed (INTERNAL) when a
//  column is missing or NULL, which the schema rules out (logged).
Kj__Claim *
    guarantee_store_claim_row (kj_call_t *call, PGresult *res, int row);

//  Fail the call for a row the schema rules out (a NULL where none may
//  be, a column the query lost), which the reader logged: INTERNAL, in
//  the words the worker gives a handler that says no more (no new
//  message). Returns -1.
int
    guarantee_store_bad_row (kj_call_t *call);

//  The claim `id` into a new message; with `lock`, its row stays locked
//  until the transaction ends (FOR UPDATE). `field` names the request
//  field that gave the id.
int
    guarantee_store_claim (kj_call_t *call, int64_t id, bool lock,
                           const char *field, Kj__Claim **claim_p);

//  Claims in `state` (NULL or "": all) with ids above after_id, at most
//  limit, in id order.
int
    guarantee_store_claims (kj_call_t *call, const char *state,
                            int64_t after_id, uint32_t limit,
                            Kj__ClaimList *list);

//  The budget of `year` with its payments, refunds and queue.
int
    guarantee_store_budget (kj_call_t *call, int year, Kj__Budget *budget);

//  Every year's budget, oldest first.
int
    guarantee_store_budgets (kj_call_t *call, Kj__BudgetList *list);

//  The policy in force (its latest version) into *policy, and who set it
//  into *set_by (may be NULL; on the call's memory).
int
    guarantee_store_policy (kj_call_t *call, guarantee_policy_t *policy,
                            const char **set_by);

//  The same without a call (guarantee_follow.c): 0, -1 when no policy is
//  recorded, -2 when the database failed.
int
    guarantee_store_policy_db (kj_db_t *db, guarantee_policy_t *policy);

//  A policy as a message on the call's memory, and back.
Kj__Policy *
    guarantee_store_policy_message (kj_call_t *call,
                                    const guarantee_policy_t *policy);
void
    guarantee_store_policy_from (const Kj__Policy *message,
                                 guarantee_policy_t *policy);

#endif
