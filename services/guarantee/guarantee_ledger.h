/*  =========================================================================
    guarantee_ledger - the provincial budget and the double-entry ledger
    of kejin-guarantee

    Every movement of money is one ledger transaction of a debit and a
    credit of equal amounts (the schema refuses, at commit, a transaction
    that does not balance). The budget is taken with a conditional UPDATE,
    never read-then-written, so that concurrent payments can never spend
    more than is left; CHECK (remaining_fen >= 0) backs it under any
    isolation level. Accounts (docs/rules/guarantee.md):
        appropriation:Y   the province's appropriation for year Y
        budget:Y          budget of year Y not yet paid out
        compensation:G    compensation paid to guarantor G, net of refunds
        refunds:Y         recoveries refunded on claims paid from year Y
    All functions run inside the caller's transaction.
    =========================================================================
*/

#ifndef GUARANTEE_LEDGER_H_INCLUDED
#define GUARANTEE_LEDGER_H_INCLUDED

#include "kejin.h"
#include "guarantee.pb-c.h"

//  The statement guarantee_ledger_post runs, for callers that send it with
//  others in one round trip (kj_db_exec_many): $1 kind, $2 claim id (NULL:
//  none), $3 year, $4 the account debited, $5 the account credited, $6 the
//  amount in fen; two entries inserted.
#define GUARANTEE_LEDGER_POST_SQL                                              \
    "WITH txn AS ("                                                            \
    "  INSERT INTO ledger_txn (kind, claim_id, year)"                          \
    "  VALUES ($1, $2::bigint, $3::int) RETURNING id) "                        \
    "INSERT INTO ledger_entry (txn_id, account, debit_fen, credit_fen) "       \
    "SELECT id, $4, $6::bigint, 0 FROM txn "                                   \
    "UNION ALL SELECT id, $5, 0, $6::bigint FROM txn"

//  The slice guard's take, one statement for a pipeline: $1 year, $2 the
//  amount in fen, $3 how many slices, $4 the slice to try first; one row,
//  "t" when taken, "f" when the year has less left
//  (sql/003_budget_slices.sql).
#define GUARANTEE_BUDGET_TAKE_SLICE_SQL                                        \
    "SELECT budget_take_slice ($1::int, $2::bigint, $3::int, $4::int)"

//  Post one movement: `amount_fen` (> 0) debited to `debit` and credited
//  to `credit`, as a transaction of `kind` ("allot", "pay", "refund") for
//  claim_id (0: none) and year. 0, or -1 when the database failed.
int
    guarantee_ledger_post (kj_db_t *db, const char *kind, int64_t claim_id,
                           int year, const char *debit, const char *credit,
                           int64_t amount_fen);

//  Take amount_fen from the budget of `year` as `guard` says
//  (guarantee_guard_t of guarantee_server.h): UPDATE, a conditional
//  UPDATE; LOCK, an UPDATE of the row the caller locked and checked;
//  SERIALIZABLE, the remaining amount the caller read, less amount_fen,
//  written back (the isolation level refuses a lost update). 1 taken, 0
//  not enough left (or no budget for the year), -1 when the database
//  failed. (SLICE takes with GUARANTEE_BUDGET_TAKE_SLICE_SQL.)
int
    guarantee_budget_take (kj_db_t *db, int guard, int year, int64_t amount_fen,
                           int64_t left_fen);

//  Check every ledger transaction balances, and that the accounts agree
//  with the budgets, payments and refunds. Fills check (problems on the
//  call's memory). 0, or -1 with the call failed.
int
    guarantee_ledger_check (kj_call_t *call, Kj__LedgerReport *check);

#endif
